"""Address conflict detection (RFC 5227) against the Linux kernel over TAP.

Inside a private network namespace, the kernel's end of ``tap0`` is 192.168.69.100/24 and the
stack 192.168.69.1/24. The kernel's ``arping -D`` (a probe) gets the stack's answer; when the
kernel claims the stack's address (it takes the address too and announces it with
``arping -U``), the stack defends once, then reports the address lost; and an address the
kernel already holds, probed by the stack before use, is reported taken and never used.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.netns

US = "192.168.69.1"

# argv: probe (0/1), seconds to run at most. Prints "ready", then one JSON line.
SCRIPT = r"""
import io, json, struct, sys, time
from smoltcp.phy import PcapMode, PcapWriter, TapInterface, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.iface import AcdEventKind, Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpCidr

probe = sys.argv[1] == "1"
tap = TapInterface("tap0")
sink = io.BytesIO()
dev = PcapWriter(tap, sink, PcapMode.BOTH)
start = clock()
iface = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01")), dev, start)
iface.add_ip_addr(IpCidr.parse("192.168.69.1/24"), start, probe=probe)
sockets = SocketSet()
waiter = Waiter([tap])
events = []
print("ready", flush=True)
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    iface.poll(clock(), dev, sockets)
    for e in iface.acd.events():
        hw = None if e.hardware_addr is None else e.hardware_addr.hex("-")
        events.append([e.kind.value, str(e.addr), hw])
    if events and events[-1][0] in ("taken", "lost"):
        break
    delay = iface.poll_delay(clock(), sockets)
    limit = Duration.from_millis(20)
    waiter.wait(limit if delay is None or delay > limit else delay)
# Every ARP frame, from the capture: [ms since start, Ethernet source, op, sender IP, target IP].
data = sink.getvalue()
arps = []
ips = []
pos = 24
while pos + 16 <= len(data):
    secs, usecs, caplen, _ = struct.unpack_from("<IIII", data, pos)
    frame = data[pos + 16 : pos + 16 + caplen]
    pos += 16 + caplen
    at_ms = (secs * 1_000_000 + usecs - start.micros) // 1000
    if frame[12:14] == b"\x08\x06":
        spa = ".".join(str(b) for b in frame[28:32])
        tpa = ".".join(str(b) for b in frame[38:42])
        arps.append([at_ms, frame[6:12].hex("-"), frame[21], spa, tpa])
    elif frame[12:14] == b"\x08\x00":
        ips.append([frame[6:12].hex("-"), ".".join(str(b) for b in frame[26:30])])
out = {
    "arps": arps,
    "ips": ips,
    "events": events,
    "addrs": [str(c) for c in iface.ip_addrs],
    "counters": iface.acd.counters.as_dict(),
}
dev.close()
print(json.dumps(out))
"""


@pytest.fixture
def tap_netns() -> Iterator[str]:
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs Linux, root and iproute2 for a private network namespace")
    if shutil.which("arping") is None:
        pytest.skip("needs arping (iputils-arping)")
    if importlib.util.find_spec("smoltcp.phy") is None:
        pytest.skip("needs smoltcp-phy installed beside the stack (for the TAP device)")
    name = f"smoltcp-a-{secrets.token_hex(4)}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, timeout=10)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {made.stderr.decode().strip()}")
    try:
        for cmd in (
            ["link", "set", "lo", "up"],
            ["tuntap", "add", "name", "tap0", "mode", "tap"],
            ["addr", "add", "192.168.69.100/24", "dev", "tap0"],
            ["link", "set", "tap0", "up"],
        ):
            ip(name, *cmd)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def ip(ns: str, *args: str) -> None:
    subprocess.run(["ip", "-n", ns, *args], check=True, capture_output=True, timeout=10)


def in_ns(ns: str, *argv: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ip", "netns", "exec", ns, *argv], capture_output=True, text=True, timeout=timeout
    )


def kernel_mac(ns: str) -> str:
    out = in_ns(ns, "cat", "/sys/class/net/tap0/address").stdout.strip()
    return out.replace(":", "-")


class Stack:
    """The stack's script running in the namespace (stopped by its own deadline)."""

    def __init__(self, ns: str, probe: bool, seconds: float) -> None:
        self.proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns,
                sys.executable,
                "-c",
                SCRIPT,
                str(int(probe)),
                str(seconds),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().strip()
        assert first == "ready", self.proc.stderr.read() if self.proc.stderr else first

    def result(self, timeout: float = 60) -> dict:
        try:
            stdout, stderr = self.proc.communicate(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)
        assert self.proc.returncode == 0, stderr
        return json.loads(stdout.strip().splitlines()[-1])


def test_the_kernels_duplicate_address_probe_gets_the_stacks_answer(tap_netns: str) -> None:
    stack = Stack(tap_netns, probe=False, seconds=8)
    # arping -D: a probe (sender 0.0.0.0); status 1 when someone answered: the address is used.
    dad = in_ns(tap_netns, "arping", "-D", "-c", "2", "-w", "5", "-I", "tap0", US)
    out = stack.result()
    assert dad.returncode == 1, dad.stdout + dad.stderr
    assert "Received 1 response" in dad.stdout
    probes = [a for a in out["arps"] if a[3] == "0.0.0.0" and a[4] == US]
    replies = [a for a in out["arps"] if a[1] == "02-00-00-00-00-01" and a[2] == 2]
    assert probes and replies
    assert replies[0][3] == US and replies[0][4] == "0.0.0.0"
    assert out["counters"]["conflicts"] == 0 and out["events"] == []


def test_a_claim_from_the_kernel_is_defended_once_then_reported(tap_netns: str) -> None:
    mac = kernel_mac(tap_netns)
    stack = Stack(tap_netns, probe=False, seconds=20)
    time.sleep(3)  # past the two announcements (ANNOUNCE_INTERVAL apart)
    # The kernel takes the stack's address and announces it (gratuitous ARP), twice.
    ip(tap_netns, "addr", "add", f"{US}/32", "dev", "tap0")
    for _ in range(2):
        claim = in_ns(tap_netns, "arping", "-U", "-c", "1", "-I", "tap0", "-s", US, US)
        assert claim.returncode in (0, 1), claim.stderr
        time.sleep(1)
    out = stack.result()
    # In capture order: "k" a claim from the kernel, "a" an announcement from the stack.
    seq = "".join(
        "k" if a[1] == mac and a[3] == US else "a"
        for a in out["arps"]
        if a[3] == US and a[4] == US and a[1] in (mac, "02-00-00-00-00-01")
    )
    # Two announcements when the address was added, one in defence right after the first
    # claim, and none after the second. (On a slow machine the first claim may come before
    # the second announcement, which then is the defence.)
    assert seq in ("aakak", "akak"), out["arps"]
    assert [e[0] for e in out["events"]] == ["defended", "lost"]
    assert all(e[1] == US and e[2] == mac for e in out["events"])
    assert out["addrs"] == []


def test_a_probed_address_the_kernel_holds_is_taken_and_never_used(tap_netns: str) -> None:
    mac = kernel_mac(tap_netns)
    ip(tap_netns, "addr", "add", f"{US}/32", "dev", "tap0")
    out = Stack(tap_netns, probe=True, seconds=15).result()
    assert out["events"] == [["taken", US, mac]]
    assert out["addrs"] == []
    # Never used: nothing from the stack with the address as its sender, ARP or IP.
    ours = "02-00-00-00-00-01"
    assert [a for a in out["arps"] if a[1] == ours and a[3] != "0.0.0.0"] == []
    assert [p for p in out["ips"] if p[0] == ours] == []
    assert 1 <= out["counters"]["probes_sent"] <= 3
