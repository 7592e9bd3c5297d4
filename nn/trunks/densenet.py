"""DenseNet trunk: dense blocks with bottlenecks and channel-compressing transitions.

Huang et al. 2017, "Densely Connected Convolutional Networks" (DenseNet-BC).  Inside
a dense block every layer sees the concatenation of the block's input and all earlier
layers' outputs, and adds ``growth`` new channels (the growth rate k).  A layer is
pre-activation: Norm-Act-Conv1x1 to ``bottleneck * k`` channels (the bottleneck),
Norm-Act-Conv3x3 to k.  Between blocks a transition Norm-Act-Conv1x1 compresses the
channels by ``compression`` (θ).  The paper's transitions also halve the resolution
with average pooling; a Go network needs a logit per point, so here they do not.
A last Norm-Act-Conv1x1 maps to the trunk's ``channels``.

Feature maps are ``(N, C, H, W)``.  Norms and activations by name (``nn.norms``).
Nothing here knows of Go.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch import nn as tnn

from nn.blocks import ConvNormAct
from nn.norms import make_act, make_norm


class NormActConv(tnn.Module):
    """Pre-activation layer: Norm, Act, then a "same" convolution with bias (no norm
    follows it to supply a shift).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: odd kernel size.
        norm: norm name.
        act: activation name.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, norm: str, act: str
    ) -> None:
        super().__init__()
        self.norm = make_norm(norm, in_channels)
        self.act = make_act(act)
        self.conv = tnn.Conv2d(
            in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=True
        )

    def forward(self, x: Tensor) -> Tensor:
        """Apply the layer: x (N, C_in, H, W) -> (N, C_out, H, W)."""
        return self.conv(self.act(self.norm(x)))


class DenseLayer(tnn.Module):
    """Bottleneck dense layer: returns the k new channels (the caller concatenates).

    Args:
        in_channels: channels it sees (the block's input plus earlier layers).
        growth: k, channels it adds.
        bottleneck: width of the 1x1 bottleneck in units of k (DenseNet-BC: 4).
        norm: norm name.
        act: activation name.
    """

    def __init__(self, in_channels: int, growth: int, bottleneck: int, norm: str, act: str) -> None:
        super().__init__()
        self.reduce = NormActConv(in_channels, bottleneck * growth, 1, norm, act)
        self.conv = NormActConv(bottleneck * growth, growth, 3, norm, act)

    def forward(self, x: Tensor) -> Tensor:
        """Return the new features: x (N, C_in, H, W) -> (N, k, H, W)."""
        return self.conv(self.reduce(x))


class DenseBlock(tnn.Module):
    """``layers`` dense layers; output: input and every layer's k channels, concatenated.

    Args:
        in_channels: C_in.
        layers: L; the output has ``C_in + L * k`` channels.
        growth: k.
        bottleneck: bottleneck width in units of k.
        norm: norm name.
        act: activation name.
    """

    def __init__(
        self, in_channels: int, layers: int, growth: int, bottleneck: int, norm: str, act: str
    ) -> None:
        super().__init__()
        self.layers = tnn.ModuleList(
            DenseLayer(in_channels + i * growth, growth, bottleneck, norm, act)
            for i in range(layers)
        )
        self.out_channels = in_channels + layers * growth

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block: x (N, C_in, H, W) -> (N, C_in + L k, H, W)."""
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)


class DenseNetTrunk(tnn.Module):
    """Stem, ``stages`` dense blocks with transitions between them, a 1x1 to ``channels``.

    ``blocks`` dense layers in all are spread evenly over the stages (earlier stages
    get the remainder).  The stem is Conv3x3-Norm-Act to ``2 k`` channels (as the
    paper's).

    Args:
        in_planes: input channels.
        channels: output channels.
        blocks: dense layers in all (at least ``stages``).
        growth: k, the growth rate.
        bottleneck: bottleneck width in units of k.
        compression: θ in (0, 1], transitions keep ``floor(θ C)`` channels.
        stages: dense blocks.
        norm: norm name.
        act: activation name.

    Raises:
        ValueError: for sizes out of range or an unknown name.
    """

    def __init__(
        self,
        in_planes: int,
        channels: int,
        blocks: int,
        growth: int = 32,
        bottleneck: int = 4,
        compression: float = 0.5,
        stages: int = 2,
        norm: str = "batch",
        act: str = "relu",
    ) -> None:
        super().__init__()
        if stages < 1 or blocks < stages or growth < 1 or bottleneck < 1:
            raise ValueError(
                f"need stages >= 1, blocks >= stages, growth and bottleneck >= 1: "
                f"{stages}, {blocks}, {growth}, {bottleneck}"
            )
        if not 0.0 < compression <= 1.0:
            raise ValueError(f"compression must be in (0, 1], not {compression}")
        width = 2 * growth
        self.stem = ConvNormAct(in_planes, width, 3, norm, act)
        stages_list: list[tnn.Module] = []
        for stage in range(stages):
            layers = blocks // stages + (stage < blocks % stages)
            block = DenseBlock(width, layers, growth, bottleneck, norm, act)
            stages_list.append(block)
            width = block.out_channels
            if stage < stages - 1:
                kept = max(1, int(compression * width))
                stages_list.append(NormActConv(width, kept, 1, norm, act))
                width = kept
        self.stages = tnn.Sequential(*stages_list)
        self.head = NormActConv(width, channels, 1, norm, act)
        self.out_act = make_act(act)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the trunk: x (N, in_planes, H, W) -> (N, channels, H, W)."""
        return self.out_act(self.head(self.stages(self.stem(x))))


__all__ = ["DenseBlock", "DenseLayer", "DenseNetTrunk", "NormActConv"]
