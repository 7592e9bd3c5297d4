"""A value network regressed on RL self-play positions: the last step of AlphaGo's pipeline.

Notation as in the AlphaGo paper ("Reinforcement learning of value networks"):
v_theta(s) predicts the outcome z of the game from position s for the side to
move, trained by regression (mean squared error) on positions of games the RL
policy p_rho plays against itself.  Successive positions of one game are strongly
correlated and share one outcome, so regressing on whole games overfits (the paper
measured it); like the paper we take *one* position per game:

* draw a time step U uniformly from ``0 .. max_random_ply``;
* play the policy for both colours up to ply U - 1 (sampling its softmax);
* play one uniformly random legal move at ply U (the paper's diversity trick);
* record the position s_{U+1} after it, then play the policy on to the end;
* label s_{U+1} with the outcome z for the side to move there.

(The paper played the SL policy before U, for more varied positions, and the RL
policy after; here the RL policy plays throughout, sampling its softmax, and the
random move at U supplies the variety.)

The network is a ``GoNet`` whose value head is trained (its policy head is not: a
checkpoint of kind ``"value"`` is an evaluator of positions, not a player).  A
tenth of the positions is held out; the mean squared error there, against that of
the constant prediction 0 (= the mean of z^2), tells whether v learned anything.
Start reading at ``collect_positions`` and ``fit_value`` (``train_value`` does both).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.features import FeatureConfig
from nn.checkpoint import save_checkpoint
from nn.go_net import GoNet
from trainer.baselines.policy_net import NetPolicy, make_policy_net
from trainer.baselines.rollout import BatchPolicy, GameSpec, play_games
from trainer.metrics import MetricsWriter


@dataclass
class ValuePositions:
    """One labelled position per game.

    Attributes:
        obs: float32 (M, C, N, N) planes of the side to move.
        z: float32 (M,) the game's outcome for that side.
        ply: int64 (M,) moves played before the position.
    """

    obs: np.ndarray
    z: np.ndarray
    ply: np.ndarray

    def __len__(self) -> int:
        return len(self.z)


def collect_positions(
    policy: BatchPolicy,
    spec: GameSpec,
    games: int,
    seed: int = 0,
    max_random_ply: int | None = None,
    batch: int = 128,
) -> ValuePositions:
    """Play ``games`` self-play games and keep one position of each (module docstring).

    Args:
        policy: the RL policy, playing both colours.
        spec: the game.
        games: games to play; a game that ends before its ply U + 1 gives nothing.
        seed: seeds U, the random moves and the games.
        max_random_ply: largest U (default: half the move cap).
        batch: games played side by side.

    Returns:
        The positions (at most ``games``).
    """
    cap = spec.max_plies if spec.max_plies is not None else 2 * spec.size * spec.size
    top = cap // 2 if max_random_ply is None else max_random_ply
    rng = np.random.default_rng(seed)
    parts: list[ValuePositions] = []
    for lo in range(0, games, batch):
        count = min(batch, games - lo)
        random_at = rng.integers(0, top + 1, size=count)
        seats = np.zeros((count, 2), dtype=np.int64)
        played = play_games(
            [policy], seats, spec, int(rng.integers(2**62)),
            random_at=random_at, record=(0,), record_ply=random_at + 1,
        )
        records = played.records
        z = played.outcome(records.game, records.color)
        parts.append(ValuePositions(records.obs, z, records.ply))
    return ValuePositions(*(np.concatenate(c) for c in zip(
        *(dataclasses.astuple(p) for p in parts), strict=True)))


@dataclass(frozen=True)
class ValueConfig:
    """Settings of a value-network run (``zerogo baseline value`` flags map onto these).

    Attributes:
        games: self-play games, one position each.
        preset: network shape (``bXcY``).
        epochs: passes over the training positions.
        batch_size: positions per Adam step.
        lr: Adam learning rate.
        weight_decay: AdamW decay.
        holdout: share of the positions held out.
        temperature: sampling temperature of the policy in the self-play games.
        seed: seeds games, weights and batches.

    Raises:
        ValueError: for an out-of-range setting.
    """

    games: int = 2000
    preset: str = "b2c32"
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-4
    holdout: float = 0.1
    temperature: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.games < 1 or self.epochs < 1 or self.batch_size < 1:
            raise ValueError("games, epochs and batch_size must be at least 1")
        if not self.lr > 0 or self.weight_decay < 0 or not self.temperature > 0:
            raise ValueError("lr and temperature must be positive, weight_decay not negative")
        if not 0 <= self.holdout < 1:
            raise ValueError(f"holdout must be in [0, 1), not {self.holdout}")


@dataclass
class ValueResult:
    """What ``train_value`` leaves behind.

    Attributes:
        model: the value network (eval mode).
        train_mse: mean squared error on the training positions.
        holdout_mse: on the held-out positions (NaN without any).
        holdout_baseline_mse: of the constant prediction 0 on the held-out positions.
        positions: training positions.
        seconds: wall-clock seconds (self-play included).
    """

    model: GoNet
    train_mse: float
    holdout_mse: float
    holdout_baseline_mse: float
    positions: int
    seconds: float


@torch.no_grad()
def mse(model: GoNet, positions: ValuePositions, batch: int = 1024) -> float:
    """Return the mean of (v(s) - z)^2 over ``positions`` (NaN if there are none)."""
    if len(positions) == 0:
        return float("nan")
    model.eval()
    total = 0.0
    for lo in range(0, len(positions), batch):
        _, value, _ = model(torch.from_numpy(positions.obs[lo : lo + batch]))
        total += float(((value - torch.from_numpy(positions.z[lo : lo + batch])) ** 2).sum())
    return total / len(positions)


def train_value(
    config: ValueConfig,
    policy_model: GoNet,
    features: FeatureConfig,
    spec: GameSpec,
    out: str | Path | None = None,
    log_dir: str | Path | None = None,
    progress: bool = False,
) -> ValueResult:
    """Collect one position per self-play game of an RL policy network and fit v on them.

    Args:
        config: the run's settings (``games``, ``temperature`` for the games).
        policy_model: the RL policy network that plays the games.
        features: its input planes (also the value network's).
        spec: the game (size, komi, cap); its features must be ``features``.
        out: checkpoint to write (``nn.checkpoint``, kind ``"value"``).
        log_dir: TensorBoard directory, or None.
        progress: show a progress bar (tqdm).

    Returns:
        The value network and its errors.
    """
    start = time.monotonic()
    policy = NetPolicy(policy_model.eval(), config.temperature, seed=config.seed, name="rl")
    data = collect_positions(policy, spec, config.games, config.seed)
    result = fit_value(config, data, features, spec, out, log_dir, progress)
    result.seconds = time.monotonic() - start
    return result


def fit_value(
    config: ValueConfig,
    data: ValuePositions,
    features: FeatureConfig,
    spec: GameSpec,
    out: str | Path | None = None,
    log_dir: str | Path | None = None,
    progress: bool = False,
) -> ValueResult:
    """Regress a new value network on labelled positions (a tenth held out).

    Args:
        config: the run's settings (network, epochs, batch, lr, holdout, seed).
        data: the positions, e.g. from ``collect_positions``.
        features: their planes.
        spec: the game they come from (size; komi goes into the metadata).
        out: checkpoint to write (``nn.checkpoint``, kind ``"value"``).
        log_dir: TensorBoard directory, or None.
        progress: show a progress bar (tqdm).

    Returns:
        The value network and its errors.
    """
    start = time.monotonic()
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(len(data))
    cut = int(round(config.holdout * len(data)))
    held = ValuePositions(data.obs[order[:cut]], data.z[order[:cut]], data.ply[order[:cut]])
    train = ValuePositions(data.obs[order[cut:]], data.z[order[cut:]], data.ply[order[cut:]])
    model = make_policy_net(spec.size, config.preset, features, seed=config.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.epochs, desc="value", unit="epoch")
    step = 0
    with MetricsWriter(log_dir) as metrics:
        metrics.text("config", json.dumps(dataclasses.asdict(config), indent=1))
        for _ in range(config.epochs):
            model.train()
            batches = rng.permutation(len(train))
            for lo in range(0, len(batches), config.batch_size):
                index = batches[lo : lo + config.batch_size]
                _, value, _ = model(torch.from_numpy(train.obs[index]))
                loss = ((value - torch.from_numpy(train.z[index])) ** 2).mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                step += 1
                metrics.scalars("train", {"mse": float(loss.detach())}, step)
            held_mse = mse(model, held)
            metrics.scalars("validation", {"mse": held_mse}, step)
            if bar is not None:
                bar.set_postfix({"holdout_mse": f"{held_mse:.3f}"}, refresh=False)
                bar.update(1)
        metrics.flush()
    if bar is not None:
        bar.close()
    model.eval()
    baseline = float(np.mean(held.z.astype(np.float64) ** 2)) if len(held) else float("nan")
    result = ValueResult(model, mse(model, train), mse(model, held), baseline, len(train),
                         time.monotonic() - start)
    if out is not None:
        extra = {
            "kind": "value",
            "step": step,
            "positions": len(train),
            "train_mse": result.train_mse,
            "holdout_mse": None if np.isnan(result.holdout_mse) else result.holdout_mse,
            "komi": spec.komi,
            "config": dataclasses.asdict(config),
        }
        save_checkpoint(out, model, model.config, extra, feature_config=features)
    return result


__all__ = [
    "ValueConfig",
    "ValuePositions",
    "ValueResult",
    "collect_positions",
    "fit_value",
    "mse",
    "train_value",
]
