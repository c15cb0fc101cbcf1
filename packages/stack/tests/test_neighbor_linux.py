"""A wrong neighbour entry repaired by unicast probes, against the Linux kernel over TAP.

Inside a private network namespace, the stack's entry for the kernel is made wrong on purpose
(a hardware address nobody has) and the stack sends a datagram every 100 ms. The kernel never
speaks first (it only receives), so nothing but neighbour unreachability detection can repair
the entry: on the wire come three unicast ARP requests to the wrong address, then a broadcast
one, which the kernel answers, and the datagrams reach it.
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

WRONG = "02-00-00-00-00-66"

SCRIPT = r"""
import io, json, socket, struct, sys, time
from smoltcp.phy import PcapMode, PcapWriter, TapInterface, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address

kernel = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
kernel.bind(("192.168.69.100", 7000))
kernel.setblocking(False)
tap = TapInterface("tap0")
sink = io.BytesIO()
dev = PcapWriter(tap, sink, PcapMode.TX)
iface = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01")), dev, clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("192.168.69.1/24")))
peer = Ipv4Address("192.168.69.100")
start = clock()
cache = iface.neighbor_cache
cache.learn(peer, EthernetAddress.parse(sys.argv[1]), start)  # wrong on purpose
sockets = SocketSet()
udp = UdpSocket(PacketBuffer(64, 65536), PacketBuffer(64, 65536))
udp.bind(6000)
sockets.add(udp)
waiter = Waiter([tap])
received = 0
next_send = start
deadline = time.monotonic() + 30
while time.monotonic() < deadline and received < 10:
    now = clock()
    if now >= next_send:
        udp.send_to(b"datagram", IpEndpoint(peer, 7000))
        next_send = now + Duration.from_millis(100)
    iface.poll(now, dev, sockets)
    try:
        while True:
            kernel.recvfrom(2048)
            received += 1
    except BlockingIOError:
        pass
    delay = iface.poll_delay(clock(), sockets)
    limit = Duration.from_millis(10)
    waiter.wait(limit if delay is None or delay > limit else delay)
# The ARP frames we sent, from the capture: (milliseconds since start, destination, operation).
data = sink.getvalue()
arps = []
pos = 24
while pos + 16 <= len(data):
    secs, usecs, caplen, _ = struct.unpack_from("<IIII", data, pos)
    frame = data[pos + 16 : pos + 16 + caplen]
    pos += 16 + caplen
    if frame[12:14] == b"\x08\x06":
        at_ms = (secs * 1_000_000 + usecs - start.micros) // 1000
        arps.append([at_ms, frame[:6].hex("-"), frame[21]])
hw = cache.lookup(peer, clock())
out = {
    "received": received,
    "arps": arps,
    "entry": None if hw is None else str(hw),
    "counters": cache.counters.as_dict(),
    "events": [[e.kind.value, str(e.addr), e.hardware_addr.hex("-")] for e in cache.events()],
}
dev.close()
print(json.dumps(out))
"""


@pytest.fixture
def tap_netns() -> Iterator[str]:
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs Linux, root and iproute2 for a private network namespace")
    if importlib.util.find_spec("smoltcp.phy") is None:
        pytest.skip("needs smoltcp-phy installed beside the stack (for the TAP device)")
    name = f"smoltcp-n-{secrets.token_hex(4)}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, timeout=10)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {made.stderr.decode().strip()}")
    try:
        for cmd in (
            ["link", "set", "lo", "up"],
            ["tuntap", "add", "name", "tap0", "mode", "tap"],
            ["addr", "add", "192.168.69.100/24", "dev", "tap0"],
            ["link", "set", "tap0", "up"],
        ):
            subprocess.run(["ip", "-n", name, *cmd], check=True, capture_output=True, timeout=10)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def test_a_wrong_entry_is_repaired_by_unicast_probes(tap_netns: str) -> None:
    kernel_mac = (
        subprocess.run(
            ["ip", "netns", "exec", tap_netns, "cat", "/sys/class/net/tap0/address"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        .stdout.strip()
        .replace(":", "-")
    )
    result = subprocess.run(
        ["ip", "netns", "exec", tap_netns, sys.executable, "-c", SCRIPT, WRONG],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    arps = out["arps"]
    # On the wire: three unicast requests to the wrong address, then a broadcast one.
    assert [(dst, op) for _, dst, op in arps[:4]] == [(WRONG, 1)] * 3 + [("ff-ff-ff-ff-ff-ff", 1)]
    # Probed after DELAY_FIRST_PROBE_TIME, one per RETRANS_TIMER (the stack's own times, from
    # the capture; long before the minute after which the entry would have expired).
    first, broadcast = arps[0][0], arps[3][0]
    assert first >= 5000 and broadcast - first >= 3000 and broadcast < 60_000
    assert out["received"] == 10
    assert out["entry"] == kernel_mac
    assert out["counters"]["probes_sent"] == 3 and out["counters"]["unreachable"] == 1
    assert out["events"] == [["unreachable", "192.168.69.100", WRONG]]
