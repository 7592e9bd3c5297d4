"""Tabular Q-learning on a tiny board, where the whole table fits in memory.

Rules of the tiny game (``tiny_spec``; the defaults are those of the test that
checks the known best move): board N x N (3 by default), area scoring of the
stones as they stand (Tromp-Taylor), suicide illegal, simple ko only (no superko:
``Rules(superko=False)``), the game ends after two passes in a row or after
``max_plies`` moves (``2 * N * N``), komi 5.5.  On 3x3 under these rules the
minimax area margin for black is +9 after the centre opening, +3 after an edge
point and -9 after a corner or a pass (solved exhaustively in
``tests/trainer/baselines/test_qlearning.py``), so with komi 5.5 the centre is the
unique winning first move.

The state is everything the rules depend on: the stones, the colour to move, the
simple-ko point, whether the last move was a pass and the moves played so far (the
move cap), packed into one int64 (``KeyMaker``), by default in the canonical one
of its 8 symmetric orientations.  Without superko that state is Markov, so the
table is an exact tabular model of the game.  (With superko the key ignores the
earlier positions and the table is an approximation.)

Notation as in Sutton and Barto: Q(s, a), step size alpha, exploration epsilon.
Episodes are played one move at a time on ``GoState`` with epsilon-greedy moves
(ties between equal Q-values broken at random; illegal actions never chosen nor
maximised over) and, once the episode is over, updated from its last move back
to its first (so the outcome reaches the opening in one episode; each update is
still the one-step Q-learning update, with the max over the next state):

    Q(s, a) <- Q(s, a) + alpha (target - Q(s, a))

* ``opponent="self"``: the agent plays both colours; zero-sum negamax target
  ``target = r`` when the move ends the game (the mover's +1 / -1 / 0), else
  ``-max_a' Q(s', a')`` where s' is the opponent's state.  It converges to the
  minimax values, which is how it finds the known best move.
* ``opponent="random"``: the agent plays one colour (alternating each episode)
  against the environment's random player; ``target = r + max_a' Q(s'', a')``
  with s'' the agent's next state.  The online return then shows the cost of
  exploring, and ``plot_epsilon_curves`` draws it for several epsilons.

Tables are saved as ``.npz`` (``QTable.save``) and read with ``allow_pickle=False``.
Start reading at ``train_qlearning``.
"""

from __future__ import annotations

import os
import time
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine import _board_kernels as K
from engine.board import BLACK, WHITE, Rules
from engine.envs import _env_kernels as EK
from engine.envs.gym_env import GoState
from engine.features import FeatureConfig
from engine.symmetry import NUM_SYMMETRIES, action_table
from trainer.baselines.rollout import GameSpec, RandomPolicy, WinRate, win_rate

MAX_TABLE_SIZE = 5
"""Largest board whose state fits the int64 key (3^25 stone patterns on 5x5)."""

TABLE_FORMAT = "zerogo-qtable"
TABLE_VERSION = 1
TINY_FEATURES = FeatureConfig(history=1)
"""Planes the environment fills for tabular agents (unused by the table itself)."""

OPPONENTS = ("self", "random")


def tiny_spec(
    size: int = 3, komi: float = 5.5, max_plies: int | None = None, superko: bool = False
) -> GameSpec:
    """Return the tiny game of the module docstring.

    Raises:
        ValueError: for a board larger than ``MAX_TABLE_SIZE``.
    """
    if size > MAX_TABLE_SIZE:
        raise ValueError(f"tabular Q-learning supports boards up to {MAX_TABLE_SIZE}, not {size}")
    cap = 2 * size * size if max_plies is None else max_plies
    return GameSpec(size, komi, TINY_FEATURES, Rules(superko=superko), cap)


def cap_of(spec: GameSpec) -> int:
    """Return the move cap of ``spec`` (``2 * N * N`` unless set)."""
    return spec.max_plies if spec.max_plies is not None else 2 * spec.size * spec.size


class KeyMaker:
    """Packs a position into one int64: stones, colour to move, ko, pass and plies.

    With ``symmetry`` the key is that of the position's canonical orientation: of
    its 8 rotations and reflections (``engine.symmetry``), the one with the
    smallest key.  The Q-values of a state are then stored in the canonical frame,
    and ``perm`` maps the actual board's actions into it: the Q-value of action
    ``a`` is ``row[perm[a]]``.  The rules are symmetric, so this is exact and makes
    the table up to 8 times smaller.

    Args:
        size: board size N (at most ``MAX_TABLE_SIZE``).
        max_plies: the move cap (plies take values 0 .. max_plies).
        symmetry: fold the 8 symmetries into one key.

    Raises:
        ValueError: for a board too large for the key.
    """

    def __init__(self, size: int, max_plies: int, symmetry: bool = True) -> None:
        if size > MAX_TABLE_SIZE:
            raise ValueError(f"state keys support boards up to {MAX_TABLE_SIZE}, not {size}")
        width = size + 2
        points = size * size
        rows, cols = np.divmod(np.arange(points), size)
        self.size = size
        self.max_plies = max_plies
        self.symmetry = symmetry
        self.interior = ((rows + 1) * width + cols + 1).astype(np.int64)
        ks = range(NUM_SYMMETRIES) if symmetry else [0]
        # perms[k, a]: image of action a under symmetry k (pass stays pass)
        self.perms = np.stack([action_table(k, size) for k in ks]).astype(np.int64)
        powers = 3 ** np.arange(points, dtype=np.int64)
        # stone_weights[a, k]: weight of point a's colour in the key of orientation k
        self.stone_weights = powers[self.perms[:, :points]].T.copy()
        self._identity = np.arange(points + 1, dtype=np.int64)

    def key(
        self, color: np.ndarray, to_move: int, ko: int, passes: int, plies: int
    ) -> tuple[int, np.ndarray]:
        """Return the key of a position and the action map into its frame.

        Args:
            color: int8 (W*W,) padded stones (``BoardArrays.color``).
            to_move: BLACK or WHITE.
            ko: padded index of the simple-ko point, or -1.
            passes: consecutive passes so far (0 or 1 in a running game).
            plies: moves played so far.

        Returns:
            (key, perm): perm is int64 (A,), ``perm[a]`` the action ``a`` in the
            key's frame (the identity without symmetry).
        """
        n = self.size
        stones = color[self.interior].astype(np.int64) @ self.stone_weights  # (K,)
        if ko >= 0:
            width = n + 2
            ko_flat = (ko // width - 1) * n + ko % width - 1
            ko_codes = self.perms[:, ko_flat] + 1
        else:
            ko_codes = np.zeros(len(stones), dtype=np.int64)
        tail = ((to_move - 1) * 2 + min(passes, 1)) * (self.max_plies + 1)
        tail += min(plies, self.max_plies)
        keys = (stones * (n * n + 1) + ko_codes) * (4 * (self.max_plies + 1)) + tail
        k = int(np.argmin(keys))
        return int(keys[k]), self.perms[k]

    def of_state(self, state: GoState) -> tuple[int, np.ndarray]:
        """Return ``key``'s result for a running environment game."""
        meta = state.board.meta
        return self.key(
            state.board.color, int(meta[K.M_TO_MOVE]), int(meta[K.M_KO]),
            int(meta[K.M_PASSES]), state.plies,
        )


class QTable:
    """Q(s, a) for the states visited, 0 elsewhere.

    Rows are kept in the canonical frame of ``KeyMaker`` (see there); ``q_values``
    returns them in the frame of the actual board.

    Args:
        spec: the game (size, komi, rules, cap).
        initial: Q-value of actions never updated (above 0 is optimistic).
        symmetry: share one row among the 8 orientations of a position.
    """

    def __init__(self, spec: GameSpec, initial: float = 0.0, symmetry: bool = True) -> None:
        self.spec = spec
        self.initial = float(initial)
        self.symmetry = symmetry
        self.keys = KeyMaker(spec.size, cap_of(spec), symmetry)
        self.table: dict[int, np.ndarray] = {}
        self.episodes = 0

    def q_values(self, state: GoState) -> np.ndarray | None:
        """Return the float64 (A,) Q-values of a running game's position in its own
        frame, or None if the state was never visited."""
        key, perm = self.keys.of_state(state)
        row = self.table.get(key)
        return None if row is None else row[perm]

    def row(self, key: int) -> np.ndarray:
        """Return the float64 (A,) Q-values of a state in its canonical frame
        (created on first use; modify it in place to learn)."""
        row = self.table.get(key)
        if row is None:
            row = np.full(self.spec.num_actions, self.initial, dtype=np.float64)
            self.table[key] = row
        return row

    def values(self, key: int) -> np.ndarray | None:
        """Return the Q-values of a state, or None if it was never visited."""
        return self.table.get(key)

    def __len__(self) -> int:
        return len(self.table)

    def save(self, path: str | os.PathLike[str], extra: dict[str, float] | None = None) -> Path:
        """Write the table as ``.npz`` (plain arrays only: loads with ``allow_pickle=False``).

        Returns:
            The path written.
        """
        path = Path(path)
        keys = np.array(sorted(self.table), dtype=np.int64)
        q = np.stack([self.table[int(k)] for k in keys]).astype(np.float32) if len(keys) else (
            np.zeros((0, self.spec.num_actions), dtype=np.float32)
        )
        arrays: dict[str, Any] = {
            "format": np.array(TABLE_FORMAT),
            "version": np.array(TABLE_VERSION),
            "size": np.array(self.spec.size),
            "komi": np.array(self.spec.komi),
            "max_plies": np.array(cap_of(self.spec)),
            "superko": np.array(self.spec.rules.superko),
            "allow_suicide": np.array(self.spec.rules.allow_suicide),
            "initial": np.array(self.initial),
            "symmetry": np.array(self.symmetry),
            "episodes": np.array(self.episodes),
            "keys": keys,
            "q": q,
        }
        for name, value in (extra or {}).items():
            arrays[f"extra_{name}"] = np.array(value)
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> QTable:
        """Read a table written by ``save``.

        Raises:
            FileNotFoundError: if there is no such file.
            ValueError: if the file is not a zerogo Q-table.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except FileNotFoundError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise ValueError(f"{path}: not a readable Q-table ({exc})") from None
        missing = {"format", "version", "allow_suicide", "superko", "size", "komi",
                   "max_plies", "initial", "symmetry", "q", "keys"} - set(arrays)
        if str(arrays.get("format", "")) == TABLE_FORMAT and missing:
            raise ValueError(f"{path}: Q-table lacks {sorted(missing)}")
        if str(arrays.get("format", "")) != TABLE_FORMAT:
            raise ValueError(f"{path}: not a zerogo Q-table (no format {TABLE_FORMAT!r})")
        if int(arrays["version"]) != TABLE_VERSION:
            raise ValueError(f"{path}: Q-table version {int(arrays['version'])} is not supported")
        rules = Rules(bool(arrays["allow_suicide"]), bool(arrays["superko"]))
        size = int(arrays["size"])
        spec = GameSpec(size, float(arrays["komi"]), TINY_FEATURES, rules, int(arrays["max_plies"]))
        table = cls(spec, float(arrays["initial"]), bool(arrays["symmetry"]))
        q = arrays["q"].astype(np.float64)
        if q.shape != (len(arrays["keys"]), spec.num_actions):
            raise ValueError(f"{path}: Q-values of shape {q.shape} do not fit the keys")
        table.table = {int(k): q[i].copy() for i, k in enumerate(arrays["keys"])}
        table.episodes = int(arrays["episodes"])
        return table


def greedy_action(q: np.ndarray, legal: np.ndarray, rng: np.random.Generator) -> int:
    """Return a legal action of highest Q-value, ties broken uniformly at random."""
    masked = np.where(legal, q, -np.inf)
    best = np.flatnonzero(masked == masked.max())
    return int(best[rng.integers(len(best))]) if len(best) > 1 else int(best[0])


def max_legal(q: np.ndarray, legal: np.ndarray) -> float:
    """Return max over the legal actions of ``q`` (pass is always legal)."""
    return float(np.where(legal, q, -np.inf).max())


class QTablePolicy:
    """A Q-table's greedy moves as a batched policy (``rollout.BatchPolicy``).

    Unvisited states get a uniformly random legal move.

    Args:
        table: the Q-table.
        epsilon: probability of a uniformly random legal move.
        seed: seeds the random choices.
    """

    def __init__(self, table: QTable, epsilon: float = 0.0, seed: int = 0) -> None:
        self.table = table
        self.epsilon = epsilon
        self.name = "qtable"
        self._rng = np.random.default_rng(seed)

    def act(self, obs: np.ndarray, legal: np.ndarray, states: Sequence[GoState]) -> np.ndarray:
        """Return one action per game (see the class docstring)."""
        actions = np.empty(len(states), dtype=np.int64)
        for i, state in enumerate(states):
            q = self.table.q_values(state)
            if q is None or self._rng.random() < self.epsilon:
                actions[i] = int(self._rng.choice(np.flatnonzero(legal[i])))
            else:
                actions[i] = greedy_action(q, legal[i], self._rng)
        return actions


@dataclass(frozen=True)
class QLearningConfig:
    """Settings of a tabular run (``zerogo baseline qlearn`` flags map onto these).

    Attributes:
        size: board size N (2 .. ``MAX_TABLE_SIZE``).
        komi: komi.
        max_plies: move cap (default ``2 * N * N``).
        superko: enforce positional superko (the key then ignores history).
        episodes: games to learn from.
        alpha: step size; 1 suits self-play, whose game is deterministic (use
            less against the random player).
        epsilon: exploration probability of the epsilon-greedy policy.
        opponent: ``"self"`` (negamax self-play) or ``"random"``.
        initial_q: Q-value of untried actions; 1 (the best outcome) is
            optimistic: every untried move looks winning until tried, which
            drives exploration on top of epsilon.
        symmetry: one table row for the 8 orientations of a position.
        eval_every: episodes between win-rate checks of the greedy policy
            against random (0: never).
        eval_games: games per check.
        seed: seeds exploration and the games.

    Raises:
        ValueError: for an out-of-range setting.
    """

    size: int = 3
    komi: float = 5.5
    max_plies: int | None = None
    superko: bool = False
    episodes: int = 20000
    alpha: float = 1.0
    epsilon: float = 0.02
    opponent: str = "self"
    initial_q: float = 1.0
    symmetry: bool = True
    eval_every: int = 0
    eval_games: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        if not 2 <= self.size <= MAX_TABLE_SIZE:
            raise ValueError(f"size must be between 2 and {MAX_TABLE_SIZE}, not {self.size}")
        if self.episodes < 1:
            raise ValueError(f"episodes must be at least 1, not {self.episodes}")
        if not 0 < self.alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], not {self.alpha}")
        if not 0 <= self.epsilon <= 1:
            raise ValueError(f"epsilon must be in [0, 1], not {self.epsilon}")
        if self.opponent not in OPPONENTS:
            raise ValueError(f"opponent must be one of {OPPONENTS}, not {self.opponent!r}")
        if self.eval_every < 0 or self.eval_games < 1:
            raise ValueError("eval_every must be >= 0 and eval_games >= 1")

    def spec(self) -> GameSpec:
        """Return the game."""
        return tiny_spec(self.size, self.komi, self.max_plies, self.superko)


@dataclass
class QLearningResult:
    """What ``train_qlearning`` leaves behind.

    Attributes:
        table: the learned Q-table.
        returns: float32 (episodes,) the agent's return in each training episode
            (black's in self-play).
        evaluations: (episode, win rate of the greedy policy against random).
        seconds: wall-clock seconds.
    """

    table: QTable
    returns: np.ndarray
    evaluations: list[tuple[int, float]]
    seconds: float


def train_qlearning(
    config: QLearningConfig,
    table: QTable | None = None,
    on_episode: Callable[[int, float], None] | None = None,
) -> QLearningResult:
    """Learn Q by epsilon-greedy play (see the module docstring).

    Args:
        config: the run's settings.
        table: a table to continue (default: a fresh one).
        on_episode: called after each episode with (episode, return) — progress
            bars and TensorBoard.

    Returns:
        The table, the training returns and the evaluations.
    """
    start = time.monotonic()
    spec = config.spec()
    table = table or QTable(spec, config.initial_q, config.symmetry)
    rng = np.random.default_rng(config.seed)
    state = spec.new_state()
    returns = np.zeros(config.episodes, dtype=np.float32)
    evaluations: list[tuple[int, float]] = []
    for episode in range(config.episodes):
        seed = int(rng.integers(2**62))
        if config.opponent == "self":
            returns[episode] = _self_play_episode(table, state, config, rng, seed)
        else:
            color = BLACK if episode % 2 == 0 else WHITE
            returns[episode] = _random_opponent_episode(table, state, config, rng, seed, color)
        table.episodes += 1
        if on_episode is not None:
            on_episode(episode + 1, float(returns[episode]))
        if config.eval_every and (episode + 1) % config.eval_every == 0:
            rate = evaluate_table(table, config.eval_games, seed=config.seed + episode)
            evaluations.append((episode + 1, rate.rate))
    return QLearningResult(table, returns, evaluations, time.monotonic() - start)


def evaluate_table(table: QTable, games: int = 100, seed: int = 0) -> WinRate:
    """Return the greedy policy's results against the random player, colours alternating."""
    return win_rate(QTablePolicy(table, 0.0, seed), RandomPolicy(), table.spec, games, seed)


def _choose(
    q: np.ndarray, legal: np.ndarray, epsilon: float, rng: np.random.Generator
) -> int:
    if rng.random() < epsilon:
        return int(rng.choice(np.flatnonzero(legal)))
    return greedy_action(q, legal, rng)


def _outcome(state: GoState, color: int) -> float:
    winner = state.winner()
    return 0.0 if winner == 0 else 1.0 if winner == color else -1.0


def _self_play_episode(
    table: QTable, state: GoState, config: QLearningConfig, rng: np.random.Generator, seed: int
) -> float:
    """Play one self-play game, then make its negamax updates; return black's outcome."""
    state.reset(seed)
    state.observe(BLACK)
    steps: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]] = []
    key, perm = table.keys.of_state(state)
    while True:
        row = table.row(key)
        mover = state.to_move
        action = _choose(row[perm], state.legal, config.epsilon, rng)
        end = state.step(action, EK.REPLY_NONE, EK.SIDE_TO_MOVE)
        if end != EK.NOT_OVER:
            break
        key, next_perm = table.keys.of_state(state)
        steps.append((row, int(perm[action]), table.row(key), state.legal[np.argsort(next_perm)]))
        perm = next_perm
    _update(row, int(perm[action]), _outcome(state, mover), config.alpha)
    for row, index, next_row, next_legal in reversed(steps):
        _update(row, index, -max_legal(next_row, next_legal), config.alpha)
    return _outcome(state, BLACK)


def _random_opponent_episode(
    table: QTable,
    state: GoState,
    config: QLearningConfig,
    rng: np.random.Generator,
    seed: int,
    color: int,
) -> float:
    """Play one game against the built-in random player, then update; return the
    agent's outcome."""
    state.reset(seed)
    if color == WHITE:
        state.step(int(EK.random_reply(state.board, state.arrays)), EK.REPLY_NONE, WHITE)
    else:
        state.observe(BLACK)
    steps: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]] = []
    key, perm = table.keys.of_state(state)
    while True:
        row = table.row(key)
        action = _choose(row[perm], state.legal, config.epsilon, rng)
        end = state.step(action, EK.REPLY_RANDOM, color)
        if end != EK.NOT_OVER:
            break
        key, next_perm = table.keys.of_state(state)
        steps.append((row, int(perm[action]), table.row(key), state.legal[np.argsort(next_perm)]))
        perm = next_perm
    reward = _outcome(state, color)
    _update(row, int(perm[action]), reward, config.alpha)
    for row, index, next_row, next_legal in reversed(steps):
        _update(row, index, max_legal(next_row, next_legal), config.alpha)
    return reward


def _update(row: np.ndarray, action: int, target: float, alpha: float) -> None:
    """Q(s, a) <- Q(s, a) + alpha (target - Q(s, a)), in place."""
    row[action] += alpha * (target - row[action])


def epsilon_curves(
    config: QLearningConfig, epsilons: Sequence[float], window: int = 500
) -> dict[float, dict[str, np.ndarray]]:
    """Train one table per epsilon and return its learning curves.

    Args:
        config: the settings shared by every run (its ``epsilon`` is replaced;
            ``eval_every`` > 0 gives the evaluation curve).
        epsilons: the exploration rates compared.
        window: episodes of the moving average of the training return.

    Returns:
        Per epsilon: ``episodes`` and ``online`` (moving average of the training
        return), ``eval_episodes`` and ``eval_win_rate`` (greedy policy vs random).
    """
    curves: dict[float, dict[str, np.ndarray]] = {}
    for epsilon in epsilons:
        run = train_qlearning(_replace(config, epsilon=epsilon))
        online = _moving_average(run.returns, window)
        curves[float(epsilon)] = {
            "episodes": np.arange(len(online)) + window,
            "online": online,
            "eval_episodes": np.array([e for e, _ in run.evaluations], dtype=np.int64),
            "eval_win_rate": np.array([r for _, r in run.evaluations], dtype=np.float64),
        }
    return curves


def plot_epsilon_curves(
    curves: dict[float, dict[str, np.ndarray]], path: str | os.PathLike[str], title: str = ""
) -> Path:
    """Draw the curves of ``epsilon_curves`` as a two-panel PNG.

    Left: the training (online) return, where exploring costs; right: the win rate
    against random of the greedy policy learned so far, where exploring pays.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for epsilon, curve in curves.items():
        label = f"epsilon = {epsilon:g}"
        left.plot(curve["episodes"], curve["online"], label=label)
        if len(curve["eval_episodes"]):
            right.plot(curve["eval_episodes"], curve["eval_win_rate"], marker=".", label=label)
    left.set(xlabel="episode", ylabel="return while learning (moving average)",
             title="online return (exploration costs)")
    right.set(xlabel="episode", ylabel="win rate vs random", ylim=(0, 1.02),
              title="greedy policy vs random (exploration pays)")
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    window = max(1, min(window, len(values)))
    sums = np.cumsum(np.concatenate([[0.0], values.astype(np.float64)]))
    return (sums[window:] - sums[:-window]) / window


def _replace(config: QLearningConfig, **changes: Any) -> QLearningConfig:
    import dataclasses

    return dataclasses.replace(config, **changes)


__all__ = [
    "MAX_TABLE_SIZE",
    "OPPONENTS",
    "KeyMaker",
    "QLearningConfig",
    "QLearningResult",
    "QTable",
    "QTablePolicy",
    "cap_of",
    "epsilon_curves",
    "evaluate_table",
    "greedy_action",
    "max_legal",
    "plot_epsilon_curves",
    "tiny_spec",
    "train_qlearning",
]
