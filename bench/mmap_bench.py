"""Print TCP throughput of the stack over the PACKET_MMAP device beside the plain raw socket.

In a private network namespace it creates, a veth pair at MTU 1500: the kernel on v0
(10.9.9.1, with TSO, GSO and transmit checksum offload turned off when ``ethtool`` is there,
so that both devices see ordinary 1514-octet frames), the stack on v1 (10.9.9.2) over either
`smoltcp.phy.RawSocket` or `smoltcp.phy.PacketMmapSocket`. Two directions:

- reader: a kernel socket (another process) sends ``--mib`` MiB, the stack receives them;
  timed by the stack from its first octet to the peer's FIN;
- writer: the stack sends ``--mib`` MiB to a kernel socket; timed by the receiving process
  from its first octet to the end of the stream.

Each row is the median of ``--runs`` runs, in Gbit/s of TCP payload and data frames per
second (from v1's packet counters). Needs root and iproute2. Example:

    sudo python bench/mmap_bench.py --mib 64 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time

STACK = r"""
import json, sys, time
from pathlib import Path
from smoltcp.phy import PacketMmapSocket, RawSocket, Waiter
from smoltcp.phy import now as clock
from smoltcp.stack import kernels
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpCidr, Ipv4Address

kind, direction, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
kernels.build()  # the steady state from the first frame
device = PacketMmapSocket("v1") if kind == "mmap" else RawSocket("v1", ignore_outgoing=True)
config = Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01"))
iface = Interface(config, device, clock())
iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse("10.9.9.2/24")))
sockets = SocketSet()
sock = TcpSocket(1 << 20, 1 << 20)
if direction == "reader":
    sock.listen(5000)
else:
    sock.connect(iface.context, (Ipv4Address.parse("10.9.9.1"), 5001), 0)
handle = sockets.add(sock)
waiter = Waiter([device])
stats = Path("/sys/class/net/v1/statistics")
def counter(name):
    return int((stats / name).read_text())
rx0, tx0 = counter("rx_packets"), counter("tx_packets")
chunk = memoryview(bytes(1 << 16))
got = sent = 0
first = last = None
deadline = time.monotonic() + 120
limit = Duration.from_millis(5)
while time.monotonic() < deadline:
    now = clock()
    iface.poll(now, device, sockets)
    s = sockets.get(handle)
    if direction == "reader":
        while s.can_recv():
            got += len(s.recv(1 << 20))
            if first is None:
                first = time.perf_counter()
        if got and not s.may_recv():
            last = time.perf_counter()
            s.close()
            break
    else:
        while sent < size and s.can_send():
            sent += s.send(chunk[: min(len(chunk), size - sent)])
        if sent == size and s.state is TcpState.ESTABLISHED:
            s.close()
        if s.state in (TcpState.FIN_WAIT_2, TcpState.TIME_WAIT, TcpState.CLOSED) and sent:
            break
    delay = iface.poll_delay(now, sockets)
    if delay is None or delay.micros > 0:
        waiter.wait(limit if delay is None or delay > limit else delay)
for _ in range(200):  # let the last ACK and FIN leave
    iface.poll(clock(), device, sockets)
    waiter.wait(Duration.from_millis(1))
out = {"got": got, "rx": counter("rx_packets") - rx0, "tx": counter("tx_packets") - tx0}
if first is not None and last is not None:
    out["seconds"] = last - first
if kind == "mmap":
    out["drops"] = device.ring_drops()
device.close()
print(json.dumps(out))
"""

KERNEL_SEND = r"""
import socket, sys, time
size = int(sys.argv[1])
for _ in range(100):
    try:
        conn = socket.create_connection(("10.9.9.2", 5000), timeout=30)
        break
    except OSError:
        time.sleep(0.05)
buf = bytes(1 << 16)
left = size
while left > 0:
    left -= conn.send(buf[: min(len(buf), left)])
conn.shutdown(socket.SHUT_WR)
while conn.recv(1 << 16):
    pass
"""

KERNEL_RECV = r"""
import json, socket, sys, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("10.9.9.1", 5001))
srv.listen(1)
srv.settimeout(60)
print("ready", flush=True)
conn, _ = srv.accept()
conn.settimeout(60)
got, first = 0, None
while data := conn.recv(1 << 20):
    if first is None:
        first = time.perf_counter()
    got += len(data)
print(json.dumps({"got": got, "seconds": time.perf_counter() - first}), flush=True)
"""


def sh(ns: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", ns, *argv], check=check, capture_output=True, text=True, timeout=60
    )


def run_once(ns: str, kind: str, direction: str, size: int) -> dict[str, float]:
    py = sys.executable
    if direction == "reader":
        stack = subprocess.Popen(
            ["ip", "netns", "exec", ns, py, "-c", STACK, kind, direction, str(size)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        sh(ns, py, "-c", KERNEL_SEND, str(size))
        out, err = stack.communicate(timeout=150)
        if stack.returncode:
            raise RuntimeError(err)
        result = json.loads(out.strip().splitlines()[-1])
        frames = result["rx"]
    else:
        kernel = subprocess.Popen(
            ["ip", "netns", "exec", ns, py, "-c", KERNEL_RECV],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert kernel.stdout is not None
        kernel.stdout.readline()  # "ready"
        stack_out = sh(ns, py, "-c", STACK, kind, direction, str(size))
        stack_result = json.loads(stack_out.stdout.strip().splitlines()[-1])
        out, err = kernel.communicate(timeout=150)
        if kernel.returncode:
            raise RuntimeError(err)
        result = json.loads(out.strip().splitlines()[-1])
        frames = stack_result["tx"]
        result["drops"] = stack_result.get("drops", 0)
    if result["got"] != size or "seconds" not in result:
        raise RuntimeError(f"short transfer: {result}")
    seconds = result["seconds"]
    return {
        "gbits": size * 8 / seconds / 1e9,
        "frames": frames / seconds,
        "drops": result.get("drops", 0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=64, help="MiB per run (64)")
    parser.add_argument("--runs", type=int, default=3, help="runs per row; the median is shown")
    args = parser.parse_args(argv)
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("needs root and iproute2", file=sys.stderr)
        return 2
    size = args.mib << 20
    ns = f"smoltcp-mb-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", ns], check=True, timeout=10)
    try:
        sh(ns, "ip", "link", "set", "lo", "up")
        sh(ns, "ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1")
        sh(ns, "sysctl", "-qw", "net.ipv6.conf.v1.disable_ipv6=1")
        sh(ns, "ip", "addr", "add", "10.9.9.1/24", "dev", "v0")
        for dev in ("v0", "v1"):
            sh(ns, "ip", "link", "set", dev, "mtu", "1500", "up")
        offloads = "on (no ethtool)"
        if shutil.which("ethtool"):
            sh(ns, "ethtool", "-K", "v0", "tso", "off", "gso", "off", "tx", "off")
            offloads = "off on the kernel's end"
        print(f"veth, MTU 1500, offloads {offloads}; {args.mib} MiB per run, median of {args.runs}")
        print(f"{'device':<18} {'direction':<7} {'Gbit/s':>7} {'frames/s':>10} {'ring drops':>10}")
        for direction in ("reader", "writer"):
            for kind, label in (("raw", "RawSocket"), ("mmap", "PacketMmapSocket")):
                runs = []
                for _ in range(args.runs):
                    runs.append(run_once(ns, kind, direction, size))
                    time.sleep(0.2)
                gbits = statistics.median(r["gbits"] for r in runs)
                frames = statistics.median(r["frames"] for r in runs)
                drops = max(r["drops"] for r in runs)
                print(f"{label:<18} {direction:<7} {gbits:>7.2f} {frames:>10.0f} {drops:>10.0f}")
                sys.stdout.flush()
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
