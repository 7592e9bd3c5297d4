"""Gumbel AlphaZero root selection: sequential halving with Gumbel noise.

Notation as in Danihelka et al., "Policy improvement by planning with Gumbel" (ICLR
2022): for each legal root action ``a`` a Gumbel variable ``g(a)`` is drawn; the
``m`` actions with the largest ``g(a) + logits(a)`` are considered; the simulation
budget ``n`` is spread over ``ceil(log2 m)`` phases, each visiting the remaining
candidates equally and then keeping the better half by
``g(a) + logits(a) + sigma(q(a))``, with

    sigma(q) = (c_visit + max_b N(b)) * c_scale * q,   q rescaled to [0, 1].

The move is the last candidate standing; the policy target is the improved policy
``softmax(logits + sigma(completedQ))``, where unvisited actions get the mixed value
estimate ``v_mix`` of the paper.

Only the root uses this rule here: below the root the search stays PUCT
(``engine._puct_kernels``).  Visits already under a root child when the move starts
(subtree reuse) count towards its phase targets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.puct import RootStats, SearchForest


@dataclass(frozen=True)
class GumbelConfig:
    """Settings of Gumbel root selection.

    Attributes:
        simulations: simulation budget n per move.
        considered: m, the actions sampled without replacement at the root.
        c_visit: the sigma transform's visit offset.
        c_scale: the sigma transform's scale.
    """

    simulations: int = 16
    considered: int = 8
    c_visit: float = 50.0
    c_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.simulations < 1 or self.considered < 1:
            raise ValueError("simulations and considered must be at least 1")


def sigma(q_hat: np.ndarray, max_visits: float, config: GumbelConfig) -> np.ndarray:
    """Return the monotone transform of values in [0, 1] used by the paper."""
    return (config.c_visit + max_visits) * config.c_scale * q_hat


def completed_q(stats: RootStats) -> np.ndarray:
    """Return q in [0, 1] for every root child, v_mix for the unvisited ones."""
    q_hat = (stats.q + 1.0) / 2.0
    visited = stats.visits > 0
    total = stats.visits.sum()
    v_net = (stats.net_value + 1.0) / 2.0
    if total > 0 and visited.any():
        weights = stats.priors[visited]
        mix = float(np.sum(weights * q_hat[visited]) / max(np.sum(weights), 1e-12))
        v_mix = (v_net + total * mix) / (1.0 + total)
    else:
        v_mix = v_net
    return np.where(visited, q_hat, v_mix)


def improved_policy(stats: RootStats, size: int, config: GumbelConfig) -> np.ndarray:
    """Return the completed-Q improved policy over N*N+1 actions (the policy target)."""
    logits = np.log(np.maximum(stats.priors, 1e-30))
    scores = logits + sigma(completed_q(stats), float(stats.visits.max(initial=0.0)), config)
    scores -= scores.max()
    weights = np.exp(scores)
    pi = np.zeros(size * size + 1, dtype=np.float32)
    pi[stats.actions] = (weights / weights.sum()).astype(np.float32)
    return pi


class SequentialHalving:
    """Runs sequential halving at the roots of some slots of a ``SearchForest``.

    Use: ``begin(g)`` once the root of slot ``g`` is expanded; then, between forest
    steps, ``requests()`` tells how many simulations each slot still wants and
    ``update(g)`` advances its phases; when ``done(g)``, ``choose(g)`` gives the move.
    """

    def __init__(self, forest: SearchForest, config: GumbelConfig, rng: np.random.Generator):
        self.forest = forest
        self.config = config
        self.rng = rng
        slots = forest.slots
        self.started = np.zeros(slots, dtype=bool)
        self.finished = np.zeros(slots, dtype=bool)
        self.start_visits = np.zeros(slots)
        self.candidates: list[np.ndarray] = [np.zeros(0, dtype=np.int64) for _ in range(slots)]
        self.targets = [np.zeros(0) for _ in range(slots)]
        self.noise = [np.zeros(0) for _ in range(slots)]
        self.phases = np.zeros(slots, dtype=np.int64)
        self.phase = np.zeros(slots, dtype=np.int64)

    def begin(self, g: int, noise: bool = True) -> None:
        """Start the sequential halving of slot ``g`` (its root must be expanded)."""
        stats = self.forest.root_stats(g)
        count = len(stats.actions)
        if count == 0:
            raise ValueError(f"slot {g}: the root is not expanded")
        gumbel = self.rng.gumbel(size=count) if noise else np.zeros(count)
        logits = np.log(np.maximum(stats.priors, 1e-30))
        m = min(self.config.considered, count, self.config.simulations)
        order = np.argsort(-(gumbel + logits), kind="stable")
        self.noise[g] = gumbel
        self.candidates[g] = np.sort(order[:m])
        self.start_visits[g] = stats.visits_total
        self.phases[g] = max(1, math.ceil(math.log2(m))) if m > 1 else 1
        self.phase[g] = 0
        self.targets[g] = stats.visits.copy()
        self.started[g] = True
        self.finished[g] = False
        self.forest.gumbel[g] = True
        self.forest.root_rank[g, :count] = gumbel + logits
        self._set_mask(g)
        self._next_phase(g, stats)

    def _set_mask(self, g: int) -> None:
        self.forest.root_mask[g] = 0
        self.forest.root_mask[g, self.candidates[g]] = 1

    def _used(self, g: int, stats: RootStats) -> float:
        return stats.visits_total - self.start_visits[g]

    def _next_phase(self, g: int, stats: RootStats) -> None:
        """Set the per-candidate visit targets of the phase that starts now."""
        n = self.config.simulations
        remaining = n - self._used(g, stats)
        candidates = self.candidates[g]
        if remaining <= 0 or len(candidates) == 0:
            self._finish(g)
            return
        if self.phase[g] >= self.phases[g] - 1 or len(candidates) == 1:
            per_action = max(1, int(remaining // len(candidates)))
        else:
            per_action = max(1, int(n // (self.phases[g] * len(candidates))))
        targets = self.targets[g]
        targets[candidates] = np.maximum(targets[candidates], stats.visits[candidates]) + per_action

    def requests(self) -> np.ndarray:
        """Return int (slots,) simulations each running slot still needs this phase."""
        out = np.zeros(self.forest.slots, dtype=np.int64)
        for g in np.flatnonzero(self.started & ~self.finished):
            stats = self.forest.root_stats(int(g))
            c = self.candidates[g]
            inflight = stats.in_flight[c] if stats.in_flight is not None else 0
            need = self.targets[g][c] - stats.visits[c] - inflight
            out[g] = int(np.maximum(need, 0).sum())
        return out

    def update(self, g: int) -> None:
        """Advance slot ``g`` to the next phase (halving) when this one is complete."""
        if not self.started[g] or self.finished[g]:
            return
        stats = self.forest.root_stats(g)
        c = self.candidates[g]
        if np.any(stats.visits[c] < self.targets[g][c]):
            if self._used(g, stats) >= self.config.simulations:
                self._finish(g)
            return
        if len(c) <= 1 or self._used(g, stats) >= self.config.simulations:
            self._finish(g)
            return
        scores = self._scores(g, stats)[c]
        keep = max(1, math.ceil(len(c) / 2))
        order = np.argsort(-scores, kind="stable")
        self.candidates[g] = np.sort(c[order[:keep]])
        self._set_mask(g)
        self.phase[g] += 1
        self._next_phase(g, stats)

    def _scores(self, g: int, stats: RootStats) -> np.ndarray:
        logits = np.log(np.maximum(stats.priors, 1e-30))
        q_hat = completed_q(stats)
        return (
            self.noise[g] + logits + sigma(q_hat, float(stats.visits.max(initial=0.0)), self.config)
        )

    def _finish(self, g: int) -> None:
        self.finished[g] = True
        self.forest.gumbel[g] = False

    def done(self, g: int) -> bool:
        return bool(self.finished[g])

    def choose(self, g: int) -> int:
        """Return the flat action chosen for slot ``g`` (best remaining candidate)."""
        stats = self.forest.root_stats(g)
        c = self.candidates[g]
        scores = self._scores(g, stats)[c]
        return int(stats.actions[c[int(np.argmax(scores))]])

    def reset(self, g: int) -> None:
        """Forget slot ``g``'s halving (a new move or game starts)."""
        self.started[g] = False
        self.finished[g] = False
        self.forest.gumbel[g] = False


__all__ = ["GumbelConfig", "SequentialHalving", "completed_q", "improved_policy", "sigma"]
