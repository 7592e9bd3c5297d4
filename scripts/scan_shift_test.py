"""The scan's shift test: read positions that zerogo's own GUI drew, not the renderer.

Positions (random playouts) are drawn by the GUI's board view (``gui.board_view``,
pygame, headless: ``SDL_VIDEODRIVER=dummy``) as ``eval_scan.gui_photos`` does, and
scanned as ``zerogo scan`` scans a photo (size found).  Two conditions:

* **screenshot**: the GUI's surface as it is (square-on, sharp);
* **tilted**: the screenshot seen at a slant: warped through a random homography
  (corners moved by up to ``--tilt`` of the side) onto a grey-brown table, blurred a
  little and saved as a JPEG of quality 60-90.

Per board size: points right (all points; a wrong size counts all wrong), size right,
points right with the size given, and the share of wrong points flagged.

    nice -n 10 .venv/bin/python scripts/scan_shift_test.py --per-size 20 \\
        --out benchmarks/scan/shift-gui.json
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFilter
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval_scan import SIZES, Tally, gui_photos, score_photo  # noqa: E402

from nn.vision.geometry import UNIT_SQUARE, homography, warp_image  # noqa: E402
from zerogo.scan.model import DEFAULT_MODEL, load_model  # noqa: E402
from zerogo.scan.read import Scanner  # noqa: E402


def tilt(image: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Return ``image`` (H, W, 3) uint8 seen at a slant on a table, blurred, as a JPEG."""
    height, width = image.shape[:2]
    size = np.array([width, height], dtype=np.float64)
    corners = UNIT_SQUARE * size
    moved = corners + rng.uniform(-amount, amount, size=(4, 2)) * size
    moved = (moved - moved.min(axis=0)) * 0.8 + 0.1 * size  # keep it inside the frame
    to_source = homography(moved, corners)
    warped = warp_image(image, to_source, (height, width), fill=-1.0)
    table = np.array([120.0, 100.0, 80.0]) + rng.normal(0, 6, size=(height, width, 3))
    out = np.where(warped < 0, table, warped).clip(0, 255).astype(np.uint8)
    picture = Image.fromarray(out).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=int(rng.integers(60, 91)))
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-size", type=int, default=20, help="positions per board size")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--tilt", type=float, default=0.08, help="corner moves, share of side")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model, meta = load_model(args.model)
    scanner = Scanner(model, flag_threshold=float(meta.get("flag_threshold", 0.9)))
    rng = np.random.default_rng(args.seed + 1)
    tallies = {c: {n: Tally() for n in SIZES} for c in ("screenshot", "tilted")}
    start = time.perf_counter()
    photos = list(gui_photos(args.per_size, args.seed))
    for image, stones, n in tqdm(photos, desc="gui", unit="photo", file=sys.stderr):
        hidden = np.zeros_like(stones, dtype=bool)
        score_photo(tallies["screenshot"][n], scanner, image, stones, hidden)
        score_photo(tallies["tilted"][n], scanner, tilt(image, rng, args.tilt), stones, hidden)
    result = {
        "command": " ".join(["python"] + sys.argv),
        "model": str(args.model),
        "model_sha256": hashlib.sha256(args.model.read_bytes()).hexdigest(),
        "flag_threshold": scanner.flag_threshold,
        "per_size": args.per_size,
        "seed": args.seed,
        "tilt": args.tilt,
        "seconds": round(time.perf_counter() - start, 1),
        "conditions": {
            name: {str(n): t.summary() for n, t in by_size.items()}
            for name, by_size in tallies.items()
        },
    }
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
