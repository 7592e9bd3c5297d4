"""Small drawing pieces of the side panel: buttons, the win-rate graph, a text prompt.

Each widget draws itself onto a surface given a ``TextCache`` and a ``Theme``; none
holds game state.  Win rates are black's, in [0, 1], keyed by ply (the number of
moves before the position they judge).
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from gui.theme import TextCache, Theme


@dataclass
class Button:
    """A clickable label that stands for a command.

    Attributes:
        command: what clicking it does (the window's command name).
        label: its text.
        rect: where it is.
        key: the keyboard shortcut shown in small type ("" for none).
        toggled: drawn highlighted (an overlay that is on).
        enabled: drawn greyed and ignored when False.
    """

    command: str
    label: str
    rect: pygame.Rect
    key: str = ""
    toggled: bool = False
    enabled: bool = True

    def hit(self, pos: tuple[int, int]) -> bool:
        """Return True if ``pos`` is on the button and it is enabled."""
        return self.enabled and self.rect.collidepoint(pos)

    def draw(
        self, surface: pygame.Surface, text: TextCache, theme: Theme, hovered: bool = False
    ) -> None:
        """Draw the button (lighter under the mouse)."""
        if not self.enabled:
            face = theme.button_off
        elif self.toggled:
            face = theme.button_on
        else:
            face = theme.button
        if hovered and self.enabled:
            face = tuple(min(255, c + 22) for c in face)  # type: ignore[assignment]
        pygame.draw.rect(surface, face, self.rect, border_radius=5)
        color = theme.button_text if self.enabled else theme.muted
        size = 19 if self.rect.height >= 26 else 16
        label = text.render(self.label, size, color)
        if self.key:
            hint = text.render(self.key, 14, theme.muted)
            width = label.get_width() + 5 + hint.get_width()
            x = self.rect.centerx - width // 2
            surface.blit(label, label.get_rect(midleft=(x, self.rect.centery)))
            hint_pos = (x + label.get_width() + 5, self.rect.centery + 1)
            surface.blit(hint, hint.get_rect(midleft=hint_pos))
        else:
            surface.blit(label, label.get_rect(center=self.rect.center))


def draw_winrate_graph(
    surface: pygame.Surface,
    rect: pygame.Rect,
    winrates: dict[int, float],
    ply: int,
    text: TextCache,
    theme: Theme,
) -> None:
    """Draw black's win rate over the game: black area below the curve, white above.

    Args:
        surface: where to draw.
        rect: the graph's box.
        winrates: black's win rate by ply.
        ply: the current move number (a marker line is drawn there).
        text: text renderer.
        theme: colours.
    """
    pygame.draw.rect(surface, theme.graph_white, rect)
    last = max([ply, 20, *winrates.keys()])
    inner = rect.inflate(-2, -2)

    def x_of(move: int) -> int:
        return inner.left + round(move / last * (inner.width - 1))

    def y_of(rate: float) -> int:
        return inner.top + round((1.0 - rate) * (inner.height - 1))

    points = [(x_of(k), y_of(v)) for k, v in sorted(winrates.items())]
    if len(points) >= 2:
        area = [(points[0][0], inner.bottom), *points, (points[-1][0], inner.bottom)]
        pygame.draw.polygon(surface, theme.graph_black, area)
    middle = y_of(0.5)
    pygame.draw.line(surface, theme.muted, (inner.left, middle), (inner.right, middle), 1)
    if len(points) >= 2:
        pygame.draw.lines(surface, theme.graph_line, False, points, 2)
    elif points:
        pygame.draw.circle(surface, theme.graph_line, points[0], 3)
    cursor = x_of(ply)
    pygame.draw.line(surface, theme.last_move, (cursor, inner.top), (cursor, inner.bottom), 1)
    pygame.draw.rect(surface, theme.muted, rect, 1)
    label = text.render("black win rate", 14, theme.muted)
    surface.blit(label, (rect.left + 4, rect.top + 3))


class TextPrompt:
    """A one-line text box over the board: type, Enter accepts, Escape cancels.

    Args:
        title: what is asked, e.g. "Load SGF file".
        text: the initial answer.
    """

    def __init__(self, title: str, text: str = "") -> None:
        self.title = title
        self.text = text
        self.done = False
        self.cancelled = False

    def handle_key(self, event: pygame.event.Event) -> None:
        """Apply one KEYDOWN event (Enter, Escape, Backspace or a typed character)."""
        if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self.done = True
        elif event.key == pygame.K_ESCAPE:
            self.cancelled = True
        elif event.key == pygame.K_BACKSPACE:
            self.text = self.text[:-1]
        else:
            char = getattr(event, "unicode", "")
            if char and char.isprintable():
                self.text += char

    def draw(self, surface: pygame.Surface, area: pygame.Rect, text: TextCache,
             theme: Theme) -> None:
        """Draw the box across the middle of ``area``."""
        box = pygame.Rect(0, 0, area.width - 40, 86)
        box.center = area.center
        pygame.draw.rect(surface, theme.panel, box, border_radius=6)
        pygame.draw.rect(surface, theme.button_on, box, 2, border_radius=6)
        title = text.render(f"{self.title}  (Enter: OK, Esc: cancel)", 18, theme.muted)
        surface.blit(title, (box.left + 12, box.top + 10))
        field = pygame.Rect(box.left + 10, box.top + 36, box.width - 20, 36)
        pygame.draw.rect(surface, (250, 250, 246), field, border_radius=4)
        shown = self.text + "_"
        line = text.render(shown, 20, (20, 20, 20))
        while line.get_width() > field.width - 12 and len(shown) > 2:
            shown = "…" + shown[2:]
            line = text.render(shown, 20, (20, 20, 20))
        surface.blit(line, line.get_rect(midleft=(field.left + 6, field.centery)))
