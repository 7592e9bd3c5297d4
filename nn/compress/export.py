"""Export a torch module to ONNX, for fast inference runtimes (onnxruntime, OpenVINO).

``export_onnx`` traces a module on an example input of a given shape and writes an
ONNX graph whose first axis (the batch) is dynamic: one export serves every batch
size.  Before tracing, batch norms that follow convolutions are folded into them
(``nn.blocks.fuse_for_inference``), so the graph holds fewer, biased convolutions;
the runtimes fold such pairs themselves too, so this changes the speed little and
the outputs only by float rounding.

The exporter is torch's TorchScript-based one (``dynamo=False``): it needs no
packages beyond torch, and a residual convolutional network traces exactly.  (torch
deprecates it in favour of the ``torch.export`` based exporter, which needs the
``onnxscript`` package.)  The module must be traceable: no data-dependent control
flow; shape checks in ``forward`` are fine (they are evaluated once, on the example).

Nothing here knows what the module computes: inputs and outputs are named by the
caller.  What the caller needs to rebuild or use the model travels inside the file,
as ONNX ``metadata_props`` (string keys and values: ``set_metadata``,
``read_metadata``); reading them parses the protobuf only, nothing runs.
"""

from __future__ import annotations

import copy
import os
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn as tnn

from nn import atomic
from nn.blocks import fuse_for_inference

DEFAULT_OPSET = 17
"""ONNX opset of the exported graphs (read by onnxruntime >= 1.11 and OpenVINO >= 2022)."""


def export_onnx(
    model: tnn.Module,
    input_shape: Sequence[int],
    path: str | os.PathLike[str] | None = None,
    *,
    input_name: str = "input",
    output_names: Sequence[str] = ("output",),
    opset: int = DEFAULT_OPSET,
    fold_batch_norms: bool = True,
    metadata: Mapping[str, str] | None = None,
) -> bytes:
    """Export ``model`` (in eval mode) to an ONNX graph with a dynamic batch axis.

    ``model`` itself is not changed: a copy is traced.

    Args:
        model: the module; its forward takes one float32 tensor of ``input_shape``
            (any batch size) and returns a tensor or a tuple of tensors, each with
            the batch as its first axis.
        input_shape: shape of the example input, batch first, e.g. ``(1, 17, 9, 9)``.
        path: where to write the graph (atomically: a temporary file in the same
            folder, then a rename); None writes nothing.
        input_name: name of the graph's input.
        output_names: names of the graph's outputs, one per tensor ``forward``
            returns, in order.
        opset: ONNX opset version.
        fold_batch_norms: fold batch norms into the convolutions before them.
        metadata: string entries to store in the graph's ``metadata_props``
            (``set_metadata``; needs the ``onnx`` package).

    Returns:
        The serialised ONNX model (what was written to ``path``).

    Raises:
        ValueError: for an empty or non-positive input shape, no output names, or a
            module whose output count differs from ``output_names``.
    """
    shape = tuple(int(d) for d in input_shape)
    if not shape or min(shape) < 1:
        raise ValueError(f"input shape must be non-empty and positive, not {tuple(input_shape)}")
    names = list(output_names)
    if not names:
        raise ValueError("give at least one output name")
    traced = fuse_for_inference(model) if fold_batch_norms else copy.deepcopy(model).eval()
    example = torch.zeros(shape, dtype=torch.float32)
    with torch.no_grad():
        outputs = traced(example)
    count = len(outputs) if isinstance(outputs, (tuple, list)) else 1
    if count != len(names):
        raise ValueError(f"the module returns {count} outputs, but {len(names)} names were given")
    batch_axis = {0: "batch"}
    with tempfile.TemporaryDirectory(prefix="export-onnx-") as folder, warnings.catch_warnings():
        target = Path(folder) / "model.onnx"
        # the legacy exporter's deprecation notice, and tracer warnings about the shape
        # checks of forward (constant for every input of this shape, as intended)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            traced,
            (example,),
            target,
            input_names=[input_name],
            output_names=names,
            dynamic_axes={name: batch_axis for name in [input_name, *names]},
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
        data = target.read_bytes()
    if metadata:
        data = set_metadata(data, metadata)
    if path is not None:
        write_atomic(data, Path(path))
    return data


def set_metadata(graph: bytes, entries: Mapping[str, str]) -> bytes:
    """Return ``graph`` with ``entries`` in its ``metadata_props`` (others are kept).

    Args:
        graph: a serialised ONNX model.
        entries: keys and values, both strings; an existing key is replaced.

    Returns:
        The serialised model.

    Raises:
        TypeError: for a key or value that is not a string.
        ValueError: if ``graph`` is not a readable ONNX model.
    """
    for key, value in entries.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"metadata keys and values must be strings: {key!r}: {value!r}")
    model = parse_model(graph)
    kept = [(p.key, p.value) for p in model.metadata_props if p.key not in entries]
    del model.metadata_props[:]
    for key, value in [*kept, *entries.items()]:
        model.metadata_props.add(key=key, value=value)
    return bytes(model.SerializeToString())


def read_metadata(graph: bytes | Any) -> dict[str, str]:
    """Return the ``metadata_props`` of an ONNX model (serialised, or a ``ModelProto``).

    Raises:
        ValueError: if ``graph`` is not a readable ONNX model.
    """
    model = parse_model(graph) if isinstance(graph, (bytes, bytearray)) else graph
    return {p.key: p.value for p in model.metadata_props}


def parse_model(graph: bytes | bytearray) -> Any:
    """Parse a serialised ONNX model into an ``onnx.ModelProto`` (nothing is run).

    Raises:
        ValueError: if the bytes are not a complete ONNX model (e.g. truncated).
    """
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model_from_string(bytes(graph))
    except (DecodeError, RuntimeWarning, ValueError) as exc:  # protobuf's errors vary
        reason = type(exc).__name__
        raise ValueError(f"not a readable ONNX model: truncated or corrupt ({reason})") from None
    if not model.HasField("graph") or not model.graph.node:
        raise ValueError("not a readable ONNX model: no graph (empty or truncated)")
    return model


def write_atomic(data: bytes, path: Path) -> None:
    """Write ``data`` to ``path`` atomically (``nn.atomic``)."""
    atomic.write_atomic(path, lambda file: file.write(data))


__all__ = [
    "DEFAULT_OPSET",
    "export_onnx",
    "parse_model",
    "read_metadata",
    "set_metadata",
    "write_atomic",
]
