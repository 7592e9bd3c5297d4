"""``zerogo train``: the self-play -> train -> gate loop in a run directory."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

HELP = "learn by self-play (AlphaGo Zero loop), resumable"
DESCRIPTION = """Run the learning loop in a run directory: self-play games with the best
network, train on the replay window, gate the candidate against the best, repeat.

Kill it at any moment; the same command resumes (finished games and promoted
networks are never lost). Settings are saved in RUN_DIR/pipeline.json at the first
start; flags given on a later start override them.

  zerogo train --run-dir runs/9x9 --hours 8          # the default scheme, gumbel-kata-pcr
  zerogo train --run-dir runs/agz --scheme agz        # AlphaGo Zero's: PUCT, 100 visits, b6c64
  zerogo train --run-dir runs/tiny --size 5 --preset b2c16 --games-per-generation 64
  zerogo train --run-dir runs/seeded --init zerogo/networks/b6c64-9x9.pt  # its net, our scheme
  zerogo train --run-dir runs/kata --preset b6c64-pool3-score-opp-stv --features ladder
  zerogo train --run-dir runs/9x9 --train-procs 2     # DistributedDataParallel training
  zerogo train --run-dir /shared/runs/9x9 --ray auto  # self-play on a Ray cluster
  zerogo train --run-dir runs/pv --scheme agz --visits 400 --record-pv  # shards keep PVs
  tensorboard --logdir runs/9x9/tb
"""


def _names(text: str) -> tuple[str, ...]:
    """Return the comma-separated names of ``text`` ("" or "none": no names)."""
    names = [name.strip() for name in text.split(",")]
    return tuple(name for name in names if name and name != "none")


# flag -> (section, field, parse, help); section None is the pipeline itself
FLAGS: dict[str, tuple[str | None, str, Callable[[str], Any], str]] = {
    "size": (None, "size", int, "board size (default 9)"),
    "komi": (None, "komi", float, "komi (default 7.5)"),
    "preset": (
        None,
        "preset",
        str,
        "network of a new run (default: the scheme's, b6c64-pool3-score-opp-stv): b6c64, "
        "b10c128, b20c256 or any bXcY, with KataGo's "
        "options as suffixes: -poolK (a global-pooling block every K blocks), -poolhead "
        "(global-pooling policy and value heads), -score (score head), -opp "
        "(opponent-policy head), -stv (short-term value head); e.g. b6c64-pool3-score-opp-stv; "
        "other trunks: mbXcY (MobileNet v2), dnXcY (DenseNet), tfXcY (Transformer), e.g. "
        "mb12c64, dn8c64, tf7c64 (sized like b6c64); norms: -ln, -in, -gn (layer, instance, "
        "group)",
    ),
    "features": (
        None,
        "features",
        _names,
        "extra input planes of a new run's network, comma-separated: liberties, ko, legal, "
        "ones, ladder (KataGo's ladder planes); none for none (default: the scheme's, "
        "liberties,ladder)",
    ),
    "games_per_generation": (
        None,
        "games_per_generation",
        int,
        "self-play games between trainings (500)",
    ),
    "workers": (None, "workers", int, "self-play processes (2)"),
    "threads": (None, "threads", int, "torch threads per process (1)"),
    "train_threads": (
        None,
        "train_threads",
        int,
        "torch threads when training (0: workers*threads)",
    ),
    "device": (None, "device", str, "cpu or cuda (cpu)"),
    "train_procs": (
        None,
        "train_procs",
        int,
        "training processes: above 1, DistributedDataParallel over that many ranks, each "
        "with batch-size/N positions a step (1)",
    ),
    "dtype": (
        None,
        "inference_dtype",
        str,
        "network inference: float32, bfloat16 (fast only with AMX) or auto (auto)",
    ),
    "backend": (
        None,
        "backend",
        str,
        "inference backend of self-play and gating: torch, onnx, openvino or auto (auto: "
        "openvino where installed)",
    ),
    "selfplay_int8": (
        None,
        "selfplay_int8",
        str,
        "self-play on an int8 form of the best network, checked against it (top-1 "
        "agreement >= 0.97 on the run's positions): auto (where the CPU has VNNI or AMX: "
        "1.7x the self-play moves/s of bfloat16 on an AVX-512 EPYC), on, off (default auto)",
    ),
    "gate_threshold": (None, "gate_threshold", float, "score needed for promotion (0.55)"),
    "seed": (None, "seed", int, "random seed (0)"),
    "visits": (
        "selfplay",
        "visits",
        int,
        "root visits per self-play move of the agz scheme (--gumbel 0) (100)",
    ),
    "slots": ("selfplay", "slots", int, "games per worker played at once (32)"),
    "random_moves": (
        "selfplay",
        "random_moves",
        int,
        "opening plies sampled at temperature 1 (30)",
    ),
    "resign_threshold": (
        "selfplay",
        "resign_threshold",
        float,
        "resign below this win rate until calibrated on the no-resign games (0.05; 0 never)",
    ),
    "no_resign_fraction": (
        "selfplay",
        "no_resign_fraction",
        float,
        "games never resigned, for calibration (0.1)",
    ),
    "full_search_prob": (
        "selfplay",
        "full_search_prob",
        float,
        "playout cap randomisation: probability of a full search (1.0 = off; 0.25 in "
        "gumbel-kata-pcr)",
    ),
    "fast_visits": (
        "selfplay",
        "fast_visits",
        int,
        "visits (or Gumbel simulations) of a cheap search (20; 4 in gumbel-kata-pcr)",
    ),
    "pv_min_visits": (
        "selfplay",
        "pv_min_visits",
        int,
        "with --record-pv: root visits a search needs for its PV to be stored (400)",
    ),
    "games_per_shard": ("selfplay", "games_per_shard", int, "games per shard file (32)"),
    "gate_games": ("gate", "games", int, "most gating games (400)"),
    "gate_visits": ("gate", "visits", int, "visits per gating move (100)"),
    "window": ("train", "window_games", int, "replay window in games (20000)"),
    "min_games": ("train", "min_games", int, "games before the first training (2000)"),
    "batch_size": ("train", "batch_size", int, "training batch (256)"),
    "lr": ("train", "lr", float, "learning rate (0.02 SGD, 1e-3 AdamW)"),
    "optimizer": ("train", "optimizer", str, "sgd or adamw (sgd)"),
    "samples_per_position": (
        "train",
        "samples_per_position",
        float,
        "times each new position is sampled (4)",
    ),
    "score_weight": (
        "train",
        "score_weight",
        float,
        "loss weight of the score head, for networks with one (-score) (0.25)",
    ),
    "opponent_policy_weight": (
        "train",
        "opponent_policy_weight",
        float,
        "loss weight of the opponent-policy head (-opp) (0.15)",
    ),
    "short_term_value_weight": (
        "train",
        "short_term_value_weight",
        float,
        "loss weight of the short-term value head (-stv) (0.5)",
    ),
    "short_term_horizon": (
        "train",
        "short_term_horizon",
        float,
        "plies of the short-term value target's exponential average (6)",
    ),
}


@dataclasses.dataclass(frozen=True)
class Scheme:
    """A self-play and network scheme: what ``--scheme NAME`` sets for a new run.

    Attributes:
        help: one line for ``--help``.
        gumbel: Gumbel root simulations per move (0: AlphaGo Zero's visit counting).
        preset: network preset.
        features: extra input planes.
        full_search_prob / fast_visits: playout cap randomisation (1.0: off).
    """

    help: str
    gumbel: int = 0
    preset: str = "b6c64"
    features: tuple[str, ...] = ()
    full_search_prob: float = 1.0
    fast_visits: int = 20


SCHEMES: dict[str, Scheme] = {
    "agz": Scheme("AlphaGo Zero: PUCT with --visits visits (100), b6c64, no extra planes"),
    "gumbel": Scheme("Gumbel root selection with 16 simulations, b6c64", gumbel=16),
    "gumbel-pcr": Scheme(
        "Gumbel 16 with playout cap randomisation (a quarter of the moves searched with 16 "
        "simulations and trained on, the rest with 4), b6c64",
        gumbel=16,
        full_search_prob=0.25,
        fast_visits=4,
    ),
    "gumbel-kata": Scheme(
        "Gumbel 16 with KataGo's network (global pooling, score, opponent-policy and "
        "short-term value heads) and liberty and ladder planes",
        gumbel=16,
        preset="b6c64-pool3-score-opp-stv",
        features=("liberties", "ladder"),
    ),
    "gumbel-kata-pcr": Scheme(
        "gumbel-kata with playout cap randomisation: a quarter of the moves searched with "
        "16 simulations and trained on, the rest with 4",
        gumbel=16,
        preset="b6c64-pool3-score-opp-stv",
        features=("liberties", "ladder"),
        full_search_prob=0.25,
        fast_visits=4,
    ),
}
"""The schemes of the 9x9 equal-CPU comparison (``scripts/compare_variants.py``,
BENCHMARKS.md "Equal-CPU variants"), by name."""

DEFAULT_SCHEME = "gumbel-kata-pcr"
"""The scheme of a new run without ``--scheme``: the comparison's winner (ladder Elo
after one CPU-hour from a random network: 338 [217, 459], against 278 for gumbel, 240
for agz and 100 for gumbel-kata; the intervals overlap)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-dir", required=True, help="the run directory (created or resumed)")
    parser.add_argument(
        "--generations",
        type=int,
        default=None,
        help="stop once the run has made this many gating decisions in all",
    )
    parser.add_argument("--hours", type=float, default=None, help="stop after this many hours")
    parser.add_argument(
        "--cpu-hours",
        type=float,
        default=None,
        help="stop once the run has used this much CPU time in all (user + sys of the "
        "loop and its workers, summed across restarts, so a rerun aims at the same end); "
        "for comparisons at equal compute (Ray actors run outside this process tree and "
        "are not counted)",
    )
    parser.add_argument(
        "--scheme",
        choices=tuple(SCHEMES),
        default=None,
        help=f"self-play and network scheme of a new run (default {DEFAULT_SCHEME}, the "
        "winner of the 9x9 equal-CPU comparison; on a resumed run it switches the search "
        "scheme, if the network is the same); flags given beside it override its parts: "
        + "; ".join(f"{name}: {scheme.help}" for name, scheme in SCHEMES.items()),
    )
    parser.add_argument(
        "--gumbel",
        type=int,
        default=None,
        metavar="N",
        help="Gumbel root selection with N simulations per move (0: off, AlphaGo Zero's "
        "visit counting; 16 in the default scheme)",
    )
    parser.add_argument(
        "--train-bf16",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="bfloat16 autocast when training on the CPU (about 2.5x faster with AMX)",
    )
    parser.add_argument(
        "--init",
        default=None,
        metavar="WEIGHTS",
        help="first network of a new run (e.g. zerogo/networks/b6c64-9x9.pt) instead of a "
        "random one; ignored when the run directory already has state",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--record-pv",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="store each full search's principal variation (up to 16 moves, searches of at "
        "least --pv-min-visits) in the shards, for zerogo.pv_model (default off)",
    )
    parser.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="self-play workers as Ray actors: on a Ray instance started here (no ADDRESS), "
        "or on the cluster at ADDRESS (auto or HOST:PORT; the run directory must be on "
        "storage every node shares); --ray off goes back to local processes",
    )
    for flag, (_, _, kind, help_text) in FLAGS.items():
        parser.add_argument(
            f"--{flag.replace('_', '-')}", dest=flag, type=kind, default=None, help=help_text
        )


def _init_network(path: str) -> dict[str, Any]:
    """The preset name and extra input planes of the network in checkpoint ``path``:
    a run started from it records them, so a later ``--scheme`` checks the real network."""
    from nn.checkpoint import read_checkpoint

    if not Path(path).is_file():
        raise ValueError(f"--init {path}: no such network file")
    checkpoint = read_checkpoint(path)  # CheckpointError (a ValueError) names a bad file
    return {
        "preset": checkpoint.net_config.name,
        "features": tuple(checkpoint.feature_config.extra),
    }


def build_config(args: argparse.Namespace) -> Any:
    """Return the PipelineConfig: saved settings (or defaults) with explicit flags applied."""
    from engine.gumbel import GumbelConfig
    from zerogo.pipeline import PipelineConfig

    saved = Path(args.run_dir) / "pipeline.json"
    resumed = saved.exists()
    base = PipelineConfig.from_dict(json.loads(saved.read_text())) if resumed else PipelineConfig()
    top: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {"selfplay": {}, "gate": {}, "train": {}}
    scheme_name = args.scheme or (None if resumed else DEFAULT_SCHEME)
    gumbel = args.gumbel
    if scheme_name is not None:  # a new run, or --scheme on a resumed one
        scheme = SCHEMES[scheme_name]
        network = (scheme.preset, scheme.features)
        if resumed and network != (base.preset, base.features):
            raise ValueError(
                f"--scheme {scheme_name} needs a {scheme.preset} network with input planes "
                f"{','.join(scheme.features) or 'none'}; this run's is {base.preset} with "
                f"{','.join(base.features) or 'none'}: start a new run directory (or pick a "
                "scheme of the same network)"
            )
        if args.init is None:  # --init's network brings its own (below)
            top.update(preset=scheme.preset, features=scheme.features)
        sections["selfplay"].update(
            full_search_prob=scheme.full_search_prob, fast_visits=scheme.fast_visits
        )
        gumbel = scheme.gumbel if gumbel is None else gumbel
    init_network = _init_network(args.init) if args.init is not None and not resumed else None
    if init_network is not None:
        top.update(init_network)
    for flag, (section, name, _, _) in FLAGS.items():
        value = getattr(args, flag)
        if value is None:
            continue
        if init_network is not None and flag in init_network:
            own = init_network[flag]
            if (tuple(value) if flag == "features" else value) != own:
                raise ValueError(
                    f"--{flag} {value if flag == 'preset' else ','.join(value) or 'none'} "
                    f"does not match --init {args.init}, whose network has "
                    f"{own if flag == 'preset' else ','.join(own) or 'none'}"
                )
        (top if section is None else sections[section])[name] = value
    size = top.get("size", base.size)
    komi = top.get("komi", base.komi)
    if args.record_pv is not None:
        sections["selfplay"]["record_pv"] = args.record_pv
    selfplay = dataclasses.replace(base.selfplay, size=size, komi=komi, **sections["selfplay"])
    if gumbel is not None:
        selfplay = dataclasses.replace(
            selfplay, gumbel=GumbelConfig(simulations=gumbel) if gumbel > 0 else None
        )
    gate = dataclasses.replace(base.gate, size=size, komi=komi, **sections["gate"])
    if args.ray is not None:
        top["ray"] = "" if args.ray == "off" else args.ray
    if args.train_bf16 is not None:
        sections["train"]["cpu_bf16"] = args.train_bf16
    train = dataclasses.replace(base.train, **sections["train"])
    return dataclasses.replace(base, selfplay=selfplay, gate=gate, train=train, **top)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from zerogo.pipeline import Pipeline, RunDirBusy

    console = Console(stderr=True)
    try:
        config = build_config(args)
    except (ValueError, TypeError) as exc:
        console.print(f"zerogo train: {exc}")
        return 2
    pipeline = Pipeline(args.run_dir, config, log=console.log, progress=not args.quiet)
    console.log(f"run directory {args.run_dir}; settings in {Path(args.run_dir) / 'pipeline.json'}")
    try:
        state = pipeline.run(
            generations=args.generations, hours=args.hours, init=args.init, cpu_hours=args.cpu_hours
        )
    except (ValueError, RunDirBusy) as exc:
        console.print(f"zerogo train: {exc}")
        return 2
    console.log(
        f"stopped in phase {state.phase}: best {state.best}, {state.promotions} promotions, "
        f"{state.rejections} rejections, {sum(state.cpu_seconds.values()) / 3600:.3f} CPU-hours"
    )
    return 0
