"""Break the scan's wrong points down by cause, on a split of the rendered dataset.

Each photo is scanned twice (size found, size given) and its grid compared with the
true one (the photo's labelled grid corners): the error of every intersection is its
distance from the true intersection in spacings.  A wrong point (size right) is put in
the first class that fits:

* **grid**: the scan's grid is off by at least ``--off`` spacing at that point (a whole
  grid shifted by a line, turned, or bent by a bad corner);
* **stone** classes, the grid being right there: ``missed`` (a stone read as empty),
  ``phantom`` (an empty point read as a stone), ``colour`` (black read as white or the
  other way); each also counted at the ``edge`` (first or last line) and ``near
  occluder`` (an occluded point among its 8 neighbours).

``--photos`` adds the photos read wrong (size found), one row each: index in the
split, size, family, the size found (None: no board), wrong and flagged points, and
whether the grid read with the size given is off (its largest error in spacings).

Also: points right with the size found (a wrong size or no board counts all its points
wrong), photos whose board size was wrong or not found, and the wrong points that an
*oracle* reading (``read_points`` on the true grid corners) still gets wrong: the
network's share of the errors.

**Wrong points flagged** (``wrong_flagged``) is counted as ``scripts/eval_scan.py`` counts
it, the number the benchmark tables use: of the wrongly read unoccluded points of the
photos whose size the scan found right, the share it flagged.  The causes above, and
``wrong_flagged_size_given``, come from the reading with the size given.

    nice -n 10 .venv/bin/python scripts/scan_errors.py --data data/scan/photos \\
        --split validation --out benchmarks/scan/errors-validation.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from nn.vision.geometry import grid_offsets
from zerogo.scan.dataset import load_photos
from zerogo.scan.model import DEFAULT_MODEL, load_model
from zerogo.scan.read import NoBoardError, Scanner, read_points, working_image

SIZES = (9, 13, 19)


def near(mask: np.ndarray) -> np.ndarray:
    """Points with a True point among their 8 neighbours (or themselves)."""
    padded = np.pad(mask, 1)
    out = np.zeros_like(mask)
    for dy in range(3):
        for dx in range(3):
            out |= padded[dy : dy + mask.shape[0], dx : dx + mask.shape[1]]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", default="validation")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--off", type=float, default=0.3, help="grid error that counts, spacings")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--photos", action="store_true", help="list the photos read wrong")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model, meta = load_model(args.model)
    scanner = Scanner(model, flag_threshold=float(meta.get("flag_threshold", 0.9)))
    data = load_photos(args.data / args.split, args.limit)
    tallies: dict[int, Counter[str]] = {n: Counter() for n in SIZES}
    photos: list[dict] = []
    start = time.perf_counter()
    for i in tqdm(range(len(data)), desc="scan", unit="photo", file=sys.stderr):
        n = int(data.sizes[i])
        truth, occluded = data.position(i), data.occluded_points(i)
        visible = ~occluded
        tally = tallies[n]
        tally["photos"] += 1
        tally["points"] += int(visible.sum())
        work = working_image(data.images[i])
        height, width = data.images[i].shape[:2]
        scale = np.array([work.shape[1] / width, work.shape[0] / height])
        true_corners = data.corners[i].astype(np.float64) * scale
        view = scanner.look(work)
        row: dict = {"index": i, "size": n, "family": str(data.families[i]), "size_found": None}
        row.update(wrong=int(visible.sum()), wrong_flagged=0)
        try:
            found = scanner.read(work, view, None)
            row["size_found"] = found.size
            turned = found.turned_offset  # inf: no board or another size; nan: not checked
            row["turned_offset"] = round(turned, 2) if np.isfinite(turned) else str(turned)
            tally["size_right"] += int(found.size == n)
            if found.size == n:
                wrong_found = (found.stones != truth) & visible
                tally["wrong_size_found"] += int(wrong_found.sum())
                tally["wrong_read_size_found"] += int(wrong_found.sum())
                tally["flagged_wrong"] += int((wrong_found & found.flagged).sum())
                row.update(
                    wrong=int(wrong_found.sum()),
                    wrong_flagged=int((wrong_found & found.flagged).sum()),
                )
            else:
                tally["wrong_size_found"] += int(visible.sum())
        except NoBoardError:
            tally["no_board"] += 1
            tally["wrong_size_found"] += int(visible.sum())
        if row["wrong"]:
            photos.append(row)
        try:
            given = scanner.read(work, view, n)
        except NoBoardError:
            tally["no_board_size_given"] += 1
            tally["wrong_size_given"] += int(visible.sum())
            continue
        oracle, _, _ = read_points(view, true_corners, n, scanner.detection_threshold)
        error = grid_offsets(given.corners, true_corners, n)
        wrong = (given.stones != truth) & visible
        tally["wrong_size_given"] += int(wrong.sum())
        tally["wrong_read"] += int(wrong.sum())
        tally["flagged_wrong_size_given"] += int((wrong & given.flagged).sum())
        grid_off = error >= args.off
        row["grid_off_size_given"] = bool((grid_off & visible).any())
        row["grid_error_max"] = round(float(error[visible].max()), 2) if visible.any() else 0.0
        tally["photos_grid_off"] += int((grid_off & visible).any())
        tally["wrong.grid"] += int((wrong & grid_off).sum())
        stone = wrong & ~grid_off
        edge = np.zeros((n, n), bool)
        edge[[0, -1], :] = edge[:, [0, -1]] = True
        occluder = near(occluded)
        for name, mask in (
            ("missed", (truth > 0) & (given.stones == 0)),
            ("phantom", (truth == 0) & (given.stones > 0)),
            ("colour", (truth > 0) & (given.stones > 0)),
        ):
            tally[f"wrong.{name}"] += int((stone & mask).sum())
            tally[f"wrong.{name}.edge"] += int((stone & mask & edge).sum())
            tally[f"wrong.{name}.near_occluder"] += int((stone & mask & occluder).sum())
        tally["oracle_wrong"] += int(((oracle != truth) & visible).sum())
        tally["grid_error_mean_x1000"] += int(1000 * float(error[visible].mean()))
    report = {}
    for n, t in tallies.items():
        if not t["photos"]:
            continue
        entry: dict[str, float] = dict(sorted(t.items()))
        entry["grid_error_mean"] = round(entry.pop("grid_error_mean_x1000") / 1000 / t["photos"], 4)
        entry["points_right"] = round(1 - t["wrong_size_found"] / t["points"], 5)
        entry["size_right"] = round(t["size_right"] / t["photos"], 4)
        entry["wrong_flagged"] = round(t["flagged_wrong"] / max(t["wrong_read_size_found"], 1), 4)
        entry["wrong_flagged_size_given"] = round(
            t["flagged_wrong_size_given"] / max(t["wrong_read"], 1), 4
        )
        entry["points_right_size_given"] = round(1 - t["wrong_size_given"] / t["points"], 5)
        entry["points_right_oracle_grid"] = round(1 - t["oracle_wrong"] / t["points"], 5)
        report[str(n)] = entry
    result = {
        "command": " ".join(["python"] + sys.argv),
        "data": str(args.data / args.split),
        "off_spacings": args.off,
        "flag_threshold": scanner.flag_threshold,
        "seconds": round(time.perf_counter() - start, 1),
        "per_size": report,
    }
    if args.photos:
        result["photos"] = photos
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
