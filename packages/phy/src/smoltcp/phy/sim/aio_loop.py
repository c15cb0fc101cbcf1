"""An asyncio event loop on the simulator's virtual clock.

`VirtualTimeEventLoop(sim)` is an ordinary `asyncio` selector loop whose ``time()`` is the
simulator's and whose selector never waits: where a real loop would block for up to
``timeout`` seconds, this one runs the simulator's events instead, up to that time, stopping
early as soon as an event has given asyncio something to do (a callback became ready, or a
timer earlier than the next event was set). Coroutines (``asyncio.sleep``, ``wait_for``,
futures resolved by simulator callbacks) thus run in virtual time, interleaved
deterministically with the network, as fast as the machine allows.

What it does not do: real I/O. Its selector holds registrations (asyncio registers its own
wake-up pipe) but never reports one ready, so sockets and pipes of the operating system never
wake it; ``call_soon_threadsafe`` from another thread is not supported.
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any

from .runner import Simulator

__all__ = ["VirtualTimeEventLoop"]


class _SimSelector(selectors.BaseSelector):
    """A selector whose ``select(timeout)`` runs the simulator instead of waiting."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._map: dict[Any, selectors.SelectorKey] = {}
        self.loop: VirtualTimeEventLoop | None = None

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        key = selectors.SelectorKey(fileobj, _fd(fileobj), events, data)
        self._map[fileobj] = key
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._map.pop(fileobj)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        sim = self._sim
        loop = self.loop
        assert loop is not None
        if timeout is None:
            end = None
        else:
            # asyncio rounds its timers to the clock's resolution: one microsecond here.
            end = sim.now_us + max(0, round(timeout * 1_000_000))
        while True:
            nxt = sim.next_event()
            if nxt is None or (end is not None and nxt > end):
                if end is None:
                    raise RuntimeError(
                        "the simulation has no event left and asyncio waits for ever"
                    )
                sim.run(until=end)
                return []
            sim.run(max_events=1)
            # Stop as soon as asyncio has work: a ready callback, or a timer due before the
            # simulator's next event (both are the base loop's own queues).
            if loop._ready:  # type: ignore[attr-defined]
                return []
            scheduled = loop._scheduled  # type: ignore[attr-defined]
            if scheduled and (end is None or scheduled[0].when() < end / 1_000_000):
                end = round(scheduled[0].when() * 1_000_000)

    def get_map(self) -> Any:
        return self._map

    def close(self) -> None:
        self._map.clear()


def _fd(fileobj: Any) -> int:
    return fileobj if isinstance(fileobj, int) else fileobj.fileno()


class VirtualTimeEventLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose clock is ``sim``'s (seconds as a float, microsecond steps)."""

    def __init__(self, sim: Simulator) -> None:
        selector = _SimSelector(sim)
        super().__init__(selector)
        selector.loop = self
        self.sim = sim
        self._clock_resolution = 1e-6

    def time(self) -> float:
        """Return the simulated time in seconds."""
        return self.sim.now_us / 1_000_000
