"""MobileNet encoder for images: a pyramid of feature maps at strides 2, 4, 8, ...

The detector (``nn.vision.ssd``) and the segmenter (``nn.vision.segment``) share this
encoder.  It is MobileNet v2 (Sandler et al. 2018) cut to size: a stride-2 stem
convolution, then one *stage* per width, each opening with a stride-2
depthwise-separable convolution (3x3 depthwise, 1x1 pointwise: ``H W C (9 + C')``
multiply-adds against ``9 H W C C'`` for a full 3x3 layer) followed by the inverted
residual blocks of ``nn.trunks.mobilenet``.  Stage ``k`` (0 = the stem) has stride
``2 ** (k + 1)``.

Images are ``(N, 3, H, W)`` floats in [0, 1] (RGB); the encoder centres them itself.
H and W must be multiples of the deepest stride.  Norms and activations by name
(``nn.norms``).  Nothing here knows what the images show.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor
from torch import nn as tnn

from nn.blocks import ConvNormAct
from nn.norms import check_act, check_norm, make_act, make_norm, normalises
from nn.trunks.mobilenet import InvertedResidual


class SeparableConv(tnn.Module):
    """Depthwise 3x3 (stride 1 or 2)-Norm-Act, then pointwise 1x1-Norm-Act.

    Args:
        in_channels: C of the input.
        out_channels: C' of the output.
        stride: 1 (same size) or 2 (halves H and W, rounding up).
        norm: norm name (``nn.norms.NORMS``).
        act: activation name (``nn.norms.ACTIVATIONS``).

    Raises:
        ValueError: for a stride other than 1 or 2, a channel count below 1 or an
            unknown name.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        norm: str = "batch",
        act: str = "relu",
    ) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, not {stride}")
        if in_channels < 1:
            raise ValueError(f"channels must be at least 1, not {in_channels}")
        self.depthwise = tnn.Conv2d(
            in_channels,
            in_channels,
            3,
            stride=stride,
            padding=1,
            groups=in_channels,
            bias=not normalises(norm),
        )
        self.depthwise_norm = make_norm(norm, in_channels)
        self.depthwise_act = make_act(act)
        self.pointwise = ConvNormAct(in_channels, out_channels, 1, norm, act)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the layer: x (N, C, H, W) -> (N, C', H / stride, W / stride)."""
        return self.pointwise(self.depthwise_act(self.depthwise_norm(self.depthwise(x))))


@dataclass(frozen=True)
class EncoderConfig:
    """Sizes of a ``MobileNetEncoder``.

    Attributes:
        widths: channels of the stem and of each stage; stage k has stride 2^(k+1).
        blocks: inverted residual blocks after the downsampling of each stage (one
            count per width; the stem's count follows its convolution).
        expansion: t of the inverted residual blocks.
        in_channels: channels of the images (3 for RGB).
        norm: norm name.
        act: activation name.
    """

    widths: tuple[int, ...] = (16, 24, 32, 48, 64)
    blocks: tuple[int, ...] = (0, 1, 2, 2, 1)
    expansion: int = 4
    in_channels: int = 3
    norm: str = "batch"
    act: str = "relu"

    def __post_init__(self) -> None:
        if not self.widths or min(self.widths) < 1:
            raise ValueError(f"widths must be positive, not {self.widths}")
        if len(self.blocks) != len(self.widths) or min(self.blocks) < 0:
            raise ValueError(f"blocks {self.blocks} must give a count >= 0 per width")
        if self.expansion < 1 or self.in_channels < 1:
            raise ValueError("expansion and in_channels must be at least 1")
        check_norm(self.norm)
        check_act(self.act)

    @property
    def strides(self) -> tuple[int, ...]:
        """The stride of each stage's output: 2, 4, 8, ..."""
        return tuple(2 ** (k + 1) for k in range(len(self.widths)))


class MobileNetEncoder(tnn.Module):
    """The encoder: stem, then stride-2 stages; returns every stage's output.

    Args:
        config: its sizes.
    """

    def __init__(self, config: EncoderConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or EncoderConfig()
        norm, act = config.norm, config.act
        widths, expansion = config.widths, config.expansion
        self.stem = tnn.Sequential(
            tnn.Conv2d(
                config.in_channels, widths[0], 3, stride=2, padding=1, bias=not normalises(norm)
            ),
            make_norm(norm, widths[0]),
            make_act(act),
            *(InvertedResidual(widths[0], expansion, norm, act) for _ in range(config.blocks[0])),
        )
        self.stages = tnn.ModuleList(
            tnn.Sequential(
                SeparableConv(widths[k - 1], widths[k], 2, norm, act),
                *(
                    InvertedResidual(widths[k], expansion, norm, act)
                    for _ in range(config.blocks[k])
                ),
            )
            for k in range(1, len(widths))
        )

    @property
    def channels(self) -> tuple[int, ...]:
        """Channels of each returned feature map (those of ``config.widths``)."""
        return self.config.widths

    def forward(self, images: Tensor) -> list[Tensor]:
        """Encode images (N, C, H, W) in [0, 1]: a list of (N, widths[k], H/2^(k+1), W/2^(k+1))."""
        x = self.stem((images - 0.5) / 0.25)
        features = [x]
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features


__all__ = ["EncoderConfig", "MobileNetEncoder", "SeparableConv"]
