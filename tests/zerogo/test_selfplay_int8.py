"""Self-play's int8 network forms: when they are made, checked, used and refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from zerogo import selfplay_int8
from zerogo.pipeline import PipelineConfig
from zerogo.selfplay_int8 import cpu_has_int8_dot_product, int8_paths, selfplay_network

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "zerogo" / "networks" / "b6c64-9x9.pt"
POSITIONS = ROOT / "benchmarks" / "dataset" / "test"  # shards of the shipped network's games
AVX2 = "flags : fpu sse2 avx avx2 fma"
VNNI = AVX2 + " avx512f avx512_vnni avx512_bf16"


def test_cpu_flags_decide_auto() -> None:
    assert not cpu_has_int8_dot_product(AVX2)
    assert cpu_has_int8_dot_product(VNNI)
    assert cpu_has_int8_dot_product(AVX2 + " avx_vnni")
    assert cpu_has_int8_dot_product(AVX2 + " amx_bf16 amx_int8 amx_tile")
    assert not cpu_has_int8_dot_product(AVX2 + " avx512_vnni_extra")  # whole flags only


def test_off_and_auto_without_vnni_keep_the_checkpoint(tmp_path: Path) -> None:
    net = tmp_path / "gen-0001.pt"
    shutil.copy(SHIPPED, net)
    messages: list[str] = []
    assert selfplay_network(net, POSITIONS, "off", messages.append) == net
    assert selfplay_network(net, POSITIONS, "auto", messages.append, cpuinfo=AVX2) == net
    assert messages == [] and sorted(p.name for p in tmp_path.iterdir()) == ["gen-0001.pt"]
    with pytest.raises(ValueError, match="unknown self-play int8 mode 'fast'"):
        selfplay_network(net, POSITIONS, "fast")
    with pytest.raises(ValueError, match="selfplay_int8 must be auto, on or off"):
        PipelineConfig(selfplay_int8="yes")


def test_too_few_positions_play_in_float_and_try_again(tmp_path: Path) -> None:
    net = tmp_path / "gen-0001.pt"
    shutil.copy(SHIPPED, net)
    empty = tmp_path / "shards"
    empty.mkdir()
    assert selfplay_network(net, empty, "on", cpuinfo=VNNI) == net
    assert not any(p.exists() for p in int8_paths(net))  # nothing recorded: tried again later


def test_the_int8_form_is_checked_used_and_reused(tmp_path: Path) -> None:
    net = tmp_path / "gen-0001.pt"
    shutil.copy(SHIPPED, net)
    messages: list[str] = []
    chosen = selfplay_network(net, POSITIONS, "on", messages.append)
    onnx, record_path = int8_paths(net)
    assert chosen == onnx and onnx.name == "gen-0001.int8.onnx" and onnx.exists()
    record = json.loads(record_path.read_text())
    assert record["accepted"] and record["top1_agreement"] >= 0.97
    assert record["calibration_positions"] == 512 and record["check_positions"] == 1024
    assert len(messages) == 1 and "gen-0001" in messages[0] and messages[0].endswith("used")
    stamp = onnx.stat().st_mtime_ns
    assert selfplay_network(net, POSITIONS, "on", messages.append) == onnx  # made once
    assert onnx.stat().st_mtime_ns == stamp and len(messages) == 1
    onnx.unlink()  # a fresh clone: the record travels, the derived file does not
    assert selfplay_network(net, POSITIONS, "on", messages.append) == onnx and onnx.exists()
    assert len(messages) == 2 and not onnx.with_suffix(".unchecked.onnx").exists()
    from nn.backends import load_evaluator

    evaluator, plain = load_evaluator(onnx, "auto"), load_evaluator(net, "torch")
    # the shards name the network that played: the checkpoint's name, marked int8
    assert evaluator.precision.startswith("int8") and evaluator.name == f"{plain.name}-int8"


def test_a_form_below_the_floor_is_refused_once_and_for_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = tmp_path / "gen-0002.pt"
    shutil.copy(SHIPPED, net)
    monkeypatch.setattr(selfplay_int8, "AGREEMENT_FLOOR", 1.01)  # no int8 form agrees on all
    messages: list[str] = []
    assert selfplay_network(net, POSITIONS, "on", messages.append) == net
    onnx, record_path = int8_paths(net)
    assert not onnx.exists() and not json.loads(record_path.read_text())["accepted"]
    assert "refused" in messages[0]
    monkeypatch.setattr(selfplay_int8, "AGREEMENT_FLOOR", 0.0)
    assert selfplay_network(net, POSITIONS, "on", messages.append) == net  # not tried again
    assert len(messages) == 1
    # ... unless the way int8 forms are made has changed since (other float-kept nodes)
    import nn.backends

    monkeypatch.setattr(nn.backends, "FLOAT_NODES", (*nn.backends.FLOAT_NODES, r"/tower/.*"))
    assert selfplay_network(net, POSITIONS, "on", messages.append) == onnx
    assert len(messages) == 2 and "used" in messages[1]


def test_a_form_that_cannot_be_made_is_refused_and_the_loop_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nn.backends

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no int8 kernels for this graph")

    net = tmp_path / "gen-0003.pt"
    shutil.copy(SHIPPED, net)
    monkeypatch.setattr(nn.backends, "quantize_network", broken)
    messages: list[str] = []
    assert selfplay_network(net, POSITIONS, "on", messages.append) == net
    record = json.loads(int8_paths(net)[1].read_text())
    assert not record["accepted"] and "no int8 kernels" in record["error"]
    assert "could not be made (RuntimeError: no int8 kernels" in messages[0]
