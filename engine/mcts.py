"""The pure-MCTS player: UCT with RAVE over heavy numba playouts, no network.

Each search thread grows its own tree (root parallelisation) with the GIL released;
the root statistics of the trees are summed to choose the move.  Trees are kept
between moves: after our move and the opponent's reply, the subtree under that pair
of moves becomes the new root.  See ``engine._mcts_kernels`` for the tree and the
selection rule, ``engine._policy_kernels`` for the playout policy and the priors.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from engine import _board_kernels as BK
from engine import _mcts_kernels as MK
from engine import _playout_kernels as P
from engine import coords
from engine._policy_kernels import make_pattern_table
from engine.analysis import AnalysisSnapshot, Candidate, lower_confidence_bound
from engine.board import BLACK
from engine.game import Game
from engine.player import RESIGN, Budget, Decision

PATTERN_TABLE = make_pattern_table()


@dataclass(frozen=True)
class MCTSConfig:
    """Settings of the pure-MCTS search.

    Attributes:
        threads: search threads, one tree each.
        expand_visits: visits a leaf needs before it is expanded.
        rave_equiv: visits at which a node's own value and its AMAF value weigh equal.
        tactical_prob / pattern_prob: playout probabilities of trying capture/escape
            moves and 3x3 pattern moves around the last move.
        self_atari_reject: playout probability of rejecting a random self-atari.
        prior_*: virtual visits added to a new node per feature (as wins for good
            features, as losses for bad ones); see ``compute_priors``.
        resign_threshold: resign when the best move's win rate is below this
            (0 disables resignation).
        resign_min_visits: only resign after this many simulations on the move.
        capacity: nodes per tree.
        chunk: simulations per kernel call (between clock checks).
        reuse_tree: keep the subtree of the moves played between searches.
        seed: random seed (None: from the clock).
    """

    threads: int = 2
    expand_visits: int = 8
    rave_equiv: float = 3500.0
    tactical_prob: float = 0.9
    pattern_prob: float = 0.95
    self_atari_reject: float = 0.9
    prior_even: float = 10.0
    prior_capture: float = 15.0
    prior_self_atari: float = 10.0
    prior_pattern: float = 10.0
    prior_distance: tuple[float, float, float] = (24.0, 22.0, 8.0)
    prior_empty_low: float = 10.0
    prior_empty_third: float = 10.0
    prior_pass: float = 20.0
    resign_threshold: float = 0.1
    resign_min_visits: int = 2000
    capacity: int = 1_500_000
    chunk: int = 128
    reuse_tree: bool = True
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise ValueError("threads must be at least 1")
        if not 0.0 <= self.resign_threshold < 0.5:
            raise ValueError("resign_threshold must be in [0, 0.5)")
        if self.capacity < 1000:
            raise ValueError("capacity must be at least 1000 nodes")
        for name in ("tactical_prob", "pattern_prob", "self_atari_reject"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be a probability")

    def prior_array(self) -> np.ndarray:
        """Return the ``prior`` array of ``compute_priors``."""
        d1, d2, d3 = self.prior_distance
        return np.array(
            [
                self.prior_even,
                self.prior_capture,
                self.prior_self_atari,
                self.prior_pattern,
                d1,
                d2,
                d3,
                self.prior_empty_low,
                self.prior_empty_third,
                self.prior_pass,
            ],
            dtype=np.float64,
        )


@dataclass
class MoveStats:
    """Search statistics of one root move (summed over the threads' trees)."""

    action: int
    visits: int
    winrate: float
    amaf_visits: int
    amaf_winrate: float
    prior: float


@dataclass
class SearchResult:
    """What one search found: root moves sorted by visits, and the main line."""

    moves: list[MoveStats]
    simulations: int
    seconds: float
    principal_variation: list[int]

    @property
    def best(self) -> MoveStats:
        return self.moves[0]


class _Tree:
    """One thread's tree, with a spare set of arrays for re-rooting."""

    def __init__(self, capacity: int, seed: int) -> None:
        self.links, self.stats, self.meta = MK.new_tree(capacity)
        self.spare: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.rng = np.array([np.uint64(seed * 2654435761 + 12345) | np.uint64(1)], dtype=np.uint64)

    def reset(self) -> None:
        MK.reset_tree(self.links, self.stats, self.meta)

    def descend(self, move: int) -> bool:
        """Make the child reached by ``move`` (padded point or PASS) the root."""
        child = MK.find_child(self.links, int(self.meta[MK.T_ROOT]), move)
        if child < 0:
            return False
        self.meta[MK.T_ROOT] = child
        return True

    def compact(self) -> None:
        """Copy the subtree under the root into fresh arrays (frees the rest)."""
        root = int(self.meta[MK.T_ROOT])
        if root == 0:
            return
        if self.spare is None:
            self.spare = MK.new_tree(self.links.shape[1])
        links, stats, meta = self.spare
        MK.copy_subtree(self.links, self.stats, root, links, stats, meta)
        self.spare = (self.links, self.stats, self.meta)
        self.links, self.stats, self.meta = links, stats, meta


class MCTSPlayer:
    """The pure-MCTS player (``--player mcts``).

    Args:
        config: search settings.
        budget: default thinking budget per move (playouts and/or seconds).
    """

    name = "mcts"

    def __init__(self, config: MCTSConfig | None = None, budget: Budget | None = None) -> None:
        self.config = config or MCTSConfig()
        self.budget = budget or Budget(seconds=1.0)
        seed = self.config.seed if self.config.seed is not None else time.time_ns() % (2**31)
        self._trees = [
            _Tree(self.config.capacity, seed + 7 * k) for k in range(self.config.threads)
        ]
        self._pool = ThreadPoolExecutor(max_workers=self.config.threads)
        self._prior = self.config.prior_array()
        self._policy = np.array(
            [self.config.tactical_prob, self.config.pattern_prob, self.config.self_atari_reject],
            dtype=np.float64,
        )
        self._tree_game: tuple[int, list[tuple[int, int]], int] | None = None
        self._stop = threading.Event()
        self._ownership_cache: tuple[object, np.ndarray] | None = None

    # -- Player protocol --------------------------------------------------------
    def reset(self) -> None:
        """Forget the search trees."""
        for tree in self._trees:
            tree.reset()
        self._tree_game = None

    def genmove(
        self, game: Game, color: int, budget: Budget | None = None, cleanup: bool = False
    ) -> Decision:
        """Search and return the move for ``color`` (see the module docstring)."""
        passing = self._pass_back(game, color, cleanup)
        if passing is not None:
            return passing
        self._stop.clear()
        result = self.search(game, color, budget, cleanup=cleanup)
        return self._decide(game, color, result, result.simulations)

    def _pass_back(self, game: Game, color: int, cleanup: bool = False) -> Decision | None:
        """Pass at once when the opponent passed and the board as it stands wins."""
        last = game.last_move
        if cleanup or last is None or last.action != game.pass_action:
            return None
        score = game.tromp_taylor_score()
        if score != 0 and (score > 0) == (color == BLACK):
            return Decision(game.pass_action, info={"reason": "opponent passed; winning"})
        return None

    def _decide(self, game: Game, color: int, result: SearchResult, spent: int) -> Decision:
        """Return the most visited legal move of ``result``, or resign when hopeless."""
        legal = [m for m in result.moves if game.board.is_legal(m.action, color)]
        if not legal:
            return Decision(game.pass_action, visits=spent)
        best = legal[0]
        threshold = self.config.resign_threshold
        if threshold > 0 and spent >= self.config.resign_min_visits and best.winrate < threshold:
            return Decision(RESIGN, best.winrate, spent, {"search": result})
        return Decision(best.action, best.winrate, spent, {"search": result})

    # -- search -----------------------------------------------------------------
    def stop(self) -> None:
        """Ask a running search to finish early (thread-safe)."""
        self._stop.set()

    def search(
        self,
        game: Game,
        color: int,
        budget: Budget | None = None,
        cleanup: bool = False,
        stop: threading.Event | None = None,
    ) -> SearchResult:
        """Run the search from the current position of ``game`` for ``color``; it ends
        at the budget, on ``stop()`` or when the ``stop`` event is set."""
        budget = budget or self.budget
        board = game.board
        size = game.size
        width = size + 2
        self._prepare_trees(game, color)
        root_state = P.new_state(size)
        ko = int(board.arrays.meta[BK.M_KO]) if color == board.to_move else -1
        P.load_position(root_state, board.arrays.color, color, ko)
        root_state[P.META, P.X_PASSES] = min(board.passes, 1)
        allowed = np.zeros(width * width, dtype=np.uint8)
        mask = board.legal_mask(color)
        for action in np.flatnonzero(mask[:-1]):
            allowed[coords.action_to_padded(int(action), size)] = 1
        if cleanup and self._opponent_has_dead_stones(game, color):
            allowed[0] = 2  # no pass at the root while dead enemy stones remain
        last = game.last_move
        root_last = -1 if last is None else coords.action_to_padded(last.action, size)
        params = np.zeros(MK.N_PARAMS, dtype=np.float64)
        params[MK.P_KOMI] = game.komi
        params[MK.P_EXPAND_VISITS] = self.config.expand_visits
        params[MK.P_RAVE_EQUIV] = self.config.rave_equiv
        start = time.monotonic()
        deadline = None if budget.seconds is None else start + budget.seconds
        limit = budget.playouts
        counter = [0]
        lock = threading.Lock()
        chunk = self.config.chunk

        def work(tree: _Tree) -> None:
            while not self._stop.is_set() and (stop is None or not stop.is_set()):
                if deadline is not None and time.monotonic() >= deadline:
                    return
                with lock:
                    if limit is not None and counter[0] >= limit:
                        return
                    n = chunk if limit is None else min(chunk, limit - counter[0])
                    counter[0] += n
                MK.run_simulations(
                    n,
                    tree.links,
                    tree.stats,
                    tree.meta,
                    root_state,
                    root_last,
                    allowed,
                    tree.rng,
                    params,
                    self._policy,
                    self._prior,
                    PATTERN_TABLE,
                )

        futures = [self._pool.submit(work, tree) for tree in self._trees]
        for future in futures:
            future.result()
        seconds = time.monotonic() - start
        self._tree_game = (game.size, [(m.color, m.action) for m in game.moves], color)
        return self._collect(game, counter[0], seconds)

    def _prepare_trees(self, game: Game, color: int) -> None:
        """Re-root the trees on the current position, or reset them."""
        previous = self._tree_game
        moves = [(m.color, m.action) for m in game.moves]
        if (
            self.config.reuse_tree
            and previous is not None
            and previous == (game.size, moves, color)
        ):
            return  # the same position for the same side: search on in the same trees
        reused = False
        if self.config.reuse_tree and previous is not None:
            size, old_moves, old_color = previous
            new = moves[len(old_moves) :]
            if (
                size == game.size
                and moves[: len(old_moves)] == old_moves
                and 0 < len(new) <= 2
                and new[0][0] == old_color
                and color == game.to_move
            ):
                reused = True
                for tree in self._trees:
                    for _, action in new:
                        if not tree.descend(coords.action_to_padded(action, game.size)):
                            reused = False
                            break
                    if not reused:
                        break
                if reused:
                    for tree in self._trees:
                        tree.compact()
        if not reused:
            for tree in self._trees:
                tree.reset()

    def _collect(self, game: Game, simulations: int, seconds: float) -> SearchResult:
        size = game.size
        totals: dict[int, np.ndarray] = {}
        out = np.zeros(((size + 2) ** 2 + 1, 7), dtype=np.float64)
        for tree in self._trees:
            n = MK.root_children(tree.links, tree.stats, tree.meta, out)
            for row in out[:n]:
                move = int(row[0])
                totals.setdefault(move, np.zeros(7))
                totals[move][1:] += row[1:]
        moves = []
        for move, row in totals.items():
            visits, wins, amaf_v, amaf_w, prior_v, prior_w = row[1:]
            moves.append(
                MoveStats(
                    action=coords.padded_to_action(move, size),
                    visits=int(visits),
                    winrate=float(wins / visits) if visits else 0.0,
                    amaf_visits=int(amaf_v),
                    amaf_winrate=float(amaf_w / amaf_v) if amaf_v else 0.0,
                    prior=float(prior_w / prior_v) if prior_v else 0.0,
                )
            )
        moves.sort(key=lambda m: (m.visits, m.winrate), reverse=True)
        pv = np.zeros(64, dtype=np.int64)
        tree = self._trees[0]
        n = MK.principal_variation(tree.links, tree.stats, int(tree.meta[MK.T_ROOT]), pv)
        line = [coords.padded_to_action(int(p), size) for p in pv[:n]]
        return SearchResult(moves, simulations, seconds, line)

    def analyze(
        self,
        game: Game,
        color: int,
        report: Callable[[AnalysisSnapshot], bool],
        interval: float = 0.1,
        budget: Budget | None = None,
        stop: threading.Event | None = None,
    ) -> Decision:
        """Search in slices of ``interval`` seconds, reporting a snapshot after each
        (see ``engine.analysis``); stops at the budget, on ``stop`` or when ``report``
        returns False.  Returns the move the search would play (the same decision rules
        as ``genmove``: passing back when winning, resigning when hopeless)."""
        passing = self._pass_back(game, color)
        if passing is not None:
            return passing
        self._stop.clear()
        start = time.monotonic()
        spent = 0
        while True:
            playouts = None
            if budget is not None and budget.playouts is not None:
                playouts = max(1, budget.playouts - spent)
            seconds = interval
            if budget is not None and budget.seconds is not None:
                seconds = min(interval, max(0.01, budget.seconds - (time.monotonic() - start)))
            result = self.search(game, color, Budget(playouts=playouts, seconds=seconds), stop=stop)
            spent += result.simulations
            done = (
                self._stop.is_set()
                or (stop is not None and stop.is_set())
                or (budget is not None and budget.playouts is not None and spent >= budget.playouts)
                or (
                    budget is not None
                    and budget.seconds is not None
                    and time.monotonic() - start >= budget.seconds
                )
            )
            if not report(self.snapshot(game, color, result)) or done:
                break
        return self._decide(game, color, result, spent)

    def snapshot(self, game: Game, color: int, result: SearchResult) -> AnalysisSnapshot:
        """Return an analysis snapshot of the trees (ownership by playouts)."""
        from engine.scoring import ownership

        size = game.size
        lines: dict[int, list[int]] = {}
        tree = self._trees[0]
        root = int(tree.meta[MK.T_ROOT])
        first = int(tree.links[MK.FIRST, root])
        buffer = np.zeros(24, dtype=np.int64)
        if first >= 0:
            for child in range(first, first + int(tree.links[MK.COUNT, root])):
                if tree.stats[MK.VISITS, child] > 0:
                    n = MK.line_from(tree.links, tree.stats, child, buffer)
                    actions = [coords.padded_to_action(int(p), size) for p in buffer[:n]]
                    lines[actions[0]] = actions
        key = (game.size, tuple((mv.color, mv.action) for mv in game.moves), game.board.hash)
        if self._ownership_cache is None or self._ownership_cache[0] != key:
            self._ownership_cache = (key, ownership(game, playouts=200))
        own = self._ownership_cache[1] * (1.0 if color == BLACK else -1.0)
        komi = game.komi if color != BLACK else -game.komi
        lead = float(own.sum()) + komi
        total = sum(m.visits for m in result.moves)
        # the feature prior (share of virtual wins) normalised over the root moves
        prior_sum = sum(m.prior for m in result.moves) or 1.0
        candidates = [
            Candidate(
                action=m.action,
                visits=m.visits,
                winrate=m.winrate,
                prior=m.prior / prior_sum,
                lcb=lower_confidence_bound(m.winrate, m.visits),
                pv=lines.get(m.action, [m.action]),
            )
            for m in result.moves
            if m.visits > 0
        ]
        winrate = sum(m.winrate * m.visits for m in result.moves) / total if total else 0.5
        return AnalysisSnapshot(
            size=size,
            to_move=color,
            visits=total,
            winrate=winrate,
            score_lead=lead,
            candidates=candidates,
            ownership=own.astype(np.float32),
        )

    def _opponent_has_dead_stones(self, game: Game, color: int) -> bool:
        from engine.scoring import final_position

        final = final_position(game, playouts=200)
        stones = game.board.to_array().reshape(-1)
        return any(stones[a] == 3 - color for a in final.dead)
