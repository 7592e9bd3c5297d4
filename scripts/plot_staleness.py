"""The stale-gradient trade-off on real Go data: loss against samples, sync vs async.

Trains one fresh network per setting on self-play shards of the shipped network
(``zerogo/networks/b6c64-9x9.pt``), through ``nn.parallel.param_server`` on Ray:

* synchronous data parallel with W workers: every step averages W gradients of B
  positions, i.e. one step on W*B positions with staleness 0 (run as one worker on
  batches of W*B, which is the same arithmetic);
* asynchronous with staleness s in {0, 1, 4, 16}: one step per gradient of B positions,
  each computed on the weights of s versions ago (the server's ``lag``);
* asynchronous with W real concurrent workers, no lag: the staleness timing gives.

Every run sees the same number of samples; the curve is the real loss
(``trainer.loss``) on a fixed held-out batch of the validation games, with batch norm
on its batch statistics (the server only applies gradients, it never runs a forward
pass in training mode, so its running statistics are not meaningful).

    .venv/bin/python scripts/plot_staleness.py --shards /tmp/zg-data/shards \\
        --out docs/plots/staleness.png --json benchmarks/staleness.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def make_problem(shards: str, preset_name: str, batch: int, lr: float) -> dict[str, Any]:
    """Factories for the parameter server (pickled by value: this is ``__main__``)."""

    def make_model() -> Any:
        import torch

        from engine.features import FeatureConfig
        from nn.go_net import GoNet, preset

        torch.manual_seed(0)
        return GoNet(preset(preset_name, 9, FeatureConfig().num_planes))

    def make_optimizer(params: Any) -> Any:
        import torch

        return torch.optim.SGD(list(params), lr=lr, momentum=0.9, weight_decay=1e-4)

    def loss_fn(model: Any, batch_: Any) -> Any:
        from trainer.loss import training_loss

        return training_loss(model(batch_.planes), batch_)["loss"]

    def sampler(seed: int, size: int, split: str) -> Any:
        from engine.features import FeatureConfig
        from trainer.dataset import BatchSampler
        from trainer.replay import ReplayBuffer

        buffer = ReplayBuffer(shards, window_games=100_000, validation_fraction=0.1)
        buffer.refresh()
        return BatchSampler(buffer, FeatureConfig(), size, seed=seed, cache_mb=256)

    def make_batches(seed: int) -> Any:
        source = sampler(seed, batch, "train")
        while True:
            yield source.sample(batch, "train")

    held_out: dict[str, Any] = {}

    def evaluate(model: Any) -> float:
        import torch

        from trainer.loss import training_loss

        if "batch" not in held_out:
            held_out["batch"] = sampler(12345, 1024, "validation").sample(1024, "validation")
        model.train()  # batch statistics: the server's running statistics are not trained
        with torch.no_grad():
            return float(training_loss(model(held_out["batch"].planes), held_out["batch"])["loss"])

    return {
        "make_model": make_model,
        "make_optimizer": make_optimizer,
        "loss_fn": loss_fn,
        "make_batches": make_batches,
        "eval_fn": evaluate,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", required=True, help="self-play shards (real Go data)")
    parser.add_argument("--preset", default="b4c32", help="network trained (b4c32)")
    parser.add_argument("--batch", type=int, default=32, help="positions per gradient (32)")
    parser.add_argument("--sync-workers", type=int, default=4, help="W of the sync run (4)")
    parser.add_argument("--samples", type=int, default=24_576, help="samples per run")
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--stalenesses", default="0,1,4,16")
    parser.add_argument("--concurrent", type=int, default=2, help="W of the lag-free async run")
    parser.add_argument("--points", type=int, default=24, help="evaluations per curve")
    parser.add_argument("--out", default="docs/plots/staleness.png")
    parser.add_argument("--json", default="benchmarks/staleness.json")
    args = parser.parse_args(argv)

    from nn.bench import machine_info
    from nn.parallel.param_server import train_async
    from nn.parallel.ray_utils import ensure_ray

    ensure_ray(num_cpus=2)
    runs: list[dict[str, Any]] = []

    def run(label: str, batch: int, workers: int, lag: int) -> None:
        problem = make_problem(args.shards, args.preset, batch, args.lr)
        updates = args.samples // batch // workers
        start = time.perf_counter()
        result = train_async(
            problem["make_model"], problem["make_optimizer"], problem["loss_fn"],
            problem["make_batches"], workers=workers, updates_per_worker=updates, lag=lag,
            eval_fn=problem["eval_fn"], eval_every=max(updates * workers // args.points, 1),
        )
        record = {
            "label": label,
            "batch": batch,
            "workers": workers,
            "lag": lag,
            "updates": result.version,
            "samples": result.samples,
            "mean_staleness": round(result.mean_staleness, 2),
            "max_staleness": max(result.staleness, default=0),
            "seconds": round(time.perf_counter() - start, 1),
            "curve": [[samples, round(value, 4)] for _, samples, value in result.curve],
        }
        runs.append(record)
        print(json.dumps({k: v for k, v in record.items() if k != "curve"}), flush=True)

    w = args.sync_workers
    run(f"sync, {w} workers x {args.batch} (staleness 0)", args.batch * w, 1, 0)
    for lag in (int(s) for s in args.stalenesses.split(",")):
        run(f"async, staleness {lag}", args.batch, 1, lag)
    if args.concurrent > 1:
        run(f"async, {args.concurrent} concurrent workers", args.batch, args.concurrent, 0)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for record in runs:
        xs = [p[0] for p in record["curve"]]
        ys = [p[1] for p in record["curve"]]
        style = "k-" if record["label"].startswith("sync") else "-"
        if record["workers"] > 1:
            style = "--"
            record_label = f"{record['label']} (mean staleness {record['mean_staleness']})"
        else:
            record_label = record["label"]
        ax.plot(xs, ys, style, label=record_label)
    ax.set_xlabel("training samples")
    ax.set_ylabel("held-out loss (policy + value + ownership)")
    ax.set_title(f"stale gradients, {args.preset} on 9x9 self-play of b6c64-9x9 (SGD lr {args.lr})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=100)
    record = {
        "what": "loss vs samples, synchronous vs asynchronous (parameter server) data parallel",
        "command": " ".join(["scripts/plot_staleness.py", *(argv or sys.argv[1:])]),
        "settings": {k: v for k, v in vars(args).items()},
        "machine": machine_info(),
        "runs": runs,
    }
    Path(args.json).write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out} and {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
