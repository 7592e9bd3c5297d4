"""Reference screenshots of the window, made by playing a real game headless.

Run ``python -m gui.screenshots [OUT_DIR]`` (default ``docs/screenshots``).  A pure
MCTS engine plays white in the window; a weaker MCTS player stands in for the person
and makes black's moves through the window's own commands.  Three images are saved:

* ``play.png``: a 9x9 game under way, last-move marker and hover stone;
* ``analysis.png``: the engine thinking, candidate moves with win rate and visits,
  ownership shading, the win-rate graph and the score estimate;
* ``end.png``: the game after two passes, dead stones crossed, territory marked,
  final score.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402

from engine.board import BLACK  # noqa: E402
from engine.mcts import MCTSConfig, MCTSPlayer  # noqa: E402
from engine.player import RESIGN, Budget, Player  # noqa: E402
from gui.app import App  # noqa: E402
from gui.settings import Settings  # noqa: E402

DEFAULT_OUT = Path("docs/screenshots")


def make_screenshots(
    out_dir: Path,
    playouts: int = 600,
    think_seconds: float = 1.5,
    opening_moves: int = 14,
    max_moves: int = 160,
    seed: int = 11,
    fps: int = 60,
) -> list[Path]:
    """Play a game in a headless window and save play.png, analysis.png and end.png.

    Args:
        out_dir: folder of the images (created if missing).
        playouts: simulations per move of the engine (the stand-in person gets a quarter).
        think_seconds: how long the engine thinks before analysis.png is taken.
        opening_moves: moves played before play.png.
        max_moves: the person resigns if the game is not over after this many moves.
        seed: random seed of both players.
        fps: frame rate of the window's loop.

    Returns:
        The paths written.
    """
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    out_dir.mkdir(parents=True, exist_ok=True)
    budget = Budget(playouts=playouts)
    engine = MCTSPlayer(MCTSConfig(threads=2, seed=seed), budget)
    # the stand-in person: weaker than the engine, and plays on to the end (no resigning)
    person = MCTSPlayer(
        MCTSConfig(threads=1, seed=seed + 1, resign_threshold=0.0),
        Budget(playouts=max(1, playouts // 4)),
    )
    with tempfile.TemporaryDirectory() as games:
        app = App(engine, Settings.starting(9, 7.5, budget), BLACK, sgf_dir=Path(games),
                  fps=fps)
        try:
            return _play(app, person, out_dir, think_seconds, opening_moves, max_moves)
        finally:
            app.close()


def _play(app: App, person: Player, out_dir: Path, think_seconds: float, opening_moves: int,
          max_moves: int) -> list[Path]:
    written = []
    while len(app.game.moves) < opening_moves and not app.game.is_over:
        _person_moves(app, person)
        _wait_for_engine(app)
    _hover(app)
    written.append(_save(app, out_dir / "play.png"))

    budget = app.settings.budget
    app.settings = Settings.starting(app.game.size, app.game.komi, Budget(seconds=10.0))
    app.overlays |= {"moves", "territory"}
    _person_moves(app, person)
    start = time.monotonic()
    while time.monotonic() - start < think_seconds:
        app.step()
    written.append(_save(app, out_dir / "analysis.png"))
    app.command("stop")
    _wait_for_engine(app)

    app.settings = Settings.starting(app.game.size, app.game.komi, budget)
    app.overlays -= {"moves", "territory"}
    while not app.game.is_over:
        if len(app.game.moves) >= max_moves:
            app.command("resign")
            break
        _person_moves(app, person)
        _wait_for_engine(app)
    for _ in range(3):
        app.step()
    written.append(_save(app, out_dir / "end.png"))
    return written


def _person_moves(app: App, person: Player) -> None:
    """Make the stand-in person's move through the window's commands."""
    game = app.game
    if game.is_over or game.to_move != app.human:
        return
    decision = person.genmove(game, app.human)
    if decision.action == RESIGN:
        app.command("resign")
    elif decision.action == game.pass_action:
        app.command("pass")
    else:
        app.play(decision.action)
    app.step()


def _wait_for_engine(app: App, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    app.step()
    while app.thinking:
        if time.monotonic() > deadline:
            raise RuntimeError("the engine did not answer in time")
        app.step()
    app.step()


def _hover(app: App) -> None:
    """Put the mouse over a legal point near the centre so the hover stone shows."""
    n = app.game.size
    centre = (n // 2) * n + n // 2
    points = sorted(range(n * n), key=lambda a: abs(a // n - n // 2) + abs(a % n - n // 2))
    for action in [centre, *points]:
        if app.game.board.is_legal(action, app.human):
            pos = app.point_pixel(action)
            pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0),
                                                 buttons=(0, 0, 0)))
            app.step()
            return


def _save(app: App, path: Path) -> Path:
    app.draw()
    app.screenshot(path)
    return path


def main(argv: list[str] | None = None) -> int:
    """Write the reference screenshots; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(DEFAULT_OUT), help="output folder")
    parser.add_argument("--playouts", type=int, default=600, help="simulations per move")
    parser.add_argument("--seed", type=int, default=11, help="random seed")
    args = parser.parse_args(argv)
    for path in make_screenshots(Path(args.out), playouts=args.playouts, seed=args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
