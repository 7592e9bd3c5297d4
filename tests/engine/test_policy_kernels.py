"""The heavy playout policy: patterns, self-atari, eyes, tactics, and legal playouts."""

from __future__ import annotations

import numpy as np
import pytest

from engine import _playout_kernels as P
from engine import _policy_kernels as PK
from engine import coords
from engine.board import BLACK, EMPTY, WHITE, Board
from engine.game import Game

TABLE = PK.make_pattern_table()


def fast_state(board: Board, to_move: int | None = None) -> np.ndarray:
    s = P.new_state(board.size)
    ko = int(board.arrays.meta[3])
    P.load_position(s, board.arrays.color, board.to_move if to_move is None else to_move, ko)
    return s


def padded(vertex: str, size: int) -> int:
    return coords.action_to_padded(coords.from_gtp(vertex, size), size)


def board_from(size: int, black: list[str], white: list[str]) -> Board:
    board = Board(size)
    board.place_stones([coords.from_gtp(v, size) for v in black], BLACK)
    board.place_stones([coords.from_gtp(v, size) for v in white], WHITE)
    return board


def random_board(size: int, moves: int, seed: int) -> Game:
    rng = np.random.default_rng(seed)
    game = Game(size)
    for _ in range(moves):
        legal = np.flatnonzero(game.board.legal_mask()[:-1])
        if len(legal) == 0:
            break
        game.play(int(rng.choice(legal)))
    return game


def rotate_code(code: int) -> int:
    """Rotate a neighbourhood code by 90 degrees (same slot order as the module)."""
    cells = {off: (code >> (2 * k)) & 3 for k, off in enumerate(PK.NEIGHBOUR_OFFSETS)}
    out = 0
    for k, (dr, dc) in enumerate(PK.NEIGHBOUR_OFFSETS):
        out |= cells[(dc, -dr)] << (2 * k)
    return out


def swap_colors(code: int) -> int:
    out = 0
    for k in range(8):
        v = (code >> (2 * k)) & 3
        out |= {1: 2, 2: 1}.get(v, v) << (2 * k)
    return out


def test_pattern_table_is_symmetric() -> None:
    codes = np.flatnonzero(TABLE)
    assert 1000 < len(codes) < 65536
    for code in codes[:: max(1, len(codes) // 500)]:
        assert TABLE[rotate_code(int(code))] == 1
        assert TABLE[swap_colors(int(code))] == 1


def test_hane_pattern_matches() -> None:
    # black D5, white E5 above-right; the point D4 ... build "XO. / ... / ?.?" around E4
    board = board_from(9, ["D5"], ["E5"])
    s = fast_state(board)
    assert TABLE[PK.neighbourhood_code(s, padded("E4", 9))] == 1
    # an isolated empty point matches nothing
    assert TABLE[PK.neighbourhood_code(s, padded("H2", 9))] == 0


@pytest.mark.parametrize("seed", range(6))
def test_self_atari_agrees_with_the_rules_board(seed: int) -> None:
    game = random_board(9, 40 + 10 * seed, seed)
    board = game.board
    s = fast_state(board)
    for color in (BLACK, WHITE):
        for action in np.flatnonzero(board.legal_mask(color)[:-1]):
            action = int(action)
            p = coords.action_to_padded(action, 9)
            if not PK.legal_here(s, p, color):
                continue
            trial = board.copy()
            captured = trial.play(action, color)
            expected = captured == 0 and trial.liberties(action) == 1
            assert PK.is_self_atari(s, p, color) == expected, coords.to_gtp(action, 9)


def test_true_and_false_eyes() -> None:
    # black eye at A1 (corner) and a false eye at E5 with two white diagonals
    board = board_from(9, ["A2", "B1", "B2", "D5", "F5", "E4", "E6"], ["D4", "F6"])
    s = fast_state(board)
    assert PK.is_true_eye(s, padded("A1", 9), BLACK)
    assert not PK.is_true_eye(s, padded("A1", 9), WHITE)
    assert not PK.is_true_eye(s, padded("E5", 9), BLACK)


def test_tactical_moves_capture_and_escape() -> None:
    # white D5 in atari after black's last move E5: black... (white to move escapes at C5 side)
    board = board_from(9, ["D6", "D4", "E5"], ["D5"])
    s = fast_state(board, WHITE)
    out = np.zeros(64, dtype=np.int64)
    n = PK.tactical_moves(s, WHITE, padded("E5", 9), out)
    assert padded("C5", 9) in set(out[:n].tolist())
    # black to move after white's last move at D5's neighbour: captures at C5
    s = fast_state(board, BLACK)
    n = PK.tactical_moves(s, BLACK, padded("D5", 9), out)
    assert padded("C5", 9) in set(out[:n].tolist())


@pytest.mark.parametrize("size", [5, 9, 13])
def test_heavy_policy_plays_only_legal_moves(size: int) -> None:
    params = np.array([0.9, 0.95, 0.9])
    scratch = np.zeros(512, dtype=np.int64)
    rng = np.uint64(12345 + size)
    for game_index in range(3):
        board = Board(size)
        s = fast_state(board)
        last = -1
        for _ in range(3 * size * size):
            color = board.to_move
            p, state = PK.policy_move(s, color, last, rng, TABLE, params, scratch)
            rng = np.uint64(state)  # keep the generator unsigned across calls
            if p == P.PASS:
                if board.passes >= 1:
                    break
                board.play(size * size)
                P.pass_fast(s)
            else:
                action = coords.padded_to_action(int(p), size)
                assert board.status(action) in (None, "superko"), coords.to_gtp(action, size)
                if board.status(action) == "superko":
                    break
                board.play(action)
                P.play_fast(s, p, color)
            last = int(p)
            stones = board.arrays.color
            assert np.array_equal(s[P.COLOR][stones != 3], stones[stones != 3])
        assert game_index >= 0


def test_heavy_playouts_score_like_the_board() -> None:
    root = P.new_state(9)
    wins, moves, total = PK.run_heavy_playouts(
        root, 50, np.uint64(3), TABLE, np.array([0.9, 0.95, 0.9])
    )
    assert 0 <= wins <= 50
    assert 50 * 40 < moves < 50 * 3 * 81
    assert abs(total) <= 50 * 81


def test_priors_favour_captures_and_punish_self_atari() -> None:
    board = board_from(9, ["D6", "D4", "E5"], ["D5", "A1"])
    s = fast_state(board, BLACK)
    moves = np.array([padded("C5", 9), padded("B1", 9), padded("H8", 9), P.PASS], dtype=np.int64)
    visits = np.zeros(4, dtype=np.float32)
    wins = np.zeros(4, dtype=np.float32)
    prior = np.array([10.0, 15, 10, 10, 24, 22, 8, 10, 10, 20])
    PK.compute_priors(
        s, BLACK, padded("D5", 9), moves, 4, TABLE, prior, np.zeros(512, np.int64), visits, wins
    )
    rates = wins / visits
    assert rates[0] > rates[2]  # capture beats a random far move
    assert rates[3] < rates[2]  # pass is discouraged
    assert board.get(coords.from_gtp("B1", 9)) == EMPTY
