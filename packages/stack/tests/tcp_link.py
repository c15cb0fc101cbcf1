"""An in-memory link between two stacks, with seeded faults, for the TCP pair tests.

`Link` has two ends, `Link.a` and `Link.b`, each a device of the stack's device protocol
(`smoltcp.stack.device`). A frame sent on one end arrives on the other after ``latency``, unless a
fault hits it: loss, corruption (one octet past the Ethernet header XORed with a non-zero
value: the stack must catch it with a checksum), duplication, or reordering (an extra delay
that lets later frames overtake it). An optional bottleneck (``rate_bps`` with a tail-drop
queue of ``queue_frames``) makes congestion control matter.

Every decision comes from one `random.Random(seed)`, and time only from the ``now`` passed
in, so a run is exactly reproducible. (The stack's own tests must not import `smoltcp.phy`,
hence this small device here.)
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import Medium

__all__ = ["Faults", "Link", "LinkEnd"]


@dataclass
class Faults:
    """Per-frame fault probabilities in [0, 1]."""

    loss: float = 0.0
    corrupt: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0

    @classmethod
    def uniform(cls, p: float) -> Faults:
        """Return faults with ``p`` for loss and corruption, ``p / 2`` for the others."""
        return cls(loss=p, corrupt=p, duplicate=p / 2, reorder=p / 2)


@dataclass
class LinkCounters:
    """What the link did to the frames it carried."""

    sent: int = 0
    delivered: int = 0
    lost: int = 0
    corrupted: int = 0
    duplicated: int = 0
    reordered: int = 0
    queue_drops: int = 0
    octets: int = 0
    # Frames lost or corrupted, by the end that sent them (0: a, 1: b).
    damaged_from: list[int] = field(default_factory=lambda: [0, 0])


class _RxToken:
    __slots__ = ("frame",)

    def __init__(self, frame: bytearray) -> None:
        self.frame = frame

    def consume(self, f: Callable[[memoryview], Any]) -> Any:
        return f(memoryview(self.frame))


class _TxToken:
    __slots__ = ("_end", "_now")

    def __init__(self, end: LinkEnd, now: Instant) -> None:
        self._end = end
        self._now = now

    def consume(self, length: int, f: Callable[[memoryview], Any]) -> Any:
        buf = bytearray(length)
        result = f(memoryview(buf))
        self._end._link._send(self._end._index, buf, self._now)
        return result


class LinkEnd:
    """One end of a `Link`: a device of the stack's device protocol."""

    def __init__(self, link: Link, index: int) -> None:
        self._link = link
        self._index = index
        # Frames waiting for this end: a heap of (deliver_at micros, order, frame).
        self._inbox: list[tuple[int, int, bytearray]] = []
        self.tap: Callable[[bytes, Instant], None] | None = None

    def receive(self, now: Instant) -> tuple[_RxToken, _TxToken] | None:
        inbox = self._inbox
        if inbox and inbox[0][0] <= now.micros:
            frame = heapq.heappop(inbox)[2]
            self._link.counters.delivered += 1
            if self.tap is not None:
                self.tap(bytes(frame), now)
            return _RxToken(frame), _TxToken(self, now)
        return None

    def transmit(self, now: Instant) -> _TxToken:
        return _TxToken(self, now)

    def capabilities(self) -> DeviceCapabilities:
        return self._link.caps

    def next_arrival(self) -> Instant | None:
        """Return when the next frame for this end arrives, or None."""
        return Instant(self._inbox[0][0]) if self._inbox else None


@dataclass
class Link:
    """A full-duplex point-to-point link with seeded faults (see the module docstring)."""

    seed: int = 0
    faults: Faults = field(default_factory=Faults)
    latency: Duration = field(default_factory=lambda: Duration.from_millis(1))
    rate_bps: int | None = None
    queue_frames: int = 100
    medium: Medium = Medium.ETHERNET
    mtu: int = 1514

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.counters = LinkCounters()
        self.caps = DeviceCapabilities(medium=self.medium, max_transmission_unit=self.mtu)
        self.a = LinkEnd(self, 0)
        self.b = LinkEnd(self, 1)
        self._order = 0
        # Per direction: when the bottleneck finishes serialising what it holds.
        self._busy_until = [0, 0]

    @property
    def ends(self) -> tuple[LinkEnd, LinkEnd]:
        return self.a, self.b

    def next_arrival(self) -> Instant | None:
        """Return when the next frame arrives at either end, or None."""
        times = [t for t in (self.a.next_arrival(), self.b.next_arrival()) if t is not None]
        return min(times) if times else None

    def _send(self, src: int, frame: bytearray, now: Instant) -> None:
        counters = self.counters
        counters.sent += 1
        counters.octets += len(frame)
        dst = self.b if src == 0 else self.a
        if len(frame) > self.mtu:
            raise AssertionError(f"frame of {len(frame)} octets exceeds the MTU {self.mtu}")
        at = now.micros
        if self.rate_bps is not None:
            # A bottleneck: serialise after what is already queued; tail-drop when full.
            start = max(at, self._busy_until[src])
            tx_time = len(frame) * 8 * 1_000_000 // self.rate_bps
            queued = (start - at) // max(tx_time, 1)
            if queued >= self.queue_frames:
                counters.queue_drops += 1
                return
            self._busy_until[src] = start + tx_time
            at = start + tx_time
        at += self.latency.micros
        rng = self.rng
        f = self.faults
        if f.loss and rng.random() < f.loss:
            counters.lost += 1
            counters.damaged_from[src] += 1
            return
        if f.corrupt and rng.random() < f.corrupt:
            counters.corrupted += 1
            counters.damaged_from[src] += 1
            first = 14 if self.medium == Medium.ETHERNET else 0
            if len(frame) > first:
                i = rng.randrange(first, len(frame))
                frame[i] ^= rng.randrange(1, 256)
        copies = 1
        if f.duplicate and rng.random() < f.duplicate:
            counters.duplicated += 1
            copies = 2
        for copy in range(copies):
            when = at + copy * 10
            if f.reorder and rng.random() < f.reorder:
                counters.reordered += 1
                when += rng.randrange(1, 4) * max(self.latency.micros, 100)
            self._order += 1
            heapq.heappush(dst._inbox, (when, self._order, frame if copy == 0 else frame[:]))
