"""Read a Go position from a photo: segment, find the board and its grid, call each point.

The steps of ``Scanner.scan`` (photo coordinates: pixels of the working image, the
photo scaled so that its longer side is at most ``WORKING_SIDE``):

1. **network**: the working image, resized to the network's square input, goes through
   ``ScanNet`` once: per-pixel probabilities of background / board / black / white,
   stone boxes by colour (SSD, per-class NMS) and the grid maps;
2. **board**: the largest connected region of board-or-stone pixels (with any other
   region at least 15% of its size, or holding confident stones: an arm may cut the
   board in two).  Candidate outlines (``board_outlines``): the quadrilateral whose
   sides are fitted as lines to the region's border (``nn.vision.geometry
   .fit_quadrilateral``: a corner under a hand comes back from its sides), four corners
   of the region's hull (``largest_quadrilateral``: a ragged border has no straight
   sides), the same for a looser region (slivers of board beyond an arm), and each of
   these snapped onto the probability's edge (``snap_quadrilateral``).  No region, or
   one too small or not four-sided, is ``NoBoardError``;
3. **grid**: each candidate outline rectifies the board (homography of the
   quadrilateral onto a square); its grid lines show as dark valleys on the bare board
   (away from stones and occluders) and its stones' box centres sit on the lines'
   crossings: the profiles of both along the columns and the rows are fitted with N
   equally spaced lines for each candidate size (``nn.vision.geometry.fit_lattice``).
   Every (outline, size) grid is then measured against what the network sees
   (``grid_evidence``): confident stones on its intersections, off them or beyond the
   grid, the stones' size against the grid's cells (a stone nearly fills its cell, so a
   grid of the wrong size is 1.5 times off), and how well the grid covers the board
   region; the best few are refitted on their own corners and measured again, and the
   best of all gives the board size (``size=`` fixes it) and the grid
   (``grid_hypotheses``).  The grid is then refined: its corners moved to fit lines
   and stones best (``optimise_grid``), its homography refitted to the stones
   (``fit_grid_to_stones``), and moved by whole lines where lines and stones say so
   (``slide_grid``).  A network with a grid head also draws the grid's area and its
   crossings (``zerogo.scan.gridmaps``): the area's outline is one more candidate
   outline, so are the outlines of the grids placed over the lattice of the crossings
   it sees (``crossing_outlines``: they hold where an occluder cuts the board's
   outline), and every candidate's evidence includes its fit to both maps;
4. **points**: each intersection is projected into the photo.  The segmentation's
   probabilities averaged over a small disc there and the best detector box whose
   centre falls nearest that point (within 0.45 of a spacing) each give a
   distribution over (empty, black, white) (``point_evidence``).  A point is a stone
   when the segmentation is sure of it alone or the two together are, and its
   confidence drops when the two disagree (``call_points``).  Points below
   ``flag_threshold``, or that the segmentation sees covered (an occluder), are
   flagged; so are the points where confident stones lie off the grid
   (``grid_doubt``) and those that a rival grid nearly as good reads otherwise
   (``rival_doubt``), and every point when the grid's lines barely beat the grid moved
   by a line (``line_margin``), when the board's margins around the grid are lopsided
   (``margin_doubt``), when the board is turned so near 45 degrees that its
   orientation is a toss-up (``orientation_doubt``) or when the grid misses three or
   more crossings the network sees side by side (``lattice_doubt``: a corner placed
   wrong bends the whole grid);
5. **the cross-check** (``Scanner.read``): the photo turned by half a turn is read
   again, from the network's look on; when that grid, turned back, lies a line or so
   from this one (``turn_doubt``), every point is flagged.  The network sees a board
   turned upside down with its near side far: what fooled it once (the board's front
   edge drawn as a line of crossings, a far edge under a hand) seldom fools it the
   same way twice.  On the same grid, the two readings vote on every point: its
   confidence is the mean of theirs, and a point they call otherwise, or whose mean
   falls under ``flag_threshold``, is flagged (``vote_doubt``).

Picture points: ``[row, col]`` with row 0 at the top of the photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

from nn.vision.geometry import (
    apply_homography,
    fit_lattice,
    fit_lattice_homography,
    fit_quadrilateral,
    grid_offsets,
    grid_points,
    homography,
    largest_quadrilateral,
    order_corners,
    quadrilateral_mask,
    sample_bilinear,
    snap_quadrilateral,
    warp_image,
)
from nn.vision.lattice import Lattice
from nn.vision.ssd import detect
from zerogo.scan.crossings import (
    crossing_lattice,
    lattice_doubt,
    lattice_grids,
    lattice_misses,
    missed_together,
)
from zerogo.scan.gridmaps import AREA, CROSSINGS, GridMaps, grid_outline
from zerogo.scan.model import ScanNet

WORKING_SIDE = 640
"""Longest side of the working image; larger photos are scaled down first."""
SIZES = (9, 13, 19)
"""Board sizes the scan tells apart when not told the size."""
RECTIFIED = 320
"""Side of the rectified board image of the grid fit, pixels."""
MIN_BOARD_AREA = 0.02
"""Smallest board region, as a fraction of the photo."""


class NoBoardError(ValueError):
    """No Go board was found in the photo; the message says what was missing."""


@dataclass
class ScanResult:
    """What a scan read.

    Attributes:
        size: N.
        stones: (N, N) int8, row 0 at the top: 0 empty, 1 black, 2 white.
        confidence: (N, N) float, the probability of each call.
        hidden: (N, N) bool, points the segmentation sees covered by something.
        flagged: (N, N) bool, low-confidence or hidden points.
        corners: (4, 2) the grid's corners in photo pixels (top-left, top-right,
            bottom-right, bottom-left).
        board_corners: (4, 2) the board outline's corners.
        size_scores: the evidence score (``GridEvidence.score``) of the best grid of
            each size among the best candidates (``grid_hypotheses``; a size missing
            had no grid among them).
        size_confidence: how far the chosen size's score is ahead of the next one,
            as a fraction of it (1 when the size was given or no other size was
            among the best candidates).
        grid_misfit: the share of confident stone boxes whose centres lie off the
            grid's intersections (``grid_doubt``); above ``MISFIT`` every point is flagged.
        line_margin: how much better the grid's lines fit than the grid moved by whole
            lines (``line_margin``); under ``LINE_MARGIN`` every point is flagged.
        rival_margin: how much better the chosen grid's evidence is than the best
            candidate grid that differs from it (``grid_hypotheses``, ``grid_distance``;
            infinite when none does); points that a rival within ``RIVAL_MARGIN`` reads
            otherwise are flagged (``rival_doubt``).
        board_margins: the board outline's distance beyond the grid's left, right, top
            and bottom lines, in spacings (``board_margins``); lopsided margins flag
            every point (``margin_doubt``).
        missed_crossings: the largest group of crossings side by side, of the lattice
            the network sees, that the grid misses by a third of a spacing or more
            (``zerogo.scan.crossings.missed_together``); ``MISSED_CROSSINGS`` or more
            flag every point (``lattice_doubt``).
        turned_offset: how far the grid read from the photo turned by half a turn lies
            from this one, in lines (``Scanner.turned_reading``, ``reading_offset``;
            nan when not checked, infinite when that reading found no board or another
            size); ``TURNED_OFFSET`` or more flag every point (``turn_doubt``).
    """

    size: int
    stones: np.ndarray
    confidence: np.ndarray
    hidden: np.ndarray
    flagged: np.ndarray
    corners: np.ndarray
    board_corners: np.ndarray
    size_scores: dict[int, float] = field(default_factory=dict)
    size_confidence: float = 1.0
    grid_misfit: float = 0.0
    line_margin: float = float("inf")
    rival_margin: float = float("inf")
    board_margins: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    missed_crossings: int = 0
    turned_offset: float = float("nan")


@dataclass
class NetworkView:
    """The network's reading of a working image.

    Attributes:
        probs: (4, S, S) float32 class probabilities at network resolution.
        boxes: (K, 4) float32 xyxy stone boxes, network pixels.
        scores: (K,) float32.
        labels: (K,) int64, 1 black, 2 white.
        scale: (sx, sy): working pixels per network pixel.
        grid: (``GRID_MAPS``, S, S) float32 grid-map probabilities
            (``zerogo.scan.gridmaps``), or None from a model without a grid head.
    """

    probs: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    scale: tuple[float, float]
    grid: np.ndarray | None = None
    _grid_maps: GridMaps | None = field(default=None, repr=False, compare=False)


def working_image(photo: np.ndarray) -> np.ndarray:
    """Return the photo (H, W, 3) uint8 scaled so its longer side is at most ``WORKING_SIDE``."""
    height, width = photo.shape[:2]
    factor = WORKING_SIDE / max(height, width)
    if factor >= 1:
        return photo
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(photo).resize(size, Image.Resampling.BILINEAR), np.uint8)


class Scanner:
    """Reads positions from photos with a ``ScanNet``.

    Args:
        model: the network (put in eval mode).
        flag_threshold: confidence below which a point is flagged (a model file's meta
            carries the threshold chosen for it: ``meta["flag_threshold"]``).
        detection_threshold: score from which a box counts at a point.
        threads: torch threads of the forward pass (None: leave torch's setting); one
            is fastest on a busy machine.
        turn_check: read the photo a second time turned by half a turn: flag every
            point when the two grids disagree (``turn_doubt``), else give each point
            both readings' confidence (``two_view_confidence``); twice the time.
    """

    def __init__(
        self,
        model: ScanNet,
        flag_threshold: float = 0.9,
        detection_threshold: float = 0.05,
        threads: int | None = 1,
        turn_check: bool = True,
    ) -> None:
        self.model = model.eval()
        self.flag_threshold = flag_threshold
        self.detection_threshold = detection_threshold
        self.threads = threads
        self.turn_check = turn_check

    # -- step 1 ---------------------------------------------------------------------
    @torch.no_grad()
    def look(self, image: np.ndarray, max_detections: int = 500) -> NetworkView:
        """Run the network on a working image (H, W, 3) uint8."""
        side = self.model.config.input_size
        height, width = image.shape[:2]
        if (height, width) != (side, side):
            image = np.asarray(
                Image.fromarray(image).resize((side, side), Image.Resampling.BILINEAR)
            )
        x = torch.from_numpy(np.array(image, dtype=np.float32)).permute(2, 0, 1)[None] / 255.0
        previous = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            seg, box_logits, offsets, grid = self.model(x)
        finally:
            torch.set_num_threads(previous)
        probs = seg.softmax(dim=1)[0].numpy()
        found = detect(
            box_logits,
            offsets,
            self.model.priors(side, side),
            score_threshold=self.detection_threshold,
            iou_threshold=0.45,
            max_detections=max_detections,
        )[0]
        return NetworkView(
            probs=probs.astype(np.float32),
            boxes=found.boxes.numpy().astype(np.float32),
            scores=found.scores.numpy().astype(np.float32),
            labels=found.labels.numpy(),
            scale=(width / side, height / side),
            grid=None if grid is None else grid.sigmoid()[0].numpy().astype(np.float32),
        )

    # -- the whole scan -------------------------------------------------------------
    def scan(self, photo: np.ndarray, size: int | None = None) -> ScanResult:
        """Read the position in ``photo`` (H, W, 3) uint8 RGB.

        Args:
            photo: the photo.
            size: the board size if known (2..19); None: told apart among ``SIZES``.

        Returns:
            The reading, with ``corners`` in the pixels of ``photo``.

        Raises:
            NoBoardError: when no board or no grid is found.
            ValueError: for a size outside 2..19 or an image that is not (H, W, 3).
        """
        if photo.ndim != 3 or photo.shape[2] != 3:
            raise ValueError(f"a photo must be (H, W, 3), not {photo.shape}")
        if size is not None and not 2 <= size <= 19:
            raise ValueError(f"board size must be 2..19, not {size}")
        image = working_image(photo)
        view = self.look(image)
        result = self.read(image, view, size)
        back = photo.shape[1] / image.shape[1], photo.shape[0] / image.shape[0]
        result.corners = result.corners * back
        result.board_corners = result.board_corners * back
        return result

    def settle_grid(
        self, gray: np.ndarray, view: NetworkView, corners: np.ndarray, n: int
    ) -> np.ndarray:
        """Fit the grid to the stones, slide it by whole lines; refine again when it moved."""
        corners = fit_grid_to_stones(view, corners, n)
        slid = slide_grid(gray, view, corners, n)
        if slid is not corners:
            corners = fit_grid_to_stones(view, optimise_grid(gray, view, slid, n), n)
        return corners

    def read(self, image: np.ndarray, view: NetworkView, size: int | None = None) -> ScanResult:
        """Steps 2-4 on a working image and the network's view of it, cross-checked.

        The reading is checked against a second one of the image turned by half a turn
        (``turned_reading``, when the scanner's ``turn_check`` is on): a grid that moves
        by ``TURNED_OFFSET`` lines or more, or a size that changes, flags every point
        (``turn_doubt``); on the same grid, each point's confidence becomes the two
        readings' (``two_view_confidence``), and the points they call otherwise or
        whose joint confidence is under ``flag_threshold`` are flagged.

        Raises:
            NoBoardError: when no board or no grid is found.
        """
        result = self.read_once(image, view, size)
        if self.turn_check:
            other = self.turned_reading(image, size)
            result.turned_offset = reading_offset(other, result)
            if turn_doubt(result.turned_offset):
                result.flagged[:] = True
            else:
                result.confidence, doubt = vote_doubt(result, other, self.flag_threshold)
                result.flagged |= doubt
        return result

    def turned_reading(self, image: np.ndarray, size: int | None) -> ScanResult | None:
        """Read ``image`` turned by half a turn afresh and turn the reading back.

        The turned image is looked at and read without the cross-check (the board size
        found again unless ``size`` is given).  Its grid and board corners come back in
        ``image``'s pixels, ordered as ``order_corners`` orders them, and its points
        (stones, confidence, hidden, flags) are turned to match, so that they compare
        point by point with a reading of ``image`` itself.

        Returns:
            The reading, or None when the turned image shows no board.
        """
        turned = np.ascontiguousarray(image[::-1, ::-1])
        try:
            other = self.read_once(turned, self.look(turned), size)
        except NoBoardError:
            return None
        height, width = image.shape[:2]
        far = np.array([width, height], np.float64)
        back = far - other.corners
        ordered = order_corners(back)
        # the corner of the turned reading that is now top-left: its points turn with it
        quarter = int(np.argmin(np.linalg.norm(back - ordered[0], axis=1)))
        other.corners = ordered
        other.board_corners = order_corners(far - other.board_corners)
        for name in ("stones", "confidence", "hidden", "flagged"):
            setattr(other, name, np.rot90(getattr(other, name), quarter).copy())
        return other

    def read_once(
        self, image: np.ndarray, view: NetworkView, size: int | None = None
    ) -> ScanResult:
        """Steps 2-4 on a working image and the network's view of it, not cross-checked.

        Raises:
            NoBoardError: when no board or no grid is found.
        """
        quads, region = board_outlines(view)
        quads += grid_area_outlines(view, quads)
        sizes = (size,) if size is not None else SIZES
        lattice = view_lattice(view)
        sized = crossing_outlines(view, lattice, quads, sizes)
        gray = image.astype(np.float32).mean(axis=2)
        hypotheses = grid_hypotheses(gray, view, quads, region, sizes, sized=sized)
        best = hypotheses[0]
        n, corners, quad = best.size, best.corners, best.outline
        scores: dict[int, float] = {}
        for h in hypotheses:
            scores[h.size] = max(scores.get(h.size, -np.inf), h.score)
        rivals = [h for h in hypotheses[1:] if grid_distance(best, h) > 0.5]
        rival_margin = best.score - rivals[0].score if rivals else float("inf")
        corners = optimise_grid(gray, view, corners, n)
        corners = order_corners(self.settle_grid(gray, view, corners, n))
        stones, confidence, hidden = read_points(view, corners, n, self.detection_threshold)
        doubt, misfit = grid_doubt(view, corners, n)
        lines = line_margin(gray, view, corners, n)
        margins = board_margins(corners, quad, n)
        flagged = (confidence < self.flag_threshold) | hidden | doubt | (lines < LINE_MARGIN)
        flagged |= rival_doubt(
            view, stones, rivals, best.score - RIVAL_MARGIN, self.detection_threshold
        )
        missed = 0
        if lattice is not None:
            missed = missed_together(lattice, lattice_misses(lattice, view.scale, corners, n), n)
            if lattice_doubt(missed):
                flagged[:] = True
        if margin_doubt(margins) or orientation_doubt(corners, n):
            flagged[:] = True
        ordered = sorted(scores.values(), reverse=True)
        margin = 1.0 if len(ordered) < 2 else (ordered[0] - ordered[1]) / max(abs(ordered[0]), 1e-9)
        return ScanResult(
            size=n,
            stones=stones,
            confidence=confidence,
            hidden=hidden,
            flagged=flagged,
            corners=corners,
            board_corners=quad,
            size_scores=scores,
            size_confidence=margin,
            grid_misfit=misfit,
            line_margin=lines,
            rival_margin=rival_margin,
            board_margins=margins,
            missed_crossings=missed,
        )


# -- step 2: the board ----------------------------------------------------------------


def components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label the 4-connected regions of a bool mask.

    Every pixel starts labelled with its own flat index; each round takes the smallest
    label among the pixel and its in-mask neighbours, then jumps pointers (a pixel
    takes its label's label), until nothing changes: each region ends labelled with
    the index of its first pixel.

    Returns:
        ``(labels, sizes)``: labels (H, W) int64 (``H * W`` outside the mask) and the
        pixel count of every label value (0 for values that label nothing).
    """
    height, width = mask.shape
    sentinel = height * width
    labels = np.where(mask, np.arange(sentinel).reshape(height, width), sentinel)
    while mask.any():
        padded = np.pad(labels, 1, constant_values=sentinel)
        smallest = np.minimum.reduce(
            [labels, padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]]
        )
        smallest = np.where(mask, smallest, sentinel)
        flat = np.append(smallest.ravel(), sentinel)
        for _ in range(4):  # pointer jumping
            flat[:-1] = flat[flat[:-1]]
        updated = flat[:-1].reshape(height, width)
        if np.array_equal(updated, labels):
            break
        labels = updated
    return labels, np.bincount(labels[mask].ravel(), minlength=sentinel)


def largest_component(mask: np.ndarray) -> np.ndarray:
    """Return the largest 4-connected region of a bool mask (empty mask: all False)."""
    if not mask.any():
        return np.zeros_like(mask, dtype=bool)
    labels, sizes = components(mask)
    return labels == int(np.argmax(sizes))


def _erode(mask: np.ndarray) -> np.ndarray:
    """One 3x3 erosion of a bool mask (outside the image counts as outside the mask)."""
    padded = np.pad(mask, 1)
    out = mask.copy()
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            out &= padded[dy : dy + mask.shape[0], dx : dx + mask.shape[1]]
    return out


def _dilate(mask: np.ndarray) -> np.ndarray:
    """One 3x3 dilation of a bool mask."""
    padded = np.pad(mask, 1)
    out = mask.copy()
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            out |= padded[dy : dy + mask.shape[0], dx : dx + mask.shape[1]]
    return out


def board_region(
    mask: np.ndarray,
    share: float = 0.15,
    opening: int = 2,
    anchors: np.ndarray | None = None,
    anchored: int = 2,
) -> np.ndarray:
    """Return the board's region of a board-or-stone mask.

    The mask is first *opened* (``opening`` erosions, then as many dilations), which
    cuts thin bridges to look-alike surroundings (a table of the same wood); then the
    largest region is kept with every other region at least ``share`` of its size (an
    arm across the board cuts it in two; both halves belong to it), and any region
    holding ``anchored`` or more of the ``anchors`` (stone centres, (K, 2) x, y: a
    sliver of board beyond an arm still holds its stones).
    """
    return board_regions(mask, (share,), opening, anchors, anchored)[0]


def board_regions(
    mask: np.ndarray,
    shares: tuple[float, ...],
    opening: int = 2,
    anchors: np.ndarray | None = None,
    anchored: int = 2,
) -> list[np.ndarray]:
    """``board_region`` for several shares at the cost of one labelling."""
    opened = mask
    for _ in range(opening):
        opened = _erode(opened)
    if not opened.any():
        return [np.zeros_like(mask, dtype=bool) for _ in shares]
    labels, sizes = components(opened)
    held = np.zeros(len(sizes), bool)
    if anchors is not None and len(anchors):
        height, width = mask.shape
        cols = np.clip(anchors[:, 0].astype(np.int64), 0, width - 1)
        rows = np.clip(anchors[:, 1].astype(np.int64), 0, height - 1)
        counts = np.bincount(labels[rows, cols], minlength=len(sizes) + 1)[: len(sizes)]
        held = (counts >= anchored) & (sizes > 0)
    regions = []
    for share in shares:
        region = np.isin(labels, np.flatnonzero((sizes >= share * sizes.max()) | held))
        for _ in range(opening):
            region = _dilate(region)
        regions.append(region & mask)
    return regions


def board_outline(view: NetworkView) -> np.ndarray:
    """Return the board region's quadrilateral (4, 2), network pixels: the first guess
    of ``board_outlines`` alone.

    Raises:
        NoBoardError: when there is no board-like region of four sides.
    """
    on_board = view.probs[1:].sum(axis=0) > 0.5
    region = board_region(on_board)
    if region.mean() < MIN_BOARD_AREA:
        raise NoBoardError("no board found in the photo (no large board-coloured region)")
    quad = fit_quadrilateral(region)
    if quad is None:
        raise NoBoardError("no board found in the photo (the board region has no four sides)")
    x, y = quad[:, 0], quad[:, 1]
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    if area < MIN_BOARD_AREA * region.size or region.sum() < 0.5 * area:
        raise NoBoardError("no board found in the photo (the board region is not four-sided)")
    return quad


def _quad_area(quad: np.ndarray) -> float:
    """Area of a quadrilateral (4, 2) (shoelace formula)."""
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


SAME_OUTLINE = 0.02
"""Candidate outlines whose corners all lie within this share of the board's side of an
earlier candidate's are dropped as the same."""


def _stone_centres(view: NetworkView, score: float = 0.9) -> np.ndarray:
    """Centres (K, 2) of the confident stone boxes that the segmentation also sees as
    stones, network pixels."""
    keep = view.scores >= score
    centres = (view.boxes[keep, :2] + view.boxes[keep, 2:]) / 2
    side = view.probs.shape[1]
    cells = np.clip(centres.astype(np.int64), 0, side - 1)
    stone = view.probs[2:, cells[:, 1], cells[:, 0]].sum(axis=0) > 0.5
    return centres[stone]


LOOSE_SHARE = 0.03
"""Share of the largest region from which a region counts in the loose board region
(``board_outlines``): a sliver of board beyond an arm."""


def board_outlines(view: NetworkView) -> tuple[list[np.ndarray], np.ndarray]:
    """Return candidate quadrilaterals of the board (network pixels) and its region.

    Two first guesses from the board region (``board_region``, with the regions that
    hold two or more confident stones): the four sides fitted to its border
    (``fit_quadrilateral``: it brings back a corner under a hand) and four corners of
    its hull (``largest_quadrilateral``: it needs no straight border); the same two
    from a looser region when it differs (regions down to ``LOOSE_SHARE`` of the
    largest: a sliver of board beyond an arm).  Each guess is also snapped onto the
    edge of the board-or-stone probability (``snap_quadrilateral``: a side through a
    ragged border or a smear moves onto the edge).  Candidates much larger than the
    region or nearly the same as an earlier one are dropped; the grid's evidence
    chooses among the rest (``grid_hypotheses``).

    Returns:
        ``(quads, region)``: the candidates, (4, 2) each, best first guess first; the
        (S, S) bool board region.

    Raises:
        NoBoardError: when there is no board-like region of four sides.
    """
    prob = view.probs[1:].sum(axis=0)
    anchors = _stone_centres(view)
    region, loose = board_regions(prob > 0.5, (0.15, LOOSE_SHARE), anchors=anchors)
    if region.mean() < MIN_BOARD_AREA:
        raise NoBoardError("no board found in the photo (no large board-coloured region)")
    guesses = [
        q for q in (fit_quadrilateral(region), largest_quadrilateral(region)) if q is not None
    ]
    if (loose != region).any():
        guesses += [
            q for q in (fit_quadrilateral(loose), largest_quadrilateral(loose)) if q is not None
        ]
    quads: list[np.ndarray] = []
    filled = float(region.sum())
    for quad in guesses + [snap_quadrilateral(prob, q) for q in guesses]:
        area = _quad_area(quad)
        if area < MIN_BOARD_AREA * region.size or filled < 0.5 * area:
            continue
        side = np.sqrt(area)
        if any(np.abs(quad - other).max() < SAME_OUTLINE * side for other in quads):
            continue
        quads.append(quad)
    if not quads:
        raise NoBoardError("no board found in the photo (the board region is not four-sided)")
    return quads, region


def grid_area_outlines(view: NetworkView, quads: list[np.ndarray]) -> list[np.ndarray]:
    """Outline candidates from the grid maps' area (network pixels): the quadrilateral
    fitted to the area's largest region, unless an outline in ``quads`` is nearly the
    same; none from a model without grid maps.

    The area is the grid grown by half a spacing, so its outline rectifies the board
    with the outer lines half a spacing in, where ``lattice_fits`` looks for them.
    """
    if view.grid is None:
        return []
    area = largest_component(view.grid[AREA] > 0.5)
    if area.mean() < MIN_BOARD_AREA:
        return []
    out = []
    for quad in (fit_quadrilateral(area), largest_quadrilateral(area)):
        size = 0.0 if quad is None else _quad_area(quad)
        if size < MIN_BOARD_AREA * area.size:
            continue
        side = np.sqrt(size)
        if any(np.abs(quad - other).max() < SAME_OUTLINE * side for other in [*quads, *out]):
            continue
        out.append(quad)
    return out


def view_lattice(view: NetworkView) -> Lattice | None:
    """The lattice of the intersections the network sees (network pixels;
    ``zerogo.scan.crossings.crossing_lattice``), None without grid maps or lattice."""
    if view.grid is None:
        return None
    return crossing_lattice(view.grid[CROSSINGS], view.boxes, view.scores)


def crossing_outlines(
    view: NetworkView, lattice: Lattice | None, quads: list[np.ndarray], sizes: tuple[int, ...]
) -> list[tuple[np.ndarray, int]]:
    """Outline candidates from the crossings map (network pixels), each with the one
    size it is for: for the best placements of each size over the lattice of the
    intersections the network sees (``lattice``, from ``view_lattice``: computed once
    per reading, it also checks the grid), the grid grown by half
    a spacing (as the area's outline: the outer lines half a spacing in), unless an
    outline in ``quads`` is nearly the same; none from a model without grid maps.

    The intersections place the grid where an occluder has cut the board's outline and
    put the other candidates' hidden corners a few spacings off.
    """
    if view.grid is None or lattice is None:
        return []
    out: list[tuple[np.ndarray, int]] = []
    for n, corners, _ in lattice_grids(lattice, _grid_maps(view), sizes):
        quad = grid_outline(corners, n)
        size = _quad_area(quad)
        if not size >= MIN_BOARD_AREA * view.probs[0].size:
            continue
        side = np.sqrt(size)
        others = [*quads, *(q for q, m in out if m == n)]
        if any(np.abs(quad - other).max() < SAME_OUTLINE * side for other in others):
            continue
        out.append((quad, n))
    return out


# -- step 3: the grid -----------------------------------------------------------------

_SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
CENTRE_WEIGHT_STONES = 20
"""Stones from which the stone-centre evidence weighs as much as the lines."""


def _valley_maps(
    rect: np.ndarray, free: np.ndarray, reach: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Dark-line evidence of a rectified board, per pixel.

    Returns:
        ``(vertical, vertical_ok, horizontal, horizontal_ok)``: how much darker each
        pixel is than both its neighbours ``reach`` to the left and right (vertical
        lines) or above and below (horizontal lines), and where that is measured on
        bare board.
    """
    g = np.nan_to_num(rect, nan=0.0)
    ok = free & np.isfinite(rect)

    def shifted(a: np.ndarray, by: int, axis: int, fill: float | bool) -> np.ndarray:
        """``a`` moved ``by`` along ``axis`` (no wrapping: the vacated edge is ``fill``)."""
        out = np.full_like(a, fill)
        src = [slice(None)] * 2
        dst = [slice(None)] * 2
        src[axis] = slice(None, -by) if by > 0 else slice(-by, None)
        dst[axis] = slice(by, None) if by > 0 else slice(None, by)
        out[tuple(dst)] = a[tuple(src)]
        return out

    def valley(axis: int) -> tuple[np.ndarray, np.ndarray]:
        before = shifted(g, reach, axis, 0.0)
        after = shifted(g, -reach, axis, 0.0)
        depth = np.clip(np.minimum(before, after) - g, 0, None)
        valid = ok & shifted(ok, reach, axis, False) & shifted(ok, -reach, axis, False)
        return depth * valid, valid

    v, v_ok = valley(1)
    h, h_ok = valley(0)
    return v, v_ok, h, h_ok


EDGE_PX = 4
"""Rectified pixels next to the board's edge (or a stone, or an occluder) that give no
line evidence: the edge of a board is dark against its side and must not pass for a line."""


def _bare_board(
    view: NetworkView, to_net: np.ndarray, side: int, edge: int = EDGE_PX
) -> np.ndarray:
    """Where the rectified square shows bare board, ``edge`` pixels away from anything else."""
    free = warp_image(view.probs[1], to_net, (side, side), fill=0.0) > 0.6
    for _ in range(edge):
        free = _erode(free)
    return free


def _line_profiles(rect: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the dark-line profiles of the columns and the rows of a rectified board."""
    v, v_ok, h, h_ok = _valley_maps(rect, free)
    columns = v.sum(axis=0) / np.maximum(v_ok.sum(axis=0), 1)
    rows = h.sum(axis=1) / np.maximum(h_ok.sum(axis=1), 1)
    return columns, rows


def _centre_profiles(
    view: NetworkView, to_net: np.ndarray, side: int, threshold: float = 0.3
) -> tuple[np.ndarray, np.ndarray, int]:
    """Histograms of the stone boxes' centres along the columns and the rows, blurred."""
    keep = view.scores >= threshold
    if not keep.any():
        return np.zeros(side), np.zeros(side), 0
    centres = (view.boxes[keep, :2] + view.boxes[keep, 2:]) / 2
    uv = apply_homography(np.linalg.inv(to_net), centres)
    inside = np.all((uv >= 0) & (uv < side), axis=1)
    uv, weights = uv[inside], view.scores[keep][inside]
    kernel = np.exp(-0.5 * (np.arange(-4, 5) / 1.2) ** 2)

    def histogram(values: np.ndarray) -> np.ndarray:
        counts = np.bincount(values.astype(np.int64), weights=weights, minlength=side)[:side]
        return np.convolve(counts, kernel, mode="same")

    return histogram(uv[:, 0]), histogram(uv[:, 1]), int(inside.sum())


def _evidence(
    gray: np.ndarray, view: NetworkView, to_photo: np.ndarray, side: int
) -> tuple[np.ndarray, np.ndarray]:
    """Line and stone-centre evidence of a rectified board: column and row profiles.

    ``to_photo`` maps the side x side square to the working image.  Each kind is
    scaled to mean 1; stone centres weigh less while there are few of them.
    """
    rect = warp_image(gray, to_photo, (side, side), fill=np.nan)
    to_net = np.diag([1 / view.scale[0], 1 / view.scale[1], 1.0]) @ to_photo
    free = _bare_board(view, to_net, side)
    columns, rows = _line_profiles(rect, free)
    centre_columns, centre_rows, count = _centre_profiles(view, to_net, side)
    weight = min(1.0, count / CENTRE_WEIGHT_STONES)
    out = []
    for lines, centres in ((columns, centre_columns), (rows, centre_rows)):
        profile = lines / max(float(lines.mean()), 1e-9)
        if count:
            profile = profile + weight * centres / max(float(centres.mean()), 1e-9)
        out.append(profile)
    return out[0], out[1]


def lattice_fits(
    gray: np.ndarray, view: NetworkView, quad: np.ndarray, sizes: tuple[int, ...]
) -> dict[int, tuple[np.ndarray, float]]:
    """Fit a grid of each size to the board rectified on its outline.

    Returns:
        ``{size: (corners (4, 2) working-image pixels, lattice score)}``.
    """
    side = RECTIFIED
    to_photo = homography(_SQUARE * side, quad)
    columns, rows = _evidence(gray, view, to_photo, side)
    fits = {}
    for n in sizes:
        x0, x1, sx = fit_lattice(columns, n, (0.0, 0.17 * side), (0.83 * side, side))
        y0, y1, sy = fit_lattice(rows, n, (0.0, 0.17 * side), (0.83 * side, side))
        rect_corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        fits[n] = (apply_homography(to_photo, rect_corners), sx + sy)
    return fits


def fit_grid(
    gray: np.ndarray, view: NetworkView, quad: np.ndarray, sizes: tuple[int, ...]
) -> tuple[int, np.ndarray, dict[int, float]]:
    """Find the board size and the grid corners from the board's outline (lines alone).

    Returns:
        ``(size, corners (4, 2) working-image pixels, lattice score per size)``.

    Raises:
        NoBoardError: when no grid is found.
    """
    fits = lattice_fits(gray, view, quad, sizes)
    scores = {n: score for n, (_, score) in fits.items()}
    best = max(scores, key=lambda k: scores[k])
    if not scores[best] > 0:
        raise NoBoardError("no grid lines found on the board")
    return best, fits[best][0], scores


def refine_grid(gray: np.ndarray, view: NetworkView, corners: np.ndarray, n: int) -> np.ndarray:
    """Refit the grid of ``n`` lines, rectifying on its current corners (one spacing of margin)."""
    side = RECTIFIED
    pad = side / (n + 1)
    inner = np.array([[pad, pad], [side - pad, pad], [side - pad, side - pad], [pad, side - pad]])
    to_photo = homography(inner, corners)
    columns, rows = _evidence(gray, view, to_photo, side)
    slack = 0.35 * (side - 2 * pad) / (n - 1)
    low, high = (pad - slack, pad + slack), (side - pad - slack, side - pad + slack)
    x0, x1, sx = fit_lattice(columns, n, low, high)
    y0, y1, sy = fit_lattice(rows, n, low, high)
    if sx <= 0 or sy <= 0:
        return corners
    return apply_homography(to_photo, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))


def _sample(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear samples of an (H, W) map at (..., 2) points (x, y); 0 outside."""
    flat = points.reshape(-1, 2)
    height, width = image.shape
    inside = (flat[:, 0] >= 0) & (flat[:, 0] < width) & (flat[:, 1] >= 0) & (flat[:, 1] < height)
    values = sample_bilinear(image[None], np.where(inside[:, None], flat, 0.0))[:, 0]
    return np.where(inside, values, 0.0).reshape(points.shape[:-1])


def optimise_grid(
    gray: np.ndarray, view: NetworkView, corners: np.ndarray, n: int, evaluations: int = 400
) -> np.ndarray:
    """Move the grid's four corners, one coordinate at a time, to fit lines and stones best.

    The board is rectified on the current corners (one spacing of margin).  A grid (a
    homography from grid to rectified coordinates, so any perspective) scores the mean
    line evidence along its 2N lines minus that along the lines halfway between them
    or one spacing outside, plus the stone-centre density at its intersections minus
    at its cell centres.  Each corner coordinate is moved by a step while that raises
    the score; the step halves from half a spacing to a twentieth.  The axis-aligned
    lattice fits cannot undo a board outline with one wrong corner; this can.

    Returns:
        (4, 2) the moved corners, working-image pixels.
    """
    side = RECTIFIED
    pad = side / (n + 1)
    inner = np.array([[pad, pad], [side - pad, pad], [side - pad, side - pad], [pad, side - pad]])
    to_photo = homography(inner, corners)
    rect = warp_image(gray, to_photo, (side, side), fill=np.nan)
    to_net = np.diag([1 / view.scale[0], 1 / view.scale[1], 1.0]) @ to_photo
    free = _bare_board(view, to_net, side)
    v, v_ok, h, h_ok = _valley_maps(rect, free)
    v = v / max(float(v[v_ok].mean()) if v_ok.any() else 0.0, 1e-9)
    h = h / max(float(h[h_ok].mean()) if h_ok.any() else 0.0, 1e-9)
    centres_x, centres_y, count = _centre_profiles(view, to_net, side)
    stones = np.zeros((side, side))
    if count:
        keep = view.scores >= 0.3
        uv = apply_homography(
            np.linalg.inv(to_net), (view.boxes[keep, :2] + view.boxes[keep, 2:]) / 2
        )
        inside = np.all((uv >= 0) & (uv < side), axis=1)
        cells = uv[inside].astype(np.int64)
        np.add.at(stones, (cells[:, 1], cells[:, 0]), view.scores[keep][inside])
        kernel = np.exp(-0.5 * (np.arange(-4, 5) / 1.2) ** 2)
        stones = np.apply_along_axis(np.convolve, 0, stones, kernel, mode="same")
        stones = np.apply_along_axis(np.convolve, 1, stones, kernel, mode="same")
        stones *= min(1.0, count / CENTRE_WEIGHT_STONES) / max(float(stones.mean()), 1e-9)
    t = np.linspace(0, n - 1, 4 * n)
    k_on = np.arange(n, dtype=np.float64)
    k_between = k_on[:-1] + 0.5
    k_outside = np.array([-1.0, float(n)])
    grid_square = _SQUARE * (n - 1)
    ii, jj = np.meshgrid(k_on, k_on)
    ci, cj = np.meshgrid(k_between, k_between)

    def along(ks: np.ndarray, vertical: bool) -> np.ndarray:
        """Sample points (grid coordinates) along the lines ``ks``."""
        a, b = np.meshgrid(ks, t, indexing="ij")
        return (np.stack((a, b), -1) if vertical else np.stack((b, a), -1)).reshape(-1, 2)

    # every score samples the same grid points (on, between and outside the lines; the
    # intersections and the cell centres), mapped by the trial's homography: one
    # mapping and one sampling per map
    groups = (k_on, k_between, k_outside)
    line_points = [
        np.concatenate([along(k, vertical) for k in groups]) for vertical in (True, False)
    ]
    bounds = np.cumsum([0] + [len(along(k, True)) for k in groups])
    stone_points = np.concatenate(
        (np.stack((ii, jj), -1).reshape(-1, 2), np.stack((ci, cj), -1).reshape(-1, 2))
    )
    at_points = ii.size

    def score(quad: np.ndarray) -> float:
        try:
            to_rect = homography(grid_square, quad)
        except ValueError:
            return -np.inf
        total = 0.0
        for points, depth in zip(line_points, (v, h), strict=True):
            values = _sample(depth, apply_homography(to_rect, points))
            on, between, outside = (
                float(values[bounds[k] : bounds[k + 1]].mean()) for k in range(3)
            )
            total += on - max(between, outside)
        if count:
            values = _sample(stones, apply_homography(to_rect, stone_points))
            total += float(values[:at_points].mean() - values[at_points:].mean())
        return total

    quad = inner.copy()
    best = score(quad)
    spacing = (side - 2 * pad) / (n - 1)
    step = 0.5 * spacing
    used = 1
    while step >= 0.05 * spacing and used < evaluations:
        improved = False
        for index in range(8):
            for sign in (1.0, -1.0):
                trial = quad.copy()
                trial.flat[index] += sign * step
                value = score(trial)
                used += 1
                if value > best:
                    quad, best, improved = trial, value, True
                    break
        if not improved:
            step /= 2
    return apply_homography(to_photo, quad)


def fit_grid_to_stones(
    view: NetworkView,
    corners: np.ndarray,
    n: int,
    min_stones: int = 12,
    score: float = 0.5,
    tolerance: float = 0.3,
) -> np.ndarray:
    """Refit the grid's homography to the detected stones' centres.

    The stones' box centres are fitted as a lattice's nodes
    (``nn.vision.geometry.fit_lattice_homography``: each centre pairs with the nearest
    intersection within ``tolerance`` of a spacing, the homography is refitted to the
    pairs by least squares, and again while the pairs change; the fit with the most
    centres close to intersections wins, the start included): a grid bent by a bad
    board corner straightens itself from the stones elsewhere.  Too few stones (or too
    few rows or columns of them) leave the corners as they are.

    Args:
        view: the network's view (boxes in network pixels).
        corners: (4, 2) the grid corners, working-image pixels.
        n: the board size.
        min_stones: stones needed for a refit.
        score: box score from which a stone counts.
        tolerance: the largest distance of a paired centre from its intersection, spacings.

    Returns:
        (4, 2) the refitted corners.
    """
    keep = view.scores >= score
    if keep.sum() < min_stones:
        return corners
    centres = (view.boxes[keep, :2] + view.boxes[keep, 2:]) / 2 * np.array(view.scale)
    grid_square = _SQUARE * (n - 1)
    start = homography(grid_square, corners)
    fitted, paired = fit_lattice_homography(
        centres, start, nodes=(n, n), tolerance=tolerance, min_pairs=min_stones
    )
    if paired.sum() < min_stones:
        return corners
    return apply_homography(fitted, grid_square)


SLIDE_REACH = 2
"""Lines beyond the grid that ``slide_grid`` looks at on each side."""


def _line_strengths(
    gray: np.ndarray, view: NetworkView, to_image: np.ndarray, n: int, reach: int, cell: int = 16
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Dark-line evidence of the grid's lines extended ``reach`` lines beyond it on each side.

    Returns:
        ``(columns, rows, column_cover, row_cover)`` (n + 2 reach,): for the lines
        ``-reach .. n - 1 + reach`` of the lattice ``to_image`` maps into the photo, the
        valley depth along the line less that halfway to its neighbours (the one
        neighbour seen, next to the board's edge), averaged over the grid's span (bare
        board only; unseen samples count 0); and the share of each line's span that the
        segmentation sees as board or stone.
    """
    pad = reach + 0.5
    side = int(round((n - 1 + 2 * pad) * cell))
    to_lattice = np.array([[1 / cell, 0.0, -pad], [0.0, 1 / cell, -pad], [0.0, 0.0, 1.0]])
    to_photo = to_image @ to_lattice
    rect = warp_image(gray, to_photo, (side, side), fill=np.nan)
    to_net = np.diag([1 / view.scale[0], 1 / view.scale[1], 1.0]) @ to_photo
    free = _bare_board(view, to_net, side, edge=2)
    board = warp_image(view.probs[1:].sum(axis=0), to_net, (side, side), fill=0.0) > 0.5
    v, v_ok, h, h_ok = _valley_maps(rect, free)
    span = slice(int(round((pad - 0.5) * cell)), int(round((pad + n - 0.5) * cell)))
    half = cell // 2
    out, covers = [], []
    for depth, ok, inside in ((v, v_ok, board), (h.T, h_ok.T, board.T)):
        depth, ok = depth[span], ok[span]  # rows along the lines, columns across them
        covers.append(inside[span, ((np.arange(-reach, n + reach) + pad) * cell).astype(int)])
        covers[-1] = covers[-1].mean(axis=0)
        strengths = []
        for k in range(-reach, n + reach):
            x = int(round((k + pad) * cell))
            lo, hi = max(x - half, 0), min(x + half, side - 1)
            on = depth[:, max(x - 1, 0) : x + 2].max(axis=1)
            off = np.maximum(
                np.where(ok[:, lo], depth[:, lo], 0.0), np.where(ok[:, hi], depth[:, hi], 0.0)
            )
            seen = ok[:, x] & (ok[:, lo] | ok[:, hi])
            strengths.append(float(np.where(seen, on - off, 0.0).sum()) / len(depth))
        out.append(np.array(strengths))
    return out[0], out[1], covers[0], covers[1]


def slide_grid(
    gray: np.ndarray,
    view: NetworkView,
    corners: np.ndarray,
    n: int,
    reach: int = SLIDE_REACH,
    score: float = 0.5,
    fit: float = 0.85,
) -> np.ndarray:
    """Move the grid by whole lines where the lines and stones say it is off by some.

    A grid one line off has the right spacing, so its stones still sit on
    intersections and small moves only make it worse; here the grid's lattice is
    extended ``reach`` lines each way and, along each axis, the window of ``n``
    consecutive lines with the most line evidence wins, less one line's worth for
    every stone that the window leaves outside (stones lie on the board's lines, never
    beyond them), less two lines' worth for each line the segmentation does not see
    on the board (in proportion).  A window must beat the current one by half a
    line's evidence.  Only a grid that fits its stones is slid (at most ``1 - fit`` of
    eight or more stones near the grid off its intersections): a bent grid's lines do
    not follow its lattice.

    Returns:
        (4, 2) the (possibly moved) corners.
    """
    grid_square = _SQUARE * (n - 1)
    to_image = homography(grid_square, corners)
    values, fits = _window_values(gray, view, to_image, n, reach, score, fit)
    if not fits:
        return corners
    shifts = []
    for axis_values in values:
        best = max(axis_values, key=lambda k: axis_values[k])
        shifts.append(best if axis_values[best] > axis_values[0] + 0.5 else 0)
    if shifts == [0, 0]:
        return corners
    return apply_homography(to_image, grid_square + np.array(shifts, dtype=np.float64))


def _window_values(
    gray: np.ndarray,
    view: NetworkView,
    to_image: np.ndarray,
    n: int,
    reach: int,
    score: float = 0.5,
    fit: float = 0.85,
) -> tuple[list[dict[int, float]], bool]:
    """``slide_grid``'s value of each window of lines, ``[{shift: value}]`` for columns
    and rows, and whether the grid fits its stones well enough to be slid."""
    columns, rows, column_cover, row_cover = _line_strengths(gray, view, to_image, n, reach)
    keep = view.scores >= score
    centres = (view.boxes[keep, :2] + view.boxes[keep, 2:]) / 2 * np.array(view.scale)
    uv = apply_homography(np.linalg.inv(to_image), centres)
    node = np.rint(np.nan_to_num(uv, nan=-1e9))
    around = np.all((node >= -reach) & (node <= n - 1 + reach), axis=1)
    near = np.all(np.abs(uv - node) < 0.3, axis=1) & around
    fits = not (around.sum() >= 8 and near.sum() < fit * around.sum())
    out = []
    for axis, strengths, cover in ((0, columns, column_cover), (1, rows, row_cover)):
        unit = float(np.median(strengths[reach : reach + n]))
        if unit <= 0:  # no line seen: the stones alone decide
            strengths, unit = np.zeros_like(strengths), 1.0
        counts = np.bincount((node[near, axis] + reach).astype(np.int64), minlength=n + 2 * reach)
        values = {}
        for shift in range(-reach, reach + 1):
            window = slice(reach + shift, reach + shift + n)
            outside = counts.sum() - counts[window].sum()
            off_board = float((1 - cover[window]).sum())
            values[shift] = float(strengths[window].sum()) / unit - outside - 2 * off_board
        out.append(values)
    return out, fits


LINE_MARGIN = 0.7
"""``line_margin`` under which the whole grid is in doubt (every point flagged).  Chosen
on the validation split (``scripts/scan_errors.py``, grids read with the size given):
under 0.7 are 11 of 298 grids, 7 of them off by a line or more (8 are) and 4 right; at
0 a 13x13 grid off by a line (margin 0.65, 145 points wrong) went unflagged, at 1.5
twenty right grids were flagged whole."""


def line_margin(
    gray: np.ndarray, view: NetworkView, corners: np.ndarray, n: int, reach: int = SLIDE_REACH
) -> float:
    """How much better the grid's own lines are than the grid moved by whole lines.

    ``slide_grid``'s value of the grid's window of lines less the best moved window's,
    in lines' worth of evidence, the smaller over the two axes.  A grid off by a line
    reads its stones confidently (they still sit on its intersections), so a small or
    negative margin is the sign left of it: the board's side face looking like a line,
    or a bent grid whose lines drift off the board's.
    """
    to_image = homography(_SQUARE * (n - 1), corners)
    values, _ = _window_values(gray, view, to_image, n, reach)
    return min(v[0] - max(x for k, x in v.items() if k != 0) for v in values)


MISFIT = 0.2
"""Share of stone boxes off the grid above which the whole grid is in doubt."""


def grid_doubt(
    view: NetworkView, corners: np.ndarray, n: int, score: float = 0.5, off: float = 0.28
) -> tuple[np.ndarray, float]:
    """Flag the points where the grid and the detected stones disagree.

    A confident stone box whose centre lies more than ``off`` of a spacing from every
    intersection says the grid is misplaced there: the four points around it are
    flagged.  When more than ``MISFIT`` of the boxes on the board are off, the grid is
    in doubt everywhere and every point is flagged.

    Returns:
        ``(flags (N, N) bool, share of boxes off the grid)``.
    """
    flags = np.zeros((n, n), bool)
    keep = view.scores >= score
    if not keep.any():
        return flags, 0.0
    centres = (view.boxes[keep, :2] + view.boxes[keep, 2:]) / 2 * np.array(view.scale)
    uv = apply_homography(homography(corners, _SQUARE * (n - 1)), centres)
    on_board = np.all((uv > -0.5) & (uv < n - 0.5), axis=1)
    uv = uv[on_board]
    if len(uv) == 0:
        return flags, 0.0
    distance = np.abs(uv - np.rint(uv)).max(axis=1)
    astray = uv[distance > off]
    for u, v in astray:
        for col in {int(np.floor(u)), int(np.ceil(u))}:
            for row in {int(np.floor(v)), int(np.ceil(v))}:
                if 0 <= row < n and 0 <= col < n:
                    flags[row, col] = True
    misfit = len(astray) / len(uv)
    if misfit > MISFIT:
        flags[:] = True
    return flags, float(misfit)


# -- step 3, continued: choosing among candidate grids ---------------------------------

STONE_TO_CELL = 0.93
"""A stone box's side over the side of the grid cell around it: a stone nearly fills its
cell (Go stones are 22 mm across, the lines 22 mm apart).  Measured on the validation
split's true grids: median 0.925, 5th to 95th percentile 0.87 to 0.97, the same on each
board size."""
EVIDENCE_SCORE = 0.9
"""Box score from which a stone counts in a grid's evidence.  Unfamiliar backgrounds
(stripes, the held-out test's) draw false boxes off the board: from 0.5 to 0.9 they
fall eightfold there while the boxes on the board fall by 4%."""
EVIDENCE_STONES = 10
"""Confident stones in the board region from which the stones' evidence counts fully
(fewer count in proportion)."""
MAP_WEIGHT = 5.0
"""Weight of the grid maps' fit (``GridEvidence.maps``, 0 to 2) in a grid's evidence: a
grid one line off loses a tenth or more of it.  Chosen on the validation split and 600
more photos of the training families (``make_photos.py --seed 7``), never the held-out
test: weights 2 to 5 read those photos alike; 10 put two more 13x13 grids a line off
(58 more wrong points) for 8 fewer wrong 9x9 points; 30 was worse on both."""


@dataclass
class GridEvidence:
    """How well a candidate grid fits what the network sees.

    Attributes:
        stones: confident stone boxes (score at least ``EVIDENCE_SCORE``) whose centres
            lie in the board region.
        on: those within a quarter spacing of one of the grid's intersections.
        off: those over the grid (less than half a spacing outside it) but off its
            intersections.
        outside: those in the board region beyond the grid (stones lie on its lines).
        ratio: the median box side over the side of the grid cell at its centre (nan
            without stones); ``STONE_TO_CELL`` for the right grid.
        cover: the share of the board region within the grid's area (the grid grown by
            half a spacing).
        fill: the share of the grid's area that is board region.
        lines: the lattice score of the grid's line fit (``lattice_fits``).
        maps: the grid's fit to the network's grid maps (``gridmaps.MapFit.score``,
            0 to 2), None from a model without them.
    """

    stones: int
    on: int
    off: int
    outside: int
    ratio: float
    cover: float
    fill: float
    lines: float
    maps: float | None = None

    def score(self) -> float:
        """Return the evidence as one number, higher for a better grid.

        ``(on - off - 2 outside) / stones`` (1 when every stone sits on an
        intersection) less 4 times the stones' size mismatch ``|log(ratio /
        STONE_TO_CELL)|`` (a grid of the wrong size has cells 1.5 times too large or
        small: 1.6), both weighted by ``min(1, stones / EVIDENCE_STONES)``; plus twice
        the region agreement ``cover + fill`` and a tenth of the lattice score; plus
        ``MAP_WEIGHT`` times the fit to the grid maps where the network draws them.  The
        weights were set by hand and checked on the validation split and on 600 more
        photos of the training families (other seeds), never on the held-out test:
        there the right grid, when a candidate outline gives it, wins in all but a few
        photos.
        """
        weight = min(1.0, self.stones / EVIDENCE_STONES)
        stones = (self.on - self.off - 2 * self.outside) / max(self.stones, 1)
        mismatch = abs(float(np.log(self.ratio / STONE_TO_CELL))) if self.stones else 0.0
        total = weight * (stones - 4 * mismatch) + 2 * (self.cover + self.fill) + 0.1 * self.lines
        if self.maps is not None:
            total += MAP_WEIGHT * self.maps
        return total


def grid_evidence(
    view: NetworkView,
    region: np.ndarray,
    corners: np.ndarray,
    n: int,
    lines: float = 0.0,
    score: float = EVIDENCE_SCORE,
    near: float = 0.25,
) -> GridEvidence:
    """Measure a candidate grid against the stones and the board region.

    Args:
        view: the network's view.
        region: (S, S) bool, the board region at network resolution (``board_outlines``).
        corners: (4, 2) the grid's corners, working-image pixels.
        n: the grid's size.
        lines: its lattice score, carried into the evidence.
        score: box score from which a stone counts.
        near: distance from an intersection, in spacings, within which a stone is on it.
    """
    net_corners = corners / np.array(view.scale)
    to_image = homography(_SQUARE * (n - 1), net_corners)
    keep = view.scores >= score
    boxes = view.boxes[keep]
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    side = region.shape[0]
    cells = np.clip(centres.astype(np.int64), 0, side - 1)
    on_board = region[cells[:, 1], cells[:, 0]]
    boxes, centres = boxes[on_board], centres[on_board]
    uv = apply_homography(np.linalg.inv(to_image), centres)
    node = np.rint(np.nan_to_num(uv, nan=-1e9, posinf=-1e9, neginf=-1e9))
    over = np.all((uv > -0.5) & (uv < n - 0.5), axis=1)
    on = over & np.all(np.abs(uv - node) < near, axis=1)
    ratio = float("nan")
    if len(boxes):  # the cell around each centre: its sides' images, their cross product
        half_x, half_y = np.array([0.5, 0.0]), np.array([0.0, 0.5])
        across = apply_homography(to_image, uv + half_x) - apply_homography(to_image, uv - half_x)
        down = apply_homography(to_image, uv + half_y) - apply_homography(to_image, uv - half_y)
        cell = np.abs(across[:, 0] * down[:, 1] - across[:, 1] * down[:, 0])
        box = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        ratio = float(np.sqrt(np.median(box / np.maximum(cell, 1e-9))))
    grown = apply_homography(to_image, (_SQUARE * n - 0.5))
    step = 2
    inside = quadrilateral_mask(grown, region.shape, step)
    sampled = region[::step, ::step]
    both = float((inside & sampled).sum())
    maps = None
    if view.grid is not None:
        maps = _grid_maps(view).fit(net_corners, n).score()
    return GridEvidence(
        stones=len(boxes),
        on=int(on.sum()),
        off=int((over & ~on).sum()),
        outside=int((~over).sum()),
        ratio=ratio,
        cover=both / max(float(sampled.sum()), 1.0),
        fill=both / max(float(inside.sum()), 1.0),
        lines=lines,
        maps=maps,
    )


def _grid_maps(view: NetworkView) -> GridMaps:
    """The view's grid maps, measured where the segmentation sees board or stone (made
    once per view)."""
    if view.grid is None:
        raise ValueError("the view has no grid maps")
    if view._grid_maps is None:
        view._grid_maps = GridMaps(view.grid, view.probs[1:].sum(axis=0) > 0.5)
    return view._grid_maps


@dataclass
class GridHypothesis:
    """A candidate grid: its size, corners (working-image pixels), outline and evidence."""

    size: int
    corners: np.ndarray
    outline: np.ndarray
    evidence: GridEvidence

    @property
    def score(self) -> float:
        """The evidence's score (``GridEvidence.score``)."""
        return self.evidence.score()


def grid_distance(a: GridHypothesis, b: GridHypothesis) -> float:
    """How far apart two grids are: the largest distance of ``b``'s corners from ``a``'s,
    in ``a``'s spacings (infinite for grids of different sizes)."""
    if a.size != b.size:
        return float("inf")
    square = _SQUARE * (a.size - 1)
    uv = apply_homography(homography(a.corners, square), b.corners)
    return float(np.nan_to_num(np.abs(uv - square), nan=np.inf).max())


def grid_hypotheses(
    gray: np.ndarray,
    view: NetworkView,
    quads: list[np.ndarray],
    region: np.ndarray,
    sizes: tuple[int, ...],
    refine: int = 4,
    sized: list[tuple[np.ndarray, int]] | None = None,
) -> list[GridHypothesis]:
    """Fit a grid of every size to every candidate outline; return the best, best first.

    Each outline (network pixels) is rectified and fitted with lattices
    (``lattice_fits``) and each grid measured (``grid_evidence``); the ``refine`` best
    are refitted once on their own corners (``refine_grid``), measured again and
    returned.  ``sized``: more outlines, each fitted for its own size only (when in
    ``sizes``).

    Raises:
        NoBoardError: when no candidate shows grid lines.
    """
    found = []
    jobs = [(quad, sizes) for quad in quads]
    jobs += [(quad, (n,)) for quad, n in sized or [] if n in sizes]
    for quad, fit_sizes in jobs:
        outline = quad * np.array(view.scale)
        for n, (corners, lines) in lattice_fits(gray, view, outline, fit_sizes).items():
            try:  # a lattice squeezed to a line has no homography
                evidence = grid_evidence(view, region, corners, n, lines)
            except ValueError:
                continue
            if lines > 0:
                found.append(GridHypothesis(n, corners, outline, evidence))
    refined = []
    for h in sorted(found, key=lambda h: -h.score)[:refine]:
        try:
            corners = refine_grid(gray, view, h.corners, h.size)
            evidence = grid_evidence(view, region, corners, h.size, h.evidence.lines)
        except ValueError:
            corners, evidence = h.corners, h.evidence
        refined.append(GridHypothesis(h.size, corners, h.outline, evidence))
    if not refined:
        raise NoBoardError("no grid lines found on the board")
    return sorted(refined, key=lambda h: -h.score)


RIVAL_MARGIN = 0.25
"""Evidence score (``GridEvidence.score``) within which a differing candidate grid is a
rival of the chosen one (``rival_doubt``).  Chosen on the validation split and 600 more
photos of the training families: about one photo in fifty has a rival this close, most
of them read right (their flags cost a third of a percent of the points)."""


def rival_doubt(
    view: NetworkView,
    stones: np.ndarray,
    rivals: list[GridHypothesis],
    floor: float,
    detection_threshold: float = 0.05,
) -> np.ndarray:
    """Flag the points that a close rival grid would read otherwise.

    A rival of another size puts the whole reading in doubt (every point flagged); one
    of the same size (the grid moved or bent) flags the points where its reading differs
    from ``stones`` (N, N).  Rivals scoring under ``floor`` are ignored.

    Returns:
        (N, N) bool flags.
    """
    n = stones.shape[0]
    flags = np.zeros((n, n), bool)
    for rival in rivals:
        if rival.score < floor:
            break
        if rival.size != n:
            flags[:] = True
            break
        other, _, _ = read_points(view, order_corners(rival.corners), n, detection_threshold)
        flags |= other != stones
    return flags


def board_margins(
    corners: np.ndarray, outline: np.ndarray, n: int
) -> tuple[float, float, float, float]:
    """Return how far the board outline reaches beyond the grid on each side, in spacings.

    The outline's corners are taken to the grid's coordinates (intersection ``(i, j)`` at
    ``(i, j)``); the left margin is minus the mean column coordinate of its two leftmost
    corners, the right one the mean of its two rightmost less ``n - 1``, the same for
    the top and the bottom.  A Go board's grid sits in the middle of its face (the
    renderer's margins are 0.45 to 1 spacing, equal on opposite sides), so a grid moved
    by a line has margins lopsided by two spacings.

    Returns:
        ``(left, right, top, bottom)``.
    """
    uv = apply_homography(homography(corners, _SQUARE * (n - 1)), outline)
    u, v = np.sort(uv[:, 0]), np.sort(uv[:, 1])
    return (
        float(-u[:2].mean()),
        float(u[2:].mean() - (n - 1)),
        float(-v[:2].mean()),
        float(v[2:].mean() - (n - 1)),
    )


MARGIN_ASYMMETRY = 1.0
"""Difference of opposite ``board_margins`` (spacings) above which the grid is in doubt.
On the validation split and 600 more photos of the training families, right grids
differ by at most 0.9 (the board's near side face, painted as board, widens the bottom
margin by up to half a spacing) but for one (1.07), grids off by a line by 1.04 to 2.6."""
MARGIN_FLOOR = -0.35
"""Margin (spacings) under which the grid is in doubt: a line of the grid beyond the
board's edge."""


def margin_doubt(margins: tuple[float, float, float, float]) -> bool:
    """Whether lopsided or negative board margins put the whole grid in doubt."""
    left, right, top, bottom = margins
    lopsided = max(abs(left - right), abs(top - bottom)) > MARGIN_ASYMMETRY
    return bool(lopsided or min(margins) < MARGIN_FLOOR)


TURNED_OFFSET = 0.75
"""Lines by which the grid read from the photo turned by half a turn may lie from the
grid read from the photo before every point is flagged (``turn_doubt``)."""


def reading_offset(other: ScanResult | None, result: ScanResult) -> float:
    """The largest distance of an intersection of ``other``'s grid from ``result``'s, in
    ``result``'s spacings (``grid_offsets``); infinite when ``other`` is None (no board)
    or of another size."""
    if other is None or other.size != result.size:
        return float("inf")
    return float(grid_offsets(other.corners, result.corners, result.size).max())


def two_view_confidence(result: ScanResult, other: ScanResult) -> tuple[np.ndarray, np.ndarray]:
    """Each point's confidence from two readings of one grid: ``(confidence, differ)``.

    The confidence in ``result``'s call is the mean of the two readings' probabilities
    of it: ``other``'s confidence where it makes the same call, one less its confidence
    where it calls the point otherwise (``differ``, (N, N) bool).  Read upside down, the
    network sees each stone anew, and a stone only one view is sure of falls under the
    flag threshold (on the tuning photos, ``scripts/scan_turn_check.py``).
    """
    differ = other.stones != result.stones
    theirs = np.where(differ, 1 - other.confidence, other.confidence)
    return 0.5 * (result.confidence + theirs), differ


def vote_doubt(
    result: ScanResult, other: ScanResult, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """The two readings' vote: ``(confidence, doubt)``, each point's joint confidence
    (``two_view_confidence``) and the points it puts in doubt, those the two call
    otherwise or whose joint confidence is under ``threshold``."""
    confidence, differ = two_view_confidence(result, other)
    return confidence, differ | (confidence < threshold)


def turn_doubt(offset: float) -> bool:
    """Whether the reading of the turned photo (``Scanner.turned_reading``) puts the
    whole grid in doubt: its grid off by ``TURNED_OFFSET`` lines or more, no board or
    another size (nan, not checked, is no doubt)."""
    return bool(offset >= TURNED_OFFSET)


ORIENTATION_TIE = 0.25
"""Spacings by which the two grid corners nearest the photo's top left must differ in
``x + y`` for the position's orientation to be clear (``orientation_doubt``)."""


def orientation_doubt(corners: np.ndarray, n: int) -> bool:
    """Whether a board turned by about 45 degrees leaves its orientation in doubt.

    The reading's top-left corner is the grid corner nearest the photo's top left
    (``order_corners``, smallest ``x + y``); when two corners tie for it, the position
    may come out turned by a quarter.
    """
    reach = np.sort(corners.sum(axis=1))
    spacing = float(np.linalg.norm(corners[1] - corners[0])) / (n - 1)
    return bool(reach[1] - reach[0] < ORIENTATION_TIE * spacing)


# -- step 4: the points ---------------------------------------------------------------


@dataclass
class PointEvidence:
    """What the network says at each intersection, flattened row by row (P = N*N).

    Attributes:
        seg: (P, 3) the segmentation's (empty, black, white) distribution, averaged over a
            small disc around the point (occluder pixels count as empty).
        det: (P, 3) the detector's: the best box score of each colour among the boxes
            whose centre is nearest this point, the rest empty.
        boxed: (P,) bool, a box of either colour covers the point.
        hidden: (P,) bool, the segmentation sees the point covered by an occluder.
    """

    seg: np.ndarray
    det: np.ndarray
    boxed: np.ndarray
    hidden: np.ndarray


def point_evidence(
    view: NetworkView, corners: np.ndarray, n: int, detection_threshold: float = 0.05
) -> PointEvidence:
    """Sample the segmentation and match the boxes at every intersection of the grid.

    A box counts for the point nearest its centre when it is stone-sized there: its
    larger side at least ``STONE_BOX_FLOOR`` of the grid's spacing at that point (the
    detector's small boxes on star points and glints are not stones)."""
    scale = np.array(view.scale)
    net_corners = corners / scale
    points = grid_points(net_corners, n).reshape(-1, 2)  # network pixels
    grid = points.reshape(n, n, 2)
    step_x = np.linalg.norm(np.diff(grid, axis=1), axis=-1)
    step_y = np.linalg.norm(np.diff(grid, axis=0), axis=-1)
    spacing = np.minimum(
        np.pad(step_x, ((0, 0), (0, 1)), mode="edge"), np.pad(step_y, ((0, 1), (0, 0)), mode="edge")
    ).reshape(-1)
    # segmentation: mean probabilities over a small disc around each point
    angles = np.linspace(0, 2 * np.pi, 6, endpoint=False)
    ring = np.stack((np.cos(angles), np.sin(angles)), 1)
    offsets = np.vstack(([[0.0, 0.0]], 0.18 * ring, 0.3 * np.roll(ring, 1, axis=0) * [1, 1]))
    samples = points[:, None, :] + offsets[None] * spacing[:, None, None]
    probs = sample_bilinear(view.probs, samples.reshape(-1, 2)).reshape(
        len(points), len(offsets), 4
    )
    probs = probs.mean(axis=1)
    hidden = probs[:, 0] > 0.5
    seg = np.stack((probs[:, 0] + probs[:, 1], probs[:, 2], probs[:, 3]), axis=1)
    seg /= seg.sum(axis=1, keepdims=True)
    # detector: the best box of each colour whose centre is nearest this point
    det_black = np.zeros(len(points))
    det_white = np.zeros(len(points))
    if len(view.boxes):
        to_grid = homography(net_corners, _SQUARE * (n - 1))
        centres = (view.boxes[:, :2] + view.boxes[:, 2:]) / 2
        uv = apply_homography(to_grid, centres)
        nearest = np.rint(uv)
        inside = np.all((nearest >= 0) & (nearest <= n - 1), axis=1)
        close = np.all(np.abs(uv - nearest) < 0.45, axis=1) & inside
        flat = np.where(inside, nearest[:, 1] * n + nearest[:, 0], 0).astype(np.int64)
        side = np.max(view.boxes[:, 2:] - view.boxes[:, :2], axis=1)
        stone_sized = side >= STONE_BOX_FLOOR * spacing[flat]
        keep = close & stone_sized & (view.scores >= detection_threshold)
        index = flat[keep]
        for target, colour in ((det_black, 1), (det_white, 2)):
            mine = view.labels[keep] == colour
            np.maximum.at(target, index[mine], view.scores[keep][mine])
    det = np.stack((np.clip(1 - det_black - det_white, 0, 1), det_black, det_white), axis=1)
    det /= np.maximum(det.sum(axis=1, keepdims=True), 1e-9)
    boxed = (det_black > 0) | (det_white > 0)
    return PointEvidence(seg=seg, det=det, boxed=boxed, hidden=hidden)


STONE_BOX_FLOOR = 0.5
"""The smallest stone box, its larger side over the grid spacing at its point.  A stone's
box side is 0.87 to 0.97 of the cell (``STONE_TO_CELL``) and a half-hidden stone keeps
one full side; the detector's false boxes on star points are about a third of a cell
(8-9 px against 25-28 px stones on a 27 px grid: ``test_a_star_point_box_is_not_a_stone``),
and fed half the stone evidence that made them stones."""

MASK_STONE = 0.4
"""Stone share of the segmentation at a point (black + white, disc mean) from which the
point is a stone whatever the detector says.  Chosen on the validation split
(``scripts/scan_errors.py``, true and found grids): at 0.4 and above nearly every point
is a stone even with no box (on the true grids, among the points whose box score is
under 0.9, 13 empty points against 915 stones); 0.3 adds phantoms on 9x9, 0.5 and up leave stones
that the detector scores weakly (0.05..0.6) read as empty on 19x19."""
STONE_EVIDENCE = 0.5
"""Mean of the segmentation's and the detector's stone probabilities from which the
point is a stone (the two sources count alike); 0.4..0.45 added phantoms on 9x9 on the
validation split."""
DISAGREEMENT = 0.2
"""Confidence lost per unit of difference between the segmentation's and the
detector's stone probabilities: a stone only one of them sees (difference above 0.5)
falls under the flag threshold (0.9 by default, the shipped model's 0.95)."""


def _ramp(x: np.ndarray, at: float) -> np.ndarray:
    """Map [0, at] onto [0, 0.5] and [at, 1] onto [0.5, 1], linearly."""
    return np.where(x >= at, 0.5 + 0.5 * (x - at) / (1 - at), 0.5 * x / at)


def call_points(evidence: PointEvidence) -> tuple[np.ndarray, np.ndarray]:
    """Call each point from its evidence: ``(stones (P,) int8, confidence (P,))``.

    A point is a stone when the segmentation alone is sure enough (stone share at least
    ``MASK_STONE``: the detector can miss a stone, at the board's edge above all, but
    the segmentation seldom paints one that is not there) or when the two sources
    together are (mean stone probability at least ``STONE_EVIDENCE``); its colour is the
    one with more of their summed evidence.  Each rule's stone probability is stretched
    so that its threshold sits at 0.5; their maximum ``q`` gives the confidence, ``q``
    times the colour's share for a stone and ``1 - q`` for an empty point, less
    ``DISAGREEMENT`` times the gap between the two sources' stone probabilities.
    """
    seg, det = evidence.seg, evidence.det
    seg_stone = seg[:, 1] + seg[:, 2]
    det_stone = det[:, 1] + det[:, 2]
    q = np.maximum(
        _ramp(seg_stone, MASK_STONE), _ramp(0.5 * seg_stone + 0.5 * det_stone, STONE_EVIDENCE)
    )
    stone = q >= 0.5
    colour = seg[:, 1:] + det[:, 1:]
    share = colour.max(axis=1) / np.maximum(colour.sum(axis=1), 1e-9)
    stones = np.where(stone, 1 + colour.argmax(axis=1), 0).astype(np.int8)
    confidence = np.where(stone, q * share, 1 - q)
    confidence = np.minimum(confidence, 1 - DISAGREEMENT * np.abs(seg_stone - det_stone))
    return stones, confidence


def read_points(
    view: NetworkView, corners: np.ndarray, n: int, detection_threshold: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Call every intersection: stones (N, N) int8, confidence (N, N), hidden (N, N) bool."""
    evidence = point_evidence(view, corners, n, detection_threshold)
    stones, confidence = call_points(evidence)
    return stones.reshape(n, n), confidence.reshape(n, n), evidence.hidden.reshape(n, n)


__all__ = [
    "DISAGREEMENT",
    "MASK_STONE",
    "LINE_MARGIN",
    "MARGIN_ASYMMETRY",
    "MARGIN_FLOOR",
    "MIN_BOARD_AREA",
    "RIVAL_MARGIN",
    "SIZES",
    "STONE_BOX_FLOOR",
    "STONE_EVIDENCE",
    "STONE_TO_CELL",
    "WORKING_SIDE",
    "GridEvidence",
    "GridHypothesis",
    "NetworkView",
    "NoBoardError",
    "PointEvidence",
    "ScanResult",
    "Scanner",
    "board_margins",
    "board_outline",
    "board_outlines",
    "board_regions",
    "fit_grid",
    "fit_grid_to_stones",
    "grid_distance",
    "grid_doubt",
    "grid_evidence",
    "grid_hypotheses",
    "lattice_fits",
    "margin_doubt",
    "optimise_grid",
    "orientation_doubt",
    "rival_doubt",
    "board_region",
    "components",
    "largest_component",
    "line_margin",
    "point_evidence",
    "call_points",
    "read_points",
    "refine_grid",
    "slide_grid",
    "two_view_confidence",
    "vote_doubt",
    "working_image",
]
