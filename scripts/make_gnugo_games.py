"""Generate GNU Go self-play games: the training data of the supervised baseline.

AlphaGo's SL policy learned from human games; here GNU Go 3.8 (``/usr/games/gnugo``,
over GTP, Chinese rules) stands in for the humans.  One GNU Go process plays both
colours at a low level (fast), never resigning, so games are played out to two
passes and the learner sees endgames too; each game starts with a few uniformly random legal
moves so that the games differ; GNU Go's own random seed is set from ``--seed``
too, so the same command writes the same games.  The random moves are
marked — SGF comment ``random`` on their nodes, ``policy_target`` False in shards —
and the supervised learner (``trainer.baselines.supervised``) skips them.  The
result is GNU Go's ``final_score`` (dead stones removed), or a resignation.

    python scripts/make_gnugo_games.py --out data/gnugo9 --games 200 --size 9 --level 1
    python scripts/make_gnugo_games.py --out data/gnugo5.npz --format shard --size 5

GNU Go plays with positional superko, as zerogo does; a game whose record still
does not replay under zerogo's rules is dropped and replaced.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

from engine import coords
from engine.board import BLACK, IllegalMoveError
from engine.game import Game
from engine.sgf import parse_result, save_sgf
from selfplay.shards import GameRecord, write_shard
from zerogo.gtp_client import GNUGO, GtpClient, gnugo_command

RANDOM_COMMENT = "random"
"""Comment of the random opening moves (no supervised target)."""


def play_game(
    client: GtpClient,
    size: int,
    komi: float,
    random_moves: int,
    rng: np.random.Generator,
    max_moves: int | None = None,
) -> Game | None:
    """Play one game: ``random_moves`` random legal moves, then GNU Go for both colours.

    Args:
        client: a GNU Go GTP process.
        size: board size.
        komi: komi.
        random_moves: uniformly random legal (non-pass) moves at the start.
        rng: the random source of the opening.
        max_moves: stop (and score) after this many moves; default ``3 * N * N``.

    Returns:
        The game with its ``Result``, or None if GNU Go's record is illegal for
        zerogo's rules (superko).
    """
    limit = 3 * size * size if max_moves is None else max_moves
    client.send(f"boardsize {size}")
    client.send("clear_board")
    client.send(f"komi {komi}")
    client.send(f"set_random_seed {int(rng.integers(1, 2**31))}")
    game = Game(size, komi)
    try:
        for _ in range(random_moves):
            legal = np.flatnonzero(game.board.legal_mask()[:-1])
            if len(legal) == 0:
                break
            action = int(rng.choice(legal))
            client.send(f"play {'bw'[game.to_move - 1]} {coords.to_gtp(action, size)}")
            game.play(action, comment=RANDOM_COMMENT)
        while not game.is_over and len(game.moves) < limit:
            color = game.to_move
            answer = client.send(f"genmove {'bw'[color - 1]}").strip().lower()
            if answer == "resign":
                game.resign(color)
                break
            game.play(coords.from_gtp(answer, size), color)
    except IllegalMoveError:
        return None
    if game.result is None:
        game.result = parse_result(client.send("final_score"))
    return game


def generate(
    games: int,
    size: int = 9,
    komi: float = 7.5,
    level: int = 1,
    random_moves: int = 4,
    seed: int = 0,
    max_moves: int | None = None,
    verbose: bool = False,
) -> list[Game]:
    """Return ``games`` finished GNU Go self-play games (see the module docstring).

    Raises:
        FileNotFoundError: if GNU Go is not installed at ``/usr/games/gnugo``.
    """
    if not Path(GNUGO).exists():
        raise FileNotFoundError(f"GNU Go is not installed at {GNUGO}")
    rng = np.random.default_rng(seed)
    out: list[Game] = []
    start = time.monotonic()
    extra = ["--never-resign", "--positional-superko"]
    with GtpClient(gnugo_command(level, chinese=True, extra=extra)) as client:
        while len(out) < games:
            game = play_game(client, size, komi, random_moves, rng, max_moves)
            if game is None or game.result is None:
                continue
            out.append(game)
            if verbose:
                print(
                    f"{len(out)}/{games} moves={len(game.moves)} result={game.result.sgf()} "
                    f"({time.monotonic() - start:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    return out


def to_record(game: Game, game_id: int, network: str) -> GameRecord:
    """Return ``game`` as a self-play shard record (one-hot policies on GNU Go's moves)."""
    result = game.result
    assert result is not None
    moves = [move.action for move in game.moves]
    z = 0.0 if result.winner == 0 else 1.0 if result.winner == BLACK else -1.0
    score = math.nan if result.reason != "score" else z * result.margin
    return GameRecord(
        game_id=game_id,
        size=game.size,
        komi=game.komi,
        network=network,
        moves=moves,
        policies=[
            (np.array([a], dtype=np.int16), np.array([1.0], dtype=np.float32)) for a in moves
        ],
        policy_target=[move.comment != RANDOM_COMMENT for move in game.moves],
        root_values=[0.0] * len(moves),
        result=z,
        score=score,
        resigned=result.reason == "resign",
        no_resign=False,
    )


def save(games: list[Game], out: Path, fmt: str, level: int) -> list[Path]:
    """Write the games as SGF files in directory ``out`` or as one shard file ``out``.

    Returns:
        The files written.
    """
    name = f"gnugo-{level}"
    if fmt == "shard":
        return [write_shard(out, [to_record(g, i, name) for i, g in enumerate(games)])]
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, game in enumerate(games):
        path = out / f"gnugo_{i:05d}.sgf"
        path.write_bytes(save_sgf(game, name, name, comment="GNU Go self-play, random opening"))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", required=True, help="SGF directory, or the .npz shard file")
    parser.add_argument("--format", choices=("sgf", "shard"), default="sgf")
    parser.add_argument("--games", type=int, default=100)
    parser.add_argument("--size", type=int, default=9)
    parser.add_argument("--komi", type=float, default=7.5)
    parser.add_argument("--level", type=int, default=1, help="GNU Go level (0-10; default 1)")
    parser.add_argument("--random-moves", type=int, default=4, help="random opening moves")
    parser.add_argument("--max-moves", type=int, default=None, help="move cap (3*N*N)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.games < 1:
        parser.error("--games must be at least 1")
    games = generate(args.games, args.size, args.komi, args.level, args.random_moves,
                     args.seed, args.max_moves, verbose=True)
    paths = save(games, Path(args.out), args.format, args.level)
    print(f"wrote {len(games)} games to {len(paths)} file(s) under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
