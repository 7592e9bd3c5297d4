"""zerogo's Go engine: rules board, playouts, search, SGF and scoring.

Layers, bottom up: ``coords`` (coordinate systems), ``_board_kernels`` and
``board`` (rules), ``game`` (a game record with undo and scoring).
"""
