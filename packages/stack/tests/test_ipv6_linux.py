"""IPv6 against the Linux kernel over TAP, inside a private network namespace.

The kernel's tap0 has fdaa::100/64 (duplicate address detection off, so it is usable at once);
the stack has fdaa::1/64 and the link-local address of its MAC. The kernel's ``ping -6`` to
both addresses is answered, which needs the kernel to resolve the stack by neighbour
discovery first: its neighbour table then holds the stack's MAC. tshark, when installed,
dissects the capture with no malformed frame. Then UDP both ways (the stack speaks first, so it
resolves the kernel by NDP), a port unreachable the kernel reports as ECONNREFUSED, and TCP both
ways: a kernel client sends 2 MiB to the stack's listener, the stack's client sends 2 MiB to a
kernel listener, each checked by sha256.
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


TRANSFER = r"""
import hashlib, json, os, socket, sys, time
from smoltcp.phy import PcapWriter, TapInterface, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.tcp import TcpSocket
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv6Address

SIZE = 2 << 20
tap = TapInterface("tap0")
dev = PcapWriter(tap, sys.argv[1])
iface = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01")), dev, clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
sockets = SocketSet()
udp = UdpSocket(PacketBuffer(32, 65536), PacketBuffer(32, 65536))
udp.bind(6000)
sockets.add(udp)
ku = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
ku.bind(("fdaa::100", 7000))
ku.setblocking(False)
for i in range(3):  # queued behind one neighbour solicitation
    udp.send_to(b"v6 from smoltcp %d" % i, IpEndpoint(Ipv6Address("fdaa::100"), 7000))
srv = TcpSocket(1 << 18, 1 << 18)
srv.listen(7100)
sockets.add(srv)
kl = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
kl.bind(("fdaa::100", 7200))
kl.listen(1)
kl.setblocking(False)
cli = TcpSocket(1 << 18, 1 << 18)
sockets.add(cli)
to_stack = os.urandom(SIZE)
to_kernel = os.urandom(SIZE)
out = {"kernel_udp": [], "stack_udp": [], "refused": None, "mss": None}
kc = None
probe = None
accepted = None
sent_k = sent_s = 0
got_stack = hashlib.sha256(); n_stack = 0
got_kernel = hashlib.sha256(); n_kernel = 0
waiter = Waiter([tap])
deadline = time.monotonic() + 90
while time.monotonic() < deadline:
    iface.poll(clock(), dev, sockets)
    try:
        while True:
            data, src = ku.recvfrom(2048)
            out["kernel_udp"].append(data.decode())
            ku.sendto(data.upper(), src)
    except BlockingIOError:
        pass
    while udp.can_recv():
        data, src = udp.recv_from()
        out["stack_udp"].append([data.decode(), str(src)])
    if len(out["stack_udp"]) == 3 and kc is None:
        kc = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        kc.setblocking(False)
        kc.connect_ex(("fdaa::1", 7100))
        cli.connect(iface.context, ("fdaa::100", 7200), 40000)
        probe = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        probe.connect(("fdaa::1", 6001))
        probe.setblocking(False)
        probe.send(b"anyone?")
    if probe is not None and out["refused"] is None:
        try:
            probe.recv(100)
        except ConnectionRefusedError:
            out["refused"] = True
        except BlockingIOError:
            pass
    if kc is not None and sent_k < SIZE:
        try:
            sent_k += kc.send(to_stack[sent_k:sent_k + 65536])
        except (BlockingIOError, OSError):
            pass
    while srv.can_recv():
        chunk = srv.recv(1 << 16)
        got_stack.update(chunk); n_stack += len(chunk)
    if kc is not None and accepted is None:
        try:
            accepted, _ = kl.accept()
            accepted.setblocking(False)
        except BlockingIOError:
            pass
    if cli.can_send() and sent_s < SIZE:
        sent_s += cli.send(to_kernel[sent_s:sent_s + 65536])
        if out["mss"] is None:
            out["mss"] = cli.tcb.peer_mss
    if accepted is not None:
        try:
            while True:
                chunk = accepted.recv(1 << 16)
                if not chunk:
                    break
                got_kernel.update(chunk); n_kernel += len(chunk)
        except BlockingIOError:
            pass
    if n_stack == SIZE and n_kernel == SIZE and out["refused"]:
        break
    delay = iface.poll_delay(clock(), sockets)
    limit = Duration.from_millis(1)
    waiter.wait(limit if delay is None or delay > limit else delay)
out["stack_sha_ok"] = n_stack == SIZE and got_stack.digest() == hashlib.sha256(to_stack).digest()
out["kernel_sha_ok"] = (n_kernel == SIZE
                        and got_kernel.digest() == hashlib.sha256(to_kernel).digest())
out["n"] = [n_stack, n_kernel]
c = iface.counters
out["dropped"] = dict(c.dropped)
dev.close()
print(json.dumps(out))
"""


def test_udp_and_tcp_both_ways_over_ipv6(tap6_netns: str, tmp_path: Path) -> None:
    pcap = tmp_path / "transfer6.pcap"
    result = subprocess.run(
        ["ip", "netns", "exec", tap6_netns, sys.executable, "-c", TRANSFER, str(pcap)],
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert result.returncode == 0, result.stderr
    _no_malformed_frame(pcap)
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["kernel_udp"] == [f"v6 from smoltcp {i}" for i in range(3)]
    assert [d for d, _ in out["stack_udp"]] == [f"V6 FROM SMOLTCP {i}" for i in range(3)]
    assert all(src == "[fdaa::100]:7000" for _, src in out["stack_udp"])
    assert out["refused"] is True
    assert out["stack_sha_ok"] and out["kernel_sha_ok"], out["n"]
    # Linux on a 1500-octet link offers MSS 1440 over IPv6 (1500 - 40 - 20).
    assert out["mss"] == 1440
    dropped = out["dropped"]
    assert not {k for k in dropped if k.startswith(("malformed", "checksum"))}, dropped


SLAAC = r"""
import json, socket, subprocess, sys, time
from scapy.layers.inet6 import (
    ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr, IPv6
)
from scapy.layers.l2 import Ether
from scapy.sendrecv import sendp
from smoltcp.phy import TapInterface, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpEndpoint, Ipv6Address

def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=True).stdout

# A link-local address of the kernel's (its own appears only with carrier): the router the
# advertisement names.
router = "fe80::100"
sh("ip", "-6", "addr", "add", "fe80::100/64", "dev", "tap0", "nodad")
kmac = open("/sys/class/net/tap0/address").read().strip()
sh("ip", "-6", "addr", "add", "fdbb::100/64", "dev", "tap0", "nodad")
sh("ip", "-6", "addr", "add", "2001:db8:99::1/128", "dev", "lo")
kernel = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
kernel.bind(("2001:db8:99::1", 7000))
kernel.setblocking(False)
dev = TapInterface("tap0")
mac = EthernetAddress.parse("02-00-00-00-00-01")
iface = Interface(Config(hardware_addr=mac, slaac=True), dev, clock())
sockets = SocketSet()
udp = UdpSocket(PacketBuffer(8, 4096), PacketBuffer(8, 4096))
udp.bind(6000)
sockets.add(udp)
ra = (Ether(src=kmac, dst="33:33:00:00:00:01") / IPv6(src=router, dst="ff02::1", hlim=255)
      / ICMPv6ND_RA(routerlifetime=600) / ICMPv6NDOptSrcLLAddr(lladdr=kmac)
      / ICMPv6NDOptPrefixInfo(prefix="fdbb::", prefixlen=64, validlifetime=3600,
                              preferredlifetime=1800))
out = {"addrs": [], "got": None, "ping_rc": None}
waiter = Waiter([dev])
ping = None
deadline = time.monotonic() + 20
sent_ra = False
while time.monotonic() < deadline:
    iface.poll(clock(), dev, sockets)
    if not sent_ra:
        sendp(ra, iface="tap0", verbose=False)
        sent_ra = True
    if ping is None and Ipv6Address("fdbb::ff:fe00:1") in iface.ipv6_addrs():
        out["addrs"] = [str(a) for a in iface.ipv6_addrs()]
        udp.send_to(b"via the default router", IpEndpoint(Ipv6Address("2001:db8:99::1"), 7000))
        ping = subprocess.Popen(["ping", "-6", "-n", "-c", "2", "-i", "0.2", "-W", "3",
                                 "fdbb::ff:fe00:1"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    try:
        data, src = kernel.recvfrom(2048)
        out["got"] = [data.decode(), src[0]]
    except BlockingIOError:
        pass
    if ping is not None and ping.poll() is not None and out["got"]:
        break
    waiter.wait(Duration.from_millis(10))
out["ping_rc"] = None if ping is None else ping.wait(timeout=5)
out["router"] = router
dev.close()
print(json.dumps(out))
"""


def test_slaac_from_a_router_advertisement_sent_on_the_kernel_side(tap6_netns: str) -> None:
    result = subprocess.run(
        ["ip", "netns", "exec", tap6_netns, sys.executable, "-c", SLAAC],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert "fdbb::ff:fe00:1" in out["addrs"], out
    assert out["ping_rc"] == 0
    # Off-link, through the router the advertisement named (resolved by NDP).
    assert out["got"] == ["via the default router", "fdbb::ff:fe00:1"]


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
        _no_malformed_frame(pcap)


def _no_malformed_frame(pcap: Path) -> None:
    """tshark (when installed) finds no malformed frame and no error in ``pcap``."""
    if shutil.which("tshark") is None:
        return
    shark = subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", "_ws.malformed || _ws.expert.severity >= error"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shark.returncode == 0, shark.stderr
    assert shark.stdout.strip() == "", shark.stdout


TUN = r"""
import json, subprocess, time
from smoltcp.phy import TunInterface, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.time import Duration
from smoltcp.wire import IpCidr

dev = TunInterface("tun0")
iface = Interface(Config(), dev, clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
sockets = SocketSet()
ping = subprocess.Popen(["ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "3", "fdaa::1"],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
waiter = Waiter([dev])
deadline = time.monotonic() + 20
while time.monotonic() < deadline and ping.poll() is None:
    iface.poll(clock(), dev, sockets)
    waiter.wait(Duration.from_millis(10))
rc = ping.wait(timeout=5)
c = iface.counters
print(json.dumps({"rc": rc, "echo": c.icmp_echo_replies_sent, "dropped": dict(c.dropped)}))
dev.close()
"""


def test_kernel_pings_the_stack_over_ipv6_on_tun(tap6_netns: str) -> None:
    # The packet's version nibble picks IPv6 on a TUN device (no link layer, no NDP).
    for cmd in (
        ["ip", "tuntap", "add", "name", "tun0", "mode", "tun"],
        ["sysctl", "-q", "-w", "net.ipv6.conf.tun0.accept_dad=0"],
        ["ip", "addr", "add", "fdaa:1::100/64", "dev", "tun0", "nodad"],
        ["ip", "link", "set", "tun0", "up"],
        ["ip", "-6", "route", "add", "fdaa::1/128", "dev", "tun0"],
    ):
        subprocess.run(
            ["ip", "netns", "exec", tap6_netns, *cmd], check=True, capture_output=True, timeout=10
        )
    result = subprocess.run(
        ["ip", "netns", "exec", tap6_netns, sys.executable, "-c", TUN],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["rc"] == 0 and out["echo"] >= 3, out
