"""``--train-procs``: DistributedDataParallel training equals one process on the whole batch.

The real Go network (``b2c16`` with batch norms, synchronised across ranks), float32,
the real loss (``trainer.loss`` through ``Trainer``), SGD with momentum and weight
decay: two CPU ranks (gloo), each stepping on its half of every batch, end at the
weights and batch-norm statistics of one process stepping on the whole batches.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import torch

from nn.go_net import GoNet, preset
from trainer.config import TrainConfig
from trainer.dataset import Batch
from trainer.train import Trainer

SIZE = 5
BATCH = 16
STEPS = 3
CONFIG = TrainConfig(batch_size=BATCH, lr=0.05, device="cpu", amp=False, log_every=1)


def network() -> GoNet:
    torch.manual_seed(0)
    return GoNet(preset("b2c16", SIZE, 17))


def batches() -> list[Batch]:
    """Positions with every target present (masks all ones)."""
    g = torch.Generator().manual_seed(3)
    out = []
    for _ in range(STEPS):
        policy = torch.rand(BATCH, SIZE * SIZE + 1, generator=g)
        out.append(
            Batch(
                planes=(torch.rand(BATCH, 17, SIZE, SIZE, generator=g) < 0.3).float(),
                policy=policy / policy.sum(dim=1, keepdim=True),
                policy_mask=torch.ones(BATCH, dtype=torch.bool),
                value=torch.rand(BATCH, generator=g) * 2 - 1,
                ownership=torch.randint(-1, 2, (BATCH, SIZE, SIZE), generator=g).float(),
                ownership_mask=torch.ones(BATCH, dtype=torch.bool),
            )
        )
    return out


def shard(batch: Batch, rank: int, world: int) -> Batch:
    rows = slice(rank * len(batch) // world, (rank + 1) * len(batch) // world)
    values = {f.name: getattr(batch, f.name) for f in dataclasses.fields(batch)}
    return Batch(**{k: None if v is None else v[rows] for k, v in values.items()})


def rank_job() -> dict[str, Any]:
    """Each rank: DDP trainer, its half of every batch (runs in the spawned processes)."""
    from nn.parallel.data_parallel import init_distributed
    from trainer.distributed import ddp_trainer

    torch.set_num_threads(1)
    env = init_distributed("cpu")
    with ddp_trainer(network(), CONFIG, env) as trainer:
        assert trainer.config.batch_size == BATCH // env.world_size
        losses = [trainer.train_step(shard(b, env.rank, env.world_size)) for b in batches()]
        return {"state": trainer.model.state_dict(), "losses": losses, "step": trainer.step}


@pytest.fixture(scope="module")
def ranks() -> list[dict[str, Any]]:
    from nn.parallel.data_parallel import launch

    return launch(rank_job, 2)


def test_two_ranks_end_at_the_weights_of_one_process_on_the_whole_batch(
    ranks: list[dict[str, Any]],
) -> None:
    torch.set_num_threads(1)
    with Trainer(network(), CONFIG) as trainer:
        losses = [trainer.train_step(b) for b in batches()]
        expected = trainer.model.state_dict()
    before = network().state_dict()
    moved = max(float((expected[k] - before[k]).abs().max()) for k in expected)
    assert moved > 1e-2  # the steps changed the weights: the comparison means something
    for r in ranks:
        assert r["step"] == STEPS
        assert set(r["state"]) == set(expected)  # plain batch-norm keys, loadable anywhere
        for name, value in expected.items():
            torch.testing.assert_close(r["state"][name], value, atol=2e-5, rtol=1e-4, msg=name)
    # the loss of the first step (same weights) is the mean of the two halves' losses
    first = (ranks[0]["losses"][0]["loss"] + ranks[1]["losses"][0]["loss"]) / 2
    assert first == pytest.approx(losses[0]["loss"], rel=1e-5)


def test_rank_config_splits_the_batch_and_seeds_each_rank() -> None:
    from nn.parallel.data_parallel import DistEnv
    from trainer.distributed import rank_config

    local = rank_config(CONFIG, DistEnv(rank=1, world_size=4))
    assert (local.batch_size, local.seed, local.device) == (BATCH // 4, CONFIG.seed + 1, "cpu")
    with pytest.raises(ValueError):
        rank_config(CONFIG, DistEnv(rank=0, world_size=3))
