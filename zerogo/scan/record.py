"""A scanned position as an SGF record and as a text diagram.

The record is a root node only: ``SZ``, ``KM``, the stones as setup (``AB``/``AW``),
the colour to move (``PL``) and a comment (``C``) naming the points the scan was
unsure of.  Points are written through ``engine.coords`` and sgfmill, as
``engine.sgf`` writes them; picture rows (row 0 at the top) become board rows
(row 0 at the bottom).
"""

from __future__ import annotations

import numpy as np
from sgfmill import sgf

from engine import coords
from engine.board import BLACK, WHITE, IllegalMoveError
from engine.game import Game
from engine.sgf import APPLICATION
from zerogo.scan.positions import picture_point_to_action


def vertex(row: int, col: int, size: int) -> str:
    """Return the GTP vertex (``"D4"``) of picture point (row from the top, col)."""
    return coords.to_gtp(picture_point_to_action(row, col, size), size)


def position_sgf(
    stones: np.ndarray, to_move: int = BLACK, komi: float = 7.5, comment: str | None = None
) -> bytes:
    """Return a one-node SGF record of a position.

    Args:
        stones: (N, N) int8, row 0 at the top: 0 empty, 1 black, 2 white.
        to_move: BLACK or WHITE (``PL``).
        komi: ``KM``.
        comment: the root comment, or None.

    Returns:
        UTF-8 SGF bytes.

    Raises:
        ValueError: for a non-square position or a size outside 2..19.
    """
    stones = np.asarray(stones)
    size = stones.shape[0]
    if stones.ndim != 2 or stones.shape[1] != size or not 2 <= size <= 19:
        raise ValueError(f"a position must be (N, N) with N in 2..19, not {stones.shape}")
    record = sgf.Sgf_game(size, "UTF-8")
    root = record.get_root()
    root.set("AP", (APPLICATION, "scan"))
    root.set("KM", float(komi))
    points = {
        colour: [
            coords.to_sgf_point(picture_point_to_action(int(r), int(c), size), size)
            for r, c in np.argwhere(stones == colour)
        ]
        for colour in (BLACK, WHITE)
    }
    root.set_setup_stones(points[BLACK], points[WHITE])
    root.set("PL", "b" if to_move == BLACK else "w")
    if comment:
        root.set("C", comment)
    return bytes(record.serialise())


def legality_problem(stones: np.ndarray, to_move: int = BLACK) -> str | None:
    """Return why the position cannot stand on a board (a chain without liberties), or None."""
    size = stones.shape[0]
    game = Game(size)
    black = [picture_point_to_action(int(r), int(c), size) for r, c in np.argwhere(stones == BLACK)]
    white = [picture_point_to_action(int(r), int(c), size) for r, c in np.argwhere(stones == WHITE)]
    try:
        game.setup_stones(black, white, to_move)
    except IllegalMoveError as exc:
        return str(exc)
    return None


def diagram(stones: np.ndarray, flagged: np.ndarray | None = None) -> str:
    """Return a text diagram, top row first: ``X`` black, ``O`` white, ``.`` empty.

    Flagged points are written in lower case (``x``, ``o``) or as ``?`` when read empty.
    """
    size = stones.shape[0]
    letters = [vertex(0, c, size).rstrip("0123456789") for c in range(size)]
    lines = ["    " + " ".join(letters)]
    for r in range(size):
        cells = []
        for c in range(size):
            mark = ".XO"[int(stones[r, c])]
            if flagged is not None and flagged[r, c]:
                mark = "?" if mark == "." else mark.lower()
            cells.append(mark)
        lines.append(f"{size - r:>3} " + " ".join(cells))
    return "\n".join(lines)


__all__ = ["diagram", "legality_problem", "position_sgf", "vertex"]
