"""Software receive offload (GRO): in-order TCP segments of one connection, received in one
poll, reach the socket as one segment, and draw one ACK; whatever arrives, the socket ends up
with the same octets as with GRO off.
"""

from __future__ import annotations

import random
import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smoltcp.stack.iface.gro import CAPACITY, Aggregator, can_start
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.testing import Harness, TestingDevice, ethernet, ipv4, mac, tcp
from smoltcp.stack.time import Instant
from smoltcp.wire import (
    EthernetAddress,
    Ipv4Address,
    TcpControl,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
)

US, PEER = "192.168.69.1", "192.168.69.2"
US_MAC, PEER_MAC = "02-00-00-00-00-01", "02-00-00-00-00-02"
PORT, PEER_PORT = 80, 40000
PEER_ISN = 1000


def frame(seq: int, ack: int, flags: str, payload: bytes = b"", tsval: int | None = None) -> bytes:
    options = b""
    if tsval is not None:
        options = b"\x01\x01\x08\x0a" + struct.pack("!II", tsval, 0)
    segment = tcp(PEER, US, PEER_PORT, PORT, seq, ack, flags, 65535, payload, options)
    return ethernet(mac(US_MAC), mac(PEER_MAC), 0x0800, ipv4(PEER, US, 6, segment))


class ReusingDevice(TestingDevice):
    """Lends every received frame in one buffer, as a TAP device does: a view kept past its
    frame's `consume` sees the next frame."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray(1514)

    def receive(self, now: Instant) -> Any:
        got = super().receive(now)
        if got is None:
            return None
        frame = got[0].frame
        self._buffer[: len(frame)] = frame
        return _Lent(memoryview(self._buffer)[: len(frame)]), got[1]


class _Lent:
    def __init__(self, view: memoryview) -> None:
        self.view = view

    def consume(self, f: Any) -> Any:
        return f(self.view)


def connect(gro: bool, buffer: int = 1 << 20) -> tuple[Harness, TcpSocket, int]:
    """Return a harness whose socket is ESTABLISHED with the scripted peer, and our ISN + 1."""
    h = Harness(gro=gro, device=ReusingDevice())
    h.iface.neighbor_cache.fill(Ipv4Address(PEER), EthernetAddress.parse(PEER_MAC), h.now)
    sock = TcpSocket(buffer, buffer)
    h.sockets.add(sock)
    sock.listen(PORT)
    (synack,) = h.decode(h.feed(frame(PEER_ISN, 0, "S")))
    assert synack.tcp is not None and synack.tcp["flags"] == "SA"
    iss1 = synack.tcp["seq"] + 1
    h.feed(frame(PEER_ISN + 1, iss1, "A"))
    assert sock.state is TcpState.ESTABLISHED
    return h, sock, iss1


def acks(h: Harness, frames: list[bytes]) -> list[int]:
    return [d.tcp["ack"] for d in h.decode(frames) if d.tcp is not None]


def read_all(sock: TcpSocket) -> bytes:
    out = b""
    while sock.can_recv():
        out += sock.recv(1 << 20)
    return out


def test_in_order_segments_of_one_poll_reach_the_socket_as_one_and_draw_one_ack() -> None:
    data = random.Random(1).randbytes(10 * 1000)

    def segments(iss1: int) -> list[bytes]:
        return [
            frame(PEER_ISN + 1 + i, iss1, "A" if i < 9000 else "PA", data[i : i + 1000])
            for i in range(0, 10000, 1000)
        ]

    h, sock, iss1 = connect(gro=True)
    sent = h.feed(*segments(iss1))
    assert acks(h, sent) == [PEER_ISN + 1 + 10000]
    assert read_all(sock) == data
    assert sock.stats.segments_received == 2 + 1  # the handshake's two, then one aggregate

    # GRO off: the socket sees each segment, and ACKs at least every second full-sized
    # segment's worth (RFC 5681): here every third 1000-octet segment, the last one delayed.
    h, sock, iss1 = connect(gro=False)
    sent = h.feed(*segments(iss1))
    assert acks(h, sent) == [PEER_ISN + 1 + n for n in (3000, 6000, 9000)]
    assert read_all(sock) == data
    assert sock.stats.segments_received == 2 + 10


# -- the rules ------------------------------------------------------------------------------------


def seg(seq: int, size: int = 100, **fields: Any) -> TcpRepr:
    base: dict[str, Any] = dict(
        src_port=PEER_PORT,
        dst_port=PORT,
        control=TcpControl.NONE,
        seq_number=TcpSeqNumber(seq),
        ack_number=TcpSeqNumber(7),
        window_len=100,
        timestamp=TcpTimestampRepr(5, 6),
        payload=bytes([seq & 0xFF]) * size,
    )
    base.update(fields)
    return TcpRepr(**base)


def test_only_plain_data_segments_start_an_aggregate() -> None:
    assert can_start(seg(0))
    assert can_start(seg(0, control=TcpControl.PSH))
    assert not can_start(seg(0, size=0))
    for control in (TcpControl.SYN, TcpControl.FIN, TcpControl.RST):
        assert not can_start(seg(0, control=control))
    assert not can_start(seg(0, ack_number=None))
    assert not can_start(seg(0, sack_ranges=((1, 2),)))
    assert not can_start(seg(0, max_seg_size=1000))
    assert not can_start(seg(0, cwr=True))


def test_what_ends_an_aggregate() -> None:
    sock, other = object(), object()

    def held(*then: TcpRepr) -> list[bool]:
        agg = Aggregator()
        agg.start(sock, _Ip(), seg(0))
        return [agg.join(sock, s) for s in then]

    assert held(seg(100), seg(200)) == [True, True]
    assert held(seg(101)) == [False]  # not the next in sequence
    assert held(seg(100, ack_number=TcpSeqNumber(8))) == [False]
    assert held(seg(100, window_len=99)) == [False]
    assert held(seg(100, timestamp=TcpTimestampRepr(6, 6))) == [False]
    assert held(seg(100, size=101)) == [False]  # larger than the first
    assert held(seg(100, size=50), seg(150)) == [True, False]  # nothing after a short one
    assert held(seg(100, control=TcpControl.PSH), seg(200)) == [True, False]
    assert held(seg(100, control=TcpControl.FIN)) == [False]
    agg = Aggregator()
    agg.start(sock, _Ip(), seg(0))
    assert not agg.join(other, seg(100))
    # A full buffer ends it too.
    agg = Aggregator()
    agg.start(sock, _Ip(), seg(0, size=20000))
    assert agg.join(sock, seg(20000, size=20000)) and agg.join(sock, seg(40000, size=20000))
    assert agg.complete and not agg.join(sock, seg(60000, size=20000))
    assert agg._length <= CAPACITY


def test_take_hands_over_one_segment_with_every_payload_in_order() -> None:
    agg = Aggregator()
    first = seg(2**32 - 50)  # across the wrap of the sequence space
    agg.start("s", _Ip(), first)
    assert agg.join("s", seg(50, control=TcpControl.PSH))
    sock, ipr, merged = agg.take()
    assert sock == "s" and agg.sock is None
    assert merged.seq_number == first.seq_number and merged.control is TcpControl.PSH
    assert bytes(merged.payload) == first.payload + seg(50).payload
    assert ipr.payload_len == merged.buffer_len()


class _Ip:
    payload_len = 0

    def _replace(self, payload_len: int) -> _Ip:
        out = _Ip()
        out.payload_len = payload_len
        return out


# -- whatever arrives, the same octets ------------------------------------------------------------


@given(
    order=st.permutations(range(12)),
    shuffle=st.booleans(),
    lost=st.sets(st.integers(0, 11), max_size=3),
    duplicated=st.sets(st.integers(0, 11), max_size=3),
    polls=st.integers(1, 4),
    tsvals=st.lists(st.integers(1, 3), min_size=12, max_size=12),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=60, deadline=None)
def test_the_socket_reads_the_same_octets_with_gro_on_or_off(
    order: list[int],
    shuffle: bool,
    lost: set[int],
    duplicated: set[int],
    polls: int,
    tsvals: list[int],
    seed: int,
) -> None:
    rnd = random.Random(seed)
    sizes = [rnd.choice((536, 1000, 1000, 1000, 1448)) for _ in range(12)]
    data = rnd.randbytes(sum(sizes))
    starts = [sum(sizes[:i]) for i in range(12)]
    picks = list(order) if shuffle else sorted(order)
    picks = [i for i in picks if i not in lost]
    picks += sorted(duplicated)
    results = []
    for gro in (True, False):
        h, sock, iss1 = connect(gro=gro)
        frames = [
            frame(
                PEER_ISN + 1 + starts[i],
                iss1,
                "PA" if i == 11 else "A",
                data[starts[i] : starts[i] + sizes[i]],
                tsval=tsvals[i],
            )
            for i in picks
        ]
        got = b""
        last_ack = None
        step = max(1, len(frames) // polls)
        for k in range(0, len(frames), step):
            sent = h.feed(*frames[k : k + step])
            got += read_all(sock)
            last_ack = (acks(h, sent) or [last_ack])[-1]
        h.advance(500)
        sent = h.poll()
        last_ack = (acks(h, sent) or [last_ack])[-1]
        assert not h.dropped
        results.append((got, last_ack))
    assert results[0] == results[1]
    got, _ = results[0]
    assert data.startswith(got)


class _FailingDevice(ReusingDevice):
    """Raises from the token of the frame after ``ok`` frames, as a device that fails mid-burst."""

    def __init__(self) -> None:
        super().__init__()
        self.ok: int | None = None

    def receive(self, now: Instant) -> Any:
        if self.ok == 0:
            self.ok = None
            return _Broken(), None
        if self.ok is not None:
            self.ok -= 1
        return super().receive(now)


class _Broken:
    def consume(self, f: Any) -> Any:
        raise OSError("the device failed")


def test_a_device_failing_mid_burst_leaves_no_segment_held() -> None:
    # GRO holds the last segment of a poll for more to join it; a device that raises after it
    # must not leave it held until some later frame comes (which may never come).
    h = Harness(gro=True, device=_FailingDevice())
    h.iface.neighbor_cache.fill(Ipv4Address(PEER), EthernetAddress.parse(PEER_MAC), h.now)
    sock = TcpSocket(1 << 16, 1 << 16)
    h.sockets.add(sock)
    sock.listen(PORT)
    (synack,) = h.decode(h.feed(frame(PEER_ISN, 0, "S")))
    assert synack.tcp is not None
    iss1 = synack.tcp["seq"] + 1
    h.feed(frame(PEER_ISN + 1, iss1, "A"))
    assert sock.state is TcpState.ESTABLISHED
    device = h.device
    assert isinstance(device, _FailingDevice)
    device.ok = 1
    device.push(frame(PEER_ISN + 1, iss1, "A", b"x" * 1000))
    try:
        h.iface.poll(h.now, device, h.sockets)
    except OSError:
        pass
    else:  # pragma: no cover - the device raises by construction
        raise AssertionError("the device's error did not reach the caller")
    h.poll()  # nothing more arrives
    assert read_all(sock) == b"x" * 1000
