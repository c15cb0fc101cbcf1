"""Every frame of the kernel captures in ``tests/data/`` parses, and re-emits byte-identically
from its representations where the format allows.

Frames that cannot be re-emitted from representations, and why:
- IPv6 frames: the IPv4 parser must refuse them as `UnsupportedPacket` (their own round trips
  are in ``test_ipv6.py``).
- IPv4 headers with options (Record Route, Timestamp): `Ipv4Repr` has no options; the header is
  compared without them and the payload after them.
- Fragments: each header re-emits; the transport layer is parsed and re-emitted from the
  datagram the test reassembles (no single fragment holds it).
Segments sent with checksum offload carry only the pseudo-header sum in their TCP/UDP checksum
(Linux CHECKSUM_PARTIAL); they are parsed without verifying, and the test checks that the field
holds exactly that partial sum.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
from wire_testlib import CAPTURES, read_pcap

from smoltcp.wire import (
    ArpPacket,
    ArpRepr,
    Checksum,
    ChecksumCapabilities,
    EthernetFrame,
    EthernetProtocol,
    EthernetRepr,
    Icmpv4Message,
    Icmpv4Packet,
    Icmpv4Repr,
    IpProtocol,
    Ipv4Address,
    Ipv4Packet,
    Ipv4Repr,
    Medium,
    TcpPacket,
    TcpRepr,
    UdpPacket,
    UdpRepr,
    UnsupportedPacket,
    pretty_print,
    pseudo_header_sum,
)

CAPS = ChecksumCapabilities()
PCAPS = sorted(CAPTURES.glob("*.pcap")) if CAPTURES.is_dir() else []
pytestmark = pytest.mark.skipif(not PCAPS, reason=f"no captures in {CAPTURES}")


def _transport(
    proto: int, segment: bytes, src: Ipv4Address, dst: Ipv4Address, seen: collections.Counter
) -> bytes:
    """Parse a whole transport message and return it re-emitted from its representation."""
    out = bytearray(len(segment))
    if proto == IpProtocol.TCP:
        packet = TcpPacket(segment)
        caps = CAPS
        if not packet.verify_checksum(src, dst):
            assert packet.checksum == pseudo_header_sum(src, dst, 6, len(segment))
            caps = CAPS._replace(tcp=Checksum.TX)
            seen["checksum offloaded"] += 1
        r = TcpRepr.parse(packet, src, dst, caps)
        r.emit(TcpPacket.new_unchecked(out), src, dst, caps)
        if caps is not CAPS:
            TcpPacket.new_unchecked(out).checksum = packet.checksum
        seen["tcp"] += 1
        seen.update(
            name
            for name, present in (
                ("tcp mss", r.max_seg_size is not None),
                ("tcp window scale", r.window_scale is not None),
                ("tcp sack permitted", r.sack_permitted),
                ("tcp timestamps", r.timestamp is not None),
                ("tcp sack blocks", bool(r.sack_ranges)),
            )
            if present
        )
    elif proto == IpProtocol.UDP:
        packet = UdpPacket(segment)
        caps = CAPS
        if not packet.verify_checksum(src, dst):
            assert packet.checksum == pseudo_header_sum(src, dst, 17, len(segment))
            caps = CAPS._replace(udp=Checksum.TX)
            seen["checksum offloaded"] += 1
        r = UdpRepr.parse(packet, src, dst, caps)
        r.emit(UdpPacket.new_unchecked(out), src, dst, caps)
        if caps is not CAPS:
            UdpPacket.new_unchecked(out).checksum = packet.checksum
        seen["udp"] += 1
    elif proto == IpProtocol.ICMP:
        r = Icmpv4Repr.parse(Icmpv4Packet(segment), CAPS)
        r.emit(Icmpv4Packet.new_unchecked(out), CAPS)
        seen["icmp echo" if r.header is None else "icmp error"] += 1
        assert r.header is not None or r.message in (
            Icmpv4Message.ECHO_REQUEST,
            Icmpv4Message.ECHO_REPLY,
        )
    else:
        pytest.fail(f"unexpected protocol {proto}")
    return bytes(out)


def check_capture(path: Path) -> collections.Counter:
    seen: collections.Counter = collections.Counter()
    fragments: dict[tuple, dict[int, bytes]] = collections.defaultdict(dict)
    for index, frame in enumerate(read_pcap(path)):
        where = f"{path.name} frame {index}"
        eth = EthernetFrame(frame)
        eth_repr = EthernetRepr.parse(eth)
        out = bytearray(len(frame))
        eth_repr.emit(EthernetFrame.new_unchecked(out))
        assert out[:14] == frame[:14], where
        assert pretty_print(frame, Medium.ETHERNET).startswith("EthernetII"), where
        if eth_repr.ethertype == EthernetProtocol.IPV6:
            with pytest.raises(UnsupportedPacket):
                Ipv4Packet(eth.payload)
            seen["ipv6 unsupported"] += 1
            continue
        if eth_repr.ethertype == EthernetProtocol.ARP:
            arp_repr = ArpRepr.parse(ArpPacket(eth.payload))
            arp_repr.emit(ArpPacket.new_unchecked(memoryview(out)[14:]))
            assert out[:42] == frame[:42] and not any(frame[42:]), where
            seen["arp"] += 1
            continue
        assert eth_repr.ethertype == EthernetProtocol.IPV4, where
        ip = Ipv4Packet(eth.payload)
        ip_repr = Ipv4Repr.parse(ip, CAPS)
        header = bytearray(20)
        ip_repr.emit(Ipv4Packet.new_unchecked(header), CAPS)
        raw = bytes(ip.buffer[: ip.header_len])
        if ip.header_len == 20:
            assert header == raw, where
        else:
            # No options in Ipv4Repr: compare all but IHL, total length and checksum.
            seen["ipv4 options (not re-emittable)"] += 1
            assert header[1:2] + header[4:10] + header[12:] == raw[1:2] + raw[4:10] + raw[12:20]
            assert len(header) + ip_repr.payload_len + len(ip.options) == ip.total_len
        payload = bytes(ip.payload)
        key = (ip_repr.src_addr, ip_repr.dst_addr, ip_repr.ident, ip_repr.next_header)
        if ip_repr.more_frags or ip_repr.frag_offset:
            seen["ipv4 fragment"] += 1
            fragments[key][ip_repr.frag_offset] = payload
            if ip_repr.more_frags:
                continue
            parts = fragments.pop(key)
            datagram = b""
            for offset in sorted(parts):
                assert offset == len(datagram), where
                datagram += parts[offset]
            payload = datagram
            seen["reassembled"] += 1
        emitted = _transport(ip_repr.next_header, payload, ip_repr.src_addr, ip_repr.dst_addr, seen)
        assert emitted == payload, where
    assert not fragments, f"{path.name}: incomplete datagrams {list(fragments)}"
    return seen


@pytest.mark.parametrize("path", PCAPS, ids=[p.name for p in PCAPS])
def test_capture_parses_and_reemits(path: Path) -> None:
    seen = check_capture(path)
    assert seen["tcp"] + seen["udp"] + seen["arp"] > 0


def test_captures_cover_what_the_issue_promises() -> None:
    seen: collections.Counter = collections.Counter()
    for path in PCAPS:
        seen += check_capture(path)
    for kind in (
        "arp",
        "icmp echo",
        "icmp error",
        "ipv4 options (not re-emittable)",
        "ipv4 fragment",
        "reassembled",
        "udp",
        "tcp",
        "tcp mss",
        "tcp window scale",
        "tcp sack permitted",
        "tcp timestamps",
        "tcp sack blocks",
        "ipv6 unsupported",
    ):
        assert seen[kind] > 0, f"no {kind} in the captures: {dict(seen)}"
