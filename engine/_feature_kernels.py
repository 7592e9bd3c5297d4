"""numba kernels that turn positions into the network's input planes.

Notation as in the AlphaGo Zero paper: ``X_t`` is the plane of the side to move's
stones ``t`` moves ago, ``Y_t`` the opponent's stones in the same position, ``C`` the
colour plane (all ones when black is to move).  Planes are float32 ``(C, N, N)``
indexed ``[plane, row, col]`` with row 0 at the bottom (``engine.coords``).

Where each plane goes is described by a small int64 ``layout`` array, built by
``engine.features.FeatureConfig.layout``:

==============  ===========================================================
slot            meaning
==============  ===========================================================
L_HISTORY       H, the number of positions: planes ``2t`` (X_t) and
                ``2t + 1`` (Y_t) for ``t < H``, then C at plane ``2H``
L_LIBERTIES     first of 8 liberty planes, or -1: own chains with 1, 2, 3,
                >= 4 liberties, then the opponent's chains likewise
L_KO            the simple-ko plane (the point the side to move may not
                retake), or -1
L_LEGAL         the legal-move plane of the side to move, or -1
L_ONES          a constant plane of ones (shows the board edge to a
                zero-padded convolution), or -1
==============  ===========================================================

The history comes as a *stack* of padded colour arrays, int8 ``(T, W*W)`` with
``T >= H``: ``stack[0]`` is the current position, ``stack[t]`` the position ``t``
moves ago; positions from before the start of the game are all zeros (EMPTY), which
gives the empty planes AlphaGo Zero pads with.

Every kernel overwrites every cell of the planes it owns, so output buffers may be
reused without clearing.  Start reading at ``fill_features``; ``fill_game_features``
replays a whole game record and fills the planes of each of its positions.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine import _board_kernels as K

EMPTY = K.EMPTY
BLACK = K.BLACK
WHITE = K.WHITE

# layout slots
L_HISTORY = 0
L_LIBERTIES = 1
L_KO = 2
L_LEGAL = 3
L_ONES = 4
LAYOUT_LEN = 5

LIBERTY_PLANES = 8
NO_GAME_ERROR = -1


@njit(cache=True, nogil=True)
def fill_history_planes(stack: np.ndarray, history: int, to_move: int, out: np.ndarray) -> None:
    """Fill the 2H + 1 AlphaGo Zero planes X_0, Y_0, ..., X_{H-1}, Y_{H-1}, C.

    Args:
        stack: int8 (T, W*W), T >= history, newest position first.
        history: H, the number of positions encoded.
        to_move: BLACK or WHITE, the side to move in ``stack[0]``.
        out: float32 (C, N, N); planes ``0 .. 2H`` are overwritten.
    """
    n = out.shape[1]
    w = n + 2
    opp = 3 - to_move
    for t in range(history):
        for row in range(n):
            base = (row + 1) * w + 1
            for col in range(n):
                c = stack[t, base + col]
                out[2 * t, row, col] = 1.0 if c == to_move else 0.0
                out[2 * t + 1, row, col] = 1.0 if c == opp else 0.0
    value = 1.0 if to_move == BLACK else 0.0
    for row in range(n):
        for col in range(n):
            out[2 * history, row, col] = value


@njit(cache=True, nogil=True)
def fill_liberty_planes(
    color: np.ndarray, liberties: np.ndarray, to_move: int, first: int, out: np.ndarray
) -> None:
    """Fill 8 planes of chain liberties bucketed 1, 2, 3, >= 4: own chains, then opponent's.

    Args:
        color: int8 (W*W,), padded colours of the current position.
        liberties: int32 (W*W,), liberty count of the chain through each stone.
        to_move: BLACK or WHITE.
        first: index of the first of the 8 planes in ``out``.
        out: float32 (C, N, N); planes ``first .. first + 7`` are overwritten.
    """
    n = out.shape[1]
    w = n + 2
    for row in range(n):
        for col in range(n):
            p = (row + 1) * w + col + 1
            for k in range(LIBERTY_PLANES):
                out[first + k, row, col] = 0.0
            c = color[p]
            if c == to_move:
                base = first
            elif c == 3 - to_move:
                base = first + 4
            else:
                continue
            libs = liberties[p]
            if libs >= 1:
                out[base + min(libs, 4) - 1, row, col] = 1.0


@njit(cache=True, nogil=True)
def fill_point_plane(point: int, plane: int, out: np.ndarray) -> None:
    """Fill ``out[plane]`` with zeros and a one at padded ``point`` (none if ``point < 0``)."""
    n = out.shape[1]
    w = n + 2
    for row in range(n):
        for col in range(n):
            out[plane, row, col] = 0.0
    if point >= 0:
        out[plane, point // w - 1, point % w - 1] = 1.0


@njit(cache=True, nogil=True)
def fill_mask_plane(mask: np.ndarray, plane: int, out: np.ndarray) -> None:
    """Fill ``out[plane]`` from a flat-action mask (bool[N*N(+1)]; pass slot ignored)."""
    n = out.shape[1]
    for row in range(n):
        for col in range(n):
            out[plane, row, col] = 1.0 if mask[row * n + col] else 0.0


@njit(cache=True, nogil=True)
def fill_constant_plane(value: float, plane: int, out: np.ndarray) -> None:
    """Fill ``out[plane]`` with ``value``."""
    n = out.shape[1]
    for row in range(n):
        for col in range(n):
            out[plane, row, col] = value


@njit(cache=True, nogil=True)
def fill_features(
    stack: np.ndarray,
    to_move: int,
    liberties: np.ndarray,
    ko: int,
    legal: np.ndarray,
    layout: np.ndarray,
    out: np.ndarray,
) -> None:
    """Fill every plane of one position.

    Args:
        stack: int8 (T, W*W), newest position first (see the module docstring).
        to_move: BLACK or WHITE, the side to move in ``stack[0]``.
        liberties: int32 (W*W,), chain liberties per stone; read only when
            ``layout[L_LIBERTIES] >= 0`` (may be empty otherwise).
        ko: padded simple-ko point, -1 for none.
        legal: bool (N*N+1,), legal actions of ``to_move``; read only when
            ``layout[L_LEGAL] >= 0`` (may be empty otherwise).
        layout: int64 (LAYOUT_LEN,), plane offsets.
        out: float32 (C, N, N); modified: every plane of the layout is overwritten.
    """
    fill_history_planes(stack, layout[L_HISTORY], to_move, out)
    if layout[L_LIBERTIES] >= 0:
        fill_liberty_planes(stack[0], liberties, to_move, layout[L_LIBERTIES], out)
    if layout[L_KO] >= 0:
        fill_point_plane(ko, layout[L_KO], out)
    if layout[L_LEGAL] >= 0:
        fill_mask_plane(legal, layout[L_LEGAL], out)
    if layout[L_ONES] >= 0:
        fill_constant_plane(1.0, layout[L_ONES], out)


@njit(cache=True, nogil=True)
def fill_features_batch(
    stacks: np.ndarray,
    to_move: np.ndarray,
    liberties: np.ndarray,
    ko: np.ndarray,
    legal: np.ndarray,
    layout: np.ndarray,
    out: np.ndarray,
) -> None:
    """Fill the planes of B positions in one call.

    Args:
        stacks: int8 (B, T, W*W), each newest position first.
        to_move: int64 (B,), side to move of each position.
        liberties: int32 (B, W*W) or (B, 0) when the layout has no liberty planes.
        ko: int64 (B,), padded simple-ko points (-1 for none).
        legal: bool (B, N*N+1) or (B, 0) when the layout has no legal plane.
        layout: int64 (LAYOUT_LEN,), plane offsets.
        out: float32 (B, C, N, N); modified: every plane of the layout is overwritten.
    """
    for b in range(stacks.shape[0]):
        fill_features(stacks[b], to_move[b], liberties[b], ko[b], legal[b], layout, out[b])


@njit(cache=True, nogil=True)
def point_liberties(color: np.ndarray, head: np.ndarray, libs: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` (int32[W*W]) with the liberty count of the chain through each stone.

    Args:
        color: int8 (W*W,), padded colours.
        head: int32 (W*W,), chain representative of each stone (rules board).
        libs: int32 (W*W,), exact liberty count at each chain's head.
        out: int32 (W*W,); modified: 0 on empty points and walls.
    """
    for p in range(color.shape[0]):
        c = color[p]
        out[p] = libs[head[p]] if c == BLACK or c == WHITE else 0


@njit(cache=True, nogil=True)
def _remember(hashes: np.ndarray, count: int, key: np.uint64) -> int:
    """Insert ``key`` into the sorted first ``count`` slots of ``hashes``; return the new count.

    Modifies ``hashes``.  A key already present is not inserted twice.
    """
    lo = 0
    hi = count
    while lo < hi:
        mid = (lo + hi) // 2
        if hashes[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    if lo < count and hashes[lo] == key:
        return count
    for i in range(count, lo, -1):
        hashes[i] = hashes[i - 1]
    hashes[lo] = key
    return count + 1


@njit(cache=True, nogil=True)
def fill_game_features(
    b: K.BoardArrays,
    hashes: np.ndarray,
    n_hashes: int,
    allow_suicide: bool,
    superko: bool,
    actions: np.ndarray,
    colors: np.ndarray,
    layout: np.ndarray,
    include_final: bool,
    out: np.ndarray,
) -> int:
    """Replay a game record and fill the planes of the position before each move.

    The moves are played exactly as ``engine.board.Board.play`` plays them: a move
    for the colour not to move clears the ko point first, a pass clears it too, and
    every position after a stone move joins the superko history.

    Args:
        b: the start position (setup stones placed, colour to move set); modified:
            ends as the final position of the record.
        hashes: uint64, sorted positional hashes of earlier positions in the first
            ``n_hashes`` slots, with room for one more per move; modified.
        n_hashes: number of hashes in use.
        allow_suicide: rules option.
        superko: rules option (positional superko forbids repeating a position).
        actions: int64 (M,), flat actions, pass = N*N.
        colors: int64 (M,), BLACK or WHITE, the colour of each move.
        layout: int64 (LAYOUT_LEN,), plane offsets.
        include_final: also fill the planes of the position after the last move.
        out: float32 (M + include_final, C, N, N); modified: ``out[i]`` is the
            position before move ``i`` (after ``i`` moves).

    Returns:
        -1 (NO_GAME_ERROR) when every move was legal, else the index of the first
        illegal move (planes from that index on are not filled).
    """
    n = b.meta[K.M_SIZE]
    w = b.meta[K.M_WIDTH]
    depth = max(layout[L_HISTORY], 1)
    stack = np.zeros((depth, w * w), dtype=np.int8)
    stack[0, :] = b.color
    liberties = np.zeros(w * w, dtype=np.int32)
    legal = np.zeros(n * n + 1, dtype=np.bool_)
    m = actions.shape[0]
    positions = m + 1 if include_final else m
    for i in range(positions):
        to_move = b.meta[K.M_TO_MOVE]
        if layout[L_LIBERTIES] >= 0:
            point_liberties(b.color, b.head, b.libs, liberties)
        if layout[L_LEGAL] >= 0:
            K.legal_mask(b, to_move, allow_suicide, hashes, n_hashes if superko else 0, legal)
        fill_features(stack, to_move, liberties, b.meta[K.M_KO], legal, layout, out[i])
        if i == m:
            break
        action = actions[i]
        c = colors[i]
        if action == n * n:
            b.meta[K.M_TO_MOVE] = c
            K.play_pass(b)
        else:
            if action < 0 or action > n * n:
                return i
            p = (action // n + 1) * w + action % n + 1
            status = K.full_status(b, p, c, allow_suicide, hashes, n_hashes if superko else 0)
            if status != K.LEGAL:
                return i
            if c != b.meta[K.M_TO_MOVE]:
                b.meta[K.M_KO] = -1
                b.meta[K.M_TO_MOVE] = c
            K.play_stone(b, p, c)
            n_hashes = _remember(hashes, n_hashes, b.key[0])
        for t in range(depth - 1, 0, -1):
            stack[t, :] = stack[t - 1, :]
        stack[0, :] = b.color
    return NO_GAME_ERROR
