#!/usr/bin/env python3
"""The refereed reliability run (issue 10): zerogo against GNU Go level 1, every move refereed.

The plan: 700 games on 9x9, 200 on 13x13 and 100 on 19x19 against
``gnugo --level 1``, zerogo at a small budget (pure MCTS, 200 playouts when no clock
is set, one search thread), mixed time controls (absolute, Japanese byo-yomi,
Canadian, none: short clocks, scaled to the board) and handicaps 0 to 4, cycled so
that every combination is played from both sides.  A separate GNU Go follows every
game as referee: a move it refuses is an illegal move.  The bar: 0 illegal moves,
0 time losses, 0 crashes and 0 GTP errors by zerogo.

Each board size is one ``zerogo match`` (its command line is printed and recorded),
run with ``--resume``: stop the run at any moment (Ctrl-C, SIGTERM, a kill, the end of a
session) and run the same command again to continue where it stopped.

Written under --out (default benchmarks/reliability/; --smoke: .../smoke/):

  NxN/games.jsonl       the match journal, one line per finished game (resume reads it)
  NxN/summary.json      the match report (wins, forfeits, counts of each failure kind)
  NxN/game_NNNN.sgf     every --sgf-every-th game and every game with a failure
  NxN/match.log         the match's stderr
  reliability.json      the commands, the totals over the sizes, and one entry per
                        session (machine, load average, commit, date, wall seconds
                        per game)

examples:
  scripts/reliability_run.py --smoke        # 8 games on 9x9: does it all work, how long
  scripts/reliability_run.py                # the 1,000 games (resumable)
  scripts/reliability_run.py --dry-run      # print the match commands only

Measured on the 2-core development machine under a load average of 4 to 6: 15-19 s of
wall time per 9x9 game (8-game smoke runs), about 85 s per 13x13 and 170 s per
19x19 game with the absolute clock (two games each): about 3 + 4 + 5 hours for the
plan.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zerogo.match import stop_on_signals, write_json_atomic  # noqa: E402

GNUGO = "/usr/games/gnugo"
PLAN = "9:700,13:200,19:100"
SMOKE_PLAN = "9:8"
ZEROGO = ("zerogo gtp --player mcts --playouts 200 --threads 1 "
          "--handicap-compensation chinese")
# short clocks, scaled to the board: main time, then 1 s periods or 10 stones in 5 s
TIME_CONTROLS = {
    9: "absolute:20,byoyomi:5+1x3,canadian:5+5/10,none",
    13: "absolute:40,byoyomi:10+1x3,canadian:10+5/10,none",
    19: "absolute:90,byoyomi:20+1x3,canadian:20+5/10,none",
}
HANDICAPS = "0,1,2,3,4"
FAILURE_KINDS = ("illegal_move", "time_loss", "crash", "gtp_error")


def parse_plan(text: str) -> list[tuple[int, int]]:
    """Return ``[(size, games), ...]`` from ``"9:700,13:200"``.

    Raises:
        argparse.ArgumentTypeError: for anything else, or a size without time controls.
    """
    plan = []
    for part in text.split(","):
        try:
            size_text, games_text = part.split(":")
            size, games = int(size_text), int(games_text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not SIZE:GAMES: {part!r}") from None
        if size not in TIME_CONTROLS or games < 1:
            raise argparse.ArgumentTypeError(
                f"{part!r}: sizes are {sorted(TIME_CONTROLS)}, games at least 1")
        plan.append((size, games))
    return plan


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of this script."""
    parser = argparse.ArgumentParser(
        prog="scripts/reliability_run.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--plan", type=parse_plan, default=None, metavar="SIZE:GAMES,...",
        help=f"board sizes and games (default {PLAN}; --smoke: {SMOKE_PLAN})",
    )
    parser.add_argument(
        "--smoke", action="store_true",
        help=f"a quick check: plan {SMOKE_PLAN}, written under OUT/smoke/",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "reliability",
        help="output folder (default benchmarks/reliability/)",
    )
    parser.add_argument("--zerogo", default=ZEROGO, metavar="CMD",
                        help=f"zerogo's engine command (default: {ZEROGO})")
    parser.add_argument("--gnugo-level", type=int, default=1, metavar="L",
                        help="GNU Go's level (default 1)")
    parser.add_argument(
        "--referee", default=f"{GNUGO} --mode gtp --chinese-rules", metavar="CMD",
        help="the referee's command (default: GNU Go at its default level 10)",
    )
    parser.add_argument(
        "--handicaps", default=HANDICAPS, metavar="LIST",
        help=f"handicaps, cycled (default {HANDICAPS})",
    )
    parser.add_argument(
        "--time-controls", default=None, metavar="LIST",
        help="one list of time controls for every size (default: per size, "
             + "; ".join(f"{size}x{size}: {tc}" for size, tc in TIME_CONTROLS.items()) + ")",
    )
    parser.add_argument("--komi", type=float, default=7.5, help="komi of even games (7.5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the matches (default 0)")
    parser.add_argument(
        "--sgf-every", type=int, default=None, metavar="K",
        help="keep the SGF of every K-th game, and of every game with a failure "
             "(default 20; --smoke: 1)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the match commands and exit",
    )
    return parser


def shown(path: Path) -> str:
    """Return ``path`` relative to the repository when it lies inside (records travel)."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def match_argv(args: argparse.Namespace, size: int, games: int, folder: Path) -> list[str]:
    """Return the ``zerogo match`` command line of one board size (run from the repository)."""
    gnugo = f"{GNUGO} --mode gtp --level {args.gnugo_level} --chinese-rules"
    sgf_every = args.sgf_every or (1 if args.smoke else 20)
    return [
        sys.executable, "-m", "zerogo", "match",
        "--engine1", args.zerogo,
        "--engine2", gnugo,
        "--referee", args.referee,
        "-n", str(games),
        "--size", str(size),
        "--komi", f"{args.komi:g}",
        "--time-controls", args.time_controls or TIME_CONTROLS[size],
        "--handicaps", args.handicaps,
        "--mix", "cycle",
        "--handicap-compensation", "chinese",
        "--seed", str(args.seed),
        "--sgf-dir", shown(folder),
        "--sgf-every", str(sgf_every),
        "--summary", shown(folder / "summary.json"),
        "--resume",
        "--json",
    ]


def journal_games(folder: Path) -> int:
    """Return the finished games in a size's journal (0 when there is none)."""
    path = folder / "games.jsonl"
    if not path.exists():
        return 0
    return max(0, path.read_bytes().count(b"\n") - 1)


def machine() -> dict[str, Any]:
    """Return what the figures depend on: CPU model, cores, load average, commit, date."""
    model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain"], cwd=ROOT,
                                    capture_output=True, text=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = None, None
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "commit": commit,
        "uncommitted_changes": dirty,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(),
    }


def brief(summary: dict[str, Any]) -> dict[str, Any]:
    """Return a match report without its per-game results (they are in summary.json)."""
    return {key: value for key, value in summary.items() if key != "results"}


def totals(record: dict[str, Any]) -> dict[str, Any]:
    """Return the failure counts over every size's summary (zerogo is engine1)."""
    games = 0
    by_engine = {label: {kind: 0 for kind in FAILURE_KINDS} for label in ("zerogo", "gnugo")}
    referee = {"errors": 0, "illegal": 0, "disagreements": 0}
    wins = {"zerogo": 0, "gnugo": 0, "draws": 0}
    for entry in record["sizes"].values():
        summary = entry.get("summary")
        if summary is None:
            continue
        games += summary["games"]
        for label, key in (("zerogo", "engine1"), ("gnugo", "engine2")):
            for kind in FAILURE_KINDS:
                by_engine[label][kind] += summary[key]["failures"][kind]
            wins[label] += summary[key]["wins"]
        wins["draws"] += summary["draws"]
        for key in referee:
            referee[key] += (summary["referee"] or {}).get(key, 0)
    return {"games": games, "failures": by_engine, "referee": referee, "results": wins,
            "bar_met": games > 0 and not any(by_engine["zerogo"].values())}


def stop_match(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Wait for an interrupted match; pass it the interrupt if it did not get its own
    (a signal sent to this process only, not to its group)."""
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
        process.wait()


def main(argv: list[str] | None = None) -> int:
    """Run (or continue) the plan; return 0 when every size is complete."""
    args = build_parser().parse_args(argv)
    plan = args.plan or parse_plan(SMOKE_PLAN if args.smoke else PLAN)
    out = args.out / "smoke" if args.smoke else args.out
    commands = {size: match_argv(args, size, games, out / f"{size}x{size}")
                for size, games in plan}
    if args.dry_run:
        for argv_ in commands.values():
            print(shlex.join(argv_))
        return 0

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    stop_on_signals()  # before the match starts, so that it inherits SIGINT's default
    out.mkdir(parents=True, exist_ok=True)
    record_path = out / "reliability.json"
    record: dict[str, Any] = (json.loads(record_path.read_text()) if record_path.exists()
                              else {"plan": {}, "sizes": {}, "sessions": []})
    record["plan"] = {f"{size}x{size}": games for size, games in plan}
    console = Console(stderr=True)
    status = 0
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), console=console,
    )
    with progress:
        total = progress.add_task("all sizes", total=sum(g for _, g in plan),
                                  completed=sum(journal_games(out / f"{s}x{s}") for s, _ in plan))
        for size, games in plan:
            folder = out / f"{size}x{size}"
            name = f"{size}x{size}"
            folder.mkdir(parents=True, exist_ok=True)
            before = journal_games(folder)
            task = progress.add_task(name, total=games, completed=before)
            entry = record["sizes"].setdefault(name, {})
            entry["command"] = shlex.join(["zerogo", *commands[size][3:]])
            if before >= games and (folder / "summary.json").exists():
                entry["summary"] = brief(json.loads((folder / "summary.json").read_text()))
                continue
            session = {"size": name, "games_before": before, **machine()}
            start = time.monotonic()
            with open(folder / "match.log", "ab") as log:
                process = subprocess.Popen(commands[size], cwd=ROOT, stdout=subprocess.DEVNULL,
                                           stderr=log)
                try:
                    while process.poll() is None:
                        time.sleep(1.0)
                        done = journal_games(folder)
                        progress.update(task, completed=done)
                        progress.update(total, completed=sum(
                            journal_games(out / f"{s}x{s}") for s, _ in plan))
                except KeyboardInterrupt:
                    # the match had the Ctrl-C too (its engines did not: they run in
                    # sessions of their own); it drops the game in progress, writes its
                    # report and exits (status 130), and this loop stops below
                    stop_match(process)
            after = journal_games(folder)
            wall = time.monotonic() - start
            session.update({
                "games_after": after,
                "wall_seconds": round(wall, 1),
                "wall_seconds_per_game": round(wall / (after - before), 1) if after > before
                else None,
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "exit_status": process.returncode,
            })
            record["sessions"].append(session)
            if (folder / "summary.json").exists():
                entry["summary"] = brief(json.loads((folder / "summary.json").read_text()))
            record["totals"] = totals(record)
            write_json_atomic(record_path, record)
            progress.update(task, completed=after)
            if process.returncode != 0:
                console.print(f"{name}: zerogo match stopped with status {process.returncode} "
                              f"after {after} of {games} games (see {folder / 'match.log'}); "
                              "run the same command again to continue")
                status = process.returncode or 1
                break
    record["totals"] = totals(record)
    write_json_atomic(record_path, record)
    print(json.dumps(record["totals"], indent=1))
    return status


if __name__ == "__main__":
    sys.exit(main())
