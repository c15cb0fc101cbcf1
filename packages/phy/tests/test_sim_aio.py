"""asyncio on the simulator's clock: coroutines sleep in virtual time, between the events."""

from __future__ import annotations

import asyncio
from typing import Any

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


# -- the asyncio streams of smoltcp.phy.aio on simulated hosts --------------------------------


async def echo_app(server_rt: Any, client_rt: Any, server_addr: str, rounds: int) -> list[bytes]:
    """An echo server and a client that sends ``rounds`` lines: the same code for any runtime."""
    from smoltcp.phy.aio import open_connection, start_server

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
        writer.close()

    server = await start_server(server_rt, echo, server_addr, 7)
    reader, writer = await open_connection(client_rt, server_addr, 7)
    got = []
    for i in range(rounds):
        writer.write(b"line %d %s\n" % (i, b"x" * (i * 300)))
        await writer.drain()
        got.append(await reader.readline())
    writer.close()
    assert await reader.read() == b""
    server.close()
    return got


def _echo_in_simulator(seed: int) -> tuple[list[bytes], int, int]:
    from smoltcp.phy.sim.aio_host import SimRuntime

    net = Network(seed)
    a = net.add_host("a", "10.0.0.1/24")
    b = net.add_host("b", "10.0.0.2/24")
    net.add_link("l", "a", "b", LinkSpec(rate_bps=1_000_000, delay_us=20_000))

    async def main() -> tuple[list[bytes], int]:
        async with SimRuntime(b) as server_rt, SimRuntime(a) as client_rt:
            got = await asyncio.wait_for(echo_app(server_rt, client_rt, "10.0.0.2", 20), 60)
            return got, net.sim.now_us

    got, done_us = _run(VirtualTimeEventLoop(net.sim), main())  # type: ignore[misc]
    return got, done_us, net.links["l"].ports[0].counters.as_dict()["tx_frames"]


def test_an_asyncio_echo_pair_runs_in_virtual_time_deterministically() -> None:
    got, done_us, frames = _echo_in_simulator(1)
    assert got == [b"LINE %d %s\n" % (i, b"X" * (i * 300)) for i in range(20)]
    # Twenty round trips of 40 ms at least, plus serialisation at 1 Mbit/s: virtual time.
    assert done_us >= 20 * 40_000
    assert _echo_in_simulator(1) == (got, done_us, frames)


def test_the_same_echo_coroutine_runs_on_a_real_loop() -> None:
    from smoltcp.phy import Loopback
    from smoltcp.phy.aio import Runtime
    from smoltcp.stack.iface import Config, Interface
    from smoltcp.stack.time import Instant
    from smoltcp.wire import EthernetAddress, IpCidr

    async def main() -> list[bytes]:
        device = Loopback()
        config = Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01"), random_seed=7)
        iface = Interface(config, device, Instant(0))
        iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("192.168.69.1/24")))
        async with Runtime(iface, device) as rt:
            return await asyncio.wait_for(echo_app(rt, rt, "192.168.69.1", 5), 30)

    assert asyncio.run(main()) == [b"LINE %d %s\n" % (i, b"X" * (i * 300)) for i in range(5)]


def test_a_sim_runtime_refuses_another_loop() -> None:
    from smoltcp.phy.sim.aio_host import SimRuntime

    net = Network(1)
    a = net.add_host("a", "10.0.0.1/24")

    async def main() -> None:
        async with SimRuntime(a):
            pass

    with pytest.raises(RuntimeError, match="VirtualTimeEventLoop"):
        asyncio.run(main())


def test_a_sim_runtime_runs_on_the_simulators_clock() -> None:
    from smoltcp.phy.sim.aio_host import SimRuntime
    from smoltcp.stack.time import Instant

    net = Network(1)
    a = net.add_host("a", "10.0.0.1/24")
    with pytest.raises(TypeError, match="clock"):
        SimRuntime(a, clock=lambda: Instant(0))
    # Through the runtime's public clock hook: "now" is the simulator's, before and after
    # virtual time has passed.
    rt = SimRuntime(a)
    net.sim.run(until=2_500_000)
    assert rt.now() == Instant(2_500_000)

    async def main() -> Instant:
        async with rt:
            await asyncio.sleep(1.25)
            return rt.now()

    assert _run(VirtualTimeEventLoop(net.sim), main()) == Instant(3_750_000)


def test_closing_an_asyncio_server_leaves_the_hosts_other_sockets_alone() -> None:
    # Workload servers (the bulk flows' sinks) share host b's socket set with the runtime:
    # closing the runtime's server reaps its own unaccepted children, nothing else (it took
    # every socket it did not hold, the sinks' listeners and connections among them).
    from smoltcp.phy.sim.aio_host import SimRuntime

    net = Network(3)
    a = net.add_host("a", "10.0.0.1/24")
    b = net.add_host("b", "10.0.0.2/24")
    net.add_link("l", "a", "b", LinkSpec(rate_bps=10_000_000, delay_us=5_000))
    now = net.add_flow(Bulk("now", a, b, 5001, size=300_000))
    later = net.add_flow(Bulk("later", a, b, 5002, size=100_000, start_us=1_000_000))
    before = {handle for handle, _ in b.sockets}

    async def main() -> list[bytes]:
        async with SimRuntime(b) as server_rt, SimRuntime(a) as client_rt:
            got = await echo_app(server_rt, client_rt, "10.0.0.2", 3)
            await asyncio.sleep(0.5)
            assert before <= {handle for handle, _ in b.sockets}
            while now.stats.octets < 300_000 or later.stats.octets < 100_000:
                await asyncio.sleep(0.05)
            return got

    got = _run(VirtualTimeEventLoop(net.sim), asyncio.wait_for(main(), 30))
    assert len(got) == 3
