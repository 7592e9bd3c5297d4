"""``zerogo play``: play a game against the engine in a window (or in the terminal).

The window is ``gui.app.App`` (pygame).  Without a display (no ``DISPLAY`` or
``WAYLAND_DISPLAY`` and no ``SDL_VIDEODRIVER``), or when pygame cannot open a
window, a one-line note is printed and the terminal game (``gui.terminal``) runs
instead; ``--terminal`` asks for the terminal game directly.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from engine.board import BLACK, MAX_SIZE, MIN_SIZE, parse_color
from engine.game import DEFAULT_KOMI, Game
from engine.player import Budget, Player
from zerogo.players import add_player_arguments, budget_from_args, make_player

HELP = "play a game against the engine"
DESCRIPTION = """Play a game against zerogo in a window (pygame), or in the terminal.

In the window: click a point to play; P pass, U undo, N new game, S swap
colours, Space makes the engine play now; H/C/O/A/G/E toggle the policy heatmap,
candidate moves, ownership, analysis on your turn, the win-rate graph and the
score estimate; with --pv-model, V shows the line a PV model predicts (no search)
beside the searched one; W saves and L loads SGF files (in ~/zerogo-games by default)
or reads the position from a photo of a board (as zerogo scan does).
Board size, komi and engine strength are set on the side panel.

In the terminal: type moves as GTP vertices (D4), or pass, undo, resign, score,
help, quit.

Examples: zerogo play --size 9 --color white --seconds 2
          zerogo play --load board.jpg     # go on from a photographed position
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=9, help="board size (default 9)")
    parser.add_argument("--komi", type=float, default=DEFAULT_KOMI, help="komi (default 7.5)")
    parser.add_argument(
        "--color", default="black", help="your colour: black (moves first) or white"
    )
    parser.add_argument(
        "--terminal", action="store_true", help="play in the terminal instead of a window"
    )
    parser.add_argument(
        "--load",
        default=None,
        metavar="FILE",
        help="start from this SGF record, or from the position on a photo of a board "
        "(.jpg, .png, ...: read as zerogo scan reads it, black to move, --komi); you "
        "play the colour to move",
    )
    parser.add_argument(
        "--sgf-dir",
        default=None,
        help="folder where the window saves and loads games (default ~/zerogo-games)",
    )
    parser.add_argument(
        "--pv-model",
        default=None,
        metavar="FILE",
        help="a PV model (zerogo.pv_model): V in the window draws its predicted line",
    )
    # for tests and scripted screenshots: close the window after this many frames
    parser.add_argument("--frames", type=int, default=None, help=argparse.SUPPRESS)
    add_player_arguments(parser)


def display_available(environ: Mapping[str, str] | None = None) -> bool:
    """Return True if a window can be tried: a display is named or SDL has a video driver.

    On macOS and Windows a display is always assumed.
    """
    env = os.environ if environ is None else environ
    if sys.platform in ("darwin", "win32"):
        return True
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))


def run(args: argparse.Namespace) -> int:
    try:
        human = parse_color(args.color)
        if not MIN_SIZE <= args.size <= MAX_SIZE:
            raise ValueError(f"board size must be {MIN_SIZE} to {MAX_SIZE}, not {args.size}")
        game = Game(args.size, args.komi)
        args.note = None
        if args.load:
            from zerogo.scan.photo import game_from_file

            game, note = game_from_file(args.load, komi=args.komi)
            human = game.to_move
            args.note = f"{note}: you play {'black' if human == BLACK else 'white'}."
            print(args.note)
        budget = budget_from_args(args)
        player = make_player(args)
        player_for = getattr(player, "player_for", None)
        if player_for is not None:
            player_for(game.size, game.komi)  # load the network now: a bad file is reported at once
        args.pv_predictor = None
        if getattr(args, "pv_model", None):
            from zerogo.pv_model import PVPredictor

            predictor = PVPredictor.from_file(args.pv_model)
            args.pv_predictor = lambda game, color: predictor.predict(game, color).moves
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"zerogo play: {exc}", file=sys.stderr)
        return 2
    if not args.terminal:
        if not display_available():
            print("zerogo play: no display found; playing in the terminal (--terminal)")
        elif _run_window(args, player, game, human, budget):
            return 0
    from gui.terminal import TerminalGame

    TerminalGame(player, game, human).run()
    return 0


def _run_window(
    args: argparse.Namespace, player: Player, game: Game, human: int, budget: Budget
) -> bool:
    """Play in the window; return False (after a note) if it cannot be opened."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame  # noqa: F401  (a missing pygame means no window)

        from gui.app import App, GuiUnavailable
        from gui.settings import Settings
    except ImportError as exc:
        print(f"zerogo play: no window ({exc}); playing in the terminal")
        return False
    settings = Settings.starting(game.size, game.komi, budget)
    sgf_dir = Path(args.sgf_dir).expanduser() if args.sgf_dir else None
    try:
        app = App(
            player,
            settings,
            human,
            game,
            sgf_dir=sgf_dir,
            pv_predictor=getattr(args, "pv_predictor", None),
            message=getattr(args, "note", None),
        )
    except GuiUnavailable as exc:
        print(f"zerogo play: {exc}; playing in the terminal")
        return False
    if args.frames is None:
        app.run()
    else:
        app.run(frames=args.frames)
        app.close()
    return True
