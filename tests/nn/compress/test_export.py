"""Tests of nn.compress.export on a plain torch module (no Go network)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch import nn as tnn

from nn.compress.export import export_onnx
from tests.nn import single_torch_thread  # noqa: F401 (autouse fixture)


class TwoHeads(tnn.Module):
    """A conv-batchnorm trunk with a flat head and a pooled head."""

    def __init__(self) -> None:
        super().__init__()
        self.trunk = tnn.Sequential(tnn.Conv2d(3, 8, 3, padding=1), tnn.BatchNorm2d(8), tnn.ReLU())
        self.flat = tnn.Linear(8 * 4 * 4, 5)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)
        return self.flat(torch.flatten(h, 1)), h.mean(dim=(1, 2, 3))


def trained_model() -> TwoHeads:
    torch.manual_seed(0)
    model = TwoHeads()
    with torch.no_grad():
        for _ in range(3):  # non-trivial running statistics
            model(torch.randn(8, 3, 4, 4))
    return model.eval()


def test_export_has_a_dynamic_batch_and_matches_torch(tmp_path: Path) -> None:
    model = trained_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    path = tmp_path / "two.onnx"
    data = export_onnx(model, (1, 3, 4, 4), path, input_name="x", output_names=("flat", "mean"))
    assert path.read_bytes() == data
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # untouched
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["flat", "mean"]
    for batch in (1, 7):
        x = np.random.default_rng(batch).standard_normal((batch, 3, 4, 4)).astype(np.float32)
        flat, mean = session.run(None, {"x": x})
        with torch.no_grad():
            want = model(torch.from_numpy(x))
        np.testing.assert_allclose(flat, want[0].numpy(), atol=1e-5)
        np.testing.assert_allclose(mean, want[1].numpy(), atol=1e-5)


def test_export_without_folding_and_without_a_file() -> None:
    model = trained_model()
    data = export_onnx(model, (2, 3, 4, 4), output_names=("a", "b"), fold_batch_norms=False)
    assert data[:2] == b"\x08\x07" or len(data) > 1000  # an ONNX protobuf (ir_version first)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].name == "input"


def test_invalid_arguments_raise() -> None:
    model = trained_model()
    with pytest.raises(ValueError, match="returns 2 outputs"):
        export_onnx(model, (1, 3, 4, 4))
    with pytest.raises(ValueError, match="input shape"):
        export_onnx(model, (0, 3, 4, 4), output_names=("a", "b"))
    with pytest.raises(ValueError, match="output name"):
        export_onnx(model, (1, 3, 4, 4), output_names=())
