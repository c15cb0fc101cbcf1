"""Queue disciplines of a simulated transmitter: drop-tail, RED and CoDel.

Each keeps its frames in a FIFO with their arrival times (so the queue also knows how long each
frame waited), bounded like `smoltcp.phy.impair.TimedQueue`, with the same counters:
``arrivals`` = ``departures`` + ``drops`` + ``queued``, exactly, whatever the discipline drops
and when.

- `DropTail`: turn a frame away when it would exceed ``limit`` frames or ``limit_octets``.
  It also holds trains (`smoltcp.phy.sim.train`), counted as their pieces: see
  `DropTail.push_train` and `DropTail.start_train`.
- `Red`: Random Early Detection (Floyd and Jacobson, 1993): drop arrivals with a probability
  that grows with the average queue length between ``min_th`` and ``max_th`` (in frames).
- `CoDel`: Controlled Delay (RFC 8289): drop at the head while the time frames spend in the
  queue stays above ``target`` for at least ``interval``, ever more often.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from smoltcp.phy.impair import QueueCounters, check_bounds

from .train import Train

__all__ = ["CoDel", "DropTail", "QueueDiscipline", "QueueSpec", "Red"]


class QueueDiscipline:
    """A bounded FIFO that decides which frames to drop; see the module docstring.

    ``limit`` frames and ``limit_octets`` (None: no octet bound) bound it as they bound a
    `TimedQueue` (ValueError out of range). Arrivals must come in time order (the
    simulator's clock never goes back).
    """

    __slots__ = ("_frames", "counters", "limit", "limit_octets")

    def __init__(self, limit: int, limit_octets: int | None) -> None:
        check_bounds(limit, limit_octets)
        self.limit = limit
        self.limit_octets = limit_octets
        self.counters = QueueCounters()
        # (arrival time, frame), oldest first; made with the first frame (an empty deque
        # holds 760 octets: an idle host's queues cost no more than before). The port reads
        # whether any frame waits here (no call).
        self._frames: deque[tuple[int, bytearray]] | None = None

    def has_room(self, length: int) -> bool:
        """Return whether a frame of ``length`` octets fits the bounds now."""
        c = self.counters
        if c.queued >= self.limit:
            return False
        return self.limit_octets is None or c.queued_octets + length <= self.limit_octets

    @property
    def bounds(self) -> tuple[int, int | None]:
        """The bounds: (``limit`` frames, ``limit_octets`` or None)."""
        return self.limit, self.limit_octets

    def room_for(self, now: int, frames: int, octets: int) -> bool:
        """Return whether ``frames`` frames of ``octets`` octets in all fit the bounds now."""
        c = self.counters
        if c.queued + frames > self.limit:
            return False
        return self.limit_octets is None or c.queued_octets + octets <= self.limit_octets

    def enqueue(self, now: int, frame: bytearray) -> bool:
        """Offer ``frame`` arriving at ``now`` (µs); return False if it was dropped."""
        return self._push(now, frame)

    def dequeue(self, now: int) -> bytearray | None:
        """Return the next frame to send at ``now``, or None if none is left."""
        return self._pop()

    def __len__(self) -> int:
        return len(self._frames) if self._frames is not None else 0

    def _push(self, now: int, frame: bytearray) -> bool:
        # Queue ``frame`` at the tail if it fits the bounds, else count it dropped.
        # `has_room`, without the call: this runs for every frame offered to the queue.
        c = self.counters
        c.arrivals += 1
        length = len(frame)
        limit_octets = self.limit_octets
        if c.queued >= self.limit or (
            limit_octets is not None and c.queued_octets + length > limit_octets
        ):
            c.drops += 1
            return False
        c.queued += 1
        c.queued_octets += length
        frames = self._frames
        if frames is None:
            frames = self._frames = deque()
        frames.append((now, frame))
        return True

    def _drop(self) -> None:
        # Count an arrival turned away before it reached the queue.
        c = self.counters
        c.arrivals += 1
        c.drops += 1

    def _pop(self) -> bytearray | None:
        # Take the head as a departure.
        frames = self._frames
        if not frames:
            return None
        frame = frames.popleft()[1]
        c = self.counters
        c.departures += 1
        c.queued -= 1
        c.queued_octets -= len(frame)
        return frame

    def _head_arrival(self) -> int | None:
        # When the head arrived (µs), or None if the queue is empty.
        frames = self._frames
        return frames[0][0] if frames else None

    def _drop_head(self, now: int) -> None:
        # A frame that was queued leaves as a drop, not a departure: the counters still add up.
        frame = self._pop()
        if frame is not None:
            c = self.counters
            c.departures -= 1
            c.drops += 1


class DropTail(QueueDiscipline):
    """First in, first out; an arrival that does not fit is dropped.

    A train is queued whole when all its pieces fit (`push_train`; `fitting` tells how many
    of them would, `turn_away` counts the others dropped) and counted as its pieces:
    ``frames`` arrivals, frames queued and departures, ``wire_len`` octets. When the
    transmitter starts it (`start_train`), its pieces but the first stay counted as queued
    until the instant each would have left the queue frame by frame (the end of the piece
    before it), so that every arrival and every look at the occupancy sees what the pieces
    would give (`room_for`, `fitting`, `enqueue` and `dequeue` catch up first; `room_at`
    tells when the pieces leaving make room). A piece whose start is the current instant
    has left (ties go to departure, whatever the order of the events of that instant). With
    `joins`, a train that continues the train queued right before it joins it in place
    (`Train.coalesce`): one train of the pieces of both; the queue owns what it holds.
    """

    __slots__ = ("_held", "_held_left", "_held_octets", "_tail", "joins")

    def __init__(self, limit: int, limit_octets: int | None) -> None:
        super().__init__(limit, limit_octets)
        # The instant each piece of the train being sent leaves the queue, in order (None
        # once all have left); the octets of its first k pieces at index k of `_held_octets`;
        # the first `_held_left` of them have left.
        self._held: list[int] | None = None
        self._held_octets: Sequence[int] = ()
        self._held_left = 0
        # The last arrival if it is a train still queued: the next train may join it.
        self._tail: Train | None = None
        self.joins = False
        """Whether a train joins the one queued right before it when it continues it
        (`Train.coalesce`): set by a port whose far end coalesces received segments (GRO)."""

    def catch_up(self, now: int) -> None:
        """Count the pieces of the train being sent that have left the queue by ``now``."""
        held = self._held
        if not held:
            return
        left = self._held_left
        gone = bisect_right(held, now, left)
        if gone > left:
            c = self.counters
            c.departures += gone - left
            c.queued -= gone - left
            c.queued_octets -= self._held_octets[gone] - self._held_octets[left]
            if gone == len(held):
                self._held = None
            else:
                self._held_left = gone

    def room_for(self, now: int, frames: int, octets: int) -> bool:
        """Return whether ``frames`` frames of ``octets`` octets in all fit at ``now``."""
        if self._held:
            self.catch_up(now)
        return super().room_for(now, frames, octets)

    def enqueue(self, now: int, frame: bytearray) -> bool:
        """Offer ``frame`` arriving at ``now`` (µs); return False if it was dropped."""
        if self._held:
            self.catch_up(now)
        if self._push(now, frame):
            self._tail = None
            return True
        return False

    def pass_through(self, now: int, frame: bytearray) -> bool:
        """Count ``frame`` (not a train) arriving at ``now`` (µs) at an idle transmitter that
        starts it at once: what `enqueue` then `dequeue` would count and return, without
        holding it; return False if it was dropped. The queue must hold no frame (one waiting
        would go first): the caller checks."""
        if self._held:
            self.catch_up(now)
        c = self.counters
        c.arrivals += 1
        limit_octets = self.limit_octets
        if c.queued >= self.limit or (
            limit_octets is not None and c.queued_octets + len(frame) > limit_octets
        ):
            c.drops += 1
            return False
        c.departures += 1
        self._tail = None
        return True

    def fitting(self, now: int, lengths: list[int]) -> int:
        """Return how many of the frames of ``lengths`` octets, offered in order at ``now``,
        would be queued one after the other before the first that does not fit."""
        if self._held:
            self.catch_up(now)
        c = self.counters
        frames = self.limit - c.queued
        octets = None if self.limit_octets is None else self.limit_octets - c.queued_octets
        fit = 0
        for length in lengths:
            if fit >= frames or (octets is not None and length > octets):
                break
            fit += 1
            if octets is not None:
                octets -= length
        return fit

    def turn_away(self, frames: int) -> None:
        """Count ``frames`` arrivals dropped for want of room (pieces of a train)."""
        c = self.counters
        c.arrivals += frames
        c.drops += frames

    def push_train(self, now: int, train: Train) -> bool:
        """Queue ``train`` whole if all its pieces fit now; else return False, nothing done
        (the caller cuts it and offers the pieces one by one)."""
        if not self.room_for(now, train.frames, train.wire_len):
            return False
        c = self.counters
        tail = self._tail
        if tail is not None and self.joins and tail.coalesce(train):
            c.arrivals += train.frames
            c.queued += train.frames
            c.queued_octets += train.wire_len
            return True
        self._push(now, train)
        self._tail = train
        # Counted above as one frame of the train's length: make it its pieces.
        extra = train.frames - 1
        c.arrivals += extra
        c.queued += extra
        c.queued_octets += train.wire_len - len(train)
        return True

    def dequeue(self, now: int) -> bytearray | None:
        """Return the next frame or train to send at ``now``, or None if none is left."""
        if self._held:
            self.catch_up(now)
        frames = self._frames
        if not frames:
            return None
        frame = frames.popleft()[1]
        if frame is self._tail:
            self._tail = None
        if type(frame) is Train:
            # Its pieces stay queued until `start_train` says when each leaves.
            return frame
        c = self.counters
        c.departures += 1
        c.queued -= 1
        c.queued_octets -= len(frame)
        return frame

    def start_train(self, leaves: list[int], lengths: list[int], now: int) -> None:
        """Count the pieces of the train just dequeued, of ``lengths`` octets, as queued
        until the instants in ``leaves`` (in order; the first leaves ``now``)."""
        held = self._held
        if held:
            # Pieces of an earlier train still held stay first (a port starts a train when
            # the one before has ended, so all of its pieces have left by then).
            left = self._held_left
            octets = self._held_octets
            lengths = [octets[i + 1] - octets[i] for i in range(left, len(held))] + lengths
            leaves = held[left:] + leaves
        self._held = leaves
        self._held_octets = [0, *accumulate(lengths)]
        self._held_left = 0
        self.catch_up(now)

    def room_at(self, frames: int, octets: int) -> int | None:
        """Return the first instant at which ``frames`` frames of ``octets`` octets in all
        fit as the held pieces of the train being sent leave, or None if they do not fit
        even when all have left (or none is held)."""
        held = self._held
        if not held:
            return None
        c = self.counters
        limit, limit_octets = self.limit, self.limit_octets
        held_octets = self._held_octets
        left = self._held_left
        queued = c.queued
        queued_octets = c.queued_octets
        for i in range(left, len(held)):
            queued -= 1
            queued_octets -= held_octets[i + 1] - held_octets[i]
            if queued + frames <= limit and (
                limit_octets is None or queued_octets + octets <= limit_octets
            ):
                return held[i]
        return None


class Red(QueueDiscipline):
    """Random Early Detection on the queue length in frames.

    The average ``avg`` follows each arrival with weight ``weight``; below ``min_th`` nothing
    is dropped early, at or above ``max_th`` every arrival is, in between with probability
    ``max_p (avg - min_th) / (max_th - min_th)``, spread by the count of arrivals since the
    last drop as in the original paper. ``limit`` still bounds the queue (drop-tail).
    """

    __slots__ = ("_avg", "_count", "_rng", "max_p", "max_th", "min_th", "weight")

    def __init__(
        self,
        limit: int,
        limit_octets: int | None,
        rng: random.Random,
        *,
        min_th: float,
        max_th: float,
        max_p: float = 0.1,
        weight: float = 0.002,
    ) -> None:
        super().__init__(limit, limit_octets)
        for name, value in (("min_th", min_th), ("max_th", max_th), ("max_p", max_p)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a number, not {type(value).__name__}")
        if not 0 <= min_th < max_th:
            raise ValueError(
                f"min_th and max_th must satisfy 0 <= min_th < max_th, not {min_th}, {max_th}"
            )
        if not 0 < max_p <= 1:
            raise ValueError(f"max_p must be in (0, 1], not {max_p}")
        if not 0 < weight <= 1:
            raise ValueError(f"weight must be in (0, 1], not {weight}")
        self.min_th = float(min_th)
        self.max_th = float(max_th)
        self.max_p = float(max_p)
        self.weight = float(weight)
        self._rng = rng
        self._avg = 0.0
        self._count = -1

    def enqueue(self, now: int, frame: bytearray) -> bool:
        """Offer ``frame``; drop it early with RED's probability or when it does not fit."""
        self._avg += self.weight * (len(self) - self._avg)
        avg = self._avg
        if avg >= self.max_th:
            self._count = 0
            self._drop()
            return False
        if avg > self.min_th:
            self._count += 1
            pb = self.max_p * (avg - self.min_th) / (self.max_th - self.min_th)
            denominator = 1.0 - self._count * pb
            pa = 1.0 if denominator <= 0 else pb / denominator
            if self._rng.random() < pa:
                self._count = 0
                self._drop()
                return False
        else:
            self._count = -1
        return self._push(now, frame)


class CoDel(QueueDiscipline):
    """Controlled Delay (RFC 8289), times in microseconds; ``mtu`` in octets.

    Frames are dropped at dequeue while the sojourn time has exceeded ``target`` for an
    ``interval``; the next drop then comes ``interval / sqrt(count)`` later (the control law,
    RFC 8289 section 3.3). The queue is never emptied below one MTU of octets.
    """

    __slots__ = (
        "_count",
        "_drop_next",
        "_dropping",
        "_first_above",
        "_last_count",
        "interval",
        "mtu",
        "target",
    )

    def __init__(
        self,
        limit: int,
        limit_octets: int | None,
        *,
        target: int = 5_000,
        interval: int = 100_000,
        mtu: int = 1514,
    ) -> None:
        super().__init__(limit, limit_octets)
        for name, value in (("target", target), ("interval", interval)):
            # Integer microseconds, as the clock: a float (nan above all) breaks the arithmetic.
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer (microseconds), not {value!r}")
        if target <= 0 or interval <= 0:
            raise ValueError(f"target and interval must be positive, not {target}, {interval}")
        self.target = target
        self.interval = interval
        self.mtu = mtu
        self._first_above: int | None = None
        self._drop_next = 0
        self._count = 0
        self._last_count = 0
        self._dropping = False

    def _control_law(self, t: int) -> int:
        return t + int(self.interval / math.sqrt(self._count))

    def _ok_to_drop(self, now: int) -> bool:
        # RFC 8289 section 5.4 (dodequeue): may the head be dropped?
        enqueued = self._head_arrival()
        if enqueued is None:
            self._first_above = None
            return False
        sojourn = now - enqueued
        if sojourn < self.target or self.counters.queued_octets <= self.mtu:
            self._first_above = None
            return False
        if self._first_above is None:
            self._first_above = now + self.interval
            return False
        return now >= self._first_above

    def dequeue(self, now: int) -> bytearray | None:
        """Return the next frame to send, dropping heads as RFC 8289 section 5.5 says."""
        ok = self._ok_to_drop(now)
        if self._dropping:
            if not ok:
                self._dropping = False
            while self._dropping and now >= self._drop_next:
                self._drop_head(now)
                self._count += 1
                if not self._ok_to_drop(now):
                    self._dropping = False
                else:
                    self._drop_next = self._control_law(self._drop_next)
        elif ok:
            self._drop_head(now)
            self._ok_to_drop(now)
            self._dropping = True
            delta = self._count - self._last_count
            if delta > 1 and now - self._drop_next < 16 * self.interval:
                self._count = delta
            else:
                self._count = 1
            self._drop_next = self._control_law(now)
            self._last_count = self._count
        return self._pop()


@dataclass(frozen=True)
class QueueSpec:
    """How to build a transmitter's queue: ``kind`` "droptail", "red" or "codel".

    ``limit`` frames and ``limit_octets`` (None: no octet bound) bound every kind; RED reads
    ``min_th``/``max_th`` (frames; default a fifth and three fifths of ``limit``) and
    ``max_p``; CoDel ``target`` and ``interval`` (microseconds).
    """

    kind: str = "droptail"
    limit: int = 1000
    limit_octets: int | None = None
    min_th: float | None = None
    max_th: float | None = None
    max_p: float = 0.1
    target: int = 5_000
    interval: int = 100_000

    KINDS = ("droptail", "red", "codel")

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValueError(f"kind must be one of {self.KINDS}, not {self.kind!r}")
        check_bounds(self.limit, self.limit_octets)
        # The queue's own checks (RED's thresholds and max_p, CoDel's times), now rather
        # than when a link is built from the spec, which may be much later.
        self.build(random.Random(0), 1500)

    def build(self, rng: random.Random, mtu: int) -> QueueDiscipline:
        """Return a new, empty queue of this kind (RED draws from ``rng``)."""
        if self.kind == "red":
            min_th = self.min_th if self.min_th is not None else self.limit / 5
            max_th = self.max_th if self.max_th is not None else 3 * self.limit / 5
            return Red(
                self.limit, self.limit_octets, rng, min_th=min_th, max_th=max_th, max_p=self.max_p
            )
        if self.kind == "codel":
            return CoDel(
                self.limit, self.limit_octets, target=self.target, interval=self.interval, mtu=mtu
            )
        return DropTail(self.limit, self.limit_octets)
