"""Middleware that reports every frame: to a callback, or by default to a logger."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from smoltcp.stack.time import Instant
from smoltcp.wire.capabilities import Medium

from ._middleware import Observer
from .direction import Direction

__all__ = ["TraceCallback", "Tracer", "format_frame"]

log = logging.getLogger("smoltcp.phy.tracer")

TraceCallback = Callable[[Direction, Instant, memoryview], None]
"""``callback(direction, now, frame)``; the frame view is valid only during the call."""

_pretty_print: Callable[[bytes | bytearray | memoryview, Medium], str] | None
try:
    from smoltcp.wire.pretty import pretty_print as _pretty_print
except ImportError:  # pragma: no cover - a wire without the printer: fall back to hex
    _pretty_print = None


def format_frame(frame: bytes | memoryview, medium: Medium) -> str:
    """Return a readable rendering of ``frame``: the wire pretty printer's, or a hex summary."""
    if _pretty_print is not None:
        try:
            return str(_pretty_print(bytes(frame), medium))
        except Exception as exc:  # a printer bug must never break the data path
            return f"<pretty printer failed: {exc!r}> {_hex_summary(frame)}"
    return _hex_summary(frame)


def _hex_summary(frame: bytes | memoryview) -> str:
    head = bytes(frame[:64]).hex(" ")
    more = " ..." if len(frame) > 64 else ""
    return f"{len(frame)} octets: {head}{more}"


class Tracer(Observer):
    """Report every frame ``inner`` carries, in both directions, then pass it on unchanged.

    ``callback(direction, now, frame)`` is called for each frame (the view is valid only
    during the call). The default logs the pretty-printed frame on logger
    ``smoltcp.phy.tracer`` at INFO, and costs nothing when that level is disabled.
    A `FaultInjector` stacked outside a tracer still has the frames it drops traced: received
    ones because the tracer sees them before the injector decides, sent ones because the
    injector hands them to `trace` (a frame is then traced but never reaches ``inner``).
    """

    def __init__(self, inner: Any, callback: TraceCallback | None = None) -> None:
        super().__init__(inner)
        self.medium = inner.capabilities().medium
        self.callback = callback if callback is not None else self._log_frame

    def _observe(self, direction: Direction, now: Instant, frame: memoryview) -> None:
        self.callback(direction, now, frame)

    def trace(self, direction: Direction, now: Instant, frame: memoryview) -> None:
        """Report one frame as if it had gone through (used for frames dropped above)."""
        self.callback(direction, now, frame)

    def _log_frame(self, direction: Direction, now: Instant, frame: memoryview) -> None:
        if log.isEnabledFor(logging.INFO):
            arrow = "<-" if direction is Direction.RX else "->"
            # One line per layer from the printer; indent the inner layers under the first.
            text = format_frame(frame, self.medium).replace("\n", "\n     ")
            log.info("%s %s %s", arrow, now, text)
