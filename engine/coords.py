"""Every coordinate system of zerogo, and the conversions between them.

Start here when a number stands for a point of the board.

=================  ====================  ===========================================
system             example (9x9)         notes
=================  ====================  ===========================================
GTP vertex         ``"D4"``, ``"pass"``  letters A..T without I, numbers from the
                                         bottom; parsed and written by sgfmill
SGF point          ``"dc"``              column letter, row letter from the *top*
(row, col)         ``(3, 3)``            row 0 is the *bottom* line, as in sgfmill;
                                         ``None`` is pass
flat action        ``30``                ``row * N + col``; pass is ``N * N``; the
                                         network policy vector has ``N * N + 1`` slots
padded index       ``44``                ``(row + 1) * W + (col + 1)`` with
                                         ``W = N + 2``: the kernels' flat board with a
                                         ring of WALL points around it
=================  ====================  ===========================================

Planes handed to a network are ``(N, N)`` arrays indexed ``[row, col]`` with row 0
at the bottom, so ``plane.reshape(-1)[action]`` is the point of ``action``.
"""

from __future__ import annotations

from sgfmill import common

PASS_NAME = "pass"


def padded_width(size: int) -> int:
    """Return the row stride ``W`` of the padded board for a ``size`` x ``size`` board."""
    return size + 2


def pass_action(size: int) -> int:
    """Return the flat action that means pass on a board of ``size``."""
    return size * size


def to_action(row: int, col: int, size: int) -> int:
    """Return the flat action of ``(row, col)``.

    Raises:
        ValueError: if the point is off the board.
    """
    if not (0 <= row < size and 0 <= col < size):
        raise ValueError(f"point ({row}, {col}) is off a {size}x{size} board")
    return row * size + col


def from_action(action: int, size: int) -> tuple[int, int] | None:
    """Return ``(row, col)`` of a flat action, or ``None`` for pass.

    Raises:
        ValueError: if the action is outside ``0 .. N*N``.
    """
    if action == size * size:
        return None
    if not (0 <= action < size * size):
        raise ValueError(f"action {action} is out of range for a {size}x{size} board")
    return divmod(action, size)


def action_to_padded(action: int, size: int) -> int:
    """Return the padded index of a flat action (pass maps to -1)."""
    if action == size * size:
        return -1
    row, col = divmod(action, size)
    return (row + 1) * (size + 2) + col + 1


def padded_to_action(index: int, size: int) -> int:
    """Return the flat action of a padded index (-1 maps to pass)."""
    if index < 0:
        return size * size
    row, col = divmod(index, size + 2)
    return (row - 1) * size + (col - 1)


def to_gtp(action: int, size: int) -> str:
    """Return the GTP vertex of a flat action (``"pass"`` for pass)."""
    point = from_action(action, size)
    if point is None:
        return PASS_NAME
    return str(common.format_vertex(point))


def from_gtp(vertex: str, size: int) -> int:
    """Return the flat action of a GTP vertex such as ``"D4"`` or ``"pass"``.

    Raises:
        ValueError: if the vertex is malformed or off the board.
    """
    text = vertex.strip()
    if text.lower() == PASS_NAME:
        return size * size
    try:
        point = common.move_from_vertex(text, size)
    except ValueError as exc:
        raise ValueError(f"invalid vertex {vertex!r}: {exc}") from None
    if point is None:
        return size * size
    return to_action(point[0], point[1], size)


def to_sgf_point(action: int, size: int) -> tuple[int, int] | None:
    """Return the sgfmill ``(row, col)`` move of an action (``None`` for pass)."""
    return from_action(action, size)


def from_sgf_point(point: tuple[int, int] | None, size: int) -> int:
    """Return the flat action of an sgfmill ``(row, col)`` move (``None`` is pass)."""
    if point is None:
        return size * size
    return to_action(point[0], point[1], size)
