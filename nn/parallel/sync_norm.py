"""Batch norm whose statistics span every rank of a process group, on any device.

Under synchronous data parallel each rank sees ``B / W`` of the batch; a plain
``BatchNorm2d`` would normalise each shard by its own mean and variance, so W ranks
would not compute what one process computes on the whole batch.  torch's
``SyncBatchNorm`` fixes that on GPUs only (it raises on CPU tensors); this module does
the same with two autograd-aware all-reduces (``torch.distributed.nn``), which work
over gloo on the CPU as over NCCL:

1. the per-channel sums and the count, summed over ranks, give the batch mean;
2. the per-channel sums of squared deviations from that mean give the (biased)
   variance, in two passes rather than ``E[x^2] - E[x]^2`` to spare float32 the
   cancellation.

The backward of an all-reduce is an all-reduce of the gradients, so each rank's input
receives the gradient of every rank's loss through the shared statistics, exactly as
in one process.  Running statistics are updated as ``BatchNorm2d`` does (unbiased
variance over the global count), so every rank keeps the same buffers.  Outside
training, or without an initialised process group of more than one rank, the layer is
a ``BatchNorm2d``; its ``state_dict`` has the same keys.

Layouts: ``x: (N, C, H, W)``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor
from torch import nn as tnn


class SyncBatchNorm2d(tnn.BatchNorm2d):
    """``BatchNorm2d`` with batch statistics over every rank (see the module docstring).

    Args:
        num_features: C.
        eps, momentum, affine, track_running_stats: as ``torch.nn.BatchNorm2d``.
        process_group: the ranks to synchronise (None: the default group).
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group: Any = None,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats)
        self.process_group = process_group

    def _world(self) -> int:
        if not (dist.is_available() and dist.is_initialized()):
            return 1
        return dist.get_world_size(self.process_group)

    def forward(self, input: Tensor) -> Tensor:
        """Normalise ``input``: (N, C, H, W) -> (N, C, H, W)."""
        if not self.training or self._world() == 1:
            return super().forward(input)
        self._check_input_dim(input)
        from torch.distributed.nn.functional import all_reduce

        channels = input.shape[1]
        count = input.new_full((1,), input.numel() / channels)
        sums = all_reduce(
            torch.cat([input.sum(dim=(0, 2, 3)), count]), group=self.process_group
        )
        total = sums[channels]
        mean = sums[:channels] / total
        centred = input - mean[None, :, None, None]
        squares = all_reduce((centred * centred).sum(dim=(0, 2, 3)), group=self.process_group)
        var = squares / total
        out = centred * torch.rsqrt(var + self.eps)[None, :, None, None]
        if self.affine:
            out = out * self.weight[None, :, None, None] + self.bias[None, :, None, None]
        if self.track_running_stats:
            self._update_running_stats(mean.detach(), var.detach(), float(total))
        return out

    @torch.no_grad()
    def _update_running_stats(self, mean: Tensor, var: Tensor, count: float) -> None:
        assert self.running_mean is not None and self.running_var is not None
        assert self.num_batches_tracked is not None
        self.num_batches_tracked.add_(1)
        if self.momentum is None:  # cumulative moving average, as BatchNorm2d
            factor = 1.0 / float(self.num_batches_tracked)
        else:
            factor = self.momentum
        unbiased = var * (count / max(count - 1.0, 1.0))
        self.running_mean.mul_(1.0 - factor).add_(mean, alpha=factor)
        self.running_var.mul_(1.0 - factor).add_(unbiased, alpha=factor)


def convert_sync_batchnorm(module: tnn.Module, process_group: Any = None) -> tnn.Module:
    """Replace every ``BatchNorm2d`` of ``module`` by a ``SyncBatchNorm2d`` in place.

    The new layers share the old ones' parameters and buffers (an optimiser built
    before the conversion still holds them).  On CUDA prefer torch's own
    ``torch.nn.SyncBatchNorm.convert_sync_batchnorm``.

    Returns:
        ``module``, or its replacement if ``module`` itself is a ``BatchNorm2d``.
    """
    if isinstance(module, tnn.BatchNorm2d) and not isinstance(module, SyncBatchNorm2d):
        sync = SyncBatchNorm2d(
            module.num_features,
            module.eps,
            module.momentum,
            module.affine,
            module.track_running_stats,
            process_group,
        )
        if module.affine:
            sync.weight = module.weight
            sync.bias = module.bias
        sync.running_mean = module.running_mean
        sync.running_var = module.running_var
        sync.num_batches_tracked = module.num_batches_tracked
        sync.train(module.training)
        return sync
    for name, child in module.named_children():
        converted = convert_sync_batchnorm(child, process_group)
        if converted is not child:
            setattr(module, name, converted)
    return module


__all__ = ["SyncBatchNorm2d", "convert_sync_batchnorm"]
