"""Multiply-adds of a forward pass, counted from the layers that run.

A multiply-add (MAC) is one ``a * b + c``; ``torch.utils.flop_counter`` counts two
floating-point operations for each, and counts only matrix products and
convolutions — so does this module (norms, activations, softmax and additions are
not counted; on a Go network they are a few percent at most).

Counted per module, by forward hooks on the modules that run:

* ``torch.nn.Conv2d``: output elements times ``in_channels / groups * kh * kw``;
* ``torch.nn.Linear``: output elements times ``in_features``;
* any module with a method ``own_macs(inputs, output) -> int``: what it returns,
  the products it computes itself outside its child modules (e.g. attention's
  ``q kᵀ`` and ``weights v``, ``nn.trunks.transformer``).

Start with ``count_macs(model, example)``; ``macs_per_example`` divides by the batch.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch import nn as tnn


def _module_macs(module: tnn.Module, inputs: tuple[Any, ...], output: Any) -> int:
    if isinstance(module, tnn.Conv2d):
        kh, kw = module.kernel_size
        return output.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, tnn.Linear):
        return output.numel() * module.in_features
    own = getattr(module, "own_macs", None)
    if callable(own):
        return int(own(inputs, output))
    return 0


def count_macs(model: tnn.Module, *args: Any, **kwargs: Any) -> int:
    """Return the multiply-adds of ``model(*args, **kwargs)`` (run once, no gradients).

    Args:
        model: any module; its mode (train/eval) is left as it is.
        *args, **kwargs: the forward's arguments, e.g. a (B, C, H, W) batch.

    Returns:
        Multiply-adds of the whole batch.
    """
    total = 0

    def hook(module: tnn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        nonlocal total
        total += _module_macs(module, inputs, output)

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    try:
        with torch.no_grad():
            model(*args, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
    return total


def macs_per_example(model: tnn.Module, example: Tensor) -> int:
    """Return the multiply-adds of one evaluation: ``count_macs`` of a batch of one.

    Args:
        model: the network.
        example: (1, ...) or (...) one input; a missing batch axis is added.
    """
    batch = example if example.dim() == 4 else example.unsqueeze(0)
    return count_macs(model, batch[:1])


__all__ = ["count_macs", "macs_per_example"]
