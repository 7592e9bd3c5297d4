"""The predicted principal variation over GTP: a model's guess, kept apart from search.

``zerogo gtp --pv-model FILE`` loads a PV model (``zerogo.pv_model``: a board encoder
and a sequence decoder trained on the PVs of 400-visit searches) and adds:

* ``zerogo-predict_pv [COLOR]``: the predicted line for COLOR (default: the colour to
  move), as vertices, COLOR first, colours alternating; e.g. ``= E5 D4 C3 pass``.
  Empty when the model predicts no move.
* ``zerogo-gfx_predict_pv [COLOR]``: the same line for GoGui's analyze menu (a
  ``gfx`` display): ``VAR b E5 w D4 ...`` and a ``TEXT`` that says it is predicted,
  not searched, with the model's probability of the first move.
* entries for both in ``gogui-analyze_commands``.

The prediction never runs a search and never reaches the analysis commands: the
``info`` lines of ``lz-analyze``/``kata-analyze`` carry only searched variations
(``zerogo.gtp_analysis``); the tests check that the predictor is not even called by
them.  Start reading at ``PVCommands``.
"""

from __future__ import annotations

from typing import Protocol

from engine import coords
from engine.board import BLACK, color_name
from engine.game import Game
from zerogo.gtp_protocol import GtpFailure, Handler, parse_color_arg


class PredictedLine(Protocol):
    """What a predictor returns (``zerogo.pv_model.PredictedPV``)."""

    @property
    def moves(self) -> list[int]:
        """Flat actions, the asked colour first."""

    @property
    def probabilities(self) -> list[float]:
        """The model's probability of each move."""


class Predictor(Protocol):
    """A PV model behind the commands (``zerogo.pv_model.PVPredictor``)."""

    @property
    def size(self) -> int:
        """The board size the model was trained for."""

    def predict(self, game: Game, color: int | None = None) -> PredictedLine:
        """Return the predicted line of ``game``'s position for ``color``."""


class PVHost(Protocol):
    """What the PV commands use of the engine (``zerogo.gtp.GtpEngine``)."""

    @property
    def game(self) -> Game:
        """The game record."""


class PVCommands:
    """The predicted-PV commands of one engine.

    Args:
        host: the engine whose game the commands read.
        predictor: the PV model.
    """

    def __init__(self, host: PVHost, predictor: Predictor) -> None:
        self.host = host
        self.predictor = predictor

    def commands(self) -> dict[str, Handler]:
        """Return the commands to register, by name."""
        return {
            "zerogo-predict_pv": self.predict_pv,
            "zerogo-gfx_predict_pv": self.gfx_predict_pv,
        }

    def gogui_entries(self) -> list[str]:
        """Return the lines these commands add to ``gogui-analyze_commands``."""
        return [
            "gfx/zerogo: predicted PV (model, no search)/zerogo-gfx_predict_pv %m",
            "string/zerogo: predicted PV as text/zerogo-predict_pv %m",
        ]

    def _predict(self, args: list[str], usage: str) -> tuple[int, PredictedLine]:
        if len(args) > 1:
            raise GtpFailure(f"syntax error: usage {usage} [COLOR]")
        game = self.host.game
        color = parse_color_arg(args[0]) if args else game.to_move
        if game.size != self.predictor.size:
            raise GtpFailure(
                f"the PV model is for {self.predictor.size}x{self.predictor.size} "
                f"boards, not {game.size}x{game.size}"
            )
        return color, self.predictor.predict(game, color)

    def predict_pv(self, args: list[str]) -> str:
        """``zerogo-predict_pv [COLOR]``: the predicted line as vertices."""
        _, line = self._predict(args, "zerogo-predict_pv")
        size = self.host.game.size
        return " ".join(coords.to_gtp(a, size) for a in line.moves)

    def gfx_predict_pv(self, args: list[str]) -> str:
        """``zerogo-gfx_predict_pv [COLOR]``: the predicted line as a GoGui VAR."""
        color, line = self._predict(args, "zerogo-gfx_predict_pv")
        size = self.host.game.size
        if not line.moves:
            return "TEXT predicted PV (model, no search): no move"
        colors = "bw" if color == BLACK else "wb"
        var = " ".join(
            f"{colors[i % 2]} {coords.to_gtp(a, size)}" for i, a in enumerate(line.moves)
        )
        first = coords.to_gtp(line.moves[0], size)
        return "\n".join(
            [
                f"VAR {var}",
                f"TEXT predicted PV for {color_name(color)} (model, no search): {first} first "
                f"({100 * line.probabilities[0]:.0f}%), {len(line.moves)} moves",
            ]
        )


__all__ = ["PVCommands", "PVHost", "PredictedLine", "Predictor"]
