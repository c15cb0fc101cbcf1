"""TCP options are written in Linux's aligned layout, and without NOPs where that would not
fit: whatever options a received header held can be written back and read the same."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smoltcp.wire import ChecksumCapabilities, Ipv4Address, MalformedPacket, TcpPacket, TcpRepr

SRC = Ipv4Address("192.168.69.1")
DST = Ipv4Address("192.168.69.100")
IGNORE = ChecksumCapabilities.ignored()


def _segment(options: bytes) -> bytes:
    """Return a TCP header with ``options`` (zero-padded to 4 octets) and no payload."""
    options += bytes(-len(options) % 4)
    offset = (20 + len(options)) // 4
    return struct.pack("!HHLLHHHH", 1, 2, 3, 4, offset << 12 | 0x10, 5, 0, 0) + options


def _round_trip(segment: bytes) -> tuple[TcpRepr, TcpRepr, bytes]:
    parsed = TcpRepr.parse_buffer(segment, SRC, DST, IGNORE)
    out = bytearray(parsed.buffer_len())
    parsed.emit_buffer(out, SRC, DST, IGNORE)
    return parsed, TcpRepr.parse_buffer(out, SRC, DST, IGNORE), bytes(out)


def test_options_the_aligned_layout_cannot_hold_are_written_without_nops() -> None:
    # Found by fuzzing: an empty unknown option, one of 35 octets and a window scale fill
    # 40 octets; with the NOP Linux puts before the window scale they would need 44.
    options = bytes([246, 2, 186, 35]) + bytes(range(33)) + bytes([3, 3, 7])
    parsed, again, out = _round_trip(_segment(options))
    assert again == parsed
    assert parsed.window_scale == 7 and len(parsed.unknown_options) == 2
    assert len(out) == 60 and 1 not in out[20:24]  # no NOP: MSS-less, the first option first


def test_a_header_that_fits_aligned_keeps_linux_layout() -> None:
    options = bytes([2, 4, 5, 0xB4, 4, 2, 8, 10]) + bytes(8) + bytes([1, 3, 3, 7])
    parsed, again, out = _round_trip(_segment(options))
    assert again == parsed
    # Linux's SYN layout: MSS, SACK-permitted + Timestamps in 12 octets, NOP + window scale.
    assert out[20:40] == bytes.fromhex("020405b4") + bytes.fromhex("0402080a") + bytes(8) + (
        bytes.fromhex("01030307")
    )


def test_options_beyond_40_octets_even_without_nops_are_refused() -> None:
    base = TcpRepr.parse_buffer(_segment(b""), SRC, DST, IGNORE)
    too_big = base._replace(unknown_options=((30, bytes(20)), (31, bytes(20))))
    with pytest.raises(ValueError, match="40"):
        too_big.emit_buffer(bytearray(100), SRC, DST, IGNORE)


_OPTION = st.one_of(
    st.builds(lambda v: bytes([2, 4]) + v.to_bytes(2, "big"), st.integers(0, 0xFFFF)),
    st.just(bytes([4, 2])),
    st.builds(
        lambda a, b: bytes([8, 10]) + struct.pack("!LL", a, b),
        st.integers(0, 2**32 - 1),
        st.integers(0, 2**32 - 1),
    ),
    st.builds(lambda s: bytes([3, 3, s]), st.integers(0, 14)),
    st.builds(
        lambda blocks: (
            bytes([5, 2 + 8 * len(blocks)]) + b"".join(struct.pack("!LL", *b) for b in blocks)
        ),
        st.lists(
            st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), min_size=1, max_size=4
        ),
    ),
    st.builds(
        lambda kind, data: bytes([kind, 2 + len(data)]) + data,
        st.sampled_from([6, 7, 9, 30, 34, 186, 253, 254]),
        st.binary(max_size=20),
    ),
    st.just(bytes([1])),
)


@given(st.lists(_OPTION, max_size=8))
def test_any_options_that_parse_are_written_back_the_same(options: list[bytes]) -> None:
    raw = b"".join(options)
    if len(raw) > 40:
        return
    try:
        parsed = TcpRepr.parse_buffer(_segment(raw), SRC, DST, IGNORE)
    except MalformedPacket:  # a combination the parser refuses
        return
    out = bytearray(parsed.buffer_len())
    parsed.emit(TcpPacket.new_unchecked(out), SRC, DST, IGNORE)
    assert TcpRepr.parse_buffer(out, SRC, DST, IGNORE) == parsed
