"""The board view: draws a ``Scene`` (stones, markers, overlays) onto a pygame surface.

Nothing here knows about events, players or threads: ``BoardView.render`` takes a
surface, a ``BoardGeometry`` (where the board lies on the surface) and a ``Scene``
(what to draw), so a test can render a position and look at pixels.  Start reading
at ``Scene`` and ``BoardView.render``.

Points are flat actions (``engine.coords``): row 0 is the *bottom* line, so it is
drawn at the largest y.  Sprites (wood, stones) are made once with numpy and cached
per size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pygame

from engine.analysis import AnalysisSnapshot, Candidate
from engine.board import BLACK, EMPTY, WHITE
from engine.scoring import FinalPosition
from gui.theme import DEFAULT_THEME, Color, TextCache, Theme

LETTERS = "ABCDEFGHJKLMNOPQRST"
MAX_CANDIDATES = 10
MAX_VARIATION = 10  # moves drawn of a searched or predicted line


@dataclass(frozen=True)
class BoardGeometry:
    """Where the points of an N x N board lie on a surface.

    Args:
        size: board size N.
        left, top: the board square's top-left corner in pixels.
        side: the board square's side in pixels (wood included).
    """

    size: int
    left: int
    top: int
    side: int

    @property
    def cell(self) -> float:
        """Distance between neighbouring points in pixels."""
        return self.side / (self.size - 1 + 2.3)

    @property
    def margin(self) -> float:
        """Distance from the board's edge to the first line in pixels."""
        return 1.15 * self.cell

    @property
    def rect(self) -> pygame.Rect:
        """The board square."""
        return pygame.Rect(self.left, self.top, self.side, self.side)

    def center(self, action: int) -> tuple[int, int]:
        """Return the pixel ``(x, y)`` of a point.

        Raises:
            ValueError: for pass or an action off the board.
        """
        n = self.size
        if not 0 <= action < n * n:
            raise ValueError(f"action {action} is not a point of a {n}x{n} board")
        row, col = divmod(action, n)
        x = self.left + self.margin + col * self.cell
        y = self.top + self.margin + (n - 1 - row) * self.cell
        return round(x), round(y)

    def point_at(self, pos: tuple[int, int]) -> int | None:
        """Return the point under pixel ``pos`` (within half a cell), or None."""
        n = self.size
        col = round((pos[0] - self.left - self.margin) / self.cell)
        row = n - 1 - round((pos[1] - self.top - self.margin) / self.cell)
        if not (0 <= row < n and 0 <= col < n):
            return None
        x, y = self.center(row * n + col)
        if (pos[0] - x) ** 2 + (pos[1] - y) ** 2 > (0.5 * self.cell) ** 2:
            return None
        return row * n + col


@dataclass
class Scene:
    """What the board view draws.

    Attributes:
        stones: int8 (N, N) of EMPTY/BLACK/WHITE, ``[row, col]`` with row 0 at the bottom.
        last_move: flat action of the last move (pass or None: no marker).
        hover: ``(action, color)`` of the translucent preview stone, or None.
        snapshot: the analysis behind the overlays, or None.
        show_policy: draw the priors of ``snapshot`` as a heatmap.
        show_candidates: draw the top moves of ``snapshot`` with win rate and visits.
        show_ownership: shade points by the ownership of ``snapshot``.
        final: the scored end of the game: dead stones crossed, territory marked.
        searched_pv: ``(color, moves)`` of the search's best line, drawn as numbered
            translucent stones (``color`` plays move 1), or None.
        predicted_pv: ``(color, moves)`` of a PV model's predicted line (no search),
            drawn as numbered squares in the corner of each point, or None.
    """

    stones: np.ndarray
    last_move: int | None = None
    hover: tuple[int, int] | None = None
    snapshot: AnalysisSnapshot | None = None
    show_policy: bool = False
    show_candidates: bool = False
    show_ownership: bool = False
    final: FinalPosition | None = None
    searched_pv: tuple[int, list[int]] | None = None
    predicted_pv: tuple[int, list[int]] | None = None

    @property
    def size(self) -> int:
        """Board size N."""
        return int(self.stones.shape[0])


@dataclass
class _Sprites:
    """Surfaces that depend only on the geometry (made once per board size and side)."""

    background: pygame.Surface
    black: pygame.Surface
    white: pygame.Surface
    shadow: pygame.Surface
    ghost: dict[tuple[int, int], pygame.Surface] = field(default_factory=dict)


class BoardView:
    """Renders scenes of a board.

    Args:
        theme: colours and sizes.
    """

    def __init__(self, theme: Theme = DEFAULT_THEME) -> None:
        self.theme = theme
        self.text = TextCache()
        self._sprites: dict[tuple[int, int], _Sprites] = {}
        self._layer: pygame.Surface | None = None

    def render(self, surface: pygame.Surface, geometry: BoardGeometry, scene: Scene) -> None:
        """Draw ``scene`` onto ``surface`` inside ``geometry.rect``.

        Raises:
            ValueError: if the scene's board size differs from the geometry's.
        """
        if scene.size != geometry.size:
            raise ValueError(f"scene is {scene.size}x{scene.size}, geometry {geometry.size}")
        sprites = self._sprites_for(geometry)
        surface.blit(sprites.background, (geometry.left, geometry.top))
        snapshot = scene.snapshot
        if snapshot is not None and snapshot.size != scene.size:
            snapshot = None
        if snapshot is not None and scene.show_policy and scene.final is None:
            overlay = self._overlay(geometry)
            self._draw_policy(overlay, geometry, scene, snapshot)
            surface.blit(overlay, (geometry.left, geometry.top))
        self._draw_stones(surface, geometry, scene, sprites)
        if scene.final is not None:
            self._draw_final(surface, geometry, scene, scene.final)
        elif snapshot is not None and (scene.show_ownership or scene.show_candidates):
            overlay = self._overlay(geometry)
            if scene.show_ownership:
                self._draw_ownership(overlay, geometry, scene, snapshot)
            if scene.show_candidates:
                self._draw_candidates(overlay, geometry, scene, snapshot)
            surface.blit(overlay, (geometry.left, geometry.top))
            if scene.show_candidates:
                self._draw_candidate_text(surface, geometry, scene, snapshot)
        if scene.final is None and (scene.searched_pv or scene.predicted_pv):
            self._draw_variations(surface, geometry, scene, sprites)
        if scene.hover is not None:
            action, color = scene.hover
            ghost = self._ghost(sprites, color)
            x, y = geometry.center(action)
            surface.blit(ghost, ghost.get_rect(center=(x, y)))

    def _overlay(self, geometry: BoardGeometry) -> pygame.Surface:
        """Return a cleared translucent layer the size of the board (reused)."""
        if self._layer is None or self._layer.get_width() != geometry.side:
            self._layer = pygame.Surface((geometry.side, geometry.side), pygame.SRCALPHA)
        self._layer.fill((0, 0, 0, 0))
        return self._layer

    # -- layers -----------------------------------------------------------------
    def _draw_stones(
        self, surface: pygame.Surface, geometry: BoardGeometry, scene: Scene, sprites: _Sprites
    ) -> None:
        n = scene.size
        flat = scene.stones.reshape(-1)
        occupied = [int(a) for a in np.flatnonzero(flat)]
        dead = set(scene.final.dead) if scene.final is not None else set()
        offset = max(1, round(geometry.cell * 0.07))
        for action in occupied:
            if action in dead:
                continue
            x, y = geometry.center(action)
            surface.blit(sprites.shadow, sprites.shadow.get_rect(center=(x + offset, y + offset)))
        for action in occupied:
            sprite = sprites.black if flat[action] == BLACK else sprites.white
            if action in dead:
                sprite = self._ghost(sprites, int(flat[action]), self.theme.dead_alpha)
            x, y = geometry.center(action)
            surface.blit(sprite, sprite.get_rect(center=(x, y)))
        last = scene.last_move
        if last is not None and 0 <= last < n * n and flat[last] != EMPTY:
            x, y = geometry.center(last)
            radius = max(3, round(geometry.cell * 0.2))
            width = max(2, round(geometry.cell / 16))
            pygame.draw.circle(surface, self.theme.last_move, (x, y), radius, width)

    def _draw_policy(
        self,
        overlay: pygame.Surface,
        geometry: BoardGeometry,
        scene: Scene,
        snapshot: AnalysisSnapshot,
    ) -> None:
        n = scene.size
        flat = scene.stones.reshape(-1)
        priors = [(c.action, c.prior) for c in snapshot.candidates if c.action < n * n]
        priors = [(a, p) for a, p in priors if p > 0 and flat[a] == EMPTY]
        if not priors:
            return
        top = max(p for _, p in priors)
        half = geometry.cell * 0.46
        for action, prior in priors:
            t = prior / top
            color = _mix(self.theme.policy_low, self.theme.policy_high, t)
            x, y = geometry.center(action)
            rect = pygame.Rect(0, 0, round(2 * half), round(2 * half))
            rect.center = (x - geometry.left, y - geometry.top)
            pygame.draw.rect(overlay, (*color, round(70 + 150 * t)), rect, border_radius=3)

    def _draw_ownership(
        self,
        overlay: pygame.Surface,
        geometry: BoardGeometry,
        scene: Scene,
        snapshot: AnalysisSnapshot,
    ) -> None:
        """Shade empty points by owner, and stones that the other colour is expected to own."""
        owner = snapshot.ownership_black()
        if owner is None:
            return
        n = snapshot.size
        flat = owner.reshape(-1)
        stones = scene.stones.reshape(-1)
        for action in range(n * n):
            value = float(flat[action])
            if abs(value) < 0.1:
                continue
            stone = int(stones[action])
            if stone != EMPTY and (stone == BLACK) == (value > 0):
                continue
            side = abs(value) * geometry.cell * 0.8
            color = self.theme.graph_black if value > 0 else self.theme.graph_white
            x, y = geometry.center(action)
            rect = pygame.Rect(0, 0, round(side), round(side))
            rect.center = (x - geometry.left, y - geometry.top)
            pygame.draw.rect(overlay, (*color, 175), rect)

    def _top_candidates(self, scene: Scene, snapshot: AnalysisSnapshot) -> list[Candidate]:
        n = scene.size
        flat = scene.stones.reshape(-1)
        shown = [
            c for c in snapshot.candidates
            if c.action < n * n and c.visits > 0 and flat[c.action] == EMPTY
        ]
        shown.sort(key=lambda c: -c.visits)
        if not shown:
            return []
        floor = max(1, shown[0].visits // 100)
        return [c for c in shown[:MAX_CANDIDATES] if c.visits >= floor]

    def _draw_candidates(
        self,
        overlay: pygame.Surface,
        geometry: BoardGeometry,
        scene: Scene,
        snapshot: AnalysisSnapshot,
    ) -> None:
        shown = self._top_candidates(scene, snapshot)
        if not shown:
            return
        most = shown[0].visits
        radius = round(geometry.cell * 0.46)
        for i, candidate in enumerate(shown):
            if i == 0:
                color = self.theme.best_move
            else:
                color = _mix((230, 200, 70), self.theme.candidate, candidate.visits / most)
            x, y = geometry.center(candidate.action)
            center = (x - geometry.left, y - geometry.top)
            pygame.draw.circle(overlay, (*color, 225), center, radius)

    def _draw_candidate_text(
        self,
        surface: pygame.Surface,
        geometry: BoardGeometry,
        scene: Scene,
        snapshot: AnalysisSnapshot,
    ) -> None:
        size = max(9, round(geometry.cell * 0.34))
        ink = (16, 16, 18)
        for candidate in self._top_candidates(scene, snapshot):
            x, y = geometry.center(candidate.action)
            rate = self.text.render(f"{100 * candidate.winrate:.0f}", size, ink, bold=True)
            visits = self.text.render(_short_count(candidate.visits), size - 2, ink)
            surface.blit(rate, rate.get_rect(midbottom=(x, y + 1)))
            surface.blit(visits, visits.get_rect(midtop=(x, y + 1)))

    def _draw_variations(
        self, surface: pygame.Surface, geometry: BoardGeometry, scene: Scene, sprites: _Sprites
    ) -> None:
        """Draw the searched line as numbered ghost stones and the predicted line as
        numbered squares in the lower right of each point, so both show at once."""
        size = max(9, round(geometry.cell * 0.36))
        if scene.searched_pv is not None:
            color, moves = scene.searched_pv
            for number, action, mover in _line_points(scene, color, moves):
                ghost = self._ghost(sprites, mover, self.theme.variation_alpha)
                x, y = geometry.center(action)
                surface.blit(ghost, ghost.get_rect(center=(x, y)))
                ink = (245, 245, 240) if mover == BLACK else (20, 20, 22)
                label = self.text.render(str(number), size, ink, bold=True)
                surface.blit(label, label.get_rect(center=(x, y)))
        if scene.predicted_pv is not None:
            color, moves = scene.predicted_pv
            half = max(5, round(geometry.cell * 0.2))
            small = max(8, round(geometry.cell * 0.28))
            for number, action, mover in _line_points(scene, color, moves):
                x, y = geometry.center(action)
                box = pygame.Rect(0, 0, 2 * half, 2 * half)
                box.center = (x + round(geometry.cell * 0.24), y + round(geometry.cell * 0.24))
                pygame.draw.rect(surface, self.theme.predicted, box, border_radius=2)
                edge = (20, 20, 22) if mover == BLACK else (245, 245, 240)
                pygame.draw.rect(surface, edge, box, 2, border_radius=2)
                label = self.text.render(str(number), small, (20, 20, 22), bold=True)
                surface.blit(label, label.get_rect(center=box.center))

    def _draw_final(
        self, surface: pygame.Surface, geometry: BoardGeometry, scene: Scene, final: FinalPosition
    ) -> None:
        n = scene.size
        stones = scene.stones.reshape(-1)
        owner = final.owner.reshape(-1)
        dead = set(final.dead)
        half = max(2, round(geometry.cell * 0.17))
        for action in range(n * n):
            who = int(owner[action])
            if who == EMPTY or (stones[action] != EMPTY and action not in dead):
                continue
            color = self.theme.graph_black if who == BLACK else self.theme.graph_white
            x, y = geometry.center(action)
            rect = pygame.Rect(x - half, y - half, 2 * half, 2 * half)
            pygame.draw.rect(surface, color, rect)
            edge = (90, 90, 90) if who == WHITE else (200, 200, 200)
            pygame.draw.rect(surface, edge, rect, 1)
        arm = max(3, round(geometry.cell * 0.3))
        width = max(2, round(geometry.cell / 14))
        for action in dead:
            x, y = geometry.center(action)
            color = self.theme.dead_mark
            pygame.draw.line(surface, color, (x - arm, y - arm), (x + arm, y + arm), width)
            pygame.draw.line(surface, color, (x - arm, y + arm), (x + arm, y - arm), width)

    # -- sprites ----------------------------------------------------------------
    def _sprites_for(self, geometry: BoardGeometry) -> _Sprites:
        key = (geometry.size, geometry.side)
        if key not in self._sprites:
            if len(self._sprites) > 8:
                self._sprites.clear()
            radius = max(3, round(geometry.cell * 0.48))
            self._sprites[key] = _Sprites(
                background=self._background(geometry),
                black=stone_sprite(radius, BLACK),
                white=stone_sprite(radius, WHITE),
                shadow=shadow_sprite(radius),
            )
        return self._sprites[key]

    def _ghost(self, sprites: _Sprites, color: int, alpha: int | None = None) -> pygame.Surface:
        """Return the stone of ``color`` made translucent (default: the hover opacity)."""
        alpha = self.theme.hover_alpha if alpha is None else alpha
        key = (color, alpha)
        if key not in sprites.ghost:
            ghost = (sprites.black if color == BLACK else sprites.white).copy()
            ghost.set_alpha(alpha)
            sprites.ghost[key] = ghost
        return sprites.ghost[key]

    def _background(self, geometry: BoardGeometry) -> pygame.Surface:
        """Return the wood with grid, star points and coordinates (board-local pixels)."""
        n, side, cell = geometry.size, geometry.side, geometry.cell
        surface = wood_texture(side, side, self.theme)
        local = BoardGeometry(n, 0, 0, side)
        line = self.theme.line
        first, last = local.center(0), local.center(n * n - 1)
        left, bottom = first
        right, top = last
        width = max(1, round(cell / 40))
        for i in range(n):
            x, _ = local.center(i)
            _, y = local.center(i * n)
            pygame.draw.line(surface, line, (x, top), (x, bottom), width)
            pygame.draw.line(surface, line, (left, y), (right, y), width)
        pygame.draw.rect(
            surface, line, pygame.Rect(left, top, right - left + 1, bottom - top + 1),
            width + 1,
        )
        star = max(2, round(cell * 0.1))
        for action in star_points(n):
            pygame.draw.circle(surface, line, local.center(action), star)
        size = max(10, round(cell * 0.42))
        gap = geometry.margin - 0.78 * cell
        far = side - gap
        for i in range(n):
            letter = self.text.render(LETTERS[i], size, line, bold=True)
            number = self.text.render(str(i + 1), size, line, bold=True)
            x, _ = local.center(i)
            _, y = local.center(i * n)
            surface.blit(letter, letter.get_rect(center=(x, round(gap))))
            surface.blit(letter, letter.get_rect(center=(x, round(far))))
            surface.blit(number, number.get_rect(center=(round(gap), y)))
            surface.blit(number, number.get_rect(center=(round(far), y)))
        return surface


def star_points(size: int) -> list[int]:
    """Return the flat actions of the star points (hoshi) of a board of ``size``."""
    if size < 7:
        return []
    edge = 2 if size < 13 else 3
    lines = [edge, size - 1 - edge]
    if size % 2 == 1 and size >= 9:
        lines.append(size // 2)
    if size < 15:
        points = [(r, c) for r in lines[:2] for c in lines[:2]]
        if len(lines) == 3:
            points.append((lines[2], lines[2]))
    else:
        points = [(r, c) for r in lines for c in lines]
    return sorted(r * size + c for r, c in points)


def wood_texture(width: int, height: int, theme: Theme = DEFAULT_THEME, seed: int = 7
                 ) -> pygame.Surface:
    """Return a ``width`` x ``height`` surface of wood with a wavy vertical grain.

    The same arguments always give the same pixels.
    """
    rng = np.random.default_rng(seed)
    x = np.arange(width, dtype=np.float64)[None, :]
    y = np.arange(height, dtype=np.float64)[:, None]
    turns = 2 * math.pi / max(height, 1)
    warp = 9 * np.sin(y * turns * 1.3 + 0.7) + 4 * np.sin(y * turns * 3.7 + 2.1)
    phase = x + warp
    rings = 0.5 + 0.5 * np.sin(phase * 0.09 + 2.2 * np.sin(phase * 0.011))
    streaks = np.convolve(rng.normal(0, 1, width + 64), np.ones(5) / 5, mode="same")
    column = np.clip(np.round(phase).astype(np.int64) + 32, 0, width + 63)
    amount = 0.28 * rings**3 + 0.12 * np.clip(streaks[column], -2, 2) + 0.1
    amount = np.clip(amount, 0, 1)
    wood = np.array(theme.wood, dtype=np.float64)
    grain = np.array(theme.grain, dtype=np.float64)
    rgb = wood * (1 - amount[..., None]) + grain * amount[..., None]
    pixels = np.clip(rgb, 0, 255).astype(np.uint8)
    return pygame.surfarray.make_surface(pixels.transpose(1, 0, 2))


def stone_sprite(radius: int, color: int) -> pygame.Surface:
    """Return an anti-aliased shaded stone of ``radius`` pixels (light from the top left).

    Raises:
        ValueError: if ``color`` is not BLACK or WHITE.
    """
    if color not in (BLACK, WHITE):
        raise ValueError(f"invalid colour {color}")
    dx, dy, inside = _disc(radius)
    nz = np.sqrt(np.clip(1.0 - dx * dx - dy * dy, 0.0, 1.0))
    light = np.array([-0.45, -0.55, 0.70])
    light /= np.linalg.norm(light)
    diffuse = np.clip(dx * light[0] + dy * light[1] + nz * light[2], 0.0, 1.0)
    shine = diffuse**24
    if color == BLACK:
        level = 14 + 46 * diffuse**2 + 120 * shine
        rgb = np.stack([level, level, level * 1.06], axis=-1)
    else:
        level = 188 + 50 * diffuse + 30 * shine
        rgb = np.stack([level * 0.985, level * 0.985, level], axis=-1)
    return _sprite(rgb, inside.astype(np.float64) * 255.0, radius)


def shadow_sprite(radius: int) -> pygame.Surface:
    """Return a soft translucent shadow of a stone of ``radius`` pixels."""
    dx, dy, _ = _disc(radius)
    distance = np.sqrt(dx * dx + dy * dy)
    alpha = np.clip((1.08 - distance) / 0.2, 0.0, 1.0) * 80.0
    rgb = np.zeros(alpha.shape + (3,))
    return _sprite(rgb, alpha, radius)


_SUPER = 4


def _disc(radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return supersampled unit-disc coordinates (dx, dy) and the inside mask."""
    side = (2 * radius + 4) * _SUPER
    centre = side / 2.0
    grid = (np.arange(side, dtype=np.float64) + 0.5 - centre) / (radius * _SUPER)
    dx = np.broadcast_to(grid[None, :], (side, side))
    dy = np.broadcast_to(grid[:, None], (side, side))
    return dx, dy, dx * dx + dy * dy <= 1.0


def _sprite(rgb: np.ndarray, alpha: np.ndarray, radius: int) -> pygame.Surface:
    """Average a supersampled RGB + alpha image down into an RGBA surface."""
    side = 2 * radius + 4
    shape = (side, _SUPER, side, _SUPER)
    weight = alpha.reshape(shape).sum(axis=(1, 3))
    colour = (rgb * alpha[..., None]).reshape(shape + (3,)).sum(axis=(1, 3))
    colour = colour / np.maximum(weight, 1e-9)[..., None]
    rgba = np.empty((side, side, 4), dtype=np.uint8)
    rgba[..., :3] = np.clip(colour, 0, 255).astype(np.uint8)
    rgba[..., 3] = np.clip(weight / _SUPER**2, 0, 255).astype(np.uint8)
    return pygame.image.frombuffer(rgba.tobytes(), (side, side), "RGBA").copy()


def _line_points(scene: Scene, color: int, moves: list[int],
                 limit: int = MAX_VARIATION) -> list[tuple[int, int, int]]:
    """Return (move number, point, colour) of the first ``limit`` moves of a line that
    land on an empty point not yet drawn (passes, repeats and points with a stone now
    are skipped; colours alternate from ``color``)."""
    n = scene.size
    stones = scene.stones.reshape(-1)
    seen: set[int] = set()
    out = []
    mover = color
    for number, action in enumerate(moves[:limit], start=1):
        if 0 <= action < n * n and action not in seen and stones[action] == EMPTY:
            seen.add(action)
            out.append((number, action, mover))
        mover = WHITE if mover == BLACK else BLACK
    return out


def _mix(low: Color, high: Color, t: float) -> Color:
    t = min(1.0, max(0.0, t))
    r, g, b = (round(a + (b_ - a) * t) for a, b_ in zip(low, high, strict=True))
    return (r, g, b)


def _short_count(visits: int) -> str:
    """Return e.g. ``"850"``, ``"1.2k"``, ``"35k"``, ``"1.1M"``."""
    if visits < 1000:
        return str(visits)
    if visits < 10_000:
        return f"{visits / 1000:.1f}k"
    if visits < 1_000_000:
        return f"{visits // 1000}k"
    return f"{visits / 1_000_000:.1f}M"
