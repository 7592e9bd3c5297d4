"""Measure what the scaling model in BENCHMARKS.md needs, on this machine.

* self-play games/h of today's process workers and of Ray actors, 1 and 2 workers,
  same settings (``zerogo bench selfplay``'s arithmetic: games/h = moves/s over
  plies per game, timed inside the workers, so start-up and Ray's start are excluded);
* trainer samples/s of the real network, one process versus DistributedDataParallel
  over two (synthetic batches: the optimiser step alone, no sampling);
* the trunk as two pipeline stages (processes) with 1-8 micro-batches: its bubble;
* the network broadcast size (what every self-play worker fetches per promotion).

    scripts/campaign.sh pause
    .venv/bin/python scripts/bench_parallel.py --seconds 90 --out benchmarks/parallel-scaling.json
    scripts/campaign.sh resume
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

NETWORK = "zerogo/networks/b6c64-9x9.pt"


def selfplay(mode: str, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    from engine.puct import PUCTConfig
    from nn.backends import resolve_backend
    from selfplay.process import run_workers, run_workers_ray
    from selfplay.worker import SelfPlayConfig

    backend = resolve_backend(args.backend, "cpu")
    config = SelfPlayConfig(
        size=9,
        slots=args.slots,
        visits=args.visits,
        resign_threshold=0.0,
        games_per_shard=10_000,
        search=PUCTConfig(capacity=50_000),
    )
    run = run_workers_ray if mode == "ray" else run_workers
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        reports = run(
            args.network, config, Path(tmp) / "shards", workers, seconds=args.seconds,
            threads=1, dtype=None, backend=backend, seed=1,
        )
        wall = time.monotonic() - start
    elapsed = max(r.seconds for r in reports)
    games = sum(r.games for r in reports)
    positions = sum(r.positions for r in reports)
    moves = sum(r.moves_played for r in reports)
    plies = positions / games if games else float("nan")
    return {
        "mode": mode,
        "workers": workers,
        "backend": backend,
        "seconds": round(elapsed, 1),
        "wall_seconds": round(wall, 1),
        "games_finished": games,
        "plies_per_game": round(plies, 1),
        "moves_per_s": round(moves / elapsed, 1),
        "games_per_hour": round(3600 * moves / elapsed / plies, 0) if games else None,
        "evals_per_s": round(sum(r.leaves for r in reports) / elapsed, 0),
        "cpu_seconds": round(sum(r.cpu_seconds for r in reports), 1),
        # share of each worker's time in network calls (the rest: search, game logic)
        "network_share": round(sum(r.network_seconds for r in reports) / (workers * elapsed), 3),
        "mean_batch": round(sum(r.mean_batch for r in reports) / len(reports), 1),
    }


def _train_rank(preset: str, batch: int, steps: int) -> dict[str, float]:
    import torch

    from engine.features import FeatureConfig
    from nn.go_net import GoNet
    from nn.go_net import preset as preset_config
    from nn.parallel.data_parallel import DistEnv, init_distributed
    from trainer.config import TrainConfig
    from trainer.dataset import Batch
    from trainer.distributed import ddp_trainer
    from trainer.train import Trainer

    torch.set_num_threads(1)
    distributed = "WORLD_SIZE" in os.environ
    env = init_distributed("cpu") if distributed else DistEnv()
    config = TrainConfig(batch_size=batch, lr=0.02, device="cpu", amp=False, log_every=10_000)
    torch.manual_seed(0)
    model = GoNet(preset_config(preset, 9, FeatureConfig().num_planes))
    trainer = ddp_trainer(model, config, env) if distributed else Trainer(model, config)
    local = trainer.config.batch_size
    g = torch.Generator().manual_seed(env.rank)
    policy = torch.rand(local, 82, generator=g)
    one = Batch(
        planes=(torch.rand(local, 17, 9, 9, generator=g) < 0.3).float(),
        policy=policy / policy.sum(1, keepdim=True),
        policy_mask=torch.ones(local, dtype=torch.bool),
        value=torch.rand(local, generator=g) * 2 - 1,
        ownership=torch.randint(-1, 2, (local, 9, 9), generator=g).float(),
        ownership_mask=torch.ones(local, dtype=torch.bool),
    )
    for _ in range(2):
        trainer.train_step(one)
    start = time.perf_counter()
    for _ in range(steps):
        trainer.train_step(one)
    seconds = time.perf_counter() - start
    return {"samples_per_s": batch * steps / seconds, "seconds": seconds}


def training(procs: int, args: argparse.Namespace) -> dict[str, Any]:
    from nn.parallel.data_parallel import launch

    if procs == 1:
        result = _train_rank(args.preset, args.batch, args.steps)
    else:
        result = launch(_train_rank, procs, args.preset, args.batch, args.steps)[0]
    return {
        "procs": procs,
        "threads_per_proc": 1,
        "preset": args.preset,
        "batch": args.batch,
        "steps": args.steps,
        "samples_per_s": round(result["samples_per_s"], 1),
    }


def _pipeline_rank(preset: str, batch: int, microbatches: list[int]) -> list[dict[str, float]]:
    import torch
    from torch import nn as tnn

    from engine.features import FeatureConfig
    from nn.go_net import GoNet
    from nn.go_net import preset as preset_config
    from nn.parallel.data_parallel import init_distributed
    from nn.parallel.model_parallel import PipelineRunner, split_sequential

    torch.set_num_threads(1)
    init_distributed("cpu")
    torch.manual_seed(0)
    net = GoNet(preset_config(preset, 9, FeatureConfig().num_planes))
    trunk = tnn.Sequential(net.stem, *net.tower).eval()  # batch norm on running statistics
    rank = torch.distributed.get_rank()
    stage = split_sequential(trunk, torch.distributed.get_world_size())[rank]
    x = torch.randn(batch, FeatureConfig().num_planes, 9, 9)
    target = torch.randn(batch, net.config.channels, 9, 9)
    out = []
    for m in microbatches:
        runner = PipelineRunner(stage, m, loss_fn=lambda o, t: ((o - t) ** 2).mean())
        record = runner.measure_bubble(
            x if runner.is_first else None, target if runner.is_last else None, steps=3
        )
        out.append({"microbatches": m, **{k: round(v, 4) for k, v in record.items()}})
    return out


def pipeline(args: argparse.Namespace) -> dict[str, Any]:
    """The trunk over two pipeline stages (processes), against one process."""
    import torch
    from torch import nn as tnn

    from engine.features import FeatureConfig
    from nn.go_net import GoNet
    from nn.go_net import preset as preset_config
    from nn.parallel.data_parallel import launch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = GoNet(preset_config(args.preset, 9, FeatureConfig().num_planes))
    trunk = tnn.Sequential(net.stem, *net.tower).eval()
    x = torch.randn(args.batch, FeatureConfig().num_planes, 9, 9)
    best = float("inf")
    for _ in range(4):
        start = time.perf_counter()
        trunk(x).square().mean().backward()
        best = min(best, time.perf_counter() - start)
    ranks = launch(_pipeline_rank, 2, args.preset, args.batch, [1, 2, 4, 8])
    return {
        "preset": args.preset,
        "batch": args.batch,
        "one_process_step_seconds": round(best, 4),
        "stages": [{"rank": r, "runs": runs} for r, runs in enumerate(ranks)],
    }


def network_size(path: str) -> dict[str, Any]:
    from nn.checkpoint import read_checkpoint

    checkpoint = read_checkpoint(path)
    model = checkpoint.build_model()
    params = sum(p.numel() for p in model.parameters())
    state_bytes = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    return {
        "network": Path(path).name,
        "parameters": params,
        "state_dict_bytes": state_bytes,
        "file_bytes": Path(path).stat().st_size,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default=NETWORK)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--visits", type=int, default=100)
    parser.add_argument("--slots", type=int, default=32)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--preset", default="b6c64")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--parts", default="selfplay,train,pipeline,size")
    parser.add_argument("--out", default="benchmarks/parallel-scaling.json")
    args = parser.parse_args()

    from nn.bench import machine_info, package_versions

    parts = args.parts.split(",")
    record: dict[str, Any] = {
        "what": "self-play games/h (process pool vs Ray actors), trainer samples/s "
        "(1 process vs DDP over 2), network broadcast size",
        "settings": vars(args),
        "machine_before": machine_info(),
        "packages": package_versions(),
    }
    if "selfplay" in parts:
        from nn.parallel.ray_utils import ensure_ray

        ray = ensure_ray(num_cpus=os.cpu_count())  # started before the timed runs
        record["ray_version"] = ray.__version__
        runs = []
        for workers in (1, 2):
            for mode in ("process", "ray"):
                runs.append(selfplay(mode, workers, args))
                print(json.dumps(runs[-1]), flush=True)
        record["selfplay"] = runs
    if "train" in parts:
        record["training"] = [training(1, args), training(2, args)]
        print(json.dumps(record["training"]), flush=True)
    if "pipeline" in parts:
        record["pipeline"] = pipeline(args)
        print(json.dumps(record["pipeline"]), flush=True)
    if "size" in parts:
        record["network_size"] = network_size(args.network)
    record["machine_after"] = machine_info()
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
