"""The baselines as ``engine.player.Player``s, for GTP, matches and the GUI.

* ``PolicyNetPlayer`` (``--player pg``): the most probable legal move of a policy
  network (REINFORCE or supervised checkpoint, ``nn.checkpoint`` format);
* ``QNetPlayer`` (``--player dqn``): the legal move of highest Q-value of a DQN
  checkpoint (``q_net`` format);
* ``QTablePlayer`` (``--player qtable``): the greedy move of a tabular Q-table
  (``.npz``), or a random legal move in a position the table never visited.

None of them searches: each answers from one evaluation, which is the point of a
baseline.  They see the position as the networks were trained to (``planes_for``)
and never choose an illegal move (the board's legal mask, superko included).  A
network trained with ``mask_eyes`` (the default of ``zerogo baseline pg|dqn``; the
checkpoint's metadata says so) also never fills its own true eyes
(``trainer.baselines.eyes``), as in training.
``make_pg_player`` & co. are the factories ``zerogo.players`` registers.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from engine import _board_kernels as K
from engine.board import BLACK
from engine.features import FeatureConfig, features
from engine.game import Game
from engine.player import Budget, Decision
from engine.random_player import RandomPlayer
from nn.checkpoint import read_checkpoint
from nn.go_net import GoNet
from trainer.baselines.eyes import own_true_eyes
from trainer.baselines.policy_net import masked_logits
from trainer.baselines.q_net import QNet, load_q_checkpoint
from trainer.baselines.qlearning import QTable, greedy_action


def planes_for(game: Game, color: int, config: FeatureConfig) -> np.ndarray:
    """Return the float32 (C, N, N) planes of ``game``'s position as ``color`` sees it.

    ``engine.features.features`` encodes the position for the side to move; when
    ``color`` is the other side (GTP ``genmove`` out of turn), own and opponent
    planes are swapped, the colour plane is set for ``color``, the ko plane cleared
    (a ko binds only the side to move) and the legal plane recomputed.
    """
    planes = features(game, config)
    if color == game.to_move:
        return planes
    history = config.history
    n = game.size
    swapped = planes[: 2 * history].reshape(history, 2, n, n)[:, ::-1]
    planes[: 2 * history] = swapped.reshape(2 * history, n, n)
    planes[2 * history] = 1.0 if color == BLACK else 0.0
    if "liberties" in config.extra:
        start = config.offset("liberties")
        own = planes[start : start + 4].copy()
        planes[start : start + 4] = planes[start + 4 : start + 8]
        planes[start + 4 : start + 8] = own
    if "ko" in config.extra:
        planes[config.offset("ko")] = 0.0
    if "legal" in config.extra:
        legal = game.board.legal_mask(color)[:-1].reshape(n, n)
        planes[config.offset("legal")] = legal.astype(np.float32)
    return planes


class PolicyNetPlayer:
    """Plays a policy network's choice among the legal moves (no search).

    Args:
        model: a ``GoNet`` (its policy head is read).
        config: its input planes.
        temperature: 0 plays the most probable move, 1 samples p(a|s).
        seed: seeds the sampling.
        mask_eyes: never fill its own true eyes (as the network was trained).
    """

    name = "pg"

    def __init__(
        self,
        model: GoNet,
        config: FeatureConfig,
        temperature: float = 0.0,
        seed: int | None = None,
        mask_eyes: bool = False,
    ) -> None:
        self.model = model.eval()
        self.config = config
        self.temperature = temperature
        self.mask_eyes = mask_eyes
        self._generator = torch.Generator().manual_seed(0 if seed is None else seed)

    @torch.no_grad()
    def genmove(
        self, game: Game, color: int, budget: Budget | None = None, cleanup: bool = False
    ) -> Decision:
        """Return the policy's move for ``color`` (budget and cleanup are ignored).

        Raises:
            ValueError: if the network is for another board size.
        """
        _check_size(self.model.config.board_size, game.size)
        planes = planes_for(game, color, self.config)[None]
        logits, value, _ = self.model(torch.from_numpy(planes))
        legal = torch.from_numpy(_legal(game, color, planes, self.mask_eyes))
        masked = masked_logits(logits, legal)
        if self.temperature == 0:
            action = int(masked.argmax(dim=1))
        else:
            probs = torch.softmax(masked / self.temperature, dim=1)
            action = int(torch.multinomial(probs, 1, generator=self._generator))
        prior = float(torch.softmax(masked, dim=1)[0, action])
        winrate = (float(value[0]) + 1.0) / 2.0
        return Decision(action, winrate=winrate, visits=1, info={"prior": prior})

    def reset(self) -> None:
        """Nothing to forget."""


class QNetPlayer:
    """Plays the legal move of highest Q-value of a DQN network (no search).

    Args:
        model: the Q-network.
        config: its input planes.
        mask_eyes: never fill its own true eyes (as the network was trained).
    """

    name = "dqn"

    def __init__(self, model: QNet, config: FeatureConfig, mask_eyes: bool = False) -> None:
        self.model = model.eval()
        self.config = config
        self.mask_eyes = mask_eyes

    @torch.no_grad()
    def genmove(
        self, game: Game, color: int, budget: Budget | None = None, cleanup: bool = False
    ) -> Decision:
        """Return the greedy move for ``color`` (budget and cleanup are ignored).

        Raises:
            ValueError: if the network is for another board size.
        """
        _check_size(self.model.config.board_size, game.size)
        planes = planes_for(game, color, self.config)[None]
        q = self.model(torch.from_numpy(planes))
        legal = torch.from_numpy(_legal(game, color, planes, self.mask_eyes))
        masked = masked_logits(q, legal)
        action = int(masked.argmax(dim=1))
        value = float(masked[0, action])
        return Decision(action, winrate=(value + 1.0) / 2.0, visits=1, info={"q": value})

    def reset(self) -> None:
        """Nothing to forget."""


class QTablePlayer:
    """Plays the greedy move of a tabular Q-table.

    In a position the table has no row for (another board size, or a state never
    visited in training) it plays as ``engine.random_player.RandomPlayer`` and
    says so in ``Decision.info["source"]``.

    Args:
        table: the Q-table.
        seed: seeds tie-breaking and the random fallback.
    """

    name = "qtable"

    def __init__(self, table: QTable, seed: int | None = None) -> None:
        self.table = table
        self._rng = np.random.default_rng(seed)
        self._fallback = RandomPlayer(seed)

    def genmove(
        self, game: Game, color: int, budget: Budget | None = None, cleanup: bool = False
    ) -> Decision:
        """Return the greedy move for ``color`` (budget and cleanup are ignored)."""
        q = self.q_values(game, color)
        if q is None:
            decision = self._fallback.genmove(game, color)
            decision.info["source"] = "random (state not in the table)"
            return decision
        action = greedy_action(q, game.board.legal_mask(color), self._rng)
        value = float(q[action])
        return Decision(action, winrate=(value + 1.0) / 2.0, visits=1, info={"q": value})

    def q_values(self, game: Game, color: int) -> np.ndarray | None:
        """Return the table's (A,) Q-values for ``color`` in ``game``, or None if unknown."""
        if game.size != self.table.spec.size:
            return None
        arrays = game.board.arrays
        ko = int(arrays.meta[K.M_KO]) if color == game.to_move else -1
        key, perm = self.table.keys.key(
            arrays.color, color, ko, int(arrays.meta[K.M_PASSES]), len(game.moves)
        )
        row = self.table.values(key)
        return None if row is None else row[perm]

    def reset(self) -> None:
        """Nothing to forget."""


def _legal(game: Game, color: int, planes: np.ndarray, mask_eyes: bool) -> np.ndarray:
    """Return bool (1, A): ``color``'s legal moves, without own true eyes if asked."""
    legal = game.board.legal_mask(color)[None]
    return legal & ~own_true_eyes(planes) if mask_eyes else legal


def trained_with_eye_mask(metadata: dict) -> bool:
    """Return whether a baseline checkpoint's network was trained with ``mask_eyes``.

    Files written before the option existed (no such entry) were trained without.
    """
    config = metadata.get("config")
    return bool(config.get("mask_eyes", False)) if isinstance(config, dict) else False


def _check_size(network: int, board: int) -> None:
    if network != board:
        raise ValueError(f"the network plays {network}x{network}, not {board}x{board}")


def _weights(args: argparse.Namespace, player: str) -> Path:
    if not getattr(args, "weights", None):
        raise ValueError(f"--player {player} needs --weights PATH (a file of zerogo baseline)")
    path = Path(args.weights)
    if not path.is_file():
        raise ValueError(f"no such weights file: {path}")
    return path


def make_pg_player(args: argparse.Namespace) -> PolicyNetPlayer:
    """Build the ``pg`` player from ``--weights`` (a policy ``nn.checkpoint``).

    Raises:
        ValueError: without ``--weights`` or for an unreadable file.
    """
    checkpoint = read_checkpoint(_weights(args, "pg"))
    return PolicyNetPlayer(
        checkpoint.build_model(),
        checkpoint.feature_config,
        temperature=0.0,
        seed=args.seed,
        mask_eyes=trained_with_eye_mask(checkpoint.metadata),
    )


def make_dqn_player(args: argparse.Namespace) -> QNetPlayer:
    """Build the ``dqn`` player from ``--weights`` (a Q-network checkpoint).

    Raises:
        ValueError: without ``--weights`` or for an unreadable file.
    """
    model, config, metadata = load_q_checkpoint(_weights(args, "dqn"))
    return QNetPlayer(model, config, mask_eyes=trained_with_eye_mask(metadata))


def make_qtable_player(args: argparse.Namespace) -> QTablePlayer:
    """Build the ``qtable`` player from ``--weights`` (a Q-table ``.npz``).

    Raises:
        ValueError: without ``--weights`` or for an unreadable file.
    """
    return QTablePlayer(QTable.load(_weights(args, "qtable")), seed=args.seed)


__all__ = [
    "PolicyNetPlayer",
    "QNetPlayer",
    "QTablePlayer",
    "make_dqn_player",
    "make_pg_player",
    "make_qtable_player",
    "planes_for",
    "trained_with_eye_mask",
]
