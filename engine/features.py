"""Network input planes of a position: AlphaGo Zero's 17 planes plus optional extras.

Notation as in the AlphaGo Zero paper: for the position after the last move, ``X_t``
is the side to move's stones ``t`` moves ago and ``Y_t`` the opponent's; ``C`` is all
ones when black is to move.  The default ``FeatureConfig()`` gives exactly
AlphaGo Zero's 17 planes in its order ``X_0, Y_0, X_1, Y_1, ..., X_7, Y_7, C``
(history before the first move is padded with empty planes).  Extra planes follow, in
the order named in ``FeatureConfig.extra``:

============  ======  ========================================================
extra         planes  meaning
============  ======  ========================================================
liberties     8       own chains with 1, 2, 3, >= 4 liberties, then opponent's
ko            1       the simple-ko point the side to move may not retake
legal         1       legal moves of the side to move (superko included)
ones          1       constant ones (lets a zero-padded convolution see the edge)
ladder        3       own stones a ladder captures, the opponent's, and the
                      moves that start a working ladder for the side to move
                      (KataGo's ladder features; read by
                      ``engine._feature_kernels.fill_ladder_planes``)
============  ======  ========================================================

Planes are float32 ``(C, N, N)`` indexed ``[plane, row, col]`` with row 0 at the
bottom (``engine.coords``), so ``planes[k].reshape(-1)[action]`` is the point of a
flat action.  The arithmetic is done by the numba kernels of
``engine._feature_kernels``.

Entry points:

* ``features(game, config)``: planes of a ``Game``'s current position.  History is
  read from ``game.board`` and the board snapshots ``game._snapshots`` that ``Game``
  keeps before every move (one colour array copied per history plane pair; nothing is
  replayed).
* ``HistoryBuffer`` + ``features_from_history(history, board, config)``: for
  self-play and search, which keep the last ``T`` colour arrays up to date with one
  ``push`` per move instead of rebuilding the history each time.
* ``batch_features`` / ``batch_features_from_history``: ``(B, C, N, N)`` for many
  positions in one kernel call.
* ``features_from_moves`` / ``features_from_game``: replay a game record once in
  numba and return the planes of every position, ``(M, C, N, N)`` (training data is
  stored as moves; the planes are rebuilt when training).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine import _board_kernels as BK
from engine import _feature_kernels as FK
from engine.board import BLACK, WHITE, Board, IllegalMoveError, Rules
from engine.game import Game

EXTRA_PLANES: dict[str, int] = {
    "liberties": FK.LIBERTY_PLANES,
    "ko": 1,
    "legal": 1,
    "ones": 1,
    "ladder": FK.LADDER_PLANES,
}
"""Number of planes of each extra feature, by name."""

_EXTRA_SLOT = {
    "liberties": FK.L_LIBERTIES,
    "ko": FK.L_KO,
    "legal": FK.L_LEGAL,
    "ones": FK.L_ONES,
    "ladder": FK.L_LADDER,
}


@dataclass(frozen=True)
class FeatureConfig:
    """Which input planes the network sees.

    Attributes:
        history: H, positions encoded (the current one and ``H - 1`` earlier ones);
            AlphaGo Zero uses 8, giving ``2H + 1 = 17`` planes.
        extra: names of extra planes appended after the AlphaGo Zero planes, in this
            order; any of ``EXTRA_PLANES`` ("liberties", "ko", "legal", "ones",
            "ladder").

    Raises:
        ValueError: for a history below 1, or an unknown or repeated extra.
    """

    history: int = 8
    extra: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.extra, str):
            raise ValueError("extra must be a sequence of names, not a string")
        object.__setattr__(self, "extra", tuple(self.extra))
        if self.history < 1:
            raise ValueError(f"history must be at least 1, not {self.history}")
        for name in self.extra:
            if name not in EXTRA_PLANES:
                known = ", ".join(EXTRA_PLANES)
                raise ValueError(f"unknown extra feature {name!r} (known: {known})")
        if len(set(self.extra)) != len(self.extra):
            raise ValueError(f"extra features repeat: {self.extra}")

    @property
    def num_planes(self) -> int:
        """Total number of planes C."""
        return 2 * self.history + 1 + sum(EXTRA_PLANES[name] for name in self.extra)

    def offset(self, name: str) -> int:
        """Return the index of the first plane of extra feature ``name``.

        Raises:
            KeyError: if ``name`` is not among this config's extras.
        """
        index = 2 * self.history + 1
        for other in self.extra:
            if other == name:
                return index
            index += EXTRA_PLANES[other]
        raise KeyError(f"{name!r} is not an extra feature of this config")

    def layout(self) -> np.ndarray:
        """Return the int64 layout array the kernels read (``engine._feature_kernels``)."""
        layout = np.full(FK.LAYOUT_LEN, -1, dtype=np.int64)
        layout[FK.L_HISTORY] = self.history
        for name in self.extra:
            layout[_EXTRA_SLOT[name]] = self.offset(name)
        return layout

    def plane_names(self) -> list[str]:
        """Return a short name for every plane, e.g. ``own_0``, ``opp_0``, ``black_to_move``."""
        names: list[str] = []
        for t in range(self.history):
            names += [f"own_{t}", f"opp_{t}"]
        names.append("black_to_move")
        for name in self.extra:
            if name == "liberties":
                buckets = ("1", "2", "3", "4+")
                names += [f"{side}_libs_{k}" for side in ("own", "opp") for k in buckets]
            elif name == "ladder":
                names += ["own_laddered", "opp_laddered", "ladder_moves"]
            else:
                names.append(name)
        return names

    @property
    def needs_board(self) -> bool:
        """True if some plane needs more than stone colours (liberties, ko, legal, ladder)."""
        return any(name in self.extra for name in ("liberties", "ko", "legal", "ladder"))


DEFAULT_CONFIG = FeatureConfig()


class HistoryBuffer:
    """The padded colour arrays of the last ``depth`` positions, newest first.

    Push the board's colours after every move (``push_board``); positions from
    before the start of the game stay empty.  ``copy`` is cheap (one small array),
    so a search can branch a buffer per line of play.

    Args:
        size: board size N.
        depth: positions kept (at least the ``history`` of the configs it feeds).

    Raises:
        ValueError: for a depth below 1.
    """

    def __init__(self, size: int, depth: int = 8) -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1, not {depth}")
        self.size = size
        self.depth = depth
        width = size + 2
        self._stack = np.zeros((depth, width * width), dtype=np.int8)
        self._count = 0

    @classmethod
    def from_game(cls, game: Game, depth: int = 8) -> HistoryBuffer:
        """Return a buffer holding ``game``'s current position and the ones before it."""
        buffer = cls(game.size, depth)
        _stack_from_game(game, buffer._stack)
        buffer._count = min(depth, len(game._snapshots) + 1)
        return buffer

    @property
    def stack(self) -> np.ndarray:
        """int8 (depth, W*W) padded colours, ``stack[t]`` = ``t`` moves ago (do not modify)."""
        return self._stack

    @property
    def count(self) -> int:
        """Number of real (pushed) positions held, at most ``depth``."""
        return self._count

    def push(self, color: np.ndarray) -> None:
        """Record a new current position from its padded colour array (copied).

        Raises:
            ValueError: if the array does not have ``W*W`` points.
        """
        if color.shape != self._stack.shape[1:]:
            raise ValueError(f"expected a padded colour array of shape {self._stack.shape[1:]}")
        self._stack[1:] = self._stack[:-1]
        self._stack[0] = color
        self._count = min(self.depth, self._count + 1)

    def push_board(self, board: Board) -> None:
        """Record ``board``'s position as the new current one.

        Raises:
            ValueError: if the board has another size.
        """
        if board.size != self.size:
            raise ValueError(f"board size {board.size} does not match buffer size {self.size}")
        self.push(board.arrays.color)

    def clear(self) -> None:
        """Forget every position."""
        self._stack[:] = 0
        self._count = 0

    def copy(self) -> HistoryBuffer:
        """Return an independent copy."""
        other = HistoryBuffer.__new__(HistoryBuffer)
        other.size = self.size
        other.depth = self.depth
        other._stack = self._stack.copy()
        other._count = self._count
        return other


def features(
    game: Game, config: FeatureConfig = DEFAULT_CONFIG, out: np.ndarray | None = None
) -> np.ndarray:
    """Return the planes of ``game``'s current position (after its last move).

    History comes from ``game.board`` and ``game._snapshots`` (the board before each
    move), so nothing is replayed.

    Args:
        game: the game.
        config: which planes.
        out: optional float32 (C, N, N) C-contiguous buffer to fill.

    Returns:
        float32 (C, N, N), ``out`` if it was given.

    Raises:
        ValueError: if ``out`` has the wrong shape or dtype.
    """
    stack = np.zeros((config.history, (game.size + 2) ** 2), dtype=np.int8)
    _stack_from_game(game, stack)
    return _fill_one(stack, game.board, config, out)


def features_from_history(
    history: HistoryBuffer,
    board: Board,
    config: FeatureConfig = DEFAULT_CONFIG,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Return the planes of ``board``'s position, whose history is ``history``.

    Args:
        history: recent positions; ``history.stack[0]`` must be ``board``'s stones.
        board: the current position (side to move; liberties, ko, legal moves).
        config: which planes; ``config.history`` must not exceed ``history.depth``.
        out: optional float32 (C, N, N) C-contiguous buffer to fill.

    Returns:
        float32 (C, N, N), ``out`` if it was given.

    Raises:
        ValueError: if the buffer is too shallow, of another size or not up to date
            with ``board``, or ``out`` is unsuitable.
    """
    _check_history(history, board, config)
    return _fill_one(history.stack, board, config, out)


def batch_features(
    games: Sequence[Game], config: FeatureConfig = DEFAULT_CONFIG, out: np.ndarray | None = None
) -> np.ndarray:
    """Return the planes of the current positions of many games of one size.

    Args:
        games: B games, all of the same board size.
        config: which planes.
        out: optional float32 (B, C, N, N) C-contiguous buffer to fill.

    Returns:
        float32 (B, C, N, N), ``out`` if it was given.

    Raises:
        ValueError: for no games, mixed sizes or an unsuitable ``out``.
    """
    size = _common_size([game.size for game in games])
    stacks = np.zeros((len(games), config.history, (size + 2) ** 2), dtype=np.int8)
    for i, game in enumerate(games):
        _stack_from_game(game, stacks[i])
    return _fill_batch(stacks, [game.board for game in games], config, out)


def batch_features_from_history(
    histories: Sequence[HistoryBuffer],
    boards: Sequence[Board],
    config: FeatureConfig = DEFAULT_CONFIG,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Return the planes of many positions given by their history buffers and boards.

    Args:
        histories: B buffers, ``histories[i].stack[0]`` holding ``boards[i]``'s stones.
        boards: B boards of the same size.
        config: which planes.
        out: optional float32 (B, C, N, N) C-contiguous buffer to fill.

    Returns:
        float32 (B, C, N, N), ``out`` if it was given.

    Raises:
        ValueError: for mismatched lengths or sizes, a stale or shallow buffer, or an
            unsuitable ``out``.
    """
    if len(histories) != len(boards):
        raise ValueError(f"{len(histories)} histories for {len(boards)} boards")
    size = _common_size([board.size for board in boards])
    stacks = np.empty((len(boards), config.history, (size + 2) ** 2), dtype=np.int8)
    for i, (history, board) in enumerate(zip(histories, boards, strict=True)):
        _check_history(history, board, config)
        stacks[i] = history.stack[: config.history]
    return _fill_batch(stacks, boards, config, out)


def features_from_moves(
    size: int,
    actions: Sequence[int] | np.ndarray,
    config: FeatureConfig = DEFAULT_CONFIG,
    *,
    colors: Sequence[int] | np.ndarray | None = None,
    setup_black: Sequence[int] = (),
    setup_white: Sequence[int] = (),
    to_move: int = BLACK,
    rules: Rules | None = None,
    include_final: bool = False,
) -> np.ndarray:
    """Replay a game record in one numba pass and return the planes of every position.

    Row ``i`` is the position before move ``i`` — the position in which that move
    was chosen, i.e. the training input whose targets are move ``i``'s search policy
    and the game's outcome.  Row ``i`` equals ``features(game)`` for a game in which
    the setup and ``actions[:i]`` have been played.

    Args:
        size: board size N.
        actions: M flat actions (pass = N*N).
        config: which planes.
        colors: colour of each move; default: alternating, starting with ``to_move``.
        setup_black: black setup stones (handicap, SGF AB), flat actions.
        setup_white: white setup stones (SGF AW), flat actions.
        to_move: colour to move at the start.
        rules: rule options (suicide, superko) for the legal plane and move checks.
        include_final: also return the position after the last move (row M).

    Returns:
        float32 (M + include_final, C, N, N).

    Raises:
        IllegalMoveError: if a setup stone or a move of the record is illegal.
        ValueError: for a bad colour or an ``actions``/``colors`` length mismatch.
    """
    rules = rules or Rules()
    board = Board(size, rules)
    if setup_black:
        board.place_stones(list(setup_black), BLACK)
    if setup_white:
        board.place_stones(list(setup_white), WHITE)
    board.to_move = to_move
    moves = np.asarray(actions, dtype=np.int64).reshape(-1)
    move_colors = _move_colors(len(moves), colors, to_move)
    # the superko history of the start position; Board keeps it sorted and unique
    hashes = np.zeros(board._n_history + len(moves) + 1, dtype=np.uint64)
    hashes[: board._n_history] = board._history[: board._n_history]
    out = np.empty(
        (len(moves) + int(include_final), config.num_planes, size, size), dtype=np.float32
    )
    start = BK.copy_board(board.arrays)
    bad = FK.fill_game_features(
        start,
        hashes,
        board._n_history,
        rules.allow_suicide,
        rules.superko,
        moves,
        move_colors,
        config.layout(),
        include_final,
        out,
    )
    if bad != FK.NO_GAME_ERROR:
        _raise_illegal(board, moves, move_colors, int(bad))
    return out


def features_from_game(
    game: Game, config: FeatureConfig = DEFAULT_CONFIG, include_final: bool = False
) -> np.ndarray:
    """Return the planes of every position of ``game``'s record (see ``features_from_moves``).

    Args:
        game: the record: setup stones, moves (with their colours), rules.
        config: which planes.
        include_final: also return the current position (row M).

    Returns:
        float32 (M + include_final, C, N, N).

    Raises:
        IllegalMoveError: if the record does not replay.
    """
    if game._snapshots:
        first_to_move = game._snapshots[0].to_move
    else:
        first_to_move = game.to_move
    return features_from_moves(
        game.size,
        [move.action for move in game.moves],
        config,
        colors=[move.color for move in game.moves],
        setup_black=game.setup_black,
        setup_white=game.setup_white,
        to_move=first_to_move,
        rules=game.rules,
        include_final=include_final,
    )


# -- internals ------------------------------------------------------------------


def _stack_from_game(game: Game, stack: np.ndarray) -> None:
    """Fill ``stack`` (int8 (T, W*W)) with ``game``'s recent positions, newest first."""
    stack[0] = game.board.arrays.color
    snapshots = game._snapshots
    depth = stack.shape[0]
    for t in range(1, depth):
        if t > len(snapshots):
            stack[t:] = 0
            break
        stack[t] = snapshots[-t].arrays.color


def _board_extras(board: Board, config: FeatureConfig) -> tuple[np.ndarray, int, np.ndarray]:
    """Return (liberties int32[W*W] or empty, padded ko point, legal bool[N*N+1] or empty)."""
    arrays = board.arrays
    if "liberties" in config.extra:
        liberties = np.empty_like(arrays.libs)
        FK.point_liberties(arrays.color, arrays.head, arrays.libs, liberties)
    else:
        liberties = np.zeros(0, dtype=np.int32)
    legal = board.legal_mask() if "legal" in config.extra else np.zeros(0, dtype=np.bool_)
    return liberties, int(arrays.meta[BK.M_KO]), legal


def _fill_one(
    stack: np.ndarray, board: Board, config: FeatureConfig, out: np.ndarray | None
) -> np.ndarray:
    out = _output(out, (config.num_planes, board.size, board.size))
    liberties, ko, legal = _board_extras(board, config)
    FK.fill_features(stack, board.to_move, liberties, ko, legal, config.layout(), out)
    return out


def _fill_batch(
    stacks: np.ndarray, boards: Sequence[Board], config: FeatureConfig, out: np.ndarray | None
) -> np.ndarray:
    count = len(boards)
    size = boards[0].size
    out = _output(out, (count, config.num_planes, size, size))
    width = size + 2
    to_move = np.empty(count, dtype=np.int64)
    ko = np.empty(count, dtype=np.int64)
    liberties = np.zeros((count, width * width if "liberties" in config.extra else 0), np.int32)
    legal = np.zeros((count, size * size + 1 if "legal" in config.extra else 0), np.bool_)
    for i, board in enumerate(boards):
        to_move[i] = board.to_move
        ko[i] = board.arrays.meta[BK.M_KO]
        if liberties.shape[1]:
            arrays = board.arrays
            FK.point_liberties(arrays.color, arrays.head, arrays.libs, liberties[i])
        if legal.shape[1]:
            legal[i] = board.legal_mask()
    FK.fill_features_batch(stacks, to_move, liberties, ko, legal, config.layout(), out)
    return out


def _output(out: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    if out is None:
        return np.empty(shape, dtype=np.float32)
    if out.shape != shape or out.dtype != np.float32 or not out.flags.c_contiguous:
        raise ValueError(
            f"out must be a C-contiguous float32 array of shape {shape}, "
            f"not {out.dtype} {out.shape}"
        )
    return out


def _common_size(sizes: list[int]) -> int:
    if not sizes:
        raise ValueError("no positions given")
    if any(size != sizes[0] for size in sizes):
        raise ValueError(f"positions of mixed board sizes: {sorted(set(sizes))}")
    return sizes[0]


def _check_history(history: HistoryBuffer, board: Board, config: FeatureConfig) -> None:
    if history.size != board.size:
        raise ValueError(f"history of size {history.size} for a board of size {board.size}")
    if history.depth < config.history:
        raise ValueError(f"history depth {history.depth} < config history {config.history}")
    if not np.array_equal(history.stack[0], board.arrays.color):
        raise ValueError("history buffer is not up to date with the board (push_board it)")


def _move_colors(count: int, colors: Sequence[int] | np.ndarray | None, to_move: int) -> np.ndarray:
    if to_move not in (BLACK, WHITE):
        raise ValueError(f"invalid colour to move {to_move}")
    if colors is None:
        result = np.full(count, to_move, dtype=np.int64)
        result[1::2] = 3 - to_move
        return result
    result = np.asarray(colors, dtype=np.int64).reshape(-1)
    if len(result) != count:
        raise ValueError(f"{len(result)} colours for {count} moves")
    if not np.all((result == BLACK) | (result == WHITE)):
        raise ValueError("move colours must be BLACK or WHITE")
    return result


def _raise_illegal(board: Board, moves: np.ndarray, colors: np.ndarray, index: int) -> None:
    """Replay up to the illegal move on the Python board so that it raises with its reason."""
    for i in range(index + 1):
        try:
            board.play(int(moves[i]), int(colors[i]))
        except IllegalMoveError as exc:
            raise IllegalMoveError(exc.reason, f"move {i + 1}: {exc}") from None
    raise IllegalMoveError("off-board", f"move {index + 1} ({moves[index]}) is not playable")


__all__ = [
    "DEFAULT_CONFIG",
    "EXTRA_PLANES",
    "FeatureConfig",
    "HistoryBuffer",
    "batch_features",
    "batch_features_from_history",
    "features",
    "features_from_game",
    "features_from_history",
    "features_from_moves",
]
