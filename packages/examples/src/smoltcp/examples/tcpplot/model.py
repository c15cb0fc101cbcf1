"""What tcpplot draws: one `Flow` per connection and direction, whatever the source.

A flow is the data one end sends and what the other end acknowledges. Sequence numbers are
relative to the sender's initial sequence number (the SYN's, else the first seen), as
Wireshark shows them: the SYN is 0 and the first octet of data 1. Times are seconds since the
start of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "NEW",
    "OUT_OF_ORDER",
    "RETRANSMISSION",
    "Connection",
    "Flow",
    "Segment",
    "goodput",
    "throughput",
]

NEW = "new"
RETRANSMISSION = "retransmission"
OUT_OF_ORDER = "out-of-order"


class Segment(NamedTuple):
    """A segment that carries data (or SYN/FIN): ``seq`` relative, ``length`` in octets."""

    frame: int
    """Frame number in the capture (from 1), or the record number in a trace."""
    time: float
    seq: int
    length: int
    kind: str
    """`NEW`, `RETRANSMISSION` or `OUT_OF_ORDER`."""
    cause: str = ""
    """Why it was resent, when known (``fast_retransmit``, ``rto``, ``rack``, ``tlp``)."""


@dataclass
class Flow:
    """One direction of a connection: ``sender`` sends data to ``receiver`` (``addr:port``)."""

    sender: str
    receiver: str
    segments: list[Segment] = field(default_factory=list)
    acks: list[tuple[float, int]] = field(default_factory=list)
    """(time, cumulative ACK) from the receiver."""
    windows: list[tuple[float, int]] = field(default_factory=list)
    """(time, ACK + receive window): the right edge the sender may send up to."""
    sacks: list[tuple[float, int, int]] = field(default_factory=list)
    """(time, left, right) SACK blocks from the receiver."""
    rtt_ack: list[tuple[float, float, int]] = field(default_factory=list)
    """(time, RTT in seconds, frame of the ACK): ACK timing of segments sent once."""
    rtt_ts: list[tuple[float, float]] = field(default_factory=list)
    """(time, RTT in seconds) from the timestamp echo (RFC 7323) of ACKs of new data."""
    rtt_stack: list[tuple[float, float]] = field(default_factory=list)
    """(time, RTT in seconds): the samples the stack took (from a trace)."""
    srtt: list[tuple[float, float]] = field(default_factory=list)
    rto: list[tuple[float, float]] = field(default_factory=list)
    cwnd: list[tuple[float, int]] = field(default_factory=list)
    ssthresh: list[tuple[float, int]] = field(default_factory=list)
    in_flight: list[tuple[float, int]] = field(default_factory=list)
    in_flight_estimated: bool = True
    """True when ``in_flight`` is estimated from a capture, False when the stack recorded it."""
    losses: list[tuple[float, str, str]] = field(default_factory=list)
    """(time, action, reason) loss and recovery decisions (from a trace)."""
    states: list[tuple[float, str]] = field(default_factory=list)
    dup_acks: int = 0

    @property
    def data_octets(self) -> int:
        """Octets of payload sent, retransmissions included."""
        return sum(s.length for s in self.segments)

    @property
    def highest(self) -> int:
        """The highest relative sequence number sent plus one (0 without data)."""
        return max((s.seq + s.length for s in self.segments), default=0)

    @property
    def retransmissions(self) -> list[Segment]:
        """The segments that resent data."""
        return [s for s in self.segments if s.kind == RETRANSMISSION]


@dataclass
class Connection:
    """A TCP connection: its number, its two ends and its two flows (``a`` opened it)."""

    number: int
    a: str
    b: str
    forward: Flow
    """Data from ``a`` to ``b``."""
    reverse: Flow
    """Data from ``b`` to ``a``."""
    start: float = 0.0
    end: float = 0.0
    frames: int = 0

    @property
    def flows(self) -> tuple[Flow, Flow]:
        """Both directions, ``a`` to ``b`` first."""
        return (self.forward, self.reverse)

    @property
    def data_octets(self) -> int:
        """Payload octets sent in both directions."""
        return self.forward.data_octets + self.reverse.data_octets


def _bins(start: float, end: float, width: float) -> int:
    return max(1, int((end - start) / width) + 1)


def throughput(flow: Flow, width: float) -> list[tuple[float, float]]:
    """Return (bin start, bits per second) of the payload sent, retransmissions included.

    ``width`` is the bin width in seconds (> 0); bins run from the first segment to the last.
    """
    if width <= 0:
        raise ValueError(f"width must be > 0, not {width}")
    if not flow.segments:
        return []
    start = flow.segments[0].time
    octets = [0] * _bins(start, flow.segments[-1].time, width)
    for s in flow.segments:
        octets[int((s.time - start) / width)] += s.length
    return [(start + i * width, n * 8 / width) for i, n in enumerate(octets)]


def goodput(flow: Flow, width: float) -> list[tuple[float, float]]:
    """Return (bin start, bits per second) of the data newly acknowledged (ACK advances).

    ``width`` is the bin width in seconds (> 0); bins run from the first ACK to the last.
    """
    if width <= 0:
        raise ValueError(f"width must be > 0, not {width}")
    if not flow.acks:
        return []
    start = flow.acks[0][0]
    octets = [0] * _bins(start, flow.acks[-1][0], width)
    highest = flow.acks[0][1]
    for t, ack in flow.acks:
        if ack > highest:
            octets[int((t - start) / width)] += ack - highest
            highest = ack
    return [(start + i * width, n * 8 / width) for i, n in enumerate(octets)]
