"""Own true eyes from the planes: diagram cases, a naive oracle, and the masks policies get."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from engine.board import BLACK, EMPTY, WHITE
from engine.envs.gym_env import GoState
from engine.features import FeatureConfig
from engine.game import Game
from tests.conftest import parse_diagram, vertices
from trainer.baselines.dqn import DQNConfig, save_dqn_checkpoint
from trainer.baselines.eyes import mask_own_eyes, own_true_eyes
from trainer.baselines.players import (
    PolicyNetPlayer,
    QNetPlayer,
    make_dqn_player,
    make_pg_player,
    trained_with_eye_mask,
)
from trainer.baselines.policy_net import BASELINE_FEATURES, make_policy_net
from trainer.baselines.q_net import QNet, QNetConfig
from trainer.baselines.reinforce import PGConfig, save_pg_checkpoint
from trainer.baselines.rollout import GameSpec, play_games


def planes(diagram: str, color: int) -> np.ndarray:
    """Return float32 (1, 2, N, N): ``color``'s stones, then the other colour's."""
    grid = parse_diagram(diagram)
    return np.stack([grid == color, grid == 3 - color]).astype(np.float32)[None]


def eyes_of(diagram: str, color: int = BLACK) -> set[int]:
    return set(np.flatnonzero(own_true_eyes(planes(diagram, color))[0]).tolist())


# diagram, colour, the GTP vertices that are its own true eyes
CASES = [
    ("corner eye", """
        . . . . .
        . . . . .
        . . . . .
        X . . . .
        . X . . .
     """, BLACK, "A1"),
    ("corner eye with an opponent diagonal is false", """
        . . . . .
        . . . . .
        . . . . .
        X O . . .
        . X . . .
     """, BLACK, ""),
    ("edge eye", """
        . X . X .
        . . X . .
        . . . . .
        . . . . .
        . . . . .
     """, BLACK, "C5"),
    ("edge eye with an opponent diagonal is false", """
        . X . X .
        . O X . .
        . . . . .
        . . . . .
        . . . . .
     """, BLACK, ""),
    ("centre eye survives one opponent diagonal", """
        . . . . .
        . O X . .
        . X . X .
        . . X . .
        . . . . .
     """, BLACK, "C3"),
    ("centre eye with two opponent diagonals is false", """
        . . . . .
        . O X . .
        . X . X .
        . . X O .
        . . . . .
     """, BLACK, ""),
    ("an opponent neighbour: no eye", """
        . . . . .
        . . X . .
        . X . O .
        . . X . .
        . . . . .
     """, BLACK, ""),
    ("the opponent's eye is not one's own", """
        . . . . .
        . . O . .
        . O . O .
        . . O . .
        . . . . .
     """, BLACK, ""),
    ("white's own eye", """
        . . . . .
        . . O . .
        . O . O .
        . . O . .
        . . . . .
     """, WHITE, "C3"),
    ("two eyes of one group", """
        . X . X .
        X X X X X
        . . . . .
        . . . . .
        . . . . .
     """, BLACK, "A5 C5 E5"),
]


@pytest.mark.parametrize("diagram, color, expected",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_true_eyes_of_diagrams(diagram: str, color: int, expected: str) -> None:
    assert eyes_of(diagram, color) == set(vertices(expected, 5))


def naive_true_eyes(stones: np.ndarray, color: int) -> set[int]:
    """The definition, point by point (no arrays shifted)."""
    size = stones.shape[0]
    found = set()
    for row in range(size):
        for col in range(size):
            if stones[row, col] != EMPTY:
                continue
            near = [(row + dr, col + dc) for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1))]
            if any(0 <= r < size and 0 <= c < size and stones[r, c] != color for r, c in near):
                continue
            diagonal = [(row + dr, col + dc) for dr in (1, -1) for dc in (1, -1)]
            on_board = [(r, c) for r, c in diagonal if 0 <= r < size and 0 <= c < size]
            bad = sum(stones[r, c] == 3 - color for r, c in on_board)
            if bad + (len(on_board) < 4) < 2:
                found.add(row * size + col)
    return found


def test_agrees_with_a_naive_oracle_on_random_games(board_size: int) -> None:
    rng = np.random.default_rng(board_size)
    checked = eyes = 0
    for _ in range(6 if board_size <= 9 else 1):
        game = Game(board_size, 0.5)
        for _ in range(3 * board_size * board_size):
            legal = np.flatnonzero(game.board.legal_mask()[:-1])
            if len(legal) == 0 or game.is_over:
                break
            game.play(int(rng.choice(legal)))
            stones = game.board.to_array()
            for color in (BLACK, WHITE):
                grid = np.stack([stones == color, stones == 3 - color]).astype(np.float32)
                got = set(np.flatnonzero(own_true_eyes(grid[None])[0]).tolist())
                assert got == naive_true_eyes(stones, color)
                checked += 1
                eyes += len(got)
    assert checked > 0 and eyes > 0


def test_mask_keeps_pass_and_other_moves() -> None:
    obs = planes("""
        . . . . .
        . . . . .
        . . . . .
        X . . . .
        . X . . .
    """, BLACK)
    legal = np.ones((1, 26), dtype=bool)
    legal[0, vertices("A2 B1", 5)] = False  # occupied
    masked = mask_own_eyes(legal, obs)
    expected = legal.copy()
    expected[0, vertices("A1", 5)] = False
    np.testing.assert_array_equal(masked, expected)
    assert masked[0, 25]  # pass
    with pytest.raises(ValueError):
        mask_own_eyes(np.ones((1, 10), dtype=bool), obs)
    with pytest.raises(ValueError):
        own_true_eyes(np.zeros((2, 5, 5), dtype=np.float32))


class EyeLover:
    """Plays the first legal own true eye if it is offered one, else the first legal move."""

    name = "eye-lover"

    def __init__(self, mask: bool) -> None:
        self.mask_own_eyes = mask
        self.filled = 0

    def act(self, obs: np.ndarray, legal: np.ndarray, states: Sequence[GoState]) -> np.ndarray:
        eyes = own_true_eyes(obs) & legal
        actions = []
        for i in range(len(legal)):
            if eyes[i].any():
                self.filled += 1
                actions.append(int(np.flatnonzero(eyes[i])[0]))
            else:
                actions.append(int(np.flatnonzero(legal[i])[0]))
        return np.array(actions, dtype=np.int64)


def test_play_games_masks_own_eyes_for_the_policies_that_ask() -> None:
    spec = GameSpec(5, 0.5, BASELINE_FEATURES)
    seats = np.zeros((4, 2), dtype=np.int64)
    unmasked = EyeLover(mask=False)
    play_games([unmasked], seats, spec, seed=3, opening_plies=6)
    assert unmasked.filled > 0  # eyes are offered when nothing masks them
    masked = EyeLover(mask=True)
    played = play_games([masked], seats, spec, seed=3, opening_plies=6, record=(0,))
    assert masked.filled == 0
    records = played.records
    assert len(records) > 0
    # the recorded masks are the ones the policy chose from: no own eyes, pass legal
    assert not (records.legal & own_true_eyes(records.obs)).any()
    assert records.legal[:, -1].all()


class FixedLogits(torch.nn.Module):
    """A 5x5 'network' that always prefers A1 (then B1 ...) and has a value head."""

    def __init__(self, q: bool = False) -> None:
        super().__init__()
        self.q = q
        self.config = SimpleNamespace(board_size=5)
        self.scores = torch.linspace(1.0, 0.0, 26)

    def forward(self, x: torch.Tensor):  # type: ignore[no-untyped-def]
        scores = self.scores.expand(x.shape[0], -1)
        if self.q:
            return scores
        return scores, torch.zeros(x.shape[0]), None


def test_players_trained_with_the_mask_do_not_fill_their_eyes() -> None:
    game = Game(5, 0.5)
    for move in vertices("B1 E5 A2 E4", 5):  # black's eye at A1, black to move
        game.play(move)
    a1 = vertices("A1", 5)[0]
    pg = PolicyNetPlayer(FixedLogits(), BASELINE_FEATURES)  # type: ignore[arg-type]
    assert pg.genmove(game, BLACK).action == a1
    pg_masked = PolicyNetPlayer(FixedLogits(), BASELINE_FEATURES,  # type: ignore[arg-type]
                                mask_eyes=True)
    assert pg_masked.genmove(game, BLACK).action == vertices("C1", 5)[0]
    dqn = QNetPlayer(FixedLogits(q=True), FeatureConfig())  # type: ignore[arg-type]
    assert dqn.genmove(game, BLACK).action == a1
    dqn_masked = QNetPlayer(FixedLogits(q=True), FeatureConfig(),  # type: ignore[arg-type]
                            mask_eyes=True)
    assert dqn_masked.genmove(game, BLACK).action == vertices("C1", 5)[0]


@pytest.mark.parametrize("mask", [True, False])
def test_gtp_players_follow_the_checkpoint(tmp_path: Path, mask: bool) -> None:
    pg_path, dqn_path = tmp_path / "pg.pt", tmp_path / "dqn.pt"
    save_pg_checkpoint(pg_path, make_policy_net(5, "b1c8"), BASELINE_FEATURES,
                       PGConfig(size=5, mask_eyes=mask), 0, 0, 1)
    qnet = QNet(QNetConfig(5, BASELINE_FEATURES.num_planes, blocks=0, channels=4))
    save_dqn_checkpoint(dqn_path, qnet, BASELINE_FEATURES, DQNConfig(size=5, mask_eyes=mask), 0, 0)
    args = argparse.Namespace(weights=str(pg_path), seed=0)
    assert make_pg_player(args).mask_eyes is mask
    args.weights = str(dqn_path)
    assert make_dqn_player(args).mask_eyes is mask


def test_files_from_before_the_option_were_trained_without_it() -> None:
    assert not trained_with_eye_mask({"kind": "pg", "config": {"size": 5}})
    assert not trained_with_eye_mask({"kind": "sl"})
    assert trained_with_eye_mask({"config": {"mask_eyes": True}})
