"""Compare learning variants of ``zerogo train`` at equal CPU time, on the yardstick.

Each variant runs the whole loop (self-play -> training -> gating) from its own random
network until the run has used ``--cpu-hours`` of CPU (user + sys of the loop and all
its workers, ``zerogo train --cpu-hours``); then its best network is placed on the
fixed ladder of reference players (``zerogo anchor --weights ... --ladder``, 200
visits, maximum-likelihood Elo with a 95% interval).  Everything is resumable: rerun
the same command and finished variants and ladder placements are kept, an interrupted
run goes on to the same CPU budget.

    python scripts/compare_variants.py --out runs/variants9 --cpu-hours 1 --parallel 2
    python scripts/compare_variants.py --out runs/variants9 --only default gumbel

Variants (only the search and network options differ; the loop's sizes, shared by all,
are scaled to the budget: a generation of 200 games, not the 2,000 games a default run
waits for before its first training):

* ``default``: AlphaGo Zero's scheme (``--scheme agz``: 100 visits, PUCT,
  30 sampled opening plies, b6c64);
* ``gumbel``: Gumbel root selection with 16 simulations (Danihelka et al. 2022);
* ``gumbel-pcr``: Gumbel with playout cap randomisation on b6c64 (added
  after the first four: it separates the two parts of ``best``);
* ``gumbel-kata``: ``gumbel`` with KataGo's heads and inputs (global pooling, score,
  opponent-policy and short-term value heads; liberty and ladder planes);
* ``best``: ``gumbel-kata`` with playout cap randomisation (a quarter of the moves
  searched fully and trained on).

Writes OUT/results.json (per variant: CPU-seconds, games, promotions, best network,
ladder Elo) and prints a Markdown table (also OUT/results.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from zerogo.train import SCHEMES  # noqa: E402

VARIANTS: dict[str, str] = {
    "default": "agz",
    "gumbel": "gumbel",
    "gumbel-pcr": "gumbel-pcr",
    "gumbel-kata": "gumbel-kata",
    "best": "gumbel-kata-pcr",
}
"""Each variant's ``zerogo train --scheme`` (``zerogo.train.SCHEMES``, which also
describes it; the comparison ran at 7441c11 with the same settings spelled out as
flags, before the schemes existed: ``--gumbel 16``, ``--preset
b6c64-pool3-score-opp-stv``, ``--features liberties,ladder``, ``--full-search-prob 0.25
--fast-visits 4``).  ``best`` won and is now ``zerogo train``'s default scheme."""

SHARED = [
    "--size", "9", "--komi", "7.5", "--workers", "1", "--threads", "1", "--slots", "48",
    "--games-per-generation", "200", "--min-games", "200", "--window", "4000",
    "--gate-games", "100", "--dtype", "auto", "--train-bf16", "--quiet",
]  # fmt: skip
"""The loop's settings shared by every variant."""


def zerogo(*args: str) -> list[str]:
    return [sys.executable, "-m", "zerogo", *args]


def read_state(run_dir: Path) -> dict:
    path = run_dir / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


def cpu_seconds(state: dict) -> float:
    return float(sum(state.get("cpu_seconds", {}).values()))


def train(name: str, out: Path, args: argparse.Namespace) -> dict:
    """Run (or resume) variant ``name`` to the CPU budget; return its state."""
    run_dir = out / name
    run_dir.mkdir(parents=True, exist_ok=True)
    flags = ["--scheme", VARIANTS[name]]
    command = zerogo(
        "train", "--run-dir", str(run_dir), "--seed", str(args.seed),
        "--cpu-hours", str(args.cpu_hours), *SHARED, *flags, *args.extra,
    )  # fmt: skip
    if cpu_seconds(read_state(run_dir)) < args.cpu_hours * 3600:
        print(f"{name}: to {args.cpu_hours} CPU-hours: {' '.join(command[2:])}", flush=True)
        with open(run_dir / "compare.log", "a") as log:
            done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        if done.returncode != 0:
            raise RuntimeError(f"{name}: zerogo train failed ({done.returncode}); see {log.name}")
    return read_state(run_dir)


def place(name: str, out: Path, args: argparse.Namespace) -> dict:
    """Place the variant's best network on the ladder (kept in OUT/NAME/ladder.json)."""
    run_dir = out / name
    state = read_state(run_dir)
    record_path = run_dir / "ladder.json"
    if record_path.exists():
        record = json.loads(record_path.read_text())
        if record.get("network") == state["best"]:
            return record
    weights = run_dir / "networks" / f"{state['best']}.pt"
    command = zerogo(
        "anchor", "--weights", str(weights), "--ladder", "--json", "--seed", str(args.seed),
        "--cpu-minutes", str(args.ladder_minutes), *args.ladder_extra,
    )  # fmt: skip
    print(f"{name}: placing {state['best']} on the ladder", flush=True)
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{name}: zerogo anchor failed: {done.stderr[-2000:]}")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{name}: zerogo anchor printed no JSON record")
    record = {"network": state["best"], **lines[-1]}
    record_path.write_text(json.dumps(record, indent=1) + "\n")
    return record


def summarise(name: str, out: Path) -> dict:
    run_dir = out / name
    state = read_state(run_dir)
    ladder_path = run_dir / "ladder.json"
    ladder = json.loads(ladder_path.read_text()) if ladder_path.exists() else {}
    history = run_dir / "history.jsonl"
    return {
        "variant": name,
        "description": SCHEMES[VARIANTS[name]].help,
        "flags": ["--scheme", VARIANTS[name]],
        "cpu_seconds": round(cpu_seconds(state), 1),
        "cpu_seconds_by_phase": state.get("cpu_seconds", {}),
        "games": state.get("games_at_last_train", 0),
        "generations": len(history.read_text().splitlines()) if history.exists() else 0,
        "promotions": state.get("promotions", 0),
        "best": state.get("best"),
        "ladder": ladder,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| variant | CPU-hours | self-play games trained on | gating decisions | promotions "
        "| best | ladder Elo (95%) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        ladder = row["ladder"]
        elo = "—"
        if "elo" in ladder:
            elo = f"{ladder['elo']:.0f} [{ladder['low']:.0f}, {ladder['high']:.0f}]"
        lines.append(
            f"| `{row['variant']}`: {row['description']} | {row['cpu_seconds'] / 3600:.2f} "
            f"| {row['games']:,} | {row['generations']} | {row['promotions']} | {row['best']} "
            f"| {elo} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="one run directory per variant")
    parser.add_argument("--cpu-hours", type=float, default=1.0, help="CPU budget per variant (1)")
    parser.add_argument("--only", nargs="+", choices=sorted(VARIANTS), help="these variants")
    parser.add_argument("--parallel", type=int, default=1, help="variants run at once (1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every run (0)")
    parser.add_argument(
        "--ladder-minutes", type=float, default=10.0, help="CPU-minutes per ladder placement"
    )
    parser.add_argument("--no-ladder", action="store_true", help="train only")
    parser.add_argument(
        "--extra", nargs=argparse.REMAINDER, default=[],
        help="more zerogo train flags for every variant (last; e.g. a tiny test setup)",
    )  # fmt: skip
    parser.add_argument("--ladder-extra", nargs="*", default=[], help="more zerogo anchor flags")
    args = parser.parse_args(argv)
    names = args.only or list(VARIANTS)
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.time()

    def one(name: str) -> dict:
        train(name, args.out, args)
        if not args.no_ladder:
            place(name, args.out, args)
        return summarise(name, args.out)

    with ThreadPoolExecutor(max_workers=max(args.parallel, 1)) as pool:
        rows = list(pool.map(one, names))
    results = {
        "command": " ".join(sys.argv),
        "cpu_hours": args.cpu_hours,
        "shared_flags": SHARED,
        "wall_seconds": round(time.time() - start, 1),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "variants": rows,
    }
    previous = args.out / "results.json"
    if previous.exists():  # keep the variants run by an earlier --only
        kept = {row["variant"]: row for row in json.loads(previous.read_text())["variants"]}
        kept.update({row["variant"]: row for row in rows})
        results["variants"] = [kept[name] for name in VARIANTS if name in kept]
    previous.write_text(json.dumps(results, indent=1) + "\n")
    markdown = table(results["variants"])
    (args.out / "results.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
