"""Semantic segmentation: a U-Net-like encoder-decoder that gives every pixel a class.

Pooling and strided convolutions widen the receptive field (a pixel's class depends
on its surroundings) but lose resolution; the decoder wins it back (Ronneberger et al.
2015, "U-Net").  Here the encoder is ``nn.vision.backbone.MobileNetEncoder`` (feature
maps ``f_k`` at stride ``2^(k+1)``); the decoder starts from the deepest map and, level
by level, upsamples by 2 (bilinear interpolation or a learned transposed convolution),
concatenates the encoder map of that resolution (the *skip connection*, which brings
back the detail pooling lost) and mixes them with a 1x1 then a depthwise-separable
3x3 convolution.  A 1x1 convolution gives class logits at stride 2, interpolated to the
input's size.

Images ``(N, 3, H, W)`` in [0, 1]; logits ``(N, K, H, W)`` for K classes; targets
``(N, H, W)`` int64 class indices.  Nothing here knows what the classes are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn as tnn

from nn.blocks import ConvNormAct
from nn.vision.backbone import EncoderConfig, MobileNetEncoder, SeparableConv

UPSAMPLING = ("bilinear", "transpose")
"""How the decoder doubles the resolution."""

IGNORE = 255
"""Target value of pixels that no loss is computed for."""


@dataclass(frozen=True)
class UNetConfig:
    """A ``UNet``'s sizes.

    Attributes:
        encoder: the encoder's sizes.
        num_classes: K, the classes of a pixel.
        decoder_widths: channels of the decoder at strides 2, 4, ... (one fewer than
            the encoder's widths: the deepest level is the encoder's); None: the
            encoder's widths.
        upsampling: ``"bilinear"`` or ``"transpose"`` (``UPSAMPLING``).
    """

    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    num_classes: int = 2
    decoder_widths: tuple[int, ...] | None = None
    upsampling: str = "bilinear"

    def __post_init__(self) -> None:
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, not {self.num_classes}")
        if self.upsampling not in UPSAMPLING:
            raise ValueError(f"upsampling must be one of {UPSAMPLING}, not {self.upsampling!r}")
        if len(self.encoder.widths) < 2:
            raise ValueError("a U-Net needs an encoder of at least two levels")
        widths = self.widths
        if len(widths) != len(self.encoder.widths) - 1 or min(widths) < 1:
            raise ValueError(
                f"decoder_widths {widths} must give {len(self.encoder.widths) - 1} positive widths"
            )

    @property
    def widths(self) -> tuple[int, ...]:
        """The decoder's widths at strides 2, 4, ... (without the deepest level)."""
        if self.decoder_widths is not None:
            return self.decoder_widths
        return self.encoder.widths[:-1]


class UpBlock(tnn.Module):
    """Upsample by 2, concatenate the skip map, 1x1 ConvNormAct, separable 3x3.

    Args:
        in_channels: C of the coarse map.
        skip_channels: C of the skip map (twice the resolution).
        out_channels: C of the output.
        upsampling: ``"bilinear"`` or ``"transpose"``.
        norm: norm name.
        act: activation name.
    """

    def __init__(
        self,
        in_channels: int,
        skip_channels: int,
        out_channels: int,
        upsampling: str = "bilinear",
        norm: str = "batch",
        act: str = "relu",
    ) -> None:
        super().__init__()
        self.transpose = (
            tnn.ConvTranspose2d(in_channels, in_channels, 2, stride=2)
            if upsampling == "transpose"
            else None
        )
        self.fuse = ConvNormAct(in_channels + skip_channels, out_channels, 1, norm, act)
        self.refine = SeparableConv(out_channels, out_channels, 1, norm, act)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        """Merge x (N, C, h, w) into skip (N, C_s, 2h, 2w) -> (N, C_out, 2h, 2w)."""
        if self.transpose is not None:
            x = self.transpose(x)
            if x.shape[-2:] != skip.shape[-2:]:
                x = F.interpolate(x, size=skip.shape[-2:], mode="nearest")
        else:
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.refine(self.fuse(torch.cat((x, skip), dim=1)))


class UNet(tnn.Module):
    """Encoder-decoder with skip connections; per-pixel class logits.

    Args:
        config: its sizes.
    """

    def __init__(self, config: UNetConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or UNetConfig()
        enc = config.encoder
        self.encoder = MobileNetEncoder(enc)
        widths = config.widths
        ups = []
        for level in range(len(widths) - 1, -1, -1):
            coarse = enc.widths[-1] if level == len(widths) - 1 else widths[level + 1]
            ups.append(
                UpBlock(
                    coarse, enc.widths[level], widths[level], config.upsampling, enc.norm, enc.act
                )
            )
        self.ups = tnn.ModuleList(ups)
        self.classifier = tnn.Conv2d(widths[0], config.num_classes, 1)

    @property
    def feature_channels(self) -> tuple[int, ...]:
        """Channels of the maps ``decode`` returns, at strides 2, 4, ... (deepest: encoder)."""
        return (*self.config.widths, self.config.encoder.widths[-1])

    def decode(self, images: Tensor) -> tuple[Tensor, list[Tensor]]:
        """Run the network, keeping the decoder's maps (for heads such as a detector's).

        Args:
            images: (N, 3, H, W) in [0, 1], H and W multiples of the deepest stride.

        Returns:
            ``(logits, features)``: logits (N, K, H, W) and the decoder's maps at
            strides 2, 4, ..., the last being the encoder's deepest map.
        """
        encoded = self.encoder(images)
        x = encoded[-1]
        decoded = [x]
        for up, skip in zip(self.ups, reversed(encoded[:-1]), strict=True):
            x = up(x, skip)
            decoded.append(x)
        logits = F.interpolate(
            self.classifier(x), size=images.shape[-2:], mode="bilinear", align_corners=False
        )
        return logits, decoded[::-1]

    def forward(self, images: Tensor) -> Tensor:
        """Return per-pixel logits: images (N, 3, H, W) in [0, 1] -> (N, K, H, W)."""
        return self.decode(images)[0]


def segmentation_loss(
    logits: Tensor, target: Tensor, class_weights: Tensor | None = None
) -> Tensor:
    """Return the mean per-pixel cross-entropy; pixels whose target is ``IGNORE`` are skipped.

    Args:
        logits: (N, K, H, W).
        target: (N, H, W) int64 in ``0 .. K-1`` or ``IGNORE``.
        class_weights: (K,) weights of the classes (rare classes up), or None.
    """
    return F.cross_entropy(logits, target, weight=class_weights, ignore_index=IGNORE)


__all__ = ["IGNORE", "UPSAMPLING", "UNet", "UNetConfig", "UpBlock", "segmentation_loss"]
