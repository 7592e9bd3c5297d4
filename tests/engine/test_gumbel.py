"""Gumbel root selection: the sequential-halving budget, completed Q, improved policy."""

from __future__ import annotations

import numpy as np
import pytest

from engine import coords
from engine.board import BLACK
from engine.evaluator import UniformEvaluator
from engine.game import Game
from engine.gumbel import GumbelConfig, SequentialHalving, completed_q, improved_policy
from engine.puct import PUCTConfig, RootStats, SearchForest
from tests.engine.test_puct import ATARI, MaterialEvaluator, position


def run_halving(forest: SearchForest, config: GumbelConfig, noise: bool = True, seed: int = 0):
    halving = SequentialHalving(forest, config, np.random.default_rng(seed))
    forest.step(np.array([True]), np.array([1]))
    halving.begin(0, noise=noise)
    phases = []
    while not halving.done(0):
        requests = halving.requests()
        phases.append(len(halving.candidates[0]))
        if requests[0] > 0:
            forest.step(np.array([True]), np.clip(requests, 0, 8))
        halving.update(0)
    return halving, phases


@pytest.mark.parametrize(("simulations", "considered"), [(16, 8), (32, 16), (16, 4), (8, 8)])
def test_budget_is_spent_exactly(simulations: int, considered: int) -> None:
    forest = SearchForest(1, 9, UniformEvaluator(9), PUCTConfig(capacity=20_000))
    forest.set_position(0, Game(9))
    config = GumbelConfig(simulations=simulations, considered=considered)
    halving, phases = run_halving(forest, config)
    # one simulation expanded the root, the rest are the budget
    assert forest.root_visits()[0] == simulations + 1
    assert phases[0] == considered
    assert len(halving.candidates[0]) >= 1
    assert not forest.gumbel[0]


def test_halving_finds_the_capture_without_noise() -> None:
    forest = SearchForest(1, 5, MaterialEvaluator(5), PUCTConfig(capacity=20_000))
    forest.set_position(0, position(5, *ATARI, BLACK))
    halving, _ = run_halving(forest, GumbelConfig(simulations=64, considered=32), noise=False)
    assert coords.to_gtp(halving.choose(0), 5) == "D3"


def test_completed_q_and_improved_policy() -> None:
    stats = RootStats(
        actions=np.array([0, 1, 2, 81]),
        visits=np.array([4.0, 2.0, 0.0, 0.0]),
        q=np.array([0.5, -0.5, 0.0, 0.0]),
        priors=np.array([0.4, 0.3, 0.2, 0.1]),
        value=0.2,
        visits_total=7,
        net_value=0.1,
    )
    q = completed_q(stats)
    assert q[0] == pytest.approx(0.75) and q[1] == pytest.approx(0.25)
    mix = (0.4 * 0.75 + 0.3 * 0.25) / 0.7
    v_mix = (0.55 + 6 * mix) / 7
    assert q[2] == pytest.approx(v_mix) and q[3] == pytest.approx(v_mix)
    pi = improved_policy(stats, 9, GumbelConfig())
    assert pi.sum() == pytest.approx(1.0, abs=1e-5)
    assert pi[0] > pi[1] and pi[0] > pi[2]
    assert pi[[a for a in range(82) if a not in (0, 1, 2, 81)]].sum() == 0
