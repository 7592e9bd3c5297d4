"""The three decoders of nn.sequence: shapes, causality, receptive field, gradients, counts.

Every decoder is small (tens of thousands of parameters) and runs on random tokens
and a random context, so each test takes milliseconds.  Counts are checked twice:
parameters against formulas written out here from the architecture, multiply-adds
(``nn.flops.count_macs``) against those formulas and against
``torch.utils.flop_counter`` (which counts two flops per multiply-add).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from nn.flops import count_macs
from nn.sequence.base import SequenceDecoder, context_summary
from nn.sequence.gru import GRUAttentionDecoder
from nn.sequence.transformer import TransformerDecoder, sinusoidal_encoding
from nn.sequence.wavenet import CausalConv1d, WaveNetDecoder

V, D, T, B, L = 11, 12, 9, 3, 8  # vocab, context width, context tokens, batch, length
H, E, A = 20, 10, 14  # GRU hidden, embedding, attention widths
C, S, K, DILATIONS = 8, 6, 2, (1, 2, 4, 1, 2)  # WaveNet channels, skip, kernel, dilations
DM, HEADS, LAYERS, FFN = 16, 4, 2, 24  # Transformer widths


def gru() -> SequenceDecoder:
    return GRUAttentionDecoder(V, D, hidden=H, embed_dim=E, attention_dim=A)


def wavenet() -> SequenceDecoder:
    return WaveNetDecoder(V, D, channels=C, skip_channels=S, kernel_size=K, dilations=DILATIONS)


def transformer(positional: str = "sinusoidal") -> SequenceDecoder:
    return TransformerDecoder(
        V, D, d_model=DM, heads=HEADS, layers=LAYERS, ffn_dim=FFN, max_len=L, positional=positional
    )


def transformer_learned() -> SequenceDecoder:
    return transformer("learned")


DECODERS: dict[str, Callable[[], SequenceDecoder]] = {
    "gru": gru,
    "wavenet": wavenet,
    "transformer": transformer,
    "transformer-learned": transformer_learned,
}

VIN = V + 1  # input vocabulary: outputs and a start token
EXPECTED_PARAMS = {
    "gru": VIN * E
    + (D * H + H)
    + (H * A + D * A + A + A)
    + (3 * H * (E + D + H) + 6 * H)
    + ((H + D) * V + V),
    "wavenet": VIN * C
    + len(DILATIONS) * ((C * 2 * C * K + 2 * C) + D * 2 * C + (C * S + S))
    + (len(DILATIONS) - 1) * (C * C + C)
    + (S * S + S)
    + (S * V + V),  # last: no residual
    "transformer": VIN * DM
    + LAYERS
    * (
        3 * 2 * DM
        + 4 * (DM * DM + DM)
        + 2 * (DM * DM + DM)
        + 2 * (D * DM + DM)
        + (DM * FFN + FFN)
        + (FFN * DM + DM)
    )
    + 2 * DM
    + (DM * V + V),
}
EXPECTED_PARAMS["transformer-learned"] = EXPECTED_PARAMS["transformer"] + L * DM

EXPECTED_MACS = {  # one forward of B sequences of L tokens on T context tokens
    "gru": B
    * (D * H + T * D * A + L * (H * A + T * A + T * D + 3 * H * (E + D + H)) + L * (H + D) * V),
    "wavenet": B
    * (
        L
        * (len(DILATIONS) * (2 * C * C * K + C * S) + (len(DILATIONS) - 1) * C * C + S * S + S * V)
        + len(DILATIONS) * D * 2 * C
    ),
    "transformer": B
    * (
        LAYERS
        * (
            4 * L * DM * DM
            + 2 * L * L * DM
            + 2 * L * DM * DM
            + 2 * T * D * DM
            + 2 * L * T * DM
            + 2 * L * DM * FFN
        )
        + L * DM * V
    ),
}
EXPECTED_MACS["transformer-learned"] = EXPECTED_MACS["transformer"]


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def example() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randint(0, VIN, (B, L)), torch.randn(B, T, D)


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_logits_have_one_row_per_input_token(name: str) -> None:
    decoder = DECODERS[name]()
    inputs, context = example()
    assert decoder(inputs, context).shape == (B, L, V)
    assert decoder(inputs[:, :1], context).shape == (B, 1, V)
    assert decoder(inputs, context[:, 0]).shape == (B, L, V)  # one context vector
    with pytest.raises(ValueError):
        decoder(inputs, torch.randn(B + 1, T, D))
    with pytest.raises(ValueError):
        decoder(inputs, torch.randn(B, T, D + 1))


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_a_future_token_changes_no_earlier_output(name: str) -> None:
    decoder = DECODERS[name]().eval()
    inputs, context = example()
    base = decoder(inputs, context)
    for t in range(L):
        changed = inputs.clone()
        changed[:, t] = (changed[:, t] + 1 + torch.arange(B)) % VIN
        out = decoder(changed, context)
        assert torch.equal(out[:, :t], base[:, :t]), f"outputs before {t} moved"
        assert not torch.allclose(out[:, t], base[:, t]), f"output {t} ignores its own input"


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_the_context_reaches_every_output(name: str) -> None:
    decoder = DECODERS[name]().eval()
    inputs, context = example()
    base = decoder(inputs, context)
    moved = decoder(inputs, context + 0.5 * torch.randn_like(context))
    assert ((moved - base).abs().amax(dim=-1) > 1e-4).all()


def test_wavenet_receptive_field_is_the_computed_one() -> None:
    decoder = WaveNetDecoder(
        V, D, channels=C, skip_channels=S, kernel_size=3, dilations=(1, 2, 4)
    ).eval()
    assert decoder.receptive_field == 1 + 2 * (1 + 2 + 4) == 15
    length = 24
    inputs, context = torch.randint(0, VIN, (1, length)), torch.randn(1, T, D)
    base = decoder(inputs, context)
    reach = 0
    for s in range(length):
        changed = inputs.clone()
        changed[0, s] = (changed[0, s] + 1) % VIN
        moved = (decoder(changed, context) - base).abs().amax(dim=-1)[0] > 0
        seen = torch.nonzero(moved).flatten().tolist()
        assert seen and min(seen) == s  # causal: nothing before s moves
        assert seen == list(range(s, min(length, s + decoder.receptive_field)))
        reach = max(reach, max(seen) - s + 1)
    assert reach == decoder.receptive_field


def test_causal_conv_sees_exactly_its_taps() -> None:
    conv = CausalConv1d(1, 1, kernel_size=3, dilation=2)
    assert conv.receptive_field == 5
    x = torch.zeros(1, 1, 10)
    x[0, 0, 3] = 1.0
    with torch.no_grad():
        conv.conv.bias.zero_()
        conv.conv.weight.fill_(1.0)
    out = conv(x)[0, 0]
    assert torch.nonzero(out).flatten().tolist() == [3, 5, 7]  # t - 0, t - 2, t - 4 hit 3


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_gradient_reaches_every_parameter(name: str) -> None:
    decoder = DECODERS[name]()
    inputs, context = example()
    context.requires_grad_(True)
    logits = decoder(inputs, context)
    torch.nn.functional.cross_entropy(
        logits.reshape(-1, V), torch.randint(0, V, (B * L,))
    ).backward()
    dead = [n for n, p in decoder.named_parameters() if p.grad is None or not p.grad.any()]
    assert not dead, dead
    assert context.grad is not None and context.grad.any()


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_parameter_count_matches_the_formula(name: str) -> None:
    decoder = DECODERS[name]()
    assert sum(p.numel() for p in decoder.parameters()) == EXPECTED_PARAMS[name]


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_multiply_adds_match_the_formula_and_torch_flop_counter(name: str) -> None:
    decoder = DECODERS[name]()
    inputs, context = example()
    macs = count_macs(decoder, inputs, context)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        decoder(inputs, context)
    assert macs == EXPECTED_MACS[name]
    assert 2 * macs == counter.get_total_flops()


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_next_logits_equal_the_last_row_of_forward(name: str) -> None:
    decoder = DECODERS[name]().eval()
    inputs, context = example()
    full = decoder(inputs, context)
    state = None
    with torch.no_grad():
        for t in range(1, L + 1):
            logits, state = decoder.next_logits(inputs[:, :t], context, state)
            assert torch.allclose(logits, full[:, t - 1], atol=1e-5)


def test_gru_state_must_follow_the_prefix() -> None:
    decoder = gru()
    inputs, context = example()
    with pytest.raises(ValueError):
        decoder.next_logits(inputs[:, :2], context, None)
    _, state = decoder.next_logits(inputs[:, :1], context, None)
    with pytest.raises(ValueError):
        decoder.next_logits(inputs[:, :3], context, state)


def test_sinusoidal_encoding_is_the_papers() -> None:
    table = sinusoidal_encoding(50, 8)
    assert torch.allclose(table[:, 0], torch.sin(torch.arange(50.0)))
    assert torch.allclose(table[:, 1], torch.cos(torch.arange(50.0)))
    assert torch.allclose(table[7, 6], torch.sin(torch.tensor(7.0 / 10000 ** (6 / 8))))
    with pytest.raises(ValueError):
        transformer()(torch.zeros(1, L + 1, dtype=torch.long), torch.randn(1, T, D))


def test_summaries_of_a_token_context() -> None:
    context = torch.randn(2, 5, 3)
    assert torch.equal(context_summary(context, "first"), context[:, 0])
    assert torch.allclose(context_summary(context, "mean"), context.mean(1))
    assert torch.equal(context_summary(context[:, 0], "mean"), context[:, 0])
    with pytest.raises(ValueError):
        context_summary(context, "max")
    with pytest.raises(ValueError):
        GRUAttentionDecoder(V, D, summary="last")
