"""The stack over TAP and TUN against the Linux kernel, in a network namespace the test creates.

tap0 (or tun0) has 192.168.69.100/24 on the kernel side; the stack is 192.168.69.1. The kernel's
``ping`` must be answered by the stack, and a kernel UDP socket exchanges datagrams with a stack
UDP socket (the stack echoes them upper-cased). These need the stack's interface and UDP socket
and skip without them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.netns

SCRIPT = r"""
import json, socket, subprocess, sys, time
from smoltcp.phy import FaultInjector, PcapWriter, TapInterface, Tracer, TunInterface, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.time import Duration

kind, name, pcap_path = sys.argv[1], sys.argv[2], sys.argv[3]
offload = len(sys.argv) > 4 and sys.argv[4] == "offload"
raw = TapInterface(name, offload=offload) if kind == "tap" else TunInterface(name)
traced = {"rx": 0, "tx": 0}
def count(direction, now, frame):
    traced[direction.value] += 1
device = Tracer(PcapWriter(raw, pcap_path), count)
mac = "02-00-00-00-00-01" if kind == "tap" else None
iface, sockets = make_stack(device, clock(), "192.168.69.1/24", mac)
handle = sockets.add(make_udp(6969))

ping = subprocess.Popen(["ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", "192.168.69.1"],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
kernel = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
kernel.bind(("192.168.69.100", 7000))
kernel.setblocking(False)
out = {"stack_got": [], "kernel_got": []}
sent = 0
next_send = time.monotonic()
waiter = Waiter([device])
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    if sent < 3 and time.monotonic() >= next_send:
        kernel.sendto(b"hello %d" % sent, ("192.168.69.1", 6969))
        sent += 1
        next_send = time.monotonic() + 0.1
    iface.poll(clock(), device, sockets)
    udp = sockets.get(handle)
    while udp.can_recv():
        data, source = udp.recv_from()
        out["stack_got"].append([bytes(data).decode(), str(source)])
        udp.send_to(bytes(data).upper(), source)
    iface.poll(clock(), device, sockets)
    try:
        data, source = kernel.recvfrom(2048)
        out["kernel_got"].append([data.decode(), "%s:%d" % source])
    except BlockingIOError:
        pass
    if ping.poll() is not None and len(out["kernel_got"]) >= 3:
        break
    delay = iface.poll_delay(clock(), sockets)
    limit = Duration.from_millis(20)
    waiter.wait(limit if delay is None or delay > limit else delay)
ping.wait(timeout=5)
out["ping_rc"] = ping.returncode
out["ping_out"] = ping.stdout.read()
out["traced"] = traced
out["checksums_completed"] = raw.rx_checksums_completed
device.close()
print(json.dumps(out))
"""


def run_stack(netns, tmp_path, prelude: str, kind: str, name: str, *extra: str) -> dict:
    pcap = tmp_path / f"{kind}.pcap"
    result = netns.python(prelude + SCRIPT, kind, name, str(pcap), *extra, timeout=30)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    out["pcap"] = pcap
    return out


def check(out: dict, pcap_reader) -> None:
    assert out["ping_rc"] == 0, out["ping_out"]
    assert "3 received" in out["ping_out"]
    assert out["stack_got"] == [[f"hello {i}", "192.168.69.100:7000"] for i in range(3)]
    assert out["kernel_got"] == [[f"HELLO {i}", "192.168.69.1:6969"] for i in range(3)]
    records = pcap_reader(out["pcap"].read_bytes()).records
    assert len(records) == out["traced"]["rx"] + out["traced"]["tx"]
    assert out["traced"]["rx"] >= 6 and out["traced"]["tx"] >= 6


@pytest.fixture
def prelude(stack_api) -> str:
    """Return the stack set-up code for the scripts (skips until the stack has it)."""
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("no /dev/net/tun")
    return stack_api["PRELUDE"]


def test_stack_over_tap_answers_ping_and_udp(netns, tmp_path, pcap_reader, prelude):
    netns.ip("tuntap", "add", "dev", "tap0", "mode", "tap")
    netns.ip("addr", "add", "192.168.69.100/24", "dev", "tap0")
    netns.ip("link", "set", "tap0", "up")
    out = run_stack(netns, tmp_path, prelude, "tap", "tap0")
    check(out, pcap_reader)
    assert pcap_reader(out["pcap"].read_bytes()).link_type == 1
    check_with_tshark(out["pcap"])


def test_stack_over_tap_with_offload_answers_ping_and_udp(netns, tmp_path, pcap_reader, prelude):
    """With offloads the kernel leaves UDP and ICMP checksums partial; the device completes them."""
    netns.ip("tuntap", "add", "dev", "tap0", "mode", "tap")
    netns.ip("addr", "add", "192.168.69.100/24", "dev", "tap0")
    netns.ip("link", "set", "tap0", "up")
    out = run_stack(netns, tmp_path, prelude, "tap", "tap0", "offload")
    check(out, pcap_reader)
    assert out["checksums_completed"] >= 3  # at least the kernel's three UDP datagrams
    check_with_tshark(out["pcap"])


def test_stack_over_tun_answers_ping_and_udp(netns, tmp_path, pcap_reader, prelude):
    netns.ip("tuntap", "add", "dev", "tun0", "mode", "tun")
    netns.ip("addr", "add", "192.168.69.100/24", "dev", "tun0")
    netns.ip("link", "set", "tun0", "up")
    out = run_stack(netns, tmp_path, prelude, "tun", "tun0")
    check(out, pcap_reader)
    assert pcap_reader(out["pcap"].read_bytes()).link_type == 101
    check_with_tshark(out["pcap"])


def check_with_tshark(path) -> None:
    """The capture of a real run dissects cleanly: echo replies and UDP answers from the stack."""
    if shutil.which("tshark") is None:
        return
    result = subprocess.run(
        ["tshark", "-n", "-r", str(path), "-T", "fields", "-e", "_ws.col.Protocol",
         "-e", "ip.src", "-e", "icmp.type", "-e", "udp.srcport", "-e", "_ws.malformed"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert all(row[4] == "" for row in rows), "tshark found a malformed frame"
    from_stack = [row for row in rows if row[1] == "192.168.69.1"]
    assert sum(row[2] == "0" for row in from_stack) == 3  # echo replies
    assert sum(row[3] == "6969" for row in from_stack) == 3  # UDP answers


# The kernel sends SIZE octets over TCP to a stack socket, which hashes what it reads. Runs
# inside the namespace; prints a JSON summary. The kernel's side runs in a thread of this
# process, with an ordinary blocking socket.
TCP_SCRIPT = r"""
import hashlib, json, socket, sys, threading, time
from smoltcp.phy import TapInterface, Tracer, TunInterface, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Duration

offload = sys.argv[1] == "offload"
SIZE = int(sys.argv[2])
kind = sys.argv[3]
data = bytes((i * 7 + i // 251) & 0xFF for i in range(SIZE))
raw = (TapInterface if kind == "tap" else TunInterface)(kind + "0", offload=offload)
largest = [0]
def watch(direction, now, frame):
    if direction.value == "rx" and len(frame) > largest[0]:
        largest[0] = len(frame)
device = Tracer(raw, watch)
mac = "02-00-00-00-00-01" if kind == "tap" else None
iface, sockets = make_stack(device, clock(), "192.168.69.1/24", mac)
sock = TcpSocket(1 << 20, 1 << 20)
sockets.add(sock)
sock.listen(6970)
errors = []
def kernel_side():
    try:
        with socket.create_connection(("192.168.69.1", 6970), timeout=10) as conn:
            conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(65536):
                pass
    except Exception as exc:
        errors.append(repr(exc))
peer = threading.Thread(target=kernel_side, daemon=True)
peer.start()
digest = hashlib.sha256()
got = 0
sink = bytearray(1 << 16)
waiter = Waiter([device])
deadline = time.monotonic() + 20
while time.monotonic() < deadline and (peer.is_alive() or sock.state is not TcpState.CLOSED):
    iface.poll(clock(), device, sockets)
    while sock.can_recv():
        n = sock.recv_into(sink)
        if not n:
            break
        digest.update(sink[:n])
        got += n
    if sock.state is TcpState.CLOSE_WAIT and not sock.can_recv():
        sock.close()
    if sock.state in (TcpState.CLOSED, TcpState.TIME_WAIT) and not peer.is_alive():
        break
    delay = iface.poll_delay(clock(), sockets)
    limit = Duration.from_millis(5)
    waiter.wait(limit if delay is None or delay > limit else delay)
print(json.dumps({
    "got": got,
    "ok": digest.hexdigest() == hashlib.sha256(data).hexdigest(),
    "errors": errors,
    "largest_rx_frame": largest[0],
    "checksums_completed": raw.rx_checksums_completed,
}))
"""


@pytest.mark.parametrize("kind", ["tap", "tun"])
@pytest.mark.parametrize("mode", ["plain", "offload"])
def test_kernel_tcp_stream_reaches_the_stack_intact(netns, prelude, mode, kind):
    """A 4 MB stream from the kernel arrives whole; with offload, in frames beyond the MTU."""
    name = kind + "0"
    netns.ip("tuntap", "add", "dev", name, "mode", kind)
    netns.ip("addr", "add", "192.168.69.100/24", "dev", name)
    netns.ip("link", "set", name, "up")
    size = 4 << 20
    result = netns.python(prelude + TCP_SCRIPT, mode, str(size), kind, timeout=60)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["errors"] == []
    assert out["got"] == size and out["ok"]
    mtu = 1514 if kind == "tap" else 1500
    if mode == "offload":
        assert out["largest_rx_frame"] > mtu
        assert out["checksums_completed"] > 0
    else:
        assert out["largest_rx_frame"] <= mtu
        assert out["checksums_completed"] == 0
