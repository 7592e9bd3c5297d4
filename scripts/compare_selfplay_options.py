"""Measure what the self-play options do to learning, at equal compute.

Runs the learning loop once per variant on a small board for the same wall-clock
budget (one after the other, so each gets the same machine), then plays the final
best networks of all variants against each other (``selfplay.arena``, fixed visits,
colours alternating, sampled openings) and against a common reference (the network
of the baseline variant).  The variants:

* ``agz``: AlphaGo Zero's scheme as configured by default (``--random-moves 30``);
* ``random8``: the same with 8 sampled opening plies instead of 30;
* ``pcr``: playout cap randomisation (25% full searches, cheap searches elsewhere);
* ``gumbel``: Gumbel root selection with 16 simulations.

    python scripts/compare_selfplay_options.py --out runs/compare --minutes 20

Prints a Markdown table (also written to OUT/results.md) and JSON (OUT/results.json).
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
from pathlib import Path

VARIANTS: dict[str, list[str]] = {
    "agz": [],
    "random8": ["--random-moves", "8"],
    "pcr": ["--full-search-prob", "0.25", "--fast-visits", "16"],
    "gumbel": ["--gumbel", "16"],
}


def train(out: Path, name: str, extra: list[str], args: argparse.Namespace) -> Path:
    run_dir = out / name
    command = [
        sys.executable,
        "-m",
        "zerogo",
        "train",
        "--run-dir",
        str(run_dir),
        "--scheme",
        "agz",  # each option is measured against AlphaGo Zero's loop
        "--size",
        str(args.size),
        "--preset",
        args.preset,
        "--visits",
        str(args.visits),
        "--games-per-generation",
        str(args.games),
        "--min-games",
        str(args.games),
        "--gate-games",
        "60",
        "--gate-visits",
        str(args.visits),
        "--workers",
        str(args.workers),
        "--slots",
        "32",
        "--window",
        "4000",
        "--train-bf16",
        "--hours",
        str(args.minutes / 60),
        "--quiet",
        *extra,
    ]
    print(" ".join(command), flush=True)
    subprocess.run(command, check=True)
    return run_dir


def best_network(run_dir: Path) -> Path:
    state = json.loads((run_dir / "state.json").read_text())
    return run_dir / "networks" / f"{state['best']}.pt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="runs/compare")
    parser.add_argument("--minutes", type=float, default=20.0, help="wall time per variant")
    parser.add_argument("--size", type=int, default=7)
    parser.add_argument("--preset", default="b4c32")
    parser.add_argument("--visits", type=int, default=48)
    parser.add_argument("--games", type=int, default=200, help="games per generation")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--arena-games", type=int, default=100)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = {}
    for name in args.variants:
        run_dir = out / name
        if not args.skip_training:
            run_dir = train(out, name, VARIANTS[name], args)
        runs[name] = run_dir

    import torch

    from nn.evaluator import TorchEvaluator
    from selfplay.arena import ArenaConfig, play_arena

    torch.set_num_threads(1)
    nets = {
        name: TorchEvaluator.from_checkpoint(best_network(d), name=name) for name, d in runs.items()
    }
    config = ArenaConfig(size=args.size, games=args.arena_games, slots=32, visits=args.visits)
    results = []
    for a, b in itertools.combinations(nets, 2):
        result = play_arena(nets[a], nets[b], config, seed=7)
        results.append(
            {
                "first": a,
                "second": b,
                "wins": result.wins,
                "losses": result.losses,
                "draws": result.draws,
                "score": result.score,
                "duplicates": result.duplicates,
            }
        )
        print(f"{a} vs {b}: {result.wins}-{result.losses}-{result.draws}", flush=True)
    summary = {}
    for name, run_dir in runs.items():
        selfplay = [json.loads(x) for x in (run_dir / "selfplay.jsonl").read_text().splitlines()]
        history = [json.loads(x) for x in (run_dir / "history.jsonl").read_text().splitlines()]
        points = sum(
            r["score"] if r["first"] == name else 1 - r["score"]
            for r in results
            if name in (r["first"], r["second"])
        )
        summary[name] = {
            "games": sum(r["games"] for r in selfplay),
            "selfplay_hours": round(sum(r["seconds"] for r in selfplay) / 3600, 2),
            "promotions": sum(1 for r in history if r.get("promoted")),
            "best": best_network(run_dir).stem,
            "arena_points": round(points, 2),
        }
    lines = [
        "| variant | self-play games | promotions | final net | arena score (sum over opponents) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, row in summary.items():
        cells = [name, row["games"], row["promotions"], row["best"], row["arena_points"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines += ["", "| pair | wins-losses-draws | score of the first |", "| --- | --- | --- |"]
    for r in results:
        record = f"{r['wins']}-{r['losses']}-{r['draws']}"
        lines.append(f"| {r['first']} vs {r['second']} | {record} | {r['score']:.2f} |")
    text = "\n".join(lines)
    (out / "results.md").write_text(text + "\n")
    (out / "results.json").write_text(json.dumps({"summary": summary, "pairs": results}, indent=2))
    print(text)


if __name__ == "__main__":
    main()
