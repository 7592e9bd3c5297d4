"""Cross-check move legality of ``Board`` against GNU Go over GTP.

GNU Go (``--chinese-rules``: suicide forbidden, simple ko) plays along with random
9x9 games.  At every position we ask it:

* ``all_legal`` for the whole list of legal points (so every point of every
  position is compared);
* ``is_legal`` for every point our board refuses as ko, one point it refuses as
  suicide, and at every fourth position or so one occupied point and one legal point
  (each ``is_legal`` is a GTP round trip, about 20-150 us: asking for every suicide
  point, about 3 per position, would triple the running time and add nothing that
  ``all_legal`` does not already check).

GNU Go checks simple ko only, so points that our board refuses only for positional
superko are left out of the comparison (and counted).  The random policy is biased
towards captures, moves next to the last move and long games, so that ko and suicide
refusals come up often.  At the end of each game the stones and capture counts are
compared too.

This test fails (it does not skip) when GNU Go is missing.
"""

from __future__ import annotations

import os
import time
from collections import Counter

import numpy as np

from engine import coords
from engine.board import BLACK, EMPTY, WALL, WHITE, Board
from zerogo.gtp_client import GNUGO, GtpClient, gnugo_command

SIZE = 9
GAMES = 200
MIN_REFUSALS = 100
GTP_COLOUR = {BLACK: "b", WHITE: "w"}


class BiasedPolicy:
    """Random legal moves that favour captures and the neighbourhood of the last move.

    Never fills a one-point eye of the mover, so games last until the board is
    settled and are full of kos and suicide points.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def choose(self, board: Board, legal: np.ndarray, last: int | None) -> int:
        n, w = board.size, board.width
        colour = board.to_move
        other = 3 - colour
        grid = board.arrays.color.reshape(w, w)
        libs = board.arrays.libs[board.arrays.head].reshape(w, w)
        sides = [(slice(0, -2), slice(1, -1)), (slice(2, None), slice(1, -1)),
                 (slice(1, -1), slice(0, -2)), (slice(1, -1), slice(2, None))]
        own_eye = np.ones((n, n), dtype=bool)
        captures = np.zeros((n, n), dtype=bool)
        for rows, cols in sides:
            near = grid[rows, cols]
            own_eye &= (near == colour) | (near == WALL)
            captures |= (near == other) & (libs[rows, cols] == 1)
        ok = legal[:-1] & ~own_eye.reshape(-1)
        candidates = np.flatnonzero(ok)
        if len(candidates) == 0:
            return n * n
        grab = np.flatnonzero(ok & captures.reshape(-1))
        if len(grab) and self.rng.random() < 0.7:
            return int(self.rng.choice(grab))
        if last is not None and self.rng.random() < 0.5:
            row, col = divmod(last, n)
            close = [
                a for a in candidates
                if abs(a // n - row) <= 1 and abs(a % n - col) <= 1
            ]
            if close:
                return int(self.rng.choice(close))
        return int(self.rng.choice(candidates))


def _gtp_legal(client: GtpClient, colour: int, action: int) -> bool:
    answer = client.send(f"is_legal {GTP_COLOUR[colour]} {coords.to_gtp(action, SIZE)}")
    assert answer in ("0", "1"), answer
    return answer == "1"


def _check_position(
    client: GtpClient, board: Board, rng: np.random.Generator, counts: Counter[str]
) -> np.ndarray:
    """Compare legality at the current position; return our legal mask."""
    colour = board.to_move
    legal = board.legal_mask()
    stones = board.to_array().reshape(-1)
    refused = np.flatnonzero(~legal[:-1])
    occupied = [int(a) for a in refused if stones[a] != EMPTY]
    reasons = {int(a): board.status(int(a)) for a in refused if stones[a] == EMPTY}
    superko = {a for a, why in reasons.items() if why == "superko"}
    counts["superko (not compared)"] += len(superko)
    # the whole legal list: every point of every position
    answer = client.send(f"all_legal {GTP_COLOUR[colour]}")
    theirs = {coords.from_gtp(v, SIZE) for v in answer.split()}
    ours = {int(a) for a in np.flatnonzero(legal[:-1])}
    assert theirs - superko == ours, (
        f"all_legal differs for {GTP_COLOUR[colour]}: GNU Go only "
        f"{sorted(coords.to_gtp(a, SIZE) for a in theirs - superko - ours)}, zerogo only "
        f"{sorted(coords.to_gtp(a, SIZE) for a in ours - theirs)}\n{board}"
    )
    assert superko <= theirs, "a superko-only refusal must be legal by simple ko"
    counts["all_legal points"] += SIZE * SIZE - len(superko)
    # single points by is_legal: every ko point, one suicide point; now and then an
    # occupied point and a legal one
    chosen = [a for a, why in reasons.items() if why == "ko"]
    suicide = [a for a, why in reasons.items() if why == "suicide"]
    if suicide:
        chosen.append(int(rng.choice(suicide)))
    if occupied and rng.random() < 0.25:
        chosen.append(int(rng.choice(occupied)))
    if ours and rng.random() < 0.25:
        chosen.append(int(rng.choice(sorted(ours))))
    for action in chosen:
        why = reasons.get(action, "occupied" if stones[action] != EMPTY else None)
        got = _gtp_legal(client, colour, action)
        assert got == (why is None), (
            f"{GTP_COLOUR[colour]} {coords.to_gtp(action, SIZE)}: zerogo says "
            f"{why or 'legal'}, GNU Go says {'legal' if got else 'illegal'}\n{board}"
        )
        counts[why or "legal"] += 1
    return legal


def _play_game(client: GtpClient, rng: np.random.Generator, counts: Counter[str]) -> int:
    """Play one random game in both engines; return the number of moves."""
    client.send("clear_board")
    board = Board(SIZE)
    policy = BiasedPolicy(rng)
    last: int | None = None
    moves = 0
    while board.passes < 2 and moves < 4 * SIZE * SIZE:
        legal = _check_position(client, board, rng, counts)
        colour = board.to_move
        action = policy.choose(board, legal, last)
        client.send(f"play {GTP_COLOUR[colour]} {coords.to_gtp(action, SIZE)}")
        board.play(action)
        last = action if action != SIZE * SIZE else None
        moves += 1
    # same stones and captures at the end
    stones = board.to_array().reshape(-1)
    for colour in (BLACK, WHITE):
        listed = client.send(f"list_stones {GTP_COLOUR[colour]}").split()
        assert sorted(coords.from_gtp(v, SIZE) for v in listed) == [
            int(a) for a in np.flatnonzero(stones == colour)
        ]
        captured = int(client.send(f"captures {GTP_COLOUR[colour]}"))
        assert captured == board.captures[colour]
    assert (stones != EMPTY).any()
    return moves


def test_legality_matches_gnugo() -> None:
    assert os.path.exists(GNUGO), f"GNU Go is needed for this test: {GNUGO} is missing"
    rng = np.random.default_rng(7)
    counts: Counter[str] = Counter()
    start = time.perf_counter()
    with GtpClient(gnugo_command(level=1, chinese=True)) as gnugo:
        gnugo.send(f"boardsize {SIZE}")
        moves = sum(_play_game(gnugo, rng, counts) for _ in range(GAMES))
    seconds = time.perf_counter() - start
    checks = ", ".join(
        f"{kind} {counts[kind]}" for kind in ("occupied", "suicide", "ko", "legal")
    )
    print(
        f"\n{GAMES} games, {moves} moves in {seconds:.1f} s; is_legal checks by our "
        f"verdict: {checks}; all_legal compared {counts['all_legal points']} points; "
        f"superko-only refusals (not compared) {counts['superko (not compared)']}"
    )
    for kind in ("occupied", "suicide", "ko", "legal"):
        assert counts[kind] >= MIN_REFUSALS, f"only {counts[kind]} {kind} checks"
