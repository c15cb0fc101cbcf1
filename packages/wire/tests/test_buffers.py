"""``parse_buffer``, the stack's per-packet path, agrees with the checked view constructors:
the same representation and the same error (type and field) for any input.

``emit`` is ``emit_buffer`` on the view's buffer, so no test compares the two; the scapy oracle,
the golden frames and the round trips judge what ``emit_buffer`` writes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smoltcp.wire import (
    ArpOperation,
    ArpPacket,
    ArpRepr,
    ChecksumCapabilities,
    EthernetAddress,
    EthernetFrame,
    EthernetRepr,
    Icmpv4Message,
    Icmpv4Packet,
    Icmpv4Repr,
    IpProtocol,
    Ipv4Address,
    Ipv4Packet,
    Ipv4Repr,
    MalformedPacket,
    TcpControl,
    TcpPacket,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
    UdpPacket,
    UdpRepr,
    UnsupportedPacket,
)
from smoltcp.wire.checksum import internet_sum

SRC = Ipv4Address("10.0.0.1")
DST = Ipv4Address("10.0.0.2")
CAPS = ChecksumCapabilities()


def outcome(fn: Callable[[], object]) -> object:
    try:
        return fn()
    except MalformedPacket as exc:
        return (type(exc), exc.protocol, exc.field)


def tcp_segment(data: bytes, mutate: int) -> bytes:
    """Return a valid NOP NOP Timestamps segment carrying ``data``, with one octet changed."""
    r = TcpRepr(
        1, 2, TcpControl.NONE, TcpSeqNumber(5), TcpSeqNumber(9), 100,
        timestamp=TcpTimestampRepr(7, 8), payload=data,
    )  # fmt: skip
    buf = bytearray(r.buffer_len())
    r.emit_buffer(buf, SRC, DST, CAPS)
    if mutate < len(buf):
        buf[mutate] ^= 0xFF
    return bytes(buf)


@settings(max_examples=300)
@given(st.binary(max_size=80), st.integers(0, 120))
def test_tcp_parse_buffer_matches_view(data: bytes, mutate: int) -> None:
    for octets in (data, tcp_segment(data, mutate), tcp_segment(data, 200)):
        via_view = outcome(lambda o=octets: TcpRepr.parse(TcpPacket(o), SRC, DST, CAPS))
        via_buffer = outcome(lambda o=octets: TcpRepr.parse_buffer(o, SRC, DST, CAPS))
        assert via_view == via_buffer


@settings(max_examples=300)
@given(st.binary(max_size=60), st.integers(0, 40))
def test_ipv4_and_ethernet_parse_buffer_match_views(data: bytes, mutate: int) -> None:
    r = Ipv4Repr(SRC, DST, 6, len(data), 64, ident=3)  # type: ignore[arg-type]
    buf = bytearray(20) + data
    r.emit_buffer(buf, CAPS)
    if mutate < len(buf):
        buf[mutate] ^= 0x5A
    for octets in (bytes(buf), data):
        via_view = outcome(lambda o=octets: Ipv4Repr.parse(Ipv4Packet(o), CAPS))
        assert via_view == outcome(lambda o=octets: Ipv4Repr.parse_buffer(o, CAPS))
        via_view = outcome(lambda o=octets: EthernetRepr.parse(EthernetFrame(o)))
        assert via_view == outcome(lambda o=octets: EthernetRepr.parse_buffer(o))


def test_ethernet_parse_buffer_is_right_for_many_distinct_headers() -> None:
    # More distinct headers than any cache of parsed headers would keep, each parsed twice, and
    # an 802.1Q header sharing its addresses with a header parsed before: every answer is the
    # header's own and the tagged one is still refused.
    for round_ in range(2):
        for i in range(3000):
            src = bytes((2, 0, 0, 0, i >> 8, i & 0xFF))
            frame = bytes(6) + src + b"\x08\x00" + bytes(20)
            r = EthernetRepr.parse_buffer(frame)
            assert r.src_addr.octets == src and r.ethertype == 0x0800, (round_, i)
            tagged = bytes(6) + src + b"\x81\x00" + bytes(20)
            with pytest.raises(UnsupportedPacket):
                EthernetRepr.parse_buffer(tagged)


def mutated(octets: bytes, mutate: int, value: int = 0x5A) -> list[bytes]:
    """Return ``octets``, a copy with one octet changed (if ``mutate`` is inside), and every
    truncation of the first 30 octets: inputs good and bad for the parsers."""
    out = [octets]
    if mutate < len(octets):
        bad = bytearray(octets)
        bad[mutate] ^= value
        out.append(bytes(bad))
    out.extend(octets[:n] for n in range(min(len(octets), 30)))
    return out


@settings(max_examples=200)
@given(st.binary(max_size=40), st.integers(0, 50), st.sampled_from([0, 8, 3, 11]))
def test_udp_icmp_arp_parse_buffer_match_views(data: bytes, mutate: int, kind: int) -> None:
    udp = UdpRepr(1, 2, data)
    buf = bytearray(udp.buffer_len())
    udp.emit(UdpPacket.new_unchecked(buf), SRC, DST, CAPS)
    for octets in mutated(bytes(buf), mutate):
        via_view = outcome(lambda o=octets: UdpRepr.parse(UdpPacket(o), SRC, DST, CAPS))
        assert via_view == outcome(lambda o=octets: UdpRepr.parse_buffer(o, SRC, DST, CAPS))
    icmp = Icmpv4Repr(Icmpv4Message(kind), 0, 7, 9, data)
    buf = bytearray(icmp.buffer_len())
    icmp.emit(Icmpv4Packet.new_unchecked(buf), CAPS)
    for octets in mutated(bytes(buf), mutate):
        via_view = outcome(lambda o=octets: Icmpv4Repr.parse(Icmpv4Packet(o), CAPS))
        assert via_view == outcome(lambda o=octets: Icmpv4Repr.parse_buffer(o, CAPS))
    arp = ArpRepr(
        ArpOperation.REQUEST,
        EthernetAddress(bytes(6)),
        SRC,
        EthernetAddress(data[:6].ljust(6)),
        DST,
    )
    buf = bytearray(arp.buffer_len())
    arp.emit(ArpPacket.new_unchecked(buf))
    for octets in mutated(bytes(buf), mutate % 28, 0x01):
        via_view = outcome(lambda o=octets: ArpRepr.parse(ArpPacket(o)))
        assert via_view == outcome(lambda o=octets: ArpRepr.parse_buffer(o))


# The generated parse (smoltcp.wire._generated.<header>_fast) against each module's hand-written
# general path, which reads through the checked view: two implementations that must agree on
# every input, good or bad.


@settings(max_examples=200)
@given(st.binary(max_size=40), st.integers(0, 50), st.booleans())
def test_generated_udp_arp_ethernet_parse_match_the_general_path(
    data: bytes, mutate: int, zero_checksum: bool
) -> None:
    from smoltcp.wire import arp, ethernet, udp

    udp_repr = UdpRepr(1, 2, data)
    buf = bytearray(udp_repr.buffer_len())
    udp_repr.emit_buffer(buf, SRC, DST, CAPS)
    if zero_checksum:
        buf[6:8] = b"\0\0"  # no checksum sent (RFC 768): accepted without a check
    for octets in mutated(bytes(buf), mutate):
        general = outcome(lambda o=octets: udp._parse_general(o, SRC, DST, CAPS))
        assert general == outcome(lambda o=octets: UdpRepr.parse_buffer(o, SRC, DST, CAPS))
    arp_repr = ArpRepr(
        ArpOperation.REPLY, EthernetAddress(data[:6].ljust(6)), SRC, EthernetAddress(bytes(6)), DST
    )
    buf = bytearray(arp_repr.buffer_len())
    arp_repr.emit_buffer(buf)
    for octets in mutated(bytes(buf), mutate % 28, 0x01):
        general = outcome(lambda o=octets: arp._parse_general(o))
        assert general == outcome(lambda o=octets: ArpRepr.parse_buffer(o))
    for octets in mutated(data[:14].ljust(14, b"\x08") + data, mutate % 14):
        general = outcome(lambda o=octets: ethernet._parse_general(o))
        assert general == outcome(lambda o=octets: EthernetRepr.parse_buffer(o))


def test_udp_checksum_that_sums_to_zero_is_sent_as_all_ones() -> None:
    # RFC 768: a computed zero is transmitted as all ones, zero meaning "no checksum". Choose
    # a two-octet payload that makes the sum of pseudo header, header and data 0xffff.
    from smoltcp.wire.checksum import internet_sum, pseudo_header_sum

    probe = bytearray(10)
    UdpRepr(1, 2, b"\0\0").emit_buffer(probe, SRC, DST, ChecksumCapabilities.ignored())
    partial = internet_sum(probe, pseudo_header_sum(SRC, DST, 17, 10))
    payload = (0xFFFF - partial).to_bytes(2, "big")
    for csum in (internet_sum, lambda data, initial=0: internet_sum(data, initial)):
        buf = bytearray(10)
        UdpRepr(1, 2, payload).emit_buffer(buf, SRC, DST, CAPS, csum)
        assert buf[6:8] == b"\xff\xff"
        assert UdpRepr.parse_buffer(buf, SRC, DST, CAPS, csum).payload == payload


def _icmpv4_reprs(data: bytes, ident: int, code: int) -> list[Icmpv4Repr]:
    quoted = Ipv4Repr(SRC, DST, 17, 8 + len(data), 64)  # type: ignore[arg-type]
    return [
        Icmpv4Repr.echo_request(ident, ident ^ 0x5555, data),
        Icmpv4Repr.echo_reply(ident, 0, data),
        Icmpv4Repr(Icmpv4Message.ECHO_REQUEST, code, ident, 1, data),  # a code: general path
        Icmpv4Repr(Icmpv4Message.TIMESTAMP, code, 0, 0, data),
        Icmpv4Repr.dst_unreachable(code % 16, quoted, data[:8]),  # type: ignore[arg-type]
    ]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40), st.integers(0, 0xFFFF), st.integers(0, 255), st.integers(0, 60))
def test_generated_icmpv4_matches_the_general_path(
    data: bytes, ident: int, code: int, mutate: int
) -> None:
    from smoltcp.wire import icmpv4

    for r in _icmpv4_reprs(data, ident, code):
        for caps in (CAPS, ChecksumCapabilities.ignored()):
            fast = bytearray(r.buffer_len())
            general = bytearray(len(fast))
            r.emit_buffer(fast, caps)
            icmpv4._emit_general(r, general, caps, internet_sum)
            assert fast == general
        for octets in mutated(bytes(fast), mutate, 0x08):
            expected = outcome(lambda o=octets: icmpv4._parse_general(o, CAPS, internet_sum))
            assert expected == outcome(lambda o=octets: Icmpv4Repr.parse_buffer(o, CAPS))


def test_icmpv4_all_zero_echo_reply_has_checksum_ffff() -> None:
    # RFC 1071: a message whose words sum to zero gets the checksum 0xffff; zero is wrong.
    buf = bytearray(8)
    Icmpv4Repr.echo_reply(0, 0, b"").emit_buffer(buf, CAPS)
    assert bytes(buf) == b"\0\0\xff\xff\0\0\0\0"
    assert Icmpv4Repr.parse_buffer(buf, CAPS) == Icmpv4Repr.echo_reply(0, 0, b"")
    with pytest.raises(MalformedPacket) as info:
        Icmpv4Repr.parse_buffer(bytes(8), CAPS)
    assert info.value.field == "checksum"


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=24),
    st.integers(0, 0xFFFFF),
    st.integers(0, 255),
    st.integers(0, 70),
    st.integers(0, 8),
)
def test_generated_ipv6_matches_the_general_path(
    payload: bytes, flow: int, hop_limit: int, mutate: int, extra: int
) -> None:
    from smoltcp.wire import Ipv6Address, Ipv6Repr, ipv6

    r = Ipv6Repr(
        Ipv6Address("fdaa::1"),
        Ipv6Address("fe80::2"),
        IpProtocol.UDP,
        len(payload),
        hop_limit,
        dscp=flow & 0x3F,
        ecn=flow & 0x3,
        flow_label=flow,
    )
    buf = bytearray(40)
    r.emit_buffer(buf)
    assert ipv6._parse_general(buf + payload) == r
    for octets in mutated(bytes(buf) + payload + bytes(extra), mutate, 0x20):
        expected = outcome(lambda o=octets: ipv6._parse_general(o))
        assert expected == outcome(lambda o=octets: Ipv6Repr.parse_buffer(o))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 2**32 - 1), st.binary(max_size=5))
def test_generated_igmp_matches_the_general_path(
    msg_type: int, max_resp: int, group: int, extra: bytes
) -> None:
    from smoltcp.wire import igmp
    from smoltcp.wire.igmp import IgmpMessage, IgmpRepr

    r = IgmpRepr(IgmpMessage(msg_type), max_resp, Ipv4Address(group))
    octets = r.to_bytes()
    assert igmp._parse_general(octets) == r == IgmpRepr.parse_buffer(octets)
    for mutate in (0, 3, 7, 9):
        for o in mutated(octets + extra, mutate, 0x11):
            assert outcome(lambda o=o: igmp._parse_general(o)) == outcome(
                lambda o=o: IgmpRepr.parse_buffer(o)
            )
    if msg_type == IgmpMessage.MEMBERSHIP_QUERY and max_resp == 0:
        assert IgmpRepr.parse(octets).max_resp_time == 100  # IGMPv1: 10 s (RFC 2236 4)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=40), st.integers(0, 0xFFFF), st.integers(0, 255), st.integers(0, 60))
def test_generated_icmpv6_matches_the_general_path(
    data: bytes, ident: int, code: int, mutate: int
) -> None:
    from smoltcp.wire import Icmpv6Message, Icmpv6Repr, Ipv6Address, Ipv6Repr, icmpv6

    src, dst = Ipv6Address("fdaa::1"), Ipv6Address("fdaa::2")
    quoted = Ipv6Repr(dst, src, IpProtocol.UDP, 8 + len(data), 64)
    reprs = [
        Icmpv6Repr.echo_request(ident, ident ^ 0x5555, data),
        Icmpv6Repr.echo_reply(ident, 0, data),
        Icmpv6Repr(Icmpv6Message.ECHO_REPLY, code, ident, 1, data),  # a code: general path
        Icmpv6Repr(Icmpv6Message.NEIGHBOR_SOLICIT, code, 0, 0, data),
        Icmpv6Repr.error(Icmpv6Message.PKT_TOO_BIG, 0, quoted, data, param=1280),
    ]
    for r in reprs:
        for caps in (CAPS, ChecksumCapabilities.ignored()):
            fast = bytearray(r.buffer_len())
            general = bytearray(len(fast))
            r.emit_buffer(fast, src, dst, caps)
            icmpv6._emit_general(r, general, src, dst, caps, internet_sum)
            assert fast == general
        for octets in mutated(bytes(fast), mutate, 0x01):
            expected = outcome(
                lambda o=octets: icmpv6._parse_general(o, src, dst, CAPS, internet_sum)
            )
            assert expected == outcome(lambda o=octets: Icmpv6Repr.parse_buffer(o, src, dst, CAPS))
