"""After a segment, a TCP socket with nothing to send is scheduled without an egress visit.

The interface asks `Socket.settle` after every segment it hands a socket: TCP answers True
(visit me) unless it is sure a visit would send nothing, and then gives the visit's answer
(its next timer) so that the socket set puts it to sleep at once. These tests check that
claim after every skipped visit, over connections that go through loss, recovery, a closed
window, keep-alive, delayed ACKs and closing (a real visit straight after must send nothing
and answer the same), and that a segment the application or a timer makes due after a
skipped visit still goes out: queued data (with and without a delayed ACK pending), a
window update, the FIN after close, the delayed ACK and a keep-alive at their times.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tcp_link import Faults, Link
from tcp_sim import Bulk, Host, Sim, connect_pair, make_pair, payload

from smoltcp.stack.socket.base import Emit
from smoltcp.stack.socket.errors import RecvError
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.tcp.send import Sender
from smoltcp.stack.time import Duration, Instant

_plain_settle = Sender.settle
_plain_dispatch_poll = Sender.dispatch_poll


class Settles:
    """Records each `Sender.settle` that skipped a visit, and every broken promise."""

    def __init__(self) -> None:
        self.skipped = 0
        self.visits: dict[int, int] = {}  # id of the TCB -> egress visits
        self.violations: list[tuple[Any, ...]] = []


@pytest.fixture
def settles(monkeypatch: pytest.MonkeyPatch) -> Settles:
    """After every skipped visit, visit at once: it must send nothing and answer the same."""
    record = Settles()

    def checked(self: Sender, cx: Any, now: Instant) -> Any:
        answer = _plain_settle(self, cx, now)
        if answer is True:
            return answer
        record.skipped += 1
        before = (self.chrono, self.chrono_at, self.limit, list(self.chrono_us))
        out: list[Any] = []
        visit = _plain_dispatch_poll(self, cx, now, lambda ip, seg: out.append(seg))
        after = (self.chrono, self.chrono_at, self.limit, list(self.chrono_us))
        if out or visit != answer or before != after:
            record.violations.append((self.tcb.state, answer, visit, out, before, after))
        return answer

    def counted(self: Sender, cx: Any, now: Instant, emit: Emit) -> Any:
        key = id(self.tcb)
        record.visits[key] = record.visits.get(key, 0) + 1
        return _plain_dispatch_poll(self, cx, now, emit)

    monkeypatch.setattr(Sender, "settle", checked)
    monkeypatch.setattr(Sender, "dispatch_poll", counted)
    return record


class Sink:
    """Read until the peer's FIN, then close; answer ``every`` octets read with a few."""

    def __init__(self, sock: TcpSocket, every: int | None = None) -> None:
        self.sock = sock
        self.every = every
        self.received = 0
        self.answered = 0
        self.done = False
        self.error: str | None = None
        self._buf = bytearray(1 << 16)

    def step(self) -> bool:
        sock = self.sock
        while not self.done and self.error is None:
            try:
                n = sock.recv_into(self._buf)
            except RecvError as exc:
                if exc.reason == "finished":
                    sock.close()
                    self.done = True
                else:
                    self.error = exc.reason
                break
            if n == 0:
                break
            self.received += n
        every = self.every
        if every is not None and self.received // every > self.answered and sock.can_send():
            sock.send(b"ok")
            self.answered += 1
        return self.done


def _faults(level: float) -> Faults:
    return Faults(
        loss=level * 0.5, corrupt=level * 0.2, duplicate=level * 0.15, reorder=level * 0.15
    )


@pytest.mark.parametrize(("level", "seed"), [(0.0, 1), (0.05, 2), (0.15, 3), (0.30, 4)])
def test_a_skipped_visit_never_hides_a_segment_through_loss_and_close(
    settles: Settles, level: float, seed: int
) -> None:
    link = Link(seed=seed, faults=_faults(level), rate_bps=20_000_000, queue_frames=20)
    sim, a, b = make_pair(link, seed=seed)
    client, server = connect_pair(sim, a, b, rx_size=32768, tx_size=32768)
    # Mostly one way, with a short answer now and then: the receiver goes from quiet to
    # busy and back.
    up = Bulk(client, payload(300_000, seed))
    down = Sink(server, every=50_000)
    sim.run(lambda now: up.step() & down.step(), max_time=Duration.from_secs(100_000))
    assert up.error is None and down.error is None
    assert down.received == 300_000 and down.answered >= 5

    def closed(now: Instant) -> bool:
        return client.state is TcpState.CLOSED and server.state is TcpState.CLOSED

    sim.run(closed, max_time=Duration.from_secs(600))
    assert settles.skipped > 20
    assert settles.violations == []


def test_skipped_visits_with_a_closed_window_keep_alive_and_a_user_timeout(
    settles: Settles,
) -> None:
    link = Link(seed=7, faults=_faults(0.05))
    sim, a, b = make_pair(link, seed=7)

    def configure(sock: TcpSocket) -> None:
        sock.set_keep_alive(Duration.from_secs(5))
        sock.set_timeout(Duration.from_secs(120))

    client, server = connect_pair(sim, a, b, rx_size=4096, tx_size=16384, configure=configure)
    data = payload(40_000, 9)
    sent = 0
    read = 0
    buf = bytearray(65536)

    def app(now: Instant) -> bool:
        nonlocal sent, read
        if sent < len(data) and client.can_send():
            sent += client.send(data[sent : sent + 16384])
        # The reader stalls for 20 s of every 30: the window closes and is probed.
        if (now.micros // 1_000_000) % 30 >= 20:
            read += server.recv_into(buf)
        return read == len(data)

    sim.run(app, max_time=Duration.from_secs(3600))
    # Idle with keep-alive on: the probes and their ACKs, each skipped visit checked.
    sim.run_for(Duration.from_secs(30))
    assert client.state is TcpState.ESTABLISHED
    assert settles.skipped > 5
    assert settles.violations == []


def test_request_response_with_delayed_acks(settles: Settles) -> None:
    link = Link(seed=5, faults=_faults(0.05))
    sim, a, b = make_pair(link, seed=5)
    client, server = connect_pair(sim, a, b)
    buf = bytearray(4096)
    # Each side answers after 300 ms, longer than the ACK delay: the ACKs go alone, at
    # the delayed-ACK timer of a socket whose visits were skipped.
    for _ in range(20):
        assert client.send(b"request") == 7
        sim.run_for(Duration.from_millis(300))
        assert server.recv_into(buf) == 7
        assert server.send(b"response") == 8
        sim.run_for(Duration.from_millis(300))
        assert client.recv_into(buf) == 8
    assert settles.skipped > 10
    assert settles.violations == []


def test_a_bulk_receiver_gets_no_egress_visit_for_the_segments_it_acknowledges(
    settles: Settles,
) -> None:
    link = Link(seed=11)
    sim, a, b = make_pair(link, seed=11)
    client, server = connect_pair(sim, a, b, rx_size=1 << 20, tx_size=1 << 20)
    key = id(server.tcb)
    visits = settles.visits.get(key, 0)
    up = Bulk(client, payload(500_000, 11))
    sink = Sink(server)
    sim.run(lambda now: up.step() & sink.step())
    segments = server.stats.segments_received
    # Without `settle`, the receiver would take one visit per segment it received (and
    # per segment it sent): now only the close and window updates cost visits.
    assert segments > 10
    assert settles.skipped > segments // 2
    assert settles.visits[key] - visits < segments // 2
    assert settles.violations == []


# -- what becomes due after a skipped visit goes out ---------------------------------------


def _quiet_receiver(seed: int, **connect: Any) -> tuple[Sim, Host, Host, TcpSocket, TcpSocket]:
    """Return a connection whose server has just taken one data segment and, having
    nothing to send, sleeps with its delayed ACK pending (no egress visit)."""
    link = Link(seed=seed)
    sim, a, b = make_pair(link, seed=seed)
    client, server = connect_pair(sim, a, b, **connect)
    sim.run_for(Duration.from_secs(1))
    assert client.send(b"x" * 100) == 100
    a.iface.poll(sim.now, a.device, a.sockets)
    sim.now = link.next_arrival() or sim.now
    b.iface.poll(sim.now, b.device, b.sockets)
    assert server.recv_queue == 100
    assert not b.sockets.is_active(server.handle), "the visit was not skipped"
    assert server.tcb.last_ack_sent != server.tcb.rcv_nxt, "the ACK should be delayed"
    return sim, a, b, client, server


def _poll(sim: Sim, host: Host, now: Instant) -> int:
    """Poll ``host`` at ``now``; return the frames it put on the link."""
    before = sim.link.counters.sent
    host.iface.poll(now, host.device, host.sockets)
    return int(sim.link.counters.sent - before)


def test_data_queued_after_a_skipped_visit_goes_at_the_next_poll_with_the_ack(
    settles: Settles,
) -> None:
    sim, _a, b, _client, server = _quiet_receiver(21)
    una = server.tcb.snd_max
    assert server.send(b"answer") == 6
    assert _poll(sim, b, sim.now) == 1
    # The data went at once, and carried the delayed ACK with it.
    assert server.tcb.snd_max - una == 6
    assert server.tcb.last_ack_sent == server.tcb.rcv_nxt
    assert server.poll_at(b.cx) != Instant.ZERO
    assert settles.violations == []


def test_data_queued_after_a_skipped_visit_without_an_ack_pending(settles: Settles) -> None:
    sim, _a, b, _client, server = _quiet_receiver(22)
    # The delayed ACK goes at its time first: nothing owed any more.
    at = b.iface.poll_at(sim.now, b.sockets)
    assert at is not None and at > sim.now
    assert _poll(sim, b, at) == 1
    assert server.tcb.last_ack_sent == server.tcb.rcv_nxt
    una = server.tcb.snd_max
    assert server.send(b"later") == 5
    assert _poll(sim, b, at) == 1
    assert server.tcb.snd_max - una == 5
    assert settles.violations == []


def test_the_delayed_ack_of_a_skipped_visit_goes_at_its_time(settles: Settles) -> None:
    sim, _a, b, _client, server = _quiet_receiver(23)
    at = b.iface.poll_at(sim.now, b.sockets)
    assert at is not None and at > sim.now
    # Nothing before its time, the ACK at it.
    assert _poll(sim, b, Instant(at.micros - 1)) == 0
    assert _poll(sim, b, at) == 1
    assert server.tcb.last_ack_sent == server.tcb.rcv_nxt
    assert settles.violations == []


def test_the_fin_after_close_goes_at_the_next_poll(settles: Settles) -> None:
    sim, _a, b, _client, server = _quiet_receiver(24)
    snd_max = server.tcb.snd_max
    server.close()
    assert _poll(sim, b, sim.now) == 1
    assert server.state is TcpState.FIN_WAIT_1
    assert server.tcb.snd_max - snd_max == 1
    assert settles.violations == []


def test_a_window_update_after_a_skipped_visit_goes_when_the_application_reads(
    settles: Settles,
) -> None:
    link = Link(seed=25)
    sim, a, b = make_pair(link, seed=25)
    client, server = connect_pair(sim, a, b, rx_size=8192, tx_size=65536)
    # Fill the receiver's buffer: its window closes, its visits are skipped.
    assert client.send(payload(8192, 25)) == 8192
    sim.run(lambda now: server.recv_queue == 8192)
    sim.run_for(Duration.from_secs(1))
    assert server.tcb.rcv_adv == server.tcb.rcv_nxt, "the window should be closed"
    assert not b.sockets.is_active(server.handle)
    skipped = settles.skipped
    assert skipped > 0
    assert len(server.recv(8192)) == 8192
    assert _poll(sim, b, sim.now) == 1
    assert server.tcb.rcv_adv - server.tcb.rcv_nxt == 8192
    assert settles.violations == []


def test_keep_alive_of_a_skipped_visit_goes_at_its_time(settles: Settles) -> None:
    def configure(sock: TcpSocket) -> None:
        sock.set_keep_alive(Duration.from_secs(5))

    sim, _a, b, _client, server = _quiet_receiver(26, configure=configure)
    seen = server.stats.segments_sent
    # The delayed ACK, then the keep-alive 5 s after the segment.
    at = b.iface.poll_at(sim.now, b.sockets)
    assert at is not None
    assert _poll(sim, b, at) == 1
    at = b.iface.poll_at(at, b.sockets)
    assert at is not None and at.micros == server.tcb.keepalive_at
    assert _poll(sim, b, at) == 1
    assert server.stats.segments_sent == seen + 2
    assert settles.violations == []


# -- each kind of pending work makes `settle` answer "visit me" -----------------------------


def _pending(kind: str, sock: TcpSocket, now: Instant) -> None:
    rcv = sock._rcv
    if kind == "ack now":
        rcv.ack_now = True
    elif kind == "window update":
        rcv.win_update = True
    elif kind == "delayed ack due":
        rcv.ack_at = now.micros
    elif kind == "keep-alive due":
        sock.set_keep_alive(Duration.from_secs(1))
        sock._tcb.keepalive_at = now.micros
    elif kind == "data queued":
        assert sock.send(b"data") == 4
    elif kind == "fin queued":
        sock.close()
    elif kind == "rst queued":
        sock.abort()
    elif kind == "sender's chrono to close":
        sock._snd.set_chrono(now.micros, 1)
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "ack now",
        "window update",
        "delayed ack due",
        "keep-alive due",
        "data queued",
        "fin queued",
        "rst queued",
        "sender's chrono to close",
    ],
)
def test_pending_work_makes_settle_ask_for_the_visit_that_does_it(kind: str) -> None:
    sim, _a, b, _client, server = _quiet_receiver(30)
    now = sim.now
    assert server.settle(b.cx, now) is not True
    _pending(kind, server, now)
    assert server.settle(b.cx, now) is True
    out: list[Any] = []
    chrono = server._snd.chrono
    answer = server.dispatch_poll(b.cx, now, lambda ip, seg: out.append(seg))
    # The visit settle asked for does the work: a segment, or the chrono's change.
    assert out or server._snd.chrono != chrono, (kind, answer)
