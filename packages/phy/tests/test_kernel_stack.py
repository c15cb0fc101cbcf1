"""The stack over TAP and TUN against the Linux kernel, in a network namespace the test creates.

tap0 (or tun0) has 192.168.69.100/24 on the kernel side; the stack is 192.168.69.1. The kernel's
``ping`` must be answered by the stack, and a kernel UDP socket exchanges datagrams with a stack
UDP socket (the stack echoes them upper-cased). These need the interface of issue 3 and skip
until it exists.
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
raw = TapInterface(name) if kind == "tap" else TunInterface(name)
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
device.close()
print(json.dumps(out))
"""


def run_stack(netns, tmp_path, prelude: str, kind: str, name: str) -> dict:
    pcap = tmp_path / f"{kind}.pcap"
    result = netns.python(prelude + SCRIPT, kind, name, str(pcap), timeout=30)
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
