"""The stack's receive path per super-segment: the CPU a 64 KiB TCP segment costs to take in.

    python3 bench/rx_path_bench.py [--size MIB] [--repeat N] [--profile]

Two stacks in memory over a link of IP MTU 65521 (the frames a TAP with offloads hands the
stack when the kernel sends in bulk: up to 64 KiB each), one sending and one receiving. The
figure is the receiving interface's ``poll`` CPU time per frame received (parse, checksum,
GRO, TCP, the copy into the ring buffer, the ACK), the median of ``--repeat`` runs; then the
same at MTU 1500 for comparison. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "packages" / "stack" / "tests"
sys.path.insert(0, str(TESTS))

MB = 1 << 20


def run(size_mb: int, mtu: int, profile: bool) -> dict:
    from tcp_link import Link
    from tcp_sim import Bulk, connect_pair, make_pair, payload

    from smoltcp.stack.time import Duration, Instant

    link = Link(seed=1, mtu=mtu)
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b, rx_size=4 * MB, tx_size=4 * MB)
    data = payload(size_mb * MB, 7)
    up = Bulk(client, data)
    down = Bulk(server, b"")

    def app(now: Instant) -> bool:
        x = up.step()
        y = down.step()
        return x and y

    sim.measure_cpu = True
    frames_in0 = b.iface.counters.received
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile(time.thread_time)
        prof.enable()
    sim.run(app, max_time=Duration.from_secs(3600), max_iterations=50_000_000)
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    assert down.received == len(data)
    frames = b.iface.counters.received - frames_in0
    return {
        "frames": frames,
        "us": b.cpu / max(frames, 1) * 1e6,
        "gbps": len(data) * 8 / b.cpu / 1e9,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=64, help="MiB per run (default 64)")
    p.add_argument("--repeat", type=int, default=3, help="runs per MTU (default 3)")
    p.add_argument("--profile", action="store_true", help="cProfile one run (thread CPU time)")
    args = p.parse_args()
    from smoltcp.stack import kernels

    kernels.build()
    if args.profile:
        run(args.size, 65535, True)
        return 0
    for mtu in (65535, 1514):
        runs = [run(args.size, mtu, False) for _ in range(args.repeat)]
        us = statistics.median(r["us"] for r in runs)
        gbps = statistics.median(r["gbps"] for r in runs)
        print(
            f"link MTU {mtu:5d}: receive path {us:7.2f} us CPU per frame "
            f"({runs[0]['frames']} frames), {gbps:.2f} Gbit per CPU s of the receiving poll"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
