"""An in-memory device: every frame sent is received, in order."""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import TypeVar

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.time import Instant
from smoltcp.wire.capabilities import Medium

__all__ = ["Loopback"]

R = TypeVar("R")


class _LoopbackRxToken:
    __slots__ = ("frame",)

    def __init__(self) -> None:
        self.frame = bytearray()

    def consume(self, f: Callable[[memoryview], R]) -> R:
        return f(memoryview(self.frame))


class _LoopbackTxToken:
    __slots__ = ("_dev",)

    def __init__(self, dev: Loopback) -> None:
        self._dev = dev

    def consume(self, length: int, f: Callable[[memoryview], R]) -> R:
        if length > self._dev._mtu or length < 0:
            raise ValueError(f"frame of {length} octets exceeds the loopback's {self._dev._mtu}")
        frame = bytearray(length)
        result = f(memoryview(frame))
        queue = self._dev._queue
        if len(queue) < self._dev.queue_len:
            queue.append(frame)
        else:
            self._dev.dropped += 1
        return result


class Loopback:
    """A device whose transmitted frames come back, in order, on the next `receive` calls.

    ``medium`` says what the stack puts in the frames (Ethernet frames or bare IP packets).
    The queue holds at most ``queue_len`` frames: `transmit` returns None while it is full,
    and a frame sent through the token of a `receive` into a full queue is dropped and counted
    in ``dropped``. The MTU (``max_transmission_unit``, link header included) is 65535 octets
    unless ``mtu`` says otherwise (1514 gives Ethernet-sized frames).
    """

    MTU = 65535

    def __init__(
        self, medium: Medium = Medium.ETHERNET, *, mtu: int = MTU, queue_len: int = 1024
    ) -> None:
        if not isinstance(medium, Medium):
            raise TypeError(f"medium must be a Medium, not {type(medium).__name__}")
        if queue_len < 1:
            raise ValueError(f"queue_len must be at least 1, not {queue_len}")
        if not 64 <= mtu <= self.MTU:
            raise ValueError(f"mtu must be in [64, {self.MTU}], not {mtu}")
        self.medium = medium
        self.queue_len = queue_len
        self.dropped = 0
        self._mtu = mtu
        self._caps = DeviceCapabilities(medium=medium, max_transmission_unit=mtu)
        self._queue: collections.deque[bytearray] = collections.deque()
        self._rx_token = _LoopbackRxToken()
        self._tx_token = _LoopbackTxToken(self)
        self._pair = (self._rx_token, self._tx_token)

    def receive(self, now: Instant) -> tuple[_LoopbackRxToken, _LoopbackTxToken] | None:
        """Take the oldest queued frame; the token is valid until the next `receive`."""
        if not self._queue:
            return None
        self._rx_token.frame = self._queue.popleft()
        return self._pair

    def transmit(self, now: Instant) -> _LoopbackTxToken | None:
        """Return a token to queue one frame, or None while the queue is full."""
        if len(self._queue) >= self.queue_len:
            return None
        return self._tx_token

    def capabilities(self) -> DeviceCapabilities:
        """Return the medium and MTU given at construction."""
        return self._caps

    def readable(self) -> bool:
        """Return whether a frame waits (what `smoltcp.phy.wait` asks instead of a descriptor)."""
        return bool(self._queue)

    def __len__(self) -> int:
        return len(self._queue)

    def __repr__(self) -> str:
        return f"Loopback({self.medium.name}, queued={len(self._queue)})"
