"""Teacher forcing, scheduled sampling, schedules and greedy decoding (nn.sequence.sampling).

A small Transformer and GRU decoder on random tokens; the schedules are checked at
their ends and midpoints, scheduled sampling at p = 0 against teacher forcing and at
p = 1 against the decoder's own predictions.
"""

from __future__ import annotations

import math

import pytest
import torch

from nn.sequence.gru import GRUAttentionDecoder
from nn.sequence.sampling import (
    IGNORE,
    SamplingSchedule,
    greedy_decode,
    inverse_sigmoid_k,
    scheduled_sampling_inputs,
    sequence_loss,
    sequences_per_second,
    shift_right,
)
from nn.sequence.transformer import TransformerDecoder

V, D = 9, 8
START = V  # the input vocabulary's extra token


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def decoders() -> list[torch.nn.Module]:
    return [
        TransformerDecoder(V, D, d_model=16, heads=2, layers=1, max_len=12),
        GRUAttentionDecoder(V, D, hidden=16, embed_dim=8),
    ]


def test_shift_right_starts_with_the_start_token_and_hides_padding() -> None:
    targets = torch.tensor([[3, 4, 5, IGNORE], [6, IGNORE, IGNORE, IGNORE]])
    assert shift_right(targets, START).tolist() == [[START, 3, 4, 5], [START, 6, START, START]]


@pytest.mark.parametrize("index", [0, 1])
def test_scheduled_sampling_at_zero_is_teacher_forcing(index: int) -> None:
    decoder = decoders()[index]
    targets = torch.randint(0, V, (4, 6))
    context = torch.randn(4, 5, D)
    inputs = shift_right(targets, START)
    mixed = scheduled_sampling_inputs(decoder, inputs, context, 0.0)
    assert torch.equal(mixed, inputs)
    teacher = sequence_loss(decoder(inputs, context), targets)
    assert torch.equal(sequence_loss(decoder(mixed, context), targets), teacher)


def test_scheduled_sampling_at_one_feeds_the_models_own_predictions() -> None:
    decoder = decoders()[0].eval()
    inputs = shift_right(torch.randint(0, V, (4, 6)), START)
    context = torch.randn(4, 5, D)
    mixed = scheduled_sampling_inputs(decoder, inputs, context, 1.0)
    predicted = decoder(inputs, context).argmax(-1)
    assert torch.equal(mixed[:, 0], inputs[:, 0])
    assert torch.equal(mixed[:, 1:], predicted[:, :-1])
    half = scheduled_sampling_inputs(
        decoder, inputs, context, 0.5, torch.Generator().manual_seed(1)
    )
    replaced = (half[:, 1:] != inputs[:, 1:]) & (half[:, 1:] == predicted[:, :-1])
    kept = half[:, 1:] == inputs[:, 1:]
    assert (replaced | kept).all() and replaced.any()
    with pytest.raises(ValueError):
        scheduled_sampling_inputs(decoder, inputs, context, 1.5)


@pytest.mark.parametrize("kind", ["linear", "inverse_sigmoid", "exponential"])
def test_schedules_rise_from_teacher_forcing_to_the_maximum(kind: str) -> None:
    schedule = SamplingSchedule(kind, steps=1000, max_prob=0.4)
    probs = [schedule.feed_prob(step) for step in range(0, 1001, 50)]
    assert probs == sorted(probs)
    assert probs[0] < 0.02 and 0.15 < schedule.feed_prob(500) < 0.25
    assert probs[-1] > 0.29 and all(p <= 0.4 for p in probs)  # exponential: ε = 1/4 at the end
    assert schedule.teacher_prob(0) > 0.95


def test_inverse_sigmoid_k_puts_the_midpoint_where_asked() -> None:
    k = inverse_sigmoid_k(500)
    assert math.isclose(k * math.log(k), 500, rel_tol=1e-6)
    assert math.isclose(k / (k + math.exp(500 / k)), 0.5, rel_tol=1e-6)
    assert SamplingSchedule("constant", 10, 0.3).feed_prob(0) == 0.3
    with pytest.raises(ValueError):
        SamplingSchedule("cosine")


@pytest.mark.parametrize("index", [0, 1])
def test_greedy_decoding_follows_the_argmax_and_stops_at_the_end(index: int) -> None:
    decoder = decoders()[index].eval()
    context = torch.randn(3, 5, D)
    end = 2
    decoded = greedy_decode(decoder, context, START, 8, end_token=end)
    assert decoded.shape[0] == 3 and decoded.shape[1] <= 8
    inputs = torch.cat([torch.full((3, 1), START), decoded[:, :-1]], dim=1)
    expected = decoder(inputs, context).argmax(-1)
    for row in range(3):
        tokens = decoded[row].tolist()
        stop = tokens.index(end) if end in tokens else len(tokens)
        assert tokens[: stop + 1] == expected[row, : stop + 1].tolist()
        assert all(t == end for t in tokens[stop:])

    def no_zero_or_one(prefix: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        return logits.index_fill(1, torch.tensor([0, 1]), float("-inf"))

    forbid = greedy_decode(decoder, context, START, 4, mask=no_zero_or_one)
    assert (forbid >= 2).all()


def test_sequences_per_second_counts_calls_per_clock_second() -> None:
    ticks = iter(range(100))
    rate = sequences_per_second(lambda: None, 8, min_seconds=3, clock=lambda: float(next(ticks)))
    assert rate == pytest.approx(8 * 3 / 3)
