"""Rules of ``engine.board.Board`` as tables of ASCII diagrams.

Diagrams list rows from the top; ``X`` black, ``O`` white (see ``tests/conftest.py``).
Points are named by GTP vertex.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import coords
from engine.board import BLACK, EMPTY, WHITE, Board, IllegalMoveError, Rules
from engine.game import Game
from tests.conftest import assert_stones, board_from_diagram, parse_diagram, vertex, vertices

# -- captures ----------------------------------------------------------------------

CAPTURES = [
    # (name, diagram, colour, move, captured, diagram after)
    (
        "single stone in the middle",
        """
        . . . . .
        . . X . .
        . X O . .
        . . X . .
        . . . . .
        """,
        BLACK, "D3", 1,
        """
        . . . . .
        . . X . .
        . X . X .
        . . X . .
        . . . . .
        """,
    ),
    (
        "two stones on the edge",
        """
        . . . . .
        . . . . .
        . . . . .
        . . X X .
        . X O O .
        """,
        BLACK, "E1", 2,
        """
        . . . . .
        . . . . .
        . . . . .
        . . X X .
        . X . . X
        """,
    ),
    (
        "corner A1",
        """
        . . . . .
        . . . . .
        . . . . .
        X . . . .
        O . . . .
        """,
        BLACK, "B1", 1,
        """
        . . . . .
        . . . . .
        . . . . .
        X . . . .
        . X . . .
        """,
    ),
    (
        "corner E5 by white",
        """
        . . . O X
        . . . . .
        . . . . .
        . . . . .
        . . . . .
        """,
        WHITE, "E4", 1,
        """
        . . . O .
        . . . . O
        . . . . .
        . . . . .
        . . . . .
        """,
    ),
    (
        "four chains at once",
        """
        . . X . .
        . X O X .
        X O . O X
        . X O X .
        . . X . .
        """,
        BLACK, "C3", 4,
        """
        . . X . .
        . X . X .
        X . X . X
        . X . X .
        . . X . .
        """,
    ),
    (
        "a long chain",
        """
        . . . . .
        X X X X X
        O O O O .
        X X X X X
        . . . . .
        """,
        BLACK, "E3", 4,
        """
        . . . . .
        X X X X X
        . . . . X
        X X X X X
        . . . . .
        """,
    ),
    (
        "a move without liberty that captures",
        """
        . . . . .
        . . . . .
        . . . . .
        O X . . .
        . O X . .
        """,
        BLACK, "A1", 1,
        """
        . . . . .
        . . . . .
        . . . . .
        O X . . .
        X . X . .
        """,
    ),
    (
        "capture by connecting",
        """
        . . . . .
        . . X . .
        . X O X .
        . X O X .
        . X . . .
        """,
        BLACK, "C1", 2,
        """
        . . . . .
        . . X . .
        . X . X .
        . X . X .
        . X X . .
        """,
    ),
    (
        "two stones on a 2x2 board",
        """
        . O
        X X
        """,
        WHITE, "A2", 2,
        """
        O O
        . .
        """,
    ),
]


@pytest.mark.parametrize(
    "before, colour, move, captured, after",
    [case[1:] for case in CAPTURES],
    ids=[case[0] for case in CAPTURES],
)
def test_capture(before: str, colour: int, move: str, captured: int, after: str) -> None:
    board = board_from_diagram(before, to_move=colour)
    assert board.play(vertex(move, board.size)) == captured
    assert_stones(board, after)
    assert board.captures[colour] == captured
    assert board.captures[3 - colour] == 0
    assert board.to_move == 3 - colour


def test_corner_captures_on_every_size(board_size: int) -> None:
    """Each corner stone dies when both its neighbours are taken, on every board size."""
    n = board_size
    last = n - 1
    corners = [(0, 0, (1, 0), (0, 1)), (last, last, (last - 1, last), (last, last - 1))]
    for row, col, (r1, c1), (r2, c2) in corners:
        board = Board(n)
        board.place_stones([coords.to_action(row, col, n)], WHITE)
        board.place_stones([coords.to_action(r1, c1, n)], BLACK)
        assert board.play(coords.to_action(r2, c2, n), BLACK) == 1
        assert board.get(coords.to_action(row, col, n)) == EMPTY
        assert board.captures == {BLACK: 1, WHITE: 0}


# -- suicide -----------------------------------------------------------------------

SUICIDES = [
    # (name, diagram, colour, move, stones lost when allowed, diagram after when allowed)
    (
        "single stone in the corner",
        """
        . . . . .
        . . . . .
        . . . . .
        O . . . .
        . O . . .
        """,
        BLACK, "A1", 1,
        """
        . . . . .
        . . . . .
        . . . . .
        O . . . .
        . O . . .
        """,
    ),
    (
        "single stone in an eye",
        """
        . . . . .
        . . O . .
        . O . O .
        . . O . .
        . . . . .
        """,
        BLACK, "C3", 1,
        """
        . . . . .
        . . O . .
        . O . O .
        . . O . .
        . . . . .
        """,
    ),
    (
        "filling the last liberty of three stones",
        """
        . . . . .
        . . . . .
        O O . . .
        X X O . .
        . X O . .
        """,
        BLACK, "A1", 4,
        """
        . . . . .
        . . . . .
        O O . . .
        . . O . .
        . . O . .
        """,
    ),
    (
        "joining four chains in atari",
        """
        . . X . .
        . X O X .
        X O . O X
        . X O X .
        . . X . .
        """,
        WHITE, "C3", 5,
        """
        . . X . .
        . X . X .
        X . . . X
        . X . X .
        . . X . .
        """,
    ),
    (
        "2x2 board",
        """
        . X
        X .
        """,
        WHITE, "A2", 1,
        """
        . X
        X .
        """,
    ),
]


@pytest.mark.parametrize(
    "before, colour, move",
    [case[1:4] for case in SUICIDES],
    ids=[case[0] for case in SUICIDES],
)
def test_suicide_refused(before: str, colour: int, move: str) -> None:
    board = board_from_diagram(before, to_move=colour)
    action = vertex(move, board.size)
    assert board.status(action) == "suicide"
    assert not board.legal_mask()[action]
    with pytest.raises(IllegalMoveError) as info:
        board.play(action)
    assert info.value.reason == "suicide"
    assert_stones(board, before)  # nothing changed
    assert board.to_move == colour


@pytest.mark.parametrize(
    "before, colour, move, lost, after",
    [case[1:] for case in SUICIDES],
    ids=[case[0] for case in SUICIDES],
)
def test_suicide_allowed_removes_the_chain(
    before: str, colour: int, move: str, lost: int, after: str
) -> None:
    rules = Rules(allow_suicide=True, superko=False)
    board = board_from_diagram(before, to_move=colour, rules=rules)
    action = vertex(move, board.size)
    assert board.status(action) is None
    assert board.legal_mask()[action]
    assert board.play(action) == 0
    assert_stones(board, after)
    assert board.captures == {colour: 0, 3 - colour: lost}
    assert board.to_move == 3 - colour


def test_single_stone_suicide_repeats_the_position_under_superko() -> None:
    """Allowed single-stone suicide leaves the position as it was: superko refuses it,
    while a multi-stone suicide makes a new position and stays legal."""
    single = board_from_diagram(SUICIDES[0][1], rules=Rules(allow_suicide=True))
    assert single.status(vertex("A1", 5)) == "superko"
    multi = board_from_diagram(SUICIDES[2][1], rules=Rules(allow_suicide=True))
    assert multi.status(vertex("A1", 5)) is None
    multi.play(vertex("A1", 5))
    assert multi.captures[WHITE] == 4


# -- eyes --------------------------------------------------------------------------

TWO_EYES = """
    . X . X .
    X X X X X
    . . . . .
    . . . . .
    . . . . .
    """

ONE_EYE = """
    X . X O .
    X X X O .
    O O O O .
    . . . . .
    . . . . .
    """


def test_eyes_of_a_living_group() -> None:
    board = board_from_diagram(TWO_EYES, to_move=WHITE)
    for eye in vertices("A5 C5 E5", 5):
        assert board.status(eye, WHITE) == "suicide"
        assert board.status(eye, BLACK) is None  # the owner may fill its own eye
    assert board.liberties(vertex("C4", 5)) == 8


def test_last_eye_can_be_filled_when_it_captures() -> None:
    board = board_from_diagram(ONE_EYE, to_move=WHITE)
    b5 = vertex("B5", 5)
    assert board.status(b5, BLACK) == "suicide"
    assert board.liberties(vertex("A5", 5)) == 1
    assert board.play(b5, WHITE) == 5
    assert_stones(
        board,
        """
        . O . O .
        . . . O .
        O O O O .
        . . . . .
        . . . . .
        """,
    )


# -- ko ------------------------------------------------------------------------------

KO = """
    . . . . .
    . . . . .
    . X O . .
    X O . O .
    . X O . .
    """


def test_ko_refused_then_legal_after_a_ko_threat() -> None:
    board = board_from_diagram(KO)
    b2, c2 = vertex("B2", 5), vertex("C2", 5)
    assert board.play(c2) == 1  # black takes the ko
    assert board.ko_point == b2
    assert board.status(b2) == "ko"
    assert board.status(b2, BLACK) is None  # only the side to move is bound by ko
    with pytest.raises(IllegalMoveError) as info:
        board.play(b2)
    assert info.value.reason == "ko"
    assert not board.legal_mask()[b2]
    board.play(vertex("E5", 5))  # white's ko threat
    assert board.ko_point is None
    board.play(vertex("E4", 5))  # black answers
    assert board.status(b2) is None
    assert board.play(b2) == 1  # white retakes
    assert board.ko_point == c2
    assert board.status(c2) == "ko"


def test_ko_on_the_edge() -> None:
    board = board_from_diagram(
        """
        . . . . .
        . . . . .
        . . . . .
        . X O . .
        X O . O .
        """
    )
    assert board.play(vertex("C1", 5)) == 1
    assert board.ko_point == vertex("B1", 5)
    assert board.status(vertex("B1", 5)) == "ko"


def test_capturing_two_stones_makes_no_ko() -> None:
    board = board_from_diagram(CAPTURES[1][1])
    board.play(vertex("E1", 5))
    assert board.ko_point is None


def test_snapback_is_legal() -> None:
    board = board_from_diagram(
        """
        . . . . .
        . . . . .
        O O O O .
        X X X O .
        . . X O .
        """,
        to_move=WHITE,
    )
    a1, b1 = vertices("A1 B1", 5)
    board.play(b1)  # white throws in
    assert board.play(a1) == 1  # black takes one stone ...
    assert board.ko_point is None
    assert board.liberties(a1) == 1
    assert board.status(b1) is None
    assert board.play(b1) == 5  # ... and white takes five back
    assert_stones(
        board,
        """
        . . . . .
        . . . . .
        O O O O .
        . . . O .
        . O . O .
        """,
    )
    assert board.captures == {BLACK: 1, WHITE: 5}


# -- positional superko ---------------------------------------------------------------

# Three kos: K1 (B8/C8) and K3 (B2/C2) hold a white stone that black can take, K2
# (G8/H8) a black stone that white can take.  Six ko captures, none of them a simple
# ko recapture, bring the first position back.
TRIPLE_KO = """
    . X O . . . X O .
    X O . O . X . X O
    . X O . . . X O .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . X O . . . . . .
    X O . O . . . . .
    . X O . . . . . .
    """
TRIPLE_KO_CYCLE = "C8 G8 C2 B8 H8"  # black, white, black, white, black
TRIPLE_KO_REPEAT = "B2"  # white's sixth capture would recreate the first position


def _play_triple_ko(rules: Rules | None = None) -> Board:
    board = board_from_diagram(TRIPLE_KO, rules=rules)
    for name in TRIPLE_KO_CYCLE.split():
        assert board.play(vertex(name, 9)) == 1
    return board


def test_triple_ko_is_refused_by_superko() -> None:
    start = board_from_diagram(TRIPLE_KO)
    board = _play_triple_ko()
    repeat = vertex(TRIPLE_KO_REPEAT, 9)
    assert board.to_move == WHITE
    assert board.ko_point == vertex("G8", 9)  # the simple ko forbids another point
    assert board.status(repeat) == "superko"
    assert not board.legal_mask()[repeat]
    with pytest.raises(IllegalMoveError) as info:
        board.play(repeat)
    assert info.value.reason == "superko"
    # the same move without superko recreates the first position exactly
    free = _play_triple_ko(Rules(superko=False))
    assert free.play(repeat) == 1
    assert free.to_array().tolist() == start.to_array().tolist()
    assert free.hash == start.hash


def test_retaking_a_ko_after_two_passes_is_superko() -> None:
    board = board_from_diagram(KO)
    start = board.to_array()
    b2 = vertex("B2", 5)
    board.play(vertex("C2", 5))
    board.play(board.size * board.size)  # white passes: the simple ko is gone
    board.play(board.size * board.size)
    assert board.passes == 2
    assert board.ko_point is None
    assert board.status(b2) == "superko"  # but it would bring back the start
    without = board_from_diagram(KO, rules=Rules(superko=False))
    without.play(vertex("C2", 5))
    without.play(25)
    without.play(25)
    assert without.play(b2) == 1
    assert without.to_array().tolist() == start.tolist()


# -- illegal move reasons ---------------------------------------------------------------


@pytest.mark.parametrize(
    "setup, move, reason",
    [
        ("C8 G8 C2 B8 H8", "B8", "occupied"),
        ("C8 G8 C2 B8 H8", "C8", None),
        ("C8 G8 C2 B8 H8", "G8", "ko"),
        ("C8 G8 C2 B8 H8", "B2", "superko"),
        ("C8", "B8", "ko"),
        ("C8 G8", "E8", None),
        ("C8 G8", "H8", "ko"),
        ("", "A9", None),
        ("", "B8", "occupied"),
        ("E5 A1", "A1", "occupied"),
    ],
)
def test_reasons_in_the_triple_ko(setup: str, move: str, reason: str | None) -> None:
    board = board_from_diagram(TRIPLE_KO)
    for name in setup.split():
        board.play(vertex(name, 9))
    action = vertex(move, 9)
    assert board.status(action) == reason
    assert bool(board.legal_mask()[action]) == (reason is None)
    if reason is None:
        board.play(action)
    else:
        with pytest.raises(IllegalMoveError) as info:
            board.play(action)
        assert info.value.reason == reason
        assert reason in str(info.value)


@pytest.mark.parametrize("action", [-1, -5, 82, 100])
def test_off_board_reason(action: int) -> None:
    board = Board(9)
    assert board.status(action) == "off-board"
    with pytest.raises(IllegalMoveError) as info:
        board.play(action)
    assert info.value.reason == "off-board"
    assert isinstance(info.value, ValueError)


def test_setup_stone_errors() -> None:
    board = Board(5)
    board.place_stones([vertex("C3", 5)], BLACK)
    with pytest.raises(IllegalMoveError) as info:
        board.place_stones([vertex("C3", 5)], WHITE)
    assert info.value.reason == "occupied"
    with pytest.raises(IllegalMoveError) as info:
        board.place_stones([25], WHITE)
    assert info.value.reason == "off-board"
    board.place_stones(vertices("A2 B1", 5), WHITE)
    with pytest.raises(IllegalMoveError) as info:
        board.place_stones([vertex("A1", 5)], BLACK)
    assert info.value.reason == "suicide"


def test_setup_stones_never_capture() -> None:
    """``place_stones`` promises "no captures": a setup stone that takes the last
    liberty of an enemy chain must be refused, leaving board and capture counts alone."""
    board = Board(5)
    board.place_stones([vertex("A1", 5)], BLACK)
    board.place_stones([vertex("B1", 5)], WHITE)
    with pytest.raises(IllegalMoveError):
        board.place_stones([vertex("A2", 5)], WHITE)
    assert board.get(vertex("A1", 5)) == BLACK, f"setup captured a stone:\n{board}"
    assert board.captures == {BLACK: 0, WHITE: 0}


def test_pass_is_always_legal_and_changes_the_side() -> None:
    board = board_from_diagram(KO)
    assert board.status(25) is None
    assert board.legal_mask()[25]
    board.play(25)
    assert board.to_move == WHITE and board.passes == 1
    board.play(25)
    assert board.to_move == BLACK and board.passes == 2
    board.play(vertex("E5", 5))
    assert board.passes == 0


def test_playing_out_of_turn() -> None:
    """GTP ``play`` may give a colour two moves in a row; the ko is then lifted."""
    board = board_from_diagram(KO)
    board.play(vertex("C2", 5))
    assert board.status(vertex("B2", 5)) == "ko"
    board.play(vertex("E5", 5), BLACK)  # black again
    assert board.to_move == WHITE
    assert board.status(vertex("B2", 5)) is None


# -- queries -------------------------------------------------------------------------------

QUERIES = """
    . X O . .
    X X O . .
    . O O X .
    . . X X X
    O . . . .
    """


@pytest.mark.parametrize(
    "point, libs, chain",
    [
        ("B4", 2, "A4 B4 B5"),
        ("C5", 4, "C5 C4 C3 B3"),
        ("C2", 6, "D3 C2 D2 E2"),
        ("A1", 2, "A1"),
        ("D4", 0, ""),
        ("E5", 0, ""),
    ],
)
def test_liberties_and_chains(point: str, libs: int, chain: str) -> None:
    board = board_from_diagram(QUERIES)
    action = vertex(point, 5)
    assert board.liberties(action) == libs
    assert board.chain(action) == sorted(vertices(chain, 5))


def test_to_array_get_and_diagram() -> None:
    board = board_from_diagram(QUERIES)
    grid = parse_diagram(QUERIES)
    assert board.to_array().dtype == np.int8
    assert board.to_array().tolist() == grid.tolist()
    for action in range(25):
        assert board.get(action) == grid.reshape(-1)[action]
    lines = board.diagram().splitlines()
    assert lines[0].split() == list("ABCDE")
    assert lines[1].split() == ["5", ".", "X", "O", ".", ".", "5"]
    assert lines[5].split() == ["1", "O", ".", ".", ".", ".", "1"]
    marked = board.diagram(last_move=vertex("C2", 5)).splitlines()[4]
    assert "(X)" in marked


def test_copy_is_independent() -> None:
    board = board_from_diagram(KO)
    other = board.copy()
    other.play(vertex("C2", 5))
    assert board.get(vertex("B2", 5)) == WHITE
    assert board.ko_point is None
    assert other.get(vertex("B2", 5)) == EMPTY
    # the superko history is copied too
    third = other.copy()
    third.play(25)
    third.play(25)
    assert third.status(vertex("B2", 5)) == "superko"
    assert board.status(vertex("C2", 5)) is None


@pytest.mark.parametrize("size", [1, 20, 0])
def test_unsupported_sizes(size: int) -> None:
    with pytest.raises(ValueError):
        Board(size)


def test_empty_board_basics(board_size: int) -> None:
    board = Board(board_size)
    n = board_size
    mask = board.legal_mask()
    assert mask.shape == (n * n + 1,)
    assert mask.all()
    assert board.to_move == BLACK
    assert board.ko_point is None
    assert board.area_score(0.0) == 0.0
    assert board.area_score(7.5) == -7.5
    assert (board.tromp_taylor_owner() == EMPTY).all()
    board.play(coords.to_action(n // 2, n // 2, n))
    assert board.area_score(0.0) == n * n
    assert board.liberties(coords.to_action(n // 2, n // 2, n)) == (4 if n > 2 else 2)
    assert board.legal_mask().sum() == n * n  # N*N - 1 points and pass


def test_two_by_two_game() -> None:
    board = Board(2)
    a1, b1, a2, b2 = vertices("A1 B1 A2 B2", 2)
    board.play(a1)
    board.play(b2)
    assert board.status(a2) is None and board.status(b1) is None
    board.play(b1)  # black now has one liberty, A2
    assert board.play(a2) == 2  # white takes both
    assert_stones(board, "O O\n. .")
    assert board.status(a1) is None  # black may play back in: A1 keeps the liberty B1
    board.play(a1)
    assert board.status(b1) is None  # white B1 takes A1 back: no ko, white's chain is 3 stones
    assert board.play(b1) == 1
    assert board.ko_point is None


# -- scoring -----------------------------------------------------------------------------------

# A seki on the top edge: the white chain D9-D8-D7-E7 and the black chain F9-F8-F7
# share the liberties E9 and E8 and have no other; whoever fills one is captured.
# Everything else is settled: black lives on the left, white on the right, two eyes each
# and more.
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


def test_seki_by_tromp_taylor_area() -> None:
    """The two shared liberties of a seki belong to nobody; everything else is counted."""
    board = board_from_diagram(SEKI)
    owner = board.tromp_taylor_owner()
    for dame in vertices("E9 E8", 9):
        assert owner.reshape(-1)[dame] == EMPTY
        assert board.status(dame, BLACK) is None  # legal, but self-atari
        assert board.status(dame, WHITE) is None
    # black: 38 stones + eyes A9 B7 B4 C2; white: 33 stones + eyes H9 H7 H4 G2
    assert int((owner == BLACK).sum()) == 42
    assert int((owner == WHITE).sum()) == 37
    assert board.area_score(0.0) == 5.0
    assert board.area_score(7.5) == -2.5
    # neither side may fill a shared liberty without losing its chain
    for colour, chain, lost in ((BLACK, "F8", 4), (WHITE, "D8", 5)):
        trial = board.copy()
        trial.play(vertex("E9", 9), colour)
        assert trial.liberties(vertex(chain, 9)) == 1
        assert trial.play(vertex("E8", 9), 3 - colour) == lost


@pytest.mark.parametrize(
    "diagram, black, white",
    [
        (
            """
            . X O .
            . X O .
            . X O .
            . X O .
            """,
            8, 8,
        ),
        (
            """
            . X O .
            X X O .
            . . O O
            X . . .
            """,
            5, 6,  # the lower-left area touches both colours
        ),
        (
            """
            . . . .
            . X . .
            . . . .
            . . . .
            """,
            16, 0,
        ),
    ],
)
def test_area_counts(diagram: str, black: int, white: int) -> None:
    board = board_from_diagram(diagram)
    owner = board.tromp_taylor_owner()
    assert int((owner == BLACK).sum()) == black
    assert int((owner == WHITE).sum()) == white
    assert board.area_score(0.5) == black - white - 0.5


# -- undo through Game ------------------------------------------------------------------------


State = tuple[list[list[int]], dict[int, int], int | None, int, int, int, tuple[str | None, ...]]


def _state(board: Board) -> State:
    """Everything observable about a board, for exact comparisons."""
    statuses = tuple(board.status(a) for a in range(board.size * board.size + 1))
    return (
        board.to_array().tolist(),
        board.captures,
        board.ko_point,
        board.to_move,
        board.passes,
        board.hash,
        statuses,
    )


def test_undo_restores_stones_captures_ko_and_superko_history() -> None:
    game = Game(9, 7.5)
    game.setup_stones(*_setup_lists(TRIPLE_KO), BLACK)
    states = [_state(game.board)]
    for name in TRIPLE_KO_CYCLE.split():
        game.play(vertex(name, 9))
        states.append(_state(game.board))
    assert states[-1][-1][vertex("B2", 9)] == "superko"
    assert states[-1][2] == vertex("G8", 9)
    # wander off, then take everything back
    for name in ("E5", "E4", "pass", "pass"):
        game.play(vertex(name, 9))
    for _ in range(4):
        game.undo()
    assert _state(game.board) == states[-1]
    for expected in reversed(states[:-1]):
        game.undo()
        assert _state(game.board) == expected
    with pytest.raises(ValueError):
        game.undo()


def test_undo_forgets_positions_for_superko() -> None:
    """A position reached only by an undone move no longer counts for superko."""
    start = """
        . . . . .
        . . . . .
        . X O . .
        X . . O .
        . X O . .
        """
    b2, c2 = vertices("B2 C2", 5)

    def run(with_undo: bool) -> str | None:
        game = Game(5, 0.5)
        game.setup_stones(*_setup_lists(start), WHITE)
        game.play(b2)  # white B2 makes the ko shape
        if with_undo:
            game.undo()
            game.play(25)  # white passes instead
        game.play(c2)  # black C2, capturing B2 if it is there
        game.play(25)
        game.play(25)
        return game.board.status(b2)  # white B2 would make "start + B2"

    # the ko shape stood on the board once: retaking after the passes repeats it
    assert run(with_undo=False) == "superko"
    # once B2 is taken back, "start + B2" was never seen
    assert run(with_undo=True) is None


def _setup_lists(text: str) -> tuple[list[int], list[int]]:
    flat = parse_diagram(text).reshape(-1)
    return (
        [int(a) for a in np.flatnonzero(flat == BLACK)],
        [int(a) for a in np.flatnonzero(flat == WHITE)],
    )
