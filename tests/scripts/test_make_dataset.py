"""scripts/make_dataset.py --from-run: the fixed dataset taken from a run's shards.

A tiny run folder holds two shards of one network and one of another, listed in its
``lineage.jsonl``; the dataset must hold exactly the first network's games, each in one
split, the same split for any order of the games, with hashes in the manifest and the
dataset's README kept across a remake.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from selfplay.shards import GameRecord, write_shard
from tests.scripts import load_script
from trainer.replay import ReplayBuffer


@pytest.fixture(scope="module")
def make_dataset():
    return load_script("make_dataset")


def _game(game_id: int, network: str, length: int = 6) -> GameRecord:
    moves = [(game_id * 7 + k * 11) % 81 for k in range(length)]
    policies = [(np.array([m], dtype=np.int16), np.array([1.0], dtype=np.float32)) for m in moves]
    return GameRecord(
        game_id=game_id,
        size=9,
        komi=7.5,
        network=network,
        moves=moves,
        policies=policies,
        policy_target=[True] * length,
        root_values=[0.0] * length,
        result=1.0 if game_id % 2 else -1.0,
        score=3.5,
        resigned=False,
        no_resign=False,
        ownership=np.zeros(81, dtype=np.int8),
    )


def _run(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    shards = run / "shards"
    shards.mkdir(parents=True)
    lines = []
    plan = [
        ("a", "gen-0000", range(0, 10)),
        ("b", "gen-0000", range(10, 20)),
        ("c", "gen-0001", range(20, 25)),
    ]
    for name, network, ids in plan:
        games = [_game(i, network) for i in ids]
        write_shard(shards / f"shard-{name}.npz", games)
        lines.append(
            json.dumps(
                {
                    "shard": f"shard-{name}.npz",
                    "networks": [network],
                    "games": len(games),
                    "positions": 6 * len(games),
                }
            )
        )
    (shards / "lineage.jsonl").write_text("\n".join(lines) + "\n")
    return run


def test_the_dataset_holds_the_named_networks_games_once(make_dataset, tmp_path: Path) -> None:
    run = _run(tmp_path)
    out = tmp_path / "dataset"
    assert (
        make_dataset.main(
            ["--from-run", str(run), "--network", "gen-0000", "--seed", "3", "--out", str(out)]
        )
        == 0
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["games"] == 20
    assert sorted(manifest["source_shards"]) == ["shard-a.npz", "shard-b.npz"]
    ids_per_split = {}
    for split in ("train", "validation", "test"):
        buffer = ReplayBuffer(out / split, window_games=10**6)
        buffer.refresh()
        ids = []
        for path in sorted((out / split).glob("*.npz")):
            arrays = dict(np.load(path))
            ids.extend(int(i) for i in arrays["game_ids"])
            assert set(arrays["network"].astype(str)) == {"gen-0000"}
        ids_per_split[split] = ids
        assert manifest["counts"][split]["games"] == len(ids)
        assert manifest["counts"][split]["positions"] == 6 * len(ids)
    every = [i for ids in ids_per_split.values() for i in ids]
    assert sorted(every) == list(range(20))  # each game once, none of gen-0001
    assert len(ids_per_split["train"]) == 16
    for name, digest in manifest["files"].items():
        assert make_dataset.sha256(out / name) == digest


def test_a_remake_gives_the_same_split_and_keeps_the_readme(make_dataset, tmp_path: Path) -> None:
    run = _run(tmp_path)
    out = tmp_path / "dataset"
    args = ["--from-run", str(run), "--seed", "5", "--out", str(out)]
    make_dataset.main(args)
    first = json.loads((out / "manifest.json").read_text())["files"]
    (out / "README.md").write_text("what this dataset is\n")
    make_dataset.main(args)
    assert json.loads((out / "manifest.json").read_text())["files"] == first
    assert (out / "README.md").read_text() == "what this dataset is\n"
    assert not out.with_name("dataset.new").exists() and not out.with_name("dataset.old").exists()


def test_the_split_does_not_depend_on_the_order_of_the_games(make_dataset) -> None:
    games = [_game(i, "gen-0000") for i in range(30)]
    forward = make_dataset.split_games(games, (0.8, 0.1, 0.1), 9)
    backward = make_dataset.split_games(list(reversed(games)), (0.8, 0.1, 0.1), 9)
    for split in forward:
        assert [g.game_id for g in forward[split]] == [g.game_id for g in backward[split]]


def test_a_network_without_games_is_a_clear_error(make_dataset, tmp_path: Path) -> None:
    run = _run(tmp_path)
    with pytest.raises(SystemExit, match="gen-0042"):
        make_dataset.main(
            ["--from-run", str(run), "--network", "gen-0042", "--out", str(tmp_path / "d")]
        )
