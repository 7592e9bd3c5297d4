"""The fast playout board: one 2-D int64 array, hand-inlined loops.

Why it is written this way: numba pays an atomic reference count per array argument
per call, so a playout over a tuple of arrays with small helper calls measured about
4x slower than the same logic over one 2-D array with the hot steps inlined.  This
module therefore trades readability for speed, openly.  It is cross-checked move for
move against the readable board (``engine._board_kernels``) in
``tests/engine/test_playout_kernels.py``.

Layout of the state array ``s`` (int64, shape ``(ROWS, W*W)``, padded indices as in
``engine.coords``):

====  =======  ==============================================================
row   name     meaning
====  =======  ==============================================================
0     COLOR    EMPTY 0, BLACK 1, WHITE 2, WALL 3
1     HEAD     chain representative of a stone
2     NEXT     next stone of the chain (circular list)
3     PLIB     pseudo-liberties at the head: (stone, empty neighbour) pairs
4     LSUM     sum of the pseudo-liberty points at the head
5     LSQ      sum of their squares; a chain is in atari (one real liberty) iff
               PLIB * LSQ == LSUM ** 2
6     SIZE     stone count at the head
7     ELIST    the empty points, in the first ``n_empty`` slots
8     EIDX     position of an empty point in ELIST
9     AMAF     colour that first played each point during the current playout
10    META     scalars: size, width, n_empty, ko point, colour to move, passes,
               moves played
====  =======  ==============================================================

Pseudo-liberties count a liberty once per adjacent stone, which makes every update
O(1); the sum-of-squares test still tells exactly whether a chain is in atari and
where its last liberty is (``LSUM / PLIB``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

EMPTY = 0
BLACK = 1
WHITE = 2
WALL = 3

COLOR = 0
HEAD = 1
NEXT = 2
PLIB = 3
LSUM = 4
LSQ = 5
SIZE = 6
ELIST = 7
EIDX = 8
AMAF = 9
META = 10
ROWS = 11

# META slots
X_SIZE = 0
X_WIDTH = 1
X_NEMPTY = 2
X_KO = 3
X_TO_MOVE = 4
X_PASSES = 5
X_MOVES = 6

PASS = -1
U = np.uint64  # unsigned indices skip numba's negative-index wraparound


def new_state(size: int) -> np.ndarray:
    """Return the state array of an empty ``size`` x ``size`` board, black to move."""
    width = size + 2
    s = np.zeros((ROWS, width * width), dtype=np.int64)
    s[COLOR, :] = WALL
    n_empty = 0
    for row in range(size):
        for col in range(size):
            p = (row + 1) * width + col + 1
            s[COLOR, p] = EMPTY
            s[ELIST, n_empty] = p
            s[EIDX, p] = n_empty
            n_empty += 1
    s[HEAD] = np.arange(s.shape[1], dtype=np.int32)
    s[NEXT] = np.arange(s.shape[1], dtype=np.int32)
    s[META, X_SIZE] = size
    s[META, X_WIDTH] = width
    s[META, X_NEMPTY] = n_empty
    s[META, X_KO] = -1
    s[META, X_TO_MOVE] = BLACK
    return s


@njit(cache=True, nogil=True, inline="always")
def in_atari(s: np.ndarray, h: int) -> bool:
    """Return True if the chain with head ``h`` has exactly one real liberty."""
    return s[PLIB, h] * s[LSQ, h] == s[LSUM, h] * s[LSUM, h]


@njit(cache=True, nogil=True, inline="always")
def play_fast(s: np.ndarray, p: int, c: int) -> int:
    """Play a legal stone of colour ``c`` at ``p``; return stones captured.

    Modifies ``s``: stones, chains, pseudo-liberties, empty list, ko, colour to move.
    The caller guarantees legality (no suicide; ko respected).
    """
    w = np.int64(s[META, X_WIDTH])
    o = 3 - c
    # take p out of the empty list
    ne = s[META, X_NEMPTY] - 1
    i = s[EIDX, p]
    last = s[ELIST, ne]
    s[ELIST, i] = last
    s[EIDX, last] = i
    s[META, X_NEMPTY] = ne
    s[COLOR, p] = c
    s[HEAD, p] = p
    s[NEXT, p] = p
    s[SIZE, p] = 1
    pl = 0
    ps = 0
    pq = 0
    pp = p * p
    for d in range(4):
        n = p + (-w, -1, 1, w)[d]
        cn = s[COLOR, n]
        if cn == EMPTY:
            pl += 1
            ps += n
            pq += n * n
        elif cn != WALL:
            h = s[HEAD, n]
            s[PLIB, h] -= 1
            s[LSUM, h] -= p
            s[LSQ, h] -= pp
    s[PLIB, p] = pl
    s[LSUM, p] = ps
    s[LSQ, p] = pq
    # merge with friendly chains, the smaller one relabelled
    for d in range(4):
        n = p + (-w, -1, 1, w)[d]
        if s[COLOR, n] != c:
            continue
        a = s[HEAD, p]
        b = s[HEAD, n]
        if a == b:
            continue
        if s[SIZE, a] < s[SIZE, b]:
            a, b = b, a
        q = b
        while True:
            s[HEAD, q] = a
            q = s[NEXT, q]
            if q == b:
                break
        t = s[NEXT, a]
        s[NEXT, a] = s[NEXT, b]
        s[NEXT, b] = t
        s[SIZE, a] += s[SIZE, b]
        s[PLIB, a] += s[PLIB, b]
        s[LSUM, a] += s[LSUM, b]
        s[LSQ, a] += s[LSQ, b]
    # capture enemy chains without pseudo-liberties
    captured = 0
    cap_point = -1
    for d in range(4):
        n = p + (-w, -1, 1, w)[d]
        if s[COLOR, n] != o:
            continue
        h = s[HEAD, n]
        if s[PLIB, h] != 0:
            continue
        cap_point = n
        q = h
        while True:
            s[COLOR, q] = EMPTY
            s[ELIST, ne] = q
            s[EIDX, q] = ne
            ne += 1
            captured += 1
            qq = q * q
            for e in range(4):
                m = q + (-w, -1, 1, w)[e]
                if s[COLOR, m] == c:
                    hm = s[HEAD, m]
                    s[PLIB, hm] += 1
                    s[LSUM, hm] += q
                    s[LSQ, hm] += qq
            q = s[NEXT, q]
            if q == h:
                break
    s[META, X_NEMPTY] = ne
    hp = s[HEAD, p]
    if captured == 1 and s[SIZE, hp] == 1 and in_atari(s, hp):
        s[META, X_KO] = cap_point
    else:
        s[META, X_KO] = -1
    s[META, X_TO_MOVE] = o
    s[META, X_PASSES] = 0
    s[META, X_MOVES] += 1
    return captured


@njit(cache=True, nogil=True)
def pass_fast(s: np.ndarray) -> None:
    """Pass for the colour to move.  Modifies ``s``."""
    s[META, X_KO] = -1
    s[META, X_TO_MOVE] = 3 - s[META, X_TO_MOVE]
    s[META, X_PASSES] += 1
    s[META, X_MOVES] += 1


@njit(cache=True, nogil=True)
def load_position(s: np.ndarray, color: np.ndarray, to_move: int, ko: int) -> None:
    """Reset ``s`` to the stones of ``color`` (int8[W*W], padded) with its chains.

    The position must be legal (every chain has a liberty), so placing its stones
    one by one never captures.  Modifies ``s``.
    """
    total = color.shape[0]
    w = np.int64(s[META, X_WIDTH])
    n_empty = 0
    for p in range(total):
        s[HEAD, p] = p
        s[NEXT, p] = p
        s[PLIB, p] = 0
        s[LSUM, p] = 0
        s[LSQ, p] = 0
        s[SIZE, p] = 0
        s[AMAF, p] = 0
        if color[p] == WALL:
            s[COLOR, p] = WALL
        else:
            s[COLOR, p] = EMPTY
            s[ELIST, n_empty] = p
            s[EIDX, p] = n_empty
            n_empty += 1
    s[META, X_NEMPTY] = n_empty
    for p in range(total):
        c = color[p]
        if c == BLACK or c == WHITE:
            play_fast(s, p, c)
    s[META, X_KO] = ko
    s[META, X_TO_MOVE] = to_move
    s[META, X_PASSES] = 0
    s[META, X_MOVES] = 0
    _ = w


@njit(cache=True, nogil=True, inline="always")
def next_random(state: np.uint64) -> np.uint64:
    """Advance an xorshift64 generator state.

    The state must be typed uint64 by numba: pass ``np.uint64`` values from Python (a
    plain int is typed int64, whose right shifts are arithmetic).
    """
    state ^= state << np.uint64(13)
    state ^= state >> np.uint64(7)
    state ^= state << np.uint64(17)
    return state


@njit(cache=True, nogil=True)
def is_legal_fast(s: np.ndarray, p: int, c: int) -> bool:
    """Return True if ``c`` may play at ``p`` (occupied, ko and suicide checked)."""
    if s[COLOR, p] != EMPTY or p == s[META, X_KO]:
        return False
    w = np.int64(s[META, X_WIDTH])
    o = 3 - c
    for d in range(4):
        n = p + (-w, -1, 1, w)[d]
        cn = s[COLOR, n]
        if cn == EMPTY:
            return True
        if cn == c and not in_atari(s, s[HEAD, n]):
            return True
        if cn == o and in_atari(s, s[HEAD, n]):
            return True
    return False


@njit(cache=True, nogil=True)
def score_area(s: np.ndarray) -> int:
    """Return black area minus white area by Tromp-Taylor rules (no komi)."""
    n = s[META, X_SIZE]
    w = np.int64(s[META, X_WIDTH])
    color = s[COLOR]
    score = 0
    slow = False
    for row in range(n):
        base = (row + 1) * w + 1
        for col in range(n):
            p = base + col
            cp = color[p]
            if cp == BLACK:
                score += 1
            elif cp == WHITE:
                score -= 1
            else:
                reach = 0
                for d in range(4):
                    cn = color[p + (-w, -1, 1, w)[d]]
                    if cn == EMPTY:
                        slow = True
                    elif cn != WALL:
                        reach |= cn
                if reach == BLACK:
                    score += 1
                elif reach == WHITE:
                    score -= 1
    if not slow:
        return score
    # regions larger than one point: flood fill them
    owner = np.empty(w * w, dtype=np.int8)
    area_owner(s, owner)
    score = 0
    for p in range(w * w):
        score += owner[p]
    return score


@njit(cache=True, nogil=True, inline="always")
def light_playout(
    s: np.ndarray, rng_in: np.uint64, max_moves: int, trace: np.ndarray
) -> tuple[int, int, np.uint64]:
    """Play uniformly random legal moves that do not fill the mover's own eye.

    An eye is an empty point whose four neighbours are the mover's stones or walls
    (the 4-neighbour eye rule).  Candidates are drawn from the empty list; a rejected
    one is swapped behind the candidate range, so every legal non-eye move is equally
    likely.  Stops after two passes or ``max_moves`` moves.  When ``trace`` is not
    empty, the padded point of each move (PASS = -1) is written into it.

    This is ``random_move`` + ``play_fast`` inlined by hand with the scalars in
    locals and unsigned indices (no negative-index wraparound): about 1.5x faster.
    Modifies ``s``.  Returns (black area minus white area, moves played, generator
    state).
    """
    rng = np.uint64(rng_in)  # a Python int arrives typed int64
    w = np.int64(s[META, X_WIDTH])
    record = trace.shape[0] > 0
    ne = np.int64(s[META, X_NEMPTY])
    ko = np.int64(s[META, X_KO])
    c = np.int64(s[META, X_TO_MOVE])
    passes = np.int64(s[META, X_PASSES])
    moves = 0
    while passes < 2 and moves < max_moves:
        o = 3 - c
        # -- choose: uniform among legal moves that do not fill an own eye
        n_cand = ne
        p = PASS
        while n_cand > 0:
            rng = next_random(rng)
            i = np.int64(((rng >> np.uint64(32)) * np.uint64(n_cand)) >> np.uint64(32))
            q = s[ELIST, U(i)]
            c0 = s[COLOR, U(q - w)]
            c1 = s[COLOR, U(q - 1)]
            c2 = s[COLOR, U(q + 1)]
            c3 = s[COLOR, U(q + w)]
            if q != ko:
                if c0 == EMPTY or c1 == EMPTY or c2 == EMPTY or c3 == EMPTY:
                    p = q
                    break
                if c0 == o or c1 == o or c2 == o or c3 == o:
                    # no empty neighbour: legal if it captures or joins a chain that
                    # keeps another liberty
                    ok = False
                    for d in range(4):
                        n = q + (-w, -1, 1, w)[d]
                        cn = s[COLOR, U(n)]
                        if cn == WALL:
                            continue
                        h = s[HEAD, U(n)]
                        lib = s[PLIB, U(h)]
                        atari = lib * s[LSQ, U(h)] == s[LSUM, U(h)] * s[LSUM, U(h)]
                        if atari == (cn == o):
                            ok = True
                            break
                    if ok:
                        p = q
                        break
            n_cand -= 1
            last = s[ELIST, U(n_cand)]
            s[ELIST, U(i)] = last
            s[EIDX, U(last)] = i
            s[ELIST, U(n_cand)] = q
            s[EIDX, U(q)] = n_cand
        if record:
            trace[moves] = p
        moves += 1
        if p == PASS:
            passes += 1
            ko = -1
            c = o
            continue
        passes = 0
        # -- play p for c (as play_fast)
        ne -= 1
        i = s[EIDX, U(p)]
        last = s[ELIST, U(ne)]
        s[ELIST, U(i)] = last
        s[EIDX, U(last)] = i
        s[COLOR, U(p)] = c
        s[HEAD, U(p)] = p
        s[NEXT, U(p)] = p
        s[SIZE, U(p)] = 1
        s[PLIB, U(p)] = 0
        s[LSUM, U(p)] = 0
        s[LSQ, U(p)] = 0
        pp = p * p
        hp = p
        any_capture = False
        for d in range(4):
            n = p + (-w, -1, 1, w)[d]
            cn = s[COLOR, U(n)]
            if cn == EMPTY:
                s[PLIB, U(hp)] += 1
                s[LSUM, U(hp)] += n
                s[LSQ, U(hp)] += n * n
            elif cn == c:
                b = s[HEAD, U(n)]
                s[PLIB, U(b)] -= 1
                s[LSUM, U(b)] -= p
                s[LSQ, U(b)] -= pp
                if b == hp:
                    continue
                a = hp
                if s[SIZE, U(a)] < s[SIZE, U(b)]:
                    a, b = b, a
                q = b
                while True:
                    s[HEAD, U(q)] = a
                    q = s[NEXT, U(q)]
                    if q == b:
                        break
                t = s[NEXT, U(a)]
                s[NEXT, U(a)] = s[NEXT, U(b)]
                s[NEXT, U(b)] = t
                s[SIZE, U(a)] += s[SIZE, U(b)]
                s[PLIB, U(a)] += s[PLIB, U(b)]
                s[LSUM, U(a)] += s[LSUM, U(b)]
                s[LSQ, U(a)] += s[LSQ, U(b)]
                hp = a
            elif cn == o:
                h = s[HEAD, U(n)]
                s[PLIB, U(h)] -= 1
                s[LSUM, U(h)] -= p
                s[LSQ, U(h)] -= pp
                if s[PLIB, U(h)] == 0:
                    any_capture = True
        captured = 0
        cap_point = PASS
        if any_capture:
            for d in range(4):
                n = p + (-w, -1, 1, w)[d]
                if s[COLOR, U(n)] != o:
                    continue
                h = s[HEAD, U(n)]
                if s[PLIB, U(h)] != 0:
                    continue
                cap_point = n
                q = h
                while True:
                    s[COLOR, U(q)] = EMPTY
                    s[ELIST, U(ne)] = q
                    s[EIDX, U(q)] = ne
                    ne += 1
                    captured += 1
                    qq = q * q
                    for e in range(4):
                        m = q + (-w, -1, 1, w)[e]
                        if s[COLOR, U(m)] == c:
                            hm = s[HEAD, U(m)]
                            s[PLIB, U(hm)] += 1
                            s[LSUM, U(hm)] += q
                            s[LSQ, U(hm)] += qq
                    q = s[NEXT, U(q)]
                    if q == h:
                        break
        ko = -1
        if captured == 1 and s[SIZE, U(hp)] == 1:
            lib = s[PLIB, U(hp)]
            if lib * s[LSQ, U(hp)] == s[LSUM, U(hp)] * s[LSUM, U(hp)]:
                ko = cap_point
        c = o
    s[META, X_NEMPTY] = ne
    s[META, X_KO] = ko
    s[META, X_TO_MOVE] = c
    s[META, X_PASSES] = passes
    return score_area(s), moves, rng


@njit(cache=True, nogil=True)
def run_light_playouts(root: np.ndarray, n_playouts: int, seed: np.uint64) -> tuple[int, int, int]:
    """Run ``n_playouts`` light playouts from ``root`` (unchanged); for benchmarks.

    Returns (playouts where black's area exceeded white's, total moves played,
    total of black area minus white area).
    """
    size = root[META, X_SIZE]
    max_moves = 3 * size * size
    s = np.empty_like(root)
    rng = np.uint64(seed) | np.uint64(1)
    black_wins = 0
    total_moves = 0
    total_score = 0
    no_trace = np.empty(0, dtype=np.int32)
    for _ in range(n_playouts):
        s[:] = root
        score, moves, rng = light_playout(s, rng, max_moves, no_trace)
        total_moves += moves
        total_score += score
        if score > 0:
            black_wins += 1
    return black_wins, total_moves, total_score


@njit(cache=True, nogil=True)
def area_owner(s: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` (int8[W*W], padded) with Tromp-Taylor owners: +1 black, -1 white,
    0 neutral or wall; empty regions are flood-filled.  Modifies ``out`` only."""
    w = s[META, X_WIDTH]
    total = w * w
    seen = np.zeros(total, dtype=np.uint8)
    stack = np.empty(total, dtype=np.int64)
    region = np.empty(total, dtype=np.int64)
    for p in range(total):
        cp = s[COLOR, p]
        if cp == BLACK:
            out[p] = 1
        elif cp == WHITE:
            out[p] = -1
        elif cp == WALL:
            out[p] = 0
        elif seen[p] == 0:
            seen[p] = 1
            stack[0] = p
            top = 1
            count = 0
            reach = 0
            while top > 0:
                top -= 1
                q = stack[top]
                region[count] = q
                count += 1
                for d in range(4):
                    m = q + (-w, -1, 1, w)[d]
                    cm = s[COLOR, m]
                    if cm == EMPTY:
                        if seen[m] == 0:
                            seen[m] = 1
                            stack[top] = m
                            top += 1
                    elif cm != WALL:
                        reach |= cm
            value = 1 if reach == BLACK else -1 if reach == WHITE else 0
            for k in range(count):
                out[region[k]] = value


@njit(cache=True, nogil=True)
def add_area_owner(s: np.ndarray, owner_sum: np.ndarray) -> None:
    """Add each point's Tromp-Taylor owner (+1 black, -1 white) to ``owner_sum``.

    ``owner_sum`` is float64[W*W] indexed by padded point; modifies it only.
    """
    w = s[META, X_WIDTH]
    owner = np.empty(w * w, dtype=np.int8)
    area_owner(s, owner)
    for p in range(w * w):
        owner_sum[p] += owner[p]


@njit(cache=True, nogil=True)
def light_ownership(
    root: np.ndarray, n_playouts: int, seed: np.uint64, owner_sum: np.ndarray
) -> None:
    """Accumulate final owners of ``n_playouts`` light playouts from ``root`` (unchanged).

    Modifies ``owner_sum`` (float64[W*W]): +1 per playout a point ends black, -1 white.
    """
    size = root[META, X_SIZE]
    s = np.empty_like(root)
    rng = np.uint64(seed) | np.uint64(1)
    no_trace = np.empty(0, dtype=np.int32)
    for _ in range(n_playouts):
        s[:] = root
        _, _, rng = light_playout(s, rng, 3 * size * size, no_trace)
        add_area_owner(s, owner_sum)
