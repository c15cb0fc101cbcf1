"""Every RFC 9293 state and its transitions, driven segment by segment through the harness."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tcp_harness import LOCAL, REMOTE, Duration, TcpControl, TcpHarness, TcpState, fields

from smoltcp.stack.socket.errors import RecvError
from smoltcp.stack.tcp.trace import RingRecorder, StateChanged

SYN = TcpControl.SYN
FIN = TcpControl.FIN
RST = TcpControl.RST
PSH = TcpControl.PSH
NONE = TcpControl.NONE
S = TcpState


@pytest.fixture
def h() -> TcpHarness:
    return TcpHarness()


# -- LISTEN ------------------------------------------------------------------------------


def test_listen_answers_ack_with_rst_and_ignores_rst(h: TcpHarness) -> None:
    h.listen()
    rst = h.send(seq=7, ack=1234)
    assert fields(rst) == {"control": RST, "seq": 1234, "ack": None, "window": 0, "payload": b""}
    assert h.send(RST, seq=7) is None
    assert h.send(seq=7, payload=b"no ack, no syn") is None
    assert h.sock.state is S.LISTEN
    h.recv_none()


# -- SYN-SENT ----------------------------------------------------------------------------


def test_syn_sent_bad_ack_gets_rst(h: TcpHarness) -> None:
    h.sock.connect(h.cx, REMOTE, LOCAL)
    h.recv_one()
    rst = h.send(SYN, seq=5000, ack=999)
    assert fields(rst) == {"control": RST, "seq": 999, "ack": None, "window": 0, "payload": b""}
    assert h.sock.state is S.SYN_SENT


def test_syn_sent_rst_refuses(h: TcpHarness) -> None:
    h.sock.connect(h.cx, REMOTE, LOCAL)
    h.recv_one()
    assert h.send(RST, seq=0) is None  # no ACK: ignored
    assert h.sock.state is S.SYN_SENT
    h.send(RST, seq=0, ack=1001)
    assert h.sock.state is S.CLOSED
    assert h.sock.error == "refused"
    with pytest.raises(RecvError, match="refused"):
        h.sock.recv()


def test_syn_retransmission_backs_off(h: TcpHarness) -> None:
    h.sock.connect(h.cx, REMOTE, LOCAL)
    assert h.recv_one().control == SYN
    # RFC 6298 2.1: initial RTO 1 s, doubled on every expiry.
    for wait in (1000, 2000, 4000):
        h.advance(wait - 1)
        h.recv_none()
        h.advance(1)
        syn = h.recv_one()
        assert fields(syn)["seq"] == 1000 and syn.control == SYN
    assert h.sock.stats.retransmissions == 3


def test_simultaneous_open(h: TcpHarness) -> None:
    h.sock.connect(h.cx, REMOTE, LOCAL)
    h.recv_one()
    h.send(SYN, seq=5000, max_seg_size=1000)
    assert h.sock.state is S.SYN_RECEIVED
    synack = h.recv_one()
    assert fields(synack) == {
        "control": SYN,
        "seq": 1000,
        "ack": 5001,
        "window": 64,
        "payload": b"",
    }
    # Their SYN-ACK acknowledges our SYN: ESTABLISHED (RFC 9293 Figure 8), and an ACK of
    # their SYN, not our SYN-ACK again.
    h.send(SYN, seq=5000, ack=1001)
    assert h.sock.state is S.ESTABLISHED
    assert fields(h.recv_one()) == {
        "control": NONE,
        "seq": 1001,
        "ack": 5001,
        "window": 64,
        "payload": b"",
    }
    h.send(seq=5001, ack=1001)  # their ACK of our SYN-ACK changes nothing
    assert h.sock.state is S.ESTABLISHED
    h.recv_none()


# -- SYN-RECEIVED ------------------------------------------------------------------------


def test_syn_received_bad_ack_gets_rst(h: TcpHarness) -> None:
    h.listen()
    h.send(SYN, seq=5000)
    h.recv_one()
    rst = h.send(seq=5001, ack=4242)
    assert fields(rst) == {"control": RST, "seq": 4242, "ack": None, "window": 0, "payload": b""}
    assert h.sock.state is S.SYN_RECEIVED
    h.send(seq=5001, ack=1001)
    assert h.sock.state is S.ESTABLISHED


def test_syn_received_rst_returns_to_listen(h: TcpHarness) -> None:
    h.listen()
    h.send(SYN, seq=5000)
    h.recv_one()
    h.send(RST, seq=5001)
    assert h.sock.state is S.LISTEN
    assert h.sock.remote_endpoint is None
    # And it can take the next connection.
    h.send(SYN, seq=9000, src_port=1234)
    assert h.sock.state is S.SYN_RECEIVED
    assert h.sock.remote_endpoint.port == 1234


def test_syn_received_rst_returns_to_listen_in_the_trace(h: TcpHarness) -> None:
    ring = RingRecorder()
    h.sock.set_trace(ring)
    h.listen()
    h.send(SYN, seq=5000)
    h.recv_one()
    h.send(RST, seq=5001)
    h.send(SYN, seq=9000, src_port=1234)
    changes = [(r.conn, r.old, r.new) for r in ring.records() if isinstance(r, StateChanged)]
    first, second = changes[0][0], changes[-1][0]
    assert changes == [
        (first, "LISTEN", "SYN-RECEIVED"),
        (first, "SYN-RECEIVED", "LISTEN"),  # the failed handshake's end, in its own trace
        (second, "LISTEN", "SYN-RECEIVED"),
    ]
    assert first != second


def test_syn_received_duplicate_syn_resends_syn_ack(h: TcpHarness) -> None:
    h.listen()
    h.send(SYN, seq=5000)
    first = h.recv_one()
    h.send(SYN, seq=5000)
    again = h.recv_one()
    assert fields(first) == fields(again)


def test_syn_ack_retransmitted_then_given_up(h: TcpHarness) -> None:
    h.listen()
    h.send(SYN, seq=5000)
    h.recv_one()
    wait = 1000
    for _ in range(6):
        h.advance(wait)
        assert h.recv_one().control == SYN
        wait *= 2
    h.advance(wait)
    h.recv_none()
    assert h.sock.state is S.LISTEN


# A user timeout in SYN-RECEIVED ends the half-open connection without a RST: the peer may
# never have had our SYN-ACK (it is still in SYN-SENT, where a RST acknowledging its SYN reads
# as "connection refused"). Its next SYN finds the listener. (A soak over TAP found a kernel
# client refused after two SYN-ACKs were lost within the two-second user timeout.)


def test_user_timeout_in_syn_received_returns_to_listen_without_rst(h: TcpHarness) -> None:
    h.sock.set_timeout(Duration.from_secs(2))
    h.listen()
    h.send(SYN, seq=5000)
    assert h.recv_one().control == SYN  # lost on the way, as is the retransmission below
    h.advance(1000)
    assert h.recv_one().control == SYN
    h.advance(1000)
    h.recv_none()
    assert h.sock.state is S.LISTEN
    h.send(SYN, seq=5000)  # the peer's retransmission opens afresh
    assert h.sock.state is S.SYN_RECEIVED
    assert fields(h.recv_one())["ack"] == 5001


def test_user_timeout_of_backlog_child_in_syn_received_sends_no_rst(h: TcpHarness) -> None:
    h.sock.set_timeout(Duration.from_secs(2))
    h.listen(backlog=2)
    h.send(SYN, seq=5000)
    (child,) = [s for hd, s in h.set.sockets.items() if hd != h.handle]
    assert h.recv_one(child).control == SYN
    h.advance(1000)
    assert h.recv_one(child).control == SYN
    h.advance(1000)
    h.recv_none(child)
    assert child.state is S.CLOSED and child.error == "timed out"
    assert h.sock.listener_stats().half_open_expired == 1
    h.send(SYN, seq=5000)
    (again,) = [s for hd, s in h.set.sockets.items() if hd != h.handle and s is not child]
    assert again.state is S.SYN_RECEIVED
    assert fields(h.recv_one(again))["ack"] == 5001


# -- synchronized states: RST, SYN, bad ACK (RFC 5961) -----------------------------------


def _to_state(h: TcpHarness, state: TcpState) -> None:
    """Drive an established passive connection (ISS 1000, peer 5000) into ``state``."""
    if state is S.SYN_RECEIVED:
        h.listen()
        h.send(SYN, seq=5000)
        h.recv_one()
        return
    h.establish_passive()
    if state is S.ESTABLISHED:
        return
    if state in (S.CLOSE_WAIT, S.LAST_ACK):
        h.send(FIN, seq=5001, ack=1001)
        h.recv_one()
        if state is S.LAST_ACK:
            h.sock.close()
            h.recv_one()
        assert h.sock.state is state
        return
    h.sock.close()
    h.recv_one()
    if state is S.FIN_WAIT_2:
        h.send(seq=5001, ack=1002)
    elif state is S.CLOSING:
        h.send(FIN, seq=5001, ack=1001)
        h.recv_one()
    elif state is S.TIME_WAIT:
        h.send(FIN, seq=5001, ack=1002)
        h.recv_one()
    assert h.sock.state is state


def _rcv_nxt(state: TcpState) -> int:
    return 5001 if state in (S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2) else 5002


ALL_SYNCHRONIZED = [
    S.SYN_RECEIVED,
    S.ESTABLISHED,
    S.FIN_WAIT_1,
    S.FIN_WAIT_2,
    S.CLOSE_WAIT,
    S.CLOSING,
    S.LAST_ACK,
    S.TIME_WAIT,
]


@pytest.mark.parametrize("state", ALL_SYNCHRONIZED, ids=str)
def test_exact_rst_in_each_state(h: TcpHarness, state: TcpState) -> None:
    _to_state(h, state)
    assert h.send(RST, seq=_rcv_nxt(state)) is None
    assert h.sock.state is (S.LISTEN if state is S.SYN_RECEIVED else S.CLOSED)
    h.recv_none()


@pytest.mark.parametrize("state", ALL_SYNCHRONIZED, ids=str)
def test_in_window_rst_gets_challenge_ack(h: TcpHarness, state: TcpState) -> None:
    _to_state(h, state)
    h.send(RST, seq=_rcv_nxt(state) + 10)
    assert h.sock.state is state
    ack = h.recv_one()
    assert ack.control == NONE and ack.ack_number == _rcv_nxt(state)


@pytest.mark.parametrize("state", ALL_SYNCHRONIZED, ids=str)
def test_out_of_window_rst_ignored(h: TcpHarness, state: TcpState) -> None:
    _to_state(h, state)
    h.send(RST, seq=_rcv_nxt(state) + 100_000)
    assert h.sock.state is state
    h.recv_none()


def test_syn_in_established_gets_challenge_ack(h: TcpHarness) -> None:
    h.establish_passive()
    h.send(SYN, seq=5001)
    assert h.sock.state is S.ESTABLISHED
    assert fields(h.recv_one()) == {
        "control": NONE,
        "seq": 1001,
        "ack": 5001,
        "window": 64,
        "payload": b"",
    }


def test_challenge_acks_are_rate_limited(h: TcpHarness) -> None:
    h.establish_passive()
    sent = 0
    for i in range(15):
        h.send(RST, seq=5002 + i)
        sent += len(h.recv())
    assert sent == 10
    h.advance(1000)
    h.send(RST, seq=5002)
    assert len(h.recv()) == 1


def test_ack_of_unsent_data_gets_challenge_ack(h: TcpHarness) -> None:
    h.establish_passive()
    h.send(seq=5001, ack=3000, payload=b"data")
    assert h.sock.recv_queue == 0  # dropped
    assert fields(h.recv_one())["ack"] == 5001


def test_out_of_window_data_is_acked_not_taken(h: TcpHarness) -> None:
    h.establish_passive()
    h.send(seq=5001 + 64, ack=1001, payload=b"far")
    h.send(seq=4000, ack=1001, payload=b"old")
    assert h.sock.recv_queue == 0
    assert [fields(s)["ack"] for s in h.recv()] == [5001]


def test_data_beyond_window_is_trimmed(h: TcpHarness) -> None:
    h.establish_passive()
    h.send(seq=5001, ack=1001, payload=bytes(range(100)))
    assert h.sock.recv_queue == 64
    assert h.sock.recv() == bytes(range(64))
    assert fields(h.recv_one())["ack"] == 5065


# -- closing -----------------------------------------------------------------------------


def test_simultaneous_close(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.close()
    assert h.recv_one().control == FIN
    h.send(FIN, seq=5001, ack=1001)
    assert h.sock.state is S.CLOSING
    assert fields(h.recv_one())["ack"] == 5002
    h.send(seq=5002, ack=1002)
    assert h.sock.state is S.TIME_WAIT


def test_fin_wait_1_fin_and_ack_together(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.close()
    h.recv_one()
    h.send(FIN, seq=5001, ack=1002)
    assert h.sock.state is S.TIME_WAIT


def test_half_close_keeps_receiving(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.close()
    h.recv_one()
    h.send(seq=5001, ack=1002)
    assert h.sock.state is S.FIN_WAIT_2
    assert h.sock.may_recv()
    h.send(seq=5001, ack=1002, payload=b"more")
    assert h.sock.recv() == b"more"
    assert fields(h.recv_one())["ack"] == 5005


def test_time_wait_rearmed_by_retransmitted_fin(h: TcpHarness) -> None:
    _to_state(h, S.TIME_WAIT)
    h.advance(9000)
    h.send(FIN, seq=5001, ack=1002)  # the peer lost our ACK
    assert fields(h.recv_one())["ack"] == 5002
    h.advance(9000)
    h.recv_none()
    assert h.sock.state is S.TIME_WAIT
    h.advance(1000)
    h.recv_none()
    assert h.sock.state is S.CLOSED


def test_close_in_syn_received_sends_fin_after_handshake(h: TcpHarness) -> None:
    h.listen()
    h.send(SYN, seq=5000)
    h.recv_one()
    h.sock.close()
    h.send(seq=5001, ack=1001)
    assert h.sock.state is S.FIN_WAIT_1
    assert fields(h.recv_one())["control"] == FIN


def test_close_in_syn_sent_and_listen(h: TcpHarness) -> None:
    h.sock.connect(h.cx, REMOTE, LOCAL)
    h.sock.close()
    assert h.sock.state is S.CLOSED
    h.listen()
    h.sock.close()
    assert h.sock.state is S.CLOSED
    assert h.sock.demux_keys() == ()


def test_user_timeout_in_syn_sent(h: TcpHarness) -> None:
    h.sock.set_timeout(Duration.from_millis(2500))
    h.sock.connect(h.cx, REMOTE, LOCAL)
    h.recv_one()
    h.advance(1000)
    assert h.recv_one().control == SYN
    h.advance(1500)
    h.recv_none()  # no RST: the peer never synchronized
    assert h.sock.state is S.CLOSED and h.sock.error == "timed out"


def test_syn_sent_rst_with_bad_ack_is_ignored(h: TcpHarness) -> None:
    h.sock.connect(h.cx, REMOTE, LOCAL)
    h.recv_one()
    assert h.send(RST, seq=0, ack=4242) is None
    assert h.sock.state is S.SYN_SENT


def test_ack_too_old_gets_challenge_ack(h: TcpHarness) -> None:
    h.establish_passive(window=100)
    h.send(seq=5001, ack=1001 - 1000)  # more than MAX.SND.WND below SND.UNA (RFC 5961 5.2)
    assert fields(h.recv_one())["ack"] == 5001
    assert h.sock.state is S.ESTABLISHED


def test_data_after_the_peers_fin_is_ignored(h: TcpHarness) -> None:
    _to_state(h, S.CLOSE_WAIT)
    h.send(seq=5002, ack=1001, payload=b"late")
    assert h.sock.recv_queue == 0
