"""Pruning: remove single weights (magnitude) or whole channels (structured) of a module.

Two kinds, both for a trained ``torch.nn.Module``; nothing here knows what it computes.

* **Global magnitude pruning** (Han et al. 2015, "Learning both Weights and
  Connections"): the weights of smallest ``|w|`` across all the given layers together
  are set to zero, by ``torch.nn.utils.prune.global_unstructured`` with its L1 method.
  Done in ``steps`` rounds (``sparsity_schedule``, Zhu and Gupta 2017: the sparsity
  rises fast first, slowly at the end) with fine-tuning between rounds, during which
  the pruned weights stay zero (the masks of ``torch.nn.utils.prune``);
  ``make_permanent`` then folds the masks into plain weights.  The tensors keep their
  shapes, so a dense kernel runs no faster: the gain is a file that compresses well,
  and sparsity for kernels that can use it.
* **Structured channel pruning** of residual blocks' middles (Li et al. 2017, "Pruning
  Filters for Efficient ConvNets"; Liu et al. 2017, "Learning Efficient Convolutional
  Networks through Network Slimming"): in a block ``conv1 -> norm1 -> act -> conv2``,
  the middle channels of least importance (``CRITERIA``) are removed — conv1's output
  filters, norm1's channels and conv2's input slices — giving smaller dense
  convolutions: fewer multiply-adds, faster on any runtime.  The block's input and
  output keep their width, so the skip connection is untouched.

Notation: a block's middle has ``C_mid`` channels, indexed ``j``; ``γ_j`` is norm1's
scale of channel ``j`` (1 without an affine norm).

A block is found by the attribute paths of its three layers (``LAYOUTS``): torchvision's
``BasicBlock`` (``conv1``, ``bn1``, ``conv2``) and ``nn.blocks.ResidualBlock``
(``first.conv``, ``first.norm``, ``second.conv``) are known; pass ``layout=`` for
others.  The middle must be read by conv2 only (a block whose middle also gets, say,
pooled biases — ``nn.blocks.GlobalPoolBlock`` — is not such a block).  norm1 must
treat channels independently: a batch norm, an affine instance norm or none.

After a block's middle shrank, ``refit_block`` refits its conv2 by least squares so
that the block's output matches the unpruned block's on calibration inputs (He et al.
2017; Luo et al. 2017, ThiNet): most of the accuracy lost comes back before any
fine-tuning.

Start with ``prune_channels(blocks, amount)`` or ``prune_to_sparsity(weights, s)``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn as tnn
from torch.nn.utils import prune as torch_prune

Layout = tuple[str, str, str]
"""Attribute paths of a block's conv1, norm1 and conv2, e.g. ``("conv1", "bn1", "conv2")``."""

LAYOUTS: tuple[Layout, ...] = (
    ("conv1", "bn1", "conv2"),
    ("first.conv", "first.norm", "second.conv"),
)
"""Layouts ``find_layout`` tries, in order."""

WeightRef = tuple[tnn.Module, str]
"""A module and the name of one of its parameters, as ``torch.nn.utils.prune`` takes them."""


# -- global magnitude pruning -----------------------------------------------------------


def prunable_weights(
    model: tnn.Module, kinds: tuple[type[tnn.Module], ...] = (tnn.Conv2d, tnn.Linear)
) -> list[WeightRef]:
    """Return the ``(module, "weight")`` of every submodule of the given kinds.

    Args:
        model: any module.
        kinds: module classes whose ``weight`` is pruned (default convolutions and
            linear layers; norms and biases are left alone).
    """
    return [
        (module, "weight")
        for module in model.modules()
        if isinstance(module, kinds) and isinstance(getattr(module, "weight", None), Tensor)
    ]


def sparsity(weights: Sequence[WeightRef]) -> float:
    """Return the fraction of zeros among the weights (masked ones count as zero).

    Raises:
        ValueError: if ``weights`` is empty.
    """
    if not weights:
        raise ValueError("no weights to measure")
    zeros = sum(int((getattr(m, name) == 0).sum()) for m, name in weights)
    total = sum(getattr(m, name).numel() for m, name in weights)
    return zeros / total


def prune_to_sparsity(weights: Sequence[WeightRef], target: float) -> float:
    """Mask the smallest ``|w|`` of all ``weights`` together until ``target`` of them are.

    Weights pruned earlier (masks of ``torch.nn.utils.prune``) stay pruned; of the
    others, just enough of the smallest are masked that ``round(target * total)`` are
    masked in all.  The modules get ``weight_orig`` and ``weight_mask`` (and a forward
    pre-hook) until ``make_permanent``.

    Args:
        weights: the ``(module, name)`` pairs (``prunable_weights``).
        target: fraction in [0, 1) of all their values to mask.

    Returns:
        The fraction masked now.

    Raises:
        ValueError: for no weights or a target outside [0, 1).
    """
    if not weights:
        raise ValueError("no weights to prune")
    if not 0.0 <= target < 1.0:
        raise ValueError(f"target sparsity must be in [0, 1), not {target}")
    total = sum(getattr(m, name).numel() for m, name in weights)
    masked = sum(int((_mask(m, name) == 0).sum()) for m, name in weights)
    count = round(target * total) - masked
    if count > 0:
        torch_prune.global_unstructured(
            list(weights), pruning_method=torch_prune.L1Unstructured, amount=count
        )
    return sum(int((_mask(m, name) == 0).sum()) for m, name in weights) / total


def _mask(module: tnn.Module, name: str) -> Tensor:
    """Return the pruning mask of ``module.name`` (all ones if it has none)."""
    mask = getattr(module, f"{name}_mask", None)
    return mask if isinstance(mask, Tensor) else torch.ones_like(getattr(module, name))


def sparsity_schedule(target: float, steps: int, power: float = 3.0) -> list[float]:
    """Return the sparsity to reach after each of ``steps`` rounds (Zhu and Gupta 2017).

    ``s_t = target * (1 - (1 - t / steps) ** power)`` for t = 1 .. steps: large steps
    while many small weights are left, small ones near the end; the last is ``target``.

    Raises:
        ValueError: for fewer than 1 step or a target outside [0, 1).
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, not {steps}")
    if not 0.0 <= target < 1.0:
        raise ValueError(f"target must be in [0, 1), not {target}")
    return [target * (1.0 - (1.0 - t / steps) ** power) for t in range(1, steps + 1)]


def prune_iteratively(
    weights: Sequence[WeightRef],
    target: float,
    steps: int,
    finetune: Callable[[int], None] | None = None,
) -> list[float]:
    """Prune to ``target`` in ``steps`` rounds of prune, then ``finetune(round)``.

    The masks stay on (call ``make_permanent`` after); fine-tuning trains the
    unmasked weights only, since the masked ones get zero gradient.

    Args:
        weights: the ``(module, name)`` pairs (``prunable_weights``).
        target: final fraction of zeros.
        steps: rounds (``sparsity_schedule``).
        finetune: called after each round with its index (from 0); None: no training.

    Returns:
        The sparsity after each round.

    Raises:
        ValueError: as ``sparsity_schedule`` and ``prune_to_sparsity``.
    """
    reached = []
    for step, goal in enumerate(sparsity_schedule(target, steps)):
        reached.append(prune_to_sparsity(weights, goal))
        if finetune is not None:
            finetune(step)
    return reached


def make_permanent(weights: Sequence[WeightRef]) -> None:
    """Fold the pruning masks into plain weights (``torch.nn.utils.prune.remove``)."""
    for module, name in weights:
        if torch_prune.is_pruned(module) and hasattr(module, f"{name}_mask"):
            torch_prune.remove(module, name)


# -- structured channel pruning ---------------------------------------------------------


def find_layout(block: tnn.Module) -> Layout:
    """Return the first layout of ``LAYOUTS`` whose three paths ``block`` has.

    Raises:
        ValueError: if none fits.
    """
    for layout in LAYOUTS:
        if all(_has_path(block, path) for path in layout):
            return layout
    raise ValueError(
        f"{type(block).__name__} has none of the layouts {list(LAYOUTS)}; pass layout="
    )


def _has_path(module: tnn.Module, path: str) -> bool:
    try:
        module.get_submodule(path)
    except AttributeError:
        return False
    return True


def inner_layers(
    block: tnn.Module, layout: Layout | None = None
) -> tuple[tnn.Conv2d, tnn.Module, tnn.Conv2d]:
    """Return a block's conv1, norm1 and conv2, checked.

    Raises:
        ValueError: if the layers are not two ungrouped convolutions around the same
            middle width, or norm1 mixes channels (layer or group norm).
    """
    paths = layout or find_layout(block)
    conv1, norm1, conv2 = (block.get_submodule(path) for path in paths)
    if not isinstance(conv1, tnn.Conv2d) or not isinstance(conv2, tnn.Conv2d):
        raise ValueError(f"{paths[0]} and {paths[2]} must be Conv2d layers")
    if conv1.groups != 1 or conv2.groups != 1:
        raise ValueError("grouped convolutions cannot lose single channels")
    if conv1.out_channels != conv2.in_channels:
        raise ValueError(
            f"conv1 gives {conv1.out_channels} channels but conv2 reads {conv2.in_channels}"
        )
    if isinstance(norm1, (tnn.BatchNorm2d, tnn.InstanceNorm2d)):
        if norm1.num_features != conv1.out_channels:
            raise ValueError(f"norm1 has {norm1.num_features} channels, conv1 gives another")
    elif not isinstance(norm1, tnn.Identity):
        raise ValueError(
            f"norm1 ({type(norm1).__name__}) must treat channels independently: batch norm, "
            "instance norm or none"
        )
    return conv1, norm1, conv2


def _norm_scale(norm1: tnn.Module, channels: int) -> Tensor:
    """Return ``|γ|`` of norm1, (C_mid,) (ones without an affine scale)."""
    weight = getattr(norm1, "weight", None)
    if isinstance(weight, Tensor):
        return weight.detach().abs().float()
    return torch.ones(channels)


def importance_l1_gamma(conv1: tnn.Conv2d, norm1: tnn.Module, conv2: tnn.Conv2d) -> Tensor:
    """Return ``‖conv1 filter j‖₁ · |γ_j|`` for each middle channel, (C_mid,)."""
    filters = conv1.weight.detach().abs().float().flatten(1).sum(dim=1)
    return filters * _norm_scale(norm1, conv1.out_channels)


def importance_gamma_out(conv1: tnn.Conv2d, norm1: tnn.Module, conv2: tnn.Conv2d) -> Tensor:
    """Return ``|γ_j| · ‖conv2[:, j]‖₁`` for each middle channel, (C_mid,).

    How strongly the channel comes out of norm1 times how strongly conv2 reads it;
    without an affine norm, conv1's filter L1 norm stands in for ``|γ_j|``.
    """
    reads = conv2.weight.detach().abs().float().transpose(0, 1).flatten(1).sum(dim=1)
    weight = getattr(norm1, "weight", None)
    if isinstance(weight, Tensor):
        return weight.detach().abs().float() * reads
    return conv1.weight.detach().abs().float().flatten(1).sum(dim=1) * reads


Criterion = Callable[[tnn.Conv2d, tnn.Module, tnn.Conv2d], Tensor]
"""Importance of each middle channel from (conv1, norm1, conv2): (C_mid,), larger kept."""

CRITERIA: dict[str, Criterion] = {
    "l1_gamma": importance_l1_gamma,
    "gamma_out": importance_gamma_out,
}
"""Channel importance criteria by name (``prune_channels``):

============  ===========================================================================
criterion     importance of middle channel j
============  ===========================================================================
l1_gamma      L1 norm of conv1's filter j times ``|γ_j|`` (Li et al.; network slimming)
gamma_out     ``|γ_j|`` times the L1 norm of conv2's weights reading j (how much of it
              reaches the block's output)
============  ===========================================================================
"""


def channel_importance(
    block: tnn.Module, criterion: str | Criterion = "gamma_out", layout: Layout | None = None
) -> Tensor:
    """Return the importance of each middle channel of ``block``: float32 (C_mid,).

    Raises:
        ValueError: for an unknown criterion name or a block ``inner_layers`` refuses.
    """
    score = CRITERIA.get(criterion) if isinstance(criterion, str) else criterion
    if score is None:
        raise ValueError(f"unknown criterion {criterion!r} (known: {', '.join(CRITERIA)})")
    conv1, norm1, conv2 = inner_layers(block, layout)
    return score(conv1, norm1, conv2)


def keep_channels(
    block: tnn.Module, keep: Sequence[int] | Tensor, layout: Layout | None = None
) -> None:
    """Shrink ``block``'s middle to the channels ``keep``, in place.

    conv1, norm1 and conv2 are replaced by smaller layers holding the kept channels'
    weights (and norm1's running statistics), in the order of ``keep`` sorted: the
    block computes exactly what it did, less the removed channels' contributions.

    Args:
        block: the residual block.
        keep: indices of the middle channels to keep (at least one, no repeats).
        layout: the block's layout (default ``find_layout``).

    Raises:
        ValueError: for an empty, repeated or out-of-range ``keep``, or a block
            ``inner_layers`` refuses.
    """
    paths = layout or find_layout(block)
    conv1, norm1, conv2 = inner_layers(block, paths)
    index = torch.as_tensor(keep, dtype=torch.long).flatten().sort().values
    width = conv1.out_channels
    if len(index) == 0 or len(set(index.tolist())) != len(index):
        raise ValueError("keep at least one channel, each once")
    if int(index[0]) < 0 or int(index[-1]) >= width:
        raise ValueError(f"channel indices must be in 0 .. {width - 1}")
    with torch.no_grad():
        new1 = _conv_like(conv1, conv1.in_channels, len(index))
        new1.weight.copy_(conv1.weight[index])
        if conv1.bias is not None and new1.bias is not None:
            new1.bias.copy_(conv1.bias[index])
        new2 = _conv_like(conv2, len(index), conv2.out_channels)
        new2.weight.copy_(conv2.weight[:, index])
        if conv2.bias is not None and new2.bias is not None:
            new2.bias.copy_(conv2.bias)
        new_norm = _norm_subset(norm1, index)
    new1.train(conv1.training)
    new2.train(conv2.training)
    new_norm.train(norm1.training)
    for path, module in zip(paths, (new1, new_norm, new2), strict=True):
        _set_path(block, path, module)


def _conv_like(conv: tnn.Conv2d, in_channels: int, out_channels: int) -> tnn.Conv2d:
    """Return a new convolution with ``conv``'s settings but other channel counts."""
    return tnn.Conv2d(
        in_channels,
        out_channels,
        conv.kernel_size,  # type: ignore[arg-type]
        stride=conv.stride,  # type: ignore[arg-type]
        padding=conv.padding,  # type: ignore[arg-type]
        dilation=conv.dilation,  # type: ignore[arg-type]
        bias=conv.bias is not None,
        padding_mode=conv.padding_mode,
        device=conv.weight.device,
        dtype=conv.weight.dtype,
    )


def _norm_subset(norm: tnn.Module, index: Tensor) -> tnn.Module:
    """Return a copy of a per-channel norm keeping the channels ``index``."""
    if isinstance(norm, tnn.Identity):
        return tnn.Identity()
    assert isinstance(norm, (tnn.BatchNorm2d, tnn.InstanceNorm2d))  # inner_layers checked
    new = copy.deepcopy(norm)
    new.num_features = len(index)
    for name in ("weight", "bias"):
        old = getattr(norm, name, None)
        if isinstance(old, tnn.Parameter):
            setattr(new, name, tnn.Parameter(old.detach()[index].clone(), old.requires_grad))
    for name in ("running_mean", "running_var"):
        old = getattr(norm, name, None)
        if isinstance(old, Tensor):
            setattr(new, name, old[index].clone())
    return new


def _set_path(root: tnn.Module, path: str, module: tnn.Module) -> None:
    parent_path, _, name = path.rpartition(".")
    parent = root.get_submodule(parent_path) if parent_path else root
    setattr(parent, name, module)


def inner_widths(blocks: Sequence[tnn.Module], layout: Layout | None = None) -> list[int]:
    """Return the middle width ``C_mid`` of each block."""
    return [inner_layers(block, layout)[0].out_channels for block in blocks]


def prune_channels(
    blocks: Sequence[tnn.Module],
    amount: float,
    *,
    criterion: str | Criterion = "gamma_out",
    scope: str = "block",
    original_widths: Sequence[int] | None = None,
    multiple_of: int = 1,
    min_channels: int = 1,
    layout: Layout | None = None,
    after_block: Callable[[int, tnn.Module], None] | None = None,
) -> list[int]:
    """Remove the least important middle channels of residual blocks, in place.

    ``amount`` is the fraction of the *original* middle channels to be gone after
    this call (so iterative pruning calls it with rising amounts and the same
    ``original_widths``); channels already gone count.

    Args:
        blocks: the residual blocks (each as ``keep_channels`` takes it).
        amount: fraction in [0, 1) of the original middle channels to remove.
        criterion: a name of ``CRITERIA`` or a function of (conv1, norm1, conv2).
        scope: ``"block"``: every block keeps ``round(width * (1 - amount))`` of its
            channels; ``"global"``: the least important channels of all blocks
            together go (importances compared across blocks), so widths may differ.
        original_widths: each block's width before any pruning (default: now).
        multiple_of: kept widths are rounded up to a multiple of this (fast kernels
            like multiples of 8); the removed fraction may then be a little smaller.
        min_channels: no block keeps fewer.
        layout: the blocks' layout (default ``find_layout`` of each).
        after_block: called with (index, block) right after each block that shrank,
            in order, before the next one shrinks (e.g. ``refit_block``).  The
            importances of all blocks are computed before any block changes.

    Returns:
        The middle width of each block afterwards.

    Raises:
        ValueError: for an amount outside [0, 1), an unknown scope or criterion, a
            width list of another length, ``multiple_of`` or ``min_channels`` below
            1, or a block ``inner_layers`` refuses.
    """
    if not 0.0 <= amount < 1.0:
        raise ValueError(f"amount must be in [0, 1), not {amount}")
    if scope not in ("block", "global"):
        raise ValueError(f"scope must be 'block' or 'global', not {scope!r}")
    if multiple_of < 1 or min_channels < 1:
        raise ValueError("multiple_of and min_channels must be at least 1")
    widths = inner_widths(blocks, layout)
    original = list(original_widths) if original_widths is not None else widths
    if len(original) != len(widths):
        raise ValueError(f"{len(original)} original widths for {len(widths)} blocks")
    scores = [channel_importance(block, criterion, layout) for block in blocks]

    def rounded(keep: int, width: int) -> int:
        keep = max(keep, min_channels)
        return min(width, math.ceil(keep / multiple_of) * multiple_of)

    if scope == "block":
        targets = [
            rounded(round(orig * (1.0 - amount)), width)
            for orig, width in zip(original, widths, strict=True)
        ]
    else:
        targets = _global_targets(scores, round(sum(original) * (1.0 - amount)), min_channels)
        targets = [rounded(t, w) for t, w in zip(targets, widths, strict=True)]
    for index, (block, score, width, target) in enumerate(
        zip(blocks, scores, widths, targets, strict=True)
    ):
        if target < width:
            keep = torch.topk(score, target).indices  # the most important
            keep_channels(block, keep, layout)
            if after_block is not None:
                after_block(index, block)
    return inner_widths(blocks, layout)


def _global_targets(scores: Sequence[Tensor], total_keep: int, min_channels: int) -> list[int]:
    """Return how many channels each block keeps when the ``total_keep`` best of all stay.

    Each block keeps at least ``min(min_channels, width)``; those are its best.
    """
    floors = [min(min_channels, len(s)) for s in scores]
    keep = list(floors)
    rest = []  # channels beyond each block's floor, competing globally
    for block, score in enumerate(scores):
        ordered = score.sort(descending=True).values[floors[block] :]
        rest += [(float(value), block) for value in ordered]
    rest.sort(key=lambda pair: -pair[0])
    for _, block in rest[: max(0, total_keep - sum(floors))]:
        keep[block] += 1
    return keep


# -- least-squares refit after channel pruning ---------------------------------------------


def refit_conv(
    conv: tnn.Conv2d, pairs: Iterable[tuple[Tensor, Tensor]], ridge: float = 1e-3
) -> float:
    """Refit a convolution's weights (and bias) by least squares: ``conv(x) ≈ y``.

    The linear regression of the channel-pruning papers (He et al. 2017, "Channel
    Pruning for Accelerating Very Deep Neural Networks"; Luo et al. 2017, ThiNet):
    with the input patches ``P`` of every pair (``torch.nn.functional.unfold``; rows
    are output points, columns ``C_in * kh * kw`` plus one for a bias) and the targets
    ``Y`` (rows, ``C_out``), the normal equations ``A = Σ PᵀP``, ``B = Σ PᵀY`` are
    summed over the pairs (so only one batch is in memory) and solved in float64,
    ``W = (A + λ I)⁻¹ B`` with ``λ = ridge · mean(diag A)``.

    Args:
        conv: an ungrouped convolution with zero padding; its weights are replaced.
        pairs: ``(x (N, C_in, H, W), y (N, C_out, H', W'))``, ``y`` what ``conv(x)``
            should give.
        ridge: relative ridge term (keeps the solution finite for dead channels).

    Returns:
        The relative residual ``Σ ‖conv(x) − y‖² / Σ ‖y‖²`` after the refit.

    Raises:
        ValueError: for a grouped or non-zero-padded convolution, no pairs, or
            shapes that do not fit.
    """
    if conv.groups != 1 or conv.padding_mode != "zeros" or isinstance(conv.padding, str):
        raise ValueError("refit needs an ungrouped convolution with numeric zero padding")
    columns = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
    bias = conv.bias is not None
    size = columns + int(bias)
    a = torch.zeros(size, size, dtype=torch.float64)
    b = torch.zeros(size, conv.out_channels, dtype=torch.float64)
    yy = 0.0
    for x, y in pairs:
        patches = F.unfold(
            x.detach().double(),
            conv.kernel_size,
            dilation=conv.dilation,
            padding=conv.padding,  # type: ignore[arg-type]
            stride=conv.stride,
        )  # (N, columns, L)
        p = patches.transpose(1, 2).reshape(-1, columns)
        if bias:
            p = torch.cat((p, p.new_ones(len(p), 1)), dim=1)
        target = y.detach().double().flatten(2).transpose(1, 2).reshape(-1, conv.out_channels)
        if len(target) != len(p):
            raise ValueError(f"targets of shape {tuple(y.shape)} do not fit the input")
        a += p.T @ p
        b += p.T @ target
        yy += float((target**2).sum())
    if yy == 0.0 and not bool(a.any()):
        raise ValueError("no calibration pairs")
    weights = torch.linalg.solve(a + ridge * a.diagonal().mean() * torch.eye(size).double(), b)
    residual = yy - 2.0 * float((weights * b).sum()) + float((weights * (a @ weights)).sum())
    with torch.no_grad():
        shape = (conv.out_channels, conv.in_channels, *conv.kernel_size)
        conv.weight.copy_(weights[:columns].T.reshape(shape).to(conv.weight.dtype))
        if conv.bias is not None:
            conv.bias.copy_(weights[columns].to(conv.bias.dtype))
    return max(residual, 0.0) / max(yy, 1e-30)


def refit_block(
    block: tnn.Module,
    reference: tnn.Module,
    inputs: Iterable[tuple[Tensor, Tensor]],
    layout: Layout | None = None,
    ridge: float = 1e-3,
) -> float:
    """Refit a pruned block's conv2 so that it gives what the unpruned block's gave.

    For each pair of inputs, the pruned block's middle (conv2's input) is computed
    from ``x`` and the reference block's conv2 output from ``x_ref``; ``refit_conv``
    then fits conv2 on the kept channels to those outputs.  Feeding ``x`` from the
    pruned network and ``x_ref`` from the original one lets each block also make up
    for the error of the blocks before it.  Both blocks run in eval mode (their
    modes are restored).

    Args:
        block: the pruned block.
        reference: the same block before pruning.
        inputs: pairs ``(x, x_ref)`` of block inputs (N, C, H, W), the same positions.
        layout: the blocks' layout (default ``find_layout``).
        ridge: as ``refit_conv``.

    Returns:
        The relative residual of the fit (``refit_conv``).

    Raises:
        ValueError: as ``inner_layers`` and ``refit_conv``.
    """
    paths = layout or find_layout(block)
    conv2 = inner_layers(block, paths)[2]
    reference_conv2 = inner_layers(reference, paths)[2]

    def pairs() -> Iterator[tuple[Tensor, Tensor]]:
        seen: dict[str, Tensor] = {}
        hooks = [
            conv2.register_forward_pre_hook(lambda m, args: seen.__setitem__("x", args[0])),
            reference_conv2.register_forward_hook(lambda m, args, out: seen.__setitem__("y", out)),
        ]
        modes = (block.training, reference.training)
        block.eval()
        reference.eval()
        try:
            for x, x_ref in inputs:
                with torch.no_grad():
                    block(x)
                    reference(x_ref)
                yield seen["x"], seen["y"]
        finally:
            for hook in hooks:
                hook.remove()
            block.train(modes[0])
            reference.train(modes[1])

    return refit_conv(conv2, pairs(), ridge)


__all__ = [
    "CRITERIA",
    "LAYOUTS",
    "Criterion",
    "Layout",
    "WeightRef",
    "channel_importance",
    "find_layout",
    "importance_gamma_out",
    "importance_l1_gamma",
    "inner_layers",
    "inner_widths",
    "keep_channels",
    "make_permanent",
    "prunable_weights",
    "prune_channels",
    "prune_iteratively",
    "prune_to_sparsity",
    "refit_block",
    "refit_conv",
    "sparsity",
    "sparsity_schedule",
]
