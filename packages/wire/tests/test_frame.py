"""`parse_tcp_frame` / `emit_tcp_frame` give what the three layers give one after the other:
the same representations, octets and errors, for good, mutated and truncated frames."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from smoltcp.wire import (
    ChecksumCapabilities,
    EthernetAddress,
    EthernetProtocol,
    EthernetRepr,
    IpProtocol,
    Ipv4Address,
    Ipv4Packet,
    Ipv4Repr,
    MalformedPacket,
    TcpControl,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
    UnsupportedPacket,
    emit_tcp_frame,
    parse_tcp_frame,
)
from smoltcp.wire.checksum import internet_sum

SRC = Ipv4Address("192.168.69.1")
DST = Ipv4Address("192.168.69.100")
ETH = EthernetRepr(
    EthernetAddress.parse("02-00-00-00-00-01"),
    EthernetAddress.parse("02-00-00-00-00-02"),
    EthernetProtocol.IPV4,
)
CAPS = ChecksumCapabilities()
NO_CHECKS = ChecksumCapabilities.ignored()


def other_sum(data: bytes | bytearray | memoryview, initial: int = 0) -> int:
    """Another implementation of the seam's contract (as the stack's kernel is)."""
    return internet_sum(bytes(data), initial)


def outcome(fn: Callable[[], object]) -> object:
    try:
        return fn()
    except UnsupportedPacket as exc:
        return ("unsupported", exc.protocol)
    except MalformedPacket as exc:
        return (type(exc), exc.protocol, exc.field)


def layered(frame: bytes, caps: ChecksumCapabilities, csum) -> tuple:  # type: ignore[no-untyped-def]
    """Parse layer by layer, the reference."""
    eth = EthernetRepr.parse_buffer(frame)
    if eth.ethertype != EthernetProtocol.IPV4:
        raise UnsupportedPacket("ethernet", "ethertype", "not IPv4")
    packet = memoryview(frame)[14:]
    ip = Ipv4Repr.parse_buffer(packet, caps, csum)
    if ip.next_header != IpProtocol.TCP:
        raise UnsupportedPacket("ipv4", "protocol", "not TCP")
    if ip.more_frags or ip.frag_offset:
        raise UnsupportedPacket("ipv4", "frag_offset", "a fragment")
    start = (packet[0] & 0x0F) * 4
    tcp = TcpRepr.parse_buffer(
        packet[start : start + ip.payload_len], ip.src_addr, ip.dst_addr, caps, csum
    )
    return eth, ip, tcp


def emit_layered(eth: EthernetRepr, ip: Ipv4Repr, tcp: TcpRepr, caps, csum) -> bytes:  # type: ignore[no-untyped-def]
    buf = bytearray(34 + tcp.buffer_len())
    view = memoryview(buf)
    eth.emit_buffer(view)
    ip.emit_buffer(view[14:], caps, csum)
    tcp.emit_buffer(view[34:], ip.src_addr, ip.dst_addr, caps, csum)
    return bytes(buf)


seq_numbers = st.integers(0, 2**32 - 1).map(TcpSeqNumber)
timestamps = st.builds(TcpTimestampRepr, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
# Half the segments have the shape the one-call path is fast for (Timestamps alone), half
# anything else.
common_tcp = st.builds(
    lambda ctl, seq, ack, win, ts, payload, psh: TcpRepr(
        1234, 80, ctl, seq, ack, win, timestamp=ts, payload=payload, psh=psh
    ),
    st.sampled_from(list(TcpControl)),
    seq_numbers,
    st.none() | seq_numbers,
    st.integers(0, 0xFFFF),
    timestamps,
    st.binary(max_size=40),
    st.booleans(),
)
other_tcp = st.builds(
    lambda ctl, seq, ack, win, ts, payload, ece, mss, sack: TcpRepr(
        1234,
        80,
        ctl,
        seq,
        ack,
        win,
        max_seg_size=mss,
        sack_ranges=sack,
        timestamp=ts,
        payload=payload,
        ece=ece,
    ),
    st.sampled_from(list(TcpControl)),
    seq_numbers,
    st.none() | seq_numbers,
    st.integers(0, 0xFFFF),
    st.none() | timestamps,
    st.binary(max_size=40),
    st.booleans(),
    st.none() | st.just(1460),
    st.just(()) | st.just(((5, 9),)),
)
tcp_reprs = st.one_of(common_tcp, other_tcp)
ip_fields = st.tuples(
    st.integers(1, 255),  # hop limit
    st.integers(0, 63),  # dscp
    st.integers(0, 3),  # ecn
    st.integers(0, 0xFFFF),  # ident
    st.booleans(),  # dont_frag
    st.sampled_from([(False, 0)] * 4 + [(True, 0), (False, 8)]),  # more_frags, frag_offset
    st.sampled_from([IpProtocol.TCP] * 4 + [IpProtocol.UDP]),
)


def make_ip(tcp: TcpRepr, fields: tuple) -> Ipv4Repr:  # type: ignore[type-arg]
    hop, dscp, ecn, ident, df, (mf, off), proto = fields
    return Ipv4Repr(SRC, DST, proto, tcp.buffer_len(), hop, dscp, ecn, ident, df, mf, off)


@settings(max_examples=400)
@given(tcp_reprs, ip_fields, st.integers(0, 120), st.integers(1, 255), st.integers(0, 100))
def test_parse_tcp_frame_answers_as_the_layers_do(
    tcp: TcpRepr,
    fields: tuple,
    at: int,
    flip: int,
    cut: int,  # type: ignore[type-arg]
) -> None:
    ip = make_ip(tcp, fields)
    frame = emit_layered(ETH, ip, tcp, CAPS, internet_sum)
    bad = bytearray(frame)
    if at < len(bad):
        bad[at] ^= flip
    padded = frame + bytes(cut % 7)  # Ethernet padding after the IP packet
    for octets in (frame, bytes(bad), frame[:cut], padded):
        for caps, csum in ((CAPS, internet_sum), (CAPS, other_sum), (NO_CHECKS, internet_sum)):
            want = outcome(lambda o=octets, c=caps, s=csum: layered(o, c, s))
            got = outcome(lambda o=octets, c=caps, s=csum: parse_tcp_frame(o, c, s))
            assert got == want, (octets.hex(), caps)


@settings(max_examples=400)
@given(tcp_reprs, ip_fields)
def test_emit_tcp_frame_writes_what_the_layers_write(tcp: TcpRepr, fields: tuple) -> None:  # type: ignore[type-arg]
    ip = make_ip(tcp, fields)
    for caps, csum in ((CAPS, internet_sum), (CAPS, other_sum), (NO_CHECKS, internet_sum)):
        want = emit_layered(ETH, ip, tcp, caps, csum)
        buf = bytearray(len(want))
        emit_tcp_frame(buf, ETH, ip, tcp, caps, csum)
        assert bytes(buf) == want
        view = memoryview(bytearray(len(want) + 5))
        emit_tcp_frame(view, ETH, ip, tcp, caps, csum)
        assert bytes(view[: len(want)]) == want


def test_the_common_frame_round_trips() -> None:
    tcp = TcpRepr(
        1234, 80, TcpControl.PSH, TcpSeqNumber(7), TcpSeqNumber(9), 500,
        timestamp=TcpTimestampRepr(1, 2), payload=b"hello",
    )  # fmt: skip
    ip = Ipv4Repr(SRC, DST, IpProtocol.TCP, tcp.buffer_len(), 64, ident=3)
    buf = bytearray(34 + tcp.buffer_len())
    emit_tcp_frame(buf, ETH, ip, tcp)
    eth2, ip2, tcp2 = parse_tcp_frame(bytes(buf))
    assert (eth2, ip2) == (ETH, ip)
    assert tcp2._replace(payload=bytes(tcp2.payload)) == tcp


def test_the_reserved_flag_bit_is_read_as_the_layers_read_it() -> None:
    # RFC 791's reserved flag (RFC 3514's "evil bit") beside DF: ignored by both paths alike.
    tcp = TcpRepr(
        1234, 80, TcpControl.NONE, TcpSeqNumber(7), TcpSeqNumber(9), 500,
        timestamp=TcpTimestampRepr(1, 2),
    )  # fmt: skip
    for df in (True, False):
        ip = Ipv4Repr(SRC, DST, IpProtocol.TCP, tcp.buffer_len(), 64, dont_frag=df)
        frame = bytearray(emit_layered(ETH, ip, tcp, CAPS, internet_sum))
        frame[20] |= 0x80
        Ipv4Packet(memoryview(frame)[14:]).fill_checksum()
        assert parse_tcp_frame(bytes(frame)) == layered(bytes(frame), CAPS, internet_sum)
