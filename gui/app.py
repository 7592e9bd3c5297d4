"""The pygame window: a game against the engine, with analysis overlays.

``App`` holds the state (an ``engine.game.Game``, the colours, the settings, the
latest analysis) and runs the loop: each ``step`` handles the pending events,
takes what the engine thread reported, starts the engine when it is its turn, and
draws a frame with ``BoardView`` (the board) and ``Panel`` (the side panel).
Drawing never changes state; every rule question goes to ``Game``/``Board``.

Tests drive the window headless (``SDL_VIDEODRIVER=dummy``): post mouse and key
events with ``pygame.event.post`` and call ``step()`` or ``run(frames=...)``.

Keys: click a point to play; P pass, U undo (your move and the engine's reply),
N new game, S swap colours, Space stop the engine (it plays its best move so far),
H policy heatmap, C candidate moves, O ownership, A analyse on your turn, G graph,
E score estimate, V predicted PV, W save SGF, L load SGF, ? keys, Ctrl+Q quit.

V (with a PV model, ``zerogo play --pv-model FILE``) draws the line a sequence model
predicts from the position alone (numbered orange squares) beside the search's best
line (numbered translucent stones, while the engine thinks or analyses), and lists
both in the panel.  The prediction is computed on this thread once per position.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pygame

from engine import coords
from engine.analysis import AnalysisSnapshot
from engine.board import BLACK, WHITE, IllegalMoveError, color_name, opponent
from engine.game import Game, Result
from engine.player import RESIGN, Decision, Player
from engine.scoring import FinalPosition, final_position
from engine.sgf import save_sgf
from gui.board_view import BoardGeometry, BoardView, Scene
from gui.engine_thread import EngineThread, Finished, Snapshot
from gui.panel import Panel, PanelInfo
from gui.settings import Settings, budget_label
from gui.theme import DEFAULT_THEME, TextCache, Theme
from gui.widgets import TextPrompt

DEFAULT_WINDOW = (1010, 680)
DEFAULT_SGF_DIR = Path.home() / "zerogo-games"
OVERLAYS = ("policy", "moves", "territory", "analyse", "graph", "score", "pv")
KEYS = {
    pygame.K_p: "pass",
    pygame.K_u: "undo",
    pygame.K_n: "new",
    pygame.K_s: "swap",
    pygame.K_SPACE: "stop",
    pygame.K_h: "policy",
    pygame.K_c: "moves",
    pygame.K_o: "territory",
    pygame.K_a: "analyse",
    pygame.K_g: "graph",
    pygame.K_e: "score",
    pygame.K_v: "pv",
    pygame.K_w: "save",
    pygame.K_l: "load",
    pygame.K_SLASH: "help",
    pygame.K_QUESTION: "help",
    pygame.K_F1: "help",
}
HELP_TEXT = (
    "Click to play. P pass, U undo, N new, S swap, Space stop engine, H policy, C moves, "
    "O territory, A analyse, G graph, E score, V predicted PV, W save, L load, Ctrl+Q quit."
)
PVPredictor = Callable[[Game, int], list[int]]
"""``predict(game, color) -> moves``: a PV model's line for ``color`` (flat actions)."""
MAX_PV_TEXT = 8  # moves of each line listed in the panel
COMMENT = re.compile(r"zerogo: ([BW]) (\d+(?:\.\d+)?)% \((\d+) visits\)")


class GuiUnavailable(RuntimeError):
    """The window cannot be opened (no display, or pygame's video fails to start)."""


class App:
    """A game against the engine in a pygame window.

    Args:
        player: the engine (any ``engine.player.Player``; overlays need ``analyze``).
        settings: board size, komi and engine budget.
        human: the person's colour.
        game: a game to continue (default: a new one from ``settings``).
        sgf_dir: where Save writes and Load starts (default ``~/zerogo-games``).
        fps: frames per second the loop aims at.
        window: window size in pixels.
        theme: colours and sizes.
        interval: seconds between analysis snapshots of the engine.
        pv_predictor: a PV model for the predicted-PV overlay (V), or None.

    Raises:
        GuiUnavailable: if pygame cannot open a window.
    """

    def __init__(
        self,
        player: Player,
        settings: Settings,
        human: int = BLACK,
        game: Game | None = None,
        sgf_dir: Path | None = None,
        fps: int = 60,
        window: tuple[int, int] = DEFAULT_WINDOW,
        theme: Theme = DEFAULT_THEME,
        interval: float = 0.1,
        pv_predictor: PVPredictor | None = None,
        message: str | None = None,
    ) -> None:
        try:
            pygame.display.init()
            pygame.font.init()
            self.screen = pygame.display.set_mode(window, pygame.RESIZABLE)
        except pygame.error as exc:
            raise GuiUnavailable(f"cannot open a window: {exc}") from None
        pygame.display.set_caption("zerogo")
        self.player = player
        self.settings = settings
        self.human = human
        self.game = game if game is not None else Game(settings.size, settings.komi)
        self.sgf_dir = sgf_dir if sgf_dir is not None else DEFAULT_SGF_DIR
        self.fps = fps
        self.theme = theme
        self.text = TextCache()
        self.view = BoardView(theme)
        self.panel = Panel(theme, self.text)
        self.engine = EngineThread(player, interval)
        self.engine_label = player_label(player, self.game.size, self.game.komi)
        self.clock = pygame.time.Clock()
        self.overlays: set[str] = {"graph", "score"}
        self.snapshot: Snapshot | None = None
        self.winrates: dict[int, float] = _winrates_from_comments(self.game)
        self.final: FinalPosition | None = None
        self.message = message or "Click a point to play. Press ? for the keys."
        self.prompt: TextPrompt | None = None
        self.mouse: tuple[int, int] | None = None
        self.running = True
        self.frames = 0
        self.engine_failed = False
        self._move_ticket: int | None = None
        self._ponder_ticket: int | None = None
        self._ponder_key: tuple[int, int, int] | None = None
        self.pv_predictor = pv_predictor
        self._predicted: tuple[tuple[int, int, int], list[int]] | None = None
        self._layout()

    # -- loop ---------------------------------------------------------------------
    def step(self) -> bool:
        """Run one frame: events, engine reports, engine start, drawing; return ``running``."""
        for event in pygame.event.get():
            self.handle(event)
        self._take_reports()
        self._advance()
        self.draw()
        pygame.display.flip()
        self.clock.tick(self.fps)
        self.frames += 1
        return self.running

    def run(self, frames: int | None = None) -> Result | None:
        """Run until the window is closed, or for ``frames`` frames; return the result.

        With ``frames`` None the window is closed at the end.
        """
        done = 0
        while self.running and (frames is None or done < frames):
            self.step()
            done += 1
        if frames is None:
            self.close()
        return self.game.result

    def close(self) -> None:
        """Stop the engine thread and close the window."""
        self.engine.close()
        pygame.display.quit()

    @property
    def thinking(self) -> bool:
        """True while the engine searches for its move."""
        return self._move_ticket is not None

    # -- events -------------------------------------------------------------------
    def handle(self, event: pygame.event.Event) -> None:
        """Apply one pygame event."""
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type == pygame.VIDEORESIZE:
            self.screen = pygame.display.get_surface() or self.screen
            self._layout()
        elif event.type == pygame.MOUSEMOTION:
            self.mouse = event.pos
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            self.mouse = event.pos
            self._click(event.pos)
        elif event.type == pygame.KEYDOWN:
            self._key(event)

    def _key(self, event: pygame.event.Event) -> None:
        if self.prompt is not None:
            self.prompt.handle_key(event)
            if self.prompt.done:
                path, self.prompt = self.prompt.text.strip(), None
                if path:
                    self.load(Path(path).expanduser())
            elif self.prompt.cancelled:
                self.prompt = None
            return
        if event.key == pygame.K_q and getattr(event, "mod", 0) & pygame.KMOD_CTRL:
            self.running = False
            return
        if getattr(event, "unicode", "") == "?":
            self.command("help")
            return
        command = KEYS.get(event.key)
        if command is not None:
            self.command(command)

    def _click(self, pos: tuple[int, int]) -> None:
        if self.prompt is not None:
            return
        command = self.panel.command_at(pos, self._panel_info())
        if command is not None:
            self.command(command)
            return
        action = self.geometry.point_at(pos)
        if action is not None:
            self.play(action)

    # -- commands -----------------------------------------------------------------
    def command(self, name: str) -> None:
        """Run a panel/keyboard command by name (see ``KEYS`` and ``gui.panel``).

        Raises:
            ValueError: for an unknown command.
        """
        if name in OVERLAYS:
            self.toggle(name)
            return
        actions: dict[str, Callable[[], object]] = {
            "pass": self.pass_move,
            "resign": self.resign,
            "undo": self.undo,
            "new": self.new_game,
            "swap": self.swap,
            "stop": self.stop_engine,
            "save": self.save,
            "load": self.ask_load,
            "help": lambda: self._say(HELP_TEXT),
            "size": lambda: self._change(self.settings.next_size()),
            "komi-": lambda: self._change(self.settings.step_komi(-1)),
            "komi+": lambda: self._change(self.settings.step_komi(1)),
            "strength-": lambda: self._change(self.settings.step_budget(-1)),
            "strength+": lambda: self._change(self.settings.step_budget(1)),
        }
        if name not in actions:
            raise ValueError(f"unknown command {name!r}")
        actions[name]()

    def play(self, action: int) -> bool:
        """Play the person's move at ``action`` if it is their turn and legal."""
        game = self.game
        if game.is_over:
            self._say("The game is over: N starts a new one.")
            return False
        if game.to_move != self.human:
            self._say("The engine is thinking (Space: make it play now).")
            return False
        reason = game.board.status(action, self.human)
        if reason is not None:
            self._say(f"Illegal move: {reason}.")
            return False
        self._cancel_ponder()
        game.play(action, self.human)
        self._say("")
        return True

    def pass_move(self) -> None:
        """Pass for the person (on their turn)."""
        if self.game.is_over or self.game.to_move != self.human:
            return
        self._cancel_ponder()
        self.game.play(self.game.pass_action, self.human)
        self._say("You pass.")

    def resign(self) -> None:
        """Resign for the person."""
        if self.game.is_over:
            return
        self._cancel_all()
        self.game.resign(self.human)
        self._say("You resign.")

    def undo(self) -> None:
        """Take back the engine's reply and the person's last move (or a resignation)."""
        self._cancel_all()
        game = self.game
        result = game.result
        if result is not None and result.reason == "resign":
            game.result = None
            self.final = None
            if result.winner != self.human:  # you resigned: take back just that
                self._after_change("Resignation taken back.")
                return
            # the engine resigned: take back your move that made it resign, below
        if not any(m.color == self.human for m in game.moves):
            self._say("Nothing to undo.")
            return
        while game.moves[-1].color != self.human:
            game.undo()
        game.undo()
        self.engine.reset()
        self.engine_failed = False
        self._after_change("Took back your last move.")

    def new_game(self) -> None:
        """Start a new game with the current settings."""
        self._cancel_all()
        self.engine.reset()
        self.game = Game(self.settings.size, self.settings.komi)
        self.engine_label = player_label(self.player, self.game.size, self.game.komi)
        self.winrates = {}
        self.engine_failed = False
        self._after_change(f"New game: you play {color_name(self.human)}.")
        self._layout()

    def swap(self) -> None:
        """Swap colours: the engine takes the person's side (and moves now if it is its turn)."""
        self._cancel_all()
        self.human = opponent(self.human)
        self.engine_failed = False
        self._say(f"You now play {color_name(self.human)}.")

    def stop_engine(self) -> None:
        """Make the engine play its best move so far."""
        if self.thinking:
            self.engine.stop()
            self._say("Stopped: the engine plays its best move so far.")

    def toggle(self, name: str) -> None:
        """Switch an overlay (policy, moves, territory, analyse, graph, score) on or off."""
        if name in self.overlays:
            self.overlays.discard(name)
            if name == "analyse":
                self._cancel_ponder()
        else:
            if name == "analyse" and getattr(self.player, "analyze", None) is None:
                self._say(f"The {getattr(self.player, 'name', '')} player cannot analyse.")
                return
            if name == "pv" and self.pv_predictor is None:
                self._say("No PV model: start with zerogo play --pv-model FILE.")
                return
            self.overlays.add(name)
            if name == "analyse":
                self._ponder_key = None
        state = "on" if name in self.overlays else "off"
        hint = ""
        if name in ("policy", "moves", "territory", "pv") and "analyse" not in self.overlays:
            hint = " Shown while the engine thinks; A analyses your turns too."
        if name == "pv":
            hint = " Squares: predicted by the model (no search); stones: searched." + (
                "" if "analyse" in self.overlays else " A analyses your turns."
            )
        label = "Predicted PV" if name == "pv" else name.capitalize()
        self._say(f"{label} {state}.{hint if state == 'on' else ''}")

    def save(self, path: Path | None = None) -> Path | None:
        """Write the game as SGF (default: a timestamped file in ``sgf_dir``); return the path."""
        if path is None:
            stem = time.strftime("zerogo-%Y%m%d-%H%M%S")
            path = self.sgf_dir / f"{stem}.sgf"
            number = 2
            while path.exists():
                path = self.sgf_dir / f"{stem}-{number}.sgf"
                number += 1
        engine = f"zerogo ({self.engine_label})"
        black, white = ("You", engine) if self.human == BLACK else (engine, "You")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(save_sgf(self.game, black, white))
        except OSError as exc:
            self._say(f"Cannot save: {exc}")
            return None
        self._say(f"Saved {path}")
        return path

    def ask_load(self) -> None:
        """Open the path prompt for loading an SGF file or a photo of a board (newest
        saved game filled in)."""
        files = list(self.sgf_dir.glob("*.sgf")) if self.sgf_dir.is_dir() else []
        newest = max(files, key=lambda p: (p.stat().st_mtime, p.name), default=None)
        start = str(newest) if newest is not None else f"{self.sgf_dir}/"
        self.prompt = TextPrompt("Load SGF file or board photo", start)

    def load(self, path: Path) -> bool:
        """Replace the game by the one in the SGF file at ``path``, or by the position
        read from a photo of a board (``zerogo scan``; black to move, the points to
        check named in the status line); the person plays the colour to move there."""
        from zerogo.scan.photo import game_from_file

        try:
            game, note = game_from_file(path, komi=self.settings.komi)
        except ValueError as exc:  # SgfError, PhotoError
            self._say(f"Cannot load: {exc}")
            return False
        self._cancel_all()
        self.engine.reset()
        self.game = game
        self.engine_label = player_label(self.player, game.size, game.komi)
        self.human = game.to_move
        self.settings = Settings(
            game.size, game.komi, self.settings.budget_index, self.settings.budgets
        )
        self.winrates = _winrates_from_comments(game)
        self.engine_failed = False
        self._after_change(f"{note}: you play {color_name(self.human)}.")
        self._layout()
        return True

    def screenshot(self, path: Path) -> None:
        """Save the current frame as an image (PNG by the suffix)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.screen, str(path))

    def point_pixel(self, action: int) -> tuple[int, int]:
        """Return the window pixel of a board point (for tests and scripted clicks)."""
        return self.geometry.center(action)

    # -- engine -------------------------------------------------------------------
    def _advance(self) -> None:
        """Start what the position calls for: the engine's move, analysis, or scoring."""
        game = self.game
        if game.is_over:
            self._cancel_ponder()
            if self.final is None:
                self._finish()
            return
        if self.engine_failed:
            return
        if game.to_move != self.human:
            if self._move_ticket is None:
                self._cancel_ponder()
                self._move_ticket = self.engine.think(game, game.to_move, self.settings.budget)
            return
        key = (len(game.moves), game.board.hash, self.human)
        if "analyse" in self.overlays and self._ponder_ticket is None and key != self._ponder_key:
            self._ponder_key = key
            self._ponder_ticket = self.engine.think(game, self.human, None, ponder=True)

    def _take_reports(self) -> None:
        for item in self.engine.poll():
            if isinstance(item, Snapshot):
                if item.ply == len(self.game.moves):
                    self.snapshot = item
                    self.winrates[item.ply] = _black_winrate(item.snapshot)
            elif item.ticket == self._move_ticket:
                self._move_ticket = None
                self._engine_moves(item)
            elif item.ticket == self._ponder_ticket:
                self._ponder_ticket = None
                if item.error is not None:
                    self.overlays.discard("analyse")
                    self._say(f"No analysis: {item.error}")

    def _engine_moves(self, item: Finished) -> None:
        game, decision, color = self.game, item.decision, item.color
        if decision is None:
            self.engine_failed = True
            self._say(f"Engine error: {item.error}")
            return
        if decision.action == RESIGN:
            game.resign(color)
            self._say(f"{color_name(color).capitalize()} resigns.")
            return
        try:
            game.play(decision.action, color, _comment(color, decision))
        except IllegalMoveError as exc:
            self.engine_failed = True
            self._say(f"Engine error: {exc}")
            return
        if decision.winrate is not None:
            black = decision.winrate if color == BLACK else 1.0 - decision.winrate
            self.winrates[item.ply] = black
        if decision.action == game.pass_action:
            self._say(f"{color_name(color).capitalize()} passes.")

    def _finish(self) -> None:
        """Score the finished game: dead stones, territory, result."""
        final = final_position(self.game)
        self.final = final
        if self.game.result is None:
            self.game.result = final.result()
        self._say(f"Game over: {self.game.result.sgf()}. N: new game, U: undo.")

    def _cancel_ponder(self) -> None:
        self.engine.cancel(self._ponder_ticket)
        self._ponder_ticket = None

    def _cancel_all(self) -> None:
        self.engine.cancel(self._move_ticket)
        self._move_ticket = None
        self._cancel_ponder()
        self._ponder_key = None

    def _after_change(self, message: str) -> None:
        """Forget what belonged to the position before an undo, load or new game."""
        self.final = None
        self.snapshot = None
        ply = len(self.game.moves)
        self.winrates = {k: v for k, v in self.winrates.items() if k <= ply}
        self._say(message)

    def _change(self, settings: Settings) -> None:
        """Apply new settings: size and komi start a new game if none is under way."""
        old = self.settings
        self.settings = settings
        if settings.budget != old.budget:
            self._say(f"Engine strength: {budget_label(settings.budget)}.")
            return
        if not self.game.moves:
            self.new_game()
        else:
            self._say("Applies to the next game (N).")

    def _say(self, message: str) -> None:
        self.message = message

    # -- drawing ------------------------------------------------------------------
    def _layout(self) -> None:
        width, height = self.screen.get_size()
        side = max(100, min(height, width - self.theme.panel_width))
        self.geometry = BoardGeometry(self.game.size, 0, 0, side)
        self.panel.layout(pygame.Rect(side, 0, max(self.theme.panel_width, width - side), height))

    def scene(self) -> Scene:
        """Return what the board view draws for the current state."""
        game = self.game
        last = game.last_move
        snapshot: AnalysisSnapshot | None = None
        current = False
        if self.snapshot is not None:
            snapshot = self.snapshot.snapshot
            current = self.snapshot.ply == len(game.moves)
        return Scene(
            stones=game.board.to_array(),
            last_move=None if last is None else last.action,
            hover=self._hover(),
            snapshot=snapshot,
            show_policy="policy" in self.overlays and current,
            show_candidates="moves" in self.overlays and current,
            show_ownership="territory" in self.overlays and current,
            final=self.final,
            searched_pv=self._searched_pv() if current else None,
            predicted_pv=self._predicted_pv(),
        )

    def _searched_pv(self) -> tuple[int, list[int]] | None:
        """Return the current analysis's best line (most visits) while V is on."""
        if "pv" not in self.overlays or self.snapshot is None:
            return None
        snapshot = self.snapshot.snapshot
        if not snapshot.candidates:
            return None
        best = max(snapshot.candidates, key=lambda c: (c.visits, c.winrate))
        return snapshot.to_move, list(best.pv or [best.action])

    def _predicted_pv(self) -> tuple[int, list[int]] | None:
        """Return the PV model's line for the side to move while V is on (cached per
        position; a failing model turns the overlay off with a message)."""
        game = self.game
        if "pv" not in self.overlays or self.pv_predictor is None or game.is_over:
            return None
        key = (len(game.moves), game.board.hash, game.to_move)
        if self._predicted is None or self._predicted[0] != key:
            try:
                moves = self.pv_predictor(game, game.to_move)
            except Exception as exc:  # a model for another size, or a broken one
                self.overlays.discard("pv")
                self._say(f"No predicted PV: {exc}")
                return None
            self._predicted = (key, moves)
        return game.to_move, self._predicted[1]

    def _hover(self) -> tuple[int, int] | None:
        game = self.game
        if self.mouse is None or self.prompt is not None or game.is_over:
            return None
        if game.to_move != self.human:
            return None
        action = self.geometry.point_at(self.mouse)
        if action is None or not game.board.is_legal(action, self.human):
            return None
        return action, self.human

    def draw(self) -> None:
        """Draw the whole window (board, panel, prompt) into the screen surface."""
        if self.geometry.size != self.game.size:
            self._layout()
        self.screen.fill(self.theme.panel)
        self.view.render(self.screen, self.geometry, self.scene())
        self.panel.draw(self.screen, self._panel_info(), self.mouse)
        if self.prompt is not None:
            self.prompt.draw(self.screen, self.geometry.rect, self.text, self.theme)

    def _panel_info(self) -> PanelInfo:
        game = self.game
        engine_color = opponent(self.human)
        caps = game.board.captures
        info = PanelInfo(
            status=self._status(),
            players=f"You: {color_name(self.human)}   Engine: {color_name(engine_color)} "
            f"({self.engine_label})",
            captures=f"Captures: black {caps[BLACK]}, white {caps[WHITE]}   Move {len(game.moves)}",
            size=f"{self.settings.size} x {self.settings.size}",
            komi=f"{self.settings.komi:g}",
            strength=budget_label(self.settings.budget),
            estimate=self._estimate(),
            winrates=self.winrates,
            ply=len(game.moves),
            message=self.message,
            toggled=set(self.overlays),
            show_graph="graph" in self.overlays,
        )
        disabled = set()
        human_turn = not game.is_over and game.to_move == self.human
        if not human_turn:
            disabled.add("pass")
        if game.is_over:
            disabled.add("resign")
        if not self.thinking:
            disabled.add("stop")
        if not any(m.color == self.human for m in game.moves) and game.result is None:
            disabled.add("undo")
        info.disabled = disabled
        return info

    def _status(self) -> str:
        game = self.game
        if game.result is not None:
            return f"Game over: {game.result.sgf()}"
        if game.is_over:
            return "Game over: scoring..."
        if game.to_move == self.human:
            return f"Your move ({color_name(self.human)})"
        text = f"{color_name(game.to_move).capitalize()} thinking..."
        if self.snapshot is not None and self.snapshot.ply == len(game.moves):
            text += f" {self.snapshot.snapshot.visits} visits"
        return text

    def _estimate(self) -> list[str]:
        """Return the panel's lines about the position: the two PVs while V is on
        (first: the panel shows three lines), then the score."""
        lines: list[str] = []
        if "pv" in self.overlays and self.final is None:
            size = self.game.size
            current = self.snapshot is not None and self.snapshot.ply == len(self.game.moves)
            for label, line in (
                ("Predicted PV (model)", self._predicted_pv()),
                ("Searched PV", self._searched_pv() if current else None),
            ):
                if line is not None:
                    text = " ".join(coords.to_gtp(a, size) for a in line[1][:MAX_PV_TEXT])
                    lines.append(f"{label}: {text or '-'}")
        return lines + self._score_lines()

    def _score_lines(self) -> list[str]:
        game = self.game
        if self.final is not None and game.result is not None:
            final = self.final
            lines = [f"Final score: {_score_text(final.score)}"]
            if game.result.reason != "score":
                lines = [f"Result: {game.result.sgf()}", f"Board count: {_score_text(final.score)}"]
            lines.append(f"Area scoring, komi {game.komi:g}; {len(final.dead)} dead stones")
            return lines
        if "score" not in self.overlays:
            return []
        if self.snapshot is None:
            return ["No analysis yet"]
        snap = self.snapshot.snapshot
        lines = [f"Black win rate {100 * _black_winrate(snap):.1f}% ({snap.visits} visits)"]
        if snap.score_lead is not None:
            lead = snap.score_lead if snap.to_move == BLACK else -snap.score_lead
            lines.append(f"Score estimate: {_score_text(lead)}")
        if self.snapshot.ply != len(game.moves):
            lines.append(f"(analysis of move {self.snapshot.ply})")
        return lines


def player_label(player: Player, size: int, komi: float | None = None) -> str:
    """Return the name of the player that really plays on a ``size`` board at ``komi``, e.g.
    ``"mcts"``, ``"random"`` or ``"net NETWORK"`` (a network player and the name of its
    network, from the checkpoint's metadata).

    A player that picks another per board size (``zerogo.players.SizeDispatchPlayer``,
    behind ``--player auto`` and ``--player net``) is asked for that one with
    ``player_for(size, komi)``; it builds it if it has not yet (the engine would, at its
    first move).  A player with an ``evaluator`` is named with the evaluator's name.
    """
    player_for = getattr(player, "player_for", None)
    if callable(player_for):
        player = player_for(size) if komi is None else player_for(size, komi)
    name = str(getattr(player, "name", "engine"))
    network = getattr(getattr(player, "evaluator", None), "name", None)
    return f"{name} {network}" if network else name


def _black_winrate(snapshot: AnalysisSnapshot) -> float:
    return snapshot.winrate if snapshot.to_move == BLACK else 1.0 - snapshot.winrate


def _score_text(black_lead: float) -> str:
    """Return ``B+3.5``, ``W+0.5`` or ``even`` for black's lead."""
    if abs(black_lead) < 0.05:
        return "even"
    return f"B+{black_lead:.1f}" if black_lead > 0 else f"W+{-black_lead:.1f}"


def _comment(color: int, decision: Decision) -> str:
    """Return the SGF comment of an engine move, e.g. ``zerogo: B 56.3% (1200 visits)``."""
    if decision.winrate is None:
        return ""
    side = "B" if color == BLACK else "W"
    return f"zerogo: {side} {100 * decision.winrate:.1f}% ({decision.visits} visits)"


def _winrates_from_comments(game: Game) -> dict[int, float]:
    """Return black's win rate by ply from the engine comments of a game's moves."""
    out: dict[int, float] = {}
    for ply, move in enumerate(game.moves):
        match = COMMENT.search(move.comment)
        if match is not None:
            rate = float(match.group(2)) / 100.0
            out[ply] = rate if match.group(1) == "B" else 1.0 - rate
    return out
