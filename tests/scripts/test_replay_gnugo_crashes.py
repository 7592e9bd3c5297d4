"""scripts/replay_gnugo_crashes.py: a crash forfeit replayed in a fresh engine."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import replay_gnugo_crashes as replay  # noqa: E402

# a stand-in engine: answers loadsgf, then dies of SIGSEGV on genmove (as GNU Go 3.8 does)
CRASHER = (
    "import os, signal, sys\n"
    "for line in sys.stdin:\n"
    "    if line.startswith('genmove'):\n"
    "        sys.stdout.flush(); os.kill(os.getpid(), signal.SIGSEGV)\n"
    "    print('= \\n', flush=True)\n"
)
SOUND = "import sys\nfor line in sys.stdin:\n    print('= \\n', flush=True)\n"


def match_dir(tmp_path: Path) -> Path:
    games = [
        {"game": 3, "forfeit": {"engine": "engine2", "kind": "crash",
                                "detail": "engine /usr/games/gnugo exited during 'genmove b'"}},
        {"game": 4, "forfeit": None},
        {"game": 5, "forfeit": {"engine": "engine1", "kind": "timeout", "detail": "x"}},
    ]
    (tmp_path / "games.jsonl").write_text("\n".join(json.dumps(g) for g in games) + "\n")
    (tmp_path / "game_0003.sgf").write_text("(;GM[1]SZ[9];B[ee])")
    return tmp_path


def test_only_gnugo_crashes_are_replayed_and_a_crash_again_is_told(tmp_path, capsys) -> None:
    where = match_dir(tmp_path)
    assert [g["game"] for g in replay.crashes(where / "games.jsonl")] == [3]
    out = tmp_path / "record.json"
    engine = f"{shlex.quote(sys.executable)} -c {shlex.quote(CRASHER)}"
    assert replay.main([str(where), "--gnugo", engine, "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["replayed"] == 1 and record["crashed_again"] == 1
    row = record["games"][0]
    assert row["command"] == "genmove b" and row["exit_status"] == -11
    assert "1 of 1 crashes reproduced" in capsys.readouterr().out


def test_an_engine_that_survives_the_replay_is_not_counted(tmp_path) -> None:
    where = match_dir(tmp_path)
    out = tmp_path / "record.json"
    engine = f"{shlex.quote(sys.executable)} -c {shlex.quote(SOUND)}"
    replay.main([str(where), "--gnugo", engine, "--out", str(out)])
    record = json.loads(out.read_text())
    assert record["crashed_again"] == 0 and record["games"][0]["exit_status"] == 0
