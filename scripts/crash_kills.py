#!/usr/bin/env python3
"""SIGKILL the whole learning loop at random moments and check that nothing is lost.

The crash-safety figure of the trust issue (issue 10): a tiny ``zerogo train`` run
(5x5, b2c16, 16 games a generation: a generation takes seconds) is killed with
SIGKILL, its whole process group at once, ``--kills`` times (default 50), and resumed
with the same command after every kill.  The kills are aimed, in a random order, at
the four parts of a generation, each at a random moment inside it:

  selfplay   while the workers play (games in flight), after some games are
             journaled (finished, not yet in a shard), or inside a shard write
             (between the temporary file and its rename; ZEROGO_SHARD_WRITE_DELAY)
  train      while the training steps run (the phase's TensorBoard file is open)
  gate       during the gating match, after at least one of its games is journaled
  promotion  while the gating decision is recorded: decided with nothing written yet,
             after the network copy, after the history line (ZEROGO_PROMOTION_DELAY
             pauses before each step so that a kill can land between them)

The moment inside a part is drawn uniformly over the part's length as last seen in
this run (a part that ends before its moment is waited for again: a "miss").  Each
kill is classified afterwards from what is on disk.  After every kill, with the
process group dead, these invariants are checked:

  finished_games_on_disk   every game a worker reported finished (ZEROGO_FINISHED_LOG,
                           written after the game's fsync) is in a shard or journal
  no_duplicate_ids         the game ids on disk, as a list, have no duplicate
  no_missing_ids           every id seen on disk before is still there
  shards_complete          every visible shard reads whole
  decisions_once           history.jsonl names each candidate once; each gating
                           journal holds each game index once
  promotions_consistent    promotions and rejections in state.json = decisions in
                           history.jsonl = networks/gen-*.pt on disk (one decision
                           may be recorded and not yet in state.json: a kill inside
                           the promotion, which the resume completes)
  networks_load            every networks/gen-*.pt loads (nn.checkpoint) and evaluates
  counters_consistent      state.json's game counter, history's and selfplay.jsonl's
                           never exceed the games on disk, and agree with each other

Finally the run is resumed to one more generation than it has decided and must exit 0,
with the invariants holding with nothing pending.  The record (machine, commit, date,
command, seed, kills per phase and moment, each invariant's checks and violations,
every kill, failures) goes to benchmarks/crash-safety/record.json; the exit status is 1
on any violation or failure.  The test suite runs five kills through ``run_kills``
(tests/zerogo/test_pipeline.py).

The tiny run trains with ``--lr 1e-4 --gate-threshold 0.5``: a candidate is then about
as strong as the best network, so that both promotions and rejections happen (at the
default rate a 16-game candidate loses every match and nothing would be promoted).

examples:
  nice -n 10 .venv/bin/python scripts/crash_kills.py            # the 50 kills (~10 min)
  .venv/bin/python scripts/crash_kills.py --kills 5 --no-record  # a quick check
  .venv/bin/python scripts/crash_kills.py --keep /tmp/kills      # keep the run directory
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RECORD = ROOT / "benchmarks" / "crash-safety" / "record.json"
TINY = [
    "--size", "5", "--preset", "b2c16", "--games-per-generation", "16", "--min-games", "16",
    "--workers", "1", "--visits", "12", "--slots", "8", "--gate-games", "12",
    "--gate-visits", "12", "--batch-size", "32", "--dtype", "float32", "--window", "200",
    "--random-moves", "6", "--quiet",
]  # fmt: skip
"""The tiny run of tests/zerogo/test_pipeline.py (the default 32 games per shard, more
than a generation: finished games sit in journals when the kills come)."""
EVEN = ["--lr", "1e-4", "--gate-threshold", "0.5"]
"""Candidates about as strong as the best: promotions and rejections both happen."""
PHASES = ("selfplay", "train", "gate", "promotion")
MOMENTS = {
    "selfplay": ("journaled", "shard-write", "playing"),
    "train": ("steps",),
    "gate": ("match",),
    "promotion": ("decision",),
}
INVARIANTS = (
    "finished_games_on_disk",
    "no_duplicate_ids",
    "no_missing_ids",
    "shards_complete",
    "decisions_once",
    "promotions_consistent",
    "networks_load",
    "counters_consistent",
)
POLL = 0.05  # seconds between looks at the run directory


# -- what is on disk -------------------------------------------------------------------
def read_state(run_dir: Path) -> dict[str, Any]:
    """Return state.json (written atomically: always whole), or {} before it exists."""
    try:
        return dict(json.loads((run_dir / "state.json").read_text()))
    except (OSError, json.JSONDecodeError):
        return {}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file; a torn last line is left out."""
    from zerogo.pipeline import read_jsonl as read

    return read(path)


def game_ids(run_dir: Path) -> tuple[list[int], int]:
    """Return every finished game id on disk, as a list (a duplicate shows twice), and
    how many of them are only in journals (not yet compacted into a shard)."""
    from selfplay.journal import list_journals, read_journal, shard_path_for
    from selfplay.shards import list_shards, read_shard

    ids = [int(i) for p in list_shards(run_dir / "shards") for i in read_shard(p)["game_ids"]]
    journaled = [
        g.game_id
        for journal in list_journals(run_dir / "shards")
        if not shard_path_for(journal).exists()
        for g in read_journal(journal)
    ]
    return ids + journaled, len(journaled)


def reported_finished(path: Path) -> set[int]:
    """Return the ids the workers reported finished (whole lines only)."""
    if not path.exists():
        return set()
    text = path.read_text()
    lines = text.split("\n")[:-1]  # the part after the last newline may be torn
    return {int(x) for x in lines if x.strip()}


def gating_games(run_dir: Path, candidate: str | None) -> list[dict[str, Any]]:
    if not candidate:
        return []
    return read_jsonl(run_dir / "gating" / f"{candidate}.jsonl")


def match_complete(games: list[dict[str, Any]], config: Any) -> bool:
    """Whether the gating match is decided (all games, or the pipeline's SPRT)."""
    from zerogo import stats

    by_index = {g["index"]: g for g in games if "index" in g}
    if len(by_index) >= config.gate.games:
        return True
    winners = [g.get("winner_is_first") for g in by_index.values()]
    test = stats.sprt(
        winners.count(True),
        winners.count(None),
        winners.count(False),
        config.sprt_elo0,
        config.sprt_elo1,
        config.sprt_alpha,
        config.sprt_beta,
    )
    return test.decision is not None


def tmp_files(folder: Path) -> set[str]:
    return {p.name for p in folder.glob(".tmp-*")} if folder.exists() else set()


# -- processes -------------------------------------------------------------------------
def group_members(pgid: int) -> list[tuple[int, str]]:
    """Return (pid, command line) of the live processes of process group ``pgid``."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) != pgid or fields[0] == "Z":
                continue
            cmdline = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, ValueError, IndexError):
            continue
        members.append((int(entry.name), cmdline.decode(errors="replace")))
    return members


def worker_count(pid: int) -> int:
    """Return how many self-play worker processes (``multiprocessing`` spawn children)
    ``pid`` has."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0
    count = 0
    for child in children:
        try:
            count += b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
    return count


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group of ``process`` and wait until none of it is left."""
    pgid = process.pid
    deadline = time.monotonic() + 30
    while True:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if process.poll() is None:
            try:
                process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
        if not group_members(pgid) or time.monotonic() > deadline:
            return
        time.sleep(0.05)


# -- one look at the running loop ------------------------------------------------------
@dataclass
class Look:
    """What the run directory and the process group show at one moment."""

    phase: str | None
    candidate: str | None
    generation: int
    workers: int  # self-play worker processes alive
    tb_files: int  # TensorBoard event files of this process (one per training phase)
    journals: dict[str, int]  # journal name -> bytes
    shard_tmps: set[str]
    gate_games: int
    gate_complete: bool
    history_has_candidate: bool
    next_network: bool  # networks/gen-(generation+1).pt exists


class Watcher:
    """Looks at a run directory and the process group of its current process."""

    def __init__(self, run_dir: Path, config_loader: Callable[[], Any]) -> None:
        self.run_dir = run_dir
        self._config_loader = config_loader
        self._config: Any = None

    @property
    def config(self) -> Any:
        if self._config is None:
            self._config = self._config_loader()
        return self._config

    def look(self, pid: int) -> Look:
        run = self.run_dir
        state = read_state(run)
        phase, candidate = state.get("phase"), state.get("candidate")
        generation = int(state.get("generation", 0))
        workers = 0
        if phase == "selfplay":
            workers = worker_count(pid)
        tb = run / "tb"
        tb_files = sum(1 for p in tb.glob(f"events.out.tfevents.*.{pid}.*")) if tb.exists() else 0
        shards = run / "shards"
        journals = {}
        if shards.exists():
            for path in shards.glob("journal-*.games"):
                try:
                    journals[path.name] = path.stat().st_size
                except OSError:
                    continue
        games = gating_games(run, candidate) if phase == "gate" else []
        complete = bool(games) and (run / "pipeline.json").exists()
        complete = complete and match_complete(games, self.config)
        history = read_jsonl(run / "history.jsonl") if phase == "gate" else []
        return Look(
            phase=phase,
            candidate=candidate,
            generation=generation,
            workers=workers,
            tb_files=tb_files,
            journals=journals,
            shard_tmps=tmp_files(shards),
            gate_games=len({g.get("index") for g in games}),
            gate_complete=complete,
            history_has_candidate=any(r.get("candidate") == candidate for r in history),
            next_network=(run / "networks" / f"gen-{generation + 1:04d}.pt").exists(),
        )


def active(look: Look, base: Look) -> dict[str, bool]:
    """Which moments are open now, in this process (``base``: the look when the current
    phase began in it, or at its launch)."""
    selfplay = look.phase == "selfplay"
    # the gating match went on in this process (not only a decision left by a kill)
    played_here = look.phase == "gate" and look.gate_games > base.gate_games
    return {
        "playing": selfplay and look.workers > 0,
        "journaled": selfplay
        and any(size > 0 and name not in base.journals for name, size in look.journals.items()),
        "shard-write": selfplay and bool(look.shard_tmps - base.shard_tmps),
        "steps": look.phase == "train" and look.tb_files > base.tb_files,
        "match": played_here and look.gate_games > 0 and not look.gate_complete,
        "decision": played_here and look.gate_complete,
    }


def classify(run_dir: Path, last: Look, base: Look) -> tuple[str, str]:
    """Return (phase, moment) of a kill, from the disk after it and the last look before."""
    state = read_state(run_dir)
    phase = state.get("phase")
    if phase == "selfplay":
        moment = next(
            (m for m in ("shard-write", "journaled", "playing") if active(last, base)[m]),
            "between",  # before the workers start (recovering journals, plotting)
        )
        if moment == "shard-write" and not last.workers:
            moment = "recovery-write"  # the loop compacting a killed worker's journal
        return "selfplay", moment
    if phase == "train":
        return "train", "steps" if active(last, base)["steps"] else "before-steps"
    if phase == "gate":
        candidate = state.get("candidate")
        history = read_jsonl(run_dir / "history.jsonl")
        generation = int(state.get("generation", 0))
        if any(r.get("candidate") == candidate for r in history):
            return "promotion", "after-history"
        if (run_dir / "networks" / f"gen-{generation + 1:04d}.pt").exists():
            return "promotion", "after-copy"
        if last.gate_complete and last.candidate == candidate:
            return "promotion", "decided"  # nothing of the decision on disk yet
        return "gate", "match" if last.gate_games > 0 else "before-match"
    return str(phase), "startup"


# -- invariants ------------------------------------------------------------------------
@dataclass
class Checker:
    """Checks the invariants after each kill and keeps what it has seen."""

    run_dir: Path
    finished_log: Path
    seen: set[int] = field(default_factory=set)
    loaded: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (size, mtime)
    checks: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)
    journal_only: int = 0  # games found only in journals after kills, summed
    trainee_ahead: int = 0  # kills after which trainee.pt was ahead of state.json

    def check(self, final: bool = False) -> dict[str, str]:
        """Return {invariant: what is wrong} for each violated invariant ({} when all hold).

        ``final``: the run has ended cleanly, nothing may be pending."""
        problems: dict[str, str] = {}
        run = self.run_dir

        def fail(name: str, message: str) -> None:
            problems.setdefault(name, message)

        ids, only_journaled = game_ids(run)
        self.journal_only += only_journaled
        on_disk = set(ids)
        lost = reported_finished(self.finished_log) - on_disk
        if lost:
            fail("finished_games_on_disk", f"{len(lost)} reported finished, not on disk")
        duplicated = len(ids) - len(on_disk)
        if duplicated:
            fail("no_duplicate_ids", f"{duplicated} duplicated game ids")
        missing = self.seen - on_disk
        if missing:
            fail("no_missing_ids", f"{len(missing)} game ids on disk before are gone")
        self.seen |= on_disk
        self._check_shards(fail)
        state = read_state(run)
        history = read_jsonl(run / "history.jsonl")
        self._check_decisions(state, history, final, fail)
        self._check_networks(fail)
        self._check_counters(state, history, len(ids), final, fail)
        self._observe_trainee(state)
        for name in INVARIANTS:
            self.checks[name] += 1
            if name in problems:
                self.violations[name] += 1
        return problems

    def _check_shards(self, fail: Callable[[str, str], None]) -> None:
        from selfplay.shards import list_shards, read_shard

        for path in list_shards(self.run_dir / "shards"):
            try:
                arrays = read_shard(path)
                if len(arrays["game_offsets"]) != len(arrays["game_ids"]) + 1:
                    raise ValueError("offsets do not match the games")
            except Exception as error:  # noqa: BLE001 - any failure to read is the finding
                fail("shards_complete", f"{path.name}: {error!r}")

    def _check_decisions(
        self,
        state: dict[str, Any],
        history: list[dict[str, Any]],
        final: bool,
        fail: Callable[[str, str], None],
    ) -> None:
        run = self.run_dir
        candidates = [r.get("candidate") for r in history]
        if len(candidates) != len(set(candidates)):
            fail("decisions_once", f"history.jsonl names a candidate twice: {candidates}")
        for journal in sorted((run / "gating").glob("*.jsonl")):
            indices = [g.get("index") for g in read_jsonl(journal)]
            if len(indices) != len(set(indices)):
                fail("decisions_once", f"{journal.name} holds a gating game twice")
        pending = [
            r
            for r in history
            if state.get("phase") == "gate" and r.get("candidate") == state.get("candidate")
        ]
        if final and (pending or state.get("phase") != "selfplay"):
            fail("promotions_consistent", f"the finished run is in phase {state.get('phase')}")
        promotions, rejections = int(state.get("promotions", 0)), int(state.get("rejections", 0))
        promoted = [r for r in history if r.get("promoted")]
        pending_promoted = sum(1 for r in pending if r.get("promoted"))
        if len(history) != promotions + rejections + len(pending):
            fail(
                "promotions_consistent",
                f"{len(history)} decisions in history.jsonl, state.json says "
                f"{promotions} promotions + {rejections} rejections",
            )
        if len(promoted) != promotions + pending_promoted:
            fail(
                "promotions_consistent",
                f"{len(promoted)} promotions in history.jsonl, {promotions} in state.json",
            )
        generation = int(state.get("generation", 0))
        names = [r.get("network") for r in promoted]
        if names != [f"gen-{k:04d}" for k in range(1, len(promoted) + 1)]:
            fail("promotions_consistent", f"promoted networks in history: {names}")
        if generation != promotions or state.get("best") != f"gen-{generation:04d}":
            fail("promotions_consistent", f"generation {generation}, best {state.get('best')}")
        on_disk = {p.stem for p in (run / "networks").glob("gen-*.pt")}
        expected = {f"gen-{k:04d}" for k in range(generation + 1)}
        # a kill after the copy of a promotion leaves the next network in place before
        # state.json names it: the resume rewrites the same file
        allowed = set(expected)
        if state.get("phase") == "gate" and state.get("candidate") and not final:
            allowed.add(f"gen-{generation + 1:04d}")
        if not expected <= on_disk or not on_disk <= allowed:
            fail(
                "promotions_consistent",
                f"networks on disk {sorted(on_disk)}, promoted {sorted(expected)}",
            )

    def _check_networks(self, fail: Callable[[str, str], None]) -> None:
        for path in sorted((self.run_dir / "networks").glob("gen-*.pt")):
            stat = path.stat()
            key = (stat.st_size, stat.st_mtime_ns)
            if self.loaded.get(path.stem) == key:
                continue
            try:
                network_plays(path)
            except Exception as error:  # noqa: BLE001 - any failure to load is the finding
                fail("networks_load", f"{path.name}: {error!r}")
                continue
            self.loaded[path.stem] = key

    def _check_counters(
        self,
        state: dict[str, Any],
        history: list[dict[str, Any]],
        games: int,
        final: bool,
        fail: Callable[[str, str], None],
    ) -> None:
        run = self.run_dir
        if not state:
            return
        on_disk = games + int(state.get("games_offset", 0))
        counted = int(state.get("games_at_last_train", 0))
        if counted > on_disk:
            fail("counters_consistent", f"state.json counts {counted} games, {on_disk} on disk")
        trained = [int(r.get("games_trained", 0)) for r in history]
        if trained != sorted(trained) or any(t > on_disk for t in trained):
            fail("counters_consistent", f"history games_trained {trained}, {on_disk} on disk")
        rounds = [int(r.get("total_games", 0)) for r in read_jsonl(run / "selfplay.jsonl")]
        if any(t > on_disk for t in rounds):
            fail("counters_consistent", f"selfplay.jsonl counts {max(rounds)}, {on_disk} on disk")
        phase, candidate = state.get("phase"), state.get("candidate")
        last = trained[-1] if trained else 0
        pending = phase == "gate" and any(r.get("candidate") == candidate for r in history)
        if (phase in ("selfplay", "train") or pending) and counted != last:
            fail("counters_consistent", f"state.json {counted} games, last decision {last}")
        if phase == "gate" and not pending and counted < last:
            fail("counters_consistent", f"state.json {counted} games, last decision {last}")
        if phase == "gate":
            step = int(state.get("trainee_step", -1))
            path = run / "candidates" / f"{candidate}.pt"
            if not candidate or not candidate.endswith(f"-{step:07d}") or not path.exists():
                fail("counters_consistent", f"candidate {candidate} at trainee step {step}")
        elif candidate is not None:
            fail("counters_consistent", f"phase {phase} with candidate {candidate}")
        if final and len(history) != int(state.get("promotions", 0)) + int(
            state.get("rejections", 0)
        ):
            fail("counters_consistent", "decisions differ from state.json at the end")

    def _observe_trainee(self, state: dict[str, Any]) -> None:
        """Count kills that left trainee.pt ahead of state.json (saved, phase not ended:
        the resumed phase trains again from the saved trainee)."""
        path = self.run_dir / "trainee.pt"
        if state.get("phase") != "train" or not path.exists():
            return
        from nn.checkpoint import read_checkpoint

        step = read_checkpoint(path).metadata.get("step")
        if step is not None and int(step) > int(state.get("trainee_step", 0)):
            self.trainee_ahead += 1


def network_plays(path: Path) -> None:
    """Load a network checkpoint and evaluate one position with it.

    Raises:
        AssertionError: the output has the wrong shape or is not finite.
        Exception: whatever loading a damaged checkpoint raises.
    """
    import numpy as np

    from engine.features import features_from_moves
    from nn.checkpoint import read_checkpoint
    from nn.evaluator import TorchEvaluator

    checkpoint = read_checkpoint(path)
    size = checkpoint.net_config.board_size
    evaluator = TorchEvaluator.from_checkpoint(path, dtype="float32")
    planes = features_from_moves(size, [size * size // 2], checkpoint.feature_config)[-1:]
    out = evaluator.evaluate(planes)
    logits, value = np.asarray(out[0]), np.asarray(out[1])
    assert logits.shape == (1, size * size + 1) and np.isfinite(logits).all()
    assert -1.0 <= float(value[0]) <= 1.0


# -- the kills -------------------------------------------------------------------------
def schedule(n: int, rng: random.Random, order: str = "random") -> list[tuple[str, str]]:
    """Return ``n`` (phase, moment) targets: as even over the four phases as ``n``
    allows (the remainder to the first phases), each phase's moments in turn; in a
    random order, or (``order="loop"``) in the loop's order, fewest generations."""
    targets: list[tuple[str, str]] = []
    for k, phase in enumerate(PHASES):
        count = n // len(PHASES) + (1 if k < n % len(PHASES) else 0)
        moments = MOMENTS[phase]
        targets.extend((phase, moments[i % len(moments)]) for i in range(count))
    if order == "loop":
        return targets
    rng.shuffle(targets)
    return targets


DEFAULT_WINDOWS = {
    "playing": 6.0,
    "journaled": 0.6,
    "shard-write": 0.3,
    "steps": 0.8,
    "match": 0.5,
    "decision": 0.9,
}


def run_kills(
    work_dir: str | os.PathLike[str],
    n: int = 50,
    seed: int = 0,
    order: str = "random",
    extra_args: list[str] | None = None,
    shard_write_delay: float = 0.3,
    promotion_delay: float = 0.3,
    max_wait: float = 240.0,
    final_timeout: float = 600.0,
    more: int = 1,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Kill a tiny ``zerogo train`` run ``n`` times and check the invariants after each.

    Args:
        work_dir: an empty folder: the run directory (``run/``), the finished-games log
            and one log file per launch (``logs/``) go there.
        n: kills.
        seed: seed of the targets' order and of the moments.
        order: "random" (targets shuffled) or "loop" (in the loop's order).
        extra_args: more ``zerogo train`` flags after ``TINY + EVEN``.
        shard_write_delay / promotion_delay: ZEROGO_SHARD_WRITE_DELAY and
            ZEROGO_PROMOTION_DELAY of every launch (seconds).
        max_wait: the most seconds one kill waits for its target.
        final_timeout: the most seconds of the final, unkilled resume.
        more: generations the final resume plays after finishing the one of the
            last kill.
        log: where progress lines go.

    Returns:
        The record without the machine: kills per phase and per moment, every kill,
        each invariant's checks and violations, ``failures`` (empty when all held)
        and the commands.
    """
    work = Path(work_dir)
    run_dir, logs = work / "run", work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    finished_log = work / "finished.txt"
    rng = random.Random(seed)
    targets = schedule(n, rng, order)
    args = [*TINY, *EVEN, *(extra_args or [])]
    base_command = [sys.executable, "-m", "zerogo", "train", "--run-dir", str(run_dir)]
    kill_command = [*base_command, "--generations", str(max(n, 1)), *args]
    env = dict(
        os.environ,
        ZEROGO_SHARD_WRITE_DELAY=str(shard_write_delay),
        ZEROGO_PROMOTION_DELAY=str(promotion_delay),
        ZEROGO_FINISHED_LOG=str(finished_log),
    )

    def load_config() -> Any:
        from zerogo.pipeline import PipelineConfig

        return PipelineConfig.from_dict(json.loads((run_dir / "pipeline.json").read_text()))

    watcher = Watcher(run_dir, load_config)
    checker = Checker(run_dir, finished_log)
    windows = dict(DEFAULT_WINDOWS)
    windows["shard-write"] = 0.9 * shard_write_delay or DEFAULT_WINDOWS["shard-write"]
    windows["decision"] = 3 * promotion_delay or DEFAULT_WINDOWS["decision"]
    kills: list[dict[str, Any]] = []
    failures: list[str] = []
    launches = 0
    start = time.monotonic()

    def launch(command: list[str]) -> subprocess.Popen[bytes]:
        nonlocal launches
        launches += 1
        out = open(logs / f"launch-{launches:03d}.log", "wb")  # noqa: SIM115 - closed below
        try:
            return subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            out.close()

    def tail() -> str:
        text = (logs / f"launch-{launches:03d}.log").read_text(errors="replace")
        return text[-1500:]

    process: subprocess.Popen[bytes] | None = None
    for index, (target, moment) in enumerate(targets, 1):
        if process is None:
            process = launch(kill_command)
            launched = time.monotonic()
            base = last = watcher.look(process.pid)
        opened: dict[str, float] = {}
        planned: float | None = None
        delay = 0.0
        misses = 0
        waited_from = time.monotonic()
        killed = False
        while time.monotonic() - waited_from < max_wait:
            look = watcher.look(process.pid)
            if look.phase != last.phase or look.candidate != last.candidate:
                base = look  # a phase began in this process
            last = look
            now = time.monotonic()
            is_open = active(look, base)
            for name, on in is_open.items():  # learn each moment's length
                if on and name not in opened:
                    opened[name] = now
                elif not on and name in opened:
                    length = now - opened.pop(name)
                    if length >= 0.05 and name not in ("shard-write", "decision"):
                        windows[name] = length
            if process.poll() is not None:
                break
            if planned is None:
                if is_open[moment]:
                    delay = rng.uniform(0.0, 0.8 * windows[moment])
                    planned = now + delay
            elif not is_open[moment]:
                misses += 1  # the moment ended before the kill: wait for the next one
                planned = None
            elif now >= planned:
                os.killpg(process.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(POLL)
        if not killed:
            if process.poll() is None:
                failures.append(f"kill {index}: no {target}/{moment} within {max_wait:.0f} s")
                kill_group(process)
            elif process.returncode == 0:
                failures.append(f"kill {index}: the run ended before it ({kill_command[-1]})")
            else:
                failures.append(
                    f"kill {index}: the resumed run failed with exit {process.returncode}: "
                    + tail()
                )
            process = None
            break
        kill_group(process)
        age = time.monotonic() - launched
        process = None
        phase, where = classify(run_dir, last, base)
        problems = checker.check()
        state = read_state(run_dir)
        entry = {
            "kill": index,
            "target": f"{target}/{moment}",
            "phase": phase,
            "moment": where,
            "seconds_into_process": round(age, 2),
            "delay": round(delay, 3),
            "misses": misses,
            "generation": state.get("generation"),
            "decisions": int(state.get("promotions", 0)) + int(state.get("rejections", 0)),
            "violations": problems,
        }
        kills.append(entry)
        for name, message in problems.items():
            failures.append(f"kill {index} ({phase}/{where}): {name}: {message}")
        log(
            f"kill {index:>3}/{n} at {time.monotonic() - start:6.1f} s: {phase}/{where} "
            f"(aimed at {target}/{moment}, {misses} misses) "
            + ("ok" if not problems else f"VIOLATED {sorted(problems)}")
        )
    # the final resume finishes the generation of the last kill, and then more
    state = read_state(run_dir)
    decided = int(state.get("promotions", 0)) + int(state.get("rejections", 0))
    final_command = [*base_command, "--generations", str(decided + 1 + more), *args]
    final_exit: int | None = None
    if not any("the resumed run failed" in f or "ended before" in f for f in failures):
        if process is not None:
            kill_group(process)
        process = launch(final_command)
        try:
            final_exit = process.wait(timeout=final_timeout)
        except subprocess.TimeoutExpired:
            kill_group(process)
        if final_exit != 0:
            failures.append(f"the final resume exited {final_exit}: " + tail())
        problems = checker.check(final=True)
        for name, message in problems.items():
            failures.append(f"after the final resume: {name}: {message}")
        log(f"final resume: exit {final_exit}, " + ("ok" if not problems else str(problems)))
    state = read_state(run_dir)
    history = read_jsonl(run_dir / "history.jsonl")
    ids, _ = game_ids(run_dir)
    per_phase = Counter(k["phase"] for k in kills)
    return {
        "kills": len(kills),
        "kills_requested": n,
        "kills_per_phase": {p: per_phase.get(p, 0) for p in PHASES}
        | {p: c for p, c in per_phase.items() if p not in PHASES},
        "kills_per_moment": dict(
            sorted(Counter(f"{k['phase']}/{k['moment']}" for k in kills).items())
        ),
        "misses": sum(k["misses"] for k in kills),
        "seed": seed,
        "order": order,
        "kill_command": shlex.join(kill_command).replace(str(work), "WORK"),
        "final_command": shlex.join(final_command).replace(str(work), "WORK"),
        "environment": {
            "ZEROGO_SHARD_WRITE_DELAY": shard_write_delay,
            "ZEROGO_PROMOTION_DELAY": promotion_delay,
            "ZEROGO_FINISHED_LOG": "WORK/finished.txt",
        },
        "final_exit_code": final_exit,
        "decisions": len(history),
        "promotions": int(state.get("promotions", 0)),
        "rejections": int(state.get("rejections", 0)),
        "games_on_disk": len(ids),
        "games_reported_finished": len(reported_finished(finished_log)),
        "games_only_in_journals_after_kills": checker.journal_only,
        "invariants": {
            name: {"checks": checker.checks[name], "violations": checker.violations[name]}
            for name in INVARIANTS
        },
        "observations": {
            "trainee_ahead_of_state_after_kill": checker.trainee_ahead,
            "leftover_tmp_files": sorted(
                str(p.relative_to(run_dir)) for p in run_dir.rglob(".tmp*") if p.is_file()
            )
            + sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*.tmp") if p.is_file()),
        },
        "failures": failures,
        "kill_log": kills,
        "launches": launches,
        "seconds": round(time.monotonic() - start, 1),
    }


# -- command line ----------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """Return the parser of this script."""
    parser = argparse.ArgumentParser(
        prog="scripts/crash_kills.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kills", type=int, default=50, help="kills (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the targets (default 0)")
    parser.add_argument(
        "--order",
        choices=("random", "loop"),
        default="random",
        help="targets in a random order (default) or in the loop's order",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RECORD,
        help=f"the record (default {RECORD.relative_to(ROOT)})",
    )
    parser.add_argument("--no-record", action="store_true", help="write no record")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="work in DIR (must be empty or new) and keep it (default: a temporary folder)",
    )
    parser.add_argument(
        "--promotion-delay",
        type=float,
        default=0.3,
        metavar="S",
        help="ZEROGO_PROMOTION_DELAY: pause before each step of a promotion (default 0.3)",
    )
    parser.add_argument(
        "--shard-write-delay",
        type=float,
        default=0.3,
        metavar="S",
        help="ZEROGO_SHARD_WRITE_DELAY: pause inside each shard write (default 0.3)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.kills < 1:
        print("crash_kills: --kills must be positive", file=sys.stderr)
        return 2
    from nn.bench import machine_info

    sys.path.insert(0, str(ROOT / "scripts"))
    from record import git_commit

    machine = machine_info()
    if args.keep is not None:
        if args.keep.exists() and any(args.keep.iterdir()):
            print(f"crash_kills: {args.keep} is not empty", file=sys.stderr)
            return 2
        work = args.keep
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="crash-kills-"))
    try:
        result = run_kills(
            work,
            n=args.kills,
            seed=args.seed,
            order=args.order,
            shard_write_delay=args.shard_write_delay,
            promotion_delay=args.promotion_delay,
            log=lambda line: print(line, flush=True),
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    shown = ["scripts/crash_kills.py", *(sys.argv[1:] if argv is None else argv)]
    record = {
        "name": "crash-safety",
        "command": shlex.join(shown),
        "niceness": os.nice(0),
        **result,
        "machine": machine,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "commit": git_commit(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    summary = {
        k: record[k]
        for k in ("kills", "kills_per_phase", "decisions", "promotions", "games_on_disk", "seconds")
    }
    print(json.dumps(summary))
    for failure in result["failures"]:
        print(f"FAILURE: {failure}", file=sys.stderr)
    if not args.no_record:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(record, indent=1) + "\n")
        print(f"crash_kills: record in {args.out}", file=sys.stderr)
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
