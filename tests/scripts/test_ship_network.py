"""scripts/ship_network.py: a run's best network becomes the package's shipped network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.scripts import load_script
from tests.scripts.test_campaign_restart import KATA, _kata_network


@pytest.fixture(scope="module")
def ship_network():
    return load_script("ship_network")


def _run(tmp_path: Path, accepted: bool = True) -> Path:
    """A KataGo-style run with gen-0003 best, placed on the ladder, with an int8 form."""
    from nn.backends import export_network_file

    run = tmp_path / "campaign" / "kata"
    network = _kata_network(run)
    state = {"best": "gen-0003", "cpu_seconds": {"inherited": 3600.0, "selfplay": 1800.0}}
    (run / "state.json").write_text(json.dumps(state))
    (run / "pipeline.json").write_text(
        json.dumps({"preset": KATA, "size": 9, "selfplay": {"komi": 6.5}}))
    (run / "selfplay.jsonl").write_text(
        json.dumps({"games": 300, "seconds": 360.0, "total_games": 4300}) + "\n"
        + json.dumps({"games": 700, "seconds": 720.0, "total_games": 5000}) + "\n")
    (run / "history.jsonl").write_text(
        json.dumps({"promoted": True}) + "\n" + json.dumps({"promoted": False}) + "\n")
    (run / "ladder.jsonl").write_text(
        json.dumps({"player": "gen-0002", "network": "gen-0002", "elo": 900.0, "low": 800.0,
                    "high": 1000.0, "games": 50, "visits": 200}) + "\n"
        + json.dumps({"player": "gen-0003", "network": "gen-0003", "elo": 1400.0,
                      "low": 1300.0, "high": 1500.0, "games": 48, "visits": 200}) + "\n")
    # the run's checked int8 form (here a float ONNX export stands in for it: shipping copies)
    export_network_file(network, run / "networks" / "gen-0003.int8.onnx")
    (run / "networks" / "gen-0003.int8.json").write_text(json.dumps(
        {"network": "gen-0003", "accepted": accepted, "top1_agreement": 0.978,
         "check_positions": 1024}))
    return run


@pytest.fixture
def network_dir(ship_network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import zerogo.players as players

    folder = tmp_path / "networks"
    folder.mkdir()
    (folder / "index.json").write_text(json.dumps({"9": {"file": "b6c64-9x9.pt"}}))
    monkeypatch.setattr(ship_network, "NETWORK_DIR", folder)
    monkeypatch.setattr(players, "NETWORK_DIR", folder)
    return folder


def test_the_best_ships_under_its_preset_with_lineage_ladder_and_fast_form(
    ship_network, network_dir: Path, tmp_path: Path
) -> None:
    from nn.checkpoint import read_checkpoint
    from zerogo.players import fast_network, shipped_network, shipped_networks

    target, entry = ship_network.ship(_run(tmp_path), note="kata restart")
    assert target == network_dir / f"{KATA}-9x9.pt"
    shipped = read_checkpoint(target)  # weights only, no optimiser state
    assert shipped.optimizer_state is None
    assert shipped.feature_config.extra == ("liberties", "ladder")
    index = json.loads((network_dir / "index.json").read_text())
    assert index["9"] == entry and entry["file"] == target.name
    assert entry["network"] == "gen-0003" and not entry["default"]
    assert entry["komi"] == 6.5  # the run's self-play komi: auto plays it at that komi only
    assert entry["preset"] == KATA and entry["features"] == ["liberties", "ladder"]
    assert entry["selfplay_games"] == 5000  # the run's total (it counts inherited games)
    assert entry["promotions"] == 1 and entry["gating_decisions"] == 2
    assert entry["campaign_cpu_hours"] == 1.5
    assert entry["ladder"] == {"elo": 1400.0, "low": 1300.0, "high": 1500.0, "games": 48,
                               "visits": 200}
    assert entry["fast"]["file"] == f"{KATA}-9x9-int8.onnx"
    assert entry["fast"]["agreement_top1"] == 0.978
    assert (network_dir / entry["fast"]["file"]).exists()
    # the players find it: the checkpoint for torch, the fast form on OpenVINO
    assert set(shipped_networks()) == {9}
    assert shipped_network(9) == target
    assert fast_network(9, "torch") is None


def test_a_default_network_is_played_by_auto_at_its_komi_only(
    ship_network, network_dir: Path, tmp_path: Path
) -> None:
    from engine.mcts import MCTSPlayer
    from engine.puct import PUCTPlayer
    from tests.zerogo.test_players import parse
    from zerogo.players import make_player

    _, entry = ship_network.ship(_run(tmp_path), default=True)
    assert entry["default"] and entry["komi"] == 6.5
    auto = make_player(parse("--backend", "torch", "--visits", "16", "--threads", "1"))
    assert isinstance(auto.player_for(9, 6.5), PUCTPlayer)
    assert isinstance(auto.player_for(9, 7.5), MCTSPlayer)


def test_an_older_network_ships_with_its_own_lineage(
    ship_network, network_dir: Path, tmp_path: Path
) -> None:
    """The run went on after gen-0003: its later games, gating and CPU are not gen-0003's."""
    run = _run(tmp_path)
    (run / "selfplay.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [
        {"network": "gen-0002", "games": 300, "seconds": 360.0, "total_games": 4300},
        {"network": "gen-0002", "games": 700, "seconds": 720.0, "total_games": 5000},
        {"network": "gen-0003", "games": 1000, "seconds": 900.0, "total_games": 6000},
    ]))
    (run / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [
        {"best": "gen-0002", "promoted": False, "cpu_seconds": 4000.0},
        {"best": "gen-0002", "promoted": True, "cpu_seconds": 5400.0},  # made gen-0003
        {"best": "gen-0003", "promoted": True, "cpu_seconds": 7200.0},  # made gen-0004
    ]))
    state = json.loads((run / "state.json").read_text())
    state["best"] = "gen-0004"
    (run / "state.json").write_text(json.dumps(state))
    _, entry = ship_network.ship(run, "gen-0003")
    assert entry["network"] == "gen-0003"
    assert entry["selfplay_games"] == 5000  # not the 6,000 the run has now
    assert entry["selfplay_hours_logged"] == 0.3
    assert entry["promotions"] == 1 and entry["gating_decisions"] == 2
    assert entry["campaign_cpu_hours"] == 1.5  # the CPU when gen-0003 was promoted
    assert ship_network.until_network([{"best": "a"}], "best", "b") == [{"best": "a"}]


def test_a_refused_int8_form_is_not_shipped(ship_network, network_dir: Path,
                                            tmp_path: Path) -> None:
    _, entry = ship_network.ship(_run(tmp_path, accepted=False))
    assert "fast" not in entry
    assert not list(network_dir.glob("*.onnx"))


def test_a_shipped_kata_network_plays_through_gtp_player_net(
    ship_network, network_dir: Path, tmp_path: Path
) -> None:
    from engine.puct import PUCTPlayer
    from tests.zerogo.test_players import game_after, parse
    from zerogo.players import make_player

    ship_network.ship(_run(tmp_path))
    args = parse("--player", "net", "--backend", "torch", "--visits", "16", "--threads", "1")
    player = make_player(args)
    game = game_after(9, "E5 C3")
    decision = player.genmove(game, game.to_move)
    assert game.board.is_legal(decision.action)
    net = player.player_for(9)
    assert isinstance(net, PUCTPlayer)
    assert net.evaluator.name == "gen-0003"  # as the index names it
