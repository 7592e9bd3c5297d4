"""``zerogo bench``: speed benchmarks of the playouts, the network and self-play.

Results are ratios on a noisy machine: compare runs made together, never assert
timings in tests.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

HELP = "measure engine speed (playouts/s, network, self-play)"
DESCRIPTION = """Speed benchmarks (one JSON object with --json).

  zerogo bench playouts --size 9 --threads 1 --seconds 5 --json
  zerogo bench nn --json                      # b6c64 evaluations/s by batch size
  zerogo bench nn --weights zerogo/networks/b6c64-9x9.pt --rounds 3 \
      --backend torch:bfloat16 openvino:bfloat16 onnx:float32 --out benchmarks/b.json
  zerogo bench nn --weights zerogo/networks/b6c64-9x9.pt --threads 1 \
      --backend torch:float32 openvino:float32 openvino@b6c64-int8.onnx   # int8 form too
  zerogo bench selfplay --visits 100 --json   # finished games per hour
  zerogo bench selfplay --gumbel 16 --json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    playouts = sub.add_parser("playouts", help="random playouts per second from the empty board")
    playouts.add_argument("--size", type=int, default=9, help="board size (default 9)")
    playouts.add_argument("--threads", type=int, default=1, help="threads (default 1)")
    playouts.add_argument("--seconds", type=float, default=5.0, help="duration (default 5)")
    playouts.add_argument(
        "--policy",
        choices=("light", "heavy"),
        default="light",
        help="light: uniform random non-eye-filling moves (the headline figure); "
        "heavy: the MCTS playout policy (captures, patterns, self-atari rejection)",
    )
    playouts.add_argument("--seed", type=int, default=1)
    playouts.add_argument("--json", action="store_true", help="print one JSON object")

    nn = sub.add_parser("nn", help="network evaluations per second by batch size")
    nn.add_argument(
        "--backend",
        nargs="+",
        default=["torch"],
        metavar="NAME[:DTYPE][@FILE]",
        help="backends to time side by side, each torch, onnx, openvino or auto, with an "
        "optional dtype (e.g. openvino:bfloat16) and an optional network file of its own "
        "(e.g. openvino@b6c64-int8.onnx, an ONNX form from 'zerogo compress'); default "
        "torch. With several, they take turns at each batch size and the record gives "
        "speed-ups over the first",
    )
    nn.add_argument("--preset", default="b6c64", help="network preset (default b6c64)")
    nn.add_argument(
        "--weights",
        default=None,
        help="time this checkpoint (or ONNX network file) instead of a preset",
    )
    nn.add_argument("--size", type=int, default=9)
    nn.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 16, 32, 256])
    nn.add_argument("--seconds", type=float, default=3.0, help="per batch size (default 3)")
    nn.add_argument("--rounds", type=int, default=1, help="turns per batch size; best counts")
    nn.add_argument("--threads", type=int, default=None, help="backend threads (torch: process)")
    nn.add_argument("--device", default="cpu")
    nn.add_argument(
        "--dtype", default="float32", help="dtype of backends named without one (float32)"
    )
    nn.add_argument("--out", default=None, help="also write the JSON record to this file")
    nn.add_argument("--json", action="store_true", help="print one JSON object")

    sp = sub.add_parser("selfplay", help="self-play games per hour")
    sp.add_argument("--weights", default=None, help="network (default: a random b6c64)")
    sp.add_argument("--preset", default="b6c64", help="preset of the random network")
    sp.add_argument("--size", type=int, default=9)
    sp.add_argument("--visits", type=int, default=100, help="visits per move (default 100)")
    sp.add_argument("--gumbel", type=int, default=0, help="Gumbel simulations per move (0: off)")
    sp.add_argument("--full-search-prob", type=float, default=1.0, help="playout cap randomisation")
    sp.add_argument("--slots", type=int, default=32, help="games per worker at once (32)")
    sp.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    sp.add_argument("--threads", type=int, default=1, help="torch threads per process")
    sp.add_argument("--dtype", default=None, help="inference dtype (default: fastest safe)")
    sp.add_argument(
        "--backend",
        default="auto",
        help="torch, onnx, openvino or auto (default: openvino where installed)",
    )
    sp.add_argument("--device", default="cpu")
    sp.add_argument("--seconds", type=float, default=120.0, help="duration (default 120)")
    sp.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from nn.bench import machine_info

    before = machine_info()["load_average"]
    try:
        if args.what == "playouts":
            result = _playouts(args)
        elif args.what == "nn":
            result = _nn(args)
        else:
            result = _selfplay(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"zerogo bench: {exc}")
        return 2
    if "machine" not in result:  # every record says where, when and on what code
        result["machine"] = {**machine_info(), "load_average_before": before}
        result["git_commit"] = git_commit()
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    return 0


def _playouts(args: argparse.Namespace) -> dict[str, object]:
    from engine.playouts import benchmark_playouts

    return benchmark_playouts(
        args.size, args.threads, args.seconds, args.policy, args.seed
    ).as_dict()


def _nn(args: argparse.Namespace) -> dict[str, object]:
    """One backend: ``benchmark_network``'s record; several: ``compare_backends``'s."""
    from nn.bench import benchmark_network, compare_backends, parse_spec

    specs = [parse_spec(spec) for spec in args.backend]
    specs = [(name, dtype or args.dtype, file) for name, dtype, file in specs]
    result: dict[str, object]
    if len(specs) == 1 and specs[0][2] is None:
        result = benchmark_network(
            args.preset,
            args.size,
            tuple(args.batch_sizes),
            args.seconds,
            args.threads,
            args.device,
            dtype=specs[0][1] or "float32",
            backend=specs[0][0],
            weights=args.weights,
            rounds=args.rounds,
        )
    else:
        result = compare_backends(
            specs,
            args.preset,
            args.size,
            tuple(args.batch_sizes),
            args.seconds,
            args.threads,
            args.device,
            weights=args.weights,
            rounds=args.rounds,
        )
    result["git_commit"] = git_commit()
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return result


def git_commit() -> str | None:
    """Return the HEAD commit of the source tree (with "+dirty" for local changes), or None."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


def _selfplay(args: argparse.Namespace) -> dict[str, object]:
    """Self-play for a while; games/hour = moves/s over moves per finished game."""
    from engine.gumbel import GumbelConfig
    from engine.puct import PUCTConfig
    from nn.backends import resolve_backend
    from nn.bench import benchmark_network
    from nn.evaluator import default_dtype
    from selfplay.process import run_workers
    from selfplay.worker import SelfPlayConfig

    backend = resolve_backend(args.backend, args.device)
    dtype = args.dtype or (default_dtype(args.device) if backend == "torch" else None)
    config = SelfPlayConfig(
        size=args.size,
        slots=args.slots,
        visits=args.visits,
        resign_threshold=0.0,
        full_search_prob=args.full_search_prob,
        games_per_shard=10_000,
        gumbel=GumbelConfig(simulations=args.gumbel) if args.gumbel > 0 else None,
        search=PUCTConfig(capacity=50_000),
    )
    with tempfile.TemporaryDirectory() as tmp:
        weights = args.weights or _random_network(Path(tmp) / "random.pt", args.preset, args.size)
        start = time.monotonic()
        reports = run_workers(
            weights,
            config,
            Path(tmp) / "shards",
            args.workers,
            seconds=args.seconds,
            device=args.device,
            threads=args.threads,
            dtype=dtype,
            backend=backend,
        )
        wall = time.monotonic() - start
    elapsed = max(r.seconds for r in reports)  # inside the workers: start-up excluded
    games = sum(r.games for r in reports)
    positions = sum(r.positions for r in reports)
    moves = sum(r.moves_played for r in reports)
    leaves = sum(r.leaves for r in reports)
    plies = positions / games if games else float("nan")
    # the bare network speed at the batch size self-play used, measured in this run
    batch = max(1, round(sum(r.mean_batch for r in reports) / len(reports)))
    bare = benchmark_network(
        args.preset,
        args.size,
        (batch,),
        3.0,
        args.threads,
        args.device,
        dtype=dtype,
        backend=backend,
        weights=args.weights,
    )
    bare_rate = float(bare["batches"][0]["evals_per_s"]) * args.workers
    network_seconds = sum(r.network_seconds for r in reports)
    return {
        "network": Path(weights).name if args.weights else f"random {args.preset}",
        "size": args.size,
        "visits": args.gumbel if args.gumbel > 0 else args.visits,
        "gumbel": args.gumbel > 0,
        "workers": args.workers,
        "backend": backend,
        "dtype": dtype or bare.get("precision"),
        "seconds": round(elapsed, 1),
        "wall_seconds": round(wall, 1),
        "games_finished": games,
        "plies_per_game": round(plies, 1),
        "moves_per_s": round(moves / elapsed, 1),
        "games_per_hour": round(3600 * moves / elapsed / plies, 0) if games else None,
        "evals_per_s": round(leaves / elapsed, 0),
        "network_busy": round(network_seconds / (args.workers * elapsed), 3),
        "mean_batch": batch,
        "bare_evals_per_s": round(bare_rate, 0),
        "evals_vs_bare": round(leaves / elapsed / bare_rate, 3) if bare_rate else None,
    }


def _random_network(path: Path, preset_name: str, size: int) -> str:
    import torch

    from engine.features import FeatureConfig
    from nn.checkpoint import save_checkpoint
    from nn.go_net import GoNet, preset

    torch.manual_seed(0)
    features = FeatureConfig()
    config = preset(preset_name, size, features.num_planes)
    save_checkpoint(
        path, GoNet(config), config, {"name": f"random-{preset_name}"}, feature_config=features
    )
    return str(path)
