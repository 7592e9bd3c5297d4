"""``zerogo gtp``: the real command over pipes, byte for byte, plus its pure helpers.

Most tests share one engine process (``engine`` fixture) and start by setting up
the board they need; each answer is read up to its closing blank line, so an
unexpected extra answer (or any stray output) shows up as a mismatch.
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import coords
from engine.board import BLACK, WHITE
from engine.game import Game
from engine.player import RESIGN, Budget, Decision
from engine.sgf import load_sgf
from zerogo import __version__
from zerogo.gtp import HANDICAP_RULES, GtpEngine, handicap_compensation
from zerogo.gtp_time import Clock, TimeControl, allocate_seconds

REPO = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "zerogo", "gtp", "--player", "random", "--seed", "3"]
REQUIRED = (
    "protocol_version name version known_command list_commands quit boardsize clear_board "
    "komi play genmove undo showboard final_score final_status_list fixed_handicap "
    "place_free_handicap set_free_handicap loadsgf printsgf time_settings time_left "
    "kgs-time_settings reg_genmove kgs-genmove_cleanup"
).split()
EMPTY_9 = """\
   A B C D E F G H J
 9 . . . . . . . . . 9
 8 . . . . . . . . . 8
 7 . . + . . . + . . 7
 6 . . . . . . . . . 6
 5 . . . . + . . . . 5
 4 . . . . . . . . . 4
 3 . . + . . . + . . 3
 2 . . . . . . . . . 2
 1 . . . . . . . . . 1
   A B C D E F G H J"""


class RawEngine:
    """The engine process with raw byte access to its answers."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            COMMAND, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, bufsize=0,
        )
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self.stderr = bytearray()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in iter(self.process.stdout.readline, b""):
            self._lines.put(line)
        self._lines.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in iter(self.process.stderr.readline, b""):
            self.stderr += line

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def answer(self, timeout: float = 60.0) -> bytes:
        """Return the next whole answer: its lines up to and including the blank line."""
        lines = []
        while True:
            line = self._lines.get(timeout=timeout)
            assert line is not None, f"engine closed its output; stderr:\n{self.stderr.decode()}"
            lines.append(line)
            if line == b"\n":
                return b"".join(lines)

    def ask(self, command: str | bytes) -> bytes:
        data = command.encode() if isinstance(command, str) else command
        self.send(data + b"\n")
        return self.answer()

    def ok(self, command: str) -> str:
        """Send a command that must succeed; return its answer text."""
        raw = self.ask(command)
        assert raw.startswith(b"= "), (command, raw)
        return raw[2:-2].decode()

    def pending(self) -> bool:
        return not self._lines.empty()


@pytest.fixture(scope="module")
def engine() -> Iterator[RawEngine]:
    raw = RawEngine()
    yield raw
    assert raw.ask("quit") == b"= \n\n"
    assert raw.process.wait(timeout=30) == 0
    assert b"Traceback" not in raw.stderr


def fresh(engine: RawEngine, size: int = 9, komi: str = "7.5") -> None:
    assert engine.ask(f"boardsize {size}") == b"= \n\n"
    assert engine.ask("clear_board") == b"= \n\n"
    assert engine.ask(f"komi {komi}") == b"= \n\n"
    assert engine.ask("kgs-time_settings none") == b"= \n\n"


# -- protocol ----------------------------------------------------------------------------
def test_administrative_commands_exact_bytes(engine: RawEngine) -> None:
    assert engine.ask("protocol_version") == b"= 2\n\n"
    assert engine.ask("name") == b"= zerogo\n\n"
    assert engine.ask("version") == f"= {__version__}\n\n".encode()
    assert engine.ask("known_command genmove") == b"= true\n\n"
    assert engine.ask("known_command kgs-genmove_cleanup") == b"= true\n\n"
    assert engine.ask("known_command frobnicate") == b"= false\n\n"
    listed = engine.ok("list_commands").split("\n")
    assert sorted(listed) == sorted(set(listed))
    assert set(REQUIRED) <= set(listed)


def test_ids_are_echoed(engine: RawEngine) -> None:
    assert engine.ask("1 name") == b"=1 zerogo\n\n"
    assert engine.ask("42 boardsize 9") == b"=42 \n\n"
    assert engine.ask("43 frobnicate") == b"?43 unknown command\n\n"
    assert engine.ask("44 play b Z99") == b"?44 invalid vertex Z99\n\n"
    assert engine.ask("999999999999999999999999 protocol_version") == (
        b"=999999999999999999999999 2\n\n"
    )
    assert engine.ask("45") == b"?45 no command\n\n"


def test_preprocessing_per_spec(engine: RawEngine) -> None:
    # Empty, blank and comment-only lines get no answer at all.
    engine.send(b"\n   \n\t\n# just a comment\n\r\n")
    assert engine.ask("5 name") == b"=5 zerogo\n\n"
    # Control characters (CR, NUL, BEL, DEL) vanish; HT is a space; '#' starts a comment.
    assert engine.ask(b"6\tna\x00m\x07e\x7f\r") == b"=6 zerogo\n\n"
    assert engine.ask(b"7 known_command\tname # is name known?") == b"=7 true\n\n"
    assert engine.ask(b"   8   name   ") == b"=8 zerogo\n\n"
    assert not engine.pending()


BAD_INPUT = [
    (b"\xff\xfe\xfd", b"? invalid UTF-8 in command (byte 0)\n\n"),
    (b"12 play b \xc3\x28", b"?12 invalid UTF-8 in command (byte 10)\n\n"),
    (b"frobnicate", b"? unknown command\n\n"),
    (b"PLAY b D4", b"? unknown command\n\n"),
    (b"play b Z99", b"? invalid vertex Z99\n\n"),
    (b"play b A0", b"? invalid vertex A0\n\n"),
    (b"play b I5", b"? invalid vertex I5\n\n"),
    (b"play b K5", b"? invalid vertex K5\n\n"),
    (b"play purple D4", b"? invalid color\n\n"),
    (b"play b", b"? syntax error: usage play COLOR VERTEX\n\n"),
    (b"play", b"? syntax error: usage play COLOR VERTEX\n\n"),
    (b"play b D4 E5", b"? syntax error: usage play COLOR VERTEX\n\n"),
    (b"genmove", b"? syntax error: usage genmove COLOR\n\n"),
    (b"genmove green", b"? invalid color\n\n"),
    (b"reg_genmove 7", b"? invalid color\n\n"),
    (b"boardsize 1", b"? unacceptable size\n\n"),
    (b"boardsize 20", b"? unacceptable size\n\n"),
    (b"boardsize -9", b"? unacceptable size\n\n"),
    (b"boardsize 99999999999999999999999999999999", b"? unacceptable size\n\n"),
    (b"boardsize nine", b"? boardsize not an integer\n\n"),
    (b"boardsize 9.0", b"? boardsize not an integer\n\n"),
    (b"boardsize", b"? syntax error: usage boardsize SIZE\n\n"),
    (b"komi abc", b"? komi not a float\n\n"),
    (b"komi nan", b"? komi not a float\n\n"),
    (b"komi 1e999", b"? komi out of range (at most 1000 either way)\n\n"),
    (b"komi -5000", b"? komi out of range (at most 1000 either way)\n\n"),
    (b"komi", b"? syntax error: usage komi VALUE\n\n"),
    (b"fixed_handicap", b"? syntax error: usage fixed_handicap NUMBER\n\n"),
    (b"fixed_handicap two", b"? number of stones not an integer or out of range\n\n"),
    (b"fixed_handicap 99999999999999999999",
     b"? number of stones not an integer or out of range\n\n"),
    (b"place_free_handicap 1", b"? invalid number of stones: invalid number of handicap "
                               b"stones 1 for 9x9 (2 to 80)\n\n"),
    (b"set_free_handicap A1", b"? bad vertex list: give 2 to 80 vertices\n\n"),
    (b"set_free_handicap A1 Z1", b"? bad vertex list: invalid vertex Z1\n\n"),
    (b"undo", b"? cannot undo\n\n"),
    (b"final_status_list", b"? syntax error: usage final_status_list alive|dead|seki\n\n"),
    (b"final_status_list zombie", b"? invalid status: use alive, dead or seki\n\n"),
    (b"loadsgf", b"? syntax error: loadsgf FILE [MOVE_NUMBER]\n\n"),
    (b"loadsgf game.sgf x", b"? move number not an integer or out of range\n\n"),
    (b"time_settings 10 0", b"? syntax error: usage time_settings MAIN_TIME BYO_YOMI_TIME "
                            b"BYO_YOMI_STONES\n\n"),
    (b"time_settings 1e9 0 0", b"? time value not an integer or out of range\n\n"),
    (b"time_settings -5 0 0", b"? time value out of range (0 to 1000000000)\n\n"),
    (b"time_left b 10", b"? syntax error: usage time_left COLOR TIME STONES\n\n"),
    (b"time_left x 10 0", b"? invalid color\n\n"),
    (b"kgs-time_settings", b"? syntax error: kgs-time_settings "
                           b"none|absolute|byoyomi|canadian ...\n\n"),
    (b"kgs-time_settings fischer 10", b"? unknown time system 'fischer'\n\n"),
    (b"kgs-time_settings canadian 1 2", b"? syntax error: canadian takes 3 numbers\n\n"),
    (b"printsgf a b", b"? syntax error: printsgf [FILE]\n\n"),
    (b"play b " + b"Q" * 100_000, b"? invalid vertex " + b"Q" * 40 + b"...\n\n"),
]


@pytest.mark.parametrize(("line", "expected"), BAD_INPUT,
                         ids=[b[:30].decode("latin-1") for b, _ in BAD_INPUT])
def test_bad_input_gets_an_error_and_the_engine_keeps_running(
    engine: RawEngine, line: bytes, expected: bytes
) -> None:
    fresh(engine)
    assert engine.ask(line) == expected
    assert engine.ask("name") == b"= zerogo\n\n"
    assert engine.ok("showboard") == "\n" + EMPTY_9


def test_loadsgf_of_missing_file(engine: RawEngine, tmp_path: Path) -> None:
    missing = tmp_path / "missing.sgf"
    answer = engine.ask(f"loadsgf {missing}")
    assert answer.startswith(f"? cannot load file: cannot read '{missing}'".encode())
    assert answer.endswith(b"\n\n") and answer.count(b"\n") == 2


# -- play ----------------------------------------------------------------------------------
def test_play_illegal_moves_name_the_reason(engine: RawEngine) -> None:
    fresh(engine)
    assert engine.ask("play b D4") == b"= \n\n"
    assert engine.ask("play w D4") == b"? illegal move: D4 (occupied)\n\n"
    for move in ("play b A2", "play b B1"):
        assert engine.ask(move) == b"= \n\n"
    assert engine.ask("play w A1") == b"? illegal move: A1 (suicide)\n\n"
    assert engine.ask("play w pass") == b"= \n\n"


def test_ko_is_refused(engine: RawEngine) -> None:
    fresh(engine)
    # Black A2 B1 B3 C2 around B2; white C1 C3 D2 around C2; white takes at B2.
    for move in ("b A2", "b B1", "b B3", "b C2", "w C1", "w C3", "w D2", "w B2"):
        assert engine.ask(f"play {move}") == b"= \n\n", move
    assert engine.ask("play b C2") == b"? illegal move: C2 (ko)\n\n"
    assert engine.ask("play b pass") == b"= \n\n"


def test_showboard_marks_the_last_move(engine: RawEngine) -> None:
    fresh(engine, 5)
    engine.ok("play b C3")
    engine.ok("play w D4")
    assert engine.ask("showboard") == (
        b"= \n"
        b"   A B C D E\n"
        b" 5 . . . . . 5\n"
        b" 4 . . .(O). 4\n"
        b" 3 . . X . . 3\n"
        b" 2 . . . . . 2\n"
        b" 1 . . . . . 1\n"
        b"   A B C D E\n\n"
    )


def test_undo(engine: RawEngine) -> None:
    fresh(engine, 5)
    engine.ok("play b C3")
    engine.ok("play w B2")
    assert engine.ask("undo") == b"= \n\n"
    assert "O" not in engine.ok("showboard")
    assert engine.ask("undo") == b"= \n\n"
    assert "X" not in engine.ok("showboard")
    assert engine.ask("undo") == b"? cannot undo\n\n"


def test_undo_restores_captured_stones(engine: RawEngine) -> None:
    fresh(engine, 5)
    for move in ("b A2", "w A1", "b B1"):  # black B1 captures white A1
        engine.ok(f"play {move}")
    assert "O" not in engine.ok("showboard")
    engine.ok("undo")
    assert engine.ok("showboard").splitlines()[-2] == " 1(O). . . . 1"


def test_genmove_plays_and_reg_genmove_does_not(engine: RawEngine) -> None:
    fresh(engine, 5)
    vertex = engine.ok("reg_genmove b")
    assert re.fullmatch(r"[A-E][1-5]|pass", vertex)
    assert "X" not in engine.ok("showboard")
    vertex = engine.ok("genmove b")
    board = engine.ok("showboard")
    assert "X" in board
    assert engine.ask(f"play b {vertex}") == f"? illegal move: {vertex} (occupied)\n\n".encode()
    vertex = engine.ok("kgs-genmove_cleanup w")
    assert re.fullmatch(r"[A-E][1-5]", vertex)
    assert "O" in engine.ok("showboard")


def test_short_game_to_the_end(engine: RawEngine) -> None:
    fresh(engine, 7, "0.5")
    colors = ("b", "w")
    moves: list[str] = []
    passes = 0
    while passes < 2 and len(moves) < 400:
        answer = engine.ask(f"genmove {colors[len(moves) % 2]}")
        assert re.fullmatch(rb"= ([A-HJ][1-7]|pass)\n\n", answer), answer
        moves.append(answer[2:-2].decode())
        passes = passes + 1 if moves[-1] == "pass" else 0
    assert passes == 2
    score = engine.ask("final_score")
    assert re.fullmatch(rb"= ([BW]\+[0-9]+(\.5)?|0)\n\n", score), score
    record = load_sgf(engine.ok("printsgf").encode())
    assert [coords.to_gtp(m.action, 7) for m in record.moves] == moves
    assert [m.color for m in record.moves] == [(BLACK, WHITE)[i % 2] for i in range(len(moves))]


def test_final_score_and_status_lists(engine: RawEngine) -> None:
    fresh(engine, 5, "0.5")
    for move in ("C1", "C2", "C3", "C4", "C5"):
        engine.ok(f"play b {move}")
    for move in ("D1", "D2", "D3", "D4", "D5", "A3"):
        engine.ok(f"play w {move}")
    # Black owns A-C (15 points), white D-E (10); the white stone A3 is dead.
    assert engine.ask("final_score") == b"= B+4.5\n\n"
    assert engine.ask("final_status_list dead") == b"= A3\n\n"
    assert engine.ask("final_status_list alive") == b"= C1 C2 C3 C4 C5\nD1 D2 D3 D4 D5\n\n"
    assert engine.ask("final_status_list seki") == b"= \n\n"
    assert engine.ask("komi 5.5") == b"= \n\n"
    assert engine.ask("final_score") == b"= W+0.5\n\n"
    assert engine.ask("komi 5") == b"= \n\n"
    assert engine.ask("final_score") == b"= 0\n\n"


# -- handicap ------------------------------------------------------------------------------
def test_fixed_handicap(engine: RawEngine) -> None:
    fresh(engine, 9, "0.5")
    assert engine.ask("fixed_handicap 3") == b"= C3 G7 C7\n\n"
    assert engine.ask("fixed_handicap 2") == b"? board not empty\n\n"
    assert engine.ok("showboard").splitlines()[4] == " 7 . . X . . . X . . 7"
    assert re.fullmatch(r"[A-HJ][1-9]|pass", engine.ok("genmove w"))
    sgf = engine.ok("printsgf")
    assert "HA[3]" in sgf and "AB[" in sgf and "PL[W]" in sgf
    fresh(engine, 19)
    assert engine.ask("fixed_handicap 9") == b"= D4 Q16 D16 Q4 D10 Q10 K4 K16 K10\n\n"
    fresh(engine, 9)
    assert engine.ask("fixed_handicap 10") == (
        b"? invalid number of stones: invalid number of handicap stones 10 for 9x9 (2 to 9)\n\n"
    )
    fresh(engine, 5)
    assert engine.ask("fixed_handicap 2") == (
        b"? invalid number of stones: no fixed handicap placement on a 5x5 board\n\n"
    )


def test_place_free_handicap(engine: RawEngine) -> None:
    fresh(engine, 9)
    assert engine.ask("place_free_handicap 4") == b"= C3 G7 C7 G3\n\n"
    fresh(engine, 9)
    assert engine.ask("place_free_handicap 12") == b"= C3 G7 C7 G3 C5 G5 E3 E7 E5 D4 F4 D6\n\n"
    assert engine.ask("place_free_handicap 2") == b"? board not empty\n\n"
    fresh(engine, 9)
    engine.ok("play b E5")
    assert engine.ask("place_free_handicap 2") == b"? board not empty\n\n"


def test_set_free_handicap(engine: RawEngine) -> None:
    fresh(engine, 9)
    assert engine.ask("set_free_handicap A1 A1") == b"? bad vertex list: A1 repeated\n\n"
    assert engine.ask("set_free_handicap A1 pass") == (
        b"? bad vertex list: pass is not a handicap stone\n\n"
    )
    assert engine.ask("set_free_handicap A1 B2 J9") == b"= \n\n"
    assert engine.ok("showboard").splitlines()[2] == " 9 . . . . . . . . X 9"
    assert engine.ask("set_free_handicap C3 D4") == b"? board not empty\n\n"
    # White moves first after handicap stones.
    vertex = engine.ok("genmove w")
    assert vertex == "pass" or "O" in engine.ok("showboard")


# -- files ---------------------------------------------------------------------------------
def test_loadsgf_and_printsgf(engine: RawEngine, tmp_path: Path) -> None:
    path = tmp_path / "game.sgf"
    path.write_bytes(b"(;GM[1]SZ[7]KM[5.5];B[dd]C[centre\n\nstone];W[cc];B[ee])")
    fresh(engine, 9)
    assert engine.ask(f"loadsgf {path}") == b"= white\n\n"
    board = engine.ok("showboard")
    assert board.splitlines()[1] == "   A B C D E F G"
    assert board.splitlines()[6] == " 3 . . + .(X). . 3"
    answer = engine.ask("printsgf")
    assert answer.count(b"\n\n") == 1  # the comment's blank line must not end the answer
    record = load_sgf(answer[2:])
    assert (record.size, record.komi, len(record.moves)) == (7, 5.5, 3)
    assert record.moves[0].comment == "centre\n \nstone"
    assert engine.ask(f"loadsgf {path} 2") == b"= white\n\n"
    assert len(load_sgf(engine.ok("printsgf").encode()).moves) == 1
    assert engine.ask(f"loadsgf {path} 1") == b"= black\n\n"
    assert engine.ok("printsgf").endswith("KM[5.5]SZ[7])")
    assert engine.ask(f"loadsgf {path} 0") == b"? move number must be at least 1\n\n"
    assert re.fullmatch(r"[A-G][1-7]|pass", engine.ok("genmove b"))
    out = tmp_path / "out.sgf"
    assert engine.ask(f"printsgf {out}") == b"= \n\n"
    assert len(load_sgf(out.read_bytes()).moves) == 1


def test_loadsgf_of_bad_files(engine: RawEngine, tmp_path: Path) -> None:
    fresh(engine, 9)
    bad = tmp_path / "bad.sgf"
    bad.write_bytes(b"(;SZ[9];B[ee];W[ee])")
    assert engine.ask(f"loadsgf {bad}") == (
        b"? cannot load file: illegal move number 2 at vertex E5 (occupied) by white\n\n"
    )
    bad.write_bytes(b"(;SZ[23])")
    assert engine.ask(f"loadsgf {bad}") == (
        b"? cannot load file: unsupported board size 23 (zerogo plays 2 to 19)\n\n"
    )
    bad.write_bytes(b"\x00\xff garbage")
    assert engine.ask(f"loadsgf {bad}") == (
        b"? cannot load file: bad SGF syntax: no SGF data found\n\n"
    )
    assert engine.ok("showboard") == "\n" + EMPTY_9  # the failed loads left the game alone


# -- time ----------------------------------------------------------------------------------
def test_time_commands(engine: RawEngine) -> None:
    fresh(engine, 5)
    for command in ("time_settings 300 30 5", "time_left b 100 0", "time_left w 20 3",
                    "kgs-time_settings byoyomi 60 10 3", "kgs-time_settings canadian 60 30 5",
                    "kgs-time_settings absolute 60", "time_settings 0 10 0"):
        assert engine.ask(command) == b"= \n\n", command
    assert re.fullmatch(r"[A-E][1-5]|pass", engine.ok("genmove b"))


# -- whole-stream checks in their own process ------------------------------------------------
def test_stdout_holds_only_answers_and_quit_ends_the_session() -> None:
    script = (
        b"1 name\n\n\xfe\xff\n2 play b Q99\n3 genmove b\n4 undo\n5 undo\n"
        b"# comment\n6 quit\n7 name\n"
    )
    done = subprocess.run(COMMAND, cwd=REPO, input=script, capture_output=True, timeout=120)
    assert done.returncode == 0
    assert re.fullmatch(
        rb"=1 zerogo\n\n\? invalid UTF-8 in command \(byte 0\)\n\n\?2 invalid vertex Q99\n\n"
        rb"=3 [A-HJ][1-9]\n\n=4 \n\n\?5 cannot undo\n\n=6 \n\n",
        done.stdout,
    ), done.stdout
    assert b"Traceback" not in done.stderr


def test_end_of_input_ends_the_session() -> None:
    done = subprocess.run(COMMAND, cwd=REPO, input=b"name", capture_output=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, b"= zerogo\n\n")


def test_help_shows_the_command_line_for_guis() -> None:
    done = subprocess.run([*COMMAND[:4], "--help"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0
    lines = [x.strip() for x in done.stdout.splitlines()]
    # Sabaki: the absolute path of this virtual environment's zerogo, then its arguments.
    path = next(x for x in lines if x.startswith("Path:")).split(None, 1)[1]
    assert path == os.path.join(os.path.dirname(sys.executable), "zerogo")
    assert os.path.isabs(path) and os.access(path, os.X_OK)
    arguments = next(x for x in lines if x.startswith("Arguments:")).split(None, 1)[1]
    assert shlex.split(arguments)[:3] == ["gtp", "--player", "mcts"]
    # GoGui and gogui-twogtp: one command line.
    gogui = next(x for x in lines if x.endswith("gtp --player mcts --size 9"))
    assert shlex.split(gogui)[0] == path
    for flag in ("--ponder", "--handicap-compensation", "lz-analyze", "kata-analyze"):
        assert flag in done.stdout


# -- in-process: budget, errors, handicap compensation ----------------------------------------
class RecordingPlayer:
    """Plays the first legal point, or what it is told; remembers how it was called."""

    name = "recording"

    def __init__(self, action: int | None = None, error: Exception | None = None) -> None:
        self.action = action
        self.error = error
        self.calls: list[tuple[int, Budget | None, bool]] = []
        self.resets = 0

    def genmove(self, game: Game, color: int, budget: Budget | None = None,
                cleanup: bool = False) -> Decision:
        self.calls.append((color, budget, cleanup))
        if self.error is not None:
            raise self.error
        if self.action is not None:
            return Decision(self.action)
        return Decision(int(game.board.legal_mask(color).argmax()))

    def reset(self) -> None:
        self.resets += 1


def run_lines(engine: GtpEngine, *lines: str) -> list[bytes]:
    return [engine.execute(line.encode()) or b"" for line in lines]


def test_budget_is_passed_only_under_time_control() -> None:
    player = RecordingPlayer()
    engine = GtpEngine(player, 9)
    run_lines(engine, "genmove b", "time_settings 600 0 0", "genmove w",
              "kgs-genmove_cleanup b", "kgs-time_settings none", "genmove w")
    (c1, b1, k1), (c2, b2, k2), (c3, b3, k3), (c4, b4, k4) = player.calls
    assert (c1, b1, k1) == (BLACK, None, False)
    expected = allocate_seconds(TimeControl("absolute", 600), Clock(600, 0, 0), 9, 1)
    assert (c2, b2, k2) == (WHITE, Budget(seconds=expected), False)
    assert c3 == BLACK and k3 is True and b3 is not None and b3.seconds is not None
    assert (c4, b4, k4) == (WHITE, None, False)


def test_players_are_reset_per_game() -> None:
    player = RecordingPlayer()
    engine = GtpEngine(player, 9)
    run_lines(engine, "clear_board", "boardsize 7", "play b D4", "undo")
    assert player.resets == 2


def test_resignation_and_handler_errors_become_answers() -> None:
    engine = GtpEngine(RecordingPlayer(action=RESIGN), 9)
    assert engine.execute(b"3 genmove b") == b"=3 resign\n\n"
    assert engine.game.result is not None and engine.game.result.sgf() == "W+R"
    engine = GtpEngine(RecordingPlayer(error=RuntimeError("boom\nsecond line")), 9)
    assert engine.execute(b"4 genmove b") == (
        b"?4 internal error: RuntimeError: boom second line\n\n"
    )
    engine = GtpEngine(RecordingPlayer(action=0), 9)
    engine.execute(b"play w A1")
    answer = engine.execute(b"genmove b")
    assert answer is not None and answer.startswith(b"? internal error: IllegalMoveError")
    assert engine.execute(b"name") == b"= zerogo\n\n"


class KomiRecorder(RecordingPlayer):
    """Also remembers the komi of the game it was asked to search."""

    def __init__(self) -> None:
        super().__init__()
        self.komis: list[float] = []

    def genmove(self, game: Game, color: int, budget: Budget | None = None,
                cleanup: bool = False) -> Decision:
        self.komis.append(game.komi)
        return super().genmove(game, color, budget, cleanup)


@pytest.mark.parametrize(("rule", "stones", "points"), [
    ("aga", 0, 0), ("aga", 2, 1), ("aga", 9, 8),
    ("chinese", 0, 0), ("chinese", 2, 2), ("chinese", 9, 9),
    ("none", 4, 0),
])
def test_handicap_compensation_table(rule: str, stones: int, points: float) -> None:
    assert handicap_compensation(rule, stones) == points


def test_handicap_compensation_rejects_unknown_rules() -> None:
    assert HANDICAP_RULES == ("aga", "chinese", "none")
    with pytest.raises(ValueError, match="unknown handicap compensation"):
        handicap_compensation("japanese", 2)
    with pytest.raises(ValueError):
        GtpEngine(RecordingPlayer(), 9, handicap_rule="ing")


# 7x7 after two handicap stones: black owns columns A-C (21 points), white E-G (21),
# column D is dame; so black's area lead is 0 and the result is komi plus compensation.
HANDICAP_GAME = ["set_free_handicap C1 C2", "play w E1", "play b C3", "play w E2", "play b C4",
                 "play w E3", "play b C5", "play w E4", "play b C6", "play w E5", "play b C7",
                 "play w E6", "play b pass", "play w E7"]


@pytest.mark.parametrize(("rule", "score"), [("aga", "W+1.5"), ("chinese", "W+2.5"),
                                             ("none", "W+0.5")])
def test_handicap_compensation_counts_in_final_score_and_search(rule: str, score: str) -> None:
    player = KomiRecorder()
    engine = GtpEngine(player, 7, komi=0.5, handicap_rule=rule)
    for line in HANDICAP_GAME:
        assert engine.execute(line.encode()) == b"= \n\n", line
    assert engine.execute(b"final_score") == f"= {score}\n\n".encode()
    engine.execute(b"genmove b")
    assert player.komis == [0.5 + float(score[2:]) - 0.5]
    printed = (engine.execute(b"printsgf") or b"").decode()
    assert "KM[0.5]" in printed and "HA[2]" in printed  # the record keeps the nominal komi
    engine.execute(b"komi 6.5")
    assert engine.effective_komi() == 6.5 + float(score[2:]) - 0.5
    # A new game has no handicap.
    engine.execute(b"clear_board")
    assert engine.effective_komi() == 6.5 and engine.search_game() is engine.game


def test_handicap_compensation_flag() -> None:
    script = "\n".join([*HANDICAP_GAME, "final_score", "quit"]).encode() + b"\n"
    done = subprocess.run([*COMMAND, "--size", "7", "--komi", "0.5",
                           "--handicap-compensation", "chinese"], cwd=REPO, input=script,
                          capture_output=True, timeout=120)
    assert done.returncode == 0
    assert done.stdout.endswith(b"= W+2.5\n\n= \n\n"), done.stdout
    default = subprocess.run([*COMMAND, "--size", "7", "--komi", "0.5"], cwd=REPO,
                             input=script, capture_output=True, timeout=120)
    assert default.stdout.endswith(b"= W+1.5\n\n= \n\n"), default.stdout
