"""``zerogo league``: a round robin of GTP players, rated by maximum-likelihood Elo.

The league measures what each way of learning Go is worth: the random player,
pure MCTS at a fixed playout budget, the RL baselines (policy gradient, DQN;
``trainer.baselines``) and AlphaGo Zero networks (the best promoted network of a
run directory of ``zerogo train``, under PUCT at a fixed visit budget) play every
other entrant ``games`` times, colours alternating, through the GTP match runner
(``zerogo.match.Match``: every engine is a ``python -m zerogo gtp --player X``
process; any other GTP command can join with ``--engine NAME=COMMAND``).  The
results of all pairs are fitted at once by Bradley-Terry maximum likelihood
(``zerogo.elo``), anchored at the random player (Elo 0) with 95% intervals.

Equal training compute: each learned entrant is shown with the CPU-seconds its
training took, so that agents are compared at the same budget (train the
baselines with ``zerogo baseline pg|dqn --max-cpu-seconds S``; see
``scripts/league.sh``):

* PG and DQN checkpoints record their training process's CPU time
  (``cpu_seconds`` in their metadata);
* an AlphaGo Zero network's cost is estimated from its run directory: the
  seconds of the self-play phases (``selfplay.jsonl``) and of the training and
  gating phases (from each promotion's time stamp in ``history.jsonl`` back to
  the self-play record before it), up to its promotion, times the cores the run
  used (``workers * threads``); an interrupted phase is missing from the logs, so
  this is a lower bound;
* random and MCTS learn nothing (their cost is at play time: playouts per move);
* ``--compute NAME=SECONDS`` sets or overrides any entrant's figure.

Outputs in ``--out-dir``: ``pairs.jsonl`` (one line per finished pair; a rerun
with the same settings resumes from it), ``league.json`` (entrants, pairs,
ratings), ``league.md`` (the table in Markdown, for BENCHMARKS.md),
``league.png`` (ratings with their intervals) and, with ``--sgf``, one SGF folder
per pair.  Start reading at ``League.play`` and ``report``.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from zerogo.pipeline import read_jsonl

HELP = "round robin of random, MCTS, the RL baselines and AlphaGo Zero networks; ML Elo"
DESCRIPTION = """Play a round robin through GTP and rate the players by maximum-likelihood Elo.

  zerogo league --size 9 --games 20 --mcts-playouts 400 \\
      --pg runs/baselines/pg9.pt --dqn runs/baselines/dqn9.pt \\
      --run-dir runs/9x9-main --net-visits 200 --out-dir runs/league9
  zerogo league --size 5 --komi 0.5 --games 2 --mcts-playouts 20 --pg pg5.pt \\
      --out-dir /tmp/league5

Every pair plays --games games (colours alternating, a random opening of
--opening-moves plies shared by each two games).  Ratings: Bradley-Terry maximum
likelihood over all pairs, random = 0, 95% intervals from the Fisher information.
Writes league.json, league.md (a Markdown table) and league.png to --out-dir;
pairs.jsonl lets an interrupted league resume.
"""

DEFAULT_ANCHOR = "random"
KINDS = ("random", "mcts", "pg", "dqn", "net", "gtp")


# -- entrants -------------------------------------------------------------------
@dataclass(frozen=True)
class Entrant:
    """One player of the league.

    Attributes:
        name: its label in tables (unique in a league).
        kind: one of ``KINDS``.
        command: the GTP command line that plays it.
        training_cpu_seconds: CPU-seconds its training took (0 for players that
            learn nothing; None where unknown).
        detail: its settings and where the compute figure comes from.

    Raises:
        ValueError: for an empty name or command, or an unknown kind.
    """

    name: str
    kind: str
    command: str
    training_cpu_seconds: float | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        if not self.name.strip() or not self.command.strip():
            raise ValueError("an entrant needs a name and a command line")
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r} (known: {', '.join(KINDS)})")


NO_RESIGN = ("--resign-threshold", "0")
"""The searching entrants play every game out: a value head learned in self-play judges
positions as against itself, so against a weak player it resigns games it would win
(measured: a 7x7 network resigned 4 of 10 games to the random player)."""


def zerogo_gtp(*flags: str) -> str:
    """Return the command line of ``python -m zerogo gtp FLAGS`` with this interpreter."""
    return shlex.join([sys.executable, "-m", "zerogo", "gtp", *flags])


def random_entrant(seed: int = 0) -> Entrant:
    """Return the uniform random player (it never fills its own one-point eyes)."""
    return Entrant("random", "random", zerogo_gtp("--player", "random", "--seed", str(seed)),
                   0.0, "uniform legal moves, never filling its own eyes")


def mcts_entrant(playouts: int, threads: int = 1, seed: int = 0) -> Entrant:
    """Return pure MCTS (UCT-RAVE, heavy playouts) at ``playouts`` per move.

    Raises:
        ValueError: for fewer than one playout.
    """
    if playouts < 1:
        raise ValueError(f"playouts must be at least 1, not {playouts}")
    command = zerogo_gtp("--player", "mcts", "--playouts", str(playouts),
                         "--threads", str(threads), "--seed", str(seed), *NO_RESIGN)
    return Entrant(f"mcts-{playouts}", "mcts", command, 0.0,
                   f"pure MCTS, {playouts} playouts/move, no training")


def pg_entrant(path: str | Path, name: str = "pg") -> Entrant:
    """Return the policy-gradient player of a ``zerogo baseline pg`` checkpoint.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if it is not a zerogo checkpoint.
    """
    from nn.checkpoint import read_checkpoint

    metadata = read_checkpoint(path).metadata
    detail = _baseline_detail("REINFORCE", metadata, "iterations")
    return Entrant(name, "pg", zerogo_gtp("--player", "pg", "--weights", str(path)),
                   _cpu_of(metadata), detail)


def dqn_entrant(path: str | Path, name: str = "dqn") -> Entrant:
    """Return the DQN player of a ``zerogo baseline dqn`` checkpoint.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if it is not a Q-network checkpoint.
    """
    from trainer.baselines.q_net import load_q_checkpoint

    _, _, metadata = load_q_checkpoint(path)
    detail = _baseline_detail("DQN", metadata, "updates")
    return Entrant(name, "dqn", zerogo_gtp("--player", "dqn", "--weights", str(path)),
                   _cpu_of(metadata), detail)


def net_entrant(
    path: str | Path,
    visits: int,
    name: str | None = None,
    training_cpu_seconds: float | None = None,
    detail: str = "",
    threads: int = 1,
) -> Entrant:
    """Return an AlphaGo Zero network under PUCT search at ``visits`` per move.

    Raises:
        ValueError: for fewer than one visit.
    """
    if visits < 1:
        raise ValueError(f"visits must be at least 1, not {visits}")
    command = zerogo_gtp("--player", "net", "--weights", str(path), "--visits", str(visits),
                         "--threads", str(threads), *NO_RESIGN)
    label = name or f"az-{Path(path).stem}"
    text = f"AlphaGo Zero net {Path(path).stem}, PUCT {visits} visits/move"
    return Entrant(label, "net", command, training_cpu_seconds,
                   f"{text}; {detail}" if detail else text)


def best_network(run_dir: str | Path) -> tuple[str, Path]:
    """Return the name and file of the best promoted network of a ``zerogo train`` run.

    Raises:
        ValueError: if ``run_dir`` has no ``state.json`` or its best network file is missing.
    """
    run = Path(run_dir)
    state = run / "state.json"
    if not state.is_file():
        raise ValueError(f"{run} is not a run directory of zerogo train (no state.json)")
    name = str(json.loads(state.read_text())["best"])
    path = run / "networks" / f"{name}.pt"
    if not path.is_file():
        raise ValueError(f"the best network {name} of {run} is missing ({path})")
    return name, path


def network_training_seconds(run_dir: str | Path, network: str) -> tuple[float | None, str]:
    """Estimate the core-seconds a run spent to produce ``network`` (see the module docstring).

    Returns:
        ``(seconds, how)``: the estimate (0 for the initial network, None when the
        run's logs do not say) and how it was obtained.
    """
    run = Path(run_dir)
    history = read_jsonl(run / "history.jsonl")
    promoted = [r for r in history if r.get("promoted") and r.get("network") == network]
    if not promoted:
        if network == "gen-0000":
            return 0.0, "the random initial network"
        return None, f"{network} is not in {run}/history.jsonl"
    until = float(promoted[0]["time"])
    cores = 1
    config_path = run / "pipeline.json"
    if config_path.is_file():
        config = json.loads(config_path.read_text())
        cores = int(config.get("workers", 1)) * int(config.get("threads", 1))
    selfplay = [r for r in read_jsonl(run / "selfplay.jsonl") if float(r["time"]) <= until]
    play = sum(float(r["seconds"]) for r in selfplay)
    train_gate = 0.0
    for record in history:
        if not record.get("promoted") or float(record["time"]) > until:
            continue
        before = [float(r["time"]) for r in selfplay if float(r["time"]) <= float(record["time"])]
        if before:
            train_gate += float(record["time"]) - max(before)
    how = (f"{cores} cores x ({play:.0f} s self-play + {train_gate:.0f} s training and gating) "
           f"from the run's logs, games trained {promoted[0].get('games_trained', '?')}")
    return cores * (play + train_gate), how


# -- the league -------------------------------------------------------------------
@dataclass(frozen=True)
class LeagueConfig:
    """How the league is played and rated; fields map onto ``zerogo league`` flags.

    Attributes:
        size: board size.
        komi: komi.
        games: games per pair (colours alternate).
        opening_moves: random plies starting each two games of a pair.
        max_moves: move cap of a game (None: ``3 * size**2``).
        seconds: per-move time limit of the match runner (None: only its hang guard).
        seed: seed of the openings and of the dead-stone estimates.
        scoring_playouts: playouts of the dead-stone estimate.
        anchor: the entrant rated 0 (the first entrant if absent).
        prior_draws: virtual draws per pair in the Elo fit (``zerogo.elo``).
        bootstrap: intervals from this many bootstrap samples of the games
            (0: from the observed Fisher information).
        max_gap: play only pairs at most this many places apart in the entrant
            order (None: every pair); a ladder of increasing strength needs no
            games between its ends.

    Raises:
        ValueError: for out-of-range values.
    """

    size: int = 9
    komi: float = 7.5
    games: int = 20
    opening_moves: int = 2
    max_moves: int | None = None
    seconds: float | None = None
    seed: int = 0
    scoring_playouts: int = 600
    anchor: str = DEFAULT_ANCHOR
    prior_draws: float = 1.0
    bootstrap: int = 0
    max_gap: int | None = None

    def __post_init__(self) -> None:
        if not 2 <= self.size <= 19:
            raise ValueError(f"size must be between 2 and 19, not {self.size}")
        if self.games < 1:
            raise ValueError(f"games must be at least 1, not {self.games}")
        if min(self.opening_moves, self.seed, self.prior_draws, self.bootstrap) < 0:
            raise ValueError("opening_moves, seed, prior_draws and bootstrap must not be negative")


@dataclass
class PairRecord:
    """The games of one pair, from the first entrant's side (a line of ``pairs.jsonl``)."""

    first: str
    second: str
    wins: int
    losses: int
    draws: int
    forfeits: dict[str, dict[str, int]]
    capped: int
    seconds_per_move: dict[str, float | None]
    commands: dict[str, str]
    size: int
    komi: float
    games: int
    seed: int
    opening_moves: int
    seconds: float = 0.0

    def matches(self, first: Entrant, second: Entrant, config: LeagueConfig, seed: int) -> bool:
        """Return whether this record is the pair ``first``-``second`` as configured."""
        return (
            (self.first, self.second) == (first.name, second.name)
            and self.commands == {first.name: first.command, second.name: second.command}
            and (self.size, self.komi, self.games) == (config.size, config.komi, config.games)
            and (self.seed, self.opening_moves) == (seed, config.opening_moves)
        )


class League:
    """A round robin among ``entrants`` (see the module docstring).

    Args:
        entrants: at least two players with unique names.
        config: how to play and rate.
        out_dir: where the journal, SGF folders and reports go (None: nowhere).
        sgf: write one SGF per game (under ``out_dir/sgf/FIRST-vs-SECOND``).
        log: where progress lines go.

    Raises:
        ValueError: for fewer than two entrants or repeated names.
    """

    def __init__(
        self,
        entrants: Sequence[Entrant],
        config: LeagueConfig,
        out_dir: str | Path | None = None,
        sgf: bool = False,
        log: Callable[[str], None] = print,
    ) -> None:
        names = [e.name for e in entrants]
        if len(entrants) < 2:
            raise ValueError("a league needs at least two entrants")
        if len(set(names)) != len(names):
            raise ValueError(f"entrant names must be unique: {names}")
        self.entrants = list(entrants)
        self.config = config
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.sgf = sgf and self.out_dir is not None
        self.log = log
        self.results: list[PairRecord] = []
        self._lock = threading.Lock()
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)

    def pairs(self) -> list[tuple[int, Entrant, Entrant]]:
        """Return ``(index, first, second)`` for every pair, in playing order."""
        out: list[tuple[int, Entrant, Entrant]] = []
        gap = self.config.max_gap
        for i, first in enumerate(self.entrants):
            for j, second in enumerate(self.entrants[i + 1 :], start=i + 1):
                if gap is None or j - i <= gap:
                    out.append((len(out), first, second))
        return out

    def play(self, parallel: int = 1) -> list[PairRecord]:
        """Play every pair not already in the journal; return all pair results.

        Args:
            parallel: pairs played at the same time (each pair runs two engines).

        Raises:
            OSError: if an engine cannot be started.
            RuntimeError: if an engine crashed and could not be restarted.
        """
        done = self._journal()
        todo = []
        for index, first, second in self.pairs():
            seed = self.config.seed + 1000 * index
            old = next((r for r in done if r.matches(first, second, self.config, seed)), None)
            if old is not None:
                self.results.append(old)
            else:
                todo.append((index, first, second, seed))
        if len(todo) < len(self.pairs()):
            self.log(f"league: {len(self.pairs()) - len(todo)} pairs resumed from the journal")
        if parallel <= 1:
            for job in todo:
                self._play_pair(*job)
        else:
            with ThreadPoolExecutor(max_workers=parallel) as pool:
                for future in [pool.submit(self._play_pair, *job) for job in todo]:
                    future.result()
        order = {(f.name, s.name): i for i, f, s in self.pairs()}
        self.results.sort(key=lambda r: order[(r.first, r.second)])
        return self.results

    def _play_pair(self, index: int, first: Entrant, second: Entrant, seed: int) -> PairRecord:
        from zerogo.match import Match, MatchConfig, summarize

        config = self.config
        sgf_dir = None
        if self.sgf:
            assert self.out_dir is not None
            sgf_dir = str(self.out_dir / "sgf" / f"{first.name}-vs-{second.name}")
        match_config = MatchConfig(
            engine1=first.command,
            engine2=second.command,
            games=config.games,
            size=config.size,
            komi=config.komi,
            seconds=config.seconds,
            sgf_dir=sgf_dir,
            max_moves=config.max_moves,
            seed=seed,
            opening_moves=config.opening_moves,
            scoring_playouts=config.scoring_playouts,
        )
        start = time.monotonic()
        with Match(match_config) as match:
            match.run()
            summary = summarize(match)
        if match.error or match.interrupted:
            raise RuntimeError(f"{first.name} vs {second.name} stopped early: "
                               f"{match.error or 'interrupted'}")
        e1, e2 = summary["engine1"], summary["engine2"]
        result = PairRecord(
            first=first.name,
            second=second.name,
            wins=e1["wins"],
            losses=e2["wins"],
            draws=summary["draws"],
            forfeits={first.name: e1["forfeits"], second.name: e2["forfeits"]},
            capped=summary["capped"],
            seconds_per_move={first.name: e1["seconds_per_move"],
                              second.name: e2["seconds_per_move"]},
            commands={first.name: first.command, second.name: second.command},
            size=config.size,
            komi=config.komi,
            games=config.games,
            seed=seed,
            opening_moves=config.opening_moves,
            seconds=round(time.monotonic() - start, 2),
        )
        with self._lock:
            self.results.append(result)
            if self.out_dir is not None:
                with (self.out_dir / "pairs.jsonl").open("a") as journal:
                    journal.write(json.dumps(asdict(result)) + "\n")
            self.log(f"league: pair {index + 1}/{len(self.pairs())}: {first.name} "
                     f"{result.wins}-{result.losses}-{result.draws} {second.name} "
                     f"({result.seconds:.0f} s)")
        return result

    def _journal(self) -> list[PairRecord]:
        if self.out_dir is None:
            return []
        return [PairRecord(**record) for record in read_jsonl(self.out_dir / "pairs.jsonl")]

    def report(self) -> dict[str, Any]:
        """Return the league's JSON report: entrants, pairs, ratings (see ``report``)."""
        return report(self.entrants, self.results, self.config)

    def write(self, report_data: dict[str, Any] | None = None) -> dict[str, Path]:
        """Write ``league.json``, ``league.md`` and ``league.png`` into ``out_dir``.

        Returns:
            The paths by kind (``json``, ``markdown``, ``png``).

        Raises:
            ValueError: without an output folder.
        """
        if self.out_dir is None:
            raise ValueError("the league has no output folder")
        data = report_data if report_data is not None else self.report()
        paths = {
            "json": self.out_dir / "league.json",
            "markdown": self.out_dir / "league.md",
            "png": self.out_dir / "league.png",
        }
        paths["json"].write_text(json.dumps(data, indent=1) + "\n")
        paths["markdown"].write_text(markdown(data))
        plot(data, paths["png"])
        return paths


# -- report -----------------------------------------------------------------------
def report(
    entrants: Sequence[Entrant], results: Sequence[PairRecord], config: LeagueConfig
) -> dict[str, Any]:
    """Fit the ratings and return the JSON-ready report.

    Keys: the ``config`` fields, ``entrants`` (name, kind, command,
    training_cpu_seconds, detail), ``pairs`` (``PairRecord`` fields), ``ratings``
    (strongest first: name, elo, low, high, stderr, games, score, and the
    entrant's kind, training_cpu_seconds and detail), ``interval`` (how the
    intervals were obtained) and ``games`` (total).

    Raises:
        ValueError: if the results do not link every entrant (``zerogo.elo.fit_elo``).
    """
    from zerogo import elo

    names = [e.name for e in entrants]
    anchor = config.anchor if config.anchor in names else names[0]
    pair_results = [elo.PairResult(r.first, r.second, r.wins, r.losses, r.draws)
                    for r in results]
    fit = elo.fit_elo(names, pair_results, anchor, config.prior_draws)
    low, high = fit.low, fit.high
    interval = "95% intervals from the observed Fisher information"
    if config.bootstrap:
        low, high = elo.bootstrap_intervals(fit, pair_results, config.bootstrap, config.seed)
        interval = f"95% intervals from {config.bootstrap} bootstrap samples of the games"
    scores, games = elo.score_matrix(names, pair_results)
    by_name = {e.name: e for e in entrants}
    ratings = []
    for name in fit.ranking():
        i = names.index(name)
        entrant = by_name[name]
        played = float(games[i].sum())
        ratings.append({
            "name": name,
            "elo": round(float(fit.ratings[i]), 1),
            "low": round(float(low[i]), 1),
            "high": round(float(high[i]), 1),
            "stderr": round(float(fit.stderr[i]), 1),
            "games": int(played),
            "score": round(float(scores[i].sum()) / played, 4) if played else None,
            "kind": entrant.kind,
            "training_cpu_seconds": entrant.training_cpu_seconds,
            "detail": entrant.detail,
        })
    return {
        **asdict(config),
        "anchor": anchor,
        "entrants": [asdict(e) for e in entrants],
        "pairs": [asdict(r) for r in results],
        "ratings": ratings,
        "games_total": int(sum(r.wins + r.losses + r.draws for r in results)),
        "interval": interval,
    }


def _compute_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds == 0:
        return "0"
    return f"{seconds:,.1f}" if seconds < 10 else f"{seconds:,.0f}"


def markdown(data: dict[str, Any]) -> str:
    """Return the report as Markdown: a caption, the ratings table and the cross table."""
    size, n = data["size"], len(data["entrants"])
    prior = data["prior_draws"]
    lines = [
        f"League on {size}x{size}, komi {data['komi']:g}: round robin of {n} players, "
        f"{data['games']} games per pair ({data['games_total']} games), colours alternating, "
        f"{data['opening_moves']} random opening plies per two games.  Elo by maximum "
        f"likelihood (Bradley-Terry"
        + (f", {prior:g} virtual draw{'s' if prior != 1 else ''} per pair" if prior else "")
        + f"), {data['anchor']} = 0, {data['interval']}.  Training: CPU-seconds spent "
        "learning (the baselines' own record; for a network, its run's self-play, training "
        "and gating core-seconds).",
        "",
        "| Rank | Player | Elo | 95% interval | Games | Score | Training (CPU-s) | Settings |",
        "|---:|---|---:|---|---:|---:|---:|---|",
    ]
    for rank, r in enumerate(data["ratings"], 1):
        score = "-" if r["score"] is None else f"{100 * r['score']:.0f}%"
        lines.append(
            f"| {rank} | {r['name']} | {r['elo']:+.0f} | {r['low']:+.0f} .. {r['high']:+.0f} "
            f"| {r['games']} | {score} | {_compute_text(r['training_cpu_seconds'])} "
            f"| {r['detail']} |"
        )
    names = [r["name"] for r in data["ratings"]]
    cell: dict[tuple[str, str], str] = {}
    for p in data["pairs"]:
        cell[(p["first"], p["second"])] = f"{p['wins']}-{p['losses']}" + (
            f"-{p['draws']}" if p["draws"] else "")
        cell[(p["second"], p["first"])] = f"{p['losses']}-{p['wins']}" + (
            f"-{p['draws']}" if p["draws"] else "")
    lines += [
        "",
        "Results, row player's wins-losses(-draws) against the column player:",
        "",
        "| | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for row in names:
        lines.append(f"| {row} | " + " | ".join(
            "—" if row == col else cell.get((row, col), "") for col in names) + " |")
    forfeits = sum(
        count for p in data["pairs"] for kinds in p["forfeits"].values()
        for count in kinds.values()
    )
    capped = sum(p["capped"] for p in data["pairs"])
    lines += ["", f"Forfeits: {forfeits}; games stopped at the move cap: {capped}."]
    return "\n".join(lines) + "\n"


def print_table(data: dict[str, Any], file: Any = None) -> None:
    """Print the ratings as a rich table, then each player's settings."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file or sys.stdout)
    table = Table(title=f"zerogo league: {data['size']}x{data['size']}, komi {data['komi']:g}, "
                        f"{data['games']} games per pair, {data['anchor']} = 0")
    for column, justify in (("#", "right"), ("player", "left"), ("Elo", "right"),
                            ("95% interval", "right"), ("games", "right"), ("score", "right"),
                            ("training CPU-s", "right")):
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for rank, r in enumerate(data["ratings"], 1):
        score = "-" if r["score"] is None else f"{100 * r['score']:.0f}%"
        table.add_row(str(rank), r["name"], f"{r['elo']:+.0f}",
                      f"{r['low']:+.0f} .. {r['high']:+.0f}", str(r["games"]), score,
                      _compute_text(r["training_cpu_seconds"]))
    console.print(table)
    for r in data["ratings"]:
        console.print(f"{r['name']}: {r['detail']}", highlight=False, markup=False,
                      soft_wrap=True)


def plot(data: dict[str, Any], path: str | Path) -> Path:
    """Draw the ratings with their 95% intervals (strongest on top) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratings = list(reversed(data["ratings"]))
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.6 * len(ratings)))
    y = list(range(len(ratings)))
    elo = [r["elo"] for r in ratings]
    err = [[r["elo"] - r["low"] for r in ratings], [r["high"] - r["elo"] for r in ratings]]
    ax.errorbar(elo, y, xerr=err, fmt="o", capsize=4, color="tab:blue")
    labels = []
    for r in ratings:
        cpu = r["training_cpu_seconds"]
        extra = "" if not cpu else f"\n{_compute_text(cpu)} CPU-s training"
        labels.append(f"{r['name']}{extra}")
    ax.set_yticks(y, labels)
    ax.axvline(0.0, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xlabel(f"Elo ({data['anchor']} = 0), 95% intervals")
    ax.set_title(f"zerogo league {data['size']}x{data['size']}: {data['games']} games per pair")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


# -- command line ---------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags of ``zerogo league``."""
    board = parser.add_argument_group("games")
    board.add_argument("--size", type=int, default=9, help="board size (default 9)")
    board.add_argument("--komi", type=float, default=7.5, help="komi (default 7.5)")
    board.add_argument("-n", "--games", type=int, default=20,
                       help="games per pair, colours alternating (default 20)")
    board.add_argument("--opening-moves", type=int, default=2,
                       help="random plies starting each two games of a pair (default 2)")
    board.add_argument("--max-moves", type=int, default=None,
                       help="move cap of a game (default 3*size*size)")
    board.add_argument("--time", dest="seconds", type=float, default=None,
                       help="per-move time limit; slower moves forfeit (default: none)")
    board.add_argument("--seed", type=int, default=0, help="seed of openings and scoring")
    board.add_argument("--scoring-playouts", type=int, default=600,
                       help="playouts of the dead-stone estimate (default 600)")
    board.add_argument("--parallel", type=int, default=1,
                       help="pairs played at the same time (default 1)")
    who = parser.add_argument_group("entrants")
    who.add_argument("--no-random", action="store_true", help="leave the random player out")
    who.add_argument("--mcts-playouts", type=int, nargs="*", default=[400],
                     help="pure MCTS entrants, one per playout budget (default 400; none: "
                          "give the flag without values)")
    who.add_argument("--pg", nargs="*", default=[], metavar="PATH",
                     help="policy-gradient checkpoints (zerogo baseline pg)")
    who.add_argument("--dqn", nargs="*", default=[], metavar="PATH",
                     help="DQN checkpoints (zerogo baseline dqn)")
    who.add_argument("--run-dir", nargs="*", default=[], metavar="DIR",
                     help="zerogo train run directories: each one's best promoted network")
    who.add_argument("--net", nargs="*", default=[], metavar="PATH",
                     help="AlphaGo Zero network files played with --player net")
    who.add_argument("--net-visits", type=int, default=200,
                     help="PUCT visits per move of the network entrants (default 200)")
    who.add_argument("--engine", nargs="*", default=[], metavar="NAME=COMMAND",
                     help="any other GTP engine, e.g. 'gnugo=/usr/games/gnugo --mode gtp'")
    who.add_argument("--compute", nargs="*", default=[], metavar="NAME=SECONDS",
                     help="set an entrant's training CPU-seconds")
    rating = parser.add_argument_group("rating and output")
    rating.add_argument("--anchor", default=DEFAULT_ANCHOR,
                        help=f"the entrant rated 0 (default {DEFAULT_ANCHOR})")
    rating.add_argument("--prior-draws", type=float, default=1.0,
                        help="virtual draws per pair in the Elo fit (default 1; 0: plain MLE)")
    rating.add_argument("--bootstrap", type=int, default=0, metavar="SAMPLES",
                        help="intervals from bootstrap samples of the games (default 0: from "
                             "the Fisher information)")
    rating.add_argument("--out-dir", default=None,
                        help="folder of league.json/.md/.png and the journal (default: none)")
    rating.add_argument("--sgf", action="store_true", help="write the games as SGF")
    rating.add_argument("--json", action="store_true",
                        help="print the JSON report instead of the table")


def entrants_from_args(args: argparse.Namespace) -> list[Entrant]:
    """Return the entrants named by the flags, in the order random, mcts, pg, dqn, nets, engines.

    Raises:
        ValueError: for a bad file, run directory, ``NAME=`` value or a repeated name.
        FileNotFoundError: for a missing checkpoint.
    """
    entrants: list[Entrant] = []
    if not args.no_random:
        entrants.append(random_entrant(args.seed))
    entrants += [mcts_entrant(p, seed=args.seed) for p in args.mcts_playouts]
    entrants += [pg_entrant(p, _label("pg", p, args.pg)) for p in args.pg]
    entrants += [dqn_entrant(p, _label("dqn", p, args.dqn)) for p in args.dqn]
    for run_dir in args.run_dir:
        name, path = best_network(run_dir)
        seconds, how = network_training_seconds(run_dir, name)
        label = "az" if len(args.run_dir) == 1 else f"az-{Path(run_dir).name}"
        entrants.append(net_entrant(path, args.net_visits, f"{label}-{name}", seconds, how))
    entrants += [net_entrant(p, args.net_visits) for p in args.net]
    for text in args.engine:
        name, command = _split(text, "--engine")
        entrants.append(Entrant(name, "gtp", command, None, command))
    overrides = dict(_split(text, "--compute") for text in args.compute)
    out = []
    for entrant in entrants:
        if entrant.name in overrides:
            seconds = float(overrides.pop(entrant.name))
            entrant = Entrant(entrant.name, entrant.kind, entrant.command, seconds,
                              entrant.detail + " (compute given by --compute)")
        out.append(entrant)
    if overrides:
        raise ValueError(f"--compute names no entrant: {', '.join(overrides)}")
    return out


def run(args: argparse.Namespace) -> int:
    """Play the league named by ``args``, print and write the report; return the exit status.

    0 on success, 2 for bad flags or files, 1 when a pair could not be played.
    """
    try:
        config = LeagueConfig(
            size=args.size, komi=args.komi, games=args.games, opening_moves=args.opening_moves,
            max_moves=args.max_moves, seconds=args.seconds, seed=args.seed,
            scoring_playouts=args.scoring_playouts, anchor=args.anchor,
            prior_draws=args.prior_draws, bootstrap=args.bootstrap,
        )
        entrants = entrants_from_args(args)
        league = League(entrants, config, args.out_dir, sgf=args.sgf,
                        log=lambda text: print(text, file=sys.stderr, flush=True))
    except (ValueError, FileNotFoundError) as exc:
        print(f"zerogo league: {exc}", file=sys.stderr)
        return 2
    pairs = len(league.pairs())
    print(f"zerogo league: {len(entrants)} players, {pairs} pairs, {pairs * config.games} games "
          f"on {config.size}x{config.size}", file=sys.stderr, flush=True)
    try:
        league.play(max(1, args.parallel))
    except (OSError, RuntimeError) as exc:
        print(f"zerogo league: {exc}", file=sys.stderr)
        return 1
    data = league.report()
    if args.out_dir is not None:
        paths = league.write(data)
        print(f"zerogo league: wrote {', '.join(str(p) for p in paths.values())}",
              file=sys.stderr)
    if args.json:
        print(json.dumps(data))
    else:
        print_table(data)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``zerogo league`` with ``argv`` (default: the process arguments)."""
    parser = argparse.ArgumentParser(
        prog="zerogo league", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


# -- helpers ----------------------------------------------------------------------
def _split(text: str, flag: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise ValueError(f"{flag} takes NAME=VALUE, not {text!r}")
    return name.strip(), value.strip()


def _label(kind: str, path: str, paths: Sequence[str]) -> str:
    return kind if len(paths) == 1 else f"{kind}-{Path(path).stem}"


def _cpu_of(metadata: dict[str, Any]) -> float | None:
    value = metadata.get("cpu_seconds")
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _baseline_detail(title: str, metadata: dict[str, Any], steps: str) -> str:
    found = metadata.get("config")
    config: dict[str, Any] = found if isinstance(found, dict) else {}
    parts = [title]
    if config.get("preset"):
        parts.append(str(config["preset"]))
    if metadata.get("step") is not None:
        parts.append(f"{metadata['step']} {steps}")
    if metadata.get("games_trained") is not None:
        parts.append(f"{metadata['games_trained']} games")
    if config.get("mask_eyes"):
        parts.append("own eyes masked")
    text = ", ".join(parts)
    if metadata.get("cpu_seconds") is None:
        text += " (training CPU time not recorded)"
    return text


__all__ = [
    "DESCRIPTION",
    "HELP",
    "KINDS",
    "Entrant",
    "League",
    "LeagueConfig",
    "PairRecord",
    "add_arguments",
    "best_network",
    "dqn_entrant",
    "entrants_from_args",
    "main",
    "markdown",
    "mcts_entrant",
    "net_entrant",
    "network_training_seconds",
    "pg_entrant",
    "plot",
    "print_table",
    "random_entrant",
    "report",
    "run",
]


if __name__ == "__main__":
    sys.exit(main())
