"""The convolutional Q-network of DQN, built from ``nn.blocks``, and its checkpoint file.

Input ``x: (B, C, N, N)`` planes of the side to move (``engine.features``); output
``q: (B, N*N + 1)``, one action value per flat action, pass last, in [-1, 1] (tanh:
the rewards are the game outcome +-1 and the discount is at most 1, so every true
action value lies in that range).

Architecture: ``ConvNormAct`` stem (3x3), a tower of ``ResidualBlock``, then a Q
head as AlphaGo Zero's policy head: a 1x1 ``ConvNormAct`` to ``head_channels``
planes and a linear layer to the N*N + 1 values.

A Q checkpoint is a ``torch.save`` file of plain data and tensors, read with
``torch.load(..., weights_only=True)``:

==============  ==========================================================
format          ``"zerogo-qnet"``
version         ``Q_FORMAT_VERSION``
net_config      ``QNetConfig.to_dict()``
feature_config  ``nn.checkpoint.feature_config_to_dict`` of the input planes
metadata        JSON text (kind, steps, komi, the training config, ...)
state_dict      the network's tensors
==============  ==========================================================
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch import nn as tnn

from engine.features import FeatureConfig
from nn.blocks import ConvNormAct, ResidualBlock
from nn.checkpoint import feature_config_from_dict, feature_config_to_dict
from nn.norms import check_act, check_norm

Q_FORMAT = "zerogo-qnet"
Q_FORMAT_VERSION = 1


@dataclass(frozen=True)
class QNetConfig:
    """Shape of a ``QNet``; saved in its checkpoint.

    Attributes:
        board_size: N.
        in_planes: C.
        blocks: residual blocks (0: stem and head only).
        channels: channels of the tower.
        head_channels: channels of the head's 1x1 convolution.
        norm: norm name (``nn.norms.NORMS``).
        act: activation name (``nn.norms.ACTIVATIONS``).

    Raises:
        ValueError: for a count below its minimum or an unknown name.
    """

    board_size: int
    in_planes: int
    blocks: int = 2
    channels: int = 32
    head_channels: int = 4
    norm: str = "none"
    act: str = "relu"

    def __post_init__(self) -> None:
        minimum = {"board_size": 2, "in_planes": 1, "blocks": 0, "channels": 1, "head_channels": 1}
        for name, low in minimum.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer of at least {low}, not {value!r}")
        check_norm(self.norm)
        check_act(self.act)

    @property
    def num_actions(self) -> int:
        """N*N + 1."""
        return self.board_size * self.board_size + 1

    def to_dict(self) -> dict[str, Any]:
        """Return the config as a plain dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> QNetConfig:
        """Rebuild a config from ``to_dict``'s output.

        Raises:
            ValueError: for something else than such a dict.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a Q-network config must be a dict, not {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        if set(data) - known or not {"board_size", "in_planes"} <= set(data):
            raise ValueError(f"invalid Q-network config keys: {sorted(data)}")
        return cls(**data)


def q_config(
    name: str, board_size: int, in_planes: int, norm: str = "none", act: str = "relu"
) -> QNetConfig:
    """Return the config of a ``bXcY`` tower name (as ``nn.go_net.preset`` names them).

    Raises:
        ValueError: for a name that is not ``b<blocks>c<channels>``.
    """
    import re

    match = re.fullmatch(r"b(\d+)c(\d+)", name)
    if match is None:
        raise ValueError(f"network shape must be named bXcY (e.g. b2c32), not {name!r}")
    return QNetConfig(
        board_size, in_planes, int(match.group(1)), int(match.group(2)), norm=norm, act=act
    )


class QNet(tnn.Module):
    """Convolutional action-value network Q(s, .) (see the module docstring).

    Args:
        config: the shape.
    """

    def __init__(self, config: QNetConfig) -> None:
        super().__init__()
        self.config = config
        n = config.board_size
        self.stem = ConvNormAct(config.in_planes, config.channels, 3, config.norm, config.act)
        self.tower = tnn.Sequential(
            *(ResidualBlock(config.channels, config.norm, config.act) for _ in range(config.blocks))
        )
        self.head = ConvNormAct(config.channels, config.head_channels, 1, config.norm, config.act)
        self.out = tnn.Linear(config.head_channels * n * n, n * n + 1)

    def forward(self, x: Tensor) -> Tensor:
        """Return Q-values.

        Args:
            x: (B, C, N, N) planes of the side to move.

        Returns:
            (B, N*N + 1) action values in [-1, 1], pass last.

        Raises:
            ValueError: for input of another shape.
        """
        cfg = self.config
        n = cfg.board_size
        if x.dim() != 4 or tuple(x.shape[1:]) != (cfg.in_planes, n, n):
            raise ValueError(
                f"expected input of shape (B, {cfg.in_planes}, {n}, {n}), not {tuple(x.shape)}"
            )
        trunk = self.tower(self.stem(x))
        return torch.tanh(self.out(torch.flatten(self.head(trunk), 1)))


def save_q_checkpoint(
    path: str | os.PathLike[str],
    model: QNet,
    features: FeatureConfig,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write a Q-network checkpoint atomically (see the module docstring).

    Returns:
        The path written.

    Raises:
        ValueError: if the planes do not match the network or the metadata is not
            JSON-able.
    """
    if features.num_planes != model.config.in_planes:
        raise ValueError(
            f"feature config gives {features.num_planes} planes, "
            f"network expects {model.config.in_planes}"
        )
    try:
        metadata_text = json.dumps(metadata or {}, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"checkpoint metadata is not JSON-able: {exc}") from None
    payload = {
        "format": Q_FORMAT,
        "version": Q_FORMAT_VERSION,
        "net_config": model.config.to_dict(),
        "feature_config": feature_config_to_dict(features),
        "metadata": metadata_text,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    path = Path(path)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(payload, file)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    return path


def load_q_checkpoint(
    path: str | os.PathLike[str],
) -> tuple[QNet, FeatureConfig, dict[str, Any]]:
    """Rebuild the Q-network of a checkpoint (eval mode), with ``weights_only=True``.

    Returns:
        (model, its input planes, its metadata).

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if the file is not a valid Q-network checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for foreign or unsafe files
        raise ValueError(f"{path} is not a safe Q-network checkpoint ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != Q_FORMAT:
        raise ValueError(f"{path} is not a zerogo Q-network checkpoint (no {Q_FORMAT!r} marker)")
    if payload.get("version") != Q_FORMAT_VERSION:
        raise ValueError(f"{path}: Q checkpoint version {payload.get('version')!r} unsupported")
    try:
        config = QNetConfig.from_dict(payload["net_config"])
        features = feature_config_from_dict(payload["feature_config"])
        metadata = json.loads(payload["metadata"])
        model = QNet(config)
        model.load_state_dict(payload["state_dict"], strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"{path}: invalid Q-network checkpoint: {exc}") from None
    if features.num_planes != config.in_planes:
        raise ValueError(f"{path}: {features.num_planes} planes for {config.in_planes} inputs")
    model.eval()
    return model, features, metadata


__all__ = [
    "Q_FORMAT",
    "Q_FORMAT_VERSION",
    "QNet",
    "QNetConfig",
    "load_q_checkpoint",
    "q_config",
    "save_q_checkpoint",
]
