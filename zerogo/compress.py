"""``zerogo compress``: smaller or faster forms of a trained network.

Four actions, each in its own module (imported only when it runs):

=========  ===============================  =============================================
action     module                           writes
=========  ===============================  =============================================
quantize   ``zerogo.compress_quantize``     an int8 model calibrated on self-play positions
distill    ``zerogo.compress_distill``      a smaller student checkpoint (Hinton's loss)
prune      ``zerogo.compress_prune``        a magnitude- or channel-pruned checkpoint
export     ``zerogo.compress_quantize``     an ONNX graph of a checkpoint (float32)
=========  ===============================  =============================================

Each module exposes ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int`` like a
``zerogo`` subcommand; the library code lives in ``nn.compress`` (no Go in it) and the
Go glue (positions, evaluators) in the modules above.
"""

from __future__ import annotations

import argparse
import importlib

HELP = "compress a network: int8 quantization, distillation, pruning, ONNX export"
DESCRIPTION = """Compress a trained network into a smaller or faster form that
'zerogo gtp --weights' and 'zerogo play --weights' load.

  zerogo compress quantize --weights zerogo/networks/b6c64-9x9.pt -o b6c64-int8.onnx
  zerogo compress distill --teacher zerogo/networks/b6c64-9x9.pt --student b4c48 -o s.pt
  zerogo compress prune --weights zerogo/networks/b6c64-9x9.pt --method channels \\
      --amount 0.5 -o p.pt
  zerogo compress export --weights zerogo/networks/b6c64-9x9.pt -o b6c64.onnx

Run 'zerogo compress ACTION --help' for the options of each."""

# action -> module implementing it
ACTIONS = {
    "quantize": "zerogo.compress_quantize",
    "distill": "zerogo.compress_distill",
    "prune": "zerogo.compress_prune",
    "export": "zerogo.compress_quantize",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, module_name in ACTIONS.items():
        module = importlib.import_module(module_name)
        helps = getattr(module, "ACTION_HELP", {})
        child = sub.add_parser(
            action,
            help=helps.get(action, module.HELP),
            description=helps.get(action, module.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        adder = getattr(module, f"add_{action}_arguments", None) or module.add_arguments
        adder(child)
        child.set_defaults(_action_module=module)


def run(args: argparse.Namespace) -> int:
    module = args._action_module
    runner = getattr(module, f"run_{args.action}", None) or module.run
    return int(runner(args) or 0)
