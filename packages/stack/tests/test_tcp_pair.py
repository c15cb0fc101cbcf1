"""Two stacks over an in-memory link with seeded faults: bulk TCP both ways, clean closes.

Each test runs in simulated time (`tcp_sim.Sim`), so loss-driven timeouts cost no wall time;
every loop is bounded. Data integrity is checked with sha256 in both directions, and every
connection must end CLOSED (through TIME-WAIT) without a reset or a timeout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tcp_link import Faults, Link
from tcp_sim import Bulk, Sim, connect_pair, make_pair, payload

from smoltcp.stack.socket.errors import RecvError
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpEndpoint, Medium, pretty_print

MB = 1 << 20
# Simulated time: RTO back-off at 30 % faults makes runs last simulated hours (milliseconds
# of CPU), so the bound is generous.
HOUR = Duration.from_secs(100_000)


def faults(level: float) -> Faults:
    """Return the fault mix of one level: a fraction ``level`` of the frames is hit.

    Half of the hits are losses, a fifth corruptions (dropped by a checksum: also a loss to
    TCP), and the rest split between duplication and reordering. At 30 % a fifth of the
    frames never arrive, in each direction.
    """
    return Faults(
        loss=level * 0.5, corrupt=level * 0.2, duplicate=level * 0.15, reorder=level * 0.15
    )


def transfer(
    sim: Sim,
    client: TcpSocket,
    server: TcpSocket,
    size_ab: int,
    size_ba: int,
    seed: int,
    max_time: Duration = HOUR,
) -> tuple[Bulk, Bulk, bytes, bytes]:
    """Move ``size_ab`` octets client->server and ``size_ba`` back, then close both ends."""
    data_ab = payload(size_ab, seed)
    data_ba = payload(size_ba, seed + 1)
    up = Bulk(client, data_ab)
    down = Bulk(server, data_ba)

    def app(now: Instant) -> bool:
        a = up.step()
        b = down.step()
        assert up.error is None, f"client: {up.error}"
        assert down.error is None, f"server: {down.error}"
        return a and b

    sim.run(app, max_time=max_time)
    return up, down, data_ab, data_ba


def check_intact(up: Bulk, down: Bulk, data_ab: bytes, data_ba: bytes) -> None:
    import hashlib

    assert down.received == len(data_ab)
    assert down.digest() == hashlib.sha256(data_ab).hexdigest()
    assert up.received == len(data_ba)
    assert up.digest() == hashlib.sha256(data_ba).hexdigest()


def close_cleanly(sim: Sim, *socks: TcpSocket) -> None:
    """Run past TIME-WAIT; every socket must be CLOSED without an error."""

    def all_closed(now: Instant) -> bool:
        return all(s.state is TcpState.CLOSED for s in socks)

    sim.run(all_closed, max_time=Duration.from_secs(300))
    for s in socks:
        assert s.state is TcpState.CLOSED
        assert s.error is None, s.error


@pytest.mark.parametrize(
    "level",
    [
        0.0,
        0.05,
        0.15,
        0.30,
    ],
)
def test_bulk_both_ways_arrives_intact_and_closes(level: float) -> None:
    link = Link(seed=int(level * 1000) + 7, faults=faults(level))
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b)
    size = MB
    up, down, d1, d2 = transfer(sim, client, server, size, size, seed=3)
    check_intact(up, down, d1, d2)
    close_cleanly(sim, client, server)
    if level:
        assert link.counters.lost > 0 and link.counters.corrupted > 0
        assert link.counters.duplicated > 0 and link.counters.reordered > 0
        assert client.stats.retransmissions + server.stats.retransmissions > 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [30, 31, 32])
def test_thirty_percent_faults_several_megabytes(seed: int) -> None:
    link = Link(seed=seed, faults=faults(0.30))
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b, rx_size=256 * 1024, tx_size=256 * 1024)
    up, down, d1, d2 = transfer(sim, client, server, 4 * MB, 4 * MB, seed=seed)
    check_intact(up, down, d1, d2)
    close_cleanly(sim, client, server)


@pytest.mark.parametrize("cc", ["reno", "cubic", "none"])
def test_each_congestion_control_survives_loss(cc: str) -> None:
    link = Link(seed=11, faults=faults(0.05))
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b, configure=lambda s: s.set_congestion_control(cc))
    assert client.congestion_control.name == cc
    up, down, d1, d2 = transfer(sim, client, server, MB // 2, MB // 4, seed=5)
    check_intact(up, down, d1, d2)
    close_cleanly(sim, client, server)


def test_loss_is_repaired_by_sack_recovery_not_timeouts() -> None:
    # 2 % loss, no other fault: SACK-based recovery (RFC 6675) repairs most losses without an
    # RTO, and retransmits about what was lost, not everything after it (no go-back-N).
    link = Link(seed=2, faults=Faults(loss=0.02))
    sack_blocks = [0, 0]

    def count_sack(end: int):
        def tap(frame: bytes, now: Instant) -> None:
            if "sack=" in pretty_print(frame, Medium.ETHERNET):
                sack_blocks[end] += 1

        return tap

    link.b.tap = count_sack(0)  # frames arriving at B, sent by A
    link.a.tap = count_sack(1)
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b, rx_size=256 * 1024, tx_size=256 * 1024)
    up, down, d1, d2 = transfer(sim, client, server, 2 * MB, 0, seed=4)
    check_intact(up, down, d1, d2)
    st = client.stats
    assert sack_blocks[1] > 0  # the receiver B reported SACK blocks
    assert st.fast_retransmits > 0
    assert st.fast_retransmits > 3 * st.timeouts
    lost_data = link.counters.damaged_from[0]
    assert lost_data <= st.retransmissions <= 2 * lost_data + 10, (lost_data, st)
    close_cleanly(sim, client, server)


def test_bottleneck_queue_drops_are_recovered() -> None:
    # A 20 Mbit/s bottleneck with a 20-frame queue: slow start overshoots and the queue drops.
    link = Link(seed=3, rate_bps=20_000_000, queue_frames=20)
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b, rx_size=1 << 20, tx_size=1 << 20)
    up, down, d1, d2 = transfer(sim, client, server, 2 * MB, 0, seed=6)
    check_intact(up, down, d1, d2)
    assert link.counters.queue_drops > 0
    close_cleanly(sim, client, server)


@pytest.mark.parametrize("size", [64 * 1024, 1 << 20])
def test_large_buffers_use_window_scaling(size: int) -> None:
    link = Link(seed=5, latency=Duration.from_millis(20))
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b, rx_size=size, tx_size=size)
    start = sim.now
    up, down, d1, d2 = transfer(sim, client, server, 4 * MB, 0, seed=8)
    check_intact(up, down, d1, d2)
    elapsed = (sim.now - start).total_secs()
    # With a 40 ms RTT a 64 KiB window carries at most ~1.6 MB/s; 1 MiB must do much better,
    # which it can only through window scaling.
    rate = 4 * MB / elapsed
    if size > 65536:
        assert rate > 4 * MB, f"{rate / MB:.2f} MB/s"
    else:
        assert rate < 1.7 * MB, f"{rate / MB:.2f} MB/s"
    close_cleanly(sim, client, server)


def test_ip_medium_without_arp() -> None:
    link = Link(seed=6, medium=Medium.IP, mtu=1500, faults=faults(0.05))
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b)
    up, down, d1, d2 = transfer(sim, client, server, MB // 2, MB // 2, seed=2)
    check_intact(up, down, d1, d2)
    close_cleanly(sim, client, server)


def test_listener_backlog_accepts_concurrent_connections() -> None:
    link = Link(seed=8, faults=faults(0.05))
    sim, a, b = make_pair(link)
    listener = TcpSocket(4096, 4096)
    listener.listen(80, backlog=16)
    b.add(listener)
    clients = []
    for i in range(12):
        sock = TcpSocket(8192, 8192)
        a.add(sock)
        sock.connect(a.cx, IpEndpoint(b.addr, 80), 50000 + i)
        clients.append(sock)
    accepted: list[TcpSocket] = []
    msgs = {id(c): payload(3000 + 100 * i, 100 + i) for i, c in enumerate(clients)}
    ups = [Bulk(c, msgs[id(c)]) for c in clients]
    downs: list[Bulk] = []

    def app(now: Instant) -> bool:
        while (h := listener.accept()) is not None:
            sock = b.get(h)
            accepted.append(sock)
            downs.append(Bulk(sock, b""))
        done = True
        for bulk in ups + downs:
            done &= bulk.step()
        return done and len(downs) == len(clients)

    sim.run(app, max_time=Duration.from_secs(600))
    import hashlib

    got = sorted(d.digest() for d in downs)
    assert got == sorted(hashlib.sha256(m).hexdigest() for m in msgs.values())
    close_cleanly(sim, *clients, *accepted)


def test_two_hundred_connections_back_to_back() -> None:
    link = Link(seed=9)
    sim, a, b = make_pair(link)
    listener = TcpSocket(4096, 4096)
    listener.listen(7, backlog=4)
    b.add(listener)
    ok = 0
    for i in range(200):
        client = TcpSocket(4096, 4096)
        ha = a.add(client)
        client.connect(a.cx, IpEndpoint(b.addr, 7), 0)
        msg = payload(100, i)
        up = Bulk(client, msg)
        box: list[Bulk] = []
        handles: list[int] = []

        def app(now: Instant, up: Bulk = up, box: list[Bulk] = box, hs: list = handles) -> bool:
            h = listener.accept()
            if h is not None:
                hs.append(h)
                box.append(Bulk(b.get(h), b"echo"))
            done = up.step()
            for d in box:
                done &= d.step()
            return done and bool(box)

        sim.run(app, max_time=Duration.from_secs(60))
        assert box[0].received == 100
        assert up.received == 4
        ok += 1
        # Both ends are closed or in TIME-WAIT: free them, as an application would.
        a.sockets.remove(ha)
        b.sockets.remove(handles[0])
    assert ok == 200


def test_sequence_numbers_wrap_around_2_32_both_ways() -> None:
    # RFC 6528 ISNs are M (a 4 us clock) + F(four-tuple): start the simulation at the instant
    # that puts the client's ISN 300 kB below 2**32, so its data crosses the wrap.
    from smoltcp.stack.tcp.isn import IsnGenerator

    link = Link(seed=12, faults=faults(0.05))
    sim, a, b = make_pair(link)
    local = IpEndpoint(a.addr, 50000)
    remote = IpEndpoint(b.addr, 4242)
    f = IsnGenerator.for_context(a.cx).offset(local, remote)
    target = (2**32 - 300_000 - f) % 2**32
    sim.now = Instant.from_micros(4 * target + 4 * 2**32)  # hours in: the clock part wraps too
    for host in (a, b):
        host.iface.poll(sim.now, host.device, host.sockets)  # connect() reads cx.now
    server = TcpSocket(65536, 65536)
    server.listen(4242)
    b.add(server)
    client = TcpSocket(65536, 65536)
    a.add(client)
    client.connect(a.cx, remote, local)
    sim.run(lambda now: client.state is TcpState.ESTABLISHED, max_time=HOUR)
    assert 2**32 - 300_001 <= int(client.tcb.iss) < 2**32  # the wrap lies ahead
    up, down, d1, d2 = transfer(sim, client, server, MB, MB // 2, seed=21)
    check_intact(up, down, d1, d2)
    assert int(client.tcb.snd_una) < 2**31  # it went past 2**32 and wrapped
    close_cleanly(sim, client, server)


def _bottleneck_run(cc: object, max_holes: int = 64) -> tuple[Link, TcpSocket]:
    link = Link(seed=3, rate_bps=20_000_000, queue_frames=100, latency=Duration.from_millis(5))
    sim, a, b = make_pair(link)

    def configure(sock: TcpSocket) -> None:
        sock.set_congestion_control(cc)  # type: ignore[arg-type]
        sock.set_max_holes(max_holes)

    client, server = connect_pair(sim, a, b, rx_size=1 << 20, tx_size=1 << 20, configure=configure)
    up, down, d1, d2 = transfer(sim, client, server, 4 * MB, 0, seed=13)
    check_intact(up, down, d1, d2)
    return link, client


def test_hystart_reduces_slow_start_overshoot_at_a_bottleneck() -> None:
    from smoltcp.stack.tcp.congestion import Cubic

    with_hs, _ = _bottleneck_run(Cubic(hystart=True))
    without, _ = _bottleneck_run(Cubic(hystart=False))
    assert with_hs.counters.queue_drops * 2 < without.counters.queue_drops


def test_sack_recovery_retransmits_only_what_the_bottleneck_dropped() -> None:
    # A FIFO bottleneck never reorders: every hole below a SACKed range is a drop, and a
    # receiver with room for the holes keeps everything else. So each retransmission should
    # repair one drop.
    link, client = _bottleneck_run("cubic")
    drops = link.counters.queue_drops
    assert drops > 0
    assert client.stats.retransmissions <= drops + 2, (drops, client.stats)


def _request_response(nagle: bool, parts: int, rounds: int = 40) -> float:
    """Return the mean simulated seconds per request/response over a 2 ms RTT link.

    The client writes each request in ``parts`` separate sends; the server answers each
    complete request with one send.
    """
    link = Link(seed=14, latency=Duration.from_millis(1))
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b, configure=lambda s: s.set_nagle_enabled(nagle))
    request = payload(200, 1)
    start = sim.now
    for _ in range(rounds):
        chunk = len(request) // parts
        for i in range(parts):
            piece = request[i * chunk : (i + 1) * chunk if i < parts - 1 else len(request)]
            assert client.send(piece) == len(piece)
            sim.run(lambda now: True)  # one poll: the piece leaves before the next write
        got = bytearray()
        answer = bytearray()

        def app(now: Instant, got: bytearray = got, answer: bytearray = answer) -> bool:
            got += server.recv()
            if len(got) == len(request) and not answer:
                answer += b"ok"
                server.send(b"ok")
            return client.recv_queue >= 2

        sim.run(app, max_time=Duration.from_secs(10))
        assert client.recv(2) == b"ok"
    return (sim.now - start).total_secs() / rounds


def test_request_response_takes_one_round_trip() -> None:
    # One send per message: neither Nagle nor delayed ACKs may add delay (about 1 RTT).
    assert _request_response(nagle=True, parts=1) < 0.0035
    assert _request_response(nagle=False, parts=1) < 0.0035


def test_nagle_holds_the_second_small_write_until_the_ack() -> None:
    # write-write-read: with Nagle the second part waits for the ACK of the first (RFC 9293
    # 3.7.4), so each exchange costs at least two round trips; without Nagle, one.
    with_nagle = _request_response(nagle=True, parts=2)
    without = _request_response(nagle=False, parts=2)
    assert without < 0.0035
    assert with_nagle >= 0.004


def test_zero_window_is_probed_until_the_reader_resumes() -> None:
    # The server stops reading for a minute: its window closes, the client probes it
    # (RFC 9293 3.8.6.1) without giving up, and the transfer finishes once reading resumes.
    link = Link(seed=15, faults=faults(0.05))
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b, rx_size=16384, tx_size=16384)
    data = payload(200_000, 2)
    up = Bulk(client, data)
    probes = [0]

    def count_probes(frame: bytes, now: Instant) -> None:
        line = pretty_print(frame, Medium.ETHERNET)
        if "len=1 " in line or line.endswith("len=1"):
            probes[0] += 1

    link.b.tap = count_probes
    stall_until = sim.now + Duration.from_secs(60)
    sim.run(lambda now: up.step() or now >= stall_until, max_time=Duration.from_secs(120))
    assert server.recv_queue == 16384  # full: the window is zero
    assert probes[0] >= 3
    assert client.state is TcpState.ESTABLISHED and server.state is TcpState.ESTABLISHED
    down = Bulk(server, b"")
    sim.run(lambda now: up.step() & down.step(), max_time=HOUR)
    assert down.received == len(data)
    close_cleanly(sim, client, server)


def test_abort_resets_the_peer_after_its_buffered_data() -> None:
    link = Link(seed=16)
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b)
    client.send(b"last words")
    sim.run(lambda now: server.recv_queue == 10)
    client.abort()
    sim.run(lambda now: server.state is TcpState.CLOSED)
    assert server.recv(100) == b"last words"
    with pytest.raises(RecvError) as exc:
        server.recv(100)
    assert exc.value.reason == "reset"


def test_rtt_estimate_survives_heavy_loss() -> None:
    # At 30 % faults many ACKs are lost; a timestamp echo of a segment sent before an RTO
    # would measure the timeout itself. The estimate must stay near the path's 2 ms RTT,
    # and the transfer must not crawl behind ever longer timeouts.
    link = Link(seed=0, faults=faults(0.30))
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b)
    start = sim.now
    up, down, d1, d2 = transfer(sim, client, server, MB, 0, seed=17)
    check_intact(up, down, d1, d2)
    srtt = client.stats.rtt
    assert srtt is not None and srtt < Duration.from_millis(50), client.stats
    assert sim.now - start < Duration.from_secs(600), sim.now - start
