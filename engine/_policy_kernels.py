"""Playout policy and move priors of the pure-MCTS player (numba, on the playout board).

Heavy playouts, in the spirit of MoGo (Gelly et al. 2006) and the engines that
followed it: after each move the policy first looks around the opponent's last move

1. for captures of an enemy chain in atari and for escapes of an own chain that the
   last move put in atari (extending when that gains liberties, or capturing an
   attacker),
2. for empty points around the last move whose 3x3 neighbourhood matches one of
   MoGo's shape patterns (hane, cut, side patterns),

and otherwise plays uniformly at random among legal moves that do not fill the
mover's own true eye, rejecting most self-ataris.  The same features give the priors
of newly expanded tree nodes (``compute_priors``).

The state array is the one of ``engine._playout_kernels`` (read its docstring).
Neighbourhood codes number the 8 neighbours NW, N, NE, W, E, SW, S, SE (row 0 at the
bottom, so "N" is ``p + W``) with 2 bits each: EMPTY 0, BLACK 1, WHITE 2, WALL 3.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine._playout_kernels import (
    AMAF,
    COLOR,
    EIDX,
    ELIST,
    EMPTY,
    HEAD,
    LSQ,
    LSUM,
    META,
    NEXT,
    PASS,
    PLIB,
    WALL,
    X_KO,
    X_MOVES,
    X_NEMPTY,
    X_PASSES,
    X_SIZE,
    X_TO_MOVE,
    X_WIDTH,
    add_area_owner,
    next_random,
    pass_fast,
    play_fast,
    score_area,
)

# --- 3x3 patterns --------------------------------------------------------------
# Rows top to bottom, the centre is the candidate move.  'X' and 'O' are the two
# colours (either may be the player to move: the table is built for both), '.' empty,
# 'x' not X (empty or O, on the board), 'o' not O, '#' off the board, '?' anything.
# The shapes are those of MoGo's playout policy (Gelly, Wang, Munos, Teytaud 2006).
PATTERNS_3X3 = (
    ("XOX", "...", "???"),  # hane: enclosing hane
    ("XO.", "...", "?.?"),  # hane: non-cutting hane
    ("XO?", "X..", "x.?"),  # hane: magari
    (".O.", "X..", "..."),  # generic: attachment beside a diagonal contact
    ("XO?", "O.o", "?o?"),  # cut: unprotected cut
    ("XO?", "O.X", "???"),  # cut: peeped cut
    ("?X?", "O.O", "ooo"),  # cut: de (pushing between)
    ("OX?", "o.O", "???"),  # cut: keima cut
    ("X.?", "O.?", "##?"),  # edge: chase
    ("OX?", "X.O", "###"),  # edge: block the side cut
    ("?X?", "x.O", "###"),  # edge: block the side connection
    ("?XO", "x.x", "###"),  # edge: sagari
    ("?OX", "X.O", "###"),  # edge: cut
)

# order of the 8 neighbours in a code: (row offset, col offset), row offset +1 = up
NEIGHBOUR_OFFSETS = ((1, -1), (1, 0), (1, 1), (0, -1), (0, 1), (-1, -1), (-1, 0), (-1, 1))


def _symbol_mask(symbol: str, values: np.ndarray, x_color: int) -> np.ndarray:
    """Return where the neighbour ``values`` (one per code) satisfy a pattern symbol."""
    o_color = 3 - x_color
    if symbol == "X":
        return values == x_color
    if symbol == "O":
        return values == o_color
    if symbol == ".":
        return values == EMPTY
    if symbol == "x":
        return (values == EMPTY) | (values == o_color)
    if symbol == "o":
        return (values == EMPTY) | (values == x_color)
    if symbol == "#":
        return values == WALL
    if symbol == "?":
        return np.ones(values.shape, dtype=bool)
    raise ValueError(f"unknown pattern symbol {symbol!r}")


def _rotations(rows: tuple[str, str, str]) -> list[tuple[str, ...]]:
    """Return the 8 symmetric versions of a 3x3 pattern."""
    grid = [list(r) for r in rows]
    out = []
    for flip in (False, True):
        g = [row[::-1] for row in grid] if flip else [row[:] for row in grid]
        for _ in range(4):
            out.append(tuple("".join(r) for r in g))
            g = [list(r) for r in zip(*g[::-1], strict=True)]  # rotate 90 degrees clockwise
    return out


def make_pattern_table() -> np.ndarray:
    """Return uint8[65536]: 1 where a neighbourhood code matches a 3x3 pattern.

    The centre is the candidate move; both colour assignments are accepted.
    """
    codes = np.arange(1 << 16)
    values = [(codes >> (2 * k)) & 3 for k in range(8)]
    # pattern cell (row from the top, col) of each neighbour slot
    cells = [(1 - dr, 1 + dc) for dr, dc in NEIGHBOUR_OFFSETS]
    table = np.zeros(1 << 16, dtype=bool)
    for rows in PATTERNS_3X3:
        for variant in _rotations(rows):
            for x_color in (1, 2):
                hit = np.ones(1 << 16, dtype=bool)
                for k, (r, c) in enumerate(cells):
                    hit &= _symbol_mask(variant[r][c], values[k], x_color)
                table |= hit
    return table.astype(np.uint8)


# --- small queries on the playout board ------------------------------------------
@njit(cache=True, nogil=True, inline="always")
def _atari(s: np.ndarray, h: int) -> bool:
    return s[PLIB, h] * s[LSQ, h] == s[LSUM, h] * s[LSUM, h]


@njit(cache=True, nogil=True, inline="always")
def _last_liberty(s: np.ndarray, h: int) -> int:
    """Return the only liberty of a chain in atari."""
    return s[LSUM, h] // s[PLIB, h]


@njit(cache=True, nogil=True)
def neighbourhood_code(s: np.ndarray, p: int) -> int:
    """Return the 16-bit 3x3 neighbourhood code of point ``p`` (see module docstring)."""
    w = s[META, X_WIDTH]
    up = p + w
    down = p - w
    return (
        s[COLOR, up - 1]
        | (s[COLOR, up] << 2)
        | (s[COLOR, up + 1] << 4)
        | (s[COLOR, p - 1] << 6)
        | (s[COLOR, p + 1] << 8)
        | (s[COLOR, down - 1] << 10)
        | (s[COLOR, down] << 12)
        | (s[COLOR, down + 1] << 14)
    )


@njit(cache=True, nogil=True)
def legal_here(s: np.ndarray, p: int, c: int) -> bool:
    """Return True if ``c`` may play at ``p`` (occupied, simple ko and suicide checked)."""
    if s[COLOR, p] != EMPTY or p == s[META, X_KO]:
        return False
    w = s[META, X_WIDTH]
    o = 3 - c
    for d in range(4):
        n = p + (-w, -1, 1, w)[d]
        cn = s[COLOR, n]
        if cn == EMPTY:
            return True
        if cn == WALL:
            continue
        if _atari(s, s[HEAD, n]) == (cn == o):
            return True
    return False


@njit(cache=True, nogil=True)
def is_true_eye(s: np.ndarray, p: int, c: int) -> bool:
    """Return True if empty ``p`` is an eye of ``c``: all four neighbours are ``c``
    stones or walls, and the diagonals hold fewer than 2 enemy stones (fewer than 1
    on the edge)."""
    w = s[META, X_WIDTH]
    for d in range(4):
        cn = s[COLOR, p + (-w, -1, 1, w)[d]]
        if cn != c and cn != WALL:
            return False
    o = 3 - c
    enemies = 0
    walls = 0
    for d in range(4):
        cd = s[COLOR, p + (-w - 1, -w + 1, w - 1, w + 1)[d]]
        if cd == o:
            enemies += 1
        elif cd == WALL:
            walls += 1
    if walls > 0:
        return enemies == 0
    return enemies < 2


@njit(cache=True, nogil=True)
def is_self_atari(s: np.ndarray, p: int, c: int) -> bool:
    """Return True if ``c`` at empty ``p`` leaves its chain with one liberty and
    captures nothing (a capture always gains a liberty)."""
    w = s[META, X_WIDTH]
    o = 3 - c
    lib1 = -1
    for d in range(4):
        n = p + (-w, -1, 1, w)[d]
        cn = s[COLOR, n]
        if cn == EMPTY:
            if lib1 == -1:
                lib1 = n
            elif n != lib1:
                return False
        elif cn == o:
            if _atari(s, s[HEAD, n]):
                return False
    # collect liberties of friendly chains, other than p
    for d in range(4):
        n = p + (-w, -1, 1, w)[d]
        if s[COLOR, n] != c:
            continue
        h = s[HEAD, n]
        if _atari(s, h):
            continue  # its only liberty is p
        q = h
        while True:
            for e in range(4):
                m = q + (-w, -1, 1, w)[e]
                if s[COLOR, m] == EMPTY and m != p:
                    if lib1 == -1:
                        lib1 = m
                    elif m != lib1:
                        return False
            q = s[NEXT, q]
            if q == h:
                break
    return True


# --- tactical move generation ----------------------------------------------------
@njit(cache=True, nogil=True)
def _add_unique(out: np.ndarray, n: int, p: int) -> int:
    for k in range(n):
        if out[k] == p:
            return n
    out[n] = p
    return n + 1


@njit(cache=True, nogil=True)
def tactical_moves(s: np.ndarray, c: int, last: int, out: np.ndarray) -> int:
    """Write into ``out`` the capture and atari-escape moves of ``c`` near ``last``.

    Looks at the chains on the 3x3 block around the opponent's last move: an enemy
    chain in atari can be captured at its liberty; an own chain in atari can escape
    by extending (when that is not self-atari) or by capturing an enemy chain in
    atari that touches it.  Returns the number of (distinct, legal) moves written.
    """
    if last < 0:
        return 0
    w = s[META, X_WIDTH]
    o = 3 - c
    n = 0
    for k in range(9):
        q = last + (-w - 1, -w, -w + 1, -1, 0, 1, w - 1, w, w + 1)[k]
        cq = s[COLOR, q]
        if cq != c and cq != o:
            continue
        h = s[HEAD, q]
        if not _atari(s, h):
            continue
        lib = _last_liberty(s, h)
        if cq == o:
            if legal_here(s, lib, c):
                n = _add_unique(out, n, lib)
        else:
            if legal_here(s, lib, c) and not is_self_atari(s, lib, c):
                n = _add_unique(out, n, lib)
            # counter-capture: enemy chains in atari adjacent to the threatened chain
            r = h
            while True:
                for e in range(4):
                    m = r + (-w, -1, 1, w)[e]
                    if s[COLOR, m] == o:
                        hm = s[HEAD, m]
                        if _atari(s, hm):
                            lm = _last_liberty(s, hm)
                            if legal_here(s, lm, c):
                                n = _add_unique(out, n, lm)
                r = s[NEXT, r]
                if r == h:
                    break
    return n


@njit(cache=True, nogil=True)
def pattern_moves(s: np.ndarray, c: int, last: int, table: np.ndarray, out: np.ndarray) -> int:
    """Write into ``out`` the empty points around ``last`` that match a 3x3 pattern,
    are legal for ``c`` and are not self-atari.  Returns how many."""
    if last < 0:
        return 0
    w = s[META, X_WIDTH]
    n = 0
    for k in range(8):
        q = last + (-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1)[k]
        if s[COLOR, q] != EMPTY:
            continue
        if table[neighbourhood_code(s, q)] == 0:
            continue
        if legal_here(s, q, c) and not is_self_atari(s, q, c):
            out[n] = q
            n += 1
    return n


@njit(cache=True, nogil=True)
def random_policy_move(
    s: np.ndarray, c: int, rng_in: np.uint64, reject_self_atari: float
) -> tuple[int, np.uint64]:
    """Pick a random legal move of ``c`` that does not fill its own true eye,
    rejecting self-atari with probability ``reject_self_atari``.

    Reorders the empty list (modifies ``s``).  Returns (point or PASS, rng state).
    """
    rng = np.uint64(rng_in)  # a Python int arrives typed int64
    n_cand = s[META, X_NEMPTY]
    threshold = np.uint64(reject_self_atari * 4294967296.0)
    while n_cand > 0:
        rng = next_random(rng)
        i = np.int64(((rng >> np.uint64(32)) * np.uint64(n_cand)) >> np.uint64(32))
        p = s[ELIST, i]
        ok = legal_here(s, p, c) and not is_true_eye(s, p, c)
        if ok and is_self_atari(s, p, c):
            rng = next_random(rng)
            if (rng & np.uint64(0xFFFFFFFF)) < threshold:
                ok = False
        if ok:
            return p, rng
        n_cand -= 1
        last = s[ELIST, n_cand]
        s[ELIST, i] = last
        s[EIDX, last] = i
        s[ELIST, n_cand] = p
        s[EIDX, p] = n_cand
    return PASS, rng


@njit(cache=True, nogil=True)
def policy_move(
    s: np.ndarray,
    c: int,
    last: int,
    rng_in: np.uint64,
    table: np.ndarray,
    params: np.ndarray,
    scratch: np.ndarray,
) -> tuple[int, np.uint64]:
    """Choose the heavy-playout move of ``c``; ``last`` is the opponent's last move.

    ``params`` = float64[3]: probabilities of trying tactical moves, of trying
    pattern moves, and of rejecting a random self-atari.  ``scratch`` is int64[>=64].
    Returns (point or PASS, rng state).
    """
    rng = np.uint64(rng_in)  # a Python int arrives typed int64
    if last >= 0:
        rng = next_random(rng)
        if (rng & np.uint64(0xFFFFFF)) < np.uint64(params[0] * 16777216.0):
            n = tactical_moves(s, c, last, scratch)
            if n > 0:
                rng = next_random(rng)
                k = np.int64(((rng >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))
                return scratch[k], rng
        rng = next_random(rng)
        if (rng & np.uint64(0xFFFFFF)) < np.uint64(params[1] * 16777216.0):
            n = pattern_moves(s, c, last, table, scratch)
            if n > 0:
                rng = next_random(rng)
                k = np.int64(((rng >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))
                return scratch[k], rng
    return random_policy_move(s, c, rng, params[2])


@njit(cache=True, nogil=True)
def heavy_playout(
    s: np.ndarray,
    last: int,
    rng_in: np.uint64,
    max_moves: int,
    table: np.ndarray,
    params: np.ndarray,
    scratch: np.ndarray,
) -> tuple[int, np.uint64]:
    """Play the heavy policy from ``s`` until two passes or ``max_moves`` moves.

    Records in the AMAF row the colour that first played each point (points already
    marked keep their mark).  Modifies ``s``.  Returns (black area minus white area,
    rng state).
    """
    rng = np.uint64(rng_in)  # a Python int arrives typed int64
    moves = 0
    while s[META, X_PASSES] < 2 and moves < max_moves:
        c = s[META, X_TO_MOVE]
        p, rng = policy_move(s, c, last, rng, table, params, scratch)
        if p == PASS:
            pass_fast(s)
        else:
            if s[AMAF, p] == 0:
                s[AMAF, p] = c
            play_fast(s, p, c)
        last = p
        moves += 1
    return score_area(s), rng


# --- priors for new tree nodes ---------------------------------------------------
@njit(cache=True, nogil=True)
def line_of(s: np.ndarray, p: int) -> int:
    """Return the line of ``p`` counted from the nearest edge (1 = first line)."""
    w = s[META, X_WIDTH]
    size = s[META, X_SIZE]
    row = p // w
    col = p % w
    return min(row, col, size + 1 - row, size + 1 - col)


@njit(cache=True, nogil=True)
def empty_around(s: np.ndarray, p: int, radius: int) -> bool:
    """Return True if no stone lies within Manhattan distance ``radius`` of ``p``."""
    w = s[META, X_WIDTH]
    size = s[META, X_SIZE]
    row0 = p // w
    col0 = p % w
    for dr in range(-radius, radius + 1):
        row = row0 + dr
        if row < 1 or row > size:
            continue
        span = radius - abs(dr)
        for dc in range(-span, span + 1):
            col = col0 + dc
            if col < 1 or col > size:
                continue
            cq = s[COLOR, row * w + col]
            if cq == 1 or cq == 2:
                return False
    return True


@njit(cache=True, nogil=True)
def compute_priors(
    s: np.ndarray,
    c: int,
    last: int,
    moves: np.ndarray,
    n_moves: int,
    table: np.ndarray,
    prior: np.ndarray,
    scratch: np.ndarray,
    out_visits: np.ndarray,
    out_wins: np.ndarray,
) -> None:
    """Fill prior (virtual) visits and wins for the candidate ``moves`` of ``c``.

    ``prior`` = float64[10]: even, capture, self-atari, pattern, distance 1, 2, 3 to
    the last move, empty-area low line (1-2), empty-area third line, pass.  Each
    feature adds virtual visits; good features add them as wins.
    Modifies ``out_visits`` / ``out_wins`` (float32[n_moves]).
    """
    w = s[META, X_WIDTH]
    n_tactical = tactical_moves(s, c, last, scratch)
    for k in range(n_moves):
        p = moves[k]
        v = prior[0]
        win = prior[0] * 0.5
        if p == PASS:
            out_visits[k] = v + prior[9]
            out_wins[k] = win
            continue
        for t in range(n_tactical):
            if scratch[t] == p:
                v += prior[1]
                win += prior[1]
                break
        if is_self_atari(s, p, c):
            v += prior[2]
        elif table[neighbourhood_code(s, p)] != 0:
            v += prior[3]
            win += prior[3]
        if last >= 0:
            dr = abs(p // w - last // w)
            dc = abs(p % w - last % w)
            dist = dr + dc + max(dr, dc)  # 2 adjacent, 3 diagonal, 4 two away...
            if dist <= 3:
                v += prior[4]
                win += prior[4]
            elif dist <= 4:
                v += prior[5]
                win += prior[5]
            elif dist <= 5:
                v += prior[6]
                win += prior[6]
        line = line_of(s, p)
        if line <= 3 and empty_around(s, p, 3):
            if line <= 2:
                v += prior[7]
            else:
                v += prior[8]
                win += prior[8]
        out_visits[k] = v
        out_wins[k] = win


@njit(cache=True, nogil=True)
def run_heavy_playouts(
    root: np.ndarray, n_playouts: int, seed: np.uint64, table: np.ndarray, params: np.ndarray
) -> tuple[int, int, int]:
    """Run ``n_playouts`` heavy playouts from ``root`` (unchanged); for benchmarks.

    Returns (playouts where black's area exceeded white's, total moves played, total
    of black area minus white area).
    """
    size = root[META, X_SIZE]
    s = np.empty_like(root)
    scratch = np.empty(512, dtype=np.int64)
    rng = np.uint64(seed) | np.uint64(1)
    black_wins = 0
    total_moves = 0
    total_score = 0
    for _ in range(n_playouts):
        s[:] = root
        before = s[META, X_MOVES]
        score, rng = heavy_playout(s, PASS, rng, 3 * size * size, table, params, scratch)
        total_moves += s[META, X_MOVES] - before
        total_score += score
        if score > 0:
            black_wins += 1
    return black_wins, total_moves, total_score


@njit(cache=True, nogil=True)
def heavy_ownership(
    root: np.ndarray,
    n_playouts: int,
    seed: np.uint64,
    table: np.ndarray,
    params: np.ndarray,
    owner_sum: np.ndarray,
) -> None:
    """Accumulate final owners of ``n_playouts`` heavy playouts from ``root`` (unchanged).

    Modifies ``owner_sum`` (float64[W*W]): +1 per playout a point ends black, -1 white.
    """
    size = root[META, X_SIZE]
    s = np.empty_like(root)
    scratch = np.empty(512, dtype=np.int64)
    rng = np.uint64(seed) | np.uint64(1)
    for _ in range(n_playouts):
        s[:] = root
        _, rng = heavy_playout(s, PASS, rng, 3 * size * size, table, params, scratch)
        add_area_owner(s, owner_sum)
