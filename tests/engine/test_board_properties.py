"""Property tests: ``Board`` against the naive flood-fill board on 4x4 and 5x5.

Any sequence of moves, legal or not, under any rule options, must give identical
stones, colour to move, legality (with the same reason, for both colours) of every
point, captures, ko point and Tromp-Taylor area on both boards.  Illegal moves are refused by both
and change nothing.  Small boards make captures, kos, suicide and repeated
positions frequent.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

from engine.board import Board, IllegalMoveError, Rules
from tests.engine.naive_board import NaiveBoard, area_owner


def _compare(board: Board, naive: NaiveBoard) -> list[str | None]:
    """Assert that both boards agree on everything; return the reasons per point."""
    n = board.size
    assert board.to_array().reshape(-1).tolist() == list(naive.stones)
    assert board.to_move == naive.to_move
    assert board.captures == naive.captures
    reasons = [naive.reason(a) for a in range(n * n)]
    assert [board.status(a) for a in range(n * n)] == reasons
    other = 3 - naive.to_move  # a GTP play may move out of turn: no ko binds it
    assert [board.status(a, other) for a in range(n * n)] == [
        naive.reason(a, other) for a in range(n * n)
    ]
    mask = board.legal_mask()
    assert mask[:-1].tolist() == [why is None for why in reasons]
    assert mask[-1]
    ko = [a for a, why in enumerate(reasons) if why == "ko"]
    assert len(ko) <= 1
    assert board.ko_point == (ko[0] if ko else None)
    assert board.area_score(0.0) == naive.area_score()
    assert board.tromp_taylor_owner().reshape(-1).tolist() == area_owner(naive.stones, n)
    return reasons


LEGAL, ANY, REFUSED, CAPTURE = 0, 1, 2, 3


def _run(size: int, rules: Rules, choices: list[tuple[int, int]], kinds: Counter[str]) -> None:
    """Play on both boards, comparing after every move.

    Each choice ``(mode, k)`` picks the ``k``-th legal action by the naive board
    (pass included) for LEGAL, the action ``k % (N*N + 1)`` for ANY, and the ``k``-th
    empty point refused by the naive board (suicide, ko, superko) for REFUSED, and
    the ``k``-th legal capture for CAPTURE (which makes kos), so that sequences mix
    long games with refused moves.
    """
    board = Board(size, rules)
    naive = NaiveBoard(size, rules.allow_suicide, rules.superko)
    reasons = _compare(board, naive)
    for mode, k in choices:
        refused = [a for a, why in enumerate(reasons) if why not in (None, "occupied")]
        if mode == ANY:
            action = k % (size * size + 1)
        elif mode == REFUSED and refused:
            action = refused[k % len(refused)]
        elif mode == CAPTURE and (grabs := _captures(naive, reasons)):
            action = grabs[k % len(grabs)]
        else:
            legal = [a for a, why in enumerate(reasons) if why is None] + [size * size]
            action = legal[k % len(legal)]
        why = naive.reason(action)
        kinds[why or "legal"] += 1
        if why is None:
            captured = naive.play(action)
            assert board.play(action) == captured
            if captured:
                kinds["capture"] += 1
        else:
            try:
                board.play(action)
            except IllegalMoveError as exc:
                assert exc.reason == why
            else:
                raise AssertionError(f"zerogo accepted {action}, naive board says {why}")
        reasons = _compare(board, naive)
        kinds.update(f"refusable {r}" for r in set(reasons) if r is not None)


def _captures(naive: NaiveBoard, reasons: list[str | None]) -> list[int]:
    """Return the legal points where the side to move captures."""
    return [
        a for a, why in enumerate(reasons)
        if why is None and naive.play_result(a, naive.to_move)[1] > 0
    ]


@settings(max_examples=150, deadline=None)
@given(
    size=st.sampled_from([4, 5]),
    allow_suicide=st.booleans(),
    superko=st.booleans(),
    choices=st.lists(
        st.tuples(st.sampled_from([LEGAL, LEGAL, ANY, REFUSED, CAPTURE]), st.integers(0, 1000)),
        min_size=10,
        max_size=120,
    ),
)
def test_random_sequences_match_the_naive_board(
    size: int, allow_suicide: bool, superko: bool, choices: list[tuple[int, int]]
) -> None:
    kinds: Counter[str] = Counter()
    _run(size, Rules(allow_suicide=allow_suicide, superko=superko), choices, kinds)
    for kind in kinds:
        event(kind)


def test_seeded_sequences_cover_every_rule() -> None:
    """Long random games on 4x4 and 5x5 reach ko, suicide and superko refusals."""
    rng = np.random.default_rng(3)
    kinds: Counter[str] = Counter()
    for game in range(60):
        rules = Rules(allow_suicide=bool(game % 2), superko=game % 3 != 0)
        size = 4 if game % 4 else 5
        modes = rng.choice([LEGAL, ANY, REFUSED, CAPTURE], p=[0.6, 0.1, 0.1, 0.2], size=90)
        choices = [(int(mode), int(rng.integers(0, 1000))) for mode in modes]
        _run(size, rules, choices, kinds)
    print(dict(kinds))
    for kind in ("legal", "occupied", "capture", "refusable suicide", "refusable ko",
                 "refusable superko", "suicide", "ko", "superko"):
        assert kinds[kind] >= 10, (kind, dict(kinds))
