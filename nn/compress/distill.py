"""Knowledge distillation: a student network learns from a teacher's outputs.

Hinton, Vinyals and Dean 2015, "Distilling the Knowledge in a Neural Network", for a
classifier (here a policy over actions) plus a regression term for a value head.

Notation: student logits ``s``, teacher logits ``t`` (B, K); temperature ``T``;
``softmax_T(x) = softmax(x / T)``; ``y`` the hard target, a class index (B,) or a
target distribution (B, K) such as a search policy; ``v_s``, ``v_t`` the student's and
teacher's values and ``z`` the value target (B,).  The losses, each a mean over the
batch:

* policy: ``α · T² · KL(softmax_T(t) ‖ softmax_T(s)) + (1 − α) · CE(y, softmax(s))``.
  The soft term's gradients scale as ``1 / T²``; the ``T²`` keeps its weight against
  the hard term the same whatever T (Hinton et al., section 2).  The hard term is
  averaged over the samples of ``mask`` (those that have a target), the soft one over
  all (the teacher has an opinion on every sample).
* value: ``β · (v_s − v_t)² + (1 − β) · (v_s − z)²``.

``α = β = 0`` is training on the raw targets only, the baseline a distilled student is
compared with.  Nothing here knows what the networks compute: ``train_student`` takes
modules, an iterable of batches and small functions that pull inputs, targets,
logits and values out of them.

Start with ``distillation_loss``; ``train_student`` is the training loop.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn as tnn

BatchT = TypeVar("BatchT")


def _masked_mean(per_sample: Tensor, mask: Tensor | None) -> Tensor:
    """Return the mean of ``per_sample`` (B,) over ``mask`` (B,) bool (all if None; 0 if none)."""
    if mask is None:
        return per_sample.mean()
    weights = mask.to(per_sample.dtype)
    return (per_sample * weights).sum() / weights.sum().clamp(min=1.0)


def hard_target_loss(logits: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Return the cross-entropy of ``softmax(logits)`` against hard targets.

    Args:
        logits: (B, K) float.
        target: (B,) int class indices, or (B, K) float target distributions.
        mask: (B,) bool, samples that have a target (None: all).

    Returns:
        0-d tensor, the mean over the masked samples (0 if none).

    Raises:
        ValueError: for a target of another shape.
    """
    logits = logits.float()
    log_p = F.log_softmax(logits, dim=-1)
    if target.dim() == 1 and not target.is_floating_point():
        if target.shape[0] != logits.shape[0]:
            raise ValueError(f"{target.shape[0]} class targets for {logits.shape[0]} samples")
        per_sample = -log_p.gather(1, target[:, None].long()).squeeze(1)
    elif target.shape == logits.shape:
        per_sample = -(target.float() * log_p).sum(dim=-1)
    else:
        raise ValueError(
            f"target of shape {tuple(target.shape)} for logits of shape {tuple(logits.shape)}"
        )
    return _masked_mean(per_sample, mask)


def soft_target_loss(
    student_logits: Tensor, teacher_logits: Tensor, temperature: float = 1.0
) -> Tensor:
    """Return ``T² · KL(softmax_T(teacher) ‖ softmax_T(student))``, the batch mean.

    Args:
        student_logits: (B, K).
        teacher_logits: (B, K); no gradient flows into them.
        temperature: T > 0.

    Raises:
        ValueError: for a temperature that is not positive or logits of other shapes.
    """
    if not temperature > 0.0:
        raise ValueError(f"temperature must be positive, not {temperature}")
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student logits {tuple(student_logits.shape)} and teacher logits "
            f"{tuple(teacher_logits.shape)} differ"
        )
    log_q = F.log_softmax(student_logits.float() / temperature, dim=-1)
    log_p = F.log_softmax(teacher_logits.detach().float() / temperature, dim=-1)
    per_sample = (log_p.exp() * (log_p - log_q)).sum(dim=-1)
    return per_sample.mean() * temperature**2


def distillation_loss(
    student_logits: Tensor,
    teacher_logits: Tensor,
    target: Tensor | None = None,
    *,
    temperature: float = 1.0,
    alpha: float = 0.5,
    mask: Tensor | None = None,
) -> Tensor:
    """Return Hinton's loss ``α · T² · KL_T + (1 − α) · CE(y)`` (module docstring).

    Args:
        student_logits: (B, K).
        teacher_logits: (B, K); no gradient flows into them.
        target: hard targets, (B,) class indices or (B, K) distributions; may be
            None only with ``alpha == 1``.
        temperature: T > 0.
        alpha: weight of the soft term, in [0, 1].
        mask: (B,) bool, samples with a hard target (None: all).

    Raises:
        ValueError: for alpha outside [0, 1], a missing target with alpha < 1, or
            the errors of ``soft_target_loss`` and ``hard_target_loss``.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], not {alpha}")
    soft = soft_target_loss(student_logits, teacher_logits, temperature)
    if alpha == 1.0:
        return soft
    if target is None:
        raise ValueError("a hard target is needed unless alpha is 1")
    return alpha * soft + (1.0 - alpha) * hard_target_loss(student_logits, target, mask)


def value_distillation_loss(
    student_value: Tensor,
    teacher_value: Tensor | None,
    target: Tensor | None = None,
    *,
    beta: float = 0.5,
) -> Tensor:
    """Return ``β · (v_s − v_t)² + (1 − β) · (v_s − z)²``, the batch mean.

    Args:
        student_value: (B,).
        teacher_value: (B,), no gradient; may be None only with ``beta == 0``.
        target: z (B,); may be None only with ``beta == 1``.
        beta: weight of the teacher term, in [0, 1].

    Raises:
        ValueError: for beta outside [0, 1], a missing term of positive weight or
            values of other shapes.
    """
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be in [0, 1], not {beta}")
    value = student_value.float()
    total = value.new_zeros(())
    for weight, other, name in ((beta, teacher_value, "teacher"), (1 - beta, target, "target")):
        if weight == 0.0:
            continue
        if other is None:
            raise ValueError(f"a {name} value is needed with its weight {weight}")
        if other.shape != value.shape:
            raise ValueError(f"{name} value of shape {tuple(other.shape)} for {tuple(value.shape)}")
        total = total + weight * ((value - other.detach().float()) ** 2).mean()
    return total


@dataclass(frozen=True)
class DistillConfig:
    """Weights of the distillation loss (module docstring).

    Attributes:
        temperature: T of the soft policy term.
        alpha: weight of the soft policy term (1 − alpha on the hard targets).
        beta: weight of the teacher's value (1 − beta on the value targets).
        value_weight: weight of the value loss against the policy loss.

    Raises:
        ValueError: for a temperature that is not positive, alpha or beta outside
            [0, 1], or a negative value weight.
    """

    temperature: float = 1.0
    alpha: float = 0.5
    beta: float = 0.5
    value_weight: float = 1.0

    def __post_init__(self) -> None:
        if not self.temperature > 0.0:
            raise ValueError(f"temperature must be positive, not {self.temperature}")
        for name in ("alpha", "beta"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], not {getattr(self, name)}")
        if not self.value_weight >= 0.0:
            raise ValueError(f"value_weight must not be negative, not {self.value_weight}")

    @property
    def needs_teacher(self) -> bool:
        """Whether the loss has a teacher term (alpha or beta above 0)."""
        return self.alpha > 0.0 or (self.beta > 0.0 and self.value_weight > 0.0)


Heads = Callable[[Any], tuple[Tensor, Tensor | None]]
"""A network's output -> (policy logits (B, K), value (B,) or None)."""

Targets = Callable[[Any], tuple[Tensor | None, Tensor | None, Tensor | None]]
"""A batch -> (hard policy target, value target (B,), policy mask (B,) bool), each or None."""


def distillation_terms(
    student_out: tuple[Tensor, Tensor | None],
    teacher_out: tuple[Tensor, Tensor | None] | None,
    targets: tuple[Tensor | None, Tensor | None, Tensor | None],
    config: DistillConfig,
) -> dict[str, Tensor]:
    """Return the loss and its terms for one batch.

    Args:
        student_out: the student's (logits (B, K), value (B,) or None).
        teacher_out: the teacher's, or None (then ``config`` must not need it).
        targets: (hard policy target, value target, policy mask), each or None.
        config: the weights.

    Returns:
        0-d tensors: ``loss`` (to minimise), ``policy`` and ``value`` (its terms,
        unweighted; value 0 without a value head).

    Raises:
        ValueError: if the teacher or a target that the weights need is missing.
    """
    logits, value = student_out
    policy_target, value_target, mask = targets
    if config.needs_teacher and teacher_out is None:
        raise ValueError("these weights need a teacher (alpha or beta above 0)")
    if teacher_out is None:
        policy = hard_target_loss(logits, _needed(policy_target, "policy target"), mask)
    else:
        policy = distillation_loss(
            logits,
            teacher_out[0],
            policy_target,
            temperature=config.temperature,
            alpha=config.alpha,
            mask=mask,
        )
    value_term = logits.new_zeros((), dtype=torch.float32)
    if value is not None and config.value_weight > 0.0:
        teacher_value = teacher_out[1] if teacher_out is not None else None
        value_term = value_distillation_loss(value, teacher_value, value_target, beta=config.beta)
    return {
        "loss": policy + config.value_weight * value_term,
        "policy": policy,
        "value": value_term,
    }


def _needed(tensor: Tensor | None, name: str) -> Tensor:
    if tensor is None:
        raise ValueError(f"the batch has no {name}")
    return tensor


def train_student(
    student: tnn.Module,
    batches: Iterable[BatchT],
    optimizer: torch.optim.Optimizer,
    config: DistillConfig,
    *,
    inputs: Callable[[BatchT], Any],
    heads: Heads,
    teacher: tnn.Module | None = None,
    teacher_heads: Heads | None = None,
    targets: Targets | None = None,
    extra_loss: Callable[[Any, Any, BatchT], Tensor] | None = None,
    steps: int | None = None,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
    freeze_norm_statistics: bool = False,
) -> dict[str, float]:
    """Train ``student`` on ``batches`` with the distillation loss; return mean terms.

    Per batch: the student in train mode and the teacher in eval mode (without
    gradients) see ``inputs(batch)``; the loss is ``distillation_terms`` plus
    ``extra_loss(student_output, teacher_output, batch)`` (e.g. an auxiliary head's
    own loss); one optimizer step.

    A student that starts as a copy of the teacher (or close to it, e.g. pruned)
    gets zero gradient from the soft terms at the start; an ``extra_loss`` against
    other targets, or batch norms re-estimating their statistics on other data, move
    it away at once.  For such fine-tuning, distill every head and pass
    ``freeze_norm_statistics=True``.

    Args:
        student: the network trained (its parameters are in ``optimizer``).
        batches: an iterable of batches (may be endless with ``steps``).
        optimizer: the optimizer of the student's parameters.
        config: the loss weights; with ``alpha == beta == 0`` no teacher is needed
            (training on the raw targets).
        inputs: batch -> the networks' input (passed as the one argument).
        heads: network output -> (policy logits, value or None).
        teacher: the teacher network, or None.
        teacher_heads: the teacher's ``heads`` (default ``heads``).
        targets: batch -> (hard policy target, value target, policy mask); None:
            no targets (then alpha and beta must be 1).
        extra_loss: (student output, teacher output or None, batch) -> 0-d tensor
            added to the loss.
        steps: stop after this many batches (None: when ``batches`` ends).
        on_step: called after each step with its index and the batch's terms
            (floats: loss, policy, value and extra when given).
        freeze_norm_statistics: keep the student's batch norms in eval mode (their
            running statistics fixed; scale and shift still learn).

    Returns:
        The mean of each term over the steps (floats; empty if there were none).

    Raises:
        ValueError: if the weights need a teacher and there is none, or a target
            they need is missing.
    """
    if config.needs_teacher and teacher is None:
        raise ValueError("these weights need a teacher (alpha or beta above 0)")
    pull_teacher = teacher_heads or heads
    student.train()
    if freeze_norm_statistics:
        for module in student.modules():
            if isinstance(module, tnn.modules.batchnorm._BatchNorm):
                module.eval()
    if teacher is not None:
        teacher.eval()
    sums: dict[str, float] = {}
    count = 0
    for step, batch in enumerate(itertools.islice(batches, steps)):
        x = inputs(batch)
        output = student(x)
        teacher_out = teacher_output = None
        if teacher is not None:
            with torch.no_grad():
                teacher_output = teacher(x)
                teacher_out = pull_teacher(teacher_output)
        wanted = targets(batch) if targets is not None else (None, None, None)
        terms = distillation_terms(heads(output), teacher_out, wanted, config)
        loss = terms["loss"]
        if extra_loss is not None:
            terms["extra"] = extra_loss(output, teacher_output, batch)
            loss = loss + terms["extra"]
            terms["loss"] = loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        values = {name: float(term.detach()) for name, term in terms.items()}
        for name, value in values.items():
            sums[name] = sums.get(name, 0.0) + value
        count += 1
        if on_step is not None:
            on_step(step, values)
    return {name: total / count for name, total in sums.items()}


__all__ = [
    "DistillConfig",
    "Heads",
    "Targets",
    "distillation_loss",
    "distillation_terms",
    "hard_target_loss",
    "soft_target_loss",
    "train_student",
    "value_distillation_loss",
]
