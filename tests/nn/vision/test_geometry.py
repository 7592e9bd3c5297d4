"""Geometry: homography round trips, grids, quadrilateral fits on drawn masks, lattices."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from nn.vision.geometry import (
    UNIT_SQUARE,
    apply_homography,
    convex_hull,
    fit_lattice,
    fit_lattice_homography,
    fit_quadrilateral,
    grid_offsets,
    grid_points,
    homography,
    largest_quadrilateral,
    order_corners,
    quadrilateral_mask,
    snap_quadrilateral,
    warp_image,
)


def random_homography(rng: np.random.Generator) -> np.ndarray:
    h = np.eye(3) + rng.normal(0, 0.2, size=(3, 3))
    h[2, :2] = rng.normal(0, 1e-3, size=2)  # moderate perspective
    h[:2, 2] = rng.uniform(-50, 50, size=2)
    return h / h[2, 2]


@pytest.mark.parametrize("seed", range(8))
def test_homography_from_four_points_round_trips(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h = random_homography(rng)
    src = rng.uniform(0, 300, size=(4, 2))
    dst = apply_homography(h, src)
    found = homography(src, dst)
    np.testing.assert_allclose(found, h, rtol=1e-6, atol=1e-8)
    other = rng.uniform(0, 300, size=(50, 2))
    np.testing.assert_allclose(
        apply_homography(found, other), apply_homography(h, other), atol=1e-6
    )
    back = homography(dst, src)
    np.testing.assert_allclose(
        apply_homography(back, apply_homography(found, other)), other, atol=1e-6
    )


def test_homography_from_many_noisy_points_is_a_least_squares_fit() -> None:
    rng = np.random.default_rng(1)
    h = random_homography(rng)
    src = rng.uniform(0, 300, size=(200, 2))
    dst = apply_homography(h, src) + rng.normal(0, 0.3, size=(200, 2))
    found = homography(src, dst)
    error = np.linalg.norm(apply_homography(found, src) - apply_homography(h, src), axis=1)
    assert error.max() < 0.5


def test_homography_refuses_degenerate_or_too_few_points() -> None:
    with pytest.raises(ValueError):
        homography(np.zeros((3, 2)), np.zeros((3, 2)))
    collinear = np.array([[0.0, 0], [1, 1], [2, 2], [3, 3]])
    with pytest.raises(ValueError):
        homography(collinear, collinear)


def test_grid_points_hit_the_corners_and_stay_regular_under_an_affine_map() -> None:
    corners = np.array([[10.0, 20], [110, 30], [120, 140], [20, 130]])  # a parallelogram
    grid = grid_points(corners, 9)
    np.testing.assert_allclose(grid[[0, 0, -1, -1], [0, -1, -1, 0]], corners, atol=1e-9)
    steps = np.diff(grid, axis=1)
    np.testing.assert_allclose(steps, np.broadcast_to(steps[0, 0], steps.shape), atol=1e-9)
    with pytest.raises(ValueError):
        grid_points(corners, 1)


def test_grid_points_follow_perspective() -> None:
    rng = np.random.default_rng(4)
    h = random_homography(rng)
    corners = apply_homography(h, UNIT_SQUARE * 180)
    grid = grid_points(corners, 19)
    t = np.linspace(0, 180, 19)
    xs, ys = np.meshgrid(t, t)
    np.testing.assert_allclose(grid, apply_homography(h, np.stack((xs, ys), -1)), atol=1e-6)


def test_grid_offsets_count_whole_lines_in_the_reference_spacing() -> None:
    rng = np.random.default_rng(5)
    h = random_homography(rng)
    square = UNIT_SQUARE * 12
    reference = apply_homography(h, square)
    np.testing.assert_allclose(grid_offsets(reference, reference, 13), 0.0, atol=1e-9)
    moved = apply_homography(h, square + np.array([0.0, 1.0]))  # one line down
    offsets = grid_offsets(moved, reference, 13)
    # one line is one spacing where the grid's own steps are measured along it; across
    # a slanted grid the shorter step may be the other way, so it is at least one
    assert offsets.shape == (13, 13)
    assert np.all(offsets >= 1.0 - 1e-6) and np.median(offsets) < 1.5
    assert (
        grid_offsets(moved, reference, 13).max()
        > grid_offsets(apply_homography(h, square + np.array([0.0, 0.3])), reference, 13).max()
    )


def test_order_corners_and_convex_hull() -> None:
    square = np.array([[0.0, 0], [10, 0], [10, 10], [0, 10]])
    rng = np.random.default_rng(0)
    np.testing.assert_allclose(order_corners(square[rng.permutation(4)]), square)
    points = np.vstack((square, rng.uniform(1, 9, size=(40, 2))))
    hull = convex_hull(points)
    assert sorted(map(tuple, hull)) == sorted(map(tuple, square))


def draw_quad(corners: np.ndarray, shape=(240, 320), cut: tuple[float, float, float] | None = None):
    image = Image.new("L", (shape[1], shape[0]), 0)
    draw = ImageDraw.Draw(image)
    draw.polygon([tuple(p) for p in corners], fill=1)
    if cut is not None:  # a disc of background over part of the region (an occluder)
        x, y, r = cut
        draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
    return np.asarray(image).astype(bool)


QUADS = [
    np.array([[60.0, 40], [250, 55], [270, 200], [40, 190]]),
    np.array([[100.0, 20], [230, 60], [200, 220], [70, 180]]),  # turned about 20 degrees
    np.array([[30.0, 30], [290, 30], [290, 210], [30, 210]]),
]


@pytest.mark.parametrize("corners", QUADS)
def test_quadrilateral_fit_finds_the_corners_of_a_drawn_region(corners: np.ndarray) -> None:
    found = fit_quadrilateral(draw_quad(corners))
    assert found is not None
    assert np.abs(found - corners).max() < 1.5


@pytest.mark.parametrize("corner", range(4))
def test_quadrilateral_fit_recovers_a_corner_hidden_by_an_occluder(corner: int) -> None:
    corners = QUADS[0]
    x, y = corners[corner]
    found = fit_quadrilateral(draw_quad(corners, cut=(x, y, 30.0)))
    assert found is not None
    assert np.abs(found - corners).max() < 2.0


def test_quadrilateral_fit_of_nothing_is_none() -> None:
    assert fit_quadrilateral(np.zeros((50, 50), bool)) is None
    line = np.zeros((50, 50), bool)
    line[10, 5:40] = True
    assert fit_quadrilateral(line) is None


def shoelace(quad: np.ndarray) -> float:
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


@pytest.mark.parametrize("corners", QUADS)
def test_quadrilateral_mask_covers_the_quadrilateral(corners: np.ndarray) -> None:
    mask = quadrilateral_mask(corners, (240, 320))
    assert mask.shape == (240, 320)
    assert abs(mask.sum() - shoelace(corners)) < 0.01 * shoelace(corners)
    assert (mask == draw_quad(corners)).mean() > 0.99  # PIL's raster, up to the border
    coarse = quadrilateral_mask(corners, (240, 320), step=2)
    assert coarse.shape == (120, 160)
    np.testing.assert_array_equal(coarse, quadrilateral_mask(corners, (240, 320))[::2, ::2])


@pytest.mark.parametrize("corners", QUADS)
def test_largest_quadrilateral_finds_the_corners_without_straight_sides(
    corners: np.ndarray,
) -> None:
    ragged = draw_quad(corners)
    rng = np.random.default_rng(0)
    border = np.argwhere(ragged & ~np.roll(ragged, 3, axis=1))  # bite the left border
    for row, col in border[rng.uniform(size=len(border)) < 0.3]:
        ragged[row, max(col - 2, 0) : col + 2] = False
    found = largest_quadrilateral(ragged)
    assert found is not None
    assert np.abs(found - corners).max() < 4.0
    assert largest_quadrilateral(np.zeros((50, 50), bool)) is None


def soft_region(corners: np.ndarray, shape=(240, 320)) -> np.ndarray:
    """A probability map of a quadrilateral region: 0.95 inside, 0.05 outside."""
    return np.where(draw_quad(corners, shape), 0.95, 0.05)


@pytest.mark.parametrize("corners", QUADS[:2])
def test_snapping_a_rough_quadrilateral_finds_the_region_edges(corners: np.ndarray) -> None:
    prob = soft_region(corners)
    rough = corners + np.random.default_rng(1).normal(0, 6, size=(4, 2))
    found = snap_quadrilateral(prob, rough)
    assert np.abs(found - corners).max() < 1.5


def test_snapping_ignores_a_smear_and_a_notch() -> None:
    """A smear of look-alike background stuck to one side and an occluder biting into
    another move some edge points; the robust fit keeps both sides where they are."""
    corners = QUADS[0]
    image = Image.fromarray((soft_region(corners) * 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 190, 150, 230), fill=242)  # a smear below the bottom side
    draw.ellipse((235, 90, 295, 150), fill=13)  # a disc cut into the right side
    prob = np.asarray(image).astype(np.float64) / 255
    start = fit_quadrilateral(prob > 0.5)
    assert start is not None
    found = snap_quadrilateral(prob, start + np.array([[4.0, -5], [-6, 3], [5, 5], [-3, -4]]))
    assert np.abs(found - corners).max() < 2.0


def test_snapping_without_an_edge_keeps_the_quadrilateral() -> None:
    quad = np.array([[100.0, 80], [220, 80], [220, 160], [100, 160]])
    flat = np.full((240, 320), 0.9)  # all region, and the image's edge out of reach
    np.testing.assert_array_equal(snap_quadrilateral(flat, quad), quad)
    edge_of_image = snap_quadrilateral(flat, QUADS[2])  # past the image is outside
    np.testing.assert_allclose(edge_of_image, [[0, 0], [320, 0], [320, 240], [0, 240]], atol=1)


@pytest.mark.parametrize("count", [9, 13, 19])
def test_lattice_fit_finds_equally_spaced_peaks(count: int) -> None:
    first, last = 17.3, 291.6
    x = np.arange(320) + 0.5
    centres = np.linspace(first, last, count)
    profile = np.exp(-((x[:, None] - centres[None]) ** 2) / 2.0).sum(axis=1)
    profile += np.random.default_rng(0).uniform(0, 0.1, size=320)
    a, b, score = fit_lattice(profile, count, (0, 50), (270, 320))
    assert abs(a - first) < 0.3 and abs(b - last) < 0.3 and score > 0.5
    # the wrong counts fit worse
    for other in {9, 13, 19} - {count}:
        assert fit_lattice(profile, other, (0, 50), (270, 320))[2] < score


def test_warp_image_by_a_shift_and_outside_fill() -> None:
    image = np.arange(100, dtype=np.float32).reshape(10, 10)
    shift = np.array([[1.0, 0, 2], [0, 1, 3], [0, 0, 1]])  # output (x, y) reads input (x+2, y+3)
    out = warp_image(image, shift, (10, 10), fill=-1)
    np.testing.assert_allclose(out[:7, :8], image[3:, 2:])
    assert (out[8:, :] == -1).all()


def perspective_lattice(rng: np.random.Generator, n: int) -> np.ndarray:
    """A lattice -> image homography of an n x n board photographed at a slant."""
    corners = np.array([[60.0, 40.0], [260.0, 55.0], [290.0, 280.0], [30.0, 250.0]])
    corners += rng.normal(0, 5, size=(4, 2))
    return homography(UNIT_SQUARE * (n - 1), corners)


@pytest.mark.parametrize("seed", range(4))
def test_lattice_homography_refit_straightens_a_bent_start(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 13
    truth = perspective_lattice(rng, n)
    nodes = np.argwhere(rng.uniform(size=(n, n)) < 0.3)[:, ::-1].astype(np.float64)
    points = apply_homography(truth, nodes) + rng.normal(0, 0.4, size=nodes.shape)
    outliers = rng.uniform(0, 320, size=(12, 2))  # stones in a bowl, false boxes
    corners = apply_homography(truth, UNIT_SQUARE * (n - 1))
    spacing = np.linalg.norm(corners[1] - corners[0]) / (n - 1)
    bent = corners.copy()
    bent[2] += 0.6 * spacing  # one corner off by most of a line: half the stones off nodes
    start = homography(UNIT_SQUARE * (n - 1), bent)
    found, inliers = fit_lattice_homography(
        np.vstack((points, outliers)), start, nodes=(n, n), tolerance=0.3
    )
    every = np.stack(np.meshgrid(np.arange(n), np.arange(n)), -1).reshape(-1, 2).astype(float)
    error = np.linalg.norm(apply_homography(found, every) - apply_homography(truth, every), axis=1)
    assert error.max() < 0.15 * spacing
    assert inliers[: len(points)].mean() > 0.95
    assert inliers[len(points) :].sum() <= 3  # a few outliers may land near a node


def test_lattice_homography_refit_keeps_a_start_without_enough_points() -> None:
    h = perspective_lattice(np.random.default_rng(0), 9)
    points = apply_homography(h, np.array([[1.0, 1.0], [2.0, 5.0], [7.0, 3.0]]))
    found, inliers = fit_lattice_homography(points, h, nodes=(9, 9))
    np.testing.assert_array_equal(found, h)
    assert inliers.all()
    with pytest.raises(ValueError):
        fit_lattice_homography(points[:, :1], h)
