"""hypothesis round trips: ``parse(emit(r)) == r`` for every representation, and
``emit(parse(b)) == b`` for canonical bytes built independently with struct."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from wire_testlib import (
    arp_reprs,
    ethernet_reprs,
    ethertypes,
    icmpv4_reprs,
    ipv4_reprs,
    naive_checksum,
    pseudo,
    tcp_reprs,
    u8,
    u16,
    u32,
    udp_reprs,
)

from smoltcp.wire import (
    ArpPacket,
    ArpRepr,
    ChecksumCapabilities,
    EthernetFrame,
    EthernetRepr,
    Icmpv4Packet,
    Icmpv4Repr,
    Ipv4Address,
    Ipv4Packet,
    Ipv4Repr,
    TcpControl,
    TcpPacket,
    TcpRepr,
    UdpPacket,
    UdpRepr,
)

SRC = Ipv4Address("192.168.69.1")
DST = Ipv4Address("192.168.69.100")
CAPS = ChecksumCapabilities()


@given(ethernet_reprs, st.binary(max_size=20))
def test_ethernet_parse_emit(r: EthernetRepr, payload: bytes) -> None:
    buf = bytearray(r.buffer_len() + len(payload))
    r.emit(EthernetFrame.new_unchecked(buf))
    buf[14:] = payload
    frame = EthernetFrame(buf)
    assert EthernetRepr.parse(frame) == r
    assert frame.payload == payload


@given(arp_reprs)
def test_arp_parse_emit(r: ArpRepr) -> None:
    buf = bytearray(r.buffer_len())
    r.emit(ArpPacket.new_unchecked(buf))
    assert ArpRepr.parse(ArpPacket(buf)) == r


@given(ipv4_reprs)
def test_ipv4_parse_emit(r: Ipv4Repr) -> None:
    buf = bytearray(r.buffer_len() + r.payload_len)
    r.emit(Ipv4Packet.new_unchecked(buf), CAPS)
    packet = Ipv4Packet(buf)
    assert packet.verify_checksum()
    assert Ipv4Repr.parse(packet, CAPS) == r
    assert len(packet.payload) == r.payload_len


@given(udp_reprs)
def test_udp_parse_emit(r: UdpRepr) -> None:
    buf = bytearray(r.buffer_len())
    r.emit(UdpPacket.new_unchecked(buf), SRC, DST, CAPS)
    packet = UdpPacket(buf)
    assert packet.verify_checksum(SRC, DST)
    assert packet.checksum != 0  # a computed zero is sent as 0xffff (RFC 768)
    assert UdpRepr.parse(packet, SRC, DST, CAPS) == r


@given(icmpv4_reprs())
def test_icmpv4_parse_emit(r: Icmpv4Repr) -> None:
    buf = bytearray(r.buffer_len())
    r.emit(Icmpv4Packet.new_unchecked(buf), CAPS)
    packet = Icmpv4Packet(buf)
    assert packet.verify_checksum()
    assert Icmpv4Repr.parse(packet, CAPS) == r


@given(tcp_reprs())
def test_tcp_parse_emit(r: TcpRepr) -> None:
    buf = bytearray(r.buffer_len())
    r.emit(TcpPacket.new_unchecked(buf), SRC, DST, CAPS)
    packet = TcpPacket(buf)
    assert packet.verify_checksum(SRC, DST)
    assert packet.header_len == r.header_len() and packet.header_len % 4 == 0
    parsed = TcpRepr.parse(packet, SRC, DST, CAPS)
    assert parsed == r
    assert parsed.segment_len() == r.segment_len()


@given(tcp_reprs(), st.sampled_from(TcpControl), st.binary(max_size=64))
def test_tcp_with_payload_is_replace(r: TcpRepr, control: TcpControl, payload: bytes) -> None:
    out = r.with_payload(control, payload)
    assert type(out) is TcpRepr
    assert out == r._replace(control=control, payload=payload)


# --- canonical bytes, packed with struct here (not with our emit), parse then re-emit ---


@given(st.binary(min_size=12, max_size=12), ethertypes, st.binary(max_size=8))
def test_ethernet_emit_parse(addrs: bytes, ethertype: int, payload: bytes) -> None:
    frame = addrs + struct.pack("!H", ethertype) + payload
    r = EthernetRepr.parse(EthernetFrame(frame))
    out = bytearray(len(frame))
    r.emit(EthernetFrame.new_unchecked(out))
    out[14:] = payload
    assert out == frame


@given(u16, st.binary(min_size=20, max_size=20))
def test_arp_emit_parse(op: int, addrs: bytes) -> None:
    packet = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + addrs
    out = bytearray(28)
    ArpRepr.parse(ArpPacket(packet)).emit(ArpPacket.new_unchecked(out))
    assert out == packet


@given(
    st.integers(0, 255),
    st.integers(0, 100),
    u16,
    st.booleans(),
    st.booleans(),
    st.integers(0, 0x1FFF),
    u8,
    u8,
    st.binary(min_size=8, max_size=8),
)
def test_ipv4_emit_parse(
    tos: int, plen: int, ident: int, df: bool, mf: bool, off: int, ttl: int, proto: int, a: bytes
) -> None:
    flags = (df << 14) | (mf << 13) | off
    header = bytearray(struct.pack("!BBHHHBBH", 0x45, tos, 20 + plen, ident, flags, ttl, proto, 0))
    header += a
    header[10:12] = naive_checksum(bytes(header)).to_bytes(2, "big")
    packet = bytes(header) + bytes(plen)
    r = Ipv4Repr.parse(Ipv4Packet(packet), CAPS)
    out = bytearray(len(packet))
    r.emit(Ipv4Packet.new_unchecked(out), CAPS)
    assert out == packet


@given(u16, u16, st.binary(max_size=30))
def test_udp_emit_parse(sport: int, dport: int, payload: bytes) -> None:
    length = 8 + len(payload)
    body = struct.pack("!HHHH", sport, dport, length, 0) + payload
    checksum = naive_checksum(pseudo(SRC.packed, DST.packed, 17, length) + body) or 0xFFFF
    datagram = body[:6] + checksum.to_bytes(2, "big") + body[8:]
    out = bytearray(length)
    UdpRepr.parse(UdpPacket(datagram), SRC, DST, CAPS).emit(
        UdpPacket.new_unchecked(out), SRC, DST, CAPS
    )
    assert out == datagram


@st.composite
def canonical_tcp_options(draw: st.DrawFn) -> bytes:
    """Options in the kernel layout: what a Linux peer sends, built without our emitter."""
    out = b""
    syn = draw(st.booleans())
    if syn and draw(st.booleans()):
        out += struct.pack("!BBH", 2, 4, draw(u16))
    ts = draw(st.booleans())
    sack_perm = syn and draw(st.booleans())
    if ts:
        kind = b"\x04\x02" if sack_perm else b"\x01\x01"
        out += kind + struct.pack("!BBLL", 8, 10, draw(u32), draw(u32))
    elif sack_perm:
        out += b"\x01\x01\x04\x02"
    if syn and draw(st.booleans()):
        out += struct.pack("!BBBB", 1, 3, 3, draw(st.integers(0, 14)))
    if not syn:
        blocks = draw(st.integers(0, 3 if ts else 4))
        if blocks:
            out += struct.pack("!BBBB", 1, 1, 5, 2 + 8 * blocks)
            for _ in range(blocks):
                out += struct.pack("!LL", draw(u32), draw(u32))
    return out


@settings(max_examples=300)
@given(
    u16,
    u16,
    u32,
    u32,
    st.sampled_from([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x08, 0x00, 0x01]),
    st.integers(0, 7),
    u16,
    canonical_tcp_options(),
    st.binary(max_size=20),
)
def test_tcp_emit_parse(
    sport: int,
    dport: int,
    seq: int,
    ack: int,
    flags: int,
    ecn_bits: int,
    window: int,
    options: bytes,
    payload: bytes,
) -> None:
    if not flags & 0x10:
        ack = 0  # canonical: no ACK flag, no acknowledgment number
    header_len = 20 + len(options)
    word = (header_len // 4) << 12 | ecn_bits << 6 | flags
    word = (word & ~0x1C0) | ((ecn_bits & 3) << 6) | ((ecn_bits >> 2) << 8)  # ECE CWR NS
    body = struct.pack("!HHLLHHHH", sport, dport, seq, ack, word, window, 0, 0) + options + payload
    checksum = naive_checksum(pseudo(SRC.packed, DST.packed, 6, len(body)) + body)
    segment = body[:16] + checksum.to_bytes(2, "big") + body[18:]
    r = TcpRepr.parse(TcpPacket(segment), SRC, DST, CAPS)
    out = bytearray(len(segment))
    r.emit(TcpPacket.new_unchecked(out), SRC, DST, CAPS)
    assert out == segment
