"""A Transformer decoder (Vaswani et al. 2017): causal self-attention, cross-attention.

Each of ``layers`` blocks is pre-norm (as in ``nn.trunks.transformer``)::

    x = x + SelfAttention(LN(x), causal mask)     # each position sees itself and before
    x = x + CrossAttention(LN(x), context tokens) # the encoder's tokens, all of them
    x = x + FFN(LN(x))                            # Linear(d -> f), act, Linear(f -> d)

Input tokens are embedded, scaled by ``sqrt(d)`` as in the paper, and given a
positional encoding: ``"sinusoidal"`` (the paper's fixed sin/cos of geometric
wavelengths) or ``"learned"`` (one trained vector per position).  A final LayerNorm
and a Linear give the logits.  Decoding (``next_logits``) runs one new position at a
time against cached keys and values, the context's projected once per sequence.
Nothing here knows of Go.
"""

from __future__ import annotations

import math
from typing import Any, cast

import torch
from torch import Tensor
from torch import nn as tnn

from nn.norms import make_act
from nn.sequence.attention import MultiHeadAttention, causal_mask
from nn.sequence.base import SequenceDecoder, context_tokens

POSITIONAL = ("sinusoidal", "learned")


def sinusoidal_encoding(length: int, d_model: int) -> Tensor:
    """Return float (length, d): ``PE[p, 2i] = sin(p / 10000^(2i/d))``, ``PE[p, 2i+1] = cos(...)``.

    Raises:
        ValueError: for a length below 1 or an odd or non-positive ``d_model``.
    """
    if length < 1 or d_model < 2 or d_model % 2:
        raise ValueError(f"need length >= 1 and an even d_model >= 2: {length}, {d_model}")
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    rate = torch.exp(
        torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model)
    )
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate)
    return table


class PositionalEncoding(tnn.Module):
    """Add a position's vector to each token: fixed sinusoids or learned vectors.

    Args:
        kind: ``"sinusoidal"`` or ``"learned"``.
        max_len: the longest sequence.
        d_model: d.

    Raises:
        ValueError: for an unknown kind or bad sizes.
    """

    table: Tensor

    def __init__(self, kind: str, max_len: int, d_model: int) -> None:
        super().__init__()
        if kind not in POSITIONAL:
            raise ValueError(f"unknown positional encoding {kind!r} (known: {POSITIONAL})")
        self.kind = kind
        self.max_len = max_len
        if kind == "learned":
            self.learned = tnn.Parameter(torch.randn(max_len, d_model) * 0.02)
        else:
            self.register_buffer("table", sinusoidal_encoding(max_len, d_model), persistent=False)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        """Add: x (B, L, d) holding positions ``offset .. offset + L - 1`` -> (B, L, d).

        Raises:
            ValueError: for a sequence longer than ``max_len``.
        """
        end = offset + x.shape[1]
        if end > self.max_len:
            raise ValueError(f"sequence of {end} tokens, longer than max_len {self.max_len}")
        table = self.learned if self.kind == "learned" else self.table
        return x + table[offset:end]


class DecoderLayer(tnn.Module):
    """Pre-norm decoder block: causal self-attention, cross-attention, feed-forward.

    Args:
        d_model: d.
        heads: attention heads.
        ffn_dim: f, the feed-forward width.
        context_dim: width of the context tokens.
        act: activation of the feed-forward (``nn.norms``).
    """

    def __init__(
        self, d_model: int, heads: int, ffn_dim: int, context_dim: int, act: str = "gelu"
    ) -> None:
        super().__init__()
        self.norm1 = tnn.LayerNorm(d_model)
        self.self_attention = MultiHeadAttention(d_model, heads)
        self.norm2 = tnn.LayerNorm(d_model)
        self.cross_attention = MultiHeadAttention(d_model, heads, context_dim)
        self.norm3 = tnn.LayerNorm(d_model)
        self.ffn = tnn.Sequential(
            tnn.Linear(d_model, ffn_dim), make_act(act), tnn.Linear(ffn_dim, d_model)
        )

    def forward(self, x: Tensor, context: Tensor, mask: Tensor) -> Tensor:
        """Apply: x (B, L, d), context (B, T, context_dim), mask bool (L, L) -> (B, L, d)."""
        h = self.norm1(x)
        x = x + self.self_attention(h, h, h, mask)
        x = x + self.cross_attention(self.norm2(x), context, context)
        return x + self.ffn(self.norm3(x))

    def step(self, x: Tensor, cache: list[Tensor]) -> Tensor:
        """Apply to one new position: x (B, 1, d) -> (B, 1, d), given and extending
        ``cache`` = [context keys, context values, past keys, past values] (heads split;
        the past ones grow by this position)."""
        h = self.norm1(x)
        k, v = self.self_attention.project_kv(h, h)
        cache[2] = torch.cat([cache[2], k], dim=2)
        cache[3] = torch.cat([cache[3], v], dim=2)
        x = x + self.self_attention.attend(h, cache[2], cache[3])  # the past only: causal
        x = x + self.cross_attention.attend(self.norm2(x), cache[0], cache[1])
        return x + self.ffn(self.norm3(x))


class TransformerDecoder(SequenceDecoder):
    """Transformer decoder over input tokens with cross-attention to the context tokens.

    Args:
        vocab: V, output classes.
        context_dim: D, width of the context tokens.
        d_model: d.
        heads: attention heads (d divisible by it).
        layers: decoder blocks.
        ffn_dim: f (default 4 d).
        max_len: the longest input sequence.
        positional: ``"sinusoidal"`` or ``"learned"``.
        input_vocab: input tokens (default V + 1).
        act: activation of the feed-forward.

    Raises:
        ValueError: for bad sizes or an unknown name.
    """

    def __init__(
        self,
        vocab: int,
        context_dim: int,
        d_model: int = 64,
        heads: int = 4,
        layers: int = 2,
        ffn_dim: int | None = None,
        max_len: int = 64,
        positional: str = "sinusoidal",
        input_vocab: int | None = None,
        act: str = "gelu",
    ) -> None:
        super().__init__(vocab, input_vocab, context_dim)
        if layers < 1:
            raise ValueError(f"layers must be at least 1, not {layers}")
        self.d_model = d_model
        self.heads = heads
        self.embed = tnn.Embedding(self.input_vocab, d_model)
        # the paper scales embeddings by sqrt(d): start them at std d^-1/2 so the scaled
        # tokens have unit size, like the positional encoding (torch's default N(0, 1)
        # would drown it by sqrt(d))
        tnn.init.normal_(self.embed.weight, std=d_model**-0.5)
        self.position = PositionalEncoding(positional, max_len, d_model)
        self.layers = tnn.ModuleList(
            DecoderLayer(d_model, heads, ffn_dim or 4 * d_model, context_dim, act)
            for _ in range(layers)
        )
        self.final_norm = tnn.LayerNorm(d_model)
        self.out = tnn.Linear(d_model, vocab)

    def forward(self, inputs: Tensor, context: Tensor) -> Tensor:
        """Return logits (B, L, V) of inputs (B, L) given context (B, T, D) or (B, D)."""
        self.check_inputs(inputs, context)
        tokens = context_tokens(context)
        x = self.position(self.embed(inputs) * math.sqrt(self.d_model))
        mask = causal_mask(inputs.shape[1], inputs.device)
        for layer in self.layers:
            x = layer(x, tokens, mask)
        return self.out(self.final_norm(x))

    def next_logits(self, inputs: Tensor, context: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """Return the logits (B, V) after ``inputs`` (B, t), running only the tokens the
        state has not seen, one position at a time with cached keys and values (the
        context's projected once per sequence)."""
        self.check_inputs(inputs, context)
        layers = [cast(DecoderLayer, layer) for layer in self.layers]
        if state is None:
            tokens = context_tokens(context)
            empty = tokens.new_zeros(tokens.shape[0], self.heads, 0, self.d_model // self.heads)
            caches = [
                [*layer.cross_attention.project_kv(tokens, tokens), empty, empty]
                for layer in layers
            ]
            state = (0, caches)
        consumed, caches = state
        if consumed >= inputs.shape[1]:
            raise ValueError(f"state after {consumed} tokens, prefix of {inputs.shape[1]}")
        for position in range(consumed, inputs.shape[1]):
            x = self.position(
                self.embed(inputs[:, position : position + 1]) * math.sqrt(self.d_model),
                offset=position,
            )
            for layer, cache in zip(layers, caches, strict=True):
                x = layer.step(x, cache)
        return self.out(self.final_norm(x))[:, 0], (inputs.shape[1], caches)


__all__ = [
    "POSITIONAL",
    "DecoderLayer",
    "PositionalEncoding",
    "TransformerDecoder",
    "sinusoidal_encoding",
]
