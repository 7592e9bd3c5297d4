"""The scan's network: one MobileNet U-Net that segments the photo and detects the stones.

``ScanNet`` is ``nn.vision.segment.UNet`` (per-pixel classes ``render.CLASSES``:
background, board, black stone, white stone) with an SSD head
(``nn.vision.ssd.SSDHead``) on the decoder's maps at strides 4, 8 and 16: the detector
shares the segmenter's MobileNet encoder and its top-down path, so one forward pass
gives both (half the work of two networks on a CPU).  The detector's classes are
``render.BOX_CLASSES`` (background, black, white).  A third head on the decoder's
stride-2 map draws the grid maps (``zerogo.scan.gridmaps``: the grid's area and its
crossings, each a per-pixel logit), which the reading measures its grids against;
models trained before it (``grid_maps`` 0) have none.

Priors are given in pixels (``ScanConfig.prior_px``), so the same network reads
training crops and whole photos of other sizes alike; ``ScanNet.priors`` builds them
for an input size.

A model file (``save_model``/``load_model``) is a plain dict of tensors, numbers and
strings — loaded with ``torch.load(weights_only=True)`` — holding the config, the
weights and ``meta`` (how it was trained, the scan's calibrated thresholds).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn as tnn

from nn.vision.backbone import EncoderConfig, SeparableConv
from nn.vision.segment import UNet, UNetConfig
from nn.vision.ssd import PriorConfig, SSDHead, default_boxes

FORMAT = "zerogo-scan"
VERSION = 1
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "networks" / "scan-s320.pt"
"""The shipped model."""


@dataclass(frozen=True)
class ScanConfig:
    """The scan network's sizes.

    Attributes:
        widths: encoder widths (stem, then stages at strides 4, 8, 16, 32).
        blocks: inverted residual blocks per encoder level.
        expansion: t of those blocks.
        input_size: side of the square network input that whole photos are resized to.
        det_strides: decoder strides that carry priors.
        prior_px: prior scale of each of those maps, in pixels.
        last_px: scale after the last map (for its in-between prior).
        aspect_ratios: prior aspect ratios above 1; none by default: stones are round,
            a tilt squashes them by at most 1.6, which the offsets learn.
        match_iou: IoU from which a prior is matched to a stone.
        grid_maps: channels of the grid head (``gridmaps.GRID_MAPS``; 0: no head, the
            models made before it).
    """

    widths: tuple[int, ...] = (16, 24, 32, 48, 64)
    blocks: tuple[int, ...] = (0, 1, 2, 2, 1)
    expansion: int = 4
    input_size: int = 320
    det_strides: tuple[int, ...] = (4, 8, 16)
    prior_px: tuple[float, ...] = (10.0, 16.0, 30.0)
    last_px: float = 44.0
    aspect_ratios: tuple[float, ...] = ()
    match_iou: float = 0.4
    grid_maps: int = 2

    def __post_init__(self) -> None:
        if len(self.det_strides) != len(self.prior_px):
            raise ValueError("one prior scale per detection stride")
        strides = EncoderConfig(self.widths, self.blocks, self.expansion).strides
        if any(s not in strides[:-1] for s in self.det_strides):
            raise ValueError(f"detection strides {self.det_strides} must be decoder strides")
        if self.input_size % strides[-1]:
            raise ValueError(f"input_size must be a multiple of {strides[-1]}")

    def unet(self) -> UNetConfig:
        """The segmenter's config."""
        encoder = EncoderConfig(self.widths, self.blocks, self.expansion)
        return UNetConfig(encoder=encoder, num_classes=4)

    def priors(self, height: int, width: int) -> PriorConfig:
        """The prior config for (height, width) inputs."""
        side = float(min(height, width))
        return PriorConfig(
            image_size=(height, width),
            strides=self.det_strides,
            scales=tuple(px / side for px in self.prior_px),
            last_scale=self.last_px / side,
            aspect_ratios=self.aspect_ratios,
        )


class ScanNet(tnn.Module):
    """Segmentation and stone detection in one pass.

    Args:
        config: its sizes.
    """

    def __init__(self, config: ScanConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ScanConfig()
        self.unet = UNet(config.unet())
        channels = self.unet.feature_channels
        self.levels = [int(math.log2(s)) - 1 for s in config.det_strides]
        boxes = 2 + 2 * len(config.aspect_ratios)
        self.head = SSDHead(tuple(channels[i] for i in self.levels), boxes, num_classes=3)
        self.grid = (
            tnn.Sequential(
                SeparableConv(channels[0], channels[0]),
                tnn.Conv2d(channels[0], config.grid_maps, 1),
            )
            if config.grid_maps
            else None
        )
        self._priors: dict[tuple[int, int], Tensor] = {}

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
        """Run the network.

        Args:
            images: (N, 3, H, W) in [0, 1].

        Returns:
            Segmentation logits (N, 4, H, W), box logits (N, D, 3), offsets (N, D, 4),
            grid-map logits (N, ``grid_maps``, H, W) or None without a grid head.
        """
        logits, features = self.unet.decode(images)
        box_logits, offsets = self.head([features[i] for i in self.levels])
        grid = None
        if self.grid is not None:
            grid = F.interpolate(
                self.grid(features[0]), size=images.shape[-2:], mode="bilinear", align_corners=False
            )
        return logits, box_logits, offsets, grid

    def priors(self, height: int, width: int) -> Tensor:
        """Return the priors of (height, width) inputs, (D, 4) cxcywh pixels (cached)."""
        key = (height, width)
        if key not in self._priors:
            self._priors[key] = default_boxes(self.config.priors(height, width))
        return self._priors[key]


def save_model(model: ScanNet, path: str | Path, meta: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (config, weights, ``meta``) to ``path``, atomically."""
    path = Path(path)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "config": asdict(model.config),
        "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "meta": dict(meta or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, temporary)
    temporary.replace(path)
    return path


class ModelError(ValueError):
    """A model file that cannot be used; the message says why."""


def load_model(path: str | Path = DEFAULT_MODEL) -> tuple[ScanNet, dict[str, Any]]:
    """Return the model in ``path`` (eval mode) and its ``meta``.

    Raises:
        ModelError: for a missing file or one that is not a scan model.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no scan model at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a torn or foreign file: one clear message
        raise ModelError(f"{path}: not a readable model file ({exc})") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{path}: not a {FORMAT} model")
    if payload.get("version") != VERSION:
        raise ModelError(f"{path}: model version {payload.get('version')}, expected {VERSION}")
    fields: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in payload["config"].items()
    }
    fields.setdefault("grid_maps", 0)  # written before the grid head
    try:
        model = ScanNet(ScanConfig(**fields))
        model.load_state_dict(payload["state"])
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{path}: config or weights do not fit ({exc})") from exc
    model.eval()
    return model, dict(payload.get("meta", {}))


__all__ = ["DEFAULT_MODEL", "ModelError", "ScanConfig", "ScanNet", "load_model", "save_model"]
