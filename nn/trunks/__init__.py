"""Trunks of a policy-value network by name: maps (N, in_planes, S, S) -> (N, C, S, S).

A trunk turns input planes into ``channels`` feature maps of the board's size; the
heads of a network read them.  Every trunk takes explicit sizes, a ``norm`` and an
``act`` name (``nn.norms``) and trunk-specific options with defaults:

===========  ======  =============================================  ====================
trunk        prefix  module                                         options (defaults)
===========  ======  =============================================  ====================
mobilenet    mb      ``nn.trunks.mobilenet.MobileNetTrunk``         expansion=4
densenet     dn      ``nn.trunks.densenet.DenseNetTrunk``           growth=32,
                                                                    bottleneck=4,
                                                                    compression=0.5,
                                                                    stages=2
transformer  tf      ``nn.trunks.transformer.TransformerTrunk``     heads=4, mlp_ratio=4
===========  ======  =============================================  ====================

The residual tower of AlphaGo Zero is the Go network's own (``nn.go_net``); the prefix
names presets there (``mb12c64``: a MobileNet trunk of 12 blocks, 64 channels).
Nothing in this package knows of Go.  Start with ``make_trunk``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import nn as tnn


@dataclass(frozen=True)
class TrunkSpec:
    """A trunk family: its name prefix and its options with their defaults."""

    prefix: str
    defaults: dict[str, int | float]


TRUNKS: dict[str, TrunkSpec] = {
    "mobilenet": TrunkSpec("mb", {"expansion": 4}),
    "densenet": TrunkSpec("dn", {"growth": 32, "bottleneck": 4, "compression": 0.5, "stages": 2}),
    "transformer": TrunkSpec("tf", {"heads": 4, "mlp_ratio": 4}),
}
"""Trunk families by name."""


def trunk_options(name: str, options: dict[str, Any] | None = None) -> dict[str, int | float]:
    """Return the full options of trunk ``name``: its defaults updated by ``options``.

    Raises:
        ValueError: for an unknown trunk, unknown option or a value of the wrong type.
    """
    if name not in TRUNKS:
        raise ValueError(f"unknown trunk {name!r} (known: {', '.join(TRUNKS)})")
    defaults = TRUNKS[name].defaults
    given = dict(options or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(f"unknown options {unknown} of trunk {name!r} (known: {list(defaults)})")
    merged: dict[str, int | float] = {}
    for key, default in defaults.items():
        value = given.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"option {key} of trunk {name!r} must be a number, not {value!r}")
        if isinstance(default, int) and not isinstance(value, int):
            raise ValueError(f"option {key} of trunk {name!r} must be an integer, not {value!r}")
        merged[key] = value
    return merged


def make_trunk(
    name: str,
    in_planes: int,
    channels: int,
    blocks: int,
    size: int,
    norm: str = "batch",
    act: str = "relu",
    options: dict[str, Any] | None = None,
) -> tnn.Module:
    """Return a new trunk: (N, in_planes, size, size) -> (N, channels, size, size).

    Args:
        name: a key of ``TRUNKS``.
        in_planes: input channels.
        channels: output channels (and the width of most trunks).
        blocks: blocks (mobilenet, transformer) or dense layers in all (densenet).
        size: the board side S (the transformer's position bias needs it).
        norm: norm name (``nn.norms.NORMS``).
        act: activation name (``nn.norms.ACTIVATIONS``).
        options: trunk options (``trunk_options``).

    Raises:
        ValueError: for an unknown trunk or option, or invalid sizes.
    """
    opts = trunk_options(name, options)
    if name == "mobilenet":
        from nn.trunks.mobilenet import MobileNetTrunk

        return MobileNetTrunk(in_planes, channels, blocks, int(opts["expansion"]), norm, act)
    if name == "densenet":
        from nn.trunks.densenet import DenseNetTrunk

        return DenseNetTrunk(
            in_planes,
            channels,
            blocks,
            int(opts["growth"]),
            int(opts["bottleneck"]),
            float(opts["compression"]),
            int(opts["stages"]),
            norm,
            act,
        )
    from nn.trunks.transformer import TransformerTrunk

    return TransformerTrunk(
        in_planes, channels, blocks, size, int(opts["heads"]), int(opts["mlp_ratio"]), norm, act
    )


__all__ = ["TRUNKS", "TrunkSpec", "make_trunk", "trunk_options"]
