"""Analysis over GTP (``lz-analyze``, ``kata-analyze``, ``*-genmove_analyze``), pondering
and the GoGui displays.

The transcript tests drive a real ``zerogo gtp`` process with ``--player mcts`` and
with ``--player net`` on a tiny random network, parse every ``info`` line back and
check it as Sabaki and Lizzie read it: the answer starts ``=[id]`` on a line of its
own, values lie in range, candidates are ordered, each principal variation replays
legally on ``engine.game.Game`` and stops at its first pass, visits grow from line to
line, ownership has N*N values from the analysed colour's view, and the next command
ends the answer with a blank line and is answered itself.  In-process tests with fake
players cover failures inside the search thread and pondering.

No test here measures speed.  Streams are read until the lines a check needs have
come, however slowly, and "stops on the next command" is checked against
``STOP_SECONDS``: an analysis without a budget never ends by itself, so the limit only
has to exceed the scheduling delays of a process starved of CPU (the tests pass with
both cores saturated by busy loops; see BENCHMARKS.md).  Every engine process must
also finish without an analysis anomaly on its stderr (``engine.analysis``).
"""

from __future__ import annotations

import io
import logging
import math
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from engine import coords
from engine.analysis import AnalysisAnomalies, AnalysisSnapshot, Candidate
from engine.board import BLACK, WHITE
from engine.game import Game
from engine.player import Budget, Decision
from engine.random_player import RandomPlayer
from zerogo.gtp import GtpEngine
from zerogo.gtp_analysis import AnalysisFormatter, AnalysisRequest, legal_line

REPO = Path(__file__).resolve().parents[2]
MCTS = ["--player", "mcts", "--threads", "1", "--seed", "7", "--playouts", "1500"]
STOP_SECONDS = 5.0  # from the next command to the end of a budgetless analysis answer

# A 9x9 position where black is far ahead: a black wall on row 5, a white one on row 2.
WALLS = [f"{c}{r}" for c in "ABCDEFGHJ" for r in (5, 2)]
OPENING = ["E5", "C3", "G4"]


class Process:
    """A ``zerogo gtp`` process whose output lines are read with their arrival times."""

    def __init__(self, *flags: str) -> None:
        self.flags = flags
        self.process = subprocess.Popen(
            [sys.executable, "-m", "zerogo", "gtp", *flags], cwd=REPO, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
        )
        self.lines: queue.Queue[tuple[float, bytes] | None] = queue.Queue()
        self.stderr = bytearray()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in iter(self.process.stdout.readline, b""):
            self.lines.put((time.monotonic(), line))
        self.lines.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in iter(self.process.stderr.readline, b""):
            self.stderr += line

    def send(self, text: str) -> float:
        """Send one line; return when it was sent."""
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode() + b"\n")
        self.process.stdin.flush()
        return time.monotonic()

    def line(self, timeout: float = 60.0) -> tuple[float, bytes]:
        item = self.lines.get(timeout=timeout)
        assert item is not None, f"engine closed its output; stderr:\n{self.stderr.decode()}"
        return item

    def answer(self, timeout: float = 60.0) -> bytes:
        """Return the next whole answer, up to and including its blank line."""
        parts = []
        while True:
            _, line = self.line(timeout)
            parts.append(line)
            if line == b"\n":
                return b"".join(parts)

    def ok(self, command: str) -> str:
        self.send(command)
        raw = self.answer()
        assert raw.startswith(b"= "), (command, raw)
        return raw[2:-2].decode()

    def close(self) -> None:
        self.send("quit")
        assert self.answer() == b"= \n\n"
        assert self.process.wait(timeout=30) == 0
        assert b"Traceback" not in self.stderr, self.stderr.decode()
        assert b"analysis anomaly" not in self.stderr, self.stderr.decode()


@pytest.fixture(scope="module")
def tiny_network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from nn.checkpoint import save_checkpoint
    from nn.go_net import GoNet, preset

    torch.manual_seed(0)
    config = preset("b2c16", 9)
    return save_checkpoint(tmp_path_factory.mktemp("net") / "tiny.pt", GoNet(config), config)


@pytest.fixture(scope="module", params=["mcts", "net"])
def engine(request: pytest.FixtureRequest, tiny_network: Path) -> Iterator[Process]:
    if request.param == "mcts":
        flags = MCTS
    else:
        flags = ["--player", "net", "--weights", str(tiny_network), "--threads", "1",
                 "--playouts", "60", "--seed", "7"]
    process = Process(*flags)
    yield process
    process.close()


@pytest.fixture(scope="module")
def mcts() -> Iterator[Process]:
    process = Process(*MCTS)
    yield process
    process.close()


def setup(engine: Process, moves: list[str], size: int = 9, komi: str = "7.5") -> Game:
    """Set up a game by alternating ``moves`` from black; return the same game locally."""
    for command in (f"boardsize {size}", "clear_board", f"komi {komi}",
                    "kgs-time_settings none"):
        engine.ok(command)
    game = Game(size, float(komi))
    for move in moves:
        color = "b" if game.to_move == BLACK else "w"
        engine.ok(f"play {color} {move}")
        game.play(coords.from_gtp(move, size))
    return game


# -- parsing the output back ---------------------------------------------------------------
@dataclass
class Info:
    """One candidate of an ``info`` line."""

    fields: dict[str, str]
    pv: list[str]


@dataclass
class Line:
    """One streamed line."""

    at: float
    infos: list[Info]
    root: dict[str, str]
    ownership: list[float] | None

    @property
    def visits(self) -> int:
        return sum(int(info.fields["visits"]) for info in self.infos)


def parse_line(at: float, text: str) -> Line:
    """Parse ``info ... pv ... info ... [rootInfo ...] [ownership ...]``."""
    ownership = None
    if " ownership " in f" {text} ":
        text, _, values = text.partition("ownership")
        ownership = [float(v) for v in values.split()]
    root: dict[str, str] = {}
    if "rootInfo" in text:
        text, _, rest = text.partition("rootInfo")
        words = rest.split()
        root = dict(zip(words[::2], words[1::2], strict=True))
    assert text.startswith("info move "), text
    infos = []
    for chunk in text.split("info ")[1:]:
        head, _, pv = chunk.partition(" pv ")
        words = head.split()
        assert len(words) % 2 == 0, chunk
        fields = dict(zip(words[::2], words[1::2], strict=True))
        infos.append(Info(fields, pv.split()))
    return Line(at, infos, root, ownership)


def read_lines(engine: Process, header: bytes, count: int,
               timeout: float = 60.0) -> list[Line]:
    """Read the start of a streamed answer: ``header``, then ``count`` ``info`` lines
    (however long they take to come); return them parsed."""
    _, first = engine.line(timeout)
    assert first == header, first
    lines = []
    for _ in range(count):
        at, raw = engine.line(timeout)
        assert raw.startswith(b"info move ") and raw.endswith(b"\n"), raw
        lines.append(parse_line(at, raw.decode().rstrip("\n")))
    return lines


def read_stream(engine: Process, header: bytes | None, end: Callable[[bytes], bool],
                timeout: float = 60.0) -> tuple[list[Line], bytes, float]:
    """Read a streamed answer: ``header`` (None: already read), ``info`` lines, then a
    line that ``end`` accepts; return the lines parsed, that last line and when it
    arrived."""
    if header is not None:
        _, first = engine.line(timeout)
        assert first == header, first
    lines: list[Line] = []
    while True:
        at, raw = engine.line(timeout)
        if end(raw):
            return lines, raw, at
        assert raw.startswith(b"info move ") and raw.endswith(b"\n"), raw
        lines.append(parse_line(at, raw.decode().rstrip("\n")))


def check_line(line: Line, game: Game, color: int, style: str) -> None:
    """Check ranges, order and legal principal variations of one line."""
    assert line.infos, "a line without candidates"
    visits = [int(info.fields["visits"]) for info in line.infos]
    assert visits == sorted(visits, reverse=True) and visits[-1] > 0
    assert [int(info.fields["order"]) for info in line.infos] == list(range(len(line.infos)))
    for info in line.infos:
        fields = info.fields
        for key in ("winrate", "prior", "lcb"):
            if style == "lz":
                assert re.fullmatch(r"[0-9]+", fields[key]), fields
                assert 0 <= int(fields[key]) <= 10000
            else:
                assert "." in fields[key], fields  # Sabaki reads a '.' as a float win rate
                assert 0.0 <= float(fields[key]) <= 1.0
        assert float(fields["lcb"]) <= float(fields["winrate"]) + (1 if style == "lz" else 1e-6)
        if style == "kata":
            assert fields["scoreLead"] == fields["scoreMean"]
            assert abs(float(fields["scoreLead"])) <= game.size * game.size + abs(game.komi)
        else:
            assert "scoreLead" not in fields
        assert info.pv[0] == fields["move"]
        replay = game.replay()
        turn = color
        for k, vertex in enumerate(info.pv):
            action = coords.from_gtp(vertex, game.size)
            replay.play(action, turn)  # raises if the line is illegal
            if action == game.pass_action:
                assert k == len(info.pv) - 1, info.pv  # the line stops at its first pass
            turn = 3 - turn


# -- transcripts over a real process ----------------------------------------------------------
@pytest.mark.parametrize("style", ["lz", "kata"])
def test_analyze_streams_until_the_next_command(engine: Process, style: str) -> None:
    game = setup(engine, OPENING)
    engine.send(f"12 {style}-analyze w 10")
    lines = read_lines(engine, b"=12\n", 3)
    sent = engine.send("13 name")
    rest, _, finished = read_stream(engine, None, lambda raw: raw == b"\n")
    lines += rest
    assert engine.answer() == b"=13 zerogo\n\n"
    assert finished - sent < STOP_SECONDS  # the next command stopped the search
    assert all(line.at < finished for line in lines)
    for line in lines:
        check_line(line, game, WHITE, style)
    # Visits only grow (a slice starved of CPU may add none) and the search goes on.
    totals = [line.visits for line in lines]
    assert totals == sorted(totals) and totals[-1] > totals[0], totals
    assert engine.ok("showboard").count("X") == 2  # analysis played nothing


def test_kata_analyze_ownership_and_perspective(mcts: Process) -> None:
    game = setup(mcts, WALLS, komi="0.5")
    views = {}
    for color in ("b", "w"):
        mcts.send(f"kata-analyze {color} 15 ownership true rootInfo true")
        lines = read_lines(mcts, b"=\n", 2)
        mcts.send("name")
        lines += read_stream(mcts, None, lambda raw: raw == b"\n")[0]
        assert mcts.answer() == b"= zerogo\n\n"
        for line in lines:
            check_line(line, game, BLACK if color == "b" else WHITE, "kata")
            assert line.ownership is not None and len(line.ownership) == 81
            assert all(-1.0 <= v <= 1.0 for v in line.ownership)
            assert int(line.root["visits"]) >= line.visits
        roots = [int(line.root["visits"]) for line in lines]
        assert roots == sorted(roots) and roots[-1] > roots[0]
        views[color] = lines[-1]
    black, white = views["b"], views["w"]
    assert black.ownership is not None and white.ownership is not None
    # Row by row from the top-left: row 9 (first 9 values) is black's, row 1 white's;
    # each view is the analysed colour's.
    assert sum(black.ownership[:9]) / 9 > 0.3 and max(black.ownership[-9:]) < -0.5
    assert white.ownership == pytest.approx([-v for v in black.ownership], abs=0.15)
    # Win rates and score leads are the analysed colour's.
    assert float(black.root["winrate"]) > 0.7 and float(white.root["winrate"]) < 0.4
    assert float(black.root["scoreLead"]) > 10 > -10 > float(white.root["scoreLead"])


@pytest.mark.parametrize("style", ["lz", "kata"])
def test_genmove_analyze_plays_after_analysing(engine: Process, style: str) -> None:
    game = setup(engine, OPENING)
    engine.ok("kgs-time_settings byoyomi 0 1 1")  # 0.65 s for the move
    engine.send(f"5 {style}-genmove_analyze w 10")
    lines, end, _ = read_stream(engine, b"=5\n", lambda raw: raw.startswith(b"play "))
    assert engine.line()[1] == b"\n"
    vertex = end.decode().split()[1]
    assert len(lines) >= 2
    for line in lines:
        check_line(line, game, WHITE, style)
    assert vertex != "resign"
    game.play(coords.from_gtp(vertex, 9), WHITE)  # legal
    if vertex != "pass":
        assert engine.ok("showboard").count("O") == 2
        engine.send(f"play w {vertex}")
        assert engine.answer() == f"? illegal move: {vertex} (occupied)\n\n".encode()
    engine.ok("kgs-time_settings none")


def test_analysis_commands_are_listed(engine: Process) -> None:
    listed = engine.ok("list_commands").split("\n")
    for name in ("lz-analyze", "kata-analyze", "lz-genmove_analyze", "kata-genmove_analyze",
                 "gogui-analyze_commands"):
        assert name in listed
        assert engine.ok(f"known_command {name}") == "true"


def test_search_stats_count_the_network_player_s_work(engine: Process) -> None:
    if "net" not in engine.flags:  # the pure-MCTS engine
        engine.send("zerogo-search_stats")
        assert engine.answer() == b"? this player keeps no search statistics\n\n"
        return
    setup(engine, OPENING)

    def stats() -> dict[str, float]:
        words = engine.ok("zerogo-search_stats").split()
        return {name: float(value) for name, value in zip(words[::2], words[1::2], strict=True)}

    before = stats()
    engine.ok("genmove w")
    after = stats()
    assert after["simulations"] >= before["simulations"] + 59  # --playouts 60, some reused
    assert after["network_calls"] > before["network_calls"]
    assert 1.0 <= after["mean_batch"] <= after["largest_batch"] <= 16
    assert after["collisions"] >= before["collisions"]


def test_interval_as_option_maxmoves_and_no_interval(mcts: Process) -> None:
    game = setup(mcts, OPENING)
    mcts.send("lz-analyze interval 10 maxmoves 2")
    lines = read_lines(mcts, b"=\n", 1)
    mcts.send("name")
    lines += read_stream(mcts, None, lambda raw: raw == b"\n")[0]
    assert mcts.answer() == b"= zerogo\n\n"
    assert all(len(line.infos) <= 2 for line in lines)
    for line in lines:
        check_line(line, game, WHITE, "lz")  # white is to move
    # Without an interval the engine searches silently until the next line, even an
    # empty one.
    mcts.send("lz-analyze b")
    time.sleep(0.4)
    mcts.send("")
    assert mcts.answer() == b"=\n\n"
    assert mcts.ok("name") == "zerogo"


BAD_ARGUMENTS = [
    ("lz-analyze purple", "? missing value for analysis option purple"),
    ("lz-analyze b -5", "? interval out of range (0 to 1000000 centiseconds)"),
    ("lz-analyze b ten", "? missing value for analysis option ten"),
    ("lz-analyze b 10 interval x", "? interval not a number: x"),
    ("lz-analyze b 10 maxmoves 0", "? maxmoves must be at least 1"),
    ("lz-analyze b 10 ownership true", "? unsupported analysis option ownership"),
    ("kata-analyze b 10 ownership maybe", "? ownership takes true or false"),
    ("kata-analyze b 10 avoid b D4 1", "? unsupported analysis option avoid"),
    ("kata-genmove_analyze b 10 minmoves 3", "? unsupported analysis option minmoves"),
]


def test_bad_arguments_get_an_error(mcts: Process) -> None:
    setup(mcts, [])
    for command, message in BAD_ARGUMENTS:
        mcts.send(command)
        assert mcts.answer() == f"{message}\n\n".encode(), command
    assert mcts.ok("showboard").count("X") == 0
    assert mcts.ok("name") == "zerogo"


def test_gogui_displays(mcts: Process) -> None:
    setup(mcts, WALLS, komi="0.5")
    commands = mcts.ok("gogui-analyze_commands").split("\n")
    assert commands and all(len(c.split("/")) == 3 for c in commands)
    assert {c.split("/")[0] for c in commands} == {"gfx", "dboard"}
    board = mcts.ok("zerogo-ownership b").strip().split("\n")
    values = [[float(v) for v in row.split()] for row in board]
    assert len(values) == 9 and all(len(row) == 9 for row in values)
    assert sum(values[0]) / 9 > 0.3 and max(values[-1]) < -0.5  # top row black, +1 black
    gfx = mcts.ok("zerogo-gfx_ownership w").split("\n")
    assert gfx[0].startswith("INFLUENCE A1 ") and len(gfx[0].split()) == 1 + 2 * 81
    assert gfx[1].startswith("TEXT black leads by ")
    gfx = mcts.ok("zerogo-gfx_candidates b").split("\n")
    assert gfx[0].startswith("LABEL ") and gfx[1].startswith("VAR b ")
    assert gfx[2].startswith("TEXT black ")


def test_pondering_process_answers_promptly() -> None:
    process = Process(*MCTS, "--ponder")
    try:
        setup(process, [])
        replies = ["J1", "A9", "J9", "A1"]
        for _ in range(2):
            vertex = process.ok("genmove b")
            time.sleep(0.4)  # the engine ponders on white's move
            start = process.send("name")
            assert process.answer() == b"= zerogo\n\n"
            assert time.monotonic() - start < STOP_SECONDS  # the command stopped pondering
            process.ok(f"play w {next(r for r in replies if r != vertex)}")
            replies = [r for r in replies if r != vertex][1:]
    finally:
        process.close()


# -- in-process: failures and pondering with fake players ----------------------------------
class FakeAnalyzer:
    """Reports made-up snapshots every ``interval``; can fail after ``fail_after`` reports."""

    name = "fake"

    def __init__(self, fail_after: int | None = None) -> None:
        self.fail_after = fail_after
        self.calls: list[tuple[int, Budget | None, bool]] = []
        self.stopped: list[bool] = []

    def snapshot(self, game: Game, color: int, visits: int) -> AnalysisSnapshot:
        action = int(game.board.legal_mask(color)[:-1].argmax())
        candidate = Candidate(action, visits, 0.5, 0.5, 0.4, [action, game.pass_action, action])
        return AnalysisSnapshot(game.size, color, visits, 0.5, 1.5, [candidate])

    def analyze(self, game: Game, color: int, report: Callable[[AnalysisSnapshot], bool],
                interval: float = 0.1, budget: Budget | None = None,
                stop: threading.Event | None = None) -> Decision:
        self.calls.append((color, budget, stop is not None))
        reports = 0
        deadline = None if budget is None or budget.seconds is None else (
            time.monotonic() + budget.seconds)
        while stop is None or not stop.is_set():
            time.sleep(interval)
            if self.fail_after is not None and reports >= self.fail_after:
                raise RuntimeError("search blew up")
            reports += 1
            if not report(self.snapshot(game, color, 10 * reports)):
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
        self.stopped.append(stop is not None and stop.is_set())
        return Decision(int(game.board.legal_mask(color)[:-1].argmax()))

    def genmove(self, game: Game, color: int, budget: Budget | None = None,
                cleanup: bool = False) -> Decision:
        return Decision(int(game.board.legal_mask(color)[:-1].argmax()))

    def reset(self) -> None:
        pass


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_an_exception_in_the_search_thread_keeps_the_engine_serving(
        capsys: pytest.CaptureFixture[str]) -> None:
    player = FakeAnalyzer(fail_after=2)
    engine = GtpEngine(player, 9)
    assert engine.execute(b"3 lz-analyze b 2") == b"=3\n"
    wait_for(lambda: engine._background is not None and not engine._background.thread.is_alive())
    out = engine.execute(b"4 name")
    assert out is not None
    lines = out.split(b"\n")
    assert lines[0].startswith(b"info move A1 visits 10 winrate 5000 prior 5000 lcb 4000 ")
    assert lines[0].endswith(b"pv A1 pass")  # the line stops at its first pass
    assert out.endswith(b"\n\n=4 zerogo\n\n")
    assert "RuntimeError: search blew up" in capsys.readouterr().err
    # The same failure in genmove_analyze still ends its answer; the engine goes on.
    out = engine.execute(b"5 lz-genmove_analyze b 2")
    assert out is not None and out.startswith(b"=5\ninfo move ") and out.endswith(b"\n\n")
    assert b"play" not in out
    assert engine.execute(b"name") == b"= zerogo\n\n"


def test_streamed_answers_through_serve() -> None:
    player = FakeAnalyzer()
    stdin = io.BytesIO(b"1 kata-analyze w 3 ownership true\n")
    stdout = io.BytesIO()
    engine = GtpEngine(player, 5)
    engine.serve(stdin, stdout)  # end of input stops the analysis and ends its answer
    text = stdout.getvalue()
    assert text.startswith(b"=1\n") and text.endswith(b"\n\n")
    assert player.stopped == [True]
    stdin = io.BytesIO(b"kata-genmove_analyze b 3\nshowboard\n")
    stdout = io.BytesIO()
    engine = GtpEngine(player, 5, move_budget=Budget(seconds=0.2))
    engine.serve(stdin, stdout)
    lines = stdout.getvalue().split(b"\n")
    assert lines[0] == b"="
    assert lines[1].startswith(b"info move A1 visits 10 winrate 0.500000 scoreMean 1.500 ")
    play = lines.index(b"play A1")
    assert lines[play + 1] == b"" and lines[play + 2] == b"= "
    assert lines[play + 4] == b" 5 . . . . . 5"
    assert lines[play + 8] == b" 1(X). . . . 1"


def test_pondering_searches_for_the_opponent_until_the_next_command() -> None:
    player = FakeAnalyzer()
    engine = GtpEngine(player, 9, ponder=True)
    assert engine.execute(b"genmove b") == b"= A1\n\n"
    wait_for(lambda: len(player.calls) == 1)
    assert player.calls[0] == (WHITE, None, True)
    time.sleep(0.05)
    assert engine.execute(b"play w B1") == b"= \n\n"  # stops the search, prints nothing else
    assert player.stopped == [True]
    assert engine.execute(b"genmove b") == b"= C1\n\n"
    assert engine.execute(b"quit") == b"= \n\n"
    assert player.stopped == [True, True]
    # Without --ponder nothing searches between commands.
    player = FakeAnalyzer()
    engine = GtpEngine(player, 9)
    engine.execute(b"genmove b")
    assert player.calls == [] and engine._background is None


def test_players_that_cannot_analyse_do_not_list_analysis() -> None:
    engine = GtpEngine(RandomPlayer(seed=1), 9)
    assert engine.execute(b"known_command lz-analyze") == b"= false\n\n"
    assert engine.execute(b"lz-analyze b 10") == b"? unknown command\n\n"
    listed = (engine.execute(b"list_commands") or b"").decode()
    assert "analyze" not in listed


def test_formatter_orders_cuts_at_pass_and_limits() -> None:
    game = Game(5)
    for vertex in ("C3", "B3"):
        game.play(coords.from_gtp(vertex, 5))
    d3, a1, e5 = (coords.from_gtp(v, 5) for v in ("D3", "A1", "E5"))
    assert legal_line(game.board, BLACK, [d3, game.pass_action, a1]) == [d3, game.pass_action]
    snapshot = AnalysisSnapshot(5, BLACK, 30, 0.6, None, [
        Candidate(a1, 5, 0.7, 0.1, 0.2, [a1]),
        Candidate(d3, 10, 1.0, 0.0, 0.5, [d3, game.pass_action, e5]),  # stops at the pass
    ])
    text = AnalysisFormatter(AnalysisRequest("lz", BLACK), game).format(snapshot)
    assert text == ("info move D3 visits 10 winrate 10000 prior 0 lcb 5000 order 0 pv D3 pass "
                    "info move A1 visits 5 winrate 7000 prior 1000 lcb 2000 order 1 pv A1")
    kata = AnalysisFormatter(AnalysisRequest("kata", BLACK, max_moves=1, root_info=True), game)
    assert kata.format(snapshot) == (
        "info move D3 visits 10 winrate 1.000000 prior 0.000000 lcb 0.500000 order 0 "
        "pv D3 pass rootInfo visits 30 winrate 0.600000"
    )


def test_formatter_logs_and_counts_what_it_clamps_or_drops(
        analysis_anomalies: AnalysisAnomalies, caplog: pytest.LogCaptureFixture) -> None:
    """Each value no search may give is still written readably, but logged and counted."""
    game = Game(5)
    for vertex in ("C3", "B3"):
        game.play(coords.from_gtp(vertex, 5))
    c3, b3, d3, a1 = (coords.from_gtp(v, 5) for v in ("C3", "B3", "D3", "A1"))
    assert legal_line(game.board, BLACK, [d3, c3, a1]) == [d3]  # C3 is occupied
    snapshot = AnalysisSnapshot(5, BLACK, 30, 0.6, None, [
        Candidate(a1, 5, 0.7, 0.1, 0.2, [a1]),
        Candidate(c3, 20, 0.9, 0.5, 0.8, [c3]),  # illegal: left out
        Candidate(d3, 10, 1.2, -0.1, math.nan, [d3, b3]),  # clamped; cut before B3
    ])
    with caplog.at_level(logging.WARNING, logger="engine.analysis"):
        text = AnalysisFormatter(AnalysisRequest("lz", BLACK), game).format(snapshot)
    assert text == ("info move D3 visits 10 winrate 10000 prior 0 lcb 0 order 0 pv D3 "
                    "info move A1 visits 5 winrate 7000 prior 1000 lcb 2000 order 1 pv A1")
    assert analysis_anomalies.counts() == {"winrate": 1, "prior": 1, "lcb": 1, "pv": 2}
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(messages) == 5 and all(m.startswith("analysis anomaly") for m in messages)
    assert any("winrate 1.2" in m for m in messages)
    assert any("illegal move C3 at ply 1" in m for m in messages)
    assert any("illegal move B3 at ply 2 of the line D3 B3" in m for m in messages)


def test_nan_and_out_of_range_ownership_are_counted(
        analysis_anomalies: AnalysisAnomalies) -> None:
    game = Game(5)
    own = np.zeros((5, 5), dtype=np.float32)
    own[0, 0], own[4, 4] = math.nan, 1.5
    a1 = coords.from_gtp("A1", 5)
    snapshot = AnalysisSnapshot(5, BLACK, 5, 0.5, math.inf,
                                [Candidate(a1, 5, 0.5, 0.2, 0.1, [a1])], own)
    formatter = AnalysisFormatter(AnalysisRequest("kata", BLACK, ownership=True, root_info=True),
                                  game)
    text = formatter.format(snapshot)
    values = [float(v) for v in text.partition("ownership ")[2].split()]
    assert values[-5] == 0.0 and values[4] == 1.0  # A1 (last row, first) and E5 (first row)
    assert "scoreLead" not in text
    assert analysis_anomalies.counts() == {"ownership": 2, "score_lead": 1}


def test_an_illegal_move_from_the_search_is_counted(
        analysis_anomalies: AnalysisAnomalies) -> None:
    class IllegalMover(FakeAnalyzer):
        def analyze(self, game: Game, color: int, report: Callable[[AnalysisSnapshot], bool],
                    interval: float = 0.1, budget: Budget | None = None,
                    stop: threading.Event | None = None) -> Decision:
            return Decision(coords.from_gtp("A1", game.size))

    engine = GtpEngine(IllegalMover(), 5)
    assert engine.execute(b"play b A1") == b"= \n\n"
    assert engine.execute(b"lz-genmove_analyze w 10") == b"=\nplay pass\n\n"
    assert analysis_anomalies.counts() == {"move": 1}


def test_anomaly_warnings_are_limited_but_all_counted(caplog: pytest.LogCaptureFixture) -> None:
    count = AnalysisAnomalies(log_limit=3)
    with caplog.at_level(logging.WARNING, logger="engine.analysis"):
        for k in range(10):
            count.record("winrate", f"bad {k}")
    assert count.counts() == {"winrate": 10} and count.total() == 10
    assert len(caplog.records) == 4 and "counted, not logged" in caplog.records[-1].getMessage()
    count.clear()
    assert count.total() == 0


class NoisyEvaluator:
    """A network stand-in with random priors, values and ownership (all in range)."""

    def __init__(self, size: int) -> None:
        from engine.features import FeatureConfig

        self.size = size
        self.feature_config = FeatureConfig()
        self.name = "noisy"
        self.rng = np.random.default_rng(0)

    def evaluate(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        batch, n = features.shape[0], self.size
        return (
            self.rng.normal(size=(batch, n * n + 1)).astype(np.float32),
            np.tanh(self.rng.normal(size=batch)).astype(np.float32),
            np.tanh(self.rng.normal(size=(batch, n, n))).astype(np.float32),
        )


@pytest.mark.parametrize("kind", ["mcts", "net"])
def test_real_searches_give_no_anomalies(kind: str,
                                         analysis_anomalies: AnalysisAnomalies) -> None:
    """Formatted snapshots of real searches over random positions (captures, ko fights,
    passes) have every value in range and every line legal."""
    from engine.mcts import MCTSConfig, MCTSPlayer
    from engine.puct import PUCTConfig, PUCTPlayer

    size = 7
    player = (MCTSPlayer(MCTSConfig(threads=1, seed=3)) if kind == "mcts"
              else PUCTPlayer(NoisyEvaluator(size), PUCTConfig(leaves_per_step=8)))
    rng = np.random.default_rng(11)
    lines = 0
    for plies in (0, 12, 30, 45, 60):
        game = Game(size, 7.5)
        while len(game.moves) < plies and not game.is_over:
            game.play(int(rng.choice(np.flatnonzero(game.board.legal_mask(game.to_move)))))
        if game.is_over:
            continue
        color = game.to_move
        formatters = [AnalysisFormatter(AnalysisRequest(style, color, ownership=style == "kata",
                                                        root_info=True), game)
                      for style in ("lz", "kata")]

        def report(snapshot: AnalysisSnapshot,
                   formatters: list[AnalysisFormatter] = formatters) -> bool:
            nonlocal lines
            lines += sum(bool(f.format(snapshot)) for f in formatters)
            return True

        player.analyze(game, color, report, 0.02, Budget(playouts=300))
    assert lines >= 8
    assert analysis_anomalies.total() == 0, analysis_anomalies.counts()
