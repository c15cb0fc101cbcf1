"""CPU of TCP segment arrival alone: `TcpSocket.process` per segment (prints figures only).

    python3 bench/tcp_process_bench.py [--segments N] [--rounds R]

One socket driven by crafted segments with explicit time (no interface, no device, no
checksum), so that only RFC 9293 3.10.7 processing is measured: the receive side (in-order
data of 1448 and of 65000 octets, timestamps and SACK on, an ACK every second segment as
RFC 5681 asks, the application reading) and the sending side (an ACK of new data per segment
sent). Each figure is the least of ``--rounds`` runs of ``--segments`` segments: on a shared
machine the least is the run the others disturbed least.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "packages" / "stack" / "tests"))

from tcp_harness import LOCAL, REMOTE, TcpHarness, TcpTimestampRepr

from smoltcp.wire import IpProtocol, ip_repr


def _established(rx: int, tx: int) -> TcpHarness:
    h = TcpHarness(rx=rx, tx=tx)
    h.establish_passive(timestamp=TcpTimestampRepr(1, 0), sack_permitted=True, window_scale=7)
    return h


def receive(count: int, size: int) -> float:
    """Return the CPU microseconds `process` takes per in-order segment of ``size`` octets."""
    h = _established(1 << 20, 1 << 16)
    sock = h.sock
    seq = 5001
    payload = memoryview(bytes(size))
    sink = bytearray(1 << 20)
    ipr = ip_repr(REMOTE.addr, LOCAL.addr, IpProtocol.TCP, size + 32, 64)
    ack = int(h.iss) + 1
    cpu = 0.0
    for i in range(count):
        seg = h.seg(
            seq=seq, ack=ack, window=512, payload=payload, timestamp=TcpTimestampRepr(2 + i, 1)
        )
        t0 = time.process_time()
        sock.process(h.cx, h.now, ipr, seg)
        cpu += time.process_time() - t0
        seq += size
        if sock.recv_queue > 1 << 19:
            sock.recv_into(sink)
            h.recv()
        h.advance(0.01)
    return cpu / count * 1e6


def acknowledge(count: int, size: int = 100) -> float:
    """Return the CPU microseconds `process` takes per ACK of one new ``size``-octet segment."""
    h = _established(1 << 16, 1 << 20)
    sock = h.sock
    ipr = ip_repr(REMOTE.addr, LOCAL.addr, IpProtocol.TCP, 32, 64)
    una = int(h.iss) + 1
    cpu = 0.0
    for i in range(count):
        sock.send(bytes(size))
        out = h.recv()
        h.advance(1)
        una += sum(len(s.payload) for s in out)
        tsecr = out[-1].timestamp.tsval
        seg = h.seg(seq=5001, ack=una, window=512, timestamp=TcpTimestampRepr(2 + i, tsecr))
        t0 = time.process_time()
        sock.process(h.cx, h.now, ipr, seg)
        cpu += time.process_time() - t0
    return cpu / count * 1e6


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--segments", type=int, default=20000, help="segments per run (default 20000)")
    p.add_argument("--rounds", type=int, default=7, help="runs per figure (default 7)")
    args = p.parse_args()
    n = args.segments
    rows: list[tuple[str, Callable[[], float]]] = [
        ("in-order data, 1448 octets", lambda: receive(n, 1448)),
        ("in-order data, 65000 octets", lambda: receive(max(1, n // 10), 65000)),
        ("ACK of new data", lambda: acknowledge(n)),
    ]
    best = {name: float("inf") for name, _ in rows}
    # Rounds interleave the rows, so that a change in the machine's load falls on all alike.
    for _ in range(args.rounds):
        for name, run in rows:
            best[name] = min(best[name], run())
    for name, _ in rows:
        print(f"process() per segment, {name}: {best[name]:6.2f} us CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
