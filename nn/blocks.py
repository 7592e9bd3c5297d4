"""Convolutional building blocks of the Go networks (AlphaGo Zero's residual tower).

Every block takes explicit sizes plus ``norm=`` and ``act=`` names resolved through
``nn.norms``.  Feature maps are ``(N, C, H, W)``: batch, channels, board rows, board
columns; every convolution is "same" padded, so H and W never change.

* ``ConvNormAct``: convolution, norm, activation — AlphaGo Zero's "convolutional
  block" and the first layer of each of its heads.  The convolution has no bias when
  a norm follows (the norm's shift replaces it).
* ``ResidualBlock``: AlphaGo Zero's residual block,
  ``x -> act(x + norm(conv(act(norm(conv(x))))))`` with 3x3 convolutions (the
  middle may be narrower than C, e.g. after channel pruning).
* ``GlobalPool``: per channel, the mean, a board-size-scaled mean and the max over
  (H, W) — KataGo's global pooling, which lets a block see the whole board at once.
* ``GlobalPoolBlock``: KataGo's global-pooling residual block, a ``ResidualBlock``
  whose middle gets per-channel biases computed from global pools of some channels.
* ``fuse_for_inference``: a copy of a network with every batch norm folded into the
  convolution before it — fewer kernels per evaluation, same outputs (within float
  rounding) as the original in eval mode.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor
from torch import nn as tnn

from nn.norms import make_act, make_norm, normalises


class ConvNormAct(tnn.Module):
    """Convolution, norm, activation.

    Args:
        in_channels: C of the input.
        out_channels: C of the output.
        kernel_size: odd square kernel size (3 for the tower, 1 for the heads).
        norm: norm name (``nn.norms.NORMS``).
        act: activation name (``nn.norms.ACTIVATIONS``).

    Raises:
        ValueError: for an even or non-positive kernel size, a channel count below 1
            or an unknown name.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        norm: str = "batch",
        act: str = "relu",
    ) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel size must be odd and positive, not {kernel_size}")
        if in_channels < 1 or out_channels < 1:
            raise ValueError(f"channels must be at least 1, not {in_channels}, {out_channels}")
        self.conv = tnn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            padding=kernel_size // 2,
            bias=not normalises(norm),
        )
        self.norm = make_norm(norm, out_channels)
        self.act = make_act(act)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block: x (N, C_in, H, W) -> (N, C_out, H, W)."""
        return self.act(self.norm(self.conv(x)))

    def fold_norm(self) -> bool:
        """Fold a batch norm into the convolution, in place (inference only).

        The new convolution computes ``norm(conv(x))`` of the eval-mode norm, with
        its running statistics; the norm becomes an identity.  Afterwards the block
        must not be trained.

        Returns:
            True if the norm was folded, False if it cannot be (not a batch norm, or
            one without running statistics) and the block was left as it was.
        """
        norm = self.norm
        if not isinstance(norm, tnn.BatchNorm2d):
            return False
        mean, var = norm.running_mean, norm.running_var
        if mean is None or var is None:
            return False
        conv = self.conv
        with torch.no_grad():
            inv_std = torch.rsqrt(var.double() + norm.eps)
            scale = inv_std if norm.weight is None else norm.weight.double() * inv_std
            shift = -mean.double() * scale
            if norm.bias is not None:
                shift = shift + norm.bias.double()
            if conv.bias is not None:
                shift = shift + conv.bias.double() * scale
            fused = copy.deepcopy(conv)
            fused.weight.copy_(conv.weight.double() * scale[:, None, None, None])
            fused.bias = tnn.Parameter(shift.to(conv.weight.dtype))
        self.conv = fused
        self.norm = tnn.Identity()
        return True


class ResidualBlock(tnn.Module):
    """AlphaGo Zero's residual block: Conv3x3-Norm-Act-Conv3x3-Norm, skip add, Act.

    The middle feature map (after ``first``) has ``inner_channels`` channels: C in
    AlphaGo Zero's block, fewer in a block whose middle was pruned
    (``nn.compress.prune``).

    Args:
        channels: C, the same in and out.
        norm: norm name (``nn.norms.NORMS``).
        act: activation name (``nn.norms.ACTIVATIONS``).
        inner_channels: channels of the middle feature map (None: C).

    Raises:
        ValueError: for a channel count below 1 or an unknown name.
    """

    def __init__(
        self,
        channels: int,
        norm: str = "batch",
        act: str = "relu",
        inner_channels: int | None = None,
    ) -> None:
        super().__init__()
        inner = channels if inner_channels is None else inner_channels
        self.first = ConvNormAct(channels, inner, 3, norm, act)
        self.second = ConvNormAct(inner, channels, 3, norm, "none")
        self.act = make_act(act)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block: x (N, C, H, W) -> (N, C, H, W)."""
        return self.act(x + self.second(self.first(x)))


class GlobalPool(tnn.Module):
    """Global pooling of a feature map (KataGo, "Accelerating Self-Play Learning in Go").

    For each channel: the mean over (H, W), the mean times ``(sqrt(H*W) - 14) / 10``
    (a signal of the board's size, for networks that see several sizes; a constant
    multiple of the mean on one size) and the max over (H, W).  Output
    ``(N, 3C)``: the C means, then the C scaled means, then the C maxes.
    """

    def forward(self, x: Tensor) -> Tensor:
        """Pool ``x``: (N, C, H, W) -> (N, 3C)."""
        mean = x.mean(dim=(2, 3))
        scale = (float(x.shape[2] * x.shape[3]) ** 0.5 - 14.0) / 10.0
        peak = x.amax(dim=(2, 3))
        return torch.cat((mean, mean * scale, peak), dim=1)


class GlobalPoolBlock(tnn.Module):
    """KataGo's global-pooling residual block, in this module's post-activation form.

    ``x (N, C, H, W)``: ``r = norm(conv3x3(x))`` on ``C - G`` channels and
    ``g = act(norm(conv3x3(x)))`` on ``G`` channels; ``r`` gets a per-channel bias
    ``linear(GlobalPool(g))`` (``3G -> C - G``), then ``act``; a second
    conv3x3-norm brings it back to ``C`` channels, added to ``x``, then ``act``::

        x -> act(x + norm(conv(act(norm(conv_r(x)) + linear(pool(act(norm(conv_g(x)))))))))

    Without the pooled branch it is a ``ResidualBlock`` with ``C - G`` middle channels.

    Args:
        channels: C, the same in and out.
        pool_channels: G, channels that are pooled (None: ``max(1, C // 4)``); at
            least 1 and below C.
        norm: norm name (``nn.norms.NORMS``).
        act: activation name (``nn.norms.ACTIVATIONS``).

    Raises:
        ValueError: for ``channels < 2``, ``pool_channels`` outside ``1 .. C - 1``
            or an unknown name.
    """

    def __init__(
        self,
        channels: int,
        pool_channels: int | None = None,
        norm: str = "batch",
        act: str = "relu",
    ) -> None:
        super().__init__()
        if channels < 2:
            raise ValueError(f"a global-pooling block needs at least 2 channels, not {channels}")
        pooled = max(1, channels // 4) if pool_channels is None else pool_channels
        if not 1 <= pooled < channels:
            raise ValueError(f"pool_channels must be in 1 .. {channels - 1}, not {pooled}")
        self.first = ConvNormAct(channels, channels - pooled, 3, norm, "none")
        self.pool_conv = ConvNormAct(channels, pooled, 3, norm, act)
        self.pool = GlobalPool()
        self.pool_fc = tnn.Linear(3 * pooled, channels - pooled)
        self.mid_act = make_act(act)
        self.second = ConvNormAct(channels - pooled, channels, 3, norm, "none")
        self.act = make_act(act)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block: x (N, C, H, W) -> (N, C, H, W)."""
        bias = self.pool_fc(self.pool(self.pool_conv(x)))
        middle = self.mid_act(self.first(x) + bias[:, :, None, None])
        return self.act(x + self.second(middle))


def fuse_for_inference(model: tnn.Module) -> tnn.Module:
    """Return an eval-only copy of ``model`` with batch norms folded into convolutions.

    Every ``ConvNormAct`` whose norm is a batch norm gets a biased convolution that
    computes the same thing in eval mode; other norms are kept.  The copy is in eval
    mode with gradients off; ``model`` itself is not changed.  Training the copy would
    train a network without its norms — do not.

    Args:
        model: any module built from ``ConvNormAct`` blocks (e.g. ``nn.go_net.GoNet``).

    Returns:
        The fused copy, same class as ``model``.
    """
    fused = copy.deepcopy(model)
    fused.eval()
    for module in list(fused.modules()):
        if isinstance(module, ConvNormAct):
            module.fold_norm()
    fused.requires_grad_(False)
    return fused


__all__ = [
    "ConvNormAct",
    "GlobalPool",
    "GlobalPoolBlock",
    "ResidualBlock",
    "fuse_for_inference",
]
