"""The checksum seam: every parse/emit/verify/fill takes ``csum=`` and gives the same result with
any conforming sum (here a naive word-by-word adder that counts its calls) as with the built-in
reference, which the hot paths inline."""

from __future__ import annotations

from hypothesis import given, settings
from wire_testlib import icmpv4_reprs, ipv4_reprs, naive_sum, tcp_reprs, udp_reprs

from smoltcp.wire import (
    ChecksumCapabilities,
    Icmpv4Packet,
    Icmpv4Repr,
    Ipv4Address,
    Ipv4Packet,
    Ipv4Repr,
    MalformedPacket,
    TcpControl,
    TcpPacket,
    TcpRepr,
    TcpSeqNumber,
    UdpPacket,
    UdpRepr,
)

SRC = Ipv4Address("10.0.0.1")
DST = Ipv4Address("10.0.0.2")
CAPS = ChecksumCapabilities()


class CountingSum:
    """A conforming InternetSum that is not the reference, and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, data: bytes | bytearray | memoryview, initial: int = 0) -> int:
        self.calls += 1
        return naive_sum(bytes(data), initial)


def corrupt(buf: bytearray, at: int) -> bytes:
    bad = bytearray(buf)
    bad[at] ^= 0x40
    return bytes(bad)


@settings(max_examples=150)
@given(ipv4_reprs)
def test_ipv4(r: Ipv4Repr) -> None:
    ours, theirs = bytearray(20), bytearray(20)
    csum = CountingSum()
    r.emit(Ipv4Packet.new_unchecked(ours), CAPS)
    r.emit(Ipv4Packet.new_unchecked(theirs), CAPS, csum=csum)
    assert ours == theirs and csum.calls == 1
    packet = Ipv4Packet(ours + bytes(r.payload_len))
    assert Ipv4Repr.parse(packet, CAPS, csum=csum) == r and csum.calls == 2
    assert packet.verify_checksum(csum=csum)
    bad = Ipv4Packet(corrupt(ours, 8) + bytes(r.payload_len))
    for sum_ in (csum, None):
        try:
            Ipv4Repr.parse(bad, CAPS, **({"csum": sum_} if sum_ else {}))
        except MalformedPacket as exc:
            assert exc.field == "checksum"
        else:
            raise AssertionError("a corrupted header passed")


@settings(max_examples=150)
@given(tcp_reprs())
def test_tcp(r: TcpRepr) -> None:
    ours, theirs = bytearray(r.buffer_len()), bytearray(r.buffer_len())
    csum = CountingSum()
    r.emit(TcpPacket.new_unchecked(ours), SRC, DST, CAPS)
    r.emit(TcpPacket.new_unchecked(theirs), SRC, DST, CAPS, csum=csum)
    assert ours == theirs and csum.calls == 1
    assert TcpRepr.parse(TcpPacket(bytes(ours)), SRC, DST, CAPS, csum=csum) == r
    assert csum.calls == 2
    filled = TcpPacket(bytearray(ours))
    filled.fill_checksum(SRC, DST, csum=csum)
    assert filled.buffer == ours and filled.verify_checksum(SRC, DST, csum=csum)
    bad = TcpPacket(corrupt(ours, 4))  # a sequence-number bit
    for kwargs in ({"csum": csum}, {}):
        try:
            TcpRepr.parse(bad, SRC, DST, CAPS, **kwargs)  # type: ignore[arg-type]
        except MalformedPacket as exc:
            assert exc.field == "checksum"
        else:
            raise AssertionError("a corrupted segment passed")


@settings(max_examples=100)
@given(udp_reprs, icmpv4_reprs())
def test_udp_and_icmpv4(u: UdpRepr, i: Icmpv4Repr) -> None:
    csum = CountingSum()
    ours, theirs = bytearray(u.buffer_len()), bytearray(u.buffer_len())
    u.emit(UdpPacket.new_unchecked(ours), SRC, DST, CAPS)
    u.emit(UdpPacket.new_unchecked(theirs), SRC, DST, CAPS, csum=csum)
    assert ours == theirs and csum.calls == 1
    assert UdpRepr.parse(UdpPacket(bytes(ours)), SRC, DST, CAPS, csum=csum) == u
    ours, theirs = bytearray(i.buffer_len()), bytearray(i.buffer_len())
    i.emit(Icmpv4Packet.new_unchecked(ours), CAPS)
    i.emit(Icmpv4Packet.new_unchecked(theirs), CAPS, csum=csum)
    assert ours == theirs
    assert Icmpv4Repr.parse(Icmpv4Packet(bytes(ours)), CAPS, csum=csum) == i


def test_offloaded_checksums_are_left_zero_and_not_verified() -> None:
    csum = CountingSum()
    r = TcpRepr(1, 2, TcpControl.NONE, TcpSeqNumber(5), None, 6, payload=b"data")
    none = ChecksumCapabilities.ignored()
    buf = bytearray(r.buffer_len())
    r.emit(TcpPacket.new_unchecked(buf), SRC, DST, none, csum=csum)
    assert buf[16:18] == b"\x00\x00" and csum.calls == 0
    assert TcpRepr.parse(TcpPacket(bytes(buf)), SRC, DST, none, csum=csum) == r
    assert csum.calls == 0
