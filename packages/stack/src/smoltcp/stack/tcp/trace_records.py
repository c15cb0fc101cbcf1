"""The records of a TCP connection trace (see `trace`): one frozen dataclass per kind of event,
the enums they use, and the names of the kinds and fields in the serialised forms.
"""

from __future__ import annotations

import dataclasses
import enum

__all__ = [
    "AckProcessed",
    "CongestionChanged",
    "ConnectionOpened",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "LossAction",
    "LossDecision",
    "LossReason",
    "RECORD_FIELDS",
    "RECORD_KINDS",
    "RECORD_TYPES",
    "RttChanged",
    "SegmentSent",
    "StateChanged",
    "TraceFormatError",
    "TraceRecord",
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
    PMTU = "pmtu"
    """Longer than a lowered path MTU lets through, so dropped by a router: resent at the new
    size, not a congestion loss (RFC 1191 6.5, RFC 8201 5.4)."""


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
RECORD_KINDS: dict[type[TraceRecord], str] = {
    ConnectionOpened: "connection",
    SegmentSent: "segment_sent",
    AckProcessed: "ack_processed",
    CongestionChanged: "congestion",
    RttChanged: "rtt",
    StateChanged: "state",
    LossDecision: "loss",
}
RECORD_TYPES = {kind: cls for cls, kind in RECORD_KINDS.items()}
RECORD_FIELDS = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in RECORD_KINDS}
