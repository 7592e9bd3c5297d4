"""Compare network trunks on the fixed dataset: same samples, same batches, same budget.

Each preset (ResNet ``b6c64`` and the other trunks of ``nn.go_net.TRUNK_PRESETS``, all
within ±25% of b6c64's multiply-adds) is trained from the same seed on the same
sequence of batches drawn from ``DATA/train`` (``trainer.dataset.BatchSampler``,
random symmetries), with the same optimiser and loss (``trainer.loss``), then
measured on ``DATA/test``:

* policy top-1: the network's most likely move equals the search's most visited one;
* value MSE: ``(z - v)²`` against the game result;
* policy cross-entropy and ownership loss;
* parameters and multiply-adds per evaluation (``nn.flops``, equal to
  ``torch.utils.flop_counter``'s count / 2);
* evaluations per second at batch 1 and 16 (float32, eval mode, ``--threads``);
* training CPU-seconds (process time of the forward, backward and optimiser steps,
  sampling excluded) and wall seconds.

One JSON record is written (``--out``), rewritten after every trunk so that a killed
run resumes with ``--resume`` (trunks already in the record with the same settings are
kept, not retrained).  With ``--save-dir`` every trained network is also written as a
checkpoint that ``zerogo gtp --weights`` and ``zerogo match`` load, for the equal-time
matches.  Training CPU-seconds are process time, so they hold under load; evals/s do
not: ``--speed-only`` re-measures them from the saved checkpoints (all trunks taking
turns, best of ``--speed-rounds``) while the machine is quiet.  Timings are of this
machine at the time of the run (its load is recorded); compare rows of one run only.

Usage (a short run to check it works; the comparison wants far more samples)::

    nice -n 10 .venv/bin/python scripts/compare_trunks.py --samples 4096 \
        --out benchmarks/trunks/compare-short.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PRESETS = ("b6c64", "mb12c64", "dn8c64", "tf7c64")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train each trunk preset on the fixed dataset for the same samples and "
        "report policy top-1, value MSE, multiply-adds, evals/s and training CPU-seconds."
    )
    parser.add_argument(
        "--data",
        default=str(ROOT / "benchmarks" / "dataset"),
        help="dataset folder with train/ and test/ (scripts/make_dataset.py)",
    )
    parser.add_argument(
        "--presets",
        default=",".join(DEFAULT_PRESETS),
        help="comma-separated presets (suffixes allowed, e.g. tf7c64-gn)",
    )
    parser.add_argument(
        "--samples", type=int, default=200_000, help="training samples per trunk (default 200000)"
    )
    parser.add_argument("--batch-size", type=int, default=128, help="training batch (128)")
    parser.add_argument("--lr", type=float, default=1e-3, help="AdamW learning rate (1e-3)")
    parser.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW weight decay")
    parser.add_argument(
        "--eval-positions", type=int, default=4096, help="test positions measured (4096)"
    )
    parser.add_argument(
        "--schedule",
        choices=("cosine", "constant"),
        default="cosine",
        help="learning rate: cosine decay to 0 over the samples (default) or constant",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and batches")
    parser.add_argument(
        "--speed-seconds", type=float, default=2.0, help="seconds per evals/s measurement (2)"
    )
    parser.add_argument(
        "--save-dir", default=None, help="write each trained network to SAVE_DIR/PRESET.pt"
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep the trunks already in --out (same settings)"
    )
    parser.add_argument(
        "--speed-only",
        action="store_true",
        help="re-measure evals/s of the checkpoints in --save-dir and update --out",
    )
    parser.add_argument(
        "--table", action="store_true", help="print the markdown table of --out and exit"
    )
    parser.add_argument(
        "--speed-rounds", type=int, default=3, help="rounds of --speed-only (best kept, 3)"
    )
    parser.add_argument(
        "--out",
        default=str(ROOT / "benchmarks" / "trunks" / "compare.json"),
        help="JSON record to write",
    )
    args = parser.parse_args(argv)
    if args.samples < 1 or args.batch_size < 1 or args.eval_positions < 1:
        parser.error("--samples, --batch-size and --eval-positions must be positive")
    if args.speed_only and not args.save_dir:
        parser.error("--speed-only needs --save-dir (the trained checkpoints)")
    return args


def evals_per_second(model: Any, planes: Any, batch: int, seconds: float) -> float:
    """Return evaluations per second of ``model`` on batches of ``batch`` positions."""
    import torch

    x = planes[:batch].contiguous()
    if len(x) < batch:
        x = x.repeat((batch + len(x) - 1) // len(x), 1, 1, 1)[:batch]
    with torch.no_grad():
        for _ in range(3):
            model(x)
        calls, start = 0, time.perf_counter()
        while True:
            model(x)
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                return calls * batch / elapsed


def run_one(name: str, args: argparse.Namespace, size: int) -> dict[str, Any]:
    """Train preset ``name`` and measure it; return its row."""
    import torch

    from engine.features import DEFAULT_CONFIG
    from nn.flops import count_macs
    from nn.go_net import GoNet, count_parameters, preset
    from trainer.dataset import BatchSampler
    from trainer.loss import training_loss
    from trainer.replay import ReplayBuffer

    data = Path(args.data)
    train_buffer = ReplayBuffer(data / "train", window_games=10**7)
    train_buffer.refresh()
    test_buffer = ReplayBuffer(data / "test", window_games=10**7)
    test_buffer.refresh()
    sampler = BatchSampler(
        train_buffer, DEFAULT_CONFIG, args.batch_size, seed=args.seed, policy_only=True
    )
    tester = BatchSampler(test_buffer, DEFAULT_CONFIG, 256, seed=0, augment=False)

    torch.manual_seed(args.seed)
    config = preset(name, size, DEFAULT_CONFIG.num_planes)
    model = GoNet(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = (args.samples + args.batch_size - 1) // args.batch_size
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
        if args.schedule == "cosine"
        else None
    )
    cpu = wall = 0.0
    model.train()
    for step in range(steps):
        batch = sampler.sample()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        loss = training_loss(model(batch.planes), batch)["loss"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        cpu += time.process_time() - cpu0
        wall += time.perf_counter() - wall0
        if (step + 1) % max(1, steps // 10) == 0:
            print(f"  {name}: step {step + 1}/{steps} loss {loss.item():.3f}", flush=True)

    model.eval()
    totals: dict[str, float] = {}
    count = 0
    batches = tester.fixed_batches("train", positions=args.eval_positions, batch_size=256)
    with torch.no_grad():
        for batch in batches:
            terms = training_loss(model(batch.planes), batch)
            weight = len(batch)
            for key in ("policy_accuracy", "value_mse", "policy", "ownership"):
                totals[key] = totals.get(key, 0.0) + float(terms[key]) * weight
            count += weight
    metrics = {key: value / max(count, 1) for key, value in totals.items()}
    example = batches[0].planes
    macs = count_macs(model, example[:1])
    if args.save_dir:
        from nn.checkpoint import save_checkpoint

        folder = Path(args.save_dir)
        folder.mkdir(parents=True, exist_ok=True)
        extra = {"name": name, "step": steps, "samples": steps * args.batch_size,
                 "dataset_seed": args.dataset_seed}
        save_checkpoint(folder / f"{name}.pt", model, config, extra,
                        feature_config=DEFAULT_CONFIG)
    return {
        "preset": name,
        "config": config.to_dict(),
        "trunk": config.trunk,
        "norm": config.norm,
        "parameters": count_parameters(model),
        "macs_per_eval": macs,
        "test_positions": count,
        "policy_top1": round(metrics.get("policy_accuracy", float("nan")), 4),
        "value_mse": round(metrics.get("value_mse", float("nan")), 4),
        "policy_cross_entropy": round(metrics.get("policy", float("nan")), 4),
        "ownership_loss": round(metrics.get("ownership", float("nan")), 4),
        "samples": steps * args.batch_size,
        "train_cpu_seconds": round(cpu, 2),
        "train_wall_seconds": round(wall, 2),
        "evals_per_second_b1": round(evals_per_second(model, example, 1, args.speed_seconds), 1),
        "evals_per_second_b16": round(evals_per_second(model, example, 16, args.speed_seconds), 1),
    }


def speed_pass(record: dict[str, Any], args: argparse.Namespace) -> None:
    """Re-measure evals/s at batch 1 and 16 of each row's saved checkpoint, in turns."""
    import torch

    from nn.checkpoint import load_checkpoint

    data = Path(args.data)
    planes = _example_planes(data)
    models = {}
    for row in record["rows"]:
        model, _config, _extra = load_checkpoint(Path(args.save_dir) / f"{row['preset']}.pt")
        models[row["preset"]] = model.eval()
    best: dict[tuple[str, int], float] = {}
    for _ in range(args.speed_rounds):
        for batch in (1, 16):
            for name, model in models.items():
                rate = evals_per_second(model, planes, batch, args.speed_seconds)
                best[name, batch] = max(best.get((name, batch), 0.0), rate)
    for row in record["rows"]:
        row["evals_per_second_b1"] = round(best[row["preset"], 1], 1)
        row["evals_per_second_b16"] = round(best[row["preset"], 16], 1)
    record["speed"] = {
        "command": "scripts/compare_trunks.py " + " ".join(sys.argv[1:]),
        "rounds": args.speed_rounds,
        "seconds": args.speed_seconds,
        "threads": torch.get_num_threads(),
        "load_average": list(os.getloadavg()),
        "measured": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def _example_planes(data: Path) -> Any:
    """Return a batch of test positions' input planes."""
    from engine.features import DEFAULT_CONFIG
    from trainer.dataset import BatchSampler
    from trainer.replay import ReplayBuffer

    buffer = ReplayBuffer(data / "test", window_games=10**7)
    buffer.refresh()
    tester = BatchSampler(buffer, DEFAULT_CONFIG, 256, seed=0, augment=False)
    return tester.fixed_batches("train", positions=256, batch_size=256)[0].planes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    data = Path(args.data)
    out = Path(args.out)
    manifest_path = data / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    args.dataset_seed = manifest.get("seed")
    if args.table:
        print(markdown_table(json.loads(out.read_text())))
        return 0
    if args.speed_only:
        record = json.loads(out.read_text())
        speed_pass(record, args)
        _write(out, record)
        for row in record["rows"]:
            print(f"{row['preset']}: {row['evals_per_second_b1']:.0f}/"
                  f"{row['evals_per_second_b16']:.0f} evals/s (b1/b16)")
        print(f"wrote {out}")
        return 0
    settings = {
        "samples": args.samples,
        "batch_size": args.batch_size,
        "optimizer": "adamw",
        "lr": args.lr,
        "schedule": args.schedule,
        "weight_decay": args.weight_decay,
        "threads": args.threads,
        "seed": args.seed,
        "dtype": "float32",
    }
    rows: list[dict[str, Any]] = []
    if args.resume and out.exists():
        previous = json.loads(out.read_text())
        if previous.get("settings") != settings:
            print(f"{out} was made with other settings; give another --out", file=sys.stderr)
            return 2
        rows = previous["rows"]
    record = {
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": "scripts/compare_trunks.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "dataset": {
            "path": str(data.resolve().relative_to(ROOT)) if data.resolve().is_relative_to(ROOT)
            else str(data),
            "seed": manifest.get("seed"),
            "games": manifest.get("games"),
            "counts": manifest.get("counts"),
        },
        "settings": settings,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
            "torch": torch.__version__,
        },
        "rows": rows,
    }
    size = 9
    done = {row["preset"] for row in rows}
    for name in [n.strip() for n in args.presets.split(",") if n.strip()]:
        if name in done:
            print(f"{name}: already in {out}, kept")
            continue
        print(f"{name}: training on {args.samples} samples", flush=True)
        rows.append(run_one(name, args, size))
        row = rows[-1]
        print(
            f"{name}: top-1 {row['policy_top1']:.3f}  value MSE {row['value_mse']:.3f}  "
            f"{row['macs_per_eval'] / 1e6:.1f}M MACs  {row['evals_per_second_b1']:.0f}/"
            f"{row['evals_per_second_b16']:.0f} evals/s (b1/b16)  "
            f"{row['train_cpu_seconds']:.1f} CPU-s",
            flush=True,
        )
        record["machine"]["load_average"] = list(os.getloadavg())
        _write(out, record)
    _write(out, record)
    print(f"wrote {out}")
    return 0


def markdown_table(record: dict[str, Any]) -> str:
    """Return the record's rows as the markdown table of BENCHMARKS.md."""
    lines = [
        "| trunk | norm | parameters | multiply-adds | policy top-1 | value MSE | policy CE "
        "| evals/s b1 | evals/s b16 | training CPU-s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in record["rows"]:
        lines.append(
            f"| `{row['preset']}` ({row['trunk']}) | {row['norm']} | {row['parameters']:,} "
            f"| {row['macs_per_eval'] / 1e6:.1f} M | {row['policy_top1']:.3f} "
            f"| {row['value_mse']:.3f} | {row['policy_cross_entropy']:.3f} "
            f"| {row['evals_per_second_b1']:,.0f} | {row['evals_per_second_b16']:,.0f} "
            f"| {row['train_cpu_seconds']:,.0f} |"
        )
    return "\n".join(lines)


def _write(out: Path, record: dict[str, Any]) -> None:
    """Write the record atomically (a kill leaves the old one or the new one)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(tmp, out)


if __name__ == "__main__":
    raise SystemExit(main())
