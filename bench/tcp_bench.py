"""Benchmark TCP bulk transfer: two stacks in memory, and our stack against Linux over TAP.

    python3 bench/tcp_bench.py                 # in-memory pair: 64 KiB, 1 MiB, 1 MiB at 1 % loss
    python3 bench/tcp_bench.py --linux         # also Linux over TAP (root; a private netns)
    python3 bench/tcp_bench.py --linux --offload   # and at MTU 1500 with TAP offloads (TSO)
    python3 bench/tcp_bench.py --size 32 --profile

Figures (printed, never asserted):

- in memory: Gbit/s of payload per CPU second of the whole process (both stacks share the one
  core), and the CPU time per frame spent in the sending stack's ``poll`` (send path:
  segmentation, emit, ACK processing) and in the receiving stack's ``poll`` (receive path:
  parse, checksum, reassembly, ACK generation); then the same with the interfaces' software
  GSO and GRO on (the default) and off, in one run; then the cost of the TCP event trace
  (``smoltcp.stack.tcp.trace``): off (the default: every figure above) and on, recording
  into a ring on both stacks;
- Linux over TAP: Gbit/s of payload by wall time at IP MTU 1500 and 65521, our stack sending
  and our stack receiving, each in a namespace of its own (``smoltcp-t2-bench-<random>``).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "packages" / "stack" / "tests"
sys.path.insert(0, str(TESTS))

MB = 1 << 20


def bench_pair(
    size_mb: int,
    buffer: int,
    profile: bool = False,
    loss: float = 0.0,
    trace: bool = False,
    **config: object,
) -> dict:
    from tcp_link import Faults, Link
    from tcp_sim import Bulk, connect_pair, make_pair, payload

    from smoltcp.stack.time import Duration, Instant

    # With loss, a little latency: recovery needs ACKs to come back after the holes.
    latency = Duration.from_micros(200) if loss else Duration.ZERO
    link = Link(seed=1, latency=latency, mtu=1514, faults=Faults(loss=loss))
    sim, a, b = make_pair(link, **config)
    ring = None
    if trace:
        from smoltcp.stack.tcp.trace import RingRecorder

        ring = RingRecorder(1 << 22)
        a.sockets.set_tcp_trace(ring)
        b.sockets.set_tcp_trace(ring)
    client, server = connect_pair(sim, a, b, rx_size=buffer, tx_size=buffer)
    data = payload(size_mb * MB, 7)
    up = Bulk(client, data)
    down = Bulk(server, b"")

    def app(now: Instant) -> bool:
        x = up.step()
        y = down.step()
        return x and y

    sim.measure_cpu = True
    # Frames, not TCP's own counts: with GSO one segment of TCP's is many on the wire.
    frames_out0 = a.iface.counters.sent
    frames_in0 = b.iface.counters.received
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    sim.run(app, max_time=Duration.from_secs(3600), max_iterations=50_000_000)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    assert down.received == len(data)
    frames_out = a.iface.counters.sent - frames_out0
    frames_in = b.iface.counters.received - frames_in0
    return {
        "buffer": buffer,
        "bytes": len(data),
        "cpu": cpu,
        "wall": wall,
        "gbps_cpu": len(data) * 8 / cpu / 1e9,
        "send_us_per_frame": a.cpu / max(frames_out, 1) * 1e6,
        "recv_us_per_frame": b.cpu / max(frames_in, 1) * 1e6,
        "frames_sent": frames_out,
        "frames_received": frames_in,
        "frames": link.counters.sent,
        "retransmissions": client.stats.retransmissions,
        "records": 0 if ring is None else len(ring) + ring.dropped,
    }


def _netns(mtu: int) -> str:
    name = f"smoltcp-t2-bench-{secrets.token_hex(4)}"

    def ip(*args: str) -> None:
        subprocess.run(["ip", "-n", name, *args], check=True, capture_output=True, timeout=10)

    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True, timeout=10)
    ip("link", "set", "lo", "up")
    ip("tuntap", "add", "dev", "tap0", "mode", "tap")
    ip("link", "set", "tap0", "mtu", str(mtu))
    ip("addr", "add", "192.168.69.100/24", "dev", "tap0")
    ip("link", "set", "tap0", "up")
    return name


def bench_linux(mtu: int, stack_sends: bool, size_mb: int, offload: bool = False) -> dict:
    peer = str(TESTS / "tcp_linux_peer.py")
    name = _netns(mtu)
    path = [str(TESTS), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in path if p))
    size = size_mb * MB

    def popen(side: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            ["ip", "netns", "exec", name, sys.executable, peer, side, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    try:
        common = ["--port", "5001", "--deadline", "120"]
        extra = ["--offload"] if offload else []
        stack = popen(
            "stack",
            "--role",
            "server",
            "--send",
            str(size if stack_sends else 0),
            *common,
            *extra,
        )
        assert stack.stdout is not None
        if stack.stdout.readline().strip() != "READY":
            raise RuntimeError(stack.communicate(timeout=10)[1][-2000:])
        kernel = popen(
            "kernel", "--role", "client", "--send", str(0 if stack_sends else size), *common
        )
        kout, kerr = kernel.communicate(timeout=150)
        sout, serr = stack.communicate(timeout=150)
        if stack.returncode or kernel.returncode:
            raise RuntimeError(f"stack: {serr[-1500:]}\nkernel: {kerr[-1500:]}")
        s = json.loads([ln for ln in sout.splitlines() if ln.startswith("{")][-1])
        k = json.loads([ln for ln in kout.splitlines() if ln.startswith("{")][-1])
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)
    moved = k["received"] if stack_sends else s["received"]
    if moved != size:
        raise RuntimeError(f"moved {moved} of {size} octets: {s} {k}")
    return {
        "mtu": mtu,
        "offload": offload,
        "direction": "stack->linux" if stack_sends else "linux->stack",
        "gbps": size * 8 / s["transfer_seconds"] / 1e9,
        "seconds": s["transfer_seconds"],
        "stack_cpu": s["cpu"],
        "retransmissions": s["retransmissions"],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--size", type=int, default=16, help="MiB per in-memory run (default 16)")
    p.add_argument("--linux", action="store_true", help="also run against Linux over TAP")
    p.add_argument("--linux-size", type=int, default=32, help="MiB per Linux run (default 32)")
    p.add_argument("--profile", action="store_true", help="cProfile the in-memory runs")
    p.add_argument(
        "--offload", action="store_true", help="also run Linux at MTU 1500 with TAP offloads"
    )
    args = p.parse_args(argv)

    print(f"in-memory pair, {args.size} MiB one way, MTU 1500")
    for buffer, loss in ((64 * 1024, 0.0), (1 << 20, 0.0), (1 << 20, 0.01)):
        r = bench_pair(args.size, buffer, args.profile, loss)
        print(
            f"  buffers {buffer // 1024:5d} KiB, {loss:4.0%} loss: "
            f"{r['gbps_cpu']:.3f} Gbit/s per CPU second "
            f"({r['cpu']:.2f} s CPU, {r['wall']:.2f} s wall, {r['frames_sent']} frames sent, "
            f"{r['retransmissions']} retransmitted); per frame: send path "
            f"{r['send_us_per_frame']:.1f} us, receive path {r['recv_us_per_frame']:.1f} us"
        )
    print("  the same, 1024 KiB buffers, no loss: software segmentation and receive offload")
    for gso, gro in ((True, True), (False, False)):
        r = bench_pair(args.size, 1 << 20, gso_size=65535 if gso else 0, gro=gro)
        print(
            f"    GSO and GRO {'on ' if gso else 'off'}: {r['gbps_cpu']:.3f} Gbit/s per CPU "
            f"second; per frame: send path {r['send_us_per_frame']:.1f} us, receive path "
            f"{r['recv_us_per_frame']:.1f} us"
        )
    print("  the same, 1024 KiB buffers, 1% loss: the TCP event trace")
    for trace in (False, True):
        r = bench_pair(args.size, 1 << 20, loss=0.01, trace=trace)
        print(
            f"    trace {'on ' if trace else 'off'}: {r['gbps_cpu']:.3f} Gbit/s per CPU second; "
            f"per frame: send path {r['send_us_per_frame']:.1f} us, receive path "
            f"{r['recv_us_per_frame']:.1f} us" + (f" ({r['records']} records)" if trace else "")
        )
    if args.linux:
        if os.geteuid() != 0:
            print("Linux over TAP: skipped (needs root for a network namespace)")
            return 0
        print(f"Linux over TAP, {args.linux_size} MiB per run, 1 MiB buffers")
        runs = [(1500, False), (65521, False)] + ([(1500, True)] if args.offload else [])
        for mtu, offload in runs:
            for stack_sends in (True, False):
                label = f"MTU {mtu:5d}{' offload' if offload else ''}"
                try:
                    r = bench_linux(mtu, stack_sends, args.linux_size, offload)
                except Exception as exc:  # report and go on: a benchmark prints, never fails
                    print(f"  {label}: failed: {exc}")
                    continue
                print(
                    f"  {label} {r['direction']:13s}: {r['gbps']:.3f} Gbit/s "
                    f"({r['seconds']:.2f} s, stack CPU {r['stack_cpu']:.2f} s, "
                    f"{r['retransmissions']} retransmitted)"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
