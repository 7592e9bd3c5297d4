"""zerogo's Go engine: rules board, playouts, search, SGF and scoring.

Layers, bottom up: ``coords`` (coordinate systems), ``_board_kernels`` and
``board`` (rules), ``game`` (a game record with undo and scoring), the playout and
search kernels, ``mcts`` and ``puct`` (players), ``envs`` (RL environments).

The gymnasium environment ``zerogo/Go-v0`` is registered by ``import engine.envs``,
and by ``import engine`` when gymnasium is already imported (so that importing the
engine alone stays cheap for the search and GTP processes).
"""

import sys as _sys

if "gymnasium" in _sys.modules:  # pragma: no branch - depends on import order
    from engine import envs as envs  # registers zerogo/Go-v0
