"""`Context`: what a socket may see of its interface."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from smoltcp.stack.tcp.ratelimit import PerSecondLimit
from smoltcp.stack.tcp.syncookie import SynCookies
from smoltcp.stack.time import Instant
from smoltcp.wire import (
    ChecksumCapabilities,
    EthernetAddress,
    IpAddress,
    IpCidr,
    Ipv6Address,
    Ipv6MulticastScope,
)
from smoltcp.wire.checksum import InternetSum

from .addresses import ipv6_unicast_addrs, select_source

if TYPE_CHECKING:
    from .pmtu import PathMtuCache

__all__ = ["Context"]

_LINK_SCOPE = Ipv6MulticastScope.LINK_LOCAL


class Context:
    """The interface's addresses, MTU, checksum settings, random source and current time.

    Sockets get it as ``cx`` in `process`, `dispatch` and `poll_at`, and users pass
    ``iface.context`` to calls such as ``TcpSocket.connect``. Treat it as read-only: the
    interface keeps it up to date (``now`` is the time of the current or last poll).

    - ``ip_addrs``: the interface's addresses, as CIDRs (a tuple);
    - ``ip_mtu``: the largest IP packet the device carries, in octets; `path_mtu` says how
      much of it reaches one destination (``pmtu``, the interface's path MTU cache);
    - ``max_tso_size``: the largest IP packet carrying TCP that the interface takes and cuts
      into MTU-sized segments, in octets, or 0: TCP may send data segments of up to this
      size instead of one MSS. The device cuts them (TCP segmentation offload) when it can,
      else the interface does (``Config.gso_size``, software GSO);
    - ``checksum_caps``: which checksums the stack computes and verifies;
    - ``csum``: the checksum kernel to pass to ``smoltcp.wire`` as ``csum=``;
    - ``rand``: a ``random.Random`` seeded from ``Config.random_seed``;
    - ``syncookies``: the `SynCookies` every TCP listener of the interface uses once its SYN
      queue is full, or None (``Config.syncookies`` off): such SYNs are then dropped;
    - ``challenge_acks``: the limit on RFC 5961 challenge ACKs all TCP sockets of the
      interface send together (``Config.challenge_ack_limit``), or None;
    - ``addresses``: the addresses of ``ip_addrs`` as a frozenset (the per-packet check);
    - ``broadcasts``: the directed broadcast addresses of ``ip_addrs``' subnets (a frozenset);
    - ``deprecated``: IPv6 addresses of ``ip_addrs`` whose preferred lifetime ended (RFC 4862
      5.5.4): received on, chosen as a source only when nothing else fits;
    - ``unusable``: IPv6 addresses under duplicate address detection or found duplicated
      (the link-local one among them is left out of the interface's addresses);
    - ``ipv6_disabled``: whether IPv6 is disabled on the interface because its link-local
      address formed from the MAC was found duplicated (RFC 4862 5.4.5): nothing IPv6 is
      sent or received.
    """

    __slots__ = (
        "_prefixes",
        "_source_cache",
        "_source_cache_hw",
        "_unicast_v6",
        "addresses",
        "broadcasts",
        "challenge_acks",
        "checksum_caps",
        "csum",
        "deprecated",
        "hardware_addr",
        "ip_addrs",
        "ip_mtu",
        "ipv6_disabled",
        "max_tso_size",
        "now",
        "pmtu",
        "rand",
        "syncookies",
        "unusable",
    )

    def __init__(
        self,
        hardware_addr: EthernetAddress | None,
        ip_mtu: int,
        checksum_caps: ChecksumCapabilities,
        csum: InternetSum,
        rand: random.Random,
        now: Instant,
        max_tso_size: int = 0,
    ) -> None:
        self.hardware_addr = hardware_addr
        self.ip_mtu = ip_mtu
        self.max_tso_size = max_tso_size
        self.checksum_caps = checksum_caps
        self.csum = csum
        self.rand = rand
        self.now = now
        self.pmtu: PathMtuCache | None = None  # the interface's
        self.syncookies: SynCookies | None = None
        self.challenge_acks: PerSecondLimit | None = None
        self.ip_addrs: tuple[IpCidr, ...] = ()
        self.addresses: frozenset[IpAddress] = frozenset()
        self.broadcasts: frozenset[IpAddress] = frozenset()
        # (address type, network, mask) of each of ``ip_addrs``, as ints: `in_same_network`.
        self._prefixes: tuple[tuple[type[IpAddress], int, int], ...] = ()
        self._source_cache: dict[IpAddress, IpAddress | None] = {}
        # The hardware address the cache was filled with: the interface sets
        # ``hardware_addr`` directly, and the link-local source is formed from it.
        self._source_cache_hw = hardware_addr
        self._unicast_v6: tuple[Ipv6Address, ...] | None = None
        self.deprecated: frozenset[IpAddress] = frozenset()
        self.unusable: frozenset[IpAddress] = frozenset()
        self.ipv6_disabled = False

    def set_deprecated(self, addrs: frozenset[IpAddress]) -> None:
        """Replace the deprecated addresses (the interface calls this; sockets never do)."""
        if addrs != self.deprecated:
            self.deprecated = addrs
            self._forget()

    def set_unusable(self, addrs: frozenset[IpAddress]) -> None:
        """Replace the addresses under duplicate detection or found duplicated (the
        interface calls this)."""
        if addrs != self.unusable:
            self.unusable = addrs
            self._forget()

    def set_ip_addrs(self, cidrs: tuple[IpCidr, ...]) -> None:
        """Replace the addresses (the interface calls this; sockets never do)."""
        self.ip_addrs = cidrs
        self.addresses = frozenset(c.address for c in cidrs)
        broadcasts = set()
        for c in cidrs:
            b = c.broadcast()  # type: ignore[attr-defined]
            if b is not None:
                broadcasts.add(b)
        self.broadcasts = frozenset(broadcasts)
        prefixes = []
        for c in cidrs:
            mask = int(c.netmask())  # type: ignore[attr-defined]
            prefixes.append((type(c.address), int(c.address) & mask, mask))
        self._prefixes = tuple(prefixes)
        self._forget()

    def _forget(self) -> None:
        """Drop what is derived from the addresses, their state and the hardware address."""
        self._source_cache = {}
        self._unicast_v6 = None
        self._source_cache_hw = self.hardware_addr

    def ipv6_unicast_addrs(self) -> tuple[Ipv6Address, ...]:
        """Return the interface's IPv6 unicast addresses (`addresses.ipv6_unicast_addrs`),
        computed once per change of the addresses: ingress asks for every IPv6 packet."""
        if self._source_cache_hw is not self.hardware_addr:
            self._forget()
        u = self._unicast_v6
        if u is None:
            u = self._unicast_v6 = ipv6_unicast_addrs(
                self.hardware_addr, self.ip_addrs, self.unusable
            )
        return u

    def path_mtu(self, dst_addr: IpAddress) -> int:
        """Return the largest IP packet that reaches ``dst_addr`` unfragmented, as far as the
        interface knows: ``ip_mtu``, or less after a "too big" error (RFC 1191, RFC 8201)."""
        pmtu = self.pmtu
        if not pmtu:
            return self.ip_mtu
        return pmtu.get(dst_addr, self.ip_mtu, self.now.micros)

    def has_ip_addr(self, addr: IpAddress) -> bool:
        """Return whether ``addr`` is one of the interface's addresses."""
        return addr in self.addresses

    def is_broadcast(self, addr: IpAddress) -> bool:
        """Return whether ``addr`` is the limited broadcast or one of our subnets' broadcasts."""
        return addr.is_broadcast or addr in self.broadcasts

    def in_same_network(self, addr: IpAddress) -> bool:
        """Return whether ``addr`` is on-link: inside one of the interface's prefixes.

        Ingress asks for every ARP packet (a broadcast reaches every host of a link): the
        prefixes are kept as ints, so the answer costs no call per prefix.
        """
        kind = type(addr)
        value = int(addr)
        # A loop, not any(): a generator per packet costs more than the test itself.
        for k, net, mask in self._prefixes:  # noqa: SIM110
            if k is kind and value & mask == net:
                return True
        return False

    def loopback_ok(self, src: IpAddress, dst: IpAddress) -> bool:
        """Return whether a packet from ``src`` to ``dst`` may leave this interface as far as
        loopback addresses (127/8, ::1) go, which never appear outside a host (RFC 1122
        3.2.1.3, RFC 4291 2.5.3): always when neither is one; otherwise only when each
        loopback end lies in the interface's own prefixes (a loopback interface holds it)
        and each other end is one of the interface's own addresses."""
        if not (src.is_loopback or dst.is_loopback):
            return True
        return all(
            self.in_same_network(a) if a.is_loopback else self.has_ip_addr(a) for a in (src, dst)
        )

    def get_source_address(self, dst_addr: IpAddress) -> IpAddress | None:
        """Return the address to send from to reach ``dst_addr``, or None if we have none.

        IPv6: by RFC 6724 5 (`select_source`) among the configured IPv6 addresses and, for a
        link-local destination, the link-local address formed from the hardware address
        (unless under duplicate address detection or found duplicated); a link-local source
        never leaves the link, so a wider destination gets it only from the configured ones.
        IPv4: the address of the first prefix that contains ``dst_addr``, else the first IPv4
        address that is no loopback one (the route goes through a router). None for a
        loopback destination (127/8, ::1) outside the interface's own prefixes: it never
        appears outside a host (RFC 1122 3.2.1.3, RFC 4291 2.5.3), and only a loopback
        interface, which holds it, reaches it. None for an IPv4-mapped IPv6 destination
        (``::ffff:a.b.c.d``), which never appears on the wire (RFC 4291 2.5.5.2).
        Cached per destination until the addresses, their state or the hardware address
        change.
        """
        if self._source_cache_hw is not self.hardware_addr:
            self._forget()
        cache = self._source_cache
        try:
            return cache[dst_addr]
        except KeyError:
            pass
        found: IpAddress | None
        if type(dst_addr) is Ipv6Address:
            found = None if dst_addr.is_ipv4_mapped else self._ipv6_source(dst_addr)
        else:
            found = None
            for c in self.ip_addrs:
                if c.contains_addr(dst_addr):
                    found = c.address
                    break
            if found is None:
                # (Never a loopback address: it would leave the host through the router.)
                for c in self.ip_addrs:
                    if c.address.version == dst_addr.version and not c.address.is_loopback:
                        found = c.address
                        break
        if found is not None and dst_addr.is_loopback and not self.in_same_network(dst_addr):
            found = None
        if len(cache) >= 1024:
            cache.clear()
        cache[dst_addr] = found
        return found

    def _ipv6_source(self, dst_addr: Ipv6Address) -> Ipv6Address | None:
        # ::1 (the int 1) only for ::1 itself: it never leaves a node (RFC 4291 2.5.3), so it
        # is no source for another destination (as no IPv4 loopback address is off-link).
        to_loopback = dst_addr._int == 1
        candidates = [
            (c.address, c.prefix_len)
            for c in self.ip_addrs
            if type(c.address) is Ipv6Address and (c.address._int != 1 or to_loopback)
        ]
        hw = self.hardware_addr
        if hw is not None and (dst_addr.is_link_local or dst_addr.multicast_scope == _LINK_SCOPE):
            ll = Ipv6Address.link_local_from_ethernet(hw)
            if ll not in self.unusable:
                # After the configured ones, which win ties (a link-local address chosen by
                # the user).
                candidates.append((ll, 64))
        return select_source(dst_addr, candidates, self.deprecated)

    def __repr__(self) -> str:
        addrs = ", ".join(str(c) for c in self.ip_addrs)
        return f"Context(ip_addrs=[{addrs}], ip_mtu={self.ip_mtu}, now={self.now})"
