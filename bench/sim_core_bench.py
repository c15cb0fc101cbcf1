"""Print what the network simulator itself costs per frame, without any stack.

Run: ``python bench/sim_core_bench.py`` (add ``--quick`` for shorter runs). Two nodes that
only offer frames at a fixed pace and count what they receive stand in for hosts, so that
every CPU second measured is spent in the runner, the links, their queues and the switch:

- "switched": a frame of 1514 octets every 1.1 ms from ``a`` over a 1 Gbit/s access link,
  a learning switch and a 10 Mbit/s bottleneck (20 ms, a drop-tail queue of 35 frames) to
  ``b``, and a frame of 66 octets every 2.2 ms back (the ACKs of a bulk flow);
- "impaired": the same with 1 % Bernoulli loss and 1 ms of jitter on the bottleneck (its
  frames go through the `Netem` shared with the fault injector);
- "codel": the same with a CoDel queue on the bottleneck.

Each row prints CPU time per frame offered and per event (CPU time of this process; the
machine may be shared, so wall time would mislead), the events and what was delivered.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time

from smoltcp.phy.impair import Bernoulli
from smoltcp.phy.sim import Link, LinkSpec, Port, QueueSpec, Simulator, Switch


class Pacer:
    """A node that offers a copy of ``frame`` every ``gap_us`` and only counts arrivals."""

    takes_trains = False
    coalesces = False

    def __init__(self, sim: Simulator, name: str, frame: bytes, gap_us: int) -> None:
        self.sim = sim
        self.name = name
        self.frame = frame
        self.gap_us = gap_us
        self.port: Port | None = None
        self.offered = 0
        self.received = 0

    def attach(self, port: Port) -> None:
        self.port = port

    def start(self) -> None:
        self.sim._schedule(0, self._tick)

    def _tick(self, now: int) -> None:
        assert self.port is not None
        self.offered += 1
        self.port.send(now, bytearray(self.frame))
        self.sim._schedule(now + self.gap_us, self._tick)

    def receive(self, port: Port, frame: bytearray, now: int) -> None:
        self.received += 1

    def on_room(self, port: Port, now: int) -> None:
        """Nothing to resume: a pacer offers frames whether or not there is room."""


def _frame(dst: int, src: int, length: int) -> bytes:
    # Ethernet header (unicast addresses 02:00:00:00:00:xx, IPv4) and a zero payload.
    return bytes([2, 0, 0, 0, 0, dst, 2, 0, 0, 0, 0, src, 8, 0]) + bytes(length - 14)


def run(name: str, bottleneck: LinkSpec, duration_us: int) -> None:
    sim = Simulator(1)
    a = Pacer(sim, "a", _frame(2, 1, 1514), 1_100)
    b = Pacer(sim, "b", _frame(1, 2, 66), 2_200)
    sw = Switch(sim, "sw")
    Link(sim, "access", a, sw, LinkSpec(rate_bps=1_000_000_000, queue=QueueSpec(limit=10_000)))
    Link(sim, "bottleneck", sw, b, bottleneck)
    a.start()
    b.start()
    gc.collect()
    t0 = time.process_time()
    sim.run(duration_us)
    cpu = time.process_time() - t0
    offered = a.offered + b.offered
    print(
        f"{name:<10} {duration_us / 1e6:5.1f} sim s in {cpu:6.2f} CPU s: "
        f"{cpu / offered * 1e6:6.2f} µs per frame offered, {cpu / sim.events * 1e6:5.2f} µs "
        f"per event; {sim.events} events, {offered} frames offered, "
        f"{a.received + b.received} delivered"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    args = parser.parse_args(argv)
    duration_us = 20_000_000 if args.quick else 200_000_000
    print(f"Python {platform.python_version()} on {platform.machine()}; CPU time of this process")
    plain = LinkSpec(rate_bps=10_000_000, delay_us=20_000, queue=QueueSpec(limit=35))
    run("switched", plain, duration_us)
    impaired = LinkSpec(
        rate_bps=10_000_000,
        delay_us=20_000,
        queue=QueueSpec(limit=35),
        loss=Bernoulli(1.0),
        jitter_us=1_000,
        keep_order=True,
    )
    run("impaired", impaired, duration_us)
    codel = LinkSpec(rate_bps=10_000_000, delay_us=20_000, queue=QueueSpec(kind="codel", limit=35))
    run("codel", codel, duration_us)
    return 0


if __name__ == "__main__":
    sys.exit(main())
