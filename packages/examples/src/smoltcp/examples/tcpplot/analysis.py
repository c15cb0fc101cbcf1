"""Turn the TCP segments of a capture into connections and flows (`model`), as tcptrace would.

A segment whose sequence range starts below the highest one seen in its direction resends
data: it is a retransmission, unless it arrived so soon after the highest segment that
reordering explains it better (an out-of-order segment: within the handshake's round trip,
or 3 ms without one) or it is a keep-alive (one octet just below the highest). This is the
rule Wireshark applies (``tcp.analysis.retransmission``), so the two can be compared. A
retransmission's cause is inferred: ``fast_retransmit`` when it follows two duplicate ACKs
for its sequence number (Wireshark's rule), ``timeout`` when the connection was silent for
at least `RTO_SILENCE` before it, else none.

RTT samples come from ACK timing (an ACK that acknowledges exactly the end of a segment sent
once; Karn's rule excludes resent ones) and from the timestamp echo of ACKs that acknowledge
new data (RFC 7323 4). Octets in flight are estimated as SND.MAX - SND.UNA minus the octets
the receiver reported in SACK blocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from smoltcp.wire import TcpControl, TcpRepr

from .capture import CapturedSegment
from .model import NEW, OUT_OF_ORDER, RETRANSMISSION, Connection, Flow, Segment

__all__ = ["analyse"]

_MOD = 1 << 32
_HALF = 1 << 31
DEFAULT_REORDER_WINDOW = 0.003
"""Seconds within which a hole filled is deemed reordering when no handshake RTT is known."""
FAST_RETRANSMIT_WINDOW = 0.020
"""A resend this soon after the second duplicate ACK for its sequence is a fast retransmit."""
RTO_SILENCE = 0.180
"""A resend after this long without a segment either way is put down to the retransmission
timer: the smallest RTO of Linux and of this stack is 200 ms (less room for timer slack)."""


@dataclass
class _Side:
    """What the analysis keeps about one direction while it reads the capture."""

    flow: Flow
    base: int | None = None
    syn_seen: bool = False
    wscale: int | None = None
    next_seq: int | None = None  # highest relative end sent
    next_seq_time: float = 0.0
    ts_sent: dict[int, float] = field(default_factory=dict)  # TSval -> first time sent
    unacked: dict[int, tuple[float, bool]] = field(default_factory=dict)  # end -> (time, resent)
    resent_ends: set[int] = field(default_factory=set)
    last_ack: int | None = None  # highest ACK this side received (relative to its own seq)
    last_window: int | None = None
    dup_count: int = 0
    last_dup_time: float = 0.0
    sacked: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class _Conn:
    conn: Connection
    sides: dict[str, _Side]
    first_rtt: float | None = None
    syn_time: float | None = None
    closed: bool = False
    quiet_since: float = 0.0  # time of the connection's previous segment, either direction


def _rel(seq: int, base: int) -> int:
    """Return ``seq`` relative to ``base`` as a signed offset (transfers under 2 GiB)."""
    d = (seq - base) % _MOD
    return d - _MOD if d >= _HALF else d


def analyse(segments: Iterable[CapturedSegment]) -> list[Connection]:
    """Return the connections of the captured ``segments`` (in file order), numbered from 0.

    A SYN for a four-tuple whose connection has ended (FIN or RST seen) opens a new one.
    """
    conns: dict[tuple[str, str], _Conn] = {}
    done: list[_Conn] = []
    t0: int | None = None
    for captured in segments:
        if t0 is None:
            t0 = captured.time_ns
        t = (captured.time_ns - t0) / 1e9
        tcp = captured.tcp
        src = f"{captured.src}:{tcp.src_port}"
        dst = f"{captured.dst}:{tcp.dst_port}"
        key = (src, dst) if src < dst else (dst, src)
        state = conns.get(key)
        pure_syn = tcp.control == TcpControl.SYN and tcp.ack_number is None
        if state is not None and pure_syn and state.closed:
            done.append(state)
            state = None
        if state is None:
            number = len(done) + len(conns) if key not in conns else len(done)
            forward = Flow(src, dst)
            reverse = Flow(dst, src)
            state = _Conn(
                Connection(number, src, dst, forward, reverse, start=t),
                {src: _Side(forward), dst: _Side(reverse)},
                quiet_since=t,
            )
            conns[key] = state
        state.conn.end = t
        state.conn.frames += 1
        _on_segment(
            state, state.sides[src], state.sides[dst], captured.frame, t, tcp, captured.payload_len
        )
        state.quiet_since = t
    done.extend(conns.values())
    done.sort(key=lambda c: (c.conn.start, c.conn.frames))
    out = []
    for number, state in enumerate(done):
        state.conn.number = number
        out.append(state.conn)
    return out


def _on_segment(
    state: _Conn, me: _Side, peer: _Side, frame: int, t: float, tcp: TcpRepr, length: int
) -> None:
    control = tcp.control
    syn = control == TcpControl.SYN
    fin = control == TcpControl.FIN
    rst = control == TcpControl.RST
    if rst or fin:
        state.closed = True
    if syn:
        if me.base is None or not me.syn_seen:
            me.base = int(tcp.seq_number)
            me.syn_seen = True
        me.wscale = tcp.window_scale
        if tcp.ack_number is None and state.syn_time is None:
            state.syn_time = t
    elif me.base is None:
        me.base = int(tcp.seq_number)
    assert me.base is not None
    # Relative to the initial sequence number, as Wireshark shows them: the SYN is 0.
    seq = _rel(int(tcp.seq_number), me.base)
    span = length + (1 if syn or fin else 0)
    if tcp.timestamp is not None and (length or syn or fin):
        me.ts_sent.setdefault(tcp.timestamp.tsval, t)
    if span and not rst:
        _on_data(state, me, peer, frame, t, seq, length, span, syn)
    if tcp.ack_number is not None:
        if state.first_rtt is None and state.syn_time is not None and not syn and peer.syn_seen:
            # The handshake's round trip, as seen from the capture point: SYN to the first ACK.
            state.first_rtt = t - state.syn_time
        _on_ack(me, peer, t, frame, tcp, length, syn or fin or rst)


def _on_data(
    state: _Conn,
    me: _Side,
    peer: _Side,
    frame: int,
    t: float,
    seq: int,
    length: int,
    span: int,
    syn: bool,
) -> None:
    end = seq + span
    kind = NEW
    cause = ""
    if me.next_seq is not None and seq < me.next_seq:
        if span <= 1 and not syn and seq == me.next_seq - 1 and length <= 1:
            kind = ""  # keep-alive: not data worth drawing
        elif (
            me.dup_count >= 2
            and me.last_ack == seq
            and t - me.last_dup_time < FAST_RETRANSMIT_WINDOW
        ):
            kind, cause = RETRANSMISSION, "fast_retransmit"
        else:
            window = state.first_rtt if state.first_rtt else DEFAULT_REORDER_WINDOW
            if t - me.next_seq_time < window and me.next_seq != end:
                kind = OUT_OF_ORDER
            else:
                kind = RETRANSMISSION
                if t - state.quiet_since >= RTO_SILENCE:
                    # Resent after a silence of the whole connection: no ACK clocked it out,
                    # the retransmission timer did.
                    cause = "timeout"
    if not kind:
        return
    if kind == RETRANSMISSION:
        me.resent_ends.add(end)
        for stored_end in [e for e in me.unacked if seq < e <= end or e == end]:
            time_sent, _ = me.unacked[stored_end]
            me.unacked[stored_end] = (time_sent, True)
    elif end not in me.unacked:
        me.unacked[end] = (t, end in me.resent_ends)
    if me.next_seq is None or end > me.next_seq:
        me.next_seq = end
        me.next_seq_time = t
    me.flow.segments.append(Segment(frame, t, seq, length if not syn else 0, kind, cause))
    _estimate_in_flight(me, t)


def _on_ack(
    me: _Side, peer: _Side, t: float, frame: int, tcp: TcpRepr, length: int, control: bool
) -> None:
    # `me` acknowledges `peer`'s data: the point is in `peer`'s flow.
    if peer.base is None or tcp.ack_number is None:
        return
    ack = _rel(int(tcp.ack_number), peer.base)
    flow = peer.flow
    scale = me.wscale if (me.wscale is not None and peer.wscale is not None) else 0
    window = tcp.window_len << (0 if tcp.control == TcpControl.SYN else scale)
    if (
        length == 0
        and not control
        and peer.last_ack == ack
        and peer.last_window == window
        and peer.next_seq is not None
        and ack < peer.next_seq
    ):
        peer.dup_count += 1
        peer.last_dup_time = t
        flow.dup_acks += 1
    elif peer.last_ack is None or ack > peer.last_ack:
        peer.dup_count = 0
    advanced = peer.last_ack is None or ack > peer.last_ack
    if advanced:
        peer.last_ack = ack
    peer.last_window = window
    flow.acks.append((t, ack))
    flow.windows.append((t, ack + window))
    blocks = []
    for left, right in tcp.sack_ranges:
        rel_left = _rel(int(left), peer.base)
        rel_right = _rel(int(right), peer.base)
        flow.sacks.append((t, rel_left, rel_right))
        blocks.append((rel_left, rel_right))
    peer.sacked = [(lo, hi) for lo, hi in (peer.sacked + blocks) if hi > ack]
    # ACK timing: an ACK of exactly the end of a segment sent once (Karn's rule).
    sent = peer.unacked.get(ack)
    if sent is not None and not sent[1] and ack not in peer.resent_ends:
        flow.rtt_ack.append((t, t - sent[0], frame))
    for end in [e for e in peer.unacked if e <= ack]:
        del peer.unacked[end]
    if advanced and tcp.timestamp is not None:
        sent_at = peer.ts_sent.get(tcp.timestamp.tsecr)
        if sent_at is not None:
            flow.rtt_ts.append((t, t - sent_at))
    _estimate_in_flight(peer, t)


def _estimate_in_flight(side: _Side, t: float) -> None:
    if side.next_seq is None:
        return
    una = side.last_ack if side.last_ack is not None else 0
    sacked = sum(hi - lo for lo, hi in _merge(side.sacked) if lo >= una)
    side.flow.in_flight.append((t, max(0, side.next_seq - una - sacked)))


def _merge(blocks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(blocks):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged
