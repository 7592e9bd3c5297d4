"""The player protocol: anything that chooses a move for a game.

A player is given the whole ``Game`` (so it can reuse its search tree by looking at
the moves played since it last moved) and returns a ``Decision``.  Players are built
by name through ``zerogo.players`` (the one place where a search meets a network).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from engine.game import Game

RESIGN = -1


@dataclass(frozen=True)
class Budget:
    """How much thinking one move may use; ``None`` fields are unlimited.

    Attributes:
        playouts: simulations (pure MCTS playouts or network visits).
        seconds: wall-clock seconds.
    """

    playouts: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.playouts is not None and self.playouts < 1:
            raise ValueError("playouts must be at least 1")
        if self.seconds is not None and self.seconds <= 0:
            raise ValueError("seconds must be positive")


@dataclass
class Decision:
    """A chosen move and what the search thought of it.

    Attributes:
        action: flat action, ``N*N`` for pass, ``RESIGN`` for resignation.
        winrate: estimated winning probability of the side to move, if known.
        visits: simulations spent on this decision.
        info: free-form extras (principal variation, candidate statistics).
    """

    action: int
    winrate: float | None = None
    visits: int = 0
    info: dict[str, object] = field(default_factory=dict)


class Player(Protocol):
    """Chooses moves.  ``genmove`` must not modify ``game``."""

    name: str

    def genmove(
        self, game: Game, color: int, budget: Budget | None = None, cleanup: bool = False
    ) -> Decision:
        """Return the move ``color`` should play now in ``game``.

        Args:
            game: the game so far (not modified).
            color: the colour to play (usually ``game.to_move``).
            budget: overrides the player's own budget for this move.
            cleanup: capture every dead opponent stone before passing (KGS cleanup).
        """
        ...

    def reset(self) -> None:
        """Forget everything about the current game (new game, new board size)."""
        ...
