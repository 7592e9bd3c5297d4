"""``zerogo score``: score a game record by area, with dead stones estimated."""

from __future__ import annotations

import argparse
import json
import sys

HELP = "score an SGF game by area, with dead stones estimated"
DESCRIPTION = """Load an SGF game, estimate its dead stones and score it by Tromp-Taylor area.

  zerogo score game.sgf
  zerogo score game.sgf --json

Exit status 2 when the file cannot be read or is not a valid game record.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sgf", help="the SGF file")
    parser.add_argument("--playouts", type=int, default=600, help="playouts of the estimate")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from engine import coords
    from engine.scoring import final_position
    from engine.sgf import SgfError, load_sgf_file

    try:
        game = load_sgf_file(args.sgf)
    except FileNotFoundError:
        print(f"zerogo score: no such file: {args.sgf}", file=sys.stderr)
        return 2
    except (SgfError, OSError) as exc:
        print(f"zerogo score: {args.sgf}: {exc}", file=sys.stderr)
        return 2
    final = final_position(game, playouts=args.playouts)
    size = game.size
    dead = [coords.to_gtp(a, size) for a in final.dead]
    result = {
        "result": final.result().sgf(),
        "score": final.score,
        "komi": game.komi,
        "moves": len(game.moves),
        "dead": dead,
        "seki": [coords.to_gtp(a, size) for a in final.seki],
        "recorded_result": game.result.sgf() if game.result else None,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(game.board.diagram(game.last_move.action if game.last_move else None))
    print(f"result {result['result']} (area scoring, komi {game.komi:g})")
    print(f"dead stones: {' '.join(dead) if dead else 'none'}")
    if result["recorded_result"]:
        print(f"recorded result: {result['recorded_result']}")
    return 0
