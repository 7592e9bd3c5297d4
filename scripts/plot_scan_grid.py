#!/usr/bin/env python3
"""Draw how the scan finds a board's grid: the photo, the network's grid maps, the lattice.

For each photo (files, or photos of a rendered dataset split by index), three panels:

1. the photo with the grid the scan reads (green) and, for a dataset photo, its true
   grid (thin white);
2. the network's crossings map (``zerogo.scan.gridmaps.CROSSINGS``) with the points
   the lattice was grown from (stone centres and crossing peaks, red) and the lattice
   found among them (``zerogo.scan.crossings.crossing_lattice``, yellow), and those
   the read grid misses by a third of a spacing or more (magenta crosses;
   ``lattice_misses``: side by side, they put the grid in doubt);
3. the area map (``AREA``) with the outline of the read grid grown by half a spacing.

examples:
  scripts/plot_scan_grid.py --data data/scan/tune-occluded --split validation \\
      --index 84 103 176 -o docs/plots/scan-grid.png
  scripts/plot_scan_grid.py photo1.jpg photo2.jpg -o /tmp/grid.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nn.vision.geometry import grid_points, order_corners  # noqa: E402
from zerogo.scan.crossings import (  # noqa: E402
    BLURS,
    MISS,
    crossing_lattice,
    crossing_points,
    lattice_misses,
)
from zerogo.scan.gridmaps import AREA, CROSSINGS, grid_outline  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of this script."""
    parser = argparse.ArgumentParser(
        prog="scripts/plot_scan_grid.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("photos", nargs="*", type=Path, help="photo files")
    parser.add_argument("--data", type=Path, help="a rendered dataset (scripts/make_photos.py)")
    parser.add_argument("--split", default="validation", help="its split (default validation)")
    parser.add_argument("--index", type=int, nargs="+", default=[], help="photos of the split")
    parser.add_argument("--model", type=Path, default=None, help="scan model (default: shipped)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="the PNG to write")
    return parser


def _close(points: np.ndarray) -> np.ndarray:
    return np.concatenate([points, points[:1]])


def main(argv: list[str] | None = None) -> int:
    """Draw the panels; return 0 (2 when no photo was given or one has no board)."""
    args = build_parser().parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image, UnidentifiedImageError

    from zerogo.scan.model import DEFAULT_MODEL, load_model
    from zerogo.scan.read import NoBoardError, Scanner, working_image

    photos: list[tuple[str, np.ndarray, np.ndarray | None, int | None]] = []
    for path in args.photos:
        try:
            with Image.open(path) as image:
                photos.append((path.name, np.asarray(image.convert("RGB")), None, None))
        except (OSError, UnidentifiedImageError) as error:
            print(f"{path}: not a readable image ({error})", file=sys.stderr)
            return 2
    if args.index:
        if args.data is None:
            print("--index needs --data", file=sys.stderr)
            return 2
        from zerogo.scan.dataset import load_photos

        split = load_photos(args.data / args.split)
        for i in args.index:
            photos.append((f"{args.split} {i}", split.images[i], split.corners[i],
                           int(split.sizes[i])))
    if not photos:
        print("no photos: give files or --data with --index", file=sys.stderr)
        return 2
    scanner = Scanner(load_model(args.model or DEFAULT_MODEL)[0])
    figure, axes = plt.subplots(len(photos), 3, figsize=(12, 4 * len(photos)), squeeze=False)
    status = 0
    for row, (name, photo, truth, true_size) in zip(axes, photos, strict=True):
        image = working_image(photo)
        view = scanner.look(image)
        back = photo.shape[1] / image.shape[1]
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].imshow(image)
        row[1].imshow(view.grid[CROSSINGS], cmap="gray", vmin=0, vmax=1)
        row[2].imshow(view.grid[AREA], cmap="gray", vmin=0, vmax=1)
        try:
            result = scanner.read(image, view)
        except NoBoardError as error:
            row[0].set_title(f"{name}: {error}")
            status = 2
            continue
        to_net = 1 / np.array(view.scale)
        if truth is not None and true_size is not None:
            true_points = grid_points(order_corners(truth / back), true_size).reshape(-1, 2)
            row[0].plot(*true_points.T, "w.", markersize=2)
        read = grid_points(result.corners, result.size)
        for k in range(result.size):
            row[0].plot(*read[k].T, "-", color="lime", linewidth=0.7)
            row[0].plot(*read[:, k].T, "-", color="lime", linewidth=0.7)
        points = [crossing_points(view.grid[CROSSINGS], view.boxes, view.scores, b)
                  for b in BLURS]
        lattice = crossing_lattice(view.grid[CROSSINGS], view.boxes, view.scores)
        for found in points:
            row[1].plot(*found.T, "r.", markersize=1.5)
        if lattice is not None:
            row[1].plot(*lattice.points.T, "o", markersize=3, markerfacecolor="none",
                        markeredgecolor="yellow", markeredgewidth=0.7)
            misses = lattice_misses(lattice, view.scale, result.corners, result.size)
            missed = lattice.points[np.nan_to_num(misses) >= MISS]
            row[1].plot(*missed.T, "x", markersize=4, color="magenta", markeredgewidth=0.9)
        outline = grid_outline(result.corners * to_net, result.size)
        row[2].plot(*_close(outline).T, "-", color="lime", linewidth=1.2)
        wrong = ""
        if true_size is not None:
            wrong = "size right" if result.size == true_size else f"size wrong ({true_size})"
        row[0].set_title(f"{name}: read {result.size}x{result.size} {wrong}", fontsize=9)
        spans = "none" if lattice is None else f"{len(lattice.coords)} points, " \
            f"{lattice.spans[0]} x {lattice.spans[1]} lines, {result.missed_crossings} missed"
        row[1].set_title(f"crossings map; lattice: {spans}", fontsize=9)
        row[2].set_title("area map; read grid grown by half a spacing", fontsize=9)
    figure.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
