"""Tests of the replay window (trainer.replay)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import trainer.replay as replay_module
from selfplay.shards import GameRecord, read_shard
from tests.trainer import random_records, write_games
from trainer.replay import PositionRefs, ReplayBuffer, id_hash_unit, validation_mask

GAMES_PER_SHARD = 4


def write_numbered_shards(directory: Path, first: int, count: int) -> dict[int, GameRecord]:
    """Write shards ``first .. first+count-1`` of 4 games each; return the games by id."""
    games = {}
    for shard in range(first, first + count):
        records = random_records(GAMES_PER_SHARD, seed=shard, first_id=GAMES_PER_SHARD * shard)
        write_games(directory, f"shard-{shard:04d}", records)
        games.update({r.game_id: r for r in records})
    return games


def window_ids(buffer: ReplayBuffer) -> list[int]:
    return [buffer.game_id(g) for g in range(buffer.num_games)]


@pytest.fixture
def counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the name of every shard the replay module reads."""
    names: list[str] = []

    def read(path):  # type: ignore[no-untyped-def]
        names.append(Path(path).name)
        return read_shard(path)

    monkeypatch.setattr(replay_module, "read_shard", read)
    return names


def test_window_keeps_the_latest_games_in_shard_then_game_order(tmp_path: Path) -> None:
    games = write_numbered_shards(tmp_path, 0, 3)
    buffer = ReplayBuffer(tmp_path, window_games=6)
    report = buffer.refresh()
    assert window_ids(buffer) == [6, 7, 8, 9, 10, 11]  # half of shard 1, all of shard 2
    # shard 0 is not even read: shards 2 and 1 fill the window
    assert (report.new_shards, report.skipped_shards, report.new_games) == (2, 1, 8)
    assert report.dropped_games == 2
    assert buffer.size == 5
    counts = buffer.counts()
    assert counts.games == 6
    assert counts.positions == sum(len(games[i].moves) for i in range(6, 12))
    assert counts.policy_positions == sum(sum(games[i].policy_target) for i in range(6, 12))
    for g, game_id in enumerate(window_ids(buffer)):
        assert buffer.game_moves(g).tolist() == games[game_id].moves
    every = buffer.positions()
    flags = buffer.records(every).has_policy.tolist()
    expected = [
        games[buffer.game_id(int(g))].policy_target[int(t)]
        for g, t in zip(every.game, every.move, strict=True)
    ]
    assert flags == expected
    policy_only = buffer.positions(policy_only=True)
    assert len(policy_only) == counts.policy_positions
    assert buffer.records(policy_only).has_policy.all()


def test_refresh_reads_only_new_shards(tmp_path: Path, counting_reads: list[str]) -> None:
    write_numbered_shards(tmp_path, 0, 2)
    buffer = ReplayBuffer(tmp_path, window_games=6)
    buffer.refresh()
    assert counting_reads == ["shard-0001.npz", "shard-0000.npz"]
    version = buffer.version
    assert buffer.refresh().new_shards == 0 and buffer.version == version

    games = write_numbered_shards(tmp_path, 2, 1)
    report = buffer.refresh()
    assert counting_reads[2:] == ["shard-0002.npz"]
    assert report.new_shards == 1 and report.new_games == 4 and report.dropped_games == 4
    assert report.new_positions == sum(len(r.moves) for r in games.values())
    assert window_ids(buffer) == [6, 7, 8, 9, 10, 11]
    assert buffer.version == version + 1
    assert buffer.games_seen == 12


def test_first_refresh_skips_shards_older_than_the_window(
    tmp_path: Path, counting_reads: list[str]
) -> None:
    write_numbered_shards(tmp_path, 0, 5)
    buffer = ReplayBuffer(tmp_path, window_games=5)
    report = buffer.refresh()
    assert counting_reads == ["shard-0004.npz", "shard-0003.npz"]
    assert report.skipped_shards == 3
    assert window_ids(buffer) == [15, 16, 17, 18, 19]


def test_serials_are_stable_across_refreshes(tmp_path: Path) -> None:
    write_numbered_shards(tmp_path, 0, 2)
    buffer = ReplayBuffer(tmp_path, window_games=6)
    buffer.refresh()
    serials = {buffer.game_id(g): buffer.game_serial(g) for g in range(buffer.num_games)}
    write_numbered_shards(tmp_path, 2, 1)
    buffer.refresh()
    for g in range(buffer.num_games):
        game_id = buffer.game_id(g)
        if game_id in serials:
            assert buffer.game_serial(g) == serials[game_id]
    assert sorted(buffer.game_serial(g) for g in range(buffer.num_games)) == list(range(6, 12))


def test_id_hash_is_splitmix64() -> None:
    """The split must never change: check the hash against a plain-Python splitmix64."""
    mask = (1 << 64) - 1

    def splitmix64(x: int) -> int:
        z = (x + 0x9E3779B97F4A7C15) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    assert splitmix64(0) == 0xE220A8397B1DCDAF  # the published first output for seed 0
    ids = np.array([0, 1, 2, 12345, 2**40 + 7, -1], dtype=np.int64)
    expected = [(splitmix64(int(i) & mask) >> 11) / 2**53 for i in ids]
    assert id_hash_unit(ids).tolist() == expected


def test_validation_split_is_stable_and_near_the_fraction() -> None:
    ids = np.arange(20_000, dtype=np.int64) * 7919
    mask = validation_mask(ids, 0.1)
    assert abs(mask.mean() - 0.1) < 0.01
    shuffled = np.random.default_rng(0).permutation(len(ids))
    assert np.array_equal(validation_mask(ids[shuffled], 0.1), mask[shuffled])
    assert not validation_mask(ids, 0.0).any()
    with pytest.raises(ValueError):
        validation_mask(ids, 1.0)


def test_buffer_split_follows_game_ids(tmp_path: Path) -> None:
    write_numbered_shards(tmp_path, 0, 4)
    wide = ReplayBuffer(tmp_path, window_games=16, validation_fraction=0.3)
    narrow = ReplayBuffer(tmp_path, window_games=7, validation_fraction=0.3)
    wide.refresh()
    narrow.refresh()
    for buffer in (wide, narrow):
        held_out = {buffer.game_id(int(g)) for g in buffer.positions("validation").game}
        trained = {buffer.game_id(int(g)) for g in buffer.positions("train").game}
        ids = np.array(window_ids(buffer), dtype=np.int64)
        assert held_out == set(ids[validation_mask(ids, 0.3)].tolist())
        assert trained == set(ids.tolist()) - held_out
        total = buffer.counts()
        train, validation = buffer.counts("train"), buffer.counts("validation")
        assert train.games + validation.games == total.games
        assert train.positions + validation.positions == total.positions
        assert train.policy_positions + validation.policy_positions == total.policy_positions
    assert 0 < wide.counts("validation").games < 16


def test_records_hold_policy_result_and_ownership(tmp_path: Path) -> None:
    records = random_records(3, seed=5)
    write_games(tmp_path, "only", records)
    buffer = ReplayBuffer(tmp_path, window_games=10)
    buffer.refresh()
    every = buffer.positions()
    data = buffer.records(every)
    assert len(every) == sum(len(r.moves) for r in records)
    assert buffer.counts().policy_positions == sum(sum(r.policy_target) for r in records)
    for i, (g, t) in enumerate(zip(every.game, every.move, strict=True)):
        record = records[int(g)]
        expected = np.zeros(26, dtype=np.float32)
        expected[record.moves[t]] = 1.0
        assert data.policy[i].tolist() == expected.tolist()
        assert data.has_policy[i] == record.policy_target[t]
        assert data.result[i] == record.result
        assert data.black_to_move[i] == (t % 2 == 0)
        assert data.ownership_valid[i] == (record.ownership is not None)
        if record.ownership is not None:
            assert data.ownership[i].tolist() == record.ownership.tolist()
    with pytest.raises(IndexError):
        buffer.records(PositionRefs(np.array([0]), np.array([len(records[0].moves)])))


def test_sample_draws_from_the_split_and_policy_targets(tmp_path: Path) -> None:
    write_numbered_shards(tmp_path, 0, 3)
    buffer = ReplayBuffer(tmp_path, window_games=12, validation_fraction=0.25)
    buffer.refresh()
    rng = np.random.default_rng(1)
    refs = buffer.sample(rng, 500, "validation", policy_only=True)
    held_out = set(buffer.positions("validation").game.tolist())
    assert set(refs.game.tolist()) <= held_out
    assert buffer.records(refs).has_policy.all()
    refs = buffer.sample(rng, 2000)
    assert len(set(zip(refs.game.tolist(), refs.move.tolist(), strict=True))) > 100


def test_empty_buffer_and_bad_shards(tmp_path: Path) -> None:
    buffer = ReplayBuffer(tmp_path / "missing", window_games=4)
    assert buffer.refresh().new_shards == 0 and buffer.num_games == 0
    with pytest.raises(ValueError, match="no positions"):
        buffer.sample(np.random.default_rng(0), 1)

    (tmp_path / "shard-9999.npz").write_bytes(b"not a shard")
    write_numbered_shards(tmp_path, 0, 1)
    buffer = ReplayBuffer(tmp_path, window_games=4)
    with pytest.warns(UserWarning, match="shard-9999.npz"):
        report = buffer.refresh()
    assert report.bad_shards == 1 and buffer.num_games == 4
    assert buffer.refresh().bad_shards == 0  # never retried


def test_other_board_size_is_refused(tmp_path: Path) -> None:
    write_numbered_shards(tmp_path, 0, 1)
    buffer = ReplayBuffer(tmp_path, window_games=8)
    buffer.refresh()
    write_games(tmp_path, "shard-0001", random_records(1, size=4, first_id=100))
    with pytest.raises(ValueError, match="board size 4"):
        buffer.refresh()
    with pytest.raises(ValueError, match="board size 4"):  # nothing of it was kept
        buffer.refresh()
    assert buffer.num_games == 4


def test_constructor_checks() -> None:
    with pytest.raises(ValueError):
        ReplayBuffer(".", window_games=0)
    with pytest.raises(ValueError):
        ReplayBuffer(".", window_games=4, validation_fraction=1.5)


def test_float32_shards_of_older_runs_load_beside_float16_ones(tmp_path: Path) -> None:
    """Shards written before policy_probs became float16 still train (committed runs)."""
    from selfplay.shards import pack_games, write_shard

    old, new = random_records(2, seed=8), random_records(2, seed=9, first_id=2)
    write_shard(tmp_path / "shard-0001.npz", new)
    arrays = pack_games(old, old[0].size)
    arrays["policy_probs"] = arrays["policy_probs"].astype(np.float32)
    np.savez_compressed(tmp_path / "shard-0000.npz", **arrays)
    assert read_shard(tmp_path / "shard-0000.npz")["policy_probs"].dtype == np.float32
    assert read_shard(tmp_path / "shard-0001.npz")["policy_probs"].dtype == np.float16

    buffer = ReplayBuffer(tmp_path, window_games=10)
    buffer.refresh()
    assert window_ids(buffer) == [r.game_id for r in old + new]
    data = buffer.records(buffer.positions())
    assert data.policy.dtype == np.float32
    sums = data.policy[data.has_policy].sum(axis=1)
    assert np.allclose(sums, 1.0, atol=1e-3)
