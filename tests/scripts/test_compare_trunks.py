"""scripts/compare_trunks.py: trains each trunk on the same batches, saves it, resumes.

Tiny presets on a tiny dataset (shards written here): the record must hold one row per
trunk with its counts, a checkpoint per trunk that loads, a resumed run must keep the
rows it has (not retrain), a record of other settings is refused, and ``--table``
prints them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nn.checkpoint import load_checkpoint
from selfplay.shards import GameRecord, write_shard
from tests.scripts import load_script


@pytest.fixture(scope="module")
def compare_trunks():
    return load_script("compare_trunks")


def _games(first: int, count: int) -> list[GameRecord]:
    games = []
    for game_id in range(first, first + count):
        moves = [(game_id * 5 + 13 * k) % 81 for k in range(8)]
        moves = list(dict.fromkeys(moves))  # no point played twice
        policies = [(np.array([m], dtype=np.int16), np.array([1.0], dtype=np.float32))
                    for m in moves]
        games.append(GameRecord(
            game_id=game_id, size=9, komi=7.5, network="n", moves=moves, policies=policies,
            policy_target=[True] * len(moves), root_values=[0.0] * len(moves),
            result=1.0 if game_id % 2 else -1.0, score=2.5, resigned=False, no_resign=False,
            ownership=np.zeros(81, dtype=np.int8)))
    return games


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    write_shard(folder / "train" / "shard-0000.npz", _games(0, 12))
    write_shard(folder / "test" / "shard-0000.npz", _games(100, 4))
    return folder


def test_trunks_train_save_resume_and_print(compare_trunks, data: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out, nets = tmp_path / "r.json", tmp_path / "nets"
    common = ["--data", str(data), "--samples", "32", "--batch-size", "16",
              "--eval-positions", "16", "--speed-seconds", "0.05", "--save-dir", str(nets),
              "--out", str(out)]
    assert compare_trunks.main(["--presets", "b1c8", *common]) == 0
    first = json.loads(out.read_text())
    assert [row["preset"] for row in first["rows"]] == ["b1c8"]
    assert compare_trunks.main(["--presets", "b1c8,tf1c8-gn", "--resume", *common]) == 0
    record = json.loads(out.read_text())
    assert [row["preset"] for row in record["rows"]] == ["b1c8", "tf1c8-gn"]
    assert record["rows"][0] == first["rows"][0]  # kept, not retrained
    row = record["rows"][1]
    assert row["trunk"] == "transformer" and row["norm"] == "group"
    assert row["samples"] == 32 and row["macs_per_eval"] > 0 and row["parameters"] > 0
    assert 0.0 <= row["policy_top1"] <= 1.0
    for name in ("b1c8", "tf1c8-gn"):
        _model, config, _extra = load_checkpoint(nets / f"{name}.pt")
        saved = next(r for r in record["rows"] if r["preset"] == name)
        assert config.to_dict() == saved["config"]
    capsys.readouterr()
    assert compare_trunks.main(["--table", "--out", str(out)]) == 0
    table = capsys.readouterr().out
    assert "`tf1c8-gn` (transformer) | group" in table and table.count("\n") == 4
    other = ["--presets", "b1c8", "--resume", *common]
    other[other.index("--samples") + 1] = "48"
    assert compare_trunks.main(other) == 2  # another budget never mixes with this record
