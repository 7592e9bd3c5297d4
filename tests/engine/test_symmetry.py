"""Tests of the 8 board symmetries (engine.symmetry)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from engine import coords
from engine import symmetry as S
from engine.features import FeatureConfig, features
from engine.game import Game
from engine.random_player import RandomPlayer

# No symmetry of the square maps this position onto itself.
ASYMMETRIC = """
5 . . . . .
4 . X . . .
3 . . . . .
2 O . . . .
1 X X . . .
  A B C D E
"""
STONES = ("B4", "A2", "A1", "B1")


def stone_planes(diagram: str) -> np.ndarray:
    """Return float32 (2, N, N): black stones, white stones of an ASCII diagram."""
    rows = [line.split()[1:] for line in diagram.strip().splitlines() if line.split()[0].isdigit()]
    size = len(rows)
    out = np.zeros((2, size, size), dtype=np.float32)
    for i, row in enumerate(rows):
        for col, mark in enumerate(row[:size]):
            if mark in "XO":
                out["XO".index(mark), size - 1 - i, col] = 1.0
    return out


def policy_on(size: int, vertices: tuple[str, ...], pass_mass: float = 0.2) -> np.ndarray:
    """Return a policy with distinct weights on ``vertices`` and some mass on pass."""
    policy = np.zeros(size * size + 1, dtype=np.float32)
    for i, vertex in enumerate(vertices):
        policy[coords.from_gtp(vertex, size)] = i + 1.0
    policy[-1] = pass_mass
    return policy


# Where B1 goes on a 5x5 board under each symmetry (A1 is the bottom left).
B1_IMAGES = [
    (0, "B1"),  # identity
    (1, "E2"),  # quarter turn counter-clockwise
    (2, "D5"),  # half turn
    (3, "A4"),  # three-quarter turn
    (4, "D1"),  # left-right mirror
    (5, "E4"),  # mirror, then a quarter turn: the anti-diagonal mirror
    (6, "B5"),  # top-bottom mirror
    (7, "A2"),  # main-diagonal mirror (A1 to E5)
]


@pytest.mark.parametrize(("k", "image"), B1_IMAGES)
def test_action_images(k: int, image: str) -> None:
    assert coords.to_gtp(S.apply_action(coords.from_gtp("B1", 5), k, 5), 5) == image
    assert S.apply_action(25, k, 5) == 25  # pass stays pass


@pytest.mark.parametrize("k", range(8))
def test_policy_mass_lands_on_transformed_stones(k: int) -> None:
    planes = stone_planes(ASYMMETRIC)
    policy = policy_on(5, STONES)
    moved_planes = S.apply_planes(planes, k)
    moved_policy = S.apply_policy(policy, k)
    occupied = moved_planes.sum(axis=0).reshape(-1) > 0
    np.testing.assert_array_equal(moved_policy[:-1] > 0, occupied)
    assert moved_policy[-1] == pytest.approx(0.2)
    assert moved_policy.sum() == pytest.approx(policy.sum())
    for i, vertex in enumerate(STONES):
        action = S.apply_action(coords.from_gtp(vertex, 5), k, 5)
        assert moved_policy[action] == i + 1.0
        colour = 0 if vertex != "A2" else 1
        assert moved_planes[colour].reshape(-1)[action] == 1.0


@pytest.mark.parametrize("size", [5, 9, 19])
@pytest.mark.parametrize("k", range(8))
def test_inverse_undoes_every_kind_of_input(size: int, k: int) -> None:
    rng = np.random.default_rng(size * 8 + k)
    planes = rng.random((3, 17, size, size)).astype(np.float32)
    policy = rng.random((3, size * size + 1))
    ownership = rng.uniform(-1, 1, (size, size))
    j = S.inverse(k)
    np.testing.assert_array_equal(S.apply_planes(S.apply_planes(planes, k), j), planes)
    np.testing.assert_array_equal(S.apply_policy(S.apply_policy(policy, k), j), policy)
    np.testing.assert_array_equal(S.apply_ownership(S.apply_ownership(ownership, k), j), ownership)
    for action in range(size * size + 1):
        assert S.apply_action(S.apply_action(action, k, size), j, size) == action


def test_inverse_table() -> None:
    assert [S.inverse(k) for k in range(8)] == [0, 3, 2, 1, 4, 5, 6, 7]


def test_the_eight_are_distinct_on_an_asymmetric_position() -> None:
    planes = stone_planes(ASYMMETRIC)
    images = {S.apply_planes(planes, k).tobytes() for k in range(8)}
    assert len(images) == 8


def test_the_eight_are_the_rotations_and_reflections_of_numpy() -> None:
    # Independent definition: rot90 and flip of the array as stored.
    planes = stone_planes(ASYMMETRIC)
    ours = {S.apply_planes(planes, k).tobytes() for k in range(8)}
    numpy_group = set()
    for flipped in (planes, planes[..., ::-1]):
        for turns in range(4):
            numpy_group.add(np.ascontiguousarray(np.rot90(flipped, turns, axes=(-2, -1))).tobytes())
    assert ours == numpy_group


@pytest.mark.parametrize("size", [5, 9, 19])
@pytest.mark.parametrize("k", range(8))
def test_action_mapping_agrees_with_plane_mapping(size: int, k: int) -> None:
    one_hot = np.eye(size * size, dtype=np.float32).reshape(size * size, size, size)
    moved = S.apply_planes(one_hot, k).reshape(size * size, -1)
    table = S.action_table(k, size)
    assert (np.argmax(moved, axis=1) == table[:-1]).all()
    assert [S.apply_action(a, k, size) for a in range(size * size + 1)] == list(table)


def test_composition_is_a_group_of_order_8() -> None:
    planes = stone_planes(ASYMMETRIC)
    for a, b in itertools.product(range(8), repeat=2):
        c = S.compose(a, b)
        assert 0 <= c < 8
        np.testing.assert_array_equal(
            S.apply_planes(S.apply_planes(planes, b), a), S.apply_planes(planes, c)
        )
        assert S.apply_action(S.apply_action(7, b, 5), a, 5) == S.apply_action(7, c, 5)
    for k in range(8):
        assert S.compose(k, S.IDENTITY) == S.compose(S.IDENTITY, k) == k
        assert S.compose(k, S.inverse(k)) == S.compose(S.inverse(k), k) == S.IDENTITY
        assert sorted(S.compose(k, j) for j in range(8)) == list(range(8))  # a Latin square
    for a, b, c in itertools.product(range(8), repeat=3):
        assert S.compose(S.compose(a, b), c) == S.compose(a, S.compose(b, c))
    assert S.compose(1, 1) == 2 and S.compose(1, 4) != S.compose(4, 1)  # not abelian


def test_batches_and_per_item_symmetries() -> None:
    rng = np.random.default_rng(0)
    planes = rng.random((12, 5, 9, 9)).astype(np.float32)
    policy = rng.random((12, 82)).astype(np.float32)
    ks = np.array([7, 6, 5, 4, 3, 2, 1, 0, 3, 3, 0, 5])
    each_planes = S.apply_planes_each(planes, ks)
    each_policy = S.apply_policy_each(policy, ks)
    for i, k in enumerate(ks):
        np.testing.assert_array_equal(each_planes[i], S.apply_planes(planes[i], int(k)))
        np.testing.assert_array_equal(each_policy[i], S.apply_policy(policy[i], int(k)))
    np.testing.assert_array_equal(
        S.apply_planes(planes, 3), np.stack([S.apply_planes(p, 3) for p in planes])
    )
    assert S.apply_planes(planes, 5).flags.c_contiguous
    assert S.apply_planes(planes.astype(np.int8), 5).dtype == np.int8


def test_invalid_arguments_raise() -> None:
    with pytest.raises(ValueError):
        S.apply_planes(np.zeros((9, 9)), 8)
    with pytest.raises(ValueError):
        S.inverse(-1)
    with pytest.raises(ValueError):
        S.apply_planes(np.zeros((9, 8)), 1)
    with pytest.raises(ValueError):
        S.apply_policy(np.zeros(81), 1)
    with pytest.raises(ValueError):
        S.apply_action(82, 1, 9)
    with pytest.raises(ValueError):
        S.apply_planes_each(np.zeros((2, 9, 9)), np.array([1]))
    with pytest.raises(ValueError):
        S.apply_policy_each(np.zeros((2, 82)), np.array([1, 9]))


@pytest.mark.parametrize("size", [9, 19])
@pytest.mark.parametrize("k", [1, 4, 7])
def test_features_of_a_transformed_game_are_the_transformed_features(size: int, k: int) -> None:
    # The rules are symmetric: replaying a game with every move transformed gives the
    # transformed planes, extras (liberties, ko, legal moves) included.
    config = FeatureConfig(extra=("liberties", "ko", "legal", "ones"))
    game, moved = Game(size), Game(size)
    player = RandomPlayer(size + k)
    for _ in range(60):
        action = player.genmove(game, game.to_move).action
        game.play(action)
        moved.play(S.apply_action(action, k, size))
        np.testing.assert_array_equal(
            features(moved, config), S.apply_planes(features(game, config), k)
        )
