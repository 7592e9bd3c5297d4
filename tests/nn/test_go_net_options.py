"""Tests of KataGo's options of nn.go_net and nn.blocks: global pooling, auxiliary heads.

Shapes, preset names, checkpoint round trips (weights_only) and that ``forward(x)``
stays ``(policy, value, ownership)`` whatever the options.
"""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn as tnn

from engine.features import FeatureConfig
from nn.blocks import GlobalPool, GlobalPoolBlock, ResidualBlock, fuse_for_inference
from nn.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from nn.go_net import AUX_HEADS, GoNet, NetConfig, preset
from tests.nn import single_torch_thread  # noqa: F401 (autouse fixture)

ALL = "b3c16-pool2-poolhead-score-opp-stv"


def planes(batch: int, size: int, channels: int = 17, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand((batch, channels, size, size), generator=generator) < 0.3).float()


def warmed(config: NetConfig, seed: int = 0) -> GoNet:
    """A network with batch-norm running statistics, in eval mode."""
    torch.manual_seed(seed)
    model = GoNet(config)
    with torch.no_grad():
        model(planes(16, config.board_size, config.in_planes, seed=seed + 1))
    return model.eval()


# -- blocks ----------------------------------------------------------------------


def test_global_pool_gives_mean_scaled_mean_and_max() -> None:
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    pooled = GlobalPool()(x)
    assert pooled.shape == (2, 9)
    mean = x.mean(dim=(2, 3))
    torch.testing.assert_close(pooled[:, :3], mean)
    torch.testing.assert_close(pooled[:, 3:6], mean * (math.sqrt(16) - 14) / 10)
    torch.testing.assert_close(pooled[:, 6:], x.amax(dim=(2, 3)))


def test_global_pool_block_keeps_shape_and_sees_the_whole_board() -> None:
    torch.manual_seed(0)
    block = GlobalPoolBlock(16, 4).eval()
    x = torch.randn(2, 16, 9, 9)
    assert block(x).shape == x.shape
    # a change in one corner reaches the far corner in one block (3x3 convolutions alone
    # reach 2 points): the pooled bias carries it
    y = x.clone()
    y[:, :, 0, 0] += 5.0
    with torch.no_grad():
        assert not torch.allclose(block(x)[:, :, 8, 8], block(y)[:, :, 8, 8])
        plain = ResidualBlock(16).eval()
        torch.testing.assert_close(plain(x)[:, :, 8, 8], plain(y)[:, :, 8, 8])


@pytest.mark.parametrize(("channels", "pooled"), [(1, None), (16, 0), (16, 16)])
def test_global_pool_block_rejects_bad_sizes(channels: int, pooled: int | None) -> None:
    with pytest.raises(ValueError):
        GlobalPoolBlock(channels, pooled)


# -- config and presets ------------------------------------------------------------


def test_preset_suffixes_set_the_options_and_the_name_writes_them_back() -> None:
    config = preset(ALL, board_size=5)
    assert (config.blocks, config.channels) == (3, 16)
    assert config.global_pool_every == 2 and config.global_pool_heads
    assert config.heads == AUX_HEADS
    assert config.name == ALL
    assert preset("b6c64-pool").global_pool_every == 3
    assert preset("b6c64-opp-score").heads == ("score", "opponent_policy")  # canonical order
    assert preset("b6c64").name == "b6c64"
    with pytest.raises(ValueError, match="unknown suffix"):
        preset("b6c64-big")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"heads": ("value",)}, "unknown heads"),
        ({"heads": ("score", "score")}, "repeat"),
        ({"heads": "score"}, "sequence"),
        ({"global_pool_every": -1}, "global_pool_every"),
        ({"global_pool_every": 1, "channels": 1}, "2 channels"),
        ({"global_pool_heads": 1}, "True or False"),
    ],
)
def test_option_validation(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NetConfig(**{"board_size": 5, "blocks": 2, "channels": 16, **overrides})


def test_default_config_dict_is_unchanged_and_options_round_trip() -> None:
    plain = NetConfig(board_size=9)
    assert set(plain.to_dict()) == {
        "board_size", "in_planes", "blocks", "channels", "policy_channels",
        "value_channels", "value_hidden", "ownership", "ownership_channels", "norm", "act",
    }  # fmt: skip
    config = preset(ALL, board_size=5)
    data = config.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert NetConfig.from_dict(data) == config


def test_pool_blocks_sit_every_k_blocks() -> None:
    model = GoNet(preset("b6c16-pool3", board_size=5))
    kinds = [type(block).__name__ for block in model.tower]
    assert kinds == ["ResidualBlock", "ResidualBlock", "GlobalPoolBlock"] * 2


# -- GoNet with options --------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["b2c16-score-opp-stv", "b2c16-pool1", "b2c16-poolhead", "b2c16-poolhead-opp", ALL]
)
@pytest.mark.parametrize("size", [5, 9])
def test_forward_keeps_three_outputs_and_heads_adds_the_rest(name: str, size: int) -> None:
    config = preset(name, board_size=size)
    model = warmed(config)
    x = planes(3, size)
    with torch.no_grad():
        policy, value, ownership = model(x)
        named = model(x, heads=True)
    assert policy.shape == (3, size * size + 1)
    assert value.shape == (3,) and ownership.shape == (3, size, size)
    assert set(named) == {"policy", "value", "ownership", *config.heads}
    for key, tensor in zip(
        ("policy", "value", "ownership"), (policy, value, ownership), strict=True
    ):
        torch.testing.assert_close(named[key], tensor)
    if "score" in named:
        assert named["score"].shape == (3,)
    if "opponent_policy" in named:
        assert named["opponent_policy"].shape == (3, size * size + 1)
        assert not torch.allclose(named["opponent_policy"], policy)
    if "short_term_value" in named:
        assert named["short_term_value"].shape == (3,)
        assert (named["short_term_value"].abs() <= 1).all()
    assert model.aux_heads == config.heads


def test_every_parameter_is_trained_by_some_head() -> None:
    torch.manual_seed(0)
    model = GoNet(preset(ALL, board_size=5)).train()
    out = model(planes(4, 5), heads=True)
    loss = (
        out["policy"].logsumexp(1).mean()
        + out["opponent_policy"].logsumexp(1).mean()
        + out["value"].square().mean()
        + out["ownership"].square().mean()
        + out["score"].square().mean()
        + out["short_term_value"].square().mean()
    )
    loss.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_fused_network_with_options_gives_the_same_outputs() -> None:
    model = warmed(preset(ALL, board_size=5))
    fused = fuse_for_inference(model)
    x = planes(4, 5, seed=7)
    with torch.no_grad():
        for a, b in zip(model(x), fused(x), strict=True):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    assert not any(isinstance(m, tnn.BatchNorm2d) for m in fused.modules())


def test_checkpoint_round_trip_rebuilds_the_options(tmp_path) -> None:
    features = FeatureConfig(history=2, extra=("ladder", "ones"))
    config = preset(ALL, board_size=5, in_planes=features.num_planes)
    model = warmed(config)
    path = save_checkpoint(tmp_path / "net.pt", model, config, feature_config=features)
    raw = torch.load(path, weights_only=True)  # plain data only
    assert raw["net_config"]["heads"] == list(AUX_HEADS)
    checkpoint = read_checkpoint(path)
    assert checkpoint.net_config == config
    assert checkpoint.feature_config == features
    loaded, loaded_config, extra = load_checkpoint(path)
    assert loaded_config == config and extra["feature_config"] == features
    x = planes(3, 5, features.num_planes)
    with torch.no_grad():
        want, got = model(x, heads=True), loaded(x, heads=True)
    for key in want:
        torch.testing.assert_close(got[key], want[key])


def test_default_checkpoint_has_no_new_keys(tmp_path) -> None:
    config = NetConfig(board_size=5, blocks=1, channels=8)
    path = save_checkpoint(tmp_path / "plain.pt", GoNet(config), config)
    raw = torch.load(path, weights_only=True)
    assert not {"heads", "global_pool_every", "global_pool_heads"} & set(raw["net_config"])


def test_evaluator_of_a_checkpoint_with_options_returns_three_arrays(tmp_path) -> None:
    from nn.evaluator import TorchEvaluator

    features = FeatureConfig(history=1, extra=("ladder",))
    config = preset(ALL, board_size=5, in_planes=features.num_planes)
    path = save_checkpoint(tmp_path / "net.pt", warmed(config), config, feature_config=features)
    evaluator = TorchEvaluator.from_checkpoint(path, dtype="float32")
    policy, value, ownership = evaluator.evaluate(planes(2, 5, features.num_planes).numpy())
    assert policy.shape == (2, 26) and value.shape == (2,) and ownership.shape == (2, 5, 5)
