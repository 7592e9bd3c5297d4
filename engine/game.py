"""A game record: the rules board plus moves, setup stones, undo, resignation and result.

``Game`` is what the GTP front end, the terminal game, SGF files and the match runner
share.  Moves are flat actions (``engine.coords``).  Undo restores a snapshot of the
board taken before each move, so it is exact (captures, ko and superko history
included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine import coords
from engine.board import BLACK, WHITE, Board, IllegalMoveError, Rules, color_name, opponent

DEFAULT_KOMI = 7.5


@dataclass(frozen=True)
class Move:
    """One move of the record: ``action`` is a flat action, pass is ``N*N``."""

    color: int
    action: int
    comment: str = ""


@dataclass
class Result:
    """The outcome of a finished game.

    Attributes:
        winner: BLACK, WHITE, or 0 for a draw.
        margin: points by which the winner won (0 for resignation, time or forfeit).
        reason: "score", "resign", "time" or "forfeit".
    """

    winner: int
    margin: float = 0.0
    reason: str = "score"

    def sgf(self) -> str:
        """Return the SGF RE value such as ``B+3.5``, ``W+R`` or ``0`` (draw)."""
        if self.winner == 0:
            return "0"
        side = "B" if self.winner == BLACK else "W"
        if self.reason == "resign":
            return f"{side}+R"
        if self.reason == "time":
            return f"{side}+T"
        if self.reason == "forfeit":
            return f"{side}+F"
        return f"{side}+{self.margin:g}"


@dataclass
class Game:
    """A game in progress or finished.

    Args:
        size: board size.
        komi: points given to white.
        rules: rule options of the board.
    """

    size: int = 9
    komi: float = DEFAULT_KOMI
    rules: Rules = field(default_factory=Rules)

    def __post_init__(self) -> None:
        self.board = Board(self.size, self.rules)
        self.moves: list[Move] = []
        self.setup_black: list[int] = []
        self.setup_white: list[int] = []
        self.handicap = 0
        self.result: Result | None = None
        self._snapshots: list[Board] = []

    # -- play -------------------------------------------------------------------
    @property
    def to_move(self) -> int:
        """Colour to move."""
        return self.board.to_move

    @property
    def pass_action(self) -> int:
        """The flat action for pass."""
        return self.size * self.size

    @property
    def last_move(self) -> Move | None:
        """The most recent move, or None."""
        return self.moves[-1] if self.moves else None

    @property
    def is_over(self) -> bool:
        """True after two consecutive passes or a resignation."""
        return self.result is not None or self.board.passes >= 2

    def play(self, action: int, color: int | None = None, comment: str = "") -> int:
        """Play ``action`` for ``color`` (default: the colour to move).

        Returns:
            The number of stones captured.

        Raises:
            IllegalMoveError: if the move breaks the rules.
        """
        if color is None:
            color = self.board.to_move
        snapshot = self.board.copy()
        captured = self.board.play(action, color)
        self._snapshots.append(snapshot)
        self.moves.append(Move(color, action, comment))
        return captured

    def undo(self) -> Move:
        """Take back the last move and return it.

        Raises:
            ValueError: if there is no move to take back.
        """
        if not self.moves:
            raise ValueError("no move to undo")
        self.board = self._snapshots.pop()
        self.result = None
        return self.moves.pop()

    def resign(self, color: int) -> None:
        """Record that ``color`` resigned."""
        self.result = Result(opponent(color), 0.0, "resign")

    def set_handicap(self, actions: list[int]) -> None:
        """Place black handicap stones on an empty board; white moves next.

        Raises:
            ValueError: if moves were already played or a point is repeated.
            IllegalMoveError: for an occupied or off-board point.
        """
        if self.moves:
            raise ValueError("handicap stones go on an empty board")
        if len(set(actions)) != len(actions):
            raise ValueError("handicap points repeat")
        if any(self.board.get(a) for a in range(self.size * self.size)):
            raise ValueError("board is not empty")
        self.board.place_stones(list(actions), BLACK)
        self.board.to_move = WHITE
        self.setup_black = list(actions)
        self.handicap = len(actions)

    def setup_stones(self, black: list[int], white: list[int], to_move: int) -> None:
        """Put SGF setup stones (AB/AW) on the board and set the colour to move.

        Raises:
            IllegalMoveError: for an occupied, off-board or liberty-less point.
        """
        before = self.board.copy()
        try:
            self.board.place_stones(list(black), BLACK, remember=False)
            self.board.place_stones(list(white), WHITE)
        except IllegalMoveError:
            self.board = before
            raise
        self.board.to_move = to_move
        self.setup_black += list(black)
        self.setup_white += list(white)

    def clear(self) -> None:
        """Empty the board and forget all moves (size, komi and rules kept)."""
        self.__post_init__()

    # -- scoring ----------------------------------------------------------------
    def tromp_taylor_score(self) -> float:
        """Black's area minus white's minus komi, stones taken as they are."""
        return self.board.area_score(self.komi)

    def _first_to_move(self) -> int:
        if self.moves:
            return self.moves[0].color
        return self.board.to_move

    def describe_move(self, move: Move) -> str:
        """Return e.g. ``"black D4"``."""
        return f"{color_name(move.color)} {coords.to_gtp(move.action, self.size)}"

    def replay(self) -> Game:
        """Return a fresh game with the same setup and moves (checks every move).

        Raises:
            IllegalMoveError: if a move of the record is illegal.
        """
        other = Game(self.size, self.komi, self.rules)
        if self.setup_black or self.setup_white:
            other.setup_stones(self.setup_black, self.setup_white, self._first_to_move())
            other.handicap = self.handicap
        for move in self.moves:
            other.play(move.action, move.color, move.comment)
        return other


__all__ = ["DEFAULT_KOMI", "Game", "IllegalMoveError", "Move", "Result"]
