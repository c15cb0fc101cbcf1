"""The runtime's clock hook: a fake clock (and a loop on the same fake time) drives the stack's
timers deterministically, without the wall clock."""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from smoltcp.phy import Loopback
from smoltcp.phy.aio import Clock, Runtime
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.time import Instant
from smoltcp.wire import EthernetAddress, IpCidr

NOBODY = "192.168.69.77"  # in the subnet, never answers ARP


class FakeTime:
    """Fake microseconds, read by the clock and by the loop; only the loop advances them."""

    def __init__(self, start_us: int = 5_000_000) -> None:
        self.us = start_us

    def clock(self) -> Instant:
        return Instant(self.us)


class _Selector(selectors.SelectSelector):
    """Where a loop would wait ``timeout`` seconds, move the fake time on by that much."""

    def __init__(self, time: FakeTime) -> None:
        super().__init__()
        self.fake = time

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if not ready:
            if timeout is None:
                raise RuntimeError("nothing scheduled: the test would wait for ever")
            if timeout > 0:
                self.fake.us += max(1, round(timeout * 1_000_000))
        return ready


class FakeTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose ``time()`` is ``time``'s, in seconds."""

    def __init__(self, time: FakeTime) -> None:
        self.fake = time
        super().__init__(_Selector(time))
        self._clock_resolution = 1e-6

    def time(self) -> float:
        return self.fake.us / 1_000_000


def run_fake(body: Callable[[FakeTime], Awaitable[Any]]) -> Any:
    fake = FakeTime()
    loop = FakeTimeLoop(fake)
    try:
        return loop.run_until_complete(body(fake))
    finally:
        loop.close()


class StubIface:
    """An interface that records the instants it is polled at and asks for fixed deadlines."""

    def __init__(self, deadlines: list[int]) -> None:
        self.deadlines = deadlines
        self.polled: list[int] = []
        self.context = None

    def poll(self, now: Instant, device: Any, sockets: Any) -> bool:
        self.polled.append(now.micros)
        return False

    def poll_at(self, now: Instant, sockets: Any) -> Instant | None:
        for at in self.deadlines:
            if at > now.micros:
                return Instant(at)
        return None


def test_the_runtime_polls_at_the_stacks_deadlines_on_the_fake_clock() -> None:
    async def body(fake: FakeTime) -> list[int]:
        iface = StubIface([5_250_000, 5_400_000, 7_000_000])
        rt = Runtime(iface, Loopback(), clock=fake.clock)
        async with rt:
            assert rt.now() == Instant(5_000_000)
            await asyncio.sleep(3.0)
        return iface.polled

    polled = run_fake(body)
    # The first poll at start, then exactly at each deadline the stack asked for; the loop's
    # own timer for them was armed in loop time from the clock's distance to the deadline.
    assert polled[:4] == [5_000_000, 5_250_000, 5_400_000, 7_000_000]
    assert all(t <= 8_000_000 for t in polled)


def _iface() -> tuple[Interface, Loopback]:
    device = Loopback()
    config = Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01"), random_seed=7)
    iface = Interface(config, device, Instant(0))
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("192.168.69.1/24")))
    return iface, device


def _unanswered_connect() -> tuple[list[int], float]:
    """Connect to an address that never answers ARP, for 4 fake seconds; return the instants
    the stack was polled at and the loop time at the end."""

    async def body(fake: FakeTime) -> tuple[list[int], float]:
        iface, device = _iface()
        polled: list[int] = []
        real_poll = iface.poll

        def poll(now: Instant, dev: Any, sockets: Any) -> bool:
            polled.append(now.micros)
            return real_poll(now, dev, sockets)

        iface.poll = poll  # type: ignore[method-assign]
        async with Runtime(iface, device, clock=fake.clock) as rt:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(rt.open_connection(NOBODY, 80), 4.0)
        return polled, asyncio.get_running_loop().time()

    result: tuple[list[int], float] = run_fake(body)
    return result


def test_a_real_stack_on_a_fake_clock_runs_the_same_every_time() -> None:
    first, end = _unanswered_connect()
    second, _ = _unanswered_connect()
    assert first == second
    # The stack saw the fake clock only (it starts at 5 s), and its timers (ARP retries)
    # woke the runtime between the start and the 4 s timeout, at fake instants.
    assert first[0] == 5_000_000 and all(5_000_000 <= t <= 9_100_000 for t in first)
    assert len([t for t in first if t > 5_000_000]) >= 2
    assert end == pytest.approx(9.0, abs=0.2)


def test_clock_must_be_callable() -> None:
    iface, device = _iface()
    with pytest.raises(TypeError, match="clock"):
        Runtime(iface, device, clock=5)  # type: ignore[arg-type]
    clock: Clock = lambda: Instant(0)  # noqa: E731
    assert Runtime(iface, device, clock=clock).now() == Instant(0)


def test_without_a_clock_now_needs_a_started_runtime() -> None:
    iface, device = _iface()
    with pytest.raises(RuntimeError, match="not started"):
        Runtime(iface, device).now()
