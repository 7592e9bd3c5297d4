"""``zerogo train`` with KataGo's options on: global pooling, auxiliary heads, ladder planes.

One tiny generation on 5x5 (the TINY settings of test_pipeline) with every option,
then the checkpoints must carry the options and the saved settings must show them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.zerogo.test_pipeline import TINY, assert_network_plays, zerogo

OPTIONS = [
    "--preset",
    "b2c16-pool1-poolhead-score-opp-stv",
    "--features",
    "liberties,ladder",
    "--score-weight",
    "0.5",
    "--opponent-policy-weight",
    "0.2",
    "--short-term-value-weight",
    "0.4",
    "--short-term-horizon",
    "4",
    "--gate-games",
    "4",
    "--backend",
    "torch",
]


@pytest.mark.parametrize("flags", [["--help"]])
def test_help_documents_the_options(flags: list[str]) -> None:
    done = subprocess.run(zerogo("train", *flags), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for words in ("-poolK", "-poolhead", "-score", "-opp", "-stv", "ladder", "--score-weight",
                  "--opponent-policy-weight", "--short-term-value-weight", "--short-term-horizon",
                  "--features"):  # fmt: skip
        assert words in text, words


def test_one_generation_with_every_option(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done = subprocess.run(
        zerogo("train", "--run-dir", str(run_dir), "--generations", "1", *TINY, *OPTIONS),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    settings = json.loads((run_dir / "pipeline.json").read_text())
    assert settings["preset"] == "b2c16-pool1-poolhead-score-opp-stv"
    assert settings["features"] == ["liberties", "ladder"]
    assert settings["train"]["score_weight"] == 0.5
    assert settings["train"]["short_term_horizon"] == 4.0
    from nn.checkpoint import read_checkpoint

    trainee = read_checkpoint(run_dir / "trainee.pt")
    config = trainee.net_config
    assert config.name == "b2c16-pool1-poolhead-score-opp-stv"
    assert config.heads == ("score", "opponent_policy", "short_term_value")
    assert trainee.feature_config.extra == ("liberties", "ladder")
    assert config.in_planes == 17 + 8 + 3
    assert trainee.metadata["step"] > 0
    for path in (run_dir / "networks").glob("*.pt"):
        assert_network_plays(path)
    # the auxiliary heads were trained, not just carried along
    first = read_checkpoint(run_dir / "networks" / "gen-0000.pt").state_dict
    for name in ("score_out.weight", "short_term_value_out.weight", "policy_head.pass_fc.weight"):
        assert not (trainee.state_dict[name] == first[name]).all(), name
