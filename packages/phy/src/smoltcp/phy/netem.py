"""A network emulator in explicit time: the impairments of ``tc netem``, composed, seeded.

`NetemSettings` describes one direction of a bad link (a frozen value: build it from a command
line, a file or code); `Netem` runs it: frames go in with `Netem.enqueue` at their arrival time
and come out of `Netem.dequeue` once due. No clock is read: the caller passes the time
(integer microseconds), so `FaultInjector` runs it in real time and a simulator in virtual time.

What happens to each arriving frame, in this order:

1. duplication: with probability ``duplicate`` the frame is offered twice; each copy then goes
   through the next steps on its own (netem sends the copy through its loss and corruption too);
2. loss: the loss model decides, one draw per copy;
3. queue: a copy that would exceed ``limit`` frames or ``limit_octets`` octets held is dropped
   (drop-tail);
4. corruption: with probability ``corrupt`` one octet changes;
5. rate: with ``rate`` set, the copy waits for the link to finish the frames before it and
   then for its own serialisation time, (length + ``overhead``) / ``rate`` seconds;
6. delay: the copy is due ``delay`` plus jitter later, unless `Reorder` sends it at once.
   Frames leave in order of due time, so jitter larger than the spacing of frames reorders
   them, as netem does; ``keep_order`` never lets a frame overtake an earlier delayed one
   (netem with a ``pfifo`` child queue). Reordered frames still wait for the rate.

Each impairment draws from its own stream, seeded from ``seed`` and the impairment's name, so
turning one on or off leaves the others' draws unchanged (duplication alone changes how many
copies the later steps see, hence which draw meets which frame).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .impair import (
    DelaySampler,
    LossModel,
    QueueCounters,
    Reorder,
    Serializer,
    TimedQueue,
    _check_percent,
    chance,
    corrupt_octet,
)

__all__ = ["Netem", "NetemCounters", "NetemSettings"]


@dataclass(frozen=True)
class NetemSettings:
    """One direction of an emulated link; times in microseconds, chances in percent.

    - ``delay``, ``jitter``, ``distribution`` ("uniform" or "normal"), ``keep_order``;
    - ``loss``: a `LossModel` (`Bernoulli`, `GilbertElliott`, `Periodic`, `Listed`) or None;
    - ``duplicate``, ``corrupt``: percent of frames;
    - ``reorder`` (percent) and ``gap``: see `Reorder` (needs a delay to have any effect);
    - ``rate``: octets per second (None: no limit), ``overhead``: octets added per frame;
    - ``limit``: frames held at most (netem's default 1000), ``limit_octets``: octets held.

    Raises ValueError (or TypeError) naming the field for a value out of range.
    """

    delay: int = 0
    jitter: int = 0
    distribution: str = "uniform"
    keep_order: bool = False
    loss: LossModel | None = None
    duplicate: float = 0.0
    corrupt: float = 0.0
    reorder: float = 0.0
    gap: int = 1
    rate: int | None = None
    overhead: int = 0
    limit: int = 1000
    limit_octets: int | None = None

    def __post_init__(self) -> None:
        for name in ("delay", "jitter", "overhead"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer (microseconds/octets), not {value!r}")
            if value < 0:
                raise ValueError(f"{name} must not be negative, not {value}")
        if self.distribution not in DelaySampler.DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {DelaySampler.DISTRIBUTIONS}, "
                f"not {self.distribution!r}"
            )
        if self.loss is not None and not isinstance(self.loss, LossModel):
            raise TypeError(f"loss must be a LossModel or None, not {type(self.loss).__name__}")
        for name in ("duplicate", "corrupt", "reorder"):
            _check_percent(name, getattr(self, name))
        if not isinstance(self.keep_order, bool):
            raise TypeError(f"keep_order must be a bool, not {type(self.keep_order).__name__}")
        if isinstance(self.gap, bool) or not isinstance(self.gap, int) or self.gap < 1:
            raise ValueError(f"gap must be an integer >= 1, not {self.gap!r}")
        if self.rate is not None and (not isinstance(self.rate, int) or self.rate <= 0):
            raise ValueError(
                f"rate must be None or a positive integer (octets/s), not {self.rate!r}"
            )
        # The queue checks its own bounds; build one to fail here rather than later.
        TimedQueue(self.limit, self.limit_octets)

    def impairs(self) -> bool:
        """Return whether these settings change anything (beyond holding frames in a queue)."""
        return bool(
            self.delay
            or self.jitter
            or self.loss is not None
            or self.duplicate
            or self.corrupt
            or self.reorder
            or self.rate
        )


class NetemCounters:
    """What a `Netem` did to the frames offered to it.

    ``offered`` + ``duplicated`` = ``lost`` + ``queue.arrivals``, and the queue's own
    ``arrivals`` = ``departures`` + ``drops`` + ``queued``: every frame is accounted for.
    """

    __slots__ = ("corrupted", "duplicated", "lost", "offered", "queue", "reordered")

    def __init__(self, queue: QueueCounters) -> None:
        self.offered = 0
        self.duplicated = 0
        self.lost = 0
        self.corrupted = 0
        self.reordered = 0
        self.queue = queue

    def as_dict(self) -> dict[str, int]:
        """Return the counters by name, the queue's prefixed with ``queue_``."""
        out = {
            "offered": self.offered,
            "duplicated": self.duplicated,
            "lost": self.lost,
            "corrupted": self.corrupted,
            "reordered": self.reordered,
        }
        out.update({f"queue_{k}": v for k, v in self.queue.as_dict().items()})
        return out

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v}" for k, v in self.as_dict().items())
        return f"NetemCounters({fields})"


class Netem:
    """Run `NetemSettings` on frames, in time given by the caller (integer microseconds).

    ``seed`` (an int or a str) seeds one `random.Random` per impairment. The queue holds
    copies of the frames offered, so the caller may reuse its buffer at once.
    """

    __slots__ = (
        "_corrupt",
        "_corrupt_rng",
        "_duplicate",
        "_last_due",
        "_lose",
        "_reorder",
        "_sampler",
        "_serializer",
        "counters",
        "queue",
        "settings",
    )

    def __init__(self, settings: NetemSettings, seed: int | str = 0) -> None:
        if not isinstance(settings, NetemSettings):
            raise TypeError(f"settings must be NetemSettings, not {type(settings).__name__}")
        self.settings = s = settings

        def stream(name: str) -> random.Random:
            return random.Random(f"{seed}/{name}")

        self.queue = TimedQueue(s.limit, s.limit_octets)
        self.counters = NetemCounters(self.queue.counters)
        self._lose = None if s.loss is None else s.loss.process(stream("loss"))
        self._duplicate = chance(s.duplicate, stream("duplicate")) if s.duplicate else None
        self._corrupt_rng = stream("corrupt")
        self._corrupt = chance(s.corrupt, self._corrupt_rng) if s.corrupt else None
        self._reorder = Reorder(s.reorder, s.gap, stream("reorder")) if s.reorder else None
        self._sampler = DelaySampler(s.delay, s.jitter, stream("delay"), s.distribution)
        self._serializer = Serializer(s.rate, s.overhead) if s.rate else None
        self._last_due = 0

    def enqueue(self, now: int, frame: bytes | bytearray | memoryview) -> int:
        """Offer ``frame`` arriving at ``now``; return how many copies are now held (0 to 2)."""
        counters = self.counters
        counters.offered += 1
        copies = 1
        if self._duplicate is not None and self._duplicate():
            counters.duplicated += 1
            copies = 2
        held = 0
        queue = self.queue
        length = len(frame)
        for _ in range(copies):
            if self._lose is not None and self._lose():
                counters.lost += 1
                continue
            if not queue.has_room(length):
                queue.drop()
                continue
            buf = bytearray(frame)
            if self._corrupt is not None and self._corrupt():
                counters.corrupted += 1
                corrupt_octet(buf, self._corrupt_rng)
            sent = now if self._serializer is None else self._serializer.finish(now, length)
            if self._reorder is not None and self._reorder.immediate():
                counters.reordered += 1
                due = sent
            else:
                due = sent + self._sampler.sample()
                if self.settings.keep_order:
                    if due < self._last_due:
                        due = self._last_due
                    self._last_due = due
            queue.push(due, buf)
            held += 1
        return held

    def dequeue(self, now: int) -> bytearray | None:
        """Return the next frame due at or before ``now`` (the caller owns it), or None."""
        return self.queue.pop(now)

    def next_due(self) -> int | None:
        """Return when the next held frame is due (microseconds), or None if none is held."""
        return self.queue.next_due()

    def __len__(self) -> int:
        return len(self.queue)

    def __repr__(self) -> str:
        return f"Netem({self.settings!r}, held={len(self.queue)})"
