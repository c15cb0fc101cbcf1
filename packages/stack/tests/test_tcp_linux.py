"""The Linux kernel as the TCP peer, over TAP, inside a private network namespace.

The test creates ``smoltcp-t2-<random>`` with tap0 (192.168.69.100/24, the kernel's address)
and runs both ends inside it through ``ip netns exec``: our stack on tap0 as 192.168.69.1
(`tcp_linux_peer.py stack`) and the kernel's sockets (`tcp_linux_peer.py kernel`). Nothing
leaves the namespace, every process has a timeout, and the namespace is deleted afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.netns

PEER = str(Path(__file__).with_name("tcp_linux_peer.py"))
MB = 1 << 20


def _skip_reason() -> str | None:
    if sys.platform != "linux":
        return "network namespaces are Linux only"
    if os.geteuid() != 0:
        return "needs root to create a network namespace"
    if shutil.which("ip") is None:
        return "needs iproute2 (`ip`)"
    for module in ("smoltcp.stack.iface", "smoltcp.stack.tcp", "smoltcp.phy"):
        try:
            __import__(module)
        except ImportError as exc:
            return f"{module} is not available yet: {exc}"
    return None


def _payload(size: int, seed: int) -> bytes:
    out = bytearray()
    block = hashlib.sha256(seed.to_bytes(8, "big")).digest()
    while len(out) < size:
        block = hashlib.sha512(block).digest()
        out += block
    return bytes(out[:size])


class Namespace:
    """A private network namespace with tap0 (192.168.69.100/24) and lo up."""

    def __init__(self, mtu: int = 1500) -> None:
        self.name = f"smoltcp-t2-{secrets.token_hex(4)}"
        self.mtu = mtu

    def ip(self, *args: str) -> None:
        subprocess.run(["ip", "-n", self.name, *args], check=True, capture_output=True, timeout=10)

    def setup(self) -> None:
        subprocess.run(
            ["ip", "netns", "add", self.name], check=True, capture_output=True, timeout=10
        )
        self.ip("link", "set", "lo", "up")
        self.ip("tuntap", "add", "dev", "tap0", "mode", "tap")
        self.ip("link", "set", "tap0", "mtu", str(self.mtu))
        self.ip("addr", "add", "192.168.69.100/24", "dev", "tap0")
        self.ip("link", "set", "tap0", "up")
        # A static neighbour entry is not needed: our stack answers ARP.

    def delete(self) -> None:
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=10)

    def popen(self, side: str, *args: str) -> subprocess.Popen:
        path = [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in path if p))
        return subprocess.Popen(
            ["ip", "netns", "exec", self.name, sys.executable, PEER, side, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )


@pytest.fixture
def ns() -> Iterator[Namespace]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    space = Namespace()
    try:
        space.setup()
    except subprocess.CalledProcessError as exc:
        space.delete()
        pytest.skip(f"cannot create the namespace and TAP: {exc.stderr!r}")
    try:
        yield space
    finally:
        space.delete()


def _wait_ready(proc: subprocess.Popen, timeout: float = 20) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "READY":
        _, err = proc.communicate(timeout=timeout)
        raise AssertionError(f"peer did not start: {line!r} {err}")


def _result(proc: subprocess.Popen, timeout: float) -> dict:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"peer timed out: {err[-2000:]}") from None
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    assert proc.returncode == 0 and lines, f"peer failed ({proc.returncode}): {err[-3000:]}"
    return json.loads(lines[-1])


def run_bulk(
    ns: Namespace,
    server: str,
    size_stack: int,
    size_kernel: int,
    faults: float = 0.0,
    pcap: Path | None = None,
    deadline: float = 60,
    offload: bool = False,
) -> tuple[dict, dict]:
    """Run one bulk exchange; ``server`` is "stack" or "kernel". Return (stack, kernel)."""
    common = ["--port", "5001", "--deadline", str(deadline)]
    stack_args = ["--send", str(size_stack), "--seed", "11", *common]
    if faults:
        stack_args += ["--faults", str(faults)]
    if pcap is not None:
        stack_args += ["--pcap", str(pcap)]
    if offload:
        stack_args += ["--offload"]
    kernel_args = ["--send", str(size_kernel), "--seed", "12", *common]
    if server == "stack":
        stack = ns.popen("stack", "--role", "server", *stack_args)
        _wait_ready(stack)
        kernel = ns.popen("kernel", "--role", "client", *kernel_args)
    else:
        kernel = ns.popen("kernel", "--role", "server", *kernel_args)
        _wait_ready(kernel)
        stack = ns.popen("stack", "--role", "client", *stack_args)
    k = _result(kernel, deadline + 15)
    s = _result(stack, deadline + 15)
    return s, k


def check_bulk(s: dict, k: dict, size_stack: int, size_kernel: int) -> None:
    assert s["error"] is None, s
    assert s["finished"], s
    assert k["received"] == size_stack
    assert k["sha256"] == hashlib.sha256(_payload(size_stack, 11)).hexdigest()
    assert s["received"] == size_kernel
    assert s["sha256"] == hashlib.sha256(_payload(size_kernel, 12)).hexdigest()


@pytest.mark.parametrize("server", ["stack", "kernel"])
def test_bulk_both_directions_with_linux(ns: Namespace, server: str) -> None:
    s, k = run_bulk(ns, server, 4 * MB, 4 * MB)
    check_bulk(s, k, 4 * MB, 4 * MB)


@pytest.mark.parametrize("server", ["stack", "kernel"])
def test_bulk_over_a_tap_with_offloads(ns: Namespace, server: str) -> None:
    # With the virtio-net header the kernel hands us GRO-coalesced segments far larger than
    # the MTU (and segments whatever TSO super-segments we send): the data must still be exact.
    s, k = run_bulk(ns, server, 4 * MB, 4 * MB, offload=True)
    check_bulk(s, k, 4 * MB, 4 * MB)


@pytest.mark.parametrize("server", ["stack", "kernel"])
def test_bulk_with_fault_injection(ns: Namespace, server: str) -> None:
    s, k = run_bulk(ns, server, 2 * MB, 2 * MB, faults=3.0, deadline=90)
    check_bulk(s, k, 2 * MB, 2 * MB)
    inj = s["injector"]
    assert inj["rx_dropped"] + inj["tx_dropped"] > 0
    assert s["retransmissions"] > 0
    # SACK recovery resends what was lost, not everything after it (no go-back-N): at most
    # about one retransmission per frame of ours the injector dropped or corrupted.
    assert s["retransmissions"] <= 2 * (inj["tx_dropped"] + inj["tx_corrupted"]) + 10, s


def _tshark(pcap: Path, display_filter: str, fields: list[str]) -> list[list[str]]:
    cmd = ["tshark", "-r", str(pcap), "-Y", display_filter, "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def test_capture_shows_options_negotiated_and_sack_used(ns: Namespace, tmp_path: Path) -> None:
    if shutil.which("tshark") is None:
        pytest.skip("needs tshark")
    pcap = tmp_path / "linux.pcap"
    s, k = run_bulk(ns, "kernel", 2 * MB, 2 * MB, faults=3.0, pcap=pcap, deadline=90)
    check_bulk(s, k, 2 * MB, 2 * MB)
    fields = [
        "ip.src",
        "tcp.options.wscale.shift",
        "tcp.options.sack_perm",
        "tcp.options.timestamp.tsval",
    ]
    syns = _tshark(pcap, "tcp.flags.syn == 1", fields)
    by_src = {row[0]: row for row in syns}
    assert set(by_src) == {"192.168.69.1", "192.168.69.100"}, syns
    for src, row in by_src.items():
        assert row[1] != "", f"{src} sent no window scale"
        assert row[2] != "", f"{src} offered no SACK"
        assert row[3] != "", f"{src} sent no timestamps"
    assert int(by_src["192.168.69.1"][1]) >= 4  # a 1 MiB buffer needs a shift of at least 4
    # Timestamps continue on data segments both ways (negotiated, not just offered).
    for src in ("192.168.69.1", "192.168.69.100"):
        rows = _tshark(pcap, f"ip.src == {src} && tcp.len > 0", ["tcp.options.timestamp.tsval"])
        assert rows and all(r[0] for r in rows[:50]), src
    # SACK blocks used in both directions: the kernel reports our losses, we report its.
    for src in ("192.168.69.1", "192.168.69.100"):
        rows = _tshark(pcap, f"ip.src == {src} && tcp.options.sack_le", ["tcp.options.sack_le"])
        assert rows, f"no SACK blocks from {src}"


def test_two_hundred_connections_to_our_server(ns: Namespace) -> None:
    args = ["--port", "7000", "--count", "200", "--deadline", "60"]
    stack = ns.popen("stack", "--role", "many-server", *args)
    _wait_ready(stack)
    kernel = ns.popen("kernel", "--role", "many-client", *args)
    k = _result(kernel, 75)
    s = _result(stack, 75)
    assert k["ok"] == 200, k
    assert s["ok"] == 200, s


def test_two_hundred_connections_from_our_client(ns: Namespace) -> None:
    args = ["--port", "7001", "--count", "200", "--deadline", "60"]
    kernel = ns.popen("kernel", "--role", "many-server", *args)
    _wait_ready(kernel)
    stack = ns.popen("stack", "--role", "many-client", *args)
    s = _result(stack, 75)
    k = _result(kernel, 75)
    assert s["ok"] == 200, s
    assert k["ok"] == 200, k
