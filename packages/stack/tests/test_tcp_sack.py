"""SACK: the RFC 6675 sender scoreboard and the RFC 2018 receiver block generator."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smoltcp.stack.tcp.sack import SackScoreboard

MSS = 100
UNA = 1000


def board(*blocks: tuple[int, int], una: int = UNA, nxt: int = UNA + 2000) -> SackScoreboard:
    sb = SackScoreboard()
    sb.update(blocks, una, nxt)
    return sb


def test_update_counts_new_bytes_and_merges() -> None:
    sb = SackScoreboard()
    assert sb.update([(1100, 1200)], UNA, 2000) == 100
    assert sb.update([(1100, 1200)], UNA, 2000) == 0  # repeated: nothing new
    assert sb.update([(1150, 1300), (1400, 1500)], UNA, 2000) == 200
    assert sb.blocks() == [(1100, 1300), (1400, 1500)]
    assert sb.sacked_bytes == 300
    # Adjacent blocks merge.
    assert sb.update([(1300, 1400)], UNA, 2000) == 100
    assert sb.blocks() == [(1100, 1500)]


def test_blocks_outside_the_window_are_ignored_or_clipped() -> None:
    sb = SackScoreboard()
    assert sb.update([(500, 900)], UNA, 2000) == 0  # D-SACK of old data
    assert sb.update([(2100, 2200)], UNA, 2000) == 0  # beyond SND.NXT
    assert sb.update([(1900, 2100)], UNA, 2000) == 100  # clipped to SND.NXT
    assert sb.update([(1200, 1100)], UNA, 2000) == 0  # inverted: garbage
    assert sb.sacked_bytes == 100


def test_a_bogus_block_far_past_snd_nxt_covers_its_octets_in_flight() -> None:
    # Just under half the space long, it ends exactly half the space past SND.UNA: its
    # octets in flight count (as RACK takes them), its right edge is not read as before
    # SND.UNA.
    sb = SackScoreboard()
    assert sb.update([(6, 2**31)], 0, 780) == 774
    assert sb.blocks() == [(6, 780)]
    # Half the space long: not a range at all, whichever edge lies in the flight.
    assert sb.update([(2**31 + 10, 10), (10, 2**31 + 10)], 0, 780) == 0


def octets_covered(una: int, nxt: int, blocks: list[tuple[int, int]]) -> set[int]:
    """The octets in [una, nxt) some block covers, tested one by one (RFC 9293 3.4)."""

    def before(a: int, b: int) -> bool:
        return 0 < ((b - a) & 0xFFFFFFFF) < 2**31

    out = set()
    for off in range((nxt - una) & 0xFFFFFFFF):
        seq = (una + off) & 0xFFFFFFFF
        for left, right in blocks:
            if before(left, right) and not before(seq, left) and before(seq, right):
                out.add(seq)
    return out


@st.composite
def far_block(draw: st.DrawFn, una: int, flight: int) -> tuple[int, int]:
    """A block near the flight's edges or anywhere, of any length (as offsets from una)."""
    edges = st.one_of(
        st.integers(-100, flight + 100),
        st.integers(2**31 - 6, 2**31 + 6),
        st.integers(0, 2**32 - 1),
    )
    left = draw(edges)
    right = draw(st.one_of(edges, st.integers(left - 50, left + 50)))
    return (una + left) & 0xFFFFFFFF, (una + right) & 0xFFFFFFFF


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_update_takes_the_octets_in_flight_each_block_covers(data: st.DataObject) -> None:
    una = data.draw(st.sampled_from([0, 1000, 2**31 - 1, 2**31, 2**32 - 300, 2**32 - 1]))
    flight = data.draw(st.integers(1, 800))
    nxt = (una + flight) & 0xFFFFFFFF
    blocks = data.draw(st.lists(far_block(una, flight), max_size=4))
    sb = SackScoreboard()
    sb.update(blocks, una, nxt)
    held = set()
    for left, right in sb.blocks():
        held.update((left + i) & 0xFFFFFFFF for i in range((right - left) & 0xFFFFFFFF))
    assert held == octets_covered(una, nxt, blocks)
    assert sb.sacked_bytes == len(held)


def test_advancing_una_prunes_the_board() -> None:
    sb = board((1100, 1200), (1300, 1400))
    sb.update((), 1150, 3000)
    assert sb.blocks() == [(1150, 1200), (1300, 1400)]
    assert sb.sacked_bytes == 150
    sb.update((), 1400, 3000)
    assert sb.blocks() == []
    assert sb.sacked_bytes == 0
    assert sb.is_empty
    # An older ACK never moves the board back.
    sb.update([(1500, 1600)], 1300, 3000)
    assert sb.blocks() == [(1500, 1600)]


def test_wraparound_near_2_32() -> None:
    una = 2**32 - 150
    sb = SackScoreboard()
    assert sb.update([(2**32 - 50, 50)], una, 500) == 100
    assert sb.blocks() == [(2**32 - 50, 50)]
    assert sb.holes == [(una, 100)]
    sb.update((), 0, 500)
    assert sb.blocks() == [(0, 50)]
    assert sb.sacked_bytes == 50


def test_is_lost_by_count_of_blocks_and_by_bytes() -> None:
    # Three discontiguous SACKed ranges above 1000: lost.
    sb = board((1100, 1110), (1200, 1210), (1300, 1310))
    assert sb.is_lost(1000, MSS)
    assert not sb.is_lost(1150, MSS)  # only two blocks above
    # More than (DupThresh - 1) * SMSS = 200 SACKed bytes above: lost.
    sb = board((1100, 1301))
    assert sb.is_lost(1000, MSS)
    sb = board((1100, 1300))
    assert not sb.is_lost(1000, MSS)


def test_pipe_counts_unsacked_not_lost_plus_retransmitted() -> None:
    # [1000,1100) hole (lost: 300 SACKed above), [1100,1400) SACKed, [1400,2000) in flight.
    sb = board((1100, 1400))
    assert sb.pipe(UNA, 2000, MSS) == 600
    sb.mark_retransmitted(1000, 100)
    assert sb.pipe(UNA, 2000, MSS) == 700
    # Without any SACK information every octet is in flight.
    assert SackScoreboard().pipe(UNA, 2000, MSS) == 1000


def test_pipe_brute_force_matches_rfc_6675_setpipe() -> None:
    rng = random.Random(5)
    for _ in range(300):
        una = rng.randrange(2**32)
        nxt_off = rng.randrange(1, 3000)
        sb = SackScoreboard()
        blocks = []
        for _ in range(rng.randrange(0, 6)):
            a = rng.randrange(0, nxt_off)
            b = rng.randrange(a, nxt_off + 1)
            blocks.append(((una + a) % 2**32, (una + b) % 2**32))
        sb.update(blocks, una, (una + nxt_off) % 2**32)
        if rng.random() < 0.5:
            rx = rng.randrange(0, nxt_off)
            sb.mark_retransmitted(una, rx)
        else:
            rx = 0
        sacked = set()
        for s, e in sb.blocks():
            for o in range((s - una) % 2**32, (e - una) % 2**32 or 2**32):
                sacked.add(o)
        expected = 0
        for o in range(nxt_off):
            if o in sacked:
                continue
            if not sb.is_lost((una + o) % 2**32, MSS):
                expected += 1
            if o < rx:
                expected += 1
        assert sb.pipe(una, (una + nxt_off) % 2**32, MSS) == expected


def test_next_to_retransmit_rule_1_then_high_rxt_moves_on() -> None:
    # Holes [1000,1100) and [1200,1300) both lost (blocks above carry > 200 bytes).
    sb = board((1100, 1200), (1300, 1600))
    assert sb.holes == [(1000, 100), (1200, 100)]
    sb.start_recovery()
    seq, length = sb.next_to_retransmit(UNA, 2000, MSS)  # type: ignore[misc]
    assert (seq, length) == (1000, 100)
    sb.mark_retransmitted(seq, length)
    assert sb.next_to_retransmit(UNA, 2000, MSS) == (1200, 100)
    sb.mark_retransmitted(1200, 100)
    assert sb.next_to_retransmit(UNA, 2000, MSS) is None  # nothing left below HighACK
    sb.start_recovery()
    assert sb.next_to_retransmit(UNA, 2000, MSS) == (1000, 100)


def test_next_to_retransmit_splits_by_mss() -> None:
    sb = board((1250, 1600))
    assert sb.next_to_retransmit(UNA, 2000, MSS) == (1000, 100)
    sb.mark_retransmitted(1000, 100)
    assert sb.next_to_retransmit(UNA, 2000, MSS) == (1100, 100)
    sb.mark_retransmitted(1100, 100)
    assert sb.next_to_retransmit(UNA, 2000, MSS) == (1200, 50)


def test_rule_3_covers_holes_not_yet_lost() -> None:
    # One small block above: the hole is not lost (rule 1 says nothing), rule 3 does.
    sb = board((1100, 1150))
    assert not sb.is_lost(1000, MSS)
    assert sb.next_to_retransmit(UNA, 2000, MSS, rule3=False) is None
    assert sb.next_to_retransmit(UNA, 2000, MSS, rule3=True) == (1000, 100)
    # Data above the highest SACKed octet is never chosen.
    assert board().next_to_retransmit(UNA, 2000, MSS) is None


def test_on_rto_keeps_sack_info_and_forgets_marks() -> None:
    sb = board((1100, 1400))
    sb.mark_retransmitted(1000, 100)
    sb.on_rto()
    assert sb.sacked_bytes == 300
    assert sb.next_to_retransmit(UNA, 2000, MSS) == (1000, 100)
    sb.reset()
    assert sb.sacked_bytes == 0
    assert sb.blocks() == []


def test_high_rxt_follows_una() -> None:
    sb = board((1300, 1400))
    sb.mark_retransmitted(1000, 200)
    assert sb.high_rxt == 1200
    sb.update((), 1100, 2000)
    assert sb.high_rxt == 1200
    assert sb.high_sacked == 1400


@pytest.mark.parametrize("una", [1000, 0xFFFF_FF00])
def test_high_rxt_follows_una_with_nothing_sacked(una: int) -> None:
    # An empty board takes a shorter way on each ACK: HighRxt must still stay where it was
    # in sequence space while SND.UNA moves below it, and stop at SND.UNA once passed.
    sb = SackScoreboard()
    sb.update((), una, (una + 1000) & 0xFFFFFFFF)
    sb.mark_retransmitted(una, 300)
    high = (una + 300) & 0xFFFFFFFF
    for step in (100, 150):
        una = (una + step) & 0xFFFFFFFF
        assert sb.update((), una, (una + 1000) & 0xFFFFFFFF) == 0
        assert sb.high_rxt == high
        assert sb.is_empty and sb.sacked_bytes == 0
    una = (una + 200) & 0xFFFFFFFF
    sb.update((), una, (una + 1000) & 0xFFFFFFFF)
    assert sb.high_rxt == una
    # An old ACK moves nothing.
    sb.update((), (una - 10) & 0xFFFFFFFF, (una + 1000) & 0xFFFFFFFF)
    assert sb.high_rxt == una
    block = ((una + 10) & 0xFFFFFFFF, (una + 20) & 0xFFFFFFFF)
    assert sb.update((block,), una, (una + 1000) & 0xFFFFFFFF) == 10


def test_bad_dup_thresh() -> None:
    with pytest.raises(ValueError):
        SackScoreboard(dup_thresh=0)
