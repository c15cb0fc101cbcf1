"""`TcpStats`: a snapshot of one connection's counters and estimates."""

from __future__ import annotations

from typing import NamedTuple

from smoltcp.stack.time import Duration

__all__ = ["TcpStats"]


class TcpStats(NamedTuple):
    """Counters and estimates of one connection (a snapshot)."""

    retransmissions: int
    fast_retransmits: int
    timeouts: int
    rtt: Duration | None
    rto: Duration
    cwnd: int
    ssthresh: int
    sacked_bytes: int
    segments_sent: int
    segments_received: int
    bytes_sent: int
    bytes_received: int
    loss_probes: int = 0
    """Tail loss probes sent (RFC 8985 7)."""
    loss_probe_repairs: int = 0
    """Probes that resent a lost tail (no D-SACK came back): each reduced the window."""
    rack_losses: int = 0
    """Ranges RACK (RFC 8985 6) deemed lost by time, such as a retransmission lost again."""
