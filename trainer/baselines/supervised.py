"""Supervised policy learning from GNU Go's games: the SL step of AlphaGo's pipeline.

The data are games written by ``scripts/make_gnugo_games.py``: SGF files (a
directory or a list) or self-play shards (``selfplay.shards``).  Every move of a
game is an example (planes of the position before it, the move as the class),
except the random opening moves that diversify the games (SGF comment
``random``, or ``policy_target`` False in a shard).  The network is the policy
network of ``policy_net``; the loss is cross-entropy of the softmax over the
legal moves (``masked_log_softmax``), with a random board symmetry per example
(``policy_net.augment``) — the data augmentation AlphaGo's SL policy used.  The
value head is left alone, as AlphaGo's SL policy had none; REINFORCE started from
this network learns its baseline.

A tenth of the games (at least one when there are two or more) is held out; the
held-out move-prediction accuracy is the number to watch (AlphaGo: 57%, predicting
human experts).  Start reading at ``train_supervised``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.board import Board
from engine.features import FeatureConfig, features_from_moves
from engine.sgf import load_sgf_file
from nn.checkpoint import save_checkpoint
from nn.go_net import GoNet
from selfplay.shards import read_shard
from trainer.baselines.policy_net import (
    BASELINE_FEATURES,
    augment,
    make_policy_net,
    masked_log_softmax,
)
from trainer.metrics import MetricsWriter

RANDOM_COMMENT = "random"
"""Comment of moves that are not examples (``scripts/make_gnugo_games.py``)."""


@dataclass
class Examples:
    """Supervised examples from one set of games.

    Attributes:
        obs: float32 (M, C, N, N) planes before each move.
        legal: bool (M, A) legal moves there.
        actions: int64 (M,) the move played.
        game: int64 (M,) index of its game.
    """

    obs: np.ndarray
    legal: np.ndarray
    actions: np.ndarray
    game: np.ndarray

    def __len__(self) -> int:
        return len(self.actions)

    def select(self, mask: np.ndarray) -> Examples:
        """Return the examples where ``mask`` is True."""
        return Examples(self.obs[mask], self.legal[mask], self.actions[mask], self.game[mask])


def load_examples(
    sources: Sequence[str | os.PathLike[str]], size: int, config: FeatureConfig = BASELINE_FEATURES
) -> Examples:
    """Read the games of SGF files, SGF directories and shard files of one board size.

    Args:
        sources: ``.sgf`` files, directories (their ``*.sgf`` files) and ``.npz``
            shards.
        size: the board size kept (games of other sizes are skipped).
        config: the input planes to compute.

    Returns:
        The examples, games numbered in reading order.

    Raises:
        FileNotFoundError: if a source does not exist.
        ValueError: if no example was found, or a file cannot be read.
    """
    games: list[tuple[list[int], list[bool]]] = []
    for source in sources:
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no such file or directory: {path}")
        if path.is_dir():
            files = sorted(path.glob("*.sgf")) + sorted(path.glob("*.npz"))
        else:
            files = [path]
        for file in files:
            games.extend(_read(file, size))
    parts = []
    for index, (moves, targets) in enumerate(games):
        if not any(targets):
            continue
        obs = features_from_moves(size, moves, config)
        legal = _legal_masks(size, moves)
        keep = np.asarray(targets, dtype=bool)
        parts.append(
            Examples(obs[keep], legal[keep], np.asarray(moves, dtype=np.int64)[keep],
                     np.full(int(keep.sum()), index, dtype=np.int64))
        )
    if not parts:
        raise ValueError(f"no {size}x{size} examples in {[os.fspath(s) for s in sources]}")
    return Examples(*(np.concatenate(c) for c in zip(*(dataclasses.astuple(p) for p in parts),
                                                     strict=True)))


def _read(path: Path, size: int) -> list[tuple[list[int], list[bool]]]:
    """Return (moves, is-example flags) of each game of one file of board ``size``."""
    if path.suffix == ".npz":
        arrays = read_shard(path)
        offsets = arrays["game_offsets"]
        out = []
        for g in range(len(offsets) - 1):
            if int(arrays["size"][g]) != size:
                continue
            lo, hi = int(offsets[g]), int(offsets[g + 1])
            out.append((arrays["moves"][lo:hi].astype(int).tolist(),
                        arrays["policy_target"][lo:hi].astype(bool).tolist()))
        return out
    game = load_sgf_file(path)
    if game.size != size or game.setup_black or game.setup_white:
        return []
    moves = [move.action for move in game.moves]
    return [(moves, [move.comment.strip() != RANDOM_COMMENT for move in game.moves])]


def _legal_masks(size: int, moves: Sequence[int]) -> np.ndarray:
    """Return bool (M, A): the legal moves before each move of a game (replayed)."""
    board = Board(size)
    out = np.zeros((len(moves), size * size + 1), dtype=bool)
    for i, action in enumerate(moves):
        out[i] = board.legal_mask()
        board.play(int(action))
    return out


@dataclass(frozen=True)
class SLConfig:
    """Settings of a supervised run (``zerogo baseline sl`` flags map onto these).

    Attributes:
        size: board size N.
        preset: network shape (``bXcY``).
        epochs: passes over the training examples.
        batch_size: examples per Adam step.
        lr: Adam learning rate.
        weight_decay: L2 penalty (AdamW's decoupled decay).
        augment: random board symmetry per example.
        holdout: share of the games held out for validation.
        seed: seeds the weights, the split and the batches.

    Raises:
        ValueError: for an out-of-range setting.
    """

    size: int = 9
    preset: str = "b2c32"
    epochs: int = 10
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    augment: bool = True
    holdout: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be at least 1")
        if not self.lr > 0 or self.weight_decay < 0:
            raise ValueError("lr must be positive and weight_decay not negative")
        if not 0 <= self.holdout < 1:
            raise ValueError(f"holdout must be in [0, 1), not {self.holdout}")


@dataclass
class SLResult:
    """What ``train_supervised`` leaves behind.

    Attributes:
        model: the trained policy (eval mode).
        train_accuracy: top-1 accuracy on the training examples (no augmentation).
        holdout_accuracy: top-1 accuracy on held-out games (NaN without any).
        examples: training examples.
        holdout_examples: held-out examples.
        seconds: wall-clock seconds.
    """

    model: GoNet
    train_accuracy: float
    holdout_accuracy: float
    examples: int
    holdout_examples: int
    seconds: float


@torch.no_grad()
def accuracy(model: GoNet, examples: Examples, batch: int = 1024) -> float:
    """Return the share of examples whose move is the network's most probable legal move."""
    if len(examples) == 0:
        return float("nan")
    model.eval()
    hits = 0
    for lo in range(0, len(examples), batch):
        logits, _, _ = model(torch.from_numpy(examples.obs[lo : lo + batch]))
        legal = torch.from_numpy(examples.legal[lo : lo + batch])
        best = logits.masked_fill(~legal, float("-inf")).argmax(dim=1).numpy()
        hits += int((best == examples.actions[lo : lo + batch]).sum())
    return hits / len(examples)


def train_supervised(
    config: SLConfig,
    examples: Examples,
    features: FeatureConfig = BASELINE_FEATURES,
    out: str | Path | None = None,
    log_dir: str | Path | None = None,
    progress: bool = False,
) -> SLResult:
    """Train a policy network to predict GNU Go's moves.

    Args:
        config: the run's settings.
        examples: from ``load_examples`` (with planes of ``features``).
        features: the input planes.
        out: the checkpoint to write at the end (``nn.checkpoint``, kind ``"sl"``).
        log_dir: TensorBoard directory, or None.
        progress: show a progress bar (tqdm).

    Returns:
        The model and its accuracies.
    """
    start = time.monotonic()
    rng = np.random.default_rng(config.seed)
    games = np.unique(examples.game)
    held = rng.permutation(games)[: int(round(config.holdout * len(games)))]
    if len(held) == 0 and config.holdout > 0 and len(games) >= 2:
        held = rng.permutation(games)[:1]
    is_held = np.isin(examples.game, held)
    train, holdout = examples.select(~is_held), examples.select(is_held)
    model = make_policy_net(config.size, config.preset, features, seed=config.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    steps_per_epoch = max(1, -(-len(train) // config.batch_size))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.epochs * steps_per_epoch, desc="sl", unit="step")
    step = 0
    with MetricsWriter(log_dir) as metrics:
        metrics.text("config", json.dumps(dataclasses.asdict(config), indent=1))
        for epoch in range(1, config.epochs + 1):
            order = rng.permutation(len(train))
            model.train()
            for lo in range(0, len(order), config.batch_size):
                index = order[lo : lo + config.batch_size]
                obs, legal, actions = train.obs[index], train.legal[index], train.actions[index]
                if config.augment:
                    ks = rng.integers(8, size=len(index))
                    (obs,), (legal,), actions = augment(ks, [obs], [legal], actions)
                logits, _, _ = model(torch.from_numpy(obs))
                log_probs = masked_log_softmax(logits, torch.from_numpy(legal))
                loss = -log_probs.gather(1, torch.from_numpy(actions)[:, None]).mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                step += 1
                metrics.scalars("train", {"loss": float(loss.detach())}, step)
                if bar is not None:
                    bar.set_postfix({"epoch": epoch, "loss": f"{float(loss.detach()):.3f}"},
                                    refresh=False)
                    bar.update(1)
            held_acc = accuracy(model, holdout)
            metrics.scalars("validation", {"accuracy": held_acc}, step)
        metrics.flush()
    if bar is not None:
        bar.close()
    model.eval()
    result = SLResult(model, accuracy(model, train), accuracy(model, holdout), len(train),
                      len(holdout), time.monotonic() - start)
    if out is not None:
        extra = {
            "kind": "sl",
            "step": step,
            "train_accuracy": result.train_accuracy,
            "holdout_accuracy": None if np.isnan(result.holdout_accuracy) else
            result.holdout_accuracy,
            "examples": result.examples,
            "config": dataclasses.asdict(config),
        }
        save_checkpoint(out, model, model.config, extra, feature_config=features)
    return result


__all__ = ["Examples", "SLConfig", "SLResult", "accuracy", "load_examples", "train_supervised"]
