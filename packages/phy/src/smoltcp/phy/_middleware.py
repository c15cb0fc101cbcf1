"""The base of middleware that watches frames go by (the pcap writer, the tracer).

A watcher wraps the inner device's tokens in its own, allocated once and reused for every
frame (no closure per frame): the receive token shows the frame to `Observer._observe` before
the stack's callback sees it, the transmit token after the stack's callback has filled it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.time import Instant

from .direction import Direction

R = TypeVar("R")

_RX = Direction.RX
_TX = Direction.TX


class ObserverRxToken:
    __slots__ = ("_f", "_hook", "_inner", "_now", "_owner")

    def __init__(self, owner: Observer) -> None:
        self._owner = owner
        self._inner: Any = None
        self._now = Instant.ZERO
        self._f: Any = None
        self._hook = self._on_frame

    def consume(self, f: Callable[[memoryview], R]) -> R:
        self._f = f
        # `_hook` returns what ``f`` returns (the token is not generic: R is per call).
        result: R = self._inner.consume(self._hook)
        return result

    def _on_frame(self, frame: memoryview) -> Any:
        self._owner._observe(_RX, self._now, frame)
        return self._f(frame)


class ObserverTxToken:
    __slots__ = ("_f", "_hook", "_inner", "_now", "_owner")

    def __init__(self, owner: Observer) -> None:
        self._owner = owner
        self._inner: Any = None
        self._now = Instant.ZERO
        self._f: Any = None
        self._hook = self._on_buffer

    def consume(self, length: int, f: Callable[[memoryview], R]) -> R:
        self._f = f
        result: R = self._inner.consume(length, self._hook)  # what ``f`` returns, as above
        return result

    def _on_buffer(self, frame: memoryview) -> Any:
        result = self._f(frame)
        self._owner._observe(_TX, self._now, frame)
        return result


class Middleware:
    """A device that wraps ``inner``: capabilities, ``fileno``, ``readable`` and ``close``
    are the inner device's."""

    def __init__(self, inner: Any) -> None:
        if not (hasattr(inner, "receive") and hasattr(inner, "transmit")):
            raise TypeError(f"{type(inner).__name__} is not a device")
        self.inner = inner

    def capabilities(self) -> DeviceCapabilities:
        """Return the inner device's capabilities."""
        caps: DeviceCapabilities = self.inner.capabilities()
        return caps

    def fileno(self) -> int:
        """Return the inner device's file descriptor (AttributeError if it has none)."""
        fd: int = self.inner.fileno()
        return fd

    def readable(self) -> bool:
        """Return whether the inner device says a frame waits (for devices with no descriptor)."""
        readable = getattr(self.inner, "readable", None)
        return readable is not None and bool(readable())

    def close(self) -> None:
        """Close the inner device, if it can be closed."""
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"


class Observer(Middleware):
    """Middleware that sees every frame in both directions through `_observe`."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self._rx_token = ObserverRxToken(self)
        self._pair_tx_token = ObserverTxToken(self)
        self._tx_token = ObserverTxToken(self)
        self._pair = (self._rx_token, self._pair_tx_token)

    def _observe(self, direction: Direction, now: Instant, frame: memoryview) -> None:
        raise NotImplementedError

    def receive(self, now: Instant) -> tuple[ObserverRxToken, ObserverTxToken] | None:
        """Return the inner device's next frame, observed when the stack consumes it."""
        pair = self.inner.receive(now)
        if pair is None:
            return None
        rx = self._rx_token
        rx._inner, rx._now = pair[0], now
        tx = self._pair_tx_token
        tx._inner, tx._now = pair[1], now
        return self._pair

    def transmit(self, now: Instant) -> ObserverTxToken | None:
        """Return a token to send through the inner device, observed once filled."""
        inner = self.inner.transmit(now)
        if inner is None:
            return None
        tx = self._tx_token
        tx._inner, tx._now = inner, now
        return tx
