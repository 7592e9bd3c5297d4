"""The policy-value network of AlphaGo Zero, with an ownership head (KataGo's idea).

Notation: a batch of B positions on an N x N board, each given as C input planes
(``engine.features``), so the input is ``x: (B, C, N, N)`` float32.  Inside, feature
maps have ``channels`` channels.  A network is built for one board size: its heads
end in fully connected layers over the N*N points.

Architecture (AlphaGo Zero paper, "Neural network architecture"):

* stem: Conv3x3(C -> channels)-Norm-Act;
* tower: ``blocks`` residual blocks (``nn.blocks.ResidualBlock``);
* policy head: Conv1x1(-> policy_channels)-Norm-Act, then a linear layer to N*N+1
  logits (pass last, flat actions as in ``engine.coords``);
* value head: Conv1x1(-> value_channels)-Norm-Act, Linear(-> value_hidden), Act,
  Linear(-> 1), tanh;
* ownership head (optional): Conv1x1(-> ownership_channels)-Norm-Act,
  Conv1x1(-> 1), tanh: for each point, +1 if it ends as the side to move's.

Every output is from the side to move's point of view (``engine.evaluator``): that
is how the trainer labels the targets, and nothing here flips anything.

Initialisation: convolutions Kaiming-normal (fan out, ReLU gain) as in torchvision's
ResNets, norms with scale 1 and shift 0, linear layers PyTorch's default.  The last
norm of each residual block is *not* zero-initialised; with a norm after every
convolution the tower's activations stay well scaled at the depths used here.

Start with ``preset("b6c64", board_size=9)`` and ``GoNet(config)``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from torch import nn as tnn

from engine.board import MAX_SIZE, MIN_SIZE
from nn.blocks import ConvNormAct, ResidualBlock
from nn.norms import check_act, check_norm, make_act


@dataclass(frozen=True)
class NetConfig:
    """Shape of a ``GoNet``; saved inside every checkpoint (``to_dict``/``from_dict``).

    Attributes:
        board_size: N.
        in_planes: C, input planes (``engine.features.FeatureConfig.num_planes``; 17
            for AlphaGo Zero's features).
        blocks: residual blocks in the tower (0 allowed: stem and heads only).
        channels: channels of the tower.
        policy_channels: channels of the policy head's 1x1 convolution (AGZ: 2).
        value_channels: channels of the value head's 1x1 convolution (AGZ: 1).
        value_hidden: width of the value head's hidden layer; ``None`` means
            ``max(64, channels)`` (AGZ: 256 with 256 channels).
        ownership: whether the network has an ownership head.
        ownership_channels: channels of the ownership head's first 1x1 convolution;
            ``None`` means ``max(8, channels // 4)``.
        norm: norm name (``nn.norms.NORMS``), used after every convolution.
        act: activation name (``nn.norms.ACTIVATIONS``).

    Raises:
        ValueError: for a size outside the engine's range, a count below its
            minimum, a non-integer count or an unknown norm or activation.
    """

    board_size: int
    in_planes: int = 17
    blocks: int = 6
    channels: int = 64
    policy_channels: int = 2
    value_channels: int = 1
    value_hidden: int | None = None
    ownership: bool = True
    ownership_channels: int | None = None
    norm: str = "batch"
    act: str = "relu"

    def __post_init__(self) -> None:
        if self.value_hidden is None:
            object.__setattr__(self, "value_hidden", max(64, self.channels))
        if self.ownership_channels is None:
            object.__setattr__(self, "ownership_channels", max(8, self.channels // 4))
        minimum = {
            "board_size": MIN_SIZE,
            "in_planes": 1,
            "blocks": 0,
            "channels": 1,
            "policy_channels": 1,
            "value_channels": 1,
            "value_hidden": 1,
            "ownership_channels": 1,
        }
        for name, low in minimum.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be an integer, not {value!r}")
            if value < low:
                raise ValueError(f"{name} must be at least {low}, not {value}")
        if self.board_size > MAX_SIZE:
            raise ValueError(f"board_size must be at most {MAX_SIZE}, not {self.board_size}")
        if not isinstance(self.ownership, bool):
            raise ValueError(f"ownership must be True or False, not {self.ownership!r}")
        check_norm(self.norm)
        check_act(self.act)

    @property
    def name(self) -> str:
        """Short KataGo-style name of the tower, e.g. ``"b6c64"``."""
        return f"b{self.blocks}c{self.channels}"

    @property
    def num_actions(self) -> int:
        """N*N+1, the policy length (pass last)."""
        return self.board_size * self.board_size + 1

    def to_dict(self) -> dict[str, Any]:
        """Return the config as a plain dict of ints, bools and strings."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetConfig:
        """Rebuild a config from ``to_dict``'s output.

        Raises:
            ValueError: if ``data`` is not a dict, has unknown keys, lacks
                ``board_size`` or holds invalid values.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a network config must be a dict, not {type(data).__name__}")
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known, key=str)
        if unknown:
            raise ValueError(f"unknown network config keys: {unknown}")
        if "board_size" not in data:
            raise ValueError("network config lacks board_size")
        return cls(**data)


PRESETS: dict[str, dict[str, int]] = {
    "b6c64": {"blocks": 6, "channels": 64},
    "b10c128": {"blocks": 10, "channels": 128},
    "b20c256": {"blocks": 20, "channels": 256},
}
"""Tower shapes by name; ``b20c256`` is AlphaGo Zero's 20-block network."""


def preset(name: str, board_size: int = 9, in_planes: int = 17, **overrides: Any) -> NetConfig:
    """Return the config of a named preset for a board size and input planes.

    Besides the names of ``PRESETS``, any ``b<blocks>c<channels>`` name (e.g.
    ``b2c16`` for tests) gives a tower of that shape.

    Args:
        name: a key of ``PRESETS`` or a ``bXcY`` name.
        board_size: N.
        in_planes: C.
        **overrides: other ``NetConfig`` fields (e.g. ``ownership=False``).

    Raises:
        ValueError: for an unknown preset or an invalid resulting config.
    """
    shape = PRESETS.get(name)
    if shape is None:
        match = re.fullmatch(r"b(\d+)c(\d+)", name)
        if match is None:
            known = ", ".join(PRESETS)
            raise ValueError(f"unknown network preset {name!r} (known: {known}, or bXcY)")
        shape = {"blocks": int(match.group(1)), "channels": int(match.group(2))}
    fields = {**shape, **overrides}
    return NetConfig(board_size=board_size, in_planes=in_planes, **fields)


class GoNet(tnn.Module):
    """AlphaGo Zero's residual policy-value network plus an ownership head.

    Args:
        config: the shape.

    Attributes:
        config: the ``NetConfig`` it was built from.
    """

    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.config = config
        n = config.board_size
        norm, act = config.norm, config.act
        self.stem = ConvNormAct(config.in_planes, config.channels, 3, norm, act)
        self.tower = tnn.Sequential(
            *(ResidualBlock(config.channels, norm, act) for _ in range(config.blocks))
        )
        self.policy_conv = ConvNormAct(config.channels, config.policy_channels, 1, norm, act)
        self.policy_fc = tnn.Linear(config.policy_channels * n * n, n * n + 1)
        self.value_conv = ConvNormAct(config.channels, config.value_channels, 1, norm, act)
        # both resolved to ints by NetConfig.__post_init__
        assert config.value_hidden is not None and config.ownership_channels is not None
        self.value_fc = tnn.Linear(config.value_channels * n * n, config.value_hidden)
        self.value_act = make_act(act)
        self.value_out = tnn.Linear(config.value_hidden, 1)
        self.ownership_conv: ConvNormAct | None = None
        self.ownership_out: tnn.Conv2d | None = None
        if config.ownership:
            self.ownership_conv = ConvNormAct(
                config.channels, config.ownership_channels, 1, norm, act
            )
            self.ownership_out = tnn.Conv2d(config.ownership_channels, 1, 1)
        self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, tnn.Conv2d):
                tnn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                if module.bias is not None:
                    tnn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Evaluate a batch of positions.

        Args:
            x: (B, C, N, N) input planes.

        Returns:
            policy_logits: (B, N*N+1), unnormalised, pass last.
            value: (B,) in [-1, 1], the side to move's expected outcome.
            ownership: (B, N, N) in [-1, 1], +1 = the side to move's point; all
                zeros if the network has no ownership head.

        Raises:
            ValueError: if ``x`` does not have the configured planes and size.
        """
        cfg = self.config
        n = cfg.board_size
        if x.dim() != 4 or tuple(x.shape[1:]) != (cfg.in_planes, n, n):
            raise ValueError(
                f"expected input of shape (B, {cfg.in_planes}, {n}, {n}), not {tuple(x.shape)}"
            )
        trunk = self.tower(self.stem(x))
        policy = self.policy_fc(torch.flatten(self.policy_conv(trunk), 1))
        hidden = self.value_act(self.value_fc(torch.flatten(self.value_conv(trunk), 1)))
        value = torch.tanh(self.value_out(hidden)).squeeze(1)
        if self.ownership_conv is not None and self.ownership_out is not None:
            ownership = torch.tanh(self.ownership_out(self.ownership_conv(trunk))).squeeze(1)
        else:
            ownership = trunk.new_zeros((x.shape[0], n, n))
        return policy, value, ownership


def count_parameters(model: tnn.Module) -> int:
    """Return the number of parameter values (weights and biases) of ``model``."""
    return sum(parameter.numel() for parameter in model.parameters())


__all__ = ["PRESETS", "GoNet", "NetConfig", "count_parameters", "preset"]
