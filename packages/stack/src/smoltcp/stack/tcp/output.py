"""`SegmentOutput`: build the segments of a connection and hand them to the interface.

The base of `send.Sender` holding the one place where every segment leaves: `send` (an
ACK-bearing segment, accounting for its sequence space, timers and the trace), `send_syn` (the
SYN or SYN-ACK) and `emit_rst` (the RST `queue_rst` remembered), with `ip_repr` for the IP
header. `send.Sender` decides what to send and when.
"""

from __future__ import annotations

from smoltcp.stack.socket.base import Emit
from smoltcp.stack.tcp.seq import SEQ_HALF, SEQ_MASK
from smoltcp.stack.tcp.seq import int_add as _int_add
from smoltcp.stack.tcp.seq import int_new as _int_new
from smoltcp.stack.tcp.seq import int_sub as _int_sub
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.tcp.tcb import Context, IpRepr, Part, Payload
from smoltcp.stack.tcp.trace import LossReason
from smoltcp.wire import (
    IpEndpoint,
    IpProtocol,
    TcpControl,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
    ip_repr,
)
from smoltcp.wire.ipv4 import Ipv4Repr
from smoltcp.wire.ipv6 import Ipv6Repr

__all__ = ["SegmentOutput"]

_SYN_SENT = TcpState.SYN_SENT
_RST = TcpControl.RST
_SYN = TcpControl.SYN
_FIN = TcpControl.FIN
_PSH = TcpControl.PSH
_NONE = TcpControl.NONE
_TCP = IpProtocol.TCP
_RTO = LossReason.RTO
_DEFAULT_HOP_LIMIT = 64
# The length of the TCP header `send` writes without SACK blocks: with no option, and with
# the timestamps option alone (as wire measures them).
_HEADER_LEN = TcpRepr(0, 0, _NONE, TcpSeqNumber(0), TcpSeqNumber(0), 0).header_len()
_TS_HEADER_LEN = TcpRepr(
    0, 0, _NONE, TcpSeqNumber(0), TcpSeqNumber(0), 0, timestamp=TcpTimestampRepr(0, 0)
).header_len()

# The flags of an ACK-bearing segment `send` builds, for the trace.
_FLAGS = {_NONE: "A", _PSH: "PA", _FIN: "FA"}
_tuple_new = tuple.__new__
_IP_HEAD = ("src_addr", "dst_addr", "next_header", "payload_len")
_PAYLOAD_LEN_AT = _IP_HEAD.index("payload_len")
# `send` builds TcpRepr positionally: refuse to import if wire's field order ever changes.
# Fields wire appends after `ns` (its compatibility rule: new fields only at the end) take
# their defaults from `_TCP_REPR_TAIL`.
if TcpRepr._fields[9:16] != (
    "sack_ranges",
    "timestamp",
    "payload",
    "unknown_options",
    "ece",
    "cwr",
    "ns",
):
    raise ImportError(f"TcpRepr's fields moved: {TcpRepr._fields}")
_TCP_REPR_TAIL = tuple(TcpRepr._field_defaults[name] for name in TcpRepr._fields[16:])
# `ip_repr` builds the IP header positionally from a connection's template, the payload
# length fourth.
if Ipv4Repr._fields[:4] != _IP_HEAD or Ipv6Repr._fields[:4] != _IP_HEAD:
    raise ImportError(f"IP representations' fields moved: {Ipv4Repr._fields}, {Ipv6Repr._fields}")


class SegmentOutput(Part):
    """The segment-building half of `send.Sender` (see the module docstring)."""

    __slots__ = ("_ip_last", "_ip_template", "hop_limit", "rst_pending")

    # Set by `send.Sender`: the configured hop limit (None: the default) and the RST
    # `queue_rst` remembered.
    hop_limit: int | None
    rst_pending: tuple[IpEndpoint, IpEndpoint, TcpSeqNumber, TcpSeqNumber] | None
    # The IP header of every segment but for its length, made once per connection: the
    # local and remote endpoints and the hop limit it was made for, the representation's
    # type, the fields before the payload length and those after it (see `ip_repr`).
    _ip_template: (
        tuple[IpEndpoint, IpEndpoint, int | None, type, tuple[object, ...], tuple[object, ...]]
        | None
    )
    # The last IP header `ip_repr` built from the template, with its payload length: the
    # segments of a flow mostly have one length (full-sized, or pure ACKs), and the header
    # is an immutable tuple, so the same one serves again.
    _ip_last: tuple[int, IpRepr] | None

    def send_syn(self, cx: Context, emit: Emit, t: int) -> None:
        """Send the SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) from the ISS."""
        tcb = self.tcb
        st = tcb.state
        active = st is _SYN_SENT
        iss = tcb.iss
        tsval = (t // 1000 + tcb.ts_offset) & SEQ_MASK
        window = tcb.rx.window()
        if window > 0xFFFF:
            window = 0xFFFF
        ack: TcpSeqNumber | None
        ts: TcpTimestampRepr | None
        ws: int | None
        if active:
            ack = None
            ts = TcpTimestampRepr(tsval, 0)
            ws = tcb.rcv_shift
            sack = True
        else:
            ack = tcb.rcv_nxt
            ts = TcpTimestampRepr(tsval, tcb.ts_recent) if tcb.ts_ok else None
            ws = tcb.rcv_shift if tcb.ws_ok else None
            sack = tcb.sack_ok
        local = tcb.local
        remote = tcb.remote
        assert local is not None and remote is not None  # a connection has both
        seg = TcpRepr(
            src_port=local.port,
            dst_port=remote.port,
            control=_SYN,
            seq_number=iss,
            ack_number=ack,
            window_len=window,
            window_scale=ws,
            max_seg_size=tcb.rcv_mss,
            sack_permitted=sack,
            timestamp=ts,
        )
        if ack is not None:
            self.rcv.after_ack_sent(window)
        tcb.snd_nxt = iss + 1
        if tcb.snd_max < tcb.snd_nxt:
            tcb.snd_max = tcb.snd_nxt
        if self.rec.syn_rtx:
            self.rec.n_retx += 1
            self.rec.count_retransmission(_RTO, 0)
        else:
            self.rec.rtt_seq = tcb.snd_nxt
            self.rec.rtt_at = t
        if self.rec.rto_at is None:
            self.rec.rto_at = t + self.rec.rtt.rto.micros
        tcb.n_seg_out += 1
        tcb.last_send_at = t
        trace = tcb.trace
        if trace is not None:
            trace.segment(
                t,
                int(iss),
                0,
                "S" if active else "SA",
                ack,
                window,
                _RTO if self.rec.syn_rtx else None,
            )
        emit(self.ip_repr(seg), seg)

    def send(
        self,
        cx: Context,
        emit: Emit,
        t: int,
        ctl: TcpControl,
        seq: TcpSeqNumber,
        payload: Payload,
        advance: bool = True,
        why: LossReason | None = None,
    ) -> None:
        """Emit one ACK-bearing segment; account for its sequence space and timers.

        ``advance=False`` leaves SND.NXT and the timers alone (a zero-window probe); ``why``
        is the cause of a retransmission, for the trace.
        """
        tcb = self.tcb
        rec = self.rec
        rcv = self.rcv
        local = tcb.local
        remote = tcb.remote
        assert local is not None and remote is not None  # a connection has both
        window = rcv.advertise_window()
        ts = None
        if tcb.ts_ok:
            ts = _tuple_new(
                TcpTimestampRepr,
                ((t // 1000 + tcb.ts_offset) & SEQ_MASK, tcb.ts_recent),
            )
        sack: tuple[tuple[int, int], ...] = ()
        size = len(payload)
        if tcb.sack_ok and not rcv.assembler.is_empty():
            sack = rcv.sack_blocks(rcv.sack_count(size > 0))
        if rcv.dsack is not None:
            # A D-SACK rides on the next pure ACK, first (RFC 2883 4), then is forgotten.
            if not size:
                sack = (rcv.dsack, *sack)[: rcv.sack_count(False, 1)]
            rcv.dsack = None
        # tuple.__new__ skips the NamedTuple constructor's argument handling: this runs for
        # every segment sent. The field order is TcpRepr's.
        seg = _tuple_new(
            TcpRepr,
            (
                local.port,
                remote.port,
                ctl,
                seq,
                tcb.rcv_nxt,
                window >> tcb.rcv_shift,
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
        rcv.after_ack_sent(window)
        seg_len = size + (1 if ctl is _FIN else 0)
        if seg_len and advance:
            end = _int_new(TcpSeqNumber, _int_add(seq, seg_len) & SEQ_MASK)
            snd_max = tcb.snd_max
            if snd_max == tcb.snd_una:
                # Idle until now: the user timeout counts from here, and so does the next
                # delivery-rate sample (an idle time is not a slow network).
                tcb.progress_at = t
                rec.restart_rate(t, tcb.n_bytes_acked)
            if tcb.sack_ok and size:
                # The option octets each segment carries, and, for a super-segment, the
                # payload of each piece the interface cuts (at our IP MTU): what a path MTU
                # drop asks (`Rack.mark_too_big`).
                options = (
                    seg.header_len() - _HEADER_LEN
                    if sack
                    else (_TS_HEADER_LEN - _HEADER_LEN if ts is not None else 0)
                )
                piece = tcb.rcv_mss - options if size > tcb.snd_mss else 0
                # RACK keeps the data only: ``end`` equals ``seq + size`` except after a FIN.
                rack_end = end if ctl is not _FIN else seq + size
                # (SEQ < SND.MAX: a retransmission.)
                resent = 0 < _int_sub(snd_max, seq) & SEQ_MASK < SEQ_HALF
                rec.rack.on_send(seq, rack_end, t, resent, piece, options)
            if 0 < _int_sub(end, snd_max) & SEQ_MASK < SEQ_HALF:  # SND.MAX < end
                # (SEQ >= SND.MAX: new data only.)
                if (
                    not tcb.ts_ok
                    and rec.rtt_seq is None
                    and _int_sub(seq, snd_max) & SEQ_MASK < SEQ_HALF
                ):
                    # Time this segment (Karn: only new data is timed); with timestamps
                    # every ACK is a sample.
                    rec.rtt_seq = end
                    rec.rtt_at = t
                tcb.n_bytes_out += size
                tcb.snd_max = end
                new_data = True
            else:
                new_data = False
            if seq == tcb.snd_nxt:
                tcb.snd_nxt = end
            if rec.rto_at is None:
                rec.rto_at = t + rec.rtt.rto.micros
            if new_data and rec.tlp_at is None:
                rec.arm_loss_probe(t)
        tcb.n_seg_out += 1
        tcb.last_send_at = t
        trace = tcb.trace
        if trace is not None:
            trace.segment(t, int(seq), size, _FLAGS[ctl], tcb.rcv_nxt, window, why)
        # The segment's length without asking it: only SACK blocks make its options vary.
        if sack:
            emit(self.ip_repr(seg), seg)
        else:
            plen = size + (_HEADER_LEN if ts is None else _TS_HEADER_LEN)
            emit(self.ip_repr(seg, plen), seg)

    def ip_repr(self, seg: TcpRepr, payload_len: int | None = None) -> IpRepr:
        """Return the IP header of ``seg``, from the local to the remote address.

        ``payload_len`` is ``seg.buffer_len()`` when the caller knows it already.
        """
        local = self.tcb.local
        remote = self.tcb.remote
        hop = self.hop_limit
        made = self._ip_template
        if made is None or made[0] is not local or made[1] is not remote or made[2] != hop:
            # A new connection (or hop limit): the header for its segments, less the length.
            assert local is not None and remote is not None  # a connection has both
            assert local.addr is not None and remote.addr is not None
            first = ip_repr(
                local.addr, remote.addr, _TCP, 0, _DEFAULT_HOP_LIMIT if hop is None else hop
            )
            before = first[:_PAYLOAD_LEN_AT]
            after = first[_PAYLOAD_LEN_AT + 1 :]
            made = self._ip_template = (local, remote, hop, type(first), before, after)
            self._ip_last = None
        if payload_len is None:
            payload_len = seg.buffer_len()
        last = self._ip_last
        if last is not None and last[0] == payload_len:
            return last[1]
        # tuple.__new__, as for the segment in `send`: only the length differs per segment.
        ipr: IpRepr = _tuple_new(made[3], (*made[4], payload_len, *made[5]))
        self._ip_last = (payload_len, ipr)
        return ipr

    def queue_rst(self) -> None:
        """Remember the RST to send for an abort (RFC 9293 3.10.5)."""
        tcb = self.tcb
        local = tcb.local
        remote = tcb.remote
        assert local is not None and remote is not None  # a connection has both
        self.rst_pending = (local, remote, tcb.snd_max, tcb.rcv_nxt)

    def emit_rst(self, emit: Emit) -> None:
        """Send the RST `queue_rst` remembered."""
        tcb = self.tcb
        pending = self.rst_pending
        assert pending is not None  # callers check
        local, remote, seq, ack = pending
        self.rst_pending = None
        seg = TcpRepr(
            src_port=local.port,
            dst_port=remote.port,
            control=_RST,
            seq_number=seq,
            ack_number=ack,
            window_len=0,
        )
        hop = self.hop_limit
        tcb.n_seg_out += 1
        tcb.last_send_at = tcb.clock
        trace = tcb.trace
        if trace is not None:
            trace.segment(tcb.clock, int(seq), 0, "RA", ack, 0, None)
        assert local.addr is not None and remote.addr is not None  # a connection has both
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
