"""Malformed input: every truncation, bad lengths, checksums, options and flags raise
`MalformedPacket` naming the field (never IndexError, struct.error or a silent misparse)."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_golden import (
    ARP_REQUEST,
    ICMP_PORT_UNREACHABLE,
    TCP_SACK,
    TCP_SYN,
    UDP_FRAME,
)
from wire_testlib import naive_checksum, pseudo

from smoltcp.wire import (
    ArpPacket,
    ArpRepr,
    ChecksumCapabilities,
    EthernetFrame,
    EthernetProtocol,
    EthernetRepr,
    Icmpv4Packet,
    Icmpv4Repr,
    IpProtocol,
    Ipv4Address,
    Ipv4Packet,
    Ipv4Repr,
    MalformedPacket,
    TcpPacket,
    TcpRepr,
    UdpPacket,
    UdpRepr,
    UnsupportedPacket,
)

SRC = Ipv4Address("192.168.69.100")
DST = Ipv4Address("192.168.69.1")
CAPS = ChecksumCapabilities()
NO_CAPS = ChecksumCapabilities.ignored()


def dissect(frame: bytes, caps: ChecksumCapabilities = CAPS) -> list[object]:
    """Parse every layer the way the stack will; raise what the parsers raise."""
    eth = EthernetFrame(frame)
    layers: list[object] = [EthernetRepr.parse(eth)]
    if eth.ethertype == EthernetProtocol.ARP:
        layers.append(ArpRepr.parse(ArpPacket(eth.payload)))
        return layers
    ip = Ipv4Packet(eth.payload)
    ip_repr = Ipv4Repr.parse(ip, caps)
    layers.append(ip_repr)
    if ip_repr.next_header == IpProtocol.TCP:
        layers.append(
            TcpRepr.parse(TcpPacket(ip.payload), ip_repr.src_addr, ip_repr.dst_addr, caps)
        )
    elif ip_repr.next_header == IpProtocol.UDP:
        layers.append(
            UdpRepr.parse(UdpPacket(ip.payload), ip_repr.src_addr, ip_repr.dst_addr, caps)
        )
    elif ip_repr.next_header == IpProtocol.ICMP:
        layers.append(Icmpv4Repr.parse(Icmpv4Packet(ip.payload), caps))
    return layers


GOLDEN = [ARP_REQUEST, UDP_FRAME, ICMP_PORT_UNREACHABLE, TCP_SYN, TCP_SACK]


@pytest.mark.parametrize("frame", GOLDEN, ids=["arp", "udp", "icmp", "tcp-syn", "tcp-sack"])
def test_every_truncation_is_malformed(frame: bytes) -> None:
    dissect(frame, NO_CAPS)  # whole: fine
    for n in range(len(frame)):
        with pytest.raises(MalformedPacket) as info:
            dissect(frame[:n], NO_CAPS)
        assert not isinstance(info.value, UnsupportedPacket)
        assert info.value.protocol in ("ethernet", "arp", "ipv4", "udp", "icmpv4", "tcp")


@pytest.mark.parametrize("frame", GOLDEN[1:], ids=["udp", "icmp", "tcp-syn", "tcp-sack"])
def test_every_flipped_payload_bit_fails_a_checksum(frame: bytes) -> None:
    caps = CAPS if frame is not TCP_SACK else CAPS._replace(tcp=NO_CAPS.tcp)
    for i in range(14, len(frame)):
        for bit in (0x01, 0x80):
            mutated = bytearray(frame)
            mutated[i] ^= bit
            try:
                dissect(bytes(mutated), caps)
            except MalformedPacket:
                continue
            # Survivors can only be frames the checksum cannot see: an offloaded TCP checksum.
            assert frame is TCP_SACK and i >= 34, (i, bit)


# --- one table per protocol: (description, octets, expected error type, field) ---


def ethernet(ethertype: int) -> bytes:
    return bytes(12) + struct.pack("!H", ethertype) + bytes(46)


ETHERNET_CASES = [
    ("short", bytes(13), MalformedPacket, "header"),
    ("802.3 length", ethernet(1500), UnsupportedPacket, "ethertype"),
    ("802.3 length 46", ethernet(46), UnsupportedPacket, "ethertype"),
    ("undefined 1501..1535", ethernet(1535), MalformedPacket, "ethertype"),
    ("802.1Q tag", ethernet(0x8100), UnsupportedPacket, "ethertype"),
    ("802.1ad tag", ethernet(0x88A8), UnsupportedPacket, "ethertype"),
]


def arp(htype: int = 1, ptype: int = 0x0800, hlen: int = 6, plen: int = 4, n: int = 28) -> bytes:
    return (struct.pack("!HHBBH", htype, ptype, hlen, plen, 1) + bytes(20))[:n]


ARP_CASES = [
    ("short fixed part", arp(n=7), MalformedPacket, "header"),
    ("short addresses", arp(n=27), MalformedPacket, "header"),
    ("hardware not Ethernet", arp(htype=6), UnsupportedPacket, "hardware_type"),
    ("hardware length 8", arp(hlen=8), UnsupportedPacket, "hardware_type"),
    ("protocol IPv6", arp(ptype=0x86DD, plen=16), UnsupportedPacket, "protocol_type"),
]


def ipv4(
    vihl: int = 0x45, total: int | None = None, extra: int = 0, checksum: bool = True
) -> bytes:
    header_len = (vihl & 0x0F) * 4
    body = bytes(max(header_len, 20) - 20 + extra)
    total = 20 + len(body) if total is None else total
    head = bytearray(
        struct.pack("!BBHHHBBH4s4s", vihl, 0, total, 0, 0, 64, 6, 0, SRC.packed, DST.packed)
    )
    head += body
    if checksum:
        head[10:12] = naive_checksum(bytes(head[: max(header_len, 20)])).to_bytes(2, "big")
    return bytes(head)


IPV4_CASES = [
    ("short", ipv4()[:19], MalformedPacket, "header"),
    ("IPv6", ipv4(vihl=0x65), UnsupportedPacket, "version"),
    ("version 5", ipv4(vihl=0x55), MalformedPacket, "version"),
    ("IHL 4", ipv4(vihl=0x44), MalformedPacket, "header_len"),
    ("total_len < header", ipv4(total=19), MalformedPacket, "total_len"),
    ("total_len < options", ipv4(vihl=0x46, total=22), MalformedPacket, "total_len"),
    ("total_len > buffer", ipv4(total=21), MalformedPacket, "total_len"),
    ("IHL past buffer", ipv4(vihl=0x4F, total=60)[:40], MalformedPacket, "total_len"),
    ("bad checksum", ipv4(checksum=False), MalformedPacket, "checksum"),
]


def udp(length: int | None = None, payload: bytes = b"abc", checksum: int | None = None) -> bytes:
    length = 8 + len(payload) if length is None else length
    body = struct.pack("!HHHH", 1, 2, length, 0) + payload
    if checksum is None:
        checksum = naive_checksum(pseudo(SRC.packed, DST.packed, 17, len(body)) + body)
    return body[:6] + struct.pack("!H", checksum) + body[8:]


UDP_CASES = [
    ("short", udp()[:7], MalformedPacket, "header"),
    ("len 7", udp(length=7), MalformedPacket, "len"),
    ("len past buffer", udp(length=12), MalformedPacket, "len"),
    ("bad checksum", udp(checksum=0x1234), MalformedPacket, "checksum"),
]


def icmp(body: bytes, checksum: bool = True) -> bytes:
    message = bytearray(body)
    if checksum:
        message[2:4] = naive_checksum(bytes(message)).to_bytes(2, "big")
    return bytes(message)


QUOTED = ipv4(extra=8)
ICMP_CASES = [
    ("short", icmp(bytes([8, 0, 0, 0, 0, 0, 0]), checksum=False), MalformedPacket, "header"),
    (
        "bad checksum",
        icmp(bytes([8, 0, 0, 0, 0, 1, 0, 1]), checksum=False),
        MalformedPacket,
        "checksum",
    ),
    ("echo code 1", icmp(bytes([8, 1, 0, 0, 0, 1, 0, 1])), MalformedPacket, "msg_code"),
    ("quote short", icmp(bytes([3, 3, 0, 0, 0, 0, 0, 0]) + QUOTED[:19]), MalformedPacket, "header"),
    (
        "quote IPv6",
        icmp(bytes([3, 3, 0, 0, 0, 0, 0, 0]) + bytes([0x60]) + QUOTED[1:]),
        UnsupportedPacket,
        "header",
    ),
    (
        "quote IHL past data",
        icmp(bytes([11, 0, 0, 0, 0, 0, 0, 0]) + bytes([0x4F]) + QUOTED[1:]),
        MalformedPacket,
        "header",
    ),
    (
        "quote IHL 4",
        icmp(bytes([12, 0, 0, 0, 0, 0, 0, 0]) + bytes([0x44]) + QUOTED[1:]),
        MalformedPacket,
        "header",
    ),
]


def tcp(
    flags: int = 0x10,
    options: bytes = b"",
    offset: int | None = None,
    checksum: bool = True,
    payload: bytes = b"",
) -> bytes:
    if offset is None:
        offset = (20 + len(options)) // 4
    body = struct.pack("!HHLLHHHH", 1, 2, 3, 4, (offset << 12) | flags, 5, 0, 0) + options
    body += payload
    if not checksum:
        return body
    value = naive_checksum(pseudo(SRC.packed, DST.packed, 6, len(body)) + body)
    return body[:16] + struct.pack("!H", value) + body[18:]


TCP_CASES = [
    ("short", tcp()[:19], MalformedPacket, "header"),
    ("data offset 4", tcp(offset=4), MalformedPacket, "header_len"),
    ("data offset past buffer", tcp(offset=6), MalformedPacket, "header_len"),
    ("bad checksum", tcp(checksum=False, payload=b"x"), MalformedPacket, "checksum"),
    ("SYN+FIN", tcp(flags=0x03), MalformedPacket, "flags"),
    ("SYN+RST", tcp(flags=0x06), MalformedPacket, "flags"),
    ("FIN+RST", tcp(flags=0x05), MalformedPacket, "flags"),
    ("SYN+FIN+RST+ACK", tcp(flags=0x17), MalformedPacket, "flags"),
    ("option length 0", tcp(options=b"\x02\x00\x00\x00"), MalformedPacket, "options"),
    ("option length 1", tcp(options=b"\x1e\x01\x00\x00"), MalformedPacket, "options"),
    ("option past header", tcp(options=b"\x1e\x06\x00\x00"), MalformedPacket, "options"),
    ("kind without length", tcp(options=b"\x01\x01\x01\x02"), MalformedPacket, "options"),
    ("MSS length 3", tcp(options=b"\x02\x03\x05\x01"), MalformedPacket, "options"),
    ("MSS length 5", tcp(options=b"\x02\x05\x05\xb4\x00\x00\x00\x00"), MalformedPacket, "options"),
    ("WS length 4", tcp(options=b"\x03\x04\x07\x00"), MalformedPacket, "options"),
    ("SACK-perm length 3", tcp(options=b"\x04\x03\x00\x00"), MalformedPacket, "options"),
    ("TS length 8", tcp(options=b"\x08\x08" + bytes(6)), MalformedPacket, "options"),
    ("SACK length 2", tcp(options=b"\x05\x02\x00\x00"), MalformedPacket, "options"),
    ("SACK length 9", tcp(options=b"\x05\x09" + bytes(10)), MalformedPacket, "options"),
]


def _parse_ethernet(b: bytes) -> object:
    return EthernetRepr.parse(EthernetFrame(b))


def _parse_arp(b: bytes) -> object:
    return ArpRepr.parse(ArpPacket(b))


def _parse_ipv4(b: bytes) -> object:
    return Ipv4Repr.parse(Ipv4Packet(b), CAPS)


def _parse_udp(b: bytes) -> object:
    return UdpRepr.parse(UdpPacket(b), SRC, DST, CAPS)


def _parse_icmp(b: bytes) -> object:
    return Icmpv4Repr.parse(Icmpv4Packet(b), CAPS)


def _parse_tcp(b: bytes) -> object:
    return TcpRepr.parse(TcpPacket(b), SRC, DST, CAPS)


TABLE = [
    *[(_parse_ethernet, "ethernet", *c) for c in ETHERNET_CASES],
    *[(_parse_arp, "arp", *c) for c in ARP_CASES],
    *[(_parse_ipv4, "ipv4", *c) for c in IPV4_CASES],
    *[(_parse_udp, "udp", *c) for c in UDP_CASES],
    *[(_parse_icmp, "icmpv4", *c) for c in ICMP_CASES],
    *[(_parse_tcp, "tcp", *c) for c in TCP_CASES],
]


@pytest.mark.parametrize(
    ("parse", "protocol", "name", "octets", "error", "field"),
    TABLE,
    ids=[f"{row[1]}-{row[2]}" for row in TABLE],
)
def test_malformed_table(parse, protocol, name, octets, error, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MalformedPacket) as info:
        parse(octets)
    assert type(info.value) is error, info.value
    assert (info.value.protocol, info.value.field) == (protocol, field), info.value
    assert isinstance(info.value, ValueError)


def test_valid_neighbours_of_the_table_parse() -> None:
    # The builders make valid packets when asked nothing odd: the table tests one defect each.
    _parse_ethernet(ethernet(0x0800))
    _parse_arp(arp())
    _parse_ipv4(ipv4())
    _parse_ipv4(ipv4(vihl=0x46))
    _parse_udp(udp())
    _parse_udp(udp(checksum=0))  # zero: no checksum (RFC 768)
    _parse_icmp(icmp(bytes([8, 0, 0, 0, 0, 1, 0, 1])))
    _parse_icmp(icmp(bytes([3, 3, 0, 0, 0, 0, 0, 0]) + QUOTED))
    _parse_tcp(tcp())
    _parse_tcp(tcp(flags=0x0A))  # SYN+PSH is fine
    _parse_tcp(tcp(options=b"\x1e\x02\x00\x00"))  # unknown empty option, then EOL
    _parse_tcp(tcp(options=b"\x00\x1e\x06\x00"))  # anything after EOL is padding


PARSERS = [_parse_ethernet, _parse_arp, _parse_ipv4, _parse_udp, _parse_icmp, _parse_tcp]


@settings(max_examples=300)
@given(st.sampled_from(PARSERS), st.binary(max_size=80))
def test_random_bytes_raise_only_malformed(parse, data: bytes) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(MalformedPacket):
        parse(data)


@settings(max_examples=300)
@given(st.sampled_from(GOLDEN), st.data())
def test_random_mutations_raise_only_malformed(frame: bytes, data: st.DataObject) -> None:
    mutated = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 4))):
        mutated[data.draw(st.integers(0, len(frame) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(frame)))
    with contextlib.suppress(MalformedPacket):
        dissect(bytes(mutated[:cut]), NO_CAPS)
