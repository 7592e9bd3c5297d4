"""scripts/compare_variants.py: every variant trains to the same CPU budget, resumes.

Two variants (the default and the KataGo-style one, whose flags must reach its network)
on 5x5 with a budget of a few CPU-seconds: each run stops at the budget, a rerun keeps
what it has (no new games), and the record and table hold one row per variant.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nn.checkpoint import read_checkpoint
from tests.scripts import load_script

TINY = [
    "--size", "5", "--visits", "8", "--slots", "8", "--games-per-generation", "400",
    "--min-games", "400", "--games-per-shard", "4", "--random-moves", "4",
    "--dtype", "float32", "--no-train-bf16",
]  # fmt: skip


@pytest.fixture(scope="module")
def compare_variants():
    return load_script("compare_variants")


def test_variants_train_to_the_same_cpu_budget_and_resume(compare_variants, tmp_path: Path):
    budget = 0.003  # 10.8 CPU-seconds
    argv = [
        "--out", str(tmp_path), "--cpu-hours", str(budget), "--only", "default", "gumbel-kata",
        "--parallel", "2", "--no-ladder", "--extra", *TINY,
    ]  # fmt: skip
    assert compare_variants.main(argv) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    rows = {row["variant"]: row for row in results["variants"]}
    assert set(rows) == {"default", "gumbel-kata"}
    for row in rows.values():
        assert budget * 3600 <= row["cpu_seconds"] < budget * 3600 + 20
    kata = read_checkpoint(tmp_path / "gumbel-kata" / "networks" / "gen-0000.pt")
    assert {"liberties", "ladder"} <= set(kata.feature_config.extra)
    pipeline = json.loads((tmp_path / "gumbel-kata" / "pipeline.json").read_text())
    assert pipeline["selfplay"]["gumbel"] is not None
    assert pipeline["preset"] == "b6c64-pool3-score-opp-stv"
    agz = json.loads((tmp_path / "default" / "pipeline.json").read_text())
    assert agz["selfplay"]["gumbel"] is None and agz["features"] == []  # --scheme agz
    games = {name: row["games"] for name, row in rows.items()}
    spent = {name: row["cpu_seconds"] for name, row in rows.items()}
    assert compare_variants.main(argv) == 0  # resumed: the budget is spent, nothing runs
    record = json.loads((tmp_path / "results.json").read_text())
    again = {row["variant"]: row for row in record["variants"]}
    assert {name: row["games"] for name, row in again.items()} == games
    assert all(again[name]["cpu_seconds"] < spent[name] + 5 for name in spent)
    markdown = (tmp_path / "results.md").read_text()
    assert markdown.count("\n| `") == 2 and "`gumbel-kata`" in markdown
