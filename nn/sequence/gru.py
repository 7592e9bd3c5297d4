"""A GRU decoder with Bahdanau attention: the RNN seq2seq of Bahdanau et al. 2015.

Notation: ``y_t`` the input token of step t, ``s_t`` the hidden state, ``c_t`` the
attention context.  One step::

    c_t = attention(s_{t-1}, context tokens)        # additive, nn.sequence.attention
    s_t = GRU([embed(y_t); c_t], s_{t-1})
    logits_t = W_o [s_t; c_t] + b_o

``s_0 = tanh(W_s summary + b_s)`` with the context's summary vector
(``nn.sequence.base``).  The decoder runs step by step (a recurrence cannot be
parallelised over time); it is causal by construction.  The GRU cell is
``torch.nn.GRUCell`` (Cho et al. 2014); ``CountedGRUCell`` only adds its multiply-add
count for ``nn.flops``.  Nothing here knows of Go.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch import nn as tnn

from nn.sequence.attention import AdditiveAttention
from nn.sequence.base import SequenceDecoder, check_summary, context_summary, context_tokens


class CountedGRUCell(tnn.GRUCell):
    """``torch.nn.GRUCell`` that reports its multiply-adds to ``nn.flops``."""

    def own_macs(self, inputs: tuple[Tensor, ...], output: Tensor) -> int:
        """Return ``B * 3H * (I + H)``: the input and hidden products of one step."""
        return output.shape[0] * 3 * self.hidden_size * (self.input_size + self.hidden_size)


class GRUAttentionDecoder(SequenceDecoder):
    """GRU decoder with additive attention over the context tokens.

    Args:
        vocab: V, output classes.
        context_dim: D, width of the context.
        hidden: H, the GRU's state width.
        embed_dim: E, width of the input token embedding.
        attention_dim: A, width of the attention's score layer (default H).
        input_vocab: input tokens (default V + 1).
        summary: how ``s_0`` reads a token context: ``"first"`` or ``"mean"``.

    Raises:
        ValueError: for bad sizes or an unknown summary.
    """

    def __init__(
        self,
        vocab: int,
        context_dim: int,
        hidden: int = 128,
        embed_dim: int = 64,
        attention_dim: int | None = None,
        input_vocab: int | None = None,
        summary: str = "first",
    ) -> None:
        super().__init__(vocab, input_vocab, context_dim)
        check_summary(summary)
        if hidden < 1 or embed_dim < 1:
            raise ValueError(f"hidden and embed_dim must be positive: {hidden}, {embed_dim}")
        self.summary = summary
        self.hidden = hidden
        self.embed = tnn.Embedding(self.input_vocab, embed_dim)
        self.init_state = tnn.Linear(context_dim, hidden)
        self.attention = AdditiveAttention(hidden, context_dim, attention_dim or hidden)
        self.cell = CountedGRUCell(embed_dim + context_dim, hidden)
        self.out = tnn.Linear(hidden + context_dim, vocab)

    def forward(self, inputs: Tensor, context: Tensor) -> Tensor:
        """Return logits (B, L, V) of inputs (B, L) given context (B, T, D) or (B, D)."""
        self.check_inputs(inputs, context)
        tokens = context_tokens(context)
        keys = self.attention.project_keys(tokens)
        state = torch.tanh(self.init_state(context_summary(context, self.summary)))
        embedded = self.embed(inputs)
        outputs = []
        for t in range(inputs.shape[1]):
            mixed, _ = self.attention(state, keys, tokens)
            state = self.cell(torch.cat([embedded[:, t], mixed], dim=-1), state)
            outputs.append(torch.cat([state, mixed], dim=-1))
        return self.out(torch.stack(outputs, dim=1))

    def next_logits(self, inputs: Tensor, context: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """Return the logits (B, V) after ``inputs`` (B, t), consuming only its last
        token; ``state`` is what the previous call (prefix t - 1) returned, or None
        for t = 1.

        Raises:
            ValueError: if ``state`` belongs to another prefix length.
        """
        self.check_inputs(inputs, context)
        if state is None:
            if inputs.shape[1] != 1:
                raise ValueError("without a state the prefix must be the start token alone")
            tokens = context_tokens(context)
            hidden = torch.tanh(self.init_state(context_summary(context, self.summary)))
            state = (hidden, self.attention.project_keys(tokens), tokens, 0)
        hidden, keys, tokens, consumed = state
        if consumed != inputs.shape[1] - 1:
            raise ValueError(f"state after {consumed} tokens, prefix of {inputs.shape[1]}")
        mixed, _ = self.attention(hidden, keys, tokens)
        hidden = self.cell(torch.cat([self.embed(inputs[:, -1]), mixed], dim=-1), hidden)
        logits = self.out(torch.cat([hidden, mixed], dim=-1))
        return logits, (hidden, keys, tokens, consumed + 1)


__all__ = ["CountedGRUCell", "GRUAttentionDecoder"]
