"""scripts/plot_campaign.py: the bar on the ladder's scale, the fit, and the picture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def plot_campaign():
    return load_script("plot_campaign")


def test_mcts_elo_extends_the_strongest_rungs_on_a_log_scale(plot_campaign) -> None:
    rungs = {"random": 0.0, "mcts-10": 500.0, "mcts-100": 1000.0, "mcts-1000": 1300.0,
             "mcts-10000": 1600.0, "gnugo-10": 1800.0}  # fmt: skip
    assert plot_campaign.mcts_elo(rungs, 100_000) == pytest.approx(1900.0)
    assert plot_campaign.mcts_elo(rungs, 1000) == pytest.approx(1300.0)


def test_straight_line_needs_two_points_and_a_rise(plot_campaign) -> None:
    assert plot_campaign.straight_line([1.0], [800.0], [50.0]) is None
    assert plot_campaign.straight_line([0.0, 2.0], [900.0, 800.0], [50.0, 50.0]) is None
    slope, offset = plot_campaign.straight_line([0.0, 2.0], [800.0, 900.0], [50.0, 50.0])
    assert slope == pytest.approx(50.0) and offset == pytest.approx(800.0)


def _two_networks(tmp_path: Path) -> tuple[list[str], Path]:
    """A run with gen-0000 and gen-0001 placed; the plot's arguments and output file."""
    run = tmp_path / "run"
    run.mkdir()
    lines = [
        {"player": "gen-0000", "elo": 800.0, "low": 700.0, "high": 900.0, "run_cpu_hours": 0.0},
        {"player": "gen-0001", "elo": 900.0, "low": 820.0, "high": 980.0, "run_cpu_hours": 2.0},
    ]
    (run / "ladder.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "plot.png"
    return ["--run-dir", str(run), "--log", str(tmp_path / "none.jsonl"), "--out", str(out)], out


def test_the_plot_is_written_with_the_bar(plot_campaign, tmp_path: Path, capsys) -> None:
    argv, out = _two_networks(tmp_path)
    assert plot_campaign.main(argv) == 0
    assert out.stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "bar" in printed and "CPU-hours" in printed


def test_a_restarted_campaign_is_drawn_as_two_runs(plot_campaign, tmp_path: Path, capsys) -> None:
    """The run a campaign restarted into starts at the CPU-hours it inherited; the plot
    draws both runs, marks the handover and fits all their networks."""
    old, new = tmp_path / "run", tmp_path / "kata"
    for run, preset in ((old, "b6c64"), (new, "b6c64-pool3-score-opp-stv")):
        run.mkdir()
        (run / "pipeline.json").write_text(json.dumps({"preset": preset}))
    (new / "state.json").write_text(json.dumps({"cpu_seconds": {"inherited": 6.5 * 3600}}))
    assert plot_campaign.inherited_hours(new) == pytest.approx(6.5)
    assert plot_campaign.inherited_hours(old) is None
    assert plot_campaign.run_label(new) == "kata (b6c64-pool3-score-opp-stv)"
    placed = {
        old: [("gen-0000", 800.0, 0.0), ("gen-0003", 890.0, 5.0)],
        new: [("gen-0001", 1000.0, 8.0)],
    }
    for run, rows in placed.items():
        lines = [{"player": n, "network": n, "elo": e, "low": e - 90, "high": e + 90,
                  "run_cpu_hours": h} for n, e, h in rows]  # fmt: skip
        (run / "ladder.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "plot.png"
    argv = ["--run-dir", str(old), "--run-dir", str(new), "--log", str(tmp_path / "no.jsonl"),
            "--out", str(out)]  # fmt: skip
    assert plot_campaign.main(argv) == 0
    assert out.stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "3 networks of 2 run(s)" in printed and "fit meets it" in printed


def test_equal_time_matches_are_parsed_and_drawn(plot_campaign, tmp_path: Path) -> None:
    assert plot_campaign.parse_equal_time(["gen-0015=73-27", "g=0-1"]) == {
        "gen-0015": (73, 27), "g": (0, 1)}
    for bad in ("gen-0015", "gen-0015=73", "=1-2", "gen-0015=a-b"):
        with pytest.raises(SystemExit, match="NAME=W-L"):
            plot_campaign.parse_equal_time([bad])
    argv, out = _two_networks(tmp_path)
    argv += ["--equal-time", "gen-0001=61-39", "--equal-time", "run/gen-0000=5-95"]
    assert plot_campaign.main(argv) == 0
    assert out.stat().st_size > 10_000
