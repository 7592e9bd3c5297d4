"""Attention over token sequences: scaled dot-product, multi-head, and additive.

Notation as in Vaswani et al. 2017 ("Attention Is All You Need") and Bahdanau et al.
2015 ("Neural Machine Translation by Jointly Learning to Align and Translate"):
queries Q (B, Lq, d), keys K (B, Lk, d), values V (B, Lk, d); a mask says which key
each query may see.

* ``scaled_dot_product_attention``: ``softmax(Q Kᵀ / sqrt(d_k) + mask) V``, written
  out with ``matmul`` so that ``nn.flops`` counts its two products (through
  ``MultiHeadAttention.own_macs``); the tests check it against
  ``torch.nn.functional.scaled_dot_product_attention``.
* ``causal_mask``: the lower-triangular mask of a decoder's self-attention.
* ``MultiHeadAttention``: h heads of width d/h on projected Q, K, V, concatenated and
  projected back; self-attention (``forward(x, x, x, mask)``) or cross-attention
  (queries from the decoder, keys and values from the encoder's tokens).
* ``AdditiveAttention``: Bahdanau's ``vᵀ tanh(W_q q + W_k k)`` scores of one query
  per step against precomputed keys (the GRU decoder's attention).

``nn.trunks.transformer`` has attention too, but over the points of a square feature
map with a 2-D relative bias; sequences need 1-D masks and cross-attention, hence
this module.  Nothing here knows of Go.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch import nn as tnn


def causal_mask(length: int, device: torch.device | str | None = None) -> Tensor:
    """Return bool (length, length): entry (i, j) is True when query i may see key j (j <= i).

    Raises:
        ValueError: for a length below 1.
    """
    if length < 1:
        raise ValueError(f"length must be at least 1, not {length}")
    return torch.ones(length, length, dtype=torch.bool, device=device).tril()


def scaled_dot_product_attention(
    q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Attend: ``softmax(q kᵀ / sqrt(d_k))`` over the keys ``mask`` allows, times ``v``.

    Args:
        q: (..., Lq, d_k) queries.
        k: (..., Lk, d_k) keys.
        v: (..., Lk, d_v) values.
        mask: bool broadcastable to (..., Lq, Lk), True where a query may see a key,
            or None (every key).  Every query must see at least one key.

    Returns:
        The mixed values (..., Lq, d_v) and the attention weights (..., Lq, Lk).
    """
    scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return torch.matmul(weights, v), weights


class MultiHeadAttention(tnn.Module):
    """Multi-head scaled dot-product attention (Vaswani et al. 2017, section 3.2.2).

    Args:
        d_model: d, the width of queries and of the output; divisible by ``heads``.
        heads: h.
        d_kv: width of the key/value inputs (default d; the encoder's width for
            cross-attention).

    Raises:
        ValueError: if ``d_model`` is not a positive multiple of ``heads``.
    """

    def __init__(self, d_model: int, heads: int, d_kv: int | None = None) -> None:
        super().__init__()
        if heads < 1 or d_model < 1 or d_model % heads:
            raise ValueError(f"d_model ({d_model}) must be a positive multiple of heads ({heads})")
        d_kv = d_model if d_kv is None else d_kv
        self.heads = heads
        self.head_dim = d_model // heads
        self.q = tnn.Linear(d_model, d_model)
        self.k = tnn.Linear(d_kv, d_model)
        self.v = tnn.Linear(d_kv, d_model)
        self.out = tnn.Linear(d_model, d_model)

    def _split(self, x: Tensor) -> Tensor:
        b, length, _ = x.shape
        return x.reshape(b, length, self.heads, self.head_dim).transpose(1, 2)

    def forward(
        self, query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None
    ) -> Tensor:
        """Attend: query (B, Lq, d), key/value (B, Lk, d_kv) -> (B, Lq, d).

        Args:
            mask: bool (Lq, Lk) or (B, 1, Lq, Lk), True where a query may see a key.
        """
        return self.attend(query, *self.project_kv(key, value), mask)

    def project_kv(self, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
        """Return the projected keys and values, split into heads: (B, h, Lk, d/h) each
        (decoding caches them: the context's once, a new token's one at a time)."""
        return self._split(self.k(key)), self._split(self.v(value))

    def attend(self, query: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
        """Attend: query (B, Lq, d) to projected keys/values (B, h, Lk, d/h) -> (B, Lq, d)."""
        b, lq, d = query.shape
        mixed, _ = scaled_dot_product_attention(self._split(self.q(query)), k, v, mask)
        return self.out(mixed.transpose(1, 2).reshape(b, lq, d))

    def own_macs(self, inputs: tuple[Tensor, ...], output: Tensor) -> int:
        """Return the multiply-adds of ``q kᵀ`` and ``weights v`` (``nn.flops``)."""
        query, key = inputs[0], inputs[1]
        b, lq, d = query.shape
        return 2 * b * lq * key.shape[1] * d


class AdditiveAttention(tnn.Module):
    """Bahdanau's additive attention of one query against a sequence of keys.

    ``score_j = vᵀ tanh(W_q q + W_k k_j)``, weights ``softmax_j(score)``, context
    ``Σ_j weights_j value_j``.  ``project_keys`` computes ``W_k k`` once per
    sequence; each decoding step then costs one ``W_q q``, the scores and the mix.

    Args:
        query_dim: width of the query (the decoder's hidden state).
        key_dim: width of the keys and values (the encoder's tokens).
        attention_dim: width of the hidden layer of the score.
    """

    def __init__(self, query_dim: int, key_dim: int, attention_dim: int) -> None:
        super().__init__()
        self.w_q = tnn.Linear(query_dim, attention_dim, bias=False)
        self.w_k = tnn.Linear(key_dim, attention_dim)
        self.v = tnn.Linear(attention_dim, 1, bias=False)

    def project_keys(self, keys: Tensor) -> Tensor:
        """Return ``W_k keys``: keys (B, T, key_dim) -> (B, T, attention_dim)."""
        return self.w_k(keys)

    def forward(
        self, query: Tensor, projected_keys: Tensor, values: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Attend: query (B, query_dim), projected keys (B, T, A), values (B, T, D).

        Returns:
            The context (B, D) and the weights (B, T).
        """
        scores = self.v(torch.tanh(projected_keys + self.w_q(query).unsqueeze(1))).squeeze(-1)
        weights = torch.softmax(scores, dim=-1)
        return torch.bmm(weights.unsqueeze(1), values).squeeze(1), weights

    def own_macs(self, inputs: tuple[Tensor, ...], output: tuple[Tensor, Tensor]) -> int:
        """Return the multiply-adds of the weighted sum of the values (``nn.flops``)."""
        values = inputs[2]
        return int(values.numel())


__all__ = ["AdditiveAttention", "MultiHeadAttention", "causal_mask", "scaled_dot_product_attention"]
