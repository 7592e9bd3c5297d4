"""Tests of the ladder planes (engine.features "ladder", engine._feature_kernels ladders).

Hand-made positions are read by hand (each case says why) and by the naive recursive
reader of ``tests.engine.naive_ladder``; random positions are checked against the
naive reader alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import _board_kernels as BK
from engine import _feature_kernels as FK
from engine import symmetry
from engine.board import BLACK, WHITE
from engine.evaluator import UniformEvaluator
from engine.features import EXTRA_PLANES, FeatureConfig, features, features_from_game
from engine.game import Game
from engine.player import Budget
from engine.puct import PUCTConfig, PUCTPlayer
from tests.engine.naive_ladder import ladder_planes
from tests.engine.test_features import game_from_diagram, plane, random_game

LADDER = FeatureConfig(history=1, extra=("ladder",))
OWN, OPP, MOVES = 3, 4, 5  # plane indices of LADDER: 2 history planes, colour, then ladder

# White C3 in atari: white D3 gets 2 liberties, black E3 (not D4, which lets white out at E3)
# and the stair runs up and right, D4 E4 E5 F5 ..., to the edge of the board.
WORKING = """
9 . . . . . . . . .
8 . . . . . . . . .
7 . . . . . . . . .
6 . . . . . . . . .
5 . . . . . . . . .
4 . . X . . . . . .
3 . X O . . . . . .
2 . . X X . . . . .
1 . . . . . . . . .
"""

# The same with a white stone on the stair's path: the ladder breaker joins the chain.
BROKEN = WORKING.replace("7 . . . . . . . . .", "7 . . . . . . O . .")

# The same without black C4: white C3 has 2 liberties; black C4 starts the working
# ladder, black D3 lets white out at C4 (3 liberties).
TWO_LIBERTIES = WORKING.replace("4 . . X", "4 . . .")

# At the edge: white C2 in atari extends to D2 (2 liberties, D1 and E2); after black E2,
# white D1 has one liberty (E1): the first line stops the ladder at once.
EDGE = """
5 . . . . .
4 . . . . .
3 . X X X .
2 . X O . .
1 . . X . .
"""

# The working ladder, but black B3 of the wall is in atari too: white B4 captures it and
# leaves black nothing (black D3, then white B3 joins A3 and B2), so white C3 escapes.
COUNTER = WORKING.replace("3 . X O", "3 O X O").replace("2 . . X X", "2 . O X X")


def naive(game: Game) -> np.ndarray:
    """Return the naive reader's planes of ``game``'s position."""
    size = game.size
    board = game.board
    stones = tuple(int(board.get(a)) for a in range(size * size))
    ko_point = board.ko_point
    return ladder_planes(stones, size, board.to_move, ko_point)


def planes_of(diagram: str, to_move: int) -> np.ndarray:
    return features(game_from_diagram(diagram, to_move), LADDER)


def test_ladder_config_adds_three_named_planes() -> None:
    assert EXTRA_PLANES["ladder"] == 3
    config = FeatureConfig(extra=("liberties", "ladder"))
    assert config.num_planes == 17 + 8 + 3
    assert config.offset("ladder") == 25
    assert config.plane_names()[-3:] == ["own_laddered", "opp_laddered", "ladder_moves"]


@pytest.mark.parametrize("to_move", [BLACK, WHITE])
def test_working_ladder_captures_the_chain_in_atari(to_move: int) -> None:
    game = game_from_diagram(WORKING, to_move)
    out = features(game, LADDER)
    white_plane = OWN if to_move == WHITE else OPP
    black_plane = OPP if to_move == WHITE else OWN
    np.testing.assert_array_equal(out[white_plane], plane(9, "C3"))
    assert not out[black_plane].any()
    assert not out[MOVES].any()  # no chain with two liberties is laddered
    np.testing.assert_array_equal(out[OWN : MOVES + 1], naive(game))


@pytest.mark.parametrize("to_move", [BLACK, WHITE])
def test_ladder_breaker_saves_the_chain(to_move: int) -> None:
    game = game_from_diagram(BROKEN, to_move)
    out = features(game, LADDER)
    assert not out[OWN : MOVES + 1].any()
    np.testing.assert_array_equal(out[OWN : MOVES + 1], naive(game))


def test_two_liberty_chain_and_the_move_that_starts_the_ladder() -> None:
    black = features(game_from_diagram(TWO_LIBERTIES, BLACK), LADDER)
    np.testing.assert_array_equal(black[OPP], plane(9, "C3"))
    np.testing.assert_array_equal(black[MOVES], plane(9, "C4"))  # not D3
    white = features(game_from_diagram(TWO_LIBERTIES, WHITE), LADDER)
    np.testing.assert_array_equal(white[OWN], plane(9, "C3"))  # threatened all the same
    assert not white[MOVES].any()  # white has no ladder to start
    broken = features(
        game_from_diagram(
            TWO_LIBERTIES.replace("7 . . . . . . . . .", "7 . . . . . . O . ."), BLACK
        ),
        LADDER,
    )
    assert not broken[OWN : MOVES + 1].any()


def test_ladder_on_the_edge() -> None:
    game = game_from_diagram(EDGE, WHITE)
    out = features(game, LADDER)
    np.testing.assert_array_equal(out[OWN], plane(5, "C2"))
    np.testing.assert_array_equal(out[OWN : MOVES + 1], naive(game))
    # a white stone at E2 gives the extension a third liberty: no ladder
    free = game_from_diagram(EDGE.replace("2 . X O . .", "2 . X O . O"), WHITE)
    assert not features(free, LADDER)[OWN].any()
    np.testing.assert_array_equal(features(free, LADDER)[OWN : MOVES + 1], naive(free))


def test_capturing_an_attacker_in_atari_is_an_escape() -> None:
    for to_move in (BLACK, WHITE):
        game = game_from_diagram(COUNTER, to_move)
        out = features(game, LADDER)
        assert out[OWN : MOVES + 1, 2, 2].sum() == 0.0  # white C3 is not laddered
        np.testing.assert_array_equal(out[OWN : MOVES + 1], naive(game))


@pytest.mark.parametrize(("size", "seed"), [(5, 1), (7, 2), (7, 3), (9, 4), (9, 5)])
def test_ladder_planes_match_the_naive_reader_on_random_positions(size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    laddered = moves = 0
    for game_seed in rng.integers(0, 10_000, size=6):
        game = random_game(size, int(rng.integers(size, 3 * size * size // 2)), int(game_seed))
        board = game.board
        out = np.zeros((3, size, size), dtype=np.float32)
        # a budget no read here reaches: the kernel then reads exactly the naive tree
        FK.fill_ladder_planes(
            board.arrays.color, board.to_move, int(board.arrays.meta[BK.M_KO]), 0, 10**6, out
        )
        np.testing.assert_array_equal(out, naive(game), err_msg=f"game seed {game_seed}")
        laddered += int(out[:2].any())
        moves += int(out[2].any())
    assert laddered >= 3 and moves >= 1  # the positions do hold ladders


@pytest.mark.parametrize("k", range(symmetry.NUM_SYMMETRIES))
def test_ladder_planes_transform_with_the_board(k: int) -> None:
    for diagram, to_move in [(WORKING, BLACK), (TWO_LIBERTIES, BLACK), (BROKEN, WHITE)]:
        game = game_from_diagram(diagram, to_move)
        moved = _transformed(game, k)
        np.testing.assert_array_equal(
            features(moved, LADDER), symmetry.apply_planes(features(game, LADDER), k)
        )


def test_replayed_games_get_the_same_ladder_planes() -> None:
    config = FeatureConfig(history=2, extra=("ladder", "ones"))
    game = random_game(7, 60, 11)
    rows = features_from_game(game, config, include_final=True)
    replay = Game(7)
    for i, move in enumerate(game.moves):
        np.testing.assert_array_equal(rows[i], features(replay, config))
        replay.play(move.action, move.color)
    np.testing.assert_array_equal(rows[-1], features(replay, config))


class _Recorder(UniformEvaluator):
    """A uniform network that keeps every batch of planes the search sends it."""

    def __init__(self, size: int) -> None:
        super().__init__(size, feature_config=LADDER)
        self.seen: list[np.ndarray] = []

    def evaluate(self, features: np.ndarray):  # type: ignore[no-untyped-def]
        self.seen.append(features.copy())
        return super().evaluate(features)


def test_search_leaves_get_ladder_planes() -> None:
    evaluator = _Recorder(9)
    game = game_from_diagram(TWO_LIBERTIES, BLACK)
    player = PUCTPlayer(evaluator, PUCTConfig(capacity=4_000), Budget(playouts=64))
    player.genmove(game, BLACK)
    leaves = np.concatenate(evaluator.seen)
    assert len(leaves) > 8
    marked = 0
    for planes in leaves:
        to_move = BLACK if planes[2, 0, 0] == 1.0 else WHITE
        own, opp = planes[0].reshape(-1), planes[1].reshape(-1)
        stones = tuple(
            int(to_move if own[a] else (3 - to_move) if opp[a] else 0) for a in range(81)
        )
        np.testing.assert_array_equal(planes[OWN : MOVES + 1], ladder_planes(stones, 9, to_move))
        marked += int(planes[OWN : MOVES + 1].any())
    assert marked > 0


def _transformed(game: Game, k: int) -> Game:
    size = game.size
    board = game.board
    black = [symmetry.apply_action(a, k, size) for a in range(size * size) if board.get(a) == BLACK]
    white = [symmetry.apply_action(a, k, size) for a in range(size * size) if board.get(a) == WHITE]
    moved = Game(size)
    moved.setup_stones(black, white, board.to_move)
    return moved
