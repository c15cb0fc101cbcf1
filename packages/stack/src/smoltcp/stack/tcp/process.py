"""Segment arrival: RFC 9293 section 3.10.7, with RFC 5961, RFC 7323 and RFC 2018.

`SegmentArrives` takes each segment the interface hands the socket. `process` returns an
immediate reply only for RSTs and the ACKs of out-of-order data; every other segment we owe
the peer (ACKs, challenge ACKs, SYN-ACKs, data) goes out through `dispatch`. The methods
follow the RFC's order: LISTEN (in listener.py), SYN-SENT (3.10.7.3), then the eight checks
of 3.10.7.4 for the synchronized states; every change of state they make is one of
`state.TRANSITIONS`. Octets go to `receive.Receiver`, acknowledgments to
`recovery.Recovery`; a segment for a listening socket goes to `listener.Listener`.

Header prediction (Van Jacobson's idea, as BSD and Linux have it): in ESTABLISHED, the two
segments that make up nearly all of a one-way transfer, a pure ACK of new data and in-order
text that acknowledges nothing new, are recognised by a few tests and taken by
`predicted_ack` and `predicted_data`, which skip the checks that cannot apply to them and
leave exactly the state, replies, timers, counters and trace records the general path
would (tests/test_tcp_header_prediction.py compares the two). Every other segment takes the
general path.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from smoltcp.stack.tcp.demux import listen_key
from smoltcp.stack.tcp.icmp import path_mtu
from smoltcp.stack.tcp.receive import window_left
from smoltcp.stack.tcp.send import CHRONO_IDLE
from smoltcp.stack.tcp.seq import SEQ_HALF, SEQ_MASK
from smoltcp.stack.tcp.seq import SEQ_MOD as _SEQ_MOD
from smoltcp.stack.tcp.seq import int_sub as _int_sub
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.tcp.tcb import Context, IpRepr, Part, Reply
from smoltcp.stack.tcp.trace import LossAction
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import TcpControl, TcpRepr, TcpSeqNumber, ip_repr

if TYPE_CHECKING:
    from smoltcp.stack.tcp.socket import TcpSocket

__all__ = ["CHALLENGE_ACK_LIMIT", "STRETCH_ACK_LIMIT", "TIME_WAIT_TIMEOUT", "SegmentArrives"]

_log = logging.getLogger("smoltcp.stack.tcp")

_CLOSED = TcpState.CLOSED
_LISTEN = TcpState.LISTEN
_SYN_SENT = TcpState.SYN_SENT
_SYN_RECEIVED = TcpState.SYN_RECEIVED
_ESTABLISHED = TcpState.ESTABLISHED
_FIN_WAIT_1 = TcpState.FIN_WAIT_1
_FIN_WAIT_2 = TcpState.FIN_WAIT_2
_CLOSE_WAIT = TcpState.CLOSE_WAIT
_CLOSING = TcpState.CLOSING
_LAST_ACK = TcpState.LAST_ACK
_TIME_WAIT = TcpState.TIME_WAIT

_RST = TcpControl.RST
_SYN = TcpControl.SYN
_FIN = TcpControl.FIN
_NONE = TcpControl.NONE
_PSH = TcpControl.PSH

# The states in which the peer may still send data (its FIN not yet received).
_RECEIVING = frozenset((_ESTABLISHED, _FIN_WAIT_1, _FIN_WAIT_2))
# The states in which our FIN has been queued (it is sent once the data before it is).
_FIN_QUEUED = frozenset((_FIN_WAIT_1, _CLOSING, _LAST_ACK))

# RFC 9293 3.4.2: the TIME-WAIT period (2 MSL); smoltcp uses 10 s.
TIME_WAIT_TIMEOUT = Duration.from_secs(10).micros
# RFC 5961 7: at most this many challenge ACKs per second per connection.
CHALLENGE_ACK_LIMIT = 10
_SECOND = 1_000_000
# The longest the ACK of a FIN that takes ESTABLISHED to CLOSE-WAIT waits for the
# application's own FIN (`SegmentArrives.on_fin`), in microseconds: Linux's shortest delayed
# ACK, far below the minimum RTO of this stack and of Linux (200 ms).
FIN_ACK_DELAY = 40_000
# In-order octets received without sending an ACK, at most (see the end of
# `_process_synchronized`). RFC 5681 4.2 asks for an ACK every second full-sized segment,
# which is the default; `TcpSocket.set_ack_stretch(STRETCH_ACK_LIMIT)` ACKs every 64 KiB
# instead, as Linux does per GRO aggregate, because an ACK per two segments costs pure
# Python about 40 % of its receive throughput (measured with bench/tcp_bench.py): for bulk
# receivers.
STRETCH_ACK_LIMIT = 65536
# The smallest send MSS we accept: smaller advertised values are clamped up to it (a peer
# must not make us send 1-octet segments; Linux clamps to 48 the same way).
_MIN_MSS = 64


class SegmentArrives(Part):
    """RFC 9293 3.10.7 for one connection (see the module docstring)."""

    __slots__ = ("challenge_at", "challenge_count")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the connection's challenge-ACK rate limit (RFC 5961 7)."""
        self.challenge_at = 0
        self.challenge_count = 0

    def process(self, cx: Context, now: Instant, ip: IpRepr, seg: TcpRepr) -> Reply | None:
        """Take one segment addressed to this socket; return an immediate reply or None."""
        tcb = self.tcb
        tcb.n_seg_in += 1
        tcb.clock = tcb.last_recv_at = now.micros
        st = tcb.state
        if st is _LISTEN:
            return self.lst.process_listen(cx, now, ip, seg)
        if st is _SYN_SENT:
            return self.process_syn_sent(cx, now, ip, seg)
        if st is _CLOSED:
            # 3.10.7.1: everything but a RST is answered with a RST.
            return None if seg.control is _RST else rst_for(ip, seg)
        if st is _ESTABLISHED and seg.seq_number == tcb.rcv_nxt and not seg.sack_ranges:
            # Header prediction (see `predicted_ack`, `predicted_data`): the two common
            # segments of a one-way transfer skip the general path's checks.
            ctl = seg.control
            ack = seg.ack_number
            ts = seg.timestamp
            if (
                (ctl is _NONE or ctl is _PSH)
                and ack is not None
                and seg.window_len << tcb.snd_shift == tcb.snd_wnd
                and (
                    not tcb.ts_ok
                    or (ts is not None and (ts.tsval - tcb.ts_recent) & SEQ_MASK < SEQ_HALF)
                )
            ):
                payload = seg.payload
                una = tcb.snd_una
                if payload:
                    rcv = self.rcv
                    if (
                        ack == una
                        and len(payload) <= tcb.rx.window()
                        and rcv.rcv_fin_seq is None
                        and rcv.assembler.is_empty()
                    ):
                        return self.predicted_data(cx, now, ip, seg, payload)
                else:
                    acked = _int_sub(ack, una) & SEQ_MASK
                    flight = _int_sub(tcb.snd_max, una) & SEQ_MASK
                    # (With SEG.ACK in (SND.UNA, SND.MAX] and the flight below half the
                    # space, SEG.ACK > SND.MAX fails whether a probe is out or not.)
                    if 0 < acked <= flight < SEQ_HALF and acked + tcb.max_snd_wnd <= SEQ_HALF:
                        return self.predicted_ack(cx, now, ip, seg, ack, acked, flight)
        return self.process_synchronized(cx, now, ip, seg)

    def predicted_ack(
        self,
        cx: Context,
        now: Instant,
        ip: IpRepr,
        seg: TcpRepr,
        ack: TcpSeqNumber,
        acked: int,
        flight: int,
    ) -> Reply | None:
        """Take a pure ACK of new data, as `process` predicted it: ESTABLISHED, SEG.SEQ =
        RCV.NXT, only ACK (and PSH), SND.UNA < SEG.ACK =< SND.MAX, the window unchanged, the
        timestamp (when in use) not older than TS.Recent, no SACK block, no text.

        Why the general path's checks have nothing to say about it: PAWS passes; a
        segment with no text at RCV.NXT is acceptable whatever the window (3.10.7.4 first
        check); there is no RST, SYN, URG or FIN; SEG.ACK lies in (SND.UNA, SND.MAX] and
        within MAX.SND.WND (RFC 5961 5.2): so what remains is the fifth check's new
        acknowledgment (`on_ack`), then TS.Recent and the keep-alive timer, in that order.
        """
        tcb = self.tcb
        t = tcb.progress_at = tcb.clock
        self.on_ack(now, t, seg, ack, acked, flight)
        if tcb.state is _CLOSED:
            return None
        # RFC 7323 4.3, as in `process_synchronized` (SEG.SEQ = RCV.NXT here).
        if tcb.ts_ok and _int_sub(tcb.last_ack_sent, seg.seq_number) & SEQ_MASK < SEQ_HALF:
            tcb.ts_recent = seg.timestamp.tsval  # type: ignore[union-attr]
        if tcb.keep_alive is not None:
            tcb.keepalive_at = t + tcb.keep_alive
        return None

    def predicted_data(
        self, cx: Context, now: Instant, ip: IpRepr, seg: TcpRepr, payload: bytes | memoryview
    ) -> Reply | None:
        """Take in-order text, as `process` predicted it: ESTABLISHED, SEG.SEQ = RCV.NXT,
        only ACK (and PSH), SEG.ACK = SND.UNA, the window unchanged, the timestamp (when in
        use) not older than TS.Recent, no SACK block, and the text fits the receive buffer,
        which holds nothing out of order (nor a FIN beyond a hole).

        Why the general path's checks have nothing to say about it: PAWS passes; text at
        RCV.NXT is acceptable whatever the window (3.10.7.4 first check; what the buffer
        cannot hold is trimmed, and here nothing is); there is no RST, SYN, URG or FIN;
        SEG.ACK = SND.UNA acknowledges nothing and is no duplicate ACK (it carries text), so
        the fifth check only applies the SND.WL1/WL2 rule, to an unchanged window. What
        remains: the window rule, TS.Recent, the keep-alive timer, the text (`receive_data`)
        and the bound on ACKs held back, in the general path's order.
        """
        tcb = self.tcb
        seq = seg.seq_number
        t = tcb.progress_at = tcb.clock
        ack = tcb.snd_una  # = SEG.ACK, as predicted
        # `update_window` with the window unchanged: SND.WL1/WL2 move when the rule lets them
        # (MAX.SND.WND only as it would there); nothing reopens, so nothing wakes.
        wl1_to_seq = _int_sub(seq, tcb.snd_wl1) & SEQ_MASK
        if 0 < wl1_to_seq < SEQ_HALF or (
            wl1_to_seq == 0 and _int_sub(ack, tcb.snd_wl2) & SEQ_MASK < SEQ_HALF
        ):
            tcb.snd_wl1 = seq
            tcb.snd_wl2 = ack
            if tcb.snd_wnd > tcb.max_snd_wnd:
                tcb.max_snd_wnd = tcb.snd_wnd
        if tcb.ts_ok and _int_sub(tcb.last_ack_sent, seq) & SEQ_MASK < SEQ_HALF:
            tcb.ts_recent = seg.timestamp.tsval  # type: ignore[union-attr]
        if tcb.keep_alive is not None:
            tcb.keepalive_at = t + tcb.keep_alive
        # The text, in order with no hole (SEG.SEQ - RCV.NXT = 0), that the buffer holds whole.
        self.rcv.receive_data(t, seq, 0, payload)
        return self.stretch_ack(cx, t)

    def accept_syn(self, cx: Context, now: Instant, ip: IpRepr, seg: TcpRepr) -> None:
        """Record the peer's SYN: IRS, MSS and the options both ends agree on (RFC 7323, 2018)."""
        tcb = self.tcb
        tcb.irs = seg.seq_number
        tcb.rcv_nxt = seg.seq_number + 1
        tcb.rcv_adv = tcb.rcv_nxt
        tcb.last_ack_sent = tcb.rcv_nxt
        mss = seg.max_seg_size
        if mss is None:
            mss = 536
        # Clamp a tiny or huge advertised MSS: not below _MIN_MSS (a peer must not make us
        # send runts), but never above what our own IP MTU carries.
        headers = 60 if ip.version == 6 else 40  # IP + TCP headers (RFC 8200 8.3)
        tcb.peer_mss = min(max(_MIN_MSS, mss), max(1, path_mtu(cx, ip.src_addr) - headers))
        if seg.window_scale is not None and (tcb.state is _LISTEN or tcb.ws_ok):
            tcb.ws_ok = True
            tcb.snd_shift = min(seg.window_scale, 14)
        else:
            # Both ends must send the option (RFC 7323 2.2); otherwise neither shift applies.
            tcb.ws_ok = False
            tcb.snd_shift = 0
            tcb.rcv_shift = 0
        ts = seg.timestamp
        if ts is not None and (tcb.state is _LISTEN or tcb.ts_ok):
            tcb.ts_ok = True
            tcb.ts_recent = ts.tsval
        else:
            tcb.ts_ok = False
        tcb.sack_ok = seg.sack_permitted and (tcb.state is _LISTEN or tcb.sack_ok)
        tcb.snd_mss = max(1, tcb.peer_mss - (12 if tcb.ts_ok else 0))
        # The SYN's window is never scaled (RFC 7323 2.2).
        tcb.snd_wnd = seg.window_len
        tcb.max_snd_wnd = max(tcb.max_snd_wnd, tcb.snd_wnd)
        tcb.snd_wl1 = seg.seq_number

    def process_syn_sent(self, cx: Context, now: Instant, ip: IpRepr, seg: TcpRepr) -> Reply | None:
        """RFC 9293 3.10.7.3: a segment arrives in SYN-SENT."""
        tcb = self.tcb
        ack = seg.ack_number
        ctl = seg.control
        # First: the ACK bit. ISS < SEG.ACK =< SND.NXT, or a reset (unless it is a RST).
        if ack is not None and not (tcb.snd_una < ack <= tcb.snd_nxt):
            return None if ctl is _RST else rst_for(ip, seg)
        # Second: the RST bit. Only with an acceptable ACK (RFC 5961 3.2 for SYN-SENT).
        if ctl is _RST:
            if ack is not None:
                tcb.error = "refused"
                self.sock._to_closed()
            return None
        # Third (security): nothing to check. Fourth: the SYN bit; without it, drop.
        # (Text on a SYN is dropped: the peer retransmits it once synchronized.)
        if ctl is not _SYN:
            return None
        self.accept_syn(cx, now, ip, seg)
        tcb.progress_at = now.micros
        if ack is not None:
            # Our SYN is acknowledged: ESTABLISHED, acknowledge theirs at once.
            self.rec.rtt_sample_syn(now, seg)
            tcb.snd_una = ack
            self.rec.rto_at = None
            self.rec.syn_rtx = False
            tcb.snd_wl2 = ack
            self.established(now)
            self.rcv.ack_now = True
        else:
            # Simultaneous open (3.10.7.3 fifth step): answer with SYN-ACK from the same ISS.
            tcb.set_state(_SYN_RECEIVED)
            tcb.snd_nxt = tcb.iss
            self.rec.rto_at = None
        self.sock._wake()
        return None

    def established(self, now: Instant) -> None:
        tcb = self.tcb
        self.snd.persist_backoff = 0
        tcb.established_at = now.micros
        if tcb.close_pending:
            # close() was called in SYN-RECEIVED: the FIN follows the handshake.
            tcb.close_pending = False
            tcb.set_state(_FIN_WAIT_1)
        else:
            tcb.set_state(_ESTABLISHED)
        self.rec.cc.set_mss(tcb.snd_mss)
        self.rec.rtt_seq = None
        if tcb.keep_alive is not None:
            tcb.keepalive_at = now.micros + tcb.keep_alive

    def process_synchronized(
        self, cx: Context, now: Instant, ip: IpRepr, seg: TcpRepr
    ) -> Reply | None:
        """RFC 9293 3.10.7.4: a segment arrives in SYN-RECEIVED or a later state.

        The checks run in the RFC's order (PAWS first, RFC 7323 5.3); each comment below
        names the check it implements.
        """
        tcb = self.tcb
        rec = self.rec
        rcv = self.rcv
        t = now.micros
        st = tcb.state
        ctl = seg.control
        seq = seg.seq_number
        payload = seg.payload
        plen = len(payload)
        seg_len = plen + (1 if ctl is _SYN or ctl is _FIN else 0)
        rcv_nxt = tcb.rcv_nxt
        rcv_wnd = window_left(tcb.rcv_adv, rcv_nxt)

        # RFC 7323 5.3 (PAWS): a segment with an older timestamp than TS.Recent is a stale
        # duplicate: acknowledge and drop it.
        ts = seg.timestamp
        if (
            tcb.ts_ok
            and ts is not None
            and ctl is not _RST
            and (ts.tsval - tcb.ts_recent) & SEQ_MASK >= SEQ_HALF
        ):
            rcv.ack_now = True
            self.sock._wake()
            return None

        # RFC 9293 3.6.1 / RFC 6191: a new SYN for a four-tuple in TIME-WAIT opens a new
        # connection through the listener when it cannot be an old duplicate: its sequence
        # number lies above everything of the old connection, or (timestamps in use) its
        # TSval is newer than TS.Recent (PAWS above already dropped an older one).
        # SEG.SEQ - RCV.NXT, signed as `TcpSeqNumber`'s ``-`` gives it, in (-2**31, 2**31].
        offset = _int_sub(seq, rcv_nxt) & SEQ_MASK
        if offset > SEQ_HALF:
            offset -= _SEQ_MOD
        if (
            st is _TIME_WAIT
            and ctl is _SYN
            and seg.ack_number is None
            and (offset > 0 or (tcb.ts_ok and ts is not None and ts.tsval != tcb.ts_recent))
        ):
            listener = self.find_listener(ip, seg)
            if listener is not None:
                self.sock._to_closed()
                return listener.process(cx, now, ip, seg)

        # First check (3.10.7.4): is the sequence number acceptable?
        if seg_len == 0:
            ok = offset == 0 if rcv_wnd == 0 else 0 <= offset < rcv_wnd
            if not ok and offset < 0 and ctl is not _RST and seq >= tcb.last_ack_sent:
                # As Linux (rcv_wup): an empty segment from just below RCV.NXT, but not below
                # what we last acknowledged, still carries a valid ACK and window (from a
                # peer that rewinds SND.NXT on a timeout).
                ok = True
        elif rcv_wnd == 0:
            # A zero window accepts no octet, but its ACK, RST and window still count.
            ok = offset == 0
        else:
            ok = (0 <= offset < rcv_wnd) or (0 <= offset + seg_len - 1 < rcv_wnd)
        if not ok:
            if ctl is _RST:
                return None
            if st is _TIME_WAIT and ctl is _FIN:
                # The peer did not get our ACK of its FIN: ACK again, restart 2 MSL.
                tcb.timewait_at = t + TIME_WAIT_TIMEOUT
            elif st is _SYN_RECEIVED and ctl is _SYN and seq == tcb.irs:
                ack = seg.ack_number
                if ack is not None and tcb.snd_una < ack <= tcb.snd_max:
                    # Simultaneous open (Figure 8, line 6): the peer's SYN-ACK acknowledges
                    # our SYN: ESTABLISHED, and ACK its SYN (answering with our SYN-ACK
                    # again, two such ends would bounce SYN-ACKs for ever).
                    self.syn_received_acked(now, t, seq, ack, seg, seg.window_len)
                    rcv.ack_now = True
                    self.sock._wake()
                    return None
                # The peer retransmitted its SYN: our SYN-ACK was lost, send it again.
                tcb.snd_nxt = tcb.iss
                self.sock._wake()
                return None
            elif ctl is _SYN:
                # RFC 5961 4.2: a SYN at any sequence number draws a challenge ACK, and
                # those are rate-limited (section 7): a flood of blind SYNs gets ten a second.
                return self.challenge_ack(t, ip, cx)
            elif plen and offset < 0:
                rcv.note_duplicate(seq, plen)
            rcv.ack_now = True
            self.sock._wake()
            return None

        # Second check: RST, with RFC 5961 3.2's exact-match rule.
        if ctl is _RST:
            if offset != 0:
                return self.challenge_ack(t, ip, cx)
            self.on_reset()
            return None

        # Third check (security): RFC 9293 dropped compartments; nothing to check.

        # Fourth check: a SYN in a synchronized state gets a challenge ACK (RFC 5961 4.2).
        if ctl is _SYN:
            if st is _SYN_RECEIVED and seq == tcb.irs:
                tcb.snd_nxt = tcb.iss
                self.sock._wake()
                return None
            return self.challenge_ack(t, ip, cx)

        # Fifth check: the ACK field.
        ack = seg.ack_number
        if ack is None:
            return None
        tcb.progress_at = t
        if st is _SYN_RECEIVED:
            if not (tcb.snd_una < ack <= tcb.snd_max):
                return rst_for(ip, seg)
            self.syn_received_acked(now, t, seq, ack, seg, seg.window_len << tcb.snd_shift)
            st = tcb.state
        else:
            snd_una = tcb.snd_una
            # SEG.ACK and SND.MAX as distances past SND.UNA, modulo 2**32 (int's own
            # subtraction, masked): the three comparisons below are then made on plain ints
            # (`seq_before`), each exactly the modular comparison of the sequence numbers
            # themselves (RFC 9293 3.4). As SND.UNA =< SND.MAX and MAX.SND.WND < 2**30
            # (RFC 7323 2.3), ``flight`` and an ``acked`` that passes them are below 2**31,
            # the signed distances `TcpSeqNumber`'s ``-`` would give. SEG.ACK = SND.UNA (every
            # segment of a peer that is only sending) can break neither bound: it skips them.
            acked = 0
            flight = 0
            if ack != snd_una:
                acked = _int_sub(ack, snd_una) & SEQ_MASK
                flight = _int_sub(tcb.snd_max, snd_una) & SEQ_MASK
                # (`seq_before` inlined here and below: a call each per ACK otherwise.)
                sent = flight + 1 if self.snd.probing else flight
                if 0 < (acked - sent) & SEQ_MASK < SEQ_HALF:
                    # RFC 5961 5.2: an ACK of data never sent (SEG.ACK > SND.MAX): challenge
                    # ACK and drop.
                    return self.challenge_ack(t, ip, cx)
                if 0 < (-tcb.max_snd_wnd - acked) & SEQ_MASK < SEQ_HALF:
                    # RFC 5961 5.2: SEG.ACK < SND.UNA - MAX.SND.WND, too old to be acceptable.
                    return self.challenge_ack(t, ip, cx)
            if 0 < acked < SEQ_HALF:  # SEG.ACK > SND.UNA
                self.on_ack(now, t, seg, ack, acked, flight)
            else:
                # Update the window (RFC 9293 3.10.7.4 fifth check, SND.WL1/WL2 rule).
                wnd = seg.window_len << tcb.snd_shift
                # The SACK blocks, when both ends agreed on SACK (else none counts).
                sacks = seg.sack_ranges if tcb.sack_ok else None
                if ack == snd_una and seg_len == 0:
                    # RFC 5681 2: a duplicate ACK carries no data and no window change; RFC
                    # 6675 2 also counts one that SACKs new octets, whatever its window (our
                    # peer's window moves with nearly every ACK when its application reads).
                    newly = 0
                    if sacks:
                        newly = rec.board.update(sacks, snd_una, tcb.snd_max)
                    if newly or wnd == tcb.snd_wnd:
                        rec.on_dup_ack(now, t, seg)
                        if tcb.trace is not None:
                            rec.trace_ack(t, seg)
                elif sacks:
                    rec.board.update(sacks, snd_una, tcb.snd_max)
                if sacks:
                    rec.rack_on_ack(now, t, seg)
                self.update_window(seq, ack, wnd)
            st = tcb.state
            if st is _CLOSED:
                return None

        # Sixth check (URG): the urgent pointer is ignored and urgent data delivered in line
        # like any other (RFC 9293 3.8.5 only asks that it not break the stream; RFC 6093).

        # RFC 7323 4.3: TS.Recent follows the segment that covers Last.ACK.sent.
        # (SEG.SEQ =< Last.ACK.sent: their distance modulo 2**32 is below half the space.)
        if tcb.ts_ok and ts is not None and _int_sub(tcb.last_ack_sent, seq) & SEQ_MASK < SEQ_HALF:
            tcb.ts_recent = ts.tsval
        if tcb.keep_alive is not None:
            tcb.keepalive_at = t + tcb.keep_alive

        # Seventh check: segment text.
        # (After the peer's FIN, data is ignored: only _RECEIVING states take it.)
        ooo = False
        if plen and st in _RECEIVING:
            ooo = rcv.receive_data(t, seq, offset, payload)

        # Eighth check: FIN.
        if ctl is _FIN:
            fin_seq = seq + plen
            if st in _RECEIVING:
                if fin_seq == tcb.rcv_nxt:
                    self.on_fin(t)
                elif fin_seq > tcb.rcv_nxt and fin_seq - tcb.rcv_nxt <= rcv_wnd:
                    # The FIN lies beyond a hole: remember it until the hole fills. Out of
                    # order, it draws a duplicate ACK at once (RFC 5681 4.2), as its text would.
                    rcv.rcv_fin_seq = fin_seq
                    if not plen:
                        rcv.ack_now = True
                        self.sock._wake()
            elif st is _TIME_WAIT:
                tcb.timewait_at = t + TIME_WAIT_TIMEOUT
                rcv.ack_now = True
                self.sock._wake()
            elif st is _CLOSE_WAIT or st is _CLOSING or st is _LAST_ACK:
                # A retransmitted FIN: our ACK was lost.
                rcv.ack_now = True
                self.sock._wake()
        if ooo and rcv.ack_now:
            # RFC 5681 4.2: out-of-order data is acknowledged at once, one ACK per segment
            # (not one per poll), so that the sender sees its duplicate ACKs and SACKs.
            return self.ack_reply(cx, t)
        if plen:
            return self.stretch_ack(cx, t)
        return None

    def stretch_ack(self, cx: Context, t: int) -> Reply | None:
        """Return the ACK owed now that text arrived, when the unacknowledged octets reach the
        stretch bound, else None.

        The interface feeds a whole burst to `process` before any `dispatch`, so the
        every-second-segment ACK (`Receiver.receive_data`) would go out once per burst,
        however long. The stretch is bounded here: two full-sized segments by default (RFC
        5681 4.2), or what `set_ack_stretch` asks (a bulk receiver: STRETCH_ACK_LIMIT, as
        GRO).
        """
        tcb = self.tcb
        rcv = self.rcv
        stretch = rcv.ack_stretch
        if stretch is None:
            stretch = (tcb.rcv_mss - (12 if tcb.ts_ok else 0)) << 1
        # RCV.NXT - Last.ACK.sent, signed as `TcpSeqNumber`'s ``-`` gives it.
        unacked = _int_sub(tcb.rcv_nxt, tcb.last_ack_sent) & SEQ_MASK
        if unacked > SEQ_HALF:
            unacked -= _SEQ_MOD
        if unacked >= stretch and not rcv.window_nearly_closed():
            return self.ack_reply(cx, t)
        return None

    def syn_received_acked(
        self, now: Instant, t: int, seq: TcpSeqNumber, ack: TcpSeqNumber, seg: TcpRepr, wnd: int
    ) -> None:
        """SYN-RECEIVED, fifth check: SND.UNA < SEG.ACK =< SND.NXT: enter ESTABLISHED.

        ``wnd`` is the segment's window in octets (unscaled when it is a SYN, RFC 7323 2.2).
        """
        tcb = self.tcb
        self.rec.rtt_sample_syn(now, seg)
        tcb.snd_una = tcb.iss + 1
        if tcb.snd_nxt < tcb.snd_una:
            tcb.snd_nxt = tcb.snd_una
        self.rec.rto_at = None
        self.rec.syn_rtx = False
        tcb.snd_wnd = wnd
        tcb.max_snd_wnd = max(tcb.max_snd_wnd, wnd)
        tcb.snd_wl1 = seq
        tcb.snd_wl2 = ack
        self.established(now)
        if tcb.child:
            self.sock._wake()
        # Our FIN may already have been queued by close() in SYN-RECEIVED.
        if ack != tcb.snd_una:
            self.on_ack(now, t, seg, ack, ack - tcb.snd_una, tcb.snd_max - tcb.snd_una)

    def ack_reply(self, cx: Context, t: int) -> Reply:
        out: list[Reply] = []
        self.snd.send(cx, lambda ip, seg: out.append((ip, seg)), t, _NONE, self.snd.ack_seq(), b"")
        return out[0]

    def find_listener(self, ip: IpRepr, seg: TcpRepr) -> TcpSocket | None:
        sockets = self.sock._set
        if sockets is None:
            return None
        own = self.sock.handle  # (`self.sock` is a proxy: an identity test would not match)
        for key in (listen_key(ip.dst_addr, seg.dst_port), listen_key(None, seg.dst_port)):
            for sock in sockets.lookup(key):
                if sock.handle != own and sock.state is _LISTEN:
                    return cast("TcpSocket", sock)  # the only socket filed under TCP keys
        return None

    def update_window(self, seq: TcpSeqNumber, ack: TcpSeqNumber, wnd: int) -> None:
        tcb = self.tcb
        # RFC 9293 3.10.7.4: SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK),
        # on SEG.SEQ - SND.WL1 modulo 2**32 (int's own subtraction): zero for the equality (a
        # pure ACK's SEG.SEQ is SND.WL1), below half the space for "less than".
        # SND.WL2 =< SEG.ACK likewise: SEG.ACK - SND.WL2 below half the space.
        wl1_to_seq = _int_sub(seq, tcb.snd_wl1) & SEQ_MASK
        if (wl1_to_seq == 0 and _int_sub(ack, tcb.snd_wl2) & SEQ_MASK < SEQ_HALF) or (
            0 < wl1_to_seq < SEQ_HALF
        ):
            old = tcb.snd_wnd
            tcb.snd_wnd = wnd
            tcb.snd_wl1 = seq
            tcb.snd_wl2 = ack
            if wnd > tcb.max_snd_wnd:
                tcb.max_snd_wnd = wnd
            if wnd and not old:
                # The window reopened: stop probing.
                self.snd.persist_at = None
                self.snd.persist_backoff = 0
                self.snd.probing = False
                self.sock._wake()
            elif wnd > old:
                self.sock._wake()

    def on_ack(
        self, now: Instant, t: int, seg: TcpRepr, ack: TcpSeqNumber, acked: int, flight: int
    ) -> None:
        """New data acknowledged: free the send buffer, time the RTT, leave states.

        ``acked`` is SEG.ACK - SND.UNA (> 0) and ``flight`` SND.MAX - SND.UNA, both in
        octets, as the caller computed them for its checks.
        """
        tcb = self.tcb
        rec = self.rec
        tx = tcb.tx
        queued = len(tx)
        fin_acked = False
        if acked > queued:
            # Everything queued plus our FIN (the only other thing in sequence space).
            tx.dequeue_allocated(queued)
            fin_acked = True
            delivered = tcb.n_bytes_acked = tcb.n_bytes_acked + queued
        else:
            tx.dequeue_allocated(acked)
            delivered = tcb.n_bytes_acked = tcb.n_bytes_acked + acked
        if t - rec.rate_at >= rec.rate_span:
            rec.sample_rate(t, delivered)
        tcb.snd_una = ack
        if 0 < _int_sub(ack, tcb.snd_nxt) & SEQ_MASK < SEQ_HALF:  # SND.NXT < SEG.ACK
            tcb.snd_nxt = ack
        # (SND.MAX and SEG.ACK compared as distances from the old SND.UNA, plain ints, with
        # `seq_before` inlined.)
        if 0 < (acked - flight) & SEQ_MASK < SEQ_HALF:  # SND.MAX < SEG.ACK: a probe's octet
            tcb.snd_max = ack
        self.snd.probing = False
        # RTT: the timestamp echo when there is one (valid even for retransmissions, RFC 7323
        # 4.1), else the timed segment unless retransmitted (Karn).
        rtt_us = None
        timed = rec.rtt_seq is not None and ack >= rec.rtt_seq
        if timed:
            rec.rtt_seq = None
        ts = seg.timestamp
        if tcb.ts_ok and ts is not None and ts.tsecr:
            ms = ((t // 1000 + tcb.ts_offset) - ts.tsecr) & SEQ_MASK
            if ms < SEQ_HALF:
                rtt_us = ms * 1000
        elif timed:
            rtt_us = t - rec.rtt_at
        # With the time, the estimator refuses a sample sent before the last RTO (Karn's
        # rule for timestamp echoes too: it would feed the timeout back into SRTT).
        if rtt_us is not None and rec.rtt.sample_us(rtt_us, t) and tcb.trace is not None:
            rec.trace_rtt(t, rtt_us)
        if tcb.sack_ok:
            if seg.sack_ranges:
                rec.board.update(seg.sack_ranges, ack, tcb.snd_max)
            else:
                rec.board.advance(ack)
        if rec.in_recovery:
            if ack >= rec.recover:
                # RFC 6582 3.2 step 3: a full ACK ends recovery.
                rec.in_recovery = False
                rec.inflation = 0
                rec.dupacks = 0
                rec.cc.on_recovery_exit(now)
                rec.rack.on_recovery_end()
                trace = tcb.trace
                if trace is not None:
                    trace.loss(t, LossAction.EXIT_RECOVERY, None, int(ack), 0)
            else:
                # Partial ACK: the next hole was lost too; retransmit it at once
                # (RFC 6582 step 4), deflating the window by what was acked.
                rec.inflation = max(0, rec.inflation - acked + tcb.snd_mss)
                rec.retx_next = True
        else:
            rec.dupacks = 0
            rec.cc.on_ack(now, acked, flight, None if rtt_us is None else Duration(rtt_us))
        if rec.in_loss and ack >= rec.recover:
            rec.in_loss = False
        # RFC 6298 5.2/5.3: restart the timer while data is outstanding.
        if 0 < (flight - acked) & SEQ_MASK < SEQ_HALF:  # SND.MAX > SEG.ACK
            rec.rto_at = t + rec.rtt.rto.micros
        else:
            rec.rto_at = None
        rec.tlp_after_ack(now, t, ack, seg, flight)
        if tcb.sack_ok:
            rec.rack_on_ack(now, t, seg)
        self.update_window(seg.seq_number, ack, seg.window_len << tcb.snd_shift)
        if tcb.trace is not None:
            rec.trace_ack(t, seg)
        if fin_acked:
            # RFC 9293 3.10.7.4 fifth check, per state: our FIN is acknowledged.
            st = tcb.state
            if st is _FIN_WAIT_1:
                tcb.set_state(_FIN_WAIT_2)
            elif st is _CLOSING:
                self.enter_time_wait(t)
            elif st is _LAST_ACK:
                self.sock._to_closed()
                return
        self.sock._wake()

    def on_fin(self, t: int) -> None:
        """The peer's FIN is in order: consume it and change state (3.10.7.4 eighth check).

        The FIN that takes ESTABLISHED to CLOSE-WAIT in order is acknowledged after the ACK
        delay (RFC 1122 4.2.3.2), at most `FIN_ACK_DELAY` (below any peer's minimum RTO, so
        that the peer never resends its FIN for want of the ACK), not at once: an
        application that closes on end of stream, as most servers do, then sends one
        segment with its FIN and the ACK instead of two (the Linux kernel delays this ACK
        too). Every other FIN, and one that fills a hole (the caller set ``ack_now``), is
        acknowledged at once.
        """
        tcb = self.tcb
        rcv = self.rcv
        tcb.rcv_nxt = tcb.rcv_nxt + 1
        rcv.rcv_fin = True
        rcv.rcv_fin_seq = None
        st = tcb.state
        if st is _ESTABLISHED and rcv.ack_delay is not None:
            if rcv.ack_at is None and not rcv.ack_now:
                delay = rcv.ack_delay
                rcv.ack_at = t + (delay if delay < FIN_ACK_DELAY else FIN_ACK_DELAY)
        else:
            rcv.ack_now = True
        if st is _ESTABLISHED:
            tcb.set_state(_CLOSE_WAIT)
        elif st is _FIN_WAIT_1:
            # Our FIN is not acked yet (else we would be in FIN-WAIT-2): simultaneous close.
            tcb.set_state(_CLOSING)
        elif st is _FIN_WAIT_2:
            self.enter_time_wait(t)
        self.sock._wake()

    def enter_time_wait(self, t: int) -> None:
        tcb = self.tcb
        tcb.set_state(_TIME_WAIT)
        self.snd.set_chrono(t, CHRONO_IDLE)
        tcb.timewait_at = t + TIME_WAIT_TIMEOUT
        self.rec.rto_at = None
        self.rec.tlp_at = None
        self.rec.rack_at = None
        tcb.keepalive_at = None
        self.snd.persist_at = None
        self.rcv.ack_at = None

    def on_reset(self) -> None:
        """An acceptable RST arrived (RFC 9293 3.10.7.4 second check)."""
        tcb = self.tcb
        st = tcb.state
        if st is _SYN_RECEIVED and tcb.passive and not tcb.child:
            # A passive open returns to LISTEN (backlog 0: the socket was the listener).
            self.lst.return_to_listen()
            return None
        if st is _SYN_RECEIVED:
            tcb.error = "refused"
        elif st in (_ESTABLISHED, _FIN_WAIT_1, _FIN_WAIT_2, _CLOSE_WAIT):
            tcb.error = "reset"
        tcb.tx.clear()
        self.sock._to_closed()
        return None

    def challenge_ack(self, t: int, ip: IpRepr, cx: Context) -> Reply | None:
        """Send a challenge ACK (RFC 5961 3.2, 4.2, 5.2), at most 10 a second per socket and
        within the interface's limit (``cx.challenge_acks``, when the context has one)."""
        if t - self.challenge_at >= _SECOND:
            self.challenge_at = t
            self.challenge_count = 0
        if self.challenge_count >= CHALLENGE_ACK_LIMIT:
            return None
        shared = getattr(cx, "challenge_acks", None)
        if shared is not None and not shared.allow(t):
            return None
        self.challenge_count += 1
        self.rcv.ack_now = True
        self.sock._wake()
        return None


def rst_for(ip: IpRepr, seg: TcpRepr) -> Reply:
    """Return the RST answering ``seg`` (RFC 9293 3.10.7.1 / 3.10.7.2)."""
    if seg.ack_number is not None:
        seq = seg.ack_number
        ack = None
    else:
        seq = TcpSeqNumber(0)
        ack = seg.seq_number + seg.segment_len()
    reply = TcpRepr(
        src_port=seg.dst_port,
        dst_port=seg.src_port,
        control=_RST,
        seq_number=seq,
        ack_number=ack,
        window_len=0,
    )
    return ip_repr(ip.dst_addr, ip.src_addr, ip.next_header, reply.buffer_len(), 64), reply
