"""Network-guided search: PUCT over many games at once, with batched evaluation.

``SearchForest`` holds one search tree per game slot (``engine._puct_kernels``).  One
``step`` descends simulations in every active slot, evaluates all their new leaves
with one call of an ``Evaluator`` (``engine.evaluator``), and backs the values up.
Self-play runs dozens of slots together so that each network call is a big batch;
``PUCTPlayer`` runs one slot for GTP play.  Trees are kept between moves: playing a
move in a slot makes that child the new root.

Notation as in the AlphaGo Zero paper (N, W, Q, P, c_puct); values are from the side
to move's view.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from engine import _board_kernels as BK
from engine import _playout_kernels as P
from engine import _puct_kernels as K
from engine import coords
from engine._mcts_kernels import line_from
from engine.analysis import AnalysisSnapshot, Candidate, lower_confidence_bound
from engine.board import BLACK, WHITE
from engine.evaluator import Evaluator
from engine.features import features
from engine.game import Game
from engine.player import RESIGN, Budget, Decision


@dataclass(frozen=True)
class PUCTConfig:
    """Settings of the network search.

    Attributes:
        c_puct: exploration constant of the PUCT formula.
        fpu_reduction: unvisited children start at the parent's Q minus this.
        root_fpu_reduction: the same at the root (0 with Dirichlet noise in self-play).
        virtual_loss: weight of one in-flight simulation, counted as a loss.
        leaves_per_step: simulations descended per slot between network calls.
        capacity: tree nodes per slot.
        dirichlet_alpha: root noise concentration; None scales AlphaGo Zero's 0.03 on
            19x19 to the board area (0.03 * 361 / N^2).
        dirichlet_epsilon: weight of the noise in the root priors.
        resign_threshold: resign (GTP play) when the root value's win rate falls below
            this; 0 disables.
    """

    c_puct: float = 1.5
    fpu_reduction: float = 0.25
    root_fpu_reduction: float = 0.0
    virtual_loss: float = 1.0
    leaves_per_step: int = 8
    capacity: int = 200_000
    dirichlet_alpha: float | None = None
    dirichlet_epsilon: float = 0.25
    resign_threshold: float = 0.05

    def __post_init__(self) -> None:
        if self.c_puct <= 0:
            raise ValueError("c_puct must be positive")
        if self.leaves_per_step < 1:
            raise ValueError("leaves_per_step must be at least 1")
        if self.capacity < 1000:
            raise ValueError("capacity must be at least 1000 nodes")
        if not 0.0 <= self.dirichlet_epsilon <= 1.0:
            raise ValueError("dirichlet_epsilon must be in [0, 1]")
        if not 0.0 <= self.resign_threshold < 0.5:
            raise ValueError("resign_threshold must be in [0, 0.5)")

    def alpha(self, size: int) -> float:
        """Return the Dirichlet concentration for a board of ``size``."""
        if self.dirichlet_alpha is not None:
            return self.dirichlet_alpha
        return 0.03 * 361 / (size * size)


@dataclass
class RootStats:
    """The root of one slot after a search.

    Attributes:
        actions: flat actions of the root children.
        visits: their visit counts.
        q: their mean values from the root player's view (0 when unvisited).
        priors: their (possibly noised) priors.
        value: the root's mean value for the root player.
        visits_total: visits of the root.
        net_value: the network's value of the root position (root player's view).
        in_flight: simulations still pending below each child.
        areas: mean backed-up area estimate below each child (root player's points
            minus the opponent's, komi excluded).
        area: the same for the root.
    """

    actions: np.ndarray
    visits: np.ndarray
    q: np.ndarray
    priors: np.ndarray
    value: float
    visits_total: int
    net_value: float = 0.0
    in_flight: np.ndarray | None = None
    areas: np.ndarray | None = None
    area: float = 0.0

    def best(self) -> int:
        """Return the most visited action (ties: higher prior)."""
        order = np.lexsort((-self.priors, -self.visits))
        return int(self.actions[order[0]])

    def policy(self, size: int, temperature: float = 1.0) -> np.ndarray:
        """Return π over N*N+1 actions: visits^(1/T) normalised (T=0: one-hot best)."""
        pi = np.zeros(size * size + 1, dtype=np.float32)
        if len(self.actions) == 0:
            pi[size * size] = 1.0
            return pi
        if temperature <= 1e-6 or self.visits.sum() == 0:
            pi[self.best()] = 1.0
            return pi
        weights = self.visits.astype(np.float64) ** (1.0 / temperature)
        pi[self.actions] = (weights / weights.sum()).astype(np.float32)
        return pi


@dataclass
class StepStats:
    """Counters of the search since the forest was made."""

    leaves: int = 0
    terminal: int = 0
    abandoned: int = 0
    full: int = 0
    network_calls: int = 0
    network_seconds: float = 0.0
    search_seconds: float = 0.0
    evaluated: int = 0  # positions sent to the network, summed over its calls
    largest_batch: int = 0

    @property
    def mean_batch(self) -> float:
        """Mean positions per network call (0 before the first)."""
        return self.evaluated / self.network_calls if self.network_calls else 0.0


class SearchForest:
    """One PUCT tree per game slot, searched together.

    Args:
        slots: number of game slots.
        size: board size.
        evaluator: the network (see ``engine.evaluator.Evaluator``).
        config: search settings.
        komi: komi for terminal positions in the trees.
        seed: seed of the Dirichlet noise.
    """

    def __init__(
        self,
        slots: int,
        size: int,
        evaluator: Evaluator,
        config: PUCTConfig | None = None,
        komi: float = 7.5,
        seed: int | None = None,
    ) -> None:
        if evaluator.size != size:
            raise ValueError(
                f"the network is for {evaluator.size}x{evaluator.size}, not {size}x{size}"
            )
        self.slots = slots
        self.size = size
        self.evaluator = evaluator
        self.config = config or PUCTConfig()
        self.komi = komi
        cap = self.config.capacity
        width = size + 2
        self.links = np.zeros((slots, 3, cap), dtype=np.int32)
        self.stats = np.zeros((slots, K.STAT_ROWS, cap), dtype=np.float32)
        self.tmeta = np.zeros((slots, 3), dtype=np.int64)
        self.roots = np.stack([P.new_state(size) for _ in range(slots)])
        self.history_len = max(1, evaluator.feature_config.history)
        self.hist = np.zeros((slots, self.history_len, width * width), dtype=np.int8)
        self.allowed = np.ones((slots, width * width), dtype=np.uint8)
        self.spare_links = np.zeros((3, cap), dtype=np.int32)
        self.spare_stats = np.zeros((K.STAT_ROWS, cap), dtype=np.float32)
        self.layout = evaluator.feature_config.layout()
        self.planes = evaluator.feature_config.num_planes
        self._rng = np.random.default_rng(seed)
        self.noise_pending = np.zeros(slots, dtype=bool)
        self.root_ownership: dict[int, np.ndarray] = {}
        self.gumbel = np.zeros(slots, dtype=np.bool_)
        self.root_mask = np.zeros((slots, width * width + 1), dtype=np.uint8)
        self.root_rank = np.zeros((slots, width * width + 1), dtype=np.float64)
        self.counters = StepStats()
        self._buffers(slots * self.config.leaves_per_step)
        for g in range(slots):
            K.reset_tree(self.links, self.stats, self.tmeta, g)

    def _buffers(self, batch: int) -> None:
        n = self.size
        width = n + 2
        self.batch_capacity = batch
        self.features = np.zeros((batch, self.planes, n, n), dtype=np.float32)
        self.leaf_game = np.zeros(batch, dtype=np.int64)
        self.leaf_path = np.zeros((batch, K.MAX_DEPTH), dtype=np.int64)
        self.leaf_depth = np.zeros(batch, dtype=np.int64)
        self.leaf_moves = np.zeros((batch, width * width + 1), dtype=np.int64)
        self.leaf_count = np.zeros(batch, dtype=np.int64)
        self.params = np.array(
            [
                self.config.c_puct,
                self.config.fpu_reduction,
                self.config.virtual_loss,
                self.komi,
                self.config.root_fpu_reduction,
            ],
            dtype=np.float64,
        )

    # -- positions --------------------------------------------------------------
    def set_position(self, g: int, game: Game, color: int | None = None) -> None:
        """Make slot ``g`` search ``game``'s current position (tree reset).

        ``color`` (default: the colour to move) is the side the search plays for.
        """
        board = game.board
        color = board.to_move if color is None else color
        ko = int(board.arrays.meta[BK.M_KO]) if color == board.to_move else -1
        P.load_position(self.roots[g], board.arrays.color, color, ko)
        self.roots[g][P.META, P.X_PASSES] = min(board.passes, 1)
        self.hist[g] = 0
        snapshots = [board] + [s for s in reversed(game._snapshots)]
        for t, snap in enumerate(snapshots[: self.history_len]):
            self.hist[g, t] = snap.arrays.color
        self._set_allowed(g, game, color)
        K.reset_tree(self.links, self.stats, self.tmeta, g)
        self.root_ownership.pop(g, None)

    def play(self, g: int, game: Game) -> bool:
        """Follow the move just played in ``game`` (already played there) in slot ``g``.

        Keeps the subtree under that move.  Returns True if a subtree was kept.
        """
        move = game.moves[-1]
        padded = coords.action_to_padded(move.action, self.size)
        self.root_ownership.pop(g, None)
        kept = bool(
            K.advance_root(
                self.links, self.stats, self.tmeta, g, padded, self.spare_links, self.spare_stats
            )
        )
        root = self.roots[g]
        if move.action == game.pass_action:
            P.pass_fast(root)
        else:
            P.play_fast(root, padded, move.color)
        root[P.META, P.X_TO_MOVE] = game.to_move
        root[P.META, P.X_KO] = int(game.board.arrays.meta[BK.M_KO])
        root[P.META, P.X_PASSES] = min(game.board.passes, 2)
        self.hist[g, 1:] = self.hist[g, :-1]
        self.hist[g, 0] = game.board.arrays.color
        self._set_allowed(g, game, game.to_move)
        return kept

    def _set_allowed(self, g: int, game: Game, color: int) -> None:
        mask = game.board.legal_mask(color)
        self.allowed[g] = 0
        padded = [coords.action_to_padded(int(a), self.size) for a in np.flatnonzero(mask[:-1])]
        self.allowed[g, padded] = 1

    def reset(self, g: int) -> None:
        """Forget slot ``g``'s tree."""
        K.reset_tree(self.links, self.stats, self.tmeta, g)
        self.root_ownership.pop(g, None)

    # -- search -----------------------------------------------------------------
    def root_visits(self) -> np.ndarray:
        """Return float (slots,) visits of each root."""
        roots = self.tmeta[:, K.T_ROOT]
        return self.stats[np.arange(self.slots), K.VISITS, roots].astype(np.float64)

    def step(self, active: np.ndarray, per_game: np.ndarray | None = None) -> int:
        """Run one round: descend, evaluate the new leaves in one batch, back up.

        Args:
            active: bool (slots,), the slots to search.
            per_game: int (slots,), simulations per slot this round (default
                ``leaves_per_step``).

        Returns:
            The number of leaves evaluated by the network.
        """
        if per_game is None:
            per_game = np.full(self.slots, self.config.leaves_per_step, dtype=np.int64)
        needed = int(per_game[active].sum())
        if needed > self.batch_capacity:
            self._buffers(needed)
        counters = np.zeros(3, dtype=np.int64)
        start = time.perf_counter()
        n = K.select_leaves(
            self.links,
            self.stats,
            self.tmeta,
            self.roots,
            self.hist,
            self.allowed,
            active.astype(np.bool_),
            per_game.astype(np.int64),
            self.params,
            self.layout,
            self.features,
            self.leaf_game,
            self.leaf_path,
            self.leaf_depth,
            self.leaf_moves,
            self.leaf_count,
            counters,
            self.gumbel,
            self.root_mask,
            self.root_rank,
        )
        selected = time.perf_counter()
        if n > 0:
            logits, values, ownership = self.evaluator.evaluate(self.features[:n])
            evaluated = time.perf_counter()
            areas = np.asarray(ownership, dtype=np.float32).reshape(n, -1).sum(axis=1)
            self._remember_root_ownership(n, ownership)
            full = K.expand_and_backup(
                self.links,
                self.stats,
                self.tmeta,
                n,
                self.leaf_game,
                self.leaf_path,
                self.leaf_depth,
                self.leaf_moves,
                self.leaf_count,
                np.ascontiguousarray(logits, dtype=np.float32),
                np.ascontiguousarray(values, dtype=np.float32),
                np.ascontiguousarray(areas, dtype=np.float32),
                self.size,
            )
            self.counters.full += int(full)
            self.counters.network_calls += 1
            self.counters.network_seconds += evaluated - selected
            self.counters.evaluated += n
            self.counters.largest_batch = max(self.counters.largest_batch, n)
        end = time.perf_counter()
        self.counters.search_seconds += (end - start) - ((evaluated - selected) if n > 0 else 0.0)
        self.counters.leaves += int(counters[0])
        self.counters.terminal += int(counters[1])
        self.counters.abandoned += int(counters[2])
        self._apply_pending_noise()
        return n

    def _remember_root_ownership(self, n: int, ownership: np.ndarray) -> None:
        """Keep the network's ownership map (side to move's view) of evaluated roots."""
        for b in np.flatnonzero(self.leaf_depth[:n] == 0):
            self.root_ownership[int(self.leaf_game[b])] = ownership[b]

    def request_noise(self, g: int) -> None:
        """Mix Dirichlet noise into slot ``g``'s root priors (now, or once it is expanded)."""
        self.noise_pending[g] = True
        self._apply_pending_noise()

    def _apply_pending_noise(self) -> None:
        for g in np.flatnonzero(self.noise_pending):
            root = int(self.tmeta[g, K.T_ROOT])
            count = int(self.links[g, K.COUNT, root])
            if self.links[g, K.FIRST, root] < 0 or count <= 0:
                continue
            noise = self._rng.dirichlet(np.full(count, self.config.alpha(self.size)))
            K.add_root_noise(
                self.links, self.stats, self.tmeta, int(g), noise, self.config.dirichlet_epsilon
            )
            self.noise_pending[g] = False

    def search(
        self,
        active: np.ndarray,
        visits: np.ndarray,
        deadline: float | None = None,
        stop: Flag | None = None,
    ) -> None:
        """Step until every active slot's root has ``visits[g]`` visits, the deadline
        passes or ``stop`` is set (checked between network batches)."""
        active = active.copy()
        stalls = np.zeros(self.slots, dtype=np.int64)
        while stop is None or not stop.is_set():
            current = self.root_visits()
            remaining = visits - current
            active &= remaining > 0
            if not active.any():
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            per_game = np.clip(remaining, 1, self.config.leaves_per_step).astype(np.int64)
            self.step(active, per_game)
            after = self.root_visits()
            stalls = np.where(active & (after <= current), stalls + 1, 0)
            active &= stalls < 50  # a slot whose tree can grow no more stops

    def root_stats(self, g: int) -> RootStats:
        """Return the root statistics of slot ``g``."""
        out = np.zeros((self.size * self.size + 1, 6), dtype=np.float64)
        n = K.root_children(self.links, self.stats, self.tmeta, g, out)
        rows = out[:n]
        actions = np.array(
            [coords.padded_to_action(int(p), self.size) for p in rows[:, 0]], dtype=np.int64
        )
        visits = rows[:, 1]
        q = np.divide(rows[:, 2], visits, out=np.zeros_like(visits), where=visits > 0)
        root = int(self.tmeta[g, K.T_ROOT])
        root_visits = float(self.stats[g, K.VISITS, root])
        value = -float(self.stats[g, K.VALUE, root]) / root_visits if root_visits > 0 else 0.0
        net_value = float(self.stats[g, K.NET_VALUE, root])
        return RootStats(
            actions,
            visits,
            q,
            rows[:, 3].copy(),
            value,
            int(root_visits),
            net_value,
            rows[:, 4].copy(),
        )

    def candidate_lines(self, g: int, length: int = 24) -> dict[int, list[int]]:
        """Return, for each visited root child of slot ``g``, its move and the most
        visited line below it (flat actions), keyed by the child's action."""
        root = int(self.tmeta[g, K.T_ROOT])
        first = int(self.links[g, K.FIRST, root])
        out: dict[int, list[int]] = {}
        if first < 0:
            return out
        line = np.zeros(length, dtype=np.int64)
        for child in range(first, first + int(self.links[g, K.COUNT, root])):
            if self.stats[g, K.VISITS, child] <= 0:
                continue
            n = line_from(self.links[g], self.stats[g], child, line)
            actions = [coords.padded_to_action(int(p), self.size) for p in line[:n]]
            out[actions[0]] = actions
        return out

    def principal_variation(self, g: int, length: int = 32) -> list[int]:
        """Return the most visited line from slot ``g``'s root (flat actions)."""
        root = int(self.tmeta[g, K.T_ROOT])
        first = int(self.links[g, K.FIRST, root])
        count = int(self.links[g, K.COUNT, root])
        if first < 0 or count <= 0:
            return []
        visits = self.stats[g, K.VISITS, first : first + count]
        if visits.max() <= 0:
            return []
        line = np.zeros(length, dtype=np.int64)
        n = line_from(self.links[g], self.stats[g], first + int(np.argmax(visits)), line)
        return [coords.padded_to_action(int(p), self.size) for p in line[:n]]


class PUCTPlayer:
    """The network player (``--player net``): PUCT search guided by an evaluator.

    Args:
        evaluator: the network.
        config: search settings.
        budget: default visits and/or seconds per move.
    """

    name = "net"

    def __init__(
        self, evaluator: Evaluator, config: PUCTConfig | None = None, budget: Budget | None = None
    ) -> None:
        self.evaluator = evaluator
        self.config = config or PUCTConfig()
        self.budget = budget or Budget(playouts=400)
        self.forest: SearchForest | None = None
        self._synced: tuple[list[tuple[int, int]], int] | None = None
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask a running search to finish after the current network batch (thread-safe)."""
        self._stop.set()

    def reset(self) -> None:
        """Forget the search tree."""
        self._synced = None
        if self.forest is not None:
            self.forest.reset(0)

    def search_stats(self) -> dict[str, float]:
        """Counters of every search since the player was made: simulations (network
        leaves and terminal backups), network calls, mean and largest batch, and
        descents abandoned because they met a leaf already waiting for the network."""
        counters = self.forest.counters if self.forest is not None else StepStats()
        return {
            "simulations": counters.leaves + counters.terminal,
            "network_calls": counters.network_calls,
            "evaluated": counters.evaluated,
            "mean_batch": round(counters.mean_batch, 2),
            "largest_batch": counters.largest_batch,
            "collisions": counters.abandoned,
            "network_seconds": round(counters.network_seconds, 3),
        }

    def genmove(
        self, game: Game, color: int, budget: Budget | None = None, cleanup: bool = False
    ) -> Decision:
        """Search and return the move for ``color``."""
        budget = budget or self.budget
        self._ensure_forest(game)
        forest = self.forest
        assert forest is not None
        self._sync(game, color)
        if budget.playouts is None and budget.seconds is None:
            budget = Budget(playouts=400)
        # the root's visits, reused ones included, count towards the budget
        target = float(budget.playouts) if budget.playouts is not None else float("inf")
        deadline = None if budget.seconds is None else time.monotonic() + budget.seconds
        self._stop.clear()
        forest.search(np.array([True]), np.array([target]), deadline, self._stop)
        self._synced = ([(m.color, m.action) for m in game.moves], color)
        return self._decide(game, color)

    def analyze(
        self,
        game: Game,
        color: int,
        report: Callable[[AnalysisSnapshot], bool],
        interval: float = 0.1,
        budget: Budget | None = None,
        stop: threading.Event | None = None,
    ) -> Decision:
        """Search like ``genmove``, reporting snapshots (see ``engine.analysis``)."""
        self._ensure_forest(game)
        forest = self.forest
        assert forest is not None
        self._sync(game, color)
        target = float("inf")
        deadline = None
        if budget is not None:
            target = float(budget.playouts) if budget.playouts is not None else target
            deadline = None if budget.seconds is None else time.monotonic() + budget.seconds
        active = np.array([True])
        keep_going = True
        self._stop.clear()
        halt = _Either(self._stop, stop)
        while keep_going:
            next_report = time.monotonic() + interval
            limit = next_report if deadline is None else min(next_report, deadline)
            before = forest.root_visits()[0]
            forest.search(active, np.array([target]), limit, halt)
            now_visits = forest.root_visits()[0]
            done = now_visits >= target or (deadline is not None and time.monotonic() >= deadline)
            stalled = now_visits <= before and time.monotonic() < limit
            if halt.is_set():
                done = True
            keep_going = bool(report(self.snapshot(game, color))) and not done and not stalled
        self._synced = ([(m.color, m.action) for m in game.moves], color)
        return self._decide(game, color)

    def snapshot(self, game: Game, color: int) -> AnalysisSnapshot:
        """Return what the search of the current position thinks now."""
        forest = self.forest
        assert forest is not None
        stats = forest.root_stats(0)
        komi = game.komi if color == WHITE else -game.komi
        lines = forest.candidate_lines(0)
        candidates = []
        for j in np.argsort(-stats.visits, kind="stable"):
            visits = float(stats.visits[j])
            if visits <= 0:
                continue
            action = int(stats.actions[j])
            winrate = (float(stats.q[j]) + 1.0) / 2.0
            area = float(stats.areas[j]) if stats.areas is not None else None
            candidates.append(
                Candidate(
                    action=action,
                    visits=int(visits),
                    winrate=winrate,
                    prior=float(stats.priors[j]),
                    lcb=lower_confidence_bound(winrate, visits),
                    pv=lines.get(action, [action]),
                    score_lead=None if area is None else area + komi,
                )
            )
        ownership = forest.root_ownership.get(0)
        if ownership is None and color == game.to_move:
            planes = features(game, self.evaluator.feature_config)[None]
            _, value, own = self.evaluator.evaluate(planes)
            ownership = own[0]
            forest.root_ownership[0] = ownership
        return AnalysisSnapshot(
            size=game.size,
            to_move=color,
            visits=stats.visits_total,
            winrate=(stats.value + 1.0) / 2.0,
            score_lead=stats.area + komi if stats.visits_total > 0 else None,
            candidates=candidates,
            ownership=None if ownership is None else np.asarray(ownership, dtype=np.float32),
        )

    def _ensure_forest(self, game: Game) -> None:
        if self.forest is None or self.forest.size != game.size or self.forest.komi != game.komi:
            self.forest = SearchForest(1, game.size, self.evaluator, self.config, game.komi)
            self._synced = None

    def _decide(self, game: Game, color: int) -> Decision:
        """Return the move of the current search (most visited legal), or resign."""
        forest = self.forest
        assert forest is not None
        stats = forest.root_stats(0)
        if len(stats.actions) == 0:
            return Decision(game.pass_action, visits=stats.visits_total)
        order = np.lexsort((-stats.priors, -stats.visits))
        action = game.pass_action
        for index in order:
            if game.board.is_legal(int(stats.actions[index]), color):
                action = int(stats.actions[index])
                break
        if action == game.pass_action and not _may_pass(game, color):
            action = _best_move_but_pass(game, color, stats.actions[order])
        winrate = (stats.value + 1.0) / 2.0
        threshold = self.config.resign_threshold
        if threshold > 0 and winrate < threshold and stats.visits_total >= 50:
            return Decision(RESIGN, winrate, stats.visits_total, {"stats": stats})
        return Decision(
            action,
            winrate,
            stats.visits_total,
            {"stats": stats, "pv": forest.principal_variation(0)},
        )

    def _sync(self, game: Game, color: int) -> None:
        """Re-root the tree on ``game``'s position, reusing the subtree when possible."""
        forest = self.forest
        assert forest is not None
        moves = [(m.color, m.action) for m in game.moves]
        if self._synced is not None:
            old_moves, old_color = self._synced
            if moves == old_moves and color == old_color:
                return  # same position, same side: search on in the same tree
            if (
                color == game.to_move
                and moves[: len(old_moves)] == old_moves
                and 0 < len(moves) - len(old_moves) <= 2
            ):
                for k in range(len(old_moves), len(moves)):
                    forest.play(0, _truncated(game, k + 1))
                return
        forest.set_position(0, game, color)


def _may_pass(game: Game, color: int) -> bool:
    """Whether the player may pass: the board counted strictly as it stands already wins
    for ``color``, or every legal move would fill one of its own eyes.

    A value head trained in self-play can see every move as lost (e.g. white on 7x7 at
    komi 7.5, which loses with perfect play) and then the search rates a pass as well
    as anything; against a fallible opponent that throws the game away (measured: a
    7x7 network passed and lost three of ten games to the random player).  Self-play
    does not use this rule (both sides are the network there).
    """
    score = game.tromp_taylor_score()
    if score != 0 and (score > 0) == (color == BLACK):
        return True
    legal = game.board.legal_mask(color)
    return not any(
        not game.board.fills_own_eye(int(a), color) for a in np.flatnonzero(legal[:-1])
    )


def _best_move_but_pass(game: Game, color: int, ranked: np.ndarray) -> int:
    """The first legal move of ``ranked`` that is not a pass and does not fill an own
    eye; else any such legal move; else pass."""
    for action in ranked:
        a = int(action)
        if (
            a != game.pass_action
            and game.board.is_legal(a, color)
            and not game.board.fills_own_eye(a, color)
        ):
            return a
    legal = game.board.legal_mask(color)
    for point in np.flatnonzero(legal[:-1]):
        if not game.board.fills_own_eye(int(point), color):
            return int(point)
    return game.pass_action


class Flag(Protocol):
    """Anything with ``is_set()``, like a ``threading.Event``."""

    def is_set(self) -> bool: ...


class _Either:
    """Looks like a ``threading.Event`` that is set when either of two events is."""

    def __init__(self, first: threading.Event, second: threading.Event | None) -> None:
        self._events = [e for e in (first, second) if e is not None]

    def is_set(self) -> bool:
        return any(e.is_set() for e in self._events)


def _truncated(game: Game, n_moves: int) -> Game:
    """Return a view of ``game`` after its first ``n_moves`` moves (shares no state)."""
    if n_moves == len(game.moves):
        return game
    other = Game(game.size, game.komi, game.rules)
    other.board = game._snapshots[n_moves]
    other.moves = list(game.moves[:n_moves])
    other._snapshots = list(game._snapshots[:n_moves])
    return other
