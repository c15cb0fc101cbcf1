"""The impairment models against their expected statistics, with fixed seeds, in integer time."""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smoltcp.phy.impair import (
    Bernoulli,
    DelaySampler,
    GilbertElliott,
    Listed,
    Periodic,
    Reorder,
    Serializer,
    TimedQueue,
    chance,
    corrupt_octet,
)


def band(n: int, percent: float, sds: float = 4.5) -> range:
    """Return the counts within ``sds`` standard deviations of a binomial's mean."""
    p = percent / 100
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    return range(math.floor(mean - sds * sd), math.ceil(mean + sds * sd) + 1)


def run_lengths(outcomes: list[bool]) -> list[int]:
    """Return the lengths of the runs of consecutive True values."""
    runs, current = [], 0
    for lost in outcomes:
        if lost:
            current += 1
        elif current:
            runs.append(current)
            current = 0
    if current:
        runs.append(current)
    return runs


def test_bernoulli_loses_within_the_band():
    lose = Bernoulli(3).process(random.Random(1))
    n = 100_000
    assert sum(lose() for _ in range(n)) in band(n, 3)


def test_chance_zero_never_draws_and_hundred_always_true():
    rng = random.Random(5)
    state = rng.getstate()
    never = chance(0, rng)
    assert not any(never() for _ in range(100))
    assert rng.getstate() == state
    always = chance(100, rng)
    assert all(always() for _ in range(100))


@pytest.mark.parametrize(("p", "r"), [(2.0, 25.0), (0.5, 60.0)])
def test_gilbert_loss_rate_and_mean_burst_length(p, r):
    model = GilbertElliott(p, r)  # Gilbert: 1-h = 100 %, 1-k = 0 %
    lose = model.process(random.Random(11))
    outcomes = [lose() for _ in range(400_000)]
    rate = sum(outcomes) / len(outcomes)
    assert rate == pytest.approx(p / (p + r), rel=0.06)
    assert model.loss_rate() == pytest.approx(p / (p + r))
    bursts = run_lengths(outcomes)
    # Each BAD period lasts a geometric number of frames of mean 1/r, all of them lost.
    assert sum(bursts) / len(bursts) == pytest.approx(100 / r, rel=0.05)


def test_gilbert_elliott_with_both_loss_probabilities():
    model = GilbertElliott(p=3, r=20, one_minus_h=70, one_minus_k=1)
    lose = model.process(random.Random(12))
    n = 400_000
    rate = sum(lose() for _ in range(n)) / n
    bad = 3 / 23
    expected = (1 - bad) * 0.01 + bad * 0.70
    assert model.loss_rate() == pytest.approx(expected)
    assert rate == pytest.approx(expected, rel=0.06)


def test_gemodel_with_p_alone_is_bernoulli_as_in_netem():
    model = GilbertElliott(5)
    assert (model.r, model.one_minus_h, model.one_minus_k) == (95, 100, 0)
    lose = model.process(random.Random(13))
    n = 100_000
    outcomes = [lose() for _ in range(n)]
    assert sum(outcomes) in band(n, 5)
    # Memoryless: the chance of a loss right after a loss is the overall 5 %.
    after = [b for a, b in itertools.pairwise(outcomes) if a]
    assert sum(after) in band(len(after), 5)


def test_loss_models_check_their_parameters():
    with pytest.raises(ValueError, match="p must"):
        GilbertElliott(101)
    with pytest.raises(ValueError, match="r must be above 0"):
        GilbertElliott(1, 0)
    with pytest.raises(ValueError, match="percent"):
        Bernoulli(-1)
    with pytest.raises(TypeError):
        Bernoulli("5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="every"):
        Periodic(0)
    with pytest.raises(ValueError, match="offset"):
        Periodic(3, 3)
    with pytest.raises(ValueError, match="indices"):
        Listed([-1])


def test_periodic_and_listed_lose_exactly_their_frames():
    lose = Periodic(4, 1).process(random.Random(0))
    assert [i for i in range(20) if lose()] == [1, 5, 9, 13, 17]
    lose = Listed([0, 3, 4, 19]).process(random.Random(0))
    assert [i for i in range(30) if lose()] == [0, 3, 4, 19]
    assert Periodic(100).loss_rate() == 0.01


def test_uniform_jitter_stays_within_its_bounds_and_centres_on_the_delay():
    sampler = DelaySampler(20_000, 5_000, random.Random(21))
    samples = [sampler.sample() for _ in range(50_000)]
    assert min(samples) == 15_000 and max(samples) == 25_000
    assert sum(samples) / len(samples) == pytest.approx(20_000, abs=100)
    # Uniform: each fifth of the range holds about a fifth of the samples.
    fifths = [0] * 5
    for s in samples:
        fifths[min((s - 15_000) * 5 // 10_001, 4)] += 1
    assert all(n in band(50_000, 20) for n in fifths)


def test_normal_jitter_has_the_deviation_asked_and_never_goes_negative():
    sampler = DelaySampler(10_000, 2_000, random.Random(22), "normal")
    samples = [sampler.sample() for _ in range(50_000)]
    mean = sum(samples) / len(samples)
    sd = math.sqrt(sum((s - mean) ** 2 for s in samples) / len(samples))
    assert mean == pytest.approx(10_000, rel=0.01)
    assert sd == pytest.approx(2_000, rel=0.03)
    wide = DelaySampler(1_000, 5_000, random.Random(23))
    assert min(wide.sample() for _ in range(1000)) == 0


def test_no_jitter_no_draw():
    rng = random.Random(3)
    state = rng.getstate()
    sampler = DelaySampler(7, 0, rng)
    assert {sampler.sample() for _ in range(10)} == {7}
    assert rng.getstate() == state


def test_reorder_every_gap_th_frame_with_certainty():
    reorder = Reorder(100, 5, random.Random(0))
    assert [i for i in range(25) if reorder.immediate()] == [4, 9, 14, 19, 24]


def test_reorder_chance_with_the_default_gap():
    reorder = Reorder(25, 1, random.Random(31))
    n = 40_000
    assert sum(reorder.immediate() for _ in range(n)) in band(n, 25)


def test_reorder_gap_holds_back_the_frames_after_a_reordered_one():
    reorder = Reorder(50, 3, random.Random(32))
    picks = [i for i in range(10_000) if reorder.immediate()]
    assert picks[0] >= 2
    assert all(b - a >= 3 for a, b in itertools.pairwise(picks))


def test_corrupt_octet_changes_exactly_one_octet():
    rng = random.Random(41)
    for _ in range(500):
        frame = bytearray(range(64))
        corrupt_octet(frame, rng)
        assert sum(a != b for a, b in zip(frame, range(64), strict=True)) == 1
    empty = bytearray()
    corrupt_octet(empty, rng)
    assert empty == b""


def test_serializer_back_to_back_frames_finish_exactly_on_time():
    # 3,000,000 octets/s: a 1000-octet frame takes 333 1/3 microseconds, which no integer is.
    link = Serializer(3_000_000)
    start = 1_000_000
    finishes = [link.finish(start, 1000) for _ in range(300)]
    assert finishes == [start + k * 1000 * 1_000_000 // 3_000_000 for k in range(1, 301)]
    assert finishes[-1] == start + 100_000  # 300,000 octets in exactly 0.1 s
    # An idle link starts the next frame on arrival, owing nothing.
    assert link.finish(start + 500_000, 3) == start + 500_001


def test_serializer_overhead_counts_per_frame():
    link = Serializer(1_000_000, overhead=24)
    assert link.finish(0, 1476) == 1500
    assert link.serialisation_time(1476) == 1500


@settings(max_examples=200, deadline=None)
@given(
    rate=st.integers(1, 10**10),
    overhead=st.integers(0, 40),
    start=st.integers(0, 10**6),
    lengths=st.lists(st.integers(0, 65_535), min_size=1, max_size=50),
)
def test_serializer_finish_following_is_finish_for_each_frame_in_turn(
    rate, overhead, start, lengths
):
    """Frames queued behind the one being sent finish as `finish` gives them one by one,
    each offered while the link is still busy with the one before."""
    one = Serializer(rate, overhead)
    many = Serializer(rate, overhead)
    assert many.finish(start, lengths[0]) == one.finish(start, lengths[0])
    expected = [one.finish(one.busy_until - 1, length) for length in lengths[1:]]
    assert many.finish_following(lengths[1:]) == expected
    assert many.busy_until == one.busy_until
    # The carried fraction of a microsecond is the same too: the next frame agrees.
    assert many.finish(many.busy_until - 1, 1500) == one.finish(one.busy_until - 1, 1500)


@settings(max_examples=300, deadline=None)
@given(
    rate=st.integers(1, 10**10),
    overhead=st.integers(0, 40),
    steps=st.lists(st.tuples(st.integers(-3, 3000), st.integers(0, 65_535)), max_size=40),
)
def test_serializer_finish_next_is_finish_taken_back_to_back(rate, overhead, steps):
    """`finish_next` at ``now`` is `finish` at ``now``, or at the instant before when the
    frame before ends exactly at ``now`` (so its fraction of a microsecond carries over);
    the link's state agrees after every frame."""
    new = Serializer(rate, overhead)
    old = Serializer(rate, overhead)
    now = 0
    for gap, length in steps:
        # Anywhere around the end of the frame before: before it (still busy), at it, after.
        now = max(0, (old.busy_until if old.busy_until is not None else now) + gap - 1)
        at = now - 1 if old.busy_until == now else now
        assert new.finish_next(now, length) == old.finish(at, length)
        assert new.busy_until == old.busy_until


def test_serializer_finish_following_needs_a_frame_being_sent():
    with pytest.raises(ValueError, match="no frame"):
        Serializer(1_000_000).finish_following([1500])


@settings(max_examples=200, deadline=None)
@given(
    rate=st.integers(1, 10**9),
    frames=st.lists(st.tuples(st.integers(0, 5_000), st.integers(0, 65_535)), max_size=50),
)
def test_serializer_matches_exact_arithmetic(rate, frames):
    """Finish times are the floors of the exact (rational) finish times, busy periods kept."""
    link = Serializer(rate)
    now = 0
    exact: Fraction | None = None
    for gap, length in frames:
        now += gap
        got = link.finish(now, length)
        if exact is None or math.floor(exact) <= now:
            exact = Fraction(now)
        exact += Fraction(length * 1_000_000, rate)
        assert got == math.floor(exact)
        assert got >= now + link.serialisation_time(length)


def test_timed_queue_releases_by_due_time_and_arrival_order():
    q = TimedQueue(limit=10)
    for due, tag in [(30, b"c"), (10, b"a"), (30, b"d"), (20, b"b")]:
        assert q.push(due, bytearray(tag))
    assert q.next_due() == 10
    assert q.pop(9) is None
    assert [q.pop(100) for _ in range(4)] == [b"a", b"b", b"c", b"d"]
    assert q.pop(100) is None and q.next_due() is None


def test_timed_queue_drops_tail_at_either_bound():
    q = TimedQueue(limit=3, limit_octets=250)
    assert q.push(0, bytearray(100)) and q.push(0, bytearray(100))
    assert not q.push(0, bytearray(51))  # 251 octets
    assert q.push(0, bytearray(50))
    assert not q.push(0, bytearray(1))  # a fourth frame
    c = q.counters
    assert (c.arrivals, c.drops, c.queued, c.queued_octets) == (5, 2, 3, 250)
    with pytest.raises(ValueError, match="limit"):
        TimedQueue(0)
    with pytest.raises(ValueError, match="limit_octets"):
        TimedQueue(5, 0)


@settings(max_examples=200, deadline=None)
@given(
    limit=st.integers(1, 20),
    limit_octets=st.none() | st.integers(1, 5000),
    ops=st.lists(
        st.one_of(
            st.tuples(st.just("push"), st.integers(0, 1000), st.integers(0, 1500)),
            st.tuples(st.just("pop"), st.integers(0, 1000), st.just(0)),
        ),
        max_size=200,
    ),
)
def test_timed_queue_conserves_frames(limit, limit_octets, ops):
    q = TimedQueue(limit, limit_octets)
    for op, t, length in ops:
        if op == "push":
            q.push(t, bytearray(length))
        else:
            frame = q.pop(t)
            assert frame is None or len(frame) <= 1500
        c = q.counters
        assert c.arrivals == c.departures + c.drops + c.queued
        assert c.queued == len(q) <= limit
        assert limit_octets is None or c.queued_octets <= limit_octets
