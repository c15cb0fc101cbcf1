"""The asyncio runtime over TAP against the Linux kernel, in a namespace the test creates.

tap0 has 192.168.69.100/24 on the kernel's side; the stack is 192.168.69.1. A script run in
the namespace drives the stack with `smoltcp.phy.aio.Runtime` and talks to kernel peers
(socat, Python sockets, ping), then prints what it saw as JSON.
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil

import pytest

pytestmark = pytest.mark.netns

PRELUDE = r"""
import asyncio, hashlib, json, os, socket, subprocess, sys
from smoltcp.phy import TapInterface
from smoltcp.phy.aio import Runtime
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.tcp import TcpState
from smoltcp.stack.time import Instant
from smoltcp.wire import EthernetAddress, IpCidr

KERNEL = "192.168.69.100"
NOBODY = "192.168.69.50"

def make_runtime(**kwargs):
    device = TapInterface("tap0")
    config = Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01"), random_seed=3)
    iface = Interface(config, device, Instant(0))
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("192.168.69.1/24")))
    return Runtime(iface, device, **kwargs)

def live(rt):
    states = [getattr(s, "state", None) for _, s in rt.sockets]
    return [str(st) for st in states if st is not TcpState.TIME_WAIT]

async def wait_empty(rt):
    for _ in range(500):
        if not live(rt):
            return
        await asyncio.sleep(0.01)

def report(out):
    print(json.dumps(out), flush=True)
"""

CLIENT = (
    PRELUDE
    + r"""
async def main():
    out = {}
    async with make_runtime() as rt:
        # An echo server of the kernel (socat) and a stream client on the stack.
        reader, writer = await rt.open_connection(KERNEL, 7000)
        out["peer"] = writer.get_extra_info("peername")
        lines = [b"line %d\n" % i for i in range(100)]
        for line in lines:
            writer.write(line)
        await writer.drain()
        got = [await reader.readline() for _ in lines]
        out["echo_ok"] = got == lines
        writer.write_eof()
        out["eof"] = (await reader.read()).decode()
        writer.close()
        await writer.wait_closed()

        # A kernel Python server sends 8 MiB and closes; the stack reads and hashes.
        reader, writer = await rt.open_connection(KERNEL, 7001)
        h = hashlib.sha256()
        n = 0
        while data := await reader.read(65536):
            h.update(data)
            n += len(data)
        out["bulk"] = [n, h.hexdigest()]
        writer.close()
        await writer.wait_closed()

        # Errors: a closed port (the kernel resets), a silent host (a timeout), a ping.
        try:
            await rt.open_connection(KERNEL, 7999)
        except ConnectionRefusedError:
            out["refused"] = True
        try:
            await asyncio.wait_for(rt.open_connection(NOBODY, 80), 0.5)
        except TimeoutError:
            out["timeout"] = True
        out["rtt"] = await rt.ping(KERNEL)

        # A read that times out, then a cancelled one: the connection is aborted each time.
        reader, writer = await rt.open_connection(KERNEL, 7000)
        try:
            await asyncio.wait_for(reader.read(1), 0.2)
        except TimeoutError:
            writer.transport.abort()
        reader, writer = await rt.open_connection(KERNEL, 7000)
        task = asyncio.ensure_future(reader.readexactly(10))
        await asyncio.sleep(0.05)
        task.cancel()
        writer.transport.abort()
        await wait_empty(rt)
        out["left"] = live(rt)
    report(out)

asyncio.run(asyncio.wait_for(main(), 60))
"""
)

BULK_SERVER = r"""
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.168.69.100", 7001))
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
c.sendall(bytes(range(256)) * 4096 * 8)
c.close()
"""

BACK_PRESSURE = (
    PRELUDE
    + r"""
TOTAL = 8 * 1024 * 1024
LIMIT = 16 * 1024
# The kernel's client writes without blocking and reports when the stack stops taking data.
WRITER = '''
import hashlib, socket, sys, time
total = int(sys.argv[1])
block = bytes(range(256)) * 256
s = socket.create_connection(("192.168.69.1", 7002))
s.setblocking(False)
sent = 0
idle_since = None
deadline = time.monotonic() + 20
while sent < total and time.monotonic() < deadline:
    try:
        sent += s.send(block[sent % len(block) :][: total - sent])
        idle_since = None
    except BlockingIOError:
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since > 1.0:
            break
        time.sleep(0.01)
print("blocked", sent, flush=True)
s.setblocking(True)
while sent < total:
    sent += s.send(block[sent % len(block) :][: total - sent])
s.close()
print("done", sent, flush=True)
'''

async def main():
    out = {}
    async with make_runtime(tcp_buffer=65536) as rt:
        done = asyncio.get_running_loop().create_future()
        # The connection can be accepted before create_subprocess_exec has returned.
        started = asyncio.get_running_loop().create_future()

        async def handle(reader, writer):
            writer_proc = await started
            blocked = (await writer_proc.stdout.readline()).split()
            out["blocked_at"] = int(blocked[1])
            sock = writer.get_extra_info("smoltcp_socket")
            out["rx_queue"] = [sock.recv_queue, sock.recv_capacity]
            out["reader_buffer"] = len(reader._buffer)
            h = hashlib.sha256()
            n = 0
            while data := await reader.read(65536):
                h.update(data)
                n += len(data)
            out["got"] = [n, h.hexdigest()]
            writer.close()
            done.set_result(None)

        server = await rt.start_server(handle, None, 7002, limit=LIMIT)
        writer_proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, str(TOTAL), stdout=subprocess.PIPE
        )
        started.set_result(writer_proc)
        await done
        out["writer"] = (await writer_proc.stdout.read()).decode().split()
        await writer_proc.wait()
        server.close()
        await server.wait_closed()
        await wait_empty(rt)
        out["left"] = live(rt)
    expected = (bytes(range(256)) * 256) * (TOTAL // 65536)
    out["expected"] = [TOTAL, hashlib.sha256(expected).hexdigest()]
    report(out)

asyncio.run(asyncio.wait_for(main(), 60))
"""
)

UDP = (
    PRELUDE
    + r"""
class Proto(asyncio.DatagramProtocol):
    def __init__(self):
        self.queue = asyncio.Queue()
    def datagram_received(self, data, addr):
        self.queue.put_nowait((data, addr))
    def error_received(self, exc):
        self.queue.put_nowait(exc)

async def main():
    out = {}
    kernel = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    kernel.bind((KERNEL, 7100))
    kernel.setblocking(False)
    loop = asyncio.get_running_loop()
    async with make_runtime() as rt:
        transport, proto = await rt.create_datagram_endpoint(Proto, local_addr=(None, 5000))
        transport.sendto(b"to the kernel", (KERNEL, 7100))
        data, addr = await loop.sock_recvfrom(kernel, 2048)
        out["kernel_got"] = [data.decode(), list(addr)]
        await loop.sock_sendto(kernel, b"to the stack", ("192.168.69.1", 5000))
        data, addr = await proto.queue.get()
        out["stack_got"] = [data.decode(), list(addr)]
        # Nothing of the kernel's listens on 7199: its port unreachable reaches the protocol.
        closed, closed_proto = await rt.create_datagram_endpoint(
            Proto, remote_addr=(KERNEL, 7199)
        )
        closed.sendto(b"anyone?")
        exc = await closed_proto.queue.get()
        out["error"] = [type(exc).__name__, exc.errno]
        closed.close()
        transport.close()
        await asyncio.sleep(0.05)
        out["left"] = len(rt.sockets)
    report(out)

asyncio.run(asyncio.wait_for(main(), 30))
"""
)


@pytest.fixture
def tap_ns(netns):
    netns.ip("tuntap", "add", "name", "tap0", "mode", "tap")
    netns.ip("link", "set", "tap0", "up")
    netns.ip("addr", "add", "192.168.69.100/24", "dev", "tap0")
    return netns


def run_json(netns, script: str, timeout: float = 90) -> dict:
    result = netns.python(script, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_stream_client_against_kernel_servers(tap_ns) -> None:
    if shutil.which("socat") is None:
        pytest.skip("needs socat")
    echo = tap_ns.popen("socat", "TCP-LISTEN:7000,bind=192.168.69.100,reuseaddr,fork", "EXEC:cat")
    bulk = tap_ns.popen_python(BULK_SERVER)
    try:
        assert bulk.stdout.readline().strip() == "ready"
        out = run_json(tap_ns, CLIENT)
    finally:
        for proc in (echo, bulk):
            proc.kill()
            proc.wait(5)
    assert out["peer"] == ["192.168.69.100", 7000]
    assert out["echo_ok"] is True
    assert out["eof"] == ""
    expected = bytes(range(256)) * 4096 * 8
    assert out["bulk"] == [len(expected), hashlib.sha256(expected).hexdigest()]
    assert out["refused"] is True
    assert out["timeout"] is True
    assert 0 < out["rtt"] < 5
    assert out["left"] == []


def test_back_pressure_against_a_kernel_writer(tap_ns) -> None:
    out = run_json(tap_ns, BACK_PRESSURE)
    total = out["expected"][0]
    # The kernel's writes blocked long before the end: the stack's window closed.
    assert out["blocked_at"] < total // 2
    rx_queue, rx_capacity = out["rx_queue"]
    assert rx_queue <= rx_capacity
    assert out["reader_buffer"] <= 2 * 16 * 1024 + 65536  # bounded by the reader's limit
    # Nothing was lost once the reader read.
    assert out["got"] == out["expected"]
    assert out["writer"] == ["done", str(total)]
    assert out["left"] == []


def test_datagrams_against_a_kernel_socket(tap_ns) -> None:
    out = run_json(tap_ns, UDP)
    assert out["kernel_got"] == ["to the kernel", ["192.168.69.1", 5000]]
    assert out["stack_got"] == ["to the stack", ["192.168.69.100", 7100]]
    assert out["error"] == ["ConnectionRefusedError", errno.ECONNREFUSED]
    assert out["left"] == 0
