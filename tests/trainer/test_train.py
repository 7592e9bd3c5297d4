"""Tests of the optimisation loop (trainer.train) and its config (trainer.config)."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from engine.features import FeatureConfig
from tests.trainer import TinyNet, one_torch_thread, random_records, write_games
from trainer.config import CONFIG_FILE, TrainConfig
from trainer.dataset import Batch, BatchSampler
from trainer.replay import ReplayBuffer
from trainer.train import Trainer, seed_everything

SIZE = 5
FEATURES = FeatureConfig(history=2)


@pytest.fixture(autouse=True, scope="module")
def _single_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


def tiny_config(**overrides: object) -> TrainConfig:
    values: dict[str, object] = {
        "window_games": 16,
        "min_games": 0,
        "batch_size": 32,
        "device": "cpu",
        "log_every": 2,
        "lr": 0.05,
    }
    values.update(overrides)
    return TrainConfig(**values)  # type: ignore[arg-type]


def tiny_net(seed: int = 0) -> TinyNet:
    seed_everything(seed)
    return TinyNet(FEATURES.num_planes, SIZE)


@pytest.fixture(scope="module")
def sampler(tmp_path_factory: pytest.TempPathFactory) -> BatchSampler:
    directory = tmp_path_factory.mktemp("shards")
    write_games(directory, "a", random_records(8, seed=21))
    write_games(directory, "b", random_records(8, seed=22, first_id=8))
    buffer = ReplayBuffer(directory, window_games=16, validation_fraction=0.2)
    buffer.refresh()
    return BatchSampler(buffer, FEATURES, batch_size=32, seed=0)


@pytest.fixture(scope="module")
def fixed_batches(sampler: BatchSampler) -> list[Batch]:
    return [sampler.sample() for _ in range(4)]


# -- config ------------------------------------------------------------------------


def test_config_defaults_resolve_per_optimizer() -> None:
    sgd, adamw = TrainConfig(), TrainConfig(optimizer="adamw")
    assert (sgd.lr, sgd.weight_decay, sgd.momentum) == (0.02, 1e-4, 0.9)
    assert (adamw.lr, adamw.weight_decay) == (1e-3, 0.01)
    assert TrainConfig(optimizer="adamw", lr=3e-4).lr == 3e-4


def test_config_json_round_trip(tmp_path: Path) -> None:
    config = TrainConfig(optimizer="adamw", lr_steps=((0, 1.0), (50, 0.5)), grad_clip_norm=2.0)
    assert TrainConfig.from_json(config.to_json()) == config
    path = config.write_to(tmp_path / "run")
    assert path.name == CONFIG_FILE
    assert json.loads(path.read_text())["lr_steps"] == [[0, 1.0], [50, 0.5]]
    assert TrainConfig.read_from(tmp_path / "run") == config
    with pytest.raises(ValueError, match="unknown"):
        TrainConfig.from_dict({"batch": 3})


@pytest.mark.parametrize(
    "field, value",
    [
        ("window_games", 0),
        ("min_games", 30_000),
        ("validation_fraction", 1.0),
        ("batch_size", 0),
        ("optimizer", "adam"),
        ("lr", -1.0),
        ("momentum", 1.0),
        ("lr_schedule", "linear"),
        ("lr_steps", ((10, 1.0),)),
        ("lr_steps", ((0, 1.0), (5, 0.1), (5, 0.01))),
        ("lr_steps", ((0, 0.0),)),
        ("weight_decay", -1e-4),
        ("ownership_loss", "l1"),
        ("ownership_weight", math.nan),
        ("sample_positions", "some"),
        ("device", "tpu"),
        ("amp_dtype", "float8"),
        ("samples_per_position", 0.0),
    ],
)
def test_config_rejects_bad_values(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})  # type: ignore[arg-type]


def test_learning_rate_schedules() -> None:
    steps = TrainConfig()
    assert [steps.learning_rate(s) for s in (0, 99_999, 100_000, 200_000)] == pytest.approx(
        [0.02, 0.02, 0.002, 0.0002]
    )
    cosine = TrainConfig(lr_schedule="cosine", cosine_steps=100, cosine_final=0.1, lr=1.0)
    assert cosine.learning_rate(0) == pytest.approx(1.0)
    assert cosine.learning_rate(50) == pytest.approx(0.55)
    assert cosine.learning_rate(100) == cosine.learning_rate(500) == pytest.approx(0.1)
    warm = TrainConfig(lr_schedule="constant", warmup_steps=4, lr=1.0)
    assert [warm.learning_rate(s) for s in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_steps_per_generation() -> None:
    config = TrainConfig(batch_size=256, samples_per_position=4.0)
    assert config.steps_for(0) == 0
    assert config.steps_for(6400) == 100  # 6400 positions * 4 / 256
    assert config.steps_for(6401) == 101


# -- trainer -----------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_training_lowers_the_loss_on_a_fixed_batch(
    fixed_batches: list[Batch], optimizer: str
) -> None:
    lr = 0.05 if optimizer == "sgd" else 3e-3
    trainer = Trainer(tiny_net(), tiny_config(optimizer=optimizer, lr=lr))
    batch = fixed_batches[0]
    losses = [trainer.train_step(batch)["loss"] for _ in range(25)]
    assert losses[-1] < 0.8 * losses[0]
    assert trainer.step == 25


def test_resume_continues_identically(fixed_batches: list[Batch]) -> None:
    config = tiny_config()
    first = Trainer(tiny_net(seed=1), config)
    first.train_steps(fixed_batches[:3], 3)
    saved = copy.deepcopy(first.state_dict())
    expected = [first.train_step(b)["loss"] for b in fixed_batches[:3]]

    second = Trainer(tiny_net(seed=2), config)  # other weights until the state is loaded
    second.load_state_dict(saved)
    assert second.step == 3
    resumed = [second.train_step(b)["loss"] for b in fixed_batches[:3]]
    assert resumed == expected
    for a, b in zip(first.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_resume_without_optimizer_state_differs(fixed_batches: list[Batch]) -> None:
    """The momentum buffers matter: weights alone do not reproduce the next steps."""
    config = tiny_config()
    first = Trainer(tiny_net(seed=1), config)
    first.train_steps(fixed_batches[:3], 3)
    weights = copy.deepcopy(first.model.state_dict())
    expected = [first.train_step(b)["loss"] for b in fixed_batches[:2]]
    second = Trainer(tiny_net(seed=2), config)
    second.model.load_state_dict(weights)
    second.step = 3
    assert [second.train_step(b)["loss"] for b in fixed_batches[:2]] != expected


def test_same_seed_same_training(fixed_batches: list[Batch]) -> None:
    results = []
    for _ in range(2):
        trainer = Trainer(tiny_net(seed=5), tiny_config())
        results.append(trainer.train_steps(fixed_batches, 4))
    assert results[0] == results[1]


def test_learning_rate_follows_the_schedule(fixed_batches: list[Batch]) -> None:
    config = tiny_config(lr=0.1, lr_steps=((0, 1.0), (2, 0.1)))
    trainer = Trainer(tiny_net(), config)
    rates = []
    for batch in fixed_batches[:3]:
        trainer.train_step(batch)
        rates.append(trainer.optimizer.param_groups[0]["lr"])
    assert rates == pytest.approx([0.1, 0.1, 0.01])


def test_validate_changes_nothing(fixed_batches: list[Batch]) -> None:
    trainer = Trainer(tiny_net(), tiny_config())
    before = copy.deepcopy(trainer.model.state_dict())
    values = trainer.validate(fixed_batches[:2])
    assert {"loss", "policy", "value", "ownership", "policy_accuracy", "value_mse"} <= set(values)
    assert 0.0 <= values["policy_accuracy"] <= 1.0 and trainer.step == 0
    for name, tensor in trainer.model.state_dict().items():
        assert torch.equal(tensor, before[name])
    assert trainer.validate([]) == {}


def test_train_steps_from_the_sampler_and_tensorboard(
    sampler: BatchSampler, tmp_path: Path
) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    with Trainer(tiny_net(), tiny_config(), tmp_path / "tb", progress=True) as trainer:
        means = trainer.train_steps(sampler, 4)
        assert set(means) >= {"loss", "policy_accuracy", "value_mse"}
        trainer.validate(sampler.fixed_batches("validation", 64))
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    for name in (
        "loss",
        "policy",
        "value",
        "ownership",
        "policy_accuracy",
        "value_mse",
        "lr",
        "samples_per_second",
    ):
        assert f"train/{name}" in tags
    assert "validation/loss" in tags
    assert [event.step for event in events.Scalars("train/loss")] == [2, 4]


def test_train_steps_needs_enough_batches(fixed_batches: list[Batch]) -> None:
    trainer = Trainer(tiny_net(), tiny_config())
    with pytest.raises(ValueError, match="ran out after 2"):
        trainer.train_steps(fixed_batches[:2], 3)
    assert trainer.train_steps(fixed_batches, 0) == {}


def test_diverging_loss_is_reported(fixed_batches: list[Batch]) -> None:
    trainer = Trainer(tiny_net(), tiny_config(lr=1e9, log_every=1))
    with pytest.raises(FloatingPointError):
        for _ in range(20):
            trainer.train_step(fixed_batches[0])


def test_gradient_clipping_limits_the_update(fixed_batches: list[Batch]) -> None:
    config = tiny_config(momentum=0.0, weight_decay=0.0, grad_clip_norm=1e-3, lr=1.0)
    trainer = Trainer(tiny_net(), config)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.train_step(fixed_batches[0])
    after = trainer.model.parameters()
    moved = math.sqrt(
        sum(float(((p.detach() - b) ** 2).sum()) for p, b in zip(after, before, strict=True))
    )
    assert moved == pytest.approx(1e-3, rel=1e-3)  # lr 1 times a gradient of norm 1e-3


def test_cuda_is_refused_without_cuda() -> None:
    if torch.cuda.is_available():
        config = dataclasses.replace(tiny_config(), device="cuda")
        assert Trainer(tiny_net(), config).device.type == "cuda"
    else:
        with pytest.raises(ValueError, match="CUDA"):
            Trainer(tiny_net(), tiny_config(device="cuda"))


def test_gonet_resumes_through_a_checkpoint(fixed_batches: list[Batch], tmp_path: Path) -> None:
    """End to end with the real network and checkpoint format (nn.go_net, nn.checkpoint)."""
    from nn.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
    from nn.go_net import GoNet, NetConfig

    net_config = NetConfig(board_size=SIZE, in_planes=FEATURES.num_planes, blocks=1, channels=8)
    seed_everything(3)
    first = Trainer(GoNet(net_config), tiny_config())
    first.train_steps(fixed_batches[:2], 2)
    path = save_checkpoint(
        tmp_path / "gen-0001.pt",
        first.model,
        net_config,
        {"step": first.step},
        optimizer_state=first.state_dict(include_model=False),
        feature_config=FEATURES,
    )
    expected = [first.train_step(b)["loss"] for b in fixed_batches[2:]]

    model, _, extra = load_checkpoint(path)
    second = Trainer(model, tiny_config())
    state = read_checkpoint(path).optimizer_state
    assert state is not None and extra["step"] == 2
    second.load_state_dict(state)
    assert [second.train_step(b)["loss"] for b in fixed_batches[2:]] == expected
