"""PacketBuffer: table tests of the corner cases and a stateful comparison with a deque."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from smoltcp.stack.storage import BufferEmpty, BufferFull, PacketBuffer


def test_new_buffer_is_empty() -> None:
    buf: PacketBuffer[str] = PacketBuffer(4, 16)
    assert buf.metadata_capacity == 4
    assert buf.payload_capacity == 16
    assert len(buf) == 0
    assert buf.is_empty() and not buf.is_full()
    assert buf.payload_len() == 0
    with pytest.raises(BufferEmpty):
        buf.dequeue()
    with pytest.raises(BufferEmpty):
        buf.peek()


def test_negative_capacities_are_refused() -> None:
    with pytest.raises(ValueError):
        PacketBuffer(-1, 4)
    with pytest.raises(ValueError):
        PacketBuffer(4, -1)


def test_packets_come_out_in_order_with_their_metadata() -> None:
    buf: PacketBuffer[str] = PacketBuffer(4, 16)
    buf.enqueue(3, "a")[:] = b"abc"
    buf.enqueue_slice(b"de", "b")
    assert len(buf) == 2
    meta, payload = buf.peek()
    assert (meta, payload.tobytes()) == ("a", b"abc")
    meta, payload = buf.dequeue()
    assert (meta, payload.tobytes()) == ("a", b"abc")
    meta, payload = buf.dequeue()
    assert (meta, payload.tobytes()) == ("b", b"de")
    assert buf.is_empty()


def test_enqueue_returns_a_view_of_exactly_the_size() -> None:
    buf: PacketBuffer[None] = PacketBuffer(2, 16)
    view = buf.enqueue(5, None)
    assert len(view) == 5 and not view.readonly


def test_full_metadata_ring_refuses_even_empty_packets() -> None:
    buf: PacketBuffer[int] = PacketBuffer(2, 16)
    buf.enqueue(1, 1)
    buf.enqueue(0, 2)
    assert buf.is_full()
    with pytest.raises(BufferFull):
        buf.enqueue(0, 3)
    assert len(buf) == 2


def test_full_payload_ring_refuses_and_changes_nothing() -> None:
    buf: PacketBuffer[int] = PacketBuffer(4, 8)
    buf.enqueue_slice(b"abcdef", 1)
    with pytest.raises(BufferFull):
        buf.enqueue(3, 2)
    assert len(buf) == 1 and buf.payload_len() == 6
    buf.enqueue_slice(b"gh", 2)
    assert buf.payload_len() == 8
    buf.enqueue(0, 3)  # an empty packet needs no payload space
    assert [buf.dequeue()[0] for _ in range(3)] == [1, 2, 3]


def test_oversized_packet_is_misuse() -> None:
    buf: PacketBuffer[int] = PacketBuffer(4, 8)
    with pytest.raises(ValueError):
        buf.enqueue(9, 1)
    with pytest.raises(ValueError):
        buf.enqueue(-1, 1)


def test_payload_that_does_not_fit_at_the_tail_wraps_with_padding() -> None:
    buf: PacketBuffer[int] = PacketBuffer(4, 10)
    buf.enqueue_slice(b"aaaaaa", 1)
    buf.enqueue_slice(b"bb", 2)
    assert buf.dequeue()[0] == 1
    # 2 octets free at the tail, 6 at the head: a 4-octet packet skips the tail.
    view = buf.enqueue(4, 3)
    view[:] = b"cccc"
    assert buf.payload_len() == 2 + 2 + 4
    assert buf.dequeue()[1].tobytes() == b"bb"
    meta, payload = buf.dequeue()
    assert (meta, payload.tobytes()) == (3, b"cccc")
    assert buf.payload_len() == 0


def test_padding_needs_room_past_the_wrap() -> None:
    buf: PacketBuffer[int] = PacketBuffer(4, 10)
    buf.enqueue_slice(b"aaaa", 1)
    buf.enqueue_slice(b"bbbb", 2)
    buf.dequeue()
    # 2 free at the tail, 4 at the head: 5 octets fit in neither piece.
    with pytest.raises(BufferFull):
        buf.enqueue(5, 3)
    assert buf.payload_len() == 4
    buf.enqueue(4, 3)


def test_clear_drops_everything() -> None:
    buf: PacketBuffer[int] = PacketBuffer(2, 8)
    buf.enqueue_slice(b"abc", 1)
    buf.enqueue_slice(b"def", 2)
    buf.clear()
    assert buf.is_empty() and buf.payload_len() == 0
    buf.enqueue_slice(b"12345678", 3)
    assert buf.dequeue()[1].tobytes() == b"12345678"


def test_zero_capacities() -> None:
    buf: PacketBuffer[int] = PacketBuffer(0, 0)
    assert buf.is_full()
    with pytest.raises(BufferFull):
        buf.enqueue(0, 1)
    buf = PacketBuffer(1, 0)
    buf.enqueue(0, 1)
    assert buf.dequeue()[1].tobytes() == b""


def test_repr_shows_the_occupancy() -> None:
    buf: PacketBuffer[int] = PacketBuffer(2, 8)
    buf.enqueue_slice(b"abc", 1)
    assert repr(buf) == "PacketBuffer(packets=1/2, payload=3/8)"


class PacketMachine(RuleBasedStateMachine):
    """Compare a PacketBuffer with a deque of (metadata, payload) under random operations.

    The model accepts a packet when a slot is free and the payload fits contiguously in the
    free space before or after the wrap, which it computes from the padding rule.
    """

    def __init__(self) -> None:
        super().__init__()
        self.buf: PacketBuffer[int] = PacketBuffer(0, 0)
        self.model: deque[tuple[int, bytes]] = deque()
        self.serial = 0

    @initialize(slots=st.integers(0, 6), octets=st.integers(0, 24))
    def new(self, slots: int, octets: int) -> None:
        self.buf = PacketBuffer(slots, octets)
        self.model = deque()

    @rule(data=st.binary(max_size=26))
    def enqueue(self, data: bytes) -> None:
        self.serial += 1
        buf = self.buf
        if len(data) > buf.payload_capacity:
            with pytest.raises(ValueError):
                buf.enqueue(len(data), self.serial)
            return
        ring = buf._payload
        fits = len(data) <= ring.contiguous_window() or len(data) <= (
            ring.window() - ring.contiguous_window()
        )
        if len(self.model) < buf.metadata_capacity and fits:
            buf.enqueue(len(data), self.serial)[:] = data
            self.model.append((self.serial, data))
        else:
            before = buf.payload_len()
            with pytest.raises(BufferFull):
                buf.enqueue(len(data), self.serial)
            assert buf.payload_len() == before

    @rule()
    def dequeue(self) -> None:
        if not self.model:
            with pytest.raises(BufferEmpty):
                self.buf.dequeue()
            return
        meta, payload = self.buf.dequeue()
        assert (meta, payload.tobytes()) == self.model.popleft()

    @rule()
    def peek(self) -> None:
        if not self.model:
            with pytest.raises(BufferEmpty):
                self.buf.peek()
            return
        meta, payload = self.buf.peek()
        assert (meta, payload.tobytes()) == self.model[0]

    @invariant()
    def sizes_agree(self) -> None:
        assert len(self.buf) == len(self.model)
        assert self.buf.is_empty() == (not self.model)
        assert self.buf.is_full() == (len(self.model) == self.buf.metadata_capacity)
        used = sum(len(p) for _, p in self.model)
        assert used <= self.buf.payload_len() <= self.buf.payload_capacity

    @invariant()
    def empty_buffer_accepts_a_full_size_packet(self) -> None:
        if not self.model and self.buf.metadata_capacity:
            assert self.buf._payload.contiguous_window() == self.buf.payload_capacity


TestPacketMachine = PacketMachine.TestCase
TestPacketMachine.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
