"""The ``zerogo`` commands given hostile files: status 2, one clear line, nothing run.

Each command is run as users run it (the ``zerogo`` script, a real process) on files
from the hostile tables of ``tests/nn/test_checkpoint_hostile.py`` (checkpoints:
``gtp --weights``, ``play --terminal --weights``) and ``tests/engine/test_sgf_hostile.py``
(SGF: ``score``, and GTP's ``loadsgf``).  Every run must exit with status 2, print
exactly one line that names the problem and no traceback, and no pickled payload may
have run (it would have created a marker file).  The commands run two at a time, in
a module fixture: most of their time goes to importing torch.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engine.test_sgf_hostile import HOSTILE_SGF
from tests.nn.test_checkpoint_hostile import hostile_checkpoints

_SCRIPT = Path(sys.executable).with_name("zerogo")
ZEROGO = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "zerogo"]
TIMEOUT = 300


@dataclass(frozen=True)
class Run:
    """One command line: its arguments (``{file}`` replaced), input, what it must say."""

    name: str
    args: tuple[str, ...]
    file: str  # a case of the hostile tables, or a path
    message: str  # regular expression the one line must match
    stdin: bytes = b""


GTP_NET = ("gtp", "--player", "net", "--playouts", "5", "--weights", "{file}")
# a few of each table per command: the tables themselves are run in-process by the
# tests beside them; here what counts is that each command turns the error into a line
RUNS = [
    # checkpoints given to the GTP engine (loaded before the first command)
    *(Run(f"gtp-net-{case}", GTP_NET, case, message, b"name\nquit\n") for case, message in [
        ("code-torch", "zerogo gtp: cannot load the player: .* GLOBAL posix.system"),
        ("wrong-shape", r"zerogo gtp: cannot load the player: .*do not fit .*stem\.conv\.weight"),
        ("huge-blocks", "zerogo gtp: cannot load the player: .*1000000000 blocks"),
    ]),
    Run("gtp-pg-code-exec", ("gtp", "--player", "pg", "--weights", "{file}"), "code-exec",
        "zerogo gtp: .*GLOBAL exec", b"quit\n"),
    # the terminal game loads its network at the engine's first move
    Run("play-truncated", ("play", "--terminal", "--player", "net", "--playouts", "5",
                           "--weights", "{file}"), "truncated",
        "zerogo play: .*truncated or corrupt", b"e5\nquit\n"),
    # game records to score
    *(Run(f"score-{case}", ("score", "{file}"), case, f"zerogo score: .*{message}")
      for case, message in [
          ("size-1000", "unsupported board size"),
          ("ten-megabytes", "larger than 1 MiB"),
      ]),
    Run("score-dev-zero", ("score", "{file}"), "/dev/zero",
        "zerogo score: .*cannot read '/dev/zero': not a regular file"),
]


@dataclass(frozen=True)
class Files:
    folder: Path
    marker: Path
    paths: dict[str, Path]  # case name -> file


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    folder = tmp_path_factory.mktemp("cli-hostile")
    marker = folder / "MARKER"
    (folder / "checkpoints").mkdir()
    (folder / "sgf").mkdir()
    paths = {name: path for name, path, _ in hostile_checkpoints(folder / "checkpoints", marker)}
    for name, data, _ in HOSTILE_SGF:
        paths[name] = folder / "sgf" / f"{name}.sgf"
        paths[name].write_bytes(data)
    paths["sgf-directory"] = folder / "sgf"
    return Files(folder, marker, paths)


@pytest.fixture(scope="module")
def results(files: Files) -> dict[str, subprocess.CompletedProcess[bytes]]:
    """Run every command of ``RUNS``, two at a time; return them by name."""

    def run(spec: Run) -> subprocess.CompletedProcess[bytes]:
        path = str(files.paths.get(spec.file, spec.file))
        args = [arg.replace("{file}", path) for arg in spec.args]
        return subprocess.run([*ZEROGO, *args], input=spec.stdin, capture_output=True,
                              timeout=TIMEOUT, cwd=files.folder)

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(run, RUNS))
    return {spec.name: result for spec, result in zip(RUNS, done, strict=True)}


def _error_line(result: subprocess.CompletedProcess[bytes], command: str) -> str:
    """Return the one line of ``result`` that starts with ``zerogo COMMAND:``."""
    text = (result.stdout + result.stderr).decode(errors="replace")
    lines = [line for line in text.splitlines() if f"zerogo {command}:" in line]
    assert len(lines) == 1, text[-3000:]
    return lines[0][lines[0].index(f"zerogo {command}:"):]


@pytest.mark.parametrize("spec", RUNS, ids=[spec.name for spec in RUNS])
def test_hostile_file_gives_one_line_and_status_2(
    spec: Run, files: Files, results: dict[str, subprocess.CompletedProcess[bytes]]
) -> None:
    result = results[spec.name]
    stderr = result.stderr.decode(errors="replace")
    assert "Traceback" not in stderr, stderr[-3000:]
    assert result.returncode == 2, (result.stdout[-2000:], stderr[-2000:])
    assert re.search(spec.message, _error_line(result, spec.args[0]))
    assert not files.marker.exists(), "a pickled payload ran"
    if spec.args[0] == "gtp":
        assert result.stdout == b""  # nothing but answers on stdout: here, none


def test_loadsgf_refuses_each_hostile_file_with_one_line(files: Files) -> None:
    script = b"".join(b"loadsgf " + str(files.paths[name]).encode() + b"\nshowboard\n"
                      for name, _, _ in HOSTILE_SGF if name != "deep-variations")
    script += b"loadsgf /dev/zero\nloadsgf " + str(files.paths["sgf-directory"]).encode() + b"\n"
    result = subprocess.run([*ZEROGO, "gtp", "--player", "random"], input=script + b"quit\n",
                            capture_output=True, timeout=TIMEOUT)
    assert result.returncode == 0 and b"Traceback" not in result.stderr
    answers = result.stdout.decode(errors="replace").split("\n\n")[:-1]
    loads, boards = answers[0:-3:2], set(answers[1:-3:2])
    messages = [message for name, _, message in HOSTILE_SGF if name != "deep-variations"]
    assert len(loads) == len(messages)
    for answer, message in zip(loads, messages, strict=True):
        assert answer.startswith("? cannot load file: ") and "\n" not in answer
        assert re.search(message, answer), (answer, message)
    assert len(boards) == 1  # every refusal left the empty board alone
    assert answers[-3] == "? cannot load file: cannot read '/dev/zero': not a regular file"
    assert answers[-2].endswith("': it is a directory")


def test_only_refused_files_end_a_command_quietly() -> None:
    from engine.sgf import SgfError
    from nn.checkpoint import CheckpointError
    from zerogo.cli import _is_refused_file

    assert _is_refused_file(SgfError("bad SGF")) and _is_refused_file(CheckpointError("bad"))
    assert not _is_refused_file(ValueError("a bug keeps its traceback"))
