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

from tcp_harness import Duration, TcpControl, TcpHarness, TcpRepr, TcpState

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


def ack_then_probe(h: TcpHarness) -> tuple[TcpRepr, TcpRepr]:
    """Return the two segments now due: the owed ACK, then the keep-alive probe."""
    ack, probe = h.recv()
    assert ack.control == probe.control == TcpControl.NONE
    assert ack.seq_number == 1001  # SND.MAX: acceptable to the peer
    assert probe.seq_number == 1000  # SND.UNA - 1: draws the peer's ACK
    return ack, probe


def test_a_keep_alive_due_before_the_delayed_ack_of_a_fin_sends_that_ack_then_the_probe() -> None:
    # On the probe's sequence number (SND.UNA - 1), unacceptable to the peer, the ACK would
    # be dropped with it: the FIN would stay unacknowledged until the peer retransmitted it.
    h = keep_alive_shorter_than_the_delay()
    h.send(TcpControl.FIN, seq=PEER + 1, ack=1001)
    assert h.sock.state is TcpState.CLOSE_WAIT
    h.advance(DELAY_MS // 2)
    ack, probe = ack_then_probe(h)
    assert ack.ack_number == probe.ack_number == PEER + 2
    # Nothing more is owed: the delay passes in silence, the next probe one interval on.
    h.advance(DELAY_MS // 2)
    [probe] = h.recv()
    assert (probe.seq_number, probe.ack_number) == (1000, PEER + 2)


def test_a_keep_alive_due_before_a_data_ack_sends_that_ack_then_the_probe() -> None:
    h = keep_alive_shorter_than_the_delay()
    h.send(TcpControl.PSH, seq=PEER + 1, ack=1001, payload=b"data")
    h.advance(DELAY_MS // 2)
    ack, probe = ack_then_probe(h)
    assert ack.ack_number == probe.ack_number == PEER + 5


def test_a_window_update_due_with_the_keep_alive_goes_at_snd_max_then_the_probe() -> None:
    h = TcpHarness(rx=64, tx=64, ack_delay=Duration.from_millis(100))
    h.establish_passive(peer_iss=PEER)
    h.sock.set_keep_alive(Duration.from_millis(30))
    h.send(TcpControl.PSH, seq=PEER + 1, ack=1001, payload=b"q" * 64)
    h.advance(30)
    full, _ = ack_then_probe(h)
    assert (full.ack_number, full.window_len) == (PEER + 65, 0)
    h.advance(30)
    assert len(h.sock.recv(32)) == 32
    update, _ = ack_then_probe(h)
    assert update.window_len == 32


def test_the_peers_probe_arriving_as_our_keep_alive_falls_due_does_not_replace_our_probe() -> None:
    # Our answer to the peer's probe is no probe of ours: only the peer's reply to our probe
    # shows it alive. Were the answer to stand for the probe, the peer's probes (each one
    # restarted by our answer) would keep landing just before ours, and the user timeout
    # would reset a live peer.
    h = TcpHarness(ack_delay=Duration.from_millis(10))
    h.establish_passive(peer_iss=PEER)
    h.sock.set_keep_alive(Duration.from_millis(50))
    h.sock.set_timeout(Duration.from_millis(300))
    for _ in range(12):  # 600 ms, twice the user timeout
        h.advance(51)
        h.send(seq=PEER, ack=1001)  # the peer's keep-alive probe
        for seg in h.recv():
            if seg.seq_number == 1000:  # our probe: a live peer answers it
                h.send(seq=PEER + 1, ack=1001)
        assert h.sock.state is TcpState.ESTABLISHED, h.sock.tcb.error
