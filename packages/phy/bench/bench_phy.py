"""Print the per-frame cost of the phy devices and middleware (figures only, no assertions).

    python3 packages/phy/bench/bench_phy.py            # loopback and middleware
    python3 packages/phy/bench/bench_phy.py --tap      # also TAP, in a private netns (root)

At 1 Gbit/s of 1514-octet frames a frame arrives every 12 us: that is the whole budget of the
stack, of which the device should take a small part.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import socket
import subprocess
import sys
import time

from smoltcp.phy import FaultInjector, Loopback, PcapWriter, TapInterface, Tracer
from smoltcp.stack.time import Instant

FRAME_LEN = 1514
PAYLOAD = bytes(range(256)) * 6


def fill(buf: memoryview) -> None:
    buf[:FRAME_LEN] = PAYLOAD[:FRAME_LEN]


def noop(frame: memoryview) -> int:
    return len(frame)


def per_frame(label: str, n: int, fn) -> None:
    start = time.perf_counter()
    fn(n)
    elapsed = time.perf_counter() - start
    print(f"{label:<46} {elapsed / n * 1e6:8.3f} us/frame  {n / elapsed:12,.0f} frames/s")


def loop_roundtrip(dev):
    now = Instant.ZERO

    def run(n: int) -> None:
        for _ in range(n):
            dev.transmit(now).consume(FRAME_LEN, fill)
            dev.receive(now)[0].consume(noop)

    return run


def bench_memory(n: int) -> None:
    print(f"-- in memory, {FRAME_LEN}-octet frames, transmit + receive")
    per_frame("Loopback", n, loop_roundtrip(Loopback()))
    per_frame("Tracer(Loopback), logging off", n, loop_roundtrip(Tracer(Loopback())))
    per_frame(
        "Tracer(Loopback), callback",
        n,
        loop_roundtrip(Tracer(Loopback(), lambda d, t, f: None)),
    )
    with open(os.devnull, "wb") as sink:
        per_frame(
            "PcapWriter(Loopback) to /dev/null", n, loop_roundtrip(PcapWriter(Loopback(), sink))
        )
    per_frame(
        "PcapWriter(Loopback) to BytesIO", n, loop_roundtrip(PcapWriter(Loopback(), io.BytesIO()))
    )
    per_frame("FaultInjector(Loopback), no faults", n, loop_roundtrip(FaultInjector(Loopback(), 1)))
    per_frame(
        "FaultInjector(Loopback), 15% drop/corrupt",
        n,
        loop_roundtrip_lossy(FaultInjector(Loopback(), 1, drop_chance=15, corrupt_chance=15)),
    )


def loop_roundtrip_lossy(dev):
    now = Instant.ZERO

    def run(n: int) -> None:
        for _ in range(n):
            token = dev.transmit(now)
            token.consume(FRAME_LEN, fill)
            pair = dev.receive(now)
            if pair is not None:
                pair[0].consume(noop)

    return run


def bench_tap_inner(n: int, offload: bool) -> None:
    """Run inside the namespace: tap0 is up with 192.168.69.100/24 and a static neighbour."""
    dev = TapInterface("tap0", offload=offload)
    now = Instant.ZERO
    mtu = dev.capabilities().max_transmission_unit
    print(f"-- TAP (tap0, MTU {mtu}, offload {'on: checksums completed' if offload else 'off'})")
    per_frame(
        "receive() with nothing waiting (EAGAIN)", n, lambda k: [dev.receive(now) for _ in range(k)]
    )
    per_frame("transmit + consume + write, 1514 octets", n, lambda k: [
        dev.transmit(now).consume(FRAME_LEN, fill) for _ in range(k)
    ])  # fmt: skip
    # The kernel sends datagrams out of tap0 (to a static neighbour): frames for us to read.
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 24)
    batch = 900  # below tap0's txqueuelen, so the kernel drops none
    datagram = bytes(1472)
    total = 0
    start_all = 0.0
    for _ in range(max(1, n // batch)):
        for _ in range(batch):
            sender.sendto(datagram, ("192.168.69.2", 9))
        start = time.perf_counter()
        got = 0
        while (pair := dev.receive(now)) is not None:
            pair[0].consume(noop)
            got += 1
        start_all += time.perf_counter() - start
        total += got
    if total:
        print(
            f"{'receive + consume, 1514 octets (readinto)':<46} {start_all / total * 1e6:8.3f}"
            f" us/frame  {total / start_all:12,.0f} frames/s  ({total} frames)"
        )
    dev.close()


def bench_tap(n: int) -> None:
    ns = f"smoltcp-p-bench-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        for args in (
            ["tuntap", "add", "dev", "tap0", "mode", "tap"],
            ["link", "set", "tap0", "txqueuelen", "10000"],
            ["addr", "add", "192.168.69.100/24", "dev", "tap0"],
            ["link", "set", "tap0", "up"],
            ["neigh", "add", "192.168.69.2", "lladdr", "02:00:00:00:00:02", "dev", "tap0"],
        ):
            subprocess.run(["ip", "-n", ns, *args], check=True)
        subprocess.run(
            ["ip", "netns", "exec", ns, sys.executable, __file__, "--tap-inner", "-n", str(n)],
            check=True,
            timeout=120,
        )
        subprocess.run(
            ["ip", "netns", "exec", ns, sys.executable, __file__, "--tap-inner", "--offload",
             "-n", str(n)],
            check=True,
            timeout=120,
        )  # fmt: skip
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="frames per measurement")
    parser.add_argument("--tap", action="store_true", help="also measure TAP (root, netns)")
    parser.add_argument("--tap-inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--offload", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tap_inner:
        bench_tap_inner(args.n, args.offload)
        return 0
    bench_memory(args.n)
    if args.tap:
        bench_tap(args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
