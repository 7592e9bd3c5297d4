"""zerogo's Go engine: rules board, playouts, search, SGF and scoring.

Layers, bottom up: ``coords`` (coordinate systems), ``_board_kernels`` and
``board`` (rules), ``game`` (a game record with undo and scoring), the playout and
search kernels, ``mcts`` and ``puct`` (players), ``envs`` (RL environments).

The gymnasium environment ``zerogo/Go-v0`` is registered by ``import engine`` (and by
``import engine.envs``), so ``gymnasium.make("zerogo/Go-v0")`` works after it whatever
the import order; without gymnasium installed the engine imports as usual.  (Gymnasium
1.x has no plugin entry points any more; ``gymnasium.make("engine.envs:zerogo/Go-v0")``
imports and registers in one call.)
"""

try:
    from engine import envs as envs  # registers zerogo/Go-v0
except ImportError:  # pragma: no cover - gymnasium is a dependency; tolerate its absence
    pass
