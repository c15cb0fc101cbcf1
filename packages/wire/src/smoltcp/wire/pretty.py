"""Render a frame as text: one tcpdump-like line per layer, for tracers and the tcpdump example.

`pretty_print` never raises: a layer that does not parse is printed as ``(malformed: reason)``
(or ``(unsupported: reason)``) and the layers under it are not printed. Checksums are shown
as ``bad-cksum`` when wrong rather than stopping the dissection.
"""

from __future__ import annotations

from ._generated.icmpv6 import Icmpv6Message
from ._generated.ipv6 import VERSION_OCTET_SHIFT as _VERSION_SHIFT
from .address import IpAddress
from .arp import ArpPacket, ArpRepr
from .capabilities import ChecksumCapabilities, Medium
from .checksum import pseudo_header_sum
from .errors import MalformedPacket, UnsupportedPacket
from .ethernet import EthernetFrame, EthernetProtocol, EthernetRepr
from .icmpv4 import Icmpv4Packet, Icmpv4Repr
from .icmpv6 import Icmpv6Packet, Icmpv6Repr
from .ipv4 import IpProtocol, Ipv4Packet, Ipv4Repr
from .ipv6 import Ipv6Packet, Ipv6Repr
from .ipv6ext import walk_ext_headers
from .mld import Mldv2ReportRepr
from .ndp import NdpRepr
from .tcp import TcpPacket, TcpRepr
from .udp import UdpPacket, UdpRepr

__all__ = ["PrettyPrinter", "pretty_print"]

_NO_CHECKSUMS = ChecksumCapabilities.ignored()
_IPV6_VERSION = 6
_NDP = (
    Icmpv6Message.ROUTER_SOLICIT,
    Icmpv6Message.ROUTER_ADVERT,
    Icmpv6Message.NEIGHBOR_SOLICIT,
    Icmpv6Message.NEIGHBOR_ADVERT,
    Icmpv6Message.REDIRECT,
)


def _problem(layer: str, exc: Exception) -> str:
    if isinstance(exc, UnsupportedPacket):
        return f"{layer} (unsupported: {exc.field}: {exc.reason})"
    if isinstance(exc, MalformedPacket):
        return f"{layer} (malformed: {exc.field}: {exc.reason})"
    # Only a bug in this package gets here; the printer still must not raise.
    return f"{layer} (malformed: {type(exc).__name__}: {exc})"


def _cksum_note(
    ok: bool, checksum: int, src: IpAddress, dst: IpAddress, proto: int, length: int
) -> str:
    if ok:
        return ""
    # With checksum offload the sender's kernel leaves only the pseudo-header sum in the field
    # (Linux CHECKSUM_PARTIAL) for the device to finish: captures on the sending host show it.
    if checksum == pseudo_header_sum(src, dst, proto, length):
        return " cksum-partial"
    return " bad-cksum"


def _transport(
    lines: list[str], proto: int, segment: memoryview, src: IpAddress, dst: IpAddress
) -> None:
    if proto == IpProtocol.TCP:
        try:
            tcp = TcpPacket(segment)
            tcp_repr = TcpRepr.parse(tcp, src, dst, _NO_CHECKSUMS)
        except Exception as exc:
            lines.append(_problem("TCP", exc))
            return
        note = _cksum_note(tcp.verify_checksum(src, dst), tcp.checksum, src, dst, 6, len(segment))
        lines.append(f"{tcp_repr}{note}")
    elif proto == IpProtocol.UDP:
        try:
            udp = UdpPacket(segment)
            udp_repr = UdpRepr.parse(udp, src, dst, _NO_CHECKSUMS)
        except Exception as exc:
            lines.append(_problem("UDP", exc))
            return
        note = _cksum_note(udp.verify_checksum(src, dst), udp.checksum, src, dst, 17, udp.len)
        lines.append(f"{udp_repr}{note}")
    elif proto == IpProtocol.ICMP:
        try:
            icmp = Icmpv4Packet(segment)
            icmp_repr = Icmpv4Repr.parse(icmp, _NO_CHECKSUMS)
        except Exception as exc:
            lines.append(_problem("ICMPv4", exc))
            return
        bad = "" if icmp.verify_checksum() else " bad-cksum"
        lines.append(f"{icmp_repr}{bad}")
    elif proto == IpProtocol.ICMPV6:
        _icmpv6(lines, segment, src, dst)


def _icmpv6(lines: list[str], segment: memoryview, src: IpAddress, dst: IpAddress) -> None:
    try:
        icmp = Icmpv6Packet(segment)
        icmp_repr = Icmpv6Repr.parse(icmp, src, dst, _NO_CHECKSUMS)
        shown: object = icmp_repr
        if icmp_repr.message in _NDP:
            shown = NdpRepr.parse_buffer(segment)
        elif icmp_repr.message == Icmpv6Message.MLDV2_REPORT:
            shown = Mldv2ReportRepr.parse_buffer(segment)
    except Exception as exc:
        lines.append(_problem("ICMPv6", exc))
        return
    bad = "" if icmp.verify_checksum(src, dst) else " bad-cksum"
    lines.append(f"{shown}{bad}")


def _ipv6(lines: list[str], packet: memoryview) -> None:
    try:
        ip = Ipv6Packet(packet)
        ip_repr = Ipv6Repr.parse(ip)
        payload = ip.payload
        chain = walk_ext_headers(payload, ip_repr.next_header)
    except Exception as exc:
        lines.append(_problem("IPv6", exc))
        return
    lines.append(str(ip_repr))
    lines.extend(f"  ext {h.kind.name} len={h.length}" for h in chain.headers)
    frag = chain.fragment
    if frag is not None and (frag.frag_offset or frag.more_frags):
        lines.append(f"(fragment offset={frag.frag_offset} more={frag.more_frags})")
        return
    segment = payload[chain.offset :]
    _transport(lines, chain.next_header, segment, ip_repr.src_addr, ip_repr.dst_addr)


def _ip(lines: list[str], packet: memoryview) -> None:
    if len(packet) and packet[0] >> _VERSION_SHIFT == _IPV6_VERSION:
        _ipv6(lines, packet)
        return
    try:
        ip = Ipv4Packet(packet)
        ip_repr = Ipv4Repr.parse(ip, _NO_CHECKSUMS)
    except Exception as exc:
        lines.append(_problem("IPv4", exc))
        return
    extra = ""
    if ip.header_len > 20:
        extra += f" options={bytes(ip.options).hex()}"
    if not ip.verify_checksum():
        extra += " bad-cksum"
    lines.append(f"{ip_repr}{extra}")
    if ip_repr.frag_offset:
        return  # a later fragment: no transport header here
    payload = ip.payload
    if ip_repr.more_frags:
        lines.append(f"(first fragment, {len(payload)} octets)")
        return
    _transport(lines, ip_repr.next_header, payload, ip_repr.src_addr, ip_repr.dst_addr)


def pretty_print(frame: bytes | bytearray | memoryview, medium: Medium = Medium.ETHERNET) -> str:
    """Return ``frame`` rendered as one line per layer (joined by newlines); never raise."""
    lines: list[str] = []
    try:
        view = memoryview(frame)
        if medium is Medium.IP:
            _ip(lines, view)
        else:
            try:
                eth = EthernetFrame(view)
                eth_repr = EthernetRepr.parse(eth)
            except Exception as exc:
                lines.append(_problem("EthernetII", exc))
            else:
                lines.append(str(eth_repr))
                if eth_repr.ethertype == EthernetProtocol.IPV4:
                    _ip(lines, eth.payload)
                elif eth_repr.ethertype == EthernetProtocol.ARP:
                    try:
                        lines.append(str(ArpRepr.parse(ArpPacket(eth.payload))))
                    except Exception as exc:
                        lines.append(_problem("ARP", exc))
                elif eth_repr.ethertype == EthernetProtocol.IPV6:
                    _ipv6(lines, eth.payload)
    except Exception as exc:  # the printer is a diagnostic tool: it must never fail
        lines.append(_problem("frame", exc))
    return "\n".join(lines)


class PrettyPrinter:
    """Render frames of one medium; ``PrettyPrinter(medium).format(frame)`` = `pretty_print`."""

    __slots__ = ("medium",)

    def __init__(self, medium: Medium = Medium.ETHERNET) -> None:
        self.medium = medium

    def format(self, frame: bytes | bytearray | memoryview) -> str:
        """Return ``frame`` rendered as text; never raise."""
        return pretty_print(frame, self.medium)
