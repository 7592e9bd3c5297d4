"""REINFORCE with a baseline: the loss, and a short 5x5 run that measurably learns.

The learning check trains 200 iterations of 32 games (6400 games, about 20-35 s
on one core) with a fixed seed and asserts on outcomes: the greedy policy beats
its own initial network in at least 75% of 200 games (measured 93-100% over seeds
0-3) and the random player in at least half (measured 60-77% over seeds 0-3; the
untrained network wins 3%).  Beating random in 90% takes about 1000 iterations on
5x5 (measured 92.5% after 32000 games, ~150 s): a benchmark, not a test::

    zerogo baseline pg --size 5 --komi 0.5 --preset b1c32 --iterations 1000 \
        --games-per-iteration 32 --snapshot-every 10 --out pg5.pt
    zerogo baseline eval pg5.pt --games 400
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nn.checkpoint import read_checkpoint
from trainer.baselines.policy_net import BASELINE_FEATURES, NetPolicy, load_policy_net
from trainer.baselines.reinforce import PGConfig, PGResult, pg_loss, train_pg
from trainer.baselines.rollout import GameSpec, RandomPolicy, win_rate

SPEC = GameSpec(5, 0.5, BASELINE_FEATURES)
CONFIG = PGConfig(
    size=5, komi=0.5, preset="b1c32", iterations=200, games_per_iteration=32, lr=1e-3,
    snapshot_every=20, self_play_fraction=0.5, eval_every=0, seed=0,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[PGResult, str]:
    out = tmp_path_factory.mktemp("pg") / "pg5.pt"
    return train_pg(CONFIG, out, save_every=1000), str(out)


def test_pg_beats_random_and_its_initial_policy(trained: tuple[PGResult, str]) -> None:
    result, _ = trained
    assert result.games == 200 * 32
    assert result.pool_size == 1 + 200 // 20
    vs_random = win_rate(NetPolicy(result.model, 0.0), RandomPolicy(), SPEC, 200, seed=101)
    vs_initial = win_rate(NetPolicy(result.model, 0.0), NetPolicy(result.initial, 0.0), SPEC,
                          200, seed=102, opening_plies=2)
    print(f"pg after {result.games} games ({result.seconds:.0f} s): vs random {vs_random}, "
          f"vs initial {vs_initial}")
    untrained = win_rate(NetPolicy(result.initial, 0.0), RandomPolicy(), SPEC, 200, seed=101)
    print(f"untrained vs random {untrained}")
    assert vs_initial.rate >= 0.75
    assert vs_random.rate >= 0.5
    assert untrained.rate <= 0.1  # the learning, not the setup, beats random


def test_checkpoint_rebuilds_the_trained_policy(trained: tuple[PGResult, str]) -> None:
    result, path = trained
    model, features = load_policy_net(path)
    assert features == BASELINE_FEATURES
    metadata = read_checkpoint(path).metadata
    assert metadata["kind"] == "pg" and metadata["games_trained"] == 6400
    assert metadata["komi"] == 0.5
    x = torch.rand(3, features.num_planes, 5, 5)
    torch.testing.assert_close(model(x)[0], result.model(x)[0])


def test_loss_pushes_up_winning_moves_and_down_losing_ones() -> None:
    torch.manual_seed(0)
    from trainer.baselines.policy_net import make_policy_net

    model = make_policy_net(5, "b1c8", seed=0)
    obs = torch.rand(2, BASELINE_FEATURES.num_planes, 5, 5)
    legal = torch.ones(2, 26, dtype=torch.bool)
    actions = torch.tensor([3, 7])
    z = torch.tensor([1.0, -1.0])
    config = PGConfig(size=5, baseline="none", value_weight=0.0, entropy_weight=0.0)
    before = torch.log_softmax(model(obs)[0], dim=1).gather(1, actions[:, None]).squeeze(1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss, parts = pg_loss(model, obs, legal, actions, z, config)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    after = torch.log_softmax(model(obs)[0], dim=1).gather(1, actions[:, None]).squeeze(1)
    assert after[0] > before[0] and after[1] < before[1]
    assert set(parts) == {"policy", "value", "entropy", "advantage", "log_prob"}
    # with the value baseline, an outcome the value head already predicts has no advantage
    config = PGConfig(size=5, baseline="value")
    _, value, _ = model(obs)
    _, parts = pg_loss(model, obs, legal, actions, value.detach(), config)
    assert float(parts["advantage"]) == pytest.approx(0.0, abs=1e-6)


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        PGConfig(baseline="critic")
    with pytest.raises(ValueError):
        PGConfig(iterations=0)
    with pytest.raises(ValueError):
        PGConfig(self_play_fraction=1.5)
    assert np.isclose(PGConfig().lr, 1e-3)
