"""Shared helpers for the phy tests: a small libpcap reader and private network namespaces."""

from __future__ import annotations

import os
import secrets
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# The Linux captures are the repository's own test data.
CAPTURES = Path(__file__).resolve().parents[3] / "tests" / "data"


@dataclass
class PcapFile:
    """What the reader found: the global header's fields and every record."""

    magic: int
    version: tuple[int, int]
    snaplen: int
    link_type: int
    records: list[tuple[int, int, int, bytes]]  # (ts_sec, ts_usec, orig_len, data)


def read_pcap(data: bytes) -> PcapFile:
    """Parse a classic libpcap file (either byte order, microsecond timestamps)."""
    magic_le = struct.unpack_from("<I", data, 0)[0]
    if magic_le == 0xA1B2C3D4:
        order = "<"
    elif magic_le == 0xD4C3B2A1:
        order = ">"
    else:
        raise ValueError(f"not a microsecond pcap file: magic {magic_le:#x}")
    magic, major, minor, _zone, _sigfigs, snaplen, link_type = struct.unpack_from(
        order + "IHHiIII", data, 0
    )
    records = []
    offset = 24
    while offset < len(data):
        ts_sec, ts_usec, incl_len, orig_len = struct.unpack_from(order + "IIII", data, offset)
        offset += 16
        frame = data[offset : offset + incl_len]
        if len(frame) != incl_len:
            raise ValueError("truncated record")
        offset += incl_len
        records.append((ts_sec, ts_usec, orig_len, frame))
    return PcapFile(magic, (major, minor), snaplen, link_type, records)


@pytest.fixture
def pcap_reader():
    """Return `read_pcap`."""
    return read_pcap


@pytest.fixture
def capture_frames() -> list[bytes]:
    """Return the Ethernet frames of the Linux captures in tests/data."""
    frames: list[bytes] = []
    for path in sorted(CAPTURES.glob("*.pcap")):
        parsed = read_pcap(path.read_bytes())
        if parsed.link_type == 1:
            frames.extend(record[3] for record in parsed.records)
    if not frames:
        pytest.skip(f"no Ethernet captures in {CAPTURES}")
    return frames


class Netns:
    """A private network namespace, named ``smoltcp-p-<random>``; deleted by the fixture."""

    def __init__(self) -> None:
        self.name = f"smoltcp-p-{secrets.token_hex(4)}"

    def ip(self, *args: str) -> None:
        """Run ``ip -n <ns> args`` and fail the test on error."""
        subprocess.run(["ip", "-n", self.name, *args], check=True, capture_output=True, timeout=10)

    def run(self, *argv: str, timeout: float = 20, **kwargs) -> subprocess.CompletedProcess:
        """Run a command inside the namespace and return its result (never raises on failure)."""
        return subprocess.run(
            ["ip", "netns", "exec", self.name, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,
        )

    def popen(self, *argv: str) -> subprocess.Popen:
        """Start a command inside the namespace, with pipes for its output."""
        return subprocess.Popen(
            ["ip", "netns", "exec", self.name, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def python(self, script: str, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
        """Run a Python script inside the namespace with the test's interpreter."""
        return self.run(sys.executable, "-c", script, *args, timeout=timeout)

    def popen_python(self, script: str, *args: str) -> subprocess.Popen:
        """Start a Python script inside the namespace with the test's interpreter."""
        return self.popen(sys.executable, "-c", script, *args)


def netns_skip_reason() -> str | None:
    """Return why namespace tests cannot run here, or None if they can."""
    if sys.platform != "linux":
        return "network namespaces are Linux only"
    if os.geteuid() != 0:
        return "needs root to create a network namespace"
    if shutil.which("ip") is None:
        return "needs iproute2 (`ip`)"
    return None


@pytest.fixture
def netns() -> Iterator[Netns]:
    """Create a private network namespace with `lo` up, and delete it afterwards."""
    reason = netns_skip_reason()
    if reason:
        pytest.skip(reason)
    ns = Netns()
    result = subprocess.run(["ip", "netns", "add", ns.name], capture_output=True, timeout=10)
    if result.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {result.stderr.decode().strip()}")
    try:
        ns.ip("link", "set", "lo", "up")
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns.name], capture_output=True, timeout=10)


# The stack's interface and UDP socket, as DESIGN.md section 2 states them. The tests that need
# them skip when they cannot be imported. STACK_PRELUDE is the same set-up for the scripts that
# run inside a namespace.
STACK_PRELUDE = r"""
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.socket.udp import UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address

def make_stack(device, now, cidr, mac="02-00-00-00-00-01"):
    config = Config(hardware_addr=EthernetAddress.parse(mac) if mac else None)
    iface = Interface(config, device, now)
    iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse(cidr)))
    return iface, SocketSet()

def make_udp(port):
    sock = UdpSocket(PacketBuffer(16, 16384), PacketBuffer(16, 16384))
    sock.bind(port)
    return sock
"""


def stack_skip_reason() -> str | None:
    """Return why the stack-level tests cannot run yet, or None."""
    try:
        namespace: dict = {}
        exec(STACK_PRELUDE, namespace)
    except ImportError as exc:
        return f"the stack's Interface/UdpSocket are not available: {exc}"
    return None


@pytest.fixture
def stack_api() -> dict:
    """Return `make_stack` and `make_udp` (and the stack's names), or skip with the reason."""
    reason = stack_skip_reason()
    if reason:
        pytest.skip(reason)
    namespace: dict = {}
    exec(STACK_PRELUDE, namespace)
    namespace["PRELUDE"] = STACK_PRELUDE
    return namespace
