"""Tune the scan's cross-check: how far the photo turned round reads the grid from the photo.

For every photo of a split of the rendered dataset (``scripts/make_photos.py``) the scan
reads the photo without the cross-check (``Scanner.read_once``, size found) and then
the photo turned by half a turn (``Scanner.turned_offset``), and one row is written per
photo: the grid's true error (largest, in spacings; ``nn.vision.geometry.grid_offsets``
against the labelled corners), the turned offset (None: no board or another size), the
wrong unoccluded points and how many of them the reading left unflagged, the right ones
and how many it flagged, and whether it already flagged every point.

The summary, per board size and for each offset threshold of ``--thresholds``: the
photos the cross-check would flag whole, the right points that only it would flag (as a
share of the unoccluded points), the unflagged wrong points it would catch, and its
false alarms (grids within ``--right`` of the truth, not already flagged whole).  And
``points_check``: what flagging the points that the turned reading calls otherwise would
add on the photos the whole-grid check leaves (``read.TURNED_OFFSET``) and no other
doubt flags whole: right points newly flagged (share) and unflagged wrong points caught.
And ``two_views``, on the same photos, for each confidence threshold of
``--vote-thresholds``: what the two readings' vote (``read.vote_doubt``: those
points, and those whose mean confidence is under the threshold) would add with the
scanner's ``flag_threshold`` at that threshold.  The photos are read at the lowest of
them (0.9 by default), whatever the model's meta says: a reading's flags at a higher
threshold are its flags at the lowest and its points under the higher one.  The
reading's own counts above (``wrong_unflagged``, ``flag_rate_right``) are at the lowest.

    nice -n 5 .venv/bin/python scripts/scan_turn_check.py --data data/scan/tune-occluded \\
        --out benchmarks/scan/turn-check-occluded-hard.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from nn.vision.geometry import grid_offsets, order_corners
from zerogo.scan.dataset import load_photos
from zerogo.scan.model import DEFAULT_MODEL, load_model
from zerogo.scan.read import (
    NoBoardError,
    Scanner,
    reading_offset,
    turn_doubt,
    vote_doubt,
    working_image,
)

SIZES = (9, 13, 19)
THRESHOLDS = (0.5, 0.75, 1.0, 1.5)
VOTE_THRESHOLDS = (0.9, 0.93, 0.95, 0.97)


def _vote(found, other, wrong, right, thresholds) -> dict:
    """Per vote threshold: [unflagged wrong points, unflagged right points] it flags."""
    out = {}
    for t in thresholds:
        newly = (vote_doubt(found, other, t)[1] | (found.confidence < t)) & ~found.flagged
        out[str(t)] = [int((newly & wrong).sum()), int((newly & right).sum())]
    return out


def photo_row(scanner: Scanner, data, i: int, votes: tuple[float, ...] = VOTE_THRESHOLDS) -> dict:
    """Read photo ``i`` and its turned copy; return its row."""
    n = int(data.sizes[i])
    truth, visible = data.position(i), ~data.occluded_points(i)
    work = working_image(data.images[i])
    height, width = data.images[i].shape[:2]
    scale = np.array([work.shape[1] / width, work.shape[0] / height])
    true_corners = order_corners(data.corners[i].astype(np.float64) * scale)
    row: dict = {"index": i, "size": n, "size_found": None}
    try:
        found = scanner.read_once(work, scanner.look(work), None)
    except NoBoardError:
        return row
    row["size_found"] = found.size
    if found.size != n:
        return row
    wrong = (found.stones != truth) & visible
    right = ~wrong & visible
    other = scanner.turned_reading(work, None)
    offset = reading_offset(other, found)
    differ = np.zeros_like(wrong)
    vote = {str(t): [0, 0] for t in votes}
    if math.isfinite(offset):  # a board of the same size: its points compare
        differ = (other.stones != found.stones) & visible
        vote = _vote(found, other, wrong, right, votes)
    row.update(
        grid_error=round(float(grid_offsets(found.corners, true_corners, n).max()), 3),
        turned_offset=round(offset, 3) if math.isfinite(offset) else None,
        wrong=int(wrong.sum()),
        wrong_unflagged=int((wrong & ~found.flagged).sum()),
        right=int(right.sum()),
        right_flagged=int((right & found.flagged).sum()),
        all_flagged=bool(found.flagged.all()),
        points_differ=int(differ.sum()),
        differ_wrong_unflagged=int((differ & wrong & ~found.flagged).sum()),
        differ_right_unflagged=int((differ & right & ~found.flagged).sum()),
        two_views=vote,
    )
    return row


def _offset(row: dict) -> float:
    return float("inf") if row["turned_offset"] is None else row["turned_offset"]


def summarise(
    rows: list[dict],
    thresholds: tuple[float, ...],
    right_error: float,
    votes: tuple[float, ...] = VOTE_THRESHOLDS,
) -> dict:
    """Per size: the reading's counts and what each threshold would add."""
    out = {}
    for n in SIZES:
        read = [r for r in rows if r["size"] == n and r["size_found"] == n]
        if not read:
            continue
        points = sum(r["wrong"] + r["right"] for r in read)
        entry: dict = {
            "photos": sum(r["size"] == n for r in rows),
            "size_right": len(read),
            "wrong": sum(r["wrong"] for r in read),
            "wrong_unflagged": sum(r["wrong_unflagged"] for r in read),
            "flag_rate_right": round(sum(r["right_flagged"] for r in read) / points, 5),
        }
        for t in thresholds:
            fired = [r for r in read if _offset(r) >= t]
            false = [
                r["index"] for r in fired if r["grid_error"] < right_error and not r["all_flagged"]
            ]
            newly = sum(r["right"] - r["right_flagged"] for r in fired if not r["all_flagged"])
            entry[f"at_{t}"] = {
                "photos": len(fired),
                "right_newly_flagged": round(newly / points, 5),
                "wrong_caught": sum(r["wrong_unflagged"] for r in fired),
                "false_alarms": false,
            }
        kept = [r for r in read if not turn_doubt(_offset(r)) and not r["all_flagged"]]
        entry["points_check"] = {  # flag the points the turned reading calls otherwise
            "right_newly_flagged": round(
                sum(r["differ_right_unflagged"] for r in kept) / points, 5
            ),
            "wrong_caught": sum(r["differ_wrong_unflagged"] for r in kept),
        }
        entry["two_views"] = {  # the two readings' vote at each threshold
            str(t): {
                "right_newly_flagged": round(
                    sum(r["two_views"][str(t)][1] for r in kept) / points, 5
                ),
                "wrong_caught": sum(r["two_views"][str(t)][0] for r in kept),
            }
            for t in votes
        }
        out[str(n)] = entry
    return out


def render(result: dict) -> str:
    """The record as JSON: indented, but one line per photo row."""
    rows = result["photos"]
    text = json.dumps({**result, "photos": []}, indent=2)
    lines = ",\n".join("    " + json.dumps(row) for row in rows)
    return text.replace('"photos": []', '"photos": [\n' + lines + "\n  ]") if rows else text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", default="validation")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--thresholds", type=float, nargs="+", default=list(THRESHOLDS))
    parser.add_argument("--vote-thresholds", type=float, nargs="+", default=list(VOTE_THRESHOLDS))
    parser.add_argument(
        "--right", type=float, default=0.3, help="grid error (spacings) under which a grid is right"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model, _ = load_model(args.model)
    scanner = Scanner(model, flag_threshold=min(args.vote_thresholds))
    data = load_photos(args.data / args.split, args.limit)
    start = time.perf_counter()
    rows = [
        photo_row(scanner, data, i, tuple(args.vote_thresholds))
        for i in tqdm(range(len(data)), desc="scan", unit="photo", file=sys.stderr)
    ]
    result = {
        "command": " ".join(["python"] + sys.argv),
        "data": str(args.data / args.split),
        "right_error": args.right,
        "seconds": round(time.perf_counter() - start, 1),
        "per_size": summarise(
            rows, tuple(args.thresholds), args.right, tuple(args.vote_thresholds)
        ),
        "photos": rows,
    }
    text = render(result)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(json.dumps(result["per_size"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
