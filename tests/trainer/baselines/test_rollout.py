"""Batched games between batched policies: seats, records, outcomes, random moves, pairing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from engine.board import BLACK, WHITE
from engine.envs.gym_env import GoState
from engine.game import Game
from trainer.baselines.rollout import (
    GameSpec,
    RandomPolicy,
    WinRate,
    play_games,
    win_rate,
)

SPEC = GameSpec(size=5, komi=0.5)


class PassPolicy:
    """Always passes."""

    name = "pass"

    def act(self, obs: np.ndarray, legal: np.ndarray, states: Sequence[GoState]) -> np.ndarray:
        return np.full(len(states), SPEC.size * SPEC.size, dtype=np.int64)


class FirstLegal:
    """Plays the lowest legal point (pass when only pass is legal); counts its calls."""

    name = "first"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def act(self, obs: np.ndarray, legal: np.ndarray, states: Sequence[GoState]) -> np.ndarray:
        self.calls.append(len(states))
        assert obs.shape == (len(states), SPEC.features.num_planes, 5, 5)
        return np.array([np.flatnonzero(row)[0] for row in legal], dtype=np.int64)


class Illegal:
    name = "illegal"

    def act(self, obs: np.ndarray, legal: np.ndarray, states: Sequence[GoState]) -> np.ndarray:
        return np.array([int(np.flatnonzero(~row)[0]) if (~row).any() else 0 for row in legal])


def replay(actions: np.ndarray) -> Game:
    game = Game(SPEC.size, SPEC.komi)
    for action in actions:
        game.play(int(action))
    return game


def test_passing_loses_to_a_player_who_plays() -> None:
    seats = np.array([[0, 1], [1, 0]])
    played = play_games([PassPolicy(), RandomPolicy()], seats, SPEC, seed=1, record=(0, 1))
    # game 0: black passes for ever, white fills the board; game 1: the reverse
    assert played.winners.tolist() == [WHITE, BLACK]
    assert played.outcome(np.array([0, 1]), np.array([BLACK, BLACK])).tolist() == [-1.0, 1.0]


def test_records_are_in_game_and_move_order_and_replay_legally() -> None:
    first = FirstLegal()
    seats = np.array([[0, 1], [1, 0], [0, 1]])
    played = play_games([first, RandomPolicy()], seats, SPEC, seed=2, record=(0, 1))
    records = played.records
    for g in range(3):
        mine = records.game == g
        assert records.ply[mine].tolist() == list(range(int(played.plies[g])))
        assert records.color[mine][:2].tolist() == [BLACK, WHITE]
        game = replay(records.actions[mine])  # raises if a move was illegal
        assert game.is_over or len(game.moves) == 2 * 25
        assert (game.tromp_taylor_score() - SPEC.komi > 0) == (played.winners[g] == BLACK)
    # one batched call per ply: never more calls than plies of the longest game
    assert len(first.calls) <= int(played.plies.max())
    assert first.calls[0] == 2  # games 0 and 2 have it as black


def test_only_the_chosen_policies_are_recorded() -> None:
    seats = np.array([[0, 1], [1, 0]])
    played = play_games([FirstLegal(), RandomPolicy()], seats, SPEC, seed=3, record=(0,))
    records = played.records
    assert records.color[records.game == 0].tolist() == [BLACK] * int((records.game == 0).sum())
    assert set(records.color[records.game == 1].tolist()) == {WHITE}
    # the recorded legal mask and planes are those the policy saw: first legal point
    assert all(records.legal[i, records.actions[i]] for i in range(len(records)))


def test_random_at_and_record_ply_give_one_position_per_game() -> None:
    seats = np.zeros((6, 2), dtype=np.int64)
    random_at = np.array([5, 6, 7, 8, 9, 10])
    played = play_games([FirstLegal()], seats, SPEC, seed=4, random_at=random_at, record=(0,),
                        record_ply=random_at + 1)
    records = played.records
    assert records.game.tolist() == list(range(6))
    assert records.ply.tolist() == (random_at + 1).tolist()
    # record_ply also records random moves (here the opening's first)
    played = play_games([FirstLegal()], seats, SPEC, seed=4, opening_plies=2, record=(0,),
                        record_ply=np.zeros(6, dtype=np.int64))
    assert played.records.ply.tolist() == [0] * 6


def test_opening_plies_make_deterministic_players_play_different_games() -> None:
    seats = np.zeros((6, 2), dtype=np.int64)
    at_two = np.full(6, 2)

    def positions(opening: int) -> set[bytes]:
        played = play_games([FirstLegal()], seats, SPEC, seed=4, opening_plies=opening,
                            record=(0,), record_ply=at_two)
        return {obs[:2].tobytes() for obs in played.records.obs}

    assert len(positions(0)) == 1
    assert len(positions(2)) > 1


def test_win_rate_pairs_openings_and_alternates_colours() -> None:
    rate = win_rate(FirstLegal(), FirstLegal(), SPEC, games=8, seed=5, opening_plies=2)
    # the two games of a pair are one game with the seats swapped (same opening,
    # identical deterministic players), so the measured player wins exactly one
    assert rate.games == 8
    assert rate.rate == pytest.approx(0.5)
    assert str(WinRate(3, 1, 0)) == "75.0% (3-1-0 of 4)"


def test_illegal_moves_and_bad_seats_are_refused() -> None:
    with pytest.raises(RuntimeError, match="illegal"):
        play_games([Illegal(), RandomPolicy()], np.array([[1, 0]]), SPEC, seed=0)
    with pytest.raises(ValueError):
        play_games([RandomPolicy()], np.array([[0, 1]]), SPEC)
    with pytest.raises(ValueError):
        GameSpec(size=1)
