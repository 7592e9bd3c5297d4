"""Network matches (selfplay.arena): colours, results, resuming, stopping, duplicates.

``BlackWins`` is a test network that believes black always wins: with it on both
sides, whoever plays white resigns once resignation is allowed (ply 20), so the
winner of every game tells which network had black.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from engine.evaluator import UniformEvaluator
from engine.features import FeatureConfig
from engine.puct import PUCTConfig
from selfplay.arena import ArenaConfig, ArenaGame, ArenaResult, play_arena
from tests.engine.test_puct import MaterialEvaluator

SEARCH = PUCTConfig(capacity=3000, leaves_per_step=8)
COLOUR_PLANE = 2 * FeatureConfig().history  # AlphaGo Zero's C: ones when black is to move


class BlackWins(UniformEvaluator):
    """Uniform priors; value +1 when black is to move, -1 when white is."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.name = "black-wins"

    def evaluate(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        logits, _, ownership = super().evaluate(features)
        black_to_move = features[:, COLOUR_PLANE, 0, 0] > 0.5
        return logits, np.where(black_to_move, 1.0, -1.0).astype(np.float32), ownership


def config(**overrides: Any) -> ArenaConfig:
    """A small match: 5x5, 6 games, 3 at once, 8 visits."""
    base = ArenaConfig(
        size=5,
        komi=0.5,
        games=6,
        slots=3,
        visits=8,
        random_plies=2,
        resign_threshold=0.05,
        search=SEARCH,
        scoring_playouts=30,
    )
    return dataclasses.replace(base, **overrides)


def test_colours_alternate_with_the_game_index() -> None:
    result = play_arena(BlackWins(5), BlackWins(5), config())
    assert sorted(g.index for g in result.games) == list(range(6))
    for game in result.games:
        assert game.first_black == (game.index % 2 == 0)
        # white resigns at its first chance, ply 21: black's network won
        assert game.result == "resign" and game.moves == 21
        assert game.winner_is_first == game.first_black
    assert (result.wins, result.losses, result.draws) == (3, 3, 0)
    assert result.score == 0.5


def test_stronger_evaluator_wins_and_results_add_up() -> None:
    cfg = config(
        size=7, komi=7.5, games=12, slots=6, visits=32, random_plies=4, resign_threshold=0.0
    )
    result = play_arena(MaterialEvaluator(7), UniformEvaluator(7), cfg, seed=0)
    assert len(result.games) == 12
    assert result.wins + result.losses + result.draws == 12
    assert result.score == pytest.approx((result.wins + 0.5 * result.draws) / 12)
    assert result.wins > result.losses
    for game in result.games:
        score = float(game.result)  # black minus white, komi included
        black_won = score > 0
        if score != 0:
            assert game.winner_is_first == (black_won == game.first_black)
        assert 0 < game.moves <= cfg.move_cap


def test_resuming_skips_the_games_already_played() -> None:
    cfg = config()
    first = play_arena(BlackWins(5), BlackWins(5), dataclasses.replace(cfg, games=3))
    assert sorted(g.index for g in first.games) == [0, 1, 2]
    done = [g for g in first.games if g.index in (0, 2)]
    resumed = play_arena(BlackWins(5), BlackWins(5), cfg, done=done)
    assert resumed.games[:2] == done  # kept as they were, in front
    new_indices = [g.index for g in resumed.games[2:]]
    assert sorted(new_indices) == [1, 3, 4, 5]
    for game in resumed.games[2:]:
        assert game.first_black == (game.index % 2 == 0)
        assert game.winner_is_first == game.first_black

    everything = play_arena(BlackWins(5), BlackWins(5), cfg, done=resumed.games)
    assert everything.games == resumed.games  # nothing left to play


def test_on_game_returning_true_stops_the_match() -> None:
    seen: list[int] = []

    def stop_after_two(game: ArenaGame, result: ArenaResult) -> bool:
        assert result.games[-1] is game
        seen.append(game.index)
        return len(result.games) >= 2

    result = play_arena(
        BlackWins(5), BlackWins(5), config(games=8, slots=1), on_game=stop_after_two
    )
    assert len(result.games) == 2 == len(seen)
    assert [g.index for g in result.games] == seen == [0, 1]


def test_no_game_is_reported_after_on_game_said_stop() -> None:
    # 4 games at once, white resigns at ply 21 in each: with 4 leaves per step the
    # games where network B has white (0 and 2) end in the same round.  Once the
    # callback has asked to stop (e.g. an SPRT decision), it should not be called
    # again, nor should more games be added to the result.
    calls: list[int] = []

    def stop_at_once(game: ArenaGame, result: ArenaResult) -> bool:
        calls.append(game.index)
        return True

    cfg = config(games=8, slots=4, search=dataclasses.replace(SEARCH, leaves_per_step=4))
    result = play_arena(BlackWins(5), BlackWins(5), cfg, on_game=stop_at_once)
    assert len(calls) == 1, f"on_game called for games {calls} after the first said stop"
    assert len(result.games) == 1


def test_deterministic_players_repeat_games_and_duplicates_are_counted() -> None:
    # no opening sampling, no noise: games with the same colours repeat
    cfg = config(games=6, random_plies=0, resign_threshold=0.0)
    result = play_arena(MaterialEvaluator(5), UniformEvaluator(5), cfg)
    by_colour = {
        first_black: {g.digest for g in result.games if g.first_black == first_black}
        for first_black in (True, False)
    }
    assert len(by_colour[True]) == len(by_colour[False]) == 1
    assert result.duplicates == 4

    sampled = play_arena(MaterialEvaluator(5), UniformEvaluator(5), config(games=6, random_plies=4))
    assert sampled.duplicates < result.duplicates
