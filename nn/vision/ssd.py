"""SSD: a single-shot detector, default boxes on several feature maps of a MobileNet.

Liu et al. 2016, "SSD: Single Shot MultiBox Detector".  Every location of every
chosen feature map carries ``k`` default boxes (priors) of one scale ``s_m`` per map
and several aspect ratios ``a``: ``(s_m, s_m)``, ``(s', s')`` with
``s' = sqrt(s_m s_{m+1})``, and ``(s_m sqrt(a), s_m / sqrt(a))`` and its transpose
for each ratio.  Early, fine maps carry the small boxes (SSD's advance over YOLO, which
read only its last map), deep, coarse maps the large ones.  For each prior a 3x3
convolution predicts C class scores (class 0: background) and 4 offsets
(``nn.vision.boxes.encode_boxes``); with VOC's 21 classes and SSD300's maps the head
predicts ``8732 x (21 + 4)`` numbers.

Training (``multibox_loss``): priors are matched to the ground truth
(``nn.vision.boxes.match_priors``); the loss is a smooth L1 loss on the offsets of
positive priors plus a cross-entropy on the classes of the positives and of the
*hardest* negatives only — those with the highest background loss, three per positive
(hard-negative mining: the thousands of easy background priors would swamp the rest).
Both are divided by the number of positives.

Inference (``detect``): softmax scores, decoded boxes, per-class non-maximum
suppression, the best ``max_detections`` kept.

Here the feature maps come from ``nn.vision.backbone.MobileNetEncoder`` through an
optional top-down path (each chosen map plus the upsampled coarser one, as in a
feature pyramid), so that the fine maps see context too.  Boxes are in pixels of the
input image, ``xyxy`` unless said otherwise.  Nothing here knows what is detected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn as tnn

from nn.blocks import ConvNormAct
from nn.vision.backbone import EncoderConfig, MobileNetEncoder, SeparableConv
from nn.vision.boxes import batched_nms, decode_boxes, encode_boxes, match_priors


@dataclass(frozen=True)
class PriorConfig:
    """The default boxes of a detector.

    Attributes:
        image_size: (H, W) of the input images, in pixels.
        strides: stride of each feature map that carries priors (finest first).
        scales: ``s_m`` of each map, as a fraction of ``min(H, W)``.
        last_scale: ``s_{M+1}``, for the in-between box of the last map.
        aspect_ratios: ratios ``a > 1`` (each gives ``a`` and ``1 / a``).
    """

    image_size: tuple[int, int] = (256, 256)
    strides: tuple[int, ...] = (8, 16, 32)
    scales: tuple[float, ...] = (0.1, 0.2, 0.4)
    last_scale: float = 0.6
    aspect_ratios: tuple[float, ...] = (2.0,)

    def __post_init__(self) -> None:
        if len(self.strides) != len(self.scales) or not self.strides:
            raise ValueError(f"one scale per stride: {self.strides}, {self.scales}")
        if min(self.scales) <= 0 or self.last_scale <= 0:
            raise ValueError("scales must be positive")
        if any(a <= 1 for a in self.aspect_ratios):
            raise ValueError(f"aspect ratios must be above 1, not {self.aspect_ratios}")
        height, width = self.image_size
        for stride in self.strides:
            if height % stride or width % stride:
                raise ValueError(f"image size {self.image_size} is not a multiple of {stride}")

    @property
    def boxes_per_location(self) -> int:
        """k: priors at each location of a map."""
        return 2 + 2 * len(self.aspect_ratios)

    def map_sizes(self) -> list[tuple[int, int]]:
        """(h, w) of each feature map."""
        height, width = self.image_size
        return [(height // s, width // s) for s in self.strides]


def default_boxes(config: PriorConfig) -> Tensor:
    """Return every prior, (D, 4) cxcywh in pixels.

    Order: map by map (finest first), locations row by row, then the ``k`` boxes of a
    location in the order of the module docstring — the order ``SSDHead`` emits.
    """
    side = float(min(config.image_size))
    scales = (*config.scales, config.last_scale)
    priors = []
    for m, ((rows, cols), stride) in enumerate(
        zip(config.map_sizes(), config.strides, strict=True)
    ):
        s, s_next = scales[m] * side, scales[m + 1] * side
        sizes = [(s, s), (math.sqrt(s * s_next),) * 2]
        for a in config.aspect_ratios:
            r = math.sqrt(a)
            sizes += [(s * r, s / r), (s / r, s * r)]
        ys = (torch.arange(rows, dtype=torch.float32) + 0.5) * stride
        xs = (torch.arange(cols, dtype=torch.float32) + 0.5) * stride
        cy, cx = torch.meshgrid(ys, xs, indexing="ij")
        wh = torch.tensor(sizes, dtype=torch.float32)  # (k, 2)
        centres = torch.stack((cx, cy), dim=-1).reshape(-1, 1, 2).expand(-1, len(sizes), 2)
        boxes = torch.cat((centres, wh.expand(rows * cols, -1, -1)), dim=-1)
        priors.append(boxes.reshape(-1, 4))
    return torch.cat(priors)


class SSDHead(tnn.Module):
    """Class and offset predictions of the priors of several feature maps.

    Args:
        in_channels: C of each feature map (finest first).
        boxes_per_location: k.
        num_classes: C_cls, the background (class 0) included.
    """

    def __init__(
        self, in_channels: tuple[int, ...], boxes_per_location: int, num_classes: int
    ) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(
                f"num_classes counts the background and must be >= 2, not {num_classes}"
            )
        self.k, self.num_classes = boxes_per_location, num_classes
        self.classify = tnn.ModuleList(
            tnn.Conv2d(c, boxes_per_location * num_classes, 3, padding=1) for c in in_channels
        )
        self.locate = tnn.ModuleList(
            tnn.Conv2d(c, boxes_per_location * 4, 3, padding=1) for c in in_channels
        )

    def forward(self, features: list[Tensor]) -> tuple[Tensor, Tensor]:
        """Predict: maps (N, C_m, h_m, w_m) -> class logits (N, D, C_cls), offsets (N, D, 4)."""
        logits, offsets = [], []
        for x, classify, locate in zip(features, self.classify, self.locate, strict=True):
            n = x.shape[0]
            logits.append(classify(x).permute(0, 2, 3, 1).reshape(n, -1, self.num_classes))
            offsets.append(locate(x).permute(0, 2, 3, 1).reshape(n, -1, 4))
        return torch.cat(logits, dim=1), torch.cat(offsets, dim=1)


class TopDown(tnn.Module):
    """Feature-pyramid path: lateral 1x1 to one width, add the upsampled coarser map, 3x3.

    Args:
        in_channels: C of each map (finest first).
        width: the common width of the outputs.
        norm: norm name.
        act: activation name.
    """

    def __init__(self, in_channels: tuple[int, ...], width: int, norm: str, act: str) -> None:
        super().__init__()
        self.lateral = tnn.ModuleList(ConvNormAct(c, width, 1, norm, act) for c in in_channels)
        self.smooth = tnn.ModuleList(SeparableConv(width, width, 1, norm, act) for _ in in_channels)

    def forward(self, features: list[Tensor]) -> list[Tensor]:
        """Mix maps (N, C_m, h_m, w_m), finest first -> (N, width, h_m, w_m)."""
        out: list[Tensor] = []
        coarser: Tensor | None = None
        for x, lateral, smooth in zip(
            reversed(features), reversed(self.lateral), reversed(self.smooth), strict=True
        ):
            y = lateral(x)
            if coarser is not None:
                y = y + F.interpolate(coarser, size=y.shape[-2:], mode="nearest")
            coarser = y
            out.append(smooth(y))
        return out[::-1]


@dataclass(frozen=True)
class SSDConfig:
    """A detector's sizes.

    Attributes:
        encoder: the MobileNet encoder.
        priors: the default boxes; each stride must be one of the encoder's.
        num_classes: classes with the background (class 0).
        neck_width: width of the top-down path; 0 reads the encoder's maps directly.
    """

    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    priors: PriorConfig = field(default_factory=PriorConfig)
    num_classes: int = 2
    neck_width: int = 48

    def __post_init__(self) -> None:
        missing = set(self.priors.strides) - set(self.encoder.strides)
        if missing:
            raise ValueError(f"the encoder has no map at stride {sorted(missing)}")
        if self.num_classes < 2 or self.neck_width < 0:
            raise ValueError("num_classes must be >= 2 and neck_width >= 0")


class SSD(tnn.Module):
    """MobileNet encoder, optional top-down path, SSD head.

    Args:
        config: its sizes.
    """

    def __init__(self, config: SSDConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or SSDConfig()
        enc = config.encoder
        self.encoder = MobileNetEncoder(enc)
        self.levels = [enc.strides.index(s) for s in config.priors.strides]
        channels = tuple(enc.widths[i] for i in self.levels)
        self.neck = (
            TopDown(channels, config.neck_width, enc.norm, enc.act) if config.neck_width else None
        )
        if self.neck is not None:
            channels = (config.neck_width,) * len(channels)
        self.head = SSDHead(channels, config.priors.boxes_per_location, config.num_classes)
        self.register_buffer("priors", default_boxes(config.priors), persistent=False)

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Predict: images (N, 3, H, W) in [0, 1] -> logits (N, D, C_cls), offsets (N, D, 4)."""
        encoded = self.encoder(images)
        features = [encoded[i] for i in self.levels]
        if self.neck is not None:
            features = self.neck(features)
        return self.head(features)


def multibox_targets(
    gt_boxes: list[Tensor],
    gt_labels: list[Tensor],
    priors: Tensor,
    iou_threshold: float = 0.5,
) -> tuple[Tensor, Tensor]:
    """Match the priors of each image of a batch; return the training targets.

    Args:
        gt_boxes: per image, (G_i, 4) xyxy in pixels.
        gt_labels: per image, (G_i,) classes >= 1.
        priors: (D, 4) cxcywh.
        iou_threshold: as ``match_priors``.

    Returns:
        labels (B, D) int64 (0 background) and offsets (B, D, 4) (meaningful where
        the label is positive).
    """
    labels, offsets = [], []
    for boxes, classes in zip(gt_boxes, gt_labels, strict=True):
        match = match_priors(boxes, classes, priors, iou_threshold)
        labels.append(match.labels)
        offsets.append(encode_boxes(match.boxes, priors))
    return torch.stack(labels), torch.stack(offsets)


def multibox_loss(
    logits: Tensor,
    offsets: Tensor,
    target_labels: Tensor,
    target_offsets: Tensor,
    neg_pos_ratio: float = 3.0,
    min_negatives: int = 16,
) -> tuple[Tensor, dict[str, float]]:
    """SSD's loss: smooth L1 on positives' offsets, cross-entropy with hard-negative mining.

    Args:
        logits: (B, D, C) class logits.
        offsets: (B, D, 4) predicted offsets.
        target_labels: (B, D) int64, 0 for background.
        target_offsets: (B, D, 4).
        neg_pos_ratio: negatives kept per positive of the same image.
        min_negatives: negatives kept in an image even with few or no positives.

    Returns:
        ``(loss, parts)``: the scalar loss (both terms over the number of positives,
        at least 1) and the float values of ``"location"``, ``"confidence"`` and
        ``"positives"``.
    """
    positive = target_labels > 0
    count = positive.sum(dim=1)  # (B,)
    total = max(int(count.sum()), 1)
    location = F.smooth_l1_loss(offsets[positive], target_offsets[positive], reduction="sum")
    cross = F.cross_entropy(logits.flatten(0, 1), target_labels.flatten(), reduction="none")
    cross = cross.view_as(target_labels)
    with torch.no_grad():
        background = cross.clone()
        background[positive] = -1.0  # positives are never mined as negatives
        rank = background.argsort(dim=1, descending=True).argsort(dim=1)
        keep = (count.float() * neg_pos_ratio).clamp(min=min_negatives).long()
        negative = (rank < keep[:, None]) & ~positive
    confidence = cross[positive | negative].sum()
    loss = (location + confidence) / total
    parts = {
        "location": location.item() / total,
        "confidence": confidence.item() / total,
        "positives": float(total),
    }
    return loss, parts


class Detections(NamedTuple):
    """The detections of one image, best score first.

    Attributes:
        boxes: (K, 4) xyxy in pixels.
        scores: (K,) class probabilities.
        labels: (K,) int64 classes (>= 1).
    """

    boxes: Tensor
    scores: Tensor
    labels: Tensor


@torch.no_grad()
def detect(
    logits: Tensor,
    offsets: Tensor,
    priors: Tensor,
    score_threshold: float = 0.05,
    iou_threshold: float = 0.45,
    max_detections: int = 200,
    candidates_per_class: int = 1000,
) -> list[Detections]:
    """Decode the predictions of a batch: scores, boxes, per-class NMS, best kept.

    Args:
        logits: (B, D, C) class logits.
        offsets: (B, D, 4).
        priors: (D, 4) cxcywh.
        score_threshold: a class probability below it is no detection.
        iou_threshold: NMS threshold, within a class.
        max_detections: detections kept per image.
        candidates_per_class: best-scored candidates per class that enter the NMS.

    Returns:
        One ``Detections`` per image.
    """
    probs = logits.softmax(dim=-1)
    boxes = decode_boxes(offsets, priors)
    out = []
    for b in range(logits.shape[0]):
        picked_boxes, picked_scores, picked_labels = [], [], []
        for c in range(1, logits.shape[-1]):
            scores = probs[b, :, c]
            index = torch.nonzero(scores > score_threshold).flatten()
            if index.numel() > candidates_per_class:
                index = index[scores[index].topk(candidates_per_class).indices]
            picked_boxes.append(boxes[b, index])
            picked_scores.append(scores[index])
            picked_labels.append(torch.full((index.numel(),), c, dtype=torch.int64))
        all_boxes = torch.cat(picked_boxes)
        all_scores = torch.cat(picked_scores)
        all_labels = torch.cat(picked_labels)
        keep = batched_nms(all_boxes, all_scores, all_labels, iou_threshold)[:max_detections]
        out.append(Detections(all_boxes[keep], all_scores[keep], all_labels[keep]))
    return out


__all__ = [
    "SSD",
    "Detections",
    "PriorConfig",
    "SSDConfig",
    "SSDHead",
    "TopDown",
    "default_boxes",
    "detect",
    "multibox_loss",
    "multibox_targets",
]
