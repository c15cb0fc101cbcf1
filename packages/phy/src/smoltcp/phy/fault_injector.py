"""Middleware that makes a link bad on purpose: drops, corruption, size limits, rate limits.

Everything random comes from one ``random.Random(seed)``, so a run with the same seed, the
same settings and the same traffic repeats exactly.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any, TypeVar

from smoltcp.stack.time import Instant

from ._middleware import Middleware
from .direction import Direction

__all__ = ["FaultInjector", "FaultInjectorCounters"]

R = TypeVar("R")

log = logging.getLogger("smoltcp.phy.fault_injector")

# The injector copies each received frame into its own buffer (see FaultInjector.receive).
_RX_BUFFER_LEN = 65536 + 64


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
            return self._inner.consume(length, f)
        if verdict:
            self._f = f
            return self._inner.consume(length, self._corrupt_hook)
        # Dropped: the stack still fills a frame (it believes it sent one), into scratch space.
        if length > len(owner._scratch):
            owner._scratch = bytearray(length)
        frame = memoryview(owner._scratch)[:length]
        result = f(frame)
        for tracer in owner._tracers_below():
            tracer.trace(Direction.TX, self._now, frame)
        return result

    def _fill_and_corrupt(self, frame: memoryview) -> Any:
        result = self._f(frame)
        self._owner._corrupt(frame)
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

    def receive(self, now: Instant) -> tuple[_InjectorRxToken, _InjectorTxToken] | None:
        """Return the inner device's next frame unless the injector drops it.

        The frame is consumed from ``inner`` at once (so a tracer inside sees it even if it is
        dropped) and copied into the injector's buffer, where it may be corrupted.
        """
        micros = now.micros
        if not self._rx_bucket.ready(self.rx_rate_limit, self._interval_micros, micros):
            return None
        pair = self.inner.receive(now)
        if pair is None:
            return None
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
        frame = self._rx_view[:length]
        if self._corrupt_chance and self.rng.random() * 100.0 < self._corrupt_chance:
            counters.rx_corrupted += 1
            self._corrupt(frame)
            _note("rx: randomly corrupting a packet")
        self._rx_token.length = length
        tx = self._pair_tx_token
        tx._inner, tx._now = pair[1], now
        return self._pair

    def transmit(self, now: Instant) -> _InjectorTxToken | None:
        """Return a token to send through ``inner``, or None while the tx bucket is empty."""
        if not self._tx_bucket.ready(self.tx_rate_limit, self._interval_micros, now.micros):
            return None
        inner = self.inner.transmit(now)
        if inner is None:
            return None
        tx = self._tx_token
        tx._inner, tx._now = inner, now
        return tx

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
        # XOR with a non-zero value: the octet always changes, so a "corrupted" frame is one.
        if len(frame):
            index = self.rng.randrange(len(frame))
            frame[index] ^= self.rng.randrange(1, 256)

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
