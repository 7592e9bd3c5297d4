"""Training on several processes: synchronous data parallel for the learning loop.

``zerogo train --train-procs N`` trains each generation on N ranks with
DistributedDataParallel (``nn.parallel.data_parallel``): every rank builds the
network from the same checkpoint, draws its own ``batch_size / N`` positions a step
from the shared replay window (sampler seed ``seed + rank``) and takes the same
optimiser step after the gradients are averaged.  Batch norms are synchronised
(``nn.parallel.sync_norm``), so a step on N ranks is the step one process takes on
the N shards together: same loss, same gradient, same running statistics (the
equivalence ``tests/zerogo/test_train_ddp.py`` checks).  One caveat: terms averaged
over a mask (the policy term under playout-cap randomisation) are averaged per rank,
then over ranks; with unequal mask counts that weights the shards slightly
differently from one process.

Rank 0 writes TensorBoard scalars and hands the weights and optimiser state back;
the others only train.  ``train_rank`` reads the torchrun variables, so the same
function runs under ``torchrun`` or under ``launch``'s local processes.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from nn.parallel.data_parallel import DistEnv, all_reduce_mean, shard_size, wrap_ddp
from trainer.config import TrainConfig
from trainer.train import Trainer


def rank_config(config: TrainConfig, env: DistEnv) -> TrainConfig:
    """Return this rank's training config: its share of the batch, its own sampler
    seed and, on CUDA, the GPU of its local rank.

    Raises:
        ValueError: if the batch does not split into equal shards.
    """
    device = config.resolved_device()
    if device.startswith("cuda"):
        device = f"cuda:{env.local_rank}"
    return dataclasses.replace(
        config,
        batch_size=shard_size(config.batch_size, env.world_size),
        seed=config.seed + env.rank,
        device=device,
    )


def ddp_trainer(
    model: nn.Module,
    config: TrainConfig,
    env: DistEnv,
    log_dir: str | os.PathLike[str] | None = None,
) -> Trainer:
    """Return this rank's ``Trainer``: ``model`` in DistributedDataParallel with
    synchronised batch norms, on this rank's share of the batch.

    ``config`` is the whole job's (``rank_config`` splits it); only rank 0 logs.
    Call ``nn.parallel.data_parallel.init_distributed`` first.
    """
    local = rank_config(config, env)
    return Trainer(
        model,
        local,
        log_dir if env.is_main else None,
        wrap=functools.partial(wrap_ddp, device=local.resolved_device()),
    )


@dataclass(frozen=True)
class TrainJob:
    """One generation's training, as every rank runs it (pickled to each rank).

    Attributes:
        checkpoint: the network to start from (``nn.checkpoint``), with its optimiser
            state when ``resume`` is true.
        shard_dir: the replay window's shards.
        config: the training settings (the whole job's batch size).
        steps: optimiser steps to take.
        threads: torch threads per rank.
        log_dir: TensorBoard folder of rank 0 (None: none).
        resume: load the checkpoint's optimiser state.
    """

    checkpoint: str
    shard_dir: str
    config: TrainConfig
    steps: int
    threads: int = 1
    log_dir: str | None = None
    resume: bool = False


def train_rank(job: TrainJob) -> dict[str, Any] | None:
    """Run this rank's part of ``job`` (the rank comes from the torchrun variables).

    Returns:
        On rank 0: ``model`` (state dict, plain batch-norm keys), ``optimizer_state``
        (``Trainer.state_dict`` without the model), ``metrics`` (means over the steps,
        averaged over ranks) and ``step``; None on the other ranks.
    """
    from nn.checkpoint import read_checkpoint
    from nn.parallel.data_parallel import init_distributed
    from trainer.dataset import BatchSampler
    from trainer.replay import ReplayBuffer
    from trainer.train import seed_everything

    torch.set_num_threads(job.threads)
    config = job.config
    env = init_distributed(config.resolved_device())
    seed_everything(config.seed + env.rank)
    checkpoint = read_checkpoint(job.checkpoint)
    model = checkpoint.build_model()
    buffer = ReplayBuffer(job.shard_dir, config.window_games, config.validation_fraction)
    buffer.refresh()
    local = rank_config(config, env)
    sampler = BatchSampler.from_config(buffer, local, checkpoint.feature_config)
    with ddp_trainer(model, config, env, job.log_dir) as trainer:
        if job.resume and checkpoint.optimizer_state:
            trainer.load_state_dict(checkpoint.optimizer_state)
        metrics = all_reduce_mean(trainer.train_steps(sampler, job.steps))
        if not env.is_main:
            return None
        return {
            "model": {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()},
            "optimizer_state": trainer.state_dict(include_model=False),
            "metrics": metrics,
            "step": trainer.step,
        }


def train_distributed(job: TrainJob, procs: int) -> dict[str, Any]:
    """Run ``job`` on ``procs`` local ranks (or, under torchrun, as this rank) and
    return rank 0's result (``train_rank``).

    Raises:
        RuntimeError: if a rank failed.
    """
    from nn.parallel.data_parallel import launch

    result = launch(train_rank, procs, job)[0]
    if result is None:
        raise RuntimeError("rank 0 returned no result")
    return result


__all__ = ["TrainJob", "ddp_trainer", "rank_config", "train_distributed", "train_rank"]
