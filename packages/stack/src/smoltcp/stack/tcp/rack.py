"""RACK (RFC 8985 section 6): loss detection by time, not by counting duplicate ACKs.

The sender remembers when it sent each segment (new data and retransmissions, in transmit
order). Once a segment sent *later* than a given one has been delivered (acknowledged
cumulatively or selectively), the earlier one is deemed lost when more than the latest round
trip time plus a reordering window (a quarter of the least RTT seen, widened by D-SACKs) has
passed since it was sent; before that, a timer is armed for the moment it would be. RACK's
strength is the case the duplicate-ACK rules (RFC 5681, RFC 6675) cannot see: a
retransmission lost again, which otherwise waits for the retransmission timeout.

Here RACK complements RFC 6675 rather than replacing it: the scoreboard still finds first
losses by SACK count, and RACK marks what the scoreboard cannot (its `lost` ranges, which the
socket retransmits first). A segment partly SACKed is split: the SACKed part is delivered, the
rest keeps the send time, so a lost piece of a super-segment (GSO) is found like any segment.
Sequence numbers are raw 32-bit ints; times are integer microseconds, passed in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from smoltcp.stack.tcp.seq import SEQ_HALF, SEQ_MASK, seq_before

__all__ = ["Rack"]

# Entry fields: [start, end) sequence numbers, send time, retransmission, delivered, lost,
# the payload of each wire segment a super-segment was cut into (0: one segment), the TCP
# option octets each carried.
_START, _END, _TIME, _RETX, _DELIVERED, _LOST, _PIECE, _OPTIONS = range(8)


# One sent range: [start, end, send time, ...] (ints; see the field indices above).
_Entry = list[int]


def _split(entry: _Entry, blocks: Sequence[tuple[int, int]]) -> list[tuple[_Entry, bool]] | None:
    """Return ``entry`` cut where the SACK ``blocks`` cover it, in sequence order, each part
    with whether a block covers it; or None when no block touches it."""
    start = entry[_START]
    length = (entry[_END] - start) & SEQ_MASK
    covered = []
    for left, right in blocks:
        lo = (int(left) - start) & SEQ_MASK
        hi = (int(right) - start) & SEQ_MASK
        if lo >= SEQ_HALF:  # the block starts below the entry
            lo = 0
        if hi >= SEQ_HALF or hi <= lo:
            continue
        if hi > length:
            hi = length
        if lo < hi:
            covered.append((lo, hi))
    if not covered:
        return None
    covered.sort()
    parts = []
    at = 0
    for lo, hi in covered:
        if hi <= at:
            continue
        if lo > at:
            parts.append(
                ([(start + at) & SEQ_MASK, (start + lo) & SEQ_MASK, *entry[_TIME:]], False)
            )
            at = lo
        parts.append(([(start + at) & SEQ_MASK, (start + hi) & SEQ_MASK, *entry[_TIME:]], True))
        at = hi
    if at < length:
        parts.append(([(start + at) & SEQ_MASK, entry[_END], *entry[_TIME:]], False))
    return parts


class Rack:
    """The sent segments of one connection, and RACK's view of what was delivered."""

    __slots__ = (
        "_end",
        "_min_rtt",
        "_mult",
        "_persist",
        "_reordered",
        "_retx",
        "_rtt",
        "_sent",
        "_xmit",
        "lost",
    )

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new connection)."""
        self._sent: deque[_Entry] = deque()  # entries in transmit order (see the fields above)
        self._retx = 0  # how many entries are retransmissions (they break seq order)
        self._xmit: int | None = None  # RACK.xmit_ts: the latest send time delivered
        self._end = 0  # RACK.end_seq: that segment's end
        self._rtt = 0  # RACK.rtt: its round trip time
        self._min_rtt: int | None = None
        self._reordered = False  # a segment was delivered after one sent later than it
        self._mult = 1  # RACK.reo_wnd_mult: grows with each D-SACK
        self._persist = 0  # RACK.reo_wnd_persist: recoveries left before it falls back to 1
        # [start, end) ranges deemed lost and not yet sent again, in the order found; a
        # third field, 1, marks a path MTU loss (`mark_too_big`).
        self.lost: list[list[int]] = []

    @property
    def reordering_window(self) -> int:
        """How long past RACK.rtt a segment may still arrive, in microseconds (RFC 8985 6.2
        step 4): a quarter of the least RTT measured, times RACK.reo_wnd_mult (one more for
        each D-SACK, that is each spurious retransmission, up to 16), and at least the whole
        least RTT once the network was seen to reorder. (The RFC caps it at the smoothed RTT;
        a path that delays some segments by more than that would otherwise keep resending
        them in vain.)"""
        if self._min_rtt is None:
            return 0
        window = (self._min_rtt >> 2) * self._mult
        if self._reordered and window < self._min_rtt:
            window = self._min_rtt
        return window

    @property
    def reordered(self) -> bool:
        """Whether a segment was delivered after one sent later than it (reordering seen)."""
        return self._reordered

    @property
    def lost_bytes(self) -> int:
        """The octets of the ranges deemed lost and not yet sent again."""
        return sum((r[1] - r[0]) & SEQ_MASK for r in self.lost)

    def on_dsack(self) -> None:
        """An ACK reported a duplicate (D-SACK, RFC 2883): a retransmission was spurious, so
        widen the reordering window (RFC 8985 6.2 step 4)."""
        if self._mult < 16:
            self._mult += 1
        self._persist = 16

    def on_recovery_end(self) -> None:
        """A loss recovery ended: after 16 of them with no D-SACK since, the reordering
        window falls back to its base (RFC 8985 6.2 step 4, RACK.reo_wnd_persist)."""
        if self._persist:
            self._persist -= 1
            if not self._persist:
                self._mult = 1

    # -- input ----------------------------------------------------------------------------

    def on_send(
        self,
        start: int,
        end: int,
        t: int,
        retransmission: bool,
        piece: int = 0,
        options: int = 0,
    ) -> None:
        """Record that [start, end) was sent at ``t`` (a retransmission replaces its range).

        ``piece`` is the payload of each wire segment when [start, end) is a super-segment
        the interface or device cuts (GSO, TSO), else 0; ``options`` the octets of TCP
        options each segment carries (timestamps, SACK blocks). Both only matter to
        `mark_too_big`.
        """
        start &= SEQ_MASK
        end &= SEQ_MASK
        if retransmission:
            self._forget(start, end)
            self._retx += 1
        self._sent.append([start, end, t, retransmission, False, False, piece, options])

    def _forget(self, start: int, end: int) -> None:
        """Take [start, end) out of the entries and lost ranges that hold it (sent again)."""
        sent = self._sent
        # Usually one entry overlaps: find them in one pass (seq_before inlined), then replace
        # each in place, from the last so that the earlier positions hold.
        hits = [
            i
            for i, entry in enumerate(sent)
            if 0 < ((end - entry[_START]) & SEQ_MASK) < SEQ_HALF
            and 0 < ((entry[_END] - start) & SEQ_MASK) < SEQ_HALF
        ]
        for i in reversed(hits):
            entry = sent[i]
            s, e = entry[_START], entry[_END]
            del sent[i]
            if entry[_RETX]:
                self._retx -= 1
            # What is left of the entry keeps its send time and marks.
            if seq_before(end, e):
                sent.insert(i, [end, e, *entry[_TIME:]])
                self._retx += entry[_RETX]
            if seq_before(s, start):
                sent.insert(i, [s, start, *entry[_TIME:]])
                self._retx += entry[_RETX]
        lost: list[list[int]] = []
        for r in self.lost:
            s, e = r[0], r[1]
            if not (seq_before(s, end) and seq_before(start, e)):
                lost.append(r)
                continue
            # What is left keeps its marks (a path MTU loss stays one).
            if seq_before(s, start):
                lost.append([s, start, *r[2:]])
            if seq_before(end, e):
                lost.append([end, e, *r[2:]])
        self.lost = lost

    def on_ack(self, una: int, blocks: Sequence[tuple[int, int]], t: int) -> bool:
        """Take an ACK of ``una`` with the SACKed ``blocks`` (raw, right exclusive) at ``t``.

        Return whether a segment was newly delivered (then `detect` has work).
        """
        una &= SEQ_MASK
        sent = self._sent
        delivered = False
        # The cumulatively acknowledged entries lead the list (but for retransmissions, found
        # below): of those, the latest sent one is the one RACK keeps (steps 2-3).
        newest = None
        xmit = self._xmit
        while sent and not seq_before(una, sent[0][_END]):
            entry = sent.popleft()
            if entry[_RETX]:
                self._retx -= 1
            if not entry[_DELIVERED]:
                if not entry[_RETX] and xmit is not None and entry[_TIME] < xmit:
                    self._reordered = True  # step 1
                newest = entry
        if newest is not None:
            delivered = self._deliver(newest, t)
        if sent:
            # A super-segment acknowledged piece by piece straddles SND.UNA: what is left of
            # it starts there (a loss found in it must not reach below SND.UNA).
            head = sent[0]
            if 0 < ((una - head[_START]) & SEQ_MASK) < SEQ_HALF:
                head[_START] = una
        if self._retx or blocks:
            # Most entries are untouched by the blocks: `_split`'s test, inlined over the
            # blocks' raw edges (computed once per ACK), turns them away without a call.
            edges = [(int(left) & SEQ_MASK, int(right) & SEQ_MASK) for left, right in blocks]
            # When every block lies in the half space above SND.UNA (a well-formed ACK), an
            # entry also there is touched only if it overlaps [bottom, top): entries wholly
            # below the lowest block or above the highest (most holes, the new data in
            # flight) are turned away with two comparisons.
            bottom = top = -1
            if edges:
                rel = [((left - una) & SEQ_MASK, (right - una) & SEQ_MASK) for left, right in edges]
                if all(lo < hi < SEQ_HALF for lo, hi in rel):
                    bottom = min(lo for lo, _ in rel)
                    top = max(hi for _, hi in rel)
            # A delivered original (not a retransmission) is inert from then on: nothing
            # reads its times or marks, it only waits for SND.UNA to pass it. So a run of them
            # becomes one entry (`run`, the last kept), and an ACK after a long SACKed stretch
            # walks a few entries instead of one per segment.
            kept: deque[_Entry] = deque()
            run: _Entry | None = None
            for entry in sent:
                end = entry[_END]
                if not 0 < ((end - una) & SEQ_MASK) < SEQ_HALF:
                    delivered = self._deliver(entry, t) or delivered
                    self._retx -= entry[_RETX]
                    continue
                if 0 < ((una - entry[_START]) & SEQ_MASK) < SEQ_HALF:
                    entry[_START] = una  # straddles SND.UNA (a retransmission, partly ACKed)
                if entry[_DELIVERED]:
                    if entry[_RETX]:
                        run = None
                    elif run is not None and run[_END] == entry[_START]:
                        # Only a contiguous run: it must not span octets never delivered.
                        run[_END] = end
                        continue
                    else:
                        run = entry
                    kept.append(entry)
                    continue
                if edges:
                    start = entry[_START]
                    if top >= 0:
                        s_rel = (start - una) & SEQ_MASK
                        e_rel = (end - una) & SEQ_MASK
                        if s_rel < e_rel < SEQ_HALF and (s_rel >= top or e_rel <= bottom):
                            kept.append(entry)
                            run = None
                            continue
                    length = (end - start) & SEQ_MASK
                    for left, right in edges:
                        hi = (right - start) & SEQ_MASK
                        if 0 < hi < SEQ_HALF:
                            lo = (left - start) & SEQ_MASK
                            if lo >= SEQ_HALF:
                                lo = 0
                            if lo < hi and lo < length:
                                break
                    else:
                        kept.append(entry)
                        run = None
                        continue
                    parts = _split(entry, edges)
                    if parts is not None:
                        # What arrived is delivered; the rest keeps waiting, with the same
                        # send time (so a super-segment's lost piece is found too).
                        for part, sacked in parts:
                            if sacked:
                                delivered = self._deliver(part, t) or delivered
                                if not part[_RETX]:
                                    if run is not None and run[_END] == part[_START]:
                                        run[_END] = part[_END]
                                        continue
                                    kept.append(part)
                                    run = part
                                    continue
                            kept.append(part)
                            run = None
                        self._retx += entry[_RETX] * (len(parts) - 1)
                        continue
                kept.append(entry)
                run = None
            self._sent = sent = kept
        if self.lost:
            self.lost = [r for r in self.lost if seq_before(una, r[1])]
            for r in self.lost:
                if seq_before(r[0], una):
                    r[0] = una
        return delivered

    def _deliver(self, entry: _Entry, t: int) -> bool:
        """RFC 8985 6.2 steps 1-3 for one newly delivered segment."""
        if entry[_DELIVERED]:
            return False
        entry[_DELIVERED] = True
        rtt = t - entry[_TIME]
        if entry[_RETX] and self._min_rtt is not None and rtt < self._min_rtt >> 1:
            # Too soon to be the retransmission's own ACK: the original's (step 2). The RFC
            # draws the line at min_RTT itself; half of it leaves room for jitter, which on
            # short paths (a loopback: a few hundred microseconds of Python) would otherwise
            # refuse most retransmissions' own ACKs and leave RACK blind after a timeout.
            return False
        if not entry[_RETX] and (self._min_rtt is None or rtt < self._min_rtt):
            self._min_rtt = rtt
        xmit = self._xmit
        if (
            xmit is None
            or entry[_TIME] > xmit
            or (entry[_TIME] == xmit and seq_before(self._end, entry[_END]))
        ):
            self._xmit = entry[_TIME]
            self._end = entry[_END]
            self._rtt = rtt
        elif not entry[_RETX] and entry[_TIME] < xmit:
            # Delivered after a segment sent later than it: the network reorders (step 1).
            self._reordered = True
        return True

    def mark_too_big(self, room: int, old_mss: int, queue: bool) -> list[tuple[int, int]]:
        """Deem lost every segment in flight too big for the new path MTU: longer than
        ``room`` octets of payload and TCP options together (the new path MTU less the IP
        and TCP headers). A router dropped it (RFC 1191 6.5, RFC 8201 5.4), which says
        nothing of congestion. Return the ranges newly marked, in transmit order.

        A super-segment (GSO, TSO) went out in pieces of the payload recorded by `on_send`
        (``old_mss`` when none was), its last piece shorter: a last piece that fits crossed
        the path and stays in flight, as does any segment that fits. Marked, the rest is
        not found again by `detect`; with ``queue`` it also joins `lost` (contiguous ranges
        as one, so that it goes again in whole segments of the new size) with a third
        field, 1: a path MTU loss (see `Recovery.rack_next`).
        """
        found: list[tuple[int, int]] = []
        kept: deque[_Entry] = deque()
        for entry in self._sent:
            kept.append(entry)
            if entry[_DELIVERED] or entry[_LOST]:
                continue
            start, end = entry[_START], entry[_END]
            length = (end - start) & SEQ_MASK
            cut = entry[_PIECE] or old_mss
            fits = room - entry[_OPTIONS]  # the payload that fits a segment of the new size
            if cut <= fits:
                continue  # every piece fits
            last = length % cut or cut if length > cut else length
            if last <= fits:
                if last == length:
                    continue
                # The last piece arrived: it stays, with its send time and marks.
                end = (end - last) & SEQ_MASK
                kept.append([end, *entry[_END:]])
                self._retx += entry[_RETX]
                entry[_END] = end
            entry[_LOST] = True
            found.append((start, end))
            if queue:
                tail = self.lost[-1] if self.lost else None
                if tail is not None and len(tail) > 2 and tail[1] == start:
                    tail[1] = end
                else:
                    self.lost.append([start, end, 1])
        self._sent = kept
        return found

    def on_rto(self) -> None:
        """A retransmission timeout: everything goes again from SND.UNA; no ranges wait."""
        self.lost = []

    # -- detection --------------------------------------------------------------------------

    def detect(self, t: int) -> int | None:
        """Mark lost every segment sent before the latest delivered one and older than RACK.rtt
        plus the reordering window (RFC 8985 6.2 step 5); return when to look again (the
        reordering timer), or None.

        Newly lost ranges are appended to `lost`.
        """
        xmit = self._xmit
        if xmit is None:
            return None
        wait = self._rtt + self.reordering_window
        end = self._end
        timer = None
        for entry in self._sent:
            if entry[_DELIVERED] or entry[_LOST]:
                continue
            sent_at = entry[_TIME]
            if sent_at > xmit or (sent_at == xmit and not seq_before(entry[_END], end)):
                break  # transmit order: every later entry was sent later still
            due = sent_at + wait
            if due <= t:
                entry[_LOST] = True
                self.lost.append([entry[_START], entry[_END]])
            elif timer is None or due < timer:
                timer = due
        return timer

    def __repr__(self) -> str:
        return (
            f"Rack(sent={len(self._sent)}, lost={self.lost}, xmit={self._xmit}, "
            f"rtt={self._rtt}, min_rtt={self._min_rtt})"
        )
