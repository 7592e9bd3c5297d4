"""Fast inference backends of the search's ``Evaluator`` protocol, and the one factory.

Three backends evaluate a ``GoNet`` with the same inputs and outputs as
``nn.evaluator.TorchEvaluator`` (numpy ``(B, C, N, N)`` float32 planes in;
``policy_logits (B, N*N+1)``, ``value (B,)``, ``ownership (B, N, N)`` float32 out,
all for the side to move):

===========  ==========================  ==================================================
backend      class                       runs
===========  ==========================  ==================================================
torch        ``TorchEvaluator``          torch; float32, or bfloat16/float16 autocast
onnx         ``OnnxRuntimeEvaluator``    an ONNX export on onnxruntime's CPU provider,
                                         float32
openvino     ``OpenVinoEvaluator``       an ONNX export compiled by OpenVINO for the CPU;
                                         bfloat16 where the CPU has bf16 instructions
                                         (``OPTIMIZATION_CAPABILITIES`` lists BF16, e.g.
                                         AMX), float32 elsewhere
===========  ==========================  ==================================================

Start with ``load_evaluator(path, backend="auto")``: "auto" is openvino when it is
installed (the ``fast`` extra) and the device is the CPU, torch otherwise.
``evaluator_from_model`` does the same for a module in memory.

The ONNX backends evaluate ``nn.compress.export.export_onnx``'s graph of the network
(batch norms folded, dynamic batch axis).  ``from_checkpoint`` exports a checkpoint
once and keeps the graph in a cache folder (``default_cache_dir``: the user's cache
folder, or the temporary folder), in a file named by a hash of the network's config
and weights: a retrained checkpoint under the same name gets a new file, and a stale
one is never used.  Nothing is ever downloaded.  The checkpoint itself is read with
``nn.checkpoint.read_checkpoint`` (``torch.load(..., weights_only=True)``).

A network also travels as an ONNX file of its own (``.onnx``): ``export_network_file``
writes the float32 graph, ``quantize_network`` an int8 one (the trunk's convolutions
quantized by ``nn.compress.quantize``, calibrated on positions the caller gives;
``zerogo compress quantize|export`` are the commands).  The file's ONNX metadata
holds the ``NetConfig``, the ``FeatureConfig``, the checkpoint's metadata and how it
was made (``network_metadata``), so ``load_evaluator(path)`` builds its evaluator
from the file alone, on openvino or onnx (for such a file "auto" and "torch" mean
openvino where installed, else onnxruntime).  Reading it parses the protobuf and
runs nothing; ``read_onnx_network`` refuses, with a one-line ``CheckpointError``, a
truncated or corrupt file, one without zerogo metadata, a graph that does not fit
its config, non-standard operators and tensors stored outside the file.

Agreement with ``TorchEvaluator`` in float32 on self-play positions of the shipped
network (``tests/nn/test_backends.py``): policy logits within 1e-3, value and
ownership within 1e-4 (measured: within 3e-6).  In bfloat16: logits within 0.25,
policy probabilities within 0.03, value within 0.05, ownership within 0.1, the same
top move on at least 90% of positions (torch's own bfloat16 autocast: logits within
0.05, probabilities within 0.003).  The int8 file (``tests/zerogo/test_compress_quantize.py``,
the 1,259 positions of the fixed dataset's test split): the same top move on at least
97% of positions, value MSE under 2e-4 (measured: 0.979-0.984, 4e-5 to 5e-5, on both
runtimes).

Threads: each ONNX evaluator has its own thread count (``threads``, default 1),
unlike torch's process-wide pool.  Thread spinning and CPU pinning are off: on the
shared 2-core machine the search's threads and other processes need the cores
between calls.

Measured on the 2-core development machine (AMD EPYC, AVX2, no bf16 instructions;
the shipped b6c64 9x9 network, 1 thread, best of 5 interleaved rounds with other
work on the machine; ``benchmarks/backends-b6c64-9x9.json``), evaluations/s at batch
1 / 8 / 16 / 32 / 256:

========================================  =====  =====  =====  =====  =====
torch float32 (today's default here)        420    940    960  1,060  1,110
torch bfloat16 autocast (emulated)           80     90     90     90     90
openvino (asked bfloat16; float32 here)   1,000  1,160  1,180  1,240  1,260
onnxruntime float32                         960    990  1,010  1,000    980
========================================  =====  =====  =====  =====  =====

The int8 form (``zerogo compress quantize``), measured later in one run beside the
float32 forms (1 thread, best of 3 interleaved rounds, evaluations per CPU-second as
the machine was busy; batch 1 / 16 / 32): torch float32 460 / 1,120 / 1,190,
openvino float32 1,060 / 1,360 / 1,400, openvino int8 1,150 / 1,470 / 1,490 (1.06-1.09x
its float32), onnxruntime float32 1,020 / 1,130 / 1,140, onnxruntime int8 830 / 940 /
950 (0.8x): on this CPU without VNNI the int8 kernels gain little
(``nn.compress.quantize``).

openvino gains 2.4x at batch 1 (torch's per-call overhead) but only 1.1-1.2x from
batch 8 on: b6c64 costs about 73 MFLOP per evaluation, so 1,200/s is about 90% of
one AVX2 core's float32 peak.  The 3-4x needs bf16 hardware: on a CPU with AMX,
openvino in bfloat16 ran 24.8k/s at batch 16 and 29.5k/s at 32 against torch
bfloat16's 6.1k and 9.4k (issue 11).  The LATENCY and THROUGHPUT hints (one stream)
differed by less than the noise at batch 1, 16 and 32.  ``zerogo bench nn --backend
torch:float32 openvino:bfloat16 onnx:float32`` measures them side by side.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch
from torch import nn as tnn

from engine.evaluator import Evaluator
from engine.features import FeatureConfig
from nn.checkpoint import (
    Checkpoint,
    CheckpointError,
    feature_config_from_dict,
    feature_config_to_dict,
    read_checkpoint,
)
from nn.compress.export import (
    DEFAULT_OPSET,
    export_onnx,
    parse_model,
    read_metadata,
    set_metadata,
    write_atomic,
)
from nn.compress.quantize import TOOLCHAINS, QuantizeConfig, quantize_onnx, quantized_nodes
from nn.evaluator import TorchEvaluator, checked_batch, default_dtype, empty_outputs
from nn.go_net import NetConfig

BACKENDS = ("torch", "onnx", "openvino")
"""Backend names (``--backend``), besides "auto"."""

BACKEND_CHOICES = ("auto", *BACKENDS)

INPUT_NAME = "features"
OUTPUT_NAMES = ("policy", "value", "ownership")
"""Names of the exported graph's input and outputs (``GoNet.forward``'s order)."""

EXPORT_VERSION = 1
"""Version of the export recipe; part of every cache file's name (bump on a change)."""

ONNX_FORMAT = "zerogo-onnx-network"
ONNX_FORMAT_VERSION = 1
ONNX_PRECISIONS = ("float32", "int8")
"""A network file in ONNX form: ``metadata_props`` entries ``zerogo.format`` = this,
``zerogo.version``, ``zerogo.net_config``, ``zerogo.feature_config`` (JSON),
``zerogo.precision``, ``zerogo.metadata`` and ``zerogo.quantization`` (JSON)."""

FLOAT_NODES = (r"/stem/.*", r"/tower/[^/]+/Add(_\d+)?", r"/(?!tower/|stem/).*")
"""Nodes of ``export_network``'s graph that ``quantize_network`` keeps in float: the
first convolution (binary input planes), the residual additions (the stream every
later block reads) and everything outside the trunk (the heads).  Measured on the
shipped b6c64 (``nn.compress.quantize``): policy top-1 agreement with float32 0.98;
0.97 with the additions quantized too, 0.965 with the stem too, 0.91 with the heads
too.  The layers kept in float are about 2.5% of the network's arithmetic, and
quantizing them gained no measurable speed.  In a global-pooling block the residual
addition is ``Add_1`` (``Add`` adds the pooled bias): both stay in float.  Missing the
``Add_1`` cost the campaign's b6c64-pool3-score-opp-stv network its int8 form (top-1
agreement 0.965 against 0.990 with it kept in float, on 1,024 campaign positions)."""

_KEY_FORMAT, _KEY_VERSION = "zerogo.format", "zerogo.version"
_KEY_NET_CONFIG, _KEY_FEATURES = "zerogo.net_config", "zerogo.feature_config"
_KEY_PRECISION, _KEY_METADATA = "zerogo.precision", "zerogo.metadata"
_KEY_QUANTIZATION = "zerogo.quantization"
_STANDARD_DOMAINS = {"", "ai.onnx"}
_ONNX_MAX_BYTES = 2**31  # protobuf's limit of one message

_MODULES = {"onnx": "onnxruntime", "openvino": "openvino"}
_PACKAGE_HINT = "install the fast extra: pip install -e '.[fast]'"

_E = TypeVar("_E", bound="_OnnxEvaluator")


def backend_available(backend: str) -> bool:
    """Return whether ``backend`` ("torch", "onnx" or "openvino") can be imported here.

    Raises:
        ValueError: for an unknown backend name.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r} (known: {', '.join(BACKEND_CHOICES)})")
    module = _MODULES.get(backend)
    return module is None or importlib.util.find_spec(module) is not None


def resolve_backend(backend: str = "auto", device: str | torch.device = "cpu") -> str:
    """Return the backend that ``backend`` names on ``device``.

    "auto" is "openvino" on the CPU when OpenVINO is installed, else "torch".

    Raises:
        ValueError: for an unknown name, an ONNX backend on a device other than the
            CPU, or a backend that is not installed.
    """
    if backend not in BACKEND_CHOICES:
        raise ValueError(f"unknown backend {backend!r} (known: {', '.join(BACKEND_CHOICES)})")
    on_cpu = torch.device(device).type == "cpu"
    if backend == "auto":
        return "openvino" if on_cpu and backend_available("openvino") else "torch"
    if backend != "torch":
        if not on_cpu:
            raise ValueError(f"the {backend} backend runs on the CPU only, not on {device}")
        if not backend_available(backend):
            raise ValueError(f"the {backend} backend needs {_MODULES[backend]}: {_PACKAGE_HINT}")
    return backend


def default_cache_dir() -> Path:
    """Return the folder of exported graphs: ``$XDG_CACHE_HOME/zerogo/onnx``.

    ``XDG_CACHE_HOME`` defaults to ``~/.cache``; where that folder cannot be made,
    ``zerogo-onnx-<uid>`` in the temporary folder is used.  The folder is created.

    Raises:
        OSError: if neither folder can be made.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    folder = Path(base).expanduser() / "zerogo" / "onnx"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:
        uid = os.getuid() if hasattr(os, "getuid") else 0
        folder = Path(tempfile.gettempdir()) / f"zerogo-onnx-{uid}"
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder


def weights_digest(config: NetConfig, state_dict: dict[str, torch.Tensor]) -> str:
    """Return a hex SHA-256 of a network's config and weights (names, dtypes, shapes, values).

    The code that builds and exports the network (its modules' sources and torch's
    version) is hashed too, so an edit of the architecture never meets an old export.
    """
    digest = hashlib.sha256()
    digest.update(_code_digest())
    digest.update(json.dumps(config.to_dict(), sort_keys=True).encode())
    for key in sorted(state_dict):
        tensor = state_dict[key].detach().cpu()
        digest.update(f"{key}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def export_network(model: tnn.Module, path: str | os.PathLike[str] | None = None) -> bytes:
    """Export a ``GoNet`` to ONNX: input ``features``, outputs policy, value, ownership.

    Args:
        model: the network (anything with a ``config: NetConfig`` like ``GoNet``).
        path: where to write the graph (atomically); None writes nothing.

    Returns:
        The serialised graph.

    Raises:
        ValueError: for a model without a ``NetConfig``.
    """
    config = _net_config(model)
    shape = (1, config.in_planes, config.board_size, config.board_size)
    return export_onnx(model, shape, path, input_name=INPUT_NAME, output_names=OUTPUT_NAMES)


def cached_export(
    model: tnn.Module,
    state_dict: dict[str, torch.Tensor] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path | None:
    """Return the cache file holding ``model``'s ONNX graph, exporting it if missing.

    Args:
        model: the network (``GoNet``).
        state_dict: its weights, for the file name's hash; default ``model.state_dict()``.
        cache_dir: the folder; default ``default_cache_dir()``.

    Returns:
        The file, or None if no cache folder could be written (the caller then
        exports in memory).
    """
    config = _net_config(model)
    digest = weights_digest(config, state_dict if state_dict is not None else model.state_dict())
    n = config.board_size
    name = f"{config.name}-{n}x{n}-{digest[:24]}-v{EXPORT_VERSION}-opset{DEFAULT_OPSET}.onnx"
    try:
        folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        if not path.is_file():
            export_network(model, path)
    except OSError:
        return None
    return path


class _OnnxEvaluator:
    """An ``Evaluator`` running a ``GoNet``'s ONNX export; subclasses compile and run it.

    Args:
        model: a ``GoNet`` (anything with a ``config: NetConfig`` whose forward
            returns ``GoNet``'s three outputs).
        feature_config: the planes the network was trained on; default
            ``FeatureConfig()``; its plane count must equal ``model.config.in_planes``.
        device: "cpu" (the only device of these backends).
        dtype: the compute dtype, one of the class's ``DTYPES``; None: the class's
            ``default_dtype``.
        name: identifier recorded with self-play games; default the config's name.
        threads: threads of this evaluator's runtime (at least 1).
        onnx_file: an ONNX export of this very model (``export_network``) to load
            instead of exporting it again.
        network: instead of ``model`` (then None): a network file read by
            ``read_onnx_network`` (float32 or int8), whose graph is run as it is;
            ``feature_config`` defaults to the file's.

    Attributes:
        size: board size N.
        feature_config: the input planes.
        name: the network's identifier.
        backend: "onnx" or "openvino".
        dtype: the dtype asked for (of the parts not quantized, for an int8 graph).
        precision: what the runtime computes in: "float32" or "bfloat16", or "int8"
            for a quantized graph (its float parts in ``dtype`` where supported).
        threads: the runtime's threads.
        onnx_file: the graph's file, or None if it was exported in memory.
        device: "cpu".

    Raises:
        ValueError: for a model without a ``NetConfig``, neither a model nor a
            network, a plane-count mismatch, a device other than the CPU, an
            unsupported dtype or threads below 1.
    """

    backend: ClassVar[str] = ""
    DTYPES: ClassVar[tuple[str, ...]] = ("float32",)
    default_dtype: ClassVar[str] = "float32"

    def __init__(
        self,
        model: tnn.Module | None,
        feature_config: FeatureConfig | None = None,
        device: str | torch.device = "cpu",
        dtype: str | None = None,
        name: str | None = None,
        threads: int = 1,
        *,
        onnx_file: str | os.PathLike[str] | None = None,
        network: OnnxNetwork | None = None,
    ) -> None:
        if model is not None:
            config = _net_config(model)
        elif network is not None:
            config = network.net_config
            feature_config = feature_config or network.feature_config
            onnx_file = network.path
        else:
            raise ValueError("give a model or an ONNX network file")
        self.feature_config = feature_config or FeatureConfig()
        if self.feature_config.num_planes != config.in_planes:
            raise ValueError(
                f"feature config gives {self.feature_config.num_planes} planes, "
                f"network expects {config.in_planes}"
            )
        if torch.device(device).type != "cpu":
            raise ValueError(f"the {self.backend} backend runs on the CPU only, not on {device}")
        dtype = dtype or self.default_dtype
        if dtype not in self.DTYPES:
            raise ValueError(
                f"the {self.backend} backend computes in {' or '.join(self.DTYPES)}, not {dtype!r}"
            )
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        self.size: int = config.board_size
        self.name = name or config.name
        self.dtype = dtype
        self.threads = threads
        self.device = "cpu"
        self.onnx_file = Path(onnx_file) if onnx_file is not None else None
        self._planes = config.in_planes
        graph: bytes | str
        if network is not None:
            graph = network.graph  # the bytes that were checked, not the file again
        elif self.onnx_file is not None:
            graph = str(self.onnx_file)
        else:
            graph = export_network(model)  # type: ignore[arg-type]
        self.precision = self._compile(graph)
        if network is not None and network.precision == "int8":
            self.precision = "int8" if self.precision == "float32" else f"int8+{self.precision}"

    @classmethod
    def from_checkpoint(
        cls: type[_E],
        path: str | os.PathLike[str],
        device: str | torch.device = "cpu",
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> _E:
        """Build an evaluator from a checkpoint file, through the export cache.

        Args:
            path: the checkpoint (``nn.checkpoint``; read with ``weights_only=True``).
            device: "cpu".
            cache_dir: folder of exported graphs; default ``default_cache_dir()``.
            **kwargs: other constructor arguments (dtype, threads, name); the name
                defaults to the checkpoint's metadata name.

        Raises:
            FileNotFoundError: if there is no such file.
            ValueError: if it is not a valid checkpoint or an argument is invalid.
        """
        checkpoint = read_checkpoint(path)
        model = checkpoint.build_model()
        name = kwargs.pop("name", None) or checkpoint.metadata.get("name") or Path(path).stem
        onnx_file = cached_export(model, checkpoint.state_dict, cache_dir)
        features = checkpoint.feature_config
        try:
            return cls(model, features, device, name=str(name), onnx_file=onnx_file, **kwargs)
        except ValueError:
            raise
        except Exception:  # the runtimes raise their own kinds for an unreadable graph
            if onnx_file is None:
                raise
        # an unreadable cache file (damaged, or from an incompatible exporter): replace it
        export_network(model, onnx_file)
        return cls(model, features, device, name=str(name), onnx_file=onnx_file, **kwargs)

    @classmethod
    def from_onnx(
        cls: type[_E],
        path: str | os.PathLike[str],
        device: str | torch.device = "cpu",
        **kwargs: Any,
    ) -> _E:
        """Build an evaluator of a network file in ONNX form (float32 or int8).

        Args:
            path: the file (``export_network_file``, ``quantize_network``).
            device: "cpu".
            **kwargs: other constructor arguments (dtype, threads, name); the name
                defaults to the file's metadata name.

        Raises:
            FileNotFoundError: if there is no such file.
            CheckpointError: (a ``ValueError``) if it is not a zerogo ONNX network
                (``read_onnx_network``) or the runtime refuses its graph.
            ValueError: for an invalid argument.
        """
        network = read_onnx_network(path)
        name = kwargs.pop("name", None) or network.metadata.get("name") or Path(path).stem
        try:
            return cls(None, None, device, name=str(name), network=network, **kwargs)
        except ValueError:
            raise
        except Exception as exc:  # the runtimes raise their own kinds for a bad graph
            reason = " ".join(str(exc).split())[:200]
            raise CheckpointError(
                f"{path}: the {cls.backend} runtime cannot load this ONNX network "
                f"({type(exc).__name__}: {reason})"
            ) from None

    def evaluate(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Evaluate a batch of positions.

        Args:
            features: (B, C, N, N) planes (float32; other dtypes are converted).

        Returns:
            policy_logits: float32 (B, N*N+1), pass last, unnormalised.
            value: float32 (B,) in [-1, 1] for the side to move.
            ownership: float32 (B, N, N) in [-1, 1] for the side to move.

        Raises:
            ValueError: if ``features`` does not have shape (B, C, N, N).
        """
        n = self.size
        x = checked_batch(features, self._planes, n)
        batch = x.shape[0]
        if batch == 0:
            return empty_outputs(n)
        policy, value, ownership = self._run(x)
        return (
            np.ascontiguousarray(policy, dtype=np.float32).reshape(batch, n * n + 1),
            np.ascontiguousarray(value, dtype=np.float32).reshape(batch),
            np.ascontiguousarray(ownership, dtype=np.float32).reshape(batch, n, n),
        )

    def _compile(self, graph: bytes | str) -> str:
        """Load the graph (bytes or a file name); return the precision it runs in."""
        raise NotImplementedError

    def _run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Run the graph on a C-contiguous float32 batch; return its three outputs."""
        raise NotImplementedError


class OnnxRuntimeEvaluator(_OnnxEvaluator):
    """Evaluate positions with onnxruntime's CPU provider, in float32.

    See ``_OnnxEvaluator`` for the arguments; ``dtype`` is "float32" only (the CPU
    provider has no fast reduced-precision convolutions).  The session runs with
    ``threads`` intra-op threads, one inter-op thread and thread spinning off, with
    every graph optimisation on.
    """

    backend: ClassVar[str] = "onnx"

    def _compile(self, graph: bytes | str) -> str:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        return "float32"

    def _run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        policy, value, ownership = self._session.run(list(OUTPUT_NAMES), {INPUT_NAME: x})
        return policy, value, ownership


class OpenVinoEvaluator(_OnnxEvaluator):
    """Evaluate positions with OpenVINO on the CPU.

    See ``_OnnxEvaluator`` for the arguments.  ``dtype`` "bfloat16" (the default)
    compiles with the bf16 inference precision hint where the CPU supports it
    (``bf16_supported``) and in float32 elsewhere; ``precision`` says which.
    "float32" asks for float32 explicitly (OpenVINO would pick bf16 by itself on CPUs
    with bf16 instructions: AVX-512 BF16 or AMX).

    Compile options: ``INFERENCE_NUM_THREADS`` = ``threads``, one stream, performance
    hint ``hint`` ("LATENCY", the default, or "THROUGHPUT": no difference measured
    with one stream at batch 16-32), CPU pinning off.  One infer request serves every
    call, under a lock (a search and an analysis thread may share the evaluator).

    Raises:
        ValueError: as ``_OnnxEvaluator``, or for an unknown hint.
    """

    backend: ClassVar[str] = "openvino"
    DTYPES: ClassVar[tuple[str, ...]] = ("float32", "bfloat16")
    default_dtype: ClassVar[str] = "bfloat16"
    HINTS: ClassVar[tuple[str, ...]] = ("LATENCY", "THROUGHPUT")

    def __init__(self, *args: Any, hint: str = "LATENCY", **kwargs: Any) -> None:
        if hint not in self.HINTS:
            raise ValueError(f"unknown performance hint {hint!r} (known: {', '.join(self.HINTS)})")
        self.hint = hint
        self._lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def _compile(self, graph: bytes | str) -> str:
        import openvino as ov

        core = ov.Core()
        bf16 = self.dtype == "bfloat16" and bf16_supported(core)
        config = {
            "INFERENCE_NUM_THREADS": self.threads,
            "NUM_STREAMS": 1,
            "PERFORMANCE_HINT": self.hint,
            "ENABLE_CPU_PINNING": False,
            "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32",
        }
        compiled = core.compile_model(core.read_model(graph), "CPU", config)
        self._outputs = [compiled.output(name) for name in OUTPUT_NAMES]
        self._request = compiled.create_infer_request()
        precision = compiled.get_property("INFERENCE_PRECISION_HINT")
        return "bfloat16" if precision == ov.Type.bf16 else "float32"

    def _run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with self._lock:
            # share_inputs: the request reads x in place (a copied input tensor keeps
            # the capacity of its first batch and refuses larger ones); outputs are copied
            result = self._request.infer({0: x}, share_inputs=True)
            policy, value, ownership = (result[output] for output in self._outputs)
        return policy, value, ownership


def bf16_supported(core: Any = None) -> bool:
    """Return whether OpenVINO's CPU plugin computes in bfloat16 on this CPU.

    Args:
        core: an ``openvino.Core`` to ask (default: a new one).
    """
    import openvino as ov

    capabilities = (core or ov.Core()).get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return "BF16" in capabilities


def evaluator_from_model(
    model: tnn.Module,
    feature_config: FeatureConfig | None = None,
    backend: str = "auto",
    device: str | torch.device = "cpu",
    dtype: str | None = None,
    threads: int | None = 1,
    name: str | None = None,
) -> Evaluator:
    """Return an evaluator of a network in memory on the named backend.

    Args:
        model: a ``GoNet``.
        feature_config: its input planes (default ``FeatureConfig()``).
        backend: "auto", "torch", "onnx" or "openvino" (``resolve_backend``).
        device: "cpu" or a CUDA device (torch only).
        dtype: compute dtype; None: the backend's fastest safe one (torch:
            ``nn.evaluator.default_dtype``; openvino: bfloat16 where the CPU has it;
            onnx: float32).
        threads: the backend's threads (torch: process-wide, None leaves them;
            the ONNX backends: per evaluator, None means 1).
        name: identifier; default the config's name.

    Raises:
        ValueError: for an unknown or missing backend, or an invalid argument.
    """
    chosen = resolve_backend(backend, device)
    if chosen == "torch":
        return TorchEvaluator(
            model, feature_config, device, dtype or default_dtype(device), name, threads
        )
    cls = OpenVinoEvaluator if chosen == "openvino" else OnnxRuntimeEvaluator
    return cls(model, feature_config, device, dtype, name, threads or 1)


def load_evaluator(
    path: str | os.PathLike[str],
    backend: str = "auto",
    device: str | torch.device = "cpu",
    dtype: str | None = None,
    threads: int | None = 1,
    name: str | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Evaluator:
    """Return an evaluator of a checkpoint file on the named backend: the one factory.

    Args:
        path: the checkpoint (``nn.checkpoint``, read with ``weights_only=True``), or
            a network in ONNX form (a ``.onnx`` file of ``export_network_file`` or
            ``quantize_network``: float32 or int8, read with ``read_onnx_network``).
        backend: "auto" (openvino on the CPU where installed, else torch), "torch",
            "onnx" or "openvino".  An ONNX file runs on openvino or onnx only:
            there "auto" and "torch" (the players' default) mean openvino where
            installed, else onnxruntime.
        device: "cpu" or a CUDA device (torch only).
        dtype: compute dtype; None: the backend's fastest safe one (see
            ``evaluator_from_model``).
        threads: the backend's threads (torch: process-wide, None leaves them; the
            ONNX backends: per evaluator, None means 1).
        name: identifier recorded with games; default the checkpoint's name.
        cache_dir: folder of ONNX exports (ONNX backends); default
            ``default_cache_dir()``.

    Returns:
        A ``TorchEvaluator``, ``OnnxRuntimeEvaluator`` or ``OpenVinoEvaluator``; each
        has ``backend`` ("torch", "onnx", "openvino") besides the ``Evaluator``
        attributes.

    Raises:
        FileNotFoundError: if there is no such file.
        CheckpointError: (a ``ValueError``) if it is not a valid checkpoint or ONNX
            network file.
        ValueError: if the backend is unknown, not installed or not for ``device``,
            or an argument is invalid.
    """
    if is_onnx_file(path):
        chosen = onnx_file_backend(backend, device)
        onnx_cls = OpenVinoEvaluator if chosen == "openvino" else OnnxRuntimeEvaluator
        return onnx_cls.from_onnx(path, device, dtype=dtype, threads=threads or 1, name=name)
    chosen = resolve_backend(backend, device)
    if chosen == "torch":
        return TorchEvaluator.from_checkpoint(
            path, device=device, dtype=dtype or default_dtype(device), threads=threads, name=name
        )
    cls = OpenVinoEvaluator if chosen == "openvino" else OnnxRuntimeEvaluator
    evaluator: Evaluator = cls.from_checkpoint(
        path, device, cache_dir=cache_dir, dtype=dtype, threads=threads or 1, name=name
    )
    return evaluator


# --- networks as ONNX files ------------------------------------------------------------


@dataclass(frozen=True)
class OnnxNetwork:
    """A network file in ONNX form, read and checked (``read_onnx_network``).

    Attributes:
        path: the file.
        net_config: the network's shape (the ``NetConfig`` of its checkpoint).
        feature_config: the input planes it was trained on.
        metadata: the checkpoint's metadata (name, parent, ...) and what made the
            file (``source``, ``source_sha256``).
        precision: "float32", or "int8" for a quantized graph.
        quantization: how an int8 graph was made (toolchain, calibration); empty
            for float32.
        graph: the serialised ONNX model.
    """

    path: Path
    net_config: NetConfig
    feature_config: FeatureConfig
    metadata: dict[str, Any]
    precision: str
    quantization: dict[str, Any] = field(default_factory=dict)
    graph: bytes = field(default=b"", repr=False)


def is_onnx_file(path: str | os.PathLike[str]) -> bool:
    """Return whether ``path`` names a network in ONNX form (its suffix is ``.onnx``)."""
    return Path(path).suffix.lower() == ".onnx"


def onnx_file_backend(backend: str = "auto", device: str | torch.device = "cpu") -> str:
    """Return the runtime that runs an ONNX network file for ``backend`` on ``device``.

    "auto" and "torch" (which cannot run ONNX) mean "openvino" where it is
    installed, else "onnx"; "onnx" and "openvino" mean themselves.

    Raises:
        ValueError: for an unknown backend, a device other than the CPU, or no ONNX
            runtime installed.
    """
    if backend not in BACKEND_CHOICES:
        raise ValueError(f"unknown backend {backend!r} (known: {', '.join(BACKEND_CHOICES)})")
    if torch.device(device).type != "cpu":
        raise ValueError(f"a network in ONNX form runs on the CPU only, not on {device}")
    if backend in ("auto", "torch"):
        for candidate in ("openvino", "onnx"):
            if backend_available(candidate):
                return candidate
        raise ValueError(f"a network in ONNX form needs openvino or onnxruntime: {_PACKAGE_HINT}")
    return resolve_backend(backend, device)


def read_onnx_network(path: str | os.PathLike[str]) -> OnnxNetwork:
    """Read and check a network file in ONNX form.

    Only the protobuf is parsed (nothing in the file is run); it must be a complete
    ONNX model with zerogo's metadata (``network_metadata``), the input and outputs
    of ``export_network``'s graph for that config, standard operators only, and all
    its tensors inside the file (no external data: a path in a model file could
    name any file of the machine).

    Raises:
        FileNotFoundError: if there is no such file.
        CheckpointError: (a ``ValueError``) naming the problem in one line: a
            directory, device or pipe, an empty, truncated or corrupt file, one
            without zerogo metadata or with invalid configs, or a graph that does not
            fit its config.
    """
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path} is a directory, not a network file")
    if not path.is_file():
        if path.exists():  # a pipe or a device: reading it might never end
            raise CheckpointError(f"{path} is not a regular file, not a network file")
        raise FileNotFoundError(f"no network file {path}")
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(f"{path} is empty, not an ONNX network")
    if size > _ONNX_MAX_BYTES:
        raise CheckpointError(f"{path} is larger than an ONNX model can be ({size} bytes)")
    data = path.read_bytes()
    try:
        model = parse_model(data)
    except ValueError as exc:
        raise CheckpointError(f"{path} is {exc}") from None
    entries = read_metadata(model)
    if entries.get(_KEY_FORMAT) != ONNX_FORMAT:
        raise CheckpointError(f"{path} is an ONNX model but not a zerogo network (no metadata)")
    if entries.get(_KEY_VERSION) != str(ONNX_FORMAT_VERSION):
        raise CheckpointError(
            f"{path} has zerogo ONNX format version {entries.get(_KEY_VERSION)!r}; "
            f"this code reads version {ONNX_FORMAT_VERSION}"
        )
    try:
        net_config = NetConfig.from_dict(json.loads(entries[_KEY_NET_CONFIG]))
        feature_config = feature_config_from_dict(json.loads(entries[_KEY_FEATURES]))
        metadata = json.loads(entries.get(_KEY_METADATA, "{}"))
        quantization = json.loads(entries.get(_KEY_QUANTIZATION, "{}"))
    except (KeyError, TypeError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise CheckpointError(f"{path} has invalid zerogo metadata: {reason}") from None
    if not isinstance(metadata, dict) or not isinstance(quantization, dict):
        raise CheckpointError(f"{path}: its metadata is not a JSON object")
    precision = entries.get(_KEY_PRECISION)
    if precision not in ONNX_PRECISIONS:
        raise CheckpointError(f"{path} has an unknown precision {precision!r}")
    if feature_config.num_planes != net_config.in_planes:
        raise CheckpointError(
            f"{path}: feature config gives {feature_config.num_planes} planes, "
            f"network expects {net_config.in_planes}"
        )
    problem = _graph_problem(model, net_config)
    if problem:
        raise CheckpointError(f"{path}: {problem}")
    return OnnxNetwork(path, net_config, feature_config, metadata, precision, quantization, data)


def read_network(path: str | os.PathLike[str]) -> Checkpoint | OnnxNetwork:
    """Read a network file of either form: a checkpoint or an ONNX network.

    Both results have ``net_config``, ``feature_config`` and ``metadata``.

    Raises:
        FileNotFoundError: if there is no such file.
        CheckpointError: if it is not a valid checkpoint or ONNX network file.
    """
    return read_onnx_network(path) if is_onnx_file(path) else read_checkpoint(path)


def network_metadata(
    net_config: NetConfig,
    feature_config: FeatureConfig,
    metadata: dict[str, Any],
    precision: str = "float32",
    quantization: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Return the ``metadata_props`` entries that make an ONNX graph a zerogo network.

    Raises:
        ValueError: for an unknown precision or metadata that is not JSON-able.
    """
    if precision not in ONNX_PRECISIONS:
        raise ValueError(f"precision must be one of {ONNX_PRECISIONS}, not {precision!r}")
    try:
        return {
            _KEY_FORMAT: ONNX_FORMAT,
            _KEY_VERSION: str(ONNX_FORMAT_VERSION),
            _KEY_NET_CONFIG: json.dumps(net_config.to_dict(), sort_keys=True),
            _KEY_FEATURES: json.dumps(feature_config_to_dict(feature_config)),
            _KEY_PRECISION: precision,
            _KEY_METADATA: json.dumps(metadata, allow_nan=False, sort_keys=True),
            _KEY_QUANTIZATION: json.dumps(quantization or {}, allow_nan=False, sort_keys=True),
        }
    except (TypeError, ValueError) as exc:
        raise ValueError(f"network metadata is not JSON-able: {exc}") from None


def export_network_file(
    checkpoint: str | os.PathLike[str] | Checkpoint,
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
) -> Path:
    """Write a checkpoint's network as a float32 ONNX network file (atomically).

    The graph is ``export_network``'s (batch norms folded, dynamic batch); the
    metadata holds the configs and the checkpoint's metadata, so the file alone
    builds an evaluator (``load_evaluator``).

    Args:
        checkpoint: a checkpoint file or one read already.
        path: the file to write (``.onnx``).
        name: the network's name; default the checkpoint's.

    Returns:
        The path written.

    Raises:
        FileNotFoundError: if the checkpoint file does not exist.
        CheckpointError: if it is not a valid checkpoint.
    """
    source = _read_source(checkpoint)
    graph = export_network(source.build_model())
    entries = network_metadata(
        source.net_config, source.feature_config, _file_metadata(checkpoint, source, name)
    )
    path = Path(path)
    write_atomic(set_metadata(graph, entries), path)
    return path


def quantize_network(
    checkpoint: str | os.PathLike[str] | Checkpoint,
    calibration: np.ndarray,
    path: str | os.PathLike[str],
    *,
    toolchain: str = TOOLCHAINS[0],
    keep_float: tuple[str, ...] | None = None,
    name: str | None = None,
    notes: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint's network as an int8 ONNX network file (atomically).

    The trunk's convolutions are quantized (``nn.compress.quantize.quantize_onnx``),
    calibrated on ``calibration``; the nodes named by ``keep_float`` stay in float.

    Args:
        checkpoint: a checkpoint file or one read already.
        calibration: float32 planes (S, C, N, N) of positions the network will see
            (self-play positions).
        path: the file to write (``.onnx``).
        toolchain: "nncf" or "onnxruntime".
        keep_float: node name patterns kept in float; default ``FLOAT_NODES``
            (the first convolution, the residual additions and the heads).
        name: the network's name; default the checkpoint's with "-int8".
        notes: more to record in the file's quantization entry (e.g. where the
            calibration positions came from).

    Returns:
        The path written.

    Raises:
        FileNotFoundError: if the checkpoint file does not exist.
        CheckpointError: if it is not a valid checkpoint.
        ValueError: for calibration planes of the wrong shape, an unknown or
            uninstalled toolchain.
    """
    source = _read_source(checkpoint)
    config = source.net_config
    n = config.board_size
    planes = np.asarray(calibration, dtype=np.float32)
    if planes.ndim != 4 or planes.shape[1:] != (config.in_planes, n, n) or len(planes) == 0:
        raise ValueError(
            f"calibration planes must be (S, {config.in_planes}, {n}, {n}), not {planes.shape}"
        )
    keep = FLOAT_NODES if keep_float is None else tuple(keep_float)
    settings = QuantizeConfig(toolchain=toolchain, keep_float=keep)
    graph = quantize_onnx(export_network(source.build_model()), planes, INPUT_NAME, settings)
    quantization = {
        "toolchain": toolchain,
        "calibration_positions": len(planes),
        "keep_float": list(keep),
        "int8_nodes": len(quantized_nodes(graph)),
        **(notes or {}),
    }
    default_name = f"{source.metadata.get('name') or Path(str(checkpoint)).stem}-int8"
    metadata = _file_metadata(checkpoint, source, name or default_name)
    entries = network_metadata(config, source.feature_config, metadata, "int8", quantization)
    path = Path(path)
    write_atomic(set_metadata(graph, entries), path)
    return path


def _read_source(checkpoint: str | os.PathLike[str] | Checkpoint) -> Checkpoint:
    return checkpoint if isinstance(checkpoint, Checkpoint) else read_checkpoint(checkpoint)


def _file_metadata(
    checkpoint: str | os.PathLike[str] | Checkpoint, source: Checkpoint, name: str | None
) -> dict[str, Any]:
    """Return the checkpoint's metadata, renamed, with the file it came from and its hash."""
    metadata = dict(source.metadata)
    if name:
        metadata["name"] = name
    if not isinstance(checkpoint, Checkpoint):
        file = Path(checkpoint)
        metadata["source"] = file.name
        metadata["source_sha256"] = hashlib.sha256(file.read_bytes()).hexdigest()
    return metadata


def _graph_problem(model: Any, config: NetConfig) -> str:
    """Return what is wrong with a graph for ``config`` ("" if nothing)."""
    import onnx

    domains = {node.domain for node in _all_nodes(model.graph)}
    domains |= {node.domain for f in model.functions for node in f.node}
    foreign = sorted(domains - _STANDARD_DOMAINS)
    if foreign:
        return f"the graph uses operators of non-standard domains {foreign}"
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in _all_tensors(model.graph)):
        return "the graph refers to external data files (refused: they could name any file)"
    n = config.board_size
    inputs = {i.name: i for i in model.graph.input}
    inputs = {k: v for k, v in inputs.items() if k not in {t.name for t in model.graph.initializer}}
    if list(inputs) != [INPUT_NAME]:
        return f"the graph's inputs are {sorted(inputs)}, not [{INPUT_NAME!r}]"
    dims = [d.dim_value or None for d in inputs[INPUT_NAME].type.tensor_type.shape.dim]
    if dims[1:] != [config.in_planes, n, n]:
        shape = ["batch" if d is None else d for d in dims]
        return f"the graph's input has shape {shape}, not (batch, {config.in_planes}, {n}, {n})"
    outputs = [o.name for o in model.graph.output]
    if outputs != list(OUTPUT_NAMES):
        return f"the graph's outputs are {outputs}, not {list(OUTPUT_NAMES)}"
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        return f"the graph is not a valid ONNX model ({first})"
    return ""


def _all_nodes(graph: Any) -> Iterator[Any]:
    """Yield every node of a graph, those of its subgraphs too."""
    for node in graph.node:
        yield node
        for attribute in node.attribute:
            if attribute.HasField("g"):
                yield from _all_nodes(attribute.g)
            for subgraph in attribute.graphs:
                yield from _all_nodes(subgraph)


def _all_tensors(graph: Any) -> Iterator[Any]:
    """Yield every tensor of a graph: initializers and node attributes, subgraphs too."""
    yield from graph.initializer
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            if attribute.HasField("g"):
                yield from _all_tensors(attribute.g)
            for subgraph in attribute.graphs:
                yield from _all_tensors(subgraph)


def _code_digest() -> bytes:
    """Return a SHA-256 of the sources that define the exported graph, and torch's version."""
    import nn.blocks
    import nn.compress.export
    import nn.go_net
    import nn.norms

    digest = hashlib.sha256(torch.__version__.encode())
    for module in (nn.blocks, nn.compress.export, nn.go_net, nn.norms):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.digest()


def _net_config(model: tnn.Module) -> NetConfig:
    config = getattr(model, "config", None)
    if not isinstance(config, NetConfig):
        raise ValueError("the model has no NetConfig `config` attribute (build it with GoNet)")
    return config


__all__ = [
    "BACKENDS",
    "BACKEND_CHOICES",
    "EXPORT_VERSION",
    "FLOAT_NODES",
    "INPUT_NAME",
    "ONNX_FORMAT",
    "ONNX_FORMAT_VERSION",
    "OUTPUT_NAMES",
    "OnnxNetwork",
    "OnnxRuntimeEvaluator",
    "OpenVinoEvaluator",
    "backend_available",
    "bf16_supported",
    "cached_export",
    "default_cache_dir",
    "evaluator_from_model",
    "export_network",
    "export_network_file",
    "is_onnx_file",
    "load_evaluator",
    "network_metadata",
    "onnx_file_backend",
    "quantize_network",
    "read_network",
    "read_onnx_network",
    "resolve_backend",
    "weights_digest",
]
