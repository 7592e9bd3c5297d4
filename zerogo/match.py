"""``zerogo match``: two GTP engines play a series of games; who is stronger, by how much,
and whether anything broke on the way.

Start reading at ``Match.play_game`` (one game) and ``Match.run`` (the series).
Beside them: ``schedule`` (each game's handicap and clock), ``MatchClock`` (the
runner's own clock), ``MatchJournal`` (what makes a match resumable) and
``summarize`` (the report).

One game:

1. its settings come from ``schedule``: a handicap from ``--handicaps`` and a time
   control from ``--time-controls``, taken in turn through every combination
   (``--mix cycle``) or drawn by seed (``--mix sample``), the same for games ``2i``
   and ``2i + 1`` so that each is played from both sides;
2. both engines get ``boardsize``, ``clear_board`` and ``komi`` (engines are started
   once and reused; engine1 is black in even games, white in odd ones).  A handicap
   of N >= 2 stones is placed with ``fixed_handicap N`` on both engines (each must
   place the stones of the GTP pattern) and white moves first; handicap games
   (N >= 1) use ``--handicap-komi``, and each engine adds its own compensation for
   the stones (GNU Go with ``--chinese-rules``: N points).  A time control goes to
   both engines as ``kgs-time_settings`` where the engine knows it, else as
   ``time_settings`` (Japanese byo-yomi then becomes Canadian byo-yomi of one stone
   per period: the engine sees a single period);
3. with ``opening_moves = K`` the first K plies are uniformly random legal moves,
   the same for games ``2i`` and ``2i + 1``;
4. the engines are asked ``genmove`` in turn.  With a clock, the mover first gets
   ``time_left``; the runner times the answer and charges its own clock
   (``MatchClock``, less ``--lag-allowance`` per move, as servers allow for lag).
   Every move goes first to the referee, a separate GTP engine (GNU Go) that
   follows the game with ``play``, then to zerogo's own rules
   (``engine.game.Game.play``: no suicide, positional superko); either refusing it
   makes it illegal.  A legal move is relayed to the other engine with ``play``;
5. the game ends by resignation, two passes in a row, the move cap (scored as it
   stands) or a forfeit.  A forfeit loses the game for the engine that caused it:

   ==========  ==============================================================
   kind        cause
   ==========  ==============================================================
   illegal     the referee or zerogo's rules refuse the move
   unparsable  the ``genmove`` answer is not a vertex, ``pass`` or ``resign``
   crash       the engine exited (it is restarted for the next game)
   timeout     the runner's clock ran out (loss on time); with ``--time S``
               no answer within ``max(2 S, S + 1)`` seconds; or no answer to
               a setup command (an engine that does not answer is killed
               and restarted)
   error       the engine answered ``?`` to a command it must accept, or
               placed other handicap stones than the GTP pattern
   ==========  ==============================================================

6. a game ended by passes or by the cap is scored by Tromp-Taylor area after
   dead-stone estimation (``engine.scoring.final_position``, with the handicap
   compensation of ``--handicap-compensation`` added to the komi); with a referee
   its ``final_score`` decides the result (zerogo's score is kept, and differing
   winners are counted as disagreements).

**Failures.** Each game records its *events*: the forfeit, and the protocol failures
that do not end a game (a ``?`` to ``time_settings`` or ``time_left``, a failed
warm-up).  They are counted in four kinds (``FAILURE_KINDS``): ``illegal_move``,
``time_loss``, ``crash`` and ``gtp_error`` (error and unparsable answers, no answer
to the warm-up).

**Journal and resume.** With a journal (``--journal``, by default ``games.jsonl`` in
the SGF folder) the match writes a header line with its settings, then one JSON line
per finished game (the ``results`` entry), each appended with one write and fsynced
before the next game starts.  ``--resume`` continues from the games in the journal:
the schedule depends only on the game's number, so the rest is played as an
uninterrupted match would play it, and the report at the end covers every game.  A
torn last line (a kill mid-write) is dropped and that game is played again; a
journal made with other settings (``MatchConfig.settings``) is refused.

``--json`` prints exactly one object on stdout with these keys:

- ``games``, ``size``, ``komi``, ``time`` (seconds per move or null),
  ``max_moves``, ``opening_moves``, ``seed``, ``interrupted``, ``error`` (why the
  series stopped early, or null), ``sgf_dir``, ``journal``;
- ``time_controls`` (a list, empty without clocks), ``handicaps``, ``mix``,
  ``handicap_komi``, ``handicap_compensation``, ``lag_allowance``;
- ``engine1``, ``engine2``: ``command``, ``name``, ``wins``, ``wins_black``,
  ``wins_white``, ``losses``, ``moves`` (genmove calls), ``seconds_per_move``,
  ``restarts``, ``forfeits`` (count per kind), ``failures`` (count per failure kind);
- ``draws``, ``capped`` (games ended by the move cap);
- ``engine1_win_rate`` (draws count half) and ``engine1_win_rate_interval``
  ``[low, high]`` (95 % Wilson score interval);
- ``elo`` (engine1 minus engine2) and ``elo_interval`` ``[low, high]`` (95 %);
  null where infinite (a clean sweep);
- ``forfeits``: count per kind over both engines; ``failures``: count per failure
  kind over both engines;
- ``referee``: null, or ``command``, ``name``, ``scored``, ``errors``,
  ``disagreements``, ``illegal`` (moves it refused);
- ``results``: one object per game: ``game``, ``black``, ``white`` (engine
  labels), ``handicap``, ``komi``, ``time_control`` (null without a clock),
  ``result`` (SGF RE such as ``B+3.5``, ``W+R``, ``B+F``, ``W+T``), ``winner``
  (``engine1``, ``engine2`` or null for a draw), ``reason``, ``moves``, ``capped``,
  ``score`` (zerogo's, black minus white minus komi and compensation),
  ``referee_score``, ``disagreement``, ``forfeit`` (null or ``engine``, ``kind``,
  ``detail``, ``source``: ``rules``, ``referee`` or ``engine``), ``events`` (each
  ``engine``, ``kind``, ``detail``, ``fatal``, ``move``), ``opening`` (GTP
  vertices), ``seconds`` and ``genmoves`` (per engine), ``restarts`` (per engine,
  since the previous game), ``referee_errors``, ``sgf`` (null when not written).
"""

from __future__ import annotations

import argparse
import copy
import datetime
import fcntl
import json
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from engine import coords, handicap
from engine.board import BLACK, WHITE, IllegalMoveError, opponent
from engine.game import Game, Result
from engine.scoring import DEFAULT_PLAYOUTS, final_position
from engine.sgf import save_sgf
from zerogo.gtp import HANDICAP_RULES, handicap_compensation
from zerogo.gtp_client import GtpClient, GtpCrash, GtpError, GtpTimeout
from zerogo.gtp_time import Clock, TimeControl, spend
from zerogo.stats import elo_interval, wilson_interval

HELP = "play two GTP engines against each other and report who is stronger"

DESCRIPTION = """\
Play a series of games between two GTP engines and report wins, win rate and Elo
difference with 95% intervals, seconds per move, forfeits and failures.

Each engine is any command line that speaks GTP, for example
  "/usr/games/gnugo --mode gtp --level 10 --chinese-rules"
  "zerogo gtp --player mcts --seconds 1"
Engine1 plays black in even games and white in odd games.  Every move is checked
with zerogo's rules (no suicide, positional superko) and, with --referee, by a
separate GTP engine that follows the game; an illegal move, an unparsable answer,
a crash, an error answer or a loss on time loses the game by forfeit.  Games ended
by two passes (or the move cap) are scored by Tromp-Taylor area after dead-stone
estimation, or by --referee when given.  One SGF file per game (PB/PW from the
engines' name and version, RE, KM, HA/AB, each move's seconds as its comment) is
written to --sgf-dir, and one JSON line per finished game to the journal, so that
--resume can continue a match that was stopped.

Time controls (--time-controls, whole seconds, sent to both engines and kept by the
match's own clock):
  none             no clock (each engine keeps its own budget)
  absolute:M       M seconds for the whole game
  byoyomi:M+TxP    M seconds main time, then P periods of T seconds (Japanese)
  canadian:M+T/S   M seconds main time, then S stones in every T seconds

examples:
  zerogo match --engine1 "zerogo gtp --player mcts --seconds 1" \\
      --engine2 "/usr/games/gnugo --mode gtp --level 10 --chinese-rules" \\
      -n 100 --size 9 --komi 7.5 --time 1 --json
  zerogo match --engine1 "zerogo gtp --player mcts --playouts 200" \\
      --engine2 "/usr/games/gnugo --mode gtp --level 1 --chinese-rules" \\
      --referee "/usr/games/gnugo --mode gtp --chinese-rules" -n 100 \\
      --time-controls absolute:60,byoyomi:10+3x1,canadian:10+5/10,none \\
      --handicaps 0,2,4 --sgf-dir matches/mixed --resume --json
"""

FORFEIT_KINDS = ("illegal", "unparsable", "crash", "timeout", "error")
FAILURE_KINDS = ("illegal_move", "time_loss", "crash", "gtp_error")
FAILURE_OF_FORFEIT = {
    "illegal": "illegal_move",
    "timeout": "time_loss",
    "crash": "crash",
    "unparsable": "gtp_error",
    "error": "gtp_error",
}
ENGINE_LABELS = ("engine1", "engine2")
MIX_MODES = ("cycle", "sample")
COMMAND_TIMEOUT = 60.0
"""Seconds allowed for any command other than a timed ``genmove``."""
HANG_GUARD = 600.0
"""Seconds allowed for ``genmove`` when no ``--time`` is given."""
WARMUP_TIMEOUT = 300.0
"""Seconds allowed for the untimed warm-up move."""
REFEREE_TIMEOUT = 120.0
"""Seconds allowed for the referee's ``final_score``."""
LATE_ANSWER_WAIT = 1.0
"""Seconds a ``genmove`` answer is still awaited after the clock ran out (the game is
lost on time either way; an engine that answers need not be killed)."""
DEFAULT_HANDICAP_KOMI = 0.5
DEFAULT_HANDICAP_RULE = "chinese"
DEFAULT_LAG_ALLOWANCE = 0.2
JOURNAL_NAME = "games.jsonl"
JOURNAL_KIND = "zerogo match journal"
JOURNAL_VERSION = 1
RESIGN = -1


# -- time controls ------------------------------------------------------------------
_TIME_PATTERNS = {
    "absolute": re.compile(r"absolute:(\d+)"),
    "byoyomi": re.compile(r"byoyomi:(\d+)\+(\d+)x(\d+)"),
    "canadian": re.compile(r"canadian:(\d+)\+(\d+)/(\d+)"),
}


def parse_time_control(text: str) -> TimeControl:
    """Return the time system named by ``text`` (whole seconds).

    ==================  ==========================================================
    text                time system
    ==================  ==========================================================
    ``none``            no clock: each engine keeps its own budget
    ``absolute:M``      M seconds for the whole game (sudden death)
    ``byoyomi:M+TxP``   M seconds main time, then P periods of T seconds
    ``canadian:M+T/S``  M seconds main time, then S stones in every T seconds
    ==================  ==========================================================

    The numbers after the main time come in the order of ``kgs-time_settings``.

    Raises:
        ValueError: for any other text, absolute time of 0 s, or a byo-yomi without
            period time or count.
    """
    value = text.strip().lower()
    if value == "none":
        return TimeControl()
    for kind, pattern in _TIME_PATTERNS.items():
        found = pattern.fullmatch(value)
        if found is None:
            continue
        numbers = [int(group) for group in found.groups()]
        if kind == "absolute":
            if numbers[0] < 1:
                raise ValueError(f"time control {text!r}: absolute time must be at least 1 s")
            return TimeControl("absolute", float(numbers[0]))
        main, period, count = numbers
        if period < 1 or count < 1:
            raise ValueError(f"time control {text!r}: the byo-yomi needs a period and a count")
        return TimeControl(kind, float(main), float(period), count)
    raise ValueError(
        f"unknown time control {text!r}: use none, absolute:M, byoyomi:M+TxP or "
        "canadian:M+T/S (whole seconds)"
    )


def format_time_control(control: TimeControl) -> str:
    """Return the text of ``control`` that ``parse_time_control`` reads."""
    if control.kind == "none":
        return "none"
    main = f"{control.main_time:g}"
    if control.kind == "absolute":
        return f"absolute:{main}"
    sep = "x" if control.kind == "byoyomi" else "/"
    return f"{control.kind}:{main}+{control.period_time:g}{sep}{control.period_count}"


def time_settings_command(control: TimeControl, kgs: bool) -> str:
    """Return the GTP command that tells an engine the time system ``control``.

    Args:
        control: the time system.
        kgs: the engine knows ``kgs-time_settings``.  Otherwise standard
            ``time_settings`` is used: Japanese byo-yomi becomes Canadian byo-yomi of
            one stone per period (the engine sees one period, never more time than it
            has), and no clock is byo-yomi time without stones (no limit, as GTP says).
    """
    main, period, count = int(control.main_time), int(control.period_time), control.period_count
    if kgs:
        if control.kind == "none":
            return "kgs-time_settings none"
        if control.kind == "absolute":
            return f"kgs-time_settings absolute {main}"
        return f"kgs-time_settings {control.kind} {main} {period} {count}"
    if control.kind == "none":
        return "time_settings 0 1 0"
    if control.kind == "absolute":
        return f"time_settings {main} 0 0"
    if control.kind == "byoyomi":
        return f"time_settings {main} {period} 1"
    return f"time_settings {main} {period} {count}"


class MatchClock:
    """The runner's clock of one player in one game: it decides losses on time.

    The clock runs as ``zerogo.gtp_time.spend`` charges it (main time first, then
    byo-yomi; a Japanese period is lost when a move overruns it, a Canadian period
    starts again full once its stones are played).

    Args:
        control: the game's time system (not ``none``).
    """

    def __init__(self, control: TimeControl) -> None:
        if control.kind == "none":
            raise ValueError("a game without a clock has no MatchClock")
        self.control = control
        self.clock = Clock.start(control)

    def available(self) -> float:
        """Return the seconds the next move may take before the flag falls."""
        control, clock = self.control, self.clock
        if control.kind == "absolute":
            return clock.main_left
        if control.kind == "byoyomi":
            # each period is full at the start of a move; all the periods left are at stake
            return clock.main_left + control.period_time * clock.count_left
        return clock.main_left + clock.period_left

    def charge(self, seconds: float) -> bool:
        """Charge one move that took ``seconds``; return False if the flag fell.

        A fallen flag leaves the clock as it was (the game is over).
        """
        if seconds > self.available():
            return False
        self.clock = spend(self.control, self.clock, seconds)
        return True

    def time_left(self, one_stone_periods: bool = False) -> tuple[int, int]:
        """Return TIME and STONES of GTP ``time_left`` (whole seconds, rounded down).

        Main time gives ``(seconds, 0)``.  In byo-yomi, or with less than a second of
        main time before it, Canadian gives the period's seconds and stones left,
        Japanese the period's seconds and the periods left (1 for an engine told the
        byo-yomi as Canadian with one stone per period).
        """
        control, clock = self.control, self.clock
        if control.kind == "absolute" or clock.main_left >= 1.0:
            return int(clock.main_left), 0
        seconds = int(clock.period_left + clock.main_left)
        if control.kind == "byoyomi" and one_stone_periods:
            return seconds, 1
        return seconds, clock.count_left

    def describe(self) -> str:
        """Return e.g. ``"main 4.2 s, 3 periods"`` (for forfeit details)."""
        control, clock = self.control, self.clock
        text = f"main {clock.main_left:.2f} s"
        if control.kind == "byoyomi":
            text += f", {clock.count_left} periods of {control.period_time:g} s"
        elif control.kind == "canadian":
            text += f", {clock.period_left:.2f} s for {clock.count_left} stones"
        return text


# -- configuration --------------------------------------------------------------
@dataclass(frozen=True)
class MatchConfig:
    """What ``zerogo match`` plays; fields map one-to-one onto its flags.

    Attributes:
        engine1: command line of the first engine.
        engine2: command line of the second engine.
        games: number of games.
        size: board size.
        komi: komi of even games.
        seconds: per-move time S; a move slower than ``max(2 S, S + 1)`` forfeits.
            None enforces only a hang guard of ``HANG_GUARD`` seconds.  Not together
            with ``time_controls``.
        referee: command line of a GTP engine that follows every game with ``play``
            (a move it refuses is illegal) and whose ``final_score`` decides scored
            games, or None.
        sgf_dir: folder for the SGF files, or None to write none.
        max_moves: move cap (random opening included); None means ``3 * size**2``.
        seed: seed of the random openings, of ``mix = "sample"`` and of the
            dead-stone estimate.
        opening_moves: random plies at the start of each pair of games.
        warmup: ask each engine for one untimed move before its first game (so
            start-up costs such as JIT compilation do not count as a timeout).
        send_time_settings: tell engines ``time_settings 0 S 1`` (S seconds per move).
        scoring_playouts: playouts of the dead-stone estimate.
        untimed_engine2: hold engine2 only to the hang guard, not to ``seconds`` or
            the clock (for reference engines without time control, such as GNU Go
            by level).
        time_controls: time controls (``parse_time_control`` texts) the games are
            played with, in turn or sampled (``mix``); empty: no clock is sent.
        handicaps: handicaps the games are played with (0: even game; 1: no stones,
            black first, ``handicap_komi``; N >= 2: N fixed stones).
        mix: ``cycle`` (every combination of time control and handicap in turn,
            see ``schedule``) or ``sample`` (drawn by ``seed`` for each pair of games).
        handicap_komi: komi sent for handicap games.
        handicap_rule: compensation for handicap stones in zerogo's own score
            (``aga`` N-1, ``chinese`` N, ``none``), as ``zerogo gtp`` names them.
        lag_allowance: seconds of each move not charged to the clock.
        journal: the journal file (one JSON line per finished game), or None.
        resume: continue the games of ``journal`` (it may also not exist yet).
        sgf_every: write the SGF of every K-th game, and of every game with a
            failure or a score the referee disagrees with.
    """

    engine1: str
    engine2: str
    games: int = 2
    size: int = 9
    komi: float = 7.5
    seconds: float | None = None
    referee: str | None = None
    sgf_dir: str | None = None
    max_moves: int | None = None
    seed: int = 0
    opening_moves: int = 0
    warmup: bool = True
    send_time_settings: bool = False
    scoring_playouts: int = DEFAULT_PLAYOUTS
    untimed_engine2: bool = False
    time_controls: tuple[str, ...] = ()
    handicaps: tuple[int, ...] = (0,)
    mix: str = "cycle"
    handicap_komi: float = DEFAULT_HANDICAP_KOMI
    handicap_rule: str = DEFAULT_HANDICAP_RULE
    lag_allowance: float = DEFAULT_LAG_ALLOWANCE
    journal: str | None = None
    resume: bool = False
    sgf_every: int = 1

    def __post_init__(self) -> None:
        if not self.engine1.strip() or not self.engine2.strip():
            raise ValueError("both engine command lines must be given")
        if self.games < 1:
            raise ValueError(f"games must be at least 1, got {self.games}")
        if not 2 <= self.size <= 19:
            raise ValueError(f"size must be between 2 and 19, got {self.size}")
        if self.seconds is not None and self.seconds <= 0:
            raise ValueError(f"time per move must be positive, got {self.seconds}")
        if self.max_moves is not None and self.max_moves < 1:
            raise ValueError(f"max_moves must be at least 1, got {self.max_moves}")
        if self.opening_moves < 0:
            raise ValueError(f"opening_moves must be non-negative, got {self.opening_moves}")
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}")
        if self.scoring_playouts < 1:
            raise ValueError(f"scoring_playouts must be positive, got {self.scoring_playouts}")
        for text in self.time_controls:
            parse_time_control(text)
        if self.time_controls and self.seconds is not None:
            raise ValueError("give either a time per move or time controls, not both")
        if not self.handicaps:
            raise ValueError("give at least one handicap (0 for even games)")
        limit = handicap.max_fixed_handicap(self.size)
        for stones in self.handicaps:
            if stones < 0:
                raise ValueError(f"handicap must be non-negative, got {stones}")
            if stones >= 2 and stones > limit:
                raise ValueError(
                    f"handicap {stones} has no fixed placement on {self.size}x{self.size} "
                    f"(at most {limit} stones)" if limit else
                    f"no fixed handicap placement on {self.size}x{self.size}"
                )
        if self.mix not in MIX_MODES:
            raise ValueError(f"mix must be one of {MIX_MODES}, got {self.mix!r}")
        if not math.isfinite(self.komi) or not math.isfinite(self.handicap_komi):
            raise ValueError("komi must be finite")
        if self.handicap_rule not in HANDICAP_RULES:
            raise ValueError(f"handicap compensation must be one of {HANDICAP_RULES}, "
                             f"got {self.handicap_rule!r}")
        if not self.lag_allowance >= 0:
            raise ValueError(f"lag allowance must be non-negative, got {self.lag_allowance}")
        if self.resume and self.journal is None:
            raise ValueError("resuming needs a journal")
        if self.sgf_every < 1:
            raise ValueError(f"sgf_every must be at least 1, got {self.sgf_every}")

    @property
    def move_cap(self) -> int:
        """The number of moves after which a game is stopped and scored."""
        return self.max_moves if self.max_moves is not None else 3 * self.size * self.size

    @property
    def move_timeout(self) -> float:
        """Seconds a ``genmove`` may take before it forfeits: ``max(2 S, S + 1)``."""
        if self.seconds is None:
            return HANG_GUARD
        return max(2.0 * self.seconds, self.seconds + 1.0)

    def settings(self) -> dict[str, Any]:
        """Return what decides the games (JSON-ready): a resumed match must share it.

        Every field but ``games`` (a resumed match may be longer), ``sgf_dir``,
        ``warmup``, ``journal``, ``resume`` and ``sgf_every``.
        """
        free = ("games", "sgf_dir", "warmup", "journal", "resume", "sgf_every")
        settings = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in free}
        settings["time_controls"] = [
            format_time_control(parse_time_control(t)) for t in self.time_controls
        ]
        settings["handicaps"] = list(self.handicaps)
        return settings


@dataclass(frozen=True)
class GameSettings:
    """What one game of the match is played with.

    Attributes:
        handicap: 0 (even), 1 (no stones, black first) or N >= 2 fixed stones.
        komi: the komi sent to the engines.
        time_control: the game's time system, or None when no clock is sent.
    """

    handicap: int
    komi: float
    time_control: TimeControl | None

    @property
    def stones(self) -> int:
        """Number of handicap stones on the board."""
        return self.handicap if self.handicap >= 2 else 0


def schedule(config: MatchConfig, index: int) -> GameSettings:
    """Return the settings of game ``index`` (games ``2i`` and ``2i + 1`` share them).

    With T time controls and H handicaps, ``cycle`` gives pair ``i`` time control
    ``i mod T`` and handicap ``(i + i div L) mod H``, where ``L = lcm(T, H)``: both
    change from one pair to the next, and each block of ``T * H`` pairs (from pair 0)
    plays every combination once.  The shift ``i div L`` reaches the combinations
    that ``(i mod T, i mod H)`` alone would skip when T and H share a factor.
    ``sample`` draws both from a generator seeded by ``(seed, i)``.  Either depends
    only on the game's number, which is what lets a resumed match go on as it
    would have.
    """
    pair = index // 2
    controls: list[TimeControl | None] = [parse_time_control(t) for t in config.time_controls]
    if not controls:
        controls = [None]
    handicaps = list(config.handicaps)
    if config.mix == "cycle":
        period = math.lcm(len(controls), len(handicaps))
        control = controls[pair % len(controls)]
        stones = handicaps[(pair + pair // period) % len(handicaps)]
    else:
        rng = np.random.default_rng([config.seed, pair, 1])
        control = controls[int(rng.integers(len(controls)))]
        stones = handicaps[int(rng.integers(len(handicaps)))]
    komi = config.komi if stones == 0 else config.handicap_komi
    return GameSettings(stones, komi, control)


# -- engines --------------------------------------------------------------------
def command_argv(command: str) -> list[str]:
    """Split a command line; a bare ``zerogo`` not on PATH runs this interpreter's.

    Raises:
        ValueError: for an empty or badly quoted command line.
    """
    argv = shlex.split(command)
    if not argv:
        raise ValueError("empty engine command line")
    if argv[0] == "zerogo" and shutil.which("zerogo") is None:
        argv = [sys.executable, "-m", "zerogo", *argv[1:]]
    return argv


class Engine:
    """One GTP engine of a match (or the referee): started once, restarted after a crash.

    Args:
        label: ``"engine1"``, ``"engine2"`` or ``"referee"``.
        command: its command line.

    Raises:
        OSError: if the program cannot be started.
        ValueError: for an empty command line.
    """

    def __init__(self, label: str, command: str) -> None:
        self.label = label
        self.command = command
        self.argv = command_argv(command)
        self.name = os.path.basename(self.argv[0])
        self.restarts = 0
        self.moves = 0
        self.seconds = 0.0
        self._known: dict[str, bool] = {}
        self.client = self._spawn()
        self.name = self._query_name()

    def _spawn(self) -> GtpClient:
        self._known = {}
        # its own session: a Ctrl-C stops the match, and is not an engine crash
        return GtpClient(self.argv, stderr=subprocess.DEVNULL, new_session=True)

    def _query_name(self) -> str:
        """Return ``name version`` from GTP (the program's file name if it will not say)."""
        fallback = os.path.basename(self.argv[0])
        try:
            name = self.send("name").strip() or fallback
        except GtpError:
            return fallback
        except (GtpTimeout, GtpCrash):
            self.kill()
            self.client = self._spawn()
            return fallback
        try:
            version = self.send("version").strip()
        except GtpError:
            version = ""
        except (GtpTimeout, GtpCrash):
            self.kill()
            self.client = self._spawn()
            version = ""
        return f"{name} {version}".strip()

    def send(self, command: str, timeout: float = COMMAND_TIMEOUT) -> str:
        """Send one GTP command and return the answer.

        Raises:
            GtpError: for a ``?`` answer.
            GtpTimeout: if no answer comes within ``timeout`` seconds.
            GtpCrash: if the engine has exited.
        """
        return self.client.send(command, timeout)

    def knows(self, command: str) -> bool:
        """Return whether the engine knows ``command`` (asked once per process).

        Raises:
            GtpTimeout: if ``known_command`` gets no answer.
            GtpCrash: if the engine has exited.
        """
        if command not in self._known:
            try:
                answer = self.send(f"known_command {command}")
            except GtpError:
                answer = "false"
            self._known[command] = answer.strip().lower() == "true"
        return self._known[command]

    def restart(self) -> None:
        """Kill the engine and start a fresh process.

        Raises:
            OSError: if the program cannot be started again.
        """
        self.kill()
        self.client = self._spawn()
        self.restarts += 1

    def kill(self) -> None:
        """Kill the engine process (no ``quit``: it may be busy or hung)."""
        process = self.client.process
        if process.poll() is None:
            process.kill()
        process.wait()

    def close(self) -> None:
        """Send ``quit``; kill the engine if it does not exit promptly."""
        self.client.close(timeout=2.0)

    @property
    def seconds_per_move(self) -> float | None:
        """Average seconds per ``genmove`` (None before the first)."""
        return self.seconds / self.moves if self.moves else None


class Forfeit(Exception):
    """An engine lost the game by breaking the protocol or the rules.

    Args:
        engine: the engine at fault.
        kind: one of ``FORFEIT_KINDS``.
        detail: what happened.
        source: who found it: ``engine`` (the engine's own answers), ``rules``
            (zerogo's rules) or ``referee``.
        restart: the engine must be restarted (default: after a crash or when an
            answer is still pending).
    """

    def __init__(self, engine: Engine, kind: str, detail: str, source: str = "engine",
                 restart: bool | None = None) -> None:
        super().__init__(f"{engine.label} forfeits ({kind}): {detail}")
        self.engine = engine
        self.kind = kind
        self.detail = detail
        self.source = source
        self.restart = kind in ("crash", "timeout") if restart is None else restart


def _call(engine: Engine, command: str, timeout: float = COMMAND_TIMEOUT) -> str:
    """Send ``command``; turn every failure into a ``Forfeit`` of ``engine``.

    Raises:
        Forfeit: of kind crash, timeout or error.
    """
    try:
        return engine.send(command, timeout)
    except GtpCrash as exc:
        raise Forfeit(engine, "crash", str(exc)) from None
    except GtpTimeout as exc:
        raise Forfeit(engine, "timeout", str(exc)) from None
    except GtpError as exc:
        raise Forfeit(engine, "error", str(exc)) from None


def _gtp_color(color: int) -> str:
    return "b" if color == BLACK else "w"


def _vertices(text: str, size: int) -> list[int]:
    """Return the flat actions of a GTP vertex list such as ``"C3 G7"``.

    Raises:
        ValueError: for a word that is no vertex.
    """
    return [coords.from_gtp(word, size) for word in text.split()]


def _event(engine: str, kind: str, detail: str, fatal: bool, move: int | None) -> dict[str, Any]:
    """Return one failure event of a game (``kind`` in ``FAILURE_KINDS``)."""
    return {"engine": engine, "kind": kind, "detail": detail, "fatal": fatal, "move": move}


# -- results --------------------------------------------------------------------
SCORE_PATTERN = re.compile(r"^([BW])\+(\d+(?:\.\d*)?)$", re.IGNORECASE)


def parse_score(text: str) -> float:
    """Return black's margin from a GTP ``final_score`` answer (``B+3.5``, ``W+2``, ``0``).

    Raises:
        ValueError: for anything else (e.g. ``B+R``).
    """
    value = text.strip()
    if value in ("0", "Draw", "draw"):
        return 0.0
    match = SCORE_PATTERN.match(value)
    if match is None:
        raise ValueError(f"not a final score: {text!r}")
    margin = float(match.group(2))
    return margin if match.group(1).upper() == "B" else -margin


def result_from_score(score: float) -> Result:
    """Return the result of a game with black's margin ``score`` (0 is a draw)."""
    if score > 0:
        return Result(BLACK, score)
    if score < 0:
        return Result(WHITE, -score)
    return Result(0, 0.0)


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


@dataclass
class GameRecord:
    """What happened in one game of the match (one entry of the JSON ``results``)."""

    game: int
    black: str
    white: str
    handicap: int = 0
    komi: float = 0.0
    time_control: str | None = None
    result: str = ""
    winner: str | None = None
    reason: str = ""
    moves: int = 0
    capped: bool = False
    score: float | None = None
    referee_score: float | None = None
    disagreement: bool = False
    forfeit: dict[str, str] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    opening: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    genmoves: dict[str, int] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    referee_errors: int = 0
    sgf: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the record as a JSON-ready dict."""
        return {
            "game": self.game,
            "black": self.black,
            "white": self.white,
            "handicap": self.handicap,
            "komi": self.komi,
            "time_control": self.time_control,
            "result": self.result,
            "winner": self.winner,
            "reason": self.reason,
            "moves": self.moves,
            "capped": self.capped,
            "score": self.score,
            "referee_score": self.referee_score,
            "disagreement": self.disagreement,
            "forfeit": self.forfeit,
            "events": [dict(event) for event in self.events],
            "opening": list(self.opening),
            "seconds": {k: round(v, 4) for k, v in self.seconds.items()},
            "genmoves": dict(self.genmoves),
            "restarts": dict(self.restarts),
            "referee_errors": self.referee_errors,
            "sgf": self.sgf,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GameRecord:
        """Return the record that ``to_json`` wrote as ``data`` (unknown keys ignored).

        Raises:
            TypeError: if ``data`` is not a game record (no ``game``, ``black``, ``white``).
        """
        if not isinstance(data, dict):
            raise TypeError("a game record is a JSON object")
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


def random_opening(size: int, plies: int, rng: np.random.Generator,
                   stones: Sequence[int] = ()) -> list[int]:
    """Return ``plies`` uniformly random legal moves (no passes).

    They start from the empty board, or from the black handicap ``stones`` (flat
    actions) with white to move.  Fewer moves are returned if the board runs out
    of legal points.
    """
    game = Game(size)
    if stones:
        game.set_handicap(list(stones))
    actions: list[int] = []
    for _ in range(plies):
        legal = np.flatnonzero(game.board.legal_mask()[:-1])
        if len(legal) == 0:
            break
        action = int(rng.choice(legal))
        game.play(action)
        actions.append(action)
    return actions


# -- the journal ------------------------------------------------------------------
class JournalError(ValueError):
    """A journal this match may not continue: made with other settings, corrupt,
    holding more games than asked for, or existing when no resume was asked for."""


def _fsync_dir(directory: Path) -> None:
    """Make a new entry of ``directory`` durable (where the platform allows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename.

    Raises:
        OSError: if the file cannot be written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    _fsync_dir(target.parent)


def _parse_lines(data: bytes, path: Path) -> tuple[list[dict[str, Any]], int]:
    """Return the JSON objects of the complete lines of ``data`` and the bytes they span.

    The bytes after the last newline, or a last line that is not JSON, are what a
    kill mid-write leaves: they are left out.

    Raises:
        JournalError: for a line before the last that is not a JSON object.
    """
    lines = data.split(b"\n")
    complete = lines[:-1]
    entries: list[dict[str, Any]] = []
    offset = 0
    for number, raw in enumerate(complete):
        try:
            entry = json.loads(raw)
            if not isinstance(entry, dict):
                raise ValueError("not an object")
        except ValueError:
            if number == len(complete) - 1 and not lines[-1]:
                break  # the last line, torn by a kill
            raise JournalError(f"{path}: line {number + 1} is not a JSON object") from None
        entries.append(entry)
        offset += len(raw) + 1
    return entries, offset


class MatchJournal:
    """The journal of a match: a header line with the settings, then one JSON line
    per finished game (``GameRecord.to_json``).

    Each line is appended with one write and fsynced before ``append`` returns, so a
    game reported finished survives any crash; a kill can tear only the last line,
    which ``open`` drops (that game is played again).  An open journal holds an
    exclusive ``flock``: a second match on the same journal is refused.

    Args:
        path: the journal file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd = -1

    def open(self, settings: dict[str, Any], resume: bool, games: int) -> list[GameRecord]:
        """Check the journal and make it ready for appending; return its finished games.

        Args:
            settings: ``MatchConfig.settings()`` of this match; a journal written with
                other settings is refused.
            resume: continue an existing journal; without it the journal must not
                exist yet (or be empty).
            games: the number of games of this match; the journal may not hold more.

        Returns:
            The games of the journal, in order (none for a new journal).

        Raises:
            JournalError: for any reason not to continue, including an unreadable file.
        """
        try:
            return self._open(settings, resume, games)
        except OSError as exc:
            raise JournalError(f"cannot use the journal {self.path}: {exc}") from None

    def _open(self, settings: dict[str, Any], resume: bool, games: int) -> list[GameRecord]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise JournalError(f"the journal {self.path} is in use by another match") from None
            records = self._check(fd, settings, resume, games)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd  # held, with its lock, until close
        return records

    def _check(self, fd: int, settings: dict[str, Any], resume: bool,
               games: int) -> list[GameRecord]:
        """Read the locked journal ``fd``; return its games, or write a new header."""
        data = self.path.read_bytes()
        if data and not resume:
            raise JournalError(
                f"the journal {self.path} exists; pass --resume to continue its match, "
                "or choose another journal"
            )
        entries, good = _parse_lines(data, self.path)
        if not entries:  # new, or only a torn header
            os.ftruncate(fd, 0)
            header = {
                "journal": JOURNAL_KIND,
                "version": JOURNAL_VERSION,
                "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                "settings": settings,
            }
            _write_all(fd, (json.dumps(header) + "\n").encode())
            os.fsync(fd)
            _fsync_dir(self.path.parent)
            return []
        header = entries[0]
        if header.get("journal") != JOURNAL_KIND:
            raise JournalError(f"{self.path} is not a zerogo match journal")
        before = header.get("settings")
        if not isinstance(before, dict):
            raise JournalError(f"{self.path}: the header has no settings")
        differences = [
            f"{key} {before.get(key)!r} there, {settings.get(key)!r} here"
            for key in sorted(set(before) | set(settings))
            if before.get(key) != settings.get(key)
        ]
        if differences:
            raise JournalError(
                f"the journal {self.path} was made with other settings ("
                + "; ".join(differences)
                + "); rerun with its settings or start another journal"
            )
        records: list[GameRecord] = []
        for number, entry in enumerate(entries[1:]):
            try:
                record = GameRecord.from_json(entry)
            except TypeError:
                raise JournalError(f"{self.path}: line {number + 2} is no game record") from None
            if record.game != number:
                raise JournalError(
                    f"{self.path}: line {number + 2} holds game {record.game}, not {number}"
                )
            records.append(record)
        if len(records) > games:
            raise JournalError(
                f"the journal {self.path} holds {len(records)} games, more than the "
                f"{games} asked for"
            )
        if good < len(data):
            os.ftruncate(fd, good)  # drop the torn line; its game is played again
            os.fsync(fd)
        return records

    def append(self, record: GameRecord) -> None:
        """Append ``record`` as one line and fsync it.

        Raises:
            OSError: if the line cannot be written.
        """
        if self._fd < 0:
            raise ValueError("the journal is not open")
        line = json.dumps(record.to_json(), separators=(",", ":")) + "\n"
        _write_all(self._fd, line.encode())
        os.fsync(self._fd)

    def close(self) -> None:
        """Close the file and release its lock (every line is already on disk)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


# -- the match ------------------------------------------------------------------
class Match:
    """A series of games between two GTP engines.

    With ``config.journal`` the games already in the journal are taken as played
    (``config.resume``) and each new game is appended to it when it finishes.

    Args:
        config: what to play.

    Raises:
        JournalError: if the journal may not be continued (see ``MatchJournal.open``).
        OSError: if an engine cannot be started.
        ValueError: for an empty engine command line.
    """

    def __init__(self, config: MatchConfig) -> None:
        self.config = config
        self.records: list[GameRecord] = []
        self.interrupted = False
        self.error: str | None = None
        self.engines: list[Engine] = []
        self.referee: Engine | None = None
        self.journal: MatchJournal | None = None
        self._pending_events: list[dict[str, Any]] = []
        self._referee_live = False
        self._game_referee_errors = 0
        if config.journal is not None:
            journal = MatchJournal(config.journal)
            self.records = journal.open(config.settings(), config.resume, config.games)
            self.journal = journal
        self.resumed = len(self.records)
        try:
            if config.sgf_dir is not None:
                Path(config.sgf_dir).mkdir(parents=True, exist_ok=True)
            for label, command in zip(ENGINE_LABELS, (config.engine1, config.engine2), strict=True):
                self.engines.append(Engine(label, command))
            if config.referee:
                self.referee = Engine("referee", config.referee)
        except BaseException:
            self.close()
            raise
        for engine in self.engines:  # the totals of the games in the journal
            engine.moves = sum(r.genmoves.get(engine.label, 0) for r in self.records)
            engine.seconds = sum(r.seconds.get(engine.label, 0.0) for r in self.records)
            engine.restarts = sum(r.restarts.get(engine.label, 0) for r in self.records)
        self._logged_restarts = {engine.label: engine.restarts for engine in self.engines}
        if config.warmup:
            for engine in self.engines:
                self._pending_events += self._warm_up(engine)

    # -- lifecycle ----------------------------------------------------------------
    def close(self) -> None:
        """Quit every engine and close the journal."""
        for engine in [*self.engines, self.referee]:
            if engine is not None:
                engine.close()
        if self.journal is not None:
            self.journal.close()

    def __enter__(self) -> Match:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def referee_errors(self) -> int:
        """Failures of the referee over the games played (it is restarted after each)."""
        return sum(r.referee_errors for r in self.records)

    def run(self, on_game: Callable[[GameRecord], None] | None = None) -> list[GameRecord]:
        """Play the remaining games; call ``on_game`` after each one.

        A KeyboardInterrupt, or a crashed engine that cannot be started again,
        stops the series after the games already finished (``interrupted`` is then
        True; ``error`` says why in the second case).

        Returns:
            The records of all games played (those of the journal included).
        """
        try:
            for index in range(len(self.records), self.config.games):
                record = self.play_game(index)
                if on_game is not None:
                    on_game(record)
        except KeyboardInterrupt:
            self.interrupted = True
        except OSError as exc:
            self.interrupted = True
            self.error = f"cannot restart an engine: {exc}"
        return self.records

    # -- one game -------------------------------------------------------------------
    def opening(self, pair: int, stones: Sequence[int] = ()) -> list[int]:
        """Return the random opening shared by games ``2 * pair`` and ``2 * pair + 1``."""
        rng = np.random.default_rng([self.config.seed, pair])
        return random_opening(self.config.size, self.config.opening_moves, rng, stones)

    def play_game(self, index: int) -> GameRecord:
        """Play game ``index`` (engine1 black when it is even), record and return it.

        The record is appended to the journal (and fsynced) before this returns.

        Raises:
            OSError: if a crashed engine cannot be started again, or the journal
                cannot be written.
        """
        config = self.config
        settings = schedule(config, index)
        first, second = self.engines
        black, white = (first, second) if index % 2 == 0 else (second, first)
        players = {BLACK: black, WHITE: white}
        game = Game(config.size, settings.komi)
        stones: list[int] = []
        if settings.stones:
            stones = handicap.fixed_handicap(config.size, settings.stones)
            game.set_handicap(stones)
        opening = self.opening(index // 2, stones)
        control = settings.time_control
        record = GameRecord(
            game=index,
            black=black.label,
            white=white.label,
            handicap=settings.handicap,
            komi=settings.komi,
            time_control=None if control is None else format_time_control(control),
            opening=[coords.to_gtp(a, config.size) for a in opening],
            events=self._pending_events,
            seconds={first.label: 0.0, second.label: 0.0},
            genmoves={first.label: 0, second.label: 0},
        )
        self._pending_events = []
        self._game_referee_errors = 0
        clocks: dict[int, MatchClock] | None = None
        if control is not None and control.kind != "none":
            clocks = {BLACK: MatchClock(control), WHITE: MatchClock(control)}
        try:
            for engine in (black, white):
                self._new_game(engine, settings, stones, record)
            self._referee_live = self.referee is not None and self._referee_sync(game)
            for action in opening:
                color = game.to_move
                vertex = coords.to_gtp(action, config.size)
                game.play(action, color, comment="random opening")
                if self._referee_play(color, vertex) is not None:
                    self._referee_failed()  # the rules disagree on a move zerogo chose
                for engine in (black, white):
                    _call(engine, f"play {_gtp_color(color)} {vertex}")
            while not game.is_over and len(game.moves) < config.move_cap:
                color = game.to_move
                mover, other = players[color], players[opponent(color)]
                clock = None if clocks is None else clocks[color]
                action, elapsed = self._genmove(mover, color, clock, record, len(game.moves))
                if action == RESIGN:
                    game.resign(color)
                    break
                vertex = coords.to_gtp(action, config.size)
                refusal = self._referee_play(color, vertex)
                if refusal is not None:
                    assert self.referee is not None
                    raise Forfeit(mover, "illegal",
                                  f"{vertex} refused by the referee ({self.referee.name}): "
                                  f"{refusal}", source="referee")
                try:
                    game.play(action, color, comment=f"{elapsed:.2f} s")
                except IllegalMoveError as exc:
                    raise Forfeit(mover, "illegal", f"{vertex}: {exc}", source="rules") from None
                _call(other, f"play {_gtp_color(color)} {vertex}")
        except Forfeit as forfeit:
            loser = BLACK if forfeit.engine is black else WHITE
            reason = "time" if forfeit.kind == "timeout" else "forfeit"
            game.result = Result(opponent(loser), 0.0, reason)
            record.forfeit = {
                "engine": forfeit.engine.label,
                "kind": forfeit.kind,
                "detail": forfeit.detail,
                "source": forfeit.source,
            }
            record.events.append(_event(forfeit.engine.label, FAILURE_OF_FORFEIT[forfeit.kind],
                                        forfeit.detail, True, len(game.moves)))
            if forfeit.restart:
                forfeit.engine.restart()
                if config.warmup:
                    record.events += self._warm_up(forfeit.engine)
        if game.result is None:
            record.capped = not game.is_over
            self._score(game, record, index)
        assert game.result is not None
        record.moves = len(game.moves)
        record.result = game.result.sgf()
        record.reason = game.result.reason
        record.winner = players[game.result.winner].label if game.result.winner else None
        record.restarts = {}
        for engine in self.engines:
            record.restarts[engine.label] = engine.restarts - self._logged_restarts[engine.label]
            self._logged_restarts[engine.label] = engine.restarts
        record.referee_errors = self._game_referee_errors
        kept = index % config.sgf_every == 0 or record.events or record.disagreement
        if config.sgf_dir is not None and kept:
            record.sgf = str(self._write_sgf(game, record, black, white))
        self.records.append(record)
        if self.journal is not None:
            self.journal.append(record)
        return record

    def _new_game(self, engine: Engine, settings: GameSettings, stones: list[int],
                  record: GameRecord) -> None:
        """Set up a fresh game on ``engine``: size, komi, handicap stones and clock.

        Raises:
            Forfeit: if the engine fails a setup command or places other stones.
        """
        config = self.config
        _call(engine, f"boardsize {config.size}")
        _call(engine, "clear_board")
        _call(engine, f"komi {settings.komi:g}")
        if stones:
            answer = _call(engine, f"fixed_handicap {len(stones)}")
            try:
                placed = _vertices(answer, config.size)
            except ValueError:
                placed = []
            if sorted(placed) != sorted(stones):
                expected = " ".join(coords.to_gtp(a, config.size) for a in stones)
                raise Forfeit(engine, "error", f"fixed_handicap {len(stones)} placed "
                              f"{answer!r}, not {expected}")
        if settings.time_control is not None:
            kgs = self._knows(engine, "kgs-time_settings")
            self._optional(engine, time_settings_command(settings.time_control, kgs), record, 0)
        elif config.send_time_settings and config.seconds is not None:
            seconds = max(1, math.ceil(config.seconds))
            self._optional(engine, f"time_settings 0 {seconds} 1", record, 0)

    def _knows(self, engine: Engine, command: str) -> bool:
        """Return ``engine.knows(command)``.

        Raises:
            Forfeit: of kind timeout or crash.
        """
        try:
            return engine.knows(command)
        except GtpTimeout as exc:
            raise Forfeit(engine, "timeout", str(exc)) from None
        except GtpCrash as exc:
            raise Forfeit(engine, "crash", str(exc)) from None

    def _optional(self, engine: Engine, command: str, record: GameRecord, move: int) -> None:
        """Send a command whose ``?`` answer does not end the game (it is a gtp_error).

        Raises:
            Forfeit: of kind timeout or crash.
        """
        try:
            engine.send(command)
        except GtpError as exc:
            record.events.append(_event(engine.label, "gtp_error", str(exc), False, move))
        except GtpTimeout as exc:
            raise Forfeit(engine, "timeout", str(exc)) from None
        except GtpCrash as exc:
            raise Forfeit(engine, "crash", str(exc)) from None

    def _genmove(self, engine: Engine, color: int, clock: MatchClock | None,
                 record: GameRecord, move: int) -> tuple[int, float]:
        """Ask ``engine`` for a move; return the action (``RESIGN`` too) and its seconds.

        With a clock the engine first gets ``time_left``, and the move is charged to
        the clock less the lag allowance.  The move's seconds and count go to the
        engine and to the record.

        Raises:
            Forfeit: for a crash, a loss on time, an error answer or an unparsable answer.
        """
        config = self.config
        enforced = not (config.untimed_engine2 and engine.label == "engine2")
        gtp_color = _gtp_color(color)
        available = math.inf
        if clock is not None:
            one_stone = clock.control.kind == "byoyomi" and not self._knows(
                engine, "kgs-time_settings")
            seconds, stones = clock.time_left(one_stone)
            self._optional(engine, f"time_left {gtp_color} {seconds} {stones}", record, move)
            available = clock.available()
        if not enforced:
            limit = HANG_GUARD
        elif clock is not None:
            limit = available + config.lag_allowance + LATE_ANSWER_WAIT
        else:
            limit = config.move_timeout
        start = time.monotonic()
        try:
            answer = _call(engine, f"genmove {gtp_color}", limit)
        finally:
            elapsed = time.monotonic() - start
            engine.moves += 1
            engine.seconds += elapsed
            record.genmoves[engine.label] += 1
            record.seconds[engine.label] += elapsed
        if clock is not None and enforced:
            if not clock.charge(max(0.0, elapsed - config.lag_allowance)):
                raise Forfeit(
                    engine, "timeout",
                    f"lost on time: the move took {elapsed:.2f} s with {available:.2f} s left "
                    f"({format_time_control(clock.control)}, lag allowance "
                    f"{config.lag_allowance:g} s)", restart=False,
                )
        elif elapsed > limit:
            raise Forfeit(engine, "timeout", f"answered after {elapsed:.2f} s (limit {limit:g} s)",
                          restart=False)
        text = answer.strip()
        if text.lower() == "resign":
            return RESIGN, elapsed
        try:
            return coords.from_gtp(text, config.size), elapsed
        except ValueError:
            raise Forfeit(engine, "unparsable", f"genmove answered {answer!r}") from None

    def _warm_up(self, engine: Engine) -> list[dict[str, Any]]:
        """Ask ``engine`` for one untimed move on an empty board (not part of any game).

        An engine that hangs or crashes here is restarted without a second warm-up;
        its next game will tell.

        Returns:
            The failure events (none for an engine that answered well).
        """
        config = self.config
        try:
            engine.send(f"boardsize {config.size}")
            engine.send("clear_board")
            engine.send(f"komi {config.komi:g}")
            engine.send("genmove b", WARMUP_TIMEOUT)
        except GtpError as exc:
            return [_event(engine.label, "gtp_error", f"warm-up: {exc}", False, None)]
        except GtpTimeout as exc:
            engine.restart()
            return [_event(engine.label, "gtp_error", f"warm-up: {exc}", False, None)]
        except GtpCrash as exc:
            engine.restart()
            return [_event(engine.label, "crash", f"warm-up: {exc}", False, None)]
        return []

    # -- the referee ------------------------------------------------------------------
    def _referee_sync(self, game: Game) -> bool:
        """Set the referee up for ``game`` and replay its moves; return whether it could.

        A failure counts as a referee error; a crashed or hung referee is restarted.

        Raises:
            OSError: if the referee cannot be started again.
        """
        referee = self.referee
        assert referee is not None
        size = game.size
        try:
            referee.send(f"boardsize {size}")
            referee.send("clear_board")
            referee.send(f"komi {game.komi:g}")
            if game.handicap >= 2:
                placed = _vertices(referee.send(f"fixed_handicap {game.handicap}"), size)
                if sorted(placed) != sorted(game.setup_black):
                    raise ValueError("the referee placed other handicap stones")
            for move in game.moves:
                referee.send(f"play {_gtp_color(move.color)} {coords.to_gtp(move.action, size)}")
            return True
        except (GtpError, ValueError):
            self._referee_failed()
        except (GtpTimeout, GtpCrash):
            self._referee_failed(restart=True)
        return False

    def _referee_play(self, color: int, vertex: str) -> str | None:
        """Play a move on the referee; return its refusal (the move is illegal), or None.

        A referee that is not following the game (after a failure) refuses nothing.

        Raises:
            OSError: if a crashed referee cannot be started again.
        """
        referee = self.referee
        if referee is None or not self._referee_live:
            return None
        try:
            referee.send(f"play {_gtp_color(color)} {vertex}")
        except GtpError as exc:
            return exc.message or "refused"
        except (GtpTimeout, GtpCrash):
            self._referee_failed(restart=True)
        return None

    def _referee_failed(self, restart: bool = False) -> None:
        """Count a referee error; it stops following the game (restarted if asked)."""
        self._game_referee_errors += 1
        self._referee_live = False
        if restart and self.referee is not None:
            self.referee.restart()

    def _referee_score(self, game: Game) -> float | None:
        """Return the referee's ``final_score`` of ``game`` (None on failure).

        A referee that stopped following the game is given it again first.
        """
        referee = self.referee
        assert referee is not None
        if not self._referee_live:
            self._referee_live = self._referee_sync(game)
            if not self._referee_live:
                return None
        try:
            return parse_score(referee.send("final_score", REFEREE_TIMEOUT))
        except (GtpError, ValueError):
            self._referee_failed()
        except (GtpTimeout, GtpCrash):
            self._referee_failed(restart=True)
        return None

    # -- scoring and records ------------------------------------------------------------
    def _score(self, game: Game, record: GameRecord, index: int) -> None:
        """Score a game that ended on the board; set ``game.result`` and the record."""
        config = self.config
        scored = game
        compensation = handicap_compensation(config.handicap_rule, game.handicap)
        if compensation:
            scored = copy.copy(game)
            scored.komi = game.komi + compensation
        final = final_position(scored, config.scoring_playouts, seed=config.seed + index)
        record.score = final.score
        result = final.result()
        if self.referee is not None:
            referee_score = self._referee_score(game)
            if referee_score is not None:
                record.referee_score = referee_score
                record.disagreement = _sign(referee_score) != _sign(final.score)
                result = result_from_score(referee_score)
        game.result = result

    def _write_sgf(self, game: Game, record: GameRecord, black: Engine, white: Engine) -> Path:
        """Write the SGF of a finished game into the SGF folder (atomically); return its path."""
        assert self.config.sgf_dir is not None
        notes = [f"zerogo match game {record.game}: {black.label} black, {white.label} white"]
        if record.handicap:
            notes.append(f"handicap {record.handicap}, komi {record.komi:g}")
        if record.time_control is not None:
            notes.append(f"time control {record.time_control}")
        if record.forfeit is not None:
            notes.append(f"forfeit by {record.forfeit['engine']} ({record.forfeit['kind']}): "
                         f"{record.forfeit['detail']}")
        for event in record.events:
            if not event["fatal"]:
                notes.append(f"{event['kind']} by {event['engine']}: {event['detail']}")
        if record.capped:
            notes.append(f"stopped at the move cap of {self.config.move_cap}")
        if record.score is not None:
            notes.append(f"zerogo score (black - white - komi): {record.score:g}")
        if record.referee_score is not None:
            notes.append(f"referee score: {record.referee_score:g}")
        path = Path(self.config.sgf_dir) / f"game_{record.game:04d}.sgf"
        data = save_sgf(
            game, player_black=black.name, player_white=white.name, comment="\n".join(notes)
        )
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)
        return path

    # -- report -----------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Return the report of the games so far (the ``--json`` object)."""
        return summarize(self)


def _finite(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None


def _count_failures(records: Sequence[GameRecord], label: str | None = None) -> dict[str, int]:
    """Return the failure events of ``records`` per kind (of engine ``label``, or all)."""
    counts = {kind: 0 for kind in FAILURE_KINDS}
    for record in records:
        for event in record.events:
            if label is None or event["engine"] == label:
                counts[event["kind"]] += 1
    return counts


def summarize(match: Match) -> dict[str, Any]:
    """Return the JSON-ready report of ``match`` (keys as in the module docstring)."""
    config = match.config
    records = match.records
    n = len(records)
    per_engine: dict[str, dict[str, Any]] = {}
    for engine in match.engines:
        mine = [r for r in records if r.winner == engine.label]
        losses = [r for r in records if r.winner is not None and r.winner != engine.label]
        forfeits = {kind: 0 for kind in FORFEIT_KINDS}
        for r in records:
            if r.forfeit is not None and r.forfeit["engine"] == engine.label:
                forfeits[r.forfeit["kind"]] += 1
        spm = engine.seconds_per_move
        per_engine[engine.label] = {
            "command": engine.command,
            "name": engine.name,
            "wins": len(mine),
            "wins_black": sum(1 for r in mine if r.black == engine.label),
            "wins_white": sum(1 for r in mine if r.white == engine.label),
            "losses": len(losses),
            "moves": engine.moves,
            "seconds_per_move": None if spm is None else round(spm, 4),
            "restarts": engine.restarts,
            "forfeits": forfeits,
            "failures": _count_failures(records, engine.label),
        }
    draws = sum(1 for r in records if r.winner is None)
    wins1 = per_engine["engine1"]["wins"]
    low, high = wilson_interval(wins1 + draws / 2.0, n)
    elo, elo_low, elo_high = elo_interval(wins1, draws, n)
    referee = None
    if match.referee is not None:
        referee = {
            "command": match.referee.command,
            "name": match.referee.name,
            "scored": sum(1 for r in records if r.referee_score is not None),
            "errors": match.referee_errors,
            "disagreements": sum(1 for r in records if r.disagreement),
            "illegal": sum(1 for r in records
                           if r.forfeit is not None and r.forfeit.get("source") == "referee"),
        }
    return {
        "games": n,
        "size": config.size,
        "komi": config.komi,
        "time": config.seconds,
        "max_moves": config.move_cap,
        "opening_moves": config.opening_moves,
        "seed": config.seed,
        "interrupted": match.interrupted,
        "error": match.error,
        "sgf_dir": config.sgf_dir,
        "journal": config.journal,
        "time_controls": config.settings()["time_controls"],
        "handicaps": list(config.handicaps),
        "mix": config.mix,
        "handicap_komi": config.handicap_komi,
        "handicap_compensation": config.handicap_rule,
        "lag_allowance": config.lag_allowance,
        "engine1": per_engine["engine1"],
        "engine2": per_engine["engine2"],
        "draws": draws,
        "capped": sum(1 for r in records if r.capped),
        "engine1_win_rate": round((wins1 + draws / 2.0) / n, 4) if n else None,
        "engine1_win_rate_interval": [round(low, 4), round(high, 4)],
        "elo": _finite(elo),
        "elo_interval": [_finite(elo_low), _finite(elo_high)],
        "forfeits": {
            kind: sum(per_engine[label]["forfeits"][kind] for label in ENGINE_LABELS)
            for kind in FORFEIT_KINDS
        },
        "failures": _count_failures(records),
        "referee": referee,
        "results": [r.to_json() for r in records],
    }


def _format_elo(value: float | None, sign: str) -> str:
    return f"{value:+.0f}" if value is not None else f"{sign}inf"


def print_report(summary: dict[str, Any], file: Any = None) -> None:
    """Print ``summary`` as plain-text tables (rich)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file or sys.stdout)
    table = Table(title=f"zerogo match: {summary['games']} games, {summary['size']}x"
                        f"{summary['size']}, komi {summary['komi']:g}")
    table.add_column("")
    table.add_column("engine1", justify="right")
    table.add_column("engine2", justify="right")
    e1, e2 = summary["engine1"], summary["engine2"]

    def row(title: str, key: str, fmt: Callable[[Any], str] = str) -> None:
        table.add_row(title, fmt(e1[key]), fmt(e2[key]))

    row("name", "name")
    row("wins", "wins")
    row("  as black", "wins_black")
    row("  as white", "wins_white")
    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    row("s / move", "seconds_per_move", seconds)
    for kind in FORFEIT_KINDS:
        table.add_row(f"forfeits: {kind}", str(e1["forfeits"][kind]), str(e2["forfeits"][kind]))
    for kind in FAILURE_KINDS:
        table.add_row(f"failures: {kind}", str(e1["failures"][kind]), str(e2["failures"][kind]))
    row("restarts", "restarts")
    console.print(table)
    lines = [f"engine1: {e1['command']}", f"engine2: {e2['command']}"]
    if summary["time_controls"] or summary["handicaps"] != [0]:
        lines.append(
            f"time controls: {', '.join(summary['time_controls']) or 'none sent'}   "
            f"handicaps: {', '.join(map(str, summary['handicaps']))} ({summary['mix']})"
        )
    lines.append(f"draws: {summary['draws']}   stopped at move cap: {summary['capped']}")
    if summary["engine1_win_rate"] is not None:
        low, high = summary["engine1_win_rate_interval"]
        lines.append(
            f"engine1 win rate: {summary['engine1_win_rate']:.3f} "
            f"(95% interval {low:.3f} .. {high:.3f})"
        )
        elo_low, elo_high = summary["elo_interval"]
        elo = summary["elo"]
        elo_text = _format_elo(elo, "+" if summary["engine1_win_rate"] > 0.5 else "-")
        lines.append(
            f"Elo engine1 - engine2: {elo_text} "
            f"(95% interval {_format_elo(elo_low, '-')} .. {_format_elo(elo_high, '+')})"
        )
    referee = summary["referee"]
    if referee is not None:
        lines.append(
            f"referee {referee['name']}: scored {referee['scored']} games, "
            f"refused {referee['illegal']} moves, "
            f"{referee['disagreements']} disagreements with zerogo's score, "
            f"{referee['errors']} errors"
        )
    if summary["sgf_dir"]:
        lines.append(f"SGF files: {summary['sgf_dir']}")
    if summary["journal"]:
        lines.append(f"journal: {summary['journal']}")
    if summary["error"]:
        lines.append(f"error: {summary['error']}")
    if summary["interrupted"]:
        lines.append("interrupted: the report covers the games finished so far")
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)


# -- command line ---------------------------------------------------------------
def _time_controls_arg(text: str) -> tuple[str, ...]:
    """Return the canonical texts of a comma list of time controls (argparse type)."""
    try:
        return tuple(format_time_control(parse_time_control(part))
                     for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _handicaps_arg(text: str) -> tuple[int, ...]:
    """Return a comma list of handicaps as numbers (argparse type)."""
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``zerogo match``."""
    parser.add_argument(
        "--engine1", required=True, metavar="CMD",
        help="command line of the first GTP engine (quote it); black in even games",
    )
    parser.add_argument(
        "--engine2", required=True, metavar="CMD",
        help="command line of the second GTP engine (quote it); white in even games",
    )
    parser.add_argument(
        "-n", "--games", type=int, default=10, metavar="N",
        help="number of games; colours alternate (default 10); with --resume, the total "
             "including the games already in the journal",
    )
    parser.add_argument("--size", type=int, default=9, help="board size (default 9)")
    parser.add_argument("--komi", type=float, default=7.5, help="komi (default 7.5)")
    parser.add_argument(
        "--time", type=float, default=None, metavar="S",
        help="seconds per move; a move slower than max(2*S, S+1) loses by forfeit "
             f"(default: no limit except a {HANG_GUARD:g} s hang guard)",
    )
    parser.add_argument(
        "--time-controls", "--time-control", type=_time_controls_arg, default=(),
        metavar="LIST",
        help="comma list of clocks sent to both engines and kept by the match (a loss on "
             "time forfeits): none, absolute:M, byoyomi:M+TxP (P periods of T s), "
             "canadian:M+T/S (S stones per T s), whole seconds; e.g. "
             "absolute:60,byoyomi:10+3x1,canadian:10+5/10,none (not with --time)",
    )
    parser.add_argument(
        "--handicaps", "--handicap", type=_handicaps_arg, default=(0,), metavar="LIST",
        help="handicap, or a comma list of them: 0 even, 1 no stones with black first, "
             "N>=2 fixed_handicap N on both engines and the referee (white first); handicap "
             "games use --handicap-komi (default: 0, even games only)",
    )
    parser.add_argument(
        "--mix", choices=MIX_MODES, default="cycle",
        help="how games take their time control and handicap: cycle (every combination in "
             "turn) or sample (drawn by --seed); the two games of a pair share them "
             "(default cycle)",
    )
    parser.add_argument(
        "--handicap-komi", type=float, default=DEFAULT_HANDICAP_KOMI, metavar="K",
        help=f"komi sent for handicap games (default {DEFAULT_HANDICAP_KOMI:g})",
    )
    parser.add_argument(
        "--handicap-compensation", choices=HANDICAP_RULES, default=DEFAULT_HANDICAP_RULE,
        help="points white gets for N handicap stones in zerogo's own score: aga N-1, "
             "chinese N (as GNU Go --chinese-rules counts), none (default chinese)",
    )
    parser.add_argument(
        "--lag-allowance", type=float, default=DEFAULT_LAG_ALLOWANCE, metavar="S",
        help="seconds of each move not charged to the clock, for process and pipe lag "
             f"(default {DEFAULT_LAG_ALLOWANCE:g})",
    )
    parser.add_argument(
        "--untimed-engine2", action="store_true",
        help="do not hold engine2 to --time or the clock (a reference engine without time "
             "control, such as GNU Go at a fixed level, is only held to the hang guard)",
    )
    parser.add_argument(
        "--referee", default=None, metavar="CMD",
        help="command line of a GTP engine (e.g. GNU Go) that follows every game: a move it "
             "refuses with 'play' is illegal (a loss for the mover), and its final_score "
             "decides games ended by passes (zerogo's own score is kept, disagreements "
             "counted)",
    )
    parser.add_argument(
        "--sgf-dir", default=None, metavar="DIR",
        help="folder for one SGF per game (default: matches/<timestamp>/)",
    )
    parser.add_argument("--no-sgf", action="store_true", help="write no SGF files")
    parser.add_argument(
        "--sgf-every", type=int, default=1, metavar="K",
        help="write the SGF of every K-th game only, and of every game with a failure "
             "or a score the referee disagrees with (default 1: all)",
    )
    parser.add_argument(
        "--journal", default=None, metavar="FILE",
        help=f"one JSON line per finished game, fsynced (default: {JOURNAL_NAME} in the SGF "
             "folder; none with --no-sgf)",
    )
    parser.add_argument(
        "--resume", action="store_true",
        help="continue the match of the journal (same flags; -n may be larger): the games "
             "in it count, the rest are played as an uninterrupted match would; a journal "
             "made with other settings is refused",
    )
    parser.add_argument(
        "--json", action="store_true",
        help="print exactly one JSON object on stdout instead of tables (progress on stderr)",
    )
    parser.add_argument(
        "--summary", default=None, metavar="FILE",
        help="also write the JSON report to FILE (atomically), at the end or when stopped",
    )
    parser.add_argument(
        "--max-moves", type=int, default=None, metavar="M",
        help="stop a game after M moves and score it as it stands (default 3*size*size)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="K",
        help="seed of the random openings, of --mix sample and of the dead-stone estimate "
             "(default 0)",
    )
    parser.add_argument(
        "--opening-moves", type=int, default=0, metavar="K",
        help="play the first K plies at random (the same opening for each pair of games, "
             "once from each side), so that deterministic engines' games differ (default 0)",
    )
    parser.add_argument(
        "--warmup", action=argparse.BooleanOptionalAction, default=True,
        help="ask each engine for one untimed move before its first game, so start-up "
             "costs (JIT compilation) do not cause timeouts (default: on)",
    )
    parser.add_argument(
        "--send-time-settings", action="store_true",
        help="tell the engines 'time_settings 0 S 1' for --time S (default: off, the "
             "engines keep the budget of their own command line)",
    )
    parser.add_argument(
        "--scoring-playouts", type=int, default=DEFAULT_PLAYOUTS, metavar="P",
        help=f"playouts of zerogo's dead-stone estimate (default {DEFAULT_PLAYOUTS})",
    )


def config_from_args(args: argparse.Namespace) -> MatchConfig:
    """Return the match configuration named by the flags.

    Raises:
        ValueError: for invalid values, or ``--resume`` without a stable journal path.
    """
    sgf_dir = None
    if not args.no_sgf:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        sgf_dir = args.sgf_dir or os.path.join("matches", stamp)
    journal = args.journal
    if journal is None and args.resume and not (args.sgf_dir and not args.no_sgf):
        raise ValueError("--resume needs --journal FILE or --sgf-dir DIR (the default SGF "
                         "folder is new for every run)")
    if journal is None and sgf_dir is not None:
        journal = os.path.join(sgf_dir, JOURNAL_NAME)
    return MatchConfig(
        engine1=args.engine1,
        engine2=args.engine2,
        games=args.games,
        size=args.size,
        komi=args.komi,
        seconds=args.time,
        referee=args.referee,
        sgf_dir=sgf_dir,
        max_moves=args.max_moves,
        seed=args.seed,
        opening_moves=args.opening_moves,
        warmup=args.warmup,
        send_time_settings=args.send_time_settings,
        untimed_engine2=args.untimed_engine2,
        scoring_playouts=args.scoring_playouts,
        time_controls=tuple(args.time_controls),
        handicaps=tuple(args.handicaps),
        mix=args.mix,
        handicap_komi=args.handicap_komi,
        handicap_rule=args.handicap_compensation,
        lag_allowance=args.lag_allowance,
        journal=journal,
        resume=args.resume,
        sgf_every=args.sgf_every,
    )


def _stop_like_ctrl_c(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Make SIGINT and SIGTERM stop a long run as Ctrl-C does (``KeyboardInterrupt``:
    a match drops the game in progress, writes its report and exits 130).  A process
    started in the background (``nohup ... &``, ``setsid``) inherits an ignored SIGINT,
    and so do its children: Ctrl-C's signal then did nothing, and only a kill stopped
    the run.  Call it before starting children, so that they get SIGINT's default."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)


def run(args: argparse.Namespace) -> int:
    """Play the match named by ``args`` and print the report; return the exit status.

    0 on success, 2 for bad flags, a journal that may not be continued or an engine
    that cannot be started, 1 when a crashed engine cannot be restarted, 130 when
    interrupted.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"zerogo match: {exc}", file=sys.stderr)
        return 2
    stop_on_signals()
    try:
        match = Match(config)
    except JournalError as exc:
        print(f"zerogo match: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"zerogo match: cannot start engine: {exc}", file=sys.stderr)
        return 2
    with match:
        if match.resumed:
            print(f"zerogo match: resuming {config.journal}: {match.resumed} of {config.games} "
                  "games already played", file=sys.stderr)
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
        )
        with progress:
            task = progress.add_task("games", total=config.games, completed=len(match.records))

            def advance(record: GameRecord) -> None:
                wins = [sum(1 for r in match.records if r.winner == label)
                        for label in ENGINE_LABELS]
                progress.update(
                    task, advance=1,
                    description=f"engine1 {wins[0]} - {wins[1]} engine2 (last {record.result})",
                )

            match.run(advance)
        summary = match.summary()
    if args.summary:
        write_json_atomic(args.summary, summary)
    if args.json:
        print(json.dumps(summary))
    else:
        print_report(summary)
    if match.error:
        return 1
    return 130 if match.interrupted else 0


__all__ = [
    "DESCRIPTION",
    "FAILURE_KINDS",
    "FORFEIT_KINDS",
    "HELP",
    "Engine",
    "Forfeit",
    "GameRecord",
    "GameSettings",
    "JournalError",
    "Match",
    "MatchClock",
    "MatchConfig",
    "MatchJournal",
    "add_arguments",
    "command_argv",
    "config_from_args",
    "format_time_control",
    "parse_score",
    "parse_time_control",
    "print_report",
    "random_opening",
    "result_from_score",
    "run",
    "schedule",
    "stop_on_signals",
    "summarize",
    "time_settings_command",
    "write_json_atomic",
]
