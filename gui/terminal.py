"""The terminal game: a board diagram, moves typed as GTP vertices, the engine answering.

Commands at the prompt: a vertex such as ``D4``, ``pass``, ``undo`` (takes back your
last move and the engine's reply), ``resign``, ``score`` (current estimate), ``help``,
``quit``.  The final score is shown with the dead stones that were removed.
"""

from __future__ import annotations

from collections.abc import Callable

from engine import coords
from engine.board import BLACK, IllegalMoveError, color_name, opponent
from engine.game import Game, Result
from engine.player import RESIGN, Player
from engine.scoring import final_position

HELP_TEXT = (
    "Type a move like D4 (column letter, row number), or: pass, undo, resign, score, help, quit."
)


class TerminalGame:
    """One game between a person at the terminal and a player.

    Args:
        player: the engine.
        game: the game to play (size and komi set).
        human: the person's colour.
        read: returns the next line typed (raises EOFError at the end of input).
        write: prints one message.
    """

    def __init__(
        self,
        player: Player,
        game: Game,
        human: int = BLACK,
        read: Callable[[str], str] = input,
        write: Callable[[str], None] = print,
    ) -> None:
        self.player = player
        self.game = game
        self.human = human
        self.read = read
        self.write = write

    def run(self) -> Result | None:
        """Play until the game ends or the person quits; return the result (None if quit)."""
        game = self.game
        self.write(
            f"You play {color_name(self.human)} on {game.size}x{game.size}, komi {game.komi:g}."
        )
        self.write(HELP_TEXT)
        while not game.is_over:
            if game.to_move != self.human:
                self._engine_move()
                continue
            self.write(self._board_text())
            try:
                line = self.read(f"{color_name(self.human)} to play> ").strip()
            except EOFError:
                self.write("bye")
                return None
            if not line:
                continue
            if not self._command(line):
                return None
        return self._finish()

    # -- internals --------------------------------------------------------------
    def _board_text(self) -> str:
        game = self.game
        last = game.last_move.action if game.last_move else None
        caps = game.board.captures
        return (
            game.board.diagram(last)
            + f"\ncaptures: black {caps[BLACK]}, white {caps[opponent(BLACK)]}"
        )

    def _command(self, line: str) -> bool:
        """Handle one typed line; return False to quit."""
        game = self.game
        word = line.lower()
        if word in ("quit", "exit", "q"):
            self.write("bye")
            return False
        if word in ("help", "?", "h"):
            self.write(HELP_TEXT)
            return True
        if word == "resign":
            game.resign(self.human)
            return True
        if word == "undo":
            self._undo()
            return True
        if word == "score":
            final = final_position(game)
            self.write(f"estimate: {final.result().sgf()}")
            return True
        try:
            action = coords.from_gtp(line, game.size)
            game.play(action, self.human)
        except IllegalMoveError as exc:
            self.write(f"illegal move: {exc.reason}")
        except ValueError as exc:
            self.write(f"not a move: {exc}. {HELP_TEXT}")
        return True

    def _undo(self) -> None:
        game = self.game
        if not any(m.color == self.human for m in game.moves):
            self.write("nothing to undo")
            return
        while game.moves and game.moves[-1].color != self.human:
            game.undo()
        game.undo()
        self.player.reset()
        self.write("took back your last move")

    def _engine_move(self) -> None:
        game = self.game
        color = game.to_move
        decision = self.player.genmove(game, color)
        if decision.action == RESIGN:
            game.resign(color)
            self.write(f"{color_name(color)} resigns")
            return
        game.play(decision.action, color)
        text = coords.to_gtp(decision.action, game.size)
        extra = "" if decision.winrate is None else f" (win rate {decision.winrate:.0%})"
        self.write(f"{color_name(color)} plays {text}{extra}")

    def _finish(self) -> Result:
        game = self.game
        self.write(self._board_text())
        if game.result is None:
            final = final_position(game)
            game.result = final.result()
            if final.dead:
                dead = " ".join(coords.to_gtp(a, game.size) for a in final.dead)
                self.write(f"dead stones removed: {dead}")
            self.write(f"final score: {game.result.sgf()} (area scoring, komi {game.komi:g})")
        else:
            self.write(f"result: {game.result.sgf()}")
        return game.result
