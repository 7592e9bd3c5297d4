"""Tests of nn.compress.prune, and of the Go network's pruned form (``inner_channels``).

Magnitude pruning: the global sparsity asked for is reached and kept through
fine-tuning.  Channel pruning: removing middle channels whose contribution is zero
leaves a block's output unchanged (cases built by hand), and parameters and
multiply-adds drop by the count of the removed weights; a pruned ``GoNet`` is
described by its config, round-trips through a checkpoint and ONNX.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch import nn as tnn
from torch.utils.flop_counter import FlopCounterMode

from nn.blocks import ResidualBlock
from nn.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from nn.compress import prune
from nn.compress.export import export_onnx
from nn.flops import count_macs
from nn.go_net import GoNet, NetConfig, count_parameters, preset
from tests.nn import single_torch_thread  # noqa: F401 (autouse fixture)


def trained_block(channels: int = 8, norm: str = "batch") -> ResidualBlock:
    """Return a residual block with random weights, norm scales and running statistics."""
    torch.manual_seed(0)
    block = ResidualBlock(channels, norm=norm)
    with torch.no_grad():
        for module in block.modules():
            if isinstance(module, tnn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
                module.running_mean.uniform_(-0.3, 0.3)
                module.running_var.uniform_(0.5, 2.0)
    return block.eval()


# -- magnitude pruning -------------------------------------------------------------------


def small_net() -> tnn.Module:
    torch.manual_seed(0)
    return tnn.Sequential(
        tnn.Conv2d(3, 8, 3, padding=1), tnn.ReLU(), tnn.Flatten(), tnn.Linear(8 * 4 * 4, 5)
    )


@pytest.mark.parametrize("target", [0.3, 0.5, 0.9])
def test_magnitude_pruning_reaches_the_global_sparsity(target: float) -> None:
    model = small_net()
    weights = prune.prunable_weights(model)
    assert len(weights) == 2
    total = sum(m.weight.numel() for m, _ in weights)
    reached = prune.prune_to_sparsity(weights, target)
    assert reached == round(target * total) / total
    assert prune.sparsity(weights) == pytest.approx(target, abs=1 / total)
    # global: the threshold is shared, so every kept |w| is at least every pruned one
    kept = torch.cat([m.weight[m.weight_mask == 1].abs() for m, _ in weights])
    gone = torch.cat([m.weight_orig[m.weight_mask == 0].abs() for m, _ in weights])
    assert kept.min() >= gone.max()


def test_iterative_pruning_keeps_pruned_weights_at_zero_through_fine_tuning() -> None:
    model = small_net()
    weights = prune.prunable_weights(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(16, 3, 4, 4)

    def finetune(step: int) -> None:
        for _ in range(3):
            optimizer.zero_grad()
            model(x).square().mean().backward()
            optimizer.step()

    schedule = prune.sparsity_schedule(0.8, 4)
    assert schedule[-1] == pytest.approx(0.8) and schedule == sorted(schedule)
    assert schedule[0] > 0.8 / 4  # the cubic schedule prunes most at first
    reached = prune.prune_iteratively(weights, 0.8, 4, finetune)
    assert reached == pytest.approx(schedule, abs=0.01)
    prune.make_permanent(weights)
    assert not any(hasattr(m, "weight_mask") for m, _ in weights)
    assert isinstance(model[0].weight, tnn.Parameter)
    assert prune.sparsity(weights) >= 0.8 - 0.01
    assert set(model.state_dict()) == set(small_net().state_dict())


def test_magnitude_pruning_refuses_bad_targets() -> None:
    weights = prune.prunable_weights(small_net())
    with pytest.raises(ValueError, match="target"):
        prune.prune_to_sparsity(weights, 1.0)
    with pytest.raises(ValueError, match="steps"):
        prune.sparsity_schedule(0.5, 0)


# -- channel pruning ---------------------------------------------------------------------


def test_removing_channels_whose_output_is_zero_keeps_the_block_exact() -> None:
    block = trained_block(8)
    dead = [1, 4, 6]
    with torch.no_grad():  # conv1 filter, norm scale and shift zero: the channel is 0
        block.first.conv.weight[dead] = 0.0
        block.first.norm.weight[dead] = 0.0
        block.first.norm.bias[dead] = 0.0
    x = torch.randn(3, 8, 5, 5)
    with torch.no_grad():
        before = block(x)
    for criterion in prune.CRITERIA:
        assert set(
            torch.nonzero(prune.channel_importance(block, criterion) == 0).flatten().tolist()
        ) == set(dead)
    widths = prune.prune_channels([block], 3 / 8, criterion="l1_gamma")
    assert widths == [5]
    assert block.first.conv.weight.shape == (5, 8, 3, 3)
    assert block.first.norm.num_features == 5
    assert block.second.conv.weight.shape == (8, 5, 3, 3)
    with torch.no_grad():
        torch.testing.assert_close(block(x), before, atol=1e-6, rtol=0.0)


def test_removing_channels_that_conv2_does_not_read_keeps_the_block_exact() -> None:
    block = trained_block(8)
    unread = [0, 5]
    with torch.no_grad():
        block.second.conv.weight[:, unread] = 0.0
    x = torch.randn(2, 8, 4, 4)
    with torch.no_grad():
        before = block(x)
    prune.prune_channels([block], 0.25, criterion="gamma_out")
    with torch.no_grad():
        torch.testing.assert_close(block(x), before, atol=1e-6, rtol=0.0)
    # running statistics of the kept channels travelled with them
    kept = [i for i in range(8) if i not in unread]
    torch.testing.assert_close(
        block.first.norm.running_mean, trained_block(8).first.norm.running_mean[kept]
    )


class BasicBlock(tnn.Module):
    """torchvision's BasicBlock layout: conv1, bn1, relu, conv2, bn2, skip add, relu."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = tnn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = tnn.BatchNorm2d(channels)
        self.conv2 = tnn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = tnn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))


def test_parameters_and_multiply_adds_drop_by_the_removed_weights() -> None:
    torch.manual_seed(0)
    c, h = 16, 5
    blocks = [BasicBlock(c).eval(), ResidualBlock(c).eval()]
    x = torch.randn(1, c, h, h)
    for block in blocks:
        params, macs = count_parameters(block), count_macs(block, x)
        prune.prune_channels([block], 0.25)  # 16 -> 12 middle channels
        removed = 4
        # conv1 loses 4 filters of c*9, conv2 4 input slices of c*9, the norm 2*4
        assert params - count_parameters(block) == removed * (2 * c * 9 + 2)
        assert macs - count_macs(block, x) == removed * 2 * c * 9 * h * h
        assert block(x).shape == x.shape


def test_global_scope_ranks_channels_across_blocks_and_keeps_a_floor() -> None:
    blocks = [trained_block(8), trained_block(8)]
    with torch.no_grad():
        blocks[0].first.norm.weight.fill_(0.01)  # the first block's channels matter little
        blocks[1].first.norm.weight.fill_(1.0)
    widths = prune.prune_channels(blocks, 0.5, scope="global", min_channels=2)
    assert widths == [2, 6]
    widths = prune.prune_channels([trained_block(8), trained_block(8)], 0.5, multiple_of=8)
    assert widths == [8, 8]  # rounded up to a multiple of 8: nothing removed


def test_iterative_channel_pruning_counts_from_the_original_widths() -> None:
    block = trained_block(16)
    assert prune.prune_channels([block], 0.25, original_widths=[16]) == [12]
    assert prune.prune_channels([block], 0.5, original_widths=[16]) == [8]
    assert prune.prune_channels([block], 0.25, original_widths=[16]) == [8]  # nothing back


def test_refit_conv_recovers_a_convolution_from_its_inputs_and_outputs() -> None:
    torch.manual_seed(0)
    truth = tnn.Conv2d(6, 4, 3, padding=1, bias=True)
    conv = tnn.Conv2d(6, 4, 3, padding=1, bias=True)
    inputs = [torch.randn(8, 6, 5, 5) for _ in range(3)]
    with torch.no_grad():
        pairs = [(x, truth(x)) for x in inputs]
    residual = prune.refit_conv(conv, pairs, ridge=1e-9)
    assert residual < 1e-8
    torch.testing.assert_close(conv.weight, truth.weight, atol=1e-4, rtol=0.0)
    torch.testing.assert_close(conv.bias, truth.bias, atol=1e-4, rtol=0.0)


def test_refit_restores_a_block_whose_removed_channels_copied_kept_ones() -> None:
    # middle channels 8..15 repeat 0..7 (same filter and norm) but are read less by
    # conv2: pruning half removes them, and the refit moves their share onto 0..7
    reference = trained_block(16)
    with torch.no_grad():
        reference.first.conv.weight[8:] = reference.first.conv.weight[:8]
        for name in ("weight", "bias", "running_mean", "running_var"):
            getattr(reference.first.norm, name)[8:] = getattr(reference.first.norm, name)[:8]
        reference.second.conv.weight[:, 8:] *= 0.01
    block = copy.deepcopy(reference)
    prune.prune_channels([block], 0.5)
    x = torch.randn(32, 16, 5, 5)
    with torch.no_grad():
        assert (block(x) - reference(x)).abs().max() > 1e-3  # pruning alone loses something
    residual = prune.refit_block(block, reference, [(x[:16], x[:16])], ridge=1e-9)
    assert residual < 1e-8
    with torch.no_grad():
        torch.testing.assert_close(block(x), reference(x), atol=1e-4, rtol=0.0)
    assert not block.training and not reference.training  # modes restored (eval)


def test_after_block_runs_right_after_each_block_shrinks() -> None:
    blocks = [trained_block(8), trained_block(8), trained_block(8)]
    calls = []
    prune.prune_channels(
        blocks,
        0.5,
        original_widths=[8, 16, 8],  # the second block is at its target (8) already
        after_block=lambda i, b: calls.append((i, prune.inner_widths([b])[0])),
    )
    assert calls == [(0, 4), (2, 4)]


@pytest.mark.parametrize("norm", ["layer", "group"])
def test_norms_that_mix_channels_are_refused(norm: str) -> None:
    with pytest.raises(ValueError, match="independently"):
        prune.prune_channels([ResidualBlock(8, norm=norm)], 0.5)


def test_unknown_layouts_and_bad_indices_are_refused() -> None:
    with pytest.raises(ValueError, match="layout"):
        prune.find_layout(tnn.Linear(2, 2))
    with pytest.raises(ValueError, match="indices"):
        prune.keep_channels(trained_block(4), [0, 9])
    with pytest.raises(ValueError, match="once"):
        prune.keep_channels(trained_block(4), [1, 1])


# -- the Go network's pruned form ----------------------------------------------------------


def test_inner_channels_in_the_config_name_and_dict() -> None:
    config = preset("b3c16-pool3", 9)
    pruned = dataclasses.replace(config, inner_channels=[8, 12, 16])
    assert pruned.inner_channels == (8, 12, 16)
    assert pruned.name == "b3c16-i8.12.16-pool3"
    assert preset(pruned.name, 9) == pruned
    uniform = preset("b4c16-i8-pool2", 9)
    assert uniform.inner_channels == (8, 16, 8, 16) and uniform.name == "b4c16-i8-pool2"
    assert NetConfig.from_dict(pruned.to_dict()) == pruned
    # a tower of full widths is the plain network, and its dict is the old one
    assert dataclasses.replace(config, inner_channels=(16, 16, 16)) == config
    assert "inner_channels" not in config.to_dict()


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"inner_channels": (8, 8)}, "one width per block"),
        ({"inner_channels": (8, 0, 8)}, "positive"),
        ({"inner_channels": (8, 8, 8), "global_pool_every": 3}, "global-pooling"),
        ({"inner_channels": (8, 8, 8), "trunk": "mobilenet"}, "resnet"),
        ({"inner_channels": "888"}, "sequence"),
    ],
)
def test_invalid_inner_channels_are_refused(overrides: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        NetConfig(board_size=9, blocks=3, channels=16, **overrides)  # type: ignore[arg-type]


def pruned_go_net() -> GoNet:
    """Return a b3c16 GoNet with non-trivial norms whose middles are pruned to 8, 12, 16."""
    torch.manual_seed(0)
    model = GoNet(preset("b3c16", 5)).train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 17, 5, 5))  # running statistics
    model.eval()
    for block, amount in zip(model.tower, (0.5, 0.25, 0.0), strict=True):
        prune.prune_channels([block], amount)
    return model


def test_a_pruned_go_net_is_rebuilt_from_its_config_and_round_trips(tmp_path: Path) -> None:
    model = pruned_go_net()
    config = dataclasses.replace(model.config, inner_channels=prune.inner_widths(list(model.tower)))
    assert config.inner_channels == (8, 12, 16)
    x = torch.randn(4, 17, 5, 5)
    with torch.no_grad():
        want = model(x)
    path = save_checkpoint(tmp_path / "pruned.pt", model, config)  # checks the shapes fit
    loaded, loaded_config, _ = load_checkpoint(path)
    assert loaded_config == config and loaded_config.name == "b3c16-i8.12.16"
    with torch.no_grad():
        for got, expected in zip(loaded(x), want, strict=True):
            torch.testing.assert_close(got, expected)
    with pytest.raises(ValueError, match="does not match"):
        save_checkpoint(tmp_path / "wrong.pt", model, preset("b3c16", 5))
    data = export_onnx(loaded, (1, 17, 5, 5), output_names=("policy", "value", "ownership"))
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    outputs = session.run(None, {"input": x.numpy()})
    for got, expected in zip(outputs, want, strict=True):
        np.testing.assert_allclose(got, expected.numpy(), atol=1e-4)


def test_old_checkpoints_without_inner_channels_still_load(tmp_path: Path) -> None:
    config = preset("b2c8", 5)
    path = save_checkpoint(tmp_path / "old.pt", GoNet(config), config)
    payload = torch.load(path, weights_only=True)
    assert "inner_channels" not in payload["net_config"]
    assert read_checkpoint(path).net_config.inner_channels == ()


def test_multiply_adds_of_a_pruned_go_net_match_torch_flop_counter() -> None:
    model = pruned_go_net()
    x = torch.randn(2, 17, 5, 5)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    assert count_macs(model, x) == counter.get_total_flops() // 2
    full = GoNet(preset("b3c16", 5)).eval()
    # 8 + 4 middle channels gone, each 2 * 16 * 9 multiply-adds per point
    assert count_macs(full, x[:1]) - count_macs(model, x[:1]) == 12 * 2 * 16 * 9 * 25
