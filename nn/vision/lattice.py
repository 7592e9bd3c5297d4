"""A square lattice seen in perspective, found from detected points.

A detector that marks the crossings of a grid (the intersections of a Go board, the
corners of a chessboard's squares, a calibration target) gives a heat map with a bump
on every crossing it sees.  ``heat_peaks`` turns the map into points; ``grow_lattice``
walks from a seed point to its neighbours, one lattice step at a time, predicting each
next point from the last step taken (a perspective lattice's steps change slowly), and
gives every point it reaches integer lattice coordinates; ``find_lattice`` tries a few
seeds, keeps the largest consistent lattice and fits the homography from lattice
coordinates to the picture, dropping points that do not fit it.

A lattice found this way knows nothing of what it cannot see: the lines under an
occluder, or beyond the picture, are missing from its coordinates, and which lines of
a full grid the seen ones are is for the caller to decide.

Points are ``(x, y)`` pixels.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from nn.vision.geometry import apply_homography, homography

PREDICTION_TOLERANCE = 0.3
"""How far from its predicted place a point may lie to be the next one, in steps."""
MAX_RESIDUAL = 0.2
"""Points further than this from the fitted lattice, in steps, are dropped."""
THIN_LINE = 3
"""An outer line of the lattice with fewer points than this, beside a line with twice
as many, is dropped: clutter near the lattice's edge passes for one more line."""


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Blur an (H, W) map with a Gaussian of ``sigma`` pixels (edges repeated)."""
    image = np.asarray(image, dtype=np.float64)
    if sigma <= 0:
        return image
    reach = max(1, int(np.ceil(3 * sigma)))
    kernel = np.exp(-0.5 * (np.arange(-reach, reach + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    out = np.pad(image, reach, mode="edge")
    out = sum(kernel[k] * out[k : k + out.shape[0] - 2 * reach] for k in range(len(kernel)))
    out = sum(kernel[k] * out[:, k : k + out.shape[1] - 2 * reach] for k in range(len(kernel)))
    return out


def isotropy(image: np.ndarray) -> np.ndarray:
    """How round the bump at each pixel of a smooth (H, W) map is, 0 to 1.

    The ratio of the Hessian's smaller to its larger eigenvalue magnitude where both
    are negative (a cap: a spot, or two ridges crossing), 0 elsewhere (a ridge's
    length, a slope, a valley).
    """
    gy, gx = np.gradient(np.asarray(image, dtype=np.float64))
    hyy, hyx = np.gradient(gy)
    hxy, hxx = np.gradient(gx)
    hxy = (hxy + hyx) / 2
    mean = (hxx + hyy) / 2
    spread = np.sqrt(((hxx - hyy) / 2) ** 2 + hxy**2)
    high, low = mean + spread, mean - spread  # eigenvalues, high >= low
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((high < 0) & (low < 0), high / low, 0.0)
    return np.nan_to_num(ratio)


def heat_peaks(
    heat: np.ndarray,
    threshold: float = 0.3,
    mask: np.ndarray | None = None,
    blur: float = 0.0,
    roundness: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the local maxima of a heat map, refined to sub-pixel positions.

    A peak is a pixel at least ``threshold`` and at least as high as its eight
    neighbours (the first of a flat top); its position is refined along each axis to
    the vertex of the parabola through it and its two neighbours.

    Args:
        heat: (H, W) float map.
        threshold: the lowest peak.
        mask: (H, W) bool, where peaks may be (None: anywhere).
        blur: the map is first blurred by a Gaussian of this many pixels (0: not).
        roundness: the least ``isotropy`` of a peak of the (blurred) map: above 0,
            the maxima along a ridge (a line the map draws) are not peaks, where two
            ridges cross is.

    Returns:
        ``(points (P, 2) float64 (x, y), values (P,))``, strongest first.
    """
    heat = np.asarray(heat, dtype=np.float64)
    if heat.ndim != 2:
        raise ValueError(f"a heat map is (H, W), not {heat.shape}")
    heat = gaussian_blur(heat, blur)
    height, width = heat.shape
    padded = np.pad(heat, 1, constant_values=-np.inf)
    neighbours = [padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
                  for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]
    peak = heat >= threshold
    for k, other in enumerate(neighbours):
        # strictly higher than the neighbours before it in raster order, at least as high
        # as those after: one pixel of a flat top
        peak &= heat > other if k < 4 else heat >= other
    if mask is not None:
        peak &= np.asarray(mask, bool)
    if roundness > 0:
        peak &= isotropy(heat) >= roundness
    rows, cols = np.nonzero(peak)
    if not len(rows):
        return np.zeros((0, 2)), np.zeros(0)

    def parabola(before: np.ndarray, here: np.ndarray, after: np.ndarray) -> np.ndarray:
        """The vertex of the parabola through three samples, as an offset from the middle."""
        before = np.where(np.isfinite(before), before, here)
        after = np.where(np.isfinite(after), after, here)
        curve = before - 2 * here + after
        with np.errstate(divide="ignore", invalid="ignore"):
            shift = np.where(curve < 0, (before - after) / (2 * curve), 0.0)
        return np.clip(np.nan_to_num(shift), -0.5, 0.5)

    here = heat[rows, cols]
    dx = parabola(padded[rows + 1, cols], here, padded[rows + 1, cols + 2])
    dy = parabola(padded[rows, cols + 1], here, padded[rows + 2, cols + 1])
    points = np.stack([cols + 0.5 + dx, rows + 0.5 + dy], axis=1)
    order = np.argsort(-here, kind="stable")
    return points[order], here[order]


def _basis(points: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Two lattice steps at ``seed``: the nearest neighbour, and the nearest one across it."""
    offsets = points - points[seed]
    distance = np.hypot(offsets[:, 0], offsets[:, 1])
    distance[seed] = np.inf
    order = np.argsort(distance)
    if len(order) < 3 or not np.isfinite(distance[order[0]]):
        return None
    u = offsets[order[0]]
    reach = 1.8 * distance[order[0]]
    for k in order[1:]:
        if distance[k] > reach:
            break
        cosine = float(offsets[k] @ u) / (distance[k] * distance[order[0]])
        if abs(cosine) < 0.5:
            return u, offsets[k]
    return None


def grow_lattice(points: np.ndarray, seed: int) -> dict[tuple[int, int], int]:
    """Give the points reachable from ``seed`` by lattice steps their lattice coordinates.

    From each reached point, the four next points are predicted one step on along each
    axis (the step last taken along that axis, so the steps follow the perspective) and
    taken when a point lies within ``PREDICTION_TOLERANCE`` of a step of the prediction
    and has no coordinates yet.

    Returns:
        ``{(i, j): point index}``: ``i`` along the seed's first step (its nearest
        neighbour), ``j`` along the second; empty when the seed has no two
        neighbours across each other.
    """
    points = np.asarray(points, dtype=np.float64)
    basis = _basis(points, seed)
    if basis is None:
        return {}
    taken = {(0, 0): seed}
    used = {seed}
    steps = {(0, 0): basis}
    queue = deque([(0, 0)])
    while queue:
        node = queue.popleft()
        here = points[taken[node]]
        u, v = steps[node]
        for axis, sign in ((0, 1), (0, -1), (1, 1), (1, -1)):
            step = (u if axis == 0 else v) * sign
            nxt = (node[0] + sign, node[1]) if axis == 0 else (node[0], node[1] + sign)
            if nxt in taken:
                continue
            guess = here + step
            distance = np.hypot(points[:, 0] - guess[0], points[:, 1] - guess[1])
            k = int(np.argmin(distance))
            if distance[k] > PREDICTION_TOLERANCE * float(np.hypot(*step)) or k in used:
                continue
            taken[nxt] = k
            used.add(k)
            actual = (points[k] - here) * sign
            steps[nxt] = (actual, v) if axis == 0 else (u, actual)
            queue.append(nxt)
    return taken


@dataclass
class Lattice:
    """A lattice found in the picture (``find_lattice``).

    Attributes:
        coords: (K, 2) int, the lattice coordinates ``(i, j)`` of the points kept,
            shifted so that the smallest of each is 0.
        points: (K, 2) their pixels.
        to_image: (3, 3) the homography from lattice coordinates to pixels.
        spans: ``(columns, rows)``: how many lines of each family the points lie on
            (largest coordinate + 1).
    """

    coords: np.ndarray
    points: np.ndarray
    to_image: np.ndarray

    @property
    def spans(self) -> tuple[int, int]:
        """Lines of each family the points lie on."""
        return int(self.coords[:, 0].max()) + 1, int(self.coords[:, 1].max()) + 1


def fit_lattice_points(
    coords: np.ndarray, points: np.ndarray, rounds: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Fit the homography from lattice coordinates to points, dropping misfits.

    Returns:
        ``(to_image (3, 3), kept (K,) bool)``.

    Raises:
        ValueError: when fewer than four points in general position remain.
    """
    coords = np.asarray(coords, dtype=np.float64)
    points = np.asarray(points, dtype=np.float64)
    kept = np.ones(len(coords), bool)
    to_image = homography(coords, points)
    for _ in range(rounds):
        fitted = apply_homography(to_image, coords)
        across = apply_homography(to_image, coords + [1.0, 0.0]) - fitted
        down = apply_homography(to_image, coords + [0.0, 1.0]) - fitted
        step = np.minimum(np.hypot(*across.T), np.hypot(*down.T))
        residual = np.hypot(*(fitted - points).T) / np.maximum(step, 1e-9)
        now = residual <= MAX_RESIDUAL
        if now.sum() < 4 or np.array_equal(now, kept):
            break
        kept = now
        to_image = homography(coords[kept], points[kept])
    return to_image, kept


def trim_thin_edges(coords: np.ndarray) -> np.ndarray:
    """Return which points to keep once thin outer lines are dropped (``THIN_LINE``).

    ``coords``: (K, 2) int lattice coordinates.  Returns (K,) bool.
    """
    coords = np.asarray(coords)
    keep = np.ones(len(coords), bool)
    trimmed = True
    while trimmed and keep.any():
        trimmed = False
        for axis in (0, 1):
            values = coords[keep, axis]
            low, high = int(values.min()), int(values.max())
            for edge, inner in ((low, low + 1), (high, high - 1)):
                if low == high:
                    break
                if (values == edge).sum() < THIN_LINE <= (values == inner).sum() / 2:
                    keep &= coords[:, axis] != edge
                    trimmed = True
                    break
            if trimmed:
                break
    return keep


def find_lattice(
    points: np.ndarray, seeds: int = 6, min_points: int = 9
) -> Lattice | None:
    """Find the largest lattice among the points (strongest first, as ``heat_peaks``
    gives them).

    Each of the first ``seeds`` points that has two neighbours across each other grows
    a lattice (``grow_lattice``); the largest is fitted (``fit_lattice_points``), its
    thin outer lines dropped (``trim_thin_edges``) and fitted again.

    Returns:
        The lattice, or None when none reaches ``min_points`` points.
    """
    points = np.asarray(points, dtype=np.float64)
    best: dict[tuple[int, int], int] = {}
    reached: set[int] = set()
    for seed in range(min(seeds, len(points))):
        if seed in reached:
            continue  # already part of the largest lattice: it would grow the same one
        taken = grow_lattice(points, seed)
        if len(taken) > len(best):
            best, reached = taken, set(taken.values())
    if len(best) < min_points:
        return None
    coords = np.array(list(best.keys()), dtype=np.int64)
    chosen = points[np.array(list(best.values()), dtype=np.int64)]
    try:
        to_image, kept = fit_lattice_points(coords, chosen)
    except ValueError:
        return None
    coords, chosen = coords[kept], chosen[kept]
    thick = trim_thin_edges(coords)
    if thick.sum() < min_points:
        return None
    if not thick.all():
        coords, chosen = coords[thick], chosen[thick]
        try:
            to_image = homography(coords, chosen)
        except ValueError:
            return None
    low = coords.min(axis=0)
    shift = np.array([[1.0, 0.0, low[0]], [0.0, 1.0, low[1]], [0.0, 0.0, 1.0]])
    return Lattice(coords=coords - low, points=chosen, to_image=to_image @ shift)


def grid_misses(
    points: np.ndarray, grid_to_image: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """How far each point lies from the nearest intersection of an ``n``-line grid.

    A grid read right passes through every crossing seen on it; one bent where the
    picture was hard to read (a corner placed a line off under an occluder) misses the
    crossings seen between its right part and its wrong one by up to half a step.  The
    measure needs no lattice coordinates, so a lattice whose coordinates slipped by a
    line somewhere does not count against a right grid; a grid moved by whole lines
    passes through the same crossings as the right one and is not caught here.

    Args:
        points: (K, 2) pixels of the crossings seen.
        grid_to_image: (3, 3) homography from grid coordinates (intersection
            ``(i, j)`` at ``(i, j)``) to the same pixels.
        n: the grid's lines.

    Returns:
        ``(misses (K,) in grid steps, on_grid (K,) bool)``: ``on_grid`` tells whether
        the nearest intersection is one of the grid's (not beyond its outer lines).
    """
    seen = apply_homography(np.linalg.inv(grid_to_image), np.asarray(points, np.float64))
    nearest = np.round(seen)
    on_grid = np.all((nearest >= 0) & (nearest <= n - 1), axis=1)
    return np.hypot(*(seen - nearest).T), on_grid


def largest_group(coords: np.ndarray, marked: np.ndarray) -> int:
    """Size of the largest group of marked lattice points joined by single steps.

    Args:
        coords: (K, 2) int lattice coordinates.
        marked: (K,) bool.
    """
    left = {tuple(c) for c in np.asarray(coords)[np.asarray(marked, bool)].tolist()}
    best = 0
    while left:
        todo = [left.pop()]
        size = 0
        while todo:
            i, j = todo.pop()
            size += 1
            for step in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                if step in left:
                    left.remove(step)
                    todo.append(step)
        best = max(best, size)
    return best


__all__ = [
    "Lattice",
    "MAX_RESIDUAL",
    "PREDICTION_TOLERANCE",
    "THIN_LINE",
    "find_lattice",
    "fit_lattice_points",
    "gaussian_blur",
    "grid_misses",
    "grow_lattice",
    "heat_peaks",
    "isotropy",
    "largest_group",
    "trim_thin_edges",
]
