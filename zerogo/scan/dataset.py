"""Datasets of rendered photos: where positions come from, how photos are stored and read.

A dataset is a folder of *shards*, ``photos-NNNN.npz``, each holding up to
``SHARD_PHOTOS`` photos (written to a temporary name, then renamed):

===============  ==================  ================================================
array            shape / dtype       meaning
===============  ==================  ================================================
jpeg             (B,) uint8          the photos, JPEG (quality 95) one after another
jpeg_offsets     (P+1,) int64        photo i is ``jpeg[offsets[i]:offsets[i+1]]``
masks            (P, H, W) uint8     per-pixel classes (``render.CLASSES``)
sizes            (P,) int16          board size N of each photo
stones           (P, 19, 19) int8    position, row 0 at the top, padded with 0
occluded         (P, 19, 19) bool    occluded points, padded with False
corners          (P, 4, 2) float32   grid corners (top-left, top-right, bottom-right,
                                     bottom-left), photo pixels
board_corners    (P, 4, 2) float32   corners of the board's top face
boxes            (K, 4) float32      stone boxes (xyxy) of all photos
box_labels       (K,) int64          1 black, 2 white
box_offsets      (P+1,) int64        photo i's boxes are ``boxes[o[i]:o[i+1]]``
families         (P,) str            style family of each photo
===============  ==================  ================================================

``PositionPool`` draws the positions: for each board size a mix of positions from
game records (GNU Go SGF folders, self-play shards) and random playouts.  Each photo
has its own seed, ``seed * 1_000_003 + index``, so a photo can be redrawn alone.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from zerogo.scan.positions import game_positions, random_position, shard_positions
from zerogo.scan.render import Photo, RenderConfig, render_photo

SHARD_PHOTOS = 500
"""Photos per shard."""
MAX_SIZE = 19
STORE_QUALITY = 95
"""JPEG quality of stored photos (the renderer's own compression comes first)."""


@dataclass
class PositionPool:
    """Positions to photograph, by board size.

    Attributes:
        games: per board size, positions from game records (each game's every position).
        random_share: probability that a photo shows a random playout instead of a
            game position (always, for a size without games).
    """

    games: dict[int, list[np.ndarray]] = field(default_factory=dict)
    random_share: float = 0.4

    def add_sgf_folder(self, folder: str | Path) -> int:
        """Add every position of every ``*.sgf`` in ``folder``; return how many."""
        added = 0
        for path in sorted(Path(folder).glob("*.sgf")):
            for stones in game_positions(path):
                self.games.setdefault(stones.shape[0], []).append(stones)
                added += 1
        return added

    def add_shards(self, folder: str | Path) -> int:
        """Add every position of every self-play shard in ``folder``; return the count."""
        added = 0
        for path in sorted(Path(folder).glob("*.npz")):
            for size, stones in shard_positions(path):
                self.games.setdefault(size, []).append(stones)
                added += 1
        return added

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Return a position of ``size`` lines, row 0 at the top."""
        pool = self.games.get(size, [])
        if not pool or rng.uniform() < self.random_share:
            return random_position(size, rng)
        return pool[int(rng.integers(len(pool)))]


def photo_seed(seed: int, index: int) -> int:
    """Return the seed of photo ``index`` of a dataset made with ``seed``."""
    return seed * 1_000_003 + index


def render_many(
    count: int,
    seed: int,
    families: tuple[str, ...],
    sizes: tuple[int, ...],
    pool: PositionPool,
    config: RenderConfig | None = None,
    start: int = 0,
) -> Iterator[Photo]:
    """Yield photos ``start .. count-1``: photo i has size ``sizes[i % len]``, a random family."""
    for index in range(start, count):
        rng = np.random.default_rng(photo_seed(seed, index))
        size = sizes[index % len(sizes)]
        family = families[int(rng.integers(len(families)))]
        yield render_photo(pool.sample(size, rng), rng, family, config)


def encode_jpeg(image: np.ndarray, quality: int = STORE_QUALITY) -> bytes:
    """Return an (H, W, 3) uint8 image as JPEG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def decode_jpeg(data: bytes | np.ndarray) -> np.ndarray:
    """Return JPEG bytes as an (H, W, 3) uint8 image."""
    raw = data.tobytes() if isinstance(data, np.ndarray) else data
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"), np.uint8).copy()


def write_shard(path: str | Path, photos: list[Photo]) -> Path:
    """Write photos as one shard (atomically: a temporary file renamed into place)."""
    path = Path(path)
    jpegs = [np.frombuffer(encode_jpeg(p.image), np.uint8) for p in photos]
    stones = np.zeros((len(photos), MAX_SIZE, MAX_SIZE), np.int8)
    occluded = np.zeros((len(photos), MAX_SIZE, MAX_SIZE), bool)
    for i, p in enumerate(photos):
        stones[i, : p.size, : p.size] = p.stones
        occluded[i, : p.size, : p.size] = p.occluded
    arrays = {
        "jpeg": np.concatenate(jpegs),
        "jpeg_offsets": np.r_[0, np.cumsum([len(j) for j in jpegs])].astype(np.int64),
        "masks": np.stack([p.mask for p in photos]),
        "sizes": np.array([p.size for p in photos], np.int16),
        "stones": stones,
        "occluded": occluded,
        "corners": np.stack([p.corners for p in photos]).astype(np.float32),
        "board_corners": np.stack([p.board_corners for p in photos]).astype(np.float32),
        "boxes": np.concatenate([p.boxes for p in photos]).astype(np.float32).reshape(-1, 4),
        "box_labels": np.concatenate([p.box_labels for p in photos]).astype(np.int64),
        "box_offsets": np.r_[0, np.cumsum([len(p.boxes) for p in photos])].astype(np.int64),
        "families": np.array([p.family for p in photos]),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    os.replace(temporary, path)
    return path


@dataclass
class PhotoSet:
    """Photos and labels read back from shards (``load_photos``); fields as the shard arrays."""

    images: list[np.ndarray]
    masks: np.ndarray
    sizes: np.ndarray
    stones: np.ndarray
    occluded: np.ndarray
    corners: np.ndarray
    board_corners: np.ndarray
    boxes: list[np.ndarray]
    box_labels: list[np.ndarray]
    families: np.ndarray

    def __len__(self) -> int:
        return len(self.images)

    def position(self, i: int) -> np.ndarray:
        """Return photo i's position, (N, N)."""
        n = int(self.sizes[i])
        return self.stones[i, :n, :n]

    def occluded_points(self, i: int) -> np.ndarray:
        """Return photo i's occluded points, (N, N) bool."""
        n = int(self.sizes[i])
        return self.occluded[i, :n, :n]


def load_photos(folder: str | Path, limit: int | None = None) -> PhotoSet:
    """Read every shard of a dataset folder (in name order), at most ``limit`` photos.

    Raises:
        FileNotFoundError: when the folder holds no shard.
    """
    paths = sorted(Path(folder).glob("photos-*.npz"))
    if not paths:
        raise FileNotFoundError(f"no photos-*.npz shard in {folder}")
    parts: dict[str, list] = {name: [] for name in PhotoSet.__dataclass_fields__}
    total = 0
    for path in paths:
        with np.load(path) as data:
            count = len(data["sizes"])
            if limit is not None:
                count = min(count, limit - total)
            offsets, jpeg = data["jpeg_offsets"], data["jpeg"]
            parts["images"] += [
                decode_jpeg(jpeg[offsets[i] : offsets[i + 1]]) for i in range(count)
            ]
            box_offsets = data["box_offsets"]
            parts["boxes"] += [
                data["boxes"][box_offsets[i] : box_offsets[i + 1]] for i in range(count)
            ]
            parts["box_labels"] += [
                data["box_labels"][box_offsets[i] : box_offsets[i + 1]] for i in range(count)
            ]
            for name in (
                "masks",
                "sizes",
                "stones",
                "occluded",
                "corners",
                "board_corners",
                "families",
            ):
                parts[name].append(data[name][:count])
        total += count
        if limit is not None and total >= limit:
            break
    stacked = {
        name: np.concatenate(parts[name])
        for name in ("masks", "sizes", "stones", "occluded", "corners", "board_corners", "families")
    }
    return PhotoSet(
        images=parts["images"], boxes=parts["boxes"], box_labels=parts["box_labels"], **stacked
    )


__all__ = [
    "SHARD_PHOTOS",
    "PhotoSet",
    "PositionPool",
    "decode_jpeg",
    "encode_jpeg",
    "load_photos",
    "photo_seed",
    "render_many",
    "write_shard",
]
