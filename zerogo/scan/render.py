"""Photo-like pictures of Go boards, with their labels: the scan's training and test data.

Nothing is downloaded: every picture is drawn here, with numpy and Pillow, from a
position (``zerogo.scan.positions``).  A picture is made in three spaces:

1. **the board plane**, a flat, rectified drawing of the board's top face at about
   twice the photo's resolution: procedural wood (base colour, warped grain, fibres,
   blotches), grid lines of a random width (the outer ones sometimes thicker), star
   points, soft stone shadows, then the stones (shaded domes with a highlight, flat
   discs with an outline, or shell-striped white stones), each slightly off its point;
2. **the camera**: the board, a box of some thickness, is turned in its plane (yaw up to
   30 degrees), tilted away (up to 50 degrees) and seen through a pinhole from a random
   distance, then rolled a little; the top face's homography (``nn.vision.geometry``)
   warps the board plane into the photo (supersampled twice, then box-filtered);
3. **the photo**: a procedural background (table wood, cloth, tiles, gradients, plank
   floors, mats, plaid, ruled paper, ...)
   with clutter, the board's side faces, the board, then occluders (a hand with arm and
   fingers, a bowl of stones, its lid), lighting (a gradient, vignetting, colour cast,
   a glare spot), blur, sensor noise and JPEG compression.

Labels (``Photo``): the position as the photo shows it (the grid corner nearest the
photo's top left is the position's top left, ``nn.vision.geometry.order_corners``, as
the scan reads it; a board turned by more than 45 degrees is labelled turned), the
occluded points, the 4 grid corners and the 4 corners of the board's top face in photo
pixels, a per-pixel class map
(``CLASSES``: background, board — the top face, black stone, white stone; the side
faces, occluders and stones in bowls are background) and a box per unoccluded stone
by colour.  Points are picture points: row 0 at the top.

*Style families* (``FAMILIES``) fix the board's wood, the stone looks and the
backgrounds; the held-out families share none of their wood kinds or backgrounds with
the training ones, so a test on them measures generalisation beyond seeds.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from nn.vision.geometry import apply_homography, convex_hull, homography, order_corners

CLASSES = ("background", "board", "black", "white")
"""Per-pixel classes of the label map, by index."""
BACKGROUND, BOARD, BLACK_STONE, WHITE_STONE = range(4)
BOX_CLASSES = ("background", "black", "white")
"""Detection classes (index 0 is the detector's background): stone colours as in positions."""

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class StyleFamily:
    """The looks a photo's board, stones and background are drawn from.

    Attributes:
        name: the family's name.
        wood: (darkest, lightest) base colour of the board.
        grain: range of the grain's strength (0: plain).
        wood_kind: ``"rings"`` (flat-sawn, warped bands), ``"straight"`` (quarter-sawn,
            fine parallel grain), ``"plain"`` (printed or vinyl), ``"strips"`` (glued
            bamboo strips).
        line: (darkest, lightest) line colour.
        line_width: range of the line width, as a fraction of the spacing.
        stones: stone looks, each ``"shaded"``, ``"glossy"``, ``"flat"`` or ``"shell"``.
        backgrounds: background kinds (``_BACKGROUNDS``, ``LINE_BACKGROUNDS``).
        held_out: a test family (never used for training).
    """

    name: str
    wood: tuple[RGB, RGB]
    grain: tuple[float, float]
    wood_kind: str
    line: tuple[RGB, RGB]
    line_width: tuple[float, float]
    stones: tuple[str, ...]
    backgrounds: tuple[str, ...]
    held_out: bool = False


FAMILIES: dict[str, StyleFamily] = {
    family.name: family
    for family in (
        StyleFamily(
            "kaya",
            ((196, 150, 82), (236, 196, 122)),
            (0.15, 0.35),
            "rings",
            ((10, 8, 6), (60, 45, 30)),
            (0.03, 0.06),
            ("shaded", "glossy"),
            ("table", "cloth"),
        ),
        StyleFamily(
            "shin-kaya",
            ((186, 120, 52), (224, 160, 90)),
            (0.25, 0.5),
            "rings",
            ((20, 12, 8), (70, 45, 25)),
            (0.035, 0.07),
            ("shaded", "flat"),
            ("tiles", "gradient"),
        ),
        StyleFamily(
            "katsura",
            ((210, 180, 128), (242, 218, 172)),
            (0.1, 0.25),
            "straight",
            ((25, 20, 15), (80, 70, 55)),
            (0.025, 0.05),
            ("flat", "shaded", "glossy"),
            ("cloth", "paper"),
        ),
        StyleFamily(
            "vinyl",
            ((214, 176, 100), (240, 212, 140)),
            (0.0, 0.06),
            "plain",
            ((0, 0, 0), (50, 40, 30)),
            (0.02, 0.045),
            ("flat", "shaded"),
            ("table", "gradient", "tiles"),
        ),
        StyleFamily(
            "walnut",
            ((138, 86, 50), (184, 128, 80)),
            (0.25, 0.45),
            "rings",
            ((5, 3, 2), (40, 25, 15)),
            (0.035, 0.065),
            ("shell", "glossy"),
            ("marble", "stripes"),
            held_out=True,
        ),
        StyleFamily(
            "bamboo",
            ((204, 170, 100), (236, 206, 142)),
            (0.15, 0.3),
            "strips",
            ((15, 10, 5), (60, 45, 30)),
            (0.03, 0.06),
            ("shaded", "shell"),
            ("carpet", "dark"),
            held_out=True,
        ),
    )
}
"""Every style family by name."""

RANDOM_FAMILY = "random"
"""A training family drawn afresh for every photo (``random_family``): domain
randomisation over the training families' kinds, never a held-out one's."""

TRAIN_FAMILIES = (*(name for name, f in FAMILIES.items() if not f.held_out), RANDOM_FAMILY)
HELD_OUT_FAMILIES = tuple(name for name, f in FAMILIES.items() if f.held_out)


def _looks(held_out: bool) -> set[str]:
    return {
        kind
        for f in FAMILIES.values()
        if f.held_out == held_out
        for kind in (f.wood_kind, *f.stones, *f.backgrounds)
    }


_HELD_OUT_LOOKS = _looks(True) - _looks(False)
"""Wood kinds, stone looks and backgrounds that only the test families have."""


def random_family(rng: np.random.Generator) -> StyleFamily:
    """Draw a style family from broad ranges (domain randomisation): any warm wood from
    pale to dark, any grain strength, a wood kind, stone looks, backgrounds
    (``TRAINING_BACKGROUNDS``: the training families', plain coloured noise, and the line
    backgrounds of floors, mats, tablecloths and paper), lines from black to mid brown.
    The held-out families' wood kinds, stone looks and backgrounds are never drawn, so
    the test families stay unseen."""
    light = rng.uniform(0.5, 1.0)
    warm = np.array([1.0, rng.uniform(0.6, 0.88), rng.uniform(0.3, 0.66)])
    top = np.clip(250 * light * warm, 0, 255)
    low = top * rng.uniform(0.8, 0.92)
    line = rng.uniform(0, 70)
    width = rng.uniform(0.02, 0.05)
    stones = tuple(
        str(s) for s in rng.choice(["shaded", "glossy", "flat"], int(rng.integers(1, 4)), False)
    )
    kinds = list(TRAINING_BACKGROUNDS)
    backgrounds = tuple(str(b) for b in rng.choice(kinds, int(rng.integers(1, 4)), False))
    family = StyleFamily(
        RANDOM_FAMILY,
        (_rgb(low), _rgb(top)),
        (0.0, float(rng.uniform(0.05, 0.5))),
        str(rng.choice(["rings", "straight", "plain"])),
        (_rgb(np.full(3, line) * (1, 0.8, 0.6)), _rgb(np.full(3, line + 20) * (1, 0.8, 0.6))),
        (width, width * rng.uniform(1.2, 1.8)),
        stones,
        backgrounds,
    )
    assert not _HELD_OUT_LOOKS & {family.wood_kind, *family.stones, *family.backgrounds}
    return family


def _rgb(values: np.ndarray) -> RGB:
    r, g, b = (int(round(float(v))) for v in np.clip(values, 0, 255))
    return (r, g, b)


@dataclass(frozen=True)
class RenderConfig:
    """What varies in a photo, and by how much.

    Attributes:
        width: photo width in pixels.
        height: photo height in pixels.
        fill: range of the board's extent, as a fraction of the photo's shorter side;
            larger boards start higher (19x19 at 40% of the way up), as a photographer
            of a big board comes closer.
        max_yaw: largest turn of the board in its plane, degrees.
        max_tilt: largest tilt away from the camera, degrees (0: seen from above).
        max_roll: largest roll of the camera, degrees.
        occlusion: probability of each occluder kind (hand, bowl) in a photo.
        max_blur: largest Gaussian blur radius, pixels.
        max_noise: largest sensor noise standard deviation (of 255).
        jpeg_quality: range of the JPEG quality (None: no compression).
    """

    width: int = 320
    height: int = 320
    fill: tuple[float, float] = (0.55, 0.96)
    max_yaw: float = 30.0
    max_tilt: float = 50.0
    max_roll: float = 8.0
    occlusion: float = 0.25
    max_blur: float = 1.1
    max_noise: float = 7.0
    jpeg_quality: tuple[int, int] | None = (30, 95)

    def __post_init__(self) -> None:
        if self.width < 64 or self.height < 64:
            raise ValueError(f"photos must be at least 64x64, not {self.width}x{self.height}")
        if not 0.1 <= self.fill[0] <= self.fill[1] <= 1.0:
            raise ValueError(f"fill must be a range within [0.1, 1], not {self.fill}")
        if not 0.0 <= self.occlusion <= 1.0:
            raise ValueError(f"occlusion is a probability, not {self.occlusion}")


@dataclass
class Photo:
    """A rendered photo and its labels.

    Attributes:
        image: (H, W, 3) uint8 RGB.
        stones: (N, N) int8 position, row 0 at the top (0 empty, 1 black, 2 white).
        occluded: (N, N) bool, points hidden by an occluder.
        corners: (4, 2) the grid's corners in photo pixels (top-left, top-right,
            bottom-right, bottom-left).
        board_corners: (4, 2) the corners of the board's top face, same order.
        mask: (H, W) uint8 classes (``CLASSES``).
        boxes: (K, 4) float32 xyxy boxes of the unoccluded stones.
        box_labels: (K,) int64, 1 black, 2 white.
        box_points: (K, 2) int64, the (row, col) of each box's stone.
        family: the style family's name.
    """

    image: np.ndarray
    stones: np.ndarray
    occluded: np.ndarray
    corners: np.ndarray
    board_corners: np.ndarray
    mask: np.ndarray
    boxes: np.ndarray
    box_labels: np.ndarray
    box_points: np.ndarray
    family: str

    @property
    def size(self) -> int:
        """N, the board's lines per side."""
        return int(self.stones.shape[0])


# -- noise and textures -------------------------------------------------------------


def _noise(rng: np.random.Generator, shape: tuple[int, int], cells: tuple[int, int]) -> np.ndarray:
    """Smooth value noise in about [-1, 1]: a random (cells) grid, bicubic to ``shape``."""
    grid = rng.uniform(-1, 1, size=(cells[0] + 1, cells[1] + 1)).astype(np.float32)
    image = Image.fromarray(grid, mode="F").resize((shape[1], shape[0]), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.float32)


def _colour(rng: np.random.Generator, low: RGB, high: RGB) -> np.ndarray:
    t = rng.uniform()
    jitter = rng.uniform(-0.08, 0.08, 3) * (np.array(high) - np.array(low))
    return np.array(low, np.float32) * (1 - t) + np.array(high, np.float32) * t + jitter


def _wood(
    rng: np.random.Generator,
    shape: tuple[int, int],
    base: np.ndarray,
    strength: float,
    kind: str,
) -> np.ndarray:
    """Return a wood texture, float32 (H, W, 3) in 0..255."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(-0.15, 0.15) + (math.pi / 2 if rng.uniform() < 0.5 else 0.0)
    across = -xs * math.sin(angle) + ys * math.cos(angle)
    tone = np.ones(shape, np.float32)
    if kind == "rings":
        period = rng.uniform(0.05, 0.14) * max(h, w)
        warp = _noise(rng, shape, (3, 3)) * period * rng.uniform(0.6, 1.6)
        bands = np.sin(2 * math.pi * (across + warp) / period)
        tone += strength * (0.35 * np.sign(bands) * np.abs(bands) ** 0.4)
    elif kind == "straight":
        period = rng.uniform(0.008, 0.02) * max(h, w)
        warp = _noise(rng, shape, (2, 2)) * period * 2
        tone += strength * 0.25 * np.sin(2 * math.pi * (across + warp) / period)
    elif kind == "strips":
        width = rng.uniform(0.04, 0.09) * max(h, w)
        strip = np.floor(across / width).astype(np.int64)
        shades = rng.uniform(-1, 1, size=strip.max() - strip.min() + 2).astype(np.float32)
        tone += strength * 0.35 * shades[strip - strip.min()]
        tone -= strength * 0.6 * (np.abs((across / width) % 1.0 - 0.5) > 0.48)
    fibres = (
        _noise(rng, shape, (max(2, h // 4), 3))
        if abs(math.sin(angle)) < 0.5
        else _noise(rng, shape, (3, max(2, w // 4)))
    )
    tone += (0.25 * strength + 0.02) * fibres
    tone += 0.06 * _noise(rng, shape, (4, 4))
    return np.clip(base[None, None, :] * tone[..., None], 0, 255)


def _background(rng: np.random.Generator, kind: str, shape: tuple[int, int]) -> np.ndarray:
    """Return a background, float32 (H, W, 3) in 0..255, with some clutter."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    hue = rng.uniform(0, 255, 3).astype(np.float32)
    if kind == "table":
        base = _colour(rng, (70, 40, 20), (170, 120, 80))
        out = _wood(rng, shape, base, rng.uniform(0.2, 0.5), "rings")
    elif kind == "cloth":
        base = 0.5 * hue + rng.uniform(20, 120)
        weave = np.sin(xs * rng.uniform(1.0, 2.5)) * np.sin(ys * rng.uniform(1.0, 2.5))
        out = base * (1 + 0.06 * weave[..., None] + 0.1 * _noise(rng, shape, (6, 6))[..., None])
    elif kind == "tiles":
        tile = rng.uniform(0.1, 0.3) * max(h, w)
        grout = (np.abs((xs + rng.uniform(0, tile)) % tile) < 2.5) | (
            np.abs((ys + rng.uniform(0, tile)) % tile) < 2.5
        )
        base = _colour(rng, (120, 120, 120), (240, 235, 225))
        out = base * (1 + 0.05 * _noise(rng, shape, (8, 8))[..., None])
        out[grout] *= rng.uniform(0.4, 0.8)
    elif kind == "gradient":
        a, b = hue, rng.uniform(0, 255, 3).astype(np.float32)
        t = np.clip((xs * rng.uniform(-1, 1) + ys * rng.uniform(-1, 1)) / max(h, w) + 0.5, 0, 1)
        out = a * (1 - t[..., None]) + b * t[..., None]
    elif kind == "paper":
        out = _colour(rng, (200, 195, 180), (250, 248, 240)) * (
            1 + 0.04 * _noise(rng, shape, (20, 20))[..., None]
        )
    elif kind == "marble":
        veins = np.abs(np.sin((xs + ys) / rng.uniform(15, 40) + 4 * _noise(rng, shape, (4, 4))))
        base = _colour(rng, (170, 170, 170), (245, 240, 235))
        out = base * (0.75 + 0.25 * veins[..., None] ** 0.3)
    elif kind == "stripes":
        period = rng.uniform(8, 30)
        stripe = (np.sin((xs * rng.uniform(-1, 1) + ys) * 2 * math.pi / period) > 0)[..., None]
        out = np.where(stripe, hue, rng.uniform(0, 255, 3).astype(np.float32)) * np.ones((h, w, 1))
    elif kind == "carpet":
        fine = rng.normal(0, 1, size=(h, w, 3)).astype(np.float32)
        out = (0.6 * hue + 40) * (1 + 0.15 * fine + 0.1 * _noise(rng, shape, (5, 5))[..., None])
    elif kind == "noise":  # coloured noise at two scales (training only: ``random_family``)
        a, b = hue, rng.uniform(0, 255, 3).astype(np.float32)
        t = 0.5 + 0.35 * _noise(rng, shape, (3, 3)) + 0.15 * _noise(rng, shape, (12, 12))
        grain = rng.uniform(0, 0.15) * rng.normal(0, 1, size=(h, w, 1)).astype(np.float32)
        out = (a * (1 - t[..., None]) + b * t[..., None]) * (1 + grain)
    elif kind == "dark":
        out = (
            rng.uniform(10, 50)
            * (1 + 0.2 * _noise(rng, shape, (6, 6))[..., None])
            * np.ones((1, 1, 3), np.float32)
        )
    elif kind in LINE_BACKGROUNDS:  # training only (``random_family``, empty photos)
        out = _line_background(rng, kind, shape, hue)
    else:
        raise ValueError(f"unknown background kind {kind!r}")
    out = np.clip(out.astype(np.float32), 0, 255)
    # clutter: a few random shapes
    layer = Image.fromarray(out.astype(np.uint8))
    draw = ImageDraw.Draw(layer)
    for _ in range(int(rng.integers(0, 5))):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        rx, ry = rng.uniform(5, 0.25 * w), rng.uniform(5, 0.25 * h)
        colour = tuple(int(c) for c in rng.uniform(0, 255, 3))
        if rng.uniform() < 0.5:
            draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=colour)
        else:
            draw.rectangle((x - rx, y - ry, x + rx, y + ry), fill=colour)
    return np.asarray(layer, dtype=np.float32)


_BACKGROUNDS = (
    "table",
    "cloth",
    "tiles",
    "gradient",
    "paper",
    "marble",
    "stripes",
    "carpet",
    "dark",
)
"""The fixed families' background kinds, training and held-out (``empty_photo``'s default)."""

LINE_BACKGROUNDS = ("planks", "tatami", "plaid", "ruled", "squared")
"""Backgrounds with line structure that real floors and tables have (training only: drawn by
``random_family`` and for training's empty photos, never by a fixed family): a plank floor
with dark seams, a tatami mat with its cloth borders, a plaid tablecloth, ruled and squared
paper.  Each is drawn on a plane seen at an angle (``_surface``), so its lines converge and
thin out as a real surface's do; none is the held-out ``stripes`` (hard two-colour bands)."""

TRAINING_BACKGROUNDS = (
    *dict.fromkeys(kind for f in FAMILIES.values() if not f.held_out for kind in f.backgrounds),
    "noise",
    *LINE_BACKGROUNDS,
)
"""Every background kind training may show: the fixed training families', coloured noise
and the line backgrounds; never a held-out family's."""
assert not _HELD_OUT_LOOKS & set(TRAINING_BACKGROUNDS)


def _surface(
    rng: np.random.Generator, shape: tuple[int, int], lean: float = 0.6
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plane coordinates of every pixel of a flat surface turned and seen at an angle.

    Returns (u, v, scale), each (H, W) float32: ``u``, ``v`` in about pixels at the
    photo's centre (a random turn, a mild perspective up to ``lean``), and ``scale``, the
    pixels per plane unit there (lines thin out where it is small).
    """
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    x, y = xs - w / 2, ys - h / 2
    g, k = rng.uniform(-lean, lean, 2) / max(h, w)
    depth = 1 + g * x + k * y  # within 1 +- lean
    angle = rng.uniform(0, math.pi)
    c, s = math.cos(angle), math.sin(angle)
    u = (c * x + s * y) / depth
    v = (-s * x + c * y) / depth
    return u.astype(np.float32), v.astype(np.float32), depth.astype(np.float32)


def _lines(
    coord: np.ndarray, period: float, half: float, scale: np.ndarray, offset: float = 0.0
) -> np.ndarray:
    """Anti-aliased coverage of lines at ``offset`` + multiples of ``period`` along
    ``coord`` (plane units), ``half`` their half width (plane units), in [0, 1]."""
    distance = np.abs((coord - offset + period / 2) % period - period / 2)
    return np.clip((half - distance) * scale + 0.5, 0, 1)


def _line_background(
    rng: np.random.Generator, kind: str, shape: tuple[int, int], hue: np.ndarray
) -> np.ndarray:
    """Return a ``LINE_BACKGROUNDS`` surface, float32 (H, W, 3), before clutter."""
    h, w = shape
    u, v, scale = _surface(rng, shape)
    if kind == "planks":  # a plank floor or table: boards of their own shade, dark seams
        width = rng.uniform(14, 55)
        length = width * rng.uniform(4, 12)
        row = np.floor(v / width).astype(np.int64)
        row -= row.min()
        offsets = rng.uniform(0, length, row.max() + 1).astype(np.float32)
        along = u + offsets[row]
        col = np.floor(along / length).astype(np.int64)
        col -= col.min()
        shades = rng.uniform(-1, 1, (row.max() + 1, col.max() + 1)).astype(np.float32)
        grain = np.sin(2 * math.pi * (v + 3 * _noise(rng, shape, (3, 3))) / rng.uniform(2.5, 7))
        tone = (
            1
            + rng.uniform(0.08, 0.25) * shades[row, col]
            + rng.uniform(0.02, 0.08) * grain
            + 0.05 * _noise(rng, shape, (5, 5))
        )
        half = rng.uniform(0.4, 2.0)
        seams = np.maximum(_lines(v, width, half, scale), _lines(along, length, half, scale))
        tone *= 1 - rng.uniform(0.25, 0.85) * seams
        base = _colour(rng, (80, 45, 20), (215, 175, 125))
        out = base * tone[..., None]
    elif kind == "tatami":  # fine woven ridges, binding threads, cloth borders
        base = _colour(rng, (140, 140, 80), (215, 205, 150))
        ridges = np.sin(2 * math.pi * v / rng.uniform(2.5, 6))
        threads = _lines(u, rng.uniform(10, 30), 0.5, scale)
        tone = 1 + 0.1 * ridges - 0.12 * threads + 0.06 * _noise(rng, shape, (6, 6))
        out = base * tone[..., None]
        border = _lines(v, rng.uniform(90, 260), rng.uniform(3, 9), scale, rng.uniform(0, 50))
        cloth = _colour(rng, (10, 10, 20), (90, 60, 50)) * (0.6 + 0.4 * hue / 255)
        out = out * (1 - border[..., None]) + cloth * border[..., None]
    elif kind == "plaid":  # a tablecloth: crossed translucent bands, thin accent lines
        base = _colour(rng, (150, 150, 150), (250, 250, 245)) * (0.6 + 0.4 * hue / 255)
        out = base * (1 + 0.05 * (np.sin(u * 2.2) * np.sin(v * 2.2)))[..., None]
        period = rng.uniform(16, 70)
        for coord in (u, v):
            band = _lines(coord, period, period * rng.uniform(0.12, 0.25), scale)
            colour = rng.uniform(0, 255, 3).astype(np.float32)
            alpha = rng.uniform(0.3, 0.7) * band[..., None]
            out = out * (1 - alpha) + out * (colour / 255) * alpha
            if rng.uniform() < 0.6:
                accent = _lines(coord, period, rng.uniform(0.4, 1.2), scale, period / 2)
                ink = rng.uniform(0, 255, 3).astype(np.float32)
                out = out * (1 - 0.8 * accent[..., None]) + ink * 0.8 * accent[..., None]
    else:  # "ruled" or "squared" paper: thin lines, squared also across, every m-th bold
        out = _colour(rng, (205, 200, 185), (252, 250, 245)) * (
            1 + 0.03 * _noise(rng, shape, (20, 20))[..., None]
        )
        ink = _colour(rng, (60, 90, 140), (180, 200, 230))
        if rng.uniform() < 0.3:
            ink = _colour(rng, (60, 60, 60), (170, 170, 170))
        strength = rng.uniform(0.4, 0.95)
        half = rng.uniform(0.35, 1.2)
        if kind == "ruled":
            period = rng.uniform(6, 22)
            cover = _lines(v, period, half, scale)
            margin = _lines(u, 1e6, 0.7, scale, rng.uniform(-w / 2, w / 2))
            red = np.array([210, 70, 70], np.float32)
            out = out * (1 - 0.7 * margin[..., None]) + red * 0.7 * margin[..., None]
        else:
            period = rng.uniform(4, 14)
            bold = int(rng.choice([4, 5, 10]))
            cover = np.maximum(_lines(u, period, half, scale), _lines(v, period, half, scale))
            cover = np.maximum(
                cover,
                np.maximum(
                    _lines(u, period * bold, 2 * half, scale),
                    _lines(v, period * bold, 2 * half, scale),
                ),
            )
        alpha = strength * cover[..., None]
        out = out * (1 - alpha) + ink * alpha
    return np.asarray(out, np.float32).reshape(h, w, 3)


# -- the board plane ----------------------------------------------------------------


@dataclass
class _Plane:
    """The rectified board: its picture, label map and grid geometry (board-plane pixels)."""

    rgb: np.ndarray
    labels: np.ndarray
    origin: tuple[float, float]
    step: tuple[float, float]
    centres: np.ndarray  # (N, N, 2) stone centres (jittered), x, y
    radius: float
    wood: np.ndarray


def _line_coverage(coord: np.ndarray, positions: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Anti-aliased coverage of lines at ``positions`` (half widths ``half``) over ``coord``."""
    d = np.abs(coord[:, None] - positions[None, :])
    return np.clip(half[None, :] + 0.5 - d, 0, 1).max(axis=1)


def _stone_sprite(
    radius: float,
    colour: int,
    look: str,
    light: np.ndarray,
    tint: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one stone centred in a square sprite: rgb (S, S, 3) float32 and alpha (S, S).

    The sprite's side S is even, so its centre falls on a pixel corner.
    """
    side = 2 * int(math.ceil(radius)) + 4
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32) + 0.5 - side / 2
    dx, dy = xs / radius, ys / radius
    r = np.sqrt(dx * dx + dy * dy)
    alpha = np.clip((1 - r) * radius + 0.5, 0, 1)
    z = np.sqrt(np.clip(1 - r * r, 0, 1)) * 0.7
    norm = np.sqrt(dx * dx + dy * dy + z * z) + 1e-6
    n_dot_l = np.clip((dx * light[0] + dy * light[1] + z * light[2]) / norm, 0, 1)
    half = light + np.array([0, 0, 1.0])
    half /= np.linalg.norm(half)
    spec = np.clip((dx * half[0] + dy * half[1] + z * half[2]) / norm, 0, 1)
    if colour == 1:
        if look == "flat":
            rgb = np.full(dx.shape + (3,), rng.uniform(15, 60), np.float32)
        else:
            gloss = 1.0 if look == "glossy" else 0.45
            base = rng.uniform(18, 45)
            shade = base + 30 * n_dot_l + gloss * 190 * spec ** (30 if look == "glossy" else 12)
            rgb = np.repeat(shade[..., None], 3, axis=2)
    else:
        if look == "flat":
            rgb = np.full(dx.shape + (3,), rng.uniform(222, 252), np.float32)
            rim = np.clip(1 - np.abs(r - 0.93) * radius / 1.2, 0, 1) * rng.uniform(0.0, 0.7)
            rgb *= 1 - rim[..., None]
        else:
            base = rng.uniform(205, 240)
            shade = base * (0.72 + 0.28 * n_dot_l) + 50 * spec**20
            rgb = np.repeat(shade[..., None], 3, axis=2) * tint
            if look == "shell":
                a = rng.uniform(0, math.pi)
                stripes = np.sin((dx * math.cos(a) + dy * math.sin(a)) * rng.uniform(18, 40))
                rgb *= 1 - 0.05 * (0.5 + 0.5 * stripes[..., None])
    return np.clip(rgb, 0, 255).astype(np.float32), alpha.astype(np.float32)


def _paste(canvas: np.ndarray, rgb: np.ndarray, alpha: np.ndarray, x0: int, y0: int) -> np.ndarray:
    """Blend a sprite onto ``canvas`` at top-left (x0, y0), in place; return its visible alpha."""
    h, w = canvas.shape[:2]
    side = alpha.shape[0]
    cx0, cy0 = max(x0, 0), max(y0, 0)
    cx1, cy1 = min(x0 + side, w), min(y0 + side, h)
    if cx1 <= cx0 or cy1 <= cy0:
        return np.zeros((0, 0), np.float32)
    a = alpha[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0, None]
    region = canvas[cy0:cy1, cx0:cx1]
    region[:] = region * (1 - a) + rgb[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0] * a
    return a[..., 0]


def _board_plane(
    stones: np.ndarray, rng: np.random.Generator, family: StyleFamily, grid_px: float
) -> _Plane:
    """Draw the board's top face, rectified, with lines, star points, shadows and stones."""
    n = stones.shape[0]
    step_x = grid_px / (n - 1)
    step_y = step_x * rng.uniform(1.0, 1.08)
    margin_x = rng.uniform(0.45, 1.0) * step_x
    margin_y = margin_x * step_y / step_x * rng.uniform(0.9, 1.1)
    width = int(round((n - 1) * step_x + 2 * margin_x))
    height = int(round((n - 1) * step_y + 2 * margin_y))
    origin = (margin_x, margin_y)
    base = _colour(rng, *family.wood)
    wood = _wood(rng, (height, width), base, rng.uniform(*family.grain), family.wood_kind)
    canvas = wood.copy()
    labels = np.full((height, width), BOARD, np.uint8)
    # lines
    xs = origin[0] + step_x * np.arange(n)
    ys = origin[1] + step_y * np.arange(n)
    half = rng.uniform(*family.line_width) * step_x / 2 * np.ones(n)
    outer = rng.uniform(1.0, 2.2) if rng.uniform() < 0.5 else 1.0
    half[[0, -1]] *= outer
    cols = np.arange(width, dtype=np.float32) + 0.5
    rows = np.arange(height, dtype=np.float32) + 0.5
    vertical = _line_coverage(cols, xs, half)
    horizontal = _line_coverage(rows, ys, half)
    extent_x = np.clip(np.minimum(cols - (xs[0] - half[0]), (xs[-1] + half[0]) - cols) + 0.5, 0, 1)
    extent_y = np.clip(np.minimum(rows - (ys[0] - half[0]), (ys[-1] + half[0]) - rows) + 0.5, 0, 1)
    ink = np.maximum(vertical[None, :] * extent_y[:, None], horizontal[:, None] * extent_x[None, :])
    line_rgb = _colour(rng, *family.line)
    # star points
    stars = _star_points(n)
    star_r = step_x * rng.uniform(0.08, 0.14)
    for r, c in stars:
        x0, x1 = int(xs[c] - star_r - 2), int(xs[c] + star_r + 3)
        y0, y1 = int(ys[r] - star_r - 2), int(ys[r] + star_r + 3)
        dist = np.hypot(cols[None, x0:x1] - xs[c], rows[y0:y1, None] - ys[r])
        ink[y0:y1, x0:x1] = np.maximum(ink[y0:y1, x0:x1], np.clip(star_r + 0.5 - dist, 0, 1))
    ink *= rng.uniform(0.75, 1.0)
    canvas = canvas * (1 - ink[..., None]) + line_rgb * ink[..., None]
    # stones: jittered centres, shadows first
    radius = step_x * rng.uniform(0.45, 0.5)
    jitter = rng.normal(0, 0.05, size=(n, n, 2)) * step_x
    gx, gy = np.meshgrid(xs, ys)
    centres = np.stack((gx, gy), axis=-1) + jitter
    azimuth = rng.uniform(0, 2 * math.pi)
    elevation = rng.uniform(0.5, 1.3)
    light = np.array(
        [
            math.cos(azimuth) * math.cos(elevation),
            math.sin(azimuth) * math.cos(elevation),
            math.sin(elevation),
        ]
    )
    shadow = np.zeros((height, width), np.float32)
    offset = -light[:2] * radius * rng.uniform(0.05, 0.3)
    strength = rng.uniform(0.15, 0.45)
    reach = int(math.ceil(1.2 * radius)) + 1
    sy, sx = np.mgrid[-reach:reach, -reach:reach].astype(np.float32) + 0.5
    blob = np.clip((1.12 - np.hypot(sx, sy) / radius) * 4, 0, 1)
    for r, c in zip(*np.nonzero(stones), strict=True):
        x0 = int(round(centres[r, c, 0] + offset[0])) - reach
        y0 = int(round(centres[r, c, 1] + offset[1])) - reach
        cx0, cy0 = max(x0, 0), max(y0, 0)
        cx1, cy1 = min(x0 + 2 * reach, width), min(y0 + 2 * reach, height)
        if cx1 > cx0 and cy1 > cy0:
            part = blob[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
            shadow[cy0:cy1, cx0:cx1] = np.maximum(shadow[cy0:cy1, cx0:cx1], part)
    canvas *= 1 - strength * shadow[..., None]
    black_look = family.stones[int(rng.integers(len(family.stones)))]
    white_look = family.stones[int(rng.integers(len(family.stones)))]
    if black_look == "shell":
        black_look = "glossy"
    tint = 1 + rng.uniform(-0.03, 0.03, 3)
    sprites = {
        colour: [
            _stone_sprite(radius * rng.uniform(0.97, 1.03), colour, look, light, tint, rng)
            for _ in range(3)
        ]
        for colour, look in ((1, black_look), (2, white_look))
    }
    for r, c in zip(*np.nonzero(stones), strict=True):
        colour = int(stones[r, c])
        rgb, alpha = sprites[colour][int(rng.integers(3))]
        side = alpha.shape[0]
        x0 = int(round(centres[r, c, 0] - side / 2))
        y0 = int(round(centres[r, c, 1] - side / 2))
        centres[r, c] = (x0 + side / 2, y0 + side / 2)  # where the stone really is
        covered = _paste(canvas, rgb, alpha, x0, y0)
        if covered.size:
            region = labels[
                max(y0, 0) : max(y0, 0) + covered.shape[0],
                max(x0, 0) : max(x0, 0) + covered.shape[1],
            ]
            region[covered > 0.5] = BLACK_STONE if colour == 1 else WHITE_STONE
    return _Plane(np.clip(canvas, 0, 255), labels, origin, (step_x, step_y), centres, radius, wood)


def _star_points(size: int) -> list[tuple[int, int]]:
    """Return the (row, col) star points (hoshi) of a board size."""
    if size < 7:
        return []
    edge = 2 if size < 13 else 3
    lines = [edge, size - 1 - edge]
    if size % 2 == 1 and size >= 13:
        lines.insert(1, size // 2)
    points = [(r, c) for r in lines for c in lines]
    if size % 2 == 1 and size < 13:
        points.append((size // 2, size // 2))
    return points


# -- the camera ---------------------------------------------------------------------


def _camera(
    rng: np.random.Generator,
    plane_w: int,
    plane_h: int,
    config: RenderConfig,
    fill: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the top face's homography (plane -> photo) and the top and bottom corners."""
    yaw = math.radians(rng.uniform(-config.max_yaw, config.max_yaw))
    tilt = math.radians(config.max_tilt * rng.uniform() ** 1.3)
    roll = math.radians(rng.uniform(-config.max_roll, config.max_roll))
    distance = rng.uniform(1.1, 3.5) * max(plane_w, plane_h)
    thickness = rng.uniform(0.02, 0.12) * max(plane_w, plane_h)
    plane = np.array([[0, 0], [plane_w, 0], [plane_w, plane_h], [0, plane_h]], np.float64)

    def project(points: np.ndarray, depth: float) -> np.ndarray:
        x = points[:, 0] - plane_w / 2
        y = points[:, 1] - plane_h / 2
        x, y = x * math.cos(yaw) - y * math.sin(yaw), x * math.sin(yaw) + y * math.cos(yaw)
        cam_y = y * math.cos(tilt) + depth * math.sin(tilt)
        cam_z = distance - y * math.sin(tilt) + depth * math.cos(tilt)
        u, v = x / cam_z, cam_y / cam_z
        return np.stack(
            (u * math.cos(roll) - v * math.sin(roll), u * math.sin(roll) + v * math.cos(roll)),
            axis=1,
        )

    top = project(plane, 0.0)
    bottom = project(plane, thickness)
    both = np.vstack((top, bottom))
    lo, hi = both.min(axis=0), both.max(axis=0)
    side = min(config.width, config.height)
    scale = rng.uniform(*fill) * side / float(max(hi - lo))
    extent = (hi - lo) * scale
    room = np.array([config.width, config.height]) - extent - 4
    shift = 2 + rng.uniform(0, 1, 2) * np.maximum(room, 0) - lo * scale
    top = top * scale + shift
    bottom = bottom * scale + shift
    return homography(plane, top), top, bottom


# -- occluders ----------------------------------------------------------------------


def _hand(
    rng: np.random.Generator, shape: tuple[int, int], target: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return a hand reaching from a photo edge to ``target``: colour (H, W, 3), coverage (H, W)."""
    h, w = shape
    scale = 2
    layer = Image.new("L", (w * scale, h * scale), 0)
    draw = ImageDraw.Draw(layer)
    edge = int(rng.integers(4))
    start = {
        0: (rng.uniform(0, w), -0.1 * h),
        1: (1.1 * w, rng.uniform(0, h)),
        2: (rng.uniform(0, w), 1.1 * h),
        3: (-0.1 * w, rng.uniform(0, h)),
    }[edge]
    start_pt = np.array(start)
    direction = target - start_pt
    length = np.linalg.norm(direction) + 1e-6
    direction /= length
    normal = np.array([-direction[1], direction[0]])
    size = rng.uniform(0.07, 0.14) * min(h, w)
    palm = target - direction * size * 1.3
    arm_width = size * 1.3

    def capsule(p: np.ndarray, q: np.ndarray, width: float) -> None:
        p, q = p * scale, q * scale
        draw.line([tuple(p), tuple(q)], fill=255, width=max(1, int(width * scale)))
        for point in (p, q):
            r = width * scale / 2
            draw.ellipse((point[0] - r, point[1] - r, point[0] + r, point[1] + r), fill=255)

    capsule(start_pt, palm, arm_width)
    draw.ellipse(tuple(np.r_[(palm - size) * scale, (palm + size) * scale]), fill=255)
    fingers = int(rng.integers(1, 5))
    for k in range(fingers):
        spread = (k - (fingers - 1) / 2) * size * 0.45
        base = palm + normal * spread + direction * size * 0.5
        bend = rng.uniform(-0.3, 0.3)
        tip = base + (direction + normal * bend) * size * rng.uniform(0.8, 1.4)
        capsule(base, tip, size * 0.38)
    coverage = (
        np.asarray(
            layer.filter(ImageFilter.GaussianBlur(1.0)).resize((w, h), Image.Resampling.BOX),
            np.float32,
        )
        / 255.0
    )
    skin = _colour(rng, (90, 55, 35), (240, 200, 170))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    along = ((xs - start_pt[0]) * direction[0] + (ys - start_pt[1]) * direction[1]) / length
    shade = 0.75 + 0.35 * np.clip(along, 0, 1) + 0.08 * _noise(rng, shape, (6, 6))
    colour = np.clip(skin[None, None, :] * shade[..., None], 0, 255)
    return colour, coverage


def _bowl(
    rng: np.random.Generator, shape: tuple[int, int], centre: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return a bowl of stones (or its lid): colour (H, W, 3) and coverage (H, W)."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    d = np.hypot(xs - centre[0], ys - centre[1]) / radius
    coverage = np.clip((1 - d) * radius + 0.5, 0, 1)
    wood = _wood(rng, shape, _colour(rng, (60, 30, 15), (200, 150, 90)), 0.3, "rings")
    colour = wood * (0.7 + 0.3 * np.clip(1 - d, 0, 1))[..., None]
    if rng.uniform() < 0.7:  # open, with stones inside
        inner = 0.78 * radius
        stone = 35.0 if rng.uniform() < 0.5 else 225.0
        inside = d < 0.78
        colour[inside] = colour[inside] * 0.5
        for _ in range(int(rng.integers(10, 40))):
            angle, rr = rng.uniform(0, 2 * math.pi), inner * math.sqrt(rng.uniform()) * 0.85
            sx, sy = centre[0] + rr * math.cos(angle), centre[1] + rr * math.sin(angle)
            sr = radius * rng.uniform(0.15, 0.22)
            x0, x1 = max(int(sx - sr - 2), 0), min(int(sx + sr + 3), w)
            y0, y1 = max(int(sy - sr - 2), 0), min(int(sy + sr + 3), h)
            if x1 <= x0 or y1 <= y0:
                continue
            ds = np.hypot(xs[y0:y1, x0:x1] - sx, ys[y0:y1, x0:x1] - sy) / sr
            a = (np.clip((1 - ds) * sr + 0.5, 0, 1) * inside[y0:y1, x0:x1])[..., None]
            shade = stone * (0.75 + 0.25 * np.clip(1 - ds, 0, 1)) + 40 * np.clip(1 - ds * 1.8, 0, 1)
            colour[y0:y1, x0:x1] = colour[y0:y1, x0:x1] * (1 - a) + shade[..., None] * a
    return np.clip(colour, 0, 255), coverage


# -- the photo ----------------------------------------------------------------------


def render_photo(
    stones: np.ndarray,
    rng: np.random.Generator,
    family: StyleFamily | str = "kaya",
    config: RenderConfig | None = None,
) -> Photo:
    """Draw a photo of a position.

    Args:
        stones: (N, N) int8, row 0 at the top (0 empty, 1 black, 2 white), N >= 2.
        rng: the random source (the same state draws the same photo).
        family: a style family or its name (``FAMILIES``).
        config: what varies (default ``RenderConfig()``).

    Returns:
        The photo and its labels.

    Raises:
        ValueError: for a non-square position, a size below 2 or an unknown family.
    """
    config = config or RenderConfig()
    if family == RANDOM_FAMILY:
        family = random_family(rng)
    if isinstance(family, str):
        if family not in FAMILIES:
            raise ValueError(f"unknown style family {family!r} (known: {', '.join(FAMILIES)})")
        family = FAMILIES[family]
    stones = np.asarray(stones, dtype=np.int8)
    if stones.ndim != 2 or stones.shape[0] != stones.shape[1] or stones.shape[0] < 2:
        raise ValueError(f"stones must be a square (N, N) array with N >= 2, not {stones.shape}")
    n = stones.shape[0]
    width, height = config.width, config.height
    grid_px = 1.6 * max(width, height) * 0.85
    low, high = config.fill
    fill = (low + (high - low) * 0.4 * min(max(n - 9, 0), 10) / 10, high)
    plane = _board_plane(stones, rng, family, grid_px)
    plane_h, plane_w = plane.labels.shape
    to_photo, top, bottom = _camera(rng, plane_w, plane_h, config, fill)

    # background and the board's sides (the hull of top and bottom faces, in darker wood)
    kind = family.backgrounds[int(rng.integers(len(family.backgrounds)))]
    photo = _background(rng, kind, (height, width))
    side = Image.new("L", (width, height), 0)
    hull = convex_hull(np.vstack((top, bottom)))
    ImageDraw.Draw(side).polygon([tuple(p) for p in hull], fill=255)
    side_alpha = np.asarray(side, np.float32)[..., None] / 255.0
    side_rgb = float(rng.uniform(0.45, 0.8)) * _colour(rng, *family.wood)
    photo = photo * (1 - side_alpha) + side_rgb * side_alpha

    # the top face, supersampled twice
    double = np.diag([2.0, 2.0, 1.0]) @ to_photo
    board_rgb = _warp(
        Image.fromarray(plane.rgb.astype(np.uint8)),
        double,
        (2 * width, 2 * height),
        Image.Resampling.BICUBIC,
    ).resize((width, height), Image.Resampling.BOX)
    alpha_img = _warp(
        Image.new("L", (plane_w, plane_h), 255),
        double,
        (2 * width, 2 * height),
        Image.Resampling.BILINEAR,
    ).resize((width, height), Image.Resampling.BOX)
    alpha = np.asarray(alpha_img, np.float32)[..., None] / 255.0
    photo = photo * (1 - alpha) + np.asarray(board_rgb, np.float32) * alpha
    mask = np.asarray(
        _warp(Image.fromarray(plane.labels), to_photo, (width, height), Image.Resampling.NEAREST),
        np.uint8,
    ).copy()

    # where the grid and the stones fall in the photo
    xs = plane.origin[0] + plane.step[0] * np.arange(n)
    ys = plane.origin[1] + plane.step[1] * np.arange(n)
    gx, gy = np.meshgrid(xs, ys)
    points = apply_homography(to_photo, np.stack((gx, gy), axis=-1))  # (N, N, 2)
    corners = points[[0, 0, -1, -1], [0, -1, -1, 0]]
    spacing = float(np.median(np.linalg.norm(np.diff(points, axis=1), axis=-1)))

    # occluders
    occluder = np.zeros((height, width), np.float32)
    if rng.uniform() < config.occlusion:
        target = points[rng.integers(n), rng.integers(n)]
        colour, coverage = _hand(rng, (height, width), target)
        shadow = (
            np.asarray(
                Image.fromarray((coverage * 255).astype(np.uint8)).filter(
                    ImageFilter.GaussianBlur(6)
                ),
                np.float32,
            )
            / 255.0
        )
        shadow = np.roll(shadow, (int(rng.integers(2, 8)), int(rng.integers(-5, 6))), axis=(0, 1))
        photo *= 1 - 0.35 * shadow[..., None]
        photo = photo * (1 - coverage[..., None]) + colour * coverage[..., None]
        occluder = np.maximum(occluder, coverage)
    if rng.uniform() < config.occlusion:
        radius = rng.uniform(0.1, 0.2) * min(width, height)
        anchor = (
            corners[rng.integers(4)]
            if rng.uniform() < 0.5
            else points[rng.integers(n), rng.integers(n)]
        )
        away = anchor - np.array([width / 2, height / 2])
        centre = anchor + away / (np.linalg.norm(away) + 1e-6) * radius * rng.uniform(0.3, 1.0)
        colour, coverage = _bowl(rng, (height, width), centre, radius)
        photo = photo * (1 - coverage[..., None]) + colour * coverage[..., None]
        occluder = np.maximum(occluder, coverage)
    mask[occluder > 0.5] = BACKGROUND
    occluded = _occluded_points(occluder, points, spacing)

    photo = _camera_effects(rng, photo, config)

    where = np.argwhere((stones > 0) & ~occluded)
    angles = np.linspace(0, 2 * math.pi, 32, endpoint=False)
    circle = plane.radius * np.stack((np.cos(angles), np.sin(angles)), 1)
    rims = plane.centres[where[:, 0], where[:, 1]][:, None, :] + circle[None]
    outlines = apply_homography(to_photo, rims)  # (K, 32, 2)
    limit = np.array([width, height], np.float64)
    lows = np.clip(outlines.min(axis=1), 0, limit)
    highs = np.clip(outlines.max(axis=1), 0, limit)
    visible = np.all(highs - lows >= 1, axis=1)
    where = where[visible]
    boxes = np.concatenate((lows, highs), axis=1)[visible]
    labels = stones[where[:, 0], where[:, 1]].astype(np.int64)
    # label what the photo shows: the board corner nearest the photo's top left first
    turns = _quarter_turns(corners)
    picture = np.rot90(np.arange(n * n).reshape(n, n), turns).ravel()
    place = np.empty(n * n, np.int64)
    place[picture] = np.arange(n * n)
    flat = place[where[:, 0] * n + where[:, 1]] if len(where) else np.zeros(0, np.int64)
    where = np.stack((flat // n, flat % n), axis=1)
    return Photo(
        image=photo,
        stones=np.ascontiguousarray(np.rot90(stones, turns)),
        occluded=np.ascontiguousarray(np.rot90(occluded, turns)),
        corners=np.roll(corners, -turns, axis=0),
        board_corners=np.roll(top, -turns, axis=0),
        mask=mask,
        boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
        box_labels=np.asarray(labels, np.int64),
        box_points=np.asarray(where, np.int64).reshape(-1, 2),
        family=family.name,
    )


def _quarter_turns(corners: np.ndarray) -> int:
    """Return k: the photo shows the board turned by k quarter turns (``np.rot90``).

    ``corners`` are the grid's corners in the board's own order; the photo's top-left
    corner is the one ``order_corners`` puts first, as the scan reads it.
    """
    first = order_corners(corners)[0]
    return int(np.argmin(np.linalg.norm(corners - first, axis=1)))


def _warp(
    image: Image.Image, to_out: np.ndarray, size: tuple[int, int], resample: int
) -> Image.Image:
    """Warp a Pillow image by a homography (input -> output pixels) onto ``size``."""
    inverse = np.linalg.inv(to_out)
    inverse = inverse / inverse[2, 2]
    return image.transform(
        size, Image.Transform.PERSPECTIVE, tuple(inverse.flatten()[:8]), resample
    )


def _occluded_points(occluder: np.ndarray, points: np.ndarray, spacing: float) -> np.ndarray:
    """Return (N, N) bool: the point, or much of the disc around it, is covered."""
    h, w = occluder.shape
    angles = np.linspace(0, 2 * math.pi, 8, endpoint=False)
    ring = 0.3 * spacing * np.stack((np.cos(angles), np.sin(angles)), 1)
    samples = np.concatenate((points[..., None, :], points[..., None, :] + ring), axis=-2)
    cols = np.clip(samples[..., 0].astype(np.int64), 0, w - 1)
    rows = np.clip(samples[..., 1].astype(np.int64), 0, h - 1)
    covered = occluder[rows, cols] > 0.3
    return covered[..., 0] | (covered.mean(axis=-1) > 0.3)


def _camera_effects(
    rng: np.random.Generator, photo: np.ndarray, config: RenderConfig
) -> np.ndarray:
    """Light, glare, blur, noise and JPEG: float (H, W, 3) -> uint8 (H, W, 3)."""
    h, w = photo.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (xs * rng.uniform(-1, 1) + ys * rng.uniform(-1, 1)) / max(h, w)
    light = 1 + rng.uniform(0, 0.35) * ramp
    vignette = np.hypot(xs / w - 0.5, ys / h - 0.5)
    light *= 1 - rng.uniform(0, 0.5) * vignette**2
    light *= rng.uniform(0.75, 1.2)
    cast = 1 + rng.uniform(-0.08, 0.08, 3)
    photo = photo * light[..., None] * cast
    if rng.uniform() < 0.4:  # a glare spot
        gx, gy = rng.uniform(0, w), rng.uniform(0, h)
        sx, sy = rng.uniform(0.04, 0.2) * w, rng.uniform(0.03, 0.15) * h
        spot = np.exp(-(((xs - gx) / sx) ** 2 + ((ys - gy) / sy) ** 2))
        photo = photo + (255 - photo) * (rng.uniform(0.2, 0.6) * spot)[..., None]
    image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8))
    blur = rng.uniform(0, config.max_blur)
    if blur > 0.2:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    out = np.asarray(image, np.float32) + rng.normal(
        0, rng.uniform(0, config.max_noise), photo.shape
    )
    image = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    if config.jpeg_quality is not None:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=int(rng.integers(*config.jpeg_quality)))
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return np.asarray(image, np.uint8).copy()


def empty_photo(
    rng: np.random.Generator,
    config: RenderConfig | None = None,
    kinds: tuple[str, ...] | None = None,
) -> np.ndarray:
    """Return a photo with no board in it (a background with clutter), (H, W, 3) uint8.

    ``kinds``: the background kinds to draw from (default: the fixed families' kinds,
    held-out ones included; training passes ``TRAINING_BACKGROUNDS``)."""
    config = config or RenderConfig()
    kinds = _BACKGROUNDS if kinds is None else kinds
    kind = kinds[int(rng.integers(len(kinds)))]
    return _camera_effects(rng, _background(rng, kind, (config.height, config.width)), config)


__all__ = [
    "BACKGROUND",
    "BLACK_STONE",
    "BOARD",
    "BOX_CLASSES",
    "CLASSES",
    "FAMILIES",
    "HELD_OUT_FAMILIES",
    "LINE_BACKGROUNDS",
    "RANDOM_FAMILY",
    "TRAINING_BACKGROUNDS",
    "TRAIN_FAMILIES",
    "WHITE_STONE",
    "Photo",
    "RenderConfig",
    "StyleFamily",
    "empty_photo",
    "random_family",
    "render_photo",
]
