"""Build a `TcpStats` snapshot from a connection's parts (the glue behind `TcpSocket.stats`).

Everything is read here, off the per-segment path: the counters it reads are bumped where
their events happen (the TCB, the sender's chronograph, the recovery part).
"""

from __future__ import annotations

from smoltcp.stack.tcp.recovery import Recovery
from smoltcp.stack.tcp.send import (
    CHRONO_BUSY,
    CHRONO_CWND,
    CHRONO_RWND,
    CHRONO_SNDBUF,
    Sender,
)
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.tcp.stats import CongestionPhase, TcpStats
from smoltcp.stack.tcp.tcb import Tcb

__all__ = ["snapshot"]

_CLOSED = TcpState.CLOSED
_LISTEN = TcpState.LISTEN


def snapshot(tcb: Tcb, rec: Recovery, snd: Sender, t: int) -> TcpStats:
    """Return the statistics of the connection made of ``tcb``, ``rec`` and ``snd`` at ``t``.

    ``t`` is a time in microseconds (the clock of `Instant.micros`), no earlier than the
    connection's latest event; it sets the time-since fields and closes the current interval
    of the busy/limited totals.
    """
    # Everything is read here, off the per-segment path: the counters it reads are
    # bumped where their events happen.
    cc = rec.cc
    rtt = rec.rtt
    mss = tcb.snd_mss if tcb.snd_mss > 0 else 1
    cwnd = cc.cwnd
    ssthresh = cc.ssthresh
    if rec.in_loss:
        phase = CongestionPhase.LOSS
    elif rec.in_recovery:
        phase = CongestionPhase.RECOVERY
    elif cc.in_slow_start:
        phase = CongestionPhase.SLOW_START
    else:
        phase = CongestionPhase.CONGESTION_AVOIDANCE
    chrono = snd.chrono_totals(t)
    limited = chrono[CHRONO_RWND] + chrono[CHRONO_SNDBUF] + chrono[CHRONO_CWND]
    synchronized = tcb.state not in (_CLOSED, _LISTEN, TcpState.SYN_SENT)
    rcv_wnd = tcb.rcv_adv - tcb.rcv_nxt if synchronized else 0
    sent = tcb.last_send_at
    received = tcb.last_recv_at
    return TcpStats(
        retransmissions=rec.n_retx,
        fast_retransmits=rec.n_fast,
        timeouts=rec.n_timeouts,
        rtt=rtt.srtt,
        rto=rtt.rto,
        cwnd=cwnd,
        ssthresh=ssthresh,
        sacked_bytes=rec.board.sacked_bytes,
        segments_sent=tcb.n_seg_out,
        segments_received=tcb.n_seg_in,
        bytes_sent=tcb.n_bytes_out,
        bytes_received=tcb.n_bytes_in,
        loss_probes=rec.n_tlp,
        loss_probe_repairs=rec.n_tlp_repairs,
        rack_losses=rec.n_rack,
        state=tcb.state,
        congestion_control=str(getattr(cc, "name", type(cc).__name__)),
        phase=phase,
        cwnd_octets=cwnd,
        cwnd_segments=cwnd // mss,
        ssthresh_octets=ssthresh,
        ssthresh_segments=ssthresh // mss,
        srtt_us=rtt.srtt_us,
        rttvar_us=rtt.rttvar_us,
        min_rtt_us=rtt.min_rtt_us,
        rto_us=rtt.rto.micros,
        rto_backoff=rtt.backoff,
        snd_mss_octets=tcb.snd_mss,
        rcv_mss_octets=tcb.rcv_mss,
        snd_wnd_octets=tcb.snd_wnd,
        snd_wscale=tcb.snd_shift if tcb.ws_ok else 0,
        rcv_wnd_octets=rcv_wnd if rcv_wnd > 0 else 0,
        rcv_wscale=tcb.rcv_shift if tcb.ws_ok else 0,
        in_flight_octets=rec.in_flight() if synchronized else 0,
        unacked_octets=tcb.snd_max - tcb.snd_una,
        send_queue_octets=len(tcb.tx),
        recv_queue_octets=len(tcb.rx),
        acked_octets=tcb.n_bytes_acked,
        retransmitted_octets=rec.n_bytes_retx,
        retransmits_rto_segments=rec.n_retx_rto,
        retransmits_fast_segments=rec.n_retx_fast,
        retransmits_tlp_segments=rec.n_retx_tlp,
        retransmits_rack_segments=rec.n_retx_rack,
        retransmits_pmtu_segments=rec.n_retx_pmtu,
        lost_octets=rec.lost_bytes() if synchronized else 0,
        sacked_octets=rec.board.sacked_bytes,
        reordering_seen=rec.rack.reordered or rec.n_dsack > 0,
        dsacks_received=rec.n_dsack,
        delivery_rate_octets_per_s=rec.rate,
        busy_us=chrono[CHRONO_BUSY] + limited,
        rwnd_limited_us=chrono[CHRONO_RWND],
        sndbuf_limited_us=chrono[CHRONO_SNDBUF],
        cwnd_limited_us=chrono[CHRONO_CWND],
        since_last_send_us=None if sent is None else max(0, t - sent),
        since_last_receive_us=None if received is None else max(0, t - received),
        at_us=t,
    )
