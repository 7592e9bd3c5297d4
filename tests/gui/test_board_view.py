"""The board view (gui.board_view): geometry and the pixels of rendered scenes.

Scenes are rendered onto an off-screen surface; points are named by GTP vertex and
positions written as diagrams (tests.conftest).
"""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402

from engine.analysis import AnalysisSnapshot, Candidate  # noqa: E402
from engine.board import BLACK, WHITE  # noqa: E402
from engine.game import Game  # noqa: E402
from engine.scoring import final_position  # noqa: E402
from gui.board_view import (  # noqa: E402
    BoardGeometry,
    BoardView,
    Scene,
    star_points,
    stone_sprite,
)
from tests.conftest import parse_diagram, vertex, vertices  # noqa: E402

SIDE = 540


@pytest.fixture(scope="module", autouse=True)
def _fonts() -> None:
    pygame.font.init()


def render(scene: Scene, view: BoardView | None = None) -> tuple[pygame.Surface, BoardGeometry]:
    geometry = BoardGeometry(scene.size, 10, 20, SIDE)
    surface = pygame.Surface((SIDE + 40, SIDE + 40))
    surface.fill((255, 0, 255))
    (view or BoardView()).render(surface, geometry, scene)
    return surface, geometry


def pixel(surface: pygame.Surface, pos: tuple[float, float]) -> tuple[int, int, int]:
    color = surface.get_at((round(pos[0]), round(pos[1])))
    return color.r, color.g, color.b


def off_point(geometry: BoardGeometry, name: str, dx: float, dy: float) -> tuple[float, float]:
    """Return the pixel at (dx, dy) cells from the point ``name``."""
    x, y = geometry.center(vertex(name, geometry.size))
    return x + dx * geometry.cell, y + dy * geometry.cell


def is_wood(rgb: tuple[int, int, int]) -> bool:
    r, g, b = rgb
    return r > g > b and 150 <= r <= 240 and b < 130


def empty_scene(size: int = 9) -> Scene:
    return Scene(np.zeros((size, size), dtype=np.int8))


def snapshot_9x9(ownership: float = 1.0) -> AnalysisSnapshot:
    """A made-up analysis: black to move, E5 best, C3 second, every point owned alike."""
    best = Candidate(vertex("E5", 9), 800, 0.62, 0.7, 0.6, [vertex("E5", 9)], 3.0)
    second = Candidate(vertex("C3", 9), 150, 0.55, 0.2, 0.5, [vertex("C3", 9)], 1.0)
    return AnalysisSnapshot(
        size=9,
        to_move=BLACK,
        visits=950,
        winrate=0.6,
        score_lead=2.5,
        candidates=[best, second],
        ownership=np.full((9, 9), ownership, dtype=np.float32),
    )


# -- geometry ------------------------------------------------------------------------
@pytest.mark.parametrize("size", [9, 13, 19])
def test_point_at_inverts_center(size: int) -> None:
    geometry = BoardGeometry(size, 7, 11, 600)
    for action in range(size * size):
        assert geometry.point_at(geometry.center(action)) == action


@pytest.mark.parametrize(
    "pos, expected",
    [
        ((0, 0), None),  # the corner of the wood
        ((599, 300), None),  # the right margin, beyond J
    ],
)
def test_point_at_off_the_grid(pos: tuple[int, int], expected: int | None) -> None:
    assert BoardGeometry(9, 0, 0, 600).point_at(pos) is expected


def test_point_at_between_points_is_none() -> None:
    geometry = BoardGeometry(9, 0, 0, 600)
    x, y = geometry.center(vertex("E5", 9))
    half = geometry.cell / 2
    assert geometry.point_at((round(x + half), round(y + half))) is None
    assert geometry.point_at((round(x + 0.3 * geometry.cell), y)) == vertex("E5", 9)


def test_row_one_is_at_the_bottom() -> None:
    geometry = BoardGeometry(9, 0, 0, 600)
    assert geometry.center(vertex("A1", 9))[1] > geometry.center(vertex("A9", 9))[1]
    assert geometry.center(vertex("J1", 9))[0] > geometry.center(vertex("A1", 9))[0]


def test_center_rejects_pass() -> None:
    with pytest.raises(ValueError):
        BoardGeometry(9, 0, 0, 600).center(81)


@pytest.mark.parametrize(
    "size, names",
    [
        (9, "C3 G3 E5 C7 G7"),
        (13, "D4 K4 G7 D10 K10"),
        (19, "D4 K4 Q4 D10 K10 Q10 D16 K16 Q16"),
    ],
)
def test_star_points(size: int, names: str) -> None:
    assert star_points(size) == sorted(vertices(names, size))


# -- pixels --------------------------------------------------------------------------
def test_empty_board_is_wood_with_dark_lines() -> None:
    surface, geometry = render(empty_scene())
    for name in ("A1", "E5", "J9", "C7"):
        assert is_wood(pixel(surface, off_point(geometry, name, 0.5, 0.5)))
    x, y = geometry.center(vertex("B2", 9))
    assert max(pixel(surface, (x, y))) < 90  # lines cross there
    assert pixel(surface, (5, 5)) == (255, 0, 255)  # outside the board: untouched


def test_stones_are_drawn_where_they_stand() -> None:
    stones = parse_diagram(
        """
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . O . . . .
        . . . X . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        """
    )
    surface, geometry = render(Scene(stones))
    black = pixel(surface, geometry.center(vertex("D4", 9)))
    white = pixel(surface, geometry.center(vertex("E5", 9)))
    assert max(black) < 80
    assert min(white) > 170
    assert is_wood(pixel(surface, off_point(geometry, "F6", 0.5, 0.5)))
    # the stone covers most of its cell, not its neighbours' points
    assert max(pixel(surface, off_point(geometry, "D4", 0.35, 0.0))) < 110
    assert max(pixel(surface, geometry.center(vertex("D5", 9)))) < 90  # a bare crossing


def test_last_move_marker_is_red() -> None:
    stones = np.zeros((9, 9), dtype=np.int8)
    stones.reshape(-1)[vertex("E5", 9)] = BLACK
    plain, geometry = render(Scene(stones))
    marked, _ = render(Scene(stones, last_move=vertex("E5", 9)))
    radius = max(3, round(geometry.cell * 0.2))
    x, y = geometry.center(vertex("E5", 9))
    r, g, b = pixel(marked, (x + radius - 1, y))
    assert r > 150 and g < 90 and b < 90
    assert max(pixel(plain, (x + radius - 1, y))) < 90


def test_hover_stone_is_translucent() -> None:
    surface, geometry = render(Scene(np.zeros((9, 9), np.int8), hover=(vertex("C3", 9), BLACK)))
    point = off_point(geometry, "C3", 0.2, 0.2)
    wood = pixel(render(empty_scene())[0], point)
    ghost = pixel(surface, point)
    assert 60 < sum(ghost) < sum(wood) - 150


def test_stone_sprite_shading() -> None:
    sprite = stone_sprite(30, WHITE)
    centre = sprite.get_width() // 2
    upper_left = sprite.get_at((centre - 12, centre - 12))
    lower_right = sprite.get_at((centre + 16, centre + 16))
    assert upper_left.a == 255 and sprite.get_at((0, 0)).a == 0
    assert sum(upper_left[:3]) > sum(lower_right[:3])  # lit from the top left
    with pytest.raises(ValueError):
        stone_sprite(10, 0)


def test_policy_heatmap_colours_the_prior_points() -> None:
    scene = Scene(np.zeros((9, 9), np.int8), snapshot=snapshot_9x9())
    surface, geometry = render(scene)
    point = off_point(geometry, "E5", 0.3, 0.3)
    assert is_wood(pixel(surface, point))  # overlay off
    scene.show_policy = True
    surface, geometry = render(scene)
    r, g, b = pixel(surface, point)
    assert r > 200 and g < 120  # the high end of the heatmap
    assert is_wood(pixel(surface, off_point(geometry, "G7", 0.3, 0.3)))  # no prior there


def test_candidates_show_the_best_move() -> None:
    scene = Scene(np.zeros((9, 9), np.int8), snapshot=snapshot_9x9(), show_candidates=True)
    surface, geometry = render(scene)
    r, g, b = pixel(surface, off_point(geometry, "E5", 0.0, -0.38))
    assert b > 200 and r < 120  # the best move's colour
    second = pixel(surface, off_point(geometry, "C3", 0.0, -0.38))
    assert second[1] > 150 and second[2] < 130  # a runner-up: green-yellow
    # the win rate is written on the point in dark ink
    x, y = geometry.center(vertex("E5", 9))
    box = [surface.get_at((x + dx, y - dy)) for dx in range(-10, 11) for dy in range(1, 10)]
    assert min(sum(c[:3]) for c in box) < 150


@pytest.mark.parametrize("owner, dark", [(1.0, True), (-1.0, False)])
def test_ownership_shades_points(owner: float, dark: bool) -> None:
    scene = Scene(np.zeros((9, 9), np.int8), snapshot=snapshot_9x9(owner), show_ownership=True)
    surface, geometry = render(scene)
    shade = pixel(surface, off_point(geometry, "F4", 0.2, 0.2))
    wood = pixel(render(empty_scene())[0], off_point(geometry, "F4", 0.2, 0.2))
    if dark:
        assert sum(shade) < sum(wood) - 200
    else:
        assert sum(shade) > sum(wood) + 80 and shade[2] > wood[2] + 50


def test_ownership_seen_from_white_to_move() -> None:
    snapshot = snapshot_9x9(1.0)
    snapshot.to_move = WHITE  # +1 now means white owns the point
    scene = Scene(np.zeros((9, 9), np.int8), snapshot=snapshot, show_ownership=True)
    surface, geometry = render(scene)
    assert pixel(surface, off_point(geometry, "F4", 0.2, 0.2))[2] > 160  # light: white's


def test_end_of_game_marks_dead_stones_and_territory() -> None:
    stones = parse_diagram(
        """
        . . . . X O . . .
        . O . . X O . . .
        . . . . X O . . .
        . . . . X O . . .
        . . . . X O . . .
        . . . . X O . . .
        . . . . X O . . .
        . . . . X O . . .
        . . . . X O . . .
        """
    )
    game = Game(9, 7.5)
    flat = stones.reshape(-1)
    game.setup_stones(
        [int(a) for a in np.flatnonzero(flat == BLACK)],
        [int(a) for a in np.flatnonzero(flat == WHITE)],
        BLACK,
    )
    final = final_position(game)
    assert final.dead == [vertex("B8", 9)]
    assert final.result().sgf() == "B+1.5"  # 45 - 36 - 7.5
    surface, geometry = render(Scene(stones, final=final))
    # a red cross over the dead white stone
    r, g, b = pixel(surface, off_point(geometry, "B8", 0.2, 0.2))
    assert r > 150 and g < 100
    # black territory: a dark square; white territory: a light one
    assert max(pixel(surface, off_point(geometry, "B2", 0.1, 0.1))) < 60
    assert min(pixel(surface, off_point(geometry, "H2", 0.1, 0.1))) > 200
    # live stones keep their look
    assert max(pixel(surface, geometry.center(vertex("E2", 9)))) < 80
