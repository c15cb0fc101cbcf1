"""asyncio on the simulator's clock: coroutines sleep in virtual time, between the events."""

from __future__ import annotations

import asyncio

import pytest

from smoltcp.phy.sim import Bulk, LinkSpec
from smoltcp.phy.sim.aio_loop import VirtualTimeEventLoop
from smoltcp.phy.sim.network import Network


def _run(loop: VirtualTimeEventLoop, coro: object) -> object:
    try:
        return loop.run_until_complete(coro)  # type: ignore[arg-type]
    finally:
        loop.close()


def test_sleep_takes_virtual_time_interleaved_with_simulator_timers() -> None:
    net = Network(1)
    sim = net.sim
    order: list[tuple[str, int]] = []
    sim.call_at(1_500_000, lambda: order.append(("sim", sim.now_us)))
    sim.call_at(4_000_000, lambda: order.append(("sim", sim.now_us)))

    async def main() -> float:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(1)
        order.append(("coro", sim.now_us))
        await asyncio.sleep(2)
        order.append(("coro", sim.now_us))
        return loop.time()

    loop = VirtualTimeEventLoop(sim)
    assert _run(loop, main()) == pytest.approx(3.0)
    assert order == [("coro", 1_000_000), ("sim", 1_500_000), ("coro", 3_000_000)]
    assert sim.now_us == 3_000_000


def test_a_coroutine_watches_a_transfer_in_virtual_time() -> None:
    net = Network(1)
    a = net.add_host("a", "10.0.0.1/24")
    b = net.add_host("b", "10.0.0.2/24")
    net.add_link("l", "a", "b", LinkSpec(rate_bps=10_000_000, delay_us=10_000))
    flow = net.add_flow(Bulk("f", a, b, 5001, size=500_000))

    async def wait_done() -> list[int]:
        seen = []
        while flow.stats.octets < 500_000:
            seen.append(flow.stats.octets)
            await asyncio.sleep(0.1)
        return seen

    seen = _run(VirtualTimeEventLoop(net.sim), wait_done())
    assert flow.stats.octets == 500_000
    assert seen == sorted(seen) and seen[0] == 0
    # 500 kB at 10 Mbit/s takes at least 0.4 s; the coroutine looked every 0.1 s.
    assert 5 <= len(seen) <= 20
    assert net.sim.now_us % 100_000 == 0


def test_a_future_resolved_by_a_simulator_event() -> None:
    net = Network(1)
    loop = VirtualTimeEventLoop(net.sim)

    async def main() -> tuple[str, float]:
        fut = loop.create_future()
        net.sim.call_at(2_500_000, fut.set_result, "done")
        return await fut, loop.time()

    assert _run(loop, main()) == ("done", 2.5)


def test_waiting_for_ever_with_nothing_scheduled_is_an_error() -> None:
    net = Network(1)
    loop = VirtualTimeEventLoop(net.sim)

    async def main() -> None:
        await loop.create_future()

    with pytest.raises(RuntimeError, match="no event left"):
        _run(loop, main())
