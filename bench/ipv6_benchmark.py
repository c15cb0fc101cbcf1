"""IPv6 against IPv4 through `smoltcp-benchmark`: the cost of IPv6 per CPU second, in one run.

    python3 bench/ipv6_benchmark.py [--time SECS] [--repeat N] [--modes reader,writer]
                                    [--configs 1500,1500-no-offload,65521-no-offload]
                                    [--source NAME=DIR ...]

Creates a private network namespace holding tap0 (the kernel's side: 192.168.69.100/24 and
fdaa::100/64), runs ``smoltcp-benchmark tap0 MODE`` inside it with and without ``--ipv6``,
alternating run by run so that the machine's load falls on both alike, then deletes the
namespace. No traffic leaves it. The configurations are the IP MTU 1500 with offloads (the
default), 1500 frame by frame (``--no-offload``) and 65521 frame by frame (tap0's MTU raised).
The figure compared is the benchmark's own "Gbit per CPU s" (the whole process: the stack and
the kernel's work for it), which a loaded machine distorts less than wall-clock time; the
medians and the IPv6/IPv4 ratio are printed. ``--source NAME=DIR`` adds a variant run from
another checkout's ``packages/*/src`` (e.g. the code before a change), alternated with the
others. Prints figures; asserts nothing. Needs root, iproute2 and /dev/net/tun.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

PACKAGES = ("wire", "stack", "phy", "examples")
CONFIGS = {
    "1500": (1500, ()),
    "1500-no-offload": (1500, ("--no-offload",)),
    "65521-no-offload": (65521, ("--no-offload",)),
}
# A summary row: the run's number, its figure and unit, its figure per CPU second.
_ROW = re.compile(r"^\s*1\s+([0-9.]+) Gbit/s\s+([0-9.]+)\s*$")
_LAUNCH = "import sys; from smoltcp.examples.benchmark import main; sys.exit(main())"


def _ns_ip(ns: str, *args: str) -> None:
    subprocess.run(["ip", "-n", ns, *args], check=True, capture_output=True, timeout=10)


def _set_up(ns: str) -> None:
    subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True, timeout=10)
    _ns_ip(ns, "link", "set", "lo", "up")
    _ns_ip(ns, "tuntap", "add", "name", "tap0", "mode", "tap")
    _ns_ip(ns, "link", "set", "tap0", "up")
    _ns_ip(ns, "addr", "add", "192.168.69.100/24", "dev", "tap0")
    _ns_ip(ns, "-6", "addr", "add", "fdaa::100/64", "dev", "tap0", "nodad")


def _run(
    ns: str, source: Path | None, mode: str, v6: bool, extra: tuple[str, ...], secs: float
) -> float | None:
    """Run the benchmark once; return Gbit per CPU s, or None (printing why) on a failure."""
    env = dict(os.environ)
    if source is not None:
        # Ahead of the editable installs: the namespace package takes these portions first.
        paths = [str(source / "packages" / p / "src") for p in PACKAGES]
        env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    argv = [sys.executable, "-c", _LAUNCH, "tap0", mode, "--time", str(secs), *extra]
    if v6:
        argv.append("--ipv6")
    done = subprocess.run(
        ["ip", "netns", "exec", ns, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=secs * 10 + 60,
    )
    for line in done.stdout.splitlines():
        m = _ROW.match(line)
        if m:
            return float(m.group(2))
    print(f"  (failed: rc {done.returncode}: {done.stderr.strip()[-300:]})")
    return None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--time", type=float, default=3.0, help="seconds per run (default 3)")
    p.add_argument("--repeat", type=int, default=3, help="runs per variant (default 3)")
    p.add_argument("--modes", default="reader,writer", help="benchmark modes (default both)")
    p.add_argument("--configs", default=",".join(CONFIGS), help="MTU configurations")
    p.add_argument(
        "--source", action="append", default=[], help="NAME=DIR: also run another checkout"
    )
    args = p.parse_args()
    if os.geteuid() != 0 or shutil.which("ip") is None or not os.path.exists("/dev/net/tun"):
        print("needs root, iproute2 (ip) and /dev/net/tun", file=sys.stderr)
        return 2
    sources: list[tuple[str, Path | None]] = [("this", None)]
    for item in args.source:
        name, _, where = item.partition("=")
        sources.append((name, Path(where).resolve()))
    ns = f"smoltcp-bench6-{secrets.token_hex(4)}"
    _set_up(ns)
    try:
        for config in args.configs.split(","):
            mtu, extra = CONFIGS[config]
            _ns_ip(ns, "link", "set", "tap0", "mtu", str(mtu))
            for mode in args.modes.split(","):
                figures: dict[tuple[str, bool], list[float]] = {}
                for _ in range(args.repeat):
                    for name, source in sources:
                        for v6 in (False, True):
                            got = _run(ns, source, mode, v6, extra, args.time)
                            if got is not None:
                                figures.setdefault((name, v6), []).append(got)
                for name, _source in sources:
                    v4 = figures.get((name, False))
                    v6s = figures.get((name, True))
                    if not v4 or not v6s:
                        print(f"{config:>16} {mode:6} {name:>8}: no figure")
                        continue
                    a, b = statistics.median(v4), statistics.median(v6s)
                    print(
                        f"{config:>16} {mode:6} {name:>8}: IPv4 {a:6.3f}, IPv6 {b:6.3f} Gbit per "
                        f"CPU s (medians of {len(v4)}, {len(v6s)}); IPv6/IPv4 {b / a:.3f}",
                        flush=True,
                    )
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
