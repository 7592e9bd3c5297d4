"""Trunks of nn.trunks, group norm, the multiply-add counter and their Go presets.

Each trunk is checked for shapes under every norm, gradient flow to every parameter,
its structure (depthwise convolutions, dense growth, attention bias by offset), and
its multiply-adds against ``torch.utils.flop_counter``; the presets are checked to be
within ±25% of b6c64's multiply-adds and to round-trip through a checkpoint.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn as tnn
from torch.utils.flop_counter import FlopCounterMode

from nn.flops import count_macs, macs_per_example
from nn.go_net import TRUNK_PRESETS, GoNet, NetConfig, count_parameters, preset
from nn.norms import NORMS, group_count, make_norm
from nn.trunks import TRUNKS, make_trunk, trunk_options
from nn.trunks.densenet import DenseBlock, DenseNetTrunk
from nn.trunks.mobilenet import InvertedResidual
from nn.trunks.transformer import MultiHeadSelfAttention, RelativePositionBias

REPO = Path(__file__).resolve().parents[2]
GENERIC_MODULES = [
    REPO / "nn" / "flops.py",
    REPO / "nn" / "norms.py",
    *sorted((REPO / "nn" / "trunks").glob("*.py")),
]
FORBIDDEN = {"engine", "selfplay", "trainer", "zerogo", "gui"}


def flop_counter_macs(model: tnn.Module, x: torch.Tensor) -> int:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() // 2


@pytest.mark.parametrize("name", list(TRUNKS))
@pytest.mark.parametrize("norm", list(NORMS))
def test_every_trunk_takes_every_norm_and_keeps_the_board(name: str, norm: str) -> None:
    torch.manual_seed(0)
    trunk = make_trunk(name, 5, 16, 2, 5, norm=norm, act="relu")
    x = torch.randn(3, 5, 5, 5)
    y = trunk(x)
    assert y.shape == (3, 16, 5, 5)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("name", list(TRUNKS))
def test_gradient_reaches_every_parameter(name: str) -> None:
    torch.manual_seed(1)
    trunk = make_trunk(name, 4, 16, 2, 5, norm="group")
    trunk(torch.randn(2, 4, 5, 5)).square().mean().backward()
    for pname, parameter in trunk.named_parameters():
        assert parameter.grad is not None, pname
        assert parameter.grad.abs().sum() > 0, pname


def test_group_norm_groups_divide_any_channel_count() -> None:
    assert group_count(64) == 8
    assert group_count(12) == 4
    assert group_count(17) == 1
    norm = make_norm("group", 12)
    assert isinstance(norm, tnn.GroupNorm) and norm.num_groups == 4
    x = torch.randn(2, 12, 5, 5) * 3 + 1
    y = norm(x).reshape(2, 4, -1)
    assert torch.allclose(y.mean(-1), torch.zeros(2, 4), atol=1e-5)
    assert torch.allclose(y.var(-1, unbiased=False), torch.ones(2, 4), atol=1e-3)


def test_inverted_residual_is_depthwise_and_linear_at_the_end() -> None:
    block = InvertedResidual(8, expansion=3, norm="none")
    assert block.depthwise.groups == 24 and block.depthwise.weight.shape == (24, 1, 3, 3)
    assert isinstance(block.project.act, tnn.Identity)  # linear bottleneck
    # a depthwise-separable block costs far less than one full 3x3 layer
    macs = count_macs(block, torch.randn(1, 8, 9, 9))
    assert macs == 81 * (8 * 24 + 24 * 9 + 24 * 8)


def test_dense_block_grows_by_k_per_layer_and_transition_compresses() -> None:
    block = DenseBlock(10, layers=3, growth=4, bottleneck=2, norm="batch", act="relu")
    assert block.out_channels == 22
    x = torch.randn(2, 10, 5, 5)
    y = block(x)
    assert y.shape == (2, 22, 5, 5)
    assert torch.equal(y[:, :10], x)  # the input is passed on, concatenated
    trunk = DenseNetTrunk(3, 8, blocks=4, growth=4, bottleneck=2, compression=0.5, stages=2)
    transition = trunk.stages[1]
    assert transition.conv.in_channels == 16 and transition.conv.out_channels == 8
    assert trunk.stages[2].out_channels == 16


def test_relative_bias_depends_only_on_the_offset() -> None:
    bias = RelativePositionBias(4, heads=2)
    table = bias()
    assert table.shape == (2, 16, 16)

    def point(r: int, c: int) -> int:
        return 4 * r + c

    assert torch.equal(table[:, point(0, 0), point(1, 2)], table[:, point(2, 1), point(3, 3)])
    assert not torch.equal(table[:, point(0, 0), point(1, 2)], table[:, point(0, 0), point(2, 1)])


def test_attention_mixes_points_and_checks_its_size() -> None:
    torch.manual_seed(2)
    attention = MultiHeadSelfAttention(8, heads=2, size=4)
    x = torch.randn(1, 8, 4, 4)
    y = attention(x)
    x2 = x.clone()
    x2[0, :, 3, 3] += 1.0
    # a change at one point reaches every other point (global receptive field)
    assert (attention(x2) - y)[0, :, 0, 0].abs().sum() > 0
    with pytest.raises(ValueError, match="built for 4x4"):
        attention(torch.randn(1, 8, 5, 5))
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadSelfAttention(10, heads=3, size=4)


# b6c64-i32 and b3c32-i8.24.32-pool3: channel-pruned towers (nn.compress.prune)
@pytest.mark.parametrize("name", ["b6c64", "b6c64-i32", "b3c32-i8.24.32-pool3", *TRUNK_PRESETS])
def test_macs_match_torch_flop_counter(name: str) -> None:
    model = GoNet(preset(name, 9)).eval()
    x = torch.randn(2, 17, 9, 9)
    assert count_macs(model, x) == flop_counter_macs(model, x)
    assert macs_per_example(model, x) * 2 == count_macs(model, x)


@pytest.mark.parametrize("name", list(TRUNK_PRESETS))
def test_trunk_presets_cost_about_what_b6c64_costs(name: str) -> None:
    x = torch.zeros(1, 17, 9, 9)
    reference = count_macs(GoNet(preset("b6c64", 9)).eval(), x)
    macs = count_macs(GoNet(preset(name, 9)).eval(), x)
    assert 0.75 * reference <= macs <= 1.25 * reference, (name, macs, reference)


@pytest.mark.parametrize("name", [*TRUNK_PRESETS, "tf2c16-gn", "mb2c16-ln", "dn3c16-in"])
def test_preset_names_round_trip_and_checkpoints_rebuild(name: str, tmp_path: Path) -> None:
    from nn.checkpoint import read_checkpoint, save_checkpoint

    config = preset(name, 5)
    assert config.name == name
    assert config.trunk != "resnet"
    assert dict(config.trunk_options) == trunk_options(config.trunk)
    data = config.to_dict()
    assert data["trunk"] == config.trunk and isinstance(data["trunk_options"], dict)
    assert NetConfig.from_dict(data) == config
    torch.manual_seed(3)
    model = GoNet(config).eval()
    path = save_checkpoint(tmp_path / "net.pt", model, config)
    loaded = read_checkpoint(path)
    assert loaded.net_config == config
    rebuilt = loaded.build_model()
    x = torch.randn(2, 17, 5, 5)
    with torch.no_grad():
        for a, b in zip(model(x), rebuilt(x), strict=True):
            assert torch.allclose(a, b)


def test_resnet_configs_are_saved_as_before() -> None:
    data = preset("b6c64", 9).to_dict()
    assert "trunk" not in data and "trunk_options" not in data
    model = GoNet(preset("b2c16", 5))
    assert not any(key.startswith("tower.stem") for key in model.state_dict())
    assert count_parameters(model) == count_parameters(GoNet(preset("b2c16", 5)))


def test_bad_trunk_configs_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown trunk"):
        NetConfig(board_size=9, trunk="lstm")
    with pytest.raises(ValueError, match="unknown options"):
        NetConfig(board_size=9, trunk="mobilenet", trunk_options={"growth": 3})
    with pytest.raises(ValueError, match="no trunk_options"):
        NetConfig(board_size=9, trunk_options={"expansion": 2})
    with pytest.raises(ValueError, match="global-pooling"):
        preset("mb4c16-pool2", 9)
    with pytest.raises(ValueError, match="integer"):
        NetConfig(board_size=9, trunk="transformer", trunk_options={"heads": 2.5})


@pytest.mark.parametrize("path", GENERIC_MODULES, ids=lambda p: p.name)
def test_generic_modules_import_nothing_of_go(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_importing_the_trunks_loads_no_go_package() -> None:
    code = (
        "import sys, nn.flops, nn.trunks.mobilenet, nn.trunks.densenet, "
        "nn.trunks.transformer; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(FORBIDDEN)!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["mb2c16", "dn2c16", "tf2c16-gn"])
def test_each_trunk_exports_to_onnx_with_the_same_outputs(name: str, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    import numpy as np

    from nn.backends import load_evaluator
    from nn.checkpoint import save_checkpoint

    torch.manual_seed(4)
    config = preset(name, 5)
    path = save_checkpoint(tmp_path / f"{name}.pt", GoNet(config), config, {"name": name})
    x = (np.random.default_rng(0).random((4, 17, 5, 5)) < 0.3).astype(np.float32)
    expected = load_evaluator(path, "torch", dtype="float32").evaluate(x)
    got = load_evaluator(path, "onnx", dtype="float32", cache_dir=tmp_path).evaluate(x)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
