"""``zerogo bench``: speed benchmarks (playouts now; network and self-play later)."""

from __future__ import annotations

import argparse
import json

HELP = "measure engine speed (playouts/s, ...)"
DESCRIPTION = """Speed benchmarks. Results are ratios on a noisy machine: compare runs made
together, never assert timings in tests.

  zerogo bench playouts --size 9 --threads 1 --seconds 5 --json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    playouts = sub.add_parser("playouts", help="random playouts per second from the empty board")
    playouts.add_argument("--size", type=int, default=9, help="board size (default 9)")
    playouts.add_argument("--threads", type=int, default=1, help="threads (default 1)")
    playouts.add_argument("--seconds", type=float, default=5.0, help="duration (default 5)")
    playouts.add_argument(
        "--policy",
        choices=("light", "heavy"),
        default="light",
        help="light: uniform random non-eye-filling moves (the headline figure); "
        "heavy: the MCTS playout policy (captures, patterns, self-atari rejection)",
    )
    playouts.add_argument("--seed", type=int, default=1)
    playouts.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    if args.what == "playouts":
        from engine.playouts import benchmark_playouts

        try:
            result = benchmark_playouts(
                args.size, args.threads, args.seconds, args.policy, args.seed
            )
        except ValueError as exc:
            print(f"zerogo bench: {exc}")
            return 2
        if args.json:
            print(json.dumps(result.as_dict()))
        else:
            print(
                f"{result.policy} playouts, {result.size}x{result.size}, "
                f"{result.threads} thread(s): "
                f"{result.playouts_per_s:,.0f} playouts/s, "
                f"{result.moves_per_playout:.1f} moves/playout"
            )
        return 0
    return 2
