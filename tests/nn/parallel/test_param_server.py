"""The asynchronous parameter server on Ray (one local Ray instance for the module).

A linear regression stands in for the network: what is tested is the protocol
(versions, staleness, samples), not the model.  The factories are built inside a
function so that Ray ships them by value (the test module is not importable on Ray's
workers).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
from torch import nn as tnn

from nn.parallel.param_server import ParameterServer, train_async

BATCH = 8
LR = 0.05


@pytest.fixture(scope="module")
def ray_local() -> Iterator[Any]:
    from nn.parallel.ray_utils import ensure_ray

    ray = ensure_ray(num_cpus=2)
    yield ray
    ray.shutdown()


def problem() -> dict[str, Any]:
    """Model, optimiser, loss and batch factories of a linear regression."""
    truth = torch.tensor([[1.0, -2.0, 0.5, 3.0]])

    def make_model() -> tnn.Module:
        torch.manual_seed(0)
        return tnn.Linear(4, 1)

    def make_optimizer(params: Any) -> torch.optim.Optimizer:
        return torch.optim.SGD(params, lr=LR)

    def loss_fn(model: tnn.Module, batch: torch.Tensor) -> torch.Tensor:
        return ((model(batch[:, :4]) - batch[:, 4:]) ** 2).mean()

    def make_batches(seed: int) -> Iterator[torch.Tensor]:
        generator = torch.Generator().manual_seed(seed)
        while True:
            x = torch.randn(BATCH, 4, generator=generator)
            yield torch.cat([x, x @ truth.T], dim=1)

    def evaluate(model: tnn.Module) -> float:
        x = torch.randn(64, 4, generator=torch.Generator().manual_seed(99))
        with torch.no_grad():
            return float(((model(x) - x @ truth.T) ** 2).mean())

    return {
        "make_model": make_model,
        "make_optimizer": make_optimizer,
        "loss_fn": loss_fn,
        "make_batches": make_batches,
        "eval_fn": evaluate,
    }


def test_a_lone_worker_without_lag_is_sequential_sgd(ray_local: Any) -> None:
    p = problem()
    result = train_async(
        p["make_model"], p["make_optimizer"], p["loss_fn"], p["make_batches"],
        workers=1, updates_per_worker=20, eval_fn=p["eval_fn"], eval_every=5,
    )
    assert result.staleness == [0] * 20
    assert (result.version, result.samples) == (20, 20 * BATCH)
    model = p["make_model"]()
    optimizer = p["make_optimizer"](model.parameters())
    batches = p["make_batches"](0)  # worker 0 of seed 0
    for _ in range(20):
        optimizer.zero_grad()
        p["loss_fn"](model, next(batches)).backward()
        optimizer.step()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(result.state_dict[name], value)
    assert [v for v, _, _ in result.curve] == [0, 5, 10, 15, 20]
    assert result.curve[-1][2] < result.curve[0][2]


def test_two_workers_push_without_waiting(ray_local: Any) -> None:
    p = problem()
    result = train_async(
        p["make_model"], p["make_optimizer"], p["loss_fn"], p["make_batches"],
        workers=2, updates_per_worker=15, eval_fn=p["eval_fn"], eval_every=10,
    )
    assert (result.version, result.samples) == (30, 30 * BATCH)
    assert len(result.workers) == 2 and all(w["compute_seconds"] > 0 for w in result.workers)
    assert max(result.staleness) <= 29 and result.mean_staleness >= 0
    assert result.curve[-1][2] < result.curve[0][2]


def test_lag_hands_out_old_weights_and_sets_the_staleness() -> None:
    p = problem()
    with pytest.raises(ValueError):
        ParameterServer(p["make_model"], p["make_optimizer"], lag=-1)
    server = ParameterServer(p["make_model"], p["make_optimizer"], lag=3)
    with pytest.raises(ValueError):
        server.push([None], 0, BATCH)
    grads = [torch.ones_like(q) for q in server.params]
    for _ in range(8):  # a lone worker: pull, push
        version, _ = server.pull()
        server.push(grads, version, BATCH)
    assert server.stats()["staleness"] == [0, 1, 2, 3, 3, 3, 3, 3]
    version, state = server.pull()
    assert version == 5
    assert not torch.equal(state["weight"], server.state_dict()["weight"])
