"""The receive side of a connection: reassembly, the ACK policy and the window we offer.

`Receiver` places arriving octets in the receive ring (out-of-order ones through the
`Assembler`), decides when to acknowledge them (at once, every second full-sized segment, or
after the ACK delay: RFC 9293 3.8.6.3, RFC 5681 4.2), builds the SACK blocks (RFC 2018) and
D-SACK reports (RFC 2883) an ACK carries, and computes the window to advertise with
receiver-side SWS avoidance (RFC 9293 3.8.6.2.2).
"""

from __future__ import annotations

import logging

from smoltcp.stack.storage import Assembler, TooManyHoles
from smoltcp.stack.tcp.seq import SEQ_HALF, SEQ_MASK
from smoltcp.stack.tcp.seq import int_add as _int_add
from smoltcp.stack.tcp.seq import int_new as _int_new
from smoltcp.stack.tcp.seq import int_sub as _int_sub
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.tcp.tcb import Part
from smoltcp.stack.time import Duration
from smoltcp.wire import TcpSeqNumber

__all__ = ["DEFAULT_ACK_DELAY", "DEFAULT_MAX_HOLES", "Receiver", "window_left"]

_log = logging.getLogger("smoltcp.stack.tcp")

DEFAULT_ACK_DELAY = Duration.from_millis(10)
# Out-of-order ranges kept: with fewer, a burst of drops makes the receiver discard data it
# got and the sender resend it (measured: 102 of 134 retransmissions wasted with 4). Each
# range costs two ints in the Assembler.
DEFAULT_MAX_HOLES = 32

# The states in which the peer may still send data (its FIN not yet received).
_RECEIVING = frozenset((TcpState.ESTABLISHED, TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2))


def window_left(rcv_adv: TcpSeqNumber, rcv_nxt: TcpSeqNumber) -> int:
    """Return RCV.WND, the octets left of the window last advertised (its right edge
    ``rcv_adv``) past RCV.NXT: 0 once RCV.NXT has reached or passed that edge."""
    left = _int_sub(rcv_adv, rcv_nxt) & SEQ_MASK
    # Beyond half the sequence space: the edge lies behind RCV.NXT (RFC 1982 order).
    return 0 if left > SEQ_HALF else left


class Receiver(Part):
    """The receive side of one connection (see the module docstring)."""

    __slots__ = (
        "ack_at",
        "ack_delay",
        "ack_now",
        "ack_stretch",
        "assembler",
        "dsack",
        "last_ooo",
        "rcv_fin",
        "rcv_fin_seq",
        "segs_unacked",
        "win_update",
    )

    def __init__(self) -> None:
        # Configuration (kept across connections).
        self.ack_delay: int | None = DEFAULT_ACK_DELAY.micros
        self.ack_stretch: int | None = None
        self.assembler = Assembler(DEFAULT_MAX_HOLES)
        self.reset()

    def reset(self) -> None:
        """Forget the connection's receive state (not the configuration)."""
        self.ack_now = False
        self.ack_at: int | None = None
        self.segs_unacked = 0
        self.win_update = False
        self.rcv_fin = False
        self.rcv_fin_seq: TcpSeqNumber | None = None
        self.last_ooo: tuple[int, int] | None = None
        # A duplicate just received, to report first in the next ACK (D-SACK, RFC 2883).
        self.dsack: tuple[int, int] | None = None
        self.assembler.clear()

    def window_nearly_closed(self) -> bool:
        """Return whether less than min(buffer / 2, MSS) is free (the window SWS avoidance
        would not reopen, RFC 9293 3.8.6.2.2).

        The every-second-segment ACK then waits (at most the ACK delay) for the application
        to read, as Linux's does when it could not offer a window as large as the last one
        (``__tcp_ack_snd_check``): one ACK with the reopened window instead of a zero-window
        ACK and a window update moments later. Were that update lost, the sender would sit
        in its persist timer's backoff.
        """
        rx = self.tcb.rx
        # `sws_threshold`, inlined: this runs for nearly every segment received.
        threshold = rx.capacity >> 1
        mss = self.tcb.rcv_mss
        return rx.window() < (threshold if threshold < mss else mss)

    def receive_data(
        self, t: int, seq: TcpSeqNumber, offset: int, payload: bytes | memoryview
    ) -> bool:
        """Place the octets in the receive buffer; decide how soon to acknowledge them.

        ``offset`` is SEG.SEQ - RCV.NXT (the caller's acceptability test computed it).
        Return True when the segment was not the next in order (out of order, duplicate or
        beyond the window): the caller acknowledges those at once.
        """
        tcb = self.tcb
        if offset < 0:
            # Partly old: drop what we already have (3.10.7.4 seventh check, trimming).
            self.note_duplicate(seq, -offset)
            payload = payload[-offset:]
            offset = 0
        rx = tcb.rx
        size = len(payload)
        # Trim what lies beyond the free space (octets past the window are not kept).
        room = rx.window() - offset
        if size > room:
            size = room if room > 0 else 0
            payload = payload[:size]
        if size == 0:
            self.ack_now = True
            self.sock._wake()
            return True
        asm = self.assembler
        had_holes = not asm.is_empty()
        if offset == 0:
            if had_holes:
                rx.write_unallocated(0, payload)
                count = asm.add_then_remove_front(0, size)
                rx.enqueue_unallocated(count)
            else:
                # The common case, in order with no holes: straight into the ring.
                count = rx.enqueue_slice(payload)
            # RCV.NXT + count: `TcpSeqNumber`'s ``+``, without its Python-level call.
            tcb.rcv_nxt = _int_new(TcpSeqNumber, _int_add(tcb.rcv_nxt, count) & SEQ_MASK)
            tcb.n_bytes_in += count
            if had_holes:
                # RFC 5681 4.2: ACK at once when a segment fills (part of) a gap.
                self.ack_now = True
                if asm.is_empty():
                    self.last_ooo = None
            if self.rcv_fin_seq is not None and self.rcv_fin_seq == tcb.rcv_nxt:
                # The FIN waited beyond a hole this segment filled: ACK at once (RFC 5681 4.2).
                self.ack_now = True
                self.arr.on_fin(t)
                return had_holes
        else:
            try:
                asm.add(offset, size)
            except TooManyHoles:
                if _log.isEnabledFor(logging.DEBUG):
                    _log.debug("tcp %s: too many holes, segment dropped", tcb.local)
                self.ack_now = True
                self.sock._wake()
                return True
            rx.write_unallocated(offset, payload)
            self.last_ooo = (int(seq), (int(seq) + size) & SEQ_MASK)
            # RFC 5681 4.2: out-of-order data is acknowledged at once (a dup ACK with SACK).
            self.ack_now = True
            self.sock._wake()
            return True
        self.segs_unacked += 1
        if (
            self.ack_now
            or self.ack_delay is None
            or (self.segs_unacked >= 2 and not self.window_nearly_closed())
        ):
            # RFC 9293 3.8.6.3 / RFC 5681 4.2: ACK at least every second full segment.
            self.ack_now = True
            self.sock._wake()
        elif self.ack_at is None:
            self.ack_at = t + self.ack_delay
            self.sock._wake()
        return had_holes

    def note_duplicate(self, seq: TcpSeqNumber, size: int) -> None:
        """Octets [seq, seq + size) arrived again, at most up to RCV.NXT: report them first in
        the next ACK (D-SACK, RFC 2883 4), so the sender learns its retransmission was
        spurious."""
        tcb = self.tcb
        if tcb.sack_ok:
            end = seq + size
            if end > tcb.rcv_nxt:
                end = tcb.rcv_nxt
            self.dsack = (int(seq), int(end))

    def sack_count(self, data: bool, extra: int = 0) -> int:
        """Return how many SACK blocks a segment carries (RFC 2018 3: 3 with timestamps):
        one per range held out of order, and ``extra`` more (a D-SACK).

        No more than fit our IP MTU, and on a data segment no more than would take half its
        payload (both matter only for tiny MTUs).
        """
        tcb = self.tcb
        count = len(self.assembler.ranges()) + extra
        limit = 3 if tcb.ts_ok else 4
        # Any segment: the options must fit in what our IP MTU leaves (tiny MTUs).
        room = (tcb.rcv_mss - (16 if tcb.ts_ok else 4)) >> 3
        if room < limit:
            limit = room if room > 0 else 0
        if data:
            room = ((tcb.snd_mss >> 1) - 4) >> 3
            if room < limit:
                limit = room if room > 0 else 0
        return count if count < limit else limit

    def after_ack_sent(self, window: int) -> None:
        tcb = self.tcb
        self.ack_now = False
        self.ack_at = None
        self.segs_unacked = 0
        self.win_update = False
        tcb.last_ack_sent = rcv_nxt = tcb.rcv_nxt
        # RCV.NXT + window: `TcpSeqNumber`'s ``+`` without its Python-level call (every
        # segment sent comes here).
        tcb.rcv_adv = _int_new(TcpSeqNumber, _int_add(rcv_nxt, window) & SEQ_MASK)

    def advertise_window(self) -> int:
        """Return the receive window to offer (scaled units times the shift), SWS-avoiding.

        RFC 9293 3.8.6.2.2: the right edge only moves when it can move by at least
        min(buffer / 2, MSS); it never moves left (the window is never shrunk).
        """
        tcb = self.tcb
        rx = tcb.rx
        avail = rx.window()
        shift = tcb.rcv_shift
        limit = 0xFFFF << shift
        if avail > limit:
            avail = limit
        current = window_left(tcb.rcv_adv, tcb.rcv_nxt)
        if avail > current:
            threshold = rx.capacity >> 1
            if threshold > tcb.rcv_mss:
                threshold = tcb.rcv_mss
            if avail - current < threshold:
                avail = current
        # Round down to what the scaled field can express (never up: that would shrink later).
        return (avail >> shift) << shift

    def sws_threshold(self) -> int:
        """Return min(buffer / 2, MSS): the least window increase worth offering (RFC 9293
        3.8.6.2.2, receiver SWS avoidance). `_advertise_window` inlines it."""
        tcb = self.tcb
        threshold = tcb.rx.capacity >> 1
        return threshold if threshold < tcb.rcv_mss else tcb.rcv_mss

    def after_read(self) -> None:
        """The application read: offer a window update if it doubles the window, and send
        an ACK held back for a nearly closed window (`_window_nearly_closed`) now."""
        tcb = self.tcb
        if tcb.state not in _RECEIVING:
            return
        current = window_left(tcb.rcv_adv, tcb.rcv_nxt)
        avail = tcb.rx.window()
        # The doubling test first: a bulk reader's window rarely doubles, so the threshold
        # is seldom needed.
        if (avail >= 2 * current and avail - current >= self.sws_threshold()) or (
            self.segs_unacked >= 2 and self.ack_at is not None
        ):
            self.win_update = True
            self.sock._wake()

    def sack_blocks(self, limit: int) -> tuple[tuple[int, int], ...]:
        """Return up to ``limit`` SACK blocks, the newest first (RFC 2018 4)."""
        tcb = self.tcb
        if limit <= 0:
            return ()
        rcv_nxt = int(tcb.rcv_nxt)
        blocks = [
            ((rcv_nxt + a) & SEQ_MASK, (rcv_nxt + b) & SEQ_MASK) for a, b in self.assembler.ranges()
        ]
        last = self.last_ooo
        if last is not None:
            for i, (left, right) in enumerate(blocks):
                if (last[0] - left) & SEQ_MASK < (right - left) & SEQ_MASK:
                    if i:
                        blocks.insert(0, blocks.pop(i))
                    break
        return tuple(blocks[:limit])
