"""Maximum-likelihood Elo: known ratings recovered, intervals shrink with games, sweeps finite."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zerogo.elo import (
    PairResult,
    bootstrap_intervals,
    expected_score,
    fit_elo,
    score_matrix,
)
from zerogo.stats import elo_from_score

TRUE = {"random": 0.0, "mcts": 450.0, "pg": 150.0, "dqn": 100.0, "az": 600.0}


def simulate(games_per_pair: int, seed: int, draw_rate: float = 0.0) -> list[PairResult]:
    """Round robin among TRUE's players with outcomes drawn from the model."""
    rng = np.random.default_rng(seed)
    names = list(TRUE)
    results = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            p = expected_score(TRUE[a], TRUE[b])
            # a draw takes half of its probability from each side, so the score stays p
            draw = draw_rate * 2 * min(p, 1 - p)
            outcome = rng.multinomial(games_per_pair, [p - draw / 2, 1 - p - draw / 2, draw])
            results.append(PairResult(a, b, int(outcome[0]), int(outcome[1]), int(outcome[2])))
    return results


@pytest.mark.parametrize("draw_rate", [0.0, 0.1])
def test_recovers_known_ratings(draw_rate: float) -> None:
    fit = fit_elo(list(TRUE), simulate(2000, seed=1, draw_rate=draw_rate), "random",
                  prior_draws=0)
    for name, rating in TRUE.items():
        assert fit.rating(name) == pytest.approx(rating, abs=30), name
        low, high = fit.interval(name)
        if name != "random":
            assert low < fit.rating(name) < high
    assert fit.rating("random") == 0 and fit.interval("random") == (0.0, 0.0)
    assert fit.ranking() == ["az", "mcts", "pg", "dqn", "random"]
    assert (fit.games == 4 * 2000).all()


def test_intervals_cover_the_truth_about_95_percent_of_the_time() -> None:
    covered = total = 0
    for seed in range(40):
        fit = fit_elo(list(TRUE), simulate(100, seed), "random", prior_draws=0)
        for name, rating in TRUE.items():
            if name != "random":
                low, high = fit.interval(name)
                covered += low <= rating <= high
                total += 1
    assert 0.88 <= covered / total <= 0.99


def test_intervals_shrink_with_more_games() -> None:
    widths = []
    for games in (20, 80, 320):
        fit = fit_elo(list(TRUE), simulate(games, seed=2), "random")
        widths.append(fit.high - fit.low)
    for fewer, more in zip(widths, widths[1:], strict=False):
        assert (more[1:] < fewer[1:]).all()
    # four times the games: about half the width
    ratio = widths[2][1:] / widths[1][1:]
    assert np.all((ratio > 0.35) & (ratio < 0.65))


def test_two_players_match_the_closed_form() -> None:
    fit = fit_elo(["a", "b"], [PairResult("a", "b", 30, 10, 0)], "b", prior_draws=0)
    assert fit.rating("a") == pytest.approx(elo_from_score(0.75), abs=1e-6)
    # observed information of a binomial log-odds: var = 1 / (n p (1 - p)), in Elo units
    sd = 400 / math.log(10) / math.sqrt(40 * 0.75 * 0.25)
    assert fit.stderr[0] == pytest.approx(sd, rel=1e-6)
    # draws count half: 20 wins, 20 draws score as 30 of 40
    drawn = fit_elo(["a", "b"], [PairResult("a", "b", 20, 0, 20)], "b", prior_draws=0)
    assert drawn.rating("a") == pytest.approx(fit.rating("a"), abs=1e-6)


def test_a_clean_sweep_is_finite_with_the_prior_and_refused_without() -> None:
    results = [PairResult("mcts", "random", 10, 0), PairResult("pg", "random", 6, 4),
               PairResult("mcts", "pg", 10, 0)]
    fit = fit_elo(["random", "mcts", "pg"], results, "random", prior_draws=1.0)
    assert np.isfinite(fit.ratings).all() and fit.rating("mcts") > fit.rating("pg") > 0
    # one virtual draw: 10.5 of 11 against random alone would put mcts at +528
    assert 400 < fit.rating("mcts") < 800
    with pytest.raises(ValueError, match="clean sweep"):
        fit_elo(["random", "mcts", "pg"], results, "random", prior_draws=0)
    # a loss of the sweeper to anyone makes the plain estimate exist again
    results[2] = PairResult("mcts", "pg", 9, 1)
    plain = fit_elo(["random", "mcts", "pg"], results, "random", prior_draws=0)
    assert np.isfinite(plain.ratings).all() and plain.rating("mcts") > plain.rating("pg")


def test_refuses_what_has_no_rating() -> None:
    with pytest.raises(ValueError, match="link"):
        fit_elo(["a", "b", "c"], [PairResult("a", "b", 1, 1)])
    with pytest.raises(ValueError, match="unknown player"):
        fit_elo(["a", "b"], [PairResult("a", "z", 1, 1)])
    with pytest.raises(ValueError, match="anchor"):
        fit_elo(["a", "b"], [PairResult("a", "b", 1, 1)], anchor="z")
    with pytest.raises(ValueError, match="two players"):
        fit_elo(["a"], [])
    with pytest.raises(ValueError):
        PairResult("a", "a", 1, 1)
    with pytest.raises(ValueError):
        PairResult("a", "b", -1, 1)


def test_score_matrix_adds_up_repeated_pairs_from_either_side() -> None:
    scores, games = score_matrix(["a", "b"], [PairResult("a", "b", 3, 1, 2),
                                              PairResult("b", "a", 1, 0, 0)])
    assert scores[0, 1] == 4.0 and scores[1, 0] == 3.0
    assert games[0, 1] == games[1, 0] == 7


def test_bootstrap_intervals_agree_with_the_fisher_intervals() -> None:
    results = simulate(200, seed=3)
    fit = fit_elo(list(TRUE), results, "random")
    low, high = bootstrap_intervals(fit, results, samples=200, seed=0)
    assert low[0] == high[0] == 0.0
    fisher = fit.high - fit.low
    boot = high - low
    assert np.all(np.abs(boot[1:] / fisher[1:] - 1) < 0.3)
    assert np.all((low <= fit.ratings + 1e-9) & (fit.ratings <= high + 1e-9))
