"""Handicap placement: the GTP v2 fixed tables (section 4.1.1) and free placement."""

from __future__ import annotations

import pytest

from engine import coords
from engine.game import Game
from engine.handicap import fixed_handicap, free_handicap, max_fixed_handicap, max_free_handicap
from zerogo.gtp_client import GNUGO, GtpClient, GtpError

# The vertex lists of the GTP v2 specification, in the order it places the stones.
SPEC_19 = {
    2: "D4 Q16",
    3: "D4 Q16 D16",
    4: "D4 Q16 D16 Q4",
    5: "D4 Q16 D16 Q4 K10",
    6: "D4 Q16 D16 Q4 D10 Q10",
    7: "D4 Q16 D16 Q4 D10 Q10 K10",
    8: "D4 Q16 D16 Q4 D10 Q10 K4 K16",
    9: "D4 Q16 D16 Q4 D10 Q10 K4 K16 K10",
}
SPEC_13 = {
    2: "D4 K10",
    3: "D4 K10 D10",
    4: "D4 K10 D10 K4",
    5: "D4 K10 D10 K4 G7",
    6: "D4 K10 D10 K4 D7 K7",
    7: "D4 K10 D10 K4 D7 K7 G7",
    8: "D4 K10 D10 K4 D7 K7 G4 G10",
    9: "D4 K10 D10 K4 D7 K7 G4 G10 G7",
}
SPEC_9 = {
    2: "C3 G7",
    3: "C3 G7 C7",
    4: "C3 G7 C7 G3",
    5: "C3 G7 C7 G3 E5",
    6: "C3 G7 C7 G3 C5 G5",
    7: "C3 G7 C7 G3 C5 G5 E5",
    8: "C3 G7 C7 G3 C5 G5 E3 E7",
    9: "C3 G7 C7 G3 C5 G5 E3 E7 E5",
}
# 7x7 and even sizes stop at four stones, on the third line up to 11x11 (4th from 12x12).
SPEC_SMALL = {
    (7, 4): "C3 E5 C5 E3",
    (8, 4): "C3 F6 C6 F3",
    (10, 2): "C3 H8",
    (11, 4): "C3 J9 C9 J3",
    (12, 3): "D4 J9 D9",
    (14, 4): "D4 L11 D11 L4",
}


def names(actions: list[int], size: int) -> str:
    return " ".join(coords.to_gtp(a, size) for a in actions)


@pytest.mark.parametrize(
    ("size", "stones", "expected"),
    [(19, n, v) for n, v in SPEC_19.items()]
    + [(13, n, v) for n, v in SPEC_13.items()]
    + [(9, n, v) for n, v in SPEC_9.items()]
    + [(s, n, v) for (s, n), v in SPEC_SMALL.items()],
)
def test_fixed_handicap_matches_spec_table(size: int, stones: int, expected: str) -> None:
    assert names(fixed_handicap(size, stones), size) == expected


@pytest.mark.parametrize(
    ("size", "limit"),
    [(2, 0), (5, 0), (6, 0), (7, 4), (8, 4), (9, 9), (10, 4), (11, 9), (13, 9), (18, 4),
     (19, 9), (25, 9), (26, 0)],
)
def test_max_fixed_handicap_per_size(size: int, limit: int) -> None:
    assert max_fixed_handicap(size) == limit


@pytest.mark.parametrize(
    ("size", "stones"),
    [(19, 1), (19, 0), (19, -2), (19, 10), (13, 10), (9, 10), (7, 5), (8, 5), (10, 9),
     (6, 2), (5, 4), (2, 2)],
)
def test_fixed_handicap_rejects_invalid_counts(size: int, stones: int) -> None:
    with pytest.raises(ValueError, match="handicap"):
        fixed_handicap(size, stones)


def test_fixed_handicap_agrees_with_gnu_go() -> None:
    """GNU Go, the GTP reference implementation, places the same stones (in its own order)."""
    with GtpClient([GNUGO, "--mode", "gtp"]) as gnugo:
        for size in range(5, 20):
            gnugo.send(f"boardsize {size}")
            for stones in range(0, 11):
                gnugo.send("clear_board")
                try:
                    theirs = set(gnugo.send(f"fixed_handicap {stones}").split())
                except GtpError:
                    theirs = None
                try:
                    ours = set(names(fixed_handicap(size, stones), size).split())
                except ValueError:
                    ours = None
                assert ours == theirs, (size, stones)


@pytest.mark.parametrize("size", [2, 3, 5, 7, 9, 13, 19])
def test_free_handicap_is_legal_and_unique(size: int) -> None:
    counts = sorted({2, 3, 4, 5, 9, 10, 17, size * size // 2, max_free_handicap(size)})
    for stones in (n for n in counts if 2 <= n <= max_free_handicap(size)):
        points = free_handicap(size, stones)
        assert len(points) == stones
        assert len(set(points)) == stones
        assert all(0 <= p < size * size for p in points)
        game = Game(size)
        game.set_handicap(points)  # raises for an occupied point or a stone without liberty
        assert int((game.board.to_array() != 0).sum()) == stones


@pytest.mark.parametrize(("size", "stones"), [(9, 4), (9, 9), (13, 5), (19, 9), (8, 4)])
def test_free_handicap_reuses_fixed_pattern(size: int, stones: int) -> None:
    assert free_handicap(size, stones) == fixed_handicap(size, stones)


def test_free_handicap_extends_fixed_pattern_and_keeps_off_the_edge() -> None:
    points = free_handicap(9, 12)
    assert points[:9] == fixed_handicap(9, 9)
    assert names(points[9:], 9) == "D4 F4 D6"
    # Beyond the nine star points of 19x19 the stones spread over the 4th to 16th lines.
    extra = free_handicap(19, 20)[9:]
    assert all(3 <= r <= 15 and 3 <= c <= 15 for r, c in (divmod(a, 19) for a in extra))


def test_free_handicap_on_a_board_without_pattern() -> None:
    assert names(free_handicap(5, 2), 5) == "C3 B2"
    assert names(free_handicap(5, 4), 5) == "C3 B2 D2 B4"


@pytest.mark.parametrize(("size", "stones"), [(9, 1), (9, 81), (9, 0), (2, 4), (19, 361)])
def test_free_handicap_rejects_invalid_counts(size: int, stones: int) -> None:
    with pytest.raises(ValueError, match="invalid number of handicap stones"):
        free_handicap(size, stones)
