"""Attention of nn.sequence.attention against independent oracles.

The hand-written scaled dot-product attention is checked against
``torch.nn.functional.scaled_dot_product_attention``, the multi-head module against
``torch.nn.MultiheadAttention`` with the same weights, and the additive attention
against a per-key loop.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn as tnn
from torch.nn import functional as F

from nn.sequence.attention import (
    AdditiveAttention,
    MultiHeadAttention,
    causal_mask,
    scaled_dot_product_attention,
)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def test_causal_mask_lets_each_query_see_itself_and_the_past() -> None:
    assert causal_mask(3).tolist() == [
        [True, False, False],
        [True, True, False],
        [True, True, True],
    ]
    with pytest.raises(ValueError):
        causal_mask(0)


@pytest.mark.parametrize("masked", [False, True])
def test_scaled_dot_product_attention_matches_torch(masked: bool) -> None:
    q, k, v = torch.randn(2, 3, 5, 8), torch.randn(2, 3, 5, 8), torch.randn(2, 3, 5, 6)
    mask = causal_mask(5) if masked else None
    mixed, weights = scaled_dot_product_attention(q, k, v, mask)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.allclose(mixed, expected, atol=1e-5)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 3, 5))
    if masked:
        assert (weights.triu(1) == 0).all()


@pytest.mark.parametrize("masked", [False, True])
def test_multi_head_attention_matches_torch_multihead_attention(masked: bool) -> None:
    d, heads = 16, 4
    ours = MultiHeadAttention(d, heads)
    theirs = tnn.MultiheadAttention(d, heads, batch_first=True)
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([ours.q.weight, ours.k.weight, ours.v.weight]))
        theirs.in_proj_bias.copy_(torch.cat([ours.q.bias, ours.k.bias, ours.v.bias]))
        theirs.out_proj.weight.copy_(ours.out.weight)
        theirs.out_proj.bias.copy_(ours.out.bias)
    query, memory = torch.randn(3, 6, d), torch.randn(3, 6, d)
    mask = causal_mask(6) if masked else None
    got = ours(query, memory, memory, mask)
    # torch's boolean attn_mask is True where attention is *not* allowed
    expected, _ = theirs(query, memory, memory, attn_mask=None if mask is None else ~mask)
    assert torch.allclose(got, expected, atol=1e-5)


def test_cross_attention_takes_keys_of_another_width() -> None:
    attention = MultiHeadAttention(8, 2, d_kv=12)
    out = attention(torch.randn(2, 3, 8), torch.randn(2, 7, 12), torch.randn(2, 7, 12))
    assert out.shape == (2, 3, 8)
    with pytest.raises(ValueError):
        MultiHeadAttention(10, 4)


def test_additive_attention_matches_a_loop_over_the_keys() -> None:
    attention = AdditiveAttention(query_dim=5, key_dim=4, attention_dim=6)
    query, keys = torch.randn(2, 5), torch.randn(2, 7, 4)
    context, weights = attention(query, attention.project_keys(keys), keys)
    for b in range(2):
        scores = torch.stack(
            [
                attention.v(torch.tanh(attention.w_q(query[b]) + attention.w_k(keys[b, j])))[0]
                for j in range(7)
            ]
        )
        expected_weights = torch.softmax(scores, dim=0)
        assert torch.allclose(weights[b], expected_weights, atol=1e-6)
        assert torch.allclose(context[b], expected_weights @ keys[b], atol=1e-6)
