"""The loopback device: frames come back in order; the queue is bounded."""

from __future__ import annotations

import pytest

from smoltcp.phy import Loopback, wait
from smoltcp.stack.device import DeviceCapabilities
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
    small = Loopback(mtu=1514)
    assert small.capabilities().ip_mtu() == 1500
    small.transmit(T0).consume(1514, lambda buf: None)
    with pytest.raises(ValueError):
        small.transmit(T0).consume(1515, lambda buf: None)


def test_the_stack_callback_result_is_returned():
    dev = Loopback()
    assert dev.transmit(T0).consume(3, lambda buf: "sent") == "sent"
    assert dev.receive(T0)[0].consume(len) == 3


def test_bad_arguments():
    with pytest.raises(TypeError):
        Loopback("ethernet")
    with pytest.raises(ValueError):
        Loopback(queue_len=0)
    with pytest.raises(ValueError):
        Loopback(mtu=70000)


def test_wait_sees_queued_frames():
    dev = Loopback()
    assert wait(dev, Duration.from_millis(1)) is False
    send(dev, b"x")
    assert wait([dev], Duration.ZERO) is True
    assert wait([dev], None) is True
    recv(dev)
    with pytest.raises(ValueError):
        wait([dev], None)


def test_two_udp_sockets_of_one_interface_exchange_data(stack_api):
    """Two UDP sockets of one interface, over the loopback, trade datagrams both ways."""
    dev = Loopback()
    t = Instant.from_secs(1)
    iface, sockets = stack_api["make_stack"](dev, t, "127.0.0.1/8")
    endpoint = stack_api["IpEndpoint"]
    a = sockets.add(stack_api["make_udp"](1000))
    b = sockets.add(stack_api["make_udp"](2000))
    to_b = endpoint.parse("127.0.0.1:2000")
    to_a = endpoint.parse("127.0.0.1:1000")
    sent = [b"datagram %d" % i for i in range(5)]
    for data in sent:
        sockets.get(a).send_to(data, to_b)
    got_b: list[bytes] = []
    got_a: list[bytes] = []
    for _ in range(100):  # bounded: each poll moves at least one frame when there is one
        t = t + Duration.from_millis(1)
        iface.poll(t, dev, sockets)
        while sockets.get(b).can_recv():
            data, source = sockets.get(b).recv_from()
            got_b.append(bytes(data))
            assert source.port == 1000
            sockets.get(b).send_to(bytes(data).upper(), to_a)
        while sockets.get(a).can_recv():
            got_a.append(bytes(sockets.get(a).recv_from()[0]))
        if len(got_a) == len(sent):
            break
    assert got_b == sent
    assert got_a == [d.upper() for d in sent]
