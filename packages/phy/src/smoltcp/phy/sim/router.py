"""An IPv4 router: a forwarding element between links, parsing and emitting with smoltcp.wire.

It is not a stack `Interface`: it has one address per attached link, answers ARP for them
(RFC 826) and learns the neighbours that ask, and forwards every IPv4 packet not addressed to
itself to the next hop of the longest matching prefix (its connected networks first, then
static routes), as RFC 1812 describes:

- the time to live is decremented and the header checksum rewritten (5.3.1); a packet whose
  time to live would reach zero is dropped with an ICMP time exceeded (code 0) to its source;
- a packet larger than the outgoing link's MTU is fragmented (RFC 791) unless DF is set; with
  DF it is dropped with an ICMP destination unreachable, fragmentation needed, that carries
  the next-hop MTU (RFC 1191 section 4), so path MTU discovery can run across it;
- no route: ICMP destination unreachable, network unreachable;
- echo requests to the router's own addresses are answered (ping, traceroute).

ICMP errors are never sent about an ICMP error, a fragment other than the first, or a
broadcast (RFC 1812 4.3.2.7). IPv6 is forwarded by `router6.Ipv6Forwarder` on the links
given an IPv6 address (same counters); IPv6 on other links is counted (``not_ipv4``) and
dropped.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from smoltcp.wire import EthernetAddress, IpAddress, IpCidr, Ipv4Address, Ipv4Cidr, Ipv6Cidr
from smoltcp.wire.arp import ArpOperation, ArpRepr
from smoltcp.wire.errors import MalformedPacket
from smoltcp.wire.ethernet import EthernetFrame, EthernetProtocol, EthernetRepr
from smoltcp.wire.icmpv4 import (
    Icmpv4DstUnreachable,
    Icmpv4Message,
    Icmpv4Packet,
    Icmpv4Repr,
    Icmpv4TimeExceeded,
)
from smoltcp.wire.ipv4 import IpProtocol, Ipv4Packet, Ipv4Repr

from .link import Port
from .router6 import Ipv6Forwarder
from .runner import Simulator

__all__ = ["Router", "RouterCounters"]

_ETH = 14
# RFC 792: an ICMP error quotes the offending header and the first 64 bits after it.
_QUOTED = 8
_ARP_QUEUE = 16
_ARP_RETRY_US = 1_000_000


class RouterCounters:
    """What the router did with the frames it received."""

    __slots__ = (
        "arp_drops",
        "forwarded",
        "fragments",
        "icmp_sent",
        "malformed",
        "no_route",
        "not_ipv4",
        "too_big",
        "ttl_expired",
    )

    def __init__(self) -> None:
        self.arp_drops = 0
        self.forwarded = 0
        self.fragments = 0
        self.icmp_sent = 0
        self.malformed = 0
        self.no_route = 0
        self.not_ipv4 = 0
        self.too_big = 0
        self.ttl_expired = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counters by name."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass
class _RouterIf:
    port: Port
    mac: EthernetAddress
    cidr: Ipv4Cidr
    mtu: int


class Router:
    """A router named ``name``; give each link's interface an address with `set_interface`.

    Build order: create the router, create the links (they attach ports), then call
    `set_interface` for each link and `add_route` for networks behind other routers.
    """

    takes_trains = False
    """A router forwards wire frames: a train towards it is cut (`smoltcp.phy.sim.link`)."""
    coalesces = False

    def __init__(self, sim: Simulator, name: str, *, hop_limit: int = 64) -> None:
        self.sim = sim
        self.name = name
        self.hop_limit = hop_limit
        self.counters = RouterCounters()
        self._ports: dict[str, Port] = {}
        self._ifs: dict[Port, _RouterIf] = {}
        self._routes: list[tuple[Ipv4Cidr, Ipv4Address]] = []
        self._neighbors: dict[Ipv4Address, bytes] = {}
        self._pending: dict[Ipv4Address, deque[tuple[Port, bytearray]]] = {}
        self._asked: dict[Ipv4Address, int] = {}
        self._ident = 0
        # Destination -> (interface, next hop): the routes change only while building.
        self._route_cache: dict[Ipv4Address, tuple[_RouterIf, Ipv4Address] | None] = {}
        self._v6 = Ipv6Forwarder(self.counters, hop_limit)

    def attach(self, port: Port) -> None:
        """Take ``port`` (called by `Link`); it has no address until `set_interface`."""
        self._ports[port.link] = port

    def set_interface(self, link: str, mac: EthernetAddress | str, cidr: IpCidr | str) -> None:
        """Give the router's end of link ``link`` the hardware address ``mac`` and ``cidr``.

        ``cidr`` is IPv4 (one per link) or IPv6 (the link then forwards IPv6 too; call once
        per IPv6 address; the link-local address follows from ``mac``).
        """
        port = self._ports.get(link)
        if port is None:
            raise ValueError(f"router {self.name} has no link named {link!r}")
        hw = mac if isinstance(mac, EthernetAddress) else EthernetAddress.parse(mac)
        net = cidr if isinstance(cidr, IpCidr) else IpCidr.parse(cidr)
        a = net.address
        if isinstance(net, Ipv4Cidr) and net.prefix_len < 31:
            # A subnet's directed broadcast and its network address name no host (RFC 1122
            # 3.2.1.3; a /31 has neither, RFC 3021).
            special: tuple[IpAddress | None, ...] = (net.broadcast(), net.network().address)
        else:
            special = ()
        if not a.is_unicast or a.is_loopback or getattr(a, "is_ipv4_mapped", False) or a in special:
            # Hosts would never reach it: the router would answer no ARP or NDP for it.
            raise ValueError(
                f"{net} cannot be an interface address (not unicast, loopback, IPv4-mapped, "
                "or the subnet's broadcast or network address)"
            )
        if isinstance(net, Ipv6Cidr):
            self._v6.set_interface(port, hw, net)
            return
        assert isinstance(net, Ipv4Cidr)
        self._ifs[port] = _RouterIf(port, hw, net, port.spec.mtu)
        self._route_cache.clear()

    def add_route(self, cidr: IpCidr | str, via: IpAddress | str) -> None:
        """Reach ``cidr`` through the neighbouring router ``via`` (both of one IP version)."""
        net = cidr if isinstance(cidr, IpCidr) else IpCidr.parse(cidr)
        gw = via if isinstance(via, IpAddress) else IpAddress.parse(via)
        if net.address.version != gw.version:
            raise ValueError(f"via {gw} is not of the IP version of {net}")
        if isinstance(net, Ipv6Cidr):
            self._v6.add_route(net, gw)  # type: ignore[arg-type]
            return
        assert isinstance(gw, Ipv4Address) and isinstance(net, Ipv4Cidr)
        self._routes.append((net.network(), gw))
        self._routes.sort(key=lambda r: -r[0].prefix_len)
        self._route_cache.clear()

    def add_neighbor(self, addr: Ipv4Address | str, mac: EthernetAddress | str) -> None:
        """Know ``addr``'s hardware address without asking (a static ARP entry)."""
        ip = addr if isinstance(addr, Ipv4Address) else Ipv4Address.parse(addr)
        hw = mac if isinstance(mac, EthernetAddress) else EthernetAddress.parse(mac)
        self._neighbors[ip] = hw._octets

    # -- receive ------------------------------------------------------------------------------

    def receive(self, port: Port, frame: bytearray, now: int) -> None:
        """Handle one frame arriving on ``port``; never raises for its content."""
        rif = self._ifs.get(port)
        if (rif is None and not self._v6.handles(port)) or len(frame) < _ETH:
            self.counters.malformed += 1
            return
        try:
            eth = EthernetFrame(frame)
            if eth.ethertype == EthernetProtocol.IPV6:
                self._v6.receive(port, eth.dst_addr, eth.payload, now)
                return
            if rif is None:
                self.counters.not_ipv4 += 1
                return
            dst = eth.dst_addr
            if dst != rif.mac and not dst.is_broadcast:
                return  # for another station on a shared segment
            ethertype = eth.ethertype
            if ethertype == EthernetProtocol.ARP:
                self._arp(rif, eth.payload, now)
            elif ethertype == EthernetProtocol.IPV4:
                if dst.is_broadcast:
                    return
                self._ipv4(rif, eth.payload, now)
            else:
                self.counters.not_ipv4 += 1
        except (MalformedPacket, ValueError):
            self.counters.malformed += 1

    def on_room(self, port: Port, now: int) -> None:
        """Router queues drop when full (drop-tail): nothing to resume."""

    def _arp(self, rif: _RouterIf, payload: memoryview, now: int) -> None:
        arp = ArpRepr.parse_buffer(payload)
        if arp.target_protocol_addr != rif.cidr.address:
            return
        self._learn(arp.source_protocol_addr, arp.source_hardware_addr._octets, now)
        if arp.operation == ArpOperation.REQUEST:
            reply = ArpRepr(
                ArpOperation.REPLY,
                rif.mac,
                rif.cidr.address,
                arp.source_hardware_addr,
                arp.source_protocol_addr,
            )
            out, body = _frame(
                arp.source_hardware_addr, rif.mac, EthernetProtocol.ARP, reply.buffer_len()
            )
            reply.emit_buffer(body)
            rif.port.send(now, out)

    def _learn(self, ip: Ipv4Address, mac: bytes, now: int) -> None:
        self._neighbors[ip] = mac
        waiting = self._pending.pop(ip, None)
        self._asked.pop(ip, None)
        if waiting:
            for port, packet in waiting:
                self._send_to(self._ifs[port], mac, packet, now)

    def _ipv4(self, rif: _RouterIf, payload: memoryview, now: int) -> None:
        ipr = Ipv4Repr.parse_buffer(payload)
        header_len = Ipv4Packet(payload).header_len
        total = header_len + ipr.payload_len
        packet = payload[:total]
        for own in self._ifs.values():
            if ipr.dst_addr == own.cidr.address:
                self._local(rif, ipr, packet[header_len:], now)
                return
        if ipr.hop_limit <= 1:
            self.counters.ttl_expired += 1
            self._icmp_error(
                rif, ipr, packet, Icmpv4Repr.time_exceeded, Icmpv4TimeExceeded.TTL_EXPIRED, now
            )
            return
        route = self._route(ipr.dst_addr)
        if route is None:
            self.counters.no_route += 1
            self._icmp_error(
                rif,
                ipr,
                packet,
                Icmpv4Repr.dst_unreachable,
                Icmpv4DstUnreachable.NET_UNREACHABLE,
                now,
            )
            return
        out_if, hop = route
        copy = bytearray(packet)
        forwarded = Ipv4Packet(copy)
        forwarded.hop_limit = ipr.hop_limit - 1  # RFC 1812 5.3.1, then the checksum again
        forwarded.fill_checksum()
        if total > out_if.mtu:
            if ipr.dont_frag:
                self.counters.too_big += 1
                self._icmp_error(
                    rif,
                    ipr,
                    packet,
                    Icmpv4Repr.dst_unreachable,
                    Icmpv4DstUnreachable.FRAG_REQUIRED,
                    now,
                    next_hop_mtu=out_if.mtu,
                )
                return
            for piece in _fragments(copy, header_len, out_if.mtu):
                self.counters.fragments += 1
                self._forward(out_if, hop, piece, now)
            return
        self.counters.forwarded += 1
        self._forward(out_if, hop, copy, now)

    def _local(self, rif: _RouterIf, ipr: Ipv4Repr, payload: memoryview, now: int) -> None:
        if ipr.next_header != IpProtocol.ICMP:
            return
        icmp = Icmpv4Repr.parse_buffer(payload)
        if icmp.message == Icmpv4Message.ECHO_REQUEST:
            reply = Icmpv4Repr.echo_reply(icmp.ident, icmp.seq_no, bytes(icmp.data))
            self._originate(ipr.dst_addr, ipr.src_addr, reply, now)

    def _route(self, dst: Ipv4Address) -> tuple[_RouterIf, Ipv4Address] | None:
        try:
            return self._route_cache[dst]
        except KeyError:
            pass
        if len(self._route_cache) >= 65536:
            self._route_cache.clear()  # bounded: a scan of addresses costs lookups, not memory
        found = self._route_cache[dst] = self._lookup(dst)
        return found

    def _lookup(self, dst: Ipv4Address) -> tuple[_RouterIf, Ipv4Address] | None:
        best: _RouterIf | None = None
        for rif in self._ifs.values():
            if rif.cidr.contains_addr(dst) and (
                best is None or rif.cidr.prefix_len > best.cidr.prefix_len
            ):
                best = rif
        if best is not None:
            return best, dst
        for net, gw in self._routes:
            if net.contains_addr(dst):
                for rif in self._ifs.values():
                    if rif.cidr.contains_addr(gw):
                        return rif, gw
        return None

    def _forward(self, out_if: _RouterIf, hop: Ipv4Address, packet: bytearray, now: int) -> None:
        mac = self._neighbors.get(hop)
        if mac is not None:
            self._send_to(out_if, mac, packet, now)
            return
        waiting = self._pending.setdefault(hop, deque())
        if len(waiting) >= _ARP_QUEUE:
            self.counters.arp_drops += 1
            waiting.popleft()
        waiting.append((out_if.port, packet))
        asked = self._asked.get(hop)
        if asked is None or now - asked >= _ARP_RETRY_US:
            self._asked[hop] = now
            request = ArpRepr(
                ArpOperation.REQUEST,
                out_if.mac,
                out_if.cidr.address,
                EthernetAddress(b"\x00" * 6),
                hop,
            )
            out, body = _frame(
                EthernetAddress.BROADCAST, out_if.mac, EthernetProtocol.ARP, request.buffer_len()
            )
            request.emit_buffer(body)
            out_if.port.send(now, out)

    def _send_to(self, out_if: _RouterIf, mac: bytes, packet: bytearray, now: int) -> None:
        out, body = _frame(EthernetAddress(mac), out_if.mac, EthernetProtocol.IPV4, len(packet))
        body[:] = packet
        out_if.port.send(now, out)

    def _icmp_error(
        self,
        rif: _RouterIf,
        ipr: Ipv4Repr,
        packet: memoryview,
        make: object,
        code: object,
        now: int,
        next_hop_mtu: int = 0,
    ) -> None:
        # RFC 1812 4.3.2.7: never about an ICMP error or a non-initial fragment.
        if ipr.frag_offset:
            return
        inner = Ipv4Packet(packet).payload
        if (
            ipr.next_header == IpProtocol.ICMP
            and len(inner) >= 4
            and Icmpv4Packet.new_unchecked(inner).msg_type
            not in (Icmpv4Message.ECHO_REQUEST, Icmpv4Message.ECHO_REPLY)
        ):
            return  # about an ICMP error: never
        quoted = bytes(inner[:_QUOTED])
        message = make(code, ipr, quoted)  # type: ignore[operator]
        if next_hop_mtu:
            message = message._replace(seq_no=next_hop_mtu)
        self._originate(rif.cidr.address, ipr.src_addr, message, now)

    def _originate(self, src: Ipv4Address, dst: Ipv4Address, icmp: Icmpv4Repr, now: int) -> None:
        route = self._route(dst)
        if route is None:
            return
        out_if, hop = route
        self._ident = (self._ident + 1) & 0xFFFF
        length = icmp.buffer_len()
        ipr = Ipv4Repr(
            src, dst, IpProtocol.ICMP, length, self.hop_limit, ident=self._ident, dont_frag=False
        )
        packet = bytearray(20 + length)
        ipr.emit_buffer(packet)
        icmp.emit_buffer(memoryview(packet)[20:])
        self.counters.icmp_sent += 1
        self._forward(out_if, hop, packet, now)

    def __repr__(self) -> str:
        addrs = ", ".join(str(r.cidr) for r in self._ifs.values())
        return f"Router({self.name} [{addrs}])"


def _frame(
    dst: EthernetAddress, src: EthernetAddress, ethertype: EthernetProtocol, length: int
) -> tuple[bytearray, memoryview]:
    """Return a new Ethernet frame with its header written and a view of its payload."""
    header = EthernetRepr(src, dst, ethertype)
    out = bytearray(header.buffer_len() + length)
    header.emit_buffer(out)
    return out, memoryview(out)[header.buffer_len() :]


def _fragments(packet: bytearray, header_len: int, mtu: int) -> list[bytearray]:
    """Cut ``packet`` into fragments of at most ``mtu`` octets (RFC 791 section 3.2).

    Each fragment gets a 20-octet header (options are not copied: the router cannot tell
    which ones must be) with the original's fields, its own offset and MF.
    """
    ipr = Ipv4Repr.parse_buffer(packet)
    payload = memoryview(packet)[header_len : header_len + ipr.payload_len]
    step = (mtu - 20) // 8 * 8
    pieces = []
    for offset in range(0, len(payload), step):
        chunk = payload[offset : offset + step]
        last = offset + step >= len(payload)
        part = ipr._replace(
            payload_len=len(chunk),
            frag_offset=ipr.frag_offset + offset,
            more_frags=ipr.more_frags or not last,
        )
        out = bytearray(20 + len(chunk))
        part.emit_buffer(out)
        out[20:] = chunk
        pieces.append(out)
    return pieces
