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


def _config(*flags: str):
    import argparse

    from zerogo.train import add_arguments, build_config

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return build_config(parser.parse_args(list(flags)))


def test_a_new_run_takes_the_comparison_s_winner(tmp_path: Path) -> None:
    """The default scheme is gumbel-kata-pcr; --scheme picks another, explicit flags
    override its parts, a resumed run keeps its saved settings, --init keeps its net."""
    from zerogo.train import DEFAULT_SCHEME

    assert DEFAULT_SCHEME == "gumbel-kata-pcr"
    new = _config("--run-dir", str(tmp_path / "new"))
    assert new.selfplay.gumbel is not None and new.selfplay.gumbel.simulations == 16
    assert new.preset == "b6c64-pool3-score-opp-stv"
    assert new.features == ("liberties", "ladder")
    assert (new.selfplay.full_search_prob, new.selfplay.fast_visits) == (0.25, 4)

    agz = _config("--run-dir", str(tmp_path / "agz"), "--scheme", "agz")
    assert agz.selfplay.gumbel is None and agz.preset == "b6c64" and agz.features == ()
    assert agz.selfplay.full_search_prob == 1.0

    mixed = _config("--run-dir", str(tmp_path / "m"), "--gumbel", "8", "--features", "none",
                    "--preset", "b2c16", "--full-search-prob", "0.5")  # fmt: skip
    assert mixed.selfplay.gumbel.simulations == 8 and mixed.features == ()
    assert mixed.preset == "b2c16" and mixed.selfplay.full_search_prob == 0.5

    from zerogo.pipeline import PipelineConfig

    resumed = tmp_path / "resumed"
    resumed.mkdir()
    (resumed / "pipeline.json").write_text(json.dumps(PipelineConfig().to_dict()))
    kept = _config("--run-dir", str(resumed))
    assert kept.selfplay.gumbel is None and kept.preset == "b6c64" and kept.features == ()
    switched = _config("--run-dir", str(resumed), "--scheme", "gumbel-pcr")  # same network
    assert switched.selfplay.gumbel.simulations == 16 and switched.preset == "b6c64"
    assert switched.selfplay.full_search_prob == 0.25
    with pytest.raises(ValueError, match="start a new run directory"):
        _config("--run-dir", str(resumed), "--scheme", "gumbel-kata")

    # --init: the run records the network it starts from (the shipped b6c64 here), so a
    # later --scheme of another network is refused for what the run really holds
    shipped = str(Path(__file__).resolve().parents[2] / "zerogo" / "networks" / "b6c64-9x9.pt")
    seeded = _config("--run-dir", str(tmp_path / "s"), "--init", shipped)
    assert seeded.selfplay.gumbel.simulations == 16 and seeded.preset == "b6c64"
    assert seeded.features == ()
    with pytest.raises(ValueError, match="does not match --init"):
        _config("--run-dir", str(tmp_path / "s2"), "--init", shipped, "--features", "ladder")
    with pytest.raises(ValueError, match="does not match --init"):
        _config("--run-dir", str(tmp_path / "s3"), "--init", shipped, "--preset", "b6c64-score")
    with pytest.raises(ValueError, match="no such network file"):
        _config("--run-dir", str(tmp_path / "s5"), "--init", str(tmp_path / "missing.pt"))
    explicit = _config("--run-dir", str(tmp_path / "s4"), "--init", shipped, "--preset", "b6c64")
    assert explicit.preset == "b6c64"
