"""The yardstick (zerogo.ladder): the one-dimensional Elo fit, the adaptive choice of
rungs, a placement against simulated rungs of known strength, and a real placement
over GTP on a small ladder."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from pathlib import Path

import pytest

from zerogo.elo import PairResult, fit_elo
from zerogo.ladder import (
    Ladder,
    RungResult,
    choose_rung,
    estimate,
    place,
    rung_entrants,
)

RUNGS = {"r0": 0.0, "r1": 200.0, "r2": 400.0, "r3": 600.0, "r4": 800.0}


def ladder(elo: dict[str, float] = RUNGS) -> Ladder:
    return Ladder(9, 7.5, dict(elo), dict(elo), dict(elo), {k: "unused" for k in elo})


def test_an_even_score_against_one_rung_is_that_rungs_elo() -> None:
    elo, low, high = estimate([RungResult("r2", wins=10, draws=0, games=20)], RUNGS)
    assert elo == pytest.approx(400.0, abs=1e-6)
    assert low < 400 < high and high - low == pytest.approx(2 * (400 - low))


def test_the_estimate_agrees_with_the_league_fit_when_rungs_are_fixed() -> None:
    # one rung: the 1-D fit with a virtual draw equals fit_elo's pair estimate
    elo, _, _ = estimate([RungResult("r1", wins=15, draws=2, games=20)], RUNGS)
    fit = fit_elo(["r1", "x"], [PairResult("x", "r1", 15, 3, 2)], anchor="r1", prior_draws=1.0)
    assert elo - 200.0 == pytest.approx(fit.ratings[1], abs=0.5)


def test_all_wins_stay_finite_and_more_games_narrow_the_interval() -> None:
    few = estimate([RungResult("r4", 4, 0, 4)], RUNGS)
    many = estimate([RungResult("r4", 30, 0, 40), RungResult("r3", 35, 0, 40)], RUNGS)
    assert 800 < few[0] < 1400 and math.isfinite(few[2])
    assert many[2] - many[1] < few[2] - few[1]
    with pytest.raises(ValueError):
        estimate([], RUNGS)


def test_the_nearest_rung_is_chosen_and_ties_go_to_the_less_played() -> None:
    assert choose_rung([], RUNGS, 390.0) == "r2"
    assert choose_rung([], RUNGS, 10_000.0) == "r4"
    assert choose_rung([RungResult("r1", 1, 0, 8)], RUNGS, 300.0) == "r2"


@pytest.mark.parametrize("true_elo", [-150.0, 330.0, 1000.0])
def test_placement_against_simulated_rungs_finds_the_true_elo(true_elo: float) -> None:
    rng = random.Random(int(true_elo))
    played: list[str] = []

    def play_round(rung: str, command: str, seed: int) -> tuple[int, int, int]:
        played.append(rung)
        p = 1 / (1 + 10 ** (-(true_elo - RUNGS[rung]) / 400))
        wins = sum(rng.random() < p for _ in range(2))
        return wins, 0, 2

    result = place("sim", "unused", ladder(), target=100.0, max_games=400,
                   play_round=play_round, log=lambda _: None)
    assert (result.high - result.low) / 2 <= 100.0
    assert result.low - 60 <= true_elo <= result.high + 60
    assert result.games == 2 * len(played)
    # it spends its games near its level: most on the rung nearest the truth
    nearest = min(RUNGS, key=lambda r: abs(RUNGS[r] - true_elo))
    assert played.count(nearest) >= len(played) / 3


def test_the_calibration_round_robin_plays_only_neighbouring_rungs() -> None:
    from zerogo.league import League, LeagueConfig

    entrants = rung_entrants()
    assert [e.name for e in entrants] == [
        "random", "mcts-10", "mcts-30", "mcts-100", "mcts-300", "mcts-1000", "mcts-3000",
        "mcts-10000", "gnugo-10",
    ]
    assert all("--threads 1" in e.command for e in entrants if e.kind == "mcts")
    league = League(entrants, LeagueConfig(max_gap=2), log=lambda _: None)
    pairs = [(f.name, s.name) for _, f, s in league.pairs()]
    assert len(pairs) == 8 + 7
    assert ("random", "mcts-30") in pairs and ("random", "mcts-100") not in pairs


def test_the_shipped_ladder_file_is_calibrated_and_ordered() -> None:
    shipped = Path(__file__).parents[2] / "zerogo" / "ladder.json"
    if not shipped.exists():
        pytest.fail("zerogo/ladder.json is missing: run zerogo ladder calibrate")
    data = json.loads(shipped.read_text())
    names = [r["name"] for r in data["rungs"]]
    assert names[0] == "random" and data["rungs"][0]["elo"] == 0.0
    assert all(r["low"] <= r["elo"] <= r["high"] for r in data["rungs"])
    elos = [r["elo"] for r in data["rungs"] if r["name"].startswith("mcts")]
    assert elos == sorted(elos), "more playouts must not rate lower"
    assert data["calibration"]["games"] >= 100


def test_a_real_placement_over_gtp(tmp_path: Path) -> None:
    """Random against a two-rung ladder (random, mcts-10) on 9x9, two games."""
    python = sys.executable
    rungs = {
        "size": 9,
        "komi": 7.5,
        "anchor": "random",
        "rungs": [
            {"name": "random", "command": "{python} -m zerogo gtp --player random --seed 3",
             "elo": 0.0, "low": 0.0, "high": 0.0, "games": 1},
            {"name": "mcts-10",
             "command": "{python} -m zerogo gtp --player mcts --playouts 10 --threads 1",
             "elo": 300.0, "low": 250.0, "high": 350.0, "games": 1},
        ],
    }
    path = tmp_path / "ladder.json"
    path.write_text(json.dumps(rungs))
    out = tmp_path / "placed.jsonl"
    done = subprocess.run(
        [python, "-m", "zerogo", "ladder", "place", "--engine",
         f"{python} -m zerogo gtp --player random --seed 5", "--name", "rnd",
         "--ladder-file", str(path), "--max-games", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads(out.read_text().splitlines()[-1])
    assert record["player"] == "rnd" and record["games"] == 2
    assert record["low"] <= record["elo"] <= record["high"]
    assert record["cpu_seconds"] > 0
    assert record["results"][0]["rung"] in ("random", "mcts-10")
