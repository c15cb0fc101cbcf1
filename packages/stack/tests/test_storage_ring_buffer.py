"""RingBuffer: table tests of the corner cases and a stateful comparison with a simple model."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from smoltcp.stack.storage import RingBuffer


def filled(capacity: int, read_at: int, data: bytes) -> RingBuffer:
    """Return a ring whose read head sits at ``read_at`` and which stores ``data``."""
    ring = RingBuffer(capacity)
    if read_at and data:
        # The first octet keeps the ring non-empty, so its read head stays at read_at.
        ring.enqueue_slice(bytes(read_at) + data[:1])
        ring.dequeue_allocated(read_at)
        ring.enqueue_slice(data[1:])
    else:
        ring.enqueue_slice(data)
    return ring


def joined(views: tuple[memoryview, memoryview]) -> bytes:
    return views[0].tobytes() + views[1].tobytes()


# -- construction and sizes -------------------------------------------------------------------


def test_new_ring_is_empty() -> None:
    ring = RingBuffer(8)
    assert ring.capacity == 8
    assert len(ring) == 0
    assert ring.window() == 8
    assert ring.is_empty()
    assert not ring.is_full()
    assert joined(ring.readable_views()) == b""


def test_negative_capacity_is_refused() -> None:
    with pytest.raises(ValueError):
        RingBuffer(-1)


def test_zero_capacity_ring_accepts_and_yields_nothing() -> None:
    ring = RingBuffer(0)
    assert ring.is_empty() and ring.is_full()
    assert ring.enqueue_slice(b"abc") == 0
    assert ring.dequeue_slice(3) == b""
    assert len(ring.get_unallocated(5)) == 0
    assert len(ring.get_allocated(0, 5)) == 0
    assert ring.write_unallocated(0, b"x") == 0
    assert joined(ring.writable_views()) == b""


def test_repr_shows_the_state() -> None:
    ring = RingBuffer(4)
    ring.enqueue_slice(b"ab")
    assert repr(ring) == "RingBuffer(capacity=4, len=2, read_at=0)"


# -- copying -----------------------------------------------------------------------------------


def test_enqueue_slice_stops_when_full() -> None:
    ring = RingBuffer(4)
    assert ring.enqueue_slice(b"abcdef") == 4
    assert ring.is_full()
    assert ring.enqueue_slice(b"x") == 0
    assert ring.dequeue_slice(10) == b"abcd"
    assert ring.is_empty()


def test_enqueue_slice_wraps() -> None:
    ring = filled(8, 6, b"ab")
    assert ring.enqueue_slice(b"cdefgh") == 6
    assert ring.is_full()
    first, second = ring.readable_views()
    assert first.tobytes() == b"ab" and second.tobytes() == b"cdefgh"
    assert ring.dequeue_slice(8) == b"abcdefgh"


def test_enqueue_slice_accepts_every_bytes_like() -> None:
    ring = RingBuffer(16)
    ring.enqueue_slice(b"ab")
    ring.enqueue_slice(bytearray(b"cd"))
    ring.enqueue_slice(memoryview(b"xxefxx")[2:4])
    ring.enqueue_slice(memoryview(bytearray(b"gh")).cast("c"))
    assert ring.dequeue_slice(16) == b"abcdefgh"


def test_dequeue_slice_wraps_and_returns_bytes() -> None:
    ring = filled(8, 5, b"abcdef")
    out = ring.dequeue_slice(5)
    assert type(out) is bytes and out == b"abcde"
    assert ring.dequeue_slice(5) == b"f"


def test_dequeue_slice_of_negative_size_is_misuse() -> None:
    with pytest.raises(ValueError):
        RingBuffer(4).dequeue_slice(-1)


def test_dequeue_into_copies_both_pieces() -> None:
    ring = filled(8, 5, b"abcdef")
    buf = bytearray(4)
    assert ring.dequeue_into(buf) == 4
    assert buf == b"abcd"
    big = bytearray(10)
    assert ring.dequeue_into(memoryview(big)[3:]) == 2
    assert big[3:5] == b"ef"
    assert ring.is_empty()


def test_read_allocated_copies_without_removing() -> None:
    ring = filled(8, 5, b"abcdef")
    buf = bytearray(8)
    assert ring.read_allocated(1, buf) == 5
    assert buf[:5] == b"bcdef"
    assert ring.read_allocated(6, buf) == 0
    assert ring.read_allocated(9, buf) == 0
    assert len(ring) == 6
    with pytest.raises(ValueError):
        ring.read_allocated(-1, buf)


def test_write_unallocated_then_commit() -> None:
    ring = filled(8, 5, b"ab")
    # Free region: offsets 7, 0..4 (6 octets). Write at offset 2 past the write head, wrapping.
    assert ring.write_unallocated(2, b"CDEFGH") == 4
    assert len(ring) == 2
    assert ring.write_unallocated(0, b"AB") == 2
    ring.enqueue_unallocated(6)
    assert ring.dequeue_slice(8) == b"abABCDEF"


def test_write_unallocated_past_the_window_writes_nothing() -> None:
    ring = RingBuffer(4)
    ring.enqueue_slice(b"ab")
    assert ring.write_unallocated(2, b"x") == 0
    assert ring.write_unallocated(5, b"x") == 0
    with pytest.raises(ValueError):
        ring.write_unallocated(-1, b"x")


def test_uncommitted_writes_survive_draining_the_ring() -> None:
    # TCP: an out-of-order segment waits past the write head while the application drains
    # everything before it; the segment must still be there when the gap is filled.
    ring = filled(8, 3, b"abc")
    assert ring.write_unallocated(2, b"EF") == 2
    assert ring.dequeue_slice(3) == b"abc"
    assert ring.is_empty()
    ring.write_unallocated(0, b"CD")
    ring.enqueue_unallocated(4)
    assert ring.dequeue_slice(8) == b"CDEF"
    # Nothing pending any more: the read head moves back to 0.
    assert ring.contiguous_window() == 8


def test_read_head_returns_to_zero_when_emptied() -> None:
    ring = filled(8, 5, b"ab")
    assert ring.contiguous_window() == 1
    ring.dequeue_allocated(2)
    assert ring.contiguous_window() == 8
    assert len(ring.get_unallocated(100)) == 8


def test_clear_discards_data_and_pending_writes() -> None:
    ring = filled(8, 3, b"abc")
    ring.write_unallocated(1, b"x")
    ring.clear()
    assert ring.is_empty()
    assert ring.contiguous_window() == 8


# -- zero-copy ---------------------------------------------------------------------------------


def test_get_unallocated_is_contiguous_up_to_the_end() -> None:
    ring = filled(8, 4, b"ab")
    view = ring.get_unallocated(10)
    assert len(view) == 2  # offsets 6, 7; the rest of the window is past the wrap
    view[:] = b"cd"
    ring.enqueue_unallocated(2)
    view = ring.get_unallocated(10)
    assert len(view) == 4
    view[:2] = b"ef"
    ring.enqueue_unallocated(2)
    assert ring.dequeue_slice(8) == b"abcdef"


def test_get_unallocated_respects_max_size() -> None:
    ring = RingBuffer(8)
    assert len(ring.get_unallocated(3)) == 3
    assert len(ring.get_unallocated(0)) == 0
    with pytest.raises(ValueError):
        ring.get_unallocated(-1)


def test_get_unallocated_when_full_is_empty() -> None:
    ring = filled(8, 3, b"abcdefgh")
    assert len(ring.get_unallocated(8)) == 0


def test_enqueue_unallocated_beyond_the_window_is_misuse() -> None:
    ring = RingBuffer(4)
    ring.enqueue_slice(b"abc")
    with pytest.raises(ValueError):
        ring.enqueue_unallocated(2)
    with pytest.raises(ValueError):
        ring.enqueue_unallocated(-1)
    assert len(ring) == 3


def test_get_allocated_stops_at_the_wrap() -> None:
    ring = filled(8, 6, b"abcde")
    assert ring.get_allocated(0, 10).tobytes() == b"ab"
    assert ring.get_allocated(2, 10).tobytes() == b"cde"
    assert ring.get_allocated(1, 1).tobytes() == b"b"
    assert ring.get_allocated(5, 10).tobytes() == b""
    assert ring.get_allocated(9, 10).tobytes() == b""
    with pytest.raises(ValueError):
        ring.get_allocated(-1, 1)


def test_dequeue_allocated_beyond_the_length_is_misuse() -> None:
    ring = RingBuffer(4)
    ring.enqueue_slice(b"ab")
    with pytest.raises(ValueError):
        ring.dequeue_allocated(3)
    with pytest.raises(ValueError):
        ring.dequeue_allocated(-1)
    ring.dequeue_allocated(0)
    assert ring.dequeue_slice(2) == b"ab"


def test_views_are_zero_copy() -> None:
    ring = RingBuffer(8)
    ring.get_unallocated(4)[:] = b"abcd"
    ring.enqueue_unallocated(4)
    view = ring.get_allocated(0, 4)
    view[0] = ord("z")  # the view is the storage itself
    assert ring.dequeue_slice(4) == b"zbcd"


def test_readable_and_writable_views_partition_the_storage() -> None:
    for read_at in range(8):
        for length in range(9):
            ring = filled(8, read_at, bytes(range(1, length + 1)))
            readable = ring.readable_views()
            writable = ring.writable_views()
            assert joined(readable) == bytes(range(1, length + 1))
            assert sum(map(len, writable)) == 8 - length
            assert len(writable[0]) == ring.contiguous_window()


def test_writable_views_fill_the_window_in_order() -> None:
    ring = filled(8, 5, b"abc")
    first, second = ring.writable_views()
    data = b"DEFGH"
    first[:] = data[: len(first)]
    second[:] = data[len(first) :]
    ring.enqueue_unallocated(5)
    assert ring.dequeue_slice(8) == b"abcDEFGH"


# -- stateful comparison with a model ------------------------------------------------------


class RingMachine(RuleBasedStateMachine):
    """Drive a RingBuffer with random operations and compare with a bytes model.

    The model keeps the stored octets, and the octets written past the write head but not
    committed (by offset from the write head), which must survive until committed.
    """

    def __init__(self) -> None:
        super().__init__()
        self.ring = RingBuffer(0)
        self.model = bytearray()
        self.capacity = 0
        self.pending: dict[int, int] = {}

    @initialize(capacity=st.integers(0, 12))
    def reset(self, capacity: int) -> None:
        self.ring = RingBuffer(capacity)
        self.capacity = capacity
        self.model = bytearray()
        self.pending = {}

    def _commit(self, count: int, committed: bytes) -> None:
        self.model += committed
        self.pending = {k - count: v for k, v in self.pending.items() if k >= count}

    @rule(data=st.binary(max_size=14))
    def enqueue_slice(self, data: bytes) -> None:
        count = self.ring.enqueue_slice(data)
        assert count == min(len(data), self.capacity - len(self.model))
        self._commit(count, data[:count])

    @rule(size=st.integers(0, 14))
    def dequeue_slice(self, size: int) -> None:
        out = self.ring.dequeue_slice(size)
        assert out == bytes(self.model[:size])
        del self.model[:size]

    @rule(size=st.integers(0, 14))
    def dequeue_into(self, size: int) -> None:
        buf = bytearray(size)
        count = self.ring.dequeue_into(buf)
        assert buf[:count] == self.model[:size]
        assert count == min(size, len(self.model))
        del self.model[:count]

    @rule(max_size=st.integers(0, 14), data=st.data())
    def fill_unallocated(self, max_size: int, data: st.DataObject) -> None:
        view = self.ring.get_unallocated(max_size)
        assert len(view) <= min(max_size, self.capacity - len(self.model))
        count = data.draw(st.integers(0, len(view)))
        payload = data.draw(st.binary(min_size=count, max_size=count))
        view[:count] = payload
        self.ring.enqueue_unallocated(count)
        self._commit(count, payload)

    @rule(offset=st.integers(0, 14), data=st.binary(max_size=14))
    def write_unallocated(self, offset: int, data: bytes) -> None:
        count = self.ring.write_unallocated(offset, data)
        window = self.capacity - len(self.model)
        assert count == max(0, min(len(data), window - offset))
        for i in range(count):
            self.pending[offset + i] = data[i]

    @rule(data=st.data())
    def commit_written(self, data: st.DataObject) -> None:
        window = self.capacity - len(self.model)
        count = data.draw(st.integers(0, window))
        # Octets never written through the ring hold whatever was there: read them back.
        before = len(self.model)
        self.ring.enqueue_unallocated(count)
        buf = bytearray(count)
        assert self.ring.read_allocated(before, buf) == count
        for i in range(count):
            if i in self.pending:
                assert buf[i] == self.pending[i]
        self._commit(count, bytes(buf))

    @rule(offset=st.integers(0, 14), max_size=st.integers(0, 14))
    def peek_and_discard(self, offset: int, max_size: int) -> None:
        view = self.ring.get_allocated(offset, max_size)
        expected = self.model[offset : offset + max_size]
        assert expected.startswith(view.tobytes())
        if expected:
            assert len(view) > 0
        count = min(len(view), len(self.model))
        if offset == 0:
            self.ring.dequeue_allocated(count)
            del self.model[:count]

    @rule(offset=st.integers(0, 14), size=st.integers(0, 14))
    def read_allocated(self, offset: int, size: int) -> None:
        buf = bytearray(size)
        count = self.ring.read_allocated(offset, buf)
        assert bytes(buf[:count]) == bytes(self.model[offset : offset + size])

    @precondition(lambda self: self.capacity > 0)
    @rule()
    def clear(self) -> None:
        self.ring.clear()
        self.model = bytearray()
        self.pending = {}

    @invariant()
    def sizes_agree(self) -> None:
        ring, model = self.ring, self.model
        assert len(ring) == len(model)
        assert ring.window() == self.capacity - len(model)
        assert ring.is_empty() == (not model)
        assert ring.is_full() == (len(model) == self.capacity)
        assert joined(ring.readable_views()) == bytes(model)
        assert sum(map(len, ring.writable_views())) == ring.window()
        assert len(ring.writable_views()[0]) == ring.contiguous_window()

    @invariant()
    def empty_ring_is_contiguous(self) -> None:
        if not self.model and not self.pending:
            assert self.ring.contiguous_window() == self.capacity


TestRingMachine = RingMachine.TestCase
TestRingMachine.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
