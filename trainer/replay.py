"""The replay window: the most recent self-play games of a shard directory, in memory.

``ReplayBuffer`` indexes the complete shards of a directory (``selfplay.shards``),
keeps the ``window_games`` most recent games — in shard order (shards are read in name
order, new shards after the ones already known), then game order within a shard — and
picks up new shards with ``refresh`` without reading old ones again.

What is kept per game is what the shards hold, minus what training does not use:
moves (int16), the sparse search policy π (int16 actions, float32 probabilities,
offsets), the policy-target flags, the root values (float32 per position), the result
z and the score from black's view, and the final ownership (int8 per point) with its
validity flag.  Feature planes are *not* kept: the sampler rebuilds them from the
moves (``trainer.dataset``).  A 9x9 game of 60 moves with ~20 policy entries per
position takes about 8 KB.

Vocabulary used below:

* a *window game index* ``g`` numbers the games of the current window, oldest first;
  it changes when the window moves (``version`` counts the changes);
* a game's *serial* numbers the games in the order the buffer took them in (0 for the
  first game ever read); it never changes and is never reused, so it names a game
  across refreshes (the sampler's plane cache is keyed by it);
* a *position* ``(g, t)`` is the position before move ``t`` of game ``g``; black is
  to move when ``t`` is even (self-play games alternate colours from black).

Validation games are chosen by a hash of the game id (``validation_mask``), so the
split is the same in every run and on every machine, and a game never changes side.

Start reading at ``ReplayBuffer.refresh`` and ``ReplayBuffer.sample``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selfplay.shards import list_shards, read_shard

SPLITS = ("train", "validation")
"""Names of the two halves of the window."""

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def validation_mask(game_ids: np.ndarray, fraction: float) -> np.ndarray:
    """Return bool (G,): which games are held out for validation.

    A game is held out when a 64-bit mix of its id (splitmix64's finaliser), read as
    a number in [0, 1), is below ``fraction``: deterministic, independent of the
    order and company in which games arrive, and uniform for any id scheme.

    Args:
        game_ids: int64 (G,) game ids.
        fraction: expected fraction held out, in [0, 1).

    Returns:
        bool (G,).

    Raises:
        ValueError: if ``fraction`` is not in [0, 1).
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation fraction must be in [0, 1), not {fraction}")
    return id_hash_unit(game_ids) < fraction


def id_hash_unit(game_ids: np.ndarray) -> np.ndarray:
    """Return float64 (G,) in [0, 1): splitmix64 of each id, top 53 bits as a fraction."""
    x = np.asarray(game_ids, dtype=np.int64).astype(np.uint64).reshape(-1)
    with np.errstate(over="ignore"):
        x = x + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * _MIX1
        x = (x ^ (x >> np.uint64(27))) * _MIX2
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass(frozen=True)
class ReplayCounts:
    """Sizes of (part of) the window.

    Attributes:
        games: games.
        positions: positions (one per move of each game).
        policy_positions: positions with a policy target.
    """

    games: int
    positions: int
    policy_positions: int


@dataclass(frozen=True)
class RefreshReport:
    """What one ``ReplayBuffer.refresh`` found.

    Attributes:
        new_shards: shards read.
        new_games: games read (some may already have fallen out of a full window).
        new_positions: positions of those games.
        skipped_shards: new shards not read because newer ones filled the window.
        bad_shards: new files that were not readable shards (warned, never retried).
        dropped_games: games that left the window.
    """

    new_shards: int = 0
    new_games: int = 0
    new_positions: int = 0
    skipped_shards: int = 0
    bad_shards: int = 0
    dropped_games: int = 0


@dataclass(frozen=True)
class PositionRefs:
    """Positions of the window: position ``i`` is before move ``move[i]`` of game ``game[i]``.

    Attributes:
        game: int64 (B,) window game indices.
        move: int64 (B,) move indices within the game.
    """

    game: np.ndarray
    move: np.ndarray

    def __len__(self) -> int:
        return len(self.game)


@dataclass(frozen=True)
class PositionRecords:
    """What the games record about some positions, from black's view unless said otherwise.

    Attributes:
        policy: float32 (B, N*N+1) dense search policy π (zeros without a target).
        has_policy: bool (B,) the position has a policy target.
        result: float32 (B,) z from black's view (+1 black won).
        black_to_move: bool (B,) black is to move in the position.
        ownership: int8 (B, N*N) final owner from black's view (+1, -1, 0).
        ownership_valid: bool (B,) the game has a final position (not resigned).
        score: float32 (B,) final score, black minus white minus komi (NaN if the
            game was resigned or the shard does not record it).
        next_policy: float32 (B, N*N+1) the search policy of the next position, the
            opponent's reply (zeros where there is none).
        has_next_policy: bool (B,) the next position exists and has a policy target.
        short_term_value: float32 (B,) KataGo's short-term value target, for the
            side to move: ``sum_k (1 - λ) λ^k v_{t+k}`` over the root values ``v``
            of this and the following positions (each for the side to move at
            ``t``), ``λ = 1 - 1 / horizon``, the weight left at the game's end
            going to its result z.
        has_short_term_value: bool (B,) every root value it needed is recorded.
    """

    policy: np.ndarray
    has_policy: np.ndarray
    result: np.ndarray
    black_to_move: np.ndarray
    ownership: np.ndarray
    ownership_valid: np.ndarray
    score: np.ndarray
    next_policy: np.ndarray
    has_next_policy: np.ndarray
    short_term_value: np.ndarray
    has_short_term_value: np.ndarray


@dataclass
class _Shard:
    """The arrays of one shard that training needs (see ``selfplay.shards``).

    ``first`` is the first game still inside the window; ``serial0`` the serial of
    game 0 of the shard.
    """

    name: str
    serial0: int
    game_ids: np.ndarray  # int64 (G,)
    game_offsets: np.ndarray  # int64 (G+1,)
    moves: np.ndarray  # int16 (P,)
    policy_offsets: np.ndarray  # int64 (P+1,)
    policy_actions: np.ndarray  # int16 (K,)
    policy_probs: np.ndarray  # float32 (K,)
    policy_target: np.ndarray  # bool (P,)
    root_value: np.ndarray  # float32 (P,), NaN where the shard has none
    result: np.ndarray  # float32 (G,)
    score: np.ndarray  # float32 (G,), NaN if resigned or not recorded
    ownership: np.ndarray  # int8 (G, N*N)
    ownership_valid: np.ndarray  # bool (G,)
    validation: np.ndarray  # bool (G,)
    first: int = 0

    @property
    def num_games(self) -> int:
        return len(self.game_ids)


class ReplayBuffer:
    """The ``window_games`` most recent games of a directory of self-play shards.

    Construction indexes nothing; call ``refresh`` (it is cheap when nothing is new).

    Args:
        shard_dir: directory of ``.npz`` shards (``selfplay.shards.write_shard``).
        window_games: games kept, the most recent ones.
        validation_fraction: fraction of games held out by game-id hash.

    Raises:
        ValueError: for a window below 1 game or a fraction outside [0, 1).
    """

    def __init__(
        self,
        shard_dir: str | os.PathLike[str],
        window_games: int,
        validation_fraction: float = 0.0,
    ) -> None:
        if window_games < 1:
            raise ValueError(f"window_games must be at least 1, not {window_games}")
        if not 0.0 <= validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1), not {validation_fraction}")
        self.shard_dir = Path(shard_dir)
        self.window_games = int(window_games)
        self.validation_fraction = float(validation_fraction)
        self.size: int | None = None
        self.version = 0
        self._known: set[str] = set()
        self._shards: list[_Shard] = []
        self._next_serial = 0
        self._index = _WindowIndex.empty()

    # -- reading shards ------------------------------------------------------------

    def refresh(self) -> RefreshReport:
        """Read the shards that appeared since the last refresh and move the window.

        New shards are taken newest first and reading stops once they alone fill the
        window, so a first refresh of a long run reads only the shards it keeps.
        Shards already known are never read again.

        Returns:
            What was found.

        Raises:
            ValueError: if a shard's board size differs from the buffer's (nothing of
                this refresh is kept, so the next one raises again).

        Warns:
            UserWarning: for a new file that is not a readable shard (never retried).
        """
        fresh = [path for path in list_shards(self.shard_dir) if path.name not in self._known]
        if not fresh:
            return RefreshReport()
        loaded: list[_Shard] = []
        room = self.window_games
        skipped = bad = 0
        board_size = self.size
        for path in reversed(fresh):
            if room <= 0:
                skipped += 1
                continue
            try:
                arrays = read_shard(path)
                size = _board_size(arrays)
                shard = self._compact(path.name, arrays, size)
            except (ValueError, KeyError) as exc:
                warnings.warn(f"skipping unreadable shard {path}: {exc!r}", stacklevel=2)
                bad += 1
                continue
            if board_size is not None and size != board_size:
                # nothing of this refresh is kept: the next one meets the same error
                raise ValueError(
                    f"{path}: board size {size} differs from the buffer's {board_size}"
                )
            board_size = size
            loaded.append(shard)
            room -= shard.num_games
        self._known.update(path.name for path in fresh)
        self.size = board_size
        new_games = new_positions = 0
        for shard in reversed(loaded):  # oldest first: serials follow shard order
            shard.serial0 = self._next_serial
            self._next_serial += shard.num_games
            new_games += shard.num_games
            new_positions += len(shard.moves)
            self._shards.append(shard)
        dropped = self._trim()
        if loaded or dropped:
            self._index = _WindowIndex.build(self._shards)
            self.version += 1
        return RefreshReport(len(loaded), new_games, new_positions, skipped, bad, dropped)

    def _compact(self, name: str, arrays: dict[str, np.ndarray], size: int) -> _Shard:
        """Return the arrays of a shard that training needs, in compact dtypes."""
        game_ids = arrays["game_ids"].astype(np.int64)
        count = len(game_ids)
        ownership = arrays["ownership"].astype(np.int8).reshape(count, size * size)
        positions = len(arrays["moves"])
        nan = np.float32(np.nan)
        root_value = arrays.get("root_value", np.full(positions, nan, dtype=np.float32))
        score = arrays.get("score", np.full(count, nan, dtype=np.float32))
        return _Shard(
            name=name,
            serial0=-1,
            game_ids=game_ids,
            game_offsets=arrays["game_offsets"].astype(np.int64),
            moves=arrays["moves"].astype(np.int16),
            policy_offsets=arrays["policy_offsets"].astype(np.int64),
            policy_actions=arrays["policy_actions"].astype(np.int16),
            policy_probs=arrays["policy_probs"].astype(np.float32),
            policy_target=arrays["policy_target"].astype(bool),
            root_value=root_value.astype(np.float32),
            result=arrays["result"].astype(np.float32),
            score=score.astype(np.float32),
            ownership=ownership,
            ownership_valid=arrays["ownership_valid"].astype(bool),
            validation=validation_mask(game_ids, self.validation_fraction),
        )

    def _trim(self) -> int:
        """Drop the oldest games beyond the window; return how many left it."""
        excess = sum(s.num_games - s.first for s in self._shards) - self.window_games
        dropped = 0
        while excess > 0:
            oldest = self._shards[0]
            remaining = oldest.num_games - oldest.first
            if remaining <= excess:
                self._shards.pop(0)
                excess -= remaining
                dropped += remaining
            else:
                oldest.first += excess
                dropped += excess
                excess = 0
        return dropped

    # -- sizes -------------------------------------------------------------------

    @property
    def num_games(self) -> int:
        """Games in the window."""
        return len(self._index.game_shard)

    @property
    def games_seen(self) -> int:
        """Games read since construction (including those that left the window)."""
        return self._next_serial

    def counts(self, split: str | None = None) -> ReplayCounts:
        """Return the sizes of the whole window (``split=None``) or of one split.

        Raises:
            ValueError: for an unknown split.
        """
        index = self._index
        if split is None:
            games = np.ones(len(index.game_shard), dtype=bool)
        else:
            games = index.split_games(split)
        lengths = index.game_length[games]
        policy = index.game_policy_count[games]
        return ReplayCounts(int(games.sum()), int(lengths.sum()), int(policy.sum()))

    # -- positions ---------------------------------------------------------------

    def positions(self, split: str = "train", policy_only: bool = False) -> PositionRefs:
        """Return every position of a split, in window order.

        Args:
            split: "train" or "validation".
            policy_only: only positions with a policy target.

        Raises:
            ValueError: for an unknown split.
        """
        chosen = self._index.candidates(split, policy_only)
        return PositionRefs(
            self._index.pos_game[chosen].astype(np.int64),
            self._index.pos_move[chosen].astype(np.int64),
        )

    def sample(
        self,
        rng: np.random.Generator,
        count: int,
        split: str = "train",
        policy_only: bool = False,
    ) -> PositionRefs:
        """Return ``count`` positions drawn uniformly (with replacement) from a split.

        Args:
            rng: random generator.
            count: number of positions.
            split: "train" or "validation".
            policy_only: draw only among positions with a policy target.

        Raises:
            ValueError: for an unknown split or if the split has no such position.
        """
        chosen = self._index.candidates(split, policy_only)
        if len(chosen) == 0:
            kind = "policy-target positions" if policy_only else "positions"
            raise ValueError(f"the {split} split has no {kind} (refresh, or wait for games)")
        picks = chosen[rng.integers(0, len(chosen), size=count)]
        return PositionRefs(
            self._index.pos_game[picks].astype(np.int64),
            self._index.pos_move[picks].astype(np.int64),
        )

    # -- per-game and per-position data --------------------------------------------

    def game_serial(self, game: int) -> int:
        """Return the serial (stable name, see the module docstring) of window game ``game``."""
        shard, local = self._locate(game)
        return shard.serial0 + local

    def game_id(self, game: int) -> int:
        """Return the id of window game ``game``."""
        shard, local = self._locate(game)
        return int(shard.game_ids[local])

    def game_moves(self, game: int) -> np.ndarray:
        """Return int16 (M,) the moves of window game ``game`` (a view: do not modify)."""
        shard, local = self._locate(game)
        return shard.moves[shard.game_offsets[local] : shard.game_offsets[local + 1]]

    def records(self, refs: PositionRefs, short_term_horizon: float = 6.0) -> PositionRecords:
        """Return what the games record about the positions ``refs``.

        Args:
            refs: positions of the window.
            short_term_horizon: plies of the short-term value's exponential average,
                ``1 / (1 - λ)`` (``PositionRecords``).

        Raises:
            IndexError: for a game or move index outside the window.
            ValueError: for a horizon below 1.
        """
        if self.size is None:
            raise IndexError("the buffer holds no games")
        if not short_term_horizon >= 1.0:
            raise ValueError(f"short_term_horizon must be at least 1, not {short_term_horizon}")
        count = len(refs)
        points = self.size * self.size
        policy = np.zeros((count, points + 1), dtype=np.float32)
        has_policy = np.zeros(count, dtype=bool)
        result = np.zeros(count, dtype=np.float32)
        ownership = np.zeros((count, points), dtype=np.int8)
        valid = np.zeros(count, dtype=bool)
        score = np.zeros(count, dtype=np.float32)
        next_policy = np.zeros((count, points + 1), dtype=np.float32)
        has_next = np.zeros(count, dtype=bool)
        short_term = np.zeros(count, dtype=np.float32)
        has_short_term = np.zeros(count, dtype=bool)
        weights = _short_term_weights(short_term_horizon)
        for i in range(count):
            shard, local = self._locate(int(refs.game[i]))
            move = int(refs.move[i])
            start, end = shard.game_offsets[local], shard.game_offsets[local + 1]
            if not 0 <= move < end - start:
                raise IndexError(f"move {move} outside game {int(refs.game[i])} of {end - start}")
            position = start + move
            lo, hi = shard.policy_offsets[position], shard.policy_offsets[position + 1]
            policy[i, shard.policy_actions[lo:hi]] = shard.policy_probs[lo:hi]
            has_policy[i] = shard.policy_target[position]
            result[i] = shard.result[local]
            ownership[i] = shard.ownership[local]
            valid[i] = shard.ownership_valid[local]
            score[i] = shard.score[local]
            if position + 1 < end and shard.policy_target[position + 1]:
                lo, hi = shard.policy_offsets[position + 1], shard.policy_offsets[position + 2]
                next_policy[i, shard.policy_actions[lo:hi]] = shard.policy_probs[lo:hi]
                has_next[i] = True
            side = 1.0 if move % 2 == 0 else -1.0
            short_term[i] = _short_term_value(
                shard.root_value[position:end], shard.result[local] * side, weights
            )
            has_short_term[i] = np.isfinite(short_term[i])
        black_to_move = np.asarray(refs.move) % 2 == 0
        return PositionRecords(
            policy,
            has_policy,
            result,
            black_to_move,
            ownership,
            valid,
            score,
            next_policy,
            has_next,
            np.nan_to_num(short_term, nan=0.0),
            has_short_term,
        )

    def _locate(self, game: int) -> tuple[_Shard, int]:
        index = self._index
        if not 0 <= game < len(index.game_shard):
            raise IndexError(f"game {game} outside the window of {len(index.game_shard)} games")
        return self._shards[index.game_shard[game]], int(index.game_local[game])


@dataclass
class _WindowIndex:
    """Flat tables over the window, rebuilt when it moves (O(positions) numpy work).

    Per window game: shard slot, game index in the shard, length, policy-target
    count, validation flag.  Per position: window game index and move index.
    """

    game_shard: np.ndarray  # int32 (G,)
    game_local: np.ndarray  # int32 (G,)
    game_length: np.ndarray  # int64 (G,)
    game_policy_count: np.ndarray  # int64 (G,)
    game_validation: np.ndarray  # bool (G,)
    pos_game: np.ndarray  # int32 (P,)
    pos_move: np.ndarray  # int32 (P,)
    pos_policy: np.ndarray  # bool (P,)
    _candidates: dict[tuple[str, bool], np.ndarray]

    @classmethod
    def empty(cls) -> _WindowIndex:
        return cls.build([])

    @classmethod
    def build(cls, shards: list[_Shard]) -> _WindowIndex:
        game_shard, game_local, lengths, policy_counts, validation = [], [], [], [], []
        pos_policy = []
        for slot, shard in enumerate(shards):
            local = np.arange(shard.first, shard.num_games, dtype=np.int32)
            offsets = shard.game_offsets
            game_shard.append(np.full(len(local), slot, dtype=np.int32))
            game_local.append(local)
            lengths.append(offsets[local + 1] - offsets[local])
            start = offsets[shard.first]
            targets = shard.policy_target[start:]
            pos_policy.append(targets)
            cumulative = np.concatenate([[0], np.cumsum(targets, dtype=np.int64)])
            policy_counts.append(
                cumulative[offsets[local + 1] - start] - cumulative[offsets[local] - start]
            )
            validation.append(shard.validation[local])
        game_length = _concat(lengths, np.int64)
        pos_game = np.repeat(np.arange(len(game_length), dtype=np.int32), game_length)
        game_start = np.concatenate([[0], np.cumsum(game_length)])[:-1]
        pos_move = (np.arange(len(pos_game)) - np.repeat(game_start, game_length)).astype(np.int32)
        return cls(
            game_shard=_concat(game_shard, np.int32),
            game_local=_concat(game_local, np.int32),
            game_length=game_length,
            game_policy_count=_concat(policy_counts, np.int64),
            game_validation=_concat(validation, bool),
            pos_game=pos_game,
            pos_move=pos_move,
            pos_policy=_concat(pos_policy, bool),
            _candidates={},
        )

    def split_games(self, split: str) -> np.ndarray:
        """Return bool (G,): the window games of ``split``."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
        return self.game_validation if split == "validation" else ~self.game_validation

    def candidates(self, split: str, policy_only: bool) -> np.ndarray:
        """Return int64 (P',): the positions of ``split`` (with a policy target if asked)."""
        key = (split, policy_only)
        if key not in self._candidates:
            mask = self.split_games(split)[self.pos_game]
            if policy_only:
                mask &= self.pos_policy
            self._candidates[key] = np.flatnonzero(mask)
        return self._candidates[key]


def _short_term_weights(horizon: float, cutoff: float = 1e-4) -> np.ndarray:
    """Return float64 (K,) ``(1 - λ) λ^k (-1)^k`` for k < K, ``λ = 1 - 1 / horizon``.

    ``K`` is the first k with ``λ^k < cutoff`` (at least 1): later terms are dropped
    and their weight goes to the K-th value.  The sign turns each position's root
    value (for its side to move) into the first position's side to move's.
    """
    lam = 1.0 - 1.0 / horizon
    terms = 1 if lam <= 0.0 else max(1, int(np.ceil(np.log(cutoff) / np.log(lam))))
    k = np.arange(terms)
    return (1.0 - lam) * lam**k * np.where(k % 2 == 0, 1.0, -1.0)


def _short_term_value(values: np.ndarray, outcome: float, weights: np.ndarray) -> float:
    """Return the short-term value of the first of ``values`` (NaN if one it uses is NaN).

    Args:
        values: float32 (M,) root values of a position and the rest of its game, each
            for the side to move there.
        outcome: the game's result for the side to move at the first position.
        weights: ``_short_term_weights(horizon)``.
    """
    terms = min(len(values), len(weights))
    head = float(np.dot(weights[:terms], values[:terms]))
    lam = 1.0 - weights[0]
    rest = lam**terms  # the weight of everything after the first ``terms`` values
    if terms == len(values):
        tail = outcome  # the game ended: the result stands for every later value
    else:
        tail = float(values[terms]) * (1.0 if terms % 2 == 0 else -1.0)
    return head + rest * tail


def _board_size(arrays: dict[str, np.ndarray]) -> int:
    """Return the one board size of a shard's arrays.

    Raises:
        ValueError: if the shard lacks its sizes or mixes several.
    """
    sizes = np.unique(arrays["size"]) if "size" in arrays else np.zeros(0)
    if len(sizes) != 1:
        raise ValueError(f"a shard must hold exactly one board size, not {sizes.tolist()}")
    return int(sizes[0])


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=dtype)
    return np.concatenate(parts).astype(dtype, copy=False)


__all__ = [
    "SPLITS",
    "PositionRecords",
    "PositionRefs",
    "RefreshReport",
    "ReplayBuffer",
    "ReplayCounts",
    "id_hash_unit",
    "validation_mask",
]
