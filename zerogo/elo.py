"""Elo ratings of many players by maximum likelihood (the Bradley-Terry model).

Notation: players ``i = 0 .. P-1`` with ratings ``r_i`` in Elo points; for a pair
``(i, j)``: ``n_ij`` games, ``s_ij`` the score of ``i`` (wins + draws / 2, so
``s_ij + s_ji = n_ij``).  The model (logistic Elo, as ``zerogo.stats``) gives ``i``
the expected score

    p_ij = 1 / (1 + 10 ** (-(r_i - r_j) / 400))

and the log-likelihood of the results is

    log L(r) = sum_{i<j}  s_ij log p_ij + s_ji log p_ji

(a draw counts as half a win and half a loss).  Ratings are defined up to a
constant: the ``anchor`` player is fixed at 0 and the others are fitted by Newton's
method, which converges in a few steps because log L is concave.

Two things the plain maximum-likelihood estimate needs help with:

* **Clean sweeps.**  If some group of players never lost to the rest, the
  likelihood keeps rising as the gap grows and the estimate is infinite (it exists
  only when the "scored against" graph is strongly connected: Zermelo, Ford).  The
  ``prior_draws`` option adds that many virtual drawn games to every pair that
  played (BayesElo's "virtual draws" prior), which keeps every estimate finite and
  moves well-measured ratings only a little; ``prior_draws=0`` is the plain MLE and
  raises ``ValueError`` when it does not exist.
* **Uncertainty.**  95% intervals come from the observed Fisher information (the
  negative Hessian of log L at the estimate, anchor removed): ``r_i +- z sd_i`` with
  ``sd_i^2`` the diagonal of its inverse, i.e. the uncertainty of ``r_i`` relative to
  the anchor (the anchor's own interval is ``[0, 0]``).  ``bootstrap_intervals``
  gives percentile intervals from resampled games instead.

Start reading at ``fit_elo``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from zerogo.stats import Z95

ELO_SCALE = 400.0 / math.log(10.0)
"""Elo points per natural-log unit of odds: ``p = 1 / (1 + exp(-(r_i - r_j) / ELO_SCALE))``."""


@dataclass(frozen=True)
class PairResult:
    """The games between two players, from the first one's side.

    Attributes:
        first: name of one player.
        second: name of the other.
        wins: games ``first`` won.
        losses: games ``first`` lost.
        draws: drawn games.

    Raises:
        ValueError: for negative counts or a player paired with itself.
    """

    first: str
    second: str
    wins: int
    losses: int
    draws: int = 0

    def __post_init__(self) -> None:
        if min(self.wins, self.losses, self.draws) < 0:
            raise ValueError(f"counts must not be negative: {self}")
        if self.first == self.second:
            raise ValueError(f"{self.first} cannot play itself")

    @property
    def games(self) -> int:
        """Games played."""
        return self.wins + self.losses + self.draws


@dataclass(frozen=True)
class EloFit:
    """Fitted ratings with their 95% intervals.

    Attributes:
        players: the names, in the order of the arrays below.
        ratings: float (P,) Elo, the anchor at 0.
        low: float (P,) lower ends of the intervals.
        high: float (P,) upper ends.
        stderr: float (P,) standard errors (0 for the anchor).
        games: int (P,) games each player played.
        anchor: the player fixed at 0.
        prior_draws: the virtual draws added per pair that played.
        log_likelihood: log L of the results at the estimate (prior excluded).
        iterations: Newton steps taken.
    """

    players: tuple[str, ...]
    ratings: np.ndarray
    low: np.ndarray
    high: np.ndarray
    stderr: np.ndarray
    games: np.ndarray
    anchor: str
    prior_draws: float
    log_likelihood: float
    iterations: int

    def rating(self, player: str) -> float:
        """Return the rating of ``player``.

        Raises:
            KeyError: for a player not in the fit.
        """
        return float(self.ratings[self._index(player)])

    def interval(self, player: str) -> tuple[float, float]:
        """Return the 95% interval ``(low, high)`` of ``player``'s rating."""
        i = self._index(player)
        return float(self.low[i]), float(self.high[i])

    def ranking(self) -> list[str]:
        """Return the players, strongest first (ties in the given order)."""
        order = sorted(range(len(self.players)), key=lambda i: -self.ratings[i])
        return [self.players[i] for i in order]

    def _index(self, player: str) -> int:
        try:
            return self.players.index(player)
        except ValueError:
            raise KeyError(f"no player {player!r} in the fit") from None


def score_matrix(
    players: Sequence[str], results: Sequence[PairResult]
) -> tuple[np.ndarray, np.ndarray]:
    """Return float (P, P) scores ``s[i, j]`` and games ``n[i, j]`` (symmetric).

    Several results for the same pair add up.

    Raises:
        ValueError: for a result naming an unknown player, or repeated names.
    """
    if len(set(players)) != len(players):
        raise ValueError(f"player names must be unique: {list(players)}")
    index = {name: i for i, name in enumerate(players)}
    size = len(players)
    scores = np.zeros((size, size))
    games = np.zeros((size, size))
    for result in results:
        for name in (result.first, result.second):
            if name not in index:
                raise ValueError(f"result names an unknown player {name!r}")
        i, j = index[result.first], index[result.second]
        scores[i, j] += result.wins + 0.5 * result.draws
        scores[j, i] += result.losses + 0.5 * result.draws
        games[i, j] += result.games
        games[j, i] += result.games
    return scores, games


def fit_elo(
    players: Sequence[str],
    results: Sequence[PairResult],
    anchor: str | None = None,
    prior_draws: float = 1.0,
    z: float = Z95,
    tolerance: float = 1e-9,
    max_iterations: int = 200,
) -> EloFit:
    """Fit Bradley-Terry ratings by maximum likelihood (see the module docstring).

    Args:
        players: the P >= 2 player names.
        results: games between pairs of them.
        anchor: the player rated 0 (default: the first).
        prior_draws: virtual draws added to every pair with games (0: plain MLE).
        z: normal quantile of the intervals (1.96 for 95%).
        tolerance: stop when no rating moves by more than this (Elo).
        max_iterations: Newton steps at most.

    Returns:
        The ratings, intervals and standard errors.

    Raises:
        ValueError: for fewer than two players, an unknown anchor or player, a
            negative prior, a player without games connecting it to the anchor, or
            (with ``prior_draws=0``) results for which no finite estimate exists.
    """
    if len(players) < 2:
        raise ValueError("need at least two players")
    if prior_draws < 0:
        raise ValueError(f"prior_draws must not be negative, not {prior_draws}")
    anchor = players[0] if anchor is None else anchor
    if anchor not in players:
        raise ValueError(f"the anchor {anchor!r} is not among the players")
    scores, games = score_matrix(players, results)
    _check_connected(players, games)
    played = games > 0
    scores = scores + 0.5 * prior_draws * played
    games = games + prior_draws * played
    if prior_draws == 0:
        _check_mle_exists(players, scores)
    a = list(players).index(anchor)
    free = np.array([i for i in range(len(players)) if i != a])
    ratings = np.zeros(len(players))
    iterations = 0
    objective = _log_likelihood(ratings, scores)
    while iterations < max_iterations:
        iterations += 1
        gradient, hessian = _derivatives(ratings, scores, games)
        step = np.linalg.solve(-hessian[np.ix_(free, free)], gradient[free])
        scale = 1.0
        while True:  # damped Newton: halve the step until log L does not fall
            trial = ratings.copy()
            trial[free] += scale * step
            value = _log_likelihood(trial, scores)
            if value >= objective - 1e-12 or scale < 1e-6:
                break
            scale /= 2.0
        ratings, objective = trial, value
        if np.max(np.abs(scale * step)) < tolerance:
            break
    _, hessian = _derivatives(ratings, scores, games)
    covariance = np.zeros((len(players), len(players)))
    covariance[np.ix_(free, free)] = np.linalg.inv(-hessian[np.ix_(free, free)])
    stderr = np.sqrt(np.maximum(np.diag(covariance), 0.0))
    raw_scores, raw_games = score_matrix(players, results)  # without the prior
    return EloFit(
        players=tuple(players),
        ratings=ratings,
        low=ratings - z * stderr,
        high=ratings + z * stderr,
        stderr=stderr,
        games=raw_games.sum(axis=1).astype(np.int64),
        anchor=anchor,
        prior_draws=prior_draws,
        log_likelihood=_log_likelihood(ratings, raw_scores),
        iterations=iterations,
    )


def bootstrap_intervals(
    fit: EloFit,
    results: Sequence[PairResult],
    samples: int = 500,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Return percentile intervals of the ratings from resampled games.

    Each sample redraws every pair's games from its own results (win, draw, loss
    with the observed frequencies, as many games as were played) and refits with
    the same anchor and prior.

    Args:
        fit: the fit of ``results``.
        results: the games.
        samples: bootstrap samples.
        seed: seeds the resampling.
        confidence: coverage of the intervals.

    Returns:
        float (P,) low and high ends, in the order of ``fit.players``.

    Raises:
        ValueError: for fewer than one sample or a confidence outside (0, 1).
    """
    if samples < 1:
        raise ValueError(f"samples must be at least 1, not {samples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), not {confidence}")
    rng = np.random.default_rng(seed)
    draws = np.empty((samples, len(fit.players)))
    for k in range(samples):
        resampled = []
        for result in results:
            if result.games == 0:
                continue
            p = np.array([result.wins, result.losses, result.draws], dtype=float) / result.games
            wins, losses, ties = rng.multinomial(result.games, p)
            resampled.append(PairResult(result.first, result.second, int(wins), int(losses),
                                        int(ties)))
        draws[k] = fit_elo(fit.players, resampled, fit.anchor, fit.prior_draws).ratings
    tail = 100.0 * (1.0 - confidence) / 2.0
    return np.percentile(draws, tail, axis=0), np.percentile(draws, 100.0 - tail, axis=0)


def expected_score(rating: float, other: float) -> float:
    """Return the expected score of a player rated ``rating`` against ``other``."""
    return 1.0 / (1.0 + 10.0 ** (-(rating - other) / 400.0))


def _probabilities(ratings: np.ndarray) -> np.ndarray:
    """Return p[i, j], the expected score of i against j."""
    diff = (ratings[:, None] - ratings[None, :]) / ELO_SCALE
    return 1.0 / (1.0 + np.exp(-diff))


def _log_likelihood(ratings: np.ndarray, scores: np.ndarray) -> float:
    """Return log L: the sum over ordered pairs of s_ij log p_ij."""
    diff = (ratings[:, None] - ratings[None, :]) / ELO_SCALE
    log_p = -np.logaddexp(0.0, -diff)  # log p_ij, stable for large gaps
    return float(np.sum(np.where(scores > 0, scores * log_p, 0.0)))


def _derivatives(
    ratings: np.ndarray, scores: np.ndarray, games: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the gradient (P,) and Hessian (P, P) of log L with respect to the ratings."""
    p = _probabilities(ratings)
    gradient = (scores - games * p).sum(axis=1) / ELO_SCALE
    weight = games * p * (1.0 - p) / ELO_SCALE**2  # zero on the diagonal (n_ii = 0)
    hessian = weight - np.diag(weight.sum(axis=1))
    return gradient, hessian


def _check_connected(players: Sequence[str], games: np.ndarray) -> None:
    """Raise ValueError unless the players are all linked by games."""
    reached = {0}
    frontier = [0]
    while frontier:
        i = frontier.pop()
        for j in np.flatnonzero(games[i] > 0):
            if int(j) not in reached:
                reached.add(int(j))
                frontier.append(int(j))
    missing = [players[i] for i in range(len(players)) if i not in reached]
    if missing:
        raise ValueError(f"no games link {', '.join(missing)} to {players[0]}: ratings undefined")


def _check_mle_exists(players: Sequence[str], scores: np.ndarray) -> None:
    """Raise ValueError unless the 'scored against' graph is strongly connected."""
    size = len(players)
    for graph in (scores > 0, (scores > 0).T):
        reached = {0}
        frontier = [0]
        while frontier:
            i = frontier.pop()
            for j in np.flatnonzero(graph[i]):
                if int(j) not in reached:
                    reached.add(int(j))
                    frontier.append(int(j))
        if len(reached) < size:
            raise ValueError(
                "no finite maximum-likelihood ratings: some players never scored against "
                "others (a clean sweep); use prior_draws > 0"
            )


__all__ = [
    "ELO_SCALE",
    "EloFit",
    "PairResult",
    "bootstrap_intervals",
    "expected_score",
    "fit_elo",
    "score_matrix",
]
