"""Per-game durability (selfplay.journal): fsynced appends, torn records, idempotent
compaction and recovery that never touches a live writer's journal."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from selfplay.journal import (
    GameJournal,
    journal_games,
    list_journals,
    read_journal,
    recover_journals,
    shard_path_for,
)
from selfplay.shards import list_shards, read_shard, write_shard
from tests.selfplay.test_shards import scored_game


def games(n: int) -> list:
    return [dataclasses.replace(scored_game(), game_id=100 + k) for k in range(n)]


def shard_ids(folder: Path) -> list[int]:
    return [int(i) for p in list_shards(folder) for i in read_shard(p)["game_ids"]]


def assert_same_game(a, b) -> None:
    assert (a.game_id, a.size, a.komi, a.network, a.moves) == (
        b.game_id, b.size, b.komi, b.network, b.moves,
    )
    assert a.policy_target == b.policy_target
    assert np.allclose(a.root_values, b.root_values)
    for (xa, pa), (xb, pb) in zip(a.policies, b.policies, strict=True):
        assert list(xa) == list(xb) and np.allclose(pa, pb)
    assert (a.result, a.resigned, a.no_resign) == (b.result, b.resigned, b.no_resign)
    assert np.array_equal(a.ownership, b.ownership)


def test_every_appended_game_reads_back_exactly(tmp_path: Path) -> None:
    journal = GameJournal(tmp_path / "journal-a.games")
    written = games(3)
    for game in written:
        journal.append(game)
    back = read_journal(journal.path)
    assert len(back) == 3
    for a, b in zip(written, back, strict=True):
        assert_same_game(a, b)
    journal.close()


def test_a_torn_last_record_is_ignored_and_the_rest_kept(tmp_path: Path) -> None:
    journal = GameJournal(tmp_path / "journal-a.games")
    for game in games(2):
        journal.append(game)
    journal.close()
    data = journal.path.read_bytes()
    for cut in (1, 10, len(data) // 4):
        journal.path.write_bytes(data + data[: len(data) // 2][:-cut])  # a half-written third
        assert [g.game_id for g in read_journal(journal.path)] == [100, 101]
    corrupt = bytearray(data)
    corrupt[-5] ^= 0xFF  # bit rot in the second record: the CRC stops the read there
    journal.path.write_bytes(bytes(corrupt))
    assert [g.game_id for g in read_journal(journal.path)] == [100]


def test_compaction_writes_the_named_shard_and_removes_the_journal(tmp_path: Path) -> None:
    journal = GameJournal(tmp_path / "journal-x1.games")
    for game in games(4):
        journal.append(game)
    shard = journal.compact()
    assert shard == tmp_path / "shard-x1.npz" == shard_path_for(tmp_path / "journal-x1.games")
    assert shard_ids(tmp_path) == [100, 101, 102, 103]
    assert list_journals(tmp_path) == []


def test_recovery_compacts_orphans_once_and_skips_live_writers(tmp_path: Path) -> None:
    orphan = GameJournal(tmp_path / "journal-orphan.games")
    for game in games(3):
        orphan.append(game)
    orphan.close()  # the writer died: its lock is gone, the file stays
    live = GameJournal(tmp_path / "journal-live.games")
    live.append(dataclasses.replace(scored_game(), game_id=999))
    assert journal_games(tmp_path) == 4
    written = recover_journals(tmp_path)
    assert [p.name for p in written] == ["shard-orphan.npz"]
    assert sorted(shard_ids(tmp_path)) == [100, 101, 102]
    assert [p.name for p in list_journals(tmp_path)] == ["journal-live.games"]  # untouched
    assert recover_journals(tmp_path) == []  # idempotent
    live.close()
    recover_journals(tmp_path)
    assert sorted(shard_ids(tmp_path)) == [100, 101, 102, 999]


def test_a_journal_whose_shard_exists_is_dropped_without_duplicates(tmp_path: Path) -> None:
    # killed between the shard's rename and the journal's deletion
    journal = GameJournal(tmp_path / "journal-k.games")
    for game in games(2):
        journal.append(game)
    write_shard(shard_path_for(journal.path), journal.games)
    journal.close()
    assert journal_games(tmp_path) == 0  # not counted twice while both exist
    assert recover_journals(tmp_path) == []
    assert shard_ids(tmp_path) == [100, 101]
    assert list_journals(tmp_path) == []


def test_journal_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="journal-TAG.games"):
        GameJournal(tmp_path / "games.bin")
