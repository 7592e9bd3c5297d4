"""Self-play shards: finished games stored compactly, written atomically.

A shard is one ``.npz`` file holding a batch of finished games as moves plus sparse
search probabilities; the trainer recomputes feature planes from the moves
(``engine.features.features_from_moves``).  A shard is written to a temporary name
and renamed into place, so a crash leaves either the whole shard or none of it:
at most the games still in flight are lost.

Arrays of a shard (G games, P positions in all, K sparse policy entries):

==================  ===========  ===============================================
name                shape/dtype  meaning
==================  ===========  ===============================================
game_ids            (G,) int64   unique game ids
game_offsets        (G+1,) int64 positions of game g are ``offsets[g]:offsets[g+1]``
size                (G,) int16   board size
komi                (G,) float32 komi
network             (G,) str     name of the network that played the game
moves               (P,) int16   flat action played at each position (pass N*N)
policy_offsets      (P+1,) int64 sparse π of position i is entries
                                 ``policy_offsets[i]:policy_offsets[i+1]``
policy_actions      (K,) int16   actions with non-zero search probability
policy_probs        (K,) float16 their probabilities (sum to 1 per position, to about
                                 1e-3: half the bytes of float32, which held 94% of a
                                 shard; older shards hold float32, loaders read both)
policy_target       (P,) bool    False for positions searched cheaply (playout cap
                                 randomisation): no policy target there
root_value          (P,) float32 search value at the root, side to move's view
result              (G,) float32 z from black's view: +1 black won, -1, 0 draw
score               (G,) float32 black minus white minus komi (NaN if resigned)
resigned            (G,) bool    game ended by resignation
no_resign           (G,) bool    resignation was disabled (calibration games)
ownership           (G, N*N) int8 final owner from black's view (+1, -1, 0)
ownership_valid     (G,) bool    False for resigned games (no final position)
==================  ===========  ===============================================

Optional arrays, present only in shards of games recorded with principal variations
(``SelfPlayConfig.record_pv``; shards without them load as games without PVs, and
shards written without any PV are exactly the arrays above):

==================  ===========  ===============================================
pv_offsets          (P+1,) int64 the PV of position i is entries
                                 ``pv_offsets[i]:pv_offsets[i+1]`` (empty: none
                                 recorded, e.g. a search under the visit floor)
pv_actions          (Q,) int16   flat actions of the PVs, the searched move first
pv_valid            (G,) bool    the game was recorded with PVs
==================  ===========  ===============================================

All games of a shard have the same board size.  Positions alternate colours from
black (self-play games have no handicap).
"""

from __future__ import annotations

import os
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SHARD_SUFFIX = ".npz"
WRITE_DELAY_ENV = "ZEROGO_SHARD_WRITE_DELAY"
"""Fault injection for the kill tests: seconds to pause between writing a shard's
temporary file and renaming it into place (unset in normal use)."""


@dataclass
class GameRecord:
    """One finished self-play game, as the worker produces it.

    Attributes:
        game_id: unique id.
        size: board size.
        komi: komi.
        network: name of the network that played it.
        moves: flat actions, in order (black first).
        policies: per position, (actions int16, probabilities float32) of the search.
        policy_target: per position, whether the search was a full one.
        root_values: per position, the root value for the side to move.
        result: +1 black won, -1 white won, 0 draw.
        score: black minus white minus komi, NaN if resigned.
        resigned: ended by resignation.
        no_resign: resignation was disabled in this game.
        ownership: int8 (N*N,) final owner from black's view, or None if resigned.
        pvs: per position, the search's principal variation (flat actions, the
            searched move first; empty where none was recorded), or None for a game
            recorded without PVs.
    """

    game_id: int
    size: int
    komi: float
    network: str
    moves: list[int]
    policies: list[tuple[np.ndarray, np.ndarray]]
    policy_target: list[bool]
    root_values: list[float]
    result: float
    score: float
    resigned: bool
    no_resign: bool
    ownership: np.ndarray | None = None
    extra: dict[str, float] = field(default_factory=dict)
    pvs: list[list[int]] | None = None

    def __post_init__(self) -> None:
        n = len(self.moves)
        if not (len(self.policies) == len(self.policy_target) == len(self.root_values) == n):
            raise ValueError("moves, policies, policy_target and root_values differ in length")
        if self.pvs is not None and len(self.pvs) != n:
            raise ValueError(f"pvs has {len(self.pvs)} entries for {n} moves")


def write_shard(path: str | os.PathLike[str], games: list[GameRecord]) -> Path:
    """Write ``games`` as one shard at ``path`` atomically (temporary file + rename).

    Raises:
        ValueError: if ``games`` is empty or mixes board sizes.
    """
    if not games:
        raise ValueError("a shard needs at least one game")
    sizes = {g.size for g in games}
    if len(sizes) != 1:
        raise ValueError(f"a shard holds one board size, got {sorted(sizes)}")
    size = sizes.pop()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    arrays = pack_games(games, size)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SHARD_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
            handle.flush()
            os.fsync(handle.fileno())
        delay = os.environ.get(WRITE_DELAY_ENV)
        if delay:
            time.sleep(float(delay))
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)
    return target


def read_shard(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Return the arrays of a shard (see the module docstring).

    Raises:
        ValueError: if the file is not a complete shard.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ValueError(f"{path}: not a readable shard ({exc})") from None
    missing = {"game_ids", "game_offsets", "moves", "policy_offsets"} - set(arrays)
    if missing:
        raise ValueError(f"{path}: shard lacks {sorted(missing)}")
    return arrays


def list_shards(directory: str | os.PathLike[str]) -> list[Path]:
    """Return the complete shards of ``directory`` in name order (temporaries skipped)."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"*{SHARD_SUFFIX}") if not p.name.startswith(".tmp-"))


def game_policy(arrays: dict[str, np.ndarray], position: int, size: int) -> np.ndarray:
    """Return the dense π (float32 (N*N+1,)) of one position of a shard."""
    dense = np.zeros(size * size + 1, dtype=np.float32)
    lo, hi = arrays["policy_offsets"][position], arrays["policy_offsets"][position + 1]
    dense[arrays["policy_actions"][lo:hi].astype(np.int64)] = arrays["policy_probs"][lo:hi]
    return dense


def pack_games(games: list[GameRecord], size: int) -> dict[str, np.ndarray]:
    n_points = size * size
    offsets = np.zeros(len(games) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(g.moves) for g in games])
    policy_lengths = [len(a) for g in games for a, _ in g.policies]
    policy_offsets = np.zeros(len(policy_lengths) + 1, dtype=np.int64)
    policy_offsets[1:] = np.cumsum(policy_lengths)
    empty_i = np.zeros(0, dtype=np.int16)
    empty_f = np.zeros(0, dtype=np.float16)
    actions = [a.astype(np.int16) for g in games for a, _ in g.policies] or [empty_i]
    probs = [p.astype(np.float16) for g in games for _, p in g.policies] or [empty_f]
    ownership = np.zeros((len(games), n_points), dtype=np.int8)
    valid = np.zeros(len(games), dtype=bool)
    for k, g in enumerate(games):
        if g.ownership is not None:
            ownership[k] = np.asarray(g.ownership, dtype=np.int8).reshape(-1)
            valid[k] = True
    arrays: dict[str, np.ndarray] = {
        "game_ids": np.array([g.game_id for g in games], dtype=np.int64),
        "game_offsets": offsets,
        "size": np.full(len(games), size, dtype=np.int16),
        "komi": np.array([g.komi for g in games], dtype=np.float32),
        "network": np.array([g.network for g in games], dtype=np.str_),
        "moves": np.array([m for g in games for m in g.moves], dtype=np.int16),
        "policy_offsets": policy_offsets,
        "policy_actions": np.concatenate(actions),
        "policy_probs": np.concatenate(probs),
        "policy_target": np.array([t for g in games for t in g.policy_target], dtype=bool),
        "root_value": np.array([v for g in games for v in g.root_values], dtype=np.float32),
        "result": np.array([g.result for g in games], dtype=np.float32),
        "score": np.array([g.score for g in games], dtype=np.float32),
        "resigned": np.array([g.resigned for g in games], dtype=bool),
        "no_resign": np.array([g.no_resign for g in games], dtype=bool),
        "ownership": ownership,
        "ownership_valid": valid,
    }
    if any(g.pvs is not None for g in games):
        arrays.update(pack_pvs(games))
    return arrays


def pack_pvs(games: list[GameRecord]) -> dict[str, np.ndarray]:
    """Return the optional PV arrays of ``games`` (see the module docstring)."""
    lines = [
        list(line) for g in games for line in (g.pvs if g.pvs is not None else [[]] * len(g.moves))
    ]
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(line) for line in lines])
    return {
        "pv_offsets": offsets,
        "pv_actions": np.array([a for line in lines for a in line], dtype=np.int16),
        "pv_valid": np.array([g.pvs is not None for g in games], dtype=bool),
    }


def position_pvs(arrays: dict[str, np.ndarray]) -> list[np.ndarray] | None:
    """Return the PV of every position of a shard's arrays (int64 flat actions, empty
    where none was recorded), or None for a shard without PVs."""
    if "pv_offsets" not in arrays:
        return None
    offsets, actions = arrays["pv_offsets"], arrays["pv_actions"].astype(np.int64)
    return [actions[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]


def unpack_games(arrays: dict[str, np.ndarray]) -> list[GameRecord]:
    """Return the games of a shard's arrays (the inverse of :func:`pack_games`)."""
    offsets = arrays["game_offsets"]
    policy_offsets = arrays["policy_offsets"]
    pvs = position_pvs(arrays)
    games = []
    for g, game_id in enumerate(arrays["game_ids"]):
        lo, hi = int(offsets[g]), int(offsets[g + 1])
        policies = []
        for i in range(lo, hi):
            a, b = int(policy_offsets[i]), int(policy_offsets[i + 1])
            policies.append(
                (arrays["policy_actions"][a:b].copy(), arrays["policy_probs"][a:b].copy())
            )
        games.append(
            GameRecord(
                game_id=int(game_id),
                size=int(arrays["size"][g]),
                komi=float(arrays["komi"][g]),
                network=str(arrays["network"][g]),
                moves=[int(m) for m in arrays["moves"][lo:hi]],
                policies=policies,
                policy_target=[bool(t) for t in arrays["policy_target"][lo:hi]],
                root_values=[float(v) for v in arrays["root_value"][lo:hi]],
                result=float(arrays["result"][g]),
                score=float(arrays["score"][g]),
                resigned=bool(arrays["resigned"][g]),
                no_resign=bool(arrays["no_resign"][g]),
                ownership=arrays["ownership"][g].copy() if arrays["ownership_valid"][g] else None,
                pvs=(
                    [[int(a) for a in pvs[i]] for i in range(lo, hi)]
                    if pvs is not None and arrays["pv_valid"][g]
                    else None
                ),
            )
        )
    return games


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
