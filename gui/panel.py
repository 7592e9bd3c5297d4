"""The side panel: status text, command buttons, settings, overlay toggles, graph.

``Panel.layout`` places the buttons in a rectangle; ``Panel.draw`` paints a
``PanelInfo`` (plain text and numbers prepared by the window) and the buttons;
``Panel.command_at`` says which command a click hits.  The panel holds no game state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pygame

from gui.theme import DEFAULT_THEME, TextCache, Theme, font
from gui.widgets import Button, draw_winrate_graph

# (command, label, key hint) per row; the window maps commands to actions
GAME_ROWS = (
    (("pass", "Pass", "P"), ("resign", "Resign", ""), ("undo", "Undo", "U")),
    (("new", "New", "N"), ("swap", "Swap", "S"), ("stop", "Stop", "Space")),
)
TOGGLE_ROWS = (
    (("policy", "Policy", "H"), ("moves", "Moves", "C"), ("territory", "Territory", "O")),
    (("analyse", "Analyse", "A"), ("graph", "Graph", "G"), ("score", "Score", "E")),
)
FILE_ROW = (("save", "Save", "W"), ("load", "Load", "L"), ("help", "Keys", "?"))
PAD = 14
GAP = 8
ROW = 30


@dataclass
class PanelInfo:
    """What the panel shows, as text prepared by the window.

    Attributes:
        status: the main line ("Your move (black)", "White thinking...", "B+3.5").
        players: who plays which colour.
        captures: prisoners taken.
        size, komi, strength: labels of the current settings.
        estimate: lines about the position (win rate, score estimate, final score).
        winrates: black's win rate by ply for the graph.
        ply: the current move number.
        message: the latest message to the user.
        toggled: commands drawn highlighted (overlays that are on).
        disabled: commands that cannot be used now.
        show_graph: draw the win-rate graph.
    """

    status: str = ""
    players: str = ""
    captures: str = ""
    size: str = ""
    komi: str = ""
    strength: str = ""
    estimate: list[str] = field(default_factory=list)
    winrates: dict[int, float] = field(default_factory=dict)
    ply: int = 0
    message: str = ""
    toggled: set[str] = field(default_factory=set)
    disabled: set[str] = field(default_factory=set)
    show_graph: bool = True


class Panel:
    """The side panel's layout and drawing.

    Args:
        theme: colours.
        text: shared text renderer.
    """

    def __init__(self, theme: Theme = DEFAULT_THEME, text: TextCache | None = None) -> None:
        self.theme = theme
        self.text = text or TextCache()
        self.rect = pygame.Rect(0, 0, theme.panel_width, 600)
        self.buttons: dict[str, Button] = {}
        self._settings_y = 0
        self._toggles_y = 0
        self._info_y = 0
        self.graph_rect = pygame.Rect(0, 0, 0, 0)

    def layout(self, rect: pygame.Rect) -> None:
        """Place the buttons inside ``rect``."""
        self.rect = rect
        self.buttons = {}
        left, width = rect.left + PAD, rect.width - 2 * PAD
        y = rect.top + 112
        for row in GAME_ROWS:
            self._row(row, left, y, width)
            y += ROW + GAP
        y += 6
        self._settings_y = y
        label_w = 78
        small = 30
        x = left + label_w
        value_w = width - label_w
        self.buttons["size"] = Button("size", "", pygame.Rect(x, y, value_w, ROW - 2))
        for i, name in enumerate(("komi", "strength")):
            top = y + (i + 1) * (ROW + 4)
            self.buttons[f"{name}-"] = Button(f"{name}-", "-", pygame.Rect(x, top, small, ROW - 2))
            plus = pygame.Rect(left + width - small, top, small, ROW - 2)
            self.buttons[f"{name}+"] = Button(f"{name}+", "+", plus)
        y += 3 * (ROW + 4) + 10
        self._toggles_y = y
        for row in TOGGLE_ROWS:
            self._row(row, left, y, width)
            y += ROW + GAP
        self._row(FILE_ROW, left, y, width)
        y += ROW + GAP + 6
        self._info_y = y
        graph_top = y + 66
        graph_bottom = rect.bottom - 58
        self.graph_rect = pygame.Rect(left, graph_top, width, max(40, graph_bottom - graph_top))

    def _row(self, row: tuple[tuple[str, str, str], ...], left: int, y: int, width: int) -> None:
        count = len(row)
        w = (width - (count - 1) * GAP) // count
        for i, (command, label, key) in enumerate(row):
            rect = pygame.Rect(left + i * (w + GAP), y, w, ROW)
            self.buttons[command] = Button(command, label, rect, key)

    def command_at(self, pos: tuple[int, int], info: PanelInfo | None = None) -> str | None:
        """Return the command of the enabled button at ``pos``, or None."""
        disabled = info.disabled if info is not None else set()
        for command, button in self.buttons.items():
            if command not in disabled and button.rect.collidepoint(pos):
                return command
        return None

    def draw(self, surface: pygame.Surface, info: PanelInfo, mouse: tuple[int, int] | None
             ) -> None:
        """Paint the panel with ``info``; the button under ``mouse`` is lit."""
        theme, text = self.theme, self.text
        pygame.draw.rect(surface, theme.panel, self.rect)
        left = self.rect.left + PAD
        width = self.rect.width - 2 * PAD
        surface.blit(text.render("zerogo", 30, theme.panel_text, bold=True), (left, 12))
        surface.blit(text.render(info.status, 22, theme.panel_text, bold=True), (left, 46))
        surface.blit(text.render(info.players, 17, theme.muted), (left, 72))
        surface.blit(text.render(info.captures, 17, theme.muted), (left, 90))
        y = self._settings_y
        for i, (name, value) in enumerate(
            (("Size", info.size), ("Komi", info.komi), ("Strength", info.strength))
        ):
            top = y + i * (ROW + 4)
            label = text.render(name, 18, theme.muted)
            surface.blit(label, label.get_rect(midleft=(left, top + ROW // 2 - 1)))
            if i > 0:
                middle = left + 78 + (width - 78) // 2
                shown = text.render(value, 18, theme.panel_text)
                surface.blit(shown, shown.get_rect(center=(middle, top + ROW // 2 - 1)))
        self.buttons["size"].label = info.size
        for command, button in self.buttons.items():
            button.toggled = command in info.toggled
            button.enabled = command not in info.disabled
            hovered = mouse is not None and button.rect.collidepoint(mouse)
            button.draw(surface, text, theme, hovered)
        y = self._info_y
        for line in info.estimate[:3]:
            surface.blit(text.render(line, 18, theme.panel_text), (left, y))
            y += 21
        if info.show_graph:
            draw_winrate_graph(surface, self.graph_rect, info.winrates, info.ply, text, theme)
        y = self.graph_rect.bottom + 8
        for line in _wrap(info.message, 17, width)[:2]:
            surface.blit(text.render(line, 17, theme.message), (left, y))
            y += 19


def _wrap(message: str, size: int, width: int) -> list[str]:
    """Split ``message`` into lines no wider than ``width`` pixels."""
    lines: list[str] = []
    current = ""
    for word in message.split():
        trial = f"{current} {word}".strip()
        if current and font(size).size(trial)[0] > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines
