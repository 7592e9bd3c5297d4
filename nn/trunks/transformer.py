"""Transformer trunk over the board's points as tokens, with a 2-D relative position bias.

Vaswani et al. 2017, "Attention Is All You Need", encoder only, pre-norm.  Each of the
H*W points is a token of ``channels`` (d) features.  A block is::

    x = x + attention(norm(x))        # multi-head scaled dot-product self-attention
    x = x + mlp(norm(x))              # Linear(d -> r d), Act, Linear(r d -> d)

Attention of head h between points i and j is ``softmax_j(q_i . k_j / sqrt(d_h) +
b_h[Δrow, Δcol])``: a learned bias per head for each 2-D offset (Δrow, Δcol) in
``-(S-1) .. S-1`` (Swin's relative position bias), so a trunk is built for one board
size S (as the Go network is).  Tokens come from a Conv3x3-Norm-Act stem.

Layout: the trunk keeps tokens as feature maps ``(N, d, H, W)`` so that every norm of
``nn.norms`` applies unchanged (``layer`` normalises each example over (d, H, W),
``group``/``instance``/``batch`` as for convolutions); attention reshapes to
``(N, heads, H*W, d_h)``.  The matrix products are written out (``matmul``) rather than
calling ``scaled_dot_product_attention``, so that ``nn.flops`` can count them.
Nothing here knows of Go.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch import nn as tnn

from nn.blocks import ConvNormAct
from nn.norms import make_act, make_norm


class RelativePositionBias(tnn.Module):
    """Learned bias per head for each 2-D offset between two points of an S x S grid.

    Args:
        size: S.
        heads: attention heads.
    """

    index: Tensor

    def __init__(self, size: int, heads: int) -> None:
        super().__init__()
        self.size = size
        span = 2 * size - 1
        self.table = tnn.Parameter(torch.zeros(heads, span * span))
        rows, cols = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
        rows, cols = rows.reshape(-1), cols.reshape(-1)
        d_row = rows[:, None] - rows[None, :] + size - 1
        d_col = cols[:, None] - cols[None, :] + size - 1
        self.register_buffer("index", d_row * span + d_col, persistent=False)
        tnn.init.trunc_normal_(self.table, std=0.02)

    def forward(self) -> Tensor:
        """Return the bias (heads, S*S, S*S)."""
        return self.table[:, self.index]


class MultiHeadSelfAttention(tnn.Module):
    """Multi-head scaled dot-product self-attention over the points of a feature map.

    Args:
        channels: d, divisible by ``heads``.
        heads: attention heads.
        size: S, the side of the maps it sees (for the relative bias).

    Raises:
        ValueError: if ``channels`` is not divisible by ``heads``.
    """

    def __init__(self, channels: int, heads: int, size: int) -> None:
        super().__init__()
        if heads < 1 or channels % heads:
            raise ValueError(f"channels ({channels}) must be divisible by heads ({heads})")
        self.heads = heads
        self.head_dim = channels // heads
        self.qkv = tnn.Linear(channels, 3 * channels)
        self.out = tnn.Linear(channels, channels)
        self.bias = RelativePositionBias(size, heads)

    def forward(self, x: Tensor) -> Tensor:
        """Attend: x (N, d, H, W) -> (N, d, H, W).

        Raises:
            ValueError: if H or W is not the size the bias was built for.
        """
        n, d, h, w = x.shape
        if h != self.bias.size or w != self.bias.size:
            raise ValueError(f"built for {self.bias.size}x{self.bias.size} maps, got {h}x{w}")
        tokens = x.flatten(2).transpose(1, 2)  # (N, T, d)
        qkv = self.qkv(tokens).reshape(n, h * w, 3, self.heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (N, heads, T, d_h)
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.head_dim)
        weights = torch.softmax(scores + self.bias(), dim=-1)
        mixed = torch.matmul(weights, v).transpose(1, 2).reshape(n, h * w, d)
        return self.out(mixed).transpose(1, 2).reshape(n, d, h, w)

    def own_macs(self, inputs: tuple[Tensor, ...], output: Tensor) -> int:
        """Return the multiply-adds of the two attention products (``nn.flops``)."""
        n, d, h, w = inputs[0].shape
        tokens = h * w
        return 2 * n * tokens * tokens * d


class PointwiseMLP(tnn.Module):
    """Per-point MLP: Linear(d -> r d), Act, Linear(r d -> d), on (N, d, H, W) maps."""

    def __init__(self, channels: int, ratio: int, act: str) -> None:
        super().__init__()
        self.fc1 = tnn.Linear(channels, ratio * channels)
        self.act = make_act(act)
        self.fc2 = tnn.Linear(ratio * channels, channels)

    def forward(self, x: Tensor) -> Tensor:
        """Apply: x (N, d, H, W) -> (N, d, H, W)."""
        tokens = x.permute(0, 2, 3, 1)
        return self.fc2(self.act(self.fc1(tokens))).permute(0, 3, 1, 2)


class TransformerBlock(tnn.Module):
    """Pre-norm encoder block: x + attention(norm(x)), then x + mlp(norm(x)).

    Args:
        channels: d.
        heads: attention heads.
        size: S.
        mlp_ratio: r, the MLP's width in units of d.
        norm: norm name.
        act: activation name of the MLP.
    """

    def __init__(
        self, channels: int, heads: int, size: int, mlp_ratio: int, norm: str, act: str
    ) -> None:
        super().__init__()
        self.norm1 = make_norm(norm, channels)
        self.attention = MultiHeadSelfAttention(channels, heads, size)
        self.norm2 = make_norm(norm, channels)
        self.mlp = PointwiseMLP(channels, mlp_ratio, act)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block: x (N, d, H, W) -> (N, d, H, W)."""
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TransformerTrunk(tnn.Module):
    """Stem Conv3x3-Norm-Act, ``blocks`` encoder blocks, a final Norm.

    Args:
        in_planes: input channels.
        channels: d, token features and output channels.
        blocks: encoder blocks.
        size: S, the side of the board.
        heads: attention heads (d divisible by it).
        mlp_ratio: r.
        norm: norm name.
        act: activation name.

    Raises:
        ValueError: for invalid sizes or an unknown name.
    """

    def __init__(
        self,
        in_planes: int,
        channels: int,
        blocks: int,
        size: int,
        heads: int = 4,
        mlp_ratio: int = 4,
        norm: str = "layer",
        act: str = "gelu",
    ) -> None:
        super().__init__()
        if size < 1 or mlp_ratio < 1:
            raise ValueError(f"size and mlp_ratio must be at least 1: {size}, {mlp_ratio}")
        self.stem = ConvNormAct(in_planes, channels, 3, norm, act)
        self.blocks = tnn.Sequential(
            *(TransformerBlock(channels, heads, size, mlp_ratio, norm, act) for _ in range(blocks))
        )
        self.final_norm = make_norm(norm, channels)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the trunk: x (N, in_planes, S, S) -> (N, channels, S, S)."""
        return self.final_norm(self.blocks(self.stem(x)))


__all__ = [
    "MultiHeadSelfAttention",
    "PointwiseMLP",
    "RelativePositionBias",
    "TransformerBlock",
    "TransformerTrunk",
]
