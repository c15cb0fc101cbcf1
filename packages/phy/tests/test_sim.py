"""The simulator's elements: runner, queues, links, switch, router; one small run end to end."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smoltcp.phy.impair import Bernoulli
from smoltcp.phy.sim import (
    Bulk,
    CoDel,
    ConnectionRate,
    DropTail,
    Link,
    LinkSpec,
    QueueSpec,
    Red,
    RequestResponse,
    Router,
    SimHost,
    Simulator,
    Switch,
)
from smoltcp.phy.sim.network import Network, jain_index, percentile
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, Ipv4Address
from smoltcp.wire.arp import ArpOperation, ArpRepr
from smoltcp.wire.icmpv4 import Icmpv4Message, Icmpv4Repr
from smoltcp.wire.ipv4 import IpProtocol, Ipv4Repr

# -- runner ----------------------------------------------------------------------------------


def test_timers_run_in_time_order_and_ties_in_scheduling_order() -> None:
    sim = Simulator(seed=1)
    seen: list[tuple[int, str]] = []
    sim.call_at(300, lambda: seen.append((sim.now_us, "c")))
    sim.call_at(100, lambda: seen.append((sim.now_us, "a")))
    sim.call_at(Instant(100), lambda: seen.append((sim.now_us, "b")))
    sim.call_later(Duration.from_micros(200), lambda: seen.append((sim.now_us, "x")))
    ran = sim.run()
    assert ran == 4
    assert seen == [(100, "a"), (100, "b"), (200, "x"), (300, "c")]


def test_cancelled_timer_does_not_run_and_until_moves_the_clock() -> None:
    sim = Simulator()
    seen: list[int] = []
    handle = sim.call_at(50, seen.append, 1)
    sim.call_at(70, seen.append, 2)
    handle.cancel()
    sim.run(until=60)
    assert seen == [] and sim.now_us == 60
    sim.run(until=1_000)
    assert seen == [2] and sim.now_us == 1_000
    assert sim.time() == pytest.approx(0.001)


def test_timer_in_a_callback_at_the_same_time_runs_after_those_due() -> None:
    sim = Simulator()
    order: list[str] = []

    def first() -> None:
        order.append("first")
        sim.call_soon(order.append, "soon")

    sim.call_at(10, first)
    sim.call_at(10, order.append, "second")
    sim.run()
    assert order == ["first", "second", "soon"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=6),
    st.lists(st.lists(st.integers(0, 3), max_size=3), min_size=40, max_size=40),
    st.integers(1, 7),
)
def test_events_run_in_time_then_scheduling_order(
    first: list[int], spawns: list[list[int]], budget: int
) -> None:
    # Events that schedule others at the same instant (0) or later, run in pieces of a few
    # events: the order is that of (time, the order they were scheduled in), the sequence
    # numbers of a single heap, whether an event waits in the heap or in the FIFO of the
    # current instant.
    sim = Simulator()
    ran: list[int] = []
    scheduled: list[tuple[int, int]] = []  # (time, id) in the order they were scheduled

    def schedule(at: int) -> None:
        ident = len(scheduled)
        scheduled.append((at, ident))
        sim._schedule(at, lambda t: event(t, ident))

    def event(t: int, ident: int) -> None:
        assert t == sim.now_us == scheduled[ident][0]
        ran.append(ident)
        if ident < len(spawns):
            for delay in spawns[ident]:
                schedule(t + delay)

    for at in first:
        schedule(at)
    while sim.run(max_events=budget):
        pass
    expected = [ident for _, ident in sorted(scheduled)]
    assert ran == expected and sim.next_event() is None


def test_timer_misuse_raises() -> None:
    sim = Simulator()
    with pytest.raises(ValueError, match="delay"):
        sim.call_later(-1, print)
    with pytest.raises(TypeError, match="when"):
        sim.call_at(1.5, print)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed"):
        Simulator(seed="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="progress_every"):
        sim.run(10, progress=print, progress_every=0)


def test_run_stops_at_budget_stop_and_end_and_resumes_in_order() -> None:
    # Budget, progress, stop and the end interleave: each stops where it says, the event
    # past the end stays scheduled, and the runs in pieces see the order of one run.
    sim = Simulator()
    seen: list[tuple[int, int]] = []
    for i in range(10):
        sim.call_at(10 * (i // 2), seen.append, (10 * (i // 2), i))
    reports: list[tuple[int, int]] = []
    assert sim.run(max_events=0) == 0 and sim.now_us == 0 and seen == []
    assert sim.run(max_events=3, progress=lambda t: reports.append((t, sim.events))) == 3
    assert seen == [(0, 0), (0, 1), (10, 2)] and sim.events == 3
    ran = sim.run(25, progress=lambda t: reports.append((t, sim.events)), progress_every=2)
    assert ran == 3 and sim.now_us == 25 and sim.next_event() == 30
    assert reports == [(20, 5)]
    sim.call_at(30, sim.stop)
    assert sim.run(max_events=100) == 3 and sim.now_us == 30  # 6 and 7 were due first
    assert seen[-1] == (30, 7) and sim.next_event() == 40
    assert sim.run(max_events=100) == 2 and sim.events == 11
    assert [i for _, i in seen] == list(range(10))
    assert sim.run(until=1_000, max_events=0) == 0 and sim.now_us == 1_000


def test_element_streams_depend_on_seed_and_name_only() -> None:
    a = Simulator(seed=5).rng("link1").random()
    assert a == Simulator(seed=5).rng("link1").random()
    assert a != Simulator(seed=6).rng("link1").random()
    assert a != Simulator(seed=5).rng("link2").random()


# -- queues ----------------------------------------------------------------------------------


def _conserved(q: object) -> None:
    c = q.counters  # type: ignore[attr-defined]
    assert c.arrivals == c.departures + c.drops + c.queued
    assert c.queued == len(q)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["droptail", "red", "codel"]),
    ops=st.lists(
        st.tuples(st.booleans(), st.integers(60, 1514), st.integers(0, 3000)), max_size=300
    ),
)
def test_every_queue_conserves_frames(kind: str, ops: list[tuple[bool, int, int]]) -> None:
    q = QueueSpec(kind=kind, limit=20, limit_octets=15_000).build(random.Random(1), 1514)
    now = 0
    for push, length, gap in ops:
        now += gap
        if push:
            q.enqueue(now, bytearray(length))
        else:
            q.dequeue(now)
        _conserved(q)
        assert q.counters.queued_octets <= 15_000


def test_droptail_drops_arrivals_beyond_the_limit() -> None:
    q = DropTail(3, None)
    assert [q.enqueue(0, bytearray(10)) for _ in range(5)] == [True, True, True, False, False]
    assert q.dequeue(0) is not None
    assert q.counters.drops == 2


@given(st.lists(st.integers(1, 4000), max_size=30), st.sampled_from([None, 1500, 6000]))
def test_droptail_pass_through_counts_as_enqueue_then_dequeue(
    lengths: list[int], limit_octets: int | None
) -> None:
    # What an idle port does in one step (pass_through) counts as the two steps would.
    one, two = DropTail(5, limit_octets), DropTail(5, limit_octets)
    for t, length in enumerate(lengths):
        frame = bytearray(length)
        passed = two.enqueue(t, frame)
        assert one.pass_through(t, frame) == passed
        if passed:
            assert two.dequeue(t) is frame
        assert one.counters.as_dict() == two.counters.as_dict()
        assert len(one) == len(two) == 0
        _conserved(one)


def test_codel_drops_only_a_standing_queue() -> None:
    # A queue that drains at once never drops.
    q = CoDel(1000, None, target=5_000, interval=100_000, mtu=1514)
    for t in range(0, 1_000_000, 1_000):
        q.enqueue(t, bytearray(1500))
        assert q.dequeue(t) is not None
    assert q.counters.drops == 0
    # A standing queue of 50 ms (arrivals at the rate of departures, 50 frames behind):
    # after one interval above target CoDel starts to drop, then ever more often.
    q = CoDel(1000, None, target=5_000, interval=100_000, mtu=1514)
    for _i in range(50):
        q.enqueue(0, bytearray(1500))
    t = 0
    drops_at = []
    for _ in range(600):
        t += 1_000
        q.enqueue(t, bytearray(1500))
        before = q.counters.drops
        q.dequeue(t)
        if q.counters.drops > before:
            drops_at.append(t)
    _conserved(q)
    assert drops_at and drops_at[0] >= 100_000
    gaps = [b - a for a, b in itertools.pairwise(drops_at)]
    assert gaps[0] > gaps[-1]  # the control law: interval / sqrt(count)


def test_red_drops_early_when_the_average_grows() -> None:
    q = Red(100, None, random.Random(3), min_th=5, max_th=15, max_p=0.1, weight=0.2)
    accepted = sum(q.enqueue(0, bytearray(100)) for _ in range(100))
    _conserved(q)
    assert q.counters.drops > 0 and accepted < 100
    assert len(q) < 100  # dropped before the hard limit


def test_queue_spec_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        QueueSpec(kind="fq")


# -- links -----------------------------------------------------------------------------------


class Probe:
    """A node that records what it receives."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.got: list[tuple[int, bytes]] = []
        self.port = None

    def attach(self, port: object) -> None:
        self.port = port

    def receive(self, port: object, frame: bytearray, now: int) -> None:
        self.got.append((now, bytes(frame)))

    def on_room(self, port: object, now: int) -> None:
        pass


def test_link_serialises_at_the_rate_and_adds_the_delay() -> None:
    sim = Simulator()
    a, b = Probe("a"), Probe("b")
    link = Link(sim, "l", a, b, LinkSpec(rate_bps=8_000_000, delay_us=1_000))
    for _ in range(3):
        link.ab.send(0, bytearray(1000))  # 1000 octets at 1 MB/s: 1 ms each
    sim.run()
    assert [t for t, _ in b.got] == [2_000, 3_000, 4_000]
    assert link.ab.counters.busy_us == 3_000
    assert link.utilization(4_000) == pytest.approx(0.75)


def test_link_rate_carries_fractions_of_a_microsecond() -> None:
    sim = Simulator()
    a, b = Probe("a"), Probe("b")
    link = Link(sim, "l", a, b, LinkSpec(rate_bps=1_000_000_000, queue=QueueSpec(limit=2000)))
    for _ in range(1000):
        link.ab.send(0, bytearray(1514))  # 12.112 µs each
    sim.run()
    assert b.got[-1][0] == 1000 * 1514 * 8 // 1000


def test_link_drops_frames_beyond_the_mtu() -> None:
    sim = Simulator()
    a, b = Probe("a"), Probe("b")
    link = Link(sim, "l", a, b, LinkSpec(mtu=1000))
    assert link.ab.send(0, bytearray(1014))
    assert not link.ab.send(0, bytearray(1015))
    sim.run()
    assert len(b.got) == 1 and link.ab.counters.mtu_drops == 1 and link.drops() == 1


def test_link_loss_uses_its_own_stream() -> None:
    def lost(extra: bool) -> list[int]:
        sim = Simulator(seed=9)
        a, b = Probe("a"), Probe("b")
        if extra:
            Link(sim, "other", Probe("x"), Probe("y"), LinkSpec(loss=Bernoulli(50)))
        Link(sim, "l", a, b, LinkSpec(loss=Bernoulli(30)))
        port = a.port
        for i in range(200):
            frame = bytearray(i.to_bytes(2, "big") + bytes(60))
            sim.call_at(i * 10, lambda f=frame: port.send(sim.now_us, f))  # type: ignore[union-attr]
        sim.run()
        got = {int.from_bytes(f[:2], "big") for _, f in b.got}
        return [i for i in range(200) if i not in got]

    assert lost(False) == lost(True)
    assert 30 < len(lost(False)) < 90


# -- switch ----------------------------------------------------------------------------------


def _frame(dst: bytes, src: bytes, body: bytes = b"x" * 50) -> bytearray:
    return bytearray(dst + src + b"\x08\x00" + body)


def test_switch_learns_and_stops_flooding() -> None:
    sim = Simulator()
    sw = Switch(sim, "sw")
    probes = [Probe(f"p{i}") for i in range(3)]
    for p in probes:
        Link(sim, f"l{p.name}", p, sw)
    m = [bytes([2, 0, 0, 0, 0, i]) for i in range(3)]
    probes[0].port.send(0, _frame(m[1], m[0]))  # type: ignore[attr-defined]
    sim.run()
    assert len(probes[1].got) == 1 and len(probes[2].got) == 1  # unknown: flooded
    probes[1].port.send(sim.now_us, _frame(m[0], m[1]))  # type: ignore[attr-defined]
    sim.run()
    assert len(probes[0].got) == 1 and len(probes[2].got) == 1  # learnt: only to p0
    probes[0].port.send(sim.now_us, _frame(m[1], m[0]))  # type: ignore[attr-defined]
    sim.run()
    assert len(probes[1].got) == 2 and len(probes[2].got) == 1
    assert sw.flooded == 1 and sw.forwarded == 2


# -- router ----------------------------------------------------------------------------------

R_MAC = [EthernetAddress(bytes([2, 0, 0, 0, 1, i])) for i in range(2)]
P_MAC = [EthernetAddress(bytes([2, 0, 0, 0, 2, i])) for i in range(2)]


def _routed(mtu2: int = 1500) -> tuple[Simulator, Router, Probe, Probe]:
    sim = Simulator()
    r = Router(sim, "r")
    p0, p1 = Probe("p0"), Probe("p1")
    Link(sim, "l0", p0, r)
    Link(sim, "l1", r, p1, LinkSpec(mtu=mtu2))
    r.set_interface("l0", R_MAC[0], "10.0.0.254/24")
    r.set_interface("l1", R_MAC[1], "10.0.1.254/24")
    r.add_neighbor("10.0.0.1", P_MAC[0])
    r.add_neighbor("10.0.1.1", P_MAC[1])
    return sim, r, p0, p1


def _ip_frame(dst_mac: EthernetAddress, ipr: Ipv4Repr, payload: bytes) -> bytearray:
    frame = bytearray(14 + 20 + len(payload))
    frame[0:6] = dst_mac._octets
    frame[6:12] = P_MAC[0]._octets
    frame[12:14] = b"\x08\x00"
    ipr.emit_buffer(memoryview(frame)[14:34])
    frame[34:] = payload
    return frame


def _udp_repr(length: int, ttl: int = 64, df: bool = True) -> Ipv4Repr:
    return Ipv4Repr(
        Ipv4Address.parse("10.0.0.1"),
        Ipv4Address.parse("10.0.1.1"),
        IpProtocol.UDP,
        length,
        ttl,
        ident=77,
        dont_frag=df,
    )


def test_router_forwards_and_decrements_the_ttl() -> None:
    sim, r, p0, p1 = _routed()
    p0.port.send(0, _ip_frame(R_MAC[0], _udp_repr(100), bytes(range(100))))  # type: ignore[attr-defined]
    sim.run()
    assert len(p1.got) == 1
    frame = p1.got[0][1]
    assert frame[0:6] == P_MAC[1]._octets and frame[6:12] == R_MAC[1]._octets
    ipr = Ipv4Repr.parse_buffer(frame[14:])  # checks the rewritten checksum
    assert ipr.hop_limit == 63 and frame[34:] == bytes(range(100))
    assert r.counters.forwarded == 1


def _icmp_back(p0: Probe) -> tuple[Ipv4Repr, Icmpv4Repr]:
    assert len(p0.got) == 1
    frame = p0.got[0][1]
    ipr = Ipv4Repr.parse_buffer(frame[14:])
    assert ipr.next_header == IpProtocol.ICMP and str(ipr.src_addr) == "10.0.0.254"
    return ipr, Icmpv4Repr.parse_buffer(frame[34 : 34 + ipr.payload_len])


def test_router_answers_an_expiring_ttl_with_time_exceeded() -> None:
    sim, _r, p0, p1 = _routed()
    p0.port.send(0, _ip_frame(R_MAC[0], _udp_repr(40, ttl=1), bytes(40)))  # type: ignore[attr-defined]
    sim.run()
    assert p1.got == []
    _, icmp = _icmp_back(p0)
    assert icmp.message == Icmpv4Message.TIME_EXCEEDED and icmp.code == 0
    assert icmp.header is not None and icmp.header.ident == 77


def test_router_sends_fragmentation_needed_with_the_next_hop_mtu() -> None:
    sim, r, p0, p1 = _routed(mtu2=1280)
    p0.port.send(0, _ip_frame(R_MAC[0], _udp_repr(1400), bytes(1400)))  # type: ignore[attr-defined]
    sim.run()
    assert p1.got == []
    _, icmp = _icmp_back(p0)
    assert icmp.message == Icmpv4Message.DST_UNREACHABLE and icmp.code == 4
    assert icmp.seq_no == 1280  # RFC 1191: the next-hop MTU in the low 16 bits
    assert r.counters.too_big == 1


def test_router_fragments_without_df() -> None:
    sim, _r, p0, p1 = _routed(mtu2=576)
    payload = bytes(i % 251 for i in range(1400))
    p0.port.send(0, _ip_frame(R_MAC[0], _udp_repr(1400, df=False), payload))  # type: ignore[attr-defined]
    sim.run()
    pieces = [Ipv4Repr.parse_buffer(f[14:]) for _, f in p1.got]
    assert len(pieces) == 3
    assert all(20 + p.payload_len <= 576 for p in pieces)
    assert [p.more_frags for p in pieces] == [True, True, False]
    data = b"".join(f[34 : 34 + p.payload_len] for (_, f), p in zip(p1.got, pieces, strict=False))
    assert data == payload
    assert [p.frag_offset for p in pieces] == [0, 552, 1104]


def test_router_answers_arp_for_its_address() -> None:
    sim, _r, p0, _ = _routed()
    req = ArpRepr(
        ArpOperation.REQUEST,
        P_MAC[0],
        Ipv4Address.parse("10.0.0.9"),
        EthernetAddress(bytes(6)),
        Ipv4Address.parse("10.0.0.254"),
    )
    frame = bytearray(b"\xff" * 6 + P_MAC[0]._octets + b"\x08\x06" + bytes(28))
    req.emit_buffer(memoryview(frame)[14:])
    p0.port.send(0, frame)  # type: ignore[attr-defined]
    sim.run()
    reply = ArpRepr.parse_buffer(p0.got[0][1][14:])
    assert reply.operation == ArpOperation.REPLY and reply.source_hardware_addr == R_MAC[0]


def test_router_drops_garbage_without_raising() -> None:
    sim, r, p0, p1 = _routed()
    for junk in (bytearray(5), bytearray(R_MAC[0]._octets + bytes(6) + b"\x08\x00" + bytes(7))):
        p0.port.send(0, junk)  # type: ignore[attr-defined]
    sim.run()
    assert r.counters.malformed == 2 and p1.got == []


# -- hosts and workloads ----------------------------------------------------------------------


def _pair(spec: LinkSpec, seed: int = 1) -> tuple[Network, SimHost, SimHost]:
    net = Network(seed)
    a = net.add_host("a", "10.0.0.1/24")
    b = net.add_host("b", "10.0.0.2/24")
    net.add_link("l", "a", "b", spec)
    return net, a, b


def test_bulk_transfer_completes_over_a_lossy_link() -> None:
    net, a, b = _pair(LinkSpec(rate_bps=10_000_000, delay_us=5_000, loss=Bernoulli(2)))
    flow = net.add_flow(Bulk("f", a, b, 5001, size=300_000))
    net.run(20_000_000)
    s = flow.stats
    assert s.octets == 300_000 and s.failures == 0
    assert s.retransmissions > 0


def test_request_response_and_connection_rate_count_transactions() -> None:
    net, a, b = _pair(LinkSpec(rate_bps=100_000_000, delay_us=1_000))
    rr = net.add_flow(RequestResponse("rr", a, b, 80, request=100, response=5000, count=10))
    crr = net.add_flow(ConnectionRate("crr", a, b, 81, request=50, response=2000, count=5))
    net.run(5_000_000)
    assert rr.stats.transactions == 10 and rr.stats.octets == 10 * (100 + 5000)
    assert crr.stats.transactions == 5 and crr.stats.connections == 5
    # Each transaction takes at least one round trip (2 ms) on the established connection.
    assert min(rr.stats.transaction_us) >= 2_000
    assert min(crr.stats.transaction_us) >= 4_000  # handshake, then request and response


def test_host_back_pressure_never_drops_at_the_sender() -> None:
    net, a, b = _pair(LinkSpec(rate_bps=1_000_000, delay_us=1_000, queue=QueueSpec(limit=4)))
    flow = net.add_flow(Bulk("f", a, b, 5001, size=200_000))
    net.run(10_000_000)
    assert flow.stats.octets == 200_000
    assert net.links["l"].drops() == 0 and flow.stats.retransmissions == 0


def _poll_always_twice(host: SimHost, t: int) -> None:
    """The host's poll as the plainest reading of the device protocol has it: poll, run the
    applications, and poll again whenever they changed a socket, due or not."""
    if t != host._armed:
        return
    host._armed = None
    now = Instant(t)
    host.polls += 1
    did = host.iface.poll(now, host.card, host.sockets)
    changed = False
    for app in host.apps:
        changed = app.step(now) or changed
    if changed:
        did = host.iface.poll(now, host.card, host.sockets) or did
        for app in host.apps:
            app.step(now)
    if host.card.inbox:
        host._arm(t)
        return
    at = host.iface.poll_at(now, host.sockets)
    if at is None:
        return
    at_us = at.micros
    if at_us <= t:
        if host.card.blocked:
            return
        if not did:
            at_us = t + 1
    host._arm(at_us)


def _workloads(out: Path, always_twice: bool) -> tuple[dict[str, bytes], object]:
    net = Network(3)
    net.add_switch("sw")
    hosts = [net.add_host(f"h{i}", f"10.0.0.{i + 1}/24") for i in range(4)]
    lossy = LinkSpec(rate_bps=5_000_000, delay_us=4_000, loss=Bernoulli(2), jitter_us=300)
    for i, host in enumerate(hosts):
        net.add_link(f"l{i}", host.name, "sw", lossy if i == 0 else LinkSpec(10_000_000, 1_000))
        if always_twice:
            host._poll_event = lambda t, h=host: _poll_always_twice(h, t)  # type: ignore[misc]
    net.add_flow(Bulk("bulk", hosts[0], hosts[1], 5001, size=150_000))
    net.add_flow(RequestResponse("rr", hosts[2], hosts[1], 80, request=300, response=9000))
    net.add_flow(ConnectionRate("crr", hosts[3], hosts[0], 81, count=20, interval_us=20_000))
    net.capture(out)
    net.run(1_500_000)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}, net.summary()


def test_hosts_poll_again_only_when_due_and_send_the_same_frames(tmp_path: Path) -> None:
    # A host polls a second time after its applications only if the interface has something
    # due; the frames on every link and the summary equal those of always polling again.
    pcaps, summary = _workloads(tmp_path / "due", always_twice=False)
    pcaps_twice, summary_twice = _workloads(tmp_path / "twice", always_twice=True)
    assert summary == summary_twice
    assert pcaps == pcaps_twice and len(pcaps) == 4


def test_summary_helpers() -> None:
    assert jain_index([1.0, 1.0, 1.0]) == pytest.approx(1.0)
    assert jain_index([1.0, 0.0]) == pytest.approx(0.5)
    assert jain_index([]) is None
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile([5, 1, 3, 2, 4], 100) == 5
    assert percentile([], 50) is None
