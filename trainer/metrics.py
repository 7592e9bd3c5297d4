"""Training metrics: running means that stay on the device, and the TensorBoard writer.

``RunningMeans`` adds up loss components as tensors without synchronising with the
GPU (``float(loss)`` each step would stall it); ``means()`` reads them once.
``MetricsWriter`` wraps ``torch.utils.tensorboard.SummaryWriter`` with a prefix per
group (``train/loss``, ``validation/policy_accuracy``) and does nothing when it has no
directory, so library code can log unconditionally.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import torch


class RunningMeans:
    """Weighted running means of named scalars (floats or 0-d tensors)."""

    def __init__(self) -> None:
        self._sums: dict[str, Any] = {}
        self._weights: dict[str, float] = {}

    def add(self, values: Mapping[str, torch.Tensor | float], weight: float = 1.0) -> None:
        """Add one observation of each named value, counted ``weight`` times.

        Raises:
            ValueError: for a negative weight.
        """
        if weight < 0:
            raise ValueError(f"weight must not be negative, not {weight}")
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                value = value.detach()
            self._sums[name] = self._sums.get(name, 0.0) + value * weight
            self._weights[name] = self._weights.get(name, 0.0) + weight

    def means(self) -> dict[str, float]:
        """Return the mean of every value seen (synchronises with the device once)."""
        out = {}
        for name, total in self._sums.items():
            weight = self._weights[name]
            out[name] = float(total) / weight if weight else float("nan")
        return out

    def reset(self) -> None:
        """Forget everything."""
        self._sums.clear()
        self._weights.clear()

    def __bool__(self) -> bool:
        return bool(self._sums)


class MetricsWriter:
    """TensorBoard scalars under ``log_dir``; a no-op without a directory.

    Args:
        log_dir: directory of the event files (created), or None to log nothing.
    """

    def __init__(self, log_dir: str | os.PathLike[str] | None) -> None:
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self._writer: Any = None
        if self.log_dir is not None:
            from torch.utils.tensorboard import SummaryWriter

            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._writer = SummaryWriter(log_dir=str(self.log_dir))

    def scalars(self, prefix: str, values: Mapping[str, float], step: int) -> None:
        """Write each value as scalar ``prefix/name`` at global step ``step``."""
        if self._writer is None:
            return
        for name, value in values.items():
            self._writer.add_scalar(f"{prefix}/{name}", float(value), step)

    def text(self, tag: str, text: str, step: int = 0) -> None:
        """Write a text entry (e.g. the training config)."""
        if self._writer is not None:
            self._writer.add_text(tag, text, step)

    def flush(self) -> None:
        """Write pending events to disk."""
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file (further writes are ignored)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> MetricsWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["MetricsWriter", "RunningMeans"]
