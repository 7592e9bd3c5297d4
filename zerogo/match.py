"""``zerogo match``: two GTP engines play a series of games; who is stronger, by how much.

Start reading at ``Match.play_game`` (one game) and ``Match.run`` (the series);
``summarize`` turns the game records into the report.

One game:

1. both engines get ``boardsize``, ``clear_board`` and ``komi`` (engines are started
   once and reused; engine1 is black in even games, white in odd ones);
2. with ``opening_moves = K`` the first K plies are uniformly random legal moves,
   the same for games ``2i`` and ``2i + 1`` so that each opening is played from
   both sides;
3. the engines are asked ``genmove`` in turn; every answer is checked with
   zerogo's own rules (``engine.game.Game.play``: no suicide, positional superko)
   and relayed to the other engine with ``play``;
4. the game ends by resignation, two passes in a row, the move cap (scored as it
   stands) or a forfeit.  A forfeit loses the game for the engine that caused it:

   ==========  ==============================================================
   kind        cause
   ==========  ==============================================================
   illegal     the move breaks the rules
   unparsable  the ``genmove`` answer is not a vertex, ``pass`` or ``resign``
   crash       the engine exited (it is restarted for the next game)
   timeout     no answer within ``max(2 S, S + 1)`` seconds for ``--time S``
               (the engine is killed and restarted)
   error       the engine answered ``?`` to a command it must accept
   ==========  ==============================================================

5. a game ended by passes or by the cap is scored by Tromp-Taylor area after
   dead-stone estimation (``engine.scoring.final_position``); with a referee
   engine the game is also replayed on it and its ``final_score`` decides the
   result (zerogo's score is kept, and differing winners are counted as
   disagreements).

``--json`` prints exactly one object on stdout with these keys:

- ``games``, ``size``, ``komi``, ``time`` (seconds per move or null),
  ``max_moves``, ``opening_moves``, ``seed``, ``interrupted``, ``error`` (why the
  series stopped early, or null), ``sgf_dir``;
- ``engine1``, ``engine2``: ``command``, ``name``, ``wins``, ``wins_black``,
  ``wins_white``, ``losses``, ``moves`` (genmove calls), ``seconds_per_move``,
  ``restarts``, ``forfeits`` (count per kind);
- ``draws``, ``capped`` (games ended by the move cap);
- ``engine1_win_rate`` (draws count half) and ``engine1_win_rate_interval``
  ``[low, high]`` (95 % Wilson score interval);
- ``elo`` (engine1 minus engine2) and ``elo_interval`` ``[low, high]`` (95 %);
  null where infinite (a clean sweep);
- ``forfeits``: count per kind over both engines;
- ``referee``: null, or ``command``, ``name``, ``scored``, ``errors``,
  ``disagreements``;
- ``results``: one object per game: ``game``, ``black``, ``white`` (engine
  labels), ``result`` (SGF RE such as ``B+3.5``, ``W+R``, ``B+F``, ``W+T``),
  ``winner`` (``engine1``, ``engine2`` or null for a draw), ``reason``,
  ``moves``, ``capped``, ``score`` (zerogo's, black minus white minus komi),
  ``referee_score``, ``disagreement``, ``forfeit`` (null or ``engine``,
  ``kind``, ``detail``), ``opening`` (GTP vertices), ``seconds`` (per engine),
  ``sgf``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine import coords
from engine.board import BLACK, WHITE, IllegalMoveError, opponent
from engine.game import Game, Result
from engine.scoring import DEFAULT_PLAYOUTS, final_position
from engine.sgf import save_sgf
from zerogo.gtp_client import GtpClient, GtpCrash, GtpError, GtpTimeout
from zerogo.stats import elo_interval, wilson_interval

HELP = "play two GTP engines against each other and report who is stronger"

DESCRIPTION = """\
Play a series of games between two GTP engines and report wins, win rate and Elo
difference with 95% intervals, seconds per move and forfeits.

Each engine is any command line that speaks GTP, for example
  "/usr/games/gnugo --mode gtp --level 10 --chinese-rules"
  "zerogo gtp --player mcts --seconds 1"
Engine1 plays black in even games and white in odd games.  Every move is checked
with zerogo's rules (no suicide, positional superko); an illegal move, an
unparsable answer, a crash, an error answer or a move slower than the time limit
loses the game by forfeit.  Games ended by two passes (or the move cap) are scored
by Tromp-Taylor area after dead-stone estimation, or by --referee when given.
One SGF file per game (engine.sgf.save_sgf: PB/PW from the engines' name and
version, RE, KM, each move's seconds as its comment) is written to --sgf-dir.

example:
  zerogo match --engine1 "zerogo gtp --player mcts --seconds 1" \\
      --engine2 "/usr/games/gnugo --mode gtp --level 10 --chinese-rules" \\
      -n 100 --size 9 --komi 7.5 --time 1 --json
"""

FORFEIT_KINDS = ("illegal", "unparsable", "crash", "timeout", "error")
ENGINE_LABELS = ("engine1", "engine2")
COMMAND_TIMEOUT = 60.0
"""Seconds allowed for any command other than a timed ``genmove``."""
HANG_GUARD = 600.0
"""Seconds allowed for ``genmove`` when no ``--time`` is given."""
WARMUP_TIMEOUT = 300.0
"""Seconds allowed for the untimed warm-up move."""
REFEREE_TIMEOUT = 120.0
"""Seconds allowed for the referee's ``final_score``."""
RESIGN = -1


# -- configuration --------------------------------------------------------------
@dataclass(frozen=True)
class MatchConfig:
    """What ``zerogo match`` plays; fields map one-to-one onto its flags.

    Attributes:
        engine1: command line of the first engine.
        engine2: command line of the second engine.
        games: number of games.
        size: board size.
        komi: komi.
        seconds: per-move time S; a move slower than ``max(2 S, S + 1)`` forfeits.
            None enforces only a hang guard of ``HANG_GUARD`` seconds.
        referee: command line of a GTP engine whose ``final_score`` decides scored
            games, or None.
        sgf_dir: folder for one SGF per game, or None to write none.
        max_moves: move cap (random opening included); None means ``3 * size**2``.
        seed: seed of the random openings and of the dead-stone estimate.
        opening_moves: random plies at the start of each pair of games.
        warmup: ask each engine for one untimed move before its first game (so
            start-up costs such as JIT compilation do not count as a timeout).
        send_time_settings: tell engines ``time_settings 0 S 1`` (S seconds per move).
        scoring_playouts: playouts of the dead-stone estimate.
        untimed_engine2: hold engine2 only to the hang guard, not to ``seconds``
            (for reference engines without time control, such as GNU Go by level).
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
        self.client = self._spawn()
        self.name = self._query_name()

    def _spawn(self) -> GtpClient:
        return GtpClient(self.argv, stderr=subprocess.DEVNULL)

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
    """

    def __init__(self, engine: Engine, kind: str, detail: str) -> None:
        super().__init__(f"{engine.label} forfeits ({kind}): {detail}")
        self.engine = engine
        self.kind = kind
        self.detail = detail


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
    result: str = ""
    winner: str | None = None
    reason: str = ""
    moves: int = 0
    capped: bool = False
    score: float | None = None
    referee_score: float | None = None
    disagreement: bool = False
    forfeit: dict[str, str] | None = None
    opening: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    sgf: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the record as a JSON-ready dict."""
        return {
            "game": self.game,
            "black": self.black,
            "white": self.white,
            "result": self.result,
            "winner": self.winner,
            "reason": self.reason,
            "moves": self.moves,
            "capped": self.capped,
            "score": self.score,
            "referee_score": self.referee_score,
            "disagreement": self.disagreement,
            "forfeit": self.forfeit,
            "opening": list(self.opening),
            "seconds": {k: round(v, 4) for k, v in self.seconds.items()},
            "sgf": self.sgf,
        }


def random_opening(size: int, plies: int, rng: np.random.Generator) -> list[int]:
    """Return ``plies`` uniformly random legal moves (no passes) from the empty board.

    Fewer moves are returned if the board runs out of legal points.
    """
    game = Game(size)
    actions: list[int] = []
    for _ in range(plies):
        legal = np.flatnonzero(game.board.legal_mask()[:-1])
        if len(legal) == 0:
            break
        action = int(rng.choice(legal))
        game.play(action)
        actions.append(action)
    return actions


# -- the match ------------------------------------------------------------------
class Match:
    """A series of games between two GTP engines.

    Args:
        config: what to play.

    Raises:
        OSError: if an engine cannot be started.
        ValueError: for an empty engine command line.
    """

    def __init__(self, config: MatchConfig) -> None:
        self.config = config
        self.records: list[GameRecord] = []
        self.interrupted = False
        self.referee_errors = 0
        self.error: str | None = None
        self.engines: list[Engine] = []
        self.referee: Engine | None = None
        if config.sgf_dir is not None:
            Path(config.sgf_dir).mkdir(parents=True, exist_ok=True)
        try:
            for label, command in zip(ENGINE_LABELS, (config.engine1, config.engine2), strict=True):
                self.engines.append(Engine(label, command))
            if config.referee:
                self.referee = Engine("referee", config.referee)
        except BaseException:
            self.close()
            raise
        if config.warmup:
            for engine in self.engines:
                self._warm_up(engine)

    # -- lifecycle ----------------------------------------------------------------
    def close(self) -> None:
        """Quit every engine."""
        for engine in [*self.engines, self.referee]:
            if engine is not None:
                engine.close()

    def __enter__(self) -> Match:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, on_game: Callable[[GameRecord], None] | None = None) -> list[GameRecord]:
        """Play the remaining games; call ``on_game`` after each one.

        A KeyboardInterrupt, or a crashed engine that cannot be started again,
        stops the series after the games already finished (``interrupted`` is then
        True; ``error`` says why in the second case).

        Returns:
            The records of all games played.
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
    def opening(self, pair: int) -> list[int]:
        """Return the random opening shared by games ``2 * pair`` and ``2 * pair + 1``."""
        rng = np.random.default_rng([self.config.seed, pair])
        return random_opening(self.config.size, self.config.opening_moves, rng)

    def play_game(self, index: int) -> GameRecord:
        """Play game ``index`` (engine1 black when it is even), record and return it.

        Raises:
            OSError: if a crashed engine cannot be started again.
        """
        config = self.config
        first, second = self.engines
        black, white = (first, second) if index % 2 == 0 else (second, first)
        players = {BLACK: black, WHITE: white}
        game = Game(config.size, config.komi)
        opening = self.opening(index // 2)
        record = GameRecord(
            game=index,
            black=black.label,
            white=white.label,
            opening=[coords.to_gtp(a, config.size) for a in opening],
            seconds={first.label: 0.0, second.label: 0.0},
        )
        try:
            for engine in (black, white):
                self._new_game(engine)
            for action in opening:
                color = game.to_move
                game.play(action, color, comment="random opening")
                for engine in (black, white):
                    _call(engine, f"play {_gtp_color(color)} {coords.to_gtp(action, config.size)}")
            while not game.is_over and len(game.moves) < config.move_cap:
                color = game.to_move
                mover, other = players[color], players[opponent(color)]
                action, elapsed = self._genmove(mover, color)
                record.seconds[mover.label] += elapsed
                if action == RESIGN:
                    game.resign(color)
                    break
                try:
                    game.play(action, color, comment=f"{elapsed:.2f} s")
                except IllegalMoveError as exc:
                    raise Forfeit(mover, "illegal", str(exc)) from None
                vertex = coords.to_gtp(action, config.size)
                _call(other, f"play {_gtp_color(color)} {vertex}")
        except Forfeit as forfeit:
            loser = BLACK if forfeit.engine is black else WHITE
            reason = "time" if forfeit.kind == "timeout" else "forfeit"
            game.result = Result(opponent(loser), 0.0, reason)
            record.forfeit = {
                "engine": forfeit.engine.label,
                "kind": forfeit.kind,
                "detail": forfeit.detail,
            }
            if forfeit.kind in ("crash", "timeout"):
                forfeit.engine.restart()
                if config.warmup:
                    self._warm_up(forfeit.engine)
        if game.result is None:
            record.capped = not game.is_over
            self._score(game, record, index)
        assert game.result is not None
        record.moves = len(game.moves)
        record.result = game.result.sgf()
        record.reason = game.result.reason
        record.winner = players[game.result.winner].label if game.result.winner else None
        if config.sgf_dir is not None:
            record.sgf = str(self._write_sgf(game, record, black, white))
        self.records.append(record)
        return record

    def _new_game(self, engine: Engine) -> None:
        """Set up a fresh game on ``engine``.

        Raises:
            Forfeit: if the engine fails a setup command.
        """
        config = self.config
        _call(engine, f"boardsize {config.size}")
        _call(engine, "clear_board")
        _call(engine, f"komi {config.komi:g}")
        if config.send_time_settings and config.seconds is not None:
            try:
                engine.send(f"time_settings 0 {max(1, math.ceil(config.seconds))} 1")
            except GtpError:
                pass
            except (GtpTimeout, GtpCrash) as exc:
                kind = "timeout" if isinstance(exc, GtpTimeout) else "crash"
                raise Forfeit(engine, kind, str(exc)) from None

    def _genmove(self, engine: Engine, color: int) -> tuple[int, float]:
        """Ask ``engine`` for a move; return the action (``RESIGN`` too) and its seconds.

        Raises:
            Forfeit: for a crash, a timeout, an error answer or an unparsable answer.
        """
        limit = self.config.move_timeout
        if self.config.untimed_engine2 and engine.label == "engine2":
            limit = HANG_GUARD
        start = time.monotonic()
        try:
            answer = _call(engine, f"genmove {_gtp_color(color)}", limit)
        finally:
            elapsed = time.monotonic() - start
            engine.moves += 1
            engine.seconds += elapsed
        if elapsed > limit:
            raise Forfeit(engine, "timeout", f"answered after {elapsed:.2f} s (limit {limit:g} s)")
        text = answer.strip()
        if text.lower() == "resign":
            return RESIGN, elapsed
        try:
            return coords.from_gtp(text, self.config.size), elapsed
        except ValueError:
            raise Forfeit(engine, "unparsable", f"genmove answered {answer!r}") from None

    def _warm_up(self, engine: Engine) -> None:
        """Ask ``engine`` for one untimed move on an empty board (not part of any game).

        An engine that hangs or crashes here is restarted without a second warm-up;
        its next game will tell.
        """
        config = self.config
        try:
            engine.send(f"boardsize {config.size}")
            engine.send("clear_board")
            engine.send(f"komi {config.komi:g}")
            engine.send("genmove b", WARMUP_TIMEOUT)
        except GtpError:
            pass
        except (GtpTimeout, GtpCrash):
            engine.restart()

    def _score(self, game: Game, record: GameRecord, index: int) -> None:
        """Score a game that ended on the board; set ``game.result`` and the record."""
        final = final_position(game, self.config.scoring_playouts, seed=self.config.seed + index)
        record.score = final.score
        result = final.result()
        if self.referee is not None:
            referee_score = self._referee_score(game)
            if referee_score is not None:
                record.referee_score = referee_score
                record.disagreement = _sign(referee_score) != _sign(final.score)
                result = result_from_score(referee_score)
        game.result = result

    def _referee_score(self, game: Game) -> float | None:
        """Replay ``game`` on the referee and return its ``final_score`` (None on failure)."""
        referee = self.referee
        assert referee is not None
        size = game.size
        try:
            referee.send(f"boardsize {size}")
            referee.send("clear_board")
            referee.send(f"komi {game.komi:g}")
            for move in game.moves:
                referee.send(f"play {_gtp_color(move.color)} {coords.to_gtp(move.action, size)}")
            return parse_score(referee.send("final_score", REFEREE_TIMEOUT))
        except (GtpError, ValueError):
            self.referee_errors += 1
            return None
        except (GtpTimeout, GtpCrash):
            self.referee_errors += 1
            referee.restart()
            return None

    def _write_sgf(self, game: Game, record: GameRecord, black: Engine, white: Engine) -> Path:
        """Write the SGF of a finished game into the SGF folder; return its path."""
        assert self.config.sgf_dir is not None
        notes = [f"zerogo match game {record.game}: {black.label} black, {white.label} white"]
        if record.forfeit is not None:
            notes.append(f"forfeit by {record.forfeit['engine']} ({record.forfeit['kind']}): "
                         f"{record.forfeit['detail']}")
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
        path.write_bytes(data)
        return path

    # -- report -----------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Return the report of the games so far (the ``--json`` object)."""
        return summarize(self)


def _finite(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None


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
    row("restarts", "restarts")
    console.print(table)
    lines = [f"engine1: {e1['command']}", f"engine2: {e2['command']}"]
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
            f"{referee['disagreements']} disagreements with zerogo's score, "
            f"{referee['errors']} errors"
        )
    if summary["sgf_dir"]:
        lines.append(f"SGF files: {summary['sgf_dir']}")
    if summary["error"]:
        lines.append(f"error: {summary['error']}")
    if summary["interrupted"]:
        lines.append("interrupted: the report covers the games finished so far")
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)


# -- command line ---------------------------------------------------------------
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
        help="number of games; colours alternate (default 10)",
    )
    parser.add_argument("--size", type=int, default=9, help="board size (default 9)")
    parser.add_argument("--komi", type=float, default=7.5, help="komi (default 7.5)")
    parser.add_argument(
        "--time", type=float, default=None, metavar="S",
        help="seconds per move; a move slower than max(2*S, S+1) loses by forfeit "
             f"(default: no limit except a {HANG_GUARD:g} s hang guard)",
    )
    parser.add_argument(
        "--untimed-engine2", action="store_true",
        help="do not hold engine2 to --time (a reference engine without time control, "
             "such as GNU Go at a fixed level, is only held to the hang guard)",
    )
    parser.add_argument(
        "--referee", default=None, metavar="CMD",
        help="command line of a GTP engine (e.g. GNU Go) whose final_score decides games "
             "ended by passes; zerogo's own score is kept and disagreements are counted",
    )
    parser.add_argument(
        "--sgf-dir", default=None, metavar="DIR",
        help="folder for one SGF per game (default: matches/<timestamp>/)",
    )
    parser.add_argument("--no-sgf", action="store_true", help="write no SGF files")
    parser.add_argument(
        "--json", action="store_true",
        help="print exactly one JSON object on stdout instead of tables (progress on stderr)",
    )
    parser.add_argument(
        "--max-moves", type=int, default=None, metavar="M",
        help="stop a game after M moves and score it as it stands (default 3*size*size)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="K",
        help="seed of the random openings and of the dead-stone estimate (default 0)",
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
        ValueError: for invalid values.
    """
    sgf_dir = None
    if not args.no_sgf:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        sgf_dir = args.sgf_dir or os.path.join("matches", stamp)
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
    )


def run(args: argparse.Namespace) -> int:
    """Play the match named by ``args`` and print the report; return the exit status.

    0 on success, 2 for bad flags or an engine that cannot be started, 1 when a
    crashed engine cannot be restarted, 130 when interrupted.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"zerogo match: {exc}", file=sys.stderr)
        return 2
    try:
        match = Match(config)
    except (OSError, ValueError) as exc:
        print(f"zerogo match: cannot start engine: {exc}", file=sys.stderr)
        return 2
    with match:
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
        )
        with progress:
            task = progress.add_task("games", total=config.games)

            def advance(record: GameRecord) -> None:
                wins = [sum(1 for r in match.records if r.winner == label)
                        for label in ENGINE_LABELS]
                progress.update(
                    task, advance=1,
                    description=f"engine1 {wins[0]} - {wins[1]} engine2 (last {record.result})",
                )

            match.run(advance)
        summary = match.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        print_report(summary)
    if match.error:
        return 1
    return 130 if match.interrupted else 0


__all__ = [
    "DESCRIPTION",
    "FORFEIT_KINDS",
    "HELP",
    "Engine",
    "Forfeit",
    "GameRecord",
    "Match",
    "MatchConfig",
    "add_arguments",
    "command_argv",
    "config_from_args",
    "parse_score",
    "print_report",
    "random_opening",
    "result_from_score",
    "run",
    "summarize",
]
