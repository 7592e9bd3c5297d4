"""``zerogo compress distill``: a smaller student network learns from a teacher.

The Go glue of ``nn.compress.distill`` (Hinton's loss; notation there: temperature
T, soft-policy weight α, teacher-value weight β).  The student (a preset, e.g.
``b4c48`` or a MobileNet trunk ``mb6c64``) is trained on batches of the fixed dataset
(``benchmarks/dataset``, ``scripts/make_dataset.py``): training split, random board
symmetries, positions with a search policy π.  For each batch the teacher's policy
and value on the same planes are the soft targets; the dataset's π and game result z
the hard ones; the ownership head learns the dataset's final ownership (weight 1.5,
as ``trainer.loss``).  ``--raw-targets-only`` trains the same student on the same
batches with α = β = 0: the baseline.

At the end both networks are measured on the test split (``evaluate``): policy top-1
(the most likely move is the search's most visited), top-1 agreement with the
teacher, value MSE against z and against the teacher.  The student is saved as a
checkpoint that ``zerogo gtp --weights`` and ``zerogo play --weights`` load.

This module also serves ``zerogo.compress_prune``, whose fine-tuning is distillation
from the unpruned network: ``open_dataset``, ``fit``, ``evaluate``, ``print_report``.
Imports of torch and the network code happen inside the functions, so ``zerogo
compress --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn as tnn

    from engine.features import FeatureConfig
    from nn.compress.distill import DistillConfig
    from trainer.dataset import Batch, BatchSampler

HELP = "train a smaller student network from a teacher (Hinton's distillation)"
DEFAULT_DATA = Path(__file__).resolve().parent.parent / "benchmarks" / "dataset"
OPTIMIZERS = ("adamw", "sgd")
OWNERSHIP_WEIGHT = 1.5
"""Weight of the ownership term (``trainer.loss.training_loss``'s default)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        HELP
        + """.

  zerogo compress distill --teacher zerogo/networks/b6c64-9x9.pt --student b4c48 \\
      --temperature 2 --alpha 0.5 --samples 200000 -o b4c48-distilled.pt
  zerogo compress distill --teacher zerogo/networks/b6c64-9x9.pt --student b4c48 \\
      --samples 200000 --raw-targets-only -o b4c48-raw.pt     # the baseline"""
    )
    parser.add_argument("--teacher", required=True, help="teacher checkpoint")
    parser.add_argument(
        "--student",
        required=True,
        help="student preset: bXcY (e.g. b4c48), mbXcY (MobileNet), with suffixes as in "
        "'zerogo train --preset'",
    )
    parser.add_argument("--samples", type=int, default=200_000, help="training samples (200000)")
    add_data_arguments(parser, lr=1e-3)
    parser.add_argument(
        "--temperature", type=float, default=2.0, help="T of the soft policy targets (2)"
    )
    parser.add_argument(
        "--alpha", type=float, default=0.5, help="weight of the teacher's policy, 0..1 (0.5)"
    )
    parser.add_argument(
        "--beta", type=float, default=0.5, help="weight of the teacher's value, 0..1 (0.5)"
    )
    parser.add_argument(
        "--raw-targets-only",
        action="store_true",
        help="the baseline: train on the dataset's targets only (alpha = beta = 0)",
    )
    parser.add_argument("-o", "--out", required=True, help="student checkpoint to write")


def add_data_arguments(
    parser: argparse.ArgumentParser, lr: float, optimizer: str = "adamw"
) -> None:
    """Add the options of the dataset, the training and the report (distill and prune)."""
    parser.add_argument(
        "--data", default=str(DEFAULT_DATA), help="dataset folder with train/ and test/"
    )
    parser.add_argument("--batch-size", type=int, default=128, help="training batch (128)")
    parser.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        default=optimizer,
        help=f"adamw, or sgd (Nesterov momentum 0.9) ({optimizer})",
    )
    parser.add_argument("--lr", type=float, default=lr, help=f"learning rate ({lr:g})")
    parser.add_argument("--weight-decay", type=float, default=1e-4, help="weight decay (1e-4)")
    parser.add_argument(
        "--eval-positions", type=int, default=4096, help="test positions measured (4096)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and batches (0)")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's choice)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--json", default=None, help="also write the report to this JSON file")


@dataclass
class Dataset:
    """The fixed dataset, opened: a sampler of training batches and the test batches.

    Attributes:
        sampler: batches of the train split (random symmetries, positions with π).
        test: the test positions as fixed batches (no symmetries).
        path: the folder.
    """

    sampler: BatchSampler
    test: list[Batch]
    path: Path


def open_dataset(
    folder: str | Path,
    feature_config: FeatureConfig,
    batch_size: int,
    seed: int,
    eval_positions: int,
    board_size: int,
) -> Dataset:
    """Open ``folder``'s ``train/`` and ``test/`` splits for a network's planes and size.

    Raises:
        ValueError: if a split is missing or empty, or its board size differs.
    """
    from trainer.dataset import BatchSampler
    from trainer.replay import ReplayBuffer

    path = Path(folder)
    buffers = {}
    for split in ("train", "test"):
        if not (path / split).is_dir():
            raise ValueError(f"no {split}/ folder in {path} (scripts/make_dataset.py makes one)")
        buffer = ReplayBuffer(path / split, window_games=10**7)
        buffer.refresh()
        if buffer.size is None:
            raise ValueError(f"{path / split} holds no games")
        if buffer.size != board_size:
            raise ValueError(
                f"{path / split} is {buffer.size}x{buffer.size}, the network "
                f"{board_size}x{board_size}"
            )
        buffers[split] = buffer
    sampler = BatchSampler(
        buffers["train"], feature_config, batch_size, seed=seed, policy_only=True
    )
    tester = BatchSampler(buffers["test"], feature_config, 256, seed=0, augment=False)
    test = tester.fixed_batches("train", positions=eval_positions, batch_size=256)
    return Dataset(sampler, test, path)


def fit(
    student: tnn.Module,
    teacher: tnn.Module | None,
    dataset: Dataset,
    samples: int,
    config: DistillConfig,
    *,
    lr: float,
    weight_decay: float,
    optimizer: str = "adamw",
    label: str = "training",
    quiet: bool = False,
    freeze_norm_statistics: bool = False,
) -> dict[str, float]:
    """Train ``student`` on ``samples`` dataset positions with the distillation loss.

    AdamW, or SGD with Nesterov momentum 0.9, with a cosine learning-rate decay to 0
    over the run; the loss is ``nn.compress.distill.distillation_terms`` plus the
    ownership term, ``1.5 · (β · mean (o − o_teacher)² + (1 − β) · ownership error
    against the final position)``.  With ``teacher`` None, ``config`` must have
    α = β = 0 (the raw targets).

    To fine-tune a network that is close to its teacher (a pruned one), distill only
    (α = β = 1) and freeze the norms' statistics: the dataset's own targets, and
    batch norms re-estimating their statistics on this dataset's positions (which
    differ from the shipped network's training window), each moved a copy of the
    shipped network away from it (top-1 agreement 1 -> 0.85 in 2,000 samples from
    the statistics alone).

    Args:
        freeze_norm_statistics: keep the batch norms' running statistics.

    Returns:
        The mean loss terms (``nn.compress.distill.train_student``).

    Raises:
        ValueError: for an unknown optimizer.
    """
    import torch

    from nn.compress.distill import train_student
    from trainer.loss import ownership_error

    batch_size = dataset.sampler.batch_size
    steps = max(1, -(-samples // batch_size))
    params = student.parameters()
    step_rule: torch.optim.Optimizer
    if optimizer == "adamw":
        step_rule = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    elif optimizer == "sgd":
        step_rule = torch.optim.SGD(
            params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay
        )
    else:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {optimizer!r}")
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(step_rule, T_max=steps)

    def ownership(output: Any, teacher_output: Any, batch: Batch) -> torch.Tensor:
        predicted = output[2].float()
        term = predicted.new_zeros(())
        if config.beta < 1.0:
            error = ownership_error(predicted, batch.ownership, batch.ownership_mask)
            term = term + (1.0 - config.beta) * error
        if config.beta > 0.0 and teacher_output is not None:
            term = term + config.beta * ((predicted - teacher_output[2].float()) ** 2).mean()
        return OWNERSHIP_WEIGHT * term

    with _Bar(not quiet, label, steps) as bar:

        def on_step(step: int, terms: dict[str, float]) -> None:
            schedule.step()
            bar.update(step + 1, f"loss {terms['loss']:.3f}")

        return train_student(
            student,
            iter(dataset.sampler),
            step_rule,
            config,
            inputs=lambda batch: batch.planes,
            heads=lambda output: (output[0], output[1]),
            teacher=teacher,
            targets=lambda batch: (batch.policy, batch.value, batch.policy_mask),
            extra_loss=ownership,
            steps=steps,
            on_step=on_step,
            freeze_norm_statistics=freeze_norm_statistics,
        )


class _Bar:
    """A rich progress bar of training steps (nothing when disabled)."""

    def __init__(self, enabled: bool, label: str, total: int) -> None:
        self._progress: Any = None
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
        self._task = self._progress.add_task(label, total=total, info="")

    def __enter__(self) -> _Bar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, done: int, info: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=done, info=info)


def evaluate(
    model: tnn.Module, reference: tnn.Module | None, batches: list[Batch]
) -> dict[str, float]:
    """Measure ``model`` on fixed batches (eval mode, float32).

    Returns:
        ``positions``; ``policy_top1``: share of positions with a search policy whose
        most likely move is the most visited; ``value_mse``: mean ``(z - v)²``; with a
        ``reference`` also ``agreement`` (same most likely move as the reference) and
        ``value_mse_reference`` (mean ``(v_ref - v)²``).
    """
    import torch

    model.eval()
    if reference is not None:
        reference.eval()
    sums = {"policy_top1": 0.0, "value_mse": 0.0, "agreement": 0.0, "value_mse_reference": 0.0}
    with_policy = positions = 0
    with torch.no_grad():
        for batch in batches:
            logits, value, _ = model(batch.planes)
            moves = logits.argmax(dim=-1)
            mask = batch.policy_mask
            sums["policy_top1"] += float(((moves == batch.policy.argmax(dim=-1)) & mask).sum())
            sums["value_mse"] += float(((value.float() - batch.value) ** 2).sum())
            if reference is not None:
                ref_logits, ref_value, _ = reference(batch.planes)
                sums["agreement"] += float((moves == ref_logits.argmax(dim=-1)).sum())
                sums["value_mse_reference"] += float(((value - ref_value).float() ** 2).sum())
            with_policy += int(mask.sum())
            positions += len(batch)
    report = {
        "positions": positions,
        "policy_top1": sums["policy_top1"] / max(with_policy, 1),
        "value_mse": sums["value_mse"] / max(positions, 1),
    }
    if reference is not None:
        report["agreement"] = sums["agreement"] / max(positions, 1)
        report["value_mse_reference"] = sums["value_mse_reference"] / max(positions, 1)
    return report


def describe(model: tnn.Module, board_size: int, in_planes: int) -> dict[str, Any]:
    """Return a network's size: ``parameters``, ``nonzero_parameters``, ``macs_per_eval``."""
    import torch

    from nn.flops import count_macs
    from nn.go_net import count_parameters

    nonzero = sum(int((p != 0).sum()) for p in model.parameters())
    macs = count_macs(model.eval(), torch.zeros(1, in_planes, board_size, board_size))
    return {
        "parameters": count_parameters(model),
        "nonzero_parameters": nonzero,
        "macs_per_eval": macs,
    }


def print_report(columns: dict[str, dict[str, Any]], reference_name: str) -> None:
    """Print a table of the measurements, one column per network."""
    rows = [
        ("network", "name", "{}"),
        ("parameters", "parameters", "{:,}"),
        ("nonzero parameters", "nonzero_parameters", "{:,}"),
        ("multiply-adds / eval", "macs_per_eval", "{:,}"),
        ("policy top-1 (test)", "policy_top1", "{:.4f}"),
        (f"top-1 agreement w/ {reference_name}", "agreement", "{:.4f}"),
        ("value MSE (test, vs z)", "value_mse", "{:.4f}"),
        (f"value MSE vs {reference_name}", "value_mse_reference", "{:.4f}"),
    ]
    width = max(len(label) for label, _, _ in rows) + 2
    names = list(columns)
    print(" " * width + "".join(f"{name:>16}" for name in names))
    for label, key, form in rows:
        cells = []
        for name in names:
            value = columns[name].get(key)
            cells.append(f"{'-' if value is None else form.format(value):>16}")
        print(f"{label:<{width}}" + "".join(cells))


def write_json(path: str | None, record: dict[str, Any]) -> None:
    """Write ``record`` to ``path`` as JSON (nothing for None)."""
    if path:
        Path(path).write_text(json.dumps(record, indent=2) + "\n")


def check_common(args: argparse.Namespace, samples: int) -> None:
    """Check the shared options and a training sample count.

    Raises:
        ValueError: for a negative sample count, a non-positive batch, evaluation
            size or thread count.
    """
    if samples < 0 or args.batch_size < 1 or args.eval_positions < 1:
        raise ValueError(
            "sample counts must not be negative; --batch-size and --eval-positions must be positive"
        )
    if args.threads is not None and args.threads < 1:
        raise ValueError(f"--threads must be at least 1, not {args.threads}")


def run(args: argparse.Namespace) -> int:
    try:
        return _distill(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"zerogo compress distill: {exc}")
        return 2


def _distill(args: argparse.Namespace) -> int:
    import torch

    from nn.checkpoint import load_checkpoint, save_checkpoint
    from nn.compress.distill import DistillConfig
    from nn.go_net import GoNet, preset

    check_common(args, args.samples)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    teacher, teacher_config, extra = load_checkpoint(args.teacher)
    features = extra["feature_config"]
    if args.raw_targets_only:
        config = DistillConfig(temperature=args.temperature, alpha=0.0, beta=0.0)
    else:
        config = DistillConfig(temperature=args.temperature, alpha=args.alpha, beta=args.beta)
    torch.manual_seed(args.seed)
    student_config = preset(args.student, teacher_config.board_size, teacher_config.in_planes)
    student = GoNet(student_config)
    dataset = open_dataset(
        args.data,
        features,
        args.batch_size,
        args.seed,
        args.eval_positions,
        teacher_config.board_size,
    )
    mode = "raw targets" if args.raw_targets_only else "distilling"
    print(
        f"{mode}: {student_config.name} student, teacher {extra.get('name')} "
        f"({teacher_config.name}), {args.samples} samples, T={config.temperature} "
        f"alpha={config.alpha} beta={config.beta}",
        flush=True,
    )
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    losses = (
        fit(
            student,
            None if args.raw_targets_only else teacher,
            dataset,
            args.samples,
            config,
            lr=args.lr,
            weight_decay=args.weight_decay,
            optimizer=args.optimizer,
            label=f"{mode} {student_config.name}",
            quiet=args.quiet,
        )
        if args.samples
        else {}
    )
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    student.eval()
    settings = {
        "teacher": str(args.teacher),
        "student": student_config.name,
        "samples": args.samples,
        "batch_size": args.batch_size,
        "optimizer": args.optimizer,
        "lr": args.lr,
        "weight_decay": args.weight_decay,
        "seed": args.seed,
        "raw_targets_only": bool(args.raw_targets_only),
        "temperature": config.temperature,
        "alpha": config.alpha,
        "beta": config.beta,
        "data": str(args.data),
    }
    out = Path(args.out)
    save_checkpoint(
        out,
        student,
        student_config,
        {"parent": extra.get("name"), "origin": "distill", "distill": settings},
        feature_config=features,
    )
    size = teacher_config.board_size
    columns = {
        "teacher": {
            "name": teacher_config.name,
            **describe(teacher, size, teacher_config.in_planes),
            **evaluate(teacher, None, dataset.test),
        },
        "student": {
            "name": student_config.name,
            **describe(student, size, student_config.in_planes),
            **evaluate(student, teacher, dataset.test),
        },
    }
    print(
        f"trained in {cpu:.0f} CPU-s ({wall:.0f} s wall); mean training loss "
        f"{losses.get('loss', float('nan')):.3f}; wrote {out}"
    )
    print_report(columns, "teacher")
    write_json(
        args.json,
        {
            "command": "distill",
            "settings": settings,
            "columns": columns,
            "train_cpu_seconds": round(cpu, 1),
            "train_wall_seconds": round(wall, 1),
            "losses": losses,
        },
    )
    return 0


__all__ = [
    "HELP",
    "Dataset",
    "add_arguments",
    "add_data_arguments",
    "describe",
    "evaluate",
    "fit",
    "open_dataset",
    "print_report",
    "run",
]
