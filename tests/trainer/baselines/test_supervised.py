"""The SL -> RL -> value pipeline on GNU Go's games (generated here by the script).

GNU Go must be installed at /usr/games/gnugo: without it these tests fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.sgf import load_sgf_file
from nn.checkpoint import read_checkpoint
from selfplay.shards import read_shard
from trainer.baselines.policy_net import BASELINE_FEATURES
from trainer.baselines.reinforce import PGConfig, train_pg
from trainer.baselines.rollout import GameSpec, RandomPolicy
from trainer.baselines.supervised import SLConfig, load_examples, train_supervised
from trainer.baselines.value_net import ValueConfig, collect_positions, fit_value, train_value
from zerogo.gtp_client import GNUGO

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "make_gnugo_games.py"


def make_games(out: Path, games: int, fmt: str, seed: int) -> None:
    assert Path(GNUGO).exists(), f"GNU Go is needed at {GNUGO}"
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--format", fmt, "--games", str(games),
         "--size", "5", "--komi", "0.5", "--level", "1", "--random-moves", "2",
         "--seed", str(seed)],
        cwd=REPO, check=True, capture_output=True, timeout=300,
    )


@pytest.fixture(scope="module")
def gnugo_games(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("gnugo")
    make_games(root / "sgf", 24, "sgf", seed=1)
    make_games(root / "games.npz", 8, "shard", seed=2)
    return root / "sgf", root / "games.npz"


def test_script_marks_the_random_opening_and_records_the_result(gnugo_games) -> None:
    sgf_dir, shard = gnugo_games
    files = sorted(sgf_dir.glob("*.sgf"))
    assert len(files) == 24
    for path in files:
        game = load_sgf_file(path)  # replays every move under zerogo's rules
        assert game.size == 5 and game.komi == 0.5
        assert [m.comment for m in game.moves[:2]] == ["random", "random"]
        assert all(m.comment == "" for m in game.moves[2:])
        assert game.result is not None and game.result.reason == "score"  # never resigns
    arrays = read_shard(shard)
    assert len(arrays["game_ids"]) == 8
    first = arrays["game_offsets"][:-1]
    assert not arrays["policy_target"][first].any() and not arrays["policy_target"][first + 1].any()
    assert arrays["policy_target"][first + 2].all()


def test_sl_policy_imitates_gnugo(gnugo_games, tmp_path) -> None:
    sgf_dir, shard = gnugo_games
    examples = load_examples([sgf_dir, shard], 5)
    sgf_only = load_examples([sgf_dir], 5)
    assert len(np.unique(examples.game)) == 32
    assert all(examples.legal[i, a] for i, a in enumerate(examples.actions))
    out = tmp_path / "sl5.pt"
    config = SLConfig(size=5, preset="b1c32", epochs=40, batch_size=64, lr=3e-3, seed=0)
    result = train_supervised(config, examples, out=out)
    chance = float(np.mean(1.0 / examples.legal.sum(axis=1)))
    print(f"sl: {len(sgf_only)} + shard examples, train accuracy {result.train_accuracy:.2f}, "
          f"held out {result.holdout_accuracy:.2f}, chance {chance:.2f}")
    assert result.train_accuracy >= 0.4 > 4 * chance
    assert result.holdout_accuracy > 2 * chance
    assert read_checkpoint(out).metadata["kind"] == "sl"
    # RL starts from the SL network, then the value network regresses on RL self-play
    rl_out = tmp_path / "rl5.pt"
    rl = train_pg(PGConfig(size=5, komi=0.5, init=str(out), iterations=5,
                           games_per_iteration=8, eval_every=0), rl_out)
    x = torch.from_numpy(examples.obs[:4])
    assert rl.initial(x)[0].allclose(result.model(x)[0])  # it started from SL
    assert read_checkpoint(rl_out).metadata["config"]["init"] == str(out)
    spec = GameSpec(5, 0.5, BASELINE_FEATURES)
    value = train_value(ValueConfig(games=64, epochs=2, preset="b1c8"), rl.model,
                        BASELINE_FEATURES, spec, tmp_path / "value5.pt")
    assert 0 < value.positions <= 64
    assert read_checkpoint(tmp_path / "value5.pt").metadata["kind"] == "value"


def test_value_network_learns_from_one_position_per_game() -> None:
    # random games: late positions predict the outcome, and the labels are exact
    spec = GameSpec(5, 0.5, BASELINE_FEATURES)
    data = collect_positions(RandomPolicy(), spec, 3000, seed=1, max_random_ply=40)
    assert 2500 < len(data) <= 3000  # one per game; a game ending before U + 1 gives none
    assert (data.ply >= 1).all() and (data.ply <= 41).all()
    assert len(np.unique(data.ply)) > 30  # U is spread over the game
    assert set(np.unique(data.z).tolist()) <= {-1.0, 1.0}  # half komi: no draws
    config = ValueConfig(preset="b1c16", epochs=3, lr=2e-3, seed=0)
    result = fit_value(config, data, BASELINE_FEATURES, spec)
    print(f"value: held-out mse {result.holdout_mse:.3f} vs {result.holdout_baseline_mse:.3f}")
    assert result.holdout_mse < 0.75 * result.holdout_baseline_mse
