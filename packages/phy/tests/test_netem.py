"""The emulator: composition of the impairments, in explicit time, and inside the fault injector."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smoltcp.phy import FaultInjector, Loopback, Netem, NetemSettings, Waiter, now
from smoltcp.phy.impair import Bernoulli, GilbertElliott, Listed, Periodic
from smoltcp.stack.time import Duration, Instant


def band(n: int, percent: float) -> range:
    p = percent / 100
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    return range(math.floor(mean - 4.5 * sd), math.ceil(mean + 4.5 * sd) + 1)


def tagged(i: int, length: int = 64) -> bytes:
    return i.to_bytes(4, "big") * (length // 4)


def drain(netem: Netem, until: int) -> list[tuple[int, int]]:
    """Release every frame due by ``until``, stepping to each due time: [(time, tag)]."""
    out = []
    while (due := netem.next_due()) is not None and due <= until:
        frame = netem.dequeue(due)
        assert frame is not None
        out.append((due, int.from_bytes(frame[:4], "big")))
    return out


def accounted(netem: Netem) -> bool:
    c = netem.counters
    q = c.queue
    return (
        c.offered + c.duplicated == c.lost + q.arrivals
        and q.arrivals == q.departures + q.drops + q.queued
    )


def test_fixed_delay_releases_each_frame_exactly_on_time():
    netem = Netem(NetemSettings(delay=20_000))
    for i in range(5):
        netem.enqueue(i * 1000, tagged(i))
    assert netem.dequeue(19_999) is None
    assert drain(netem, 10**9) == [(20_000 + i * 1000, i) for i in range(5)]


def test_jitter_larger_than_the_spacing_reorders_unless_order_is_kept():
    def order(keep_order: bool) -> list[tuple[int, int]]:
        netem = Netem(NetemSettings(delay=10_000, jitter=5_000, keep_order=keep_order), seed=3)
        for i in range(200):
            netem.enqueue(i * 100, tagged(i))  # 100 us apart, far less than the jitter
        return drain(netem, 10**9)

    free = order(False)
    tags = [t for _, t in free]
    assert sorted(tags) == list(range(200)) and tags != sorted(tags)
    assert all(4_900 <= due - tag * 100 <= 15_000 for due, tag in free)
    kept = order(True)
    assert [t for _, t in kept] == list(range(200))
    assert [d for d, _ in kept] == sorted(d for d, _ in kept)


def test_reorder_sends_every_gap_th_frame_ahead_of_the_delayed_ones():
    netem = Netem(NetemSettings(delay=10_000, reorder=100, gap=5))
    for i in range(10):
        netem.enqueue(i * 10, tagged(i))
    released = [tag for _, tag in drain(netem, 10**9)]
    assert released == [4, 9, 0, 1, 2, 3, 5, 6, 7, 8]
    assert netem.counters.reordered == 2


def test_rate_and_delay_give_exact_departures():
    # 1,000,000 octets/s and 1500-octet frames: 1.5 ms each, then 20 ms of propagation.
    netem = Netem(NetemSettings(delay=20_000, rate=1_000_000, limit=100))
    for i in range(10):
        netem.enqueue(0, tagged(i, 1500))
    assert drain(netem, 10**9) == [(1500 * (i + 1) + 20_000, i) for i in range(10)]


def test_the_queue_is_bounded_and_every_frame_is_accounted_for():
    netem = Netem(
        NetemSettings(
            delay=5_000,
            jitter=4_000,
            loss=Bernoulli(10),
            duplicate=10,
            corrupt=5,
            reorder=20,
            rate=125_000,
            limit=50,
        ),
        seed=9,
    )
    t = 0
    for i in range(5000):
        t += 200
        netem.enqueue(t, tagged(i, 100 + i % 1400))
        assert len(netem) <= 50
        assert accounted(netem)
        if i % 7 == 0:
            while netem.dequeue(t) is not None:
                pass
    c = netem.counters
    assert c.queue.drops > 0 and c.lost > 0 and c.duplicated > 0
    assert c.corrupted > 0 and c.reordered > 0 and c.queue.departures > 0
    drain(netem, 10**12)
    assert accounted(netem) and len(netem) == 0


def test_octet_limit_bounds_the_queue():
    netem = Netem(NetemSettings(delay=1_000_000, limit=1000, limit_octets=10_000))
    for i in range(100):
        netem.enqueue(0, tagged(i, 1000))
    assert netem.counters.queue.queued == 10 and netem.counters.queue.drops == 90


def test_duplication_and_loss_rates():
    netem = Netem(NetemSettings(duplicate=10, loss=Bernoulli(5)), seed=4)
    n = 20_000
    for i in range(n):
        netem.enqueue(i, tagged(i))
    c = netem.counters
    assert c.duplicated in band(n, 10)
    assert c.lost in band(n + c.duplicated, 5)
    assert accounted(netem)


def test_one_impairment_does_not_change_anothers_draws():
    def lost(corrupt: float) -> list[int]:
        netem = Netem(NetemSettings(loss=GilbertElliott(5, 30), corrupt=corrupt), seed=12)
        return [i for i in range(2000) if not netem.enqueue(i, tagged(i))]

    assert lost(0) == lost(50)


def test_same_seed_same_run_other_seed_other_run():
    def run(seed: int) -> list[tuple[int, int]]:
        netem = Netem(NetemSettings(delay=1000, jitter=900, loss=Bernoulli(20)), seed=seed)
        for i in range(300):
            netem.enqueue(i * 50, tagged(i))
        return drain(netem, 10**9)

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_periodic_and_listed_loss_through_the_emulator():
    netem = Netem(NetemSettings(loss=Periodic(3)))
    assert [netem.enqueue(0, tagged(i)) for i in range(6)] == [0, 1, 1, 0, 1, 1]
    netem = Netem(NetemSettings(loss=Listed([1, 2])))
    assert [netem.enqueue(0, tagged(i)) for i in range(4)] == [1, 0, 0, 1]


def test_settings_are_checked_and_name_the_field():
    for kwargs, match in [
        ({"delay": -1}, "delay"),
        ({"jitter": -5}, "jitter"),
        ({"duplicate": 120}, "duplicate"),
        ({"reorder": -1}, "reorder"),
        ({"gap": 0}, "gap"),
        ({"rate": 0}, "rate"),
        ({"limit": 0}, "limit"),
        ({"distribution": "pareto"}, "distribution"),
    ]:
        with pytest.raises(ValueError, match=match):
            NetemSettings(**kwargs)
    with pytest.raises(TypeError, match="delay"):
        NetemSettings(delay=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="loss"):
        NetemSettings(loss=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Netem({"delay": 5})  # type: ignore[arg-type]


# -- inside the fault injector --------------------------------------------------------------------


def send(dev, data: bytes, t: Instant) -> bool:
    token = dev.transmit(t)
    if token is None:
        return False
    token.consume(len(data), lambda buf: buf.__setitem__(slice(None), data))
    return True


def recv(dev, t: Instant) -> bytes | None:
    pair = dev.receive(t)
    return None if pair is None else pair[0].consume(bytes)


MS = Instant.from_millis


def test_injector_delays_received_frames_until_due():
    lo = Loopback()
    dev = FaultInjector(lo, seed=0, netem=NetemSettings(delay=20_000))
    send(lo, b"first", MS(0))
    assert recv(dev, MS(0)) is None
    assert dev.poll_at() == MS(20)
    send(lo, b"second", MS(5))
    assert recv(dev, MS(19.999)) is None
    assert recv(dev, MS(20)) == b"first"
    # The injector saw the second frame when it read it from the loopback, at 19.999 ms.
    assert recv(dev, MS(20)) is None
    assert recv(dev, MS(39.998)) is None
    assert recv(dev, MS(39.999)) == b"second"
    assert dev.poll_at() is None


def test_injector_delays_sent_frames_and_releases_them_on_a_later_call():
    lo = Loopback()
    dev = FaultInjector(lo, seed=0, netem=NetemSettings(delay=10_000))
    assert send(dev, b"out", MS(0))
    assert len(lo) == 0 and dev.poll_at() == MS(10)
    assert dev.receive(MS(9)) is None and len(lo) == 0
    assert dev.receive(MS(10)) is None  # nothing due to receive, but the frame went out...
    assert dev.tx_emulator.counters.queue.departures == 1
    # ... into the loopback, whence the same call took it back into the rx emulator.
    assert dev.rx_emulator.counters.offered == 1
    assert recv(dev, MS(19.999)) is None
    assert recv(dev, MS(20)) == b"out"


def test_injector_replies_through_a_held_frames_token_go_through_the_emulator():
    lo = Loopback()
    dev = FaultInjector(lo, seed=0, netem=NetemSettings(delay=1_000))
    send(lo, b"ping", MS(0))
    assert dev.receive(MS(0)) is None
    rx, tx = dev.receive(MS(1))
    assert rx.consume(bytes) == b"ping"
    tx.consume(4, lambda buf: buf.__setitem__(slice(None), b"pong"))
    assert len(lo) == 0
    dev.transmit(MS(2))
    assert recv(lo, MS(2)) == b"pong"
    assert dev.tx_emulator.counters.queue.departures == 1


def test_injector_emulates_each_direction_with_its_own_settings_and_counters():
    lo = Loopback(queue_len=4000)
    dev = FaultInjector(
        lo,
        seed=5,
        rx_netem=NetemSettings(loss=Bernoulli(20)),
        tx_netem=NetemSettings(duplicate=30),
    )
    for i in range(1000):
        send(lo, tagged(i), MS(0))
    got = [recv(dev, MS(0)) for _ in range(1000)]
    assert dev.rx_emulator.counters.lost in band(1000, 20)
    assert sum(g is not None for g in got) == 1000 - dev.rx_emulator.counters.lost
    for i in range(1000):
        send(dev, tagged(i), MS(1))
    assert len(lo) == 1000 + dev.tx_emulator.counters.duplicated
    assert dev.tx_emulator.counters.duplicated in band(1000, 30)
    assert dev.tx_emulator.counters.lost == 0 and dev.rx_emulator.counters.duplicated == 0


def test_injector_simple_faults_still_apply_before_the_emulator():
    lo = Loopback()
    dev = FaultInjector(lo, seed=0, size_limit=100, netem=NetemSettings(delay=1_000))
    send(dev, b"x" * 101, MS(0))
    send(lo, b"y" * 101, MS(0))
    assert dev.receive(MS(5)) is None and len(lo) == 0
    assert dev.counters.tx_too_large == 1 and dev.counters.rx_too_large == 1
    assert dev.rx_emulator.counters.offered == 0 and dev.tx_emulator.counters.offered == 0


def test_injector_keeps_a_sent_frame_queued_while_the_inner_device_is_full():
    lo = Loopback(queue_len=2)
    dev = FaultInjector(lo, seed=0, netem=NetemSettings())
    for i in range(5):
        assert send(dev, tagged(i), MS(0))  # the emulator takes every frame
    assert len(lo) == 2 and len(dev.tx_emulator) == 3
    assert [recv(lo, MS(0)) for _ in range(2)] == [tagged(0), tagged(1)]
    dev.transmit(MS(0))
    assert [recv(lo, MS(0)) for _ in range(2)] == [tagged(2), tagged(3)]


def test_a_waiter_wakes_for_a_held_frame_and_not_much_earlier():
    """Over a device with nothing to select on, the injector's hint ends the wait when due."""
    lo = Loopback()
    dev = FaultInjector(lo, seed=0, netem=NetemSettings(delay=50_000))
    send(lo, b"late", now())
    assert recv(dev, now()) is None and not dev.readable()
    with Waiter([dev]) as waiter:
        # Without the hint this would sleep the full 30 s (and only then see the frame due).
        assert waiter.wait(Duration.from_secs(30)) is True
    assert dev.wake_delay().micros <= 0 and dev.readable()
    assert recv(dev, now()) == b"late"
    assert dev.wake_delay() is None


# -- the real stack over the emulator --------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_tcp_transfer_completes_intact_under_delay_loss_reordering_and_a_rate(stack_api, seed):
    """Two TCP sockets of one interface over an emulated link, in simulated time."""
    import hashlib

    from smoltcp.stack.tcp import TcpSocket, TcpState

    size = 256 * 1024
    link = NetemSettings(
        delay=10_000,
        jitter=2_000,
        loss=GilbertElliott(1, 40),
        reorder=5,
        duplicate=1,
        rate=2_000_000,
        limit=200,
    )
    lo = Loopback(mtu=1514)
    dev = FaultInjector(lo, seed=seed, netem=link)
    t = Instant.from_secs(1)
    iface, sockets = stack_api["make_stack"](dev, t, "127.0.0.1/8")
    server = TcpSocket(65536, 65536)
    client = TcpSocket(65536, 65536)
    server.listen(7000)
    sockets.add(server)
    sockets.add(client)
    client.connect(iface.context, stack_api["IpEndpoint"].parse("127.0.0.1:7000"), 40000)

    data = bytes((i * 7 + i // 251) & 0xFF for i in range(size))
    sent = 0
    received = bytearray()
    for _ in range(100_000):  # bounded in rounds; the clock jumps to the next event
        iface.poll(t, dev, sockets)
        if client.state is TcpState.ESTABLISHED and sent < size:
            sent += client.send(data[sent : sent + 16384])
            if sent == size:
                client.close()
        if server.can_recv():
            received += server.recv()
        if len(received) == size:
            break
        # The next event: the stack's own timer or the emulator's next frame, whichever is first.
        events = [t.micros + 1000]
        delay = iface.poll_delay(t, sockets)
        if delay is not None:
            events.append(t.micros + max(delay.micros, 1))
        due = dev.poll_at()
        if due is not None:
            events.append(max(due.micros, t.micros + 1))
        t = Instant(min(events))
    assert hashlib.sha256(received).digest() == hashlib.sha256(data).digest()
    rx, tx = dev.rx_emulator.counters, dev.tx_emulator.counters
    assert rx.lost + tx.lost > 0 and rx.reordered + tx.reordered > 0
    assert rx.duplicated + tx.duplicated > 0
    assert accounted(dev.rx_emulator) and accounted(dev.tx_emulator)


@settings(max_examples=100, deadline=None)
@given(
    delay=st.integers(0, 50_000),
    jitter=st.integers(0, 50_000),
    loss=st.floats(0, 100),
    duplicate=st.floats(0, 100),
    reorder=st.floats(0, 100),
    gap=st.integers(1, 5),
    rate=st.none() | st.integers(1, 10**8),
    limit=st.integers(1, 50),
    arrivals=st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 1514)), max_size=100),
)
def test_every_frame_is_accounted_for_and_none_leaves_early(
    delay, jitter, loss, duplicate, reorder, gap, rate, limit, arrivals
):
    netem = Netem(
        NetemSettings(
            delay=delay,
            jitter=jitter,
            loss=Bernoulli(loss),
            duplicate=duplicate,
            reorder=reorder,
            gap=gap,
            rate=rate,
            limit=limit,
        ),
        seed=1,
    )
    t = 0
    arrived = {}
    for i, (gap_us, length) in enumerate(arrivals):
        t += gap_us
        arrived[i] = t
        netem.enqueue(t, tagged(i, length // 4 * 4 + 4))
        assert accounted(netem) and len(netem) <= limit
        if i % 3 == 0:
            while netem.dequeue(t) is not None:
                pass
            assert netem.next_due() is None or netem.next_due() > t
    # No frame is due before it arrived.
    assert all(due >= arrived[tag] for due, tag in drain(netem, 10**15))
    assert accounted(netem) and len(netem) == 0


def test_a_waiter_on_a_descriptor_wakes_for_a_held_frame():
    """Over a device with a descriptor that never becomes readable, as a TAP with no traffic."""
    import os

    class Quiet(Loopback):
        def __init__(self, fd: int) -> None:
            super().__init__()
            self._fd = fd

        def fileno(self) -> int:
            return self._fd

    read_end, write_end = os.pipe()
    try:
        lo = Quiet(read_end)
        dev = FaultInjector(lo, seed=0, netem=NetemSettings(delay=50_000))
        send(lo, b"late", now())
        assert recv(dev, now()) is None
        with Waiter([dev]) as waiter:
            assert waiter.wait(Duration.from_secs(30)) is True
        assert recv(dev, now()) == b"late"
        # With nothing held, the descriptor alone decides: the timeout passes.
        with Waiter([dev]) as waiter:
            assert waiter.wait(Duration.from_millis(1)) is False
    finally:
        os.close(read_end)
        os.close(write_end)
