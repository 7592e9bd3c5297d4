"""``zerogo gtp``: the engine over the Go Text Protocol, version 2, on stdin/stdout.

Start reading at ``GtpEngine.execute``: it takes one raw input line, preprocesses it
as the specification says (control characters other than HT/LF dropped, ``#``
comments removed, HT turned into space, empty lines ignored), reads the optional
id and answers ``=[id] response\\n\\n`` or ``?[id] message\\n\\n``.  Every failure,
including one the code did not foresee, becomes a ``?`` answer; the loop keeps
running and nothing but answers is written to stdout.

Time control (``time_settings``, ``kgs-time_settings``, ``time_left``) is kept as a
``TimeControl`` plus one ``Clock`` per colour; ``allocate_seconds`` (a pure
function) turns them into the seconds of one move.  That budget replaces the
player's own only while time controls are set.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shlex
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import BinaryIO

from engine import coords, handicap
from engine.board import BLACK, EMPTY, MAX_SIZE, MIN_SIZE, WHITE, IllegalMoveError, color_name
from engine.board import parse_color as _parse_color
from engine.game import DEFAULT_KOMI, Game
from engine.player import RESIGN, Budget, Player
from engine.scoring import FinalPosition, final_position
from engine.sgf import SgfError, load_sgf_file, save_sgf
from zerogo import __version__
from zerogo.players import add_player_arguments, make_player

ENGINE_NAME = "zerogo"
MAX_KOMI = 1000.0
MAX_TIME_SECONDS = 10**9
SAFETY_SECONDS = 0.5  # kept back from every allocation for lag and overhead
SAFETY_FRACTION = 0.9  # use at most this share of the time the clock allows
MIN_SECONDS = 0.05

_ID = re.compile(r"[0-9]+")
_INT = re.compile(r"[+-]?[0-9]{1,15}")
_FLOAT = re.compile(r"[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")
# Bytes removed by preprocessing: every control character except HT and LF, and DEL.
_CONTROL = bytes(c for c in range(32) if c not in (9, 10)) + b"\x7f"


def _program() -> tuple[str, list[str]]:
    """Return the absolute program path and leading arguments that start ``zerogo``.

    Prefers the running ``zerogo`` script, then the one installed beside this Python,
    then one on PATH; falls back to ``python -m zerogo``.
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

Command line to paste into GoGui (Program > New Program) or gogui-twogtp:

    {gui_command_line()}

Sabaki (Engines > Manage Engines > Add):

    Path:      {shlex.quote(_PROGRAM)}
    Arguments: {shlex.join([*_LEAD, "gtp", "--player", "mcts", "--size", "9"])}

Time controls sent by the controller (time_settings, kgs-time_settings,
time_left) replace --seconds/--playouts while they are set.
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


def expected_moves_left(size: int, moves_played: int) -> float:
    """Return how many more moves one player should expect to make.

    A game is taken to last about ``0.7 * N * N`` moves of both players; at least
    ``max(6, N * N / 10)`` own moves are always assumed to remain.
    """
    own_left = (0.7 * size * size - moves_played) / 2.0
    return max(own_left, 6.0, size * size / 10.0)


def allocate_seconds(control: TimeControl, clock: Clock, size: int,
                     moves_played: int) -> float | None:
    """Return the seconds one move may take, or None without time control.

    In main time the remaining main time is shared over ``expected_moves_left``;
    when byo-yomi follows, a move may also take what a byo-yomi move may take (the
    period is there anyway).  In byo-yomi a move gets its period (Japanese) or its
    share of the period (Canadian).  Every amount keeps a safety margin
    (``SAFETY_SECONDS``, ``SAFETY_FRACTION``) and is at least ``MIN_SECONDS``.

    Args:
        control: the time system.
        clock: the clock of the player to move.
        size: board size.
        moves_played: moves played so far by both players.

    Returns:
        Seconds for this move, or None when ``control.kind`` is "none".
    """
    if control.kind == "none":
        return None
    if control.kind == "absolute":
        return _safe(clock.main_left / expected_moves_left(size, moves_played))
    if control.kind == "byoyomi":
        per_period_move = clock.period_left if clock.main_left <= 0 else control.period_time
    else:
        if clock.main_left > 0:
            per_period_move = control.period_time / control.period_count
        else:
            per_period_move = clock.period_left / max(1, clock.count_left)
    byo = _safe(per_period_move)
    if clock.main_left <= 0:
        return byo
    return max(_safe(clock.main_left / expected_moves_left(size, moves_played)), byo)


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


def _safe(seconds: float) -> float:
    """Return ``seconds`` less the safety margin, at least ``MIN_SECONDS``."""
    return max(MIN_SECONDS, min(seconds * SAFETY_FRACTION, seconds - SAFETY_SECONDS))


# -- the engine ----------------------------------------------------------------------
class GtpFailure(Exception):
    """A command that fails; the message is sent after ``?``."""


Handler = Callable[[list[str]], str]


class GtpEngine:
    """The GTP state machine: a game, a player, time control and the command table.

    Args:
        player: chooses the moves of ``genmove``.
        size: initial board size.
        komi: initial komi.
        scoring_playouts: playouts of the dead-stone estimate of ``final_score``.
    """

    def __init__(self, player: Player, size: int = 9, komi: float = DEFAULT_KOMI,
                 scoring_playouts: int = 600) -> None:
        self.player = player
        self.game = Game(size, komi)
        self.scoring_playouts = scoring_playouts
        self.time_control = TimeControl()
        self.clocks = {BLACK: Clock.start(self.time_control),
                       WHITE: Clock.start(self.time_control)}
        self.quit = False
        self._final: tuple[tuple[object, ...], FinalPosition] | None = None
        self.commands: dict[str, Handler] = {
            "protocol_version": lambda args: "2",
            "name": lambda args: ENGINE_NAME,
            "version": lambda args: __version__,
            "known_command": self._known_command,
            "list_commands": lambda args: "\n".join(self.commands),
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

    # -- protocol ---------------------------------------------------------------------
    def execute(self, raw: bytes) -> bytes | None:
        """Answer one input line.

        Args:
            raw: the line as read, with or without its newline.

        Returns:
            The complete answer (ending in a blank line), or None for a line that
            preprocessing leaves empty.
        """
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
        if handler is None:
            return _answer(False, ident, "unknown command")
        try:
            return _answer(True, ident, handler(args))
        except GtpFailure as exc:
            return _answer(False, ident, str(exc))
        except Exception as exc:  # keep serving whatever went wrong
            traceback.print_exc(file=sys.stderr)
            message = _clip(f"{type(exc).__name__}: {exc}", 300)
            return _answer(False, ident, f"internal error: {message}")

    def serve(self, stdin: BinaryIO, stdout: BinaryIO) -> int:
        """Answer lines from ``stdin`` on ``stdout`` until ``quit`` or end of input.

        Returns:
            The exit status (0).
        """
        for raw in iter(stdin.readline, b""):
            answer = self.execute(raw)
            if answer is not None:
                try:
                    stdout.write(answer)
                    stdout.flush()
                except BrokenPipeError:  # the controller went away
                    break
            if self.quit:
                break
        return 0

    # -- administrative -----------------------------------------------------------------
    def _known_command(self, args: list[str]) -> str:
        _expect(args, 1, "known_command COMMAND")
        return "true" if args[0] in self.commands else "false"

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
        decision = self.player.genmove(self.game, color, budget=budget, cleanup=cleanup)
        elapsed = time.monotonic() - started
        if play:
            self.clocks[color] = spend(self.time_control, self.clocks[color], elapsed)
        if decision.action == RESIGN:
            if play:
                self.game.resign(color)
            return "resign"
        if play:
            self.game.play(decision.action, color)
            self.game.result = None
        return coords.to_gtp(decision.action, self.game.size)

    def budget(self, color: int) -> Budget | None:
        """Return the time budget of ``color``'s next move (None without time control)."""
        seconds = allocate_seconds(
            self.time_control, self.clocks[color], self.game.size, len(self.game.moves)
        )
        return None if seconds is None else Budget(seconds=seconds)

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
        key = (self.game.board.hash, len(self.game.moves), self.game.komi, self.game.size)
        if self._final is None or self._final[0] != key:
            self._final = (key, final_position(self.game, playouts=self.scoring_playouts))
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

    # -- helpers ------------------------------------------------------------------------
    def _new_game(self, game: Game) -> None:
        self.game = game
        self._final = None
        self.player.reset()


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
        player = make_player(args)
    except ValueError as exc:
        print(f"zerogo gtp: {exc}", file=sys.stderr)
        return 2
    engine = GtpEngine(player, args.size, args.komi)
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed by accident must not break the protocol
    try:
        return engine.serve(sys.stdin.buffer, stdout)
    finally:
        sys.stdout = sys.__stdout__


__all__ = [
    "Clock", "GtpEngine", "TimeControl", "add_arguments", "allocate_seconds",
    "expected_moves_left", "gui_command_line", "run", "spend",
]
