"""Tests of nn.checkpoint: round trips, safety (weights_only), validation, atomic writes."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
import torch

from engine.features import FeatureConfig
from nn import checkpoint as ckpt
from nn.blocks import fuse_for_inference
from nn.checkpoint import (
    export_weights,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from nn.go_net import GoNet, NetConfig
from tests.nn import single_torch_thread  # noqa: F401 (autouse fixture)

FEATURES = FeatureConfig(history=2, extra=("ko", "ones"))  # 2*2 + 1 + 2 = 7 planes


def tiny_config(**overrides) -> NetConfig:
    fields = {"board_size": 5, "in_planes": FEATURES.num_planes, "blocks": 2, "channels": 16}
    return NetConfig(**{**fields, **overrides})


def trained_model(config: NetConfig, seed: int = 0) -> GoNet:
    """A tiny network with non-default weights and batch-norm running statistics."""
    torch.manual_seed(seed)
    model = GoNet(config)
    with torch.no_grad():
        for _ in range(2):
            model(torch.rand(8, config.in_planes, config.board_size, config.board_size))
    return model.eval()


def inputs(config: NetConfig, batch: int = 4) -> torch.Tensor:
    generator = torch.Generator().manual_seed(5)
    shape = (batch, config.in_planes, config.board_size, config.board_size)
    return (torch.rand(shape, generator=generator) < 0.3).float()


def outputs(model: GoNet, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    with torch.no_grad():
        return model.eval()(x)


def _mark(path: str) -> str:
    """The 'payload' of the malicious pickle: leaves a file behind if it ever runs."""
    Path(path).write_text("executed")
    return "pwned"


class _Malicious:
    def __init__(self, flag: Path) -> None:
        self.flag = flag

    def __reduce__(self):
        return (_mark, (str(self.flag),))


# -- round trips ---------------------------------------------------------------


def test_round_trip_rebuilds_the_same_network(tmp_path: Path) -> None:
    config = tiny_config(norm="batch", act="silu")
    model = trained_model(config)
    meta = {"name": "gen-0003", "parent": "gen-0002", "games_trained": 1200, "step": 800}
    path = save_checkpoint(tmp_path / "net.pt", model, config, meta, feature_config=FEATURES)
    loaded, loaded_config, extra = load_checkpoint(path)
    assert isinstance(loaded, GoNet) and not loaded.training
    assert loaded_config == config
    assert extra["feature_config"] == FEATURES
    assert {k: extra[k] for k in meta} == meta
    x = inputs(config)
    for a, b in zip(outputs(model, x), outputs(loaded, x), strict=True):
        assert torch.equal(a, b)
    assert list(tmp_path.iterdir()) == [tmp_path / "net.pt"]  # no temporary file left


def test_default_metadata(tmp_path: Path) -> None:
    config = NetConfig(board_size=5, blocks=1, channels=8)  # 17 planes: default features
    save_checkpoint(tmp_path / "first.pt", GoNet(config), config)
    checkpoint = read_checkpoint(tmp_path / "first.pt")
    meta = checkpoint.metadata
    assert (meta["name"], meta["parent"], meta["games_trained"], meta["step"]) == (
        "first",
        None,
        0,
        0,
    )
    assert datetime.fromisoformat(meta["created"]).tzinfo is not None
    assert checkpoint.feature_config == FeatureConfig()
    assert checkpoint.optimizer_state is None


def test_optimizer_state_round_trip_and_export_strips_it(tmp_path: Path) -> None:
    config = tiny_config()
    model = trained_model(config).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    policy, value, ownership = model(inputs(config))
    (policy.logsumexp(1).mean() + value.mean() + ownership.mean()).backward()
    optimizer.step()
    model.eval()
    full = save_checkpoint(
        tmp_path / "full.pt",
        model,
        config,
        {"step": 1},
        optimizer.state_dict(),
        feature_config=FEATURES,
    )
    restored = read_checkpoint(full).optimizer_state
    assert restored is not None
    fresh = torch.optim.Adam(GoNet(config).parameters(), lr=1e-3)
    fresh.load_state_dict(restored)
    assert fresh.state_dict()["state"][0]["step"] == 1

    small = export_weights(full, tmp_path / "small.pt")
    assert small.stat().st_size < full.stat().st_size
    shipped = read_checkpoint(small)
    assert shipped.optimizer_state is None
    assert shipped.metadata == read_checkpoint(full).metadata
    x = inputs(config)
    for a, b in zip(outputs(model, x), outputs(load_checkpoint(small)[0], x), strict=True):
        assert torch.equal(a, b)


# -- safety --------------------------------------------------------------------


def test_pickled_code_is_refused_not_executed(tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    path = tmp_path / "evil.pt"
    torch.save({"format": ckpt.FORMAT, "payload": _Malicious(flag)}, path)
    with pytest.raises(ValueError, match="weights_only"):
        read_checkpoint(path)
    with pytest.raises(ValueError, match="weights_only"):
        load_checkpoint(path)
    assert not flag.exists()
    # the file is live: an unsafe load would have run the payload
    torch.load(path, weights_only=False)
    assert flag.read_text() == "executed"


def test_foreign_files_raise_value_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.pt"
    text.write_text("not a checkpoint at all\n")
    with pytest.raises(ValueError, match="not a safe zerogo checkpoint"):
        read_checkpoint(text)
    bare = tmp_path / "bare.pt"
    torch.save({"weight": torch.zeros(3)}, bare)  # a plain state dict
    with pytest.raises(ValueError, match="not a zerogo checkpoint"):
        read_checkpoint(bare)
    with pytest.raises(FileNotFoundError):
        read_checkpoint(tmp_path / "missing.pt")


def _tampered(tmp_path: Path, **changes) -> Path:
    config = tiny_config()
    path = save_checkpoint(
        tmp_path / "good.pt", trained_model(config), config, feature_config=FEATURES
    )
    payload = torch.load(path, weights_only=True)
    for key, value in changes.items():
        if value is None:
            del payload[key]
        else:
            payload[key] = value
    bad = tmp_path / "bad.pt"
    torch.save(payload, bad)
    return bad


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": 99}, "format version 99"),
        ({"net_config": None}, "lacks net_config"),
        ({"net_config": {"board_size": 5, "blocks": -2}}, "invalid config"),
        ({"feature_config": {"history": 0, "extra": []}}, "invalid config"),
        ({"feature_config": {"history": 8, "extra": []}}, "17 planes"),
        ({"metadata": "{not json"}, "unreadable metadata"),
        ({"metadata": "[1, 2]"}, "not a JSON object"),
        ({"state_dict": [torch.zeros(2)]}, "not a dict of tensors"),
        ({"optimizer_state": [1]}, "optimizer_state is not a dict"),
    ],
)
def test_malformed_checkpoints_name_the_problem(
    tmp_path: Path, changes: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        read_checkpoint(_tampered(tmp_path, **changes))


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path: Path) -> None:
    other = GoNet(tiny_config(channels=8)).state_dict()
    with pytest.raises(ValueError, match="do not fit"):
        load_checkpoint(_tampered(tmp_path, state_dict=other))


# -- saving --------------------------------------------------------------------


def test_save_refuses_mismatched_inputs(tmp_path: Path) -> None:
    config = tiny_config()
    model = trained_model(config)
    with pytest.raises(ValueError, match="planes"):
        save_checkpoint(tmp_path / "a.pt", model, config)  # default features: 17 planes
    with pytest.raises(ValueError, match="JSON"):
        save_checkpoint(
            tmp_path / "a.pt", model, config, {"games": {1, 2}}, feature_config=FEATURES
        )
    with pytest.raises(ValueError, match=r"optimizer_state\['param_groups'\]\[0\]"):
        state = {"param_groups": [{"lr_lambda": lambda step: 1.0}], "state": {}}
        save_checkpoint(tmp_path / "a.pt", model, config, None, state, feature_config=FEATURES)
    with pytest.raises(ValueError, match="does not match its config"):
        save_checkpoint(
            tmp_path / "a.pt", fuse_for_inference(model), config, feature_config=FEATURES
        )
    with pytest.raises(ValueError, match="does not match its config"):
        save_checkpoint(tmp_path / "a.pt", model, tiny_config(channels=8), feature_config=FEATURES)
    assert list(tmp_path.iterdir()) == []


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tiny_config()
    path = save_checkpoint(
        tmp_path / "net.pt",
        trained_model(config, seed=1),
        config,
        {"step": 1},
        feature_config=FEATURES,
    )
    before = path.read_bytes()

    def failing_save(obj, file) -> None:
        file.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, trained_model(config, seed=2), config, feature_config=FEATURES)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]
    monkeypatch.undo()
    save_checkpoint(
        path, trained_model(config, seed=2), config, {"step": 2}, feature_config=FEATURES
    )
    assert read_checkpoint(path).metadata["step"] == 2
    assert os.stat(path).st_mode & 0o777 == 0o644
