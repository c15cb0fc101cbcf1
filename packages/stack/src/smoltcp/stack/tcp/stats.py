"""`TcpStats`: a snapshot of one connection's counters and estimates, like Linux's tcp_info.

`TcpSocket.stats` returns the snapshot as of the socket's latest event (a segment in or out,
an open); `TcpSocket.stats_at(now)` as of ``now``, which only changes the fields that count
time (``since_last_*_us`` and the ``*_limited_us``/``busy_us`` totals, whose current interval
runs up to the instant given). The stack has no clock of its own, so "time since" needs the
caller's ``now``.

Units are in the names: ``_us`` microseconds, ``_octets`` octets, ``_segments`` segments
(octets divided by the send MSS, rounded down). The first fields keep their original names
(``bytes_*``, ``rtt``, ``rto`` as `Duration`); the counters (segments, octets,
retransmissions) count over the socket's life, across the connections it makes; estimates and
windows describe the current (or last) connection.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.time import Duration

__all__ = ["CongestionPhase", "TcpStats"]


class CongestionPhase(enum.Enum):
    """Where the sender's congestion control is (Linux's ca_state, with the window's phase)."""

    SLOW_START = "slow_start"
    """cwnd < ssthresh and no loss being repaired (RFC 5681 3.1)."""
    CONGESTION_AVOIDANCE = "congestion_avoidance"
    """cwnd >= ssthresh and no loss being repaired."""
    RECOVERY = "recovery"
    """Fast recovery (RFC 6675, RFC 6582): from the loss found until the recovery point is
    acknowledged."""
    LOSS = "loss"
    """After a retransmission timeout, until everything then outstanding is acknowledged."""

    def __str__(self) -> str:
        return self.value


def _ms(us: int | None) -> str:
    if us is None:
        return "-"
    return f"{us / 1000:.3f}".rstrip("0").rstrip(".")


class TcpStats(NamedTuple):
    """Counters and estimates of one connection (an immutable snapshot; see the module)."""

    retransmissions: int
    """Segments sent again (every cause, SYNs included)."""
    fast_retransmits: int
    """Fast recoveries entered (duplicate ACKs, SACK, early retransmit or RACK found a loss)."""
    timeouts: int
    """Retransmission timeouts that resent data (RFC 6298 5.4)."""
    rtt: Duration | None
    """The smoothed RTT (SRTT), None before the first sample."""
    rto: Duration
    """The retransmission timeout, back-off included."""
    cwnd: int
    """The congestion window, in octets."""
    ssthresh: int
    """The slow-start threshold, in octets (2**40 until the first loss: "infinite")."""
    sacked_bytes: int
    """Octets above SND.UNA the peer reported in SACK blocks."""
    segments_sent: int
    """Segments sent (every kind: data, pure ACKs, SYN, FIN, RST, probes)."""
    segments_received: int
    """Segments taken by the socket (every kind, before any check)."""
    bytes_sent: int
    """Octets of new data sent (each octet counted once, retransmissions not counted)."""
    bytes_received: int
    """Octets of data received in order and put in the receive buffer."""
    loss_probes: int = 0
    """Tail loss probes sent (RFC 8985 7)."""
    loss_probe_repairs: int = 0
    """Probes that resent a lost tail (no D-SACK came back): each reduced the window."""
    rack_losses: int = 0
    """Ranges RACK (RFC 8985 6) deemed lost by time, such as a retransmission lost again."""
    state: TcpState = TcpState.CLOSED
    """The RFC 9293 state."""
    congestion_control: str = ""
    """The congestion controller's name ("cubic", "reno", "none", or a custom one's)."""
    phase: CongestionPhase = CongestionPhase.SLOW_START
    """Slow start, congestion avoidance, recovery or loss (see `CongestionPhase`)."""
    cwnd_octets: int = 0
    """The congestion window, in octets (as ``cwnd``)."""
    cwnd_segments: int = 0
    """The congestion window in send-MSS segments."""
    ssthresh_octets: int = 0
    """The slow-start threshold, in octets (as ``ssthresh``)."""
    ssthresh_segments: int = 0
    """The slow-start threshold in send-MSS segments."""
    srtt_us: int | None = None
    """The smoothed RTT (RFC 6298), None before the first sample."""
    rttvar_us: int = 0
    """The RTT variation (RFC 6298)."""
    min_rtt_us: int | None = None
    """The least RTT sample of the connection, None before the first."""
    rto_us: int = 0
    """The retransmission timeout, back-off included."""
    rto_backoff: int = 0
    """How many times the RTO was doubled since the last RTT sample."""
    snd_mss_octets: int = 0
    """The send MSS: the largest payload we send (the peer's MSS less our options)."""
    rcv_mss_octets: int = 0
    """The receive MSS we announced (our IP MTU less 40)."""
    snd_wnd_octets: int = 0
    """The peer's advertised receive window (SND.WND), scaled, in octets."""
    snd_wscale: int = 0
    """The peer's window shift (RFC 7323); 0 without window scaling."""
    rcv_wnd_octets: int = 0
    """The receive window we last advertised (its right edge less RCV.NXT), in octets."""
    rcv_wscale: int = 0
    """Our window shift (RFC 7323); 0 without window scaling."""
    in_flight_octets: int = 0
    """Octets deemed in the network: the RFC 6675 pipe with SACK, else SND.MAX - SND.UNA."""
    unacked_octets: int = 0
    """Sequence space sent and not acknowledged (SND.MAX - SND.UNA)."""
    send_queue_octets: int = 0
    """Octets in the send buffer (unacknowledged or not yet sent): ``ss``'s Send-Q."""
    recv_queue_octets: int = 0
    """Octets received and not yet read: ``ss``'s Recv-Q."""
    acked_octets: int = 0
    """Octets of data the peer acknowledged (SYN and FIN not counted)."""
    retransmitted_octets: int = 0
    """Octets of data sent again (each retransmission counted)."""
    retransmits_rto_segments: int = 0
    """Segments resent after a retransmission timeout (the go-back-N, SYNs included)."""
    retransmits_fast_segments: int = 0
    """Segments resent by fast retransmit and SACK recovery (RFC 5681, RFC 6675, RFC 5827)."""
    retransmits_tlp_segments: int = 0
    """Tail loss probes that resent old data (RFC 8985 7.3)."""
    retransmits_rack_segments: int = 0
    """Segments resent because RACK deemed them lost by time (RFC 8985 6)."""
    retransmits_pmtu_segments: int = 0
    """Segments resent, cut to a smaller MSS, because a lowered path MTU made a router drop
    them (RFC 1191 6.5, RFC 8201 5.4): not congestion losses, and no window was cut for them."""
    lost_octets: int = 0
    """Octets deemed lost and not yet acknowledged (after an RTO: everything outstanding and
    not SACKed; else what SACK (RFC 6675 IsLost) and RACK deem lost)."""
    sacked_octets: int = 0
    """Octets above SND.UNA the peer reported in SACK blocks (as ``sacked_bytes``)."""
    reordering_seen: bool = False
    """Whether the network was seen to reorder (needs SACK): RACK saw a segment delivered
    after one sent later than it, or a D-SACK reported a retransmission as spurious."""
    dsacks_received: int = 0
    """ACKs that reported octets received twice (D-SACK, RFC 2883): spurious retransmissions."""
    delivery_rate_octets_per_s: int = 0
    """Octets acknowledged per second over the latest interval of about one SRTT of sending
    (idle times are not counted); 0 before the first such interval ends."""
    busy_us: int = 0
    """Time with data in flight or waiting to be sent (Linux's busy time; it contains the
    three ``*_limited_us`` below)."""
    rwnd_limited_us: int = 0
    """Time the sender had data but the peer's receive window was full."""
    sndbuf_limited_us: int = 0
    """Time the whole (full) send buffer was in flight: the buffer limited the sender."""
    cwnd_limited_us: int = 0
    """Time the sender had data but the congestion window was full."""
    since_last_send_us: int | None = None
    """Time since the socket last sent a segment, None if it never did."""
    since_last_receive_us: int | None = None
    """Time since the socket last received a segment, None if it never did."""
    at_us: int = 0
    """The instant (micros) the snapshot describes."""

    def describe(self) -> str:
        """Return the snapshot on one line, in the manner of ``ss -ti`` (times in ms)."""
        parts = [
            self.congestion_control or "-",
            f"wscale:{self.snd_wscale},{self.rcv_wscale}",
            f"rto:{_ms(self.rto_us)}",
            f"rtt:{_ms(self.srtt_us)}/{_ms(self.rttvar_us)}",
            f"minrtt:{_ms(self.min_rtt_us)}",
            f"mss:{self.snd_mss_octets}",
            f"rcvmss:{self.rcv_mss_octets}",
            f"cwnd:{self.cwnd_segments}",
        ]
        if self.ssthresh_octets < 1 << 40:
            parts.append(f"ssthresh:{self.ssthresh_segments}")
        parts += [
            f"phase:{self.phase}",
            f"bytes_sent:{self.bytes_sent}",
            f"bytes_retrans:{self.retransmitted_octets}",
            f"bytes_acked:{self.acked_octets}",
            f"bytes_received:{self.bytes_received}",
            f"segs_out:{self.segments_sent}",
            f"segs_in:{self.segments_received}",
            f"retrans:{self.retransmissions}"
            f"(rto:{self.retransmits_rto_segments},fast:{self.retransmits_fast_segments},"
            f"tlp:{self.retransmits_tlp_segments},rack:{self.retransmits_rack_segments},"
            f"pmtu:{self.retransmits_pmtu_segments})",
            f"lost:{self.lost_octets}",
            f"sacked:{self.sacked_octets}",
            f"reordering:{'yes' if self.reordering_seen else 'no'}",
            f"dsacks:{self.dsacks_received}",
            f"unacked:{self.unacked_octets}",
            f"delivery_rate:{self.delivery_rate_octets_per_s * 8}bps",
            f"busy:{self.busy_us // 1000}ms",
            f"rwnd_limited:{self.rwnd_limited_us // 1000}ms",
            f"sndbuf_limited:{self.sndbuf_limited_us // 1000}ms",
            f"cwnd_limited:{self.cwnd_limited_us // 1000}ms",
            f"lastsnd:{_ms(self.since_last_send_us)}",
            f"lastrcv:{_ms(self.since_last_receive_us)}",
        ]
        return " ".join(parts)
