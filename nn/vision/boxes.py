"""Axis-aligned boxes: IoU, non-maximum suppression, SSD offsets and prior matching.

Notation of the SSD paper (Liu et al. 2016, "SSD: Single Shot MultiBox Detector"):
*default boxes* (priors) ``d`` tile the image at several scales; a prior is *matched*
to the ground-truth box ``g`` it overlaps most when their IoU passes a threshold, and
every ground-truth box also takes its single best prior (so none goes unmatched).  A
matched prior learns the offsets ``l`` of its box::

    l_cx = (g_cx - d_cx) / (v0 d_w)      l_w = log(g_w / d_w) / v1
    l_cy = (g_cy - d_cy) / (v0 d_h)      l_h = log(g_h / d_h) / v1

with the "variances" ``(v0, v1) = (0.1, 0.2)`` of the reference implementation, which
scale the offsets to about unit size.

Box layouts (last dimension of 4):

* ``xyxy``: corners ``(x1, y1, x2, y2)``, ``x1 <= x2``, ``y1 <= y2``; areas and IoU are
  continuous (a box from 0 to 1 has width 1, no "+1" pixel convention, as in COCO);
* ``cxcywh``: centre and size ``(cx, cy, w, h)`` — the layout of priors.

Functions take and return ``torch`` tensors of floats; index results are int64.
Nothing here knows what the boxes contain.  Start with ``box_iou`` and ``nms``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

VARIANCES = (0.1, 0.2)
"""SSD's offset scales ``(v0, v1)`` for centres and log-sizes."""


def xyxy_to_cxcywh(boxes: Tensor) -> Tensor:
    """Convert corners to centre-size: (..., 4) xyxy -> (..., 4) cxcywh."""
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def cxcywh_to_xyxy(boxes: Tensor) -> Tensor:
    """Convert centre-size to corners: (..., 4) cxcywh -> (..., 4) xyxy."""
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=-1)


def box_area(boxes: Tensor) -> Tensor:
    """Return the areas of boxes: (N, 4) xyxy -> (N,); a degenerate box has area 0."""
    return (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)


def box_iou(a: Tensor, b: Tensor) -> Tensor:
    """Return the intersection over union of every pair of boxes.

    Args:
        a: (N, 4) xyxy.
        b: (M, 4) xyxy.

    Returns:
        (N, M): ``|a_i ∩ b_j| / |a_i ∪ b_j|``, 0 where the union is empty.
    """
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    sides = (bottom_right - top_left).clamp(min=0)
    inter = sides[..., 0] * sides[..., 1]
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(inter))


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression: keep the best box, drop those overlapping it, repeat.

    A box is dropped when its IoU with a kept, better-scored box is *above*
    ``iou_threshold`` (torchvision's convention).  Equal scores keep the input order.

    Args:
        boxes: (N, 4) xyxy.
        scores: (N,).
        iou_threshold: in [0, 1].

    Returns:
        (K,) int64 indices of the kept boxes, best score first.

    Raises:
        ValueError: for mismatched shapes or a threshold outside [0, 1].
    """
    if boxes.ndim != 2 or boxes.shape[-1] != 4 or scores.shape != boxes.shape[:1]:
        raise ValueError(
            f"nms needs boxes (N, 4) and scores (N,), not {boxes.shape}, {scores.shape}"
        )
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in [0, 1], not {iou_threshold}")
    if boxes.shape[0] == 0:
        return torch.zeros(0, dtype=torch.int64)
    order = torch.argsort(scores, descending=True, stable=True)
    overlap = (box_iou(boxes[order], boxes[order]) > iou_threshold).cpu().numpy()
    suppressed = np.zeros(len(order), dtype=bool)
    kept = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        kept.append(i)
        suppressed |= overlap[i]
    return order[torch.as_tensor(kept, dtype=torch.int64)]


def batched_nms(boxes: Tensor, scores: Tensor, labels: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression within each label: boxes of different labels never compete.

    Args:
        boxes: (N, 4) xyxy.
        scores: (N,).
        labels: (N,) integer class of each box.
        iou_threshold: as ``nms``.

    Returns:
        (K,) int64 indices of the kept boxes, best score first.

    Raises:
        ValueError: as ``nms``.
    """
    if boxes.shape[0] == 0:
        return torch.zeros(0, dtype=torch.int64)
    # shift each label's boxes to a region of their own so that no two labels overlap
    span = float((boxes.max() - boxes.min()).item()) + 1.0
    shifted = boxes + (labels.to(boxes.dtype) * span)[:, None]
    return nms(shifted, scores, iou_threshold)


def encode_boxes(
    boxes: Tensor, priors: Tensor, variances: tuple[float, float] = VARIANCES
) -> Tensor:
    """Return SSD offsets of ``boxes`` relative to ``priors`` (the module's formula).

    Args:
        boxes: (..., D, 4) xyxy, one target box per prior.
        priors: (D, 4) cxcywh, positive sizes.
        variances: ``(v0, v1)``.

    Returns:
        (..., D, 4) offsets ``(l_cx, l_cy, l_w, l_h)``.
    """
    target = xyxy_to_cxcywh(boxes)
    centre = (target[..., :2] - priors[:, :2]) / (variances[0] * priors[:, 2:])
    size = torch.log(target[..., 2:].clamp(min=1e-6) / priors[:, 2:]) / variances[1]
    return torch.cat((centre, size), dim=-1)


def decode_boxes(
    offsets: Tensor, priors: Tensor, variances: tuple[float, float] = VARIANCES
) -> Tensor:
    """Invert ``encode_boxes``: (..., D, 4) offsets and (D, 4) cxcywh priors -> (..., D, 4) xyxy."""
    centre = priors[:, :2] + offsets[..., :2] * variances[0] * priors[:, 2:]
    size = priors[:, 2:] * torch.exp(offsets[..., 2:] * variances[1])
    return cxcywh_to_xyxy(torch.cat((centre, size), dim=-1))


class Match(NamedTuple):
    """Targets of the priors of one image.

    Attributes:
        labels: (D,) int64, the class of the matched box, 0 (background) where none.
        boxes: (D, 4) xyxy, the matched box (that of ground truth 0 where none: unused).
        iou: (D,) the IoU of each prior with its matched (or best) box.
    """

    labels: Tensor
    boxes: Tensor
    iou: Tensor


def match_priors(
    gt_boxes: Tensor, gt_labels: Tensor, priors: Tensor, iou_threshold: float = 0.5
) -> Match:
    """Match priors to ground-truth boxes as SSD does.

    Each prior takes the ground truth it overlaps most if that IoU is at least
    ``iou_threshold``; then each ground truth takes its best prior whatever the IoU
    (the later ground truth wins where two pick the same prior).

    Args:
        gt_boxes: (G, 4) xyxy, G may be 0.
        gt_labels: (G,) classes, all at least 1 (0 is the background).
        priors: (D, 4) cxcywh, in the same units as the boxes.
        iou_threshold: the IoU from which a prior is positive.

    Returns:
        The ``Match`` of the D priors.

    Raises:
        ValueError: for a ground-truth label below 1 or mismatched shapes.
    """
    count = priors.shape[0]
    if gt_boxes.shape[0] != gt_labels.shape[0]:
        raise ValueError(f"{gt_boxes.shape[0]} boxes but {gt_labels.shape[0]} labels")
    if gt_boxes.shape[0] == 0:
        return Match(
            torch.zeros(count, dtype=torch.int64),
            torch.zeros(count, 4, dtype=priors.dtype),
            torch.zeros(count, dtype=priors.dtype),
        )
    if bool((gt_labels < 1).any()):
        raise ValueError("ground-truth labels must be at least 1 (0 is the background)")
    iou = box_iou(gt_boxes.to(priors.dtype), cxcywh_to_xyxy(priors))  # (G, D)
    best_iou, best_gt = iou.max(dim=0)
    forced = torch.zeros(count, dtype=torch.bool)
    for g, d in enumerate(iou.argmax(dim=1).tolist()):
        best_gt[d] = g
        forced[d] = True
    labels = gt_labels.to(torch.int64)[best_gt]
    labels[~forced & (best_iou < iou_threshold)] = 0
    matched_iou = iou[best_gt, torch.arange(count)]
    return Match(labels, gt_boxes.to(priors.dtype)[best_gt], matched_iou)


__all__ = [
    "VARIANCES",
    "Match",
    "batched_nms",
    "box_area",
    "box_iou",
    "cxcywh_to_xyxy",
    "decode_boxes",
    "encode_boxes",
    "match_priors",
    "nms",
    "xyxy_to_cxcywh",
]
