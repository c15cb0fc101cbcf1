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

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from operator import itemgetter

from smoltcp.stack.tcp.seq import SEQ_HALF, SEQ_MASK, seq_before, span_from

__all__ = ["Rack"]

# Entry fields: [start, end) sequence numbers, send time, retransmission, delivered, lost,
# the payload of each wire segment a super-segment was cut into (0: one segment), the TCP
# option octets each carried, and which `Rack.on_send` recorded it (its transmit order).
_START, _END, _TIME, _RETX, _DELIVERED, _LOST, _PIECE, _OPTIONS, _SERIAL = range(9)


# One sent range: [start, end, send time, ...] (ints; see the field indices above).
_Entry = list[int]


def _split(entry: _Entry, blocks: Sequence[tuple[int, int]]) -> list[tuple[_Entry, bool]] | None:
    """Return ``entry`` cut where the SACK ``blocks`` cover it, in sequence order, each part
    with whether a block covers it; or None when no block touches it.

    The ``blocks`` must be ranges (right edge after left, less than half the space apart).
    """
    start = entry[_START]
    length = (entry[_END] - start) & SEQ_MASK
    covered = []
    for left, right in blocks:
        # Both the entry and the block are shorter than half the space, so they share at
        # most one range (`span_from` places the block from its own left edge).
        lo, hi = span_from(start, left, (right - left) & SEQ_MASK)
        if lo >= length:
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


# An entry's transmit order, as a sort key: C's item getter (no Python call per comparison).
_serial_of = itemgetter(_SERIAL)


def _candidates(run: list[_Entry], lo: int, hi: int) -> range:
    """Return the positions in ``run`` of the entries that may hold octets of [lo, hi) (raw
    sequence numbers), found by bisection.

    A run's entries rise in sequence order within half the sequence space of its first, so
    the callers' sequence-space tests agree with plain comparisons of distances from there
    as long as both edges lie less than half the space below the run's end; otherwise every
    position is returned (the callers test each entry anyway: only slower).
    """
    # Distances from the first start, offset by half the space (so no sign to fold).
    base = run[0][_START] - SEQ_HALF
    floor = ((run[-1][_END] - base) & SEQ_MASK) - SEQ_HALF
    lo = (lo - base) & SEQ_MASK
    hi = (hi - base) & SEQ_MASK
    n = len(run)
    if lo <= floor or hi <= floor or floor >= SEQ_HALF:
        return range(n)
    if hi <= SEQ_HALF or lo >= floor + SEQ_HALF:
        return range(0)  # wholly below the first entry or above the last
    # The first entry ending above lo, the first starting at or above hi (mostly the ends).
    if (run[0][_END] - base) & SEQ_MASK > lo:
        first = 0
    else:
        first = bisect_right(run, lo, key=lambda e: (e[_END] - base) & SEQ_MASK)
    if (run[-1][_START] - base) & SEQ_MASK < hi:
        last = n
    else:
        last = bisect_left(run, hi, lo=first, key=lambda e: (e[_START] - base) & SEQ_MASK)
    return range(first, last)


def _reached(run: list[_Entry], una: int) -> int:
    """Return how many of ``run``'s first entries start at or below ``una``: those SND.UNA
    passed and the one it may cut (all of them when ``una`` cannot be placed against the
    run, see `_candidates`)."""
    base = run[0][_START] - SEQ_HALF
    floor = ((run[-1][_END] - base) & SEQ_MASK) - SEQ_HALF
    at = (una - base) & SEQ_MASK
    if at <= floor or floor >= SEQ_HALF:
        return len(run)
    if at < SEQ_HALF:
        return 0  # below the first start
    if (run[-1][_START] - base) & SEQ_MASK <= at:
        return len(run)
    return bisect_right(run, at, key=lambda e: (e[_START] - base) & SEQ_MASK)


class Rack:
    """The sent segments of one connection, and RACK's view of what was delivered.

    The sent ranges (entries, disjoint) are kept in runs: lists whose entries rise both in
    transmit order and in sequence order. New data makes one run; the retransmissions of a
    recovery, sent hole after hole, usually another. Within a run, an ACK finds the few
    entries its SACK blocks or SND.UNA touch by bisection, so its cost does not grow with
    the flight; each entry carries the number of the `on_send` that recorded it (its parts
    keep it), which merges the runs back into one transmit order where RACK needs it.
    """

    __slots__ = (
        "_end",
        "_min_rtt",
        "_mult",
        "_persist",
        "_reordered",
        "_retx",
        "_rtt",
        "_runs",
        "_serial",
        "_xmit",
        "lost",
    )

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new connection)."""
        # Runs of entries (see the fields above), none empty; each rises in transmit and in
        # sequence order, within half the sequence space of its first entry.
        self._runs: list[list[_Entry]] = []
        self._serial = 0  # the next `on_send`'s number (the entries' transmit order)
        self._retx = 0  # how many entries are retransmissions
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
    def _sent(self) -> list[_Entry]:
        """Every entry, in transmit order (parts of one send in sequence order)."""
        runs = self._runs
        if len(runs) == 1:
            return list(runs[0])
        return list(heapq.merge(*runs, key=_serial_of))

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
        entry = [start, end, t, retransmission, False, False, piece, options, self._serial]
        self._serial += 1
        # It joins the run it continues most closely (new data: the one it follows), or
        # starts one.
        best = None
        gap = SEQ_HALF
        for run in self._runs:
            base = run[0][_START]
            last = run[-1][_END]
            if ((last - base) & SEQ_MASK) <= ((start - base) & SEQ_MASK) <= (
                (end - base) & SEQ_MASK
            ) < SEQ_HALF and ((start - last) & SEQ_MASK) < gap:
                best = run
                gap = (start - last) & SEQ_MASK
        if best is None:
            self._runs.append([entry])
        else:
            best.append(entry)

    def _forget(self, start: int, end: int) -> None:
        """Take [start, end) out of the entries and lost ranges that hold it (sent again)."""
        for run in self._runs:
            # Usually one entry overlaps: find them (seq_before inlined), then replace each in
            # place, from the last so that the earlier positions hold.
            hits = [
                i
                for i in _candidates(run, start, end)
                if 0 < ((end - run[i][_START]) & SEQ_MASK) < SEQ_HALF
                and 0 < ((run[i][_END] - start) & SEQ_MASK) < SEQ_HALF
            ]
            for i in reversed(hits):
                entry = run[i]
                s, e = entry[_START], entry[_END]
                # What is left of the entry keeps its send time and marks.
                rest = []
                if seq_before(s, start):
                    rest.append([s, start, *entry[_TIME:]])
                if seq_before(end, e):
                    rest.append([end, e, *entry[_TIME:]])
                run[i : i + 1] = rest
                self._retx += entry[_RETX] * (len(rest) - 1)
        self._runs = [run for run in self._runs if run]
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
        delivered = False
        # The cumulatively acknowledged entries that lead the transmit order (a prefix of
        # each run): of those, the latest sent one is the one RACK keeps (steps 2-3). Those
        # behind an entry not acknowledged (retransmissions' ranges) are found below.
        runs = self._runs
        if len(runs) == 1:
            # One run (nothing retransmitted in flight: the usual case) is in transmit order
            # itself: its acknowledged entries are its first ones.
            run = runs[0]
            count = 0
            for entry in run:
                if 0 < ((entry[_END] - una) & SEQ_MASK) < SEQ_HALF:
                    break
                count += 1
            acked = run[:count]
            if count:
                del run[:count]
                if not run:
                    self._runs = []
        else:
            acked = self._acked_prefix(una)
        newest = None
        xmit = self._xmit
        for entry in acked:
            if entry[_RETX]:
                self._retx -= 1
            if not entry[_DELIVERED]:
                if not entry[_RETX] and xmit is not None and entry[_TIME] < xmit:
                    self._reordered = True  # step 1
                newest = entry
        runs = self._runs
        if newest is not None:
            delivered = self._deliver(newest, t)
        if runs:
            # A super-segment acknowledged piece by piece straddles SND.UNA: what is left of
            # it starts there (a loss found in it must not reach below SND.UNA).
            head = runs[0][0] if len(runs) == 1 else min((run[0] for run in runs), key=_serial_of)
            if 0 < ((una - head[_START]) & SEQ_MASK) < SEQ_HALF:
                head[_START] = una
        if self._retx or blocks:
            delivered = self._on_sack(una, blocks, t) or delivered
        if self.lost:
            self.lost = [rng for rng in self.lost if seq_before(una, rng[1])]
            for rng in self.lost:
                if seq_before(rng[0], una):
                    rng[0] = una
        return delivered

    def _acked_prefix(self, una: int) -> list[_Entry]:
        """Take out and return, in transmit order, the entries that lead the transmit order
        and end at or below ``una`` (SND.UNA passed them), from several runs (or none): a
        single run, in transmit order itself, is cut by `on_ack` directly."""
        runs = self._runs
        # Several runs: merge their heads by transmit order until one is not acknowledged.
        acked = []
        taken = [0] * len(runs)
        while True:
            head: _Entry | None = None
            for r, run in enumerate(runs):
                i = taken[r]
                if i < len(run) and (head is None or run[i][_SERIAL] < head[_SERIAL]):
                    head = run[i]
                    at = r
            if head is None or seq_before(una, head[_END]):
                break
            taken[at] += 1
            acked.append(head)
        if acked:
            for r, run in enumerate(runs):
                del run[: taken[r]]
            self._runs = [run for run in runs if run]
        return acked

    def _on_sack(self, una: int, blocks: Sequence[tuple[int, int]], t: int) -> bool:
        """Deliver what SND.UNA passed behind an entry it did not, and what the ``blocks``
        cover, in transmit order; return whether anything was newly delivered.

        Only the entries that can change are visited: in each run, those below or across
        SND.UNA (its first ones) and those the blocks overlap, found by bisection.
        """
        runs = self._runs
        # A block is a range only when its right edge lies after its left in sequence space
        # (RFC 9293 3.4): an empty, reversed or half-the-space block says nothing.
        edges = []
        for left, right in blocks:
            lo, hi = int(left) & SEQ_MASK, int(right) & SEQ_MASK
            if 0 < ((hi - lo) & SEQ_MASK) < SEQ_HALF:
                edges.append((lo, hi))
        visit = []
        for r, run in enumerate(runs):
            where = set(range(_reached(run, una)))
            for left, right in edges:
                where.update(_candidates(run, left, right))
            visit += [(run[i][_SERIAL], r, i) for i in where]
        visit.sort()
        # Each visited entry's replacement (its parts, or none once acknowledged), by run.
        changed: dict[int, dict[int, list[_Entry]]] = {}
        delivered = False
        for _, r, i in visit:
            entry = runs[r][i]
            if not 0 < ((entry[_END] - una) & SEQ_MASK) < SEQ_HALF:
                delivered = self._deliver(entry, t) or delivered
                self._retx -= entry[_RETX]
                changed.setdefault(r, {})[i] = []
                continue
            if 0 < ((una - entry[_START]) & SEQ_MASK) < SEQ_HALF:
                entry[_START] = una  # straddles SND.UNA (a retransmission, partly ACKed)
            if entry[_DELIVERED] or not edges:
                continue
            parts = _split(entry, edges)
            if parts is not None:
                # What arrived is delivered; the rest keeps waiting, with the same send time
                # (so a super-segment's lost piece is found too).
                for part, sacked in parts:
                    if sacked:
                        delivered = self._deliver(part, t) or delivered
                changed.setdefault(r, {})[i] = [part for part, _ in parts]
                self._retx += entry[_RETX] * (len(parts) - 1)
        for r, replace in changed.items():
            runs[r] = self._replaced(runs[r], replace)
        if changed:
            self._runs = [run for run in runs if run]
        return delivered

    def _replaced(self, run: list[_Entry], changes: dict[int, list[_Entry]]) -> list[_Entry]:
        """Return ``run`` with the entry at each position in ``changes`` replaced by its parts.

        A delivered original (not a retransmission) is inert from then on: nothing reads its
        times or marks, it only waits for SND.UNA to pass it. So one placed here joins the
        delivered original before it when it continues it and no other entry was sent
        between them, and an ACK after a long SACKed stretch finds a few entries instead of
        one per segment (the transmit order, which decides what a cumulative ACK delivers,
        stays the same).
        """
        others = [other for other in self._runs if other is not run]
        out: list[_Entry] = []

        def push(entry: _Entry) -> None:
            if out:
                last = out[-1]
                if (
                    last[_DELIVERED]
                    and entry[_DELIVERED]
                    and not last[_RETX]
                    and not entry[_RETX]
                    and last[_END] == entry[_START]
                    and all(_none_between(other, last, entry) for other in others)
                ):
                    last[_END] = entry[_END]
                    return
            out.append(entry)

        at = 0
        for i in sorted(changes):
            if at < i:
                push(run[at])
                out.extend(run[at + 1 : i])
            for part in changes[i]:
                push(part)
            at = i + 1
        if at < len(run):
            push(run[at])
            out.extend(run[at + 1 :])
        return out

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
        runs: list[list[_Entry]] = [[] for _ in self._runs]
        tagged = [_tagged(run, kept) for run, kept in zip(self._runs, runs, strict=True)]
        for entry, kept in heapq.merge(*tagged, key=lambda pair: pair[0][_SERIAL]):
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
        self._runs = runs
        return found

    def on_rto(self) -> None:
        """A retransmission timeout: everything goes again from SND.UNA; no ranges wait."""
        self.lost = []

    # -- detection --------------------------------------------------------------------------

    def detect(self, t: int) -> int | None:
        """Mark lost every segment sent before the latest delivered one and older than RACK.rtt
        plus the reordering window (RFC 8985 6.2 step 5); return when to look again (the
        reordering timer), or None.

        Newly lost ranges are appended to `lost`, in transmit order.
        """
        xmit = self._xmit
        if xmit is None:
            return None
        end = self._end
        # Each run in transmit order up to its first entry sent after the latest delivered
        # one; the first of those over all runs ends the search (all sent after it are
        # later still), so an entry of another run sent after it is left alone too.
        waiting: list[_Entry] = []
        stop = None
        for run in self._runs:
            for entry in run:
                if entry[_DELIVERED] or entry[_LOST]:
                    continue
                sent_at = entry[_TIME]
                if sent_at > xmit or (sent_at == xmit and not seq_before(entry[_END], end)):
                    if stop is None or entry[_SERIAL] < stop:
                        stop = entry[_SERIAL]
                    break
                waiting.append(entry)
        if stop is not None:
            # (The parts of the stopping entry's send before it are in its run, before it.)
            waiting = [entry for entry in waiting if entry[_SERIAL] <= stop]
        if not waiting:
            return None  # (the usual case: everything sent before it was delivered too)
        if len(self._runs) > 1:
            waiting.sort(key=_serial_of)
        wait = self._rtt + self.reordering_window
        timer = None
        for entry in waiting:
            due = entry[_TIME] + wait
            if due <= t:
                entry[_LOST] = True
                self.lost.append([entry[_START], entry[_END]])
            elif timer is None or due < timer:
                timer = due
        return timer

    def __repr__(self) -> str:
        return (
            f"Rack(sent={sum(len(run) for run in self._runs)}, lost={self.lost}, "
            f"xmit={self._xmit}, rtt={self._rtt}, min_rtt={self._min_rtt})"
        )


def _tagged(run: list[_Entry], kept: list[_Entry]) -> Iterator[tuple[_Entry, list[_Entry]]]:
    """Iterate over ``run``'s entries, each with ``kept``."""
    for entry in run:
        yield entry, kept


def _none_between(run: list[_Entry], first: _Entry, second: _Entry) -> bool:
    """Return whether no entry of ``run`` was sent between ``first`` and ``second``."""
    after = bisect_right(run, first[_SERIAL], key=_serial_of)
    return after == len(run) or run[after][_SERIAL] > second[_SERIAL]
