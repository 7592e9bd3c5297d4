"""Make the principal-variation dataset: self-play of the shipped network with PVs kept.

The data of the sequence models (issue 13, "predicting the search's principal
variation"; ``zerogo.pv_model``, ``scripts/train_pv.py``).  Self-play of the shipped
network ``zerogo/networks/b6c64-9x9.pt`` at ``--visits`` root visits per move (AlphaGo
Zero scheme of ``selfplay.worker``: the first 30 plies sampled in proportion to the
visit counts, Dirichlet root noise, subtree reuse), with ``record_pv`` on: every move
whose search had at least 400 root visits stores the search's most visited line, up
to 16 moves.  Resignation is on (threshold 0.05, no calibration games): positions of
a decided game teach little and cost the most plies.

Played by ``selfplay.process.run_workers`` with a fixed seed, then split by game into
``train/``, ``validation/`` and ``test/`` folders of shards (the seeded split of
``scripts/make_dataset.py``).  ``manifest.json`` records the settings, the counts
(games, positions, positions with a PV, mean PV length) and a SHA-256 of every shard.

Usage::

    nice -n 5 .venv/bin/python scripts/make_pv_dataset.py --games 64 --visits 400 \\
        --seed 20261203 --backend openvino --out benchmarks/pv/dataset
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from make_dataset import SPLITS, play_games, sha256, split_games, write_splits  # noqa: E402

from selfplay.shards import GameRecord  # noqa: E402
from selfplay.worker import SelfPlayConfig  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WEIGHTS = ROOT / "zerogo" / "networks" / "b6c64-9x9.pt"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Make the principal-variation dataset: self-play of the shipped network "
        "with each search's PV recorded, split by game into train/validation/test shards."
    )
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="network checkpoint")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "pv" / "dataset"))
    parser.add_argument("--games", type=int, default=64, help="games in all (default 64)")
    parser.add_argument("--visits", type=int, default=400, help="root visits per move (400)")
    parser.add_argument("--pv-length", type=int, default=16, help="most moves per PV (16)")
    parser.add_argument("--seed", type=int, default=20261203, help="random seed")
    parser.add_argument("--workers", type=int, default=2, help="self-play processes")
    parser.add_argument("--slots", type=int, default=32, help="games at once per worker")
    parser.add_argument("--backend", default="torch", help="inference backend (torch)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.games < len(SPLITS):
        parser.error("--games must be at least 3")
    if args.visits < 1 or args.pv_length < 1:
        parser.error("--visits and --pv-length must be positive")
    return args


def pv_counts(games: list[GameRecord]) -> dict[str, float]:
    """Return games, positions, positions with a PV and the mean PV length of ``games``."""
    lengths = [len(line) for g in games for line in (g.pvs or []) if line]
    return {
        "games": len(games),
        "positions": sum(len(g.moves) for g in games),
        "positions_with_pv": len(lengths),
        "mean_pv_length": round(float(np.mean(lengths)), 2) if lengths else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    config = SelfPlayConfig(
        size=9,
        komi=7.5,
        slots=args.slots,
        visits=args.visits,
        random_moves=30,
        resign_threshold=0.05,
        no_resign_fraction=0.0,
        games_per_shard=16,
        record_pv=True,
        pv_length=args.pv_length,
        pv_min_visits=min(400, args.visits),
    )
    games, reports, elapsed = play_games(args, config)
    splits = split_games(games, (0.8, 0.1, 0.1), args.seed)
    files = write_splits(splits, out)
    counts = {name: pv_counts(part) for name, part in splits.items()}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    manifest = {
        "description": "9x9 self-play of the shipped network with each search's principal "
        "variation, split by game",
        "weights": Path(args.weights).name,
        "weights_sha256": sha256(Path(args.weights)),
        "seed": args.seed,
        "games": len(games),
        "visits": args.visits,
        "workers": args.workers,
        "slots": args.slots,
        "backend": args.backend,
        "dtype": "float32",
        "selfplay": {
            key: value for key, value in config.as_dict().items() if key not in ("search", "gumbel")
        },
        "counts": counts,
        "cpu_seconds": round(sum(r.cpu_seconds for r in reports), 1),
        "cpu_seconds_children": round(children.ru_utime + children.ru_stime, 1),
        "wall_seconds": round(elapsed, 1),
        "command": "scripts/make_pv_dataset.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "files": files,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    total = pv_counts(games)
    print(
        f"{len(games)} games, {total['positions']} positions, {total['positions_with_pv']} "
        f"with a PV (mean length {total['mean_pv_length']}) in {elapsed:.0f} s -> {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
