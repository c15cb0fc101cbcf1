"""The stack's receive path per super-segment: the CPU a 64 KiB TCP segment costs to take in.

    python3 bench/rx_path_bench.py [--size MIB] [--repeat N] [--profile] [--ipv6 | --both]

Two stacks in memory over a link of IP MTU 65521 (the frames a TAP with offloads hands the
stack when the kernel sends in bulk: up to 64 KiB each), one sending and one receiving. The
figure is the receiving interface's ``poll`` CPU time per frame received (parse, checksum,
GRO, TCP, the copy into the ring buffer, the ACK), the median of ``--repeat`` runs; then the
same at MTU 1500 for comparison. ``--ipv6`` carries the connection over IPv6 (fdaa::1 to
fdaa::2) instead of IPv4; ``--both`` alternates IPv4 and IPv6 runs and prints the IPv6 cost as
a ratio of the IPv4 one. Prints figures; asserts nothing.
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


def run(size_mb: int, mtu: int, profile: bool, v6: bool = False) -> dict:
    from tcp_link import Link
    from tcp_sim import Bulk, Host, Sim, connect_pair, make_pair, payload

    from smoltcp.stack.time import Duration, Instant

    link = Link(seed=1, mtu=mtu)
    if v6:
        now = Instant.ZERO
        a = Host(link.a, "02-00-00-00-00-01", "fdaa::1/64", 1, now)
        b = Host(link.b, "02-00-00-00-00-02", "fdaa::2/64", 2, now)
        sim = Sim(link, [a, b], now=now)
    else:
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
    p.add_argument("--mtu", type=int, default=None, help="only this link MTU (65535 or 1514)")
    family = p.add_mutually_exclusive_group()
    family.add_argument("--ipv6", action="store_true", help="over IPv6 instead of IPv4")
    family.add_argument("--both", action="store_true", help="IPv4 and IPv6, alternating")
    args = p.parse_args()
    from smoltcp.stack import kernels

    kernels.build()
    mtus = (args.mtu,) if args.mtu else (65535, 1514)
    if args.profile:
        run(args.size, mtus[0], True, args.ipv6)
        return 0
    families = (False, True) if args.both else (args.ipv6,)
    for mtu in mtus:
        # Alternate the families run by run, so that a change in the machine's load falls
        # on both alike.
        runs: dict[bool, list[dict]] = {v6: [] for v6 in families}
        for _ in range(args.repeat):
            for v6 in families:
                runs[v6].append(run(args.size, mtu, False, v6))
        gbps_of = {}
        for v6 in families:
            us = statistics.median(r["us"] for r in runs[v6])
            gbps_of[v6] = gbps = statistics.median(r["gbps"] for r in runs[v6])
            print(
                f"link MTU {mtu:5d} {'IPv6' if v6 else 'IPv4'}: receive path {us:7.2f} us CPU "
                f"per frame ({runs[v6][0]['frames']} frames), {gbps:.2f} Gbit per CPU s of "
                "the receiving poll"
            )
        if args.both:
            ratio = gbps_of[True] / gbps_of[False]
            print(f"link MTU {mtu:5d}: IPv6/IPv4 throughput per CPU s {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
