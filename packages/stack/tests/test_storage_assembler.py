"""Assembler: table tests of the corner cases and a stateful comparison with a set of offsets."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from smoltcp.stack.storage import Assembler, TooManyHoles


def make(*ranges: tuple[int, int], max_holes: int = 4) -> Assembler:
    asm = Assembler(max_holes)
    for start, end in ranges:
        asm.add(start, end - start)
    return asm


def test_new_assembler_is_empty() -> None:
    asm = Assembler()
    assert asm.max_holes == 4
    assert asm.is_empty()
    assert asm.ranges() == []
    assert asm.peek_front() == 0
    assert asm.remove_front() == 0


def test_negative_max_holes_is_refused() -> None:
    with pytest.raises(ValueError):
        Assembler(-1)


@pytest.mark.parametrize(
    ("before", "add", "after"),
    [
        ([], (0, 4), [(0, 4)]),
        ([], (4, 4), [(4, 8)]),
        ([(4, 8)], (12, 2), [(4, 8), (12, 14)]),  # past the last range
        ([(4, 8)], (0, 2), [(0, 2), (4, 8)]),  # before the first range
        ([(4, 8)], (8, 2), [(4, 10)]),  # adjacent after
        ([(4, 8)], (2, 2), [(2, 8)]),  # adjacent before
        ([(4, 8)], (5, 2), [(4, 8)]),  # inside
        ([(4, 8)], (2, 10), [(2, 12)]),  # covering
        ([(4, 8)], (6, 4), [(4, 10)]),  # overlapping the end
        ([(4, 8), (12, 16)], (8, 4), [(4, 16)]),  # filling the hole exactly
        ([(4, 8), (12, 16), (20, 24)], (6, 16), [(4, 24)]),  # swallowing several
        ([(4, 8), (12, 16), (20, 24)], (9, 2), [(4, 8), (9, 11), (12, 16), (20, 24)]),
        ([(4, 8)], (100, 0), [(4, 8)]),  # a zero size changes nothing
    ],
)
def test_add(
    before: list[tuple[int, int]], add: tuple[int, int], after: list[tuple[int, int]]
) -> None:
    asm = make(*before)
    asm.add(*add)
    assert asm.ranges() == after


def test_add_past_max_holes_raises_and_changes_nothing() -> None:
    asm = make((2, 3), (5, 6), max_holes=2)
    with pytest.raises(TooManyHoles):
        asm.add(8, 1)
    with pytest.raises(TooManyHoles):
        asm.add(0, 1)
    assert asm.ranges() == [(2, 3), (5, 6)]
    asm.add(3, 2)  # merging reduces the count: accepted
    assert asm.ranges() == [(2, 6)]


def test_zero_max_holes_accepts_nothing() -> None:
    asm = Assembler(0)
    with pytest.raises(TooManyHoles):
        asm.add(0, 1)
    asm.add(0, 0)
    assert asm.is_empty()


def test_negative_offset_or_size_is_misuse() -> None:
    with pytest.raises(ValueError):
        Assembler().add(-1, 2)
    with pytest.raises(ValueError):
        Assembler().add(1, -2)


def test_remove_front_shifts_the_rest() -> None:
    asm = make((0, 4), (6, 8), (10, 11))
    assert asm.peek_front() == 4
    assert asm.remove_front() == 4
    assert asm.ranges() == [(2, 4), (6, 7)]
    assert asm.peek_front() == 0
    assert asm.remove_front() == 0
    assert asm.ranges() == [(2, 4), (6, 7)]


def test_in_order_arrivals() -> None:
    asm = Assembler()
    for _ in range(3):
        asm.add(0, 100)
        assert asm.remove_front() == 100
    assert asm.is_empty()


def test_add_then_remove_front_at_zero_never_fails() -> None:
    asm = make((2, 3), (5, 6), max_holes=2)
    assert asm.add_then_remove_front(0, 1) == 1
    assert asm.ranges() == [(1, 2), (4, 5)]
    assert asm.add_then_remove_front(0, 3) == 3  # merges with [1, 2), not with [4, 5)
    assert asm.ranges() == [(1, 2)]


def test_add_then_remove_front_elsewhere_behaves_like_add() -> None:
    asm = make((2, 3), max_holes=1)
    with pytest.raises(TooManyHoles):
        asm.add_then_remove_front(5, 1)
    assert asm.add_then_remove_front(3, 1) == 0
    assert asm.ranges() == [(2, 4)]
    assert asm.add_then_remove_front(0, 0) == 0


def test_clear_and_repr() -> None:
    asm = make((0, 4), (6, 8))
    assert repr(asm) == "Assembler(max_holes=4, ranges=[(0, 4), (6, 8)])"
    asm.clear()
    assert asm.is_empty()


class AssemblerMachine(RuleBasedStateMachine):
    """Compare an Assembler with the set of received offsets under random operations."""

    def __init__(self) -> None:
        super().__init__()
        self.asm = Assembler()
        self.model: set[int] = set()

    @initialize(max_holes=st.integers(0, 5))
    def new(self, max_holes: int) -> None:
        self.asm = Assembler(max_holes)
        self.model = set()

    def _runs(self, offsets: set[int]) -> int:
        return sum(1 for x in offsets if x - 1 not in offsets)

    @rule(offset=st.integers(0, 40), size=st.integers(0, 12))
    def add(self, offset: int, size: int) -> None:
        after = self.model | set(range(offset, offset + size))
        if self._runs(after) > self.asm.max_holes:
            with pytest.raises(TooManyHoles):
                self.asm.add(offset, size)
        else:
            self.asm.add(offset, size)
            self.model = after

    @rule(size=st.integers(0, 12))
    def add_front(self, size: int) -> None:
        removed = self.asm.add_then_remove_front(0, size)
        self.model |= set(range(size))
        self._check_removed(removed)

    @rule()
    def remove_front(self) -> None:
        self._check_removed(self.asm.remove_front())

    def _check_removed(self, removed: int) -> None:
        count = 0
        while count in self.model:
            count += 1
        assert removed == count
        self.model = {x - count for x in self.model if x >= count}

    @invariant()
    def ranges_agree(self) -> None:
        ranges = self.asm.ranges()
        covered = {x for start, end in ranges for x in range(start, end)}
        assert covered == self.model
        assert len(ranges) == self._runs(self.model) <= self.asm.max_holes
        assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))
        assert self.asm.is_empty() == (not self.model)
        front = 0
        while front in self.model:
            front += 1
        assert self.asm.peek_front() == front


TestAssemblerMachine = AssemblerMachine.TestCase
TestAssemblerMachine.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
