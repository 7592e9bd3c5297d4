"""``zerogo compress prune``: a magnitude- or channel-pruned copy of a network.

The Go glue of ``nn.compress.prune``, on a checkpoint:

* ``--method magnitude``: global magnitude pruning of every convolution and linear
  layer's weights to ``--amount`` sparsity, in ``--steps`` rounds (Zhu and Gupta's
  schedule), fine-tuned between rounds; the masks are then made permanent.  Same
  shapes, so the same speed on a dense runtime: the zeros are the gain.
* ``--method channels``: structured pruning of the residual blocks' middles: each
  block (``--scope block``) or the tower as a whole (``--scope global``) loses
  ``--amount`` of its middle channels, those of least importance (``--criterion``),
  in ``--steps`` rounds with fine-tuning between them.  Right after a block shrinks,
  its second convolution is refit by least squares so that the block gives what the
  original block gave on ``--calibration-positions`` training positions
  (``nn.compress.prune.refit_block``; ``--no-refit`` skips it).  The convolutions
  really shrink; the checkpoint's ``NetConfig.inner_channels`` records the new
  widths, so ``zerogo gtp --weights`` and ``zerogo play --weights`` rebuild the
  smaller network.  Global-pooling blocks and the stem and heads are left as they
  are.

Fine-tuning (``--finetune-samples`` in all, spread over the rounds) is distillation
from the unpruned network on the fixed dataset (``zerogo.compress_distill.fit``,
``--alpha`` and ``--beta`` the weights of its policy and value: 1 and 1 by default,
the original's outputs only, which kept the pruned network closest to it; 0 and 0:
the dataset's targets only), by SGD with the batch norms' statistics kept
(``zerogo.compress_distill.fit`` says why).  The report compares the pruned network
with the original on the test split: parameters, multiply-adds, policy top-1,
agreement, value MSE.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zerogo.compress_distill import add_data_arguments

if TYPE_CHECKING:
    from torch import Tensor
    from torch import nn as tnn

    from nn.go_net import GoNet, NetConfig

HELP = "prune a network: global magnitude pruning or channel pruning that shrinks the convs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        HELP
        + """.

  zerogo compress prune --weights zerogo/networks/b6c64-9x9.pt --method channels \\
      --amount 0.5 --steps 2 --finetune-samples 100000 -o b6c64-i32.pt
  zerogo compress prune --weights zerogo/networks/b6c64-9x9.pt --method magnitude \\
      --amount 0.7 --steps 4 --finetune-samples 100000 -o b6c64-sparse70.pt"""
    )
    parser.add_argument("--weights", required=True, help="the network to prune (checkpoint)")
    parser.add_argument(
        "--method",
        choices=("magnitude", "channels"),
        default="channels",
        help="magnitude: zero single weights; channels: remove residual-block middle "
        "channels (default)",
    )
    parser.add_argument(
        "--amount",
        type=float,
        default=0.5,
        help="fraction of the weights (magnitude) or middle channels (channels) to remove (0.5)",
    )
    parser.add_argument("--steps", type=int, default=2, help="prune/fine-tune rounds (2)")
    parser.add_argument(
        "--finetune-samples",
        type=int,
        default=50_000,
        help="fine-tuning samples in all, spread over the rounds (50000; 0: none)",
    )
    parser.add_argument(
        "--criterion",
        choices=("gamma_out", "l1_gamma"),
        default="gamma_out",
        help="channel importance: gamma_out (|norm scale| x L1 of the weights reading the "
        "channel, default) or l1_gamma (L1 of the filter x |norm scale|)",
    )
    parser.add_argument(
        "--scope",
        choices=("block", "global"),
        default="block",
        help="channels: the same fraction from every block (default), or the least "
        "important of the whole tower",
    )
    parser.add_argument(
        "--multiple-of", type=int, default=1, help="round kept widths up to a multiple (1)"
    )
    parser.add_argument(
        "--no-refit",
        dest="refit",
        action="store_false",
        help="channels: do not refit each shrunk block's second convolution by least "
        "squares to the original block's output (refit is on by default)",
    )
    parser.add_argument(
        "--calibration-positions",
        type=int,
        default=2048,
        help="channels: training positions the refit fits on (2048)",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=1.0,
        help="fine-tuning: weight of the original's policy against the dataset's, 0..1 (1)",
    )
    parser.add_argument(
        "--beta",
        type=float,
        default=1.0,
        help="fine-tuning: weight of the original's value against the results, 0..1 (1)",
    )
    parser.add_argument(
        "--temperature", type=float, default=1.0, help="fine-tuning: T of the soft policy (1)"
    )
    parser.add_argument(
        "--update-norm-statistics",
        action="store_true",
        help="fine-tuning: let the batch norms re-estimate their statistics on the dataset "
        "(kept by default: re-estimated, they moved an unpruned copy away from the original)",
    )
    add_data_arguments(parser, lr=0.01, optimizer="sgd")
    parser.add_argument("-o", "--out", required=True, help="pruned checkpoint to write")


def run(args: argparse.Namespace) -> int:
    try:
        return _prune(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"zerogo compress prune: {exc}")
        return 2


def tower_blocks(model: GoNet) -> list[tnn.Module]:
    """Return the tower's ``ResidualBlock``s, the ones channel pruning shrinks.

    Raises:
        ValueError: if the network's trunk is not the resnet or its norm mixes
            channels (layer, group).
    """
    return [block for _, block in _indexed_blocks(model)]


def _indexed_blocks(model: GoNet) -> list[tuple[int, tnn.Module]]:
    """Return (tower index, block) of each ``ResidualBlock`` (``tower_blocks``)."""
    from nn.blocks import ResidualBlock

    config = model.config
    if config.trunk != "resnet":
        raise ValueError(f"channel pruning needs a resnet tower, not a {config.trunk} trunk")
    if config.norm not in ("batch", "instance", "none"):
        raise ValueError(f"channel pruning needs a per-channel norm, not {config.norm!r}")
    return [
        (index, block)
        for index, block in enumerate(model.tower.children())
        if isinstance(block, ResidualBlock)
    ]


class Refitter:
    """An ``after_block`` for ``nn.compress.prune.prune_channels`` that refits each block.

    Block ``i`` of ``tower_blocks(model)`` gets its second convolution refit
    (``nn.compress.prune.refit_block``) to the output of the same block of
    ``original`` on the positions ``planes`` (batches of (B, C, N, N)): the pruned
    block sees what the pruned network's earlier blocks give, the original block
    what the original's give.

    Attributes:
        errors: the relative residual of each refit since the last ``clear()``.
    """

    def __init__(self, model: GoNet, original: GoNet, planes: list[Tensor]) -> None:
        self.model = model
        self.original = original
        self.planes = planes
        self.towers = {id(block): index for index, block in _indexed_blocks(model)}
        self.reference = dict(_indexed_blocks(original))
        self.errors: list[float] = []

    def clear(self) -> None:
        """Forget the residuals of earlier rounds."""
        self.errors = []

    def __call__(self, _: int, block: tnn.Module) -> None:
        from nn.compress.prune import refit_block

        index = self.towers[id(block)]
        self.model.eval()
        pairs = (
            (self._block_input(self.model, index, x), self._block_input(self.original, index, x))
            for x in self.planes
        )
        self.errors.append(refit_block(block, self.reference[index], pairs))

    @staticmethod
    def _block_input(net: GoNet, index: int, x: Tensor) -> Tensor:
        """Return the input of tower block ``index`` of ``net`` for planes ``x``."""
        import torch

        with torch.no_grad():
            return net.tower[:index](net.stem(x))  # type: ignore[index]


def pruned_config(model: GoNet) -> NetConfig:
    """Return ``model.config`` with the inner widths its tower has now."""
    from nn.blocks import ResidualBlock

    widths = tuple(
        block.first.conv.out_channels if isinstance(block, ResidualBlock) else model.config.channels
        for block in model.tower.children()
    )
    return dataclasses.replace(model.config, inner_channels=widths)


def rebuild(model: GoNet) -> GoNet:
    """Return a fresh ``GoNet`` of ``pruned_config(model)`` holding ``model``'s weights.

    Proves that the config alone rebuilds the pruned network (as a checkpoint will).
    """
    from nn.go_net import GoNet

    config = pruned_config(model)
    fresh = GoNet(config)
    fresh.load_state_dict(model.state_dict(), strict=True)
    return fresh.eval()


def _prune(args: argparse.Namespace) -> int:
    import torch

    from nn.checkpoint import load_checkpoint, save_checkpoint
    from nn.compress import prune
    from nn.compress.distill import DistillConfig
    from zerogo.compress_distill import check_common as check
    from zerogo.compress_distill import (
        describe,
        evaluate,
        fit,
        open_dataset,
        print_report,
        write_json,
    )

    check(args, args.finetune_samples)
    if args.steps < 1 or not 0.0 <= args.amount < 1.0 or args.multiple_of < 1:
        raise ValueError("--steps and --multiple-of must be positive, --amount in [0, 1)")
    if args.calibration_positions < 1:
        raise ValueError("--calibration-positions must be positive")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    model, config, extra = load_checkpoint(args.weights)
    original = copy.deepcopy(model).eval()
    features = extra["feature_config"]
    loss_config = DistillConfig(args.temperature, args.alpha, args.beta)
    dataset = open_dataset(
        args.data, features, args.batch_size, args.seed, args.eval_positions, config.board_size
    )
    per_round = args.finetune_samples // args.steps
    torch.manual_seed(args.seed)

    def finetune(step: int) -> None:
        if per_round > 0:
            fit(
                model,
                original,
                dataset,
                per_round,
                loss_config,
                lr=args.lr,
                weight_decay=args.weight_decay,
                optimizer=args.optimizer,
                quiet=args.quiet,
                freeze_norm_statistics=not args.update_norm_statistics,
                label=f"fine-tune {step + 1}/{args.steps}",
            )

    schedule = prune.sparsity_schedule(args.amount, args.steps)
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    details: dict[str, Any]
    if args.method == "magnitude":
        weights = prune.prunable_weights(model)
        reached = prune.prune_iteratively(weights, args.amount, args.steps, finetune)
        prune.make_permanent(weights)
        details = {
            "sparsity_per_round": [round(s, 4) for s in reached],
            "sparsity": round(prune.sparsity(weights), 4),
        }
        result, result_config = model.eval(), config
    else:
        blocks = tower_blocks(model)
        original_widths = prune.inner_widths(blocks)
        widths: list[int] = original_widths
        refit = None
        if args.refit:
            calibration = dataset.sampler.sample(args.calibration_positions).planes
            refit = Refitter(model, original, list(calibration.split(256)))
        for step, goal in enumerate(schedule):
            if refit is not None:
                refit.clear()
            widths = prune.prune_channels(
                blocks,
                goal,
                criterion=args.criterion,
                scope=args.scope,
                original_widths=original_widths,
                multiple_of=args.multiple_of,
                after_block=refit,
            )
            fits = ""
            if refit is not None and refit.errors:
                fits = f", refit residuals {' '.join(f'{e:.3f}' for e in refit.errors)}"
            print(f"round {step + 1}/{args.steps}: middle widths {widths}{fits}", flush=True)
            finetune(step)
        result = rebuild(model)
        result_config = result.config
        details = {"inner_channels": widths}
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    settings = {
        "weights": str(args.weights),
        "method": args.method,
        "amount": args.amount,
        "steps": args.steps,
        "finetune_samples": args.finetune_samples,
        "criterion": args.criterion,
        "scope": args.scope,
        "multiple_of": args.multiple_of,
        "refit": bool(args.refit) and args.method == "channels",
        "calibration_positions": args.calibration_positions,
        "alpha": args.alpha,
        "beta": args.beta,
        "temperature": args.temperature,
        "optimizer": args.optimizer,
        "lr": args.lr,
        "update_norm_statistics": bool(args.update_norm_statistics),
        "batch_size": args.batch_size,
        "seed": args.seed,
        "data": str(args.data),
        **details,
    }
    out = Path(args.out)
    save_checkpoint(
        out,
        result,
        result_config,
        {"parent": extra.get("name"), "origin": "prune", "prune": settings},
        feature_config=features,
    )
    size, planes = config.board_size, config.in_planes
    columns = {
        "original": {
            "name": config.name,
            **describe(original, size, planes),
            **evaluate(original, None, dataset.test),
        },
        "pruned": {
            "name": result_config.name,
            **describe(result, size, planes),
            **evaluate(result, original, dataset.test),
        },
    }
    summary = ", ".join(f"{key} {value}" for key, value in details.items())
    print(f"pruned ({summary}) in {cpu:.0f} CPU-s ({wall:.0f} s wall); wrote {out}")
    print_report(columns, "original")
    write_json(
        args.json,
        {
            "command": "prune",
            "settings": settings,
            "columns": columns,
            "cpu_seconds": round(cpu, 1),
            "wall_seconds": round(wall, 1),
        },
    )
    return 0


__all__ = ["HELP", "Refitter", "add_arguments", "pruned_config", "rebuild", "run", "tower_blocks"]
