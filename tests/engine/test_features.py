"""Tests of the network input planes (engine.features, engine._feature_kernels)."""

from __future__ import annotations

import numpy as np
import pytest

from engine import coords
from engine.board import BLACK, EMPTY, WHITE, IllegalMoveError, Rules
from engine.features import (
    EXTRA_PLANES,
    FeatureConfig,
    HistoryBuffer,
    batch_features,
    batch_features_from_history,
    features,
    features_from_game,
    features_from_history,
    features_from_moves,
)
from engine.game import Game
from engine.random_player import RandomPlayer

ALL_EXTRAS = FeatureConfig(extra=("liberties", "ko", "legal", "ones"))


# -- helpers ---------------------------------------------------------------------


def plane(size: int, vertices: str) -> np.ndarray:
    """Return a float32 (N, N) plane with ones at the GTP ``vertices`` (space separated)."""
    out = np.zeros((size, size), dtype=np.float32)
    for vertex in vertices.split():
        out.reshape(-1)[coords.from_gtp(vertex, size)] = 1.0
    return out


def game_from_diagram(diagram: str, to_move: int) -> Game:
    """Return a game whose setup stones are drawn in ``diagram`` (X black, O white).

    Lines start with the row number (top line = row N); a line of letters is ignored.
    """
    rows = [line.split() for line in diagram.strip().splitlines()]
    rows = [row[1:] for row in rows if row and row[0].isdigit()]
    size = len(rows)
    black, white = [], []
    for i, row in enumerate(rows):
        for col, mark in enumerate(row[:size]):
            action = (size - 1 - i) * size + col
            if mark == "X":
                black.append(action)
            elif mark == "O":
                white.append(action)
    game = Game(size)
    game.setup_stones(black, white, to_move)
    return game


def play(game: Game, moves: str) -> Game:
    """Play the space-separated GTP ``moves`` (alternating colours) on ``game``."""
    for vertex in moves.split():
        game.play(coords.from_gtp(vertex, game.size))
    return game


def random_game(size: int, max_moves: int, seed: int, pass_rate: float = 0.03) -> Game:
    """Return a game of random legal moves with an occasional pass (never two in a row)."""
    game = Game(size)
    player = RandomPlayer(seed)
    rng = np.random.default_rng(seed + 1)
    while len(game.moves) < max_moves:
        last_was_pass = bool(game.moves) and game.moves[-1].action == game.pass_action
        if not last_was_pass and rng.random() < pass_rate:
            game.play(game.pass_action)
            continue
        action = player.genmove(game, game.to_move).action
        if action == game.pass_action and last_was_pass:
            break
        game.play(action)
    return game


def naive_liberties(game: Game) -> np.ndarray:
    """Return int (N, N): the liberty count of the chain at each stone, by flood fill."""
    grid = game.board.to_array()
    size = game.size
    out = np.zeros((size, size), dtype=np.int64)
    for row in range(size):
        for col in range(size):
            if grid[row, col] == EMPTY:
                continue
            chain, libs, todo = {(row, col)}, set(), [(row, col)]
            while todo:
                r, c = todo.pop()
                for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                    if not (0 <= nr < size and 0 <= nc < size):
                        continue
                    if grid[nr, nc] == EMPTY:
                        libs.add((nr, nc))
                    elif grid[nr, nc] == grid[row, col] and (nr, nc) not in chain:
                        chain.add((nr, nc))
                        todo.append((nr, nc))
            out[row, col] = len(libs)
    return out


# -- config ----------------------------------------------------------------------


def test_default_config_is_alphago_zero_17_planes() -> None:
    config = FeatureConfig()
    assert config.num_planes == 17
    assert config.plane_names()[:3] == ["own_0", "opp_0", "own_1"]
    assert config.plane_names()[-1] == "black_to_move"
    assert features(Game(9)).shape == (17, 9, 9)
    assert features(Game(9)).dtype == np.float32


def test_extra_planes_count_and_offsets() -> None:
    assert ALL_EXTRAS.num_planes == 17 + 8 + 1 + 1 + 1 == 28
    assert len(ALL_EXTRAS.plane_names()) == 28
    assert ALL_EXTRAS.offset("liberties") == 17
    assert ALL_EXTRAS.offset("ko") == 25
    assert ALL_EXTRAS.offset("legal") == 26
    assert ALL_EXTRAS.offset("ones") == 27
    reordered = FeatureConfig(history=2, extra=["ones", "ko"])
    assert reordered.extra == ("ones", "ko")
    assert reordered.num_planes == 7
    assert reordered.offset("ones") == 5 and reordered.offset("ko") == 6
    assert set(EXTRA_PLANES) == {"liberties", "ko", "legal", "ones", "ladder"}
    with pytest.raises(KeyError):
        reordered.offset("legal")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"history": 0},
        {"extra": ("bogus",)},
        {"extra": ("ko", "ko")},
        {"extra": "ko"},
    ],
)
def test_invalid_config_raises(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        FeatureConfig(**kwargs)


# -- AlphaGo Zero planes -----------------------------------------------------------

# Black C5 captures the white stone C4 on move 7; white is then to move.
CAPTURE_GAME = "C3 C4 B4 E1 D4 E2 C5"
CAPTURE_HISTORY = [
    # (t, X_t: white stones t moves ago, Y_t: black stones t moves ago)
    (0, "E1 E2", "C3 B4 D4 C5"),
    (1, "C4 E1 E2", "C3 B4 D4"),
    (2, "C4 E1", "C3 B4 D4"),
    (3, "C4 E1", "C3 B4"),
    (4, "C4", "C3 B4"),
    (5, "C4", "C3"),
    (6, "", "C3"),
    (7, "", ""),
]


def test_capture_game_history_planes() -> None:
    game = play(Game(5), CAPTURE_GAME)
    assert game.board.diagram() == "\n".join(
        [
            "   A B C D E",
            " 5 . . X . . 5",
            " 4 . X . X . 4",
            " 3 . . X . . 3",
            " 2 . . . . O 2",
            " 1 . . . . O 1",
            "   A B C D E",
        ]
    )
    x = features(game)
    for t, own, opp in CAPTURE_HISTORY:
        np.testing.assert_array_equal(x[2 * t], plane(5, own), err_msg=f"X_{t}")
        np.testing.assert_array_equal(x[2 * t + 1], plane(5, opp), err_msg=f"Y_{t}")
    np.testing.assert_array_equal(x[16], np.zeros((5, 5)))  # white to move


def test_side_to_move_swaps_own_and_opponent() -> None:
    game = play(Game(5), CAPTURE_GAME)
    game.undo()  # black to move, before the capture
    x = features(game)
    np.testing.assert_array_equal(x[0], plane(5, "C3 B4 D4"))
    np.testing.assert_array_equal(x[1], plane(5, "C4 E1 E2"))
    np.testing.assert_array_equal(x[2], plane(5, "C3 B4 D4"))
    np.testing.assert_array_equal(x[3], plane(5, "C4 E1"))
    np.testing.assert_array_equal(x[16], np.ones((5, 5)))  # black to move


def test_empty_game_pads_history_with_empty_planes() -> None:
    x = features(Game(9))
    assert not x[:16].any()
    assert (x[16] == 1).all()
    x = features(play(Game(9), "E5"))
    np.testing.assert_array_equal(x[1], plane(9, "E5"))
    assert not x[0].any() and not x[2:].any()


def test_pass_repeats_the_position_in_history() -> None:
    game = play(Game(5), "C3 pass D4")
    x = features(game)  # white to move
    expected_black = ["C3 D4", "C3", "C3", ""]
    for t, black in enumerate(expected_black):
        np.testing.assert_array_equal(x[2 * t + 1], plane(5, black), err_msg=f"Y_{t}")
        assert not x[2 * t].any()
    assert not x[8:].any()


def test_colour_plane_follows_side_to_move() -> None:
    game = Game(9)
    for i in range(6):
        x = features(game)
        value = 1.0 if game.to_move == BLACK else 0.0
        assert (x[16] == value).all()
        assert game.to_move == (BLACK if i % 2 == 0 else WHITE)
        game.play(i)
    handicap = Game(9)
    handicap.set_handicap([coords.from_gtp("C3", 9), coords.from_gtp("G7", 9)])
    x = features(handicap)  # white to move: own = white (none), opp = the handicap stones
    assert not x[16].any()
    assert not x[0].any()
    np.testing.assert_array_equal(x[1], plane(9, "C3 G7"))
    assert not x[2:16].any()


def test_shorter_history() -> None:
    config = FeatureConfig(history=2)
    x = features(play(Game(5), CAPTURE_GAME), config)
    assert x.shape == (5, 5, 5)
    np.testing.assert_array_equal(x[0], plane(5, "E1 E2"))
    np.testing.assert_array_equal(x[3], plane(5, "C3 B4 D4"))
    assert not x[4].any()


# -- extra planes ------------------------------------------------------------------

LIBERTY_POSITION = """
7 X . . . . O .
6 O . . . . O .
5 . . . . . . .
4 . . . X . . O
3 . . . . . . .
2 . . . . . . .
1 O X . X . . X
  A B C D E F G
"""
# (liberty plane, points for black to move, points for white to move)
LIBERTY_PLANES = [
    (0, "A7", "A1"),  # own chains with 1 liberty
    (1, "B1 G1", "A6"),  # own, 2
    (2, "D1", "G4"),  # own, 3
    (3, "D4", "F7 F6"),  # own, 4 or more
    (4, "A1", "A7"),  # opponent, 1
    (5, "A6", "B1 G1"),  # opponent, 2
    (6, "G4", "D1"),  # opponent, 3
    (7, "F7 F6", "D4"),  # opponent, 4 or more
]


@pytest.mark.parametrize("to_move", [BLACK, WHITE])
def test_liberty_planes(to_move: int) -> None:
    game = game_from_diagram(LIBERTY_POSITION, to_move)
    x = features(game, ALL_EXTRAS)
    first = ALL_EXTRAS.offset("liberties")
    for k, black_view, white_view in LIBERTY_PLANES:
        expected = plane(7, black_view if to_move == BLACK else white_view)
        np.testing.assert_array_equal(x[first + k], expected, err_msg=f"liberty plane {k}")


# Black C2 takes the white stone B2 in a ko; white may not retake at B2 at once.
KO_POSITION = """
5 . . . . .
4 . . . . .
3 . X O . .
2 X O . O .
1 . X O . .
  A B C D E
"""


def test_ko_and_legal_planes() -> None:
    game = game_from_diagram(KO_POSITION, BLACK)
    x = features(game, ALL_EXTRAS)
    assert not x[ALL_EXTRAS.offset("ko")].any()
    play(game, "C2")
    assert game.board.ko_point == coords.from_gtp("B2", 5)
    x = features(game, ALL_EXTRAS)
    np.testing.assert_array_equal(x[ALL_EXTRAS.offset("ko")], plane(5, "B2"))
    occupied = "B1 C1 A2 C2 D2 B3 C3"
    illegal = plane(5, occupied + " B2 A1")  # B2 ko, A1 suicide
    np.testing.assert_array_equal(x[ALL_EXTRAS.offset("legal")], 1.0 - illegal)
    # once white plays elsewhere the ko is gone
    play(game, "E5")
    x = features(game, ALL_EXTRAS)
    assert not x[ALL_EXTRAS.offset("ko")].any()


def test_ones_plane() -> None:
    config = FeatureConfig(extra=("ones",))
    x = features(play(Game(9), "E5 C3"), config)
    assert x.shape == (18, 9, 9)
    assert (x[17] == 1).all()


def test_liberty_planes_match_flood_fill_on_random_positions() -> None:
    game = random_game(9, 120, seed=3)
    first = ALL_EXTRAS.offset("liberties")
    for _ in range(0, 120, 7):
        x = features(game, ALL_EXTRAS)
        libs = np.minimum(naive_liberties(game), 4)
        grid = game.board.to_array()
        for side, color in ((0, game.to_move), (4, 3 - game.to_move)):
            for k in range(4):
                expected = (grid == color) & (libs == k + 1)
                np.testing.assert_array_equal(x[first + side + k], expected)
        for _ in range(7):
            if game.moves:
                game.undo()


def test_out_buffer_is_overwritten_completely() -> None:
    game = random_game(9, 40, seed=5)
    out = np.full((ALL_EXTRAS.num_planes, 9, 9), np.nan, dtype=np.float32)
    result = features(game, ALL_EXTRAS, out=out)
    assert result is out
    np.testing.assert_array_equal(out, features(game, ALL_EXTRAS))
    with pytest.raises(ValueError):
        features(game, ALL_EXTRAS, out=np.empty((17, 9, 9), dtype=np.float32))
    with pytest.raises(ValueError):
        features(game, ALL_EXTRAS, out=np.empty((28, 9, 9), dtype=np.float64))


# -- history buffer and batches ------------------------------------------------------


@pytest.mark.parametrize("size", [9, 19])
def test_history_buffer_follows_the_game(size: int) -> None:
    reference = random_game(size, 40, seed=size)
    game = Game(size)
    history = HistoryBuffer(size, depth=8)
    history.push_board(game.board)
    for move in reference.moves:
        np.testing.assert_array_equal(
            features_from_history(history, game.board, ALL_EXTRAS), features(game, ALL_EXTRAS)
        )
        game.play(move.action, move.color)
        history.push_board(game.board)
    assert history.count == 8
    np.testing.assert_array_equal(history.stack, HistoryBuffer.from_game(game).stack)
    branch = history.copy()
    game.play(game.pass_action)
    branch.push_board(game.board)
    np.testing.assert_array_equal(history.stack[0], branch.stack[0])  # a pass keeps the stones
    assert not np.shares_memory(history.stack, branch.stack)


def test_history_buffer_checks() -> None:
    game = play(Game(9), "E5 C3")
    history = HistoryBuffer.from_game(game, depth=4)
    assert history.count == 3
    with pytest.raises(ValueError):
        features_from_history(history, game.board)  # depth 4 < history 8
    np.testing.assert_array_equal(
        features_from_history(history, game.board, FeatureConfig(history=4)),
        features(game, FeatureConfig(history=4)),
    )
    play(game, "D4")
    with pytest.raises(ValueError):
        features_from_history(history, game.board, FeatureConfig(history=4))  # stale
    with pytest.raises(ValueError):
        history.push(np.zeros(10, dtype=np.int8))
    with pytest.raises(ValueError):
        HistoryBuffer(9, depth=0)
    history.clear()
    assert history.count == 0 and not history.stack.any()


@pytest.mark.parametrize("size", [9, 19])
@pytest.mark.parametrize("config", [FeatureConfig(), ALL_EXTRAS], ids=["agz", "extras"])
def test_batch_equals_single_positions(size: int, config: FeatureConfig) -> None:
    games = [random_game(size, length, seed=length) for length in (0, 1, 5, 12, 30, 61)]
    single = np.stack([features(game, config) for game in games])
    np.testing.assert_array_equal(batch_features(games, config), single)
    histories = [HistoryBuffer.from_game(game) for game in games]
    boards = [game.board for game in games]
    out = np.full_like(single, np.nan)
    result = batch_features_from_history(histories, boards, config, out=out)
    assert result is out
    np.testing.assert_array_equal(out, single)


def test_batch_rejects_mixed_sizes() -> None:
    with pytest.raises(ValueError):
        batch_features([Game(9), Game(13)])
    with pytest.raises(ValueError):
        batch_features([])


# -- whole game records -----------------------------------------------------------------


@pytest.mark.parametrize(("size", "length"), [(9, 130), (19, 70)])
def test_features_from_moves_matches_per_position_features(size: int, length: int) -> None:
    game = random_game(size, length, seed=11)
    assert len(game.moves) >= min(length, 100)
    assert any(move.action == game.pass_action for move in game.moves)
    assert sum(game.board.captures.values()) > 0 or size == 19
    rebuilt = features_from_moves(
        size, [move.action for move in game.moves], ALL_EXTRAS, include_final=True
    )
    assert rebuilt.shape == (len(game.moves) + 1, 28, size, size)
    replay = Game(size)
    for i, move in enumerate(game.moves):
        np.testing.assert_array_equal(rebuilt[i], features(replay, ALL_EXTRAS), err_msg=f"{i}")
        replay.play(move.action, move.color)
    np.testing.assert_array_equal(rebuilt[-1], features(replay, ALL_EXTRAS))
    default = features_from_moves(size, [move.action for move in game.moves])
    np.testing.assert_array_equal(default, rebuilt[:-1, :17])


def test_features_from_game_with_handicap_and_out_of_turn_moves() -> None:
    game = Game(9)
    game.set_handicap([coords.from_gtp(v, 9) for v in ("C3", "G7", "G3")])
    play(game, "E5 D4 F5")  # white, black, white
    game.play(coords.from_gtp("E4", 9), WHITE)  # white again, as GTP allows
    play(game, "C7 pass D5")
    expected = []
    replay = game.replay()
    while replay.moves:
        replay.undo()
    for move in game.moves:
        expected.append(features(replay, ALL_EXTRAS))
        replay.play(move.action, move.color)
    expected.append(features(replay, ALL_EXTRAS))
    np.testing.assert_array_equal(
        features_from_game(game, ALL_EXTRAS, include_final=True), np.stack(expected)
    )
    assert not features_from_game(game)[0, 16].any()  # white moves first after handicap


def test_legal_plane_knows_superko() -> None:
    # A position in which black may not play a stone because it would repeat an
    # earlier whole-board position, found by searching random 5x5 games.
    superko_seen = 0
    for seed in range(40):
        game = random_game(5, 120, seed=seed, pass_rate=0.0)
        rebuilt = features_from_game(game, ALL_EXTRAS)
        replay = Game(5)
        for i, move in enumerate(game.moves):
            statuses = [replay.board.status(a) for a in range(25)]
            superko_seen += statuses.count("superko")
            legal = replay.board.legal_mask()[:25].reshape(5, 5)
            np.testing.assert_array_equal(rebuilt[i, ALL_EXTRAS.offset("legal")], legal)
            replay.play(move.action, move.color)
        if superko_seen:
            break
    assert superko_seen > 0
    no_superko = Rules(superko=False)
    game = Game(5, rules=no_superko)
    play(game, "C3 C4")
    planes = features_from_moves(5, [12, 17], ALL_EXTRAS, rules=no_superko, include_final=True)
    np.testing.assert_array_equal(planes[-1], features(game, ALL_EXTRAS))


def test_features_from_moves_rejects_illegal_moves() -> None:
    with pytest.raises(IllegalMoveError) as info:
        features_from_moves(5, [12, 12])
    assert info.value.reason == "occupied"
    ko = game_from_diagram(KO_POSITION, BLACK)
    black = [a for a in range(25) if ko.board.get(a) == BLACK]
    white = [a for a in range(25) if ko.board.get(a) == WHITE]
    moves = [coords.from_gtp(v, 5) for v in ("C2", "B2")]
    with pytest.raises(IllegalMoveError) as info:
        features_from_moves(5, moves, setup_black=black, setup_white=white)
    assert info.value.reason == "ko"
    with pytest.raises(IllegalMoveError) as info:
        features_from_moves(5, [99])
    assert info.value.reason == "off-board"
    with pytest.raises(ValueError):
        features_from_moves(5, [1, 2], colors=[BLACK])
    with pytest.raises(ValueError):
        features_from_moves(5, [1], colors=[5])
