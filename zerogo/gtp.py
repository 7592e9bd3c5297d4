"""``zerogo gtp``: the engine over the Go Text Protocol, version 2, on stdin/stdout.

Start reading at ``GtpEngine.execute``: it takes one raw input line, preprocesses it
as the specification says (control characters other than HT/LF dropped, ``#``
comments removed, HT turned into space, empty lines ignored), reads the optional
id and answers ``=[id] response\\n\\n`` or ``?[id] message\\n\\n``.  Every failure,
including one the code did not foresee, becomes a ``?`` answer; the loop keeps
running and nothing but answers is written to stdout.

This module holds the state machine (``GtpEngine``: game, player, clocks, command
table), the standard commands, handicap compensation and the command line
(``add_arguments``, ``run``).  The rest lives beside it, one way down:

* ``zerogo.gtp_protocol``: the wire format (preprocessing, ids, answer bytes) and
  the argument parsers; ``GtpFailure``.
* ``zerogo.gtp_time`` (``time_settings``, ``kgs-time_settings``, ``time_left``):
  a ``TimeControl`` plus one ``Clock`` per colour; ``allocate_seconds`` (a pure
  function) turns them into the seconds of one move.  That budget replaces the
  player's own only while time controls are set.
* ``zerogo.gtp_pv`` (``zerogo-predict_pv``, with ``--pv-model``): a sequence model's
  predicted principal variation, shown apart from every searched one.
* ``zerogo.gtp_analysis`` (``lz-analyze``, ``kata-analyze``, ``lz-genmove_analyze``,
  ``kata-genmove_analyze``, ``--ponder``, ``gogui-analyze_commands``): the Leela
  Zero and KataGo extensions that Sabaki and Lizzie read, and GoGui's displays.
  The streamed answers run their search on a background thread that this module
  starts and that the next input line stops.

**Handicap compensation**: white receives points for black's handicap stones
(``--handicap-compensation``: ``aga`` N-1, the default; ``chinese`` N; ``none``);
they are added to the komi that the search and ``final_score`` use.

The names of the split-off modules that callers used from here (``TimeControl``,
``allocate_seconds``, ``AnalysisFormatter`` ...) are still importable from here.
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
from dataclasses import dataclass
from typing import BinaryIO

from engine import coords, handicap
from engine.board import (
    BLACK,
    EMPTY,
    MAX_SIZE,
    MIN_SIZE,
    WHITE,
    IllegalMoveError,
    color_name,
)
from engine.game import DEFAULT_KOMI, Game
from engine.player import RESIGN, Budget, Decision, Player
from engine.scoring import FinalPosition, final_position
from engine.sgf import SgfError, load_sgf_file, save_sgf
from zerogo import __version__
from zerogo.gtp_analysis import (
    AnalysisCommands,
    AnalysisFormatter,
    AnalysisRequest,
    legal_line,
    parse_analysis_args,
)
from zerogo.gtp_protocol import (
    FLOAT_PATTERN,
    INT_PATTERN,
    GtpFailure,
    Handler,
    StreamHandler,
    clip,
    expect_arg_count,
    format_answer,
    parse_color_arg,
    parse_int_arg,
    parse_vertex_arg,
    preprocess,
    split_id,
    split_words,
)
from zerogo.gtp_pv import Predictor, PVCommands
from zerogo.gtp_time import (
    OVERHEAD_SECONDS,
    Clock,
    TimeControl,
    allocate_seconds,
    expected_moves_left,
    lag_margin,
    main_time_share,
    parse_kgs_time_settings,
    parse_time_left,
    parse_time_settings,
    phase_weight,
    spend,
    typical_game_length,
)
from zerogo.players import add_player_arguments, budget_from_args, make_player

ENGINE_NAME = "zerogo"
MAX_KOMI = 1000.0

HANDICAP_RULES = ("aga", "chinese", "none")
DEFAULT_HANDICAP_RULE = "aga"


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
(--backend torch|onnx|openvino picks the runtime that evaluates it; default auto:
openvino on the CPU where installed, else torch)

Command line to paste into GoGui (Program > New Program) or gogui-twogtp:

    {gui_command_line()}

Analysis: lz-analyze, kata-analyze (with 'ownership true'), lz-genmove_analyze and
kata-genmove_analyze stream 'info' lines in the Leela Zero / KataGo formats; win
rates, score leads and ownership are from the analysed colour's view.  GoGui finds
ownership and candidate displays through gogui-analyze_commands.

With --pv-model FILE, zerogo-predict_pv [COLOR] answers the line a sequence model
predicts from the position alone (no search), and GoGui gets a display of it; the
prediction never appears in the lz-analyze/kata-analyze lines.

Time controls sent by the controller (time_settings, kgs-time_settings,
time_left) replace --seconds/--playouts while they are set.  Handicap stones
give white compensation points (--handicap-compensation, default aga: N-1).
"""


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


# -- the engine ----------------------------------------------------------------------
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
        pv_predictor: a PV model (``zerogo.pv_model.PVPredictor``) for the
            predicted-PV commands (``zerogo.gtp_pv``), or None.

    Raises:
        ValueError: for an unknown handicap rule.
    """

    def __init__(self, player: Player, size: int = 9, komi: float = DEFAULT_KOMI,
                 scoring_playouts: int = 600, move_budget: Budget | None = None,
                 ponder: bool = False, handicap_rule: str = DEFAULT_HANDICAP_RULE,
                 output: BinaryIO | None = None, pv_predictor: Predictor | None = None) -> None:
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
            "zerogo-search_stats": self._search_stats,
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
        self.analysis = AnalysisCommands(self)
        gogui_entries: list[str] = []
        if callable(getattr(player, "analyze", None)):
            self.commands.update(self.analysis.commands())
            self.streams = self.analysis.streams()
            gogui_entries += self.analysis.gogui_entries()
        self.pv = None if pv_predictor is None else PVCommands(self, pv_predictor)
        if self.pv is not None:
            self.commands.update(self.pv.commands())
            gogui_entries += self.pv.gogui_entries()
        if gogui_entries:
            self.commands["gogui-analyze_commands"] = lambda args: "\n".join(gogui_entries)

    def command_names(self) -> list[str]:
        """Return the names of every known command."""
        return [*self.commands, *self.streams]

    # -- serving ----------------------------------------------------------------------
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
        line = preprocess(raw)
        if not line:
            return None
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            ident, _ = split_id(line.decode("utf-8", "replace"))
            return format_answer(False, ident, f"invalid UTF-8 in command (byte {exc.start})")
        ident, rest = split_id(text)
        words = split_words(rest)
        if not words:
            return format_answer(False, ident, "no command")
        name, args = words[0], words[1:]
        handler = self.commands.get(name)
        stream = self.streams.get(name)
        if handler is None and stream is None:
            return format_answer(False, ident, "unknown command")
        try:
            if stream is not None:
                stream(args, ident)
                return None
            assert handler is not None
            return format_answer(True, ident, handler(args))
        except GtpFailure as exc:
            return format_answer(False, ident, str(exc))
        except Exception as exc:  # keep serving whatever went wrong
            traceback.print_exc(file=sys.stderr)
            message = clip(f"{type(exc).__name__}: {exc}", 300)
            return format_answer(False, ident, f"internal error: {message}")

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
                    self.emit(answer)
                if self.quit or self.broken:
                    break
        finally:
            self.stop_background()
        return 0

    def emit(self, data: bytes) -> bool:
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

    def write_line(self, text: str) -> bool:
        """Write ``text`` (a line, newline included); return False if the output is gone."""
        return self.emit(text.encode())

    # -- background searches ------------------------------------------------------------
    def start_background(self, work: Callable[[threading.Event], object],
                         terminator: bytes) -> None:
        """Run ``work(stop)`` on a new thread until ``stop_background``, which then
        writes ``terminator`` (b"" for nothing) to end the answer."""
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
            self.emit(background.terminator)

    def _search_player(self) -> object:
        """Return the player that searches on the current board size."""
        player_for = getattr(self.player, "player_for", None)
        return player_for(self.game.size, self.game.komi) if callable(player_for) else self.player

    def prepare(self) -> None:
        """Build the player of the current board size now (a network is loaded here
        rather than during the first, possibly timed, move)."""
        self._search_player()

    # -- administrative -----------------------------------------------------------------
    def _known_command(self, args: list[str]) -> str:
        expect_arg_count(args, 1, "known_command COMMAND")
        return "true" if args[0] in self.commands or args[0] in self.streams else "false"

    def _quit(self, args: list[str]) -> str:
        self.quit = True
        return ""

    # -- setup --------------------------------------------------------------------------
    def _boardsize(self, args: list[str]) -> str:
        expect_arg_count(args, 1, "boardsize SIZE")
        if not INT_PATTERN.fullmatch(args[0]):
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
        expect_arg_count(args, 1, "komi VALUE")
        if not FLOAT_PATTERN.fullmatch(args[0]):
            raise GtpFailure("komi not a float")
        komi = float(args[0])
        if not math.isfinite(komi) or abs(komi) > MAX_KOMI:
            raise GtpFailure(f"komi out of range (at most {MAX_KOMI:g} either way)")
        self.game.komi = komi
        return ""

    def _fixed_handicap(self, args: list[str]) -> str:
        expect_arg_count(args, 1, "fixed_handicap NUMBER")
        count = parse_int_arg(args[0], "number of stones")
        self._require_empty()
        try:
            points = handicap.fixed_handicap(self.game.size, count)
        except ValueError as exc:
            raise GtpFailure(f"invalid number of stones: {exc}") from None
        return self._place_handicap(points)

    def _place_free_handicap(self, args: list[str]) -> str:
        expect_arg_count(args, 1, "place_free_handicap NUMBER")
        count = parse_int_arg(args[0], "number of stones")
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
            action = parse_vertex_arg(text, size, "bad vertex list: invalid vertex")
            if action == size * size:
                raise GtpFailure("bad vertex list: pass is not a handicap stone")
            if action in points:
                raise GtpFailure(f"bad vertex list: {clip(text)} repeated")
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
        expect_arg_count(args, 2, "play COLOR VERTEX")
        color = parse_color_arg(args[0])
        action = parse_vertex_arg(args[1], self.game.size)
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
        expect_arg_count(args, 1, "genmove COLOR")
        color = parse_color_arg(args[0])
        budget = self.budget(color)
        started = time.monotonic()
        decision = self.player.genmove(self.search_game(), color, budget=budget, cleanup=cleanup)
        vertex = self.commit_decision(decision, color, budget, started, play)
        return vertex

    def commit_decision(self, decision: Decision, color: int, budget: Budget | None,
                        started: float, play: bool) -> str:
        """Charge the clock, play ``decision`` (when ``play``), start pondering; return
        the vertex (or ``resign``).

        Args:
            decision: the player's choice.
            color: the colour that chose it.
            budget: the budget it was given (its overrun is remembered).
            started: ``time.monotonic()`` when the search began.
            play: whether to play the move and charge the clock (not for ``reg_genmove``).
        """
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
            self.analysis.start_ponder()
        return coords.to_gtp(decision.action, self.game.size)

    def budget(self, color: int) -> Budget | None:
        """Return the time budget of ``color``'s next move (None without time control)."""
        seconds = allocate_seconds(
            self.time_control, self.clocks[color], self.game.size, len(self.game.moves),
            OVERHEAD_SECONDS + self.overrun,
        )
        return None if seconds is None else Budget(seconds=seconds)

    def _undo(self, args: list[str]) -> str:
        try:
            self.game.undo()
        except ValueError:
            raise GtpFailure("cannot undo") from None
        return ""

    def _search_stats(self, args: list[str]) -> str:
        """``zerogo-search_stats``: the search's counters on this board size so far, as
        ``name value`` pairs (simulations, network calls, mean and largest batch ...)."""
        stats = getattr(self._search_player(), "search_stats", None)
        if not callable(stats):
            raise GtpFailure("this player keeps no search statistics")
        return " ".join(f"{name} {value}" for name, value in stats().items())

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
        expect_arg_count(args, 1, "final_status_list alive|dead|seki")
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
            number = parse_int_arg(args[1], "move number")
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
        self._set_time_control(parse_time_settings(args))
        return ""

    def _kgs_time_settings(self, args: list[str]) -> str:
        self._set_time_control(parse_kgs_time_settings(args))
        return ""

    def _set_time_control(self, control: TimeControl) -> None:
        self.time_control = control
        self.clocks = {BLACK: Clock.start(control), WHITE: Clock.start(control)}

    def _time_left(self, args: list[str]) -> str:
        color, clock = parse_time_left(args, self.time_control)
        self.clocks[color] = clock
        return ""

    # -- helpers ------------------------------------------------------------------------
    def _new_game(self, game: Game) -> None:
        self.game = game
        self._final = None
        self.player.reset()
        self.prepare()


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
    parser.add_argument(
        "--pv-model", default=None, metavar="FILE",
        help="a PV model (zerogo.pv_model, e.g. zerogo/networks/pv-9x9.pt): adds "
             "zerogo-predict_pv [COLOR], the line it predicts without search, and its "
             "GoGui display (never mixed into lz-analyze/kata-analyze)",
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
    predictor = None
    if getattr(args, "pv_model", None):
        try:
            from zerogo.pv_model import PVPredictor

            predictor = PVPredictor.from_file(args.pv_model)
        except (OSError, ValueError) as exc:
            print(f"zerogo gtp: cannot load the PV model: {exc}", file=sys.stderr)
            return 2
    engine = GtpEngine(player, args.size, args.komi, move_budget=budget, ponder=args.ponder,
                       handicap_rule=args.handicap_compensation, pv_predictor=predictor)
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
