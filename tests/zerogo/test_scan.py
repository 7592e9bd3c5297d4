"""``zerogo scan``: the renderer's labels, the reading pipeline, SGF output, the command.

The end-to-end tests scan rendered photos with the shipped model; the pipeline tests
feed it the renderer's own labels in place of the network (an oracle), so that the
geometry (board outline, grid, size, points) is checked apart from the learning.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from engine.board import WHITE
from engine.sgf import load_sgf_file
from nn.vision.geometry import (
    UNIT_SQUARE,
    apply_homography,
    grid_points,
    homography,
    order_corners,
)
from tests.conftest import parse_diagram
from zerogo.cli import main
from zerogo.scan import read as scan_read
from zerogo.scan.dataset import PositionPool, load_photos, render_many, write_shard
from zerogo.scan.model import DEFAULT_MODEL, ScanNet, load_model, save_model
from zerogo.scan.positions import from_board_array, random_position, to_board_array
from zerogo.scan.read import (
    LINE_MARGIN,
    STONE_TO_CELL,
    TURNED_OFFSET,
    GridHypothesis,
    NetworkView,
    Scanner,
    ScanResult,
    board_margins,
    board_outline,
    board_outlines,
    board_region,
    board_regions,
    fit_grid,
    fit_grid_to_stones,
    grid_distance,
    grid_doubt,
    grid_evidence,
    grid_hypotheses,
    line_margin,
    margin_doubt,
    orientation_doubt,
    point_evidence,
    read_points,
    refine_grid,
    rival_doubt,
    slide_grid,
    two_view_confidence,
)
from zerogo.scan.record import diagram, position_sgf
from zerogo.scan.render import (
    _HELD_OUT_LOOKS,
    BLACK_STONE,
    BOARD,
    FAMILIES,
    HELD_OUT_FAMILIES,
    LINE_BACKGROUNDS,
    RANDOM_FAMILY,
    TRAIN_FAMILIES,
    TRAINING_BACKGROUNDS,
    WHITE_STONE,
    RenderConfig,
    _background,
    empty_photo,
    random_family,
    render_photo,
)

EASY = RenderConfig(
    occlusion=0.0, max_tilt=25.0, max_blur=0.6, max_noise=4.0, jpeg_quality=(70, 95)
)


def oracle_view(photo) -> NetworkView:
    """A perfect network: the renderer's labels as probabilities and boxes."""
    probs = np.eye(4, dtype=np.float32)[photo.mask].transpose(2, 0, 1)
    scores = np.ones(len(photo.boxes), np.float32)
    return NetworkView(probs, photo.boxes, scores, photo.box_labels, (1.0, 1.0))


@pytest.mark.parametrize("size, family", [(9, "kaya"), (13, "kaya"), (19, "kaya"), (9, "random")])
def test_rendered_labels_agree_with_the_position(size: int, family: str) -> None:
    rng = np.random.default_rng(size)
    stones = random_position(size, rng, moves=size * size // 2)
    photo = render_photo(stones, rng, family, RenderConfig(occlusion=0.0))
    assert photo.family == family
    assert photo.image.shape == (320, 320, 3) and photo.image.dtype == np.uint8
    points = grid_points(photo.corners, size)
    rows = np.clip(points[..., 1].astype(int), 0, 319)
    cols = np.clip(points[..., 0].astype(int), 0, 319)
    at_points = photo.mask[rows, cols]
    want = np.choose(stones, [BOARD, BLACK_STONE, WHITE_STONE])
    assert (at_points == want).mean() > 0.98  # a line pixel may round either way
    assert len(photo.boxes) == int((stones > 0).sum())
    centres = (photo.boxes[:, :2] + photo.boxes[:, 2:]) / 2
    expected = points[photo.box_points[:, 0], photo.box_points[:, 1]]
    spacing = np.linalg.norm(points[0, 1] - points[0, 0])
    assert np.abs(centres - expected).max() < 0.35 * spacing
    assert list(photo.box_labels) == [int(stones[r, c]) for r, c in photo.box_points]


def test_the_random_family_varies_and_never_draws_a_test_familys_looks() -> None:
    """Domain randomisation for training: the held-out families' own wood kinds, stone
    looks and backgrounds stay unseen, so the test still measures generalisation."""
    rng = np.random.default_rng(0)
    drawn = [random_family(rng) for _ in range(300)]
    test_only = {"strips", "shell", "marble", "stripes", "carpet", "dark"}
    looks = {kind for f in drawn for kind in (f.wood_kind, *f.stones, *f.backgrounds)}
    assert not looks & test_only
    assert {"rings", "straight", "plain", "noise", "flat", "glossy"} <= looks
    brightness = [sum(f.wood[1]) / 3 for f in drawn]
    assert min(brightness) < 140 < 200 < max(brightness)  # dark to pale woods
    assert RANDOM_FAMILY in TRAIN_FAMILIES and RANDOM_FAMILY not in HELD_OUT_FAMILIES


def test_the_line_backgrounds_are_training_only() -> None:
    """Floors, mats, tablecloths and paper with lines teach that lines off the board are
    not the board; they are drawn by the random family (and training's empty photos)
    only: no held-out family has them, and the fixed families keep their backgrounds
    (so their validation photos stay the same)."""
    test_only = {"strips", "shell", "marble", "stripes", "carpet", "dark"}
    assert _HELD_OUT_LOOKS == test_only
    assert set(LINE_BACKGROUNDS) <= set(TRAINING_BACKGROUNDS)
    assert not set(TRAINING_BACKGROUNDS) & test_only
    for family in FAMILIES.values():
        assert not set(family.backgrounds) & set(LINE_BACKGROUNDS)
        assert family.held_out == bool(set(family.backgrounds) & test_only)
    rng = np.random.default_rng(1)
    drawn = {kind for _ in range(200) for kind in random_family(rng).backgrounds}
    assert set(LINE_BACKGROUNDS) <= drawn <= set(TRAINING_BACKGROUNDS)


@pytest.mark.parametrize("kind", LINE_BACKGROUNDS)
def test_a_line_background_renders_and_repeats_per_seed(kind: str) -> None:
    shape = (96, 128)
    first = _background(np.random.default_rng(3), kind, shape)
    again = _background(np.random.default_rng(3), kind, shape)
    other = _background(np.random.default_rng(4), kind, shape)
    assert first.shape == (96, 128, 3) and first.dtype == np.float32
    assert 0 <= first.min() and first.max() <= 255
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.std() > 2  # not a plain colour


def test_a_photo_on_a_line_background_repeats_per_seed() -> None:
    family = dataclasses.replace(random_family(np.random.default_rng(0)), backgrounds=("plaid",))
    stones = random_position(9, np.random.default_rng(2), moves=30)
    a = render_photo(stones, np.random.default_rng(7), family)
    b = render_photo(stones, np.random.default_rng(7), family)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.mask, b.mask)
    assert (a.mask == BOARD).any()


def test_empty_photos_draw_from_the_kinds_given() -> None:
    for seed in range(5):
        photo = empty_photo(np.random.default_rng(seed), RenderConfig(96, 96), ("ruled",))
        assert photo.shape == (96, 96, 3) and photo.dtype == np.uint8
    with pytest.raises(ValueError, match="unknown background"):
        empty_photo(np.random.default_rng(0), RenderConfig(96, 96), ("wallpaper",))


def test_occluders_hide_points_and_their_boxes() -> None:
    rng = np.random.default_rng(5)
    stones = random_position(13, rng, moves=120)
    photo = render_photo(stones, rng, "vinyl", RenderConfig(occlusion=1.0))
    assert photo.occluded.any()
    hidden = {tuple(p) for p in np.argwhere(photo.occluded)}
    assert not hidden & {tuple(p) for p in photo.box_points}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_pipeline_reads_the_position_given_a_perfect_network(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = (9, 13, 19)[seed % 3]
    photo = render_photo(random_position(size, rng), rng, "katsura", EASY)
    view = oracle_view(photo)
    gray = photo.image.astype(np.float32).mean(axis=2)
    quad = board_outline(view)
    assert np.abs(quad - photo.board_corners).max() < 2.0
    found, corners, _ = fit_grid(gray, view, quad, (9, 13, 19))
    assert found == size
    corners = refine_grid(gray, view, corners, size)
    assert np.abs(corners - photo.corners).max() < 1.5
    read, confidence, hidden = read_points(view, corners, size)
    np.testing.assert_array_equal(read, photo.stones)
    assert not hidden.any() and confidence.min() > 0.9


def test_a_grid_off_the_stones_is_in_doubt() -> None:
    rng = np.random.default_rng(4)
    photo = render_photo(random_position(13, rng, moves=90), rng, "kaya", EASY)
    view = oracle_view(photo)
    flags, misfit = grid_doubt(view, photo.corners, 13)
    assert misfit == 0.0 and not flags.any()
    spacing = np.linalg.norm(photo.corners[1] - photo.corners[0]) / 12
    shifted = photo.corners + 0.5 * spacing  # half a cell off: every stone between points
    flags, misfit = grid_doubt(view, shifted, 13)
    assert misfit > 0.9 and flags.all()


def test_position_sgf_round_trips_through_the_sgf_loader(tmp_path) -> None:
    board = parse_diagram(
        """
        . X O . .
        X O . . .
        . X O . .
        . . . . X
        O . . . .
        """
    )
    stones = from_board_array(board)  # picture rows: the diagram's top row first
    assert (to_board_array(stones) == board).all()
    path = tmp_path / "p.sgf"
    path.write_bytes(position_sgf(stones, WHITE, 6.5, "a comment"))
    game = load_sgf_file(path)
    assert game.size == 5 and game.komi == 6.5 and game.to_move == WHITE
    np.testing.assert_array_equal(game.board.to_array(), board)
    text = diagram(stones, np.zeros_like(stones, dtype=bool))
    assert text.splitlines()[1] == "  5 . X O . ."


def test_shards_round_trip(tmp_path) -> None:
    photos = list(
        render_many(2, 3, ("kaya",), (9,), PositionPool(), RenderConfig(width=96, height=96))
    )
    write_shard(tmp_path / "photos-0000.npz", photos)
    back = load_photos(tmp_path)
    assert len(back) == 2
    for i, photo in enumerate(photos):
        np.testing.assert_array_equal(back.position(i), photo.stones)
        np.testing.assert_array_equal(back.masks[i], photo.mask)
        np.testing.assert_allclose(back.boxes[i], photo.boxes)
        assert np.abs(back.images[i].astype(int) - photo.image).mean() < 4  # JPEG 95


def test_model_files_are_plain_weights(tmp_path) -> None:
    model = ScanNet()
    path = save_model(model, tmp_path / "m.pt", {"note": "x"})
    loaded, meta = load_model(path)
    assert meta == {"note": "x"}
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)


def test_the_shipped_model_is_small() -> None:
    assert DEFAULT_MODEL.is_file()
    assert DEFAULT_MODEL.stat().st_size <= 10 * 1024 * 1024


def lattice_corners(corners: np.ndarray, size: int, moved: tuple[float, float]) -> np.ndarray:
    """The corners of the same grid moved by ``moved`` (columns, rows) of its own lines."""
    square = UNIT_SQUARE * (size - 1)
    return apply_homography(homography(square, corners), square + np.array(moved))


@pytest.mark.parametrize("seed, moved", [(6, (1, 0)), (7, (0, -1)), (8, (-1, 1))])
def test_a_grid_one_line_off_slides_back(seed: int, moved: tuple[int, int]) -> None:
    rng = np.random.default_rng(seed)
    photo = render_photo(random_position(13, rng, moves=40), rng, "kaya", EASY)
    view = oracle_view(photo)
    gray = photo.image.astype(np.float32).mean(axis=2)
    off = lattice_corners(photo.corners, 13, moved)
    back = slide_grid(gray, view, off, 13)
    assert np.abs(back - photo.corners).max() < 1.0
    assert slide_grid(gray, view, photo.corners, 13) is photo.corners  # a right grid stays


@pytest.mark.parametrize("seed, moved", [(6, (1, 0)), (8, (-1, 1))])
def test_a_grid_one_line_off_has_no_line_margin(seed: int, moved: tuple[int, int]) -> None:
    rng = np.random.default_rng(seed)
    photo = render_photo(random_position(13, rng, moves=40), rng, "kaya", EASY)
    view = oracle_view(photo)
    gray = photo.image.astype(np.float32).mean(axis=2)
    assert line_margin(gray, view, photo.corners, 13) > LINE_MARGIN
    off = lattice_corners(photo.corners, 13, moved)
    assert line_margin(gray, view, off, 13) < 0  # the right grid is a better window


def test_a_grid_bent_by_a_bad_corner_straightens_on_its_stones() -> None:
    rng = np.random.default_rng(9)
    photo = render_photo(random_position(19, rng, moves=150), rng, "vinyl", EASY)
    view = oracle_view(photo)
    spacing = np.linalg.norm(photo.corners[1] - photo.corners[0]) / 18
    bent = photo.corners.copy()
    bent[3] += (0.5 * spacing, -0.4 * spacing)
    fitted = fit_grid_to_stones(view, bent, 19)
    error = np.linalg.norm(grid_points(fitted, 19) - grid_points(photo.corners, 19), axis=-1)
    assert error.max() < 0.2 * spacing
    stones, _, _ = read_points(view, fitted, 19)
    np.testing.assert_array_equal(stones, photo.stones)


def test_the_board_region_keeps_a_sliver_that_holds_stones() -> None:
    mask = np.zeros((100, 100), bool)
    mask[10:90, 10:60] = True  # the board's main part, 4000 pixels
    mask[10:90, 70:76] = True  # a sliver beyond an arm, 480 pixels (12%)
    assert board_region(mask)[50, 30] and not board_region(mask)[50, 72]
    anchored = board_region(mask, anchors=np.array([[72.5, 30.5], [72.5, 60.5]]))
    assert anchored[50, 72] and anchored[50, 30]
    strict, loose = board_regions(mask, (0.15, 0.03))
    assert not strict[50, 72] and loose[50, 72]
    np.testing.assert_array_equal(strict, board_region(mask))


@pytest.fixture(scope="module")
def board_13():
    """A 13x13 photo and a perfect network's view of it."""
    rng = np.random.default_rng(14)
    photo = render_photo(random_position(13, rng, moves=80), rng, "kaya", EASY)
    view = oracle_view(photo)
    return photo, view, board_region(view.probs[1:].sum(axis=0) > 0.5)


def test_the_right_grid_has_the_best_evidence(board_13) -> None:
    photo, view, region = board_13
    right = grid_evidence(view, region, photo.corners, 13)
    assert right.stones == len(photo.boxes) and right.on == right.stones and right.outside == 0
    assert abs(np.log(right.ratio / STONE_TO_CELL)) < 0.1  # a stone nearly fills its cell
    assert right.cover > 0.8 and right.fill > 0.95  # the board reaches past the grid
    moved = grid_evidence(view, region, lattice_corners(photo.corners, 13, (1, 0)), 13)
    assert moved.outside > 0 and moved.score() < right.score()
    for other in (9, 19):  # the same outline, the wrong number of lines
        wrong = grid_evidence(view, region, photo.corners, other)
        assert abs(np.log(wrong.ratio / STONE_TO_CELL)) > 0.3
        assert wrong.score() < right.score() - 1


@pytest.mark.parametrize("seed, size", [(15, 9), (16, 13), (17, 19)])
def test_grid_hypotheses_find_the_size_and_the_grid(seed: int, size: int) -> None:
    rng = np.random.default_rng(seed)
    photo = render_photo(random_position(size, rng, moves=size * size // 3), rng, "katsura", EASY)
    view = oracle_view(photo)
    gray = photo.image.astype(np.float32).mean(axis=2)
    quads, region = board_outlines(view)
    assert any(np.abs(q - photo.board_corners).max() < 2.0 for q in quads)
    best = grid_hypotheses(gray, view, quads, region, (9, 13, 19))[0]
    assert best.size == size
    spacing = np.linalg.norm(photo.corners[1] - photo.corners[0]) / (size - 1)
    assert np.abs(order_corners(best.corners) - photo.corners).max() < 0.3 * spacing


@pytest.mark.parametrize("seed", [18, 19, 20, 21])
def test_the_reading_survives_occluders_given_a_perfect_network(seed: int) -> None:
    """Hands and bowls cut the board region; candidate outlines and the grid's evidence
    still find the grid, and no point the reading gets wrong goes unflagged."""
    rng = np.random.default_rng(seed)
    size = (9, 13, 19)[seed % 3]
    stones = random_position(size, rng, moves=size * size // 3)
    photo = render_photo(stones, rng, "shin-kaya", RenderConfig(occlusion=1.0, max_tilt=30.0))
    assert photo.occluded.any()
    result = Scanner(ScanNet(), turn_check=False).read(photo.image, oracle_view(photo))
    assert result.size == size
    wrong = (result.stones != stones) & ~photo.occluded
    assert not (wrong & ~result.flagged).any()
    assert (result.stones == stones)[~photo.occluded].mean() > 0.99


def test_board_margins_are_even_around_the_right_grid(board_13) -> None:
    photo, _, _ = board_13
    margins = board_margins(photo.corners, photo.board_corners, 13)
    left, right, top, bottom = margins
    assert 0.3 < min(margins) and max(margins) < 1.2  # the renderer's 0.45..1 spacing
    assert abs(left - right) < 0.2 and abs(top - bottom) < 0.2
    assert not margin_doubt(margins)
    moved = board_margins(lattice_corners(photo.corners, 13, (1, 0)), photo.board_corners, 13)
    assert moved[0] - moved[1] > 1.5 and margin_doubt(moved)  # lopsided by two spacings


def turned_square(degrees: float) -> np.ndarray:
    """A square of side 100 around (160, 160), turned, as ``order_corners`` orders it."""
    angle = np.radians(degrees)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return order_corners((UNIT_SQUARE * 100 - 50) @ rotation.T + 160)


@pytest.mark.parametrize("degrees, doubt", [(0, False), (20, False), (44, True), (45, True)])
def test_a_board_turned_45_degrees_has_its_orientation_in_doubt(degrees, doubt) -> None:
    assert orientation_doubt(turned_square(degrees), 9) is doubt


def test_a_close_rival_grid_flags_the_points_it_reads_otherwise(board_13) -> None:
    photo, view, region = board_13

    def hypothesis(corners: np.ndarray, size: int) -> GridHypothesis:
        return GridHypothesis(
            size, corners, photo.board_corners, grid_evidence(view, region, corners, size)
        )

    chosen = hypothesis(photo.corners, 13)
    stones, _, _ = read_points(view, photo.corners, 13)
    moved = hypothesis(lattice_corners(photo.corners, 13, (1, 0)), 13)
    assert grid_distance(chosen, moved) == pytest.approx(1.0, abs=1e-6)
    flags = rival_doubt(view, stones, [moved], floor=moved.score - 1)
    other, _, _ = read_points(view, order_corners(moved.corners), 13)
    np.testing.assert_array_equal(flags, other != stones)
    assert flags.any() and not flags.all()
    assert not rival_doubt(view, stones, [moved], floor=moved.score + 1).any()  # not close
    bigger = hypothesis(photo.corners, 19)
    assert grid_distance(chosen, bigger) == float("inf")
    assert rival_doubt(view, stones, [bigger], floor=bigger.score - 1).all()


def turned_view(view: NetworkView, width: int, height: int) -> NetworkView:
    """The view of the photo turned by half a turn (a perfect network's, turned)."""
    boxes = np.stack(
        [
            width - view.boxes[:, 2],
            height - view.boxes[:, 3],
            width - view.boxes[:, 0],
            height - view.boxes[:, 1],
        ],
        axis=1,
    ).astype(np.float32)
    probs = np.ascontiguousarray(view.probs[:, ::-1, ::-1])
    return NetworkView(probs, boxes, view.scores, view.labels, view.scale)


class OracleScanner(Scanner):
    """A scanner with a perfect network, whose reading of the turned photo is moved by
    ``moved`` lines down (a network fooled one way and not the other) and, with
    ``miss``, calls its first stone empty with confidence 0.95."""

    def __init__(self, photo, moved: float = 0.0, miss: bool = False) -> None:
        super().__init__(ScanNet())
        self.photo, self.moved, self.miss = photo, moved, miss
        height, width = photo.mask.shape
        self.views = {
            True: oracle_view(photo),
            False: turned_view(oracle_view(photo), width, height),
        }

    def look(self, image: np.ndarray, max_detections: int = 500) -> NetworkView:
        return self.views[bool(np.array_equal(image, self.photo.image))]

    def read_once(self, image: np.ndarray, view: NetworkView, size: int | None = None):
        result = super().read_once(image, view, size)
        if view is self.views[False] and self.moved:
            square = UNIT_SQUARE * (result.size - 1)
            moved = square + np.array([0.0, self.moved])
            result.corners = apply_homography(homography(square, result.corners), moved)
        if view is self.views[False] and self.miss:
            row, col = np.argwhere(result.stones)[0]
            result.stones[row, col], result.confidence[row, col] = 0, 0.95
        return result


@pytest.mark.parametrize("seed, moved", [(51, 0.0), (52, 0.0), (51, 1.0), (53, -1.0)])
def test_a_grid_the_turned_photo_reads_elsewhere_flags_every_point(seed, moved) -> None:
    rng = np.random.default_rng(seed)
    size = (9, 13, 19)[seed % 3]
    stones = random_position(size, rng, moves=size * size // 3)
    photo = render_photo(stones, rng, "kaya", EASY)
    scanner = OracleScanner(photo, moved)
    result = scanner.scan(photo.image)
    np.testing.assert_array_equal(result.stones, stones)
    if moved:
        assert 0.8 < result.turned_offset < 1.6 and result.flagged.all()
    else:  # turned back, the grid lands where it was read (pixels turned right)
        assert result.turned_offset < 0.1 and not result.flagged.all()
        back = scanner.turned_reading(photo.image, None)
        np.testing.assert_array_equal(back.stones, stones)  # its points turned back too
        np.testing.assert_allclose(back.corners, result.corners, atol=0.5)


def test_a_stone_the_turned_reading_misses_is_flagged() -> None:
    rng = np.random.default_rng(54)
    stones = random_position(9, rng, moves=27)
    photo = render_photo(stones, rng, "kaya", EASY)
    plain = OracleScanner(photo).scan(photo.image)
    result = OracleScanner(photo, miss=True).scan(photo.image)
    np.testing.assert_array_equal(result.stones, stones)  # the first reading's calls stand
    newly = result.flagged & ~plain.flagged
    assert newly.sum() == 1 and stones[newly][0] != 0
    # its confidence: the mean of the first reading's and 1 - 0.95
    np.testing.assert_allclose(result.confidence[newly], (plain.confidence[newly] + 0.05) / 2)
    np.testing.assert_array_equal(result.confidence[~newly], plain.confidence[~newly])


def test_two_views_average_their_confidence_and_flag_what_they_call_otherwise() -> None:
    def reading(stones, confidence) -> ScanResult:
        n = len(stones)
        return ScanResult(
            n, np.array(stones, np.int8), np.array(confidence), np.zeros((n, n), bool),
            np.zeros((n, n), bool), np.zeros((4, 2)), np.zeros((4, 2)),
        )  # fmt: skip

    first = reading([[1, 0], [2, 0]], [[0.99, 0.97], [0.92, 0.6]])
    other = reading([[1, 0], [2, 1]], [[0.95, 0.81], [0.8, 0.7]])
    confidence, differ = two_view_confidence(first, other)
    np.testing.assert_allclose(confidence, [[0.97, 0.89], [0.86, 0.45]])
    np.testing.assert_array_equal(differ, [[False, False], [False, True]])


def painted_view(paint: dict, boxes: list) -> NetworkView:
    """A 5x5 grid from (10, 10) to (90, 90) network pixels (spacing 20) on a bare board.

    ``paint[(row, col)] = (colour, p)`` puts a disc of that colour's probability ``p``
    (the rest board) around the point; ``boxes`` are ``(row, col, colour, score)``.
    """
    probs = np.zeros((4, 100, 100), np.float32)
    probs[1] = 1.0
    yy, xx = np.mgrid[:100, :100] + 0.5
    for (row, col), (colour, p) in paint.items():
        disc = (xx - 10 - 20 * col) ** 2 + (yy - 10 - 20 * row) ** 2 <= 9**2
        probs[1][disc] = 1 - p
        probs[1 + colour][disc] = p
    xyxy = [(20 * c + 1, 20 * r + 1, 20 * c + 19, 20 * r + 19) for r, c, _, _ in boxes]
    return NetworkView(
        probs,
        np.array(xyxy, np.float32).reshape(-1, 4),
        np.array([b[3] for b in boxes], np.float32),
        np.array([b[2] for b in boxes], np.int64),
        (1.0, 1.0),
    )


PAINTED_GRID = np.array([[10.0, 10.0], [90.0, 10.0], [90.0, 90.0], [10.0, 90.0]])
FLAG = 0.9  # Scanner's default flag threshold


def test_a_sure_segmentation_calls_a_stone_the_detector_missed() -> None:
    view = painted_view({(0, 0): (1, 0.97), (2, 4): (2, 0.9), (3, 3): (1, 0.25)}, [])
    stones, confidence, hidden = read_points(view, PAINTED_GRID, 5)
    assert stones[0, 0] == 1 and stones[2, 4] == 2  # an edge stone with no box
    assert stones[3, 3] == 0  # a weak mask alone is not a stone...
    assert confidence[3, 3] < FLAG  # ...and the point is flagged
    assert not hidden.any()
    rest = np.ones((5, 5), bool)
    rest[[0, 2, 3], [0, 4, 3]] = False
    assert (stones[rest] == 0).all() and (confidence[rest] > 0.99).all()


def test_box_and_mask_disagreeing_lower_the_confidence() -> None:
    paint = {(1, 1): (1, 0.97), (1, 3): (1, 0.97), (3, 1): (2, 0.6)}
    boxes = [(1, 1, 1, 0.97), (3, 3, 1, 0.9), (3, 1, 2, 0.95)]
    stones, confidence, _ = read_points(painted_view(paint, boxes), PAINTED_GRID, 5)
    assert stones[1, 1] == 1 and confidence[1, 1] > FLAG  # both see it: sure
    assert stones[1, 3] == 1 and confidence[1, 3] < FLAG  # mask only: a stone, flagged
    assert confidence[3, 3] < FLAG  # box only, the mask sees bare board: flagged
    assert stones[3, 1] == 2 and confidence[3, 1] < confidence[1, 1]  # a weaker mask


def test_a_star_point_box_is_not_a_stone() -> None:
    """The detector's small, confident boxes on star points (a third of a cell) made
    stones where the mask saw bare board; a box counts only when stone-sized."""
    paint = {(2, 2): (1, 0.1), (2, 0): (1, 0.1)}
    view = painted_view(paint, [(2, 0, 1, 0.92)])  # a stone-sized box, 18 px on a 20 px grid
    dot = np.array([[47.0, 46.0, 54.0, 55.0]], np.float32)  # 7x9 px on the star point (2, 2)
    view = NetworkView(
        view.probs,
        np.vstack((view.boxes, dot)),
        np.append(view.scores, np.float32(0.92)),
        np.append(view.labels, 1),
        (1.0, 1.0),
    )
    evidence = point_evidence(view, PAINTED_GRID, 5)
    assert evidence.det[2 * 5 + 2, 1] == 0 and not evidence.boxed[2 * 5 + 2]
    assert evidence.det[2 * 5 + 0, 1] == pytest.approx(0.92)
    stones, _, _ = read_points(view, PAINTED_GRID, 5)
    assert stones[2, 2] == 0  # the dot: bare board
    assert stones[2, 0] == 1  # the same evidence with a stone-sized box: a stone, as before


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    model, meta = load_model()
    return Scanner(model, flag_threshold=float(meta.get("flag_threshold", 0.9)))


@pytest.mark.parametrize("seed, size", [(11, 9), (12, 13), (13, 19)])
def test_scan_reads_rendered_photos_with_the_shipped_model(
    scanner: Scanner, seed: int, size: int
) -> None:
    rng = np.random.default_rng(seed)
    stones = random_position(size, rng, moves=size * size // 3)
    photo = render_photo(stones, rng, "kaya", EASY)
    result = scanner.scan(photo.image)
    assert result.size == size
    wrong = result.stones != stones
    assert wrong.sum() <= 1 and (result.flagged | ~wrong).all()  # any mistake is flagged
    assert result.line_margin > LINE_MARGIN and not result.flagged.all()  # a right grid
    assert result.turned_offset < TURNED_OFFSET  # the photo turned round reads the same grid


def test_zerogo_scan_writes_the_sgf(tmp_path, capsys) -> None:
    rng = np.random.default_rng(21)
    stones = random_position(9, rng, moves=30)
    photo = render_photo(stones, rng, "kaya", EASY)
    image = tmp_path / "board.png"
    Image.fromarray(photo.image).save(image)
    out = tmp_path / "board.sgf"
    status = main(["scan", str(image), "-o", str(out), "--to-move", "w", "--komi", "6.5"])
    assert status == 0
    game = load_sgf_file(out)
    assert game.size == 9 and game.komi == 6.5 and game.to_move == WHITE
    read = from_board_array(game.board.to_array())
    assert (read == stones).mean() > 0.98
    assert "wrote" in capsys.readouterr().err


def test_zerogo_scan_says_when_there_is_no_board(tmp_path, capsys) -> None:
    image = tmp_path / "table.png"
    Image.fromarray(empty_photo(np.random.default_rng(4))).save(image)
    status = main(["scan", str(image), "-o", str(tmp_path / "x.sgf")])
    assert status == 2
    assert "no board" in capsys.readouterr().err
    assert not (tmp_path / "x.sgf").exists()


def test_zerogo_scan_refuses_unreadable_files(tmp_path, capsys) -> None:
    bad = tmp_path / "not-a-photo.jpg"
    bad.write_text("hello")
    assert main(["scan", str(bad)]) == 2
    assert main(["scan", str(tmp_path / "missing.jpg")]) == 2
    err = capsys.readouterr().err
    assert "not a readable image" in err and "no such file" in err


def test_zerogo_scan_help(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--size" in out and "--to-move" in out and "--komi" in out


def test_a_photo_of_an_impossible_position_is_refused_as_a_game(tmp_path) -> None:
    """A stone without liberties can be photographed (set up by hand) but not played
    on from: ``game_from_file`` names the problem instead of loading it."""
    from zerogo.scan.photo import PhotoError, game_from_file, read_photo

    stones = np.zeros((9, 9), np.int8)
    stones[0, 0], stones[0, 1], stones[1, 0] = 1, 2, 2  # black in the corner, no liberty
    stones[4, 4] = stones[6, 2] = 1
    photo = render_photo(stones, np.random.default_rng(31), "kaya", EASY)
    path = tmp_path / "impossible.png"
    Image.fromarray(photo.image).save(path)
    read = read_photo(path)
    assert read.illegal and "not legal" in read.warnings[0]
    with pytest.raises(PhotoError, match="not legal"):
        game_from_file(path)


@pytest.mark.parametrize("offset, says", [(1.3, "1.3 lines away"), (np.inf, "no board of this")])
def test_a_turned_reading_elsewhere_is_a_warning_on_every_point(
    tmp_path, monkeypatch, offset, says
) -> None:
    from zerogo.scan.photo import read_photo

    rng = np.random.default_rng(22)
    photo = render_photo(random_position(9, rng, moves=20), rng, "kaya", EASY)
    path = tmp_path / "board.png"
    Image.fromarray(photo.image).save(path)
    monkeypatch.setattr(scan_read, "reading_offset", lambda other, result: offset)
    read = read_photo(path)
    assert read.result.flagged.all() and len(read.flagged) == 81
    assert any("turned round" in w and says in w for w in read.warnings)
