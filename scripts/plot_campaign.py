"""The campaign's progress as a picture: yardstick Elo against self-play CPU-hours.

Reads a run's ``ladder.jsonl`` (one placement per network by ``zerogo anchor --ladder
--run-dir RUN``: Elo with its 95% interval, and the run's CPU-hours when that network
was promoted) and the campaign log (``campaign/9x9/log.jsonl``: CPU-hours per
session), and draws the Elo of each placed network with its interval against the
run's CPU-hours, with the ladder's reference players as horizontal lines and the
session boundaries as ticks along the bottom.

    .venv/bin/python scripts/plot_campaign.py --run-dir campaign/9x9/run \\
        --log campaign/9x9/log.jsonl --out docs/plots/campaign-9x9.png

The bar of the strength issue (60% against pure MCTS at 1 s/move on two threads) is
drawn too: the Elo of pure MCTS at ``--bar-playouts`` playouts a move (default 50,000:
two threads at about 25,000 simulations per second each, BENCHMARKS.md), extrapolated
from the ladder's strongest MCTS rungs on a log scale of playouts, plus 70 Elo (a 60%
score).  A straight line fitted to the placed networks (weighted by their intervals)
is extended to the bar, and the CPU-hours where it meets it are written on the plot:
a line through a few points is the optimistic reading, not a forecast.

The bar's own match settles what the estimate only guesses: ``--equal-time
NAME=W-L`` (default: the two shipped networks measured so far, the KataGo-style run's
gen-0002 5-95 and gen-0015 73-27 against pure MCTS at 1 s/move, BENCHMARKS.md) rings that network's
point and writes its score beside it; a network that won 60% or more meets the bar
whatever the estimate says (at 1 s/move the net searches about five times the 200
visits of its ladder placement).

CPU-hours are the summed user+sys CPU of the run's processes (``state.json``'s
``cpu_seconds``), not wall-clock time, so sessions on a busy machine count what they
really spent.  The seed network (the shipped gen-0007) sits at 0 CPU-hours: what made
it was spent before the campaign and is not counted.

A campaign restarted on a new network (``scripts/campaign_restart.py``) is several run
folders on one axis: ``--run-dir`` is given once per run, oldest first (default: the
b6c64 run, then the KataGo-style run it handed over to).  A later run counts the CPU-hours
it inherited, so its networks sit right of the handover, marked by a dashed line; each
run has its own colour, and the fit goes through all of them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUAL_TIME = ("kata/gen-0002=5-95", "kata/gen-0015=73-27")
"""The shipped networks' equal-time matches against pure MCTS (BENCHMARKS.md)."""


def parse_equal_time(values: list[str]) -> dict[str, tuple[int, int]]:
    """``["kata/gen-0015=73-27"]`` -> ``{"kata/gen-0015": (73, 27)}`` (NAME is a network,
    or RUN/network with the run's folder name where runs share names); a malformed one
    is an error."""
    out = {}
    for value in values:
        name, _, score = value.partition("=")
        wins, _, losses = score.partition("-")
        if not name or not wins.isdigit() or not losses.isdigit():
            raise SystemExit(f"--equal-time wants NAME=W-L (e.g. gen-0015=73-27), not {value!r}")
        out[name] = (int(wins), int(losses))
    return out
sys.path.insert(0, str(ROOT))

# ladder rungs drawn as reference lines (others would crowd the plot)
REFERENCE_RUNGS = ("mcts-30", "mcts-100", "mcts-300", "mcts-1000", "gnugo-10")
DEFAULT_RUNS = ("campaign/9x9/run", "campaign/9x9/kata")
COLOURS = ("tab:blue", "tab:green", "tab:purple", "tab:brown")


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def inherited_hours(run: Path) -> float | None:
    """The CPU-hours a restarted run began with (``state.json``'s ``inherited`` phase),
    or None for a run that was not restarted from another."""
    path = run / "state.json"
    if not path.exists():
        return None
    seconds = json.loads(path.read_text()).get("cpu_seconds", {}).get("inherited")
    return None if seconds is None else float(seconds) / 3600


def run_label(run: Path) -> str:
    """``folder (network preset)``, the preset read from the run's ``pipeline.json``."""
    path = run / "pipeline.json"
    preset = json.loads(path.read_text()).get("preset") if path.exists() else None
    return f"{run.name} ({preset})" if preset else run.name


def mcts_elo(rungs: dict[str, float], playouts: float, top: int = 3) -> float:
    """Elo of pure MCTS at ``playouts`` a move: a least-squares line of Elo against
    log10(playouts) through the ``top`` strongest ``mcts-N`` rungs of the ladder."""
    import numpy as np

    mcts = sorted(
        (int(name.split("-")[1]), elo) for name, elo in rungs.items() if name.startswith("mcts-")
    )[-top:]
    x = np.log10([n for n, _ in mcts])
    slope, offset = np.polyfit(x, [e for _, e in mcts], 1)
    return float(offset + slope * np.log10(playouts))


def straight_line(hours: list[float], elo: list[float], half_widths: list[float]):
    """Weighted least-squares (slope, offset) of Elo against CPU-hours, or None for
    fewer than two points or no rise."""
    import numpy as np

    if len(hours) < 2 or len(set(hours)) < 2:
        return None
    weights = 1 / np.maximum(np.asarray(half_widths, float), 1.0)
    slope, offset = np.polyfit(hours, elo, 1, w=weights)
    return (float(slope), float(offset)) if slope > 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--run-dir",
        action="append",
        default=None,
        help="a run's folder, oldest first, once per run (default: campaign/9x9/run, "
        "campaign/9x9/kata)",
    )
    parser.add_argument("--log", default="campaign/9x9/log.jsonl", help="campaign log")
    parser.add_argument("--ladder", default="zerogo/ladder.json", help="calibrated ladder")
    parser.add_argument("--out", default="docs/plots/campaign-9x9.png", help="PNG to write")
    parser.add_argument(
        "--bar-playouts",
        type=float,
        default=50_000,
        help="playouts a move of pure MCTS at 1 s on two threads (50,000)",
    )
    parser.add_argument(
        "--equal-time",
        action="append",
        default=None,
        metavar="NAME=W-L",
        help="a network's score against pure MCTS at 1 s/move, marked on the plot "
        "(NAME: a network, or RUN/network; default: kata/gen-0002=5-95 and "
        "kata/gen-0015=73-27)",
    )
    args = parser.parse_args(argv)
    matches = parse_equal_time(args.equal_time or list(EQUAL_TIME))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [Path(p) for p in (args.run_dir or [DEFAULT_RUNS[0], DEFAULT_RUNS[1]])]
    sessions = read_jsonl(Path(args.log))
    series = []  # (run, points) with points the latest placement of each network
    for run in runs:
        latest: dict[str, dict] = {}
        for record in read_jsonl(run / "ladder.jsonl"):
            latest[record.get("network", record["player"])] = record
        if latest:
            series.append((run, sorted(latest.values(), key=lambda r: r.get("run_cpu_hours", 0.0))))
    if not series:
        print(
            f"plot_campaign: no placements in {', '.join(f'{r}/ladder.jsonl' for r in runs)} "
            "(zerogo anchor --ladder --run-dir RUN)",
            file=sys.stderr,
        )
        return 2
    ladder = json.loads(Path(args.ladder).read_text())
    rungs = {r["name"]: r["elo"] for r in ladder["rungs"]}

    points = [r for _, run_points in series for r in run_points]
    hours = [r.get("run_cpu_hours", 0.0) for r in points]
    elo = [r["elo"] for r in points]
    low = [r["elo"] - r["low"] for r in points]
    high = [r["high"] - r["elo"] for r in points]

    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=110)
    for run, run_points in series:
        colour = COLOURS[runs.index(run) % len(COLOURS)]
        ax.errorbar(
            [r.get("run_cpu_hours", 0.0) for r in run_points],
            [r["elo"] for r in run_points],
            yerr=[
                [r["elo"] - r["low"] for r in run_points],
                [r["high"] - r["elo"] for r in run_points],
            ],
            fmt="o-",
            color=colour,
            capsize=4,
            label=f"{run_label(run)}: best at 200 visits (95% interval)",
        )
    handovers = [(run, inherited_hours(run)) for run in runs]
    for index, (run, handover) in enumerate(handovers):
        if handover is not None:  # a restarted run: where it took over
            ax.axvline(handover, color=COLOURS[index % len(COLOURS)], ls="--", lw=0.8)
            ax.text(
                handover,
                0.02,
                f" restart: {run.name}",
                transform=ax.get_xaxis_transform(),
                fontsize=7,
                color=COLOURS[index % len(COLOURS)],
                rotation=90,
                va="bottom",
            )
    for record in points:
        name, x, y = (
            record.get("network", record["player"]),
            record.get("run_cpu_hours", 0.0),
            record["elo"],
        )
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, -12), fontsize=8)
    for run, record in ((run, r) for run, run_points in series for r in run_points):
        name = record.get("network", record["player"])
        score = matches.get(f"{run.name}/{name}", matches.get(name))
        if score is None:
            continue
        wins, losses = score
        met = wins >= 0.6 * (wins + losses)
        colour = "tab:red" if met else "grey"
        point = (record.get("run_cpu_hours", 0.0), record["elo"])
        ax.plot(*point, "o", ms=13, mfc="none", mec=colour, mew=1.5)
        ax.annotate(f"{wins}-{losses} vs MCTS 1 s/move" + (": bar met" if met else ""), point,
                    textcoords="offset points", xytext=(-10, 12), ha="right", fontsize=8,
                    color=colour)
    right = (
        max(
            [
                *hours,
                *(h for _, h in handovers if h is not None),
                *(s.get("cpu_hours", 0.0) for s in sessions),
                1.0,
            ]
        )
        * 1.1
    )
    for session in sessions:
        ax.axvline(session.get("cpu_hours", 0.0), ymax=0.04, color="tab:orange", lw=2)
    bar = mcts_elo(rungs, args.bar_playouts) + 70.0  # a 60% score is +70 Elo
    fit = straight_line(hours, elo, [(a + b) / 2 for a, b in zip(low, high, strict=True)])
    reach = None
    if fit is not None:
        slope, offset = fit
        reach = (bar - offset) / slope
        xs = [0.0, max(reach, right)]
        ax.plot(
            xs,
            [offset + slope * x for x in xs],
            ls=":",
            color="grey",
            lw=1,
            label=f"straight-line fit (all runs), {slope:+.0f} Elo per CPU-hour",
        )
        right = max(right, reach * 1.08)
    for name in REFERENCE_RUNGS:
        if name in rungs:
            ax.axhline(rungs[name], color="grey", lw=0.8, ls="--")
            ax.text(right, rungs[name], f" {name}", va="center", fontsize=8, color="grey")
    ax.axhline(bar, color="tab:red", lw=1.2)
    where = f"; the fit meets it at {reach:,.0f} CPU-hours" if reach is not None else ""
    ax.text(
        0.98 * right,
        bar + 10,
        f"bar estimated from the ladder: 60% vs MCTS 1 s/move (~{bar:,.0f}){where}",
        va="bottom",
        ha="right",
        fontsize=8,
        color="tab:red",
    )
    ax.set_ylim(top=bar + 120)
    ax.set_xlim(-0.02 * right, right)
    ax.set_xlabel("campaign CPU-hours (self-play + training + gating; orange: session ends)")
    ax.set_ylabel("yardstick Elo (zerogo/ladder.json)")
    ax.set_title("9x9 campaign: strength against compute")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(
        f"wrote {out} ({len(points)} networks of {len(series)} run(s), {len(sessions)} "
        f"sessions); bar {bar:.0f} Elo"
        + (f", straight-line fit meets it at {reach:.1f} CPU-hours" if reach else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
