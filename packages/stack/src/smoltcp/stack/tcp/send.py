"""The send path: what `TcpSocket.dispatch` emits, and when (`poll_at`).

One call of `dispatch` emits at most one segment, chosen in this order: a pending RST; the
SYN or SYN-ACK; an expired timer's work (retransmission, TIME-WAIT, user timeout); a fast
retransmission; new data and the FIN (segmented to the send MSS, held back by Nagle's
algorithm and sender-side SWS avoidance, limited by the peer's window and the congestion
window); a zero-window probe; a keep-alive; and last a pure ACK (immediate, delayed or a
window update). Payloads are views into the send ring: nothing is copied here.
"""

from __future__ import annotations

from typing import Any

from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.time import Instant
from smoltcp.wire import IpProtocol, TcpControl, TcpRepr, TcpSeqNumber, TcpTimestampRepr, ip_repr

__all__ = ["_SendPath"]

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

# States in which data (and the FIN, once queued) may be sent.
_SENDING = frozenset((_ESTABLISHED, _CLOSE_WAIT, _FIN_WAIT_1, _CLOSING, _LAST_ACK))
_FIN_QUEUED = frozenset((_FIN_WAIT_1, _CLOSING, _LAST_ACK))
# States in which the peer may still send (window updates matter).
_RECEIVING = frozenset((_ESTABLISHED, _FIN_WAIT_1, _FIN_WAIT_2))

# Tail loss probe timeouts beyond 2 * SRTT (RFC 8985 7.2, as Linux adds them): the ACK delay
# a lone segment may wait for at the peer, and otherwise a small margin; before any RTT
# sample, one second (RFC 8985: "PTO = 1 second").
_TLP_LONE_SEGMENT = 200_000
_TLP_MIN = 2_000
_TLP_NO_SRTT = 1_000_000

# RFC 9293 3.8.6.1: probe intervals back off exponentially, here up to 60 s.
MAX_PERSIST = 60_000_000
# SYN and SYN-ACK retransmissions before giving up (Linux: 6 and 5).
MAX_SYN_RETRIES = 6
_DEFAULT_HOP_LIMIT = 64
_tuple_new = tuple.__new__
# `_send` builds TcpRepr positionally: fail at import if wire's field order ever changes.
# Fields wire appends after `ns` (its compatibility rule: new fields only at the end) take
# their defaults from `_TCP_REPR_TAIL`.
assert TcpRepr._fields[9:12] == ("sack_ranges", "timestamp", "payload")
assert TcpRepr._fields[12:16] == ("unknown_options", "ece", "cwr", "ns")
_TCP_REPR_TAIL = tuple(TcpRepr._field_defaults[name] for name in TcpRepr._fields[16:])


class _SendPath:
    """Egress for `TcpSocket` (see socket.py for the slots)."""

    __slots__ = ()

    # -- what to send ----------------------------------------------------------------------

    def dispatch(self: Any, cx: Any, now: Instant, emit: Any) -> bool:
        """Emit at most one segment through ``emit``; return whether one was emitted."""
        if self._rst_pending is not None:
            self._emit_rst(emit)
            return True
        st = self._state
        if st is _CLOSED or st is _LISTEN:
            return False
        t = now.micros
        if st is _TIME_WAIT:
            if t >= self._timewait_at:
                self._to_closed()
                return False
            if self._ack_now:
                self._send(cx, emit, t, _NONE, self._ack_seq(), b"")
                return True
            return False

        # User timeout (RFC 9293 3.8.4): give up on a silent peer.
        timeout = self._timeout
        if timeout is not None and t >= self._progress_at + timeout and self._waiting():
            # Synchronized: tell the peer with one RST; received octets stay readable.
            if st is not _SYN_SENT:
                self._queue_rst()
            if st is _SYN_RECEIVED and self._passive and not self._child:
                # A backlog-0 listener goes back to listening (RFC 9293 3.10.7.4).
                rst = self._rst_pending
                self._return_to_listen()
                self._rst_pending = rst
                self._emit_rst(emit)
                return True
            self._error = "timed out"
            self._tx.clear()
            self._to_closed()
            if self._rst_pending is not None:
                self._emit_rst(emit)
                return True
            return False

        if self._rto_at is not None and t >= self._rto_at:
            self._on_retransmit_timeout(now, t)
            if self._state is not st:
                return False
        elif self._tlp_at is not None and t >= self._tlp_at:
            self._tlp_at = None
            if self._loss_probe(cx, emit, t):
                return True
        if self._rack_at is not None and t >= self._rack_at:
            self._rack_at = None
            self._rack_detect(now, t)

        if st is _SYN_SENT or st is _SYN_RECEIVED:
            if self._snd_nxt == self._iss:
                self._send_syn(cx, emit, t)
                return True
            if self._ack_now and st is _SYN_RECEIVED:
                self._send(cx, emit, t, _NONE, self._ack_seq(), b"")
                return True
            return False

        if self._rack.lost:
            # RACK's losses first (a retransmission lost again is older than any hole).
            lost = self._rack_next()
            if lost is not None:
                self._board.mark_retransmitted(*lost)
                self._rtt_seq = None
                self._send_data(cx, emit, t, lost[0], lost[1], False)
                return True

        if self._in_recovery:
            if self._retx_next:
                self._retx_next = False
                if self._fast_retransmit(cx, emit, t):
                    return True
            if self._sack_ok:
                hole = self._sack_hole()
                if hole is not None:
                    self._board.mark_retransmitted(*hole)
                    self._send_data(cx, emit, t, hole[0], hole[1], False)
                    return True

        seg = self._next_segment()
        if seg is not None:
            seq, size, fin = seg
            self._send_data(cx, emit, t, seq, size, fin)
            return True

        if self._zero_window_probe(cx, emit, t):
            return True

        ka = self._keepalive_at
        if ka is not None and t >= ka:
            self._keepalive_at = t + self._keep_alive
            if self._snd_max == self._snd_una:
                # RFC 9293 3.8.4: an old sequence number draws an ACK from a live peer.
                # (With data outstanding the retransmissions do that job.)
                self._send(cx, emit, t, _NONE, self._snd_una - 1, b"")
                return True

        # A pure ACK carries SND.MAX, not a SND.NXT rewound by an RTO: a sequence number
        # below the peer's RCV.NXT would make it drop the segment, ACK field and all.
        ack_at = self._ack_at
        if self._ack_now or self._win_update or (ack_at is not None and t >= ack_at):
            self._send(cx, emit, t, _NONE, self._ack_seq(), b"")
            return True
        return False

    def _waiting(self: Any) -> bool:
        # True while we wait on the peer: unacknowledged sequence space, or keep-alive on.
        return (
            self._snd_max != self._snd_una
            or self._state is _SYN_SENT
            or self._state is _SYN_RECEIVED
            or self._keep_alive is not None
            or self._probing
        )

    def _next_segment(self: Any) -> tuple[Any, int, bool] | None:
        """Return (seq, size, fin) of the next new-data segment allowed now, or None."""
        st = self._state
        if st not in _SENDING:
            return None
        snd_una = self._snd_una
        snd_nxt = self._snd_nxt
        sacked_edge = None
        if snd_nxt < self._snd_max and self._sack_ok and not self._board.is_empty:
            # Going back after an RTO: skip what the peer has SACKed (RFC 6675 5.1 keeps
            # the scoreboard across a timeout), and stop short of the next SACKed range.
            for left, right in self._board.blocks():
                if snd_nxt < left:
                    sacked_edge = TcpSeqNumber(left)
                    break
                if snd_nxt < right:
                    snd_nxt = self._snd_nxt = TcpSeqNumber(right)
        queued = len(self._tx)
        offset = snd_nxt - snd_una
        unsent = queued - offset
        fin_queued = st in _FIN_QUEUED
        if unsent <= 0:
            # Only the FIN may be left: it sits at SND.UNA + queued, and goes (again, after
            # an RTO) whenever SND.NXT is there.
            if unsent == 0 and fin_queued:
                return snd_nxt, 0, True
            return None
        mss = self._data_mss()
        wnd_room = self._snd_wnd - offset
        if self._in_recovery:
            if self._sack_ok:
                pipe = self._board.pipe(snd_una, self._snd_max, mss)
                cwnd_room = self._cc.cwnd - pipe
            else:
                cwnd_room = self._cc.cwnd + self._inflation - (self._snd_max - snd_una)
            # In recovery only new data goes out here (holes go via _fast_retransmit).
            if snd_nxt < self._snd_max:
                return None
        else:
            cwnd_room = self._cc.cwnd - offset
            dupacks = self._dupacks
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
            tso = self._tso_room
            if tso > mss and self._snd_mss + (12 if self._ts_ok else 0) >= self._rcv_mss:
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
            return None
        if size > mss and size < unsent:
            # A super-segment cut short by the window: whole MSS-sized segments only, so the
            # device does not put a runt on the wire in the middle of the stream.
            size -= size % mss
        in_flight = self._snd_max != snd_una
        # Nagle and SWS avoidance hold back new data only: never a retransmission.
        if size < mss and snd_nxt == self._snd_max:
            if size < unsent:
                # Sender SWS avoidance (RFC 9293 3.8.6.2.1): a window-limited small segment
                # only if it is at least half the largest window the peer offered, or
                # nothing is in flight (so no ACK would ever come to open the window).
                if in_flight and size < self._max_snd_wnd // 2:
                    return None
            elif self._nagle and in_flight and not fin_queued:
                # Nagle (RFC 896, RFC 9293 3.7.4): one small segment in flight at a time.
                return None
        fin = fin_queued and size == unsent
        return snd_nxt, size, fin

    def _send_data(self: Any, cx: Any, emit: Any, t: int, seq: Any, size: int, fin: bool) -> None:
        offset = seq - self._snd_una
        payload: Any = b""
        if size:
            tx = self._tx
            payload = tx.get_allocated(offset, size)
            if len(payload) < size:
                # The data wraps around the end of the ring: join the two pieces rather than
                # send a runt segment (this happens once per trip around the ring).
                rest = tx.get_allocated(offset + len(payload), size - len(payload))
                payload = bytes(payload) + bytes(rest)
        if seq < self._snd_max:
            self._n_retx += 1
        ctl = _FIN if fin else (_PSH if size and offset + size == len(self._tx) else _NONE)
        self._send(cx, emit, t, ctl, seq, payload)

    def _fast_retransmit(self: Any, cx: Any, emit: Any, t: int) -> bool:
        """Retransmit the first hole (RFC 5681 3.2 / RFC 6582 / RFC 6675 NextSeg)."""
        snd_una = self._snd_una
        mss = self._data_mss()
        seq = snd_una
        size = mss
        if self._sack_ok:
            hole = self._board.next_to_retransmit(snd_una, self._snd_max, mss)
            if hole is not None:
                seq, size = hole
            elif not self._board.is_empty:
                # Every hole was resent in this recovery already: a lost retransmission is
                # left to the RTO (RFC 6675), not resent blindly from SND.UNA.
                return False
        queued = len(self._tx)
        offset = seq - snd_una
        if offset + size > queued:
            size = max(0, queued - offset)
        fin = (
            self._state in _FIN_QUEUED
            and offset + size == queued
            and self._snd_max - snd_una > queued
        )
        if size == 0 and not fin:
            return False
        if self._sack_ok:
            self._board.mark_retransmitted(seq, size)
        self._rtt_seq = None
        self._send_data(cx, emit, t, seq, size, fin)
        return True

    def _rack_next(self: Any) -> tuple[Any, int] | None:
        """Return the next range RACK deemed lost to send again if the window allows, or None.

        What RACK marked lost is no longer in flight: it does not count against the
        congestion window (the scoreboard's pipe only knows the losses SACKs show).
        """
        lost = self._rack.lost
        snd_una = self._snd_una
        queued = len(self._tx)
        while lost:
            start, end = lost[0]
            offset = (start - int(snd_una)) & 0xFFFFFFFF
            size = min((end - start) & 0xFFFFFFFF, queued - offset)
            if size > 0 and offset < queued:
                break
            del lost[0]  # nothing of it left to send (acknowledged, or beyond the data)
        else:
            return None
        mss = self._data_mss()
        if size > mss:
            size = mss
        out = sum((e - s) & 0xFFFFFFFF for s, e in lost)
        if self._cc.cwnd - self._board.pipe(snd_una, self._snd_max, mss) + out < size:
            return None
        return TcpSeqNumber(start), size

    def _sack_hole(self: Any) -> tuple[Any, int] | None:
        """Return the next lost hole to retransmit if the pipe allows (RFC 6675 5 NextSeg 1)."""
        snd_una = self._snd_una
        mss = self._data_mss()
        if self._cc.cwnd - self._board.pipe(snd_una, self._snd_max, mss) < mss:
            return None
        hole = self._board.next_to_retransmit(snd_una, self._snd_max, mss, False)
        if hole is None:
            return None
        seq, size = hole
        queued = len(self._tx)
        offset = seq - snd_una
        if offset + size > queued:
            size = queued - offset
        return (seq, size) if size > 0 else None

    def _data_mss(self: Any) -> int:
        """Return the payload that fits a segment now: the send MSS less any SACK option.

        Linux does the same (tcp_current_mss): SACK blocks ride on data segments too, and a
        full-sized payload with them would exceed the path MTU.
        """
        mss = self._snd_mss
        if self._sack_ok and not self._assembler.is_empty():
            count = self._sack_count(True)
            if count:
                mss -= 4 + 8 * count
        return mss

    def _sack_count(self: Any, data: bool, extra: int = 0) -> int:
        """Return how many SACK blocks a segment carries (RFC 2018 3: 3 with timestamps):
        one per range held out of order, and ``extra`` more (a D-SACK).

        No more than fit our IP MTU, and on a data segment no more than would take half its
        payload (both matter only for tiny MTUs).
        """
        count = len(self._assembler.ranges()) + extra
        limit = 3 if self._ts_ok else 4
        # Any segment: the options must fit in what our IP MTU leaves (tiny MTUs).
        room = (self._rcv_mss - (16 if self._ts_ok else 4)) >> 3
        if room < limit:
            limit = room if room > 0 else 0
        if data:
            room = ((self._snd_mss >> 1) - 4) >> 3
            if room < limit:
                limit = room if room > 0 else 0
        return count if count < limit else limit

    def _ack_seq(self: Any) -> Any:
        """Return SEG.SEQ for a pure ACK: SND.MAX, kept inside the peer's window.

        Not SND.NXT, which an RTO rewinds: a SEQ below the peer's RCV.NXT makes it drop the
        ACK field too. Not past SND.UNA + SND.WND either: a peer with a closed window drops
        that (Linux's tcp_acceptable_seq follows the same rule).
        """
        edge = self._snd_una + self._snd_wnd
        return self._snd_max if self._snd_max <= edge else edge

    def _zero_window_probe(self: Any, cx: Any, emit: Any, t: int) -> bool:
        """Probe a zero window with one octet, backing off (RFC 9293 3.8.6.1)."""
        if self._snd_wnd or self._state not in _SENDING:
            return False
        # SND.NXT, not SND.MAX: after an RTO rewound SND.NXT to a closed window, nothing
        # else would ever be sent (and a lost window update would stall us for good).
        if self._snd_nxt != self._snd_una or len(self._tx) == 0:
            return False
        if self._persist_at is None:
            self._persist_at = t + self._persist_interval()
            return False
        if t < self._persist_at:
            return False
        self._probing = True
        self._persist_backoff += 1
        self._persist_at = t + self._persist_interval()
        self._send(cx, emit, t, _NONE, self._snd_una, self._tx.get_allocated(0, 1), False)
        return True

    def _persist_interval(self: Any) -> int:
        interval = self._rtt.rto.micros << self._persist_backoff
        return interval if interval < MAX_PERSIST else MAX_PERSIST

    # -- timers ----------------------------------------------------------------------------

    def _on_retransmit_timeout(self: Any, now: Instant, t: int) -> None:
        """RFC 6298 5.4-5.7: back off and go back to SND.UNA."""
        self._rto_at = None
        self._tlp_at = None
        self._tlp_out = False
        self._tlp_end = None
        st = self._state
        self._rtt.on_timeout(now)
        self._rtt_seq = None
        if st is _SYN_SENT or st is _SYN_RECEIVED:
            self._syn_rtx = True
            self._persist_backoff += 1
            if self._persist_backoff > MAX_SYN_RETRIES:
                if st is _SYN_RECEIVED and self._passive and not self._child:
                    self._return_to_listen()
                else:
                    self._error = "timed out"
                    self._to_closed()
                return
            self._snd_nxt = self._iss
            return
        if self._snd_max == self._snd_una:
            return
        self._n_timeouts += 1
        self._cc.on_rto(now, self._snd_max - self._snd_una)
        self._board.on_rto()
        self._rack.on_rto()
        self._rack_at = None
        # RFC 6582 section 4 (after an RTO, no fast retransmit until past this point).
        self._recover = self._snd_max
        self._in_recovery = False
        self._inflation = 0
        self._dupacks = 0
        self._retx_next = False
        self._snd_nxt = self._snd_una

    def _arm_loss_probe(self: Any, t: int) -> None:
        """Schedule a tail loss probe (RFC 8985 7.2) if one may go; else disarm it.

        A probe needs SACK (the receiver's answer must say what arrived), data in flight, no
        recovery under way and no probe already out. The probe timeout is twice the smoothed
        RTT, plus the 200 ms a peer may delay its ACK of a lone segment (else plus 2 ms), as
        Linux computes it; never later than the RTO (the probe is worthless then).
        """
        if (
            not self._sack_ok
            or self._tlp_out
            or self._in_recovery
            or self._snd_max == self._snd_una
            or self._rto_at is None
            or self._state not in _SENDING
        ):
            self._tlp_at = None
            return
        srtt = self._rtt.srtt
        if srtt is None:
            pto = _TLP_NO_SRTT
        else:
            pto = 2 * srtt.micros
            pto += _TLP_LONE_SEGMENT if self._snd_max - self._snd_una <= self._snd_mss else _TLP_MIN
        at = t + pto
        self._tlp_at = at if at < self._rto_at else None

    def _loss_probe(self: Any, cx: Any, emit: Any, t: int) -> bool:
        """Send the tail loss probe (RFC 8985 7.3): new data if the windows allow, else the
        last segment again. The RTO restarts from the probe."""
        if self._in_recovery or self._snd_max == self._snd_una:
            return False
        self._tlp_out = True
        self._n_tlp += 1
        seg = self._next_segment()
        if seg is not None:
            seq, size, fin = seg
            self._send_data(cx, emit, t, seq, size, fin)
        else:
            # The last segment sent: it ends at SND.MAX (data beyond that was never sent).
            flight = self._snd_max - self._snd_una
            fin = flight > len(self._tx)  # our FIN is in flight (and last)
            data_out = flight - 1 if fin else flight
            size = min(self._data_mss(), data_out)
            seq = self._snd_una + (data_out - size)
            self._tlp_end = self._snd_max
            self._send_data(cx, emit, t, seq, size, fin)
        self._rto_at = t + self._rtt.rto.micros
        return True

    def poll_at(self: Any, cx: Any) -> Instant | None:
        """Return when `dispatch` next has work (``Instant.ZERO``: now), or None."""
        if self._rst_pending is not None:
            return Instant.ZERO
        st = self._state
        if st is _CLOSED or st is _LISTEN:
            return None
        if st is _TIME_WAIT:
            return Instant.ZERO if self._ack_now else Instant(self._timewait_at)
        if st is _SYN_SENT or st is _SYN_RECEIVED:
            # Only the handshake's own work (mirrors `dispatch`): SYN, ACK, RTO, timeout.
            if self._snd_nxt == self._iss or (self._ack_now and st is _SYN_RECEIVED):
                return Instant.ZERO
            at = self._rto_at
            if self._timeout is not None:
                other = self._progress_at + self._timeout
                if at is None or other < at:
                    at = other
            return None if at is None else Instant(at)
        if self._ack_now or self._win_update:
            return Instant.ZERO
        if (
            (
                self._in_recovery
                and (self._retx_next or (self._sack_ok and self._sack_hole() is not None))
            )
            or (self._rack.lost and self._rack_next() is not None)
            or self._next_segment() is not None
        ):
            return Instant.ZERO
        at = self._rto_at
        for other in (self._ack_at, self._keepalive_at, self._tlp_at, self._rack_at):
            if other is not None and (at is None or other < at):
                at = other
        if (
            self._snd_wnd == 0
            and st in _SENDING
            and self._snd_nxt == self._snd_una
            and len(self._tx)
        ):
            persist = self._persist_at if self._persist_at is not None else 0
            if at is None or persist < at:
                at = persist
        if self._timeout is not None and self._waiting():
            other = self._progress_at + self._timeout
            if at is None or other < at:
                at = other
        return None if at is None else Instant(at)

    # -- building segments -----------------------------------------------------------------

    def _send_syn(self: Any, cx: Any, emit: Any, t: int) -> None:
        """Send the SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) from the ISS."""
        st = self._state
        active = st is _SYN_SENT
        iss = self._iss
        tsval = (t // 1000 + self._ts_offset) & 0xFFFFFFFF
        window = self._rx.window()
        if window > 0xFFFF:
            window = 0xFFFF
        if active:
            ack = None
            ts = TcpTimestampRepr(tsval, 0)
            ws = self._rcv_shift
            sack = True
        else:
            ack = self._rcv_nxt
            ts = TcpTimestampRepr(tsval, self._ts_recent) if self._ts_ok else None
            ws = self._rcv_shift if self._ws_ok else None
            sack = self._sack_ok
        seg = TcpRepr(
            src_port=self._local.port,
            dst_port=self._remote.port,
            control=_SYN,
            seq_number=iss,
            ack_number=ack,
            window_len=window,
            window_scale=ws,
            max_seg_size=self._rcv_mss,
            sack_permitted=sack,
            timestamp=ts,
        )
        if ack is not None:
            self._after_ack_sent(window)
        self._snd_nxt = iss + 1
        if self._snd_max < self._snd_nxt:
            self._snd_max = self._snd_nxt
        if self._syn_rtx:
            self._n_retx += 1
        else:
            self._rtt_seq = self._snd_nxt
            self._rtt_at = t
        if self._rto_at is None:
            self._rto_at = t + self._rtt.rto.micros
        self._n_seg_out += 1
        emit(self._ip_repr(seg), seg)

    def _send(
        self: Any,
        cx: Any,
        emit: Any,
        t: int,
        ctl: Any,
        seq: Any,
        payload: Any,
        advance: bool = True,
    ) -> None:
        """Emit one ACK-bearing segment; account for its sequence space and timers."""
        window = self._advertise_window()
        ts = None
        if self._ts_ok:
            ts = _tuple_new(
                TcpTimestampRepr,
                ((t // 1000 + self._ts_offset) & 0xFFFFFFFF, self._ts_recent),
            )
        sack = ()
        size = len(payload)
        if self._sack_ok and not self._assembler.is_empty():
            sack = self._sack_blocks(self._sack_count(size > 0))
        if self._dsack is not None:
            # A D-SACK rides on the next pure ACK, first (RFC 2883 4), then is forgotten.
            if not size:
                sack = (self._dsack, *sack)[: self._sack_count(False, 1)]
            self._dsack = None
        # tuple.__new__ skips the NamedTuple constructor's argument handling: this runs for
        # every segment sent. The field order is TcpRepr's.
        seg = _tuple_new(
            TcpRepr,
            (
                self._local.port,
                self._remote.port,
                ctl,
                seq,
                self._rcv_nxt,
                window >> self._rcv_shift,
                None,
                None,
                False,
                sack,
                ts,
                payload,
                (),
                False,
                False,
                False,
                *_TCP_REPR_TAIL,
            ),
        )
        self._after_ack_sent(window)
        seg_len = size + (1 if ctl is _FIN else 0)
        if seg_len and advance:
            end = seq + seg_len
            if self._snd_max == self._snd_una:
                # Idle until now: the user timeout counts from here.
                self._progress_at = t
            if self._sack_ok and size:
                self._rack.on_send(seq, seq + size, t, seq < self._snd_max)
            if end > self._snd_max:
                if self._rtt_seq is None and seq >= self._snd_max and not self._ts_ok:
                    # Time this segment (Karn: only new data is timed).
                    self._rtt_seq = end
                    self._rtt_at = t
                self._n_bytes_out += size
                self._snd_max = end
                new_data = True
            else:
                new_data = False
            if seq == self._snd_nxt:
                self._snd_nxt = end
            if self._rto_at is None:
                self._rto_at = t + self._rtt.rto.micros
            if new_data and self._tlp_at is None:
                self._arm_loss_probe(t)
        self._n_seg_out += 1
        emit(self._ip_repr(seg), seg)

    def _ip_repr(self: Any, seg: TcpRepr) -> Any:
        hop = self._hop_limit
        return ip_repr(
            self._local.addr,
            self._remote.addr,
            _TCP,
            seg.buffer_len(),
            _DEFAULT_HOP_LIMIT if hop is None else hop,
        )

    def _after_ack_sent(self: Any, window: int) -> None:
        self._ack_now = False
        self._ack_at = None
        self._segs_unacked = 0
        self._win_update = False
        self._last_ack_sent = self._rcv_nxt
        self._rcv_adv = self._rcv_nxt + window

    def _advertise_window(self: Any) -> int:
        """Return the receive window to offer (scaled units times the shift), SWS-avoiding.

        RFC 9293 3.8.6.2.2: the right edge only moves when it can move by at least
        min(buffer / 2, MSS); it never moves left (the window is never shrunk).
        """
        rx = self._rx
        avail = rx.window()
        shift = self._rcv_shift
        limit = 0xFFFF << shift
        if avail > limit:
            avail = limit
        current = self._rcv_adv - self._rcv_nxt
        if current < 0:
            current = 0
        if avail > current:
            threshold = rx.capacity >> 1
            if threshold > self._rcv_mss:
                threshold = self._rcv_mss
            if avail - current < threshold:
                avail = current
        # Round down to what the scaled field can express (never up: that would shrink later).
        return (avail >> shift) << shift

    def _sws_threshold(self: Any) -> int:
        """Return min(buffer / 2, MSS): the least window increase worth offering (RFC 9293
        3.8.6.2.2, receiver SWS avoidance). `_advertise_window` inlines it."""
        threshold = self._rx.capacity >> 1
        return threshold if threshold < self._rcv_mss else self._rcv_mss  # type: ignore[no-any-return]

    def _after_read(self: Any) -> None:
        """The application read: offer a window update if it doubles the window, and send
        an ACK held back for a nearly closed window (`_window_nearly_closed`) now."""
        if self._state not in _RECEIVING:
            return
        current = self._rcv_adv - self._rcv_nxt
        if current < 0:
            current = 0
        avail = self._rx.window()
        if (avail - current >= self._sws_threshold() and avail >= 2 * current) or (
            self._segs_unacked >= 2 and self._ack_at is not None
        ):
            self._win_update = True
            self._wake()

    def _sack_blocks(self: Any, limit: int) -> tuple[tuple[int, int], ...]:
        """Return up to ``limit`` SACK blocks, the newest first (RFC 2018 4)."""
        if limit <= 0:
            return ()
        rcv_nxt = int(self._rcv_nxt)
        blocks = [
            ((rcv_nxt + a) & 0xFFFFFFFF, (rcv_nxt + b) & 0xFFFFFFFF)
            for a, b in self._assembler.ranges()
        ]
        last = self._last_ooo
        if last is not None:
            for i, (left, right) in enumerate(blocks):
                if (last[0] - left) & 0xFFFFFFFF < (right - left) & 0xFFFFFFFF:
                    if i:
                        blocks.insert(0, blocks.pop(i))
                    break
        return tuple(blocks[:limit])

    def _queue_rst(self: Any) -> None:
        """Remember the RST to send for an abort (RFC 9293 3.10.5)."""
        self._rst_pending = (self._local, self._remote, self._snd_max, self._rcv_nxt)

    def _emit_rst(self: Any, emit: Any) -> None:
        local, remote, seq, ack = self._rst_pending
        self._rst_pending = None
        seg = TcpRepr(
            src_port=local.port,
            dst_port=remote.port,
            control=_RST,
            seq_number=seq,
            ack_number=ack,
            window_len=0,
        )
        hop = self._hop_limit
        self._n_seg_out += 1
        emit(
            ip_repr(
                local.addr,
                remote.addr,
                _TCP,
                seg.buffer_len(),
                _DEFAULT_HOP_LIMIT if hop is None else hop,
            ),
            seg,
        )
