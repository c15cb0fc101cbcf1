"""Generic receive offload in software: consecutive in-order TCP segments of one connection,
received in one poll, reach their socket as one segment.

The receive-side twin of `smoltcp.stack.iface.gso`, with Linux's GRO rules
(``tcp_gro_receive``): a segment joins the held aggregate only if it is the next in sequence on
the same connection, carries data and no control flag but ACK and PSH, has the same
acknowledgment number, window and options (timestamps included: a new TSval starts a new
aggregate) and no other option, and the aggregate's earlier segments were all of its first
segment's size (a shorter one ends it). PSH ends an aggregate after joining it; so does 64 KiB
of payload; a segment of more than half of that is never held (nothing could join it). Every
segment is still parsed and its checksum verified on its own; only the
socket's work (and so its ACK, one per aggregate as with Linux) is shared. The payloads are
copied into one buffer, which the socket copies from before the next aggregate starts.
"""

from __future__ import annotations

from smoltcp.stack.socket.base import Socket
from smoltcp.stack.tcp.seq import int_add as _int_add
from smoltcp.wire import IpProtocol, Ipv4Address, TcpControl, TcpRepr, TcpSeqNumber
from smoltcp.wire.ip import IpRepr, ip_repr
from smoltcp.wire.layout import ipv4 as _ipv4_layout
from smoltcp.wire.layout import tcp as _tcp_layout

__all__ = ["Aggregator", "can_start"]

_NONE = TcpControl.NONE
_PSH = TcpControl.PSH
# The most payload one aggregate carries (as an IPv4 packet it would still fit 65535 octets).
CAPACITY = (1 << 16) - 1 - _ipv4_layout.HEADER_LEN - _tcp_layout.MAX_HEADER_LEN
_HALF = CAPACITY // 2

# What is held while nothing is (placeholders that keep no received octets alive).
_NO_SEG = TcpRepr(0, 0, _NONE, TcpSeqNumber(0), None, 0)
_NO_IPR = ip_repr(Ipv4Address(0), Ipv4Address(0), IpProtocol.TCP, 0, 0)


def can_start(seg: TcpRepr) -> bool:
    """Return whether ``seg`` may start or join an aggregate (before the sequence checks).

    A segment of more than half of `CAPACITY` may not: no second one of its size could join
    it, so holding it would only cost a copy (the kernel behind a device with offloads hands
    over 64 KiB segments, already aggregated). It goes to its socket straight from the
    device's buffer.
    """
    control = seg.control
    n = len(seg.payload)
    # The size first: it alone turns away the 64 KiB segments of a device with offloads.
    return (
        0 < n <= _HALF
        and (control is _NONE or control is _PSH)
        and seg.ack_number is not None
        and seg.max_seg_size is None
        and seg.window_scale is None
        and not seg.sack_permitted
        and not seg.sack_ranges
        and not seg.unknown_options
        and not (seg.ece or seg.cwr or seg.ns or seg.psh)
    )


class Aggregator:
    """At most one aggregate held: the socket it is for, and its segments' payloads."""

    __slots__ = ("_buf", "_first", "_ipr", "_length", "_next", "_push", "_short", "_size", "sock")

    def __init__(self) -> None:
        # Allocated by the first `start`: an interface that never aggregates (an idle host of
        # many) does not carry 64 KiB for it. A view, so that copying a payload into it is
        # one copy (into a bytearray's slice, CPython first copies any other buffer).
        self._buf = memoryview(bytearray())
        self.sock: Socket | None = None  # None while nothing is held
        self._ipr: IpRepr = _NO_IPR
        self._first: TcpRepr = _NO_SEG
        self._length = 0
        self._next = 0
        self._size = 0
        self._short = False
        self._push = False

    def start(self, sock: Socket, ipr: IpRepr, seg: TcpRepr) -> None:
        """Hold ``seg`` (which `can_start`) for ``sock``; nothing may be held."""
        payload = seg.payload
        n = len(payload)
        if not self._buf:
            self._buf = memoryview(bytearray(CAPACITY))
        self._buf[:n] = payload
        self.sock = sock
        self._ipr = ipr
        self._first = seg
        self._length = n
        self._size = n
        # (int's own addition: `TcpSeqNumber`'s ``+`` would cost a Python call per segment.)
        self._next = _int_add(seg.seq_number, n) & 0xFFFFFFFF
        self._short = False
        self._push = seg.control is _PSH

    def join(self, sock: Socket, seg: TcpRepr) -> bool:
        """Append ``seg`` to the held aggregate if the rules allow; return whether it did."""
        first = self._first
        payload = seg.payload
        n = len(payload)
        length = self._length
        if (
            sock is not self.sock
            or self._short
            or self._push
            or seg.seq_number != self._next
            or n > self._size
            or length + n > CAPACITY
            or seg.ack_number != first.ack_number
            or seg.window_len != first.window_len
            or seg.timestamp != first.timestamp
            or not can_start(seg)
        ):
            return False
        self._buf[length : length + n] = payload
        self._length = length + n
        self._next = (self._next + n) & 0xFFFFFFFF
        self._short = n < self._size
        self._push = seg.control is _PSH
        return True

    @property
    def complete(self) -> bool:
        """Whether nothing more may join (PSH came, or the buffer is full)."""
        return self._push or self._length + self._size > CAPACITY

    def take(self) -> tuple[Socket, IpRepr, TcpRepr]:
        """Return (socket, IP representation, segment) of the held aggregate and hold nothing.

        The segment's payload is a view of the aggregator's buffer: valid until the next
        `start`. Raises ValueError when nothing is held.
        """
        sock, first, length = self.sock, self._first, self._length
        if sock is None:
            raise ValueError("no aggregate is held")
        self.sock = None
        # Always the copy: the first segment's own payload was a view the device has reused.
        seg = first.with_payload(_PSH if self._push else _NONE, self._buf[:length])
        ipr = self._ipr
        if ipr.payload_len != seg.buffer_len():
            ipr = ipr._replace(payload_len=seg.buffer_len())
        self._first = _NO_SEG
        self._ipr = _NO_IPR
        return sock, ipr, seg
