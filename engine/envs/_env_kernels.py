"""numba kernels of the reinforcement-learning environments: one call per step.

An environment is the rules board of ``engine._board_kernels`` (a ``BoardArrays``)
plus an ``EnvArrays``: the superko history, the stack of recent positions that the
feature planes read, the moves so far, the observation and legal-mask buffers and a
few counters.  ``step_env`` plays the agent's action (legality including positional
superko), lets the built-in random opponent reply if asked, pushes each new position
onto the history stack, detects the end of the game and fills the observation and
the legal mask, all in one call from Python.

Nothing here is a second rules implementation: moves are checked and played by
``_board_kernels.full_status`` / ``move_status`` / ``play_stone`` / ``play_pass``,
the superko history is kept by ``_feature_kernels._remember`` exactly as
``engine.board.Board`` keeps it (the start position and the position after every
stone move), and the planes are filled by ``_feature_kernels.fill_features``.  The
tests replay every step on ``engine.game.Game`` and compare.

Two things trade clarity for speed, openly (STYLE.md): ``legal_mask`` gives the
same mask as ``_board_kernels.legal_mask`` about 10x faster.  Every call of a kernel
that takes the board's named tuple makes numba count references on each of its nine
arrays, which costs more than the check itself, and that kernel makes three such
calls per point.  So (1) the leaf kernels ``move_status`` and ``_in_sorted`` are
compiled a second time from their own Python source with ``inline="always"`` (the
same code, inlined into the loop, no reference counting), and (2) the hash after a
move that captures nothing and cannot be a suicide is the current hash xor the
stone's key, so ``hash_after`` is called only for the few moves that capture.  The
tests compare the two masks on many positions.

Start reading at ``step_env``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from engine import _board_kernels as K
from engine import _feature_kernels as FK

# meta slots of EnvArrays
E_HASHES = 0  # number of hashes in use in ``hashes``
E_PLIES = 1  # moves played so far (passes included)
E_MAX_PLIES = 2  # the game ends, scored, after this many moves
E_SUICIDE = 3  # 1 if the rules allow suicide
E_SUPERKO = 4  # 1 if positional superko is enforced
E_END = 5  # END_* code: why the game is over, or NOT_OVER
E_REASON = 6  # status code (K.OCCUPIED ...) of the last refused action, else K.LEGAL
E_REPLY = 7  # the built-in opponent's reply of the last step, -1 if none
E_LEN = 8

# E_END codes
NOT_OVER = 0
END_PASSES = 1  # two passes in a row
END_MOVE_CAP = 2  # E_MAX_PLIES moves played
END_ILLEGAL = 3  # an illegal action was refused (the board is unchanged)

# reply codes of step_env
REPLY_NONE = 0
REPLY_RANDOM = 1

# observer code of step_env: observe for the colour to move after the step
SIDE_TO_MOVE = 0

# the leaf rules kernels, inlined where they are called (see the module docstring)
_move_status = njit(inline="always")(K.move_status.py_func)
_in_sorted = njit(inline="always")(K._in_sorted.py_func)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


class EnvArrays(NamedTuple):
    """What an environment keeps besides its board (``BoardArrays``).

    hashes:    uint64[max_plies + 1]  sorted positional hashes of the positions so far
                                      (first ``meta[E_HASHES]`` slots), for superko
    stack:     int8[T, W*W]           padded colours of the last T positions, newest first
    moves:     int64[max_plies]       flat actions played (first ``meta[E_PLIES]`` slots)
    liberties: int32[W*W]             scratch: chain liberties per stone (liberty planes)
    legal:     bool[N*N+1]            legal actions of the observed colour
    obs:       float32[C, N, N]       observation planes of the observed colour
    layout:    int64[LAYOUT_LEN]      plane layout (``FeatureConfig.layout``)
    meta:      int64[E_LEN]           counters and rule options (``E_*`` slots)
    rng:       uint64[1]              state of the built-in random opponent (splitmix64)
    """

    hashes: np.ndarray
    stack: np.ndarray
    moves: np.ndarray
    liberties: np.ndarray
    legal: np.ndarray
    obs: np.ndarray
    layout: np.ndarray
    meta: np.ndarray
    rng: np.ndarray


def new_env_arrays(
    size: int,
    layout: np.ndarray,
    num_planes: int,
    max_plies: int,
    allow_suicide: bool,
    superko: bool,
) -> EnvArrays:
    """Return the arrays of an environment before its first ``reset_env``.

    Args:
        size: board size N.
        layout: int64 plane layout (``FeatureConfig.layout()``).
        num_planes: C, the number of planes of that layout.
        max_plies: moves after which the game ends (and is scored).
        allow_suicide: rules option.
        superko: rules option (positional superko).
    """
    width = size + 2
    meta = np.zeros(E_LEN, dtype=np.int64)
    meta[E_MAX_PLIES] = max_plies
    meta[E_SUICIDE] = int(allow_suicide)
    meta[E_SUPERKO] = int(superko)
    meta[E_REPLY] = -1
    return EnvArrays(
        hashes=np.zeros(max_plies + 1, dtype=np.uint64),
        stack=np.zeros((max(int(layout[FK.L_HISTORY]), 1), width * width), dtype=np.int8),
        moves=np.full(max_plies, -1, dtype=np.int64),
        liberties=np.zeros(width * width, dtype=np.int32),
        legal=np.zeros(size * size + 1, dtype=np.bool_),
        obs=np.zeros((num_planes, size, size), dtype=np.float32),
        layout=layout.astype(np.int64),
        meta=meta,
        rng=np.zeros(1, dtype=np.uint64),
    )


@njit(cache=True, nogil=True)
def reset_env(b: K.BoardArrays, s: EnvArrays, seed: np.uint64) -> None:
    """Start a game on the empty board ``b`` (from ``K.new_board``).

    Modifies ``s``: the history holds the empty position only, no moves, the random
    generator is seeded with ``seed``.  Does not observe (call ``observe``).
    """
    s.hashes[0] = b.key[0]
    s.meta[E_HASHES] = 1
    s.meta[E_PLIES] = 0
    s.meta[E_END] = NOT_OVER
    s.meta[E_REASON] = K.LEGAL
    s.meta[E_REPLY] = -1
    s.stack[:, :] = 0
    s.stack[0, :] = b.color
    s.moves[:] = -1
    s.rng[0] = seed


@njit(cache=True, nogil=True)
def next_random(rng: np.ndarray) -> np.uint64:
    """Return the next 64 random bits of a splitmix64 generator.  Modifies ``rng[0]``."""
    x = rng[0] + _GOLDEN
    rng[0] = x
    x = (x ^ (x >> np.uint64(30))) * _MIX_1
    x = (x ^ (x >> np.uint64(27))) * _MIX_2
    return x ^ (x >> np.uint64(31))


@njit(cache=True, nogil=True)
def play(b: K.BoardArrays, s: EnvArrays, action: int) -> int:
    """Play flat ``action`` for the colour to move, if the rules allow it.

    A legal move modifies ``b`` (through ``K.play_stone`` / ``K.play_pass``) and
    ``s``: the position's hash joins the superko history (stone moves only, as in
    ``Board.play``), the position is pushed onto the stack, the move is recorded and
    ``meta[E_END]`` is set when two passes or the move cap end the game.  An illegal
    action leaves the board as it is and sets ``meta[E_END] = END_ILLEGAL`` and
    ``meta[E_REASON]``.

    Returns:
        K.LEGAL, or the reason of the refusal (K.OCCUPIED, K.SUICIDE, K.KO,
        K.SUPERKO, K.OFF_BOARD).
    """
    n = b.meta[K.M_SIZE]
    w = b.meta[K.M_WIDTH]
    if action < 0 or action > n * n:
        s.meta[E_END] = END_ILLEGAL
        s.meta[E_REASON] = K.OFF_BOARD
        return K.OFF_BOARD
    if action == n * n:
        K.play_pass(b)
    else:
        p = (action // n + 1) * w + action % n + 1
        n_hashes = s.meta[E_HASHES] if s.meta[E_SUPERKO] != 0 else 0
        status = K.full_status(
            b, p, b.meta[K.M_TO_MOVE], s.meta[E_SUICIDE] != 0, s.hashes, n_hashes
        )
        if status != K.LEGAL:
            s.meta[E_END] = END_ILLEGAL
            s.meta[E_REASON] = status
            return status
        K.play_stone(b, p, b.meta[K.M_TO_MOVE])
        s.meta[E_HASHES] = FK._remember(s.hashes, s.meta[E_HASHES], b.key[0])
    stack = s.stack
    for t in range(stack.shape[0] - 1, 0, -1):
        stack[t, :] = stack[t - 1, :]
    stack[0, :] = b.color
    plies = s.meta[E_PLIES]
    s.moves[plies] = action
    s.meta[E_PLIES] = plies + 1
    if b.meta[K.M_PASSES] >= 2:
        s.meta[E_END] = END_PASSES
    elif plies + 1 >= s.meta[E_MAX_PLIES]:
        s.meta[E_END] = END_MOVE_CAP
    return K.LEGAL


@njit(cache=True, nogil=True)
def legal_mask(
    b: K.BoardArrays,
    c: int,
    allow_suicide: bool,
    hashes: np.ndarray,
    n_hashes: int,
    out: np.ndarray,
) -> None:
    """Fill ``out`` (bool[N*N+1]) with the legal moves of ``c``, as ``K.legal_mask`` does.

    ``hashes`` holds the sorted hashes of earlier positions in its first
    ``n_hashes`` slots (0: no superko check).  Pass is always legal.  Three passes
    over the board (see the module docstring): occupied / suicide / ko by the
    inlined ``move_status``; then superko for the moves that only add a stone; then
    superko through ``K.hash_after`` for the few moves that capture (or may be
    suicides).  Keeping the loops apart keeps numba's reference counting out of
    them.  Modifies ``out`` only.
    """
    n = b.meta[K.M_SIZE]
    w = b.meta[K.M_WIDTH]
    for row in range(n):
        for col in range(n):
            p = (row + 1) * w + col + 1
            out[row * n + col] = _move_status(b, p, c, allow_suicide) == K.LEGAL
    out[n * n] = True
    if n_hashes == 0:
        return
    color = b.color
    head = b.head
    libs = b.libs
    zobrist = b.zobrist
    key = b.key[0]
    o = 3 - c
    others = np.empty(n * n, dtype=np.int64)
    n_others = 0
    for a in range(n * n):
        if not out[a]:
            continue
        p = (a // n + 1) * w + a % n + 1
        simple = True
        for q in (p - w, p - 1, p + 1, p + w):
            cq = color[q]
            if cq == o and libs[head[q]] == 1:
                simple = False  # captures
        if simple and allow_suicide and _may_be_suicide(color, p, w):
            simple = False
        if simple:
            if _in_sorted(hashes, n_hashes, key ^ zobrist[c, p]):
                out[a] = False
        else:
            others[n_others] = a
            n_others += 1
    for i in range(n_others):
        a = others[i]
        p = (a // n + 1) * w + a % n + 1
        if _in_sorted(hashes, n_hashes, K.hash_after(b, p, c)):
            out[a] = False


@njit(cache=True, nogil=True, inline="always")
def _may_be_suicide(color: np.ndarray, p: int, w: int) -> bool:
    """Return True if padded ``p`` has no empty neighbour (only then can it be suicide)."""
    for q in (p - w, p - 1, p + 1, p + w):
        if color[q] == K.EMPTY:
            return False
    return True


@njit(cache=True, nogil=True)
def observe(b: K.BoardArrays, s: EnvArrays, color: int) -> None:
    """Fill ``s.legal`` and ``s.obs`` as seen by ``color`` (BLACK or WHITE).

    The legal mask is ``color``'s (superko included, pass always legal) and the
    planes put ``color``'s stones first (``X_t``) with ``C`` telling whether
    ``color`` is black.  Modifies ``s.legal``, ``s.obs`` and ``s.liberties`` (and
    the board's scratch marks).
    """
    n_hashes = s.meta[E_HASHES] if s.meta[E_SUPERKO] != 0 else 0
    legal_mask(b, color, s.meta[E_SUICIDE] != 0, s.hashes, n_hashes, s.legal)
    if s.layout[FK.L_LIBERTIES] >= 0:
        FK.point_liberties(b.color, b.head, b.libs, s.liberties)
    ko = b.meta[K.M_KO] if color == b.meta[K.M_TO_MOVE] else -1
    FK.fill_features(s.stack, color, s.liberties, ko, s.legal, s.layout, s.obs)


@njit(cache=True, nogil=True)
def random_reply(b: K.BoardArrays, s: EnvArrays) -> int:
    """Return the built-in random opponent's move for the colour to move.

    Uniform among the legal moves that do not fill one of its own one-point eyes
    (all four neighbours its stones or the edge), as ``engine.random_player``
    plays; pass when there is none.  Draws empty points in random order until one
    qualifies (uniform over the qualifying ones, with few legality checks).  Uses
    ``s.liberties`` as scratch and advances ``s.rng``.
    """
    n = b.meta[K.M_SIZE]
    w = b.meta[K.M_WIDTH]
    c = b.meta[K.M_TO_MOVE]
    allow_suicide = s.meta[E_SUICIDE] != 0
    n_hashes = s.meta[E_HASHES] if s.meta[E_SUPERKO] != 0 else 0
    points = s.liberties
    count = 0
    for row in range(n):
        for col in range(n):
            p = (row + 1) * w + col + 1
            if b.color[p] == K.EMPTY:
                points[count] = p
                count += 1
    while count > 0:
        i = np.int64(next_random(s.rng) >> np.uint64(11)) % count
        p = points[i]
        if not _fills_own_eye(b.color, p, w, c) and (
            K.full_status(b, p, c, allow_suicide, s.hashes, n_hashes) == K.LEGAL
        ):
            return (p // w - 1) * n + p % w - 1
        count -= 1
        points[i] = points[count]
    return n * n


@njit(cache=True, nogil=True)
def _fills_own_eye(color: np.ndarray, p: int, w: int, c: int) -> bool:
    """Return True if every neighbour of padded ``p`` is a ``c`` stone or the edge."""
    for q in (p - w, p - 1, p + 1, p + w):
        if color[q] != c and color[q] != K.WALL:
            return False
    return True


@njit(cache=True, nogil=True)
def step_env(b: K.BoardArrays, s: EnvArrays, action: int, reply: int, observer: int) -> int:
    """Play one environment step and observe the result.

    Plays ``action`` for the colour to move; if it was legal, the game goes on and
    ``reply`` is REPLY_RANDOM, the built-in random opponent answers (its move is left
    in ``meta[E_REPLY]``, -1 when it did not move).  Then ``s.obs`` and ``s.legal``
    are filled for ``observer`` (BLACK, WHITE, or SIDE_TO_MOVE for the colour to move
    after the step), also when the game is over or the action was refused.

    Modifies ``b`` and ``s`` (see ``play`` and ``observe``).

    Returns:
        ``meta[E_END]``: NOT_OVER, END_PASSES, END_MOVE_CAP or END_ILLEGAL.
    """
    s.meta[E_REPLY] = -1
    if play(b, s, action) == K.LEGAL and s.meta[E_END] == NOT_OVER and reply == REPLY_RANDOM:
        answer = random_reply(b, s)
        play(b, s, answer)
        s.meta[E_REPLY] = answer
    observe(b, s, b.meta[K.M_TO_MOVE] if observer == SIDE_TO_MOVE else observer)
    return s.meta[E_END]


@njit(cache=True, nogil=True)
def area_score(b: K.BoardArrays, komi: float) -> float:
    """Return black's Tromp-Taylor area minus white's minus ``komi`` (as ``Board.area_score``)."""
    black, white = K.area_counts(b.color, b.meta[K.M_SIZE])
    return float(black - white) - komi
