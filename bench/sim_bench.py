"""Print how fast the network simulator runs, and what it spends its time on.

Run: ``python bench/sim_bench.py`` (add ``--quick`` for shorter runs). It prints, measured in
CPU time of this process (the machine may be shared, so wall time would mislead):

- a 10 Mbit/s flow (40 ms round trip) for 60 simulated seconds: simulated seconds per CPU
  second and events per second, and how often the hosts were polled per frame they received;
- a 1 Gbit/s flow (1 ms round trip);
- both again with both hosts offloaded ("offload" rows: TSO/GRO, super-segments cross the
  network as trains, see `smoltcp.phy.sim.train`);
- the 200-client flash crowd shipped with smoltcp-sim (every client one request);
- the memory of an idle host (an Interface, its sockets, its link), from tracemalloc;
- a profile of the 10 Mbit/s run: the functions with the most own time per event.

Nothing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import platform
import pstats
import sys
import time
import tracemalloc
from pathlib import Path

from smoltcp.phy.sim import Bulk, LinkSpec, QueueSpec
from smoltcp.phy.sim.network import Network
from smoltcp.phy.sim.scenario import load
from smoltcp.stack import kernels

ROOT = Path(__file__).resolve().parents[1]
FLASH_CROWD = ROOT / "packages" / "examples" / "scenarios" / "flash_crowd.toml"


def one_flow(rate_bps: int, one_way_us: int, queue: int, offload: bool = False) -> Network:
    """Return a network with one bulk flow through a bottleneck of ``rate_bps``; with
    ``offload`` both hosts offload segmentation and receive coalescing."""
    net = Network(1)
    net.add_switch("sw")
    a = net.add_host("a", "10.0.0.1/24", offload=offload)
    b = net.add_host("b", "10.0.0.2/24", offload=offload)
    fast = LinkSpec(rate_bps=max(rate_bps * 10, 1_000_000_000), queue=QueueSpec(limit=10_000))
    net.add_link("access", "a", "sw", fast)
    spec = LinkSpec(rate_bps=rate_bps, delay_us=one_way_us, queue=QueueSpec(limit=queue))
    net.add_link("bottleneck", "sw", "b", spec)
    net.add_flow(Bulk("f", a, b, 5001, buffer=1 << 23))
    return net


def timed(net: Network, duration_us: int) -> tuple[float, int]:
    """Run ``net`` for ``duration_us``; return (CPU seconds, events)."""
    gc.collect()
    t0 = time.process_time()
    net.run(duration_us)
    return time.process_time() - t0, net.sim.events


def report(name: str, net: Network, duration_us: int) -> None:
    cpu, events = timed(net, duration_us)
    summary = net.summary()
    goodput = sum(f["goodput_bps"] for f in summary["flows"])
    sim_s = duration_us / 1e6
    print(
        f"{name:<38} {sim_s:6.1f} sim s in {cpu:7.2f} CPU s: {sim_s / cpu:7.2f}x real time, "
        f"{events / cpu:8.0f} events/s, {events} events, goodput {goodput / 1e6:8.2f} Mbit/s"
    )
    print(f"{'':<38} {driving(net)}")


def driving(net: Network) -> str:
    """Return how often the hosts were polled, per frame they received."""
    hosts = list(net.hosts.values())
    frames = sum(
        port.counters.delivered
        for link in net.links.values()
        for port in link.ports
        if port.peer is not None and port.peer.node in hosts
    )
    per = max(frames, 1)
    polls = sum(h.polls for h in hosts)
    iface_polls = sum(h.interface_polls for h in hosts)
    return (
        f"{frames} frames to hosts; per frame {polls / per:.2f} host polls, "
        f"{iface_polls / per:.2f} Interface.poll calls"
    )


def idle_host_memory(count: int = 200) -> float:
    """Return the octets each idle host (with its access link) adds, on average."""
    gc.collect()
    tracemalloc.start()
    net = Network(1)
    net.add_switch("sw")
    base = tracemalloc.get_traced_memory()[0]
    for i in range(count):
        net.add_host(f"h{i}", f"10.1.{i // 250}.{i % 250 + 1}/16")
        net.add_link(f"l{i}", f"h{i}", "sw", LinkSpec(rate_bps=1_000_000_000))
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return used / count


def profile(duration_us: int, top: int = 15) -> None:
    net = one_flow(10_000_000, 20_000, 35)
    prof = cProfile.Profile()
    prof.enable()
    net.run(duration_us)
    prof.disable()
    events = net.sim.events
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime")
    print(f"\nprofile of the 10 Mbit/s flow, {events} events; own time per event (µs):")
    table = stats.stats  # type: ignore[attr-defined]
    rows = sorted(table.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for (filename, line, func), (_, ncalls, tottime, cumtime, _) in rows:
        short = "/".join(Path(filename).parts[-3:])
        print(
            f"  {tottime / events * 1e6:7.2f} own {cumtime / events * 1e6:8.2f} cum "
            f"{ncalls:8d} calls  {func} ({short}:{line})"
        )
    # Where an event's time goes: the stack (what a real device's poll runs too), the
    # applications, and what is left, the simulator itself (event queue, links, switch).
    total = sum(tt for (_, _, _), (_, _, tt, _, _) in table.items())

    def cum(path_end: str, names: tuple[str, ...]) -> float:
        return sum(
            ct
            for (f, _, fn), (_, _, _, ct, _) in table.items()
            if f.endswith(path_end) and fn in names
        )

    stack = cum("iface/interface.py", ("poll", "poll_at"))
    apps = cum("sim/apps.py", ("step",))
    print(
        f"  per event {total / events * 1e6:.1f} µs (profiled): stack (Interface.poll, poll_at) "
        f"{stack / total:.0%}, applications {apps / total:.0%}, "
        f"simulator and the rest {1 - (stack + apps) / total:.0%}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    # The steady state, as smoltcp-sim runs: the compiled checksum kernel from the first event
    # (a lazy build in the background would land at a different point of each run).
    jit = kernels.build()
    print(
        f"Python {platform.python_version()} on {platform.machine()}; CPU time of this process; "
        f"checksum kernel {'compiled' if jit else 'pure Python'}"
    )
    report("10 Mbit/s, 40 ms RTT, 1 flow", one_flow(10_000_000, 20_000, 35), int(60e6 * scale))
    report("1 Gbit/s, 1 ms RTT, 1 flow", one_flow(1_000_000_000, 500, 100), int(2e6 * scale))
    report(
        "10 Mbit/s, 40 ms RTT, 1 flow, offload",
        one_flow(10_000_000, 20_000, 35, offload=True),
        int(60e6 * scale),
    )
    report(
        "1 Gbit/s, 1 ms RTT, 1 flow, offload",
        one_flow(1_000_000_000, 500, 100, offload=True),
        int(2e6 * scale),
    )
    crowd = load(FLASH_CROWD)
    net = crowd.build()
    cpu, events = timed(net, crowd.duration_us)
    summary = net.summary()
    done = sum(f["transactions"] for f in summary["flows"])
    failed = sum(f["failures"] for f in summary["flows"])
    print(
        f"{'flash crowd, 200 clients':<38} {crowd.duration_us / 1e6:6.1f} sim s in {cpu:7.2f} "
        f"CPU s: {done} of {len(summary['flows'])} requests done, {failed} failed, "
        f"{events / cpu:8.0f} events/s"
    )
    print(f"{'':<38} {driving(net)}")
    print(f"{'memory per idle host':<38} {idle_host_memory() / 1024:6.1f} KiB (host and its link)")
    profile(int(10e6 * scale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
