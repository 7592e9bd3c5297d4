"""Own true eyes, read from the input planes: the baselines' one piece of Go knowledge.

Filling one's own true eye is almost never a good move in Go, and a policy that
learns from outcomes alone spends most of its early games learning that: once the
random player has nothing left but its eyes it passes, and a young policy keeps
playing inside its own territory until its groups die.  Go programs without a
search have long ruled these moves out by hand: the rollout policies of MoGo,
Fuego, Pachi and AlphaGo never fill their own eyes, and ``engine.random_player``
(like the environment's random opponent) refuses the simplest kind.  The baselines
do the same by default (``GameSpec.mask_own_eyes``, the ``mask_eyes`` field of the
PG and DQN configs): such moves are removed from the legal mask that the policy
sees, samples from and is trained on.  Pass always stays legal, and no reward
changes (the outcome is still +-1 at the end).

A point is an own *true eye* of the side to move when

* it is empty;
* each of its four neighbours is an own stone or the edge;
* counting the diagonal points held by the opponent, plus one if the point is on
  the edge (some diagonal is off the board), gives less than 2

(the "eye-like, not false" test of Fuego and Pachi: a centre eye survives one
opponent diagonal, an edge or corner eye none).

The planes are those of ``engine.features``: plane 0 holds the side to move's
stones (``X_0``), plane 1 the opponent's (``Y_0``), whatever the rest of the
``FeatureConfig``.  Start reading at ``own_true_eyes``.
"""

from __future__ import annotations

import numpy as np


def own_true_eyes(obs: np.ndarray) -> np.ndarray:
    """Return where the side to move would fill one of its own true eyes.

    Args:
        obs: float32 (B, C, N, N) planes of the side to move, C >= 2 (plane 0 its
            stones, plane 1 the opponent's; ``[plane, row, col]``).

    Returns:
        bool (B, N*N + 1), True at the flat actions that fill an own true eye
        (see the module docstring); pass (the last column) is always False.

    Raises:
        ValueError: if ``obs`` is not (B, C, N, N) with C >= 2 and square boards.
    """
    if obs.ndim != 4 or obs.shape[1] < 2 or obs.shape[2] != obs.shape[3]:
        raise ValueError(f"obs must be (B, C >= 2, N, N) planes, not {obs.shape}")
    count, size = obs.shape[0], obs.shape[2]
    own = obs[:, 0] > 0.5
    opp = obs[:, 1] > 0.5
    pad = ((0, 0), (1, 1), (1, 1))
    own_or_wall = np.pad(own, pad, constant_values=True)
    opp_padded = np.pad(opp, pad, constant_values=False).astype(np.int8)
    inner = slice(1, size + 1)
    enclosed = (
        own_or_wall[:, :-2, inner]
        & own_or_wall[:, 2:, inner]
        & own_or_wall[:, inner, :-2]
        & own_or_wall[:, inner, 2:]
    )
    bad_diagonals = (
        opp_padded[:, :-2, :-2]
        + opp_padded[:, :-2, 2:]
        + opp_padded[:, 2:, :-2]
        + opp_padded[:, 2:, 2:]
        + _edge(size)
    )
    eyes = enclosed & ~own & ~opp & (bad_diagonals < 2)
    out = np.zeros((count, size * size + 1), dtype=bool)
    out[:, :-1] = eyes.reshape(count, size * size)
    return out


def mask_own_eyes(legal: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """Return ``legal`` without the moves that fill an own true eye (a new array).

    Args:
        legal: bool (B, N*N + 1) legal actions of the side to move.
        obs: float32 (B, C, N, N) its planes (see ``own_true_eyes``).

    Returns:
        bool (B, N*N + 1); pass keeps its value (always legal in zerogo).

    Raises:
        ValueError: if the shapes do not match.
    """
    eyes = own_true_eyes(obs)
    if legal.shape != eyes.shape:
        raise ValueError(f"legal masks {legal.shape} do not fit planes {obs.shape}")
    return legal & ~eyes


def _edge(size: int) -> np.ndarray:
    """Return int8 (N, N): 1 on the edge of the board, 0 inside."""
    edge = np.ones((size, size), dtype=np.int8)
    edge[1:-1, 1:-1] = 0
    return edge


__all__ = ["mask_own_eyes", "own_true_eyes"]
