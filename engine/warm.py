"""Exercise every numba kernel once so that its machine code is compiled and cached."""

from __future__ import annotations

import numpy as np

from engine import _playout_kernels as P
from engine.board import Board
from engine.game import Game


def warm_all() -> None:
    """Compile (or load from cache) the kernels used by the engine."""
    for size in (5, 9):
        game = Game(size)
        game.play(0)
        game.board.legal_mask()
        game.board.tromp_taylor_owner()
        game.tromp_taylor_score()
        Board(size).copy().play(size * size)
    s = P.new_state(9)
    P.run_light_playouts(s, 2, np.uint64(1))
