"""The compression table of issue 11: every compressed form of the shipped network, side by side.

Four stages, each a subcommand, each writing JSON records under ``benchmarks/compress/``
(machine, load average, git commit and date in every one):

=======  ==================================  =============================================
stage    does                                writes
=======  ==================================  =============================================
build    makes every form with ``zerogo      ``nets/`` (the files), ``build.json`` (per
         compress`` (one subprocess each)    form: the exact command, CPU-s, file size,
                                             the command's own report)
measure  sizes, accuracy on the fixed        ``table.json``
         dataset's test split, evals/s at
         batch 1, 8, 16, 32, 256 (every
         form taking turns, best round)
elo      ``zerogo match`` of each form       ``matches/<form>/`` (SGFs, ``games.jsonl``,
         against the original, 200 visits    ``summary.json``); resumes a stopped match
         each, 100 games
table    prints the markdown table of         ``SECTION.md`` with ``--section``
         ``table.json`` and the summaries
=======  ==================================  =============================================

The forms (``FORMS``): the shipped ``zerogo/networks/b6c64-9x9.pt`` (torch, float32:
what ``zerogo gtp`` runs by default); its float32 ONNX export and its int8 form
(NNCF, trunk convolutions int8), both on OpenVINO; global magnitude pruning to 50%
sparsity; channel pruning of the residual blocks' middles to 48 and 32 of 64 channels
(least-squares refit, then fine-tuning by distillation); a b4c48 student distilled
from the shipped network and the same student trained on the dataset's raw targets
(same samples, same seed).  Everything but the original is timed and played on
OpenVINO in float32, one thread (``--backend openvino``; the ``.pt`` forms go through
``nn.backends``' export cache).  All training reads the fixed dataset
(``benchmarks/dataset``, ``scripts/make_dataset.py``): its train split; all accuracy
figures its test split (every position).

Accuracy (``measure``), each form run by the evaluator it plays with, against the
original in torch float32: ``agreement`` (same most likely move), ``policy_top1`` (the
most likely move is the search's most visited; positions with a search policy),
``value_mse_original`` (mean (v - v_original)^2) and ``value_mse_z`` (mean (v - z)^2,
z the game's result).

Usage (from the repository root; a quiet machine for ``measure``'s timings, which
are marked provisional when other processes kept more than half a core busy in the
second before it started, read from ``/proc/stat``; the one-minute load average lags
by a minute after the campaign is paused, so it is recorded but not used)::

    nice -n 10 .venv/bin/python scripts/compress_table.py build
    .venv/bin/python scripts/compress_table.py measure --rounds 5 --seconds 2
    nice -n 10 .venv/bin/python scripts/compress_table.py elo --games 100
    .venv/bin/python scripts/compress_table.py table --section benchmarks/compress/SECTION.md

``build --scale 0.1`` makes every form with a tenth of the training samples (a quick
check); ``--forms`` picks forms in every stage; ``build`` skips forms already built
(``--force`` rebuilds them); ``elo`` resumes each form's journal.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORIGINAL = ROOT / "zerogo" / "networks" / "b6c64-9x9.pt"
DATASET = ROOT / "benchmarks" / "dataset"
OUT_DIR = ROOT / "benchmarks" / "compress"
BATCH_SIZES = (1, 8, 16, 32, 256)
VISITS = 200
GAMES = 100
OPENING_MOVES = 4
DASH = "—"


@dataclass(frozen=True)
class Form:
    """One form of the network: a row of the table.

    Attributes:
        name: short name (``--forms``, the match folder).
        label: what the table calls it.
        file: its file name under ``nets/`` (the original: unused).
        backend: the runtime that times it and plays it ("torch", "openvino").
        action: the ``zerogo compress`` action and its options, split at spaces (the
            source, output, dataset and report options are added); None for the
            original.  ``{samples:N}`` stands for N training samples times ``--scale``.
    """

    name: str
    label: str
    file: str
    backend: str
    action: str | None

    def path(self, nets: Path, original: Path) -> Path:
        """Return the form's file: the original itself, or ``nets/<file>``."""
        return original if self.action is None else nets / self.file


_TRAIN = "--threads 1 --quiet --seed 0"
FORMS: tuple[Form, ...] = (
    Form("original", "b6c64 float32 (torch), shipped", "b6c64-9x9.pt", "torch", None),
    Form("f32-onnx", "float32 ONNX (OpenVINO)", "b6c64-f32.onnx", "openvino", "export"),
    Form("int8", "int8, NNCF (OpenVINO)", "b6c64-int8.onnx", "openvino", "quantize"),
    Form(
        "sparse50",
        "magnitude-pruned 50% (global, 3 rounds)",
        "b6c64-sparse50.pt",
        "openvino",
        "prune --method magnitude --amount 0.5 --steps 3 --finetune-samples {samples:30000} "
        + _TRAIN,
    ),
    Form(
        "i48",
        "channel-pruned 25% (b6c64-i48)",
        "b6c64-i48.pt",
        "openvino",
        "prune --method channels --amount 0.25 --steps 2 --finetune-samples {samples:30000} "
        + _TRAIN,
    ),
    Form(
        "i32",
        "channel-pruned 50% (b6c64-i32)",
        "b6c64-i32.pt",
        "openvino",
        "prune --method channels --amount 0.5 --steps 2 --finetune-samples {samples:30000} "
        + _TRAIN,
    ),
    Form(
        "b4c48-distilled",
        "b4c48 student, distilled",
        "b4c48-distilled.pt",
        "openvino",
        "distill --student b4c48 --samples {samples:100000} " + _TRAIN,
    ),
    Form(
        "b4c48-raw",
        "b4c48 student, raw targets",
        "b4c48-raw.pt",
        "openvino",
        "distill --student b4c48 --samples {samples:100000} --raw-targets-only " + _TRAIN,
    ),
)
FORM_NAMES = tuple(form.name for form in FORMS)


# -- records --------------------------------------------------------------------------


def busy_cores(seconds: float = 1.0) -> float | None:
    """Return how many cores were busy (not idle or waiting on I/O) over ``seconds``,
    from ``/proc/stat``; None where there is no such file."""
    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    if total1 <= total0:
        return None
    share = 1.0 - (idle1 - idle0) / (total1 - total0)
    return round(share * (os.cpu_count() or 1), 2)


def provenance(argv: Sequence[str]) -> dict[str, Any]:
    """Return what every record says of its making: command, machine, commit, date."""
    from nn.bench import machine_info
    from zerogo.bench import git_commit

    return {
        "command": shlex.join(["scripts/compress_table.py", *argv]),
        "machine": machine_info(),
        "git_commit": git_commit(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def dataset_digest(data: Path) -> str | None:
    """Return the SHA-256 of the dataset's ``manifest.json`` (which holds a SHA-256 of
    every shard), or None without one: records made on different datasets differ."""
    try:
        return hashlib.sha256((data / "manifest.json").read_bytes()).hexdigest()
    except OSError:
        return None


def write_json(path: Path, record: dict[str, Any]) -> None:
    """Write ``record`` to ``path`` as indented JSON, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(temporary, path)


def read_json(path: Path) -> dict[str, Any] | None:
    """Return the JSON object in ``path``, or None if there is none."""
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return None


def relative(path: Path | str) -> str:
    """Return ``path`` relative to the repository root where it lies inside it (links kept:
    ``.venv/bin/python`` stays itself)."""
    resolved = Path(os.path.abspath(path))
    try:
        return str(resolved.relative_to(ROOT))
    except ValueError:
        return str(path)


def select_forms(names: Sequence[str] | None) -> list[Form]:
    """Return the forms named (all for None or empty), in table order.

    Raises:
        ValueError: for an unknown name.
    """
    if not names:
        return list(FORMS)
    unknown = sorted(set(names) - set(FORM_NAMES))
    if unknown:
        raise ValueError(f"unknown forms {unknown} (known: {', '.join(FORM_NAMES)})")
    return [form for form in FORMS if form.name in names]


# -- build ----------------------------------------------------------------------------


def compress_arguments(
    form: Form, original: Path, out: Path, data: Path, scale: float, report: Path
) -> list[str]:
    """Return the ``zerogo compress`` argument list that makes ``form`` into ``out``.

    Args:
        form: a form with an action.
        original: the network compressed.
        out: the file to write.
        data: the dataset folder (train/, test/).
        scale: factor on every training sample count (at least 1 sample remains).
        report: where the command's JSON report goes (prune, distill).

    Raises:
        ValueError: for the original (nothing to make) or a non-positive scale.
    """
    if form.action is None:
        raise ValueError("the original is not built")
    if scale <= 0:
        raise ValueError(f"--scale must be positive, not {scale}")
    action, *rest = form.action.split()
    args = []
    for item in rest:
        if item.startswith("{samples:"):
            item = str(max(1, round(int(item[len("{samples:") : -1]) * scale)))
        args.append(item)
    source = "--teacher" if action == "distill" else "--weights"
    head = ["compress", action, source, relative(original), "-o", relative(out)]
    if action in ("export", "quantize"):
        evaluation = relative(data / "test")
        tail = ["--evaluation", evaluation, "--backend", "openvino", "--json"]
        if action == "quantize":
            tail = ["--calibration", relative(data / "train"), *tail]
        return [*head, *args, *tail]
    return [*head, *args, "--data", relative(data), "--json", relative(report)]


def run_build(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Make every selected form that is missing (all with ``--force``); update build.json."""
    out_dir, original, data = Path(args.out_dir), Path(args.weights), Path(args.data)
    nets = out_dir / "nets"
    nets.mkdir(parents=True, exist_ok=True)
    record_path = out_dir / "build.json"
    record = read_json(record_path) or {"forms": {}}
    record.setdefault("forms", {})
    for form in select_forms(args.forms):
        if form.action is None:
            continue
        out = form.path(nets, original)
        report = nets / f".{form.name}.report.json"
        if out.exists() and form.name in record["forms"] and not args.force:
            print(f"{form.name}: built already ({relative(out)}; --force rebuilds)")
            _complete(record["forms"][form.name], form, original, out, data, report)
            continue
        arguments = compress_arguments(form, original, out, data, args.scale, report)
        command = [sys.executable, "-m", "zerogo", *arguments]
        print(f"{form.name}: {shlex.join(['zerogo', *arguments])}", flush=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            print(done.stdout, end="")
            print(f"{form.name}: the command failed (exit {done.returncode})", file=sys.stderr)
            return 1
        command_report = read_json(report) if report.exists() else _last_json_line(done.stdout)
        report.unlink(missing_ok=True)
        record["forms"][form.name] = {
            **provenance(argv),
            "label": form.label,
            "file": relative(out),
            "file_bytes": out.stat().st_size,
            "compress_command": shlex.join([".venv/bin/zerogo", *arguments]),
            "scale": args.scale,
            "training_samples": training_samples(arguments),
            "dataset_manifest_sha256": dataset_digest(data),
            "cpu_seconds": round(cpu, 1),
            "wall_seconds": round(wall, 1),
            "report": command_report,
        }
        record["original"] = relative(original)
        record["dataset"] = relative(data)
        record["total_bytes"] = sum(int(r["file_bytes"]) for r in record["forms"].values())
        record["total_cpu_seconds"] = round(
            sum(float(r["cpu_seconds"]) for r in record["forms"].values()), 1
        )
        write_json(record_path, record)
        print(f"{form.name}: {cpu:.0f} CPU-s ({wall:.0f} s wall), {out.stat().st_size:,} bytes")
    write_json(record_path, record)
    if record["forms"]:
        print(
            f"{len(record['forms'])} forms: {record.get('total_bytes', 0) / 1e6:.2f} MB, "
            f"{record.get('total_cpu_seconds', 0):.0f} CPU-s; record {relative(record_path)}"
        )
    return 0


def _complete(
    row: dict[str, Any], form: Form, original: Path, out: Path, data: Path, report: Path
) -> None:
    """Fill in ``compress_command`` in a build record written before the field existed
    (the same arguments ``compress_arguments`` gives for the recorded ``scale``; an
    earlier version let the stage's own ``command`` overwrite it)."""
    if "compress_command" not in row:
        arguments = compress_arguments(form, original, out, data, float(row["scale"]), report)
        row["compress_command"] = shlex.join([".venv/bin/zerogo", *arguments])


def training_samples(arguments: Sequence[str]) -> int:
    """Return the training samples a ``zerogo compress`` command asks for (0: none)."""
    for flag in ("--samples", "--finetune-samples"):
        if flag in arguments:
            return int(arguments[list(arguments).index(flag) + 1])
    return 0


def _last_json_line(text: str) -> dict[str, Any] | None:
    """Return the last line of ``text`` that is a JSON object, or None."""
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                return dict(json.loads(line))
            except ValueError:
                continue
    return None


# -- measure --------------------------------------------------------------------------


def describe_file(path: Path) -> dict[str, Any]:
    """Return a network file's size: ``file_bytes``, ``parameters``, ``nonzero_parameters``
    (checkpoints; None for ONNX files), ``macs_per_eval`` and ``network`` (config name).

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if it is not a checkpoint or ONNX network file.
    """
    import torch

    from nn.backends import is_onnx_file, read_onnx_network
    from nn.checkpoint import read_checkpoint
    from nn.flops import count_macs
    from nn.go_net import GoNet, count_parameters
    from zerogo.compress_distill import describe

    if is_onnx_file(path):
        config = read_onnx_network(path).net_config
        model = GoNet(config).eval()
        size = config.board_size
        sizes = {
            "parameters": count_parameters(model),
            "nonzero_parameters": None,
            "macs_per_eval": count_macs(model, torch.zeros(1, config.in_planes, size, size)),
        }
    else:
        checkpoint = read_checkpoint(path)
        config = checkpoint.net_config
        sizes = describe(checkpoint.build_model(), config.board_size, config.in_planes)
    return {"network": config.name, "file_bytes": path.stat().st_size, **sizes}


def test_batches(data: Path, weights: Path) -> list[Any]:
    """Return every position of ``data``'s test split as fixed batches of 256 (no
    symmetries), with the planes of ``weights``' network.

    Raises:
        ValueError: if the split is missing or empty.
    """
    from nn.checkpoint import read_checkpoint
    from trainer.dataset import BatchSampler
    from trainer.replay import ReplayBuffer

    folder = data / "test"
    if not folder.is_dir():
        raise ValueError(f"no test/ folder in {data} (scripts/make_dataset.py makes one)")
    buffer = ReplayBuffer(folder, window_games=10**7)
    buffer.refresh()
    if buffer.size is None:
        raise ValueError(f"{folder} holds no games")
    features = read_checkpoint(weights).feature_config
    sampler = BatchSampler(buffer, features, 256, seed=0, augment=False)
    return sampler.fixed_batches("train", positions=10**9, batch_size=256)


def accuracy(
    evaluator: Any, reference: Sequence[tuple[Any, Any, Any]], batches: Sequence[Any]
) -> dict[str, Any]:
    """Measure an evaluator against the reference's outputs and the dataset's targets.

    Args:
        evaluator: the form's ``Evaluator``.
        reference: the original's outputs (policy logits, value, ownership) on each
            batch (torch, float32).
        batches: ``trainer.dataset.Batch``es of the test split.

    Returns:
        ``positions``; ``agreement`` (the same most likely move as the reference);
        ``policy_top1`` (the most likely move is the search's most visited, over the
        ``policy_positions`` with a search policy); ``value_mse_original`` and
        ``value_mse_z`` (against the game result z, side to move's view).
    """
    import numpy as np

    sums = {"agreement": 0.0, "top1": 0.0, "mse_original": 0.0, "mse_z": 0.0}
    positions = with_policy = 0
    for batch, (ref_logits, ref_value, _) in zip(batches, reference, strict=True):
        planes = batch.planes.numpy()
        logits, value, _ = evaluator.evaluate(planes)
        moves = logits.argmax(1)
        mask = batch.policy_mask.numpy().astype(bool)
        searched = batch.policy.numpy().argmax(1)
        z = batch.value.numpy()
        sums["agreement"] += float(np.sum(moves == ref_logits.argmax(1)))
        sums["top1"] += float(np.sum((moves == searched) & mask))
        sums["mse_original"] += float(np.sum((value - ref_value) ** 2))
        sums["mse_z"] += float(np.sum((value - z) ** 2))
        positions += len(planes)
        with_policy += int(mask.sum())
    if positions == 0:
        raise ValueError("no test positions")
    return {
        "positions": positions,
        "policy_positions": with_policy,
        "agreement": round(sums["agreement"] / positions, 5),
        "policy_top1": round(sums["top1"] / max(with_policy, 1), 5),
        "value_mse_original": float(f"{sums['mse_original'] / positions:.4g}"),
        "value_mse_z": float(f"{sums['mse_z'] / positions:.4g}"),
    }


def run_measure(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Measure every selected form (sizes, accuracy, speed); write table.json."""
    from nn.backends import load_evaluator
    from nn.bench import compare_backends

    load_start = [round(x, 2) for x in os.getloadavg()]
    busy_start = busy_cores()
    out_dir, original, data = Path(args.out_dir), Path(args.weights), Path(args.data)
    forms = select_forms(args.forms)
    paths = {form.name: form.path(out_dir / "nets", original) for form in forms}
    missing = [relative(path) for path in paths.values() if not path.exists()]
    if missing:
        raise FileNotFoundError(f"not built yet: {', '.join(missing)} (run the build stage)")
    built = (read_json(out_dir / "build.json") or {}).get("forms", {})
    stale = [
        name
        for name, row in built.items()
        if row.get("dataset_manifest_sha256") != dataset_digest(data)
    ]
    if stale:
        print(f"warning: built on another dataset than {relative(data)}: {', '.join(stale)}")
    rows: dict[str, dict[str, Any]] = {}
    for form in forms:
        rows[form.name] = {
            "label": form.label,
            "file": relative(paths[form.name]),
            "backend": form.backend,
            "dtype": "float32",
            **describe_file(paths[form.name]),
        }
    if not args.no_accuracy:
        batches = test_batches(data, original)
        torch_original = load_evaluator(original, "torch", dtype="float32", threads=args.threads)
        reference = [torch_original.evaluate(batch.planes.numpy()) for batch in batches]
        for form in forms:
            evaluator = load_evaluator(
                paths[form.name], form.backend, dtype="float32", threads=args.threads
            )
            rows[form.name]["accuracy"] = accuracy(evaluator, reference, batches)
            print(f"{form.name}: {rows[form.name]['accuracy']}", flush=True)
        del torch_original, evaluator  # nothing of them runs during the timings
    bench: dict[str, Any] | None = None
    if not args.no_speed:
        specs = [(form.backend, "float32", str(paths[form.name])) for form in forms]
        bench = compare_backends(
            specs,
            weights=original,
            batch_sizes=tuple(args.batch_sizes),
            seconds=args.seconds,
            threads=args.threads,
            rounds=args.rounds,
        )
        base = rows["original"] if "original" in rows else None
        for form, timed in zip(forms, bench["backends"], strict=True):
            rate = {str(row["batch"]): row["evals_per_s"] for row in timed["batches"]}
            rows[form.name]["evals_per_s"] = rate
            rows[form.name]["precision"] = timed["precision"]
        for row in rows.values():
            if base is not None:
                row["speedup"] = {
                    batch: round(rate / base["evals_per_s"][batch], 3)
                    for batch, rate in row["evals_per_s"].items()
                }
        print(f"speed: {json.dumps({name: r['evals_per_s'] for name, r in rows.items()})}")
    cores = os.cpu_count() or 1
    if busy_start is not None:  # other work on more than half a core
        provisional = bool(args.provisional or busy_start > 0.5)
    else:
        provisional = bool(args.provisional or load_start[0] > 0.5 * cores)
    record = {
        **provenance(argv),
        "load_average_at_start": load_start,
        "busy_cores_at_start": busy_start,
        "timings_provisional": provisional if not args.no_speed else None,
        "original": relative(original),
        "dataset": relative(data),
        "dataset_manifest_sha256": dataset_digest(data),
        "split": "test",
        "threads": args.threads,
        "batch_sizes": list(args.batch_sizes),
        "seconds_per_batch": args.seconds,
        "rounds": args.rounds,
        "forms": rows,
        "bench": bench,
    }
    path = out_dir / "table.json"
    write_json(path, record)
    print(render_table(record, read_elo(out_dir, list(rows))))
    print(f"wrote {relative(path)}" + (" (timings provisional)" if provisional else ""))
    return 0


# -- elo ------------------------------------------------------------------------------


def gtp_command(python: str, weights: str, backend: str, visits: int) -> str:
    """Return the ``zerogo gtp`` command line of a network at ``visits`` (one search
    thread, float32)."""
    return (
        f"{shlex.quote(python)} -m zerogo gtp --player net --weights {shlex.quote(weights)} "
        f"--backend {backend} --dtype float32 --visits {visits} --threads 1"
    )


def match_arguments(
    form: Form,
    path: Path,
    original: Path,
    match_dir: Path,
    *,
    games: int,
    visits: int,
    opening_moves: int,
    seed: int,
    python: str,
) -> list[str]:
    """Return the ``zerogo match`` arguments of ``form`` (engine2) against the original
    (engine1, torch float32), both at ``visits`` visits, journaled in ``match_dir``.

    Raises:
        ValueError: for the original itself, or non-positive games or visits.
    """
    if form.action is None:
        raise ValueError("the original does not play itself")
    if games < 1 or visits < 1 or opening_moves < 0:
        raise ValueError("--games and --visits must be positive, --opening-moves not negative")
    return [
        "match",
        "--engine1",
        gtp_command(python, relative(original), "torch", visits),
        "--engine2",
        gtp_command(python, relative(path), form.backend, visits),
        "-n",
        str(games),
        "--size",
        "9",
        "--komi",
        "7.5",
        "--opening-moves",
        str(opening_moves),
        "--seed",
        str(seed),
        "--sgf-dir",
        relative(match_dir),
        "--journal",
        relative(match_dir / "games.jsonl"),
        "--resume",
        "--json",
        "--summary",
        relative(match_dir / "summary.json"),
    ]


def form_elo(summary: dict[str, Any]) -> dict[str, Any]:
    """Return the form's side of a match summary (engine2 against the original, engine1).

    Returns:
        ``games``, ``wins``, ``losses``, ``draws``, ``elo`` (form minus original, None
        for a sweep) and ``elo_interval`` (95%, None ends where infinite).
    """
    elo = summary.get("elo")
    low, high = (summary.get("elo_interval") or [None, None])[:2]
    engine2 = summary.get("engine2") or {}
    return {
        "games": len(summary.get("results") or []) or summary.get("games"),
        "wins": engine2.get("wins"),
        "losses": engine2.get("losses"),
        "draws": summary.get("draws"),
        "elo": None if elo is None else 0.0 - elo,  # 0.0 - x: no "-0"
        "elo_interval": [None if high is None else 0.0 - high, None if low is None else 0.0 - low],
    }


def read_elo(out_dir: Path, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Return ``form_elo`` of each form whose match left a summary (record.json first)."""
    found = {}
    for name in names:
        folder = out_dir / "matches" / name
        record = read_json(folder / "record.json")
        if record is not None and "elo" in record:
            found[name] = dict(record["elo"])
            continue
        summary = read_json(folder / "summary.json")
        if summary is not None:
            found[name] = form_elo(summary)
    return found


def run_elo(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Play (or resume) each selected form's match against the original; write
    ``matches/<form>/summary.json`` (zerogo match's) and ``record.json`` (provenance)."""
    out_dir, original = Path(args.out_dir), Path(args.weights)
    python = relative(sys.executable)
    forms = [form for form in select_forms(args.forms) if form.action is not None]
    failed = 0
    for form in forms:
        path = form.path(Path(args.nets_dir or out_dir / "nets"), original)
        if not path.exists():
            raise FileNotFoundError(f"not built yet: {relative(path)} (run the build stage)")
        match_dir = out_dir / "matches" / form.name
        match_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        stamp = read_json(match_dir / "network.json")
        if stamp is not None and stamp.get("sha256") != digest:
            raise ValueError(
                f"{relative(match_dir)} holds games of another {path.name} (rebuilt since?): "
                "move that folder away to start the match again"
            )
        write_json(match_dir / "network.json", {"file": relative(path), "sha256": digest})
        arguments = match_arguments(
            form,
            path,
            original,
            match_dir,
            games=args.games,
            visits=args.visits,
            opening_moves=args.opening_moves,
            seed=args.seed,
            python=python,
        )
        print(f"{form.name}: {shlex.join(['zerogo', *arguments])}", flush=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "zerogo", *arguments],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = read_json(match_dir / "summary.json")
        if done.returncode != 0 or summary is None:
            print(f"{form.name}: the match failed (exit {done.returncode})", file=sys.stderr)
            failed += 1
            continue
        elo = form_elo(summary)
        write_json(
            match_dir / "record.json",
            {
                **provenance(argv),
                "match_command": shlex.join([".venv/bin/zerogo", *arguments]),
                "form": form.name,
                "file": relative(path),
                "file_sha256": digest,
                "visits": args.visits,
                "elo": elo,
                "cpu_seconds_this_session": round(
                    (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1
                ),
                "wall_seconds_this_session": round(wall, 1),
            },
        )
        print(f"{form.name}: {format_elo(elo)}", flush=True)
    return 1 if failed else 0


# -- table ----------------------------------------------------------------------------


def format_elo(elo: dict[str, Any] | None) -> str:
    """Return an Elo cell: ``+12 [-40, +65], 100 games`` (``—`` for no match)."""
    if not elo or not elo.get("games"):
        return DASH
    games = f"{elo['games']} games"
    if elo.get("elo") is None:
        return f"{elo.get('wins', 0)}-{elo.get('losses', 0)} ({games})"
    low, high = elo.get("elo_interval") or [None, None]

    def signed(value: float | None, infinite: str) -> str:
        return infinite if value is None else f"{value:+.0f}"

    return f"{elo['elo']:+.0f} [{signed(low, '-inf')}, {signed(high, '+inf')}], {games}"


def render_table(record: dict[str, Any], elo: dict[str, dict[str, Any]]) -> str:
    """Return the markdown table of a ``table.json`` record joined with the Elo figures."""
    batches = [str(b) for b in record.get("batch_sizes", BATCH_SIZES)]
    head = ["form", "runtime", "parameters", "file (MB)"]
    head += [f"evals/s @{b}" for b in batches]
    head += ["x orig. @16", "top-1 agreement", "top-1 (search move)"]
    head += ["value MSE vs orig.", "value MSE vs z", f"Elo vs orig. ({VISITS} visits)"]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(["---"] * len(head)) + " |"]
    for name, row in record["forms"].items():
        nonzero, total = row.get("nonzero_parameters"), row["parameters"]
        params = f"{total:,}"
        if nonzero is not None and nonzero < total:
            params = f"{nonzero:,} nonzero of {total:,}"
        rates = row.get("evals_per_s") or {}
        speedup = (row.get("speedup") or {}).get("16")
        acc = row.get("accuracy") or {}

        def cell(key: str, form: str, source: dict[str, Any] = acc) -> str:
            value = source.get(key)
            return DASH if value is None else form.format(value)

        cells = [
            f"{name}: {row['label']}",
            f"{row['backend']} {row.get('precision', row.get('dtype', ''))}".strip(),
            params,
            f"{row['file_bytes'] / 1e6:.2f}",
            *[cell(b, "{:,.0f}", rates) for b in batches],
            DASH if speedup is None else f"{speedup:.2f}",
            cell("agreement", "{:.3f}"),
            cell("policy_top1", "{:.3f}"),
            _small(acc.get("value_mse_original")),
            cell("value_mse_z", "{:.3f}"),
            DASH if name == "original" else format_elo(elo.get(name)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _small(value: float | None) -> str:
    """Return a cell for a figure that may be tiny: 0.0123, 2.6e-05, 0 or the dash."""
    if value is None:
        return DASH
    return "0" if value == 0 else f"{value:.4f}" if value >= 1e-3 else f"{value:.1e}"


def build_lines(build: dict[str, Any] | None) -> list[str]:
    """Return markdown rows of ``build.json``: per form its command, CPU-s and size."""
    if not build or not build.get("forms"):
        return ["(not built yet)"]
    lines = ["| form | command | CPU-s | file (MB) |", "| --- | --- | --- | --- |"]
    for name, row in build["forms"].items():
        command = str(row.get("compress_command", "?")).replace("|", "\\|")
        lines.append(
            f"| {name} | `{command}` | {row['cpu_seconds']:,.0f} | {row['file_bytes'] / 1e6:.2f} |"
        )
    lines.append(
        f"| all | | {build.get('total_cpu_seconds', 0):,.0f} | "
        f"{build.get('total_bytes', 0) / 1e6:.2f} |"
    )
    return lines


def render_section(
    record: dict[str, Any], build: dict[str, Any] | None, elo: dict[str, dict[str, Any]]
) -> str:
    """Return the BENCHMARKS.md section: prose, the commands and both tables."""
    machine = record.get("machine", {})
    provisional = record.get("timings_provisional")
    status = (
        "**Timings provisional**: measured with other work on the machine (load average "
        f"{record.get('load_average_at_start')} at the start); the accuracy figures do not "
        "depend on the load."
        if provisional
        else f"Load average at the start: {record.get('load_average_at_start')}."
    )
    played = [name for name in record["forms"] if name in elo]
    return "\n".join(
        [
            "## Compressed forms of the shipped network (issue 11)",
            "",
            "Every form of `zerogo/networks/b6c64-9x9.pt` that `zerogo compress` makes, "
            "in one table: the float32 ONNX export and the int8 form (NNCF, trunk "
            "convolutions int8) on OpenVINO, global magnitude pruning to 50% sparsity, "
            "channel pruning of the residual blocks' middles to 48 and 32 of 64 channels "
            "(least-squares refit, then fine-tuning by distillation), and a b4c48 student "
            "distilled from the shipped network beside the same student trained on the "
            "dataset's raw targets (same samples, same seed). Training reads the fixed "
            "dataset's train split (`benchmarks/dataset`, manifest SHA-256 "
            f"{str(record.get('dataset_manifest_sha256'))[:12]}...); the accuracy columns are "
            f"on its test split ({_positions(record)} positions) against the original in torch "
            "float32: top-1 agreement (same most likely move), top-1 against the search's "
            "most visited move, value MSE against the original's value and against the "
            "game result z.",
            "",
            "Speed: evaluations per second at each batch size (16 is what GTP play uses), "
            f"{record.get('threads')} thread, float32, best of {record.get('rounds')} rounds of "
            f"{record.get('seconds_per_batch')} s in which every form takes its turn at each "
            "batch size; `x orig. @16` is the ratio to the original (torch) at batch 16. "
            "The original runs on torch (what `zerogo gtp` used by default until the "
            "equal-time match), every other form on OpenVINO (the `.pt` forms through "
            "`nn.backends`' export cache). "
            "Magnitude pruning keeps the shapes: on a dense runtime its zeros gain nothing "
            "but compressibility. Elo: `zerogo match` of the form against the original, "
            f"both at {VISITS} visits and one search thread, {OPENING_MOVES} random opening "
            "plies per pair of games, colours alternating, resignation at the players' "
            "default threshold; the form's Elo minus the original's, 95% intervals.",
            "",
            f"Machine: {machine.get('cpu')}, {machine.get('logical_cores')} logical cores; "
            f"commit {record.get('git_commit')}; {record.get('date')}. {status}",
            "",
            "```",
            "nice -n 10 .venv/bin/python scripts/compress_table.py build      "
            "# benchmarks/compress/build.json, nets/",
            f"    .venv/bin/python {record.get('command')}   # table.json, campaign paused",
            f"nice -n 10 .venv/bin/python scripts/compress_table.py elo --games {GAMES}"
            "   # matches/<form>/",
            "    .venv/bin/python scripts/compress_table.py table --section "
            "benchmarks/compress/SECTION.md",
            "```",
            "",
            f"Record: `benchmarks/compress/table.json` (`{record.get('command')}`); Elo: "
            "`benchmarks/compress/matches/<form>/record.json` and `summary.json` "
            f"({', '.join(played) if played else 'no match played yet'}).",
            "",
            render_table(record, elo),
            "",
            "How each form was made (`benchmarks/compress/build.json`; CPU-seconds of the "
            "whole command, start-up and its own report included, one training thread):",
            "",
            *build_lines(build),
            "",
        ]
    )


def _positions(record: dict[str, Any]) -> str:
    for row in record["forms"].values():
        if "accuracy" in row:
            return f"{row['accuracy']['positions']:,}"
    return "?"


def run_table(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Print the markdown table of table.json with the Elo figures; write the section."""
    out_dir = Path(args.out_dir)
    record = read_json(out_dir / "table.json")
    if record is None:
        raise FileNotFoundError(f"no {relative(out_dir / 'table.json')} (run the measure stage)")
    if args.forms:
        record["forms"] = {k: v for k, v in record["forms"].items() if k in args.forms}
    elo = read_elo(out_dir, list(record["forms"]))
    print(render_table(record, elo))
    if args.section:
        section = Path(args.section)
        section.parent.mkdir(parents=True, exist_ok=True)
        section.write_text(render_section(record, read_json(out_dir / "build.json"), elo))
        print(f"wrote {relative(section)}")
    return 0


# -- command line ---------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line (``--help`` for the stages and their options)."""
    parser = argparse.ArgumentParser(
        prog="scripts/compress_table.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="forms: " + ", ".join(FORM_NAMES),
    )
    sub = parser.add_subparsers(dest="stage", metavar="STAGE", required=True)
    stages = {
        "build": "make every compressed form into OUT_DIR/nets/ (build.json)",
        "measure": "sizes, accuracy and evals/s of every form (table.json)",
        "elo": "equal-visits matches of each form against the original",
        "table": "print the markdown table (and write the BENCHMARKS section)",
    }
    children = {}
    for stage, text in stages.items():
        child = sub.add_parser(stage, help=text, description=text)
        child.add_argument(
            "--forms", nargs="+", choices=FORM_NAMES, default=None, help="forms (default: all)"
        )
        child.add_argument(
            "--out-dir", default=str(OUT_DIR), help=f"records folder ({relative(OUT_DIR)})"
        )
        child.add_argument(
            "--weights", default=str(ORIGINAL), help=f"the original ({relative(ORIGINAL)})"
        )
        children[stage] = child
    build = children["build"]
    build.add_argument("--data", default=str(DATASET), help=f"dataset ({relative(DATASET)})")
    build.add_argument(
        "--scale", type=float, default=1.0, help="factor on every training sample count (1)"
    )
    build.add_argument("--force", action="store_true", help="rebuild forms built already")
    measure = children["measure"]
    measure.add_argument("--data", default=str(DATASET), help=f"dataset ({relative(DATASET)})")
    measure.add_argument(
        "--batch-sizes", type=int, nargs="+", default=list(BATCH_SIZES), help="(1 8 16 32 256)"
    )
    measure.add_argument(
        "--seconds", type=float, default=2.0, help="timed seconds per form, batch and round (2)"
    )
    measure.add_argument("--rounds", type=int, default=5, help="rounds; the best counts (5)")
    measure.add_argument("--threads", type=int, default=1, help="backend threads (1)")
    measure.add_argument(
        "--provisional",
        action="store_true",
        help="mark the timings provisional (automatic when the load average at the start "
        "is above half the cores)",
    )
    measure.add_argument("--no-speed", action="store_true", help="sizes and accuracy only")
    measure.add_argument("--no-accuracy", action="store_true", help="sizes and speed only")
    elo = children["elo"]
    elo.add_argument("--games", type=int, default=GAMES, help=f"games per form ({GAMES})")
    elo.add_argument("--visits", type=int, default=VISITS, help=f"visits per move ({VISITS})")
    elo.add_argument(
        "--opening-moves",
        type=int,
        default=OPENING_MOVES,
        help=f"random opening plies per pair of games ({OPENING_MOVES})",
    )
    elo.add_argument("--seed", type=int, default=0, help="seed of the openings (0)")
    elo.add_argument(
        "--nets-dir", default=None, help="folder of the forms' files (default OUT_DIR/nets)"
    )
    children["table"].add_argument(
        "--section", default=None, help="also write the BENCHMARKS section to this file"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one stage; exit status 0, 1 for a failed step, 2 for refused arguments."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    runners = {"build": run_build, "measure": run_measure, "elo": run_elo, "table": run_table}
    try:
        return runners[args.stage](args, argv)
    except (ValueError, FileNotFoundError) as exc:
        print(f"compress_table {args.stage}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
