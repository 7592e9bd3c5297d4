"""Boxes: IoU, NMS and prior matching against brute-force references in plain Python."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nn.vision.boxes import (
    batched_nms,
    box_iou,
    cxcywh_to_xyxy,
    decode_boxes,
    encode_boxes,
    match_priors,
    nms,
    xyxy_to_cxcywh,
)


def random_boxes(rng: np.random.Generator, count: int, extent: float = 50.0) -> np.ndarray:
    """Boxes (count, 4) xyxy with corners in [0, extent], some tiny, some large."""
    xy = rng.uniform(0, extent, size=(count, 2))
    wh = rng.uniform(0.5, extent / 3, size=(count, 2))
    return np.concatenate((xy, xy + wh), axis=1)


def naive_iou(a: list[float], b: list[float]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def naive_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> list[int]:
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    kept: list[int] = []
    for i in order:
        if all(naive_iou(boxes[i].tolist(), boxes[j].tolist()) <= threshold for j in kept):
            kept.append(i)
    return kept


@pytest.mark.parametrize("seed", range(5))
def test_iou_matches_the_brute_force_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = random_boxes(rng, 17), random_boxes(rng, 23)
    got = box_iou(torch.tensor(a), torch.tensor(b)).numpy()
    want = np.array([[naive_iou(x.tolist(), y.tolist()) for y in b] for x in a])
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_iou_of_identical_disjoint_and_nested_boxes() -> None:
    boxes = torch.tensor([[0.0, 0, 10, 10], [20, 20, 30, 30], [2, 2, 7, 7], [0, 0, 0, 5]])
    iou = box_iou(boxes, boxes)
    assert iou[0, 0] == 1.0
    assert iou[0, 1] == 0.0
    assert iou[0, 2] == pytest.approx(25 / 100)
    assert iou[3, 3] == 0.0  # a degenerate box has no area and no IoU


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.9])
def test_nms_matches_the_brute_force_reference(seed: int, threshold: float) -> None:
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng, 60, extent=40.0)
    scores = rng.uniform(size=60)
    got = nms(torch.tensor(boxes), torch.tensor(scores), threshold).tolist()
    assert got == naive_nms(boxes, scores, threshold)


def test_nms_keeps_input_order_among_equal_scores_and_handles_no_boxes() -> None:
    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]])
    scores = torch.tensor([0.5, 0.5, 0.5])
    assert nms(boxes, scores, 0.5).tolist() == [0, 2]
    assert nms(torch.zeros(0, 4), torch.zeros(0), 0.5).numel() == 0
    with pytest.raises(ValueError):
        nms(boxes, scores, 1.5)


@pytest.mark.parametrize("seed", range(4))
def test_batched_nms_is_nms_within_each_label(seed: int) -> None:
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng, 50, extent=30.0)
    scores = rng.uniform(size=50)
    labels = rng.integers(1, 4, size=50)
    got = set(
        batched_nms(torch.tensor(boxes), torch.tensor(scores), torch.tensor(labels), 0.4).tolist()
    )
    want = set()
    for label in np.unique(labels):
        index = np.flatnonzero(labels == label)
        want |= {int(index[i]) for i in naive_nms(boxes[index], scores[index], 0.4)}
    assert got == want


def test_offsets_round_trip_and_layout_conversions() -> None:
    rng = np.random.default_rng(3)
    boxes = torch.tensor(random_boxes(rng, 30))
    priors = xyxy_to_cxcywh(torch.tensor(random_boxes(rng, 30)))
    torch.testing.assert_close(cxcywh_to_xyxy(xyxy_to_cxcywh(boxes)), boxes)
    torch.testing.assert_close(decode_boxes(encode_boxes(boxes, priors), priors), boxes)
    same = cxcywh_to_xyxy(priors)
    assert encode_boxes(same, priors).abs().max() < 1e-9  # a prior's own box has offsets 0


def naive_match(gt: np.ndarray, labels: np.ndarray, priors: np.ndarray, threshold: float):
    prior_boxes = np.concatenate(
        (priors[:, :2] - priors[:, 2:] / 2, priors[:, :2] + priors[:, 2:] / 2), 1
    )
    iou = np.array([[naive_iou(g.tolist(), p.tolist()) for p in prior_boxes] for g in gt])
    out_labels, out_gt = [], []
    for d in range(len(priors)):
        g = int(np.argmax(iou[:, d]))
        out_gt.append(g)
        out_labels.append(int(labels[g]) if iou[g, d] >= threshold else 0)
    for g in range(len(gt)):  # every ground truth keeps its best prior
        d = int(np.argmax(iou[g]))
        out_gt[d] = g
        out_labels[d] = int(labels[g])
    return out_labels, out_gt


@pytest.mark.parametrize("seed", range(4))
def test_matching_matches_the_brute_force_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    gt = random_boxes(rng, 6, extent=40.0)
    labels = rng.integers(1, 3, size=6)
    priors = xyxy_to_cxcywh(torch.tensor(random_boxes(rng, 120, extent=40.0))).numpy()
    match = match_priors(torch.tensor(gt), torch.tensor(labels), torch.tensor(priors), 0.5)
    want_labels, want_gt = naive_match(gt, labels, priors, 0.5)
    assert match.labels.tolist() == want_labels
    positive = np.array(want_labels) > 0
    np.testing.assert_allclose(match.boxes.numpy()[positive], gt[np.array(want_gt)][positive])


def test_every_ground_truth_gets_a_prior_even_below_the_threshold() -> None:
    priors = torch.tensor([[5.0, 5, 10, 10], [50, 50, 10, 10]])  # cxcywh
    gt = torch.tensor([[0.0, 0, 3, 3]])  # overlaps prior 0 a little
    match = match_priors(gt, torch.tensor([2]), priors, 0.5)
    assert match.labels.tolist() == [2, 0]
    assert 0 < float(match.iou[0]) < 0.5
    empty = match_priors(torch.zeros(0, 4), torch.zeros(0, dtype=torch.int64), priors)
    assert empty.labels.tolist() == [0, 0]
    with pytest.raises(ValueError):
        match_priors(gt, torch.tensor([0]), priors)
