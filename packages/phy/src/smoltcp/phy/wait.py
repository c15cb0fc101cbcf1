"""Block until a device has a frame to read, or a timeout passes."""

from __future__ import annotations

import select
import time
from collections.abc import Iterable
from typing import Any

from smoltcp.stack.time import Duration

__all__ = ["Waiter", "wait"]


def _fileno(device: Any) -> int | None:
    fileno = getattr(device, "fileno", None)
    if fileno is None:
        return None
    try:
        return int(fileno())
    except (AttributeError, OSError, ValueError):
        # A middleware over a device with no descriptor (a loopback) forwards to nothing.
        return None


def _wake_hints(device: Any) -> list[Any]:
    """Return the ``wake_delay`` methods of ``device`` and of the devices inside it."""
    hints = []
    seen = 0
    while device is not None and seen < 32:  # a chain of middleware, bounded against cycles
        hint = getattr(device, "wake_delay", None)
        if hint is not None:
            hints.append(hint)
        device = getattr(device, "inner", None)
        seen += 1
    return hints


def _readable_now(device: Any) -> bool:
    readable = getattr(device, "readable", None)
    return readable is not None and bool(readable())


class Waiter:
    """Wait on a fixed set of devices, keeping one poll object across calls.

    A device is waited on through ``fileno()`` if it has one (TAP, TUN, raw socket, and any
    middleware over them); a device that instead has ``readable()`` (the loopback) counts as
    ready whenever that returns True. A device (or middleware inside it) with
    ``wake_delay()`` (the fault injector's emulator, holding frames until they are due) ends the
    wait when that delay has passed, as if a frame had arrived.
    """

    def __init__(self, devices: Iterable[Any]) -> None:
        self._devices = list(devices)
        # The system's epoll (poll elsewhere) straight, not `selectors`: a loop that polls the
        # stack between frames waits once per frame, and the selector's bookkeeping around
        # the same system call costs more than the call itself. Both round the timeout up to
        # a millisecond (as the selector does), so that a timer is never woken for early.
        self._poller: Any
        if hasattr(select, "epoll"):
            self._poller = select.epoll()
            self._unit = 1_000_000  # epoll's timeout is in seconds
            events = select.EPOLLIN
        else:  # pragma: no cover - not Linux
            self._poller = select.poll()
            self._unit = 1000  # poll's is in milliseconds
            events = select.POLLIN
        self._fds: set[int] = set()
        self._pollable = []
        self._hints = [hint for device in self._devices for hint in _wake_hints(device)]
        for device in self._devices:
            fd = _fileno(device)
            if fd is None:
                self._pollable.append(device)
            elif fd not in self._fds:
                self._fds.add(fd)
                self._poller.register(fd, events)

    def wait(self, timeout: Duration | None) -> bool:
        """Return True once a device is readable, False if ``timeout`` passes first.

        ``timeout`` None waits for ever (ValueError if no device has a descriptor and none is
        readable, since nothing could end the wait); a negative timeout is zero.
        """
        pollable = self._pollable
        if pollable and any(_readable_now(d) for d in pollable):
            return True
        due = self._due_in() if self._hints else None
        if due is not None:
            if due.micros <= 0:
                return True
            if timeout is None or due < timeout:
                timeout = due
            else:
                due = None  # the caller's timeout comes first
        if not self._fds:
            if timeout is None:
                raise ValueError("wait(timeout=None) on devices with no file descriptor")
            time.sleep(max(timeout.micros, 0) / 1_000_000)
            return due is not None or any(_readable_now(d) for d in pollable)
        limit = None if timeout is None else max(timeout.micros, 0) / self._unit
        return bool(self._poller.poll(limit)) or due is not None

    def _due_in(self) -> Duration | None:
        """Return the shortest time until a device's held frame is due, or None."""
        best = None
        for hint in self._hints:
            delay = hint()
            if delay is not None and (best is None or delay < best):
                best = delay
        return best

    def close(self) -> None:
        """Release the poll object (the devices stay open)."""
        self._fds.clear()
        close = getattr(self._poller, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Waiter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def wait(devices: Any, timeout: Duration | None) -> bool:
    """Block until one of ``devices`` (a device or an iterable of them) has a frame to read.

    Return True if one is readable, False if ``timeout`` (a `Duration`, or None for no limit)
    passed first. A loop that waits often should keep a `Waiter` instead.
    """
    if hasattr(devices, "receive"):
        devices = (devices,)
    with Waiter(devices) as waiter:
        return waiter.wait(timeout)
