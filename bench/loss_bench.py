"""Loss recovery: simulated transfer times with and without RACK's detection (prints figures).

    python3 bench/loss_bench.py [--seeds N] [--size KIB]

Two stacks over the in-memory link of the stack's tests (simulated time, 0.1 ms each way,
MTU 1500, 64 KiB buffers) move ``--size`` KiB one way per seed, at several loss rates and
with reordering alone. For each: the median and mean simulated time, the slowest run, and
the retransmission timeouts, RACK's losses and all retransmissions summed over the seeds. The
"off" rows turn RACK's detection off on both sockets (`TcpSocket.set_rack_enabled(False)`: the
sent list is still kept), so the rest of the recovery (RFC 6675, tail loss probes, RTO) is the
same in both rows of a pair.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "packages" / "stack" / "tests"))

from tcp_link import Faults, Link
from tcp_sim import Bulk, connect_pair, make_pair, payload

from smoltcp.stack.time import Duration, Instant


def run(seed: int, size: int, loss: float, reorder: float, rack: bool) -> tuple[float, Any]:
    link = Link(
        seed=seed,
        latency=Duration.from_micros(100),
        mtu=1514,
        faults=Faults(loss=loss, reorder=reorder),
    )
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b, configure=lambda sock: sock.set_rack_enabled(rack))
    start = sim.now
    up = Bulk(client, payload(size, seed))
    down = Bulk(server, b"")

    def app(now: Instant) -> bool:
        x = up.step()
        y = down.step()
        return x and y

    sim.run(app, max_time=Duration.from_secs(7200), max_iterations=20_000_000)
    return (sim.now - start).micros / 1e6, client.stats


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seeds", type=int, default=40, help="runs per row (default 40)")
    p.add_argument("--size", type=int, default=256, help="KiB per run (default 256)")
    args = p.parse_args(argv)
    print(f"{args.size} KiB one way, {args.seeds} seeds per row, simulated time")
    for loss, reorder in ((0.03, 0.0), (0.1, 0.0), (0.19, 0.0), (0.0, 0.05)):
        for on in (True, False):
            times = []
            rtos = losses = retx = 0
            for seed in range(1, args.seeds + 1):
                seconds, stats = run(seed, args.size << 10, loss, reorder, rack=on)
                times.append(seconds)
                rtos += stats.timeouts
                losses += stats.rack_losses
                retx += stats.retransmissions
            print(
                f"  loss {loss:4.0%} reorder {reorder:3.0%} RACK {'on ' if on else 'off'}: "
                f"median {statistics.median(times):6.2f} s, mean {statistics.mean(times):6.2f} s, "
                f"slowest {max(times):7.2f} s; {rtos} RTOs, {losses} RACK losses, "
                f"{retx} retransmissions"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
