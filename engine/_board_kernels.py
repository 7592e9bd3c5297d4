"""numba kernels of the readable rules board.

The board is a flat padded array (see ``engine.coords``): ``W = N + 2`` and point
``p`` has the neighbours ``p - W, p - 1, p + 1, p + W``.  Chains are circular linked
lists of stones (``next``) with a representative stone (``head``); the chain's exact
liberty count and stone count live at its head and are kept up to date move by move:
placing a stone walks only the chains it touches, never the whole board.

State crosses the numba boundary as a ``BoardArrays`` named tuple.  Kernels that
modify it say so.  Start reading at ``play_stone``.

This board is the reference that the fast playout board (``_playout_kernels``) is
cross-checked against; it favours clarity over the last nanosecond.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

EMPTY = 0
BLACK = 1
WHITE = 2
WALL = 3

# move_status codes
LEGAL = 0
OCCUPIED = 1
SUICIDE = 2
KO = 3
SUPERKO = 4
OFF_BOARD = 5

# meta slots
M_SIZE = 0
M_WIDTH = 1
M_TO_MOVE = 2
M_KO = 3
M_PASSES = 4
M_CAPTURES = 5  # captures by black at 5 + 0, by white at 5 + 1 (index 5 + colour - 1)
M_STAMP = 7
M_MOVES = 8
META_LEN = 9

MAX_SIZE = 25
ZOBRIST_SEED = 20161019


class BoardArrays(NamedTuple):
    """Arrays of one position; every array is indexed by padded point.

    color:   int8[W*W]    EMPTY, BLACK, WHITE or WALL
    head:    int32[W*W]   representative stone of the chain through a stone
    next:    int32[W*W]   next stone of the same chain (circular list)
    libs:    int32[W*W]   exact liberty count, valid at a chain's head
    stones:  int32[W*W]   stone count, valid at a chain's head
    mark:    int32[W*W]   scratch marks for liberty counting
    meta:    int64[9]     size, width, colour to move, ko point (-1 none), passes,
                          captures by black, captures by white, mark stamp, moves
    key:     uint64[1]    Zobrist hash of the stones (positional, no side to move)
    zobrist: uint64[3, (MAX_SIZE+2)**2]  shared random table, row = colour
    """

    color: np.ndarray
    head: np.ndarray
    next: np.ndarray
    libs: np.ndarray
    stones: np.ndarray
    mark: np.ndarray
    meta: np.ndarray
    key: np.ndarray
    zobrist: np.ndarray


def make_zobrist() -> np.ndarray:
    """Return the Zobrist table shared by every board (fixed seed, reproducible)."""
    rng = np.random.default_rng(ZOBRIST_SEED)
    table = rng.integers(1, 2**63 - 1, size=(3, (MAX_SIZE + 2) ** 2), dtype=np.int64)
    return table.astype(np.uint64)


ZOBRIST = make_zobrist()


def new_board(size: int) -> BoardArrays:
    """Return the arrays of an empty ``size`` x ``size`` board, black to move."""
    width = size + 2
    color = np.full(width * width, WALL, dtype=np.int8)
    for row in range(size):
        start = (row + 1) * width + 1
        color[start : start + size] = EMPTY
    meta = np.zeros(META_LEN, dtype=np.int64)
    meta[M_SIZE] = size
    meta[M_WIDTH] = width
    meta[M_TO_MOVE] = BLACK
    meta[M_KO] = -1
    return BoardArrays(
        color=color,
        head=np.arange(width * width, dtype=np.int32),
        next=np.arange(width * width, dtype=np.int32),
        libs=np.zeros(width * width, dtype=np.int32),
        stones=np.zeros(width * width, dtype=np.int32),
        mark=np.zeros(width * width, dtype=np.int32),
        meta=meta,
        key=np.zeros(1, dtype=np.uint64),
        zobrist=ZOBRIST,
    )


def copy_board(b: BoardArrays) -> BoardArrays:
    """Return a deep copy of ``b`` (the Zobrist table is shared)."""
    return BoardArrays(
        b.color.copy(),
        b.head.copy(),
        b.next.copy(),
        b.libs.copy(),
        b.stones.copy(),
        b.mark.copy(),
        b.meta.copy(),
        b.key.copy(),
        b.zobrist,
    )


@njit(cache=True, nogil=True)
def count_liberties(b: BoardArrays, h: int) -> int:
    """Return the exact liberty count of the chain through ``h`` (walks the chain).

    Modifies ``b.mark`` and ``b.meta[M_STAMP]`` (scratch only).
    """
    w = b.meta[M_WIDTH]
    b.meta[M_STAMP] += 1
    stamp = b.meta[M_STAMP]
    count = 0
    q = h
    while True:
        for n in (q - w, q - 1, q + 1, q + w):
            if b.color[n] == EMPTY and b.mark[n] != stamp:
                b.mark[n] = stamp
                count += 1
        q = b.next[q]
        if q == h:
            break
    return count


@njit(cache=True, nogil=True)
def first_liberty(b: BoardArrays, h: int) -> int:
    """Return one liberty of the chain through ``h``, or -1 if it has none."""
    w = b.meta[M_WIDTH]
    q = h
    while True:
        for n in (q - w, q - 1, q + 1, q + w):
            if b.color[n] == EMPTY:
                return n
        q = b.next[q]
        if q == h:
            return -1


@njit(cache=True, nogil=True)
def move_status(b: BoardArrays, p: int, c: int, allow_suicide: bool) -> int:
    """Return LEGAL, OCCUPIED, SUICIDE or KO for colour ``c`` playing at ``p``.

    Positional superko is not checked here (see ``hash_after``).
    """
    if b.color[p] != EMPTY:
        return OCCUPIED
    if p == b.meta[M_KO] and c == b.meta[M_TO_MOVE]:
        return KO
    w = b.meta[M_WIDTH]
    o = 3 - c
    for n in (p - w, p - 1, p + 1, p + w):
        cn = b.color[n]
        if cn == EMPTY:
            return LEGAL
        if cn == c and b.libs[b.head[n]] > 1:
            return LEGAL
        if cn == o and b.libs[b.head[n]] == 1:
            return LEGAL
    if allow_suicide:
        # a lone stone with no liberty that joins nothing is never a move worth having,
        # but Tromp-Taylor allows it; suicide of a chain of one or more stones.
        return LEGAL
    return SUICIDE


@njit(cache=True, nogil=True)
def is_suicide(b: BoardArrays, p: int, c: int) -> bool:
    """Return True if ``c`` at empty ``p`` would leave its own chain without liberty."""
    w = b.meta[M_WIDTH]
    o = 3 - c
    for n in (p - w, p - 1, p + 1, p + w):
        cn = b.color[n]
        if cn == EMPTY:
            return False
        if cn == c and b.libs[b.head[n]] > 1:
            return False
        if cn == o and b.libs[b.head[n]] == 1:
            return False
    return True


@njit(cache=True, nogil=True)
def hash_after(b: BoardArrays, p: int, c: int) -> np.uint64:
    """Return the positional hash after ``c`` plays at empty ``p`` (not played)."""
    w = b.meta[M_WIDTH]
    o = 3 - c
    key = b.key[0] ^ b.zobrist[c, p]
    captured_any = False
    for d in range(4):
        n = p + (-w, -1, 1, w)[d]
        if b.color[n] != o:
            continue
        h = b.head[n]
        if b.libs[h] != 1:
            continue
        seen = False
        for e in range(d):
            m = p + (-w, -1, 1, w)[e]
            if b.color[m] == o and b.head[m] == h:
                seen = True
        if seen:
            continue
        captured_any = True
        q = h
        while True:
            key ^= b.zobrist[o, q]
            q = b.next[q]
            if q == h:
                break
    if not captured_any and is_suicide(b, p, c):
        # suicide (only reachable when allowed): the new stone and its friends vanish
        key ^= b.zobrist[c, p]
        for d in range(4):
            n = p + (-w, -1, 1, w)[d]
            if b.color[n] != c:
                continue
            h = b.head[n]
            seen = False
            for e in range(d):
                m = p + (-w, -1, 1, w)[e]
                if b.color[m] == c and b.head[m] == h:
                    seen = True
            if seen:
                continue
            q = h
            while True:
                key ^= b.zobrist[c, q]
                q = b.next[q]
                if q == h:
                    break
    return key


@njit(cache=True, nogil=True)
def _remove_chain(b: BoardArrays, h: int) -> int:
    """Remove the chain through ``h``; give its points as liberties to neighbours.

    Modifies ``b``.  Returns the number of stones removed.
    """
    w = b.meta[M_WIDTH]
    c = b.color[h]
    o = 3 - c
    removed = 0
    q = h
    while True:
        b.color[q] = EMPTY
        b.key[0] ^= b.zobrist[c, q]
        removed += 1
        q = b.next[q]
        if q == h:
            break
    # second pass: each removed point is one new liberty of each distinct neighbour chain
    q = h
    while True:
        nq = b.next[q]
        for d in range(4):
            n = q + (-w, -1, 1, w)[d]
            if b.color[n] != o:
                continue
            hn = b.head[n]
            seen = False
            for e in range(d):
                m = q + (-w, -1, 1, w)[e]
                if b.color[m] == o and b.head[m] == hn:
                    seen = True
            if not seen:
                b.libs[hn] += 1
        b.head[q] = q
        b.next[q] = q
        b.stones[q] = 0
        b.libs[q] = 0
        q = nq
        if q == h:
            break
    return removed


@njit(cache=True, nogil=True)
def _merge_chains(b: BoardArrays, a: int, h: int) -> int:
    """Merge the chains with heads ``a`` and ``h``; return the surviving head.

    Modifies ``b``.  The smaller chain is relabelled.
    """
    if b.stones[a] < b.stones[h]:
        a, h = h, a
    q = h
    while True:
        b.head[q] = a
        q = b.next[q]
        if q == h:
            break
    na = b.next[a]
    b.next[a] = b.next[h]
    b.next[h] = na
    b.stones[a] += b.stones[h]
    return a


@njit(cache=True, nogil=True)
def play_stone(b: BoardArrays, p: int, c: int) -> int:
    """Place a stone of colour ``c`` at ``p`` and resolve captures.

    The caller has checked legality (a suicide reaching here removes the chain, as
    Tromp-Taylor rules allow).  Modifies ``b``: stones, chains, liberties, ko point,
    hash, captures, colour to move.  Returns the number of stones captured.
    """
    w = b.meta[M_WIDTH]
    o = 3 - c
    b.color[p] = c
    b.key[0] ^= b.zobrist[c, p]
    b.head[p] = p
    b.next[p] = p
    b.stones[p] = 1
    # each distinct enemy chain next to p loses the liberty p
    for d in range(4):
        n = p + (-w, -1, 1, w)[d]
        if b.color[n] != o:
            continue
        h = b.head[n]
        seen = False
        for e in range(d):
            m = p + (-w, -1, 1, w)[e]
            if b.color[m] == o and b.head[m] == h:
                seen = True
        if not seen:
            b.libs[h] -= 1
    # join friendly chains
    hp = p
    for d in range(4):
        n = p + (-w, -1, 1, w)[d]
        if b.color[n] == c and b.head[n] != hp:
            hp = _merge_chains(b, hp, b.head[n])
    # capture enemy chains left without liberty
    captured = 0
    last_captured = -1
    for d in range(4):
        n = p + (-w, -1, 1, w)[d]
        if b.color[n] == o and b.libs[b.head[n]] == 0:
            captured += _remove_chain(b, b.head[n])
            last_captured = n
    hp = b.head[p]
    b.libs[hp] = count_liberties(b, hp)
    b.meta[M_KO] = -1
    if b.libs[hp] == 0:
        # suicide, legal only under rules that allow it
        lost = _remove_chain(b, hp)
        b.meta[M_CAPTURES + o - 1] += lost
    elif captured == 1 and b.stones[hp] == 1 and b.libs[hp] == 1:
        b.meta[M_KO] = last_captured
    b.meta[M_CAPTURES + c - 1] += captured
    b.meta[M_PASSES] = 0
    b.meta[M_TO_MOVE] = o
    b.meta[M_MOVES] += 1
    return captured


@njit(cache=True, nogil=True)
def play_pass(b: BoardArrays) -> None:
    """Pass for the colour to move.  Modifies ``b`` (ko cleared, passes counted)."""
    b.meta[M_KO] = -1
    b.meta[M_PASSES] += 1
    b.meta[M_TO_MOVE] = 3 - b.meta[M_TO_MOVE]
    b.meta[M_MOVES] += 1


@njit(cache=True, nogil=True)
def _in_sorted(values: np.ndarray, count: int, key: np.uint64) -> bool:
    lo = 0
    hi = count
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo < count and values[lo] == key


@njit(cache=True, nogil=True)
def full_status(
    b: BoardArrays, p: int, c: int, allow_suicide: bool, history: np.ndarray, n_history: int
) -> int:
    """Return the status of ``c`` at ``p`` including positional superko.

    ``history`` holds the hashes of earlier positions, sorted, in its first
    ``n_history`` slots.
    """
    status = move_status(b, p, c, allow_suicide)
    if status != LEGAL:
        return status
    if n_history > 0 and _in_sorted(history, n_history, hash_after(b, p, c)):
        return SUPERKO
    return LEGAL


@njit(cache=True, nogil=True)
def legal_mask(
    b: BoardArrays,
    c: int,
    allow_suicide: bool,
    history: np.ndarray,
    n_history: int,
    out: np.ndarray,
) -> None:
    """Fill ``out`` (bool[N*N+1], flat actions) with the legal moves of ``c``.

    Pass is always legal.  Modifies ``out`` only.
    """
    n = b.meta[M_SIZE]
    w = b.meta[M_WIDTH]
    for row in range(n):
        for col in range(n):
            p = (row + 1) * w + col + 1
            out[row * n + col] = full_status(b, p, c, allow_suicide, history, n_history) == LEGAL
    out[n * n] = True


@njit(cache=True, nogil=True)
def tromp_taylor_owner(color: np.ndarray, size: int, out: np.ndarray) -> None:
    """Fill ``out`` (int8[W*W]) with each point's Tromp-Taylor owner.

    A stone belongs to its colour; an empty region belongs to the colour that alone
    borders it (EMPTY if it borders both or neither).  Walls get WALL.
    """
    w = size + 2
    total = w * w
    for p in range(total):
        out[p] = WALL if color[p] == WALL else -1
    stack = np.empty(total, dtype=np.int32)
    region = np.empty(total, dtype=np.int32)
    for p in range(total):
        if color[p] == BLACK or color[p] == WHITE:
            out[p] = color[p]
    for p in range(total):
        if color[p] != EMPTY or out[p] != -1:
            continue
        top = 0
        stack[top] = p
        top += 1
        out[p] = 0
        n_region = 0
        reach = 0
        while top > 0:
            top -= 1
            q = stack[top]
            region[n_region] = q
            n_region += 1
            for n in (q - w, q - 1, q + 1, q + w):
                cn = color[n]
                if cn == EMPTY:
                    if out[n] == -1:
                        out[n] = 0
                        stack[top] = n
                        top += 1
                elif cn == BLACK or cn == WHITE:
                    reach |= cn
        owner = reach if reach == BLACK or reach == WHITE else EMPTY
        for i in range(n_region):
            out[region[i]] = owner


@njit(cache=True, nogil=True)
def area_counts(color: np.ndarray, size: int) -> tuple[int, int]:
    """Return (black area, white area) by Tromp-Taylor rules."""
    owner = np.empty(color.shape[0], dtype=np.int8)
    tromp_taylor_owner(color, size, owner)
    black = 0
    white = 0
    for p in range(color.shape[0]):
        if owner[p] == BLACK:
            black += 1
        elif owner[p] == WHITE:
            white += 1
    return black, white
