"""Network throughput benchmark: evaluations per second, by backend and batch size.

``compare_backends`` builds one evaluator per backend (``nn.backends``: torch,
onnxruntime, OpenVINO, each with its dtype) of the same network, feeds each random
0/1 feature planes of each batch size for a fixed time after a warm-up, and reports
positions evaluated per second.  The backends take turns at each batch size, for
``rounds`` rounds, and the best round counts: on a shared machine the other work
slows some rounds, never speeds one up.  ``benchmark_network`` times one backend
(torch by default) with the older flat record.  The network is a randomly initialised
preset or a checkpoint (``weights``); its speed does not depend on the weights or the
positions.  A spec may name its own network file, ``NAME[:DTYPE]@FILE`` (e.g.
``openvino@b6c64-int8.onnx``): so the int8 or float32 ONNX forms of a network
(``zerogo compress``) are timed in the same run as the checkpoint they came from.
``weights`` may be such an ONNX file too (then every spec runs it on openvino or
onnx).  ``zerogo bench nn`` prints these dicts; ``python -m nn.bench`` does the same.

Numbers on a shared machine are noisy: anything else running on the cores (a match,
a test suite) shows up in them.  The record says what the machine was doing
(``machine``: CPU, cores, load average before and after).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.evaluator import Evaluator
from engine.features import FeatureConfig
from nn.backends import (
    BACKEND_CHOICES,
    evaluator_from_model,
    is_onnx_file,
    load_evaluator,
    onnx_file_backend,
    read_onnx_network,
    resolve_backend,
)
from nn.checkpoint import read_checkpoint
from nn.evaluator import TorchEvaluator, default_dtype
from nn.go_net import GoNet, count_parameters
from nn.go_net import preset as preset_config

HEADLINE_BATCH = 32
"""The batch size whose rate is reported as ``evals_per_s``."""


def parse_backend(spec: str) -> tuple[str, str | None]:
    """Split a ``NAME[:DTYPE]`` backend spec, e.g. "openvino:bfloat16" or "torch".

    Raises:
        ValueError: for an unknown backend name.
    """
    name, _, dtype = spec.partition(":")
    if name not in BACKEND_CHOICES:
        raise ValueError(f"unknown backend {name!r} (known: {', '.join(BACKEND_CHOICES)})")
    return name, dtype or None


def parse_spec(spec: str) -> tuple[str, str | None, str | None]:
    """Split a ``NAME[:DTYPE][@FILE]`` spec, e.g. "openvino@b6c64-int8.onnx".

    Returns:
        (backend, dtype or None, network file or None).

    Raises:
        ValueError: for an unknown backend name.
    """
    head, _, file = spec.partition("@")
    name, dtype = parse_backend(head)
    return name, dtype, file or None


def compare_backends(
    backends: Sequence[str | tuple[str, str | None] | tuple[str, str | None, str | None]] = (
        "torch",
    ),
    preset: str = "b6c64",
    size: int = 9,
    batch_sizes: Sequence[int] = (1, 8, 16, 32, 256),
    seconds: float = 3.0,
    threads: int | None = 1,
    device: str = "cpu",
    *,
    weights: str | os.PathLike[str] | None = None,
    rounds: int = 1,
    fuse: bool = True,
    channels_last: bool = True,
    seed: int = 0,
) -> dict[str, Any]:
    """Measure evaluations per second of one network on several backends, in one run.

    Args:
        backends: ``NAME[:DTYPE][@FILE]`` specs, or (name, dtype) pairs or (name,
            dtype, file) triples, e.g. ``["torch:bfloat16", "openvino:bfloat16",
            "onnx:float32", "openvino@b6c64-int8.onnx"]``; a missing dtype is the
            backend's default (``nn.backends.evaluator_from_model``); a file (a
            checkpoint or an ONNX network, ``nn.backends.load_evaluator``) replaces
            the network for that spec, and must have its board size and planes.
            Speed-ups are relative to the first.
        preset: the random network's preset (``nn.go_net.PRESETS``); ignored with
            ``weights``.
        size: its board size N.
        batch_sizes: batch sizes to time, in order.
        seconds: timed seconds per backend, batch size and round (after an untimed
            warm-up of a tenth of that, at least two calls).
        threads: threads of every backend (torch's are process-wide; None leaves
            torch's as they are and gives the ONNX backends 1).
        device: torch device; the ONNX backends run on the CPU only.
        weights: a checkpoint, or an ONNX network file (then only openvino and onnx
            specs), to time instead of a random preset network.
        rounds: turns of the backends at each batch size; the best counts.
        fuse: torch: fold batch norms into convolutions (``TorchEvaluator``).
        channels_last: torch: channels-last memory order (``TorchEvaluator``).
        seed: seed of the random network and of the inputs.

    Returns:
        A JSON-able dict: ``network``, ``weights``, ``board_size``, ``parameters``,
        ``device``, ``threads``, ``seconds_per_batch``, ``rounds``,
        ``headline_batch`` (32, or the largest batch timed), ``machine``
        (``machine_info``), ``versions``, ``backends``: one ``{"backend", "dtype",
        "precision", "evals_per_s", "batches"}`` per spec (and ``"file"`` for a spec
        with its own file), with one ``{"batch", "calls", "seconds", "evals_per_s",
        "ms_per_call"}`` per batch size, and ``speedup``: ``{spec: {batch: rate /
        first backend's rate}}``, the spec written ``backend:dtype[@file name]``.

    Raises:
        ValueError: for an unknown preset or backend, no or non-positive batch sizes,
            non-positive seconds or rounds, or a backend that is not installed.
        FileNotFoundError: if ``weights`` does not exist.
    """
    if not batch_sizes or min(batch_sizes) < 1:
        raise ValueError(f"batch sizes must be a non-empty list of positive ints: {batch_sizes}")
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, not {seconds}")
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, not {rounds}")
    specs = [parse_spec(b) if isinstance(b, str) else (*b, None)[:3] for b in backends]
    if not specs:
        raise ValueError("give at least one backend")
    onnx_weights = weights is not None and is_onnx_file(weights)
    for name, _, file in specs:
        if onnx_weights and file is None and name == "torch":
            raise ValueError(f"torch cannot run the ONNX network {weights}: use openvino or onnx")
        if file is not None and is_onnx_file(file):
            if name == "torch":
                raise ValueError(f"torch cannot run the ONNX network {file}: use openvino or onnx")
            onnx_file_backend(name, device)
        else:
            resolve_backend(name, device)  # fail before any timing
    load_before = _load_average()
    if weights is not None and onnx_weights:
        onnx_network = read_onnx_network(weights)
        with torch.device("meta"):  # for its size and parameter count only
            model = GoNet(onnx_network.net_config)
        features = onnx_network.feature_config
        network = str(onnx_network.metadata.get("name") or Path(weights).stem)
    elif weights is not None:
        checkpoint = read_checkpoint(weights)
        model, features = checkpoint.build_model(), checkpoint.feature_config
        network = str(checkpoint.metadata.get("name") or Path(weights).stem)
    else:
        features = FeatureConfig()
        torch.manual_seed(seed)
        model = GoNet(preset_config(preset, board_size=size, in_planes=features.num_planes))
        network = preset
    size = model.config.board_size
    if threads is not None:
        torch.set_num_threads(threads)
    evaluators = [
        _build(model, features, name, dtype, device, threads, weights, fuse, channels_last, file)
        for name, dtype, file in specs
    ]
    for evaluator, (_, _, file) in zip(evaluators, specs, strict=True):
        if evaluator.size != size or getattr(evaluator, "feature_config", features) != features:
            raise ValueError(f"{file} is not a network of the same board size and planes")
    rng = np.random.default_rng(seed)
    best: list[dict[int, dict[str, Any]]] = [{} for _ in evaluators]
    for _ in range(rounds):
        for batch in batch_sizes:
            x = (rng.random((batch, features.num_planes, size, size)) < 0.3).astype(np.float32)
            for evaluator, rows in zip(evaluators, best, strict=True):
                _run_for(evaluator, x, seconds / 10, min_calls=2)
                calls, elapsed = _run_for(evaluator, x, seconds, min_calls=1)
                row = {
                    "batch": int(batch),
                    "calls": calls,
                    "seconds": round(elapsed, 4),
                    "evals_per_s": round(calls * batch / elapsed, 1),
                    "ms_per_call": round(1000 * elapsed / calls, 4),
                }
                if batch not in rows or row["evals_per_s"] > rows[batch]["evals_per_s"]:
                    rows[batch] = row
    headline = HEADLINE_BATCH if HEADLINE_BATCH in batch_sizes else max(batch_sizes)
    results = []
    for evaluator, rows, (_, _, file) in zip(evaluators, best, specs, strict=True):
        results.append(
            {
                "backend": str(getattr(evaluator, "backend", "torch")),
                "dtype": str(getattr(evaluator, "dtype", "float32")),
                "precision": str(
                    getattr(evaluator, "precision", getattr(evaluator, "dtype", "float32"))
                ),
                **({"file": str(file)} if file is not None else {}),
                "evals_per_s": rows[headline]["evals_per_s"],
                "batches": [rows[b] for b in dict.fromkeys(batch_sizes)],
            }
        )
    first = results[0]["batches"]
    speedup = {
        f"{r['backend']}:{r['dtype']}" + (f"@{Path(r['file']).name}" if "file" in r else ""): {
            str(row["batch"]): round(row["evals_per_s"] / base["evals_per_s"], 3)
            for row, base in zip(r["batches"], first, strict=True)
        }
        for r in results
    }
    machine = machine_info()
    machine["load_average_before"] = load_before
    return {
        "network": network,
        "weights": None if weights is None else str(weights),
        "board_size": size,
        "parameters": count_parameters(model),
        "device": str(device),
        "threads": threads if threads is not None else torch.get_num_threads(),
        "seconds_per_batch": seconds,
        "rounds": rounds,
        "headline_batch": headline,
        "machine": machine,
        "versions": package_versions(),
        "backends": results,
        "speedup": speedup,
    }


def benchmark_network(
    preset: str = "b6c64",
    size: int = 9,
    batch_sizes: Sequence[int] = (1, 8, 32, 64),
    seconds: float = 3.0,
    threads: int | None = None,
    device: str = "cpu",
    *,
    dtype: str | None = "float32",
    fuse: bool = True,
    channels_last: bool = True,
    seed: int = 0,
    backend: str = "torch",
    weights: str | os.PathLike[str] | None = None,
    rounds: int = 1,
) -> dict[str, Any]:
    """Measure evaluations per second of one network on one backend at several batch sizes.

    Args:
        preset: a ``nn.go_net.PRESETS`` name (a random network; ignored with ``weights``).
        size: board size N.
        batch_sizes: batch sizes to time, in order.
        seconds: timed seconds per batch size (after a warm-up of a tenth of that,
            at least two calls, which is not counted).
        threads: backend threads (torch: ``torch.set_num_threads``; None leaves them).
        device: torch device.
        dtype: evaluator dtype ("float32", "float16", "bfloat16").
        fuse: fold batch norms into convolutions (``TorchEvaluator``'s default).
        channels_last: channels-last memory order (``TorchEvaluator``'s default).
        seed: seed of the weights and the inputs.
        backend: "torch", "onnx", "openvino" or "auto" (``nn.backends``).
        weights: a checkpoint to time instead of a random preset network.
        rounds: timings per batch size; the best counts.

    Returns:
        A JSON-able dict: ``network``, ``board_size``, ``parameters``, ``device``,
        ``backend``, ``dtype``, ``precision``, ``threads``, ``fuse``,
        ``channels_last``, ``torch``, ``seconds_per_batch``, ``evals_per_s`` (at
        batch 32, or the largest batch timed if 32 is not among them),
        ``headline_batch`` and ``batches``: one ``{"batch", "calls", "seconds",
        "evals_per_s", "ms_per_call"}`` per size.

    Raises:
        ValueError: for an unknown preset or backend, no or non-positive batch sizes,
            or non-positive seconds.
    """
    result = compare_backends(
        [(backend, dtype)],
        preset,
        size,
        batch_sizes,
        seconds,
        threads,
        device,
        weights=weights,
        rounds=rounds,
        fuse=fuse,
        channels_last=channels_last,
        seed=seed,
    )
    timed = result["backends"][0]
    return {
        "network": result["network"],
        "board_size": result["board_size"],
        "parameters": result["parameters"],
        "device": result["device"],
        "backend": timed["backend"],
        "dtype": timed["dtype"],
        "precision": timed["precision"],
        "threads": torch.get_num_threads() if timed["backend"] == "torch" else result["threads"],
        "fuse": fuse,
        "channels_last": channels_last,
        "torch": torch.__version__,
        "seconds_per_batch": seconds,
        "rounds": rounds,
        "machine": result["machine"],
        "evals_per_s": timed["evals_per_s"],
        "headline_batch": result["headline_batch"],
        "batches": timed["batches"],
    }


def machine_info() -> dict[str, Any]:
    """Return what a benchmark record says of the machine: CPU, cores, load, date."""
    model = platform.processor() or platform.machine()
    flags: list[str] = []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_vnni", "avx_vnni")
                flags = [flag for flag in value.split() if flag in wanted]
    except OSError:
        pass
    return {
        "cpu": model,
        "cpu_flags": flags,
        "logical_cores": os.cpu_count(),
        "load_average": _load_average(),
        "platform": platform.platform(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def package_versions() -> dict[str, str | None]:
    """Return the installed versions of torch, onnx, onnxruntime and openvino (None: absent)."""
    versions: dict[str, str | None] = {}
    for name in ("torch", "onnx", "onnxruntime", "openvino"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _build(
    model: GoNet,
    features: FeatureConfig,
    backend: str,
    dtype: str | None,
    device: str,
    threads: int | None,
    weights: str | os.PathLike[str] | None,
    fuse: bool,
    channels_last: bool,
    file: str | os.PathLike[str] | None = None,
) -> Evaluator:
    """Return the evaluator of a backend spec (through the export cache for a checkpoint).

    ``file``, the spec's own network file, replaces ``model`` and ``weights``.
    """
    source = file if file is not None else weights
    if source is not None and is_onnx_file(source):
        return load_evaluator(source, onnx_file_backend(backend, device), device, dtype, threads)
    chosen = resolve_backend(backend, device)
    if chosen == "torch" and file is not None:
        torch_dtype = dtype or default_dtype(device)
        return TorchEvaluator.from_checkpoint(
            file, device, dtype=torch_dtype, threads=threads, fuse=fuse, channels_last=channels_last
        )
    if chosen == "torch":
        # the torch options (fuse, channels_last) are not the factory's
        return TorchEvaluator(
            model,
            features,
            device,
            dtype or default_dtype(device),
            name=model.config.name,
            threads=threads,
            fuse=fuse,
            channels_last=channels_last,
        )
    if source is not None:
        return load_evaluator(source, chosen, device, dtype, threads)
    return evaluator_from_model(model, features, chosen, device, dtype, threads)


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _run_for(
    evaluator: Evaluator, x: np.ndarray, seconds: float, min_calls: int
) -> tuple[int, float]:
    """Evaluate ``x`` repeatedly for ``seconds`` (and ``min_calls``); return (calls, elapsed)."""
    calls = 0
    start = time.perf_counter()
    while True:
        evaluator.evaluate(x)
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and calls >= min_calls:
            return calls, elapsed


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``compare_backends`` from the command line and print its dict as JSON."""
    parser = argparse.ArgumentParser(prog="python -m nn.bench", description=__doc__)
    parser.add_argument("--backend", nargs="+", default=["torch"], help="NAME[:DTYPE] ...")
    parser.add_argument("--preset", default="b6c64")
    parser.add_argument("--weights", default=None)
    parser.add_argument("--size", type=int, default=9)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 16, 32, 256])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    result = compare_backends(
        args.backend,
        args.preset,
        args.size,
        args.batch_sizes,
        args.seconds,
        args.threads,
        args.device,
        weights=args.weights,
        rounds=args.rounds,
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
