"""``zerogo baseline``: flags map onto the configs; each trainer writes a playable file."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import pytest

from engine.game import Game
from engine.random_player import RandomPlayer
from engine.sgf import save_sgf
from nn.checkpoint import read_checkpoint
from trainer.baselines.dqn import DQNConfig
from trainer.baselines.q_net import load_q_checkpoint
from trainer.baselines.qlearning import QLearningConfig, QTable
from trainer.baselines.reinforce import PGConfig
from trainer.baselines.supervised import SLConfig
from trainer.baselines.value_net import ValueConfig
from zerogo import baseline


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zerogo baseline")
    baseline.add_arguments(parser)
    return parser


def run(*argv: str) -> int:
    return baseline.run(parser().parse_args(list(argv)))


@pytest.mark.parametrize("command, config", [
    ("pg", PGConfig), ("sl", SLConfig), ("value", ValueConfig), ("qlearn", QLearningConfig),
    ("dqn", DQNConfig),
])
def test_every_config_field_has_its_flag_and_default(command: str, config: type) -> None:
    required = {"sl": ["--data", "x"], "value": ["--policy", "x"]}.get(command, [])
    args = parser().parse_args([command, *required])
    for field in dataclasses.fields(config):
        assert getattr(args, field.name) == field.default, field.name
    help_text = parser()._subparsers._group_actions[0].choices[command].format_help()  # type: ignore[union-attr]
    assert "--games" in help_text or "--episodes" in help_text or "--epochs" in help_text


def test_flags_reach_the_config() -> None:
    args = parser().parse_args(["dqn", "--size", "5", "--no-double", "--epsilon-end", "0.2"])
    config = baseline._config(args, "trainer.baselines.dqn:DQNConfig")
    assert (config.size, config.double, config.epsilon_end) == (5, False, 0.2)


def test_qlearn_writes_a_table_and_the_epsilon_plot(tmp_path: Path, capsys) -> None:
    out = tmp_path / "q.npz"
    assert run("qlearn", "--episodes", "300", "--out", str(out), "--no-log", "--quiet") == 0
    assert QTable.load(out).episodes == 300
    plot = tmp_path / "eps.png"
    assert run("qlearn", "--episodes", "300", "--opponent", "random", "--alpha", "0.2",
               "--epsilons", "0,1", "--plot", str(plot), "--quiet") == 0
    assert plot.read_bytes().startswith(b"\x89PNG")
    assert "epsilon 1:" in capsys.readouterr().out


def test_pg_value_dqn_and_eval_end_to_end(tmp_path: Path, capsys) -> None:
    pg = tmp_path / "pg.pt"
    tb = tmp_path / "tb"
    assert run("pg", "--size", "5", "--komi", "0.5", "--preset", "b1c8", "--iterations", "2",
               "--games-per-iteration", "4", "--eval-every", "1", "--eval-games", "4",
               "--out", str(pg), "--log-dir", str(tb / "pg"), "--quiet") == 0
    assert read_checkpoint(pg).metadata["kind"] == "pg"
    assert list((tb / "pg").glob("events.out.tfevents.*"))
    value = tmp_path / "value.pt"
    assert run("value", "--policy", str(pg), "--games", "16", "--epochs", "1", "--preset",
               "b1c8", "--out", str(value), "--no-log", "--quiet") == 0
    assert read_checkpoint(value).metadata["kind"] == "value"
    dqn = tmp_path / "dqn.pt"
    assert run("dqn", "--size", "5", "--komi", "0.5", "--preset", "b1c8", "--rounds", "2",
               "--games-per-round", "4", "--updates-per-round", "2", "--batch-size", "8",
               "--eval-every", "1", "--eval-games", "4", "--out", str(dqn),
               "--log-dir", str(tb / "dqn"), "--quiet") == 0
    assert load_q_checkpoint(dqn)[2]["kind"] == "dqn"
    capsys.readouterr()
    for path in (pg, dqn):
        assert run("eval", str(path), "--games", "4") == 0
        assert "vs random on 5x5, komi 0.5" in capsys.readouterr().out
    assert run("eval", str(pg), "--against", str(dqn), "--games", "2", "--json") == 0
    record = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert record["games"] == 2 == record["wins"] + record["losses"] + record["draws"]
    assert record["against"] == str(dqn) and record["size"] == 5
    for path in (pg, dqn):  # the untrained network is kept for the "beats initial" check
        initial = path.with_name(f"{path.stem}-initial.pt")
        assert run("eval", str(path), "--against", str(initial), "--games", "2") == 0
    assert run("eval", str(tmp_path / "missing.pt")) == 2


def test_sl_trains_on_sgf_files(tmp_path: Path, capsys) -> None:
    data = tmp_path / "games"
    data.mkdir()
    player = RandomPlayer(seed=0)
    for i in range(3):
        game = Game(5, 0.5)
        while not game.is_over and len(game.moves) < 30:
            game.play(player.genmove(game, game.to_move).action)
        (data / f"g{i}.sgf").write_bytes(save_sgf(game))
    out = tmp_path / "sl.pt"
    assert run("sl", "--data", str(data), "--size", "5", "--preset", "b1c8", "--epochs", "1",
               "--out", str(out), "--no-log", "--quiet") == 0
    assert read_checkpoint(out).metadata["kind"] == "sl"
    assert "examples from 3 games" in capsys.readouterr().out


def test_runs_through_the_zerogo_command(tmp_path: Path, monkeypatch) -> None:
    from zerogo import cli

    monkeypatch.setitem(cli.SUBCOMMANDS, "baseline", ("zerogo.baseline", baseline.HELP))
    out = tmp_path / "q.npz"
    argv = ["baseline", "qlearn", "--episodes", "50", "--out", str(out), "--no-log", "--quiet"]
    assert cli.main(argv) == 0
    assert out.exists()
