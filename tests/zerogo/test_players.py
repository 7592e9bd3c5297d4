"""The player factory (zerogo.players): net/auto/mcts/random players and their flags.

A tiny random network (``b2c16`` for 9x9) is saved once per module as a checkpoint;
the network player must use it on 9x9 and fall back to pure MCTS, saying so on
stderr, on any other size.  The last test drives the real ``zerogo gtp`` command.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import pytest

from engine import coords
from engine.game import Game
from engine.mcts import MCTSPlayer
from engine.player import RESIGN, Budget, Player
from engine.puct import PUCTPlayer
from engine.random_player import RandomPlayer
from tests.conftest import vertex
from zerogo import players
from zerogo.gtp_client import GtpClient
from zerogo.players import add_player_arguments, budget_from_args, make_player

REPO = Path(__file__).resolve().parents[2]
FALLBACK_NOTE = "no network for 7x7; playing with pure MCTS"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random b2c16 network for 9x9, saved as ``tiny-9.pt``."""
    import torch

    from nn.checkpoint import save_checkpoint
    from nn.go_net import GoNet, preset

    torch.manual_seed(0)
    config = preset("b2c16", 9)
    path = tmp_path_factory.mktemp("networks") / "tiny-9.pt"
    return save_checkpoint(path, GoNet(config), config)


@pytest.fixture
def no_shipped_networks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point the shipped-network folder at an empty one; return it."""
    folder = tmp_path / "networks"
    folder.mkdir()
    monkeypatch.setattr(players, "NETWORK_DIR", folder)
    return folder


def parse(*argv: str) -> argparse.Namespace:
    """Parse player flags with a fresh parser."""
    parser = argparse.ArgumentParser()
    add_player_arguments(parser)
    return parser.parse_args(list(argv))


def game_after(size: int, moves: str) -> Game:
    game = Game(size)
    for name in moves.split():
        game.play(vertex(name, size))
    return game


def assert_plays_legally(player: Player, game: Game) -> int:
    """Ask ``player`` for the move of the side to move; check it is legal; return it."""
    decision = player.genmove(game, game.to_move)
    assert decision.action != RESIGN
    assert game.board.is_legal(decision.action), coords.to_gtp(decision.action, game.size)
    return decision.action


def test_net_player_plays_with_the_network_on_its_size(
    checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(
        "--player",
        "net",
        "--weights",
        str(checkpoint),
        "--visits",
        "16",
        "--threads",
        "1",
        "--seed",
        "1",
    )
    player = make_player(args)
    game = game_after(9, "E5 C3 G7")
    decision = player.genmove(game, game.to_move)
    assert game.board.is_legal(decision.action)
    assert decision.visits >= 16
    assert isinstance(player, players.SizeDispatchPlayer)
    net = player.player_for(9)
    assert isinstance(net, PUCTPlayer)
    assert net.evaluator.name == "tiny-9"  # the checkpoint's name
    assert capsys.readouterr().err == ""


def test_net_player_falls_back_to_mcts_on_other_sizes(
    checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(
        "--player",
        "net",
        "--weights",
        str(checkpoint),
        "--visits",
        "16",
        "--threads",
        "1",
        "--seed",
        "1",
    )
    player = make_player(args)
    assert isinstance(player, players.SizeDispatchPlayer)
    game = game_after(7, "D4")
    game.play(assert_plays_legally(player, game))
    assert_plays_legally(player, game)
    assert isinstance(player.player_for(7), MCTSPlayer)
    err = capsys.readouterr().err
    assert err.count(FALLBACK_NOTE) == 1  # said once, not at every move
    # the network is still used on its own size
    assert_plays_legally(player, game_after(9, "E5"))
    assert isinstance(player.player_for(9), PUCTPlayer)
    assert capsys.readouterr().err == ""


def test_auto_without_a_default_network_uses_mcts(
    no_shipped_networks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse("--visits", "16", "--threads", "1", "--seed", "2")
    assert args.player == "auto"  # the default player
    player = make_player(args)
    assert isinstance(player, players.SizeDispatchPlayer)
    assert_plays_legally(player, game_after(9, "E5 E4"))
    assert isinstance(player.player_for(9), MCTSPlayer)
    assert_plays_legally(player, game_after(9, "E5 E4 D5"))
    # auto says why it plays pure MCTS, once
    assert capsys.readouterr().err == "zerogo: no network for 9x9; playing with pure MCTS\n"


@pytest.mark.parametrize("default", [True, False])
def test_auto_uses_a_shipped_network_only_when_marked_default(
    checkpoint: Path, no_shipped_networks: Path, default: bool
) -> None:
    shutil.copy(checkpoint, no_shipped_networks / "net-9.pt")
    index = {
        "9": {"file": "net-9.pt", "default": default},
        "13": {"file": "missing-13.pt", "default": True},  # no file: ignored
    }
    (no_shipped_networks / "index.json").write_text(json.dumps(index))
    assert set(players.shipped_networks()) == {9}
    assert players.shipped_network(9) == no_shipped_networks / "net-9.pt"
    assert players.shipped_network(13) is None

    auto = make_player(parse("--visits", "16", "--threads", "1", "--seed", "2"))
    assert isinstance(auto, players.SizeDispatchPlayer)
    assert isinstance(auto.player_for(9), PUCTPlayer if default else MCTSPlayer)
    assert isinstance(auto.player_for(13), MCTSPlayer)
    # the network player takes the shipped network, default or not
    net = make_player(parse("--player", "net", "--visits", "16", "--threads", "1"))
    assert isinstance(net, players.SizeDispatchPlayer)
    assert isinstance(net.player_for(9), PUCTPlayer)
    assert_plays_legally(net, game_after(9, "C3"))


def test_auto_plays_the_network_only_at_the_komi_it_was_measured_at(
    checkpoint: Path, no_shipped_networks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(checkpoint, no_shipped_networks / "net-9.pt")
    index = {"9": {"file": "net-9.pt", "default": True, "komi": 7.5}}
    (no_shipped_networks / "index.json").write_text(json.dumps(index))
    auto = make_player(parse("--visits", "16", "--threads", "1", "--seed", "2"))
    assert isinstance(auto, players.SizeDispatchPlayer)
    game = game_after(9, "E5 E4")
    assert game.komi == 7.5
    assert_plays_legally(auto, game)
    assert isinstance(auto.player_for(9, 7.5), PUCTPlayer)
    assert capsys.readouterr().err == ""
    other = Game(9, komi=6.5)
    assert_plays_legally(auto, other)
    assert_plays_legally(auto, other)
    assert isinstance(auto.player_for(9, 6.5), MCTSPlayer)
    assert capsys.readouterr().err == (
        "zerogo: the 9x9 network is measured stronger than pure MCTS at komi 7.5 only, "
        "not at 6.5; playing with pure MCTS\n"
    )
    # back at the measured komi the same network player plays again
    assert auto.player_for(9, 7.5) is auto.player_for(9, 7.5)
    assert isinstance(auto.player_for(9, 7.5), PUCTPlayer)
    # the net player is asked for by name: it plays at any komi
    net = make_player(parse("--player", "net", "--visits", "16", "--threads", "1"))
    assert isinstance(net, players.SizeDispatchPlayer)
    assert isinstance(net.player_for(9, 6.5), PUCTPlayer)


def test_why_not_default_names_the_reason() -> None:
    assert players.why_not_default(None, 13, 7.5) == "no network for 13x13"
    assert "not measured stronger" in str(players.why_not_default({"default": False}, 9, 7.5))
    assert players.why_not_default({"default": True}, 9, 6.5) is None  # no komi given: any
    assert players.why_not_default({"default": True, "komi": 7.5}, 9, 7.5) is None
    assert "komi 7.5 only" in str(players.why_not_default({"default": True, "komi": 7.5}, 9, 5))


@pytest.mark.parametrize("backend, want", [("auto", "openvino"), ("torch", "torch")])
def test_the_shipped_network_plays_in_its_fast_form_on_openvino(
    checkpoint: Path, no_shipped_networks: Path, backend: str, want: str
) -> None:
    """The index's ``fast`` form (int8 ONNX for the real network) is what the default
    backend plays; ``--backend torch`` keeps the checkpoint on torch."""
    from nn.backends import export_network_file

    shutil.copy(checkpoint, no_shipped_networks / "net-9.pt")
    export_network_file(checkpoint, no_shipped_networks / "net-9-fast.onnx")
    index = {"9": {"file": "net-9.pt", "default": True, "fast": {"file": "net-9-fast.onnx"}}}
    (no_shipped_networks / "index.json").write_text(json.dumps(index))
    args = ["--player", "net", "--visits", "16", "--threads", "1"]
    net = make_player(parse(*args, *(["--backend", backend] if backend != "auto" else [])))
    player = net.player_for(9)
    assert isinstance(player, PUCTPlayer) and player.evaluator.backend == want
    assert_plays_legally(net, game_after(9, "C3"))
    assert players.fast_network(9, "torch") is None
    assert players.fast_network(13, "auto") is None


def test_random_player_plays_legal_moves() -> None:
    player = make_player(parse("--player", "random", "--seed", "3"))
    assert isinstance(player, RandomPlayer)
    game = Game(9)
    for _ in range(30):
        game.play(assert_plays_legally(player, game))


def test_budget_defaults_to_one_second_per_move() -> None:
    assert budget_from_args(parse()) == Budget(playouts=None, seconds=1.0)
    assert budget_from_args(parse("--visits", "16")) == Budget(playouts=16)
    assert budget_from_args(parse("--playouts", "32", "--visits", "16")) == Budget(playouts=32)
    assert budget_from_args(parse("--seconds", "0.5")) == Budget(seconds=0.5)
    assert budget_from_args(parse("--visits", "8", "--seconds", "2")) == Budget(8, 2.0)
    with pytest.raises(ValueError):
        budget_from_args(parse("--visits", "0"))
    with pytest.raises(ValueError):
        budget_from_args(parse("--seconds", "-1"))


@pytest.mark.parametrize("name", ["net", "auto"])
def test_missing_weights_file_raises(tmp_path: Path, name: str) -> None:
    missing = tmp_path / "no-such-net.pt"
    with pytest.raises(ValueError, match="no-such-net.pt"):
        make_player(parse("--player", name, "--weights", str(missing)))


def test_unknown_player_name_raises() -> None:
    args = parse()
    args.player = "alphago"
    with pytest.raises(ValueError, match="alphago"):
        make_player(args)


def test_gtp_net_player_falls_back_on_another_board_size(checkpoint: Path, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "zerogo",
        "gtp",
        "--player",
        "net",
        "--weights",
        str(checkpoint),
        "--visits",
        "16",
    ]
    stderr_path = tmp_path / "stderr.txt"
    with open(stderr_path, "wb") as stderr, GtpClient(command, stderr=stderr.fileno()) as engine:
        engine.send("boardsize 9", timeout=60)
        engine.send("play b E5", timeout=60)
        answer = engine.send("genmove w", timeout=60)
        game = game_after(9, "E5")
        assert game.board.is_legal(coords.from_gtp(answer, 9)), answer
        assert FALLBACK_NOTE not in stderr_path.read_text()

        engine.send("boardsize 7", timeout=60)
        answer = engine.send("genmove b", timeout=60)
        game = Game(7)
        action = coords.from_gtp(answer, 7)
        assert game.board.is_legal(action), answer
        game.play(action)
        answer = engine.send("genmove w", timeout=60)
        assert game.board.is_legal(coords.from_gtp(answer, 7)), answer
    assert stderr_path.read_text().count(FALLBACK_NOTE) == 1


def test_the_shipped_networks_load_safely_and_record_their_lineage() -> None:
    from nn.checkpoint import read_checkpoint
    from zerogo.players import NETWORK_DIR, shipped_networks

    index = json.loads((NETWORK_DIR / "index.json").read_text())
    assert shipped_networks().keys() == {int(size) for size in index}  # every file is there
    assert 9 in shipped_networks()
    for size, entry in shipped_networks().items():
        checkpoint = read_checkpoint(NETWORK_DIR / entry["file"])  # weights_only loading
        assert checkpoint.net_config.board_size == size
        assert entry["origin"].startswith("self-play from random initialisation")
        assert entry["selfplay_games"] >= entry["games_trained"] > 0
        assert isinstance(entry["default"], bool)
        if "fast" in entry:  # the fast form of the same network, e.g. int8 ONNX
            from nn.backends import read_network

            fast = read_network(NETWORK_DIR / entry["fast"]["file"])
            assert fast.net_config == checkpoint.net_config
