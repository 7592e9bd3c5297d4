"""Training and decoding of the sequence decoders: teacher forcing, scheduled sampling,
greedy decoding, and a sequences-per-second timer.

Notation as in Bengio et al. 2015 ("Scheduled Sampling for Sequence Prediction with
Recurrent Neural Networks"): at training step i a decoder input is the true previous
token with probability ``ε_i`` and the model's own previous prediction otherwise.

* **Teacher forcing** (``ε = 1``): input t is target t-1, input 0 a start token
  (``shift_right``).  Training sees only true prefixes, decoding only its own: the
  mismatch ("exposure bias") is what scheduled sampling addresses.
* **Scheduled sampling** (``scheduled_sampling_inputs``): with probability
  ``p = 1 - ε_i`` each input token after the first is replaced by the model's
  prediction at that place.  The predictions come from a teacher-forced pass without
  gradients, so the mix is made in one parallel pass for every decoder (the two-pass
  form Mihaylova & Liu 2019 use for Transformers; for a recurrent decoder it is a
  one-step approximation of Bengio's sequential sampling, used here alike for all
  three decoders so they are compared on one method).  ``p = 0`` is teacher forcing.
* **Schedules** (``SamplingSchedule``): ``p`` rising over training from 0 towards
  ``max_prob``: ``linear`` (ε decays linearly), ``inverse_sigmoid``
  (``ε_i = k / (k + exp(i / k))``, with k chosen so that ε is halfway at mid-training),
  ``exponential`` (``ε_i = k^i``, k chosen likewise), or ``constant``.
* **Greedy decoding** (``greedy_decode``): the most likely token each step, through the
  decoders' ``next_logits`` (``nn.sequence.base``), with an optional mask hook that
  forbids tokens (e.g. illegal moves).

Nothing here knows of Go.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn import functional as F

from nn.sequence.base import SequenceDecoder

IGNORE = -100
"""Target of a padded position: ignored by the loss and the metrics."""

SCHEDULES = ("constant", "linear", "inverse_sigmoid", "exponential")


def shift_right(targets: Tensor, start_token: int, ignore_index: int = IGNORE) -> Tensor:
    """Return the teacher-forcing inputs of ``targets`` (B, L): start token, then targets.

    Ignored (padded) targets become start tokens in the inputs; their outputs are
    ignored anyway and, the decoders being causal, change nothing before them.
    """
    inputs = torch.full_like(targets, start_token)
    inputs[:, 1:] = targets[:, :-1]
    return inputs.masked_fill(inputs == ignore_index, start_token)


def inverse_sigmoid_k(midpoint: float) -> float:
    """Return k >= 1 with ``k ln k = midpoint``: the inverse-sigmoid schedule's ε is then
    ``k / (k + k) = 1/2`` at step ``midpoint``.

    Raises:
        ValueError: for a negative midpoint.
    """
    if midpoint < 0:
        raise ValueError(f"midpoint must be non-negative, not {midpoint}")
    low, high = 1.0, max(2.0, midpoint + 2.0)
    for _ in range(200):
        mid = 0.5 * (low + high)
        if mid * math.log(mid) < midpoint:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


@dataclass(frozen=True)
class SamplingSchedule:
    """How often scheduled sampling feeds the model's own predictions.

    Attributes:
        kind: one of ``SCHEDULES``.
        steps: training steps of the whole run (the ramp's length).
        max_prob: the feeding probability the ramp approaches (``constant``: always).
    """

    kind: str = "inverse_sigmoid"
    steps: int = 1000
    max_prob: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.kind!r} (known: {', '.join(SCHEDULES)})")
        if self.steps < 1 or not 0.0 <= self.max_prob <= 1.0:
            raise ValueError("steps must be positive and max_prob a probability")

    def teacher_prob(self, step: int) -> float:
        """Return Bengio's ``ε_i`` of step ``i`` on the scale of ``max_prob``: 1 = always
        the true token, ``1 - max_prob`` = as far as the schedule goes."""
        return 1.0 - self.feed_prob(step) / self.max_prob if self.max_prob > 0 else 1.0

    def feed_prob(self, step: int) -> float:
        """Return ``p = max_prob (1 - ε_i)``, the probability of feeding a prediction."""
        if self.kind == "constant":
            return self.max_prob
        i = max(0, step)
        if self.kind == "linear":
            epsilon = max(0.0, 1.0 - i / self.steps)
        elif self.kind == "inverse_sigmoid":
            k = inverse_sigmoid_k(self.steps / 2)
            epsilon = k / (k + math.exp(min(i / k, 700.0)))
        else:  # exponential, halfway at mid-training
            epsilon = 0.5 ** (i / (self.steps / 2))
        return self.max_prob * (1.0 - epsilon)


def scheduled_sampling_inputs(
    decoder: SequenceDecoder,
    inputs: Tensor,
    context: Tensor,
    feed_prob: float,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Return ``inputs`` (B, L) with each token after the first replaced, with
    probability ``feed_prob``, by the decoder's greedy prediction of it.

    The predictions are those of a teacher-forced pass without gradients (see the
    module docstring).  ``feed_prob = 0`` returns ``inputs`` itself: teacher forcing.

    Raises:
        ValueError: for a probability outside [0, 1].
    """
    if not 0.0 <= feed_prob <= 1.0:
        raise ValueError(f"feed_prob must be in [0, 1], not {feed_prob}")
    if feed_prob == 0.0 or inputs.shape[1] < 2:
        return inputs
    with torch.no_grad():
        predicted = decoder(inputs, context).argmax(dim=-1)
    draw = torch.rand(
        inputs.shape[0], inputs.shape[1] - 1, generator=generator, device=inputs.device
    )
    mixed = inputs.clone()
    mixed[:, 1:] = torch.where(draw < feed_prob, predicted[:, :-1], inputs[:, 1:])
    return mixed


def sequence_loss(logits: Tensor, targets: Tensor, ignore_index: int = IGNORE) -> Tensor:
    """Return the mean cross-entropy of logits (B, L, V) against targets (B, L)."""
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=ignore_index
    )


Mask = Callable[[Tensor, Tensor], Tensor]
"""``mask(prefix (B, t), logits (B, V)) -> logits``: forbid tokens by setting -inf."""


@torch.no_grad()
def greedy_decode(
    decoder: SequenceDecoder,
    context: Tensor,
    start_token: int,
    max_len: int,
    end_token: int | None = None,
    mask: Mask | None = None,
) -> Tensor:
    """Decode the most likely token at each step, up to ``max_len`` tokens.

    Args:
        decoder: any decoder (its mode is left as it is; call ``eval()`` first).
        context: (B, T, D) or (B, D).
        start_token: input token 0.
        max_len: most tokens to write.
        end_token: after writing it a sequence writes only it; decoding stops when
            every sequence has.
        mask: a hook that may forbid tokens at each step.

    Returns:
        int64 (B, l) with l <= ``max_len``.
    """
    batch = context.shape[0]
    prefix = torch.full((batch, 1), start_token, dtype=torch.long, device=context.device)
    finished = torch.zeros(batch, dtype=torch.bool, device=context.device)
    state = None
    written = []
    for _ in range(max_len):
        logits, state = decoder.next_logits(prefix, context, state)
        if mask is not None:
            logits = mask(prefix, logits)
        token = logits.argmax(dim=-1)
        if end_token is not None:
            token = token.masked_fill(finished, end_token)
            finished |= token == end_token
        written.append(token)
        prefix = torch.cat([prefix, token.unsqueeze(1)], dim=1)
        if end_token is not None and bool(finished.all()):
            break
    return torch.stack(written, dim=1)


def sequences_per_second(
    decode: Callable[[], object],
    sequences: int,
    min_seconds: float = 0.5,
    max_calls: int = 1000,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Return ``sequences`` times the calls of ``decode()`` per second of ``clock``.

    Calls once to warm up, then repeatedly until ``min_seconds`` of ``clock`` have
    passed (at most ``max_calls`` times).  ``clock`` is wall time by default; on a
    shared machine ``time.process_time`` (CPU seconds of this process) gives the rate
    an idle machine would see with the same threads.
    """
    decode()
    calls, start, elapsed = 0, clock(), 0.0
    while calls < max_calls:
        decode()
        calls += 1
        elapsed = clock() - start
        if elapsed >= min_seconds:
            break
    return sequences * calls / max(elapsed, 1e-9)


__all__ = [
    "IGNORE",
    "SCHEDULES",
    "Mask",
    "SamplingSchedule",
    "greedy_decode",
    "inverse_sigmoid_k",
    "scheduled_sampling_inputs",
    "sequence_loss",
    "sequences_per_second",
    "shift_right",
]
