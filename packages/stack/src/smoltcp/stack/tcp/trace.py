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

import csv
import dataclasses
import enum
import io
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

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

FORMAT_NAME = "smoltcp-tcp-trace"
"""The name in every serialised trace's header."""

FORMAT_VERSION = 1
"""The version this module writes, and the newest it reads."""


class TraceFormatError(ValueError):
    """A serialised trace that cannot be read: its message says why, and where."""


class LossReason(enum.Enum):
    """Why data was deemed lost or resent."""

    RTO = "rto"
    """The retransmission timer expired (RFC 6298 5.5)."""
    FAST_RETRANSMIT = "fast_retransmit"
    """Duplicate ACKs or SACKed octets above a hole (RFC 5681 3.2, RFC 6675 IsLost)."""
    EARLY_RETRANSMIT = "early_retransmit"
    """Duplicate ACKs with few segments outstanding (RFC 5827)."""
    TLP = "tlp"
    """A tail loss probe (RFC 8985 7)."""
    RACK = "rack"
    """Time-based detection: sent before a delivered segment, older than the window (RFC 8985 6)."""


class LossAction(enum.Enum):
    """What the sender decided."""

    MARK_LOST = "mark_lost"
    """A range is deemed lost and will be resent."""
    ENTER_RECOVERY = "enter_recovery"
    """Fast recovery starts (the window was reduced)."""
    EXIT_RECOVERY = "exit_recovery"
    """An ACK covered the recovery point."""
    TIMEOUT = "timeout"
    """The retransmission timer fired: everything outstanding will be resent."""
    LOSS_PROBE = "loss_probe"
    """A tail loss probe was sent."""
    PROBE_REPAIR = "probe_repair"
    """A probe turned out to repair a loss (no D-SACK came back): the window was reduced."""


@dataclasses.dataclass(frozen=True, slots=True)
class ConnectionOpened:
    """A connection the recorder traces from now on; ``local``/``remote`` are ``addr:port``."""

    time_us: int
    conn: int
    local: str
    remote: str


@dataclasses.dataclass(frozen=True, slots=True)
class SegmentSent:
    """A segment handed to the interface.

    ``length`` is the payload in octets (SYN and FIN are in ``flags`` only); ``flags`` holds the
    letters S, F, R, P, A (ACK), E (ECE), C (CWR) in that order; ``ack`` is None without ACK;
    ``window`` is the receive window offered, in octets (scaled); ``retransmit`` says why the
    segment resends data, None for new data.
    """

    time_us: int
    conn: int
    seq: int
    length: int
    flags: str
    ack: int | None
    window: int
    retransmit: LossReason | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class AckProcessed:
    """An acknowledgment from the peer, after it updated the send state.

    ``window`` is the peer's receive window in octets (scaled); ``sack`` holds the SACK blocks
    as (left, right) raw sequence numbers, right exclusive, in the order received.
    """

    time_us: int
    conn: int
    ack: int
    window: int
    sack: tuple[tuple[int, int], ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class CongestionChanged:
    """The congestion window, the slow-start threshold and the octets in flight, in octets."""

    time_us: int
    conn: int
    cwnd: int
    ssthresh: int
    in_flight: int


@dataclasses.dataclass(frozen=True, slots=True)
class RttChanged:
    """The RTT estimate (RFC 6298) in microseconds; ``sample_us`` is None without a sample."""

    time_us: int
    conn: int
    sample_us: int | None
    srtt_us: int | None
    rttvar_us: int
    rto_us: int


@dataclasses.dataclass(frozen=True, slots=True)
class StateChanged:
    """A change of connection state; the states are the RFC 9293 names (``SYN-SENT``)."""

    time_us: int
    conn: int
    old: str
    new: str


@dataclasses.dataclass(frozen=True, slots=True)
class LossDecision:
    """A loss or recovery decision, its reason, and the range ``[seq, seq + length)`` it is about.

    ``reason`` is None only for `LossAction.EXIT_RECOVERY` when the cause is not known.
    """

    time_us: int
    conn: int
    action: LossAction
    reason: LossReason | None
    seq: int
    length: int


TraceRecord = (
    ConnectionOpened
    | SegmentSent
    | AckProcessed
    | CongestionChanged
    | RttChanged
    | StateChanged
    | LossDecision
)
"""Any one record of a trace."""

# The name of each record type in the serialised forms: part of the format, never renamed.
_KINDS: dict[type[TraceRecord], str] = {
    ConnectionOpened: "connection",
    SegmentSent: "segment_sent",
    AckProcessed: "ack_processed",
    CongestionChanged: "congestion",
    RttChanged: "rtt",
    StateChanged: "state",
    LossDecision: "loss",
}
_TYPES = {kind: cls for cls, kind in _KINDS.items()}
_FIELDS = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _KINDS}


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


# -- serialisation ---------------------------------------------------------------------------


def _header() -> dict[str, Any]:
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION}


def _check_header(name: object, version: object, where: str) -> None:
    if name != FORMAT_NAME:
        raise TraceFormatError(f"{where}: not a {FORMAT_NAME} file (no format header)")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TraceFormatError(f"{where}: bad {FORMAT_NAME} version {version!r}")
    if version > FORMAT_VERSION:
        raise TraceFormatError(
            f"{where}: {FORMAT_NAME} version {version} is newer than this reader "
            f"(version {FORMAT_VERSION}); upgrade smoltcp-stack to read it"
        )


def _to_plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [list(block) for block in value]
    return value


def _kind(record: TraceRecord) -> str:
    kind = _KINDS.get(type(record))
    if kind is None:
        raise TypeError(f"record must be a trace record, not {type(record).__name__}")
    return kind


def _as_dict(record: TraceRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": _kind(record)}
    for name in _FIELDS[type(record)]:
        out[name] = _to_plain(getattr(record, name))
    return out


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    return value


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, not {value!r}")
    return value


def _sack(value: Any, name: str) -> tuple[tuple[int, int], ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{name} must be a list of [left, right] pairs, not {value!r}")
    blocks = []
    for block in value:
        if not isinstance(block, list | tuple) or len(block) != 2:
            raise ValueError(f"{name} must be a list of [left, right] pairs, not {value!r}")
        blocks.append((_int(block[0], name), _int(block[1], name)))
    return tuple(blocks)


def _optional(convert: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    return lambda value, name: None if value is None else convert(value, name)


def _enum(cls: type[enum.Enum]) -> Callable[[Any, str], Any]:
    def convert(value: Any, name: str) -> Any:
        try:
            return cls(value)
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise ValueError(f"{name} must be one of {choices}, not {value!r}") from None

    return convert


# How to read each field back (field names mean the same thing in every record type).
_CONVERT: dict[str, Callable[[Any, str], Any]] = {
    "local": _str,
    "remote": _str,
    "flags": _str,
    "old": _str,
    "new": _str,
    "ack": _int,
    "sack": _sack,
    "sample_us": _optional(_int),
    "srtt_us": _optional(_int),
    "retransmit": _optional(_enum(LossReason)),
    "reason": _optional(_enum(LossReason)),
    "action": _enum(LossAction),
}
_OPTIONAL_ACK = _optional(_int)


def _from_dict(data: dict[str, Any]) -> TraceRecord:
    kind = data.get("kind")
    cls = _TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown record kind {kind!r}")
    values = []
    for name in _FIELDS[cls]:
        if name not in data:
            raise ValueError(f"{kind} record without {name!r}")
        convert: Callable[[Any, str], Any] = _CONVERT.get(name, _int)
        if cls is SegmentSent and name == "ack":
            convert = _OPTIONAL_ACK
        values.append(convert(data[name], name))
    return cls(*values)


def dump_jsonl(records: Iterable[TraceRecord]) -> Iterator[str]:
    """Yield the trace as JSON Lines: the header line, then one line per record (with ``\\n``).

    Raise TypeError for an object that is not a trace record.
    """
    yield json.dumps(_header(), separators=(",", ":")) + "\n"
    for record in records:
        yield json.dumps(_as_dict(record), separators=(",", ":")) + "\n"


def load_jsonl(lines: Iterable[str] | str) -> list[TraceRecord]:
    """Return the records of a JSON Lines trace (the lines, or the whole text).

    Blank lines are ignored. Raise `TraceFormatError` naming the line when the header is
    missing or from a newer version, or a line is not a valid record.
    """
    if isinstance(lines, str):
        lines = lines.splitlines()
    records: list[TraceRecord] = []
    header_seen = False
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            raise TraceFormatError(f"line {number}: not JSON") from None
        if not isinstance(data, dict):
            raise TraceFormatError(f"line {number}: not a JSON object")
        if not header_seen:
            _check_header(data.get("format"), data.get("version"), f"line {number}")
            header_seen = True
            continue
        try:
            records.append(_from_dict(data))
        except ValueError as exc:
            raise TraceFormatError(f"line {number}: {exc}") from None
    if not header_seen:
        raise TraceFormatError(f"empty input: not a {FORMAT_NAME} file")
    return records


# The CSV columns: the union of every record type's fields. Part of the format: a new field
# is a new format version.
_CSV_COLUMNS = (
    "kind",
    "time_us",
    "conn",
    "local",
    "remote",
    "seq",
    "length",
    "flags",
    "ack",
    "window",
    "retransmit",
    "sack",
    "cwnd",
    "ssthresh",
    "in_flight",
    "sample_us",
    "srtt_us",
    "rttvar_us",
    "rto_us",
    "old",
    "new",
    "action",
    "reason",
)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return " ".join(f"{left}-{right}" for left, right in value)
    return str(value)


def dump_csv(records: Iterable[TraceRecord]) -> str:
    """Return the trace as CSV text.

    The first row is the header record (``smoltcp-tcp-trace,<version>``), the second the
    column names (every field of every record type), then one row per record with the columns
    it lacks left empty; rows end in CRLF (RFC 4180). SACK blocks are ``left-right`` pairs
    separated by spaces; None is empty. Raise TypeError for an object that is not a trace
    record.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow((FORMAT_NAME, FORMAT_VERSION))
    writer.writerow(_CSV_COLUMNS)
    for record in records:
        kind = _kind(record)
        writer.writerow(
            kind if name == "kind" else _csv_cell(getattr(record, name, None))
            for name in _CSV_COLUMNS
        )
    return out.getvalue()


def _csv_value(cls: type, name: str, text: str) -> Any:
    if name in ("local", "remote", "flags", "old", "new"):
        return text
    if name == "sack":
        if not text:
            return []
        pairs = []
        for item in text.split(" "):
            left, sep, right = item.partition("-")
            if not sep:
                raise ValueError(f"sack must be left-right pairs, not {text!r}")
            pairs.append([_parse_int(left, name), _parse_int(right, name)])
        return pairs
    if text == "":
        return None
    if name in ("retransmit", "reason", "action"):
        return text
    return _parse_int(text, name)


def _parse_int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer, not {text!r}") from None


def load_csv(text: str) -> list[TraceRecord]:
    """Return the records of a CSV trace written by `dump_csv`.

    Raise `TraceFormatError` naming the row when the header is missing or from a newer
    version, the columns are not the expected ones, or a row is not a valid record.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        first = next(reader)
    except StopIteration:
        raise TraceFormatError(f"empty input: not a {FORMAT_NAME} file") from None
    except csv.Error as exc:
        raise TraceFormatError(f"row 1: {exc}") from None
    version: object = None
    if len(first) == 2:
        try:
            version = int(first[1])
        except ValueError:
            version = first[1]
    _check_header(first[0] if first else None, version, "row 1")
    try:
        columns = next(reader, None)
        if columns is None or tuple(columns) != _CSV_COLUMNS:
            raise TraceFormatError("row 2: not the column names of this trace version")
        records: list[TraceRecord] = []
        for number, row in enumerate(reader, 3):
            if len(row) != len(_CSV_COLUMNS):
                raise TraceFormatError(f"row {number}: {len(row)} cells, not {len(_CSV_COLUMNS)}")
            cls = _TYPES.get(row[0])
            if cls is None:
                raise TraceFormatError(f"row {number}: unknown record kind {row[0]!r}")
            data: dict[str, Any] = {"kind": row[0]}
            try:
                for name, cell in zip(_CSV_COLUMNS[1:], row[1:], strict=True):
                    if name in _FIELDS[cls]:
                        data[name] = _csv_value(cls, name, cell)
                records.append(_from_dict(data))
            except ValueError as exc:
                raise TraceFormatError(f"row {number}: {exc}") from None
    except csv.Error as exc:
        raise TraceFormatError(f"row {reader.line_num}: {exc}") from None
    return records
