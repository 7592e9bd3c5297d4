"""Run the tests that involve time while busy loops saturate every core; record it.

The tests keep behaviour checks that depend on the clock (a stream stops on the
next command, no move is lost on time, the window keeps drawing while the engine
searches) with margins meant to hold on a starved machine.  This script checks that
once: it starts one ``python -c "while True: pass"`` per core (``--loops``), lets the
load settle, runs the tests serially, stops the loops, then (loops still running)
measures the window's frames/s with ``scripts/bench_gui.py``.  It writes one JSON
record with the machine (CPU model, cores, load averages), the commit, the date,
the commands and the outcome.

    .venv/bin/python scripts/timing_tests_saturated.py [--loops 2] [--json PATH]

(the record goes to ``benchmarks/timing_tests_saturated.json`` by default).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bench_gui import frames_per_second, machine

ROOT = Path(__file__).resolve().parents[1]
TESTS = [
    "tests/gui",
    "tests/zerogo/test_gtp_analysis.py",
    "tests/zerogo/test_match.py",
    "tests/zerogo/test_gtp_time.py",
]
BUSY_LOOP = "while True: pass"


def main(argv: list[str] | None = None) -> int:
    """Run the check; print the record and write it to ``--json``; return pytest's code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loops", type=int, default=os.cpu_count() or 2,
                        help="busy-loop processes (default: one per core)")
    parser.add_argument("--settle", type=float, default=20.0,
                        help="seconds the loops run before the tests start")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks"
                        / "timing_tests_saturated.json", help="where to write the record")
    args = parser.parse_args(argv)
    pytest = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", *TESTS]
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(args.loops)]
    try:
        time.sleep(args.settle)
        load_before = [round(x, 2) for x in os.getloadavg()]
        start = time.monotonic()
        done = subprocess.run(pytest, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - start
        load_after = [round(x, 2) for x in os.getloadavg()]
        gui = [frames_per_second(fps, 3.0, 1) for fps in (60, 0)]
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|error|errors)", summary)}
    record = {
        "check": "tests with clock-dependent behaviour, every core saturated by busy loops",
        "command": "scripts/timing_tests_saturated.py",
        **machine(),
        "busy_loops": {"count": args.loops, "command": f'python -c "{BUSY_LOOP}"'},
        "load_average_when_tests_started": load_before,
        "load_average_when_tests_ended": load_after,
        "pytest": "SDL_VIDEODRIVER=dummy python -m pytest -p no:xdist -q " + " ".join(TESTS),
        "pytest_exit_code": done.returncode,
        "pytest_summary": summary,
        "passed": counts.get("passed", 0),
        "failed": counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0),
        "seconds": round(seconds, 1),
        "gui_frames_per_s_while_saturated": gui,
    }
    if done.returncode != 0:
        record["pytest_tail"] = done.stdout[-4000:]
    text = json.dumps(record, indent=2)
    print(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(text + "\n")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
