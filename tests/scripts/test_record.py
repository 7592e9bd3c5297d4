"""scripts/record.py: a benchmark's printed JSON is kept with the machine and commit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.scripts import load_script


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_the_report_is_kept_with_machine_commit_and_exit_status(tmp_path: Path) -> None:
    record = load_script("record")
    code = 'import json; print("progress"); print(json.dumps({"wins": 3}))'
    assert record.main(["bench", "--out-dir", str(tmp_path), "--", *_python(code)]) == 0
    kept = json.loads((tmp_path / "bench.json").read_text())
    assert kept["results"] == [{"wins": 3}] and kept["returncode"] == 0
    assert kept["machine"]["logical_cores"] >= 1 and len(kept["load_average_after"]) == 3
    assert kept["commit"] and kept["date"].endswith("UTC")


def test_a_stopped_run_that_printed_its_report_is_kept_with_its_status(tmp_path: Path) -> None:
    # a resumable match stopped by Ctrl-C prints its report ("interrupted": true), exits 130
    record = load_script("record")
    code = 'import json, sys; print(json.dumps({"interrupted": True})); sys.exit(130)'
    assert record.main(["match", "--out-dir", str(tmp_path), "--", *_python(code)]) == 130
    kept = json.loads((tmp_path / "match.json").read_text())
    assert kept["results"] == [{"interrupted": True}] and kept["returncode"] == 130


def test_nothing_is_written_without_a_report(tmp_path: Path) -> None:
    record = load_script("record")
    assert record.main(["none", "--out-dir", str(tmp_path), "--", *_python("exit(4)")]) == 4
    assert not (tmp_path / "none.json").exists()
