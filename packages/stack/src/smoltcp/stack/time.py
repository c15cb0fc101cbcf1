"""Time for a stack with no clock: `Instant` and `Duration` in integer microseconds.

The stack never reads a clock. Every entry point takes ``now`` from the caller (a device loop,
a test, a simulator), so a run can be replayed exactly.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Duration", "Instant"]


def _fmt(micros: int) -> str:
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    secs, frac = divmod(micros, 1_000_000)
    if frac == 0:
        return f"{sign}{secs}s"
    return f"{sign}{secs}.{frac:06d}".rstrip("0") + "s"


class Duration:
    """A span of time, in integer microseconds.

    Treat it as immutable: it is hashable. (No ``__setattr__`` guard: that would double the
    cost of the arithmetic done for every timer on the per-segment path.)
    """

    __slots__ = ("micros",)
    micros: int

    ZERO: Duration
    MAX: Duration

    def __init__(self, micros: int) -> None:
        self.micros = int(micros)

    @classmethod
    def from_micros(cls, micros: int) -> Duration:
        """Return a duration of ``micros`` microseconds."""
        return cls(micros)

    @classmethod
    def from_millis(cls, millis: int | float) -> Duration:
        """Return a duration of ``millis`` milliseconds (rounded to a microsecond)."""
        return cls(round(millis * 1000))

    @classmethod
    def from_secs(cls, secs: int | float) -> Duration:
        """Return a duration of ``secs`` seconds (rounded to a microsecond)."""
        return cls(round(secs * 1_000_000))

    def total_micros(self) -> int:
        """Return the whole duration in microseconds."""
        return self.micros

    def total_millis(self) -> int:
        """Return the whole duration in milliseconds, rounded down."""
        return self.micros // 1000

    def total_secs(self) -> float:
        """Return the whole duration in seconds, as a float."""
        return self.micros / 1_000_000

    @property
    def secs(self) -> int:
        """The whole seconds of the duration, rounded down."""
        return self.micros // 1_000_000

    @property
    def millis(self) -> int:
        """The milliseconds past the whole seconds (0..999), as in Rust smoltcp."""
        return self.micros // 1000 % 1000

    def __add__(self, other: Duration) -> Duration:
        if type(other) is not Duration:
            return NotImplemented
        return Duration(self.micros + other.micros)

    def __sub__(self, other: Duration) -> Duration:
        if type(other) is not Duration:
            return NotImplemented
        return Duration(self.micros - other.micros)

    def __mul__(self, factor: int) -> Duration:
        if not isinstance(factor, int):
            return NotImplemented
        return Duration(self.micros * factor)

    __rmul__ = __mul__

    def __floordiv__(self, divisor: int) -> Duration:
        if not isinstance(divisor, int):
            return NotImplemented
        return Duration(self.micros // divisor)

    def __eq__(self, other: object) -> bool:
        return type(other) is Duration and self.micros == other.micros

    def __lt__(self, other: Duration) -> bool:
        return self.micros < other.micros

    def __le__(self, other: Duration) -> bool:
        return self.micros <= other.micros

    def __gt__(self, other: Duration) -> bool:
        return self.micros > other.micros

    def __ge__(self, other: Duration) -> bool:
        return self.micros >= other.micros

    def __hash__(self) -> int:
        return hash((Duration, self.micros))

    def __bool__(self) -> bool:
        return self.micros != 0

    def __repr__(self) -> str:
        return f"Duration({_fmt(self.micros)})"

    def __str__(self) -> str:
        return _fmt(self.micros)


class Instant:
    """A point in time, in integer microseconds since an epoch the caller chooses.

    Treat it as immutable: it is hashable.
    """

    __slots__ = ("micros",)
    micros: int

    ZERO: Instant

    def __init__(self, micros: int) -> None:
        self.micros = int(micros)

    @classmethod
    def from_micros(cls, micros: int) -> Instant:
        """Return the instant ``micros`` microseconds after the epoch."""
        return cls(micros)

    @classmethod
    def from_millis(cls, millis: int | float) -> Instant:
        """Return the instant ``millis`` milliseconds after the epoch."""
        return cls(round(millis * 1000))

    @classmethod
    def from_secs(cls, secs: int | float) -> Instant:
        """Return the instant ``secs`` seconds after the epoch."""
        return cls(round(secs * 1_000_000))

    def total_micros(self) -> int:
        """Return the microseconds since the epoch."""
        return self.micros

    def total_millis(self) -> int:
        """Return the milliseconds since the epoch, rounded down."""
        return self.micros // 1000

    def total_secs(self) -> float:
        """Return the seconds since the epoch, as a float."""
        return self.micros / 1_000_000

    @property
    def secs(self) -> int:
        """The whole seconds since the epoch."""
        return self.micros // 1_000_000

    @property
    def millis(self) -> int:
        """The milliseconds past the whole seconds (0..999), as in Rust smoltcp."""
        return self.micros // 1000 % 1000

    def __add__(self, other: Duration) -> Instant:
        if type(other) is not Duration:
            return NotImplemented
        return Instant(self.micros + other.micros)

    def __radd__(self, other: Duration) -> Instant:
        # Duration + Instant: Duration.__add__ declines, so Python asks the Instant.
        if type(other) is not Duration:
            return NotImplemented
        return Instant(self.micros + other.micros)

    # Any: Instant - Instant is a Duration, Instant - Duration an Instant, else NotImplemented.
    def __sub__(self, other: Any) -> Any:
        if type(other) is Instant:
            return Duration(self.micros - other.micros)
        if type(other) is Duration:
            return Instant(self.micros - other.micros)
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        return type(other) is Instant and self.micros == other.micros

    def __lt__(self, other: Instant) -> bool:
        return self.micros < other.micros

    def __le__(self, other: Instant) -> bool:
        return self.micros <= other.micros

    def __gt__(self, other: Instant) -> bool:
        return self.micros > other.micros

    def __ge__(self, other: Instant) -> bool:
        return self.micros >= other.micros

    def __hash__(self) -> int:
        return hash((Instant, self.micros))

    def __repr__(self) -> str:
        return f"Instant({_fmt(self.micros)})"

    def __str__(self) -> str:
        return _fmt(self.micros)


Duration.ZERO = Duration(0)
Duration.MAX = Duration(2**63 - 1)
Instant.ZERO = Instant(0)
