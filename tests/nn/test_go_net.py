"""Tests of nn.go_net: NetConfig, presets and the GoNet policy-value-ownership network."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn as tnn

from nn.blocks import ResidualBlock, fuse_for_inference
from nn.go_net import PRESETS, GoNet, NetConfig, count_parameters, preset
from tests.nn import single_torch_thread  # noqa: F401 (autouse fixture)


def tiny(size: int = 5, **overrides) -> NetConfig:
    """A 2-block, 16-channel network config for tests."""
    fields = {"board_size": size, "in_planes": 17, "blocks": 2, "channels": 16, **overrides}
    return NetConfig(**fields)


def planes(batch: int, size: int, channels: int = 17, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand((batch, channels, size, size), generator=generator) < 0.3).float()


# -- NetConfig -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"board_size": 1}, "board_size"),
        ({"board_size": 20}, "board_size"),
        ({"in_planes": 0}, "in_planes"),
        ({"blocks": -1}, "blocks"),
        ({"channels": 0}, "channels"),
        ({"channels": 16.0}, "integer"),
        ({"blocks": True}, "integer"),
        ({"policy_channels": 0}, "policy_channels"),
        ({"value_channels": 0}, "value_channels"),
        ({"value_hidden": 0}, "value_hidden"),
        ({"ownership_channels": 0}, "ownership_channels"),
        ({"ownership": "yes"}, "ownership"),
        ({"norm": "weight"}, "unknown norm"),
        ({"act": "tanh"}, "unknown activation"),
    ],
)
def test_config_validation(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tiny(**overrides)


def test_config_defaults_scale_with_channels() -> None:
    assert tiny().value_hidden == 64
    assert tiny().ownership_channels == 8
    big = NetConfig(board_size=19, blocks=20, channels=256)
    assert big.value_hidden == 256  # AlphaGo Zero's value head
    assert big.ownership_channels == 64
    assert big.policy_channels == 2 and big.value_channels == 1
    assert tiny(value_hidden=10, ownership_channels=3).value_hidden == 10
    assert tiny().name == "b2c16"
    assert tiny(size=9).num_actions == 82


def test_config_dict_round_trip_is_plain_json() -> None:
    config = tiny(size=9, norm="layer", act="silu", ownership=False)
    data = config.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert NetConfig.from_dict(data) == config
    assert NetConfig.from_dict({"board_size": 7}) == NetConfig(board_size=7)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([("board_size", 9)], "must be a dict"),
        ({"board_size": 9, "depth": 3}, "unknown network config keys"),
        ({"blocks": 3}, "lacks board_size"),
        ({"board_size": "9"}, "integer"),
    ],
)
def test_config_from_bad_dict_raises(data, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NetConfig.from_dict(data)


def test_config_is_frozen() -> None:
    with pytest.raises(AttributeError):
        tiny().blocks = 3  # type: ignore[misc]


# -- presets -------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_build_their_named_tower(name: str) -> None:
    config = preset(name, board_size=9, in_planes=17)
    assert config.name == name
    with torch.device("meta"):  # shapes only, no memory or init cost
        model = GoNet(config)
    blocks = [m for m in model.modules() if isinstance(m, ResidualBlock)]
    assert len(blocks) == config.blocks
    assert all(b.first.conv.out_channels == config.channels for b in blocks)


def test_preset_arguments_and_overrides() -> None:
    config = preset("b6c64", board_size=19, in_planes=22, ownership=False)
    assert (config.board_size, config.in_planes, config.ownership) == (19, 22, False)
    assert (config.blocks, config.channels) == (6, 64)
    assert (preset("b7c77").blocks, preset("b7c77").channels) == (7, 77)  # any bXcY shape
    with pytest.raises(ValueError, match="unknown network preset"):
        preset("large")


# -- GoNet ---------------------------------------------------------------------


@pytest.mark.parametrize("size", [5, 9])
def test_forward_shapes_and_ranges(size: int) -> None:
    torch.manual_seed(0)
    model = GoNet(tiny(size)).eval()
    with torch.no_grad():
        policy, value, ownership = model(planes(3, size))
    assert policy.shape == (3, size * size + 1)
    assert value.shape == (3,)
    assert ownership.shape == (3, size, size)
    assert torch.isfinite(policy).all()
    assert (value.abs() <= 1).all() and (ownership.abs() <= 1).all()


def test_network_without_ownership_head_returns_zeros() -> None:
    model = GoNet(tiny(ownership=False)).eval()
    assert model.ownership_conv is None and model.ownership_out is None
    with torch.no_grad():
        _, _, ownership = model(planes(2, 5))
    assert ownership.shape == (2, 5, 5)
    assert not ownership.any()
    with_head = count_parameters(GoNet(tiny()))
    assert count_parameters(model) == with_head - (16 * 8 + 2 * 8 + 8 + 1)


def test_heads_are_size_specific() -> None:
    model = GoNet(tiny(size=9))
    with pytest.raises(ValueError, match=r"\(B, 17, 9, 9\)"):
        model(planes(1, 5))
    with pytest.raises(ValueError, match="shape"):
        model(planes(1, 9, channels=16))


def test_count_parameters_matches_architecture() -> None:
    n, c, h, oc = 5, 16, 64, 8
    points = n * n
    stem = 17 * c * 9 + 2 * c  # conv without bias, norm scale and shift
    tower = 2 * 2 * (c * c * 9 + 2 * c)  # two blocks of two conv-norm
    policy = c * 2 + 2 * 2 + (2 * points) * (points + 1) + (points + 1)
    value = c * 1 + 2 * 1 + points * h + h + h + 1
    ownership = c * oc + 2 * oc + oc + 1
    expected = stem + tower + policy + value + ownership
    assert count_parameters(GoNet(tiny(n))) == expected


def test_every_parameter_is_trained_by_the_three_heads() -> None:
    torch.manual_seed(0)
    model = GoNet(tiny()).train()
    policy, value, ownership = model(planes(4, 5))
    loss = policy.logsumexp(1).mean() + value.square().mean() + ownership.square().mean()
    loss.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_batch_norm_eval_mode_makes_positions_independent() -> None:
    torch.manual_seed(0)
    model = GoNet(tiny())
    with torch.no_grad():
        model(planes(16, 5, seed=1))  # train mode: updates the running statistics
        model.eval()
        x = planes(6, 5, seed=2)
        alone = model(x[:1])
        batched = model(x)
    for a, b in zip(alone, batched, strict=True):
        assert torch.allclose(a[0], b[0], atol=1e-5)


@pytest.mark.parametrize("norm", ["batch", "layer", "instance", "none"])
def test_other_norms_and_activations_build_and_run(norm: str) -> None:
    model = GoNet(tiny(norm=norm, act="gelu")).eval()
    with torch.no_grad():
        policy, value, ownership = model(planes(2, 5))
    assert policy.shape == (2, 26) and value.shape == (2,) and ownership.shape == (2, 5, 5)


def test_fused_network_gives_the_same_outputs() -> None:
    torch.manual_seed(0)
    model = GoNet(tiny(size=9))
    with torch.no_grad():
        model(planes(16, 9, seed=3))
    model.eval()
    fused = fuse_for_inference(model)
    assert isinstance(fused, GoNet)
    assert not any(isinstance(m, tnn.BatchNorm2d) for m in fused.modules())
    x = planes(5, 9, seed=4)
    with torch.no_grad():
        for a, b in zip(model(x), fused(x), strict=True):
            assert torch.allclose(a, b, atol=1e-5)
