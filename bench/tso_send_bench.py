"""The stack's send path per TSO super-segment, and per ACK it receives for them.

    python3 bench/tso_send_bench.py [--size MIB] [--repeat N] [--profile] [--loss P]

Two stacks in memory. The sender's device takes TCP segmentation offload (IP MTU 1500,
``max_tso_size`` of a 65535-octet IP packet, as a TAP with offloads reports), so TCP hands it
super-segments of up to 64 KiB; the receiver's link carries them whole (as the kernel's GRO
hands them over), and ACKs them. The figures are the sending interface's ``poll`` CPU time,
split in two: per frame sent (the send side: TCP's choice of what to send, the header build,
the copy out of the ring buffer, the checksum; with the poll's own fixed cost, all but the
receiving) and per ACK received (parse, TCP's ACK
processing: RTT, RACK, congestion control, recovery, the SACK scoreboard), each the median of
``--repeat`` runs; ``--loss`` loses that share of the frames both ways (seeded), so that
recovery and the scoreboard work too. ``--latency`` is the one-way delay in microseconds.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "packages" / "stack" / "tests"
sys.path.insert(0, str(TESTS))

MB = 1 << 20
# A 65535-octet IP packet in an Ethernet frame: what a TAP with offloads takes and gives.
BIG_FRAME = 65535 + 14
# The split of the sending poll's CPU time (``Sim`` measures it) into its parts: this
# thread's CPU time (a reading costs about a microsecond, the same for every version).
_clock = time.thread_time


class _TimedRx:
    """A receive token whose consume (the whole ingress of one frame) is timed."""

    __slots__ = ("_clock", "_token")

    def __init__(self, token: Any, clock: _Clock) -> None:
        self._token = token
        self._clock = clock

    def consume(self, f: Callable[[memoryview], Any]) -> Any:
        clock = self._clock
        t0 = _clock()
        try:
            return self._token.consume(f)
        finally:
            clock.rx += _clock() - t0
            clock.frames += 1


class _TimedTx:
    """A transmit token that times the device's own work (the link's buffer and delivery),
    so that it is not counted as the stack's."""

    __slots__ = ("_clock", "_token")

    def __init__(self, token: Any, clock: _Clock) -> None:
        self._token = token
        self._clock = clock

    def consume(self, length: int, f: Callable[[memoryview], Any]) -> Any:
        clock = self._clock
        inner = 0.0

        def fill(buf: memoryview) -> Any:
            nonlocal inner
            t1 = _clock()
            try:
                return f(buf)
            finally:
                inner = _clock() - t1

        t0 = _clock()
        try:
            return self._token.consume(length, fill)
        finally:
            clock.device += _clock() - t0 - inner


class _Clock:
    __slots__ = ("device", "frames", "rx")

    def __init__(self) -> None:
        self.rx = 0.0
        self.device = 0.0
        self.frames = 0


class _SenderEnd:
    """The sender's end of the link: TSO capabilities, and its received frames timed."""

    def __init__(self, end: Any, caps: Any, clock: _Clock) -> None:
        self._end = end
        self._caps = caps
        self._clock = clock

    def receive(self, now: Any) -> Any:
        got = self._end.receive(now)
        if got is None:
            return None
        return _TimedRx(got[0], self._clock), got[1]

    def transmit(self, now: Any) -> Any:
        return _TimedTx(self._end.transmit(now), self._clock)

    def capabilities(self) -> Any:
        return self._caps


def run(size_mb: int, loss: float, latency_us: int, profile: bool) -> dict:
    from tcp_link import Faults, Link
    from tcp_sim import Bulk, Host, Sim, connect_pair, payload

    from smoltcp.stack.device import DeviceCapabilities
    from smoltcp.stack.time import Duration, Instant

    link = Link(
        seed=1,
        mtu=BIG_FRAME,
        latency=Duration.from_micros(latency_us),
        faults=Faults(loss=loss),
    )
    clock = _Clock()
    caps = DeviceCapabilities(max_transmission_unit=1514, max_tso_size=BIG_FRAME)
    now = Instant.ZERO
    a = Host(_SenderEnd(link.a, caps, clock), "02-00-00-00-00-01", "192.168.69.1/24", 1, now)
    b = Host(link.b, "02-00-00-00-00-02", "192.168.69.2/24", 2, now)
    sim = Sim(link, [a, b], now=now)
    client, server = connect_pair(sim, a, b, rx_size=4 * MB, tx_size=4 * MB)
    data = payload(size_mb * MB, 7)
    up = Bulk(client, data)
    down = Bulk(server, b"")

    def app(now: Instant) -> bool:
        x = up.step()
        y = down.step()
        return x and y

    sim.measure_cpu = True
    a.cpu = 0.0
    clock.rx = clock.device = 0.0
    clock.frames = 0
    sent0 = a.iface.counters.sent
    prof = None
    if profile:
        import cProfile

        # Only the sender's polls.
        prof = cProfile.Profile()
        poll = a.iface.poll

        def profiled(*args: Any) -> Any:
            prof.enable()
            try:
                return poll(*args)
            finally:
                prof.disable()

        a.iface.poll = profiled  # type: ignore[method-assign]
    sim.run(app, max_time=Duration.from_secs(3600), max_iterations=50_000_000)
    if prof is not None:
        import pstats

        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(35)
    assert down.received == len(data), (down.received, len(data))
    segments = a.iface.counters.sent - sent0
    acks = clock.frames
    # The stack's own: less the link's work on transmit (a TAP writes from a buffer of its own).
    send_cpu = a.cpu - clock.rx - clock.device
    return {
        "segments": segments,
        "acks": acks,
        "send_us": send_cpu / max(segments, 1) * 1e6,
        "ack_us": clock.rx / max(acks, 1) * 1e6,
        "gbps": len(data) * 8 / (a.cpu - clock.device) / 1e9,
        "retransmissions": client.stats.retransmissions,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=64, help="MiB per run (default 64)")
    p.add_argument("--repeat", type=int, default=3, help="runs (default 3)")
    p.add_argument("--loss", type=float, default=0.0, help="frame loss both ways (default 0)")
    p.add_argument("--latency", type=int, default=50, help="one-way delay, us (default 50)")
    p.add_argument("--profile", action="store_true", help="cProfile the sending polls of one run")
    args = p.parse_args()
    from smoltcp.stack import kernels

    kernels.build()
    if args.profile:
        run(args.size, args.loss, args.latency, True)
        return 0
    runs = [run(args.size, args.loss, args.latency, False) for _ in range(args.repeat)]
    send_us = statistics.median(r["send_us"] for r in runs)
    ack_us = statistics.median(r["ack_us"] for r in runs)
    gbps = statistics.median(r["gbps"] for r in runs)
    r = runs[0]
    print(
        f"TSO sender, {args.size} MiB, loss {args.loss:.2%}, latency {args.latency} us: "
        f"{send_us:.2f} us CPU per super-segment sent ({r['segments']} frames), "
        f"{ack_us:.2f} us per ACK received ({r['acks']} ACKs), "
        f"{gbps:.2f} Gbit per CPU s of the sending poll, "
        f"{r['retransmissions']} retransmissions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
