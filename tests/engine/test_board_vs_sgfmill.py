"""Cross-check captures, simple ko and area score of ``Board`` against sgfmill.

Random legal games (uniform among legal moves that do not fill a one-point eye of the
mover, so games are long and full of captures) are played on our board and on
``sgfmill.boards.Board``; after every move the stones, the simple-ko point and the
area score must agree.  sgfmill allows suicide and has no ko rule, so only moves
that our board accepts are played.
"""

from __future__ import annotations

import numpy as np
from sgfmill import boards

from engine.board import BLACK, WALL, WHITE, Board

SGF_COLOUR = {BLACK: "b", WHITE: "w"}
SGF_CODE = {None: 0, "b": BLACK, "w": WHITE}

# (size, games): about 14,000 positions in all
SCHEDULE = [(9, 80), (5, 120), (13, 8), (19, 2)]
MIN_POSITIONS = 10_000


def _sgfmill_stones(board: boards.Board) -> list[list[int]]:
    return [[SGF_CODE[point] for point in row] for row in board.board]


def _non_eye_moves(board: Board, colour: int) -> np.ndarray:
    """Return the legal points of ``colour`` that do not fill its own one-point eye."""
    legal = board.legal_mask(colour)[:-1]
    n, w = board.size, board.width
    grid = board.arrays.color.reshape(w, w)
    near = [grid[0:-2, 1:-1], grid[2:, 1:-1], grid[1:-1, 0:-2], grid[1:-1, 2:]]
    own_eye = np.ones((n, n), dtype=bool)
    for side in near:
        own_eye &= (side == colour) | (side == WALL)
    return np.flatnonzero(legal & ~own_eye.reshape(-1))


def _play_and_compare(size: int, rng: np.random.Generator) -> tuple[int, int]:
    """Play one random game on both boards; return (positions compared, captures seen)."""
    ours = Board(size)
    theirs = boards.Board(size)
    max_moves = int(rng.integers(size * size // 2, 3 * size * size))
    positions = 0
    captures = 0
    for _ in range(max_moves):
        colour = ours.to_move
        moves = _non_eye_moves(ours, colour)
        if len(moves) == 0:
            ours.play(size * size)
            if ours.passes >= 2:
                break
            continue
        action = int(rng.choice(moves))
        row, col = divmod(action, size)
        captured = ours.play(action)
        ko = theirs.play(row, col, SGF_COLOUR[colour])
        captures += captured
        positions += 1
        assert ours.to_array().tolist() == _sgfmill_stones(theirs), (
            f"stones differ after {colour} {action}\n{ours}"
        )
        expected_ko = None if ko is None else ko[0] * size + ko[1]
        assert ours.ko_point == expected_ko, f"ko point differs\n{ours}"
        assert ours.area_score(0.0) == theirs.area_score(), f"area differs\n{ours}"
    return positions, captures


def test_random_games_match_sgfmill() -> None:
    rng = np.random.default_rng(20240611)
    positions = 0
    captures = 0
    for size, games in SCHEDULE:
        for _ in range(games):
            n, c = _play_and_compare(size, rng)
            positions += n
            captures += c
    print(f"compared {positions} positions with sgfmill, {captures} stones captured")
    assert positions >= MIN_POSITIONS
    assert captures >= 1000
