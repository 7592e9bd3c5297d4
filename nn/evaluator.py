"""The torch backend of the search's ``Evaluator`` protocol (``engine.evaluator``).

``TorchEvaluator`` wraps a ``GoNet``: it takes numpy feature planes
``(B, C, N, N)`` float32 and returns numpy ``policy_logits (B, N*N+1)``,
``value (B,)`` and ``ownership (B, N, N)``, all float32.  The search never sees
torch.

Perspective: value and ownership are from the side to move's point of view, because
the network is trained on targets labelled that way (the trainer flips the game
result and the final ownership for the side to move of each position); the
evaluator passes the network's outputs through unchanged.

Inference details:

* the model is put in eval mode (batch norms use their running statistics, so a
  position's evaluation does not depend on the rest of the batch) and run under
  ``torch.inference_mode``;
* ``dtype``: "float32" everywhere; on CUDA also "float16" or "bfloat16" autocast;
  on the CPU also "bfloat16" autocast (slower than float32 on CPUs without bf16
  instructions — measure with ``nn.bench``);
* on CUDA the input goes through a reused pinned buffer with a non-blocking copy,
  and the three outputs come back in one transfer;
* ``fuse=True`` (the default) evaluates ``nn.blocks.fuse_for_inference(model)``, a
  copy with batch norms folded into the convolutions: same outputs within float
  rounding, fewer kernels per call.  The evaluator then holds a snapshot: later
  training of ``model`` does not reach it (build a new evaluator per checkpoint).
  With ``fuse=False`` it evaluates ``model`` itself: moves it to the device (and to
  channels-last order), switches it to eval mode, and switches it back to eval mode
  whenever it finds it in training mode;
* ``channels_last=True`` (the default) keeps feature maps in channels-last memory
  order, which oneDNN's CPU convolutions (and CUDA's) run faster.

Measured on the 2-core development machine (b6c64, 9x9, 1 thread, a match running
on the other core): float32 unfused 630/s at batch 1 and 1,400/s at batch 32;
fused 760 and 1,750; fused + channels-last 950 and 2,200; bfloat16 autocast on
that CPU (AMX) 730 and 7,500 (policy logits off by up to ~0.01, ownership by up to
~0.1, so it is not the default).  ``torch.jit.trace``/``freeze`` and
``torch.compile`` (28 s to compile) gained under 10%, within the noise; not used.

Threads: torch's intra-op thread pool is process-wide.  ``threads`` (when given)
calls ``torch.set_num_threads``; the default leaves it as it is.  On the 2-core
development machine torch and the numba search kernels must share those 2 cores:
never more than 2 threads, and 1 whenever anything else keeps a core busy (a match,
another worker): an OpenMP team whose second thread is descheduled waits at every
barrier.  With a match and a training run on the machine, b6c64 at batch 32 ran
1,770 evaluations/s on 1 thread and 210/s on 2 (the slowest runs: 5/s at batch 1).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch import nn as tnn

from engine.features import FeatureConfig
from nn.blocks import fuse_for_inference
from nn.checkpoint import read_checkpoint
from nn.go_net import NetConfig

DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}
"""Compute dtypes by name; anything but float32 runs under ``torch.autocast``."""


def default_dtype(device: str | torch.device = "cpu") -> str:
    """Return the fastest safe inference dtype for ``device``.

    bfloat16 autocast on CPUs with AMX (about 3x faster than float32 at batch 32 here,
    policy logits within about 0.01), bfloat16 on CUDA devices that support it,
    float32 otherwise.
    """
    kind = torch.device(device).type
    if kind == "cuda":
        return (
            "bfloat16"
            if torch.cuda.is_available() and torch.cuda.is_bf16_supported()
            else "float16"
        )
    return "bfloat16" if cpu_has_fast_bf16() else "float32"


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU has AMX, where torch's bfloat16 autocast is the clear win.

    Without bf16 instructions torch emulates it: on an AVX2-only AMD EPYC, b6c64 at
    batch 16 took 360 ms per call in bfloat16 against 17 ms in float32.  With AVX-512
    BF16 but no AMX (a 2-core AMD EPYC, ``benchmarks/backends-b6c64-9x9-avx512.json``)
    bfloat16 ran 1.7-1.8x float32 at batch 16-32 but 0.87x at batch 1, so float32 stays
    the default there: the searches' batches are often small, and OpenVINO (the
    ``auto`` backend) runs bf16 faster than either."""
    return "amx_bf16" in cpu_flags()


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's instruction-set flags (the words of ``/proc/cpuinfo``, or of
    ``cpuinfo``); empty where that cannot be read."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return set()
    return set(cpuinfo.split())


def checked_batch(features: np.ndarray, planes: int, n: int) -> np.ndarray:
    """Return ``features`` as contiguous float32 (B, planes, n, n).

    Raises:
        ValueError: for another shape.
    """
    x = np.asarray(features)
    if x.ndim != 4 or x.shape[1:] != (planes, n, n):
        raise ValueError(f"expected features of shape (B, {planes}, {n}, {n}), not {x.shape}")
    return np.ascontiguousarray(x, dtype=np.float32)


def empty_outputs(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The outputs of an evaluator for an empty batch."""
    return (
        np.zeros((0, n * n + 1), np.float32),
        np.zeros(0, np.float32),
        np.zeros((0, n, n), np.float32),
    )


def resolve_dtype(dtype: str, device: str | torch.device = "cpu") -> str:
    """Return ``dtype``, with ``"auto"`` replaced by this machine's ``default_dtype``."""
    return default_dtype(device) if dtype == "auto" else dtype


class TorchEvaluator:
    """Evaluate positions with a torch network (``engine.evaluator.Evaluator``).

    Args:
        model: a ``GoNet`` (anything with a ``config: NetConfig`` whose forward
            returns ``GoNet``'s three outputs).
        feature_config: the planes the network was trained on; its plane count
            must equal ``model.config.in_planes``.  Default ``FeatureConfig()``.
        device: torch device, e.g. "cpu", "cuda", "cuda:1".
        dtype: "float32", or an autocast dtype: "float16" (CUDA only) or "bfloat16".
        name: identifier recorded with self-play games; default the config's name
            (e.g. "b6c64").
        threads: torch intra-op threads to set (process-wide); None leaves them.
        fuse: evaluate a copy with batch norms folded into convolutions.
        channels_last: keep feature maps in channels-last memory order (faster).

    Attributes:
        size: board size N.
        feature_config: the input planes.
        name: the network's identifier.
        model: the module evaluated (the fused copy if ``fuse``).
        device: the torch device.
        backend: "torch" (``nn.backends`` has the others).

    Raises:
        ValueError: for a model without a ``NetConfig``, a plane-count mismatch, an
            unknown dtype, float16 on the CPU, or threads below 1.
    """

    backend = "torch"

    def __init__(
        self,
        model: tnn.Module,
        feature_config: FeatureConfig | None = None,
        device: str | torch.device = "cpu",
        dtype: str = "float32",
        name: str | None = None,
        threads: int | None = None,
        *,
        fuse: bool = True,
        channels_last: bool = True,
    ) -> None:
        config = getattr(model, "config", None)
        if not isinstance(config, NetConfig):
            raise ValueError("the model has no NetConfig `config` attribute (build it with GoNet)")
        self.feature_config = feature_config or FeatureConfig()
        if self.feature_config.num_planes != config.in_planes:
            raise ValueError(
                f"feature config gives {self.feature_config.num_planes} planes, "
                f"network expects {config.in_planes}"
            )
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r} (known: {', '.join(DTYPES)})")
        self.device = torch.device(device)
        if dtype == "float16" and self.device.type != "cuda":
            raise ValueError("float16 autocast needs a CUDA device; use bfloat16 on the CPU")
        if threads is not None:
            if threads < 1:
                raise ValueError(f"threads must be at least 1, not {threads}")
            torch.set_num_threads(threads)
        self.size: int = config.board_size
        self.name = name or config.name
        self.dtype = dtype
        self.channels_last = channels_last
        if fuse:
            self.model = fuse_for_inference(model).to(self.device)
        else:
            self.model = model.to(self.device).eval()
        if channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self._planes = config.in_planes
        self._autocast = dtype != "float32"
        self._pinned: Tensor | None = None

    @classmethod
    def from_checkpoint(
        cls, path: str | os.PathLike[str], device: str | torch.device = "cpu", **kwargs: Any
    ) -> TorchEvaluator:
        """Build an evaluator from a checkpoint file (``nn.checkpoint``).

        Args:
            path: the checkpoint.
            device: torch device.
            **kwargs: other constructor arguments (dtype, threads, fuse, ...); the
                name defaults to the checkpoint's metadata name.

        Raises:
            FileNotFoundError: if there is no such file.
            ValueError: if it is not a valid checkpoint or an argument is invalid.
        """
        checkpoint = read_checkpoint(path)
        name = kwargs.pop("name", None) or checkpoint.metadata.get("name") or Path(path).stem
        return cls(
            checkpoint.build_model(), checkpoint.feature_config, device, name=str(name), **kwargs
        )

    def evaluate(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Evaluate a batch of positions.

        Args:
            features: (B, C, N, N) planes (float32; other dtypes are converted).

        Returns:
            policy_logits: float32 (B, N*N+1), pass last, unnormalised.
            value: float32 (B,) in [-1, 1] for the side to move.
            ownership: float32 (B, N, N) in [-1, 1] for the side to move.

        Raises:
            ValueError: if ``features`` does not have shape (B, C, N, N).
        """
        n = self.size
        x = checked_batch(features, self._planes, n)
        batch = x.shape[0]
        if batch == 0:
            return empty_outputs(n)
        if self.model.training:  # someone trained the unfused model since the last call
            self.model.eval()
        with torch.inference_mode():
            inputs = self._to_device(x)
            if self.channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            with self._autocast_context():
                policy, value, ownership = self.model(inputs)
            if self.device.type == "cpu":
                return (
                    np.ascontiguousarray(policy.float().numpy()),
                    np.ascontiguousarray(value.float().numpy()),
                    np.ascontiguousarray(ownership.float().numpy()),
                )
            # one device-to-host transfer instead of three
            parts = (policy.float(), value.float()[:, None], ownership.float().flatten(1))
            joined = torch.cat(parts, 1).cpu()
        out = joined.numpy()
        points = n * n + 1
        return (
            np.ascontiguousarray(out[:, :points]),
            np.ascontiguousarray(out[:, points]),
            np.ascontiguousarray(out[:, points + 1 :]).reshape(batch, n, n),
        )

    def _to_device(self, x: np.ndarray) -> Tensor:
        """Return ``x`` as a tensor on the device (via a pinned buffer on CUDA)."""
        tensor = torch.from_numpy(x)
        if self.device.type == "cpu":
            return tensor
        if self.device.type != "cuda":
            return tensor.to(self.device)
        batch = x.shape[0]
        if self._pinned is None or self._pinned.shape[0] < batch:
            self._pinned = torch.empty(
                (max(batch, 2 * (0 if self._pinned is None else self._pinned.shape[0])),)
                + x.shape[1:],
                dtype=torch.float32,
                pin_memory=True,
            )
        staged = self._pinned[:batch]
        staged.copy_(tensor)
        # the copy is ordered on the current stream before the forward pass that reads it;
        # the pinned buffer is not rewritten before this call's outputs are synchronised
        return staged.to(self.device, non_blocking=True)

    def _autocast_context(self) -> contextlib.AbstractContextManager[Any]:
        if not self._autocast:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=DTYPES[self.dtype])


__all__ = ["DTYPES", "TorchEvaluator", "default_dtype"]
