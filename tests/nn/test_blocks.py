"""Tests of nn.norms (norm and activation registries) and nn.blocks."""

from __future__ import annotations

from typing import TypeVar

import pytest
import torch
import torch.nn.functional as F
from torch import nn as tnn

from nn.blocks import ConvNormAct, ResidualBlock, fuse_for_inference
from nn.norms import ACTIVATIONS, NORMS, ChannelLayerNorm, make_act, make_norm, normalises
from tests.nn import single_torch_thread  # noqa: F401 (autouse fixture)

M = TypeVar("M", bound=tnn.Module)

# which axes of an (N, C, H, W) map each norm takes its statistics over
NORM_AXES = [
    ("batch", (0, 2, 3)),
    ("layer", (1, 2, 3)),
    ("instance", (2, 3)),
]


def _feature_map(shape: tuple[int, ...] = (4, 6, 5, 5), seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return 3.0 * torch.randn(shape, generator=generator) + 5.0


def _with_running_stats(module: M, channels_in: int, size: int) -> M:
    """Give every batch norm of ``module`` non-trivial running statistics and affine."""
    generator = torch.Generator().manual_seed(1)
    for sub in module.modules():
        if isinstance(sub, tnn.BatchNorm2d):
            with torch.no_grad():
                sub.weight.uniform_(0.5, 1.5, generator=generator)
                sub.bias.uniform_(-0.5, 0.5, generator=generator)
    module.train()
    with torch.no_grad():
        for seed in range(3):
            module(_feature_map((8, channels_in, size, size), seed))
    return module.eval()


# -- norms ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "axes"), NORM_AXES, ids=[name for name, _ in NORM_AXES])
def test_norm_output_has_zero_mean_unit_variance_over_its_axes(name: str, axes: tuple) -> None:
    norm = make_norm(name, 6)
    norm.train()
    x = _feature_map()
    y = norm(x)
    assert y.shape == x.shape
    mean = y.mean(dim=axes)
    var = y.var(dim=axes, unbiased=False)
    assert torch.allclose(mean, torch.zeros_like(mean), atol=1e-5)
    assert torch.allclose(var, torch.ones_like(var), atol=1e-3)


@pytest.mark.parametrize(("name", "axes"), NORM_AXES, ids=[name for name, _ in NORM_AXES])
def test_norm_statistics_are_not_taken_over_other_axes(name: str, axes: tuple) -> None:
    # scale one example's channel 0 by 10: only norms whose statistics mix that
    # channel with others (or examples) change what the other entries become
    x = _feature_map()
    x2 = x.clone()
    x2[0, 0] *= 10.0
    norm = make_norm(name, 6).train()
    y, y2 = norm(x), norm(x2)
    untouched_example = torch.allclose(y[1:], y2[1:], atol=1e-5)
    untouched_channel = torch.allclose(y[0, 1:], y2[0, 1:], atol=1e-5)
    assert untouched_example == (0 not in axes)
    assert untouched_channel == (1 not in axes)


def test_none_norm_is_identity() -> None:
    x = _feature_map()
    assert torch.equal(make_norm("none", 6)(x), x)


def test_layer_norm_affine_is_per_channel_and_size_free() -> None:
    norm = ChannelLayerNorm(3)
    with torch.no_grad():
        norm.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        norm.bias.copy_(torch.tensor([0.0, -1.0, 3.0]))
    for size in (5, 9):
        x = _feature_map((2, 3, size, size))
        plain = F.layer_norm(x, x.shape[1:])
        expected = plain * norm.weight[:, None, None] + norm.bias[:, None, None]
        assert torch.allclose(norm(x), expected, atol=1e-6)
    assert sum(p.numel() for p in norm.parameters()) == 6


def test_instance_norm_has_affine_parameters() -> None:
    norm = make_norm("instance", 4)
    assert sum(p.numel() for p in norm.parameters()) == 8


@pytest.mark.parametrize("name", ["weight", "Batch", ""])
def test_unknown_norm_raises(name: str) -> None:
    with pytest.raises(ValueError, match="unknown norm"):
        make_norm(name, 4)


def test_norm_with_no_channels_raises() -> None:
    with pytest.raises(ValueError, match="channels"):
        make_norm("batch", 0)


@pytest.mark.parametrize(
    ("name", "reference"),
    [("relu", F.relu), ("gelu", F.gelu), ("silu", F.silu), ("none", lambda x: x)],
)
def test_activations(name: str, reference) -> None:
    x = torch.linspace(-3, 3, 13)
    assert torch.allclose(make_act(name)(x), reference(x))


def test_unknown_activation_raises() -> None:
    with pytest.raises(ValueError, match="unknown activation"):
        make_act("tanh")


def test_registries_and_bias_rule() -> None:
    assert set(NORMS) == {"batch", "layer", "instance", "group", "none"}
    assert set(ACTIVATIONS) == {"relu", "gelu", "silu", "none"}
    assert normalises("batch") and normalises("layer") and normalises("instance")
    assert not normalises("none")


# -- blocks --------------------------------------------------------------------


@pytest.mark.parametrize("kernel", [1, 3])
def test_conv_norm_act_shape_and_bias(kernel: int) -> None:
    block = ConvNormAct(5, 7, kernel, "batch", "relu")
    y = block(_feature_map((2, 5, 9, 9)))
    assert y.shape == (2, 7, 9, 9)
    assert block.conv.bias is None  # a norm follows: no bias
    assert (y >= 0).all()
    assert ConvNormAct(5, 7, kernel, "none", "relu").conv.bias is not None


@pytest.mark.parametrize("kernel", [0, 2, -1])
def test_conv_norm_act_rejects_bad_kernels(kernel: int) -> None:
    with pytest.raises(ValueError, match="kernel"):
        ConvNormAct(4, 4, kernel)


def test_residual_block_is_alphago_zero_block() -> None:
    # with no norm: x -> relu(x + conv2(relu(conv1(x)))), 3x3 "same" convolutions
    torch.manual_seed(0)
    block = ResidualBlock(4, norm="none", act="relu")
    x = _feature_map((2, 4, 5, 5))
    first, second = block.first.conv, block.second.conv
    inner = F.relu(F.conv2d(x, first.weight, first.bias, padding=1))
    expected = F.relu(x + F.conv2d(inner, second.weight, second.bias, padding=1))
    assert first.kernel_size == second.kernel_size == (3, 3)
    assert torch.allclose(block(x), expected, atol=1e-5)


def test_residual_block_with_batch_norm_keeps_shape_and_skips() -> None:
    block = ResidualBlock(6, norm="batch", act="relu").eval()
    assert block.first.conv.bias is None and block.second.conv.bias is None
    x = _feature_map((3, 6, 9, 9))
    assert block(x).shape == x.shape
    # the second norm scaled to zero leaves only the skip connection: relu(x)
    norm = block.second.norm
    assert isinstance(norm, tnn.BatchNorm2d)
    with torch.no_grad():
        norm.weight.zero_()
        norm.bias.zero_()
    assert torch.allclose(block(x), F.relu(x))


@pytest.mark.parametrize("norm", ["batch", "layer", "instance", "none"])
def test_fuse_for_inference_keeps_outputs(norm: str) -> None:
    torch.manual_seed(0)
    model = tnn.Sequential(
        ConvNormAct(3, 8, 3, norm, "relu"),
        ResidualBlock(8, norm, "relu"),
        ConvNormAct(8, 2, 1, norm, "relu"),
    )
    model = _with_running_stats(model, 3, 5)
    fused = fuse_for_inference(model)
    assert isinstance(fused, tnn.Sequential)
    x = _feature_map((4, 3, 5, 5), seed=7)
    with torch.no_grad():
        assert torch.allclose(fused(x), model(x), atol=1e-5)
    batch_norms = [m for m in fused.modules() if isinstance(m, tnn.BatchNorm2d)]
    assert batch_norms == []
    assert not fused.training
    assert not any(p.requires_grad for p in fused.parameters())
    # the original is untouched
    original_stem, fused_stem = model[0], fused[0]
    assert isinstance(original_stem, ConvNormAct) and isinstance(fused_stem, ConvNormAct)
    assert original_stem.conv is not fused_stem.conv
    if norm == "batch":
        assert isinstance(original_stem.norm, tnn.BatchNorm2d)
        assert fused_stem.conv.bias is not None
    else:
        assert type(fused_stem.norm) is type(original_stem.norm)


def test_fold_norm_leaves_batch_norm_without_running_stats() -> None:
    block = ConvNormAct(2, 2, 3, "batch")
    block.norm = tnn.BatchNorm2d(2, track_running_stats=False)
    assert not block.fold_norm()
    assert isinstance(block.norm, tnn.BatchNorm2d)
