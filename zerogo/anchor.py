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
"""

GNUGO = "/usr/games/gnugo --mode gtp --level 10 --chinese-rules"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", required=True, help="a run directory of zerogo train")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--latest", action="store_true", help="the current best network (default)")
    which.add_argument("--all", action="store_true", help="every promoted network not yet anchored")
    which.add_argument(
        "--networks", nargs="+", default=None, help="networks by name (gen-0003 ...)"
    )
    parser.add_argument("-n", "--games", type=int, default=20, help="games per network (20)")
    parser.add_argument("--visits", type=int, default=200, help="visits per move (200)")
    parser.add_argument("--opponent", default=GNUGO, help=f"GTP command of the anchor ({GNUGO})")
    parser.add_argument("--json", action="store_true", help="print one JSON line per network")


def run(args: argparse.Namespace) -> int:
    from zerogo.match import Match, MatchConfig, summarize
    from zerogo.pipeline import Pipeline, _append_line, read_jsonl

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
