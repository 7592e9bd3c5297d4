"""Model parallel: a sequential network split into pipeline stages, one per rank.

When a network does not fit one device, its layers are cut into P consecutive
*stages*, one per device (here: per process, ranks 0 .. P-1), and activations travel
from stage to stage.  Run naively, only one stage works at a time; a *pipeline* cuts
the batch into M micro-batches so that stage r works on micro-batch k while stage r+1
works on k-1.  ``torch.distributed.pipelining`` does the bookkeeping (send/recv of
activations and their gradients, shape inference on the first step); this module
splits the network, runs a schedule and measures what the pipeline leaves idle.

Notation: P stages, M micro-batches.  With GPipe's schedule (all forwards, then all
backwards) each stage idles for P-1 of the M+P-1 time slots of a step: the *bubble*
``(P-1)/(M+P-1)`` (``gpipe_bubble``).  ``PipelineRunner.measure_bubble`` measures it:
the step's wall time against the time this stage's compute takes alone (the rest is
waiting and communication).  Gradients are those of the mean of the micro-batch
losses (the schedule scales them by 1/M), which equals the full batch's loss when it
is a mean over samples and nothing couples the samples: batch norm must use its
running statistics (eval mode) or micro-batches normalise differently.

Where it pays: a model whose weights, activations and optimiser state exceed one
device's memory.  It does not make a model that fits run faster: P devices work on one
batch, each idle a bubble's share of the time and paying a transfer per micro-batch
and stage; data parallel uses the same devices with no bubble.

Layouts: stage inputs and outputs are tensors whose first axis is the batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor
from torch import nn as tnn


def split_sequential(module: tnn.Sequential, stages: int) -> list[tnn.Sequential]:
    """Cut ``module`` into ``stages`` consecutive parts of about equal parameter count.

    The parts share ``module``'s layers (no copies).

    Raises:
        ValueError: if ``stages`` is below 1 or above the number of layers.
    """
    layers = list(module)
    if not 1 <= stages <= len(layers):
        raise ValueError(f"cannot cut {len(layers)} layers into {stages} stages")
    sizes = [sum(p.numel() for p in layer.parameters()) for layer in layers]
    total = sum(sizes)
    cuts: list[int] = []
    running = 0
    for index, size in enumerate(sizes):
        running += size
        wanted = len(cuts) + 1
        left = len(layers) - index - 1  # layers after this one
        if wanted < stages and (running >= total * wanted / stages or left == stages - wanted):
            cuts.append(index + 1)
    bounds = [0, *cuts, len(layers)]
    return [tnn.Sequential(*layers[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def gpipe_bubble(stages: int, microbatches: int) -> float:
    """Return GPipe's idle share of a step, ``(P-1)/(M+P-1)``.

    Raises:
        ValueError: if either count is below 1.
    """
    if stages < 1 or microbatches < 1:
        raise ValueError("stages and micro-batches must be at least 1")
    return (stages - 1) / (microbatches + stages - 1)


class PipelineRunner:
    """This rank's stage of a pipeline, and the schedule that runs it.

    Every rank of the default process group (rank r = stage r) builds one with its own
    stage module, then all call ``step`` together: rank 0 with the batch, the last rank
    with the target, the others with nothing.

    Args:
        stage: this rank's part of the network (``split_sequential``).
        microbatches: M; the batch must split into M equal micro-batches.
        loss_fn: ``loss_fn(output, target) -> scalar``, a mean over the micro-batch
            (needed on the last stage; pass it on every rank).
        schedule: "gpipe" (all forwards, then all backwards) or "1f1b" (one forward,
            one backward once the pipe is full: the same bubble, less memory).
        device: this rank's device.

    Raises:
        ValueError: for an unknown schedule, or without an initialised process group.
    """

    def __init__(
        self,
        stage: tnn.Module,
        microbatches: int,
        loss_fn: Callable[[Any, Tensor], Tensor] | None = None,
        schedule: str = "gpipe",
        device: str | torch.device = "cpu",
    ) -> None:
        from torch.distributed.pipelining import PipelineStage, Schedule1F1B, ScheduleGPipe

        if not dist.is_initialized():
            raise ValueError("a pipeline needs an initialised process group (init_distributed)")
        kinds = {"gpipe": ScheduleGPipe, "1f1b": Schedule1F1B}
        if schedule not in kinds:
            raise ValueError(f"unknown schedule {schedule!r} (known: {', '.join(kinds)})")
        self.rank = dist.get_rank()
        self.stages = dist.get_world_size()
        self.microbatches = microbatches
        self.module = stage
        self.device = torch.device(device)
        self._stage = PipelineStage(stage.to(self.device), self.rank, self.stages, self.device)
        self._schedule = kinds[schedule](self._stage, n_microbatches=microbatches, loss_fn=loss_fn)
        self._example: Tensor | None = None
        stage.register_forward_pre_hook(self._keep_example)

    @property
    def is_first(self) -> bool:
        return self.rank == 0

    @property
    def is_last(self) -> bool:
        return self.rank == self.stages - 1

    def _keep_example(self, module: tnn.Module, args: tuple[Any, ...]) -> None:
        self._example = args[0].detach()

    def step(
        self, x: Tensor | None = None, target: Tensor | None = None
    ) -> tuple[Any, list[Tensor]]:
        """Run forward and backward over the batch, micro-batch by micro-batch.

        Gradients accumulate into the stage's parameters (zero them between steps);
        they are those of the mean of the micro-batch losses.

        Args:
            x: the batch (B, ...) on the first stage; None elsewhere.
            target: the loss target (B, ...) on the last stage; None elsewhere.

        Returns:
            On the last stage, the outputs (merged over micro-batches) and the M
            micro-batch losses; elsewhere ``(None, [])``.
        """
        losses: list[Tensor] = []
        args = () if x is None else (x.to(self.device),)
        if self.is_last:
            target = None if target is None else target.to(self.device)
            output = self._schedule.step(*args, target=target, losses=losses)
            return output, losses
        self._schedule.step(*args)
        return None, []

    def compute_seconds(self, repeats: int = 3) -> float:
        """Return the time one micro-batch's forward and backward take on this stage
        alone (best of ``repeats``), from the last micro-batch input it saw.

        Raises:
            ValueError: before the first ``step``.
        """
        if self._example is None:
            raise ValueError("run a step first: the stage learns its input shape from it")
        example = self._example
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            grad = example.is_floating_point() and not self.is_first
            inputs = example.clone().requires_grad_(grad)
            output = self.module(inputs)
            outputs = output if isinstance(output, tuple) else (output,)
            torch.autograd.backward(
                [o for o in outputs if o.requires_grad],
                [torch.ones_like(o) for o in outputs if o.requires_grad],
            )
            best = min(best, time.perf_counter() - start)
        self.module.zero_grad(set_to_none=True)
        return best

    def measure_bubble(
        self, x: Tensor | None, target: Tensor | None, steps: int = 3
    ) -> dict[str, float]:
        """Time ``steps`` pipeline steps and return the idle share of this stage.

        Every rank calls it together (rank 0 with ``x``, the last with ``target``).
        Gradients are zeroed afterwards.

        Returns:
            ``step_seconds`` (best step's wall time, barrier to barrier, the same span on
            every rank), ``compute_seconds`` (M times one
            micro-batch alone), ``bubble`` (1 - compute / step, this stage's idle and
            communication share), ``bubble_mean`` (the mean over stages) and
            ``gpipe_bubble`` (the theoretical share).
        """
        self.step(x, target)  # warm-up: shapes, buffers
        best = float("inf")
        for _ in range(steps):
            dist.barrier()
            start = time.perf_counter()
            self.step(x, target)
            dist.barrier()  # the step ends when the last stage is done: the same span everywhere
            best = min(best, time.perf_counter() - start)
        self.module.zero_grad(set_to_none=True)
        compute = self.microbatches * self.compute_seconds()
        bubble = max(0.0, 1.0 - compute / best)
        shared = torch.tensor([bubble], dtype=torch.float64)
        dist.all_reduce(shared)
        return {
            "step_seconds": best,
            "compute_seconds": compute,
            "bubble": bubble,
            "bubble_mean": float(shared) / self.stages,
            "gpipe_bubble": gpipe_bubble(self.stages, self.microbatches),
        }


__all__ = ["PipelineRunner", "gpipe_bubble", "split_sequential"]
