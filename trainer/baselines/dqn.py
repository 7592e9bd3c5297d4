"""DQN on Go: a convolutional Q-network, a replay buffer, a target network, Double DQN.

Notation as in Mnih et al. (2015) and van Hasselt et al. (2016): online network
Q(s, a; theta), target network Q(s, a; theta-) copied from it every
``target_update`` gradient steps, transitions (s, a, r, s', done) drawn uniformly
from a replay buffer D, Huber loss on

    y = r                                                  if s' is terminal
    y = (1 - m) * sign * gamma * Q(s', argmax_{a' legal} Q(s', a'; theta); theta-) + m * z
                                                           else

(Double DQN: the online network picks a', the target network values it; with
``double=False`` the target network does both, ``max_{a' legal} Q(s', a';
theta-)``).  Illegal actions are masked in acting (epsilon-greedy over the legal
moves only) and in the max/argmax of the target (``next_legal``).

Opponents (``opponent``):

* ``"self"``: the agent plays both colours and s' is the position the opponent
  faces after the move; the game is zero-sum, so ``sign = -1`` (negamax): the
  value of a move is minus the value of the opponent's best reply.  Every move of
  both colours is a transition.
* ``"random"``: the agent plays one colour against the random player (colours
  alternate between games); s' is the agent's next position, ``sign = +1``.

The reward is the mover's outcome z (+1 win, -1 loss, 0 draw) at the end, and the
bootstrapped target is mixed with that Monte-Carlo return by ``mc_mix`` (m): one-step
targets move the final result back one move per target-network copy, so on 9x9
(games of a hundred moves) plain DQN's Q-network collapsed to the same values for
every position and lost every game to the random player at 300 CPU-seconds; with
m = 0.5 it beat random 57% after 150 CPU-seconds (m = 1: 62.5%, plain Monte-Carlo
regression).  m = 0 is the textbook target.
Acting is batched: each round plays ``games_per_round`` games side by side with the
current epsilon (``rollout.play_games``), stores their transitions, then makes
``updates_per_round`` gradient steps on minibatches from D.  Epsilon falls
linearly from ``epsilon_start`` to ``epsilon_end`` over the first
``epsilon_decay`` of the rounds.  As for policy gradient, moves that fill the
mover's own true eyes are ruled out by default (``mask_eyes``,
``trainer.baselines.eyes``), in acting, in exploration and in the target's
max/argmax (the recorded legal masks are the masked ones).  Start reading at
``train_dqn``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine.envs.gym_env import GoState
from engine.features import FeatureConfig
from trainer.baselines.policy_net import BASELINE_FEATURES, masked_logits
from trainer.baselines.q_net import QNet, q_config, save_q_checkpoint
from trainer.baselines.rollout import GameSpec, Played, RandomPolicy, play_games, win_rate
from trainer.metrics import MetricsWriter

OPPONENTS = ("self", "random")


@dataclass(frozen=True)
class DQNConfig:
    """Settings of a DQN run (``zerogo baseline dqn`` flags map onto these).

    Attributes:
        size: board size N.
        komi: komi.
        max_plies: move cap (default ``2 * N * N``).
        preset: Q-network tower, ``bXcY``.
        opponent: ``"self"`` (negamax self-play) or ``"random"``.
        rounds: acting rounds.
        games_per_round: games played side by side per round.
        updates_per_round: gradient steps per round.
        batch_size: transitions per gradient step.
        buffer_size: capacity of the replay buffer (oldest dropped first).
        lr: Adam learning rate.
        gamma: discount per move of the agent.
        mc_mix: weight of the game's outcome (the undiscounted Monte-Carlo return) in
            the target of non-terminal transitions (see the module docstring).
        double: Double DQN targets (else the plain max of the target network).
        target_update: gradient steps between copies to the target network (each
            copy lets the final reward reach one more move back; 25 learned
            faster than 100 on 5x5).
        epsilon_start: exploration at the first round.
        epsilon_end: exploration after the decay.
        epsilon_decay: fraction of the rounds over which epsilon falls.
        mask_eyes: never fill one's own true eyes (``trainer.baselines.eyes``:
            domain knowledge, as in the rollout policies of Go programs).
        eval_every: rounds between greedy win-rate checks against random (0: never).
        eval_games: games per check.
        max_cpu_seconds: stop after the round in which training has used this much
            CPU time (0: no limit), for comparisons at equal training compute;
            epsilon then falls with the larger of the shares of rounds and of
            that time spent.
        seed: seeds weights, exploration and games.

    Raises:
        ValueError: for an out-of-range setting.
    """

    size: int = 9
    komi: float = 7.5
    max_plies: int | None = None
    preset: str = "b2c32"
    opponent: str = "self"
    rounds: int = 500
    games_per_round: int = 16
    updates_per_round: int = 16
    batch_size: int = 128
    buffer_size: int = 20000
    lr: float = 1e-3
    gamma: float = 1.0
    mc_mix: float = 0.5
    double: bool = True
    target_update: int = 25
    epsilon_start: float = 0.5
    epsilon_end: float = 0.05
    epsilon_decay: float = 0.5
    mask_eyes: bool = True
    eval_every: int = 50
    eval_games: int = 100
    max_cpu_seconds: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("rounds", "games_per_round", "updates_per_round", "batch_size",
                     "buffer_size", "target_update"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.opponent not in OPPONENTS:
            raise ValueError(f"opponent must be one of {OPPONENTS}, not {self.opponent!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, not {self.lr}")
        if not 0 < self.gamma <= 1:
            raise ValueError(f"gamma must be in (0, 1], not {self.gamma}")
        if not 0 <= self.mc_mix <= 1:
            raise ValueError(f"mc_mix must be in [0, 1], not {self.mc_mix}")
        for name in ("epsilon_start", "epsilon_end", "epsilon_decay"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], not {getattr(self, name)}")
        if self.eval_every < 0 or self.eval_games < 1:
            raise ValueError("eval_every must be >= 0 and eval_games >= 1")
        if self.max_cpu_seconds < 0:
            raise ValueError(f"max_cpu_seconds must not be negative, not {self.max_cpu_seconds}")

    def epsilon(self, round_index: int, cpu_seconds: float = 0.0) -> float:
        """Return the exploration rate of round ``round_index`` (0-based), after
        ``cpu_seconds`` of training (counted only under ``max_cpu_seconds``)."""
        if self.epsilon_decay <= 0:
            return self.epsilon_end
        progress = round_index / self.rounds
        if self.max_cpu_seconds:
            progress = max(progress, cpu_seconds / self.max_cpu_seconds)
        frac = min(1.0, progress / self.epsilon_decay)
        return self.epsilon_start + frac * (self.epsilon_end - self.epsilon_start)


class ReplayBuffer:
    """A ring buffer of transitions (s, legal(s), a, r, s', legal(s'), done).

    Planes are 0/1, so they are stored as uint8 (a quarter of float32's memory).

    Args:
        capacity: transitions kept; the oldest are overwritten.
        planes: shape (C, N, N) of an observation.
        num_actions: A.
    """

    def __init__(self, capacity: int, planes: tuple[int, int, int], num_actions: int) -> None:
        self.capacity = capacity
        self.obs = np.zeros((capacity, *planes), dtype=np.uint8)
        self.next_obs = np.zeros((capacity, *planes), dtype=np.uint8)
        self.legal = np.zeros((capacity, num_actions), dtype=bool)
        self.next_legal = np.zeros((capacity, num_actions), dtype=bool)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.done = np.zeros(capacity, dtype=bool)
        self._next = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(
        self,
        obs: np.ndarray,
        legal: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_obs: np.ndarray,
        next_legal: np.ndarray,
        done: np.ndarray,
    ) -> None:
        """Append a batch of M transitions (arrays with a leading axis M)."""
        count = len(actions)
        if count > self.capacity:  # keep the newest
            cut = count - self.capacity
            obs, legal, actions, rewards = obs[cut:], legal[cut:], actions[cut:], rewards[cut:]
            next_obs, next_legal, done = next_obs[cut:], next_legal[cut:], done[cut:]
            count = self.capacity
        index = (self._next + np.arange(count)) % self.capacity
        self.obs[index] = obs
        self.legal[index] = legal
        self.actions[index] = actions
        self.rewards[index] = rewards
        self.next_obs[index] = next_obs
        self.next_legal[index] = next_legal
        self.done[index] = done
        self._next = int((self._next + count) % self.capacity)
        self._size = min(self.capacity, self._size + count)

    def sample(self, batch: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """Return a uniform minibatch as tensors (planes as float32).

        Raises:
            ValueError: if the buffer is empty.
        """
        if self._size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        index = rng.integers(self._size, size=batch)
        return {
            "obs": torch.from_numpy(self.obs[index].astype(np.float32)),
            "legal": torch.from_numpy(self.legal[index]),
            "actions": torch.from_numpy(self.actions[index]),
            "rewards": torch.from_numpy(self.rewards[index]),
            "next_obs": torch.from_numpy(self.next_obs[index].astype(np.float32)),
            "next_legal": torch.from_numpy(self.next_legal[index]),
            "done": torch.from_numpy(self.done[index]),
        }


class EpsilonGreedy:
    """A Q-network's epsilon-greedy moves as a batched policy (``rollout.BatchPolicy``).

    With probability ``epsilon`` a uniformly random legal move (pass included),
    otherwise the legal move of highest Q-value.

    Args:
        model: the Q-network (eval mode while acting).
        epsilon: exploration probability.
        seed: seeds the exploration.
        mask_own_eyes: never fill its own true eyes (``rollout.play_games`` then
            passes it legal masks without them; ``trainer.baselines.eyes``).
    """

    def __init__(
        self, model: QNet, epsilon: float = 0.0, seed: int = 0, mask_own_eyes: bool = False
    ) -> None:
        self.model = model
        self.epsilon = epsilon
        self.mask_own_eyes = mask_own_eyes
        self.name = "dqn"
        self._rng = np.random.default_rng(seed)

    @torch.no_grad()
    def act(self, obs: np.ndarray, legal: np.ndarray, states: Sequence[GoState]) -> np.ndarray:
        """Return int64 (B,) actions for (B, C, N, N) planes and (B, A) legal masks."""
        q = self.model(torch.from_numpy(obs))
        actions = masked_logits(q, torch.from_numpy(legal)).argmax(dim=1).numpy().astype(np.int64)
        if self.epsilon > 0:
            explore = np.flatnonzero(self._rng.random(len(actions)) < self.epsilon)
            for i in explore:
                actions[i] = self._rng.choice(np.flatnonzero(legal[i]))
        return actions


def transitions(played: Played) -> dict[str, np.ndarray]:
    """Turn recorded games into transitions.

    s' of a recorded move is the next record of the same game: the opponent's
    position in self-play (both colours are recorded), the agent's next position
    against a player whose moves are not recorded.

    Args:
        played: games whose records hold the agent's moves, in game and ply order
            (``rollout.play_games`` sorts them so).

    Returns:
        Arrays ``obs, legal, actions, rewards, next_obs, next_legal, done`` with one
        row per recorded move; every row's reward is the mover's outcome (the
        terminal reward of the game's last move, the Monte-Carlo return of the
        others); the last move is terminal, and its s' is a copy of s
        (masked out of the target by ``done``).
    """
    records = played.records
    count = len(records)
    same_game = np.zeros(count, dtype=bool)
    if count > 1:
        same_game[:-1] = records.game[1:] == records.game[:-1]
    done = ~same_game
    following = np.where(done, np.arange(count), np.arange(count) + 1)
    # every row carries the mover's outcome: the reward where done, the Monte-Carlo
    # return mixed into the bootstrapped target elsewhere (``DQNConfig.mc_mix``)
    rewards = played.outcome(records.game, records.color).astype(np.float32)
    return {
        "obs": records.obs,
        "legal": records.legal,
        "actions": records.actions,
        "rewards": rewards,
        "next_obs": records.obs[following],
        "next_legal": records.legal[following],
        "done": done,
    }


def dqn_loss(
    online: QNet, target: QNet, batch: dict[str, torch.Tensor], config: DQNConfig
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Return the Huber TD loss of a minibatch and its parts (see the module docstring).

    Args:
        online: Q(.; theta), in train mode.
        target: Q(.; theta-).
        batch: ``ReplayBuffer.sample``'s tensors.
        config: gamma, double, opponent (the sign of the bootstrap).

    Returns:
        The loss and detached ``q`` (mean Q(s, a)) and ``target`` (mean y).
    """
    count = len(batch["actions"])
    if config.double:  # one forward pass of the online net for s and s'
        both = online(torch.cat([batch["obs"], batch["next_obs"]]))
        q_all, next_online = both[:count], both[count:].detach()
    else:
        q_all, next_online = online(batch["obs"]), None
    q = q_all.gather(1, batch["actions"][:, None]).squeeze(1)
    with torch.no_grad():
        next_legal = batch["next_legal"]
        next_target = target(batch["next_obs"])
        if next_online is not None:
            chooser = masked_logits(next_online, next_legal)
        else:
            chooser = masked_logits(next_target, next_legal)
        best = chooser.argmax(dim=1, keepdim=True)
        bootstrap = next_target.gather(1, best).squeeze(1)
        sign = -1.0 if config.opponent == "self" else 1.0
        mix = config.mc_mix
        y = torch.where(
            batch["done"],
            batch["rewards"],
            (1.0 - mix) * sign * config.gamma * bootstrap + mix * batch["rewards"],
        )
    loss = F.smooth_l1_loss(q, y)
    return loss, {"q": q.mean().detach(), "target": y.mean().detach()}


@dataclass
class DQNResult:
    """What ``train_dqn`` leaves behind.

    Attributes:
        model: the trained online network (eval mode).
        initial: a copy of the network before training.
        features: its input planes.
        updates: gradient steps made.
        games: games played.
        seconds: wall-clock seconds.
        history: per evaluation, ``{"round", "win_rate_vs_random"}``.
        cpu_seconds: CPU time of the training process over the run (all its
            threads; evaluations included), the measure of ``max_cpu_seconds``.
    """

    model: QNet
    initial: QNet
    features: FeatureConfig
    updates: int
    games: int
    seconds: float
    history: list[dict[str, float]]
    cpu_seconds: float = 0.0


def train_dqn(
    config: DQNConfig,
    out: str | Path | None = None,
    log_dir: str | Path | None = None,
    progress: bool = False,
    features: FeatureConfig = BASELINE_FEATURES,
    save_every: int = 100,
) -> DQNResult:
    """Train a Q-network by DQN (see the module docstring).

    Args:
        config: the run's settings.
        out: Q checkpoint written every ``save_every`` rounds and at the end.
        log_dir: TensorBoard directory, or None.
        progress: show a progress bar (tqdm).
        features: input planes.
        save_every: rounds between checkpoints.

    Returns:
        The trained network, its initial copy and the run's counts.
    """
    start = time.monotonic()
    cpu_start = time.process_time()
    torch.manual_seed(config.seed)
    spec = GameSpec(config.size, config.komi, features, max_plies=config.max_plies)
    model = QNet(q_config(config.preset, config.size, features.num_planes))
    model.eval()
    initial = copy.deepcopy(model)
    target = copy.deepcopy(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    n = config.size
    buffer = ReplayBuffer(config.buffer_size, (features.num_planes, n, n), spec.num_actions)
    rng = np.random.default_rng(config.seed)
    actor = EpsilonGreedy(model, config.epsilon_start, config.seed, config.mask_eyes)
    if config.opponent == "self":
        seats = np.zeros((config.games_per_round, 2), dtype=np.int64)
        policies: list[Any] = [actor]
    else:
        seats = np.array([[0, 1], [1, 0]] * (config.games_per_round // 2) +
                         [[0, 1]] * (config.games_per_round % 2))
        policies = [actor, RandomPolicy()]
    history: list[dict[str, float]] = []
    updates = 0
    games = 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.rounds, desc="dqn", unit="round")
    with MetricsWriter(log_dir) as metrics:
        metrics.text("config", json.dumps(dataclasses.asdict(config), indent=1))
        for round_index in range(config.rounds):
            actor.epsilon = config.epsilon(round_index, time.process_time() - cpu_start)
            model.eval()
            played = play_games(policies, seats, spec, int(rng.integers(2**62)), record=(0,))
            games += len(seats)
            buffer.add(**transitions(played))
            model.train()
            sums = {"loss": 0.0, "q": 0.0, "target": 0.0}
            for _ in range(config.updates_per_round):
                loss, parts = dqn_loss(model, target, buffer.sample(config.batch_size, rng), config)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
                optimizer.step()
                updates += 1
                if updates % config.target_update == 0:
                    target.load_state_dict(model.state_dict())
                sums["loss"] += float(loss.detach())
                sums["q"] += float(parts["q"])
                sums["target"] += float(parts["target"])
            model.eval()
            stats = {k: v / config.updates_per_round for k, v in sums.items()}
            stats["epsilon"] = actor.epsilon
            stats["game_length"] = float(played.plies.mean())
            stats["buffer"] = float(len(buffer))
            metrics.scalars("train", stats, round_index + 1)
            if config.eval_every and (round_index + 1) % config.eval_every == 0:
                greedy = EpsilonGreedy(model, 0.0, 0, config.mask_eyes)
                rate = win_rate(greedy, RandomPolicy(), spec, config.eval_games,
                                seed=config.seed + round_index)
                history.append({"round": round_index + 1, "win_rate_vs_random": rate.rate})
                metrics.scalars("eval", {"win_rate_vs_random": rate.rate}, round_index + 1)
            cpu = time.process_time() - cpu_start
            if out is not None and (round_index + 1) % save_every == 0:
                save_dqn_checkpoint(out, model, features, config, updates, games, cpu,
                                    time.monotonic() - start)
            if bar is not None:
                postfix = {"eps": f"{actor.epsilon:.2f}", "loss": f"{stats['loss']:.3f}"}
                if history:
                    postfix["vs_random"] = f"{history[-1]['win_rate_vs_random']:.2f}"
                bar.set_postfix(postfix, refresh=False)
                bar.update(1)
            if config.max_cpu_seconds and cpu >= config.max_cpu_seconds:
                break
        metrics.flush()
    if bar is not None:
        bar.close()
    cpu = time.process_time() - cpu_start
    seconds = time.monotonic() - start
    if out is not None:
        save_dqn_checkpoint(out, model, features, config, updates, games, cpu, seconds)
    return DQNResult(model, initial, features, updates, games, seconds, history, cpu)


def save_dqn_checkpoint(
    path: str | Path,
    model: QNet,
    features: FeatureConfig,
    config: DQNConfig,
    updates: int,
    games: int,
    cpu_seconds: float = 0.0,
    seconds: float = 0.0,
) -> Path:
    """Write the online network with the run in its metadata (``q_net`` format;
    ``cpu_seconds`` and ``seconds``: the training's CPU and wall-clock time so far)."""
    metadata = {
        "kind": "dqn",
        "step": updates,
        "games_trained": games,
        "cpu_seconds": round(cpu_seconds, 3),
        "seconds": round(seconds, 3),
        "komi": config.komi,
        "config": dataclasses.asdict(config),
    }
    return save_q_checkpoint(path, model, features, metadata)


__all__ = [
    "OPPONENTS",
    "DQNConfig",
    "DQNResult",
    "EpsilonGreedy",
    "ReplayBuffer",
    "dqn_loss",
    "save_dqn_checkpoint",
    "train_dqn",
    "transitions",
]
