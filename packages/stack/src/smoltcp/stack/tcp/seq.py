"""Modular arithmetic on 32-bit sequence numbers held as plain ints (RFC 9293 3.4, RFC 1982).

TCP has one style of sequence arithmetic:

- a sequence number that is a variable of the connection (in the TCB, in a segment) is a
  `smoltcp.wire.TcpSeqNumber`, whose operators are modular (``a < b``, ``a - b`` the signed
  distance, ``a + n`` wrapping);
- where many of them sit in a table walked on every ACK (the SACK scoreboard, RACK's list of
  sent ranges, the SACK blocks of an ACK), they are plain ints in [0, 2**32), and every modular
  operation on them uses the names below: `SEQ_MASK` to wrap a sum, `seq_dist` for a signed
  distance, `seq_before` for order. TCP timestamps (RFC 7323) wrap the same way.

Both compare equal as ints, so a value crosses between the two forms with ``int(seq)`` one way
and ``TcpSeqNumber(x)`` the other. Plain ints cost a third of the time of `TcpSeqNumber`'s
Python-level operators in those loops; the connection variables keep the type that makes
their comparisons read like the RFC.

The per-segment paths (header prediction, `SegmentArrives.process`, `Sender.send_data`,
`SegmentOutput.send`, `Receiver.after_ack_sent`) apply int's own operators to the connection's
`TcpSeqNumber` values, as these names do: a sum is wrapped with `SEQ_MASK` and made a
`TcpSeqNumber` again before it is stored, and order is `seq_before`'s test written out. What
they store keeps its type.
"""

from __future__ import annotations

__all__ = [
    "SEQ_HALF",
    "SEQ_MASK",
    "SEQ_MOD",
    "int_add",
    "int_new",
    "int_sub",
    "seq_before",
    "seq_dist",
    "span_from",
]

SEQ_MASK = 0xFFFFFFFF
"""``(a + n) & SEQ_MASK``: a sequence number ``n`` octets after ``a``."""
SEQ_HALF = 1 << 31
"""Half the sequence space: a distance at or beyond it is "before" (RFC 1982)."""
SEQ_MOD = 1 << 32
"""The size of the sequence space: a distance above `SEQ_HALF` minus this is negative."""

# int's own operators, for the per-segment paths (see the module docstring): called on a
# `TcpSeqNumber` they skip its Python-level ones. ``int_new(TcpSeqNumber, x)`` makes one.
int_new = int.__new__
int_add = int.__add__
int_sub = int.__sub__


def seq_dist(a: int, b: int) -> int:
    """Return the signed distance from ``a`` to ``b`` (``b - a``), in [-2**31, 2**31)."""
    d = (b - a) & SEQ_MASK
    return d - (1 << 32) if d >= SEQ_HALF else d


def seq_before(a: int, b: int) -> bool:
    """Return whether ``a`` comes strictly before ``b`` (modulo 2**32, RFC 1982)."""
    return 0 < ((b - a) & SEQ_MASK) < SEQ_HALF


def span_from(base: int, left: int, size: int) -> tuple[int, int]:
    """Return the ``size`` octets from ``left`` as offsets from ``base``: ``(lo, hi)``, with
    ``lo`` 0 when ``base`` lies inside them (the part below ``base`` dropped).

    ``size`` must be below `SEQ_HALF` (a range). The span is placed from its own left edge:
    measured from ``base``, the right edge of a span reaching half the space or more past
    ``base`` (a bogus SACK block far past SND.MAX) would read as before it.
    """
    into = (base - left) & SEQ_MASK  # how far into the span ``base`` lies
    if into < size:
        return 0, size - into
    lo = (left - base) & SEQ_MASK
    return lo, lo + size
