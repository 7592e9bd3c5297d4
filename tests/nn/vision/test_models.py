"""The SSD detector and the U-Net: shapes, default boxes, MultiBox loss, a tiny fit."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from nn.vision.backbone import EncoderConfig, MobileNetEncoder
from nn.vision.boxes import box_iou
from nn.vision.segment import UNet, UNetConfig, segmentation_loss
from nn.vision.ssd import (
    SSD,
    PriorConfig,
    SSDConfig,
    default_boxes,
    detect,
    multibox_loss,
    multibox_targets,
)

TINY = EncoderConfig(widths=(8, 12, 16), blocks=(0, 1, 1), expansion=2)


@pytest.fixture
def one_thread():
    """Run on one torch thread (small convolutions only lose time to a busy second one)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_encoder_gives_a_map_per_stride() -> None:
    encoder = MobileNetEncoder(TINY)
    maps = encoder(torch.rand(2, 3, 64, 96))
    assert [tuple(m.shape) for m in maps] == [(2, 8, 32, 48), (2, 12, 16, 24), (2, 16, 8, 12)]
    assert TINY.strides == (2, 4, 8)


def test_default_boxes_count_is_k_times_the_locations() -> None:
    # SSD300 counted 8732 priors: 4 or 6 per location on maps of 38, 19, 10, 5, 3, 1
    config = PriorConfig(
        image_size=(64, 96),
        strides=(4, 8),
        scales=(0.1, 0.3),
        last_scale=0.5,
        aspect_ratios=(2.0, 3.0),
    )
    priors = default_boxes(config)
    assert config.boxes_per_location == 6
    assert priors.shape == (6 * (16 * 24 + 8 * 12), 4)
    first = priors[:6]  # the six boxes of the first location of the finest map
    assert torch.allclose(first[:, :2], torch.tensor([2.0, 2.0]))
    side = 64.0
    widths = sorted(first[:, 2].tolist())
    assert widths[0] == pytest.approx(0.1 * side / 3**0.5)
    assert first[1, 2] == pytest.approx((0.1 * 0.3) ** 0.5 * side)  # the in-between scale


def test_ssd_outputs_a_score_row_and_offsets_per_prior() -> None:
    config = SSDConfig(
        encoder=TINY,
        priors=PriorConfig(image_size=(64, 64), strides=(4, 8), scales=(0.1, 0.3), last_scale=0.5),
        num_classes=3,
        neck_width=8,
    )
    model = SSD(config)
    logits, offsets = model(torch.rand(2, 3, 64, 64))
    count = model.priors.shape[0]
    assert logits.shape == (2, count, 3) and offsets.shape == (2, count, 4)


def test_hard_negative_mining_keeps_three_negatives_per_positive() -> None:
    torch.manual_seed(0)
    logits = torch.randn(1, 40, 3)
    offsets = torch.zeros(1, 40, 4)
    labels = torch.zeros(1, 40, dtype=torch.int64)
    labels[0, [3, 17]] = torch.tensor([1, 2])
    targets = torch.zeros(1, 40, 4)
    loss, parts = multibox_loss(
        logits, offsets, labels, targets, neg_pos_ratio=3.0, min_negatives=0
    )
    cross = F.cross_entropy(logits[0], labels[0], reduction="none")
    negatives = cross.clone()
    negatives[[3, 17]] = -1
    hardest = negatives.topk(6).values.sum()
    want = (cross[[3, 17]].sum() + hardest) / 2
    assert parts["positives"] == 2
    assert parts["location"] == 0.0
    assert loss.item() == pytest.approx(want.item(), rel=1e-6)


def test_a_tiny_ssd_learns_to_find_squares(one_thread: None) -> None:
    """Overfit two images of bright squares: the loss falls and detect() finds them."""
    torch.manual_seed(0)
    config = SSDConfig(
        encoder=TINY,
        priors=PriorConfig(
            image_size=(64, 64), strides=(4, 8), scales=(0.15, 0.3), last_scale=0.45
        ),
        num_classes=2,
        neck_width=12,
    )
    model = SSD(config)
    images = torch.zeros(2, 3, 64, 64)
    boxes = [torch.tensor([[8.0, 8, 20, 20], [36, 30, 52, 46]]), torch.tensor([[20.0, 36, 34, 50]])]
    for image, image_boxes in zip(images, boxes, strict=True):
        for x1, y1, x2, y2 in image_boxes.int().tolist():
            image[:, y1:y2, x1:x2] = 1.0
    labels = [torch.ones(len(b), dtype=torch.int64) for b in boxes]
    target_labels, target_offsets = multibox_targets(boxes, labels, model.priors, 0.5)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        logits, offsets = model(images)
        loss, _ = multibox_loss(logits, offsets, target_labels, target_offsets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]
    model.eval()
    with torch.no_grad():
        found = detect(*model(images), model.priors, score_threshold=0.5)
    for detections, truth in zip(found, boxes, strict=True):
        assert len(detections.boxes) == len(truth)
        assert box_iou(detections.boxes, truth).max(dim=1).values.min() > 0.5


@pytest.mark.parametrize("upsampling", ["bilinear", "transpose"])
def test_unet_gives_per_pixel_logits_and_decoder_maps(upsampling: str) -> None:
    model = UNet(UNetConfig(encoder=TINY, num_classes=4, upsampling=upsampling))
    images = torch.rand(2, 3, 32, 48)
    logits, features = model.decode(images)
    assert logits.shape == (2, 4, 32, 48)
    assert [f.shape[1] for f in features] == list(model.feature_channels)
    assert [f.shape[-1] for f in features] == [24, 12, 6]
    target = torch.randint(0, 4, (2, 32, 48))
    target[0, :4] = 255  # ignored pixels
    loss = segmentation_loss(logits, target)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_configs_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        UNetConfig(encoder=TINY, num_classes=1)
    with pytest.raises(ValueError):
        UNetConfig(encoder=TINY, upsampling="nearest-ish")
    with pytest.raises(ValueError):
        PriorConfig(image_size=(60, 64), strides=(8,), scales=(0.1,))
    with pytest.raises(ValueError):
        SSDConfig(
            encoder=TINY, priors=PriorConfig(image_size=(64, 64), strides=(16,), scales=(0.1,))
        )
