"""Instant and Duration: construction, conversions, arithmetic, ordering, hashing, printing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smoltcp.stack.time import Duration, Instant

micros = st.integers(-(2**62), 2**62)


# -- construction and conversions --------------------------------------------------------------


def test_constructors_agree() -> None:
    assert Instant.from_micros(1_500_000) == Instant.from_millis(1500) == Instant.from_secs(1.5)
    assert Duration.from_micros(2_000) == Duration.from_millis(2) == Duration.from_secs(0.002)
    assert Instant(7).micros == 7


def test_fractional_inputs_round_to_a_microsecond() -> None:
    assert Duration.from_millis(0.0004).micros == 0
    assert Duration.from_millis(0.0006).micros == 1
    assert Instant.from_secs(1e-6).micros == 1
    assert Duration.from_secs(0.1).micros == 100_000  # not 99_999 (float error)


def test_constructor_truncates_floats_to_int() -> None:
    assert Instant(3.9).micros == 3
    assert type(Duration(2.0).micros) is int


def test_totals() -> None:
    d = Duration.from_micros(2_345_678)
    assert d.total_micros() == 2_345_678
    assert d.total_millis() == 2_345
    assert d.total_secs() == pytest.approx(2.345678)
    i = Instant.from_micros(2_345_678)
    assert i.total_micros() == 2_345_678
    assert i.total_millis() == 2_345
    assert i.total_secs() == pytest.approx(2.345678)


def test_secs_and_millis_parts() -> None:
    i = Instant.from_micros(62_345_678)
    assert (i.secs, i.millis) == (62, 345)
    d = Duration.from_micros(62_345_678)
    assert (d.secs, d.millis) == (62, 345)


def test_negative_values_round_down() -> None:
    d = Duration(-1500)
    assert d.total_millis() == -2
    assert Instant(-1).secs == -1


def test_constants() -> None:
    assert Instant(0) == Instant.ZERO
    assert Duration(0) == Duration.ZERO
    assert Duration.MAX.micros == 2**63 - 1
    assert Duration.ZERO < Duration.MAX


# -- arithmetic --------------------------------------------------------------------------------


def test_instant_and_duration_arithmetic() -> None:
    t = Instant.from_millis(1000)
    d = Duration.from_millis(250)
    assert t + d == Instant.from_millis(1250)
    assert d + t == Instant.from_millis(1250)
    assert t - d == Instant.from_millis(750)
    assert (t + d) - t == d
    assert t - (t + d) == Duration.from_millis(-250)
    assert type(t - t) is Duration
    assert type(t - d) is Instant


def test_duration_arithmetic() -> None:
    d = Duration.from_millis(300)
    assert d + d == Duration.from_millis(600)
    assert d - Duration.from_millis(100) == Duration.from_millis(200)
    assert d * 3 == 3 * d == Duration.from_millis(900)
    assert d // 4 == Duration.from_micros(75_000)
    assert Duration(7) // 2 == Duration(3)


@pytest.mark.parametrize(
    "operation",
    [
        lambda: Instant(1) + Instant(2),
        lambda: Instant(1) + 5,
        lambda: 5 + Instant(1),
        lambda: Instant(1) - 5,
        lambda: Duration(1) - Instant(1),
        lambda: Duration(1) + 5,
        lambda: Duration(1) * 1.5,
        lambda: Duration(1) * Duration(2),
        lambda: Duration(1) // 1.5,
        lambda: Instant(1) * 2,
    ],
)
def test_meaningless_arithmetic_raises_type_error(operation) -> None:
    with pytest.raises(TypeError):
        operation()


@given(a=micros, b=micros, c=micros)
def test_arithmetic_matches_integers(a: int, b: int, c: int) -> None:
    t, d, e = Instant(a), Duration(b), Duration(c)
    assert (t + d).micros == a + b
    assert (t - d).micros == a - b
    assert (t - Instant(c)).micros == a - c
    assert (d + e).micros == b + c
    assert (t + d) + e == t + (d + e)
    assert (t + d) - d == t


@given(a=micros, factor=st.integers(-1000, 1000), divisor=st.integers(1, 1000))
def test_scaling_matches_integers(a: int, factor: int, divisor: int) -> None:
    assert (Duration(a) * factor).micros == a * factor
    assert (Duration(a) // divisor).micros == a // divisor


# -- comparisons and hashing -------------------------------------------------------------------


@given(a=micros, b=micros)
def test_ordering_matches_integers(a: int, b: int) -> None:
    for cls in (Instant, Duration):
        x, y = cls(a), cls(b)
        assert (x < y) == (a < b)
        assert (x <= y) == (a <= b)
        assert (x > y) == (a > b)
        assert (x >= y) == (a >= b)
        assert (x == y) == (a == b)
        assert (x != y) == (a != b)


def test_sorting_and_min_max() -> None:
    times = [Instant(3), Instant(1), Instant(2)]
    assert sorted(times) == [Instant(1), Instant(2), Instant(3)]
    assert min(times) == Instant(1) and max(times) == Instant(3)


def test_instants_and_durations_never_compare_equal() -> None:
    assert Instant(5) != Duration(5)
    assert Instant(5) != 5
    assert Duration(5) != 5


def test_hash_follows_equality() -> None:
    assert hash(Instant(5)) == hash(Instant.from_micros(5))
    assert len({Instant(5), Instant(5), Instant(6)}) == 2
    assert len({Duration(5), Instant(5)}) == 2
    assert {Duration.from_millis(1): "a"}[Duration(1000)] == "a"


def test_truthiness_of_durations() -> None:
    assert not Duration.ZERO
    assert Duration(1)
    assert Duration(-1)


def test_no_per_instance_dict() -> None:
    with pytest.raises(AttributeError):
        Instant(1).other = 2  # type: ignore[attr-defined]


# -- printing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0s"),
        (1_500_000, "1.5s"),
        (2_000_000, "2s"),
        (1, "0.000001s"),
        (1_234_567, "1.234567s"),
        (120_250_000, "120.25s"),
        (-1_500_000, "-1.5s"),
        (-1, "-0.000001s"),
    ],
)
def test_str_and_repr(value: int, text: str) -> None:
    assert str(Duration(value)) == text
    assert str(Instant(value)) == text
    assert repr(Duration(value)) == f"Duration({text})"
    assert repr(Instant(value)) == f"Instant({text})"
