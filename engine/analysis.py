"""What a search thinks, at any moment: the data behind analysis displays.

``AnalysisSnapshot`` is what GTP analysis commands (``lz-analyze``, ``kata-analyze``)
and the GUI overlays show.  Perspective, as in KataGo's analysis: win rates and score
leads are for the side to move at the analysed position; ownership is given both
from the side to move's view and from black's view.

Players that can analyse implement ``analyze``: search from the current position,
call ``report`` with a fresh snapshot every ``interval`` seconds, and stop when the
budget is spent, when ``stop`` is set, or when ``report`` returns False.

A snapshot outside these ranges (a NaN, a win rate above 1, an illegal line) is a
search bug.  Displays may still clamp what they show, but never silently:
``check_snapshot`` and ``record_anomaly`` log a warning (``logging``, logger
``engine.analysis``; stderr unless configured) and count it in ``anomalies``, which
the test suite asserts stays at zero.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from engine.game import Game
from engine.player import Budget, Decision

logger = logging.getLogger(__name__)

ROUNDING_SLACK = 1e-6
"""How far a value may stray past its range by float rounding before it counts as a bug."""


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


# -- anomalies: values a correct search never reports -----------------------------------
class AnalysisAnomalies:
    """A thread-safe count of analysis anomalies by kind, each logged as a warning.

    Every occurrence is counted; the first ``log_limit`` of each kind are logged (a
    search stuck on a bug would otherwise write a warning per analysis line), then one
    message says that the rest are only counted.

    Args:
        log_limit: warnings logged per kind.
    """

    def __init__(self, log_limit: int = 20) -> None:
        self.log_limit = log_limit
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, kind: str, detail: str) -> None:
        """Count one anomaly of ``kind`` (e.g. ``"winrate"``) and log ``detail``."""
        with self._lock:
            self._counts[kind] += 1
            seen = self._counts[kind]
        if seen <= self.log_limit:
            logger.warning("analysis anomaly (%s): %s", kind, detail)
        if seen == self.log_limit:
            logger.warning("analysis anomaly (%s): further ones are counted, not logged", kind)

    def total(self) -> int:
        """Return the number of anomalies recorded since the last ``clear``."""
        with self._lock:
            return sum(self._counts.values())

    def counts(self) -> dict[str, int]:
        """Return the anomalies recorded since the last ``clear``, by kind."""
        with self._lock:
            return dict(self._counts)

    def clear(self) -> None:
        """Forget the anomalies recorded so far."""
        with self._lock:
            self._counts.clear()


anomalies = AnalysisAnomalies()
"""The process's anomaly count: what ``record_anomaly`` and ``check_snapshot`` add to."""


def record_anomaly(kind: str, detail: str) -> None:
    """Count and log one anomaly in ``anomalies`` (see ``AnalysisAnomalies.record``)."""
    anomalies.record(kind, detail)


def _in_range(value: float | None, low: float, high: float) -> bool:
    return (value is not None and math.isfinite(value)
            and low - ROUNDING_SLACK <= value <= high + ROUNDING_SLACK)


def ownership_problems(ownership: np.ndarray, size: int) -> list[tuple[str, str]]:
    """Return the problems of an ownership array as ``(kind, detail)`` pairs.

    A correct ownership has N*N finite values in [-1, 1].
    """
    values = np.asarray(ownership, dtype=np.float64)
    if values.size != size * size:
        return [("ownership", f"{values.size} values for a {size}x{size} board")]
    problems = []
    nan = int(np.count_nonzero(~np.isfinite(values)))
    if nan:
        problems.append(("ownership", f"{nan} non-finite values"))
    outside = int(np.count_nonzero(np.abs(values[np.isfinite(values)]) > 1 + ROUNDING_SLACK))
    if outside:
        extreme = float(np.max(np.abs(values[np.isfinite(values)])))
        problems.append(("ownership", f"{outside} values outside [-1, 1] (|max| {extreme:.4g})"))
    return problems


def snapshot_problems(snapshot: AnalysisSnapshot) -> list[tuple[str, str]]:
    """Return what in ``snapshot`` no correct search reports, as ``(kind, detail)`` pairs.

    Checked: win rates, priors and lower bounds in [0, 1]; visits non-negative;
    score leads finite (or None); candidate actions on the board (or pass); the
    ownership (see ``ownership_problems``).  The legality of principal variations needs
    the board: ``zerogo.gtp_analysis`` checks it.
    """
    problems: list[tuple[str, str]] = []
    if not _in_range(snapshot.winrate, 0.0, 1.0):
        problems.append(("winrate", f"root win rate {snapshot.winrate!r}"))
    if snapshot.visits < 0:
        problems.append(("visits", f"root visits {snapshot.visits}"))
    if snapshot.score_lead is not None and not math.isfinite(snapshot.score_lead):
        problems.append(("score_lead", f"root score lead {snapshot.score_lead!r}"))
    points = snapshot.size * snapshot.size
    for c in snapshot.candidates:
        if not 0 <= c.action <= points:
            problems.append(("action", f"candidate action {c.action} off a {points}-point board"))
            continue
        for name in ("winrate", "prior", "lcb"):
            value = getattr(c, name)
            if not _in_range(value, 0.0, 1.0):
                problems.append((name, f"action {c.action}: {name} {value!r}"))
        if c.visits < 0:
            problems.append(("visits", f"action {c.action}: visits {c.visits}"))
        if c.score_lead is not None and not math.isfinite(c.score_lead):
            problems.append(("score_lead", f"action {c.action}: score lead {c.score_lead!r}"))
    if snapshot.ownership is not None:
        problems += ownership_problems(snapshot.ownership, snapshot.size)
    return problems


def check_snapshot(snapshot: AnalysisSnapshot) -> bool:
    """Record every problem of ``snapshot`` in ``anomalies``; return True if it has none."""
    problems = snapshot_problems(snapshot)
    for kind, detail in problems:
        record_anomaly(kind, detail)
    return not problems
