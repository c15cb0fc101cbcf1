"""The PACKET_MMAP device against the Linux kernel over a veth pair in a namespace the test creates.

v0 is the kernel's end (10.9.9.1/24, offloads as a veth has them by default: the kernel hands
over 64 KiB TCP segments with partial checksums); the device sits on v1 under a stack at
10.9.9.2. The kernel pings the stack, exchanges UDP datagrams with it, and moves a TCP stream
both ways, checked by SHA-256.
"""

from __future__ import annotations

import json

import pytest

from smoltcp.phy import DeviceError, PacketMmapSocket

RUNNER = r"""
import hashlib, json, random, socket, subprocess, sys, threading, time
from smoltcp.phy import PacketMmapSocket, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.time import Duration

device = PacketMmapSocket("v1", block_size=1 << 17, block_count=8, tx_frames=64, tx_batch=16)
iface, sockets = make_stack(device, clock(), "10.9.9.2/24")
waiter = Waiter([device])
out = {}

def run(until, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        iface.poll(clock(), device, sockets)
        if until():
            return True
        delay = iface.poll_delay(clock(), sockets)
        limit = Duration.from_millis(10)
        waiter.wait(limit if delay is None or delay > limit else delay)
    return False
"""

PING_UDP = r"""
handle = sockets.add(make_udp(6969))
ping = subprocess.Popen(["ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", "10.9.9.2"],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
kernel = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
kernel.bind(("10.9.9.1", 7000))
kernel.setblocking(False)
out.update(stack_got=[], kernel_got=[])
sent = [0]

def step():
    if sent[0] < 3:
        kernel.sendto(b"hello %d" % sent[0], ("10.9.9.2", 6969))
        sent[0] += 1
    udp = sockets.get(handle)
    while udp.can_recv():
        data, source = udp.recv_from()
        out["stack_got"].append([bytes(data).decode(), str(source)])
        udp.send_to(bytes(data).upper(), source)
    try:
        data, source = kernel.recvfrom(2048)
        out["kernel_got"].append([data.decode(), "%s:%d" % source])
    except BlockingIOError:
        pass
    return ping.poll() is not None and len(out["kernel_got"]) >= 3

run(step, 15)
ping.wait(timeout=5)
out["ping_rc"] = ping.returncode
out["ping_out"] = ping.stdout.read()
out["rx_frames"] = device.rx_frames
out["tx_frames"] = device.tx_frames
device.close()
print(json.dumps(out))
"""

TCP = r"""
from smoltcp.stack.tcp import TcpSocket, TcpState
size = int(sys.argv[1])
up = random.Random(1).randbytes(size)
down = random.Random(2).randbytes(size)
sock = TcpSocket(1 << 18, 1 << 18)
sock.listen(5000)
handle = sockets.add(sock)
kernel = {}

def kernel_side():
    try:
        with socket.create_connection(("10.9.9.2", 5000), timeout=20) as conn:
            conn.sendall(up)
            conn.shutdown(socket.SHUT_WR)
            digest, n = hashlib.sha256(), 0
            while chunk := conn.recv(1 << 16):
                digest.update(chunk)
                n += len(chunk)
            kernel.update(got=n, sha=digest.hexdigest())
    except OSError as exc:
        kernel["error"] = repr(exc)

thread = threading.Thread(target=kernel_side, daemon=True)
thread.start()
got, digest = [0], hashlib.sha256()
offset = [0]

def step():
    s = sockets.get(handle)
    while s.can_recv():
        chunk = s.recv(1 << 16)
        digest.update(chunk)
        got[0] += len(chunk)
    if not s.may_recv() and got[0] and s.state is not TcpState.LISTEN:
        while offset[0] < size and s.can_send():
            offset[0] += s.send(memoryview(down)[offset[0]:offset[0] + (1 << 16)])
        if offset[0] == size and s.state is TcpState.CLOSE_WAIT:
            s.close()
    return s.state is TcpState.CLOSED or (not thread.is_alive() and offset[0] == size)

run(step, 60)
run(lambda: not thread.is_alive(), 10)
thread.join(5)
out["stack_got"] = got[0]
out["stack_sha"] = digest.hexdigest()
out["kernel"] = kernel
out["up_sha"] = hashlib.sha256(up).hexdigest()
out["down_sha"] = hashlib.sha256(down).hexdigest()
out["checksums_completed"] = device.rx_checksums_completed
out["checksum_valid"] = device.rx_checksum_valid
out["checksum_drops"] = sum(n for k, n in iface.counters.dropped.items() if "checksum" in k)
out["rx_frames"] = device.rx_frames
out["tx_errors"] = device.tx_errors
device.close()
print(json.dumps(out))
"""


def veth(netns) -> None:
    netns.ip("link", "add", "v0", "type", "veth", "peer", "name", "v1")
    netns.ip("addr", "add", "10.9.9.1/24", "dev", "v0")
    netns.run("sysctl", "-qw", "net.ipv6.conf.v1.disable_ipv6=1")
    netns.ip("link", "set", "v0", "up")
    netns.ip("link", "set", "v1", "up")


def run_script(netns, stack_api, body: str, *args: str, timeout: float = 60) -> dict:
    result = netns.python(stack_api["PRELUDE"] + RUNNER + body, *args, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.netns
def test_stack_over_mmap_device_answers_ping_and_udp(netns, stack_api):
    veth(netns)
    out = run_script(netns, stack_api, PING_UDP)
    assert out["ping_rc"] == 0, out["ping_out"]
    assert "3 received" in out["ping_out"]
    assert out["stack_got"] == [[f"hello {i}", "10.9.9.1:7000"] for i in range(3)]
    assert out["kernel_got"] == [[f"HELLO {i}", "10.9.9.2:6969"] for i in range(3)]
    assert out["rx_frames"] >= 7  # an ARP request, three pings, three datagrams
    assert out["tx_frames"] >= 7


@pytest.mark.netns
@pytest.mark.slow
def test_tcp_both_ways_over_mmap_device(netns, stack_api):
    veth(netns)
    size = 2 << 20
    out = run_script(netns, stack_api, TCP, str(size), timeout=120)
    assert out["kernel"].get("error") is None, out
    assert out["stack_got"] == size and out["stack_sha"] == out["up_sha"]
    assert out["kernel"]["got"] == size and out["kernel"]["sha"] == out["down_sha"]
    # The veth keeps its offloads: the kernel's segments arrive with partial checksums.
    assert out["checksums_completed"] > 0
    # ... and reach the stack marked valid: it does not sum them again, and drops none.
    assert out["checksum_valid"] >= out["checksums_completed"]
    assert out["checksum_drops"] == 0


@pytest.mark.netns
def test_missing_interface_is_a_device_error(netns):
    result = netns.python(
        "from smoltcp.phy import PacketMmapSocket, DeviceError\n"
        "try:\n    PacketMmapSocket('nope0')\n"
        "except DeviceError as exc:\n    print('error:', exc)\n",
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert "no such interface: nope0" in result.stdout


def test_bad_sizes_are_value_errors_naming_the_argument():
    for kwargs, name in [
        ({"block_size": 5000}, "block_size"),
        ({"block_count": 0}, "block_count"),
        ({"block_timeout_ms": 0}, "block_timeout_ms"),
        ({"tx_frames": 0}, "tx_frames"),
        ({"tx_batch": 300}, "tx_batch"),
        ({"mtu": 10}, "mtu"),
    ]:
        with pytest.raises(ValueError, match=name):
            PacketMmapSocket("lo", **kwargs)
    with pytest.raises(ValueError, match="interface name"):
        PacketMmapSocket("x" * 20)


def test_without_privileges_the_error_says_so(monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(socket, "socket", refuse)
    with pytest.raises(DeviceError, match="CAP_NET_RAW"):
        PacketMmapSocket("lo", mtu=1500)


OUTGOING = r"""
import json, subprocess, time
from smoltcp.phy import RawSocket, Waiter, mmap_socket
from smoltcp.phy.mmap_socket import PacketMmapSocket
from smoltcp.stack.time import Duration, Instant

def drain(device, seconds, keep):
    frames, waiter = [], Waiter([device])
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pair = device.receive(Instant.ZERO)
        if pair is None:
            waiter.wait(Duration.from_millis(10))
            continue
        frame = pair[0].consume(bytes)
        if keep(frame):
            frames.append(frame.hex())
    return frames

control = RawSocket("v0")  # sees the kernel's own frames too
filtered = PacketMmapSocket("v0", block_size=1 << 16, block_count=4)
mmap_socket.PACKET_IGNORE_OUTGOING = 0x7FFF  # an option no kernel has: the software check
by_type = PacketMmapSocket("v0", block_size=1 << 16, block_count=4)
injector = RawSocket("v1")
ours = lambda f: f[12:14] == b"\x88\xb5"
frame = bytes.fromhex("ffffffffffff" "020000000002" "88b5") + bytes(range(60))
injector.transmit(Instant.ZERO).consume(len(frame), lambda b: b.__setitem__(slice(None), frame))
subprocess.run(["ping", "-n", "-c", "1", "-W", "1", "10.9.9.5"], capture_output=True)
arp = lambda f: f[12:14] == b"\x08\x06"
out = {"sent": frame.hex()}
for key, device in (("control", control), ("filtered", filtered), ("by_type", by_type)):
    frames = drain(device, 1.5, lambda f: ours(f) or arp(f))
    out[key] = {"ours": [f for f in frames if f[24:28] == "88b5"],
                "arp": len([f for f in frames if f[24:28] == "0806"])}
for device in (control, filtered, by_type, injector):
    device.close()
print(json.dumps(out))
"""


@pytest.mark.netns
def test_the_hosts_own_frames_are_never_received(netns):
    """Frames arriving on the interface are seen; the kernel's own (its ARP requests) are not,
    whether the kernel filters them or the device checks the packet type itself."""
    veth(netns)
    result = netns.python(OUTGOING, timeout=30)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["control"]["arp"] >= 1  # the kernel did send an ARP request on v0
    for key in ("control", "filtered", "by_type"):
        assert out[key]["ours"] == [out["sent"]], key
    assert out["filtered"]["arp"] == 0
    assert out["by_type"]["arp"] == 0
