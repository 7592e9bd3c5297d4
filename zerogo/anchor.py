"""``zerogo anchor``: the Elo of promoted networks against GNU Go level 10 (= 0).

Gating only chains Elo from network to network; this command anchors the chain to a
fixed opponent.  Each chosen network of a run directory plays ``zerogo match``
games against ``gnugo --level 10 --chinese-rules`` (colours alternating, fixed
visits); the result goes to ``RUN_DIR/anchors.jsonl`` and ``elo.png`` is redrawn with
the anchored points.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HELP = "anchor promoted networks' Elo against GNU Go level 10"
DESCRIPTION = """Play promoted networks of a run against GNU Go 3.8 level 10 (Elo 0).

  zerogo anchor --run-dir runs/9x9-main --latest -n 40 --visits 200
  zerogo anchor --run-dir runs/9x9-main --networks gen-0003 gen-0007 -n 20
  zerogo anchor --run-dir campaign/9x9/kata --ladder     # the yardstick (zerogo ladder)
  zerogo anchor --weights zerogo/networks/b6c64-9x9.pt --ladder

With --ladder the networks are placed on the fixed ladder of reference players
(zerogo/ladder.json) instead: adaptive rungs, maximum-likelihood Elo with a 95%
interval, about ten CPU-minutes for +-100; a run's record goes to RUN_DIR/ladder.jsonl
with the run's CPU-hours at the network's promotion.
"""

GNUGO = "/usr/games/gnugo --mode gtp --level 10 --chinese-rules"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from zerogo.ladder import add_place_arguments

    parser.add_argument("--run-dir", default=None, help="a run directory of zerogo train")
    parser.add_argument("--weights", default=None, help="a network file (with --ladder)")
    parser.add_argument("--ladder", action="store_true",
                        help="place on the calibrated ladder instead of playing GNU Go")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--latest", action="store_true", help="the current best network (default)")
    which.add_argument("--all", action="store_true", help="every promoted network not yet anchored")
    which.add_argument(
        "--networks", nargs="+", default=None, help="networks by name (gen-0003 ...)"
    )
    parser.add_argument("-n", "--games", type=int, default=20, help="games per network (20)")
    add_place_arguments(parser)  # --visits and the ladder's settings
    parser.add_argument("--opponent", default=GNUGO, help=f"GTP command of the anchor ({GNUGO})")
    parser.add_argument("--json", action="store_true", help="print one JSON line per network")


def run(args: argparse.Namespace) -> int:
    from zerogo.match import Match, MatchConfig, summarize
    from zerogo.pipeline import Pipeline, _append_line, read_jsonl

    if args.ladder:
        return _ladder(args)
    if args.run_dir is None:
        print("zerogo anchor: give --run-dir (GNU Go anchoring) or --ladder")
        return 2
    run_dir = Path(args.run_dir)
    if not (run_dir / "state.json").exists():
        print(f"zerogo anchor: {run_dir} is not a run directory of zerogo train")
        return 2
    pipeline = Pipeline(run_dir, log=lambda _: None)
    state = pipeline.state
    assert state is not None
    anchored = {a["network"] for a in read_jsonl(run_dir / "anchors.jsonl")}
    trained = {name: games for games, _, name in pipeline.elo_curve()}
    if args.networks:
        names = list(args.networks)
    elif args.all:
        names = [name for name in trained if name not in anchored]
    else:
        names = [state.best]
    for name in names:
        path = pipeline.network_path(name)
        if not path.exists():
            print(f"zerogo anchor: no network {name} in {run_dir}")
            return 2
        engine = (
            f"{sys.executable} -m zerogo gtp --player net --weights {path} "
            f"--visits {args.visits} --threads 2"
        )
        config = MatchConfig(
            engine1=engine,
            engine2=args.opponent,
            games=args.games,
            size=pipeline.config.size,
            komi=pipeline.config.komi,
            sgf_dir=str(run_dir / "anchors" / name),
        )
        with Match(config) as match:
            match.run()
            summary = summarize(match)
        record = {
            "network": name,
            "games_trained": trained.get(name, 0),
            "games": summary["games"],
            "wins": summary["engine1"]["wins"],
            "win_rate": summary["engine1_win_rate"],
            "elo": summary["elo"],
            "elo_interval": summary["elo_interval"],
            "visits": args.visits,
            "opponent": args.opponent,
            "time": time.time(),
        }
        _append_line(run_dir / "anchors.jsonl", record)
        print(
            json.dumps(record)
            if args.json
            else f"{name}: {record['wins']}/{record['games']} against GNU Go -> Elo {record['elo']}"
        )
    pipeline.plot_elo()
    return 0


def _ladder(args: argparse.Namespace) -> int:
    from zerogo.ladder import LADDER_FILE, network_command, place_from_args
    from zerogo.pipeline import Pipeline, _append_line, read_jsonl

    if not Path(args.ladder_file).exists():
        print(f"zerogo anchor: no calibrated ladder at {args.ladder_file} "
              "(zerogo ladder calibrate)")
        return 2

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    jobs: list[tuple[str, Path, dict]] = []
    if args.weights:
        jobs.append((Path(args.weights).stem, Path(args.weights), {}))
    if args.run_dir:
        run_dir = Path(args.run_dir)
        pipeline = Pipeline(run_dir, log=lambda _: None)
        state = pipeline.state
        if state is None:
            print(f"zerogo anchor: {run_dir} is not a run directory of zerogo train")
            return 2
        names = list(args.networks) if args.networks else [state.best]
        history = {r.get("network"): r for r in read_jsonl(run_dir / "history.jsonl")}
        for name in names:
            promoted = history.get(name, {})
            jobs.append((name, pipeline.network_path(name), {
                "games_trained": promoted.get("games_trained", 0),
                "run_cpu_hours": round(promoted.get("cpu_seconds", 0.0) / 3600, 3),
            }))
    if not jobs:
        print("zerogo anchor: --ladder needs --weights FILE or --run-dir DIR")
        return 2
    for name, path, extra in jobs:
        if not path.exists():
            print(f"zerogo anchor: no network file {path}")
            return 2
        placement = place_from_args(args, name, network_command(path, args.visits), log)
        placement.visits = args.visits
        placement.extra = {"network": name, "ladder": str(args.ladder_file)
                           if args.ladder_file != str(LADDER_FILE) else "zerogo/ladder.json",
                           "time": time.time(), **extra}
        record = placement.to_json()
        if args.run_dir and extra:
            _append_line(Path(args.run_dir) / "ladder.jsonl", record)
        print(json.dumps(record) if args.json else
              f"{name}: Elo {record['elo']} [{record['low']}, {record['high']}] on the ladder "
              f"({record['games']} games, {record['cpu_seconds']:.0f} CPU-s)")
    return 0
