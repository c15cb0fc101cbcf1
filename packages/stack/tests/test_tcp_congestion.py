"""Congestion control: Reno/NewReno (RFC 5681/6582), CUBIC (RFC 9438), the factory."""

from __future__ import annotations

import pytest

from smoltcp.stack.tcp.congestion import (
    CongestionController,
    Cubic,
    NoControl,
    Reno,
    initial_window,
    make_congestion_controller,
)
from smoltcp.stack.time import Duration, Instant

MSS = 1460
T0 = Instant.from_secs(10)
RTT = Duration.from_millis(10)


def test_initial_window_rfc6928() -> None:
    assert initial_window(1460) == 14600
    assert initial_window(536) == 5360
    assert initial_window(9000) == 18000  # max(2*MSS, 14600) caps 10 segments
    for cc in (Reno(), Cubic()):
        cc.set_mss(MSS)
        assert cc.cwnd == 14600
        assert cc.in_slow_start


def test_factory_by_name_and_instance() -> None:
    assert isinstance(make_congestion_controller(), Cubic)
    assert isinstance(make_congestion_controller("reno"), Reno)
    assert isinstance(make_congestion_controller("CUBIC"), Cubic)
    assert isinstance(make_congestion_controller("none"), NoControl)
    mine = Reno()
    assert make_congestion_controller(mine) is mine
    assert isinstance(mine, CongestionController)
    with pytest.raises(ValueError):
        make_congestion_controller("vegas")
    with pytest.raises(TypeError):
        make_congestion_controller(42)  # type: ignore[arg-type]


def test_set_mss_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Reno().set_mss(0)


def test_set_mss_after_ack_keeps_window() -> None:
    cc = Reno()
    cc.set_mss(MSS)
    cc.on_ack(T0, MSS, cc.cwnd, RTT)
    before = cc.cwnd
    cc.set_mss(1000)
    assert cc.cwnd == before


@pytest.mark.parametrize("cls", [Reno, Cubic])
def test_slow_start_grows_by_acked_bytes_even_for_stretch_acks(cls: type) -> None:
    cc = cls()
    cc.set_mss(MSS)
    w = cc.cwnd
    cc.on_ack(T0, MSS, w, RTT)
    assert cc.cwnd == w + MSS
    w = cc.cwnd
    cc.on_ack(T0, 5 * MSS, w, RTT)  # a stretch ACK of a whole burst: the window doubles
    assert cc.cwnd == w + 5 * MSS


@pytest.mark.parametrize("cls", [Reno, Cubic])
def test_no_growth_when_application_limited(cls: type) -> None:
    cc = cls()
    cc.set_mss(MSS)
    w = cc.cwnd
    cc.on_ack(T0, MSS, MSS, RTT)  # one segment in flight of a 10-segment window
    assert cc.cwnd == w


def test_reno_halves_on_fast_recovery_and_deflates_on_exit() -> None:
    cc = Reno()
    cc.set_mss(MSS)
    cc.on_congestion_event(T0, 20 * MSS)
    assert cc.ssthresh == 10 * MSS
    assert cc.cwnd == 10 * MSS
    assert not cc.in_slow_start
    cc.on_recovery_exit(T0)
    assert cc.cwnd == 10 * MSS


def test_reno_ssthresh_floor_is_two_segments() -> None:
    cc = Reno()
    cc.set_mss(MSS)
    cc.on_congestion_event(T0, MSS)
    assert cc.ssthresh == 2 * MSS


def test_reno_congestion_avoidance_one_segment_per_window() -> None:
    cc = Reno()
    cc.set_mss(MSS)
    cc.on_congestion_event(T0, 20 * MSS)  # cwnd = ssthresh = 10 segments
    w = cc.cwnd
    # Nine segments of ACKs: less than one window, no growth.
    for _ in range(9):
        cc.on_ack(T0, MSS, w, RTT)
    assert cc.cwnd == w
    cc.on_ack(T0, MSS, w, RTT)
    assert cc.cwnd == w + MSS


def test_reno_rto_sets_loss_window_and_keeps_ssthresh_on_repeat() -> None:
    cc = Reno()
    cc.set_mss(MSS)
    cc.on_rto(T0, 40 * MSS)
    assert cc.cwnd == MSS
    assert cc.ssthresh == 20 * MSS
    # The same data times out again: ssthresh is held (RFC 5681 3.1).
    cc.on_rto(T0, MSS)
    assert cc.ssthresh == 20 * MSS
    # Slow start back towards ssthresh, then a fresh RTO recomputes it.
    cc.on_ack(T0, MSS, MSS, RTT)
    assert cc.cwnd == 2 * MSS
    cc.on_rto(T0, 8 * MSS)
    assert cc.ssthresh == 4 * MSS


def test_slow_start_stops_at_ssthresh_and_carries_over() -> None:
    cc = Reno()
    cc.set_mss(MSS)
    cc.on_rto(T0, 22 * MSS)  # ssthresh 11 segments, cwnd 1
    for _ in range(9):
        cc.on_ack(T0, MSS, cc.cwnd, RTT)
    assert cc.cwnd == 10 * MSS
    cc.on_ack(T0, 2 * MSS, cc.cwnd, RTT)
    assert cc.cwnd == 11 * MSS
    assert not cc.in_slow_start


def test_cubic_reduces_by_beta_and_remembers_w_max() -> None:
    cc = Cubic()
    cc.set_mss(MSS)
    cc.on_congestion_event(T0, 100 * MSS)
    # flight (100 segments) > cwnd (10): the cwnd is what was in use.
    assert cc.w_max == 10 * MSS
    assert cc.ssthresh == 7 * MSS
    assert cc.cwnd == 7 * MSS


def _slow_start_to(cc: Cubic, segments: int) -> None:
    """Grow ``cc`` in slow start (one ACK per segment, a steady RTT) to ``segments`` MSS."""
    while cc.cwnd < segments * MSS:
        cc.on_ack(T0, MSS, cc.cwnd, RTT)
    assert cc.cwnd == segments * MSS and cc.in_slow_start


def _grow(cc: Cubic, start: Instant, seconds: float, rtt: Duration) -> Instant:
    """Feed one ACK per segment, a window per RTT, for ``seconds``; return the end time."""
    now = start
    end = start + Duration.from_secs(seconds)
    while now < end:
        segs = max(1, cc.cwnd // MSS)
        for _ in range(segs):
            cc.on_ack(now, MSS, cc.cwnd, rtt)
        now = now + rtt
    return now


def test_cubic_curve_returns_to_w_max_around_k() -> None:
    cc = Cubic()
    cc.set_mss(MSS)
    # Build a large window, then lose: W_max = 100 segments.
    _slow_start_to(cc, 100)
    cc.on_congestion_event(T0, 100 * MSS)
    assert cc.cwnd == 70 * MSS
    cc.on_recovery_exit(T0)
    # K = cbrt(W_max * (1 - beta) / C) = cbrt(30 / 0.4) ~ 4.2 s.
    rtt = Duration.from_millis(100)
    end = _grow(cc, T0, 3.0, rtt)
    assert 70 * MSS < cc.cwnd < 100 * MSS  # concave region, below the plateau
    _grow(cc, end, 1.5, rtt)
    assert 95 * MSS <= cc.cwnd <= 106 * MSS  # about W_max at t ~ K
    _grow(cc, end + Duration.from_secs(1.5), 2.5, rtt)
    assert cc.cwnd > 110 * MSS  # convex region: probing beyond W_max


def test_cubic_fast_convergence_lowers_w_max() -> None:
    cc = Cubic()
    cc.set_mss(MSS)
    _slow_start_to(cc, 100)
    cc.on_congestion_event(T0, 100 * MSS)  # W_max 100
    cc.on_recovery_exit(T0)
    cc.on_congestion_event(T0, 100 * MSS)  # lost again at 70 < W_max
    assert cc.w_max == int(70 * 1.7 / 2 * MSS)


def test_cubic_reno_friendly_region_on_short_rtt() -> None:
    # With tiny RTTs the cubic curve grows slower than Reno would: W_est takes over.
    cc = Cubic()
    cc.set_mss(MSS)
    _slow_start_to(cc, 20)
    cc.on_congestion_event(T0, 20 * MSS)
    cc.on_recovery_exit(T0)
    rtt = Duration.from_micros(100)
    _grow(cc, T0, 0.01, rtt)  # 100 RTTs
    # Reno-friendly: about alpha_cubic (0.53) segments per RTT from 14 segments.
    assert cc.cwnd > 40 * MSS


def test_cubic_rto_collapses_to_one_segment() -> None:
    cc = Cubic()
    cc.set_mss(MSS)
    cc.on_rto(T0, 10 * MSS)
    assert cc.cwnd == MSS
    assert cc.ssthresh == 7 * MSS
    cc.on_rto(T0, MSS)
    assert cc.ssthresh == 7 * MSS


def test_none_is_unlimited() -> None:
    cc = NoControl()
    cc.set_mss(MSS)
    big = cc.cwnd
    assert big > 1 << 30
    cc.on_congestion_event(T0, 10 * MSS)
    cc.on_rto(T0, 10 * MSS)
    assert cc.cwnd == big


def test_reset_restores_fresh_state() -> None:
    cc = Cubic()
    cc.set_mss(MSS)
    cc.on_rto(T0, 10 * MSS)
    cc.reset()
    assert cc.cwnd == 14600
    assert cc.in_slow_start


def _slow_start_rounds(cc: Cubic | Reno, rtts_ms: list[float], start: Instant = T0) -> Instant:
    """Feed one round per entry: a window of ACKs of one segment each, with that RTT."""
    now = start
    for rtt_ms in rtts_ms:
        rtt = Duration.from_micros(int(rtt_ms * 1000))
        acks = max(cc.cwnd // MSS, 10)
        step = Duration(rtt.micros // acks)
        for _ in range(acks):
            cc.on_ack(now, MSS, cc.cwnd, rtt)
            now = now + step
    return now


def test_hystart_keeps_slow_start_while_the_delay_is_flat() -> None:
    cc = Cubic()
    cc.set_mss(MSS)
    _slow_start_rounds(cc, [10, 10, 10, 10])
    assert cc.hystart_phase == "slow start"
    assert cc.cwnd == 14600 * 16  # doubled each round
    assert cc.in_slow_start


def test_hystart_enters_css_on_delay_increase_then_ends_slow_start() -> None:
    cc = Cubic()
    cc.set_mss(MSS)
    now = _slow_start_rounds(cc, [10, 10])
    assert cc.hystart_phase == "slow start"
    # The queue builds: min RTT rises by more than max(4 ms, 10 ms / 8).
    now = _slow_start_rounds(cc, [20], now)
    assert cc.hystart_phase == "css"
    w = cc.cwnd
    now = _slow_start_rounds(cc, [20], now)
    assert w < cc.cwnd <= w * 1.3  # a quarter of slow start's growth
    _slow_start_rounds(cc, [20] * 5, now)
    assert cc.hystart_phase == "done"
    assert not cc.in_slow_start
    assert cc.ssthresh <= cc.cwnd


def test_hystart_css_returns_to_slow_start_when_delay_drops() -> None:
    cc = Cubic()
    cc.set_mss(MSS)
    now = _slow_start_rounds(cc, [10, 10, 20])
    assert cc.hystart_phase == "css"
    _slow_start_rounds(cc, [10], now)
    assert cc.hystart_phase == "slow start"


def test_hystart_small_delay_jitter_is_ignored_and_loss_ends_it() -> None:
    cc = Cubic()
    cc.set_mss(MSS)
    _slow_start_rounds(cc, [10, 10, 13])  # +3 ms < MIN_RTT_THRESH (4 ms)
    assert cc.hystart_phase == "slow start"
    cc.on_congestion_event(T0, cc.cwnd)
    assert cc.hystart_phase == "done"


def test_reno_has_no_hystart_unless_asked() -> None:
    cc = Reno()
    cc.set_mss(MSS)
    assert cc.hystart_phase == "done"
    _slow_start_rounds(cc, [10, 10, 30, 30])
    assert cc.in_slow_start
    assert Reno(hystart=True).hystart_phase == "slow start"
