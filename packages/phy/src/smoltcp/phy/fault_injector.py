"""Middleware that makes a link bad on purpose: drops, corruption, size limits, rate limits,
and a network emulator (delay, jitter, reordering, duplication, burst loss, a bandwidth limit).

Everything random comes from ``seed``: the simple faults from one ``random.Random(seed)``, the
emulator of each direction from streams of its own (see `smoltcp.phy.netem`), so a run with the
same seed, the same settings and the same traffic repeats exactly.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from smoltcp.stack.time import Duration, Instant

from ._middleware import Middleware
from .direction import Direction
from .impair import corrupt_octet
from .netem import Netem, NetemSettings

__all__ = ["FaultInjector", "FaultInjectorCounters"]

R = TypeVar("R")

log = logging.getLogger("smoltcp.phy.fault_injector")

# The injector copies each received frame into its own buffer (see FaultInjector.receive).
_RX_BUFFER_LEN = 65536 + 64

# With the emulator on, `receive` moves at most this many frames from the inner device into the
# emulator's queue per call, so that one call stays short; the rest wait in the inner device
# (whose descriptor stays readable, so a waiting program comes straight back).
_RX_DRAIN = 64


class FaultInjectorCounters:
    """How many frames the injector dropped or corrupted, by reason and direction.

    There is no ``rx_rate_limited``: received frames over the rate limit are not dropped but
    left queued in the inner device. ``tx_rate_limited`` counts replies sent through the token
    of a `receive` while the tx bucket was empty.
    """

    __slots__ = (
        "rx_corrupted",
        "rx_dropped",
        "rx_too_large",
        "tx_corrupted",
        "tx_dropped",
        "tx_rate_limited",
        "tx_too_large",
    )

    def __init__(self) -> None:
        self.rx_corrupted = 0
        self.rx_dropped = 0
        self.rx_too_large = 0
        self.tx_corrupted = 0
        self.tx_dropped = 0
        self.tx_rate_limited = 0
        self.tx_too_large = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counters by name."""
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v}" for k, v in self.as_dict().items())
        return f"FaultInjectorCounters({fields})"


class _Bucket:
    """A token bucket: ``limit`` frames per ``interval``, refilled whole at each interval."""

    __slots__ = ("refilled_at", "tokens")

    def __init__(self) -> None:
        self.tokens = 0
        self.refilled_at: int | None = None

    def ready(self, limit: int | None, interval_micros: int, now: int) -> bool:
        """Refill if an interval has passed; return whether a token is left."""
        if not limit:
            return True
        if self.refilled_at is None or now - self.refilled_at >= interval_micros:
            self.tokens = limit
            self.refilled_at = now
        return self.tokens > 0


class _InjectorRxToken:
    __slots__ = ("_view", "length")

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self.length = 0

    def consume(self, f: Callable[[memoryview], R]) -> R:
        return f(self._view[: self.length])


class _InjectorTxToken:
    __slots__ = ("_corrupt_hook", "_f", "_inner", "_now", "_owner")

    def __init__(self, owner: FaultInjector) -> None:
        self._owner = owner
        self._inner: Any = None
        self._now = Instant.ZERO
        self._f: Any = None
        self._corrupt_hook = self._fill_and_corrupt

    def consume(self, length: int, f: Callable[[memoryview], R]) -> R:
        owner = self._owner
        verdict = owner._tx_verdict(length, self._now)
        if verdict is None:
            passed: R = self._inner.consume(length, f)
            return passed
        if verdict:
            self._f = f
            # `_fill_and_corrupt` returns what ``f`` returns (R is per call, not per token).
            corrupted: R = self._inner.consume(length, self._corrupt_hook)
            return corrupted
        # Dropped: the stack still fills a frame (it believes it sent one), into scratch space.
        if length > len(owner._scratch):
            owner._scratch = bytearray(length)
        frame = memoryview(owner._scratch)[:length]
        result = f(frame)
        owner._trace_below(self._now, frame)
        return result

    def _fill_and_corrupt(self, frame: memoryview) -> Any:
        result = self._f(frame)
        self._owner._corrupt(frame)
        return result


class _HeldRxToken:
    """A received frame released by the emulator (the injector's own copy)."""

    __slots__ = ("frame",)

    def __init__(self) -> None:
        self.frame = bytearray()

    def consume(self, f: Callable[[memoryview], R]) -> R:
        return f(memoryview(self.frame))


class _EmulatedTxToken:
    """Fill a frame into the injector's own buffer and hand it to the tx emulator."""

    __slots__ = ("_now", "_owner")

    def __init__(self, owner: FaultInjector) -> None:
        self._owner = owner
        self._now = Instant.ZERO

    def consume(self, length: int, f: Callable[[memoryview], R]) -> R:
        frame = bytearray(length)
        result = f(memoryview(frame))
        self._owner._send_emulated(frame, self._now)
        return result


class FaultInjector(Middleware):
    """Drop, corrupt, size-limit and rate-limit the frames ``inner`` carries, both ways.

    Settings (attributes, changeable at any time):

    - ``drop_chance``: percent of frames dropped at random (0 to 100);
    - ``corrupt_chance``: percent of frames with one octet changed at random (0 to 100);
    - ``size_limit``: frames longer than this many octets are dropped (None: no limit);
    - ``tx_rate_limit`` / ``rx_rate_limit``: token buckets of that many frames, refilled every
      ``shaping_interval`` milliseconds (None or 0: no limit). A received frame over the limit
      stays queued in ``inner`` (`receive` returns None); `transmit` returns None while the tx
      bucket is empty, and a frame sent through the token of a `receive` is then dropped.

    The emulator (``netem``, or ``rx_netem`` and ``tx_netem`` for one direction each, which
    override it; `NetemSettings`, fixed at construction) runs after the faults above: each
    direction has a `Netem` (``rx_emulator``, ``tx_emulator``, with their ``counters``) that
    holds frames until due, in the time the caller passes as ``now``. A received frame is due
    for the stack on a later `receive`; a sent frame goes to ``inner`` on a later `receive` or
    `transmit` (if ``inner`` refuses it then, it waits at the head of the queue). So that a
    program sleeping on the device wakes in time, `poll_at` says when the next held frame is
    due (in the stack's time) and `wake_delay` how long from now (`smoltcp.phy.wait` asks it);
    `readable` is true once one is due. The emulator never pushes back: a full queue drops.

    ``counters`` (a `FaultInjectorCounters`) counts what was done. Drops are logged on
    ``smoltcp.phy.fault_injector`` at INFO, after the tracer's line for received frames
    ("rx: randomly dropping a packet") and before it for sent ones.
    """

    def __init__(
        self,
        inner: Any,
        seed: int = 0,
        *,
        drop_chance: float = 0.0,
        corrupt_chance: float = 0.0,
        size_limit: int | None = None,
        tx_rate_limit: int | None = None,
        rx_rate_limit: int | None = None,
        shaping_interval: int = 0,
        netem: NetemSettings | None = None,
        rx_netem: NetemSettings | None = None,
        tx_netem: NetemSettings | None = None,
    ) -> None:
        super().__init__(inner)
        self.rng = random.Random(seed)
        self.drop_chance = drop_chance
        self.corrupt_chance = corrupt_chance
        self.size_limit = size_limit
        self.tx_rate_limit = tx_rate_limit
        self.rx_rate_limit = rx_rate_limit
        self.shaping_interval = shaping_interval
        self.counters = FaultInjectorCounters()
        self._rx_bucket = _Bucket()
        self._tx_bucket = _Bucket()
        self._rx_buffer = bytearray(_RX_BUFFER_LEN)
        self._rx_view = memoryview(self._rx_buffer)
        self._scratch = bytearray(inner.capabilities().max_transmission_unit)
        self._rx_token = _InjectorRxToken(self._rx_view)
        self._pair_tx_token = _InjectorTxToken(self)
        self._tx_token = _InjectorTxToken(self)
        self._pair = (self._rx_token, self._pair_tx_token)
        self._copy_hook = self._copy_frame
        self._copied = 0
        self._took = False
        self.rx_emulator: Netem | None = None
        self.tx_emulator: Netem | None = None
        rx_settings = rx_netem if rx_netem is not None else netem
        tx_settings = tx_netem if tx_netem is not None else netem
        if rx_settings is not None or tx_settings is not None:
            # Both directions go through an emulator once one does: a reply to a held frame
            # cannot use the inner device's token of long ago, and a queue with no impairment
            # simply passes frames on.
            self.rx_emulator = Netem(rx_settings or NetemSettings(), f"{seed}/rx")
            self.tx_emulator = Netem(tx_settings or NetemSettings(), f"{seed}/tx")
            self.receive = self._receive_emulated  # type: ignore[method-assign]
            self.transmit = self._transmit_emulated  # type: ignore[method-assign]
        self._held_rx_token = _HeldRxToken()
        self._emulated_tx_token = _EmulatedTxToken(self)
        self._emulated_pair_tx_token = _EmulatedTxToken(self)
        self._held_pair = (self._held_rx_token, self._emulated_pair_tx_token)
        self._out = bytearray()
        self._write_out_hook = self._write_out
        # The caller's `now` and the monotonic clock when it was last seen: how `wake_delay`
        # turns a due time (in the caller's time) into a delay from the present.
        self._seen_now = 0
        self._seen_mono = 0

    # Settings are checked when set, so a typo fails at once rather than on the data path.
    @property
    def drop_chance(self) -> float:
        """Percent of frames dropped at random, in [0, 100]."""
        return self._drop_chance

    @drop_chance.setter
    def drop_chance(self, value: float) -> None:
        self._drop_chance = _percent("drop_chance", value)

    @property
    def corrupt_chance(self) -> float:
        """Percent of frames with one octet changed, in [0, 100]."""
        return self._corrupt_chance

    @corrupt_chance.setter
    def corrupt_chance(self, value: float) -> None:
        self._corrupt_chance = _percent("corrupt_chance", value)

    @property
    def shaping_interval(self) -> int:
        """The token buckets' refill interval, in milliseconds."""
        return self._interval_micros // 1000

    @shaping_interval.setter
    def shaping_interval(self, millis: int) -> None:
        if millis < 0:
            raise ValueError(f"shaping_interval must not be negative, not {millis}")
        self._interval_micros = int(millis * 1000)

    def receive(
        self, now: Instant
    ) -> tuple[_InjectorRxToken | _HeldRxToken, _InjectorTxToken | _EmulatedTxToken] | None:
        """Return the inner device's next frame unless the injector drops (or holds) it.

        The frame is consumed from ``inner`` at once (so a tracer inside sees it even if it is
        dropped) and copied into the injector's buffer, where it may be corrupted. With the
        emulator on, frames from ``inner`` go into its queue, and the first one due comes out.
        """
        # With the emulator on, the instance's `receive` is `_receive_emulated`, which takes
        # frames from ``inner`` through this method: the path without it pays for no test.
        if not self._rx_bucket.ready(self.rx_rate_limit, self._interval_micros, now.micros):
            return None
        pair = self.inner.receive(now)
        if pair is None:
            return None
        self._took = True
        if self.rx_rate_limit:
            self._rx_bucket.tokens -= 1
        self._copied = -1
        pair[0].consume(self._copy_hook)
        length = self._copied
        counters = self.counters
        if length < 0:
            counters.rx_too_large += 1
            _note("rx: dropping a packet too large for the injector's buffer")
            return None
        if self.size_limit is not None and length > self.size_limit:
            counters.rx_too_large += 1
            _note("rx: dropping a packet that is too large")
            return None
        if self._drop_chance and self.rng.random() * 100.0 < self._drop_chance:
            counters.rx_dropped += 1
            _note("rx: randomly dropping a packet")
            return None
        if self._corrupt_chance and self.rng.random() * 100.0 < self._corrupt_chance:
            counters.rx_corrupted += 1
            self._corrupt(self._rx_view[:length])
            _note("rx: randomly corrupting a packet")
        self._rx_token.length = length
        tx = self._pair_tx_token
        tx._inner, tx._now = pair[1], now
        return self._pair

    def _receive_emulated(self, now: Instant) -> tuple[_HeldRxToken, _EmulatedTxToken] | None:
        micros = now.micros
        self._seen_now, self._seen_mono = micros, time.monotonic_ns() // 1000
        self._flush_tx(now)
        emulator = self.rx_emulator
        assert emulator is not None
        take = FaultInjector.receive
        for _ in range(_RX_DRAIN):
            self._took = False
            if take(self, now) is not None:
                emulator.enqueue(micros, self._rx_view[: self._rx_token.length])
            elif not self._took:
                break  # ``inner`` has no frame (a dropped one does not end the drain)
        frame = emulator.dequeue(micros)
        if frame is None:
            return None
        self._held_rx_token.frame = frame
        self._emulated_pair_tx_token._now = now
        return self._held_pair

    def transmit(self, now: Instant) -> _InjectorTxToken | _EmulatedTxToken | None:
        """Return a token to send through ``inner``, or None while the tx bucket is empty.

        With the emulator on, the token hands the frame to the emulator, which never refuses
        one (a full queue drops it), and frames due by ``now`` go to ``inner`` first.
        """
        if not self._tx_bucket.ready(self.tx_rate_limit, self._interval_micros, now.micros):
            return None
        inner = self.inner.transmit(now)
        if inner is None:
            return None
        tx = self._tx_token
        tx._inner, tx._now = inner, now
        return tx

    def _transmit_emulated(self, now: Instant) -> _EmulatedTxToken | None:
        self._seen_now, self._seen_mono = now.micros, time.monotonic_ns() // 1000
        self._flush_tx(now)
        if not self._tx_bucket.ready(self.tx_rate_limit, self._interval_micros, now.micros):
            return None
        tx = self._emulated_tx_token
        tx._now = now
        return tx

    def poll_at(self) -> Instant | None:
        """Return when the emulator's next held frame is due (the caller's time), or None."""
        due = self._next_due()
        return None if due is None else Instant(due)

    def wake_delay(self) -> Duration | None:
        """Return how long from now until the next held frame is due (<= 0: due), or None.

        "Now" is the ``now`` of the last `receive` or `transmit` plus the monotonic time
        elapsed since: right for a caller whose clock runs at real speed.
        """
        due = self._next_due()
        if due is None:
            return None
        elapsed = time.monotonic_ns() // 1000 - self._seen_mono
        return Duration(due - self._seen_now - elapsed)

    def readable(self) -> bool:
        """Return whether the inner device says a frame waits, or a held frame is due."""
        if super().readable():
            return True
        delay = self.wake_delay()
        return delay is not None and delay.micros <= 0

    def _next_due(self) -> int | None:
        dues = [
            d
            for d in (
                None if self.rx_emulator is None else self.rx_emulator.next_due(),
                None if self.tx_emulator is None else self.tx_emulator.next_due(),
            )
            if d is not None
        ]
        return min(dues) if dues else None

    def _send_emulated(self, frame: bytearray, now: Instant) -> None:
        """Apply the simple faults to a sent frame, then give it to the tx emulator."""
        verdict = self._tx_verdict(len(frame), now)
        if verdict is True:
            self._corrupt(memoryview(frame))
        elif verdict is False:
            self._trace_below(now, frame)
            return
        emulator = self.tx_emulator
        assert emulator is not None
        if not emulator.enqueue(now.micros, frame):
            # Lost on the emulated link: still traced inside, as a dropped frame is.
            self._trace_below(now, frame)
        self._flush_tx(now)

    def _flush_tx(self, now: Instant) -> None:
        """Send the tx emulator's frames due by ``now`` to ``inner``, while it takes them."""
        emulator = self.tx_emulator
        if emulator is None:
            return
        micros = now.micros
        due = emulator.next_due()
        while due is not None and due <= micros:
            token = self.inner.transmit(now)
            if token is None:
                return  # the frame stays at the head of the queue until ``inner`` has room
            self._out = emulator.dequeue(micros)  # type: ignore[assignment]
            token.consume(len(self._out), self._write_out_hook)
            due = emulator.next_due()
        self._out = bytearray()

    def _write_out(self, buf: memoryview) -> None:
        buf[:] = self._out

    def _copy_frame(self, frame: memoryview) -> None:
        length = len(frame)
        if length <= len(self._rx_buffer):
            self._rx_view[:length] = frame
            self._copied = length

    def _tx_verdict(self, length: int, now: Instant) -> bool | None:
        """Decide a transmitted frame's fate: None to pass, True to corrupt, False to drop."""
        counters = self.counters
        if self.size_limit is not None and length > self.size_limit:
            counters.tx_too_large += 1
            _note("tx: dropping a packet that is too large")
            return False
        bucket = self._tx_bucket
        if not bucket.ready(self.tx_rate_limit, self._interval_micros, now.micros):
            counters.tx_rate_limited += 1
            _note("tx: dropping a packet over the rate limit")
            return False
        if self.tx_rate_limit:
            bucket.tokens -= 1
        if self._drop_chance and self.rng.random() * 100.0 < self._drop_chance:
            counters.tx_dropped += 1
            _note("tx: randomly dropping a packet")
            return False
        if self._corrupt_chance and self.rng.random() * 100.0 < self._corrupt_chance:
            counters.tx_corrupted += 1
            _note("tx: randomly corrupting a packet")
            return True
        return None

    def _corrupt(self, frame: memoryview) -> None:
        corrupt_octet(frame, self.rng)

    def _trace_below(self, now: Instant, frame: bytearray | memoryview) -> None:
        """Show a sent frame that never reaches ``inner`` to the tracers inside the injector."""
        view = memoryview(frame)
        for tracer in self._tracers_below():
            tracer.trace(Direction.TX, now, view)

    def _tracers_below(self) -> list[Any]:
        """Return the tracers inside this injector (for frames dropped before reaching them)."""
        tracers = []
        device = self.inner
        while device is not None:
            if hasattr(device, "trace"):
                tracers.append(device)
            device = getattr(device, "inner", None)
        return tracers


def _percent(name: str, value: float) -> float:
    if not 0 <= value <= 100:
        raise ValueError(f"{name} must be a percentage in [0, 100], not {value}")
    return float(value)


def _note(message: str) -> None:
    if log.isEnabledFor(logging.INFO):
        log.info("%s", message)
