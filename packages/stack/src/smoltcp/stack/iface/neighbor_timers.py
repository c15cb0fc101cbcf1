"""`NeighborTimers`: the timers of the neighbour cache (`neighbor.NeighborCache`, its subclass).

`poll` runs the timers due: it sends the queries (broadcast/multicast for INCOMPLETE, unicast
for PROBE) through the interface's ``solicit`` callback, at most one per address per
``retrans_timer``, moves DELAY to PROBE, and deletes the entries whose resolution failed, whose
probes went unanswered, or that were not heard from for ``expiry``; `poll_at` says when the next
timer is due. The state the timers act on is the cache's, declared below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from smoltcp.stack.iface.neighbor_entry import (
    NeighborCounters,
    NeighborEntry,
    NeighborEventKind,
    NeighborState,
)
from smoltcp.stack.time import Instant
from smoltcp.wire import IpAddress

__all__ = ["NeighborTimers", "Solicit"]

# How many solicitation times are remembered for the one-per-retrans_timer limit.
_ASKED_MAX = 1024

_INCOMPLETE = NeighborState.INCOMPLETE
_DELAY = NeighborState.DELAY
_PROBE = NeighborState.PROBE

Solicit = Callable[[IpAddress, "bytes | None"], bool]


class NeighborTimers:
    """The timer half of `neighbor.NeighborCache`; never used alone."""

    # Set by `neighbor.NeighborCache.__init__` (see there).
    _asked: dict[IpAddress, int]
    _due_hint: int
    _entries: dict[IpAddress, NeighborEntry]
    _expiry: int
    _lost: int
    _max_multicast: int
    _max_unicast: int
    _retrans: int
    _timed: dict[IpAddress, NeighborEntry]
    counters: NeighborCounters

    if TYPE_CHECKING:

        def _clear_timer(self, addr: IpAddress, e: NeighborEntry) -> None: ...

        def _delete(self, addr: IpAddress, e: NeighborEntry) -> None: ...

        def _event(
            self, kind: NeighborEventKind, addr: IpAddress, now: Instant, hw: bytes | None
        ) -> None: ...

    def poll(self, now: Instant, solicit: Solicit) -> int:
        """Run the timers due at ``now``; return the number of queued packets dropped.

        For each query due, call ``solicit(addr, hardware_addr)``: ``hardware_addr`` None for
        a broadcast/multicast query (INCOMPLETE), the cached address for a unicast probe
        (PROBE). ``solicit`` returns whether it could send; a query not sent stays due. At
        most one query per address per ``retrans_timer``, whatever the reason for asking.
        """
        now_us = now.micros
        lost = self._lost
        self._lost = 0
        for addr, e in list(self._timed.items()):
            if self._entries.get(addr) is not e:
                self._timed.pop(addr, None)
                continue
            if e.hw is None:
                lost += self._poll_incomplete(addr, e, now, now_us, solicit)
                continue
            if now_us >= e.heard + self._expiry:
                self._delete(addr, e)
                self.counters.expired += 1
                continue
            if e.timer is None:
                self._timed.pop(addr, None)
                continue
            if e.timer > now_us:
                continue
            if e.state is _DELAY:
                # RFC 4861 7.3.3: no confirmation within DELAY_FIRST_PROBE_TIME: probe.
                e.state = _PROBE
                e.sent = 0
            if e.state is not _PROBE:
                self._clear_timer(addr, e)
                continue
            if e.sent >= self._max_unicast:
                # Every probe went unanswered: the neighbour is unreachable (FAILED).
                self._delete(addr, e)
                self.counters.unreachable += 1
                self._event(NeighborEventKind.UNREACHABLE, addr, now, e.hw)
                continue
            self._solicit(addr, e, now_us, e.hw, solicit)
        self._due_hint = self._earliest()
        return lost

    def _poll_incomplete(
        self, addr: IpAddress, e: NeighborEntry, now: Instant, now_us: int, solicit: Solicit
    ) -> int:
        if now_us >= e.deadline:
            n = len(e.queue) if e.queue else 0
            self._delete(addr, e)
            self.counters.resolution_failed += 1
            self._event(NeighborEventKind.RESOLUTION_FAILED, addr, now, None)
            return n
        if e.timer is not None and e.timer <= now_us:
            if e.sent >= self._max_multicast:
                e.timer = None  # wait for the deadline
            else:
                self._solicit(addr, e, now_us, None, solicit)
        return 0

    def _solicit(
        self, addr: IpAddress, e: NeighborEntry, now_us: int, hw: bytes | None, solicit: Solicit
    ) -> None:
        last = self._asked.get(addr)
        if last is not None and now_us - last < self._retrans:
            e.timer = last + self._retrans
            return
        if not solicit(addr, hw):
            return  # stays due: asked again at the next poll
        e.sent += 1
        if hw is None:
            self.counters.queries_sent += 1
        else:
            self.counters.probes_sent += 1
        self._note_asked(addr, now_us)
        e.timer = now_us + self._retrans

    def _note_asked(self, addr: IpAddress, now_us: int) -> None:
        asked = self._asked
        if len(asked) >= _ASKED_MAX and addr not in asked:
            # Bounded: forget the times older than an interval (they limit nothing now).
            retrans = self._retrans
            self._asked = asked = {a: t for a, t in asked.items() if now_us - t < retrans}
            if len(asked) >= _ASKED_MAX:
                asked.clear()
        asked[addr] = now_us

    def _earliest(self, wake: bool = False) -> int:
        best = -1
        for e in self._timed.values():
            if wake and e.state is _DELAY:
                # DELAY needs no wake-up of its own: a probe only matters if we send again,
                # and every send (`resolve`) or poll past the delay starts PROBE.
                continue
            at = self._entry_due(e)
            if at is not None and (best < 0 or at < best):
                best = at
        return best

    def _entry_due(self, e: NeighborEntry) -> int | None:
        at = e.timer
        if e.hw is None:
            if at is None or at > e.deadline:
                at = e.deadline
        elif at is not None:
            # Expiry deletes an entry being probed without a query of its own.
            at = min(at, e.heard + self._expiry)
        return at

    def poll_at(self) -> Instant | None:
        """Return when `poll` next has a timer to run, or None (a time in the past: now).

        A DELAY entry sets none: it moves to PROBE at the first `resolve` or `poll` after
        DELAY_FIRST_PROBE_TIME (a neighbour we no longer send to need not be probed).
        """
        best = self._earliest(wake=True)
        return None if best < 0 else Instant(best)

    def poll_at_us(self) -> int | None:
        """`poll_at` in integer microseconds (cheap when no entry has a timer)."""
        if not self._timed:
            return None
        best = self._earliest(wake=True)
        return None if best < 0 else best
