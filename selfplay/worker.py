"""The self-play worker: a network in, finished games out (as shards).

One worker plays ``slots`` games at once against itself with the batched PUCT search
of ``engine.puct`` (each network call evaluates leaves of all its games), and writes
every finished game to its journal (fsynced) and every ``games_per_shard`` finished
games as one shard (``selfplay.journal``, ``selfplay.shards``).  It needs
nothing but an ``Evaluator`` and a folder, so it can run in a process of its own, or
later as a Ray actor.

AlphaGo Zero's recipe, with its knobs:

* the first ``random_moves`` plies are sampled in proportion to the root visit counts
  (temperature 1), the rest take the most visited move;
* Dirichlet noise on the root priors of every full search;
* resignation below ``resign_threshold`` (win rate of the root value), disabled in a
  ``no_resign_fraction`` of the games; on those the false-positive rate (the side that
  would have resigned went on to win) is measured so the threshold can be calibrated;
* playout cap randomisation (KataGo, optional): a move gets the full search with
  probability ``full_search_prob``, otherwise a cheap ``fast_visits`` search that is
  neither noised nor used as a policy target;
* Gumbel root selection (optional, ``gumbel``): sequential halving with Gumbel noise
  over ``gumbel.simulations`` simulations replaces visit counting and root noise; the
  move is the one it selects and the policy target is its completed-Q improved policy
  (``engine.gumbel``).  The Gumbel noise makes every move stochastic, so
  ``random_moves`` does not apply.

Principal variations (optional, ``record_pv``): each move whose search was a full one
of at least ``pv_min_visits`` root visits also stores the search's most visited line
from the root, up to ``pv_length`` moves (``SearchForest.principal_variation``), for
the sequence models of ``zerogo.pv_model``.  Off, nothing is read from the trees and
the shards are exactly as without the option.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.board import BLACK, WHITE
from engine.evaluator import Evaluator
from engine.game import Game
from engine.gumbel import GumbelConfig, SequentialHalving, improved_policy
from engine.puct import PUCTConfig, SearchForest
from engine.scoring import final_position
from selfplay.journal import JOURNAL_PREFIX, JOURNAL_SUFFIX, GameJournal
from selfplay.shards import GameRecord


@dataclass(frozen=True)
class SelfPlayConfig:
    """Settings of self-play.

    Attributes:
        size: board size.
        komi: komi.
        slots: games played at once by one worker.
        visits: root visits of a full search (reused visits count).
        random_moves: plies sampled with temperature 1 at the start of each game.
        resign_threshold: resign when the root win rate is below this (0: never).
        no_resign_fraction: fraction of games played out without resignation.
        resign_after: no resignation before this many plies.
        max_moves: plies after which a game is stopped and scored (None: 2 N^2).
        full_search_prob: probability of a full search (1.0: no playout cap
            randomisation).
        fast_visits: visits of a cheap search.
        games_per_shard: finished games per shard file.
        scoring_playouts: playouts of the dead-stone estimate at the end of a game.
        search: PUCT settings.
        gumbel: Gumbel root selection settings, or None for AlphaGo Zero's scheme.
        record_pv: store each full search's principal variation with the game.
        pv_length: most moves of a stored principal variation.
        pv_min_visits: root visits a search needs for its PV to be stored (shallower
            searches store an empty PV).
    """

    size: int = 9
    komi: float = 7.5
    slots: int = 32
    visits: int = 100
    random_moves: int = 30
    resign_threshold: float = 0.05
    no_resign_fraction: float = 0.1
    resign_after: int = 20
    max_moves: int | None = None
    full_search_prob: float = 1.0
    fast_visits: int = 20
    games_per_shard: int = 32
    scoring_playouts: int = 400
    search: PUCTConfig = field(default_factory=lambda: PUCTConfig(capacity=50_000))
    gumbel: GumbelConfig | None = None
    record_pv: bool = False
    pv_length: int = 16
    pv_min_visits: int = 400

    def __post_init__(self) -> None:
        if self.slots < 1 or self.visits < 1 or self.games_per_shard < 1:
            raise ValueError("slots, visits and games_per_shard must be positive")
        if not 0.0 <= self.full_search_prob <= 1.0:
            raise ValueError("full_search_prob must be a probability")
        if not 0.0 <= self.no_resign_fraction <= 1.0:
            raise ValueError("no_resign_fraction must be a probability")
        if self.random_moves < 0:
            raise ValueError("random_moves must be non-negative")
        if self.pv_length < 1 or self.pv_min_visits < 1:
            raise ValueError("pv_length and pv_min_visits must be positive")

    @property
    def move_cap(self) -> int:
        return self.max_moves if self.max_moves is not None else 2 * self.size * self.size

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class ResignStats:
    """Resignation calibration on the games where resignation was disabled.

    ``would_resign`` counts no-resign games in which some side fell below the
    threshold; ``false_positives`` those in which that side still won.
    """

    no_resign_games: int = 0
    would_resign: int = 0
    false_positives: int = 0
    winner_min_winrates: list[float] = field(default_factory=list)
    """Per scored no-resign game with a winner: the lowest root win rate the eventual
    winner saw on its own moves from ``resign_after`` on (1.0 if none).  A threshold
    above it would have resigned a won game: ``calibrate_resign_threshold`` uses this."""

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.would_resign if self.would_resign else 0.0


@dataclass
class _Slot:
    game: Game
    game_id: int
    no_resign: bool
    full_search: bool = True
    policies: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    targets: list[bool] = field(default_factory=list)
    root_values: list[float] = field(default_factory=list)
    pvs: list[list[int]] = field(default_factory=list)
    would_resign: int = 0  # colour that fell below the threshold first (no-resign games)


class SelfPlayWorker:
    """Plays ``config.slots`` games at once and writes shards into ``out_dir``.

    Args:
        evaluator: the network that plays.
        config: self-play settings.
        out_dir: folder for the shards.
        worker_id: distinguishes the shard names of concurrent workers.
        seed: random seed.
    """

    def __init__(
        self,
        evaluator: Evaluator,
        config: SelfPlayConfig,
        out_dir: str | os.PathLike[str],
        worker_id: int = 0,
        seed: int | None = None,
    ) -> None:
        self.evaluator = evaluator
        self.config = config
        self.out_dir = Path(out_dir)
        self.worker_id = worker_id
        self.rng = np.random.default_rng(seed)
        self.forest = SearchForest(
            config.slots,
            config.size,
            evaluator,
            config.search,
            config.komi,
            seed=int(self.rng.integers(2**31)),
        )
        self.halving = (
            SequentialHalving(self.forest, config.gumbel, self.rng) if config.gumbel else None
        )
        self.journal: GameJournal | None = None  # the open journal of finished games
        self.finished_games = 0
        self.positions = 0
        self.moves_played = 0  # finished and unfinished games
        self.shards_written: list[Path] = []
        self.resign = ResignStats()
        self.started_games = 0
        self.quota: int | None = None  # games to start in this run (None: no limit)
        # games start in ``run``, where the quota is known
        self.slots: list[_Slot | None] = [None] * config.slots

    # -- games ------------------------------------------------------------------
    def _new_slot(self, g: int) -> _Slot | None:
        """Start a new game in slot ``g``, or leave it idle when the quota is started."""
        if self.quota is not None and self.started_games >= self.quota:
            return None
        self.started_games += 1
        game = Game(self.config.size, self.config.komi)
        slot = _Slot(
            game=game,
            game_id=int(self.rng.integers(1, 2**62)),
            no_resign=bool(self.rng.random() < self.config.no_resign_fraction),
        )
        self.forest.set_position(g, game)
        self._start_move(g, slot)
        return slot

    def _start_move(self, g: int, slot: _Slot) -> None:
        if self.halving is not None:
            slot.full_search = True
            self.halving.reset(g)
            return
        slot.full_search = bool(self.rng.random() < self.config.full_search_prob)
        if slot.full_search:
            self.forest.request_noise(g)

    def _target(self, slot: _Slot | None) -> float:
        if slot is None:
            return 0.0
        return float(self.config.visits if slot.full_search else self.config.fast_visits)

    def run(
        self,
        games: int | None = None,
        seconds: float | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> int:
        """Play until ``games`` more games finish, ``seconds`` pass or ``stop()`` is true.

        With ``games`` set, no new game is started once enough are under way, so the
        run ends with every slot's game finished (nothing thrown away).  Each finished
        game is fsynced to the worker's journal before it counts; journals become
        shards of ``games_per_shard`` games, the remainder at the end.  Games still in
        flight at a time or ``stop()`` limit are dropped.
        Returns the number of games finished.
        """
        start_games = self.finished_games
        deadline = None if seconds is None else time.monotonic() + seconds
        in_flight = sum(slot is not None for slot in self.slots)
        self.quota = None if games is None else self.started_games - in_flight + games
        for g, slot in enumerate(self.slots):
            if slot is None:
                self.slots[g] = self._new_slot(g)
        while True:
            if games is not None and self.finished_games - start_games >= games:
                break
            if all(slot is None for slot in self.slots):
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            if stop is not None and stop():
                break
            per_game = self._ready_and_requests()
            active = per_game > 0
            if active.any():
                self.forest.step(active, per_game)
        self.flush()
        return self.finished_games - start_games

    def _ready_and_requests(self) -> np.ndarray:
        """Play the moves whose search is complete; return the simulations each slot
        wants in the next step."""
        lps = self.config.search.leaves_per_step
        halving = self.halving
        if halving is None:
            targets = np.array([self._target(s) for s in self.slots])
            for index in np.flatnonzero((self.forest.root_visits() >= targets) & (targets > 0)):
                self._move(int(index))
            targets = np.array([self._target(s) for s in self.slots])  # moves changed them
            need = np.maximum(targets - self.forest.root_visits(), 0)
            return np.clip(need, 0, lps).astype(np.int64)
        visits = self.forest.root_visits()
        for g in range(self.config.slots):
            if self.slots[g] is None:
                continue
            if not halving.started[g]:
                if visits[g] > 0:
                    halving.begin(g)
            else:
                halving.update(g)
            if halving.started[g] and halving.done(g):
                self._move(g)
        requests = halving.requests()
        visits = self.forest.root_visits()
        idle = np.array([slot is None for slot in self.slots])
        requests[~halving.started & (visits == 0) & ~idle] = 1  # expand the root first
        requests[idle] = 0
        return np.clip(requests, 0, lps).astype(np.int64)

    def _move(self, g: int) -> None:
        slot = self.slots[g]
        if slot is None:
            return
        game = slot.game
        stats = self.forest.root_stats(g)
        ply = len(game.moves)
        if len(stats.actions) == 0:
            action = game.pass_action
            policy = (np.array([action], dtype=np.int16), np.array([1.0], dtype=np.float32))
        elif self.halving is not None:
            action = self.halving.choose(g)
            pi = improved_policy(stats, self.config.size, self.halving.config)
            keep = np.flatnonzero(pi > 1e-6)
            policy = (keep.astype(np.int16), (pi[keep] / pi[keep].sum()).astype(np.float32))
        else:
            visits = stats.visits
            total = visits.sum()
            probs: np.ndarray = (
                visits / total if total > 0 else np.full(len(visits), 1 / len(visits))
            )
            nonzero = probs > 0
            policy = (stats.actions[nonzero].astype(np.int16), probs[nonzero].astype(np.float32))
            if ply < self.config.random_moves:
                action = int(self.rng.choice(stats.actions, p=probs))
            else:
                action = stats.best()
        if not game.board.is_legal(action):
            action = game.pass_action
        winrate = (stats.value + 1.0) / 2.0
        color = game.to_move
        if self._resigns(slot, winrate, ply, color):
            self._finish(g, resigned_by=color)
            return
        slot.policies.append(policy)
        slot.targets.append(slot.full_search)
        slot.root_values.append(float(stats.value))
        if self.config.record_pv:
            slot.pvs.append(self._principal_variation(g, slot, stats.visits_total))
        game.play(action)
        self.moves_played += 1
        if game.is_over or len(game.moves) >= self.config.move_cap:
            self._finish(g)
            return
        self.forest.play(g, game)
        self._start_move(g, slot)

    def _principal_variation(self, g: int, slot: _Slot, visits: int) -> list[int]:
        """Return slot ``g``'s searched line, or [] for a search too small to keep."""
        if not slot.full_search or visits < self.config.pv_min_visits:
            return []
        return self.forest.principal_variation(g, self.config.pv_length)

    def _resigns(self, slot: _Slot, winrate: float, ply: int, color: int) -> bool:
        threshold = self.config.resign_threshold
        if threshold <= 0 or ply < self.config.resign_after or winrate >= threshold:
            return False
        if slot.no_resign:
            if slot.would_resign == 0:
                slot.would_resign = color
            return False
        return True

    def _finish(self, g: int, resigned_by: int = 0) -> None:
        slot = self.slots[g]
        assert slot is not None
        game = slot.game
        if resigned_by:
            winner = WHITE if resigned_by == BLACK else BLACK
            result = 1.0 if winner == BLACK else -1.0
            score = float("nan")
            ownership = None
        else:
            final = final_position(game, playouts=self.config.scoring_playouts, seed=g)
            score = final.score
            result = float(np.sign(score))
            winner = BLACK if result > 0 else WHITE if result < 0 else 0
            ownership = np.where(final.owner == BLACK, 1, np.where(final.owner == WHITE, -1, 0))
            ownership = ownership.astype(np.int8).reshape(-1)
        if slot.no_resign:
            self.resign.no_resign_games += 1
            if winner:
                self.resign.winner_min_winrates.append(
                    _lowest_winrate(game, slot.root_values, winner, self.config.resign_after)
                )
            if slot.would_resign:
                self.resign.would_resign += 1
                if slot.would_resign == winner:
                    self.resign.false_positives += 1
        record = GameRecord(
            game_id=slot.game_id,
            size=self.config.size,
            komi=self.config.komi,
            network=self.evaluator.name,
            moves=[m.action for m in game.moves],
            policies=slot.policies,
            policy_target=slot.targets,
            root_values=slot.root_values,
            result=result,
            score=score,
            resigned=bool(resigned_by),
            no_resign=slot.no_resign,
            ownership=ownership,
            pvs=slot.pvs if self.config.record_pv else None,
        )
        if self.journal is None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            tag = f"{stamp}-w{self.worker_id:02d}-{self.rng.integers(16**6):06x}"
            self.journal = GameJournal(self.out_dir / f"{JOURNAL_PREFIX}{tag}{JOURNAL_SUFFIX}")
        self.journal.append(record)  # durable from here on
        self.finished_games += 1
        self.positions += len(record.moves)
        _report_finished(record.game_id)
        if len(self.journal.games) >= self.config.games_per_shard:
            self.flush()
        self.slots[g] = self._new_slot(g)

    @property
    def pending(self) -> list[GameRecord]:
        """Finished games in the open journal, not yet in a shard."""
        return [] if self.journal is None else list(self.journal.games)

    def flush(self) -> Path | None:
        """Compact the open journal into one shard; return its path (None: no games)."""
        journal, self.journal = self.journal, None
        if journal is None:
            return None
        games = list(journal.games)
        path = journal.compact()
        if path is None:
            return None
        self.shards_written.append(path)
        self._log_lineage(path, games)
        return path

    def _log_lineage(self, path: Path, games: list[GameRecord]) -> None:
        entry = {
            "shard": path.name,
            "networks": sorted({g.network for g in games}),
            "games": len(games),
            "positions": int(sum(len(g.moves) for g in games)),
            "worker": self.worker_id,
            "time": time.time(),
        }
        with open(self.out_dir / "lineage.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


FINISHED_LOG_ENV = "ZEROGO_FINISHED_LOG"
"""Fault-injection tests: a file where each worker appends the id of every game it has
made durable, as it reports it finished (unset in normal use)."""


def _report_finished(game_id: int) -> None:
    path = os.environ.get(FINISHED_LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{game_id}\n")


def _lowest_winrate(game: Game, root_values: list[float], color: int, start: int) -> float:
    """The lowest root win rate ``color`` saw on its own moves from ply ``start`` on."""
    rates = [
        (value + 1.0) / 2.0
        for ply, (move, value) in enumerate(zip(game.moves, root_values, strict=False))
        if ply >= start and move.color == color
    ]
    return min(rates, default=1.0)


def calibrate_resign_threshold(
    winner_min_winrates: list[float],
    target: float = 0.05,
    ceiling: float = 0.2,
    min_games: int = 50,
    step: float = 0.005,
) -> float | None:
    """The resignation threshold that keeps false positives at most ``target``, as in
    AlphaGo Zero: the highest threshold (a multiple of ``step``, at most ``ceiling``)
    below which at most a ``target`` fraction of the no-resign games' winners ever fell.

    This bounds the false-positive rate from above (a winner that fell below only after
    its opponent did would not really have resigned).  Returns None with fewer than
    ``min_games`` calibration games.
    """
    if len(winner_min_winrates) < min_games:
        return None
    lows = np.sort(np.asarray(winner_min_winrates, dtype=np.float64))
    best = 0.0
    for t in np.arange(step, ceiling + step / 2, step):
        if np.searchsorted(lows, t, side="left") / len(lows) <= target:
            best = float(t)
        else:
            break
    return round(best, 6)
