"""The self-play worker (selfplay.worker): quotas, legal games, targets, resignation.

Every test plays a few short games on 5x5 or 7x7 with a handful of visits; the
games are read back from the shards the worker wrote and replayed on
``engine.game.Game``, which is the referee for legality.  Where a test needs to see
the search behind a move, it wraps ``SelfPlayWorker._move`` to look at the root
statistics just before the worker uses them.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.evaluator import Evaluator, UniformEvaluator
from engine.game import Game
from engine.gumbel import GumbelConfig
from engine.puct import PUCTConfig, SearchForest
from selfplay.shards import game_policy, list_shards, read_shard
from selfplay.worker import SelfPlayConfig, SelfPlayWorker, calibrate_resign_threshold
from tests.engine.test_puct import MaterialEvaluator

SEARCH = PUCTConfig(capacity=2000, leaves_per_step=4)


def config(**overrides: Any) -> SelfPlayConfig:
    """A small self-play config: 5x5, 3 slots, 8 visits, no resignation."""
    base = SelfPlayConfig(
        size=5,
        komi=0.5,
        slots=3,
        visits=8,
        random_moves=4,
        resign_threshold=0.0,
        games_per_shard=2,
        scoring_playouts=20,
        search=SEARCH,
    )
    return dataclasses.replace(base, **overrides)


def read_games(directory: Path) -> list[dict[str, Any]]:
    """Return every game of every shard in ``directory``, fields by name."""
    games = []
    for path in list_shards(directory):
        arrays = read_shard(path)
        offsets = arrays["game_offsets"]
        for g in range(len(arrays["game_ids"])):
            lo, hi = int(offsets[g]), int(offsets[g + 1])
            size = int(arrays["size"][g])
            games.append(
                {
                    "shard": path.name,
                    "id": int(arrays["game_ids"][g]),
                    "size": size,
                    "komi": float(arrays["komi"][g]),
                    "network": str(arrays["network"][g]),
                    "moves": [int(m) for m in arrays["moves"][lo:hi]],
                    "policies": [game_policy(arrays, p, size) for p in range(lo, hi)],
                    "targets": [bool(t) for t in arrays["policy_target"][lo:hi]],
                    "root_values": arrays["root_value"][lo:hi].tolist(),
                    "result": float(arrays["result"][g]),
                    "score": float(arrays["score"][g]),
                    "resigned": bool(arrays["resigned"][g]),
                    "no_resign": bool(arrays["no_resign"][g]),
                    "ownership": arrays["ownership"][g],
                    "ownership_valid": bool(arrays["ownership_valid"][g]),
                }
            )
    return games


def legal_masks(game: dict[str, Any]) -> tuple[list[np.ndarray], Game]:
    """Replay a stored game on ``Game`` (raises on an illegal move); return the legal
    moves of every position and the final game."""
    replay = Game(game["size"], game["komi"])
    masks = []
    for action in game["moves"]:
        masks.append(replay.board.legal_mask())
        replay.play(action)
    return masks, replay


def play(
    tmp_path: Path, evaluator: Evaluator, cfg: SelfPlayConfig, games: int, seed: int = 1
) -> tuple[SelfPlayWorker, list[dict[str, Any]]]:
    worker = SelfPlayWorker(evaluator, cfg, tmp_path, seed=seed)
    assert worker.run(games=games) == games
    return worker, read_games(tmp_path)


@pytest.fixture
def seen_roots(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[int, int], Any]:
    """Root statistics of every move decision, by (game id, ply)."""
    seen: dict[tuple[int, int], Any] = {}
    original = SelfPlayWorker._move

    def move(self: SelfPlayWorker, g: int) -> None:
        slot = self.slots[g]
        if slot is not None:
            seen[(slot.game_id, len(slot.game.moves))] = self.forest.root_stats(g)
        original(self, g)

    monkeypatch.setattr(SelfPlayWorker, "_move", move)
    return seen


@pytest.fixture
def start_visits(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[int, int], float]:
    """Root visits when the search of each move starts (reused subtree), by (game id, ply)."""
    seen: dict[tuple[int, int], float] = {}
    original = SelfPlayWorker._start_move

    def start_move(self: SelfPlayWorker, g: int, slot: Any) -> None:
        seen[(slot.game_id, len(slot.game.moves))] = float(self.forest.root_visits()[g])
        original(self, g, slot)

    monkeypatch.setattr(SelfPlayWorker, "_start_move", start_move)
    return seen


# -- quotas ----------------------------------------------------------------------------
def test_run_finishes_exactly_the_quota_and_writes_it(tmp_path: Path) -> None:
    worker, games = play(tmp_path, UniformEvaluator(5), config(), games=7)
    assert worker.started_games == worker.finished_games == 7
    assert all(slot is None for slot in worker.slots)  # every slot drained
    assert len(games) == 7 and len({g["id"] for g in games}) == 7
    shard_sizes = sorted(len(read_shard(p)["game_ids"]) for p in list_shards(tmp_path))
    assert shard_sizes == [1, 2, 2, 2]  # games_per_shard = 2, the remainder at the end
    assert worker.positions == sum(len(g["moves"]) for g in games)

    # a second run starts new games for its own quota only
    assert worker.run(games=2) == 2
    assert worker.started_games == worker.finished_games == 9
    assert len(read_games(tmp_path)) == 9


def test_quota_smaller_than_the_slots_is_exact(tmp_path: Path) -> None:
    # 4 slots, 2 games wanted.  All games stop at the move cap on the same step, so
    # a worker that starts a game in every slot before it knows the quota finishes
    # (and writes) 4 games instead of 2.
    cfg = config(slots=4, max_moves=6)
    worker = SelfPlayWorker(UniformEvaluator(5), cfg, tmp_path, seed=1)
    finished = worker.run(games=2)
    assert (finished, worker.started_games, len(read_games(tmp_path))) == (2, 2, 2)


def test_stop_drops_games_in_flight_and_writes_the_finished(tmp_path: Path) -> None:
    worker = SelfPlayWorker(UniformEvaluator(5), config(slots=3), tmp_path, seed=4)
    finished = worker.run(stop=lambda: worker.finished_games >= 1)
    games = read_games(tmp_path)
    assert finished == worker.finished_games == len(games) >= 1
    assert worker.started_games > finished  # the new games in flight were not written


# -- games and policy targets -----------------------------------------------------------
@pytest.mark.parametrize(
    "evaluator, size",
    [(UniformEvaluator(5), 5), (MaterialEvaluator(7), 7)],
    ids=["uniform-5", "material-7"],
)
def test_games_replay_legally_and_pi_covers_legal_moves(
    tmp_path: Path, evaluator: Evaluator, size: int
) -> None:
    cfg = config(size=size, slots=2, visits=12, random_moves=6)
    _, games = play(tmp_path, evaluator, cfg, games=3, seed=2)
    assert len(games) == 3
    for game in games:
        assert game["network"] == evaluator.name and game["size"] == size
        masks, replay = legal_masks(game)
        # the game ends with two passes or at the move cap (no resignation here)
        assert replay.is_over or len(game["moves"]) == cfg.move_cap
        for mask, pi, value in zip(masks, game["policies"], game["root_values"], strict=True):
            assert pi.sum() == pytest.approx(1.0, abs=1e-3)  # float16 in the shard
            assert np.all(pi >= 0)
            assert not np.any(pi[~mask]), "π on an illegal move"
            assert -1.0 <= value <= 1.0
        assert all(game["targets"])  # full_search_prob = 1: every position is a target


def test_policy_target_is_false_exactly_on_cheap_searches(
    tmp_path: Path, seen_roots: dict[tuple[int, int], Any]
) -> None:
    # the uniform evaluator gives equal priors: only the Dirichlet noise of a full
    # search makes them differ, so the root priors tell which searches were full
    cfg = config(visits=12, fast_visits=4, full_search_prob=0.5)
    _, games = play(tmp_path, UniformEvaluator(5), cfg, games=4, seed=5)
    flags = []
    for game in games:
        for ply, target in enumerate(game["targets"]):
            stats = seen_roots[(game["id"], ply)]
            if len(stats.actions) < 2:
                continue  # noise cannot show on a single child
            noised = bool(np.ptp(stats.priors) > 0)
            assert target == noised, f"ply {ply}: target {target}, priors {stats.priors}"
            flags.append(target)
    assert 0.3 < np.mean(flags) < 0.7  # a mix, about half full searches


def test_each_search_spends_its_own_budget(
    tmp_path: Path,
    seen_roots: dict[tuple[int, int], Any],
    start_visits: dict[tuple[int, int], float],
) -> None:
    # a full search stops at 12 root visits, a cheap one at 4, or at once when the
    # reused subtree already has that many; visits are added one per simulation
    cfg = config(visits=12, fast_visits=4, full_search_prob=0.5)
    _, games = play(tmp_path, UniformEvaluator(5), cfg, games=4, seed=5)
    wrong = []
    for game in games:
        for ply, target in enumerate(game["targets"]):
            reused = start_visits[(game["id"], ply)]
            budget = max(cfg.visits if target else cfg.fast_visits, reused)
            visits = seen_roots[(game["id"], ply)].visits_total
            if visits != budget:
                wrong.append((ply, "full" if target else "cheap", reused, visits))
    assert not wrong, f"{len(wrong)} searches (ply, kind, reused, visits at the move): {wrong[:8]}"


def test_after_the_random_moves_the_most_visited_move_is_played(
    tmp_path: Path, seen_roots: dict[tuple[int, int], Any]
) -> None:
    cfg = config(size=7, slots=2, visits=16, random_moves=3)
    _, games = play(tmp_path, MaterialEvaluator(7), cfg, games=2, seed=3)
    for game in games:
        for ply, (move, pi) in enumerate(zip(game["moves"], game["policies"], strict=True)):
            stats = seen_roots[(game["id"], ply)]
            # π is the root's visit distribution
            expected = np.zeros_like(pi)
            expected[stats.actions] = stats.visits / stats.visits.sum()
            assert np.allclose(pi, expected, rtol=2**-11, atol=1e-7)  # float16 in the shard
            if ply < cfg.random_moves:
                assert pi[move] > 0  # sampled in proportion to the visits
            else:
                assert move == stats.best()
                assert pi[move] == pi.max()


def test_without_noise_and_random_moves_the_search_is_reproduced(tmp_path: Path) -> None:
    # random_moves = 0 and no Dirichlet noise: every move is RootStats.best() of a
    # search that a separate one-slot forest repeats exactly (subtree reuse included)
    search = dataclasses.replace(SEARCH, dirichlet_epsilon=0.0)
    cfg = config(size=5, slots=2, visits=12, random_moves=0, search=search)
    _, games = play(tmp_path, MaterialEvaluator(5), cfg, games=2, seed=6)
    assert games[0]["moves"] == games[1]["moves"]  # nothing random is left

    forest = SearchForest(1, 5, MaterialEvaluator(5), search, komi=cfg.komi)
    replay = Game(5, cfg.komi)
    forest.set_position(0, replay)
    for move, pi in zip(games[0]["moves"], games[0]["policies"], strict=True):
        forest.search(np.array([True]), np.array([float(cfg.visits)]))
        stats = forest.root_stats(0)
        assert move == stats.best()
        expected = np.zeros_like(pi)
        expected[stats.actions] = stats.visits / stats.visits.sum()
        assert np.allclose(pi, expected, rtol=2**-11, atol=1e-7)  # float16 in the shard
        replay.play(move)
        if not replay.is_over:
            forest.play(0, replay)


def test_gumbel_mode_writes_completed_q_targets(tmp_path: Path) -> None:
    gumbel = GumbelConfig(simulations=8, considered=4)
    cfg = config(slots=3, gumbel=gumbel)
    _, games = play(tmp_path, UniformEvaluator(5), cfg, games=3, seed=7)
    spread = []
    for game in games:
        masks, _ = legal_masks(game)
        assert all(game["targets"])
        # the empty board: visits went to at most 4 considered moves, yet the
        # improved policy gives mass to every legal move
        assert np.count_nonzero(game["policies"][0]) > gumbel.considered
        for mask, pi in zip(masks, game["policies"], strict=True):
            assert pi.sum() == pytest.approx(1.0, abs=1e-3)  # float16 in the shard
            assert not np.any(pi[~mask])
            spread.append(np.count_nonzero(pi) > 1)
    assert np.mean(spread) > 0.8


# -- results, resignation ---------------------------------------------------------------
def test_results_scores_and_resignations(tmp_path: Path) -> None:
    # the material evaluator makes the side behind in stones resign
    cfg = config(
        slots=4,
        random_moves=6,
        resign_threshold=0.45,
        resign_after=4,
        no_resign_fraction=0.5,
        games_per_shard=4,
    )
    worker, games = play(tmp_path, MaterialEvaluator(5), cfg, games=12, seed=3)
    resigned = [g for g in games if g["resigned"]]
    scored = [g for g in games if not g["resigned"]]
    assert resigned and scored
    for game in resigned:
        _, replay = legal_masks(game)
        assert not game["no_resign"]
        assert len(game["moves"]) >= cfg.resign_after
        assert math.isnan(game["score"])
        assert not game["ownership_valid"] and not game["ownership"].any()
        # the side to move resigned: black after an even number of moves
        assert game["result"] == (-1.0 if len(game["moves"]) % 2 == 0 else 1.0)
        assert not replay.is_over
    for game in scored:
        _, replay = legal_masks(game)
        assert replay.is_over or len(game["moves"]) == cfg.move_cap
        assert game["result"] == np.sign(game["score"])
        assert game["ownership_valid"]
        assert game["score"] == pytest.approx(game["ownership"].sum() - cfg.komi)
    no_resign = [g for g in games if g["no_resign"]]
    assert no_resign
    assert worker.resign.no_resign_games == len(no_resign)
    assert worker.resign.false_positives <= worker.resign.would_resign <= len(no_resign)


def test_no_resign_games_never_resign(tmp_path: Path) -> None:
    cfg = config(
        slots=4, random_moves=6, resign_threshold=0.45, resign_after=0, no_resign_fraction=1.0
    )
    worker, games = play(tmp_path, MaterialEvaluator(5), cfg, games=6, seed=3)
    assert all(g["no_resign"] and not g["resigned"] and g["ownership_valid"] for g in games)
    assert worker.resign.no_resign_games == 6
    assert worker.resign.would_resign > 0  # the calibration saw would-be resignations
    # every scored game with a winner gives its winner's lowest root win rate
    decided = [g for g in games if g["result"] != 0]
    assert len(worker.resign.winner_min_winrates) == len(decided)
    assert all(0.0 <= x <= 1.0 for x in worker.resign.winner_min_winrates)
    # a winner below the threshold is exactly a would-be false positive (upper bound)
    below = sum(x < cfg.resign_threshold for x in worker.resign.winner_min_winrates)
    assert worker.resign.false_positives <= below


def test_resign_threshold_keeps_false_positives_under_the_target() -> None:
    assert calibrate_resign_threshold([0.5] * 49) is None  # too few games
    # 100 games: winners never fell below 0.3 except five that fell to 0.02 .. 0.10
    lows = [0.3] * 95 + [0.02, 0.04, 0.06, 0.08, 0.10]
    t = calibrate_resign_threshold(lows, target=0.05, ceiling=0.2)
    assert t == 0.2  # 5 of 100 below 0.2: exactly 5% allowed
    t = calibrate_resign_threshold(lows, target=0.03, ceiling=0.2)
    assert t == pytest.approx(0.08)  # below 0.08: three games (3%); below 0.085: four
    assert sum(x < t for x in lows) / len(lows) <= 0.03
    assert calibrate_resign_threshold([0.0] * 100) == 0.0  # every winner looked lost
    assert calibrate_resign_threshold([1.0] * 100, ceiling=0.25) == pytest.approx(0.25)


# -- a real network ----------------------------------------------------------------------
def test_tiny_network_games_and_lineage(tmp_path: Path) -> None:
    import torch

    from nn.evaluator import TorchEvaluator
    from nn.go_net import GoNet, preset

    torch.manual_seed(0)
    evaluator = TorchEvaluator(GoNet(preset("b2c16", 5)), name="tiny-net")
    cfg = config(slots=2, visits=8, games_per_shard=2)
    worker, games = play(tmp_path, evaluator, cfg, games=3, seed=8)
    for game in games:
        assert game["network"] == "tiny-net"
        legal_masks(game)

    lines = (tmp_path / "lineage.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert sorted(e["shard"] for e in entries) == [p.name for p in list_shards(tmp_path)]
    assert len(entries) == len(worker.shards_written) == 2
    for entry in entries:
        arrays = read_shard(tmp_path / entry["shard"])
        assert entry["networks"] == ["tiny-net"]
        assert entry["games"] == len(arrays["game_ids"])
        assert entry["positions"] == len(arrays["moves"])
        assert entry["worker"] == 0
    assert sum(e["games"] for e in entries) == 3
