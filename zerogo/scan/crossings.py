"""Candidate grids from the crossings map: the board's lines found where they cross.

The scan network's crossings map (``zerogo.scan.gridmaps.CROSSINGS``) marks every
intersection it sees: a bump where the board is sharp, two bright ridges crossing
where it draws the lines, a disc where a stone lies.  Under a hand or a bowl it marks
nothing, so the intersections it does mark place the grid without the board's
outline, which an occluder cuts (``zerogo.scan.read``'s other candidate outlines come
from that outline).

``crossing_lattice`` finds the intersections (the map's peaks at a few blur widths,
so that a ridge crossing of any spacing becomes one peak, plus the centres of the
confident stone boxes) and the largest lattice they form (``nn.vision.lattice``);
``lattice_grids`` places an ``n``-line grid over it in every way that holds the
lattice (the seen lines may be any of the grid's), measures each placement against
the grid maps (``GridMaps.fit``: the area's border and the crossings beyond the
outer lines tell where the hidden lines are) and keeps the best few of each size.
"""

from __future__ import annotations

import numpy as np

from nn.vision.geometry import UNIT_SQUARE, apply_homography, homography, order_corners
from nn.vision.lattice import Lattice, find_lattice, grid_misses, heat_peaks, largest_group
from zerogo.scan.gridmaps import GridMaps

BLURS = (1.0, 2.5, 4.0, 6.0)
"""Blur widths (network pixels) at which the map's peaks are taken: a 19x19 board's
bumps are sharp at the smallest, a close 9x9 board's ridges cross in one peak only at
the largest; the blur that gives the largest lattice is kept."""
PEAK_THRESHOLD = 0.3
"""Lowest crossing peak (probability, after the blur)."""
ROUNDNESS = 0.3
"""Least roundness of a peak (``nn.vision.lattice.isotropy``): a ridge's length is not
a crossing."""
STONE_SCORE = 0.5
"""Box score from which a stone's centre counts as an intersection."""
PLACEMENTS = 2
"""Placements of each size kept (``lattice_grids``)."""
MAX_OUTSIDE = 0.1
"""Largest share of a placed grid's intersections outside the picture: the maps cannot
tell a grid hanging off the picture from the board's own (a close 9x9 board under a
13-line grid whose extra lines all lie beyond the frame fits them as well), and the
board's own outline gives the candidates of a board that the frame cuts."""


def crossing_points(
    crossings: np.ndarray, boxes: np.ndarray, scores: np.ndarray, blur: float
) -> np.ndarray:
    """The intersections the network sees at one blur width: the confident stones'
    centres, then the crossings map's round peaks off those stones (network pixels,
    (P, 2))."""
    strong = np.asarray(boxes, dtype=np.float64)[np.asarray(scores) >= STONE_SCORE]
    centres = (strong[:, :2] + strong[:, 2:]) / 2
    off_stones = np.ones(crossings.shape, bool)  # a stone's disc peaks anywhere on it
    for x0, y0, x1, y1 in strong:
        rows = slice(max(int(y0), 0), int(np.ceil(y1)) + 1)
        off_stones[rows, max(int(x0), 0) : int(np.ceil(x1)) + 1] = False
    peaks, _ = heat_peaks(crossings, PEAK_THRESHOLD, mask=off_stones, blur=blur,
                          roundness=ROUNDNESS)
    return np.concatenate([centres, peaks])


def crossing_lattice(
    crossings: np.ndarray, boxes: np.ndarray, scores: np.ndarray
) -> Lattice | None:
    """Find the lattice of the intersections the network sees (network pixels).

    Args:
        crossings: (S, S) the crossings map.
        boxes: (K, 4) xyxy stone boxes.
        scores: (K,) their scores.

    Returns:
        The largest lattice over ``BLURS`` (``crossing_points``), or None when none
        has nine points.
    """
    best: Lattice | None = None
    for blur in BLURS:
        found = find_lattice(crossing_points(crossings, boxes, scores, blur))
        if found is not None and (best is None or len(found.coords) > len(best.coords)):
            best = found
    return best


def lattice_grids(
    lattice: Lattice, maps: GridMaps, sizes: tuple[int, ...], keep: int = PLACEMENTS
) -> list[tuple[int, np.ndarray, float]]:
    """Place grids of each size over the lattice; return the best placements.

    A grid of ``n`` lines holds a lattice spanning ``c`` columns in ``n - c + 1`` ways
    along that family (likewise the rows); each placement's corners are the lattice's
    homography at the grid's corner coordinates.  All placements are measured at once
    (``GridMaps.placement_fits``; none with more than ``MAX_OUTSIDE`` of its
    intersections outside the picture), the best ``2 keep + 1`` again by ``maps.fit``.

    Returns:
        ``[(n, corners (4, 2) network pixels, map fit), ...]``, the ``keep`` best of
        each size that can hold the lattice, best first within a size.
    """
    columns, rows = lattice.spans
    out = []
    for n in sizes:
        fits = maps.placement_fits(lattice.to_image, n, columns, rows,
                                   max_outside=MAX_OUTSIDE)
        ranked = np.argsort(np.nan_to_num(-fits, nan=np.inf), axis=None)[: 2 * keep + 1]
        placed = []
        for left, top in zip(*np.unravel_index(ranked, fits.shape), strict=True):
            if not np.isfinite(fits[left, top]):
                continue
            square = np.array([[-left, -top], [n - 1 - left, -top],
                               [n - 1 - left, n - 1 - top], [-left, n - 1 - top]], float)
            corners = apply_homography(lattice.to_image, square)
            if not np.all(np.isfinite(corners)):
                continue
            corners = order_corners(corners)
            try:
                fit = maps.fit(corners, n).score()
            except ValueError:
                continue
            placed.append((n, corners, fit))
        out += sorted(placed, key=lambda p: -p[2])[:keep]
    return out


MISS = 1 / 3
"""Distance (spacings) from the read grid's nearest intersection at which a crossing
the network sees is missed by the grid: a stone a third of a spacing off its
intersection may be its neighbour's."""
MISSED_CROSSINGS = 3
"""Missed crossings, next to each other on the lattice, that put the whole grid in
doubt (``lattice_doubt``)."""
LATTICE_ON_GRID = 20
"""Fewest lattice points on the grid for the check: a small lattice is as often found
on a board's wood grain as on its lines."""


def lattice_misses(
    lattice: Lattice, scale: tuple[float, float], corners: np.ndarray, n: int
) -> np.ndarray:
    """How far the read grid misses each crossing of the lattice.

    Args:
        lattice: the crossings lattice, network pixels (``crossing_lattice``).
        scale: working pixels per network pixel, ``(sx, sy)``.
        corners: (4, 2) the grid's corners, working pixels (top-left, top-right,
            bottom-right, bottom-left).
        n: the grid's lines.

    Returns:
        (K,) spacings from each lattice point to the nearest intersection
        (``nn.vision.lattice.grid_misses``); NaN for the points nearest no
        intersection of the grid (beyond its outer lines).
    """
    to_image = homography(UNIT_SQUARE * (n - 1), np.asarray(corners, np.float64))
    misses, on_grid = grid_misses(lattice.points * np.asarray(scale), to_image, n)
    return np.where(on_grid, misses, np.nan)


def missed_together(lattice: Lattice, misses: np.ndarray, n: int) -> int:
    """The largest group of crossings, next to each other on the lattice, that the grid
    misses by ``MISS`` or more; 0 for a lattice with fewer than ``LATTICE_ON_GRID``
    points on the grid or with more lines than the grid (not the grid's own: found on
    wood grain, or on the peaks midway along a close board's lines)."""
    on_grid = np.isfinite(misses)
    if on_grid.sum() < LATTICE_ON_GRID or max(lattice.spans) > n:
        return 0
    return largest_group(lattice.coords, on_grid & (np.nan_to_num(misses) >= MISS))


def lattice_doubt(missed: int) -> bool:
    """Whether ``missed`` crossings side by side (``missed_together``) put the grid in
    doubt everywhere: a grid placed wrong at one corner is off by a fraction of a line
    over much of the board, missing the crossings there side by side, and which points
    it reads wrong cannot be told.  Lone misses are the lattice's own strays."""
    return missed >= MISSED_CROSSINGS


__all__ = [
    "LATTICE_ON_GRID",
    "MISS",
    "MISSED_CROSSINGS",
    "BLURS",
    "PEAK_THRESHOLD",
    "MAX_OUTSIDE",
    "PLACEMENTS",
    "ROUNDNESS",
    "STONE_SCORE",
    "crossing_lattice",
    "crossing_points",
    "lattice_misses",
    "missed_together",
    "lattice_doubt",
    "lattice_grids",
]
