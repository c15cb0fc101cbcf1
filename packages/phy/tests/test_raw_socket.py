"""The raw socket device on a veth pair inside a network namespace the test creates."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.netns

# Runs inside the namespace. v0 and v1 are the two ends of a veth pair; v0 has 10.9.9.1/24.
SCRIPT = r"""
import json, subprocess, time
from smoltcp.phy import RawSocket, Waiter
from smoltcp.stack.time import Duration, Instant

def drain(device, seconds, keep, want=100):
    frames = []
    waiter = Waiter([device])
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(frames) < want:
        pair = device.receive(Instant.ZERO)
        if pair is None:
            waiter.wait(Duration.from_millis(20))
            continue
        frame = pair[0].consume(bytes)
        if keep(frame):
            frames.append(frame.hex())
    return frames

out = {}
v0 = RawSocket("v0")
v0_in_only = RawSocket("v0", ignore_outgoing=True)
v1 = RawSocket("v1")
out["mtu"] = [v0.capabilities().max_transmission_unit, v1.capabilities().max_transmission_unit]
out["medium"] = v0.capabilities().medium.name

# Frames written by the stack on v1 arrive on v0 (local experimental ethertype 0x88b5).
ours = lambda f: f[12:14] == b"\x88\xb5"
sent = []
for i in range(5):
    frame = bytes.fromhex("ffffffffffff" "020000000002" "88b5") + bytes([i]) * (46 + i * 100)
    v1.transmit(Instant.ZERO).consume(len(frame), lambda b: b.__setitem__(slice(None), frame))
    sent.append(frame.hex())
out["sent"] = sent
out["got_on_v0"] = drain(v0, 2, ours, want=5)
out["got_on_v0_in_only"] = drain(v0_in_only, 2, ours, want=5)
out["echoed_on_v1"] = drain(v1, 0.2, ours)  # a packet socket never sees its own frames

# The kernel's own frames on v0 (ARP requests for an absent neighbour) are seen leaving v0,
# and arriving on v1; a socket that ignores outgoing frames does not see them on v0.
arp = lambda f: f[12:14] == b"\x08\x06"
subprocess.run(["ping", "-n", "-c", "1", "-W", "1", "10.9.9.2"], capture_output=True)
out["arp_out_v0"] = len(drain(v0, 2, arp, want=1))
out["arp_in_v1"] = len(drain(v1, 2, arp, want=1))
out["arp_out_v0_in_only"] = len(drain(v0_in_only, 0.2, arp))
for d in (v0, v0_in_only, v1):
    d.close()
print(json.dumps(out))
"""


def test_raw_socket_sees_the_frames_of_a_veth_pair(netns):
    netns.ip("link", "add", "v0", "type", "veth", "peer", "name", "v1")
    netns.ip("link", "set", "v0", "mtu", "1400")
    netns.ip("addr", "add", "10.9.9.1/24", "dev", "v0")
    netns.ip("link", "set", "v0", "up")
    netns.ip("link", "set", "v1", "up")
    result = netns.python(SCRIPT, timeout=30)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["medium"] == "ETHERNET"
    assert out["mtu"] == [1414, 1514]
    assert out["got_on_v0"] == out["sent"]
    assert out["got_on_v0_in_only"] == out["sent"]
    assert out["echoed_on_v1"] == []
    assert out["arp_out_v0"] >= 1
    assert out["arp_in_v1"] >= 1
    assert out["arp_out_v0_in_only"] == 0
