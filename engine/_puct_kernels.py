"""numba kernels of the network search: PUCT with virtual loss and batched leaves.

Notation as in the AlphaGo Zero paper: each edge (here: each child node) keeps its
visit count N, total value W and prior P; the mean value is Q = W / N.  A child is
selected by

    Q(s, a) + c_puct * P(s, a) * sqrt(N(s)) / (1 + N(s, a))

where unvisited children get the first-play urgency Q(s) - fpu_reduction (as in Leela
Zero), and simulations that are waiting for the network count as ``virtual_loss``
lost visits on their path so that the next selections spread out.

Many trees are searched at once, one per game: the tree arrays carry a leading game
axis.  ``select_leaves`` descends up to ``k`` simulations in each active game and
writes the feature planes of every new leaf into one batch; the caller evaluates the
batch with the network in one call; ``expand_and_backup`` expands the leaves with the
policy and backs their values up.  Terminal leaves (two passes) are scored by strict
Tromp-Taylor area and backed up at once.

Arrays (G games, capacity C nodes per game, W = N + 2, T history planes):

    links   int32 (G, 3, C)    MOVE (padded point, PASS = -1), FIRST child (-1 leaf),
                               COUNT of children (PENDING = -1 while being evaluated)
    stats   float32 (G, 5, C)  VISITS, VALUE (sum, from the view of the player who
                               moved into the node), PRIOR, VLOSS (in flight),
                               NET_VALUE (the network's value of the node, side to
                               move's view, once expanded), SCORE (sum of the backed-up
                               area estimates, same view as VALUE, komi excluded)
    tmeta   int64 (G, 3)       nodes used, capacity, root node
    roots   int64 (G, ROWS, W*W)  playout-board state at each root
    hist    int8 (G, T, W*W)   the root position and the T-1 before it, newest first

Values handed in and out of the network are from the side to move's view.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine._feature_kernels import L_LEGAL, L_LIBERTIES, fill_features
from engine._playout_kernels import (
    COLOR,
    ELIST,
    HEAD,
    META,
    NEXT,
    PASS,
    X_KO,
    X_NEMPTY,
    X_PASSES,
    X_SIZE,
    X_TO_MOVE,
    X_WIDTH,
    pass_fast,
    play_fast,
    score_area,
)
from engine._policy_kernels import legal_here

MOVE = 0
FIRST = 1
COUNT = 2
PENDING = -1

VISITS = 0
VALUE = 1
PRIOR = 2
VLOSS = 3
NET_VALUE = 4
SCORE = 5
STAT_ROWS = 6

T_USED = 0
T_CAPACITY = 1
T_ROOT = 2

MAX_DEPTH = 512
# A descent that meets a leaf already waiting for the network is abandoned and another
# is tried, up to this many descents per simulation asked for: with a confident policy
# in a big tree most descents of a batch follow the same line, and counting an abandoned
# descent as one of the batch's simulations left the network batches a third full.
COLLISION_TRIES = 4

# params (float64)
P_C_PUCT = 0
P_FPU = 1
P_VIRTUAL_LOSS = 2
P_KOMI = 3
P_ROOT_FPU = 4
N_PARAMS = 5


@njit(cache=True, nogil=True)
def reset_tree(links: np.ndarray, stats: np.ndarray, tmeta: np.ndarray, g: int) -> None:
    """Make game ``g``'s tree a single unexpanded root.  Modifies the arrays."""
    tmeta[g, T_USED] = 1
    tmeta[g, T_CAPACITY] = links.shape[2]
    tmeta[g, T_ROOT] = 0
    links[g, MOVE, 0] = PASS
    links[g, FIRST, 0] = -1
    links[g, COUNT, 0] = 0
    for k in range(STAT_ROWS):
        stats[g, k, 0] = 0.0


@njit(cache=True, nogil=True)
def _select_child(
    links: np.ndarray, stats: np.ndarray, g: int, node: int, params: np.ndarray, fpu: float
) -> int:
    first = links[g, FIRST, node]
    count = links[g, COUNT, node]
    parent_n = stats[g, VISITS, node] + stats[g, VLOSS, node]
    parent_q = 0.0
    if stats[g, VISITS, node] > 0:
        parent_q = -stats[g, VALUE, node] / stats[g, VISITS, node]
    sqrt_n = np.sqrt(max(parent_n, 1.0))
    c_puct = params[P_C_PUCT]
    vl = params[P_VIRTUAL_LOSS]
    fpu_value = parent_q - fpu
    best = first
    best_score = -1e30
    for child in range(first, first + count):
        n = stats[g, VISITS, child]
        inflight = stats[g, VLOSS, child]
        total = n + inflight
        if total > 0:
            q = (stats[g, VALUE, child] - vl * inflight) / (n + vl * inflight)
        else:
            q = fpu_value
        score = q + c_puct * stats[g, PRIOR, child] * sqrt_n / (1.0 + total)
        if score > best_score:
            best_score = score
            best = child
    return best


@njit(cache=True, nogil=True)
def _select_candidate(
    links: np.ndarray, stats: np.ndarray, g: int, node: int, mask: np.ndarray, rank: np.ndarray
) -> int:
    """Sequential halving at the root: among the children whose offset is in ``mask``,
    return the one with the fewest visits (in flight included), ties to the higher
    ``rank`` (Gumbel + logit)."""
    first = links[g, FIRST, node]
    best = -1
    best_n = 1e30
    best_rank = -1e30
    for j in range(links[g, COUNT, node]):
        if mask[j] == 0:
            continue
        child = first + j
        n = stats[g, VISITS, child] + stats[g, VLOSS, child]
        if n < best_n or (n == best_n and rank[j] > best_rank):
            best = child
            best_n = n
            best_rank = rank[j]
    if best < 0:
        return first
    return best


@njit(cache=True, nogil=True)
def _legal_moves(s: np.ndarray, allowed: np.ndarray, use_allowed: bool, moves: np.ndarray) -> int:
    """Write the legal moves of the side to move (padded points, then PASS) into ``moves``."""
    c = s[META, X_TO_MOVE]
    n = 0
    for i in range(s[META, X_NEMPTY]):
        p = s[ELIST, i]
        if use_allowed and allowed[p] == 0:
            continue
        if legal_here(s, p, c):
            moves[n] = p
            n += 1
    moves[n] = PASS
    return n + 1


@njit(cache=True, nogil=True)
def _push_history(hist: np.ndarray, s: np.ndarray) -> None:
    """Shift ``hist`` (T, W*W) one plane older and put the stones of ``s`` first."""
    t = hist.shape[0]
    for k in range(t - 1, 0, -1):
        hist[k, :] = hist[k - 1, :]
    for p in range(hist.shape[1]):
        hist[0, p] = s[COLOR, p]


@njit(cache=True, nogil=True)
def select_leaves(
    links: np.ndarray,
    stats: np.ndarray,
    tmeta: np.ndarray,
    roots: np.ndarray,
    hist: np.ndarray,
    allowed: np.ndarray,
    active: np.ndarray,
    per_game: np.ndarray,
    params: np.ndarray,
    layout: np.ndarray,
    features: np.ndarray,
    leaf_game: np.ndarray,
    leaf_path: np.ndarray,
    leaf_depth: np.ndarray,
    leaf_moves: np.ndarray,
    leaf_count: np.ndarray,
    stat_out: np.ndarray,
    gumbel: np.ndarray,
    root_mask: np.ndarray,
    root_rank: np.ndarray,
) -> int:
    """Descend simulations and collect the leaves that need the network.

    For each game ``g`` with ``active[g]``, ``per_game[g]`` simulations are descended
    from the root with virtual loss.  A descent that reaches a terminal position (two
    passes) is backed up at once; one that reaches a leaf already waiting for the
    network is abandoned and another descent is tried, at most
    ``COLLISION_TRIES * per_game[g]`` descents in all; an abandoned descent's virtual
    loss stays on its path until the slot's leaves are chosen, so that the next
    descents spread out.  Every other leaf gets its feature planes written to
    ``features[b]`` (float32 (B, C, N, N)), its legal moves to ``leaf_moves[b]`` and
    is marked PENDING.

    ``allowed`` (uint8 (G, W*W)) masks root moves (positional superko); ``layout``
    is the feature layout of ``engine.features``.  ``stat_out`` (int64 (3,)) counts
    leaves, terminal backups and abandoned descents.  For games with ``gumbel[g]``
    the root child is chosen by sequential halving among the children marked in
    ``root_mask[g]`` (uint8, by child offset; see ``_select_candidate``).  Modifies
    the trees.  Returns the number of leaves written.
    """
    n_games = links.shape[0]
    size = roots[0, META, X_SIZE]
    b = 0
    capacity_b = features.shape[0]
    s = np.empty_like(roots[0])
    local_hist = np.empty_like(hist[0])
    path = np.empty(MAX_DEPTH, dtype=np.int64)
    liberties = np.zeros(s.shape[1], dtype=np.int32)
    mark = np.zeros(s.shape[1], dtype=np.int64)
    legal_mask = np.zeros(size * size + 1, dtype=np.bool_)
    # the nodes of this slot's collided descents, whose virtual loss stays until the
    # slot's leaves are chosen so that the next descents go elsewhere
    most = 1
    for g in range(n_games):
        if active[g] and per_game[g] > most:
            most = per_game[g]
    held = np.empty(COLLISION_TRIES * most * MAX_DEPTH, dtype=np.int64)
    for g in range(n_games):
        if not active[g]:
            continue
        root = tmeta[g, T_ROOT]
        wanted = per_game[g]
        done = 0
        tries = 0
        n_held = 0
        while done < wanted and tries < COLLISION_TRIES * wanted:
            tries += 1
            if b >= capacity_b:
                break
            s[:] = roots[g]
            local_hist[:] = hist[g]
            node = root
            depth = 0
            path[0] = root
            abandoned = False
            collided = False
            while True:
                stats[g, VLOSS, node] += 1.0
                if links[g, COUNT, node] == PENDING:
                    collided = True
                    break
                if links[g, FIRST, node] < 0:
                    break
                if node == root and gumbel[g]:
                    child = _select_candidate(links, stats, g, node, root_mask[g], root_rank[g])
                else:
                    fpu = params[P_ROOT_FPU] if node == root else params[P_FPU]
                    child = _select_child(links, stats, g, node, params, fpu)
                move = links[g, MOVE, child]
                if move == PASS:
                    pass_fast(s)
                else:
                    play_fast(s, move, s[META, X_TO_MOVE])
                _push_history(local_hist, s)
                depth += 1
                path[depth] = child
                node = child
                if depth >= MAX_DEPTH - 1:
                    abandoned = True
                    stats[g, VLOSS, node] += 1.0
                    break
            if collided:
                for k in range(depth + 1):
                    held[n_held] = path[k]
                    n_held += 1
                stat_out[2] += 1
                continue
            # a position after two passes is terminal; its node is never expanded
            terminal = not abandoned and s[META, X_PASSES] >= 2
            if abandoned:
                for k in range(depth + 1):
                    stats[g, VLOSS, path[k]] -= 1.0
                stat_out[2] += 1
                continue
            if terminal:
                area = score_area(s)  # black minus white
                score = area - params[P_KOMI]
                to_move = s[META, X_TO_MOVE]
                v = 0.0
                if score > 0:
                    v = 1.0 if to_move == 1 else -1.0
                elif score < 0:
                    v = -1.0 if to_move == 1 else 1.0
                _backup(stats, g, path, depth, v, area if to_move == 1 else -area)
                stat_out[1] += 1
                done += 1
                continue
            # a new leaf: remember its path and legal moves, write its planes
            links[g, COUNT, node] = PENDING
            leaf_game[b] = g
            leaf_depth[b] = depth
            for k in range(depth + 1):
                leaf_path[b, k] = path[k]
            n_moves = _legal_moves(s, allowed[g], depth == 0, leaf_moves[b])
            leaf_count[b] = n_moves
            ko = s[META, X_KO]
            if layout[L_LIBERTIES] >= 0:
                _exact_liberties(s, liberties, mark)
            if layout[L_LEGAL] >= 0:
                legal_mask[:] = False
                w = s[META, X_WIDTH]
                for j in range(n_moves):
                    p = leaf_moves[b, j]
                    if p == PASS:
                        legal_mask[size * size] = True
                    else:
                        legal_mask[(p // w - 1) * size + p % w - 1] = True
            fill_features(
                local_hist, s[META, X_TO_MOVE], liberties, ko, legal_mask, layout, features[b]
            )
            b += 1
            done += 1
            stat_out[0] += 1
        for k in range(n_held):
            stats[g, VLOSS, held[k]] -= 1.0
        if b >= capacity_b:
            return b
    return b


@njit(cache=True, nogil=True)
def _exact_liberties(s: np.ndarray, out: np.ndarray, mark: np.ndarray) -> None:
    """Write each stone's chain liberty count into ``out`` (int32 (W*W,)); walks each
    chain once.  Modifies ``out`` and the scratch ``mark``."""
    w = s[META, X_WIDTH]
    total = s.shape[1]
    for p in range(total):
        out[p] = 0
        mark[p] = -1
    for p in range(total):
        c = s[COLOR, p]
        if (c != 1 and c != 2) or s[HEAD, p] != p:
            continue
        count = 0
        q = p
        while True:
            for n in (q - w, q - 1, q + 1, q + w):
                if s[COLOR, n] == 0 and mark[n] != p:
                    mark[n] = p
                    count += 1
            q = s[NEXT, q]
            if q == p:
                break
        q = p
        while True:
            out[q] = count
            q = s[NEXT, q]
            if q == p:
                break


@njit(cache=True, nogil=True)
def _backup(stats: np.ndarray, g: int, path: np.ndarray, depth: int, v: float, area: float) -> None:
    """Back up value ``v`` and area estimate ``area`` (side to move at the leaf; area is
    own points minus the opponent's, komi excluded) along ``path``, removing one
    virtual loss from each node."""
    value = -v  # the leaf's VALUE is from the view of the player who moved into it
    score = -area
    for k in range(depth, -1, -1):
        nd = path[k]
        stats[g, VISITS, nd] += 1.0
        stats[g, VALUE, nd] += value
        stats[g, SCORE, nd] += score
        stats[g, VLOSS, nd] -= 1.0
        value = -value
        score = -score


@njit(cache=True, nogil=True)
def expand_and_backup(
    links: np.ndarray,
    stats: np.ndarray,
    tmeta: np.ndarray,
    n_leaves: int,
    leaf_game: np.ndarray,
    leaf_path: np.ndarray,
    leaf_depth: np.ndarray,
    leaf_moves: np.ndarray,
    leaf_count: np.ndarray,
    logits: np.ndarray,
    values: np.ndarray,
    areas: np.ndarray,
    size: int,
) -> int:
    """Expand each leaf with the softmax of its logits over its legal moves, back up
    its value, and clear its PENDING mark.

    ``logits`` float32 (B, N*N+1), ``values`` float32 (B,) and ``areas`` float32
    (B,) (the sum of the ownership map: expected own area minus the opponent's) come
    from the network for the side to move at each leaf.  A leaf whose tree is full is
    backed up without being expanded.  Modifies the trees.  Returns the number of
    leaves left unexpanded because a tree was full.
    """
    w = size + 2
    full = 0
    for b in range(n_leaves):
        g = leaf_game[b]
        depth = leaf_depth[b]
        node = leaf_path[b, depth]
        count = leaf_count[b]
        first = tmeta[g, T_USED]
        if first + count <= tmeta[g, T_CAPACITY]:
            top = -1e30
            for j in range(count):
                p = leaf_moves[b, j]
                a = size * size if p == PASS else (p // w - 1) * size + p % w - 1
                if logits[b, a] > top:
                    top = logits[b, a]
            total = 0.0
            for j in range(count):
                p = leaf_moves[b, j]
                a = size * size if p == PASS else (p // w - 1) * size + p % w - 1
                e = np.exp(np.float64(logits[b, a]) - top)
                child = first + j
                links[g, MOVE, child] = p
                links[g, FIRST, child] = -1
                links[g, COUNT, child] = 0
                stats[g, VISITS, child] = 0.0
                stats[g, VALUE, child] = 0.0
                stats[g, PRIOR, child] = e
                stats[g, VLOSS, child] = 0.0
                stats[g, NET_VALUE, child] = 0.0
                stats[g, SCORE, child] = 0.0
                total += e
            for j in range(count):
                stats[g, PRIOR, first + j] /= total
            tmeta[g, T_USED] = first + count
            links[g, FIRST, node] = first
            links[g, COUNT, node] = count
            stats[g, NET_VALUE, node] = values[b]
        else:
            links[g, COUNT, node] = 0
            full += 1
        _backup(stats, g, leaf_path[b], depth, np.float64(values[b]), np.float64(areas[b]))
    return full


@njit(cache=True, nogil=True)
def add_root_noise(
    links: np.ndarray,
    stats: np.ndarray,
    tmeta: np.ndarray,
    g: int,
    noise: np.ndarray,
    epsilon: float,
) -> int:
    """Mix Dirichlet ``noise`` into the priors of game ``g``'s root children:
    P = (1 - epsilon) P + epsilon * noise.  Returns the number of children (0 if the
    root is not expanded: nothing is changed then).  Modifies ``stats``."""
    root = tmeta[g, T_ROOT]
    first = links[g, FIRST, root]
    count = links[g, COUNT, root]
    if first < 0 or count <= 0:
        return 0
    for j in range(min(count, noise.shape[0])):
        child = first + j
        stats[g, PRIOR, child] = (1.0 - epsilon) * stats[g, PRIOR, child] + epsilon * noise[j]
    return count


@njit(cache=True, nogil=True)
def root_children(
    links: np.ndarray, stats: np.ndarray, tmeta: np.ndarray, g: int, out: np.ndarray
) -> int:
    """Write (move, visits, value sum, prior, in flight, area sum) of game ``g``'s
    root children into ``out`` (float64 (n, 6)); sums are from the root player's view.
    Returns the number of children (0 if the root is not expanded)."""
    root = tmeta[g, T_ROOT]
    first = links[g, FIRST, root]
    count = links[g, COUNT, root]
    if first < 0 or count <= 0:
        return 0
    for j in range(count):
        child = first + j
        out[j, 0] = links[g, MOVE, child]
        out[j, 1] = stats[g, VISITS, child]
        out[j, 2] = stats[g, VALUE, child]
        out[j, 3] = stats[g, PRIOR, child]
        out[j, 4] = stats[g, VLOSS, child]
        out[j, 5] = stats[g, SCORE, child]
    return count


@njit(cache=True, nogil=True)
def advance_root(
    links: np.ndarray,
    stats: np.ndarray,
    tmeta: np.ndarray,
    g: int,
    move: int,
    spare_links: np.ndarray,
    spare_stats: np.ndarray,
) -> bool:
    """Make the child reached by ``move`` game ``g``'s root, keeping its subtree
    (compacted to the front of the arrays through the spare buffers, which must hold
    one tree).  Returns False (and resets the tree) when the child does not exist or
    has no visits.  Modifies the tree and the spare buffers."""
    root = tmeta[g, T_ROOT]
    first = links[g, FIRST, root]
    new_root = -1
    if first >= 0:
        for child in range(first, first + links[g, COUNT, root]):
            if links[g, MOVE, child] == move:
                new_root = child
                break
    if new_root < 0 or stats[g, VISITS, new_root] <= 0 or links[g, COUNT, new_root] == PENDING:
        reset_tree(links, stats, tmeta, g)
        return False
    capacity = links.shape[2]
    n_stats = stats.shape[1]
    # breadth-first copy into the spare arrays, then back to the front
    queue = np.empty(capacity, dtype=np.int64)
    queue[0] = new_root
    for k in range(3):
        spare_links[k, 0] = links[g, k, new_root]
    for k in range(n_stats):
        spare_stats[k, 0] = stats[g, k, new_root]
    used = 1
    head = 0
    while head < used:
        src = queue[head]
        dst = head
        head += 1
        first = links[g, FIRST, src]
        count = links[g, COUNT, src]
        if first < 0 or count <= 0:
            spare_links[FIRST, dst] = -1
            spare_links[COUNT, dst] = 0
            continue
        spare_links[FIRST, dst] = used
        spare_links[COUNT, dst] = count
        for j in range(count):
            child = first + j
            for k in range(3):
                spare_links[k, used + j] = links[g, k, child]
            for k in range(n_stats):
                spare_stats[k, used + j] = stats[g, k, child]
            spare_stats[VLOSS, used + j] = 0.0
            queue[used + j] = child
        used += count
    spare_stats[VLOSS, 0] = 0.0
    for k in range(3):
        links[g, k, :used] = spare_links[k, :used]
    for k in range(n_stats):
        stats[g, k, :used] = spare_stats[k, :used]
    tmeta[g, T_USED] = used
    tmeta[g, T_ROOT] = 0
    return True
