"""The player factory: the one place where players are built by name.

``--player NAME`` picks a registered player; ``--playouts`` / ``--visits`` /
``--seconds`` set its budget; ``--weights`` its network (for players that have one).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from engine.player import Budget, Player

DEFAULT_PLAYER = "mcts"


def _make_random(args: argparse.Namespace) -> Player:
    from engine.random_player import RandomPlayer

    return RandomPlayer(seed=args.seed)


def _make_mcts(args: argparse.Namespace) -> Player:
    from engine.mcts import MCTSConfig, MCTSPlayer

    config = MCTSConfig(
        threads=args.threads,
        resign_threshold=args.resign_threshold,
        seed=args.seed,
    )
    return MCTSPlayer(config, budget_from_args(args))


REGISTRY: dict[str, Callable[[argparse.Namespace], Player]] = {
    "mcts": _make_mcts,
    "random": _make_random,
}


def add_player_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the player flags shared by every command that plays."""
    group = parser.add_argument_group("player")
    group.add_argument(
        "--player",
        default=DEFAULT_PLAYER,
        choices=sorted(REGISTRY),
        help=f"which player (default: {DEFAULT_PLAYER}, the strongest available)",
    )
    group.add_argument("--playouts", type=int, default=None, help="simulations per move")
    group.add_argument("--visits", type=int, default=None, help="same as --playouts")
    group.add_argument("--seconds", type=float, default=None, help="seconds per move")
    group.add_argument("--weights", default=None, help="network checkpoint (network players)")
    group.add_argument("--threads", type=int, default=2, help="search threads (default 2)")
    group.add_argument(
        "--resign-threshold",
        type=float,
        default=0.1,
        help="resign when the estimated win rate falls below this (0 disables; default 0.1)",
    )
    group.add_argument("--seed", type=int, default=None, help="random seed")


def budget_from_args(args: argparse.Namespace) -> Budget:
    """Return the per-move budget named by ``--playouts/--visits/--seconds``.

    With none given the default is one second per move.

    Raises:
        ValueError: for non-positive values.
    """
    playouts = args.playouts if args.playouts is not None else args.visits
    seconds = args.seconds
    if playouts is None and seconds is None:
        seconds = 1.0
    return Budget(playouts=playouts, seconds=seconds)


def make_player(args: argparse.Namespace) -> Player:
    """Build the player named by ``args.player`` with its flags.

    Raises:
        ValueError: for an unknown player name or a bad budget.
    """
    if args.player not in REGISTRY:
        raise ValueError(f"unknown player {args.player!r}; choose from {sorted(REGISTRY)}")
    return REGISTRY[args.player](args)
