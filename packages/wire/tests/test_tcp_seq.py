"""TcpSeqNumber: modular arithmetic and comparison (RFC 9293 3.4, RFC 1982)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smoltcp.wire import TcpSeqNumber, max_seq, min_seq

u32 = st.integers(0, 2**32 - 1)


def test_wraps() -> None:
    top = TcpSeqNumber(2**32 - 1)
    assert top + 1 == 0 and type(top + 1) is TcpSeqNumber
    assert TcpSeqNumber(0) - 1 == 2**32 - 1 and type(TcpSeqNumber(0) - 1) is TcpSeqNumber
    assert 5 + TcpSeqNumber(2**32 - 1) == 4
    assert TcpSeqNumber(-1) == 2**32 - 1
    assert TcpSeqNumber(2**32 + 7) == 7
    assert top < top + 1 and top + 1 > top
    assert (top + 10) - top == 10 and top - (top + 10) == -10
    assert max_seq(top, top + 3) == top + 3 and min_seq(top, top + 3) == top
    assert repr(top) == "TcpSeqNumber(4294967295)" and str(top) == "4294967295"


def test_half_circle_is_unordered() -> None:
    a, b = TcpSeqNumber(0), TcpSeqNumber(2**31)
    assert not a < b and not b < a and not a <= b and not a >= b
    assert b - a == 2**31


@given(u32, st.integers(1, 2**31 - 1))
def test_modular_order(a: int, d: int) -> None:
    x = TcpSeqNumber(a)
    y = x + d
    assert x < y and y > x and x <= y and y >= x
    assert not y < x and not x > y and not x >= y
    assert y - x == d and x - y == -d
    assert x <= x and x >= x and not x < x
    assert max_seq(x, y) == y and min_seq(y, x) == x


@given(u32, st.integers(-(2**40), 2**40))
def test_add_sub_int(a: int, n: int) -> None:
    x = TcpSeqNumber(a)
    assert x + n == (a + n) % 2**32
    assert x - n == (a - n) % 2**32
    assert (x + n) - n == x
