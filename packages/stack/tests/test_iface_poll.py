"""The poll loop's own contract: the receive burst, argument checks, and the answers of
poll_delay and poll_at_us."""

from __future__ import annotations

from typing import Any

import pytest

from smoltcp.stack.socket import UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness, arp, ethernet
from smoltcp.stack.time import Duration, Instant

US = "192.168.69.1"
PEER = "192.168.69.2"
PEER_MAC = "02-00-00-00-00-02"


def request() -> bytes:
    return ethernet("ff-ff-ff-ff-ff-ff", PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, b"\0" * 6, US))


@pytest.mark.parametrize("burst", [0, 1])
def test_a_poll_receives_at_most_the_configured_burst(burst: int) -> None:
    h = Harness(ingress_burst=burst)
    h.device.push(request(), request(), request())
    for n in range(1, 4):
        h.poll()
        assert h.iface.counters.received == n * burst
        h.device.push(request())
    assert len(h.device.rx) == 3 + 3 - 3 * burst


def test_a_frame_after_idle_polls_is_answered() -> None:
    h = Harness()
    for ms in range(100):
        assert h.poll(Instant.from_millis(ms)) == []
    (answer,) = h.decode(h.feed(request()))
    assert answer.arp is not None and answer.arp["op"] == 2


def test_poll_delay_counts_down_to_a_timer_and_is_zero_when_due() -> None:
    h = Harness()
    sock = UdpSocket(PacketBuffer(4, 256), PacketBuffer(4, 256))
    sock.bind(7000)
    h.sockets.add(sock)
    assert h.iface.poll_delay(h.now, h.sockets) is None  # nothing to do at all
    sock.send_to(b"x", (PEER, 9))
    assert h.iface.poll_delay(h.now, h.sockets) == Duration.ZERO  # a datagram to send
    assert len(h.poll()) == 1  # its ARP request; the datagram waits for the answer
    # The request is retried a second later (arp_request_interval).
    assert h.iface.poll_delay(Instant.from_millis(250), h.sockets) == Duration.from_millis(750)
    assert h.iface.poll_at(Instant.from_millis(250), h.sockets) == Instant.from_millis(1000)
    assert h.iface.poll_delay(Instant.from_millis(1000), h.sockets) == Duration.ZERO
    assert len(h.poll(Instant.from_millis(1000))) == 1


def test_poll_at_us_is_poll_at_in_micros() -> None:
    # Two interfaces in the same states, one asked with poll_at, the other with poll_at_us.
    one, two = Harness(), Harness()
    socks = []
    for h in (one, two):
        sock = UdpSocket(PacketBuffer(4, 256), PacketBuffer(4, 256))
        sock.bind(7000)
        h.sockets.add(sock)
        socks.append(sock)

    def same(now: Instant) -> None:
        at = one.iface.poll_at(now, one.sockets)
        assert two.iface.poll_at_us(now, two.sockets) == (None if at is None else at.micros)

    same(one.now)  # nothing to do at all
    for sock in socks:
        sock.send_to(b"x", (PEER, 9))
    same(one.now)  # a datagram to send: now
    for h in (one, two):
        assert len(h.poll()) == 1  # its ARP request; the datagram waits for the answer
    for ms in (250, 999, 1000, 1500):
        same(Instant.from_millis(ms))  # the retry of the request, then "now" once due
    assert two.iface.poll_at_us(Instant.from_millis(250), two.sockets) == 1_000_000


@pytest.mark.parametrize("method", ["poll", "poll_at", "poll_at_us", "poll_delay"])
def test_bad_arguments_raise_type_errors_naming_them(method: str) -> None:
    h = Harness()
    call = getattr(h.iface, method)

    def args(now: Any, sockets: Any) -> tuple[Any, ...]:
        return (now, h.device, sockets) if method == "poll" else (now, sockets)

    with pytest.raises(TypeError, match="now"):
        call(*args(0, h.sockets))
    with pytest.raises(TypeError, match="sockets"):
        call(*args(h.now, [h.sockets]))
