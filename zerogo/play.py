"""``zerogo play``: play a game against the engine in the terminal."""

from __future__ import annotations

import argparse

from engine.board import parse_color
from engine.game import DEFAULT_KOMI, Game
from zerogo.players import add_player_arguments, make_player

HELP = "play a game against the engine"
DESCRIPTION = """Play a game against zerogo in the terminal.

Type moves as GTP vertices (D4), or pass, undo, resign, score, help, quit.
Example: zerogo play --size 9 --color white --seconds 2
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=9, help="board size (default 9)")
    parser.add_argument("--komi", type=float, default=DEFAULT_KOMI, help="komi (default 7.5)")
    parser.add_argument(
        "--color", default="black", help="your colour: black (moves first) or white"
    )
    add_player_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from gui.terminal import TerminalGame

    try:
        human = parse_color(args.color)
        game = Game(args.size, args.komi)
        player = make_player(args)
    except ValueError as exc:
        print(f"zerogo play: {exc}")
        return 2
    TerminalGame(player, game, human).run()
    return 0
