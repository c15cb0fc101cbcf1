"""RACK's table of sent segments against a reference that keeps one record per octet.

`Rack` keeps ranges, splits them where SACK blocks cut them, merges runs of delivered
segments and trims what SND.UNA passes, all for speed. The reference here is deliberately
naive: for every octet sent and not cumulatively acknowledged, when it was last sent,
whether as a retransmission, whether it was delivered (SACKed) since, whether RACK deemed it
lost; losses are derived octet by octet from RFC 8985 6.2 step 5. Random sender-shaped
operations (new data, retransmissions, ACKs with well-formed, D-SACK, reversed, empty and
far out-of-window SACK blocks, detection, RTOs), with the sequence space wrapping inside the
flight, must leave both saying the same of every octet.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from smoltcp.stack.tcp.rack import Rack

M = 0xFFFFFFFF
HALF = 1 << 31
BASES = [0, 12345, (1 << 32) - 1, (1 << 32) - 300, HALF - 1, HALF]


def before(a: int, b: int) -> bool:
    """a < b in sequence space (RFC 9293 3.4)."""
    return 0 < ((b - a) & M) < HALF


@dataclass
class Octet:
    time: int
    retx: bool
    delivered: bool = False
    lost: bool = False  # deemed lost by RACK since it was last sent


@dataclass
class Reference:
    """Every octet in flight, by raw sequence number."""

    una: int
    octets: dict[int, Octet] = field(default_factory=dict)
    lost: set[int] = field(default_factory=set)  # in the lost ranges: not yet sent again

    def send(self, start: int, end: int, t: int, retx: bool) -> None:
        seq = start
        while seq != end:
            self.octets[seq] = Octet(t, retx)
            self.lost.discard(seq)
            seq = (seq + 1) & M

    def ack(self, una: int, blocks: list[tuple[int, int]]) -> None:
        self.una = una
        for seq in [s for s in self.octets if before(s, una)]:
            del self.octets[seq]
        self.lost = {s for s in self.lost if s in self.octets}
        # A block whose right edge is not after its left (empty, reversed, or exactly half
        # the sequence space away) covers nothing.
        ranges = [(left, right) for left, right in blocks if before(left, right)]
        for seq, octet in self.octets.items():
            for left, right in ranges:
                if not before(seq, left) and before(seq, right):
                    octet.delivered = True

    def detect(self, t: int, xmit: int | None, end: int, wait: int) -> None:
        if xmit is None:
            return
        for seq, octet in self.octets.items():
            if octet.delivered or octet.lost:
                continue
            # Sent before the latest delivered segment (the same send: below its end).
            sent_before = octet.time < xmit or (octet.time == xmit and before(seq, end))
            if sent_before and octet.time + wait <= t:
                octet.lost = True
                self.lost.add(seq)


def octets_of(rack: Rack) -> dict[int, tuple[int, bool, bool, bool]]:
    """Rack's table, octet by octet; each octet must be in exactly one entry."""
    table: dict[int, tuple[int, bool, bool, bool]] = {}
    for entry in rack._sent:
        start, end, t, retx, delivered, lost = entry[:6]
        assert start != end, entry
        seq = start
        while seq != end:
            assert seq not in table, (seq, list(rack._sent))
            table[seq] = (t, bool(retx), bool(delivered), bool(lost))
            seq = (seq + 1) & M
    return table


def lost_of(rack: Rack) -> set[int]:
    out: set[int] = set()
    for r in rack.lost:
        assert before(r[0], r[1]), rack.lost
        seq = r[0]
        while seq != r[1]:
            assert seq not in out, rack.lost
            out.add(seq)
            seq = (seq + 1) & M
    return out


def compare(rack: Rack, ref: Reference) -> None:
    table = octets_of(rack)
    assert set(table) == set(ref.octets)
    for seq, (t, retx, delivered, lost) in table.items():
        octet = ref.octets[seq]
        assert delivered == octet.delivered, seq
        if not delivered:
            # What a delivered octet was sent as no longer matters (it is inert).
            assert (t, retx, lost) == (octet.time, octet.retx, octet.lost), seq
    assert lost_of(rack) == ref.lost
    assert rack._retx == sum(1 for e in rack._sent if e[3])


@st.composite
def block(draw: st.DrawFn, una: int, top: int) -> tuple[int, int]:
    """A SACK block relative to SND.UNA at 0 and SND.MAX at ``top``."""
    kind = draw(st.sampled_from(["ok", "ok", "ok", "dsack", "reversed", "beyond", "far"]))
    if kind == "ok":
        left = draw(st.integers(una, top))
        return left, draw(st.integers(left + 1, top + 1))
    if kind == "dsack":
        left = draw(st.integers(una - 60, una))
        return left, left + draw(st.integers(1, 60))
    if kind == "reversed":
        left = draw(st.integers(una, top))
        return left, left - draw(st.integers(0, 40))
    if kind == "beyond":
        left = draw(st.integers(top, top + 100))
        return left, left + draw(st.integers(1, 100))
    left = draw(st.integers(0, M))
    return left, left + draw(st.integers(1, 60))


@st.composite
def operations(draw: st.DrawFn) -> tuple[int, list[tuple[object, ...]]]:
    """A base and a sender-shaped sequence of operations, offsets relative to the base."""
    una = top = 0
    ops: list[tuple[object, ...]] = []
    for _ in range(draw(st.integers(1, 30))):
        kind = draw(st.sampled_from(["new", "new", "retx", "ack", "ack", "ack", "detect", "rto"]))
        if kind == "new" or top == una:
            size = draw(st.integers(1, 40))
            ops.append(("send", top, top + size, False))
            top += size
        elif kind == "retx":
            start = draw(st.integers(una, top - 1))
            end = draw(st.integers(start + 1, min(top, start + 50)))
            ops.append(("send", start, end, True))
        elif kind == "ack":
            una = draw(st.integers(una, top)) if draw(st.booleans()) else una
            blocks = draw(st.lists(block(una, top), max_size=4))
            ops.append(("ack", una, blocks))
        else:
            ops.append((kind,))
    return draw(st.sampled_from(BASES)), ops


def replay(
    case: tuple[int, list[tuple[object, ...]]],
    gaps: list[int],
    check: Callable[[Rack], None] | None = None,
) -> None:
    """Run ``case``'s operations on `Rack` and on the reference, ``gaps`` micros apart (so no
    two sends share a time), comparing them after each (and calling ``check`` on RACK)."""
    base, ops = case
    rack = Rack()
    ref = Reference(base)
    t = 1000
    for op, gap in zip(ops, gaps, strict=False):
        t += gap  # strictly later: no two sends share a time
        kind = op[0]
        if kind == "send":
            start, end = (base + op[1]) & M, (base + op[2]) & M  # type: ignore[operator]
            rack.on_send(start, end, t, bool(op[3]))
            ref.send(start, end, t, bool(op[3]))
        elif kind == "ack":
            una = (base + op[1]) & M  # type: ignore[operator]
            blocks = [((base + a) & M, (base + b) & M) for a, b in op[2]]  # type: ignore[attr-defined]
            rack.on_ack(una, blocks, t)
            ref.ack(una, blocks)
        elif kind == "detect":
            xmit, end, wait = rack._xmit, rack._end, rack._rtt + rack.reordering_window
            rack.detect(t)
            ref.detect(t, xmit, end, wait)
        elif kind == "ptb":
            # The reference does not model segment sizes: it takes the marks RACK made
            # (compared from then on: later ACKs must still find the entries they cut).
            rack.mark_too_big(op[1], op[2], bool(op[3]))  # type: ignore[arg-type]
            for seq, (_, _, delivered, lost) in octets_of(rack).items():
                if not delivered:
                    ref.octets[seq].lost = lost
            ref.lost = lost_of(rack)
        else:
            rack.on_rto()
            ref.lost.clear()
        if check is not None:
            check(rack)
        compare(rack, ref)


@settings(max_examples=400, deadline=None)
@given(operations(), st.lists(st.integers(1, 400), min_size=30, max_size=30))
def test_rack_says_of_every_octet_what_the_reference_says(
    case: tuple[int, list[tuple[object, ...]]], gaps: list[int]
) -> None:
    replay(case, gaps)


# -- long flights: what the bisection over runs must find ---------------------------------


def check_runs(rack: Rack) -> None:
    """Each run rises in transmit and in sequence order within half the sequence space (what
    the bisection relies on), and none is empty."""
    for run in rack._runs:
        assert run
        base = run[0][0]
        for earlier, later in itertools.pairwise(run):
            assert earlier[8] <= later[8], run
            assert (earlier[1] - base) & M <= (later[0] - base) & M, run
        assert (run[-1][1] - base) & M < HALF, run


KINDS = (
    ["new"] * 5 + ["ack"] * 5 + ["hole", "hole", "again", "cut", "detect", "detect", "ptb", "rto"]
)


@st.composite
def long_flights(draw: st.DrawFn) -> tuple[int, list[tuple[object, ...]]]:
    """A sender in loss recovery over a long flight: segments and super-segments of ``MSS``
    octets, ACKs that move SND.UNA (into a super-segment too) and SACK what arrived (with
    the odd D-SACK or out-of-window block), the holes sent again in order and some again
    out of order (lost retransmissions, retransmissions cutting an entry), path MTU drops."""
    mss = 10
    una = top = 0
    arrived: set[int] = set()  # segment starts the receiver holds above SND.UNA
    next_hole = 0
    ops: list[tuple[object, ...]] = []
    for _ in range(draw(st.integers(20, 120))):
        kind = draw(st.sampled_from(KINDS))
        if kind == "new" or top == una:
            size = mss * draw(st.sampled_from([1, 1, 1, 3]))
            ops.append(("send", top, top + size, False))
            arrived.update(s for s in range(top, top + size, mss) if draw(st.booleans()))
            top += size
        elif kind == "ack":
            if draw(st.integers(0, 3)) == 0:
                una = draw(st.integers(una, top))
                arrived = {s for s in arrived if s >= una}
            blocks = [
                (s, s + draw(st.sampled_from([mss, mss, 2 * mss])))
                for s in sorted(arrived, reverse=True)[: draw(st.integers(0, 4))]
            ]
            odd = draw(st.sampled_from([None] * 6 + ["dsack", "far"]))
            if odd == "dsack":
                blocks.insert(0, (una - mss, una))
            elif odd == "far":
                left = draw(st.integers(0, M))
                blocks.append((left, left + draw(st.integers(1, HALF))))
            ops.append(("ack", una, blocks))
        elif kind == "hole":
            next_hole = max(next_hole, una)
            holes = [s for s in range(next_hole, top, mss) if s not in arrived]
            if holes:
                ops.append(("send", holes[0], min(holes[0] + mss, top), True))
                next_hole = holes[0] + mss
        elif kind == "again":
            start = draw(st.integers(una, top - 1))
            ops.append(("send", start, min(start + mss, top), True))
        elif kind == "cut":
            start = draw(st.integers(una, top - 1))
            ops.append(("send", start, draw(st.integers(start + 1, min(top, start + 3))), True))
        elif kind == "ptb":
            ops.append(("ptb", draw(st.integers(mss // 2, 2 * mss)), mss, draw(st.booleans())))
        else:
            ops.append((kind,))
    return draw(st.sampled_from(BASES)), ops


@settings(max_examples=200, deadline=None)
@given(long_flights(), st.lists(st.integers(1, 400), min_size=120, max_size=120))
def test_long_flights_in_recovery_match_the_reference(
    case: tuple[int, list[tuple[object, ...]]], gaps: list[int]
) -> None:
    replay(case, gaps, check_runs)


def test_a_block_half_the_sequence_space_long_covers_nothing() -> None:
    # Its right edge is neither after nor before its left (RFC 9293 3.4): RACK must not take
    # part of it as SACKed (a bisection and a per-entry test once read it differently).
    sends: list[tuple[object, ...]] = [("send", a, a + 10, False) for a in range(0, 30, 10)]
    sends += [("send", 0, 10, True), ("send", 10, 20, True)]
    sends += [("send", a, a + 10, False) for a in range(30, 170, 10)]
    for base in BASES:
        replay((base, [*sends, ("ack", 0, [(0, HALF)]), ("detect",)]), [1] * 22, check_runs)


def test_a_block_reaching_half_the_space_past_an_entry_covers_its_part() -> None:
    # A block just under half the space long, from inside the first entry to exactly half the
    # space past that entry's start (far beyond SND.MAX: a bogus peer's): its octets in flight
    # are covered like any block's. Measured from the entry's start, the right edge once read
    # as "not after" and the entry's part of the block was not taken as SACKed.
    sends: list[tuple[object, ...]] = [("send", a, a + 10, False) for a in range(0, 30, 10)]
    for base in BASES:
        replay((base, [*sends, ("ack", 0, [(6, HALF)]), ("detect",)]), [1] * 5, check_runs)
