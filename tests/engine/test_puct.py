"""The batched PUCT search: selection formula, tactics, virtual loss, reuse, noise."""

from __future__ import annotations

import numpy as np
import pytest

from engine import _puct_kernels as K
from engine import coords
from engine.board import BLACK, WHITE
from engine.evaluator import UniformEvaluator
from engine.features import FeatureConfig
from engine.game import Game
from engine.player import Budget
from engine.puct import PUCTConfig, PUCTPlayer, SearchForest


class MaterialEvaluator:
    """A test network: uniform policy, value = stone difference for the side to move
    (planes X_0 and Y_0) over 10, clipped to [-1, 1]."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.feature_config = FeatureConfig()
        self.name = "material"
        self.calls = 0

    def evaluate(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self.calls += 1
        batch = features.shape[0]
        own = features[:, 0].sum(axis=(1, 2))
        opp = features[:, 1].sum(axis=(1, 2))
        n = self.size
        return (
            np.zeros((batch, n * n + 1), dtype=np.float32),
            np.clip((own - opp) / 10.0, -1.0, 1.0).astype(np.float32),
            np.zeros((batch, n, n), dtype=np.float32),
        )


def position(size: int, black: list[str], white: list[str], to_move: int) -> Game:
    game = Game(size)
    game.setup_stones(
        [coords.from_gtp(v, size) for v in black],
        [coords.from_gtp(v, size) for v in white],
        to_move,
    )
    return game


def test_selection_follows_the_puct_formula() -> None:
    # a root with three children: hand-set N, W, P; check the chosen child
    links = np.zeros((1, 3, 16), dtype=np.int32)
    stats = np.zeros((1, 4, 16), dtype=np.float32)
    tmeta = np.zeros((1, 3), dtype=np.int64)
    K.reset_tree(links, stats, tmeta, 0)
    links[0, K.FIRST, 0], links[0, K.COUNT, 0] = 1, 3
    stats[0, K.VISITS, 0] = 10
    stats[0, K.VALUE, 0] = -2.0  # root value 0.2 for the player to move at the root
    for child, (n, w, p) in enumerate([(6, 3.0, 0.5), (3, 2.1, 0.3), (0, 0.0, 0.2)], start=1):
        stats[0, K.VISITS, child], stats[0, K.VALUE, child], stats[0, K.PRIOR, child] = n, w, p
    params = np.array([1.5, 0.25, 1.0, 7.5, 0.25])
    scores = []
    for n, w, p in [(6, 3.0, 0.5), (3, 2.1, 0.3), (0, 0.0, 0.2)]:
        q = w / n if n else 0.2 - 0.25
        scores.append(q + 1.5 * p * np.sqrt(10) / (1 + n))
    chosen = K._select_child(links, stats, 0, 0, params, 0.25)
    assert chosen == 1 + int(np.argmax(scores))


# A white chain in atari (liberty D3): black captures there, white saves by extending.
#    A B C D E
#  5 . . . . .
#  4 . X X . .
#  3 X O O . .
#  2 . X X . .
#  1 . . . . .
ATARI = (["A3", "B4", "C4", "B2", "C2"], ["B3", "C3"])


@pytest.mark.parametrize("color", [BLACK, WHITE])
def test_finds_the_capture_and_the_saving_move(color: int) -> None:
    player = PUCTPlayer(MaterialEvaluator(5), PUCTConfig(capacity=50_000), Budget(playouts=400))
    decision = player.genmove(position(5, *ATARI, color), color)
    assert coords.to_gtp(decision.action, 5) == "D3"


def test_virtual_loss_is_cleared_and_visits_add_up() -> None:
    config = PUCTConfig(capacity=20_000, leaves_per_step=8)
    forest = SearchForest(3, 9, MaterialEvaluator(9), config)
    for g in range(3):
        forest.set_position(g, Game(9))
    forest.search(np.ones(3, dtype=bool), np.full(3, 300.0))
    assert np.all(forest.root_visits() >= 300)
    used = forest.tmeta[:, K.T_USED]
    for g in range(3):
        assert np.all(forest.stats[g, K.VLOSS, : used[g]] == 0)
        stats = forest.root_stats(g)
        # every visit of the root but the first went to a child
        assert stats.visits.sum() == stats.visits_total - 1
        assert abs(stats.priors.sum() - 1.0) < 1e-4
    assert forest.counters.largest_batch > 8  # leaves of several games per call


class SharpEvaluator(MaterialEvaluator):
    """A confident network: nearly all of the policy on the lowest free point, so
    that the descents of one batch keep meeting the same waiting leaf."""

    def evaluate(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        logits, values, own = super().evaluate(features)
        logits[:] = -8.0 * np.arange(logits.shape[1], dtype=np.float32)
        return logits, values, own


def test_batches_stay_full_when_descents_collide() -> None:
    # abandoned descents are retried (their virtual loss kept meanwhile), so a big tree
    # under a confident policy still sends full batches, and no virtual loss is left
    config = PUCTConfig(capacity=50_000, leaves_per_step=16)
    forest = SearchForest(1, 9, SharpEvaluator(9), config)
    forest.set_position(0, Game(9))
    forest.search(np.ones(1, dtype=bool), np.array([4000.0]))
    counters = forest.counters
    assert counters.abandoned > 1000  # the policy does make descents collide
    assert counters.mean_batch > 14.0
    assert forest.root_visits()[0] >= 4000
    used = forest.tmeta[0, K.T_USED]
    assert np.all(forest.stats[0, K.VLOSS, :used] == 0)
    stats = forest.root_stats(0)
    assert stats.visits.sum() == stats.visits_total - 1


def test_forest_slots_are_independent() -> None:
    single = SearchForest(1, 9, MaterialEvaluator(9), PUCTConfig(capacity=20_000))
    many = SearchForest(4, 9, MaterialEvaluator(9), PUCTConfig(capacity=20_000))
    game = Game(9)
    for vertex in ["E5", "C3", "G7"]:
        game.play(coords.from_gtp(vertex, 9))
    single.set_position(0, game)
    for g in range(4):
        many.set_position(g, game if g == 2 else Game(9))
    single.search(np.ones(1, dtype=bool), np.array([200.0]))
    many.search(np.ones(4, dtype=bool), np.full(4, 200.0))
    a, b = single.root_stats(0), many.root_stats(2)
    assert np.array_equal(a.actions, b.actions)
    assert np.array_equal(a.visits, b.visits)


def test_subtree_is_kept_after_a_move() -> None:
    forest = SearchForest(1, 9, MaterialEvaluator(9), PUCTConfig(capacity=50_000))
    game = Game(9)
    forest.set_position(0, game)
    forest.search(np.ones(1, dtype=bool), np.array([400.0]))
    stats = forest.root_stats(0)
    best = stats.best()
    child_visits = stats.visits[list(stats.actions).index(best)]
    game.play(best)
    assert forest.play(0, game)
    assert forest.root_visits()[0] == child_visits
    # the new root searches on from there
    forest.search(np.ones(1, dtype=bool), np.array([child_visits + 100]))
    assert forest.root_visits()[0] >= child_visits + 100


def test_dirichlet_noise_changes_root_priors() -> None:
    forest = SearchForest(1, 9, UniformEvaluator(9), PUCTConfig(capacity=20_000), seed=3)
    forest.set_position(0, Game(9))
    forest.search(np.ones(1, dtype=bool), np.array([2.0]))
    before = forest.root_stats(0).priors.copy()
    forest.request_noise(0)
    after = forest.root_stats(0).priors
    assert not np.allclose(before, after)
    assert abs(after.sum() - 1.0) < 1e-4
    assert forest.config.alpha(9) == pytest.approx(0.03 * 361 / 81)


def test_root_respects_superko() -> None:
    forest = SearchForest(1, 5, UniformEvaluator(5), PUCTConfig(capacity=10_000))
    game = Game(5)
    for vertex in ["B3", "C3", "A2", "B2", "pass", "D2", "pass", "C1"]:
        game.play(coords.from_gtp(vertex, 5))
    forest.set_position(0, game)
    forest.search(np.ones(1, dtype=bool), np.array([50.0]))
    legal = game.board.legal_mask()
    assert all(legal[a] for a in forest.root_stats(0).actions)


def test_two_passes_are_scored_in_the_tree() -> None:
    # black has the whole board; after white's pass, black's pass ends the game: a win
    game = position(5, ["C1", "C2", "C3", "C4", "C5"], [], WHITE)
    game.komi = 0.5
    game.play(game.pass_action, WHITE)
    forest = SearchForest(1, 5, UniformEvaluator(5), PUCTConfig(capacity=10_000))
    forest.set_position(0, game)
    forest.search(np.ones(1, dtype=bool), np.array([200.0]))
    stats = forest.root_stats(0)
    pass_q = stats.q[list(stats.actions).index(game.pass_action)]
    assert pass_q == pytest.approx(1.0)
    assert forest.counters.terminal > 0


def test_player_by_time_and_by_visits() -> None:
    player = PUCTPlayer(UniformEvaluator(9), PUCTConfig(capacity=20_000), Budget(playouts=64))
    game = Game(9)
    decision = player.genmove(game, BLACK)
    assert decision.visits >= 64
    game.play(decision.action)
    decision = player.genmove(game, WHITE, Budget(seconds=0.2))
    assert decision.visits > 0 and game.board.is_legal(decision.action)


class HopelessPasser:
    """A network that wants to pass and calls every position lost for the side to move."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.feature_config = FeatureConfig()
        self.name = "passer"

    def evaluate(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        batch, n = features.shape[0], self.size
        logits = np.zeros((batch, n * n + 1), dtype=np.float32)
        logits[:, -1] = 20.0  # all the prior on pass
        return logits, np.full(batch, -0.99, np.float32), np.zeros((batch, n, n), np.float32)


def _passer_player() -> PUCTPlayer:
    config = PUCTConfig(capacity=5_000, resign_threshold=0.0)
    return PUCTPlayer(HopelessPasser(5), config, Budget(playouts=32))


def test_a_hopeless_network_plays_on_instead_of_passing_a_game_away() -> None:
    game = position(5, ["C3"], [], WHITE)  # white is behind on the board
    decision = _passer_player().genmove(game, WHITE)
    assert decision.action != game.pass_action
    assert game.board.is_legal(decision.action, WHITE)


def test_passes_when_the_board_already_wins_or_only_own_eyes_are_left() -> None:
    winning = position(5, ["C3"], [], BLACK)  # black's area 25 - komi 7.5 > 0
    assert winning.tromp_taylor_score() > 0
    assert _passer_player().genmove(winning, BLACK).action == winning.pass_action
    # black owns the board but two one-point eyes (B4, E2) and loses at komi 30 by the
    # strict count; its only legal moves fill its own eyes, so it passes
    rows = ["A5 B5 C5 D5 E5", "A4 C4 D4 E4", "A3 B3 C3 D3 E3", "A2 B2 C2 D2", "A1 B1 C1 D1 E1"]
    eyes = Game(5, 30.0)
    eyes.setup_stones([coords.from_gtp(v, 5) for row in rows for v in row.split()], [], BLACK)
    assert eyes.tromp_taylor_score() < 0
    assert _passer_player().genmove(eyes, BLACK).action == eyes.pass_action
