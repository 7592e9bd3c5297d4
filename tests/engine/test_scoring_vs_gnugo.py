"""Dead-stone scoring agrees with GNU Go's ``final_score`` on finished games.

``tests/data/scoring_games`` holds 100 finished 9x9 games (two passes) made by
``scripts/make_scoring_games.py``: GNU Go at mixed levels against itself and against
the pure-MCTS player, after random openings; each file's RE is GNU Go's own verdict
(``--chinese-rules``).  A sample is re-checked against a live GNU Go so the stored
verdicts cannot drift from the real referee.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import coords
from engine.scoring import final_position
from engine.sgf import load_sgf_file
from zerogo.gtp_client import GNUGO, GtpClient, gnugo_command

GAMES = sorted((Path(__file__).parent.parent / "data" / "scoring_games").glob("*.sgf"))


def test_there_are_100_finished_games() -> None:
    assert len(GAMES) == 100
    for path in GAMES:
        game = load_sgf_file(path)
        assert game.board.passes >= 2, path.name
        assert game.result is not None, path.name


def test_final_score_agrees_with_gnugo_on_95_percent() -> None:
    agree = 0
    disagreements = []
    for path in GAMES:
        game = load_sgf_file(path)
        expected = game.result
        assert expected is not None
        ours = final_position(game, seed=1).result()
        if ours.winner == expected.winner:
            agree += 1
        else:
            disagreements.append(f"{path.name}: ours {ours.sgf()} gnugo {expected.sgf()}")
    print(f"agreement with GNU Go: {agree}/{len(GAMES)}")
    for line in disagreements:
        print("  ", line)
    assert agree >= 95, disagreements


def test_stored_verdicts_match_a_live_gnugo() -> None:
    assert Path(GNUGO).exists(), "GNU Go is required: apt-get install -y gnugo"
    with GtpClient(gnugo_command(level=10)) as gnugo:
        for path in GAMES[::10]:
            game = load_sgf_file(path)
            gnugo.send(f"boardsize {game.size}")
            gnugo.send("clear_board")
            gnugo.send(f"komi {game.komi}")
            for move in game.moves:
                vertex = coords.to_gtp(move.action, game.size)
                gnugo.send(f"play {'bw'[move.color - 1]} {vertex}")
            verdict = gnugo.send("final_score", timeout=60)
            assert game.result is not None
            assert verdict == game.result.sgf(), path.name


@pytest.mark.parametrize("path", GAMES[:5], ids=lambda p: p.name)
def test_final_score_is_deterministic(path: Path) -> None:
    game = load_sgf_file(path)
    assert final_position(game, seed=3).score == final_position(game, seed=3).score
