"""RFC 6298 RTT estimation: SRTT/RTTVAR arithmetic, clamping, back-off, Karn helper."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smoltcp.stack.tcp.rtt import RttEstimator
from smoltcp.stack.time import Duration, Instant

ms = Duration.from_millis


def test_initial_rto_is_one_second_before_any_sample() -> None:
    est = RttEstimator()
    assert est.srtt is None
    assert est.rto == Duration.from_secs(1)
    assert est.backoff == 0


def test_first_sample_sets_srtt_and_half_rttvar() -> None:
    # RFC 6298 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4*RTTVAR).
    est = RttEstimator(min_rto=ms(1))
    est.sample(ms(100))
    assert est.srtt == ms(100)
    assert est.rttvar == ms(50)
    assert est.rto == ms(300)


def test_subsequent_samples_use_alpha_one_eighth_beta_one_quarter() -> None:
    est = RttEstimator(min_rto=ms(1))
    est.sample(ms(100))
    est.sample(ms(200))
    # RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5
    assert est.rttvar == Duration(62_500)
    assert est.srtt == Duration(112_500)
    assert est.rto == Duration(112_500 + 4 * 62_500)


def test_granularity_bounds_the_variance_term() -> None:
    est = RttEstimator(min_rto=Duration(1), granularity=ms(10))
    for _ in range(50):
        est.sample(ms(5))
    # RTTVAR decays towards 0; the G term keeps RTO >= SRTT + G.
    assert est.rto >= ms(15)
    assert est.rto < ms(16)


def test_min_rto_default_200ms_clamps() -> None:
    est = RttEstimator()
    est.sample(ms(1))
    assert est.rto == ms(200)
    est.min_rto = ms(50)
    assert est.rto == ms(50)


def test_max_rto_clamps_large_samples() -> None:
    est = RttEstimator()
    est.sample(Duration.from_secs(100))
    assert est.rto == Duration.from_secs(60)


def test_timeout_doubles_then_caps_and_sample_clears_backoff() -> None:
    est = RttEstimator()
    est.sample(ms(100))  # RTO 300 ms
    est.on_timeout()
    assert est.rto == ms(600)
    est.on_timeout()
    assert est.rto == ms(1200)
    for _ in range(20):
        est.on_timeout()
    assert est.rto == Duration.from_secs(60)
    assert est.backoff < 20  # stops counting once capped
    est.sample(ms(100))
    assert est.backoff == 0
    assert est.rto < ms(600)


def test_backoff_doubles_the_clamped_rto() -> None:
    # RFC 6298 2.4 then 5.5: a 10 ms RTT with min 200 ms backs off to 400 ms, not 40 ms.
    est = RttEstimator()
    est.sample(ms(10))
    est.on_timeout()
    assert est.rto == ms(400)


def test_reset_forgets_everything() -> None:
    est = RttEstimator()
    est.sample(ms(100))
    est.on_timeout()
    est.reset()
    assert est.srtt is None
    assert est.rto == Duration.from_secs(1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_rto": Duration.ZERO},
        {"max_rto": Duration(-1)},
        {"min_rto": Duration.from_secs(2), "max_rto": Duration.from_secs(1)},
    ],
)
def test_bad_configuration_raises_value_error(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        RttEstimator(**kwargs)


def test_non_duration_raises_type_error() -> None:
    with pytest.raises(TypeError):
        RttEstimator(min_rto=200)  # type: ignore[arg-type]
    est = RttEstimator()
    with pytest.raises(TypeError):
        est.min_rto = 0.2  # type: ignore[assignment]


def test_samples_spanning_a_timeout_are_refused_when_told_the_time() -> None:
    # A timestamp echo of a segment sent before the RTO (the ACK was lost, the receiver
    # echoes its old TS.Recent) would measure the timeout itself.
    est = RttEstimator()
    est.sample(ms(10))
    t = Instant.from_secs(100)
    est.on_timeout(t)
    assert est.backoff == 1
    assert not est.sample(ms(450), t + ms(250))  # sent at t - 200 ms: before the timeout
    assert est.srtt == ms(10)
    assert est.backoff == 1  # no valid sample: the back-off stays (RFC 6298 5.7)
    assert est.sample(ms(5), t + ms(250))  # sent after the timeout: a real measurement
    assert est.backoff == 0
    assert est.srtt == Duration(10_000 + (5_000 - 10_000) // 8)


def test_samples_without_time_are_taken_as_before() -> None:
    est = RttEstimator()
    est.on_timeout()
    assert est.sample(ms(3000))
    assert est.srtt == ms(3000)


@given(
    st.lists(st.tuples(st.integers(-1000, 5_000_000), st.booleans(), st.booleans()), max_size=30)
)
def test_sample_us_is_sample_in_microseconds(steps: list[tuple[int, bool, bool]]) -> None:
    # The per-ACK path feeds integers; the outcome must be that of `sample` with Durations,
    # through time-outs (and the refusals they cause) and back-off.
    a, b = RttEstimator(), RttEstimator()
    now = 10_000_000
    for r, timeout, timed in steps:
        now += 100_000
        if timeout:
            a.on_timeout(Instant(now))
            b.on_timeout(Instant(now))
            now += 1
        took_a = a.sample(Duration(r), Instant(now) if timed else None)
        took_b = b.sample_us(r, now if timed else None)
        assert took_a == took_b
        assert (a.srtt, a.rttvar, a.rto, a.backoff, a.min_rtt_us) == (
            b.srtt,
            b.rttvar,
            b.rto,
            b.backoff,
            b.min_rtt_us,
        )


def test_sample_us_follows_rfc_6298_and_the_rto_tracks_every_change() -> None:
    est = RttEstimator(min_rto=ms(1))
    assert est.sample_us(100_000)
    assert (est.srtt, est.rttvar, est.rto) == (ms(100), ms(50), ms(300))
    est.sample_us(100_000)  # SRTT stays, RTTVAR shrinks: the RTO moves
    assert (est.srtt, est.rttvar, est.rto) == (ms(100), Duration(37_500), ms(250))
    est.min_rto = ms(400)  # the floor now decides; samples that keep it keep it
    est.sample_us(100_000)
    assert est.rto == ms(400)
    est.sample_us(2_000_000)
    assert est.rto > ms(400)
    est.on_timeout(Instant.from_secs(100))
    assert not est.sample_us(500_000, Instant.from_secs(100).micros + 1000)
