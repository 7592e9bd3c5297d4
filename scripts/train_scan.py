"""Train the scan network (``zerogo.scan.model.ScanNet``) on rendered photos.

One network, three losses: per-pixel cross-entropy for the segmentation (background,
board, black, white), SSD's MultiBox loss (smooth L1 on matched priors' offsets,
cross-entropy with 3:1 hard-negative mining) for the stone boxes, and per-pixel binary
cross-entropy for the grid maps (``zerogo.scan.gridmaps``: the grid's area and its
crossings, drawn from each photo's grid corners; ``--grid-weight`` each).  Batches are random
``--crop`` squares of the training photos (or, one time in ``--whole``, the whole photo
scaled down to the crop's size), flipped and turned by quarter turns, a ``--colour``
share of them recoloured; a few photos without any board teach the network that tables
are not boards (training backgrounds only, ``empty_photos``).  AdamW, linear warm-up
then cosine decay, one CPU thread.

    nice -n 5 .venv/bin/python scripts/train_scan.py --data data/scan/photos \\
        --out zerogo/networks/scan-s320.pt --steps 700 --batch 8 --seed 1

Prints a progress bar; the model is written every ``--save-every`` steps and at the
end (with how it was trained in its ``meta``: ``runs``, the ``--init`` model's runs
followed by this one, so a model started from another keeps its whole lineage).  An
``--init`` model from before the grid head gets a new one (its other weights kept).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from nn.vision.segment import segmentation_loss
from nn.vision.ssd import multibox_loss, multibox_targets
from zerogo.scan.dataset import PhotoSet, load_photos
from zerogo.scan.gridmaps import GRID_MAPS, grid_targets
from zerogo.scan.model import ScanConfig, ScanNet, save_model
from zerogo.scan.render import TRAINING_BACKGROUNDS, RenderConfig, empty_photo

CLASS_WEIGHTS = (1.0, 1.0, 2.0, 2.0)
"""Segmentation class weights: stones, small and decisive, count double."""


def _turn(image: np.ndarray, mask: np.ndarray, boxes: np.ndarray, rng: np.random.Generator):
    """Flip and quarter-turn an image (H, W, 3), its mask (H, W) or (H, W, C) and boxes
    (K, 4) together."""
    size = image.shape[0]
    if rng.uniform() < 0.5:
        image, mask = image[:, ::-1], mask[:, ::-1]
        boxes = np.stack((size - boxes[:, 2], boxes[:, 1], size - boxes[:, 0], boxes[:, 3]), 1)
    for _ in range(int(rng.integers(4))):  # a quarter turn counter-clockwise: (x, y) -> (y, S - x)
        image, mask = np.rot90(image), np.rot90(mask)
        boxes = np.stack((boxes[:, 1], size - boxes[:, 2], boxes[:, 3], size - boxes[:, 0]), 1)
    return np.ascontiguousarray(image), np.ascontiguousarray(mask), boxes.reshape(-1, 4)


def _recolour(image: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Jitter an image's colours (3, H, W) in [0, 1]: channel mixing, gains, contrast, gray.

    Woods, stones and tables the renderer never drew differ first in colour; this
    keeps the network from leaning on the training families' exact hues.
    """
    mixing = torch.eye(3) + torch.from_numpy(rng.normal(0, 0.08, (3, 3))).float()
    gains = torch.from_numpy(rng.uniform(0.8, 1.2, 3)).float()
    out = torch.einsum("ij,jhw->ihw", mixing * gains[:, None], image)
    mean = out.mean()
    out = (out - mean) * float(rng.uniform(0.7, 1.3)) + mean + float(rng.uniform(-0.1, 0.1))
    if rng.uniform() < 0.1:
        out = out.mean(dim=0, keepdim=True).expand(3, -1, -1)
    return out.clamp(0, 1)


def sample_batch(
    data: PhotoSet,
    empties: list[np.ndarray],
    batch: int,
    crop: int,
    whole: float,
    rng: np.random.Generator,
    colour: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
    """Return images (B, 3, crop, crop), masks (B, crop, crop), boxes and labels per
    image, and grid maps (B, ``GRID_MAPS``, crop, crop) float in [0, 1].

    ``colour`` is the share of images whose colours are jittered (``_recolour``).
    """
    images, masks, boxes, labels, grids = [], [], [], [], []
    for _ in range(batch):
        if empties and rng.uniform() < 0.04:
            image = empties[int(rng.integers(len(empties)))]
            mask = np.zeros((*image.shape[:2], 1 + GRID_MAPS), np.uint8)
            box, label = np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
        else:
            i = int(rng.integers(len(data)))
            image = data.images[i]
            grid = grid_targets(
                data.corners[i], int(data.sizes[i]), data.masks[i].shape, data.occluded_points(i)
            )
            mask = np.concatenate((data.masks[i][..., None], grid), axis=2)
            box, label = data.boxes[i].copy(), data.box_labels[i].copy()
        height, width = mask.shape[:2]
        if rng.uniform() < whole:
            t = torch.from_numpy(image).permute(2, 0, 1)[None].float()
            image = F.interpolate(t, size=(crop, crop), mode="bilinear", antialias=True)[0]
            image = image.permute(1, 2, 0).clamp(0, 255).byte().numpy()
            m = torch.from_numpy(np.ascontiguousarray(mask[..., :1])).permute(2, 0, 1)[None].float()
            classes = F.interpolate(m, size=(crop, crop), mode="nearest")[0]
            g = torch.from_numpy(np.ascontiguousarray(mask[..., 1:])).permute(2, 0, 1)[None]
            maps = F.interpolate(g.float(), size=(crop, crop), mode="bilinear", antialias=True)[0]
            mask = torch.cat((classes, maps)).permute(1, 2, 0).round().clamp(0, 255).byte().numpy()
            box = box * np.array([crop / width, crop / height] * 2, np.float32)
        else:
            ox, oy = int(rng.integers(width - crop + 1)), int(rng.integers(height - crop + 1))
            image, mask = (
                image[oy : oy + crop, ox : ox + crop],
                mask[oy : oy + crop, ox : ox + crop],
            )
            area = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
            box = np.clip(box - np.array([ox, oy, ox, oy], np.float32), 0, crop)
            kept = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1]) >= 0.6 * np.maximum(area, 1e-6)
            box, label = box[kept], label[kept]
        image, mask, box = _turn(image, mask, box, rng)
        tensor = torch.from_numpy(image).permute(2, 0, 1).float() / 255.0
        images.append(_recolour(tensor, rng) if rng.uniform() < colour else tensor)
        masks.append(torch.from_numpy(mask[..., 0].astype(np.int64)))
        grids.append(torch.from_numpy(mask[..., 1:].astype(np.float32) / 255.0).permute(2, 0, 1))
        boxes.append(torch.from_numpy(box.astype(np.float32)))
        labels.append(torch.from_numpy(label.astype(np.int64)))
    return torch.stack(images), torch.stack(masks), boxes, labels, torch.stack(grids)


def with_grid_head(model: ScanNet) -> ScanNet:
    """Return ``model`` with a grid head: itself if it has one, else a copy with a new,
    untrained head and every other weight kept."""
    if model.grid is not None:
        return model
    grown = ScanNet(dataclasses.replace(model.config, grid_maps=GRID_MAPS))
    missing, unexpected = grown.load_state_dict(model.state_dict(), strict=False)
    if unexpected or any(not key.startswith("grid.") for key in missing):
        raise ValueError(f"cannot graft a grid head: {missing=}, {unexpected=}")
    return grown


EMPTY_PHOTOS = 48
"""How many photos without a board the training batches draw from."""


def grid_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of the grid maps, summed over the maps.

    logits and targets (B, ``GRID_MAPS``, H, W).  The crossings are rare pixels, so in
    each map the positive pixels weigh as much as the negative ones (``pos_weight``
    their ratio, at most 50), and the map's loss is scaled back by ``2 / (1 + ratio)``
    to the size of a plain mean.
    """
    total = logits.new_zeros(())
    for k in range(logits.shape[1]):
        target = targets[:, k]
        positive = float(target.sum())
        ratio = min((target.numel() - positive) / max(positive, 1.0), 50.0)
        loss = F.binary_cross_entropy_with_logits(
            logits[:, k], target, pos_weight=torch.tensor(ratio)
        )
        total = total + loss * 2.0 / (1.0 + ratio)
    return total


def empty_photos(count: int = EMPTY_PHOTOS) -> list[np.ndarray]:
    """The training's photos without a board: training backgrounds only
    (``render.TRAINING_BACKGROUNDS``, line backgrounds included), never a held-out
    family's (before 2026-12-05 these drew from every kind, ``stripes`` and the other
    held-out backgrounds included)."""
    return [
        empty_photo(np.random.default_rng(10_000 + k), RenderConfig(), TRAINING_BACKGROUNDS)
        for k in range(count)
    ]


def _train_split_command(data: Path) -> str | None:
    """The command that rendered ``data``'s training split (its ``manifest.json``), if known."""
    manifest = data / "manifest.json"
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text()).get("splits", {}).get("train", {}).get("command")


def lineage(init_meta: dict | None, run: dict) -> dict:
    """Return a trained model's ``meta``: the init model's runs, then this one.

    A model trained from ``--init`` keeps the record of every run behind it
    (``runs``, oldest first, and their ``cpu_seconds_total``); the init model's flag
    threshold is carried over, marked as not calibrated for these weights
    (``scripts/eval_scan.py --calibrate`` does that).
    """
    earlier = list((init_meta or {}).get("runs", []))
    if init_meta and not earlier and "steps" in init_meta:  # a single-run meta
        earlier = [{k: v for k, v in init_meta.items() if k not in ("flag_threshold",)}]
    runs = [*earlier, dict(run)]
    meta: dict = {
        "runs": runs,
        "cpu_seconds_total": round(sum(float(r.get("cpu_seconds", 0.0)) for r in runs), 1),
    }
    if init_meta and "flag_threshold" in init_meta:
        meta["flag_threshold"] = init_meta["flag_threshold"]
        meta["calibrated_on"] = "the init model (weights before the last run)"
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="dataset folder (train/ inside)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=700)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--whole", type=float, default=0.25, help="share of whole, scaled photos")
    parser.add_argument("--colour", type=float, default=0.0, help="share of recoloured photos")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="use at most this many photos")
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--init", type=Path, default=None, help="start from this model")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--grid-weight", type=float, default=1.0, help="weight of each grid map")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    start = time.time()
    data = load_photos(args.data / "train", args.limit)
    empties = empty_photos()
    print(f"{len(data)} training photos loaded in {time.time() - start:.0f} s", file=sys.stderr)
    init_meta = None
    if args.init is not None:
        from zerogo.scan.model import load_model

        model, init_meta = load_model(args.init)
        model = with_grid_head(model)
        model.train()
    else:
        model = ScanNet(ScanConfig())
    priors = model.priors(args.crop, args.crop)
    weights = torch.tensor(CLASS_WEIGHTS)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)

    def rate(step: int) -> float:
        if step < args.warmup:
            return (step + 1) / args.warmup
        progress = (step - args.warmup) / max(1, args.steps - args.warmup)
        return 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    run = {
        "command": " ".join(sys.argv),
        "photos": len(data),
        "steps": args.steps,
        "batch": args.batch,
        "crop": args.crop,
        "lr": args.lr,
        "seed": args.seed,
        "colour": args.colour,
        "init": str(args.init) if args.init else None,
        "grid_weight": args.grid_weight,
        "data_command": _train_split_command(args.data),
    }
    cpu_start = time.process_time()
    bar = tqdm(range(args.steps), desc="train scan", unit="step", file=sys.stderr)
    smooth: dict[str, float] = {}
    for step in bar:
        images, masks, boxes, labels, grids = sample_batch(
            data, empties, args.batch, args.crop, args.whole, rng, args.colour
        )
        target_labels, target_offsets = multibox_targets(
            boxes, labels, priors, model.config.match_iou
        )
        seg_logits, box_logits, offsets, grid_logits = model(images)
        seg = segmentation_loss(seg_logits, masks, weights)
        det, parts = multibox_loss(box_logits, offsets, target_labels, target_offsets)
        grid = grid_loss(grid_logits, grids)
        loss = seg + det + args.grid_weight * grid
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        scheduler.step()
        for name, value in (
            ("seg", float(seg)),
            ("loc", parts["location"]),
            ("conf", parts["confidence"]),
            ("grid", float(grid)),
        ):
            smooth[name] = value if name not in smooth else 0.95 * smooth[name] + 0.05 * value
        bar.set_postfix({k: f"{v:.3f}" for k, v in smooth.items()})
        if (step + 1) % args.save_every == 0 or step + 1 == args.steps:
            run.update(
                done_steps=step + 1,
                wall_seconds=round(time.time() - start, 1),
                cpu_seconds=round(time.process_time() - cpu_start, 1),
                final_losses={k: round(v, 4) for k, v in smooth.items()},
            )
            save_model(model, args.out, lineage(init_meta, run))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
