"""The checksum seam with IPv6 pseudo-headers: a sum whose initial value must fit 64 bits (as
the stack's compiled kernel's does) gives the reference's answer for TCP, UDP and ICMPv6 over
IPv6, on parse and on emit. Two 128-bit addresses sum past 2**128, so the per-packet paths must
reduce the pseudo-header's sum before they hand it to such a kernel."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from wire_testlib import naive_sum, payloads, tcp_reprs, u16

from smoltcp.wire import ChecksumCapabilities, Ipv6Address, MalformedPacket, TcpRepr, UdpRepr
from smoltcp.wire.icmpv6 import Icmpv6Repr

CAPS = ChecksumCapabilities()
_INT64_MAX = (1 << 63) - 1

ipv6_addrs = st.one_of(
    st.binary(min_size=16, max_size=16),
    st.just(b"\xff" * 16),  # the largest sum two addresses can have
).map(Ipv6Address)


class Int64Sum:
    """A conforming InternetSum that refuses an initial value beyond int64, as a compiled
    kernel does (OverflowError), and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, data: bytes | bytearray | memoryview, initial: int = 0) -> int:
        if not 0 <= initial <= _INT64_MAX:
            raise OverflowError(f"initial {initial:#x} does not fit int64")
        self.calls += 1
        return naive_sum(bytes(data), initial)


def _flip(buf: bytearray, at: int) -> bytes:
    bad = bytearray(buf)
    bad[at] ^= 0x40
    return bytes(bad)


def _rejects(parse: object, buf: bytes, *args: object) -> bool:
    try:
        parse(buf, *args)  # type: ignore[operator]
    except MalformedPacket as exc:
        return exc.field == "checksum"
    return False


@settings(max_examples=150)
@given(tcp_reprs(), ipv6_addrs, ipv6_addrs)
def test_tcp(r: TcpRepr, src: Ipv6Address, dst: Ipv6Address) -> None:
    ours, theirs = bytearray(r.buffer_len()), bytearray(r.buffer_len())
    csum = Int64Sum()
    r.emit_buffer(ours, src, dst, CAPS)
    r.emit_buffer(theirs, src, dst, CAPS, csum)
    assert ours == theirs and csum.calls == 1
    assert TcpRepr.parse_buffer(bytes(ours), src, dst, CAPS, csum) == r
    assert csum.calls == 2
    bad = _flip(ours, 16)  # the checksum field
    assert _rejects(TcpRepr.parse_buffer, bad, src, dst, CAPS, csum)
    assert _rejects(TcpRepr.parse_buffer, bad, src, dst, CAPS)


@settings(max_examples=150)
@given(u16, u16, payloads, ipv6_addrs, ipv6_addrs)
def test_udp(sport: int, dport: int, data: bytes, src: Ipv6Address, dst: Ipv6Address) -> None:
    r = UdpRepr(sport, dport, data)
    ours, theirs = bytearray(r.buffer_len()), bytearray(r.buffer_len())
    csum = Int64Sum()
    r.emit_buffer(ours, src, dst, CAPS)
    r.emit_buffer(theirs, src, dst, CAPS, csum)
    assert ours == theirs and csum.calls == 1
    assert UdpRepr.parse_buffer(bytes(ours), src, dst, CAPS, csum) == r
    bad = _flip(ours, 6)
    assert _rejects(UdpRepr.parse_buffer, bad, src, dst, CAPS, csum)


@settings(max_examples=150)
@given(st.booleans(), u16, u16, payloads, ipv6_addrs, ipv6_addrs)
def test_icmpv6_echo(
    request: bool, ident: int, seq_no: int, data: bytes, src: Ipv6Address, dst: Ipv6Address
) -> None:
    make = Icmpv6Repr.echo_request if request else Icmpv6Repr.echo_reply
    r = make(ident, seq_no, data)
    ours, theirs = bytearray(r.buffer_len()), bytearray(r.buffer_len())
    csum = Int64Sum()
    r.emit_buffer(ours, src, dst, CAPS)
    r.emit_buffer(theirs, src, dst, CAPS, csum)
    assert ours == theirs and csum.calls == 1
    assert Icmpv6Repr.parse_buffer(bytes(ours), src, dst, CAPS, csum) == r
    bad = _flip(ours, 2)
    assert _rejects(Icmpv6Repr.parse_buffer, bad, src, dst, CAPS, csum)
