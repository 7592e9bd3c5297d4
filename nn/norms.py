"""Normalisation and activation layers by name, for convolutional feature maps.

Blocks (``nn.blocks``) take ``norm=`` and ``act=`` names and resolve them here, so a
network config stays a few plain strings.  Feature maps are laid out ``(N, C, H, W)``
(batch, channels, rows, columns).

=========  ===================================================================
norm       what it normalises (statistics over) and its learned affine
=========  ===================================================================
batch      each channel over (N, H, W) of the batch (running averages in eval
           mode) — ``torch.nn.BatchNorm2d``, AlphaGo Zero's choice
layer      each example over (C, H, W), then a per-channel scale and shift
instance   each example and channel over (H, W), per-channel affine
group      each example over (C/G, H, W) for each of G channel groups, per-channel
           affine (Wu and He 2018); G = gcd(C, ``GROUPS``), so any C works (one
           group is layer norm, C groups instance norm)
none       nothing (identity)
=========  ===================================================================

Only ``batch`` can be folded into the convolution before it for inference
(``nn.blocks.fuse_for_inference``); the others depend on the input at hand.

Activations: ``relu``, ``gelu``, ``silu``, ``none``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn as tnn

EPS = 1e-5
"""The variance epsilon of every norm (PyTorch's default)."""

GROUPS = 8
"""Channel groups of the group norm where C allows (``group_count``)."""


def group_count(channels: int, groups: int = GROUPS) -> int:
    """Return the groups of a group norm of ``channels`` channels: gcd(C, groups)."""
    return math.gcd(channels, groups)


class ChannelLayerNorm(tnn.Module):
    """Layer norm of a feature map: per example over (C, H, W), per-channel affine.

    ``torch.nn.LayerNorm`` over ``(C, H, W)`` would learn a scale per point, tying the
    layer to one board size; this one learns one scale and shift per channel.

    Args:
        channels: C.
        eps: added to the variance.
    """

    def __init__(self, channels: int, eps: float = EPS) -> None:
        super().__init__()
        self.channels = channels
        self.eps = eps
        self.weight = tnn.Parameter(torch.ones(channels))
        self.bias = tnn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x``: (N, C, H, W) -> (N, C, H, W)."""
        y = F.layer_norm(x, x.shape[1:], eps=self.eps)
        return y * self.weight[:, None, None] + self.bias[:, None, None]

    def extra_repr(self) -> str:
        return f"{self.channels}, eps={self.eps}"


NORMS: dict[str, Callable[[int], tnn.Module]] = {
    "batch": lambda channels: tnn.BatchNorm2d(channels, eps=EPS),
    "layer": lambda channels: ChannelLayerNorm(channels, eps=EPS),
    "instance": lambda channels: tnn.InstanceNorm2d(channels, eps=EPS, affine=True),
    "group": lambda channels: tnn.GroupNorm(group_count(channels), channels, eps=EPS),
    "none": lambda channels: tnn.Identity(),
}
"""Norm factories by name: ``NORMS[name](channels) -> module``."""

ACTIVATIONS: dict[str, Callable[[], tnn.Module]] = {
    "relu": tnn.ReLU,
    "gelu": tnn.GELU,
    "silu": tnn.SiLU,
    "none": tnn.Identity,
}
"""Activation factories by name: ``ACTIVATIONS[name]() -> module``."""


def check_norm(name: str) -> None:
    """Check that ``name`` is a known norm.

    Raises:
        ValueError: if it is not a key of ``NORMS``.
    """
    if name not in NORMS:
        raise ValueError(f"unknown norm {name!r} (known: {', '.join(NORMS)})")


def check_act(name: str) -> None:
    """Check that ``name`` is a known activation.

    Raises:
        ValueError: if it is not a key of ``ACTIVATIONS``.
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r} (known: {', '.join(ACTIVATIONS)})")


def make_norm(name: str, channels: int) -> tnn.Module:
    """Return a new norm layer for ``channels``-channel feature maps.

    Args:
        name: a key of ``NORMS``.
        channels: C of the (N, C, H, W) maps it will see.

    Returns:
        The module (``torch.nn.Identity`` for ``"none"``).

    Raises:
        ValueError: for an unknown name or a channel count below 1.
    """
    check_norm(name)
    if channels < 1:
        raise ValueError(f"channels must be at least 1, not {channels}")
    return NORMS[name](channels)


def make_act(name: str) -> tnn.Module:
    """Return a new activation layer.

    Args:
        name: a key of ``ACTIVATIONS``.

    Raises:
        ValueError: for an unknown name.
    """
    check_act(name)
    return ACTIVATIONS[name]()


def normalises(name: str) -> bool:
    """Return True if norm ``name`` subtracts a mean (so a conv before it needs no bias).

    Raises:
        ValueError: for an unknown name.
    """
    check_norm(name)
    return name != "none"


__all__ = [
    "ACTIVATIONS",
    "EPS",
    "GROUPS",
    "NORMS",
    "ChannelLayerNorm",
    "check_act",
    "check_norm",
    "group_count",
    "make_act",
    "make_norm",
    "normalises",
]
