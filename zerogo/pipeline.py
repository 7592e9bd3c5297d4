"""The learning loop: self-play -> training -> gating, resumable at any moment.

AlphaGo Zero's loop on one machine, in phases that run one after the other (the
2-core machine cannot overlap them usefully):

1. **self-play**: the current best network plays ``games_per_generation`` new games
   (``selfplay.process``, worker processes writing shards atomically; Ray actors,
   on this machine or a cluster, with ``ray`` set);
2. **train**: the trainee network (one network trained continuously, with its
   optimiser state) takes ``TrainConfig.steps_for(new positions)`` steps on the
   replay window and becomes the candidate (on ``train_procs`` ranks with
   DistributedDataParallel when above 1, ``trainer.distributed``);
3. **gate**: the candidate plays the best network (``selfplay.arena``); it is promoted
   when it scores >= ``gate_threshold`` over ``gate.games`` games, or earlier when
   the SPRT accepts H1; an SPRT accepting H0 rejects it early.

Everything that matters survives a SIGKILL: every finished self-play game is fsynced
to its worker's journal before it counts (``selfplay.journal``), shards and
checkpoints are written to a temporary name and renamed, each gating game is
appended to a journal before the next starts, and ``state.json`` (rewritten
atomically) says which phase to resume.  Killed in self-play, only the games in
flight are lost; killed in training, the steps since the phase began are redone;
killed in gating, the match continues from its journal; killed while promoting,
the promotion is redone to the same name and recorded once (``history.jsonl`` is
keyed by candidate).

CPU time (user + sys of the loop and of all its worker processes) is added up in
``state.json`` across restarts, per phase: the campaign's currency.

Run directory::

    pipeline.json      the configuration (printed at start)
    train_config.json  the training defaults in force
    state.json         phase, generation, best network, counters
    shards/            self-play games (+ lineage.jsonl: shard -> network; journal-*.games:
                       finished games not yet compacted into a shard)
    networks/          gen-0000.pt (random initialisation), then every promoted net
    trainee.pt         the network in training, with its optimiser state
    candidates/        candidates of gating
    gating/            one journal per candidate (a JSON line per game)
    history.jsonl      one line per gating decision
    elo.png            Elo of the promoted networks over self-play games
    tb/                TensorBoard logs
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.features import FeatureConfig
from engine.gumbel import GumbelConfig
from engine.puct import PUCTConfig
from selfplay.arena import ArenaConfig, ArenaGame, ArenaResult
from selfplay.worker import SelfPlayConfig
from trainer.config import TrainConfig
from zerogo import stats
from zerogo.selfplay_int8 import MODES as INT8_MODES

RESIGN_FALSE_POSITIVES = 0.05
"""The most false-positive resignations allowed, as a fraction of the no-resign games."""

PHASES = ("selfplay", "train", "gate")

PROMOTION_DELAY_ENV = "ZEROGO_PROMOTION_DELAY"
"""Fault injection for the kill tests (``scripts/crash_kills.py``): seconds to pause
before each step of recording a gating decision (the network copy, the history line,
the state save), so that a kill can land between them (unset in normal use)."""


@dataclass(frozen=True)
class PipelineConfig:
    """Settings of the learning loop (``zerogo train`` flags map onto these).

    Attributes:
        size / komi: the board.
        preset: network preset (``nn.go_net.PRESETS``; suffixes such as ``-pool3`` or
            ``-score`` add KataGo's options, ``nn.go_net.preset``).
        features: extra input planes of a new run's network (``engine.features``
            ``EXTRA_PLANES``, e.g. ``("liberties", "ladder")``).
        games_per_generation: new self-play games before each training phase.
        workers: self-play processes.
        threads: torch threads per process.
        train_threads: torch threads of the training phase (0: workers * threads).
        device: "cpu" or "cuda".
        inference_dtype: "float32", "bfloat16" (autocast; fast only on CPUs with AMX) or
            "auto" (the machine's fastest, decided on each machine the run resumes on).
        backend: inference backend of self-play and gating: "torch", "onnx",
            "openvino" or "auto" (openvino where installed, on the CPU).
        selfplay_int8: self-play on an int8 form of the best network
            (``zerogo.selfplay_int8``): "auto" (where the CPU has VNNI or AMX), "on"
            or "off"; only with the openvino or auto backend on the CPU.  Gating always
            reads the checkpoints.
        gate_threshold: score the candidate needs against the best.
        sprt_elo0 / sprt_elo1 / sprt_alpha / sprt_beta: the early-stopping test.
        seed: seed of the initial network and of everything random.
        train_procs: training processes; above 1, each generation trains with
            DistributedDataParallel over that many ranks (``trainer.distributed``).
        ray: "" (self-play in local processes), "local" (self-play workers as Ray
            actors on a Ray instance started here) or a Ray cluster address ("auto",
            "HOST:PORT"); the run directory must then be on storage all nodes share.
        selfplay / train / gate: the settings of each phase.
    """

    size: int = 9
    komi: float = 7.5
    preset: str = "b6c64"
    features: tuple[str, ...] = ()
    games_per_generation: int = 500
    workers: int = 2
    threads: int = 1
    train_threads: int = 0
    device: str = "cpu"
    inference_dtype: str = "auto"
    backend: str = "auto"
    selfplay_int8: str = "auto"
    gate_threshold: float = 0.55
    sprt_elo0: float = 0.0
    sprt_elo1: float = 35.0
    sprt_alpha: float = 0.05
    sprt_beta: float = 0.05
    seed: int = 0
    train_procs: int = 1
    ray: str = ""
    selfplay: SelfPlayConfig = field(default_factory=SelfPlayConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    gate: ArenaConfig = field(default_factory=ArenaConfig)

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", FeatureConfig(extra=self.features).extra)
        if self.games_per_generation < 1 or self.workers < 1 or self.threads < 1:
            raise ValueError("games_per_generation, workers and threads must be positive")
        if self.train_procs < 1 or self.train.batch_size % self.train_procs:
            raise ValueError("train_procs must be positive and divide the batch size")
        if not 0.5 <= self.gate_threshold <= 1.0:
            raise ValueError("gate_threshold must be in [0.5, 1]")
        if self.selfplay.size != self.size or self.gate.size != self.size:
            raise ValueError("self-play and gating must use the pipeline's board size")
        if self.selfplay_int8 not in INT8_MODES:
            raise ValueError(f"selfplay_int8 must be auto, on or off, not {self.selfplay_int8!r}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["train"] = self.train.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PipelineConfig:
        data = dict(data)
        sp = dict(data.pop("selfplay"))
        sp["search"] = PUCTConfig(**sp["search"])
        sp["gumbel"] = GumbelConfig(**sp["gumbel"]) if sp.get("gumbel") else None
        gate = dict(data.pop("gate"))
        gate["search"] = PUCTConfig(**gate["search"])
        train = TrainConfig.from_dict(data.pop("train"))
        return cls(selfplay=SelfPlayConfig(**sp), gate=ArenaConfig(**gate), train=train, **data)


@dataclass
class PipelineState:
    """Where the loop stands (``state.json``)."""

    phase: str = "selfplay"
    generation: int = 0
    best: str = "gen-0000"
    candidate: str | None = None
    games_at_last_train: int = 0
    trainee_step: int = 0
    promotions: int = 0
    rejections: int = 0
    resign_threshold: float | None = None  # calibrated; None: the configured one
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # per phase, summed
    games_offset: int = 0  # games counted but not on this disk (state moved machines)

    def save(self, path: Path) -> None:
        _write_atomic(path, json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> PipelineState:
        return cls(**json.loads(path.read_text()))


class Pipeline:
    """The learning loop in a run directory (see the module docstring).

    Args:
        run_dir: the run directory (created if missing).
        config: settings; a resumed run keeps the settings it was started with
            unless ``config`` is given explicitly.
        log: where progress lines go.
        progress: show rich progress bars (games, positions/s, losses, gating score).
    """

    def __init__(
        self,
        run_dir: str | os.PathLike[str],
        config: PipelineConfig | None = None,
        log: Callable[[str], None] = print,
        progress: bool = False,
    ) -> None:
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log = log
        self.progress = progress
        saved = self.dir / "pipeline.json"
        if config is None:
            config = (
                PipelineConfig.from_dict(json.loads(saved.read_text()))
                if saved.exists()
                else PipelineConfig()
            )
        self.config = config
        _write_atomic(saved, json.dumps(config.to_dict(), indent=2, default=list))
        config.train.write_to(self.dir)
        self.state_path = self.dir / "state.json"
        self.state = PipelineState.load(self.state_path) if self.state_path.exists() else None
        self._cpu_mark = cpu_now()
        self._shard_games: dict[str, int] = {}  # games per shard file, counted once
        for sub in ("shards", "networks", "candidates", "gating"):
            (self.dir / sub).mkdir(exist_ok=True)

    # -- paths ------------------------------------------------------------------
    @property
    def shard_dir(self) -> Path:
        return self.dir / "shards"

    @property
    def stop_file(self) -> Path:
        """Creating this file stops the loop cleanly: self-play workers finish their
        current step and compact their journals, gating stops after its current game,
        training finishes its phase (``scripts/campaign.sh stop``)."""
        return self.dir / "STOP"

    def selfplay_network(self, name: str) -> Path:
        """The file self-play loads for network ``name``: its int8 form where that is
        on and passes its check (``zerogo.selfplay_int8``), else the checkpoint."""
        from zerogo.selfplay_int8 import selfplay_network

        cfg = self.config
        path = self.network_path(name)
        if cfg.backend not in ("auto", "openvino") or cfg.device != "cpu":
            return path
        return selfplay_network(path, self.shard_dir, cfg.selfplay_int8, log=self.log)

    def network_path(self, name: str) -> Path:
        folder = "candidates" if name.startswith("cand-") else "networks"
        return self.dir / folder / f"{name}.pt"

    # -- the loop ---------------------------------------------------------------
    def initialise(self, init: str | os.PathLike[str] | None = None) -> PipelineState:
        """Create the first network (once) and the state: a random network, or the
        checkpoint ``init`` (e.g. a shipped network a campaign starts from)."""
        if self.state is not None:
            return self.state
        import torch

        from nn.checkpoint import read_checkpoint, save_checkpoint
        from nn.go_net import GoNet, preset

        if init is not None:
            source = read_checkpoint(init)
            size = source.net_config.board_size
            if size != self.config.size:
                raise ValueError(
                    f"{init} is a {size}x{size} network; "
                    f"the run is {self.config.size}x{self.config.size}"
                )
            save_checkpoint(
                self.network_path("gen-0000"),
                source.build_model(),
                source.net_config,
                {
                    "name": "gen-0000",
                    "parent": source.metadata.get("name"),
                    "games_trained": 0,
                    "origin": f"initialised from {Path(init).name} "
                    f"({source.metadata.get('name', '?')}, "
                    f"{source.metadata.get('games_trained', '?')} games)",
                },
                feature_config=source.feature_config,
            )
            self.state = PipelineState()
            self.state.save(self.state_path)
            self.log(f"initialised {self.dir} from {init} (gen-0000)")
            return self.state

        torch.manual_seed(self.config.seed)
        features = FeatureConfig(extra=self.config.features)
        net_config = preset(self.config.preset, self.config.size, features.num_planes)
        model = GoNet(net_config)
        save_checkpoint(
            self.network_path("gen-0000"),
            model,
            net_config,
            {"name": "gen-0000", "parent": None, "games_trained": 0, "origin": "random init"},
            feature_config=features,
        )
        self.state = PipelineState()
        self.state.save(self.state_path)
        self.log(f"initialised {self.dir} with a random {self.config.preset} network (gen-0000)")
        return self.state

    def run(
        self,
        generations: int | None = None,
        hours: float | None = None,
        stop: Callable[[], bool] | None = None,
        init: str | os.PathLike[str] | None = None,
        cpu_hours: float | None = None,
    ) -> PipelineState:
        """Loop until ``generations`` gating decisions in all (so rerunning the same
        command after a kill aims at the same end), ``hours`` more hours, ``cpu_hours``
        of CPU time in all (``cpu_total``; self-play stops mid-phase, training finishes
        its phase, gating stops after its game), or ``stop()``.
        ``init``: the first network of a new run (ignored when resuming).

        Raises:
            RunDirBusy: another process runs this folder (two loops in one folder
                would write the same state and shards).
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        with _run_lock(self.dir):
            return self._run(generations, hours, stop, init, cpu_hours)

    def _run(
        self,
        generations: int | None,
        hours: float | None,
        stop: Callable[[], bool] | None,
        init: str | os.PathLike[str] | None,
        cpu_hours: float | None = None,
    ) -> PipelineState:
        state = self.initialise(init)
        self._remove_stale_temporaries()
        deadline = None if hours is None else time.monotonic() + hours * 3600
        self.stop_file.unlink(missing_ok=True)  # a stale request from an earlier stop

        def should_stop() -> bool:
            if stop is not None and stop():
                return True
            if self.stop_file.exists():
                return True
            if cpu_hours is not None and self.cpu_total() >= cpu_hours * 3600:
                return True
            return deadline is not None and time.monotonic() >= deadline

        while not should_stop():
            if generations is not None and state.promotions + state.rejections >= generations:
                break
            if state.phase == "selfplay":
                self.selfplay_phase(should_stop)
            elif state.phase == "train":
                self.train_phase()
            elif state.phase == "gate":
                self.gate_phase(should_stop)
            else:
                raise ValueError(f"unknown phase {state.phase!r} in {self.state_path}")
        self.save_state()
        return state

    def cpu_total(self) -> float:
        """CPU seconds of the whole run so far, across restarts: what ``state.json``
        holds, this process's time since its last save, and the time of its live
        worker processes (counted by ``cpu_now`` only once they are waited for)."""
        state = self.state
        assert state is not None
        return sum(state.cpu_seconds.values()) + cpu_now() - self._cpu_mark + live_children_cpu()

    def save_state(self, phase: str | None = None) -> None:
        """Add the CPU time since the last save to ``phase`` (default: the current
        phase) and write ``state.json`` atomically."""
        state = self.state
        assert state is not None
        now = cpu_now()
        spent, self._cpu_mark = now - self._cpu_mark, now
        key = phase or state.phase
        state.cpu_seconds[key] = round(state.cpu_seconds.get(key, 0.0) + spent, 2)
        state.save(self.state_path)

    # -- phases -----------------------------------------------------------------
    def games_in_shards(self) -> int:
        """Count finished games on disk: in shards (written atomically) and in the
        workers' journals (fsynced per game)."""
        from selfplay.journal import journal_games
        from selfplay.shards import list_shards, read_shard

        # shards never change once written: count each once (the progress poll calls this
        # every second, and a full window holds hundreds of shards)
        in_shards = 0
        for path in list_shards(self.shard_dir):
            if path.name not in self._shard_games:
                self._shard_games[path.name] = len(read_shard(path)["game_ids"])
            in_shards += self._shard_games[path.name]
        offset = self.state.games_offset if self.state is not None else 0
        return in_shards + journal_games(self.shard_dir) + offset

    def _adopt_missing_shards(self) -> None:
        """A run resumed on a machine without its shards (the state travels in git, the
        games do not) counts the games it had as played and refills its replay window
        from the best network: the next training sees only the games played from here."""
        from selfplay.journal import list_journals
        from selfplay.shards import list_shards

        state = self.state
        assert state is not None
        if list_shards(self.shard_dir) or list_journals(self.shard_dir):
            return
        if state.games_at_last_train > state.games_offset:
            self.log(
                f"no self-play shards here: counting the run's {state.games_at_last_train} "
                f"games as played; the replay window refills from {state.best}"
            )
            state.games_offset = state.games_at_last_train
            self.save_state()

    def _remove_stale_temporaries(self) -> None:
        """Delete the ``.tmp-*`` files of writes a kill interrupted (never renamed, so
        never read).  Safe only under the run lock: no other writer is alive."""
        stale = [
            path
            for folder in (self.dir, self.shard_dir, self.dir / "networks")
            if folder.is_dir()
            for path in folder.glob(".tmp-*")
        ]
        for path in stale:
            path.unlink(missing_ok=True)
        if stale:
            self.log(f"removed {len(stale)} unfinished temporary file(s) of interrupted writes")

    def recover_games(self) -> None:
        """Compact journals left by killed workers into shards (idempotent)."""
        from selfplay.journal import recover_journals

        for shard in recover_journals(self.shard_dir):
            self.log(f"recovered the finished games of a killed worker into {shard.name}")

    def _dtype(self) -> str | None:
        """The inference dtype: "auto" lets each backend take its fastest safe one."""
        dtype = self.config.inference_dtype
        return None if dtype == "auto" else dtype

    def selfplay_phase(self, should_stop: Callable[[], bool]) -> None:
        from selfplay.process import run_workers, run_workers_ray

        state = self.state
        assert state is not None
        cfg = self.config
        self.recover_games()
        self._adopt_missing_shards()
        target = max(
            state.games_at_last_train + cfg.games_per_generation,
            state.games_offset + cfg.train.min_games,
        )
        have = self.games_in_shards()
        bar = _Bar(self.progress, f"self-play {state.best}", target, have)
        while have < target and not should_stop():
            want = target - have
            start = time.monotonic()
            selfplay_config = cfg.selfplay
            if state.resign_threshold is not None and selfplay_config.resign_threshold > 0:
                selfplay_config = replace(selfplay_config, resign_threshold=state.resign_threshold)
            play: Callable[..., list[Any]] = run_workers
            if cfg.ray:  # the same workers as Ray actors, on this machine or a cluster
                play = functools.partial(run_workers_ray, address=cfg.ray)
            reports = play(
                self.selfplay_network(state.best),
                selfplay_config,
                self.shard_dir,
                cfg.workers,
                games=want,
                device=cfg.device,
                threads=cfg.threads,
                seed=cfg.seed * 7919 + have,
                dtype=self._dtype(),
                backend=cfg.backend,
                stop_file=str(self.stop_file),
                poll=lambda: self._poll_selfplay(bar, should_stop),
            )
            seconds = time.monotonic() - start
            self.recover_games()
            have = self.games_in_shards()
            games = sum(r.games for r in reports)
            positions = sum(r.positions for r in reports)
            resign = [r.resign for r in reports]
            would = sum(r.would_resign for r in resign)
            false = sum(r.false_positives for r in resign)
            calibration = sum(r.no_resign_games for r in resign)
            rate = false / calibration if calibration else 0.0
            lows = [x for r in resign for x in r.winner_min_winrates]
            used = selfplay_config.resign_threshold
            self.log(
                f"self-play {state.best}: {games} games, {positions / max(seconds, 1e-9):.0f} "
                f"positions/s, {3600 * games / max(seconds, 1e-9):.0f} games/h; "
                f"{have}/{target} games; resign threshold {used:.3f}: false positives "
                f"{false} of {calibration} no-resign games ({rate:.1%}; {would} would resign)"
            )
            bar.update(have, f"{3600 * games / max(seconds, 1e-9):.0f} games/h")
            self._append(
                "selfplay.jsonl",
                {
                    "network": state.best,
                    "games": games,
                    "positions": positions,
                    "seconds": seconds,
                    "total_games": have,
                    "resign_would": would,
                    "resign_false_positives": false,
                    "resign_calibration_games": calibration,
                    "resign_threshold": used,
                    "resign_winner_lows": [round(x, 4) for x in lows],
                    "worker_cpu_seconds": round(sum(r.cpu_seconds for r in reports), 2),
                    "time": time.time(),
                },
            )
            self.save_state()
        bar.close()
        self._calibrate_resignation()
        if have >= target:
            state.phase = "train"
            self.save_state(phase="selfplay")

    def _poll_selfplay(self, bar: _Bar, should_stop: Callable[[], bool]) -> None:
        """Called about once a second while the workers play: show progress, and pass a
        stop (a CPU budget spent, say) on to the workers through the stop file."""
        bar.update(self.games_in_shards(), "playing")
        if should_stop() and not self.stop_file.exists():
            self.stop_file.touch()

    def _calibrate_resignation(self, window: int = 500) -> None:
        """Set the resignation threshold from the most recent ``window`` no-resign games
        (AlphaGo Zero: keep false positives under 5%; see ``calibrate_resign_threshold``)."""
        from selfplay.worker import calibrate_resign_threshold

        state = self.state
        assert state is not None
        if self.config.selfplay.resign_threshold <= 0:
            return
        lows: list[float] = []
        for record in reversed(read_jsonl(self.dir / "selfplay.jsonl")):
            lows = list(record.get("resign_winner_lows", [])) + lows
            if len(lows) >= window:
                break
        threshold = calibrate_resign_threshold(lows[-window:], target=RESIGN_FALSE_POSITIVES)
        if threshold is not None and threshold != state.resign_threshold:
            self.log(
                f"resignation threshold {threshold:.3f}: at most "
                f"{RESIGN_FALSE_POSITIVES:.0%} false positives over the last {len(lows[-window:])} "
                "no-resign games"
            )
            state.resign_threshold = threshold
            self.save_state()

    def train_phase(self) -> None:
        import torch

        from nn.checkpoint import read_checkpoint, save_checkpoint
        from trainer.dataset import BatchSampler
        from trainer.replay import ReplayBuffer
        from trainer.train import Trainer, seed_everything

        state = self.state
        assert state is not None
        cfg = self.config
        self.recover_games()
        torch.set_num_threads(cfg.train_threads or max(cfg.threads * cfg.workers, 1))
        seed_everything(cfg.seed + state.trainee_step)
        trainee_path = self.dir / "trainee.pt"
        if self._adopt_finished_training(trainee_path):
            return
        source = trainee_path if trainee_path.exists() else self.network_path(state.best)
        checkpoint = read_checkpoint(source)
        model = checkpoint.build_model()
        buffer = ReplayBuffer(self.shard_dir, cfg.train.window_games, cfg.train.validation_fraction)
        buffer.refresh()
        total_games = self.games_in_shards()
        new_games = total_games - state.games_at_last_train
        counts = buffer.counts("train")
        new_positions = int(counts.positions * min(1.0, new_games / max(counts.games, 1)))
        steps = cfg.train.steps_for(max(new_positions, 1))
        sampler = BatchSampler.from_config(buffer, cfg.train, checkpoint.feature_config)
        with Trainer(model, cfg.train, self.dir / "tb", progress=self.progress) as trainer:
            if trainee_path.exists() and checkpoint.optimizer_state:
                trainer.load_state_dict(checkpoint.optimizer_state)
            start = time.monotonic()
            if cfg.train_procs > 1:
                metrics = self._train_distributed(trainer, source, steps)
            else:
                metrics = trainer.train_steps(sampler, steps)
            seconds = time.monotonic() - start
            validation = {}
            if cfg.train.validation_fraction > 0 and buffer.counts("validation").positions:
                val = BatchSampler(
                    buffer,
                    checkpoint.feature_config,
                    cfg.train.batch_size,
                    seed=1,
                    augment=False,
                    cache_mb=0,
                )
                validation = trainer.validate(
                    val.fixed_batches("validation", cfg.train.validation_positions)
                )
            step = trainer.step
            optimizer_state = trainer.state_dict(include_model=False)
        candidate = f"cand-{state.generation + 1:04d}-{step:07d}"
        extra = {
            "name": candidate,
            "parent": state.best,
            "step": step,
            "games_trained": total_games,
            "origin": "self-play",
        }
        save_checkpoint(
            trainee_path,
            model,
            checkpoint.net_config,
            extra,
            optimizer_state,
            feature_config=checkpoint.feature_config,
        )
        save_checkpoint(
            self.network_path(candidate),
            model,
            checkpoint.net_config,
            extra,
            feature_config=checkpoint.feature_config,
        )
        self.log(
            f"trained {steps} steps ({steps * cfg.train.batch_size / max(seconds, 1e-9):.0f} "
            f"samples/s) on {counts.games} games: "
            + ", ".join(f"{k} {v:.3f}" for k, v in sorted(metrics.items()) if "loss" in k)
            + (
                "; validation "
                + ", ".join(f"{k} {v:.3f}" for k, v in sorted(validation.items()) if "loss" in k)
                if validation
                else ""
            )
        )
        state.candidate = candidate
        state.trainee_step = step
        state.games_at_last_train = total_games
        state.phase = "gate"
        self.save_state(phase="train")

    def _adopt_finished_training(self, trainee_path: Path) -> bool:
        """Finish a training phase whose steps were done before a kill; return whether.

        The phase saves the trainee (with its step and candidate name), then the
        candidate, then the state.  A kill after the trainee's save left a trainee
        ahead of ``state.trainee_step``: training it again would spend the phase
        twice and train on the same games twice.  Instead its weights become the
        candidate (written again if the kill came before the candidate's save) and
        the state moves on to gating.
        """
        from nn.checkpoint import read_checkpoint, save_checkpoint

        state = self.state
        assert state is not None
        if not trainee_path.exists():
            return False
        done = read_checkpoint(trainee_path)
        name = str(done.metadata.get("name", ""))
        step = int(done.metadata.get("step", 0))
        if step <= state.trainee_step or not name.startswith(f"cand-{state.generation + 1:04d}-"):
            return False
        if not self.network_path(name).exists():
            save_checkpoint(
                self.network_path(name),
                done.build_model(),
                done.net_config,
                dict(done.metadata),
                feature_config=done.feature_config,
            )
        self.log(f"training of {name} had finished before an interruption: adopted, not redone")
        state.candidate = name
        state.trainee_step = step
        state.games_at_last_train = int(done.metadata.get("games_trained", self.games_in_shards()))
        state.phase = "gate"
        self.save_state(phase="train")
        return True

    def _train_distributed(self, trainer: Any, source: Path, steps: int) -> dict[str, float]:
        """Take ``steps`` steps on ``train_procs`` ranks (DistributedDataParallel) from
        ``source`` and load the result into ``trainer`` (weights, optimiser, step)."""
        from trainer.distributed import TrainJob, train_distributed

        cfg = self.config
        total_threads = cfg.train_threads or max(cfg.threads * cfg.workers, 1)
        job = TrainJob(
            checkpoint=str(source),
            shard_dir=str(self.shard_dir),
            config=cfg.train,
            steps=steps,
            threads=max(total_threads // cfg.train_procs, 1),
            log_dir=str(self.dir / "tb"),
            resume=source == self.dir / "trainee.pt",
        )
        result = train_distributed(job, cfg.train_procs)
        trainer.model.load_state_dict(result["model"])
        trainer.load_state_dict(result["optimizer_state"])
        return dict(result["metrics"])

    def gate_phase(self, should_stop: Callable[[], bool]) -> None:
        from nn.backends import load_evaluator
        from selfplay.arena import play_arena

        state = self.state
        assert state is not None and state.candidate is not None
        cfg = self.config
        journal = self.dir / "gating" / f"{state.candidate}.jsonl"
        done = _read_journal(journal)
        evaluators = [
            load_evaluator(
                self.network_path(name),
                cfg.backend,
                device=cfg.device,
                dtype=self._dtype(),
                name=name,
                threads=cfg.threads * cfg.workers,
            )
            for name in (state.candidate, state.best)
        ]
        decision: dict[str, Any] = {}
        bar = _Bar(self.progress, f"gating {state.candidate}", cfg.gate.games, len(done))

        def on_game(game: ArenaGame, result: Any) -> bool:
            _append_line(journal, asdict(game))
            bar.update(len(result.games), f"score {result.score:.1%}")
            test = self._sprt(result)
            decision["sprt"] = test.decision
            return test.decision is not None or should_stop()

        result = ArenaResult(list(done))
        if len(done) < cfg.gate.games and self._sprt(result).decision is None:
            # (a match the SPRT decided before a kill is not played on: its decision stands)
            result = play_arena(
                evaluators[0],
                evaluators[1],
                cfg.gate,
                done=done,
                on_game=on_game,
                seed=cfg.seed + state.generation,
            )
        bar.close()
        test = self._sprt(result)
        complete = len(result.games) >= cfg.gate.games or test.decision is not None
        if not complete:
            self.save_state()
            return  # stopped: the journal lets the match continue next time
        promoted = test.decision == "H1" or (
            test.decision is None and result.score >= cfg.gate_threshold
        )
        if test.decision == "H1" and result.score < cfg.gate_threshold:
            promoted = False
        elo = stats.elo_from_score(min(max(result.score, 1e-3), 1 - 1e-3))
        record = {
            "candidate": state.candidate,
            "best": state.best,
            "games": len(result.games),
            "wins": result.wins,
            "losses": result.losses,
            "draws": result.draws,
            "score": result.score,
            "elo": elo,
            "sprt": test.decision,
            "llr": test.llr,
            "duplicates": result.duplicates,
            "promoted": promoted,
            "games_trained": state.games_at_last_train,
            "cpu_seconds": round(sum(state.cpu_seconds.values()), 1),  # the run's, so far
            "time": time.time(),
        }
        # Idempotent promotion: a kill anywhere below redoes it on resume with the same
        # generation number (state.json still names the candidate), the copy is atomic,
        # history.jsonl gets the decision once (keyed by candidate), and one atomic state
        # save ends it.
        _fault_pause()
        if promoted:
            state.generation += 1
            name = f"gen-{state.generation:04d}"
            _copy_atomic(self.network_path(state.candidate), self.network_path(name))
            record["network"] = name
            state.best = name
            state.promotions += 1
        else:
            state.rejections += 1
        _fault_pause()
        if not any(
            r.get("candidate") == state.candidate for r in read_jsonl(self.dir / "history.jsonl")
        ):
            self._append("history.jsonl", record)
        self.log(
            f"gating {state.candidate} vs {record['best']}: {result.wins}-{result.losses}"
            f"-{result.draws} ({result.score:.1%}, {elo:+.0f} Elo, SPRT {test.decision}) -> "
            + (f"promoted as {state.best}" if promoted else "rejected")
        )
        _fault_pause()
        state.candidate = None
        state.phase = "selfplay"
        self.save_state(phase="gate")
        self.plot_elo()

    def _sprt(self, result: Any) -> stats.SprtResult:
        """Return the SPRT of the gating games so far (candidate = tested player)."""
        cfg = self.config
        return stats.sprt(
            result.wins,
            result.draws,
            result.losses,
            cfg.sprt_elo0,
            cfg.sprt_elo1,
            cfg.sprt_alpha,
            cfg.sprt_beta,
        )

    # -- reporting --------------------------------------------------------------
    def _append(self, name: str, record: dict[str, Any]) -> None:
        _append_line(self.dir / name, record)

    def elo_curve(self) -> list[tuple[int, float, str]]:
        """Return (games trained, chained Elo, network) of every promoted network."""
        points = [(0, 0.0, "gen-0000")]
        path = self.dir / "history.jsonl"
        if not path.exists():
            return points
        elo = 0.0
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record.get("promoted"):
                elo += float(record["elo"])
                points.append((int(record["games_trained"]), elo, record["network"]))
        return points

    def plot_elo(self) -> Path | None:
        """Draw ``elo.png``: chained gating Elo, and GNU Go anchored points if any."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        points = self.elo_curve()
        anchors = read_jsonl(self.dir / "anchors.jsonl")
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            "o-",
            label="chained gating Elo (gen-0000 = 0)",
        )
        if anchors:
            ax2 = ax.twinx()
            rated = [a for a in anchors if a.get("elo") is not None]
            if rated:
                ax2.plot(
                    [a["games_trained"] for a in rated],
                    [a["elo"] for a in rated],
                    "s--",
                    color="tab:red",
                    label="vs GNU Go level 10 (= 0)",
                )
            # a network that lost (won) every game has only an upper (lower) bound
            for bound, marker, text in ((1, "v", "upper bound"), (0, "^", "lower bound")):
                bounded = [
                    a
                    for a in anchors
                    if a.get("elo") is None and (a.get("elo_interval") or [None, None])[bound]
                ]
                if bounded:
                    ax2.plot(
                        [a["games_trained"] for a in bounded],
                        [a["elo_interval"][bound] for a in bounded],
                        marker,
                        color="tab:red",
                        linestyle="none",
                        label=f"vs GNU Go level 10: 95% {text}",
                    )
            ax2.axhline(0.0, linestyle=":", color="tab:red", alpha=0.6)  # GNU Go level 10
            low, high = ax2.get_ylim()
            ax2.set_ylim(min(low, -400.0), max(high, 100.0))
            ax2.set_ylabel("Elo vs GNU Go 10")
            ax2.legend(loc="lower right")
        ax.set_xlabel("self-play games")
        ax.set_ylabel("Elo")
        ax.set_title(f"{self.dir.name}: promoted networks")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left")
        fig.tight_layout()
        out = self.dir / "elo.png"
        fig.savefig(out, dpi=100)
        plt.close(fig)
        return out


class _Bar:
    """A rich progress bar, or nothing when progress display is off."""

    def __init__(self, enabled: bool, label: str, total: int, done: int) -> None:
        self._progress = None
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(label, total=total, completed=done, info="")

    def update(self, done: int, info: str = "") -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=done, info=info)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _copy_atomic(source: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fault_pause() -> None:
    """Sleep ``$ZEROGO_PROMOTION_DELAY`` seconds, if set (see ``PROMOTION_DELAY_ENV``)."""
    delay = os.environ.get(PROMOTION_DELAY_ENV)
    if delay:
        time.sleep(float(delay))


def cpu_now() -> float:
    """User + sys seconds of this process and of its finished (waited-for) children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def live_children_cpu(pid: int | None = None) -> float:
    """User + sys seconds of the live descendants of ``pid`` (default: this process),
    each with the time of its own finished children, read from ``/proc`` (0 where
    there is none).  Added to ``cpu_now`` it counts every process of the tree once."""
    proc = Path("/proc")
    parents: dict[int, list[tuple[int, float]]] = {}
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        entries = [entry for entry in proc.iterdir() if entry.name.isdigit()]
    except (OSError, ValueError, AttributeError):
        return 0.0
    for entry in entries:
        try:
            text = (entry / "stat").read_text()
        except OSError:  # gone since the listing
            continue
        fields = text[text.rfind(")") + 2 :].split()  # after "pid (comm) "
        # fields[1] ppid; fields[11:15] utime, stime, cutime, cstime (clock ticks)
        seconds = sum(int(x) for x in fields[11:15]) / ticks
        parents.setdefault(int(fields[1]), []).append((int(entry.name), seconds))
    total, todo = 0.0, [os.getpid() if pid is None else pid]
    while todo:
        for child, seconds in parents.get(todo.pop(), []):
            total += seconds
            todo.append(child)
    return total


def _append_line(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line durably; a line torn by a kill is closed off first."""
    torn = path.exists() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
    with open(path, "a", encoding="utf-8") as handle:
        if torn:
            handle.write("\n")
        handle.write(json.dumps(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file; a torn last line (killed mid-write) is ignored."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def _read_journal(path: Path) -> list[ArenaGame]:
    games = {}
    for record in read_jsonl(path):
        try:
            game = ArenaGame(**record)
        except TypeError:
            continue
        games[game.index] = game
    return list(games.values())


class RunDirBusy(RuntimeError):
    """Another ``zerogo train`` holds the run folder's lock."""


@contextlib.contextmanager
def _run_lock(run_dir: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``RUN_DIR/.lock`` (released when the process
    dies, so a killed run never leaves a stale lock)."""
    import fcntl

    with open(run_dir / ".lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunDirBusy(
                f"{run_dir} is in use by another zerogo train (lock {run_dir / '.lock'})"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
