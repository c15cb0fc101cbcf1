"""TAP and TUN devices against the Linux kernel, inside a network namespace the test creates.

The device-level tests answer the kernel with a few hand-built frames (ARP, ICMP echo, UDP), so
they prove the devices without the stack. The stack-level tests in test_kernel_stack.py run
the real interface over the same devices.
"""

from __future__ import annotations

import errno
import json
import os
import pickle

import pytest

from smoltcp.phy import DeviceError, RawSocket, TapInterface, TunInterface, tuntap

pytestmark = pytest.mark.netns

# Runs inside the namespace: answers ARP for 192.168.69.1, ICMP echo requests, and UDP
# datagrams (echoed upper-cased) on the device, while a kernel `ping` and a kernel UDP socket
# talk to it. Every loop is bounded in time. Prints a JSON summary.
RESPONDER = r"""
import json, socket, struct, subprocess, sys, time
from smoltcp.phy import TapInterface, TunInterface, Waiter
from smoltcp.stack.time import Duration, Instant

kind = sys.argv[1]
STACK_IP = bytes([192, 168, 69, 1])
MAC = bytes.fromhex("020000000001")
stats = {"echo": 0, "udp_seen": [], "udp_back": [], "arp": 0, "rx_frames": 0}

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def answer_ip(pkt):
    if pkt[0] >> 4 != 4 or pkt[16:20] != STACK_IP:
        return None
    ihl = (pkt[0] & 15) * 4
    proto, src = pkt[9], pkt[12:16]
    payload = pkt[ihl:struct.unpack_from("!H", pkt, 2)[0]]
    if proto == 1 and payload[0] == 8:
        body = bytearray(payload)
        body[0] = 0
        body[2:4] = b"\0\0"
        body[2:4] = struct.pack("!H", csum(bytes(body)))
        stats["echo"] += 1
    elif proto == 17:
        sport, dport = struct.unpack_from("!HH", payload)
        data = bytes(payload[8:])
        stats["udp_seen"].append(data.decode())
        body = struct.pack("!HHHH", dport, sport, 8 + len(data), 0) + data.upper()
    else:
        return None
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, 0x4000, 64,
                                proto, 0, STACK_IP, src))
    hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
    return bytes(hdr) + bytes(body)

def answer(frame):
    if kind == "tun":
        return answer_ip(frame)
    dst, src, ethertype = frame[0:6], frame[6:12], struct.unpack_from("!H", frame, 12)[0]
    if ethertype == 0x0806 and frame[14 + 7] == 1 and frame[14 + 24:14 + 28] == STACK_IP:
        stats["arp"] += 1
        sha, spa = frame[14 + 8:14 + 14], frame[14 + 14:14 + 18]
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, MAC, STACK_IP, sha, spa)
        return src + MAC + b"\x08\x06" + arp
    if ethertype == 0x0800:
        reply = answer_ip(frame[14:])
        return None if reply is None else src + MAC + b"\x08\x00" + reply
    return None

device = (TapInterface if kind == "tap" else TunInterface)(sys.argv[2])
stats["mtu"] = device.capabilities().max_transmission_unit
stats["medium"] = device.capabilities().medium.name
ping = subprocess.Popen(["ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", "192.168.69.1"],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("192.168.69.100", 0))
udp.setblocking(False)
sent = 0
waiter = Waiter([device])
deadline = time.monotonic() + 20
next_udp = time.monotonic()
while time.monotonic() < deadline:
    t = time.monotonic()
    if sent < 3 and t >= next_udp:
        udp.sendto(b"hello %d" % sent, ("192.168.69.1", 6969))
        sent += 1
        next_udp = t + 0.1
    try:
        data, _ = udp.recvfrom(2048)
        stats["udp_back"].append(data.decode())
    except BlockingIOError:
        pass
    now = Instant.from_secs(t)
    while (pair := device.receive(now)) is not None:
        stats["rx_frames"] += 1
        reply = pair[0].consume(lambda f: answer(bytes(f)))
        if reply is not None:
            pair[1].consume(len(reply), lambda buf: buf.__setitem__(slice(None), reply))
    if ping.poll() is not None and len(stats["udp_back"]) >= 3:
        break
    waiter.wait(Duration.from_millis(20))
ping.wait(timeout=5)
stats["ping_rc"] = ping.returncode
stats["ping_out"] = ping.stdout.read()
device.close()
print(json.dumps(stats))
"""


def run_responder(netns, kind: str, name: str) -> dict:
    result = netns.python(RESPONDER, kind, name, timeout=30)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def check_exchange(stats: dict) -> None:
    assert stats["ping_rc"] == 0, stats["ping_out"]
    assert "3 received" in stats["ping_out"]
    assert stats["echo"] == 3
    assert stats["udp_seen"] == ["hello 0", "hello 1", "hello 2"]
    assert stats["udp_back"] == ["HELLO 0", "HELLO 1", "HELLO 2"]


def test_tap_device_against_the_kernel(netns):
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("no /dev/net/tun")
    netns.ip("tuntap", "add", "dev", "tap0", "mode", "tap")
    netns.ip("addr", "add", "192.168.69.100/24", "dev", "tap0")
    netns.ip("link", "set", "tap0", "up")
    stats = run_responder(netns, "tap", "tap0")
    assert stats["medium"] == "ETHERNET"
    assert stats["mtu"] == 1514
    assert stats["arp"] >= 1
    check_exchange(stats)


def test_tun_device_against_the_kernel(netns):
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("no /dev/net/tun")
    netns.ip("tuntap", "add", "dev", "tun0", "mode", "tun")
    netns.ip("link", "set", "tun0", "mtu", "1400")
    netns.ip("addr", "add", "192.168.69.100/24", "dev", "tun0")
    netns.ip("link", "set", "tun0", "up")
    stats = run_responder(netns, "tun", "tun0")
    assert stats["medium"] == "IP"
    assert stats["mtu"] == 1400
    check_exchange(stats)


# Runs inside the namespace: prints the one-line error of each failing open, as JSON.
OPEN_ERRORS = r"""
import json, sys
from smoltcp.phy import DeviceError, RawSocket, TapInterface, TunInterface
out = {}
for label, opener in [
    ("tap_on_tun", lambda: TapInterface("tun0")),
    ("tun_on_loopback", lambda: TunInterface("lo")),
    ("missing", lambda: TapInterface("nosuch0")),
    ("raw_missing", lambda: RawSocket("nosuch0")),
]:
    try:
        opener().close()
        out[label] = None
    except DeviceError as exc:
        out[label] = [exc.errno, str(exc)]
busy = TapInterface("tap0")
try:
    TapInterface("tap0")
    out["busy"] = None
except DeviceError as exc:
    out["busy"] = [exc.errno, str(exc)]
busy.close()
created = TapInterface("tapnew", create=True)
out["created_mtu"] = created.capabilities().max_transmission_unit
created.close()
print(json.dumps(out))
"""


def test_open_errors_are_named_and_one_line(netns):
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("no /dev/net/tun")
    netns.ip("tuntap", "add", "dev", "tun0", "mode", "tun")
    netns.ip("tuntap", "add", "dev", "tap0", "mode", "tap")
    result = netns.python(OPEN_ERRORS)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["tap_on_tun"][0] == errno.EINVAL and "not a TAP interface" in out["tap_on_tun"][1]
    assert out["tun_on_loopback"][0] == errno.EINVAL
    assert out["missing"] == [
        errno.ENODEV,
        "no such interface: nosuch0 (create it with `ip tuntap add name nosuch0 mode tap`)",
    ]
    assert out["raw_missing"] == [errno.ENODEV, "no such interface: nosuch0"]
    assert out["busy"][0] == errno.EBUSY and "busy" in out["busy"][1]
    assert out["created_mtu"] == 1514
    for value in out.values():
        if isinstance(value, list):
            assert "\n" not in value[1]


def in_unprivileged_child(opener) -> object:
    """Run ``opener`` in a forked child as user nobody; return the error or result it got."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                opener().close()
                payload = ("ok", None, None)
            except DeviceError as exc:
                payload = ("DeviceError", exc.errno, str(exc))
            except BaseException as exc:
                payload = (type(exc).__name__, None, str(exc))
            os.write(w, pickle.dumps(payload))
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as reader:
        data = reader.read()
    os.waitpid(pid, 0)
    return pickle.loads(data)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges in a child")
def test_missing_privileges_give_a_clear_error():
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("no /dev/net/tun")
    # Nothing is sent: opening fails before any interface is touched.
    kind, code, message = in_unprivileged_child(lambda: TapInterface("lo"))
    assert (kind, code) == ("DeviceError", errno.EACCES)
    assert "run as root" in message
    kind, code, message = in_unprivileged_child(lambda: RawSocket("lo"))
    assert (kind, code) == ("DeviceError", errno.EPERM)
    assert "CAP_NET_RAW" in message


def test_missing_tun_device_file(monkeypatch):
    monkeypatch.setattr(tuntap, "TUN_PATH", "/nonexistent/net/tun")
    with pytest.raises(DeviceError) as info:
        TapInterface("tap0", create=True)
    assert info.value.errno == errno.ENOENT
    assert (
        str(info.value)
        == "/nonexistent/net/tun does not exist: load the tun module (`modprobe tun`)"
    )


def test_bad_names_and_mtus_are_misuse():
    with pytest.raises(ValueError):
        TapInterface("a-name-far-too-long")
    with pytest.raises(ValueError):
        TunInterface("")
    with pytest.raises(TypeError):
        TapInterface(b"tap0")
    with pytest.raises(ValueError):
        TapInterface("tap0", mtu=10)


DOWN = r"""
import json
from smoltcp.phy import TapInterface, wait
from smoltcp.stack.time import Duration, Instant
dev = TapInterface("tap0")
results = [dev.transmit(Instant.ZERO).consume(60, lambda buf: "filled") for _ in range(3)]
print(json.dumps({
    "results": results,
    "tx_errors": dev.tx_errors,
    "receive": dev.receive(Instant.ZERO),
    "readable": wait(dev, Duration.from_millis(10)),
}))
"""


def test_writes_to_a_down_interface_are_counted_not_raised(netns):
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("no /dev/net/tun")
    netns.ip("tuntap", "add", "dev", "tap0", "mode", "tap")  # left down: writes fail with EIO
    result = netns.python(DOWN)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out == {"results": ["filled"] * 3, "tx_errors": 3, "receive": None, "readable": False}
    assert result.stderr.count("cannot send") == 1  # warned once, then counted silently
