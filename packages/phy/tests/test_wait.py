"""Waiting on devices with a file descriptor (a pipe stands in for a TAP's descriptor)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from smoltcp.phy import Waiter, wait
from smoltcp.stack.time import Duration


class PipeDevice:
    """A device whose descriptor is the read end of a pipe: readable once a byte is written."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd

    def receive(self, now: object) -> None:
        return None


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    r, w = os.pipe()
    yield r, w
    os.close(r)
    os.close(w)


def test_a_readable_descriptor_ends_the_wait(pipe: tuple[int, int]) -> None:
    r, w = pipe
    dev = PipeDevice(r)
    with Waiter([dev, PipeDevice(r)]) as waiter:  # the same descriptor twice: one entry
        assert waiter.wait(Duration.ZERO) is False
        assert waiter.wait(Duration.from_micros(-5)) is False  # negative: zero
        assert waiter.wait(Duration.from_millis(1)) is False
        os.write(w, b"x")
        assert waiter.wait(Duration.from_secs(30)) is True
        assert waiter.wait(None) is True  # still readable: no wait at all
        os.read(r, 1)
        assert waiter.wait(Duration.from_micros(1)) is False
    assert wait(dev, Duration.ZERO) is False


def test_a_wake_hint_ends_the_wait_as_a_frame_would(pipe: tuple[int, int]) -> None:
    r, _ = pipe

    class Holding(PipeDevice):
        def wake_delay(self) -> Duration:
            return Duration.from_micros(500)

    with Waiter([Holding(r)]) as waiter:
        assert waiter.wait(Duration.from_secs(30)) is True  # the held frame is due first
        assert waiter.wait(Duration.from_micros(100)) is False  # the caller's limit first
