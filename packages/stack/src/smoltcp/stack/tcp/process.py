"""Segment arrival: RFC 9293 section 3.10.7, with RFC 5961, RFC 7323 and RFC 2018.

`_SegmentArrives` is a mixin of `TcpSocket` (it has no state of its own: the slots are
declared on `TcpSocket`). `process` returns an immediate reply only for RSTs and the ACKs
of out-of-order data; every other segment we owe the peer (ACKs, challenge ACKs, SYN-ACKs,
data) goes out through `dispatch`. The functions follow the RFC's order: LISTEN (in
listener.py), SYN-SENT (3.10.7.3), then the eight checks of 3.10.7.4 for the synchronized
states; every change of state they make is one of `state.TRANSITIONS`.
"""

from __future__ import annotations

import logging
from typing import Any

from smoltcp.stack.storage import TooManyHoles
from smoltcp.stack.tcp.sack import is_dsack
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpProtocol, TcpControl, TcpRepr, TcpSeqNumber, ip_repr

__all__ = ["_SegmentArrives"]

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
_TCP = IpProtocol.TCP
_SYN = TcpControl.SYN
_FIN = TcpControl.FIN
_NONE = TcpControl.NONE

# The states in which the peer may still send data (its FIN not yet received).
_RECEIVING = frozenset((_ESTABLISHED, _FIN_WAIT_1, _FIN_WAIT_2))
# The states in which our FIN has been queued (it is sent once the data before it is).
_FIN_QUEUED = frozenset((_FIN_WAIT_1, _CLOSING, _LAST_ACK))

# RFC 9293 3.4.2: the TIME-WAIT period (2 MSL); smoltcp uses 10 s.
TIME_WAIT_TIMEOUT = Duration.from_secs(10).micros
# RFC 5961 7: at most this many challenge ACKs per second per connection.
CHALLENGE_ACK_LIMIT = 10
_SECOND = 1_000_000
# In-order octets received without sending an ACK, at most (see the end of
# `_process_synchronized`). RFC 5681 4.2 asks for an ACK every second full-sized segment,
# which is the default; `TcpSocket.set_ack_stretch(STRETCH_ACK_LIMIT)` ACKs every 64 KiB
# instead, as Linux does per GRO aggregate, because an ACK per two segments costs pure
# Python about 40 % of its receive throughput (INTERFACES.md, 18:09): for bulk receivers.
STRETCH_ACK_LIMIT = 65536
# Dup ACKs that trigger fast retransmit (RFC 5681 3.2).
DUP_THRESH = 3
# The smallest send MSS we accept: smaller advertised values are clamped up to it (a peer
# must not make us send 1-octet segments; Linux clamps to 48 the same way).
_MIN_MSS = 64


class _SegmentArrives:
    """RFC 9293 3.10.7 for `TcpSocket` (see socket.py for the slots)."""

    __slots__ = ()

    def process(self: Any, cx: Any, now: Instant, ip: Any, seg: TcpRepr) -> Any:
        """Take one segment addressed to this socket; return an immediate reply or None."""
        self._n_seg_in += 1
        st = self._state
        if st is _LISTEN:
            return self._process_listen(cx, now, ip, seg)
        if st is _SYN_SENT:
            return self._process_syn_sent(cx, now, ip, seg)
        if st is _CLOSED:
            # 3.10.7.1: everything but a RST is answered with a RST.
            return None if seg.control is _RST else _rst_for(ip, seg)
        return self._process_synchronized(cx, now, ip, seg)

    # -- LISTEN and SYN-SENT ---------------------------------------------------------------

    def _accept_syn(self: Any, cx: Any, now: Instant, ip: Any, seg: TcpRepr) -> None:
        """Record the peer's SYN: IRS, MSS and the options both ends agree on (RFC 7323, 2018)."""
        self._irs = seg.seq_number
        self._rcv_nxt = seg.seq_number + 1
        self._rcv_adv = self._rcv_nxt
        self._last_ack_sent = self._rcv_nxt
        mss = seg.max_seg_size
        if mss is None:
            mss = 536
        # Clamp a tiny or huge advertised MSS: not below _MIN_MSS (a peer must not make us
        # send runts), but never above what our own IP MTU carries.
        self._peer_mss = min(max(_MIN_MSS, mss), max(1, cx.ip_mtu - 40))
        if seg.window_scale is not None and (self._state is _LISTEN or self._ws_ok):
            self._ws_ok = True
            self._snd_shift = min(seg.window_scale, 14)
        else:
            # Both ends must send the option (RFC 7323 2.2); otherwise neither shift applies.
            self._ws_ok = False
            self._snd_shift = 0
            self._rcv_shift = 0
        ts = seg.timestamp
        if ts is not None and (self._state is _LISTEN or self._ts_ok):
            self._ts_ok = True
            self._ts_recent = ts.tsval
        else:
            self._ts_ok = False
        self._sack_ok = seg.sack_permitted and (self._state is _LISTEN or self._sack_ok)
        self._snd_mss = max(1, self._peer_mss - (12 if self._ts_ok else 0))
        # The SYN's window is never scaled (RFC 7323 2.2).
        self._snd_wnd = seg.window_len
        self._max_snd_wnd = max(self._max_snd_wnd, self._snd_wnd)
        self._snd_wl1 = seg.seq_number

    def _process_syn_sent(self: Any, cx: Any, now: Instant, ip: Any, seg: TcpRepr) -> Any:
        """RFC 9293 3.10.7.3: a segment arrives in SYN-SENT."""
        ack = seg.ack_number
        ctl = seg.control
        # First: the ACK bit. ISS < SEG.ACK =< SND.NXT, or a reset (unless it is a RST).
        if ack is not None and not (self._snd_una < ack <= self._snd_nxt):
            return None if ctl is _RST else _rst_for(ip, seg)
        # Second: the RST bit. Only with an acceptable ACK (RFC 5961 3.2 for SYN-SENT).
        if ctl is _RST:
            if ack is not None:
                self._error = "refused"
                self._to_closed()
            return None
        # Third (security): nothing to check. Fourth: the SYN bit; without it, drop.
        # (Text on a SYN is dropped: the peer retransmits it once synchronized.)
        if ctl is not _SYN:
            return None
        self._accept_syn(cx, now, ip, seg)
        self._progress_at = now.micros
        if ack is not None:
            # Our SYN is acknowledged: ESTABLISHED, acknowledge theirs at once.
            self._rtt_sample_syn(now, seg)
            self._snd_una = ack
            self._rto_at = None
            self._syn_rtx = False
            self._snd_wl2 = ack
            self._established(now)
            self._ack_now = True
        else:
            # Simultaneous open (3.10.7.3 fifth step): answer with SYN-ACK from the same ISS.
            self._set_state(_SYN_RECEIVED)
            self._snd_nxt = self._iss
            self._rto_at = None
        self._wake()
        return None

    def _rtt_sample_syn(self: Any, now: Instant, seg: TcpRepr) -> None:
        # Karn: a retransmitted SYN gives no sample.
        if not self._syn_rtx and self._rtt_seq is not None:
            self._rtt.sample(Duration(now.micros - self._rtt_at))
        self._rtt_seq = None

    def _established(self: Any, now: Instant) -> None:
        self._persist_backoff = 0
        self._established_at = now.micros
        if self._close_pending:
            # close() was called in SYN-RECEIVED: the FIN follows the handshake.
            self._close_pending = False
            self._set_state(_FIN_WAIT_1)
        else:
            self._set_state(_ESTABLISHED)
        self._cc.set_mss(self._snd_mss)
        self._rtt_seq = None
        if self._keep_alive is not None:
            self._keepalive_at = now.micros + self._keep_alive

    # -- synchronized states ---------------------------------------------------------------

    def _process_synchronized(self: Any, cx: Any, now: Instant, ip: Any, seg: TcpRepr) -> Any:
        """RFC 9293 3.10.7.4: a segment arrives in SYN-RECEIVED or a later state.

        The checks run in the RFC's order (PAWS first, RFC 7323 5.3); each comment below
        names the check it implements.
        """
        t = now.micros
        st = self._state
        ctl = seg.control
        seq = seg.seq_number
        payload = seg.payload
        plen = len(payload)
        seg_len = plen + (1 if ctl is _SYN or ctl is _FIN else 0)
        rcv_nxt = self._rcv_nxt
        rcv_wnd = self._rcv_adv - rcv_nxt
        if rcv_wnd < 0:
            rcv_wnd = 0

        # RFC 7323 5.3 (PAWS): a segment with an older timestamp than TS.Recent is a stale
        # duplicate: acknowledge and drop it.
        ts = seg.timestamp
        if (
            self._ts_ok
            and ts is not None
            and ctl is not _RST
            and (ts.tsval - self._ts_recent) & 0xFFFFFFFF >= 0x80000000
        ):
            self._ack_now = True
            self._wake()
            return None

        # RFC 9293 3.6.1 / RFC 6191: a new SYN for a four-tuple in TIME-WAIT opens a new
        # connection through the listener when it cannot be an old duplicate: its sequence
        # number lies above everything of the old connection, or (timestamps in use) its
        # TSval is newer than TS.Recent (PAWS above already dropped an older one).
        offset = seq - rcv_nxt
        if (
            st is _TIME_WAIT
            and ctl is _SYN
            and seg.ack_number is None
            and (offset > 0 or (self._ts_ok and ts is not None and ts.tsval != self._ts_recent))
        ):
            listener = self._find_listener(ip, seg)
            if listener is not None:
                self._to_closed()
                return listener.process(cx, now, ip, seg)

        # First check (3.10.7.4): is the sequence number acceptable?
        if seg_len == 0:
            ok = offset == 0 if rcv_wnd == 0 else 0 <= offset < rcv_wnd
            if not ok and offset < 0 and ctl is not _RST and seq >= self._last_ack_sent:
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
                self._timewait_at = t + TIME_WAIT_TIMEOUT
            elif st is _SYN_RECEIVED and ctl is _SYN and seq == self._irs:
                ack = seg.ack_number
                if ack is not None and self._snd_una < ack <= self._snd_max:
                    # Simultaneous open (Figure 8, line 6): the peer's SYN-ACK acknowledges
                    # our SYN: ESTABLISHED, and ACK its SYN (answering with our SYN-ACK
                    # again, two such ends would bounce SYN-ACKs for ever).
                    self._syn_received_acked(now, t, seq, ack, seg, seg.window_len)
                    self._ack_now = True
                    self._wake()
                    return None
                # The peer retransmitted its SYN: our SYN-ACK was lost, send it again.
                self._snd_nxt = self._iss
                self._wake()
                return None
            elif ctl is _SYN:
                # RFC 5961 4.2: a SYN at any sequence number draws a challenge ACK, and
                # those are rate-limited (section 7): a flood of blind SYNs gets ten a second.
                return self._challenge_ack(t, ip)
            elif plen and offset < 0:
                self._note_duplicate(seq, plen)
            self._ack_now = True
            self._wake()
            return None

        # Second check: RST, with RFC 5961 3.2's exact-match rule.
        if ctl is _RST:
            if offset != 0:
                return self._challenge_ack(t, ip)
            return self._on_reset()

        # Third check (security): RFC 9293 dropped compartments; nothing to check.

        # Fourth check: a SYN in a synchronized state gets a challenge ACK (RFC 5961 4.2).
        if ctl is _SYN:
            if st is _SYN_RECEIVED and seq == self._irs:
                self._snd_nxt = self._iss
                self._wake()
                return None
            return self._challenge_ack(t, ip)

        # Fifth check: the ACK field.
        ack = seg.ack_number
        if ack is None:
            return None
        self._progress_at = t
        if st is _SYN_RECEIVED:
            if not (self._snd_una < ack <= self._snd_max):
                return _rst_for(ip, seg)
            self._syn_received_acked(now, t, seq, ack, seg, seg.window_len << self._snd_shift)
            st = self._state
        else:
            snd_una = self._snd_una
            top = self._snd_max + 1 if self._probing else self._snd_max
            if ack > top:
                # RFC 5961 5.2: an ACK of data never sent: challenge ACK and drop.
                return self._challenge_ack(t, ip)
            if ack < snd_una - self._max_snd_wnd:
                return self._challenge_ack(t, ip)
            if ack > snd_una:
                self._on_ack(now, t, seg, ack)
            else:
                # Update the window (RFC 9293 3.10.7.4 fifth check, SND.WL1/WL2 rule).
                wnd = seg.window_len << self._snd_shift
                if ack == snd_una and seg_len == 0:
                    # RFC 5681 2: a duplicate ACK carries no data and no window change; RFC
                    # 6675 2 also counts one that SACKs new octets, whatever its window (our
                    # peer's window moves with nearly every ACK when its application reads).
                    newly = 0
                    if self._sack_ok and seg.sack_ranges:
                        newly = self._board.update(seg.sack_ranges, snd_una, self._snd_max)
                    if newly or wnd == self._snd_wnd:
                        self._on_dup_ack(now, t, seg)
                elif self._sack_ok and seg.sack_ranges:
                    self._board.update(seg.sack_ranges, snd_una, self._snd_max)
                if self._sack_ok and seg.sack_ranges:
                    self._rack_on_ack(now, t, seg)
                self._update_window(seq, ack, wnd)
            st = self._state
            if st is _CLOSED:
                return None

        # Sixth check (URG): the urgent pointer is ignored and urgent data delivered in line
        # like any other (RFC 9293 3.8.5 only asks that it not break the stream; RFC 6093).

        # RFC 7323 4.3: TS.Recent follows the segment that covers Last.ACK.sent.
        if self._ts_ok and ts is not None and seq <= self._last_ack_sent:
            self._ts_recent = ts.tsval
        if self._keep_alive is not None:
            self._keepalive_at = t + self._keep_alive

        # Seventh check: segment text.
        # (After the peer's FIN, data is ignored: only _RECEIVING states take it.)
        ooo = False
        if plen and st in _RECEIVING:
            ooo = self._receive_data(t, seq, payload)

        # Eighth check: FIN.
        if ctl is _FIN:
            fin_seq = seq + plen
            if st in _RECEIVING:
                if fin_seq == self._rcv_nxt:
                    self._on_fin(t)
                elif fin_seq > self._rcv_nxt and fin_seq - self._rcv_nxt <= rcv_wnd:
                    # The FIN lies beyond a hole: remember it until the hole fills.
                    self._rcv_fin_seq = fin_seq
            elif st is _TIME_WAIT:
                self._timewait_at = t + TIME_WAIT_TIMEOUT
                self._ack_now = True
                self._wake()
            elif st is _CLOSE_WAIT or st is _CLOSING or st is _LAST_ACK:
                # A retransmitted FIN: our ACK was lost.
                self._ack_now = True
                self._wake()
        if ooo and self._ack_now:
            # RFC 5681 4.2: out-of-order data is acknowledged at once, one ACK per segment
            # (not one per poll), so that the sender sees its duplicate ACKs and SACKs.
            return self._ack_reply(cx, t)
        if plen:
            # The interface feeds a whole burst to `process` before any `dispatch`, so the
            # every-second-segment ACK (`_receive_data`) would go out once per burst, however
            # long. Bound the stretch here: two full-sized segments by default (RFC 5681 4.2),
            # or what `set_ack_stretch` asks (a bulk receiver: STRETCH_ACK_LIMIT, as GRO).
            stretch = self._ack_stretch
            if stretch is None:
                stretch = (self._rcv_mss - (12 if self._ts_ok else 0)) << 1
            if self._rcv_nxt - self._last_ack_sent >= stretch and not self._window_nearly_closed():
                return self._ack_reply(cx, t)
        return None

    def _window_nearly_closed(self: Any) -> bool:
        """Return whether less than min(buffer / 2, MSS) is free (the window SWS avoidance
        would not reopen, RFC 9293 3.8.6.2.2).

        The every-second-segment ACK then waits (at most the ACK delay) for the application
        to read, as Linux's does when it could not offer a window as large as the last one
        (``__tcp_ack_snd_check``): one ACK with the reopened window instead of a zero-window
        ACK and a window update moments later. Were that update lost, the sender would sit
        in its persist timer's backoff.
        """
        return self._rx.window() < self._sws_threshold()  # type: ignore[no-any-return]

    def _syn_received_acked(
        self: Any, now: Instant, t: int, seq: Any, ack: Any, seg: TcpRepr, wnd: int
    ) -> None:
        """SYN-RECEIVED, fifth check: SND.UNA < SEG.ACK =< SND.NXT: enter ESTABLISHED.

        ``wnd`` is the segment's window in octets (unscaled when it is a SYN, RFC 7323 2.2).
        """
        self._rtt_sample_syn(now, seg)
        self._snd_una = self._iss + 1
        if self._snd_nxt < self._snd_una:
            self._snd_nxt = self._snd_una
        self._rto_at = None
        self._syn_rtx = False
        self._snd_wnd = wnd
        self._max_snd_wnd = max(self._max_snd_wnd, wnd)
        self._snd_wl1 = seq
        self._snd_wl2 = ack
        self._established(now)
        if self._child:
            self._wake()
        # Our FIN may already have been queued by close() in SYN-RECEIVED.
        if ack != self._snd_una:
            self._on_ack(now, t, seg, ack)

    def _ack_reply(self: Any, cx: Any, t: int) -> Any:
        out: list[Any] = []
        self._send(cx, lambda ip, seg: out.append((ip, seg)), t, _NONE, self._ack_seq(), b"")
        return out[0]

    def _find_listener(self: Any, ip: Any, seg: TcpRepr) -> Any:
        sockets = self._set
        if sockets is None:
            return None
        for key in ((_TCP, ip.dst_addr, seg.dst_port), (_TCP, None, seg.dst_port)):
            for sock in sockets.lookup(key):
                if sock is not self and sock._state is _LISTEN:
                    return sock
        return None

    def _update_window(self: Any, seq: TcpSeqNumber, ack: TcpSeqNumber, wnd: int) -> None:
        if self._snd_wl1 < seq or (self._snd_wl1 == seq and self._snd_wl2 <= ack):
            old = self._snd_wnd
            self._snd_wnd = wnd
            self._snd_wl1 = seq
            self._snd_wl2 = ack
            if wnd > self._max_snd_wnd:
                self._max_snd_wnd = wnd
            if wnd and not old:
                # The window reopened: stop probing.
                self._persist_at = None
                self._persist_backoff = 0
                self._probing = False
                self._wake()
            elif wnd > old:
                self._wake()

    def _on_ack(self: Any, now: Instant, t: int, seg: TcpRepr, ack: TcpSeqNumber) -> None:
        """New data acknowledged: free the send buffer, time the RTT, leave states."""
        snd_una = self._snd_una
        acked = ack - snd_una
        tx = self._tx
        queued = len(tx)
        flight = self._snd_max - snd_una
        fin_acked = False
        if acked > queued:
            # Everything queued plus our FIN (the only other thing in sequence space).
            tx.dequeue_allocated(queued)
            fin_acked = True
        else:
            tx.dequeue_allocated(acked)
        self._snd_una = ack
        if self._snd_nxt < ack:
            self._snd_nxt = ack
        if self._snd_max < ack:
            self._snd_max = ack
        self._probing = False
        # RTT: the timestamp echo when there is one (valid even for retransmissions, RFC 7323
        # 4.1), else the timed segment unless retransmitted (Karn).
        rtt = None
        ts = seg.timestamp
        if self._ts_ok and ts is not None and ts.tsecr:
            ms = ((t // 1000 + self._ts_offset) - ts.tsecr) & 0xFFFFFFFF
            if ms < 0x80000000:
                rtt = Duration(ms * 1000)
        elif self._rtt_seq is not None and ack >= self._rtt_seq:
            rtt = Duration(t - self._rtt_at)
        if self._rtt_seq is not None and ack >= self._rtt_seq:
            self._rtt_seq = None
        if rtt is not None:
            # With `now`, the estimator refuses a sample sent before the last RTO (Karn's
            # rule for timestamp echoes too: it would feed the timeout back into SRTT).
            self._rtt.sample(rtt, now)
        if self._sack_ok:
            if seg.sack_ranges:
                self._board.update(seg.sack_ranges, ack, self._snd_max)
            else:
                self._board.update((), ack, self._snd_max)
        if self._in_recovery:
            if ack >= self._recover:
                # RFC 6582 3.2 step 3: a full ACK ends recovery.
                self._in_recovery = False
                self._inflation = 0
                self._dupacks = 0
                self._cc.on_recovery_exit(now)
                self._rack.on_recovery_end()
            else:
                # Partial ACK: the next hole was lost too; retransmit it at once
                # (RFC 6582 step 4), deflating the window by what was acked.
                self._inflation = max(0, self._inflation - acked + self._snd_mss)
                self._retx_next = True
        else:
            self._dupacks = 0
            self._cc.on_ack(now, acked, flight, rtt)
        # RFC 6298 5.2/5.3: restart the timer while data is outstanding.
        if self._snd_max > ack:
            self._rto_at = t + self._rtt.rto.micros
        else:
            self._rto_at = None
        self._tlp_after_ack(now, t, ack, seg, flight)
        if self._sack_ok:
            self._rack_on_ack(now, t, seg)
        self._update_window(seg.seq_number, ack, seg.window_len << self._snd_shift)
        if fin_acked:
            # RFC 9293 3.10.7.4 fifth check, per state: our FIN is acknowledged.
            st = self._state
            if st is _FIN_WAIT_1:
                self._set_state(_FIN_WAIT_2)
            elif st is _CLOSING:
                self._enter_time_wait(t)
            elif st is _LAST_ACK:
                self._to_closed()
                return
        self._wake()

    def _tlp_after_ack(
        self: Any, now: Instant, t: int, ack: Any, seg: TcpRepr, flight: int
    ) -> None:
        """SND.UNA advanced: settle a loss probe that resent old data; allow a new probe.

        RFC 8985 7.4: a probe that resent the last segment either repaired a lost tail or
        duplicated a segment that had arrived; the receiver tells the second by a D-SACK (a
        SACK block below the cumulative ACK, RFC 2883). Without one, the tail was lost: the
        congestion window is reduced as for any loss.
        """
        end = self._tlp_end
        if end is not None and ack >= end:
            self._tlp_end = None
            if not is_dsack(seg.sack_ranges, ack) and not self._in_recovery:
                self._cc.on_congestion_event(now, flight)
                self._n_tlp_repairs += 1
        self._tlp_out = False
        self._arm_loss_probe(t)

    def _on_dup_ack(self: Any, now: Instant, t: int, seg: TcpRepr) -> None:
        """Count a duplicate ACK (RFC 5681 3.2); enter fast recovery at the threshold."""
        if self._snd_max == self._snd_una:
            return
        self._dupacks += 1
        if self._in_recovery:
            # RFC 6582 / 5681: each further dup ACK means a segment left the network.
            self._inflation += self._snd_mss
            self._wake()
            return
        lost = (
            self._dupacks >= DUP_THRESH
            or (self._sack_ok and self._board.is_lost(self._snd_una, self._snd_mss))
            or self._early_retransmit()
        )
        if not lost:
            self._wake()  # limited transmit may now send (RFC 3042)
        # RFC 6582 3.2 step 2: only if the ACK covers more than the last recovery point.
        if lost and self._snd_una >= self._recover:
            self._enter_recovery(now)

    def _enter_recovery(self: Any, now: Instant) -> None:
        """Start fast recovery (RFC 6675 5 / RFC 6582 3.2): reduce the window once, and
        retransmit the first hole."""
        self._in_recovery = True
        self._recover = self._snd_max
        self._cc.on_congestion_event(now, self._snd_max - self._snd_una)
        self._board.start_recovery()
        # A loss probe's episode ends here: recovery answers this loss (RFC 8985 7.4).
        self._tlp_end = None
        self._inflation = DUP_THRESH * self._snd_mss
        self._retx_next = True
        self._n_fast += 1
        self._rtt_seq = None
        self._wake()

    def _rack_on_ack(self: Any, now: Instant, t: int, seg: TcpRepr) -> None:
        """Tell RACK what an ACK delivered (RFC 8985 6.2), and look for losses if anything."""
        ranges = seg.sack_ranges
        if is_dsack(ranges, self._snd_una):
            self._rack.on_dsack()  # octets received twice: a retransmission was spurious
        if self._rack.on_ack(self._snd_una, ranges, t):
            self._rack_detect(now, t)

    def _rack_detect(self: Any, now: Instant, t: int) -> None:
        """Run RACK's detection; a loss it finds starts recovery unless one is under way (or
        an RTO's go-back-N is: RFC 6582's rule), and the lost ranges go first (`dispatch`)."""
        rack = self._rack
        before = len(rack.lost)
        self._rack_at = rack.detect(t)
        found = len(rack.lost) - before
        if found:
            self._n_rack += found
            if not self._in_recovery and self._snd_una >= self._recover:
                self._enter_recovery(now)
            self._wake()

    def _early_retransmit(self: Any) -> bool:
        """Return True when early retransmit (RFC 5827 3.1, byte-based) calls this a loss.

        With fewer than four segments out and nothing new to send, the flight cannot raise
        three dup ACKs; ER_thresh = segments out - 1. Without it every loss in a window of
        two or three segments waits for the RTO.
        """
        mss = self._snd_mss
        ownd = self._snd_max - self._snd_una
        if ownd >= 4 * mss or self._next_segment() is not None:
            return False
        thresh = -(-ownd // mss) - 1
        return thresh >= 1 and self._dupacks >= thresh

    def _receive_data(self: Any, t: int, seq: TcpSeqNumber, payload: Any) -> bool:
        """Place the octets in the receive buffer; decide how soon to acknowledge them.

        Return True when the segment was not the next in order (out of order, duplicate or
        beyond the window): the caller acknowledges those at once.
        """
        offset = seq - self._rcv_nxt
        if offset < 0:
            # Partly old: drop what we already have (3.10.7.4 seventh check, trimming).
            self._note_duplicate(seq, -offset)
            payload = payload[-offset:]
            offset = 0
        rx = self._rx
        size = len(payload)
        # Trim what lies beyond the free space (octets past the window are not kept).
        room = rx.window() - offset
        if size > room:
            size = room if room > 0 else 0
            payload = payload[:size]
        if size == 0:
            self._ack_now = True
            self._wake()
            return True
        asm = self._assembler
        had_holes = not asm.is_empty()
        if offset == 0:
            if had_holes:
                rx.write_unallocated(0, payload)
                count = asm.add_then_remove_front(0, size)
                rx.enqueue_unallocated(count)
            else:
                # The common case, in order with no holes: straight into the ring.
                count = rx.enqueue_slice(payload)
            self._rcv_nxt = self._rcv_nxt + count
            self._n_bytes_in += count
            if had_holes:
                # RFC 5681 4.2: ACK at once when a segment fills (part of) a gap.
                self._ack_now = True
                if asm.is_empty():
                    self._last_ooo = None
            if self._rcv_fin_seq is not None and self._rcv_fin_seq == self._rcv_nxt:
                self._on_fin(t)
                return had_holes
        else:
            try:
                asm.add(offset, size)
            except TooManyHoles:
                if _log.isEnabledFor(logging.DEBUG):
                    _log.debug("tcp %s: too many holes, segment dropped", self._local)
                self._ack_now = True
                self._wake()
                return True
            rx.write_unallocated(offset, payload)
            self._last_ooo = (int(seq), (int(seq) + size) & 0xFFFFFFFF)
            # RFC 5681 4.2: out-of-order data is acknowledged at once (a dup ACK with SACK).
            self._ack_now = True
            self._wake()
            return True
        self._segs_unacked += 1
        if (
            self._ack_now
            or self._ack_delay is None
            or (self._segs_unacked >= 2 and not self._window_nearly_closed())
        ):
            # RFC 9293 3.8.6.3 / RFC 5681 4.2: ACK at least every second full segment.
            self._ack_now = True
            self._wake()
        elif self._ack_at is None:
            self._ack_at = t + self._ack_delay
            self._wake()
        return had_holes

    def _note_duplicate(self: Any, seq: TcpSeqNumber, size: int) -> None:
        """Octets [seq, seq + size) arrived again, at most up to RCV.NXT: report them first in
        the next ACK (D-SACK, RFC 2883 4), so the sender learns its retransmission was
        spurious."""
        if self._sack_ok:
            end = seq + size
            if end > self._rcv_nxt:
                end = self._rcv_nxt
            self._dsack = (int(seq), int(end))

    def _on_fin(self: Any, t: int) -> None:
        """The peer's FIN is in order: consume it and change state (3.10.7.4 eighth check)."""
        self._rcv_nxt = self._rcv_nxt + 1
        self._rcv_fin = True
        self._rcv_fin_seq = None
        self._ack_now = True
        st = self._state
        if st is _ESTABLISHED:
            self._set_state(_CLOSE_WAIT)
        elif st is _FIN_WAIT_1:
            # Our FIN is not acked yet (else we would be in FIN-WAIT-2): simultaneous close.
            self._set_state(_CLOSING)
        elif st is _FIN_WAIT_2:
            self._enter_time_wait(t)
        self._wake()

    def _enter_time_wait(self: Any, t: int) -> None:
        self._set_state(_TIME_WAIT)
        self._timewait_at = t + TIME_WAIT_TIMEOUT
        self._rto_at = None
        self._tlp_at = None
        self._rack_at = None
        self._keepalive_at = None
        self._persist_at = None
        self._ack_at = None

    def _on_reset(self: Any) -> None:
        """An acceptable RST arrived (RFC 9293 3.10.7.4 second check)."""
        st = self._state
        if st is _SYN_RECEIVED and self._passive and not self._child:
            # A passive open returns to LISTEN (backlog 0: the socket was the listener).
            self._return_to_listen()
            return None
        if st is _SYN_RECEIVED:
            self._error = "refused"
        elif st in (_ESTABLISHED, _FIN_WAIT_1, _FIN_WAIT_2, _CLOSE_WAIT):
            self._error = "reset"
        self._tx.clear()
        self._to_closed()
        return None

    def _challenge_ack(self: Any, t: int, ip: Any) -> Any:
        """Send a challenge ACK (RFC 5961 3.2, 4.2, 5.2), at most 10 a second."""
        if t - self._challenge_at >= _SECOND:
            self._challenge_at = t
            self._challenge_count = 0
        if self._challenge_count >= CHALLENGE_ACK_LIMIT:
            return None
        self._challenge_count += 1
        self._ack_now = True
        self._wake()
        return None

    def _to_closed(self: Any) -> None:
        self._set_state(_CLOSED)
        self._rto_at = None
        self._tlp_at = None
        self._rack_at = None
        self._ack_at = None
        self._ack_now = False
        self._timewait_at = None
        self._keepalive_at = None
        self._persist_at = None
        self._rebind()


def _rst_for(ip: Any, seg: TcpRepr) -> tuple[Any, TcpRepr]:
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
