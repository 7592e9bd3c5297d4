"""The training loss of AlphaGo Zero, plus KataGo's ownership term.

Notation as in the AlphaGo Zero paper: for a position with search policy π and
outcome z, the network gives move probabilities ``p = softmax(logits)`` and a value
``v``; AlphaGo Zero minimises

    l = (z - v)² - πᵀ log p + c ||θ||².

Here, per batch (each term a mean over the samples it applies to):

* ``policy``: cross-entropy ``-Σ_a π_a log p_a``, averaged over the positions that
  have a policy target (``policy_mask``); positions without one add nothing.  If no
  sample of the batch has a target the term is 0.
* ``value``: ``(z - v)²``, averaged over all samples (``value_weight``).
* ``ownership``: per point, ``(y - o)²`` ("mse") or the binary cross-entropy of
  ``(1 + y) / 2`` against ``(1 + o) / 2`` ("bce", KataGo's form, 0 for a perfect
  ±1 prediction up to clamping); averaged over the N*N points and over the games
  with a final position (``ownership_mask``), times ``ownership_weight`` — a weight
  of ``ownership_weight / (N*N)`` per point summed over the board.
* ``c ||θ||²`` is not computed here: it is the optimiser's ``weight_decay``
  (``trainer.config`` explains the factor of 2).

KataGo's auxiliary heads ("Accelerating Self-Play Learning in Go", Wu 2019) add a term
each when the network returns them (``GoNet.forward(x, heads=True)``, a dict):

* ``score``: Huber loss (δ = 1) of ``(s - s*) / N``, the error of the predicted score
  margin ``s`` in units of N points, over the scored games (``score_mask``: resigned
  games have no score), times ``score_weight``;
* ``opponent_policy``: the cross-entropy of the next position's search policy (the
  opponent's reply), over positions whose next position has a policy target, times
  ``opponent_policy_weight`` (KataGo: 0.15);
* ``short_term_value``: ``(v_s* - v_s)²`` against the short-term value target
  (``trainer.replay.PositionRecords``), times ``short_term_value_weight``.

Everything is computed in float32, whatever precision the network ran in.  Start
reading at ``training_loss``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from trainer.dataset import Batch

NetOutputs = tuple[torch.Tensor, torch.Tensor, torch.Tensor] | dict[str, torch.Tensor]
"""What a network gives: ``(policy_logits, value, ownership)``, or a dict of those
under "policy", "value", "ownership" plus any auxiliary heads (``nn.go_net``)."""

OWNERSHIP_EPS = 1e-4
"""Clamp of ``(1 + o) / 2`` away from 0 and 1 in the "bce" ownership loss."""


def training_loss(
    outputs: NetOutputs,
    batch: Batch,
    value_weight: float = 1.0,
    ownership_weight: float = 1.5,
    ownership_loss: str = "mse",
    *,
    score_weight: float = 0.25,
    opponent_policy_weight: float = 0.15,
    short_term_value_weight: float = 0.5,
) -> dict[str, torch.Tensor]:
    """Return the loss and its components for one batch.

    Args:
        outputs: the network's ``(policy_logits (B, N*N+1), value (B,) in [-1, 1],
            ownership (B, N, N) in [-1, 1])``, or a dict of them with auxiliary
            heads (``score`` (B,) in points, ``opponent_policy`` (B, N*N+1) logits,
            ``short_term_value`` (B,) in [-1, 1]).
        batch: the targets (``trainer.dataset.Batch``) on the outputs' device.
        value_weight: weight of the value term.
        ownership_weight: weight of the ownership term (mean over points).
        ownership_loss: "mse" or "bce".
        score_weight: weight of the score term (with a ``score`` output).
        opponent_policy_weight: weight of the opponent-policy term.
        short_term_value_weight: weight of the short-term value term.

    Returns:
        0-d float32 tensors: ``loss`` (the weighted sum, to minimise), ``policy``,
        ``value``, ``ownership`` (unweighted terms), ``policy_accuracy`` (top-1
        agreement of ``argmax p`` with ``argmax π`` over positions with a target),
        ``value_mse`` (same as ``value``, kept under its metric name) and
        ``policy_entropy`` (mean entropy of p over positions with a target); with
        auxiliary heads also their unweighted terms ``score``, ``opponent_policy``,
        ``short_term_value`` and ``score_error`` (mean absolute error in points).

    Raises:
        ValueError: for mismatched shapes, an unknown ownership loss or an auxiliary
            output whose targets the batch lacks.
    """
    heads: dict[str, torch.Tensor] = {}
    if isinstance(outputs, dict):
        heads = dict(outputs)
        main = (heads.pop("policy"), heads.pop("value"), heads.pop("ownership"))
    else:
        main = outputs
    logits, value, ownership = (t.float() for t in main)
    _check_shapes(logits, value, ownership, batch)
    policy_mask = batch.policy_mask.to(logits.dtype)
    policy_count = policy_mask.sum().clamp(min=1.0)

    log_p = F.log_softmax(logits, dim=-1)
    cross_entropy = -(batch.policy * log_p).sum(dim=-1)
    policy_term = (cross_entropy * policy_mask).sum() / policy_count
    value_term = ((batch.value - value) ** 2).mean()
    ownership_term = ownership_error(
        ownership, batch.ownership, batch.ownership_mask, ownership_loss
    )
    total = policy_term + value_weight * value_term + ownership_weight * ownership_term

    with torch.no_grad():
        hits = (logits.argmax(dim=-1) == batch.policy.argmax(dim=-1)).to(logits.dtype)
        accuracy = (hits * policy_mask).sum() / policy_count
        entropy = -(log_p.exp() * log_p).sum(dim=-1)
        mean_entropy = (entropy * policy_mask).sum() / policy_count
    losses = {
        "loss": total,
        "policy": policy_term,
        "value": value_term,
        "ownership": ownership_term,
        "policy_accuracy": accuracy,
        "value_mse": value_term.detach(),
        "policy_entropy": mean_entropy,
    }
    weights = {
        "score": score_weight,
        "opponent_policy": opponent_policy_weight,
        "short_term_value": short_term_value_weight,
    }
    for name, output in heads.items():
        if name not in weights:
            raise ValueError(f"no loss for a network output named {name!r}")
        term = _auxiliary_term(name, output.float(), batch, ownership.shape[-1], losses)
        losses[name] = term
        losses["loss"] = losses["loss"] + weights[name] * term
    return losses


def _auxiliary_term(
    name: str, predicted: torch.Tensor, batch: Batch, size: int, metrics: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Return the unweighted loss of auxiliary head ``name`` (module docstring).

    Adds ``score_error`` to ``metrics`` for the score head.

    Raises:
        ValueError: if the batch lacks the head's targets or their shape differs.
    """
    target = getattr(batch, name)
    mask = getattr(batch, f"{name}_mask")
    if target is None or mask is None:
        raise ValueError(f"the network has a {name} head but the batch has no {name} targets")
    if predicted.shape != target.shape:
        raise ValueError(
            f"{name} of shape {tuple(predicted.shape)} for targets of shape {tuple(target.shape)}"
        )
    if name == "score":
        per_sample = F.huber_loss(predicted / size, target / size, reduction="none", delta=1.0)
        with torch.no_grad():
            metrics["score_error"] = _masked_mean((predicted - target).abs(), mask)
    elif name == "opponent_policy":
        per_sample = -(target * F.log_softmax(predicted, dim=-1)).sum(dim=-1)
    else:
        per_sample = (target - predicted) ** 2
    return _masked_mean(per_sample, mask)


def _masked_mean(per_sample: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Return the mean of ``per_sample`` (B,) over the samples ``mask`` (B,) keeps (0 if none)."""
    weights = mask.to(per_sample.dtype)
    return (per_sample * weights).sum() / weights.sum().clamp(min=1.0)


def ownership_error(
    predicted: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, kind: str = "mse"
) -> torch.Tensor:
    """Return the ownership loss: per-point error, mean over points and unmasked samples.

    Args:
        predicted: (B, N, N) network ownership in [-1, 1].
        target: (B, N, N) final owner in {-1, 0, +1}.
        mask: (B,) bool, samples that have a target.
        kind: "mse" or "bce" (see the module docstring).

    Returns:
        0-d tensor; 0 if no sample has a target.

    Raises:
        ValueError: for an unknown ``kind``.
    """
    if kind == "mse":
        per_point = (predicted - target) ** 2
    elif kind == "bce":
        p = ((1.0 + predicted) / 2.0).clamp(OWNERSHIP_EPS, 1.0 - OWNERSHIP_EPS)
        y = (1.0 + target) / 2.0
        per_point = -(y * torch.log(p) + (1.0 - y) * torch.log(1.0 - p))
    else:
        raise ValueError(f"ownership loss must be 'mse' or 'bce', not {kind!r}")
    weights = mask.to(per_point.dtype)
    per_sample = per_point.flatten(1).mean(dim=1)
    return (per_sample * weights).sum() / weights.sum().clamp(min=1.0)


def _check_shapes(
    logits: torch.Tensor, value: torch.Tensor, ownership: torch.Tensor, batch: Batch
) -> None:
    expected = {
        "policy logits": (logits.shape, batch.policy.shape),
        "value": (value.shape, batch.value.shape),
        "ownership": (ownership.shape, batch.ownership.shape),
    }
    for name, (got, want) in expected.items():
        if got != want:
            raise ValueError(f"{name} of shape {tuple(got)} for targets of shape {tuple(want)}")


__all__ = ["OWNERSHIP_EPS", "NetOutputs", "ownership_error", "training_loss"]
