"""``zerogo scan``: read a Go position from a photo and write it as an SGF record.

Where to start reading:

* ``zerogo.scan.read``: the reading pipeline (``Scanner``): segmentation, board
  outline, grid and size, per-point calls with confidences;
* ``zerogo.scan.model``: the network (a MobileNet U-Net with an SSD head and a grid
  head) and its file; ``zerogo.scan.gridmaps`` the grid maps that head draws;
* ``zerogo.scan.render``: the photo renderer that makes the training and test data,
  ``zerogo.scan.positions`` the positions it draws, ``zerogo.scan.dataset`` the shards;
* ``zerogo.scan.record``: SGF and text diagram of a read position.

The vision models themselves are generic and live in ``nn.vision``.  This module is the
command (``HELP``, ``add_arguments``, ``run``) and imports nothing heavy until it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "read a Go position from a photo and write it as SGF"
DESCRIPTION = """Read the position on a photographed Go board and write it as an SGF record
(setup stones AB/AW, PL, KM, SZ).

  zerogo scan photo.jpg -o game.sgf
  zerogo scan photo.jpg -o game.sgf --size 19 --to-move w --komi 6.5

The board size is found from the grid (9, 13 or 19) unless --size is given.  Every
point gets a confidence; points below the threshold, or hidden by something in front
of the board, are listed as warnings on stderr and in the record's comment — check
them before trusting the record.  Exit status 2 when the photo cannot be read or no
board is found in it.

The model was trained on rendered photos only (zerogo/scan/render.py); its accuracy on
real camera photos is unmeasured.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("photo", help="the photo (JPEG, PNG, ...)")
    parser.add_argument("-o", "--output", help="the SGF file to write (default: print it)")
    parser.add_argument("--size", type=int, default=None, help="board size (default: found)")
    parser.add_argument("--to-move", choices=("b", "w"), default="b", help="colour to move (PL)")
    parser.add_argument("--komi", type=float, default=7.5, help="komi (KM)")
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="confidence below which a point is flagged (default: the model's calibrated one)",
    )
    parser.add_argument("--model", default=None, help="scan model file (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")


def run(args: argparse.Namespace) -> int:
    from engine.board import BLACK, WHITE
    from zerogo.scan.photo import PhotoError, read_photo
    from zerogo.scan.record import diagram

    try:
        read = read_photo(
            args.photo,
            size=args.size,
            to_move=BLACK if args.to_move == "b" else WHITE,
            komi=args.komi,
            threshold=args.threshold,
            model_path=args.model,
        )
    except PhotoError as exc:
        print(f"zerogo scan: {exc}", file=sys.stderr)
        return 2
    result, record, warnings, flagged = read.result, read.record, read.warnings, read.flagged
    n = result.size
    if args.output:
        Path(args.output).write_bytes(record)
    if args.json:
        summary = {
            "size": n,
            "black": int((result.stones == BLACK).sum()),
            "white": int((result.stones == WHITE).sum()),
            "flagged": flagged,
            "size_scores": {str(k): round(v, 3) for k, v in result.size_scores.items()},
            "corners": [[round(float(x), 1) for x in corner] for corner in result.corners],
            "output": args.output,
        }
        print(json.dumps(summary))
    elif not args.output:
        sys.stdout.write(record.decode("utf-8") + "\n")
    print(diagram(result.stones, result.flagged), file=sys.stderr)
    print(
        f"{n}x{n}: {int((result.stones == BLACK).sum())} black, "
        f"{int((result.stones == WHITE).sum())} white, {len(flagged)} flagged point(s)",
        file=sys.stderr,
    )
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    if args.output:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
