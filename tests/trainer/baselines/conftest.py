"""Fixtures shared by the baseline tests."""

from __future__ import annotations

import pytest

from trainer.baselines.qlearning import QLearningConfig, QLearningResult, train_qlearning

TINY_KOMI = 5.5
TINY_CONFIG = QLearningConfig(
    size=3, komi=TINY_KOMI, episodes=12000, alpha=1.0, epsilon=0.02, initial_q=1.0, seed=0
)
"""Tabular self-play on 3x3 (``qlearning.tiny_spec`` rules), trained once per session."""


@pytest.fixture(scope="session")
def tiny_table() -> QLearningResult:
    """The Q-table of ``TINY_CONFIG`` after training (a few seconds)."""
    return train_qlearning(TINY_CONFIG)
