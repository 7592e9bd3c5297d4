"""``zerogo gtp``: the engine over the Go Text Protocol, version 2, on stdin/stdout.

Start reading at ``GtpEngine.execute``: it takes one raw input line, preprocesses it
as the specification says (control characters other than HT/LF dropped, ``#``
comments removed, HT turned into space, empty lines ignored), reads the optional
id and answers ``=[id] response\\n\\n`` or ``?[id] message\\n\\n``.  Every failure,
including one the code did not foresee, becomes a ``?`` answer; the loop keeps
running and nothing but answers is written to stdout.

Sections of this module:

* **time control** (``time_settings``, ``kgs-time_settings``, ``time_left``): a
  ``TimeControl`` plus one ``Clock`` per colour; ``allocate_seconds`` (a pure
  function) turns them into the seconds of one move.  That budget replaces the
  player's own only while time controls are set.
* **handicap compensation**: white receives points for black's handicap stones
  (``--handicap-compensation``: ``aga`` N-1, the default; ``chinese`` N; ``none``);
  they are added to the komi that the search and ``final_score`` use.
* **analysis** (``lz-analyze``, ``kata-analyze``, ``lz-genmove_analyze``,
  ``kata-genmove_analyze``): the Leela Zero and KataGo GTP extensions that Sabaki
  and Lizzie read.  ``lz-analyze``/``kata-analyze`` answer ``=[id]`` on a line of
  its own, then a background thread searches and writes one ``info ...`` line per
  interval until the next input line arrives; the main thread then stops the
  search and ends the answer with the usual blank line.  Win rates, score leads
  and ownership are given from the analysed colour's view (KataGo's "side to move"
  convention).  ``--ponder`` searches the same way, silently, on the opponent's
  time.  ``gogui-analyze_commands`` offers ownership and candidate displays to GoGui.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import re
import shlex
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import BinaryIO

import numpy as np

from engine import coords, handicap
from engine.analysis import AnalysisSnapshot
from engine.board import (
    BLACK,
    EMPTY,
    MAX_SIZE,
    MIN_SIZE,
    WHITE,
    Board,
    IllegalMoveError,
    color_name,
    opponent,
)
from engine.board import parse_color as _parse_color
from engine.game import DEFAULT_KOMI, Game
from engine.player import RESIGN, Budget, Decision, Player
from engine.scoring import FinalPosition, final_position, ownership
from engine.sgf import SgfError, load_sgf_file, save_sgf
from zerogo import __version__
from zerogo.players import add_player_arguments, budget_from_args, make_player

ENGINE_NAME = "zerogo"
MAX_KOMI = 1000.0
MAX_TIME_SECONDS = 10**9

LAG_SECONDS = 0.3  # least time kept back from a move for network and GUI lag
LAG_FRACTION = 0.1  # ... or this share of the time at stake, whichever is more
OVERHEAD_SECONDS = 0.05  # assumed cost of a move beyond its search budget
MIN_SECONDS = 0.02  # the shortest search ever asked for
GAME_LENGTH_PER_POINT = 0.7  # a typical game lasts about 0.7 * N * N plies
MAX_MAIN_SHARE = 0.25  # no move takes more than this share of the usable main time

HANDICAP_RULES = ("aga", "chinese", "none")
DEFAULT_HANDICAP_RULE = "aga"

MAX_SLICE_SECONDS = 0.25  # longest search between two checks for a new command
MAX_INTERVAL_CENTISECONDS = 10**6
FALLBACK_OWNERSHIP_PLAYOUTS = 200

_ID = re.compile(r"[0-9]+")
_INT = re.compile(r"[+-]?[0-9]{1,15}")
_FLOAT = re.compile(r"[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")
# Bytes removed by preprocessing: every control character except HT and LF, and DEL.
_CONTROL = bytes(c for c in range(32) if c not in (9, 10)) + b"\x7f"


def _program() -> tuple[str, list[str]]:
    """Return the absolute program path and leading arguments that start ``zerogo``.

    Prefers the running ``zerogo`` script, then the one installed beside this Python
    (the virtual environment's ``bin``), then one on PATH; falls back to
    ``python -m zerogo``.
    """
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    candidates = [argv0] if os.path.basename(argv0) == "zerogo" else []
    candidates.append(os.path.join(os.path.dirname(sys.executable), "zerogo"))
    candidates.append(shutil.which("zerogo") or "")
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate), []
    return os.path.abspath(sys.executable), ["-m", "zerogo"]


def gui_command_line(extra: str = "--player mcts --size 9") -> str:
    """Return the full command line that runs this engine over GTP (for GoGui, twogtp)."""
    program, lead = _program()
    return shlex.join([program, *lead, "gtp", *shlex.split(extra)])


HELP = "run the engine over GTP (Sabaki, GoGui, KGS, match runners)"
_PROGRAM, _LEAD = _program()
DESCRIPTION = f"""\
Speak the Go Text Protocol (version 2) on stdin/stdout, for GUIs, servers and
match runners.  Diagnostics go to stderr.

Sabaki (Engines > Manage Engines > Add), then attach it; F4 toggles analysis:

    Path:      {shlex.quote(_PROGRAM)}
    Arguments: {shlex.join([*_LEAD, "gtp", "--player", "mcts", "--seconds", "2"])}

With a network instead:  {shlex.join([*_LEAD, "gtp", "--player", "net", "--weights", "NET.pt"])}

Command line to paste into GoGui (Program > New Program) or gogui-twogtp:

    {gui_command_line()}

Analysis: lz-analyze, kata-analyze (with 'ownership true'), lz-genmove_analyze and
kata-genmove_analyze stream 'info' lines in the Leela Zero / KataGo formats; win
rates, score leads and ownership are from the analysed colour's view.  GoGui finds
ownership and candidate displays through gogui-analyze_commands.

Time controls sent by the controller (time_settings, kgs-time_settings,
time_left) replace --seconds/--playouts while they are set.  Handicap stones
give white compensation points (--handicap-compensation, default aga: N-1).
"""


# -- time control ------------------------------------------------------------------
@dataclass(frozen=True)
class TimeControl:
    """The time system of a game.

    Attributes:
        kind: "none", "absolute", "byoyomi" (Japanese periods) or "canadian".
        main_time: seconds of main time.
        period_time: seconds of one byo-yomi period (byoyomi, canadian).
        period_count: byoyomi: number of periods; canadian: stones per period.
    """

    kind: str = "none"
    main_time: float = 0.0
    period_time: float = 0.0
    period_count: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("none", "absolute", "byoyomi", "canadian"):
            raise ValueError(f"unknown time system {self.kind!r}")
        if self.main_time < 0 or self.period_time < 0 or self.period_count < 0:
            raise ValueError("time settings must not be negative")
        if self.kind in ("byoyomi", "canadian") and (
            self.period_time <= 0 or self.period_count < 1
        ):
            raise ValueError(f"{self.kind} needs a positive period time and count")


@dataclass(frozen=True)
class Clock:
    """What one player has left.

    Attributes:
        main_left: seconds of main time left.
        period_left: seconds left in the current byo-yomi period.
        count_left: byoyomi: periods left; canadian: stones left in this period.
    """

    main_left: float
    period_left: float
    count_left: int

    @classmethod
    def start(cls, control: TimeControl) -> Clock:
        """Return a full clock for ``control``."""
        return cls(control.main_time, control.period_time, control.period_count)


def typical_game_length(size: int) -> float:
    """Return the plies (moves of both players) of a typical game on ``size``."""
    return GAME_LENGTH_PER_POINT * size * size


def expected_moves_left(size: int, moves_played: int) -> float:
    """Return how many more moves one player should expect to make.

    A game is taken to last ``typical_game_length`` plies; at least
    ``max(6, N * N / 10)`` own moves are always assumed to remain.
    """
    own_left = (typical_game_length(size) - moves_played) / 2.0
    return max(own_left, 6.0, size * size / 10.0)


def phase_weight(size: int, moves_played: int) -> float:
    """Return how much of an average move's time a move at ``moves_played`` deserves.

    A bell over the game: 0.67 in the opening and the late endgame, 1.5 in the
    middle game (a third of a typical game in), 0.6 past the typical length.
    """
    x = moves_played / typical_game_length(size)
    return 0.6 + 0.9 * math.exp(-(((x - 0.35) / 0.22) ** 2))


def lag_margin(seconds: float) -> float:
    """Return the time kept back for lag from ``seconds`` at stake: max(0.3 s, 10 %)."""
    return max(LAG_SECONDS, LAG_FRACTION * seconds)


def main_time_share(main_left: float, size: int, moves_played: int, sudden_death: bool,
                    overhead: float = OVERHEAD_SECONDS) -> float:
    """Return the main time one move may use (0 when there is none to spare).

    The usable main time is shared over ``expected_moves_left``, weighted by
    ``phase_weight`` and capped at ``MAX_MAIN_SHARE`` of it.  In sudden death the
    usable time excludes a lag margin and ``overhead`` for every expected move plus
    ``N * N / 4`` more, so that a game much longer than usual is still finished in
    time; when byo-yomi follows, all main time is usable.
    """
    if main_left <= 0:
        return 0.0
    moves = expected_moves_left(size, moves_played)
    usable = main_left
    if sudden_death:
        usable -= lag_margin(main_left) + overhead * (moves + size * size / 4.0)
    if usable <= 0:
        return 0.0
    share = usable / moves * phase_weight(size, moves_played)
    return min(share, MAX_MAIN_SHARE * usable)


def allocate_seconds(control: TimeControl, clock: Clock, size: int, moves_played: int,
                     overhead: float = OVERHEAD_SECONDS) -> float | None:
    """Return the seconds one move may take, or None without time control.

    * absolute (sudden death): ``main_time_share`` of the main time left;
    * byo-yomi, in byo-yomi: the period (Japanese) or the period's time divided
      by the stones left in it (Canadian), less ``lag_margin`` and ``overhead``;
    * byo-yomi, still in main time: the main-time share plus what a byo-yomi move
      may take (a move that overruns the main time ends inside the period).

    Every amount is at least ``MIN_SECONDS``.

    Args:
        control: the time system.
        clock: the clock of the player to move.
        size: board size.
        moves_played: moves played so far by both players.
        overhead: what a move costs beyond its search budget (search overrun,
            protocol round trip), in seconds.

    Returns:
        Seconds for this move, or None when ``control.kind`` is "none".
    """
    if control.kind == "none":
        return None
    sudden_death = control.kind == "absolute"
    main = main_time_share(clock.main_left, size, moves_played, sudden_death, overhead)
    if sudden_death:
        return max(MIN_SECONDS, main)
    if control.kind == "byoyomi":
        per_move = clock.period_left if clock.main_left <= 0 else control.period_time
    elif clock.main_left > 0:
        per_move = control.period_time / control.period_count
    else:
        per_move = clock.period_left / max(1, clock.count_left)
    byo = max(0.0, per_move - lag_margin(per_move) - overhead)
    return max(MIN_SECONDS, main + byo)


def spend(control: TimeControl, clock: Clock, seconds: float) -> Clock:
    """Return ``clock`` after its player used ``seconds`` on one move.

    Main time is used first; the overflow starts byo-yomi.  A Canadian period
    starts again full once its stones are played; a Japanese period is lost when
    a move takes longer than it.
    """
    if control.kind == "none":
        return clock
    main = clock.main_left - seconds
    if main >= 0 or control.kind == "absolute":
        return replace(clock, main_left=max(main, 0.0))
    overflow = -main if clock.main_left > 0 else seconds
    if control.kind == "byoyomi":
        count = clock.count_left
        period = clock.period_left if clock.main_left <= 0 else control.period_time
        while overflow > period and count > 0:
            overflow -= period
            count -= 1
            period = control.period_time
        return Clock(0.0, control.period_time, count)
    period_left = clock.period_left - overflow
    count = clock.count_left - 1
    if count <= 0:
        return Clock(0.0, control.period_time, control.period_count)
    return Clock(0.0, period_left, count)


# -- handicap -----------------------------------------------------------------------
def handicap_compensation(rule: str, stones: int) -> float:
    """Return the points white receives for ``stones`` handicap stones.

    ``aga`` (AGA and BGA rules): one point per stone after the first (N - 1);
    ``chinese`` (Chinese rules as KGS and OGS apply them): one per stone (N);
    ``none`` (Tromp-Taylor, Japanese, New Zealand): nothing.  Games without
    handicap (fewer than 2 stones) get nothing under every rule.

    Raises:
        ValueError: for an unknown rule.
    """
    if rule not in HANDICAP_RULES:
        raise ValueError(f"unknown handicap compensation {rule!r}; choose from {HANDICAP_RULES}")
    if stones < 2 or rule == "none":
        return 0.0
    return float(stones - 1 if rule == "aga" else stones)


# -- analysis output ----------------------------------------------------------------
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
    if rest and _is_color(rest[0]):
        color = _parse_colour(rest.pop(0))
    centiseconds: float | None = None
    if rest and _FLOAT.fullmatch(rest[0]):
        centiseconds = _parse_interval(rest.pop(0))
    max_moves = None
    flags = {"ownership": False, "rootinfo": False}
    while rest:
        key = rest.pop(0)
        if not rest:
            raise GtpFailure(f"missing value for analysis option {_clip(key)}")
        value = rest.pop(0)
        name = key.lower()
        if name == "interval":
            centiseconds = _parse_interval(value)
        elif name == "maxmoves":
            max_moves = _parse_int(value, "maxmoves")
            if max_moves < 1:
                raise GtpFailure("maxmoves must be at least 1")
        elif name in flags and style == "kata":
            if value.lower() not in ("true", "false"):
                raise GtpFailure(f"{key} takes true or false")
            flags[name] = value.lower() == "true"
        else:
            raise GtpFailure(f"unsupported analysis option {_clip(key)}")
    interval = None if not centiseconds else centiseconds / 100.0
    return AnalysisRequest(style, color, interval, max_moves, flags["ownership"],
                           flags["rootinfo"])


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
    variation is cut to what replays legally and stops at its first pass; a
    candidate whose own move is illegal is left out.

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
        size = self.game.size
        kata = self.request.style == "kata"
        candidates = sorted(snapshot.candidates, key=lambda c: (-c.visits, -c.winrate))
        parts: list[str] = []
        order = 0
        for candidate in candidates:
            if self.request.max_moves is not None and order >= self.request.max_moves:
                break
            line = self.legal(candidate.pv or [candidate.action])
            if not line or line[0] != candidate.action:
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
        """
        own = snapshot.ownership
        if own is None or snapshot.to_move != self.request.color:
            if self._ownership is None:
                black = ownership(self.game, playouts=FALLBACK_OWNERSHIP_PLAYOUTS)
                self._ownership = black if self.request.color == BLACK else -black
            own = self._ownership
        size = self.game.size
        grid = np.asarray(own, dtype=np.float64).reshape(size, size)
        grid = np.clip(np.nan_to_num(grid, nan=0.0), -1.0, 1.0)
        return grid[::-1].reshape(-1)

    def legal(self, line: list[int]) -> list[int]:
        """Return ``legal_line`` of ``line`` from the analysed position (cached)."""
        key = tuple(line)
        if key not in self._lines:
            if len(self._lines) > 10_000:
                self._lines.clear()
            self._lines[key] = legal_line(self.game.board, self.request.color, line)
        return self._lines[key]


def _unit(value: float) -> float:
    """Return ``value`` clipped to [0, 1] (NaN becomes 0)."""
    return 0.0 if not math.isfinite(value) else min(1.0, max(0.0, value))


def _permyriad(value: float) -> int:
    """Return ``value`` in [0, 1] as an integer in [0, 10000] (Leela Zero's format)."""
    return int(round(_unit(value) * 10000))


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


# -- the engine ----------------------------------------------------------------------
class GtpFailure(Exception):
    """A command that fails; the message is sent after ``?``."""


Handler = Callable[[list[str]], str]
StreamHandler = Callable[[list[str], str], None]


@dataclass
class _Background:
    """A search running on its own thread until the next input line."""

    thread: threading.Thread
    stop: threading.Event
    terminator: bytes


class GtpEngine:
    """The GTP state machine: a game, a player, time control and the command table.

    Args:
        player: chooses the moves of ``genmove``; players with ``analyze``
            (``engine.analysis.Analyzer``) also get the analysis commands.
        size: initial board size.
        komi: initial komi.
        scoring_playouts: playouts of the dead-stone estimate of ``final_score``.
        move_budget: the search of ``*-genmove_analyze`` and of the GoGui displays
            without time control (default: one second).
        ponder: search on the opponent's time after each generated move.
        handicap_rule: compensation for handicap stones (``HANDICAP_RULES``).
        output: where streamed answers go (``serve`` sets it); without one they are
            kept and returned by the next ``execute``.

    Raises:
        ValueError: for an unknown handicap rule.
    """

    def __init__(self, player: Player, size: int = 9, komi: float = DEFAULT_KOMI,
                 scoring_playouts: int = 600, move_budget: Budget | None = None,
                 ponder: bool = False, handicap_rule: str = DEFAULT_HANDICAP_RULE,
                 output: BinaryIO | None = None) -> None:
        handicap_compensation(handicap_rule, 0)  # validates the rule
        self.player = player
        self.game = Game(size, komi)
        self.scoring_playouts = scoring_playouts
        if move_budget is None or (move_budget.playouts is None and move_budget.seconds is None):
            move_budget = Budget(seconds=1.0)
        self.move_budget = move_budget
        self.ponder = ponder
        self.handicap_rule = handicap_rule
        self.output = output
        self.time_control = TimeControl()
        self.clocks = {BLACK: Clock.start(self.time_control),
                       WHITE: Clock.start(self.time_control)}
        self.overrun = 0.0  # recent seconds by which moves outlasted their budget
        self.quit = False
        self.broken = False  # the output went away
        self._final: tuple[tuple[object, ...], FinalPosition] | None = None
        self._background: _Background | None = None
        self._lock = threading.Lock()
        self._pending = bytearray()
        self.commands: dict[str, Handler] = {
            "protocol_version": lambda args: "2",
            "name": lambda args: ENGINE_NAME,
            "version": lambda args: __version__,
            "known_command": self._known_command,
            "list_commands": lambda args: "\n".join(self.command_names()),
            "quit": self._quit,
            "boardsize": self._boardsize,
            "clear_board": self._clear_board,
            "komi": self._komi,
            "play": self._play,
            "genmove": self._genmove,
            "reg_genmove": self._reg_genmove,
            "kgs-genmove_cleanup": self._genmove_cleanup,
            "undo": self._undo,
            "showboard": self._showboard,
            "final_score": self._final_score,
            "final_status_list": self._final_status_list,
            "fixed_handicap": self._fixed_handicap,
            "place_free_handicap": self._place_free_handicap,
            "set_free_handicap": self._set_free_handicap,
            "loadsgf": self._loadsgf,
            "printsgf": self._printsgf,
            "time_settings": self._time_settings,
            "kgs-time_settings": self._kgs_time_settings,
            "time_left": self._time_left,
        }
        self.streams: dict[str, StreamHandler] = {}
        if callable(getattr(player, "analyze", None)):
            self.commands.update({
                "gogui-analyze_commands": self._gogui_analyze_commands,
                "zerogo-ownership": self._gogui_ownership,
                "zerogo-gfx_ownership": self._gogui_gfx_ownership,
                "zerogo-gfx_candidates": self._gogui_gfx_candidates,
            })
            self.streams = {
                "lz-analyze": lambda args, ident: self._analyze(args, ident, "lz"),
                "kata-analyze": lambda args, ident: self._analyze(args, ident, "kata"),
                "lz-genmove_analyze": lambda args, ident: self._genmove_analyze(args, ident, "lz"),
                "kata-genmove_analyze":
                    lambda args, ident: self._genmove_analyze(args, ident, "kata"),
            }

    def command_names(self) -> list[str]:
        """Return the names of every known command."""
        return [*self.commands, *self.streams]

    # -- protocol ---------------------------------------------------------------------
    def execute(self, raw: bytes) -> bytes | None:
        """Answer one input line.

        Any line, even an empty one, first ends a running analysis or ponder search
        (an analysis answer is closed with its blank line).

        Args:
            raw: the line as read, with or without its newline.

        Returns:
            The answer (ending in a blank line) plus, when no ``output`` is set,
            whatever streamed answers wrote since the last call; None when there is
            nothing to send.  With ``output`` set, streamed answers are written
            there directly and only plain answers are returned.
        """
        self.stop_background()
        answer = self._execute(raw)
        if self._pending:
            with self._lock:
                answer = bytes(self._pending) + (answer or b"")
                self._pending.clear()
        return answer

    def _execute(self, raw: bytes) -> bytes | None:
        line = raw.translate(None, _CONTROL).split(b"#", 1)[0].replace(b"\t", b" ").strip()
        if not line:
            return None
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            ident, _ = _split_id(line.decode("utf-8", "replace"))
            return _answer(False, ident, f"invalid UTF-8 in command (byte {exc.start})")
        ident, rest = _split_id(text)
        words = rest.split()
        if not words:
            return _answer(False, ident, "no command")
        name, args = words[0], words[1:]
        handler = self.commands.get(name)
        stream = self.streams.get(name)
        if handler is None and stream is None:
            return _answer(False, ident, "unknown command")
        try:
            if stream is not None:
                stream(args, ident)
                return None
            assert handler is not None
            return _answer(True, ident, handler(args))
        except GtpFailure as exc:
            return _answer(False, ident, str(exc))
        except Exception as exc:  # keep serving whatever went wrong
            traceback.print_exc(file=sys.stderr)
            message = _clip(f"{type(exc).__name__}: {exc}", 300)
            return _answer(False, ident, f"internal error: {message}")

    def serve(self, stdin: BinaryIO, stdout: BinaryIO) -> int:
        """Answer lines from ``stdin`` on ``stdout`` until ``quit`` or end of input.

        The loop keeps reading while an analysis searches on its own thread; the
        next line stops it.

        Returns:
            The exit status (0).
        """
        self.output = stdout
        try:
            for raw in iter(stdin.readline, b""):
                answer = self.execute(raw)
                if answer is not None:
                    self._emit(answer)
                if self.quit or self.broken:
                    break
        finally:
            self.stop_background()
        return 0

    def _emit(self, data: bytes) -> bool:
        """Write ``data`` to the output (or keep it); return False if the output is gone."""
        with self._lock:
            if self.output is None:
                self._pending += data
                return True
            if self.broken:
                return False
            try:
                self.output.write(data)
                self.output.flush()
            except (BrokenPipeError, ValueError, OSError):  # the controller went away
                self.broken = True
                return False
            return True

    def _write_line(self, text: str) -> bool:
        return self._emit(text.encode())

    # -- background searches ------------------------------------------------------------
    def _start_background(self, work: Callable[[threading.Event], object],
                          terminator: bytes) -> None:
        """Run ``work(stop)`` on a new thread until ``stop_background``."""
        stop = threading.Event()

        def body() -> None:
            try:
                work(stop)
            except Exception:  # the engine keeps serving; the answer still ends
                traceback.print_exc(file=sys.stderr)

        thread = threading.Thread(target=body, name="zerogo-search", daemon=True)
        self._background = _Background(thread, stop, terminator)
        thread.start()

    def stop_background(self) -> None:
        """Stop a running analysis or ponder search, wait for it, and end its answer."""
        background = self._background
        if background is None:
            return
        self._background = None
        background.stop.set()
        halt = getattr(self._search_player(), "stop", None)
        if callable(halt):
            halt()
        background.thread.join()
        if background.terminator:
            self._emit(background.terminator)

    def _search_player(self) -> object:
        """Return the player that searches on the current board size."""
        player_for = getattr(self.player, "player_for", None)
        return player_for(self.game.size) if callable(player_for) else self.player

    def prepare(self) -> None:
        """Build the player of the current board size now (a network is loaded here
        rather than during the first, possibly timed, move)."""
        self._search_player()

    # -- administrative -----------------------------------------------------------------
    def _known_command(self, args: list[str]) -> str:
        _expect(args, 1, "known_command COMMAND")
        return "true" if args[0] in self.commands or args[0] in self.streams else "false"

    def _quit(self, args: list[str]) -> str:
        self.quit = True
        return ""

    # -- setup --------------------------------------------------------------------------
    def _boardsize(self, args: list[str]) -> str:
        _expect(args, 1, "boardsize SIZE")
        if not _INT.fullmatch(args[0]):
            if re.fullmatch(r"[+-]?[0-9]+", args[0]):
                raise GtpFailure("unacceptable size")
            raise GtpFailure("boardsize not an integer")
        size = int(args[0])
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise GtpFailure("unacceptable size")
        self._new_game(Game(size, self.game.komi, self.game.rules))
        return ""

    def _clear_board(self, args: list[str]) -> str:
        self._new_game(Game(self.game.size, self.game.komi, self.game.rules))
        return ""

    def _komi(self, args: list[str]) -> str:
        _expect(args, 1, "komi VALUE")
        if not _FLOAT.fullmatch(args[0]):
            raise GtpFailure("komi not a float")
        komi = float(args[0])
        if not math.isfinite(komi) or abs(komi) > MAX_KOMI:
            raise GtpFailure(f"komi out of range (at most {MAX_KOMI:g} either way)")
        self.game.komi = komi
        return ""

    def _fixed_handicap(self, args: list[str]) -> str:
        _expect(args, 1, "fixed_handicap NUMBER")
        count = _parse_int(args[0], "number of stones")
        self._require_empty()
        try:
            points = handicap.fixed_handicap(self.game.size, count)
        except ValueError as exc:
            raise GtpFailure(f"invalid number of stones: {exc}") from None
        return self._place_handicap(points)

    def _place_free_handicap(self, args: list[str]) -> str:
        _expect(args, 1, "place_free_handicap NUMBER")
        count = _parse_int(args[0], "number of stones")
        self._require_empty()
        try:
            points = handicap.free_handicap(self.game.size, count)
        except ValueError as exc:
            raise GtpFailure(f"invalid number of stones: {exc}") from None
        return self._place_handicap(points)

    def _set_free_handicap(self, args: list[str]) -> str:
        size = self.game.size
        if not 2 <= len(args) <= size * size - 1:
            raise GtpFailure(f"bad vertex list: give 2 to {size * size - 1} vertices")
        self._require_empty()
        points = []
        for text in args:
            action = _parse_vertex(text, size, "bad vertex list: invalid vertex")
            if action == size * size:
                raise GtpFailure("bad vertex list: pass is not a handicap stone")
            if action in points:
                raise GtpFailure(f"bad vertex list: {_clip(text)} repeated")
            points.append(action)
        self._place_handicap(points)
        return ""

    def _place_handicap(self, points: list[int]) -> str:
        try:
            self.game.set_handicap(points)
        except ValueError as exc:
            raise GtpFailure(f"bad vertex list: {exc}") from None
        self.player.reset()
        self._final = None
        return " ".join(coords.to_gtp(a, self.game.size) for a in points)

    def _require_empty(self) -> None:
        board = self.game.board
        if self.game.moves or board.to_array().any():
            raise GtpFailure("board not empty")

    def effective_komi(self) -> float:
        """Return the komi plus the handicap compensation (what search and scoring use)."""
        return self.game.komi + handicap_compensation(self.handicap_rule, self.game.handicap)

    def search_game(self) -> Game:
        """Return the game as the player and the scorer see it: the same record, with
        ``effective_komi`` as its komi (a shallow view; the record is shared)."""
        komi = self.effective_komi()
        if komi == self.game.komi:
            return self.game
        view = copy.copy(self.game)
        view.komi = komi
        return view

    # -- play ---------------------------------------------------------------------------
    def _play(self, args: list[str]) -> str:
        _expect(args, 2, "play COLOR VERTEX")
        color = _parse_colour(args[0])
        action = _parse_vertex(args[1], self.game.size)
        try:
            self.game.play(action, color)
        except IllegalMoveError as exc:
            raise GtpFailure(f"illegal move: {args[1]} ({exc.reason})") from None
        self.game.result = None
        return ""

    def _genmove(self, args: list[str]) -> str:
        return self._generate(args, play=True, cleanup=False)

    def _reg_genmove(self, args: list[str]) -> str:
        return self._generate(args, play=False, cleanup=False)

    def _genmove_cleanup(self, args: list[str]) -> str:
        return self._generate(args, play=True, cleanup=True)

    def _generate(self, args: list[str], play: bool, cleanup: bool) -> str:
        _expect(args, 1, "genmove COLOR")
        color = _parse_colour(args[0])
        budget = self.budget(color)
        started = time.monotonic()
        decision = self.player.genmove(self.search_game(), color, budget=budget, cleanup=cleanup)
        vertex = self._commit(decision, color, budget, started, play)
        return vertex

    def _commit(self, decision: Decision, color: int, budget: Budget | None, started: float,
                play: bool) -> str:
        """Charge the clock, play ``decision`` (when ``play``), start pondering; return
        the vertex (or ``resign``)."""
        elapsed = time.monotonic() - started
        if budget is not None and budget.seconds is not None:
            over = min(max(0.0, elapsed - budget.seconds), 2.0)
            self.overrun = max(over, 0.7 * self.overrun + 0.3 * over)
        if play:
            self.clocks[color] = spend(self.time_control, self.clocks[color], elapsed)
        if decision.action == RESIGN:
            if play:
                self.game.resign(color)
            return "resign"
        if play:
            self.game.play(decision.action, color)
            self.game.result = None
            self._start_ponder()
        return coords.to_gtp(decision.action, self.game.size)

    def budget(self, color: int) -> Budget | None:
        """Return the time budget of ``color``'s next move (None without time control)."""
        seconds = allocate_seconds(
            self.time_control, self.clocks[color], self.game.size, len(self.game.moves),
            OVERHEAD_SECONDS + self.overrun,
        )
        return None if seconds is None else Budget(seconds=seconds)

    def _start_ponder(self) -> None:
        """Search for the opponent's reply until the next command (``--ponder``)."""
        if not self.ponder or self.game.is_over or not callable(getattr(self.player, "analyze",
                                                                          None)):
            return
        game = self.search_game()
        color = self.game.to_move
        analyze = self.player.analyze  # type: ignore[attr-defined]

        def work(stop: threading.Event) -> None:
            analyze(game, color, lambda snapshot: not stop.is_set(), MAX_SLICE_SECONDS, None,
                    stop)

        self._start_background(work, b"")

    def _undo(self, args: list[str]) -> str:
        try:
            self.game.undo()
        except ValueError:
            raise GtpFailure("cannot undo") from None
        return ""

    def _showboard(self, args: list[str]) -> str:
        last = self.game.last_move
        return "\n" + self.game.board.diagram(None if last is None else last.action)

    # -- scoring ------------------------------------------------------------------------
    def _final_position(self) -> FinalPosition:
        game = self.search_game()
        key = (self.game.board.hash, len(self.game.moves), game.komi, self.game.size)
        if self._final is None or self._final[0] != key:
            self._final = (key, final_position(game, playouts=self.scoring_playouts))
        return self._final[1]

    def _final_score(self, args: list[str]) -> str:
        return self._final_position().result().sgf()

    def _final_status_list(self, args: list[str]) -> str:
        _expect(args, 1, "final_status_list alive|dead|seki")
        status = args[0].lower()
        if status not in ("alive", "dead", "seki"):
            raise GtpFailure("invalid status: use alive, dead or seki")
        final = self._final_position()
        board = self.game.board
        stones = board.to_array()
        seki = set(final.seki)
        dead = set(final.dead)
        alive = set(final.alive(stones)) - seki
        wanted = {"alive": alive, "dead": dead, "seki": seki}[status]
        lines, seen = [], set()
        for action in sorted(wanted):
            if action in seen or stones.reshape(-1)[action] == EMPTY:
                continue
            chain = [a for a in board.chain(action) if a in wanted]
            seen.update(chain)
            lines.append(" ".join(coords.to_gtp(a, self.game.size) for a in chain))
        return "\n".join(lines)

    # -- files --------------------------------------------------------------------------
    def _loadsgf(self, args: list[str]) -> str:
        if not 1 <= len(args) <= 2:
            raise GtpFailure("syntax error: loadsgf FILE [MOVE_NUMBER]")
        max_moves = None
        if len(args) == 2:
            number = _parse_int(args[1], "move number")
            if number < 1:
                raise GtpFailure("move number must be at least 1")
            max_moves = number - 1
        try:
            game = load_sgf_file(args[0], self.game.rules, max_moves)
        except SgfError as exc:
            raise GtpFailure(f"cannot load file: {exc}") from None
        self._new_game(game)
        return color_name(game.to_move)

    def _printsgf(self, args: list[str]) -> str:
        if len(args) > 1:
            raise GtpFailure("syntax error: printsgf [FILE]")
        data = save_sgf(self.game, comment=f"{ENGINE_NAME} {__version__}")
        if args:
            try:
                with open(args[0], "wb") as handle:
                    handle.write(data)
            except OSError as exc:
                raise GtpFailure(f"cannot write file: {exc}") from None
            return ""
        return data.decode("utf-8").strip()

    # -- time ---------------------------------------------------------------------------
    def _time_settings(self, args: list[str]) -> str:
        _expect(args, 3, "time_settings MAIN_TIME BYO_YOMI_TIME BYO_YOMI_STONES")
        main, byo, stones = (_parse_time(a) for a in args)
        if byo == 0:
            control = TimeControl("absolute", main)
        elif stones == 0:
            control = TimeControl()  # GTP: byo-yomi time without stones means no limit
        else:
            control = TimeControl("canadian", main, byo, stones)
        self._set_time_control(control)
        return ""

    def _kgs_time_settings(self, args: list[str]) -> str:
        if not args:
            raise GtpFailure("syntax error: kgs-time_settings none|absolute|byoyomi|canadian ...")
        kind, values = args[0].lower(), [_parse_time(a) for a in args[1:]]
        wanted = {"none": 0, "absolute": 1, "byoyomi": 3, "canadian": 3}
        if kind not in wanted:
            raise GtpFailure(f"unknown time system {_clip(args[0])!r}")
        if len(values) != wanted[kind]:
            raise GtpFailure(f"syntax error: {kind} takes {wanted[kind]} numbers")
        if kind == "none":
            control = TimeControl()
        elif kind == "absolute":
            control = TimeControl("absolute", values[0])
        elif values[1] == 0 or values[2] == 0:
            control = TimeControl("absolute", values[0])  # no byo-yomi to speak of
        else:
            control = TimeControl(kind, values[0], values[1], values[2])
        self._set_time_control(control)
        return ""

    def _set_time_control(self, control: TimeControl) -> None:
        self.time_control = control
        self.clocks = {BLACK: Clock.start(control), WHITE: Clock.start(control)}

    def _time_left(self, args: list[str]) -> str:
        _expect(args, 3, "time_left COLOR TIME STONES")
        color = _parse_colour(args[0])
        seconds, stones = _parse_time(args[1]), _parse_time(args[2])
        control = self.time_control
        if stones == 0:
            clock = Clock(seconds, control.period_time, control.period_count)
        else:
            clock = Clock(0.0, seconds, stones)
        self.clocks[color] = clock
        return ""

    # -- analysis -----------------------------------------------------------------------
    def _analyze(self, args: list[str], ident: str, style: str) -> None:
        """``lz-analyze`` / ``kata-analyze``: stream ``info`` lines until the next line."""
        request = parse_analysis_args(args, style, self.game.to_move)
        game = self.search_game()
        formatter = AnalysisFormatter(request, game)
        analyze = self.player.analyze  # type: ignore[attr-defined]
        self._emit(f"={ident}\n".encode())

        def work(stop: threading.Event) -> None:
            reporter = _Reporter(formatter, self._write_line, stop)
            analyze(game, request.color, reporter, reporter.slice, None, stop)

        self._start_background(work, b"\n")

    def _genmove_analyze(self, args: list[str], ident: str, style: str) -> None:
        """``*-genmove_analyze``: stream ``info`` lines while searching with the move
        budget, then play and answer ``play VERTEX`` (not interrupted by input)."""
        request = parse_analysis_args(args, style, self.game.to_move)
        color = request.color
        game = self.search_game()
        budget = self.budget(color) or self.move_budget
        reporter = _Reporter(AnalysisFormatter(request, game), self._write_line)
        self._emit(f"={ident}\n".encode())
        started = time.monotonic()
        try:
            decision = self.player.analyze(  # type: ignore[attr-defined]
                game, color, reporter, reporter.slice, budget, None
            )
            if decision.action != RESIGN and not game.board.is_legal(decision.action, color):
                decision = Decision(game.pass_action)
            vertex = self._commit(decision, color, budget, started, play=True)
        except Exception:  # the answer has begun: end it properly all the same
            traceback.print_exc(file=sys.stderr)
            self._emit(b"\n")
            return
        self._emit(f"play {vertex}\n\n".encode())

    def _quick_snapshot(self, args: list[str], usage: str) -> tuple[AnalysisSnapshot, int]:
        """Search with the move budget for the colour in ``args`` (default: to move)
        and return the last snapshot and the colour."""
        if len(args) > 1:
            raise GtpFailure(f"syntax error: usage {usage} [COLOR]")
        color = _parse_colour(args[0]) if args else self.game.to_move
        last: list[AnalysisSnapshot] = []

        def keep(snapshot: AnalysisSnapshot) -> bool:
            last[:] = [snapshot]
            return True

        seconds = self.move_budget.seconds
        interval = min(seconds, 1.0) if seconds else 1.0
        self.player.analyze(  # type: ignore[attr-defined]
            self.search_game(), color, keep, interval, self.move_budget, None
        )
        if not last:
            raise GtpFailure("the search gave no analysis")
        return last[0], color

    def _gogui_analyze_commands(self, args: list[str]) -> str:
        return "\n".join([
            "gfx/zerogo: ownership/zerogo-gfx_ownership %m",
            "dboard/zerogo: ownership values/zerogo-ownership %m",
            "gfx/zerogo: best moves/zerogo-gfx_candidates %m",
        ])

    def _ownership_black(self, args: list[str], usage: str) -> tuple[np.ndarray,
                                                                    AnalysisSnapshot]:
        """Return float (N, N) ownership from black's view (row 0 at the bottom)."""
        snapshot, color = self._quick_snapshot(args, usage)
        formatter = AnalysisFormatter(AnalysisRequest("kata", color), self.search_game())
        size = self.game.size
        own = formatter.ownership(snapshot).reshape(size, size)[::-1]
        return (own if color == BLACK else -own), snapshot

    def _gogui_ownership(self, args: list[str]) -> str:
        """``zerogo-ownership [COLOR]``: a GoGui dboard, +1 black, top row first."""
        own, _ = self._ownership_black(args, "zerogo-ownership")
        return "\n".join(" ".join(f"{v:.2f}" for v in row) for row in own[::-1])

    def _gogui_gfx_ownership(self, args: list[str]) -> str:
        """``zerogo-gfx_ownership [COLOR]``: GoGui INFLUENCE (+1 black) and the lead."""
        own, snapshot = self._ownership_black(args, "zerogo-gfx_ownership")
        size = self.game.size
        pairs = " ".join(f"{coords.to_gtp(int(a), size)} {v:.2f}"
                         for a, v in enumerate(own.reshape(-1)))
        lines = [f"INFLUENCE {pairs}"]
        if snapshot.score_lead is not None:
            lead = snapshot.score_lead if snapshot.to_move == BLACK else -snapshot.score_lead
            lines.append(f"TEXT {'black' if lead >= 0 else 'white'} leads by {abs(lead):.1f}")
        return "\n".join(lines)

    def _gogui_gfx_candidates(self, args: list[str]) -> str:
        """``zerogo-gfx_candidates [COLOR]``: win rates as labels, the best line as VAR."""
        snapshot, color = self._quick_snapshot(args, "zerogo-gfx_candidates")
        game = self.search_game()
        formatter = AnalysisFormatter(AnalysisRequest("lz", color, max_moves=10), game)
        size = game.size
        labels, best = [], None
        for candidate in sorted(snapshot.candidates, key=lambda c: (-c.visits, -c.winrate)):
            line = formatter.legal(candidate.pv or [candidate.action])
            if not line or line[0] != candidate.action or line[0] == game.pass_action:
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

    # -- helpers ------------------------------------------------------------------------
    def _new_game(self, game: Game) -> None:
        self.game = game
        self._final = None
        self.player.reset()
        self.prepare()


def _split_id(text: str) -> tuple[str, str]:
    """Return ``(id, rest)`` of a preprocessed command line (id "" when absent)."""
    head, _, rest = text.partition(" ")
    if _ID.fullmatch(head):
        return head, rest.strip()
    return "", text


def _answer(success: bool, ident: str, body: str) -> bytes:
    """Return the bytes of a GTP answer; no line of the body is left empty."""
    if success:
        first, *rest = body.rstrip().split("\n")
        body = "\n".join([first.rstrip(), *(line.rstrip() or " " for line in rest)])
    else:
        body = " ".join(body.split())
    return f"{'=' if success else '?'}{ident} {body}\n\n".encode()


def _expect(args: list[str], count: int, usage: str) -> None:
    if len(args) != count:
        raise GtpFailure(f"syntax error: usage {usage}")


def _parse_int(text: str, what: str) -> int:
    if not _INT.fullmatch(text):
        raise GtpFailure(f"{what} not an integer or out of range")
    return int(text)


def _parse_time(text: str) -> int:
    value = _parse_int(text, "time value")
    if not 0 <= value <= MAX_TIME_SECONDS:
        raise GtpFailure(f"time value out of range (0 to {MAX_TIME_SECONDS})")
    return value


def _parse_interval(text: str) -> float:
    """Return an analysis interval in centiseconds."""
    if not _FLOAT.fullmatch(text):
        raise GtpFailure(f"interval not a number: {_clip(text)}")
    value = float(text)
    if not 0 <= value <= MAX_INTERVAL_CENTISECONDS:
        raise GtpFailure(f"interval out of range (0 to {MAX_INTERVAL_CENTISECONDS} centiseconds)")
    return value


def _is_color(text: str) -> bool:
    return text.lower() in ("b", "w", "black", "white")


def _parse_colour(text: str) -> int:
    try:
        return _parse_color(text)
    except ValueError:
        raise GtpFailure("invalid color") from None


def _parse_vertex(text: str, size: int, message: str = "invalid vertex") -> int:
    try:
        return coords.from_gtp(text, size)
    except ValueError:
        raise GtpFailure(f"{message} {_clip(text)}") from None


def _clip(text: str, limit: int = 40) -> str:
    """Return ``text`` cut to ``limit`` characters for quoting in a message."""
    return text if len(text) <= limit else text[:limit] + "..."


# -- command line -----------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``zerogo gtp``."""
    parser.add_argument("--size", type=int, default=9, help="initial board size (default 9)")
    parser.add_argument("--komi", type=float, default=DEFAULT_KOMI,
                        help=f"initial komi (default {DEFAULT_KOMI})")
    parser.add_argument(
        "--handicap-compensation", choices=HANDICAP_RULES, default=DEFAULT_HANDICAP_RULE,
        help="points white receives for N handicap stones, added to the komi of search "
             "and final_score: aga N-1 (default), chinese N, none 0",
    )
    parser.add_argument(
        "--ponder", action="store_true",
        help="search on the opponent's time, from each generated move until the next "
             "command (default: off)",
    )
    add_player_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Serve GTP on stdin/stdout until ``quit`` or end of input; return the exit status."""
    if not MIN_SIZE <= args.size <= MAX_SIZE:
        print(f"zerogo gtp: --size must be {MIN_SIZE} to {MAX_SIZE}", file=sys.stderr)
        return 2
    if not math.isfinite(args.komi) or abs(args.komi) > MAX_KOMI:
        print("zerogo gtp: --komi out of range", file=sys.stderr)
        return 2
    try:
        budget = budget_from_args(args)
        player = make_player(args)
    except ValueError as exc:
        print(f"zerogo gtp: {exc}", file=sys.stderr)
        return 2
    engine = GtpEngine(player, args.size, args.komi, move_budget=budget, ponder=args.ponder,
                       handicap_rule=args.handicap_compensation)
    try:
        engine.prepare()
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"zerogo gtp: cannot load the player: {exc}", file=sys.stderr)
        return 2
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed by accident must not break the protocol
    try:
        return engine.serve(sys.stdin.buffer, stdout)
    finally:
        sys.stdout = sys.__stdout__


__all__ = [
    "AnalysisFormatter", "AnalysisRequest", "Clock", "GtpEngine", "GtpFailure", "TimeControl",
    "add_arguments", "allocate_seconds", "expected_moves_left", "gui_command_line",
    "handicap_compensation", "lag_margin", "legal_line", "main_time_share",
    "parse_analysis_args", "phase_weight", "run", "spend", "typical_game_length",
]
