"""A perspective lattice found from detected points (``nn.vision.lattice``)."""

from __future__ import annotations

import numpy as np
import pytest

from nn.vision.geometry import apply_homography, homography
from nn.vision.lattice import (
    find_lattice,
    fit_lattice_points,
    gaussian_blur,
    grid_misses,
    grow_lattice,
    heat_peaks,
    isotropy,
    largest_group,
)

# a 13-line lattice seen at an angle: lattice coordinates (0..12) to pixels
TILTED = homography(
    np.array([[0.0, 0.0], [12.0, 0.0], [12.0, 12.0], [0.0, 12.0]]),
    np.array([[60.0, 40.0], [250.0, 70.0], [270.0, 280.0], [30.0, 250.0]]),
)


def lattice_points(to_image: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """All (n*n, 2) lattice coordinates and their pixels."""
    ks = np.arange(n, dtype=np.float64)
    coords = np.stack(np.meshgrid(ks, ks), -1).reshape(-1, 2)
    return coords, apply_homography(to_image, coords)


def bumps(points: np.ndarray, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """A heat map with a Gaussian bump of peak 1 on each point."""
    ys, xs = np.mgrid[: shape[0], : shape[1]] + 0.5
    heat = np.zeros(shape)
    for x, y in points:
        heat = np.maximum(heat, np.exp(-0.5 * ((xs - x) ** 2 + (ys - y) ** 2) / sigma**2))
    return heat


def test_the_blur_keeps_the_mass_and_matches_a_direct_convolution() -> None:
    rng = np.random.default_rng(0)
    image = np.zeros((40, 50))
    image[10:30, 15:35] = rng.random((20, 20))
    out = gaussian_blur(image, 1.5)
    assert out.sum() == pytest.approx(image.sum())
    # the same blur written as one 2-D sum over the kernel's offsets
    reach = 5
    k = np.exp(-0.5 * (np.arange(-reach, reach + 1) / 1.5) ** 2)
    k /= k.sum()
    expected = np.zeros_like(image)
    padded = np.pad(image, reach, mode="edge")
    for a in range(2 * reach + 1):
        for b in range(2 * reach + 1):
            expected += k[a] * k[b] * padded[a : a + 40, b : b + 50]
    np.testing.assert_allclose(out, expected, atol=1e-12)
    assert np.array_equal(gaussian_blur(image, 0), image)


def test_peaks_find_every_bump_to_a_tenth_of_a_pixel() -> None:
    _, points = lattice_points(TILTED, 13)
    heat = bumps(points, (320, 320), 1.6)
    found, values = heat_peaks(heat, 0.3)
    assert len(found) == 169
    distance = np.linalg.norm(found[:, None] - points[None], axis=-1).min(axis=1)
    assert distance.max() < 0.1
    assert np.all(np.diff(values) <= 0)  # strongest first


def test_peaks_stay_in_the_mask_and_over_the_threshold() -> None:
    heat = bumps(np.array([[20.5, 20.5], [60.5, 20.5]]), (40, 80), 2.0) * np.array([[1.0]])
    heat[:, 40:] *= 0.2
    assert len(heat_peaks(heat, 0.3)[0]) == 1
    mask = np.zeros_like(heat, bool)
    mask[:, 40:] = True
    assert len(heat_peaks(heat, 0.1, mask=mask)[0]) == 1
    assert len(heat_peaks(np.zeros((10, 10)), 0.3)[0]) == 0
    with pytest.raises(ValueError):
        heat_peaks(np.zeros(10))


def ridges(shape: tuple[int, int], xs: list[float], ys: list[float], width: float) -> np.ndarray:
    """Bright lines: vertical at ``xs``, horizontal at ``ys``, flat-topped (saturated)."""
    rows, cols = np.mgrid[: shape[0], : shape[1]] + 0.5
    heat = np.zeros(shape)
    for x in xs:
        heat = np.maximum(heat, np.clip(2.0 - np.abs(cols - x) / width, 0, 1))
    for y in ys:
        heat = np.maximum(heat, np.clip(2.0 - np.abs(rows - y) / width, 0, 1))
    return heat


def test_round_peaks_are_where_ridges_cross_not_along_them() -> None:
    lines = [20.0, 50.0, 80.0]
    noise = np.random.default_rng(2).uniform(0, 0.03, (100, 100))
    heat = ridges((100, 100), lines, lines, 2.0) + noise
    crossings = np.array([[x, y] for y in lines for x in lines])
    loose, _ = heat_peaks(heat, 0.3, blur=2.0)
    assert len(loose) > 9  # a noisy ridge has maxima all along it
    for blur in (2.0, 6.0):
        found, _ = heat_peaks(heat, 0.3, blur=blur, roundness=0.3)
        assert len(found) == 9
        assert np.linalg.norm(found[:, None] - crossings[None], axis=-1).min(axis=1).max() < 0.6


def test_isotropy_is_one_on_a_round_cap_and_zero_on_a_ridge() -> None:
    cap = bumps(np.array([[20.5, 20.5]]), (41, 41), 4.0)
    assert isotropy(cap)[20, 20] == pytest.approx(1.0, abs=0.05)
    ridge = gaussian_blur(ridges((41, 41), [20.5], [], 2.0), 2.0)
    assert isotropy(ridge)[20, 20] < 0.05


def test_a_tilted_lattice_with_a_hidden_corner_and_clutter_is_found() -> None:
    coords, points = lattice_points(TILTED, 13)
    hidden = (coords[:, 0] >= 8) & (coords[:, 1] <= 4)  # a hand over a corner
    rng = np.random.default_rng(1)
    seen = points[~hidden] + rng.normal(0, 0.3, (int((~hidden).sum()), 2))
    clutter = rng.uniform(0, 320, (25, 2))  # peaks off the board
    lattice = find_lattice(np.concatenate([seen, clutter]))
    assert lattice is not None
    assert lattice.spans == (13, 13)
    assert len(lattice.coords) >= len(seen) - 2
    # the fitted lattice, at the coordinates of the true one (up to the lattice's
    # orientation: its axes follow the seed's steps), lands on every true point
    best = min(
        np.abs(apply_homography(lattice.to_image, t(coords)) - points).max()
        for t in (
            lambda c: c, lambda c: 12 - c, lambda c: c[:, ::-1], lambda c: 12 - c[:, ::-1],
            lambda c: np.stack([12 - c[:, 0], c[:, 1]], 1),
            lambda c: np.stack([c[:, 0], 12 - c[:, 1]], 1),
            lambda c: np.stack([12 - c[:, 1], c[:, 0]], 1),
            lambda c: np.stack([c[:, 1], 12 - c[:, 0]], 1),
        )
    )
    assert best < 0.5


def test_growth_stops_at_a_gap_wider_than_a_step() -> None:
    coords, points = lattice_points(TILTED, 13)
    keep = (coords[:, 0] <= 4) | (coords[:, 0] >= 7)  # two lines missing across the board
    taken = grow_lattice(points[keep], 0)
    assert 0 < len(taken) < keep.sum()
    assert len(set(taken.values())) == len(taken)


def test_a_point_off_the_lattice_is_dropped_from_the_fit() -> None:
    coords, points = lattice_points(TILTED, 5)
    points = points.copy()
    points[7] += [9.0, -7.0]
    to_image, kept = fit_lattice_points(coords, points)
    assert not kept[7] and kept.sum() == 24
    np.testing.assert_allclose(apply_homography(to_image, coords[kept]), points[kept], atol=1e-6)


def test_too_few_points_make_no_lattice() -> None:
    _, points = lattice_points(TILTED, 2)
    assert find_lattice(points) is None
    assert find_lattice(np.zeros((0, 2))) is None



def test_a_grid_through_the_crossings_misses_none_even_moved_by_lines() -> None:
    coords, points = lattice_points(TILTED, 13)
    misses, on_grid = grid_misses(points, TILTED, 13)
    assert misses.max() < 1e-6 and on_grid.all()
    # a grid moved by a whole line passes through the same crossings (not this check's)
    shifted = TILTED @ np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    misses, on_grid = grid_misses(points, shifted, 13)
    assert misses.max() < 1e-6
    assert np.array_equal(on_grid, coords[:, 0] >= 1)  # the first column is beyond it


def test_a_grid_bent_at_one_corner_misses_the_crossings_between() -> None:
    square = np.array([[0.0, 0], [12, 0], [12, 12], [0, 12]])
    corners = apply_homography(TILTED, square)
    corners[2] = apply_homography(TILTED, np.array([[12.0, 11.0]]))[0]  # a line up
    misses, on_grid = grid_misses(lattice_points(TILTED, 13)[1], homography(square, corners), 13)
    assert on_grid[:130].all() and not on_grid[-1]  # the true corner is beyond it now
    # the three corners left in place are met; between them and the bent one, a grid
    # squeezed by a line over 12 misses by about half a step at most
    assert misses[[0, 12, 156]].max() < 1e-6
    assert 0.45 < misses.max() < np.sqrt(0.5)
    assert (misses >= 1 / 3).sum() > 10


def test_the_largest_group_joins_single_steps_only() -> None:
    coords = np.array([[0, 0], [1, 0], [2, 0], [1, 1], [3, 3], [4, 4], [5, 4], [0, 2]])
    marked = np.array([True, True, False, True, True, True, True, True])
    assert largest_group(coords, marked) == 3  # (0,0)-(1,0)-(1,1); diagonals do not join
    assert largest_group(coords, np.zeros(8, bool)) == 0
    assert largest_group(coords, np.ones(8, bool)) == 4
