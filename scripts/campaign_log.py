"""The training campaign's status and its log: one line per working session.

  python scripts/campaign_log.py --run-dir campaign/9x9/kata --status
  python scripts/campaign_log.py --run-dir campaign/9x9/kata --note "what this session did"

The log (``campaign/9x9/log.jsonl``, beside the run directory) gets the run's totals
at the time of the call: self-play games, CPU-hours of the whole loop (self-play,
training and gating, children included), networks, the yardstick Elo if the run has
one (``ladder.jsonl``), the code commit and the machine's CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

from zerogo.pipeline import read_jsonl


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def totals(run_dir: Path) -> dict[str, Any]:
    state = json.loads((run_dir / "state.json").read_text())
    selfplay = read_jsonl(run_dir / "selfplay.jsonl")
    history = read_jsonl(run_dir / "history.jsonl")
    ladder = read_jsonl(run_dir / "ladder.jsonl")
    cpu = state.get("cpu_seconds", {})
    # a restarted run counts the games it inherited (scripts/campaign_restart.py)
    inherited = run_dir / "inherited.json"
    inherited_games = json.loads(inherited.read_text())["games"] if inherited.exists() else 0
    return {
        "phase": state["phase"],
        "best": state["best"],
        "selfplay_games": inherited_games + int(sum(r.get("games", 0) for r in selfplay)),
        "cpu_hours": round(sum(cpu.values()) / 3600, 3),
        "cpu_hours_by_phase": {k: round(v / 3600, 3) for k, v in cpu.items()},
        "gating_decisions": len(history),
        "promotions": state["promotions"],
        "resign_threshold": state.get("resign_threshold"),
        "yardstick_elo": ladder[-1].get("elo") if ladder else None,
        "yardstick_network": ladder[-1].get("network") if ladder else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", default="campaign/9x9/kata", type=Path)
    parser.add_argument("--status", action="store_true", help="print the totals, log nothing")
    parser.add_argument("--note", default="", help="what this session did to the campaign")
    args = parser.parse_args(argv)
    if not (args.run_dir / "state.json").exists():
        print(f"{args.run_dir}: no campaign state yet (scripts/campaign.sh start)")
        return 0 if args.status else 2
    record = totals(args.run_dir)
    if args.status:
        print(json.dumps(record, indent=2))
        return 0
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    record = {
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        **record,
        "note": args.note,
        "commit": commit,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
    }
    log = args.run_dir.parent / "log.jsonl"
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
