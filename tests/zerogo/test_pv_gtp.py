"""The predicted PV over GTP (zerogo.gtp_pv): its commands, GoGui entries, and its absence
from the analysis lines.

Most tests run ``GtpEngine`` with a fake predictor that records its calls and answers a
line no search here would find (J9 J8 J7 J6 J5); one runs ``zerogo gtp --pv-model``
(in process) with a tiny real model.
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from engine.board import BLACK, WHITE
from engine.game import Game
from engine.random_player import RandomPlayer
from tests.conftest import vertex
from tests.zerogo.test_gtp_analysis import FakeAnalyzer, wait_for
from tests.zerogo.test_pv_model import tiny
from zerogo import gtp
from zerogo.gtp import GtpEngine
from zerogo.pv_model import PredictedPV as Line
from zerogo.pv_model import PVModel, replays_legally, save_pv_model

LINE = "J9 J8 J7 J6 J5"


@dataclass
class FakePredictor:
    size: int = 9
    calls: list[tuple[int, int | None]] = field(default_factory=list)

    def predict(self, game: Game, color: int | None = None) -> Line:
        self.calls.append((len(game.moves), color))
        moves = [vertex(name, 9) for name in LINE.split()]
        return Line(color or game.to_move, moves, [0.4, 0.3, 0.2, 0.1, 0.05])


def test_commands_answer_the_predicted_line() -> None:
    predictor = FakePredictor()
    engine = GtpEngine(RandomPlayer(seed=1), 9, pv_predictor=predictor)
    listed = (engine.execute(b"list_commands") or b"").decode().split()
    assert {"zerogo-predict_pv", "zerogo-gfx_predict_pv", "gogui-analyze_commands"} <= set(listed)
    assert engine.execute(b"known_command zerogo-predict_pv") == b"= true\n\n"
    assert engine.execute(b"1 zerogo-predict_pv") == f"=1 {LINE}\n\n".encode()
    engine.execute(b"play b E5")
    assert engine.execute(b"zerogo-predict_pv b") == f"= {LINE}\n\n".encode()
    assert predictor.calls == [(0, BLACK), (1, BLACK)]
    gfx = (engine.execute(b"zerogo-gfx_predict_pv") or b"").decode()  # white to move
    assert gfx.startswith("= VAR w J9 b J8 w J7 b J6 w J5\nTEXT predicted PV for white ")
    assert "no search" in gfx and "J9 first (40%)" in gfx
    assert engine.execute(b"zerogo-predict_pv b extra").startswith(b"? syntax error")
    assert engine.execute(b"zerogo-predict_pv purple").startswith(b"? ")
    engine.execute(b"boardsize 7")
    answer = engine.execute(b"zerogo-predict_pv")
    assert answer == b"? the PV model is for 9x9 boards, not 7x7\n\n"


def test_gogui_lists_the_displays_of_whatever_is_loaded() -> None:
    entries = (GtpEngine(FakeAnalyzer(), 9, pv_predictor=FakePredictor())
               .execute(b"gogui-analyze_commands") or b"").decode()  # fmt: skip
    assert "gfx/zerogo: best moves/zerogo-gfx_candidates %m" in entries
    assert "gfx/zerogo: predicted PV (model, no search)/zerogo-gfx_predict_pv %m" in entries
    alone = GtpEngine(RandomPlayer(seed=1), 9, pv_predictor=FakePredictor())
    assert "predict_pv" in (alone.execute(b"gogui-analyze_commands") or b"").decode()
    without = GtpEngine(FakeAnalyzer(), 9)
    assert b"predict_pv" not in (without.execute(b"gogui-analyze_commands") or b"")
    assert without.execute(b"zerogo-predict_pv") == b"? unknown command\n\n"


@pytest.mark.parametrize("command", [b"lz-analyze b 2", b"kata-analyze w 2 ownership true"])
def test_analysis_lines_never_carry_the_prediction(command: bytes) -> None:
    predictor = FakePredictor()
    player = FakeAnalyzer()
    engine = GtpEngine(player, 9, pv_predictor=predictor)
    assert engine.execute(b"7 " + command) == b"=7\n"
    wait_for(lambda: engine._pending.count(b"info move") >= 2)
    out = (engine.execute(b"name") or b"").decode()
    info = [line for line in out.split("\n") if line.startswith("info")]
    assert info and all(" pv " in line for line in info)
    assert "J9 J8" not in out
    out = (engine.execute(b"lz-genmove_analyze b 2") or b"").decode()
    assert "info move" in out and "J9 J8" not in out
    assert predictor.calls == []  # no analysis command even asks the model


def test_gtp_loads_a_model_file_and_refuses_a_bad_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``zerogo gtp --pv-model FILE`` in process: its run() on stdin/stdout stand-ins
    path = save_pv_model(tmp_path / "pv.pt", PVModel(tiny("gru", size=9)))
    parser = argparse.ArgumentParser()
    gtp.add_arguments(parser)
    script = b"play b E5\nzerogo-predict_pv\nquit\n"
    output = io.BytesIO()
    stdin, stdout = io.TextIOWrapper(io.BytesIO(script)), io.TextIOWrapper(output)
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", stdout)  # kept alive here: its close closes output
    args = parser.parse_args(["--player", "random", "--pv-model", str(path)])
    assert gtp.run(args) == 0
    answers = output.getvalue().decode().split("\n\n")
    assert answers[0] == "= " and answers[1].startswith("= ")
    moves = [vertex(name, 9) for name in answers[1][2:].split()]
    game = Game(9)
    game.play(vertex("E5", 9))
    assert 1 <= len(moves) <= 6 and replays_legally(game.board, WHITE, moves)
    bad = tmp_path / "bad.pt"
    bad.write_text("not a model")
    assert gtp.run(parser.parse_args(["--player", "random", "--pv-model", str(bad)])) == 2
    missing = parser.parse_args(["--player", "random", "--pv-model", str(tmp_path / "no.pt")])
    assert gtp.run(missing) == 2
