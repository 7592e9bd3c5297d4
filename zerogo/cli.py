"""The ``zerogo`` command: one entry point, one subcommand per module.

Each subcommand module exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int`` (the exit status).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from zerogo import __version__

SUBCOMMANDS = {
    "play": "zerogo.play",
    "gtp": "zerogo.gtp",
    "match": "zerogo.match",
    "bench": "zerogo.bench",
}


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of ``zerogo`` with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="zerogo",
        description="zerogo: a Go engine that learns by self-play. Run 'zerogo COMMAND --help'.",
    )
    parser.add_argument("--version", action="version", version=f"zerogo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        child = sub.add_parser(
            name,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(child)
        child.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``zerogo`` with ``argv`` (default: the process arguments); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_module", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
