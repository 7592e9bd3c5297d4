"""The engine's thinking, off the window's thread.

``EngineThread`` owns one worker thread that runs requests one after another: a
search for a move (``think``), open-ended analysis of a position (``think`` with
``ponder=True``), or a player ``reset``.  Searches run ``player.analyze(...)``
(see ``engine.analysis``) with the move budget and a stop ``Event``; each snapshot
and the final decision come back through a queue that the window drains once a
frame with ``poll``.  The numba kernels of the search release the GIL, so the
window keeps drawing while the engine thinks.

Every request has a ticket number; ``cancel`` stops the running search and makes
the window ignore whatever it still reports (an undo or a new game made it stale).
``stop`` ends the running search early but keeps its answer: the engine plays its
best move so far.  Players without ``analyze`` (``random``) answer with ``genmove``.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

from engine.analysis import AnalysisSnapshot
from engine.game import Game
from engine.player import Budget, Decision, Player


@dataclass(frozen=True)
class Snapshot:
    """A progress report of search ``ticket`` about the position after ``ply`` moves."""

    ticket: int
    ply: int
    snapshot: AnalysisSnapshot


@dataclass(frozen=True)
class Finished:
    """The end of search ``ticket``: its decision, or the error that stopped it."""

    ticket: int
    ply: int
    color: int
    decision: Decision | None
    error: str | None = None


@dataclass(frozen=True)
class _Think:
    ticket: int
    game: Game
    color: int
    budget: Budget | None
    stop: threading.Event


_RESET = "reset"
_QUIT = "quit"


class EngineThread:
    """Runs a player's searches in a background thread.

    Args:
        player: the engine.
        interval: seconds between analysis snapshots.
    """

    def __init__(self, player: Player, interval: float = 0.1) -> None:
        self.player = player
        self.interval = interval
        self._requests: queue.Queue[_Think | str] = queue.Queue()
        self._results: queue.Queue[Snapshot | Finished] = queue.Queue()
        self._lock = threading.Lock()
        self._ticket = 0
        self._cancelled: set[int] = set()
        self._running: _Think | None = None
        self._in_genmove = False
        self._pending = 0
        self._thread = threading.Thread(target=self._work, name="zerogo-engine", daemon=True)
        self._thread.start()

    # -- requests (window thread) -------------------------------------------------
    def think(self, game: Game, color: int, budget: Budget | None, ponder: bool = False) -> int:
        """Queue a search for ``color`` in a copy of ``game``; return its ticket.

        Args:
            game: the position (copied: the window may change its game meanwhile).
            color: the side to search for.
            budget: the search's limit; None searches until ``stop`` or ``cancel``.
            ponder: analyse only (open-ended, never through ``genmove``).
        """
        copy = game.replay()
        copy.result = game.result
        with self._lock:
            self._ticket += 1
            ticket = self._ticket
            self._pending += 1
        if ponder:
            budget = None
        self._requests.put(_Think(ticket, copy, color, budget, threading.Event()))
        return ticket

    def stop(self) -> None:
        """End the running search now; it still reports its best move so far."""
        with self._lock:
            running = self._running
            in_genmove = self._in_genmove
        if running is not None:
            running.stop.set()
            stop_player = getattr(self.player, "stop", None)
            if in_genmove and callable(stop_player):
                stop_player()  # genmove has no stop event; the player's own switch

    def cancel(self, ticket: int | None) -> None:
        """Stop search ``ticket`` (queued or running) and drop what it reports."""
        if ticket is None:
            return
        with self._lock:
            self._cancelled.add(ticket)
            running = self._running
        if running is not None and running.ticket == ticket:
            self.stop()

    def reset(self) -> None:
        """Make the player forget its trees (after the queued searches end)."""
        with self._lock:
            self._pending += 1
        self._requests.put(_RESET)

    def poll(self) -> list[Snapshot | Finished]:
        """Return what the searches reported since the last call (never blocks),
        without the reports of cancelled tickets."""
        out: list[Snapshot | Finished] = []
        while True:
            try:
                item = self._results.get_nowait()
            except queue.Empty:
                return out
            with self._lock:
                if item.ticket in self._cancelled:
                    continue
            out.append(item)

    @property
    def busy(self) -> bool:
        """True while a request is queued or running."""
        with self._lock:
            return self._pending > 0

    def close(self, timeout: float = 5.0) -> None:
        """Cancel everything and end the worker thread."""
        with self._lock:
            running = self._running
            self._cancelled.update(range(self._ticket + 1))
        if running is not None:
            self.stop()
        self._requests.put(_QUIT)
        self._thread.join(timeout)

    # -- worker thread --------------------------------------------------------------
    def _work(self) -> None:
        while True:
            request = self._requests.get()
            if request == _QUIT:
                return
            try:
                if isinstance(request, _Think):
                    self._search(request)
                else:
                    self.player.reset()
            except Exception as exc:  # a failed reset must not end the worker
                self._results.put(Finished(-1, 0, 0, None, f"reset: {exc}"))
            finally:
                with self._lock:
                    self._pending -= 1

    def _search(self, request: _Think) -> None:
        with self._lock:
            if request.ticket in self._cancelled:
                return
            self._running = request
        game, color, ticket = request.game, request.color, request.ticket
        ply = len(game.moves)

        def report(snapshot: AnalysisSnapshot) -> bool:
            self._results.put(Snapshot(ticket, ply, snapshot))
            return not request.stop.is_set()

        try:
            analyze = getattr(self.player, "analyze", None)
            last = game.last_move
            opponent_passed = last is not None and last.action == game.pass_action
            if request.budget is None or (analyze is not None and not opponent_passed):
                if analyze is None:
                    raise ValueError(f"the {self.player.name} player cannot analyse")
                decision = analyze(game, color, report, self.interval, request.budget,
                                   request.stop)
            else:
                # genmove applies the player's own rules for answering a pass
                with self._lock:
                    self._in_genmove = True
                decision = self.player.genmove(game, color, request.budget)
            self._results.put(Finished(ticket, ply, color, decision))
        except Exception as exc:  # the window shows it; the worker must live on
            self._results.put(Finished(ticket, ply, color, None, f"{type(exc).__name__}: {exc}"))
        finally:
            with self._lock:
                self._running = None
                self._in_genmove = False
