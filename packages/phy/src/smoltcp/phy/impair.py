"""Network impairments in explicit time: the models behind the emulator, shared by every user.

Each model is pure: it takes the time as integer microseconds (an `Instant`'s ``micros``) from
its caller and draws from a `random.Random` it is given, never from a clock or the global
generator. The real-time emulator of `FaultInjector` and any simulator in virtual time use the
same code, so the same seed, settings and arrivals give the same losses, delays and order.

- Loss processes (what `LossModel` specs build): `Bernoulli`, `GilbertElliott` (``tc netem
  loss gemodel``), `Periodic` (every N-th frame), `Listed` (chosen frame indices).
- `DelaySampler`: a fixed delay plus jitter, uniform (netem's default) or normal.
- `Reorder`: netem's ``reorder PERCENT gap DISTANCE``.
- `chance` for duplication, `corrupt_octet` for corruption.
- `Serializer`: a link's rate in octets per second, serialisation times exact in integers.
- `TimedQueue`: frames held until their due time, bounded in frames and octets, drop-tail,
  with the counters of a queue (arrivals = departures + drops + queued, always).

`Netem` (in `smoltcp.phy.netem`) composes them as ``tc netem`` does.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "Bernoulli",
    "DelaySampler",
    "GilbertElliott",
    "Listed",
    "LossModel",
    "Periodic",
    "QueueCounters",
    "Reorder",
    "Serializer",
    "TimedQueue",
    "check_bounds",
    "chance",
    "corrupt_octet",
]

MICROS_PER_SEC = 1_000_000


def _check_percent(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if not 0 <= value <= 100:
        raise ValueError(f"{name} must be a percentage in [0, 100], not {value}")
    return float(value)


def chance(percent: float, rng: random.Random) -> Callable[[], bool]:
    """Return a draw that is True with probability ``percent`` (0 to 100) each time.

    Zero never draws from ``rng`` (so turning an impairment off leaves the stream untouched).
    """
    p = _check_percent("percent", percent) / 100.0
    if p == 0.0:
        return lambda: False
    draw = rng.random
    return lambda: draw() < p


def corrupt_octet(frame: memoryview | bytearray, rng: random.Random) -> None:
    """Change one octet of ``frame`` at random: XOR with a random non-zero value.

    The octet always changes, so a corrupted frame always differs from the original (netem
    flips a single bit, one of the 255 changes drawn here). An empty frame is left alone.
    """
    if len(frame):
        index = rng.randrange(len(frame))
        frame[index] ^= rng.randrange(1, 256)


# -- loss models ---------------------------------------------------------------------------------


class LossModel:
    """A description of a loss process; `process` starts one, drawing from ``rng``.

    A process is a callable of no arguments returning True for each frame to lose, one call
    per frame, in arrival order. Descriptions are frozen values: compare and print them.
    """

    def process(self, rng: random.Random) -> Callable[[], bool]:
        """Return a new loss process drawing from ``rng``."""
        raise NotImplementedError

    def loss_rate(self) -> float:
        """Return the long-run fraction of frames lost, in [0, 1]."""
        raise NotImplementedError


@dataclass(frozen=True)
class Bernoulli(LossModel):
    """Lose each frame independently with probability ``percent`` (netem's ``loss random``)."""

    percent: float

    def __post_init__(self) -> None:
        _check_percent("percent", self.percent)

    def process(self, rng: random.Random) -> Callable[[], bool]:
        """Return a new loss process drawing from ``rng``."""
        return chance(self.percent, rng)

    def loss_rate(self) -> float:
        """Return ``percent`` / 100."""
        return self.percent / 100.0


@dataclass(frozen=True)
class GilbertElliott(LossModel):
    """Burst loss: a two-state Markov chain, as ``tc netem loss gemodel p r 1-h 1-k``.

    All four parameters are percentages. Each frame is lost with probability ``one_minus_k``
    in the GOOD state and ``one_minus_h`` in the BAD state; after each frame the chain moves
    from GOOD to BAD with probability ``p`` and from BAD to GOOD with probability ``r``. It
    starts GOOD. With netem's defaults, ``p`` alone is Bernoulli loss (r = 100 - p, 1-h = 100,
    1-k = 0), ``p`` and ``r`` the simple Gilbert model, three the Gilbert model.

    In the long run the chain is BAD a fraction p/(p+r) of the frames; with 1-h = 100 and
    1-k = 0 bursts of losses last 1/r frames on average.
    """

    p: float
    r: float | None = None
    one_minus_h: float = 100.0
    one_minus_k: float = 0.0

    def __post_init__(self) -> None:
        _check_percent("p", self.p)
        if self.r is None:
            object.__setattr__(self, "r", 100.0 - float(self.p))
        _check_percent("r", self.r)  # type: ignore[arg-type]
        _check_percent("one_minus_h", self.one_minus_h)
        _check_percent("one_minus_k", self.one_minus_k)
        if self.p > 0 and self.r == 0:
            # The chain would stay BAD for ever after the first transition: allowed by netem,
            # but almost always a mistake in the order of the arguments.
            raise ValueError("r must be above 0 when p is (the BAD state would never end)")

    def process(self, rng: random.Random) -> Callable[[], bool]:
        """Return a new loss process drawing from ``rng`` (two draws per frame)."""
        p = self.p / 100.0
        r = (self.r or 0.0) / 100.0
        lose_good = self.one_minus_k / 100.0
        lose_bad = self.one_minus_h / 100.0
        draw = rng.random
        bad = False

        def lose() -> bool:
            nonlocal bad
            lost = draw() < (lose_bad if bad else lose_good)
            bad = draw() >= r if bad else draw() < p
            return lost

        return lose

    def bad_fraction(self) -> float:
        """Return the stationary probability of the BAD state, p / (p + r)."""
        total = self.p + (self.r or 0.0)
        return 0.0 if total == 0 else self.p / total

    def loss_rate(self) -> float:
        """Return the stationary loss rate, (r (1-k) + p (1-h)) / (p + r), in [0, 1]."""
        bad = self.bad_fraction()
        return ((1.0 - bad) * self.one_minus_k + bad * self.one_minus_h) / 100.0


@dataclass(frozen=True)
class Periodic(LossModel):
    """Lose every ``every``-th frame: frames ``offset``, ``offset + every``, ... (from 0)."""

    every: int
    offset: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1:
            raise ValueError(f"every must be an integer >= 1, not {self.every!r}")
        if not isinstance(self.offset, int) or not 0 <= self.offset < self.every:
            raise ValueError(f"offset must be an integer in [0, every), not {self.offset!r}")

    def process(self, rng: random.Random) -> Callable[[], bool]:
        """Return a new loss process (``rng`` is not used: the pattern is fixed)."""
        every, offset = self.every, self.offset
        index = -1

        def lose() -> bool:
            nonlocal index
            index += 1
            return index % every == offset

        return lose

    def loss_rate(self) -> float:
        """Return 1 / ``every``."""
        return 1.0 / self.every


@dataclass(frozen=True)
class Listed(LossModel):
    """Lose exactly the frames whose index (from 0, in arrival order) is in ``indices``."""

    indices: frozenset[int]

    def __init__(self, indices: Iterable[int]) -> None:
        chosen = frozenset(indices)
        # A boolean is an int to Python, but True is no frame index a user meant.
        if any(isinstance(i, bool) or not isinstance(i, int) or i < 0 for i in chosen):
            raise ValueError("indices must be integers >= 0")
        object.__setattr__(self, "indices", chosen)

    def process(self, rng: random.Random) -> Callable[[], bool]:
        """Return a new loss process (``rng`` is not used: the frames are listed)."""
        chosen = self.indices
        index = -1

        def lose() -> bool:
            nonlocal index
            index += 1
            return index in chosen

        return lose

    def loss_rate(self) -> float:
        """Return 0: a finite list loses nothing in the long run."""
        return 0.0


# -- delay, jitter, reordering ------------------------------------------------------------------


class DelaySampler:
    """Draw each frame's delay: ``delay`` plus jitter, in integer microseconds, never negative.

    ``distribution`` "uniform" (netem's default) draws the jitter evenly from
    [-``jitter``, +``jitter``]; "normal" draws it from a normal law of standard deviation
    ``jitter`` (netem's ``distribution normal``). A draw below zero is zero (netem sends a
    frame whose time has passed at once).
    """

    __slots__ = ("_gauss", "_randint", "delay", "distribution", "jitter")

    DISTRIBUTIONS = ("uniform", "normal")

    def __init__(
        self, delay: int, jitter: int, rng: random.Random, distribution: str = "uniform"
    ) -> None:
        if delay < 0 or jitter < 0:
            raise ValueError(f"delay and jitter must not be negative, not {delay}, {jitter}")
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {self.DISTRIBUTIONS}, not {distribution!r}"
            )
        self.delay = int(delay)
        self.jitter = int(jitter)
        self.distribution = distribution
        self._randint = rng.randint
        self._gauss = rng.gauss

    def sample(self) -> int:
        """Return one delay in microseconds (no draw at all when ``jitter`` is 0)."""
        if not self.jitter:
            return self.delay
        if self.distribution == "uniform":
            value = self.delay + self._randint(-self.jitter, self.jitter)
        else:
            value = round(self._gauss(self.delay, self.jitter))
        return value if value > 0 else 0


class Reorder:
    """Decide which frames skip the delay, as ``tc netem reorder PERCENT gap DISTANCE``.

    The first ``gap - 1`` frames after a reordered one (and at the start) are always delayed;
    each later frame is sent at once with probability ``percent``, which starts the count
    again. ``gap`` 1 (the default) makes every frame a candidate. ``percent`` 100 with gap N
    sends every N-th frame ahead of the delayed ones.
    """

    __slots__ = ("_count", "_draw", "gap", "percent")

    def __init__(self, percent: float, gap: int, rng: random.Random) -> None:
        if not isinstance(gap, int) or gap < 1:
            raise ValueError(f"gap must be an integer >= 1, not {gap!r}")
        self.percent = _check_percent("percent", percent)
        self.gap = gap
        self._draw = chance(percent, rng)
        self._count = 0

    def immediate(self) -> bool:
        """Return whether this frame is sent at once (ahead of the delayed frames)."""
        if self._count >= self.gap - 1 and self._draw():
            self._count = 0
            return True
        self._count += 1
        return False


# -- rate and queue -----------------------------------------------------------------------------


class Serializer:
    """A link's transmitter: ``rate`` octets per second, one frame after the other.

    A frame of L octets takes (L + ``overhead``) / ``rate`` seconds. Times are integer
    microseconds, and the fractions of a microsecond are carried from one frame to the next
    while the link stays busy, so the k-th of back-to-back frames finishes exactly at
    ``start + floor(k (L + overhead) 1e6 / rate)``. An idle link starts the next frame when it
    arrives.
    """

    __slots__ = ("_carry", "busy_until", "overhead", "rate")

    def __init__(self, rate: int, overhead: int = 0) -> None:
        if not isinstance(rate, int) or rate <= 0:
            raise ValueError(f"rate must be a positive integer (octets/s), not {rate!r}")
        if not isinstance(overhead, int) or overhead < 0:
            raise ValueError(f"overhead must be an integer >= 0, not {overhead!r}")
        self.rate = rate
        self.overhead = overhead
        self.busy_until: int | None = None
        self._carry = 0  # in 1/rate microseconds, below one microsecond

    def finish(self, now: int, length: int) -> int:
        """Reserve the link for a frame of ``length`` octets arriving at ``now``.

        Return the instant (microseconds) its last octet leaves.
        """
        busy = self.busy_until
        if busy is None or busy <= now:
            # Idle: the frame starts at once and no fraction of a microsecond is owed.
            start, carry = now, 0
        else:
            start, carry = busy, self._carry
        whole, self._carry = divmod((length + self.overhead) * MICROS_PER_SEC + carry, self.rate)
        self.busy_until = start + whole
        return self.busy_until

    def finish_next(self, now: int, length: int) -> int:
        """Reserve the link for a frame of ``length`` octets that a transmitter starts at
        ``now``, as soon as the link is free; return when its last octet leaves (µs).

        The same as `finish`, but for a frame starting just as the one before it leaves (the
        link busy until ``now``): it follows that frame back to back, the fractions of a
        microsecond carried over, where `finish` takes it as arriving at an idle link.
        """
        busy = self.busy_until
        if busy is not None and busy >= now:
            start, carry = busy, self._carry
        else:
            start, carry = now, 0
        whole, self._carry = divmod((length + self.overhead) * MICROS_PER_SEC + carry, self.rate)
        self.busy_until = start = start + whole
        return start

    def finish_following(self, lengths: Iterable[int]) -> list[int]:
        """Reserve the link for frames of ``lengths`` octets queued right behind the frame
        being sent, each starting when the one before has left; return when each one's last
        octet leaves (µs).

        The same as `finish` for each in turn at an instant before the link is free (the
        fractions of a microsecond carried over), in one call. ValueError if the link never
        sent a frame.
        """
        busy = self.busy_until
        if busy is None:
            raise ValueError("no frame is being sent: use finish")
        carry = self._carry
        rate = self.rate
        overhead = self.overhead
        ends = []
        for length in lengths:
            whole, carry = divmod((length + overhead) * MICROS_PER_SEC + carry, rate)
            busy += whole
            ends.append(busy)
        self.busy_until = busy
        self._carry = carry
        return ends

    def serialisation_time(self, length: int) -> int:
        """Return how long a frame of ``length`` octets takes alone, rounded down (µs)."""
        return (length + self.overhead) * MICROS_PER_SEC // self.rate


class QueueCounters:
    """What a `TimedQueue` did: ``arrivals`` = ``departures`` + ``drops`` + ``queued``."""

    __slots__ = ("arrivals", "departures", "drops", "queued", "queued_octets")

    def __init__(self) -> None:
        self.arrivals = 0
        self.departures = 0
        self.drops = 0
        self.queued = 0
        self.queued_octets = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counters by name."""
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v}" for k, v in self.as_dict().items())
        return f"QueueCounters({fields})"


def check_bounds(limit: int, limit_octets: int | None) -> None:
    """Raise ValueError naming the argument unless ``limit`` (frames) is an integer >= 1 and
    ``limit_octets`` None or an integer >= 1: the bounds of a queue."""
    # A boolean is an int to Python, but no bound a user meant.
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be an integer >= 1, not {limit!r}")
    if limit_octets is not None and (
        isinstance(limit_octets, bool) or not isinstance(limit_octets, int) or limit_octets < 1
    ):
        raise ValueError(f"limit_octets must be None or an integer >= 1, not {limit_octets!r}")


class TimedQueue:
    """Frames held until their due time, bounded by ``limit`` frames and ``limit_octets``.

    Frames leave in order of due time, and in arrival order among equal times (netem's
    "tfifo"). A frame that would exceed either bound is dropped on arrival (drop-tail).
    ``limit_octets`` None bounds the frames only; ``limit`` is always a bound.
    """

    __slots__ = ("_heap", "_seq", "counters", "limit", "limit_octets")

    def __init__(self, limit: int = 1000, limit_octets: int | None = None) -> None:
        check_bounds(limit, limit_octets)
        self.limit = limit
        self.limit_octets = limit_octets
        self.counters = QueueCounters()
        self._heap: list[tuple[int, int, bytearray]] = []
        self._seq = 0

    def has_room(self, length: int) -> bool:
        """Return whether a frame of ``length`` octets would be accepted now."""
        c = self.counters
        if c.queued >= self.limit:
            return False
        return self.limit_octets is None or c.queued_octets + length <= self.limit_octets

    def drop(self) -> None:
        """Count an arrival turned away (the caller found no room)."""
        self.counters.arrivals += 1
        self.counters.drops += 1

    def push(self, due: int, frame: bytearray) -> bool:
        """Hold ``frame`` until ``due``; return False (and count a drop) if it does not fit."""
        if not self.has_room(len(frame)):
            self.drop()
            return False
        c = self.counters
        c.arrivals += 1
        c.queued += 1
        c.queued_octets += len(frame)
        heapq.heappush(self._heap, (due, self._seq, frame))
        self._seq += 1
        return True

    def next_due(self) -> int | None:
        """Return when the first frame is due (microseconds), or None if the queue is empty."""
        return self._heap[0][0] if self._heap else None

    def pop(self, now: int) -> bytearray | None:
        """Remove and return the first frame due at or before ``now``, or None."""
        heap = self._heap
        if not heap or heap[0][0] > now:
            return None
        frame = heapq.heappop(heap)[2]
        c = self.counters
        c.departures += 1
        c.queued -= 1
        c.queued_octets -= len(frame)
        return frame

    def __len__(self) -> int:
        return len(self._heap)
