"""Detection and segmentation metrics: AP per class, mAP (COCO style), per-class IoU.

**Average precision** (AP) of one class at one IoU threshold ``t``: all detections of
that class over all images, best score first; a detection is a true positive when it
overlaps a ground-truth box of its class and image not yet taken by IoU at least ``t``
(it takes the unmatched one it overlaps most), otherwise a false positive.  Along the
ranking, recall = TP / (ground-truth boxes) and precision = TP / (TP + FP); precision
is made non-increasing in recall (each point takes the best precision at any higher
recall) and read at the 101 recalls 0, 0.01, ..., 1 (the first ranking point reaching
each; 0 past the last); AP is their mean.  This is COCO's evaluation (pycocotools'
``COCOeval`` with the "all" area range and ``max_detections`` per image and class),
checked against it in the tests.

* ``mAP@0.5``: the mean over classes of AP at ``t = 0.5`` (PASCAL VOC's threshold);
* ``mAP@[.5:.95]``: the mean over classes and ``t = 0.50, 0.55, ..., 0.95`` (COCO's main
  number, which rewards tight boxes).

Classes without ground truth in the set have no AP (NaN) and are left out of the means.

**Segmentation IoU** of class k: pixels labelled k in both prediction and target, over
pixels labelled k in either, accumulated over a set (``ConfusionMatrix``).

Inputs are numpy arrays; boxes ``(K, 4)`` xyxy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

COCO_IOU_THRESHOLDS = tuple(np.round(np.linspace(0.5, 0.95, 10), 2).tolist())
"""IoU thresholds of mAP@[.5:.95]."""

RECALL_POINTS = np.linspace(0.0, 1.0, 101)
"""COCO's 101 recall points."""


class ImageDetections(NamedTuple):
    """Detections of one image: boxes (K, 4) xyxy, scores (K,), labels (K,) int."""

    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray


class ImageTruth(NamedTuple):
    """Ground truth of one image: boxes (G, 4) xyxy, labels (G,) int."""

    boxes: np.ndarray
    labels: np.ndarray


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the IoU of every pair: (N, 4), (M, 4) xyxy -> (N, M); 0 where the union is empty."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    left = np.maximum(a[:, None, 0], b[None, :, 0])
    top = np.maximum(a[:, None, 1], b[None, :, 1])
    right = np.minimum(a[:, None, 2], b[None, :, 2])
    bottom = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _match_image(det_boxes: np.ndarray, gt_boxes: np.ndarray, threshold: float) -> np.ndarray:
    """Return whether each detection (best score first) is a true positive."""
    hits = np.zeros(len(det_boxes), dtype=bool)
    if len(det_boxes) == 0 or len(gt_boxes) == 0:
        return hits
    ious = iou_matrix(det_boxes, gt_boxes)
    taken = np.zeros(len(gt_boxes), dtype=bool)
    floor = min(threshold, 1 - 1e-10)
    for d in range(len(det_boxes)):
        row = np.where(taken, -1.0, ious[d])
        top = row.max()
        if top < floor:
            continue
        best = len(row) - 1 - int(np.argmax(row[::-1] == top))  # the last of equals, as COCO
        taken[best] = True
        hits[d] = True
    return hits


def average_precision(
    detections: list[ImageDetections],
    truths: list[ImageTruth],
    label: int,
    iou_threshold: float = 0.5,
    max_detections: int = 100,
) -> float:
    """Return the AP of class ``label`` at ``iou_threshold`` (module docstring); NaN without truth.

    Args:
        detections: per image.
        truths: per image, the same images in the same order.
        label: the class.
        iou_threshold: the IoU from which a detection hits.
        max_detections: best detections of the class kept per image.

    Raises:
        ValueError: if the lists differ in length.
    """
    if len(detections) != len(truths):
        raise ValueError(f"{len(detections)} images of detections but {len(truths)} of truth")
    scores, hits = [], []
    positives = 0
    for det, truth in zip(detections, truths, strict=True):
        gt = np.asarray(truth.boxes).reshape(-1, 4)[np.asarray(truth.labels) == label]
        positives += len(gt)
        mine = np.asarray(det.labels) == label
        order = np.argsort(-np.asarray(det.scores)[mine], kind="mergesort")[:max_detections]
        boxes = np.asarray(det.boxes).reshape(-1, 4)[mine][order]
        scores.append(np.asarray(det.scores)[mine][order])
        hits.append(_match_image(boxes, gt, iou_threshold))
    if positives == 0:
        return float("nan")
    all_scores = np.concatenate(scores) if scores else np.zeros(0)
    all_hits = np.concatenate(hits) if hits else np.zeros(0, dtype=bool)
    order = np.argsort(-all_scores, kind="mergesort")
    tp = np.cumsum(all_hits[order])
    fp = np.cumsum(~all_hits[order])
    recall = tp / positives
    precision = tp / (tp + fp + np.spacing(1))
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    if len(precision) == 0:
        return 0.0
    index = np.searchsorted(recall, RECALL_POINTS, side="left")
    sampled = np.where(
        index < len(precision), precision[np.minimum(index, len(precision) - 1)], 0.0
    )
    return float(sampled.mean())


@dataclass(frozen=True)
class DetectionMetrics:
    """AP of each class at each threshold, and the means.

    Attributes:
        labels: the classes, in the order of ``ap``'s columns.
        iou_thresholds: the thresholds, in the order of ``ap``'s rows.
        ap: (T, K) AP (NaN for a class without ground truth).
    """

    labels: tuple[int, ...]
    iou_thresholds: tuple[float, ...]
    ap: np.ndarray

    def ap_at(self, threshold: float) -> dict[int, float]:
        """Return the AP of each class at one of the thresholds.

        Raises:
            ValueError: for a threshold that was not evaluated.
        """
        row = self.iou_thresholds.index(round(threshold, 2))
        return dict(zip(self.labels, self.ap[row].tolist(), strict=True))

    def map_at(self, threshold: float) -> float:
        """Return the mean AP over classes at one threshold (NaN without any truth)."""
        values = np.array(list(self.ap_at(threshold).values()))
        return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")

    @property
    def map(self) -> float:
        """The mean AP over classes and thresholds (mAP@[.5:.95] with COCO's thresholds)."""
        return float(np.nanmean(self.ap)) if np.isfinite(self.ap).any() else float("nan")

    @property
    def map50(self) -> float:
        """mAP at IoU 0.5."""
        return self.map_at(0.5)


def evaluate_detections(
    detections: list[ImageDetections],
    truths: list[ImageTruth],
    labels: tuple[int, ...],
    iou_thresholds: tuple[float, ...] = COCO_IOU_THRESHOLDS,
    max_detections: int = 100,
) -> DetectionMetrics:
    """Return the AP of every class at every threshold.

    Args:
        detections: per image.
        truths: per image, the same images in the same order.
        labels: the classes to evaluate.
        iou_thresholds: the thresholds.
        max_detections: as ``average_precision``.
    """
    ap = np.array(
        [
            [average_precision(detections, truths, k, t, max_detections) for k in labels]
            for t in iou_thresholds
        ]
    )
    return DetectionMetrics(tuple(labels), tuple(round(t, 2) for t in iou_thresholds), ap)


class ConfusionMatrix:
    """Pixel counts ``[target, prediction]`` over a set of images.

    Args:
        num_classes: K; target pixels outside ``0 .. K-1`` are ignored.
    """

    def __init__(self, num_classes: int) -> None:
        if num_classes < 1:
            raise ValueError(f"num_classes must be at least 1, not {num_classes}")
        self.num_classes = num_classes
        self.counts = np.zeros((num_classes, num_classes), dtype=np.int64)

    def update(self, prediction: np.ndarray, target: np.ndarray) -> None:
        """Add one image (or a batch): integer arrays of the same shape.

        Raises:
            ValueError: for different shapes.
        """
        prediction, target = np.asarray(prediction), np.asarray(target)
        if prediction.shape != target.shape:
            raise ValueError(f"shapes differ: {prediction.shape}, {target.shape}")
        k = self.num_classes
        valid = (target >= 0) & (target < k)
        pairs = target[valid].astype(np.int64) * k + np.clip(prediction[valid], 0, k - 1)
        self.counts += np.bincount(pairs, minlength=k * k).reshape(k, k)

    def iou(self) -> np.ndarray:
        """Return the IoU of each class, (K,); NaN for a class in neither."""
        inter = np.diag(self.counts).astype(np.float64)
        union = self.counts.sum(axis=0) + self.counts.sum(axis=1) - inter
        return np.where(union > 0, inter / np.maximum(union, 1), np.nan)

    def accuracy(self) -> float:
        """Return the fraction of counted pixels classified right."""
        total = self.counts.sum()
        return float(np.trace(self.counts) / total) if total else float("nan")


__all__ = [
    "COCO_IOU_THRESHOLDS",
    "RECALL_POINTS",
    "ConfusionMatrix",
    "DetectionMetrics",
    "ImageDetections",
    "ImageTruth",
    "average_precision",
    "evaluate_detections",
    "iou_matrix",
]
