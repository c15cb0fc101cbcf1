"""Pings answered through 50 % corruption both ways, against the Linux kernel over TAP.

Inside a private network namespace, the stack answers the kernel's pings through a fault
injector that corrupts one octet of half the frames in each direction. ARP has no checksum:
before the stack refused ARP packets at odds with their frame, one corrupted octet in the
kernel's ARP reply (in the sender hardware address) could give the stack a neighbour entry
nobody answers to, and no ping was answered for the entry's minute. Now the only losses are
the frames the corruption destroyed.

Two captures, one on each side of the injector, tell which frames arrived or left intact. The
kernel's entry for the stack is pinned: a corrupted ARP reply from the stack would otherwise
poison the kernel's cache, which is the kernel's business, not the stack's.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.netns, pytest.mark.slow]

US = "192.168.69.1"
# 40 pings, 0.2 s apart, each waited for a second at most, all within 15 s.
PING = ("ping", "-n", "-c", "40", "-i", "0.2", "-W", "1", "-w", "15")

# argv: seed, stop file. Prints "ready", then one JSON line when the stop file appears.
SCRIPT = r"""
import io, json, os, struct, sys, time
from smoltcp.phy import FaultInjector, PcapMode, PcapWriter, TapInterface, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpCidr

seed = int(sys.argv[1])
tap = TapInterface("tap0")
outer, inner = io.BytesIO(), io.BytesIO()
faults = FaultInjector(PcapWriter(tap, outer, PcapMode.BOTH), seed, corrupt_chance=50)
dev = PcapWriter(faults, inner, PcapMode.BOTH)
config = Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01"), random_seed=seed)
iface = Interface(config, dev, clock())
iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("192.168.69.1/24")))
sockets = SocketSet()
waiter = Waiter([tap])
print("ready", flush=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not os.path.exists(sys.argv[2]):
    iface.poll(clock(), dev, sockets)
    delay = iface.poll_delay(clock(), sockets)
    limit = Duration.from_millis(20)
    waiter.wait(limit if delay is None or delay > limit else delay)


def frames(data):
    pos = 24
    while pos + 16 <= len(data):
        _, _, caplen, _ = struct.unpack_from("<IIII", data, pos)
        yield data[pos + 16 : pos + 16 + caplen].hex()
        pos += 16 + caplen


out = {
    "inner": list(frames(inner.getvalue())),
    "outer": list(frames(outer.getvalue())),
    "dropped": dict(iface.counters.dropped),
    "queued": iface.neighbor_cache.queued,
    "neighbor": iface.neighbor_cache.counters.as_dict(),
    "faults": faults.counters.as_dict(),
}
dev.close()
print(json.dumps(out))
"""


@pytest.fixture
def tap_netns() -> Iterator[str]:
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs Linux, root and iproute2 for a private network namespace")
    if shutil.which("ping") is None:
        pytest.skip("needs ping (iputils-ping)")
    if importlib.util.find_spec("smoltcp.phy") is None:
        pytest.skip("needs smoltcp-phy installed beside the stack (for the TAP device)")
    name = f"smoltcp-f-{secrets.token_hex(4)}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, timeout=10)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {made.stderr.decode().strip()}")
    try:
        for cmd in (
            ["link", "set", "lo", "up"],
            ["tuntap", "add", "name", "tap0", "mode", "tap"],
            ["addr", "add", "192.168.69.100/24", "dev", "tap0"],
            ["link", "set", "tap0", "up"],
            [
                "neigh",
                "replace",
                US,
                "lladdr",
                "02:00:00:00:00:01",
                "dev",
                "tap0",
                "nud",
                "permanent",
            ],
        ):
            subprocess.run(["ip", "-n", name, *cmd], check=True, capture_output=True, timeout=10)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def echo(frame: bytes, kind: int) -> int | None:
    """The sequence number of an intact-looking ICMP echo (8 request, 0 reply), or None."""
    if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 1 or frame[34] != kind:
        return None
    return int.from_bytes(frame[40:42], "big")


@pytest.mark.parametrize("seed", [7, 1, 2])
def test_pings_are_answered_through_half_corrupted_frames(tap_netns: str, seed: int) -> None:
    kernel_mac = bytes.fromhex(
        subprocess.run(
            ["ip", "netns", "exec", tap_netns, "cat", "/sys/class/net/tap0/address"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        .stdout.strip()
        .replace(":", "")
    )
    with tempfile.TemporaryDirectory() as tmp:
        stop = Path(tmp) / "stop"
        proc = subprocess.Popen(
            ["ip", "netns", "exec", tap_netns, sys.executable, "-c", SCRIPT, str(seed), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            ping = subprocess.run(
                ["ip", "netns", "exec", tap_netns, *PING, US],
                capture_output=True,
                text=True,
                timeout=60,
            )
            stop.touch()
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
    assert proc.returncode == 0, stderr
    out = json.loads(stdout.strip().splitlines()[-1])
    inner = [bytes.fromhex(f) for f in out["inner"]]
    outer = [bytes.fromhex(f) for f in out["outer"]]
    sent = set(inner) & set(outer)  # identical on both sides of the injector: intact
    # ping's raw socket also sees corrupted replies (with a bad checksum, or a sequence
    # number it never sent): only those of the pings it sent count.
    pinged = {echo(f, 8) for f in outer} - {None}
    answered = {int(m) for m in re.findall(r"icmp_seq=(\d+)", ping.stdout)} & pinged
    # The kernel got a reply for every ping whose reply left the injector intact, and for no
    # ping the stack did not answer. (A reply corrupted in its Ethernet source only still
    # counts.)
    intact_replies = {echo(f, 0) for f in sent} - {None}
    replied = {echo(f, 0) for f in inner} - {None}
    assert intact_replies <= answered <= replied, (ping.stdout, out["faults"])
    # Every request that reached the stack intact was answered, unless its reply waited for
    # an ARP exchange that the corruption destroyed every time (counted as arp-timeout).
    requests = {echo(f, 8) for f in sent} - {None}
    lost_to_arp = out["dropped"].get("arp-timeout", 0) + out["queued"]
    assert len(requests - replied) <= lost_to_arp, out["dropped"]
    # No reply ever went to a wrong hardware address: one changed octet cannot forge an ARP
    # packet that agrees with its own frame.
    to = {f[:6] for f in inner if echo(f, 0) is not None}
    assert to <= {kernel_mac}
    assert answered, "no ping answered at all"
    # The corruption was there, both ways.
    assert out["faults"]["rx_corrupted"] > 0 and out["faults"]["tx_corrupted"] > 0
