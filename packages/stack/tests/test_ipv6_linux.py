"""IPv6 against the Linux kernel over TAP, inside a private network namespace.

The kernel's tap0 has fdaa::100/64 (duplicate address detection off, so it is usable at once);
the stack has fdaa::1/64 and the link-local address of its MAC. The kernel's ``ping -6`` to
both addresses is answered, which needs the kernel to resolve the stack by neighbour
discovery first: its neighbour table then holds the stack's MAC. tshark, when installed,
dissects the capture with no malformed frame.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.netns

SCRIPT = r"""
import json, subprocess, sys, time
from smoltcp.phy import PcapWriter, TapInterface, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpCidr

tap = TapInterface("tap0")
dev = PcapWriter(tap, sys.argv[1]) if sys.argv[1] else tap
iface = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01")), dev, clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
sockets = SocketSet()
pings = [
    subprocess.Popen(["ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "3", target],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for target in ("fdaa::1", "fe80::ff:fe00:1%tap0")
]
waiter = Waiter([tap])
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    iface.poll(clock(), dev, sockets)
    if all(p.poll() is not None for p in pings):
        break
    waiter.wait(Duration.from_millis(10))
out = {"ping_rc": [p.wait(timeout=5) for p in pings],
       "ping_out": [p.stdout.read() for p in pings]}
neigh = subprocess.run(["ip", "-6", "neigh", "show", "dev", "tap0"], capture_output=True,
                       text=True, timeout=10)
out["neigh"] = neigh.stdout
c = iface.counters
out["counters"] = {"echo": c.icmp_echo_replies_sent, "dropped": dict(c.dropped)}
dev.close()
print(json.dumps(out))
"""


@pytest.fixture
def tap6_netns() -> Iterator[str]:
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs Linux, root and iproute2 for a private network namespace")
    if shutil.which("ping") is None:
        pytest.skip("needs ping (iputils) for ping -6")
    if importlib.util.find_spec("smoltcp.phy") is None:
        pytest.skip("needs smoltcp-phy installed beside the stack (for the TAP device)")
    name = f"smoltcp-6-{secrets.token_hex(4)}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, timeout=10)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {made.stderr.decode().strip()}")
    try:
        for cmd in (
            ["ip", "link", "set", "lo", "up"],
            ["ip", "tuntap", "add", "name", "tap0", "mode", "tap"],
            ["sysctl", "-q", "-w", "net.ipv6.conf.tap0.accept_dad=0"],
            ["ip", "addr", "add", "fdaa::100/64", "dev", "tap0", "nodad"],
            ["ip", "link", "set", "tap0", "up"],
        ):
            subprocess.run(
                ["ip", "netns", "exec", name, *cmd], check=True, capture_output=True, timeout=10
            )
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def test_kernel_pings_the_stack_over_ipv6_after_resolving_it(tap6_netns: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pcap = Path(tmp) / "ipv6.pcap"
        result = subprocess.run(
            ["ip", "netns", "exec", tap6_netns, sys.executable, "-c", SCRIPT, str(pcap)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout.strip().splitlines()[-1])
        assert out["ping_rc"] == [0, 0], out["ping_out"]
        assert out["counters"]["echo"] >= 6
        # The kernel resolved us by NDP: its neighbour table has our MAC for both addresses.
        neigh = out["neigh"]
        assert "fdaa::1 lladdr 02:00:00:00:00:01" in neigh, neigh
        assert "fe80::ff:fe00:1 lladdr 02:00:00:00:00:01" in neigh, neigh
        dropped = out["counters"]["dropped"]
        assert not {k for k in dropped if k.startswith(("malformed", "checksum"))}, dropped
        if shutil.which("tshark") is not None:
            shark = subprocess.run(
                ["tshark", "-r", str(pcap), "-Y", "_ws.malformed || _ws.expert.severity >= error"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert shark.returncode == 0, shark.stderr
            assert shark.stdout.strip() == "", shark.stdout
