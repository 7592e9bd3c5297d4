"""A WaveNet decoder: dilated causal convolutions with gated units (van den Oord et al. 2016).

WaveNet writes a sequence one element at a time, each conditioned on all before it,
with no recurrence: a stack of 1-D convolutions that are *causal* (output t sees
inputs ``<= t``: the input is padded on the left only) and *dilated* (layer l skips
``d_l - 1`` inputs between its taps), so the receptive field grows exponentially
with depth: ``1 + (k - 1) * Σ_l d_l`` for kernel size k.  One layer, with a global
conditioning vector h (the context's summary, ``nn.sequence.base``)::

    f, g = split(CausalConv_k,d(x) + V h)           # 2C channels -> C and C
    z = tanh(f) * sigmoid(g)                        # gated activation unit
    x <- x + Conv1x1_res(z)                         # residual connection
    skip += Conv1x1_skip(z)                         # skip connection

and the output is ``Conv1x1(relu(Conv1x1(relu(skip))))`` to ``vocab`` logits.  The last
layer feeds only the skip sum, so it has no residual convolution (it would get no
gradient).  Input
tokens enter through an embedding.  Layouts are ``(B, C, L)`` inside, ``(B, L, V)``
out.  Nothing here knows of Go.

``nn.flops`` counts ``Conv2d`` and ``Linear``; ``CausalConv1d`` reports its own
multiply-adds (``own_macs``).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch import nn as tnn
from torch.nn import functional as F

from nn.sequence.base import SequenceDecoder, check_summary, context_summary


class CausalConv1d(tnn.Module):
    """1-D convolution whose output t sees inputs ``t - (k-1) d .. t`` only.

    Args:
        in_channels, out_channels: channel counts.
        kernel_size: k.
        dilation: d.

    Raises:
        ValueError: for a size below 1.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 2, dilation: int = 1
    ) -> None:
        super().__init__()
        if min(in_channels, out_channels, kernel_size, dilation) < 1:
            raise ValueError("channels, kernel_size and dilation must be at least 1")
        self.left_pad = (kernel_size - 1) * dilation
        self.conv = tnn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation)

    @property
    def receptive_field(self) -> int:
        """Inputs one output sees: ``(k - 1) d + 1``."""
        return self.left_pad + 1

    def forward(self, x: Tensor) -> Tensor:
        """Convolve: x (B, C_in, L) -> (B, C_out, L)."""
        return self.conv(F.pad(x, (self.left_pad, 0)))

    def own_macs(self, inputs: tuple[Tensor, ...], output: Tensor) -> int:
        """Return output elements times ``C_in * k`` (``nn.flops``)."""
        return output.numel() * self.conv.in_channels * self.conv.kernel_size[0]


class GatedResidualLayer(tnn.Module):
    """One WaveNet layer: dilated causal conv, gated unit, residual and skip outputs.

    Args:
        channels: C, residual channels.
        skip_channels: S, skip channels.
        kernel_size: k.
        dilation: d.
        cond_dim: width of the conditioning vector (0: unconditioned).
        residual: whether the layer has a residual output (not the last layer).
    """

    def __init__(
        self,
        channels: int,
        skip_channels: int,
        kernel_size: int,
        dilation: int,
        cond_dim: int,
        residual: bool = True,
    ) -> None:
        super().__init__()
        self.dilated = CausalConv1d(channels, 2 * channels, kernel_size, dilation)
        self.cond = tnn.Linear(cond_dim, 2 * channels, bias=False) if cond_dim else None
        self.residual = CausalConv1d(channels, channels, 1) if residual else None
        self.skip = CausalConv1d(channels, skip_channels, 1)

    def forward(self, x: Tensor, cond: Tensor | None) -> tuple[Tensor, Tensor]:
        """Apply: x (B, C, L), cond (B, cond_dim) -> (residual out (B, C, L), skip (B, S, L));
        without a residual convolution the first output is ``x`` unchanged."""
        pre = self.dilated(x)
        if self.cond is not None and cond is not None:
            pre = pre + self.cond(cond).unsqueeze(-1)
        filt, gate = pre.chunk(2, dim=1)
        z = torch.tanh(filt) * torch.sigmoid(gate)
        out = x if self.residual is None else x + self.residual(z)
        return out, self.skip(z)


class WaveNetDecoder(SequenceDecoder):
    """WaveNet over input tokens, globally conditioned on the context's summary.

    Args:
        vocab: V, output classes.
        context_dim: D, width of the context.
        channels: C, residual channels (and the embedding width).
        skip_channels: S, skip channels.
        kernel_size: k of the dilated convolutions.
        dilations: d of each layer, e.g. ``(1, 2, 4, 8)`` repeated.
        input_vocab: input tokens (default V + 1).
        summary: how a token context becomes the conditioning vector.

    Raises:
        ValueError: for bad sizes, no layers or an unknown summary.
    """

    def __init__(
        self,
        vocab: int,
        context_dim: int,
        channels: int = 64,
        skip_channels: int = 64,
        kernel_size: int = 2,
        dilations: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8),
        input_vocab: int | None = None,
        summary: str = "first",
    ) -> None:
        super().__init__(vocab, input_vocab, context_dim)
        check_summary(summary)
        if not dilations or min(channels, skip_channels, kernel_size, *dilations) < 1:
            raise ValueError(
                "channels, kernel size and dilations must be at least 1, with at least one layer"
            )
        self.summary = summary
        self.kernel_size = kernel_size
        self.dilations = tuple(dilations)
        self.embed = tnn.Embedding(self.input_vocab, channels)
        self.layers = tnn.ModuleList(
            GatedResidualLayer(
                channels,
                skip_channels,
                kernel_size,
                d,
                context_dim,
                residual=k < len(dilations) - 1,
            )
            for k, d in enumerate(dilations)
        )
        self.head = CausalConv1d(skip_channels, skip_channels, 1)
        self.out = CausalConv1d(skip_channels, vocab, 1)

    @property
    def receptive_field(self) -> int:
        """Input tokens one output sees: ``1 + (k - 1) * Σ d``."""
        return 1 + (self.kernel_size - 1) * sum(self.dilations)

    def forward(self, inputs: Tensor, context: Tensor) -> Tensor:
        """Return logits (B, L, V) of inputs (B, L) given context (B, T, D) or (B, D)."""
        self.check_inputs(inputs, context)
        cond = context_summary(context, self.summary)
        x = self.embed(inputs).transpose(1, 2)
        skip: Tensor | None = None
        for layer in self.layers:
            x, s = layer(x, cond)
            skip = s if skip is None else skip + s
        assert skip is not None
        return self.out(F.relu(self.head(F.relu(skip)))).transpose(1, 2)


__all__ = ["CausalConv1d", "GatedResidualLayer", "WaveNetDecoder"]
