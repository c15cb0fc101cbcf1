"""A device's per-frame word that a TCP or UDP checksum is good (``RxToken.checksum_valid``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from smoltcp.stack.socket import UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness, TestingDevice, arp, ethernet, ipv4, udp
from smoltcp.stack.time import Instant

R = TypeVar("R")

US = "192.168.69.1"
PEER = "192.168.69.2"
PEER_MAC = "02-00-00-00-00-02"


class _HintedToken:
    __slots__ = ("checksum_valid", "frame")

    def __init__(self, frame: bytes, valid: object) -> None:
        self.frame = frame
        self.checksum_valid = valid

    def consume(self, f: Callable[[memoryview], R]) -> R:
        return f(memoryview(bytearray(self.frame)))


class HintingDevice(TestingDevice):
    """Hands every frame over with ``checksum_valid`` set to ``valid``."""

    def __init__(self, valid: object) -> None:
        super().__init__()
        self.valid = valid

    def receive(self, now: Instant):  # type: ignore[no-untyped-def]
        pair = super().receive(now)
        if pair is None:
            return None
        return _HintedToken(pair[0].frame, self.valid), pair[1]


def _received(valid: object, checksum: int | None) -> tuple[int, int]:
    """Feed one UDP datagram (``checksum``: None for the right one); return (datagrams the
    socket got, checksum drops counted)."""
    h = Harness(device=HintingDevice(valid))
    h.feed(
        ethernet(
            "ff-ff-ff-ff-ff-ff", PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, "00-00-00-00-00-00", US)
        )
    )
    sock = UdpSocket(PacketBuffer(8, 4096), PacketBuffer(8, 4096))
    sock.bind(7000)
    h.sockets.add(sock)
    dgram = udp(PEER, US, 5000, 7000, b"hello", checksum=checksum)
    h.feed(ethernet("02-00-00-00-00-01", PEER_MAC, 0x0800, ipv4(PEER, US, 17, dgram)))
    got = 0
    while sock.can_recv():
        sock.recv()
        got += 1
    return got, h.iface.counters.dropped["checksum-udp"]


def test_a_vouched_frame_is_not_verified_again() -> None:
    # The device completed or verified the checksum: the stack does not sum it again (so a
    # wrong value here, which no such device would hand over, shows the skip).
    assert _received(True, 0x1234) == (1, 0)


def test_without_the_word_every_checksum_is_verified() -> None:
    assert _received(False, 0x1234) == (0, 1)
    # Only True counts: anything else a token might carry is no promise.
    assert _received(1, 0x1234) == (0, 1)
    assert _received(True, None) == (1, 0)
    assert _received(False, None) == (1, 0)


def test_the_word_is_about_one_frame_only() -> None:
    # A frame without the word after one with it is verified.
    h = Harness(device=HintingDevice(True))
    h.feed(
        ethernet(
            "ff-ff-ff-ff-ff-ff", PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, "00-00-00-00-00-00", US)
        )
    )
    sock = UdpSocket(PacketBuffer(8, 4096), PacketBuffer(8, 4096))
    sock.bind(7000)
    h.sockets.add(sock)
    bad = ethernet(
        "02-00-00-00-00-01",
        PEER_MAC,
        0x0800,
        ipv4(PEER, US, 17, udp(PEER, US, 5000, 7000, b"x", checksum=0x1234)),
    )
    h.feed(bad)
    assert sock.can_recv()
    sock.recv()
    h.device.valid = False  # type: ignore[attr-defined]
    h.feed(bad)
    assert not sock.can_recv()
    assert h.iface.counters.dropped["checksum-udp"] == 1
