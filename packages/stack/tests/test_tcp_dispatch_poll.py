"""The egress visit of a TCP socket: `dispatch_poll` against `dispatch` then `poll_at`.

The interface's egress loop calls `Socket.dispatch_poll` until it returns something other
than True, and takes that answer for the socket's next time instead of asking `poll_at`.
TCP answers from the timers alone when a visit sends nothing. These tests check the answer
against `poll_at` after every visit that sent nothing, over connections that go through
loss, recovery, timeouts, a closed window, keep-alive and TIME-WAIT, and count the visits a
socket with one segment to send gets.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tcp_link import Faults, Link
from tcp_sim import Bulk, connect_pair, make_pair, payload

from smoltcp.stack.socket.base import Emit
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.tcp.send import Sender
from smoltcp.stack.time import Duration, Instant

_plain_dispatch_poll = Sender.dispatch_poll


class Visits:
    """Records each `Sender.dispatch_poll` and `Sender.poll_at`, and every disagreement."""

    def __init__(self) -> None:
        self.sent = 0
        self.idle = 0
        self.poll_at = 0
        self.probed = False
        self.mismatches: list[tuple[Any, Any, Any]] = []


@pytest.fixture
def visits(monkeypatch: pytest.MonkeyPatch) -> Visits:
    """Check every TCP visit that sends nothing: its answer must be `poll_at`'s."""
    record = Visits()
    plain_poll_at = Sender.poll_at

    def counted_poll_at(self: Sender, cx: Any) -> Instant | None:
        record.poll_at += 1
        return plain_poll_at(self, cx)

    def checked(self: Sender, cx: Any, now: Instant, emit: Emit) -> Any:
        answer = _plain_dispatch_poll(self, cx, now, emit)
        record.probed |= self.probing
        if answer is True:
            record.sent += 1
            return answer
        record.idle += 1
        # What the egress loop asked before: poll_at straight after a dispatch that sent
        # nothing (poll_at only recomputes what dispatch left, so asking changes nothing).
        expected = plain_poll_at(self, cx)
        if answer != expected:
            record.mismatches.append((self.tcb.state, answer, expected))
        return answer

    monkeypatch.setattr(Sender, "poll_at", counted_poll_at)
    monkeypatch.setattr(Sender, "dispatch_poll", checked)
    return record


def _faults(level: float) -> Faults:
    return Faults(
        loss=level * 0.5, corrupt=level * 0.2, duplicate=level * 0.15, reorder=level * 0.15
    )


@pytest.mark.parametrize(("level", "seed"), [(0.0, 1), (0.05, 2), (0.15, 3), (0.30, 4)])
def test_idle_visits_answer_like_poll_at_through_loss_and_close(
    visits: Visits, level: float, seed: int
) -> None:
    link = Link(seed=seed, faults=_faults(level), rate_bps=20_000_000, queue_frames=20)
    sim, a, b = make_pair(link, seed=seed)
    client, server = connect_pair(sim, a, b, rx_size=32768, tx_size=32768)
    up = Bulk(client, payload(200_000, seed))
    down = Bulk(server, payload(120_000, seed + 1), chunk=3000)
    sim.run(lambda now: up.step() & down.step(), max_time=Duration.from_secs(100_000))
    assert up.error is None and down.error is None

    def closed(now: Instant) -> bool:
        return client.state is TcpState.CLOSED and server.state is TcpState.CLOSED

    sim.run(closed, max_time=Duration.from_secs(600))
    assert visits.sent > 20 and visits.idle > 20
    assert visits.mismatches == []


def test_idle_visits_answer_like_poll_at_with_a_closed_window_and_keep_alive(
    visits: Visits,
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
    # Idle with keep-alive on: the probes and their ACKs.
    sim.run_for(Duration.from_secs(30))
    assert client.state is TcpState.ESTABLISHED
    assert visits.probed, "the window never closed long enough for a zero-window probe"
    assert visits.mismatches == []


def test_one_segment_costs_one_visit_to_send_and_one_to_find_nothing(visits: Visits) -> None:
    link = Link(seed=3)
    sim, a, b = make_pair(link, seed=3)
    client, _server = connect_pair(sim, a, b)
    sim.run_for(Duration.from_secs(1))
    before = (visits.sent, visits.idle, visits.poll_at, link.counters.sent)
    assert client.send(b"request") == 7
    a.iface.poll(sim.now, a.device, a.sockets)
    after = (visits.sent, visits.idle, visits.poll_at, link.counters.sent)
    sent, idle, poll_at, frames = (n - m for n, m in zip(after, before, strict=True))
    # One visit sends the segment, one finds nothing and says when to come back: the
    # egress loop asks no poll_at of its own.
    assert (sent, idle, poll_at, frames) == (1, 1, 0, 1)
