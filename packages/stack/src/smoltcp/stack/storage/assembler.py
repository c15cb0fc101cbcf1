"""Track which octets past a moving front have arrived (TCP and IP reassembly, SACK)."""

from __future__ import annotations

from smoltcp.stack.storage.errors import TooManyHoles

__all__ = ["Assembler"]


class Assembler:
    """The set of octet ranges received past a front, as at most ``max_holes`` separate ranges.

    Offsets are relative to the front (for TCP, RCV.NXT: the next octet the application has
    not been given). Overlapping and adjacent ranges are merged. `remove_front` advances the
    front past the octets that have become contiguous with it and shifts every offset.

    The bound keeps a peer from making the stack track an unbounded set of fragments: an
    `add` that would need more than ``max_holes`` separate ranges raises ``TooManyHoles`` and
    changes nothing; the caller drops that segment (the peer will retransmit it).
    """

    __slots__ = ("_bounds", "_max_holes")

    def __init__(self, max_holes: int = 4) -> None:
        if max_holes < 0:
            raise ValueError(f"max_holes must be >= 0, not {max_holes}")
        self._max_holes = max_holes
        # Flat [start0, end0, start1, end1, ...]: half-open, ascending, disjoint and never
        # adjacent. Ints in one list are cheaper to scan and shift than tuple objects.
        self._bounds: list[int] = []

    @property
    def max_holes(self) -> int:
        """The most separate ranges tracked at once."""
        return self._max_holes

    def is_empty(self) -> bool:
        """Return True when no range is tracked."""
        return not self._bounds

    def clear(self) -> None:
        """Forget every range."""
        self._bounds = []

    def ranges(self) -> list[tuple[int, int]]:
        """Return the tracked ranges as ascending half-open ``(start, end)`` pairs.

        Offsets are relative to the front; a range starting at 0 is data ready to be taken.
        The ranges past the front are what TCP reports as SACK blocks (RFC 2018).
        """
        b = self._bounds
        return [(b[i], b[i + 1]) for i in range(0, len(b), 2)]

    def peek_front(self) -> int:
        """Return the number of octets contiguous at offset 0 (0 when there is a gap there)."""
        b = self._bounds
        if b and b[0] == 0:
            return b[1]
        return 0

    def remove_front(self) -> int:
        """Remove the range at offset 0 and advance the front past it; return its length.

        Returns 0 (and changes nothing) when no octet at offset 0 has arrived.
        """
        b = self._bounds
        if not b or b[0] != 0:
            return 0
        count = b[1]
        self._bounds = [x - count for x in b[2:]] if len(b) > 2 else []
        return count

    def add(self, offset: int, size: int) -> None:
        """Record that octets ``[offset, offset + size)`` past the front have arrived.

        Merges with overlapping and adjacent ranges; a zero ``size`` changes nothing. Raises
        ``TooManyHoles`` (changing nothing) when the result would exceed ``max_holes`` ranges,
        and ``ValueError`` for a negative offset or size.
        """
        if offset < 0 or size < 0:
            raise ValueError(f"offset and size must be >= 0, not {offset}, {size}")
        if size == 0:
            return
        b = self._bounds
        end = offset + size
        # Fast path: in-order and new-hole arrivals land past the last range.
        if not b or offset > b[-1]:
            if len(b) >= 2 * self._max_holes:
                raise TooManyHoles(f"would track more than {self._max_holes} ranges")
            b.append(offset)
            b.append(end)
            return
        merged = self._merged(offset, end)
        if len(merged) > 2 * self._max_holes:
            raise TooManyHoles(f"would track more than {self._max_holes} ranges")
        self._bounds = merged

    def add_then_remove_front(self, offset: int, size: int) -> int:
        """Do `add` then `remove_front`; return the octets removed from the front.

        Unlike `add`, this never raises ``TooManyHoles`` when ``offset`` is 0: the range at the
        front is removed at once, so it never needs a slot. TCP relies on this: dropping the
        very segment it is waiting for could stall the connection forever.
        """
        if offset == 0 and size > 0:
            merged = self._merged(0, size)
            count = merged[1]
            self._bounds = [x - count for x in merged[2:]]
            return count
        self.add(offset, size)
        return self.remove_front()

    def _merged(self, start: int, end: int) -> list[int]:
        # Return the bounds with [start, end) merged in (unchecked against max_holes).
        b = self._bounds
        n = len(b)
        i = 0
        # Ranges wholly before, and not adjacent to, the new one stay as they are.
        while i < n and b[i + 1] < start:
            i += 2
        merged = b[:i]
        # Ranges overlapping or adjacent to the new one are absorbed into it.
        while i < n and b[i] <= end:
            if b[i] < start:
                start = b[i]
            if b[i + 1] > end:
                end = b[i + 1]
            i += 2
        merged.append(start)
        merged.append(end)
        merged.extend(b[i:])
        return merged

    def __repr__(self) -> str:
        return f"Assembler(max_holes={self._max_holes}, ranges={self.ranges()})"
