"""The loopback device: frames come back in order; the queue is bounded."""

from __future__ import annotations

import importlib.util

import pytest

from smoltcp.phy import Loopback, wait
from smoltcp.stack.phy import DeviceCapabilities
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire.capabilities import Medium

T0 = Instant.ZERO


def send(dev, data: bytes, now: Instant = T0) -> None:
    token = dev.transmit(now)
    assert token is not None

    def fill(buf: memoryview) -> None:
        buf[:] = data

    token.consume(len(data), fill)


def recv(dev, now: Instant = T0) -> bytes | None:
    pair = dev.receive(now)
    return None if pair is None else pair[0].consume(bytes)


def test_frames_come_back_in_order():
    dev = Loopback()
    frames = [bytes([i]) * (i + 1) for i in range(10)]
    for frame in frames:
        send(dev, frame)
    assert len(dev) == 10
    assert [recv(dev) for _ in frames] == frames
    assert recv(dev) is None


def test_capabilities_carry_medium_and_mtu():
    assert Loopback().capabilities() == DeviceCapabilities(Medium.ETHERNET, 65535)
    caps = Loopback(Medium.IP).capabilities()
    assert caps.medium is Medium.IP
    assert caps.ip_mtu() == 65535


def test_reply_through_the_receive_pair_token():
    dev = Loopback()
    send(dev, b"ping")
    rx, tx = dev.receive(T0)
    request = rx.consume(bytes)
    tx.consume(len(request), lambda buf: buf.__setitem__(slice(None), request.upper()))
    assert recv(dev) == b"PING"


def test_queue_is_bounded():
    dev = Loopback(queue_len=3)
    for i in range(3):
        send(dev, bytes([i]))
    assert dev.transmit(T0) is None
    # A reply through a receive's token into a full queue is dropped and counted.
    _, tx = dev.receive(T0)
    send(dev, b"x")
    tx.consume(1, lambda buf: None)
    assert dev.dropped == 1
    assert [recv(dev) for _ in range(3)] == [b"\x01", b"\x02", b"x"]


def test_frame_larger_than_mtu_is_refused():
    dev = Loopback()
    with pytest.raises(ValueError):
        dev.transmit(T0).consume(65536, lambda buf: None)


def test_the_stack_callback_result_is_returned():
    dev = Loopback()
    assert dev.transmit(T0).consume(3, lambda buf: "sent") == "sent"
    assert dev.receive(T0)[0].consume(len) == 3


def test_bad_arguments():
    with pytest.raises(TypeError):
        Loopback("ethernet")
    with pytest.raises(ValueError):
        Loopback(queue_len=0)


def test_wait_sees_queued_frames():
    dev = Loopback()
    assert wait(dev, Duration.from_millis(1)) is False
    send(dev, b"x")
    assert wait([dev], Duration.ZERO) is True
    assert wait([dev], None) is True
    recv(dev)
    with pytest.raises(ValueError):
        wait([dev], None)


_HAS_IFACE = importlib.util.find_spec("smoltcp.stack.iface") is not None


@pytest.mark.skipif(not _HAS_IFACE, reason="smoltcp.stack.iface (issue 3) has not landed yet")
def test_two_udp_sockets_of_one_interface_exchange_data():
    from stack_helpers import udp_exchange_over_loopback

    udp_exchange_over_loopback(Loopback())
