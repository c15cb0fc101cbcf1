"""The interface against the Linux kernel over TAP (and TUN), inside a private network namespace.

Our stack speaks first here (the phy tests cover the kernel speaking first): its datagrams wait
for ARP, Linux answers the request, the queue is flushed, and Linux's reply comes back; Linux
pings us; a closed port gets ICMP port unreachable (Linux reports ECONNREFUSED).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.netns

SCRIPT = r"""
import json, socket, subprocess, sys, time
from smoltcp.phy import TapInterface, TunInterface, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address

kernel = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
kernel.bind(("192.168.69.100", 7000))
kernel.setblocking(False)
tap = sys.argv[1] == "tap"
dev = TapInterface("tap0") if tap else TunInterface("tun0")
hw = EthernetAddress.parse("02-00-00-00-00-01") if tap else None
iface = Interface(Config(hardware_addr=hw), dev, clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("192.168.69.1/24")))
sockets = SocketSet()
udp = UdpSocket(PacketBuffer(32, 65536), PacketBuffer(32, 65536))
udp.bind(6000)
h = sockets.add(udp)
for i in range(5):  # all queued behind one ARP request
    udp.send_to(b"from smoltcp %d" % i, IpEndpoint(Ipv4Address("192.168.69.100"), 7000))
out = {"kernel_got": [], "stack_got": []}
waiter = Waiter([dev])
ping = None
refused = None
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    iface.poll(clock(), dev, sockets)
    try:
        while True:
            data, src = kernel.recvfrom(2048)
            out["kernel_got"].append(data.decode())
            kernel.sendto(data.upper(), src)
    except BlockingIOError:
        pass
    while udp.can_recv():
        data, src = udp.recv_from()
        out["stack_got"].append([data.decode(), str(src)])
    if len(out["stack_got"]) == 5 and ping is None:
        ping = subprocess.Popen(["ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", "192.168.69.1"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.connect(("192.168.69.1", 6001))
        probe.setblocking(False)
        probe.send(b"anyone?")
    if ping is not None and refused is None:
        try:
            probe.recv(100)
        except ConnectionRefusedError:
            refused = True
        except BlockingIOError:
            pass
    if ping is not None and ping.poll() is not None and refused:
        break
    delay = iface.poll_delay(clock(), sockets)
    limit = Duration.from_millis(10)
    waiter.wait(limit if delay is None or delay > limit else delay)
out["ping_rc"] = None if ping is None else ping.wait(timeout=5)
out["refused"] = refused
c = iface.counters
out["counters"] = {"arp_requests_sent": c.arp_requests_sent, "queued_for_arp": c.queued_for_arp,
                   "icmp_errors_sent": c.icmp_errors_sent, "dropped": dict(c.dropped)}
dev.close()
print(json.dumps(out))
"""


@pytest.fixture(params=["tap", "tun"])
def tap_netns(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs Linux, root and iproute2 for a private network namespace")
    if importlib.util.find_spec("smoltcp.phy") is None:
        # The stack's own environment (tox's py3xx-stack) holds no device package.
        pytest.skip("needs smoltcp-phy installed beside the stack (for the TAP/TUN device)")
    kind = request.param
    name = f"smoltcp-i-{secrets.token_hex(4)}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, timeout=10)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {made.stderr.decode().strip()}")
    try:
        for cmd in (
            ["link", "set", "lo", "up"],
            ["tuntap", "add", "name", f"{kind}0", "mode", kind],
            ["addr", "add", "192.168.69.100/24", "dev", f"{kind}0"],
            ["link", "set", f"{kind}0", "up"],
        ):
            subprocess.run(["ip", "-n", name, *cmd], check=True, capture_output=True, timeout=10)
        yield name, kind
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def test_our_stack_speaks_first_and_both_talk(tap_netns: tuple[str, str]) -> None:
    name, kind = tap_netns
    result = subprocess.run(
        ["ip", "netns", "exec", name, sys.executable, "-c", SCRIPT, kind],
        capture_output=True,
        text=True,
        timeout=40,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["kernel_got"] == [f"from smoltcp {i}" for i in range(5)]
    assert [d for d, _ in out["stack_got"]] == [f"FROM SMOLTCP {i}" for i in range(5)]
    assert all(src == "192.168.69.100:7000" for _, src in out["stack_got"])
    counters = out["counters"]
    if kind == "tap":
        assert counters["queued_for_arp"] == 5 and counters["arp_requests_sent"] == 1
    else:  # no Ethernet, no ARP
        assert counters["queued_for_arp"] == 0 and counters["arp_requests_sent"] == 0
    assert out["ping_rc"] == 0
    assert out["refused"] is True and counters["icmp_errors_sent"] >= 1
    assert not {k for k in counters["dropped"] if k.startswith(("malformed", "checksum"))}
