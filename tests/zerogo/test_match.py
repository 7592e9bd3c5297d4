"""Tests of ``zerogo match`` with real engines: GNU Go, and a misbehaving GTP fixture.

GNU Go (/usr/games/gnugo) must be installed: these tests fail without it.
Games are on 5x5 and 7x7 at GNU Go levels 0 and 1, so each takes a fraction of a second.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

import pytest
from sgfmill import sgf

from engine import coords
from engine.board import BLACK, WHITE
from engine.game import Result
from engine.sgf import load_sgf
from zerogo import match as match_module
from zerogo.gtp_client import GNUGO
from zerogo.match import (
    FORFEIT_KINDS,
    GameRecord,
    Match,
    MatchConfig,
    command_argv,
    parse_score,
    result_from_score,
)

FIXTURE = Path(__file__).with_name("misbehaving_gtp.py")


def gnugo(level: int) -> str:
    """Return the command line of GNU Go at ``level`` in GTP mode."""
    return f"{GNUGO} --mode gtp --level {level} --chinese-rules"


def fixture(fault: str = "none", *extra: str) -> str:
    """Return the command line of the misbehaving engine with ``--fault fault``."""
    return shlex.join([sys.executable, str(FIXTURE), "--fault", fault, *extra])


def play(config: MatchConfig) -> tuple[Match, dict]:
    """Play the whole match of ``config``; return it and its summary."""
    with Match(config) as match:
        match.run()
        return match, match.summary()


def test_gnugo_is_installed() -> None:
    assert os.access(GNUGO, os.X_OK), f"GNU Go is needed at {GNUGO}"


def test_gnugo_match_alternates_colours_adds_up_and_writes_sgf(tmp_path: Path) -> None:
    config = MatchConfig(
        engine1=gnugo(0), engine2=gnugo(1), games=4, size=7, seconds=5.0,
        referee=gnugo(0), sgf_dir=str(tmp_path), opening_moves=2, seed=3,
    )
    match, summary = play(config)
    records = match.records
    assert [r.black for r in records] == ["engine1", "engine2", "engine1", "engine2"]
    assert [r.white for r in records] == ["engine2", "engine1", "engine2", "engine1"]
    # each random opening is played once from each side
    assert records[0].opening == records[1].opening
    assert records[2].opening == records[3].opening
    assert len(records[0].opening) == 2 and records[0].opening != records[2].opening

    e1, e2 = summary["engine1"], summary["engine2"]
    assert summary["games"] == 4
    assert e1["wins"] + e2["wins"] + summary["draws"] == 4
    for side in (e1, e2):
        assert side["wins_black"] + side["wins_white"] == side["wins"]
        assert side["name"] == "GNU Go 3.8"
        assert side["seconds_per_move"] is not None and side["seconds_per_move"] < 5.0
    assert e1["losses"] == e2["wins"]
    assert summary["engine1_win_rate"] == pytest.approx((e1["wins"] + summary["draws"] / 2) / 4)
    low, high = summary["engine1_win_rate_interval"]
    assert low <= summary["engine1_win_rate"] <= high
    assert sum(summary["forfeits"].values()) == 0
    assert summary["referee"]["scored"] == 4 and summary["referee"]["errors"] == 0

    for record in records:
        assert record.forfeit is None and record.reason == "score"
        assert record.score is not None and record.referee_score is not None
        side = record.result[0]
        assert record.winner == (record.black if side == "B" else record.white)
        game = sgf.Sgf_game.from_bytes(Path(record.sgf).read_bytes())
        root = game.get_root()
        assert root.get("PB") == root.get("PW") == "GNU Go 3.8"
        assert root.get("RE") == record.result
        assert root.get("KM") == 7.5
        assert game.get_size() == 7
        moves = [node for node in game.get_main_sequence() if node.get_move()[0] is not None]
        assert len(moves) == record.moves
        opening = [coords.to_gtp(coords.from_sgf_point(n.get_move()[1], 7), 7) for n in moves[:2]]
        assert opening == record.opening
        assert all(node.get("C").endswith(" s") for node in moves[2:])
        assert root.get("C").startswith(f"zerogo match game {record.game}:")
        replayed = load_sgf(Path(record.sgf).read_bytes())
        assert len(replayed.moves) == record.moves and replayed.result is not None
        assert replayed.result.sgf() == record.result


def test_move_cap_stops_and_scores_games() -> None:
    config = MatchConfig(engine1=gnugo(0), engine2=gnugo(0), games=2, size=5, max_moves=5)
    match, summary = play(config)
    assert [r.moves for r in match.records] == [5, 5]
    assert all(r.capped and r.reason == "score" for r in match.records)
    assert summary["capped"] == 2 and summary["max_moves"] == 5


def test_zerogo_random_player_plays_legal_games_against_gnugo() -> None:
    zerogo_random = shlex.join([sys.executable, "-m", "zerogo", "gtp", "--player", "random"])
    config = MatchConfig(
        engine1=zerogo_random, engine2=gnugo(0), games=2, size=5, seconds=2.0, opening_moves=1,
    )
    match, summary = play(config)
    assert sum(summary["forfeits"].values()) == 0
    assert summary["engine1"]["name"].startswith("zerogo")
    assert summary["engine1"]["moves"] > 0 and summary["engine1"]["seconds_per_move"] < 2.0
    assert all(r.reason in ("score", "resign") and r.moves > 1 for r in match.records)
    assert summary["engine1"]["wins"] + summary["engine2"]["wins"] + summary["draws"] == 2


def test_interrupt_keeps_the_finished_games() -> None:
    def interrupt(record: GameRecord) -> None:
        raise KeyboardInterrupt

    config = MatchConfig(engine1=gnugo(0), engine2=gnugo(0), games=4, size=5)
    with Match(config) as match:
        match.run(interrupt)
        summary = match.summary()
    assert match.interrupted and summary["interrupted"] and summary["games"] == 1


# fault of the fixture, forfeit kind, SGF result suffix, restarts of the fixture
FORFEITS = [
    ("illegal", "illegal", "F", 0),
    ("garbage", "unparsable", "F", 0),
    ("crash", "crash", "F", 2),
    ("sleep", "timeout", "T", 2),
    ("error", "error", "F", 0),
]


@pytest.mark.parametrize(("fault", "kind", "suffix", "restarts"), FORFEITS)
def test_forfeits_are_detected(fault: str, kind: str, suffix: str, restarts: int) -> None:
    config = MatchConfig(
        engine1=fixture(fault, "--sleep", "3"), engine2=gnugo(0), games=2, size=5, seconds=0.2,
    )
    match, summary = play(config)
    for record in match.records:
        assert record.forfeit is not None
        assert (record.forfeit["engine"], record.forfeit["kind"]) == ("engine1", kind)
        assert record.winner == "engine2"
        assert record.result == ("W+" if record.black == "engine1" else "B+") + suffix
    assert summary["engine2"]["wins"] == 2
    assert summary["engine1"]["forfeits"][kind] == 2
    assert summary["forfeits"] == {k: (2 if k == kind else 0) for k in FORFEIT_KINDS}
    assert summary["engine1"]["restarts"] == restarts
    assert summary["elo"] is None and summary["elo_interval"][0] is None


def test_resignation_ends_the_game() -> None:
    config = MatchConfig(engine1=fixture("resign", "--at", "1"), engine2=gnugo(0), games=2, size=5)
    match, summary = play(config)
    assert [r.result for r in match.records] == ["W+R", "B+R"]
    assert all(r.reason == "resign" and r.forfeit is None for r in match.records)
    assert summary["engine2"]["wins_black"] == summary["engine2"]["wins_white"] == 1


def test_referee_decides_and_disagreements_are_counted() -> None:
    # The fixture always passes, so GNU Go owns the board; the referee says B+100.
    config = MatchConfig(
        engine1=fixture("none"), engine2=gnugo(0), games=2, size=5,
        referee=fixture("none", "--score", "B+100"),
    )
    match, summary = play(config)
    assert [r.result for r in match.records] == ["B+100", "B+100"]
    assert [r.winner for r in match.records] == ["engine1", "engine2"]
    first, second = match.records
    assert first.score is not None and first.score < 0 and first.disagreement
    assert second.score is not None and second.score > 0 and not second.disagreement
    assert summary["referee"]["disagreements"] == 1
    assert summary["referee"]["name"] == "Misbehaving none"


DOCUMENTED_KEYS = {
    "games", "size", "komi", "time", "max_moves", "opening_moves", "seed", "interrupted",
    "error", "sgf_dir", "engine1", "engine2", "draws", "capped", "engine1_win_rate",
    "engine1_win_rate_interval", "elo", "elo_interval", "forfeits", "referee", "results",
}
ENGINE_KEYS = {
    "command", "name", "wins", "wins_black", "wins_white", "losses", "moves",
    "seconds_per_move", "restarts", "forfeits",
}
RESULT_KEYS = {
    "game", "black", "white", "result", "winner", "reason", "moves", "capped", "score",
    "referee_score", "disagreement", "forfeit", "opening", "seconds", "sgf",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zerogo match")
    match_module.add_arguments(parser)
    return parser


def test_json_output_is_one_object_with_the_documented_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _parser().parse_args([
        "--engine1", gnugo(1), "--engine2", gnugo(0), "-n", "2", "--size", "5",
        "--time", "2", "--json", "--sgf-dir", str(tmp_path / "sgf"), "--opening-moves", "1",
    ])
    assert match_module.run(args) == 0
    out = capsys.readouterr().out
    summary = json.loads(out)
    assert set(summary) == DOCUMENTED_KEYS
    assert set(summary["engine1"]) == set(summary["engine2"]) == ENGINE_KEYS
    assert len(summary["results"]) == 2
    assert all(set(r) == RESULT_KEYS for r in summary["results"])
    assert sorted(p.name for p in (tmp_path / "sgf").iterdir()) == [
        "game_0000.sgf", "game_0001.sgf",
    ]


def test_text_report_names_engines_and_elo(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args([
        "--engine1", gnugo(0), "--engine2", fixture("none"), "-n", "2", "--size", "5",
        "--no-sgf",
    ])
    assert match_module.run(args) == 0
    out = capsys.readouterr().out
    assert "GNU Go 3.8" in out and "Misbehaving none" in out
    assert "engine1 win rate: 1.000" in out
    assert "Elo engine1 - engine2: +inf" in out


def test_help_explains_every_flag() -> None:
    parser = _parser()
    text = parser.format_help()
    for action in parser._actions:
        assert action.help, f"{action.option_strings} has no help"
        for option in action.option_strings:
            assert option in text


def test_engine_that_cannot_start_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(OSError):
        Match(MatchConfig(engine1="/nonexistent/engine", engine2=gnugo(0)))
    args = _parser().parse_args(["--engine1", gnugo(0), "--engine2", "/nonexistent/x", "--no-sgf"])
    assert match_module.run(args) == 2
    assert "cannot start engine" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "score"),
    [("B+3.5", 3.5), ("W+12", -12.0), ("w+0.5", -0.5), ("0", 0.0), ("B+7.", 7.0)],
)
def test_parse_score(text: str, score: float) -> None:
    assert parse_score(text) == score


@pytest.mark.parametrize("text", ["B+R", "W+T", "", "black wins", "B+-3"])
def test_parse_score_rejects_non_scores(text: str) -> None:
    with pytest.raises(ValueError):
        parse_score(text)


def test_result_from_score() -> None:
    assert result_from_score(2.5) == Result(BLACK, 2.5)
    assert result_from_score(-0.5) == Result(WHITE, 0.5)
    assert result_from_score(0.0) == Result(0, 0.0)


@pytest.mark.parametrize(
    ("seconds", "timeout"), [(0.2, 1.2), (1.0, 2.0), (5.0, 10.0), (None, match_module.HANG_GUARD)]
)
def test_move_timeout_tolerance(seconds: float | None, timeout: float) -> None:
    config = MatchConfig(engine1="a", engine2="b", seconds=seconds)
    assert config.move_timeout == pytest.approx(timeout)


@pytest.mark.parametrize(
    "changes",
    [{"games": 0}, {"size": 1}, {"seconds": 0.0}, {"max_moves": 0}, {"opening_moves": -1},
     {"engine1": " "}],
)
def test_config_rejects_bad_values(changes: dict) -> None:
    fields = {"engine1": "a", "engine2": "b", **changes}
    with pytest.raises(ValueError):
        MatchConfig(**fields)


def test_command_argv_runs_zerogo_through_this_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(match_module.shutil, "which", lambda name: None)
    assert command_argv("zerogo gtp --player random") == [
        sys.executable, "-m", "zerogo", "gtp", "--player", "random",
    ]
    assert command_argv("gnugo --mode gtp") == ["gnugo", "--mode", "gtp"]
