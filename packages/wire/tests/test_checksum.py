"""The RFC 1071 reference sum against a naive word-by-word one's complement adder."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smoltcp.wire import Ipv4Address, internet_sum, pseudo_header_sum


def naive_sum(data: bytes, initial: int = 0) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = initial
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        while total > 0xFFFF:  # end-around carry
            total = (total & 0xFFFF) + (total >> 16)
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def test_rfc1071_example() -> None:
    # RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
    assert internet_sum(bytes.fromhex("0001f203f4f5f6f7")) == 0xDDF2


def test_zero_versus_ffff() -> None:
    assert internet_sum(b"") == 0
    assert internet_sum(b"\x00\x00\x00") == 0
    assert internet_sum(b"\xff\xff") == 0xFFFF
    assert internet_sum(b"\xff\xff\xff\xff") == 0xFFFF
    assert internet_sum(b"\x80\x00\x7f\xff") == 0xFFFF
    assert internet_sum(b"", 0xFFFF) == 0xFFFF
    assert internet_sum(b"\x01") == 0x0100


@given(st.binary(max_size=3000), st.integers(0, 0xFFFF))
def test_against_naive(data: bytes, initial: int) -> None:
    expected = naive_sum(data, initial)
    assert internet_sum(data, initial) == expected
    assert internet_sum(bytearray(data), initial) == expected
    assert internet_sum(memoryview(data), initial) == expected


@given(
    st.binary(min_size=4, max_size=4),
    st.binary(min_size=4, max_size=4),
    st.integers(0, 255),
    st.integers(0, 0xFFFF),
)
def test_pseudo_header(src: bytes, dst: bytes, proto: int, length: int) -> None:
    header = src + dst + bytes([0, proto]) + length.to_bytes(2, "big")
    assert pseudo_header_sum(Ipv4Address(src), Ipv4Address(dst), proto, length) == naive_sum(header)
