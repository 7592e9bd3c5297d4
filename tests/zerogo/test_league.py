"""``zerogo league``: a tiny 5x5 round robin end to end through GTP, resuming, reports,
entrants from flags and run directories."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from trainer.baselines.dqn import DQNConfig, train_dqn
from trainer.baselines.reinforce import PGConfig, train_pg
from zerogo import league
from zerogo.league import (
    Entrant,
    League,
    LeagueConfig,
    PairRecord,
    best_network,
    markdown,
    net_entrant,
    network_training_seconds,
    report,
)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A freshly trained tiny PG and DQN checkpoint (a few games each)."""
    folder = tmp_path_factory.mktemp("league-agents")
    pg, dqn = folder / "pg5.pt", folder / "dqn5.pt"
    train_pg(PGConfig(size=5, komi=0.5, preset="b1c8", iterations=2, games_per_iteration=4,
                      eval_every=0), pg)
    train_dqn(DQNConfig(size=5, komi=0.5, preset="b1c8", rounds=2, games_per_round=4,
                        updates_per_round=2, batch_size=16, eval_every=0), dqn)
    return {"pg": pg, "dqn": dqn}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="zerogo league")
    league.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_tiny_league_end_to_end_through_gtp(checkpoints: dict[str, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "league5"
    argv = ["--size", "5", "--komi", "0.5", "--games", "2", "--mcts-playouts", "16",
            "--pg", str(checkpoints["pg"]), "--dqn", str(checkpoints["dqn"]),
            "--scoring-playouts", "100", "--parallel", "2", "--out-dir", str(out), "--json"]
    assert league.main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    names = {"random", "mcts-16", "pg", "dqn"}
    assert {r["name"] for r in data["ratings"]} == names
    assert len(data["pairs"]) == 6 and data["games_total"] == 12
    for pair in data["pairs"]:
        assert pair["wins"] + pair["losses"] + pair["draws"] == 2
        assert not any(n for kinds in pair["forfeits"].values() for n in kinds.values())
    by_name = {r["name"]: r for r in data["ratings"]}
    assert by_name["random"]["elo"] == 0 and data["anchor"] == "random"
    for r in data["ratings"]:
        assert r["games"] == 6 and r["low"] <= r["elo"] <= r["high"]
    # equal-compute bookkeeping: the baselines' training CPU time comes from their files
    assert by_name["pg"]["training_cpu_seconds"] > 0
    assert by_name["dqn"]["training_cpu_seconds"] > 0
    assert by_name["mcts-16"]["training_cpu_seconds"] == 0
    assert "own eyes masked" in by_name["pg"]["detail"]
    assert [r["elo"] for r in data["ratings"]] == sorted(
        (r["elo"] for r in data["ratings"]), reverse=True)
    # the files for BENCHMARKS.md
    text = (out / "league.md").read_text()
    assert "| Rank | Player | Elo | 95% interval |" in text
    assert all(f"| {name} |" in text for name in names)
    assert (out / "league.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((out / "league.json").read_text())["ratings"] == data["ratings"]
    assert len((out / "pairs.jsonl").read_text().splitlines()) == 6
    # a second run resumes every pair from the journal: nothing is played again
    assert league.main(argv[:-1]) == 0
    captured = capsys.readouterr()
    assert "6 pairs resumed" in captured.err
    assert "zerogo league" in captured.out  # the rich table
    assert len((out / "pairs.jsonl").read_text().splitlines()) == 6


def test_runs_through_the_zerogo_command(tmp_path: Path) -> None:
    from zerogo import cli

    assert cli.SUBCOMMANDS["league"][0] == "zerogo.league"
    journal = tmp_path / "pairs.jsonl"
    entrants = [league.random_entrant(0), league.mcts_entrant(8)]
    config = LeagueConfig(size=5, komi=0.5, games=2)
    record = _record(entrants[0], entrants[1], config, seed=0, wins=0, losses=2)
    journal.write_text(json.dumps(record.__dict__) + "\n")
    argv = ["league", "--size", "5", "--komi", "0.5", "--games", "2", "--mcts-playouts", "8",
            "--out-dir", str(tmp_path)]
    assert cli.main(argv) == 0  # resumed from the journal: no engine needs to start
    data = json.loads((tmp_path / "league.json").read_text())
    assert [r["name"] for r in data["ratings"]] == ["mcts-8", "random"]


def _record(first: Entrant, second: Entrant, config: LeagueConfig, seed: int, wins: int,
            losses: int, draws: int = 0) -> PairRecord:
    return PairRecord(
        first=first.name, second=second.name, wins=wins, losses=losses, draws=draws,
        forfeits={first.name: {}, second.name: {}}, capped=0,
        seconds_per_move={first.name: 0.01, second.name: 0.02},
        commands={first.name: first.command, second.name: second.command},
        size=config.size, komi=config.komi, games=config.games, seed=seed,
        opening_moves=config.opening_moves,
    )


def test_report_and_markdown_from_known_results() -> None:
    a = Entrant("random", "random", "x --player random", 0.0, "uniform")
    b = Entrant("mcts-400", "mcts", "x --player mcts", 0.0, "400 playouts")
    c = Entrant("pg", "pg", "x --player pg", 1234.5, "REINFORCE")
    config = LeagueConfig(size=9, games=10)
    records = [_record(a, b, config, 0, 1, 9), _record(a, c, config, 1000, 3, 6, 1),
               _record(b, c, config, 2000, 7, 3)]
    data = report([a, b, c], records, config)
    assert [r["name"] for r in data["ratings"]] == ["mcts-400", "pg", "random"]
    assert data["ratings"][2]["elo"] == 0
    assert data["ratings"][1]["score"] == pytest.approx((6.5 + 3) / 20)
    text = markdown(data)
    assert "| 1 | mcts-400 |" in text and "| 2 | pg |" in text
    assert "1,234" in text  # training CPU-seconds
    assert "| random | — | 1-9 | 3-6-1 |" not in text  # rows follow the ranking
    assert "| pg | 3-7 | — | 6-3-1 |" in text
    assert "30 games" in text and "random = 0" in text
    assert "Fisher information" in text
    boot = report([a, b, c], records, LeagueConfig(size=9, games=10, bootstrap=50))
    assert "50 bootstrap samples" in markdown(boot)
    assert [r["elo"] for r in boot["ratings"]] == [r["elo"] for r in data["ratings"]]
    assert all(r["low"] <= r["elo"] <= r["high"] for r in boot["ratings"])


def test_pairs_are_all_distinct_and_names_unique() -> None:
    entrants = [Entrant(n, "gtp", f"engine {n}") for n in "abcd"]
    pairs = League(entrants, LeagueConfig()).pairs()
    assert len(pairs) == 6
    assert {frozenset((f.name, s.name)) for _, f, s in pairs} == {
        frozenset(p) for p in ("ab", "ac", "ad", "bc", "bd", "cd")}
    with pytest.raises(ValueError, match="unique"):
        League([entrants[0], entrants[0]], LeagueConfig())
    with pytest.raises(ValueError, match="two"):
        League(entrants[:1], LeagueConfig())
    with pytest.raises(ValueError):
        Entrant("x", "alien", "cmd")
    with pytest.raises(ValueError):
        LeagueConfig(games=0)


def run_dir(tmp_path: Path) -> Path:
    """A run directory as ``zerogo train`` leaves it after two promotions."""
    run = tmp_path / "9x9-main"
    (run / "networks").mkdir(parents=True)
    for name in ("gen-0000", "gen-0001", "gen-0002"):
        (run / "networks" / f"{name}.pt").write_bytes(b"")
    (run / "state.json").write_text(json.dumps({"phase": "selfplay", "best": "gen-0002"}))
    (run / "pipeline.json").write_text(json.dumps({"workers": 2, "threads": 1}))
    selfplay = [
        {"network": "gen-0000", "seconds": 100.0, "time": 1100.0},
        {"network": "gen-0000", "seconds": 900.0, "time": 2000.0},
        {"network": "gen-0001", "seconds": 400.0, "time": 3000.0},
        {"network": "gen-0002", "seconds": 50.0, "time": 5000.0},
    ]
    history = [
        {"network": "gen-0001", "promoted": True, "time": 2600.0, "games_trained": 1000},
        {"network": "cand", "promoted": False, "time": 2700.0},
        {"network": "gen-0002", "promoted": True, "time": 3500.0, "games_trained": 2000},
    ]
    (run / "selfplay.jsonl").write_text("".join(json.dumps(r) + "\n" for r in selfplay))
    (run / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in history) + '{"torn')
    return run


def test_best_network_of_a_run_and_its_training_cost(tmp_path: Path) -> None:
    run = run_dir(tmp_path)
    name, path = best_network(run)
    assert name == "gen-0002" and path == run / "networks" / "gen-0002.pt"
    # gen-0002: self-play 100 + 900 + 400 s, then training and gating 600 s (2000 -> 2600)
    # and 500 s (3000 -> 3500), on 2 cores; the self-play after its promotion does not count
    seconds, how = network_training_seconds(run, "gen-0002")
    assert seconds == pytest.approx(2 * (1400 + 1100))
    assert "2 cores" in how and "games trained 2000" in how
    assert network_training_seconds(run, "gen-0001")[0] == pytest.approx(2 * (1000 + 600))
    assert network_training_seconds(run, "gen-0000")[0] == 0
    assert network_training_seconds(run, "gen-0009")[0] is None
    with pytest.raises(ValueError, match="run directory"):
        best_network(tmp_path)


def test_entrants_from_flags(tmp_path: Path) -> None:
    run = run_dir(tmp_path)
    args = parse("--mcts-playouts", "100", "400", "--run-dir", str(run), "--net-visits", "50",
                 "--engine", "gnugo=/usr/games/gnugo --mode gtp --level 1",
                 "--compute", "gnugo=0")
    entrants = league.entrants_from_args(args)
    assert [e.name for e in entrants] == ["random", "mcts-100", "mcts-400", "az-gen-0002",
                                          "gnugo"]
    az = entrants[3]
    assert az.kind == "net" and az.training_cpu_seconds == pytest.approx(5000)
    assert "--player net" in az.command and "--visits 50" in az.command
    assert "--resign-threshold 0" in az.command  # every game is played out
    assert str(run / "networks" / "gen-0002.pt") in az.command
    assert entrants[4].training_cpu_seconds == 0 and entrants[4].command.startswith("/usr/games")
    with pytest.raises(ValueError, match="NAME=VALUE"):
        league.entrants_from_args(parse("--engine", "nameless"))
    with pytest.raises(ValueError, match="no entrant"):
        league.entrants_from_args(parse("--compute", "ghost=1"))
    assert net_entrant("x/gen-0001.pt", 8).name == "az-gen-0001"
    assert league.run(parse("--run-dir", str(tmp_path / "missing"))) == 2
