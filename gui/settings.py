"""The choices the window offers: board size, komi and engine strength.

``Settings`` is a frozen dataclass; the window replaces it when a control is
clicked.  Strength is a list of per-move budgets (visits, then seconds) stepped
through with -/+; the budget given on the command line is always one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.board import MAX_SIZE, MIN_SIZE
from engine.player import Budget

SIZES = (9, 13, 19)
KOMI_STEP = 1.0
KOMI_LIMIT = 50.0
PRESET_BUDGETS = (
    Budget(playouts=50),
    Budget(playouts=200),
    Budget(playouts=1000),
    Budget(playouts=5000),
    Budget(seconds=1.0),
    Budget(seconds=2.0),
    Budget(seconds=5.0),
    Budget(seconds=10.0),
    Budget(seconds=30.0),
)


def budget_label(budget: Budget) -> str:
    """Return e.g. ``"1000 visits"``, ``"2 s/move"`` or ``"1000 visits / 2 s"``."""
    parts = []
    if budget.playouts is not None:
        parts.append(f"{budget.playouts} visits")
    if budget.seconds is not None:
        parts.append(f"{budget.seconds:g} s" + ("" if parts else "/move"))
    return " / ".join(parts) if parts else "unlimited"


def _budget_order(budget: Budget) -> tuple[int, float]:
    if budget.seconds is None:
        return (0, float(budget.playouts or 0))
    return (1, budget.seconds)


@dataclass(frozen=True)
class Settings:
    """What the next game and the engine's next search use.

    Attributes:
        size: board size of the next new game.
        komi: komi of the next new game.
        budget_index: index of the engine's per-move budget in ``budgets``.
        budgets: the strengths offered, weakest first.
    """

    size: int = 9
    komi: float = 7.5
    budget_index: int = 0
    budgets: tuple[Budget, ...] = PRESET_BUDGETS

    def __post_init__(self) -> None:
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValueError(f"board size must be {MIN_SIZE} to {MAX_SIZE}, not {self.size}")
        if not self.budgets or not 0 <= self.budget_index < len(self.budgets):
            raise ValueError("budget_index must index budgets")

    @classmethod
    def starting(cls, size: int, komi: float, budget: Budget) -> Settings:
        """Return settings for ``size``/``komi`` with ``budget`` among the presets.

        Raises:
            ValueError: for a board size outside 2..19.
        """
        budgets = sorted(set(PRESET_BUDGETS) | {budget}, key=_budget_order)
        return cls(size, komi, budgets.index(budget), tuple(budgets))

    @property
    def budget(self) -> Budget:
        """The engine's per-move budget."""
        return self.budgets[self.budget_index]

    def sizes(self) -> tuple[int, ...]:
        """Return the sizes offered (the standard ones plus the current one)."""
        return tuple(sorted(set(SIZES) | {self.size}))

    def next_size(self) -> Settings:
        """Return the settings with the next offered board size (wrapping around)."""
        sizes = self.sizes()
        return replace(self, size=sizes[(sizes.index(self.size) + 1) % len(sizes)])

    def step_komi(self, steps: int) -> Settings:
        """Return the settings with komi moved by ``steps`` points (kept within +-50)."""
        komi = min(KOMI_LIMIT, max(-KOMI_LIMIT, self.komi + steps * KOMI_STEP))
        return replace(self, komi=komi)

    def step_budget(self, steps: int) -> Settings:
        """Return the settings with a stronger (+) or weaker (-) budget, clamped."""
        index = min(len(self.budgets) - 1, max(0, self.budget_index + steps))
        return replace(self, budget_index=index)
