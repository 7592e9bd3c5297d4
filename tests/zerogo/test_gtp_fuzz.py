"""``zerogo gtp`` under fuzzing: every line gets a framed answer, nothing kills or hangs it.

The engine runs as users start it (``zerogo gtp --player ...``, a real process over
pipes); one process per player serves every example.  Each example sends one line
built by hypothesis from GTP commands, arguments good and bad, control bytes, tabs,
ids, ``#`` comments, invalid UTF-8 and huge lengths, then a sync command with its
own id.  What came back before the sync answer must be, by the rules of GTP
version 2 (checked against ``expected_reply``, an independent reading of them):

* nothing, for a line that is empty once control characters and the comment go;
* otherwise exactly one answer, ``=[id]`` or ``?[id]`` with the line's id, ending
  with a blank line (a ``?`` message on one line); never ``internal error``.

A refused command (``?``) must leave the game as it was: board, move history,
komi and handicap (``showboard`` and ``printsgf`` before and after).  The engine
must answer every line within ``TIMEOUT`` seconds and print no traceback.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

# the command users run (the virtual environment's script), else the module
_SCRIPT = Path(sys.executable).with_name("zerogo")
ZEROGO = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "zerogo"]
TIMEOUT = 30.0  # seconds for any answer
# examples per player; a longer hunt: ZEROGO_FUZZ_EXAMPLES=5000 pytest tests/zerogo/test_gtp_fuzz.py
EXAMPLES = int(os.environ.get("ZEROGO_FUZZ_EXAMPLES", "100"))
SYNC_ID = b"424242424242"
SYNC = SYNC_ID + b" name\n"
SYNC_ANSWER = b"=" + SYNC_ID + b" zerogo\n\n"
# Bytes that GTP's preprocessing removes: control characters except HT and LF, and DEL.
CONTROL = bytes(c for c in range(32) if c not in (9, 10)) + b"\x7f"

COMMANDS = [
    "protocol_version", "name", "version", "known_command", "list_commands", "boardsize",
    "clear_board", "komi", "play", "genmove", "reg_genmove", "kgs-genmove_cleanup", "undo",
    "showboard", "final_score", "final_status_list", "fixed_handicap",
    "place_free_handicap", "set_free_handicap", "loadsgf", "printsgf", "time_settings",
    "kgs-time_settings", "time_left", "gogui-analyze_commands", "zerogo-ownership",
    "zerogo-gfx_ownership", "zerogo-gfx_candidates", "lz-analyze", "kata-analyze",
    "lz-genmove_analyze", "kata-genmove_analyze", "zerogo-search_stats",
]
WORDS = [
    # colours and vertices, good and bad
    "b", "w", "B", "WHITE", "black", "x", "pass", "PASS", "resign", "A1", "a1", "C3", "c3",
    "D4", "e5", "J9", "j19", "T19", "I5", "Z9", "A0", "A-1", "A20", "A99999999999999999",
    "\u00c51", "\uff21\uff11", "\u0131",
    # numbers, good and bad
    "0", "1", "2", "3", "5", "7", "9", "13", "19", "20", "25", "-1", "+3", "007",
    "999999999999999", "9999999999999999999999", "1e3", "6.5", "-7.5", "1e308", "1e999",
    "nan", "inf", "-inf", "0x10", "1_000", "\u0661\u0669", ".5", "5.", "-0",
    # analysis and time keywords
    "interval", "maxmoves", "ownership", "true", "false", "rootInfo", "minmoves", "avoid",
    "allow", "none", "absolute", "byoyomi", "canadian", "alive", "dead", "seki",
    # files (the engine runs in a scratch folder; see ``files``)
    "game.sgf", "bad.sgf", "deep.sgf", "folder", "missing.sgf", "/dev/null", "/dev/zero",
    "/dev/stdin", "",
]
# Byte sequences that are not UTF-8: stray continuation, overlong, surrogate,
# truncated, out of range.
INVALID_UTF8 = [b"\x80", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xf4\x90\x80\x80",
                b"\xfe\xfe\xff"]
SEPARATORS = [b" ", b"  ", b"\t", b" \t ", b"\t\t"]


# -- the rules, read independently of zerogo.gtp_protocol ---------------------------------
def expected_reply(line: bytes) -> tuple[bool, bytes, bytes]:
    """Return (whether GTP answers ``line``, the id to echo, the command word).

    Control characters except HT and LF are removed and DEL too, then everything
    from ``#``; HT becomes a space; the line is answered unless only space is left.
    A first word of decimal digits is the id.
    """
    text = bytes(b for b in line if b not in CONTROL)
    text = text.split(b"#", 1)[0].replace(b"\t", b" ").strip(b" ")
    if not text:
        return False, b"", b""
    head, _, rest = text.partition(b" ")
    ident = head if re.fullmatch(rb"[0-9]+", head) else b""
    words = [word for word in (rest if ident else text).split(b" ") if word]  # spaces only
    return True, ident, words[0] if words else b""


# -- the engine over pipes ----------------------------------------------------------------
class EngineProcess:
    """A ``zerogo gtp`` process: lines in, raw bytes out (read on a thread)."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [*ZEROGO, "gtp", *args], cwd=cwd, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
        )
        self._chunks: queue.Queue[bytes] = queue.Queue()
        self.buffer = b""
        self.stderr = bytearray()
        threading.Thread(target=self._pump, args=(self.process.stdout, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, False), daemon=True).start()

    def _pump(self, stream: BinaryIO, to_queue: bool) -> None:
        while chunk := os.read(stream.fileno(), 1 << 16):
            if to_queue:
                self._chunks.put(chunk)
            else:
                self.stderr += chunk
        if to_queue:
            self._chunks.put(b"")

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def read_until(self, end: bytes) -> bytes:
        """Return everything up to and including the first ``end``; fail after TIMEOUT."""
        while end not in self.buffer:
            try:
                chunk = self._chunks.get(timeout=TIMEOUT)
            except queue.Empty:
                pytest.fail(f"no answer within {TIMEOUT} s; got {self.buffer[-300:]!r}")
            if not chunk:
                pytest.fail(f"the engine died (exit {self.process.wait()}): "
                            f"{self.stderr.decode(errors='replace')[-2000:]}")
            self.buffer += chunk
        at = self.buffer.index(end) + len(end)
        out, self.buffer = self.buffer[:at], self.buffer[at:]
        return out

    def ask(self, command: bytes) -> bytes:
        """Send one command whose answer has no empty line; return the answer."""
        self.send(command + b"\n")
        return self.read_until(b"\n\n")

    def state(self) -> tuple[bytes, bytes]:
        """Return the answers of showboard and printsgf: board, history, komi, handicap."""
        return self.ask(b"showboard"), self.ask(b"printsgf")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch folder (the engines' working directory) with SGF files to load."""
    folder = tmp_path_factory.mktemp("gtp-fuzz")
    (folder / "game.sgf").write_bytes(b"(;GM[1]SZ[9]KM[7.5];B[ee];W[cc];B[gg])")
    (folder / "bad.sgf").write_bytes(b"(;SZ[9];B[ee];W[ee])\xff\x00")
    (folder / "deep.sgf").write_bytes(b"(;SZ[5]" + b"(;B[]" * 20_000 + b")" * 20_001)
    (folder / "folder").mkdir()
    return folder


@pytest.fixture(scope="module", params=["random", "mcts"])
def engine(request: pytest.FixtureRequest, files: Path) -> Iterator[EngineProcess]:
    """One engine process per player for every example, checked at the end."""
    args = ["--player", request.param, "--seed", "1"]
    if request.param == "mcts":
        args += ["--playouts", "16", "--threads", "1"]
    process = EngineProcess(args, files)
    assert process.ask(b"name") == b"= zerogo\n\n"
    yield process
    assert process.ask(b"quit") == b"= \n\n"
    assert process.process.wait(timeout=TIMEOUT) == 0
    assert b"Traceback" not in process.stderr, process.stderr.decode(errors="replace")


# -- lines ---------------------------------------------------------------------------------
COLORS = st.sampled_from(["b", "w", "B", "W", "black", "white", "BLACK", "x"])
VERTICES = st.one_of(
    st.builds(lambda c, n: f"{c}{n}", st.sampled_from("ABCDEFGHJKLMNOPQRSTabcdejIZ"),
              st.integers(0, 20)),
    st.sampled_from(["pass", "PASS", "Pass", "resign", "A", "1", "AA1", "A01"]),
)
SMALL = st.integers(-2, 12).map(str)
INTERVAL = st.sampled_from(["0", "1", "5", "10", "interval 2", "maxmoves 3", "ownership true",
                            "rootInfo true", "interval", "maxmoves 0", "avoid b A1 1"])
FILES = st.sampled_from(["game.sgf", "bad.sgf", "deep.sgf", "folder", "missing.sgf",
                         "/dev/null", "/dev/zero", "/dev/stdin", "game.sgf 2", "game.sgf 0",
                         "game.sgf 99", "game.sgf x"])


def _args(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.tuples(*parts).map(list)


# plausible arguments per command: most lines should reach the handler and often succeed
ARGUMENTS: dict[str, st.SearchStrategy[list[str]]] = {
    "known_command": _args(st.sampled_from([*COMMANDS, "quit", "nope", "PLAY"])),
    "boardsize": _args(st.sampled_from(["2", "5", "7", "9", "9", "13", "19", "1", "20", "0"])),
    "komi": _args(st.sampled_from(["6.5", "0", "-3", "7.5", "1e3", "1e308", "nan", "x"])),
    "play": _args(COLORS, VERTICES),
    "genmove": _args(COLORS),
    "reg_genmove": _args(COLORS),
    "kgs-genmove_cleanup": _args(COLORS),
    "final_status_list": _args(st.sampled_from(["alive", "dead", "seki", "DEAD", "x"])),
    "fixed_handicap": _args(SMALL),
    "place_free_handicap": _args(SMALL),
    "set_free_handicap": st.lists(VERTICES, max_size=6),
    "loadsgf": _args(FILES),
    "printsgf": st.sampled_from([[], ["out.sgf"], ["folder"], ["a", "b"]]),
    "time_settings": _args(SMALL, SMALL, SMALL),
    "kgs-time_settings": st.tuples(
        st.sampled_from(["none", "absolute", "byoyomi", "canadian", "x"]),
        st.lists(SMALL, max_size=3)).map(lambda t: [t[0], *t[1]]),
    "time_left": _args(COLORS, SMALL, SMALL),
    "lz-analyze": st.tuples(st.lists(COLORS, max_size=1), st.lists(INTERVAL, max_size=2))
    .map(lambda t: t[0] + t[1]),
    "lz-genmove_analyze": _args(COLORS, SMALL),
}
ARGUMENTS["kata-analyze"] = ARGUMENTS["lz-analyze"]
ARGUMENTS["kata-genmove_analyze"] = ARGUMENTS["lz-genmove_analyze"]
IDS: dict[str, st.SearchStrategy[str] | None] = {
    "none": None,
    "short": st.integers(0, 999).map(str),
    "long": st.from_regex(r"\A[0-9]{1,25}\Z"),
    "odd": st.sampled_from(["-1", "0x1"]),
}
NOISE = st.one_of(
    st.sampled_from(list(CONTROL)).map(lambda c: bytes([c])),
    st.sampled_from(INVALID_UTF8),
    st.binary(min_size=1, max_size=3).map(lambda b: b.replace(b"\n", b"")),
    st.sampled_from([b"#", b"\t", b"  ", b"\xc2\xa0", b"\xe2\x80\x83"]),  # comment, spaces
)


def _insert(data: bytes, insertions: list[tuple[int, bytes]]) -> bytes:
    for position, extra in insertions:
        at = position % (len(data) + 1)
        data = data[:at] + extra + data[at:]
    return data


@st.composite
def gtp_lines(draw: st.DrawFn) -> bytes:
    """Draw one input line (without its newline).

    Half are well-formed commands with plausible arguments; the rest add noise
    (control bytes, invalid UTF-8, odd spaces, comments, odd words), are raw bytes
    or carry a run of up to a million bytes.
    """
    kind = draw(st.sampled_from(["clean"] * 5 + ["noisy"] * 3 + ["bytes", "huge"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300)).replace(b"\n", b"")
    name = draw(st.sampled_from(COMMANDS))
    args = draw(ARGUMENTS.get(name, st.just([])))
    if kind != "clean":
        name = draw(st.sampled_from([name, name, name.upper(), "quit", "xyzzy"]))
        args = draw(st.one_of(st.just(args), st.lists(
            st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), max_size=6)))
    words = [w.encode("utf-8", "surrogatepass").replace(b"\n", b"") for w in [name, *args]]
    separators = st.sampled_from(SEPARATORS) if kind != "clean" else st.just(b" ")
    line = words[0]
    for word in words[1:]:
        line += draw(separators) + word
    ident = IDS[draw(st.sampled_from(["none"] * 5 + ["short", "short", "long", "odd"]))]
    if ident is not None:
        ident = draw(ident)
        line = ident.encode() + draw(separators) + line
    if kind == "clean":
        return line
    line = draw(st.sampled_from([b"", b" ", b"\t", b"\r"])) + line
    line = _insert(line, draw(st.lists(st.tuples(st.integers(0, 10**6), NOISE), max_size=3)))
    if draw(st.integers(0, 4)) == 0:
        line += b"#" + draw(st.binary(max_size=20)).replace(b"\n", b"")
    line += draw(st.sampled_from([b"", b"\r", b" ", b"\t"]))
    if kind == "huge":
        repeat = draw(st.sampled_from([1_000, 100_000, 1_000_000]))
        piece = draw(st.sampled_from([b"A1 ", b"x", b"\x00", b"\xff", b"9", b"# ", b"\t"]))
        at = draw(st.integers(0, len(line)))
        line = line[:at] + piece * repeat + line[at:]
    return line


def _check_answer(line: bytes, segment: bytes) -> bytes:
    """Check the framing of what ``line`` got back; return its status byte (b"" for none)."""
    answered, ident, _ = expected_reply(line)
    if not answered:
        assert segment == b"", f"an empty line was answered: {segment[:300]!r}"
        return b""
    assert segment.endswith(b"\n\n"), f"answer not closed by a blank line: {segment[-300:]!r}"
    assert b"\n\n" not in segment[:-2], f"more than one answer: {segment[:600]!r}"
    match = re.match(rb"([=?])([0-9]*)[ \n]", segment)
    assert match is not None, f"answer without =/? framing: {segment[:300]!r}"
    assert match.group(2) == ident, f"id {ident!r} not echoed: {segment[:300]!r}"
    if match.group(1) == b"?":
        assert segment.count(b"\n") == 2, f"error message over lines: {segment[:300]!r}"
        assert b"internal error" not in segment, segment.decode(errors="replace")
    return match.group(1)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(line=gtp_lines())
def test_every_line_is_answered_in_frame(engine: EngineProcess, line: bytes) -> None:
    _, _, command = expected_reply(line)
    assume(command != b"quit")
    assume(SYNC_ID not in line)
    assume(b"printsgf" not in line or b"/" not in line)  # write only in the scratch folder
    # each example starts without time control (a large one would make genmove slow)
    assert engine.ask(b"kgs-time_settings none") == b"= \n\n"
    before = engine.state()
    engine.send(line + b"\n" + SYNC)
    segment = engine.read_until(SYNC_ANSWER)[: -len(SYNC_ANSWER)]
    status = _check_answer(line, segment)
    event(f"{(status or b'none').decode()} {command.decode(errors='replace')[:20]}")
    if status == b"?":
        assert engine.state() == before, f"refused {line[:200]!r} changed the game"


# -- examples of what the fuzzing covers, kept as plain cases ----------------------------------
@pytest.mark.parametrize(
    ("line", "answer"),
    [
        (b"name", b"= zerogo\n\n"),
        (b"7 name", b"=7 zerogo\n\n"),
        (b"\tname\t# comment", b"= zerogo\n\n"),
        (b"7\tna\x01me\x7f", b"=7 zerogo\n\n"),
        (b"# only a comment", b""),
        (b"\x01\x02\r", b""),
        (b"12 \xff\xfe", b"?12 invalid UTF-8 in command (byte 3)\n\n"),
        (b"play b \xc0\xaf", b"? invalid UTF-8 in command (byte 7)\n\n"),
        (b"\xc2\x85quit", b"? unknown command\n\n"),  # words part at spaces only
        (b"12\xc2\xa0name", b"? unknown command\n\n"),
        (b"5 play " + b"A1 " * 100_000, b"?5 syntax error: usage play COLOR VERTEX\n\n"),
        (b"loadsgf /dev/stdin",  # would read the engine's own input
         b"? cannot load file: cannot read '/dev/stdin': not a regular file\n\n"),
        (b"loadsgf folder", b"? cannot load file: cannot read 'folder': it is a directory\n\n"),
        (b"loadsgf /dev/zero",  # would never end
         b"? cannot load file: cannot read '/dev/zero': not a regular file\n\n"),
        (b"loadsgf deep.sgf",
         b"? cannot load file: main line of 20000 moves; zerogo reads at most 10000\n\n"),
    ],
)
def test_lines_by_the_rules(engine: EngineProcess, line: bytes, answer: bytes) -> None:
    before = engine.state()
    engine.send(line + b"\n" + SYNC)
    assert engine.read_until(SYNC_ANSWER)[: -len(SYNC_ANSWER)] == answer
    assert engine.state() == before


def test_expected_reply_reads_the_rules() -> None:
    assert expected_reply(b"") == (False, b"", b"")
    assert expected_reply(b" \t\x00# 12 name") == (False, b"", b"")
    assert expected_reply(b"12\tname") == (True, b"12", b"name")
    assert expected_reply(b"12") == (True, b"12", b"")
    assert expected_reply(b"1\x002 na\x7fme") == (True, b"12", b"name")
    assert expected_reply(b"-1 name") == (True, b"", b"-1")
