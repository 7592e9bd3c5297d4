"""End-of-game scoring (``engine.scoring.final_position``) on finished positions.

The 9x9 positions are the final boards of GNU Go 3.8 self-play games (level 1,
Chinese rules, komi 7.5); the dead stones and results in the tables are GNU Go's
own ``final_status_list dead`` and ``final_score``.  Areas were counted by hand with
the naive flood-fill board of ``tests/engine/naive_board.py`` as a check.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import coords
from engine.board import BLACK, EMPTY, WHITE
from engine.game import Game, Result
from engine.scoring import FinalPosition, final_position, ownership
from tests.conftest import parse_diagram, vertices
from tests.engine.naive_board import area_owner


def game_from_diagram(text: str, komi: float = 7.5, to_move: int = BLACK) -> Game:
    """Return a game whose position is the diagram (as setup stones)."""
    grid = parse_diagram(text)
    flat = grid.reshape(-1)
    game = Game(grid.shape[0], komi)
    game.setup_stones(
        [int(a) for a in np.flatnonzero(flat == BLACK)],
        [int(a) for a in np.flatnonzero(flat == WHITE)],
        to_move,
    )
    return game


FINISHED = [
    # (name, diagram, dead stones, black area, white area) after removing the dead
    (
        "three dead black stones in the lower left",
        """
        . . O O X . . . .
        . . O X . . . . .
        . . O X X X . . .
        . . O X . . . . .
        . . O O X . . . .
        . . O X X X X . .
        . O X O O O X . .
        . O X X . O O X .
        . . O O . O X X .
        """,
        "C2 D2 C3", 42, 39,  # GNU Go: W+4.5
    ),
    (
        "dead stones of both colours",
        """
        . . O O O O O X .
        . . O . O X X X .
        . . O O X X O . .
        . . O X . . . . .
        . . O X X . X . .
        . O O O X . . X .
        . . O X X O O . .
        . O O X O X . . .
        . O X X . . . . .
        """,
        "E2 F3 G3 G7", 47, 34,  # GNU Go: B+5.5
    ),
    (
        "one dead white stone on the edge",
        """
        X X X X X . . . .
        O X O X . X . X O
        O O O O X . X . X
        . . O X X . X X X
        . . . O X X O O X
        . O O O O X X O O
        O . O X X X O . O
        O O X . X O O O .
        . O X X X O . . .
        """,
        "J8", 41, 40,  # GNU Go: W+6.5
    ),
    (
        "two dead white stones in the middle",
        """
        . . . . . . . . .
        . . . . . . . . .
        . . . X X . X X X
        X . X O . . X O X
        O X X O X X O O O
        O O O X X O O . .
        . . O O O . . . .
        . . . . . . . . .
        . . . . . . . . .
        """,
        "D5 D6", 42, 39,  # GNU Go: W+4.5
    ),
    (
        "nothing dead, large open areas",
        """
        . . . . X X O . .
        . . . X X O O . .
        . . X X O . O . .
        . . X O O . O . .
        . X O O . . O . .
        . X X O . O O . .
        . X O O O . . . .
        X X O . . . . . .
        X O O . . . . . .
        """,
        "", 28, 53,  # GNU Go: W+32.5
    ),
    (
        "a lone white stone in black's corner (5x5, counted by hand)",
        """
        . . X O .
        . O X O .
        . . X O .
        X X X O O
        . X X O .
        """,
        "B4", 15, 10,
    ),
]


@pytest.mark.parametrize(
    "diagram, dead, black, white",
    [case[1:] for case in FINISHED],
    ids=[case[0] for case in FINISHED],
)
def test_finished_positions(diagram: str, dead: str, black: int, white: int) -> None:
    game = game_from_diagram(diagram)
    size = game.size
    final = final_position(game)
    assert sorted(final.dead) == sorted(vertices(dead, size))
    assert final.seki == []
    assert int((final.owner == BLACK).sum()) == black
    assert int((final.owner == WHITE).sum()) == white
    assert final.score == black - white - game.komi
    # the areas agree with the naive board's count of the cleaned position
    cleaned = parse_diagram(diagram).reshape(-1).copy()
    cleaned[vertices(dead, size)] = EMPTY
    naive = area_owner(tuple(int(v) for v in cleaned), size)
    assert (naive.count(BLACK), naive.count(WHITE)) == (black, white)
    # live stones are kept: every stone not listed as dead is alive
    stones = game.board.to_array()
    alive = final.alive(stones)
    assert sorted(alive + final.dead) == [int(a) for a in np.flatnonzero(stones.reshape(-1))]
    for a in alive:
        assert final.owner.reshape(-1)[a] == stones.reshape(-1)[a]
    # the verdict does not depend on the side to move or the seed
    other = final_position(game_from_diagram(diagram, to_move=WHITE), seed=5)
    assert sorted(other.dead) == sorted(final.dead)
    assert other.score == final.score


# The chains D9-D8-D7-E7 (white) and F9-F8-F7 (black) share the liberties E9 and E8 and
# have no other: whoever fills one is captured.  Both outer groups live with eyes.
SEKI = """
    . X X O . X O . O
    X X X O . X O O O
    X . X O O X O . O
    X X X X X O O O O
    X X X X X O O O O
    X . X X X O O . O
    X X X X X O O O O
    X X . X X O . O O
    X X X X X O O O O
    """


def test_seki_is_alive_and_listed() -> None:
    game = game_from_diagram(SEKI)
    final = final_position(game)
    assert final.dead == []
    assert final.seki == sorted(vertices("D9 D8 D7 E7 F9 F8 F7", 9))
    for dame in vertices("E9 E8", 9):
        assert final.owner.reshape(-1)[dame] == EMPTY
    # black 38 stones + 4 eyes, white 33 stones + 4 eyes, two dame points
    assert final.score == 42 - 37 - 7.5
    assert final.result() == Result(WHITE, 2.5)


def test_result_by_score() -> None:
    owner = np.zeros((2, 2), dtype=np.int8)
    def final(score: float) -> FinalPosition:
        return FinalPosition(owner.astype(float), owner, [], [], score)

    assert final(3.5).result() == Result(BLACK, 3.5)
    assert final(-0.5).result() == Result(WHITE, 0.5)
    assert final(0.0).result() == Result(0, 0.0)
    assert final(-12.0).result().sgf() == "W+12"


def test_ownership_is_deterministic_and_bounded() -> None:
    game = game_from_diagram(FINISHED[0][1])
    first = ownership(game, playouts=200, seed=3)
    again = ownership(game, playouts=200, seed=3)
    assert first.shape == (9, 9)
    assert first.tolist() == again.tolist()
    assert (np.abs(first) <= 1.0).all()
    # settled stones are owned by their colour in most playouts
    assert first.reshape(-1)[coords.from_gtp("D6", 9)] > 0.5
    assert first.reshape(-1)[coords.from_gtp("C6", 9)] < -0.5


def test_empty_board_scores_minus_komi() -> None:
    final = final_position(Game(9, 7.5), playouts=50)
    assert final.dead == [] and final.seki == []
    assert final.score == -7.5
    assert final.result() == Result(WHITE, 7.5)
