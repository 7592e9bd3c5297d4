"""Synchronous data parallel: one model per rank, gradients averaged every step.

Each of W ranks (processes) holds the whole model, draws its own shard of the batch,
and after every backward pass ``DistributedDataParallel`` all-reduces the gradients,
so every rank takes the same optimiser step.  With shards of equal size, the step is
the one a single process would take on the combined batch, provided batch norms use
statistics of the whole batch (``nn.parallel.sync_norm``; ``wrap_ddp`` converts them).

Ranks find each other as ``torchrun`` tells them, through environment variables::

    RANK         this process's rank, 0 .. WORLD_SIZE-1
    WORLD_SIZE   number of ranks
    LOCAL_RANK   rank on this machine (picks the GPU)
    MASTER_ADDR  host of rank 0
    MASTER_PORT  a free TCP port on that host

``launch(fn, n, ...)`` runs ``fn`` on n ranks: under ``torchrun`` (the variables are
already set) it runs ``fn`` once, as this process's rank; otherwise it spawns n local
processes with the variables set.  Either way ``fn`` calls ``init_distributed`` and
finds the same world.  Backends: gloo on the CPU, NCCL on CUDA (``default_backend``).

Typical use (``fn`` must be a module-level function: ranks start with ``spawn``)::

    def train(steps):
        env = init_distributed("cpu")
        model = wrap_ddp(build_model(), "cpu")
        ...  # optimiser over model.parameters(), batches of B / env.world_size
        return model.module.state_dict() if env.rank == 0 else None

    state = launch(train, 2, 100)[0]
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import queue
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
from torch import nn as tnn

from nn.parallel.sync_norm import convert_sync_batchnorm

ENV_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
"""The variables ``torchrun`` sets for every rank (and ``launch`` for local ranks)."""


@dataclass(frozen=True)
class DistEnv:
    """Where this process stands in a distributed job (the torchrun variables).

    Raises:
        ValueError: for a world size below 1 or a rank outside ``[0, world_size)``.
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    master_addr: str = "127.0.0.1"
    master_port: int = 29500

    def __post_init__(self) -> None:
        if self.world_size < 1:
            raise ValueError(f"WORLD_SIZE must be at least 1, not {self.world_size}")
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"RANK {self.rank} is outside [0, {self.world_size})")
        if self.local_rank < 0:
            raise ValueError(f"LOCAL_RANK must not be negative, not {self.local_rank}")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DistEnv:
        """Read the torchrun variables (defaults: one rank on this machine).

        Raises:
            ValueError: for a variable that is not a number where one is expected,
                or an inconsistent rank and world size.
        """
        env = os.environ if environ is None else environ
        try:
            rank = int(env.get("RANK", "0"))
            return cls(
                rank=rank,
                world_size=int(env.get("WORLD_SIZE", "1")),
                local_rank=int(env.get("LOCAL_RANK", str(rank))),
                master_addr=env.get("MASTER_ADDR", "127.0.0.1"),
                master_port=int(env.get("MASTER_PORT", "29500")),
            )
        except ValueError as exc:
            raise ValueError(f"bad torchrun variable: {exc}") from None

    def to_env(self) -> dict[str, str]:
        """Return the torchrun variables that describe this rank."""
        values = (self.rank, self.world_size, self.local_rank, self.master_addr, self.master_port)
        return {name: str(value) for name, value in zip(ENV_VARS, values, strict=True)}

    @property
    def is_main(self) -> bool:
        """Whether this is rank 0 (the one that logs and saves)."""
        return self.rank == 0


def under_torchrun(environ: dict[str, str] | None = None) -> bool:
    """Whether the torchrun variables are set (this process is one rank of a job)."""
    env = os.environ if environ is None else environ
    return "WORLD_SIZE" in env and "RANK" in env


def default_backend(device: str | torch.device) -> str:
    """Return the collective backend for ``device``: "nccl" on CUDA, else "gloo"."""
    return "nccl" if torch.device(device).type == "cuda" else "gloo"


def init_distributed(
    device: str | torch.device = "cpu", timeout_s: float = 300.0
) -> DistEnv:
    """Join the job the torchrun variables describe (once per process; idempotent).

    Args:
        device: the device this rank trains on (chooses gloo or NCCL).
        timeout_s: how long a collective may wait for a slow or dead rank.

    Returns:
        This process's ``DistEnv``.

    Raises:
        ValueError: for bad torchrun variables.
        RuntimeError: if the ranks cannot meet (torch.distributed's error).
    """
    env = DistEnv.from_env()
    if not dist.is_initialized():
        dist.init_process_group(
            default_backend(device),
            rank=env.rank,
            world_size=env.world_size,
            init_method=f"tcp://{env.master_addr}:{env.master_port}",
            timeout=timedelta(seconds=timeout_s),
        )
    return env


def wrap_ddp(model: tnn.Module, device: str | torch.device = "cpu") -> tnn.Module:
    """Return ``model`` inside ``DistributedDataParallel``, its batch norms synchronised.

    ``model`` is changed in place (batch norms replaced by synchronised ones that share
    its parameters and buffers) and moved to ``device``; its ``state_dict`` keys do not
    change.  Without a process group of more than one rank, ``model`` is returned as it
    is.

    Args:
        model: the network; its ``forward`` arguments pass through.
        device: this rank's device ("cuda:K" for LOCAL_RANK K on a GPU machine).
    """
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return model.to(device)
    device = torch.device(device)
    if device.type == "cuda":
        model = tnn.SyncBatchNorm.convert_sync_batchnorm(model).to(device)
        return tnn.parallel.DistributedDataParallel(model, device_ids=[device])
    model = convert_sync_batchnorm(model).to(device)
    return tnn.parallel.DistributedDataParallel(model)


def all_reduce_mean(values: dict[str, float]) -> dict[str, float]:
    """Return the mean of each value over the ranks (every rank must pass the same keys)."""
    if not values or not (dist.is_available() and dist.is_initialized()):
        return dict(values)
    names = sorted(values)
    tensor = torch.tensor([float(values[name]) for name in names], dtype=torch.float64)
    dist.all_reduce(tensor)
    tensor /= dist.get_world_size()
    return {name: float(x) for name, x in zip(names, tensor.tolist(), strict=True)}


def shard_size(total: int, world_size: int) -> int:
    """Return the per-rank share of a batch of ``total`` (equal shards only).

    Raises:
        ValueError: if ``total`` is not a positive multiple of ``world_size``.
    """
    if world_size < 1 or total < world_size or total % world_size:
        raise ValueError(
            f"a batch of {total} does not split into {world_size} equal shards"
        )
    return total // world_size


def free_port() -> int:
    """Return a TCP port that was free on this machine a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch(fn: Callable[..., Any], nprocs: int, *args: Any) -> list[Any]:
    """Run ``fn(*args)`` on ``nprocs`` ranks and return each rank's result, by rank.

    Under ``torchrun`` (see ``under_torchrun``) this process is one rank already:
    ``fn`` runs here once and the list holds its result only.  Otherwise ``nprocs``
    processes start with ``spawn`` and the torchrun variables of a local job; ``fn``,
    ``args`` and results must pickle.  Each rank still calls ``init_distributed``.

    Raises:
        ValueError: if ``nprocs`` is below 1.
        RuntimeError: if a rank raised or died (its traceback is in the message); the
            other ranks are terminated.
    """
    if nprocs < 1:
        raise ValueError(f"nprocs must be at least 1, not {nprocs}")
    if under_torchrun():
        return [fn(*args)]
    port = free_port()
    context = mp.get_context("spawn")
    results = context.Queue()
    processes = []
    for rank in range(nprocs):
        env = DistEnv(rank, nprocs, rank, "127.0.0.1", port)
        process = context.Process(
            target=_rank_main, args=(env, fn, args, results), name=f"rank-{rank}"
        )
        process.start()
        processes.append(process)
    by_rank: dict[int, Any] = {}
    failure = None
    try:
        while len(by_rank) < nprocs and failure is None:
            try:
                rank, ok, value = results.get(timeout=1.0)
            except queue.Empty:  # check for ranks that died without a word
                dead = [p for p in processes if p.exitcode not in (None, 0)]
                if dead:
                    failure = f"{dead[0].name} died with exit code {dead[0].exitcode}"
                continue
            if ok:
                by_rank[rank] = pickle.loads(value)
            else:
                failure = f"rank {rank} raised:\n{value}"
    finally:
        for process in processes:
            if failure is not None and process.is_alive():
                process.terminate()
            process.join()
    if failure is not None:
        raise RuntimeError(failure)
    return [by_rank[rank] for rank in range(nprocs)]


def _rank_main(env: DistEnv, fn: Callable[..., Any], args: tuple[Any, ...], results: Any) -> None:
    os.environ.update(env.to_env())
    try:
        value = fn(*args)
    except BaseException:
        results.put((env.rank, False, traceback.format_exc()))
        raise SystemExit(1) from None
    finally:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    # by value: torch would pass tensors as shared memory, which dies with this process
    results.put((env.rank, True, pickle.dumps(value)))


__all__ = [
    "ENV_VARS",
    "DistEnv",
    "all_reduce_mean",
    "default_backend",
    "free_port",
    "init_distributed",
    "launch",
    "shard_size",
    "under_torchrun",
    "wrap_ddp",
]
