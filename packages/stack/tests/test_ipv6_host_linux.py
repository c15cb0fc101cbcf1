"""IPv6 host duties against the Linux kernel over TAP, inside a private network namespace.

The kernel's tap0 has fdaa::100/64 (without duplicate address detection, so it is usable at
once; the kernel still runs detection for addresses added later); the stack has fdaa::1/64 and
the link-local address of its MAC. Each test runs one script in the namespace, bounded in time
and rounds, and writes a capture that tshark (when installed) dissects with no malformed frame:

- duplicate address detection both ways: the kernel adding fdaa::1 (ours) marks it
  ``dadfailed`` after the stack's advertisement; the stack probing fdaa::100 (the kernel's)
  finds it taken;
- a duplicated link-local address (the kernel holds the one formed from our MAC) disables IPv6
  (RFC 4862 5.4.5: logged, counted; IPv4 goes on) until a new MAC, whose link-local address
  passes detection;
- multicast: a datagram the kernel sends to a group the stack joined reaches the stack's
  socket, one the stack sends to a group the kernel joined reaches the kernel's (with hop
  limit 1, read from its ancillary data; an IPv4 group's datagram with TTL 1), and the
  stack's MLDv2 reports (join, then leave) are in the capture; with tap0 in a bridge that
  snoops MLD, the kernel learns the stack's membership from its report (``bridge mdb``) and
  forgets it at the leave;
- SLAAC lifetimes: an address formed from an advertisement with short lifetimes is probed,
  used, deprecated (new traffic leaves from another address) and removed;
- raw IPv6 sockets (an experimental next header both ways, an ICMPv6 echo whose checksum the
  stack computes) and per-socket hop limits the kernel reads from its ancillary data.
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
from pathlib import Path

import pytest

pytestmark = pytest.mark.netns

PRELUDE = r"""
import json, socket, struct, subprocess, sys, time
from smoltcp.phy import PcapWriter, TapInterface, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import IcmpEndpoint, IcmpSocket, RawIpSocket, SocketSet, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.tcp import TcpSocket
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv6Address

def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout

tap = TapInterface("tap0")
dev = PcapWriter(tap, sys.argv[1])
MAC = EthernetAddress.parse("02-00-00-00-00-01")
sockets = SocketSet()
waiter = Waiter([tap])

def run(iface, done, seconds):
    # Poll until done() or the time is up; return whether done.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        iface.poll(clock(), dev, sockets)
        if done():
            return True
        delay = iface.poll_delay(clock(), sockets)
        limit = Duration.from_millis(10)
        waiter.wait(limit if delay is None or delay > limit else delay)
    return False
"""

DAD = (
    PRELUDE
    + r"""
iface = Interface(Config(hardware_addr=MAC), dev, clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
out = {}
run(iface, lambda: False, 0.3)
# The kernel wants our address: its probe from :: is answered, and it gives up the address.
sh("ip", "-6", "addr", "add", "fdaa::1/64", "dev", "tap0")
out["dadfailed"] = run(
    iface, lambda: "dadfailed" in sh("ip", "-6", "addr", "show", "dev", "tap0", "to", "fdaa::1"), 8)
out["kernel_addr"] = sh("ip", "-6", "addr", "show", "dev", "tap0", "to", "fdaa::1")
# We want the kernel's address: our probe gets its advertisement.
iface.add_ip_addr(IpCidr.parse("fdaa::100/64"), clock(), probe=True)
events = []
run(iface, lambda: bool(events.extend(iface.dad.events()) or events), 5)
out["events"] = [[e.kind.value, str(e.addr), None if e.hardware_addr is None
                  else e.hardware_addr.hex()] for e in events]
out["kmac"] = open("/sys/class/net/tap0/address").read().strip().replace(":", "")
out["addrs"] = [str(a) for a in iface.ipv6_addrs()]
out["dad"] = iface.dad.counters.as_dict()
dev.close()
print(json.dumps(out))
"""
)

DISABLE = (
    PRELUDE
    + r"""
import logging
from smoltcp.stack.iface.dad import DadConfig
# The kernel holds the link-local address formed from our MAC (as a second host with our
# MAC would), and an IPv4 address beside ours.
sh("ip", "-6", "addr", "add", "fe80::ff:fe00:1/64", "dev", "tap0", "nodad")
sh("ip", "addr", "add", "192.168.69.100/24", "dev", "tap0")
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())
logging.getLogger("smoltcp.stack.iface").addHandler(Keep(logging.WARNING))
logging.getLogger("smoltcp.stack.iface").setLevel(logging.WARNING)
iface = Interface(Config(hardware_addr=MAC, dad=DadConfig(link_local=True)), dev, clock())
iface.update_ip_addrs(lambda a: a.extend([IpCidr.parse("fdaa::1/64"),
                                          IpCidr.parse("192.168.69.1/24")]))
def ping(addr, wait, six=True):
    # The stack is polled while ping waits for its answer.
    p = subprocess.Popen(["ping", "-6" if six else "-4", "-n", "-c", "1", "-W", str(wait), addr],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run(iface, lambda: p.poll() is not None, wait + 2)
    return p.wait(timeout=5)
out = {"disabled": run(iface, lambda: iface.ipv6_disabled, 4)}
out["events"] = [[e.kind.value, str(e.addr)] for e in iface.dad.events()]
out["log"] = records
out["ping6_disabled"] = ping("fdaa::1", 1)
out["ping4_disabled"] = ping("192.168.69.1", 2, six=False)
out["dropped"] = iface.counters.dropped["ipv6-disabled"]
out["counters"] = iface.dad.counters.as_dict()
iface.set_hardware_addr(EthernetAddress.parse("02-00-00-00-00-0a"), clock())
out["enabled"] = not iface.ipv6_disabled
new_ll = Ipv6Address("fe80::ff:fe00:a")
out["new_ll_ready"] = run(iface, lambda: new_ll in iface.ipv6_addrs(), 4)
out["ping6_enabled"] = ping("fdaa::1", 2)
out["ping6_new_ll"] = ping("fe80::ff:fe00:a%tap0", 2)
dev.close()
print(json.dumps(out))
"""
)

MULTICAST = (
    PRELUDE
    + r"""
iface = Interface(Config(hardware_addr=MAC), dev, clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
index = socket.if_nametoindex("tap0")
udp = UdpSocket(PacketBuffer(8, 4096), PacketBuffer(8, 4096))
udp.bind(7001)
sockets.add(udp)
iface.join_multicast_group(Ipv6Address("ff12::4243"), clock())
k = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
k.bind(("::", 7000))
k.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
             socket.inet_pton(socket.AF_INET6, "ff12::4242") + struct.pack("@I", index))
k.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
k.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
k.setblocking(False)
out = {"stack_got": None, "kernel_got": None}
def step():
    if out["stack_got"] is None:
        k.sendto(b"kernel to ff12::4243", ("ff12::4243", 7001, 0, index))
    if udp.can_recv():
        data, src = udp.recv_from()
        out["stack_got"] = [data.decode(), str(src.addr)]
    if out["kernel_got"] is None and udp.can_send():
        udp.send_to(b"stack to ff12::4242", IpEndpoint(Ipv6Address("ff12::4242"), 7000))
    try:
        data, anc, _, src = k.recvmsg(2048, socket.CMSG_SPACE(4))
        hl = [struct.unpack("@i", d)[0] for lvl, typ, d in anc
              if lvl == socket.IPPROTO_IPV6 and typ == socket.IPV6_HOPLIMIT]
        out["kernel_got"] = [data.decode(), src[0], hl[0] if hl else None]
    except BlockingIOError:
        pass
    return out["stack_got"] is not None and out["kernel_got"] is not None
for _ in range(40):  # a round every 0.1 s, 4 s at most
    if run(iface, step, 0.1):
        break
out["maddr"] = sh("ip", "-6", "maddr", "show", "dev", "tap0")
run(iface, lambda: False, 1.2)  # the join's repeat goes within the Unsolicited Report Interval
iface.leave_multicast_group(Ipv6Address("ff12::4243"), clock())
run(iface, lambda: False, 1.5)
out["reports"] = iface.mld.reports_sent
dev.close()
print(json.dumps(out))
"""
)

MULTICAST4 = (
    PRELUDE
    + r"""
from smoltcp.wire import Ipv4Address
sh("ip", "addr", "add", "192.168.69.100/24", "dev", "tap0")
iface = Interface(Config(hardware_addr=MAC), dev, clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("192.168.69.1/24")))
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)  # Linux's value where Python lacks the name
k = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
k.bind(("0.0.0.0", 7002))
k.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton("239.1.2.3") + socket.inet_aton("192.168.69.100")
             + struct.pack("@i", socket.if_nametoindex("tap0")))
k.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
k.setblocking(False)
udp = UdpSocket(PacketBuffer(8, 4096), PacketBuffer(8, 4096))
udp.bind(7003)
udp.hop_limit = 50
sockets.add(udp)
out = {"got": []}
group = IpEndpoint(Ipv4Address("239.1.2.3"), 7002)
udp.send_to(b"group", group)
def step():
    # One datagram at a time: the second, after the first arrived, with the new limit.
    try:
        data, anc, _, src = k.recvmsg(2048, socket.CMSG_SPACE(4))
        ttl = [struct.unpack("@i", d)[0] for lvl, typ, d in anc
               if lvl == socket.IPPROTO_IP and typ == socket.IP_TTL]
        out["got"].append([data.decode(), src[0], ttl[0] if ttl else None])
        if len(out["got"]) == 1:
            udp.set_multicast_hop_limit(4)
            udp.send_to(b"group", group)
    except BlockingIOError:
        pass
    return len(out["got"]) >= 2
for _ in range(30):  # a round every 0.1 s, 3 s at most
    if run(iface, step, 0.1):
        break
dev.close()
print(json.dumps(out))
"""
)

BRIDGE = (
    PRELUDE
    + r"""
iface = Interface(Config(hardware_addr=MAC), dev, clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
def mdb():
    return sh("bridge", "mdb", "show", "dev", "br0")
out = {"before": mdb()}
iface.join_multicast_group(Ipv6Address("ff12::4243"), clock())
out["learned"] = run(iface, lambda: "port tap0 grp ff12::4243" in mdb(), 5)
out["joined"] = mdb()
iface.leave_multicast_group(Ipv6Address("ff12::4243"), clock())
out["forgotten"] = run(iface, lambda: "ff12::4243" not in mdb(), 5)
out["left"] = mdb()
dev.close()
print(json.dumps(out))
"""
)

SLAAC = (
    PRELUDE
    + r"""
from scapy.layers.inet6 import ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr, IPv6
from scapy.layers.l2 import Ether
from scapy.sendrecv import sendp
sh("ip", "-6", "addr", "add", "fe80::100/64", "dev", "tap0", "nodad")
sh("ip", "-6", "addr", "add", "fdcc::100/64", "dev", "tap0", "nodad")
kmac = open("/sys/class/net/tap0/address").read().strip()
k = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
k.bind(("fdcc::100", 7000))
k.setblocking(False)
iface = Interface(Config(hardware_addr=MAC, slaac=True), dev, clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
udp = UdpSocket(PacketBuffer(8, 4096), PacketBuffer(8, 4096))
udp.bind(6000)
sockets.add(udp)
formed = Ipv6Address("fdcc::ff:fe00:1")
ra = (Ether(src=kmac, dst="33:33:00:00:00:01") / IPv6(src="fe80::100", dst="ff02::1", hlim=255)
      / ICMPv6ND_RA(routerlifetime=0) / ICMPv6NDOptSrcLLAddr(lladdr=kmac)
      / ICMPv6NDOptPrefixInfo(prefix="fdcc::", prefixlen=64, validlifetime=12,
                              preferredlifetime=6))
run(iface, lambda: False, 0.2)
sendp(ra, iface="tap0", verbose=False)
out = {"seen": []}
def ping(wait):
    # The stack is polled while ping waits for its answer.
    p = subprocess.Popen(["ping", "-6", "-n", "-c", "1", "-W", str(wait), str(formed)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run(iface, lambda: p.poll() is not None, wait + 2)
    return p.wait(timeout=5)
def note(state):
    if not out["seen"] or out["seen"][-1] != state:
        out["seen"].append(state)
def sources():
    got = []
    try:
        while True:
            data, src = k.recvfrom(2048)
            got.append([data.decode(), src[0]])
    except BlockingIOError:
        pass
    return got
run(iface, lambda: formed in iface.dad.tentative, 2)
note("tentative")
run(iface, lambda: formed in iface.ipv6_addrs(), 4)
note("preferred")
out["ping_preferred"] = ping(2)
udp.send_to(b"while preferred", IpEndpoint(Ipv6Address("fdcc::100"), 7000))
run(iface, lambda: formed in iface.slaac.deprecated, 10)
note("deprecated" if formed in iface.ipv6_addrs() else "gone-early")
udp.send_to(b"while deprecated", IpEndpoint(Ipv6Address("fdcc::100"), 7000))
run(iface, lambda: False, 0.5)
out["ping_deprecated"] = ping(2)
run(iface, lambda: formed not in iface.ipv6_addrs(), 12)
note("removed" if formed not in iface.ipv6_addrs() else "kept")
out["ping_removed"] = ping(1)
out["kernel_got"] = sources()
dev.close()
print(json.dumps(out))
"""
)

RAW = (
    PRELUDE
    + r"""
iface = Interface(Config(hardware_addr=MAC), dev, clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
raw = RawIpSocket(6, 253, 8192, 8192)
raw.hop_limit = 33
icmp_raw = RawIpSocket(6, 58, 8192, 8192)
udp = UdpSocket(PacketBuffer(8, 4096), PacketBuffer(8, 4096))
udp.bind(6000)
udp.hop_limit = 7
tcp = TcpSocket(4096, 4096)
tcp.hop_limit = 9
ping = IcmpSocket(PacketBuffer(4, 1500), PacketBuffer(4, 1500))
ping.bind(IcmpEndpoint.ident(0x6262))
ping.hop_limit = 11
for s in (raw, icmp_raw, udp, tcp, ping):
    sockets.add(s)
kr = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 253)
kr.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
kr.setblocking(False)
ku = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
ku.bind(("fdaa::100", 7000))
ku.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
ku.setblocking(False)
kl = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
kl.bind(("fdaa::100", 7100))
kl.listen(1)
out = {"stack_raw": None, "kernel_raw": None, "echo_reply": None, "udp": None, "ping": None}

def header(nh, plen, hlim=64, src="fdaa::1", dst="fdaa::100"):
    return (struct.pack("!IHBB", 6 << 28, plen, nh, hlim)
            + socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst))

def hop_limit(msg):
    data, anc, _, src = msg
    hl = [struct.unpack("@i", d)[0] for lvl, typ, d in anc
          if lvl == socket.IPPROTO_IPV6 and typ == socket.IPV6_HOPLIMIT]
    return data, (hl[0] if hl else None), src[0]

kr.sendto(b"kernel raw 253", ("fdaa::1", 0))
body = b"stack raw 253"
raw.send_slice(header(253, len(body)) + body)
# An echo request with a zero checksum: the stack computes it (RFC 3542 3.1).
echo = struct.pack("!BBHHH", 128, 0, 0, 0x5151, 1) + b"raw ping"
icmp_raw.send_slice(header(58, len(echo)) + echo)
udp.send_to(b"hop limit 7", IpEndpoint(Ipv6Address("fdaa::100"), 7000))
tcp.connect(iface.context, ("fdaa::100", 7100), 40000)
# An echo socket bound by identifier: the kernel's reply comes back to it by that identifier
# (the stack computes the checksum over the pseudo-header).
ping.send_to(struct.pack("!BBHHH", 128, 0, 0, 0x6262, 5) + b"by ident", Ipv6Address("fdaa::100"))
def step():
    while raw.can_recv():
        pkt = raw.recv()
        out["stack_raw"] = [pkt[6], pkt[40:].decode()]
    while icmp_raw.can_recv():
        pkt = icmp_raw.recv()
        # It sees every ICMPv6 message: the ping socket's reply too.
        if pkt[40] == 129 and pkt[44:46] == b"\x51\x51":
            out["echo_reply"] = list(struct.unpack("!HH", pkt[44:48]))
    while ping.can_recv():
        data, src = ping.recv_from()
        if data[0] == 129:
            out["ping"] = [list(struct.unpack("!HH", bytes(data[4:8]))), str(src)]
    for s, key in ((kr, "kernel_raw"), (ku, "udp")):
        try:
            data, hl, src = hop_limit(s.recvmsg(2048, socket.CMSG_SPACE(4)))
            out[key] = [data.decode(), hl, src]
        except BlockingIOError:
            pass
    return all(v is not None for v in out.values()) and tcp.may_send()
run(iface, step, 8)
out["tcp"] = str(tcp.state)
dev.close()
print(json.dumps(out))
"""
)


@pytest.fixture
def tap6dad_netns() -> Iterator[str]:
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs Linux, root and iproute2 for a private network namespace")
    if shutil.which("ping") is None:
        pytest.skip("needs ping (iputils) for ping -6")
    if importlib.util.find_spec("smoltcp.phy") is None:
        pytest.skip("needs smoltcp-phy installed beside the stack (for the TAP device)")
    name = f"smoltcp-6h-{secrets.token_hex(4)}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, timeout=10)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {made.stderr.decode().strip()}")
    try:
        for cmd in (
            ["ip", "link", "set", "lo", "up"],
            ["ip", "tuntap", "add", "name", "tap0", "mode", "tap"],
            ["sysctl", "-q", "-w", "net.ipv6.conf.tap0.accept_dad=1"],
            ["sysctl", "-q", "-w", "net.ipv6.conf.tap0.accept_ra=0"],
            ["ip", "addr", "add", "fdaa::100/64", "dev", "tap0", "nodad"],
            ["ip", "link", "set", "tap0", "up"],
        ):
            subprocess.run(
                ["ip", "netns", "exec", name, *cmd], check=True, capture_output=True, timeout=10
            )
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


@pytest.fixture
def bridge6_netns() -> Iterator[str]:
    """A namespace whose tap0 is a port of br0, a bridge that snoops MLD (fast leave on)."""
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("bridge") is None:
        pytest.skip("needs Linux, root and iproute2 (ip, bridge)")
    if importlib.util.find_spec("smoltcp.phy") is None:
        pytest.skip("needs smoltcp-phy installed beside the stack (for the TAP device)")
    name = f"smoltcp-6b-{secrets.token_hex(4)}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, timeout=10)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {made.stderr.decode().strip()}")
    try:
        for cmd in (
            ["ip", "link", "set", "lo", "up"],
            ["ip", "tuntap", "add", "name", "tap0", "mode", "tap"],
            ["ip", "link", "add", "br0", "type", "bridge", "mcast_snooping", "1"],
            ["ip", "link", "set", "br0", "type", "bridge", "mcast_mld_version", "2"],
            ["ip", "link", "set", "tap0", "master", "br0"],
            ["bridge", "link", "set", "dev", "tap0", "fastleave", "on"],
            ["ip", "addr", "add", "fdaa::100/64", "dev", "br0", "nodad"],
            ["ip", "link", "set", "tap0", "up"],
            ["ip", "link", "set", "br0", "up"],
        ):
            done = subprocess.run(
                ["ip", "netns", "exec", name, *cmd], capture_output=True, timeout=10
            )
            if done.returncode != 0:
                pytest.skip(f"{' '.join(cmd)}: {done.stderr.decode().strip()}")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def _run(netns: str, script: str, pcap: Path) -> dict:  # type: ignore[type-arg]
    result = subprocess.run(
        ["ip", "netns", "exec", netns, sys.executable, "-c", script, str(pcap)],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    _no_malformed_frame(pcap)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


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


def _frames(pcap: Path) -> list:  # type: ignore[type-arg]
    from scapy.layers.l2 import Ether
    from scapy.utils import rdpcap

    return [Ether(bytes(p)) for p in rdpcap(str(pcap))]


def test_duplicate_address_detection_both_ways(tap6dad_netns: str, tmp_path: Path) -> None:
    from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6ND_NS, IPv6

    pcap = tmp_path / "dad.pcap"
    out = _run(tap6dad_netns, DAD, pcap)
    assert out["dadfailed"], out["kernel_addr"]
    assert out["events"] == [["taken", "fdaa::100", out["kmac"]]], out
    assert "fdaa::100" not in out["addrs"]
    assert out["dad"]["probes_sent"] == 1 and out["dad"]["duplicates"] == 1
    frames = _frames(pcap)
    # The kernel's probe for fdaa::1, our answer to all nodes; our probe for fdaa::100.
    probes = [(f[IPv6].src, f[ICMPv6ND_NS].tgt, f.src) for f in frames if ICMPv6ND_NS in f]
    assert any(src == "::" and tgt == "fdaa::1" for src, tgt, _ in probes), probes
    assert ("::", "fdaa::100", "02:00:00:00:00:01") in probes
    answers = [(f[IPv6].dst, f[ICMPv6ND_NA].tgt) for f in frames if ICMPv6ND_NA in f]
    assert ("ff02::1", "fdaa::1") in answers


def test_a_duplicated_link_local_address_disables_ipv6_until_a_new_mac(
    tap6dad_netns: str, tmp_path: Path
) -> None:
    from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6ND_NS, IPv6

    pcap = tmp_path / "disable.pcap"
    out = _run(tap6dad_netns, DISABLE, pcap)
    # The kernel answers our probe for fe80::ff:fe00:1: IPv6 goes off (RFC 4862 5.4.5),
    # logged and counted; IPv4 goes on.
    assert out["disabled"], out
    assert out["events"] == [["taken", "fe80::ff:fe00:1"]]
    assert any("IPv6 disabled" in line for line in out["log"]), out["log"]
    assert out["counters"]["ipv6_disabled"] == 1
    assert out["ping6_disabled"] != 0
    assert out["ping4_disabled"] == 0
    assert out["dropped"] > 0  # the kernel's solicitations and echo requests
    # A new MAC: its link-local address passes detection and IPv6 works again.
    assert out["enabled"] and out["new_ll_ready"], out
    assert out["ping6_enabled"] == 0 and out["ping6_new_ll"] == 0
    frames = _frames(pcap)
    old = "02:00:00:00:00:01"
    probe = [
        i
        for i, f in enumerate(frames)
        if ICMPv6ND_NS in f and f[IPv6].src == "::" and f[ICMPv6ND_NS].tgt == "fe80::ff:fe00:1"
    ]
    answer = [
        i
        for i, f in enumerate(frames)
        if ICMPv6ND_NA in f and f[ICMPv6ND_NA].tgt == "fe80::ff:fe00:1" and f.src != old
    ]
    assert probe and answer and probe[0] < answer[0], (probe, answer)
    # Nothing IPv6 leaves the old MAC after the kernel's answer.
    assert [i for i, f in enumerate(frames) if i > answer[0] and IPv6 in f and f.src == old] == []
    # The new link-local address was probed from the new MAC.
    assert any(
        ICMPv6ND_NS in f
        and f.src == "02:00:00:00:00:0a"
        and f[ICMPv6ND_NS].tgt == "fe80::ff:fe00:a"
        for f in frames
    )


def test_multicast_udp_both_ways_with_mld_reports(tap6dad_netns: str, tmp_path: Path) -> None:
    from scapy.layers.inet6 import ICMPv6MLReport2, IPv6

    pcap = tmp_path / "mld.pcap"
    out = _run(tap6dad_netns, MULTICAST, pcap)
    assert out["stack_got"] is not None and out["stack_got"][0] == "kernel to ff12::4243"
    # A link-scope group gets our link-local source (RFC 6724 5 rule 2), as Linux sends.
    # The kernel reads hop limit 1: a datagram to a group leaves with the socket's multicast
    # hop limit (RFC 3493 IPV6_MULTICAST_HOPS), not the unicast one (64).
    assert out["kernel_got"] == ["stack to ff12::4242", "fe80::ff:fe00:1", 1], out
    assert "ff12::4242" in out["maddr"]
    ours = [
        (r.rtype, r.dst)
        for f in _frames(pcap)
        if ICMPv6MLReport2 in f and f.src == "02:00:00:00:00:01"
        for r in f[ICMPv6MLReport2].records
    ]
    # Join reported twice (Robustness Variable 2), then the leave twice: INCLUDE {}.
    assert ours == [(4, "ff12::4243")] * 2 + [(3, "ff12::4243")] * 2, ours
    assert out["reports"] == 4
    sources = {f[IPv6].src for f in _frames(pcap) if ICMPv6MLReport2 in f and f.src.endswith("01")}
    assert sources == {"fe80::ff:fe00:1"}


def test_ipv4_multicast_leaves_with_the_multicast_ttl(tap6dad_netns: str, tmp_path: Path) -> None:
    out = _run(tap6dad_netns, MULTICAST4, tmp_path / "mcast4.pcap")
    # IP_MULTICAST_TTL's default, 1, not the socket's unicast hop limit (50); then as set.
    assert out["got"] == [["group", "192.168.69.1", 1], ["group", "192.168.69.1", 4]], out


def test_a_snooping_bridge_learns_our_membership_from_the_report(
    bridge6_netns: str, tmp_path: Path
) -> None:
    out = _run(bridge6_netns, BRIDGE, tmp_path / "bridge.pcap")
    assert "ff12::4243" not in out["before"]
    assert out["learned"], out["joined"]
    assert out["forgotten"], out["left"]


def test_slaac_address_lifetimes(tap6dad_netns: str, tmp_path: Path) -> None:
    pcap = tmp_path / "slaac.pcap"
    out = _run(tap6dad_netns, SLAAC, pcap)
    assert out["seen"] == ["tentative", "preferred", "deprecated", "removed"], out
    assert out["ping_preferred"] == 0
    assert out["ping_deprecated"] == 0  # still answered on (RFC 4862 5.5.4)
    assert out["ping_removed"] != 0
    assert out["kernel_got"] == [
        ["while preferred", "fdcc::ff:fe00:1"],
        ["while deprecated", "fdaa::1"],  # a deprecated address is no new source
    ]


def test_raw_ipv6_sockets_and_hop_limits(tap6dad_netns: str, tmp_path: Path) -> None:
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import IPv6

    pcap = tmp_path / "raw6.pcap"
    out = _run(tap6dad_netns, RAW, pcap)
    assert out["stack_raw"] == [253, "kernel raw 253"], out
    assert out["kernel_raw"] == ["stack raw 253", 33, "fdaa::1"]
    assert out["echo_reply"] == [0x5151, 1]
    assert out["ping"] == [[0x6262, 5], "fdaa::100"]
    assert out["udp"] == ["hop limit 7", 7, "fdaa::1"]
    assert out["tcp"] == "ESTABLISHED"
    frames = _frames(pcap)
    syn = [f for f in frames if TCP in f and f[TCP].flags == "S"]
    assert syn and syn[0][IPv6].hlim == 9
    from scapy.layers.inet6 import ICMPv6EchoRequest

    echo = [f for f in frames if ICMPv6EchoRequest in f and f[ICMPv6EchoRequest].id == 0x6262]
    assert echo and echo[0][IPv6].hlim == 11
