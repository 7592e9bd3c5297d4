"""Every conversion of ``engine.coords``: tables of known values, round trips, errors."""

from __future__ import annotations

import pytest

from engine import coords

SIZES = [2, 5, 9, 13, 19]


# -- known values ---------------------------------------------------------------------

KNOWN = [
    # (size, GTP vertex, (row, col), flat action, padded index)
    (9, "A1", (0, 0), 0, 12),
    (9, "J1", (0, 8), 8, 20),
    (9, "A9", (8, 0), 72, 100),
    (9, "J9", (8, 8), 80, 108),
    (9, "D4", (3, 3), 30, 48),
    (9, "E5", (4, 4), 40, 60),
    (9, "H8", (7, 7), 70, 96),
    (19, "T19", (18, 18), 360, 418),
    (19, "K10", (9, 9), 180, 220),
    (19, "Q16", (15, 15), 300, 352),
    (5, "C2", (1, 2), 7, 17),
    (2, "B2", (1, 1), 3, 10),
]


@pytest.mark.parametrize("size, vertex, point, action, padded", KNOWN)
def test_known_points(
    size: int, vertex: str, point: tuple[int, int], action: int, padded: int
) -> None:
    assert coords.from_gtp(vertex, size) == action
    assert coords.to_gtp(action, size) == vertex
    assert coords.to_action(*point, size) == action
    assert coords.from_action(action, size) == point
    assert coords.action_to_padded(action, size) == padded
    assert coords.padded_to_action(padded, size) == action
    assert coords.to_sgf_point(action, size) == point
    assert coords.from_sgf_point(point, size) == action


@pytest.mark.parametrize("size", SIZES)
def test_pass_in_every_system(size: int) -> None:
    n2 = size * size
    assert coords.pass_action(size) == n2
    assert coords.padded_width(size) == size + 2
    assert coords.from_action(n2, size) is None
    assert coords.to_gtp(n2, size) == "pass"
    for text in ("pass", "PASS", "Pass", "  pass "):
        assert coords.from_gtp(text, size) == n2
    assert coords.action_to_padded(n2, size) == -1
    assert coords.padded_to_action(-1, size) == n2
    assert coords.to_sgf_point(n2, size) is None
    assert coords.from_sgf_point(None, size) == n2


@pytest.mark.parametrize("size", SIZES)
def test_round_trips_over_every_point(size: int) -> None:
    w = coords.padded_width(size)
    padded_seen = set()
    for action in range(size * size):
        point = coords.from_action(action, size)
        assert point is not None
        row, col = point
        assert action == row * size + col
        assert coords.to_action(row, col, size) == action
        padded = coords.action_to_padded(action, size)
        assert padded == (row + 1) * w + col + 1
        assert coords.padded_to_action(padded, size) == action
        padded_seen.add(padded)
        vertex = coords.to_gtp(action, size)
        assert coords.from_gtp(vertex, size) == action
        assert coords.from_gtp(vertex.lower(), size) == action
        assert int(vertex[1:]) == row + 1  # numbers count from the bottom
        assert coords.from_sgf_point(coords.to_sgf_point(action, size), size) == action
    # padded indices are exactly the inner points of the W x W board
    inner = {r * w + c for r in range(1, size + 1) for c in range(1, size + 1)}
    assert padded_seen == inner


def test_letters_skip_i() -> None:
    letters = [coords.to_gtp(col, 19)[0] for col in range(19)]
    assert letters == list("ABCDEFGHJKLMNOPQRST")
    assert "I" not in letters
    assert coords.to_gtp(8, 9) == "J1"  # the ninth column is J
    assert coords.from_gtp("J1", 9) == 8
    assert coords.from_gtp("H1", 9) == 7


@pytest.mark.parametrize(
    "size, vertex",
    [
        (9, "I5"),  # no column I in GTP
        (19, "i10"),
        (9, "K1"),  # beyond the ninth column
        (9, "A10"),  # beyond the ninth row
        (9, "A0"),
        (19, "U1"),
        (19, "T20"),
        (9, "Z9"),
        (9, ""),
        (9, "D"),
        (9, "4D"),
        (9, "D4.5"),
        (9, "passe"),
        (2, "C1"),
        (2, "A3"),
    ],
)
def test_bad_vertices(size: int, vertex: str) -> None:
    with pytest.raises(ValueError):
        coords.from_gtp(vertex, size)


def test_vertex_with_spaces_and_case() -> None:
    assert coords.from_gtp(" d4 ", 9) == 30
    assert coords.from_gtp("d4", 9) == coords.from_gtp("D4", 9)


@pytest.mark.parametrize(
    "row, col, size",
    [(-1, 0, 9), (0, -1, 9), (9, 0, 9), (0, 9, 9), (19, 19, 19), (2, 0, 2)],
)
def test_to_action_off_board(row: int, col: int, size: int) -> None:
    with pytest.raises(ValueError):
        coords.to_action(row, col, size)
    with pytest.raises(ValueError):
        coords.from_sgf_point((row, col), size)


@pytest.mark.parametrize("action, size", [(-1, 9), (82, 9), (1000, 19), (5, 2), (-2, 2)])
def test_from_action_out_of_range(action: int, size: int) -> None:
    with pytest.raises(ValueError):
        coords.from_action(action, size)
    with pytest.raises(ValueError):
        coords.to_gtp(action, size)
    with pytest.raises(ValueError):
        coords.to_sgf_point(action, size)


def test_gtp_vertices_agree_with_the_board_diagram() -> None:
    """The letters and numbers printed around ``Board.diagram`` name the same points."""
    from engine.board import Board

    board = Board(9)
    board.play(coords.from_gtp("C7", 9))
    lines = board.diagram().splitlines()
    letters = lines[0].split()
    row_line = next(line for line in lines[1:-1] if line.split()[0] == "7")
    col = row_line.split()[1:-1].index("X")
    assert letters[col] == "C"
