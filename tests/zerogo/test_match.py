"""Tests of ``zerogo match`` with real engines: GNU Go, and a misbehaving GTP fixture.

GNU Go (/usr/games/gnugo) must be installed: these tests fail without it.
Games are on 5x5 to 9x9 at GNU Go levels 0 and 1, so each takes a fraction of a second.
Clock tests use sleeps with margins of a second or more: they check behaviour (who
loses on time), never speed.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sgfmill import sgf

from engine import coords
from engine.board import BLACK, WHITE
from engine.game import Result
from engine.sgf import load_sgf
from zerogo import match as match_module
from zerogo.gtp_client import GNUGO
from zerogo.gtp_time import TimeControl
from zerogo.match import (
    FAILURE_KINDS,
    FAILURE_OF_FORFEIT,
    FORFEIT_KINDS,
    GameRecord,
    JournalError,
    Match,
    MatchClock,
    MatchConfig,
    MatchJournal,
    command_argv,
    format_time_control,
    parse_score,
    parse_time_control,
    result_from_score,
    schedule,
    time_settings_command,
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
        assert side["seconds_per_move"] is not None  # reported (its size: a benchmark's)
    assert e1["losses"] == e2["wins"]
    assert summary["engine1_win_rate"] == pytest.approx((e1["wins"] + summary["draws"] / 2) / 4)
    low, high = summary["engine1_win_rate_interval"]
    assert low <= summary["engine1_win_rate"] <= high
    assert sum(summary["forfeits"].values()) == 0  # no time loss (a move over the limit forfeits)
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
    assert sum(summary["forfeits"].values()) == 0  # no time loss (a move over the limit forfeits)
    assert summary["engine1"]["name"].startswith("zerogo")
    assert summary["engine1"]["moves"] > 0 and summary["engine1"]["seconds_per_move"] is not None
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
    failure = FAILURE_OF_FORFEIT[kind]
    assert summary["failures"] == {k: (2 if k == failure else 0) for k in FAILURE_KINDS}
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


def test_a_game_the_referee_scores_otherwise_keeps_its_sgf(tmp_path: Path) -> None:
    # With --sgf-every 5 only game 0 is sampled; game 1 is kept because zerogo's own
    # score and the referee's disagree, so the position can be looked at afterwards.
    config = MatchConfig(
        engine1=fixture("none"), engine2=gnugo(0), games=3, size=5, sgf_every=5,
        referee=fixture("none", "--score", "W+100"), sgf_dir=str(tmp_path),
    )
    match, _ = play(config)
    disagreed = [r.game for r in match.records if r.disagreement]
    assert disagreed == [1]
    assert [r.game for r in match.records if r.sgf] == [0, 1]
    assert sorted(p.name for p in tmp_path.glob("*.sgf")) == ["game_0000.sgf", "game_0001.sgf"]


DOCUMENTED_KEYS = {
    "games", "size", "komi", "time", "max_moves", "opening_moves", "seed", "interrupted",
    "error", "sgf_dir", "journal", "time_controls", "handicaps", "mix", "handicap_komi",
    "handicap_compensation", "lag_allowance", "engine1", "engine2", "draws", "capped",
    "engine1_win_rate", "engine1_win_rate_interval", "elo", "elo_interval", "forfeits",
    "failures", "referee", "results",
}
ENGINE_KEYS = {
    "command", "name", "wins", "wins_black", "wins_white", "losses", "moves",
    "seconds_per_move", "restarts", "forfeits", "failures",
}
RESULT_KEYS = {
    "game", "black", "white", "handicap", "komi", "time_control", "result", "winner",
    "reason", "moves", "capped", "score", "referee_score", "disagreement", "forfeit",
    "events", "opening", "seconds", "genmoves", "restarts", "referee_errors", "sgf",
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
        "game_0000.sgf", "game_0001.sgf", "games.jsonl",
    ]
    assert summary["journal"] == str(tmp_path / "sgf" / "games.jsonl")


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
     {"engine1": " "}, {"time_controls": ("absolute:0",)},
     {"time_controls": ("none",), "seconds": 1.0}, {"handicaps": ()}, {"handicaps": (-1,)},
     {"handicaps": (5,), "size": 7}, {"handicaps": (2,), "size": 5}, {"mix": "shuffle"},
     {"handicap_rule": "japanese"}, {"lag_allowance": -0.1}, {"resume": True},
     {"sgf_every": 0}],
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


# -- time controls: parsing, the commands sent, the runner's clock -------------------
@pytest.mark.parametrize(
    ("text", "control"),
    [
        ("none", TimeControl()),
        ("absolute:60", TimeControl("absolute", 60.0)),
        ("byoyomi:10+3x1", TimeControl("byoyomi", 10.0, 3.0, 1)),
        ("byoyomi:0+2x5", TimeControl("byoyomi", 0.0, 2.0, 5)),
        (" Canadian:10+5/10 ", TimeControl("canadian", 10.0, 5.0, 10)),
    ],
)
def test_parse_time_control(text: str, control: TimeControl) -> None:
    assert parse_time_control(text) == control
    assert parse_time_control(format_time_control(control)) == control


@pytest.mark.parametrize(
    "text",
    ["", "absolute:0", "absolute:1.5", "byoyomi:10+0x1", "byoyomi:10+3x0", "canadian:10+5/0",
     "byoyomi:10+3", "canadian:10+5x10", "fischer:10+1"],
)
def test_parse_time_control_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time_control(text)


# time control, engine knows kgs-time_settings, command sent
TIME_SETTINGS = [
    ("none", True, "kgs-time_settings none"),
    ("none", False, "time_settings 0 1 0"),
    ("absolute:60", True, "kgs-time_settings absolute 60"),
    ("absolute:60", False, "time_settings 60 0 0"),
    ("byoyomi:10+3x2", True, "kgs-time_settings byoyomi 10 3 2"),
    ("byoyomi:10+3x2", False, "time_settings 10 3 1"),
    ("canadian:10+5/10", True, "kgs-time_settings canadian 10 5 10"),
    ("canadian:10+5/10", False, "time_settings 10 5 10"),
]


@pytest.mark.parametrize(("text", "kgs", "command"), TIME_SETTINGS)
def test_time_settings_command(text: str, kgs: bool, command: str) -> None:
    assert time_settings_command(parse_time_control(text), kgs) == command


def test_match_clock_absolute() -> None:
    clock = MatchClock(parse_time_control("absolute:10"))
    assert clock.time_left() == (10, 0)
    assert clock.charge(4.5)
    assert clock.time_left() == (5, 0) and clock.available() == pytest.approx(5.5)
    assert not clock.charge(5.6)  # the flag falls
    assert clock.available() == pytest.approx(5.5)


def test_match_clock_byoyomi_loses_a_period_per_overrun() -> None:
    clock = MatchClock(parse_time_control("byoyomi:5+3x2"))
    assert clock.available() == 11.0
    assert clock.charge(4.0) and clock.time_left() == (1, 0)
    assert clock.charge(3.5)  # 1 s of main time, then 2.5 s of a period: no period lost
    assert clock.time_left() == (3, 2) and clock.time_left(one_stone_periods=True) == (3, 1)
    assert clock.charge(2.9) and clock.time_left() == (3, 2)
    assert clock.charge(4.0)  # overruns one period
    assert clock.time_left() == (3, 1) and clock.available() == 3.0
    assert not clock.charge(3.5)


def test_match_clock_canadian_starts_a_new_period_after_its_stones() -> None:
    clock = MatchClock(parse_time_control("canadian:2+6/3"))
    assert clock.charge(1.5) and clock.time_left() == (6, 3)  # under 1 s of main time left
    assert clock.charge(2.5) and clock.time_left() == (4, 2)  # 2 s of the period used
    assert clock.charge(3.0) and clock.time_left() == (1, 1)
    assert clock.charge(1.0) and clock.time_left() == (6, 3)  # period's stones played
    assert not clock.charge(6.5)


# -- the schedule of handicaps and clocks ---------------------------------------------
def test_schedule_cycles_through_every_combination_and_pairs_share_settings() -> None:
    config = MatchConfig(
        engine1="a", engine2="b", games=18, komi=7.5, handicap_komi=0.5,
        time_controls=("none", "absolute:60", "byoyomi:10+3x1"), handicaps=(0, 2, 4),
    )
    settings = [schedule(config, i) for i in range(18)]
    assert all(settings[2 * i] == settings[2 * i + 1] for i in range(9))
    combos = {(format_time_control(s.time_control), s.handicap) for s in settings
              if s.time_control is not None}
    assert len(combos) == 9
    assert all(s.komi == (7.5 if s.handicap == 0 else 0.5) for s in settings)
    assert schedule(config, 18) == settings[0]
    assert settings[0].handicap != settings[2].handicap  # both change from pair to pair


@pytest.mark.parametrize(("controls", "handicaps"), [(4, 5), (4, 2), (2, 4), (6, 4), (1, 3)])
def test_schedule_cycle_covers_every_combination_when_counts_share_a_factor(
    controls: int, handicaps: int
) -> None:
    texts = tuple(f"absolute:{60 + i}" for i in range(controls))
    config = MatchConfig(engine1="a", engine2="b", size=19, time_controls=texts,
                         handicaps=tuple(range(handicaps)))
    pairs = controls * handicaps
    for start in (0, pairs):
        combos = {(format_time_control(s.time_control), s.handicap)  # type: ignore[arg-type]
                  for s in (schedule(config, 2 * i) for i in range(start, start + pairs))}
        assert len(combos) == pairs


def test_schedule_sample_is_drawn_by_seed() -> None:
    def draw(seed: int) -> list:
        config = MatchConfig(engine1="a", engine2="b", games=40, mix="sample", seed=seed,
                             time_controls=("none", "absolute:60"), handicaps=(0, 1, 2, 3))
        return [schedule(config, i) for i in range(40)]

    first = draw(1)
    assert first == draw(1) and first != draw(2)
    assert all(first[2 * i] == first[2 * i + 1] for i in range(20))
    assert len({s.handicap for s in first}) > 1


def test_no_time_controls_sends_no_clock() -> None:
    settings = schedule(MatchConfig(engine1="a", engine2="b"), 0)
    assert settings.time_control is None and settings.handicap == 0 and settings.komi == 7.5


# -- clocks and handicaps reach the engines -------------------------------------------
def test_time_settings_and_time_left_reach_both_engines(tmp_path: Path) -> None:
    kgs_log, plain_log = tmp_path / "kgs.log", tmp_path / "plain.log"
    config = MatchConfig(
        engine1=fixture("none", "--log", str(kgs_log)),
        engine2=fixture("none", "--log", str(plain_log), "--no-kgs"),
        games=6, size=5, time_controls=("byoyomi:10+3x2", "canadian:10+5/10", "none"),
    )
    match, summary = play(config)
    assert [r.time_control for r in match.records] == [
        "byoyomi:10+3x2", "byoyomi:10+3x2", "canadian:10+5/10", "canadian:10+5/10",
        "none", "none",
    ]
    assert summary["failures"] == {kind: 0 for kind in FAILURE_KINDS}
    kgs = kgs_log.read_text().splitlines()
    plain = plain_log.read_text().splitlines()
    for command in ("kgs-time_settings byoyomi 10 3 2", "kgs-time_settings canadian 10 5 10",
                    "kgs-time_settings none"):
        assert command in kgs
    for command in ("time_settings 10 3 1", "time_settings 10 5 10", "time_settings 0 1 0"):
        assert command in plain
    assert not any(line.startswith("kgs-time_settings") for line in plain)
    # each engine moved once per game (both pass): 4 clocked moves, each after time_left
    for lines in (kgs, plain):
        told = [i for i, line in enumerate(lines) if line.startswith("time_left")]
        assert len(told) == 4
        for i in told:
            color = lines[i].split()[1]
            assert lines[i] == f"time_left {color} 10 0" and lines[i + 1] == f"genmove {color}"


def test_loss_on_time_is_found_by_the_runners_clock() -> None:
    # 1 s per move, 0.8 s charged (lag allowance 0.2 s): the 3 s run out on a later move
    config = MatchConfig(
        engine1=fixture("sleep", "--at", "1", "--sleep", "1.0"), engine2=gnugo(0), games=1,
        size=9, time_controls=("absolute:3",), warmup=False,
    )
    match, summary = play(config)
    (record,) = match.records
    assert record.forfeit is not None and record.forfeit["kind"] == "timeout"
    assert record.forfeit["engine"] == "engine1"
    assert record.result == "W+T" and record.reason == "time"
    assert record.genmoves["engine1"] >= 2  # not the first move: the clock adds up
    assert summary["engine1"]["failures"]["time_loss"] == 1
    assert summary["engine2"]["failures"] == {kind: 0 for kind in FAILURE_KINDS}


def test_byoyomi_periods_keep_a_slow_engine_in_time() -> None:
    # 0.3 s per move, no main time, 2 s periods: never late
    config = MatchConfig(
        engine1=fixture("sleep", "--at", "1", "--sleep", "0.3"), engine2=fixture("none"),
        games=2, size=5, time_controls=("byoyomi:0+2x1",), warmup=False,
    )
    match, summary = play(config)
    assert all(r.forfeit is None and r.reason == "score" for r in match.records)
    assert summary["failures"] == {kind: 0 for kind in FAILURE_KINDS}


def test_handicap_game_places_stones_on_both_engines_and_the_referee(tmp_path: Path) -> None:
    log = tmp_path / "fixture.log"
    config = MatchConfig(
        engine1=fixture("none", "--log", str(log)), engine2=gnugo(0), referee=gnugo(0),
        games=2, size=9, handicaps=(2,), sgf_dir=str(tmp_path / "sgf"),
    )
    match, summary = play(config)
    assert log.read_text().splitlines().count("fixed_handicap 2") == 2
    # GNU Go placed the same stones (the match checks each engine's answer)
    assert summary["forfeits"] == {kind: 0 for kind in FORFEIT_KINDS}
    assert summary["referee"]["scored"] == 2 and summary["referee"]["errors"] == 0
    for record in match.records:
        assert record.handicap == 2 and record.komi == 0.5
        assert record.referee_score is not None
        game = sgf.Sgf_game.from_bytes(Path(str(record.sgf)).read_bytes())
        root = game.get_root()
        assert root.get("HA") == 2 and root.get("KM") == 0.5
        black, white, _ = root.get_setup_stones()
        assert {coords.to_gtp(coords.from_sgf_point(p, 9), 9) for p in black} == {"C3", "G7"}
        assert not white
        first = game.get_main_sequence()[1].get_move()[0]
        assert first == "w"


def test_zerogo_plays_handicap_games_with_byoyomi_under_the_referee() -> None:
    # the opponent passes (GNU Go thinks longer when it is given a clock)
    zerogo_random = shlex.join([sys.executable, "-m", "zerogo", "gtp", "--player", "random",
                                "--handicap-compensation", "chinese"])
    config = MatchConfig(
        engine1=zerogo_random, engine2=fixture("none"), referee=gnugo(0), games=2, size=7,
        handicaps=(2,), time_controls=("byoyomi:0+1x3",),
    )
    match, summary = play(config)
    assert summary["failures"] == {kind: 0 for kind in FAILURE_KINDS}
    assert summary["referee"]["errors"] == 0 and summary["referee"]["scored"] == 2
    assert all(r.moves > 4 and r.handicap == 2 for r in match.records)


# -- the referee ----------------------------------------------------------------------
def test_referee_refuses_an_illegal_move() -> None:
    config = MatchConfig(
        engine1=fixture("illegal"), engine2=gnugo(0), referee=gnugo(0), games=2, size=5,
    )
    match, summary = play(config)
    for record in match.records:
        assert record.forfeit is not None
        assert record.forfeit["kind"] == "illegal" and record.forfeit["source"] == "referee"
        assert "illegal move" in record.forfeit["detail"]
        assert record.winner == "engine2"
        assert [e["kind"] for e in record.events] == ["illegal_move"]
    assert summary["referee"]["illegal"] == 2
    assert summary["engine1"]["failures"]["illegal_move"] == 2


# -- journal and resume ---------------------------------------------------------------
def _games_in(journal: Path) -> int:
    """Return the finished games in a journal (complete lines after the header)."""
    if not journal.exists():
        return 0
    return max(0, journal.read_bytes().count(b"\n") - 1)


def _run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = match_module.run(_parser().parse_args(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_resume_after_a_kill_plays_what_an_uninterrupted_match_plays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = fixture("sleep", "--at", "1", "--sleep", "0.15")
    flags = [
        "--engine1", slow, "--engine2", fixture("none"), "-n", "8", "--size", "7",
        "--opening-moves", "2", "--handicaps", "0,2", "--time-controls", "none,absolute:60",
        "--seed", "5", "--no-warmup", "--json",
    ]
    status, out, _ = _run_cli([*flags, "--sgf-dir", str(tmp_path / "whole")], capsys)
    assert status == 0
    whole = json.loads(out)

    folder = tmp_path / "killed"
    journal = folder / "games.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "zerogo", "match", *flags, "--sgf-dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while _games_in(journal) < 3:
        assert process.poll() is None, "the match ended before it was killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    played = _games_in(journal)
    assert 3 <= played < 8
    with open(journal, "ab") as handle:
        handle.write(b'{"game": ' + str(played).encode() + b', "black": "engi')  # torn

    status, out, err = _run_cli([*flags, "--sgf-dir", str(folder), "--resume",
                                 "--summary", str(folder / "summary.json")], capsys)
    assert status == 0, err
    assert f"{played} of 8 games already played" in err
    resumed = json.loads(out)
    assert json.loads((folder / "summary.json").read_text()) == resumed
    assert [r["game"] for r in resumed["results"]] == list(range(8))
    same = ("black", "white", "handicap", "komi", "time_control", "opening", "result",
            "winner", "reason", "moves", "score")
    assert [{k: r[k] for k in same} for r in resumed["results"]] == [
        {k: r[k] for k in same} for r in whole["results"]
    ]
    assert set(resumed) == set(whole)
    for key in ("games", "draws", "forfeits", "failures", "engine1_win_rate", "elo"):
        assert resumed[key] == whole[key]
    for label in ("engine1", "engine2"):
        for key in ("wins", "wins_black", "wins_white", "losses", "moves", "forfeits",
                    "failures", "restarts"):
            assert resumed[label][key] == whole[label][key]
    lines = journal.read_text().splitlines()
    assert [json.loads(line)["game"] for line in lines[1:]] == list(range(8))
    assert sorted(p.name for p in folder.glob("*.sgf")) == [f"game_{i:04d}.sgf" for i in range(8)]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_match_started_in_the_background_stops_on_a_signal_with_its_report(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """A match started with ``nohup ... &`` inherits an ignored SIGINT: it must still
    stop on SIGINT (as on Ctrl-C) and on SIGTERM, keep its finished games and write its
    report, rather than play on until killed."""
    folder = tmp_path / "match"
    summary = folder / "summary.json"
    slow = fixture("sleep", "--at", "1", "--sleep", "0.15")
    process = subprocess.Popen(
        [sys.executable, "-m", "zerogo", "match", "--engine1", slow, "--engine2",
         fixture("none"), "-n", "200", "--size", "7", "--no-warmup", "--json",
         "--sgf-dir", str(folder), "--summary", str(summary)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    journal = folder / "games.jsonl"
    deadline = time.monotonic() + 120
    while _games_in(journal) < 2:
        assert process.poll() is None, "the match ended before the signal"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(sig)  # to the match alone, not its engines
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 130
    report = json.loads(out)
    assert report["interrupted"] is True
    assert json.loads(summary.read_text()) == report
    played = _games_in(journal)
    assert 2 <= played < 200 and report["games"] == played


def test_resume_refuses_a_journal_of_other_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "match.jsonl"
    flags = ["--engine1", fixture("none"), "--engine2", fixture("none"), "--size", "5",
             "--no-sgf", "--no-warmup", "--journal", str(journal), "--json"]
    assert _run_cli([*flags, "-n", "2"], capsys)[0] == 0
    status, _, err = _run_cli([*flags, "-n", "2"], capsys)
    assert status == 2 and "pass --resume" in err
    status, _, err = _run_cli([*flags, "-n", "2", "--resume", "--komi", "6.5"], capsys)
    assert status == 2 and "other settings" in err and "komi 7.5 there, 6.5 here" in err
    status, _, err = _run_cli([*flags, "-n", "2", "--resume", "--handicaps", "0,1"], capsys)
    assert status == 2 and "handicaps" in err
    status, _, err = _run_cli([*flags, "-n", "1", "--resume"], capsys)
    assert status == 2 and "more than the 1 asked for" in err
    status, out, _ = _run_cli([*flags, "-n", "4", "--resume"], capsys)  # a longer match
    assert status == 0 and json.loads(out)["games"] == 4
    status, _, err = _run_cli(["--engine1", fixture("none"), "--engine2", fixture("none"),
                               "--resume"], capsys)
    assert status == 2 and "--resume needs --journal" in err


def test_journal_is_locked_drops_a_torn_last_line_and_refuses_a_corrupt_one(tmp_path: Path) -> None:
    path = tmp_path / "games.jsonl"
    settings = {"size": 9}
    journal = MatchJournal(path)
    assert journal.open(settings, resume=True, games=3) == []
    journal.append(GameRecord(game=0, black="engine1", white="engine2", result="B+R"))
    with pytest.raises(JournalError, match="in use by another match"):
        MatchJournal(path).open(settings, resume=True, games=3)
    journal.close()
    with open(path, "ab") as handle:
        handle.write(b"not json at all\n")  # a last line garbled by a crash
    again = MatchJournal(path)
    records = again.open(settings, resume=True, games=3)
    again.close()
    assert [(r.game, r.result) for r in records] == [(0, "B+R")]
    assert path.read_bytes().count(b"\n") == 2  # the garbled line is gone
    with open(path, "ab") as handle:
        handle.write(b"garbage\n" + path.read_bytes().splitlines(keepends=True)[1])
    with pytest.raises(JournalError, match="line 3"):
        MatchJournal(path).open(settings, resume=True, games=3)
