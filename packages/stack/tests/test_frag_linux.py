"""Fragmentation, reassembly and path MTU discovery against the Linux kernel over TAP.

Every test runs inside private network namespaces it creates and deletes. The kernel's tap0
has 192.168.69.100/24 and fdaa::100/64; the stack is 192.168.69.1 and fdaa::1.

- The kernel's ``ping -s 8000`` (IPv4 and ``-6``) is answered: the stack reassembles the
  request and fragments the reply, which the kernel reassembles.
- UDP datagrams of 8 KiB and 60 KiB go from a kernel socket to the stack and back (the stack
  echoes them), both IP versions, each checked by sha256.
- TCP through a router namespace whose link onwards has an MTU of 1280: the router's
  "fragmentation needed" / "packet too big" lowers the stack's path MTU, its segments shrink
  and a 1 MiB transfer completes, checked by sha256 at the far end.
- A "fragmentation needed" forged from the kernel's side (a raw socket) quoting a sequence
  number outside SND.UNA..SND.MAX changes nothing on the wire: segments stay full-sized and
  the transfer completes. (A genuine one cannot be forged from there: the kernel's ACKs of
  what is in flight reach the stack before it; the router test shows genuine ones.)
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


def _skip_reason() -> str | None:
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("ip") is None:
        return "needs Linux, root and iproute2 for a private network namespace"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    if importlib.util.find_spec("smoltcp.phy") is None:
        return "needs smoltcp-phy installed beside the stack (for the TAP device)"
    return None


def _run(ns: str, *cmd: str) -> None:
    subprocess.run(["ip", "netns", "exec", ns, *cmd], check=True, capture_output=True, timeout=10)


def _add_netns(prefix: str) -> str:
    name = f"{prefix}-{secrets.token_hex(4)}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, timeout=10)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {made.stderr.decode().strip()}")
    _run(name, "ip", "link", "set", "lo", "up")
    return name


def _del_netns(name: str) -> None:
    subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


@pytest.fixture
def tap_netns() -> Iterator[str]:
    """A namespace with tap0 (192.168.69.100/24, fdaa::100/64) for the stack."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    name = _add_netns("smoltcp-f")
    try:
        for cmd in (
            ("ip", "tuntap", "add", "name", "tap0", "mode", "tap"),
            ("sysctl", "-q", "-w", "net.ipv6.conf.tap0.accept_dad=0"),
            ("ip", "addr", "add", "192.168.69.100/24", "dev", "tap0"),
            ("ip", "addr", "add", "fdaa::100/64", "dev", "tap0", "nodad"),
            ("ip", "link", "set", "tap0", "up"),
        ):
            _run(name, *cmd)
        yield name
    finally:
        _del_netns(name)


@pytest.fixture
def routed_netns(tap_netns: str) -> Iterator[tuple[str, str]]:
    """``tap_netns`` as a router to a second namespace, 10.9.0.2/24 and fdaa:9::2/64, over a
    veth pair whose router end has an MTU of 1280 (the far end keeps 1500, so the far host
    offers a full-sized MSS and only the router can say the path is narrower)."""
    far = _add_netns("smoltcp-g")
    try:
        subprocess.run(
            ["ip", "-n", tap_netns, "link", "add", "veth0", "type", "veth", "peer", "name",
             "veth1", "netns", far],
            check=True, capture_output=True, timeout=10,
        )  # fmt: skip
        for cmd in (
            ("sysctl", "-q", "-w", "net.ipv4.ip_forward=1"),
            ("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"),
            ("sysctl", "-q", "-w", "net.ipv6.conf.veth0.accept_dad=0"),
            ("ip", "link", "set", "veth0", "mtu", "1280"),
            ("ip", "addr", "add", "10.9.0.1/24", "dev", "veth0"),
            ("ip", "addr", "add", "fdaa:9::1/64", "dev", "veth0", "nodad"),
            ("ip", "link", "set", "veth0", "up"),
        ):
            _run(tap_netns, *cmd)
        for cmd in (
            ("sysctl", "-q", "-w", "net.ipv6.conf.veth1.accept_dad=0"),
            ("ip", "addr", "add", "10.9.0.2/24", "dev", "veth1"),
            ("ip", "addr", "add", "fdaa:9::2/64", "dev", "veth1", "nodad"),
            ("ip", "link", "set", "veth1", "up"),
            ("ip", "route", "add", "default", "via", "10.9.0.1"),
            ("ip", "-6", "route", "add", "default", "via", "fdaa:9::1"),
        ):
            _run(far, *cmd)
        yield tap_netns, far
    finally:
        _del_netns(far)


def _python(ns: str, script: str, *args: str, timeout: float = 60) -> dict:
    result = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c", script, *args],
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


STACK = r"""
import hashlib, json, os, socket, subprocess, sys, time
from smoltcp.phy import TapInterface, Tracer, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpCidr, Ipv4Address, Ipv6Address

tap = TapInterface("tap0")
tcp_sizes = [[], []]  # the TCP/IP packets the stack sent: before and after a too-big
def watch(direction, now, frame):
    if direction.value != "tx" or len(frame) < 34:
        return
    ethertype = frame[12] << 8 | frame[13]
    if ethertype == 0x800 and frame[23] == 6:
        size = frame[16] << 8 | frame[17]
    elif ethertype == 0x86DD and frame[20] == 6:
        size = 40 + (frame[18] << 8 | frame[19])
    else:
        return
    tcp_sizes[iface.pmtu.lowered > 0].append(size)
dev = Tracer(tap, watch)
iface = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01")), dev, clock())
ADDRS = [IpCidr.parse("192.168.69.1/24"), IpCidr.parse("fdaa::1/64")]
iface.update_ip_addrs(lambda a: a.extend(ADDRS))
iface.routes.add_default_ipv4_route(Ipv4Address("192.168.69.100"))
iface.routes.add_default_ipv6_route(Ipv6Address("fdaa::100"))
sockets = SocketSet()
waiter = Waiter([tap])

def run(until, seconds, step=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        iface.poll(clock(), dev, sockets)
        if step is not None:
            step()
        if until():
            return True
        delay = iface.poll_delay(clock(), sockets)
        limit = Duration.from_millis(5)
        waiter.wait(limit if delay is None or delay > limit else delay)
    return False

def counters():
    c = iface.counters
    return {"dropped": dict(c.dropped), "reassembled": iface.reassembler.reassembled,
            "fragments": iface.fragmenter.fragments, "pmtu_lowered": iface.pmtu.lowered}
"""

PING_UDP = r"""
out = {}
pings = [
    subprocess.Popen(["ping", *v, "-n", "-c", "3", "-i", "0.2", "-W", "3", "-s", "8000", target],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for v, target in (([], "192.168.69.1"), (["-6"], "fdaa::1"))
]
run(lambda: all(p.poll() is not None for p in pings), 20)
out["ping_rc"] = [p.wait(timeout=5) for p in pings]
out["ping_out"] = [p.stdout.read() for p in pings]

udp = UdpSocket(PacketBuffer(16, 1 << 18), PacketBuffer(16, 1 << 18))
udp.bind(6969)
sockets.add(udp)
def echo():
    while udp.can_recv():
        data, src = udp.recv_from()
        udp.send_to(data, src)
out["udp"] = []
for family, addr in ((socket.AF_INET, "192.168.69.1"), (socket.AF_INET6, "fdaa::1")):
    k = socket.socket(family, socket.SOCK_DGRAM)
    k.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    k.setblocking(False)
    for size in (8192, 61440):
        data = os.urandom(size)
        k.sendto(data, (addr, 6969))
        got = []
        def take():
            try:
                got.append(k.recv(65536))
            except BlockingIOError:
                pass
        run(lambda: bool(got), 10, lambda: (echo(), take()))
        out["udp"].append([addr, size, hashlib.sha256(data).hexdigest(),
                           hashlib.sha256(got[0]).hexdigest() if got else None])
out["counters"] = counters()
dev.close()
print(json.dumps(out))
"""

TCP_PMTU = r"""
target = sys.argv[1]
data = os.urandom(1 << 20)
sock = TcpSocket(1 << 18, 1 << 18)
sockets.add(sock)
sock.connect(iface.context, (target, 7300), 41000)
sent = [0]
def push():
    if sock.can_send() and sent[0] < len(data):
        sent[0] += sock.send(data[sent[0]:sent[0] + 65536])
        if sent[0] == len(data):
            sock.close()
done = run(lambda: sent[0] == len(data) and sock.state in (
    TcpState.FIN_WAIT_2, TcpState.TIME_WAIT, TcpState.CLOSED), 60, push)
out = {"done": done, "state": str(sock.state), "sent": sent[0],
       "sha": hashlib.sha256(data).hexdigest(),
       "largest": [max(tcp_sizes[0], default=0), max(tcp_sizes[1][-100:], default=0)],
       "after_over": sum(1 for n in tcp_sizes[1] if n > 1280), "after_n": len(tcp_sizes[1]),
       "snd_mss": sock.tcb.snd_mss, "counters": counters()}
dev.close()
print(json.dumps(out))
"""

FAR = r"""
import hashlib, json, socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7300))
s.listen(1)
s.settimeout(60)
print("ready", flush=True)
conn, _ = s.accept()
conn.settimeout(60)
h = hashlib.sha256(); n = 0
while True:
    chunk = conn.recv(1 << 16)
    if not chunk:
        break
    h.update(chunk); n += len(chunk)
print(json.dumps({"n": n, "sha": h.hexdigest()}), flush=True)
"""


def test_kernel_ping_s_8000_and_large_udp_both_ways(tap_netns: str) -> None:
    if shutil.which("ping") is None:
        pytest.skip("needs ping (iputils)")
    out = _python(tap_netns, STACK + PING_UDP)
    assert out["ping_rc"] == [0, 0], out["ping_out"]
    for text in out["ping_out"]:
        assert "3 received" in text and "8008 bytes from" in text, text
    assert len(out["udp"]) == 4
    for addr, size, sent, got in out["udp"]:
        assert got == sent, (addr, size)
    c = out["counters"]
    assert c["reassembled"] >= 6 + 4 and c["fragments"] > 0
    assert not [r for r in c["dropped"] if r.startswith("fragment")], c


@pytest.mark.parametrize(("far_addr", "floor"), [("10.9.0.2", 1280), ("fdaa:9::2", 1280)])
def test_tcp_through_a_narrow_router_shrinks_its_segments(
    routed_netns: tuple[str, str], far_addr: str, floor: int
) -> None:
    router, far = routed_netns
    listener = subprocess.Popen(
        ["ip", "netns", "exec", far, sys.executable, "-c", FAR, far_addr],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert listener.stdout is not None
        assert listener.stdout.readline().strip() == "ready"
        out = _python(router, STACK + TCP_PMTU, far_addr, timeout=90)
        far_out, err = listener.communicate(timeout=30)
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait(timeout=5)
    assert out["done"], out
    got = json.loads(far_out.strip().splitlines()[-1])
    assert got == {"n": 1 << 20, "sha": out["sha"]}, err
    c = out["counters"]
    assert c["pmtu_lowered"] >= 1, c
    before, after = out["largest"]
    assert before == 1500  # full-sized until the router complained
    # Then cut to the path MTU (but for pieces of a super-segment cut before the message).
    assert after <= floor and out["after_n"] > 500 and out["after_over"] <= 45
    assert out["snd_mss"] <= floor - (60 if ":" in far_addr else 40)


FORGED = r"""
import struct, threading
from smoltcp.wire.checksum import internet_sum

data = os.urandom(4 << 20)
kl = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
kl.bind(("192.168.69.100", 7400))
kl.listen(1)
result = {}
def kernel_side():
    conn, _ = kl.accept()
    conn.settimeout(30)
    h = hashlib.sha256(); n = 0
    while True:
        chunk = conn.recv(1 << 16)
        if not chunk:
            break
        h.update(chunk); n += len(chunk)
        if n > (1 << 20) and not result.get("slow"):
            result["slow"] = True
    result.update(n=n, sha=h.hexdigest())
peer = threading.Thread(target=kernel_side, daemon=True)
peer.start()
sock = TcpSocket(1 << 18, 1 << 18)
sockets.add(sock)
sock.connect(iface.context, ("192.168.69.100", 7400), 41000)
sent = [0]
def push():
    if sock.can_send() and sent[0] < len(data):
        sent[0] += sock.send(data[sent[0]:sent[0] + 65536])
        if sent[0] == len(data):
            sock.close()

raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
def forge(seq, mtu):
    # What the stack sent (IP header with DF, then the TCP ports and sequence number), quoted
    # in a "fragmentation needed" from the kernel's side of the link.
    quoted = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, 0, 0x4000, 64, 6, 0,
                         socket.inet_aton("192.168.69.1"), socket.inet_aton("192.168.69.100"))
    quoted += struct.pack("!HHI", 41000, 7400, seq & 0xFFFFFFFF)
    msg = bytearray(struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quoted)
    s = ~internet_sum(msg, 0) & 0xFFFF
    msg[2:4] = s.to_bytes(2, "big")
    raw.sendto(bytes(msg), ("192.168.69.1", 0))

sizes = {"before": [], "forged": []}
phase = ["before"]
def sized(direction, now, frame):
    if direction.value == "tx" and len(frame) > 34 and frame[23] == 6:
        sizes[phase[0]].append(frame[16] << 8 | frame[17])
dev.callback = sized
run(lambda: sent[0] > (1 << 20), 20, push)
out = {"mss_before": sock.tcb.snd_mss}
una = int(sock.tcb.snd_una)
phase[0] = "forged"
forge(una + (1 << 30), 600)  # far outside SND.UNA..SND.MAX
run(lambda: sent[0] > (2 << 20), 20, push)
out["mss_forged"] = sock.tcb.snd_mss
out["pmtu_forged"] = len(iface.pmtu)
out["ignored_forged"] = iface.counters.dropped["icmp-tcp-out-of-window"]
run(lambda: sent[0] == len(data) and sock.state in (
    TcpState.FIN_WAIT_2, TcpState.TIME_WAIT, TcpState.CLOSED), 60, push)
peer.join(timeout=30)
out.update(result=result, sha=hashlib.sha256(data).hexdigest(), mss_end=sock.tcb.snd_mss,
           sizes={k: [len(v), max(v, default=0)] for k, v in sizes.items()},
           counters=counters())
dev.close()
print(json.dumps(out))
"""


def test_a_forged_out_of_window_fragmentation_needed_changes_nothing(tap_netns: str) -> None:
    out = _python(tap_netns, STACK + FORGED, timeout=120)
    assert out["result"] == {"n": 4 << 20, "sha": out["sha"], "slow": True}
    c = out["counters"]
    # The forged quote was ignored and counted; segments stayed full-sized after it.
    assert out["ignored_forged"] == 1, c
    assert out["mss_before"] == out["mss_forged"] == 1448  # 1460 less the timestamps
    assert out["pmtu_forged"] == 0
    assert out["sizes"]["forged"][0] > 100 and out["sizes"]["forged"][1] == 1500
    assert out["mss_end"] == 1448 and c["pmtu_lowered"] == 0
