"""The window (gui.app.App) driven headless by posted mouse and key events.

Each test builds an App on SDL's dummy video driver, posts events with
``pygame.event.post`` and steps the loop a frame at a time, then looks at the game
state and at the pixels of the frame.  Engines: ``random`` and pure MCTS with tiny
budgets.
"""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from engine.analysis import AnalysisSnapshot, Candidate  # noqa: E402
from engine.board import BLACK, EMPTY, WHITE  # noqa: E402
from engine.mcts import MCTSConfig, MCTSPlayer  # noqa: E402
from engine.player import Budget, Player  # noqa: E402
from engine.random_player import RandomPlayer  # noqa: E402
from engine.sgf import load_sgf_file  # noqa: E402
from gui.app import App, player_label  # noqa: E402
from gui.engine_thread import Snapshot  # noqa: E402
from gui.screenshots import make_screenshots  # noqa: E402
from gui.settings import Settings  # noqa: E402
from tests.conftest import vertex  # noqa: E402
from zerogo import cli  # noqa: E402
from zerogo.players import (  # noqa: E402
    add_player_arguments,
    make_player,
    shipped_network,
    shipped_networks,
)

FAST = 1000  # frames per second cap: no test measures speed (scripts/bench_gui.py does)


def tiny_mcts(playouts: int = 40, threads: int = 1) -> MCTSPlayer:
    return MCTSPlayer(MCTSConfig(threads=threads, seed=5), Budget(playouts=playouts))


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator:
    apps: list[App] = []

    def build(
        player: Player | None = None,
        size: int = 9,
        human: int = BLACK,
        budget: Budget | None = None,
        fps: int = FAST,
    ) -> App:
        settings = Settings.starting(size, 7.5, budget or Budget(playouts=40))
        app = App(player or RandomPlayer(seed=1), settings, human, sgf_dir=tmp_path / "games",
                  fps=fps)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()


def click(app: App, pos: tuple[int, int]) -> None:
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))
    app.step()


def click_point(app: App, name: str) -> None:
    click(app, app.point_pixel(vertex(name, app.game.size)))


def press(app: App, key: int, text: str = "", mod: int = 0) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=text, mod=mod))
    app.step()


def settle(app: App, timeout: float = 20.0) -> None:
    """Step until the engine is not thinking and the engine thread is idle."""
    deadline = time.monotonic() + timeout
    app.step()
    while app.thinking or app.engine.busy:
        assert time.monotonic() < deadline, "the engine did not answer in time"
        app.step()
    app.step()


def color_at(app: App, name: str) -> int:
    return app.game.board.get(vertex(name, app.game.size))


def rgb(app: App, pos: tuple[float, float]) -> tuple[int, int, int]:
    color = app.screen.get_at((round(pos[0]), round(pos[1])))
    return color.r, color.g, color.b


# -- playing --------------------------------------------------------------------------
def test_click_plays_there_and_the_engine_replies(make_app) -> None:
    app = make_app()
    click_point(app, "E5")
    assert color_at(app, "E5") == BLACK
    assert app.game.moves[0].color == BLACK
    settle(app)
    assert [m.color for m in app.game.moves] == [BLACK, WHITE]
    assert app.game.to_move == BLACK
    # the frame shows the black stone
    assert max(rgb(app, app.point_pixel(vertex("E5", 9)))) < 80


def test_illegal_clicks_are_ignored(make_app) -> None:
    app = make_app()
    click_point(app, "E5")
    settle(app)
    moves = list(app.game.moves)
    click_point(app, "E5")  # occupied
    assert app.game.moves == moves
    assert "occupied" in app.message
    click(app, (3, 3))  # the corner of the wood, no point
    geometry = app.geometry
    x, y = geometry.center(vertex("C3", 9))
    click(app, (round(x + geometry.cell / 2), round(y + geometry.cell / 2)))  # between points
    assert app.game.moves == moves


def test_clicks_are_ignored_while_the_engine_thinks(make_app) -> None:
    app = make_app(tiny_mcts(), budget=Budget(seconds=30.0))
    click_point(app, "E5")
    assert app.thinking
    click_point(app, "C3")
    assert color_at(app, "C3") == EMPTY
    assert "thinking" in app.message


def test_hover_preview_only_on_legal_points(make_app) -> None:
    app = make_app()
    click_point(app, "E5")
    settle(app)
    for name, shown in (("C3", True), ("E5", False)):
        pos = app.point_pixel(vertex(name, 9))
        pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0),
                                             buttons=(0, 0, 0)))
        app.step()
        assert (app.scene().hover is not None) is shown
    pos = app.point_pixel(vertex("C3", 9))
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0),
                                         buttons=(0, 0, 0)))
    app.step()
    assert app.scene().hover == (vertex("C3", 9), BLACK)
    x, y = pos
    ghost = rgb(app, (x + 0.2 * app.geometry.cell, y + 0.2 * app.geometry.cell))
    assert 60 < sum(ghost) < 380  # a translucent black stone over the wood


def test_pass_key(make_app) -> None:
    app = make_app()
    press(app, pygame.K_p)
    assert app.game.moves[0].action == app.game.pass_action
    assert app.game.moves[0].color == BLACK


def test_undo_takes_back_the_reply_and_your_move(make_app) -> None:
    app = make_app()
    click_point(app, "E5")
    settle(app)
    click_point(app, "C3")
    settle(app)
    assert len(app.game.moves) == 4
    press(app, pygame.K_u)
    assert [m.action for m in app.game.moves][:1] == [vertex("E5", 9)]
    assert len(app.game.moves) == 2
    assert color_at(app, "C3") == EMPTY
    press(app, pygame.K_u)
    assert app.game.moves == []
    assert not app.game.board.to_array().any()
    press(app, pygame.K_u)
    assert app.message == "Nothing to undo."


def test_undo_while_the_engine_thinks(make_app) -> None:
    app = make_app(tiny_mcts(), budget=Budget(seconds=30.0))
    click_point(app, "E5")
    app.step()
    assert app.thinking
    press(app, pygame.K_u)
    assert app.game.moves == [] and not app.thinking
    settle(app)
    assert app.game.moves == []  # the cancelled search's move is dropped


def test_swap_makes_the_engine_move_now(make_app) -> None:
    app = make_app()
    press(app, pygame.K_s)
    assert app.human == WHITE
    settle(app)
    assert [m.color for m in app.game.moves] == [BLACK]
    assert app.game.to_move == WHITE
    free = next(name for name in ("E5", "D4") if color_at(app, name) == EMPTY)
    click_point(app, free)
    assert app.game.moves[-1].color == WHITE


def test_new_game_and_board_size(make_app) -> None:
    app = make_app()
    click_point(app, "E5")
    settle(app)
    click(app, app.panel.buttons["size"].rect.center)  # 9 -> 13, for the next game
    assert app.game.size == 9 and app.settings.size == 13
    press(app, pygame.K_n)
    assert app.game.size == 13 and app.game.moves == []
    assert app.geometry.size == 13
    click_point(app, "K10")
    assert color_at(app, "K10") == BLACK
    click(app, app.panel.buttons["komi-"].rect.center)
    assert app.settings.komi == 6.5 and app.game.komi == 7.5  # a game is under way
    click(app, app.panel.buttons["strength+"].rect.center)
    assert app.settings.budget == Budget(playouts=50)


def test_resign_and_take_it_back(make_app) -> None:
    app = make_app()
    click(app, app.panel.buttons["resign"].rect.center)
    app.step()
    assert app.game.result is not None and app.game.result.sgf() == "W+R"
    assert app.final is not None
    assert "W+R" in app._status()
    press(app, pygame.K_u)
    assert app.game.result is None and app.final is None
    # when the engine resigned, undo also takes back the move that made it resign
    click_point(app, "E5")
    settle(app)
    app.game.resign(WHITE)
    app.step()
    assert app.game.result.sgf() == "B+R" and app.final is not None
    press(app, pygame.K_u)
    assert app.game.result is None and app.final is None
    assert app.game.moves == []


def test_two_passes_end_the_game_with_a_score(make_app) -> None:
    # white (MCTS) answers a pass with a pass when the board as it stands wins (komi)
    app = make_app(tiny_mcts(), size=5)
    click_point(app, "C3")
    settle(app)
    press(app, pygame.K_p)
    settle(app)
    assert app.game.is_over
    assert app.final is not None
    assert app.game.result is not None
    assert app.game.result.sgf() == app.final.result().sgf()
    assert app._status() == f"Game over: {app.game.result.sgf()}"
    assert any(line.startswith("Final score:") for line in app._estimate())
    click_point(app, "A1")
    assert "over" in app.message


# -- analysis ---------------------------------------------------------------------------
def made_up_snapshot(owner: float) -> AnalysisSnapshot:
    best = Candidate(vertex("E5", 9), 500, 0.6, 0.9, 0.55, [vertex("E5", 9)])
    return AnalysisSnapshot(9, BLACK, 500, 0.6, 4.0, [best],
                            np.full((9, 9), owner, dtype=np.float32))


def test_overlay_keys_toggle_what_is_drawn(make_app) -> None:
    app = make_app()
    app.snapshot = Snapshot(0, 0, made_up_snapshot(1.0))
    x, y = app.point_pixel(vertex("C3", 9))
    probe = (x + 0.2 * app.geometry.cell, y + 0.2 * app.geometry.cell)
    app.step()
    wood = rgb(app, probe)
    press(app, pygame.K_o)  # ownership on: C3 shaded black
    assert "territory" in app.overlays
    assert sum(rgb(app, probe)) < sum(wood) - 200
    press(app, pygame.K_o)
    assert rgb(app, probe) == wood
    e5 = app.point_pixel(vertex("E5", 9))
    top = (e5[0], e5[1] - 0.38 * app.geometry.cell)
    press(app, pygame.K_c)  # candidate moves: the best one in its colour
    r, g, b = rgb(app, top)
    assert b > 200 and r < 120
    press(app, pygame.K_c)
    press(app, pygame.K_h)  # policy heatmap
    r, g, b = rgb(app, top)
    assert r > 200 and g < 120
    assert app.panel.buttons["policy"].toggled
    # the score estimate is written on the panel, and E hides it
    assert "Score estimate: B+4.0" in app._estimate()
    press(app, pygame.K_e)
    assert app._estimate() == []


def test_engine_search_keeps_the_window_responsive(make_app) -> None:
    """The engine searches in its thread while the loop goes on drawing its live analysis.

    Behaviour only: frames keep coming while a 30 s search runs (a loop that waited
    for the engine would draw one).  How many frames per second is a benchmark:
    ``scripts/bench_gui.py``.
    """
    app = make_app(tiny_mcts(threads=1), human=WHITE, budget=Budget(seconds=30.0))
    app.overlays |= {"moves", "territory"}
    app.step()
    assert app.thinking
    frames = app.frames
    deadline = time.monotonic() + 20
    while app.frames - frames < 10 or app.snapshot is None or app.snapshot.snapshot.visits <= 100:
        assert time.monotonic() < deadline, "the loop stopped drawing while the engine searched"
        app.step()
    assert app.thinking  # still searching: the budget is 30 s
    board_moves = [c for c in app.snapshot.snapshot.candidates if c.action < 81]
    best = max(board_moves, key=lambda c: c.visits).action
    x, y = app.point_pixel(best)
    r, g, b = rgb(app, (x, y - 0.38 * app.geometry.cell))
    assert b > 200 and r < 150  # the live best move drawn on the board
    # Space stops the search: the engine plays its best move so far, with a comment
    press(app, pygame.K_SPACE)
    deadline = time.monotonic() + 20
    while app.thinking:
        assert time.monotonic() < deadline
        app.step()
    move = app.game.moves[0]
    assert move.color == BLACK
    assert move.comment.startswith("zerogo: B ") and "visits)" in move.comment
    assert 0 in app.winrates


def test_analyse_mode_searches_on_your_turn(make_app) -> None:
    app = make_app(tiny_mcts())
    press(app, pygame.K_a)
    deadline = time.monotonic() + 20
    while app.snapshot is None or app.snapshot.snapshot.visits < 50:
        assert time.monotonic() < deadline
        app.step()
    assert app.snapshot.ply == 0 and app.snapshot.snapshot.to_move == BLACK
    click_point(app, "E5")  # the analysis stops, the engine answers
    deadline = time.monotonic() + 20
    while len(app.game.moves) < 2:
        assert time.monotonic() < deadline
        app.step()
    # and the analysis of your next position starts
    while app.snapshot is None or app.snapshot.ply != 2:
        assert time.monotonic() < deadline
        app.step()
    assert app.snapshot.snapshot.to_move == BLACK


def test_a_player_without_analysis_still_plays(make_app) -> None:
    app = make_app(RandomPlayer(seed=3))
    press(app, pygame.K_a)
    assert "analyse" not in app.overlays and "cannot analyse" in app.message
    click_point(app, "E5")
    settle(app)
    assert len(app.game.moves) == 2


def test_window_resize_moves_the_board(make_app) -> None:
    app = make_app()
    pygame.display.set_mode((1300, 820), pygame.RESIZABLE)
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=(1300, 820), w=1300, h=820))
    app.step()
    assert app.geometry.side == 820
    assert app.panel.rect.left == 820
    click_point(app, "J9")
    assert color_at(app, "J9") == BLACK


# -- files -------------------------------------------------------------------------------
def test_save_and_load_sgf(make_app, tmp_path: Path) -> None:
    app = make_app(tiny_mcts())
    for name in ("E5", "C3", "G7"):
        if color_at(app, name) == EMPTY:
            click_point(app, name)
            settle(app)
    moves = list(app.game.moves)
    press(app, pygame.K_w)
    saved = sorted((tmp_path / "games").glob("zerogo-*.sgf"))
    assert len(saved) == 1
    assert app.save() != saved[0]  # a second save does not overwrite the first
    text = saved[0].read_text()
    assert "C[zerogo: W " in text and "visits)]" in text
    assert load_sgf_file(saved[0]).moves == moves
    press(app, pygame.K_n)
    assert app.game.moves == []
    press(app, pygame.K_l)  # the prompt offers the newest saved game
    newest = max((tmp_path / "games").glob("*.sgf"), key=lambda p: (p.stat().st_mtime, p.name))
    assert app.prompt is not None and app.prompt.text == str(newest)
    app.step()
    press(app, pygame.K_RETURN)
    assert app.prompt is None
    assert app.game.moves == moves
    assert app.human == app.game.to_move
    commented = [ply for ply, move in enumerate(moves) if move.comment]
    assert commented and sorted(app.winrates) == commented


def test_load_prompt_typing_and_errors(make_app, tmp_path: Path) -> None:
    app = make_app()
    press(app, pygame.K_l)
    for _ in range(len(app.prompt.text)):
        press(app, pygame.K_BACKSPACE)
    for char in "nope.sgf":
        press(app, ord(char), char)
    assert app.prompt.text == "nope.sgf"
    press(app, pygame.K_RETURN)
    assert app.message.startswith("Cannot load")
    press(app, pygame.K_l)
    press(app, pygame.K_ESCAPE)
    assert app.prompt is None


def board_photo(tmp_path: Path, seed: int = 21, size: int = 9) -> tuple[Path, np.ndarray]:
    """A rendered photo of a random position (the scan tests' easy settings)."""
    from PIL import Image

    from zerogo.scan.positions import random_position
    from zerogo.scan.render import RenderConfig, render_photo

    rng = np.random.default_rng(seed)
    stones = random_position(size, rng, moves=size * size // 3)
    easy = RenderConfig(occlusion=0.0, max_tilt=25.0, max_blur=0.6, max_noise=4.0,
                        jpeg_quality=(70, 95))
    photo = render_photo(stones, rng, "kaya", easy)
    path = tmp_path / "board.jpg"
    Image.fromarray(photo.image).save(path, quality=92)
    return path, stones


def test_load_a_photo_of_a_board_as_the_position(make_app, tmp_path: Path) -> None:
    from zerogo.scan.positions import from_board_array
    from zerogo.scan.render import empty_photo

    app = make_app()
    path, stones = board_photo(tmp_path)
    press(app, pygame.K_l)
    for _ in range(len(app.prompt.text)):
        press(app, pygame.K_BACKSPACE)
    for char in str(path):
        press(app, ord(char), char)
    press(app, pygame.K_RETURN)
    assert app.message.startswith("Read board.jpg: 9x9"), app.message
    assert (from_board_array(app.game.board.to_array()) == stones).mean() > 0.98
    assert app.game.moves == [] and app.human == BLACK == app.game.to_move
    from engine import coords

    legal = next(a for a in range(81) if app.game.board.is_legal(a, BLACK))
    click_point(app, coords.to_gtp(legal, 9))
    settle(app)
    assert len(app.game.moves) >= 1  # play goes on from the photo
    from PIL import Image

    Image.fromarray(empty_photo(np.random.default_rng(4))).save(tmp_path / "table.png")
    before = app.game
    assert not app.load(tmp_path / "table.png")
    assert app.message.startswith("Cannot load") and "no board" in app.message
    assert app.game is before


def test_zerogo_play_starts_from_a_photo(monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    path, _ = board_photo(tmp_path, seed=22)
    argv = ["play", "--player", "random", "--frames", "3", "--load", str(path)]
    assert cli.main(argv) == 0
    assert "Read board.jpg: 9x9" in capsys.readouterr().out
    assert cli.main(["play", "--player", "random", "--load", str(tmp_path / "no.png")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_reference_screenshots_script(tmp_path: Path) -> None:
    paths = make_screenshots(tmp_path, playouts=20, think_seconds=0.3, opening_moves=4,
                             max_moves=12, fps=1000)
    assert [p.name for p in paths] == ["play.png", "analysis.png", "end.png"]
    for path in paths:
        image = pygame.image.load(str(path))
        assert image.get_size() == (1010, 680)
        r, g, b, _ = image.get_at((6, 340))  # the wood at the left edge of the board
        assert r > g > b
        assert image.get_at((1000, 670))[:3] == (38, 41, 46)  # the panel


# -- who plays -----------------------------------------------------------------------------
def player_from_flags(*flags: str) -> Player:
    """Return the player ``zerogo play`` builds from these player flags."""
    parser = argparse.ArgumentParser()
    add_player_arguments(parser)
    return make_player(parser.parse_args([*flags, "--playouts", "40", "--threads", "1"]))


def drawn_texts(app: App, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Draw one frame and return every text the window rendered in it."""
    texts: list[str] = []
    render = app.text.render

    def recording(text: str, *args, **kwargs) -> pygame.Surface:
        texts.append(text)
        return render(text, *args, **kwargs)

    monkeypatch.setattr(app.text, "render", recording)
    app.step()
    return texts


@pytest.fixture
def default_network_9x9(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A shipped-network folder whose 9x9 network (a random b2c16 named ``tiny-9``) is the
    default at komi 7.5, as ``scripts/ship_network.py --default`` writes it; its name."""
    import json

    import torch

    from nn.checkpoint import save_checkpoint
    from nn.go_net import GoNet, preset
    from zerogo import players

    folder = tmp_path / "networks"
    folder.mkdir()
    torch.manual_seed(0)
    config = preset("b2c16", 9)
    save_checkpoint(folder / "tiny-9.pt", GoNet(config), config)
    index = {"9": {"file": "tiny-9.pt", "default": True, "komi": 7.5, "network": "tiny-9"}}
    (folder / "index.json").write_text(json.dumps(index))
    monkeypatch.setattr(players, "NETWORK_DIR", folder)
    return "tiny-9"


def test_auto_player_names_the_player_that_plays_at_the_komi(
    make_app, monkeypatch, tmp_path: Path, default_network_9x9: str
) -> None:
    """``--player auto`` (the default) plays the default network on 9x9 at the komi it
    was measured at, and pure MCTS at another: the panel and the saved game say which."""
    app = make_app(player_from_flags("--player", "auto", "--backend", "torch"), size=9)
    assert app.game.komi == 7.5
    label = f"net {default_network_9x9}"
    assert f"You: black   Engine: white ({label})" in drawn_texts(app, monkeypatch)
    saved = app.save(tmp_path / "auto.sgf")
    assert saved is not None and f"PW[zerogo ({label})]" in saved.read_text()
    app._change(app.settings.step_komi(-1))  # komi down: a new game, not yet under way
    assert app.game.komi != 7.5
    assert "You: black   Engine: white (mcts)" in drawn_texts(app, monkeypatch)
    saved = app.save(tmp_path / "auto-other-komi.sgf")
    assert saved is not None and "PW[zerogo (mcts)]" in saved.read_text()


def test_auto_player_without_a_default_network_is_named_mcts(
    make_app, monkeypatch, tmp_path: Path
) -> None:
    from zerogo import players

    empty = tmp_path / "no-networks"
    empty.mkdir()
    monkeypatch.setattr(players, "NETWORK_DIR", empty)
    app = make_app(player_from_flags("--player", "auto"), size=9)
    assert "You: black   Engine: white (mcts)" in drawn_texts(app, monkeypatch)


def test_net_player_is_named_with_its_network(make_app, monkeypatch) -> None:

    assert shipped_network(9) is not None
    network = shipped_networks()[9]["network"]  # as index.json names it (gen-0007)
    app = make_app(player_from_flags("--player", "net"), size=9)
    assert f"You: black   Engine: white (net {network})" in drawn_texts(app, monkeypatch)
    # on a size without a network the net player falls back to pure MCTS, and says so
    app = make_app(player_from_flags("--player", "net"), size=13)
    assert "You: black   Engine: white (mcts)" in drawn_texts(app, monkeypatch)


def test_player_label_names_the_player_that_plays() -> None:
    from engine.evaluator import UniformEvaluator
    from engine.puct import PUCTPlayer

    class BySize:
        name = "net"

        def player_for(self, size: int) -> Player:
            return PUCTPlayer(UniformEvaluator(size)) if size == 9 else tiny_mcts()

    assert player_label(BySize(), 9) == "net uniform"  # type: ignore[arg-type]
    assert player_label(BySize(), 13) == "mcts"  # type: ignore[arg-type]
    assert player_label(RandomPlayer(seed=1), 9) == "random"


# -- the command ---------------------------------------------------------------------------
def test_zerogo_play_opens_the_window(monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    argv = ["play", "--player", "random", "--frames", "3", "--sgf-dir", str(tmp_path)]
    assert cli.main(argv) == 0
    assert "You play" not in capsys.readouterr().out  # not the terminal game


def _no_input(prompt: str) -> str:
    raise EOFError


@pytest.mark.parametrize("flags, note", [([], "no display found"), (["--terminal"], "")])
def test_zerogo_play_falls_back_to_the_terminal(
    monkeypatch, capsys, flags: list[str], note: str
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(name, raising=False)
    if flags:
        monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setattr("builtins.input", _no_input)
    assert cli.main(["play", "--player", "random", *flags]) == 0
    out = capsys.readouterr().out
    assert "You play black on 9x9" in out
    assert note in out
    if not note:
        assert "no display" not in out
