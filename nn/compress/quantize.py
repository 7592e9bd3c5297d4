"""Int8 post-training static quantization of an ONNX graph, by a maintained toolchain.

``quantize_onnx`` takes a float32 ONNX graph (``nn.compress.export.export_onnx``) and
calibration inputs, and returns the same graph in QDQ form: every quantized tensor
passes through a ``QuantizeLinear``/``DequantizeLinear`` pair, weights stored as int8
per output channel (symmetric), activations as uint8 per tensor (asymmetric, range
from the calibration set's minimum and maximum).  Both OpenVINO and onnxruntime read
such a graph and run the quantized convolutions with int8 kernels; the nodes kept in
float (``keep_float``) run as before.  No kernel is written here.

Two toolchains, chosen by ``QuantizeConfig.toolchain``:

===============  ==========================================================================
toolchain        what it runs
===============  ==========================================================================
``nncf``         OpenVINO NNCF's ``nncf.quantize`` on the ONNX graph: the "mixed" preset,
                 min/max activation ranges, NNCF's overflow fix and bias correction off;
                 nodes of ``keep_float`` are its ignored scope.
``onnxruntime``  onnxruntime's ``quantize_static`` (after ``quant_pre_process``): QDQ
                 format, per-channel weights, min/max calibration, the inputs of the
                 ``op_types`` (convolutions and matrix products) quantized, not their
                 outputs; ``keep_float`` nodes excluded.
===============  ==========================================================================

Measured on a residual convolutional network (the b6c64 Go network of this
repository, 6 blocks of 64 channels, 9x9 inputs), 512 calibration samples, outputs
compared with float32 on 1,259 held-out inputs, the graph run by OpenVINO:

===============================================  ===============  =========
form                                             top-1 agreement  value MSE
===============================================  ===============  =========
nncf; stem, residual additions, heads in float   0.979 - 0.984    4.5e-5
onnxruntime; the same in float                   0.975            6.9e-5
nncf; stem and heads in float                    0.970 - 0.978    7.0e-5
nncf; heads in float                             0.964 - 0.965    2.0e-4
nncf; every node quantized                       0.906            3.2e-4
nncf's defaults, every node quantized            0.815 - 0.847    1.1e-2
===============================================  ===============  =========

(The two values: two random draws of the calibration samples.)  What mattered: min/max
activation ranges instead of NNCF's default, the mean of per-sample extremes, which
clips the long tails of the residual stream; then keeping in float the residual
additions (each block adds the rounding of its inputs to the stream every later block
reads), the first convolution (binary input planes) and the heads.  NNCF's fast bias
correction lowered the agreement of its ONNX graphs (0.907 against 0.979), so it is
off; so is its overflow fix (7-bit weights against int16 saturation on CPUs without
VNNI), which raised the error, while OpenVINO on such a CPU (AVX2) met the agreement
above without it.  onnxruntime's toolchain quantizes what the convolutions read, not
what they write (``OpTypesToExcludeOutputQuantization``): quantizing their outputs
too, before each ReLU, lowered its agreement from 0.975 to 0.964.

Speed is the runtime's: on an AVX2 CPU without VNNI (AMD EPYC Zen 2) OpenVINO runs
the int8 convolutions with its older ``jit_avx2_I8`` kernels, 1.06-1.09x the float32
ones, whether the heads are quantized or not; onnxruntime's int8 kernels there are
slower than its float32 ones (0.8x).  CPUs with VNNI or AMX have int8 instructions.

NNCF's telemetry (usage events it would send to Google Analytics) is switched off
(``NNCF_CI``) before NNCF is imported, and its progress bars go to stderr.  Both
toolchains are imported only when used: ``onnx``, ``onnxruntime`` and ``nncf`` are
the ``fast`` extra.

Nothing here knows what the graph computes; the caller names the input and the nodes
to keep in float (``matching_nodes`` finds them by regular expression).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nn.compress.export import parse_model

TOOLCHAINS = ("nncf", "onnxruntime")
"""Quantization toolchains (``--toolchain``); the first is the default."""

DEFAULT_OP_TYPES = ("Conv", "Gemm", "MatMul")
"""ONNX operators the onnxruntime toolchain quantizes (NNCF picks its own: the same)."""


@dataclass(frozen=True)
class QuantizeConfig:
    """How to quantize a graph.

    Attributes:
        toolchain: "nncf" or "onnxruntime" (see the module docstring).
        keep_float: regular expressions; nodes whose name matches one in full stay in
            float (their inputs are not quantized).
        batch_size: calibration inputs per run of the float graph.
        op_types: operators the onnxruntime toolchain quantizes.

    Raises:
        ValueError: for an unknown toolchain, a batch size below 1, no op types or an
            invalid regular expression.
    """

    toolchain: str = TOOLCHAINS[0]
    keep_float: tuple[str, ...] = ()
    batch_size: int = 64
    op_types: tuple[str, ...] = DEFAULT_OP_TYPES

    def __post_init__(self) -> None:
        if self.toolchain not in TOOLCHAINS:
            raise ValueError(
                f"unknown toolchain {self.toolchain!r} (known: {', '.join(TOOLCHAINS)})"
            )
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {self.batch_size}")
        if not self.op_types:
            raise ValueError("give at least one operator type to quantize")
        for pattern in self.keep_float:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid keep_float pattern {pattern!r}: {exc}") from None


def toolchain_available(toolchain: str) -> bool:
    """Return whether a toolchain's packages are installed (``nncf``; ``onnxruntime``).

    Raises:
        ValueError: for an unknown toolchain.
    """
    import importlib.util

    if toolchain not in TOOLCHAINS:
        raise ValueError(f"unknown toolchain {toolchain!r} (known: {', '.join(TOOLCHAINS)})")
    modules = ("onnx", "nncf", "onnxruntime") if toolchain == "nncf" else ("onnx", "onnxruntime")
    return all(importlib.util.find_spec(module) is not None for module in modules)


def matching_nodes(graph: bytes | Any, patterns: Sequence[str]) -> list[str]:
    """Return the names of the graph's nodes that match one of ``patterns`` in full.

    Args:
        graph: a serialised ONNX model or an ``onnx.ModelProto``.
        patterns: regular expressions (``re.fullmatch``).

    Raises:
        ValueError: if ``graph`` is not a readable ONNX model.
    """
    model = parse_model(graph) if isinstance(graph, (bytes, bytearray)) else graph
    compiled = [re.compile(p) for p in patterns]
    return [
        node.name
        for node in model.graph.node
        if node.name and any(c.fullmatch(node.name) for c in compiled)
    ]


def quantize_onnx(
    graph: bytes,
    calibration: np.ndarray,
    input_name: str,
    config: QuantizeConfig | None = None,
) -> bytes:
    """Return an int8 (QDQ) form of a float32 ONNX graph, calibrated on ``calibration``.

    The graph's metadata (``metadata_props``) is carried over.

    Args:
        graph: the serialised float32 model (one input, dynamic first axis).
        calibration: float32 inputs, (S, ...) with the input's shape after the batch
            axis; all S are used for the activation ranges.
        input_name: the graph's input.
        config: toolchain and options; default ``QuantizeConfig()``.

    Returns:
        The serialised quantized model.

    Raises:
        ValueError: for an unreadable graph, no calibration samples, or a toolchain
            that is not installed.
    """
    config = config or QuantizeConfig()
    samples = np.ascontiguousarray(calibration, dtype=np.float32)
    if samples.ndim < 1 or len(samples) == 0:
        raise ValueError("give at least one calibration sample")
    if not toolchain_available(config.toolchain):
        raise ValueError(
            f"the {config.toolchain} toolchain is not installed: "
            "install the fast extra: pip install -e '.[fast]'"
        )
    model = parse_model(graph)
    keep = matching_nodes(model, config.keep_float)
    if config.toolchain == "nncf":
        quantized = _quantize_nncf(model, samples, input_name, keep, config.batch_size)
    else:
        quantized = _quantize_onnxruntime(graph, samples, input_name, keep, config)
    metadata = {p.key: p.value for p in model.metadata_props}
    if metadata:
        kept = {p.key for p in quantized.metadata_props}
        for key, value in metadata.items():
            if key not in kept:
                quantized.metadata_props.add(key=key, value=value)
    return bytes(quantized.SerializeToString())


def quantized_nodes(graph: bytes | Any) -> list[str]:
    """Return the names of the nodes that read a dequantized int8 weight (the int8 ones).

    Raises:
        ValueError: if ``graph`` is not a readable ONNX model.
    """
    model = parse_model(graph) if isinstance(graph, (bytes, bytearray)) else graph
    constants = {init.name for init in model.graph.initializer}
    constants.update(o for n in model.graph.node if n.op_type == "Constant" for o in n.output)
    weights = set()
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in constants:
            weights.update(node.output)
    return [
        n.name
        for n in model.graph.node
        if n.op_type != "DequantizeLinear" and any(i in weights for i in n.input)
    ]


def _batches(samples: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(samples), batch_size):
        yield samples[start : start + batch_size]


def _quantize_nncf(
    model: Any, samples: np.ndarray, input_name: str, keep: list[str], batch_size: int
) -> Any:
    os.environ.setdefault("NNCF_CI", "1")  # no telemetry
    import nncf
    from nncf.quantization.advanced_parameters import (
        AdvancedQuantizationParameters,
        OverflowFix,
    )
    from nncf.quantization.range_estimator import RangeEstimatorParametersSet

    nncf.set_log_level(logging.ERROR)
    batches = list(_batches(samples, batch_size))
    dataset = nncf.Dataset(batches, lambda batch: {input_name: batch})
    advanced = AdvancedQuantizationParameters(
        overflow_fix=OverflowFix.DISABLE,
        activations_range_estimator_params=RangeEstimatorParametersSet.MINMAX,
        disable_bias_correction=True,
    )
    # NNCF draws its progress bars on stdout: send them to stderr, where progress belongs
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore")
        return nncf.quantize(
            model,
            dataset,
            preset=nncf.QuantizationPreset.MIXED,
            subset_size=len(samples),
            ignored_scope=nncf.IgnoredScope(names=keep) if keep else None,
            advanced_parameters=advanced,
        )


def _quantize_onnxruntime(
    graph: bytes, samples: np.ndarray, input_name: str, keep: list[str], config: QuantizeConfig
) -> Any:
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._batches = _batches(samples, config.batch_size)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self._batches, None)
            return None if batch is None else {input_name: batch}

    with tempfile.TemporaryDirectory(prefix="quantize-onnx-") as folder:
        source, prepared, target = (Path(folder) / f"{n}.onnx" for n in ("in", "pre", "out"))
        source.write_bytes(graph)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.getLogger("onnxruntime").setLevel(logging.ERROR)
            quant_pre_process(str(source), str(prepared))
            quantize_static(
                str(prepared),
                str(target),
                Reader(),
                quant_format=QuantFormat.QDQ,
                op_types_to_quantize=list(config.op_types),
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=keep,
                calibrate_method=CalibrationMethod.MinMax,
                # quantize what the convolutions read, not what they write: their
                # outputs before a ReLU or a residual addition stay in float
                extra_options={"OpTypesToExcludeOutputQuantization": list(config.op_types)},
            )
        return onnx.load(str(target))


__all__ = [
    "DEFAULT_OP_TYPES",
    "TOOLCHAINS",
    "QuantizeConfig",
    "matching_nodes",
    "quantize_onnx",
    "quantized_nodes",
    "toolchain_available",
]
