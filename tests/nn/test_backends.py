"""Tests of nn.backends: the onnxruntime and OpenVINO evaluators agree with torch.

Agreement is checked on real positions: 32 positions from four games in which the
shipped network (``zerogo/networks/b6c64-9x9.pt``) plays itself, sampling its own
policy (seeded), every fifth ply from the empty board to ply 35.  The reference is
``TorchEvaluator`` in float32.  Tolerances (max abs difference over all positions):

===================  ===============  ================================================
form                 policy logits    other
===================  ===============  ================================================
float32              1e-3             value 1e-4, ownership 1e-4
bfloat16             0.25             policy probabilities 0.03, value 0.05,
                                      ownership 0.1, top-1 move the same on >= 90%
===================  ===============  ================================================

(Measured here: float32 within 3e-6; torch's own bfloat16 autocast within 0.05 on
logits, 0.003 on probabilities.  On a CPU without bf16 instructions the OpenVINO
"bfloat16" evaluator computes in float32 and meets the float32 tolerances too.)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.evaluator import Evaluator
from engine.features import FeatureConfig, batch_features
from engine.game import Game
from nn import backends
from nn.backends import (
    OnnxRuntimeEvaluator,
    OpenVinoEvaluator,
    cached_export,
    evaluator_from_model,
    load_evaluator,
    resolve_backend,
)
from nn.checkpoint import save_checkpoint
from nn.evaluator import TorchEvaluator
from nn.go_net import GoNet, NetConfig
from tests.nn import single_torch_thread  # noqa: F401 (autouse fixture)

SHIPPED = Path(__file__).resolve().parents[2] / "zerogo" / "networks" / "b6c64-9x9.pt"
FLOAT32 = {"policy": 1e-3, "value": 1e-4, "ownership": 1e-4}
BFLOAT16 = {"policy": 0.25, "probability": 0.03, "value": 0.05, "ownership": 0.1, "top1": 0.9}
OnnxClass = type[OnnxRuntimeEvaluator] | type[OpenVinoEvaluator]
ONNX_BACKENDS: list[OnnxClass] = [OnnxRuntimeEvaluator, OpenVinoEvaluator]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def reference() -> TorchEvaluator:
    torch.set_num_threads(1)
    return TorchEvaluator.from_checkpoint(SHIPPED, dtype="float32", threads=1)


@pytest.fixture(scope="module")
def positions(reference: TorchEvaluator) -> np.ndarray:
    """(32, 17, 9, 9) planes of self-play positions of the shipped network."""
    rng = np.random.default_rng(11)
    games = [Game(9) for _ in range(4)]
    snapshots = []
    for ply in range(36):
        x = batch_features(games)
        if ply % 5 == 0:
            snapshots.append(x)
        logits, _, _ = reference.evaluate(x)
        for game, row in zip(games, logits, strict=True):
            masked = np.where(game.board.legal_mask(), row, -np.inf)
            p = np.exp(masked - masked.max())
            game.play(int(rng.choice(p.size, p=p / p.sum())))
    return np.concatenate(snapshots)


@pytest.fixture(scope="module")
def expected(reference: TorchEvaluator, positions: np.ndarray) -> tuple[np.ndarray, ...]:
    return reference.evaluate(positions)


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def assert_float32_close(got: tuple[np.ndarray, ...], want: tuple[np.ndarray, ...]) -> None:
    for key, a, b in zip(("policy", "value", "ownership"), got, want, strict=True):
        assert a.dtype == np.float32 and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=0, atol=FLOAT32[key], err_msg=key)


def assert_bfloat16_close(got: tuple[np.ndarray, ...], want: tuple[np.ndarray, ...]) -> None:
    (policy, value, ownership), (policy0, value0, ownership0) = got, want
    assert np.abs(policy - policy0).max() <= BFLOAT16["policy"]
    assert np.abs(softmax(policy) - softmax(policy0)).max() <= BFLOAT16["probability"]
    assert np.abs(value - value0).max() <= BFLOAT16["value"]
    assert np.abs(ownership - ownership0).max() <= BFLOAT16["ownership"]
    assert (policy.argmax(1) == policy0.argmax(1)).mean() >= BFLOAT16["top1"]


def test_positions_are_varied(positions: np.ndarray, expected: tuple[np.ndarray, ...]) -> None:
    # the fixture must give real games: stones on the board, both sides to move
    stones = positions[:, :2].sum(axis=(1, 2, 3))
    assert positions.shape == (32, 17, 9, 9)
    assert stones.min() == 0 and stones.max() >= 20
    assert set(np.unique(positions[:, 16, 0, 0])) == {0.0, 1.0}
    assert len(set(expected[0].argmax(1).tolist())) >= 5


@pytest.mark.parametrize("cls", ONNX_BACKENDS, ids=lambda c: c.backend)
def test_float32_agrees_with_torch_at_batch_1_and_16(
    cls: OnnxClass, cache_dir: Path, positions: np.ndarray, expected: tuple[np.ndarray, ...]
) -> None:
    evaluator = cls.from_checkpoint(SHIPPED, cache_dir=cache_dir, dtype="float32")
    assert evaluator.precision == "float32"
    for start in range(4):  # batch 1 first: a later, larger batch must still fit
        got = evaluator.evaluate(positions[start : start + 1])
        assert_float32_close(got, tuple(a[start : start + 1] for a in expected))
    for start in (0, 16):
        got = evaluator.evaluate(positions[start : start + 16])
        assert_float32_close(got, tuple(a[start : start + 16] for a in expected))


def test_openvino_bfloat16_agrees_with_torch_at_batch_1_and_16(
    cache_dir: Path, positions: np.ndarray, expected: tuple[np.ndarray, ...]
) -> None:
    evaluator = OpenVinoEvaluator.from_checkpoint(SHIPPED, cache_dir=cache_dir)
    assert evaluator.dtype == "bfloat16"
    assert evaluator.precision == ("bfloat16" if backends.bf16_supported() else "float32")
    singles = [evaluator.evaluate(positions[i : i + 1]) for i in range(16)]
    got = tuple(np.concatenate(parts) for parts in zip(*singles, strict=True))
    assert_bfloat16_close(got, tuple(a[:16] for a in expected))
    for start in (0, 16):
        got = evaluator.evaluate(positions[start : start + 16])
        assert_bfloat16_close(got, tuple(a[start : start + 16] for a in expected))


def test_the_export_is_cached_by_weights(cache_dir: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = GoNet(NetConfig(board_size=5, blocks=1, channels=8))
    first = cached_export(model, cache_dir=tmp_path)
    assert first is not None and first.parent == tmp_path and first.name.startswith("b1c8-5x5-")
    stamp = first.stat().st_mtime_ns
    assert cached_export(model, cache_dir=tmp_path) == first
    assert first.stat().st_mtime_ns == stamp  # not exported again
    with torch.no_grad():
        model.stem.conv.weight.add_(0.5)
    second = cached_export(model, cache_dir=tmp_path)
    assert second is not None and second != first
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name])


@pytest.mark.parametrize("cls", ONNX_BACKENDS, ids=lambda c: c.backend)
def test_from_checkpoint_names_shapes_and_empty_batch(cls: OnnxClass, tmp_path: Path) -> None:
    features = FeatureConfig(history=1, extra=("ones",))  # 4 planes
    torch.manual_seed(1)
    model = GoNet(NetConfig(board_size=5, in_planes=4, blocks=1, channels=8, ownership=False))
    path = save_checkpoint(
        tmp_path / "net.pt", model, model.config, {"name": "gen-0003"}, feature_config=features
    )
    # float32 asked for: OpenVINO would compute in bf16 by itself on a CPU that has it
    evaluator: Evaluator = cls.from_checkpoint(
        path, cache_dir=tmp_path / "cache", threads=2, dtype="float32"
    )
    assert evaluator.name == "gen-0003" and evaluator.size == 5
    assert evaluator.feature_config == features
    x = (np.random.default_rng(2).random((3, 4, 5, 5)) < 0.3).astype(np.float64)
    policy, value, ownership = evaluator.evaluate(x)  # float64 converted
    reference = TorchEvaluator(model, features).evaluate(x)
    assert_float32_close((policy, value, ownership), reference)
    assert not ownership.any()  # no ownership head: zeros, as from torch
    empty = evaluator.evaluate(x[:0])
    assert [a.shape for a in empty] == [(0, 26), (0,), (0, 5, 5)]
    with pytest.raises(ValueError, match=r"\(B, 4, 5, 5\)"):
        evaluator.evaluate(x[:, :3])
    renamed = cls.from_checkpoint(path, cache_dir=tmp_path / "cache", name="other")
    assert renamed.name == "other"


def test_a_broken_cache_file_is_exported_again(tmp_path: Path) -> None:
    torch.manual_seed(2)
    model = GoNet(NetConfig(board_size=5, blocks=1, channels=8))
    path = save_checkpoint(tmp_path / "net.pt", model, model.config)
    cached = cached_export(model, cache_dir=tmp_path / "cache")
    assert cached is not None
    cached.write_bytes(b"not an onnx graph")
    for cls in ONNX_BACKENDS:
        evaluator = cls.from_checkpoint(path, cache_dir=tmp_path / "cache", dtype="float32")
        x = np.zeros((2, 17, 5, 5), np.float32)
        assert_float32_close(evaluator.evaluate(x), TorchEvaluator(model).evaluate(x))


def test_evaluator_from_model_and_factory_choose_backends(tmp_path: Path) -> None:
    torch.manual_seed(3)
    model = GoNet(NetConfig(board_size=5, blocks=1, channels=8))
    path = save_checkpoint(tmp_path / "net.pt", model, model.config, {"name": "tiny"})
    assert resolve_backend("auto", "cpu") == "openvino"  # installed with the fast extra
    assert resolve_backend("auto", "cuda") == "torch"
    made = {
        name: load_evaluator(path, name, dtype="float32", cache_dir=tmp_path)
        for name in ("auto", "torch", "onnx", "openvino")
    }
    assert {name: e.backend for name, e in made.items()} == {  # type: ignore[attr-defined]
        "auto": "openvino",
        "torch": "torch",
        "onnx": "onnx",
        "openvino": "openvino",
    }
    assert all(e.name == "tiny" for e in made.values())
    x = np.ones((1, 17, 5, 5), np.float32)
    for backend in ("torch", "onnx", "openvino"):
        in_memory = evaluator_from_model(model, backend=backend, dtype="float32")
        assert in_memory.name == "b1c8"
        assert_float32_close(in_memory.evaluate(x), made["torch"].evaluate(x))
    assert load_evaluator(path, "torch", threads=None).backend == "torch"  # type: ignore[attr-defined]


def test_invalid_arguments_raise(tmp_path: Path) -> None:
    model = GoNet(NetConfig(board_size=5, blocks=1, channels=8))
    with pytest.raises(ValueError, match="unknown backend"):
        resolve_backend("tensorrt")
    with pytest.raises(ValueError, match="CPU only"):
        resolve_backend("openvino", "cuda")
    with pytest.raises(ValueError, match="CPU only"):
        OnnxRuntimeEvaluator(model, device="cuda")
    with pytest.raises(ValueError, match="float32"):
        OnnxRuntimeEvaluator(model, dtype="bfloat16")
    with pytest.raises(ValueError, match="float16"):
        OpenVinoEvaluator(model, dtype="float16")
    with pytest.raises(ValueError, match="threads"):
        OpenVinoEvaluator(model, threads=0)
    with pytest.raises(ValueError, match="hint"):
        OpenVinoEvaluator(model, hint="FAST")
    with pytest.raises(ValueError, match="planes"):
        OnnxRuntimeEvaluator(model, FeatureConfig(history=2))
    with pytest.raises(ValueError, match="NetConfig"):
        OnnxRuntimeEvaluator(torch.nn.Conv2d(17, 1, 1))
    with pytest.raises(FileNotFoundError):
        load_evaluator(tmp_path / "missing.pt", "onnx")


def test_a_missing_package_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends.importlib.util, "find_spec", lambda name: None)
    assert resolve_backend("auto") == "torch"
    with pytest.raises(ValueError, match=r"onnxruntime.*\.\[fast\]"):
        resolve_backend("onnx")


def test_default_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert backends.default_cache_dir() == tmp_path / "zerogo" / "onnx"
    assert (tmp_path / "zerogo" / "onnx").is_dir()
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # not a folder: fall back
    fallback = backends.default_cache_dir()
    assert fallback.name.startswith("zerogo-onnx-") and fallback.is_dir()
    assert os.access(fallback, os.W_OK)
