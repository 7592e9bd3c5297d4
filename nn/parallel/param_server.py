"""Asynchronous data parallel: a parameter server as a Ray actor, workers that never wait.

The server holds the weights and the optimiser.  Each worker loops: *pull* the
weights (and their version, the number of updates applied so far), compute the
gradient of its own batch, *push* it and pull again at once, without waiting for the
push to be applied.  The server applies each gradient when it arrives, whatever
version it was computed on.  A gradient computed on version v and applied when the
server is at version u has *staleness* ``u - v``: with W workers of equal speed it is
about ``W - 1``; synchronous data parallel (``nn.parallel.data_parallel``) has 0 by
construction, and pays for it by waiting for the slowest worker every step.

Staleness can also be set exactly, independent of timing: with ``lag`` s the server
hands out the weights of s versions ago (it keeps the last s + 1), so a lone worker
computes every gradient s versions stale; ``delay_s`` makes a worker sleep between
its gradient and its push, as a slow network would.  The server records the staleness
of every gradient it applies and, every ``eval_every`` updates, ``eval_fn(model)``
against the samples consumed so far: the loss-versus-samples curve of the source
report's stale-gradient trade-off.

Ordering: Ray runs the calls of one caller on one actor in the order they were made,
so a worker's pull after its push sees its own update when it is the only worker (a
lone worker with ``lag`` 0 is plain sequential SGD).

Only gradients travel back: buffers such as batch-norm running statistics stay the
server's initial ones (each worker's forward pass updates its own copy, which the
next pull overwrites), so evaluate such a model on batch statistics.

Everything passed in (model factory, optimiser factory, loss and batch functions)
must pickle (cloudpickle: lambdas and closures do).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torch import nn as tnn

ModelFactory = Callable[[], tnn.Module]
OptimizerFactory = Callable[[Iterable[tnn.Parameter]], torch.optim.Optimizer]
LossFn = Callable[[tnn.Module, Any], Tensor]
"""``loss_fn(model, batch) -> scalar`` to minimise; ``len(batch)`` is its sample count."""
BatchesFactory = Callable[[int], Iterator[Any]]
"""``make_batches(seed) -> iterator of batches``: each worker draws its own stream."""


class ParameterServer:
    """The weights, the optimiser and the version counter (run it as a Ray actor).

    Args:
        make_model: builds the model (its initial weights are the run's).
        make_optimizer: builds the optimiser over the model's parameters.
        lag: hand out the weights of this many versions ago (injected staleness).
        eval_fn: ``eval_fn(model) -> float`` recorded every ``eval_every`` updates
            (e.g. the loss on a fixed held-out batch); None: no curve.
        eval_every: updates between evaluations.
        threads: torch threads of the server process.

    Raises:
        ValueError: for a negative ``lag`` or ``eval_every`` below 1.
    """

    def __init__(
        self,
        make_model: ModelFactory,
        make_optimizer: OptimizerFactory,
        lag: int = 0,
        eval_fn: Callable[[tnn.Module], float] | None = None,
        eval_every: int = 10,
        threads: int = 1,
    ) -> None:
        if lag < 0 or eval_every < 1:
            raise ValueError("lag must be >= 0 and eval_every >= 1")
        torch.set_num_threads(threads)
        self.model = make_model()
        self.model.train()
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(self.params)
        self.version = 0
        self.samples = 0
        self.lag = lag
        self.eval_fn = eval_fn
        self.eval_every = eval_every
        self.staleness: list[int] = []
        self.curve: list[tuple[int, int, float]] = []  # (version, samples, eval value)
        self._history: deque[tuple[int, dict[str, Tensor]]] = deque(maxlen=lag + 1)
        self._history.append((0, self._snapshot()))
        self._evaluate()

    def _snapshot(self) -> dict[str, Tensor]:
        return {name: value.detach().clone() for name, value in self.model.state_dict().items()}

    def _evaluate(self) -> None:
        if self.eval_fn is not None:
            self.curve.append((self.version, self.samples, float(self.eval_fn(self.model))))

    def pull(self) -> tuple[int, dict[str, Tensor]]:
        """Return ``(version, state_dict)``: the weights of ``lag`` versions ago (or the
        first ones, early on)."""
        return self._history[0]

    def push(self, grads: list[Tensor | None], version: int, samples: int) -> int:
        """Apply a gradient computed on ``version`` from ``samples`` samples; return the
        new version.

        Raises:
            ValueError: if the gradient list does not match the parameters.
        """
        if len(grads) != len(self.params):
            raise ValueError(f"expected {len(self.params)} gradients, got {len(grads)}")
        self.staleness.append(self.version - version)
        for param, grad in zip(self.params, grads, strict=True):
            param.grad = grad
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.version += 1
        self.samples += samples
        self._history.append((self.version, self._snapshot()))
        if self.version % self.eval_every == 0:
            self._evaluate()
        return self.version

    def stats(self) -> dict[str, Any]:
        """Return the version, samples, staleness of each applied gradient and the curve."""
        return {
            "version": self.version,
            "samples": self.samples,
            "staleness": list(self.staleness),
            "curve": list(self.curve),
        }

    def state_dict(self) -> dict[str, Tensor]:
        """Return the current weights."""
        return self._snapshot()


class GradientWorker:
    """Computes gradients of its own batches on pulled weights (run it as a Ray actor).

    Args:
        make_model: builds a model of the server's shape.
        loss_fn: ``loss_fn(model, batch) -> scalar``.
        make_batches: ``make_batches(seed)``, this worker's batch stream.
        seed: this worker's seed.
        threads: torch threads of the worker process.
    """

    def __init__(
        self,
        make_model: ModelFactory,
        loss_fn: LossFn,
        make_batches: BatchesFactory,
        seed: int,
        threads: int = 1,
    ) -> None:
        torch.set_num_threads(threads)
        self.model = make_model()
        self.model.train()
        self.loss_fn = loss_fn
        self.batches = make_batches(seed)

    def run(self, server: Any, updates: int, delay_s: float = 0.0) -> dict[str, float]:
        """Push ``updates`` gradients to ``server`` (an actor handle), never waiting for
        one to be applied before computing the next; return the mean loss and timings.
        """
        import ray

        losses = 0.0
        compute = 0.0
        start = time.perf_counter()
        pending = None
        for _ in range(updates):
            version, state = ray.get(server.pull.remote())
            self.model.load_state_dict(state)
            begin = time.perf_counter()
            batch = next(self.batches)
            self.model.zero_grad(set_to_none=True)
            loss = self.loss_fn(self.model, batch)
            loss.backward()
            grads = [p.grad for p in self.model.parameters() if p.requires_grad]
            compute += time.perf_counter() - begin
            losses += float(loss)
            if delay_s > 0:
                time.sleep(delay_s)
            pending = server.push.remote(grads, version, len(batch))
        if pending is not None:
            ray.get(pending)
        return {
            "mean_loss": losses / max(updates, 1),
            "compute_seconds": compute,
            "seconds": time.perf_counter() - start,
        }


@dataclass
class AsyncResult:
    """What an asynchronous run did (``train_async``)."""

    version: int
    samples: int
    staleness: list[int]
    curve: list[tuple[int, int, float]]
    seconds: float
    workers: list[dict[str, float]] = field(default_factory=list)
    state_dict: dict[str, Tensor] = field(default_factory=dict)

    @property
    def mean_staleness(self) -> float:
        return sum(self.staleness) / max(len(self.staleness), 1)


def train_async(
    make_model: ModelFactory,
    make_optimizer: OptimizerFactory,
    loss_fn: LossFn,
    make_batches: BatchesFactory,
    workers: int,
    updates_per_worker: int,
    lag: int = 0,
    delay_s: float = 0.0,
    eval_fn: Callable[[tnn.Module], float] | None = None,
    eval_every: int = 10,
    seed: int = 0,
    worker_cpus: float = 1.0,
) -> AsyncResult:
    """Train with one parameter server and ``workers`` asynchronous workers on Ray.

    Connect to Ray first (``nn.parallel.ray_utils.ensure_ray``).  The server takes no
    CPU of Ray's accounting (it is idle while workers compute); each worker takes
    ``worker_cpus``.

    Returns:
        The server's final version, samples, staleness record, evaluation curve and
        weights, and each worker's loss and timings.

    Raises:
        ValueError: for fewer than one worker or update.
    """
    import ray

    if workers < 1 or updates_per_worker < 1:
        raise ValueError("need at least one worker and one update")
    start = time.perf_counter()
    server: Any = (
        ray.remote(num_cpus=0)(ParameterServer)
        .options(max_concurrency=1)
        .remote(make_model, make_optimizer, lag, eval_fn, eval_every)
    )
    actors: list[Any] = [
        ray.remote(num_cpus=worker_cpus)(GradientWorker).remote(
            make_model, loss_fn, make_batches, seed * 1000 + k
        )
        for k in range(workers)
    ]
    try:
        reports = ray.get([a.run.remote(server, updates_per_worker, delay_s) for a in actors])
        stats = ray.get(server.stats.remote())
        state = ray.get(server.state_dict.remote())
    finally:
        for actor in [*actors, server]:
            ray.kill(actor)
    return AsyncResult(
        version=stats["version"],
        samples=stats["samples"],
        staleness=stats["staleness"],
        curve=stats["curve"],
        seconds=time.perf_counter() - start,
        workers=reports,
        state_dict=state,
    )


__all__ = ["AsyncResult", "GradientWorker", "ParameterServer", "train_async"]
