"""The device hint ``last`` (see `smoltcp.stack.device.RxToken`): a token that says no other
frame waits lets a lone TCP segment skip the GRO hold. An exact hint changes nothing the
socket, the peer or the counters see; a wrong True costs only the coalescing.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import pytest

from smoltcp.stack.log import TRACE
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.testing import Harness, TestingDevice, ethernet, ipv4, mac, tcp
from smoltcp.stack.time import Instant
from smoltcp.wire import EthernetAddress, Ipv4Address

US, PEER = "192.168.69.1", "192.168.69.2"
US_MAC, PEER_MAC = "02-00-00-00-00-01", "02-00-00-00-00-02"
PORTS = (80, 81)
CLOSED_PORT = 82
PEER_PORTS = (40000, 40001)
PEER_ISN = 1000


def frame(port: int, peer_port: int, seq: int, ack: int, flags: str, payload: bytes = b"") -> bytes:
    segment = tcp(PEER, US, peer_port, port, seq, ack, flags, 65535, payload)
    return ethernet(mac(US_MAC), mac(PEER_MAC), 0x0800, ipv4(PEER, US, 6, segment))


class HintDevice(TestingDevice):
    """Lends every frame in one reused buffer (as a TAP device does), through a token whose
    ``last`` follows ``mode``: "absent" (no attribute), "exact" (True when nothing else waits),
    "false", "true" (True always, also with frames waiting), "truthy" (1, not a bool) or
    "random"."""

    def __init__(self, mode: str, seed: int = 0) -> None:
        super().__init__()
        self.mode = mode
        self._rnd = random.Random(seed)
        self._buffer = bytearray(1514)
        self.hints: list[bool] = []

    def receive(self, now: Instant) -> Any:
        got = super().receive(now)
        if got is None:
            return None
        data = got[0].frame
        self._buffer[: len(data)] = data
        view = memoryview(self._buffer)[: len(data)]
        mode = self.mode
        if mode == "absent":
            return _Plain(view), got[1]
        if mode == "exact":
            last: Any = not self.rx
        elif mode == "false":
            last = False
        elif mode == "true":
            last = True
        elif mode == "truthy":
            last = 1
        else:
            last = self._rnd.random() < 0.5
        self.hints.append(last)
        return _Hinted(view, last), got[1]


class _Plain:
    def __init__(self, view: memoryview) -> None:
        self.view = view

    def consume(self, f: Any) -> Any:
        return f(self.view)


class _Hinted(_Plain):
    def __init__(self, view: memoryview, last: Any) -> None:
        super().__init__(view)
        self.last = last


class RecordingSocket(TcpSocket):
    """A TCP socket that records every segment it is handed (with its IP header)."""

    def __init__(self, seen: list[Any], name: str) -> None:
        super().__init__(1 << 20, 1 << 20)
        self._seen = seen
        self._name = name

    def process(self, cx: Any, now: Instant, ipr: Any, seg: Any) -> Any:
        self._seen.append(
            (self._name, now.micros, tuple(ipr), seg._replace(payload=b""), bytes(seg.payload))
        )
        return super().process(cx, now, ipr, seg)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(TRACE)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.levelno} {record.getMessage()}")


def run(mode: str, seed: int, gro: bool = True) -> tuple[Any, ...]:
    """Drive two connections and a closed port with a random frame sequence in random bursts
    (reordered, lost, duplicated, PSH and FIN segments, pure ACKs); return everything seen."""
    rnd = random.Random(seed)
    device = HintDevice(mode, seed)
    h = Harness(gro=gro, device=device)
    h.iface.neighbor_cache.fill(Ipv4Address(PEER), EthernetAddress.parse(PEER_MAC), h.now)
    seen: list[Any] = []
    socks = []
    for i, port in enumerate(PORTS):
        sock = RecordingSocket(seen, f"s{i}")
        h.sockets.add(sock)
        sock.listen(port)
        socks.append(sock)
    records = _Records()
    logger = logging.getLogger("smoltcp")
    old_level = logger.level
    logger.setLevel(TRACE)
    logger.addHandler(records)
    sent: list[bytes] = []
    read: list[bytes] = [b"", b""]
    try:
        iss1 = []
        for sock, port, peer_port in zip(socks, PORTS, PEER_PORTS, strict=True):
            out = h.feed(frame(port, peer_port, PEER_ISN, 0, "S"))
            sent += out
            (synack,) = [d for d in h.decode(out) if d.tcp is not None]
            assert synack.tcp is not None
            iss1.append(synack.tcp["seq"] + 1)
            sent += h.feed(frame(port, peer_port, PEER_ISN + 1, iss1[-1], "A"))
            assert sock.state is TcpState.ESTABLISHED
        # Each connection's stream, cut into segments of random sizes.
        streams = []
        for c in range(2):
            sizes = [rnd.choice((1, 100, 536, 1000, 1000, 1448)) for _ in range(rnd.randint(4, 14))]
            data = rnd.randbytes(sum(sizes))
            frames = []
            at = 0
            for k, size in enumerate(sizes):
                flags = rnd.choice(("A", "A", "A", "PA"))
                if k == len(sizes) - 1 and rnd.random() < 0.3:
                    flags = "FA"
                frames.append(
                    frame(
                        PORTS[c],
                        PEER_PORTS[c],
                        PEER_ISN + 1 + at,
                        iss1[c],
                        flags,
                        data[at : at + size],
                    )
                )
                at += size
            streams.append(frames)
        pool: list[bytes] = []
        for c in range(2):
            for f in streams[c]:
                if rnd.random() < 0.1:
                    continue  # lost
                pool.append(f)
                if rnd.random() < 0.1:
                    pool.append(f)  # duplicated
            pool.append(frame(PORTS[c], PEER_PORTS[c], PEER_ISN + 1, iss1[c], "A"))  # pure ACK
        pool.append(frame(CLOSED_PORT, PEER_PORTS[0], 5, 0, "S"))
        pool.append(frame(CLOSED_PORT, PEER_PORTS[1], 5, 7, "A", b"late"))
        # Mostly in order per connection, interleaved; a few swaps.
        order = sorted(range(len(pool)), key=lambda i: i + rnd.random() * 3)
        pool = [pool[i] for i in order]
        while pool:
            n = min(len(pool), rnd.choice((1, 1, 1, 2, 3, 5, 8)))
            burst, pool = pool[:n], pool[n:]
            if rnd.random() < 0.3:
                h.advance(rnd.choice((1, 40, 200)))
            sent += h.feed(*burst)
            for c in range(2):
                while socks[c].can_recv():
                    read[c] += socks[c].recv(1 << 20)
            if rnd.random() < 0.2:
                socks[rnd.randrange(2)].send(b"reply")
                sent += h.poll()
        for _ in range(3):
            h.advance(300)
            sent += h.poll()
    finally:
        logger.removeHandler(records)
        logger.setLevel(old_level)
    counters = h.iface.counters
    return (
        sent,
        seen,
        read,
        records.lines,
        repr(counters),
        sorted(counters.dropped.items()),
        [repr(s.stats) for s in socks],
        [s.state for s in socks],
    )


@pytest.mark.parametrize("seed", range(60))
def test_an_exact_hint_changes_nothing_seen(seed: int) -> None:
    # Every frame sent, every segment handed to a socket (IP header, fields, octets, time),
    # what the application reads, the traces, the interface's and sockets' counters.
    absent = run("absent", seed)
    assert absent[1]  # segments reached the sockets
    assert run("exact", seed) == absent
    assert run("false", seed) == absent
    assert run("truthy", seed) == absent  # only True itself is the hint


@pytest.mark.parametrize("seed", range(30))
def test_a_wrong_true_costs_only_coalescing(seed: int) -> None:
    # True with frames waiting: the segments reach the sockets one by one, as with GRO off.
    for mode in ("true", "random"):
        got = run(mode, seed)
        ref = run("absent", seed, gro=False) if mode == "true" else run("absent", seed)
        assert got[2] == ref[2]  # the same octets read, in order
        assert got[7] == ref[7]  # the same final states
    assert run("true", seed)[:4] == run("absent", seed, gro=False)[:4]


def _connected(mode: str) -> tuple[Harness, TcpSocket, int]:
    h = Harness(gro=True, device=HintDevice(mode))
    h.iface.neighbor_cache.fill(Ipv4Address(PEER), EthernetAddress.parse(PEER_MAC), h.now)
    sock = TcpSocket(1 << 16, 1 << 16)
    h.sockets.add(sock)
    sock.listen(PORTS[0])
    (synack,) = h.decode(h.feed(frame(PORTS[0], PEER_PORTS[0], PEER_ISN, 0, "S")))
    assert synack.tcp is not None
    iss1 = int(synack.tcp["seq"]) + 1
    h.feed(frame(PORTS[0], PEER_PORTS[0], PEER_ISN + 1, iss1, "A"))
    assert sock.state is TcpState.ESTABLISHED
    return h, sock, iss1


@pytest.mark.parametrize("mode", ["absent", "false", "truthy", "exact", "true"])
def test_the_contract(mode: str) -> None:
    h, sock, iss1 = _connected(mode)
    before = sock.stats.segments_received
    # Two in-order segments in one poll: coalesced unless the device says True on the first
    # (wrongly, as the second waits).
    h.feed(
        frame(PORTS[0], PEER_PORTS[0], PEER_ISN + 1, iss1, "A", b"a" * 1000),
        frame(PORTS[0], PEER_PORTS[0], PEER_ISN + 1001, iss1, "A", b"b" * 1000),
    )
    assert sock.recv(1 << 16) == b"a" * 1000 + b"b" * 1000
    assert sock.stats.segments_received - before == (2 if mode == "true" else 1)
    # A lone segment: held until the end of the poll, or handed straight over (exact/true);
    # either way the socket has it when the poll returns, and nothing stays held.
    h.feed(frame(PORTS[0], PEER_PORTS[0], PEER_ISN + 2001, iss1, "A", b"c" * 1000))
    assert sock.recv(1 << 16) == b"c" * 1000
    assert h.iface._ingress._gro is not None and h.iface._ingress._gro.sock is None
    device = h.device
    assert isinstance(device, HintDevice)
    if mode == "exact":
        assert device.hints[-3:] == [False, True, True]
    assert not h.dropped


def test_a_lone_segment_with_the_hint_is_never_copied() -> None:
    # The aggregator's buffer is allocated by the first segment it holds: with an exact hint
    # and one frame per poll, never.
    h, sock, iss1 = _connected("exact")
    for k in range(5):
        h.feed(frame(PORTS[0], PEER_PORTS[0], PEER_ISN + 1 + 1000 * k, iss1, "A", b"d" * 1000))
    assert sock.recv(1 << 16) == b"d" * 5000
    gro = h.iface._ingress._gro
    assert gro is not None and not gro._buf
