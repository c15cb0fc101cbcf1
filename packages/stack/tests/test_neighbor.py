"""The neighbour cache's state machine on its own (RFC 4861 7.3), with explicit time."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smoltcp.stack.iface import NeighborCache
from smoltcp.stack.iface.neighbor import NeighborEventKind, NeighborState
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.testing import Harness, ethernet, ipv4, mac, tcp
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, Ipv4Address, Ipv6Address

A = Ipv4Address("10.0.0.2")
B = Ipv4Address("10.0.0.3")
V6 = Ipv6Address("fe80::2")
MAC = b"\x02\x00\x00\x00\x00\x02"
OTHER = b"\x02\x00\x00\x00\x00\x09"

INCOMPLETE = NeighborState.INCOMPLETE
REACHABLE = NeighborState.REACHABLE
STALE = NeighborState.STALE
DELAY = NeighborState.DELAY
PROBE = NeighborState.PROBE


def ms(n: int) -> Instant:
    return Instant.from_millis(n)


class Wire:
    """The solicit callback: records (time, addr, hardware address) of every query sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, object, bytes | None]] = []
        self.up = True
        self.now = 0

    def __call__(self, addr: object, hw: bytes | None) -> bool:
        if self.up:
            self.sent.append((self.now, addr, hw))
        return self.up


def run(cache: NeighborCache, wire: Wire, at_ms: int) -> int:
    wire.now = at_ms
    return cache.poll(ms(at_ms), wire)


def make(**kw: object) -> NeighborCache:
    return NeighborCache(rand=random.Random(1), **kw)  # type: ignore[arg-type]


def test_defaults_are_rfc_4861s() -> None:
    c = make()
    r = c.reachable_time.total_millis()
    assert 15_000 <= r < 45_000  # REACHABLE_TIME 30 s times a factor in [0.5, 1.5)
    # The factor comes from the seeded Random: the same seed, the same time.
    assert NeighborCache(rand=random.Random(1)).reachable_time == c.reachable_time
    c.set_base_reachable_time(Duration.from_secs(10))
    assert 5_000 <= c.reachable_time.total_millis() < 15_000


def test_incomplete_queries_then_fails() -> None:
    c, w = make(), Wire()
    assert c.enqueue(A, "p1", ms(0)) and c.enqueue(A, "p2", ms(0))
    assert c.state(A, ms(0)) is INCOMPLETE and c.queued == 2
    assert c.poll_at() == ms(0)
    run(c, w, 0)
    assert w.sent == [(0, A, None)]  # a broadcast (multicast) query at once
    assert c.poll_at() == ms(1000)  # RETRANS_TIMER
    run(c, w, 999)
    run(c, w, 1000)
    run(c, w, 2000)
    run(c, w, 2500)
    assert [t for t, _, _ in w.sent] == [0, 1000, 2000]  # MAX_MULTICAST_SOLICIT
    assert c.poll_at() == ms(3000)  # the resolve timeout
    assert run(c, w, 3000) == 2  # the queued packets are dropped
    assert A not in c and c.queued == 0
    (event,) = c.events()
    assert event.kind is NeighborEventKind.RESOLUTION_FAILED and event.addr == A
    assert event.at == ms(3000) and c.events() == []
    assert c.counters.resolution_failed == 1 and c.counters.queries_sent == 3
    assert c.poll_at() is None


def test_incomplete_resolved_by_a_solicited_reply_is_reachable() -> None:
    c, w = make(), Wire()
    c.enqueue(A, "p", ms(0))
    run(c, w, 0)
    assert c.learn(A, MAC, ms(10), solicited=True)
    assert c.state(A, ms(10)) is REACHABLE
    assert c.take_queued(A) == ["p"] and c.queued == 0 and c.take_queued(A) == []
    assert c.poll_at() is None
    assert c.resolve(A, ms(11)) == MAC


def test_incomplete_resolved_by_unsolicited_news_is_stale() -> None:
    c = make()
    c.enqueue(A, "p", ms(0))
    assert c.learn(A, EthernetAddress(MAC), ms(10))
    assert c.state(A, ms(10)) is STALE and c.take_queued(A) == ["p"]


def test_reachable_becomes_stale_after_reachable_time() -> None:
    c = make()
    c.fill(A, MAC, ms(0))
    r = c.reachable_time.micros
    assert c.state(A, Instant(r - 1)) is REACHABLE
    assert c.state(A, Instant(r)) is STALE
    assert c.lookup(A, Instant(r)) == EthernetAddress(MAC)  # still usable


def test_stale_in_use_delays_then_probes_by_unicast_then_fails() -> None:
    c, w = make(), Wire()
    c.learn(A, MAC, ms(0))  # unsolicited: STALE (RFC 4861 7.2.3)
    assert c.state(A, ms(0)) is STALE
    assert c.resolve(A, ms(100)) == MAC
    assert c.state(A, ms(100)) is DELAY
    assert c.poll_at() is None  # DELAY sets no wake-up of its own
    run(c, w, 5099)
    assert c.state(A, ms(5099)) is DELAY and w.sent == []
    run(c, w, 5100)  # DELAY_FIRST_PROBE_TIME
    assert c.state(A, ms(5100)) is PROBE
    assert w.sent == [(5100, A, MAC)]  # unicast, to the cached address
    assert c.resolve(A, ms(5200)) == MAC  # still used meanwhile
    for t in (6100, 7100):
        run(c, w, t)
    assert [(t, hw) for t, _, hw in w.sent] == [(5100, MAC), (6100, MAC), (7100, MAC)]
    assert c.poll_at() == ms(8100)
    run(c, w, 8100)  # MAX_UNICAST_SOLICIT probes unanswered: FAILED
    assert A not in c and c.counters.unreachable == 1 and c.counters.probes_sent == 3
    (event,) = c.events()
    assert (event.kind, event.addr, event.hardware_addr) == (NeighborEventKind.UNREACHABLE, A, MAC)
    # The next packet starts a new resolution with a broadcast query.
    assert c.resolve(A, ms(8200)) is None
    c.enqueue(A, "p", ms(8200))
    run(c, w, 8200)
    assert w.sent[-1] == (8200, A, None)


def test_delay_confirmed_by_an_upper_layer() -> None:
    c, w = make(), Wire()
    c.learn(A, MAC, ms(0))
    c.resolve(A, ms(0))
    assert c.confirm_reachable(A, ms(1000))  # TCP saw new data acknowledged
    assert c.state(A, ms(1000)) is REACHABLE
    run(c, w, 6000)
    assert w.sent == [] and c.counters.confirmations == 1
    assert not c.confirm_reachable(B, ms(1000))


def test_probe_answered_by_a_solicited_reply() -> None:
    c, w = make(), Wire()
    c.learn(A, MAC, ms(0))
    c.resolve(A, ms(0))
    run(c, w, 5000)
    assert c.state(A, ms(5000)) is PROBE
    assert c.learn(A, MAC, ms(5010), solicited=True)
    assert c.state(A, ms(5010)) is REACHABLE and c.poll_at() is None
    run(c, w, 9000)
    assert len(w.sent) == 1


def test_new_hardware_address_rules() -> None:
    c = make(lock_time=Duration.from_secs(1))
    c.fill(A, MAC, ms(0))
    # Unsolicited news within the lock time is refused; after it, it moves the entry (STALE).
    assert not c.learn(A, OTHER, ms(999))
    assert c.lookup(A, ms(999)) == EthernetAddress(MAC)
    assert c.learn(A, OTHER, ms(1000))
    assert c.lookup(A, ms(1000)) == EthernetAddress(OTHER) and c.state(A, ms(1000)) is STALE
    # A solicited reply overrides at once (it answers our own query) and confirms.
    assert c.learn(A, MAC, ms(1001), solicited=True)
    assert c.state(A, ms(1001)) is REACHABLE and c.lookup(A, ms(1001)) == EthernetAddress(MAC)
    # A packet at odds with its own frame never moves an entry.
    assert not c.learn(A, OTHER, ms(50_000), consistent=False)
    # News of the known address only counts as hearing from it.
    c2 = make()
    c2.learn(A, MAC, ms(0))
    assert c2.learn(A, MAC, ms(10)) and c2.state(A, ms(10)) is STALE
    # A neighbour advertisement without the override flag (RFC 4861 7.2.5) keeps the known
    # address; a REACHABLE entry becomes STALE.
    c3 = make()
    c3.fill(V6, MAC, ms(0))
    assert not c3.learn(V6, OTHER, ms(5000), solicited=True, override=False)
    assert c3.lookup(V6, ms(5000)) == EthernetAddress(MAC) and c3.state(V6, ms(5000)) is STALE
    assert c3.learn(V6, MAC, ms(5001), solicited=True, override=False)
    assert c3.state(V6, ms(5001)) is REACHABLE
    # An unknown address gets no entry when creation is not allowed.
    assert not c.learn(B, MAC, ms(0), create=False) and B not in c


def test_hard_expiry_and_early_refresh() -> None:
    c, w = make(), Wire()
    c.learn(A, MAC, ms(0))
    assert c.lookup(A, ms(59_999)) is not None
    assert c.lookup(A, ms(60_000)) is None and A not in c
    assert c.counters.expired == 1
    # In use and about to expire: probed at once, whatever the state.
    c.learn(B, MAC, ms(0))
    assert c.resolve(B, ms(56_000)) == MAC
    assert c.state(B, ms(56_000)) is PROBE and c.due(ms(56_000))
    run(c, w, 56_000)
    assert w.sent == [(56_000, B, MAC)]


def test_one_query_per_address_per_retrans_timer() -> None:
    c, w = make(), Wire()
    c.learn(A, MAC, ms(0))
    c.resolve(A, ms(55_500))  # probe now (about to expire)
    run(c, w, 55_500)
    # Expired at 60 s while probing; a resolution started right away waits for the interval.
    run(c, w, 56_500)
    run(c, w, 57_500)
    run(c, w, 58_500)  # third probe unanswered; it fails at 59.5 s
    assert [t for t, _, _ in w.sent] == [55_500, 56_500, 57_500]
    c2, w2 = make(), Wire()
    c2.fill(A, MAC, ms(0))
    c2.resolve(A, ms(59_500))
    run(c2, w2, 59_500)  # a unicast probe
    assert c2.resolve(A, ms(60_000)) is None  # expired
    c2.enqueue(A, "p", ms(60_000))
    assert c2.poll_at() == ms(60_500)
    run(c2, w2, 60_000)
    run(c2, w2, 60_500)
    assert [(t, hw) for t, _, hw in w2.sent] == [(59_500, MAC), (60_500, None)]


def test_a_query_that_could_not_be_sent_stays_due() -> None:
    c, w = make(), Wire()
    w.up = False
    c.enqueue(A, "p", ms(0))
    run(c, w, 0)
    assert c.poll_at() == ms(0) and c.counters.queries_sent == 0
    w.up = True
    run(c, w, 5)
    assert w.sent == [(5, A, None)] and c.poll_at() == ms(1005)


def test_queue_bounds_capacity_and_events_bounded() -> None:
    c, w = make(capacity=2, queue_per_entry=2, queue_total=3, max_events=1), Wire()
    assert c.enqueue(A, 1, ms(0)) and c.enqueue(A, 2, ms(0))
    assert not c.enqueue(A, 3, ms(0))  # per entry
    assert c.enqueue(B, 4, ms(0))
    assert not c.enqueue(V6, 5, ms(0))  # in total
    c.take_queued(B)
    assert c.enqueue(V6, 6, ms(0))  # a third entry evicts the oldest (A, with its queue)
    assert len(c) == 2 and A not in c and c.counters.evicted == 1
    assert c.queued == 1 and run(c, w, 0) == 2  # A's two packets, reported as dropped
    for t in (3000, 3001):
        run(c, w, t)
    assert len(c.events()) == 1 and c.counters.events_dropped == 1
    with pytest.raises(ValueError, match="resolved"):
        c.fill(A, MAC, ms(0))
        c.enqueue(A, 7, ms(0))
    zero = make(capacity=0)
    zero.fill(A, MAC, ms(0))
    assert len(zero) == 0 and not zero.enqueue(A, 1, ms(0))


def test_receipt_from_the_cached_address_confirms_unless_configured_off() -> None:
    c = make()
    c.learn(A, MAC, ms(0))
    c.resolve(A, ms(0))
    c.refresh_us(A, MAC, 100_000)
    assert c.state(A, ms(100)) is REACHABLE
    c.refresh_us(A, OTHER, 200_000)  # another source: nothing
    strict = make(receipt_confirms=False)
    strict.learn(A, MAC, ms(0))
    strict.resolve(A, ms(0))
    strict.refresh_us(A, MAC, 100_000)
    assert strict.state(A, ms(100)) is DELAY
    assert strict.lookup(A, ms(60_099)) is not None  # but it was heard from


def test_snapshot_and_states_by_count() -> None:
    c = make()
    c.fill(A, MAC, ms(0))
    c.learn(V6, MAC, ms(0))
    c.enqueue(B, "p", ms(0))
    counts = c.entries_by_state(ms(0))
    assert counts[REACHABLE] == counts[STALE] == counts[INCOMPLETE] == 1 and counts[PROBE] == 0
    infos = {i.addr: i for i in c.entries(ms(0))}
    assert infos[A].hardware_addr == EthernetAddress(MAC) and infos[A].expires_at == ms(60_000)
    assert infos[B].hardware_addr is None and infos[B].expires_at == ms(3000)
    assert [addr for addr, _, _ in c] == [A, V6]
    assert str(PROBE) == "PROBE"
    c.remove(B)
    assert c.queued == 0
    c.flush()
    assert len(c) == 0
    assert c.counters.as_dict()["queue_dropped"] == 1


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"capacity": -1}, ValueError),
        ({"max_unicast_solicit": True}, ValueError),
        ({"queue_total": 1.5}, ValueError),
        ({"expiry": 60}, TypeError),
        ({"retrans_timer": Duration.ZERO}, ValueError),
        ({"lock_time": Duration.from_secs(61)}, ValueError),
        ({"reachable_time": Duration(-1)}, ValueError),
        ({"rand": 3}, TypeError),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        NeighborCache(**kwargs)  # type: ignore[arg-type]


ADDRS = [A, B, V6, Ipv4Address("10.0.0.4")]
HWS = [MAC, OTHER]
OPS = st.one_of(
    st.tuples(st.just("advance"), st.integers(0, 7000)),
    st.tuples(st.just("enqueue"), st.sampled_from(ADDRS)),
    st.tuples(
        st.just("learn"),
        st.sampled_from(ADDRS),
        st.sampled_from(HWS),
        st.booleans(),
        st.booleans(),
        st.booleans(),
        st.booleans(),
    ),
    st.tuples(st.just("confirm"), st.sampled_from(ADDRS)),
    st.tuples(st.just("resolve"), st.sampled_from(ADDRS)),
    st.tuples(st.just("receive"), st.sampled_from(ADDRS), st.sampled_from(HWS)),
    st.tuples(st.just("poll"), st.booleans()),
    st.tuples(st.just("take"), st.sampled_from(ADDRS)),
    st.tuples(st.just("remove"), st.sampled_from(ADDRS)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(OPS, max_size=80), st.integers(0, 3), st.integers(0, 4), st.integers(0, 6))
def test_random_event_sequences_keep_every_bound(
    ops: list[tuple], capacity: int, per_entry: int, total: int
) -> None:
    c = NeighborCache(
        capacity,
        queue_per_entry=per_entry,
        queue_total=total,
        max_events=3,
        rand=random.Random(0),
    )
    w = Wire()
    now = 0
    last_asked: dict[object, int] = {}
    for op in ops:
        kind = op[0]
        t = ms(now)
        if kind == "advance":
            now += op[1]
        elif kind == "enqueue":
            if c.resolve(op[1], t) is None:
                c.enqueue(op[1], object(), t)
        elif kind == "learn":
            c.learn(
                op[1], op[2], t, solicited=op[3], consistent=op[4], create=op[5], override=op[6]
            )
        elif kind == "confirm":
            c.confirm_reachable(op[1], t)
        elif kind == "resolve":
            c.resolve(op[1], t)
        elif kind == "receive":
            c.refresh_us(op[1], op[2], now * 1000)
        elif kind == "poll":
            w.up = op[1]
            start = len(w.sent)
            run(c, w, now)
            for _, addr, _ in w.sent[start:]:
                # One query per address per RETRANS_TIMER, whatever the reason.
                assert now - last_asked.get(addr, -(10**9)) >= 1000
                last_asked[addr] = now
        elif kind == "take":
            c.take_queued(op[1])
        else:
            c.remove(op[1])
        assert len(c) <= capacity
        assert 0 <= c.queued <= total
        queues = [len(e.queue) for e in c._entries.values() if e.queue]
        assert sum(queues) == c.queued and all(n <= per_entry for n in queues)
        assert len(c._events) <= 3
        for e in c._entries.values():
            assert (e.hw is None) == (e.state is INCOMPLETE)
        at = c.poll_at()
        assert at is None or isinstance(at, Instant)
        c.entries_by_state(t)


def test_tcp_forward_progress_confirms_the_neighbour() -> None:
    # RFC 4861 7.3.1: new data acknowledged by TCP confirms reachability. Receipt alone does
    # not here (neighbor_receipt_confirms off), so only the ACK of new data makes a STALE,
    # then DELAY, entry REACHABLE again; a duplicate ACK does not.
    us, peer, peer_mac = "192.168.69.1", "192.168.69.2", "02-00-00-00-00-02"
    h = Harness(neighbor_receipt_confirms=False)
    cache = h.iface.neighbor_cache
    addr = Ipv4Address(peer)
    cache.fill(addr, EthernetAddress.parse(peer_mac), h.now)

    def frame(seq: int, ack: int, flags: str) -> bytes:
        segment = tcp(peer, us, 40000, 80, seq, ack, flags, 65535)
        return ethernet(h.mac, mac(peer_mac), 0x0800, ipv4(peer, us, 6, segment))

    sock = TcpSocket(4096, 4096)
    h.sockets.add(sock)
    sock.listen(80)
    (synack,) = h.decode(h.feed(frame(1000, 0, "S")))
    iss1 = synack.tcp["seq"] + 1
    h.feed(frame(1001, iss1, "A"))
    assert sock.state is TcpState.ESTABLISHED
    h.advance(Duration.from_secs(50))  # past ReachableTime (at most 45 s), within the expiry
    assert cache.state(addr, h.now) is NeighborState.STALE
    sock.send(b"x" * 100)
    h.poll()
    assert cache.state(addr, h.now) is NeighborState.DELAY
    h.feed(frame(1001, iss1, "A"), at=h.advance(100))  # a duplicate ACK: no progress
    assert cache.state(addr, h.now) is NeighborState.DELAY
    h.feed(frame(1001, iss1 + 100, "A"), at=h.advance(100))  # the 100 octets acknowledged
    assert cache.state(addr, h.now) is NeighborState.REACHABLE
