"""The grid maps: what the scan network learns to see of the grid itself.

Two per-pixel maps, drawn from a photo's labelled grid corners and taught beside the
segmentation (``scripts/train_scan.py``):

* **area** (``AREA``): inside the grid grown by half a spacing on every side (the
  grid's cells, each intersection at the centre of its own), hidden parts included.
  Its border runs half a spacing beyond the outermost lines, between them and the
  board's edge: a grid moved by one line disagrees with it along two whole sides.
* **crossings** (``CROSSINGS``): a small Gaussian bump on every intersection an occluder
  does not hide (stones' included: a stone's centre is its intersection), its width
  ``CROSSING_SIGMA`` of a spacing (at least ``MIN_SIGMA_PX`` pixels).

The reading (``zerogo.scan.read``) measures its candidate grids against the maps the
network draws (``GridMaps.fit``): a grid one line off fits its stones and its lines
nearly as well as the right one, but not the area's border nor the crossings beyond
its outer lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nn.vision.geometry import (
    UNIT_SQUARE,
    apply_homography,
    grid_points,
    homography,
    quadrilateral_mask,
    sample_bilinear,
)

AREA, CROSSINGS = 0, 1
GRID_MAPS = 2
"""Channels of the grid maps."""
CROSSING_SIGMA = 0.12
"""Width of a crossing's bump, in spacings."""
MIN_SIGMA_PX = 1.0
"""Least width of a crossing's bump, in pixels."""


def grid_outline(corners: np.ndarray, n: int, grow: float = 0.5) -> np.ndarray:
    """Return the quadrilateral (4, 2) of an ``n``-line grid grown by ``grow`` spacings.

    ``corners``: (4, 2) the grid's corners (top-left, top-right, bottom-right,
    bottom-left), in pixels; the growth follows the grid's perspective.
    """
    square = UNIT_SQUARE * (n - 1)
    to_image = homography(square, np.asarray(corners, dtype=np.float64))
    grown = UNIT_SQUARE * (n - 1 + 2 * grow) - grow
    return apply_homography(to_image, grown)


def grid_area(corners: np.ndarray, n: int, shape: tuple[int, int]) -> np.ndarray:
    """Return the grid's area map, (H, W) bool (``AREA``)."""
    return quadrilateral_mask(grid_outline(corners, n), shape)


def crossing_heat(
    corners: np.ndarray, n: int, shape: tuple[int, int], visible: np.ndarray | None = None
) -> np.ndarray:
    """Return the crossings map, (H, W) float32 in [0, 1] (``CROSSINGS``).

    Args:
        corners: (4, 2) the grid's corners, pixels.
        n: its lines.
        shape: (H, W) of the map.
        visible: (n, n) bool, the intersections to draw (None: all).
    """
    height, width = shape
    grid = grid_points(np.asarray(corners, dtype=np.float64), n)
    points = grid if visible is None else grid[np.asarray(visible, bool)]
    points = points.reshape(-1, 2)
    heat = np.zeros(shape, np.float32)
    if not len(points):
        return heat
    step_x = np.linalg.norm(np.diff(grid, axis=1), axis=-1).mean()
    step_y = np.linalg.norm(np.diff(grid, axis=0), axis=-1).mean()
    sigma = max(MIN_SIGMA_PX, CROSSING_SIGMA * float(min(step_x, step_y)))
    reach = int(np.ceil(3 * sigma))
    for x, y in points:
        if not (-reach <= x < width + reach and -reach <= y < height + reach):
            continue
        c0, c1 = max(int(np.floor(x)) - reach, 0), min(int(np.floor(x)) + reach + 2, width)
        r0, r1 = max(int(np.floor(y)) - reach, 0), min(int(np.floor(y)) + reach + 2, height)
        if c0 >= c1 or r0 >= r1:
            continue
        xs = np.arange(c0, c1, dtype=np.float32) + 0.5 - x
        ys = np.arange(r0, r1, dtype=np.float32) + 0.5 - y
        bump = np.exp(-0.5 * (ys[:, None] ** 2 + xs[None, :] ** 2) / sigma**2)
        np.maximum(heat[r0:r1, c0:c1], bump, out=heat[r0:r1, c0:c1])
    return heat


def grid_targets(
    corners: np.ndarray, n: int, shape: tuple[int, int], occluded: np.ndarray | None = None
) -> np.ndarray:
    """Return both grid maps as training targets, (H, W, ``GRID_MAPS``) uint8 (255 = 1).

    ``occluded``: (n, n) bool, intersections an occluder hides (no crossing drawn).
    """
    visible = None if occluded is None else ~np.asarray(occluded, bool)
    out = np.empty((*shape, GRID_MAPS), np.uint8)
    out[..., AREA] = grid_area(corners, n, shape) * np.uint8(255)
    out[..., CROSSINGS] = np.rint(crossing_heat(corners, n, shape, visible) * 255)
    return out


BARE_RING = 0.5
"""Bare points (per line of the grid) added to the ring's mean (``MapFit.beyond``)."""
MAP_STEP = 2
"""Pixel step of the area comparison's raster."""


@dataclass
class MapFit:
    """How well a grid fits the grid maps (``GridMaps.fit``).

    Attributes:
        area: the (soft) intersection over union of the grid's grown outline and the
            area map, over the whole picture: the network draws the area under a hand
            too, and a grid reaching off the board or short of it loses alike.
        crossings: the mean crossings probability at the grid's intersections on the
            seen board (a grid too fine, or bent, puts them between the crossings),
            those off the seen board and off the area map counted as 0 (a grid too
            large reaches where the network sees no board, not even under a hand).
        beyond: the crossings one spacing beyond the grid's outer lines, where the
            right grid has bare margin and a grid a line off leaves a line of
            crossings: their mean on the seen board, as if ``BARE_RING`` x n more
            points there were bare (a board with a narrow margin has few ring points
            on it, next to the edge stones: a mean of their own is noise).
    """

    area: float
    crossings: float
    beyond: float

    def score(self) -> float:
        """``area + crossings - beyond``, at most 2."""
        return self.area + self.crossings - self.beyond


class GridMaps:
    """The network's grid maps, ready for measuring grids against (``fit``).

    Args:
        maps: (``GRID_MAPS``, S, S) probabilities, network pixels.
        seen: (S, S) bool, the board as the segmentation sees it (board or stone): the
            crossings are compared there (an occluder hides them).
    """

    def __init__(self, maps: np.ndarray, seen: np.ndarray) -> None:
        self.maps = maps
        self.seen = seen
        self.area = maps[AREA][::MAP_STEP, ::MAP_STEP]
        self.area_sum = float(self.area.sum())

    def _seen_heat(self, points: np.ndarray, off_area: bool = False) -> np.ndarray:
        """The crossings map at those of the (P, 2) points that lie on the seen board.

        ``off_area``: also a 0 for each point in the picture that is neither on the seen
        board nor in the area map (where the network sees no grid at all, not even
        under an occluder).
        """
        height, width = self.seen.shape
        ok = np.all(np.isfinite(points), axis=1)
        ok &= (points[:, 0] >= 0) & (points[:, 0] < width)
        ok &= (points[:, 1] >= 0) & (points[:, 1] < height)
        points = points[ok]
        rows, cols = points[:, 1].astype(np.int64), points[:, 0].astype(np.int64)
        on = self.seen[rows, cols]
        heat = (
            sample_bilinear(self.maps[CROSSINGS : CROSSINGS + 1], points[on])[:, 0]
            if on.any()
            else np.zeros(0)
        )
        if off_area:
            outside = int((~on & (self.maps[AREA][rows, cols] < 0.5)).sum())
            heat = np.concatenate([heat, np.zeros(outside)])
        return heat

    def fit(self, corners: np.ndarray, n: int) -> MapFit:
        """Measure the ``n``-line grid with these (4, 2) corners (network pixels).

        Raises:
            ValueError: for degenerate corners.
        """
        inside = quadrilateral_mask(grid_outline(corners, n), self.seen.shape, MAP_STEP)
        both = float(self.area[inside].sum())
        union = self.area_sum + float(inside.sum()) - both
        to_image = homography(UNIT_SQUARE * (n - 1), np.asarray(corners, dtype=np.float64))
        ks = np.arange(n, dtype=np.float64)
        nodes = np.stack(np.meshgrid(ks, ks), -1).reshape(-1, 2)
        around = np.arange(-1, n + 1, dtype=np.float64)
        ring = np.concatenate(
            [np.stack((around, np.full_like(around, k)), -1) for k in (-1.0, float(n))]
            + [np.stack((np.full_like(ks, k), ks), -1) for k in (-1.0, float(n))]
        )
        on = self._seen_heat(apply_homography(to_image, nodes), off_area=True)
        off = self._seen_heat(apply_homography(to_image, ring))
        return MapFit(
            area=both / union if union > 0 else 0.0,
            crossings=float(on.mean()) if len(on) else 0.0,
            beyond=float(off.sum()) / (len(off) + BARE_RING * n),
        )


    def placement_fits(
        self,
        to_image: np.ndarray,
        n: int,
        columns: int,
        rows: int,
        fine: int = 4,
        max_outside: float = 1.0,
    ) -> np.ndarray:
        """The fit (``MapFit.score``) of every placement of an ``n``-line grid over a
        lattice, all at once.

        ``to_image`` maps lattice coordinates to network pixels; the lattice spans
        ``columns`` x ``rows`` lines (coordinates from 0).  The placement ``(left,
        top)`` puts the grid's first line at ``-left`` and ``-top``: the grid holds the
        lattice for ``0 <= left <= n - columns`` and ``0 <= top <= n - rows``.  The
        terms are those of ``fit``, measured in lattice coordinates instead of on the
        picture's raster: the area over cells of ``1 / fine`` of a spacing weighted by
        their size in the picture, the crossings at the lattice's points, each summed
        over a placement with integral images.  Within about a hundredth of ``fit``;
        the caller measures the placements it keeps with ``fit``.

        ``max_outside``: the largest share of the grid's intersections that may lie
        outside the picture (the maps say nothing there: a grid hanging off the
        picture loses no fit for it).

        Returns:
            (n - columns + 1, n - rows + 1) float, nan where a placement reaches
            beyond the picture's horizon or has too many intersections outside it.
        """
        lefts, tops = n - columns + 1, n - rows + 1
        if lefts < 1 or tops < 1:
            return np.zeros((max(lefts, 0), max(tops, 0)))
        to_image = np.asarray(to_image, dtype=np.float64)
        # lattice points from one spacing beyond the leftmost placement's first line
        # to one beyond the rightmost's last: u = u0 + index
        u0, v0 = -(n - columns) - 1, -(n - rows) - 1
        us = np.arange(u0, n + 1, dtype=np.float64)
        vs = np.arange(v0, n + 1, dtype=np.float64)
        centre = np.array([[(columns - 1) / 2, (rows - 1) / 2]])
        side = float(to_image[2, 0] * centre[0, 0] + to_image[2, 1] * centre[0, 1] + to_image[2, 2])

        def mapped(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Pixels of the lattice points (u, v) (broadcast), and whether they are in
            front of the horizon."""
            w = to_image[2, 0] * u + to_image[2, 1] * v + to_image[2, 2]
            front = w * side > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                x = (to_image[0, 0] * u + to_image[0, 1] * v + to_image[0, 2]) / w
                y = (to_image[1, 0] * u + to_image[1, 1] * v + to_image[1, 2]) / w
            return np.stack([np.where(front, x, np.nan), np.where(front, y, np.nan)], -1), front

        height, width = self.seen.shape

        def in_picture(points: np.ndarray) -> np.ndarray:
            x, y = points[..., 0], points[..., 1]
            with np.errstate(invalid="ignore"):
                return (x >= 0) & (x < width) & (y >= 0) & (y < height)

        def integral(values: np.ndarray) -> np.ndarray:
            out = np.zeros((values.shape[0] + 1, values.shape[1] + 1))
            out[1:, 1:] = values.cumsum(0).cumsum(1)
            return out

        def box(table: np.ndarray, r0: np.ndarray, r1: np.ndarray,
                c0: np.ndarray, c1: np.ndarray) -> np.ndarray:
            """Sums over rows r0..r1-1 and columns c0..c1-1 (index arrays broadcast)."""
            return table[r1, c1] - table[r0, c1] - table[r1, c0] + table[r0, c0]

        # the crossings at the lattice points ([v, u] arrays)
        points, front = mapped(us[None, :], vs[:, None])
        pictured = in_picture(points) & front
        rows_, cols_ = (np.where(pictured, points[..., k], 0).astype(np.int64) for k in (1, 0))
        seen = pictured & self.seen[rows_, cols_]
        heat = np.zeros(points.shape[:2])
        if seen.any():
            heat[seen] = sample_bilinear(self.maps[CROSSINGS : CROSSINGS + 1], points[seen])[:, 0]
        off_area = pictured & ~seen & (self.maps[AREA][rows_, cols_] < 0.5)
        heat_t, seen_t = integral(heat), integral(seen.astype(np.float64))
        off_t, pictured_t = integral(off_area.astype(np.float64)), integral(pictured * 1.0)
        # the area over fine cells: boundaries from half a spacing beyond the ring
        edges_u = u0 - 0.5 + np.arange(len(us) * fine + 1) / fine
        edges_v = v0 - 0.5 + np.arange(len(vs) * fine + 1) / fine
        corners, corners_front = mapped(edges_u[None, :], edges_v[:, None])
        a, b = corners[:-1, :-1], corners[:-1, 1:]
        c, d = corners[1:, 1:], corners[1:, :-1]
        cross = ((c - a)[..., 0] * (d - b)[..., 1] - (c - a)[..., 1] * (d - b)[..., 0])
        cell = np.nan_to_num(np.abs(cross) / 2)
        middle = (a + c) / 2
        cell_in = in_picture(middle) & corners_front[:-1, :-1] & corners_front[1:, 1:]
        cell = np.where(cell_in, cell, 0.0)
        mr, mc = (np.where(cell_in, middle[..., k], 0).astype(np.int64) for k in (1, 0))
        area_t = integral(cell * self.maps[AREA][mr, mc])
        cell_t = integral(cell)
        area_sum = self.area_sum * MAP_STEP * MAP_STEP

        left = np.arange(lefts)[:, None]
        top = np.arange(tops)[None, :]
        # the grid's lines -left..n-1-left are lattice indices -left-u0 .. n-1-left-u0
        c0, r0 = -left - u0, -top - v0
        c1, r1 = c0 + n, r0 + n
        on_heat = box(heat_t, r0, r1, c0, c1)
        on_count = box(seen_t, r0, r1, c0, c1) + box(off_t, r0, r1, c0, c1)
        crossings = np.where(on_count > 0, on_heat / np.maximum(on_count, 1), 0.0)
        ring_heat = box(heat_t, r0 - 1, r1 + 1, c0 - 1, c1 + 1) - on_heat
        ring_seen = box(seen_t, r0 - 1, r1 + 1, c0 - 1, c1 + 1) - box(seen_t, r0, r1, c0, c1)
        beyond = ring_heat / (ring_seen + BARE_RING * n)
        f0, g0 = c0 * fine, r0 * fine  # the grid grown by half a spacing
        f1, g1 = f0 + n * fine, g0 + n * fine
        both = box(area_t, g0, g1, f0, f1)
        inside = box(cell_t, g0, g1, f0, f1)
        union = area_sum + inside - both
        area = np.where(union > 0, both / np.maximum(union, 1e-9), 0.0)
        grown_front = box(integral((~(corners_front[:-1, :-1] & corners_front[1:, 1:])) * 1.0),
                          g0, g1, f0, f1) == 0
        framed = box(pictured_t, r0, r1, c0, c1) >= (1 - max_outside) * n * n
        return np.where(grown_front & framed, area + crossings - beyond, np.nan)


def map_fit(maps: np.ndarray, seen: np.ndarray, corners: np.ndarray, n: int) -> MapFit:
    """``GridMaps(maps, seen).fit(corners, n)``: one grid measured against the maps."""
    return GridMaps(maps, seen).fit(corners, n)


__all__ = [
    "GridMaps",
    "MapFit",
    "map_fit",
    "AREA",
    "CROSSINGS",
    "CROSSING_SIGMA",
    "GRID_MAPS",
    "MIN_SIGMA_PX",
    "crossing_heat",
    "grid_area",
    "grid_outline",
    "grid_targets",
]
