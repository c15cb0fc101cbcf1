"""A bounded queue of packets: a ring of metadata over a ring of payload octets."""

from __future__ import annotations

from typing import Generic, TypeVar

from smoltcp.stack.storage.errors import BufferEmpty, BufferFull
from smoltcp.stack.storage.ring_buffer import RingBuffer

__all__ = ["PacketBuffer"]

H = TypeVar("H")


class PacketBuffer(Generic[H]):
    """A FIFO of at most ``metadata_capacity`` packets holding ``payload_capacity`` octets.

    Each packet is a metadata object of the caller's choosing (a UDP socket keeps the remote
    endpoint there) and a payload that is always one contiguous region of the payload ring,
    so it can be handed out as a single ``memoryview``. When a payload does not fit in the
    free space left before the end of the ring, that tail is skipped (counted as padding of
    the packet, so padding costs no metadata slot) and the payload starts at offset 0.

    Nothing grows after construction.
    """

    __slots__ = ("_count", "_head", "_meta", "_meta_capacity", "_pads", "_payload", "_sizes")

    def __init__(self, metadata_capacity: int, payload_capacity: int) -> None:
        if metadata_capacity < 0 or payload_capacity < 0:
            raise ValueError(
                f"capacities must be >= 0, not {metadata_capacity}, {payload_capacity}"
            )
        self._meta_capacity = metadata_capacity
        # Three parallel preallocated rings (rather than a slot object per packet), indexed
        # from _head: the payload size, the padding skipped before it, and the metadata.
        self._sizes = [0] * metadata_capacity
        self._pads = [0] * metadata_capacity
        self._meta: list[H | None] = [None] * metadata_capacity
        self._head = 0
        self._count = 0
        self._payload = RingBuffer(payload_capacity)

    @property
    def metadata_capacity(self) -> int:
        """The most packets the buffer can hold."""
        return self._meta_capacity

    @property
    def payload_capacity(self) -> int:
        """The most payload octets the buffer can hold (padding included)."""
        return self._payload.capacity

    def __len__(self) -> int:
        """Return the number of queued packets."""
        return self._count

    def is_empty(self) -> bool:
        """Return True when no packet is queued."""
        return self._count == 0

    def is_full(self) -> bool:
        """Return True when every metadata slot is taken (no packet, even empty, can be added).

        A buffer that is not full may still refuse a packet whose payload does not fit.
        """
        return self._count == self._meta_capacity

    def payload_len(self) -> int:
        """Return the number of payload octets in use (padding included)."""
        return len(self._payload)

    def clear(self) -> None:
        """Drop every packet."""
        meta = self._meta
        for i in range(self._meta_capacity):
            meta[i] = None
        self._head = 0
        self._count = 0
        self._payload.clear()

    def __repr__(self) -> str:
        return (
            f"PacketBuffer(packets={self._count}/{self._meta_capacity}, "
            f"payload={len(self._payload)}/{self._payload.capacity})"
        )

    def enqueue(self, size: int, metadata: H) -> memoryview:
        """Queue a packet of ``size`` octets; return the writable view to fill its payload.

        The view is exactly ``size`` octets long and contiguous. Raises ``BufferFull`` when
        there is no free metadata slot or not enough contiguous payload space (even after
        skipping the tail of the ring), and ``ValueError`` when ``size`` is negative or larger
        than the payload capacity (it could never fit).
        """
        # This works on the payload ring's fields directly (same package): the public calls
        # (contiguous_window, get_unallocated, enqueue_unallocated) cost 0.3 us more per packet.
        ring = self._payload
        capacity = ring._capacity
        if size < 0 or size > capacity:
            raise ValueError(f"packet size {size} outside 0..{capacity}")
        count = self._count
        if count == self._meta_capacity:
            raise BufferFull("no free packet slot")
        read_at = ring._read_at
        length = ring._length
        write_at = read_at + length
        pad = 0
        if write_at < capacity:
            if capacity - write_at < size:
                # Skip the tail; the free space past the wrap runs from 0 to the read head.
                if read_at < size:
                    raise BufferFull(f"no room for {size} contiguous octets")
                pad = capacity - write_at
                write_at = 0
        else:
            # The stored octets wrap: the free space is one piece up to the read head.
            write_at -= capacity
            if read_at - write_at < size:
                raise BufferFull(f"no room for {size} contiguous octets")
        ring._length = length + pad + size
        view = ring._view[write_at : write_at + size]
        slot = self._head + count
        if slot >= self._meta_capacity:
            slot -= self._meta_capacity
        self._sizes[slot] = size
        self._pads[slot] = pad
        self._meta[slot] = metadata
        self._count = count + 1
        return view

    def enqueue_slice(self, data: bytes | bytearray | memoryview, metadata: H) -> None:
        """Queue a packet holding a copy of ``data``; raise like `enqueue`."""
        self.enqueue(len(data), metadata)[:] = data

    def peek(self) -> tuple[H, memoryview]:
        """Return the oldest packet's metadata and payload view without removing it.

        Raises ``BufferEmpty`` when no packet is queued.
        """
        if self._count == 0:
            raise BufferEmpty("no packet queued")
        head = self._head
        return self._meta[head], self._payload.get_allocated(  # type: ignore[return-value]
            self._pads[head], self._sizes[head]
        )

    def dequeue(self) -> tuple[H, memoryview]:
        """Remove the oldest packet; return its metadata and a view of its payload.

        The view stays meaningful until the next `enqueue` (which may reuse the space): copy
        it out before then. Raises ``BufferEmpty`` when no packet is queued.
        """
        if self._count == 0:
            raise BufferEmpty("no packet queued")
        head = self._head
        pad = self._pads[head]
        size = self._sizes[head]
        metadata = self._meta[head]
        self._meta[head] = None
        ring = self._payload
        capacity = ring._capacity
        start = ring._read_at + pad
        if start >= capacity:
            start -= capacity
        end = start + size  # a payload never wraps, so end <= capacity
        view = ring._view[start:end]
        length = ring._length - pad - size
        if length == 0:
            ring._read_at = 0
        else:
            ring._read_at = end if end < capacity else 0
        ring._length = length
        head += 1
        if head == self._meta_capacity:
            head = 0
        self._head = head
        self._count -= 1
        return metadata, view  # type: ignore[return-value]
