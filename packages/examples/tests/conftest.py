"""Fixtures of the examples' tests: private network namespaces and example processes in them.

Every real-peer test runs inside a namespace created for it (``smoltcp-e-<random>``), with the
kernel's end of ``tap0`` at 192.168.69.100/24; every process it starts is stopped, and the
namespace deleted, when the test ends, whatever happens.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

KERNEL_ADDR = "192.168.69.100"


class Example:
    """An example program running in a namespace; its output goes to files (never a full pipe)."""

    def __init__(self, netns: Netns, name: str, args: tuple[str, ...], workdir: Path) -> None:
        self.name = name
        self.stdout_path = workdir / f"{name}-{secrets.token_hex(2)}.out"
        self.stderr_path = self.stdout_path.with_suffix(".err")
        self._out = open(self.stdout_path, "wb")  # noqa: SIM115 - closed by stop()
        self._err = open(self.stderr_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                *("ip", "netns", "exec", netns.name),
                *(sys.executable, "-m", f"smoltcp.examples.{name}"),
                *args,
            ],
            stdout=self._out,
            stderr=self._err,
            stdin=subprocess.DEVNULL,
        )

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        """Wait for the program to exit by itself; return its status."""
        try:
            return self.proc.wait(timeout)
        finally:
            self._out.flush()
            self._err.flush()

    def stop(self) -> int | None:
        """Interrupt the program (SIGINT, then SIGKILL) and return its status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._out.close()
        self._err.close()
        return self.proc.returncode


class Netns:
    """A private network namespace; `run`, `python` and `start` act inside it."""

    def __init__(self, workdir: Path) -> None:
        self.name = f"smoltcp-e-{secrets.token_hex(4)}"
        self.workdir = workdir
        self.examples: list[Example] = []
        self.procs: list[subprocess.Popen] = []

    def ip(self, *args: str) -> None:
        """Run ``ip -n NS args``; fail the test on error."""
        subprocess.run(["ip", "-n", self.name, *args], check=True, capture_output=True, timeout=10)

    def run(self, *argv: str, timeout: float = 30, **kw) -> subprocess.CompletedProcess:
        """Run a command in the namespace and return its result (text)."""
        return subprocess.run(
            ["ip", "netns", "exec", self.name, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            **kw,
        )

    def python(self, script: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        """Run a Python script in the namespace."""
        return self.run(sys.executable, "-c", script, *args, timeout=timeout)

    def popen(self, *argv: str, **kw) -> subprocess.Popen:
        """Start a command in the namespace; it is killed when the test ends."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.name, *argv], **kw)
        self.procs.append(proc)
        return proc

    def start(self, name: str, *args: str) -> Example:
        """Start example ``name`` in the namespace; it is stopped when the test ends."""
        example = Example(self, name, args, self.workdir)
        self.examples.append(example)
        return example

    def close(self) -> None:
        for example in self.examples:
            example.stop()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=10)


def netns_skip_reason() -> str | None:
    """Return why namespace tests cannot run here, or None."""
    if sys.platform != "linux":
        return "network namespaces are Linux only"
    if os.geteuid() != 0:
        return "needs root to create a network namespace"
    if shutil.which("ip") is None:
        return "needs iproute2 (ip)"
    if not os.path.exists("/dev/net/tun"):
        return "needs /dev/net/tun"
    return None


@pytest.fixture
def netns() -> Iterator[Netns]:
    """A private network namespace with lo up; deleted afterwards."""
    reason = netns_skip_reason()
    if reason:
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="smoltcp-e-") as tmp:
        ns = Netns(Path(tmp))
        made = subprocess.run(["ip", "netns", "add", ns.name], capture_output=True, timeout=10)
        if made.returncode != 0:
            pytest.skip(f"cannot create a network namespace: {made.stderr.decode().strip()}")
        try:
            ns.ip("link", "set", "lo", "up")
            yield ns
        finally:
            ns.close()


@pytest.fixture
def tap_ns(netns: Netns) -> Netns:
    """A namespace holding tap0, up, with the kernel's address 192.168.69.100/24."""
    netns.ip("tuntap", "add", "name", "tap0", "mode", "tap")
    netns.ip("link", "set", "tap0", "up")
    netns.ip("addr", "add", f"{KERNEL_ADDR}/24", "dev", "tap0")
    return netns
