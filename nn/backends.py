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

Agreement with ``TorchEvaluator`` in float32 on self-play positions of the shipped
network (``tests/nn/test_backends.py``): policy logits within 1e-3, value and
ownership within 1e-4 (measured: within 3e-6).  In bfloat16: logits within 0.25,
policy probabilities within 0.03, value within 0.05, ownership within 0.1, the same
top move on at least 90% of positions (torch's own bfloat16 autocast: logits within
0.05, probabilities within 0.003).

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
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch
from torch import nn as tnn

from engine.evaluator import Evaluator
from engine.features import FeatureConfig
from nn.checkpoint import read_checkpoint
from nn.compress.export import DEFAULT_OPSET, export_onnx
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

    Attributes:
        size: board size N.
        feature_config: the input planes.
        name: the network's identifier.
        backend: "onnx" or "openvino".
        dtype: the dtype asked for.
        precision: the dtype the runtime computes in ("float32" or "bfloat16").
        threads: the runtime's threads.
        onnx_file: the graph's file, or None if it was exported in memory.
        device: "cpu".

    Raises:
        ValueError: for a model without a ``NetConfig``, a plane-count mismatch, a
            device other than the CPU, an unsupported dtype or threads below 1.
    """

    backend: ClassVar[str] = ""
    DTYPES: ClassVar[tuple[str, ...]] = ("float32",)
    default_dtype: ClassVar[str] = "float32"

    def __init__(
        self,
        model: tnn.Module,
        feature_config: FeatureConfig | None = None,
        device: str | torch.device = "cpu",
        dtype: str | None = None,
        name: str | None = None,
        threads: int = 1,
        *,
        onnx_file: str | os.PathLike[str] | None = None,
    ) -> None:
        config = _net_config(model)
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
        graph: bytes | str = str(self.onnx_file) if self.onnx_file else export_network(model)
        self.precision = self._compile(graph)

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
    with AMX).

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
        path: the checkpoint (``nn.checkpoint``, read with ``weights_only=True``).
        backend: "auto" (openvino on the CPU where installed, else torch), "torch",
            "onnx" or "openvino".
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
        ValueError: if it is not a valid checkpoint, the backend is unknown, not
            installed or not for ``device``, or an argument is invalid.
    """
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
    "INPUT_NAME",
    "OUTPUT_NAMES",
    "OnnxRuntimeEvaluator",
    "OpenVinoEvaluator",
    "backend_available",
    "bf16_supported",
    "cached_export",
    "default_cache_dir",
    "evaluator_from_model",
    "export_network",
    "load_evaluator",
    "resolve_backend",
    "weights_digest",
]
