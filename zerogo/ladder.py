"""The yardstick: a fixed ladder of reference players with calibrated Elo.

A chained gating Elo and "0/10 against GNU Go" say nothing while a network is weak.
The ladder is a set of players that never change, each at ``--threads 1`` with a
*playout budget* (not a clock, so the ladder means the same on any machine):

    random < mcts-10 < mcts-30 < mcts-100 < mcts-300 < mcts-1000 < mcts-3000
           < mcts-10000 < gnugo-10

Their Elo is calibrated once by a round robin of neighbouring rungs
(``zerogo ladder calibrate``: every pair at most ``max_gap`` rungs apart, fitted by
maximum likelihood in ``zerogo.elo``, random = 0) and committed in
``zerogo/ladder.json``.

A network is then *placed* on it (``zerogo anchor --weights FILE --ladder``): it
plays rounds of two games (one sampled opening, both colours: a duplicate pair)
against the rung whose Elo is nearest its current estimate, the estimate is the
one-dimensional maximum-likelihood Elo with the rungs' ratings held fixed (plus
one virtual draw against each rung played, so that all-wins stays finite), and it
stops when the 95% interval is within ``target`` or the CPU budget is spent.  The
rungs' own calibration error is not added to the interval (it is in
``ladder.json``; it shifts every placed network alike).

  zerogo ladder calibrate --games 20 --max-gap 2        # once: writes zerogo/ladder.json
  zerogo ladder place --weights NET.pt --visits 200     # ~10 CPU-minutes for +-100
  zerogo anchor --run-dir campaign/9x9/kata --ladder    # the run's best network
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zerogo.elo import ELO_SCALE
from zerogo.pipeline import cpu_now

LADDER_FILE = Path(__file__).parent / "ladder.json"
PLAYOUTS = (10, 30, 100, 300, 1000, 3000, 10000)
GNUGO_10 = "/usr/games/gnugo --mode gtp --level 10 --chinese-rules"
Z95 = 1.959964


def rung_entrants(seed: int = 0) -> list[Any]:
    """Return the ladder's players, weakest first, as league entrants."""
    from zerogo.league import Entrant, mcts_entrant, random_entrant

    rungs = [random_entrant(seed)]
    rungs += [mcts_entrant(n, threads=1, seed=seed) for n in PLAYOUTS]
    rungs.append(Entrant("gnugo-10", "gtp", GNUGO_10, 0.0, "GNU Go 3.8 level 10, Chinese rules"))
    return rungs


@dataclass(frozen=True)
class Ladder:
    """The calibrated rungs: ``elo[name]`` with 95% intervals, and how to start each."""

    size: int
    komi: float
    elo: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    commands: dict[str, str]
    calibration: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path = LADDER_FILE) -> Ladder:
        data = json.loads(Path(path).read_text())
        rungs = data["rungs"]
        return cls(
            size=int(data["size"]),
            komi=float(data["komi"]),
            elo={r["name"]: float(r["elo"]) for r in rungs},
            low={r["name"]: float(r["low"]) for r in rungs},
            high={r["name"]: float(r["high"]) for r in rungs},
            commands={r["name"]: r["command"] for r in rungs},
            calibration=data.get("calibration", {}),
        )

    def command(self, name: str) -> str:
        """The GTP command of rung ``name`` with this interpreter (``python -m zerogo``)."""
        return self.commands[name].replace("{python}", sys.executable)


def write_ladder(report: dict[str, Any], entrants: Sequence[Any], path: Path, info: dict) -> None:
    """Write ``ladder.json`` from a league report (``zerogo.league.report``)."""
    ratings = {r["name"]: r for r in report["ratings"]}
    rungs = [
        {
            "name": e.name,
            "command": e.command.replace(sys.executable, "{python}"),
            **{k: ratings[e.name][k] for k in ("elo", "low", "high", "games")},
        }
        for e in entrants
    ]
    data = {
        "size": report["size"],
        "komi": report["komi"],
        "anchor": report["anchor"],
        "rungs": rungs,
        "calibration": info,
    }
    path.write_text(json.dumps(data, indent=1) + "\n")


# -- placement -------------------------------------------------------------------
@dataclass
class RungResult:
    """Games of the placed player against one rung (its wins, draws, games)."""

    rung: str
    wins: int = 0
    draws: int = 0
    games: int = 0


def _expected(x: float, other: float) -> float:
    return 1.0 / (1.0 + 10.0 ** (-(x - other) / 400.0))


def estimate(
    results: Sequence[RungResult], elo: dict[str, float], prior_draws: float = 1.0
) -> tuple[float, float, float]:
    """Return the maximum-likelihood Elo and its 95% interval, the rungs held fixed.

    Each rung played gets ``prior_draws`` virtual draws, so that a player that won
    (or lost) every game still gets a finite estimate, pulled toward the rungs.

    Raises:
        ValueError: without any game.
    """
    played = [r for r in results if r.games > 0]
    if not played:
        raise ValueError("no games to estimate from")
    data = [
        (elo[r.rung], r.wins + 0.5 * r.draws + 0.5 * prior_draws, r.games + prior_draws)
        for r in played
    ]
    x = sum(e * n for e, _, n in data) / sum(n for _, _, n in data)
    for _ in range(100):
        gradient = sum(s - n * _expected(x, e) for e, s, n in data) / ELO_SCALE
        information = sum(
            n * _expected(x, e) * (1 - _expected(x, e)) for e, _, n in data
        ) / ELO_SCALE**2
        step = gradient / max(information, 1e-12)
        step = max(-400.0, min(400.0, step))
        x += step
        if abs(step) < 1e-6:
            break
    stderr = 1.0 / math.sqrt(max(information, 1e-12))
    return x, x - Z95 * stderr, x + Z95 * stderr


def choose_rung(results: Sequence[RungResult], elo: dict[str, float], guess: float) -> str:
    """Return the rung nearest ``guess`` (the one with fewer games on a near tie)."""
    games = {r.rung: r.games for r in results}

    def key(name: str) -> tuple[float, int]:
        return (round(abs(elo[name] - guess) / 25.0), games.get(name, 0))

    return min(elo, key=key)


@dataclass
class Placement:
    """The result of placing a player on the ladder (a line of ``ladder.jsonl``)."""

    player: str
    elo: float
    low: float
    high: float
    games: int
    results: list[dict[str, Any]]
    cpu_seconds: float
    wall_seconds: float
    visits: int | None = None
    command: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        return {**data, **extra, "elo": round(self.elo, 1), "low": round(self.low, 1),
                "high": round(self.high, 1)}


def place(
    player: str,
    command: str,
    ladder: Ladder,
    target: float = 100.0,
    cpu_budget: float = 600.0,
    max_games: int = 200,
    opening_moves: int = 4,
    start: float | None = None,
    seed: int = 0,
    play_round: Callable[[str, str, int], tuple[int, int, int]] | None = None,
    log: Callable[[str], None] = print,
) -> Placement:
    """Place the GTP engine ``command`` on ``ladder`` (see the module docstring).

    Args:
        player: its name in the record.
        command: its GTP command line.
        ladder: the calibrated rungs.
        target: stop when the 95% interval's half-width is at most this (Elo).
        cpu_budget: stop after this many CPU-seconds (this process and both engines).
        max_games: stop after this many games.
        opening_moves: random plies opening each round (the same for both colours).
        start: the first guess (default: the middle rung).
        seed: seed of the openings (round k uses ``seed + k``).
        play_round: ``(rung, rung_command, seed) -> (wins, draws, games)`` of the
            player; default: two games through ``zerogo.match``.
    """
    play = play_round or (
        lambda rung, rung_command, s: _match_round(
            command, rung_command, ladder, opening_moves, s
        )
    )
    names = sorted(ladder.elo, key=ladder.elo.get)  # type: ignore[arg-type]
    guess = ladder.elo[names[len(names) // 2]] if start is None else start
    results: dict[str, RungResult] = {}
    cpu0, wall0 = cpu_now(), time.monotonic()
    elo, low, high = guess, -math.inf, math.inf
    rounds = 0
    while True:
        games = sum(r.games for r in results.values())
        spent = cpu_now() - cpu0
        if results and (high - low) / 2 <= target:
            break
        if spent >= cpu_budget or games >= max_games:
            break
        rung = choose_rung(list(results.values()), ladder.elo, guess)
        wins, draws, played = play(rung, ladder.command(rung), seed + rounds)
        rounds += 1
        result = results.setdefault(rung, RungResult(rung))
        result.wins += wins
        result.draws += draws
        result.games += played
        elo, low, high = estimate(list(results.values()), ladder.elo)
        guess = elo
        log(
            f"ladder: {player} {wins}-{played - wins - draws}-{draws} vs {rung}: "
            f"Elo {elo:.0f} [{low:.0f}, {high:.0f}] after {games + played} games, "
            f"{cpu_now() - cpu0:.0f} CPU-s"
        )
    return Placement(
        player=player,
        elo=elo,
        low=low,
        high=high,
        games=sum(r.games for r in results.values()),
        results=[asdict(r) for r in results.values()],
        cpu_seconds=round(cpu_now() - cpu0, 1),
        wall_seconds=round(time.monotonic() - wall0, 1),
        command=command,
    )


def _match_round(
    command: str, rung_command: str, ladder: Ladder, opening_moves: int, seed: int
) -> tuple[int, int, int]:
    """Two games, one opening, both colours; return the player's wins, draws, games."""
    from zerogo.match import Match, MatchConfig

    config = MatchConfig(
        engine1=command,
        engine2=rung_command,
        games=2,
        size=ladder.size,
        komi=ladder.komi,
        seed=seed,
        opening_moves=opening_moves,
        untimed_engine2=True,
    )
    with Match(config) as match:
        match.run()
        if match.error:
            raise RuntimeError(f"ladder round stopped: {match.error}")
        records = match.records
    wins = sum(1 for r in records if r.winner == "engine1")
    draws = sum(1 for r in records if r.winner is None)
    return wins, draws, len(records)


# -- command line ------------------------------------------------------------------
HELP = "the yardstick: calibrate the fixed ladder of reference players, place networks on it"
DESCRIPTION = __doc__


def add_arguments(parser: Any) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    cal = sub.add_parser("calibrate", help="round robin of neighbouring rungs -> ladder.json")
    cal.add_argument("-n", "--games", type=int, default=20, help="games per pair (20)")
    cal.add_argument("--max-gap", type=int, default=2, help="pairs at most this many rungs apart")
    cal.add_argument("--opening-moves", type=int, default=2, help="random plies per game pair")
    cal.add_argument("--parallel", type=int, default=1, help="pairs played at once (1)")
    cal.add_argument("--out-dir", default="benchmarks/ladder", help="journal, report, SGFs")
    cal.add_argument("--ladder", default=str(LADDER_FILE), help="the ladder file written")
    pl = sub.add_parser("place", help="place a network (or any GTP engine) on the ladder")
    add_place_arguments(pl)
    pl.add_argument("--weights", default=None, help="a network checkpoint (--player net)")
    pl.add_argument("--engine", default=None, help="or any GTP command line")
    pl.add_argument("--name", default=None, help="its name in the record")
    pl.add_argument("--out", default=None, help="append the JSON record to this file")


def add_place_arguments(parser: Any) -> None:
    parser.add_argument("--visits", type=int, default=200, help="network visits per move (200)")
    parser.add_argument("--target", type=float, default=100.0,
                        help="stop at this 95%% half-width in Elo (100)")
    parser.add_argument("--cpu-minutes", type=float, default=10.0,
                        help="stop after this many CPU-minutes, engines included (10)")
    parser.add_argument("--max-games", type=int, default=200, help="stop after this many games")
    parser.add_argument("--opening-moves", type=int, default=4,
                        help="random plies opening each duplicate pair of games (4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the openings")
    parser.add_argument("--ladder-file", default=str(LADDER_FILE), help="the calibrated ladder")


def network_command(weights: str | Path, visits: int) -> str:
    """The ladder's way to play a network: PUCT at fixed visits, one thread, no resigning."""
    import shlex

    return shlex.join([sys.executable, "-m", "zerogo", "gtp", "--player", "net", "--weights",
                       str(weights), "--visits", str(visits), "--threads", "1",
                       "--resign-threshold", "0"])


def place_from_args(args: Any, name: str, command: str, log: Callable[[str], None]) -> Placement:
    ladder = Ladder.load(args.ladder_file)
    return place(name, command, ladder, target=args.target, cpu_budget=60 * args.cpu_minutes,
                 max_games=args.max_games, opening_moves=args.opening_moves, seed=args.seed,
                 log=log)


def run(args: Any) -> int:
    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    if args.action == "calibrate":
        return _calibrate(args, log)
    if bool(args.weights) == bool(args.engine):
        print("zerogo ladder place: give --weights FILE or --engine COMMAND", file=sys.stderr)
        return 2
    if not Path(args.ladder_file).exists():
        print(f"zerogo ladder: no calibrated ladder at {args.ladder_file} "
              "(run zerogo ladder calibrate)", file=sys.stderr)
        return 2
    command = args.engine or network_command(args.weights, args.visits)
    name = args.name or (Path(args.weights).stem if args.weights else "engine")
    placement = place_from_args(args, name, command, log)
    placement.visits = args.visits if args.weights else None
    record = placement.to_json()
    line = json.dumps(record)
    print(line)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    return 0


def _calibrate(args: Any, log: Callable[[str], None]) -> int:
    import subprocess

    from zerogo.league import League, LeagueConfig

    entrants = rung_entrants()
    config = LeagueConfig(games=args.games, opening_moves=args.opening_moves,
                          max_gap=args.max_gap, anchor="random")
    league = League(entrants, config, out_dir=args.out_dir, sgf=True, log=log)
    cpu0 = cpu_now()
    league.play(parallel=args.parallel)
    data = league.report()
    league.write(data)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    info = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "commit": commit,
        "games_per_pair": args.games,
        "max_gap": args.max_gap,
        "pairs": len(league.pairs()),
        "games": data["games_total"],
        "cpu_seconds_this_call": round(cpu_now() - cpu0, 1),
        "journal": str(Path(args.out_dir) / "pairs.jsonl"),
    }
    write_ladder(data, entrants, Path(args.ladder), info)
    log(f"ladder written to {args.ladder}")
    for rating in data["ratings"]:
        low, high = rating["low"], rating["high"]
        log(f"  {rating['name']:>11}: {rating['elo']:7.1f} [{low:.0f}, {high:.0f}]")
    return 0
