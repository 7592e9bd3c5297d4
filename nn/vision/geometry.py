"""Plane geometry of photographs: homographies, quadrilaterals, regular grids.

A planar object (a sheet, a board) photographed by a pinhole camera is mapped to the
image by a *homography* ``H`` (a 3x3 matrix up to scale): the point ``(x, y)`` of the
plane goes to ``(u, v) = (h1 . p / h3 . p, h2 . p / h3 . p)`` with ``p = (x, y, 1)``.
Four point pairs, no three on a line, fix it.

* ``homography``: ``H`` from 4 or more pairs by the direct linear transform (DLT:
  each pair gives two linear equations in the 9 entries; the solution is the singular
  vector of the smallest singular value), on Hartley-normalised points (centred, mean
  distance sqrt(2)) for a well-conditioned system;
* ``apply_homography``, ``warp_image``: map points; resample an image through ``H``;
* ``grid_points``: the intersections of an n x n grid whose four corners are known;
* ``fit_quadrilateral``: the four corners of a convex quadrilateral region of a mask:
  the straight runs of its hull border (a Hough vote refined by least squares) are
  candidate sides, and the four that cover the region best win, so a corner that is
  hidden is recovered from its sides;
* ``largest_quadrilateral``: four hull vertices of a region enclosing a large area (no
  straight border needed); ``snap_quadrilateral``: move each side of a quadrilateral onto
  the edge of a probability map's region, by a robust line fit to the edge found along
  its normals (a ragged border, a smear or an occluder's notch moves a few edge points,
  not the side); ``quadrilateral_mask``: rasterise one;
* ``fit_lattice``: the first and last of ``n`` equally spaced peaks in a 1-D profile;
* ``fit_lattice_homography``: refit a lattice's homography to points near its nodes
  (iterative closest node: pair, refit by least squares, repeat).

Points are ``(x, y)`` pixel coordinates (x to the right, y down); the pixel ``[r, c]``
of an array covers ``[c, c+1) x [r, r+1)`` and its centre is ``(c + 0.5, r + 0.5)``.
Corners of quadrilaterals are ordered top-left, top-right, bottom-right, bottom-left.
Only numpy; nothing here knows what is photographed.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np


def _normalise(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return Hartley's similarity T and the transformed points (centroid 0, mean norm sqrt 2)."""
    centre = points.mean(axis=0)
    spread = np.linalg.norm(points - centre, axis=1).mean()
    scale = np.sqrt(2.0) / spread if spread > 0 else 1.0
    transform = np.array(
        [[scale, 0.0, -scale * centre[0]], [0.0, scale, -scale * centre[1]], [0.0, 0.0, 1.0]]
    )
    return transform, (points - centre) * scale


def homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Return the homography that maps ``src`` onto ``dst`` (least squares past 4 pairs).

    Args:
        src: (N, 2) points, N >= 4.
        dst: (N, 2) their images.

    Returns:
        (3, 3) float64, ``H[2, 2] = 1`` where possible.

    Raises:
        ValueError: for fewer than 4 pairs, mismatched shapes or a degenerate
            configuration (e.g. three of four points on a line).
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 4:
        raise ValueError(f"homography needs two (N >= 4, 2) arrays, not {src.shape}, {dst.shape}")
    t_src, a = _normalise(src)
    t_dst, b = _normalise(dst)
    rows = []
    for (x, y), (u, v) in zip(a, b, strict=True):
        rows.append([-x, -y, -1.0, 0.0, 0.0, 0.0, u * x, u * y, u])
        rows.append([0.0, 0.0, 0.0, -x, -y, -1.0, v * x, v * y, v])
    _, singular, vt = np.linalg.svd(np.asarray(rows))
    if singular[7] < 1e-9 * singular[0]:
        raise ValueError("degenerate point configuration: the homography is not determined")
    h = np.linalg.inv(t_dst) @ vt[-1].reshape(3, 3) @ t_src
    if abs(h[2, 2]) > 1e-12:
        h = h / h[2, 2]
    return h


def apply_homography(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map points through ``h``: (..., 2) -> (..., 2) (infinite where they leave the plane)."""
    points = np.asarray(points, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    x, y = points[..., 0], points[..., 1]
    # elementwise, not a matrix product: BLAS threads are slow on a busy machine
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / w
        v = (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / w
    return np.stack((u, v), axis=-1)


def sample_bilinear(maps: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Sample (C, H, W) maps at (P, 2) points (x, y in pixels) -> (P, C); edges clamp."""
    _, height, width = maps.shape
    x = np.clip(points[:, 0] - 0.5, 0, width - 1)
    y = np.clip(points[:, 1] - 0.5, 0, height - 1)
    x0 = np.minimum(np.floor(x).astype(np.int64), width - 2)
    y0 = np.minimum(np.floor(y).astype(np.int64), height - 2)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    top = maps[:, y0, x0].T * (1 - fx) + maps[:, y0, x0 + 1].T * fx
    bottom = maps[:, y0 + 1, x0].T * (1 - fx) + maps[:, y0 + 1, x0 + 1].T * fx
    return top * (1 - fy) + bottom * fy


def warp_image(
    image: np.ndarray, h_out_to_in: np.ndarray, shape: tuple[int, int], fill: float = 0.0
) -> np.ndarray:
    """Resample ``image`` by bilinear interpolation at the points ``h_out_to_in`` maps to.

    Args:
        image: (H, W) or (H, W, C) array.
        h_out_to_in: (3, 3), output pixel coordinates -> input pixel coordinates.
        shape: (rows, cols) of the output.
        fill: value of output pixels that fall outside the input.

    Returns:
        float32 (rows, cols) or (rows, cols, C).
    """
    rows, cols = shape
    ys, xs = np.mgrid[0:rows, 0:cols].astype(np.float64) + 0.5
    source = apply_homography(h_out_to_in, np.stack((xs, ys), axis=-1)) - 0.5
    sx, sy = source[..., 0], source[..., 1]
    height, width = image.shape[:2]
    inside = np.isfinite(sx) & np.isfinite(sy) & (sx > -1) & (sy > -1)
    inside &= (sx < width) & (sy < height)
    sx = np.where(inside, sx, 0.0)
    sy = np.where(inside, sy, 0.0)
    x0 = np.floor(sx).astype(np.int64)
    y0 = np.floor(sy).astype(np.int64)
    fx, fy = sx - x0, sy - y0
    img = image.astype(np.float32)
    if img.ndim == 3:
        fx, fy = fx[..., None], fy[..., None]

    def at(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        return img[np.clip(yy, 0, height - 1), np.clip(xx, 0, width - 1)]

    top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx
    bottom = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx
    out = top * (1 - fy) + bottom * fy
    mask = inside[..., None] if img.ndim == 3 else inside
    return np.where(mask, out, np.float32(fill)).astype(np.float32)


UNIT_SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
"""The unit square's corners in the standard order (top-left first, clockwise on screen)."""


def grid_points(corners: np.ndarray, size: int) -> np.ndarray:
    """Return the intersections of a ``size`` x ``size`` grid with the given four corners.

    Args:
        corners: (4, 2) images of the grid's corners: top-left, top-right,
            bottom-right, bottom-left.
        size: lines per side, at least 2.

    Returns:
        (size, size, 2): ``[row, col]`` is the intersection of line ``row`` (from the
        top) and column ``col`` (from the left), in the corners' coordinates.

    Raises:
        ValueError: for a size below 2 or degenerate corners.
    """
    if size < 2:
        raise ValueError(f"a grid needs at least 2 lines, not {size}")
    h = homography(UNIT_SQUARE, np.asarray(corners, dtype=np.float64))
    t = np.linspace(0.0, 1.0, size)
    ys, xs = np.meshgrid(t, t, indexing="ij")
    return apply_homography(h, np.stack((xs, ys), axis=-1))


def grid_offsets(corners: np.ndarray, reference: np.ndarray, size: int) -> np.ndarray:
    """Return how far each intersection of one grid lies from another grid's.

    Args:
        corners: (4, 2) the grid measured, in the order of ``grid_points``.
        reference: (4, 2) the grid it is measured against, same order and coordinates.
        size: lines per side of both.

    Returns:
        (size, size): the distance of each intersection from the reference's same
        intersection, in the reference's local spacing there (the shorter of its steps
        to the next line across and down; a grid seen at a slant has smaller spacings
        on its far side, where a pixel counts for more).
    """
    a = grid_points(corners, size)
    b = grid_points(reference, size)
    across = np.linalg.norm(np.diff(b, axis=1), axis=-1)
    down = np.linalg.norm(np.diff(b, axis=0), axis=-1)
    spacing = np.minimum(
        np.pad(across, ((0, 0), (0, 1)), mode="edge"), np.pad(down, ((0, 1), (0, 0)), mode="edge")
    )
    return np.linalg.norm(a - b, axis=-1) / np.maximum(spacing, 1e-12)


def order_corners(points: np.ndarray) -> np.ndarray:
    """Return four points as top-left, top-right, bottom-right, bottom-left.

    They are sorted clockwise (on screen) around their centroid, starting from the
    one nearest the image's top-left (smallest ``x + y``).
    """
    points = np.asarray(points, dtype=np.float64).reshape(4, 2)
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    clockwise = points[np.argsort(angles)]
    start = int(np.argmin(clockwise.sum(axis=1)))
    return np.roll(clockwise, -start, axis=0)


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Return the convex hull of 2-D points, counter-clockwise in (x, y) (Andrew's monotone chain).

    Args:
        points: (N, 2).

    Returns:
        (H, 2) hull vertices without repeats; fewer than 3 for degenerate input.
    """
    pts = np.unique(np.asarray(points, dtype=np.float64).reshape(-1, 2), axis=0)
    if len(pts) < 3:
        return pts

    def half(sequence: np.ndarray) -> list[np.ndarray]:
        chain: list[np.ndarray] = []
        for p in sequence:
            while len(chain) >= 2:
                a, b = chain[-2], chain[-1]
                if (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) > 0:
                    break
                chain.pop()
            chain.append(p)
        return chain

    lower = half(pts)
    upper = half(pts[::-1])
    return np.array(lower[:-1] + upper[:-1])


def _area(quad: np.ndarray) -> float:
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _largest_quad(hull: np.ndarray) -> np.ndarray:
    """Return four hull vertices enclosing a large area (diameter start, local improvement)."""
    n = len(hull)
    distances = np.linalg.norm(hull[:, None] - hull[None], axis=-1)
    i, j = np.unravel_index(int(np.argmax(distances)), distances.shape)
    a, c = int(min(i, j)), int(max(i, j))

    def farthest(lo: int, hi: int, p: int, q: int) -> int:
        index = np.arange(lo + 1, hi) % n
        if len(index) == 0:
            return lo % n
        edge, rel = hull[q] - hull[p], hull[index] - hull[p]
        d = np.abs(edge[0] * rel[:, 1] - edge[1] * rel[:, 0])
        return int(index[int(np.argmax(d))])

    picks: list[int] = [a, farthest(a, c, a, c), c, farthest(c, a + n, a, c)]
    for _ in range(4):  # move each vertex to the best hull point between its neighbours
        changed = False
        for k in range(4):
            prev, nxt = picks[k - 1], picks[(k + 1) % 4]
            hi = nxt if nxt > prev else nxt + n
            best = farthest(prev, hi, prev, nxt)
            if best != picks[k]:
                picks[k], changed = best, True
        if not changed:
            break
    return hull[picks]


def _fit_line(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Total least squares line: (a point on it, its unit direction)."""
    centre = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - centre, full_matrices=False)
    return centre, vt[0]


def _intersect(p: np.ndarray, d: np.ndarray, q: np.ndarray, e: np.ndarray) -> np.ndarray | None:
    matrix = np.array([[d[0], -e[0]], [d[1], -e[1]]])
    if abs(np.linalg.det(matrix)) < 1e-9:
        return None
    s, _ = np.linalg.solve(matrix, q - p)
    return p + s * d


def mask_border(mask: np.ndarray) -> np.ndarray:
    """Return the (x, y) centres of the mask's pixels that touch a pixel outside it, (B, 2)."""
    mask = np.asarray(mask, dtype=bool)
    padded = np.pad(mask, 1)
    inner = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:] & mask
    rows, cols = np.nonzero(mask & ~inner)
    return np.stack((cols + 0.5, rows + 0.5), axis=1)


def _segment_distance(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Return the distance of each point (P, 2) to the boundary of a closed polygon (V, 2)."""
    a = polygon
    b = np.roll(polygon, -1, axis=0)
    edge = b - a
    length2 = np.maximum((edge**2).sum(axis=1), 1e-12)
    rel = points[:, None, :] - a[None]
    t = np.clip((rel * edge[None]).sum(-1) / length2[None], 0, 1)
    closest = a[None] + t[..., None] * edge[None]
    return np.linalg.norm(points[:, None, :] - closest, axis=-1).min(axis=1)


def _strongest_line(
    points: np.ndarray, tolerance: float, angles: int = 180
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Find the line through most points (Hough vote, then total least squares).

    Returns:
        ``(point on the line, unit direction, inlier mask)``, or None for < 2 points.
    """
    if len(points) < 2:
        return None
    theta = np.arange(angles) * np.pi / angles
    rho = points[:, 0:1] * np.cos(theta)[None] + points[:, 1:2] * np.sin(theta)[None]
    low = np.floor(rho.min())
    bins = np.floor(rho - low).astype(np.int64)
    width = int(bins.max()) + 2
    index = bins + (np.arange(angles) * width)[None]
    votes = np.bincount(index.ravel(), minlength=angles * width).reshape(angles, width)
    votes = votes + np.roll(votes, 1, axis=1)  # a line may straddle two bins
    a, r = np.unravel_index(int(np.argmax(votes)), votes.shape)
    normal = np.array([np.cos(theta[a]), np.sin(theta[a])])
    offset = low + r  # the two bins r-1 and r meet here
    inliers = np.abs(points @ normal - offset) < tolerance + 0.5
    for _ in range(3):
        if inliers.sum() < 2:
            return None
        centre, direction = _fit_line(points[inliers])
        normal = np.array([-direction[1], direction[0]])
        inliers = np.abs((points - centre) @ normal) < tolerance
    if inliers.sum() < 2:
        return None
    centre, direction = _fit_line(points[inliers])
    return centre, direction, inliers


def quadrilateral_mask(quad: np.ndarray, shape: tuple[int, int], step: int = 1) -> np.ndarray:
    """Rasterise a convex quadrilateral on every ``step``-th pixel centre of ``shape``.

    Args:
        quad: (4, 2) corners in order around the quadrilateral (either way round).
        shape: (rows, cols) of the image.
        step: pixel step of the raster.

    Returns:
        (ceil(rows / step), ceil(cols / step)) bool: pixel ``[r * step, c * step]``
        has its centre inside (or on) the quadrilateral.
    """
    ys, xs = np.mgrid[0 : shape[0] : step, 0 : shape[1] : step].astype(np.float64) + 0.5
    inside = np.ones(xs.shape, bool)
    sign = np.sign(_signed_area(quad))
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        cross = (b[0] - a[0]) * (ys - a[1]) - (b[1] - a[1]) * (xs - a[0])
        inside &= cross * sign >= 0
    return inside


def _signed_area(quad: np.ndarray) -> float:
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def fit_quadrilateral(
    mask: np.ndarray,
    tolerance: float = 1.5,
    candidates: int = 6,
    step: int = 2,
    leave_out_cost: float = 0.1,
) -> np.ndarray | None:
    """Return the corners of the convex quadrilateral that a mask region fills.

    The region's border pixels that lie on its convex hull (so not on notches and cuts
    that occluders make) vote for lines (a Hough transform); the ``candidates``
    strongest lines, each refitted by total least squares to the pixels within
    ``tolerance``, are candidate sides.  Of the convex quadrilaterals that four of them
    close (and the four hull vertices enclosing the most area), the one whose sides run
    along the most border pixels wins, less ``leave_out_cost`` per region pixel it
    leaves out: a corner cut off by an occluder comes back from its two sides and may
    stick out of the region; a side through a bump or a stray blob has little border
    along it; a side that cuts the region pays for what it cuts.

    Args:
        mask: (H, W) bool, one region (pick a connected component first).
        tolerance: pixels from a line that still count as on it.
        candidates: strongest lines tried as sides.
        step: pixel step of the raster that left-out pixels are counted on.
        leave_out_cost: cost of a region pixel outside the quadrilateral, in border
            pixels along its sides.

    Returns:
        (4, 2) float corners (top-left, top-right, bottom-right, bottom-left) in
        pixel coordinates, or None when the mask is empty or too thin to fit.
    """
    hulled = _hull_quad(mask)
    if hulled is None:
        return None
    border, hull, fallback = hulled
    on_hull = border[_segment_distance(border, hull) < 2.0]
    side = np.sqrt(_area(fallback))
    lines = []
    remaining = on_hull
    for _ in range(candidates):
        found = _strongest_line(remaining, tolerance)
        if found is None or found[2].sum() < max(6, 0.08 * side):
            break
        centre, direction, _ = found
        lines.append((centre, direction))
        normal = np.array([-direction[1], direction[0]])
        remaining = remaining[np.abs((remaining - centre) @ normal) > 2 * tolerance + 1]
    target = mask[::step, ::step]
    total = float(target.sum())
    on_border = np.zeros(mask.shape, bool)
    on_border[border[:, 1].astype(np.int64), border[:, 0].astype(np.int64)] = True
    for _ in range(int(np.ceil(tolerance))):  # a side within tolerance of the border hits it
        on_border = _grow(on_border)

    def score(quad: np.ndarray) -> float:
        """Border pixels along the sides, minus the region the quadrilateral leaves out."""
        hits = 0
        for i in range(4):
            a, b = quad[i], quad[(i + 1) % 4]
            count = max(2, int(np.linalg.norm(b - a)))
            points = a + np.linspace(0, 1, count)[:, None] * (b - a)
            cols, rows = points[:, 0].astype(np.int64), points[:, 1].astype(np.int64)
            inside = (cols >= 0) & (cols < mask.shape[1]) & (rows >= 0) & (rows < mask.shape[0])
            hits += int(on_border[rows[inside], cols[inside]].sum())
        left_out = total - float((quadrilateral_mask(quad, mask.shape, step) & target).sum())
        return hits - leave_out_cost * left_out * step * step

    best, best_score = fallback, score(fallback)
    inside_point = border.mean(axis=0)
    for combo in combinations(range(len(lines)), 4):
        quad = _quad_from_lines([lines[i] for i in combo], inside_point)
        if quad is None or _area(quad) > 4 * total * step * step:
            continue
        value = score(quad)
        if value > best_score:
            best, best_score = quad, value
    return order_corners(best)


def largest_quadrilateral(mask: np.ndarray) -> np.ndarray | None:
    """Return four vertices of a mask region's convex hull that enclose a large area.

    No line fitting: the hull's diameter and the points farthest from it, each then
    moved to the hull point between its neighbours that encloses the most.  A region
    whose sides are ragged (so that ``fit_quadrilateral`` finds no straight runs) still
    has its corners on its hull.

    Args:
        mask: (H, W) bool, one region.

    Returns:
        (4, 2) corners (top-left, top-right, bottom-right, bottom-left), or None when
        the region is empty or too thin.
    """
    hulled = _hull_quad(mask)
    return None if hulled is None else order_corners(hulled[2])


def _hull_quad(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The region's border pixels, their convex hull and the largest quadrilateral on
    it (unordered), or None when the region is empty or too thin (area under 16)."""
    border = mask_border(mask)
    if len(border) < 8:
        return None
    hull = convex_hull(border)
    if len(hull) < 4:
        return None
    quad = _largest_quad(hull)
    return (border, hull, quad) if _area(quad) >= 16 else None


def _step_edges(
    prob: np.ndarray, a: np.ndarray, b: np.ndarray, outward: np.ndarray, band: float, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Find the region's edge along ``count`` normals of the side a-b.

    Along each normal (from ``band`` pixels inside to ``band`` outside) the edge is the
    step that best splits the samples into inside (``prob`` above 0.5) and outside: the
    position maximising the sum of ``prob - 0.5`` before it minus the sum after it.

    Returns:
        ``(edges (count, 2), strengths (count,))``: the edge points and how much the
        step beats no step at all (0 where the normal is all inside or all outside).
    """
    t = np.linspace(0.08, 0.92, count)[:, None, None]  # away from the corners
    s = np.arange(-band, band + 1e-9, 1.0)[None, :, None]
    points = a + t * (b - a) + s * outward
    height, width = prob.shape
    cols = np.floor(points[..., 0]).astype(np.int64)
    rows = np.floor(points[..., 1]).astype(np.int64)
    inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    seen = prob[np.clip(rows, 0, height - 1), np.clip(cols, 0, width - 1)]
    values = np.where(inside, seen, 0.0) - 0.5  # outside the image counts as outside
    running = np.cumsum(values, axis=1)
    total = running[:, -1:]
    split = 2 * running - total  # inside up to k, outside after
    k = split.argmax(axis=1)
    strength = split.max(axis=1) - np.abs(total[:, 0])
    edges = points[np.arange(count), k] + 0.5 * outward
    return edges, strength


def _robust_line(
    points: np.ndarray, weights: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """Fit a line to weighted points with outliers: every pair of points proposes a line,
    the one with the most weight within ``tolerance`` wins and is refitted by total
    least squares to its inliers (deterministic RANSAC)."""
    usable = np.flatnonzero(weights > 0)
    if len(usable) < 2:
        return None
    i, j = np.triu_indices(len(usable), 1)
    p, q = points[usable[i]], points[usable[j]]
    length = np.linalg.norm(q - p, axis=1)
    keep = length > 4 * tolerance
    if not keep.any():
        return None
    p, q, length = p[keep], q[keep], length[keep]
    normal = np.stack((p[:, 1] - q[:, 1], q[:, 0] - p[:, 0]), axis=1) / length[:, None]
    distance = np.abs(
        (points[None, :, 0] - p[:, None, 0]) * normal[:, None, 0]
        + (points[None, :, 1] - p[:, None, 1]) * normal[:, None, 1]
    )  # (pairs, points)
    support = ((distance < tolerance) * weights[None]).sum(axis=1)
    best = int(np.argmax(support))
    centre, direction = p[best], (q[best] - p[best]) / length[best]
    for _ in range(2):
        across = np.array([-direction[1], direction[0]])
        inliers = (np.abs((points - centre) @ across) < tolerance) & (weights > 0)
        if inliers.sum() < 2:
            break
        centre, direction = _fit_line(points[inliers])
    return centre, direction


def snap_quadrilateral(
    prob: np.ndarray,
    quad: np.ndarray,
    band: float = 0.15,
    rounds: int = 2,
    tolerance: float = 2.0,
    count: int = 48,
) -> np.ndarray:
    """Move each side of a quadrilateral onto the edge of a probability map's region.

    Along ``count`` normals of each side (``band`` of the quadrilateral's side length
    each way, halved in each further round) the region's edge is found
    (``_step_edges``), and a line is fitted to those edge points robustly
    (``_robust_line``): a ragged edge, a smear sticking out of the region or a notch
    cut by an occluder moves a few edge points, not the line.  The new corners are the
    sides' intersections.  A side whose normals see no edge keeps the quadrilateral as
    it was.

    Args:
        prob: (H, W) probability of the region, pixel ``[r, c]`` at ``(c + 0.5, r + 0.5)``.
        quad: (4, 2) starting corners (any order around the quadrilateral).
        band: reach of the search along the normals, a fraction of the side length.
        rounds: refits (each starts from the last one's corners).
        tolerance: pixels from a line that count as on it.
        count: normals per side.

    Returns:
        (4, 2) corners, top-left first (``order_corners``).
    """
    quad = order_corners(quad)
    for round_ in range(rounds):
        reach = max(4.0, band * np.sqrt(_area(quad)) / (round_ + 1))
        centre = quad.mean(axis=0)
        lines = []
        for i in range(4):
            a, b = quad[i], quad[(i + 1) % 4]
            if np.linalg.norm(b - a) < 4:
                return quad
            direction = (b - a) / np.linalg.norm(b - a)
            outward = np.array([-direction[1], direction[0]])
            if (centre - a) @ outward > 0:
                outward = -outward
            edges, strength = _step_edges(prob, a, b, outward, reach, count)
            line = _robust_line(edges, np.clip(strength, 0, None), tolerance)
            if line is None:
                return quad
            lines.append(line)
        corners = []
        for i in range(4):
            point = _intersect(*lines[i - 1], *lines[i])
            if point is None:
                return quad
            corners.append(point)
        new = np.array(corners)
        if _area(new) < 16 or not np.all(np.isfinite(new)):
            return quad
        quad = order_corners(new)
    return quad


def _grow(mask: np.ndarray) -> np.ndarray:
    """One 3x3 dilation of a bool mask."""
    padded = np.pad(mask, 1)
    out = mask.copy()
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            out |= padded[dy : dy + mask.shape[0], dx : dx + mask.shape[1]]
    return out


def _quad_from_lines(
    lines: list[tuple[np.ndarray, np.ndarray]], inside: np.ndarray
) -> np.ndarray | None:
    """Intersect four lines in the order of their feet around a point inside them."""
    feet = []
    for centre, direction in lines:
        t = float((inside - centre) @ direction)
        feet.append(centre + t * direction - inside)
    order = np.argsort([np.arctan2(f[1], f[0]) for f in feet])
    ordered = [lines[i] for i in order]
    corners = []
    for i in range(4):
        point = _intersect(*ordered[i - 1], *ordered[i])
        if point is None:
            return None
        corners.append(point)
    quad = np.array(corners)
    # a convex quadrilateral: every turn the same way
    turns = [
        np.sign(
            (quad[(i + 1) % 4][0] - quad[i][0]) * (quad[(i + 2) % 4][1] - quad[i][1])
            - (quad[(i + 1) % 4][1] - quad[i][1]) * (quad[(i + 2) % 4][0] - quad[i][0])
        )
        for i in range(4)
    ]
    if len(set(turns)) != 1 or turns[0] == 0:
        return None
    return quad


def _lattice_scores(
    profile: np.ndarray, count: int, firsts: np.ndarray, lasts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score every (first, last) pair: returns the grids of firsts, lasts and scores."""
    a, b = np.meshgrid(firsts, lasts, indexing="ij")
    spacing = (b - a) / (count - 1)
    k = np.arange(count)
    on = a[..., None] + spacing[..., None] * k
    between = on[..., :-1] + spacing[..., None] / 2
    outside = np.concatenate(
        (a[..., None] - spacing[..., None], b[..., None] + spacing[..., None]), axis=-1
    )
    positions = np.arange(len(profile)) + 0.5

    def sample(x: np.ndarray) -> np.ndarray:
        return np.interp(x, positions, profile, left=0.0, right=0.0)

    score = sample(on).mean(-1) - np.maximum(sample(between).mean(-1), sample(outside).mean(-1))
    return a, b, np.where(spacing > 0, score, -np.inf)


def fit_lattice(
    profile: np.ndarray,
    count: int,
    first: tuple[float, float],
    last: tuple[float, float],
    step: float = 0.25,
) -> tuple[float, float, float]:
    """Fit ``count`` equally spaced peaks to a 1-D profile.

    A lattice's score is the mean profile at its ``count`` positions minus the mean
    halfway between them or one spacing outside, whichever is higher (a lattice with
    the right count has no peaks there).  The (first, last) pairs are searched on a
    raster four times ``step``, then on ``step`` around the best.

    Args:
        profile: (L,) non-negative response, peaks where lattice lines are; sample i
            lies at position ``i + 0.5``.
        count: peaks of the lattice, at least 2.
        first: the range of the first peak's position.
        last: the range of the last peak's position.
        step: the final raster of the search, in samples.

    Returns:
        ``(first, last, score)`` of the best lattice.

    Raises:
        ValueError: for a count below 2 or an empty range.
    """
    if count < 2:
        raise ValueError(f"a lattice needs at least 2 peaks, not {count}")
    if first[1] < first[0] or last[1] < last[0]:
        raise ValueError(f"empty search ranges {first}, {last}")
    profile = np.asarray(profile, dtype=np.float64)
    coarse = 4 * step
    a, b, score = _lattice_scores(
        profile,
        count,
        np.arange(first[0], first[1] + 1e-9, coarse),
        np.arange(last[0], last[1] + 1e-9, coarse),
    )
    i, j = np.unravel_index(int(np.argmax(score)), score.shape)
    fine = np.arange(-coarse, coarse + 1e-9, step)
    firsts = np.clip(a[i, j] + fine, first[0], first[1])
    lasts = np.clip(b[i, j] + fine, last[0], last[1])
    a, b, score = _lattice_scores(profile, count, firsts, lasts)
    i, j = np.unravel_index(int(np.argmax(score)), score.shape)
    return float(a[i, j]), float(b[i, j]), float(score[i, j])


def fit_lattice_homography(
    points: np.ndarray,
    h: np.ndarray,
    nodes: tuple[int, int] | None = None,
    tolerance: float = 0.3,
    rounds: int = 6,
    min_pairs: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """Refit a lattice's homography to points that lie near its nodes (iterative closest node).

    Each round takes the points to lattice coordinates (``h``'s inverse), pairs each
    with its nearest node (integer coordinates) when it lies within ``tolerance`` of it
    in both coordinates (and, with ``nodes``, inside the lattice), and refits ``h`` to
    all pairs by least squares (``homography``), then again without the pairs that fit
    leaves more than half the tolerance off (points paired with the wrong node).
    Points off every node (outliers, points of a part the current ``h`` gets wrong)
    take no part; a refit that pairs them later brings them in.  The rounds stop when
    the pairs stop changing; the homography with the most points within half the
    tolerance of a node is returned.

    Args:
        points: (P, 2) image points.
        h: (3, 3) the starting lattice -> image homography (node ``(i, j)`` at lattice
            coordinates ``(x, y) = (i, j)``).
        nodes: ``(columns, rows)`` of a finite lattice: pairs only with nodes
            ``0 <= x < columns``, ``0 <= y < rows``; None: unbounded.
        tolerance: the largest distance from a node that pairs, lattice spacings.
        rounds: the most refits.
        min_pairs: pairs needed for a refit (fewer leave ``h`` as it is).

    Returns:
        ``(h, inliers)``: the refitted homography and the (P,) bool mask of the points
        paired in its last round.

    Raises:
        ValueError: for points that are not (P, 2) or an ``h`` that is not (3, 3).
    """
    points = np.asarray(points, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or h.shape != (3, 3):
        raise ValueError(f"points must be (P, 2) and h (3, 3), not {points.shape}, {h.shape}")

    def tight(current: np.ndarray) -> int:
        """Points within half the tolerance of a node: how well ``current`` fits."""
        uv = apply_homography(np.linalg.inv(current), points)
        node = np.rint(np.nan_to_num(uv, nan=-1e9, posinf=-1e9, neginf=-1e9))
        return int(np.all(np.abs(uv - node) < tolerance / 2, axis=1).sum())

    def pair(current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        uv = apply_homography(np.linalg.inv(current), points)
        node = np.rint(np.nan_to_num(uv, nan=-1e9, posinf=-1e9, neginf=-1e9))
        close = np.all(np.abs(uv - node) < tolerance, axis=1)
        if nodes is not None:
            close &= (node[:, 0] >= 0) & (node[:, 0] < nodes[0])
            close &= (node[:, 1] >= 0) & (node[:, 1] < nodes[1])
        return node, close

    node, paired = pair(h)
    best = (tight(h), h, paired)
    for _ in range(rounds):
        if paired.sum() < max(min_pairs, 4) or len(np.unique(node[paired, 0])) < 2:
            break
        if len(np.unique(node[paired, 1])) < 2:
            break
        try:
            fitted = homography(node[paired], points[paired])
            # drop the pairs the fit does not follow (a point paired with the wrong
            # node of a bent start), then fit again
            residual = np.abs(apply_homography(np.linalg.inv(fitted), points) - node).max(axis=1)
            trimmed = paired & (residual < tolerance / 2)
            if trimmed.sum() >= max(min_pairs, 4) and trimmed.sum() < paired.sum():
                fitted = homography(node[trimmed], points[trimmed])
        except ValueError:
            break
        new_node, new_paired = pair(fitted)
        if tight(fitted) >= best[0]:
            best = (tight(fitted), fitted, new_paired)
        done = np.array_equal(new_paired, paired) and np.array_equal(
            new_node[new_paired], node[paired]
        )
        node, paired = new_node, new_paired
        if done:
            break
    _, h, paired = best
    return h, paired


__all__ = [
    "UNIT_SQUARE",
    "apply_homography",
    "convex_hull",
    "fit_lattice",
    "fit_lattice_homography",
    "fit_quadrilateral",
    "grid_offsets",
    "grid_points",
    "homography",
    "largest_quadrilateral",
    "mask_border",
    "order_corners",
    "quadrilateral_mask",
    "sample_bilinear",
    "snap_quadrilateral",
    "warp_image",
]
