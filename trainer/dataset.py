"""Training batches drawn from the replay window: planes, targets, random symmetry.

A batch is ``B`` positions drawn uniformly, with replacement, from the window's
training games (``trainer.replay.ReplayBuffer.sample``).  Notation as in the AlphaGo
Zero paper: π the search policy, z the game's outcome, both as training targets.
Targets are from the point of view of the side to move, as the network's outputs
are (``engine.evaluator``):

==================  ================  ===============================================
tensor              shape / dtype     meaning
==================  ================  ===============================================
planes              (B, C, N, N) f32  input planes (``engine.features``)
policy              (B, N*N+1) f32    dense π, pass last (zeros without a target)
policy_mask         (B,) bool         the position has a policy target
value               (B,) f32          z for the side to move: +1 it went on to win
ownership           (B, N, N) f32     final owner, +1 the side to move's point
ownership_mask      (B,) bool         the game has a final position (not resigned)
score               (B,) f32          final score margin for the side to move, komi
                                      included (0 where unknown)
score_mask          (B,) bool         the game was scored (not resigned)
opponent_policy     (B, N*N+1) f32    π of the next position: the opponent's reply
opponent_policy_..  (B,) bool         (``_mask``) the next position has a π target
short_term_value    (B,) f32          exponentially weighted average of this and the
                                      next root values, horizon ``short_term_horizon``
                                      plies (``trainer.replay.PositionRecords``)
short_term_val..    (B,) bool         (``_mask``) every root value it needs is recorded
==================  ================  ===============================================

The last six are the targets of KataGo's auxiliary heads (``nn.go_net``); batches built
by hand may leave them None.

Positions without a policy target (cheap searches of playout-cap randomisation) are
sampled like the others, for the value and ownership heads, and their policy loss is
masked per sample (``trainer.loss``); ``policy_only=True`` draws only positions with
a target instead (KataGo records only those).

Each sample gets one of the 8 board symmetries at random (``engine.symmetry``),
applied alike to its planes, π and ownership; pass stays pass.

Planes are rebuilt from the moves with ``engine.features.features_from_moves``, which
replays a game once and returns the planes of all its positions.  A game is drawn
many times while it is in the window, so ``PlaneCache`` keeps the planes of recently
drawn games, bit-packed (every plane is 0/1, so a 9x9 position with 17 planes takes
187 bytes instead of 5.5 KB), least recently used first out.

Everything runs in the calling process (no DataLoader workers): the trainer shares
its CPU cores with self-play, and with a warm cache a batch costs little.  Measured on
9x9 random games (75 positions on average), batches of 256, one core of a shared
2-core machine under a load of ~4 (two runs, so the spread is the machine's noise):

=========================  ===================  =====================
planes                     every game replayed  every game cached
=========================  ===================  =====================
17 (AlphaGo Zero)          3,700-4,800 pos/s    112,000-119,000 pos/s
27 (+ liberties, ko, ones) 2,600-3,200 pos/s     77,000-78,000 pos/s
28 (+ legal)                 350-400 pos/s       85,000-112,000 pos/s
=========================  ===================  =====================

A game is drawn about ``samples_per_position`` times per position while in the
window, so once the cache holds the window (13 KiB per 75-move game with 17 planes:
~270 MiB for 20,000 games) sampling runs at the cached rate.  Start reading at
``BatchSampler.sample``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch

from engine import symmetry
from engine.features import DEFAULT_CONFIG, FeatureConfig, features_from_moves
from trainer.config import TrainConfig
from trainer.replay import PositionRefs, ReplayBuffer


@dataclass(frozen=True)
class Batch:
    """A training batch (shapes and meaning in the module docstring)."""

    planes: torch.Tensor
    policy: torch.Tensor
    policy_mask: torch.Tensor
    value: torch.Tensor
    ownership: torch.Tensor
    ownership_mask: torch.Tensor
    score: torch.Tensor | None = None
    score_mask: torch.Tensor | None = None
    opponent_policy: torch.Tensor | None = None
    opponent_policy_mask: torch.Tensor | None = None
    short_term_value: torch.Tensor | None = None
    short_term_value_mask: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.planes.shape[0])

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        """Return the batch with every tensor on ``device``."""
        moved: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            moved[f.name] = None if value is None else value.to(device, non_blocking=non_blocking)
        return Batch(**moved)


class PlaneCache:
    """Bit-packed feature planes of recently used games, least recently used evicted.

    Args:
        feature_config: which planes.
        size: board size N.
        max_bytes: memory budget for the packed planes; 0 disables caching.

    Raises:
        ValueError: for a negative budget.
    """

    def __init__(self, feature_config: FeatureConfig, size: int, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must not be negative, not {max_bytes}")
        self.feature_config = feature_config
        self.size = size
        self.max_bytes = int(max_bytes)
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._games: OrderedDict[int, np.ndarray] = OrderedDict()

    @property
    def packed_width(self) -> int:
        """Bytes of one packed plane, ``ceil(N*N / 8)``."""
        return (self.size * self.size + 7) // 8

    def __len__(self) -> int:
        return len(self._games)

    def get(self, key: int, moves: np.ndarray) -> np.ndarray:
        """Return the packed planes of every position of a game, uint8 (M, C, packed_width).

        Args:
            key: a name of the game that no other game shares (its replay serial).
            moves: int (M,) the game's moves, replayed on a miss.

        Raises:
            ValueError: if some plane is not 0/1 (it could not be bit-packed).
            engine.board.IllegalMoveError: if the moves do not replay.
        """
        packed = self._games.get(key)
        if packed is not None:
            self.hits += 1
            self._games.move_to_end(key)
            return packed
        self.misses += 1
        packed = self._pack(features_from_moves(self.size, moves, self.feature_config))
        if self.max_bytes:
            self._games[key] = packed
            self.bytes += packed.nbytes
            while self.bytes > self.max_bytes and self._games:
                _, old = self._games.popitem(last=False)
                self.bytes -= old.nbytes
        return packed

    def clear(self) -> None:
        """Forget every game (statistics kept)."""
        self._games.clear()
        self.bytes = 0

    def _pack(self, planes: np.ndarray) -> np.ndarray:
        flat = planes.reshape(planes.shape[0], planes.shape[1], -1)
        if np.any((flat != 0.0) & (flat != 1.0)):
            raise ValueError("feature planes must be 0/1 to be bit-packed")
        return np.packbits(flat.astype(np.uint8), axis=-1)


class BatchSampler:
    """Draws training batches from a replay buffer (see the module docstring).

    Args:
        buffer: the replay window (refresh it yourself; the sampler follows).
        feature_config: the planes the network reads.
        batch_size: positions per batch.
        seed: seed of the sampler's random generator (positions and symmetries).
        augment: apply a random symmetry to each sample.
        policy_only: draw only positions with a policy target.
        cache_mb: memory for ``PlaneCache`` in MiB (0: rebuild planes every time).
        short_term_horizon: plies of the short-term value target's average.

    Raises:
        ValueError: for a batch size below 1, a negative cache size or a horizon
            below 1.
    """

    def __init__(
        self,
        buffer: ReplayBuffer,
        feature_config: FeatureConfig = DEFAULT_CONFIG,
        batch_size: int = 256,
        *,
        seed: int = 0,
        augment: bool = True,
        policy_only: bool = False,
        cache_mb: float = 1024.0,
        short_term_horizon: float = 6.0,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if cache_mb < 0:
            raise ValueError(f"cache_mb must not be negative, not {cache_mb}")
        if not short_term_horizon >= 1.0:
            raise ValueError(f"short_term_horizon must be at least 1, not {short_term_horizon}")
        self.short_term_horizon = float(short_term_horizon)
        self.buffer = buffer
        self.feature_config = feature_config
        self.batch_size = int(batch_size)
        self.augment = augment
        self.policy_only = policy_only
        self.rng = np.random.default_rng(seed)
        self._cache_bytes = int(cache_mb * 2**20)
        self._cache: PlaneCache | None = None
        self.positions_sampled = 0
        self.seconds = 0.0

    @classmethod
    def from_config(
        cls, buffer: ReplayBuffer, config: TrainConfig, feature_config: FeatureConfig
    ) -> BatchSampler:
        """Return the sampler that ``config`` describes."""
        return cls(
            buffer,
            feature_config,
            config.batch_size,
            seed=config.seed,
            policy_only=config.sample_positions == "policy_target",
            cache_mb=config.plane_cache_mb,
            short_term_horizon=config.short_term_horizon,
        )

    @property
    def cache(self) -> PlaneCache:
        """The plane cache (made once the buffer knows its board size).

        Raises:
            ValueError: if the buffer holds no games yet.
        """
        if self._cache is None:
            if self.buffer.size is None:
                raise ValueError("the replay buffer holds no games yet (refresh it)")
            self._cache = PlaneCache(self.feature_config, self.buffer.size, self._cache_bytes)
        return self._cache

    @property
    def positions_per_second(self) -> float:
        """Mean sampling rate so far (positions per second spent in ``sample``)."""
        return self.positions_sampled / self.seconds if self.seconds > 0 else 0.0

    # -- batches -----------------------------------------------------------------

    def sample(self, batch_size: int | None = None, split: str = "train") -> Batch:
        """Return a batch drawn uniformly from ``split``, each sample under a random symmetry.

        Raises:
            ValueError: if the split has no positions to draw.
        """
        start = time.perf_counter()
        count = self.batch_size if batch_size is None else batch_size
        refs = self.buffer.sample(self.rng, count, split, self.policy_only)
        if self.augment:
            ks = self.rng.integers(0, symmetry.NUM_SYMMETRIES, size=count)
        else:
            ks = np.zeros(count, dtype=np.int64)
        batch = self.batch(refs, ks)
        self.seconds += time.perf_counter() - start
        self.positions_sampled += count
        return batch

    def __iter__(self) -> Iterator[Batch]:
        """Yield training batches forever."""
        while True:
            yield self.sample()

    def batch(self, refs: PositionRefs, symmetries: np.ndarray | None = None) -> Batch:
        """Return the batch of positions ``refs``, sample ``i`` under ``symmetries[i]``.

        Args:
            refs: positions of the buffer's current window.
            symmetries: int (B,) symmetry of each sample, 0 .. 7 (None: identity).

        Raises:
            IndexError: for a position outside the window.
            ValueError: for a bad symmetry array.
            engine.board.IllegalMoveError: if a game's moves do not replay.
        """
        cache = self.cache
        size = cache.size
        count = len(refs)
        packed = np.empty((count, self.feature_config.num_planes, cache.packed_width), np.uint8)
        for i in range(count):
            game = int(refs.game[i])
            moves = self.buffer.game_moves(game)
            packed[i] = cache.get(self.buffer.game_serial(game), moves)[int(refs.move[i])]
        planes = np.unpackbits(packed, axis=-1, count=size * size)
        planes = planes.reshape(count, -1, size, size)
        records = self.buffer.records(refs, self.short_term_horizon)
        side = np.where(records.black_to_move, 1, -1).astype(np.int8)
        value = records.result * side
        ownership = (records.ownership * side[:, None]).reshape(count, size, size)
        score = records.score * side
        scored = np.isfinite(score)
        policy = records.policy
        opponent = records.next_policy
        if symmetries is not None and np.any(symmetries):
            planes = symmetry.apply_planes_each(planes, symmetries)
            policy = symmetry.apply_policy_each(policy, symmetries)
            opponent = symmetry.apply_policy_each(opponent, symmetries)
            ownership = symmetry.apply_planes_each(ownership, symmetries)
        return Batch(
            planes=torch.from_numpy(planes).float(),
            policy=torch.from_numpy(np.ascontiguousarray(policy)),
            policy_mask=torch.from_numpy(records.has_policy),
            value=torch.from_numpy(value.astype(np.float32)),
            ownership=torch.from_numpy(ownership).float(),
            ownership_mask=torch.from_numpy(records.ownership_valid),
            score=torch.from_numpy(np.where(scored, score, 0.0).astype(np.float32)),
            score_mask=torch.from_numpy(scored),
            opponent_policy=torch.from_numpy(np.ascontiguousarray(opponent)),
            opponent_policy_mask=torch.from_numpy(records.has_next_policy),
            short_term_value=torch.from_numpy(records.short_term_value),
            short_term_value_mask=torch.from_numpy(records.has_short_term_value),
        )

    def fixed_batches(
        self,
        split: str = "validation",
        positions: int = 4096,
        batch_size: int | None = None,
        seed: int = 0,
    ) -> list[Batch]:
        """Return a fixed set of positions of ``split`` as batches, without symmetries.

        The same window and arguments give the same batches (the draw uses its own
        generator), so validation losses are comparable between evaluations.

        Args:
            split: "train" or "validation".
            positions: at most this many positions, drawn without replacement.
            batch_size: positions per batch (default: the sampler's).
            seed: seed of the draw.

        Returns:
            The batches; empty if the split has no positions.
        """
        every = self.buffer.positions(split, self.policy_only)
        if len(every) == 0:
            return []
        rng = np.random.default_rng(seed)
        picks = np.sort(rng.choice(len(every), size=min(positions, len(every)), replace=False))
        step = batch_size or self.batch_size
        return [
            self.batch(
                PositionRefs(every.game[picks[lo : lo + step]], every.move[picks[lo : lo + step]])
            )
            for lo in range(0, len(picks), step)
        ]

    # -- resume ------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Return the random generator's state (to resume the same stream of batches)."""
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state saved by ``state_dict``."""
        self.rng.bit_generator.state = state["rng"]


__all__ = ["Batch", "BatchSampler", "PlaneCache"]
