"""Principal variations recorded by self-play: the worker option, shards, journals, the flag.

The worker plays short 5x5 games with a handful of visits (``pv_min_visits`` lowered
to match); each stored PV is checked against the root statistics the worker saw just
before the move (its first move is the most visited child), replayed for legality,
and bounded by ``pv_length``.  Shards written with the option off must hold exactly
the arrays they held before the option existed, and old shards must still load.
"""

from __future__ import annotations

import argparse
import dataclasses
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.game import Game
from selfplay.journal import GameJournal, read_journal
from selfplay.shards import (
    GameRecord,
    list_shards,
    position_pvs,
    read_shard,
    unpack_games,
    write_shard,
)
from selfplay.worker import SelfPlayConfig, SelfPlayWorker
from tests.engine.test_puct import MaterialEvaluator
from tests.selfplay.test_shards import resigned_game, scored_game
from tests.selfplay.test_worker import config
from zerogo.pv_model import replays_legally

OLD_SHARD_ARRAYS = {
    "game_ids", "game_offsets", "size", "komi", "network", "moves", "policy_offsets",
    "policy_actions", "policy_probs", "policy_target", "root_value", "result", "score",
    "resigned", "no_resign", "ownership", "ownership_valid",
}  # fmt: skip


def play(tmp_path: Path, cfg: SelfPlayConfig, games: int = 2, seed: int = 3) -> list[GameRecord]:
    worker = SelfPlayWorker(MaterialEvaluator(cfg.size), cfg, tmp_path, seed=seed)
    assert worker.run(games=games) == games
    return [g for path in list_shards(tmp_path) for g in unpack_games(read_shard(path))]


@pytest.fixture
def best_children(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[int, int], Any]:
    """The most visited root children (and visits) of every move, by (game id, ply)."""
    seen: dict[tuple[int, int], Any] = {}
    original = SelfPlayWorker._move

    def move(self: SelfPlayWorker, g: int) -> None:
        slot = self.slots[g]
        if slot is not None:
            stats = self.forest.root_stats(g)
            top = stats.visits.max() if len(stats.visits) else 0
            seen[(slot.game_id, len(slot.game.moves))] = (
                {int(a) for a, v in zip(stats.actions, stats.visits, strict=True) if v == top},
                stats.visits_total,
            )
        original(self, g)

    monkeypatch.setattr(SelfPlayWorker, "_move", move)
    return seen


def test_each_full_search_stores_its_searched_line(
    tmp_path: Path, best_children: dict[tuple[int, int], Any]
) -> None:
    cfg = config(size=5, visits=24, record_pv=True, pv_length=6, pv_min_visits=24)
    games = play(tmp_path, cfg)
    stored = 0
    for game in games:
        assert game.pvs is not None and len(game.pvs) == len(game.moves)
        replay = Game(5, cfg.komi)
        for ply, (move, pv) in enumerate(zip(game.moves, game.pvs, strict=True)):
            best, _ = best_children[(game.game_id, ply)]
            assert pv, f"ply {ply}: a full search of {cfg.visits} visits stored no PV"
            assert pv[0] in best  # the line starts at the most visited child
            assert len(pv) <= cfg.pv_length
            assert replays_legally(replay.board, replay.to_move, pv)
            stored += 1
            replay.play(move)
    assert stored > 10


def test_small_searches_store_no_line(
    tmp_path: Path, best_children: dict[tuple[int, int], Any]
) -> None:
    # playout cap randomisation: cheap searches (4 visits) are under the floor of 12
    cfg = config(visits=12, fast_visits=4, full_search_prob=0.5, record_pv=True, pv_min_visits=12)
    games = play(tmp_path, cfg, seed=5)
    kinds = set()
    for game in games:
        assert game.pvs is not None
        for ply, (full, pv) in enumerate(zip(game.policy_target, game.pvs, strict=True)):
            _, visits = best_children[(game.game_id, ply)]
            assert bool(pv) == (full and visits >= 12), (ply, full, visits, pv)
            kinds.add(bool(pv))
    assert kinds == {True, False}


def test_off_the_shards_are_exactly_the_old_ones(tmp_path: Path) -> None:
    play(tmp_path, config(visits=8), games=2)
    for path in list_shards(tmp_path):
        assert set(read_shard(path)) == OLD_SHARD_ARRAYS
        assert all(g.pvs is None for g in unpack_games(read_shard(path)))


def test_pv_settings_are_checked() -> None:
    assert SelfPlayConfig().record_pv is False
    with pytest.raises(ValueError):
        SelfPlayConfig(pv_length=0)
    with pytest.raises(ValueError):
        SelfPlayConfig(pv_min_visits=0)


# -- storage --------------------------------------------------------------------------
def with_pvs(game: GameRecord) -> GameRecord:
    pvs = [[m, (m + 1) % 26] if k % 2 == 0 else [] for k, m in enumerate(game.moves)]
    return dataclasses.replace(game, pvs=pvs)


def test_shards_round_trip_games_with_and_without_pvs(tmp_path: Path) -> None:
    games = [with_pvs(scored_game()), resigned_game(), with_pvs(resigned_game())]
    games[2] = dataclasses.replace(games[2], game_id=99)
    path = write_shard(tmp_path / "shard.npz", games)
    arrays = read_shard(path)
    assert {"pv_offsets", "pv_actions", "pv_valid"} <= set(arrays)
    back = unpack_games(arrays)
    assert [g.pvs for g in back] == [g.pvs for g in games]
    pvs = position_pvs(arrays)
    assert pvs is not None and len(pvs) == sum(len(g.moves) for g in games)
    assert pvs[0].tolist() == games[0].pvs[0]


def test_an_old_shard_without_pv_arrays_loads(tmp_path: Path) -> None:
    path = write_shard(tmp_path / "shard.npz", [with_pvs(scored_game())])
    old = tmp_path / "old.npz"
    with np.load(path) as data:  # a shard as written before PVs existed
        np.savez_compressed(old, **{k: data[k] for k in data.files if not k.startswith("pv_")})
    assert zipfile.is_zipfile(old)
    assert position_pvs(read_shard(old)) is None
    back = unpack_games(read_shard(old))
    assert back[0].pvs is None and back[0].moves == scored_game().moves


def test_journal_records_keep_the_pvs(tmp_path: Path) -> None:
    journal = GameJournal(tmp_path / "journal-a.games")
    journal.append(with_pvs(scored_game()))
    journal.append(resigned_game())
    journal.close()
    back = read_journal(tmp_path / "journal-a.games")
    assert back[0].pvs == with_pvs(scored_game()).pvs
    assert back[1].pvs is None


def test_pv_count_must_match_the_moves() -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(scored_game(), pvs=[[1]])


# -- zerogo train --record-pv -----------------------------------------------------------
def test_train_flag_sets_the_worker_option(tmp_path: Path) -> None:
    from zerogo.pipeline import PipelineConfig
    from zerogo.train import add_arguments, build_config

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    base = ["--run-dir", str(tmp_path / "run")]
    assert build_config(parser.parse_args(base)).selfplay.record_pv is False
    on = build_config(parser.parse_args([*base, "--record-pv", "--pv-min-visits", "200"]))
    assert on.selfplay.record_pv is True and on.selfplay.pv_min_visits == 200
    again = PipelineConfig.from_dict(on.to_dict())  # as saved in pipeline.json
    assert again.selfplay.record_pv is True
    old = on.to_dict()
    for key in ("record_pv", "pv_length", "pv_min_visits"):  # a pipeline.json from before
        old["selfplay"].pop(key)
    assert PipelineConfig.from_dict(old).selfplay.record_pv is False
