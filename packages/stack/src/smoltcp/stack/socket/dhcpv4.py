"""A DHCPv4 client (RFC 2131) as a socket: it leases an address, renews it, and says so.

The socket speaks UDP from port 68 to port 67 itself: before it has an address it sends
from 0.0.0.0 to the limited broadcast 255.255.255.255 with the BROADCAST flag set, so the
server's answers come back as broadcasts, which the interface delivers to the port 68 socket
whatever its addresses (RFC 2131 4.1). The application reads `Dhcpv4Event`s with
`Dhcpv4Socket.poll_event` and, on request, applies a lease to an interface with `apply_lease`.

Randomness (transaction IDs, retransmission jitter) comes from the ``random.Random`` the
caller passes in; time comes from the interface's ``now``.
"""

from __future__ import annotations

import enum
import logging
import random as _random
from collections import Counter, deque
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from smoltcp.stack.time import Instant
from smoltcp.wire import EthernetAddress, Ipv4Address, Ipv4Cidr, MalformedPacket
from smoltcp.wire.dhcpv4 import (
    CLIENT_PORT,
    SERVER_PORT,
    DhcpMessageType,
    DhcpOpCode,
    DhcpOption,
    DhcpRepr,
)
from smoltcp.wire.ip import ip_repr
from smoltcp.wire.ipv4 import IpProtocol
from smoltcp.wire.udp import UdpRepr

from .base import Emit, Socket

__all__ = ["Dhcpv4Event", "Dhcpv4Lease", "Dhcpv4Socket", "Dhcpv4State", "apply_lease"]

log = logging.getLogger("smoltcp.stack.socket.dhcpv4")

_UDP = IpProtocol.UDP
_SECOND = 1_000_000
_UNSPECIFIED = Ipv4Address(0)
_BROADCAST = Ipv4Address("255.255.255.255")
# The options the client asks for (RFC 2132 9.8), in order of preference.
_REQUESTED = bytes(
    (
        DhcpOption.SUBNET_MASK,
        DhcpOption.ROUTER,
        DhcpOption.DOMAIN_NAME_SERVER,
        DhcpOption.INTERFACE_MTU,
        DhcpOption.LEASE_TIME,
        DhcpOption.RENEWAL_TIME,
        DhcpOption.REBINDING_TIME,
    )
)
# RFC 2131 4.1: the first retransmission after 4 s, doubling up to 64 s, each randomised by
# +-1 s. A REQUEST in the REQUESTING state gives up after this many and starts over.
_FIRST_RTO = 4 * _SECOND
_MAX_RTO = 64 * _SECOND
_JITTER = _SECOND
_REQUEST_RETRIES = 4
# RFC 2131 4.4.5: in RENEWING and REBINDING wait half the time left, but at least 60 s.
_MIN_RENEW_WAIT = 60 * _SECOND
_EVENTS_MAX = 16


class Dhcpv4State(enum.Enum):
    """The client states of RFC 2131 figure 5 this client uses."""

    INIT = "INIT"  # sending DHCPDISCOVER, waiting for offers (SELECTING)
    REQUESTING = "REQUESTING"  # DHCPREQUEST broadcast for an offer
    BOUND = "BOUND"
    RENEWING = "RENEWING"  # after T1: DHCPREQUEST unicast to the server
    REBINDING = "REBINDING"  # after T2: DHCPREQUEST broadcast to any server


@dataclass(frozen=True)
class Dhcpv4Lease:
    """What a DHCPACK gave: the address with its prefix, router, DNS servers, MTU and times.

    Times are ``Instant``s on the clock the socket was driven with.
    """

    address: Ipv4Cidr
    server_identifier: Ipv4Address
    router: Ipv4Address | None
    dns_servers: tuple[Ipv4Address, ...]
    mtu: int | None
    lease_time: int
    acquired_at: Instant
    renew_at: Instant
    rebind_at: Instant
    expires_at: Instant


@dataclass(frozen=True)
class Dhcpv4Event:
    """``kind`` is "configured" (``lease`` is the new lease) or "deconfigured" (lease None)."""

    kind: str
    lease: Dhcpv4Lease | None = None


def _prefix_len(mask: Ipv4Address | None) -> int | None:
    if mask is None:
        return None
    value = int(mask)
    prefix = bin(value).count("1")
    # A mask must be contiguous ones (RFC 950): anything else is not used.
    if value != (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF:
        return None
    return prefix


def _unusable(addr: Ipv4Address) -> bool:
    """Whether ``addr`` can be no host's address: unspecified or "this network" (0/8),
    loopback (127/8), multicast (224/4), reserved or the limited broadcast (240/4): RFC 1122
    3.2.1.3, RFC 1112 4. A server offering one is wrong (or forged)."""
    first = addr.packed[0]
    return first == 0 or first == 127 or first >= 224


class Dhcpv4Socket(Socket):
    """A DHCPv4 client: add it to the `SocketSet` of the interface it configures.

    ``random`` (a ``random.Random``, required) draws transaction IDs and jitter.
    ``max_lease_time`` (seconds or None) caps the lease the server grants, which shortens the
    renewal times with it; ``client_identifier`` (octets) is sent as option 61.
    Bad or foreign messages are dropped and counted in ``counters`` (reason -> count). The
    lease's router is the first of the server's routers (in order of preference, RFC 2132
    3.5) that a host is reached through: not 0/8, loopback, multicast, 240/4 or the limited
    broadcast, our own address or the subnet's broadcast; when none is, the lease has no
    router and ``bad-router`` is counted.
    """

    __slots__ = (
        "_declined",
        "_events",
        "_lease",
        "_max_lease",
        "_next_tx",
        "_offer",
        "_random",
        "_retries",
        "_rto",
        "_state",
        "_xid",
        "client_identifier",
        "counters",
    )

    def __init__(
        self,
        random: _random.Random,
        max_lease_time: int | None = None,
        client_identifier: bytes = b"",
    ) -> None:
        super().__init__()
        if not isinstance(random, _random.Random):
            raise TypeError(f"random must be a random.Random, not {type(random).__name__}")
        if max_lease_time is not None and (
            not isinstance(max_lease_time, int) or max_lease_time < 1
        ):
            raise ValueError(f"max_lease_time must be a positive int, not {max_lease_time!r}")
        self._random = random
        self._max_lease = max_lease_time
        self.client_identifier = bytes(client_identifier)
        self.counters: Counter[str] = Counter()
        self._events: deque[Dhcpv4Event] = deque(maxlen=_EVENTS_MAX)
        self._lease: Dhcpv4Lease | None = None
        self._offer: DhcpRepr | None = None
        self._state = Dhcpv4State.INIT
        self._xid = 0
        self._declined: Dhcpv4Lease | None = None
        self._retries = 0
        self._rto = _FIRST_RTO
        self._next_tx: int | None = 0
        self._reset(None)

    # -- the application's API ----------------------------------------------------------------

    @property
    def state(self) -> Dhcpv4State:
        """The client's state."""
        return self._state

    @property
    def lease(self) -> Dhcpv4Lease | None:
        """The lease in force (BOUND, RENEWING, REBINDING), or None."""
        return self._lease

    def poll_event(self) -> Dhcpv4Event | None:
        """Take the oldest event, or None (at most 16 are kept: the oldest go first)."""
        return self._events.popleft() if self._events else None

    def reset(self) -> None:
        """Drop the lease (a "deconfigured" event if there was one) and start over."""
        self._deconfigure()
        self._reset(None)
        self._wake()

    def decline(self) -> None:
        """Decline the lease in force (its address is in use, RFC 2131 3.1 step 5) and
        start over; raise ValueError when there is no lease."""
        lease = self._lease
        if lease is None:
            raise ValueError("decline: no lease to decline")
        self._deconfigure()
        self._reset(lease)
        self._wake()

    # -- for the socket set and the interface -------------------------------------------------

    def demux_keys(self) -> tuple[Hashable, ...]:
        return ((_UDP, None, CLIENT_PORT),)

    # Any: the interface's context and this kind's own representations; see Socket.process.
    def process(self, cx: Any, now: Instant, ip_repr: Any, repr: Any) -> None:
        """Take a datagram to port 68: an OFFER, ACK or NAK of our transaction, or a drop."""
        if repr.src_port != SERVER_PORT:
            self._count("wrong-port")
            return None
        try:
            msg = DhcpRepr.parse(repr.payload)
        except MalformedPacket as exc:
            self._count("malformed", exc)
            return None
        hw = cx.hardware_addr
        if msg.op != DhcpOpCode.BOOTREPLY or msg.xid != self._xid:
            self._count("wrong-xid")
            return None
        if hw is not None and msg.client_hardware_addr != hw:
            self._count("wrong-chaddr")
            return None
        kind = msg.message_type
        state = self._state
        if kind == DhcpMessageType.OFFER and state is Dhcpv4State.INIT:
            # RFC 2131 4.4.1: take the first acceptable offer.
            if _unusable(msg.yiaddr) or msg.server_identifier is None:
                self._count("bad-offer")
                return None
            self._offer = msg
            self._state = Dhcpv4State.REQUESTING
            self._start_retransmit(now)
        elif kind == DhcpMessageType.ACK and state is not Dhcpv4State.INIT:
            if state is not Dhcpv4State.BOUND:
                self._on_ack(now, msg)
            else:
                self._count("unexpected")
        elif kind == DhcpMessageType.NAK and state is not Dhcpv4State.INIT:
            if state is Dhcpv4State.BOUND:
                self._count("unexpected")
                return None
            # RFC 2131 3.1 step 5 / 4.4.4: a NAK sends the client back to INIT.
            self.counters["nak"] += 1
            self._deconfigure()
            self._reset(None)
        else:
            self._count("unexpected")
            return None
        self._wake()
        return None

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def dispatch(self, cx: Any, now: Instant, emit: Emit) -> bool:
        self._advance(now)
        if self._next_tx is None or now.micros < self._next_tx:
            return False
        hw = cx.hardware_addr
        if hw is None:
            return False
        msg, src, dst = self._message(hw)
        if src != _UNSPECIFIED and not cx.has_ip_addr(src):
            # RENEWING/REBINDING from an address the interface does not use (yet): still being
            # probed, or never applied. Sending from it would claim it; try again later.
            self.counters["address-not-in-use"] += 1
            self._schedule_retransmit(now)
            return False
        payload = msg.to_bytes()
        udp = UdpRepr(CLIENT_PORT, SERVER_PORT, payload)
        emit(ip_repr(src, dst, _UDP, 8 + len(payload), 64), udp)
        self.counters["sent-" + msg.message_type.name.lower()] += 1
        if msg.message_type == DhcpMessageType.DECLINE:
            # A DECLINE is sent once (RFC 2131 3.1 step 5); then discover again.
            self._offer = None
            self._state = Dhcpv4State.INIT
            self._xid = self._random.getrandbits(32)
            self._declined = None
            self._start_retransmit(now)
            return True
        self._schedule_retransmit(now)
        return True

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def poll_at(self, cx: Any) -> Instant | None:
        times = [self._next_tx]
        lease = self._lease
        if lease is not None:
            times += [lease.renew_at.micros, lease.rebind_at.micros, lease.expires_at.micros]
        due = [t for t in times if t is not None]
        return Instant(min(due)) if due else None

    # -- the state machine --------------------------------------------------------------------

    def _reset(self, declined: Dhcpv4Lease | None) -> None:
        self._state = Dhcpv4State.INIT
        self._offer = None
        self._lease = None
        self._declined = declined
        self._xid = self._random.getrandbits(32)
        self._retries = 0
        self._rto = _FIRST_RTO
        self._next_tx = 0  # now: the first DISCOVER goes at once

    def _count(self, reason: str, exc: Exception | None = None) -> None:
        self.counters[reason] += 1
        if log.isEnabledFor(logging.DEBUG):
            log.debug("drop: dhcp %s%s", reason, f": {exc}" if exc else "")

    def _start_retransmit(self, now: Instant) -> None:
        self._retries = 0
        self._rto = _FIRST_RTO
        self._next_tx = now.micros

    def _schedule_retransmit(self, now: Instant) -> None:
        state = self._state
        lease = self._lease
        if state in (Dhcpv4State.RENEWING, Dhcpv4State.REBINDING) and lease is not None:
            # RFC 2131 4.4.5: half the time left until T2 (RENEWING) or expiry (REBINDING),
            # but no less than 60 s; the timer that ends the state may come first.
            end = lease.rebind_at if state is Dhcpv4State.RENEWING else lease.expires_at
            wait = max((end.micros - now.micros) // 2, _MIN_RENEW_WAIT)
            self._next_tx = now.micros + wait
            return
        if state is Dhcpv4State.REQUESTING:
            self._retries += 1
            if self._retries > _REQUEST_RETRIES:
                # No answer to the REQUEST: start over with a new transaction.
                self._reset(None)
                self._next_tx = now.micros + self._jittered(_FIRST_RTO)
                return
        self._next_tx = now.micros + self._jittered(self._rto)
        self._rto = min(self._rto * 2, _MAX_RTO)

    def _jittered(self, rto: int) -> int:
        return rto + self._random.randint(-_JITTER, _JITTER)

    def _advance(self, now: Instant) -> None:
        """Move through the lease's timers that ``now`` has reached (RFC 2131 4.4.5)."""
        lease = self._lease
        if lease is None:
            return
        t = now.micros
        if t >= lease.expires_at.micros:
            # The lease ran out: stop using the address and start over.
            self.counters["expired"] += 1
            self._deconfigure()
            self._reset(None)
        elif t >= lease.rebind_at.micros and self._state is not Dhcpv4State.REBINDING:
            self._state = Dhcpv4State.REBINDING
            self._xid = self._random.getrandbits(32)
            self._next_tx = t
        elif t >= lease.renew_at.micros and self._state is Dhcpv4State.BOUND:
            self._state = Dhcpv4State.RENEWING
            self._xid = self._random.getrandbits(32)
            self._next_tx = t

    def _on_ack(self, now: Instant, msg: DhcpRepr) -> None:
        prefix = _prefix_len(msg.subnet_mask)
        server = msg.server_identifier
        if server is None and self._lease is not None:
            server = self._lease.server_identifier
        if _unusable(msg.yiaddr) or server is None or msg.lease_time is None:
            self._count("bad-ack")
            return
        lease_time = msg.lease_time
        if self._max_lease is not None:
            lease_time = min(lease_time, self._max_lease)
        lease_us = lease_time * _SECOND
        # RFC 2131 4.4.5 defaults: T1 = 0.5 * lease, T2 = 0.875 * lease; server values are
        # used when they keep T1 < T2 < lease.
        t1 = lease_us // 2
        t2 = lease_us * 7 // 8
        if msg.renewal_time is not None and msg.rebinding_time is not None:
            s1, s2 = msg.renewal_time * _SECOND, msg.rebinding_time * _SECOND
            if 0 < s1 < s2 < lease_us:
                t1, t2 = s1, s2
        elif msg.renewal_time is not None and 0 < msg.renewal_time * _SECOND < t2:
            t1 = msg.renewal_time * _SECOND
        start = now.micros
        address = Ipv4Cidr(msg.yiaddr, 32 if prefix is None else prefix)
        # RFC 2132 3.5: the routers in order of preference; the first usable one is taken.
        # (A message built with ``router`` alone, not parsed, has no ``routers``.)
        offered = msg.routers or (() if msg.router is None else (msg.router,))
        router = None
        broadcast = address.broadcast()
        for candidate in offered:
            if not (_unusable(candidate) or candidate == msg.yiaddr or candidate == broadcast):
                router = candidate
                break
        if router is None and offered:
            # No host is reached through any such "router" (Linux refuses the route): the
            # lease stands without one, as if the server had named none.
            self._count("bad-router")
        lease = Dhcpv4Lease(
            address=address,
            server_identifier=server,
            router=router,
            dns_servers=msg.dns_servers,
            mtu=msg.interface_mtu,
            lease_time=lease_time,
            acquired_at=now,
            renew_at=Instant(start + t1),
            rebind_at=Instant(start + t2),
            expires_at=Instant(start + lease_us),
        )
        self._lease = lease
        self._offer = None
        self._state = Dhcpv4State.BOUND
        self._next_tx = None
        self.counters["ack"] += 1
        # A renewal reports the lease again (new times, perhaps new options).
        self._events.append(Dhcpv4Event("configured", lease))

    def _deconfigure(self) -> None:
        if self._lease is not None:
            self._events.append(Dhcpv4Event("deconfigured"))
        self._lease = None

    def _message(self, hw: EthernetAddress) -> tuple[DhcpRepr, Ipv4Address, Ipv4Address]:
        """Return the message the state sends now, with its source and destination."""
        state = self._state
        declined = self._declined
        base = DhcpRepr(
            DhcpMessageType.DISCOVER,
            self._xid,
            hw,
            broadcast=True,
            client_identifier=self.client_identifier,
            max_message_size=1500,
        )
        if declined is not None:
            # RFC 2131 4.4.1 table 5: DECLINE carries the requested address and server id.
            msg = base._replace(
                message_type=DhcpMessageType.DECLINE,
                broadcast=False,
                max_message_size=None,
                requested_ip=declined.address.address,
                server_identifier=declined.server_identifier,
            )
            return msg, _UNSPECIFIED, _BROADCAST
        if state is Dhcpv4State.INIT:
            return base._replace(parameter_request_list=_REQUESTED), _UNSPECIFIED, _BROADCAST
        if state is Dhcpv4State.REQUESTING:
            offer = self._offer
            assert offer is not None
            msg = base._replace(
                message_type=DhcpMessageType.REQUEST,
                parameter_request_list=_REQUESTED,
                requested_ip=offer.yiaddr,
                server_identifier=offer.server_identifier,
            )
            return msg, _UNSPECIFIED, _BROADCAST
        lease = self._lease
        assert lease is not None
        # RENEWING and REBINDING: ciaddr is ours, no requested address or server id (table 5).
        msg = base._replace(
            message_type=DhcpMessageType.REQUEST,
            broadcast=False,
            parameter_request_list=_REQUESTED,
            ciaddr=lease.address.address,
        )
        dst = lease.server_identifier if state is Dhcpv4State.RENEWING else _BROADCAST
        return msg, lease.address.address, dst

    def __repr__(self) -> str:
        lease = self._lease
        where = f", {lease.address}" if lease is not None else ""
        return f"Dhcpv4Socket({self._state.value}{where})"


# Any: the interface (or a test's stand-in), read duck-typed: sockets do not import it.
def apply_lease(iface: Any, lease: Dhcpv4Lease | None, previous: Dhcpv4Lease | None) -> None:
    """Put ``lease`` on ``iface``: replace ``previous``'s address with its own and set the
    default route to its router (removing it when ``lease`` is None or has no router).

    ``previous`` is the lease applied before (None: none); other addresses stay.
    """

    # Any: the interface's address list, as update_ip_addrs passes it.
    def update(addrs: list[Any]) -> None:
        if previous is not None and previous.address in addrs:
            addrs.remove(previous.address)
        if lease is not None and lease.address not in addrs:
            addrs.append(lease.address)

    iface.update_ip_addrs(update)
    routes = iface.routes
    if lease is not None and lease.router is not None:
        routes.add_default_ipv4_route(lease.router)
    elif previous is not None and previous.router is not None:
        routes.remove_default_ipv4_route()
