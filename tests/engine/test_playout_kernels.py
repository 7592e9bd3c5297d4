"""Cross-check the fast playout board (``engine._playout_kernels``) against ``Board``.

The playout board keeps pseudo-liberties and checks simple ko only, so legality is
compared with the rules board's verdict where a superko-only refusal counts as
legal.  Checks, move for move:

* ``play_fast`` / ``pass_fast`` / ``load_position`` / ``is_legal_fast`` on random
  games: stones, colour to move, ko point, empty list, chains, exact pseudo-liberty
  sums, atari (``in_atari`` must equal ``Board.liberties == 1``) and legality;
* ``light_playout`` (its own inlined move code): traced moves replayed on a
  ``Board`` must be legal, never fill the mover's own 4-neighbour eye, pass only
  when no such move is left, and end with the same stones and score; played one
  move per call, the whole structure is compared after every move;
* ``run_light_playouts``, ``light_ownership`` and ``add_area_owner`` against
  replays scored by ``Board.tromp_taylor_owner``.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import _playout_kernels as P
from engine import coords
from engine.board import BLACK, EMPTY, WALL, WHITE, Board, Rules
from tests.conftest import board_from_diagram

SIMPLE_KO = Rules(superko=False)


# -- helpers ------------------------------------------------------------------------


def _ko_padded(board: Board) -> int:
    return -1 if board.ko_point is None else coords.action_to_padded(board.ko_point, board.size)


def _loaded(board: Board) -> np.ndarray:
    s = P.new_state(board.size)
    P.load_position(s, board.arrays.color, board.to_move, _ko_padded(board))
    return s


def _own_eye(board: Board, colour: int) -> np.ndarray:
    """Return bool[N*N]: points whose four neighbours are ``colour`` stones or walls."""
    n, w = board.size, board.width
    grid = board.arrays.color.reshape(w, w)
    eye = np.ones((n, n), dtype=bool)
    for near in (grid[:-2, 1:-1], grid[2:, 1:-1], grid[1:-1, :-2], grid[1:-1, 2:]):
        eye &= (near == colour) | (near == WALL)
    return eye.reshape(-1)


def _simple_ko_legal(board: Board, colour: int) -> np.ndarray:
    """Return bool[N*N]: legal for ``colour`` by the rules board, superko ignored."""
    legal = board.legal_mask(colour)[:-1].copy()
    for a in np.flatnonzero(~legal):
        if board.status(int(a), colour) == "superko":
            legal[a] = True
    return legal


def assert_same_structure(s: np.ndarray, board: Board) -> None:
    """Assert that the playout state ``s`` describes exactly the position of ``board``."""
    w = board.width
    color = board.arrays.color
    assert s[P.COLOR].tolist() == color.astype(np.int64).tolist()
    assert s[P.META, P.X_TO_MOVE] == board.to_move
    assert s[P.META, P.X_KO] == _ko_padded(board)
    assert s[P.META, P.X_SIZE] == board.size and s[P.META, P.X_WIDTH] == w
    # empty list: exactly the empty points, with consistent back indices
    empties = np.flatnonzero(color == EMPTY)
    n_empty = int(s[P.META, P.X_NEMPTY])
    listed = s[P.ELIST, :n_empty]
    assert sorted(listed.tolist()) == empties.tolist()
    assert (s[P.EIDX, listed] == np.arange(n_empty)).all()
    stones = np.flatnonzero((color == BLACK) | (color == WHITE))
    if len(stones) == 0:
        return
    # chains: the same partition of the stones, heads inside their chains, sizes
    s_head = s[P.HEAD, stones]
    b_head = board.arrays.head[stones]
    assert (s[P.HEAD, s_head] == s_head).all()
    assert (color[s_head] == color[stones]).all()
    pairs = np.unique(np.stack([s_head, b_head]), axis=1)
    assert len(np.unique(s_head)) == len(np.unique(b_head)) == pairs.shape[1]
    assert (s[P.SIZE, s_head] == board.arrays.stones[b_head]).all()
    # exact pseudo-liberties: (stone, empty neighbour) pairs, their sum and squares
    plib = np.zeros(w * w, dtype=np.int64)
    lsum = np.zeros(w * w, dtype=np.int64)
    lsq = np.zeros(w * w, dtype=np.int64)
    for d in (-w, -1, 1, w):
        near = stones + d
        free = color[near] == EMPTY
        np.add.at(plib, s_head[free], 1)
        np.add.at(lsum, s_head[free], near[free])
        np.add.at(lsq, s_head[free], near[free] ** 2)
    heads = np.unique(s_head)
    assert s[P.PLIB, heads].tolist() == plib[heads].tolist()
    assert s[P.LSUM, heads].tolist() == lsum[heads].tolist()
    assert s[P.LSQ, heads].tolist() == lsq[heads].tolist()
    # atari by the sum-of-squares test equals one real liberty
    atari = [bool(P.in_atari(s, int(h))) for h in s_head]
    assert atari == (board.arrays.libs[b_head] == 1).tolist()


def assert_same_legality(s: np.ndarray, board: Board) -> None:
    """Assert ``is_legal_fast`` equals the rules board's verdict (superko ignored).

    The side to move is checked on every point; the other colour everywhere but on
    the ko point (the playout board bans it for both colours, as only the side to
    move ever asks).
    """
    n = board.size
    for colour in (board.to_move, 3 - board.to_move):
        legal = _simple_ko_legal(board, colour)
        for a in range(n * n):
            p = coords.action_to_padded(a, n)
            if colour != board.to_move and a == board.ko_point:
                continue
            assert bool(P.is_legal_fast(s, p, colour)) == bool(legal[a]), (
                f"{'.XO'[colour]} {coords.to_gtp(a, n)}: is_legal_fast "
                f"{P.is_legal_fast(s, p, colour)}, board {board.status(a, colour)}\n{board}"
            )


def _random_position(size: int, moves: int, rng: np.random.Generator) -> Board:
    """Return a board after up to ``moves`` random non-eye-filling moves (simple ko)."""
    board = Board(size, SIMPLE_KO)
    for _ in range(moves):
        colour = board.to_move
        ok = np.flatnonzero(board.legal_mask()[:-1] & ~_own_eye(board, colour))
        if len(ok) == 0:
            board.play(size * size)
            if board.passes >= 2:
                break
            continue
        board.play(int(rng.choice(ok)))
    return board


def _playout(
    s: np.ndarray, state: np.uint64, max_moves: int, trace: np.ndarray
) -> tuple[int, int, np.uint64]:
    """Run ``light_playout``; return (score, moves, next generator state as np.uint64).

    numba hands the uint64 state back as a Python int, which it would type as int64
    on the next call (arithmetic shifts, negative candidate indices): re-wrap it.
    """
    assert isinstance(state, np.uint64)
    score, moves, after = P.light_playout(s, state, max_moves, trace)
    return int(score), int(moves), np.uint64(after)


def _replay(board: Board, trace: np.ndarray, count: int) -> Board:
    """Replay ``count`` traced moves on a copy of ``board``, checking each one."""
    board = board.copy()
    n = board.size
    for i in range(count):
        p = int(trace[i])
        colour = board.to_move
        if p == P.PASS:
            open_moves = board.legal_mask()[:-1] & ~_own_eye(board, colour)
            assert not open_moves.any(), f"pass at move {i} with moves left\n{board}"
            board.play(n * n)
            continue
        a = coords.padded_to_action(p, n)
        assert 0 <= a < n * n and coords.action_to_padded(a, n) == p, p
        assert not _own_eye(board, colour)[a], f"own eye filled at {coords.to_gtp(a, n)}"
        why = board.status(a)
        assert why is None, f"move {i} {coords.to_gtp(a, n)} is illegal ({why})\n{board}"
        board.play(a)
    return board


# -- (a) play_fast, is_legal_fast, load_position -----------------------------------------


@pytest.mark.parametrize("size, games, max_moves", [(5, 12, 80), (9, 5, 160), (19, 1, 300)])
def test_play_fast_follows_the_board(size: int, games: int, max_moves: int) -> None:
    rng = np.random.default_rng(size)
    kos = 0
    for _ in range(games):
        board = Board(size)  # with superko: those refusals must count as legal here
        s = P.new_state(size)
        assert_same_structure(s, board)
        for _ in range(max_moves):
            colour = board.to_move
            legal = board.legal_mask()[:-1]
            ok = np.flatnonzero(legal & ~_own_eye(board, colour))
            if len(ok) == 0 or rng.random() < 0.02:
                board.play(size * size)
                P.pass_fast(s)
                if board.passes >= 2:
                    break
            else:
                a = int(rng.choice(ok))
                captured = board.play(a)
                assert P.play_fast(s, coords.action_to_padded(a, size), colour) == captured
            kos += board.ko_point is not None
            assert_same_structure(s, board)
            assert_same_legality(s, board)
            loaded = _loaded(board)
            assert_same_structure(loaded, board)
            assert_same_legality(loaded, board)
            assert P.score_area(s) == board.area_score(0.0)
    assert kos > 0 or size == 19


def test_in_atari_on_a_diagram() -> None:
    board = board_from_diagram(
        """
        . X O . .
        X X O . .
        . O O X .
        . . X X X
        O . . . .
        """
    )
    s = _loaded(board)
    for name, expected in (("B4", False), ("C5", False), ("C2", False), ("A1", False)):
        a = coords.from_gtp(name, 5)
        assert bool(P.in_atari(s, int(s[P.HEAD, coords.action_to_padded(a, 5)]))) == expected
    board.play(coords.from_gtp("A3", 5), WHITE)  # black B4 chain now has A5 only
    board.play(coords.from_gtp("B1", 5), BLACK)  # and white A1 has A2 only
    s = _loaded(board)
    for name in ("B4", "A1"):
        p = coords.action_to_padded(coords.from_gtp(name, 5), 5)
        h = int(s[P.HEAD, p])
        assert P.in_atari(s, h)
        assert board.liberties(coords.from_gtp(name, 5)) == 1
    assert_same_structure(s, board)


# -- (b) light playouts --------------------------------------------------------------------


def _start_positions(size: int, count: int, rng: np.random.Generator) -> list[Board]:
    starts = [Board(size, SIMPLE_KO)]
    while len(starts) < count:
        starts.append(_random_position(size, int(rng.integers(1, 2 * size * size)), rng))
    return starts


@pytest.mark.parametrize("size, positions, playouts", [(5, 20, 30), (9, 10, 15), (19, 3, 3)])
def test_light_playout_traces_replay_on_the_board(
    size: int, positions: int, playouts: int
) -> None:
    rng = np.random.default_rng(100 + size)
    seed = np.uint64(12345 + size)
    max_moves = 3 * size * size
    trace = np.full(max_moves, -7, dtype=np.int32)
    passes_seen = 0
    for start in _start_positions(size, positions, rng):
        root = _loaded(start)
        for _ in range(playouts):
            s = root.copy()
            trace[:] = -7
            score, moves, seed = _playout(s, seed, max_moves, trace)
            assert 0 < moves <= max_moves
            assert (trace[moves:] == -7).all()
            end = _replay(start, trace, moves)
            passes_seen += int((trace[:moves] == P.PASS).sum())
            assert score == end.area_score(0.0)
            assert_same_structure(s, end)
            trailing = 0
            while trailing < moves and trace[moves - 1 - trailing] == P.PASS:
                trailing += 1
            assert s[P.META, P.X_PASSES] == trailing  # load_position starts at 0 passes
            if moves < max_moves:
                assert trailing == 2
    assert passes_seen > 0


@pytest.mark.parametrize("size", [5, 9, 19])
def test_light_playout_move_by_move(size: int) -> None:
    """One move per call continues the same playout; compare everything after each."""
    rng = np.random.default_rng(7 + size)
    seed = np.uint64(99 + size)
    trace = np.zeros(1, dtype=np.int32)
    for start in _start_positions(size, 3 if size < 19 else 1, rng):
        s = _loaded(start)
        board = start.copy()
        steps = 0
        while steps < 3 * size * size:
            score, moves, seed = _playout(s, seed, 1, trace)
            assert moves == 1
            steps += 1
            board = _replay(board, trace, 1)
            assert_same_structure(s, board)
            assert score == board.area_score(0.0)
            if s[P.META, P.X_PASSES] == 2:
                break
        assert steps == 3 * size * size or board.passes >= 2


def test_light_playout_is_uniform_over_non_eye_legal_moves() -> None:
    """The first move is equally likely on every legal point that is not an own eye."""
    board = board_from_diagram(
        """
        . . . O .
        . . . . O
        . X O . .
        X O . O .
        . X O . .
        """
    )
    board.play(coords.from_gtp("C2", 5))  # black takes the ko: white may not retake at B2
    assert board.to_move == WHITE
    assert _own_eye(board, WHITE)[coords.from_gtp("E5", 5)]
    assert board.status(coords.from_gtp("B2", 5)) == "ko"
    assert board.status(coords.from_gtp("A1", 5)) == "suicide"
    root = _loaded(board)
    colour = board.to_move
    allowed = _simple_ko_legal(board, colour) & ~_own_eye(board, colour)
    candidates = set(np.flatnonzero(allowed).tolist())
    assert len(candidates) >= 4
    counts: dict[int, int] = {}
    trace = np.zeros(1, dtype=np.int32)
    seed = np.uint64(2024)
    draws = 12000
    for _ in range(draws):
        s = root.copy()
        _, _, seed = _playout(s, seed, 1, trace)
        a = coords.padded_to_action(int(trace[0]), 5)
        counts[a] = counts.get(a, 0) + 1
    assert set(counts) == candidates
    expected = draws / len(candidates)
    for a, count in counts.items():
        assert abs(count - expected) < 5 * np.sqrt(expected), (coords.to_gtp(a, 5), counts)


def test_run_light_playouts_equals_replayed_playouts() -> None:
    rng = np.random.default_rng(5)
    for size in (5, 9):
        start = _random_position(size, size * size // 2, rng)
        root = _loaded(start)
        before = root.copy()
        n_playouts, seed = 25, np.uint64(77)
        wins, total_moves, total_score = P.run_light_playouts(root, n_playouts, seed)
        assert (root == before).all()  # the root is left as it was
        state = seed | np.uint64(1)
        trace = np.zeros(3 * size * size, dtype=np.int32)
        expect = [0, 0, 0]
        for _ in range(n_playouts):
            s = root.copy()
            score, moves, state = _playout(s, state, 3 * size * size, trace)
            end = _replay(start, trace, moves)
            assert end.area_score(0.0) == score
            expect[0] += score > 0
            expect[1] += moves
            expect[2] += score
        assert [wins, total_moves, total_score] == expect


def _owner_sign(board: Board) -> np.ndarray:
    """Return float64[W*W] +1/-1/0 of the Tromp-Taylor owners of ``board``."""
    w = board.width
    owner = np.zeros((w, w))
    tt = board.tromp_taylor_owner()
    owner[1:-1, 1:-1] = np.where(tt == BLACK, 1.0, np.where(tt == WHITE, -1.0, 0.0))
    return owner.reshape(-1)


def test_add_area_owner_matches_tromp_taylor_owner() -> None:
    rng = np.random.default_rng(11)
    for size in (2, 5, 9, 13, 19):
        for moves in (0, 1, size, size * size // 2, 3 * size * size):
            board = _random_position(size, moves, rng)
            owner_sum = np.full(board.width**2, 0.5)
            P.add_area_owner(_loaded(board), owner_sum)
            assert (owner_sum - 0.5).tolist() == _owner_sign(board).tolist()


@pytest.mark.parametrize("size", [5, 9])
def test_light_ownership_equals_replayed_owners(size: int) -> None:
    rng = np.random.default_rng(size)
    start = _random_position(size, size * size // 2, rng)
    root = _loaded(start)
    before = root.copy()
    n_playouts, seed = 20, np.uint64(31)
    owner_sum = np.zeros(start.width**2)
    P.light_ownership(root, n_playouts, seed, owner_sum)
    assert (root == before).all()
    state = seed | np.uint64(1)
    trace = np.zeros(3 * size * size, dtype=np.int32)
    expected = np.zeros(start.width**2)
    for _ in range(n_playouts):
        s = root.copy()
        _, moves, state = _playout(s, state, 3 * size * size, trace)
        expected += _owner_sign(_replay(start, trace, moves))
    assert owner_sum.tolist() == expected.tolist()
    assert np.abs(owner_sum).max() <= n_playouts
