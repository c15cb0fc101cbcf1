"""TCP mechanisms through the harness: timers, windows, options, recovery, backlog."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import itertools

from tcp_harness import (
    LOCAL,
    REMOTE,
    Duration,
    TcpControl,
    TcpHarness,
    TcpRepr,
    TcpState,
    TcpTimestampRepr,
    fields,
)

from smoltcp.stack.socket.errors import RecvError

SYN = TcpControl.SYN
FIN = TcpControl.FIN
RST = TcpControl.RST
PSH = TcpControl.PSH
NONE = TcpControl.NONE
S = TcpState


@pytest.fixture
def h() -> TcpHarness:
    return TcpHarness()


def make(**kw: object) -> TcpHarness:
    return TcpHarness(**kw)  # type: ignore[arg-type]


# -- MSS and segmentation ----------------------------------------------------------------


def test_segments_to_peer_mss_several_in_flight() -> None:
    h = make(tx=1000, rx=1000)
    h.establish_passive(max_seg_size=100)
    h.sock.send(bytes(range(250)))
    segs = h.recv()
    # Nagle holds the last, short segment until the data in flight is acknowledged.
    assert [len(s.payload) for s in segs] == [100, 100]
    assert [fields(s)["seq"] for s in segs] == [1001, 1101]
    h.send(seq=5001, ack=1201)
    last = h.recv_one()
    assert fields(last)["seq"] == 1201 and len(last.payload) == 50
    assert last.control == PSH


def test_missing_mss_means_536_and_tiny_mss_is_clamped() -> None:
    h = make(tx=2000)
    h.establish_passive(max_seg_size=None)
    h.sock.set_nagle_enabled(False)
    h.sock.send(bytes(600))
    assert [len(s.payload) for s in h.recv()] == [536, 64]
    h2 = make(tx=2000)
    h2.establish_passive(max_seg_size=1)
    h2.sock.set_nagle_enabled(False)
    h2.sock.send(bytes(100))
    assert [len(s.payload) for s in h2.recv()] == [64, 36]


def test_advertised_mss_follows_ip_mtu() -> None:
    h = make(mtu=9000)
    h.listen()
    h.send(SYN, seq=5000)
    assert h.recv_one().max_seg_size == 8960


# -- window scaling ----------------------------------------------------------------------


def test_window_scaling_with_big_buffers() -> None:
    h = make(rx=1 << 20, tx=1 << 20)
    h.listen()
    h.send(SYN, seq=5000, max_seg_size=1460, window_scale=2)
    synack = h.recv_one()
    assert synack.window_scale == 5  # 2**20 >> 5 fits 16 bits, >> 4 does not
    assert synack.window_len == 0xFFFF  # never scaled in a SYN
    h.send(seq=5001, ack=1001, window=1460)  # 1460 << 2 = 4 segments
    h.sock.set_congestion_control("none")
    h.sock.send(bytes(10000))
    assert [len(s.payload) for s in h.recv()] == [1460] * 4
    h.send(seq=5001, ack=1001, window=1460, payload=b"x")
    ack = h.recv_one()
    assert ack.window_len == ((1 << 20) - 1) >> 5 and ack.ack_number == 5002


def test_no_scaling_unless_both_offer() -> None:
    h = make(rx=1 << 20)
    h.listen()
    h.send(SYN, seq=5000)
    synack = h.recv_one()
    assert synack.window_scale is None and synack.window_len == 0xFFFF
    h.send(seq=5001, ack=1001, payload=b"x")
    # 0xFFFF - 1: the right edge does not move for one octet (receiver SWS avoidance).
    assert h.recv_one().window_len == 0xFFFF - 1


# -- receive side: reassembly, SACK, delayed ACK, SWS ------------------------------------


def test_out_of_order_data_sack_and_gap_fill(h: TcpHarness) -> None:
    h.establish_passive(sack_permitted=True)
    # Out-of-order segments are answered at once, from process(): one dup ACK each.
    dup = h.send(seq=5011, ack=1001, payload=b"B" * 10)
    assert fields(dup)["ack"] == 5001
    assert dup.sack_ranges == ((5011, 5021),)
    assert h.send(seq=5031, ack=1001, payload=b"D" * 5).sack_ranges == ((5031, 5036), (5011, 5021))
    assert h.sock.recv_queue == 0
    h.recv_none()
    ack = h.send(seq=5001, ack=1001, payload=b"A" * 10)  # fills the first gap: ACK at once
    assert fields(ack)["ack"] == 5021 and ack.sack_ranges == ((5031, 5036),)
    assert h.sock.recv() == b"A" * 10 + b"B" * 10


def test_no_sack_blocks_unless_negotiated(h: TcpHarness) -> None:
    h.establish_passive()
    assert h.send(seq=5011, ack=1001, payload=b"B").sack_ranges == ()


def test_fin_beyond_a_hole_is_remembered(h: TcpHarness) -> None:
    h.establish_passive()
    h.send(FIN, seq=5004, ack=1001, payload=b"def")
    assert h.sock.state is S.ESTABLISHED
    h.recv()
    ack = h.send(seq=5001, ack=1001, payload=b"abc")
    assert h.sock.state is S.CLOSE_WAIT
    assert fields(ack)["ack"] == 5008
    assert h.sock.recv() == b"abcdef"
    with pytest.raises(RecvError, match="finished"):
        h.sock.recv()


def test_too_many_holes_drops_the_segment(h: TcpHarness) -> None:
    h.sock.set_max_holes(2)
    h.establish_passive()
    h.send(seq=5003, ack=1001, payload=b"b")
    h.send(seq=5005, ack=1001, payload=b"d")
    h.send(seq=5007, ack=1001, payload=b"f")  # a third range: dropped
    h.recv()
    h.send(seq=5001, ack=1001, payload=b"a")
    h.send(seq=5002, ack=1001, payload=b"x")
    h.send(seq=5004, ack=1001, payload=b"c")
    assert h.sock.recv() == b"axbcd"


def test_delayed_ack() -> None:
    h = make(rx=1000, ack_delay=Duration.from_millis(10))
    h.establish_passive()
    h.send(seq=5001, ack=1001, payload=b"a")
    h.recv_none()
    assert h.sock.poll_at(h.cx).total_millis() == 10
    h.advance(10)
    assert fields(h.recv_one())["ack"] == 5002
    # Every second segment is acknowledged at once.
    h.send(seq=5002, ack=1001, payload=b"b")
    h.send(seq=5003, ack=1001, payload=b"c")
    assert fields(h.recv_one())["ack"] == 5004
    # Out-of-order data at once.
    assert fields(h.send(seq=5010, ack=1001, payload=b"z"))["ack"] == 5004


def test_an_ack_that_would_close_the_window_waits_for_the_application() -> None:
    # A 1024-octet buffer filled by two segments: rather than a zero-window ACK followed by a
    # window update once the application reads, one ACK goes, with the window reopened.
    h = make(rx=1024, ack_delay=Duration.from_millis(10))
    h.establish_passive()
    h.send(seq=5001, ack=1001, payload=bytes(512))
    h.send(seq=5513, ack=1001, payload=bytes(512))
    h.recv_none()
    assert len(h.sock.recv(2048)) == 1024
    assert fields(h.recv_one()) == {
        "control": NONE, "seq": 1001, "ack": 6025, "window": 1024, "payload": b"",
    }  # fmt: skip
    # An application that does not read gets the ACK, window shut, after the ACK delay.
    h.send(seq=6025, ack=1001, payload=bytes(512))
    h.send(seq=6537, ack=1001, payload=bytes(512))
    h.recv_none()
    h.advance(10)
    assert fields(h.recv_one())["window"] == 0
    # A window with room to spare is acknowledged at once, every second segment.
    h.sock.recv(2048)
    h.recv_one()
    h.send(seq=7049, ack=1001, payload=bytes(100))
    h.send(seq=7149, ack=1001, payload=bytes(100))
    assert fields(h.recv_one())["ack"] == 7249


def test_window_update_after_the_application_reads(h: TcpHarness) -> None:
    h.establish_passive()
    h.send(seq=5001, ack=1001, payload=bytes(64))
    assert h.recv_one().window_len == 0
    h.sock.recv(10)  # 10 < min(64 / 2, MSS): receiver SWS avoidance keeps quiet
    h.recv_none()
    h.send(seq=5001, ack=1001, payload=b"old")  # draws an ACK: the window stays shut
    assert fields(h.recv_one())["window"] == 0
    h.sock.recv(30)
    upd = h.recv_one()
    assert fields(upd) == {"control": NONE, "seq": 1001, "ack": 5065, "window": 40, "payload": b""}


# -- send side: Nagle, SWS, zero window, retransmission ----------------------------------


def test_nagle_holds_small_segments_while_data_is_in_flight(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.send(b"a")
    assert len(h.recv()) == 1
    h.sock.send(b"b")
    h.sock.send(b"c")
    h.recv_none()
    h.send(seq=5001, ack=1002)
    assert fields(h.recv_one())["payload"] == b"bc"


def test_nagle_disabled(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.set_nagle_enabled(False)
    h.sock.send(b"a")
    h.recv()
    h.sock.send(b"b")
    assert fields(h.recv_one())["payload"] == b"b"


def test_sender_sws_avoidance() -> None:
    h = make(tx=1000)
    h.establish_passive(window=200, max_seg_size=100)
    h.sock.send(bytes(600))
    assert [len(s.payload) for s in h.recv()] == [100, 100]
    # The peer opens the window by 10 octets only: too little to send while data is in flight.
    h.send(seq=5001, ack=1011, window=200)
    h.recv_none()
    h.send(seq=5001, ack=1201, window=200)
    assert [len(s.payload) for s in h.recv()] == [100, 100]


def test_zero_window_probes_back_off(h: TcpHarness) -> None:
    h.establish_passive(window=0)
    h.sock.send(b"hello")
    h.recv_none()
    # First probe after one RTO (200 ms after the handshake's RTT sample), then doubling.
    times = []
    for _ in range(4):
        at = h.sock.poll_at(h.cx)
        h.at(at.total_micros() / 1000)
        probe = h.recv_one()
        assert fields(probe)["seq"] == 1001 and fields(probe)["payload"] == b"h"
        times.append(at.total_millis())
        h.send(seq=5001, ack=1001, window=0)
        h.recv_none()
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps == [400, 800, 1600]
    h.send(seq=5001, ack=1001, window=100)
    assert fields(h.recv_one())["payload"] == b"hello"
    assert h.sock.stats.retransmissions == 0


def test_zero_window_probe_accepted(h: TcpHarness) -> None:
    h.establish_passive(window=0)
    h.sock.send(b"hello")
    h.recv()
    h.at(h.sock.poll_at(h.cx).total_micros() / 1000)
    assert fields(h.recv_one())["payload"] == b"h"
    h.send(seq=5001, ack=1002, window=10)
    assert fields(h.recv_one()) == {
        "control": PSH,
        "seq": 1002,
        "ack": 5001,
        "window": 64,
        "payload": b"ello",
    }


def test_retransmission_timeout_backs_off(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.send(b"data")
    assert len(h.recv()) == 1
    # The handshake took 0 s: RTO = min RTO (200 ms); then 400, 800 ms.
    for wait in (200, 400, 800):
        h.advance(wait - 1)
        h.recv_none()
        h.advance(1)
        seg = h.recv_one()
        assert fields(seg)["seq"] == 1001 and fields(seg)["payload"] == b"data"
    st = h.sock.stats
    assert st.retransmissions == 3 and st.timeouts == 3
    h.send(seq=5001, ack=1005)
    assert h.sock.send_queue == 0
    assert h.sock.poll_at(h.cx) is None


def test_go_back_n_after_timeout() -> None:
    h = make(tx=1000)
    h.establish_passive(max_seg_size=100)
    h.sock.send(bytes(300))
    assert len(h.recv()) == 3
    h.advance(200)
    segs = h.recv()
    # cwnd collapses to one segment (RFC 5681 3.1): only the first is resent.
    assert [fields(s)["seq"] for s in segs] == [1001]
    h.send(seq=5001, ack=1101)
    assert [fields(s)["seq"] for s in h.recv()] == [1101, 1201]


def test_fin_retransmitted(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.close()
    assert h.recv_one().control == FIN
    h.advance(200)
    fin = h.recv_one()
    assert fields(fin) == {"control": FIN, "seq": 1001, "ack": 5001, "window": 64, "payload": b""}


def test_fast_retransmit_on_three_dup_acks() -> None:
    h = make(tx=2000)
    h.establish_passive(max_seg_size=100)
    h.sock.set_nagle_enabled(False)
    h.sock.send(bytes(range(250)) * 2)
    segs = h.recv()
    assert len(segs) == 5
    for _ in range(2):
        h.send(seq=5001, ack=1001)
        h.recv_none()
    h.send(seq=5001, ack=1001)
    rtx = h.recv_one()
    assert fields(rtx)["seq"] == 1001 and len(rtx.payload) == 100
    assert h.sock.stats.fast_retransmits == 1
    # A partial ACK (NewReno): the next hole goes at once.
    h.send(seq=5001, ack=1101)
    assert fields(h.recv()[0])["seq"] == 1101
    h.send(seq=5001, ack=1501)
    assert h.sock.send_queue == 0


def test_sack_recovery_retransmits_only_holes() -> None:
    h = make(tx=2000)
    h.establish_passive(max_seg_size=100, sack_permitted=True)
    h.sock.set_nagle_enabled(False)
    h.sock.send(bytes(500))
    assert len(h.recv()) == 5
    # Segments 1 and 3 lost: the peer SACKs 2, 4, 5.
    h.send(seq=5001, ack=1001, sack_ranges=((1101, 1201),))
    h.send(seq=5001, ack=1001, sack_ranges=((1301, 1401), (1101, 1201)))
    h.send(seq=5001, ack=1001, sack_ranges=((1301, 1501), (1101, 1201)))
    out = h.recv()
    seqs = [fields(s)["seq"] for s in out]
    assert seqs[0] == 1001
    assert 1101 not in seqs and 1301 not in seqs and 1401 not in seqs
    assert h.sock.stats.sacked_bytes == 300


# -- tail loss probe (RFC 8985 7) ---------------------------------------------------------


def tail_lost(**syn: object) -> TcpHarness:
    """Three segments out, the first acknowledged 10 ms later: two are missing at the tail."""
    h = make(tx=2000)
    h.establish_passive(max_seg_size=100, **syn)
    h.sock.set_nagle_enabled(False)
    h.sock.send(bytes(300))
    assert len(h.recv()) == 3
    h.advance(10)
    h.send(seq=5001, ack=1101)
    h.recv_none()
    return h


def until_next_timer(h: TcpHarness) -> float:
    """Milliseconds until the socket's next timer."""
    return (h.sock.poll_at(h.cx).micros - h.now.micros) / 1000


def probe(h: TcpHarness) -> TcpRepr:
    """Let the probe timeout pass: return the one segment sent."""
    wait = until_next_timer(h)
    assert wait < h.sock.stats.rto.total_millis() / 2, "the probe goes well before the RTO"
    h.advance(wait - 0.001)
    h.recv_none()
    h.advance(0.001)
    (seg,) = h.recv()
    assert h.sock.stats.loss_probes == 1 and h.sock.stats.timeouts == 0
    return seg


def test_a_tail_loss_probe_turns_an_rto_into_fast_recovery() -> None:
    h = tail_lost(sack_permitted=True)
    # The probe resends the last segment sent (RFC 8985 7.3: no new data is waiting).
    seg = probe(h)
    assert fields(seg)["seq"] == 1201 and len(seg.payload) == 100
    # It draws a SACK: 1101 is lost, and goes at once (early retransmit), not after the RTO.
    h.send(seq=5001, ack=1101, sack_ranges=((1201, 1301),))
    (rtx,) = h.recv()
    assert fields(rtx)["seq"] == 1101
    h.send(seq=5001, ack=1301)
    assert h.sock.send_queue == 0
    stats = h.sock.stats
    assert stats.timeouts == 0 and stats.fast_retransmits == 1
    # The loss was answered by fast recovery: the probe adds no reduction of its own.
    assert stats.loss_probe_repairs == 0


def test_a_first_flight_lost_whole_is_probed_too() -> None:
    # No ACK at all after an idle start: the probe is armed by the sending itself.
    h = make(tx=2000)
    h.establish_passive(max_seg_size=100, sack_permitted=True)
    h.sock.set_nagle_enabled(False)
    h.sock.send(bytes(300))
    assert len(h.recv()) == 3
    seg = probe(h)
    assert fields(seg)["seq"] == 1201


def test_a_probe_that_repairs_the_tail_reduces_the_window() -> None:
    h = tail_lost(sack_permitted=True)
    probe(h)
    cwnd = h.sock.stats.cwnd
    # Only the last segment was lost: the probe's ACK covers everything, with no D-SACK.
    h.send(seq=5001, ack=1301)
    assert h.sock.stats.loss_probe_repairs == 1
    assert h.sock.stats.cwnd < cwnd


def test_a_probe_the_peer_reports_as_duplicate_costs_no_window() -> None:
    h = tail_lost(sack_permitted=True)
    probe(h)
    cwnd = h.sock.stats.cwnd
    # Everything had arrived (the ACKs were lost): the peer D-SACKs the probe (RFC 2883).
    h.send(seq=5001, ack=1301, sack_ranges=((1201, 1301),))
    assert h.sock.stats.loss_probe_repairs == 0
    assert h.sock.stats.cwnd >= cwnd


@pytest.mark.parametrize("block_end", [1101, 1102])
def test_a_duplicate_probe_of_a_whole_window_and_its_fin_costs_no_window(block_end: int) -> None:
    # The probe resends the only segment: the peer's whole window (100) and our FIN. Its
    # D-SACK lies 101 sequence numbers below the ACK (the FIN's one is beyond the window):
    # still a duplicate of one flight, whether the block ends before the FIN or after it.
    h = make(tx=2000)
    h.establish_passive(max_seg_size=100, sack_permitted=True, window=100)
    h.sock.set_nagle_enabled(False)
    h.sock.send(bytes(100))
    h.sock.close()
    h.recv()
    seg = probe(h)
    assert fields(seg)["seq"] == 1001 and seg.control == FIN
    cwnd = h.sock.stats.cwnd
    h.send(seq=5001, ack=1102, window=100, sack_ranges=((1001, block_end),))
    assert h.sock.stats.loss_probe_repairs == 0
    assert h.sock.stats.cwnd >= cwnd


def test_one_probe_per_flight_and_none_without_sack() -> None:
    h = tail_lost(sack_permitted=True)
    probe(h)
    # No second probe: the next timer is the RTO, restarted by the probe.
    assert until_next_timer(h) == h.sock.stats.rto.total_millis()
    # Without SACK the receiver could not say what arrived: no probe, only the RTO.
    h = tail_lost()
    assert until_next_timer(h) == h.sock.stats.rto.total_millis()
    h.advance(until_next_timer(h))
    h.recv()
    assert h.sock.stats.loss_probes == 0 and h.sock.stats.timeouts == 1


# -- timestamps, PAWS --------------------------------------------------------------------


def test_timestamps_negotiated_echoed_and_paws(h: TcpHarness) -> None:
    h.listen()
    h.send(SYN, seq=5000, timestamp=TcpTimestampRepr(100, 0))
    synack = h.recv_one()
    assert synack.timestamp.tsecr == 100
    ours = synack.timestamp.tsval
    h.send(seq=5001, ack=1001, timestamp=TcpTimestampRepr(101, ours))
    h.send(seq=5001, ack=1001, payload=b"new", timestamp=TcpTimestampRepr(105, ours))
    ack = h.recv_one()
    assert ack.timestamp.tsecr == 105
    # PAWS: an older TSval is a stale duplicate, ACKed and dropped.
    h.send(seq=5004, ack=1001, payload=b"old", timestamp=TcpTimestampRepr(50, ours))
    assert h.sock.recv_queue == 3
    assert fields(h.recv_one())["ack"] == 5004


def test_timestamps_give_rtt_samples(h: TcpHarness) -> None:
    h.listen()
    h.send(SYN, seq=5000, timestamp=TcpTimestampRepr(1, 0))
    ours = h.recv_one().timestamp.tsval
    h.advance(30)
    h.send(seq=5001, ack=1001, timestamp=TcpTimestampRepr(2, ours))
    assert h.sock.stats.rtt == Duration.from_millis(30)


# -- keep-alive and user timeout ---------------------------------------------------------


def test_keep_alive(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.set_keep_alive(Duration.from_secs(5))
    h.advance(4999)
    h.recv_none()
    h.advance(1)
    ka = h.recv_one()
    assert fields(ka) == {"control": NONE, "seq": 1000, "ack": 5001, "window": 64, "payload": b""}
    h.send(seq=5001, ack=1001)
    h.advance(4999)
    h.recv_none()


def test_user_timeout_aborts_silent_connection(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.set_timeout(Duration.from_secs(2))
    h.sock.send(b"x")
    h.recv()
    for _ in range(20):
        at = h.sock.poll_at(h.cx)
        if at is None:
            break
        h.at(at.total_micros() / 1000)
        segs = h.recv()
        if segs and segs[-1].control == RST:
            break
    assert h.sock.state is S.CLOSED
    assert h.now.total_millis() == 2000
    assert h.sock.error == "timed out"
    with pytest.raises(RecvError, match="timed out"):
        h.sock.recv()


# -- sequence wrap-around ----------------------------------------------------------------


def test_sequence_numbers_wrap() -> None:
    h = make(iss=2**32 - 3, tx=1000, rx=1000)
    h.establish_passive(peer_iss=2**32 - 2)
    h.sock.send(b"0123456789")
    seg = h.recv_one()
    assert fields(seg)["seq"] == 2**32 - 2 and fields(seg)["ack"] == 2**32 - 1
    h.send(seq=2**32 - 1, ack=8, payload=b"abcdef")
    assert h.sock.send_queue == 0
    assert fields(h.recv_one())["ack"] == 5
    assert h.sock.recv() == b"abcdef"
    h.send(seq=5, ack=8, payload=b"gh")
    assert fields(h.recv_one())["ack"] == 7


# -- listener backlog --------------------------------------------------------------------


def test_backlog_listener_children_accepted_in_order(h: TcpHarness) -> None:
    h.listen(backlog=2)
    h.send(SYN, seq=100, src_port=1001)
    h.send(SYN, seq=200, src_port=1002)
    h.send(SYN, seq=300, src_port=1003)  # backlog full: dropped
    assert h.sock.state is S.LISTEN
    assert h.sock.backlog == 2
    children = [s for hd, s in h.set.sockets.items() if hd != h.handle]
    assert [c.state for c in children] == [S.SYN_RECEIVED, S.SYN_RECEIVED]
    assert h.sock.accept() is None
    synacks = [h.recv_one(c) for c in children]
    assert [fields(s)["ack"] for s in synacks] == [101, 201]
    # Only established children are handed out, the first to complete first.
    h.deliver(h.seg(seq=201, ack=1001, src_port=1002))
    h.advance(1)
    h.deliver(h.seg(seq=101, ack=1001, src_port=1001, payload=b"hi"))
    first = h.sock.accept()
    second = h.sock.accept()
    assert h.sock.accept() is None
    assert h.set.get(first).remote_endpoint.port == 1002
    child = h.set.get(second)
    assert child.remote_endpoint.port == 1001 and child.recv() == b"hi"
    # Room again: the third client's retry is taken.
    h.send(SYN, seq=300, src_port=1003)
    assert h.sock.backlog == 1


def test_backlog_child_reset_is_dropped(h: TcpHarness) -> None:
    h.listen(backlog=1)
    h.send(SYN, seq=100, src_port=1001)
    h.deliver(h.seg(RST, seq=101, src_port=1001))
    assert h.sock.accept() is None
    assert h.sock.backlog == 0
    assert len(h.set.sockets) == 1


def test_backlog_children_inherit_settings(h: TcpHarness) -> None:
    h.sock.set_nagle_enabled(False)
    h.sock.set_keep_alive(Duration.from_secs(7))
    assert h.sock.rack_enabled
    h.sock.set_rack_enabled(False)
    h.listen(backlog=1)
    h.send(SYN, seq=100, src_port=1001)
    child = next(s for hd, s in h.set.sockets.items() if hd != h.handle)
    assert not child.nagle_enabled and child.keep_alive == Duration.from_secs(7)
    assert not child.rack_enabled
    assert child.recv_capacity == h.sock.recv_capacity
    assert child.local_endpoint == (LOCAL.addr, LOCAL.port)
    assert child.remote_endpoint == (REMOTE.addr, 1001)


def test_data_segments_shrink_for_sack_blocks() -> None:
    h = make(tx=1000, mtu=140)  # MSS 100
    h.establish_passive(sack_permitted=True)
    h.sock.set_nagle_enabled(False)
    h.send(seq=5011, ack=1001, payload=b"later")  # a hole: our segments now carry a SACK block
    h.sock.send(bytes(200))
    segs = h.recv()
    assert [len(s.payload) for s in segs] == [88, 88, 24]
    assert all(s.sack_ranges == ((5011, 5016),) for s in segs)


def test_pure_ack_seq_stays_inside_the_peer_window(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.send(b"0123456789")
    h.recv()
    # The peer took nothing and closed its window: SND.MAX (1011) is past its right edge.
    h.send(seq=5001, ack=1001, window=0)
    h.send(seq=5001, ack=1001, window=0, payload=b"x")
    assert fields(h.recv_one())["seq"] == 1001


def test_pure_ack_seq_is_snd_max_when_nothing_is_in_flight(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.send(b"0123456789")
    h.recv()
    # Everything acknowledged, the window closed, nothing queued: SND.MAX (1011) is the
    # window's right edge itself.
    h.send(seq=5001, ack=1011, window=0)
    h.send(seq=5001, ack=1011, window=0, payload=b"x")
    ack = fields(h.recv_one())
    assert (ack["seq"], ack["ack"]) == (1011, 5002)


def test_sack_dup_acks_count_even_when_the_window_moves() -> None:
    h = make(tx=2000)
    h.establish_passive(max_seg_size=100, sack_permitted=True)
    h.sock.set_nagle_enabled(False)
    h.sock.send(bytes(500))
    h.recv()
    for i, right in enumerate((1201, 1301, 1401)):
        h.send(seq=5001, ack=1001, window=64000 + i, sack_ranges=((1101, right),))
    assert fields(h.recv()[0])["seq"] == 1001
    assert h.sock.stats.fast_retransmits == 1


def test_timeout_resends_only_what_is_not_sacked() -> None:
    h = make(tx=2000)
    h.establish_passive(max_seg_size=100, sack_permitted=True)
    h.sock.set_nagle_enabled(False)
    h.sock.set_congestion_control("none")
    h.sock.send(bytes(500))
    assert len(h.recv()) == 5
    # One SACK (not enough for fast retransmit), then silence until the RTO.
    h.send(seq=5001, ack=1001, sack_ranges=((1101, 1301),))
    h.advance(200)
    seqs = [(fields(s)["seq"], len(s.payload)) for s in h.recv()]
    assert seqs == [(1001, 100), (1301, 100), (1401, 100)]


def test_new_syn_reopens_a_four_tuple_in_time_wait(h: TcpHarness) -> None:
    h.listen(backlog=2)
    h.send(SYN, seq=100, src_port=1001)
    h.recv(next(s for s in h.set.sockets.values() if s is not h.sock))
    h.deliver(h.seg(seq=101, ack=1001, src_port=1001))
    handle = h.sock.accept()
    child = h.set.get(handle)
    child.close()  # we close first: the child ends in TIME-WAIT
    h.recv(child)
    h.deliver(h.seg(FIN, seq=101, ack=1002, src_port=1001))
    assert child.state is S.TIME_WAIT
    h.recv(child)
    # The client reuses its port at once with a higher sequence number.
    h.deliver(h.seg(SYN, seq=90_000, src_port=1001))
    assert child.state is S.CLOSED
    new = [s for s in h.set.sockets.values() if s is not h.sock and s.state is S.SYN_RECEIVED]
    assert len(new) == 1 and fields(h.recv_one(new[0]))["ack"] == 90_001


def test_empty_segment_below_rcv_nxt_but_not_below_last_ack_counts() -> None:
    h = make(ack_delay=Duration.from_millis(10))
    h.establish_passive()
    h.sock.send(b"abc")
    h.recv()
    h.send(seq=5001, ack=1001, payload=b"hello")  # RCV.NXT 5006, our last ACK said 5001
    h.send(seq=5001, ack=1004)  # a peer that rewound its SND.NXT: still acks our data
    assert h.sock.send_queue == 0
    h.recv_none()  # the data's ACK is still delayed
    h.send(seq=4990, ack=1004)  # below the last ACK sent: not acceptable, ACKed at once
    assert fields(h.recv_one())["ack"] == 5006


def test_zero_window_probe_from_the_peer_is_answered(h: TcpHarness) -> None:
    h.establish_passive()
    h.send(seq=5001, ack=1001, payload=bytes(64))
    assert h.recv_one().window_len == 0
    ack = h.send(seq=5065, ack=1001, payload=b"p")  # the peer's probe: not taken, ACKed at once
    assert fields(ack) == {"control": NONE, "seq": 1001, "ack": 5065, "window": 0, "payload": b""}
    assert h.sock.recv_queue == 64


def test_limited_transmit() -> None:
    h = make(tx=2000)
    h.establish_passive(max_seg_size=100)
    h.sock.set_nagle_enabled(False)
    h.sock.set_congestion_control("reno")
    h.sock.send(bytes(2000))
    first = h.recv()
    n = len(first)  # the initial window
    h.send(seq=5001, ack=1001)
    one = h.recv()
    h.send(seq=5001, ack=1001)
    two = h.recv()
    assert [fields(s)["seq"] for s in one + two] == [1001 + 100 * n, 1101 + 100 * n]
    h.send(seq=5001, ack=1001)
    assert fields(h.recv()[0])["seq"] == 1001  # the third dup ACK: fast retransmit


def test_window_closed_under_data_in_flight_falls_back_to_probes(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.send(b"0123456789")
    h.recv()
    h.send(seq=5001, ack=1001, window=0)  # the peer took nothing and shut its window
    probes = []
    for _ in range(6):
        at = h.sock.poll_at(h.cx)
        assert at is not None, "stalled: neither retransmission nor probe armed"
        h.at(at.total_micros() / 1000)
        probes += h.recv()
    assert probes and all(fields(p)["seq"] == 1001 for p in probes)
    assert all(len(p.payload) <= 1 for p in probes)
    h.send(seq=5001, ack=1001, window=100)  # the window update finally arrives
    assert fields(h.recv()[0])["payload"] == b"0123456789"


def test_keep_alive_due_while_data_is_outstanding_does_not_spin(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.set_keep_alive(Duration.from_millis(300))
    h.sock.send(b"data")
    h.recv()
    sent = []
    for _ in range(8):  # the harness checks poll_at > now after every drain
        h.at(h.sock.poll_at(h.cx).total_micros() / 1000)
        sent += h.recv()
    assert all(fields(s)["payload"] == b"data" for s in sent)  # retransmissions only
