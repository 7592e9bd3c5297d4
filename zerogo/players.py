"""The player factory: the one place where players are built by name.

``--player NAME`` picks a registered player; ``--playouts`` / ``--visits`` /
``--seconds`` set its budget; ``--weights`` its network (for players that have one),
``--backend`` the runtime that evaluates it (``nn.backends.load_evaluator``).

Players:

* ``auto`` (the default): the strongest player available for the board size and komi:
  the network player where a shipped network is marked as stronger than pure MCTS
  (``zerogo/networks/index.json``: ``default`` true, and ``komi``, the komi its
  equal-time match was played at), otherwise ``mcts``, saying why on stderr (once);
* ``net``: PUCT search guided by a network (``--weights``, or the shipped network of
  the board size); on a size without a network it falls back to ``mcts`` and says so
  on stderr;
* ``mcts``: UCT-RAVE with heavy playouts, no network;
* ``random``: uniform legal moves.

Wiring a search to a network happens here and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.analysis import AnalysisSnapshot
from engine.game import Game
from engine.player import Budget, Decision, Player

DEFAULT_PLAYER = "auto"
DEFAULT_BACKEND = "auto"
"""Network backend of the players (``nn.backends``): OpenVINO where installed, else
torch.  With it the shipped network plays in its fast form (``fast_network``: int8,
which beat torch float32 at equal time, BENCHMARKS.md) and any other checkpoint in
float32 through OpenVINO (the same outputs, faster)."""
NETWORK_DIR = Path(__file__).parent / "networks"


def shipped_networks() -> dict[int, dict[str, Any]]:
    """Return the shipped networks by board size (from ``networks/index.json``)."""
    index = NETWORK_DIR / "index.json"
    if not index.exists():
        return {}
    data = json.loads(index.read_text())
    return {
        int(size): entry for size, entry in data.items() if (NETWORK_DIR / entry["file"]).exists()
    }


def shipped_network(size: int) -> Path | None:
    """Return the path of the shipped network for ``size``, or None."""
    entry = shipped_networks().get(size)
    return None if entry is None else NETWORK_DIR / entry["file"]


def fast_network(size: int, backend: str, device: str = "cpu") -> Path | None:
    """Return the shipped network's fast form for ``size`` (its index entry's ``fast``:
    an ONNX file, e.g. int8) when ``backend`` runs it on OpenVINO, else None."""
    from nn.backends import resolve_backend

    entry = shipped_networks().get(size)
    fast = None if entry is None else entry.get("fast")
    if not fast or not (NETWORK_DIR / fast["file"]).exists():
        return None
    try:
        runs_on = resolve_backend(backend, device)
    except ValueError:  # not installed, or not for this device
        return None
    return NETWORK_DIR / fast["file"] if runs_on == "openvino" else None


class SizeDispatchPlayer:
    """Plays with a network on the sizes (and komi) it covers, with pure MCTS elsewhere.

    Args:
        make_net: builds the network player for a size (None: no network for it).
        make_fallback: builds the pure-MCTS player.
        announce: print on stderr when falling back (once per reason).
        refuse: says why the network must not play a ``(size, komi)`` game although it
            exists (e.g. ``auto``: it was measured stronger than MCTS only at another
            komi; None: any komi), or None when it may.  Without it every
            komi is covered.
    """

    name = "net"

    def __init__(
        self,
        make_net: Callable[[int], Player | None],
        make_fallback: Callable[[], Player],
        announce: bool = True,
        refuse: Callable[[int, float | None], str | None] | None = None,
    ) -> None:
        self._make_net = make_net
        self._make_fallback = make_fallback
        self._refuse = refuse
        self._players: dict[int, Player | None] = {}
        self._fallback: Player | None = None
        self._announce = announce
        self._said: set[str] = set()

    def player_for(self, size: int, komi: float | None = None) -> Player:
        """Return the player used on a board of ``size`` at ``komi`` (None: any komi)."""
        why = None
        if self._refuse is not None:
            why = self._refuse(size, komi)
        if why is None:
            if size not in self._players:
                self._players[size] = self._make_net(size)
            player = self._players[size]
            if player is not None:
                return player
            why = no_network(size)
        if self._fallback is None:
            self._fallback = self._make_fallback()
        if self._announce and why not in self._said:
            self._said.add(why)
            print(f"zerogo: {why}; playing with pure MCTS", file=sys.stderr, flush=True)
        return self._fallback

    def genmove(
        self, game: Game, color: int, budget: Budget | None = None, cleanup: bool = False
    ) -> Decision:
        return self.player_for(game.size, game.komi).genmove(game, color, budget, cleanup)

    def analyze(
        self,
        game: Game,
        color: int,
        report: Callable[[AnalysisSnapshot], bool],
        interval: float = 0.1,
        budget: Budget | None = None,
        stop: threading.Event | None = None,
    ) -> Decision:
        """Analyse with the player of the board size (see ``engine.analysis``)."""
        player = self.player_for(game.size, game.komi)
        analyze = getattr(player, "analyze", None)
        if analyze is None:
            raise ValueError(f"the {player.name} player cannot analyse")
        return analyze(game, color, report, interval, budget, stop)

    def reset(self) -> None:
        for player in (*self._players.values(), self._fallback):
            if player is not None:
                player.reset()


def _make_random(args: argparse.Namespace) -> Player:
    from engine.random_player import RandomPlayer

    return RandomPlayer(seed=args.seed)


def _make_mcts(args: argparse.Namespace) -> Player:
    from engine.mcts import MCTSConfig, MCTSPlayer

    config = MCTSConfig(
        threads=args.threads,
        resign_threshold=args.resign_threshold,
        seed=args.seed,
    )
    return MCTSPlayer(config, budget_from_args(args))


def _net_for_size(args: argparse.Namespace, size: int) -> Player | None:
    """Return the network player for ``size``, or None if there is no network."""
    from engine.puct import PUCTConfig, PUCTPlayer
    from nn.backends import load_evaluator, read_network

    backend = getattr(args, "backend", DEFAULT_BACKEND)
    path = Path(args.weights) if args.weights else shipped_network(size)
    if path is None:
        return None
    if not args.weights:
        path = fast_network(size, backend, args.device) or path
    if read_network(path).net_config.board_size != size:  # a checkpoint or an .onnx file
        return None
    entry = None if args.weights else shipped_networks().get(size)
    evaluator = load_evaluator(
        path,
        backend=backend,
        device=args.device,
        dtype=args.dtype,
        threads=max(1, args.threads),
        name=None if entry is None else entry.get("network"),  # e.g. gen-0007, not cand-...
    )
    config = PUCTConfig(resign_threshold=min(args.resign_threshold, 0.49), leaves_per_step=16)
    return PUCTPlayer(evaluator, config, budget_from_args(args))


def _make_net(args: argparse.Namespace) -> Player:
    if args.weights and not Path(args.weights).exists():
        raise ValueError(f"no such network file: {args.weights}")
    return SizeDispatchPlayer(lambda size: _net_for_size(args, size), lambda: _make_mcts(args))


def _make_auto(args: argparse.Namespace) -> Player:
    if args.weights:
        return _make_net(args)

    shipped = shipped_networks()  # read once, not at every move
    return SizeDispatchPlayer(
        lambda size: _net_for_size(args, size),
        lambda: _make_mcts(args),
        refuse=lambda size, komi: why_not_default(shipped.get(size), size, komi),
    )


def no_network(size: int) -> str:
    """The reason given for pure MCTS on a size without a network."""
    return f"no network for {size}x{size}"


def why_not_default(entry: dict[str, Any] | None, size: int, komi: float | None) -> str | None:
    """Say why ``auto`` does not play the shipped network ``entry`` on a ``size`` board
    at ``komi`` (None: not known yet), or return None when it does: only a network
    marked ``default`` (it beat pure MCTS at equal time) and only at the komi of that
    match (``komi`` in the index, where given), since a value head trained at one komi
    misjudges every other."""
    if entry is None:
        return no_network(size)
    if not entry.get("default", False):
        return f"the {size}x{size} network is not measured stronger than pure MCTS"
    measured = entry.get("komi")
    if measured is not None and komi is not None and abs(float(measured) - komi) > 1e-9:
        return (
            f"the {size}x{size} network is measured stronger than pure MCTS at komi "
            f"{float(measured):g} only, not at {komi:g}"
        )
    return None


REGISTRY: dict[str, Callable[[argparse.Namespace], Player]] = {
    "auto": _make_auto,
    "net": _make_net,
    "mcts": _make_mcts,
    "random": _make_random,
    # the RL baselines (trainer.baselines), imported only when chosen; they need --weights
    "pg": lambda a: __import__("trainer.baselines.players", fromlist=["_"]).make_pg_player(a),
    "dqn": lambda a: __import__("trainer.baselines.players", fromlist=["_"]).make_dqn_player(a),
    "qtable": lambda a: __import__(
        "trainer.baselines.players", fromlist=["_"]
    ).make_qtable_player(a),
}


def add_player_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the player flags shared by every command that plays."""
    group = parser.add_argument_group("player")
    group.add_argument(
        "--player",
        default=DEFAULT_PLAYER,
        choices=sorted(REGISTRY),
        help=f"which player (default: {DEFAULT_PLAYER}, the strongest available for the size "
        "and komi)",
    )
    group.add_argument("--playouts", type=int, default=None, help="simulations per move")
    group.add_argument("--visits", type=int, default=None, help="same as --playouts")
    group.add_argument("--seconds", type=float, default=None, help="seconds per move")
    group.add_argument(
        "--weights",
        default=None,
        help="network checkpoint, or its ONNX form (.onnx, e.g. int8 from 'zerogo compress "
        "quantize'; runs on openvino or onnx); default: the shipped network",
    )
    group.add_argument("--threads", type=int, default=2, help="search threads (default 2)")
    group.add_argument("--device", default="cpu", help="network device: cpu or cuda (default cpu)")
    group.add_argument(
        "--backend",
        default=DEFAULT_BACKEND,
        choices=("auto", "torch", "onnx", "openvino"),
        help=f"network runtime: torch, onnx (onnxruntime), openvino, or auto (openvino on "
        f"the CPU where installed, else torch); default {DEFAULT_BACKEND}",
    )
    group.add_argument(
        "--dtype",
        default=None,
        choices=("float32", "bfloat16", "float16"),
        help="network arithmetic (default: bfloat16 on CPUs with bf16 instructions "
        "(AMX for torch), else float32; onnx: float32 only)",
    )
    group.add_argument(
        "--resign-threshold",
        type=float,
        default=0.1,
        help="resign when the estimated win rate falls below this (0 disables; default 0.1)",
    )
    group.add_argument("--seed", type=int, default=None, help="random seed")


def budget_from_args(args: argparse.Namespace) -> Budget:
    """Return the per-move budget named by ``--playouts/--visits/--seconds``.

    With none given the default is one second per move.

    Raises:
        ValueError: for non-positive values.
    """
    playouts = args.playouts if args.playouts is not None else args.visits
    seconds = args.seconds
    if playouts is None and seconds is None:
        seconds = 1.0
    return Budget(playouts=playouts, seconds=seconds)


def make_player(args: argparse.Namespace) -> Player:
    """Build the player named by ``args.player`` with its flags.

    Raises:
        ValueError: for an unknown player name or a bad budget.
    """
    if args.player not in REGISTRY:
        raise ValueError(f"unknown player {args.player!r}; choose from {sorted(REGISTRY)}")
    return REGISTRY[args.player](args)
