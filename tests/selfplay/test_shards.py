"""Self-play shards (selfplay.shards): round trip, atomic writes, broken files.

The records are written by hand on a 5x5 board with moves named by GTP vertex, so
every array of the shard can be checked against the record it came from.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from engine.board import BLACK, WHITE
from engine.game import Game
from selfplay import shards
from selfplay.shards import GameRecord, game_policy, list_shards, read_shard, write_shard
from tests.conftest import vertex

SIZE = 5
PASS = SIZE * SIZE


def sparse(entries: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Return a sparse π from ``{vertex or "pass": probability}``."""
    actions = [vertex(v, SIZE) for v in entries]
    return np.array(actions, dtype=np.int16), np.array(list(entries.values()), dtype=np.float32)


def scored_game() -> GameRecord:
    """A game that ended with two passes; ownership from the final position.

    Final position (black walls off columns A-B, white D-E, column C is neutral):

        A B C D E
      5 . X . O .
      4 . X . O .
      3 . X . O .
      2 . X . O .
      1 . X . O .
    """
    moves = "B1 D1 B2 D2 B3 D3 B4 D4 B5 D5 pass pass".split()
    game = Game(SIZE, komi=0.5)
    for v in moves:
        game.play(vertex(v, SIZE))
    owner = game.board.tromp_taylor_owner().reshape(-1)
    ownership = np.where(owner == BLACK, 1, np.where(owner == WHITE, -1, 0)).astype(np.int8)
    policies = [sparse({v: 1.0}) for v in moves]
    policies[0] = sparse({"B1": 0.5, "C3": 0.25, "D4": 0.25})
    policies[10] = sparse({"pass": 0.75, "A1": 0.25})
    return GameRecord(
        game_id=11,
        size=SIZE,
        komi=0.5,
        network="gen-0003",
        moves=[vertex(v, SIZE) for v in moves],
        policies=policies,
        policy_target=[k % 3 != 1 for k in range(len(moves))],
        root_values=[0.05 * k - 0.3 for k in range(len(moves))],
        result=-1.0,
        score=game.tromp_taylor_score(),
        resigned=False,
        no_resign=True,
        ownership=ownership,
    )


def resigned_game() -> GameRecord:
    """Black plays two moves, white resigns: no score, no ownership."""
    return GameRecord(
        game_id=2**62 - 5,
        size=SIZE,
        komi=0.5,
        network="gen-0004",
        moves=[vertex("C3", SIZE), vertex("B4", SIZE), vertex("D2", SIZE)],
        policies=[
            sparse({"C3": 1.0}),
            sparse({"B4": 0.6, "E5": 0.4}),
            sparse({"D2": 0.9, "pass": 0.1}),
        ],
        policy_target=[True, True, True],
        root_values=[0.0, -0.9, 0.95],
        result=1.0,
        score=float("nan"),
        resigned=True,
        no_resign=False,
    )


def empty_game() -> GameRecord:
    """Resigned before the first move (resign_after = 0): no positions at all."""
    return GameRecord(
        game_id=7,
        size=SIZE,
        komi=0.5,
        network="gen-0004",
        moves=[],
        policies=[],
        policy_target=[],
        root_values=[],
        result=-1.0,
        score=float("nan"),
        resigned=True,
        no_resign=False,
    )


def dense(policy: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    out = np.zeros(PASS + 1, dtype=np.float32)
    out[policy[0].astype(np.int64)] = policy[1]
    return out


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    records = [scored_game(), empty_game(), resigned_game()]
    path = write_shard(tmp_path / "shard-0001.npz", records)
    assert path == tmp_path / "shard-0001.npz"
    arrays = read_shard(path)

    assert arrays["game_ids"].tolist() == [11, 7, 2**62 - 5]
    assert arrays["game_offsets"].tolist() == [0, 12, 12, 15]
    assert arrays["size"].tolist() == [SIZE] * 3
    assert arrays["komi"].tolist() == [0.5] * 3
    assert arrays["network"].tolist() == ["gen-0003", "gen-0004", "gen-0004"]
    assert arrays["result"].tolist() == [-1.0, -1.0, 1.0]
    assert arrays["resigned"].tolist() == [False, True, True]
    assert arrays["no_resign"].tolist() == [True, False, False]
    assert arrays["ownership_valid"].tolist() == [True, False, False]
    assert arrays["score"][0] == records[0].score
    assert np.isnan(arrays["score"][1:]).all()
    assert records[0].ownership is not None
    assert np.array_equal(arrays["ownership"][0], records[0].ownership)
    assert not arrays["ownership"][1:].any()

    positions = [(r, i) for r in records for i in range(len(r.moves))]
    assert arrays["moves"].tolist() == [r.moves[i] for r, i in positions]
    assert arrays["policy_target"].tolist() == [r.policy_target[i] for r, i in positions]
    assert np.allclose(arrays["root_value"], [r.root_values[i] for r, i in positions])
    for p, (record, i) in enumerate(positions):
        pi = game_policy(arrays, p, SIZE)
        assert pi.shape == (PASS + 1,) and pi.dtype == np.float32
        # stored in float16: each probability to 2**-11 relative, the sum to about 1e-3
        assert np.allclose(pi, dense(record.policies[i]), rtol=2**-11, atol=1e-7)
        assert pi.sum() == pytest.approx(1.0, abs=1e-3)
    assert arrays["policy_probs"].dtype == np.float16


def test_ownership_of_the_scored_game_matches_its_score(tmp_path: Path) -> None:
    arrays = read_shard(write_shard(tmp_path / "s.npz", [scored_game()]))
    owner = arrays["ownership"][0].reshape(SIZE, SIZE)  # [row, col], row 0 at the bottom
    assert owner.tolist() == [[1, 1, 0, -1, -1]] * SIZE
    assert arrays["score"][0] == pytest.approx(owner.sum() - 0.5) == -0.5


def test_record_lengths_must_agree() -> None:
    record = scored_game()
    with pytest.raises(ValueError, match="differ in length"):
        GameRecord(**{**record.__dict__, "root_values": record.root_values[:-1]})


def test_mixed_board_sizes_are_refused(tmp_path: Path) -> None:
    small = empty_game()
    other = GameRecord(**{**empty_game().__dict__, "size": 7, "game_id": 8})
    with pytest.raises(ValueError, match="one board size"):
        write_shard(tmp_path / "mixed.npz", [small, other])
    assert list(tmp_path.iterdir()) == []


def test_an_empty_shard_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one game"):
        write_shard(tmp_path / "none.npz", [])
    assert list(tmp_path.iterdir()) == []


def failing_savez(error: BaseException):  # type: ignore[no-untyped-def]
    """A stand-in for np.savez_compressed that writes half a file, then fails."""

    def savez(handle, **arrays):  # type: ignore[no-untyped-def]
        handle.write(b"PK\x03\x04 half of a shard")
        handle.flush()
        raise error

    return savez


@pytest.mark.parametrize(
    "error",
    [OSError(28, "No space left on device"), KeyboardInterrupt()],
    ids=["oserror", "ctrl-c"],
)
def test_failed_write_leaves_no_shard_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    monkeypatch.setattr(shards.np, "savez_compressed", failing_savez(error))
    with pytest.raises(type(error)):
        write_shard(tmp_path / "shard-0001.npz", [scored_game()])
    assert list(tmp_path.iterdir()) == []
    assert list_shards(tmp_path) == []


def test_failed_rewrite_keeps_the_old_shard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_shard(tmp_path / "shard-0001.npz", [scored_game()])
    before = path.read_bytes()
    monkeypatch.setattr(shards.np, "savez_compressed", failing_savez(OSError(5, "I/O error")))
    with pytest.raises(OSError):
        write_shard(path, [resigned_game()])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shard-0001.npz"]
    assert read_shard(path)["game_ids"].tolist() == [11]


def test_list_shards_skips_temporaries_and_other_files(tmp_path: Path) -> None:
    good = write_shard(tmp_path / "shard-b.npz", [scored_game()])
    write_shard(tmp_path / "shard-a.npz", [resigned_game()])
    (tmp_path / ".tmp-k2j4h1.npz").write_bytes(good.read_bytes())  # a crashed writer's file
    (tmp_path / ".tmp-empty.npz").write_bytes(b"")
    (tmp_path / "lineage.jsonl").write_text("{}\n")
    assert [p.name for p in list_shards(tmp_path)] == ["shard-a.npz", "shard-b.npz"]
    assert list_shards(tmp_path / "missing") == []


def member_data_offset(path: Path, member: str) -> int:
    """Return the byte offset of ``member``'s compressed data inside a zip file."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(30)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_length + extra_length


def damage(kind: str, good: bytes, path: Path) -> bytes:
    if kind == "half":
        return good[: len(good) // 2]
    if kind == "tail-cut":  # the central directory is gone
        return good[:-30]
    if kind == "header-only":
        return good[:10]
    if kind == "empty":
        return b""
    if kind == "text":
        return b"this is not a shard\n" * 20
    assert kind == "flipped-bytes"  # damaged compressed data of the moves array
    start = member_data_offset(path, "moves.npy") + 4
    broken = bytearray(good)
    for k in range(start, start + 8):
        broken[k] ^= 0xFF
    return bytes(broken)


@pytest.mark.parametrize(
    "kind", ["half", "tail-cut", "header-only", "empty", "text", "flipped-bytes"]
)
def test_damaged_file_raises_value_error_naming_it(tmp_path: Path, kind: str) -> None:
    good = write_shard(tmp_path / "good.npz", [scored_game(), resigned_game()])
    bad = tmp_path / f"shard-{kind}.npz"
    bad.write_bytes(damage(kind, good.read_bytes(), good))
    with pytest.raises(ValueError, match=f"shard-{kind}.npz"):
        read_shard(bad)


def test_npz_without_the_shard_arrays_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(ValueError, match="other.npz.*lacks"):
        read_shard(path)
