"""Hostile and malformed SGF files: each is refused with an ``SgfError`` naming the problem.

The cases are a data table (``HOSTILE_SGF``: name, bytes, what the message must
say); ``tests/zerogo/test_cli_hostile.py`` feeds the same files to ``zerogo score``
and to GTP's ``loadsgf``.  Files that are not regular files (a directory, a FIFO,
``/dev/zero``) are refused before anything is read, so none of them can block or
fill the memory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sgfmill import sgf

from engine.sgf import MAX_SGF_BYTES, MAX_SGF_MOVES, SgfError, load_sgf, load_sgf_file

# (name, data, regular expression the message must match)
HOSTILE_SGF: list[tuple[str, bytes, str]] = [
    # deep variations: 100k nested, each a pass (the main line runs through them all)
    ("deep-variations", b"(;SZ[9]" + b"(;B[]" * 100_000 + b")" * 100_001,
     f"main line of 100000 moves; zerogo reads at most {MAX_SGF_MOVES}"),
    ("deep-parentheses", b"(;SZ[9]" + b"(" * 100_000, "bad SGF syntax"),
    ("long-main-line", b"(;SZ[9]" + b";B[];W[]" * 6_000 + b")", "main line of 12000 moves"),
    # sizes
    ("size-1000", b"(;GM[1]SZ[1000];B[aa])", "unsupported board size.*1000"),
    ("size-0", b"(;SZ[0])", "unsupported board size.*0"),
    ("size-negative", b"(;SZ[-1])", "unsupported board size.*-1"),
    ("size-huge", b"(;SZ[99999999999999999999])", "unsupported board size"),
    ("size-text", b"(;SZ[abc])", "bad board size"),
    ("size-rectangle", b"(;SZ[9:13])", "bad board size.*square"),
    # properties
    ("komi-nan", b"(;SZ[9]KM[nan])", "bad komi 'nan'"),
    ("komi-infinite", b"(;SZ[9]KM[1e999])", "bad komi '1e999'"),
    ("komi-text", b"(;SZ[9]KM[abc])", "bad komi 'abc'"),
    ("handicap-text", b"(;SZ[9]HA[abc])", "bad handicap 'abc'"),
    ("handicap-too-many", b"(;SZ[9]HA[500])", "bad handicap 500"),
    ("not-go", b"(;GM[2]SZ[9])", r"not a game of Go \(GM\[2\]\)"),
    ("game-type-text", b"(;GM[x]SZ[9])", "bad GM property"),
    ("player-to-move", b"(;SZ[9]AB[aa]PL[x])", "bad PL colour 'x'"),
    ("setup-off-board", b"(;SZ[9]AB[zz])", "bad AB point list"),
    ("setup-twice", b"(;SZ[9]AB[ee]AW[ee])", "setup stone on occupied point E5"),
    ("remove-stones", b"(;SZ[9]AE[aa])", "AE .* not supported"),
    ("both-colours", b"(;SZ[9];B[ee]W[cc])", "both a B and a W move"),
    # coordinates
    ("move-off-board", b"(;SZ[9];B[zz])", r"bad move number 1: B\[zz\]"),
    ("move-one-letter", b"(;SZ[9];B[ee];W[a])", r"bad move number 2: W\[a\]"),
    ("move-binary", b"(;SZ[9];B[\xff\xfe])", "bad move number 1"),
    ("move-range", b"(;SZ[9];W[aa:bb])", "bad move number 1"),
    ("move-occupied", b"(;SZ[9];B[ee];W[ee])", "illegal move number 2 at vertex E5 .occupied."),
    # size and garbage
    ("ten-megabytes", b"(;SZ[9]C[" + b"x" * 10_000_000 + b"])", "larger than 1 MiB"),
    ("binary-garbage", bytes(range(256)) * 4_000, "no SGF data found"),
    ("nul-bytes", b"\x00" * 100_000, "no SGF data found"),
    ("empty", b"", "no SGF data found"),
    ("unclosed", b"(;SZ[9];B[ee]", "unexpected end of SGF data"),
    ("unclosed-value", b"(;SZ[9]C[never closed", "unexpected end of SGF data"),
    # encodings
    ("utf-16", "(;SZ[9];B[ee])".encode("utf-16"), "no SGF data found"),
    ("unknown-charset", b"(;CA[no-such-codec]SZ[9];B[ee])", "bad character set"),
    ("bad-utf-8-comment", b"(;CA[UTF-8]SZ[9];B[ee]C[\xff\xfe])", "bad C property.*utf-8"),
]


@pytest.mark.parametrize(("name", "data", "message"), HOSTILE_SGF,
                         ids=[case[0] for case in HOSTILE_SGF])
def test_hostile_data_is_refused_naming_the_problem(name: str, data: bytes, message: str) -> None:
    with pytest.raises(SgfError, match=message) as caught:
        load_sgf(data)
    assert "\n" not in str(caught.value)


def test_hostile_files_are_refused_naming_the_problem(tmp_path: Path) -> None:
    for name, data, message in HOSTILE_SGF:
        if name == "deep-variations":
            continue  # parsed as above, and slow to parse
        path = tmp_path / f"{name}.sgf"
        path.write_bytes(data)
        with pytest.raises(SgfError, match=message):
            load_sgf_file(path)


def test_limits_leave_real_games_alone() -> None:
    moves = b"".join(b";B[];W[]" for _ in range(MAX_SGF_MOVES // 2))
    game = load_sgf(b"(;SZ[5]KM[7.5]C[" + b"x" * (MAX_SGF_BYTES - 200_000) + b"]" + moves + b")")
    assert len(game.moves) == MAX_SGF_MOVES
    with pytest.raises(SgfError, match="larger than 1 MiB"):
        load_sgf(b"(;SZ[9]C[" + b"x" * MAX_SGF_BYTES + b"])")


def test_files_that_are_not_regular_files_are_refused_without_reading(tmp_path: Path) -> None:
    with pytest.raises(SgfError, match="cannot read '.*': it is a directory"):
        load_sgf_file(tmp_path)
    with pytest.raises(SgfError, match="cannot read '/dev/zero': not a regular file"):
        load_sgf_file("/dev/zero")  # reading it would never end
    fifo = tmp_path / "pipe.sgf"
    os.mkfifo(fifo)
    with pytest.raises(SgfError, match="cannot read '.*': not a regular file"):
        load_sgf_file(fifo)  # opening it must not wait for a writer
    with pytest.raises(SgfError, match=re.escape(f"cannot read '{tmp_path / 'missing.sgf'}'")):
        load_sgf_file(tmp_path / "missing.sgf")


def test_a_file_over_the_limit_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.sgf"
    with open(big, "wb") as handle:
        handle.truncate(1 << 32)  # sparse 4 GiB: read whole, it would fill the memory
    with pytest.raises(SgfError, match="larger than 1 MiB"):
        load_sgf_file(big)


def test_recursion_in_the_parser_becomes_an_sgf_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # sgfmill parses without recursion; should a parser recurse, the error stays clear
    def recurse(data: bytes) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(sgf.Sgf_game, "from_bytes", staticmethod(recurse))
    with pytest.raises(SgfError, match="nesting too deep"):
        load_sgf(b"(;SZ[9])")


def test_unexpected_parser_failures_become_sgf_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: bytes) -> None:
        raise MemoryError

    monkeypatch.setattr(sgf.Sgf_game, "from_bytes", staticmethod(broken))
    with pytest.raises(SgfError, match="malformed SGF: MemoryError"):
        load_sgf(b"(;SZ[9])")
