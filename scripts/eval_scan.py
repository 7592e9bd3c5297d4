"""Measure the scan: points right, board size, flags, detection mAP, segmentation IoU, speed.

On a split of the rendered dataset (``scripts/make_photos.py``), per board size:

* **points right**: the share of unoccluded intersections read right, the board size
  found by the scan (a photo whose size is wrong or whose board is not found counts all
  its points wrong); also with the size given (``--size``);
* **size right**: the share of photos whose board size was found right;
* **wrong flagged**: the share of wrongly read unoccluded points (size right) that the
  scan flagged; **flag rate**: the share of all unoccluded points flagged; **turn doubt
  photos**: photos whose every point the cross-check flagged (``read.turn_doubt``; the
  read with the size given is not cross-checked: only its points count);
* **detection**: AP per class (black, white), mAP@0.5 and mAP@[.5:.95] of the stone
  boxes (``nn.vision.metrics``, COCO's 101-point interpolation, up to 500 detections per
  image since a 19x19 board holds up to 361 stones);
* **segmentation**: IoU per class (background, board, black, white) at the network's
  resolution;
* **photos/s**: whole scans (network and reading, size found) per second, one torch
  thread, on whatever else the machine is running (its load average is recorded).

``--gui N`` adds the shift test: N positions per size drawn by zerogo's own GUI board
view (pygame, headless), which the renderer did not make.  ``--calibrate`` chooses the
flag threshold on the validation split (the lowest confidence that still flags 97% of
its wrong points, at most 0.9) and writes it into the model's meta; ``--set-threshold T
--calibrated-on TEXT`` writes a threshold chosen elsewhere (the two readings' vote on
the tuning sets, ``scripts/scan_turn_check.py``) and what it was chosen on.

    nice -n 5 .venv/bin/python scripts/eval_scan.py --data data/scan/photos --calibrate
    nice -n 5 .venv/bin/python scripts/eval_scan.py --data data/scan/photos --split test \\
        --gui 20 --out benchmarks/scan/scan-s320.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from nn.vision.metrics import ConfusionMatrix, ImageDetections, ImageTruth, evaluate_detections
from zerogo.scan.dataset import load_photos
from zerogo.scan.model import DEFAULT_MODEL, load_model, save_model
from zerogo.scan.read import NoBoardError, Scanner, turn_doubt, working_image

SIZES = (9, 13, 19)


class Tally:
    """Counts of one board size."""

    def __init__(self) -> None:
        self.photos = 0
        self.no_board = 0
        self.size_right = 0
        self.size_warned_when_wrong = 0
        self.points = 0
        self.right = 0
        self.right_given = 0
        self.wrong = 0
        self.wrong_flagged = 0
        self.flagged = 0
        self.occluded = 0
        self.occluded_flagged = 0
        self.turn_doubt = 0

    def summary(self) -> dict[str, float | int]:
        def share(a: int, b: int) -> float | None:
            return round(a / b, 5) if b else None

        return {
            "photos": self.photos,
            "no_board": self.no_board,
            "size_right": share(self.size_right, self.photos),
            "size_wrong_but_warned": self.size_warned_when_wrong,
            "points": self.points,
            "points_right": share(self.right, self.points),
            "points_right_size_given": share(self.right_given, self.points),
            "wrong_points": self.wrong,
            "wrong_flagged": share(self.wrong_flagged, self.wrong),
            "flag_rate": share(self.flagged, self.points),
            "occluded_points": self.occluded,
            "occluded_flagged": share(self.occluded_flagged, self.occluded),
            "turn_doubt_photos": self.turn_doubt,
        }


def scan_once(scanner: Scanner, image: np.ndarray, max_detections: int = 500):
    """Scan a photo as ``zerogo scan`` does; return (working image, view, result or None)."""
    work = working_image(image)
    view = scanner.look(work, max_detections=max_detections)
    try:
        return work, view, scanner.read(work, view, None)
    except NoBoardError:
        return work, view, None


def score_photo(
    tally: Tally, scanner: Scanner, image: np.ndarray, truth: np.ndarray, occluded: np.ndarray
):
    """Scan one photo into ``tally``.

    Returns:
        The confidences and wrongness of its unoccluded points (photos of the right
        size), the seconds of the scan itself (network and reading, as ``zerogo
        scan``) and the network's view.
    """
    n = truth.shape[0]
    start = time.perf_counter()
    work, view, found = scan_once(scanner, image)
    seconds = time.perf_counter() - start
    visible = ~occluded
    tally.photos += 1
    tally.points += int(visible.sum())
    tally.occluded += int(occluded.sum())
    confidences = np.zeros(0)
    wrongs = np.zeros(0, bool)
    if found is None:
        tally.no_board += 1
    if found is not None and found.size == n:
        tally.size_right += 1
        wrong = (found.stones != truth) & visible
        tally.right += int(visible.sum() - wrong.sum())
        tally.wrong += int(wrong.sum())
        tally.wrong_flagged += int((wrong & found.flagged).sum())
        tally.flagged += int((found.flagged & visible).sum())
        tally.occluded_flagged += int((found.flagged & occluded).sum())
        tally.turn_doubt += int(turn_doubt(found.turned_offset))
        confidences = found.confidence[visible]
        wrongs = wrong[visible]
    elif found is not None and found.size_confidence < 0.2:
        tally.size_warned_when_wrong += 1
    try:
        given = scanner.read_once(work, view, n)  # its flags are not counted: no cross-check
        tally.right_given += int(((given.stones == truth) & visible).sum())
    except NoBoardError:
        pass
    return confidences, wrongs, seconds, view


def evaluate_split(
    scanner: Scanner, data, limit: int | None
) -> tuple[dict, np.ndarray, np.ndarray]:
    """Evaluate a PhotoSet; return the report and the (confidence, wrong) pairs of all points."""
    tallies = {n: Tally() for n in SIZES}
    detections, truths = [], []
    confusion = ConfusionMatrix(4)
    confidences, wrongs = [], []
    seconds = 0.0
    count = len(data) if limit is None else min(limit, len(data))
    for i in tqdm(range(count), desc="scan", unit="photo", file=sys.stderr):
        c, w, spent, view = score_photo(
            tallies[int(data.sizes[i])],
            scanner,
            data.images[i],
            data.position(i),
            data.occluded_points(i),
        )
        seconds += spent
        confidences.append(c)
        wrongs.append(w)
        scale = np.array(view.scale * 2)
        detections.append(ImageDetections(view.boxes * scale, view.scores, view.labels))
        truths.append(ImageTruth(data.boxes[i], data.box_labels[i]))
        prediction = view.probs.argmax(axis=0)
        if prediction.shape == data.masks[i].shape:
            confusion.update(prediction, data.masks[i])
    det = evaluate_detections(detections, truths, (1, 2), max_detections=500)
    ap50 = det.ap_at(0.5)
    per_class = det.ap.mean(axis=0)
    report = {
        "per_size": {str(n): t.summary() for n, t in tallies.items() if t.photos},
        "detection": {
            "map50": round(det.map50, 4),
            "map50_95": round(det.map, 4),
            "ap50": {"black": round(ap50[1], 4), "white": round(ap50[2], 4)},
            "ap50_95": {
                "black": round(float(per_class[0]), 4),
                "white": round(float(per_class[1]), 4),
            },
            "max_detections": 500,
        },
        "segmentation_iou": {
            name: round(float(v), 4)
            for name, v in zip(
                ("background", "board", "black", "white"), confusion.iou(), strict=True
            )
        },
        "photos": count,
        "seconds_per_photo": round(seconds / max(count, 1), 4),
        "photos_per_second": round(count / max(seconds, 1e-9), 2),
    }
    return report, np.concatenate(confidences), np.concatenate(wrongs)


def gui_photos(count: int, seed: int):
    """Yield (image, stones (picture rows), size) of positions drawn by the GUI's board view."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from gui.board_view import BoardGeometry, BoardView, Scene
    from gui.theme import DEFAULT_THEME
    from zerogo.scan.positions import random_position, to_board_array

    pygame.display.init()
    pygame.font.init()
    view = BoardView()
    rng = np.random.default_rng(seed)
    for n in SIZES:
        for _ in range(count):
            stones = random_position(n, rng)
            width, height = 480, 400
            surface = pygame.Surface((width, height))
            surface.fill(DEFAULT_THEME.panel)
            side = int(rng.integers(300, 380))
            left, top = (
                int(rng.integers(4, width - side - 4)),
                int(rng.integers(4, height - side - 4)),
            )
            geometry = BoardGeometry(n, left, top, side)
            board = to_board_array(stones)
            occupied = np.flatnonzero(board.ravel())
            last = int(rng.choice(occupied)) if len(occupied) else None
            view.render(surface, geometry, Scene(stones=board, last_move=last))
            image = pygame.surfarray.array3d(surface).transpose(1, 0, 2).copy()
            yield image, stones, n


def evaluate_gui(scanner: Scanner, count: int, seed: int) -> dict:
    """The shift test on GUI screenshots."""
    tallies = {n: Tally() for n in SIZES}
    for image, stones, n in tqdm(list(gui_photos(count, seed)), desc="gui", file=sys.stderr):
        score_photo(tallies[n], scanner, image, stones, np.zeros_like(stones, dtype=bool))
    return {"per_size": {str(n): t.summary() for n, t in tallies.items()}, "photos_per_size": count}


def calibrate(
    confidences: np.ndarray, wrongs: np.ndarray, share: float = 0.97, cap: float = 0.9
) -> float:
    """Return the confidence threshold that flags ``share`` of the wrong points, at most ``cap``.

    Wrong points of a misplaced grid are read with high confidence; no threshold below
    1 catches them, and above ``cap`` the flags would bury the reading (see the
    benchmark's flag rate), so the grid check (``read.grid_doubt``) has to.
    """
    wrong = np.sort(confidences[wrongs])
    if len(wrong) == 0:
        return 0.6
    value = float(wrong[min(len(wrong) - 1, int(np.ceil(share * len(wrong))) - 1)]) + 1e-6
    return float(np.clip(value, 0.6, cap))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", default="test")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="choose the flag threshold on the validation split, store it",
    )
    parser.add_argument(
        "--set-threshold", type=float, default=None, help="store this flag threshold, exit"
    )
    parser.add_argument("--calibrated-on", default=None, help="with --set-threshold: the sets")
    parser.add_argument("--gui", type=int, default=0, help="GUI screenshots per size (shift test)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model, meta = load_model(args.model)
    if args.set_threshold is not None:
        if not 0 < args.set_threshold < 1 or not args.calibrated_on:
            parser.error("--set-threshold takes a value in (0, 1) and --calibrated-on")
        meta.update(flag_threshold=args.set_threshold, calibrated_on=args.calibrated_on)
        meta.pop("calibration_wrong_points", None)
        save_model(model, args.model, meta)
        print(
            json.dumps({"flag_threshold": args.set_threshold, "calibrated_on": args.calibrated_on})
        )
        return 0
    if args.calibrate:
        scanner = Scanner(model, flag_threshold=1.0)
        data = load_photos(args.data / "validation", args.limit)
        report, confidences, wrongs = evaluate_split(scanner, data, None)
        threshold = calibrate(confidences, wrongs)
        meta.update(
            flag_threshold=threshold,
            calibrated_on=str(args.data / "validation"),
            calibration_wrong_points=int(wrongs.sum()),
        )
        save_model(model, args.model, meta)
        print(json.dumps({"flag_threshold": threshold, "validation": report}, indent=2))
        return 0
    scanner = Scanner(model, flag_threshold=float(meta.get("flag_threshold", 0.9)))
    data = load_photos(args.data / args.split, args.limit)
    report, _, _ = evaluate_split(scanner, data, None)
    result = {
        "command": " ".join(["python"] + sys.argv),
        "model": str(args.model),
        "model_sha256": hashlib.sha256(args.model.read_bytes()).hexdigest(),
        "model_bytes": args.model.stat().st_size,
        "model_meta": meta,
        "data": str(args.data / args.split),
        "dataset_manifest": json.loads((args.data / "manifest.json").read_text())
        if (args.data / "manifest.json").is_file()
        else None,
        "flag_threshold": scanner.flag_threshold,
        "split": args.split,
        "rendered": report,
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "load_average": os.getloadavg(),
            "torch_threads": torch.get_num_threads(),
        },
    }
    if args.gui:
        result["gui_shift_test"] = evaluate_gui(scanner, args.gui, args.seed)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
