"""Turn a trace written by the stack (`smoltcp.stack.tcp.trace`) into connections and flows.

A trace is one end's view: each traced connection gives the flow of the data that end sends
(segments, with the reason of each retransmission; the peer's ACKs, windows and SACK blocks;
RTT samples with SRTT and RTO; cwnd, ssthresh and the octets in flight the stack counted; loss
and recovery decisions). The reverse flow holds nothing but its name.
"""

from __future__ import annotations

from smoltcp.stack.tcp.trace import (
    AckProcessed,
    CongestionChanged,
    ConnectionOpened,
    LossDecision,
    RttChanged,
    SegmentSent,
    StateChanged,
    TraceRecord,
)

from .model import NEW, RETRANSMISSION, Connection, Flow, Segment

__all__ = ["connections_from_trace"]

_MOD = 1 << 32
_HALF = 1 << 31


def connections_from_trace(records: list[TraceRecord]) -> list[Connection]:
    """Return one `Connection` per ``conn`` number in ``records``, in order of appearance.

    Records of a connection whose `ConnectionOpened` fell out of a ring still count (its ends
    are then named ``conn N``). Sequence numbers are relative to the first SYN sent, else to the
    first segment sent; times are seconds since the first record.
    """
    if not records:
        return []
    t0 = min(r.time_us for r in records)
    conns: dict[int, Connection] = {}
    bases: dict[int, int] = {}

    def conn_of(r: TraceRecord) -> Connection:
        c = conns.get(r.conn)
        if c is None:
            local, remote = f"conn {r.conn} local", f"conn {r.conn} remote"
            if isinstance(r, ConnectionOpened):
                local, remote = r.local, r.remote
            c = Connection(len(conns), local, remote, Flow(local, remote), Flow(remote, local))
            c.start = (r.time_us - t0) / 1e6
            conns[r.conn] = c
        c.end = (r.time_us - t0) / 1e6
        c.frames += 1
        return c

    def rel(conn: int, seq: int) -> int:
        d = (seq - bases[conn]) % _MOD
        return d - _MOD if d >= _HALF else d

    for index, r in enumerate(records, 1):
        c = conn_of(r)
        flow = c.forward
        t = (r.time_us - t0) / 1e6
        if isinstance(r, SegmentSent):
            if r.conn not in bases or ("S" in r.flags and "A" not in r.flags and not flow.segments):
                bases[r.conn] = r.seq
            span = r.length + (1 if "S" in r.flags or "F" in r.flags else 0)
            if span:
                kind = NEW if r.retransmit is None else RETRANSMISSION
                cause = "" if r.retransmit is None else r.retransmit.value
                flow.segments.append(Segment(index, t, rel(r.conn, r.seq), r.length, kind, cause))
        elif isinstance(r, AckProcessed):
            if r.conn not in bases:
                continue
            ack = rel(r.conn, r.ack)
            flow.acks.append((t, ack))
            flow.windows.append((t, ack + r.window))
            flow.sacks.extend((t, rel(r.conn, lo), rel(r.conn, hi)) for lo, hi in r.sack)
        elif isinstance(r, RttChanged):
            if r.sample_us is not None:
                flow.rtt_stack.append((t, r.sample_us / 1e6))
            if r.srtt_us is not None:
                flow.srtt.append((t, r.srtt_us / 1e6))
            flow.rto.append((t, r.rto_us / 1e6))
        elif isinstance(r, CongestionChanged):
            flow.cwnd.append((t, r.cwnd))
            flow.ssthresh.append((t, r.ssthresh))
            flow.in_flight.append((t, r.in_flight))
            flow.in_flight_estimated = False
        elif isinstance(r, LossDecision):
            flow.losses.append((t, r.action.value, r.reason.value if r.reason else ""))
        elif isinstance(r, StateChanged):
            flow.states.append((t, r.new))
    return list(conns.values())
