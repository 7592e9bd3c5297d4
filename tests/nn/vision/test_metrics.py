"""Detection AP/mAP against pycocotools' COCOeval; segmentation IoU against direct counts."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from nn.vision.metrics import (
    ConfusionMatrix,
    ImageDetections,
    ImageTruth,
    average_precision,
    evaluate_detections,
)


def make_set(seed: int, images: int = 12, classes: int = 3):
    """Random ground truth per image, and detections: jittered truths, misses, false alarms."""
    rng = np.random.default_rng(seed)
    truths, detections = [], []
    for _ in range(images):
        count = int(rng.integers(0, 12))
        xy = rng.uniform(0, 200, size=(count, 2))
        wh = rng.uniform(4, 40, size=(count, 2))
        boxes = np.concatenate((xy, xy + wh), axis=1)
        labels = rng.integers(1, classes + 1, size=count)
        truths.append(ImageTruth(boxes, labels))
        keep = rng.uniform(size=count) < 0.85
        jitter = rng.normal(0, 2.5, size=(count, 4))
        found = (boxes + jitter)[keep]
        found_labels = labels[keep].copy()
        swap = rng.uniform(size=len(found_labels)) < 0.1
        found_labels[swap] = rng.integers(1, classes + 1, size=int(swap.sum()))
        extra = int(rng.integers(0, 5))
        exy = rng.uniform(0, 200, size=(extra, 2))
        found = np.concatenate((found, np.concatenate((exy, exy + 20), axis=1)))
        found_labels = np.concatenate((found_labels, rng.integers(1, classes + 1, size=extra)))
        found[:, 2:] = np.maximum(found[:, 2:], found[:, :2] + 0.5)
        scores = rng.uniform(size=len(found))
        detections.append(ImageDetections(found, scores, found_labels))
    return detections, truths


def coco_eval(detections, truths, classes: int, max_detections: int):
    """Run pycocotools on the same set; return COCOeval after accumulate()."""
    coco_module = pytest.importorskip("pycocotools.coco")
    cocoeval_module = pytest.importorskip("pycocotools.cocoeval")
    images, annotations, results = [], [], []
    ann_id = 1
    for i, (det, truth) in enumerate(zip(detections, truths, strict=True)):
        images.append({"id": i + 1, "width": 300, "height": 300})
        for box, label in zip(truth.boxes, truth.labels, strict=True):
            w, h = box[2] - box[0], box[3] - box[1]
            annotations.append(
                {
                    "id": ann_id,
                    "image_id": i + 1,
                    "category_id": int(label),
                    "bbox": [float(box[0]), float(box[1]), float(w), float(h)],
                    "area": float(w * h),
                    "iscrowd": 0,
                }
            )
            ann_id += 1
        for box, score, label in zip(det.boxes, det.scores, det.labels, strict=True):
            results.append(
                {
                    "image_id": i + 1,
                    "category_id": int(label),
                    "score": float(score),
                    "bbox": [
                        float(box[0]),
                        float(box[1]),
                        float(box[2] - box[0]),
                        float(box[3] - box[1]),
                    ],
                }
            )
    gt = coco_module.COCO()
    gt.dataset = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": k} for k in range(1, classes + 1)],
    }
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        dt = gt.loadRes(results)
        evaluator = cocoeval_module.COCOeval(gt, dt, "bbox")
        evaluator.params.maxDets = sorted({1, 10, max_detections})  # evaluate() sorts them
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("max_detections", [3, 100])
def test_ap_per_class_and_map_match_pycocotools(seed: int, max_detections: int) -> None:
    detections, truths = make_set(seed)
    ours = evaluate_detections(detections, truths, (1, 2, 3), max_detections=max_detections)
    coco = coco_eval(detections, truths, 3, max_detections)
    precision = coco.eval["precision"]  # (T, R, K, A, M); -1 where a class has no truth
    m = coco.params.maxDets.index(max_detections)
    every = precision[:, :, :, 0, m]
    assert ours.map == pytest.approx(every[every > -1].mean(), abs=1e-9)
    at_half = every[0]
    assert ours.map50 == pytest.approx(at_half[at_half > -1].mean(), abs=1e-9)
    if max_detections == 100:  # COCOeval's own summary reads 100 detections per image
        assert ours.map == pytest.approx(coco.stats[0], abs=1e-9)
        assert ours.map50 == pytest.approx(coco.stats[1], abs=1e-9)
    for k in range(3):
        for t in range(10):
            table = precision[t, :, k, 0, m]
            want = float(table.mean()) if (table > -1).all() else float("nan")
            got = ours.ap[t, k]
            assert (np.isnan(got) and np.isnan(want)) or got == pytest.approx(want, abs=1e-9)


def test_perfect_and_empty_detections() -> None:
    boxes = np.array([[0.0, 0, 10, 10], [20, 20, 30, 30]])
    truth = [ImageTruth(boxes, np.array([1, 1]))]
    perfect = [ImageDetections(boxes, np.array([0.9, 0.8]), np.array([1, 1]))]
    assert average_precision(perfect, truth, 1) == pytest.approx(1.0)
    none = [ImageDetections(np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64))]
    assert average_precision(none, truth, 1) == 0.0
    assert np.isnan(average_precision(perfect, truth, 2))  # no truth of class 2
    # one hit ranked below one false alarm: precision 1/2 at recall 1/2, 2/3 at recall 1
    half = [
        ImageDetections(
            np.array([[50.0, 50, 60, 60], [0, 0, 10, 10], [20, 20, 30, 30]]),
            np.array([0.9, 0.8, 0.7]),
            np.array([1, 1, 1]),
        )
    ]
    want = (51 * (2 / 3) + 50 * (2 / 3)) / 101  # monotone precision is 2/3 up to recall 1
    assert average_precision(half, truth, 1) == pytest.approx(want)


def test_segmentation_iou_counts_pixels() -> None:
    rng = np.random.default_rng(0)
    target = rng.integers(0, 4, size=(2, 30, 40))
    prediction = np.where(
        rng.uniform(size=target.shape) < 0.7, target, rng.integers(0, 4, size=target.shape)
    )
    matrix = ConfusionMatrix(4)
    matrix.update(prediction, target)
    for k in range(4):
        inter = ((prediction == k) & (target == k)).sum()
        union = ((prediction == k) | (target == k)).sum()
        assert matrix.iou()[k] == pytest.approx(inter / union)
    assert matrix.accuracy() == pytest.approx((prediction == target).mean())
    ignored = ConfusionMatrix(2)
    ignored.update(np.array([0, 1, 1]), np.array([0, 255, 1]))  # 255 is outside the classes
    assert ignored.counts.sum() == 2
