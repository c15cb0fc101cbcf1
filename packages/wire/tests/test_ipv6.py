"""IPv6, its extension headers, ICMPv6 and NDP: golden bytes, round trips, scapy as the oracle,
a table of malformed input, and the IPv6 frames of the kernel captures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6MLDMultAddrRec,
    ICMPv6MLReport2,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_Redirect,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    ICMPv6NDOptUnknown,
    ICMPv6PacketTooBig,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    PadN,
)
from wire_testlib import CAPTURES, read_pcap

from smoltcp.wire import (
    EthernetAddress,
    EthernetFrame,
    EthernetProtocol,
    Icmpv6DstUnreachable,
    Icmpv6Message,
    Icmpv6Packet,
    Icmpv6Repr,
    IpProtocol,
    Ipv6Address,
    Ipv6OptionAction,
    Ipv6OptionRepr,
    Ipv6OptionType,
    Ipv6Packet,
    Ipv6Repr,
    MalformedPacket,
    NdpPrefixInfo,
    NdpRepr,
    TcpPacket,
    UdpPacket,
    UdpRepr,
    ip_repr,
    pretty_print,
    walk_ext_headers,
)
from smoltcp.wire.ipv6ext import emit_options_header, options_header_len
from smoltcp.wire.mld import Mldv2AddressRecord, Mldv2RecordType, Mldv2ReportRepr

SRC = Ipv6Address("fdaa::1")
DST = Ipv6Address("fdaa::100")
MAC = EthernetAddress(bytes.fromhex("020000000001"))

# Golden: an echo request fdaa::1 -> fdaa::100, id 0x1234 seq 1, data "ping", hop limit 64.
GOLDEN_ECHO = bytes.fromhex(
    "60000000000c3a40"
    "fdaa0000000000000000000000000001"
    "fdaa0000000000000000000000000100"
    "8000925c12340001" + b"ping".hex()
)

addrs = st.integers(0, (1 << 128) - 1).map(Ipv6Address)
u8 = st.integers(0, 255)
u16 = st.integers(0, 0xFFFF)


def test_golden_echo_request_parses_and_emits() -> None:
    ip = Ipv6Repr.parse(Ipv6Packet(GOLDEN_ECHO))
    assert ip == Ipv6Repr(SRC, DST, IpProtocol.ICMPV6, 12, 64)
    icmp = Icmpv6Repr.parse(Icmpv6Packet(GOLDEN_ECHO[40:]), SRC, DST)
    assert icmp == Icmpv6Repr.echo_request(0x1234, 1, b"ping")
    out = bytearray(40 + icmp.buffer_len())
    ip.emit_buffer(out)
    icmp.emit_buffer(memoryview(out)[40:], SRC, DST)
    assert bytes(out) == GOLDEN_ECHO
    # The same octets as scapy builds: the checksum over the RFC 8200 8.1 pseudo header.
    scapy = IPv6(src=str(SRC), dst=str(DST), hlim=64) / ICMPv6EchoRequest(id=0x1234, seq=1)
    assert bytes(scapy / b"ping") == GOLDEN_ECHO


def test_ip_repr_builds_ipv6_for_ipv6_addresses() -> None:
    r = ip_repr(SRC, DST, IpProtocol.UDP, 8, 64)
    assert isinstance(r, Ipv6Repr)
    assert r.version == 6


@settings(max_examples=200, deadline=None)
@given(addrs, addrs, u8, st.integers(0, 1000), u8, st.integers(0, 63), st.integers(0, 3))
def test_ipv6_repr_round_trip_and_scapy(
    src: Ipv6Address, dst: Ipv6Address, nh: int, plen: int, hlim: int, dscp: int, ecn: int
) -> None:
    r = Ipv6Repr(src, dst, IpProtocol(nh), plen, hlim, dscp, ecn, 0x12345)
    buf = bytearray(40 + plen)
    r.emit_buffer(buf)
    assert Ipv6Repr.parse_buffer(buf) == r
    s = IPv6(bytes(buf))
    assert (Ipv6Address(s.src), Ipv6Address(s.dst)) == (src, dst)
    assert (s.nh, s.plen, s.hlim) == (nh, plen, hlim)
    assert (s.tc, s.fl) == ((dscp << 2) | ecn, 0x12345)


@settings(max_examples=100, deadline=None)
@given(u16, u16, st.binary(max_size=64), st.booleans())
def test_echo_round_trip_matches_scapy(ident: int, seq: int, data: bytes, reply: bool) -> None:
    make = Icmpv6Repr.echo_reply if reply else Icmpv6Repr.echo_request
    r = make(ident, seq, data)
    buf = bytearray(r.buffer_len())
    r.emit_buffer(buf, SRC, DST)
    assert Icmpv6Repr.parse_buffer(buf, SRC, DST) == r
    layer = ICMPv6EchoReply if reply else ICMPv6EchoRequest
    assert bytes(IPv6(src=str(SRC), dst=str(DST)) / layer(id=ident, seq=seq, data=data))[
        40:
    ] == bytes(buf)


def test_errors_quote_the_invoking_packet_like_scapy() -> None:
    inner = IPv6(src=str(DST), dst=str(SRC)) / UDP(sport=5, dport=6) / (b"x" * 3)
    header = Ipv6Repr.parse_buffer(bytes(inner))
    quoted = bytes(inner)[40:]
    r = Icmpv6Repr.error(Icmpv6Message.DST_UNREACHABLE, 4, header, quoted)
    buf = bytearray(r.buffer_len())
    r.emit_buffer(buf, SRC, DST)
    scapy = IPv6(src=str(SRC), dst=str(DST)) / ICMPv6DestUnreach(code=4) / inner
    assert bytes(scapy)[40:] == bytes(buf)
    back = Icmpv6Repr.parse_buffer(buf, SRC, DST)
    assert back.code == Icmpv6DstUnreachable.PORT_UNREACHABLE
    assert back.header == header
    assert bytes(back.data) == quoted
    too_big = Icmpv6Repr.error(Icmpv6Message.PKT_TOO_BIG, 0, header, quoted, param=1280)
    buf = bytearray(too_big.buffer_len())
    too_big.emit_buffer(buf, SRC, DST)
    assert bytes(IPv6(src=str(SRC), dst=str(DST)) / ICMPv6PacketTooBig(mtu=1280) / inner)[
        40:
    ] == bytes(buf)
    assert Icmpv6Repr.parse_buffer(buf, SRC, DST).param == 1280


def test_error_is_cut_to_the_minimum_mtu() -> None:
    header = Ipv6Repr(DST, SRC, IpProtocol.UDP, 3000, 64)
    r = Icmpv6Repr.error(Icmpv6Message.TIME_EXCEEDED, 0, header, bytes(3000))
    assert 40 + r.buffer_len() == 1280


@settings(max_examples=100, deadline=None)
@given(addrs, st.booleans(), st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_neighbor_messages_round_trip_and_match_scapy(
    target: Ipv6Address, advert: bool, router: bool, solicited: bool, override: bool, ll: bool
) -> None:
    lladdr = MAC if ll else None
    if advert:
        r = NdpRepr(
            Icmpv6Message.NEIGHBOR_ADVERT,
            target,
            target_ll_addr=lladdr,
            router=router,
            solicited=solicited,
            override=override,
        )
        scapy = ICMPv6ND_NA(tgt=str(target), R=router, S=solicited, O=override)
        if ll:
            scapy = scapy / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:01")
    else:
        r = NdpRepr(Icmpv6Message.NEIGHBOR_SOLICIT, target, source_ll_addr=lladdr)
        scapy = ICMPv6ND_NS(tgt=str(target))
        if ll:
            scapy = scapy / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")
    buf = bytearray(r.buffer_len())
    r.emit_buffer(buf, SRC, DST)
    assert bytes(IPv6(src=str(SRC), dst=str(DST), hlim=255) / scapy)[40:] == bytes(buf)
    assert NdpRepr.parse_buffer(buf) == r
    assert Icmpv6Packet(buf).verify_checksum(SRC, DST)


@settings(max_examples=50, deadline=None)
@given(addrs, st.binary(min_size=6, max_size=6))
def test_nonce_option_round_trips_and_matches_scapy(target: Ipv6Address, nonce: bytes) -> None:
    r = NdpRepr(Icmpv6Message.NEIGHBOR_SOLICIT, target, nonce=nonce)
    buf = bytearray(r.buffer_len())
    r.emit_buffer(buf, Ipv6Address.UNSPECIFIED, DST)
    # scapy knows no Nonce option (RFC 3971 5.3.2): an unknown option of type 14 is the same.
    scapy = ICMPv6ND_NS(tgt=str(target)) / ICMPv6NDOptUnknown(type=14, len=1, data=nonce)
    assert bytes(IPv6(src="::", dst=str(DST), hlim=255) / scapy)[40:] == bytes(buf)
    assert NdpRepr.parse_buffer(buf) == r
    assert f"nonce={nonce.hex()}" in str(r)


def test_longer_nonce_is_read_and_a_wrong_length_is_not_emitted() -> None:
    nonce = bytes(range(14))
    scapy = ICMPv6ND_NS(tgt="fe80::1") / ICMPv6NDOptUnknown(type=14, len=2, data=nonce)
    raw = bytes(IPv6(src="::", dst="ff02::1:ff00:1", hlim=255) / scapy)[40:]
    assert NdpRepr.parse_buffer(raw).nonce == nonce
    r = NdpRepr(Icmpv6Message.NEIGHBOR_SOLICIT, Ipv6Address("fe80::1"), nonce=b"short")
    with pytest.raises(ValueError, match="nonce"):
        r.emit_buffer(bytearray(64), SRC, DST)


# Found by fuzzing (fuzz/targets.py, wire): a router advertisement whose Nonce option is 14
# units long, 110 nonce octets. It parsed, but emitting it raised ValueError ("nonce must be 6
# octets"): what parse accepts must emit unchanged.
FUZZ_LONG_NONCE = bytes.fromhex("8600007b" + "0e" * 111 + "c4000800002b00000000000000")


def test_a_parsed_long_nonce_emits_and_parses_again_unchanged() -> None:
    r = NdpRepr.parse_buffer(FUZZ_LONG_NONCE)
    assert r.nonce is not None and len(r.nonce) == 110
    buf = bytearray(r.buffer_len())
    r.emit_buffer(buf, SRC, DST)
    assert buf[12:14] == b"\x0e\x0e"  # type 14, 14 units
    assert NdpRepr.parse_buffer(buf) == r


@pytest.mark.parametrize("size", [0, 5, 7, 13, 15, 256 * 8 - 2])
def test_a_nonce_that_cannot_fill_an_option_is_not_emitted(size: int) -> None:
    r = NdpRepr(Icmpv6Message.NEIGHBOR_SOLICIT, Ipv6Address("fe80::1"), nonce=bytes(size))
    with pytest.raises(ValueError, match="nonce"):
        r.emit_buffer(bytearray(r.buffer_len()), SRC, DST)


def test_router_advertisement_from_scapy() -> None:
    ra = (
        ICMPv6ND_RA(routerlifetime=1800, M=1, chlim=64, reachabletime=30000, retranstimer=1000)
        / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")
        / ICMPv6NDOptMTU(mtu=1500)
        / ICMPv6NDOptPrefixInfo(prefix="fdaa::", prefixlen=64, validlifetime=7200)
    )
    raw = bytes(IPv6(src="fe80::1", dst="ff02::1", hlim=255) / ra)[40:]
    r = NdpRepr.parse_buffer(raw)
    assert r.message == Icmpv6Message.ROUTER_ADVERT
    assert (r.cur_hop_limit, r.managed, r.other, r.router_lifetime) == (64, True, False, 1800)
    assert (r.reachable_time, r.retrans_time, r.mtu, r.source_ll_addr) == (30000, 1000, 1500, MAC)
    assert r.prefixes == (NdpPrefixInfo(Ipv6Address("fdaa::"), 64, True, True, 7200, 0xFFFFFFFF),)
    # Emit and parse back (scapy sets RFC 4191 preference bits this representation drops).
    buf = bytearray(r.buffer_len())
    r.emit_buffer(buf, SRC, DST)
    assert NdpRepr.parse_buffer(buf) == r


def test_redirect_is_parsed() -> None:
    raw = bytes(
        IPv6(src="fe80::1", dst="fdaa::1", hlim=255)
        / ICMPv6ND_Redirect(tgt="fe80::2", dst="fdaa::9")
        / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:01")
    )[40:]
    r = NdpRepr.parse_buffer(raw)
    assert (r.target_addr, r.dst_addr, r.target_ll_addr) == (
        Ipv6Address("fe80::2"),
        Ipv6Address("fdaa::9"),
        MAC,
    )
    with pytest.raises(ValueError, match="message"):
        r.emit_buffer(bytearray(r.buffer_len()), SRC, DST)


def test_extension_header_walk_matches_scapy() -> None:
    pkt = (
        IPv6(src=str(SRC), dst=str(DST))
        / IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\x00\x00")])
        / IPv6ExtHdrDestOpt()
        / IPv6ExtHdrRouting(addresses=["fdaa::7"], segleft=1)
        / IPv6ExtHdrFragment(offset=0, m=1, id=0xABCDEF01)
        / UDP(sport=1, dport=2)
        / b"data"
    )
    raw = bytes(pkt)
    ip = Ipv6Repr.parse_buffer(raw)
    chain = walk_ext_headers(memoryview(raw)[40:], ip.next_header)
    kinds = [h.kind for h in chain.headers]
    assert kinds == [
        IpProtocol.HOPOPTS,
        IpProtocol.IPV6_OPTS,
        IpProtocol.IPV6_ROUTE,
        IpProtocol.IPV6_FRAG,
    ]
    assert chain.next_header == IpProtocol.UDP
    assert chain.headers[2].segments_left == 1
    frag = chain.fragment
    assert frag is not None and (frag.frag_offset, frag.more_frags, frag.ident) == (
        0,
        True,
        0xABCDEF01,
    )
    # RFC 8200 8.1: with a Routing header the pseudo header has the final destination.
    final = Ipv6Address("fdaa::7")
    udp = UdpRepr.parse_buffer(memoryview(raw)[40 + chain.offset :], SRC, final)
    assert bytes(udp.payload) == b"data"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(2, 255), st.binary(max_size=12)).map(
            lambda t: Ipv6OptionRepr(Ipv6OptionType(t[0]), t[1])
        ),
        max_size=4,
    )
)
def test_options_header_round_trip(options: list[Ipv6OptionRepr]) -> None:
    opts = tuple(options)
    buf = bytearray(options_header_len(opts))
    assert emit_options_header(buf, IpProtocol.TCP, opts) == len(buf)
    assert len(buf) % 8 == 0
    chain = walk_ext_headers(buf, IpProtocol.HOPOPTS)
    got = [o for o in chain.headers[0].options if o.option_type not in (0, 1)]
    assert [(o.option_type, bytes(o.data)) for o in got] == [
        (o.option_type, bytes(o.data)) for o in opts
    ]
    assert chain.next_header == IpProtocol.TCP
    # scapy reads the same header: same length and next header.
    s = IPv6ExtHdrHopByHop(bytes(buf))
    assert (s.nh, (s.len + 1) * 8) == (6, len(buf))


def test_unknown_option_action_is_its_two_high_bits() -> None:
    assert Ipv6OptionRepr(Ipv6OptionType(0x1E)).action == Ipv6OptionAction.SKIP
    assert Ipv6OptionRepr(Ipv6OptionType(0x5E)).action == Ipv6OptionAction.DISCARD
    assert Ipv6OptionRepr(Ipv6OptionType(0x9E)).action == Ipv6OptionAction.DISCARD_ICMP
    assert Ipv6OptionRepr(Ipv6OptionType(0xDE)).action == Ipv6OptionAction.DISCARD_ICMP_UNICAST


def _ext(nh: int, body: bytes) -> bytes:
    """An options header with next header ``nh`` and ``body`` after the two leading octets."""
    return bytes([nh, (len(body) + 2) // 8 - 1]) + body


HBH, DSTOPTS, FRAG, ROUTE = 0, 60, 44, 43

MALFORMED_CHAINS = [
    ("truncated options header", HBH, bytes([17, 0, 1, 4])),
    ("header longer than the packet", HBH, bytes([17, 1]) + bytes(6)),
    ("option length past the header", HBH, _ext(17, bytes([0x1E, 9]) + bytes(4))),
    ("option type without a length", HBH, _ext(17, bytes(5) + bytes([0x1E]))),
    ("hop-by-hop not first", DSTOPTS, _ext(HBH, bytes([1, 4]) + bytes(4)) + _ext(17, bytes(6))),
    ("two fragment headers", FRAG, bytes([FRAG, 0, 0, 1, 0, 0, 0, 1]) + bytes([17]) + bytes(7)),
    (
        "a loop of routing headers",
        ROUTE,
        bytes([ROUTE, 0, 0, 0]) + bytes(4) + bytes([ROUTE, 0]) + bytes(6),
    ),
    ("truncated fragment header", FRAG, bytes([17, 0, 0, 1])),
    ("three destination options", DSTOPTS, _ext(60, bytes(6)) * 2 + _ext(17, bytes(6))),
]


@pytest.mark.parametrize(
    ("why", "first", "payload"), MALFORMED_CHAINS, ids=[m[0] for m in MALFORMED_CHAINS]
)
def test_malformed_chains_raise(why: str, first: int, payload: bytes) -> None:
    with pytest.raises(MalformedPacket):
        walk_ext_headers(payload, first)


def test_walk_is_bounded() -> None:
    chain = _ext(DSTOPTS, bytes(6)) + _ext(17, bytes(6))
    assert walk_ext_headers(chain, DSTOPTS).next_header == IpProtocol.UDP
    with pytest.raises(MalformedPacket):
        walk_ext_headers(chain, DSTOPTS, max_headers=1)
    with pytest.raises(ValueError, match="max_headers"):
        walk_ext_headers(chain, DSTOPTS, max_headers=-1)


RS = bytes([133, 0, 0, 0]) + bytes(4)

MALFORMED_MESSAGES = [
    ("ipv6 header truncated", lambda: Ipv6Repr.parse_buffer(GOLDEN_ECHO[:39])),
    ("ipv6 payload_len past the buffer", lambda: Ipv6Packet(GOLDEN_ECHO[:-1])),
    ("not version 6", lambda: Ipv6Packet(b"\x45" + GOLDEN_ECHO[1:])),
    (
        "icmpv6 bad checksum",
        lambda: Icmpv6Repr.parse_buffer(GOLDEN_ECHO[40:], SRC, Ipv6Address("fdaa::2")),
    ),
    ("icmpv6 truncated", lambda: Icmpv6Repr.parse_buffer(GOLDEN_ECHO[40:44], SRC, DST)),
    (
        "error quoting a truncated header",
        lambda: Icmpv6Repr.parse_buffer(
            bytes(IPv6(src=str(SRC), dst=str(DST)) / ICMPv6DestUnreach() / (b"x" * 20))[40:],
            SRC,
            DST,
        ),
    ),
    (
        "ndp option of length 0",
        lambda: NdpRepr.parse_buffer(bytes([133, 0, 0, 0]) + bytes(4) + bytes([1, 0]) + bytes(6)),
    ),
    (
        "ndp option past the message",
        lambda: NdpRepr.parse_buffer(bytes([133, 0, 0, 0]) + bytes(4) + bytes([1, 2]) + bytes(6)),
    ),
    ("ndp truncated", lambda: NdpRepr.parse_buffer(bytes([135, 0, 0, 0]) + bytes(10))),
    ("ndp non-zero code", lambda: NdpRepr.parse_buffer(bytes([133, 1, 0, 0]) + bytes(4))),
    ("not ndp", lambda: NdpRepr.parse_buffer(bytes([128, 0, 0, 0]) + bytes(4))),
]


@pytest.mark.parametrize(
    ("why", "call"), MALFORMED_MESSAGES, ids=[m[0] for m in MALFORMED_MESSAGES]
)
def test_malformed_messages_raise(why: str, call: object) -> None:
    with pytest.raises(MalformedPacket):
        call()  # type: ignore[operator]


def test_ndp_with_any_hop_limit_is_valid_wire() -> None:
    # RFC 4861 7.1.1's hop limit rule is the stack's: the wire parses the message whatever it is.
    raw = bytes(IPv6(src=str(SRC), dst=str(DST), hlim=64) / ICMPv6ND_NS(tgt=str(DST)))
    assert Ipv6Repr.parse_buffer(raw).hop_limit == 64
    assert NdpRepr.parse_buffer(raw[40:]).target_addr == DST


def test_tcp_and_udp_checksums_over_ipv6_match_scapy() -> None:
    raw = bytes(IPv6(src=str(SRC), dst=str(DST)) / UDP(sport=7, dport=9) / b"hello")
    assert UdpPacket(raw[40:]).verify_checksum(SRC, DST)
    raw = bytes(IPv6(src=str(SRC), dst=str(DST)) / TCP(sport=7, dport=9, flags="S"))
    assert TcpPacket(raw[40:]).verify_checksum(SRC, DST)


def test_pretty_printer_renders_ipv6() -> None:
    text = pretty_print(bytes(14)[:12] + b"\x86\xdd" + GOLDEN_ECHO)
    assert "IPv6 src=fdaa::1 dst=fdaa::100" in text
    assert "ICMPv6 echo request id=4660 seq=1 len=4" in text
    assert "bad-cksum" not in text


PCAPS = sorted(CAPTURES.glob("*.pcap")) if CAPTURES.is_dir() else []


@pytest.mark.skipif(not PCAPS, reason=f"no captures in {CAPTURES}")
def test_capture_ipv6_frames_parse_and_re_emit() -> None:
    seen = 0
    for path in PCAPS:
        for frame in read_pcap(path):
            eth = EthernetFrame(frame)
            if eth.ethertype != EthernetProtocol.IPV6:
                continue
            seen += 1
            payload = bytes(eth.payload)
            ip = Ipv6Repr.parse_buffer(payload)
            out = bytearray(40)
            ip.emit_buffer(out)
            assert bytes(out) == payload[:40]
            chain = walk_ext_headers(memoryview(payload)[40 : 40 + ip.payload_len], ip.next_header)
            upper = memoryview(payload)[40 + chain.offset : 40 + ip.payload_len]
            if chain.next_header == IpProtocol.ICMPV6:
                icmp = Icmpv6Repr.parse_buffer(upper, ip.src_addr, ip.dst_addr)
                if icmp.message in (135, 136, 133, 134, 137):
                    NdpRepr.parse_buffer(upper)
                elif icmp.message in (128, 129):
                    again = bytearray(icmp.buffer_len())
                    icmp.emit_buffer(again, ip.src_addr, ip.dst_addr)
                    assert bytes(again) == bytes(upper)
            assert "malformed" not in pretty_print(frame)
    assert seen


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 6),
            st.integers(0, (1 << 120) - 1).map(lambda i: Ipv6Address((0xFF << 120) | i)),
            st.lists(addrs, max_size=3),
        ),
        max_size=3,
    )
)
def test_mldv2_report_round_trip_and_scapy(records: list[tuple[int, Ipv6Address, list]]) -> None:
    r = Mldv2ReportRepr(
        tuple(Mldv2AddressRecord(Mldv2RecordType(t), g, tuple(s)) for t, g, s in records)
    )
    buf = bytearray(r.buffer_len())
    src, dst = Ipv6Address("fe80::1"), Ipv6Address("ff02::16")
    r.emit_buffer(buf, src, dst)
    assert Mldv2ReportRepr.parse_buffer(buf) == r
    scapy = ICMPv6MLReport2(
        records=[
            ICMPv6MLDMultAddrRec(rtype=t, dst=str(g), sources=[str(a) for a in s])
            for t, g, s in records
        ]
    )
    assert bytes(IPv6(src=str(src), dst=str(dst)) / scapy)[40:] == bytes(buf)


def test_mldv2_record_past_the_message_is_malformed() -> None:
    with pytest.raises(MalformedPacket):
        Mldv2ReportRepr.parse_buffer(bytes([143, 0, 0, 0, 0, 0, 0, 1]) + bytes(19))
    with pytest.raises(MalformedPacket):
        Mldv2ReportRepr.parse_buffer(bytes([143, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1]) + bytes(16))
