"""A naive recursive ladder reader: the oracle for the ladder planes of ``engine.features``.

Positions are tuples of ``N*N`` ints indexed by flat action (row 0 at the bottom), as
in ``tests.engine.naive_board``, whose flood fills it uses; every move builds a new
tuple, and the reading is plain recursion, with no node budget.  It shares no code
with ``engine._feature_kernels``.

The definition it reads (the same words as the kernel's docstring, written again):

* a chain with one liberty is *captured* when every move of its owner, moving first,
  fails: extending at the liberty or capturing an adjacent enemy chain that has one
  liberty; a move fails when it is illegal (suicide, or retaking a ko), when the
  chain then has at most one liberty, or when it has two and is captured with the
  attacker moving first.  A move that gives the chain three or more liberties escapes;
* a chain with two liberties is *captured* (attacker moving first) when the attacker
  can play one of them, legally, after which the chain is captured with its owner
  moving first.

Start reading at ``ladder_planes``.
"""

from __future__ import annotations

import numpy as np

from tests.engine.naive_board import EMPTY, flood, liberties, neighbours

Stones = tuple[int, ...]


def _play(stones: Stones, size: int, action: int, colour: int) -> Stones | None:
    """Return the stones after ``colour`` plays at empty ``action``, or None for suicide."""
    after = list(stones)
    after[action] = colour
    for n in neighbours(action, size):
        if after[n] == 3 - colour and not liberties(after, n, size):
            for q in flood(after, n, size)[0]:
                after[q] = EMPTY
    if not liberties(after, action, size):
        return None
    return tuple(after)


def _guard(before: Stones, after: Stones) -> Stones | None:
    """Return the position the next player may not recreate (simple ko), if the move captured."""
    captured = any(b != EMPTY and a == EMPTY for a, b in zip(after, before, strict=True))
    return before if captured else None


def captured(
    stones: Stones, size: int, target: int, defender_first: bool, guard: Stones | None = None
) -> bool:
    """Return whether the chain at ``target`` is captured in a ladder (module docstring).

    Args:
        stones: the position.
        size: N.
        target: a stone of the chain.
        defender_first: its owner moves first (the chain has one liberty), else the
            attacker does (two liberties).
        guard: a position the first player may not recreate (ko), or None.
    """
    libs = liberties(stones, target, size)
    defender = stones[target]
    attacker = 3 - defender
    if not defender_first:
        if len(libs) != 2:
            return len(libs) < 2
        for move in sorted(libs):
            after = _play(stones, size, move, attacker)
            if after is None or after == guard:
                continue
            if captured(after, size, target, True, _guard(stones, after)):
                return True
        return False
    if len(libs) != 1:
        return len(libs) == 0
    escapes = set(libs)
    chain, border = flood(stones, target, size)
    for p in border:
        if stones[p] == attacker:
            enemy = liberties(stones, p, size)
            if len(enemy) == 1:
                escapes |= enemy
    for move in sorted(escapes):
        after = _play(stones, size, move, defender)
        if after is None or after == guard:
            continue
        count = len(liberties(after, target, size))
        if count >= 3:
            return False
        if count == 2 and not captured(after, size, target, False, _guard(stones, after)):
            return False
    return True


def ladder_planes(stones: Stones, size: int, to_move: int, ko: int | None = None) -> np.ndarray:
    """Return float32 (3, N, N): own laddered stones, the opponent's, working ladder moves.

    Args:
        stones: the position.
        size: N.
        to_move: BLACK or WHITE.
        ko: flat action the side to move may not play (simple ko), or None.
    """
    out = np.zeros((3, size * size), dtype=np.float32)
    done: set[int] = set()
    for p in range(size * size):
        colour = stones[p]
        if colour == EMPTY or p in done:
            continue
        chain, _ = flood(stones, p, size)
        done |= chain
        libs = liberties(stones, p, size)
        taken = False
        if len(libs) == 1:
            # the owner moves first; the position's ko binds it only if it is to move
            guard = _ko_guard(stones, size, ko) if colour == to_move else None
            taken = captured(stones, size, p, True, guard)
        elif len(libs) == 2 and colour == to_move:
            taken = captured(stones, size, p, False)
        elif len(libs) == 2:
            for move in sorted(libs):
                if move == ko:
                    continue
                after = _play(stones, size, move, to_move)
                if after is not None and captured(after, size, p, True, _guard(stones, after)):
                    taken = True
                    out[2, move] = 1.0
        if taken:
            for q in chain:
                out[0 if colour == to_move else 1, q] = 1.0
    return out.reshape(3, size, size)


def _ko_guard(stones: Stones, size: int, ko: int | None) -> Stones | None:
    """Return the position that retaking at ``ko`` would recreate (its captured stone back)."""
    if ko is None:
        return None
    # the stone that took the ko is the one neighbour of ``ko`` left with it as sole liberty
    for n in neighbours(ko, size):
        if stones[n] != EMPTY and liberties(stones, n, size) == {ko}:
            after = list(stones)
            after[ko] = 3 - stones[n]
            after[n] = EMPTY
            return tuple(after)
    return None
