"""The learning loop end to end on a tiny network, and its survival of SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from selfplay.shards import list_shards, read_shard

TINY = [
    "--size",
    "5",
    "--preset",
    "b2c16",
    "--games-per-generation",
    "16",
    "--min-games",
    "16",
    "--workers",
    "1",
    "--visits",
    "12",
    "--slots",
    "8",
    "--games-per-shard",
    "4",
    "--gate-games",
    "12",
    "--gate-visits",
    "12",
    "--batch-size",
    "32",
    "--dtype",
    "float32",
    "--window",
    "200",
    "--random-moves",
    "6",
    "--quiet",
]


def zerogo(*args: str) -> list[str]:
    return [sys.executable, "-m", "zerogo", *args]


def game_ids(run_dir: Path) -> list[int]:
    """Every finished game on disk, as a list (a duplicate shows up twice): the games
    of the shards, and of the journals not yet compacted into one."""
    from selfplay.journal import list_journals, read_journal, shard_path_for

    ids: list[int] = []
    for path in list_shards(run_dir / "shards"):
        ids.extend(int(i) for i in read_shard(path)["game_ids"])
    for journal in list_journals(run_dir / "shards"):
        if not shard_path_for(journal).exists():
            ids.extend(g.game_id for g in read_journal(journal))
    return ids


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny run directory after one generation (self-play, training, gating)."""
    run_dir = tmp_path_factory.mktemp("pipeline") / "run"
    done = subprocess.run(
        zerogo("train", "--run-dir", str(run_dir), "--generations", "1", *TINY),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return run_dir


def test_one_generation_end_to_end(trained_run: Path) -> None:
    run_dir = trained_run
    done = subprocess.run(
        zerogo("train", "--run-dir", str(run_dir), "--generations", "1", *TINY),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    state = json.loads((run_dir / "state.json").read_text())
    assert state["phase"] == "selfplay"
    assert state["promotions"] + state["rejections"] == 1
    history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    assert len(history) == 1 and history[0]["games"] >= 1
    assert len(game_ids(run_dir)) >= 16
    lineage = [
        json.loads(line) for line in (run_dir / "shards" / "lineage.jsonl").read_text().splitlines()
    ]
    assert {n for entry in lineage for n in entry["networks"]} == {"gen-0000"}
    assert (run_dir / "elo.png").stat().st_size > 1000
    assert (run_dir / "train_config.json").exists()
    assert any((run_dir / "tb").iterdir())
    # every promoted network loads with weights_only and evaluates a position
    from nn.checkpoint import read_checkpoint

    state_cpu = state["cpu_seconds"]
    assert state_cpu["selfplay"] > 0 and state_cpu["train"] > 0 and state_cpu["gate"] > 0
    for path in (run_dir / "networks").glob("*.pt"):
        checkpoint = read_checkpoint(path)
        assert checkpoint.net_config.board_size == 5
        assert_network_plays(path)


def assert_network_plays(path: Path) -> None:
    from engine.features import features_from_moves
    from nn.checkpoint import read_checkpoint
    from nn.evaluator import TorchEvaluator

    checkpoint = read_checkpoint(path)
    evaluator = TorchEvaluator.from_checkpoint(path, dtype="float32")
    planes = features_from_moves(5, [12, 6], checkpoint.feature_config)[-1:]
    out = evaluator.evaluate(planes)
    logits, value = out[0], out[1]
    assert logits.shape == (1, 26) and np.isfinite(logits).all() and logits.std() > 0
    assert -1.0 <= float(value[0]) <= 1.0


def test_anchor_against_gnugo(trained_run: Path) -> None:
    gnugo = "/usr/games/gnugo --mode gtp --level 1 --chinese-rules"
    done = subprocess.run(
        zerogo(
            "anchor",
            "--run-dir",
            str(trained_run),
            "-n",
            "2",
            "--visits",
            "8",
            "--opponent",
            gnugo,
            "--json",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert record["games"] == 2 and 0 <= record["wins"] <= 2
    anchors = (trained_run / "anchors.jsonl").read_text().splitlines()
    assert json.loads(anchors[-1])["network"] == record["network"]
    assert len(list((trained_run / "anchors" / record["network"]).glob("*.sgf"))) == 2


def test_resignation_threshold_is_calibrated_from_the_no_resign_games(
    trained_run: Path, tmp_path: Path
) -> None:
    import shutil

    from zerogo.pipeline import Pipeline, PipelineState

    records = [json.loads(line) for line in (trained_run / "selfplay.jsonl").open()]
    assert all("resign_winner_lows" in r and "resign_threshold" in r for r in records)
    run_dir = tmp_path / "copy"
    shutil.copytree(trained_run, run_dir)
    # 200 calibration games in two generations: 4 winners fell to 0.05 and 8 to 0.11
    lows = [[0.5] * 88 + [0.11] * 8 + [0.05] * 4, [0.5] * 100]
    with (run_dir / "selfplay.jsonl").open("a") as f:
        for chunk in lows:
            f.write(json.dumps({"network": "gen-0000", "resign_winner_lows": chunk}) + "\n")
    pipeline = Pipeline(run_dir, log=lambda _: None)
    pipeline._calibrate_resignation(window=200)
    assert pipeline.state is not None
    assert pipeline.state.resign_threshold == pytest.approx(0.11)  # 2% below 0.11; 6% below 0.115
    saved = PipelineState.load(run_dir / "state.json")
    assert saved.resign_threshold == pytest.approx(0.11)


def test_elo_plot_draws_bounds_for_networks_that_won_or_lost_everything(
    trained_run: Path, tmp_path: Path
) -> None:
    import shutil

    from zerogo.pipeline import Pipeline

    run_dir = tmp_path / "copy"
    shutil.copytree(trained_run, run_dir)
    records = [
        {"network": "gen-0000", "games_trained": 0, "elo": None, "elo_interval": [None, -166.0]},
        {"network": "gen-0001", "games_trained": 10, "elo": -80.0, "elo_interval": [-200, 40]},
        {"network": "gen-0002", "games_trained": 20, "elo": None, "elo_interval": [166.0, None]},
    ]
    (run_dir / "anchors.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (run_dir / "elo.png").unlink(missing_ok=True)
    out = Pipeline(run_dir, log=lambda _: None).plot_elo()
    assert out is not None and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sigkill_at_random_moments_loses_no_finished_game(tmp_path: Path) -> None:
    """At the default shard size (32 games, more than a tiny generation), a game a
    worker reported finished before a kill is on disk after it, exactly once."""
    run_dir = tmp_path / "run"
    finished_log = tmp_path / "finished.txt"
    args = list(TINY)
    del args[args.index("--games-per-shard") : args.index("--games-per-shard") + 2]
    env = dict(
        os.environ, ZEROGO_SHARD_WRITE_DELAY="0.3", ZEROGO_FINISHED_LOG=str(finished_log)
    )
    rng = random.Random(7)
    seen: list[int] = []
    promoted: set[str] = set()
    kills = 0
    mid_write = 0
    journaled = 0  # games found only in a journal after a kill (lost before journals)
    for attempt in range(7):
        process = subprocess.Popen(
            zerogo("train", "--run-dir", str(run_dir), "--generations", "3", *args),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if attempt < 6:
            # on odd attempts, wait (up to a minute) for a shard write in progress and
            # kill inside it; on even ones, kill at a random moment
            want_mid_write = attempt % 2 == 1
            wait = 60.0 if want_mid_write else rng.uniform(4.0, 12.0)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and process.poll() is None:
                if want_mid_write and any((run_dir / "shards").glob(".tmp-*")):
                    mid_write += 1
                    break
                time.sleep(0.05)
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                kills += 1
        else:
            assert process.wait(timeout=300) == 0
        now = game_ids(run_dir)
        journaled += len(journal_only(run_dir))
        assert len(now) == len(set(now)), f"duplicated game ids after kill {kills}"
        reported = (
            {int(x) for x in finished_log.read_text().split()} if finished_log.exists() else set()
        )
        lost = reported - set(now)
        assert not lost, f"reported finished, lost after kill {kills}: {sorted(lost)[:5]}"
        assert set(seen) <= set(now)
        seen = now
        networks = {p.stem for p in (run_dir / "networks").glob("gen-*.pt")}
        assert promoted <= networks
        promoted = networks
        for name in networks:
            assert_network_plays(run_dir / "networks" / f"{name}.pt")
        for path in list_shards(run_dir / "shards"):
            arrays = read_shard(path)  # every visible shard is complete
            assert len(arrays["game_offsets"]) == len(arrays["game_ids"]) + 1
    assert kills >= 5
    assert mid_write >= 1
    assert journaled >= 1
    state = json.loads((run_dir / "state.json").read_text())
    assert state["promotions"] + state["rejections"] == 3
    assert len(seen) == len(set(seen))
    history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    candidates = [record["candidate"] for record in history]
    assert len(candidates) == len(set(candidates)) == 3  # each decision recorded once
    assert sum(record["promoted"] for record in history) == state["promotions"]
    assert {f"gen-{k:04d}" for k in range(state["promotions"] + 1)} == promoted


def journal_only(run_dir: Path) -> list[int]:
    from selfplay.journal import list_journals, read_journal, shard_path_for

    return [
        g.game_id
        for journal in list_journals(run_dir / "shards")
        if not shard_path_for(journal).exists()
        for g in read_journal(journal)
    ]


def test_promotion_interrupted_before_its_state_save_is_redone_once(
    trained_run: Path, tmp_path: Path
) -> None:
    """Killed after the network copy and the history line but before state.json: the
    resumed gate phase recomputes the decision from its journal, rewrites the same
    network and records nothing twice."""
    import shutil

    from zerogo.pipeline import Pipeline, PipelineState

    run_dir = tmp_path / "copy"
    shutil.copytree(trained_run, run_dir)
    after = PipelineState.load(run_dir / "state.json")
    (decision,) = [json.loads(line) for line in (run_dir / "history.jsonl").open()]
    before = PipelineState(**{**after.__dict__})
    before.phase, before.candidate, before.best = "gate", decision["candidate"], decision["best"]
    if decision["promoted"]:
        before.generation -= 1
        before.promotions -= 1
    else:
        before.rejections -= 1
    before.save(run_dir / "state.json")
    pipeline = Pipeline(run_dir, log=lambda _: None)
    pipeline.gate_phase(lambda: False)
    again = PipelineState.load(run_dir / "state.json")
    assert (again.phase, again.best, again.generation, again.promotions, again.rejections) == (
        after.phase, after.best, after.generation, after.promotions, after.rejections,
    )
    history = (run_dir / "history.jsonl").read_text().splitlines()
    assert len(history) == 1
    for name in {after.best, "gen-0000"}:
        assert_network_plays(run_dir / "networks" / f"{name}.pt")


def test_committed_state_resumes_in_a_fresh_clone(trained_run: Path, tmp_path: Path) -> None:
    """The campaign's state travels in git without shards, TensorBoard logs and
    candidates (see .gitignore); a clone resumes from it and plays one more generation,
    refilling its replay window from the best network."""
    import shutil

    run_dir = tmp_path / "clone" / "run"
    shutil.copytree(
        trained_run, run_dir, ignore=shutil.ignore_patterns("shards", "tb", "candidates")
    )
    before = json.loads((run_dir / "state.json").read_text())
    done = subprocess.run(
        zerogo("train", "--run-dir", str(run_dir), "--generations", "2", *TINY),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refills from" in done.stderr
    state = json.loads((run_dir / "state.json").read_text())
    assert state["promotions"] + state["rejections"] == 2
    assert state["games_offset"] == before["games_at_last_train"]
    assert state["games_at_last_train"] >= before["games_at_last_train"] + 16
    assert sum(state["cpu_seconds"].values()) > sum(before["cpu_seconds"].values())
    assert len(game_ids(run_dir)) >= 16  # the refilled window
    history = [json.loads(line) for line in (run_dir / "history.jsonl").open()]
    assert len({record["candidate"] for record in history}) == 2


def test_a_run_can_start_from_a_given_network(trained_run: Path, tmp_path: Path) -> None:
    from nn.checkpoint import read_checkpoint
    from zerogo.pipeline import Pipeline, PipelineConfig

    source = trained_run / "networks" / "gen-0000.pt"
    config = Pipeline(trained_run, log=lambda _: None).config
    pipeline = Pipeline(tmp_path / "run", config, log=lambda _: None)
    pipeline.initialise(init=source)
    made = read_checkpoint(tmp_path / "run" / "networks" / "gen-0000.pt")
    for name, tensor in read_checkpoint(source).state_dict.items():
        assert (made.state_dict[name] == tensor).all(), name
    assert "initialised from gen-0000.pt" in made.metadata["origin"]
    wrong = Pipeline(tmp_path / "nine", PipelineConfig(), log=lambda _: None)
    with pytest.raises(ValueError, match="5x5 network; the run is 9x9"):
        wrong.initialise(init=source)
