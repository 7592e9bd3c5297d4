"""``zerogo compress distill`` and ``zerogo compress prune`` end to end, on tiny networks.

Both run on the fixed dataset (``benchmarks/dataset``) with a few dozen samples: the
point is that they train, measure, print their report and write a checkpoint that
the players load — a channel-pruned one answers ``genmove`` over GTP in a fresh
process.  Their modules import no torch until they run (``zerogo compress --help``
imports them).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from zerogo import compress_distill, compress_prune

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "benchmarks" / "dataset"
TINY = ["--batch-size", "16", "--eval-positions", "48", "--threads", "1", "--quiet"]


@pytest.fixture(autouse=True)
def one_thread():  # type: ignore[no-untyped-def]
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def run_action(module: object, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)  # type: ignore[attr-defined]
    return int(module.run(parser.parse_args(list(argv))))  # type: ignore[attr-defined]


def network(folder: Path, name: str, size: int = 9) -> Path:
    """Save a random network of preset ``name`` (17 planes) and return its file."""
    import torch

    from nn.checkpoint import save_checkpoint
    from nn.go_net import GoNet, preset

    torch.manual_seed(0)
    config = preset(name, size)
    return save_checkpoint(folder / f"{name}.pt", GoNet(config), config, {"name": name})


@pytest.mark.parametrize("raw", [False, True])
def test_distill_trains_a_student_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: bool
) -> None:
    from nn.checkpoint import read_checkpoint

    teacher = network(tmp_path, "b1c16")
    out, record = tmp_path / "student.pt", tmp_path / "report.json"
    flags = ["--raw-targets-only"] if raw else ["--temperature", "2", "--alpha", "0.7"]
    status = run_action(
        compress_distill,
        *("--teacher", str(teacher), "--student", "b1c8", "--data", str(DATA)),
        *("--samples", "32", "-o", str(out), "--json", str(record), *TINY, *flags),
    )
    text = capsys.readouterr().out
    assert status == 0, text
    assert re.search(r"policy top-1 \(test\)\s+\d\.\d{4}\s+\d\.\d{4}", text), text
    assert "top-1 agreement w/ teacher" in text and "value MSE" in text
    checkpoint = read_checkpoint(out)
    assert checkpoint.net_config.name == "b1c8"
    assert checkpoint.metadata["parent"] == "b1c16"
    assert checkpoint.metadata["distill"]["raw_targets_only"] is raw
    columns = json.loads(record.read_text())["columns"]
    assert columns["student"]["positions"] == 48
    assert 0.0 <= columns["student"]["agreement"] <= 1.0


def test_prune_channels_shrinks_the_tower_and_magnitude_reaches_its_sparsity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from nn.checkpoint import load_checkpoint

    weights = network(tmp_path, "b2c16")
    common = ["--weights", str(weights), "--data", str(DATA), "--amount", "0.5", *TINY]
    out = tmp_path / "channels.pt"
    status = run_action(
        compress_prune, *common, "--method", "channels", "--steps", "2",
        "--finetune-samples", "32", "--calibration-positions", "32", "-o", str(out),
    )  # fmt: skip
    text = capsys.readouterr().out
    assert status == 0, text
    assert "round 2/2: middle widths [8, 8], refit residuals" in text and "b2c16-i8" in text
    model, config, extra = load_checkpoint(out)
    assert config.inner_channels == (8, 8) and extra["origin"] == "prune"
    assert model.tower[0].first.conv.weight.shape == (8, 16, 3, 3)

    out = tmp_path / "sparse.pt"
    status = run_action(
        compress_prune, *common, "--method", "magnitude", "--steps", "2",
        "--finetune-samples", "0", "-o", str(out),
    )  # fmt: skip
    text = capsys.readouterr().out
    assert status == 0, text
    model, config, extra = load_checkpoint(out)
    assert config.inner_channels == () and extra["prune"]["sparsity"] == pytest.approx(0.5, 1e-3)
    assert "nonzero parameters" in text


def test_bad_options_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = network(tmp_path, "b1c8-ln")
    status = run_action(
        compress_prune, "--weights", str(weights), "--method", "channels", "-o",
        str(tmp_path / "x.pt"), *TINY,
    )  # fmt: skip
    assert status == 2
    assert "per-channel norm" in capsys.readouterr().out
    status = run_action(
        compress_distill, "--teacher", str(weights), "--student", "b1c8", "--samples", "-1",
        "-o", str(tmp_path / "y.pt"),
    )  # fmt: skip
    assert status == 2


def test_a_channel_pruned_checkpoint_plays_over_gtp_and_in_play(tmp_path: Path) -> None:
    from engine.game import Game
    from engine.player import RESIGN
    from nn.checkpoint import load_checkpoint, save_checkpoint
    from nn.compress.prune import prune_channels
    from zerogo.players import add_player_arguments, make_player

    model, _, _ = load_checkpoint(network(tmp_path, "b2c16", size=5))
    prune_channels(compress_prune.tower_blocks(model), 0.5, scope="global")
    pruned = compress_prune.rebuild(model)
    assert pruned.config.inner_channels  # narrower than 16 somewhere
    weights = save_checkpoint(tmp_path / "pruned.pt", pruned, pruned.config)

    parser = argparse.ArgumentParser()  # zerogo play's player: the same loader as gtp
    add_player_arguments(parser)
    player = make_player(
        parser.parse_args(["--player", "net", "--weights", str(weights), "--visits", "4",
                           "--threads", "1", "--backend", "torch"])
    )  # fmt: skip
    game = Game(5)
    decision = player.genmove(game, game.to_move)
    assert decision.action != RESIGN and game.board.is_legal(decision.action)

    command = [
        sys.executable, "-m", "zerogo", "gtp", "--player", "net", "--weights", str(weights),
        "--size", "5", "--visits", "8", "--threads", "1", "--backend", "torch",
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=REPO, input="genmove b\nquit\n", capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.fullmatch(r"= ([A-E][1-5]|pass)", done.stdout.split("\n\n")[0].strip()), done.stdout


def test_the_action_modules_import_no_torch() -> None:
    code = (
        "import sys, zerogo.compress_distill, zerogo.compress_prune; print('torch' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr
