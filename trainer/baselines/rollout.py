"""Batches of games between batched policies, on the environments' fast path.

A batched policy (``BatchPolicy``) chooses moves for many positions at once:
``act(obs (B, C, N, N), legal (B, A)) -> actions (B,)``.  ``play_games`` plays G
games side by side, one ``engine.envs.gym_env.GoState`` each (one numba call per
move), asking each policy once per ply for all the games where it is to move, so a
network is evaluated on batches instead of single positions.  It records the
positions, legal masks and moves the caller asks for — the learner's moves for
policy gradient and DQN, one position per game for the value network.

``win_rate`` measures one policy against another with colours alternating and
openings paired: games ``2k`` and ``2k + 1`` start with the same random opening
plies, once with each colour, so that two deterministic (greedy) players still play
different games and neither colour is favoured.

Rules are those of the environments: area scoring (Tromp-Taylor) of the stones as
they stand, the game ends after two passes in a row or after ``max_plies`` moves
(``2 * N * N`` by default); positional superko unless ``Rules(superko=False)``.
A policy whose ``mask_own_eyes`` attribute is True gets legal masks without the
moves that fill its own true eyes (``trainer.baselines.eyes``), and those masks
are what is recorded for it (what it sampled from is what it is trained on).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from engine.board import BLACK, WHITE, Rules
from engine.envs import _env_kernels as EK
from engine.envs.gym_env import GoState
from engine.features import FeatureConfig
from trainer.baselines.eyes import mask_own_eyes
from trainer.baselines.policy_net import BASELINE_FEATURES


class BatchPolicy(Protocol):
    """Chooses moves for a batch of positions, each seen by its side to move.

    A policy may also have a ``mask_own_eyes`` attribute: when it is True,
    ``play_games`` leaves the moves that fill the mover's own true eyes out of the
    legal masks it passes (and records) for that policy.
    """

    name: str

    def act(self, obs: np.ndarray, legal: np.ndarray, states: Sequence[GoState]) -> np.ndarray:
        """Return int64 (B,) legal actions for float32 (B, C, N, N) planes and bool
        (B, A) legal masks of the B games ``states`` (read them, do not play on them)."""
        ...


class RandomPolicy:
    """Uniform among the legal moves that do not fill one of its own one-point eyes;
    passes when there is none (``engine.random_player``'s rule, played by the
    environment's kernel ``random_reply`` with each game's own random stream)."""

    name = "random"

    def act(self, obs: np.ndarray, legal: np.ndarray, states: Sequence[GoState]) -> np.ndarray:
        """Return one random action per game (see the class docstring)."""
        return np.array([EK.random_reply(s.board, s.arrays) for s in states], dtype=np.int64)


@dataclass(frozen=True)
class GameSpec:
    """The game the baselines play.

    Attributes:
        size: board size N.
        komi: points given to white.
        features: observation planes.
        rules: suicide and superko options.
        max_plies: moves after which the game is scored (default ``2 * N * N``).

    Raises:
        ValueError: for a size outside 2 .. 19 or a move cap below 2.
    """

    size: int = 9
    komi: float = 7.5
    features: FeatureConfig = BASELINE_FEATURES
    rules: Rules = field(default_factory=Rules)
    max_plies: int | None = None

    def __post_init__(self) -> None:
        if not 2 <= self.size <= 19:
            raise ValueError(f"board size must be between 2 and 19, not {self.size}")
        if self.max_plies is not None and self.max_plies < 2:
            raise ValueError(f"max_plies must be at least 2, not {self.max_plies}")

    @property
    def num_actions(self) -> int:
        """A = N*N + 1."""
        return self.size * self.size + 1

    def new_state(self) -> GoState:
        """Return a fresh game on the fast path."""
        return GoState(self.size, self.komi, self.rules, self.features, self.max_plies)


@dataclass
class Records:
    """Recorded moves: M positions, each with what was played there.

    Attributes:
        obs: float32 (M, C, N, N) planes of the side to move.
        legal: bool (M, A) its legal actions.
        actions: int64 (M,) the action played.
        game: int64 (M,) index of the game in the batch.
        ply: int64 (M,) moves played before this position.
        color: int8 (M,) the side to move (BLACK or WHITE).
    """

    obs: np.ndarray
    legal: np.ndarray
    actions: np.ndarray
    game: np.ndarray
    ply: np.ndarray
    color: np.ndarray

    def __len__(self) -> int:
        return len(self.actions)


@dataclass
class Played:
    """The outcome of ``play_games``.

    Attributes:
        winners: int8 (G,) BLACK, WHITE or 0 (draw).
        scores: float64 (G,) black's area minus white's minus komi.
        plies: int64 (G,) moves of each game.
        records: the recorded positions.
    """

    winners: np.ndarray
    scores: np.ndarray
    plies: np.ndarray
    records: Records

    def outcome(self, games: np.ndarray, colors: np.ndarray) -> np.ndarray:
        """Return z (float32) of ``colors[i]`` in game ``games[i]``: +1 win, -1 loss, 0 draw."""
        winners = self.winners[games]
        z = np.where(winners == colors, 1.0, -1.0)
        return np.where(winners == 0, 0.0, z).astype(np.float32)


def play_games(
    policies: Sequence[BatchPolicy],
    seats: np.ndarray,
    spec: GameSpec,
    seed: int = 0,
    *,
    opening_plies: int = 0,
    random_at: np.ndarray | None = None,
    record: Collection[int] = (),
    record_ply: np.ndarray | None = None,
    pair_openings: bool = False,
) -> Played:
    """Play G games to the end, side by side.

    Args:
        policies: the batched policies.
        seats: int (G, 2): ``seats[g, 0]`` is the index in ``policies`` of game g's
            black player, ``seats[g, 1]`` of its white player.
        spec: board size, komi, planes, rules and move cap.
        seed: seeds the random moves and the games' own random streams.
        opening_plies: the first plies of every game are uniformly random legal
            moves other than pass (not asked of the policies).
        random_at: int (G,): game g also plays one uniformly random legal move at
            ply ``random_at[g]`` (-1: none) — AlphaGo's value-network data.
        record: record the moves of the policies with these indices.
        record_ply: int (G,): record only the position at this ply of each game
            (whoever moves, random moves included); -1 records nothing.
        pair_openings: games ``2k`` and ``2k + 1`` draw the same random moves.

    Returns:
        Winners, scores, lengths and the recorded positions.

    Raises:
        ValueError: if ``seats`` is not (G, 2) or names a policy that does not exist.
        RuntimeError: if a policy chooses an illegal move.
    """
    seats = np.asarray(seats, dtype=np.int64)
    if seats.ndim != 2 or seats.shape[1] != 2:
        raise ValueError(f"seats must have shape (G, 2), not {seats.shape}")
    if seats.size and (seats.min() < 0 or seats.max() >= len(policies)):
        raise ValueError(f"seats name policies outside 0 .. {len(policies) - 1}")
    count = len(seats)
    states = [spec.new_state() for _ in range(count)]
    seeds = np.random.SeedSequence(seed).generate_state(count, dtype=np.uint64)
    for g, state in enumerate(states):
        state.reset(int(seeds[g]))
        state.observe(BLACK)
    recorded = _Recorder()
    pass_action = spec.size * spec.size
    active = list(range(count))
    ply = 0
    while active:
        groups: dict[int, list[int]] = {}
        chosen: dict[int, int] = {}
        randoms: set[int] = set()
        for g in active:
            state = states[g]
            if ply < opening_plies or (random_at is not None and random_at[g] == ply):
                randoms.add(g)
                key = (g // 2) if pair_openings else g
                chosen[g] = _random_move(state.legal, pass_action, (seed, key, ply))
            else:
                groups.setdefault(int(seats[g, state.to_move - 1]), []).append(g)
        for index, games in groups.items():
            obs = np.stack([states[g].obs for g in games])
            legal = np.stack([states[g].legal for g in games])
            if getattr(policies[index], "mask_own_eyes", False):
                legal = mask_own_eyes(legal, obs)
            actions = policies[index].act(obs, legal, [states[g] for g in games])
            for i, g in enumerate(games):
                chosen[g] = int(actions[i])
            if index in record:
                keep = [
                    i for i, g in enumerate(games) if record_ply is None or record_ply[g] == ply
                ]
                kept = [games[i] for i in keep]
                colors = [states[g].to_move for g in kept]
                recorded.add(obs[keep], legal[keep], actions[keep], kept, ply, colors)
        if record_ply is not None:  # the positions the loop above did not record
            for g in chosen:
                state = states[g]
                asked = g not in randoms
                if record_ply[g] == ply and not (asked and seats[g, state.to_move - 1] in record):
                    recorded.add(state.obs[None].copy(), state.legal[None].copy(),
                                 np.array([chosen[g]]), [g], ply, [state.to_move])
        still = []
        for g in active:
            end = states[g].step(chosen[g], EK.REPLY_NONE, EK.SIDE_TO_MOVE)
            if end == EK.END_ILLEGAL:
                raise RuntimeError(
                    f"game {g}, ply {ply}: action {chosen[g]} is illegal "
                    f"({states[g].illegal_reason})"
                )
            if end == EK.NOT_OVER:
                still.append(g)
        active = still
        ply += 1
    scores = np.array([s.score() for s in states], dtype=np.float64)
    winners = np.where(scores > 0, BLACK, np.where(scores < 0, WHITE, 0)).astype(np.int8)
    plies = np.array([s.plies for s in states], dtype=np.int64)
    return Played(winners, scores, plies, recorded.build(spec))


@dataclass(frozen=True)
class WinRate:
    """Wins, losses and draws of one player in a match; draws count half.

    Attributes:
        wins: games won.
        losses: games lost.
        draws: games drawn.
    """

    wins: int
    losses: int
    draws: int

    @property
    def games(self) -> int:
        """Games played."""
        return self.wins + self.losses + self.draws

    @property
    def rate(self) -> float:
        """Score per game in [0, 1] (win 1, draw 1/2)."""
        return (self.wins + 0.5 * self.draws) / self.games if self.games else float("nan")

    def __str__(self) -> str:
        return f"{self.rate:.1%} ({self.wins}-{self.losses}-{self.draws} of {self.games})"


def win_rate(
    policy: BatchPolicy,
    opponent: BatchPolicy,
    spec: GameSpec,
    games: int = 200,
    seed: int = 0,
    opening_plies: int = 0,
) -> WinRate:
    """Return ``policy``'s results against ``opponent``, colours alternating.

    Game ``2k`` gives ``policy`` black, game ``2k + 1`` white, and both start with
    the same ``opening_plies`` random plies.

    Args:
        policy: the player measured.
        opponent: the other player.
        spec: the game.
        games: number of games (rounded up to even).
        seed: random seed of openings and built-in random players.
        opening_plies: random plies at the start of each game.

    Raises:
        ValueError: for fewer than one game.
    """
    if games < 1:
        raise ValueError(f"games must be at least 1, not {games}")
    pairs = (games + 1) // 2
    seats = np.tile(np.array([[0, 1], [1, 0]]), (pairs, 1))
    played = play_games(
        [policy, opponent], seats, spec, seed, opening_plies=opening_plies, pair_openings=True
    )
    colors = np.where(seats[:, 0] == 0, BLACK, WHITE)
    z = played.outcome(np.arange(len(seats)), colors)
    return WinRate(int((z > 0).sum()), int((z < 0).sum()), int((z == 0).sum()))


class _Recorder:
    """Collects recorded positions batch by batch."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        obs: np.ndarray,
        legal: np.ndarray,
        actions: np.ndarray,
        games: Sequence[int],
        ply: int,
        colors: Sequence[int],
    ) -> None:
        if len(games) == 0:
            return
        self.parts.append((
            obs,
            legal,
            np.asarray(actions, dtype=np.int64),
            np.asarray(games, dtype=np.int64),
            np.full(len(games), ply, dtype=np.int64),
            np.asarray(colors, dtype=np.int8),
        ))

    def build(self, spec: GameSpec) -> Records:
        if not self.parts:
            n, planes, a = spec.size, spec.features.num_planes, spec.num_actions
            return Records(
                np.zeros((0, planes, n, n), np.float32), np.zeros((0, a), bool),
                np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                np.zeros(0, np.int8),
            )
        columns = [np.concatenate(c) for c in zip(*self.parts, strict=True)]
        records = Records(*columns)
        order = np.lexsort((records.ply, records.game))  # game by game, in move order
        return Records(*(c[order] for c in columns))


def _random_move(legal: np.ndarray, pass_action: int, key: tuple[int, int, int]) -> int:
    """Return a uniformly random legal move other than pass (pass if there is none).

    The draw is seeded by ``key`` = (seed, game or pair, ply), so the two games of
    a pair, whose positions are the same, draw the same move.
    """
    moves = np.flatnonzero(legal[:pass_action])
    if len(moves) == 0:
        return pass_action
    return int(moves[np.random.default_rng(key).integers(len(moves))])


__all__ = [
    "BatchPolicy",
    "GameSpec",
    "Played",
    "RandomPolicy",
    "Records",
    "WinRate",
    "play_games",
    "win_rate",
]
