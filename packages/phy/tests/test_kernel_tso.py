"""TCP segmentation offload towards the kernel: the stack sends, the Linux kernel receives.

In a private namespace, tap0 (or tun0) has 192.168.69.100/24 on the kernel side and the stack
is 192.168.69.1. A stack socket sends a multi-megabyte stream to a kernel socket, which hashes
what it reads. With ``offload=True`` the device reports ``max_tso_size``, the stack hands it TCP
super-segments beyond the MTU and the kernel cuts them to the MTU (virtio-net GSO); without,
every frame stays within the MTU. Either way the stream must arrive intact.
"""

from __future__ import annotations

import json
import os

import pytest

pytestmark = pytest.mark.netns

SEND_SCRIPT = r"""
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
    if direction.value == "tx" and len(frame) > largest[0]:
        largest[0] = len(frame)
device = Tracer(raw, watch)
mac = "02-00-00-00-00-01" if kind == "tap" else None
iface, sockets = make_stack(device, clock(), "192.168.69.1/24", mac)
result = {}
listener = socket.socket()
listener.bind(("192.168.69.100", 6971))
listener.listen(1)
listener.settimeout(10)
def kernel_side():
    try:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(10)
            digest = hashlib.sha256()
            got = 0
            while True:
                chunk = conn.recv(1 << 16)
                if not chunk:
                    break
                digest.update(chunk)
                got += len(chunk)
            result["got"] = got
            result["sha256"] = digest.hexdigest()
    except Exception as exc:
        result["error"] = repr(exc)
peer = threading.Thread(target=kernel_side, daemon=True)
peer.start()
sock = TcpSocket(1 << 20, 1 << 20)
sockets.add(sock)
sock.connect(iface.context, IpEndpoint(Ipv4Address("192.168.69.100"), 6971), 49152)
sent = 0
waiter = Waiter([device])
deadline = time.monotonic() + 30
while time.monotonic() < deadline and peer.is_alive():
    iface.poll(clock(), device, sockets)
    if sent < SIZE and sock.can_send():
        sent += sock.send(data[sent : sent + (1 << 18)])
        if sent == SIZE:
            sock.close()
        continue
    delay = iface.poll_delay(clock(), sockets)
    limit = Duration.from_millis(5)
    waiter.wait(limit if delay is None or delay > limit else delay)
peer.join(1)
print(json.dumps({
    "sent": sent,
    "got": result.get("got"),
    "ok": result.get("sha256") == hashlib.sha256(data).hexdigest(),
    "error": result.get("error"),
    "largest_tx_frame": largest[0],
    "max_tso_size": raw.capabilities().max_tso_size,
    "dropped": dict(iface.counters.dropped),
}))
"""


@pytest.fixture
def prelude(stack_api) -> str:
    """Return the stack set-up code for the scripts (skips without /dev/net/tun)."""
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("no /dev/net/tun")
    return stack_api["PRELUDE"]


@pytest.mark.parametrize("kind", ["tap", "tun"])
@pytest.mark.parametrize("mode", ["plain", "offload"])
def test_stack_tcp_stream_reaches_the_kernel_intact(netns, prelude, mode, kind):
    """A 4 MB stream from the stack arrives whole; with offload, sent in frames beyond the MTU."""
    name = kind + "0"
    netns.ip("tuntap", "add", "dev", name, "mode", kind)
    netns.ip("addr", "add", "192.168.69.100/24", "dev", name)
    netns.ip("link", "set", name, "up")
    size = 4 << 20
    result = netns.python(prelude + SEND_SCRIPT, mode, str(size), kind, timeout=90)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["error"] is None
    assert out["sent"] == size
    assert out["got"] == size and out["ok"], out
    mtu = 1514 if kind == "tap" else 1500
    if mode == "offload":
        assert out["max_tso_size"] == 65535 + (mtu - 1500)
        assert out["largest_tx_frame"] > mtu
    else:
        assert out["max_tso_size"] == 0
        assert out["largest_tx_frame"] <= mtu
