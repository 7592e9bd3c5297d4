"""numba kernels of the pure-MCTS search: UCT with RAVE over heavy playouts.

Notation as in Gelly & Silver's RAVE (2007/2011): each node keeps its visits N and
wins W, its AMAF ("all moves as first") visits and wins, and prior virtual visits and
wins from move features.  A node's value for selection is

    Q      = (W + W_prior) / (N + N_prior)
    beta   = N_amaf / (N_amaf + N + N * N_amaf / rave_equiv)
    value  = (1 - beta) * Q + beta * W_amaf / N_amaf

and the child with the largest value is followed (the priors and AMAF statistics do
the exploring, as in MoGo and its descendants; no separate UCB term).

The tree lives in arrays indexed by node; the children of a node are contiguous:

    links int32 (3, capacity):   MOVE (padded point or PASS), FIRST (first child or -1),
                                 COUNT (number of children)
    stats float32 (6, capacity): VISITS, WINS, AMAF_VISITS, AMAF_WINS, PRIOR_VISITS,
                                 PRIOR_WINS
    tmeta int64 (4,):            nodes used, capacity, root node

WINS of a node count wins of the player who made the move leading to it.  Start
reading at ``simulate``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine._playout_kernels import (
    AMAF,
    ELIST,
    META,
    PASS,
    X_NEMPTY,
    X_PASSES,
    X_SIZE,
    X_TO_MOVE,
    pass_fast,
    play_fast,
    score_area,
)
from engine._policy_kernels import compute_priors, heavy_playout, is_true_eye, legal_here

MOVE = 0
FIRST = 1
COUNT = 2

VISITS = 0
WINS = 1
AMAF_VISITS = 2
AMAF_WINS = 3
PRIOR_VISITS = 4
PRIOR_WINS = 5

T_USED = 0
T_CAPACITY = 1
T_ROOT = 2

MAX_DEPTH = 1024

# search parameters, float64 array ``params``
P_KOMI = 0
P_EXPAND_VISITS = 1
P_RAVE_EQUIV = 2
P_TACTICAL = 3
P_PATTERN = 4
P_SELF_ATARI = 5
P_ROOT_NO_PASS = 6
N_PARAMS = 7


def new_tree(capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return empty (links, stats, tmeta) arrays holding one root node."""
    links = np.zeros((3, capacity), dtype=np.int32)
    stats = np.zeros((6, capacity), dtype=np.float32)
    tmeta = np.zeros(4, dtype=np.int64)
    reset_tree(links, stats, tmeta)
    return links, stats, tmeta


@njit(cache=True, nogil=True)
def reset_tree(links: np.ndarray, stats: np.ndarray, tmeta: np.ndarray) -> None:
    """Make the tree a single unexpanded root.  Modifies all three arrays."""
    tmeta[T_USED] = 1
    tmeta[T_CAPACITY] = links.shape[1]
    tmeta[T_ROOT] = 0
    links[MOVE, 0] = PASS
    links[FIRST, 0] = -1
    links[COUNT, 0] = 0
    for k in range(6):
        stats[k, 0] = 0.0


@njit(cache=True, nogil=True)
def expand(
    links: np.ndarray,
    stats: np.ndarray,
    tmeta: np.ndarray,
    node: int,
    s: np.ndarray,
    last: int,
    allowed: np.ndarray,
    use_allowed: bool,
    table: np.ndarray,
    prior: np.ndarray,
    scratch: np.ndarray,
    moves: np.ndarray,
    pv: np.ndarray,
    pw: np.ndarray,
) -> bool:
    """Create the children of ``node`` for the colour to move in ``s``.

    Children are the legal moves that do not fill the mover's own true eye (and, when
    ``use_allowed``, only points with ``allowed[p] != 0``, used for superko at the
    root), plus pass (left out when ``use_allowed`` and ``allowed[0] == 2``: point 0
    is a wall corner, so its slot carries that flag).  Returns False when the tree is
    full or there is no move.  Modifies the tree.
    """
    c = s[META, X_TO_MOVE]
    n_empty = s[META, X_NEMPTY]
    n = 0
    for i in range(n_empty):
        p = s[ELIST, i]
        if use_allowed and allowed[p] == 0:
            continue
        if legal_here(s, p, c) and not is_true_eye(s, p, c):
            moves[n] = p
            n += 1
    if not (use_allowed and allowed[0] == 2):
        moves[n] = PASS
        n += 1
    if n == 0:
        return False
    first = tmeta[T_USED]
    if first + n > tmeta[T_CAPACITY]:
        return False
    compute_priors(s, c, last, moves, n, table, prior, scratch, pv, pw)
    for k in range(n):
        child = first + k
        links[MOVE, child] = moves[k]
        links[FIRST, child] = -1
        links[COUNT, child] = 0
        stats[VISITS, child] = 0.0
        stats[WINS, child] = 0.0
        stats[AMAF_VISITS, child] = 0.0
        stats[AMAF_WINS, child] = 0.0
        stats[PRIOR_VISITS, child] = pv[k]
        stats[PRIOR_WINS, child] = pw[k]
    tmeta[T_USED] = first + n
    links[COUNT, node] = n
    links[FIRST, node] = first
    return True


@njit(cache=True, nogil=True)
def select_child(links: np.ndarray, stats: np.ndarray, node: int, rave_equiv: float) -> int:
    """Return the child of ``node`` with the largest RAVE value (see module docstring)."""
    first = links[FIRST, node]
    best = first
    best_value = -1.0
    for child in range(first, first + links[COUNT, node]):
        visits = np.float64(stats[VISITS, child]) + stats[PRIOR_VISITS, child]
        q = (np.float64(stats[WINS, child]) + stats[PRIOR_WINS, child]) / visits
        amaf = np.float64(stats[AMAF_VISITS, child])
        if amaf > 0.0:
            beta = amaf / (amaf + visits + visits * amaf / rave_equiv)
            value = (1.0 - beta) * q + beta * stats[AMAF_WINS, child] / amaf
        else:
            value = q
        if value > best_value:
            best_value = value
            best = child
    return best


@njit(cache=True, nogil=True)
def simulate(
    links: np.ndarray,
    stats: np.ndarray,
    tmeta: np.ndarray,
    root_state: np.ndarray,
    root_last: int,
    root_allowed: np.ndarray,
    s: np.ndarray,
    rng_in: np.uint64,
    params: np.ndarray,
    policy: np.ndarray,
    prior: np.ndarray,
    table: np.ndarray,
    scratch: np.ndarray,
    path: np.ndarray,
    moves: np.ndarray,
    pv: np.ndarray,
    pw: np.ndarray,
) -> np.uint64:
    """Run one simulation: descend, expand, play out, back up.  Returns the rng state.

    ``root_state`` (unchanged) is the playout board at the root with its AMAF row
    zeroed; ``s`` is scratch of the same shape.  Modifies the tree and ``s``.
    """
    rng = np.uint64(rng_in)  # a Python int arrives typed int64
    s[:] = root_state
    root = tmeta[T_ROOT]
    to_move = s[META, X_TO_MOVE]
    node = root
    depth = 0
    path[0] = root
    last = root_last
    terminal = False
    expand_visits = params[P_EXPAND_VISITS]
    while depth < MAX_DEPTH - 1:
        if links[FIRST, node] < 0:
            if node != root and stats[VISITS, node] < expand_visits:
                break
            if not expand(
                links,
                stats,
                tmeta,
                node,
                s,
                last,
                root_allowed,
                node == root,
                table,
                prior,
                scratch,
                moves,
                pv,
                pw,
            ):
                break
        child = select_child(links, stats, node, params[P_RAVE_EQUIV])
        move = links[MOVE, child]
        if move == PASS:
            pass_fast(s)
        else:
            play_fast(s, move, s[META, X_TO_MOVE])
        depth += 1
        path[depth] = child
        node = child
        last = move
        if s[META, X_PASSES] >= 2:
            terminal = True
            break
    if terminal:
        score = score_area(s)
    else:
        size = s[META, X_SIZE]
        score, rng = heavy_playout(s, last, rng, 3 * size * size, table, policy, scratch)
    winner = 1 if score - params[P_KOMI] > 0 else 2
    # back up visits and wins
    for k in range(1, depth + 1):
        mover = to_move if k % 2 == 1 else 3 - to_move
        nd = path[k]
        stats[VISITS, nd] += 1.0
        if winner == mover:
            stats[WINS, nd] += 1.0
    stats[VISITS, root] += 1.0
    # AMAF: walk up, marking each tree move as played first by its mover
    for k in range(depth - 1, -1, -1):
        nd = path[k]
        mover = to_move if k % 2 == 0 else 3 - to_move
        played = links[MOVE, path[k + 1]]
        if played != PASS:
            s[AMAF, played] = mover
        win = 1.0 if winner == mover else 0.0
        first = links[FIRST, nd]
        for child in range(first, first + links[COUNT, nd]):
            mv = links[MOVE, child]
            if mv != PASS and s[AMAF, mv] == mover:
                stats[AMAF_VISITS, child] += 1.0
                stats[AMAF_WINS, child] += win
    return rng


@njit(cache=True, nogil=True)
def run_simulations(
    n: int,
    links: np.ndarray,
    stats: np.ndarray,
    tmeta: np.ndarray,
    root_state: np.ndarray,
    root_last: int,
    root_allowed: np.ndarray,
    rng_state: np.ndarray,
    params: np.ndarray,
    policy: np.ndarray,
    prior: np.ndarray,
    table: np.ndarray,
) -> None:
    """Run ``n`` simulations on one tree (releases the GIL: one tree per thread).

    ``rng_state`` is uint64[1], advanced in place.  Modifies the tree.
    """
    s = np.empty_like(root_state)
    scratch = np.empty(512, dtype=np.int64)
    path = np.empty(MAX_DEPTH, dtype=np.int64)
    moves = np.empty(root_state.shape[1] + 1, dtype=np.int64)
    pv = np.empty(root_state.shape[1] + 1, dtype=np.float32)
    pw = np.empty(root_state.shape[1] + 1, dtype=np.float32)
    rng = rng_state[0]
    for _ in range(n):
        rng = simulate(
            links,
            stats,
            tmeta,
            root_state,
            root_last,
            root_allowed,
            s,
            rng,
            params,
            policy,
            prior,
            table,
            scratch,
            path,
            moves,
            pv,
            pw,
        )
    rng_state[0] = rng


@njit(cache=True, nogil=True)
def find_child(links: np.ndarray, node: int, move: int) -> int:
    """Return the child of ``node`` reached by ``move``, or -1."""
    first = links[FIRST, node]
    if first < 0:
        return -1
    for child in range(first, first + links[COUNT, node]):
        if links[MOVE, child] == move:
            return child
    return -1


@njit(cache=True, nogil=True)
def copy_subtree(
    links: np.ndarray,
    stats: np.ndarray,
    new_root: int,
    out_links: np.ndarray,
    out_stats: np.ndarray,
    out_meta: np.ndarray,
) -> None:
    """Copy the subtree under ``new_root`` into the empty tree ``out_*`` as its root.

    Children stay contiguous (breadth-first copy).  Modifies ``out_*``.
    """
    capacity = out_links.shape[1]
    for k in range(3):
        out_links[k, 0] = links[k, new_root]
    for k in range(6):
        out_stats[k, 0] = stats[k, new_root]
    queue_src = np.empty(capacity, dtype=np.int64)
    queue_src[0] = new_root
    used = 1
    head = 0
    while head < used:
        src = queue_src[head]
        dst = head
        head += 1
        first = links[FIRST, src]
        count = links[COUNT, src]
        if first < 0 or used + count > capacity:
            out_links[FIRST, dst] = -1
            out_links[COUNT, dst] = 0
            continue
        out_links[FIRST, dst] = used
        out_links[COUNT, dst] = count
        for j in range(count):
            child = first + j
            for k in range(3):
                out_links[k, used + j] = links[k, child]
            for k in range(6):
                out_stats[k, used + j] = stats[k, child]
            queue_src[used + j] = child
        used += count
    out_meta[T_USED] = used
    out_meta[T_CAPACITY] = capacity
    out_meta[T_ROOT] = 0


@njit(cache=True, nogil=True)
def root_children(links: np.ndarray, stats: np.ndarray, tmeta: np.ndarray, out: np.ndarray) -> int:
    """Write (move, visits, wins, amaf visits, amaf wins, prior visits, prior wins)
    of each root child into ``out`` (float64 (n, 7)); return the number of children."""
    root = tmeta[T_ROOT]
    first = links[FIRST, root]
    if first < 0:
        return 0
    count = links[COUNT, root]
    for j in range(count):
        child = first + j
        out[j, 0] = links[MOVE, child]
        out[j, 1] = stats[VISITS, child]
        out[j, 2] = stats[WINS, child]
        out[j, 3] = stats[AMAF_VISITS, child]
        out[j, 4] = stats[AMAF_WINS, child]
        out[j, 5] = stats[PRIOR_VISITS, child]
        out[j, 6] = stats[PRIOR_WINS, child]
    return count


@njit(cache=True, nogil=True)
def principal_variation(links: np.ndarray, stats: np.ndarray, node: int, out: np.ndarray) -> int:
    """Write the most-visited line from ``node`` into ``out``; return its length."""
    first = links[FIRST, node]
    if first < 0:
        return 0
    best = -1
    best_visits = 0.0
    for child in range(first, first + links[COUNT, node]):
        if stats[VISITS, child] > best_visits:
            best_visits = stats[VISITS, child]
            best = child
    if best < 0:
        return 0
    return line_from(links, stats, best, out)


@njit(cache=True, nogil=True)
def line_from(links: np.ndarray, stats: np.ndarray, node: int, out: np.ndarray) -> int:
    """Write ``node``'s move, then the most visited line below it, into ``out``;
    return its length.

    Works on any tree whose ``links`` rows are (MOVE, FIRST, COUNT) and whose
    ``stats`` row 0 is the visit count: this one, and one game of the PUCT forest
    (``links[g]``, ``stats[g]``).
    """
    out[0] = links[MOVE, node]
    n = 1
    while links[FIRST, node] >= 0 and links[COUNT, node] > 0 and n < out.shape[0]:
        first = links[FIRST, node]
        best = -1
        best_visits = 0.0
        for child in range(first, first + links[COUNT, node]):
            if stats[VISITS, child] > best_visits:
                best_visits = stats[VISITS, child]
                best = child
        if best < 0:
            break
        out[n] = links[MOVE, best]
        n += 1
        node = best
    return n
