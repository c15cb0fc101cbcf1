"""`Interface`: one network interface of the stack, polled by its owner with explicit time.

``poll(now, device, sockets)`` first receives what the device holds (bounded by its burst
size) and hands each packet to the socket the set's dictionaries name, answering ARP, echo
requests and unreachable ports and protocols itself; then it lets the *active* sockets send.
Egress writes every header and the payload straight into the device's transmit buffer: the
payload is copied once. A packet whose next hop's hardware address is unknown is serialised
into a bounded queue and sent when the answer comes.

`Interface` holds the configuration, the public state (``context``, ``routes``,
``neighbor_cache``, ``acd``, ``multicast``, ``counters``) and the poll loop; each job is an
object of its own, composed here:

- `Ingress` (``ingress.py``): frame and packet demultiplexing for Ethernet, ARP, IPv4, UDP,
  TCP (with GRO, ``gro.py``) and ICMPv4; its `Ipv6Ingress` (``ipv6.py``) for IPv6 and NDP;
- `Egress` (``egress.py``): the dispatch of socket output, IP/Ethernet/ARP emission, software
  GSO (``gso.py``) and the queue of ready packets;
- `AddressResolution` (``resolution.py``, owned by `Egress`): next hops (`NextHopCache`,
  ``nexthop.py``), neighbour look-ups, the queue of packets waiting for resolution, ARP
  requests and neighbour solicitations;
- `IcmpErrors` (``icmp_errors.py``): destination unreachable and parameter problem, with their
  rate limit;
- the timed IPv4 host duties (``ipv4_host.py``): conflict detection (``acd``, ``acd.py``) and
  IGMPv2 reports (``multicast``, ``multicast.py``);
- the timed IPv6 host duties (``ipv6_host.py``): duplicate address detection (``dad``,
  ``dad.py``), MLD (``mld``, ``mld.py``) and SLAAC lifetimes (``slaac``, ``slaac.py``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

from smoltcp.stack import kernels
from smoltcp.stack.device import Device
from smoltcp.stack.log import TRACE
from smoltcp.stack.socket.set import SocketSet
from smoltcp.stack.tcp.ratelimit import PerSecondLimit
from smoltcp.stack.tcp.syncookie import SynCookies
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import (
    EthernetAddress,
    IpAddress,
    IpCidr,
    Ipv4Address,
    Ipv6Address,
    Ipv6Cidr,
    Medium,
)

from .acd import AddressConflictDetector
from .addresses import ipv6_unicast_addrs
from .config import Config
from .context import Context
from .counters import Counters
from .deadlines import Deadlines
from .egress import Egress
from .fragment import Reassembler, service_reassembly
from .fragmenter import Fragmenter
from .gro import Aggregator
from .icmp_errors import ErrorRateLimit, IcmpErrors
from .ingress import Ingress
from .ipv4_host import Ipv4Host
from .ipv6_host import Ipv6Host
from .neighbor import NeighborCache
from .pmtu import PathMtuCache
from .route import Routes

__all__ = ["Interface"]

log = logging.getLogger("smoltcp.stack.iface")

_ZERO_MAC = b"\x00" * 6


def _check_now(now: object) -> None:
    if not isinstance(now, Instant):
        raise TypeError(f"now must be an Instant, not {type(now).__name__}")


def _check_device(device: object) -> None:
    for method in ("capabilities", "receive", "transmit"):
        if not callable(getattr(device, method, None)):
            raise TypeError(f"device must have a {method}() method ({type(device).__name__})")


def _check_sockets(sockets: object) -> None:
    if not isinstance(sockets, SocketSet):
        raise TypeError(f"sockets must be a SocketSet, not {type(sockets).__name__}")


def _ipv6_cidrs(cidrs: tuple[IpCidr, ...]) -> set[IpCidr]:
    return {c for c in cidrs if isinstance(c, Ipv6Cidr)}


class Interface:
    """A network interface: addresses, routes, neighbour cache, and the poll loop.

    ``Interface(config, device, now)`` reads the device's capabilities once (medium, MTU,
    checksum offloads); an Ethernet device needs ``config.hardware_addr`` (ValueError
    otherwise). ``now`` starts the ICMP rate limiter. Then call `poll` whenever the device is
    readable or `poll_delay` has passed. A method whose ``now`` is optional
    (`set_hardware_addr`, `leave_multicast_group`) takes the time of the last `poll` (or of
    construction) when it is left out.

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
    - IPv6 duplicate address detection (RFC 4862 5.4, ``dad``): after a random delay of up
      to ``Config.dad.max_rtr_solicitation_delay``; a duplicated link-local address formed
      from the MAC disables IPv6 (`ipv6_disabled`, RFC 4862 5.4.5).
    - IPv4 address conflict detection (RFC 5227, `smoltcp.stack.iface.acd`): `add_ip_addr`
      probes (optionally) and announces an address, `link_up` announces again; every address
      in use is defended; ``acd`` has the events (taken, ready, defended, lost) and counters.
    - IPv4: checks header and checksum; ignores options; reassembles fragments (IPv6's too,
      `smoltcp.stack.iface.fragment`, bounded by ``reassembly_max_packets``,
      ``reassembly_max_octets`` and ``reassembly_timeout``); drops packets for other hosts
      and bad sources; takes broadcasts. Off-link destinations go to the router of the
      longest matching route (`routes`).
    - Datagrams (not TCP) larger than the path MTU leave in fragments (`fragmenter`); the
      path MTU per destination is learnt from "fragmentation needed" and "packet too big"
      (`pmtu`, ``pmtu_cache_capacity``, ``pmtu_expiry``, ``pmtu_min_ipv4``), which also
      shrink the MSS of the TCP connection they quote when its sequence number is in flight
      (RFC 5927).
    - ICMPv4: answers echo requests (not broadcast ones unless ``reply_to_broadcast_echo``);
      sends port unreachable for UDP to a closed port and protocol unreachable for an unknown
      protocol, quoting the offending IP header and the first 8 octets after it (RFC 792);
      never about an ICMP error, a broadcast (IP or link layer), a fragment or a bad source
      (RFC 1122 3.2.2); at most ``icmp_error_burst`` back to back, refilled one per
      ``icmp_error_interval`` (RFC 1812 4.3.2.8). TCP to a closed port gets a RST.

    - TCP: a socket may hand over super-segments up to ``Context.max_tso_size``; without TSO
      in the device the interface cuts them into MTU-sized segments itself (``gso_size``,
      `smoltcp.stack.iface.gso`); in-order segments of one connection received in one poll reach its
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
        # `smoltcp.stack.iface.gso`): one pass through TCP per up to ~44 segments on the wire.
        self._gso = not self._tso_size and config.gso_size > self._ip_mtu
        if self._gso:
            self._tso_size = config.gso_size
        self._burst = caps.max_burst_size or config.ingress_burst
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
        self.counters = Counters()
        self._now = now
        # Fragments waiting for the rest of their packet (RFC 791, RFC 8200 4.5); datagrams
        # larger than the path MTU leave in fragments (`fragmenter`); the path MTU per
        # destination comes from "too big" errors (`pmtu`).
        self.reassembler = Reassembler(
            config.reassembly_max_packets,
            config.reassembly_max_octets,
            config.reassembly_timeout.micros,
            self.counters.dropped,
        )
        # Its table, for an emptiness test per poll and poll_at (no call while nothing waits).
        self._fragments = self.reassembler.pending
        self.fragmenter = Fragmenter(random.Random(f"ipid-{config.random_seed}"))
        self.pmtu = PathMtuCache(
            config.pmtu_cache_capacity, config.pmtu_expiry.micros, config.pmtu_min_ipv4
        )
        self.context.pmtu = self.pmtu
        # The jobs, each an object of its own (see the module docstring for the map).
        self._egress = Egress(
            device,
            self.context,
            self.counters,
            self.routes,
            self.neighbor_cache,
            eth=self._eth,
            mac=self._mac,
            ip_mtu=self._ip_mtu,
            tso_size=self._tso_size,
            gso=self._gso,
            caps=self._caps,
            csum=self._csum,
            now=now,
        )
        self._resolution = self._egress.resolution
        self._egress.fragmentation(self.fragmenter, self.pmtu)
        # ICMP errors with their token bucket (RFC 1812 4.3.2.8).
        limit = ErrorRateLimit(config.icmp_error_burst, config.icmp_error_interval, now.micros)
        self._errors = IcmpErrors(self._egress, self.counters, limit, config.hop_limit)
        # The earliest deadline of IGMP, conflict detection and the IPv6 host duties, kept as
        # one number (-1: none) that every poll and poll_at reads; the duties raise
        # ``_deadlines`` when theirs move, and only then is it computed again (`_timers_us`).
        self._deadlines = Deadlines()
        self._timers_at_us = -1
        # IPv4 conflict detection (RFC 5227: see `add_ip_addr` and `link_up`) and IGMPv2
        # (RFC 2236): ``acd`` and ``multicast`` are public.
        self._ipv4_host = Ipv4Host(self, self._egress, self._deadlines)
        self.acd = self._ipv4_host.acd
        self.multicast = self._ipv4_host.multicast
        # IPv6 duplicate address detection (RFC 4862 5.4), MLDv2 (RFC 3810) and the lifetimes
        # of SLAAC addresses (RFC 4862 5.5): ``dad``, ``mld`` and ``slaac`` are public.
        self._ipv6_host = Ipv6Host(self, self._egress, now, self._deadlines)
        self.dad = self._ipv6_host.dad
        self.mld = self._ipv6_host.mld
        self.slaac = self._ipv6_host.slaac
        self._ingress = Ingress(
            self,
            self._egress,
            self._errors,
            self._ipv4_host.judge_arp,
            eth=self._eth,
            mac=self._mac,
            caps=self._caps,
            csum=self._csum,
            hop_limit=config.hop_limit,
            gro=Aggregator() if config.gro else None,
        )

    # -- configuration ------------------------------------------------------------------------

    @property
    def hardware_addr(self) -> EthernetAddress | None:
        """The interface's Ethernet address (None on an IP medium)."""
        return self._hardware_addr

    def set_hardware_addr(self, addr: EthernetAddress, now: Instant | None = None) -> None:
        """Change the Ethernet address at ``now`` (default: the time of the last poll).

        The link-local IPv6 address formed from the MAC changes with it (RFC 4862 5.3): the
        old one's solicited-node group is left, the new one goes through duplicate address
        detection as at start-up (when ``Config.dad.link_local``, or SLAAC, says so:
        tentative, and its group joined, until it passes; see ``dad``). IPv6 addresses set by
        the application, a link-local one included, stay, and each is advertised with the new
        MAC (three unsolicited neighbour advertisements to all nodes, override set, RFC 4861
        7.2.6); each IPv4 address is announced (gratuitous ARP, RFC 5227 2.3). SLAAC
        addresses formed from the old MAC are deprecated (RFC 4862 5.5.4: kept by the
        connections that have them, never chosen for new ones; the next router
        advertisement forms new ones). If IPv6 was disabled because the old link-local
        address was duplicated (`ipv6_disabled`), it is enabled again. Raises ValueError on an
        IP medium or for a non-unicast address, TypeError
        for a non-`EthernetAddress` or a ``now`` that is not an `Instant`.
        """
        if not self._eth:
            raise ValueError("an IP-medium interface has no hardware address")
        if not isinstance(addr, EthernetAddress):
            raise TypeError(f"addr must be an EthernetAddress, not {type(addr).__name__}")
        if not addr.is_unicast:
            raise ValueError(f"addr must be a unicast Ethernet address, not {addr!r}")
        if now is None:
            now = self._now
        _check_now(now)
        old = self._hardware_addr
        self._hardware_addr = addr
        self._mac = bytes(addr)
        self.context.hardware_addr = addr
        self._egress.set_mac(self._mac)
        self._ingress.mac = self._mac
        if old is not None:
            self._ipv6_host.hardware_addr_changed(old, addr, now)
        if old != addr:
            self._ipv4_host.announce(now)

    @property
    def ipv6_disabled(self) -> bool:
        """Whether IPv6 is disabled on the interface (read-only): duplicate address detection
        found the link-local address formed from the MAC in use by another node (RFC 4862
        5.4.5), so nothing IPv6 is sent or received (counted as ``ipv6-disabled`` drops;
        ``dad.counters.ipv6_disabled`` counts the times, ``dad.events()`` has the TAKEN
        event). `set_hardware_addr`, and IPv6 addresses the application adds
        (`update_ip_addrs`, `add_ip_addr`), enable it again; removing addresses does not."""
        return self.context.ipv6_disabled

    @property
    def ipv6_disabled_at(self) -> Instant | None:
        """When IPv6 was last disabled (see `ipv6_disabled`), or None while it is enabled."""
        return self._ipv6_host.disabled_at

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

        An IPv6 address added enables IPv6 again if it was disabled (see `ipv6_disabled`);
        removing some does not. Raises TypeError if ``f`` leaves anything but `IpCidr`s in the
        list, ValueError for an address that cannot be an interface's (unspecified, broadcast,
        multicast, or IPv4-mapped IPv6, ``::ffff:a.b.c.d``, which never appears on the wire:
        RFC 4291 2.5.5.2).
        """
        if not callable(f):
            raise TypeError(f"f must be callable, not {type(f).__name__}")
        addrs = list(self.context.ip_addrs)
        f(addrs)
        for cidr in addrs:
            if not isinstance(cidr, IpCidr):
                raise TypeError(f"expected IpCidr, not {type(cidr).__name__}")
            a = cidr.address
            if (
                a.is_unspecified
                or a.is_broadcast
                or a.is_multicast
                or (type(a) is Ipv6Address and a.is_ipv4_mapped)
            ):
                raise ValueError(f"{cidr} cannot be an interface address")
        before = self.context.ip_addrs
        self.context.set_ip_addrs(tuple(addrs))
        # New addresses have solicited-node groups to report (see `Ipv6Host.due_us`).
        self._deadlines.moved = True
        self._resolution.next_hops.clear()
        self.acd.retain(self.context.addresses)
        hw = self._hardware_addr
        formed = None if hw is None else Ipv6Address.link_local_from_ethernet(hw)
        # Removed addresses are not probed again by `link_up` (the formed one is never listed).
        keep: set[IpAddress] = set(self.context.addresses)
        if formed is not None:
            keep.add(formed)
        self.dad.retain(keep)
        if self.context.ipv6_disabled and _ipv6_cidrs(self.context.ip_addrs) - _ipv6_cidrs(before):
            # The application added IPv6 addresses itself (RFC 4862 5.4.5 lets an interface
            # go on with addresses not formed from the hardware address); a removal does not.
            self._ipv6_host.enable(self._now)

    def join_multicast_group(self, group: Ipv4Address | Ipv6Address, now: Instant) -> bool:
        """Join ``group``: accept its datagrams and report it (IGMPv2, RFC 2236, for IPv4;
        MLDv2, RFC 3810, for IPv6); return False when joined already. Raise ValueError for a
        non-multicast address (see `MulticastGroups` and `MldListener`)."""
        if isinstance(group, Ipv6Address):
            return self.mld.join(group, now.micros)
        return self.multicast.join(group, now.micros)

    def leave_multicast_group(
        self, group: Ipv4Address | Ipv6Address, now: Instant | None = None
    ) -> bool:
        """Leave ``group`` (a Leave Group, or an MLDv2 change to INCLUDE {}, goes out at the
        next poll, ``now`` by default the time of the last poll); False if not joined."""
        if isinstance(group, Ipv6Address):
            return self.mld.leave(group, (self._now if now is None else now).micros)
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

    def ipv6_addrs(self) -> tuple[Ipv6Address, ...]:
        """Return the interface's IPv6 unicast addresses: the link-local one first (Ethernet;
        not while it is tentative or after it was found duplicated, see ``dad``)."""
        cx = self.context
        return ipv6_unicast_addrs(self._hardware_addr, cx.ip_addrs, cx.unusable)

    @property
    def software_gso(self) -> bool:
        """Whether the interface cuts TCP super-segments itself (no TSO in the device)."""
        return self._gso

    # -- address conflict detection (RFC 5227) ------------------------------------------------

    def add_ip_addr(self, cidr: IpCidr, now: Instant, *, probe: bool | None = None) -> None:
        """Add ``cidr`` to the interface's addresses, with conflict detection (RFC 5227).

        ``probe`` (default: ``Config.acd.probe_static``): probe first. The address is then
        tentative (``acd.tentative``): not used as a source and not answered for until
        probing finds nobody else holds it, about 7 s later (an `AcdEventKind.READY` event;
        it is added then); if another host holds it, it is never added
        (`AcdEventKind.TAKEN`: a DHCP client declines it). Without probing the address is in
        use at once. Either way it is announced (ANNOUNCE_NUM ARP announcements, the first
        at the next `poll`) and then defended (`AcdConfig.defend`). An IPv6 address on
        Ethernet goes through duplicate address detection instead when ``probe`` (default:
        ``Config.dad.static``; see `DuplicateAddressDetector`, its events in ``dad.events()``).
        Any other address (an IP medium: no ARP, no NDP) is added at once without any of this
        (with a READY event if ``probe``).

        Raises TypeError for a non-`IpCidr`, ValueError for an address the interface has or
        is probing, or that cannot be an interface's.
        """
        if not isinstance(cidr, IpCidr):
            raise TypeError(f"cidr must be an IpCidr, not {type(cidr).__name__}")
        if not isinstance(now, Instant):
            raise TypeError(f"now must be an Instant, not {type(now).__name__}")
        addr = cidr.address
        if (
            self.context.has_ip_addr(addr)
            or addr in self.acd.tentative
            or addr in self.dad.tentative
        ):
            raise ValueError(f"cidr: the interface already has {addr}")
        v4 = type(addr) is Ipv4Address
        if not v4:
            self._ipv6_host.enable(now)  # the application configures IPv6 (see ipv6_disabled)
        if probe is None:
            probe = self.config.acd.probe_static if v4 else self.config.dad.static
        if isinstance(cidr, Ipv6Cidr) and self._eth and probe and self.dad.enabled:
            self.dad.start(cidr, now)
            return
        if not self._eth or not v4:
            self.update_ip_addrs(lambda addrs: addrs.append(cidr))
            if probe:
                self.acd.report_ready(addr, now)
            return
        AddressConflictDetector.check_cidr(cidr)
        if probe:
            self.acd.probe(cidr, now)
            return
        self.update_ip_addrs(lambda addrs: addrs.append(cidr))
        self.acd.announce(cidr, now)

    def link_up(self, now: Instant) -> None:
        """Tell the interface that its link came (back) up, at ``now``.

        RFC 5227 2.1 and 2.3: every IPv4 address that was probed before use is probed again
        (tentative meanwhile: it leaves the interface's addresses until ready); every other
        IPv4 address in use is announced again. Call it when the device reports carrier again
        (a cable plugged in, a Wi-Fi association); the interface cannot see that by itself.
        IPv6 (RFC 4862 5.4): every address that passed duplicate detection is tentative again
        until it passes again, and the MLD groups are reported again (RFC 3810 6.1); IPv6
        disabled by a duplicated link-local address stays disabled (`ipv6_disabled`).
        Nothing happens on an IP medium.
        """
        if not isinstance(now, Instant):
            raise TypeError(f"now must be an Instant, not {type(now).__name__}")
        if not self._eth:
            return
        self._ipv6_host.link_up(now)
        self._ipv4_host.link_up(now)

    def __repr__(self) -> str:
        addrs = ", ".join(str(c) for c in self.context.ip_addrs)
        hw = f"{self._hardware_addr} " if self._hardware_addr is not None else ""
        return f"Interface({self._medium.name} {hw}[{addrs}], {self.counters!r})"

    # -- polling ------------------------------------------------------------------------------

    def poll(self, now: Instant, device: Device, sockets: SocketSet) -> bool:
        """Receive what ``device`` holds, then let the sockets send; return whether anything
        happened (a frame was received or sent), i.e. whether socket state may have changed.

        Never raises for anything received from the network: bad input is dropped and
        counted in `counters`. Raises TypeError for a ``now`` that is not an `Instant`, a
        ``device`` without the device protocol or ``sockets`` that are not a `SocketSet`.
        """
        # The exact-type tests are the cheap common case; the full checks name the argument.
        if type(now) is not Instant:
            _check_now(now)
        if type(sockets) is not SocketSet:
            _check_sockets(sockets)
        self._now = now
        now_us = now.micros
        self.context.now = now
        trace = log.isEnabledFor(TRACE)
        egress = self._egress
        egress.begin(now, device, trace)
        try:
            did = self._receive(now, device, sockets, trace)
            # `_run_timers` only when something is due: the rest of its tests, and it runs
            # them again (in its own order) when it is called.
            timers_us = self._timers_at_us if not self._deadlines.moved else self._timers_us()
            if self._fragments or 0 <= timers_us <= now_us or self._resolution.due():
                did = self._run_timers(now, now_us) or did
            if sockets.wake_due(now_us):
                did = egress.dispatch(sockets) or did
        finally:
            egress.end()
        return did

    def _receive(self, now: Instant, device: Device, sockets: SocketSet, trace: bool) -> bool:
        """Hand what ``device`` holds (at most a burst) to ingress; return whether any frame
        came. Ingress is set up for the poll only once a frame has come: an idle poll pays
        for one ``receive`` call and nothing else."""
        burst = self._burst
        if burst < 1:
            return False
        receive = device.receive
        tokens = receive(now)
        if tokens is None:
            return False
        ingress = self._ingress
        ingress.begin(now, sockets, trace)
        try:
            process = ingress.process_frame
            while True:
                rx = tokens[0]
                # Any device's token: only some carry the hint (see RxToken).
                ingress.checksum_valid = getattr(rx, "checksum_valid", False) is True
                ingress.last = getattr(rx, "last", False) is True
                rx.consume(process)
                burst -= 1
                if not burst:
                    break
                tokens = receive(now)
                if tokens is None:
                    break
        finally:
            ingress.checksum_valid = False
            # The last segments of a connection may wait for more to join them (GRO): hand
            # them over now, also when the device raised, as no later frame may come.
            ingress.deliver_held()
            ingress.end()
        return True

    def _run_timers(self, now: Instant, now_us: int) -> bool:
        """Do the work of the interface's subsystems (not the sockets) that is due at
        ``now_us``: fragments waiting, packets ready or waiting for resolution, the timers of
        neighbour resolution, IGMP, conflict detection and the IPv6 host duties; return
        whether a frame was sent.

        Every subsystem keeps its next deadline as a number, and IGMP, conflict detection and
        the IPv6 host duties their earliest as one (`_timers_us`): an idle poll reads numbers.
        """
        did = False
        if self._fragments:
            service_reassembly(
                self.reassembler,
                self._errors.limit,
                self._egress,
                self.counters,
                self.config.hop_limit,
                now_us,
            )
        resolution = self._resolution
        if resolution.due():
            did = resolution.service() or did
        # `_timers_us`, without the call while no deadline moved: the case of every poll.
        timers_us = self._timers_at_us if not self._deadlines.moved else self._timers_us()
        if not 0 <= timers_us <= now_us:
            return did
        due = self.multicast.next_due_us
        if due is not None and due <= now_us:
            did = self._ipv4_host.service_igmp(now) or did
        if self.acd.due_us(now_us):
            did = self._ipv4_host.service_acd(now) or did
        host = self._ipv6_host
        if 0 <= host.due_us() <= now_us:
            did = host.service(now) or did
        return did

    def _timers_us(self) -> int:
        """Return the earliest deadline (micros) of IGMP, conflict detection and the IPv6
        host duties, or -1 for none: computed again only after one of them raised
        ``_deadlines`` (their deadlines do not move with time, only with what happens)."""
        deadlines = self._deadlines
        if not deadlines.moved:
            return self._timers_at_us
        deadlines.moved = False
        best = self._ipv6_host.due_us()
        for due in (self.multicast.next_due_us, self.acd.poll_at_us()):
            if due is not None and (best < 0 or due < best):
                best = due
        self._timers_at_us = best
        return best

    def poll_at(self, now: Instant, sockets: SocketSet) -> Instant | None:
        """Return when `poll` should next run even if nothing is received, or None.

        A time at or before ``now`` means "now". Sockets that have nothing left to do are
        dropped from the set's active set here too, and sockets waiting for a timer sleep.
        """
        at_us = self.poll_at_us(now, sockets)
        if at_us is None:
            return None
        return now if at_us == now.micros else Instant(at_us)

    def poll_at_us(self, now: Instant, sockets: SocketSet) -> int | None:
        """Return `poll_at` in integer microseconds (``poll_at(now, sockets).micros``), or None.

        The same answer, with the same effect on the sockets, without making an `Instant`:
        for a loop that keeps its clock in microseconds (the simulator's hosts). Never
        before ``now``; raises as `poll_at` does.

        `poll_at` and `poll_delay` answer from this; the loop between polls calls it every
        round, so it makes no `Instant` for a timer that is not the earliest.
        """
        if type(now) is not Instant:
            _check_now(now)
        if type(sockets) is not SocketSet:
            _check_sockets(sockets)
        cx = self.context
        cx.now = now
        now_us = now.micros
        if self._egress.ready:
            return now_us
        # The sockets first: they must be visited anyway (to sleep or leave the active set),
        # and when one has work now the interface's own timers cannot come earlier.
        best = sockets.schedule(cx, now_us)
        if best is not None and best <= now_us:
            return now_us
        due = self._resolution.poll_at_us()
        if due is not None and (best is None or due < best):
            best = due
        if self._fragments:
            due = self.reassembler.next_deadline_us()
            if due is not None and (best is None or due < best):
                best = due
        timers_us = self._timers_at_us if not self._deadlines.moved else self._timers_us()
        if timers_us >= 0 and (best is None or timers_us < best):
            best = timers_us
        if best is not None and best < now_us:
            return now_us
        return best

    def poll_delay(self, now: Instant, sockets: SocketSet) -> Duration | None:
        """Return how long until `poll` should next run (zero: now), or None for "no timer"."""
        at_us = self.poll_at_us(now, sockets)
        if at_us is None:
            return None
        at_us -= now.micros
        return Duration.ZERO if at_us == 0 else Duration(at_us)
