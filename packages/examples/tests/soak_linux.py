"""A soak of `smoltcp-server` against the Linux kernel over TAP, in a namespace made for it.

`soak_linux` creates a private network namespace (``smoltcp-soak-<random>``) holding tap0
(the kernel at 192.168.69.100/24), starts the server example on it with the fault injector's
drops and corruption (and the emulator's reordering and duplication), and runs `CLIENT` in
the namespace: kernel sockets, several threads, each opening connection after connection to
one of the server's TCP services and checking what comes back with sha256:

- 6970 (line reverser): random lines of 0..63 octets; the answer must be each line reversed;
- 6972 (source): a random number of octets read; they must be the 0, 1, ..., 255 pattern;
- 6971 (sink): a random number of octets sent, then the connection must close (a reset is
  counted as ``late_resets``: the service's 2 s user timeout gives up when the kernel's
  retransmissions back off past it under the drops).

It stops after ``connections`` connections or ``seconds`` of wall time, whichever is first,
and returns the client's figures with the server's resident memory (VmRSS) at the start and
at the end. The namespace and the server are removed whatever happens. Needs root and
iproute2; `skip_reason` says why it cannot run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["CLIENT", "skip_reason", "soak_linux"]

KERNEL_ADDR = "192.168.69.100"
SERVER_ADDR = "192.168.69.1"

# Runs in the namespace: argv = host, seconds, connections, seed, threads. Prints JSON.
CLIENT = r"""
import hashlib, json, random, socket, sys, threading, time
HOST = sys.argv[1]
SECONDS, COUNT = float(sys.argv[2]), int(sys.argv[3])
SEED, THREADS = int(sys.argv[4]), int(sys.argv[5])
ALPHABET = b"abcdefghijklmnopqrstuvwxyz0123456789"
PATTERN = bytes(range(256))
lock = threading.Lock()
state = {"started": 0, "completed": 0, "octets_verified": 0, "failures": [], "by_port": {},
         "late_resets": 0}
deadline = time.monotonic() + SECONDS

def take():
    with lock:
        if state["started"] >= COUNT or time.monotonic() > deadline:
            return None
        state["started"] += 1
        return state["started"]

def recv_all(s, limit=1 << 24):
    data = bytearray()
    while len(data) < limit:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return bytes(data)

def reverser(rng):
    lines = [bytes(rng.choice(ALPHABET) for _ in range(rng.randrange(64)))
             for _ in range(rng.randrange(1, 120))]
    sent = b"".join(l + b"\n" for l in lines)
    want = hashlib.sha256(b"".join(l[::-1] + b"\n" for l in lines)).hexdigest()
    with socket.create_connection((HOST, 6970), timeout=30) as s:
        s.sendall(sent)
        s.shutdown(socket.SHUT_WR)
        got = recv_all(s)
    if hashlib.sha256(got).hexdigest() != want:
        raise ValueError(f"6970: sha256 mismatch ({len(got)} octets, want {len(sent)})")
    return len(sent) + len(got)

def source(rng):
    n = rng.randrange(1, 400_000)
    with socket.create_connection((HOST, 6972), timeout=30) as s:
        data = bytearray()
        while len(data) < n:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    data = bytes(data[:n])
    want = (PATTERN * (n // 256 + 1))[:n]
    if len(data) != n or hashlib.sha256(data).digest() != hashlib.sha256(want).digest():
        raise ValueError(f"6972: {len(data)} octets or pattern wrong")
    return n

def sink(rng):
    n = rng.randrange(0, 400_000)
    with socket.create_connection((HOST, 6971), timeout=30) as s:
        try:
            s.sendall(rng.randbytes(n))
            s.shutdown(socket.SHUT_WR)
            rest = recv_all(s)
        except ConnectionResetError:
            # 6971's 2 s user timeout gives up when the kernel's retransmission backs off past
            # it (three losses of one segment: 0.2 + 0.4 + 0.8 + 1.6 s), before or after our
            # FIN. That is the service's documented policy, not a loss: counted, not a failure.
            with lock:
                state["late_resets"] += 1
            return 0
    if rest:
        raise ValueError(f"6971: the sink sent {len(rest)} octets")
    return n

def worker(index):
    rng = random.Random(SEED * 1000 + index)
    while (number := take()) is not None:
        service = rng.choice([reverser, reverser, source, sink])
        try:
            octets = service(rng)
        except Exception as exc:
            with lock:
                name = service.__name__
                state["failures"].append(f"{number} {name}: {type(exc).__name__}: {exc}")
            continue
        with lock:
            state["completed"] += 1
            state["octets_verified"] += octets
            state["by_port"][service.__name__] = state["by_port"].get(service.__name__, 0) + 1

threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
began = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join(SECONDS + 120)
state["seconds"] = round(time.monotonic() - began, 2)
print(json.dumps(state))
"""


def skip_reason() -> str | None:
    """Return why the Linux soak cannot run here, or None."""
    if sys.platform != "linux":
        return "network namespaces are Linux only"
    if os.geteuid() != 0:
        return "needs root to create a network namespace"
    if shutil.which("ip") is None:
        return "needs iproute2 (ip)"
    if not os.path.exists("/dev/net/tun"):
        return "needs /dev/net/tun"
    return None


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _emulator(reorder: float, duplicate: float, delay_ms: int) -> list[str]:
    args: list[str] = []
    if reorder:
        args += ["--delay", f"{delay_ms}ms", "--reorder", f"{reorder}%"]
    if duplicate:
        args += ["--duplicate", f"{duplicate}%"]
    return args


def _ip(ns: str, *args: str) -> None:
    subprocess.run(["ip", "-n", ns, *args], check=True, capture_output=True, timeout=10)


def soak_linux(
    *,
    seconds: float = 30.0,
    connections: int = 100,
    drop: float = 5.0,
    corrupt: float = 5.0,
    seed: int = 1,
    threads: int = 4,
    reorder: float = 0.0,
    duplicate: float = 0.0,
    delay_ms: int = 2,
) -> dict[str, Any]:
    """Run the soak (see the module docstring); return the figures as a dict.

    ``drop`` and ``corrupt`` are the fault injector's percentages (both directions);
    ``reorder`` and ``duplicate`` the emulator's (``--reorder``, ``--duplicate``), reordering
    over a ``delay_ms`` delay (the frames it picks skip the delay).
    Raises RuntimeError when the namespace or the server cannot be set up.
    """
    reason = skip_reason()
    if reason:
        raise RuntimeError(reason)
    ns = f"smoltcp-soak-{secrets.token_hex(4)}"
    made = subprocess.run(["ip", "netns", "add", ns], capture_output=True, timeout=10)
    if made.returncode != 0:
        raise RuntimeError(f"cannot create a namespace: {made.stderr.decode().strip()}")
    server: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="smoltcp-soak-") as tmp:
        err_path = Path(tmp) / "server.err"
        try:
            _ip(ns, "link", "set", "lo", "up")
            _ip(ns, "tuntap", "add", "name", "tap0", "mode", "tap")
            _ip(ns, "link", "set", "tap0", "up")
            _ip(ns, "addr", "add", f"{KERNEL_ADDR}/24", "dev", "tap0")
            # ARP has no checksum: a corrupted ARP reply would poison the kernel's entry for
            # tens of seconds; pin it, as a real link's frame check sequence would. A small
            # minimum RTO keeps the kernel's recovery from the injected losses quick.
            _ip(ns, "neigh", "replace", SERVER_ADDR, "lladdr", "02:00:00:00:00:01", "dev", "tap0")
            _ip(ns, "route", "replace", "192.168.69.0/24", "dev", "tap0", "rto_min", "20ms")
            with open(err_path, "wb") as err:
                server = subprocess.Popen(
                    [
                        *("ip", "netns", "exec", ns),
                        *(sys.executable, "-m", "smoltcp.examples.server", "tap0"),
                        *("--drop-chance", str(drop), "--corrupt-chance", str(corrupt)),
                        *("--seed", str(seed)),
                        *_emulator(reorder, duplicate, delay_ms),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    stdin=subprocess.DEVNULL,
                    # The checksum kernel loaded at start, not lazily mid-soak: its ~120 MiB
                    # would otherwise read as growth between the two memory readings.
                    env={**os.environ, "SMOLTCP_JIT": "eager"},
                )
            ready_by = time.monotonic() + 30
            while "Ctrl-C" not in err_path.read_text(errors="replace"):
                if server.poll() is not None or time.monotonic() > ready_by:
                    raise RuntimeError(f"the server did not start: {err_path.read_text()[-2000:]}")
                time.sleep(0.05)
            rss_start = _rss_kib(server.pid)
            client = subprocess.run(
                [
                    *("ip", "netns", "exec", ns, sys.executable, "-c", CLIENT),
                    *(SERVER_ADDR, str(seconds), str(connections), str(seed), str(threads)),
                ],
                capture_output=True,
                text=True,
                timeout=seconds + 240,
            )
            if client.returncode != 0:
                raise RuntimeError(f"the client failed: {client.stderr[-2000:]}")
            figures: dict[str, Any] = json.loads(client.stdout)
            figures["server_rss_kib_start"] = rss_start
            figures["server_rss_kib_end"] = _rss_kib(server.pid)
            figures["server_alive"] = server.poll() is None
        finally:
            if server is not None and server.poll() is None:
                server.send_signal(signal.SIGINT)
                try:
                    server.wait(5)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(5)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
        # What the server says when it stops (its fault injector's and emulator's counters).
        figures["server_report"] = err_path.read_text(errors="replace").splitlines()[-6:]
        return figures
