"""The 8 symmetries of the square board (the dihedral group D4).

A position, its search policy and its ownership map stay a consistent training
example under any of the 8 rotations and reflections of the board, and averaging a
network over them (or picking one at random per evaluation) removes its bias towards
one orientation — as in the AlphaGo Zero paper.

Symmetry ``k`` (0 .. 7, 0 = identity) maps point ``(row, col)`` of an ``N x N``
board (row 0 at the bottom, ``engine.coords``) as follows: if ``k >= 4`` first mirror
left-right, ``col -> N - 1 - col``; then turn ``k % 4`` quarter turns
counter-clockwise as the board is drawn (A1 at the bottom left), each turn being
``(row, col) -> (col, N - 1 - row)``.  So 1, 2, 3 are quarter, half and
three-quarter turns, 4 is the left-right mirror, 6 the top-bottom mirror and 5, 7
the two diagonal mirrors.

Everything is a gather through a per-size index table, so the functions work on
numpy batches of any leading shape and always return new C-contiguous arrays:

* ``apply_planes(x, k)``: ``(..., N, N)`` feature planes (any dtype);
* ``apply_ownership(x, k)``: ``(..., N, N)`` ownership maps;
* ``apply_policy(p, k)``: ``(..., N*N + 1)`` policies, pass stays pass;
* ``apply_action(a, k, size)``: one flat action;
* ``apply_planes_each`` / ``apply_policy_each``: a different symmetry per batch
  item (training augmentation).

To evaluate a network under symmetry ``k``: feed ``apply_planes(x, k)`` and map the
returned policy back with ``apply_policy(p, inverse(k))``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

NUM_SYMMETRIES = 8
IDENTITY = 0


def _check_k(k: int) -> None:
    if not 0 <= k < NUM_SYMMETRIES:
        raise ValueError(f"symmetry must be in 0 .. {NUM_SYMMETRIES - 1}, not {k}")


@lru_cache(maxsize=32)
def _tables(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (dest, src), int64 (8, N*N+1): where action ``a`` goes, and where it comes from.

    ``dest[k, a]`` is the image of action ``a`` under symmetry ``k``; ``src[k]`` is
    its inverse permutation, so ``y = x[src[k]]`` moves the value at ``a`` to
    ``dest[k, a]``.  Pass (``N*N``) maps to itself.  The arrays are read-only.
    """
    if size < 1:
        raise ValueError(f"board size must be positive, not {size}")
    points = size * size
    rows, cols = np.divmod(np.arange(points, dtype=np.int64), size)
    dest = np.empty((NUM_SYMMETRIES, points + 1), dtype=np.int64)
    src = np.empty_like(dest)
    for k in range(NUM_SYMMETRIES):
        r, c = rows, cols
        if k >= 4:
            c = size - 1 - c
        for _ in range(k % 4):
            r, c = c, size - 1 - r
        dest[k, :points] = r * size + c
        dest[k, points] = points
        src[k, dest[k]] = np.arange(points + 1)
    dest.flags.writeable = False
    src.flags.writeable = False
    return dest, src


@lru_cache(maxsize=1)
def _group() -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """Return (inverse table, composition table), worked out on a 3x3 board.

    D4 acts faithfully on the corners of a square, so the action tables of a 3x3
    board tell the 8 symmetries apart.
    """
    dest, _ = _tables(3)
    index = {tuple(row): k for k, row in enumerate(dest)}
    compose = tuple(
        tuple(index[tuple(dest[a][dest[b]])] for b in range(NUM_SYMMETRIES))
        for a in range(NUM_SYMMETRIES)
    )
    inverse = tuple(row.index(IDENTITY) for row in compose)
    return inverse, compose


def inverse(k: int) -> int:
    """Return the symmetry that undoes symmetry ``k``.

    Raises:
        ValueError: if ``k`` is not in 0 .. 7.
    """
    _check_k(k)
    return _group()[0][k]


def compose(a: int, b: int) -> int:
    """Return the symmetry equal to applying ``b`` first, then ``a``.

    Raises:
        ValueError: if ``a`` or ``b`` is not in 0 .. 7.
    """
    _check_k(a)
    _check_k(b)
    return _group()[1][a][b]


def action_table(k: int, size: int) -> np.ndarray:
    """Return int64 (N*N+1,): ``table[a]`` is the image of flat action ``a`` (read-only).

    Raises:
        ValueError: if ``k`` is not in 0 .. 7 or ``size`` is not positive.
    """
    _check_k(k)
    return _tables(size)[0][k]


def apply_action(action: int, k: int, size: int) -> int:
    """Return the image of flat ``action`` under symmetry ``k`` (pass stays pass).

    Raises:
        ValueError: if ``k`` is not in 0 .. 7 or ``action`` is not in 0 .. N*N.
    """
    if not 0 <= action <= size * size:
        raise ValueError(f"action {action} is out of range for a {size}x{size} board")
    return int(action_table(k, size)[action])


def apply_planes(planes: np.ndarray, k: int) -> np.ndarray:
    """Return ``planes`` (..., N, N) transformed by symmetry ``k``.

    Args:
        planes: any array whose last two axes are a square board ``[row, col]``.
        k: symmetry 0 .. 7.

    Returns:
        A new C-contiguous array of the same shape and dtype.

    Raises:
        ValueError: if ``k`` is out of range or the last two axes are not square.
    """
    _check_k(k)
    size = _board_size(planes)
    flat = planes.reshape(*planes.shape[:-2], size * size)
    src = _tables(size)[1][k, : size * size]
    return np.take(flat, src, axis=-1).reshape(planes.shape)


def apply_ownership(ownership: np.ndarray, k: int) -> np.ndarray:
    """Return an ownership map (..., N, N) transformed by symmetry ``k``.

    Raises:
        ValueError: if ``k`` is out of range or the last two axes are not square.
    """
    return apply_planes(ownership, k)


def apply_policy(policy: np.ndarray, k: int) -> np.ndarray:
    """Return policies (..., N*N+1) transformed by symmetry ``k``; pass stays last.

    The mass on action ``a`` moves to ``apply_action(a, k, N)``.

    Raises:
        ValueError: if ``k`` is out of range or the last axis is not ``N*N + 1`` long.
    """
    _check_k(k)
    size = _policy_size(policy)
    return np.take(policy, _tables(size)[1][k], axis=-1)


def apply_planes_each(planes: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """Return a batch (B, ..., N, N) with symmetry ``ks[i]`` applied to item ``i``.

    Raises:
        ValueError: if ``ks`` is not (B,) with values in 0 .. 7, or the board is not square.
    """
    size = _board_size(planes)
    ks = _check_each(ks, planes.shape[0] if planes.ndim > 2 else -1)
    flat = planes.reshape(planes.shape[0], -1, size * size)
    return _gather_each(flat, ks, _tables(size)[1][:, : size * size]).reshape(planes.shape)


def apply_policy_each(policy: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """Return a batch of policies (B, N*N+1) with symmetry ``ks[i]`` applied to row ``i``.

    Raises:
        ValueError: if ``ks`` is not (B,) with values in 0 .. 7, or ``policy`` is not
            (B, N*N+1).
    """
    if policy.ndim != 2:
        raise ValueError(f"expected policies of shape (B, N*N+1), not {policy.shape}")
    size = _policy_size(policy)
    ks = _check_each(ks, policy.shape[0])
    return _gather_each(policy, ks, _tables(size)[1])


def _gather_each(flat: np.ndarray, ks: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Return ``flat`` (B, ..., L) with row ``i`` gathered through ``src[ks[i]]`` on the last axis.

    Items are grouped by symmetry: 8 vectorised gathers, whatever the batch size.
    """
    out = np.empty(flat.shape, dtype=flat.dtype)
    for k in range(NUM_SYMMETRIES):
        items = np.flatnonzero(ks == k)
        if items.size:
            out[items] = np.take(flat[items], src[k], axis=-1)
    return out


def _board_size(planes: np.ndarray) -> int:
    if planes.ndim < 2 or planes.shape[-1] != planes.shape[-2] or planes.shape[-1] < 1:
        raise ValueError(f"expected (..., N, N) planes, not shape {planes.shape}")
    return int(planes.shape[-1])


def _policy_size(policy: np.ndarray) -> int:
    length = policy.shape[-1] if policy.ndim else 0
    size = int(round((length - 1) ** 0.5)) if length > 1 else 0
    if size < 1 or size * size + 1 != length:
        raise ValueError(f"expected (..., N*N+1) policies, not shape {policy.shape}")
    return size


def _check_each(ks: np.ndarray, batch: int) -> np.ndarray:
    ks = np.asarray(ks, dtype=np.int64)
    if batch < 0 or ks.shape != (batch,):
        raise ValueError(f"expected one symmetry per batch item, shape ({batch},), not {ks.shape}")
    if ks.size and (ks.min() < 0 or ks.max() >= NUM_SYMMETRIES):
        raise ValueError(f"symmetries must be in 0 .. {NUM_SYMMETRIES - 1}")
    return ks


__all__ = [
    "IDENTITY",
    "NUM_SYMMETRIES",
    "action_table",
    "apply_action",
    "apply_ownership",
    "apply_planes",
    "apply_planes_each",
    "apply_policy",
    "apply_policy_each",
    "compose",
    "inverse",
]
