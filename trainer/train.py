"""The optimisation loop: ``Trainer`` takes batches and updates a network.

A ``Trainer`` owns the optimiser (SGD with momentum, as AlphaGo Zero, or AdamW), sets
the learning rate of every step from ``TrainConfig.learning_rate(step)`` (so the
global step is the schedule's whole state), runs the forward pass under
``torch.autocast`` with a ``GradScaler`` on CUDA, and writes TensorBoard scalars
(``train/*`` every ``log_every`` steps, ``validation/*`` per ``validate``): the loss
and its components (``trainer.loss``), policy top-1 accuracy, value MSE, policy
entropy, learning rate, samples per second and the share of time spent waiting for
batches.

The network is any ``torch.nn.Module`` whose ``forward(x: (B, C, N, N))`` returns
``(policy_logits (B, N*N+1), value (B,), ownership (B, N, N))`` (``nn.go_net.GoNet``).
A network with auxiliary heads says so by a non-empty ``aux_heads`` attribute; the
trainer then calls ``forward(x, heads=True)`` and trains those heads too
(``trainer.loss``).

Determinism: on the CPU two trainers built from equal models, configs and batches take
identical steps; call ``seed_everything(config.seed)`` before building the model to
make its initial weights repeatable too.  ``state_dict``/``load_state_dict`` carry
the weights, optimiser moments, gradient-scaler state and step, so a resumed run
continues exactly where the saved one was.

Typical use::

    seed_everything(config.seed)
    model = GoNet(preset("b6c64", 9, features.num_planes))
    buffer = ReplayBuffer(shard_dir, config.window_games, config.validation_fraction)
    buffer.refresh()
    sampler = BatchSampler.from_config(buffer, config, features)
    with Trainer(model, config, run_dir / "tb") as trainer:
        trainer.train_steps(sampler, config.steps_for(new_positions))
        trainer.validate(sampler.fixed_batches("validation", config.validation_positions))
"""

from __future__ import annotations

import itertools
import os
import random
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import numpy as np
import torch
from torch import nn

from trainer.config import TrainConfig
from trainer.dataset import Batch
from trainer.loss import NetOutputs, training_loss
from trainer.metrics import MetricsWriter, RunningMeans


def seed_everything(seed: int, deterministic_algorithms: bool = False) -> None:
    """Seed Python's, numpy's and torch's global generators (CPU and CUDA).

    Args:
        seed: the seed.
        deterministic_algorithms: also ask torch for deterministic kernels (slower
            on CUDA; some operations then raise if they have no deterministic form).
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic_algorithms:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def build_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """Return the optimiser of ``config`` over all of ``model``'s parameters.

    Weight decay applies to every parameter, as AlphaGo Zero's ``c ||θ||²`` does.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    assert config.lr is not None and config.weight_decay is not None  # resolved by config
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
    return torch.optim.AdamW(
        params, lr=config.lr, betas=config.adamw_betas, weight_decay=config.weight_decay
    )


class Trainer:
    """Optimises a network on batches of self-play positions (see the module docstring).

    Args:
        model: the network; moved to the config's device.
        config: training settings.
        log_dir: TensorBoard directory (None: no event files).
        progress: show a progress bar (tqdm) in ``train_steps``.
        wrap: ``wrap(model)`` returns the module the training steps call, sharing the
            model's parameters (``nn.parallel.data_parallel.wrap_ddp``); validation
            and ``state_dict`` use the model itself.

    Raises:
        ValueError: if the config asks for a device torch does not have.
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig,
        log_dir: str | os.PathLike[str] | None = None,
        *,
        progress: bool = False,
        wrap: Callable[[nn.Module], nn.Module] | None = None,
    ) -> None:
        self.config = config
        self.device = torch.device(config.resolved_device())
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {config.device!r} asked for, but CUDA is not available")
        self.model = model.to(self.device)
        # what the training steps call: the model, or a wrapper sharing its parameters
        # (DistributedDataParallel, ``trainer.distributed``)
        self.train_model = self.model if wrap is None else wrap(self.model)
        self.optimizer = build_optimizer(self.model, config)
        self.amp_dtype = getattr(torch, config.amp_dtype)
        # CUDA: float16 or bfloat16 autocast; CPU: bfloat16 autocast when asked for
        # (about 2.5x faster on CPUs with AMX, e.g. Sapphire Rapids)
        # (bfloat16 is emulated, hence far slower, on CPUs without AMX: float32 there)
        from nn.evaluator import cpu_has_fast_bf16

        self.amp = config.amp and (
            self.device.type == "cuda"
            or (config.cpu_bf16 and self.device.type == "cpu" and cpu_has_fast_bf16())
        )
        if self.device.type == "cpu" and self.amp:
            self.amp_dtype = torch.bfloat16
        self.scaler = torch.amp.GradScaler(
            "cuda", enabled=self.amp and self.amp_dtype == torch.float16
        )
        self.step = 0
        self.progress = progress
        self.writer = MetricsWriter(log_dir)
        self.writer.text("train_config", f"```\n{config.to_json()}\n```")
        self._window = RunningMeans()
        self._window_start = time.perf_counter()
        self._window_samples = 0
        self._window_wait = 0.0
        self._last_logged: dict[str, float] = {}

    # -- training ----------------------------------------------------------------

    def train_step(self, batch: Batch) -> dict[str, float]:
        """Take one optimiser step on ``batch`` and return its loss components.

        The values are those of the forward pass before the update; reading them
        synchronises with the device (``train_steps`` avoids that).
        """
        losses = self._step(batch)
        self._account(losses, len(batch), 0.0)
        return {name: float(value) for name, value in losses.items()}

    def train_steps(self, batches: Iterable[Batch], n: int) -> dict[str, float]:
        """Take ``n`` optimiser steps on the next ``n`` batches of ``batches``.

        Args:
            batches: an iterable of batches (a ``BatchSampler`` yields forever).
            n: steps to take.

        Returns:
            Mean loss components over these steps (empty if ``n`` is 0).

        Raises:
            ValueError: if ``batches`` runs out before ``n`` steps.
            FloatingPointError: if the loss is not finite at a logging point.
        """
        means = RunningMeans()
        source = iter(batches)
        if not self._window:  # time the logging window from the first step taken
            self._window_start = time.perf_counter()
        bar = self._progress_bar(n)
        try:
            for done in range(n):
                wait_start = time.perf_counter()
                batch = next(source, None)
                if batch is None:
                    raise ValueError(f"batches ran out after {done} of {n} steps")
                waited = time.perf_counter() - wait_start
                losses = self._step(batch)
                means.add(losses)
                self._account(losses, len(batch), waited)
                if bar is not None:
                    bar.update(1)
                    if self.step % self.config.log_every == 0:
                        bar.set_postfix(loss=f"{self._last_logged.get('loss', float('nan')):.3f}")
        finally:
            if bar is not None:
                bar.close()
        return means.means()

    def _step(self, batch: Batch) -> dict[str, torch.Tensor]:
        config = self.config
        self.model.train()
        lr = config.learning_rate(self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        batch = batch.to(self.device, non_blocking=True)
        with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp):
            outputs = self._forward(batch.planes, self.train_model)
        losses = training_loss(outputs, batch, **config.loss_weights())
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(losses["loss"]).backward()
        if config.grad_clip_norm is not None:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), config.grad_clip_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.step += 1
        return {name: value.detach() for name, value in losses.items()}

    def _forward(self, planes: torch.Tensor, model: nn.Module | None = None) -> NetOutputs:
        """Run the network (or ``model``, its wrapper), with its auxiliary heads if any."""
        model = self.model if model is None else model
        if getattr(self.model, "aux_heads", ()):
            return model(planes, heads=True)
        return model(planes)

    def _account(self, losses: dict[str, torch.Tensor], samples: int, waited: float) -> None:
        """Add a step to the logging window; write the window every ``log_every`` steps."""
        self._window.add(losses)
        self._window_samples += samples
        self._window_wait += waited
        if self.step % self.config.log_every:
            return
        elapsed = max(time.perf_counter() - self._window_start, 1e-9)
        values = self._window.means()
        if not np.isfinite(values.get("loss", 0.0)):
            raise FloatingPointError(f"training loss is {values['loss']} at step {self.step}")
        values["lr"] = self.config.learning_rate(self.step - 1)
        values["samples_per_second"] = self._window_samples / elapsed
        values["data_wait_fraction"] = self._window_wait / elapsed
        if self.scaler.is_enabled():
            values["grad_scale"] = float(self.scaler.get_scale())
        self.writer.scalars("train", values, self.step)
        self._last_logged = values
        self._window.reset()
        self._window_start = time.perf_counter()
        self._window_samples = 0
        self._window_wait = 0.0

    def _progress_bar(self, total: int) -> Any:
        if not self.progress or total <= 0:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, desc="train", unit="step", leave=False)

    # -- validation --------------------------------------------------------------

    @torch.no_grad()
    def validate(self, batches: Iterable[Batch], n: int | None = None) -> dict[str, float]:
        """Return the mean loss components over batches, without updating the network.

        Means are weighted by batch size; they are also written to TensorBoard as
        ``validation/*`` at the current step.

        Args:
            batches: the batches (e.g. ``BatchSampler.fixed_batches("validation")``).
            n: use at most this many batches (None: all; needed for endless iterables).

        Returns:
            Mean loss components (empty if there were no batches).
        """
        self.model.eval()
        means = RunningMeans()
        config = self.config
        for batch in itertools.islice(batches, n):
            batch = batch.to(self.device, non_blocking=True)
            with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp):
                outputs = self._forward(batch.planes)
            losses = training_loss(outputs, batch, **config.loss_weights())
            means.add(losses, weight=len(batch))
        values = means.means()
        if values:
            self.writer.scalars("validation", values, self.step)
            self.writer.flush()
        return values

    # -- resume ------------------------------------------------------------------

    def state_dict(self, include_model: bool = True) -> dict[str, Any]:
        """Return what resuming needs: step, optimiser, gradient scaler (and weights).

        Args:
            include_model: include the model's ``state_dict`` (leave it out when the
                weights are saved elsewhere, e.g. by ``nn.checkpoint``).
        """
        state: dict[str, Any] = {
            "step": self.step,
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "config": self.config.to_dict(),
        }
        if include_model:
            state["model"] = self.model.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state saved by ``state_dict`` (the weights only if it holds them).

        The learning rate follows from the restored step.  The saved config is not
        applied: the trainer keeps its own.

        Raises:
            KeyError: if the state lacks the step or the optimiser.
        """
        if "model" in state:
            self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.step = int(state["step"])
        self._window.reset()
        self._window_start = time.perf_counter()
        self._window_samples = 0
        self._window_wait = 0.0

    # -- lifetime ----------------------------------------------------------------

    def close(self) -> None:
        """Flush and close the TensorBoard writer."""
        self.writer.close()

    def __enter__(self) -> Trainer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["Trainer", "build_optimizer", "seed_everything"]
