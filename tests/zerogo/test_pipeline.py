"""The learning loop end to end on a tiny network, and its survival of SIGKILL."""

from __future__ import annotations

import json
import subprocess
import sys
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
    """Five SIGKILLs of the whole loop, through the code of the 50-kill figure
    (``scripts/crash_kills.py``): in self-play after games were journaled (the default
    32 games per shard is more than a tiny generation) and inside a shard write, in
    training, in gating and while the decision is recorded.  After each kill no game
    reported finished is lost, no id is duplicated or missing, each decision and
    promotion is recorded once, every promoted network loads and evaluates, the
    counters agree; then the run resumes and finishes."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "crash_kills", Path(__file__).resolve().parents[2] / "scripts" / "crash_kills.py"
    )
    assert spec is not None and spec.loader is not None
    crash_kills = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("crash_kills", crash_kills)  # its dataclasses look it up
    spec.loader.exec_module(crash_kills)
    result = crash_kills.run_kills(
        tmp_path, n=5, seed=7, order="loop", more=0, max_wait=120, log=lambda _: None
    )
    assert result["failures"] == []
    assert result["kills"] == 5 and result["final_exit_code"] == 0
    assert all(result["kills_per_phase"][phase] >= 1 for phase in crash_kills.PHASES)
    moments = result["kills_per_moment"]
    assert moments.get("selfplay/shard-write", 0) + moments.get("selfplay/recovery-write", 0)
    assert result["games_only_in_journals_after_kills"] >= 1
    for name, counts in result["invariants"].items():
        assert counts == {"checks": 6, "violations": 0}, name
    assert result["decisions"] >= 1


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
        after.phase,
        after.best,
        after.generation,
        after.promotions,
        after.rejections,
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


def test_training_finished_before_a_kill_is_adopted_not_redone(
    trained_run: Path, tmp_path: Path
) -> None:
    """Killed after the trainee's save but before the state's: the resumed train phase
    takes the trainee as the candidate (rewriting a candidate file the kill prevented)
    instead of training it a second time on the same games."""
    import shutil

    import torch

    from nn.checkpoint import read_checkpoint
    from zerogo.pipeline import Pipeline, PipelineState

    run_dir = tmp_path / "copy"
    shutil.copytree(trained_run, run_dir)
    trainee = read_checkpoint(run_dir / "trainee.pt")
    name, step = trainee.metadata["name"], trainee.metadata["step"]
    after = PipelineState.load(run_dir / "state.json")
    (decision,) = [json.loads(line) for line in (run_dir / "history.jsonl").open()]
    before = PipelineState(**{**after.__dict__})
    before.phase, before.candidate, before.best = "train", None, decision["best"]
    before.trainee_step, before.games_at_last_train = 0, 0
    if decision["promoted"]:
        before.generation -= 1
        before.promotions -= 1
    else:
        before.rejections -= 1
    before.save(run_dir / "state.json")
    (run_dir / "history.jsonl").unlink()
    pipeline = Pipeline(run_dir, log=lambda _: None)
    pipeline.network_path(name).unlink(missing_ok=True)  # killed before the candidate's save
    pipeline.train_phase()
    again = PipelineState.load(run_dir / "state.json")
    assert (again.phase, again.candidate, again.trainee_step) == ("gate", name, step)
    assert again.games_at_last_train == trainee.metadata["games_trained"]
    assert read_checkpoint(run_dir / "trainee.pt").metadata["step"] == step  # not retrained
    candidate = read_checkpoint(pipeline.network_path(name))
    for key, tensor in trainee.state_dict.items():
        assert torch.equal(candidate.state_dict[key], tensor), key


def test_a_second_loop_in_the_same_folder_is_refused_and_temporaries_are_cleaned(
    trained_run: Path, tmp_path: Path
) -> None:
    """Two loops in one folder would write the same state: the second exits 2 with a
    message.  A run that starts removes the temporaries of writes a kill interrupted."""
    import shutil

    from zerogo.pipeline import _run_lock

    run_dir = tmp_path / "copy"
    shutil.copytree(trained_run, run_dir)
    with _run_lock(run_dir):
        busy = subprocess.run(
            zerogo("train", "--run-dir", str(run_dir), "--generations", "1", *TINY),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert busy.returncode == 2
    assert "in use by another zerogo train" in " ".join((busy.stdout + busy.stderr).split())
    assert "Traceback" not in busy.stderr
    stale = [
        run_dir / "shards" / ".tmp-abc.npz",
        run_dir / ".tmp-state",
        run_dir / "networks" / ".tmp-x",
    ]
    for path in stale:
        path.write_bytes(b"half a write")
    done = subprocess.run(
        zerogo("train", "--run-dir", str(run_dir), "--generations", "1", *TINY),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert not any(path.exists() for path in stale)


def test_live_children_cpu_counts_a_running_child() -> None:
    """Workers' CPU reaches ``cpu_now`` only when they are waited for; the CPU budget
    reads the live ones from /proc."""
    from zerogo.pipeline import live_children_cpu

    busy = (
        "import sys, time\n"
        "while time.process_time() < 0.5: pass\n"
        "print('done', flush=True); sys.stdin.read()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", busy], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "done"
        assert live_children_cpu() >= 0.45  # /proc counts whole clock ticks
    finally:
        child.communicate("")
    assert live_children_cpu() < 0.5  # waited for: now in cpu_now's RUSAGE_CHILDREN


def test_a_cpu_budget_stops_self_play_and_a_rerun_aims_at_the_same_end(tmp_path: Path) -> None:
    """``--cpu-hours`` (comparisons at equal compute) stops the workers mid-phase once the
    run's CPU time, live workers included, reaches the budget; rerun, it stops at once."""
    run_dir = tmp_path / "run"
    budget = 0.003  # 10.8 CPU-seconds: mid-way through a self-play phase of 4,000 games
    command = zerogo(
        "train", "--run-dir", str(run_dir), *TINY, "--games-per-generation", "4000",
        "--min-games", "4000", "--window", "4000", "--cpu-hours", str(budget),
    )  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    state = json.loads((run_dir / "state.json").read_text())
    spent = sum(state["cpu_seconds"].values())
    assert state["phase"] == "selfplay"
    assert budget * 3600 <= spent < budget * 3600 + 20
    games = len(game_ids(run_dir))
    assert 0 < games < 4000
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert len(game_ids(run_dir)) == games
    state = json.loads((run_dir / "state.json").read_text())
    assert sum(state["cpu_seconds"].values()) < spent + 5
