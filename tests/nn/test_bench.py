"""Smoke test of nn.bench.compare_backends (no timing is asserted)."""

from __future__ import annotations

import pytest

from nn.bench import compare_backends, parse_backend
from nn.evaluator import default_dtype
from tests.nn import single_torch_thread  # noqa: F401 (autouse fixture)


def test_compare_backends_record() -> None:
    result = compare_backends(
        ["torch", "onnx:float32", ("openvino", None)],
        "b1c8",
        size=5,
        batch_sizes=(1, 4),
        seconds=0.01,
        threads=1,
        rounds=2,
    )
    assert result["network"] == "b1c8" and result["weights"] is None
    assert result["headline_batch"] == 4 and result["rounds"] == 2
    torch_dtype = default_dtype("cpu")  # bfloat16 where the CPU has AMX, else float32
    assert [(b["backend"], b["dtype"]) for b in result["backends"]] == [
        ("torch", torch_dtype),
        ("onnx", "float32"),
        ("openvino", "bfloat16"),
    ]
    for timed in result["backends"]:
        assert [row["batch"] for row in timed["batches"]] == [1, 4]
        assert all(row["evals_per_s"] > 0 for row in timed["batches"])
        assert timed["evals_per_s"] == timed["batches"][1]["evals_per_s"]
    assert result["speedup"][f"torch:{torch_dtype}"] == {"1": 1.0, "4": 1.0}
    assert set(result["speedup"]) == {f"torch:{torch_dtype}", "onnx:float32", "openvino:bfloat16"}
    machine = result["machine"]
    assert machine["logical_cores"] >= 1 and machine["cpu"] and machine["date"]
    assert result["versions"]["onnxruntime"] and result["versions"]["openvino"]


def test_backend_specs() -> None:
    assert parse_backend("openvino:bfloat16") == ("openvino", "bfloat16")
    assert parse_backend("torch") == ("torch", None)
    with pytest.raises(ValueError, match="unknown backend"):
        parse_backend("tensorrt:int8")
    with pytest.raises(ValueError, match="rounds"):
        compare_backends(["torch"], "b1c8", size=5, seconds=0.01, rounds=0)
    with pytest.raises(ValueError, match="float32"):
        compare_backends(["onnx:bfloat16"], "b1c8", size=5, seconds=0.01)
