"""The ring buffer copies a segment's octets once: no temporary the size of what it copies.

Assigning a memoryview or bytes to a slice of a bytearray makes CPython copy the source into a
temporary bytearray first; the ring copies through views so that a 64 KiB segment costs one
copy and no allocation. tracemalloc sees the temporary when there is one. The same octets
arrive as with any other way of copying (checked against bytes slicing).
"""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Callable

import pytest

from smoltcp.stack.iface.gro import Aggregator
from smoltcp.stack.storage import RingBuffer
from smoltcp.wire import (
    IpProtocol,
    Ipv4Address,
    TcpControl,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
    ip_repr,
)

SIZE = 65000


def peak_allocation(f: Callable[[], object]) -> int:
    """Return the most memory ``f`` held through Python's allocators at once, in octets."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        f()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_enqueue_copies_without_a_temporary(kind: type) -> None:
    data = random.Random(1).randbytes(SIZE)
    src = kind(data) if kind is not memoryview else memoryview(bytearray(data))
    ring = RingBuffer(4 * SIZE)
    ring.enqueue_slice(b"x" * (3 * SIZE + 100))
    ring.dequeue_slice(3 * SIZE)  # the next write wraps: two pieces
    for _ in range(2):
        assert peak_allocation(lambda: ring.enqueue_slice(src)) < SIZE // 4
        assert ring.dequeue_slice(SIZE + 100)[100:] == data
        ring.enqueue_slice(b"x" * 100)


def test_dequeue_into_a_bytearray_copies_without_a_temporary() -> None:
    data = random.Random(2).randbytes(SIZE)
    ring = RingBuffer(2 * SIZE)
    sink = bytearray(SIZE)
    ring.enqueue_slice(data)
    assert peak_allocation(lambda: ring.dequeue_into(sink)) < SIZE // 4
    assert sink == data


def test_write_unallocated_copies_without_a_temporary() -> None:
    data = random.Random(3).randbytes(SIZE)
    ring = RingBuffer(2 * SIZE)
    assert peak_allocation(lambda: ring.write_unallocated(10, memoryview(data))) < SIZE // 4
    ring.write_unallocated(0, b"y" * 10)
    ring.enqueue_unallocated(SIZE + 10)
    assert ring.dequeue_slice(SIZE + 10) == b"y" * 10 + data


def test_gro_copies_payloads_without_a_temporary() -> None:
    def seg(seq: int, payload: memoryview) -> TcpRepr:
        return TcpRepr(
            1,
            2,
            TcpControl.NONE,
            TcpSeqNumber(seq),
            TcpSeqNumber(9),
            100,
            timestamp=TcpTimestampRepr(1, 2),
            payload=payload,
        )

    rng = random.Random(4)
    parts = [memoryview(bytearray(rng.randbytes(16000))) for _ in range(2)]
    agg = Aggregator()
    sock = object()
    ipr = ip_repr(Ipv4Address("10.0.0.1"), Ipv4Address("10.0.0.2"), IpProtocol.TCP, 16032, 64)
    agg.start(sock, ipr, seg(0, parts[0]))  # type: ignore[arg-type]
    assert peak_allocation(lambda: agg.join(sock, seg(16000, parts[1]))) < 4000  # type: ignore[arg-type]
    taken = agg.take()[2].payload
    assert bytes(taken) == bytes(parts[0]) + bytes(parts[1])
