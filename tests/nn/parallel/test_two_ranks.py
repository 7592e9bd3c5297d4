"""Two CPU ranks (gloo) against one process: synchronised batch norm and the pipeline.

One job of two spawned ranks runs every check (process start-up is the cost here);
each rank returns what it computed and the tests compare it with the same network
run whole in this process.  The network is the Go network's trunk (stem and residual
tower of a ``b4c16`` ``GoNet``), split into two pipeline stages.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn as tnn

from nn.go_net import GoNet, preset
from nn.parallel.data_parallel import DistEnv, launch, shard_size, under_torchrun
from nn.parallel.model_parallel import gpipe_bubble, split_sequential
from nn.parallel.sync_norm import SyncBatchNorm2d, convert_sync_batchnorm

BATCH = 8
MICRO = 4
CHANNELS = 16


def trunk() -> tnn.Sequential:
    """The Go network's trunk, the same weights in every process."""
    torch.manual_seed(0)
    net = GoNet(preset("b4c16", 9, 17))
    return tnn.Sequential(net.stem, *net.tower)


def data() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return {
        "x": torch.randn(BATCH, 17, 9, 9, generator=generator),
        "target": torch.randn(BATCH, CHANNELS, 9, 9, generator=generator),
        "norm_in": torch.randn(BATCH, CHANNELS, 5, 5, generator=generator) * 3 + 1,
        "norm_weights": torch.randn(BATCH, CHANNELS, 5, 5, generator=generator),
    }


def mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((output - target) ** 2).mean()


def rank_job() -> dict[str, Any]:
    """What each rank computes (runs in the spawned processes)."""
    from nn.parallel.data_parallel import init_distributed
    from nn.parallel.model_parallel import PipelineRunner

    torch.set_num_threads(1)
    env = init_distributed("cpu")
    d = data()
    out: dict[str, Any] = {"rank": env.rank}

    # synchronised batch norm on this rank's half of the batch
    half = shard_size(BATCH, env.world_size)
    rows = slice(env.rank * half, (env.rank + 1) * half)
    norm = SyncBatchNorm2d(CHANNELS).train()
    x = d["norm_in"][rows].clone().requires_grad_()
    y = norm(x)
    (y * d["norm_weights"][rows]).sum().backward()
    out["norm"] = {
        "y": y.detach(),
        "x_grad": x.grad,
        "weight_grad": norm.weight.grad,
        "running_mean": norm.running_mean,
        "running_var": norm.running_var,
    }

    # the trunk as two pipeline stages, batch norm in eval mode
    whole = trunk().eval()
    names = {id(p): name for name, p in whole.named_parameters()}
    stage = split_sequential(whole, env.world_size)[env.rank]
    runner = PipelineRunner(stage, MICRO, loss_fn=mse)
    output, losses = runner.step(d["x"] if runner.is_first else None,
                                 d["target"] if runner.is_last else None)
    out["grads"] = {names[id(p)]: p.grad.clone() for p in stage.parameters()}
    out["output"] = output
    out["losses"] = [float(loss) for loss in losses]
    stage.zero_grad(set_to_none=True)
    out["bubble"] = runner.measure_bubble(
        d["x"] if runner.is_first else None, d["target"] if runner.is_last else None, steps=2
    )
    return out


@pytest.fixture(scope="module")
def ranks() -> list[dict[str, Any]]:
    return launch(rank_job, 2)


def test_sync_batch_norm_on_two_ranks_is_batch_norm_on_the_whole_batch(
    ranks: list[dict[str, Any]],
) -> None:
    d = data()
    norm = tnn.BatchNorm2d(CHANNELS).train()
    x = d["norm_in"].clone().requires_grad_()
    y = norm(x)
    (y * d["norm_weights"]).sum().backward()
    got = [r["norm"] for r in ranks]
    torch.testing.assert_close(torch.cat([g["y"] for g in got]), y.detach())
    torch.testing.assert_close(torch.cat([g["x_grad"] for g in got]), x.grad)
    # each rank holds its shard's share of the parameter gradient (DDP sums them)
    torch.testing.assert_close(sum(g["weight_grad"] for g in got), norm.weight.grad)
    for g in got:
        torch.testing.assert_close(g["running_mean"], norm.running_mean)
        torch.testing.assert_close(g["running_var"], norm.running_var)


def test_pipeline_of_two_stages_matches_the_unsplit_trunk(ranks: list[dict[str, Any]]) -> None:
    d = data()
    whole = trunk().eval()
    output = whole(d["x"])
    micro_losses = [
        mse(o, t) for o, t in zip(output.chunk(MICRO), d["target"].chunk(MICRO), strict=True)
    ]
    (sum(micro_losses) / MICRO).backward()  # the schedule's mean of micro-batch losses
    last = ranks[-1]
    torch.testing.assert_close(last["output"], output.detach())
    assert last["losses"] == pytest.approx([float(x.detach()) for x in micro_losses], rel=1e-5)
    grads = {**ranks[0]["grads"], **ranks[1]["grads"]}
    assert set(grads) == {name for name, _ in whole.named_parameters()}
    assert set(ranks[0]["grads"]).isdisjoint(ranks[1]["grads"])
    for name, param in whole.named_parameters():
        torch.testing.assert_close(grads[name], param.grad, atol=1e-6, rtol=1e-5)


def test_the_bubble_is_measured_on_every_stage(ranks: list[dict[str, Any]]) -> None:
    for r in ranks:
        bubble = r["bubble"]
        assert 0.0 <= bubble["bubble"] < 1.0
        assert bubble["gpipe_bubble"] == pytest.approx(1 / 5)  # (P-1)/(M+P-1), P=2, M=4
        assert bubble["step_seconds"] > 0 and bubble["compute_seconds"] > 0
    assert ranks[0]["bubble"]["bubble_mean"] == pytest.approx(ranks[1]["bubble"]["bubble_mean"])


def test_split_sequential_balances_parameters_and_keeps_order() -> None:
    layers = tnn.Sequential(*(tnn.Linear(4, 4) for _ in range(5)), tnn.Linear(4, 40))
    parts = split_sequential(layers, 2)
    assert [len(p) for p in parts] == [5, 1]
    assert [m for p in parts for m in p] == list(layers)
    assert [len(p) for p in split_sequential(layers, 6)] == [1] * 6
    with pytest.raises(ValueError):
        split_sequential(layers, 7)
    assert gpipe_bubble(4, 1) == pytest.approx(3 / 4)
    assert gpipe_bubble(1, 8) == 0.0


def test_torchrun_variables_are_read_and_checked() -> None:
    env = DistEnv.from_env(
        {"RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "1234"}
    )
    assert (env.rank, env.world_size, env.local_rank, env.master_port) == (1, 2, 1, 1234)
    assert DistEnv.from_env(env.to_env()) == env
    assert under_torchrun(env.to_env()) and not under_torchrun({})
    with pytest.raises(ValueError):
        DistEnv.from_env({"RANK": "2", "WORLD_SIZE": "2"})
    with pytest.raises(ValueError):
        DistEnv.from_env({"RANK": "x"})
    with pytest.raises(ValueError):
        shard_size(6, 4)


def test_conversion_shares_parameters() -> None:
    net = tnn.Sequential(tnn.Conv2d(1, 4, 3), tnn.BatchNorm2d(4))
    weight = net[1].weight
    converted = convert_sync_batchnorm(net)
    assert isinstance(converted[1], SyncBatchNorm2d) and converted[1].weight is weight
    plain = tnn.Sequential(tnn.Conv2d(1, 4, 3), tnn.BatchNorm2d(4))
    assert set(converted.state_dict()) == set(plain.state_dict())
