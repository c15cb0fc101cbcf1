"""The text tcpplot prints: one line per connection, then the chosen one's flows in detail."""

from __future__ import annotations

from collections import Counter

from .model import OUT_OF_ORDER, Connection, Flow

__all__ = ["connection_line", "flow_lines", "flows_to_draw"]


def connection_line(conn: Connection) -> str:
    """Return the one-line description of ``conn``."""
    return (
        f"#{conn.number:<3} {conn.a} <-> {conn.b}  {conn.end - conn.start:.3f} s  "
        f"{conn.frames} segments  {conn.data_octets} data octets"
    )


def flows_to_draw(conn: Connection) -> list[Flow]:
    """Return the flows of ``conn`` that carry data (the forward one when none does)."""
    flows = [f for f in conn.flows if f.segments and f.data_octets]
    return flows or [conn.forward]


def _stats(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"min/avg/max {min(ms):.3f}/{sum(ms) / len(ms):.3f}/{max(ms):.3f} ms ({len(ms)} samples)"


def flow_lines(flow: Flow) -> list[str]:
    """Return the lines that describe ``flow``."""
    lines = [f"  {flow.sender} -> {flow.receiver}"]
    resent = flow.retransmissions
    causes = Counter(s.cause or "other" for s in resent)
    cause_text = ", ".join(f"{k} {v}" for k, v in sorted(causes.items()))
    ooo = sum(1 for s in flow.segments if s.kind == OUT_OF_ORDER)
    duration = (flow.segments[-1].time - flow.segments[0].time) if flow.segments else 0.0
    rate = f", {flow.data_octets * 8 / duration / 1e6:.1f} Mbit/s" if duration > 0 else ""
    lines.append(
        f"    data: {flow.data_octets} octets in {len(flow.segments)} segments{rate}; "
        f"{len(resent)} retransmitted ({sum(s.length for s in resent)} octets"
        + (f": {cause_text}" if resent else "")
        + f"), {ooo} out of order"
    )
    lines.append(
        f"    from the receiver: {len(flow.acks)} ACKs, {flow.dup_acks} duplicate, "
        f"{len(flow.sacks)} SACK blocks"
    )
    for points, name in (
        (flow.rtt_ack, "RTT by ACK timing"),
        (flow.rtt_ts, "RTT by timestamp echo"),
        (flow.rtt_stack, "RTT samples of the stack"),
    ):
        if points:
            lines.append(f"    {name}: {_stats([p[1] for p in points])}")
    if flow.srtt:
        lines.append(
            f"    at the end: SRTT {flow.srtt[-1][1] * 1000:.3f} ms, "
            f"RTO {flow.rto[-1][1] * 1000:.1f} ms"
        )
    if flow.cwnd:
        lines.append(
            f"    cwnd: max {max(c for _, c in flow.cwnd)} octets, last {flow.cwnd[-1][1]}; "
            f"ssthresh last {flow.ssthresh[-1][1]}"
        )
    if flow.in_flight:
        how = "estimated " if flow.in_flight_estimated else ""
        lines.append(f"    {how}octets in flight: max {max(n for _, n in flow.in_flight)}")
    if flow.losses:
        counts = Counter(
            f"{action}/{reason}" if reason else action for _, action, reason in flow.losses
        )
        lines.append(
            "    loss decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
    return lines
