"""`Deadlines`: the flag with which the timed duties of an interface say a deadline moved.

Every `Interface.poll` and `Interface.poll_at` needs the earliest deadline of IGMP
(`MulticastGroups`), conflict detection (`AddressConflictDetector`) and the IPv6 host duties
(duplicate address detection, MLD, SLAAC lifetimes, unsolicited advertisements). Those
deadlines move only when something happens to the duties (a packet, a timer serviced, an
address added), not with the passing of time, so the interface keeps their minimum as one
number and computes it again only after a duty raised ``moved``.

The rule that keeps this correct: each duty raises ``moved`` wherever it assigns its own
deadline, and wherever it changes anything else its `due_us` reads. A deadline assigned
without raising the flag is a timer missed.
"""

from __future__ import annotations

__all__ = ["Deadlines"]


class Deadlines:
    """Whether a deadline of the interface's timed duties may have moved since the
    interface last read them all (``moved``: set by the duties, cleared by the interface).

    A duty used alone (outside an interface) has one of its own that nobody reads.
    """

    __slots__ = ("moved",)

    def __init__(self) -> None:
        self.moved = True

    def __repr__(self) -> str:
        return f"Deadlines(moved={self.moved})"
