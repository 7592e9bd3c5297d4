"""The scan's grid maps (``zerogo.scan.gridmaps``): targets drawn from the grid corners,
a grid measured against them, a grid off by lines brought back by them; the grid head
in the model file and in training."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from nn.vision.geometry import UNIT_SQUARE, apply_homography, grid_points, homography
from zerogo.scan.gridmaps import (
    AREA,
    CROSSINGS,
    GRID_MAPS,
    crossing_heat,
    grid_area,
    grid_outline,
    grid_targets,
    map_fit,
)
from zerogo.scan.model import ScanConfig, ScanNet, load_model, save_model
from zerogo.scan.positions import random_position
from zerogo.scan.read import NetworkView, Scanner, grid_evidence
from zerogo.scan.render import RenderConfig, render_photo

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import train_scan  # noqa: E402

SQUARE_GRID = np.array([[40.0, 40.0], [200.0, 40.0], [200.0, 200.0], [40.0, 200.0]])
"""A 9-line grid 20 pixels apart on a 240 x 240 picture."""


def moved(corners: np.ndarray, n: int, by: tuple[float, float]) -> np.ndarray:
    """The corners of the same grid moved by ``by`` (columns, rows) of its own lines."""
    square = UNIT_SQUARE * (n - 1)
    return apply_homography(homography(square, corners), square + np.array(by))


def perfect_maps(corners: np.ndarray, n: int, shape: tuple[int, int]) -> np.ndarray:
    """The grid maps a perfect network would draw, (GRID_MAPS, H, W) in [0, 1]."""
    return grid_targets(corners, n, shape).transpose(2, 0, 1).astype(np.float32) / 255


def test_the_area_is_the_grid_grown_by_half_a_spacing() -> None:
    outline = grid_outline(SQUARE_GRID, 9)
    np.testing.assert_allclose(outline, [[30, 30], [210, 30], [210, 210], [30, 210]])
    area = grid_area(SQUARE_GRID, 9, (240, 240))
    assert area[30:210, 30:210].all()
    assert area.sum() == 180 * 180


def test_crossings_peak_on_the_visible_intersections_only() -> None:
    hidden = np.zeros((9, 9), bool)
    hidden[0, 0] = True
    heat = crossing_heat(SQUARE_GRID, 9, (240, 240), ~hidden)
    points = grid_points(SQUARE_GRID, 9)
    for row, col in ((0, 1), (4, 4), (8, 8)):
        x, y = points[row, col]
        assert heat[int(y), int(x)] > 0.8  # the pixel whose corner is the intersection
    assert heat[40, 40] < 0.01  # the hidden corner
    assert heat[50, 50] < 0.01  # a cell's centre
    targets = grid_targets(SQUARE_GRID, 9, (240, 240), hidden)
    assert targets.shape == (240, 240, GRID_MAPS) and targets.dtype == np.uint8
    assert targets[..., CROSSINGS].max() >= 240 and targets[45, 45, CROSSINGS] < 200


def test_the_right_grid_fits_its_maps_best() -> None:
    maps = perfect_maps(SQUARE_GRID, 9, (240, 240))
    seen = np.zeros((240, 240), bool)
    seen[20:220, 20:220] = True  # the board, a spacing of margin beyond the outer lines
    right = map_fit(maps, seen, SQUARE_GRID, 9)
    assert right.area > 0.99 and right.crossings > 0.8 and right.beyond < 0.01
    for by in ((1, 0), (0, -1), (1, 1)):
        off = map_fit(maps, seen, moved(SQUARE_GRID, 9, by), 9)
        assert off.area < 0.9 and off.beyond > 0.15
        assert off.score() < right.score() - 0.15
    assert map_fit(maps, seen, SQUARE_GRID * 1.05, 9).score() < right.score()
    finer = np.array([[40.0, 40.0], [200.0, 40.0], [200.0, 200.0], [40.0, 200.0]])
    assert map_fit(maps, seen, finer, 13).crossings < 0.5  # a 13-line grid on a 9-line one


def oracle_view(photo, with_maps: bool = True) -> NetworkView:
    """A perfect network: the renderer's labels as probabilities, boxes and grid maps."""
    probs = np.eye(4, dtype=np.float32)[photo.mask].transpose(2, 0, 1)
    scores = np.ones(len(photo.boxes), np.float32)
    n = photo.stones.shape[0]
    maps = perfect_maps(photo.corners, n, photo.mask.shape) if with_maps else None
    return NetworkView(probs, photo.boxes, scores, photo.box_labels, (1.0, 1.0), maps)


@pytest.mark.parametrize("seed, by", [(31, (1, 0)), (32, (0, -1)), (33, (-1, 1))])
def test_the_maps_make_a_grid_one_line_off_lose_its_evidence(seed, by) -> None:
    rng = np.random.default_rng(seed)
    size = (9, 13, 19)[seed % 3]
    photo = render_photo(
        random_position(size, rng, moves=size * size // 3), rng, "kaya", RenderConfig(occlusion=0.0)
    )
    region = photo.mask > 0
    off = moved(photo.corners, size, by)
    with_maps, without = oracle_view(photo), oracle_view(photo, with_maps=False)
    right = grid_evidence(with_maps, region, photo.corners, size)
    wrong = grid_evidence(with_maps, region, off, size)
    assert right.maps is not None and right.maps > wrong.maps + 0.1
    gain = right.score() - wrong.score()
    plain = grid_evidence(without, region, photo.corners, size).score()
    assert gain > plain - grid_evidence(without, region, off, size).score() + 1.0


@pytest.mark.parametrize("seed", [41, 42, 43])
def test_a_perfect_network_with_maps_reads_occluded_boards(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = (9, 13, 19)[seed % 3]
    stones = random_position(size, rng, moves=size * size // 3)
    photo = render_photo(stones, rng, "shin-kaya", RenderConfig(occlusion=1.0, max_tilt=30.0))
    result = Scanner(ScanNet(), turn_check=False).read(photo.image, oracle_view(photo))
    assert result.size == size
    assert (result.stones == stones)[~photo.occluded].mean() > 0.99


def test_the_grid_head_draws_maps_and_old_model_files_load_without_it(tmp_path) -> None:
    model = ScanNet().eval()
    with torch.no_grad():
        seg, _, _, grid = model(torch.rand(1, 3, 128, 128))
    assert seg.shape == (1, 4, 128, 128) and grid.shape == (1, GRID_MAPS, 128, 128)
    old = ScanNet(ScanConfig(grid_maps=0))
    path = save_model(old, tmp_path / "old.pt")
    payload = torch.load(path, weights_only=True)
    del payload["config"]["grid_maps"]  # as written before the grid head existed
    torch.save(payload, path)
    loaded, _ = load_model(path)
    assert loaded.grid is None
    with torch.no_grad():
        assert loaded(torch.rand(1, 3, 64, 64))[3] is None
    grown = train_scan.with_grid_head(loaded)
    assert grown.grid is not None
    for key, value in loaded.state_dict().items():
        assert torch.equal(grown.state_dict()[key], value)


def test_training_batches_carry_grid_maps_that_follow_the_crop_and_the_turn() -> None:
    from zerogo.scan.dataset import PhotoSet

    rng = np.random.default_rng(5)
    photo = render_photo(
        random_position(9, rng, moves=20), rng, "kaya", RenderConfig(occlusion=0.0)
    )
    data = PhotoSet(
        images=[photo.image],
        masks=photo.mask[None],
        sizes=np.array([9]),
        stones=photo.stones[None],
        occluded=photo.occluded[None],
        corners=photo.corners[None],
        board_corners=photo.board_corners[None],
        boxes=[photo.boxes],
        box_labels=[photo.box_labels],
        families=np.array([photo.family]),
    )
    for whole in (0.0, 1.0):
        images, masks, _, _, grids = train_scan.sample_batch(
            data, [], 4, 192, whole, np.random.default_rng(1)
        )
        assert grids.shape == (4, GRID_MAPS, 192, 192)
        assert 0.0 <= float(grids.min()) and float(grids.max()) <= 1.0
        # the area holds the board's stones: stone pixels lie inside it
        stone = masks >= 2
        assert float(grids[:, AREA][stone].mean()) > 0.95
    logits = torch.zeros(4, GRID_MAPS, 192, 192, requires_grad=True)
    loss = train_scan.grid_loss(logits, grids)
    loss.backward()
    assert float(loss.detach()) > 0 and logits.grad is not None
