"""The emulator against the Linux kernel: 16 MiB through 20 ms of delay and 1 % loss, intact.

Inside a namespace the test creates (tap0, the kernel at 192.168.69.100/24), a kernel socket
sends seeded data to the stack, which runs with the examples' own options and event loop
(`options.open_device`, `runtime.poll_loop`), once undamaged and once through the emulator
(each direction delayed 20 ms and losing 1 %). Both transfers must arrive intact (sha256); the
goodputs are printed side by side, never asserted.
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

# The stack's side: receive one TCP stream on 192.168.69.1:1235 and print what it got, as JSON.
STACK = r"""
import hashlib, json, sys, time
from smoltcp.examples import options
from smoltcp.examples.runtime import Clock, make_interface, poll_loop
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.wire import IpEndpoint

timeout = float(sys.argv[1])
args = options.parser("netem-stack", "").parse_args(["tap0", *sys.argv[2:]])
clock = Clock()
device = options.open_device(args)
iface = make_interface(
    device, clock.now(), hardware_addr="02-00-00-00-00-01", addresses=["192.168.69.1/24"]
)
sockets = SocketSet()
sock = TcpSocket(1 << 20, 1 << 20)
sockets.add(sock)
sock.listen(IpEndpoint(None, 1235))
digest = hashlib.sha256()
buf = bytearray(1 << 20)
view = memoryview(buf)
state = {"octets": 0, "began": None, "ended": None}
deadline = time.monotonic() + timeout

def step(now):
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

# The kernel's side: connect (the stack may still be starting), send the seeded data, close.
KERNEL = r"""
import random, socket, sys, time
size, seed, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
data = random.Random(seed).randbytes(size)
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
conn.sendall(data)
conn.shutdown(socket.SHUT_WR)
while conn.recv(65536):
    pass
conn.close()
"""


def transfer(tap_ns, tmp_path, *emulator: str) -> dict:
    """Move SIZE octets from the kernel to the stack; return the stack's report."""
    out = tmp_path / f"stack-{len(emulator)}.json"
    with open(out, "wb") as sink:
        stack = tap_ns.popen(
            sys.executable, "-c", STACK, str(TIMEOUT), *emulator, stdout=sink, stderr=sink
        )
        kernel = tap_ns.run(
            sys.executable, "-c", KERNEL, str(SIZE), str(SEED), str(TIMEOUT),
            timeout=TIMEOUT + 40,
        )  # fmt: skip
        stack.wait(TIMEOUT + 20)
    text = out.read_text(errors="replace")
    assert kernel.returncode == 0, kernel.stderr
    assert stack.returncode == 0, text
    report = json.loads(text.strip().splitlines()[-1])
    report["kernel_cc"] = kernel.stdout.strip()
    return report


def test_16_mib_from_the_kernel_through_delay_and_loss_arrive_intact(tap_ns, tmp_path, capsys):
    expected = hashlib.sha256(random.Random(SEED).randbytes(SIZE)).hexdigest()
    clean = transfer(tap_ns, tmp_path)
    damaged = transfer(tap_ns, tmp_path, "--delay", "20ms", "--loss", "1%", "--seed", "3")
    for report in (clean, damaged):
        assert report["complete"] and report["octets"] == SIZE
        assert report["sha256"] == expected
    # The emulator did its work both ways: data frames and ACKs lost.
    assert damaged["rx_emulator"]["lost"] > 0 and damaged["tx_emulator"]["lost"] > 0
    assert "rx_emulator" not in clean
    with capsys.disabled():
        for name, report in (("undamaged", clean), ("20 ms, 1 % loss", damaged)):
            mbps = SIZE * 8 / max(report["seconds"], 1e-9) / 1e6
            print(
                f"\n16 MiB kernel ({report['kernel_cc']}) -> stack, {name}: "
                f"{report['seconds']:.2f} s, {mbps:.2f} Mbit/s"
            )
