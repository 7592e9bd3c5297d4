"""The ``zerogo`` command: one entry point, one subcommand per module.

Each subcommand module exposes ``HELP`` (one line), optionally ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args) -> int`` (the exit status).  Only the
module of the command being run is imported, so start-up stays fast.  A refused
input file (``engine.sgf.SgfError``, ``nn.checkpoint.CheckpointError``) that the
command does not handle itself ends it with one line on stderr and status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from zerogo import __version__

# name -> (module, one-line help shown by `zerogo --help`)
SUBCOMMANDS = {
    "play": ("zerogo.play", "play a game against the engine"),
    "gtp": ("zerogo.gtp", "run the engine over GTP (Sabaki, GoGui, match runners)"),
    "match": ("zerogo.match", "play two GTP engines against each other and report strength"),
    "train": ("zerogo.train", "learn by self-play (AlphaGo Zero loop), resumable"),
    "baseline": (
        "zerogo.baseline",
        "train the RL baselines: policy gradient, supervised, value net, Q-learning, DQN",
    ),
    "league": (
        "zerogo.league",
        "round robin of random, MCTS, PG, DQN and AlphaGo Zero networks; ML Elo",
    ),
    "anchor": ("zerogo.anchor", "anchor promoted networks' Elo against GNU Go level 10"),
    "ladder": (
        "zerogo.ladder",
        "the yardstick: calibrate the fixed ladder of reference players, place networks on it",
    ),
    "score": ("zerogo.score", "score an SGF game by area, with dead stones estimated"),
    "bench": ("zerogo.bench", "measure engine speed (playouts/s, network, self-play)"),
    "scan": ("zerogo.scan", "read a Go position from a photo and write it as SGF"),
    "compress": (
        "zerogo.compress",
        "compress a network: int8 quantization, distillation, pruning, ONNX export",
    ),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Return the parser of ``zerogo``; the arguments of ``command`` are filled in."""
    parser = argparse.ArgumentParser(
        prog="zerogo",
        description="zerogo: a Go engine that learns by self-play. Run 'zerogo COMMAND --help'.",
    )
    parser.add_argument("--version", action="version", version=f"zerogo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        if name != command:
            sub.add_parser(name, help=help_text)
            continue
        module = importlib.import_module(module_name)
        child = sub.add_parser(
            name,
            help=help_text,
            description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(child)
        child.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``zerogo`` with ``argv`` (default: the process arguments); return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    if getattr(args, "_module", None) is None:
        parser.print_help()
        return 0 if not argv or "-h" in argv or "--help" in argv else 2
    try:
        return int(args._module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except ValueError as exc:
        if not _is_refused_file(exc):
            raise
        # a file the user gave was refused where the command did not expect it (e.g. a
        # network loaded at the first move): one line and status 2, not a traceback
        print(f"zerogo {args.command}: {exc}", file=sys.stderr)
        return 2


# (module, class) of the errors that mean "this input file cannot be used"
_FILE_ERRORS = (("engine.sgf", "SgfError"), ("nn.checkpoint", "CheckpointError"))


def _is_refused_file(exc: BaseException) -> bool:
    """Return whether ``exc`` is an ``SgfError`` or a ``CheckpointError``.

    Only modules already imported are looked at (one that is not imported cannot
    have raised), so the check imports nothing, torch least of all.
    """
    kinds = [getattr(sys.modules.get(module), name, None) for module, name in _FILE_ERRORS]
    return any(isinstance(kind, type) and isinstance(exc, kind) for kind in kinds)
