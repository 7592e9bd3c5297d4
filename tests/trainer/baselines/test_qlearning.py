"""Tabular Q-learning: the state key, the table file, the epsilon plot, and the known
best move of 3x3 Go found by learning and checked by exhaustive search.

The tiny game (``qlearning.tiny_spec``): 3x3, area scoring of the stones as they
stand, suicide illegal, simple ko only, the game ends after two passes in a row or
after 18 moves (2 * N * N), komi 5.5.  ``_black_wins`` below is an independent minimax
solver of exactly these rules on bitboards (it shares no code with the engine):
black's minimax margin is +9 after the centre B2, +3 after an edge point and -9
after a corner or a pass (a full minimax search of the margins, made while writing
this test, found these; the test itself searches win/loss at komi 5.5 with cut-offs,
which is much faster), so with komi 5.5 the centre is the unique winning first move.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np
import pytest

from engine import coords
from engine.board import BLACK, WHITE, Rules
from engine.envs import _env_kernels as EK
from engine.envs.gym_env import GoState
from tests.trainer.baselines.conftest import TINY_CONFIG
from trainer.baselines.qlearning import (
    KeyMaker,
    QLearningConfig,
    QLearningResult,
    QTable,
    QTablePolicy,
    epsilon_curves,
    evaluate_table,
    plot_epsilon_curves,
    tiny_spec,
)
from trainer.baselines.rollout import RandomPolicy, play_games

N = 3
POINTS = N * N
FULL = (1 << POINTS) - 1
MAX_PLIES = 2 * N * N
KOMI = 5.5


def _neighbour_masks() -> list[int]:
    masks = []
    for a in range(POINTS):
        row, col = divmod(a, N)
        mask = 0
        for r, c in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)):
            if 0 <= r < N and 0 <= c < N:
                mask |= 1 << (r * N + c)
        masks.append(mask)
    return masks


NEIGHBOURS = _neighbour_masks()


def _grow(mask: int) -> int:
    out = mask
    for a in range(POINTS):
        if mask >> a & 1:
            out |= NEIGHBOURS[a]
    return out


def _chain(stones: int, a: int) -> int:
    chain = 1 << a
    while True:
        grown = _grow(chain) & stones
        if grown == chain:
            return chain
        chain = grown


def _play(me: int, op: int, a: int) -> tuple[int, int, int] | None:
    """Return (mover's stones, opponent's stones, ko point or -1) after ``a``, None if suicide."""
    me |= 1 << a
    empty = FULL & ~(me | op)
    captured = 0
    for n in range(POINTS):
        if NEIGHBOURS[a] >> n & 1 and op >> n & 1:
            chain = _chain(op, n)
            if not _grow(chain) & empty:
                captured |= chain
    op &= ~captured
    empty = FULL & ~(me | op)
    own = _chain(me, a)
    liberties = _grow(own) & empty
    if not liberties:
        return None
    ko = -1
    if bin(captured).count("1") == 1 and own == 1 << a and bin(liberties).count("1") == 1:
        ko = captured.bit_length() - 1
    return me, op, ko


def _area(black: int, white: int) -> int:
    """Black's area minus white's (stones plus empty regions bordered by one colour)."""
    score = bin(black).count("1") - bin(white).count("1")
    empty = FULL & ~(black | white)
    seen = 0
    for a in range(POINTS):
        if empty >> a & 1 and not seen >> a & 1:
            region = _chain(empty, a)
            seen |= region
            border = _grow(region) & ~region
            size = bin(region).count("1")
            if border & black and not border & white:
                score += size
            elif border & white and not border & black:
                score -= size
    return score


@cache
def _black_wins(me: int, op: int, black_to_move: bool, ko: int, passes: int, plies: int) -> bool:
    """Whether black wins (area margin - komi > 0) under minimax, ``me`` to move."""
    if passes >= 2 or plies >= MAX_PLIES:
        margin = _area(me, op) if black_to_move else _area(op, me)
        return margin - KOMI > 0
    children = []
    empty = FULL & ~(me | op)
    for a in (4, 0, 1, 2, 3, 5, 6, 7, 8):  # centre first: cut-offs come sooner
        if empty >> a & 1 and a != ko:
            after = _play(me, op, a)
            if after is not None:
                children.append((after[1], after[0], not black_to_move, after[2], 0, plies + 1))
    children.append((op, me, not black_to_move, -1, passes + 1, plies + 1))
    if black_to_move:
        return any(_black_wins(*child) for child in children)
    return all(_black_wins(*child) for child in children)


@lru_cache(maxsize=1)
def solve_first_moves() -> dict[int, bool]:
    """Return, for each first move (flat action, pass = 9), whether black then wins."""
    wins = {POINTS: _black_wins(0, 0, False, -1, 1, 1)}
    for a in range(POINTS):
        me, op, ko = _play(0, 0, a)  # type: ignore[misc]
        wins[a] = _black_wins(op, me, False, ko, 0, 1)
    _black_wins.cache_clear()
    return wins


def test_exhaustive_search_makes_the_centre_the_unique_winning_first_move() -> None:
    wins = solve_first_moves()
    assert [a for a, won in wins.items() if won] == [coords.from_gtp("B2", N)]


def test_q_learning_finds_the_known_best_move_and_the_sign_of_every_first_move(
    tiny_table: QLearningResult,
) -> None:
    config, result = TINY_CONFIG, tiny_table
    state = config.spec().new_state()
    state.reset(0)
    state.observe(BLACK)
    q = result.table.q_values(state)
    assert q is not None
    centre = coords.from_gtp("B2", N)
    assert int(np.argmax(q)) == centre
    for action, won in solve_first_moves().items():  # +1 exactly where black wins
        assert q[action] == (1.0 if won else -1.0), coords.to_gtp(action, N)
    # the greedy table also crushes the random player, with either colour
    assert evaluate_table(result.table, 100, seed=1).rate >= 0.9


def test_key_is_shared_by_the_eight_orientations_and_maps_actions() -> None:
    keys = KeyMaker(3, MAX_PLIES, symmetry=True)
    plain = KeyMaker(3, MAX_PLIES, symmetry=False)
    # the same shape in two orientations: black A1 + B1, white C3 / black C3 + C2, white A1
    first, second = GoState(3, KOMI, Rules(superko=False)), GoState(3, KOMI, Rules(superko=False))
    for state, moves in ((first, ("A1", "C3", "B1")), (second, ("C3", "A1", "C2"))):
        state.reset(0)
        for vertex in moves:
            state.step(coords.from_gtp(vertex, 3), EK.REPLY_NONE, EK.SIDE_TO_MOVE)
    (key1, perm1), (key2, perm2) = keys.of_state(first), keys.of_state(second)
    assert key1 == key2
    assert plain.of_state(first)[0] != plain.of_state(second)[0]
    # the reflection fixes C1, so both frames send it to the same canonical action
    assert perm1[coords.from_gtp("C1", 3)] == perm2[coords.from_gtp("C1", 3)]
    assert perm1[9] == perm2[9] == 9  # pass stays pass
    # colour to move, passes and plies are part of the key
    base = np.zeros(25, dtype=np.int8)
    assert len({plain.key(base, c, -1, p, t)[0] for c in (BLACK, WHITE) for p in (0, 1)
                for t in (0, 1)}) == 8


def test_table_file_round_trip_without_pickle(tmp_path) -> None:
    spec = tiny_spec()
    table = QTable(spec, initial=0.5)
    table.row(123)[4] = -0.75
    table.episodes = 7
    path = table.save(tmp_path / "q.npz", {"win_rate_vs_random": 0.5})
    with np.load(path, allow_pickle=False) as data:
        assert data["q"].dtype == np.float32
    loaded = QTable.load(path)
    assert loaded.spec == spec
    assert loaded.episodes == 7
    assert loaded.values(123)[4] == pytest.approx(-0.75)
    assert loaded.initial == 0.5
    with pytest.raises(ValueError, match="not a zerogo Q-table"):
        np.savez(tmp_path / "other.npz", x=np.zeros(2))
        QTable.load(tmp_path / "other.npz")


def test_table_policy_plays_legal_moves_in_unknown_states() -> None:
    spec = tiny_spec()
    seats = np.array([[0, 1], [1, 0]] * 5)
    played = play_games([QTablePolicy(QTable(spec)), RandomPolicy()], seats, spec, seed=3)
    assert len(played.winners) == 10  # no illegal move was raised


def test_epsilon_curves_show_the_trade_off_and_are_plotted(tmp_path) -> None:
    config = QLearningConfig(episodes=3000, alpha=0.2, opponent="random", initial_q=0.0,
                             eval_every=1000, eval_games=50, seed=0)
    curves = epsilon_curves(config, [0.0, 1.0], window=500)
    # exploring every move costs while learning ...
    assert curves[1.0]["online"][-1] < curves[0.0]["online"][-1] - 0.5
    # ... yet both learn a greedy policy that beats random
    assert all(curve["eval_win_rate"][-1] > 0.6 for curve in curves.values())
    path = plot_epsilon_curves(curves, tmp_path / "eps.png", "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_config_rejects_bad_settings() -> None:
    with pytest.raises(ValueError):
        QLearningConfig(size=6)
    with pytest.raises(ValueError):
        QLearningConfig(alpha=0)
    with pytest.raises(ValueError):
        QLearningConfig(opponent="gnugo")
