"""`runtime.poll_loop`: when it asks the stack how long to sleep, when it polls at once."""

from __future__ import annotations

from typing import Any

from smoltcp.examples.runtime import Clock, poll_loop
from smoltcp.stack.time import Duration, Instant


class _Iface:
    """Counts the loop's calls; the stack always has a timer 5 ms away."""

    def __init__(self) -> None:
        self.polls = 0
        self.delays = 0

    def poll(self, now: Instant, device: Any, sockets: Any) -> bool:
        self.polls += 1
        return False

    def poll_delay(self, now: Instant, sockets: Any) -> Duration:
        self.delays += 1
        return Duration.from_millis(5)


def _run(again: Any, rounds: int) -> tuple[_Iface, list[Duration | None]]:
    iface = _Iface()
    waits: list[Duration | None] = []
    left = [rounds]

    def step(now: Instant) -> bool:
        left[0] -= 1
        return left[0] > 0

    poll_loop(
        iface,
        object(),
        object(),
        step,
        clock=Clock(),
        wait=lambda devices, timeout: waits.append(timeout),
        again=again,
    )
    return iface, waits


def test_without_again_each_round_asks_the_stack_and_sleeps() -> None:
    iface, waits = _run(None, 4)
    assert iface.polls == 4 and iface.delays == 3
    assert waits == [Duration.from_millis(5)] * 3


def test_again_starts_the_next_round_at_once_without_asking_the_stack() -> None:
    answers = iter([True, False, True])
    iface, waits = _run(lambda: next(answers), 4)
    # Rounds 1 and 3 queued something: no poll_delay, no sleep; round 2 slept as usual.
    assert iface.polls == 4 and iface.delays == 1
    assert waits == [Duration.from_millis(5)]
