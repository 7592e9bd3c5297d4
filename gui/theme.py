"""Colours, sizes and fonts of the pygame window, in one place.

Colours are ``(r, g, b)`` or ``(r, g, b, a)`` tuples.  ``Theme`` is a frozen
dataclass so a test (or a user) can build a variant with ``dataclasses.replace``.
Fonts are pygame's built-in font, cached by pixel size.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

Color = tuple[int, int, int]
ColorA = tuple[int, int, int, int]


@dataclass(frozen=True)
class Theme:
    """The look of the window.

    Attributes:
        wood: mean colour of the board's wood.
        grain: colour the wood grain darkens towards.
        line: grid lines, star points and coordinate labels.
        panel: background of the side panel.
        panel_text: text on the panel.
        muted: secondary text on the panel.
        button: button face; ``button_on`` for toggled buttons, ``button_off`` when disabled.
        button_text: button labels.
        last_move: marker on the last stone played.
        best_move: the most visited candidate; ``candidate`` for the others.
        policy_low / policy_high: heatmap colours for small and large priors.
        graph_black / graph_white: the win-rate graph's areas.
        graph_line: the win-rate graph's curve.
        dead_mark: cross on dead stones at the end of a game.
        predicted: squares of a PV model's predicted line (no search).
        message: the status line.
        panel_width: width of the side panel in pixels.
        hover_alpha: opacity (0..255) of the hover stone.
        dead_alpha: opacity (0..255) of dead stones at the end of a game.
        variation_alpha: opacity (0..255) of the searched line's stones.
    """

    wood: Color = (220, 179, 98)
    grain: Color = (176, 128, 58)
    line: Color = (42, 30, 18)
    panel: Color = (38, 41, 46)
    panel_text: Color = (232, 232, 228)
    muted: Color = (150, 154, 160)
    button: Color = (66, 72, 82)
    button_on: Color = (46, 120, 160)
    button_off: Color = (52, 55, 60)
    button_text: Color = (240, 240, 236)
    last_move: Color = (214, 48, 40)
    best_move: Color = (64, 200, 240)
    candidate: Color = (120, 210, 90)
    policy_low: Color = (60, 110, 255)
    policy_high: Color = (255, 50, 30)
    graph_black: Color = (20, 20, 22)
    graph_white: Color = (222, 222, 218)
    graph_line: Color = (64, 200, 240)
    dead_mark: Color = (214, 48, 40)
    predicted: Color = (255, 150, 40)
    message: Color = (250, 210, 120)
    panel_width: int = 330
    hover_alpha: int = 110
    dead_alpha: int = 165
    variation_alpha: int = 150


DEFAULT_THEME = Theme()

_FONTS: dict[tuple[int, bool], pygame.font.Font] = {}


def font(size: int, bold: bool = False) -> pygame.font.Font:
    """Return pygame's default font at ``size`` pixels (cached; needs ``pygame.font.init``)."""
    key = (max(6, int(size)), bold)
    if key not in _FONTS:
        face = pygame.font.Font(None, key[0])
        face.set_bold(bold)
        _FONTS[key] = face
    return _FONTS[key]


class TextCache:
    """Rendered text surfaces, kept between frames (rendering text is the slow part).

    Args:
        limit: the cache is emptied when it holds more entries than this.
    """

    def __init__(self, limit: int = 512) -> None:
        self._surfaces: dict[tuple[str, int, bool, Color], pygame.Surface] = {}
        self._limit = limit

    def render(self, text: str, size: int, color: Color, bold: bool = False) -> pygame.Surface:
        """Return ``text`` rendered anti-aliased in ``color`` at ``size`` pixels."""
        key = (text, size, bold, color)
        surface = self._surfaces.get(key)
        if surface is None:
            if len(self._surfaces) >= self._limit:
                self._surfaces.clear()
            surface = font(size, bold).render(text, True, color)
            self._surfaces[key] = surface
        return surface
