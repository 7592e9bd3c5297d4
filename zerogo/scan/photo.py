"""A photographed board read into an SGF record, with the warnings a person must check.

``read_photo`` is what ``zerogo scan`` does for one photo; ``game_from_file`` lets
the players start from a photo as from an SGF file (``zerogo play --load``, the
window's Load).  Both import the model only when a photo is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.board import BLACK, WHITE

if TYPE_CHECKING:
    from engine.game import Game
    from zerogo.scan.read import ScanResult

PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
"""File names read as photos by ``game_from_file`` (anything else as SGF)."""


class PhotoError(ValueError):
    """A photo that gives no position: unreadable, no board in it, or no usable model."""


@dataclass(frozen=True)
class PhotoRead:
    """A read photo.

    Attributes:
        result: the scanner's reading (stones, confidences, flags, grid).
        record: the position as a one-node SGF record (AB/AW, PL, KM, and the warnings
            in its comment).
        warnings: what to check before trusting the record, most serious first.
        flagged: the low-confidence points as GTP vertices.
        illegal: why the position read cannot stand on a board (a chain without
            liberties), or None.
    """

    result: ScanResult
    record: bytes
    warnings: list[str]
    flagged: list[str]
    illegal: str | None = None


def read_photo(
    path: str | os.PathLike[str],
    size: int | None = None,
    to_move: int = BLACK,
    komi: float = 7.5,
    threshold: float | None = None,
    model_path: str | os.PathLike[str] | None = None,
) -> PhotoRead:
    """Read the position on the photographed board at ``path``.

    Args:
        size: the board size, or None to find it (9, 13 or 19).
        to_move: the colour to move (``PL``): a photo does not show it.
        komi: ``KM``.
        threshold: confidence below which a point is flagged (default: the model's
            calibrated one).
        model_path: the scan model (default: the shipped one).

    Raises:
        PhotoError: the file is missing or not an image, no board is found, or the
            model cannot be loaded; the message says which.
    """
    from PIL import Image, UnidentifiedImageError

    from zerogo.scan.crossings import lattice_doubt
    from zerogo.scan.model import DEFAULT_MODEL, ModelError, load_model
    from zerogo.scan.read import (
        LINE_MARGIN,
        RIVAL_MARGIN,
        NoBoardError,
        Scanner,
        margin_doubt,
        orientation_doubt,
        turn_doubt,
    )
    from zerogo.scan.record import legality_problem, position_sgf, vertex

    if size is not None and not 2 <= size <= 19:
        raise PhotoError(f"board size must be 2..19, not {size}")
    try:
        with Image.open(path) as image:
            photo = np.asarray(image.convert("RGB"), np.uint8)
    except FileNotFoundError:
        raise PhotoError(f"no such file: {path}") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise PhotoError(f"{path}: not a readable image ({exc})") from None
    try:
        model, meta = load_model(Path(model_path) if model_path else DEFAULT_MODEL)
    except ModelError as exc:
        raise PhotoError(str(exc)) from None
    if threshold is None:
        threshold = float(meta.get("flag_threshold", 0.9))
    try:
        result = Scanner(model, flag_threshold=threshold).scan(photo, size=size)
    except NoBoardError as exc:
        raise PhotoError(f"{path}: {exc}") from None
    n = result.size
    flagged_points = [(int(r), int(c)) for r, c in np.argwhere(result.flagged)]
    warnings = []
    hidden = [vertex(r, c, n) for r, c in flagged_points if result.hidden[r, c]]
    if hidden:
        warnings.append(f"{len(hidden)} point(s) hidden, read as empty: {' '.join(hidden)}")
    if result.grid_misfit > 0.1:
        share = f"{100 * result.grid_misfit:.0f}%"
        warnings.append(f"{share} of the stones found lie off the grid read")
    if result.line_margin < LINE_MARGIN:
        warnings.append("the grid read may be off by a line: every point is flagged")
    elif margin_doubt(result.board_margins):
        warnings.append(
            "the grid read is not centred on the board (it may be off by a line):"
            " every point is flagged"
        )
    if orientation_doubt(result.corners, n):
        warnings.append(
            "the board is turned by about 45 degrees: the position may be read turned"
            " by a quarter; every point is flagged"
        )
    if lattice_doubt(result.missed_crossings):
        warnings.append(
            f"the grid read misses {result.missed_crossings} crossings seen side by side"
            " (it may be bent off by a line somewhere): every point is flagged"
        )
    if turn_doubt(result.turned_offset):
        turned = (
            "no board of this size"
            if not np.isfinite(result.turned_offset)
            else f"a grid {result.turned_offset:.1f} lines away"
        )
        warnings.append(
            f"the photo turned round reads {turned} (the grid may be off by a line):"
            " every point is flagged"
        )
    if result.rival_margin < RIVAL_MARGIN:
        warnings.append(
            "another grid fits nearly as well: the points it reads otherwise are flagged"
        )
    for r, c in flagged_points:
        if not result.hidden[r, c]:
            call = ("empty", "black", "white")[int(result.stones[r, c])]
            warnings.append(
                f"{vertex(r, c, n)}: read as {call}, confidence {result.confidence[r, c]:.2f}"
            )
    if size is None and result.size_confidence < 0.2:
        warnings.insert(0, f"board size {n} is uncertain (scores {result.size_scores})")
    problem = legality_problem(result.stones, to_move)
    if problem:
        warnings.insert(0, f"the position read is not legal: {problem}")
    comment = "Read from a photo by zerogo scan."
    if warnings:
        comment += " Check: " + "; ".join(warnings)
    record = position_sgf(result.stones, to_move, komi, comment)
    flagged = [vertex(r, c, n) for r, c in flagged_points]
    return PhotoRead(result, record, warnings, flagged, problem)


def is_photo(path: str | os.PathLike[str]) -> bool:
    """Whether ``game_from_file`` reads ``path`` as a photo (by its suffix)."""
    return Path(path).suffix.lower() in PHOTO_SUFFIXES


def game_from_file(
    path: str | os.PathLike[str], komi: float = 7.5, to_move: int = BLACK
) -> tuple[Game, str]:
    """Load a game from an SGF file, or the position on a photographed board.

    ``komi`` and ``to_move`` apply to photos only (an SGF record says its own).

    Returns:
        The game, and a sentence for the person: what was read, and for a photo how
        many points to check (the first few named).

    Raises:
        ValueError: ``engine.sgf.SgfError`` for a bad SGF file, ``PhotoError`` for a
            photo that gives no position (or a position that cannot stand).
    """
    from engine.sgf import load_sgf, load_sgf_file

    name = Path(path).name
    if not is_photo(path):
        return load_sgf_file(path), f"Loaded {name}"
    read = read_photo(path, komi=komi, to_move=to_move)
    if read.illegal:
        raise PhotoError(f"{name}: the position read is not legal: {read.illegal}")
    game = load_sgf(read.record)
    n = read.result.size
    stones = read.result.stones
    black, white = int((stones == BLACK).sum()), int((stones == WHITE).sum())
    summary = f"Read {name}: {n}x{n}, {black} black, {white} white"
    if read.flagged:
        shown = " ".join(read.flagged[:6]) + (" ..." if len(read.flagged) > 6 else "")
        summary += f"; check {len(read.flagged)} point(s): {shown}"
    return game, summary
