"""An opt-in event trace of TCP connections: typed records, recorders, JSON Lines and CSV.

A `TraceRecorder` receives one immutable record for each thing a connection does that a person
debugging it wants to see later: a segment sent (`SegmentSent`), an acknowledgment processed
(`AckProcessed`), a change of the congestion window (`CongestionChanged`) or of the RTT
estimate and RTO (`RttChanged`), a change of state (`StateChanged`), and each loss or recovery
decision with its reason (`LossDecision`). `ConnectionOpened` names a connection's endpoints
once; every other record carries the small integer ``conn`` that the recorder handed out for it.
Times are the stack's `Instant` in integer microseconds (``time_us``); sequence and
acknowledgment numbers are the raw 32-bit values on the wire.

Tracing is off by default: `TcpSocket.set_trace(recorder)` turns it on for one socket (and
the children of a listener), `SocketSet.set_tcp_trace(recorder)` for every TCP socket of a set.
A socket being traced holds a `ConnectionTrace` (the recorder and
the connection's number), else None; every hook point is one ``if trace is not None`` test,
and records are built only behind it, so a socket that is not traced pays one attribute load
and one comparison per hook point reached. The hook points, and what each passes
(`ConnectionTrace`'s methods):

- connection opened (once the four-tuple is known, active or passive open): `open`;
- segment sent (as the segment is handed to the interface): `segment` with SEG.SEQ, SEG.LEN
  (payload octets; SYN and FIN are in ``flags``), the control flags, SEG.ACK, the window we
  advertise in octets, and ``retransmit``, the `LossReason` when the segment resends data;
- ACK processed (after the acknowledgment, its SACK blocks and the congestion controller
  updated the send state; duplicate ACKs too): `ack` with SEG.ACK, the peer's window in octets
  (scaled), the SACK blocks, and cwnd, ssthresh and the octets in flight (RFC 6675 pipe), the
  last three recorded only when they changed;
- congestion change outside an ACK (an RTO, a tail loss probe's repair): `congestion`;
- RTT or RTO change (after an accepted RTT sample, an RTO back-off): `rtt` with the sample if
  there was one, SRTT, RTTVAR and the RTO;
- state change (inside the one place that changes the state): `state`;
- loss decision (entering or leaving recovery, a timeout, a tail loss probe and its repair, a
  range deemed lost): `loss` with the `LossAction`, the `LossReason` and the range.

Serialisation is text in memory (this module writes no file): `dump_jsonl`/`load_jsonl` and
`dump_csv`/`load_csv`. Both formats start with a header naming the format and its version
(`FORMAT_NAME`, `FORMAT_VERSION`); a reader refuses a newer version with a `TraceFormatError`
that says so, and any malformed line with one that names the line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from smoltcp.stack.tcp.trace_format import dump_csv, dump_jsonl, load_csv, load_jsonl
from smoltcp.stack.tcp.trace_records import (
    FORMAT_NAME,
    FORMAT_VERSION,
    RECORD_KINDS,
    AckProcessed,
    CongestionChanged,
    ConnectionOpened,
    LossAction,
    LossDecision,
    LossReason,
    RttChanged,
    SegmentSent,
    StateChanged,
    TraceFormatError,
    TraceRecord,
)

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "AckProcessed",
    "CallbackRecorder",
    "CongestionChanged",
    "ConnectionOpened",
    "ConnectionTrace",
    "LossAction",
    "LossDecision",
    "LossReason",
    "RingRecorder",
    "RttChanged",
    "SegmentSent",
    "StateChanged",
    "TraceFormatError",
    "TraceRecord",
    "TraceRecorder",
    "dump_csv",
    "dump_jsonl",
    "load_csv",
    "load_jsonl",
]

# The record kinds under their former private name.
_KINDS = RECORD_KINDS


@runtime_checkable
class TraceRecorder(Protocol):
    """What a socket hands its trace records to.

    ``connection`` is called once per connection, when its endpoints are known, and returns the
    ``conn`` number that the connection's records carry. ``record`` must not raise and should be
    quick: it runs inside `Interface.poll`.
    """

    def connection(self, time_us: int, local: str, remote: str) -> int:
        """Record a new connection and return its number."""
        ...

    def record(self, record: TraceRecord) -> None:
        """Take one record."""
        ...


class _Numbering:
    __slots__ = ("_next_conn",)

    def __init__(self) -> None:
        self._next_conn = 0

    def connection(self, time_us: int, local: str, remote: str) -> int:
        """Record a `ConnectionOpened` and return the new connection's number (0, 1, ...)."""
        conn = self._next_conn
        self._next_conn += 1
        self.record(ConnectionOpened(time_us, conn, local, remote))
        return conn

    def record(self, record: TraceRecord) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class RingRecorder(_Numbering):
    """Keep the last ``capacity`` records in memory (older ones are dropped and counted).

    ``capacity`` is a positive int (ValueError otherwise). Memory is bounded by it.
    """

    __slots__ = ("_ring", "dropped")

    def __init__(self, capacity: int = 65536) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool):
            raise TypeError(f"capacity must be an int, not {type(capacity).__name__}")
        if capacity <= 0:
            raise ValueError(f"capacity must be > 0, not {capacity}")
        super().__init__()
        self._ring: deque[TraceRecord] = deque(maxlen=capacity)
        self.dropped = 0
        """How many records were pushed out of the ring by newer ones."""

    @property
    def capacity(self) -> int:
        """The most records kept."""
        return self._ring.maxlen or 0

    def record(self, record: TraceRecord) -> None:
        """Append ``record``, dropping the oldest when the ring is full."""
        ring = self._ring
        if len(ring) == ring.maxlen:
            self.dropped += 1
        ring.append(record)

    def records(self) -> tuple[TraceRecord, ...]:
        """Return the records kept, oldest first."""
        return tuple(self._ring)

    def clear(self) -> None:
        """Forget every record kept (connection numbers keep counting)."""
        self._ring.clear()

    def __len__(self) -> int:
        return len(self._ring)


class CallbackRecorder(_Numbering):
    """Pass every record to ``callback`` as it happens (for streaming to a file or a queue).

    The callback runs inside the stack's poll: it must not raise and should be quick.
    """

    __slots__ = ("_callback",)

    def __init__(self, callback: Callable[[TraceRecord], object]) -> None:
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        super().__init__()
        self._callback = callback

    def record(self, record: TraceRecord) -> None:
        """Call the callback with ``record``."""
        self._callback(record)


class ConnectionTrace:
    """The trace of one connection: what the socket holds while tracing is on.

    It numbers the connection with the recorder (`open`), turns the socket's values into
    records (sequence numbers as plain ints, states as their RFC names), and leaves out
    congestion and RTT records that would repeat the last one, so that the socket can report
    after every ACK without flooding the trace. Each method builds and hands over at most a
    few records; none raises for values of the right types.
    """

    __slots__ = ("_last_cc", "_last_rtt", "conn", "recorder")

    def __init__(self, recorder: TraceRecorder, conn: int) -> None:
        self.recorder = recorder
        self.conn = conn
        self._last_cc: tuple[int, int, int] | None = None
        self._last_rtt: tuple[int | None, int, int] | None = None

    @classmethod
    def open(
        cls, recorder: TraceRecorder, time_us: int, local: object, remote: object
    ) -> ConnectionTrace:
        """Start tracing a connection between ``local`` and ``remote`` (endpoints, as text).

        Raise TypeError unless ``recorder`` is a `TraceRecorder`.
        """
        if not isinstance(recorder, TraceRecorder):
            raise TypeError(f"recorder must be a TraceRecorder, not {type(recorder).__name__}")
        return cls(recorder, recorder.connection(time_us, str(local), str(remote)))

    def segment(
        self,
        time_us: int,
        seq: int,
        length: int,
        flags: str,
        ack: int | None,
        window: int,
        retransmit: LossReason | None = None,
    ) -> None:
        """Record a segment sent (see `SegmentSent`)."""
        self.recorder.record(
            SegmentSent(
                time_us,
                self.conn,
                int(seq),
                length,
                flags,
                None if ack is None else int(ack),
                window,
                retransmit,
            )
        )

    def ack(
        self,
        time_us: int,
        ack: int,
        window: int,
        sack: Iterable[tuple[int, int]],
        cwnd: int,
        ssthresh: int,
        in_flight: int,
    ) -> None:
        """Record an ACK processed and, if they changed, the congestion values after it."""
        blocks = tuple((int(left), int(right)) for left, right in sack)
        self.recorder.record(AckProcessed(time_us, self.conn, int(ack), window, blocks))
        self.congestion(time_us, cwnd, ssthresh, in_flight)

    def congestion(self, time_us: int, cwnd: int, ssthresh: int, in_flight: int) -> None:
        """Record cwnd, ssthresh and the octets in flight, unless all three are unchanged."""
        values = (cwnd, ssthresh, in_flight)
        if values != self._last_cc:
            self._last_cc = values
            self.recorder.record(CongestionChanged(time_us, self.conn, *values))

    def rtt(
        self,
        time_us: int,
        sample_us: int | None,
        srtt_us: int | None,
        rttvar_us: int,
        rto_us: int,
    ) -> None:
        """Record the RTT estimate: always with a sample, else only when it changed."""
        values = (srtt_us, rttvar_us, rto_us)
        if sample_us is not None or values != self._last_rtt:
            self._last_rtt = values
            self.recorder.record(
                RttChanged(time_us, self.conn, sample_us, srtt_us, rttvar_us, rto_us)
            )

    def state(self, time_us: int, old: object, new: object) -> None:
        """Record a change of state (``str`` of each: the RFC 9293 name for a `TcpState`)."""
        self.recorder.record(StateChanged(time_us, self.conn, str(old), str(new)))

    def loss(
        self,
        time_us: int,
        action: LossAction,
        reason: LossReason | None,
        seq: int,
        length: int,
    ) -> None:
        """Record a loss or recovery decision (see `LossDecision`)."""
        self.recorder.record(LossDecision(time_us, self.conn, action, reason, int(seq), length))
