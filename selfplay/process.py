"""Self-play in worker processes: each loads a network checkpoint and writes shards.

Processes start with ``spawn`` (numba's OpenMP layer and torch's thread pools are not
fork-safe).  Each worker is the self-contained unit of ``selfplay.worker``: a
checkpoint path in, shards out; nothing else is shared but the output folder, so the
same function runs as a Ray actor too (``run_workers_ray``, ``zerogo train --ray``):
then the output folder must be storage every node shares.  Threads: on this 2-core
machine two workers with one torch thread each keep both cores busy; torch's OpenMP
pool with more threads than free cores spins and slows to a crawl.

Ray workers that die (SIGKILL, a lost node) lose only their games in flight: every
finished game is already fsynced to the worker's journal (``selfplay.journal``).
``run_workers_ray`` compacts the dead worker's journal into a shard and starts a
replacement for the games it still owed.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

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
    restarts: int = 0  # Ray: times this worker died and was replaced
    recovered_games: int = 0  # Ray: games its dead incarnations finished (in ``games``)


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
        mean_batch=counters.mean_batch,
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


class SelfPlayActor:
    """A self-play worker as a Ray actor: ``play`` runs ``worker_main`` to completion."""

    def pid(self) -> int:
        """Return the actor's process id (on its node)."""
        return os.getpid()

    def play(self, *args: Any) -> WorkerReport:
        """Run ``worker_main(*args)``."""
        return worker_main(*args)


def run_workers_ray(
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
    address: str | None = None,
    max_restarts: int = 3,
    on_start: Callable[[int, int], None] | None = None,
    poll_s: float = 1.0,
) -> list[WorkerReport]:
    """Run ``workers`` self-play workers as Ray actors; ``games`` is split between them.

    The arguments are ``run_workers``'s, plus:

    Args:
        address: the Ray cluster (None or "local": start Ray on this machine; "auto"
            or "HOST:PORT": join one, ``nn.parallel.ray_utils.ensure_ray``).  The
            checkpoint and ``out_dir`` must be paths every node sees.
        max_restarts: replacements allowed per worker before giving up.
        on_start: ``on_start(worker_id, pid)`` once each actor (or replacement) is up.
        poll_s: seconds between calls of ``poll``.

    A worker that dies is replaced: its journal is compacted (no finished game is
    lost), and the replacement, with a new seed, plays the games it still owed (or the
    seconds left).  Its report then counts the games of all its incarnations.

    Raises:
        ValueError: for fewer than one worker.
        RuntimeError: if a worker died more than ``max_restarts`` times.
    """
    from nn.parallel.ray_utils import ensure_ray
    from selfplay.journal import recover_journals

    if workers < 1:
        raise ValueError("workers must be at least 1")
    ray = ensure_ray(address)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    earlier = set(_games_by_tag(out))
    quotas = (
        [None] * workers
        if games is None
        else [games // workers + (k < games % workers) for k in range(workers)]
    )
    deadline = None if seconds is None else time.monotonic() + seconds
    actor_class = ray.remote(num_cpus=threads, num_gpus=1 if device.startswith("cuda") else 0)(
        SelfPlayActor
    )

    def start(k: int, incarnation: int, quota: int | None) -> tuple[Any, Any]:
        actor = actor_class.remote()
        if on_start is not None:
            on_start(k, ray.get(actor.pid.remote()))
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        run_seed = seed * 1000 + k + 100_003 * incarnation  # a replacement plays new games
        ref = actor.play.remote(
            str(checkpoint), config, str(out), k, run_seed, quota, left, device, threads,
            stop_file, dtype, backend,
        )
        return ref, actor

    running = {}
    for k in range(workers):
        ref, actor = start(k, 0, quotas[k])
        running[ref] = (k, actor)
    reports: dict[int, WorkerReport] = {}
    restarts = [0] * workers
    died_games = [0] * workers
    while running:
        ready, _ = ray.wait(list(running), num_returns=1, timeout=poll_s)
        if poll is not None:
            poll()
        for ref in ready:
            k, actor = running.pop(ref)
            try:
                report = ray.get(ref)
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError):
                restarts[k] += 1
                if restarts[k] > max_restarts:
                    for other, _ in running.values():
                        ray.kill(other)
                    raise RuntimeError(f"self-play worker {k} died {restarts[k]} times") from None
                recover_journals(out)  # the dead worker's lock is gone with it
                done = sum(n for tag, n in _games_by_tag(out).items()
                           if tag not in earlier and _worker_of(tag) == k)
                died_games[k] = done
                owed = quotas[k]
                quota = None if owed is None else owed - done
                time_left = deadline is None or deadline > time.monotonic()
                if (quota is None or quota > 0) and time_left:
                    ref, actor = start(k, restarts[k], quota)
                    running[ref] = (k, actor)
                    continue
                report = _empty_report(k)
            else:
                ray.kill(actor)
            reports[k] = replace(
                report,
                games=report.games + died_games[k],
                restarts=restarts[k],
                recovered_games=died_games[k],
            )
    return [reports[k] for k in range(workers)]


def _empty_report(worker_id: int) -> WorkerReport:
    return WorkerReport(worker_id, 0, 0, 0, [], ResignStats(), 0, 0.0, 0.0, 0.0, 0.0)


_TAG = re.compile(r"^(?:shard|journal)-(.+)\.(?:npz|games)$")


def _worker_of(tag: str) -> int | None:
    """Return the worker id of a shard tag (``STAMP-wKK-HEX``), or None."""
    found = re.search(r"-w(\d+)-", tag)
    return int(found.group(1)) if found else None


def _games_by_tag(directory: Path) -> dict[str, int]:
    """Return the finished games of each shard or journal tag in ``directory`` (a
    journal whose shard exists counts once)."""
    from selfplay.journal import list_journals, read_journal
    from selfplay.shards import list_shards, read_shard

    counts: dict[str, int] = {}
    for path in list_shards(directory):
        match = _TAG.match(path.name)
        if match:
            counts[match.group(1)] = len(read_shard(path)["game_ids"])
    for path in list_journals(directory):
        match = _TAG.match(path.name)
        if match and match.group(1) not in counts:
            try:
                counts[match.group(1)] = len(read_journal(path))
            except FileNotFoundError:
                continue  # compacted meanwhile: its shard is counted next time
    return counts
