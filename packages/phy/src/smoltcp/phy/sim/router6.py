"""The IPv6 half of the simulated router: forwarding (RFC 8200), ICMPv6 errors, neighbours.

`Ipv6Forwarder` forwards every IPv6 packet not addressed to the router to the next hop of the
longest matching prefix (connected prefixes first, then static routes):

- the hop limit is decremented (RFC 8200 3); a packet whose hop limit would reach zero is
  dropped with an ICMPv6 time exceeded, code 0, to its source (RFC 4443 3.3);
- a router never fragments (RFC 8200 5): a packet larger than the outgoing link's MTU is
  dropped with an ICMPv6 packet too big carrying that MTU (RFC 4443 3.2), so that the source's
  path MTU discovery (RFC 8201) can run across it;
- no route: ICMPv6 destination unreachable, no route (code 0, RFC 4443 3.1);
- echo requests to the router's own addresses are answered.

Next hops are resolved with Neighbor Discovery (RFC 4861 7.2): a neighbour solicitation to the
solicited-node group, packets queued (a few per neighbour) until the advertisement comes; the
router answers solicitations for its own addresses with advertisements that have the router
flag set, and learns the soliciting host's link-layer address. ICMPv6 errors are never sent
about an ICMPv6 error or a packet sent to a multicast address (RFC 4443 2.4 (e)).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smoltcp.wire import EthernetAddress, Ipv6Address, Ipv6Cidr
from smoltcp.wire.ethernet import EthernetProtocol, EthernetRepr
from smoltcp.wire.icmpv6 import NDP_HOP_LIMIT, Icmpv6Message, Icmpv6Repr
from smoltcp.wire.ipv4 import IpProtocol
from smoltcp.wire.ipv6 import Ipv6Repr
from smoltcp.wire.ndp import NdpRepr

from .link import Port

__all__ = ["Ipv6Forwarder"]

_IP6 = 40
_HOP_LIMIT_AT = 7  # the hop limit's octet in the fixed header (RFC 8200 3)
_ND_QUEUE = 16
_ND_RETRY_US = 1_000_000
# RFC 4443 3.1 and 3.3: the codes the router sends.
_NO_ROUTE = 0
_HOP_LIMIT_EXCEEDED = 0
_ERRORS = frozenset(
    {
        Icmpv6Message.DST_UNREACHABLE,
        Icmpv6Message.PKT_TOO_BIG,
        Icmpv6Message.TIME_EXCEEDED,
        Icmpv6Message.PARAM_PROBLEM,
    }
)


@dataclass
class _If6:
    port: Port
    mac: EthernetAddress
    mtu: int
    cidrs: list[Ipv6Cidr] = field(default_factory=list)

    @property
    def link_local(self) -> Ipv6Address:
        return Ipv6Address.link_local_from_ethernet(self.mac)

    def addresses(self) -> list[Ipv6Address]:
        own: list[Ipv6Address] = [c.address for c in self.cidrs]
        return [*own, self.link_local]


class Ipv6Forwarder:
    """The IPv6 forwarding of one router; ``counters`` is the router's `RouterCounters`."""

    def __init__(self, counters: Any, hop_limit: int = 64) -> None:
        self.counters = counters
        self.hop_limit = hop_limit
        self._ifs: dict[Port, _If6] = {}
        self._own: dict[Ipv6Address, _If6] = {}
        self._routes: list[tuple[Ipv6Cidr, Ipv6Address]] = []
        self._neighbors: dict[Ipv6Address, bytes] = {}
        self._pending: dict[Ipv6Address, deque[tuple[_If6, bytearray]]] = {}
        self._asked: dict[Ipv6Address, int] = {}

    def set_interface(self, port: Port, mac: EthernetAddress, cidr: Ipv6Cidr) -> None:
        """Give ``port`` the address ``cidr`` (its link-local address comes from ``mac``)."""
        rif = self._ifs.get(port)
        if rif is None:
            rif = self._ifs[port] = _If6(port, mac, port.spec.mtu)
        rif.mac = mac
        rif.cidrs.append(cidr)
        self._own = {addr: r for r in self._ifs.values() for addr in r.addresses()}

    def add_route(self, cidr: Ipv6Cidr, via: Ipv6Address) -> None:
        """Reach ``cidr`` through the neighbouring router ``via`` (in a connected prefix)."""
        self._routes.append((cidr.network(), via))
        self._routes.sort(key=lambda r: -r[0].prefix_len)

    def handles(self, port: Port) -> bool:
        """Whether ``port`` has an IPv6 address."""
        return port in self._ifs

    # -- receive ------------------------------------------------------------------------------

    def receive(self, port: Port, dst_mac: EthernetAddress, payload: memoryview, now: int) -> None:
        """Handle the IPv6 packet ``payload`` of a frame to ``dst_mac`` arriving on ``port``.

        Raise `MalformedPacket` or ValueError for a malformed packet (the router counts it).
        """
        rif = self._ifs.get(port)
        if rif is None:
            self.counters.not_ipv4 += 1
            return
        ipr = Ipv6Repr.parse_buffer(payload)
        packet = payload[: _IP6 + ipr.payload_len]
        dst = ipr.dst_addr
        if dst.is_multicast:
            if ipr.next_header == IpProtocol.ICMPV6:
                self._local(rif, ipr, packet[_IP6:], now)
            return
        if dst in self._own:
            self._local(rif, ipr, packet[_IP6:], now)
            return
        if dst_mac != rif.mac:
            return  # for another station on a shared segment
        if ipr.src_addr.is_multicast or ipr.src_addr.is_unspecified or dst.is_link_local:
            return  # never forwarded (RFC 4291 2.5.6, 2.7)
        if ipr.hop_limit <= 1:
            self.counters.ttl_expired += 1
            self._error(rif, ipr, packet, Icmpv6Message.TIME_EXCEEDED, _HOP_LIMIT_EXCEEDED, now)
            return
        route = self._route(dst)
        if route is None:
            self.counters.no_route += 1
            self._error(rif, ipr, packet, Icmpv6Message.DST_UNREACHABLE, _NO_ROUTE, now)
            return
        out_if, hop = route
        if len(packet) > out_if.mtu:
            self.counters.too_big += 1
            self._error(rif, ipr, packet, Icmpv6Message.PKT_TOO_BIG, 0, now, out_if.mtu)
            return
        copy = bytearray(packet)
        copy[_HOP_LIMIT_AT] = ipr.hop_limit - 1  # no header checksum in IPv6
        self.counters.forwarded += 1
        self._forward(out_if, hop, copy, now)

    def _local(self, rif: _If6, ipr: Ipv6Repr, body: memoryview, now: int) -> None:
        if ipr.next_header != IpProtocol.ICMPV6:
            return
        icmp = Icmpv6Repr.parse_buffer(body, ipr.src_addr, ipr.dst_addr)
        message = icmp.message
        if message == Icmpv6Message.NEIGHBOR_SOLICIT:
            self._solicited(rif, ipr, body, now)
        elif message == Icmpv6Message.NEIGHBOR_ADVERT:
            if ipr.hop_limit != NDP_HOP_LIMIT:
                return  # RFC 4861 7.1.2: not from this link
            ndp = NdpRepr.parse_buffer(body)
            if ndp.target_ll_addr is not None:
                self._learn(ndp.target_addr, ndp.target_ll_addr._octets, now)
        elif message == Icmpv6Message.ECHO_REQUEST and not ipr.dst_addr.is_multicast:
            reply = Icmpv6Repr.echo_reply(icmp.ident, icmp.seq_no, bytes(icmp.data))
            self._originate(ipr.dst_addr, ipr.src_addr, reply.buffer_len(), reply.emit_buffer, now)

    def _solicited(self, rif: _If6, ipr: Ipv6Repr, body: memoryview, now: int) -> None:
        if ipr.hop_limit != NDP_HOP_LIMIT:
            return  # RFC 4861 7.1.1
        ndp = NdpRepr.parse_buffer(body)
        if ndp.target_addr not in rif.addresses():
            return
        if ipr.src_addr.is_unspecified:
            return  # duplicate address detection: the address is the router's, no answer
        if ndp.source_ll_addr is not None:
            self._learn(ipr.src_addr, ndp.source_ll_addr._octets, now)
        mac = self._neighbors.get(ipr.src_addr)
        if mac is None:
            return
        advert = NdpRepr(
            Icmpv6Message.NEIGHBOR_ADVERT,
            target_addr=ndp.target_addr,
            target_ll_addr=rif.mac,
            router=True,
            solicited=True,
            override=True,
        )
        self._emit(rif, mac, ndp.target_addr, ipr.src_addr, advert, NDP_HOP_LIMIT, now)

    def _learn(self, ip: Ipv6Address, mac: bytes, now: int) -> None:
        self._neighbors[ip] = mac
        self._asked.pop(ip, None)
        waiting = self._pending.pop(ip, None)
        if waiting:
            for out_if, packet in waiting:
                self._send_to(out_if, mac, packet, now)

    # -- routing and sending ------------------------------------------------------------------

    def _route(self, dst: Ipv6Address) -> tuple[_If6, Ipv6Address] | None:
        best: tuple[int, _If6] | None = None
        for rif in self._ifs.values():
            for cidr in rif.cidrs:
                if cidr.contains_addr(dst) and (best is None or cidr.prefix_len > best[0]):
                    best = (cidr.prefix_len, rif)
        if best is not None:
            return best[1], dst
        for net, gw in self._routes:
            if net.contains_addr(dst):
                for rif in self._ifs.values():
                    if any(c.contains_addr(gw) for c in rif.cidrs):
                        return rif, gw
        return None

    def _forward(self, out_if: _If6, hop: Ipv6Address, packet: bytearray, now: int) -> None:
        mac = self._neighbors.get(hop)
        if mac is not None:
            self._send_to(out_if, mac, packet, now)
            return
        waiting = self._pending.setdefault(hop, deque())
        if len(waiting) >= _ND_QUEUE:
            self.counters.arp_drops += 1
            waiting.popleft()
        waiting.append((out_if, packet))
        asked = self._asked.get(hop)
        if asked is None or now - asked >= _ND_RETRY_US:
            self._asked[hop] = now
            group = Ipv6Address.solicited_node(hop)
            solicit = NdpRepr(
                Icmpv6Message.NEIGHBOR_SOLICIT,
                target_addr=hop,
                source_ll_addr=out_if.mac,
            )
            src = self._source_for(out_if, hop)
            self._emit(out_if, group.multicast_mac, src, group, solicit, NDP_HOP_LIMIT, now)

    def _source_for(self, rif: _If6, dst: Ipv6Address) -> Ipv6Address:
        for cidr in rif.cidrs:
            if cidr.contains_addr(dst):
                return cidr.address
        return rif.cidrs[0].address if rif.cidrs else rif.link_local

    def _send_to(self, out_if: _If6, mac: bytes, packet: bytearray, now: int) -> None:
        header = EthernetRepr(out_if.mac, EthernetAddress(mac), EthernetProtocol.IPV6)
        out = bytearray(header.buffer_len() + len(packet))
        header.emit_buffer(out)
        out[header.buffer_len() :] = packet
        out_if.port.send(now, out)

    def _emit(
        self,
        rif: _If6,
        mac: bytes,
        src: Ipv6Address,
        dst: Ipv6Address,
        message: NdpRepr,
        hop_limit: int,
        now: int,
    ) -> None:
        length = message.buffer_len()
        packet = bytearray(_IP6 + length)
        Ipv6Repr(src, dst, IpProtocol.ICMPV6, length, hop_limit).emit_buffer(packet)
        message.emit_buffer(memoryview(packet)[_IP6:], src, dst)
        self._send_to(rif, mac, packet, now)

    def _error(
        self,
        rif: _If6,
        ipr: Ipv6Repr,
        packet: memoryview,
        message: Icmpv6Message,
        code: int,
        now: int,
        param: int = 0,
    ) -> None:
        if ipr.next_header == IpProtocol.ICMPV6 and len(packet) > _IP6:
            try:
                if Icmpv6Message(packet[_IP6]) in _ERRORS:
                    return  # never about an ICMPv6 error (RFC 4443 2.4 (e))
            except ValueError:
                pass
        error = Icmpv6Repr.error(message, code, ipr, bytes(packet[_IP6:]), param)
        src = self._source_for(rif, ipr.src_addr)
        self._originate(src, ipr.src_addr, error.buffer_len(), error.emit_buffer, now)

    def _originate(
        self,
        src: Ipv6Address,
        dst: Ipv6Address,
        length: int,
        emit: Callable[[memoryview, Ipv6Address, Ipv6Address], None],
        now: int,
    ) -> None:
        route = self._route(dst)
        if route is None:
            return
        out_if, hop = route
        packet = bytearray(_IP6 + length)
        Ipv6Repr(src, dst, IpProtocol.ICMPV6, length, self.hop_limit).emit_buffer(packet)
        emit(memoryview(packet)[_IP6:], src, dst)
        self.counters.icmp_sent += 1
        self._forward(out_if, hop, packet, now)
