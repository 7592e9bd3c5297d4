"""``zerogo compress quantize`` and ``zerogo compress export``: a network as an ONNX file.

``quantize`` writes the int8 form of a checkpoint: its ONNX graph with the trunk's
convolutions quantized (``nn.backends.quantize_network``, which keeps the first
convolution, the residual additions and the heads in float), calibrated on
self-play positions of the fixed dataset (``benchmarks/dataset``, train split).
``export`` writes the float32 form.  Both files carry the network's configs in
their ONNX metadata, so ``zerogo gtp --weights FILE.onnx``, ``zerogo play`` and
self-play load them like a checkpoint (``nn.backends.load_evaluator``; they run
on OpenVINO, or onnxruntime where OpenVINO is missing).

Each action ends with a short report, measured against the checkpoint run by torch
in float32 on the dataset's test split: policy top-1 agreement, value mean squared
error, largest policy logit difference, and file sizes (``--json``: one JSON object).

This module is the Go glue of ``nn.compress.quantize``: positions come from
self-play shards (``selfplay.shards``) turned into planes (``engine.features``).  Its
top-level imports are light (``zerogo compress --help`` imports it): torch, numpy
and the toolchains are imported when an action runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HELP = "int8 quantization and ONNX export of a network"
ACTION_HELP = {
    "quantize": "int8 ONNX form of a network, calibrated on self-play positions",
    "export": "float32 ONNX form of a network (metadata included)",
}
DATASET = Path(__file__).resolve().parents[1] / "benchmarks" / "dataset"
"""The fixed dataset (``scripts/make_dataset.py``): train/, validation/, test/ shards."""
DEFAULT_POSITIONS = 512
TOOLCHAIN_CHOICES = ("nncf", "onnxruntime")

_QUANTIZE_EPILOG = """examples:
  zerogo compress quantize --weights zerogo/networks/b6c64-9x9.pt -o b6c64-int8.onnx
  zerogo compress quantize --weights W.pt -o W-int8.onnx --toolchain onnxruntime --json
  zerogo gtp --weights b6c64-int8.onnx     # plays with it (OpenVINO, else onnxruntime)

Measured on the shipped b6c64 (512 positions, nncf, OpenVINO): policy top-1
agreement with float32 0.98, value MSE 5e-5, file 0.6 MB against 1.9 MB."""


def add_quantize_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``zerogo compress quantize``."""
    parser.epilog = _QUANTIZE_EPILOG
    _add_common(parser, "the int8 network file to write (.onnx)")
    parser.add_argument(
        "--calibration",
        default=str(DATASET / "train"),
        metavar="DIR",
        help="folder of self-play shards to calibrate on (default: the fixed dataset's "
        "train split)",
    )
    parser.add_argument(
        "--positions",
        type=int,
        default=DEFAULT_POSITIONS,
        help=f"calibration positions, drawn at random (default {DEFAULT_POSITIONS})",
    )
    parser.add_argument(
        "--toolchain",
        choices=TOOLCHAIN_CHOICES,
        default=TOOLCHAIN_CHOICES[0],
        help="nncf (OpenVINO NNCF, the default: more accurate) or onnxruntime (quantize_static)",
    )
    parser.add_argument(
        "--keep-float",
        action="append",
        default=None,
        metavar="REGEX",
        help="graph nodes to keep in float (repeatable; default: the first convolution, "
        "the residual additions and the heads)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the position draw")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``zerogo compress export``."""
    parser.epilog = (
        "example:\n  zerogo compress export --weights zerogo/networks/b6c64-9x9.pt -o b.onnx"
    )
    _add_common(parser, "the float32 network file to write (.onnx)")


def _add_common(parser: argparse.ArgumentParser, out_help: str) -> None:
    parser.add_argument("--weights", required=True, help="the checkpoint (.pt) to convert")
    parser.add_argument("-o", "--out", required=True, help=out_help)
    parser.add_argument(
        "--evaluation",
        default=str(DATASET / "test"),
        metavar="DIR",
        help="folder of self-play shards for the report (default: the fixed dataset's "
        "test split; 'none' skips the report)",
    )
    parser.add_argument(
        "--backend",
        nargs="+",
        default=["openvino", "onnx"],
        choices=("openvino", "onnx"),
        help="runtimes the report runs the file on (default: both, where installed)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")


def run_quantize(args: argparse.Namespace) -> int:
    """Quantize ``args.weights`` into ``args.out``; print the report.  Exit status 2 on
    a refused input (a bad checkpoint, no positions, a missing toolchain)."""
    try:
        return _run(args, quantize=True)
    except (ValueError, FileNotFoundError) as exc:
        print(f"zerogo compress quantize: {exc}", file=sys.stderr)
        return 2


def run_export(args: argparse.Namespace) -> int:
    """Export ``args.weights`` into ``args.out`` (float32 ONNX); print the report."""
    try:
        return _run(args, quantize=False)
    except (ValueError, FileNotFoundError) as exc:
        print(f"zerogo compress export: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, quantize: bool) -> int:
    from nn.backends import export_network_file, quantize_network
    from nn.checkpoint import read_checkpoint

    out = Path(args.out)
    if out.suffix.lower() != ".onnx":
        raise ValueError(f"the output file must end in .onnx, not {out.name!r}")
    checkpoint = read_checkpoint(args.weights)
    start = time.monotonic()
    record: dict[str, Any] = {"weights": str(args.weights), "out": str(out)}
    if quantize:
        if args.positions < 1:
            raise ValueError(f"--positions must be at least 1, not {args.positions}")
        planes = dataset_planes(
            args.calibration,
            checkpoint.feature_config,
            checkpoint.net_config.board_size,
            args.positions,
            args.seed,
        )
        notes = {"calibration": str(args.calibration), "seed": args.seed}
        keep = tuple(args.keep_float) if args.keep_float else None
        quantize_network(  # from the file, whose name and hash the metadata records
            args.weights, planes, out, toolchain=args.toolchain, keep_float=keep, notes=notes
        )
        record.update(
            form="int8",
            toolchain=args.toolchain,
            calibration=str(args.calibration),
            calibration_positions=len(planes),
        )
    else:
        export_network_file(args.weights, out)
        record["form"] = "float32"
    record["seconds"] = round(time.monotonic() - start, 1)
    record["weights_bytes"] = Path(args.weights).stat().st_size
    record["file_bytes"] = out.stat().st_size
    if str(args.evaluation).lower() != "none":
        record["evaluation"] = str(args.evaluation)
        record["agreement"] = _agreement(args, checkpoint, out)
    _print_report(record, args.json)
    return 0


def _agreement(args: argparse.Namespace, checkpoint: Any, out: Path) -> dict[str, Any]:
    """Compare ``out`` on each available runtime with the checkpoint in torch float32."""
    from nn.backends import backend_available, load_evaluator
    from nn.evaluator import TorchEvaluator

    config = checkpoint.net_config
    planes = dataset_planes(args.evaluation, checkpoint.feature_config, config.board_size)
    reference = TorchEvaluator(checkpoint.build_model(), checkpoint.feature_config, threads=1)
    expected = evaluate_all(reference, planes)
    results: dict[str, Any] = {"positions": len(planes)}
    for backend in dict.fromkeys(args.backend):
        if backend_available(backend):
            evaluator = load_evaluator(out, backend, dtype="float32", threads=1)
            results[backend] = agreement(expected, evaluate_all(evaluator, planes))
    return results


def _print_report(record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(record))
        return
    form = record["form"]
    how = (
        f" ({record['toolchain']}, {record['calibration_positions']} calibration positions "
        f"from {record['calibration']})"
        if form == "int8"
        else ""
    )
    print(f"wrote {record['out']}: {form}{how} in {record['seconds']} s")
    print(
        f"  file {record['file_bytes'] / 1e6:.2f} MB "
        f"(checkpoint {record['weights_bytes'] / 1e6:.2f} MB)"
    )
    agreement = record.get("agreement")
    if agreement:
        print(
            f"  against float32 (torch) on {agreement['positions']} positions of "
            f"{record['evaluation']}:"
        )
        for backend, row in agreement.items():
            if isinstance(row, dict):
                print(
                    f"    {backend:>8}: policy top-1 agreement {row['top1_agreement']:.4f}, "
                    f"value MSE {row['value_mse']:.2e}, "
                    f"max policy logit diff {row['policy_max_abs']:.3f}"
                )


def compare_outputs(
    reference: Any, candidate: Any, planes: Any, batch: int = 256
) -> dict[str, float]:
    """Compare two evaluators on the same positions (``agreement`` of their outputs).

    Args:
        reference: the ``Evaluator`` taken as right (float32).
        candidate: the ``Evaluator`` compared with it.
        planes: float32 (P, C, N, N) positions.
        batch: positions per call.

    Raises:
        ValueError: for no positions.
    """
    if len(planes) == 0:
        raise ValueError("no positions to compare on")
    return agreement(evaluate_all(reference, planes, batch), evaluate_all(candidate, planes, batch))


def evaluate_all(evaluator: Any, planes: Any, batch: int = 256) -> tuple[Any, Any, Any]:
    """Return an evaluator's (policy, value, ownership) on ``planes``, ``batch`` at a time."""
    import numpy as np

    parts = [evaluator.evaluate(planes[i : i + batch]) for i in range(0, len(planes), batch)]
    policy, value, ownership = (np.concatenate([p[k] for p in parts]) for k in range(3))
    return policy, value, ownership


def agreement(reference: tuple[Any, Any, Any], outputs: tuple[Any, Any, Any]) -> dict[str, float]:
    """Compare outputs ``(policy logits, value, ownership)`` with the reference's.

    Returns:
        ``top1_agreement`` (share of positions where the highest policy logit is the
        same move), ``value_mse``, ``value_max_abs``, ``policy_max_abs`` (logits),
        ``policy_mean_abs`` and ``ownership_mean_abs``.
    """
    import numpy as np

    (p0, v0, o0), (p1, v1, o1) = reference, outputs
    return {
        "top1_agreement": round(float(np.mean(p0.argmax(1) == p1.argmax(1))), 5),
        "value_mse": float(np.mean((v0 - v1) ** 2)),
        "value_max_abs": float(np.max(np.abs(v0 - v1))),
        "policy_max_abs": float(np.max(np.abs(p0 - p1))),
        "policy_mean_abs": float(np.mean(np.abs(p0 - p1))),
        "ownership_mean_abs": float(np.mean(np.abs(o0 - o1))),
    }


def dataset_planes(
    folder: str | Path,
    feature_config: Any,
    size: int,
    positions: int | None = None,
    seed: int = 0,
) -> Any:
    """Return the input planes of self-play positions stored as shards.

    Args:
        folder: a folder of shards (``selfplay.shards``), e.g. a split of the dataset.
        feature_config: the planes to build (``engine.features.FeatureConfig``).
        size: board size; games of other sizes are skipped.
        positions: how many, drawn at random without replacement (seeded); None or
            more than there are: every position, in shard order.
        seed: seed of the draw.

    Returns:
        float32 (P, C, size, size).

    Raises:
        ValueError: if the folder holds no readable shard or no game of that size.
    """
    import numpy as np

    from engine.features import features_from_moves
    from selfplay.shards import list_shards, read_shard

    shards = [read_shard(path) for path in list_shards(folder)]
    if not shards:
        raise ValueError(f"no self-play shards in {folder}")
    games = [
        (arrays, g)
        for arrays in shards
        for g in range(len(arrays["game_ids"]))
        if int(arrays["size"][g]) == size
    ]
    if not games:
        raise ValueError(f"no {size}x{size} games in {folder}")
    lengths = np.array([_game_length(arrays, g) for arrays, g in games])
    total = int(lengths.sum())
    chosen = np.arange(total)
    if positions is not None and positions < total:
        chosen = np.sort(np.random.default_rng(seed).choice(total, positions, replace=False))
    starts = np.concatenate([[0], np.cumsum(lengths)])
    out = np.empty((len(chosen), feature_config.num_planes, size, size), dtype=np.float32)
    filled = 0
    for index, (arrays, g) in enumerate(games):
        lo, hi = np.searchsorted(chosen, [starts[index], starts[index + 1]])
        if lo == hi:
            continue
        offsets = arrays["game_offsets"]
        moves = arrays["moves"][offsets[g] : offsets[g + 1]]
        planes = features_from_moves(size, moves, feature_config)
        rows = chosen[lo:hi] - starts[index]
        out[filled : filled + len(rows)] = planes[rows]
        filled += len(rows)
    return out


def _game_length(arrays: dict[str, Any], g: int) -> int:
    offsets = arrays["game_offsets"]
    return int(offsets[g + 1] - offsets[g])


__all__ = [
    "ACTION_HELP",
    "HELP",
    "add_export_arguments",
    "add_quantize_arguments",
    "agreement",
    "compare_outputs",
    "dataset_planes",
    "evaluate_all",
    "run_export",
    "run_quantize",
]
