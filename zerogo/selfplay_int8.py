"""Int8 forms of the learning loop's networks, for self-play where int8 pays.

On a CPU with int8 dot-product instructions (VNNI or AMX), OpenVINO runs the int8
form of b6c64 (``nn.backends.quantize_network``: trunk convolutions int8, calibrated
on self-play positions) at 1.6x its bfloat16 speed, and self-play plays 1.7x the
moves per second (58.4 against 34.2 at 100 visits, 48 games at once, one worker, on
a 2-core AVX-512 EPYC; BENCHMARKS.md "Self-play in int8").  On an AVX2 CPU without
VNNI its int8 kernels gain 6-9%, so ``auto`` leaves such machines in float.

The self-play phase asks ``selfplay_network`` which file its workers load.  The int8
form of ``networks/gen-0003.pt`` is ``networks/gen-0003.int8.onnx``, made once,
calibrated on 512 positions of the run's own replay window and checked on 1,024
others against the checkpoint in float32: it is used only when its policy's top move
agrees on at least 97% of them (measured on the shipped network: 98.6%), else the
refusal is recorded beside it (``gen-0003.int8.json``) and self-play stays in float.
The int8 file is written under another name and renamed only once it passed, so a
kill in between leaves no unchecked file in its place.  It is derived data: a fresh
clone makes it again.  Gating and the players
always read the checkpoint itself, so promotions are decided in float.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

MODES = ("auto", "on", "off")
"""``PipelineConfig.selfplay_int8``: auto (int8 where the CPU has VNNI or AMX and the
toolchain is installed), on (wherever the toolchain is installed), off."""

AGREEMENT_FLOOR = 0.97
CALIBRATION_POSITIONS = 512
CHECK_POSITIONS = 1024
INT8_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


def cpu_has_int8_dot_product(cpuinfo: str | None = None) -> bool:
    """Whether the CPU has VNNI or AMX int8 instructions (``/proc/cpuinfo`` flags)."""
    from nn.evaluator import cpu_flags

    return not cpu_flags(cpuinfo).isdisjoint(INT8_FLAGS)


def toolchain_installed() -> bool:
    """Whether OpenVINO and NNCF (the ``fast`` extra) can be imported."""
    from nn.backends import backend_available
    from nn.compress.quantize import toolchain_available

    return backend_available("openvino") and toolchain_available("nncf")


def int8_paths(checkpoint: Path) -> tuple[Path, Path]:
    """The int8 network file and the record of its check, beside ``checkpoint``."""
    stem = checkpoint.with_suffix("")
    return stem.with_suffix(".int8.onnx"), stem.with_suffix(".int8.json")


def selfplay_network(
    checkpoint: str | os.PathLike[str],
    shard_dir: str | os.PathLike[str],
    mode: str = "auto",
    log: Callable[[str], None] = print,
    cpuinfo: str | None = None,
) -> Path:
    """Return the network file self-play should load: the int8 form or the checkpoint.

    Args:
        checkpoint: the best network (``.pt``).
        shard_dir: the run's self-play shards (calibration and check positions).
        mode: "auto", "on" or "off" (``MODES``).
        log: where to say what was decided (once per network).
        cpuinfo: the CPU flags to judge "auto" by (default ``/proc/cpuinfo``).

    Raises:
        ValueError: for an unknown mode.
    """
    if mode not in MODES:
        raise ValueError(f"unknown self-play int8 mode {mode!r} (known: {', '.join(MODES)})")
    checkpoint = Path(checkpoint)
    if mode == "off":
        return checkpoint
    if mode == "auto" and not cpu_has_int8_dot_product(cpuinfo):
        return checkpoint
    if not toolchain_installed():
        if mode == "on":
            log("self-play int8: OpenVINO and NNCF are not installed; self-play stays in float")
        return checkpoint
    out, record_path = int8_paths(checkpoint)
    if out.exists():
        return out
    if record_path.exists() and _refused_as_now(json.loads(record_path.read_text())):
        return checkpoint  # checked before and refused (an accepted one is made again)
    unchecked = out.with_suffix(".unchecked.onnx")  # renamed to ``out`` once it passes
    record = _make(checkpoint, Path(shard_dir), unchecked)
    if record is None:
        return checkpoint  # too few positions yet: float this time, try again next phase
    if record["accepted"]:
        os.replace(unchecked, out)
    _write_json(record_path, record)
    unchecked.unlink(missing_ok=True)
    verdict = "used" if record["accepted"] else "refused; self-play stays in float"
    if "error" in record:
        verdict = f"could not be made ({record['error']}); self-play stays in float"
    log(
        f"self-play int8 form of {checkpoint.stem}: top-1 agreement "
        f"{record['top1_agreement']:.3f} with float32 on {record['check_positions']} "
        f"positions (floor {AGREEMENT_FLOOR}), value MSE {record['value_mse']:.1e}: {verdict}"
    )
    return out if record["accepted"] else checkpoint


def _refused_as_now(record: dict[str, Any]) -> bool:
    """Whether ``record`` refused the int8 form made the way it is made now: a refusal
    under other float-kept nodes (``nn.backends.FLOAT_NODES``) is tried again."""
    from nn.backends import FLOAT_NODES

    return not record["accepted"] and record.get("keep_float") == list(FLOAT_NODES)


def _make(checkpoint: Path, shard_dir: Path, out: Path) -> dict[str, Any] | None:
    """Quantize and check; return the record, or None without enough positions."""
    from nn.backends import FLOAT_NODES, load_evaluator, quantize_network
    from nn.checkpoint import read_checkpoint
    from nn.evaluator import TorchEvaluator
    from zerogo.compress_quantize import compare_outputs, dataset_planes

    source = read_checkpoint(checkpoint)
    wanted = CALIBRATION_POSITIONS + CHECK_POSITIONS
    try:
        planes = dataset_planes(
            shard_dir, source.feature_config, source.net_config.board_size, wanted, seed=0
        )
    except ValueError:  # no shards yet
        return None
    if len(planes) < wanted:
        return None
    calibration, check = planes[:CALIBRATION_POSITIONS], planes[CALIBRATION_POSITIONS:]
    try:
        quantize_network(
            checkpoint,
            calibration,
            out,
            notes={"calibration": "the run's replay window", "seed": 0},
        )
        reference = TorchEvaluator.from_checkpoint(checkpoint, dtype="float32", threads=1)
        candidate = load_evaluator(out, "openvino", threads=1)
        report = compare_outputs(reference, candidate, check)
    except Exception as exc:  # an optional speed-up: its failure must not stop the loop
        return {
            "network": checkpoint.stem,
            "error": f"{type(exc).__name__}: {exc}",
            "keep_float": list(FLOAT_NODES),
            "top1_agreement": 0.0,
            "value_mse": float("nan"),
            "check_positions": len(check),
            "floor": AGREEMENT_FLOOR,
            "accepted": False,
        }
    return {
        "network": checkpoint.stem,
        "file": out.name.replace(".unchecked", ""),
        "keep_float": list(FLOAT_NODES),
        "calibration_positions": len(calibration),
        "check_positions": len(check),
        "top1_agreement": report["top1_agreement"],
        "value_mse": report["value_mse"],
        "floor": AGREEMENT_FLOOR,
        "accepted": report["top1_agreement"] >= AGREEMENT_FLOOR,
    }


def _write_json(path: Path, record: dict[str, Any]) -> None:
    from nn.atomic import write_atomic

    text = json.dumps(record, indent=1) + "\n"
    write_atomic(path, lambda handle: handle.write(text.encode()))
