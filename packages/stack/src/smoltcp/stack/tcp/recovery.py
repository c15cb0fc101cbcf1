"""Loss recovery: the retransmission timer, fast recovery, SACK, RACK-TLP and RTT samples.

`Recovery` owns what decides that data was lost and when to send it again: the RTT estimator
and RTO (RFC 6298, `rtt.py`), the congestion controller (`congestion.py`), duplicate ACKs,
fast retransmit and NewReno/SACK recovery (RFC 5681, RFC 6582, RFC 6675, early retransmit
RFC 5827), the SACK scoreboard (`sack.py`), RACK's time-based detection and the tail loss
probe (RFC 8985, `rack.py`). The send path (`send.py`) asks it what to retransmit next and
lets it send fast retransmissions and loss probes; the arrival path (`process.py`) tells it
what each ACK acknowledged.
"""

from __future__ import annotations

from smoltcp.stack.socket.base import Emit
from smoltcp.stack.tcp.congestion import CongestionController, make_congestion_controller
from smoltcp.stack.tcp.rack import Rack
from smoltcp.stack.tcp.rtt import RttEstimator
from smoltcp.stack.tcp.sack import SackScoreboard, is_dsack
from smoltcp.stack.tcp.seq import SEQ_HALF, SEQ_MASK, seq_before
from smoltcp.stack.tcp.seq import SEQ_MOD as _SEQ_MOD
from smoltcp.stack.tcp.seq import int_sub as _int_sub
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.tcp.tcb import Context, Part
from smoltcp.stack.tcp.trace import LossAction, LossReason
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import TcpRepr, TcpSeqNumber

__all__ = ["DUP_THRESH", "MAX_SYN_RETRIES", "Recovery"]

_RTO = LossReason.RTO
_FAST = LossReason.FAST_RETRANSMIT
_TLP = LossReason.TLP
_RACK = LossReason.RACK
_PMTU = LossReason.PMTU

_SYN_SENT = TcpState.SYN_SENT
_SYN_RECEIVED = TcpState.SYN_RECEIVED
# States in which data (and the FIN, once queued) may be sent.
_SENDING = frozenset(
    (
        TcpState.ESTABLISHED,
        TcpState.CLOSE_WAIT,
        TcpState.FIN_WAIT_1,
        TcpState.CLOSING,
        TcpState.LAST_ACK,
    )
)

# States in which our FIN has been queued (it is sent once the data before it is).
_FIN_QUEUED = frozenset((TcpState.FIN_WAIT_1, TcpState.CLOSING, TcpState.LAST_ACK))

# Dup ACKs that trigger fast retransmit (RFC 5681 3.2).
DUP_THRESH = 3
# SYN and SYN-ACK retransmissions before giving up (Linux: 6 and 5).
MAX_SYN_RETRIES = 6
# Tail loss probe timeouts beyond 2 * SRTT (RFC 8985 7.2, as Linux adds them): the ACK delay
# a lone segment may wait for at the peer, and otherwise a small margin; before any RTT
# sample, one second (RFC 8985: "PTO = 1 second").
_TLP_LONE_SEGMENT = 200_000
_TLP_MIN = 2_000
_TLP_NO_SRTT = 1_000_000
# The timestamps option as sent on every segment (RFC 7323).
_TIMESTAMPS_LEN = 12


class Recovery(Part):
    """Loss detection and recovery of one connection (see the module docstring)."""

    __slots__ = (
        "board",
        "cc",
        "dupacks",
        "in_loss",
        "in_recovery",
        "inflation",
        "n_bytes_retx",
        "n_dsack",
        "n_fast",
        "n_rack",
        "n_retx",
        "n_retx_fast",
        "n_retx_pmtu",
        "n_retx_rack",
        "n_retx_rto",
        "n_retx_tlp",
        "n_timeouts",
        "n_tlp",
        "n_tlp_repairs",
        "pmtu_end",
        "pmtu_lost",
        "rack",
        "rack_at",
        "rack_enabled",
        "rate",
        "rate_at",
        "rate_mark",
        "rate_span",
        "recover",
        "retx_next",
        "rto_at",
        "rtt",
        "rtt_at",
        "rtt_seq",
        "syn_rtx",
        "tlp_at",
        "tlp_end",
        "tlp_out",
    )

    def __init__(self, cc: CongestionController | None = None) -> None:
        """Start with congestion controller ``cc`` (default: a new CUBIC)."""
        self.cc: CongestionController = make_congestion_controller("cubic") if cc is None else cc
        self.rtt = RttEstimator()
        self.board = SackScoreboard()
        self.rack = Rack()
        # Configuration: whether RACK's time-based loss detection runs (RFC 8985 6).
        self.rack_enabled = True
        self.n_retx = self.n_fast = self.n_timeouts = 0
        self.n_tlp = self.n_tlp_repairs = self.n_rack = 0
        # Retransmitted segments by cause, and retransmitted octets.
        self.n_retx_rto = self.n_retx_fast = self.n_retx_tlp = self.n_retx_rack = 0
        # Segments resent because the path MTU fell below them (not a congestion loss).
        self.n_retx_pmtu = 0
        self.n_bytes_retx = 0
        self.n_dsack = 0
        self.reset()

    def reset(self) -> None:
        """Forget the connection's recovery state (not the estimators' settings or counters)."""
        self.rto_at: int | None = None
        # Tail loss probe (RFC 8985 7): when it fires, whether one is out, and the end of a
        # probe that resent old data (for its congestion response).
        self.tlp_at: int | None = None
        self.tlp_out = False
        self.tlp_end: TcpSeqNumber | None = None
        # RACK (RFC 8985 6): when its reordering timer fires.
        self.rack_at: int | None = None
        self.syn_rtx = False
        # Karn: the segment being timed (its end) and when it was sent.
        self.rtt_seq: TcpSeqNumber | None = None
        self.rtt_at = 0
        self.dupacks = 0
        self.in_recovery = False
        self.recover = TcpSeqNumber(0)
        self.inflation = 0
        self.retx_next = False
        # After an RTO until SND.UNA passes `recover` (Linux's "Loss" state).
        self.in_loss = False
        # While SND.NXT goes back over what a path MTU drop lost (`on_path_mtu_drop`): the
        # end of that go-back-N, so that it is counted apart from an RTO's.
        self.pmtu_end: TcpSeqNumber | None = None
        # The ranges a path MTU drop marked lost (raw [start, end) sequence numbers), while
        # SND.UNA has not passed them: duplicate ACKs for a hole among them are no sign of
        # congestion (`on_dup_ack`).
        self.pmtu_lost: list[tuple[int, int]] = []
        # Delivery rate: octets per second acknowledged over about one RTT of sending (the
        # mark restarts when the connection was idle), the latest such sample, 0 before one.
        self.rate = 0
        self.rate_at = 0
        self.rate_mark = 0
        self.rate_span = 1 << 62
        self.board.reset()
        self.rack.reset()

    def stop_timers(self) -> None:
        """Disarm the retransmission, loss-probe and RACK timers."""
        self.rto_at = None
        self.tlp_at = None
        self.rack_at = None

    def rtt_sample_syn(self, now: Instant, seg: TcpRepr) -> None:
        # Karn: a retransmitted SYN gives no sample.
        if not self.syn_rtx and self.rtt_seq is not None:
            sample = now.micros - self.rtt_at
            self.rtt.sample(Duration(sample))
            if self.tcb.trace is not None:
                self.trace_rtt(now.micros, sample)
        self.rtt_seq = None

    def tlp_after_ack(
        self, now: Instant, t: int, ack: TcpSeqNumber, seg: TcpRepr, flight: int
    ) -> None:
        """SND.UNA advanced: settle a loss probe that resent old data; allow a new probe.

        RFC 8985 7.4: a probe that resent the last segment either repaired a lost tail or
        duplicated a segment that had arrived; the receiver tells the second by a D-SACK (a
        SACK block below the cumulative ACK, RFC 2883). Without one, the tail was lost: the
        congestion window is reduced as for any loss.
        """
        end = self.tlp_end
        if end is not None and ack >= end:
            self.tlp_end = None
            if not is_dsack(seg.sack_ranges, ack, self.tcb.max_snd_wnd) and not self.in_recovery:
                self.cc.on_congestion_event(now, flight)
                self.n_tlp_repairs += 1
                trace = self.tcb.trace
                if trace is not None:
                    trace.loss(t, LossAction.PROBE_REPAIR, LossReason.TLP, int(ack), 0)
        self.tlp_out = False
        self.arm_loss_probe(t)

    def on_dup_ack(self, now: Instant, t: int, seg: TcpRepr) -> None:
        """Count a duplicate ACK (RFC 5681 3.2); enter fast recovery at the threshold."""
        tcb = self.tcb
        if tcb.snd_max == tcb.snd_una:
            return
        self.dupacks += 1
        if self.in_recovery:
            # RFC 6582 / 5681: each further dup ACK means a segment left the network.
            self.inflation += tcb.snd_mss
            self.sock._wake()
            return
        lost = (
            self.dupacks >= DUP_THRESH
            or (tcb.sack_ok and self.board.is_lost(tcb.snd_una, tcb.snd_mss))
            or self.early_retransmit()
        )
        if not lost:
            self.sock._wake()  # limited transmit may now send (RFC 3042)
        # RFC 6582 3.2 step 2: only if the ACK covers more than the last recovery point;
        # and not for a hole a path MTU drop made (it is being resent, and no congestion).
        if lost and tcb.snd_una >= self.recover and not self.pmtu_hole_at_una():
            reason = _FAST
            if (
                self.dupacks < DUP_THRESH
                and tcb.trace is not None
                and not (tcb.sack_ok and self.board.is_lost(tcb.snd_una, tcb.snd_mss))
            ):
                reason = LossReason.EARLY_RETRANSMIT
            self.enter_recovery(now, reason)

    def pmtu_hole_at_una(self) -> bool:
        """Return whether SND.UNA lies in a range a path MTU drop marked lost (forgetting
        those it has passed)."""
        holes = self.pmtu_lost
        if not holes:
            return False
        una = int(self.tcb.snd_una)
        holes[:] = [h for h in holes if seq_before(una, h[1])]
        return any(not seq_before(una, h[0]) for h in holes)

    def enter_recovery(self, now: Instant, reason: LossReason = LossReason.FAST_RETRANSMIT) -> None:
        """Start fast recovery (RFC 6675 5 / RFC 6582 3.2): reduce the window once, and
        retransmit the first hole. ``reason`` is what found the loss (for the trace)."""
        tcb = self.tcb
        trace = tcb.trace
        if trace is not None:
            trace.loss(
                now.micros,
                LossAction.ENTER_RECOVERY,
                reason,
                int(tcb.snd_una),
                tcb.snd_max - tcb.snd_una,
            )
        self.in_recovery = True
        self.recover = tcb.snd_max
        self.cc.on_congestion_event(now, tcb.snd_max - tcb.snd_una)
        self.board.start_recovery()
        # A loss probe's episode ends here: recovery answers this loss (RFC 8985 7.4).
        self.tlp_end = None
        self.inflation = DUP_THRESH * tcb.snd_mss
        self.retx_next = True
        self.n_fast += 1
        self.rtt_seq = None
        self.sock._wake()

    def rack_on_ack(self, now: Instant, t: int, seg: TcpRepr) -> None:
        """Tell RACK what an ACK delivered (RFC 8985 6.2), and look for losses if anything."""
        tcb = self.tcb
        ranges = seg.sack_ranges
        if ranges and is_dsack(ranges, tcb.snd_una, tcb.max_snd_wnd):
            self.n_dsack += 1
            self.rack.on_dsack()  # octets received twice: a retransmission was spurious
        if self.rack.on_ack(tcb.snd_una, ranges, t):
            self.rack_detect(now, t)

    def rack_detect(self, now: Instant, t: int) -> None:
        """Run RACK's detection; a loss it finds starts recovery unless one is under way (or
        an RTO's go-back-N is: RFC 6582's rule), and the lost ranges go first (`dispatch`)."""
        if not self.rack_enabled:
            # Off: RACK still follows what was delivered (reordering is still seen), but
            # marks nothing lost and arms no timer; dup ACKs, SACK and the RTO repair losses.
            self.rack_at = None
            return
        tcb = self.tcb
        rack = self.rack
        before = len(rack.lost)
        self.rack_at = rack.detect(t)
        found = len(rack.lost) - before
        if found:
            self.n_rack += found
            trace = tcb.trace
            if trace is not None:
                for r in rack.lost[before:]:
                    trace.loss(t, LossAction.MARK_LOST, _RACK, r[0], (r[1] - r[0]) & SEQ_MASK)
            if not self.in_recovery and tcb.snd_una >= self.recover:
                self.enter_recovery(now, _RACK)
            self.sock._wake()

    def early_retransmit(self) -> bool:
        """Return True when early retransmit (RFC 5827 3.1, byte-based) calls this a loss.

        With fewer than four segments out and nothing new to send, the flight cannot raise
        three dup ACKs; ER_thresh = segments out - 1. Without it every loss in a window of
        two or three segments waits for the RTO.
        """
        tcb = self.tcb
        mss = tcb.snd_mss
        ownd = tcb.snd_max - tcb.snd_una
        if ownd >= 4 * mss or self.snd.next_segment() is not None:
            return False
        thresh = -(-ownd // mss) - 1
        return thresh >= 1 and self.dupacks >= thresh

    def rack_next(self) -> tuple[TcpSeqNumber, int, LossReason] | None:
        """Return the next range deemed lost to send again if the window allows, or None:
        (sequence number, octets, cause), the cause RACK or a path MTU drop (`_PMTU`).

        What RACK marked lost is no longer in flight: it does not count against the
        congestion window (the scoreboard's pipe only knows the losses SACKs show).
        """
        tcb = self.tcb
        lost = self.rack.lost
        snd_una = tcb.snd_una
        queued = len(tcb.tx)
        while lost:
            start, end = lost[0][0], lost[0][1]
            una = int(snd_una)
            if seq_before(start, una) and seq_before(una, end):
                start = lost[0][0] = una  # its head was acknowledged; the rest still goes
            offset = (start - una) & SEQ_MASK
            size = min((end - start) & SEQ_MASK, queued - offset)
            if size > 0 and offset < queued:
                break
            del lost[0]  # nothing of it left to send (acknowledged, or beyond the data)
        else:
            return None
        mss = self.snd.data_mss()
        if size > mss:
            size = mss
        out = sum((r[1] - r[0]) & SEQ_MASK for r in lost)
        if self.cc.cwnd - self.board.pipe(snd_una, tcb.snd_max, mss) + out < size:
            return None
        return TcpSeqNumber(start), size, _PMTU if len(lost[0]) > 2 else _RACK

    def sack_hole(self) -> tuple[TcpSeqNumber, int] | None:
        """Return the next lost hole to retransmit if the pipe allows (RFC 6675 5 NextSeg 1)."""
        tcb = self.tcb
        snd_una = tcb.snd_una
        mss = self.snd.data_mss()
        if self.cc.cwnd - self.board.pipe(snd_una, tcb.snd_max, mss) < mss:
            return None
        hole = self.board.next_to_retransmit(snd_una, tcb.snd_max, mss, False)
        if hole is None:
            return None
        seq, size = hole
        queued = len(tcb.tx)
        offset = seq - snd_una
        if offset + size > queued:
            size = queued - offset
        return (seq, size) if size > 0 else None

    def on_retransmit_timeout(self, now: Instant, t: int) -> None:
        """RFC 6298 5.4-5.7: back off and go back to SND.UNA."""
        tcb = self.tcb
        self.rto_at = None
        self.tlp_at = None
        self.tlp_out = False
        self.tlp_end = None
        st = tcb.state
        self.rtt.on_timeout(now)
        self.rtt_seq = None
        if st is _SYN_SENT or st is _SYN_RECEIVED:
            self.syn_rtx = True
            self.snd.persist_backoff += 1
            if not self.lst.note_syn_timeout(self.snd.persist_backoff):
                if st is _SYN_RECEIVED and tcb.passive and not tcb.child:
                    self.lst.return_to_listen()
                else:
                    tcb.error = "timed out"
                    self.sock._to_closed()
                return
            tcb.snd_nxt = tcb.iss
            return
        if tcb.snd_max == tcb.snd_una:
            return
        self.n_timeouts += 1
        self.in_loss = True
        self.pmtu_end = None
        self.pmtu_lost = []
        self.cc.on_rto(now, tcb.snd_max - tcb.snd_una)
        self.board.on_rto()
        self.rack.on_rto()
        self.rack_at = None
        # RFC 6582 section 4 (after an RTO, no fast retransmit until past this point).
        self.recover = tcb.snd_max
        self.in_recovery = False
        self.inflation = 0
        self.dupacks = 0
        self.retx_next = False
        tcb.snd_nxt = tcb.snd_una
        trace = tcb.trace
        if trace is not None:
            flight = tcb.snd_max - tcb.snd_una
            trace.loss(t, LossAction.TIMEOUT, _RTO, int(tcb.snd_una), flight)
            trace.congestion(t, self.cc.cwnd, self.cc.ssthresh, self.in_flight())
            self.trace_rtt(t, None)

    def on_path_mtu_drop(self, old_mss: int) -> None:
        """Resend at once what the path MTU, now lower than the send MSS (already set), made
        routers drop; not a congestion loss (RFC 1191 6.5, RFC 8201 5.4, RFC 4821).

        ``old_mss`` is the send MSS the flight was cut to. Only segments too big for the new
        path MTU were dropped: with SACK they are marked lost (RACK's scoreboard) and go
        first, cut to the new size, as the congestion window allows; the rest of the flight
        stays in flight. Duplicate ACKs for those holes start no fast retransmit, but a
        loss found elsewhere in the flight (by RACK, or by duplicate ACKs once SND.UNA
        reaches it) is congestion and starts recovery, with its one window reduction
        (RFC 6582, RFC 6675, RFC 8985). Without SACK, or when a go-back-N is under way or
        our FIN is in flight, SND.NXT goes back to SND.UNA, and until SND.UNA passes
        SND.MAX no duplicate ACK starts a fast retransmit (RFC 6582's "recover", as after
        an RTO: the receiver's duplicate ACKs cannot tell a loss from the go-back-N's).

        The congestion window and ssthresh stay, as Linux's "simple retransmit" does,
        rather than the slow start RFC 1191 6.5 suggests: the segments were lost to a
        router that refused their size, not to a queue, and the window that carried them
        carries the same octets in smaller segments. The resends are counted as ``pmtu``
        retransmissions. In recovery they move the scoreboard's HighRxt on (`sack_hole`
        does not send them again).
        """
        tcb = self.tcb
        if tcb.snd_max == tcb.snd_una:
            return
        mss = tcb.snd_mss
        trace = tcb.trace
        selective = (
            tcb.sack_ok and tcb.snd_nxt == tcb.snd_max and tcb.snd_max - tcb.snd_una <= len(tcb.tx)
        )
        # What fits a segment now, payload and options (the options each segment carried
        # were recorded when it was sent).
        room = mss + (_TIMESTAMPS_LEN if tcb.ts_ok else 0)
        found = self.rack.mark_too_big(room, old_mss, selective)
        if not selective:
            tcb.snd_nxt = tcb.snd_una
            self.pmtu_end = tcb.snd_max
            if trace is not None:
                flight = tcb.snd_max - tcb.snd_una
                trace.loss(tcb.clock, LossAction.MARK_LOST, _PMTU, int(tcb.snd_una), flight)
        elif trace is not None:
            for start, end in found:
                trace.loss(tcb.clock, LossAction.MARK_LOST, _PMTU, start, (end - start) & SEQ_MASK)
        if found or not selective:
            self.rtt_seq = None  # Karn: the segment being timed was dropped, or goes again
            if not selective:
                # Go-back-N: the resends raise duplicate ACKs the receiver cannot tell
                # from a loss's; as after an RTO, none starts a fast retransmit until SND.UNA
                # passes SND.MAX (RFC 6582 4).
                if not self.in_recovery:
                    self.recover = tcb.snd_max
                    self.dupacks = 0
            else:
                # Only the holes marked here are exempt: a loss found elsewhere (by RACK or
                # by duplicate ACKs once SND.UNA reaches it) is congestion, and answered so.
                self.pmtu_lost.extend(found)
            # The resends restart the timer: the first transmissions' RTO is for segments
            # the network will never deliver.
            at = tcb.clock + self.rtt.rto.micros
            if self.rto_at is None or self.rto_at < at:
                self.rto_at = at
            # A loss probe out was lost to the path too: settling it as a repaired tail
            # (`tlp_after_ack`) would cut the window for what is no congestion.
            self.tlp_at = None
            self.tlp_end = None
            self.tlp_out = False

    def arm_loss_probe(self, t: int) -> None:
        """Schedule a tail loss probe (RFC 8985 7.2) if one may go; else disarm it.

        A probe needs SACK (the receiver's answer must say what arrived), data in flight, no
        recovery under way and no probe already out. The probe timeout is twice the smoothed
        RTT, plus the 200 ms a peer may delay its ACK of a lone segment (else plus 2 ms), as
        Linux computes it; never later than the RTO (the probe is worthless then).
        """
        tcb = self.tcb
        if (
            not tcb.sack_ok
            or self.tlp_out
            or self.in_recovery
            or tcb.snd_max == tcb.snd_una
            or self.rto_at is None
            or tcb.state not in _SENDING
        ):
            self.tlp_at = None
            return
        srtt = self.rtt.srtt_us  # (not `srtt`: no Duration per ACK)
        if srtt is None:
            pto = _TLP_NO_SRTT
        else:
            pto = 2 * srtt
            # SND.MAX - SND.UNA, signed as `TcpSeqNumber`'s ``-`` gives it (int's own
            # subtraction, masked: no Python-level call per ACK).
            flight = _int_sub(tcb.snd_max, tcb.snd_una) & SEQ_MASK
            if flight > SEQ_HALF:
                flight -= _SEQ_MOD
            pto += _TLP_LONE_SEGMENT if flight <= tcb.snd_mss else _TLP_MIN
        at = t + pto
        self.tlp_at = at if at < self.rto_at else None

    def fast_retransmit(self, cx: Context, emit: Emit, t: int) -> bool:
        """Retransmit the first hole (RFC 5681 3.2 / RFC 6582 / RFC 6675 NextSeg)."""
        tcb = self.tcb
        snd_una = tcb.snd_una
        mss = self.snd.data_mss()
        seq = snd_una
        size = mss
        if tcb.sack_ok:
            hole = self.board.next_to_retransmit(snd_una, tcb.snd_max, mss)
            if hole is not None:
                seq, size = hole
            elif not self.board.is_empty:
                # Every hole was resent in this recovery already: a lost retransmission is
                # left to the RTO (RFC 6675), not resent blindly from SND.UNA.
                return False
        queued = len(tcb.tx)
        offset = seq - snd_una
        if offset + size > queued:
            size = max(0, queued - offset)
        fin = (
            tcb.state in _FIN_QUEUED and offset + size == queued and tcb.snd_max - snd_una > queued
        )
        if size == 0 and not fin:
            return False
        if tcb.sack_ok:
            self.board.mark_retransmitted(seq, size)
        self.rtt_seq = None
        self.snd.send_data(cx, emit, t, seq, size, fin, _FAST)
        return True

    def loss_probe(self, cx: Context, emit: Emit, t: int) -> bool:
        """Send the tail loss probe (RFC 8985 7.3): new data if the windows allow, else the
        last segment again. The RTO restarts from the probe."""
        tcb = self.tcb
        if self.in_recovery or tcb.snd_max == tcb.snd_una:
            return False
        self.tlp_out = True
        self.n_tlp += 1
        seg = self.snd.next_segment()
        trace = tcb.trace
        if seg is not None:
            seq, size, fin = seg
            if trace is not None:
                trace.loss(t, LossAction.LOSS_PROBE, _TLP, int(seq), size)
            self.snd.send_data(cx, emit, t, seq, size, fin)
        else:
            # The last segment sent: it ends at SND.MAX (data beyond that was never sent).
            flight = tcb.snd_max - tcb.snd_una
            fin = flight > len(tcb.tx)  # our FIN is in flight (and last)
            data_out = flight - 1 if fin else flight
            size = min(self.snd.data_mss(), data_out)
            seq = tcb.snd_una + (data_out - size)
            self.tlp_end = tcb.snd_max
            if trace is not None:
                trace.loss(t, LossAction.LOSS_PROBE, _TLP, int(seq), size)
            self.snd.send_data(cx, emit, t, seq, size, fin, _TLP)
        self.rto_at = t + self.rtt.rto.micros
        return True

    # -- statistics and trace (off the per-segment path) ------------------------------------

    def count_retransmission(self, why: LossReason | None, size: int) -> None:
        """Count one retransmitted segment of ``size`` octets under its cause.

        None is the go-back-N after a retransmission timeout (and a SYN sent again).
        """
        self.n_bytes_retx += size
        if why is None or why is _RTO:
            self.n_retx_rto += 1
        elif why is _FAST:
            self.n_retx_fast += 1
        elif why is _TLP:
            self.n_retx_tlp += 1
        elif why is _PMTU:
            self.n_retx_pmtu += 1
        else:
            self.n_retx_rack += 1

    def sample_rate(self, t: int, delivered: int) -> None:
        """Take a delivery-rate sample: octets acknowledged since the mark over the time since.

        Called once at least `rate_span` (about an SRTT) has passed since the mark; the sender
        moves the mark when it starts sending after an idle time (`restart_rate`).
        """
        span = t - self.rate_at
        if span > 0 and self.rate_span < 1 << 62:
            self.rate = (delivered - self.rate_mark) * 1_000_000 // span
        self.rate_at = t
        self.rate_mark = delivered
        srtt = self.rtt.srtt_us
        self.rate_span = srtt if srtt is not None and srtt > 1000 else 1000

    def restart_rate(self, t: int, delivered: int) -> None:
        """Start a delivery-rate interval at ``t`` when sending after an idle time longer
        than the interval (a shorter pause, such as the one between two flights, is part of
        the rate)."""
        last = self.tcb.last_recv_at
        if last is not None and t - last <= self.rate_span and self.rate_span < 1 << 62:
            return
        self.rate_at = t
        self.rate_mark = delivered
        srtt = self.rtt.srtt_us
        self.rate_span = srtt if srtt is not None and srtt > 1000 else 1000

    def in_flight(self) -> int:
        """Return the octets deemed in flight: the RFC 6675 pipe with SACK, else SND.MAX -
        SND.UNA."""
        tcb = self.tcb
        if tcb.sack_ok and not self.board.is_empty:
            return self.board.pipe(tcb.snd_una, tcb.snd_max, tcb.snd_mss)
        return tcb.snd_max - tcb.snd_una

    def lost_bytes(self) -> int:
        """Return the octets deemed lost and not yet acknowledged (an estimate).

        After a retransmission timeout everything outstanding and not SACKed; otherwise what
        the SACK scoreboard (RFC 6675 IsLost) and RACK deem lost.
        """
        tcb = self.tcb
        if self.in_loss:
            lost = tcb.snd_max - tcb.snd_una - self.board.sacked_bytes
            return lost if lost > 0 else 0
        lost = self.rack.lost_bytes
        if tcb.sack_ok and not self.board.is_empty:
            lost += self.board.lost_bytes(tcb.snd_mss)
        return lost

    def trace_rtt(self, t: int, sample_us: int | None) -> None:
        """Record the RTT estimate and RTO (tracing is on)."""
        trace = self.tcb.trace
        if trace is not None:
            rtt = self.rtt
            trace.rtt(t, sample_us, rtt.srtt_us, rtt.rttvar_us, rtt.rto.micros)

    def trace_ack(self, t: int, seg: TcpRepr) -> None:
        """Record an ACK processed and the congestion state after it (tracing is on)."""
        tcb = self.tcb
        trace = tcb.trace
        if trace is not None:
            ack = seg.ack_number
            trace.ack(
                t,
                0 if ack is None else int(ack),
                seg.window_len << tcb.snd_shift,
                seg.sack_ranges,
                self.cc.cwnd,
                self.cc.ssthresh,
                self.in_flight(),
            )
