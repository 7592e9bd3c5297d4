"""Tests of the two-player PettingZoo AEC environment (engine.envs.aec_env)."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest

from engine.board import BLACK, WHITE
from engine.envs import aec_env
from engine.features import FeatureConfig, features
from engine.game import Game
from tests.conftest import vertex


def pettingzoo_checks() -> tuple[Callable[..., None], Callable[..., None]]:
    """Return PettingZoo's ``api_test`` and ``seed_test``.

    Imported here, quietly: ``pettingzoo.test`` imports a classic game through
    PettingZoo's deprecated creation API, which warns.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from pettingzoo.test import api_test, seed_test
    return api_test, seed_test


def sample(mask: np.ndarray, rng: np.random.Generator) -> int:
    """Return a uniformly drawn legal action of a mask."""
    legal = np.flatnonzero(mask)
    return int(legal[rng.integers(len(legal))])


def finish(env: aec_env.raw_env) -> None:
    """Take the two closing steps (action None) of a finished game."""
    for _ in range(2):
        assert env.terminations[env.agent_selection]
        env.step(None)
    assert env.agents == []


# api_test warns about every dict observation of an environment that is not on its own
# list of PettingZoo games; a dict with "observation" and "action_mask" is the AEC norm.
@pytest.mark.filterwarnings("ignore:Observation is not a NumPy array")
@pytest.mark.filterwarnings("ignore:Observation space for each agent probably should be")
@pytest.mark.parametrize("size", [5, 9])
def test_passes_pettingzoo_api_test(size: int) -> None:
    api_test, _ = pettingzoo_checks()
    api_test(aec_env.env(size=size), num_cycles=1000)


def test_passes_pettingzoo_seed_test() -> None:
    _, seed_test = pettingzoo_checks()
    seed_test(lambda: aec_env.env(size=5, komi=0), num_cycles=200)


def test_spaces_and_first_observation() -> None:
    env = aec_env.env()
    env.reset(seed=0)
    assert env.possible_agents == ["black_0", "white_0"]
    assert env.agent_selection == "black_0"
    space = env.observation_space("white_0")
    assert space["observation"].shape == (17, 9, 9) and space["observation"].dtype == np.float32
    assert space["action_mask"].shape == (82,) and space["action_mask"].dtype == np.int8
    assert env.action_space("black_0").n == 82
    obs, reward, terminated, truncated, info = env.last()
    assert obs in space and (reward, terminated, truncated, info) == (0.0, False, False, {})
    assert obs["action_mask"].tolist() == [1] * 82
    assert obs["observation"][16].min() == 1.0  # black to move
    other = env.observe("white_0")
    assert other["action_mask"].sum() == 0 and other["observation"][16].max() == 0.0


def test_observations_match_game_move_for_move() -> None:
    """Each agent's planes equal engine.features of the game; the mover gets the mask."""
    rng = np.random.default_rng(3)
    config = FeatureConfig(extra=("liberties", "ko", "legal"))
    env = aec_env.raw_env(size=7, komi=0.5, features=config)
    env.reset()
    game = Game(7, 0.5)
    while not env.terminations[env.agent_selection]:
        agent = env.agent_selection
        assert aec_env.COLORS[agent] == game.to_move
        obs = env.observe(agent)
        np.testing.assert_array_equal(obs["observation"], features(game, config))
        assert obs["action_mask"].astype(bool).tolist() == game.board.legal_mask().tolist()
        # the other agent sees the same stones from its side: X and Y swapped
        other = env.observe("white_0" if agent == "black_0" else "black_0")
        mine = env.observe(agent)["observation"]
        np.testing.assert_array_equal(other["observation"][0:16:2], mine[1:16:2])
        np.testing.assert_array_equal(other["observation"][16], 1.0 - mine[16])
        assert other["action_mask"].sum() == 0
        action = sample(obs["action_mask"], rng)
        env.step(action)
        game.play(action)
        assert env.go_state.stones().tolist() == game.board.to_array().tolist()
    score = game.tromp_taylor_score()
    winner = BLACK if score > 0 else WHITE
    for agent, color in aec_env.COLORS.items():
        assert env.infos[agent]["score"] == score and env.infos[agent]["winner"] == winner
        assert env.rewards[agent] == (1.0 if color == winner else -1.0)
    finish(env)


@pytest.mark.parametrize(
    ("komi", "black", "white", "winner"),
    [(7.5, -1.0, 1.0, WHITE), (0, 0.0, 0.0, 0), (-2, 1.0, -1.0, BLACK)],
)
def test_two_passes_score_the_empty_board(
    komi: float, black: float, white: float, winner: int
) -> None:
    env = aec_env.env(size=5, komi=komi)
    env.reset()
    env.step(25)
    assert env.rewards == {"black_0": 0.0, "white_0": 0.0}
    env.step(25)
    assert env.rewards == {"black_0": black, "white_0": white}
    assert all(env.terminations.values()) and not any(env.truncations.values())
    assert env.infos["black_0"] == {"reason": "passes", "winner": winner, "score": -komi}
    # the cumulative reward reaches each agent through last()
    for expected in (black, white):
        _, reward, terminated, _, _ = env.last()
        assert (reward, terminated) == (expected, True)
        env.step(None)
    assert env.agents == []


def test_illegal_move_loses_the_game() -> None:
    env = aec_env.env(size=5)
    env.reset()
    env.step(vertex("C3", 5))
    env.step(vertex("C3", 5))  # white on black's stone
    assert env.rewards == {"black_0": 1.0, "white_0": -1.0}
    assert env.infos["white_0"] == {
        "reason": "illegal",
        "winner": BLACK,
        "illegal": True,
        "illegal_reason": "occupied",
    }
    assert env.infos["black_0"] == {"reason": "illegal", "winner": BLACK}
    stones = env.unwrapped.go_state.stones()
    assert (stones == BLACK).sum() == 1 and (stones == WHITE).sum() == 0  # unchanged
    with pytest.raises(ValueError):
        env.step(0)  # a terminated agent may only pass None
    finish(env.unwrapped)


@pytest.mark.parametrize("action", [-1, 26])
def test_action_outside_the_space_raises(action: int) -> None:
    env = aec_env.env(size=5)
    env.reset()
    with pytest.raises(ValueError, match="outside"):
        env.step(action)


def test_move_cap_terminates_scored() -> None:
    env = aec_env.env(size=5, komi=0.5, max_plies=3)
    env.reset()
    for name in ("A1", "E5", "B1"):
        env.step(vertex(name, 5))
    assert all(env.terminations.values())
    assert env.infos["white_0"] == {"reason": "move_cap", "winner": BLACK, "score": 0.5}
    assert env.rewards == {"black_0": 1.0, "white_0": -1.0}


def test_render_modes() -> None:
    env = aec_env.env(size=5, render_mode="rgb_array")
    env.reset()
    env.step(vertex("C3", 5))
    frame = env.render()
    assert frame.shape == (192, 192, 3) and frame.dtype == np.uint8
    text_env = aec_env.env(size=5, render_mode="ansi")
    text_env.reset()
    text_env.step(vertex("C3", 5))
    assert "(X)" in text_env.render()
    assert aec_env.env(size=5).unwrapped.render() is None
