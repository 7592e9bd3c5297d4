"""Network throughput benchmark: evaluations per second through ``TorchEvaluator``.

``benchmark_network`` builds a randomly initialised preset network, feeds it random
0/1 feature planes of each batch size for a fixed time after a warm-up, and reports
positions evaluated per second.  The speed of a network does not depend on its
weights or on the positions, so no checkpoint or game is needed.  ``zerogo bench nn``
prints its dict; ``python -m nn.bench`` does the same.

Numbers on a shared machine are noisy: anything else running on the cores (a match,
a test suite) shows up in them.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from engine.features import FeatureConfig
from nn.evaluator import TorchEvaluator
from nn.go_net import GoNet, count_parameters
from nn.go_net import preset as preset_config

HEADLINE_BATCH = 32
"""The batch size whose rate is reported as ``evals_per_s``."""


def benchmark_network(
    preset: str = "b6c64",
    size: int = 9,
    batch_sizes: Sequence[int] = (1, 8, 32, 64),
    seconds: float = 3.0,
    threads: int | None = None,
    device: str = "cpu",
    *,
    dtype: str = "float32",
    fuse: bool = True,
    channels_last: bool = True,
    seed: int = 0,
) -> dict[str, Any]:
    """Measure evaluations per second of a preset network at several batch sizes.

    Args:
        preset: a ``nn.go_net.PRESETS`` name.
        size: board size N.
        batch_sizes: batch sizes to time, in order.
        seconds: timed seconds per batch size (after a warm-up of a tenth of that,
            at least two calls, which is not counted).
        threads: torch intra-op threads (``torch.set_num_threads``); None leaves them.
        device: torch device.
        dtype: evaluator dtype ("float32", "float16", "bfloat16").
        fuse: fold batch norms into convolutions (``TorchEvaluator``'s default).
        channels_last: channels-last memory order (``TorchEvaluator``'s default).
        seed: seed of the weights and the inputs.

    Returns:
        A JSON-able dict: ``network``, ``board_size``, ``parameters``, ``device``,
        ``dtype``, ``threads``, ``fuse``, ``channels_last``, ``torch``,
        ``seconds_per_batch``, ``evals_per_s`` (at batch 32, or the largest batch
        timed if 32 is not among them), ``headline_batch`` and ``batches``: one
        ``{"batch", "calls", "seconds", "evals_per_s", "ms_per_call"}`` per size.

    Raises:
        ValueError: for an unknown preset, no or non-positive batch sizes, or
            non-positive seconds.
    """
    if not batch_sizes or min(batch_sizes) < 1:
        raise ValueError(f"batch sizes must be a non-empty list of positive ints: {batch_sizes}")
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, not {seconds}")
    features = FeatureConfig()
    config = preset_config(preset, board_size=size, in_planes=features.num_planes)
    torch.manual_seed(seed)
    model = GoNet(config)
    evaluator = TorchEvaluator(
        model,
        features,
        device,
        dtype,
        name=preset,
        threads=threads,
        fuse=fuse,
        channels_last=channels_last,
    )
    rng = np.random.default_rng(seed)
    rows = []
    for batch in batch_sizes:
        x = (rng.random((batch, features.num_planes, size, size)) < 0.3).astype(np.float32)
        _run_for(evaluator, x, seconds / 10, min_calls=2)
        calls, elapsed = _run_for(evaluator, x, seconds, min_calls=1)
        rows.append(
            {
                "batch": int(batch),
                "calls": calls,
                "seconds": round(elapsed, 4),
                "evals_per_s": round(calls * batch / elapsed, 1),
                "ms_per_call": round(1000 * elapsed / calls, 4),
            }
        )
    by_batch = {row["batch"]: row for row in rows}
    headline = HEADLINE_BATCH if HEADLINE_BATCH in by_batch else max(by_batch)
    return {
        "network": preset,
        "board_size": size,
        "parameters": count_parameters(model),
        "device": str(evaluator.device),
        "dtype": dtype,
        "threads": torch.get_num_threads(),
        "fuse": fuse,
        "channels_last": channels_last,
        "torch": torch.__version__,
        "seconds_per_batch": seconds,
        "evals_per_s": by_batch[headline]["evals_per_s"],
        "headline_batch": headline,
        "batches": rows,
    }


def _run_for(
    evaluator: TorchEvaluator, x: np.ndarray, seconds: float, min_calls: int
) -> tuple[int, float]:
    """Evaluate ``x`` repeatedly for ``seconds`` (and ``min_calls``); return (calls, elapsed)."""
    calls = 0
    start = time.perf_counter()
    while True:
        evaluator.evaluate(x)
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and calls >= min_calls:
            return calls, elapsed


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``benchmark_network`` from the command line and print its dict as JSON."""
    parser = argparse.ArgumentParser(prog="python -m nn.bench", description=__doc__)
    parser.add_argument("--preset", default="b6c64")
    parser.add_argument("--size", type=int, default=9)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--no-fuse", action="store_true")
    parser.add_argument("--no-channels-last", action="store_true")
    args = parser.parse_args(argv)
    result = benchmark_network(
        args.preset,
        args.size,
        args.batch_sizes,
        args.seconds,
        args.threads,
        args.device,
        dtype=args.dtype,
        fuse=not args.no_fuse,
        channels_last=not args.no_channels_last,
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
