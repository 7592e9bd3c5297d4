"""Frames per second of the window (``gui.app.App``) while the engine searches.

The number that ``tests/gui/test_app.py`` used to assert (at least 30 frames/s) is
measured here instead: tests check that frames keep coming during a search, this
script how many.  The window runs headless (``SDL_VIDEODRIVER=dummy``); a pure-MCTS
engine plays black with a long budget, the candidate-move and ownership overlays on,
and the loop is stepped for ``--seconds`` while it searches, once at the window's
default cap of 60 frames/s and once uncapped.  Prints one JSON object with the
machine (CPU model, cores, load average), the commit and the date.

    .venv/bin/python scripts/bench_gui.py [--seconds 5] [--threads 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.board import WHITE  # noqa: E402
from engine.mcts import MCTSConfig, MCTSPlayer  # noqa: E402
from engine.player import Budget  # noqa: E402
from gui.app import App  # noqa: E402
from gui.settings import Settings  # noqa: E402


def machine() -> dict[str, object]:
    """Return the CPU model, core count, load averages, commit and date of this run."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu_model": model,
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "commit": git("rev-parse", "HEAD"),
        "worktree_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def frames_per_second(fps: int, seconds: float, threads: int) -> dict[str, object]:
    """Step a window for ``seconds`` while its engine searches; return what it drew.

    Args:
        fps: the window's frame cap (0: none).
        seconds: how long to measure.
        threads: search threads of the engine.
    """
    player = MCTSPlayer(MCTSConfig(threads=threads, seed=5))
    settings = Settings.starting(9, 7.5, Budget(seconds=seconds + 30.0))
    app = App(player, settings, human=WHITE, fps=fps)
    try:
        app.overlays |= {"moves", "territory"}
        app.step()
        if not app.thinking:
            raise RuntimeError("the engine did not start searching")
        start, frames = time.monotonic(), app.frames
        while time.monotonic() - start < seconds:
            app.step()
        elapsed = time.monotonic() - start
        visits = app.snapshot.snapshot.visits if app.snapshot is not None else 0
        return {
            "fps_cap": fps,
            "seconds": round(elapsed, 3),
            "frames": app.frames - frames,
            "frames_per_s": round((app.frames - frames) / elapsed, 1),
            "engine_still_thinking": app.thinking,
            "root_visits_shown": visits,
        }
    finally:
        app.close()


def main(argv: list[str] | None = None) -> int:
    """Measure frames/s at the default cap and uncapped; print (and write) the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--threads", type=int, default=1, help="engine search threads")
    parser.add_argument("--json", type=Path, default=None, help="also write the record here")
    args = parser.parse_args(argv)
    record = {
        "benchmark": "gui frames/s while the engine searches (9x9, pure MCTS, overlays on)",
        "command": "scripts/bench_gui.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        **machine(),
        "engine_threads": args.threads,
        "runs": [frames_per_second(fps, args.seconds, args.threads) for fps in (60, 0)],
    }
    text = json.dumps(record, indent=2)
    print(text)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
