"""Limits on answers a peer can make the whole interface send, shared by its TCP sockets."""

from __future__ import annotations

__all__ = ["PerSecondLimit"]

_SECOND = 1_000_000


class PerSecondLimit:
    """Allow at most ``limit`` events in each one-second window (RFC 5961 7's counter).

    The window starts at the first event after the previous one ended; times are integer
    microseconds and must not run backwards by more than a window (an earlier time simply
    counts in the current window). ``limit`` must be an int >= 0 (0 allows nothing);
    `ValueError` otherwise. `refused` counts the events refused.
    """

    __slots__ = ("_at", "_count", "limit", "refused")

    def __init__(self, limit: int) -> None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError(f"limit must be an int >= 0, not {limit!r}")
        self.limit = limit
        self._at: int | None = None
        self._count = 0
        self.refused = 0

    def allow(self, t: int) -> bool:
        """Return whether one more event at ``t`` (microseconds) is within the limit."""
        if self._at is None or t - self._at >= _SECOND:
            self._at = t
            self._count = 0
        if self._count >= self.limit:
            self.refused += 1
            return False
        self._count += 1
        return True
