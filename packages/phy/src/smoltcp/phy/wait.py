"""Block until a device has a frame to read, or a timeout passes."""

from __future__ import annotations

import selectors
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
    """Wait on a fixed set of devices, keeping one selector across calls.

    A device is waited on through ``fileno()`` if it has one (TAP, TUN, raw socket, and any
    middleware over them); a device that instead has ``readable()`` (the loopback) counts as
    ready whenever that returns True. A device (or middleware inside it) with
    ``wake_delay()`` (the fault injector's emulator, holding frames until they are due) ends the
    wait when that delay has passed, as if a frame had arrived.
    """

    def __init__(self, devices: Iterable[Any]) -> None:
        self._devices = list(devices)
        self._selector = selectors.DefaultSelector()
        self._pollable = []
        self._hints = [hint for device in self._devices for hint in _wake_hints(device)]
        for device in self._devices:
            fd = _fileno(device)
            if fd is None:
                self._pollable.append(device)
            elif fd not in self._selector.get_map():
                self._selector.register(fd, selectors.EVENT_READ)

    def wait(self, timeout: Duration | None) -> bool:
        """Return True once a device is readable, False if ``timeout`` passes first.

        ``timeout`` None waits for ever (ValueError if no device has a descriptor and none is
        readable, since nothing could end the wait); a negative timeout is zero.
        """
        if any(_readable_now(d) for d in self._pollable):
            return True
        due = self._due_in()
        if due is not None:
            if due.micros <= 0:
                return True
            if timeout is None or due < timeout:
                timeout = due
            else:
                due = None  # the caller's timeout comes first
        secs = None if timeout is None else max(timeout.micros, 0) / 1_000_000
        if not self._selector.get_map():
            if secs is None:
                raise ValueError("wait(timeout=None) on devices with no file descriptor")
            time.sleep(secs)
            return due is not None or any(_readable_now(d) for d in self._pollable)
        return bool(self._selector.select(secs)) or due is not None

    def _due_in(self) -> Duration | None:
        """Return the shortest time until a device's held frame is due, or None."""
        best = None
        for hint in self._hints:
            delay = hint()
            if delay is not None and (best is None or delay < best):
                best = delay
        return best

    def close(self) -> None:
        """Release the selector."""
        self._selector.close()

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
