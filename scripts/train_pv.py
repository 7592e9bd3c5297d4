"""Train the three PV decoders, with and without scheduled sampling, on the same samples.

Reads the dataset of ``scripts/make_pv_dataset.py`` (``train/`` and ``test/`` shard
folders), trains one ``zerogo.pv_model.PVModel`` per decoder (GRU with attention,
WaveNet, Transformer) and per training mode:

* ``tf``: teacher forcing;
* ``ss``: scheduled sampling (``nn.sequence.sampling``; inverse-sigmoid schedule
  rising to ``--max-feed-prob``, halfway at mid-training).

Every run starts from the same seed and sees the same batches (positions and board
symmetries drawn by one seeded generator per run), for ``--samples`` samples, with
AdamW and a cosine learning rate; one torch thread.  On the held-out ``test/``
positions it measures:

* first-move top-1: the decoder's first token is the search's move;
* exact prefix: mean number of leading moves of the greedy (unconstrained) decoded
  line equal to the searched PV's, and the mean length of the searched PVs;
* per-move perplexity: ``exp`` of the mean teacher-forced cross-entropy over the move
  tokens (END excluded; with END in ``perplexity_all``);
* sequences/s: greedy decoding (encoder included) of 64 positions at once and of one,
  per CPU-second of this one-thread process (what an idle core would do; the machine
  these ran on was shared);
* parameters and multiply-adds (``nn.flops``) of one teacher-forced example;
* training CPU-seconds (``time.process_time`` of the loop).

Two reference rows need no training: ``policy`` rolls out the shipped network's
policy (its most probable legal move for each side in turn, ``--reference``), and
``prior`` always predicts the most frequent first move of the training set.

Each run's JSON record goes to ``--out`` (``{decoder}-{mode}.json``); ``results.json``
gathers the reference rows and every run record in ``--out`` (earlier invocations'
too, so one decoder can be retrained alone).  ``--save-models DIR`` keeps the trained
models; ``--ship PATH`` writes this invocation's best by exact prefix there.

Usage::

    nice -n 5 .venv/bin/python scripts/train_pv.py --data benchmarks/pv/dataset \\
        --samples 40000 --out benchmarks/pv
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.features import features  # noqa: E402
from engine.game import Game  # noqa: E402
from nn.flops import count_macs  # noqa: E402
from nn.sequence.sampling import (  # noqa: E402
    IGNORE,
    SamplingSchedule,
    scheduled_sampling_inputs,
    sequence_loss,
    sequences_per_second,
    shift_right,
)
from selfplay.shards import list_shards, position_pvs, read_shard  # noqa: E402
from zerogo.pv_model import (  # noqa: E402
    DECODERS,
    PVConfig,
    PVData,
    PVModel,
    augment,
    end_token,
    load_pv_data,
    prefix_lengths,
    pv_tokens,
    save_pv_model,
    start_token,
)

ROOT = Path(__file__).resolve().parent.parent
MODES = ("tf", "ss")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(ROOT / "benchmarks" / "pv" / "dataset"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "pv"))
    parser.add_argument("--decoders", default=",".join(DECODERS), help="comma-separated")
    parser.add_argument("--modes", default=",".join(MODES), help="tf (teacher forcing), ss")
    parser.add_argument("--samples", type=int, default=40000, help="training samples per run")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument(
        "--max-feed-prob",
        type=float,
        default=0.5,
        help="scheduled sampling: the feeding probability it rises to",
    )
    parser.add_argument("--schedule", default="inverse_sigmoid", help="scheduled sampling ramp")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--speed-seconds", type=float, default=1.0, help="timing of each sequences/s figure"
    )
    parser.add_argument(
        "--reference",
        default=str(ROOT / "zerogo" / "networks" / "b6c64-9x9.pt"),
        help="network of the policy roll-out reference row ('' to skip)",
    )
    parser.add_argument("--save-models", default=None, metavar="DIR")
    parser.add_argument(
        "--ship", default=None, metavar="PATH", help="write the best model (by exact prefix) here"
    )
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


# -- training -------------------------------------------------------------------------
def train_one(
    config: PVConfig, mode: str, data: PVData, args: argparse.Namespace
) -> tuple[PVModel, float, float]:
    """Train one model; return it, its training CPU-seconds and its last mean loss."""
    torch.manual_seed(args.seed)
    model = PVModel(config)
    rng = np.random.default_rng(args.seed)
    generator = torch.Generator().manual_seed(args.seed + 1)
    steps = max(1, args.samples // args.batch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    warmup = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (
            min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps))
        ),
    )
    schedule = SamplingSchedule(args.schedule, steps, args.max_feed_prob)
    start = start_token(config.size)
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=steps, desc=f"{config.decoder}-{mode}", unit="step", leave=False)
    recent: list[float] = []
    model.train()
    cpu = time.process_time()
    for step in range(steps):
        rows = rng.integers(0, len(data), args.batch)
        ks = rng.integers(0, 8, args.batch)
        planes, targets = augment(data.planes[rows], data.targets[rows], ks, config.size)
        x = torch.from_numpy(planes).float()
        y = torch.from_numpy(targets)
        inputs = shift_right(y, start)
        context = model.encoder(x)
        if mode == "ss":
            inputs = scheduled_sampling_inputs(
                model.decoder, inputs, context.detach(), schedule.feed_prob(step), generator
            )
        loss = sequence_loss(model.decoder(inputs, context), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        recent = (recent + [loss.item()])[-50:]
        if bar is not None:
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(
                    loss=f"{np.mean(recent):.3f}",
                    p=f"{schedule.feed_prob(step):.2f}" if mode == "ss" else "0",
                )
    cpu = time.process_time() - cpu
    if bar is not None:
        bar.close()
    return model.eval(), cpu, float(np.mean(recent))


# -- evaluation -----------------------------------------------------------------------
@torch.no_grad()
def evaluate(model: PVModel, data: PVData, batch: int = 256) -> dict[str, Any]:
    """Return the held-out metrics of ``model`` on ``data`` (see the module docstring)."""
    size = model.config.size
    end, start = end_token(size), start_token(size)
    first_hits, nll_moves, n_moves, nll_all, n_all, prefixes = 0, 0.0, 0, 0.0, 0, []
    for lo in range(0, len(data), batch):
        x = torch.from_numpy(data.planes[lo : lo + batch]).float()
        y = torch.from_numpy(data.targets[lo : lo + batch])
        logits = model(x, shift_right(y, start))
        first_hits += int((logits[:, 0].argmax(-1) == y[:, 0]).sum())
        logp = torch.log_softmax(logits, dim=-1)
        valid = y != IGNORE
        picked = logp.gather(-1, y.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        moves = valid & (y != end)
        nll_moves -= float(picked[moves].sum())
        n_moves += int(moves.sum())
        nll_all -= float(picked[valid].sum())
        n_all += int(valid.sum())
        decoded = model.decode(x).numpy()
        prefixes.append(prefix_lengths(decoded, data.targets[lo : lo + batch], size))
    lengths = ((data.targets != IGNORE) & (data.targets != end)).sum(1)
    prefix = np.concatenate(prefixes)
    return {
        "positions": len(data),
        "first_move_top1": round(first_hits / len(data), 4),
        "mean_prefix_length": round(float(prefix.mean()), 3),
        "mean_pv_length": round(float(lengths.mean()), 3),
        "perplexity": round(math.exp(nll_moves / n_moves), 3),
        "perplexity_all": round(math.exp(nll_all / n_all), 3),
    }


def speed(model: PVModel, data: PVData, seconds: float = 1.0) -> dict[str, float]:
    """Return greedy-decoding sequences per CPU-second (one thread) at batch 64 and 1."""
    x64 = torch.from_numpy(data.planes[:64]).float()
    x1 = x64[:1]
    clock = time.process_time
    return {
        "sequences_per_s_batch64": round(
            sequences_per_second(lambda: model.decode(x64), len(x64), seconds, clock=clock), 1
        ),
        "sequences_per_s_batch1": round(
            sequences_per_second(lambda: model.decode(x1), 1, seconds, clock=clock), 1
        ),
    }


def counts(model: PVModel, data: PVData) -> dict[str, int]:
    x = torch.from_numpy(data.planes[:1]).float()
    inputs = shift_right(torch.from_numpy(data.targets[:1]), start_token(model.config.size))
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "params_decoder": sum(p.numel() for p in model.decoder.parameters()),
        "macs": count_macs(model, x, inputs),
        "macs_decoder": count_macs(model.decoder, inputs, model.encoder(x)),
    }


# -- references ---------------------------------------------------------------------
def test_games(folder: Path, max_moves: int) -> list[tuple[Game, np.ndarray]]:
    """Return every test position with a PV as (game up to it, target tokens)."""
    out = []
    for path in list_shards(folder):
        arrays = read_shard(path)
        pvs = position_pvs(arrays)
        if pvs is None:
            continue
        offsets = arrays["game_offsets"]
        for g in range(len(arrays["game_ids"])):
            lo, hi = int(offsets[g]), int(offsets[g + 1])
            game = Game(int(arrays["size"][g]), float(arrays["komi"][g]))
            for i in range(lo, hi):
                if len(pvs[i]):
                    out.append((_copy_game(game), pv_tokens(pvs[i], game.size, max_moves)))
                game.play(int(arrays["moves"][i]))
    return out


def _copy_game(game: Game) -> Game:
    return game.replay()


@torch.no_grad()
def policy_rollout(
    weights: str, positions: list[tuple[Game, np.ndarray]], max_moves: int
) -> dict[str, Any]:
    """The reference of a network's policy alone: its most probable legal move for each
    side in turn, ``max_moves`` deep, scored like the decoders."""
    from nn.checkpoint import load_checkpoint

    net, _, extra = load_checkpoint(weights)
    feature_config = extra["feature_config"]
    games = [game for game, _ in positions]
    size = games[0].size
    lines: list[list[int]] = [[] for _ in games]
    first_hits = 0
    cpu = time.process_time()
    for depth in range(max_moves):
        live = [k for k, g in enumerate(games) if not g.is_over]
        if not live:
            break
        x = torch.from_numpy(np.stack([features(games[k], feature_config) for k in live]))
        logits = net(x)[0]
        for row, k in enumerate(live):
            legal = torch.from_numpy(games[k].board.legal_mask())
            action = int(logits[row].masked_fill(~legal, float("-inf")).argmax())
            if depth == 0 and action == positions[k][1][0]:
                first_hits += 1
            lines[k].append(action)
            games[k].play(action, games[k].to_move)
    targets = np.stack([t for _, t in positions])
    predicted = np.full((len(lines), max_moves + 1), end_token(size), dtype=np.int64)
    for k, line in enumerate(lines):
        predicted[k, : len(line)] = line
    return {
        "name": "policy",
        "decoder": f"policy roll-out of {Path(weights).name}",
        "positions": len(positions),
        "first_move_top1": round(first_hits / len(positions), 4),
        "mean_prefix_length": round(float(prefix_lengths(predicted, targets, size).mean()), 3),
        "cpu_seconds_eval": round(time.process_time() - cpu, 1),
    }


def prior_baseline(train: PVData, test: PVData, size: int) -> dict[str, Any]:
    """The reference of no model: always the most frequent first move of training."""
    first = np.bincount(train.targets[:, 0], minlength=size * size + 2).argmax()
    return {
        "name": "prior",
        "decoder": "most frequent first move",
        "positions": len(test),
        "first_move_top1": round(float((test.targets[:, 0] == first).mean()), 4),
    }


# -- main -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    data_dir, out = Path(args.data), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = PVConfig()
    train = load_pv_data(data_dir / "train", base)
    test = load_pv_data(data_dir / "test", base)
    if not len(train) or not len(test):
        print(f"no PV positions in {data_dir}/train or /test", file=sys.stderr)
        return 2
    print(f"{len(train)} training and {len(test)} test positions with a PV")
    manifest = data_dir / "manifest.json"
    dataset = json.loads(manifest.read_text()) if manifest.exists() else {}
    dataset_note = {key: dataset.get(key) for key in ("games", "visits", "seed", "counts")}
    results: list[dict[str, Any]] = [prior_baseline(train, test, base.size)]
    if args.reference:
        results.append(
            policy_rollout(
                args.reference, test_games(data_dir / "test", base.max_moves), base.max_moves
            )
        )
    best: tuple[dict[str, Any], PVModel] | None = None
    for decoder in args.decoders.split(","):
        for mode in args.modes.split(","):
            config = PVConfig(decoder=decoder)
            model, cpu, loss = train_one(config, mode, train, args)
            record = {
                "name": f"{decoder}-{mode}",
                "decoder": decoder,
                "mode": mode,
                "samples": (args.samples // args.batch) * args.batch,
                "batch": args.batch,
                "lr": args.lr,
                "schedule": args.schedule if mode == "ss" else None,
                "max_feed_prob": args.max_feed_prob if mode == "ss" else 0.0,
                "seed": args.seed,
                "train_positions": len(train),
                "final_train_loss": round(loss, 4),
                "cpu_seconds_train": round(cpu, 1),
                **evaluate(model, test),
                **speed(model, test, args.speed_seconds),
                **counts(model, test),
                "config": config.to_dict(),
                "data": str(data_dir),
                "dataset": dataset_note,
                "command": "scripts/train_pv.py "
                + " ".join(sys.argv[1:] if argv is None else argv),
            }
            (out / f"{decoder}-{mode}.json").write_text(json.dumps(record, indent=2) + "\n")
            results.append(record)
            print(json.dumps({k: v for k, v in record.items() if k not in ("config", "command")}))
            if args.save_models:
                save_pv_model(
                    Path(args.save_models) / f"pv-{decoder}-{mode}.pt",
                    model,
                    {
                        "name": record["name"],
                        "metrics": {
                            k: record[k]
                            for k in ("first_move_top1", "mean_prefix_length", "perplexity")
                        },
                    },
                )
            if best is None or record["mean_prefix_length"] > best[0]["mean_prefix_length"]:
                best = (record, model)
    # every run's record in --out, earlier invocations' included (a decoder can be
    # retrained alone); this invocation's references
    runs = [out / f"{d}-{m}.json" for d in DECODERS for m in MODES]
    results = [r for r in results if "mode" not in r]
    results += [json.loads(path.read_text()) for path in runs if path.exists()]
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    if args.ship and best is not None:
        best_record, model = best
        save_pv_model(
            args.ship,
            model,
            {
                "name": best_record["name"],
                "metrics": {
                    k: best_record[k]
                    for k in ("first_move_top1", "mean_prefix_length", "perplexity")
                },
            },
        )
        print(f"shipped {best_record['name']} -> {args.ship}")
    print(table(results))
    return 0


def table(results: list[dict[str, Any]]) -> str:
    """Return the results as a Markdown table."""
    head = (
        "| model | first-move top-1 | exact prefix (of PV length) | per-move ppl | seq/s b64 "
        "| seq/s b1 | params | MACs | train CPU-s |"
    )
    lines = [head, "|" + " --- |" * 9]
    for r in results:
        prefix = r.get("mean_prefix_length")
        pv = r.get("mean_pv_length")
        lines.append(
            f"| {r['name']} | {r['first_move_top1']:.3f} | "
            f"{'' if prefix is None else f'{prefix:.2f}'}{'' if pv is None else f' ({pv:.2f})'} | "
            f"{r.get('perplexity', '')} | {r.get('sequences_per_s_batch64', '')} | "
            f"{r.get('sequences_per_s_batch1', '')} | {r.get('params', '')} | "
            f"{r.get('macs', '')} | {r.get('cpu_seconds_train', '')} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
