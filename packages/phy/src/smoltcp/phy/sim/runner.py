"""The discrete-event runner of the simulator: it owns the clock and jumps it from event to event.

Time is an integer number of microseconds (the stack's `Instant`). Nothing here sleeps or reads
a wall clock: `Simulator.run` pops the earliest event, sets the clock to its time and calls it.
Events at the same time run in the order they were scheduled (a sequence number breaks the
tie), so a run depends only on the scenario and its seeds. An event scheduled for the current
instant (a frame passed on at once, a host polled for the frame it just received) waits in a
plain FIFO rather than the heap: everything the heap holds for this instant was scheduled
before it, so the FIFO after the heap's entries of the instant is the same order.

Three kinds of events drive a run: a host's `Interface.poll_at` (hosts schedule their own
polls), a frame's delivery at the far end of a link (links schedule those), and application
timers (`Simulator.call_at`, `Simulator.call_later`, `Simulator.call_soon`). The timer API has
the shape an asyncio event loop is built on (``time``, ``call_at`` with a cancellable handle),
so a virtual-time loop can be layered on it.
"""

from __future__ import annotations

import heapq
import random
import sys
from collections import deque
from collections.abc import Callable
from typing import Any

from smoltcp.stack.time import Duration, Instant

__all__ = ["STALL_EVENTS", "ClockStalled", "Simulator", "TimerHandle", "element_rng"]

_heappush = heapq.heappush

STALL_EVENTS = 10_000_000
"""The default of `Simulator.stall_events`: events in a row at one instant after which
`Simulator.run` gives up (`ClockStalled`).

A network whose frames take no time (links without a rate, a delay or jitter) under a
workload that never waits runs for ever at one instant. A real network can run many events
at one instant too: a broadcast flooded by a switch to N hosts over links with a delay but
no rate lands as about N x min(N, 1000) deliveries at once (a million for a thousand hosts),
so the default sits ten times above that, about half a minute of a run."""


class ClockStalled(RuntimeError):
    """`Simulator.run` ran `Simulator.stall_events` events in a row without the clock moving."""


def element_rng(seed: int, name: str, purpose: str = "") -> random.Random:
    """Return the random stream of element ``name`` (and ``purpose``) in a run of ``seed``.

    Each element draws from its own stream, derived from the scenario seed and its name only,
    so adding or removing another element never changes its draws.
    """
    return random.Random(f"smoltcp.sim/{seed}/{name}/{purpose}")


class TimerHandle:
    """A scheduled call; `cancel` prevents it if it has not run yet."""

    __slots__ = ("_args", "_callback", "cancelled", "when")

    def __init__(self, when: int, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.when = when
        self._callback = callback
        self._args = args
        self.cancelled = False

    def cancel(self) -> None:
        """Do not run the call (a no-op if it already ran)."""
        self.cancelled = True
        self._callback = _nothing
        self._args = ()

    def _run(self) -> None:
        if not self.cancelled:
            self._callback(*self._args)

    def __repr__(self) -> str:
        state = " cancelled" if self.cancelled else ""
        return f"TimerHandle(at {self.when} us{state})"


def _nothing(*_: Any) -> None:
    return None


class Simulator:
    """The clock and the event queue of one simulated network.

    Elements (links, hosts, switches, routers) schedule their own events with `_schedule`;
    applications use the timer API. ``now`` is the current `Instant`, ``now_us`` the same in
    microseconds.
    """

    def __init__(self, seed: int = 0) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, not {type(seed).__name__}")
        self.seed = seed
        self.stall_events: int | None = STALL_EVENTS
        """`run` raises `ClockStalled` once this many events in a row (counted over its
        calls) ran without the clock moving; None: never. The stall is found within twice
        this many events: the count is looked at every this many."""
        # The count towards a stall: the clock where it started, and the events since.
        self._still_us = 0
        self._still_run = 0
        self.now_us = 0
        self.events = 0
        # (time, sequence number, event): the sequence number orders the events of one
        # instant as they were scheduled, and never lets two entries compare their events.
        self._heap: list[tuple[int, int, Callable[[int], Any]]] = []
        self._seq = 0
        # The events scheduled for the current instant while the clock stood there, in order:
        # they run after the heap's entries of the instant (all scheduled before them).
        self._due_now: deque[Callable[[int], Any]] = deque()
        self._stopped = False

    # -- clock --------------------------------------------------------------------------------

    @property
    def now(self) -> Instant:
        """The current simulated time."""
        return Instant(self.now_us)

    def time(self) -> float:
        """Return the simulated time in seconds (what an asyncio loop's ``time()`` returns)."""
        return self.now_us / 1_000_000

    def rng(self, name: str, purpose: str = "") -> random.Random:
        """Return the random stream of element ``name`` in this run (see `element_rng`)."""
        return element_rng(self.seed, name, purpose)

    # -- scheduling ---------------------------------------------------------------------------

    def _schedule(self, when_us: int, event: Callable[[int], Any]) -> None:
        """Call ``event(when_us)`` at ``when_us`` (at once if it lies in the past)."""
        if when_us <= self.now_us:
            self._due_now.append(event)
            return
        self._seq = seq = self._seq + 1
        _heappush(self._heap, (when_us, seq, event))

    def call_at(self, when: Instant | int, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Call ``callback(*args)`` at ``when`` (an `Instant` or microseconds); return its handle.

        A time in the past means as soon as possible, after the events already due now.
        """
        when_us = when.micros if isinstance(when, Instant) else when
        if isinstance(when_us, bool) or not isinstance(when_us, int):
            raise TypeError(f"when must be an Instant or int microseconds, not {when!r}")
        handle = TimerHandle(max(when_us, self.now_us), callback, args)
        self._schedule(handle.when, lambda _t: handle._run())
        return handle

    def call_later(
        self, delay: Duration | int, callback: Callable[..., Any], *args: Any
    ) -> TimerHandle:
        """Call ``callback(*args)`` after ``delay`` (a `Duration` or microseconds, >= 0)."""
        delay_us = delay.micros if isinstance(delay, Duration) else delay
        if isinstance(delay_us, bool) or not isinstance(delay_us, int):
            raise TypeError(f"delay must be a Duration or int microseconds, not {delay!r}")
        if delay_us < 0:
            raise ValueError(f"delay must not be negative, not {delay_us}")
        return self.call_at(self.now_us + delay_us, callback, *args)

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Call ``callback(*args)`` now, after the events already due now."""
        return self.call_at(self.now_us, callback, *args)

    def next_event(self) -> int | None:
        """Return when the next event is due (microseconds), or None if none is scheduled."""
        if self._due_now:
            return self.now_us
        return self._heap[0][0] if self._heap else None

    def stop(self) -> None:
        """Make `run` return after the current event."""
        self._stopped = True

    # -- running ------------------------------------------------------------------------------

    def run(
        self,
        until: Instant | int | None = None,
        *,
        max_events: int | None = None,
        progress: Callable[[int], Any] | None = None,
        progress_every: int = 100_000,
    ) -> int:
        """Run events until the clock would pass ``until`` (then set it to ``until``).

        Return the number of events run. Stop early when no event is left, when `stop` is
        called or after ``max_events``. ``progress(now_us)`` is called every
        ``progress_every`` events (for a progress bar); raise ``ValueError`` when
        ``progress_every`` is not positive, and `ClockStalled` after `stall_events` events
        in a row at one instant, counted across calls (a run can go on with another call,
        and stall again).
        """
        if progress_every < 1:
            raise ValueError(f"progress_every must be at least 1, not {progress_every}")
        end = None if until is None else (until.micros if isinstance(until, Instant) else until)
        heap = self._heap
        pop = heapq.heappop
        due_now = self._due_now
        take_now = due_now.popleft
        ran = 0
        base = self.events
        # The checks per event are kept to comparisons with what never matches when unused:
        # a clock limit, and one count at which the budget, the progress report or the
        # stall check (has the clock moved since the last one?) is due.
        last = sys.maxsize if end is None else end
        budget = sys.maxsize if max_events is None else max_events
        report_at = progress_every if progress is not None else sys.maxsize
        now = self.now_us
        # The stall window: it started with the clock at ``still_us`` and ``still_from``
        # events into this call (negative: in earlier calls) and is looked at when ``ran``
        # reaches ``stall_at``.
        stall_events = self.stall_events
        carried = self._still_run if now == self._still_us else 0
        still_us, still_from = now, -carried
        if stall_events is None:
            stall_at = sys.maxsize
        else:
            stall_at = max(1, stall_events - carried)
        check = min(budget, report_at, stall_at)
        self._stopped = False
        if now > last or budget <= 0:
            # The clock is past the end already (nothing is due before it), or no event may
            # run. Otherwise `check` stays above the events run, never zero, in the loop.
            budget = check = 0
        while check:
            if due_now:
                # What was scheduled for this instant since the clock came here, after the
                # heap's entries of the instant (all scheduled before it came).
                event = pop(heap)[2] if heap and heap[0][0] == now else take_now()
            elif heap:
                entry = pop(heap)
                now, _, event = entry
                if now > last:
                    _heappush(heap, entry)  # not due before the end: back where it was
                    break
                self.now_us = now
            else:
                break
            event(now)
            ran += 1
            if ran >= check:
                if ran == report_at and progress is not None:
                    report_at += progress_every
                    self.events = base + ran
                    progress(now)
                if ran >= stall_at:
                    assert stall_events is not None  # else stall_at is never reached
                    if now == still_us:
                        self.events = base + ran
                        self._still_us, self._still_run = still_us, ran - still_from
                        raise ClockStalled(
                            f"{ran - still_from} events in a row at {now} us: the clock does "
                            "not move (frames that take no time on every link of a path? a "
                            "flood over thousands of hosts? see Simulator.stall_events)"
                        )
                    still_us, still_from = now, ran
                    stall_at = ran + stall_events
                if ran >= budget:
                    break
                check = min(budget, report_at, stall_at)
            if self._stopped:
                break
        self.events = base + ran
        self._still_us, self._still_run = still_us, ran - still_from
        if end is not None and not self._stopped and not due_now and (not heap or heap[0][0] > end):
            # Nothing else happens before the end: the clock moves there.
            self.now_us = max(self.now_us, end)
        return ran
