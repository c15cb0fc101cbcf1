"""The tracer: every frame, both ways, with its time; middleware composes."""

from __future__ import annotations

import io
import logging
import os

import pytest

from smoltcp.phy import (
    Direction,
    FaultInjector,
    Loopback,
    PcapWriter,
    Tracer,
    Waiter,
    format_frame,
    tracer,
    wait,
)
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire.capabilities import Medium


def send(dev, data: bytes, now: Instant) -> None:
    dev.transmit(now).consume(len(data), lambda buf: buf.__setitem__(slice(None), data))


def recv(dev, now: Instant) -> bytes | None:
    pair = dev.receive(now)
    return None if pair is None else pair[0].consume(bytes)


def test_callback_sees_every_frame_with_direction_and_time():
    seen = []
    dev = Tracer(Loopback(), lambda d, now, f: seen.append((d, now, bytes(f))))
    send(dev, b"one", Instant.from_millis(1))
    send(dev, b"two", Instant.from_millis(2))
    assert recv(dev, Instant.from_millis(3)) == b"one"
    rx, tx = dev.receive(Instant.from_millis(4))
    tx.consume(5, lambda buf: buf.__setitem__(slice(None), b"reply"))
    assert seen == [
        (Direction.TX, Instant.from_millis(1), b"one"),
        (Direction.TX, Instant.from_millis(2), b"two"),
        (Direction.RX, Instant.from_millis(3), b"one"),
        (Direction.TX, Instant.from_millis(4), b"reply"),
    ]
    # The receive token of the pair was never consumed, so that frame was not traced.
    assert rx is not None


def test_default_callback_logs_at_info(caplog):
    dev = Tracer(Loopback())
    caplog.set_level(logging.INFO, logger="smoltcp.phy.tracer")
    send(dev, bytes(60), Instant.from_millis(1500))
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith("-> 1.5s ")


def test_default_callback_does_no_work_when_info_is_off(caplog, monkeypatch):
    calls = []
    monkeypatch.setattr(tracer, "format_frame", lambda *a: calls.append(a) or "")
    caplog.set_level(logging.WARNING, logger="smoltcp.phy.tracer")
    dev = Tracer(Loopback())
    send(dev, bytes(60), Instant.ZERO)
    assert calls == [] and caplog.records == []


def test_format_frame_never_raises_on_garbage():
    for medium in Medium:
        for frame in (b"", b"\xff", bytes(13), bytes(range(256)) * 3):
            assert isinstance(format_frame(frame, medium), str)


def test_the_documented_stack_composes():
    sink = io.BytesIO()
    seen = []
    lo = Loopback()
    dev = FaultInjector(
        Tracer(PcapWriter(lo, sink), lambda d, now, f: seen.append(d)), seed=1, corrupt_chance=0
    )
    send(dev, b"x" * 60, Instant.ZERO)
    assert recv(dev, Instant.ZERO) == b"x" * 60
    assert seen == [Direction.TX, Direction.RX]
    assert dev.capabilities() == lo.capabilities()
    assert dev.readable() is False
    dev.close()
    assert len(sink.getvalue()) == 24 + 2 * (16 + 60)


class PipeDevice:
    """A stand-in for a descriptor device: readable when the pipe has data."""

    def __init__(self) -> None:
        self.r, self.w = os.pipe()

    def receive(self, now):
        return None

    def transmit(self, now):
        return None

    def capabilities(self):
        return Loopback().capabilities()

    def fileno(self) -> int:
        return self.r

    def close(self) -> None:
        os.close(self.r)
        os.close(self.w)


def test_wait_on_descriptors_through_middleware():
    pipe = PipeDevice()
    try:
        dev = Tracer(pipe)
        assert dev.fileno() == pipe.r
        assert wait([dev, Loopback()], Duration.from_millis(5)) is False
        os.write(pipe.w, b"!")
        assert wait([dev], Duration.from_secs(5)) is True
        with Waiter([dev, Tracer(Loopback())]) as waiter:
            assert waiter.wait(None) is True
    finally:
        pipe.close()


def test_middleware_refuses_a_non_device():
    with pytest.raises(TypeError):
        Tracer("tap0")
