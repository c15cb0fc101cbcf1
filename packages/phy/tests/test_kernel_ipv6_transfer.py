"""16 MiB each way over IPv6 between the stack and the Linux kernel, over TAP in a namespace.

The kernel's tap0 has fdaa::100/64 (no duplicate address detection); the stack is fdaa::1/64.
At the same time a kernel socket sends 16 MiB to a stack listener and a stack socket sends 16
MiB to a kernel listener; each receiver hashes what it reads, and the sha256 must be the
sender's. Plain, every frame fits the MTU. With ``offload=True`` the device speaks the
virtio-net header both ways: the kernel hands the stack TCP/IPv6 segments beyond the MTU (its
TSO, which the stack takes whole), and the stack hands the kernel super-segments (gso_type
TCPV6), which the kernel cuts to the MTU. The capture (headers only) dissects in tshark with no
malformed frame.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.netns

SCRIPT = r"""
import hashlib, json, socket, sys, threading, time
from smoltcp.phy import PcapWriter, TapInterface, Tracer, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv6Address

offload = sys.argv[1] == "offload"
SIZE = int(sys.argv[2])
pcap = sys.argv[3]
up = bytes((i * 7 + i // 251) & 0xFF for i in range(SIZE))  # kernel -> stack
down = bytes((i * 13 + i // 241) & 0xFF for i in range(SIZE))  # stack -> kernel
raw = TapInterface("tap0", offload=offload)
largest = {"tx": 0, "rx": 0}
def watch(direction, now, frame):
    key = direction.value
    if len(frame) > largest[key]:
        largest[key] = len(frame)
device = PcapWriter(Tracer(raw, watch), pcap, snaplen=128)
iface = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01")), device,
                  clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
sockets = SocketSet()
result = {}

listener = socket.create_server(("fdaa::100", 7200), family=socket.AF_INET6)
listener.settimeout(20)
def kernel_receives():
    try:
        conn, peer = listener.accept()
        with conn:
            conn.settimeout(20)
            digest, got = hashlib.sha256(), 0
            while chunk := conn.recv(1 << 16):
                digest.update(chunk)
                got += len(chunk)
        result["kernel_got"] = got
        result["kernel_sha256"] = digest.hexdigest()
        result["kernel_peer"] = peer[0]
    except Exception as exc:
        result["kernel_rx_error"] = repr(exc)

def kernel_sends():
    try:
        with socket.create_connection(("fdaa::1", 7100), timeout=20) as conn:
            conn.sendall(up)
    except Exception as exc:
        result["kernel_tx_error"] = repr(exc)

rx_thread = threading.Thread(target=kernel_receives, daemon=True)
rx_thread.start()
server = TcpSocket(1 << 20, 1 << 16)
server.listen(7100)
sockets.add(server)
client = TcpSocket(1 << 16, 1 << 20)
sockets.add(client)
client.connect(iface.context, IpEndpoint(Ipv6Address("fdaa::100"), 7200), 49152)
tx_thread = threading.Thread(target=kernel_sends, daemon=True)
tx_thread.start()

digest, got, sent = hashlib.sha256(), 0, 0
buf = bytearray(1 << 16)
waiter = Waiter([raw])
deadline = time.monotonic() + 120
while time.monotonic() < deadline and (rx_thread.is_alive() or got < SIZE):
    now = clock()
    iface.poll(now, device, sockets)
    busy = False
    while server.can_recv():
        n = server.recv_into(buf)
        if not n:
            break
        digest.update(memoryview(buf)[:n])
        got += n
        busy = True
    if server.state is TcpState.CLOSE_WAIT and not server.can_recv():
        server.close()
    if sent < SIZE and client.can_send():
        n = client.send(down[sent : sent + (1 << 18)])
        sent += n
        busy = busy or n > 0
        if sent == SIZE:
            client.close()
    if busy:
        continue
    delay = iface.poll_delay(clock(), sockets)
    limit = Duration.from_millis(5)
    waiter.wait(limit if delay is None or delay > limit else delay)
rx_thread.join(2)
tx_thread.join(2)
device.close()
print(json.dumps({
    "stack_got": got,
    "stack_ok": digest.hexdigest() == hashlib.sha256(up).hexdigest(),
    "stack_sent": sent,
    "kernel_got": result.get("kernel_got"),
    "kernel_ok": result.get("kernel_sha256") == hashlib.sha256(down).hexdigest(),
    "kernel_peer": result.get("kernel_peer"),
    "errors": [result[k] for k in ("kernel_rx_error", "kernel_tx_error") if k in result],
    "largest": largest,
    "max_tso_size": raw.capabilities().max_tso_size,
    "dropped": dict(iface.counters.dropped),
}))
"""


@pytest.fixture
def tap6(netns):
    """The namespace with tap0, up, holding fdaa::100/64 with no duplicate address detection."""
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("no /dev/net/tun")
    netns.ip("tuntap", "add", "dev", "tap0", "mode", "tap")
    netns.run("sysctl", "-q", "-w", "net.ipv6.conf.tap0.accept_dad=0")
    netns.ip("addr", "add", "fdaa::100/64", "dev", "tap0", "nodad")
    netns.ip("link", "set", "tap0", "up")
    return netns


@pytest.mark.parametrize("mode", ["plain", "offload"])
def test_16_mib_each_way_over_ipv6_with_the_kernel(tap6, tmp_path, mode):
    size = 16 << 20
    pcap = tmp_path / f"ipv6-{mode}.pcap"
    result = tap6.python(SCRIPT, mode, str(size), str(pcap), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["errors"] == [], out
    assert out["stack_got"] == size and out["stack_ok"], out
    assert out["stack_sent"] == size and out["kernel_got"] == size and out["kernel_ok"], out
    assert out["kernel_peer"] == "fdaa::1"
    assert "too-big" not in out["dropped"], out
    if mode == "offload":
        assert out["max_tso_size"] > 1514
        assert out["largest"]["rx"] > 1514, "the kernel's TSO hands us IPv6 super-segments"
        assert out["largest"]["tx"] > 1514, "the stack hands the kernel TCPV6 super-segments"
    else:
        assert out["max_tso_size"] == 0
        assert max(out["largest"].values()) <= 1514, out
    if shutil.which("tshark") is not None:
        shark = subprocess.run(
            ["tshark", "-r", str(pcap), "-Y", "_ws.malformed || _ws.expert.severity >= error"],
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert shark.returncode == 0, shark.stderr
        assert shark.stdout.strip() == "", shark.stdout[:3000]
