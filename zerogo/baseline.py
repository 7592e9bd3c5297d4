"""``zerogo baseline``: the reinforcement-learning baselines (``trainer.baselines``).

One sub-command per learner; its flags are the fields of the learner's frozen
config, one to one (``--games-per-iteration`` sets ``PGConfig.games_per_iteration``;
booleans also take ``--no-...``), plus the run's files:

* ``pg``: REINFORCE with a baseline against a pool of earlier policies;
* ``sl``: supervised policy on GNU Go games (``scripts/make_gnugo_games.py``);
* ``value``: value network regressed on one position per RL self-play game;
* ``qlearn``: tabular Q-learning on a tiny board (``--plot`` draws the
  epsilon curves);
* ``dqn``: DQN (Double DQN, target network, replay buffer);
* ``eval``: win rates of a trained file against random or another file.

Every trainer shows a progress bar, writes TensorBoard scalars under ``--log-dir``
and saves a file that ``zerogo gtp --player pg|dqn|qtable --weights PATH`` plays
(``pg`` and ``dqn`` also keep their untrained network as ``NAME-initial.pt``, the
opponent of ``eval``'s "beats its own initial network" check).  ``pg`` and ``dqn``
never fill their own true eyes unless ``--no-mask-eyes`` (``trainer.baselines.eyes``),
record their training CPU time in the file, and stop at ``--max-cpu-seconds``
(comparisons at equal training compute: ``zerogo league``).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import typing
from pathlib import Path
from typing import Any

HELP = "train the RL baselines: policy gradient, supervised, value net, Q-learning, DQN"
DESCRIPTION = """Train the baselines that measure what search + self-play is worth.

  zerogo baseline pg --size 9 --iterations 2000 --out runs/baselines/pg9.pt
  zerogo baseline sl --data data/gnugo9 --size 9 --out runs/baselines/sl9.pt
  zerogo baseline pg --size 9 --init runs/baselines/sl9.pt --out runs/baselines/rl9.pt
  zerogo baseline value --policy runs/baselines/rl9.pt --games 20000
  zerogo baseline qlearn --episodes 20000 --out runs/baselines/q3.npz
  zerogo baseline qlearn --opponent random --alpha 0.2 --initial-q 0 \
      --plot runs/baselines/epsilon.png
  zerogo baseline dqn --size 9 --rounds 2000 --out runs/baselines/dqn9.pt
  zerogo baseline eval runs/baselines/dqn9.pt --against random --games 400
  zerogo baseline eval runs/baselines/dqn9.pt --against runs/baselines/dqn9-initial.pt
  zerogo gtp --player pg --weights runs/baselines/pg9.pt

TensorBoard: tensorboard --logdir runs/baselines/tb
"""

DEFAULT_DIR = Path("runs") / "baselines"

# sub-command -> (config class path, defaults that differ from the config's, help)
_CONFIGS: dict[str, tuple[str, dict[str, Any], str]] = {
    "pg": ("trainer.baselines.reinforce:PGConfig", {}, "REINFORCE with a baseline (AlphaGo RL)"),
    "sl": ("trainer.baselines.supervised:SLConfig", {}, "supervised policy on GNU Go games"),
    "value": ("trainer.baselines.value_net:ValueConfig", {}, "value network on RL self-play"),
    "qlearn": ("trainer.baselines.qlearning:QLearningConfig", {}, "tabular Q-learning"),
    "dqn": ("trainer.baselines.dqn:DQNConfig", {}, "DQN: Double DQN, target net, replay"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sub-commands and their flags."""
    sub = parser.add_subparsers(dest="algorithm", metavar="ALGORITHM", required=True)
    for name, (path, defaults, help_text) in _CONFIGS.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        _add_config_flags(child, _load(path), defaults)
        _add_run_flags(child, name)
    sl = sub.choices["sl"]
    sl.add_argument("--data", nargs="+", required=True,
                    help="SGF files, SGF directories or .npz shards of GNU Go games")
    value = sub.choices["value"]
    value.add_argument("--policy", required=True,
                       help="the RL policy checkpoint (zerogo baseline pg)")
    value.add_argument("--komi", type=float, default=None, help="komi (default: the policy's)")
    value.add_argument("--max-plies", type=int, default=None, help="move cap (2*N*N)")
    qlearn = sub.choices["qlearn"]
    qlearn.add_argument("--plot", default=None, metavar="PNG",
                        help="train once per --epsilons value and draw the learning curves")
    qlearn.add_argument("--epsilons", default="0,0.05,0.2,0.5,1",
                        help="comma-separated epsilons of --plot (default 0,0.05,0.2,0.5,1)")
    evaluate = sub.add_parser(
        "eval", help="win rates of a baseline file",
        description="Measure a trained file: its greedy win rate against the random player "
        "(or another file), colours alternating, openings paired.")
    evaluate.add_argument("weights", help="a pg/sl checkpoint, a DQN checkpoint or a Q-table")
    evaluate.add_argument("--against", default="random",
                          help="'random' or another file (default random)")
    evaluate.add_argument("--games", type=int, default=200)
    evaluate.add_argument("--komi", type=float, default=None,
                          help="komi (default: the one stored in the file, else 7.5)")
    evaluate.add_argument("--opening-plies", type=int, default=None,
                          help="random plies starting each pair of games (default: 0 against "
                          "random, 2 against a file, so that greedy players vary)")
    evaluate.add_argument("--temperature", type=float, default=0.0,
                          help="policy networks: 0 greedy (default), 1 sample")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    evaluate.add_argument("--json", action="store_true",
                          help="also print the result as one JSON line (for scripts/record.py)")


def run(args: argparse.Namespace) -> int:
    """Run the chosen sub-command; return the exit status."""
    import torch

    torch.set_num_threads(max(1, args.threads))
    handlers = {"pg": _run_pg, "sl": _run_sl, "value": _run_value, "qlearn": _run_qlearn,
                "dqn": _run_dqn, "eval": _run_eval}
    try:
        return handlers[args.algorithm](args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"zerogo baseline: {exc}", file=sys.stderr)
        return 2


# -- flags ---------------------------------------------------------------------------------


def _load(path: str) -> type:
    import importlib

    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _field_help(cls: type) -> dict[str, str]:
    """Return the one-line help of each field, from the ``Attributes:`` of the docstring."""
    helps: dict[str, str] = {}
    inside = False
    current = None
    for line in (cls.__doc__ or "").splitlines():
        stripped = line.strip()
        if stripped == "Attributes:":
            inside = True
            continue
        if not inside:
            continue
        if stripped.endswith(":") and " " not in stripped:  # the next section
            break
        if ": " in stripped and stripped.split(": ", 1)[0].isidentifier() and (
            line.startswith(" " * 8) and not line.startswith(" " * 12)
        ):
            current, text = stripped.split(": ", 1)
            helps[current] = text
        elif current and stripped:
            helps[current] += " " + stripped
    return helps


def _add_config_flags(parser: argparse.ArgumentParser, cls: type, defaults: dict[str, Any]) -> None:
    """Add one ``--flag`` per field of the dataclass ``cls``."""
    hints = typing.get_type_hints(cls)
    helps = _field_help(cls)
    group = parser.add_argument_group("settings")
    for field in dataclasses.fields(cls):
        default = defaults.get(field.name, field.default)
        flag = "--" + field.name.replace("_", "-")
        text = helps.get(field.name, field.name).rstrip(".").replace("``", "")
        shown = "" if default is None else f" (default {default})"
        hint = hints[field.name]
        kinds = [k for k in typing.get_args(hint) if k is not type(None)] or [hint]
        kind = kinds[0]
        if kind is bool:
            group.add_argument(flag, dest=field.name, action=argparse.BooleanOptionalAction,
                               default=default, help=text + shown)
        else:
            group.add_argument(flag, dest=field.name, type=kind, default=default,
                               help=text + shown)


def _add_run_flags(parser: argparse.ArgumentParser, name: str) -> None:
    group = parser.add_argument_group("run")
    suffix = ".npz" if name == "qlearn" else ".pt"
    group.add_argument("--out", default=None,
                       help=f"file to write (default {DEFAULT_DIR}/{name}-SIZE{suffix})")
    group.add_argument("--log-dir", default=None,
                       help=f"TensorBoard directory (default {DEFAULT_DIR}/tb/{name}-TIME)")
    group.add_argument("--no-log", action="store_true", help="write no TensorBoard events")
    group.add_argument("--quiet", action="store_true", help="no progress bar")
    group.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")


def _config(args: argparse.Namespace, path: str, **extra: Any) -> Any:
    cls = _load(path)
    names = [f.name for f in dataclasses.fields(cls)]
    values = {name: getattr(args, name) for name in names if hasattr(args, name)}
    values.update(extra)
    return cls(**values)


def _out(args: argparse.Namespace, name: str, size: int, suffix: str = ".pt") -> Path:
    path = Path(args.out) if args.out else DEFAULT_DIR / f"{name}-{size}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _log_dir(args: argparse.Namespace, name: str) -> Path | None:
    if args.no_log:
        return None
    if args.log_dir:
        return Path(args.log_dir)
    return DEFAULT_DIR / "tb" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"


def _say(text: str) -> None:
    print(text, flush=True)


# -- sub-commands --------------------------------------------------------------------------


def _initial_path(out: Path) -> Path:
    """Return where the network before training is kept: ``NAME-initial.SUFFIX``."""
    return out.with_name(f"{out.stem}-initial{out.suffix}")


def _run_pg(args: argparse.Namespace) -> int:
    from nn.checkpoint import read_checkpoint
    from trainer.baselines.reinforce import save_pg_checkpoint, train_pg

    config = _config(args, _CONFIGS["pg"][0])
    out = _out(args, "pg", config.size)
    result = train_pg(config, out, _log_dir(args, "pg"), progress=not args.quiet)
    initial = _initial_path(out)
    features = read_checkpoint(out).feature_config
    save_pg_checkpoint(initial, result.initial, features, config, 0, 0, 1)
    _say(f"pg: {result.iterations} iterations, {result.games} games, {result.seconds:.0f} s "
         f"({result.cpu_seconds:.0f} CPU-s), opponent pool of {result.pool_size}")
    if result.history:
        _say(f"win rate vs random (greedy): {result.history[-1]['win_rate_vs_random']:.1%}")
    _say(f"wrote {out} (and the untrained network as {initial}); "
         f"play it with: zerogo gtp --player pg --weights {out}")
    return 0


def _run_sl(args: argparse.Namespace) -> int:
    from trainer.baselines.policy_net import BASELINE_FEATURES
    from trainer.baselines.supervised import load_examples, train_supervised

    config = _config(args, _CONFIGS["sl"][0])
    examples = load_examples(args.data, config.size, BASELINE_FEATURES)
    _say(f"sl: {len(examples)} examples from {len(set(examples.game.tolist()))} games")
    out = _out(args, "sl", config.size)
    result = train_supervised(config, examples, BASELINE_FEATURES, out, _log_dir(args, "sl"),
                              progress=not args.quiet)
    _say(f"sl: move prediction {result.train_accuracy:.1%} on {result.examples} training "
         f"examples, {result.holdout_accuracy:.1%} on {result.holdout_examples} held out "
         f"({result.seconds:.0f} s)")
    _say(f"wrote {out}; start REINFORCE from it with: zerogo baseline pg --init {out}")
    return 0


def _run_value(args: argparse.Namespace) -> int:
    from nn.checkpoint import read_checkpoint
    from trainer.baselines.rollout import GameSpec
    from trainer.baselines.value_net import train_value

    checkpoint = read_checkpoint(args.policy)
    policy = checkpoint.build_model()
    size = checkpoint.net_config.board_size
    komi = args.komi if args.komi is not None else float(checkpoint.metadata.get("komi", 7.5))
    spec = GameSpec(size, komi, checkpoint.feature_config, max_plies=args.max_plies)
    config = _config(args, _CONFIGS["value"][0])
    out = _out(args, "value", size)
    result = train_value(config, policy, checkpoint.feature_config, spec, out,
                         _log_dir(args, "value"), progress=not args.quiet)
    _say(f"value: {result.positions} positions (one per game); mse {result.train_mse:.3f} "
         f"train, {result.holdout_mse:.3f} held out vs {result.holdout_baseline_mse:.3f} for "
         f"predicting 0 ({result.seconds:.0f} s)")
    _say(f"wrote {out}")
    return 0


def _run_qlearn(args: argparse.Namespace) -> int:
    from trainer.baselines.qlearning import (
        epsilon_curves,
        evaluate_table,
        plot_epsilon_curves,
        train_qlearning,
    )
    from trainer.metrics import MetricsWriter

    config = _config(args, _CONFIGS["qlearn"][0])
    if args.plot:
        epsilons = [float(e) for e in args.epsilons.split(",") if e.strip()]
        if config.eval_every == 0:
            config = dataclasses.replace(config, eval_every=max(1, config.episodes // 20))
        _say(f"qlearn: {len(epsilons)} runs of {config.episodes} episodes "
             f"(epsilon {', '.join(f'{e:g}' for e in epsilons)})")
        curves = epsilon_curves(config, epsilons, window=max(1, config.episodes // 40))
        title = (f"Q-learning {config.size}x{config.size}, komi {config.komi:g}, "
                 f"opponent {config.opponent}, alpha {config.alpha:g}, Q0 {config.initial_q:g}")
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        path = plot_epsilon_curves(curves, args.plot, title)
        for epsilon, curve in curves.items():
            final = curve["eval_win_rate"][-1] if len(curve["eval_win_rate"]) else float("nan")
            _say(f"  epsilon {epsilon:g}: online return {curve['online'][-1]:+.2f}, "
                 f"greedy vs random {final:.1%}")
        _say(f"wrote {path}")
        return 0
    bar = None
    if not args.quiet:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.episodes, desc="qlearn", unit="ep", mininterval=0.5)
    with MetricsWriter(_log_dir(args, "qlearn")) as metrics:
        window: list[float] = []

        def on_episode(episode: int, value: float) -> None:
            window.append(value)
            if episode % 100 == 0:
                metrics.scalars("train", {"return": sum(window) / len(window)}, episode)
                window.clear()
            if bar is not None:
                bar.update(1)

        result = train_qlearning(config, on_episode=on_episode)
    if bar is not None:
        bar.close()
    out = _out(args, "qtable", config.size, ".npz")
    rate = evaluate_table(result.table, 200, seed=config.seed)
    result.table.save(out, {"win_rate_vs_random": rate.rate})
    _say(f"qlearn: {config.episodes} episodes, {len(result.table)} states, "
         f"{result.seconds:.0f} s; greedy policy vs random: {rate}")
    _say(f"wrote {out}; play it with: zerogo gtp --player qtable --weights {out}")
    return 0


def _run_dqn(args: argparse.Namespace) -> int:
    from trainer.baselines.dqn import save_dqn_checkpoint, train_dqn

    config = _config(args, _CONFIGS["dqn"][0])
    out = _out(args, "dqn", config.size)
    result = train_dqn(config, out, _log_dir(args, "dqn"), progress=not args.quiet)
    initial = _initial_path(out)
    save_dqn_checkpoint(initial, result.initial, result.features, config, 0, 0)
    _say(f"dqn: {result.updates} updates, {result.games} games, {result.seconds:.0f} s "
         f"({result.cpu_seconds:.0f} CPU-s)")
    if result.history:
        _say(f"win rate vs random (greedy): {result.history[-1]['win_rate_vs_random']:.1%}")
    _say(f"wrote {out} (and the untrained network as {initial}); "
         f"play it with: zerogo gtp --player dqn --weights {out}")
    return 0


def _run_eval(args: argparse.Namespace) -> int:
    from trainer.baselines.rollout import RandomPolicy, win_rate

    policy, spec = _policy_of(args.weights, args)
    if args.against == "random":
        opponent: Any = RandomPolicy()
    else:
        opponent, other = _policy_of(args.against, args)
        if (other.size, other.features) != (spec.size, spec.features):
            raise ValueError(f"{args.against} plays another size or planes than {args.weights}")
    if args.komi is not None:
        spec = dataclasses.replace(spec, komi=args.komi)
    start = time.monotonic()
    opening = args.opening_plies
    if opening is None:
        opening = 0 if args.against == "random" else 2
    rate = win_rate(policy, opponent, spec, args.games, args.seed, opening)
    seconds = time.monotonic() - start
    _say(f"{args.weights} vs {args.against} on {spec.size}x{spec.size}, komi {spec.komi:g}: "
         f"{rate} ({seconds:.1f} s)")
    if args.json:
        import json

        _say(json.dumps({
            "weights": args.weights, "against": args.against, "size": spec.size,
            "komi": spec.komi, "games": rate.games, "wins": rate.wins, "losses": rate.losses,
            "draws": rate.draws, "win_rate": round(rate.rate, 4),
            "opening_plies": opening, "seed": args.seed, "seconds": round(seconds, 1),
        }))
    return 0


def _policy_of(path: str, args: argparse.Namespace) -> tuple[Any, Any]:
    """Return (batched greedy policy, GameSpec) of a baseline file, found by its format.

    Raises:
        ValueError: if the file is none of the baselines' formats.
    """
    from trainer.baselines.players import trained_with_eye_mask
    from trainer.baselines.rollout import GameSpec

    if path.endswith(".npz"):
        from trainer.baselines.qlearning import QTable, QTablePolicy

        table = QTable.load(path)
        return QTablePolicy(table, 0.0, args.seed), table.spec
    from trainer.baselines.q_net import Q_FORMAT, load_q_checkpoint

    if _torch_format(path) == Q_FORMAT:
        from trainer.baselines.dqn import EpsilonGreedy

        qnet, features, metadata = load_q_checkpoint(path)
        spec = GameSpec(qnet.config.board_size, float(metadata.get("komi", 7.5)), features)
        return EpsilonGreedy(qnet, 0.0, args.seed, trained_with_eye_mask(metadata)), spec
    from nn.checkpoint import read_checkpoint
    from trainer.baselines.policy_net import NetPolicy

    checkpoint = read_checkpoint(path)
    komi = float(checkpoint.metadata.get("komi", 7.5))
    spec = GameSpec(checkpoint.net_config.board_size, komi, checkpoint.feature_config)
    policy = NetPolicy(checkpoint.build_model(), args.temperature, args.seed,
                       mask_own_eyes=trained_with_eye_mask(checkpoint.metadata))
    return policy, spec


def _torch_format(path: str) -> str | None:
    """Return the ``format`` entry of a torch file (loaded with weights_only), if any."""
    import torch

    if not Path(path).is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for foreign files
        raise ValueError(f"{path} is not a baseline file ({type(exc).__name__})") from None
    return payload.get("format") if isinstance(payload, dict) else None
