"""MobileNet v2 trunk: inverted residual blocks of depthwise-separable convolutions.

Sandler et al. 2018, "MobileNetV2: Inverted Residuals and Linear Bottlenecks".  A
block widens C channels to ``expansion * C`` with a 1x1 convolution, filters each
channel on its own with a 3x3 *depthwise* convolution (``groups = channels``), and
projects back to C with a 1x1 convolution that has no activation (the "linear
bottleneck"); the input is added back.  A depthwise-separable 3x3 layer costs
``H W C (9 + C')`` multiply-adds against ``9 H W C C'`` for a full one.

Feature maps are ``(N, C, H, W)``; every convolution is "same" padded and stride 1,
so the board's resolution never changes (a Go network needs a logit per point).
Norms and activations by name (``nn.norms``).  Nothing here knows of Go.
"""

from __future__ import annotations

from torch import Tensor
from torch import nn as tnn

from nn.blocks import ConvNormAct
from nn.norms import make_act, make_norm, normalises


class InvertedResidual(tnn.Module):
    """MobileNet v2 block: 1x1 expand-Norm-Act, 3x3 depthwise-Norm-Act, 1x1 project-Norm, +x.

    Args:
        channels: C, the same in and out.
        expansion: t, the middle has ``t * C`` channels.
        norm: norm name (``nn.norms.NORMS``).
        act: activation name (``nn.norms.ACTIVATIONS``); MobileNet v2 used ReLU6.

    Raises:
        ValueError: for a channel count or expansion below 1, or an unknown name.
    """

    def __init__(
        self, channels: int, expansion: int = 4, norm: str = "batch", act: str = "relu"
    ) -> None:
        super().__init__()
        if channels < 1 or expansion < 1:
            raise ValueError(f"channels and expansion must be at least 1: {channels}, {expansion}")
        hidden = channels * expansion
        self.expand = ConvNormAct(channels, hidden, 1, norm, act)
        self.depthwise = tnn.Conv2d(
            hidden, hidden, 3, padding=1, groups=hidden, bias=not normalises(norm)
        )
        self.depthwise_norm = make_norm(norm, hidden)
        self.depthwise_act = make_act(act)
        self.project = ConvNormAct(hidden, channels, 1, norm, "none")

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block: x (N, C, H, W) -> (N, C, H, W)."""
        y = self.depthwise_act(self.depthwise_norm(self.depthwise(self.expand(x))))
        return x + self.project(y)


class MobileNetTrunk(tnn.Module):
    """Stem Conv3x3-Norm-Act, then ``blocks`` inverted residual blocks.

    Args:
        in_planes: input channels.
        channels: C of the blocks and the output.
        blocks: inverted residual blocks (0: the stem alone).
        expansion: t of every block.
        norm: norm name.
        act: activation name.

    Raises:
        ValueError: for invalid sizes or an unknown name.
    """

    def __init__(
        self,
        in_planes: int,
        channels: int,
        blocks: int,
        expansion: int = 4,
        norm: str = "batch",
        act: str = "relu",
    ) -> None:
        super().__init__()
        self.stem = ConvNormAct(in_planes, channels, 3, norm, act)
        self.blocks = tnn.Sequential(
            *(InvertedResidual(channels, expansion, norm, act) for _ in range(blocks))
        )

    def forward(self, x: Tensor) -> Tensor:
        """Apply the trunk: x (N, in_planes, H, W) -> (N, channels, H, W)."""
        return self.blocks(self.stem(x))


__all__ = ["InvertedResidual", "MobileNetTrunk"]
