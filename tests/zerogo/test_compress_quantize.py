"""Tests of ``zerogo compress quantize|export`` and of the network files they write.

The int8 file is made once, by the command run in-process, from the shipped network
(``zerogo/networks/b6c64-9x9.pt``) calibrated on 64 positions of the fixed dataset's
train split (``benchmarks/dataset``).  It is compared with the checkpoint run by
torch in float32 on the 1,259 positions of the test split.  Tolerances:

=========================  ====================  =====================================
form                       policy top-1          value
=========================  ====================  =====================================
int8 (nncf, 64 positions)  >= 0.97 agreement     MSE <= 2e-4, max abs diff <= 0.1
float32 export             logits within 1e-3    within 1e-4
=========================  ====================  =====================================

(Measured: int8 agreement 0.979, value MSE 4e-5, value within 0.04 on OpenVINO and
onnxruntime alike; the float32 export within 1e-5.)  The file also
loads through ``zerogo gtp --weights`` (a real process answering ``genmove`` on
stdin/stdout), and broken files are refused with one line and status 2.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from nn.backends import (
    OnnxRuntimeEvaluator,
    OpenVinoEvaluator,
    load_evaluator,
    read_network,
    read_onnx_network,
)
from nn.checkpoint import CheckpointError, read_checkpoint
from nn.compress.export import export_onnx, read_metadata, set_metadata
from nn.evaluator import TorchEvaluator
from tests.nn import single_torch_thread  # noqa: F401 (autouse fixture)
from zerogo import cli
from zerogo.compress_quantize import DATASET, agreement, dataset_planes, evaluate_all

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "zerogo" / "networks" / "b6c64-9x9.pt"
INT8 = {"top1": 0.97, "value_mse": 2e-4, "value_max": 0.1}
FLOAT32 = {"policy": 1e-3, "value": 1e-4}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compress")


@pytest.fixture(scope="module")
def int8_file(folder: Path) -> Path:
    out = folder / "b6c64-int8.onnx"
    argv = ["compress", "quantize", "--weights", str(SHIPPED), "-o", str(out)]
    assert cli.main([*argv, "--positions", "64", "--evaluation", "none", "--json"]) == 0
    return out


@pytest.fixture(scope="module")
def float_file(folder: Path) -> Path:
    out = folder / "b6c64.onnx"
    argv = ["compress", "export", "--weights", str(SHIPPED), "-o", str(out)]
    assert cli.main([*argv, "--evaluation", "none"]) == 0
    return out


@pytest.fixture(scope="module")
def positions() -> np.ndarray:
    checkpoint = read_checkpoint(SHIPPED)
    return dataset_planes(DATASET / "test", checkpoint.feature_config, 9)


Outputs = tuple[np.ndarray, np.ndarray, np.ndarray]


@pytest.fixture(scope="module")
def reference(positions: np.ndarray) -> Outputs:
    """The checkpoint's outputs in torch float32 on ``positions``."""
    return evaluate_all(TorchEvaluator.from_checkpoint(SHIPPED, dtype="float32"), positions)


@pytest.mark.parametrize("backend", ["openvino", "onnx"])
def test_int8_agrees_with_float32_on_dataset_positions(
    int8_file: Path, positions: np.ndarray, reference: Outputs, backend: str
) -> None:
    evaluator = load_evaluator(int8_file, backend, dtype="float32")
    assert (evaluator.backend, evaluator.precision) == (backend, "int8")  # type: ignore[attr-defined]
    row = agreement(reference, evaluate_all(evaluator, positions))
    assert row["top1_agreement"] >= INT8["top1"], row
    assert row["value_mse"] <= INT8["value_mse"], row
    assert row["value_max_abs"] <= INT8["value_max"], row


def test_float32_export_matches_torch(
    float_file: Path, positions: np.ndarray, reference: Outputs
) -> None:
    evaluator = load_evaluator(float_file, "openvino", dtype="float32")
    row = agreement(reference, evaluate_all(evaluator, positions))
    assert row["policy_max_abs"] <= FLOAT32["policy"] and row["value_max_abs"] <= FLOAT32["value"]


def test_file_carries_the_network_and_how_it_was_made(int8_file: Path) -> None:
    network = read_onnx_network(int8_file)
    checkpoint = read_checkpoint(SHIPPED)
    assert network.net_config == checkpoint.net_config
    assert network.feature_config == checkpoint.feature_config
    assert network.precision == "int8"
    assert network.metadata["name"] == f"{checkpoint.metadata['name']}-int8"
    assert network.metadata["source"] == SHIPPED.name
    assert network.quantization["toolchain"] == "nncf"
    assert network.quantization["calibration_positions"] == 64
    assert network.quantization["int8_nodes"] == 12  # the 12 convolutions of the tower
    assert read_network(int8_file).net_config == checkpoint.net_config
    assert int8_file.stat().st_size < 0.4 * SHIPPED.stat().st_size


def test_torch_and_auto_mean_an_onnx_runtime_for_an_onnx_file(int8_file: Path) -> None:
    for backend in ("torch", "auto"):  # torch is the players' default
        evaluator = load_evaluator(int8_file, backend)
        assert isinstance(evaluator, OpenVinoEvaluator)
    assert isinstance(load_evaluator(int8_file, "onnx"), OnnxRuntimeEvaluator)
    with pytest.raises(ValueError, match="CPU only"):
        load_evaluator(int8_file, "auto", device="cuda")


def broken_files(folder: Path, good: Path) -> dict[str, tuple[Path, str]]:
    """Return hostile variants of ``good``: name -> (file, message the error must match)."""
    data = good.read_bytes()
    files: dict[str, tuple[bytes, str]] = {
        "truncated": (data[: len(data) // 3], "truncated or corrupt"),
        "empty": (b"", "is empty"),
        "no-metadata": (
            export_onnx(_tiny_module(), (1, 17, 9, 9), input_name="features"),
            "not a zerogo network",
        ),
        "bad-config": (
            set_metadata(data, {"zerogo.net_config": '{"board_size": "nine"}'}),
            "invalid zerogo metadata",
        ),
        "other-size": (
            set_metadata(
                data,
                {
                    "zerogo.net_config": read_metadata(data)["zerogo.net_config"].replace(
                        '"board_size": 9', '"board_size": 13'
                    )
                },
            ),
            r"input has shape \['batch', 17, 9, 9\], not \(batch, 17, 13, 13\)",
        ),
        "external-data": (_with_external_data(data), "external data"),
    }
    out = {}
    for name, (content, message) in files.items():
        path = folder / f"{name}.onnx"
        path.write_bytes(content)
        out[name] = (path, message)
    return out


def _tiny_module() -> torch.nn.Module:
    return torch.nn.Conv2d(17, 1, 1)


def _with_external_data(data: bytes) -> bytes:
    import onnx

    model = onnx.load_model_from_string(data)
    tensor = model.graph.initializer[0]
    tensor.data_location = onnx.TensorProto.EXTERNAL
    tensor.ClearField("raw_data")
    tensor.external_data.add(key="location", value="/etc/passwd")
    return bytes(model.SerializeToString())


@pytest.fixture(scope="module")
def broken_folder(folder: Path) -> Path:
    (folder / "broken").mkdir(exist_ok=True)
    return folder / "broken"


def test_broken_files_raise_one_clear_checkpoint_error(
    folder: Path, broken_folder: Path, int8_file: Path
) -> None:
    for name, (path, message) in broken_files(broken_folder, int8_file).items():
        with pytest.raises(CheckpointError, match=message) as caught:
            load_evaluator(path, "openvino")
        assert "\n" not in str(caught.value), name
    with pytest.raises(FileNotFoundError):
        load_evaluator(folder / "missing.onnx")


def test_gtp_plays_with_the_int8_file_and_refuses_a_truncated_one(
    int8_file: Path, broken_folder: Path
) -> None:
    truncated, _ = broken_files(broken_folder, int8_file)["truncated"]
    command = [sys.executable, "-m", "zerogo", "gtp", "--player", "net", "--playouts", "8"]
    good = subprocess.Popen(
        [*command, "--weights", str(int8_file)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    bad = subprocess.run(
        [*command, "--weights", str(truncated)],
        cwd=REPO,
        input=b"genmove b\nquit\n",
        capture_output=True,
        timeout=300,
    )
    stdout, stderr = good.communicate(b"boardsize 9\nclear_board\ngenmove b\nquit\n", timeout=300)
    answers = [answer.strip() for answer in stdout.decode().split("\n\n")]
    assert good.returncode == 0, stderr.decode()[-2000:]
    assert answers[:2] == ["=", "="], stdout
    assert re.fullmatch(r"= ([A-HJ][1-9]|pass|resign)", answers[2], re.IGNORECASE), stdout
    assert bad.returncode == 2 and bad.stdout == b""
    lines = bad.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "truncated or corrupt" in lines[0], lines


def test_cli_refuses_a_truncated_checkpoint_and_a_wrong_suffix(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truncated = folder / "truncated.pt"
    truncated.write_bytes(SHIPPED.read_bytes()[:5000])
    argv = ["compress", "quantize", "--weights", str(truncated), "-o", str(folder / "q.onnx")]
    assert cli.main(argv) == 2
    assert "zerogo compress quantize:" in capsys.readouterr().err
    argv = ["compress", "export", "--weights", str(SHIPPED), "-o", str(folder / "q.pt")]
    assert cli.main(argv) == 2
    assert "must end in .onnx" in capsys.readouterr().err


@pytest.mark.parametrize("action", ["quantize", "export"])
def test_help(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["compress", action, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "--weights" in text and "--out" in text
    assert ("--toolchain" in text) == (action == "quantize")


def test_bench_times_the_int8_file_beside_the_checkpoint(
    int8_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "nn", "--weights", str(SHIPPED), "--threads", "1", "--json"]
    argv += ["--batch-sizes", "2", "--seconds", "0.05", "--backend", "torch"]
    argv += [f"openvino@{int8_file}"]
    assert cli.main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    rows = {(b["backend"], b["precision"]): b for b in record["backends"]}
    assert set(rows) == {("torch", "float32"), ("openvino", "int8")}
    assert rows[("openvino", "int8")]["file"] == str(int8_file)
    assert f"openvino:float32@{int8_file.name}" in record["speedup"]
