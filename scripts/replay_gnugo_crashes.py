#!/usr/bin/env python3
"""Replay each game GNU Go lost by crashing in a fresh GNU Go, to show the crash is its own.

``zerogo match`` counts an engine that exits mid-game as a forfeit (``"kind": "crash"``)
and keeps that game's SGF.  For every such forfeit of GNU Go in a match journal, this
script starts GNU Go as the match started it, loads the kept SGF (``loadsgf``: the
position just before the command it died on) and sends the same ``genmove``; it records
GNU Go's exit status (139 or -11: a segmentation fault) beside the game.  Nothing of
zerogo runs in the replay.

examples:
  scripts/replay_gnugo_crashes.py benchmarks/reliability/19x19 \\
      --out benchmarks/reliability/19x19/gnugo-crashes.json
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

GNUGO = "/usr/games/gnugo --mode gtp --level 1 --chinese-rules"


def crashes(journal: Path) -> list[dict]:
    """The journal's games that GNU Go forfeited by exiting mid-game."""
    out = []
    for line in journal.read_text().splitlines():
        game = json.loads(line)
        forfeit = game.get("forfeit") or {}
        if forfeit.get("kind") == "crash" and "gnugo" in forfeit.get("detail", ""):
            out.append(game)
    return out


def replay(sgf: Path, command: str, gnugo: str, timeout: float) -> dict:
    """Load ``sgf`` in a fresh GNU Go, send ``command``; return its exit status and reply."""
    script = f"loadsgf {sgf}\n{command}\nquit\n"
    try:
        done = subprocess.run(shlex.split(gnugo), input=script, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"exit_status": None, "timed_out": True}
    replies = [r for r in done.stdout.split("\n\n") if r.strip()]
    return {"exit_status": done.returncode, "replies": replies[:2],
            "crashed": done.returncode != 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("examples:")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("match_dir", type=Path, help="a match's --sgf-dir with its games.jsonl")
    parser.add_argument("--gnugo", default=GNUGO, help=f"GNU Go command (default: {GNUGO})")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per replay")
    parser.add_argument("--out", type=Path, default=None, help="write the record here (JSON)")
    args = parser.parse_args(argv)
    journal = args.match_dir / "games.jsonl"
    if not journal.exists():
        parser.error(f"{journal}: no match journal there")
    rows = []
    for game in crashes(journal):
        command = game["forfeit"]["detail"].rsplit("during", 1)[-1].strip(" '")
        sgf = args.match_dir / f"game_{game['game']:04d}.sgf"
        row = {"game": game["game"], "command": command, "sgf": str(sgf)}
        row.update(replay(sgf, command, args.gnugo, args.timeout) if sgf.exists()
                   else {"missing_sgf": True})
        rows.append(row)
        print(f"game {row['game']}: {command}: exit status {row.get('exit_status')}")
    record = {
        "command": " ".join([Path(sys.argv[0]).as_posix(), *map(shlex.quote, sys.argv[1:])]),
        "gnugo": args.gnugo,
        "games": rows,
        "replayed": len(rows),
        "crashed_again": sum(bool(r.get("crashed")) for r in rows),
    }
    print(f"{record['crashed_again']} of {record['replayed']} crashes reproduced")
    if args.out:
        args.out.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
