"""A uniformly random player: any legal move that does not fill its own eye.

The weakest registered player: the floor of every strength table, and a fast,
legal opponent for tests of the GTP front end and the match runner.
"""

from __future__ import annotations

import numpy as np

from engine import coords
from engine.board import BLACK, WHITE
from engine.game import Game
from engine.player import Budget, Decision


class RandomPlayer:
    """Plays uniformly among legal moves that do not fill a one-point eye; passes when none."""

    name = "random"

    def __init__(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def genmove(
        self, game: Game, color: int, budget: Budget | None = None, cleanup: bool = False
    ) -> Decision:
        """Return a random legal, non-eye-filling move of ``color`` (pass if none)."""
        board = game.board
        legal = board.legal_mask(color)
        candidates = [
            a for a in np.flatnonzero(legal[:-1]) if not board.fills_own_eye(int(a), color)
        ]
        if not candidates:
            return Decision(coords.pass_action(game.size))
        return Decision(int(self._rng.choice(candidates)))

    def reset(self) -> None:
        """Nothing to forget."""


__all__ = ["BLACK", "WHITE", "RandomPlayer"]
