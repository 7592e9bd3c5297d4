"""The other trunks (nn.trunks) end to end: a checkpoint of each plays over GTP, and
``zerogo train --preset`` runs a generation (self-play, training, gating) with each.

Tiny networks on 5x5, searched with a few visits: the point is that a checkpoint
alone rebuilds its trunk in a fresh process and the player uses it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TINY_TRUNKS = ["mb2c16", "dn2c16", "tf2c16-gn"]


def checkpoint_of(name: str, folder: Path) -> Path:
    """Save a random network of preset ``name`` for 5x5 in ``folder``; return the file."""
    import torch

    from nn.checkpoint import save_checkpoint
    from nn.go_net import GoNet, preset

    torch.manual_seed(0)
    config = preset(name, 5)
    return save_checkpoint(folder / f"{name}.pt", GoNet(config), config, {"name": name})


@pytest.mark.parametrize("name", TINY_TRUNKS)
def test_a_checkpoint_of_each_trunk_plays_over_gtp(name: str, tmp_path: Path) -> None:
    weights = checkpoint_of(name, tmp_path)
    command = [
        sys.executable,
        "-m",
        "zerogo",
        "gtp",
        "--player",
        "net",
        "--weights",
        str(weights),
        "--size",
        "5",
        "--visits",
        "8",
        "--threads",
        "1",
        "--backend",
        "torch",
    ]
    done = subprocess.run(
        command, cwd=REPO, input="genmove b\nquit\n", capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    reply = done.stdout.split("\n\n")[0]
    assert re.fullmatch(r"= ([A-E][1-5]|pass)", reply.strip()), done.stdout


@pytest.mark.parametrize(
    "name, trunk", [("mb2c16", "mobilenet"), ("dn2c16", "densenet"), ("tf2c16", "transformer")]
)
def test_zerogo_train_runs_a_generation_with_each_trunk(
    name: str, trunk: str, tmp_path: Path
) -> None:
    """Self-play, training and gating (the resnet is the pipeline tests' default)."""
    import json

    from nn.checkpoint import read_checkpoint

    run_dir = tmp_path / "run"
    flags = (
        f"--size 5 --preset {name} --games-per-generation 8 --min-games 8 --workers 1 "
        "--visits 8 --slots 8 --games-per-shard 4 --gate-games 4 --gate-visits 8 "
        "--batch-size 16 --dtype float32 --window 100 --random-moves 4 --backend torch --quiet"
    ).split()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "zerogo",
            "train",
            "--run-dir",
            str(run_dir),
            "--generations",
            "1",
            *flags,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    checkpoints = sorted(run_dir.rglob("*.pt"))
    assert checkpoints, list(run_dir.rglob("*"))
    for path in checkpoints:
        config = read_checkpoint(path).net_config
        assert config.trunk == trunk and config.name == name
    history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    assert len(history) == 1 and history[0]["games"] >= 1  # a gating decision was made
