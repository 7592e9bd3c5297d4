"""Self-play in worker processes: each loads a network checkpoint and writes shards.

Processes start with ``spawn`` (numba's OpenMP layer and torch's thread pools are not
fork-safe).  Each worker is the self-contained unit of ``selfplay.worker``: a
checkpoint path in, shards out; nothing else is shared but the output folder, so the
same function can later run as a Ray actor.  Threads: on this 2-core machine two
workers with one torch thread each keep both cores busy; torch's OpenMP pool with
more threads than free cores spins and slows to a crawl.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from selfplay.worker import ResignStats, SelfPlayConfig


@dataclass(frozen=True)
class WorkerReport:
    """What one worker process did."""

    worker_id: int
    games: int
    positions: int
    moves_played: int
    shards: list[str]
    resign: ResignStats
    leaves: int
    network_seconds: float
    search_seconds: float
    mean_batch: float
    seconds: float
    cpu_seconds: float = 0.0  # user + sys of the worker process, start-up included


def worker_main(
    checkpoint: str,
    config: SelfPlayConfig,
    out_dir: str,
    worker_id: int,
    seed: int,
    games: int | None,
    seconds: float | None,
    device: str,
    threads: int,
    stop_file: str | None = None,
    dtype: str | None = "float32",
    backend: str = "torch",
) -> WorkerReport:
    """Run one self-play worker to completion (the target of a spawned process)."""
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    import torch

    from nn.backends import load_evaluator
    from selfplay.worker import SelfPlayWorker

    torch.set_num_threads(threads)
    evaluator = load_evaluator(checkpoint, backend, device=device, dtype=dtype, threads=threads)
    worker = SelfPlayWorker(evaluator, config, out_dir, worker_id=worker_id, seed=seed)

    parent = os.getppid()

    def stop() -> bool:
        # a worker whose parent died (e.g. SIGKILL) stops instead of playing on alone
        if os.getppid() != parent:
            return True
        return stop_file is not None and Path(stop_file).exists()

    start = time.monotonic()
    worker.run(games=games, seconds=seconds, stop=stop)
    elapsed = time.monotonic() - start
    counters = worker.forest.counters
    return WorkerReport(
        worker_id=worker_id,
        games=worker.finished_games,
        positions=worker.positions,
        moves_played=worker.moves_played,
        shards=[str(p) for p in worker.shards_written],
        resign=worker.resign,
        leaves=counters.leaves,
        network_seconds=counters.network_seconds,
        search_seconds=counters.search_seconds,
        mean_batch=float(sum(counters.batch_sizes) / max(len(counters.batch_sizes), 1)),
        seconds=elapsed,
        cpu_seconds=_cpu_seconds(),
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_workers(
    checkpoint: str | os.PathLike[str],
    config: SelfPlayConfig,
    out_dir: str | os.PathLike[str],
    workers: int,
    games: int | None = None,
    seconds: float | None = None,
    device: str = "cpu",
    threads: int = 1,
    seed: int = 0,
    stop_file: str | None = None,
    dtype: str | None = "float32",
    poll: Callable[[], None] | None = None,
    backend: str = "torch",
) -> list[WorkerReport]:
    """Run ``workers`` self-play processes; ``games`` is split between them.

    ``poll`` is called about once a second while they run (progress display).
    ``backend``: the inference backend of ``nn.backends.load_evaluator`` (torch, onnx,
    openvino or auto); ``dtype`` None is the backend's fastest safe one.
    Returns the reports of all workers (in worker order).
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    per_worker = (
        None
        if games is None
        else [games // workers + (k < games % workers) for k in range(workers)]
    )
    args = [
        (
            str(checkpoint),
            config,
            str(out_dir),
            k,
            seed * 1000 + k,
            None if per_worker is None else per_worker[k],
            seconds,
            device,
            threads,
            stop_file,
            dtype,
            backend,
        )
        for k in range(workers)
    ]
    context = mp.get_context("spawn")
    with context.Pool(processes=workers) as pool:
        pending = pool.starmap_async(worker_main, args)
        while not pending.ready():
            pending.wait(1.0)
            if poll is not None:
                poll()
        return pending.get()
