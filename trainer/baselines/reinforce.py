"""Policy gradient: REINFORCE with a baseline, as in AlphaGo's RL-policy phase.

Notation as in the AlphaGo paper (Silver et al. 2016, "Reinforcement learning of
policy networks"): the policy p_rho(a|s) plays games against an opponent p_rho-
drawn at random from a pool of its own earlier snapshots; after each game the
outcome z_t = +-1 from the learner's point of view at time t updates rho by

    delta rho  ~  sum_t  grad log p_rho(a_t|s_t) (z_t - b(s_t))

where the baseline b(s_t) (here the network's own value head v(s_t), trained by
regression on z, "REINFORCE with baseline" in Sutton and Barto's book) reduces the
variance without biasing the gradient.  The probabilities are a softmax over the
legal moves only (``policy_net.masked_log_softmax``).  The learner is added to the
pool every ``snapshot_every`` iterations; sampling opponents from the whole pool
(not only the latest) stabilises training against overfitting to one opponent.

Each iteration plays ``games_per_iteration`` games with ``rollout.play_games``:
against a snapshot drawn from the pool (the learner black in half of them, white
in the other half) or, with probability ``self_play_fraction``, against its
current self (then both colours' moves are the learner's; AlphaGo used the pool
only), and makes ``minibatches`` Adam steps, each on a shuffled share of the
learner's moves of those games (one pass over them: the games cost far more than
the gradient, so several smaller steps per batch learn faster for the same CPU):

    loss = -mean_t[log p(a_t|s_t) (z_t - b(s_t))] + c_v mean_t[(v(s_t) - z_t)^2]
           - c_H mean_t[H(p(.|s_t))]

The moves that fill the mover's own true eyes are ruled out by default
(``mask_eyes``, ``trainer.baselines.eyes``): Go knowledge, as in the rollout
policies of Go programs, without which most of a short run is spent learning not
to kill one's own groups.  The rewards stay the outcomes alone.

An optional supervised start (``init``: a checkpoint of ``supervised``) completes
AlphaGo's pipeline SL -> RL; ``value_net`` then regresses v on RL self-play.
Start reading at ``train_pg``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.board import BLACK, WHITE
from engine.features import FeatureConfig
from nn.checkpoint import save_checkpoint
from nn.go_net import GoNet
from trainer.baselines.policy_net import (
    BASELINE_FEATURES,
    NetPolicy,
    augment,
    clone_net,
    load_policy_net,
    make_policy_net,
    masked_entropy,
    masked_log_softmax,
)
from trainer.baselines.rollout import GameSpec, RandomPolicy, play_games, win_rate
from trainer.metrics import MetricsWriter

BASELINES = ("value", "mean", "none")
"""Baselines b(s): the value head, the batch's mean outcome, or none (plain REINFORCE)."""


@dataclass(frozen=True)
class PGConfig:
    """Settings of a policy-gradient run (``zerogo baseline pg`` flags map onto these).

    Attributes:
        size: board size N.
        komi: komi.
        max_plies: move cap of a game (default ``2 * N * N``).
        preset: network shape (``nn.go_net.preset``), when not starting from ``init``.
        init: checkpoint to start from (e.g. the supervised policy), or None.
        iterations: batches of games, each followed by ``minibatches`` Adam steps.
        games_per_iteration: games per batch (AlphaGo: 128).
        minibatches: Adam steps per batch, each on its own shuffled share of the
            learner's moves (one pass over them; 1: one step on them all).
        lr: Adam learning rate.
        baseline: ``"value"`` (learned v(s)), ``"mean"`` or ``"none"``.
        value_weight: c_v, weight of the value regression.
        entropy_weight: c_H, weight of the entropy bonus (0.05: at 0.01 the policy
            turned almost deterministic within 100 iterations on 5x5, stopped
            exploring and plateaued near 92% against random).
        snapshot_every: iterations between additions of the learner to the pool.
        self_play_fraction: share of the iterations in which the learner plays
            its current self (both colours learn) instead of a pool snapshot
            (AlphaGo: 0; half and half learned faster on 5x5 here).
        temperature: sampling temperature of both players during training.
        augment: train on a random board symmetry of each position.
        mask_eyes: never fill one's own true eyes (``trainer.baselines.eyes``:
            domain knowledge, as in the rollout policies of Go programs).
        eval_every: iterations between win-rate checks against random (0: never).
        eval_games: games of each check.
        max_cpu_seconds: stop after the iteration in which training has used this
            much CPU time (0: no limit), for comparisons at equal training compute.
        seed: seeds the initial weights, the games and the opponent draws.

    Raises:
        ValueError: for a count below 1, a negative weight or an unknown baseline.
    """

    size: int = 9
    komi: float = 7.5
    max_plies: int | None = None
    preset: str = "b2c32"
    init: str | None = None
    iterations: int = 500
    games_per_iteration: int = 64
    minibatches: int = 4
    lr: float = 1e-3
    baseline: str = "value"
    value_weight: float = 0.5
    entropy_weight: float = 0.05
    snapshot_every: int = 20
    self_play_fraction: float = 0.5
    temperature: float = 1.0
    augment: bool = False
    mask_eyes: bool = True
    eval_every: int = 50
    eval_games: int = 100
    max_cpu_seconds: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("iterations", "games_per_iteration", "minibatches", "snapshot_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in ("lr", "temperature"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")
        if not 0 <= self.self_play_fraction <= 1:
            raise ValueError(f"self_play_fraction must be in [0, 1], not {self.self_play_fraction}")
        for name in ("value_weight", "entropy_weight", "eval_every", "eval_games",
                     "max_cpu_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)}")
        if self.baseline not in BASELINES:
            raise ValueError(f"unknown baseline {self.baseline!r} (known: {', '.join(BASELINES)})")


@dataclass
class PGResult:
    """What ``train_pg`` leaves behind.

    Attributes:
        model: the trained policy (eval mode).
        initial: a copy of the policy before training.
        iterations: Adam steps made.
        games: games played.
        seconds: wall-clock seconds of training (evaluations included).
        pool_size: snapshots in the opponent pool at the end.
        history: per evaluation, ``{"iteration", "win_rate_vs_random"}``.
        cpu_seconds: CPU time of the training process over the run (all its
            threads; evaluations included), the measure of ``max_cpu_seconds``.
    """

    model: GoNet
    initial: GoNet
    iterations: int
    games: int
    seconds: float
    pool_size: int
    history: list[dict[str, float]]
    cpu_seconds: float = 0.0


def pg_loss(
    model: GoNet,
    obs: torch.Tensor,
    legal: torch.Tensor,
    actions: torch.Tensor,
    z: torch.Tensor,
    config: PGConfig,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Return REINFORCE's loss on a batch of the learner's moves and its parts.

    Args:
        model: the policy network (in train mode).
        obs: (B, C, N, N) planes.
        legal: (B, A) bool legal actions.
        actions: (B,) int64 moves played.
        z: (B,) float outcomes from the mover's view.
        config: weights and baseline.

    Returns:
        The scalar loss and detached parts: ``policy``, ``value``, ``entropy``,
        ``advantage`` (mean absolute), ``log_prob`` (mean).
    """
    logits, value, _ = model(obs)
    log_probs = masked_log_softmax(logits, legal)
    chosen = log_probs.gather(1, actions[:, None]).squeeze(1)
    if config.baseline == "value":
        advantage = z - value.detach()
    elif config.baseline == "mean":
        advantage = z - z.mean()
    else:
        advantage = z
    policy_loss = -(chosen * advantage).mean()
    value_loss = ((value - z) ** 2).mean()
    entropy = masked_entropy(log_probs, legal).mean()
    loss = policy_loss + config.value_weight * value_loss - config.entropy_weight * entropy
    parts = {
        "policy": policy_loss.detach(),
        "value": value_loss.detach(),
        "entropy": entropy.detach(),
        "advantage": advantage.abs().mean().detach(),
        "log_prob": chosen.mean().detach(),
    }
    return loss, parts


def train_pg(
    config: PGConfig,
    out: str | Path | None = None,
    log_dir: str | Path | None = None,
    progress: bool = False,
    save_every: int = 100,
) -> PGResult:
    """Train a policy by REINFORCE against a pool of its earlier snapshots.

    Args:
        config: the run's settings.
        out: checkpoint written every ``save_every`` iterations and at the end
            (an ``nn.checkpoint`` file; its metadata says ``"kind": "pg"``).
        log_dir: TensorBoard directory (``trainer.metrics.MetricsWriter``), or None.
        progress: show a progress bar (tqdm).
        save_every: iterations between checkpoints.

    Returns:
        The trained model, its initial copy and the run's counts.

    Raises:
        FileNotFoundError: if ``config.init`` names no file.
        ValueError: if the ``init`` checkpoint is for another board size.
    """
    start = time.monotonic()
    cpu_start = time.process_time()
    torch.manual_seed(config.seed)
    if config.init:
        model, features = load_policy_net(config.init)
        if model.config.board_size != config.size:
            raise ValueError(
                f"{config.init} is a {model.config.board_size}x{model.config.board_size} "
                f"network, not {config.size}x{config.size}"
            )
    else:
        features = BASELINE_FEATURES
        model = make_policy_net(config.size, config.preset, features, seed=config.seed)
    spec = GameSpec(config.size, config.komi, features, max_plies=config.max_plies)
    initial = clone_net(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    pool = [copy.deepcopy(model.state_dict())]
    opponent = clone_net(model)
    learner = NetPolicy(model, config.temperature, config.seed, "learner", config.mask_eyes)
    rival = NetPolicy(opponent, config.temperature, config.seed + 1, "pool", config.mask_eyes)
    rng = np.random.default_rng(config.seed)
    half = config.games_per_iteration // 2
    seats = np.array([[0, 1]] * half + [[1, 0]] * (config.games_per_iteration - half))
    colors = np.where(seats[:, 0] == 0, BLACK, WHITE).astype(np.int8)
    history: list[dict[str, float]] = []
    bar = _bar(config.iterations, progress, "pg")
    games = 0
    done = 0
    with MetricsWriter(log_dir) as metrics:
        metrics.text("config", json.dumps(dataclasses.asdict(config), indent=1))
        for iteration in range(1, config.iterations + 1):
            model.eval()
            self_play = rng.random() < config.self_play_fraction
            if self_play:
                # against itself: both colours are the learner's moves
                played = play_games(
                    [learner], np.zeros_like(seats), spec, int(rng.integers(2**62)), record=(0,)
                )
            else:
                opponent.load_state_dict(pool[int(rng.integers(len(pool)))])
                played = play_games(
                    [learner, rival], seats, spec, int(rng.integers(2**62)), record=(0,)
                )
            games += len(seats)
            records = played.records
            z = played.outcome(records.game, records.color)
            obs, legal, actions = records.obs, records.legal, records.actions
            if config.augment:
                ks = rng.integers(8, size=len(actions))
                (obs,), (legal,), actions = augment(ks, [obs], [legal], actions)
            model.train()
            count = len(actions)
            order = rng.permutation(count) if config.minibatches > 1 else np.arange(count)
            sums: dict[str, float] = {}
            for part in np.array_split(order, min(config.minibatches, max(count, 1))):
                loss, parts = pg_loss(
                    model,
                    torch.from_numpy(obs[part]),
                    torch.from_numpy(legal[part]),
                    torch.from_numpy(actions[part]),
                    torch.from_numpy(z[part]),
                    config,
                )
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                for name, value in parts.items():
                    sums[name] = sums.get(name, 0.0) + float(value) * len(part)
            model.eval()
            if iteration % config.snapshot_every == 0:
                pool.append(copy.deepcopy(model.state_dict()))
            stats = {name: value / max(count, 1) for name, value in sums.items()}
            if self_play:
                stats["black_win_rate"] = float((played.winners == BLACK).mean())
            else:
                z_games = played.outcome(np.arange(len(seats)), colors)
                stats["win_rate_vs_pool"] = float((z_games > 0).mean())
            stats["game_length"] = float(played.plies.mean())
            metrics.scalars("train", stats, iteration)
            if config.eval_every and iteration % config.eval_every == 0:
                greedy = NetPolicy(model, 0.0, mask_own_eyes=config.mask_eyes)
                rate = win_rate(greedy, RandomPolicy(), spec, config.eval_games,
                                seed=config.seed + iteration)
                history.append({"iteration": iteration, "win_rate_vs_random": rate.rate})
                metrics.scalars("eval", {"win_rate_vs_random": rate.rate}, iteration)
            done = iteration
            cpu = time.process_time() - cpu_start
            if out is not None and iteration % save_every == 0:
                save_pg_checkpoint(out, model, features, config, iteration, games, len(pool),
                                   cpu, time.monotonic() - start)
            _advance(bar, stats, history)
            if config.max_cpu_seconds and cpu >= config.max_cpu_seconds:
                break
        metrics.flush()
    _close(bar)
    cpu = time.process_time() - cpu_start
    seconds = time.monotonic() - start
    if out is not None:
        save_pg_checkpoint(out, model, features, config, done, games, len(pool), cpu, seconds)
    model.eval()
    return PGResult(model, initial, done, games, seconds, len(pool), history, cpu)


def save_pg_checkpoint(
    path: str | Path,
    model: GoNet,
    features: FeatureConfig,
    config: PGConfig,
    iteration: int,
    games: int,
    pool: int,
    cpu_seconds: float = 0.0,
    seconds: float = 0.0,
) -> Path:
    """Write the policy as an ``nn.checkpoint`` file with the run in its metadata
    (``cpu_seconds`` and ``seconds``: the training's CPU and wall-clock time so far)."""
    extra: dict[str, Any] = {
        "kind": "pg",
        "step": iteration,
        "games_trained": games,
        "cpu_seconds": round(cpu_seconds, 3),
        "seconds": round(seconds, 3),
        "opponent_pool": pool,
        "komi": config.komi,
        "config": dataclasses.asdict(config),
    }
    return save_checkpoint(path, model, model.config, extra, feature_config=features)


def _bar(total: int, enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="it")


def _advance(bar: Any, stats: dict[str, float], history: list[dict[str, float]]) -> None:
    if bar is None:
        return
    postfix = {"H": f"{stats['entropy']:.2f}"}
    if "win_rate_vs_pool" in stats:
        postfix["vs_pool"] = f"{stats['win_rate_vs_pool']:.2f}"
    if history:
        postfix["vs_random"] = f"{history[-1]['win_rate_vs_random']:.2f}"
    bar.set_postfix(postfix, refresh=False)
    bar.update(1)


def _close(bar: Any) -> None:
    if bar is not None:
        bar.close()


__all__ = ["BASELINES", "PGConfig", "PGResult", "pg_loss", "save_pg_checkpoint", "train_pg"]
