"""``engine.game.Game``: moves, undo, resignation, handicap, setup, replay and results."""

from __future__ import annotations

import numpy as np
import pytest

from engine.board import BLACK, EMPTY, WHITE, IllegalMoveError, Rules
from engine.game import DEFAULT_KOMI, Game, Move, Result
from tests.conftest import assert_stones, vertex, vertices

# -- Result.sgf ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "result, text",
    [
        (Result(BLACK, 3.5), "B+3.5"),
        (Result(WHITE, 0.5), "W+0.5"),
        (Result(WHITE, 12.0), "W+12"),
        (Result(BLACK, 80.5, "score"), "B+80.5"),
        (Result(WHITE, 0.0, "resign"), "W+R"),
        (Result(BLACK, 0.0, "resign"), "B+R"),
        (Result(BLACK, 0.0, "time"), "B+T"),
        (Result(WHITE, 0.0, "forfeit"), "W+F"),
        (Result(0, 0.0), "0"),
    ],
)
def test_result_sgf(result: Result, text: str) -> None:
    assert result.sgf() == text


# -- playing and undo --------------------------------------------------------------------


def test_new_game_defaults() -> None:
    game = Game()
    assert game.size == 9 and game.komi == DEFAULT_KOMI == 7.5
    assert game.rules == Rules()
    assert game.to_move == BLACK
    assert game.pass_action == 81
    assert game.last_move is None
    assert not game.is_over
    assert game.result is None
    assert game.tromp_taylor_score() == -7.5


def test_play_records_moves() -> None:
    game = Game(5, 0.5)
    c3, d3 = vertices("C3 D3", 5)
    assert game.play(c3) == 0
    assert game.last_move == Move(BLACK, c3)
    game.play(d3, comment="hello")
    assert game.moves == [Move(BLACK, c3), Move(WHITE, d3, "hello")]
    assert game.to_move == BLACK
    assert game.describe_move(game.moves[0]) == "black C3"
    assert game.describe_move(Move(WHITE, 25)) == "white pass"
    assert game.tromp_taylor_score() == 0 - 0.5  # one stone each, the rest is shared


def test_illegal_move_changes_nothing() -> None:
    game = Game(5)
    game.play(vertex("C3", 5))
    with pytest.raises(IllegalMoveError) as info:
        game.play(vertex("C3", 5))
    assert info.value.reason == "occupied"
    assert len(game.moves) == 1
    game.undo()
    assert game.board.to_array().sum() == 0
    with pytest.raises(ValueError, match="no move"):
        game.undo()


def test_two_passes_end_the_game_and_undo_reopens_it() -> None:
    game = Game(5)
    game.play(vertex("C3", 5))
    game.play(25)
    assert not game.is_over
    game.play(25)
    assert game.is_over
    assert game.undo() == Move(BLACK, 25)
    assert not game.is_over
    assert game.to_move == BLACK


def test_undo_restores_a_capture_and_the_ko() -> None:
    game = Game(5, 0.5)
    # build the ko shape of tests/engine/test_board.py by moves
    for name in "B3 C3 A2 D2 B1 C1 E5 B2".split():
        game.play(vertex(name, 5))
    before = game.board.copy()
    assert game.play(vertex("C2", 5)) == 1
    assert game.board.ko_point == vertex("B2", 5)
    assert game.board.captures[BLACK] == 1
    game.undo()
    assert game.board.to_array().tolist() == before.to_array().tolist()
    assert game.board.captures == before.captures == {BLACK: 0, WHITE: 0}
    assert game.board.ko_point is None
    assert game.board.hash == before.hash
    assert game.to_move == BLACK
    assert game.board.status(vertex("C2", 5)) is None


def test_undo_many_moves_of_a_random_game() -> None:
    rng = np.random.default_rng(1)
    game = Game(7, 0.5)
    boards = [game.board.copy()]
    while not game.is_over and len(game.moves) < 150:
        legal = np.flatnonzero(game.board.legal_mask())
        game.play(int(rng.choice(legal)))
        boards.append(game.board.copy())
    for expected in reversed(boards[:-1]):
        game.undo()
        assert game.board.to_array().tolist() == expected.to_array().tolist()
        assert game.board.captures == expected.captures
        assert game.board.ko_point == expected.ko_point
        assert game.board.to_move == expected.to_move
        assert game.board.legal_mask().tolist() == expected.legal_mask().tolist()
    assert game.moves == []


# -- resignation ---------------------------------------------------------------------------


@pytest.mark.parametrize("colour, text", [(BLACK, "W+R"), (WHITE, "B+R")])
def test_resign(colour: int, text: str) -> None:
    game = Game(9)
    game.play(vertex("E5", 9))
    game.resign(colour)
    assert game.is_over
    assert game.result == Result(3 - colour, 0.0, "resign")
    assert game.result.sgf() == text


def test_undo_after_resignation_clears_the_result() -> None:
    game = Game(9)
    game.play(vertex("E5", 9))
    game.resign(WHITE)
    game.undo()
    assert game.result is None
    assert not game.is_over


# -- handicap and setup ---------------------------------------------------------------------


def test_handicap_stones_and_white_to_move() -> None:
    game = Game(9, 0.5)
    points = vertices("C3 G7 C7 G3", 9)
    game.set_handicap(points)
    assert game.handicap == 4
    assert game.setup_black == points
    assert game.to_move == WHITE
    assert game.moves == []
    for a in points:
        assert game.board.get(a) == BLACK
    assert game.board.to_array().sum() == 4 * BLACK
    assert game.board.captures == {BLACK: 0, WHITE: 0}
    game.play(vertex("E5", 9))
    assert game.last_move == Move(WHITE, vertex("E5", 9))


def test_handicap_errors() -> None:
    game = Game(9)
    with pytest.raises(ValueError, match="repeat"):
        game.set_handicap(vertices("C3 C3", 9))
    assert game.board.to_array().sum() == 0
    game.play(vertex("E5", 9))
    with pytest.raises(ValueError):
        game.set_handicap(vertices("C3 G7", 9))
    game.undo()
    game.setup_stones([vertex("A1", 9)], [], BLACK)
    with pytest.raises(ValueError, match="not empty"):
        game.set_handicap(vertices("C3 G7", 9))


def test_refused_handicap_leaves_the_board_empty() -> None:
    """A handicap with an off-board point is refused as a whole (GTP set_free_handicap
    must not leave half of its stones behind)."""
    game = Game(9)
    with pytest.raises(IllegalMoveError) as info:
        game.set_handicap([vertex("C3", 9), 81 + 5])
    assert info.value.reason == "off-board"
    assert game.board.to_array().sum() == 0, f"stones left behind:\n{game.board}"
    assert game.handicap == 0
    game.set_handicap(vertices("C3 G7", 9))  # a corrected retry works
    assert game.handicap == 2


def test_setup_stones() -> None:
    game = Game(5, 0.5)
    game.setup_stones(vertices("A2 B1", 5), vertices("D4", 5), WHITE)
    assert game.to_move == WHITE
    assert game.setup_black == vertices("A2 B1", 5)
    assert game.setup_white == vertices("D4", 5)
    assert_stones(
        game.board,
        """
        . . . . .
        . . . O .
        . . . . .
        X . . . .
        . X . . .
        """,
    )
    with pytest.raises(IllegalMoveError) as info:
        game.setup_stones([], [vertex("A1", 5)], WHITE)
    assert info.value.reason == "suicide"
    with pytest.raises(IllegalMoveError) as info:
        game.setup_stones([vertex("D4", 5)], [], WHITE)
    assert info.value.reason == "occupied"


def test_clear_keeps_size_komi_and_rules() -> None:
    rules = Rules(allow_suicide=True)
    game = Game(7, 6.5, rules)
    game.set_handicap(vertices("C3 E5", 7))
    game.play(vertex("D4", 7))
    game.resign(BLACK)
    game.clear()
    assert (game.size, game.komi, game.rules) == (7, 6.5, rules)
    assert game.board.size == 7 and game.board.rules == rules
    assert game.moves == [] and game.setup_black == [] and game.handicap == 0
    assert game.result is None
    assert (game.board.to_array() == EMPTY).all()
    assert game.to_move == BLACK


# -- replay -----------------------------------------------------------------------------


def test_replay_gives_the_same_game() -> None:
    rng = np.random.default_rng(4)
    game = Game(9, 5.5)
    game.set_handicap(vertices("C3 G7", 9))
    while not game.is_over and len(game.moves) < 120:
        legal = np.flatnonzero(game.board.legal_mask())
        game.play(int(rng.choice(legal)), comment=f"move {len(game.moves) + 1}")
    copy = game.replay()
    assert copy is not game
    assert (copy.size, copy.komi, copy.handicap) == (9, 5.5, 2)
    assert copy.moves == game.moves
    assert copy.setup_black == game.setup_black
    assert copy.board.to_array().tolist() == game.board.to_array().tolist()
    assert copy.board.captures == game.board.captures
    assert copy.board.ko_point == game.board.ko_point
    assert copy.board.hash == game.board.hash
    assert copy.to_move == game.to_move
    assert copy.tromp_taylor_score() == game.tromp_taylor_score()


def test_replay_with_setup_stones_and_white_first() -> None:
    game = Game(5, 0.5)
    game.setup_stones(vertices("B2", 5), vertices("D4", 5), WHITE)
    game.play(vertex("C3", 5))
    game.play(vertex("C4", 5))
    copy = game.replay()
    assert copy.moves == [Move(WHITE, vertex("C3", 5)), Move(BLACK, vertex("C4", 5))]
    assert copy.board.to_array().tolist() == game.board.to_array().tolist()
    assert copy.to_move == WHITE


def test_replay_checks_every_move() -> None:
    game = Game(5)
    game.play(vertex("C3", 5))
    game.moves.append(Move(WHITE, vertex("C3", 5)))  # a broken record
    with pytest.raises(IllegalMoveError) as info:
        game.replay()
    assert info.value.reason == "occupied"
