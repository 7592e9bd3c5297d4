"""Tests of training batches (trainer.dataset): planes, targets, symmetries, cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import symmetry
from engine.features import FeatureConfig, features_from_moves
from tests.trainer import one_torch_thread, random_records, write_games
from trainer.config import TrainConfig
from trainer.dataset import BatchSampler, PlaneCache
from trainer.replay import PositionRefs, ReplayBuffer

SIZE = 5
FEATURES = FeatureConfig(history=2, extra=("liberties", "ko", "ones"))


@pytest.fixture(autouse=True, scope="module")
def _single_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def shard_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("shards")
    write_games(directory, "a", random_records(6, seed=11))
    write_games(directory, "b", random_records(6, seed=12, first_id=6))
    return directory


@pytest.fixture
def buffer(shard_dir: Path) -> ReplayBuffer:
    buffer = ReplayBuffer(shard_dir, window_games=12, validation_fraction=0.25)
    buffer.refresh()
    return buffer


def test_identity_batch_matches_the_game_records(buffer: ReplayBuffer) -> None:
    sampler = BatchSampler(buffer, FEATURES, cache_mb=0)
    refs = buffer.positions("train")
    batch = sampler.batch(refs)
    records = buffer.records(refs)
    for i, (g, t) in enumerate(zip(refs.game.tolist(), refs.move.tolist(), strict=True)):
        moves = buffer.game_moves(g)
        expected = features_from_moves(SIZE, moves, FEATURES)[t]
        assert torch.equal(batch.planes[i], torch.from_numpy(expected))
        assert batch.policy[i, int(moves[t])] == 1.0 and batch.policy[i].sum() == 1.0
        side = 1.0 if t % 2 == 0 else -1.0  # black moves first, colours alternate
        assert batch.value[i] == side * records.result[i]
        own = records.ownership[i].reshape(SIZE, SIZE) * side
        assert torch.equal(batch.ownership[i], torch.from_numpy(own.astype(np.float32)))
        assert batch.ownership_mask[i] == records.ownership_valid[i]
        assert batch.policy_mask[i] == records.has_policy[i]
    assert batch.planes.dtype == torch.float32 and batch.planes.shape[1:] == (15, SIZE, SIZE)


def test_value_target_flips_with_the_side_to_move(buffer: ReplayBuffer) -> None:
    sampler = BatchSampler(buffer, FEATURES)
    refs = PositionRefs(np.array([0, 0, 0, 0]), np.array([0, 1, 2, 3]))
    batch = sampler.batch(refs)
    z_black = float(buffer.records(refs).result[0])
    assert batch.value.tolist() == [z_black, -z_black, z_black, -z_black]
    # the colour plane says the same: ones when black is to move
    colour = batch.planes[:, 2 * FEATURES.history].mean(dim=(1, 2))
    assert colour.tolist() == [1.0, 0.0, 1.0, 0.0]


def test_augmented_batch_undoes_to_the_plain_one(buffer: ReplayBuffer) -> None:
    sampler = BatchSampler(buffer, FEATURES)
    refs = buffer.sample(np.random.default_rng(3), 64)
    ks = np.arange(64) % symmetry.NUM_SYMMETRIES
    plain = sampler.batch(refs)
    turned = sampler.batch(refs, ks)
    back = np.array([symmetry.inverse(int(k)) for k in ks])
    np.testing.assert_array_equal(
        symmetry.apply_planes_each(turned.planes.numpy(), back), plain.planes
    )
    np.testing.assert_array_equal(
        symmetry.apply_policy_each(turned.policy.numpy(), back), plain.policy
    )
    np.testing.assert_array_equal(
        symmetry.apply_planes_each(turned.ownership.numpy(), back), plain.ownership
    )
    for name in ("value", "policy_mask", "ownership_mask"):
        assert torch.equal(getattr(turned, name), getattr(plain, name))
    # π stays on the stone just played: the image of the move under the symmetry
    moves = [
        int(buffer.game_moves(int(g))[int(t)]) for g, t in zip(refs.game, refs.move, strict=True)
    ]
    for i, (move, k) in enumerate(zip(moves, ks, strict=True)):
        assert turned.policy[i, symmetry.apply_action(move, int(k), SIZE)] == 1.0


def test_sample_is_train_positions_under_random_symmetries(buffer: ReplayBuffer) -> None:
    sampler = BatchSampler(buffer, FEATURES, batch_size=32, seed=4)
    rng = np.random.default_rng(4)  # the sampler's stream: positions, then symmetries
    refs = buffer.sample(rng, 32)
    ks = rng.integers(0, symmetry.NUM_SYMMETRIES, size=32)
    batch = sampler.sample()
    expected = sampler.batch(refs, ks)
    assert torch.equal(batch.planes, expected.planes) and torch.equal(batch.policy, expected.policy)
    assert len(set(ks.tolist())) > 4
    assert set(refs.game.tolist()) <= set(buffer.positions("train").game.tolist())
    assert sampler.positions_sampled == 32 and sampler.positions_per_second > 0


def test_policy_only_sampler_has_targets_everywhere(buffer: ReplayBuffer) -> None:
    config = TrainConfig(batch_size=48, sample_positions="policy_target", min_games=0)
    sampler = BatchSampler.from_config(buffer, config, FEATURES)
    assert bool(sampler.sample().policy_mask.all())
    every = BatchSampler(buffer, FEATURES, batch_size=400).sample()
    assert not bool(every.policy_mask.all())  # a quarter of the positions have no target


def test_cache_hits_and_stays_within_budget(buffer: ReplayBuffer) -> None:
    uncached = BatchSampler(buffer, FEATURES, cache_mb=0, seed=7)
    cached = BatchSampler(buffer, FEATURES, cache_mb=1, seed=7)
    for _ in range(3):
        a, b = uncached.sample(), cached.sample()
        assert torch.equal(a.planes, b.planes) and torch.equal(a.policy, b.policy)
    assert cached.cache.hits > 0 and cached.cache.misses <= buffer.num_games
    assert uncached.cache.hits == 0 and len(uncached.cache) == 0

    cache = PlaneCache(FEATURES, SIZE, max_bytes=2_000)
    for g in range(buffer.num_games):
        packed = cache.get(buffer.game_serial(g), buffer.game_moves(g))
        assert packed.shape == (len(buffer.game_moves(g)), FEATURES.num_planes, 4)
        assert cache.bytes <= 2_000
    assert 0 < len(cache) < buffer.num_games
    last = buffer.num_games - 1
    cache.get(buffer.game_serial(last), buffer.game_moves(last))
    assert cache.hits == 1  # the most recent game is still there


def test_fixed_batches_are_repeatable_and_plain(buffer: ReplayBuffer) -> None:
    sampler = BatchSampler(buffer, FEATURES, batch_size=16)
    assert buffer.counts("validation").positions >= 30
    first = sampler.fixed_batches("validation", positions=30)
    second = sampler.fixed_batches("validation", positions=30)
    assert [len(b) for b in first] == [16, 14]
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a.planes, b.planes) and torch.equal(a.value, b.value)
    every = buffer.positions("validation")
    assert sum(len(b) for b in sampler.fixed_batches("validation", 10**6)) == len(every)


def test_sampler_state_resumes_the_stream(buffer: ReplayBuffer) -> None:
    sampler = BatchSampler(buffer, FEATURES, batch_size=8, seed=9)
    sampler.sample()
    state = sampler.state_dict()
    expected = sampler.sample()
    other = BatchSampler(buffer, FEATURES, batch_size=8, seed=123)
    other.load_state_dict(state)
    again = other.sample()
    assert torch.equal(expected.planes, again.planes) and torch.equal(expected.policy, again.policy)


def test_sampler_follows_the_window(tmp_path: Path) -> None:
    buffer = ReplayBuffer(tmp_path, window_games=3)
    sampler = BatchSampler(buffer, FEATURES, batch_size=4)
    with pytest.raises(ValueError, match="no games"):
        sampler.cache  # noqa: B018
    write_games(tmp_path, "a", random_records(3, seed=1))
    buffer.refresh()
    sampler.sample()
    write_games(tmp_path, "b", random_records(3, seed=2, first_id=3))
    buffer.refresh()
    batch = sampler.sample(batch_size=64)
    games = {buffer.game_id(g) for g in range(buffer.num_games)}
    assert games == {3, 4, 5} and len(batch) == 64


def test_batch_moves_to_a_device(buffer: ReplayBuffer) -> None:
    batch = BatchSampler(buffer, FEATURES, batch_size=4).sample()
    moved = batch.to("cpu")
    assert torch.equal(moved.planes, batch.planes) and moved.value.device.type == "cpu"
