"""Candidate grids from the crossings map (``zerogo.scan.crossings``): the grid placed from
the intersections the network sees, where an occluder has cut the board's outline."""

from __future__ import annotations

import numpy as np
import pytest

from nn.vision.geometry import apply_homography, grid_points, order_corners
from zerogo.scan.crossings import (
    LATTICE_ON_GRID,
    MISS,
    crossing_lattice,
    lattice_doubt,
    lattice_grids,
    lattice_misses,
    missed_together,
)
from zerogo.scan.gridmaps import AREA, CROSSINGS, GridMaps, grid_outline, grid_targets
from zerogo.scan.positions import random_position
from zerogo.scan.read import NetworkView, crossing_outlines, view_lattice
from zerogo.scan.render import RenderConfig, render_photo

TILTED_13 = np.array([[70.0, 50.0], [262.0, 78.0], [276.0, 284.0], [44.0, 262.0]])
"""A 13-line grid seen at an angle on a 320 x 320 picture."""


def hidden_corner(n: int, lines: int) -> np.ndarray:
    """(n, n) bool: a hand over the top-right corner, ``lines`` lines each way."""
    hidden = np.zeros((n, n), bool)
    hidden[:lines, n - lines :] = True
    return hidden


def maps_and_seen(corners: np.ndarray, n: int, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Perfect grid maps (the area drawn under the hand too) and the seen board."""
    shape = (320, 320)
    maps = grid_targets(corners, n, shape, hidden).transpose(2, 0, 1).astype(np.float32) / 255
    seen = maps[AREA] > 0.5
    points = grid_points(corners, n)
    for x, y in points[hidden]:  # the hand: no board seen around the hidden points
        seen[max(int(y) - 12, 0) : int(y) + 12, max(int(x) - 12, 0) : int(x) + 12] = False
    return maps, seen


def same_grid(a: np.ndarray, b: np.ndarray) -> float:
    """Largest distance between the ordered corners of two grids, pixels."""
    return float(np.abs(order_corners(a) - order_corners(b)).max())


@pytest.mark.parametrize("lines", [0, 3, 5])
def test_the_grid_is_placed_over_the_seen_crossings(lines: int) -> None:
    hidden = hidden_corner(13, lines)
    maps, seen = maps_and_seen(TILTED_13, 13, hidden)
    lattice = crossing_lattice(maps[CROSSINGS], np.zeros((0, 4)), np.zeros(0))
    assert lattice is not None
    assert len(lattice.coords) == 169 - hidden.sum()
    assert sorted(lattice.spans) == [13, 13]  # a corner hidden: every line still shows
    grids = lattice_grids(lattice, GridMaps(maps, seen), (9, 13, 19))
    assert {n for n, _, _ in grids} == {13, 19}  # a 9-line grid cannot hold 13 lines
    best = max(grids, key=lambda g: g[2])
    assert best[0] == 13 and same_grid(best[1], TILTED_13) < 0.5


def test_hidden_outer_lines_are_placed_by_the_maps() -> None:
    hidden = np.zeros((13, 13), bool)
    hidden[:, 10:] = True  # an arm over the three right-hand columns, top to bottom
    maps, seen = maps_and_seen(TILTED_13, 13, hidden)
    lattice = crossing_lattice(maps[CROSSINGS], np.zeros((0, 4)), np.zeros(0))
    assert lattice is not None and sorted(lattice.spans) == [10, 13]
    thirteen = [g for g in lattice_grids(lattice, GridMaps(maps, seen), (13,), keep=4)]
    assert len(thirteen) == 4  # four ways to hold 10 columns in 13, all kept
    assert same_grid(thirteen[0][1], TILTED_13) < 0.5  # the area's border says which
    assert all(g[2] < thirteen[0][2] - 0.1 for g in thirteen[1:])


def test_a_grid_bent_under_the_hand_is_in_doubt_and_the_right_one_is_not() -> None:
    hidden = hidden_corner(13, 4)
    maps, _ = maps_and_seen(TILTED_13, 13, hidden)
    lattice = crossing_lattice(maps[CROSSINGS], np.zeros((0, 4)), np.zeros(0))
    assert lattice is not None
    scale = (2.0, 2.0)  # working pixels per network pixel
    right = lattice_misses(lattice, scale, TILTED_13 * 2, 13)
    assert len(right) == 169 - 16 and np.nanmax(right) < 0.1  # peaks found to a tenth
    assert missed_together(lattice, right, 13) == 0 and not lattice_doubt(0)
    # the hidden top-right corner placed a line down, as an outline cut by the hand would
    bent = TILTED_13.copy()
    bent[1] = grid_points(TILTED_13, 13)[1, 12]
    misses = lattice_misses(lattice, scale, bent * 2, 13)
    assert np.isnan(misses).sum() > 0  # the crossings of the top line are beyond it now
    assert (np.nan_to_num(misses) >= MISS).sum() > 10
    assert lattice_doubt(missed_together(lattice, misses, 13))
    # the same misses scattered, one here and one there, are the lattice's own strays
    scattered = np.where((lattice.coords.sum(axis=1) % 2 == 0), misses, 0.0)
    assert missed_together(lattice, scattered, 13) == 1
    # nor is a lattice with more lines than the grid the grid's own
    assert missed_together(lattice, misses, 12) == 0
    # and a few crossings are not enough to tell a bent grid from a lattice on wood grain
    few = np.where(np.arange(len(misses)) < LATTICE_ON_GRID - 1, misses, np.nan)
    assert missed_together(lattice, few, 13) == 0


def test_stone_centres_are_crossings() -> None:
    hidden = np.ones((13, 13), bool)
    hidden[4:9, 4:9] = False  # only the centre shows, and half of it under stones
    maps, seen = maps_and_seen(TILTED_13, 13, np.zeros((13, 13), bool))
    points = grid_points(TILTED_13, 13)
    stones = points[4:9, 4:9][::2].reshape(-1, 2)
    maps[CROSSINGS] = grid_targets(TILTED_13, 13, (320, 320), hidden)[..., CROSSINGS] / 255
    for x, y in stones:  # a stone: a disc with no peak of its own at the centre
        ys, xs = np.mgrid[:320, :320] + 0.5
        maps[CROSSINGS][(xs - x) ** 2 + (ys - y) ** 2 < 49] = 1.0
    boxes = np.concatenate([stones - 7, stones + 7], axis=1)
    lattice = crossing_lattice(maps[CROSSINGS], boxes, np.ones(len(boxes)))
    assert lattice is not None and len(lattice.coords) == 25
    assert lattice.spans == (5, 5)


def test_no_lattice_without_crossings() -> None:
    assert crossing_lattice(np.zeros((320, 320)), np.zeros((0, 4)), np.zeros(0)) is None


def test_the_reading_gets_the_grid_outline_of_an_occluded_photo() -> None:
    rng = np.random.default_rng(7)
    stones = random_position(13, rng, moves=40)
    photo = render_photo(stones, rng, "kaya", RenderConfig(occlusion=1.0, max_tilt=30.0))
    maps = grid_targets(photo.corners, 13, photo.mask.shape, photo.occluded)
    probs = np.eye(4, dtype=np.float32)[photo.mask].transpose(2, 0, 1)
    view = NetworkView(probs, photo.boxes, np.ones(len(photo.boxes), np.float32),
                       photo.box_labels, (1.0, 1.0),
                       maps.transpose(2, 0, 1).astype(np.float32) / 255)
    sized = crossing_outlines(view, view_lattice(view), [], (9, 13, 19))
    assert {n for _, n in sized} <= {13, 19}
    truth = grid_outline(photo.corners, 13)
    spacing = float(np.linalg.norm(truth[1] - truth[0])) / 13
    assert min(same_grid(q, truth) for q, n in sized if n == 13) < 0.1 * spacing
    # an outline already among the candidates is not given twice
    outlines = [q for q, _ in sized]
    again = crossing_outlines(view, view_lattice(view), outlines, (9, 13, 19))
    assert all(min(same_grid(q, o) for o in outlines) > 0.5 for q, _ in again)
    view.grid = None
    assert crossing_outlines(view, view_lattice(view), [], (13,)) == []


@pytest.mark.parametrize("hidden_columns", [0, 3, 6])
def test_all_placements_at_once_match_the_map_fit(hidden_columns: int) -> None:
    hidden = np.zeros((13, 13), bool)
    if hidden_columns:
        hidden[:, 13 - hidden_columns :] = True
    maps, seen = maps_and_seen(TILTED_13, 13, hidden)
    lattice = crossing_lattice(maps[CROSSINGS], np.zeros((0, 4)), np.zeros(0))
    assert lattice is not None
    grid_maps = GridMaps(maps, seen)
    columns, rows = lattice.spans
    for n in (13, 19):
        fast = grid_maps.placement_fits(lattice.to_image, n, columns, rows)
        assert fast.shape == (n - columns + 1, n - rows + 1)
        for left in range(fast.shape[0]):
            for top in range(fast.shape[1]):
                square = np.array([[-left, -top], [n - 1 - left, -top],
                                   [n - 1 - left, n - 1 - top], [-left, n - 1 - top]], float)
                corners = order_corners(apply_homography(lattice.to_image, square))
                exact = grid_maps.fit(corners, n).score()
                assert fast[left, top] == pytest.approx(exact, abs=0.03)
    assert grid_maps.placement_fits(lattice.to_image, 9, columns, rows).size == 0


def test_no_grid_is_placed_hanging_off_the_picture() -> None:
    close = np.array([[25.0, 22.0], [298.0, 30.0], [292.0, 296.0], [20.0, 290.0]])
    maps, seen = maps_and_seen(close, 9, np.zeros((9, 9), bool))
    lattice = crossing_lattice(maps[CROSSINGS], np.zeros((0, 4)), np.zeros(0))
    assert lattice is not None and lattice.spans == (9, 9)
    grid_maps = GridMaps(maps, seen)
    # a 13-line grid over a close 9x9 board puts its four extra lines beyond the frame,
    # where the maps cannot object: every such placement is refused
    assert np.isnan(grid_maps.placement_fits(lattice.to_image, 13, 9, 9, max_outside=0.1)).all()
    assert np.isfinite(grid_maps.placement_fits(lattice.to_image, 13, 9, 9)).all()
    grids = lattice_grids(lattice, grid_maps, (9, 13, 19))
    assert [n for n, _, _ in grids] == [9]
    assert same_grid(grids[0][1], close) < 0.5
