"""The baselines as players: planes for either colour, legal moves, and GTP end to end."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import coords
from engine.board import BLACK, WHITE
from engine.envs import _env_kernels as EK
from engine.envs.gym_env import GoState
from engine.features import FeatureConfig
from engine.game import Game
from nn.checkpoint import save_checkpoint
from trainer.baselines.players import (
    PolicyNetPlayer,
    QNetPlayer,
    QTablePlayer,
    make_pg_player,
    planes_for,
)
from trainer.baselines.policy_net import BASELINE_FEATURES, make_policy_net
from trainer.baselines.q_net import QNet, QNetConfig, save_q_checkpoint
from trainer.baselines.qlearning import QLearningResult, QTable, tiny_spec

REPO = Path(__file__).resolve().parents[3]
MOVES = ["C3", "B2", "D2", "C2", "pass", "B3", "C4"]


def game_of(moves: list[str], size: int = 5) -> Game:
    game = Game(size, 0.5)
    for vertex in moves:
        game.play(coords.from_gtp(vertex, size))
    return game


def env_planes(moves: list[str], color: int, config: FeatureConfig, size: int = 5) -> np.ndarray:
    state = GoState(size, 0.5, features=config)
    state.reset(0)
    for vertex in moves:
        state.step(coords.from_gtp(vertex, size), EK.REPLY_NONE, EK.SIDE_TO_MOVE)
    state.observe(color)
    return state.obs.copy()


@pytest.mark.parametrize("config", [
    BASELINE_FEATURES, FeatureConfig(), FeatureConfig(history=3, extra=("legal", "ko", "ones")),
], ids=["baseline", "agz", "legal-ko"])
def test_planes_match_what_the_environment_shows_either_colour(config: FeatureConfig) -> None:
    game = game_of(MOVES)  # white to move
    assert game.to_move == WHITE
    for color in (WHITE, BLACK):
        np.testing.assert_array_equal(planes_for(game, color, config),
                                      env_planes(MOVES, color, config))


def test_policy_player_plays_its_most_probable_legal_move() -> None:
    model = make_policy_net(5, "b1c8", seed=0)
    player = PolicyNetPlayer(model, BASELINE_FEATURES)
    game = game_of(MOVES)
    decision = player.genmove(game, WHITE)
    legal = game.board.legal_mask(WHITE)
    logits = model(torch.from_numpy(planes_for(game, WHITE, BASELINE_FEATURES))[None])[0][0]
    expected = int(torch.where(torch.from_numpy(legal), logits, float("-inf")).argmax())
    assert decision.action == expected and legal[decision.action]
    assert 0 <= decision.winrate <= 1
    with pytest.raises(ValueError, match="5x5"):
        player.genmove(Game(9, 7.5), BLACK)


def test_q_player_never_chooses_an_illegal_move_even_if_it_values_it_most() -> None:
    model = QNet(QNetConfig(5, BASELINE_FEATURES.num_planes, blocks=0, channels=4))
    game = game_of(MOVES)
    occupied = coords.from_gtp("C3", 5)
    with torch.no_grad():
        model.out.weight.zero_()
        model.out.bias.fill_(-1.0)
        model.out.bias[occupied] = 5.0  # best value on an occupied point
        model.out.bias[coords.from_gtp("A1", 5)] = 1.0
    decision = QNetPlayer(model, BASELINE_FEATURES).genmove(game, WHITE)
    assert decision.action == coords.from_gtp("A1", 5)


def test_qtable_player_follows_the_table_and_falls_back_to_random(
    tiny_table: QLearningResult,
) -> None:
    result = tiny_table
    player = QTablePlayer(result.table, seed=0)
    opening = player.genmove(Game(3, 5.5), BLACK)
    assert opening.action == coords.from_gtp("B2", 3)  # the known best move
    assert opening.winrate == 1.0
    unknown = player.genmove(Game(5, 5.5), BLACK)  # another size: not in the table
    assert "random" in str(unknown.info["source"])
    # along the table's own principal line the player reads the rows training wrote
    table = result.table
    state = table.spec.new_state()
    state.reset(0)
    state.observe(BLACK)
    game = Game(3, 5.5)
    for _ in range(4):
        color = game.to_move
        expected = table.q_values(state)
        assert expected is not None
        np.testing.assert_array_equal(player.q_values(game, color), expected)
        action = player.genmove(game, color).action
        assert expected[action] == expected[state.legal].max()
        game.play(action)
        state.step(action, EK.REPLY_NONE, EK.SIDE_TO_MOVE)


def test_factories_need_weights() -> None:
    args = argparse.Namespace(weights=None, seed=None)
    with pytest.raises(ValueError, match="--weights"):
        make_pg_player(args)


def _gtp(player: str, weights: Path, size: int, script: str) -> list[str]:
    command = [sys.executable, "-m", "zerogo", "gtp", "--player", player, "--weights",
               str(weights)]
    done = subprocess.run(command, cwd=REPO, input=script.encode(), capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    answers = [a.strip() for a in done.stdout.decode().split("\n\n") if a.strip()]
    return answers


@pytest.mark.parametrize("player", ["pg", "dqn", "qtable"])
def test_gtp_genmove_answers_legally(player: str, tmp_path: Path) -> None:
    if player == "pg":
        model = make_policy_net(5, "b1c8", seed=0)
        weights = save_checkpoint(tmp_path / "pg.pt", model, model.config,
                                  feature_config=BASELINE_FEATURES)
        size = 5
    elif player == "dqn":
        qnet = QNet(QNetConfig(5, BASELINE_FEATURES.num_planes, blocks=1, channels=8))
        weights = save_q_checkpoint(tmp_path / "dqn.pt", qnet, BASELINE_FEATURES)
        size = 5
    else:
        weights = QTable(tiny_spec()).save(tmp_path / "q.npz")
        size = 3
    occupied = "B2"
    script = (f"boardsize {size}\nclear_board\nkomi 0.5\nplay b {occupied}\n"
              "genmove w\ngenmove b\nshowboard\nquit\n")
    answers = _gtp(player, weights, size, script)
    assert all(a.startswith("=") for a in answers), answers
    white, black = answers[4][1:].strip(), answers[5][1:].strip()
    game = Game(size, 0.5)
    game.play(coords.from_gtp(occupied, size))
    for vertex in (white, black):
        assert vertex.lower() != "resign"
        game.play(coords.from_gtp(vertex, size))  # raises if illegal
    assert white.upper() != occupied
