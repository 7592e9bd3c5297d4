"""The campaign's progress as a picture: yardstick Elo against self-play CPU-hours.

Reads a run's ``ladder.jsonl`` (one placement per network by ``zerogo anchor --ladder
--run-dir RUN``: Elo with its 95% interval, and the run's CPU-hours when that network
was promoted) and the campaign log (``campaign/9x9/log.jsonl``: CPU-hours per
session), and draws the Elo of each placed network with its interval against the
run's CPU-hours, with the ladder's reference players as horizontal lines and the
session boundaries as ticks along the bottom.

    .venv/bin/python scripts/plot_campaign.py --run-dir campaign/9x9/run \\
        --log campaign/9x9/log.jsonl --out docs/plots/campaign-9x9.png

CPU-hours are the summed user+sys CPU of the run's processes (``state.json``'s
``cpu_seconds``), not wall-clock time, so sessions on a busy machine count what they
really spent.  The seed network (the shipped gen-0007) sits at 0 CPU-hours: what made
it was spent before the campaign and is not counted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# ladder rungs drawn as reference lines (others would crowd the plot)
REFERENCE_RUNGS = ("mcts-30", "mcts-100", "mcts-300", "mcts-1000", "gnugo-10")


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", default="campaign/9x9/run", help="the run's folder")
    parser.add_argument("--log", default="campaign/9x9/log.jsonl", help="campaign log")
    parser.add_argument("--ladder", default="zerogo/ladder.json", help="calibrated ladder")
    parser.add_argument("--out", default="docs/plots/campaign-9x9.png", help="PNG to write")
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    placements = read_jsonl(Path(args.run_dir) / "ladder.jsonl")
    sessions = read_jsonl(Path(args.log))
    if not placements:
        print(
            f"plot_campaign: no placements in {args.run_dir}/ladder.jsonl "
            "(zerogo anchor --ladder --run-dir RUN)",
            file=sys.stderr,
        )
        return 2
    ladder = json.loads(Path(args.ladder).read_text())
    rungs = {r["name"]: r["elo"] for r in ladder["rungs"]}

    # the latest placement of each network, in order of run CPU-hours
    latest: dict[str, dict] = {}
    for record in placements:
        latest[record.get("network", record["player"])] = record
    points = sorted(latest.values(), key=lambda r: r.get("run_cpu_hours", 0.0))
    hours = [r.get("run_cpu_hours", 0.0) for r in points]
    elo = [r["elo"] for r in points]
    low = [r["elo"] - r["low"] for r in points]
    high = [r["high"] - r["elo"] for r in points]

    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=110)
    ax.errorbar(
        hours,
        elo,
        yerr=[low, high],
        fmt="o-",
        color="tab:blue",
        capsize=4,
        label="best network at 200 visits (95% interval)",
    )
    for record in points:
        name, x, y = (
            record.get("network", record["player"]),
            record.get("run_cpu_hours", 0.0),
            record["elo"],
        )
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, -12), fontsize=8)
    right = max([*hours, *(s.get("cpu_hours", 0.0) for s in sessions), 1.0]) * 1.1
    for name in REFERENCE_RUNGS:
        if name in rungs:
            ax.axhline(rungs[name], color="grey", lw=0.8, ls="--")
            ax.text(right, rungs[name], f" {name}", va="center", fontsize=8, color="grey")
    for session in sessions:
        ax.axvline(session.get("cpu_hours", 0.0), ymax=0.04, color="tab:orange", lw=2)
    ax.set_xlim(-0.02 * right, right)
    ax.set_xlabel("campaign CPU-hours (self-play + training + gating; orange: session ends)")
    ax.set_ylabel("yardstick Elo (zerogo/ladder.json)")
    ax.set_title("9x9 campaign: strength against compute")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(f"wrote {out} ({len(points)} networks, {len(sessions)} sessions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
