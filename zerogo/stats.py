"""Match statistics: win-rate intervals, Elo differences and the SPRT.

Pure functions of game counts, used by ``zerogo match`` and by gating.

Notation: ``n`` games, ``wins``/``draws``/``losses`` of the first player, score
``p = (wins + draws / 2) / n``, ``z`` the normal quantile of the interval
(1.96 for 95 %).  Elo is the logistic Elo of chess and computer Go:
``p = 1 / (1 + 10 ** (-elo / 400))``.

The SPRT is the generalized SPRT in its normal approximation used by cutechess
and fishtest (trinomial results, logistic Elo, no BayesElo draw model): the
log-likelihood ratio of H1 (``elo = elo1``) against H0 (``elo = elo0``) is

    LLR = (s1 - s0) * (2 * p - s0 - s1) / (2 * var / n)

with ``s0``, ``s1`` the scores expected under H0, H1 and ``var`` the per-game
variance of the score.  The test accepts H1 when ``LLR >= log((1 - beta) / alpha)``
and H0 when ``LLR <= log(beta / (1 - alpha))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


def _check_counts(wins: float, n: float) -> None:
    if n < 0 or wins < 0 or wins > n:
        raise ValueError(f"need 0 <= wins <= n, got wins={wins}, n={n}")


def wilson_interval(wins: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval of a win rate.

    Args:
        wins: games won (may be fractional, e.g. draws counted as half a win).
        n: games played.
        z: normal quantile (1.96 for a 95 % interval).

    Returns:
        ``(low, high)`` bounds of the win probability; ``(0, 1)`` when ``n == 0``.

    Raises:
        ValueError: if ``wins`` is outside ``0 .. n`` or ``z`` is negative.
    """
    _check_counts(wins, n)
    if z < 0:
        raise ValueError(f"z must be non-negative, got {z}")
    if n == 0:
        return 0.0, 1.0
    p = wins / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    center = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n))
    low = 0.0 if wins == 0 else max(0.0, center - half)
    high = 1.0 if wins == n else min(1.0, center + half)
    return low, high


def elo_from_score(p: float) -> float:
    """Return the Elo difference that gives an expected score ``p``.

    Args:
        p: expected score (win probability, draws counting half) in ``[0, 1]``.

    Returns:
        ``400 * log10(p / (1 - p))``: 0 for ``p = 0.5``, about +200 for ``p = 0.76``;
        ``-inf`` for ``p = 0`` and ``+inf`` for ``p = 1``.

    Raises:
        ValueError: if ``p`` is outside ``[0, 1]``.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"score must be in [0, 1], got {p}")
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    return 400.0 * math.log10(p / (1.0 - p))


def score_from_elo(elo: float) -> float:
    """Return the expected score of a player ``elo`` points stronger (logistic Elo)."""
    return 1.0 / (1.0 + 10.0 ** (-elo / 400.0))


def elo_interval(
    wins: float, draws: float, n: float, z: float = Z95
) -> tuple[float, float, float]:
    """Return the Elo difference and its interval from match results.

    The score ``(wins + draws / 2) / n`` is bounded by the Wilson interval and both
    bounds are mapped to Elo, so the interval stays finite on one side even after a
    clean sweep.

    Args:
        wins: games won by the first player.
        draws: drawn games.
        n: games played (wins + draws + losses).
        z: normal quantile (1.96 for 95 %).

    Returns:
        ``(elo, low, high)``; infinite values where the score or a bound is 0 or 1.
        ``(0, -inf, inf)`` when ``n == 0``.

    Raises:
        ValueError: if the counts are inconsistent.
    """
    if draws < 0 or wins + draws > n:
        raise ValueError(f"need wins + draws <= n, got wins={wins}, draws={draws}, n={n}")
    score = wins + draws / 2.0
    _check_counts(score, n)
    if n == 0:
        return 0.0, -math.inf, math.inf
    low, high = wilson_interval(score, n, z)
    return elo_from_score(score / n), elo_from_score(low), elo_from_score(high)


def sprt_bounds(alpha: float, beta: float) -> tuple[float, float]:
    """Return the ``(lower, upper)`` LLR bounds of an SPRT.

    Args:
        alpha: probability of accepting H1 when H0 is true (false positive).
        beta: probability of accepting H0 when H1 is true (false negative).

    Raises:
        ValueError: unless ``0 < alpha < 1``, ``0 < beta < 1`` and ``alpha + beta < 1``.
    """
    if not (0.0 < alpha < 1.0 and 0.0 < beta < 1.0 and alpha + beta < 1.0):
        raise ValueError(f"need 0 < alpha, beta and alpha + beta < 1, got {alpha}, {beta}")
    return math.log(beta / (1.0 - alpha)), math.log((1.0 - beta) / alpha)


def sprt_llr(wins: int, draws: int, losses: int, elo0: float, elo1: float) -> float:
    """Return the log-likelihood ratio of H1 (``elo1``) against H0 (``elo0``).

    Uses the trinomial normal approximation of the module docstring.  When every
    game had the same result the variance is zero; half a win and half a loss are
    then added (a Jeffreys-like prior) so that the ratio stays finite.

    Args:
        wins: games won by the tested player.
        draws: drawn games.
        losses: games lost.
        elo0: Elo difference of the null hypothesis.
        elo1: Elo difference of the alternative (usually ``elo1 > elo0``).

    Returns:
        The LLR; 0 when no game was played.

    Raises:
        ValueError: for negative counts.
    """
    if min(wins, draws, losses) < 0:
        raise ValueError(f"counts must be non-negative, got {wins}, {draws}, {losses}")
    n = wins + draws + losses
    if n == 0:
        return 0.0
    w, d, lo = float(wins), float(draws), float(losses)
    if w == n or d == n or lo == n:
        w, lo = w + 0.5, lo + 0.5
    total = w + d + lo
    score = (w + d / 2.0) / total
    second_moment = (w + d / 4.0) / total
    variance = second_moment - score * score
    s0, s1 = score_from_elo(elo0), score_from_elo(elo1)
    return (s1 - s0) * (2.0 * score - s0 - s1) / (2.0 * variance / total)


@dataclass(frozen=True)
class SprtResult:
    """The state of a sequential probability ratio test.

    Attributes:
        llr: the log-likelihood ratio so far.
        lower: accept H0 at or below this.
        upper: accept H1 at or above this.
        decision: ``"H1"``, ``"H0"``, or ``None`` to keep playing.
    """

    llr: float
    lower: float
    upper: float
    decision: str | None


def sprt(
    wins: int,
    draws: int,
    losses: int,
    elo0: float = 0.0,
    elo1: float = 35.0,
    alpha: float = 0.05,
    beta: float = 0.05,
) -> SprtResult:
    """Run the SPRT of H0 ``elo = elo0`` against H1 ``elo = elo1`` on the counts so far.

    Args:
        wins: games won by the tested player.
        draws: drawn games.
        losses: games lost.
        elo0: Elo of H0.
        elo1: Elo of H1.
        alpha: false-positive rate (accepting H1 under H0).
        beta: false-negative rate (accepting H0 under H1).

    Returns:
        The LLR, its bounds and the decision (``None`` while undecided).

    Raises:
        ValueError: for negative counts or invalid ``alpha``/``beta``.
    """
    lower, upper = sprt_bounds(alpha, beta)
    llr = sprt_llr(wins, draws, losses, elo0, elo1)
    decision = "H1" if llr >= upper else "H0" if llr <= lower else None
    return SprtResult(llr, lower, upper, decision)


__all__ = [
    "SprtResult",
    "Z95",
    "elo_from_score",
    "elo_interval",
    "score_from_elo",
    "sprt",
    "sprt_bounds",
    "sprt_llr",
    "wilson_interval",
]
