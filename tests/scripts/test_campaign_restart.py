"""scripts/campaign_restart.py: a campaign restarted on a new network keeps its games.

An old run (three shards, 25 games, 2 CPU-hours) hands over to a new run whose first
network has other heads and input planes (a tiny KataGo-style net made by a "variant"
run of half a CPU-hour): the games are copied with their lineage marked as the old
run's, the CPU-hours add up as one inherited phase, the new run's first phase trains
on the inherited games at once (planes recomputed for the new network), and a second
restart into the same folder is refused without touching it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.scripts import load_script
from tests.scripts.test_make_dataset import _run as old_run_with_shards

KATA = "b2c16-pool1-score-opp-stv"


@pytest.fixture(scope="module")
def restart():
    return load_script("campaign_restart")


def _kata_network(folder: Path) -> Path:
    import torch

    from engine.features import FeatureConfig
    from nn.checkpoint import save_checkpoint
    from nn.go_net import GoNet, preset

    torch.manual_seed(0)
    features = FeatureConfig(extra=("liberties", "ladder"))
    config = preset(KATA, 9, features.num_planes)
    (folder / "networks").mkdir(parents=True)
    (folder / "state.json").write_text(json.dumps({"cpu_seconds": {"selfplay": 1500.0,
                                                                   "train": 300.0}}))
    return save_checkpoint(folder / "networks" / "gen-0003.pt", GoNet(config), config,
                           {"name": "cand-0003-0000875"}, feature_config=features)


def test_the_new_run_inherits_games_and_cpu_hours(restart, tmp_path: Path) -> None:
    old = old_run_with_shards(tmp_path)  # 25 games of gen-0000 and gen-0001
    (old / "state.json").write_text(json.dumps({"best": "gen-0001", "cpu_seconds": {
        "selfplay": 5400.0, "train": 1080.0, "gate": 720.0}}))
    init = _kata_network(tmp_path / "variant")
    new = tmp_path / "campaign" / "kata"
    flags = ["--scheme", "gumbel-kata-pcr", "--size", "9", "--games-per-generation", "10",
             "--min-games", "10", "--workers", "1", "--backend", "torch", "--quiet",
             "--samples-per-position", "1", "--batch-size", "32"]
    argv = ["--from", str(old), "--run-dir", str(new), "--init", str(init), "--", *flags]
    assert restart.main(argv) == 0

    copied = sorted(p.name for p in (new / "shards").glob("*.npz"))
    assert copied == ["shard-a.npz", "shard-b.npz", "shard-c.npz"]
    for name in copied:
        assert (new / "shards" / name).read_bytes() == (old / "shards" / name).read_bytes()
    lineage = [json.loads(line) for line in (new / "shards" / "lineage.jsonl").open()]
    assert [r["networks"] for r in lineage] == [["run/gen-0000"], ["run/gen-0000"],
                                                ["run/gen-0001"]]
    inherited = json.loads((new / "inherited.json").read_text())
    assert inherited["games"] == 25 and inherited["from_best"] == "gen-0001"
    assert inherited["init_cpu_seconds"] == 1800.0
    state = json.loads((new / "state.json").read_text())
    assert state["cpu_seconds"] == {"inherited": 7200.0 + 1800.0}
    assert state["best"] == "gen-0000" and state["games_at_last_train"] == 0
    saved = json.loads((new / "pipeline.json").read_text())
    assert saved["preset"] == KATA and saved["features"] == ["liberties", "ladder"]

    # the campaign log counts the inherited games with the run's own
    log = load_script("campaign_log")
    totals = log.totals(new)
    assert totals["selfplay_games"] == 25 and totals["cpu_hours"] == 2.5

    # a second restart into the same folder changes nothing
    before = (new / "state.json").read_text()
    assert restart.main(argv) == 2
    assert (new / "state.json").read_text() == before

    # the first phase trains on the inherited games at once: no self-play is needed
    from zerogo.pipeline import Pipeline

    pipeline = Pipeline(new, log=lambda _: None)
    assert pipeline.games_in_shards() == 25
    pipeline.selfplay_phase(lambda: False)
    assert pipeline.state.phase == "train"
    assert not (new / "selfplay.jsonl").exists()  # nothing was played
    pipeline.train_phase()
    assert pipeline.state.phase == "gate" and pipeline.state.games_at_last_train == 25
    from nn.checkpoint import read_checkpoint

    candidate = read_checkpoint(pipeline.network_path(pipeline.state.candidate))
    assert candidate.net_config.name == KATA
    assert candidate.feature_config.extra == ("liberties", "ladder")
    assert pipeline.state.cpu_seconds["inherited"] == 9000.0  # kept beside the new phases


def test_an_old_run_with_uncompacted_journals_is_refused(restart, tmp_path: Path) -> None:
    old = old_run_with_shards(tmp_path)
    (old / "state.json").write_text(json.dumps({"cpu_seconds": {"selfplay": 60.0}}))
    (old / "shards" / "journal-w00-abc.games").write_bytes(b"")
    init = _kata_network(tmp_path / "variant")
    with pytest.raises(SystemExit, match="journals"):
        restart.main(["--from", str(old), "--run-dir", str(tmp_path / "new"),
                      "--init", str(init), "--", "--size", "9"])
    assert not (tmp_path / "new" / "state.json").exists()
