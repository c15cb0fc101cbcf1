"""Header prediction (`SegmentArrives.predicted_ack`, `predicted_data`) against the general path.

Two sockets live the same random life: the same options, the same application calls, the
same times and the same segments from a modelled peer (in order, out of order, duplicates,
pure and duplicate ACKs, ACKs beyond what was sent, window changes and zero windows,
timestamps newer, equal, older or missing, SACK blocks, PSH, FIN and the odd RST, with
sequence numbers on both sides near the 2**32 wrap). One may take the predicted paths, the
other is made to take the general path for every segment. After every step, every variable
of both connections (control block, receiver, sender, recovery with its estimators,
scoreboard, RACK and congestion controller, the buffers' contents), their replies, the
segments they send, their wake-ups, state changes, statistics and trace records must be
equal. The runs must also take both predicted paths often, or they would prove nothing.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from tcp_harness import TcpHarness, TcpTimestampRepr

from smoltcp.stack.tcp import TcpState
from smoltcp.stack.tcp.process import SegmentArrives
from smoltcp.stack.tcp.trace import RingRecorder
from smoltcp.stack.time import Duration
from smoltcp.wire import TcpControl, TcpRepr

_MASK = 0xFFFFFFFF
# Attributes that link a connection's parts to each other (and to the socket): followed once,
# from the socket, not from every part.
_LINKS = frozenset(("arr", "lst", "rcv", "rec", "snd", "sock", "tcb", "observer"))

# The peer's windows: mostly wide open (or nothing would flow to be acknowledged).
_WINDOWS = (0, 1, 300, 5000, 65535, 65535, 65535, 65535, 65535)

# Segments that took each predicted path (`_counting`).
_predicted = {"ack": 0, "data": 0}


def _general(self: SegmentArrives, cx: Any, now: Any, ip: Any, seg: Any, *_: Any) -> Any:
    """Take a predicted segment down the general path instead."""
    return self.process_synchronized(cx, now, ip, seg)


@contextmanager
def _general_path() -> Iterator[None]:
    """Send every segment predicted down the general path instead."""
    with (
        mock.patch.object(SegmentArrives, "predicted_ack", _general),
        mock.patch.object(SegmentArrives, "predicted_data", _general),
    ):
        yield


@contextmanager
def _counting() -> Iterator[None]:
    """Count the segments that take each predicted path."""
    ack, data = SegmentArrives.predicted_ack, SegmentArrives.predicted_data

    def counted_ack(self: SegmentArrives, *args: Any) -> Any:
        _predicted["ack"] += 1
        return ack(self, *args)

    def counted_data(self: SegmentArrives, *args: Any) -> Any:
        _predicted["data"] += 1
        return data(self, *args)

    with (
        mock.patch.object(SegmentArrives, "predicted_ack", counted_ack),
        mock.patch.object(SegmentArrives, "predicted_data", counted_data),
    ):
        yield


def _state(obj: Any, seen: set[int]) -> Any:
    """Return everything ``obj`` holds, as plain comparable values."""
    if obj is None or isinstance(obj, (bool, int, float, str, bytes, enum.Enum)):
        return (type(obj).__name__, obj)
    if isinstance(obj, (bytearray, memoryview)):
        return bytes(obj)
    if isinstance(obj, (list, tuple)):
        return [type(obj).__name__, *(_state(x, seen) for x in obj)]
    if isinstance(obj, (set, frozenset)):
        return sorted(repr(x) for x in obj)
    if isinstance(obj, dict):
        return [(repr(k), _state(v, seen)) for k, v in obj.items()]
    if callable(obj) and not hasattr(obj, "__slots__") and not hasattr(obj, "__dict__"):
        return "<callable>"
    if id(obj) in seen:
        return "<seen>"
    seen.add(id(obj))
    names: list[str] = []
    for klass in type(obj).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names.extend([slots] if isinstance(slots, str) else slots)
    names.extend(getattr(obj, "__dict__", {}))
    out: dict[str, Any] = {"<type>": type(obj).__name__}
    for name in names:
        if name in _LINKS or name.startswith("__"):
            continue
        try:
            value = getattr(obj, name)
        except AttributeError:
            continue
        if callable(value) and not hasattr(value, "__slots__") and not hasattr(value, "__dict__"):
            continue
        out[name] = _state(value, seen)
    return out


def _connection(h: TcpHarness) -> dict[str, Any]:
    sock = h.sock
    seen: set[int] = set()
    return {
        "parts": {
            name: _state(getattr(sock, name), seen)
            for name in ("_tcb", "_rcv", "_snd", "_rec", "_arr", "_lst")
        },
        "woken": sorted(h.set.woken),
        "transitions": list(h.transitions),
        "stats": repr(sock.stats_at(h.now)) if sock.state is not TcpState.CLOSED else None,
    }


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in a.keys() | b.keys():
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {a!r} != {b!r}"


def _plain(seg: TcpRepr | None) -> Any:
    return None if seg is None else seg._replace(payload=bytes(seg.payload))


class _Life:
    """One connection's random life, played on two harnesses at once."""

    def __init__(self, seed: int) -> None:
        rng = self.rng = random.Random(seed)
        near_wrap = rng.random() < 0.5
        iss = (1 << 32) - rng.randrange(1, 20000) if near_wrap else rng.randrange(1 << 32)
        self.peer_iss = (
            (1 << 32) - rng.randrange(1, 20000) if rng.random() < 0.5 else rng.randrange(1 << 32)
        )
        rx = rng.choice([1024, 4096, 16384])
        tx = rng.choice([1024, 4096, 16384])
        ack_delay = rng.choice([None, Duration.from_millis(10), Duration.from_millis(40)])
        self.ts = rng.random() < 0.7
        self.sack = rng.random() < 0.6
        self.shift = rng.choice([None, 0, 2, 7])
        self.mss = rng.choice([536, 1460])
        self.pair = [TcpHarness(rx=rx, tx=tx, iss=iss, ack_delay=ack_delay) for _ in range(2)]
        stretch = rng.choice([None, None, 3000])
        keep_alive = rng.choice([None, Duration.from_secs(5)])
        trace = rng.random() < 0.5
        for h in self.pair:
            if stretch is not None:
                h.sock.set_ack_stretch(stretch)
            h.sock.set_keep_alive(keep_alive)
            if trace:
                h.sock.set_trace(RingRecorder())
        self.peer_ts = rng.randrange(1 << 32)
        self.window = rng.choice(_WINDOWS)
        self.echo = 0

    # -- helpers -----------------------------------------------------------------------

    def compare(self, what: str) -> None:
        a, b = (_connection(h) for h in self.pair)
        assert a == b, f"after {what}: {_first_difference(a, b)}"

    def both(self, what: str, action: Any) -> None:
        """Do ``action(harness)`` on both (the second on the general path); compare."""
        first = action(self.pair[0])
        with _general_path():
            second = action(self.pair[1])
        assert first == second, f"{what}: {first!r} != {second!r}"
        self.compare(what)

    def learn(self, out: list[TcpRepr]) -> list[Any]:
        for seg in out:
            if seg.timestamp is not None:
                self.echo = seg.timestamp.tsval
        return [_plain(s) for s in out]

    def options(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"max_seg_size": self.mss}
        if self.ts:
            kw["timestamp"] = TcpTimestampRepr(self.peer_ts, 0)
        if self.sack:
            kw["sack_permitted"] = True
        if self.shift is not None:
            kw["window_scale"] = self.shift
        return kw

    # -- the life ----------------------------------------------------------------------

    def open(self) -> None:
        passive = self.rng.random() < 0.5
        for h in self.pair:
            if passive:
                h.establish_passive(peer_iss=self.peer_iss, window=65535, **self.options())
            else:
                h.establish_active(peer_iss=self.peer_iss, window=65535, **self.options())
        self.compare("open")

    def peer_segment(self) -> TcpRepr:
        rng = self.rng
        tcb = self.pair[0].sock.tcb
        una, smax = int(tcb.snd_una), int(tcb.snd_max)
        flight = (smax - una) & _MASK
        kind = rng.random()
        if kind < 0.45 or flight == 0:
            ack = una
        elif kind < 0.85:
            ack = (una + rng.randint(1, flight)) & _MASK
        else:
            ack = (una + rng.choice([-70000, -1, flight + 1, flight + 1000])) & _MASK
        control = TcpControl.NONE
        r = rng.random()
        if r < 0.1:
            control = TcpControl.PSH
        elif r < 0.103:
            control = TcpControl.FIN
        elif r < 0.104:
            control = TcpControl.RST
        elif r < 0.107:
            control = TcpControl.SYN
        size = 0 if rng.random() < 0.4 else rng.randint(1, self.mss)
        # The peer sends from what we acknowledged, as after a retransmission timeout (a
        # model of its own would part from RCV.NXT at the first segment we drop).
        nxt = int(tcb.rcv_nxt)
        r = rng.random()
        if r < 0.85:
            seq = nxt
        elif r < 0.92:
            seq = (nxt + rng.randint(1, 3000)) & _MASK
        else:
            seq = (nxt - rng.randint(1, 3000)) & _MASK
        if rng.random() < 0.05:
            self.window = rng.choice(_WINDOWS)
        kw: dict[str, Any] = {}
        if self.ts and rng.random() < 0.97:
            r = rng.random()
            if r < 0.7:
                self.peer_ts = (self.peer_ts + rng.randint(1, 50)) & _MASK
                tsval = self.peer_ts
            elif r < 0.93:
                tsval = self.peer_ts
            else:
                tsval = (self.peer_ts - rng.randint(1, 1 << 20)) & _MASK
            kw["timestamp"] = TcpTimestampRepr(tsval, self.echo)
        if rng.random() < 0.1:
            left = (una + rng.randint(-100, max(1, flight))) & _MASK
            kw["sack_ranges"] = ((left, (left + rng.randint(1, 3000)) & _MASK),)
        payload = rng.randbytes(size)
        h = self.pair[0]
        return h.seg(control, seq=seq, ack=ack, window=self.window, payload=payload, **kw)

    def step(self) -> None:
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            seg = self.peer_segment()
            self.both(f"segment {seg}", lambda h: _plain(h.deliver(seg, h.sock)))
        elif r < 0.65:
            self.both("drain", lambda h: self.learn(h.recv()))
        elif r < 0.75:
            data = rng.randbytes(rng.randint(1, 3000))

            def send(h: TcpHarness) -> Any:
                try:
                    return h.sock.send(data)
                except Exception as exc:  # a closed or closing connection
                    return repr(exc)

            self.both("send", send)
        elif r < 0.85:
            size = rng.randint(1, 5000)

            def read(h: TcpHarness) -> Any:
                try:
                    return h.sock.recv(size)
                except Exception as exc:
                    return repr(exc)

            self.both("read", read)
        elif r < 0.999:
            ms = rng.choice([0.1, 1, 5, 20, 300])
            for h in self.pair:
                h.advance(ms)
        else:

            def close(h: TcpHarness) -> Any:
                try:
                    return h.sock.close()
                except Exception as exc:
                    return repr(exc)

            self.both("close", close)


def _live(seeds: range) -> None:
    # Each seed's life, up to 150 steps or until the connection closes.
    with _counting():
        for seed in seeds:
            life = _Life(seed)
            life.open()
            for _ in range(150):
                life.step()
                if life.pair[0].sock.state is TcpState.CLOSED:
                    break


@pytest.mark.parametrize("block", range(4))
def test_predicted_paths_match_the_general_path(block: int) -> None:
    _live(range(block * 40, block * 40 + 40))


def test_the_lives_take_both_predicted_paths() -> None:
    """The differential runs above prove something only if both paths ran often."""
    _predicted["ack"] = _predicted["data"] = 0
    _live(range(40))
    assert _predicted["ack"] >= 100
    assert _predicted["data"] >= 100
