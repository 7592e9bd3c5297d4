"""Shared test helpers: positions written as ASCII diagrams, points named by GTP vertex.

A diagram lists the rows of the board from the top (row N) to the bottom (row 1),
one token per point separated by spaces: ``X`` black, ``O`` white, ``.`` or ``+``
empty.  Lines that are blank are ignored, so a diagram can be written as an indented
triple-quoted string::

    board = board_from_diagram('''
        . X O .
        X O . O
        . X O .
        . . . .
    ''')
    board.play(vertex("C3", board.size))

Import the helpers with ``from tests.conftest import board_from_diagram, vertex``.

Every test also fails if it left an analysis anomaly (``engine.analysis.anomalies``:
a NaN, an out-of-range value or an illegal line from a search) unless it asks for the
``analysis_anomalies`` fixture, which hands it the count to inspect.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from engine import coords
from engine.analysis import AnalysisAnomalies, anomalies
from engine.board import BLACK, EMPTY, WHITE, Board, Rules

_STONES = {"X": BLACK, "O": WHITE, ".": EMPTY, "+": EMPTY}


def parse_diagram(text: str) -> np.ndarray:
    """Return the stones of a diagram as int8 (N, N), ``[row, col]`` with row 0 at the bottom.

    Raises:
        ValueError: if the diagram is not square or holds an unknown token.
    """
    rows = [line.split() for line in text.strip("\n").splitlines() if line.strip()]
    size = len(rows)
    grid = np.zeros((size, size), dtype=np.int8)
    for i, tokens in enumerate(rows):
        if len(tokens) != size:
            raise ValueError(f"diagram row {i} has {len(tokens)} points, expected {size}")
        for col, token in enumerate(tokens):
            if token not in _STONES:
                raise ValueError(f"unknown diagram token {token!r}")
            grid[size - 1 - i, col] = _STONES[token]
    return grid


def to_diagram(stones: np.ndarray) -> str:
    """Return the diagram text of int8 (N, N) stones (inverse of ``parse_diagram``)."""
    size = stones.shape[0]
    return "\n".join(
        " ".join(".XO"[int(stones[row, col])] for col in range(size))
        for row in range(size - 1, -1, -1)
    )


def board_from_diagram(text: str, to_move: int = BLACK, rules: Rules | None = None) -> Board:
    """Return a Board holding the stones of a diagram (as setup stones), ``to_move`` to play.

    Every chain of the diagram must have a liberty.
    """
    grid = parse_diagram(text)
    board = Board(grid.shape[0], rules)
    flat = grid.reshape(-1)
    board.place_stones([int(a) for a in np.flatnonzero(flat == BLACK)], BLACK)
    board.place_stones([int(a) for a in np.flatnonzero(flat == WHITE)], WHITE)
    board.to_move = to_move
    return board


def vertex(name: str, size: int) -> int:
    """Return the flat action of a GTP vertex such as ``"D4"`` on a ``size`` board."""
    return coords.from_gtp(name, size)


def vertices(names: str, size: int) -> list[int]:
    """Return the flat actions of space-separated GTP vertices, e.g. ``"A1 B2"``."""
    return [vertex(name, size) for name in names.split()]


def assert_stones(board: Board, text: str) -> None:
    """Assert that the stones of ``board`` are those of the diagram ``text``."""
    expected = parse_diagram(text)
    actual = board.to_array()
    assert actual.tolist() == expected.tolist(), (
        f"stones differ\nexpected:\n{to_diagram(expected)}\nactual:\n{to_diagram(actual)}"
    )


@pytest.fixture(params=[2, 5, 9, 19], ids=lambda n: f"{n}x{n}")
def board_size(request: pytest.FixtureRequest) -> int:
    """Board sizes checked by size-generic tests."""
    return int(request.param)


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread() -> None:
    """Run torch on one thread: two test workers share the machine's two cores, and a
    torch OpenMP pool with more threads than free cores spins and crawls."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _no_analysis_anomalies(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test after which the process counts more analysis anomalies than before:
    a search bug that an analysis display would otherwise have hidden by clamping."""
    before = anomalies.counts()
    yield
    if "analysis_anomalies" in request.fixturenames:
        return
    after = anomalies.counts()
    assert after == before, f"analysis anomalies during the test: {after} (before: {before})"


@pytest.fixture
def analysis_anomalies() -> Iterator[AnalysisAnomalies]:
    """The process's analysis anomaly count, cleared before and after the test (for
    tests that feed deliberately bad values)."""
    anomalies.clear()
    yield anomalies
    anomalies.clear()
