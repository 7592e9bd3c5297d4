"""Render the scan's dataset: photo-like pictures of real positions, with labels.

Three splits, each a folder of shards (``zerogo.scan.dataset``):

* ``train``: the training style families (``render.TRAIN_FAMILIES``; ``--random-share``
  of the photos from the domain-randomised ``random`` family), positions from
  three quarters of the game records (SGF files whose index is not 3 mod 4, and the
  ``--shards`` self-play games) plus random playouts;
* ``validation``: the same families and positions, other seeds (for choosing the
  confidence threshold of the scan's flags);
* ``test``: the held-out style families (other wood kinds and backgrounds), positions
  from the remaining quarter of the SGF files and the ``--test-shards`` games.

Board sizes 9, 13 and 19 in turn.  The same command writes the same photos:

    nice -n 5 .venv/bin/python scripts/make_photos.py --out data/scan/photos --seed 1 \\
        --train 3000 --validation 300 --test 600 \\
        --sgf data/scan/gnugo9 data/scan/gnugo13 data/scan/gnugo19 \\
        --shards benchmarks/dataset/train --test-shards benchmarks/dataset/test

The GNU Go games come from ``scripts/make_gnugo_games.py`` (``/data/`` is not committed):

    nice -n 5 .venv/bin/python scripts/make_gnugo_games.py --out data/scan/gnugo13 \
        --games 16 --size 13 --level 0 --random-moves 6 --seed 13
    nice -n 5 .venv/bin/python scripts/make_gnugo_games.py --out data/scan/gnugo19 \
        --games 12 --size 19 --level 0 --random-moves 8 --seed 19
    nice -n 5 .venv/bin/python scripts/make_gnugo_games.py --out data/scan/gnugo9 \
        --games 16 --size 9 --level 0 --random-moves 4 --seed 9

``manifest.json`` beside the splits records the command, the render settings and the
number of game positions per size in each pool.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from zerogo.scan.dataset import SHARD_PHOTOS, PositionPool, render_many, write_shard
from zerogo.scan.positions import game_positions
from zerogo.scan.render import HELD_OUT_FAMILIES, RANDOM_FAMILY, TRAIN_FAMILIES, RenderConfig

SIZES = (9, 13, 19)


def pools(
    sgf: list[Path], shards: list[Path], test_shards: list[Path]
) -> tuple[PositionPool, PositionPool]:
    """Return the (train, test) position pools: SGF files split by index, shards by folder."""
    train, test = PositionPool(), PositionPool()
    for folder in sgf:
        for index, path in enumerate(sorted(folder.glob("*.sgf"))):
            pool = test if index % 4 == 3 else train
            for stones in game_positions(path):
                pool.games.setdefault(stones.shape[0], []).append(stones)
    for folder in shards:
        train.add_shards(folder)
    for folder in test_shards:
        test.add_shards(folder)
    return train, test


def write_split(
    out: Path,
    count: int,
    seed: int,
    families: tuple[str, ...],
    pool: PositionPool,
    config: RenderConfig,
) -> dict[str, float]:
    """Render one split into ``out``; return its counts and time."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("photos-*.npz"):
        old.unlink()
    start = time.time()
    batch = []
    shard = 0
    for index, photo in enumerate(render_many(count, seed, families, SIZES, pool, config)):
        batch.append(photo)
        if len(batch) == SHARD_PHOTOS or index == count - 1:
            write_shard(out / f"photos-{shard:04d}.npz", batch)
            shard += 1
            batch = []
            rate = (index + 1) / (time.time() - start)
            print(f"{out.name}: {index + 1}/{count} photos ({rate:.1f}/s)", file=sys.stderr)
    return {
        "photos": count,
        "seed": seed,
        "families": list(families),
        "seconds": round(time.time() - start, 1),
        "command": " ".join(sys.argv),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train", type=int, default=3000)
    parser.add_argument("--validation", type=int, default=300)
    parser.add_argument("--test", type=int, default=600)
    parser.add_argument("--sgf", type=Path, nargs="*", default=[])
    parser.add_argument("--shards", type=Path, nargs="*", default=[])
    parser.add_argument("--test-shards", type=Path, nargs="*", default=[])
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=320)
    parser.add_argument(
        "--only", nargs="*", default=None, help="(re)write only these splits, keep the others"
    )
    parser.add_argument(
        "--random-share",
        type=float,
        default=0.5,
        help="share of the training and validation photos drawn from the randomised family "
        "(0.5; the fixed training families share the rest)",
    )
    parser.add_argument(
        "--occlusion",
        type=float,
        default=RenderConfig.occlusion,
        help=f"probability of each occluder (a hand, a bowl) in a photo "
        f"(default {RenderConfig.occlusion}; 1 for a hard set with both in every photo)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.random_share < 1:
        parser.error(f"--random-share must be in [0, 1), not {args.random_share}")
    fixed = tuple(name for name in TRAIN_FAMILIES if name != RANDOM_FAMILY)
    repeats = round(len(fixed) * args.random_share / (1 - args.random_share))
    train_families = fixed + (RANDOM_FAMILY,) * repeats
    config = RenderConfig(width=args.width, height=args.height, occlusion=args.occlusion)
    train_pool, test_pool = pools(args.sgf, args.shards, args.test_shards)
    manifest = {
        "command": " ".join(sys.argv),
        "render_config": config.__dict__,
        "positions": {
            "train": {str(k): len(v) for k, v in sorted(train_pool.games.items())},
            "test": {str(k): len(v) for k, v in sorted(test_pool.games.items())},
            "random_share": train_pool.random_share,
        },
        "families": {"train": train_families, "test": HELD_OUT_FAMILIES},
        "splits": {},
    }
    previous = args.out / "manifest.json"
    if args.only is not None and previous.is_file():
        manifest["splits"] = json.loads(previous.read_text()).get("splits", {})
    plan = [
        ("train", args.train, args.seed, train_families, train_pool),
        ("validation", args.validation, args.seed + 1, train_families, train_pool),
        ("test", args.test, args.seed + 2, HELD_OUT_FAMILIES, test_pool),
    ]
    for name, count, seed, families, pool in plan:
        if count > 0 and (args.only is None or name in args.only):
            manifest["splits"][name] = write_split(
                args.out / name, count, seed, families, pool, config
            )
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=list) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
