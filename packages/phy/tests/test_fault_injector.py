"""The fault injector: seeded drops and corruption in the expected band, exact rate limits."""

from __future__ import annotations

import logging
import math

import pytest

from smoltcp.phy import Direction, FaultInjector, Loopback, Tracer
from smoltcp.stack.time import Instant

T0 = Instant.ZERO
N = 2000


def send(dev, data: bytes, now: Instant = T0) -> bool:
    token = dev.transmit(now)
    if token is None:
        return False
    token.consume(len(data), lambda buf: buf.__setitem__(slice(None), data))
    return True


def recv(dev, now: Instant = T0) -> bytes | None:
    pair = dev.receive(now)
    return None if pair is None else pair[0].consume(bytes)


def frame(i: int, length: int = 64) -> bytes:
    return i.to_bytes(4, "big") * (length // 4)


def band(n: int, percent: float) -> range:
    """Return the counts within 4.5 standard deviations of a binomial's mean."""
    p = percent / 100
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    return range(math.floor(mean - 4.5 * sd), math.ceil(mean + 4.5 * sd) + 1)


def test_rx_drops_within_the_band():
    lo = Loopback(queue_len=N)
    dev = FaultInjector(lo, seed=1, drop_chance=15)
    for i in range(N):
        send(lo, frame(i))
    received = [recv(dev) for _ in range(N)]
    kept = [f for f in received if f is not None]
    assert dev.counters.rx_dropped == N - len(kept)
    assert dev.counters.rx_dropped in band(N, 15)
    # The frames that survive are untouched and in order.
    assert kept == sorted(kept)
    assert all(f == frame(int.from_bytes(f[:4], "big")) for f in kept)


def test_tx_drops_within_the_band():
    lo = Loopback(queue_len=N)
    dev = FaultInjector(lo, seed=2, drop_chance=40)
    for i in range(N):
        assert send(dev, frame(i))
    assert dev.counters.tx_dropped == N - len(lo)
    assert dev.counters.tx_dropped in band(N, 40)


@pytest.mark.parametrize("direction", ["rx", "tx"])
def test_corruption_changes_exactly_one_octet_within_the_band(direction):
    lo = Loopback(queue_len=N)
    dev = FaultInjector(lo, seed=3, corrupt_chance=15)
    sender, receiver = (lo, dev) if direction == "rx" else (dev, lo)
    for i in range(N):
        send(sender, frame(i))
    changed = 0
    for i in range(N):
        got = recv(receiver)
        diff = sum(a != b for a, b in zip(got, frame(i), strict=True))
        assert diff in (0, 1) and len(got) == 64
        changed += diff
    assert changed == getattr(dev.counters, f"{direction}_corrupted")
    assert changed in band(N, 15)


def test_same_seed_same_run_other_seed_other_run():
    def run(seed: int) -> list[bool]:
        lo = Loopback(queue_len=200)
        dev = FaultInjector(lo, seed=seed, drop_chance=50, corrupt_chance=50)
        for i in range(200):
            send(lo, frame(i))
        return [recv(dev) for _ in range(200)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_zero_and_hundred_percent():
    lo = Loopback()
    dev = FaultInjector(lo, seed=0, drop_chance=100)
    for i in range(50):
        send(dev, frame(i))
    assert len(lo) == 0
    dev.drop_chance = 0
    for i in range(50):
        send(dev, frame(i))
    assert [recv(dev) for _ in range(50)] == [frame(i) for i in range(50)]


def test_size_limit_drops_larger_frames_both_ways():
    lo = Loopback()
    dev = FaultInjector(lo, seed=0, size_limit=100)
    send(dev, b"a" * 100)
    send(dev, b"b" * 101)
    assert len(lo) == 1 and dev.counters.tx_too_large == 1
    send(lo, b"c" * 101)
    assert recv(dev) == b"a" * 100
    assert recv(dev) is None
    assert dev.counters.rx_too_large == 1


def test_rx_rate_limit_passes_exactly_the_bucket_per_interval():
    lo = Loopback()
    dev = FaultInjector(lo, seed=0, rx_rate_limit=4, shaping_interval=50)
    for i in range(20):
        send(lo, frame(i))

    def burst(millis: int) -> int:
        now = Instant.from_millis(millis)
        return sum(recv(dev, now) is not None for _ in range(10))

    assert burst(0) == 4
    assert burst(49) == 0
    assert burst(50) == 4
    assert burst(60) == 0
    assert burst(100) == 4
    # Frames over the limit wait in the inner device rather than being lost.
    assert len(lo) == 8
    assert burst(500) == 4 and burst(550) == 4 and burst(600) == 0


def test_tx_rate_limit_passes_exactly_the_bucket_per_interval():
    lo = Loopback()
    dev = FaultInjector(lo, seed=0, tx_rate_limit=3, shaping_interval=20)

    def burst(millis: int) -> int:
        now = Instant.from_millis(millis)
        return sum(send(dev, frame(i), now) for i in range(10))

    assert burst(0) == 3
    assert burst(19) == 0
    assert burst(20) == 3
    assert len(lo) == 6
    assert dev.counters.tx_rate_limited == 0


def test_unused_tokens_do_not_carry_over_to_the_next_interval():
    lo = Loopback()
    dev = FaultInjector(lo, seed=0, tx_rate_limit=4, shaping_interval=10)

    def burst(millis: int, n: int = 10) -> int:
        now = Instant.from_millis(millis)
        return sum(send(dev, frame(i), now) for i in range(n))

    assert burst(0, 1) == 1  # three tokens left unused
    assert burst(10) == 4  # a fresh bucket of four, not seven
    assert burst(1000) == 4  # a long silence: still four


def test_tx_rate_limit_drops_replies_through_a_receive_token():
    lo = Loopback()
    dev = FaultInjector(lo, seed=0, tx_rate_limit=1, shaping_interval=1000)
    send(lo, b"q1")
    send(lo, b"q2")
    _, tx1 = dev.receive(T0)
    tx1.consume(2, lambda buf: buf.__setitem__(slice(None), b"r1"))
    _, tx2 = dev.receive(T0)
    tx2.consume(2, lambda buf: buf.__setitem__(slice(None), b"r2"))
    assert recv(lo) == b"r1" and recv(lo) is None
    assert dev.counters.tx_rate_limited == 1


def test_settings_are_checked():
    dev = FaultInjector(Loopback(), seed=0)
    with pytest.raises(ValueError):
        dev.drop_chance = 101
    with pytest.raises(ValueError):
        dev.corrupt_chance = -1
    with pytest.raises(ValueError):
        dev.shaping_interval = -5
    with pytest.raises(TypeError):
        FaultInjector(object(), seed=0)


def test_dropped_frames_are_still_traced_and_logged_in_seed_order(caplog):
    """rx: the drop message follows the traced frame; tx: it precedes it (as the seed says)."""
    traced: list[tuple[Direction, bytes]] = []
    lo = Loopback()
    tracer = Tracer(lo, lambda d, now, f: traced.append((d, bytes(f))))
    dev = FaultInjector(tracer, seed=0, drop_chance=100)
    caplog.set_level(logging.INFO, logger="smoltcp.phy")
    send(lo, b"in")
    assert dev.receive(T0) is None
    send(dev, b"out")
    assert len(lo) == 0
    assert traced == [(Direction.RX, b"in"), (Direction.TX, b"out")]
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["rx: randomly dropping a packet", "tx: randomly dropping a packet"]


def test_default_tracer_log_order_around_drops(caplog):
    lo = Loopback()
    dev = FaultInjector(Tracer(lo), seed=0, drop_chance=100)
    caplog.set_level(logging.INFO, logger="smoltcp.phy")
    send(lo, b"\x01" * 20)
    dev.receive(T0)
    send(dev, b"\x02" * 20)
    loggers = [(r.name.rsplit(".", 1)[1], r.getMessage()[:2]) for r in caplog.records]
    assert loggers == [
        ("tracer", "<-"),
        ("fault_injector", "rx"),
        ("fault_injector", "tx"),
        ("tracer", "->"),
    ]
