"""The emulator against the Linux kernel: 16 MiB through 20 ms of delay and 1 % loss, intact.

Inside a namespace the test creates (tap0, the kernel at 192.168.69.100/24), a kernel socket
and the stack exchange seeded data, the stack running with the examples' own options and event
loop (`options.open_device`, `runtime.poll_loop`), once undamaged and once through the emulator
(each direction delayed 20 ms and losing 1 %), from the kernel to the stack and back. Both
transfers must arrive intact (sha256); the goodputs are printed side by side, never asserted.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys

import pytest

pytestmark = [pytest.mark.netns, pytest.mark.slow]

SIZE = 16 << 20
SEED = 7
TIMEOUT = 240.0

# The stack's side, on 192.168.69.1:1235: "recv" reads one TCP stream and prints what it got as
# JSON; "send" sends the seeded data and closes. Both print the emulator's counters.
STACK = r"""
import hashlib, json, random, sys, time
from smoltcp.examples import options
from smoltcp.examples.runtime import Clock, make_interface, poll_loop
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.wire import IpEndpoint

mode, size, seed, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
args = options.parser("netem-stack", "").parse_args(["tap0", *sys.argv[5:]])
clock = Clock()
device = options.open_device(args)
iface = make_interface(
    device, clock.now(), hardware_addr="02-00-00-00-00-01", addresses=["192.168.69.1/24"]
)
sockets = SocketSet()
sock = TcpSocket(1 << 20, 1 << 20)
sockets.add(sock)
sock.listen(IpEndpoint(None, 1235))
data = memoryview(random.Random(seed).randbytes(size)) if mode == "send" else None
digest = hashlib.sha256()
buf = bytearray(1 << 20)
view = memoryview(buf)
state = {"octets": 0, "began": None, "ended": None}
deadline = time.monotonic() + timeout

def step(now):
    if mode == "send":
        if sock.state in (TcpState.ESTABLISHED, TcpState.CLOSE_WAIT) and state["ended"] is None:
            while state["octets"] < size and sock.can_send():
                n = sock.send(data[state["octets"] : state["octets"] + (1 << 20)])
                if not n:
                    break
                state["octets"] += n
            if state["octets"] == size:
                sock.close()
                state["ended"] = time.monotonic()
        if state["ended"] is not None and sock.state in (TcpState.TIME_WAIT, TcpState.CLOSED):
            return False
        return time.monotonic() < deadline
    while sock.can_recv():
        n = sock.recv_into(buf)
        if not n:
            break
        if state["began"] is None:
            state["began"] = time.monotonic()
        digest.update(view[:n])
        state["octets"] += n
    if sock.state is TcpState.CLOSE_WAIT and not sock.can_recv():
        state["ended"] = time.monotonic()
        sock.close()
    if state["ended"] is not None and sock.state is TcpState.CLOSED:
        return False
    return time.monotonic() < deadline

poll_loop(iface, device, sockets, step, clock=clock)
out = {
    "octets": state["octets"],
    "sha256": digest.hexdigest(),
    "seconds": (state["ended"] or time.monotonic()) - (state["began"] or time.monotonic()),
    "complete": state["ended"] is not None,
}
for name in ("rx_emulator", "tx_emulator"):
    emulator = getattr(device, name, None)
    if emulator is not None:
        out[name] = emulator.counters.as_dict()
print(json.dumps(out))
"""

# The kernel's side: connect (the stack may still be starting); "send" sends the seeded data and
# closes, "recv" reads to the end and prints JSON. Both print the congestion control first.
KERNEL = r"""
import hashlib, json, random, socket, sys, time
mode, size, seed, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
deadline = time.monotonic() + 30
while True:
    try:
        conn = socket.create_connection(("192.168.69.1", 1235), timeout=2)
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.2)
conn.settimeout(timeout)
print(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode())
if mode == "send":
    conn.sendall(random.Random(seed).randbytes(size))
    conn.shutdown(socket.SHUT_WR)
    while conn.recv(65536):
        pass
else:
    digest, octets, began = hashlib.sha256(), 0, None
    while chunk := conn.recv(1 << 20):
        if began is None:
            began = time.monotonic()
        digest.update(chunk)
        octets += len(chunk)
    seconds = time.monotonic() - (began or time.monotonic())
    print(json.dumps(
        {"octets": octets, "sha256": digest.hexdigest(), "seconds": seconds, "complete": True}
    ))
conn.close()
"""


def transfer(tap_ns, tmp_path, direction: str, *emulator: str) -> dict:
    """Move SIZE octets between the kernel and the stack; return the receiver's report.

    The report holds the octets, their sha256, the seconds from the first octet received to
    the end of the stream, the kernel's congestion control, and the emulator's counters.
    """
    stack_mode, kernel_mode = ("recv", "send") if direction == "to-stack" else ("send", "recv")
    out = tmp_path / f"stack-{direction}-{len(emulator)}.json"
    common = (str(SIZE), str(SEED), str(TIMEOUT))
    with open(out, "wb") as sink:
        stack = tap_ns.popen(
            sys.executable, "-c", STACK, stack_mode, *common, *emulator, stdout=sink, stderr=sink
        )
        kernel = tap_ns.run(
            sys.executable, "-c", KERNEL, kernel_mode, *common, timeout=TIMEOUT + 40
        )
        stack.wait(TIMEOUT + 20)
    text = out.read_text(errors="replace")
    assert kernel.returncode == 0, kernel.stderr
    assert stack.returncode == 0, text
    stack_report = json.loads(text.strip().splitlines()[-1])
    lines = kernel.stdout.strip().splitlines()
    report = stack_report if stack_mode == "recv" else json.loads(lines[-1])
    report["kernel_cc"] = lines[0]
    report.update({k: v for k, v in stack_report.items() if k.endswith("_emulator")})
    return report


@pytest.mark.parametrize("direction", ["to-stack", "to-kernel"])
def test_16_mib_through_delay_and_loss_arrive_intact(tap_ns, tmp_path, capsys, direction):
    expected = hashlib.sha256(random.Random(SEED).randbytes(SIZE)).hexdigest()
    clean = transfer(tap_ns, tmp_path, direction)
    damaged = transfer(
        tap_ns, tmp_path, direction, "--delay", "20ms", "--loss", "1%", "--seed", "3"
    )
    for report in (clean, damaged):
        assert report["complete"] and report["octets"] == SIZE
        assert report["sha256"] == expected
    # The emulator did its work both ways: data frames and ACKs lost.
    assert damaged["rx_emulator"]["lost"] > 0 and damaged["tx_emulator"]["lost"] > 0
    assert "rx_emulator" not in clean
    sender = "kernel" if direction == "to-stack" else "stack"
    with capsys.disabled():
        for name, report in (("undamaged", clean), ("20 ms each way, 1 % loss", damaged)):
            mbps = SIZE * 8 / max(report["seconds"], 1e-9) / 1e6
            print(
                f"\n16 MiB {direction} (kernel's TCP: {report['kernel_cc']}, sender: {sender}), "
                f"{name}: {report['seconds']:.2f} s, {mbps:.2f} Mbit/s"
            )
