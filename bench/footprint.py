"""Print the footprint of smoltcp-server: resident memory at start and time to the first ping.

For each tree given (``--tree NAME=DIR``, a checkout whose ``packages/*/src`` are put on
PYTHONPATH; the default is this checkout as "after") and each cache state (cold: an empty
numba cache directory; warm: the same directory after the cold run), it:

1. creates a private network namespace with ``tap0`` up, the kernel at 192.168.69.100/24 and a
   permanent neighbour entry for the server (so that ARP's one-second retry does not count);
2. starts ``ping -D -i 0.01`` at the server's address, then the server itself;
3. reports the time from the server's start to the first echo reply, its resident memory
   (VmRSS) then and one second later, its peak (VmHWM), and its VmRSS after receiving
   ``--bulk`` MiB from its port 6972 (which loads the checksum kernel where that is lazy).

Needs root and iproute2; everything happens inside the namespace, deleted afterwards.
Times vary with the machine's load: compare rows of one run. Example, before and after:

    git worktree add --detach /tmp/speed-base main
    sudo python bench/footprint.py --tree before=/tmp/speed-base --tree after=.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KERNEL_ADDR = "192.168.69.100"
SERVER_ADDR = "192.168.69.1"
SERVER_MAC = "02:00:00:00:00:01"
PACKAGES = ("wire", "stack", "phy", "examples")


def status(pid: int, field: str) -> float:
    """Return a /proc/PID/status field in MiB (0 when the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


def ns_run(ns: str, *argv: str) -> None:
    subprocess.run(["ip", "netns", "exec", ns, *argv], check=True, capture_output=True, timeout=20)


def bulk(ns: str, mib: int) -> None:
    """Receive ``mib`` MiB from the server's port 6972 inside the namespace."""
    script = (
        "import socket,sys\n"
        f"s = socket.create_connection(('{SERVER_ADDR}', 6972), timeout=20)\n"
        f"left = {mib} << 20\n"
        "while left > 0:\n"
        "    data = s.recv(1 << 16)\n"
        "    if not data: sys.exit('closed early')\n"
        "    left -= len(data)\n"
        "s.close()\n"
    )
    ns_run(ns, sys.executable, "-c", script)


def measure(
    tree: Path, cache: str, bulk_mib: int, timeout: float, extra: list[str]
) -> dict[str, float]:
    """Start the server of ``tree`` in a fresh namespace and return its figures."""
    ns = f"smoltcp-fp-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True, timeout=10)
    ping: subprocess.Popen[str] | None = None
    server: subprocess.Popen[bytes] | None = None
    try:
        ns_run(ns, "ip", "link", "set", "lo", "up")
        ns_run(ns, "ip", "tuntap", "add", "name", "tap0", "mode", "tap")
        ns_run(ns, "ip", "link", "set", "tap0", "up")
        ns_run(ns, "ip", "addr", "add", f"{KERNEL_ADDR}/24", "dev", "tap0")
        ns_run(ns, "ip", "neigh", "replace", SERVER_ADDR, "lladdr", SERVER_MAC, "dev", "tap0")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(str(tree / "packages" / p / "src") for p in PACKAGES)
        env["NUMBA_CACHE_DIR"] = cache
        env.pop("SMOLTCP_JIT", None)
        ping = subprocess.Popen(
            ["ip", "netns", "exec", ns, "ping", "-n", "-D", "-i", "0.01", "-W", "1", SERVER_ADDR],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        started = time.time()
        argv = [sys.executable, "-m", "smoltcp.examples.server", "tap0", *extra]
        server = subprocess.Popen(
            ["ip", "netns", "exec", ns, *argv],
            env=env,
            cwd=tempfile.gettempdir(),  # not the tree: its packages must come from PYTHONPATH
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        first = None
        assert ping.stdout is not None
        deadline = time.monotonic() + timeout
        while first is None and time.monotonic() < deadline:
            line = ping.stdout.readline()
            match = re.match(r"\[(\d+\.\d+)\] \d+ bytes from", line)
            if match:
                first = float(match.group(1))
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with status {server.returncode}")
        if first is None:
            raise RuntimeError(f"no echo reply within {timeout} s")
        rss_first = status(server.pid, "VmRSS")
        time.sleep(1.0)
        rss_later = status(server.pid, "VmRSS")
        ping.kill()
        bulk(ns, bulk_mib)
        time.sleep(1.5)  # a lazily loaded kernel finishes in the background
        return {
            "first_reply_s": first - started,
            "rss_first": rss_first,
            "rss_1s": rss_later,
            "rss_bulk": status(server.pid, "VmRSS"),
            "hwm": status(server.pid, "VmHWM"),
        }
    finally:
        for proc in (server, ping):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="a checkout to measure (repeatable; default: after=this checkout)",
    )
    parser.add_argument("--bulk", type=int, default=16, help="MiB read from port 6972 (16)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to the first reply")
    parser.add_argument(
        "--server-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="an argument for smoltcp-server after tap0 (repeatable), e.g. --server-arg=--offload",
    )
    args = parser.parse_args(argv)
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("ping") is None:
        print("needs root, iproute2 and ping", file=sys.stderr)
        return 2
    trees = [t.split("=", 1) for t in args.tree] or [["after", str(Path(__file__).parents[1])]]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {socket.gethostname()}")
    print(f"smoltcp-server tap0 {' '.join(args.server_arg)}".rstrip())
    print(
        f"{'tree':<8} {'cache':<5} {'1st reply s':>11} {'RSS@reply':>10} {'RSS+1s':>8} "
        f"{'RSS bulk':>9} {'peak':>7}   (MiB)"
    )
    for name, directory in trees:
        with tempfile.TemporaryDirectory(prefix="smoltcp-fp-cache-") as cache:
            for state in ("cold", "warm"):
                fig = measure(
                    Path(directory).resolve(), cache, args.bulk, args.timeout, args.server_arg
                )
                print(
                    f"{name:<8} {state:<5} {fig['first_reply_s']:>11.2f} "
                    f"{fig['rss_first']:>10.1f} {fig['rss_1s']:>8.1f} "
                    f"{fig['rss_bulk']:>9.1f} {fig['hwm']:>7.1f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
