"""Tests of the gymnasium environment ``zerogo/Go-v0`` (engine.envs.gym_env) and its kernels.

The step kernel is checked against ``engine.game.Game`` move for move (stones,
planes, legal mask, ko, superko, final score); positions are written as diagrams
and reached by playing their stones from the empty board (``setup_moves``).
"""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import engine.envs
from engine import _board_kernels as K
from engine.board import BLACK, WHITE, Rules
from engine.envs import _env_kernels as EK
from engine.envs.gym_env import GoEnv, IllegalOpponentMoveError
from engine.envs.render import board_image, star_points
from engine.features import FeatureConfig, features
from engine.game import Game
from engine.mcts import MCTSConfig, MCTSPlayer
from engine.player import RESIGN, Budget, Decision
from engine.random_player import RandomPlayer
from tests.conftest import parse_diagram, vertex, vertices

ALL_EXTRAS = FeatureConfig(extra=("liberties", "ko", "legal", "ones"))

KO = """
    . . . . .
    . . . . .
    . X O . .
    X O . O .
    . X O . .
    """

# Three kos (as in tests/engine/test_board.py): six ko captures, none of them a
# simple-ko recapture, would bring the start position back.
TRIPLE_KO = """
    . X O . . . X O .
    X O . O . X . X O
    . X O . . . X O .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . X O . . . . . .
    X O . O . . . . .
    . X O . . . . . .
    """
TRIPLE_KO_CYCLE = "C8 G8 C2 B8 H8"  # black, white, black, white, black
TRIPLE_KO_REPEAT = "B2"  # white's sixth capture would recreate the first position


# -- helpers ---------------------------------------------------------------------------


def setup_moves(diagram: str, to_move: int = BLACK) -> list[int]:
    """Return moves from the empty board that reach ``diagram`` with ``to_move`` to play.

    Black and white stones alternate; a colour with stones left over plays them
    against passes, so two passes never follow each other.  Every chain of the
    diagram must have a liberty (then no move on the way captures).
    """
    grid = parse_diagram(diagram).reshape(-1)
    size = int(round(len(grid) ** 0.5))
    pass_action = size * size
    black = [int(a) for a in np.flatnonzero(grid == BLACK)]
    white = [int(a) for a in np.flatnonzero(grid == WHITE)]
    moves: list[int] = []
    while black or white:
        moves.append(black.pop(0) if black else pass_action)
        moves.append(white.pop(0) if white else pass_action)
    if to_move == WHITE:
        if moves and moves[-1] == pass_action:
            moves.pop()  # black's last stone was answered by a pass: white to move
        else:
            moves.append(pass_action)
    return moves


def sample(mask: np.ndarray, rng: np.random.Generator) -> int:
    """Return a uniformly drawn legal action of a mask."""
    legal = np.flatnonzero(mask)
    return int(legal[rng.integers(len(legal))])


def self_play_env(size: int, **kwargs: object) -> GoEnv:
    """Return a reset ``opponent="self"`` environment."""
    env = GoEnv(size=size, opponent="self", **kwargs)  # type: ignore[arg-type]
    env.reset(seed=0)
    return env


def always_pass(observation: np.ndarray, mask: np.ndarray) -> int:
    """A policy opponent that always passes."""
    return len(mask) - 1


# -- registration and spaces -------------------------------------------------------------


def test_make_gives_the_default_9x9_env() -> None:
    env = gym.make(engine.envs.ENV_ID)
    assert env.observation_space == gym.spaces.Box(0.0, 1.0, (17, 9, 9), np.float32)
    assert env.action_space == gym.spaces.Discrete(82)
    obs, info = env.reset(seed=0)
    assert obs.dtype == np.float32 and obs in env.observation_space
    assert info["action_mask"].dtype == np.int8
    assert info["action_mask"].tolist() == [1] * 82
    assert env.unwrapped.komi == 7.5  # type: ignore[attr-defined]


def test_make_with_size_komi_and_module_prefix() -> None:
    env = gym.make("engine.envs:zerogo/Go-v0", size=5, komi=0.5, features=ALL_EXTRAS)
    assert env.observation_space.shape == (28, 5, 5)
    assert env.action_space == gym.spaces.Discrete(26)
    assert env.unwrapped.komi == 0.5  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"agent_color": "white", "size": 7},
        {"opponent": "self", "size": 5},
        {"agent_color": "random", "komi": 0, "features": ALL_EXTRAS},
    ],
    ids=["default", "white", "self", "random-colour"],
)
def test_passes_gymnasium_env_checker(kwargs: dict) -> None:
    env = gym.make(engine.envs.ENV_ID, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker warns about anything doubtful
        check_env(env.unwrapped)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"size": 1}, ValueError),
        ({"size": 20}, ValueError),
        ({"agent_color": "green"}, ValueError),
        ({"opponent": "gnugo"}, ValueError),
        ({"opponent": 3}, ValueError),
        ({"max_plies": 1}, ValueError),
        ({"render_mode": "human"}, ValueError),
    ],
)
def test_bad_arguments_raise(kwargs: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        GoEnv(**kwargs)


# -- the step kernel against Game -----------------------------------------------------------


@pytest.mark.parametrize("size", [5, 9])
@pytest.mark.parametrize(
    "rules",
    [Rules(), Rules(allow_suicide=True), Rules(superko=False)],
    ids=["default", "suicide", "no-superko"],
)
def test_self_play_matches_game_move_for_move(size: int, rules: Rules) -> None:
    """Stones, planes, legal mask, end and score agree with Game after every move."""
    rng = np.random.default_rng(size)
    for episode in range(3):
        config = ALL_EXTRAS if episode == 0 else FeatureConfig()
        env = GoEnv(size=size, komi=6.5, opponent="self", rules=rules, features=config)
        obs, info = env.reset(seed=episode)
        game = Game(size, 6.5, rules)
        terminated = False
        while not terminated:
            np.testing.assert_array_equal(obs, features(game, config))
            assert info["action_mask"].astype(bool).tolist() == game.board.legal_mask().tolist()
            assert env.action_masks().tolist() == game.board.legal_mask().tolist()
            mover = game.to_move
            action = sample(info["action_mask"], rng)
            obs, reward, terminated, truncated, info = env.step(action)
            game.play(action)
            assert not truncated and not info["illegal"]
            assert env.state.stones().tolist() == game.board.to_array().tolist()
        assert info["reason"] in ("passes", "move_cap")
        assert (info["reason"] == "passes") == game.is_over
        score = game.tromp_taylor_score()
        assert info["score"] == score
        assert reward == (1.0 if (score > 0) == (mover == BLACK) else -1.0)
        replay = env.to_game()
        assert [m.action for m in replay.moves] == [m.action for m in game.moves]
        assert replay.result is not None and replay.result.margin == abs(score)


@pytest.mark.parametrize(
    "rules",
    [Rules(), Rules(allow_suicide=True), Rules(superko=False)],
    ids=["default", "suicide", "no-superko"],
)
def test_fast_legal_mask_equals_the_board_kernel(rules: Rules) -> None:
    """``_env_kernels.legal_mask`` and ``_board_kernels.legal_mask`` agree for both colours."""
    rng = np.random.default_rng(7)
    for size in (4, 7):
        game = Game(size, rules=rules)
        fast = np.zeros(size * size + 1, dtype=np.bool_)
        slow = np.zeros_like(fast)
        for _ in range(3 * size * size):
            board = game.board
            history = board._history
            n_history = board._n_history if rules.superko else 0
            for color in (BLACK, WHITE):
                args = (board.arrays, color, rules.allow_suicide, history, n_history)
                EK.legal_mask(*args, fast)
                K.legal_mask(*args, slow)
                assert fast.tolist() == slow.tolist()
            legal = np.flatnonzero(board.legal_mask()[:-1])
            if len(legal) and (board.passes or rng.random() < 0.97):
                game.play(int(rng.choice(legal)))
            elif not board.passes:
                game.play(size * size)
            else:
                break


def test_ko_is_refused_then_illegal_when_played() -> None:
    moves = setup_moves(KO) + [vertex("C2", 5)]  # black takes the ko
    env = self_play_env(5)
    game = Game(5)
    for action in moves:
        obs, reward, terminated, _, info = env.step(action)
        game.play(action)
        assert not terminated
        assert info["action_mask"].astype(bool).tolist() == game.board.legal_mask().tolist()
    b2 = vertex("B2", 5)
    assert game.board.status(b2) == "ko"
    assert info["action_mask"][b2] == 0
    assert obs[0].reshape(-1)[b2] == 0 and obs[1].reshape(-1)[vertex("C2", 5)] == 1
    before = env.state.stones()
    obs, reward, terminated, truncated, info = env.step(b2)
    assert (reward, terminated, truncated) == (-1.0, True, False)
    assert info["illegal"] and info["illegal_reason"] == "ko" and info["winner"] == BLACK
    assert env.state.stones().tolist() == before.tolist()


def test_triple_ko_repeat_is_superko() -> None:
    moves = setup_moves(TRIPLE_KO) + vertices(TRIPLE_KO_CYCLE, 9)
    env = self_play_env(9)
    game = Game(9)
    for action in moves:
        _, _, terminated, _, info = env.step(action)
        game.play(action)
        assert not terminated
        assert info["action_mask"].astype(bool).tolist() == game.board.legal_mask().tolist()
    repeat = vertex(TRIPLE_KO_REPEAT, 9)
    assert game.board.status(repeat) == "superko"
    assert info["action_mask"][repeat] == 0
    _, reward, terminated, _, info = env.step(repeat)
    assert (reward, terminated, info["illegal_reason"]) == (-1.0, True, "superko")
    # without superko the same capture is legal and recreates the start position
    free = self_play_env(9, rules=Rules(superko=False))
    for action in moves:
        free.step(action)
    _, reward, terminated, _, info = free.step(repeat)
    assert (reward, terminated, info["illegal"]) == (0.0, False, False)
    assert free.state.stones().tolist() == parse_diagram(TRIPLE_KO).tolist()


# -- rewards ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("komi", "reward", "winner"),
    [(0, 0.0, 0), (0.5, 1.0, WHITE), (-1, -1.0, BLACK)],
)
def test_two_passes_on_the_empty_board(komi: float, reward: float, winner: int) -> None:
    """Self-play: black passes, white passes; the reward is white's (the last mover)."""
    env = self_play_env(5, komi=komi)
    _, first, terminated, _, _ = env.step(25)
    assert (first, terminated) == (0.0, False)
    _, last, terminated, truncated, info = env.step(25)
    assert (last, terminated, truncated) == (reward, True, False)
    assert info["winner"] == winner and info["score"] == -komi and info["reason"] == "passes"


@pytest.mark.parametrize(
    ("agent_color", "komi", "moves", "reward", "score"),
    [
        ("black", 7.5, "C3 pass", 1.0, 17.5),  # black owns the board
        ("black", 25, "C3 pass", 0.0, 0.0),  # integer komi: a draw
        ("white", 0, "pass", 0.0, 0.0),  # empty board, no komi: a draw
        ("white", 0.5, "pass", 1.0, -0.5),
        ("white", 0, "C3 pass", 1.0, -25.0),  # black only passes; white owns the board
    ],
)
def test_reward_sign_for_either_colour(
    agent_color: str, komi: float, moves: str, reward: float, score: float
) -> None:
    """The opponent always passes (first, when the agent is white)."""
    env = GoEnv(size=5, komi=komi, opponent=always_pass, agent_color=agent_color)
    env.reset(seed=0)
    actions = [vertex(name, 5) for name in moves.split()]
    for action in actions[:-1]:
        assert env.step(action)[1:3] == (0.0, False)
    _, got, terminated, _, info = env.step(actions[-1])
    assert (got, terminated, info["score"]) == (reward, True, score)
    expected_winner = 0 if score == 0 else BLACK if score > 0 else WHITE
    assert info["winner"] == expected_winner


def test_move_cap_ends_the_game_scored() -> None:
    env = self_play_env(5, max_plies=4, komi=0.5)
    for i, name in enumerate(["A1", "E5", "B1", "D5"]):
        _, reward, terminated, truncated, info = env.step(vertex(name, 5))
        assert terminated == (i == 3) and not truncated
    assert info["reason"] == "move_cap" and info["score"] == -0.5 and reward == 1.0
    assert env.to_game().result is not None


# -- illegal actions -----------------------------------------------------------------------


def test_illegal_action_loses_and_leaves_the_board() -> None:
    env = GoEnv(size=5, opponent=always_pass)
    env.reset(seed=0)
    env.step(vertex("C3", 5))
    before = env.state.stones()
    obs, reward, terminated, truncated, info = env.step(vertex("C3", 5))
    assert (reward, terminated, truncated) == (-1.0, True, False)
    assert info["illegal"] and info["illegal_reason"] == "occupied" and info["reason"] == "illegal"
    assert info["winner"] == WHITE
    assert env.state.stones().tolist() == before.tolist()
    assert obs.shape == (17, 5, 5)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_suicide_is_illegal_under_default_rules() -> None:
    env = self_play_env(5)
    for action in setup_moves(". O . . .\n O . . . .\n" + ". . . . .\n" * 3, to_move=BLACK):
        env.step(action)
    _, reward, terminated, _, info = env.step(vertex("A5", 5))
    assert (reward, terminated, info["illegal_reason"]) == (-1.0, True, "suicide")


@pytest.mark.parametrize("action", [-1, 26, 1000])
def test_action_outside_the_space_raises(action: int) -> None:
    env = self_play_env(5)
    with pytest.raises(ValueError, match="outside"):
        env.step(action)


# -- opponents ------------------------------------------------------------------------------


class RecordingPlayer:
    """A Player that checks the game it is handed against the environment's board."""

    name = "recording"

    def __init__(self, seed: int) -> None:
        self.inner = RandomPlayer(seed)
        self.state: object = None  # the environment's GoState, set once it exists
        self.calls = 0
        self.resets = 0

    def genmove(
        self, game: Game, color: int, budget: Budget | None = None, cleanup: bool = False
    ) -> Decision:
        assert color == game.to_move
        assert game.board.to_array().tolist() == self.state.stones().tolist()  # type: ignore[attr-defined]
        assert [m.action for m in game.moves] == self.state.moves()  # type: ignore[attr-defined]
        self.calls += 1
        return self.inner.genmove(game, color, budget)

    def reset(self) -> None:
        self.resets += 1


@pytest.mark.parametrize("agent_color", ["black", "white"])
def test_player_opponent_sees_the_game_in_sync(agent_color: str) -> None:
    player = RecordingPlayer(seed=3)
    env = GoEnv(size=5, opponent=player, agent_color=agent_color)
    player.state = env.state
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=0)
    assert player.resets == 1
    terminated = False
    while not terminated:
        obs, reward, terminated, _, info = env.step(sample(info["action_mask"], rng))
        if not terminated:
            game = env.to_game()
            np.testing.assert_array_equal(obs, features(game))
    assert player.calls >= 2 and reward in (-1.0, 0.0, 1.0)


def test_mcts_player_opponent() -> None:
    player = MCTSPlayer(MCTSConfig(threads=1, seed=1, capacity=10_000), Budget(playouts=16))
    env = GoEnv(size=5, komi=0.5, opponent=player, agent_color="white", max_plies=12)
    obs, info = env.reset(seed=0)
    assert "opponent_action" in info and env.state.plies == 1
    terminated, steps = False, 0
    while not terminated:
        obs, reward, terminated, _, info = env.step(int(np.flatnonzero(info["action_mask"])[0]))
        steps += 1
    assert steps <= 6 and info["reason"] in ("passes", "move_cap")
    assert reward == (1.0 if info["winner"] == WHITE else -1.0)


class Resigner:
    """A Player that resigns at its ``after``-th move and passes before."""

    name = "resigner"

    def __init__(self, after: int) -> None:
        self.after = after
        self.moves = 0

    def genmove(
        self, game: Game, color: int, budget: Budget | None = None, cleanup: bool = False
    ) -> Decision:
        self.moves += 1
        return Decision(RESIGN if self.moves >= self.after else game.pass_action)

    def reset(self) -> None:
        self.moves = 0


def test_opponent_resignation_is_a_win() -> None:
    env = GoEnv(size=5, opponent=Resigner(after=2), agent_color="black")
    env.reset(seed=0)
    assert env.step(vertex("C3", 5))[1:3] == (0.0, False)
    _, reward, terminated, truncated, info = env.step(vertex("D3", 5))
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["reason"] == "resign" and info["winner"] == BLACK
    result = env.to_game().result
    assert result is not None and result.sgf() == "B+R"
    with pytest.raises(RuntimeError, match="first move"):
        GoEnv(size=5, opponent=Resigner(after=1), agent_color="white").reset(seed=0)


def test_policy_opponent_gets_its_own_view() -> None:
    seen: list[tuple[np.ndarray, np.ndarray]] = []

    def first_legal(observation: np.ndarray, mask: np.ndarray) -> int:
        seen.append((observation, mask))
        return int(np.flatnonzero(mask)[0])

    env = GoEnv(size=5, opponent=first_legal, agent_color="black")
    env.reset(seed=0)
    obs, _, _, _, info = env.step(vertex("C3", 5))
    observation, mask = seen[-1]
    assert mask.dtype == np.int8 and mask[vertex("C3", 5)] == 0 and mask[0] == 1
    assert observation[16].max() == 0.0  # white to move: the colour plane is zero
    assert observation[1].reshape(-1)[vertex("C3", 5)] == 1.0  # black's stone is the opponent's
    assert info["opponent_action"] == 0
    assert obs[16].min() == 1.0 and obs[0].reshape(-1)[vertex("C3", 5)] == 1.0


def test_illegal_opponent_move_raises() -> None:
    env = GoEnv(size=5, opponent=lambda observation, mask: 12)  # always C3
    env.reset(seed=0)
    with pytest.raises(IllegalOpponentMoveError, match="occupied"):
        env.step(12)


def test_built_in_random_opponent_plays_legal_non_eye_moves() -> None:
    env = GoEnv(size=5, komi=0.5, max_plies=200)
    rng = np.random.default_rng(1)
    obs, info = env.reset(seed=4)
    terminated = False
    while not terminated:
        before = env.to_game()
        obs, reward, terminated, _, info = env.step(sample(info["action_mask"], rng))
        if "opponent_action" in info:
            replay = env.to_game()
            agent_move = replay.moves[len(before.moves)].action
            before.play(agent_move)
            reply = info["opponent_action"]
            assert before.board.is_legal(reply)
            choices = [a for a in range(25) if before.board.is_legal(a) and not _own_eye(before, a)]
            assert reply in choices or (reply == 25 and not choices)
    assert info["reason"] in ("passes", "move_cap")


def _own_eye(game: Game, action: int) -> bool:
    grid = game.board.to_array()
    row, col = divmod(action, game.size)
    color = game.to_move
    for r, c in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)):
        if 0 <= r < game.size and 0 <= c < game.size and grid[r, c] != color:
            return False
    return True


# -- seeding ---------------------------------------------------------------------------------


def _trajectory(seed: int, episodes: int = 2) -> list[tuple]:
    env = GoEnv(size=5, agent_color="random")
    rng = np.random.default_rng(0)
    out: list[tuple] = []
    obs, info = env.reset(seed=seed)
    for _ in range(episodes):
        out.append(("reset", env.agent_color, obs.tobytes(), info["action_mask"].tobytes()))
        terminated = False
        while not terminated:
            obs, reward, terminated, _, info = env.step(sample(info["action_mask"], rng))
            out.append((obs.tobytes(), reward, info.get("opponent_action")))
        obs, info = env.reset()
    return out


def test_same_seed_same_episodes() -> None:
    assert _trajectory(11) == _trajectory(11)
    assert _trajectory(11) != _trajectory(12)


# -- rendering --------------------------------------------------------------------------------


def test_render_rgb_array() -> None:
    env = GoEnv(size=9, opponent="self", render_mode="rgb_array")
    env.reset(seed=0)
    env.step(vertex("C3", 9))
    env.step(vertex("G7", 9))
    frame = env.render()
    assert isinstance(frame, np.ndarray)
    assert frame.shape == (320, 320, 3) and frame.dtype == np.uint8
    # C3 is at column 3, row 3 from the bottom: image x = 3 * 32, y = (9 - 2) * 32
    assert frame[7 * 32, 3 * 32].max() < 80  # black stone
    assert frame[3 * 32 + 12, 7 * 32].min() > 200  # white stone, off the last-move marker
    assert frame[3 * 32, 7 * 32, 0] > frame[3 * 32, 7 * 32, 1] + 80  # red marker on G7
    assert frame[2, 2].tolist() == [220, 179, 92]  # the board's wood


def test_render_ansi_is_the_board_diagram() -> None:
    env = GoEnv(size=5, opponent="self", render_mode="ansi")
    env.reset(seed=0)
    env.step(vertex("B2", 5))
    text = env.render()
    assert isinstance(text, str)
    assert text == env.state.to_board().diagram(vertex("B2", 5)) + "\n"
    assert "(X)" in text


def test_render_without_mode_returns_none() -> None:
    env = GoEnv(size=5)
    env.reset(seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert env.render() is None


def test_board_image_draws_stones_and_star_points() -> None:
    stones = np.zeros((9, 9), dtype=np.int8)
    stones[0, 0] = BLACK
    stones[8, 8] = WHITE
    image = board_image(stones, cell=16)
    assert image.shape == (160, 160, 3)
    assert image[144, 16].max() < 80  # A1, bottom left
    assert image[16, 144].min() > 200  # J9, top right
    assert sorted(star_points(9)) == [(2, 2), (2, 6), (4, 4), (6, 2), (6, 6)]
    assert len(star_points(19)) == 9 and star_points(5) == []
    with pytest.raises(ValueError):
        board_image(np.zeros((3, 4), dtype=np.int8))


# -- vector environments ------------------------------------------------------------------------


def _run_vector(envs: gym.vector.SyncVectorEnv | gym.vector.AsyncVectorEnv, steps: int) -> int:
    rng = np.random.default_rng(0)
    obs, info = envs.reset(seed=0)
    assert obs.shape == (envs.num_envs, 17, 5, 5)
    assert info["action_mask"].shape == (envs.num_envs, 26)
    ends = 0
    for _ in range(steps):
        actions = np.array([sample(mask, rng) for mask in info["action_mask"]])
        obs, rewards, terminated, truncated, info = envs.step(actions)
        assert not truncated.any()
        ends += int(terminated.sum())
        assert set(rewards[terminated].tolist()) <= {-1.0, 0.0, 1.0}
    masks = envs.call("action_masks")
    assert len(masks) == envs.num_envs and masks[0].dtype == np.bool_
    envs.close()
    return ends


def test_sync_vector_env() -> None:
    envs = gym.make_vec(engine.envs.ENV_ID, num_envs=3, vectorization_mode="sync", size=5)
    assert isinstance(envs, gym.vector.SyncVectorEnv)
    assert _run_vector(envs, 120) > 0


def test_async_vector_env_with_spawned_workers() -> None:
    envs = gym.make_vec(
        engine.envs.ENV_ID,
        num_envs=2,
        vectorization_mode="async",
        vector_kwargs={"context": "spawn"},
        size=5,
    )
    assert isinstance(envs, gym.vector.AsyncVectorEnv)
    assert _run_vector(envs, 60) > 0


@pytest.mark.parametrize("first", ["engine", "gymnasium"])
def test_import_engine_registers_the_id_in_either_import_order(first: str) -> None:
    import subprocess
    import sys

    second = "gymnasium" if first == "engine" else "engine"
    code = (f"import {first}, {second}, gymnasium as gym; env = gym.make('zerogo/Go-v0'); "
            "obs, info = env.reset(seed=0); print(obs.shape, info['action_mask'].shape)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["(17,", "9,", "9)", "(82,)"]
