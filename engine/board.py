"""The rules board: a Go position with its legality rules, behind a small Python class.

``Board`` owns the kernel arrays of ``engine._board_kernels`` plus the history of
positions needed for positional superko.  Moves are flat actions (``engine.coords``):
``row * N + col`` with row 0 at the bottom, pass is ``N * N``.  Every illegal move
raises ``IllegalMoveError`` naming the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import _board_kernels as K
from engine import coords

EMPTY, BLACK, WHITE, WALL = K.EMPTY, K.BLACK, K.WHITE, K.WALL
MIN_SIZE = 2
MAX_SIZE = 19

_REASONS = {
    K.OCCUPIED: "occupied",
    K.SUICIDE: "suicide",
    K.KO: "ko",
    K.SUPERKO: "superko",
    K.OFF_BOARD: "off-board",
}


def opponent(color: int) -> int:
    """Return the other colour (BLACK <-> WHITE)."""
    return 3 - color


def color_name(color: int) -> str:
    """Return ``"black"`` or ``"white"``."""
    return {BLACK: "black", WHITE: "white"}[color]


def parse_color(text: str) -> int:
    """Return BLACK or WHITE for ``"b"``, ``"black"``, ``"w"`` or ``"white"``.

    Raises:
        ValueError: for anything else.
    """
    value = text.strip().lower()
    if value in ("b", "black"):
        return BLACK
    if value in ("w", "white"):
        return WHITE
    raise ValueError(f"invalid color {text!r}")


class IllegalMoveError(ValueError):
    """A move that the rules forbid; ``reason`` is one of
    occupied, suicide, ko, superko, off-board."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Rules:
    """Rule options of a board.

    Attributes:
        allow_suicide: Tromp-Taylor / New Zealand rules allow suicide; Chinese and
            Japanese rules (and GNU Go) do not.
        superko: forbid repeating any earlier whole-board position (positional).
    """

    allow_suicide: bool = False
    superko: bool = True


class Board:
    """A Go position: stones, colour to move, ko point and earlier positions.

    Args:
        size: board size N (2 .. 19).
        rules: rule options.

    Raises:
        ValueError: for an unsupported size.
    """

    def __init__(self, size: int = 9, rules: Rules | None = None) -> None:
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise ValueError(f"board size must be between {MIN_SIZE} and {MAX_SIZE}, not {size}")
        self.size = size
        self.rules = rules or Rules()
        self.arrays = K.new_board(size)
        self._history = np.zeros(64, dtype=np.uint64)
        self._n_history = 0
        self._remember(self.arrays.key[0])

    # -- state ------------------------------------------------------------------
    @property
    def width(self) -> int:
        """Row stride of the padded board."""
        return self.size + 2

    @property
    def to_move(self) -> int:
        """Colour to move (BLACK or WHITE)."""
        return int(self.arrays.meta[K.M_TO_MOVE])

    @to_move.setter
    def to_move(self, color: int) -> None:
        if color not in (BLACK, WHITE):
            raise ValueError(f"invalid colour {color}")
        self.arrays.meta[K.M_TO_MOVE] = color

    @property
    def ko_point(self) -> int | None:
        """Flat action that the side to move may not play because of simple ko."""
        p = int(self.arrays.meta[K.M_KO])
        return None if p < 0 else coords.padded_to_action(p, self.size)

    @property
    def passes(self) -> int:
        """Number of consecutive passes that ended the move list."""
        return int(self.arrays.meta[K.M_PASSES])

    @property
    def captures(self) -> dict[int, int]:
        """Stones captured so far by each colour."""
        return {
            BLACK: int(self.arrays.meta[K.M_CAPTURES]),
            WHITE: int(self.arrays.meta[K.M_CAPTURES + 1]),
        }

    @property
    def hash(self) -> int:
        """Positional Zobrist hash (stones only)."""
        return int(self.arrays.key[0])

    def copy(self) -> Board:
        """Return an independent copy."""
        other = Board.__new__(Board)
        other.size = self.size
        other.rules = self.rules
        other.arrays = K.copy_board(self.arrays)
        other._history = self._history.copy()
        other._n_history = self._n_history
        return other

    def get(self, action: int) -> int:
        """Return the colour at a flat action (EMPTY, BLACK or WHITE)."""
        return int(self.arrays.color[self._padded(action)])

    def to_array(self) -> np.ndarray:
        """Return the stones as int8 (N, N), ``[row, col]`` with row 0 at the bottom."""
        w = self.width
        grid = self.arrays.color.reshape(w, w)[1:-1, 1:-1]
        return grid.copy()

    def liberties(self, action: int) -> int:
        """Return the liberty count of the chain at ``action`` (0 for an empty point)."""
        p = self._padded(action)
        if self.arrays.color[p] not in (BLACK, WHITE):
            return 0
        return int(self.arrays.libs[self.arrays.head[p]])

    def chain(self, action: int) -> list[int]:
        """Return the flat actions of the chain at ``action`` (empty list if empty)."""
        p = self._padded(action)
        if self.arrays.color[p] not in (BLACK, WHITE):
            return []
        stones, q = [], p
        while True:
            stones.append(coords.padded_to_action(q, self.size))
            q = int(self.arrays.next[q])
            if q == p:
                return sorted(stones)

    # -- rules ------------------------------------------------------------------
    def status(self, action: int, color: int | None = None) -> str | None:
        """Return why ``action`` is illegal for ``color`` (default: to move), or None."""
        if color is None:
            color = self.to_move
        if action == self.size * self.size:
            return None
        if not 0 <= action < self.size * self.size:
            return _REASONS[K.OFF_BOARD]
        code = K.full_status(
            self.arrays,
            self._padded(action),
            color,
            self.rules.allow_suicide,
            self._history,
            self._n_history if self.rules.superko else 0,
        )
        return None if code == K.LEGAL else _REASONS[code]

    def is_legal(self, action: int, color: int | None = None) -> bool:
        """Return True if ``color`` (default: to move) may play ``action``."""
        return self.status(action, color) is None

    def fills_own_eye(self, action: int, color: int) -> bool:
        """Return True if every neighbour of the point ``action`` is a ``color`` stone or
        the edge (the one-point-eye rule of the random player and the playouts)."""
        w = self.width
        p = self._padded(action)
        stones = self.arrays.color
        return all(stones[n] in (color, WALL) for n in (p - w, p - 1, p + 1, p + w))

    def legal_mask(self, color: int | None = None) -> np.ndarray:
        """Return bool[N*N+1] of the legal actions of ``color`` (pass always legal)."""
        out = np.zeros(self.size * self.size + 1, dtype=np.bool_)
        K.legal_mask(
            self.arrays,
            self.to_move if color is None else color,
            self.rules.allow_suicide,
            self._history,
            self._n_history if self.rules.superko else 0,
            out,
        )
        return out

    def play(self, action: int, color: int | None = None) -> int:
        """Play ``action`` for ``color`` (default: to move); return stones captured.

        Playing for the colour not to move is allowed (GTP ``play`` does so); the
        colour to move afterwards is the other one.

        Raises:
            IllegalMoveError: with the reason occupied, suicide, ko, superko or off-board.
        """
        if color is None:
            color = self.to_move
        if color not in (BLACK, WHITE):
            raise ValueError(f"invalid colour {color}")
        if action == self.size * self.size:
            self.arrays.meta[K.M_TO_MOVE] = color
            K.play_pass(self.arrays)
            return 0
        reason = self.status(action, color)
        if reason is not None:
            where = coords.to_gtp(action, self.size) if 0 <= action < self.size**2 else str(action)
            raise IllegalMoveError(reason, f"illegal move {color_name(color)} {where}: {reason}")
        if color != self.to_move:
            self.arrays.meta[K.M_KO] = -1
            self.arrays.meta[K.M_TO_MOVE] = color
        captured = int(K.play_stone(self.arrays, self._padded(action), color))
        self._remember(self.arrays.key[0])
        return captured

    def place_stones(self, actions: list[int], color: int, remember: bool = True) -> None:
        """Put setup stones (handicap, SGF AB/AW) on empty points; no captures.

        All or nothing: if any stone is refused the board is left unchanged.  With
        ``remember`` False the resulting position is not added to the superko history
        (for a setup made of several calls, only the last should be).

        Raises:
            IllegalMoveError: if a point is off the board, occupied or repeated, or a
                setup stone would capture or be left without liberty.
        """
        trial = K.copy_board(self.arrays)
        to_move = self.to_move
        n = self.size * self.size
        for action in actions:
            if not 0 <= action < n:
                raise IllegalMoveError("off-board", f"setup point {action} is off the board")
            where = coords.to_gtp(action, self.size)
            p = self._padded(action)
            if trial.color[p] != EMPTY:
                raise IllegalMoveError("occupied", f"setup point {where} is occupied")
            if K.is_suicide(trial, p, color):
                raise IllegalMoveError("suicide", f"setup stone {where} would have no liberty")
            if K.play_stone(trial, p, color) > 0:
                raise IllegalMoveError("capture", f"setup stone {where} would capture stones")
            trial.meta[K.M_MOVES] -= 1
        trial.meta[K.M_TO_MOVE] = to_move
        trial.meta[K.M_KO] = -1
        self.arrays = trial
        if remember:
            self._remember(self.arrays.key[0])

    # -- scoring ----------------------------------------------------------------
    def tromp_taylor_owner(self) -> np.ndarray:
        """Return int8 (N, N) of Tromp-Taylor owners (EMPTY = neutral), no dead stones."""
        w = self.width
        out = np.empty(w * w, dtype=np.int8)
        K.tromp_taylor_owner(self.arrays.color, self.size, out)
        return out.reshape(w, w)[1:-1, 1:-1].copy()

    def area_score(self, komi: float) -> float:
        """Return black's Tromp-Taylor area minus white's, minus komi (stones as they are)."""
        black, white = K.area_counts(self.arrays.color, self.size)
        return float(black - white) - komi

    # -- display ----------------------------------------------------------------
    def diagram(self, last_move: int | None = None) -> str:
        """Return an ASCII diagram with GTP coordinates (X black, O white, ( ) last move)."""
        letters = "ABCDEFGHJKLMNOPQRST"[: self.size]
        header = "   " + " ".join(letters)
        lines = [header]
        grid = self.to_array()
        for row in range(self.size - 1, -1, -1):
            seps = [" "] * (self.size + 1)
            if last_move is not None and 0 <= last_move < self.size * self.size:
                lrow, lcol = divmod(last_move, self.size)
                if lrow == row:
                    seps[lcol], seps[lcol + 1] = "(", ")"
            text = ""
            for col in range(self.size):
                stone = grid[row, col]
                text += seps[col] + (
                    ".XO"[stone] if stone != EMPTY else _hoshi(row, col, self.size)
                )
            text += seps[self.size]
            lines.append(f"{row + 1:2d}{text}{row + 1}")
        lines.append(header)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.diagram()

    # -- internals --------------------------------------------------------------
    def _padded(self, action: int) -> int:
        row, col = divmod(action, self.size)
        return (row + 1) * self.width + col + 1

    def _remember(self, key: np.uint64) -> None:
        if self._n_history == len(self._history):
            self._history = np.concatenate([self._history, np.zeros_like(self._history)])
        history = self._history
        n = self._n_history
        i = int(np.searchsorted(history[:n], key))
        if i < n and history[i] == key:
            return
        history[i + 1 : n + 1] = history[i:n]
        history[i] = key
        self._n_history = n + 1


def _hoshi(row: int, col: int, size: int) -> str:
    """Return '+' on star points, '.' elsewhere."""
    if size < 7:
        return "."
    edge = 2 if size < 13 else 3
    lines = {edge, size - 1 - edge}
    if size % 2 == 1 and size >= 9:
        lines.add(size // 2)
    on_center_only = size < 13 and (row == size // 2) != (col == size // 2)
    if row in lines and col in lines and not on_center_only:
        return "+"
    return "."
