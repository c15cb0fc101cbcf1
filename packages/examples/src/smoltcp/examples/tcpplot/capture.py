"""Read TCP segments out of a libpcap capture: Ethernet, raw IP and Linux cooked link types.

`read_segments` yields one `CapturedSegment` per IPv4 TCP segment, parsed by `smoltcp.wire`
(checksums are not verified: a capture taken on the sending host holds segments whose
checksum the network card fills in later). Frames of other protocols, IPv6 (which
`smoltcp.wire` does not parse) and IP fragments are counted in `CaptureStats`, not returned.

The file format is the classic libpcap one (either byte order, microsecond or nanosecond
timestamps) or pcapng (what Wireshark writes). A file that is neither, an unknown link type,
or a record running past the end of the file raises `CaptureError` with a message meant for
the user.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

from smoltcp.wire import (
    ChecksumCapabilities,
    IpProtocol,
    Ipv4Repr,
    MalformedPacket,
    TcpRepr,
)

__all__ = ["LINK_TYPES", "CaptureError", "CaptureStats", "CapturedSegment", "read_segments"]

# Link types (https://www.tcpdump.org/linktypes.html) and their names in messages.
LINK_ETHERNET = 1
LINK_RAW = 101
LINK_LINUX_SLL = 113
LINK_IPV4 = 228
LINK_LINUX_SLL2 = 276
LINK_TYPES = {
    LINK_ETHERNET: "Ethernet",
    LINK_RAW: "raw IP",
    LINK_LINUX_SLL: "Linux cooked (SLL)",
    LINK_IPV4: "raw IPv4",
    LINK_LINUX_SLL2: "Linux cooked v2 (SLL2)",
}

_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1_000),  # little-endian, microseconds
    b"\xa1\xb2\xc3\xd4": (">", 1_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1),  # nanoseconds
    b"\xa1\xb2\x3c\x4d": (">", 1),
}
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
_ETHERTYPE_IPV4 = 0x0800
_ETHERTYPE_IPV6 = 0x86DD
_ETHERTYPE_VLAN = (0x8100, 0x88A8)
_NO_CHECKSUMS = ChecksumCapabilities.ignored()


class CaptureError(Exception):
    """A capture that cannot be read; the message says what is wrong with it."""


class CapturedSegment(NamedTuple):
    """One TCP segment from the capture: frame number (from 1), time in ns, addresses, segment.

    ``tcp.payload`` is left empty (a capture may hold only the headers): ``payload_len`` is
    the segment's payload length from the IP header.
    """

    frame: int
    time_ns: int
    src: str
    dst: str
    tcp: TcpRepr
    payload_len: int


@dataclass
class CaptureStats:
    """What the reader saw besides the IPv4 TCP segments it returned."""

    format: str = "pcap"
    link_type: int = 0
    frames: int = 0
    tcp: int = 0
    ipv6: int = 0
    other: int = 0
    fragments: int = 0
    malformed: int = 0
    notes: list[str] = field(default_factory=list)


def _network_payload(link: int, frame: bytes) -> tuple[int, memoryview] | None:
    """Return (ethertype, network-layer octets) of ``frame``, or None when it has none."""
    view = memoryview(frame)
    if link == LINK_ETHERNET:
        if len(view) < 14:
            return None
        ethertype = int.from_bytes(view[12:14], "big")
        offset = 14
        while ethertype in _ETHERTYPE_VLAN and len(view) >= offset + 4:
            ethertype = int.from_bytes(view[offset + 2 : offset + 4], "big")
            offset += 4
        return ethertype, view[offset:]
    if link in (LINK_RAW, LINK_IPV4):
        if not view:
            return None
        version = view[0] >> 4
        return (_ETHERTYPE_IPV4 if version == 4 else _ETHERTYPE_IPV6 if version == 6 else 0), view
    if link == LINK_LINUX_SLL:
        if len(view) < 16:
            return None
        return int.from_bytes(view[14:16], "big"), view[16:]
    if link == LINK_LINUX_SLL2:
        if len(view) < 20:
            return None
        return int.from_bytes(view[0:2], "big"), view[20:]
    return None  # pragma: no cover - the link type was checked in read_segments


def read_segments(stream: BinaryIO, stats: CaptureStats | None = None) -> Iterator[CapturedSegment]:
    """Yield the IPv4 TCP segments of the capture ``stream`` (pcap or pcapng), in file order.

    ``stats`` (when given) is filled in as the file is read. Raise `CaptureError` when the
    stream is neither a pcap nor a pcapng file, a classic pcap's link type is not one of
    `LINK_TYPES` (a pcapng interface with another link type only has its packets counted as
    other), or the file ends inside a record.
    """
    stats = stats if stats is not None else CaptureStats()
    magic = stream.read(4)
    if magic == _PCAPNG_MAGIC:
        stats.format = "pcapng"
        packets = _pcapng_packets(stream, stats)
    elif magic in _MAGIC:
        packets = _pcap_packets(stream, magic, stats)
    else:
        raise CaptureError("not a pcap file (no libpcap or pcapng magic number)")
    for number, link, time_ns, frame, snapped in packets:
        stats.frames += 1
        if link not in LINK_TYPES:
            stats.other += 1
            continue
        segment = _segment(link, frame, snapped, number, time_ns, stats)
        if segment is not None:
            stats.tcp += 1
            yield segment


_Packet = tuple[int, int, int, bytes, bool]  # number, link type, time in ns, frame, snapped


def _pcap_packets(stream: BinaryIO, magic: bytes, stats: CaptureStats) -> Iterator[_Packet]:
    order, ns_per_unit = _MAGIC[magic]
    header = stream.read(20)
    if len(header) < 20:
        raise CaptureError("truncated capture: the file header is cut short")
    _major, _minor, _zone, _sigfigs, _snaplen, link = struct.unpack(order + "HHiIII", header)
    link &= 0x0FFFFFFF  # the upper bits may carry an FCS length (pcap-savefile(5))
    if link not in LINK_TYPES:
        names = ", ".join(f"{k} ({v})" for k, v in LINK_TYPES.items())
        raise CaptureError(f"link type {link} is not supported (supported: {names})")
    stats.link_type = link
    record = struct.Struct(order + "IIII")
    number = 0
    while True:
        head = stream.read(16)
        if not head:
            return
        number += 1
        if len(head) < 16:
            raise CaptureError(f"truncated capture: record {number} header is cut short")
        secs, frac, incl_len, orig_len = record.unpack(head)
        frame = stream.read(incl_len)
        if len(frame) < incl_len:
            raise CaptureError(
                f"truncated capture: record {number} needs {incl_len} octets, "
                f"the file has {len(frame)} left"
            )
        yield number, link, secs * 1_000_000_000 + frac * ns_per_unit, frame, orig_len > incl_len


# pcapng (draft-ietf-opsawg-pcapng) block types.
_SHB, _IDB, _OPB, _SPB, _EPB = 0x0A0D0D0A, 1, 2, 3, 6
_BYTE_ORDER_MAGIC = 0x1A2B3C4D
_IF_TSRESOL = 9


def _to_ns(ts: int, resol: int) -> int:
    """Return timestamp ``ts`` in nanoseconds, ``resol`` being the raw if_tsresol octet."""
    if resol & 0x80:
        return (ts * 1_000_000_000) >> (resol & 0x7F)
    # (int ** int is typed as Any: a negative exponent would give a float.)
    if resol <= 9:
        scale: int = 10 ** (9 - resol)
        return ts * scale
    divisor: int = 10 ** (resol - 9)
    return ts // divisor


def _tsresol(order: str, options: bytes) -> int:
    i = 0
    while i + 4 <= len(options):
        code, length = struct.unpack_from(order + "HH", options, i)
        if code == 0:
            break
        if code == _IF_TSRESOL and length >= 1 and i + 5 <= len(options):
            return options[i + 4]
        i += 4 + (length + 3) // 4 * 4
    return 6  # microseconds, the default


def _pcapng_packets(stream: BinaryIO, stats: CaptureStats) -> Iterator[_Packet]:
    order = "<"
    interfaces: list[tuple[int, int, int]] = []  # link type, snap length, if_tsresol
    number = 0
    block_number = 0
    block_type = _SHB
    first = True
    while True:
        if first:
            head = _PCAPNG_MAGIC + stream.read(4)
        else:
            head = stream.read(8)
            if not head:
                return
        block_number += 1
        if len(head) < 8:
            raise CaptureError(f"truncated capture: block {block_number} header is cut short")
        if first or head[:4] == _PCAPNG_MAGIC:
            # A section header: its byte-order magic says how to read everything up to the next.
            magic = stream.read(4)
            if len(magic) < 4:
                raise CaptureError("truncated capture: the section header is cut short")
            order = "<" if struct.unpack("<I", magic)[0] == _BYTE_ORDER_MAGIC else ">"
            if struct.unpack(order + "I", magic)[0] != _BYTE_ORDER_MAGIC:
                raise CaptureError("not a pcapng file (bad byte-order magic)")
            block_type = _SHB
            total = struct.unpack(order + "I", head[4:8])[0]
            body_len = total - 16
            interfaces = []
            first = False
        else:
            block_type, total = struct.unpack(order + "II", head)
            body_len = total - 12
        if total % 4 or body_len < 0:
            raise CaptureError(f"block {block_number}: bad length {total}")
        body = stream.read(body_len + 4)
        if len(body) < body_len + 4:
            raise CaptureError(
                f"truncated capture: block {block_number} needs {total} octets, "
                f"the file has {len(body) + len(head)} left"
            )
        body = body[:body_len]
        if block_type == _IDB and len(body) >= 8:
            link, _reserved, snaplen = struct.unpack_from(order + "HHI", body)
            interfaces.append((link, snaplen, _tsresol(order, body[8:])))
            if not stats.link_type:
                stats.link_type = link
            if link not in LINK_TYPES and len(stats.notes) < 5:
                stats.notes.append(f"interface {len(interfaces) - 1}: link type {link} skipped")
        elif block_type in (_EPB, _OPB) and len(body) >= 20:
            if block_type == _EPB:
                iface, high, low, cap_len, orig_len = struct.unpack_from(order + "IIIII", body)
            else:
                iface, _drops, high, low, cap_len, orig_len = struct.unpack_from(
                    order + "HHIIII", body
                )
            if iface >= len(interfaces) or 20 + cap_len > len(body):
                raise CaptureError(f"block {block_number}: bad packet block")
            link, _snaplen, resol = interfaces[iface]
            number += 1
            time_ns = _to_ns((high << 32) | low, resol)
            yield number, link, time_ns, body[20 : 20 + cap_len], orig_len > cap_len
        elif block_type == _SPB and len(body) >= 4 and interfaces:
            (orig_len,) = struct.unpack_from(order + "I", body)
            link, snaplen, _resol = interfaces[0]
            cap_len = min(orig_len, snaplen or orig_len, len(body) - 4)
            number += 1
            # A simple packet block has no timestamp: it reads as time 0.
            yield number, link, 0, body[4 : 4 + cap_len], orig_len > cap_len


def _segment(
    link: int, frame: bytes, snapped: bool, number: int, time_ns: int, stats: CaptureStats
) -> CapturedSegment | None:
    found = _network_payload(link, frame)
    if found is None:
        stats.other += 1
        return None
    ethertype, packet = found
    if ethertype == _ETHERTYPE_IPV6:
        stats.ipv6 += 1
        return None
    if ethertype != _ETHERTYPE_IPV4:
        stats.other += 1
        return None
    if snapped and len(packet) >= 20:
        # Captured with a snap length: the headers are there, the payload is cut. Only the
        # payload's length matters here, so stand zeros in for the octets not captured.
        total_len = int.from_bytes(packet[2:4], "big")
        if total_len > len(packet):
            packet = memoryview(bytes(packet) + bytes(total_len - len(packet)))
    try:
        ip = Ipv4Repr.parse_buffer(packet, _NO_CHECKSUMS)
        if ip.next_header != IpProtocol.TCP:
            stats.other += 1
            return None
        if ip.more_frags or ip.frag_offset:
            stats.fragments += 1
            return None
        start = (packet[0] & 0x0F) * 4
        tcp = TcpRepr.parse_buffer(
            packet[start : start + ip.payload_len], ip.src_addr, ip.dst_addr, _NO_CHECKSUMS
        )
    except MalformedPacket as exc:
        stats.malformed += 1
        if len(stats.notes) < 5:
            stats.notes.append(f"frame {number}: {exc}")
        return None
    length = len(tcp.payload)
    return CapturedSegment(
        number, time_ns, str(ip.src_addr), str(ip.dst_addr), tcp._replace(payload=b""), length
    )
