"""Exercise every numba kernel once so that its machine code is compiled and cached.

numba checks a cached kernel against its own source file only: a kernel that calls a
kernel of another module keeps a stale inlined copy when only that module changes.
``drop_stale_caches`` therefore fingerprints all kernel sources together and empties
numba's cache when any of them changed since the last warm-up.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from engine import _playout_kernels as P
from engine import _policy_kernels as PK
from engine.board import Board
from engine.features import FeatureConfig, batch_features, features, features_from_moves
from engine.game import Game
from engine.player import Budget

ENGINE = Path(__file__).resolve().parent
STAMP = "kernels.sha256"


def kernel_fingerprint() -> str:
    """SHA-256 over every kernel module's source (``engine/**/_*kernels.py``)."""
    digest = hashlib.sha256()
    for path in sorted(ENGINE.rglob("_*kernels.py")):
        digest.update(path.relative_to(ENGINE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def drop_stale_caches() -> int:
    """Delete numba's cache files under ``engine/`` if any kernel source changed since
    the last call; return how many were deleted."""
    fingerprint = kernel_fingerprint()
    stamp = ENGINE / "__pycache__" / STAMP
    if stamp.exists() and stamp.read_text().strip() == fingerprint:
        return 0
    dropped = 0
    for pattern in ("*.nbi", "*.nbc"):
        for path in ENGINE.rglob(pattern):
            path.unlink(missing_ok=True)
            dropped += 1
    stamp.parent.mkdir(exist_ok=True)
    stamp.write_text(fingerprint + "\n")
    return dropped


def warm_all() -> None:
    """Compile (or load from cache) the kernels used by the engine."""
    for size in (5, 9):
        game = Game(size)
        game.play(0)
        game.board.legal_mask()
        game.board.tromp_taylor_owner()
        game.tromp_taylor_score()
        Board(size).copy().play(size * size)
    s = P.new_state(9)
    P.run_light_playouts(s, 2, np.uint64(1))
    PK.run_heavy_playouts(s, 2, np.uint64(1), PK.make_pattern_table(), np.array([0.9, 0.95, 0.9]))
    all_planes = FeatureConfig(extra=("liberties", "ko", "legal", "ones"))
    features(Game(9), all_planes)
    features_from_moves(9, [0, 81, 1])
    batch_features([Game(9)])
    from engine.mcts import MCTSConfig, MCTSPlayer
    from engine.scoring import final_position

    game = Game(9)
    MCTSPlayer(MCTSConfig(threads=1, seed=1, capacity=10_000), Budget(playouts=64)).genmove(game, 1)
    final_position(game, playouts=8)
    # the network player's search: a fresh tree, then a move that keeps its subtree
    # (compiled lazily, that second move took 5 s and lost a timed game), a snapshot
    from engine.evaluator import UniformEvaluator
    from engine.puct import PUCTConfig, PUCTPlayer

    player = PUCTPlayer(UniformEvaluator(9, all_planes), PUCTConfig(capacity=4_000),
                        Budget(playouts=48))
    game = Game(9)
    game.play(player.genmove(game, game.to_move).action)
    player.genmove(game, game.to_move)
    player.snapshot(game, game.to_move)
    from engine.envs.gym_env import GoEnv

    env = GoEnv(size=5, features=all_planes)
    env.reset(seed=0)
    env.step(25)
    env.state.score()
