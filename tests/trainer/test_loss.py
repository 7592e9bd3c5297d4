"""Tests of the training loss (trainer.loss), checked by hand on 1x1 boards.

On a 1x1 board the policy has two actions (the point, then pass) and the ownership
map one point, so every term can be worked out on paper.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
import torch

from tests.trainer import one_torch_thread
from trainer.dataset import Batch
from trainer.loss import OWNERSHIP_EPS, ownership_error, training_loss


@pytest.fixture(autouse=True, scope="module")
def _single_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


def make_batch(
    policy: list[list[float]],
    policy_mask: list[bool],
    value: list[float],
    ownership: list[float],
    ownership_mask: list[bool],
) -> Batch:
    count = len(policy)
    return Batch(
        planes=torch.zeros(count, 1, 1, 1),
        policy=torch.tensor(policy),
        policy_mask=torch.tensor(policy_mask),
        value=torch.tensor(value),
        ownership=torch.tensor(ownership).reshape(count, 1, 1),
        ownership_mask=torch.tensor(ownership_mask),
    )


def outputs(logits: list[list[float]], value: list[float], ownership: list[float]):  # type: ignore[no-untyped-def]
    return (
        torch.tensor(logits, requires_grad=True),
        torch.tensor(value, requires_grad=True),
        torch.tensor(ownership).reshape(-1, 1, 1).requires_grad_(True),
    )


# p = softmax(logits): sample 0 -> (0.5, 0.5); sample 1 -> (0.75, 0.25)
LOGITS = [[0.0, 0.0], [math.log(3.0), 0.0]]
PI = [[1.0, 0.0], [0.5, 0.5]]
CE0 = math.log(2.0)
CE1 = -(0.5 * math.log(0.75) + 0.5 * math.log(0.25))


def test_components_by_hand() -> None:
    batch = make_batch(PI, [True, True], [1.0, 1.0], [1.0, -1.0], [True, False])
    out = outputs(LOGITS, [0.5, -0.5], [0.5, 0.0])
    losses = training_loss(out, batch, value_weight=2.0, ownership_weight=3.0)
    assert losses["policy"].item() == pytest.approx((CE0 + CE1) / 2)
    assert losses["value"].item() == pytest.approx((0.25 + 2.25) / 2)  # (1-0.5)², (1+0.5)²
    assert losses["ownership"].item() == pytest.approx(0.25)  # only sample 0: (1-0.5)²
    expected = (CE0 + CE1) / 2 + 2.0 * 1.25 + 3.0 * 0.25
    assert losses["loss"].item() == pytest.approx(expected)
    assert losses["value_mse"].item() == pytest.approx(1.25)
    # argmax p: sample 0 ties -> action 0 (torch takes the first), sample 1 -> action 0;
    # argmax π: 0 and 0 (tie, first) -> both agree
    assert losses["policy_accuracy"].item() == pytest.approx(1.0)
    entropy1 = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert losses["policy_entropy"].item() == pytest.approx((math.log(2.0) + entropy1) / 2)


def test_policy_loss_is_masked_per_sample() -> None:
    batch = make_batch(PI, [False, True], [0.0, 0.0], [0.0, 0.0], [False, False])
    losses = training_loss(outputs(LOGITS, [0.0, 0.0], [0.0, 0.0]), batch)
    assert losses["policy"].item() == pytest.approx(CE1)
    assert losses["ownership"].item() == 0.0

    batch = make_batch(PI, [False, False], [0.0, 0.0], [0.0, 0.0], [False, False])
    out = outputs(LOGITS, [0.0, 0.0], [0.0, 0.0])
    losses = training_loss(out, batch)
    assert losses["policy"].item() == 0.0 and losses["policy_accuracy"].item() == 0.0
    losses["loss"].backward()
    assert torch.count_nonzero(out[0].grad) == 0


def test_policy_gradient_is_p_minus_pi() -> None:
    batch = make_batch(PI, [True, True], [0.0, 0.0], [0.0, 0.0], [False, False])
    out = outputs(LOGITS, [0.0, 0.0], [0.0, 0.0])
    training_loss(out, batch, value_weight=0.0, ownership_weight=0.0)["loss"].backward()
    expected = torch.tensor([[0.5 - 1.0, 0.5], [0.75 - 0.5, 0.25 - 0.5]]) / 2  # mean of 2
    assert torch.allclose(out[0].grad, expected)


def test_accuracy_counts_disagreement() -> None:
    batch = make_batch(
        [[0.0, 1.0], [1.0, 0.0]], [True, True], [0.0, 0.0], [0.0, 0.0], [False, False]
    )
    losses = training_loss(outputs([[2.0, 0.0], [2.0, 0.0]], [0.0, 0.0], [0.0, 0.0]), batch)
    assert losses["policy_accuracy"].item() == pytest.approx(0.5)


def test_ownership_bce_by_hand() -> None:
    predicted = torch.tensor([0.5, 0.0, 1.0]).reshape(3, 1, 1)
    target = torch.tensor([1.0, -1.0, 0.0]).reshape(3, 1, 1)
    mask = torch.tensor([True, True, True])
    p_clamped = 1.0 - OWNERSHIP_EPS
    expected = (
        -math.log(0.75)  # target 1, p = 0.75
        - math.log(0.5)  # target -1 (y = 0), 1 - p = 0.5
        - 0.5 * math.log(p_clamped)
        - 0.5 * math.log(1.0 - p_clamped)  # neutral point, p -> 1
    ) / 3
    bce = ownership_error(predicted, target, mask, "bce").item()
    assert bce == pytest.approx(expected, rel=1e-4)  # 1 - eps is rounded to float32
    mse = ownership_error(predicted, target, mask, "mse").item()
    assert mse == pytest.approx((0.25 + 1 + 1) / 3)


def test_ownership_is_a_mean_over_points() -> None:
    predicted = torch.zeros(2, 2, 2)
    target = torch.tensor([[[1.0, 1.0], [1.0, 1.0]], [[1.0, -1.0], [0.0, 0.0]]])
    mask = torch.tensor([True, True])
    # per sample: mean of (0 - y)² over 4 points: 1.0 and 0.5
    assert ownership_error(predicted, target, mask).item() == pytest.approx(0.75)
    with pytest.raises(ValueError, match="ownership loss"):
        ownership_error(predicted, target, mask, "l1")


def test_shape_mismatch_is_refused() -> None:
    batch = make_batch(PI, [True, True], [0.0, 0.0], [0.0, 0.0], [True, True])
    bad = (torch.zeros(2, 3), torch.zeros(2), torch.zeros(2, 1, 1))
    with pytest.raises(ValueError, match="policy logits"):
        training_loss(bad, batch)
    bad = (torch.zeros(2, 2), torch.zeros(2, 1), torch.zeros(2, 1, 1))
    with pytest.raises(ValueError, match="value"):
        training_loss(bad, batch)


def test_half_precision_outputs_give_float32_losses() -> None:
    batch = make_batch(PI, [True, True], [1.0, 1.0], [1.0, -1.0], [True, True])
    out = tuple(t.detach().to(torch.bfloat16) for t in outputs(LOGITS, [0.5, -0.5], [0.5, 0.0]))
    losses = training_loss(out, batch)  # type: ignore[arg-type]
    assert all(v.dtype == torch.float32 for v in losses.values())
