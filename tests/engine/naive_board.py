"""A naive pure-Python Go board: the oracle for property tests of ``engine.board``.

Everything is recomputed from scratch with flood fills on a dict-free grid (a tuple of
``N*N`` ints indexed by flat action, row 0 at the bottom): no incremental liberty
counts, no Zobrist hashes, no linked chains.  It shares no code with the engine.

Rules (the engine's, written independently):

* a move on an occupied point is refused (``"occupied"``);
* simple ko: a stone move may not recreate the position that stood before the
  opponent's previous move, when that move captured (``"ko"``);
* suicide: a move whose own chain has no liberty after captures is refused
  (``"suicide"``) unless ``allow_suicide``, in which case the chain is removed and
  counted as captured by the opponent;
* positional superko: a move may not recreate any earlier position (``"superko"``).

Start reading at ``NaiveBoard.play``.
"""

from __future__ import annotations

EMPTY, BLACK, WHITE = 0, 1, 2


def neighbours(action: int, size: int) -> list[int]:
    """Return the flat actions next to ``action``."""
    row, col = divmod(action, size)
    out = []
    if row > 0:
        out.append(action - size)
    if row < size - 1:
        out.append(action + size)
    if col > 0:
        out.append(action - 1)
    if col < size - 1:
        out.append(action + 1)
    return out


def flood(stones: tuple[int, ...] | list[int], start: int, size: int) -> tuple[set[int], set[int]]:
    """Return (points of the connected region of the colour at ``start``, its border).

    For a stone the region is its chain and the empty part of the border its
    liberties; for an empty point the region is the empty area.
    """
    colour = stones[start]
    region = {start}
    border: set[int] = set()
    todo = [start]
    while todo:
        p = todo.pop()
        for n in neighbours(p, size):
            if stones[n] == colour:
                if n not in region:
                    region.add(n)
                    todo.append(n)
            else:
                border.add(n)
    return region, border


def liberties(stones: tuple[int, ...] | list[int], action: int, size: int) -> set[int]:
    """Return the liberties of the chain at ``action``."""
    _, border = flood(stones, action, size)
    return {p for p in border if stones[p] == EMPTY}


def area_owner(stones: tuple[int, ...] | list[int], size: int) -> list[int]:
    """Return the Tromp-Taylor owner of each point (EMPTY for neutral)."""
    owner = list(stones)
    done: set[int] = set()
    for p in range(size * size):
        if stones[p] != EMPTY or p in done:
            continue
        region, border = flood(stones, p, size)
        done |= region
        colours = {stones[n] for n in border}
        value = colours.pop() if len(colours) == 1 else EMPTY
        for q in region:
            owner[q] = value
    return owner


class NaiveBoard:
    """A Go position recomputed by flood fills.

    Args:
        size: board size N.
        allow_suicide: remove a suicidal chain instead of refusing the move.
        superko: refuse moves that recreate any earlier position.
    """

    def __init__(self, size: int, allow_suicide: bool = False, superko: bool = True) -> None:
        self.size = size
        self.allow_suicide = allow_suicide
        self.superko = superko
        self.stones: tuple[int, ...] = (EMPTY,) * (size * size)
        self.to_move = BLACK
        self.captures = {BLACK: 0, WHITE: 0}
        self.seen: set[tuple[int, ...]] = {self.stones}
        # position before the opponent's last move, when that move captured
        self._ko_guard: tuple[int, ...] | None = None

    def play_result(self, action: int, colour: int) -> tuple[tuple[int, ...], int, int]:
        """Return (stones after ``colour`` plays at empty ``action``, captured, own
        stones lost), without playing and without checking legality."""
        stones = list(self.stones)
        stones[action] = colour
        other = 3 - colour
        captured = 0
        for n in neighbours(action, self.size):
            if stones[n] == other and not liberties(stones, n, self.size):
                chain, _ = flood(stones, n, self.size)
                for q in chain:
                    stones[q] = EMPTY
                captured += len(chain)
        lost = 0
        if not liberties(stones, action, self.size):
            chain, _ = flood(stones, action, self.size)
            for q in chain:
                stones[q] = EMPTY
            lost = len(chain)
        return tuple(stones), captured, lost

    def reason(self, action: int, colour: int | None = None) -> str | None:
        """Return why ``colour`` (default: to move) may not play ``action``, or None."""
        if colour is None:
            colour = self.to_move
        if action == self.size * self.size:
            return None
        if not 0 <= action < self.size * self.size:
            return "off-board"
        if self.stones[action] != EMPTY:
            return "occupied"
        after, _, lost = self.play_result(action, colour)
        if colour == self.to_move and self._ko_guard is not None and after == self._ko_guard:
            return "ko"
        if lost and not self.allow_suicide:
            return "suicide"
        if self.superko and after in self.seen:
            return "superko"
        return None

    def play(self, action: int, colour: int | None = None) -> int:
        """Play ``action`` (``N*N`` is pass); return the stones captured.

        Raises:
            ValueError: naming the reason, if the move is illegal.
        """
        if colour is None:
            colour = self.to_move
        if action == self.size * self.size:
            self.to_move = 3 - colour
            self._ko_guard = None
            return 0
        why = self.reason(action, colour)
        if why is not None:
            raise ValueError(why)
        before = self.stones
        after, captured, lost = self.play_result(action, colour)
        self.stones = after
        self.captures[colour] += captured
        self.captures[3 - colour] += lost
        self.seen.add(after)
        self.to_move = 3 - colour
        self._ko_guard = before if captured else None
        return captured

    def ko_point(self) -> int | None:
        """Return the point the side to move may not play because of simple ko, if any."""
        if self._ko_guard is None:
            return None
        points = [
            a for a in range(self.size * self.size)
            if self.stones[a] == EMPTY and self.reason(a) == "ko"
        ]
        assert len(points) <= 1, points
        return points[0] if points else None

    def area_score(self) -> int:
        """Return black's Tromp-Taylor area minus white's."""
        owner = area_owner(self.stones, self.size)
        return owner.count(BLACK) - owner.count(WHITE)
