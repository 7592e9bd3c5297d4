"""The masked softmax of the policy networks, their batched policy and augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine import coords, symmetry
from engine.envs import _env_kernels as EK
from trainer.baselines.policy_net import (
    BASELINE_FEATURES,
    NetPolicy,
    augment,
    choose,
    clone_net,
    make_policy_net,
    masked_entropy,
    masked_log_softmax,
)
from trainer.baselines.rollout import GameSpec, RandomPolicy, play_games


def test_illegal_actions_get_no_probability_and_no_entropy() -> None:
    logits = torch.tensor([[5.0, 0.0, 1.0, -2.0], [0.0, 0.0, 0.0, 0.0]])
    legal = torch.tensor([[False, True, True, False], [True, True, True, True]])
    log_probs = masked_log_softmax(logits, legal)
    probs = log_probs.exp()
    assert probs[0, 0] == 0 and probs[0, 3] == 0
    assert probs.sum(dim=1).tolist() == pytest.approx([1.0, 1.0])
    entropy = masked_entropy(log_probs, legal)
    assert entropy.tolist() == pytest.approx([
        float(-(probs[0, 1:3] * probs[0, 1:3].log()).sum()), float(np.log(4))
    ])
    generator = torch.Generator().manual_seed(0)
    for temperature in (0.0, 1.0, 5.0):
        picks = {int(choose(logits, legal, temperature, generator)[0]) for _ in range(50)}
        assert picks <= {1, 2}
    assert int(choose(logits, legal, 0.0, generator)[0]) == 2


def test_net_policy_plays_whole_games_legally_and_clone_is_independent() -> None:
    model = make_policy_net(5, "b1c8", seed=0)
    copy = clone_net(model)
    spec = GameSpec(5, 0.5, BASELINE_FEATURES)
    played = play_games([NetPolicy(model, 1.0, seed=1), RandomPolicy()],
                        np.array([[0, 1], [1, 0]] * 4), spec, seed=2)
    assert len(played.winners) == 8
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(1.0)
    x = torch.rand(2, BASELINE_FEATURES.num_planes, 5, 5)
    assert not torch.allclose(model(x)[0], copy(x)[0])
    assert model.config.ownership is False
    assert model.config.in_planes == BASELINE_FEATURES.num_planes == 14


def test_augment_moves_stones_and_actions_together() -> None:
    size = 5
    obs = np.zeros((8, BASELINE_FEATURES.num_planes, size, size), dtype=np.float32)
    a = coords.from_gtp("B1", size)
    row, col = divmod(a, size)
    obs[:, 0, row, col] = 1.0  # a stone of the side to move on B1
    legal = np.zeros((8, size * size + 1), dtype=bool)
    legal[:, a] = True
    legal[:, -1] = True
    actions = np.full(8, a)
    ks = np.arange(8)
    (moved,), (moved_legal,), moved_actions = augment(ks, [obs], [legal], actions)
    for k in range(8):
        image = symmetry.apply_action(a, k, size)
        assert moved_actions[k] == image
        assert np.flatnonzero(moved[k, 0].reshape(-1)).tolist() == [image]
        assert np.flatnonzero(moved_legal[k]).tolist() == [image, size * size]


def test_augmented_planes_are_the_planes_of_the_transformed_game() -> None:
    from engine.envs.gym_env import GoState

    size = 5
    moves = ["C3", "B2", "D2", "pass", "B4"]
    k = 5
    states = []
    for vertices in (moves, [coords.to_gtp(symmetry.apply_action(coords.from_gtp(v, size), k,
                                                                   size), size) for v in moves]):
        state = GoState(size, 0.5, features=BASELINE_FEATURES)
        state.reset(0)
        for vertex in vertices:
            state.step(coords.from_gtp(vertex, size), EK.REPLY_NONE, EK.SIDE_TO_MOVE)
        states.append((state.obs.copy(), state.legal.copy()))
    (turned,), (turned_legal,), _ = augment(np.array([k]), [states[0][0][None]],
                                            [states[0][1][None]], np.array([0]))
    np.testing.assert_array_equal(turned[0], states[1][0])
    np.testing.assert_array_equal(turned_legal[0], states[1][1])
