"""Go positions to photograph: from game records, self-play shards and random playouts.

A position here is what a photo shows: ``stones`` int8 (N, N), ``[row, col]`` with
**row 0 at the top of the picture** (the diagram's row N, GTP ``A19`` on 19x19 at the
top left), 0 empty, 1 black (``engine.board.BLACK``), 2 white.  ``to_board_array``
and ``from_board_array`` convert from and to ``engine.board.Board.to_array`` (row 0 at
the bottom).

Sources:

* ``random_position``: a playout of uniformly random legal moves that do not fill the
  mover's own eyes (captures happen), stopped after a random number of moves;
* ``game_positions``: every position of an SGF game record's main line;
* ``shard_positions``: every position of the games of a self-play shard
  (``selfplay.shards``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from engine import coords
from engine.board import Board


def from_board_array(array: np.ndarray) -> np.ndarray:
    """Return a ``Board.to_array`` (row 0 at the bottom) with row 0 at the top."""
    return np.ascontiguousarray(np.asarray(array, dtype=np.int8)[::-1])


def to_board_array(stones: np.ndarray) -> np.ndarray:
    """Return picture stones (row 0 at the top) as ``Board.to_array`` has them (row 0 below)."""
    return np.ascontiguousarray(np.asarray(stones, dtype=np.int8)[::-1])


def picture_point_to_action(row: int, col: int, size: int) -> int:
    """Return the flat action (``engine.coords``) of picture point (row from the top, col)."""
    return coords.to_action(size - 1 - row, col, size)


def random_position(size: int, rng: np.random.Generator, moves: int | None = None) -> np.ndarray:
    """Return the position after a random playout, row 0 at the top.

    Args:
        size: board size.
        rng: the random source.
        moves: moves to play (passes when no move is left); None: uniform in
            ``0 .. 0.9 N^2``.
    """
    board = Board(size)
    count = int(rng.integers(0, int(0.9 * size * size) + 1)) if moves is None else moves
    for _ in range(count):
        legal = np.flatnonzero(board.legal_mask()[: size * size])
        rng.shuffle(legal)
        for action in legal:
            if not board.fills_own_eye(int(action), board.to_move):
                board.play(int(action))
                break
        else:
            board.play(size * size)
    return from_board_array(board.to_array())


def game_positions(path: str | Path) -> Iterator[np.ndarray]:
    """Yield every position of an SGF game's main line (setup first), row 0 at the top.

    Raises:
        engine.sgf.SgfError: for a file that is not a valid game record.
    """
    from engine.game import Game
    from engine.sgf import load_sgf_file

    record = load_sgf_file(path)
    game = Game(record.size, record.komi, record.rules)
    if record.setup_black or record.setup_white:
        game.setup_stones(
            record.setup_black,
            record.setup_white,
            record.moves[0].color if record.moves else record.board.to_move,
        )
    yield from_board_array(game.board.to_array())
    for move in record.moves:
        game.play(move.action, move.color)
        yield from_board_array(game.board.to_array())


def shard_positions(path: str | Path) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(size, stones)`` for every position of every game of a self-play shard."""
    from selfplay.shards import read_shard

    arrays = read_shard(path)
    offsets = arrays["game_offsets"]
    for g in range(len(offsets) - 1):
        size = int(arrays["size"][g])
        board = Board(size)
        yield size, from_board_array(board.to_array())
        for action in arrays["moves"][offsets[g] : offsets[g + 1]]:
            board.play(int(action))
            yield size, from_board_array(board.to_array())


__all__ = [
    "from_board_array",
    "game_positions",
    "picture_point_to_action",
    "random_position",
    "shard_positions",
    "to_board_array",
]
