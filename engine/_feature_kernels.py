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
L_LADDER        first of 3 ladder planes, or -1 (read from ``stack[0]``
                by ``fill_ladder_planes``): own stones a ladder captures,
                the opponent's, and the moves that start a working
                ladder for the side to move
==============  ===========================================================

The history comes as a *stack* of padded colour arrays, int8 ``(T, W*W)`` with
``T >= H``: ``stack[0]`` is the current position, ``stack[t]`` the position ``t``
moves ago; positions from before the start of the game are all zeros (EMPTY), which
gives the empty planes AlphaGo Zero pads with.

Every kernel overwrites every cell of the planes it owns, so output buffers may be
reused without clearing.  Start reading at ``fill_features``; ``fill_game_features``
replays a whole game record and fills the planes of each of its positions.

Ladders (KataGo's "ladderable stones" and "ladder working moves" features) are read
from the colours alone, so every caller of ``fill_features`` gets them, whatever board
it keeps: ``_read_ladder`` plays the ladder out on a scratch copy of the colours, with
flood fills for liberties and an undo log.  A chain in atari is *captured* when every
escape of its owner, moving first (extending at its liberty, or capturing an adjacent
attacking chain in atari), leaves it with at most 2 liberties and, with 2, a working
ladder for the attacker; a chain with 2 liberties is captured when the attacker,
moving first, can play one of them and then capture it so.  Escapes reaching 3
liberties succeed.  Suicide is illegal, simple ko is respected, superko is not.  Each
chain gets ``LADDER_NODES`` search nodes; a read that runs out counts as not captured.
The search is a loop over an explicit stack of frames: numba's cache of a recursive
function crashed when loaded back.

numba caches a compiled function by the source of its own file only: kernels of other
files that call ``fill_features`` (``engine._puct_kernels``, ``engine.envs._env_kernels``)
keep a stale copy of it in their cache after this file changes.  Clear the caches
(``make clean``) after editing these kernels.
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
L_LADDER = 5
LAYOUT_LEN = 6

LIBERTY_PLANES = 8
LADDER_PLANES = 3
LADDER_NODES = 400
"""Search nodes a ladder read may visit per chain before it gives up (not captured)."""
NO_GAME_ERROR = -1

# slots of the ladder scratch ``meta`` array
_STAMP = 0
_TOP = 1
_NODES = 2
_MAX_NODES = 3
# columns of a ladder search frame
_F_DEFENDER = 0
_F_KO = 1
_F_NEXT = 2
_F_COUNT = 3
_F_TOP = 4
_LADDER_MOVES = 16  # most moves a frame may list


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
    if layout[L_LADDER] >= 0:
        fill_ladder_planes(stack[0], to_move, ko, layout[L_LADDER], LADDER_NODES, out)


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


# -- ladders ----------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _flood(
    work: np.ndarray,
    p: int,
    w: int,
    mark: np.ndarray,
    queue: np.ndarray,
    meta: np.ndarray,
    base: int,
) -> int:
    """Write the stones of the chain through ``p`` to ``queue[base:base + n]``; return n.

    Modifies ``mark`` (the chain's stones get a new stamp), ``meta[_STAMP]`` and ``queue``.
    """
    meta[_STAMP] += 1
    stamp = meta[_STAMP]
    c = work[p]
    mark[p] = stamp
    queue[base] = p
    n = 1
    i = 0
    while i < n:
        q = queue[base + i]
        i += 1
        for nb in (q - w, q - 1, q + 1, q + w):
            if work[nb] == c and mark[nb] != stamp:
                mark[nb] = stamp
                queue[base + n] = nb
                n += 1
    return n


@njit(cache=True, nogil=True)
def _liberties(
    work: np.ndarray,
    queue: np.ndarray,
    base: int,
    n: int,
    w: int,
    mark: np.ndarray,
    meta: np.ndarray,
    found: np.ndarray,
    cap: int,
) -> int:
    """Return the liberties of the chain ``queue[base:base + n]``, counting up to ``cap``.

    The first ``min(count, len(found))`` liberties go to ``found``.  Modifies ``mark``,
    ``meta[_STAMP]`` and ``found``.
    """
    meta[_STAMP] += 1
    stamp = meta[_STAMP]
    count = 0
    for i in range(n):
        q = queue[base + i]
        for nb in (q - w, q - 1, q + 1, q + w):
            if work[nb] == EMPTY and mark[nb] != stamp:
                mark[nb] = stamp
                if count < found.shape[0]:
                    found[count] = nb
                count += 1
                if count >= cap:
                    return count
    return count


@njit(cache=True, nogil=True)
def _log(work: np.ndarray, log: np.ndarray, meta: np.ndarray, p: int, c: int) -> bool:
    """Set ``work[p] = c``, remembering the old colour; False (nothing set) if the log is full."""
    top = meta[_TOP]
    if top >= log.shape[1]:
        return False
    log[0, top] = p
    log[1, top] = work[p]
    meta[_TOP] = top + 1
    work[p] = c
    return True


@njit(cache=True, nogil=True)
def _undo(work: np.ndarray, log: np.ndarray, meta: np.ndarray, top: int) -> None:
    """Undo the logged changes down to log length ``top``.  Modifies ``work`` and ``meta``."""
    while meta[_TOP] > top:
        meta[_TOP] -= 1
        work[log[0, meta[_TOP]]] = log[1, meta[_TOP]]


@njit(cache=True, nogil=True)
def _play_on_scratch(
    work: np.ndarray,
    p: int,
    c: int,
    w: int,
    mark: np.ndarray,
    queue: np.ndarray,
    log: np.ndarray,
    meta: np.ndarray,
) -> int:
    """Play ``c`` at empty ``p`` on the scratch colours, capturing what it captures.

    Returns the simple-ko point the opponent may not retake (-1 for none), or -2 if
    the move is suicide or the log is full (then nothing was changed).  Modifies
    ``work`` (undo with ``_undo``), ``log``, ``meta``, ``mark`` and ``queue``.
    """
    top = meta[_TOP]
    if not _log(work, log, meta, p, c):
        return -2
    o = 3 - c
    found = np.empty(1, dtype=np.int32)
    captured = 0
    last = -1
    for nb in (p - w, p - 1, p + 1, p + w):
        if work[nb] != o:
            continue
        n = _flood(work, nb, w, mark, queue, meta, 0)
        if _liberties(work, queue, 0, n, w, mark, meta, found, 1) > 0:
            continue
        for i in range(n):
            if not _log(work, log, meta, queue[i], EMPTY):
                _undo(work, log, meta, top)
                return -2
        captured += n
        last = nb
    n = _flood(work, p, w, mark, queue, meta, 0)
    libs = _liberties(work, queue, 0, n, w, mark, meta, found, 2)
    if libs == 0:
        _undo(work, log, meta, top)
        return -2
    if captured == 1 and n == 1 and libs == 1:
        return last
    return -1


@njit(cache=True, nogil=True)
def _open_frame(
    work: np.ndarray,
    target: int,
    defender_moves: bool,
    ko: int,
    w: int,
    mark: np.ndarray,
    queue: np.ndarray,
    meta: np.ndarray,
    frames: np.ndarray,
    moves: np.ndarray,
    found: np.ndarray,
    d: int,
) -> int:
    """Open search frame ``d``: list the moves of the player to move in ``moves[d]``.

    The defender's moves are its chain's liberty and the liberty of each adjacent
    attacking chain in atari; the attacker's are the chain's two liberties.

    Returns:
        -1 if the frame has moves to try, else its result at once: 1 captured, 0 not
        (also 0 once the node budget is spent, which ``meta[_NODES]`` then shows).
        Modifies ``frames[d]``, ``moves[d]``, ``found`` and the flood scratch.
    """
    meta[_NODES] += 1
    if meta[_NODES] > meta[_MAX_NODES] or d >= frames.shape[0]:
        meta[_NODES] = meta[_MAX_NODES] + 1
        return 0
    frames[d, _F_DEFENDER] = 1 if defender_moves else 0
    frames[d, _F_KO] = ko
    frames[d, _F_NEXT] = 0
    frames[d, _F_TOP] = meta[_TOP]
    n = _flood(work, target, w, mark, queue, meta, 0)
    row = moves[d]
    count = _liberties(work, queue, 0, n, w, mark, meta, row, 3)
    if not defender_moves:
        if count != 2:
            return 1 if count < 2 else 0
        frames[d, _F_COUNT] = 2
        return -1
    if count != 1:
        return 1 if count == 0 else 0
    attacker = 3 - work[target]
    stones = queue[:n].copy()
    k = 1
    for i in range(n):
        q = stones[i]
        for nb in (q - w, q - 1, q + 1, q + w):
            if work[nb] != attacker:
                continue
            m = _flood(work, nb, w, mark, queue, meta, 0)
            if _liberties(work, queue, 0, m, w, mark, meta, found, 2) != 1:
                continue
            fresh = True
            for j in range(k):
                if row[j] == found[0]:
                    fresh = False
            if fresh:
                if k == row.shape[0]:  # more escapes than room: give the read up
                    meta[_NODES] = meta[_MAX_NODES] + 1
                    return 0
                row[k] = found[0]
                k += 1
    frames[d, _F_COUNT] = k
    return -1


@njit(cache=True, nogil=True)
def _read_ladder(
    work: np.ndarray,
    target: int,
    defender_first: bool,
    ko: int,
    w: int,
    mark: np.ndarray,
    queue: np.ndarray,
    log: np.ndarray,
    meta: np.ndarray,
    frames: np.ndarray,
    moves: np.ndarray,
    found: np.ndarray,
) -> bool:
    """Return True if the chain through ``target`` is captured in a ladder.

    ``defender_first``: the chain's owner moves first and the chain has one liberty;
    otherwise the attacker moves first and the chain has two.  ``ko`` is the point
    the first player may not take back (-1: none).  A depth-first search with an
    explicit stack of frames (``frames[d]``: defender or attacker to move, ko point,
    next move, move count, undo-log length; ``moves[d]``: the moves), not recursion,
    so that numba can cache it.  A read that spends ``meta[_MAX_NODES]`` nodes
    answers False.  Modifies the scratch arrays; ``work`` ends as it started.
    """
    defender = work[target]
    d = 0
    result = _open_frame(
        work, target, defender_first, ko, w, mark, queue, meta, frames, moves, found, 0
    )
    while True:
        if result >= 0:  # frame d is decided: hand its result to the frame below
            if d == 0:
                break
            d -= 1
            _undo(work, log, meta, frames[d, _F_TOP])
            if frames[d, _F_DEFENDER] == 1:
                # the escape is refuted if the attack after it works; otherwise it escapes
                result = -1 if result == 1 else 0
            else:
                result = 1 if result == 1 else -1
            continue
        if frames[d, _F_NEXT] >= frames[d, _F_COUNT]:
            # no move left: every escape failed (captured) / every attack failed
            result = 1 if frames[d, _F_DEFENDER] == 1 else 0
            continue
        move = moves[d, frames[d, _F_NEXT]]
        frames[d, _F_NEXT] += 1
        if move == frames[d, _F_KO]:
            continue
        defends = frames[d, _F_DEFENDER] == 1
        new_ko = _play_on_scratch(
            work, move, defender if defends else 3 - defender, w, mark, queue, log, meta
        )
        if new_ko == -2:
            continue
        if defends:
            n = _flood(work, target, w, mark, queue, meta, 0)
            after = _liberties(work, queue, 0, n, w, mark, meta, found, 3)
            if after != 2:
                _undo(work, log, meta, frames[d, _F_TOP])
                if after >= 3:
                    result = 0  # escaped
                continue
        d += 1
        result = _open_frame(
            work, target, not defends, new_ko, w, mark, queue, meta, frames, moves, found, d
        )
    return result == 1 and meta[_NODES] <= meta[_MAX_NODES]


@njit(cache=True, nogil=True)
def fill_ladder_planes(
    color: np.ndarray, to_move: int, ko: int, first: int, max_nodes: int, out: np.ndarray
) -> None:
    """Fill 3 ladder planes: own stones captured in a ladder, the opponent's, working moves.

    A stone is marked when its chain is captured in a ladder (module docstring): with
    one liberty even if its owner moves first, with two if the attacker moves first.
    The third plane marks the liberties of opponent chains with two liberties where
    the side to move starts a ladder that captures them.

    Args:
        color: int8 (W*W,), padded colours of the position (not modified).
        to_move: BLACK or WHITE.
        ko: padded simple-ko point the side to move may not retake, -1 for none.
        first: index of the first of the 3 planes in ``out``.
        max_nodes: search nodes per chain (``LADDER_NODES``).
        out: float32 (C, N, N); planes ``first .. first + 2`` are overwritten.
    """
    n = out.shape[1]
    w = n + 2
    for k in range(LADDER_PLANES):
        for row in range(n):
            for col in range(n):
                out[first + k, row, col] = 0.0
    work = color.copy()
    total = work.shape[0]
    mark = np.zeros(total, dtype=np.int64)
    queue = np.empty(total, dtype=np.int32)
    log = np.empty((2, 4 * total), dtype=np.int32)
    meta = np.zeros(4, dtype=np.int64)
    meta[_MAX_NODES] = max_nodes
    frames = np.empty((max_nodes + 1, 5), dtype=np.int64)
    moves = np.empty((max_nodes + 1, _LADDER_MOVES), dtype=np.int32)
    found = np.empty(2, dtype=np.int32)
    seen = np.zeros(total, dtype=np.bool_)
    libs = np.empty(2, dtype=np.int32)
    for p in range(total):
        c = work[p]
        if (c != BLACK and c != WHITE) or seen[p]:
            continue
        size = _flood(work, p, w, mark, queue, meta, 0)
        stones = queue[:size].copy()
        for i in range(size):
            seen[stones[i]] = True
        count = _liberties(work, queue, 0, size, w, mark, meta, libs, 3)
        if count > 2:
            continue
        captured = False
        if count == 1:
            meta[_NODES] = 0
            own_ko = ko if c == to_move else -1
            captured = _read_ladder(
                work, p, True, own_ko, w, mark, queue, log, meta, frames, moves, found
            )
        elif c == to_move:
            meta[_NODES] = 0
            captured = _read_ladder(
                work, p, False, -1, w, mark, queue, log, meta, frames, moves, found
            )
        else:
            # the side to move attacks: try each liberty, marking the ones that work
            options = libs.copy()
            for k in range(2):
                move = options[k]
                if move == ko:
                    continue
                meta[_NODES] = 0
                top = meta[_TOP]
                new_ko = _play_on_scratch(work, move, to_move, w, mark, queue, log, meta)
                if new_ko == -2:
                    continue
                works = _read_ladder(
                    work, p, True, new_ko, w, mark, queue, log, meta, frames, moves, found
                )
                _undo(work, log, meta, top)
                if works:
                    captured = True
                    out[first + 2, move // w - 1, move % w - 1] = 1.0
        if captured:
            plane = first if c == to_move else first + 1
            for i in range(size):
                q = stones[i]
                out[plane, q // w - 1, q % w - 1] = 1.0
