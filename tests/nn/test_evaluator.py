"""Tests of nn.evaluator.TorchEvaluator (and a smoke run of nn.bench)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.board import BLACK, WHITE
from engine.evaluator import Evaluator
from engine.features import FeatureConfig, batch_features
from engine.game import Game
from nn.bench import benchmark_network
from nn.checkpoint import save_checkpoint
from nn.evaluator import TorchEvaluator
from nn.go_net import GoNet, NetConfig
from tests.conftest import vertex
from tests.nn import single_torch_thread  # noqa: F401 (autouse fixture)


def tiny_model(size: int = 5, planes: int = 17, seed: int = 0, **overrides) -> GoNet:
    """A 2-block 16-channel network with non-trivial batch-norm running statistics."""
    torch.manual_seed(seed)
    config = NetConfig(board_size=size, in_planes=planes, blocks=2, channels=16, **overrides)
    model = GoNet(config)
    with torch.no_grad():
        for _ in range(3):
            model((torch.rand(16, planes, size, size) < 0.4).float())
    return model.eval()


def random_planes(batch: int, size: int = 5, planes: int = 17, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((batch, planes, size, size)) < 0.3).astype(np.float32)


def direct(model: GoNet, x: np.ndarray) -> tuple[np.ndarray, ...]:
    with torch.no_grad():
        return tuple(t.numpy() for t in model.eval()(torch.from_numpy(x)))


@pytest.mark.parametrize("size", [5, 9])
def test_shapes_dtypes_and_ranges(size: int) -> None:
    evaluator: Evaluator = TorchEvaluator(tiny_model(size))
    assert evaluator.size == size
    assert evaluator.feature_config == FeatureConfig()
    assert evaluator.name == "b2c16"
    policy, value, ownership = evaluator.evaluate(random_planes(3, size))
    assert policy.shape == (3, size * size + 1) and policy.dtype == np.float32
    assert value.shape == (3,) and value.dtype == np.float32
    assert ownership.shape == (3, size, size) and ownership.dtype == np.float32
    assert np.isfinite(policy).all()
    assert (np.abs(value) <= 1).all() and (np.abs(ownership) <= 1).all()


def test_empty_batch() -> None:
    policy, value, ownership = TorchEvaluator(tiny_model()).evaluate(random_planes(0))
    assert (policy.shape, value.shape, ownership.shape) == ((0, 26), (0,), (0, 5, 5))


@pytest.mark.parametrize(
    ("fuse", "channels_last", "exact"),
    [(False, False, True), (True, False, False), (True, True, False)],
)
def test_outputs_are_the_networks_unchanged(fuse: bool, channels_last: bool, exact: bool) -> None:
    # no flipping for the side to move: positions with black and with white to move
    # (the 'C' plane differs) come back exactly as the network computes them
    game = Game(5)
    black_to_move = Game(5)
    for name in ("C3", "B2", "D4"):
        game.play(vertex(name, 5))
        black_to_move.play(vertex(name, 5))
    black_to_move.play(vertex("B4", 5))
    assert game.to_move == WHITE and black_to_move.to_move == BLACK
    x = batch_features([game, black_to_move, Game(5)])
    model = tiny_model()
    expected = direct(model, x)
    got = TorchEvaluator(model, fuse=fuse, channels_last=channels_last).evaluate(x)
    for a, b in zip(expected, got, strict=True):
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("fuse", [False, True])
def test_position_alone_and_in_a_batch_agree(fuse: bool) -> None:
    # batch norm must run on its running statistics (eval mode), so a position's
    # result does not depend on the other positions of the batch
    model = tiny_model().train()
    evaluator = TorchEvaluator(model, fuse=fuse)
    x = random_planes(7, seed=3)
    alone = evaluator.evaluate(x[2:3])
    model.train()  # a trainer switching the model back must not leak into evaluation
    batched = evaluator.evaluate(x)
    for a, b in zip(alone, batched, strict=True):
        np.testing.assert_allclose(a[0], b[2], atol=1e-5)


def test_fuse_snapshots_and_leaves_the_model_alone() -> None:
    model = tiny_model()
    evaluator = TorchEvaluator(model)  # fuse=True by default
    assert evaluator.model is not model
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in evaluator.model.modules())


def test_other_dtypes_are_converted() -> None:
    model = tiny_model()
    x = random_planes(2)
    a = TorchEvaluator(model).evaluate(x)
    b = TorchEvaluator(model).evaluate(x.astype(np.float64))
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


def test_bfloat16_autocast_on_cpu_is_close() -> None:
    model = tiny_model()
    x = random_planes(4)
    exact = TorchEvaluator(model).evaluate(x)
    rough = TorchEvaluator(model, dtype="bfloat16").evaluate(x)
    for a, b in zip(exact, rough, strict=True):
        assert b.dtype == np.float32
        np.testing.assert_allclose(a, b, atol=0.25)


def test_network_without_ownership_head_gives_zero_ownership() -> None:
    evaluator = TorchEvaluator(tiny_model(ownership=False))
    _, _, ownership = evaluator.evaluate(random_planes(2))
    assert ownership.shape == (2, 5, 5) and not ownership.any()


def test_invalid_arguments_raise() -> None:
    model = tiny_model()
    with pytest.raises(ValueError, match="planes"):
        TorchEvaluator(model, FeatureConfig(history=2))
    with pytest.raises(ValueError, match="unknown dtype"):
        TorchEvaluator(model, dtype="int8")
    with pytest.raises(ValueError, match="CUDA"):
        TorchEvaluator(model, dtype="float16")
    with pytest.raises(ValueError, match="threads"):
        TorchEvaluator(model, threads=0)
    evaluator = TorchEvaluator(model)
    with pytest.raises(ValueError, match=r"\(B, 17, 5, 5\)"):
        evaluator.evaluate(random_planes(1, size=9))
    with pytest.raises(ValueError, match="shape"):
        evaluator.evaluate(random_planes(1)[0])


def test_threads_argument_sets_torch_threads() -> None:
    TorchEvaluator(tiny_model(), threads=2)
    assert torch.get_num_threads() == 2  # the autouse fixture restores the count


def test_from_checkpoint(tmp_path: Path) -> None:
    features = FeatureConfig(history=1, extra=("ones",))  # 4 planes
    model = tiny_model(size=9, planes=features.num_planes)
    path = save_checkpoint(
        tmp_path / "net.pt", model, model.config, {"name": "gen-0007"}, feature_config=features
    )
    evaluator = TorchEvaluator.from_checkpoint(path)
    assert evaluator.name == "gen-0007"
    assert evaluator.feature_config == features
    assert evaluator.size == 9
    x = random_planes(3, size=9, planes=4)
    for a, b in zip(direct(model, x), evaluator.evaluate(x), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    renamed = TorchEvaluator.from_checkpoint(path, name="other", fuse=False)
    assert renamed.name == "other" and renamed.model is not model


def test_benchmark_smoke() -> None:
    result = benchmark_network("b6c64", size=5, batch_sizes=(1, 4), seconds=0.02, threads=1)
    assert result["network"] == "b6c64" and result["board_size"] == 5
    assert result["threads"] == 1 and result["device"] == "cpu"
    assert result["headline_batch"] == 4  # 32 not timed: the largest batch
    assert [row["batch"] for row in result["batches"]] == [1, 4]
    assert all(row["calls"] >= 1 and row["evals_per_s"] > 0 for row in result["batches"])
    assert result["evals_per_s"] == result["batches"][1]["evals_per_s"]
    assert result["parameters"] > 400_000
    with pytest.raises(ValueError, match="batch sizes"):
        benchmark_network(batch_sizes=())
    with pytest.raises(ValueError, match="unknown network preset"):
        benchmark_network("huge", seconds=0.01)
