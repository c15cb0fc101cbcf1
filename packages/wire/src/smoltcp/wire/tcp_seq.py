"""TCP sequence numbers: 32-bit integers compared and moved modulo 2**32.

RFC 9293 section 3.4: "the sequence number space ranges from 0 to 2**32 - 1 ... all arithmetic
dealing with sequence numbers must be performed modulo 2**32", and comparisons are made in
that circle (the serial-number arithmetic of RFC 1982): ``a < b`` iff ``(b - a) mod 2**32`` lies
in ``(0, 2**31)``.
"""

from __future__ import annotations

__all__ = ["TcpSeqNumber", "max_seq", "min_seq"]

_MOD = 1 << 32
_MASK = _MOD - 1
_HALF = 1 << 31

_int_new = int.__new__
_int_add = int.__add__
_int_sub = int.__sub__


class TcpSeqNumber(int):
    """A sequence number in [0, 2**32); ``+``/``-`` an int wrap, comparisons are modular.

    ``TcpSeqNumber(x)`` reduces ``x`` modulo 2**32. ``a - b`` for two sequence numbers is the
    signed distance in (-2**31, 2**31]; equality and hashing are those of the int, so a
    sequence number equals the plain int of the same value. Comparing two numbers exactly 2**31
    apart is undefined in RFC 1982; here neither is less than the other.
    """

    __slots__ = ()

    def __new__(cls, value: int = 0) -> TcpSeqNumber:
        return _int_new(cls, value & _MASK)

    def __add__(self, other: int) -> TcpSeqNumber:
        if isinstance(other, int):
            return _int_new(TcpSeqNumber, _int_add(self, other) & _MASK)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: int) -> TcpSeqNumber | int:
        if type(other) is TcpSeqNumber:
            # The signed distance from other to self, in (-2**31, 2**31].
            d = _int_sub(self, other) & _MASK
            return d - _MOD if d > _HALF else d
        if isinstance(other, int):
            return _int_new(TcpSeqNumber, _int_sub(self, other) & _MASK)
        return NotImplemented

    def __lt__(self, other: int) -> bool:
        d = (_int_sub(other, self)) & _MASK
        return 0 < d < _HALF

    def __gt__(self, other: int) -> bool:
        d = (_int_sub(self, other)) & _MASK
        return 0 < d < _HALF

    def __le__(self, other: int) -> bool:
        d = (_int_sub(other, self)) & _MASK
        return d < _HALF

    def __ge__(self, other: int) -> bool:
        d = (_int_sub(self, other)) & _MASK
        return d < _HALF

    def __repr__(self) -> str:
        return f"TcpSeqNumber({int(self)})"

    # int's own __str__ would call the __repr__ above.
    __str__ = int.__repr__

    def __reduce__(self) -> tuple[type, tuple[int]]:
        return (TcpSeqNumber, (int(self),))


def max_seq(a: TcpSeqNumber, b: TcpSeqNumber) -> TcpSeqNumber:
    """Return the later of two sequence numbers in modular order."""
    return b if a < b else a


def min_seq(a: TcpSeqNumber, b: TcpSeqNumber) -> TcpSeqNumber:
    """Return the earlier of two sequence numbers in modular order."""
    return b if b < a else a
