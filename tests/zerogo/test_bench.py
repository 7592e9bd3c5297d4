"""``zerogo bench``: each benchmark runs as a command and prints one JSON object.

Only the shape of the output is checked (keys, types, the flags echoed back);
timings belong to the benchmarks themselves, never to tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
NUMBER = (int, float)


def bench(*argv: str, timeout: float = 120) -> dict[str, Any]:
    """Run ``zerogo bench ARGV --json``; return the one JSON object it prints."""
    done = subprocess.run(
        [sys.executable, "-m", "zerogo", "bench", *argv, "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout  # one JSON object, nothing else on stdout
    result = json.loads(lines[0])
    assert isinstance(result, dict)
    return result


def is_number(value: object) -> bool:
    return isinstance(value, NUMBER) and not isinstance(value, bool)


def test_bench_playouts() -> None:
    result = bench("playouts", "--seconds", "0.5")
    assert result["size"] == 9 and result["threads"] == 1  # the defaults
    assert is_number(result["playouts_per_s"]) and result["playouts_per_s"] > 0
    assert is_number(result["moves_per_playout"]) and result["moves_per_playout"] > 0
    machine = result["machine"]  # every record says where, when and under what load
    assert machine["logical_cores"] >= 1 and len(machine["load_average_before"]) == 3
    assert machine["date"].startswith("20") and "git_commit" in result


def test_bench_nn() -> None:
    result = bench(
        "nn", "--seconds", "0.2", "--batch-sizes", "1", "8", "--preset", "b2c16", "--threads", "1"
    )
    assert result["network"] == "b2c16" and result["threads"] == 1
    assert is_number(result["evals_per_s"]) and result["evals_per_s"] > 0
    assert [b["batch"] for b in result["batches"]] == [1, 8]
    for batch in result["batches"]:
        assert is_number(batch["evals_per_s"]) and batch["calls"] >= 1


def test_bench_selfplay() -> None:
    result = bench(
        "selfplay",
        "--preset",
        "b2c16",
        "--size",
        "5",
        "--visits",
        "8",
        "--slots",
        "4",
        "--workers",
        "1",
        "--seconds",
        "5",
        timeout=300,
    )
    assert result["network"] == "random b2c16"
    assert result["size"] == 5 and result["visits"] == 8 and result["workers"] == 1
    assert result["gumbel"] is False
    # 5 seconds of 5x5 games with 8 visits finish games, so the rates are numbers
    assert isinstance(result["games_finished"], int) and result["games_finished"] >= 1
    assert is_number(result["games_per_hour"]) and result["games_per_hour"] > 0
    assert is_number(result["plies_per_game"]) and result["plies_per_game"] > 0
    assert is_number(result["evals_per_s"]) and result["evals_per_s"] > 0
