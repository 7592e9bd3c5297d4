"""Make the fixed 9x9 dataset: self-play of the shipped network, split by game.

The one dataset that the compression issue (#11) and the architectures issue (#13)
train, fine-tune and evaluate on.  It is self-play of the shipped network
``zerogo/networks/b6c64-9x9.pt`` (AlphaGo Zero scheme: ``--visits`` root visits, the
first 30 plies sampled in proportion to the visit counts, Dirichlet root noise,
resignation off so every game has a final ownership), played by
``selfplay.process.run_workers`` with a fixed seed, then split by game into
``train/``, ``validation/`` and ``test/`` folders of shards (``selfplay.shards``
format; ``trainer.replay.ReplayBuffer`` reads a folder directly).

Targets per position: the search policy π (sparse visit distribution), the game
result z, the final ownership of every point (all from the shards), and the root
value.  The split is a seeded permutation of the games sorted by game id, so it does
not depend on the order in which the workers finished them.  ``manifest.json`` records
the settings, the counts and a SHA-256 of every shard.

Usage::

    nice -n 10 .venv/bin/python scripts/make_dataset.py --games 2000 --visits 100 \
        --seed 20261128 --out benchmarks/dataset

With ``--from-run RUN --network NAME`` no game is played: the games are those of the
committed shards of a training run (``RUN/shards``, listed in its ``lineage.jsonl``)
that network ``NAME`` alone played, e.g. the 9x9 campaign's games of ``gen-0000`` (the
shipped network, 100 visits, resignation on for 90% of games), split the same way::

    .venv/bin/python scripts/make_dataset.py --from-run campaign/9x9/run \
        --network gen-0000 --seed 20261204 --out benchmarks/dataset

Regenerating with the same settings on the same machine and backend replays the same
games (search and sampling are seeded per worker); other machines may differ in the
last float bits of the network and hence in some moves.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selfplay.process import run_workers  # noqa: E402
from selfplay.shards import GameRecord, list_shards, read_shard, unpack_games, write_shard  # noqa: E402
from selfplay.worker import SelfPlayConfig  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WEIGHTS = ROOT / "zerogo" / "networks" / "b6c64-9x9.pt"
SPLITS = ("train", "validation", "test")
GAMES_PER_SHARD = 100


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Make the fixed 9x9 dataset (search policy, result, ownership) from self-play "
            "of the shipped network, split by game into train/validation/test shards."
        )
    )
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="network checkpoint")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "dataset"), help="folder")
    parser.add_argument("--games", type=int, default=2000, help="games in all (default 2000)")
    parser.add_argument("--visits", type=int, default=100, help="root visits per move")
    parser.add_argument("--seed", type=int, default=20261128, help="random seed")
    parser.add_argument("--workers", type=int, default=2, help="self-play processes")
    parser.add_argument("--slots", type=int, default=32, help="games at once per worker")
    parser.add_argument(
        "--split",
        type=float,
        nargs=3,
        default=(0.8, 0.1, 0.1),
        metavar=("TRAIN", "VALIDATION", "TEST"),
        help="fractions of the games per split (default 0.8 0.1 0.1)",
    )
    parser.add_argument("--backend", default="torch", help="inference backend (torch)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--from-run",
        default=None,
        metavar="RUN",
        help="take the games of RUN/shards instead of playing (with --network)",
    )
    parser.add_argument(
        "--network", default="gen-0000", help="with --from-run: the network whose games to take"
    )
    args = parser.parse_args(argv)
    if args.games < len(SPLITS):
        parser.error("--games must be at least 3")
    if abs(sum(args.split) - 1.0) > 1e-6 or min(args.split) <= 0:
        parser.error("--split fractions must be positive and sum to 1")
    return args


def finished_games(folder: Path) -> int:
    """Return the games written to shards so far (from the workers' lineage log)."""
    log = folder / "lineage.jsonl"
    if not log.exists():
        return 0
    return sum(json.loads(line)["games"] for line in log.read_text().splitlines() if line)


def split_games(
    games: list[GameRecord], fractions: tuple[float, float, float], seed: int
) -> dict[str, list[GameRecord]]:
    """Return the games per split: a seeded permutation of the games sorted by id."""
    ordered = sorted(games, key=lambda g: g.game_id)
    order = np.random.default_rng(seed).permutation(len(ordered))
    n_train = int(round(fractions[0] * len(ordered)))
    n_val = int(round(fractions[1] * len(ordered)))
    bounds = {"train": (0, n_train), "validation": (n_train, n_train + n_val)}
    bounds["test"] = (n_train + n_val, len(ordered))
    return {
        name: sorted((ordered[i] for i in order[lo:hi]), key=lambda g: g.game_id)
        for name, (lo, hi) in bounds.items()
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def play_games(
    args: argparse.Namespace, config: SelfPlayConfig
) -> tuple[list[GameRecord], list, float]:
    """Play ``args.games`` self-play games of ``args.weights`` (float32, one thread per
    worker, ``args.workers``, ``args.seed``, ``args.backend``; a progress bar unless
    ``args.quiet``) in a temporary folder.

    Returns:
        (the games in shard order, the workers' reports, wall seconds).
    """
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="zerogo-dataset-") as tmp:
        raw = Path(tmp)
        bar = None
        if not args.quiet:
            from tqdm import tqdm

            bar = tqdm(total=args.games, unit="game", desc="self-play")

        def poll() -> None:
            if bar is not None:
                bar.n = min(finished_games(raw), args.games)
                bar.refresh()

        reports = run_workers(
            args.weights,
            config,
            raw,
            workers=args.workers,
            games=args.games,
            threads=1,
            seed=args.seed,
            dtype="float32",
            poll=poll,
            backend=args.backend,
        )
        poll()
        if bar is not None:
            bar.close()
        games = [g for path in list_shards(raw) for g in unpack_games(read_shard(path))]
    return games, reports, time.monotonic() - start


def run_games(run: Path, network: str) -> tuple[list[GameRecord], dict[str, str]]:
    """Return the games of ``run``'s shards played by ``network`` alone (shards in the
    order of ``lineage.jsonl``) and {shard name: SHA-256} of the shards they came from."""
    folder = run / "shards"
    games: list[GameRecord] = []
    sources: dict[str, str] = {}
    for line in (folder / "lineage.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        path = folder / entry["shard"]
        if entry.get("networks") != [network] or not path.exists():
            continue
        games.extend(unpack_games(read_shard(path)))
        sources[entry["shard"]] = sha256(path)
    if not games:
        raise SystemExit(f"make_dataset: no shard of {folder} holds games of {network} alone")
    return games, sources


def write_splits(splits: dict[str, list[GameRecord]], out: Path) -> dict[str, str]:
    """Write each split as ``out/SPLIT/shard-KKKK.npz`` (``GAMES_PER_SHARD`` games each),
    replacing the split folders; return {relative path: SHA-256} of the files."""
    for name in SPLITS:
        if (out / name).exists():
            shutil.rmtree(out / name)
    files: dict[str, str] = {}
    for name, part in splits.items():
        for k in range(0, len(part), GAMES_PER_SHARD):
            path = write_shard(
                out / name / f"shard-{k // GAMES_PER_SHARD:04d}.npz", part[k : k + GAMES_PER_SHARD]
            )
            files[str(path.relative_to(out))] = sha256(path)
    return files


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    if args.from_run:  # no game is played: the run's shards are the games
        return from_run(args, out)
    config = SelfPlayConfig(
        size=9,
        komi=7.5,
        slots=args.slots,
        visits=args.visits,
        random_moves=30,
        resign_threshold=0.0,
        no_resign_fraction=0.0,
        games_per_shard=16,
    )
    games, reports, elapsed = play_games(args, config)
    splits = split_games(games, tuple(args.split), args.seed)
    files = write_splits(splits, out)
    counts = {
        name: {"games": len(part), "positions": sum(len(g.moves) for g in part)}
        for name, part in splits.items()
    }
    manifest = {
        "description": "9x9 self-play of the shipped network, split by game",
        "weights": Path(args.weights).name,
        "weights_sha256": sha256(Path(args.weights)),
        "seed": args.seed,
        "games": len(games),
        "visits": args.visits,
        "workers": args.workers,
        "slots": args.slots,
        "backend": args.backend,
        "dtype": "float32",
        "split_fractions": list(args.split),
        "selfplay": {
            key: value for key, value in config.as_dict().items() if key not in ("search", "gumbel")
        },
        "counts": counts,
        "cpu_seconds": round(sum(r.cpu_seconds for r in reports), 1),
        "wall_seconds": round(elapsed, 1),
        "command": "scripts/make_dataset.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    total = sum(c["positions"] for c in counts.values())
    print(f"{len(games)} games, {total} positions in {elapsed:.0f} s -> {out}")
    return 0


def from_run(args: argparse.Namespace, out: Path) -> int:
    """Make the dataset from a run's committed shards (``--from-run``)."""
    run = Path(args.from_run)
    games, sources = run_games(run, args.network)
    splits = split_games(games, tuple(args.split), args.seed)
    # written beside ``out`` and swapped in, so a reader never sees half a dataset
    staging = out.with_name(out.name + ".new")
    if staging.exists():
        shutil.rmtree(staging)
    files = write_splits(splits, staging)
    counts = {
        name: {"games": len(part), "positions": sum(len(g.moves) for g in part)}
        for name, part in splits.items()
    }
    pipeline = run / "pipeline.json"
    manifest = {
        "description": f"9x9 self-play of {args.network} in {run.name} (the shipped network), "
        "split by game",
        "source_run": str(run),
        "network": args.network,
        "run_settings": json.loads(pipeline.read_text()) if pipeline.exists() else None,
        "source_shards": sources,
        "seed": args.seed,
        "games": len(games),
        "split_fractions": list(args.split),
        "counts": counts,
        "command": "scripts/make_dataset.py " + " ".join(sys.argv[1:]),
        "files": files,
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if (out / "README.md").exists():  # the dataset's description stays with it
        shutil.copy2(out / "README.md", staging / "README.md")
    old = out.with_name(out.name + ".old")
    if out.exists():
        out.rename(old)
    staging.rename(out)
    if old.exists():
        shutil.rmtree(old)
    total = sum(c["positions"] for c in counts.values())
    print(f"{len(games)} games, {total} positions from {len(sources)} shards -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
