"""``zerogo score``: scores SGF files, exit status 2 with a clear message on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

GAMES = Path(__file__).parent.parent / "data" / "scoring_games"


def zerogo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zerogo", *args], capture_output=True, text=True, timeout=120
    )


def test_scores_a_finished_game() -> None:
    done = zerogo("score", str(GAMES / "game_042.sgf"), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["result"] == result["recorded_result"]
    assert set(result) >= {"score", "dead", "seki", "komi", "moves"}


def test_malformed_files_exit_2_naming_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sgf"
    bad.write_text("(;GM[1]SZ[9];B[zz])")
    done = zerogo("score", str(bad))
    assert done.returncode == 2
    assert "move number 1" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""  # errors go to stderr, so --json output stays parseable
    done = zerogo("score", str(tmp_path / "missing.sgf"))
    assert done.returncode == 2 and "missing.sgf" in done.stderr
    bad.write_bytes(b"\xff\xfe not sgf at all")
    done = zerogo("score", str(bad))
    assert done.returncode == 2 and "Traceback" not in done.stderr
