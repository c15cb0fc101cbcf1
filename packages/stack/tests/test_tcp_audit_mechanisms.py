"""Audit of TCP mechanisms whose rules no other test pinned (each killed a mutant of
process.py that the rest of the TCP suite let through)."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from tcp_harness import Duration, TcpControl, TcpHarness, TcpState, fields

SYN = TcpControl.SYN
RST = TcpControl.RST
NONE = TcpControl.NONE
S = TcpState


def test_a_closed_socket_answers_with_rst() -> None:
    # RFC 9293 3.10.7.1: in CLOSED every segment but a RST draws a RST.
    h = TcpHarness()
    rst = h.deliver(h.seg(seq=7, ack=1234, payload=b"x"), h.sock)
    assert fields(rst) == {"control": RST, "seq": 1234, "ack": None, "window": 0, "payload": b""}
    rst = h.deliver(h.seg(seq=7, payload=b"xy"), h.sock)
    assert fields(rst) == {"control": RST, "seq": 0, "ack": 9, "window": 0, "payload": b""}
    assert h.deliver(h.seg(RST, seq=7), h.sock) is None


def test_a_gap_fill_is_acknowledged_at_once_despite_delayed_ack() -> None:
    # RFC 5681 4.2: "an immediate ACK ... when an incoming segment fills in all or part of
    # a gap in the sequence space".
    h = TcpHarness(rx=1000, ack_delay=Duration.from_millis(40))
    h.establish_passive()
    assert fields(h.send(seq=5011, ack=1001, payload=b"B" * 10))["ack"] == 5001
    ack = h.send(seq=5001, ack=1001, payload=b"A" * 10)  # answered from process(), at once
    assert ack is not None and fields(ack)["ack"] == 5021
    h.recv_none()


def test_window_scale_above_14_is_clamped() -> None:
    # RFC 7323 2.3: a shift above 14 is used as 14.
    h = TcpHarness(tx=1 << 17)
    h.establish_passive(window_scale=15)
    h.sock.set_congestion_control("none")
    h.send(seq=5001, ack=1001, window=2)  # 2 << 14 = 32768 octets (not 65536)
    h.sock.send(bytes(1 << 17))
    sent = sum(len(s.payload) for s in h.recv())
    assert 32768 - 1460 < sent <= 32768


def test_the_window_of_a_syn_ack_is_not_scaled() -> None:
    # RFC 7323 2.2: "The window field in a segment where the SYN bit is set MUST NOT be
    # scaled."
    h = TcpHarness(tx=4000, rx=1 << 18)
    h.establish_active(window=1000, window_scale=4)
    h.sock.send(bytes(3000))
    assert [len(s.payload) for s in h.recv()] == [1000]


def test_an_older_segment_does_not_update_the_send_window() -> None:
    # RFC 9293 3.10.7.4 fifth check: SND.WND only follows segments with SND.WL1 < SEG.SEQ,
    # or SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK (a reordered older segment is stale).
    h = TcpHarness(tx=1000, rx=1000)
    h.establish_passive()
    h.send(seq=5011, ack=1001, window=100, payload=b"B" * 10)  # sent later, arrived first
    h.send(seq=5001, ack=1001, window=60000, payload=b"A" * 10)
    h.recv()
    h.sock.send(bytes(1000))
    assert [len(s.payload) for s in h.recv()] == [100]


def test_without_sack_a_window_change_is_no_duplicate_ack() -> None:
    # RFC 5681 2 (DUPLICATE ACKNOWLEDGMENT, condition e): the advertised window is unchanged.
    h = TcpHarness(tx=2000)
    h.establish_passive(max_seg_size=100)
    h.sock.set_nagle_enabled(False)
    h.sock.send(bytes(500))
    assert len(h.recv()) == 5
    for window in (64000, 64001, 64002):
        h.send(seq=5001, ack=1001, window=window)
    assert h.sock.stats.fast_retransmits == 0
    for _ in range(3):
        h.send(seq=5001, ack=1001, window=64002)
    assert h.sock.stats.fast_retransmits == 1


def test_a_full_ack_at_the_recover_point_ends_recovery() -> None:
    # RFC 6582 3.2 step 3: an ACK that acknowledges all of the data up to and including
    # "recover" ends fast recovery, so the next loss is again repaired by fast retransmit.
    h = TcpHarness(tx=2000)
    h.establish_passive(max_seg_size=100)
    h.sock.set_nagle_enabled(False)
    h.sock.set_congestion_control("reno")
    h.sock.send(bytes(500))
    h.recv()
    for _ in range(3):
        h.send(seq=5001, ack=1001)
    assert fields(h.recv()[0])["seq"] == 1001
    h.send(seq=5001, ack=1501)  # exactly "recover" (SND.MAX at the third dup ACK)
    h.sock.send(bytes(300))
    assert [fields(s)["seq"] for s in h.recv()] == [1501, 1601]  # cwnd = ssthresh = 250
    for _ in range(3):
        h.send(seq=5001, ack=1501)
    assert fields(h.recv()[0])["seq"] == 1501
    assert h.sock.stats.fast_retransmits == 2


def test_zero_window_probe_interval_backs_off_up_to_60_s() -> None:
    # RFC 9293 3.8.6.1: probes back off exponentially; we cap the interval at 60 s (as the RTO).
    h = TcpHarness()
    h.establish_passive(window=0)
    h.sock.send(b"hello")
    h.recv_none()
    times = []
    for _ in range(12):
        at = h.sock.poll_at(h.cx)
        h.at(at.total_micros() / 1000)
        assert fields(h.recv_one())["payload"] == b"h"
        times.append(at.total_millis())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[:3] == [400, 800, 1600]
    assert gaps[-4:] == [51200, 60000, 60000, 60000]


def test_defaults_cubic_and_a_small_delayed_ack() -> None:
    from smoltcp.stack.tcp import TcpSocket

    sock = TcpSocket(1024, 1024)
    assert sock.congestion_control.name == "cubic"
    assert sock.nagle_enabled
    # "configurable, small default": at most Linux's 40 ms minimum, and not zero.
    assert sock.ack_delay is not None and 0 < sock.ack_delay.total_millis() <= 40


def test_a_syn_at_any_sequence_number_gets_a_rate_limited_challenge_ack() -> None:
    # RFC 5961 4.2: "If the SYN bit is set, irrespective of the sequence number, TCP MUST
    # send an ACK (also referred to as challenge ACK)"; section 7: at most so many a second.
    h = TcpHarness()
    h.establish_passive()
    sent = []
    for i in range(15):
        h.send(SYN, seq=5001 + 100_000 * (i + 1))  # far outside the window
        sent += h.recv()
    assert len(sent) == 10
    assert all(fields(s) == {**fields(sent[0]), "ack": 5001} for s in sent)
    assert h.sock.state is S.ESTABLISHED
    h.advance(1000)
    h.send(SYN, seq=1)
    assert len(h.recv()) == 1


def test_early_retransmit_with_a_small_flight() -> None:
    # RFC 5827: two segments out, nothing new to send, the first lost: the one dup ACK the
    # second raises triggers the retransmission (ER_thresh = 2 - 1), not the RTO.
    h = TcpHarness(tx=2000)
    h.establish_passive(max_seg_size=100)
    h.sock.set_nagle_enabled(False)
    h.sock.send(bytes(200))
    assert len(h.recv()) == 2
    h.send(seq=5001, ack=1001)
    rtx = h.recv_one()
    assert fields(rtx)["seq"] == 1001 and len(rtx.payload) == 100
    assert h.sock.stats.fast_retransmits == 1 and h.sock.stats.timeouts == 0
    h.send(seq=5001, ack=1201)
    assert h.sock.send_queue == 0


def test_no_early_retransmit_while_new_data_may_go() -> None:
    # RFC 5827 3.1 applies only when "no previously unsent data is ready": here the
    # application wrote more before the dup ACK came, and that new data goes instead.
    h = TcpHarness(tx=2000)
    h.establish_passive(max_seg_size=100)
    h.sock.set_nagle_enabled(False)
    h.sock.send(bytes(200))
    assert len(h.recv()) == 2
    h.sock.send(bytes(300))
    h.send(seq=5001, ack=1001)
    assert [fields(s)["seq"] for s in h.recv()] == [1201, 1301, 1401]
    assert h.sock.stats.fast_retransmits == 0


def test_a_long_burst_is_acknowledged_every_64_kib() -> None:
    # The interface feeds a whole burst to process() before any dispatch: the ACK owed every
    # second segment (RFC 5681 4.2) would wait for the end of the burst, however long. The
    # stretch is bounded at 64 KiB, as Linux's GRO bounds it (one ACK per aggregate).
    h = TcpHarness(rx=1 << 18, ack_delay=Duration.from_millis(10))
    h.establish_passive(window_scale=0)
    # A bulk receiver's setting (the default is RFC 5681's two segments).
    h.sock.set_ack_stretch(65536)
    h.send(seq=5001, ack=1001, payload=bytes(1000))
    h.advance(10)
    assert fields(h.recv_one())["ack"] == 6001  # a scaled window of 256 KiB is open now
    replies = [h.send(seq=6001 + 1000 * i, ack=1001, payload=bytes(1000)) for i in range(140)]
    assert [fields(r)["ack"] for r in replies if r is not None] == [72001, 138001]
    assert fields(h.recv_one())["ack"] == 146001  # the end of the burst, at once
