"""Pictures of a board for the environments' ``render()``: an RGB image drawn with numpy.

``board_image`` draws the ``rgb_array`` frame: a wooden board, grid lines, star
points, black and white stones and a marker on the last move, as uint8
``(H, W, 3)`` with ``H = W = cell * (N + 1)``.  The top row of the image is the board's
top line (row ``N - 1``), as a player sees it; stones come as int8 ``(N, N)``
``[row, col]`` with row 0 at the bottom (``engine.board.Board.to_array``).  No pygame:
everything is array arithmetic, so it works headless and in worker processes.
The ``ansi`` mode needs no helper: it is ``engine.board.Board.diagram``.
"""

from __future__ import annotations

import numpy as np

from engine.board import BLACK, EMPTY, WHITE

BOARD_RGB = (220, 179, 92)
LINE_RGB = (60, 40, 20)
BLACK_RGB = (25, 25, 25)
WHITE_RGB = (240, 240, 235)
OUTLINE_RGB = (90, 90, 90)
MARK_ON_BLACK = (230, 60, 50)
MARK_ON_WHITE = (200, 40, 30)
DEFAULT_CELL = 32


def star_points(size: int) -> list[tuple[int, int]]:
    """Return the ``(row, col)`` star points (hoshi) of a ``size`` board (none below 7)."""
    if size < 7:
        return []
    edge = 2 if size < 13 else 3
    lines = sorted({edge, size - 1 - edge})
    points = [(r, c) for r in lines for c in lines]
    if size % 2 == 1 and size >= 9:
        points.append((size // 2, size // 2))
        if size >= 13:
            mid = size // 2
            points += [(mid, edge), (mid, size - 1 - edge), (edge, mid), (size - 1 - edge, mid)]
    return points


def _disc(cell: int, radius: float) -> np.ndarray:
    """Return a bool (cell, cell) mask of a disc of ``radius`` centred in the cell."""
    centre = (cell - 1) / 2.0
    y, x = np.mgrid[0:cell, 0:cell]
    return (x - centre) ** 2 + (y - centre) ** 2 <= radius**2


def board_image(
    stones: np.ndarray, last_move: int | None = None, cell: int = DEFAULT_CELL
) -> np.ndarray:
    """Draw a position.

    Args:
        stones: int8 (N, N), EMPTY/BLACK/WHITE, row 0 at the bottom.
        last_move: flat action of the last move to mark (None or pass: no marker).
        cell: pixels between two grid lines (at least 8).

    Returns:
        uint8 (cell * (N + 1), cell * (N + 1), 3).

    Raises:
        ValueError: for stones that are not a square 2-D array or a cell below 8.
    """
    if stones.ndim != 2 or stones.shape[0] != stones.shape[1]:
        raise ValueError(f"stones must be a square (N, N) array, not {stones.shape}")
    if cell < 8:
        raise ValueError(f"cell must be at least 8 pixels, not {cell}")
    size = stones.shape[0]
    side = cell * (size + 1)
    image = np.empty((side, side, 3), dtype=np.uint8)
    image[:, :] = BOARD_RGB
    half = cell // 2
    thick = max(1, cell // 24)
    lo, hi = cell - thick // 2, cell * size + (thick + 1) // 2
    for i in range(size):
        centre = cell * (i + 1)
        band = slice(centre - thick // 2, centre + (thick + 1) // 2)
        image[band, lo:hi] = LINE_RGB
        image[lo:hi, band] = LINE_RGB
    hoshi = _disc(cell, max(2.0, cell / 10))
    stone = _disc(cell, cell * 0.47)
    inner = _disc(cell, cell * 0.47 - max(1.0, cell / 24))
    mark = _disc(cell, max(2.0, cell / 7))
    last = None
    if last_move is not None and 0 <= last_move < size * size:
        last = divmod(last_move, size)

    def tile(row: int, col: int) -> np.ndarray:
        top = cell * (size - row) - half
        left = cell * (col + 1) - half
        return image[top : top + cell, left : left + cell]

    for row, col in star_points(size):
        if stones[row, col] == EMPTY:
            tile(row, col)[hoshi] = LINE_RGB
    for row, col in zip(*np.nonzero(stones != EMPTY), strict=True):
        view = tile(int(row), int(col))
        if stones[row, col] == BLACK:
            view[stone] = BLACK_RGB
        else:
            view[stone] = OUTLINE_RGB
            view[inner] = WHITE_RGB
        if last == (row, col):
            view[mark] = MARK_ON_BLACK if stones[row, col] == BLACK else MARK_ON_WHITE
    return image


__all__ = ["BLACK", "DEFAULT_CELL", "EMPTY", "WHITE", "board_image", "star_points"]
