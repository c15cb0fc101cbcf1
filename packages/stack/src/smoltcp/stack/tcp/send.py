"""The send side of a connection: what `dispatch` emits, and when (`poll_at`).

One call of `Sender.dispatch` emits at most one segment, chosen in this order: a pending RST;
the SYN or SYN-ACK; an expired timer's work (retransmission, TIME-WAIT, user timeout); a
retransmission that `recovery.Recovery` asks for; new data and the FIN (segmented to the send
MSS, held back by Nagle's algorithm and sender-side SWS avoidance, limited by the peer's
window and the congestion window); a zero-window probe; a keep-alive; and last a pure ACK
(immediate, delayed or a window update). Payloads are views into the send ring: nothing is
copied here. Every segment leaves through `Sender.send` (or `send_syn`, `emit_rst`), built in
the base class `output.SegmentOutput`: the one place where a trace hook sees what goes out.
"""

from __future__ import annotations

from typing import Literal

from smoltcp.stack.socket.base import Emit
from smoltcp.stack.tcp.output import SegmentOutput
from smoltcp.stack.tcp.seq import SEQ_HALF, SEQ_MASK
from smoltcp.stack.tcp.seq import SEQ_MOD as _SEQ_MOD
from smoltcp.stack.tcp.seq import int_sub as _int_sub
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.tcp.tcb import Context, Payload
from smoltcp.stack.tcp.trace import LossReason
from smoltcp.stack.time import Instant
from smoltcp.wire import (
    IpEndpoint,
    IpProtocol,
    TcpControl,
    TcpSeqNumber,
)

__all__ = [
    "CHRONO_BUSY",
    "CHRONO_CWND",
    "CHRONO_IDLE",
    "CHRONO_RWND",
    "CHRONO_SNDBUF",
    "MAX_PERSIST",
    "Sender",
]

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
_PSH = TcpControl.PSH
_NONE = TcpControl.NONE
_TCP = IpProtocol.TCP
_RTO = LossReason.RTO
_FAST = LossReason.FAST_RETRANSMIT
_RACK = LossReason.RACK
_PMTU = LossReason.PMTU


# States in which data (and the FIN, once queued) may be sent.
_SENDING = frozenset((_ESTABLISHED, _CLOSE_WAIT, _FIN_WAIT_1, _CLOSING, _LAST_ACK))
_FIN_QUEUED = frozenset((_FIN_WAIT_1, _CLOSING, _LAST_ACK))

# RFC 9293 3.8.6.1: probe intervals back off exponentially, here up to 60 s.
MAX_PERSIST = 60_000_000

# What limits the sender, for the statistics' "time limited by" (`Sender.chrono`): nothing in
# flight or queued; sending (or held by Nagle, or the application keeps up); the peer's
# window; a full send buffer all in flight; the congestion window.
CHRONO_IDLE, CHRONO_BUSY, CHRONO_RWND, CHRONO_SNDBUF, CHRONO_CWND = range(5)


class Sender(SegmentOutput):
    """The send side of one connection (see the module docstring)."""

    __slots__ = (
        "chrono",
        "chrono_at",
        "chrono_us",
        "limit",
        "nagle",
        "persist_at",
        "persist_backoff",
        "probing",
    )

    def __init__(self) -> None:
        # Configuration (kept across connections).
        self.nagle = True
        self.hop_limit: int | None = None
        self._ip_template = None
        self._ip_last = None
        self.rst_pending: tuple[IpEndpoint, IpEndpoint, TcpSeqNumber, TcpSeqNumber] | None = None
        # Statistics: micros spent in each CHRONO_* kind (kept across connections), the
        # kind now and since when; `limit` is what stopped `next_segment` last.
        self.chrono_us = [0, 0, 0, 0, 0]
        self.chrono = CHRONO_IDLE
        self.chrono_at = 0
        self.limit = CHRONO_IDLE
        self.reset()

    def reset(self) -> None:
        """Forget the connection's send state (not the configuration)."""
        self.persist_at: int | None = None
        # Also counts SYN retransmissions while the handshake is under way.
        self.persist_backoff = 0
        self.probing = False
        self.rst_pending = None
        self.set_chrono(self.tcb.clock if hasattr(self, "tcb") else 0, CHRONO_IDLE)

    def set_chrono(self, t: int, kind: int) -> None:
        """Account the time since the last change to the current kind; switch to ``kind``."""
        if self.chrono != CHRONO_IDLE:
            span = t - self.chrono_at
            if span > 0:
                self.chrono_us[self.chrono] += span
        self.chrono = kind
        self.chrono_at = t

    def chrono_totals(self, t: int) -> list[int]:
        """Return the micros spent in each CHRONO_* kind, the current one counted up to ``t``."""
        totals = list(self.chrono_us)
        if self.chrono != CHRONO_IDLE and t > self.chrono_at:
            totals[self.chrono] += t - self.chrono_at
        return totals

    def dispatch(self, cx: Context, now: Instant, emit: Emit) -> bool:
        """Emit at most one segment through ``emit``; return whether one was emitted."""
        return self.dispatch_poll(cx, now, emit) is True

    def dispatch_poll(
        self, cx: Context, now: Instant, emit: Emit
    ) -> Literal[True] | Instant | None:
        """Emit at most one segment through ``emit``; return True when one was emitted, and
        otherwise when `dispatch` next has work (what `poll_at` would return now).

        A visit that sends nothing has checked every kind of work on the way (every
        condition under which `poll_at` answers "now"), so only the timers are left to
        look at: the egress loop needs no `poll_at` after it.
        """
        tcb = self.tcb
        rec = self.rec
        rcv = self.rcv
        if self.rst_pending is not None:
            self.emit_rst(emit)
            return True
        st = tcb.state
        if st is _CLOSED or st is _LISTEN:
            return None
        t = tcb.clock = now.micros
        if st is _TIME_WAIT:
            timewait_at = tcb.timewait_at
            assert timewait_at is not None  # armed on entering TIME-WAIT
            if t >= timewait_at:
                self.sock._to_closed()
                return self.poll_at(cx)
            if rcv.ack_now:
                self.send(cx, emit, t, _NONE, self.ack_seq(), b"")
                return True
            return self.poll_at(cx)

        # User timeout (RFC 9293 3.8.4): give up on a silent peer.
        timeout = tcb.timeout
        if timeout is not None and t >= tcb.progress_at + timeout and self.waiting():
            if st is _SYN_RECEIVED:
                # Not synchronized: the peer may never have had our SYN-ACK and still be in
                # SYN-SENT, where a RST acknowledging its SYN reads as "connection refused".
                # The half-open connection goes silently, as when its SYN-ACK retries run
                # out; the peer's next SYN finds the listener again.
                if tcb.passive and not tcb.child:
                    # A backlog-0 listener goes back to listening (RFC 9293 3.10.7.4).
                    self.lst.return_to_listen()
                    return self.poll_at(cx)
            elif st is not _SYN_SENT:
                # Synchronized: tell the peer with one RST; received octets stay readable.
                self.queue_rst()
            tcb.error = "timed out"
            tcb.tx.clear()
            self.sock._to_closed()
            if self.rst_pending is not None:
                self.emit_rst(emit)
                return True
            return self.poll_at(cx)

        if rec.rto_at is not None and t >= rec.rto_at:
            rec.on_retransmit_timeout(now, t)
            if tcb.state is not st:
                return self.poll_at(cx)
        elif rec.tlp_at is not None and t >= rec.tlp_at:
            rec.tlp_at = None
            if self.rec.loss_probe(cx, emit, t):
                return True
        if rec.rack_at is not None and t >= rec.rack_at:
            rec.rack_at = None
            rec.rack_detect(now, t)

        if st is _SYN_SENT or st is _SYN_RECEIVED:
            if tcb.snd_nxt == tcb.iss:
                self.send_syn(cx, emit, t)
                return True
            if rcv.ack_now and st is _SYN_RECEIVED:
                self.send(cx, emit, t, _NONE, self.ack_seq(), b"")
                return True
            return self.poll_at(cx)

        if rec.rack.lost:
            # RACK's losses first (a retransmission lost again is older than any hole), and
            # segments a lowered path MTU dropped.
            lost = rec.rack_next()
            if lost is not None:
                seq, size, why = lost
                if why is _RACK or rec.in_recovery:
                    # A path MTU loss left the network: outside recovery it is not put in the
                    # pipe twice. In recovery it moves HighRxt on, so that the scoreboard's
                    # holes (`sack_hole`) do not send the same octets again.
                    rec.board.mark_retransmitted(seq, size)
                rec.rtt_seq = None
                self.send_data(cx, emit, t, seq, size, False, why)
                return True

        if rec.in_recovery:
            if rec.retx_next:
                rec.retx_next = False
                if self.rec.fast_retransmit(cx, emit, t):
                    return True
            if tcb.sack_ok:
                hole = rec.sack_hole()
                if hole is not None:
                    rec.board.mark_retransmitted(*hole)
                    self.send_data(cx, emit, t, hole[0], hole[1], False, _FAST)
                    return True

        seg = self.next_segment()
        if seg is not None:
            if self.chrono != CHRONO_BUSY:
                self.set_chrono(t, CHRONO_BUSY)
            seq, size, fin = seg
            self.send_data(cx, emit, t, seq, size, fin)
            return True
        if self.limit != self.chrono:
            self.set_chrono(t, self.limit)

        # (An open window is the common case: no call to find there is nothing to probe.)
        if not tcb.snd_wnd and self.zero_window_probe(cx, emit, t):
            return True

        ka = tcb.keepalive_at
        keep_alive = tcb.keep_alive
        if ka is not None and keep_alive is not None and t >= ka:
            idle = tcb.snd_max == tcb.snd_una
            if idle and (rcv.ack_now or rcv.win_update or rcv.ack_at is not None):
                # An owed ACK goes first, at SND.MAX: on the probe's old sequence number the
                # peer would drop it, ACK field and all. The probe stays due and follows; a
                # pure ACK draws no reply, so it cannot stand for the probe.
                self.send(cx, emit, t, _NONE, self.ack_seq(), b"")
                return True
            tcb.keepalive_at = t + keep_alive
            if idle:
                # RFC 9293 3.8.4: an old sequence number draws an ACK from a live peer.
                # (With data outstanding the retransmissions do that job.)
                self.send(cx, emit, t, _NONE, tcb.snd_una + -1, b"")
                return True

        # A pure ACK carries SND.MAX, not a SND.NXT rewound by an RTO: a sequence number
        # below the peer's RCV.NXT would make it drop the segment, ACK field and all.
        ack_at = rcv.ack_at
        if rcv.ack_now or rcv.win_update or (ack_at is not None and t >= ack_at):
            self.send(cx, emit, t, _NONE, self.ack_seq(), b"")
            return True
        # Nothing to send now (each check above would have sent): the next timer.
        return self.next_timer()

    def waiting(self) -> bool:
        # True while we wait on the peer: unacknowledged sequence space, or keep-alive on.
        tcb = self.tcb
        return (
            tcb.snd_max != tcb.snd_una
            or tcb.state is _SYN_SENT
            or tcb.state is _SYN_RECEIVED
            or tcb.keep_alive is not None
            or self.probing
        )

    def next_segment(self) -> tuple[TcpSeqNumber, int, bool] | None:
        """Return (seq, size, fin) of the next new-data segment allowed now, or None."""
        tcb = self.tcb
        rec = self.rec
        st = tcb.state
        if st not in _SENDING:
            self.limit = CHRONO_IDLE
            return None
        snd_una = tcb.snd_una
        snd_nxt = tcb.snd_nxt
        sacked_edge = None
        # (``!=`` first: the int comparison in C; SND.NXT is SND.MAX but after an RTO.)
        if (
            snd_nxt != tcb.snd_max
            and snd_nxt < tcb.snd_max
            and tcb.sack_ok
            and not rec.board.is_empty
        ):
            # Going back after an RTO: skip what the peer has SACKed (RFC 6675 5.1 keeps
            # the scoreboard across a timeout), and stop short of the next SACKed range.
            for left, right in rec.board.blocks():
                if snd_nxt < left:
                    sacked_edge = TcpSeqNumber(left)
                    break
                if snd_nxt < right:
                    snd_nxt = tcb.snd_nxt = TcpSeqNumber(right)
        queued = len(tcb.tx)
        # SND.NXT - SND.UNA: TcpSeqNumber's signed distance, its formula inlined (this runs
        # several times per poll of a sending socket).
        offset = _int_sub(snd_nxt, snd_una) & SEQ_MASK
        if offset > SEQ_HALF:
            offset -= _SEQ_MOD
        unsent = queued - offset
        fin_queued = st in _FIN_QUEUED
        if unsent <= 0:
            # Only the FIN may be left: it sits at SND.UNA + queued, and goes (again, after
            # an RTO) whenever SND.NXT is there.
            if unsent == 0 and fin_queued:
                return snd_nxt, 0, True
            if tcb.snd_max == snd_una:
                self.limit = CHRONO_IDLE
            elif tcb.tx.window() == 0:
                # All of a full send buffer is in flight: the buffer limits the sender.
                self.limit = CHRONO_SNDBUF
            else:
                self.limit = CHRONO_BUSY
            return None
        mss = tcb.snd_mss
        if tcb.sack_ok and not self.rcv.assembler.is_empty():
            mss = self.data_mss()
        wnd_room = tcb.snd_wnd - offset
        if rec.in_recovery:
            if tcb.sack_ok:
                pipe = rec.board.pipe(snd_una, tcb.snd_max, mss)
                cwnd_room = rec.cc.cwnd - pipe
            else:
                cwnd_room = rec.cc.cwnd + rec.inflation - (tcb.snd_max - snd_una)
            # In recovery only new data goes out here (holes go via Recovery.fast_retransmit).
            if snd_nxt < tcb.snd_max:
                self.limit = CHRONO_CWND
                return None
        else:
            cwnd_room = rec.cc.cwnd - offset
            dupacks = rec.dupacks
            if dupacks:
                # Limited transmit (RFC 3042): each of the first two dup ACKs lets one new
                # segment out, so that a small flight can still raise three dup ACKs.
                cwnd_room += (dupacks if dupacks < 2 else 2) * mss
        size = unsent
        if size > mss:
            # A super-segment (Context.max_tso_size): the device (TSO) or the interface (GSO)
            # cuts it into MSS-sized segments, one pass through TCP per up to ~44 on the
            # wire. Otherwise one MSS. The cut is at what our IP MTU leaves (our receive
            # MSS), so only when the peer's MSS is no smaller than that.
            tso = tcb.tso_room
            if tso > mss and tcb.snd_mss + (12 if tcb.ts_ok else 0) >= tcb.rcv_mss:
                cap = tso - tso % mss
                if size > cap:
                    size = cap
            else:
                size = mss
        if sacked_edge is not None and size > sacked_edge - snd_nxt:
            size = sacked_edge - snd_nxt
        if size > wnd_room:
            size = wnd_room
        if size > cwnd_room:
            size = cwnd_room
        if size <= 0:
            self.limit = CHRONO_RWND if wnd_room <= 0 else CHRONO_CWND
            return None
        if size > mss and size < unsent:
            # A super-segment cut short by the window: whole MSS-sized segments only, so the
            # device does not put a runt on the wire in the middle of the stream.
            size -= size % mss
        in_flight = tcb.snd_max != snd_una
        # Nagle and SWS avoidance hold back new data only: never a retransmission.
        if size < mss and snd_nxt == tcb.snd_max:
            if size < unsent:
                # Sender SWS avoidance (RFC 9293 3.8.6.2.1): a window-limited small segment
                # only if it is at least half the largest window the peer offered, or
                # nothing is in flight (so no ACK would ever come to open the window).
                if in_flight and size < tcb.max_snd_wnd // 2:
                    self.limit = CHRONO_RWND if size == wnd_room else CHRONO_CWND
                    return None
            elif self.nagle and in_flight and not fin_queued:
                # Nagle (RFC 896, RFC 9293 3.7.4): one small segment in flight at a time.
                self.limit = CHRONO_BUSY
                return None
        fin = fin_queued and size == unsent
        return snd_nxt, size, fin

    def send_data(
        self,
        cx: Context,
        emit: Emit,
        t: int,
        seq: TcpSeqNumber,
        size: int,
        fin: bool,
        why: LossReason | None = None,
    ) -> None:
        """Send ``size`` octets from ``seq`` (and the FIN); ``why`` names the cause when the
        caller resends data (None for new data, and for the go-back-N after a timeout)."""
        tcb = self.tcb
        # SEQ - SND.UNA and SEQ < SND.MAX, as `TcpSeqNumber`'s ``-`` and ``<`` give them, with
        # int's own operators (no Python-level call per segment sent).
        offset = _int_sub(seq, tcb.snd_una) & SEQ_MASK
        if offset > SEQ_HALF:
            offset -= _SEQ_MOD
        payload: Payload = b""
        if size:
            tx = tcb.tx
            payload = tx.get_allocated(offset, size)
            if len(payload) < size:
                # The data wraps around the end of the ring: join the two pieces rather than
                # send a runt segment (this happens once per trip around the ring).
                rest = tx.get_allocated(offset + len(payload), size - len(payload))
                payload = b"".join((payload, rest))  # (one copy of each piece)
        if 0 < _int_sub(tcb.snd_max, seq) & SEQ_MASK < SEQ_HALF:
            self.rec.n_retx += 1
            if why is None:
                # The go-back-N after an RTO, or over what a path MTU drop lost.
                why = _RTO
                pmtu_end = self.rec.pmtu_end
                if pmtu_end is not None and seq < pmtu_end:
                    why = _PMTU
                    if seq + size >= pmtu_end:
                        self.rec.pmtu_end = None
            self.rec.count_retransmission(why, size)
        ctl = _FIN if fin else (_PSH if size and offset + size == len(tcb.tx) else _NONE)
        self.send(cx, emit, t, ctl, seq, payload, True, why)

    def data_mss(self) -> int:
        """Return the payload that fits a segment now: the send MSS less any SACK option.

        Linux does the same (tcp_current_mss): SACK blocks ride on data segments too, and a
        full-sized payload with them would exceed the path MTU.
        """
        tcb = self.tcb
        mss = tcb.snd_mss
        if tcb.sack_ok and not self.rcv.assembler.is_empty():
            count = self.rcv.sack_count(True)
            if count:
                mss -= 4 + 8 * count
        return mss

    def ack_seq(self) -> TcpSeqNumber:
        """Return SEG.SEQ for a pure ACK: SND.MAX, kept inside the peer's window.

        Not SND.NXT, which an RTO rewinds: a SEQ below the peer's RCV.NXT makes it drop the
        ACK field too. Not past SND.UNA + SND.WND either: a peer with a closed window drops
        that (Linux's tcp_acceptable_seq follows the same rule).
        """
        tcb = self.tcb
        snd_max = tcb.snd_max
        if snd_max == tcb.snd_una:
            # Nothing in flight (every pure ACK of a receiver): SND.MAX is inside any window
            # (SND.WND, scaled, stays below half the sequence space).
            return snd_max
        edge = tcb.snd_una + tcb.snd_wnd
        return snd_max if snd_max <= edge else edge

    def zero_window_probe(self, cx: Context, emit: Emit, t: int) -> bool:
        """Probe a zero window with one octet, backing off (RFC 9293 3.8.6.1)."""
        tcb = self.tcb
        if tcb.snd_wnd or tcb.state not in _SENDING:
            return False
        # SND.NXT, not SND.MAX: after an RTO rewound SND.NXT to a closed window, nothing
        # else would ever be sent (and a lost window update would stall us for good).
        if tcb.snd_nxt != tcb.snd_una or len(tcb.tx) == 0:
            return False
        if self.persist_at is None:
            self.persist_at = t + self.persist_interval()
            return False
        if t < self.persist_at:
            return False
        self.probing = True
        self.persist_backoff += 1
        self.persist_at = t + self.persist_interval()
        self.send(cx, emit, t, _NONE, tcb.snd_una, tcb.tx.get_allocated(0, 1), False)
        return True

    def persist_interval(self) -> int:
        interval = self.rec.rtt.rto.micros << self.persist_backoff
        return interval if interval < MAX_PERSIST else MAX_PERSIST

    def poll_at(self, cx: Context) -> Instant | None:
        """Return when `dispatch` next has work (``Instant.ZERO``: now), or None."""
        tcb = self.tcb
        rec = self.rec
        rcv = self.rcv
        if self.rst_pending is not None:
            return Instant.ZERO
        st = tcb.state
        if st is _CLOSED or st is _LISTEN:
            return None
        if st is _TIME_WAIT:
            if rcv.ack_now or tcb.timewait_at is None:
                return Instant.ZERO
            return Instant(tcb.timewait_at)
        if st is _SYN_SENT or st is _SYN_RECEIVED:
            # Only the handshake's own work (mirrors `dispatch`): SYN, ACK, RTO, timeout.
            if tcb.snd_nxt == tcb.iss or (rcv.ack_now and st is _SYN_RECEIVED):
                return Instant.ZERO
            at = rec.rto_at
            if tcb.timeout is not None:
                other = tcb.progress_at + tcb.timeout
                if at is None or other < at:
                    at = other
            return None if at is None else Instant(at)
        if rcv.ack_now or rcv.win_update:
            return Instant.ZERO
        if (
            (rec.in_recovery and (rec.retx_next or (tcb.sack_ok and rec.sack_hole() is not None)))
            or (rec.rack.lost and rec.rack_next() is not None)
            or self.next_segment() is not None
        ):
            return Instant.ZERO
        return self.next_timer()

    def next_timer(self) -> Instant | None:
        """Return when the earliest timer of a synchronized connection fires, or None."""
        tcb = self.tcb
        rec = self.rec
        rcv = self.rcv
        at = rec.rto_at
        for timer in (rcv.ack_at, tcb.keepalive_at, rec.tlp_at, rec.rack_at):
            if timer is not None and (at is None or timer < at):
                at = timer
        if (
            tcb.snd_wnd == 0
            and tcb.state in _SENDING
            and tcb.snd_nxt == tcb.snd_una
            and len(tcb.tx)
        ):
            persist: int = self.persist_at if self.persist_at is not None else 0
            if at is None or persist < at:
                at = persist
        if tcb.timeout is not None and self.waiting():
            other = tcb.progress_at + tcb.timeout
            if at is None or other < at:
                at = other
        return None if at is None else Instant(at)
