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
            seen board (a grid too fine, or bent, puts them between the crossings).
        beyond: the same one spacing beyond the grid's outer lines, where the right
            grid has bare margin and a grid a line off leaves a line of crossings.
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

    def _seen_heat(self, points: np.ndarray) -> np.ndarray:
        """The crossings map at those of the (P, 2) points that lie on the seen board."""
        height, width = self.seen.shape
        ok = np.all(np.isfinite(points), axis=1)
        ok &= (points[:, 0] >= 0) & (points[:, 0] < width)
        ok &= (points[:, 1] >= 0) & (points[:, 1] < height)
        points = points[ok]
        on = self.seen[points[:, 1].astype(np.int64), points[:, 0].astype(np.int64)]
        return (
            sample_bilinear(self.maps[CROSSINGS : CROSSINGS + 1], points[on])[:, 0]
            if on.any()
            else np.zeros(0)
        )

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
        on = self._seen_heat(apply_homography(to_image, nodes))
        off = self._seen_heat(apply_homography(to_image, ring))
        return MapFit(
            area=both / union if union > 0 else 0.0,
            crossings=float(on.mean()) if len(on) else 0.0,
            beyond=float(off.mean()) if len(off) else 0.0,
        )


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
