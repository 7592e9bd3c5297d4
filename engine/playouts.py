"""Playout benchmarks: light (uniform random) and heavy (the MCTS policy) playouts.

The headline figure of ``zerogo bench playouts`` is defined as: light playouts from
the empty board, each run to two passes or a cap of 3*N*N moves, scored by
Tromp-Taylor area, with the 4-neighbour eye rule.  Threads each run their own
playouts with the GIL released.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np

from engine import _playout_kernels as P
from engine import _policy_kernels as PK

POLICIES = ("light", "heavy")


@dataclass
class PlayoutBenchmark:
    """Result of a playout benchmark."""

    size: int
    threads: int
    policy: str
    seconds: float
    playouts: int
    playouts_per_s: float
    moves_per_playout: float
    black_area_win_rate: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def benchmark_playouts(
    size: int = 9,
    threads: int = 1,
    seconds: float = 5.0,
    policy: str = "light",
    seed: int = 1,
    chunk: int | None = None,
) -> PlayoutBenchmark:
    """Run playouts from the empty board for ``seconds`` on ``threads`` threads.

    Raises:
        ValueError: for an unknown policy, a bad size or thread count.
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}")
    if threads < 1:
        raise ValueError("threads must be at least 1")
    if not 2 <= size <= 19:
        raise ValueError("size must be between 2 and 19")
    root = P.new_state(size)
    table = PK.make_pattern_table()
    params = np.array([0.9, 0.95, 0.9], dtype=np.float64)
    if chunk is None:
        chunk = max(16, 200_000 // (size * size * (4 if policy == "heavy" else 1)))

    def run(n: int, s: int) -> tuple[int, int, int]:
        if policy == "light":
            return P.run_light_playouts(root, n, np.uint64(s))
        return PK.run_heavy_playouts(root, n, np.uint64(s), table, params)

    run(2, seed)  # compile / load from cache outside the timing
    totals = np.zeros((threads, 3), dtype=np.int64)
    start = time.perf_counter()
    deadline = start + seconds

    def worker(k: int) -> None:
        s = seed * 1000003 + k * 7919 + 1
        while time.perf_counter() < deadline:
            wins, moves, _ = run(chunk, s)
            totals[k, 0] += chunk
            totals[k, 1] += moves
            totals[k, 2] += wins
            s += 104729

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(worker, range(threads)))
    elapsed = time.perf_counter() - start
    playouts = int(totals[:, 0].sum())
    return PlayoutBenchmark(
        size=size,
        threads=threads,
        policy=policy,
        seconds=round(elapsed, 3),
        playouts=playouts,
        playouts_per_s=round(playouts / elapsed, 1),
        moves_per_playout=round(float(totals[:, 1].sum()) / max(playouts, 1), 2),
        black_area_win_rate=round(float(totals[:, 2].sum()) / max(playouts, 1), 4),
    )
