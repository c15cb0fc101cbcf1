"""A fixed-capacity ring of octets with zero-copy views of its free and used regions."""

from __future__ import annotations

__all__ = ["RingBuffer"]

BytesLike = bytes | bytearray | memoryview


def _octets(data: BytesLike) -> memoryview:
    """Return ``data`` as a flat memoryview of octets, so that slicing it never copies."""
    view = data if type(data) is memoryview else memoryview(data)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view


def _flat(data: BytesLike) -> BytesLike:
    # bytes and bytearray already count octets; anything else becomes a view of octets (so
    # that len() is the octet count). Skipping the view saves ~0.15 us per call.
    kind = type(data)
    if kind is bytes or kind is bytearray:
        return data
    return _octets(data)


class RingBuffer:
    """A ring of ``capacity`` octets over one preallocated ``bytearray`` (a TCP socket buffer).

    The *allocated* (readable) region starts at the read head and holds ``len(ring)`` octets;
    the *unallocated* (free) region follows it and holds ``window()`` octets. Either region may
    wrap past the end of the storage, so it is at most two contiguous pieces.

    Two styles of use:

    - copying: `enqueue_slice`, `dequeue_slice`, `dequeue_into`, `write_unallocated`,
      `read_allocated` (each copies both pieces of a wrapped region);
    - zero-copy: `get_unallocated` + `enqueue_unallocated` to fill free space in place,
      `get_allocated` + `dequeue_allocated` to read used space in place, and
      `readable_views` / `writable_views` for both pieces at once.

    A view handed out stays valid (it never dangles: the storage is never reallocated), but
    its content is only meaningful until the ring is next changed.

    The ring's side of every copy is a memoryview: assigning anything but a bytearray to a
    slice of a bytearray first copies it into a temporary bytearray (CPython), which for a
    64 KiB segment is a second copy and an allocation of its size.

    Whenever the ring becomes empty its read head moves back to offset 0, so that the free
    region is one contiguous piece as large as possible. The one exception keeps TCP
    reassembly safe: while octets written with `write_unallocated` wait past the write head
    for `enqueue_unallocated` (an out-of-order segment), the heads stay where they are, since
    moving them would move the free region under those octets. `clear` drops such octets.

    Counts larger than what is available (committing more than the window, discarding more
    than is stored) and negative sizes or offsets raise ``ValueError``.
    """

    __slots__ = ("_capacity", "_length", "_pending", "_read_at", "_storage", "_view")

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0, not {capacity}")
        self._capacity = capacity
        self._storage = bytearray(capacity)
        # A permanent export of the storage: slices of it are the zero-copy views, and it
        # makes any accidental resize of the bytearray fail loudly.
        self._view = memoryview(self._storage)
        self._read_at = 0
        self._length = 0
        # How far past the write head `write_unallocated` has written octets not yet
        # committed: while it is non-zero the heads must not move back to 0.
        self._pending = 0

    # -- size ------------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        """The number of octets the ring can hold."""
        return self._capacity

    def __len__(self) -> int:
        """Return the number of stored (readable) octets."""
        return self._length

    def window(self) -> int:
        """Return the number of free octets (what `enqueue_slice` could accept)."""
        return self._capacity - self._length

    def contiguous_window(self) -> int:
        """Return the number of free octets contiguous at the write head."""
        end = self._read_at + self._length
        if end < self._capacity:
            return self._capacity - end
        # The stored region wraps (or ends exactly at the end): free space runs to the read head.
        return self._read_at - (end - self._capacity)

    def is_empty(self) -> bool:
        """Return True when no octet is stored."""
        return self._length == 0

    def is_full(self) -> bool:
        """Return True when no octet is free."""
        return self._length == self._capacity

    def clear(self) -> None:
        """Discard every stored octet, and any written but uncommitted (storage not zeroed)."""
        self._read_at = 0
        self._length = 0
        self._pending = 0

    def __repr__(self) -> str:
        return f"RingBuffer(capacity={self._capacity}, len={self._length}, read_at={self._read_at})"

    # -- copying interface -----------------------------------------------------------------

    def enqueue_slice(self, data: BytesLike) -> int:
        """Append as many octets of ``data`` as fit; return how many were appended.

        Copies both pieces when the free region wraps. Never raises for lack of room: a full
        ring accepts 0 octets.
        """
        # `_flat`, inlined: this is the receive path of every TCP segment.
        kind = type(data)
        src = data if kind is bytes or kind is bytearray else _octets(data)
        capacity = self._capacity
        size = self._length
        count = len(src)
        free = capacity - size
        if count > free:
            count = free
            src = _octets(src)  # slicing a view below, not copying bytes
        if count == 0:
            return 0
        write_at = self._read_at + size
        if write_at >= capacity:
            write_at -= capacity
        first = capacity - write_at
        view = self._view
        if count <= first:
            # The common case, the whole of data in one piece: no slice of it at all.
            view[write_at : write_at + count] = src if count == len(src) else src[:count]
        else:
            src = _octets(src)
            view[write_at:capacity] = src[:first]
            view[0 : count - first] = src[first:count]
        self._length = size + count
        if self._pending:
            self._pending = max(0, self._pending - count)
        return count

    def dequeue_slice(self, size: int) -> bytes:
        """Remove and return up to ``size`` octets from the read head (fewer when fewer stored)."""
        if size < 0:
            raise ValueError(f"size must be >= 0, not {size}")
        count = min(size, self._length)
        capacity = self._capacity
        start = self._read_at
        view = self._view
        if start + count <= capacity:
            out = view[start : start + count].tobytes()
        else:
            out = view[start:capacity].tobytes() + view[0 : start + count - capacity].tobytes()
        self._discard(count)
        return out

    def dequeue_into(self, buf: bytearray | memoryview) -> int:
        """Remove up to ``len(buf)`` octets from the read head into ``buf``; return the count."""
        dst = _octets(buf)  # a view even of a bytearray: see the class docstring
        length = self._length
        count = len(dst)
        if count > length:
            count = length
        if count == 0:
            return 0
        # _copy_out and _discard inlined: this is the receive path of every TCP read.
        capacity = self._capacity
        start = self._read_at
        end = start + count
        view = self._view
        if end <= capacity:
            dst[:count] = view[start:end]
        else:
            end -= capacity
            first = capacity - start
            dst[:first] = view[start:capacity]
            dst[first:count] = view[0:end]
        length -= count
        if length == 0 and not self._pending:
            self._read_at = 0
        else:
            self._read_at = end if end < capacity else 0
        self._length = length
        return count

    def write_unallocated(self, offset: int, data: BytesLike) -> int:
        """Copy ``data`` into free space ``offset`` octets past the write head; return the count.

        Stores nothing: the octets become readable only once `enqueue_unallocated` commits
        them (TCP reassembly writes out-of-order segments this way), and they stay in place
        while the stored octets before them are dequeued. Octets that would fall
        past the free region are not written; an ``offset`` beyond the window writes nothing.
        """
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        src = _flat(data)
        capacity = self._capacity
        free = capacity - self._length
        if offset >= free:
            return 0
        count = len(src)
        if count > free - offset:
            count = free - offset
        if count == 0:
            return 0
        start = self._read_at + self._length + offset
        if start >= capacity:
            start -= capacity
        first = capacity - start
        view = self._view
        if count <= first:
            view[start : start + count] = src if count == len(src) else _octets(src)[:count]
        else:
            src = _octets(src)
            view[start:capacity] = src[:first]
            view[0 : count - first] = src[first:count]
        if offset + count > self._pending:
            self._pending = offset + count
        return count

    def read_allocated(self, offset: int, buf: bytearray | memoryview) -> int:
        """Copy stored octets from ``offset`` past the read head into ``buf``; return the count.

        Removes nothing (TCP reads unacknowledged data this way to retransmit it). Copies
        ``min(len(buf), len(ring) - offset)`` octets, none when ``offset >= len(ring)``.
        """
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        dst = _octets(buf)
        if offset >= self._length:
            return 0
        count = min(len(dst), self._length - offset)
        self._copy_out(offset, dst, count)
        return count

    def _copy_out(self, offset: int, dst: memoryview, count: int) -> None:
        # Copy `count` stored octets starting `offset` past the read head into dst[:count].
        if count == 0:
            return
        capacity = self._capacity
        start = self._read_at + offset
        if start >= capacity:
            start -= capacity
        first = capacity - start
        view = self._view
        if count <= first:
            dst[:count] = view[start : start + count]
        else:
            dst[:first] = view[start:capacity]
            dst[first:count] = view[0 : count - first]

    def _discard(self, count: int) -> None:
        length = self._length - count
        if length == 0 and not self._pending:
            self._read_at = 0
        else:
            read_at = self._read_at + count
            if read_at >= self._capacity:
                read_at -= self._capacity
            self._read_at = read_at
        self._length = length

    # -- zero-copy interface ---------------------------------------------------------------

    def get_unallocated(self, max_size: int) -> memoryview:
        """Return a writable view of free space at the write head, at most ``max_size`` long.

        The view is contiguous, so it may be shorter than the window when the free region
        wraps. Write into it, then call `enqueue_unallocated` with the count written.
        """
        if max_size < 0:
            raise ValueError(f"max_size must be >= 0, not {max_size}")
        capacity = self._capacity
        write_at = self._read_at + self._length
        if write_at < capacity:
            end = capacity
        else:
            write_at -= capacity
            end = self._read_at
        if end - write_at > max_size:
            end = write_at + max_size
        return self._view[write_at:end]

    def enqueue_unallocated(self, count: int) -> None:
        """Commit ``count`` octets at the write head (written through a view) as stored.

        Raises ``ValueError`` if ``count`` is negative or larger than the window.
        """
        if count < 0 or count > self._capacity - self._length:
            raise ValueError(f"cannot enqueue {count} octets into a window of {self.window()}")
        self._length += count
        if self._pending:
            self._pending = max(0, self._pending - count)

    def get_allocated(self, offset: int, max_size: int) -> memoryview:
        """Return a view of stored octets from ``offset`` past the read head, at most ``max_size``.

        The view is contiguous, so it may be shorter than what is stored past ``offset`` when
        the stored region wraps: call again with a larger offset for the rest. It is empty
        when ``offset >= len(ring)``. Nothing is removed: see `dequeue_allocated`.
        """
        if offset < 0 or max_size < 0:
            raise ValueError(f"offset and max_size must be >= 0, not {offset}, {max_size}")
        available = self._length - offset
        if available <= 0:
            return self._view[0:0]
        capacity = self._capacity
        start = self._read_at + offset
        if start >= capacity:
            start -= capacity
        count = capacity - start
        if available < count:
            count = available
        if max_size < count:
            count = max_size
        return self._view[start : start + count]

    def dequeue_allocated(self, count: int) -> None:
        """Discard ``count`` octets at the read head.

        Raises ``ValueError`` if ``count`` is negative or larger than ``len(ring)``.
        """
        if count < 0 or count > self._length:
            raise ValueError(f"cannot dequeue {count} octets of {self._length} stored")
        self._discard(count)

    def readable_views(self) -> tuple[memoryview, memoryview]:
        """Return the stored octets as two views, in order; the second is empty unless wrapped."""
        capacity = self._capacity
        start = self._read_at
        end = start + self._length
        view = self._view
        if end <= capacity:
            return view[start:end], view[0:0]
        return view[start:capacity], view[0 : end - capacity]

    def writable_views(self) -> tuple[memoryview, memoryview]:
        """Return the free octets as two writable views, in order; the second may be empty.

        Writing into them stores nothing until `enqueue_unallocated` commits the count.
        """
        capacity = self._capacity
        write_at = self._read_at + self._length
        view = self._view
        if write_at < capacity:
            return view[write_at:capacity], view[0 : self._read_at]
        write_at -= capacity
        return view[write_at : self._read_at], view[0:0]
