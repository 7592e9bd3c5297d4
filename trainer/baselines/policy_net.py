"""Policy networks of the baselines: a ``GoNet`` read through a masked softmax.

The policy-gradient and supervised baselines use ``nn.go_net.GoNet`` unchanged (no
ownership head): its policy logits, restricted to the legal actions, are the policy
p(a|s), and its value head is REINFORCE's baseline b(s) (or AlphaGo's value network
v(s)).  So their checkpoints are ordinary ``nn.checkpoint`` files: the
``pg`` player plays the raw policy, and the ``net`` player can put the same file
under PUCT search, which is how the value of search is measured.

Illegal actions get a logit of ``-inf`` (``masked_logits``), so they have
probability 0 in sampling, in argmax, in log-probabilities and in the entropy.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from engine.envs.gym_env import GoState
from engine.features import FeatureConfig
from engine.symmetry import NUM_SYMMETRIES, action_table, apply_planes_each, apply_policy_each
from nn.checkpoint import read_checkpoint
from nn.go_net import GoNet, NetConfig, preset

BASELINE_FEATURES = FeatureConfig(history=2, extra=("liberties", "ones"))
"""Default input planes of the baselines: the last two positions, AlphaGo's
liberty counts and a plane of ones (14 planes); the liberties make captures easy
to see for the small networks trained here."""


def make_policy_net(
    size: int,
    preset_name: str = "b2c32",
    features: FeatureConfig = BASELINE_FEATURES,
    norm: str = "none",
    seed: int | None = None,
) -> GoNet:
    """Return a new policy-value ``GoNet`` without an ownership head.

    Args:
        size: board size N.
        preset_name: tower shape (``nn.go_net.preset``: ``b6c64`` or any ``bXcY``).
        features: the input planes it will eat.
        norm: norm after each convolution (``nn.norms.NORMS``); ``"none"`` by
            default, because batch statistics of on-policy batches drift with the
            policy.
        seed: seeds the initial weights (``torch.manual_seed``) when given.

    Raises:
        ValueError: for an unknown preset or norm or an unsupported size.
    """
    config = preset(
        preset_name, board_size=size, in_planes=features.num_planes, ownership=False, norm=norm
    )
    if seed is not None:
        torch.manual_seed(seed)
    return GoNet(config)


def masked_logits(logits: Tensor, legal: Tensor) -> Tensor:
    """Return ``logits`` with ``-inf`` at illegal actions.

    Args:
        logits: (B, A) float.
        legal: (B, A) bool, at least one True per row.

    Returns:
        (B, A), a new tensor.
    """
    return logits.masked_fill(~legal, float("-inf"))


def masked_log_softmax(logits: Tensor, legal: Tensor) -> Tensor:
    """Return log p(a|s) over the legal actions, ``-inf`` at illegal ones: (B, A)."""
    return torch.log_softmax(masked_logits(logits, legal), dim=1)


def masked_entropy(log_probs: Tensor, legal: Tensor) -> Tensor:
    """Return the entropy of each row of masked log-probabilities: (B, A) -> (B,)."""
    safe = torch.where(legal, log_probs, torch.zeros_like(log_probs))
    return -(safe.exp() * safe).sum(dim=1)


def choose(scores: Tensor, legal: Tensor, temperature: float, generator: torch.Generator) -> Tensor:
    """Pick one legal action per row: argmax if ``temperature`` is 0, else sample.

    Args:
        scores: (B, A) logits (or Q-values for ``temperature == 0``).
        legal: (B, A) bool.
        temperature: softmax temperature; 0 means greedy.
        generator: the random source for sampling.

    Returns:
        (B,) int64 actions.

    Raises:
        ValueError: for a negative temperature.
    """
    if temperature < 0:
        raise ValueError(f"temperature must not be negative, not {temperature}")
    masked = masked_logits(scores, legal)
    if temperature == 0:
        return masked.argmax(dim=1)
    probs = torch.softmax(masked / temperature, dim=1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


class NetPolicy:
    """A ``GoNet``'s policy head as a batched policy (``rollout.BatchPolicy``).

    Args:
        model: the network; keep it in eval mode while it acts (norms).
        temperature: 1 samples from p(a|s), 0 plays its argmax.
        seed: seeds the sampling.
        name: shown in logs.
        mask_own_eyes: never fill its own true eyes (``rollout.play_games`` then
            passes it legal masks without them; ``trainer.baselines.eyes``).
    """

    def __init__(
        self,
        model: GoNet,
        temperature: float = 1.0,
        seed: int = 0,
        name: str = "policy",
        mask_own_eyes: bool = False,
    ) -> None:
        self.model = model
        self.temperature = temperature
        self.name = name
        self.mask_own_eyes = mask_own_eyes
        self._generator = torch.Generator().manual_seed(seed)

    @torch.no_grad()
    def act(self, obs: np.ndarray, legal: np.ndarray, states: Sequence[GoState]) -> np.ndarray:
        """Return one action per position.

        Args:
            obs: float32 (B, C, N, N) planes of the side to move.
            legal: bool (B, A) legal actions.
            states: the B games (unused).

        Returns:
            int64 (B,) actions.
        """
        logits, _, _ = self.model(torch.from_numpy(obs))
        actions = choose(logits, torch.from_numpy(legal), self.temperature, self._generator)
        return actions.numpy().astype(np.int64)


def augment(
    ks: np.ndarray, planes: Sequence[np.ndarray], masks: Sequence[np.ndarray], actions: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Turn each position of a batch by its own board symmetry (``engine.symmetry``).

    Go's rules are symmetric, so a move and its image are equally good in the
    position and its image: training on random images multiplies the data by up
    to 8 and keeps the network from preferring one side of the board.

    Args:
        ks: int (B,) symmetry of each item, 0 .. 7.
        planes: arrays (B, C, N, N) transformed alike (e.g. s and s').
        masks: arrays (B, A) over actions transformed alike (legal masks).
        actions: int64 (B,) flat actions.

    Returns:
        The transformed planes, masks and actions.
    """
    size = planes[0].shape[-1]
    table = np.stack([action_table(k, size) for k in range(NUM_SYMMETRIES)])
    return (
        [apply_planes_each(p, ks) for p in planes],
        [apply_policy_each(m, ks) for m in masks],
        table[ks, actions],
    )


def load_policy_net(path: str | Path) -> tuple[GoNet, FeatureConfig]:
    """Return the network of a ``nn.checkpoint`` file (eval mode) and its input planes.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if it is not a valid zerogo checkpoint.
    """
    checkpoint = read_checkpoint(path)
    return checkpoint.build_model(), checkpoint.feature_config


def clone_net(model: GoNet) -> GoNet:
    """Return an independent copy of ``model`` (same config and weights, eval mode)."""
    copy = GoNet(NetConfig.from_dict(model.config.to_dict()))
    copy.load_state_dict(model.state_dict())
    copy.eval()
    return copy


__all__ = [
    "BASELINE_FEATURES",
    "NetPolicy",
    "augment",
    "choose",
    "clone_net",
    "load_policy_net",
    "make_policy_net",
    "masked_entropy",
    "masked_log_softmax",
    "masked_logits",
]
