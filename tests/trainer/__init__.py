"""Helpers of the trainer tests: synthetic self-play shards and a tiny network.

``random_records`` plays random legal games with ``engine.game.Game`` and records
them as self-play would (π one-hot on the move played, Tromp-Taylor result and
ownership, every third game resigned); ``write_games`` stores them as a shard.
``TinyNet`` has the forward signature of ``nn.go_net.GoNet``.

``one_torch_thread`` runs torch on one intra-op thread: on the two shared cores of
the test machine, torch's default of one thread per core made a tiny convolution
~80 times slower (57 ms instead of 0.7 ms) whenever another process was busy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn

from engine.board import BLACK, WHITE
from engine.game import Game
from engine.random_player import RandomPlayer
from selfplay.shards import GameRecord, write_shard


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run the body with ``torch.set_num_threads(1)``, restoring the count after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def random_records(
    count: int,
    size: int = 5,
    seed: int = 0,
    first_id: int = 0,
    max_moves: int = 24,
    resign_every: int = 3,
) -> list[GameRecord]:
    """Return ``count`` random legal games as shard records, ids from ``first_id``.

    Every position has a one-hot π on the move played; about a quarter of the
    positions have no policy target; games ``first_id + k`` with ``k % resign_every
    == resign_every - 1`` are resigned (no ownership).
    """
    rng = np.random.default_rng(seed)
    player = RandomPlayer(seed)
    records = []
    for k in range(count):
        game = Game(size, komi=0.5)
        limit = int(rng.integers(max_moves // 2, max_moves + 1))
        while not game.is_over and len(game.moves) < limit:
            game.play(player.genmove(game, game.to_move).action)
        moves = [move.action for move in game.moves]
        score = game.tromp_taylor_score()
        resigned = k % resign_every == resign_every - 1
        owner = game.board.tromp_taylor_owner().reshape(-1)
        ownership = np.where(owner == BLACK, 1, np.where(owner == WHITE, -1, 0)).astype(np.int8)
        records.append(
            GameRecord(
                game_id=first_id + k,
                size=size,
                komi=0.5,
                network="random",
                moves=moves,
                policies=[
                    (np.array([a], dtype=np.int16), np.array([1.0], dtype=np.float32))
                    for a in moves
                ],
                policy_target=[bool(t) for t in rng.random(len(moves)) < 0.75],
                root_values=[0.0] * len(moves),
                result=1.0 if score > 0 else -1.0,
                score=float("nan") if resigned else score,
                resigned=resigned,
                no_resign=False,
                ownership=None if resigned else ownership,
            )
        )
    return records


def write_games(directory: Path, name: str, records: list[GameRecord]) -> Path:
    """Write ``records`` as shard ``directory/name.npz`` and return its path."""
    return write_shard(directory / f"{name}.npz", records)


class TinyNet(nn.Module):
    """A one-convolution network with GoNet's heads, for fast tests.

    Args:
        in_planes: input planes C.
        size: board size N.
        channels: width of the convolution.
    """

    def __init__(self, in_planes: int, size: int, channels: int = 8) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_planes, channels, 3, padding=1)
        self.policy = nn.Linear(channels * size * size, size * size + 1)
        self.value = nn.Linear(channels * size * size, 1)
        self.ownership = nn.Conv2d(channels, 1, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return (policy logits (B, N*N+1), value (B,), ownership (B, N, N)) of x: (B, C, N, N)."""
        hidden = torch.relu(self.conv(x))
        flat = hidden.flatten(1)
        value = torch.tanh(self.value(flat)).squeeze(1)
        ownership = torch.tanh(self.ownership(hidden)).squeeze(1)
        return self.policy(flat), value, ownership
