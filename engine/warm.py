"""Exercise every numba kernel once so that its machine code is compiled and cached."""

from __future__ import annotations

import numpy as np

from engine import _playout_kernels as P
from engine import _policy_kernels as PK
from engine.board import Board
from engine.features import FeatureConfig, batch_features, features, features_from_moves
from engine.game import Game
from engine.player import Budget


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
    from engine.envs.gym_env import GoEnv

    env = GoEnv(size=5, features=all_planes)
    env.reset(seed=0)
    env.step(25)
    env.state.score()
