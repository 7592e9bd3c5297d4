"""Analysis over GTP: the Leela Zero and KataGo extensions that Sabaki and Lizzie
read, pondering, and the analysis displays of GoGui.

``lz-analyze``/``kata-analyze`` answer ``=[id]`` on a line of its own; then a
background thread (run by ``zerogo.gtp.GtpEngine``) searches and writes one
``info ...`` line per interval until the next input line arrives, which stops the
search and ends the answer with the usual blank line.
``lz-genmove_analyze``/``kata-genmove_analyze`` stream the same lines while
searching with the move budget, then play and answer ``play VERTEX``.  ``--ponder``
searches the same way, silently, on the opponent's time.  ``gogui-analyze_commands``
offers ownership and candidate displays to GoGui.

Win rates, score leads and ownership are given from the analysed colour's view
(KataGo's "side to move" convention).  What a correct search never reports (a value
out of range, a NaN, an illegal line or move) is still written in range, so that
GUIs can read it, but never silently: it is logged and counted as an anomaly
(``engine.analysis.anomalies``).  Start reading at ``AnalysisCommands`` (the
commands; it reaches the engine through the small ``AnalysisHost`` protocol), then
``AnalysisFormatter.format`` (one ``info`` line from an
``engine.analysis.AnalysisSnapshot``).
"""

from __future__ import annotations

import math
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from engine import coords
from engine.analysis import (
    AnalysisSnapshot,
    Candidate,
    check_snapshot,
    ownership_problems,
    record_anomaly,
)
from engine.board import BLACK, Board, IllegalMoveError, color_name, opponent
from engine.game import Game
from engine.player import RESIGN, Budget, Decision, Player
from engine.scoring import ownership
from zerogo.gtp_protocol import (
    FLOAT_PATTERN,
    GtpFailure,
    Handler,
    StreamHandler,
    clip,
    is_color_arg,
    parse_color_arg,
    parse_int_arg,
)

MAX_SLICE_SECONDS = 0.25  # longest search between two checks for a new command
MAX_INTERVAL_CENTISECONDS = 10**6
FALLBACK_OWNERSHIP_PLAYOUTS = 200


# -- what was asked --------------------------------------------------------------------
@dataclass(frozen=True)
class AnalysisRequest:
    """The arguments of one analysis command.

    Attributes:
        style: "lz" (Leela Zero: integers x10000) or "kata" (KataGo: floats).
        color: the colour whose moves are analysed (its view is reported).
        interval: seconds between ``info`` lines, or None for no lines.
        max_moves: at most this many candidates per line (None: all visited).
        ownership: append the ownership of every point (kata only).
        root_info: append ``rootInfo`` with the root's visits and win rate (kata only).
    """

    style: str
    color: int
    interval: float | None = None
    max_moves: int | None = None
    ownership: bool = False
    root_info: bool = False


def parse_interval(text: str) -> float:
    """Return an analysis interval in centiseconds.

    Raises:
        GtpFailure: when ``text`` is no number from 0 to ``MAX_INTERVAL_CENTISECONDS``.
    """
    if not FLOAT_PATTERN.fullmatch(text):
        raise GtpFailure(f"interval not a number: {clip(text)}")
    value = float(text)
    if not 0 <= value <= MAX_INTERVAL_CENTISECONDS:
        raise GtpFailure(f"interval out of range (0 to {MAX_INTERVAL_CENTISECONDS} centiseconds)")
    return value


def parse_analysis_args(args: list[str], style: str, to_move: int) -> AnalysisRequest:
    """Parse ``[color] [interval] [key value ...]`` of an analysis command.

    The interval is in centiseconds (as in Leela Zero and KataGo); it may also be
    given as ``interval N``.  Keys: ``interval``, ``maxmoves``, and for the kata
    commands ``ownership true|false`` and ``rootInfo true|false``.

    Raises:
        GtpFailure: for an unknown key, a missing value or a bad number.
    """
    rest = list(args)
    color = to_move
    if rest and is_color_arg(rest[0]):
        color = parse_color_arg(rest.pop(0))
    centiseconds: float | None = None
    if rest and FLOAT_PATTERN.fullmatch(rest[0]):
        centiseconds = parse_interval(rest.pop(0))
    max_moves = None
    flags = {"ownership": False, "rootinfo": False}
    while rest:
        key = rest.pop(0)
        if not rest:
            raise GtpFailure(f"missing value for analysis option {clip(key)}")
        value = rest.pop(0)
        name = key.lower()
        if name == "interval":
            centiseconds = parse_interval(value)
        elif name == "maxmoves":
            max_moves = parse_int_arg(value, "maxmoves")
            if max_moves < 1:
                raise GtpFailure("maxmoves must be at least 1")
        elif name in flags and style == "kata":
            if value.lower() not in ("true", "false"):
                raise GtpFailure(f"{key} takes true or false")
            flags[name] = value.lower() == "true"
        else:
            raise GtpFailure(f"unsupported analysis option {clip(key)}")
    interval = None if not centiseconds else centiseconds / 100.0
    return AnalysisRequest(style, color, interval, max_moves, flags["ownership"],
                           flags["rootinfo"])


# -- info lines ------------------------------------------------------------------------
def legal_line(board: Board, color: int, line: list[int]) -> list[int]:
    """Return the longest start of ``line`` that replays legally from ``board``.

    ``color`` plays first, then the colours alternate; the line ends at its first
    pass (the pass included).  ``board`` is not modified.
    """
    trial = board.copy()
    out: list[int] = []
    pass_action = board.size * board.size
    for action in line:
        try:
            trial.play(action, color)
        except (IllegalMoveError, ValueError):
            break
        out.append(action)
        if action == pass_action:
            break
        color = opponent(color)
    return out


class AnalysisFormatter:
    """Turns snapshots of one position into ``info`` lines (Leela Zero or KataGo).

    Candidates are ordered by visits (then win rate); each line of principal
    variation stops at its first pass.  What a correct search never gives is
    recorded as an anomaly (``engine.analysis.check_snapshot``), then made readable:
    values are clamped to their range, a line is cut before its first illegal move,
    and a candidate whose own move is illegal is left out.

    Args:
        request: what was asked.
        game: the analysed position (not modified; must not change while in use).
    """

    def __init__(self, request: AnalysisRequest, game: Game) -> None:
        self.request = request
        self.game = game
        self._lines: dict[tuple[int, ...], list[int]] = {}
        self._ownership: np.ndarray | None = None

    def format(self, snapshot: AnalysisSnapshot) -> str:
        """Return one line (without newline) describing ``snapshot``."""
        check_snapshot(snapshot)
        size = self.game.size
        kata = self.request.style == "kata"
        candidates = sorted(snapshot.candidates, key=lambda c: (-c.visits, -c.winrate))
        parts: list[str] = []
        order = 0
        for candidate in candidates:
            if self.request.max_moves is not None and order >= self.request.max_moves:
                break
            line = self.candidate_line(candidate)
            if not line:
                continue
            fields = [f"info move {coords.to_gtp(candidate.action, size)}",
                      f"visits {candidate.visits}"]
            if kata:
                lead = candidate.score_lead
                if lead is None or not math.isfinite(lead):
                    lead = snapshot.score_lead
                fields.append(f"winrate {_unit(candidate.winrate):.6f}")
                if lead is not None and math.isfinite(lead):
                    fields.append(f"scoreMean {lead:.3f} scoreLead {lead:.3f}")
                fields.append(f"prior {_unit(candidate.prior):.6f}")
                fields.append(f"lcb {_unit(candidate.lcb):.6f}")
            else:
                fields.append(f"winrate {_permyriad(candidate.winrate)}")
                fields.append(f"prior {_permyriad(candidate.prior)}")
                fields.append(f"lcb {_permyriad(candidate.lcb)}")
            fields.append(f"order {order}")
            fields.append("pv " + " ".join(coords.to_gtp(a, size) for a in line))
            parts.append(" ".join(fields))
            order += 1
        if kata and self.request.root_info:
            root = f"rootInfo visits {snapshot.visits} winrate {_unit(snapshot.winrate):.6f}"
            if snapshot.score_lead is not None and math.isfinite(snapshot.score_lead):
                root += f" scoreLead {snapshot.score_lead:.3f}"
            parts.append(root)
        if kata and self.request.ownership:
            grid = self.ownership(snapshot)
            parts.append("ownership " + " ".join(f"{v:.4f}" for v in grid))
        return " ".join(parts)

    def ownership(self, snapshot: AnalysisSnapshot) -> np.ndarray:
        """Return float (N*N,) ownership in [-1, 1] from the analysed colour's view,
        row by row from the top-left point (A19 on 19x19) as KataGo gives it.

        Uses the search's ownership; a search without one gets a playout estimate.
        A non-finite value is written as 0 and a value out of range clamped, both
        recorded as anomalies (by ``check_snapshot`` for the search's ownership).
        """
        own = snapshot.ownership
        size = self.game.size
        if own is None or snapshot.to_move != self.request.color:
            if self._ownership is None:
                black = ownership(self.game, playouts=FALLBACK_OWNERSHIP_PLAYOUTS)
                for kind, detail in ownership_problems(black, size):
                    record_anomaly(kind, f"playout estimate: {detail}")
                self._ownership = black if self.request.color == BLACK else -black
            own = self._ownership
        grid = np.asarray(own, dtype=np.float64).reshape(size, size)
        grid = np.clip(np.nan_to_num(grid, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
        return grid[::-1].reshape(-1)

    def legal(self, line: list[int]) -> list[int]:
        """Return ``legal_line`` of ``line`` from the analysed position (cached).

        A line cut before its end other than at a pass holds an illegal move: that is
        recorded as an anomaly (once per line and formatter).
        """
        key = tuple(line)
        if key not in self._lines:
            if len(self._lines) > 10_000:
                self._lines.clear()
            legal = legal_line(self.game.board, self.request.color, line)
            if len(legal) < len(line) and not (legal and legal[-1] == self.game.pass_action):
                size = self.game.size
                record_anomaly("pv", f"illegal move {_vertex(line[len(legal)], size)} "
                               f"at ply {len(legal) + 1} of the line "
                               f"{' '.join(_vertex(a, size) for a in line)} "
                               f"for {color_name(self.request.color)}")
            self._lines[key] = legal
        return self._lines[key]

    def candidate_line(self, candidate: Candidate) -> list[int]:
        """Return the legal start of ``candidate``'s principal variation, or [] when
        its own move is illegal or the line starts elsewhere (an anomaly)."""
        line = self.legal(candidate.pv or [candidate.action])
        if line and line[0] == candidate.action:
            return line
        if candidate.pv and candidate.pv[0] != candidate.action:
            size = self.game.size
            record_anomaly("pv", f"the line of {_vertex(candidate.action, size)} starts with "
                           f"{_vertex(candidate.pv[0], size)}")
        return []


def _vertex(action: int, size: int) -> str:
    """Return the GTP vertex of ``action``, or ``#action`` when it is off the board."""
    try:
        return coords.to_gtp(action, size)
    except ValueError:
        return f"#{action}"


def _unit(value: float) -> float:
    """Return ``value`` clamped to [0, 1] (NaN becomes 0) for output; ``check_snapshot``
    has recorded any such value as an anomaly."""
    return 0.0 if not math.isfinite(value) else min(1.0, max(0.0, value))


def _permyriad(value: float) -> int:
    """Return ``value`` in [0, 1] as an integer in [0, 10000] (Leela Zero's format)."""
    return int(round(_unit(value) * 10000))


# -- streaming -------------------------------------------------------------------------
def _slices(interval: float | None) -> int:
    """Return into how many equal slices of at most ``MAX_SLICE_SECONDS`` the search
    between two lines is cut (so that a new command stops the search soon)."""
    if not interval:
        return 1
    return max(1, math.ceil(interval / MAX_SLICE_SECONDS - 1e-9))


class _Reporter:
    """The ``report`` callback of one analysis: writes a line every ``slices`` reports.

    The player reports after every slice of ``slice`` seconds of search, so the lines
    come one interval apart (plus the time the snapshots take).

    Args:
        formatter: makes the lines.
        write: writes one line of text (newline included); returns False when the
            output is gone.
        stop: set when the analysis must end (then nothing more is written).
    """

    def __init__(self, formatter: AnalysisFormatter, write: Callable[[str], bool],
                 stop: threading.Event | None = None) -> None:
        self.formatter = formatter
        self.write = write
        self.stop = stop
        self.interval = formatter.request.interval
        self.slices = _slices(self.interval)
        self.slice = self.interval / self.slices if self.interval else MAX_SLICE_SECONDS
        self.reports = 0
        self.lines = 0

    def __call__(self, snapshot: AnalysisSnapshot) -> bool:
        if self.stop is not None and self.stop.is_set():
            return False
        self.reports += 1
        if self.interval is None or self.reports % self.slices:
            return True
        text = self.formatter.format(snapshot)
        if not text:
            return True
        if self.stop is not None and self.stop.is_set():
            return False
        self.lines += 1
        return self.write(text + "\n")



# -- the commands ----------------------------------------------------------------------
class AnalysisHost(Protocol):
    """What the analysis commands use of the engine (``zerogo.gtp.GtpEngine``)."""

    @property
    def player(self) -> Player:
        """The player; it has ``analyze`` (``engine.analysis.Analyzer``)."""

    @property
    def game(self) -> Game:
        """The game record."""

    @property
    def move_budget(self) -> Budget:
        """The search of one move without time control."""

    @property
    def ponder(self) -> bool:
        """Whether to search on the opponent's time."""

    def search_game(self) -> Game:
        """Return the game as the player sees it (komi with handicap compensation)."""

    def budget(self, color: int) -> Budget | None:
        """Return the time budget of ``color``'s next move (None without time control)."""

    def commit_decision(self, decision: Decision, color: int, budget: Budget | None,
                        started: float, play: bool) -> str:
        """Charge the clock, play ``decision`` (when ``play``); return the vertex."""

    def emit(self, data: bytes) -> bool:
        """Write ``data`` to the output; return False if the output is gone."""

    def write_line(self, text: str) -> bool:
        """Write one line of text (newline included); return False if the output is gone."""

    def start_background(self, work: Callable[[threading.Event], object],
                         terminator: bytes) -> None:
        """Run ``work(stop)`` on a new thread until the next input line, then write
        ``terminator``."""


class AnalysisCommands:
    """The analysis commands and pondering of one engine.

    ``commands`` and ``streams`` give the command tables to register, for a player
    that can analyse; ``start_ponder`` is called after each move the engine plays.

    Args:
        host: the engine whose game, player and output the commands use.
    """

    def __init__(self, host: AnalysisHost) -> None:
        self.host = host

    def commands(self) -> dict[str, Handler]:
        """Return the GoGui analysis commands (plain answers), by name."""
        return {
            "gogui-analyze_commands": self.gogui_analyze_commands,
            "zerogo-ownership": self.gogui_ownership,
            "zerogo-gfx_ownership": self.gogui_gfx_ownership,
            "zerogo-gfx_candidates": self.gogui_gfx_candidates,
        }

    def streams(self) -> dict[str, StreamHandler]:
        """Return the streamed analysis commands (they write their own answers), by name."""
        return {
            "lz-analyze": lambda args, ident: self.analyze(args, ident, "lz"),
            "kata-analyze": lambda args, ident: self.analyze(args, ident, "kata"),
            "lz-genmove_analyze": lambda args, ident: self.genmove_analyze(args, ident, "lz"),
            "kata-genmove_analyze":
                lambda args, ident: self.genmove_analyze(args, ident, "kata"),
        }

    # -- streamed ----------------------------------------------------------------------
    def analyze(self, args: list[str], ident: str, style: str) -> None:
        """``lz-analyze`` / ``kata-analyze``: stream ``info`` lines until the next line.

        Raises:
            GtpFailure: for bad arguments (before anything is written).
        """
        host = self.host
        request = parse_analysis_args(args, style, host.game.to_move)
        game = host.search_game()
        formatter = AnalysisFormatter(request, game)
        analyze = host.player.analyze  # type: ignore[attr-defined]
        host.emit(f"={ident}\n".encode())

        def work(stop: threading.Event) -> None:
            reporter = _Reporter(formatter, host.write_line, stop)
            analyze(game, request.color, reporter, reporter.slice, None, stop)

        host.start_background(work, b"\n")

    def genmove_analyze(self, args: list[str], ident: str, style: str) -> None:
        """``*-genmove_analyze``: stream ``info`` lines while searching with the move
        budget, then play and answer ``play VERTEX`` (not interrupted by input).

        Raises:
            GtpFailure: for bad arguments (before anything is written).
        """
        host = self.host
        request = parse_analysis_args(args, style, host.game.to_move)
        color = request.color
        game = host.search_game()
        budget = host.budget(color) or host.move_budget
        reporter = _Reporter(AnalysisFormatter(request, game), host.write_line)
        host.emit(f"={ident}\n".encode())
        started = time.monotonic()
        try:
            decision = host.player.analyze(  # type: ignore[attr-defined]
                game, color, reporter, reporter.slice, budget, None
            )
            if decision.action != RESIGN and not game.board.is_legal(decision.action, color):
                record_anomaly("move", f"the search chose the illegal move "
                               f"{_vertex(decision.action, game.size)} for "
                               f"{color_name(color)}; passing instead")
                decision = Decision(game.pass_action)
            vertex = host.commit_decision(decision, color, budget, started, play=True)
        except Exception:  # the answer has begun: end it properly all the same
            traceback.print_exc(file=sys.stderr)
            host.emit(b"\n")
            return
        host.emit(f"play {vertex}\n\n".encode())

    def start_ponder(self) -> None:
        """Search for the opponent's reply until the next command (``--ponder``)."""
        host = self.host
        if not host.ponder or host.game.is_over or not callable(getattr(host.player, "analyze",
                                                                          None)):
            return
        game = host.search_game()
        color = host.game.to_move
        analyze = host.player.analyze  # type: ignore[attr-defined]

        def work(stop: threading.Event) -> None:
            analyze(game, color, lambda snapshot: not stop.is_set(), MAX_SLICE_SECONDS, None,
                    stop)

        host.start_background(work, b"")

    # -- GoGui -------------------------------------------------------------------------
    def gogui_analyze_commands(self, args: list[str]) -> str:
        """``gogui-analyze_commands``: the displays GoGui offers in its Analyze menu."""
        return "\n".join(self.gogui_entries())

    def gogui_entries(self) -> list[str]:
        """Return the analysis displays' lines of ``gogui-analyze_commands``."""
        return [
            "gfx/zerogo: ownership/zerogo-gfx_ownership %m",
            "dboard/zerogo: ownership values/zerogo-ownership %m",
            "gfx/zerogo: best moves/zerogo-gfx_candidates %m",
        ]

    def gogui_ownership(self, args: list[str]) -> str:
        """``zerogo-ownership [COLOR]``: a GoGui dboard, +1 black, top row first."""
        own, _ = self._ownership_black(args, "zerogo-ownership")
        return "\n".join(" ".join(f"{v:.2f}" for v in row) for row in own[::-1])

    def gogui_gfx_ownership(self, args: list[str]) -> str:
        """``zerogo-gfx_ownership [COLOR]``: GoGui INFLUENCE (+1 black) and the lead."""
        own, snapshot = self._ownership_black(args, "zerogo-gfx_ownership")
        size = self.host.game.size
        pairs = " ".join(f"{coords.to_gtp(int(a), size)} {v:.2f}"
                         for a, v in enumerate(own.reshape(-1)))
        lines = [f"INFLUENCE {pairs}"]
        if snapshot.score_lead is not None:
            lead = snapshot.score_lead if snapshot.to_move == BLACK else -snapshot.score_lead
            lines.append(f"TEXT {'black' if lead >= 0 else 'white'} leads by {abs(lead):.1f}")
        return "\n".join(lines)

    def gogui_gfx_candidates(self, args: list[str]) -> str:
        """``zerogo-gfx_candidates [COLOR]``: win rates as labels, the best line as VAR."""
        snapshot, color = self._quick_snapshot(args, "zerogo-gfx_candidates")
        game = self.host.search_game()
        formatter = AnalysisFormatter(AnalysisRequest("lz", color, max_moves=10), game)
        size = game.size
        labels, best = [], None
        for candidate in sorted(snapshot.candidates, key=lambda c: (-c.visits, -c.winrate)):
            line = formatter.candidate_line(candidate)
            if not line or line[0] == game.pass_action:
                continue
            best = best or (candidate, line)
            percent = _permyriad(candidate.winrate) // 100
            labels.append(f"{coords.to_gtp(candidate.action, size)} {percent}")
            if len(labels) == 10:
                break
        if best is None:
            return "TEXT no candidate moves"
        candidate, line = best
        colors = "bw" if color == BLACK else "wb"
        var = " ".join(f"{colors[i % 2]} {coords.to_gtp(a, size)}" for i, a in enumerate(line))
        return "\n".join([
            "LABEL " + " ".join(labels),
            f"VAR {var}",
            f"TEXT {color_name(color)} {coords.to_gtp(candidate.action, size)}: "
            f"{100 * _unit(candidate.winrate):.1f}% win, {candidate.visits} visits "
            f"of {snapshot.visits}",
        ])

    def _quick_snapshot(self, args: list[str], usage: str) -> tuple[AnalysisSnapshot, int]:
        """Search with the move budget for the colour in ``args`` (default: to move)
        and return the last snapshot and the colour."""
        host = self.host
        if len(args) > 1:
            raise GtpFailure(f"syntax error: usage {usage} [COLOR]")
        color = parse_color_arg(args[0]) if args else host.game.to_move
        last: list[AnalysisSnapshot] = []

        def keep(snapshot: AnalysisSnapshot) -> bool:
            last[:] = [snapshot]
            return True

        seconds = host.move_budget.seconds
        interval = min(seconds, 1.0) if seconds else 1.0
        host.player.analyze(  # type: ignore[attr-defined]
            host.search_game(), color, keep, interval, host.move_budget, None
        )
        if not last:
            raise GtpFailure("the search gave no analysis")
        check_snapshot(last[0])
        return last[0], color

    def _ownership_black(self, args: list[str], usage: str) -> tuple[np.ndarray,
                                                                    AnalysisSnapshot]:
        """Return float (N, N) ownership from black's view (row 0 at the bottom)."""
        snapshot, color = self._quick_snapshot(args, usage)
        formatter = AnalysisFormatter(AnalysisRequest("kata", color), self.host.search_game())
        size = self.host.game.size
        own = formatter.ownership(snapshot).reshape(size, size)[::-1]
        return (own if color == BLACK else -own), snapshot
