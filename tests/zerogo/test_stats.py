"""Tests of zerogo.stats against known values and independent formulas."""

from __future__ import annotations

import math

import pytest

from zerogo.stats import (
    Z95,
    elo_from_score,
    elo_interval,
    score_from_elo,
    sprt,
    sprt_bounds,
    sprt_llr,
    wilson_interval,
)

# wins, n, expected (low, high): textbook Wilson 95 % intervals
WILSON_CASES = [
    (50, 100, (0.4038, 0.5962)),
    (0, 10, (0.0, 0.2775)),
    (10, 10, (0.7225, 1.0)),
    (8, 10, (0.4902, 0.9433)),
    (1, 1, (0.2065, 1.0)),
]


@pytest.mark.parametrize(("wins", "n", "expected"), WILSON_CASES)
def test_wilson_interval_known_values(wins: int, n: int, expected: tuple[float, float]) -> None:
    low, high = wilson_interval(wins, n)
    assert low == pytest.approx(expected[0], abs=5e-4)
    assert high == pytest.approx(expected[1], abs=5e-4)


def test_wilson_interval_is_symmetric_and_narrows_with_games() -> None:
    low, high = wilson_interval(30, 100)
    mirror_low, mirror_high = wilson_interval(70, 100)
    assert low == pytest.approx(1 - mirror_high)
    assert high == pytest.approx(1 - mirror_low)
    assert wilson_interval(300, 1000)[1] - wilson_interval(300, 1000)[0] < high - low
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(5, 10, z=0.0) == pytest.approx((0.5, 0.5))


@pytest.mark.parametrize(("wins", "n", "z"), [(-1, 10, Z95), (11, 10, Z95), (5, 10, -1.0)])
def test_wilson_interval_rejects_bad_input(wins: int, n: int, z: float) -> None:
    with pytest.raises(ValueError):
        wilson_interval(wins, n, z)


# score, Elo: the logistic Elo table
ELO_CASES = [(0.5, 0.0), (0.76, 200.2), (0.24, -200.2), (0.64, 99.9), (0.9091, 400.0)]


@pytest.mark.parametrize(("score", "elo"), ELO_CASES)
def test_elo_from_score_known_values(score: float, elo: float) -> None:
    assert elo_from_score(score) == pytest.approx(elo, abs=0.1)
    assert score_from_elo(elo_from_score(score)) == pytest.approx(score)


def test_elo_from_score_extremes_and_errors() -> None:
    assert elo_from_score(1.0) == math.inf
    assert elo_from_score(0.0) == -math.inf
    for bad in (-0.1, 1.1):
        with pytest.raises(ValueError):
            elo_from_score(bad)


def test_elo_interval_even_match() -> None:
    elo, low, high = elo_interval(50, 0, 100)
    assert elo == pytest.approx(0.0)
    assert low == pytest.approx(-67.7, abs=0.2)
    assert high == pytest.approx(67.7, abs=0.2)


def test_elo_interval_counts_draws_half() -> None:
    assert elo_interval(40, 20, 100) == pytest.approx(elo_interval(50, 0, 100))


def test_elo_interval_sweep_is_open_on_one_side_only() -> None:
    elo, low, high = elo_interval(10, 0, 10)
    assert elo == math.inf and high == math.inf
    assert low == pytest.approx(elo_from_score(0.7225), abs=1.0)
    assert elo_interval(0, 0, 0) == (0.0, -math.inf, math.inf)
    with pytest.raises(ValueError):
        elo_interval(8, 3, 10)


def test_sprt_bounds_known_values() -> None:
    lower, upper = sprt_bounds(0.05, 0.05)
    assert lower == pytest.approx(-math.log(19))
    assert upper == pytest.approx(math.log(19))
    with pytest.raises(ValueError):
        sprt_bounds(0.6, 0.5)


def _binomial_llr(wins: int, losses: int, elo0: float, elo1: float) -> float:
    """The exact log-likelihood ratio of draw-free results (independent oracle)."""
    s0, s1 = score_from_elo(elo0), score_from_elo(elo1)
    return wins * math.log(s1 / s0) + losses * math.log((1 - s1) / (1 - s0))


@pytest.mark.parametrize(
    ("wins", "losses", "elo0", "elo1"),
    [(60, 40, 0.0, 20.0), (45, 55, 0.0, 20.0), (520, 480, 0.0, 10.0), (300, 200, 50.0, 70.0)],
)
def test_sprt_llr_matches_exact_binomial_llr_for_small_elo_gaps(
    wins: int, losses: int, elo0: float, elo1: float
) -> None:
    approx = sprt_llr(wins, 0, losses, elo0, elo1)
    exact = _binomial_llr(wins, losses, elo0, elo1)
    assert approx == pytest.approx(exact, rel=0.05)


def test_sprt_llr_known_value() -> None:
    # 60-40, H0: 0 Elo, H1: 50 Elo: (s1 - s0)(2p - s0 - s1) / (2 var / n)
    s1 = score_from_elo(50.0)
    expected = (s1 - 0.5) * (1.2 - 0.5 - s1) / (2 * 0.24 / 100)
    assert sprt_llr(60, 0, 40, 0.0, 50.0) == pytest.approx(expected)
    assert expected == pytest.approx(1.91, abs=0.01)


def test_sprt_llr_sign_and_degenerate_cases() -> None:
    assert sprt_llr(0, 0, 0, 0.0, 35.0) == 0.0
    assert sprt_llr(30, 0, 70, 0.0, 35.0) < 0 < sprt_llr(70, 0, 30, 0.0, 35.0)
    sweep = sprt_llr(5, 0, 0, 0.0, 35.0)
    assert 0 < sweep < math.inf
    assert sprt_llr(0, 5, 0, 0.0, 35.0) < 0  # five draws speak for 0 Elo, not 35
    with pytest.raises(ValueError):
        sprt_llr(-1, 0, 0, 0.0, 35.0)


def test_sprt_decisions() -> None:
    assert sprt(600, 0, 400, 0.0, 35.0).decision == "H1"
    assert sprt(480, 40, 480, 0.0, 35.0).decision == "H0"
    undecided = sprt(11, 0, 9, 0.0, 35.0)
    assert undecided.decision is None
    assert undecided.lower < undecided.llr < undecided.upper
