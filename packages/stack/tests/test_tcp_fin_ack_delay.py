"""The ACK of a FIN that takes ESTABLISHED to CLOSE-WAIT waits for the ACK delay.

A server that closes on end of stream then answers the peer's FIN with one segment, its own
FIN carrying the ACK, instead of a pure ACK followed by the FIN (the Linux kernel delays this
ACK the same way). Every other FIN is acknowledged at once, and without an ACK delay so is this
one.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from tcp_harness import Duration, TcpControl, TcpHarness, TcpState

PEER = 5000
DELAY_MS = 10


def established(ack_delay_ms: int | None = DELAY_MS) -> TcpHarness:
    delay = None if ack_delay_ms is None else Duration.from_millis(ack_delay_ms)
    h = TcpHarness(ack_delay=delay)
    h.establish_passive(peer_iss=PEER)
    return h


def test_the_close_that_follows_the_fin_carries_its_ack() -> None:
    h = established()
    h.send(TcpControl.FIN, seq=PEER + 1, ack=1001)
    assert h.sock.state is TcpState.CLOSE_WAIT
    h.recv_none()
    h.advance(1)
    h.sock.close()
    fin = h.recv_one()
    assert fin.control == TcpControl.FIN
    assert fin.ack_number == PEER + 2
    assert h.sock.state is TcpState.LAST_ACK
    # The ACK went out with the FIN: nothing more is due when the delay has passed.
    h.advance(2 * DELAY_MS)
    h.recv_none()


def test_without_a_close_the_ack_leaves_after_the_delay() -> None:
    h = established()
    h.send(TcpControl.FIN, seq=PEER + 1, ack=1001)
    h.recv_none()
    h.advance(DELAY_MS - 1)
    h.recv_none()
    h.advance(1)
    ack = h.recv_one()
    assert ack.control == TcpControl.NONE
    assert ack.ack_number == PEER + 2


def test_data_and_fin_are_answered_with_the_reply_and_the_fin() -> None:
    h = established()
    h.send(TcpControl.FIN, seq=PEER + 1, ack=1001, payload=b"ping")
    h.recv_none()
    assert h.sock.recv(16) == b"ping"
    h.sock.send(b"pong")
    h.sock.close()
    out = h.recv(limit=4)
    assert [s.ack_number for s in out] == [PEER + 6] * len(out)
    assert b"".join(bytes(s.payload) for s in out) == b"pong"
    assert out[-1].control == TcpControl.FIN


def test_without_an_ack_delay_the_fin_is_acknowledged_at_once() -> None:
    h = established(ack_delay_ms=None)
    h.send(TcpControl.FIN, seq=PEER + 1, ack=1001)
    ack = h.recv_one()
    assert ack.ack_number == PEER + 2


def test_a_fin_in_fin_wait_2_is_acknowledged_at_once() -> None:
    h = established()
    h.sock.close()
    fin = h.recv_one()
    assert fin.control == TcpControl.FIN
    h.send(seq=PEER + 1, ack=1002)
    assert h.sock.state is TcpState.FIN_WAIT_2
    h.send(TcpControl.FIN, seq=PEER + 1, ack=1002)
    assert h.sock.state is TcpState.TIME_WAIT
    ack = h.recv_one()
    assert ack.ack_number == PEER + 2


def test_a_retransmitted_fin_in_close_wait_is_acknowledged_at_once() -> None:
    h = established()
    h.send(TcpControl.FIN, seq=PEER + 1, ack=1001)
    h.recv_none()
    h.send(TcpControl.FIN, seq=PEER + 1, ack=1001)
    ack = h.recv_one()
    assert ack.ack_number == PEER + 2


def test_a_long_ack_delay_holds_the_fins_ack_at_most_40_ms() -> None:
    # Below any peer's minimum RTO: the peer never resends its FIN for want of the ACK.
    h = established(ack_delay_ms=500)
    h.send(TcpControl.FIN, seq=PEER + 1, ack=1001)
    h.advance(39)
    h.recv_none()
    h.advance(1)
    assert h.recv_one().ack_number == PEER + 2


def test_a_fin_beyond_a_hole_draws_a_duplicate_ack_and_the_filling_text_an_ack_at_once() -> None:
    h = established()
    h.send(TcpControl.FIN, seq=PEER + 5, ack=1001)
    assert h.sock.state is TcpState.ESTABLISHED
    assert h.recv_one().ack_number == PEER + 1  # out of order: a duplicate ACK (RFC 5681 4.2)
    h.send(seq=PEER + 1, ack=1001, payload=b"abcd")
    assert h.sock.state is TcpState.CLOSE_WAIT
    # The text filled the gap before the FIN: acknowledged at once, FIN included.
    assert h.recv_one().ack_number == PEER + 6


def keep_alive_shorter_than_the_delay() -> TcpHarness:
    h = established()
    h.sock.set_keep_alive(Duration.from_millis(DELAY_MS // 2))
    return h


def test_a_keep_alive_due_before_the_delayed_ack_sends_that_ack_instead_of_a_probe() -> None:
    # A probe's sequence number (SND.UNA - 1) is unacceptable to the peer, which would drop
    # it, ACK field and all: the FIN would stay unacknowledged until the peer retransmits it.
    h = keep_alive_shorter_than_the_delay()
    h.send(TcpControl.FIN, seq=PEER + 1, ack=1001)
    assert h.sock.state is TcpState.CLOSE_WAIT
    h.advance(DELAY_MS // 2)
    ack = h.recv_one()
    assert ack.control == TcpControl.NONE
    assert (ack.seq_number, ack.ack_number) == (1001, PEER + 2)
    # Owed nothing more; the connection idles on, and the next keep-alive is a probe.
    h.advance(DELAY_MS // 2)
    probe = h.recv_one()
    assert (probe.seq_number, probe.ack_number) == (1000, PEER + 2)


def test_a_keep_alive_due_before_a_data_ack_sends_that_ack() -> None:
    h = keep_alive_shorter_than_the_delay()
    h.send(TcpControl.PSH, seq=PEER + 1, ack=1001, payload=b"data")
    h.advance(DELAY_MS // 2)
    ack = h.recv_one()
    assert (ack.seq_number, ack.ack_number) == (1001, PEER + 5)
    h.advance(DELAY_MS)
    # Nothing was left owed: the next segment is the keep-alive probe, after the idle time.
    probe = h.recv_one()
    assert (probe.seq_number, probe.ack_number) == (1000, PEER + 5)
