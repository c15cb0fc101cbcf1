"""Run ``smoltcp-benchmark`` from two installations side by side, in one namespace, in one run.

    python3 bench/compare_benchmark.py --before /path/to/old/.venv --after .venv [--time 5]

Creates a network namespace of its own (``smoltcp-cmp-<random>``) holding tap0 with the
kernel's 192.168.69.100/24 and fdaa::100/64, runs each row's command ``--runs`` times (3) with
each installation, alternating them so that both see the same load, and prints the medians:
the figure (Gbit/s, transactions/s or connections/s) and, per CPU second of the benchmark's
whole process (its ``resource`` usage minus that of a run which only starts up and moves one
octet), the same figure, which the other jobs of a shared machine distort less. Each run of
the connect row has a namespace of its own (the kernel's TIME-WAIT connections of one run
would slow the next one's connects). Rows an installation does not know (its parser refuses
the options) print as "-". Deletes the namespaces at the end. Needs root and iproute2.
Prints figures; asserts nothing.

Install both the same way (``pip install`` of each package, not editable): the rr and connect
rows run their kernel peer in a process of its own, whose start-up (imports) the subtracted
start-up run does not include, and an editable install imports more slowly.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import statistics
import subprocess
import sys
from pathlib import Path

# (label, MTU, arguments after IFACE); {offload} is --offload for an installation where it is
# not the default, nothing otherwise; {plain} is --no-offload where that exists.
ROWS = [
    ("reader, MTU 1500, offload", 1500, ["reader", "{offload}"]),
    ("writer, MTU 1500, offload", 1500, ["writer", "{offload}"]),
    ("reader, MTU 1500, no offload", 1500, ["reader", "{plain}"]),
    ("writer, MTU 1500, no offload", 1500, ["writer", "{plain}"]),
    ("reader, MTU 65521, no offload", 65521, ["reader", "{plain}"]),
    ("writer, MTU 65521, no offload", 65521, ["writer", "{plain}"]),
    ("reader, IPv6, MTU 1500", 1500, ["reader", "--ipv6"]),
    ("writer, IPv6, MTU 1500", 1500, ["writer", "--ipv6"]),
    ("rr, 1 octet", 1500, ["rr"]),
    ("connect, 1 octet", 1500, ["connect"]),
]


def ip(*argv: str) -> None:
    subprocess.run(["ip", *argv], check=True, capture_output=True, timeout=30)


def new_namespace() -> str:
    """Create a namespace with tap0 holding the kernel's addresses; return its name."""
    ns = f"smoltcp-cmp-{secrets.token_hex(4)}"
    ip("netns", "add", ns)
    try:
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "tuntap", "add", "name", "tap0", "mode", "tap")
        ip("-n", ns, "link", "set", "tap0", "up")
        ip("-n", ns, "addr", "add", "192.168.69.100/24", "dev", "tap0")
        ip("-n", ns, "-6", "addr", "add", "fdaa::100/64", "dev", "tap0", "nodad")
    except BaseException:
        del_namespace(ns)
        raise
    return ns


def del_namespace(ns: str) -> None:
    subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def run_fresh(inst: Installation, argv: list[str], mtu: int) -> tuple[float, float] | None:
    """`run_once` in a namespace of its own, made for this run and deleted after it."""
    ns = new_namespace()
    try:
        ip("-n", ns, "link", "set", "tap0", "mtu", str(mtu))
        return run_once(ns, inst, argv)
    finally:
        del_namespace(ns)


class Installation:
    """One virtual environment's smoltcp-benchmark, and what its parser knows."""

    def __init__(self, name: str, venv: Path) -> None:
        self.name = name
        self.exe = str(venv / "bin" / "smoltcp-benchmark")
        help_text = subprocess.run(
            [self.exe, "--help"], capture_output=True, text=True, timeout=60
        ).stdout
        self.new = "--no-offload" in help_text
        self.knows = help_text

    def argv(self, args: list[str]) -> list[str] | None:
        out = []
        for a in args:
            if a == "{offload}":
                if not self.new:
                    out.append("--offload")
            elif a == "{plain}":
                if self.new:
                    out.append("--no-offload")
            elif (a.startswith("--") and a not in self.knows) or (
                a in ("rr", "connect") and "{reader,writer}" in self.knows
            ):
                return None  # an option or a mode this installation does not have
            else:
                out.append(a)
        return out


def run_once(ns: str, inst: Installation, argv: list[str]) -> tuple[float, float] | None:
    """Run one benchmark; return (figure, CPU seconds of its process) or None if it failed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        ["ip", "netns", "exec", ns, inst.exe, "tap0", *argv],
        capture_output=True,
        text=True,
        timeout=600,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  {inst.name} {' '.join(argv)}: failed: {tail}", file=sys.stderr)
        return None
    first = done.stdout.splitlines()[0].split()
    return float(first[1]), cpu


def kernel_rows(ns: str, inst: Installation, runs: int, seconds: float) -> None:
    """Print the medians of ``MODE --repeat runs --kernel`` for each mode (the new one)."""
    ip("-n", ns, "link", "set", "tap0", "mtu", "1500")
    print(
        f"\n{'mode (medians; after)':32} {'this stack':>14} {'per CPU s':>10} "
        f"{'kernel (veth)':>14} {'per CPU s':>10} {'ratio':>6}"
    )
    for mode in ("reader", "writer", "rr", "connect"):
        argv = [inst.exe, "tap0", mode, "--repeat", str(runs), "--kernel", "--time", str(seconds)]
        done = subprocess.run(
            ["ip", "netns", "exec", ns, *argv],
            capture_output=True,
            text=True,
            timeout=1200,
        )
        median = [
            line.split()
            for line in done.stdout.splitlines()
            if line.split()[:1] == ["median" if runs > 1 else "1"]
        ]
        if done.returncode or not median:
            tail = (done.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{mode:32} failed: {tail}")
            continue
        _, value, unit, cpu, kvalue, _, kcpu, ratio = median[-1]
        print(
            f"{mode + ' (' + unit + ')':32} {value:>14} {cpu:>10} {kvalue:>14} {kcpu:>10} "
            f"{ratio:>6}",
            flush=True,
        )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", type=Path, required=True, help="the old installation's venv")
    p.add_argument("--after", type=Path, required=True, help="the new installation's venv")
    p.add_argument("--time", type=float, default=5.0, help="seconds per run (default 5)")
    p.add_argument("--runs", type=int, default=3, help="runs per row and installation")
    p.add_argument("--rows", default="", help="only rows whose label contains this text")
    p.add_argument(
        "--kernel",
        action="store_true",
        help="then, with the new installation only, each mode with --repeat RUNS --kernel "
        "(the kernel-to-kernel reference over a veth pair) at MTU 1500",
    )
    args = p.parse_args()
    insts = [Installation("before", args.before), Installation("after", args.after)]
    ns = new_namespace()
    try:
        print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
        # The CPU a run spends starting (imports, numba's cache) and ending, to subtract.
        startup = {}
        for inst in insts:
            argv = inst.argv(["writer", "{plain}"]) or []
            runs = [run_once(ns, inst, [*argv, "--size", "1"]) for _ in range(3)]
            startup[inst.name] = statistics.median(r[1] for r in runs if r is not None)
        print(
            "start-up CPU s: "
            + ", ".join(f"{k} {v:.2f}" for k, v in startup.items())
            + f" (subtracted); {args.runs} runs each, medians, --time {args.time:g}",
            flush=True,
        )
        head = f"{'row':32} {'before':>12} {'after':>12} {'ratio':>6}   {'per CPU s before':>16}"
        print(head + f" {'after':>10}")
        for label, mtu, row in ROWS:
            if args.rows not in label:
                continue
            ip("-n", ns, "link", "set", "tap0", "mtu", str(mtu))
            results: dict[str, list[tuple[float, float]]] = {i.name: [] for i in insts}
            argvs = {i.name: i.argv(row) for i in insts}
            for _ in range(args.runs):
                for inst in insts:
                    argv = argvs[inst.name]
                    if argv is None:
                        continue
                    run_argv = [*argv, "--time", str(args.time)]
                    if label.startswith("connect"):
                        # Each run leaves thousands of the kernel's connections in TIME-WAIT
                        # to the same port for a minute, which the next run's connects then
                        # search past for a free source port (two runs later, a tenth of the
                        # rate): a clean kernel for each.
                        r = run_fresh(inst, run_argv, mtu)
                    else:
                        r = run_once(ns, inst, run_argv)
                    if r is not None:
                        results[inst.name].append(r)
            cells = []
            per_cpu = []
            for inst in insts:
                rs = results[inst.name]
                if not rs:
                    cells.append(None)
                    per_cpu.append(None)
                    continue
                cells.append(statistics.median(r[0] for r in rs))
                # figure * time = amount; amount per CPU second of the run proper.
                per_cpu.append(
                    statistics.median(
                        r[0] * args.time / max(r[1] - startup[inst.name], 1e-3) for r in rs
                    )
                )
            ratio = f"{cells[1] / cells[0]:6.2f}" if cells[0] and cells[1] else f"{'-':>6}"
            text = [f"{c:12.3f}" if c is not None else f"{'-':>12}" for c in cells]
            cpu_text = [f"{c:10.3f}" if c is not None else f"{'-':>10}" for c in per_cpu]
            print(f"{label:32} {text[0]} {text[1]} {ratio}   {cpu_text[0]:>16} {cpu_text[1]}")
            sys.stdout.flush()
        if args.kernel:
            kernel_rows(ns, insts[1], args.runs, args.time)
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
    finally:
        del_namespace(ns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
