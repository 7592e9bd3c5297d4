"""What a search thinks, at any moment: the data behind analysis displays.

``AnalysisSnapshot`` is what GTP analysis commands (``lz-analyze``, ``kata-analyze``)
and the GUI overlays show.  Perspective, as in KataGo's analysis: win rates and score
leads are for the side to move at the analysed position; ownership is given both
from the side to move's view and from black's view.

Players that can analyse implement ``analyze``: search from the current position,
call ``report`` with a fresh snapshot every ``interval`` seconds, and stop when the
budget is spent, when ``stop`` is set, or when ``report`` returns False.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from engine.game import Game
from engine.player import Budget, Decision


@dataclass
class Candidate:
    """One root move under analysis.

    Attributes:
        action: flat action (pass is N*N).
        visits: simulations through this move.
        winrate: win probability for the side to move after choosing it, [0, 1].
        prior: the policy prior (network) or feature prior (pure MCTS), [0, 1].
        lcb: a lower confidence bound of the win rate, [0, 1].
        pv: the principal variation starting with this move (flat actions).
        score_lead: expected points ahead of the opponent for the side to move,
            komi included, or None when the search has no score estimate.
    """

    action: int
    visits: int
    winrate: float
    prior: float
    lcb: float
    pv: list[int]
    score_lead: float | None = None


@dataclass
class AnalysisSnapshot:
    """The state of a search.

    Attributes:
        size: board size.
        to_move: the colour whose moves are analysed.
        visits: simulations at the root.
        winrate: the root's win probability for ``to_move``.
        score_lead: expected lead of ``to_move`` (komi included), or None.
        candidates: root moves with visits, most visited first.
        ownership: float (N, N) in [-1, 1] from ``to_move``'s view, row 0 at the
            bottom, or None.
    """

    size: int
    to_move: int
    visits: int
    winrate: float
    score_lead: float | None
    candidates: list[Candidate] = field(default_factory=list)
    ownership: np.ndarray | None = None

    def ownership_black(self) -> np.ndarray | None:
        """Return the ownership from black's view (+1 black)."""
        if self.ownership is None:
            return None
        return self.ownership if self.to_move == 1 else -self.ownership


def lower_confidence_bound(winrate: float, visits: float, z: float = 1.96) -> float:
    """Return a Wilson lower bound of a win rate measured over ``visits`` simulations."""
    if visits <= 0:
        return 0.0
    denominator = 1.0 + z * z / visits
    centre = winrate + z * z / (2.0 * visits)
    variance = max(winrate * (1.0 - winrate), 0.0) / visits + z * z / (4 * visits * visits)
    spread = z * math.sqrt(variance)
    return max(0.0, (centre - spread) / denominator)


class Analyzer(Protocol):
    """A player that can report its search while it runs."""

    def analyze(
        self,
        game: Game,
        color: int,
        report: Callable[[AnalysisSnapshot], bool],
        interval: float = 0.1,
        budget: Budget | None = None,
        stop: threading.Event | None = None,
    ) -> Decision:
        """Search for ``color`` from ``game``'s position, reporting as it goes.

        Args:
            game: the position (not modified).
            color: the side to analyse.
            report: called with a snapshot every ``interval`` seconds and at the end;
                returning False stops the search.
            interval: seconds between reports.
            budget: limits of the search (None: until stopped).
            stop: set it (from another thread) to stop the search.

        Returns:
            The move the search would play now.
        """
        ...
