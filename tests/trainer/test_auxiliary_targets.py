"""Tests of KataGo's auxiliary targets and losses: score, opponent policy, short-term value.

trainer.replay (the targets), trainer.dataset (batches, symmetries), trainer.loss (the
terms and their masks), trainer.config (weights) and trainer.train (a network with
auxiliary heads learns each of them on a tiny batch).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.features import FeatureConfig
from nn.go_net import GoNet, preset
from selfplay.shards import GameRecord
from tests.trainer import one_torch_thread, random_records, write_games
from trainer.config import TrainConfig
from trainer.dataset import BatchSampler
from trainer.loss import training_loss
from trainer.replay import PositionRefs, ReplayBuffer
from trainer.train import Trainer, seed_everything

SIZE = 5
FEATURES = FeatureConfig(history=2)
HORIZON = 3.0


@pytest.fixture(autouse=True, scope="module")
def _single_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


def with_root_values(records: list[GameRecord], seed: int) -> list[GameRecord]:
    """Give every position a random root value in [-1, 1]."""
    rng = np.random.default_rng(seed)
    return [
        dataclasses.replace(r, root_values=rng.uniform(-1, 1, len(r.moves)).tolist())
        for r in records
    ]


@pytest.fixture(scope="module")
def games(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[GameRecord]]:
    directory = tmp_path_factory.mktemp("shards")
    records = with_root_values(random_records(9, seed=31), seed=1)
    write_games(directory, "a", records)
    return directory, records


@pytest.fixture
def buffer(games: tuple[Path, list[GameRecord]]) -> ReplayBuffer:
    buffer = ReplayBuffer(games[0], window_games=16)
    buffer.refresh()
    return buffer


def naive_short_term(record: GameRecord, t: int, horizon: float) -> float:
    """The short-term value of position t, summed term by term to the end of the game."""
    lam = 1.0 - 1.0 / horizon
    values = record.root_values
    total = 0.0
    for k in range(len(values) - t):
        sign = 1.0 if k % 2 == 0 else -1.0
        total += (1.0 - lam) * lam**k * sign * values[t + k]
    side = 1.0 if t % 2 == 0 else -1.0
    return total + lam ** (len(values) - t) * record.result * side


def all_positions(buffer: ReplayBuffer) -> PositionRefs:
    return buffer.positions("train")


def test_records_hold_score_next_policy_and_short_term_value(
    buffer: ReplayBuffer, games: tuple[Path, list[GameRecord]]
) -> None:
    records = {r.game_id: r for r in games[1]}
    refs = all_positions(buffer)
    data = buffer.records(refs, short_term_horizon=HORIZON)
    for i in range(len(refs)):
        record = records[buffer.game_id(int(refs.game[i]))]
        t = int(refs.move[i])
        if record.resigned:
            assert np.isnan(data.score[i])
        else:
            assert data.score[i] == pytest.approx(record.score)
        has_next = t + 1 < len(record.moves) and record.policy_target[t + 1]
        assert data.has_next_policy[i] == has_next
        if has_next:
            assert data.next_policy[i].argmax() == record.moves[t + 1]
        else:
            assert not data.next_policy[i].any()
        assert data.has_short_term_value[i]
        want = naive_short_term(record, t, HORIZON)
        assert data.short_term_value[i] == pytest.approx(want, abs=1e-3)


def test_short_term_value_of_horizon_one_is_the_root_value(buffer: ReplayBuffer) -> None:
    refs = all_positions(buffer)
    data = buffer.records(refs, short_term_horizon=1.0)
    for i in range(0, len(refs), 7):
        game, t = int(refs.game[i]), int(refs.move[i])
        shard, local = buffer._locate(game)
        position = shard.game_offsets[local] + t
        assert data.short_term_value[i] == pytest.approx(shard.root_value[position])
    with pytest.raises(ValueError, match="horizon"):
        buffer.records(refs, short_term_horizon=0.5)


def test_shards_without_root_values_or_scores_mask_those_targets(tmp_path: Path) -> None:
    path = write_games(tmp_path, "old", random_records(3, seed=5))
    arrays = dict(np.load(path))
    del arrays["root_value"], arrays["score"]
    np.savez_compressed(path, **arrays)
    buffer = ReplayBuffer(tmp_path, window_games=4)
    buffer.refresh()
    data = buffer.records(buffer.positions("train"))
    assert not data.has_short_term_value.any() and np.isnan(data.score).all()


def test_batches_carry_the_targets_for_the_side_to_move(buffer: ReplayBuffer) -> None:
    sampler = BatchSampler(buffer, FEATURES, cache_mb=0, short_term_horizon=HORIZON)
    refs = all_positions(buffer)
    batch = sampler.batch(refs)
    data = buffer.records(refs, short_term_horizon=HORIZON)
    side = np.where(refs.move % 2 == 0, 1.0, -1.0)
    scored = np.isfinite(data.score)
    assert batch.score_mask.numpy().tolist() == scored.tolist()
    np.testing.assert_allclose(batch.score.numpy(), np.where(scored, data.score * side, 0.0))
    np.testing.assert_array_equal(batch.opponent_policy.numpy(), data.next_policy)
    np.testing.assert_array_equal(batch.short_term_value.numpy(), data.short_term_value)
    assert batch.opponent_policy_mask.any() and not batch.opponent_policy_mask.all()


@pytest.mark.parametrize("k", range(1, 8))
def test_opponent_policy_turns_with_the_board(buffer: ReplayBuffer, k: int) -> None:
    sampler = BatchSampler(buffer, FEATURES, cache_mb=0)
    refs = all_positions(buffer)
    keep = np.flatnonzero(buffer.records(refs).has_next_policy)[:10]
    here = PositionRefs(refs.game[keep], refs.move[keep])
    after = PositionRefs(refs.game[keep], refs.move[keep] + 1)
    ks = np.full(len(keep), k)
    # the opponent-policy target of t is the policy target of t + 1, in the same frame
    np.testing.assert_array_equal(
        sampler.batch(here, ks).opponent_policy.numpy(), sampler.batch(after, ks).policy.numpy()
    )


# -- loss --------------------------------------------------------------------------


def net(name: str = "b1c8-score-opp-stv", seed: int = 0) -> GoNet:
    seed_everything(seed)
    return GoNet(preset(name, board_size=SIZE, in_planes=FEATURES.num_planes))


def test_loss_adds_weighted_terms_only_for_heads_the_network_has(buffer: ReplayBuffer) -> None:
    batch = BatchSampler(buffer, FEATURES, batch_size=16, seed=3).sample()
    model = net().eval()
    with torch.no_grad():
        named = model(batch.planes, heads=True)
        plain = training_loss(model(batch.planes), batch)
        full = training_loss(
            named, batch, score_weight=2.0, opponent_policy_weight=3.0, short_term_value_weight=4.0
        )
    assert {"score", "opponent_policy", "short_term_value", "score_error"} <= set(full)
    assert "score" not in plain
    extra = 2.0 * full["score"] + 3.0 * full["opponent_policy"] + 4.0 * full["short_term_value"]
    assert full["loss"].item() == pytest.approx((plain["loss"] + extra).item(), rel=1e-5)
    # resigned games have no score: their predictions do not matter
    resigned = ~batch.score_mask
    assert resigned.any()
    named["score"] = torch.where(resigned, torch.full_like(named["score"], 1e4), named["score"])
    again = training_loss(named, batch)
    assert again["score"].item() == pytest.approx(full["score"].item(), rel=1e-5)


def test_loss_needs_the_targets_of_the_heads(buffer: ReplayBuffer) -> None:
    batch = BatchSampler(buffer, FEATURES, batch_size=8, seed=3).sample()
    bare = dataclasses.replace(batch, score=None, score_mask=None)
    with torch.no_grad():
        named = net()(batch.planes, heads=True)
    with pytest.raises(ValueError, match="no score targets"):
        training_loss(named, bare)
    with pytest.raises(ValueError, match="no loss"):
        training_loss({**named, "mystery": named["value"]}, batch)


def test_every_auxiliary_term_decreases_on_a_tiny_batch(buffer: ReplayBuffer) -> None:
    batch = BatchSampler(buffer, FEATURES, batch_size=48, seed=4).sample()
    config = TrainConfig(
        window_games=16, min_games=0, batch_size=48, device="cpu", optimizer="adamw", lr=3e-3
    )
    trainer = Trainer(net("b1c8-pool1-poolhead-score-opp-stv"), config)
    first = trainer.train_step(batch)
    for _ in range(40):
        last = trainer.train_step(batch)
    for term in ("loss", "policy", "value", "score", "opponent_policy", "short_term_value"):
        assert last[term] < first[term], (term, first[term], last[term])
    validation = trainer.validate([batch])
    assert {"score", "opponent_policy", "short_term_value"} <= set(validation)


def test_config_weights_and_validation() -> None:
    config = TrainConfig(score_weight=0.0, short_term_horizon=2.0)
    weights = config.loss_weights()
    assert weights["score_weight"] == 0.0 and weights["opponent_policy_weight"] == 0.15
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert "short_term_horizon" not in weights
    for bad in ({"score_weight": -1.0}, {"short_term_horizon": 0.5}):
        with pytest.raises(ValueError):
            TrainConfig(**bad)  # type: ignore[arg-type]
