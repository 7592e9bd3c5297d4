"""The predicted-PV overlay of the window (V): the model's line beside the searched one.

Headless (SDL dummy driver) as in test_app: a fake predictor answers a fixed line, a
made-up analysis snapshot stands in for the search, and the frame's pixels and the
panel's lines are checked.
"""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from engine.analysis import AnalysisSnapshot, Candidate  # noqa: E402
from engine.board import BLACK  # noqa: E402
from engine.game import Game  # noqa: E402
from engine.player import Budget  # noqa: E402
from engine.random_player import RandomPlayer  # noqa: E402
from gui.app import App  # noqa: E402
from gui.engine_thread import Snapshot  # noqa: E402
from gui.settings import Settings  # noqa: E402
from tests.conftest import vertex  # noqa: E402

PREDICTED = ["C7", "G3", "G7"]
SEARCHED = ["E5", "C3", "E3"]


def points(names: list[str]) -> list[int]:
    return [vertex(name, 9) for name in names]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    calls: list[tuple[int, int]] = []

    def predict(game: Game, color: int) -> list[int]:
        calls.append((len(game.moves), color))
        return points(PREDICTED)

    window = App(RandomPlayer(seed=1), Settings.starting(9, 7.5, Budget(playouts=10)), BLACK,
                 sgf_dir=tmp_path, fps=1000, pv_predictor=predict)  # fmt: skip
    window.calls = calls  # type: ignore[attr-defined]
    yield window
    window.close()


def press(app: App, key: int) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode="", mod=0))
    app.step()


def rgb(app: App, pos: tuple[float, float]) -> tuple[int, int, int]:
    color = app.screen.get_at((round(pos[0]), round(pos[1])))
    return color.r, color.g, color.b


def corner(app: App, name: str) -> tuple[float, float]:
    """A pixel inside the predicted square of ``name`` (lower right of the point), in the
    square's upper right, clear of its number."""
    x, y = app.point_pixel(vertex(name, 9))
    cell = app.geometry.cell
    return x + 0.24 * cell + 0.11 * cell, y + 0.24 * cell - 0.11 * cell


def test_v_draws_the_predicted_line_beside_the_searched_one(app: App) -> None:
    best = Candidate(vertex("E5", 9), 500, 0.6, 0.9, 0.55, points(SEARCHED))
    app.snapshot = Snapshot(0, 0, AnalysisSnapshot(9, BLACK, 500, 0.6, 4.0, [best]))
    app.step()
    wood = rgb(app, corner(app, "C7"))
    x, y = app.point_pixel(vertex("E3", 9))  # move 3 of the searched line, black
    inside = (x + 0.3 * app.geometry.cell, y - 0.3 * app.geometry.cell)
    searched_wood = rgb(app, inside)
    press(app, pygame.K_v)
    assert "pv" in app.overlays and "predicted by the model" in app.message
    scene = app.scene()
    assert scene.predicted_pv == (BLACK, points(PREDICTED))
    assert scene.searched_pv == (BLACK, points(SEARCHED))
    r, g, b = rgb(app, corner(app, "C7"))  # an orange square, not wood
    assert (r, g, b) != wood and r > 200 and 100 < g < 200 and b < 90
    assert sum(rgb(app, inside)) < sum(searched_wood) - 150  # a translucent black stone
    lines = app._estimate()
    assert lines[0] == "Predicted PV (model): C7 G3 G7"
    assert lines[1] == "Searched PV: E5 C3 E3"
    for _ in range(3):
        app.step()
    assert app.calls == [(0, BLACK)]  # type: ignore[attr-defined]  # once per position
    press(app, pygame.K_v)
    assert app.scene().predicted_pv is None
    assert rgb(app, corner(app, "C7")) == wood


def test_without_a_model_v_explains_itself(tmp_path: Path) -> None:
    window = App(RandomPlayer(seed=1), Settings.starting(9, 7.5, Budget(playouts=10)), BLACK,
                 sgf_dir=tmp_path, fps=1000)  # fmt: skip
    try:
        press(window, pygame.K_v)
        assert "pv" not in window.overlays and "No PV model" in window.message
    finally:
        window.close()


def test_a_failing_model_turns_the_overlay_off(tmp_path: Path) -> None:
    def broken(game: Game, color: int) -> list[int]:
        raise ValueError("the PV model is for 13x13")

    window = App(RandomPlayer(seed=1), Settings.starting(9, 7.5, Budget(playouts=10)), BLACK,
                 sgf_dir=tmp_path, fps=1000, pv_predictor=broken)  # fmt: skip
    try:
        press(window, pygame.K_v)
        window.step()
        assert "pv" not in window.overlays and "13x13" in window.message
        assert np.all(window.scene().stones == 0)
    finally:
        window.close()
