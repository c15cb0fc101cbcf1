"""Soak the stack and print what it did: connections completed, octets verified, memory.

    python3 bench/soak.py                     # two stacks in memory, 60 s of wall time at most
    python3 bench/soak.py --seconds 300 --connections 2000 --loss 0.03 --reorder 0.1
    python3 bench/soak.py --linux             # also smoltcp-server against Linux over TAP

In memory (see packages/stack/tests/soak_pair.py): clients on one stack open connections to a
listener on the other over a link that drops, corrupts, duplicates and reorders frames; each
side sends a random amount, checked with sha256. Memory is Python's traced memory
(tracemalloc) after the first connection and at the end.

Against Linux (see packages/examples/tests/soak_linux.py; root, in a private namespace made
for the run): kernel sockets talk to the server example's line reverser, source and sink
through the fault injector's drops and corruption and its emulator's reordering and
duplication. Memory is the server's resident set.

Figures are printed, never asserted (the tests assert the behaviour).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "packages" / "stack" / "tests"))
sys.path.insert(0, str(HERE.parent / "packages" / "examples" / "tests"))


def _pair(args: argparse.Namespace) -> None:
    from soak_pair import soak_pair
    from tcp_link import Faults

    faults = Faults(
        loss=args.loss, corrupt=args.corrupt, duplicate=args.duplicate, reorder=args.reorder
    )
    r = soak_pair(
        seed=args.seed,
        connections=args.connections,
        concurrency=args.concurrency,
        max_size=args.max_size,
        faults=faults,
        wall_limit=args.seconds,
    )
    print(f"in memory ({faults}, seed {args.seed}):")
    print(f"  connections  {r.completed} completed of {r.started} opened, {len(r.failures)} failed")
    print(f"  verified     {r.octets_verified} octets (sha256), {r.mismatches} mismatches")
    print(
        f"  link         {r.frames} frames: {r.lost} lost, {r.corrupted} corrupted, "
        f"{r.duplicated} duplicated, {r.reordered} reordered"
    )
    print(f"  time         {r.sim_seconds:.1f} s simulated, {r.wall_seconds:.1f} s wall")
    print(
        f"  memory       {r.memory_start / 1024:.0f} KiB after the first connection, "
        f"{r.memory_end / 1024:.0f} KiB at the end, peak {r.memory_peak / 1024:.0f} KiB "
        f"(tracemalloc); {r.sockets_left} socket(s) left"
    )
    for failure in r.failures[:10]:
        print(f"  failure      {failure}")


def _linux(args: argparse.Namespace) -> None:
    from soak_linux import skip_reason, soak_linux

    reason = skip_reason()
    if reason:
        print(f"Linux over TAP: skipped ({reason})")
        return
    f = soak_linux(
        seconds=args.seconds,
        connections=args.connections,
        drop=args.drop_chance,
        corrupt=args.corrupt_chance,
        seed=args.seed,
        reorder=args.reorder_chance,
        duplicate=args.duplicate_chance,
    )
    print(
        f"smoltcp-server vs Linux over TAP ({args.drop_chance} % drops, "
        f"{args.corrupt_chance} % corruption, {args.reorder_chance} % reordered over 2 ms, "
        f"{args.duplicate_chance} % duplicated, each way):"
    )
    print(
        f"  connections  {f['completed']} completed of {f['started']} opened, "
        f"{len(f['failures'])} failed, {f['late_resets']} reset after the last octet"
    )
    print(f"  by service   {json.dumps(f['by_port'], sort_keys=True)}")
    print(f"  verified     {f['octets_verified']} octets (sha256) in {f['seconds']} s")
    print(
        f"  memory       server VmRSS {f['server_rss_kib_start']} KiB at the start, "
        f"{f['server_rss_kib_end']} KiB at the end"
    )
    for line in f["server_report"]:
        if "Ctrl-C" not in line:  # the start line says nothing about the run
            print(f"  server       {line}")
    for failure in f["failures"][:10]:
        print(f"  failure      {failure}")


def main(argv: list[str] | None = None) -> int:
    """Run the soaks and print their figures; return 0."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=60.0, help="wall-time bound of each soak")
    p.add_argument("--connections", type=int, default=500, help="connections to open at most")
    p.add_argument("--concurrency", type=int, default=8, help="in memory: connections at once")
    p.add_argument("--max-size", type=int, default=200_000, help="in memory: octets per side")
    p.add_argument("--loss", type=float, default=0.02)
    p.add_argument("--corrupt", type=float, default=0.02)
    p.add_argument("--duplicate", type=float, default=0.01)
    p.add_argument("--reorder", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--linux", action="store_true", help="also soak the server against Linux")
    p.add_argument("--drop-chance", type=float, default=5.0, help="Linux soak: percent")
    p.add_argument("--corrupt-chance", type=float, default=5.0, help="Linux soak: percent")
    p.add_argument("--reorder-chance", type=float, default=10.0, help="Linux soak: percent")
    p.add_argument("--duplicate-chance", type=float, default=1.0, help="Linux soak: percent")
    p.add_argument("--no-pair", action="store_true", help="skip the in-memory soak")
    args = p.parse_args(argv)
    if not args.no_pair:
        _pair(args)
    if args.linux:
        _linux(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
