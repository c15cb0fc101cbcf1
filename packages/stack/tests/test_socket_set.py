"""The socket set: handles, demux keys, rebinding, the active set, many sockets."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pytest

from smoltcp.stack.socket import Socket, SocketSet, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness, arp, ethernet, ipv4, udp
from smoltcp.stack.time import Duration, Instant

US = "192.168.69.1"
PEER = "192.168.69.2"
PEER_MAC = "02-00-00-00-00-02"


class Probe(Socket):
    """A socket with settable keys that records what the interface does to it."""

    __slots__ = ("dispatched", "keys", "pending", "polled", "processed")

    def __init__(self, keys: tuple[Hashable, ...] = ()) -> None:
        super().__init__()
        self.keys = keys
        self.pending = 0
        self.dispatched = 0
        self.processed: list[Any] = []
        self.polled = 0

    def demux_keys(self) -> tuple[Hashable, ...]:
        return self.keys

    def process(self, cx: Any, now: Instant, ip_repr: Any, repr: Any) -> None:
        self.processed.append(repr)

    def dispatch(self, cx: Any, now: Instant, emit: Any) -> bool:
        # Never emits: a socket waiting for a timer (pending) or idle.
        self.dispatched += 1
        return False

    def poll_at(self, cx: Any) -> Instant | None:
        self.polled += 1
        return Instant.ZERO if self.pending else None


def udp_sock(port: int) -> UdpSocket:
    s = UdpSocket(PacketBuffer(2, 64), PacketBuffer(2, 64))
    s.bind(port)
    return s


def test_handles_add_get_remove_iterate() -> None:
    sockets = SocketSet()
    a, b = Probe(), Probe()
    ha, hb = sockets.add(a), sockets.add(b)
    assert ha != hb and sockets.get(ha) is a and sockets[hb] is b
    assert [h for h, _ in sockets] == [ha, hb] and len(sockets) == 2
    assert sockets.remove(ha) is a
    assert sockets.get(ha) is None and ha not in sockets
    with pytest.raises(KeyError):
        sockets.remove(ha)
    # Handles are never reused.
    assert sockets.add(Probe()) not in (ha, hb)
    with pytest.raises(ValueError):
        sockets.add(b)
    with pytest.raises(TypeError):
        sockets.add(object())  # type: ignore[arg-type]


def test_keys_follow_rebinding_and_removal() -> None:
    sockets = SocketSet()
    a = Probe(("k1",))
    h = sockets.add(a)
    assert sockets.lookup("k1") == [a]
    a.keys = ("k2",)
    a._rebind()
    assert sockets.lookup("k1") == () and sockets.lookup("k2") == [a]
    b = Probe(("k2",))
    sockets.add(b)
    assert sockets.lookup("k2") == [a, b]
    sockets.remove(h)
    assert sockets.lookup("k2") == [b]


def test_udp_rebind_and_close_update_the_set() -> None:
    sockets = SocketSet()
    s = UdpSocket(PacketBuffer(2, 64), PacketBuffer(2, 64))
    sockets.add(s)
    assert sockets.demux == {}
    s.bind(53)
    assert len(sockets.demux) == 1
    s.close()
    assert sockets.demux == {}


def test_active_set_drops_idle_sockets_and_wake_brings_them_back() -> None:
    h = Harness()
    p = Probe()
    handle = h.sockets.add(p)
    assert h.sockets.is_active(handle)  # new sockets start active
    h.poll()
    assert not h.sockets.is_active(handle) and p.dispatched == 1
    h.poll()
    assert p.dispatched == 1  # idle sockets are not visited
    p.pending = 1
    p._wake()
    h.poll()
    assert p.dispatched == 2 and h.sockets.is_active(handle)  # still waiting: stays active
    p.pending = 0
    h.poll()
    assert p.dispatched == 3 and not h.sockets.is_active(handle)


def test_wake_before_add_is_a_noop() -> None:
    p = Probe()
    p._wake()
    p._rebind()


def arp_request() -> bytes:
    return ethernet(
        "ff-ff-ff-ff-ff-ff", PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, "00-00-00-00-00-00", US)
    )


def test_demux_with_many_sockets_reaches_exactly_the_right_one() -> None:
    h = Harness()
    h.feed(arp_request())
    socks = {}
    for port in range(10000, 12000):
        socks[port] = udp_sock(port)
        h.sockets.add(socks[port])
    h.poll()  # let the new sockets go idle
    assert not h.sockets.has_active()
    for port in (10000, 10999, 11999):
        frame = ethernet(
            "02-00-00-00-00-01",
            PEER_MAC,
            0x0800,
            ipv4(PEER, US, 17, udp(PEER, US, 1, port, b"%d" % port)),
        )
        assert h.feed(frame) == []
    receivers = [p for p, s in socks.items() if s.can_recv()]
    assert receivers == [10000, 10999, 11999]
    assert socks[10999].recv_from()[0] == b"10999"


def test_a_received_packet_touches_only_its_own_socket() -> None:
    # The cost of a packet independent of the socket count, shown by what is touched: after
    # the sockets go idle, a datagram for one port calls no method of any other socket, and
    # a poll with nothing to do calls none at all.
    h = Harness()
    h.feed(arp_request())
    probes = [Probe(((17, None, port),)) for port in range(20000, 21000)]
    for probe in probes:
        h.sockets.add(probe)
    h.poll()
    for probe in probes:
        probe.polled = probe.dispatched = 0
    frame = ethernet(
        "02-00-00-00-00-01", PEER_MAC, 0x0800, ipv4(PEER, US, 17, udp(PEER, US, 1, 20500, b"x"))
    )
    h.feed(frame)
    h.poll()
    h.iface.poll_delay(h.now, h.sockets)
    touched = [p for p in probes if p.processed or p.polled or p.dispatched]
    assert touched == [probes[500]] and len(probes[500].processed) == 1


def test_set_matches_a_model_under_random_operations() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    ops = st.lists(
        st.tuples(
            st.sampled_from(["add", "remove", "rebind", "wake"]),
            st.integers(0, 7),
            st.integers(0, 3),
        ),
        max_size=60,
    )

    @settings(max_examples=150, deadline=None)
    @given(ops)
    def check(operations: list[tuple[str, int, int]]) -> None:
        sockets = SocketSet()
        model: dict[int, Probe] = {}
        for op, which, key in operations:
            handles = sorted(model)
            if op == "add":
                p = Probe((f"k{key}",))
                model[sockets.add(p)] = p
            elif handles:
                h = handles[which % len(handles)]
                if op == "remove":
                    assert sockets.remove(h) is model.pop(h)
                elif op == "rebind":
                    model[h].keys = () if key == 0 else (f"k{key}",)
                    model[h]._rebind()
                else:
                    model[h]._wake()
                    assert sockets.is_active(h)
            # The demux tables hold exactly the sockets whose keys say so.
            for k in ("k0", "k1", "k2", "k3"):
                expected = {id(s) for s in model.values() if k in s.keys}
                assert {id(s) for s in sockets.lookup(k)} == expected
            assert dict(sockets) == model
            assert set(sockets.active_handles()) <= set(model)

    check()


class Timer(Probe):
    """Wants a poll at ``at`` (an Instant) and emits nothing."""

    __slots__ = ("at",)

    def __init__(self, at: Instant | None, keys: tuple[Hashable, ...] = ()) -> None:
        super().__init__(keys)
        self.at = at

    def poll_at(self, cx: Any) -> Instant | None:
        self.polled += 1
        return self.at


def test_sockets_waiting_for_a_timer_sleep_until_it_fires() -> None:
    h = Harness()
    timers = [Timer(Instant.from_secs(5)) for _ in range(100)]
    early = Timer(Instant.from_secs(2))
    for t in [*timers, early]:
        h.sockets.add(t)
    h.poll(Instant.from_secs(1))
    assert all(t.dispatched == 1 for t in timers)
    assert not h.sockets.has_active()  # all asleep
    assert h.iface.poll_at(h.now, h.sockets) == Instant.from_secs(2)
    for ms in range(1100, 2000, 100):
        h.poll(Instant.from_millis(ms))
    assert all(t.dispatched == 1 for t in timers) and early.dispatched == 1  # no visits
    h.poll(Instant.from_secs(2))
    assert early.dispatched == 2 and all(t.dispatched == 1 for t in timers)
    early.at = None
    h.poll(Instant.from_secs(3))
    assert h.iface.poll_delay(Instant.from_secs(3), h.sockets) == Duration.from_secs(2)
    h.poll(Instant.from_secs(5))
    assert all(t.dispatched == 2 for t in timers)


def test_wake_and_ingress_bring_a_sleeping_socket_back() -> None:
    h = Harness()
    t = Timer(Instant.from_secs(100))
    h.sockets.add(t)
    h.poll()
    t.at = Instant.from_secs(1)  # moved earlier, and the socket says so
    t._wake()
    h.poll()
    assert h.iface.poll_at(h.now, h.sockets) == Instant.from_secs(1)
    h.poll(Instant.from_secs(1))
    assert t.dispatched == 3
    # A stale heap entry (100 s) does not wake it again after it was re-armed.
    t.at = Instant.from_secs(200)
    h.poll(Instant.from_secs(1))
    h.poll(Instant.from_secs(100))
    assert t.dispatched == 4


def test_stale_timer_entries_are_compacted() -> None:
    sockets = SocketSet()
    h = sockets.add(Timer(Instant.from_secs(9)))
    for i in range(1000):
        sockets.sleep(h, 10_000 + i)
        sockets.wake(h)
    assert sockets.timer_entries < 200
    sockets.sleep(h, 5)
    sockets.wake_due(5)
    assert sockets.is_active(h)
    assert sockets.next_wake() is None


def test_schedule_sorts_the_active_sockets_by_their_poll_at() -> None:
    sockets = SocketSet()
    idle = sockets.add(Timer(None))
    later = sockets.add(Timer(Instant.from_micros(700)))
    soon = sockets.add(Timer(Instant.from_micros(300)))
    # At 100: nothing is due; the earliest wish is 300; the idle socket leaves, the others sleep.
    assert sockets.schedule(None, 100) == 300
    assert not sockets.is_active(idle) and not sockets.is_active(later)
    assert not sockets.is_active(soon) and not sockets.has_active()
    # The sleepers' times count although no socket is active.
    assert sockets.schedule(None, 200) == 300
    # At 300 the first wakes, is asked again, and (still wanting 300) says "now".
    assert sockets.schedule(None, 300) == 300
    assert sockets.is_active(soon) and not sockets.is_active(later)
    assert sockets.wake_due(300) is True
    sockets.deactivate(soon)
    assert sockets.wake_due(300) is False
    assert sockets.schedule(None, 800) == 700
    assert sockets.is_active(later)
    sockets[later].at = None
    assert sockets.schedule(None, 800) is None and not sockets.has_active()


def test_a_socket_woken_and_slept_again_keeps_one_timer_entry() -> None:
    # A connection's cycle: woken by a segment, asleep again until a later time.
    sockets = SocketSet()
    h = sockets.add(Timer(None))
    sockets.sleep(h, 1_000)
    for i in range(1, 50):
        sockets.wake(h)
        sockets.sleep(h, 1_000 + i)
        assert sockets.timer_entries == 1
        assert sockets.next_wake() == 1_000 + i
    # Woken, then asleep until an earlier time: the entry moves up as well.
    sockets.wake(h)
    sockets.sleep(h, 10)
    assert sockets.next_wake() == 10 and sockets.timer_entries == 1
    # Another sleeper ahead of it: its entry stays where it is, and both times count.
    other = sockets.add(Timer(Instant.from_micros(5)))
    sockets.sleep(other, 5)
    sockets.wake(h)
    sockets.sleep(h, 20)
    assert sockets.next_wake() == 5
    # At 5 the other wakes and, asked again, still wants 5: "now".
    assert sockets.schedule(None, 5) == 5 and sockets.is_active(other)
    sockets.deactivate(other)
    assert sockets.next_wake() == 20
    assert sockets.wake_due(19) is False and sockets.wake_due(20) is True


def test_timers_match_a_model_under_random_operations() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    ops = st.lists(
        st.tuples(
            st.sampled_from(["add", "remove", "wake", "sleep", "deactivate", "due", "next"]),
            st.integers(0, 7),
            st.integers(0, 40),
        ),
        max_size=80,
    )

    @settings(max_examples=200, deadline=None)
    @given(ops)
    def check(operations: list[tuple[str, int, int]]) -> None:
        sockets = SocketSet()
        handles: list[int] = []
        active: dict[int, None] = {}  # the model: insertion-ordered, as the set's
        asleep: dict[int, int] = {}
        for op, which, at in operations:
            if op == "add" or not handles:
                h = sockets.add(Timer(None))
                handles.append(h)
                active[h] = None
                continue
            h = handles[which % len(handles)]
            if op == "remove":
                sockets.remove(h)
                handles.remove(h)
                active.pop(h, None)
                asleep.pop(h, None)
            elif op == "wake":
                sockets.wake(h)
                active[h] = None
                asleep.pop(h, None)
            elif op == "sleep":
                sockets.sleep(h, at)
                active.pop(h, None)
                asleep[h] = at
            elif op == "deactivate":
                sockets.deactivate(h)
                active.pop(h, None)
            elif op == "due":
                # Sleepers wake in (time, handle) order.
                for _, d in sorted((t, d) for d, t in asleep.items() if t <= at):
                    del asleep[d]
                    active[d] = None
                assert sockets.wake_due(at) is bool(active)
            else:
                assert sockets.next_wake() == min(asleep.values(), default=None)
            assert sockets.active_handles() == list(active)

    check()
