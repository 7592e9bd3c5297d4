"""Tests of nn.compress.distill: Hinton's loss by hand, its T² scaling, the value term
and the generic training loop on plain torch modules (no Go network)."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn as tnn

from nn.compress.distill import (
    DistillConfig,
    distillation_loss,
    distillation_terms,
    hard_target_loss,
    soft_target_loss,
    train_student,
    value_distillation_loss,
)
from tests.nn import single_torch_thread  # noqa: F401 (autouse fixture)


def softmax(values: list[float], temperature: float = 1.0) -> list[float]:
    exps = [math.exp(v / temperature) for v in values]
    return [e / sum(exps) for e in exps]


# one sample, three classes: hand-computable
STUDENT = [1.0, 0.0, -1.0]
TEACHER = [0.5, 1.5, -0.5]


def test_loss_equals_the_hand_computed_value() -> None:
    temperature, alpha, label = 2.0, 0.3, 1
    p = softmax(TEACHER, temperature)
    q = softmax(STUDENT, temperature)
    kl = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True))
    cross_entropy = -math.log(softmax(STUDENT)[label])
    expected = alpha * temperature**2 * kl + (1 - alpha) * cross_entropy
    loss = distillation_loss(
        torch.tensor([STUDENT]),
        torch.tensor([TEACHER]),
        torch.tensor([label]),
        temperature=temperature,
        alpha=alpha,
    )
    assert float(loss) == pytest.approx(expected, rel=1e-6)


def test_a_target_distribution_and_a_mask_are_accepted() -> None:
    logits = torch.tensor([STUDENT, TEACHER])
    target = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    mask = torch.tensor([True, False])  # the second sample has no target
    expected = -(0.5 * math.log(softmax(STUDENT)[0]) + 0.5 * math.log(softmax(STUDENT)[1]))
    assert float(hard_target_loss(logits, target, mask)) == pytest.approx(expected, rel=1e-6)
    assert float(hard_target_loss(logits, target, torch.tensor([False, False]))) == 0.0
    with pytest.raises(ValueError, match="shape"):
        hard_target_loss(logits, torch.zeros(2, 4))


@pytest.mark.parametrize("temperature", [0.5, 1.0, 4.0])
def test_loss_is_zero_when_the_student_is_the_teacher_at_alpha_one(temperature: float) -> None:
    logits = torch.randn(5, 7, generator=torch.Generator().manual_seed(0))
    loss = distillation_loss(logits, logits.clone(), temperature=temperature, alpha=1.0)
    assert abs(float(loss)) < 1e-6


def test_the_soft_term_is_t_squared_times_the_kl_of_softened_distributions() -> None:
    for temperature in (1.0, 3.0):
        p = softmax(TEACHER, temperature)
        q = softmax(STUDENT, temperature)
        kl = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True))
        loss = soft_target_loss(torch.tensor([STUDENT]), torch.tensor([TEACHER]), temperature)
        assert float(loss) == pytest.approx(temperature**2 * kl, rel=1e-6)


def test_t_squared_keeps_the_soft_gradient_independent_of_a_high_temperature() -> None:
    # Hinton et al., eq. 4: for high T and zero-mean logits the gradient of the KL term
    # is (s - t) / (K T²); times T² it is (s - t) / K, whatever T
    student = torch.tensor([[0.3, -0.1, 0.2, -0.4]])
    teacher = torch.tensor([[-0.2, 0.4, 0.1, -0.3]])
    expected = (student - teacher) / 4
    for temperature in (50.0, 200.0):
        s = student.clone().requires_grad_(True)
        soft_target_loss(s, teacher, temperature).backward()
        assert s.grad is not None
        torch.testing.assert_close(s.grad, expected, atol=2e-3, rtol=0.0)


def test_value_term_mixes_the_teacher_and_the_target() -> None:
    student, teacher, target = torch.tensor([0.5, -0.5]), torch.tensor([0.1, -0.1]), torch.ones(2)
    teacher_mse = (0.4**2 + 0.4**2) / 2
    target_mse = (0.5**2 + 1.5**2) / 2
    loss = value_distillation_loss(student, teacher, target, beta=0.25)
    assert float(loss) == pytest.approx(0.25 * teacher_mse + 0.75 * target_mse)
    assert float(value_distillation_loss(student, None, target, beta=0.0)) == pytest.approx(
        target_mse
    )
    with pytest.raises(ValueError, match="teacher"):
        value_distillation_loss(student, None, target, beta=0.5)


def test_invalid_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="alpha"):
        DistillConfig(alpha=1.5)
    with pytest.raises(ValueError, match="temperature"):
        DistillConfig(temperature=0.0)
    with pytest.raises(ValueError, match="hard target"):
        distillation_loss(torch.zeros(1, 3), torch.zeros(1, 3), None, alpha=0.5)
    with pytest.raises(ValueError, match="teacher"):
        distillation_terms((torch.zeros(1, 3), None), None, (None, None, None), DistillConfig())


class PolicyValue(tnn.Module):
    """A linear policy over 4 classes and a tanh value, of 6 inputs."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.body = tnn.Sequential(tnn.Linear(6, hidden), tnn.ReLU())
        self.policy = tnn.Linear(hidden, 4)
        self.value = tnn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.policy(h), torch.tanh(self.value(h)).squeeze(1)


def batches(count: int) -> list[dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(1)
    out = []
    for _ in range(count):
        x = torch.randn(32, 6, generator=generator)
        out.append({"x": x, "label": x[:, :4].argmax(dim=1), "z": torch.sign(x[:, 5])})
    return out


def test_the_training_loop_brings_the_student_to_the_teacher() -> None:
    torch.manual_seed(0)
    teacher, student = PolicyValue(32).eval(), PolicyValue(8)
    data = batches(150)
    seen: list[float] = []
    means = train_student(
        student,
        data,
        torch.optim.Adam(student.parameters(), lr=1e-2),
        DistillConfig(temperature=2.0, alpha=1.0, beta=1.0),
        inputs=lambda batch: batch["x"],
        heads=lambda output: output,
        teacher=teacher,
        on_step=lambda step, terms: seen.append(terms["loss"]),
    )
    assert len(seen) == 150 and set(means) == {"loss", "policy", "value"}
    assert sum(seen[-10:]) < 0.2 * sum(seen[:10])
    with torch.no_grad():
        x = torch.randn(512, 6)
        agreement = (student(x)[0].argmax(1) == teacher(x)[0].argmax(1)).float().mean()
    assert agreement > 0.8


def test_raw_targets_need_no_teacher_and_steps_stop_an_endless_stream() -> None:
    torch.manual_seed(0)
    student = PolicyValue(8)
    data = batches(3)
    pulled = []

    def endless():  # type: ignore[no-untyped-def]
        while True:
            pulled.append(1)
            yield data[len(pulled) % 3]

    means = train_student(
        student,
        endless(),
        torch.optim.SGD(student.parameters(), lr=0.1),
        DistillConfig(alpha=0.0, beta=0.0),
        inputs=lambda batch: batch["x"],
        heads=lambda output: output,
        targets=lambda batch: (batch["label"], batch["z"], None),
        extra_loss=lambda output, teacher, batch: output[0].square().mean() * 0.0,
        steps=5,
    )
    assert len(pulled) == 5  # no batch drawn beyond the last step
    assert set(means) == {"loss", "policy", "value", "extra"}
    with pytest.raises(ValueError, match="teacher"):
        train_student(
            student,
            data,
            torch.optim.SGD(student.parameters(), lr=0.1),
            DistillConfig(alpha=0.5),
            inputs=lambda batch: batch["x"],
            heads=lambda output: output,
        )


class NormedPolicyValue(PolicyValue):
    """``PolicyValue`` with a batch norm in its body."""

    def __init__(self, hidden: int) -> None:
        super().__init__(hidden)
        self.body = tnn.Sequential(tnn.Linear(6, hidden), tnn.BatchNorm1d(hidden), tnn.ReLU())


@pytest.mark.parametrize("freeze", [True, False])
def test_a_copy_of_the_teacher_stays_put_when_norm_statistics_are_frozen(freeze: bool) -> None:
    torch.manual_seed(0)
    teacher = NormedPolicyValue(16)
    with torch.no_grad():
        teacher.body[1].running_mean.uniform_(-1, 1)  # statistics of other data
    teacher.eval()
    student = copy.deepcopy(teacher)
    train_student(
        student,
        batches(5),
        torch.optim.SGD(student.parameters(), lr=0.1, momentum=0.9),
        DistillConfig(temperature=2.0, alpha=1.0, beta=1.0),
        inputs=lambda batch: batch["x"],
        heads=lambda output: output,
        teacher=teacher,
        freeze_norm_statistics=freeze,
    )
    same = torch.equal(student.body[1].running_mean, teacher.body[1].running_mean)
    assert same is freeze
    if freeze:  # the soft terms' gradients are zero at the teacher: nothing moves
        for got, want in zip(student.parameters(), teacher.parameters(), strict=True):
            torch.testing.assert_close(got, want, atol=1e-6, rtol=0.0)
