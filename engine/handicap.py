"""Handicap stone placement: the fixed GTP pattern and a free spread.

Fixed placement follows the GTP version 2 specification (section 4.1.1):

* boards smaller than 7x7 (and larger than 25x25) have no fixed placement;
* 7x7 and boards with an even number of lines allow 2 to 4 stones;
* odd boards from 9x9 up allow 2 to 9 stones;
* the stones stand on the third line on boards up to 11x11, on the fourth line
  from 12x12 up, and on the middle line for side and centre points (the
  specification leaves 12x12 to its reference implementation, GNU Go, which
  uses the fourth line there).

Stones are given in the order the specification lists them, e.g. on 19x19:
D4 Q16 D16 Q4, then K10 (5, 7, 9 stones), D10 Q10 (6 and more), K4 K16 (8 and more).

``free_handicap`` chooses points for GTP ``place_free_handicap``: the fixed pattern
where it exists, and past it the empty point farthest from every stone already
chosen (preferring points away from the edge).  All points are flat actions
(``engine.coords``).
"""

from __future__ import annotations

import numpy as np

from engine import coords

MIN_FIXED_SIZE = 7
MAX_FIXED_SIZE = 25

# Each entry names (row, col) by position on the line: 0 low, 1 middle, 2 high.
_PATTERN: dict[int, tuple[tuple[int, int], ...]] = {
    2: ((0, 0), (2, 2)),
    3: ((0, 0), (2, 2), (2, 0)),
    4: ((0, 0), (2, 2), (2, 0), (0, 2)),
    5: ((0, 0), (2, 2), (2, 0), (0, 2), (1, 1)),
    6: ((0, 0), (2, 2), (2, 0), (0, 2), (1, 0), (1, 2)),
    7: ((0, 0), (2, 2), (2, 0), (0, 2), (1, 0), (1, 2), (1, 1)),
    8: ((0, 0), (2, 2), (2, 0), (0, 2), (1, 0), (1, 2), (0, 1), (2, 1)),
    9: ((0, 0), (2, 2), (2, 0), (0, 2), (1, 0), (1, 2), (0, 1), (2, 1), (1, 1)),
}


def max_fixed_handicap(size: int) -> int:
    """Return the largest stone count GTP ``fixed_handicap`` allows on ``size`` (0: none)."""
    if size < MIN_FIXED_SIZE or size > MAX_FIXED_SIZE:
        return 0
    if size == 7 or size % 2 == 0:
        return 4
    return 9


def max_free_handicap(size: int) -> int:
    """Return the largest stone count GTP ``place_free_handicap`` allows (all points but one)."""
    return size * size - 1


def fixed_handicap(size: int, stones: int) -> list[int]:
    """Return the flat actions of the fixed handicap ``stones`` on ``size``, in GTP order.

    Args:
        size: board size N.
        stones: number of handicap stones (2 .. ``max_fixed_handicap(size)``).

    Returns:
        ``stones`` distinct flat actions.

    Raises:
        ValueError: if the size has no fixed placement or the count is not allowed.
    """
    limit = max_fixed_handicap(size)
    if limit == 0:
        raise ValueError(f"no fixed handicap placement on a {size}x{size} board")
    if not 2 <= stones <= limit:
        raise ValueError(
            f"invalid number of handicap stones {stones} for {size}x{size} (2 to {limit})"
        )
    edge = 2 if size < 12 else 3
    line = (edge, size // 2, size - 1 - edge)
    return [coords.to_action(line[r], line[c], size) for r, c in _PATTERN[stones]]


def free_handicap(size: int, stones: int) -> list[int]:
    """Return flat actions for ``stones`` freely placed handicap stones.

    Uses the fixed pattern when the count allows it; beyond it (or on boards
    without a pattern) adds, one at a time, the empty point farthest from the
    stones already chosen, counting the edge as a stone one line outside the board.

    Args:
        size: board size N (2 .. 25).
        stones: number of stones (2 .. N*N - 1).

    Returns:
        ``stones`` distinct flat actions; black stones there always keep a liberty.

    Raises:
        ValueError: if ``stones`` is outside 2 .. N*N - 1.
    """
    if not 2 <= stones <= max_free_handicap(size):
        raise ValueError(
            f"invalid number of handicap stones {stones} for {size}x{size} "
            f"(2 to {max_free_handicap(size)})"
        )
    limit = max_fixed_handicap(size)
    if stones <= limit:
        return fixed_handicap(size, stones)
    chosen = fixed_handicap(size, limit) if limit else []
    rows, cols = np.divmod(np.arange(size * size), size)
    edge_distance = np.minimum.reduce([rows, cols, size - 1 - rows, size - 1 - cols])
    # Distance to the nearest chosen stone; the edge counts as a stone one line out.
    nearest = edge_distance.astype(np.float64) + 1.0
    for action in chosen:
        nearest = np.minimum(nearest, _distance(rows, cols, action, size))
    taken = np.zeros(size * size, dtype=bool)
    taken[chosen] = True
    while len(chosen) < stones:
        # Farthest free point; ties go to points farther from the edge, then lowest index.
        score = np.where(taken, -1.0, nearest * 1000.0 + edge_distance)
        action = int(np.argmax(score))
        chosen.append(action)
        taken[action] = True
        nearest = np.minimum(nearest, _distance(rows, cols, action, size))
    return chosen


def _distance(rows: np.ndarray, cols: np.ndarray, action: int, size: int) -> np.ndarray:
    """Return the Euclidean distance of every point (int (N*N,) arrays) to ``action``."""
    row, col = divmod(action, size)
    return np.hypot(rows - row, cols - col)


__all__ = ["fixed_handicap", "free_handicap", "max_fixed_handicap", "max_free_handicap"]
