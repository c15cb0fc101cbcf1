"""`Interface`: one network interface of the stack, polled by its owner with explicit time.

``poll(now, device, sockets)`` first receives what the device holds (bounded by its burst
size) and hands each packet to the socket the set's dictionaries name, answering ARP, echo
requests and unreachable ports and protocols itself; then it lets the *active* sockets send.
Egress writes every header and the payload straight into the device's transmit buffer: the
payload is copied once. A packet whose next hop's hardware address is unknown is serialised
into a bounded queue and sent when the ARP reply comes.

Ingress lives in `smoltcp.stack.iface.ingress`; this module holds the rest.
"""

from __future__ import annotations

import logging
import random
import struct
from collections import deque
from collections.abc import Callable
from typing import Any

from smoltcp.stack import kernels
from smoltcp.stack.log import TRACE
from smoltcp.stack.phy import Device
from smoltcp.stack.tcp.ratelimit import PerSecondLimit
from smoltcp.stack.tcp.syncookie import SynCookies
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import (
    ChecksumCapabilities,
    EthernetAddress,
    IpAddress,
    IpCidr,
    Ipv4Address,
    Medium,
)
from smoltcp.wire.arp import ArpOperation, ArpRepr
from smoltcp.wire.checksum import internet_sum as _header_sum
from smoltcp.wire.icmpv4 import Icmpv4DstUnreachable, Icmpv4Message, Icmpv4Repr
from smoltcp.wire.icmpv6 import Icmpv6Repr
from smoltcp.wire.ip import ip_repr
from smoltcp.wire.ipv4 import IpProtocol
from smoltcp.wire.ipv6 import Ipv6Repr
from smoltcp.wire.layout import arp as _arp_layout
from smoltcp.wire.layout import ethernet as _eth_layout
from smoltcp.wire.layout import frames as _frames_layout
from smoltcp.wire.layout import icmpv4 as _icmpv4_layout
from smoltcp.wire.layout import ipv4 as _ipv4_layout
from smoltcp.wire.layout import ipv6 as _ipv6_layout
from smoltcp.wire.layout import tcp as _tcp_layout
from smoltcp.wire.ndp import NdpRepr
from smoltcp.wire.tcp import TcpRepr
from smoltcp.wire.udp import UdpRepr

from .acd import AcdMixin, AddressConflictDetector
from .config import Config
from .context import Context
from .counters import Counters
from .gro import Aggregator
from .gso import can_cut, inner, piece, pieces
from .ingress import Ingress
from .ipv6 import Ipv6Ingress
from .multicast import MulticastGroups
from .neighbor import NeighborCache
from .route import Routes

__all__ = ["Interface"]

log = logging.getLogger("smoltcp.stack.iface")

_ETH_HEADER = _eth_layout.WORDS
_U32 = struct.Struct("!I")
_U16 = struct.Struct("!H")
_ETH_LEN = _eth_layout.HEADER_LEN
_IPV4_LEN = _ipv4_layout.HEADER_LEN
_IPV6_LEN = _ipv6_layout.HEADER_LEN
_ETHERTYPE_IPV6 = int(_eth_layout.EthernetProtocol.IPV6)
_IPV6_VERSION_SHIFT = _ipv6_layout.VERSION_OCTET_SHIFT
_ETHERTYPE_IPV4 = int(_eth_layout.EthernetProtocol.IPV4)
_ETHERTYPE_ARP = int(_eth_layout.EthernetProtocol.ARP)
_TCP_SEQ_AT = _tcp_layout.SEQ_NUMBER_AT
_TCP_CHECKSUM_AT = _tcp_layout.CHECKSUM_AT
# The frame templates of a GSO piece (IPv4 without options, as sent), by whether the medium is
# IP: the TCP header, its sequence number and its checksum.
_PIECE_AT = {
    False: (
        _frames_layout.TCP_FRAME_TCP_AT,
        _frames_layout.TCP_FRAME_TCP_SEQ_NUMBER_AT,
        _frames_layout.TCP_FRAME_TCP_CHECKSUM_AT,
    ),
    True: (
        _frames_layout.TCP_PACKET_TCP_AT,
        _frames_layout.TCP_PACKET_TCP_SEQ_NUMBER_AT,
        _frames_layout.TCP_PACKET_TCP_CHECKSUM_AT,
    ),
}
_IHL_AT = _ipv4_layout.HEADER_LEN_AT
_IHL_MASK = _ipv4_layout.HEADER_LEN_OCTET_MASK
_IHL_UNIT = _ipv4_layout.HEADER_LEN_UNIT
_QUOTED_LEN = _icmpv4_layout.QUOTED_PAYLOAD_LEN
_BROADCAST_MAC = b"\xff" * 6
_ZERO_MAC = b"\x00" * 6
_UNUSED = b"\x00" * 4
# A socket that keeps returning True from dispatch must not hold the interface forever.
_MAX_DISPATCH_PER_SOCKET = 4096


def _check_now(now: object) -> None:
    if not isinstance(now, Instant):
        raise TypeError(f"now must be an Instant, not {type(now).__name__}")


def _check_device(device: object) -> None:
    for method in ("capabilities", "receive", "transmit"):
        if not callable(getattr(device, method, None)):
            raise TypeError(f"device must have a {method}() method ({type(device).__name__})")


class Interface(AcdMixin, Ipv6Ingress, Ingress):
    """A network interface: addresses, routes, neighbour cache, and the poll loop.

    ``Interface(config, device, now)`` reads the device's capabilities once (medium, MTU,
    checksum offloads); an Ethernet device needs ``config.hardware_addr`` (ValueError
    otherwise). ``now`` starts the ICMP rate limiter. Then call `poll` whenever the device is
    readable or `poll_delay` has passed.

    What it does by itself (the bounds and intervals are `Config` fields):

    - Ethernet: takes frames to its address, broadcasts, and multicasts of the groups joined
      (`join_multicast_group`, IGMPv2 in `MulticastGroups`); drops other multicast and frames
      for other hosts, counting each in `counters`.
    - ARP (RFC 826): answers requests for its addresses; learns from requests and replies
      for it, and updates entries it has from any ARP of the neighbour (the "merge" rule);
      gratuitous ARP creates an entry only with ``arp_accept``. An ARP packet at odds with
      its frame or with our subnets creates and moves nothing (`arp_filter`, each drop
      counted by reason). The neighbour cache (`NeighborCache`) runs neighbour
      unreachability detection as Linux does for ARP (RFC 4861 7.3: REACHABLE, STALE,
      DELAY, then unicast probes to the cached address, then deletion), so a wrong entry is
      repaired within seconds; an entry not heard from for ``neighbor_expiry`` goes. A
      packet to an unresolved next hop is queued (``arp_queue_per_destination``,
      ``arp_queue_total``) and sent when the reply comes; at most one request per next hop
      per ``arp_request_interval`` (one second); the queue is dropped after
      ``arp_resolve_timeout``.
    - IPv4 address conflict detection (RFC 5227, `smoltcp.stack.iface.acd`): `add_ip_addr`
      probes (optionally) and announces an address, `link_up` announces again; every address
      in use is defended; ``acd`` has the events (taken, ready, defended, lost) and counters.
    - IPv4: checks header and checksum; ignores options; drops fragments (no reassembly),
      packets for other hosts and bad sources; takes broadcasts. Off-link destinations go to
      the router of the longest matching route (`routes`).
    - ICMPv4: answers echo requests (not broadcast ones unless ``reply_to_broadcast_echo``);
      sends port unreachable for UDP to a closed port and protocol unreachable for an unknown
      protocol, quoting the offending IP header and the first 8 octets after it (RFC 792);
      never about an ICMP error, a broadcast (IP or link layer), a fragment or a bad source
      (RFC 1122 3.2.2); at most ``icmp_error_burst`` back to back, refilled one per
      ``icmp_error_interval`` (RFC 1812 4.3.2.8). TCP to a closed port gets a RST.

    - TCP: a socket may hand over super-segments up to ``Context.max_tso_size``; without TSO
      in the device the interface cuts them into MTU-sized segments itself (``gso_size``,
      see `_send_gso`); in-order segments of one connection received in one poll reach its
      socket as one (``gro``, `smoltcp.stack.iface.gro`).

    Packets it originates itself use ``Config.hop_limit``; each socket sets its own (64 by
    default).
    """

    def __init__(self, config: Config, device: Device, now: Instant) -> None:
        if not isinstance(config, Config):
            raise TypeError(f"config must be a Config, not {type(config).__name__}")
        _check_now(now)
        _check_device(device)
        caps = device.capabilities()
        self._medium = caps.medium
        self._eth = caps.medium is Medium.ETHERNET
        if self._eth and (config.hardware_addr is None or not config.hardware_addr.is_unicast):
            raise ValueError("an Ethernet device needs a unicast Config.hardware_addr")
        self.config = config
        self._hardware_addr = config.hardware_addr if self._eth else None
        self._mac = bytes(self._hardware_addr) if self._hardware_addr is not None else _ZERO_MAC
        self._ip_mtu = caps.ip_mtu()
        # TCP may send super-segments up to this size when the device segments them (TSO).
        self._tso_size = caps.ip_tso_size()
        # Without TSO in the device, the interface cuts TCP super-segments itself (GSO, see
        # `_send_gso`): one pass through TCP per up to ~44 segments on the wire.
        self._gso = not self._tso_size and config.gso_size > self._ip_mtu
        if self._gso:
            self._tso_size = config.gso_size
        self._burst = caps.max_burst_size or config.ingress_burst
        # In-order TCP segments received in one poll reach their socket as one (GRO).
        self._gro = Aggregator() if config.gro else None
        self._caps = caps.checksum
        self._csum = kernels.internet_sum
        kernels.warm_up()
        self.context = Context(
            self._hardware_addr,
            self._ip_mtu,
            caps.checksum,
            self._csum,
            random.Random(config.random_seed),
            now,
            self._tso_size,
        )
        if config.syncookies:
            secret = config.syncookie_secret
            if secret is None:
                # A stream of its own, so that the interface's other draws stay as they were.
                secret = random.Random(f"syncookie-{config.random_seed}").randbytes(16)
            try:
                jar = SynCookies(secret, rotation_period=config.syncookie_rotation)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"syncookie_secret or syncookie_rotation: {exc}") from None
            self.context.syncookies = jar
        try:
            self.context.challenge_acks = PerSecondLimit(config.challenge_ack_limit)
        except ValueError as exc:
            raise ValueError(f"challenge_ack_limit: {exc}") from None
        self.routes = Routes()
        self.neighbor_cache = NeighborCache(
            config.neighbor_cache_capacity,
            config.neighbor_expiry,
            config.neighbor_lock_time,
            reachable_time=config.neighbor_reachable_time,
            retrans_timer=config.arp_request_interval,
            delay_first_probe_time=config.neighbor_delay_first_probe_time,
            max_unicast_solicit=config.neighbor_max_unicast_solicit,
            max_multicast_solicit=config.neighbor_max_multicast_solicit,
            resolve_timeout=config.arp_resolve_timeout,
            refresh_before=config.neighbor_refresh_before,
            queue_per_entry=config.arp_queue_per_destination,
            queue_total=config.arp_queue_total,
            receipt_confirms=config.neighbor_receipt_confirms,
            rand=random.Random(f"neighbor-{config.random_seed}"),
        )
        # IPv4 address conflict detection (RFC 5227): see `add_ip_addr` and `link_up`.
        self.acd = AddressConflictDetector(config.acd, random.Random(f"acd-{config.random_seed}"))
        self.counters = Counters()
        self._hop_limit = config.hop_limit
        self._now = now
        self._now_us = now.micros
        self._device: Any = device
        self._sockets: Any = None
        self._demux: dict[Any, list[Any]] = {}
        self._token: Any = None
        self._out: Any = None
        self._trace = False
        self._l2_broadcast = False
        self._rx_packet: Any = None
        # Next hop per destination, valid while the addresses and routes stay the same.
        self._next_hops: dict[IpAddress, Any] = {}
        self._routes_version = -1
        # Packets ready but not yet sent (resolved by ARP, or GSO pieces the device had no
        # room for), with their next hop's hardware address (None on an IP medium): they go
        # before anything else. Those waiting for ARP wait in the neighbour cache.
        self._resolved: deque[tuple[bytes | None, bytearray]] = deque()
        # ICMP error token bucket (RFC 1812 4.3.2.8), integer microseconds.
        self._icmp_tokens = config.icmp_error_burst
        self._icmp_refill_us = now.micros
        self._icmp_interval_us = config.icmp_error_interval.micros
        # IPv4 multicast groups joined and the IGMPv2 messages owed (RFC 2236).
        self.multicast = MulticastGroups(random.Random(f"igmp-{config.random_seed}"))

    # -- configuration ------------------------------------------------------------------------

    @property
    def hardware_addr(self) -> EthernetAddress | None:
        """The interface's Ethernet address (None on an IP medium)."""
        return self._hardware_addr

    def set_hardware_addr(self, addr: EthernetAddress) -> None:
        """Change the Ethernet address; raise ValueError on an IP medium or a non-unicast one."""
        if not self._eth:
            raise ValueError("an IP-medium interface has no hardware address")
        if not isinstance(addr, EthernetAddress):
            raise TypeError(f"addr must be an EthernetAddress, not {type(addr).__name__}")
        if not addr.is_unicast:
            raise ValueError(f"addr must be a unicast Ethernet address, not {addr!r}")
        self._hardware_addr = addr
        self._mac = bytes(addr)
        self.context.hardware_addr = addr

    @property
    def medium(self) -> Medium:
        """The device's medium."""
        return self._medium

    @property
    def ip_addrs(self) -> tuple[IpCidr, ...]:
        """The interface's addresses, as CIDRs."""
        return self.context.ip_addrs

    def update_ip_addrs(self, f: Callable[[list[IpCidr]], None]) -> None:
        """Call ``f`` with a list of the addresses to change it in place (then validated).

        Raises TypeError if ``f`` leaves anything but `IpCidr`s in the list, ValueError for an
        address that cannot be an interface's (unspecified, broadcast or multicast).
        """
        if not callable(f):
            raise TypeError(f"f must be callable, not {type(f).__name__}")
        addrs = list(self.context.ip_addrs)
        f(addrs)
        for cidr in addrs:
            if not isinstance(cidr, IpCidr):
                raise TypeError(f"expected IpCidr, not {type(cidr).__name__}")
            a = cidr.address
            if a.is_unspecified or a.is_broadcast or a.is_multicast:
                raise ValueError(f"{cidr} cannot be an interface address")
        self.context._set_ip_addrs(tuple(addrs))
        self._next_hops.clear()
        self.acd.retain(self.context._addrs)

    def join_multicast_group(self, group: Ipv4Address, now: Instant) -> bool:
        """Join ``group``: accept its datagrams and report it (RFC 2236); return False when
        joined already. Raise ValueError for a non-multicast address (see `MulticastGroups`)."""
        return self.multicast.join(group, now.micros)

    def leave_multicast_group(self, group: Ipv4Address) -> bool:
        """Leave ``group`` (a Leave Group goes out at the next poll); False if not joined."""
        return self.multicast.leave(group)

    def has_ip_addr(self, addr: IpAddress) -> bool:
        """Return whether ``addr`` is one of the interface's addresses."""
        return self.context.has_ip_addr(addr)

    def ipv4_addr(self) -> Ipv4Address | None:
        """Return the first IPv4 address, or None."""
        for cidr in self.context.ip_addrs:
            if type(cidr.address) is Ipv4Address:
                return cidr.address
        return None

    def __repr__(self) -> str:
        addrs = ", ".join(str(c) for c in self.context.ip_addrs)
        hw = f"{self._hardware_addr} " if self._hardware_addr is not None else ""
        return f"Interface({self._medium.name} {hw}[{addrs}], {self.counters!r})"

    # -- polling ------------------------------------------------------------------------------

    def poll(self, now: Instant, device: Device, sockets: Any) -> bool:
        """Receive what ``device`` holds, then let the sockets send; return whether anything
        happened (a frame was received or sent), i.e. whether socket state may have changed.

        Never raises for anything received from the network: bad input is dropped and
        counted in `counters`. Raises TypeError for a ``now`` that is not an `Instant`, a
        ``device`` without the device protocol or ``sockets`` that are not a `SocketSet`.
        """
        if type(now) is not Instant:
            _check_now(now)
        if not hasattr(sockets, "_active"):
            raise TypeError(f"sockets must be a SocketSet, not {type(sockets).__name__}")
        self._now = now
        self._now_us = now.micros
        self.context.now = now
        self._device = device
        self._sockets = sockets
        self._demux = sockets.demux
        self._trace = log.isEnabledFor(TRACE)
        did = False
        receive = device.receive
        process = self._process_frame
        try:
            for _ in range(self._burst):
                tokens = receive(now)
                if tokens is None:
                    break
                tokens[0].consume(process)
                did = True
            if self._gro is not None:
                self._deliver_held()
            if self._resolved or 0 <= self.neighbor_cache._due_hint <= self._now_us:
                did = self._service_arp() or did
            due = self.multicast.next_due_us
            if due is not None and due <= self._now_us:
                did = self._service_igmp() or did
            if 0 <= self.acd._due <= self._now_us:
                did = self._service_acd() or did
            sockets.wake_due(self._now_us)
            if sockets.has_active():
                did = self._egress(sockets) or did
        finally:
            self._token = None
            self._out = None
        return did

    def _egress(self, sockets: Any) -> bool:
        """Let each active socket send until it has nothing more or the device is full."""
        did = False
        cx = self.context
        now = self._now
        emit = self._emit
        transmit = self._device.transmit
        visit = sockets.active_handles()
        for handle in visit:
            sock = sockets.get(handle)
            if sock is None:
                sockets.deactivate(handle)
                continue
            for _ in range(_MAX_DISPATCH_PER_SOCKET):
                if self._resolved:
                    # GSO pieces wait for the device: nothing new goes before them.
                    did = self._flush_resolved() or did
                    if self._resolved:
                        return did
                if self._token is None:
                    token = transmit(now)
                    if token is None:
                        # The device is full: the rest stay active for the next poll.
                        return did
                    self._token = token
                if not sock.dispatch(cx, now, emit):
                    break
                did = True
            at = sock.poll_at(cx)
            if at is None:
                sockets.deactivate(handle)
            elif at > now:
                # A timer: sleep until then (or until woken) instead of a visit per poll.
                sockets.sleep(handle, at.micros)
        sockets.compact_active(len(visit))
        return did

    def poll_at(self, now: Instant, sockets: Any) -> Instant | None:
        """Return when `poll` should next run even if nothing is received, or None.

        A time at or before ``now`` means "now". Sockets that have nothing left to do are
        dropped from the set's active set here too, and sockets waiting for a timer sleep.
        """
        _check_now(now)
        if not hasattr(sockets, "_active"):
            raise TypeError(f"sockets must be a SocketSet, not {type(sockets).__name__}")
        cx = self.context
        cx.now = now
        if self._resolved:
            return now
        best: Instant | None = None
        if self.neighbor_cache._timed:
            at_us = self.neighbor_cache._poll_at_us()
            if at_us is not None:
                best = Instant(at_us)
        igmp_us = self.multicast.next_due_us
        if igmp_us is not None and (best is None or igmp_us < best.micros):
            best = Instant(igmp_us)
        if self.acd._due >= 0 and (best is None or self.acd._due < best.micros):
            best = Instant(self.acd._due)
        sockets.wake_due(now.micros)
        visit = sockets.active_handles()
        for handle in visit:
            sock = sockets.get(handle)
            at = None if sock is None else sock.poll_at(cx)
            if at is None:
                sockets.deactivate(handle)
                continue
            if at > now:
                sockets.sleep(handle, at.micros)
            if best is None or at < best:
                best = at
        sockets.compact_active(len(visit))
        wake_us = sockets.next_wake()
        if wake_us is not None and (best is None or wake_us < best.micros):
            best = Instant(wake_us)
        if best is not None and best < now:
            return now
        return best

    def poll_delay(self, now: Instant, sockets: Any) -> Duration | None:
        """Return how long until `poll` should next run (zero: now), or None for "no timer"."""
        at = self.poll_at(now, sockets)
        if at is None:
            return None
        return at - now  # type: ignore[no-any-return]

    # -- egress -------------------------------------------------------------------------------

    def _emit(self, ip_repr: Any, repr: Any) -> None:
        """The ``emit`` sockets get: send one packet now, or queue it for ARP."""
        self._send_ip(ip_repr, repr)

    def _take_token(self) -> Any:
        token = self._token
        if token is not None:
            self._token = None
            return token
        return self._device.transmit(self._now)

    def _drop(self, reason: str) -> None:
        self.counters.dropped[reason] += 1
        if log.isEnabledFor(logging.DEBUG):
            log.debug("drop: %s", reason)

    def _send_ip(self, ipr: Any, repr: Any) -> bool:
        """Serialise ``ipr`` + ``repr`` into a frame and send it; return whether it went out.

        ``repr`` is a UdpRepr, TcpRepr or Icmpv4Repr, or the payload octets themselves.
        """
        tr = type(repr)
        plen = repr.buffer_len() if tr in _REPRS else len(repr)
        if ipr.payload_len != plen:
            ipr = ipr._replace(payload_len=plen)
        v6 = type(ipr) is Ipv6Repr
        ip_len = (_IPV6_LEN if v6 else _IPV4_LEN) + plen
        gso = False
        if ip_len > self._ip_mtu:
            # Segmentation offload is written for IPv4 headers: IPv6 sizes from the MTU.
            if (
                tr is TcpRepr
                and not v6
                and ip_len <= self._tso_size
                and (not self._gso or can_cut(repr))
            ):
                gso = self._gso
            else:
                # No fragmentation (Don't Fragment is always set): a socket must size its
                # packets from Context.ip_mtu, so this is a bug somewhere; say what was dropped.
                self.counters.dropped["too-big"] += 1
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("drop: too-big: %d octets > IP MTU %d: %s", ip_len, self._ip_mtu, ipr)
                return False
        dst_mac = None
        if self._eth:
            dst_mac = self._hardware_for(ipr.dst_addr)
            if dst_mac is None:
                return False
        if gso:
            return self._send_gso(ipr, repr, dst_mac)
        if dst_mac is _UNRESOLVED:
            self._queue_for_arp(self._next_hop_of(ipr.dst_addr), self._serialise(ipr, repr))
            return False
        return self._send_frame(ipr, repr, dst_mac, ip_len)

    def _send_frame(self, ipr: Any, repr: Any, dst_mac: bytes | None, ip_len: int) -> bool:
        """Send one packet of ``ip_len`` octets to ``dst_mac`` (None: IP medium) now."""
        token = self._take_token()
        if token is None:
            self._drop("device-busy")
            return False
        self._out = (ipr, repr, dst_mac)
        token.consume(ip_len if dst_mac is None else _ETH_LEN + ip_len, self._fill)
        self.counters.sent += 1
        if self._trace:
            what = repr if type(repr) is not bytes else f"{len(repr)} octets"
            log.log(TRACE, "tx %s %s", ipr, what)
        return True

    def _send_gso(self, ipr: Any, seg: TcpRepr, dst_mac: Any) -> bool:
        """Send the TCP super-segment ``seg`` as segments that fit the IP MTU (software GSO).

        The pieces (`smoltcp.stack.iface.gso`) go out back to back. Every piece but the last
        is written from one header built here, with its sequence number and checksum patched
        in; the last piece (it carries PSH or FIN, and may be shorter), a first piece with
        CWR, and every piece while frames are traced are written the ordinary way. When the
        device runs out of room part-way, the rest wait, serialised, in the queue of packets
        ready to send (which ARP also uses) and go first at the next poll: TCP has handed
        over the whole super-segment and is not told. Return whether any piece went out or
        waits.
        """
        payload = seg.payload
        header_len = seg.buffer_len() - len(payload)
        size = self._ip_mtu - _IPV4_LEN - header_len
        if size <= 0:
            self._drop("too-big")
            return False
        if dst_mac is _UNRESOLVED:
            hop = self._next_hop_of(ipr.dst_addr)
            for part in pieces(seg, size):
                self._queue_for_arp(hop, self._serialise(ipr, part))
            return False
        l2 = 0 if dst_mac is None else _ETH_LEN
        total = len(payload)
        last = (total - 1) // size * size  # where the last piece starts
        trace = self._trace
        counters = self.counters
        out: Any = None  # the prebuilt header's arguments to _fill_piece, once built
        offset = 0
        while offset < total:
            token = self._take_token()
            if token is None:
                # The device is full: the rest go first at the next poll.
                for part in pieces(seg, size, offset):
                    self._resolved.append((dst_mac, self._serialise(ipr, part)))
                return True
            if offset == last or trace or (offset == 0 and seg.cwr):
                part = piece(seg, size, offset)
                plen = part.buffer_len()
                self._out = (ipr._replace(payload_len=plen), part, dst_mac)
                token.consume(l2 + _IPV4_LEN + plen, self._fill)
                if trace:
                    log.log(TRACE, "tx %s %s", self._out[0], part)
            else:
                if out is None:
                    out = self._piece_header(ipr, seg, dst_mac, header_len, size)
                tmpl, frame_len, seq, at, pseudo, compute = out
                self._out = (tmpl, payload, offset, seq + offset, at, pseudo, compute)
                token.consume(frame_len, self._fill_piece)
            counters.sent += 1
            offset += size
        return True

    def _piece_header(
        self, ipr: Any, seg: TcpRepr, dst_mac: bytes | None, header_len: int, size: int
    ) -> tuple[Any, ...]:
        """Return what `_fill_piece` needs to write the full-sized middle pieces of ``seg``.

        Their headers (Ethernet, IP, TCP of ``header_len``) are all the same but for the
        sequence number and the TCP checksum, left zero here: the IP header of a piece of
        ``size`` payload octets (same length, so the same checksum), the TCP header without
        PSH, FIN and CWR.
        """
        l2 = 0 if dst_mac is None else _ETH_LEN
        at = _PIECE_AT[dst_mac is None]
        tcp_at = at[0]
        tcp_len = header_len + size
        header = bytearray(tcp_at + header_len)
        view = memoryview(header)
        if dst_mac is not None:
            _ETH_HEADER.pack_into(view, 0, dst_mac, self._mac, _ETHERTYPE_IPV4)
        ipr._replace(payload_len=tcp_len).emit_buffer(view[l2:], self._caps, _header_sum)
        src, dst = ipr.src_addr, ipr.dst_addr
        inner(seg).emit_buffer(view[tcp_at:], src, dst, _NO_CHECKSUMS)
        view.release()
        pseudo = src._int + dst._int + _PROTO_TCP + tcp_len
        compute = self._caps.tcp.tx()
        return bytes(header), tcp_at + tcp_len, int(seg.seq_number), at, pseudo, compute

    def _fill_piece(self, buf: memoryview) -> None:
        header, payload, offset, seq, (tcp_at, seq_at, sum_at), pseudo, compute = self._out
        at = len(header)
        buf[:at] = header
        _U32.pack_into(buf, seq_at, seq & 0xFFFFFFFF)
        buf[at:] = payload[offset : offset + len(buf) - at]
        if compute:
            s = ~self._csum(buf[tcp_at:], pseudo) & 0xFFFF
            _U16.pack_into(buf, sum_at, s)

    def _serialise(self, ipr: Any, repr: Any) -> bytearray:
        """Return ``repr`` in an IP packet of its own (to wait for ARP or for the device)."""
        plen = repr.buffer_len() if type(repr) in _REPRS else len(repr)
        if ipr.payload_len != plen:
            ipr = ipr._replace(payload_len=plen)
        packet = bytearray((_IPV6_LEN if type(ipr) is Ipv6Repr else _IPV4_LEN) + plen)
        self._write_ip(memoryview(packet), ipr, repr)
        return packet

    def _fill(self, buf: memoryview) -> None:
        ipr, repr, dst_mac = self._out
        if dst_mac is not None:
            ethertype = _ETHERTYPE_IPV6 if type(ipr) is Ipv6Repr else _ETHERTYPE_IPV4
            _ETH_HEADER.pack_into(buf, 0, dst_mac, self._mac, ethertype)
            buf = buf[_ETH_LEN:]
        self._write_ip(buf, ipr, repr)

    def _write_ip(self, buf: memoryview, ipr: Any, repr: Any) -> None:
        """Write the IP header and ``repr`` into ``buf`` (exactly the IP packet's length)."""
        caps = self._caps
        csum = self._csum
        # emit_buffer: emit without the view objects (the per-packet path).
        # The IPv4 header with wire's reference sum, which emit_buffer inlines: faster than a
        # kernel call over 20 octets, and the same checksum.
        ipr.emit_buffer(buf, caps, _header_sum)
        body = buf[_IPV6_LEN if type(ipr) is Ipv6Repr else _IPV4_LEN :]
        tr = type(repr)
        if tr is TcpRepr or tr is UdpRepr or tr is Icmpv6Repr or tr is NdpRepr:
            repr.emit_buffer(body, ipr.src_addr, ipr.dst_addr, caps, csum)
        elif tr is Icmpv4Repr:
            repr.emit_buffer(body, caps, csum)
        else:
            body[:] = repr

    def _next_hop_of(self, dst: IpAddress) -> Any:
        """Return the next hop for ``dst``: an address, or a hardware address (bytes) for our
        own, broadcast and multicast destinations, or None when no route leads there."""
        routes = self.routes
        hops = self._next_hops
        if self._routes_version != routes.version or routes.has_expiring:
            hops.clear()
            self._routes_version = routes.version
        else:
            hop = hops.get(dst)
            if hop is not None:
                return hop
        cx = self.context
        if dst in cx._addrs:
            # Our own address (a loopback device): the frame comes back to us.
            hop = self._mac
        elif dst.is_broadcast or dst in cx._broadcasts:
            hop = _BROADCAST_MAC
        elif dst.version == 6 and (dst.is_multicast or dst.is_link_local):
            hop = self._ipv6_next_hop(dst)
        elif dst.is_multicast:
            # RFC 1112 6.4: 01-00-5E plus the low 23 bits of the group address.
            low = int(dst) & 0x7FFFFF
            hop = b"\x01\x00\x5e" + low.to_bytes(3, "big")
        elif cx.in_same_network(dst):
            hop = dst
        else:
            hop = routes.lookup(dst, self._now)
            if hop is None:
                return None
        if len(hops) >= 4096:
            hops.clear()
        hops[dst] = hop
        return hop

    def _hardware_for(self, dst: IpAddress) -> Any:
        """Return the destination MAC for ``dst``, `_UNRESOLVED`, or None (dropped: no route)."""
        hop = self._next_hop_of(dst)
        if hop is None:
            self._drop("no-route")
            return None
        if type(hop) is bytes:
            return hop
        cache = self.neighbor_cache
        mac = cache._resolve(hop, self._now_us)
        if mac is None:
            return _UNRESOLVED
        if 0 <= cache._due_hint <= self._now_us:
            # A probe due now (an entry about to lapse) goes before the packet.
            self._service_neighbors()
        return mac

    # -- ARP ----------------------------------------------------------------------------------

    def _queue_for_arp(self, hop: IpAddress, packet: bytearray) -> None:
        """Keep ``packet`` until ``hop`` resolves; the neighbour cache says when to ask."""
        cache = self.neighbor_cache
        if not cache._enqueue(hop, packet, self._now_us):
            self._drop("arp-queue-full")
            return
        self.counters.queued_for_arp += 1
        if 0 <= cache._due_hint <= self._now_us:
            self._service_neighbors()

    def _solicit(self, target: IpAddress, mac: bytes | None) -> bool:
        """Ask "who has ``target``": broadcast (``mac`` None) or a unicast probe to ``mac``."""
        if target.version == 6:
            return self._send_ns(target, mac)
        if mac is None:
            return self._send_arp_request(target)
        spa = self.context.get_source_address(target)
        if spa is None:
            self._drop("no-source-address")
            return False
        arp = ArpRepr(ArpOperation.REQUEST, self._hardware_addr, spa, _ZERO_ETHERNET, target)  # type: ignore[arg-type]
        if self._send_arp(arp, mac):
            self.counters.arp_requests_sent += 1
            return True
        return False

    def _send_arp_request(self, target: IpAddress) -> bool:
        """Broadcast "who has ``target``"; return whether it was sent."""
        spa = self.context.get_source_address(target)
        if spa is None:
            self._drop("no-source-address")
            return False
        arp = ArpRepr(
            ArpOperation.REQUEST,
            self._hardware_addr,  # type: ignore[arg-type]
            spa,  # type: ignore[arg-type]
            _ZERO_ETHERNET,
            target,  # type: ignore[arg-type]
        )
        if self._send_arp(arp, _BROADCAST_MAC):
            self.counters.arp_requests_sent += 1
            return True
        return False

    def _send_arp(self, arp: ArpRepr, dst_mac: bytes) -> bool:
        token = self._take_token()
        if token is None:
            self._drop("device-busy")
            return False
        self._out = (arp, dst_mac)
        token.consume(_ETH_LEN + _arp_layout.HEADER_LEN, self._fill_arp)
        self.counters.sent += 1
        if self._trace:
            log.log(TRACE, "tx %s", arp)
        return True

    def _fill_arp(self, buf: memoryview) -> None:
        arp, dst_mac = self._out
        _ETH_HEADER.pack_into(buf, 0, dst_mac, self._mac, _ETHERTYPE_ARP)
        arp.emit_buffer(buf[_ETH_LEN:])

    def _resolved_hop(self, hop: IpAddress, mac: bytes) -> None:
        """``hop`` answered: move its queued packets to the send queue, and try to send."""
        packets = self.neighbor_cache.take_queued(hop)
        if not packets:
            return
        for packet in packets:
            self._resolved.append((mac, packet))
        self._flush_resolved()

    def _flush_resolved(self) -> bool:
        did = False
        resolved = self._resolved
        while resolved:
            token = self._take_token()
            if token is None:
                return did
            self._out = mac, packet = resolved.popleft()
            length = len(packet) if mac is None else _ETH_LEN + len(packet)
            token.consume(length, self._fill_resolved)
            self.counters.sent += 1
            did = True
        return did

    def _fill_resolved(self, buf: memoryview) -> None:
        mac, packet = self._out
        if mac is None:
            buf[:] = packet
            return
        v6 = packet[0] >> _IPV6_VERSION_SHIFT == 6
        _ETH_HEADER.pack_into(buf, 0, mac, self._mac, _ETHERTYPE_IPV6 if v6 else _ETHERTYPE_IPV4)
        buf[_ETH_LEN:] = packet

    def _service_arp(self) -> bool:
        """Send what resolved, retry ARP requests due, and drop queues that timed out."""
        did = self._flush_resolved()
        if 0 <= self.neighbor_cache._due_hint <= self._now_us:
            did = self._service_neighbors() or did
        return did

    def _service_neighbors(self) -> bool:
        """Run the neighbour cache's timers: send the queries due, count what timed out."""
        cache = self.neighbor_cache
        before = self.counters.sent
        lost = cache.poll(self._now, self._solicit)
        if lost:
            self.counters.dropped["arp-timeout"] += lost
            if log.isEnabledFor(logging.DEBUG):
                log.debug("drop: %d packets: ARP timed out", lost)
        return self.counters.sent != before

    # -- ICMP errors --------------------------------------------------------------------------

    def _service_igmp(self) -> bool:
        """Send the IGMP reports and leaves that are due, with TTL 1 (RFC 2236 section 2)."""
        src = self.ipv4_addr() or _UNSPECIFIED_V4
        sent = False
        for dst, msg in self.multicast.take(self._now_us):
            sent = self._send_ip(ip_repr(src, dst, IpProtocol.IGMP, 8, 1), msg.to_bytes()) or sent
        return sent

    def _icmp_error_allowed(self) -> bool:
        """Take a token from the ICMP error bucket (RFC 1812 4.3.2.8); False when empty."""
        tokens = self._icmp_tokens
        burst = self.config.icmp_error_burst
        if tokens < burst:
            elapsed = self._now_us - self._icmp_refill_us
            if elapsed >= self._icmp_interval_us:
                add = elapsed // self._icmp_interval_us
                tokens = min(burst, tokens + add)
                self._icmp_refill_us += add * self._icmp_interval_us
        else:
            self._icmp_refill_us = self._now_us
        if tokens <= 0:
            self._icmp_tokens = tokens
            return False
        self._icmp_tokens = tokens - 1
        return True

    def _send_icmp_error(self, ipr: Any, code: Icmpv4DstUnreachable) -> None:
        """Send a destination unreachable about the packet being received (``ipr``).

        It quotes the packet's IP header, options included, and the first 8 octets of its
        payload, exactly as received (RFC 792). None is sent about a packet sent to a
        link-layer broadcast or from an address that is not a host's (RFC 1122 3.2.2); the
        caller has ruled out IP broadcasts, fragments and ICMP errors.
        """
        src = ipr.src_addr
        if src.version == 6:
            self._send_icmpv6_unreachable(ipr, code)
            return
        if src.is_unspecified or self._l2_broadcast:
            return
        if not self._icmp_error_allowed():
            self.counters.icmp_errors_rate_limited += 1
            return
        # The received IP packet's octets (still lent by the device: we are inside its
        # consume); its header was checked by Ipv4Repr.parse_buffer, which gave ``ipr``.
        buffer = self._rx_packet
        header_len = (buffer[_IHL_AT] & _IHL_MASK) * _IHL_UNIT
        end = min(header_len + _QUOTED_LEN, header_len + ipr.payload_len)
        # The 4 unused octets after type, code and checksum, then the quote.
        icmp = Icmpv4Repr(Icmpv4Message.DST_UNREACHABLE, code, 0, 0, _UNUSED + bytes(buffer[:end]))
        reply = ip_repr(ipr.dst_addr, src, IpProtocol.ICMP, icmp.buffer_len(), self._hop_limit)
        if self._send_ip(reply, icmp):
            self.counters.icmp_errors_sent += 1


_UNRESOLVED = object()
# What sockets emit besides raw octets (each knows its buffer_len).
_REPRS = frozenset((TcpRepr, UdpRepr, Icmpv4Repr, Icmpv6Repr, NdpRepr))
# The pieces' prebuilt TCP header leaves its checksum to `_fill_piece`.
_NO_CHECKSUMS = ChecksumCapabilities.ignored()
_PROTO_TCP = int(IpProtocol.TCP)
_ZERO_ETHERNET = EthernetAddress(_ZERO_MAC)
_UNSPECIFIED_V4 = Ipv4Address(0)
