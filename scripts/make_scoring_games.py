"""Generate finished 9x9 games for the dead-stone scoring cross-check.

Games are played to two passes between GNU Go at various levels (and against
zerogo's pure-MCTS player at a small budget), after a few random opening moves so
that the positions differ.  Each game is saved as SGF with GNU Go's own verdict
(``final_score`` under Chinese rules) as its RE property.

    python scripts/make_scoring_games.py --out tests/data/scoring_games -n 100
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from engine import coords
from engine.game import Game
from engine.mcts import MCTSConfig, MCTSPlayer
from engine.player import RESIGN, Budget
from engine.sgf import parse_result, save_sgf
from zerogo.gtp_client import GtpClient, gnugo_command


def play_one(
    index: int, rng: random.Random, referee: GtpClient, mcts: MCTSPlayer, size: int
) -> tuple[Game, dict[int, str]] | None:
    """Play one game to two passes; return it with the players' names, or None if
    somebody resigned."""
    game = Game(size, 7.5)
    black_level, white_level = rng.randint(1, 10), rng.randint(1, 10)
    use_mcts = index % 3 == 2
    engines = {}
    for color, level in ((1, black_level), (2, white_level)):
        engines[color] = GtpClient(gnugo_command(level))
        engines[color].send(f"boardsize {size}")
        engines[color].send("komi 7.5")
    mcts.reset()
    mcts_color = rng.choice((1, 2)) if use_mcts else 0
    try:
        for _ in range(rng.randint(2, 8)):  # random opening
            legal = [a for a in range(size * size) if game.board.is_legal(a)]
            action = rng.choice(legal)
            color = game.to_move
            game.play(action)
            for engine in engines.values():
                engine.send(f"play {'bw'[color - 1]} {coords.to_gtp(action, size)}")
        while not game.is_over and len(game.moves) < 3 * size * size:
            color = game.to_move
            if color == mcts_color:
                decision = mcts.genmove(game, color)
                if decision.action == RESIGN:
                    return None
                action = decision.action
            else:
                answer = engines[color].send(f"genmove {'bw'[color - 1]}")
                if answer.lower() == "resign":
                    return None
                action = coords.from_gtp(answer, size)
                engines[3 - color].send(f"play {'bw'[color - 1]} {answer}")
            if color == mcts_color:
                for engine in engines.values():
                    engine.send(f"play {'bw'[color - 1]} {coords.to_gtp(action, size)}")
            game.play(action, color)
    finally:
        for engine in engines.values():
            engine.close()
    if not game.is_over:
        return None
    referee.send("clear_board")
    referee.send(f"boardsize {size}")
    referee.send("komi 7.5")
    for move in game.moves:
        referee.send(f"play {'bw'[move.color - 1]} {coords.to_gtp(move.action, size)}")
    game.result = parse_result(referee.send("final_score"))
    names = {1: f"gnugo-{black_level}", 2: f"gnugo-{white_level}"}
    if mcts_color:
        names[mcts_color] = "zerogo-mcts-1500"
    return game, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="tests/data/scoring_games")
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--size", type=int, default=9)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    mcts = MCTSPlayer(MCTSConfig(threads=1, seed=args.seed), Budget(playouts=1500))
    referee = GtpClient(gnugo_command(10))
    saved = 0
    index = 0
    while saved < args.n:
        played = play_one(index, rng, referee, mcts, args.size)
        index += 1
        if played is None or played[0].result is None:
            continue
        game, names = played
        data = save_sgf(
            game,
            player_black=names[1],
            player_white=names[2],
            comment="RE is GNU Go's final_score (--chinese-rules, level 10)",
        )
        (out / f"game_{saved:03d}.sgf").write_bytes(data)
        saved += 1
        print(f"{saved}/{args.n} moves={len(game.moves)} gnugo={game.result.sgf()}", flush=True)
    referee.close()


if __name__ == "__main__":
    main()
