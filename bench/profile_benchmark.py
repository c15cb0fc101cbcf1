"""Profile the stack's thread of one ``smoltcp-benchmark`` run (prints the hottest functions).

    ip netns exec NS python3 bench/profile_benchmark.py [--top N] -- tap0 writer --time 5

The benchmark runs in this process under cProfile with the *thread's CPU time* as the clock
(``time.thread_time``), so that the figures leave out the time the stack's thread waited for
the CPU on a shared machine, and the kernel peer's thread (another thread) is not profiled.
Prints the benchmark's own output, then the functions by own CPU time and the CPU time per
received or sent TCP segment of the most expensive ones.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time

from smoltcp.examples import benchmark


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--top", type=int, default=30, help="functions to list (default 30)")
    p.add_argument("--out", default=None, help="also write the raw profile to this file")
    p.add_argument("argv", nargs=argparse.REMAINDER, help="the benchmark's command line")
    args = p.parse_args()
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    prof = cProfile.Profile(time.thread_time)
    prof.enable()
    status = benchmark.main(argv)
    prof.disable()
    if args.out:
        prof.dump_stats(args.out)
    stats = pstats.Stats(prof, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(args.top)
    return status


if __name__ == "__main__":
    sys.exit(main())
