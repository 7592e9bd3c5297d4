"""Per-game durability: every finished self-play game is on disk when it finishes.

A worker appends each finished game to its open *journal* (``journal-TAG.games``)
and fsyncs before it counts the game as finished.  Once the journal holds
``games_per_shard`` games it is *compacted*: the same games are written as the shard
``shard-TAG.npz`` (atomically, ``selfplay.shards.write_shard``) and the journal is
deleted.  The shard's name follows from the journal's, which makes compaction
idempotent: a journal whose shard already exists was compacted by a writer killed
before it could delete the journal, and is dropped without writing anything twice.

A kill (SIGKILL, power loss) can therefore leave:

* a journal with a torn last record: the record is ignored (that game was never
  reported finished: the fsync had not returned);
* a journal and its finished shard: the journal is redundant;
* a journal and no shard: :func:`recover_journals` writes the shard.

A live writer holds an exclusive ``flock`` on its journal, so recovery running beside
it (or an orphaned worker of a killed parent still finishing its step) never compacts
a journal that is still being written.

Record layout (little-endian)::

    magic   4 bytes  b"ZGJ1"
    length  uint32   payload bytes
    crc32   uint32   of the payload
    payload          a one-game shard as ``.npz`` bytes (``selfplay.shards``)
"""

from __future__ import annotations

import fcntl
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from selfplay.shards import (
    SHARD_SUFFIX,
    GameRecord,
    fsync_dir,
    pack_games,
    unpack_games,
    write_shard,
)

JOURNAL_PREFIX = "journal-"
JOURNAL_SUFFIX = ".games"
_MAGIC = b"ZGJ1"
_HEADER = struct.Struct("<4sII")


def shard_path_for(journal: Path) -> Path:
    """Return the shard a journal compacts into (``journal-TAG.games`` -> ``shard-TAG.npz``)."""
    tag = journal.name[len(JOURNAL_PREFIX) : -len(JOURNAL_SUFFIX)]
    return journal.with_name(f"shard-{tag}{SHARD_SUFFIX}")


class GameJournal:
    """An append-only, fsynced file of finished games, held by one writer.

    Args:
        path: the journal file (``journal-TAG.games``); created, and locked.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not (
            self.path.name.startswith(JOURNAL_PREFIX) and self.path.name.endswith(JOURNAL_SUFFIX)
        ):
            raise ValueError(f"a journal is named {JOURNAL_PREFIX}TAG{JOURNAL_SUFFIX}: {self.path}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        fsync_dir(self.path.parent)
        self.games: list[GameRecord] = []

    def append(self, game: GameRecord) -> None:
        """Write ``game`` and fsync; when this returns the game survives any crash."""
        buffer = io.BytesIO()
        np.savez(buffer, **pack_games([game], game.size))  # type: ignore[arg-type]
        payload = buffer.getvalue()
        record = _HEADER.pack(_MAGIC, len(payload), zlib.crc32(payload)) + payload
        view = memoryview(record)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)
        self.games.append(game)

    def compact(self) -> Path | None:
        """Write the journal's games as its shard, delete the journal, release the lock.

        Returns the shard's path, or None when the journal held no game."""
        shard = None
        if self.games:
            shard = write_shard(shard_path_for(self.path), self.games)
        self.close(remove=True)
        return shard

    def close(self, remove: bool = False) -> None:
        if self._fd < 0:
            return
        if remove:
            self.path.unlink(missing_ok=True)
            fsync_dir(self.path.parent)
        os.close(self._fd)  # releases the lock
        self._fd = -1


def read_journal(path: str | os.PathLike[str]) -> list[GameRecord]:
    """Return the complete games of a journal, stopping at a torn or corrupt record."""
    data = Path(path).read_bytes()
    games: list[GameRecord] = []
    at = 0
    while at + _HEADER.size <= len(data):
        magic, length, crc = _HEADER.unpack_from(data, at)
        start = at + _HEADER.size
        payload = data[start : start + length]
        if magic != _MAGIC or len(payload) != length or zlib.crc32(payload) != crc:
            break  # torn by a kill mid-write: that game was never reported finished
        with np.load(io.BytesIO(payload), allow_pickle=False) as arrays:
            games.extend(unpack_games({name: arrays[name] for name in arrays.files}))
        at = start + length
    return games


def list_journals(directory: str | os.PathLike[str]) -> list[Path]:
    folder = Path(directory)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{JOURNAL_PREFIX}*{JOURNAL_SUFFIX}"))


def _locked_by_writer(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return True  # compacted meanwhile: nothing to do
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also releases the probe lock
    return False


def recover_journals(directory: str | os.PathLike[str]) -> list[Path]:
    """Compact the journals no live writer holds; return the shards written.

    Idempotent and safe to run beside live writers (their journals are skipped)."""
    written = []
    for journal in list_journals(directory):
        if _locked_by_writer(journal):
            continue
        shard = shard_path_for(journal)
        if not shard.exists():
            games = read_journal(journal)
            if games:
                write_shard(shard, games)
                written.append(shard)
        journal.unlink(missing_ok=True)
    if written:
        fsync_dir(Path(directory))
    return written


def journal_games(directory: str | os.PathLike[str]) -> int:
    """Count the finished games held in journals (not yet in shards)."""
    total = 0
    for journal in list_journals(directory):
        if shard_path_for(journal).exists():
            continue  # compacted, not yet deleted: its games are in the shard
        try:
            total += len(read_journal(journal))
        except FileNotFoundError:
            continue  # compacted while we looked
    return total
