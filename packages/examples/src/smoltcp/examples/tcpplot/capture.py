"""Read TCP segments out of a libpcap capture: Ethernet, raw IP and Linux cooked link types.

`read_segments` yields one `CapturedSegment` per IPv4 TCP segment, parsed by `smoltcp.wire`
(checksums are not verified: a capture taken on the sending host holds segments whose
checksum the network card fills in later). Frames of other protocols, IPv6 (which
`smoltcp.wire` does not parse) and IP fragments are counted in `CaptureStats`, not returned.

The file format is the classic libpcap one (either byte order, microsecond or nanosecond
timestamps). A file that is not one, an unknown link type, or a record running past the end of
the file raises `CaptureError` with a message meant for the user.
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

# Link types (https://www.tcpdump.org/linktypes.html) and the name given in messages.
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
    """Yield the IPv4 TCP segments of the pcap file ``stream``, in file order.

    ``stats`` (when given) is filled in as the file is read. Raise `CaptureError` when the
    stream is not a classic pcap file, its link type is not one of `LINK_TYPES`, or it ends
    inside a record.
    """
    stats = stats if stats is not None else CaptureStats()
    header = stream.read(24)
    if header[:4] == _PCAPNG_MAGIC:
        raise CaptureError(
            "a pcapng file; only classic pcap is read (convert it: editcap -F pcap IN OUT)"
        )
    if len(header) < 24 or header[:4] not in _MAGIC:
        raise CaptureError("not a pcap file (no libpcap magic number)")
    order, ns_per_unit = _MAGIC[header[:4]]
    _major, _minor, _zone, _sigfigs, _snaplen, link = struct.unpack(order + "HHiIII", header[4:])
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
        stats.frames += 1
        time_ns = secs * 1_000_000_000 + frac * ns_per_unit
        segment = _segment(link, frame, orig_len > incl_len, number, time_ns, stats)
        if segment is not None:
            stats.tcp += 1
            yield segment


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
