"""Selective acknowledgements, the sender's side: the SACK scoreboard (RFC 6675).

`SackScoreboard` records which octets above SND.UNA the peer has reported in SACK blocks,
decides which holes are lost (RFC 6675 IsLost), computes the pipe (SetPipe) and picks the
next range to retransmit (NextSeg rules 1 and 3; rule 2, new data, belongs to the socket).

The blocks a receiver reports (RFC 2018 section 4) come from `receive.Receiver.sack_blocks`.
`is_dsack` tells whether an ACK's blocks open with a D-SACK (RFC 2883).

Sequence numbers cross this module as raw 32-bit ints (a `TcpSeqNumber` is one). Inside, the
scoreboard keeps octet offsets relative to SND.UNA, so that wrap-around at 2**32 never shows.
"""

from __future__ import annotations

from collections.abc import Iterable

from smoltcp.stack.tcp.seq import SEQ_HALF, SEQ_MASK, seq_dist, span_from
from smoltcp.wire import TcpSeqNumber

__all__ = ["MAX_SACK_BLOCKS", "SackScoreboard", "is_dsack"]

# The most disjoint SACKed ranges the scoreboard keeps. One per full-sized segment of a 64 KiB
# window is about 45; a peer reporting more (one-octet blocks) gains nothing but our memory
# and our time per ACK, so a new disjoint range beyond this is ignored: its octets count as
# not SACKed, which at worst resends them (RFC 2018 8 lets a sender ignore SACK information).
MAX_SACK_BLOCKS = 256


def is_dsack(ranges: tuple[tuple[int, int], ...], ack: int, window: int = SEQ_HALF) -> bool:
    """Return whether the SACK ``ranges`` of an ACK of ``ack`` open with a D-SACK (RFC 2883
    4): a first block below the cumulative ACK, or one inside the second block.

    Below means the whole block at or below ``ack``, its left edge no more than ``window``
    octets plus one below it (the caller passes the largest window the peer offered: a
    duplicate comes from one flight, whose FIN or SYN, beyond the window, takes one more
    sequence number). A block that is not a range (empty, or half the sequence space long
    or more) is never a D-SACK. The bound is what keeps out a block far past SND.MAX, which
    modulo 2**32 reads as far below the ACK: with the default ``window`` (half the space)
    such a block still counts.
    """
    if not ranges:
        return False
    left, right = ranges[0]
    size = seq_dist(int(left), int(right))
    if size <= 0:
        return False
    below = seq_dist(int(left), int(ack))
    if below > 0:
        return below >= size and below <= window + 1
    if len(ranges) < 2:
        return False
    outer_left, outer_right = ranges[1]
    return seq_dist(int(outer_left), int(left)) >= 0 and seq_dist(int(right), int(outer_right)) >= 0


class SackScoreboard:
    """Track the peer's SACK blocks over [SND.UNA, SND.NXT) (RFC 6675 section 3).

    Call `update` with every ACK (with its blocks, or ``()``), so that the board follows
    SND.UNA. ``dup_thresh`` is DupThresh of RFC 6675 (3). ``max_blocks`` bounds the disjoint
    ranges kept (memory, and the work per ACK); `ignored` counts the ranges refused for it.
    """

    __slots__ = (
        "_blocks",
        "_dup_thresh",
        "_high_rxt",
        "_max_blocks",
        "_pipe",
        "_sacked",
        "_una",
        "ignored",
    )

    def __init__(self, dup_thresh: int = 3, max_blocks: int = MAX_SACK_BLOCKS) -> None:
        if dup_thresh < 1:
            raise ValueError(f"dup_thresh must be >= 1, got {dup_thresh}")
        if not isinstance(max_blocks, int) or max_blocks < 1:
            raise ValueError(f"max_blocks must be an int >= 1, got {max_blocks!r}")
        self._dup_thresh = dup_thresh
        self._max_blocks = max_blocks
        self.ignored = 0
        self.reset()

    def reset(self) -> None:
        """Forget everything (connection reset or a new connection)."""
        # Sorted, disjoint, non-adjacent [start, end) offsets from self._una.
        self._blocks: list[list[int]] = []
        self._una: int | None = None
        self._sacked = 0
        # HighRxt of RFC 6675 as an offset from self._una (0: nothing retransmitted).
        self._high_rxt = 0
        # The last pipe computed, (snd_una, snd_nxt, mss, pipe): the send path asks several
        # times per ACK with the board unchanged. Every change of the board clears it.
        self._pipe: tuple[int, int, int, int] | None = None

    # -- state ----------------------------------------------------------------------------

    @property
    def sacked_bytes(self) -> int:
        """The number of octets above SND.UNA currently SACKed."""
        return self._sacked

    @property
    def is_empty(self) -> bool:
        """Whether no octet above SND.UNA is SACKed."""
        return not self._blocks

    @property
    def high_sacked(self) -> int | None:
        """The end (exclusive, raw 32-bit) of the highest SACKed range, or None."""
        if not self._blocks or self._una is None:
            return None
        return (self._una + self._blocks[-1][1]) & SEQ_MASK

    @property
    def high_rxt(self) -> int | None:
        """HighRxt (raw 32-bit, exclusive end of the retransmissions of this recovery)."""
        if self._una is None:
            return None
        return (self._una + self._high_rxt) & SEQ_MASK

    @property
    def holes(self) -> list[tuple[int, int]]:
        """The un-SACKed ranges below the highest SACKed octet, as (raw seq, length)."""
        una = self._una
        if una is None:
            return []
        out = []
        prev = 0
        for start, end in self._blocks:
            if start > prev:
                out.append(((una + prev) & SEQ_MASK, start - prev))
            prev = end
        return out

    def blocks(self) -> list[tuple[int, int]]:
        """Return the SACKed ranges as (left, right) raw 32-bit ints, right exclusive."""
        una = self._una
        if una is None:
            return []
        return [((una + s) & SEQ_MASK, (una + e) & SEQ_MASK) for s, e in self._blocks]

    # -- input ----------------------------------------------------------------------------

    def advance(self, snd_una: int) -> None:
        """Follow SND.UNA to ``snd_una``: what `update` does with no SACK block (every ACK)."""
        snd_una = int(snd_una)
        una = self._una
        if una is None:
            self._una = snd_una
            return
        # (`seq_dist` inlined: this runs for every ACK.)
        shift = (snd_una - una) & SEQ_MASK
        if shift == 0 or shift >= SEQ_HALF:
            # An old ACK (a negative distance) must not move the board back.
            return
        self._una = snd_una
        self._pipe = None
        blocks = self._blocks
        if not blocks:
            # Nothing SACKed (the usual case): only HighRxt moves with SND.UNA.
            self._high_rxt = max(self._high_rxt - shift, 0)
            return
        keep = []
        sacked = 0
        for block in blocks:
            start = block[0] - shift
            end = block[1] - shift
            if end <= 0:
                continue
            if start < 0:
                start = 0
            block[0] = start
            block[1] = end
            sacked += end - start
            keep.append(block)
        self._blocks = keep
        self._sacked = sacked
        self._high_rxt = max(self._high_rxt - shift, 0)

    def update(self, blocks: Iterable[tuple[int, int]], snd_una: int, snd_nxt: int) -> int:
        """Record the peer's SACK ``blocks`` carried by an ACK of ``snd_una``.

        Blocks are (left, right) raw 32-bit sequence numbers, right exclusive. Only the
        octets of a block inside [snd_una, snd_nxt) count: the rest are D-SACKs of old data
        (RFC 2883) or garbage. A block that is not a range (its right edge not after its
        left, RFC 9293 3.4: empty, reversed, or half the space long) counts for nothing.
        This is how RACK reads them (`rack.Rack.on_ack`). Return how many octets this call
        newly marked SACKed (0: nothing new).
        """
        self.advance(snd_una)
        if not blocks:
            return 0  # (most ACKs: nothing more to do than follow SND.UNA)
        una = self._una
        assert una is not None
        limit = seq_dist(una, int(snd_nxt))
        new = 0
        for left, right in blocks:
            left = int(left)
            size = (int(right) - left) & SEQ_MASK
            if not 0 < size < SEQ_HALF:
                continue
            # Placed from the block's own left edge, not from SND.UNA (see `span_from`).
            start, end = span_from(una, left, size)
            if end > limit:
                end = limit
            if end <= start:
                continue
            new += self._insert(start, end)
        return new

    def _insert(self, start: int, end: int) -> int:
        """Merge [start, end) into the board; return the octets newly covered."""
        blocks = self._blocks
        n = len(blocks)
        # Find the first block whose end >= start (touching blocks merge).
        i = 0
        while i < n and blocks[i][1] < start:
            i += 1
        j = i
        covered = 0
        new_start = start
        new_end = end
        while j < n and blocks[j][0] <= end:
            s, e = blocks[j]
            # Octets of [start, end) already SACKed in this block.
            lo = s if s > start else start
            hi = e if e < end else end
            if hi > lo:
                covered += hi - lo
            if s < new_start:
                new_start = s
            if e > new_end:
                new_end = e
            j += 1
        if i == j and n >= self._max_blocks:
            # A new disjoint range on a full board: ignored (see MAX_SACK_BLOCKS).
            self.ignored += 1
            return 0
        blocks[i:j] = [[new_start, new_end]]
        self._pipe = None
        added = (end - start) - covered
        self._sacked += added
        return added

    # -- RFC 6675 -------------------------------------------------------------------------

    def _lost_limit(self, mss: int) -> int:
        """Return the offset below which every un-SACKed octet is lost (RFC 6675 IsLost).

        IsLost(S) holds when DupThresh discontiguous SACKed ranges, or more than
        (DupThresh - 1) * SMSS SACKed octets, lie above S. For an un-SACKed octet that only
        depends on which hole it sits in, so lost-ness is decided hole by hole, from the top.
        """
        blocks = self._blocks
        thresh = self._dup_thresh
        byte_thresh = (thresh - 1) * mss
        count = 0
        above = 0
        for s, e in reversed(blocks):
            count += 1  # noqa: SIM113 (a running count from the top, not an index)
            above += e - s
            if count >= thresh or above > byte_thresh:
                # Every hole below this block's start is lost.
                return s
        return 0

    def is_lost(self, seq: int, mss: int) -> bool:
        """Return whether the octet ``seq`` (raw 32-bit) is deemed lost (RFC 6675 IsLost)."""
        una = self._una
        if una is None:
            return False
        off = seq_dist(una, int(seq))
        if off < 0:
            return False
        thresh = self._dup_thresh
        count = 0
        above = 0
        for s, e in self._blocks:
            if e <= off:
                continue
            count += 1
            above += e - (s if s > off else off + 1)
        return count >= thresh or above > (thresh - 1) * mss

    def lost_bytes(self, mss: int) -> int:
        """Return the un-SACKed octets deemed lost (RFC 6675 IsLost), retransmitted or not."""
        lost = self._lost_limit(mss)
        if not lost:
            return 0
        sacked_below_lost = 0
        for s, e in self._blocks:
            if s >= lost:
                break
            sacked_below_lost += (e if e < lost else lost) - s
        return lost - sacked_below_lost

    def pipe(self, snd_una: int, snd_nxt: int, mss: int) -> int:
        """Return the octets deemed in flight (RFC 6675 SetPipe).

        Each un-SACKed octet in [snd_una, snd_nxt) counts once unless it is lost, and once
        more if it was retransmitted in this recovery (below HighRxt).
        """
        snd_una = int(snd_una)
        snd_nxt = int(snd_nxt)
        self.advance(snd_una)
        cached = self._pipe
        if (
            cached is not None
            and cached[0] == snd_una
            and cached[1] == snd_nxt
            and cached[2] == mss
        ):
            return cached[3]
        pipe = self._compute_pipe(snd_una, snd_nxt, mss)
        self._pipe = (snd_una, snd_nxt, mss, pipe)
        return pipe

    def _compute_pipe(self, snd_una: int, snd_nxt: int, mss: int) -> int:
        """SetPipe itself (see `pipe`), SND.UNA already applied to the board."""
        total = seq_dist(snd_una, snd_nxt)
        if total <= 0:
            return 0
        lost = self._lost_limit(mss)
        high_rxt = self._high_rxt
        # Un-SACKed octets in [0, lost) are lost; count those >= lost once.
        sacked_below_lost = 0
        for s, e in self._blocks:
            if s >= lost:
                break
            sacked_below_lost += (e if e < lost else lost) - s
        pipe = total - self._sacked - (lost - sacked_below_lost)
        if high_rxt:
            # Retransmitted un-SACKed octets count (again), lost or not.
            sacked_below_rxt = 0
            for s, e in self._blocks:
                if s >= high_rxt:
                    break
                sacked_below_rxt += (e if e < high_rxt else high_rxt) - s
            pipe += high_rxt - sacked_below_rxt
        return pipe if pipe > 0 else 0

    def next_to_retransmit(
        self, snd_una: int, snd_nxt: int, mss: int, rule3: bool = True
    ) -> tuple[TcpSeqNumber, int] | None:
        """Return the next (seq, length <= mss) to retransmit, or None (RFC 6675 NextSeg).

        Rule 1: the first un-SACKed octet above HighRxt that is lost. With ``rule3``, and
        when rule 1 finds nothing: the first un-SACKed octet above HighRxt below the highest
        SACKed octet, lost or not. (Rule 2, new data, sits between them: the socket calls
        with ``rule3=False``, tries new data, then calls again.) The range stops at the next
        SACKed octet. Call `mark_retransmitted` once it is sent.
        """
        self.advance(snd_una)
        blocks = self._blocks
        if not blocks:
            return None
        high_rxt = self._high_rxt
        # Lost holes form a prefix of the board, so the first un-SACKed octet above HighRxt
        # is the rule 1 answer whenever one exists: one scan serves both rules, only the
        # upper limit differs (the lost prefix, or the highest SACKed range for rule 3).
        limit = blocks[-1][0] if rule3 else self._lost_limit(mss)
        prev = 0
        for s, e in blocks:
            start = prev if prev > high_rxt else high_rxt
            end = s if s < limit else limit
            if start < end:
                length = end - start
                if length > mss:
                    length = mss
                return TcpSeqNumber((self._una + start) & SEQ_MASK), length  # type: ignore[operator]
            prev = e
            if prev >= limit:
                break
        return None

    def mark_retransmitted(self, seq: int, length: int) -> None:
        """Record that [seq, seq + length) was retransmitted (advances HighRxt)."""
        una = self._una
        if una is None:
            return
        end = seq_dist(una, int(seq)) + length
        if end > self._high_rxt:
            self._high_rxt = end
            self._pipe = None

    def start_recovery(self) -> None:
        """Forget the retransmission marks: a new recovery starts (HighRxt = SND.UNA)."""
        self._high_rxt = 0
        self._pipe = None

    def on_rto(self) -> None:
        """Forget the retransmission marks after a timeout; keep the SACK information.

        (RFC 6675 5.1 allows keeping it; RFC 2018 8 notes that a receiver may renege, so the
        socket still retransmits from SND.UNA after an RTO.)
        """
        self._high_rxt = 0
        self._pipe = None

    def __repr__(self) -> str:
        return f"SackScoreboard(una={self._una}, blocks={self.blocks()}, sacked={self._sacked})"
