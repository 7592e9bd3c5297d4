"""The principal-variation model: predict the search's main line from the position alone.

A search-free "what happens next": a board encoder reads the position's feature
planes (``engine.features``) and one decoder of ``nn.sequence`` (GRU with attention,
WaveNet, or Transformer) writes the moves that a 400-visit search would follow, as
recorded by self-play with ``SelfPlayConfig.record_pv`` (``selfplay.shards``).  It
is a *prediction*, never a search result: the GTP front end shows it under its own
command (``zerogo-predict_pv``) and never inside ``lz-analyze``/``kata-analyze`` lines.

Tokens (N = board size; actions as in ``engine.coords``):

=============  ====================================================================
token          meaning
=============  ====================================================================
0 .. N*N - 1   a move on a point (flat action)
N*N            pass
N*N + 1        END: the variation stops (the output vocabulary is N*N + 2 tokens)
N*N + 2        START: decoder input 0 (the input vocabulary is N*N + 3 tokens)
=============  ====================================================================

A position's target is its PV (at most ``max_moves`` moves) then END, padded with
``nn.sequence.sampling.IGNORE``.  The encoder (``BoardEncoder``) is a small residual
tower (``nn.blocks``) whose output at each point, plus a learned embedding of the
point, is one context token; a summary token (AlphaGo Zero's policy-head reduction:
1x1 convolution to 2 planes, flattened, a Linear) goes first, for the decoders that
condition on one vector (WaveNet; the GRU's initial state).

Files (``save_pv_model``/``load_pv_model``) are ``torch.save`` dicts of plain data
and tensors, read with ``torch.load(weights_only=True)``; the config inside rebuilds
the model.  Start reading at ``PVConfig`` and ``PVModel``; ``PVPredictor`` is what
the GTP command and the GUI call.
"""

from __future__ import annotations

import copy
import os
import pickle
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch import nn as tnn

from engine import symmetry
from engine.board import Board, opponent
from engine.features import FeatureConfig, features, features_from_moves
from engine.game import Game
from nn.atomic import write_atomic
from nn.blocks import ConvNormAct, ResidualBlock
from nn.sequence.base import SequenceDecoder
from nn.sequence.gru import GRUAttentionDecoder
from nn.sequence.sampling import IGNORE, greedy_decode
from nn.sequence.transformer import TransformerDecoder
from nn.sequence.wavenet import WaveNetDecoder
from selfplay.shards import list_shards, position_pvs, read_shard

FORMAT = "zerogo-pv-model"
FORMAT_VERSION = 1
DECODERS = ("gru", "wavenet", "transformer")


def end_token(size: int) -> int:
    """Return END, the token after a variation's last move."""
    return size * size + 1


def start_token(size: int) -> int:
    """Return START, decoder input 0."""
    return size * size + 2


@dataclass(frozen=True)
class PVConfig:
    """The shape of a PV model; saved in its file.

    Attributes:
        size: board size N.
        decoder: ``"gru"``, ``"wavenet"`` or ``"transformer"``.
        max_moves: most moves predicted (targets are max_moves + 1 tokens with END).
        history: positions in the input planes (``engine.features``; 2 H + 1 planes).
        channels: D, the encoder's width and the context tokens' width.
        blocks: residual blocks of the encoder.
        gru_hidden, gru_embed: the GRU's state and token embedding widths.
        wavenet_channels, wavenet_skip, wavenet_kernel, wavenet_dilations: WaveNet's
            residual and skip channels, kernel size and dilations.
        tf_d_model, tf_heads, tf_layers, tf_ffn, tf_positional: the Transformer's
            width, heads, blocks, feed-forward width and positional encoding.
    """

    size: int = 9
    decoder: str = "transformer"
    max_moves: int = 16
    history: int = 8
    channels: int = 48
    blocks: int = 2
    gru_hidden: int = 96
    gru_embed: int = 48
    wavenet_channels: int = 48
    wavenet_skip: int = 48
    wavenet_kernel: int = 2
    wavenet_dilations: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8)
    tf_d_model: int = 64
    tf_heads: int = 4
    tf_layers: int = 2
    tf_ffn: int = 128
    tf_positional: str = "sinusoidal"

    def __post_init__(self) -> None:
        object.__setattr__(self, "wavenet_dilations", tuple(self.wavenet_dilations))
        if self.decoder not in DECODERS:
            raise ValueError(f"unknown decoder {self.decoder!r} (known: {', '.join(DECODERS)})")
        if not 2 <= self.size <= 19:
            raise ValueError(f"board size must be 2 to 19, not {self.size}")
        if min(self.max_moves, self.history, self.channels, self.blocks + 1) < 1:
            raise ValueError("max_moves, history and channels must be positive, blocks >= 0")

    @property
    def vocab(self) -> int:
        """Output tokens: the N*N + 1 moves and END."""
        return self.size * self.size + 2

    @property
    def input_vocab(self) -> int:
        """Input tokens: the outputs and START."""
        return self.size * self.size + 3

    @property
    def feature_config(self) -> FeatureConfig:
        return FeatureConfig(history=self.history)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["wavenet_dilations"] = list(self.wavenet_dilations)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PVConfig:
        """Return the config of ``to_dict``'s output.

        Raises:
            ValueError: for unknown keys or invalid values.
        """
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown PV model settings: {sorted(unknown)}")
        return cls(**data)


class BoardEncoder(tnn.Module):
    """Feature planes to context tokens: a summary token, then one token per point.

    Args:
        in_planes: input planes C.
        channels: D.
        blocks: residual blocks.
        size: N.
    """

    def __init__(self, in_planes: int, channels: int, blocks: int, size: int) -> None:
        super().__init__()
        self.stem = ConvNormAct(in_planes, channels, 3)
        self.tower = tnn.Sequential(*(ResidualBlock(channels) for _ in range(blocks)))
        self.point_embedding = tnn.Parameter(torch.randn(size * size, channels) * 0.02)
        self.reduce = ConvNormAct(channels, 2, 1)
        self.summary = tnn.Linear(2 * size * size, channels)

    def forward(self, planes: Tensor) -> Tensor:
        """Encode: planes (B, C, N, N) -> context (B, 1 + N*N, D)."""
        maps = self.tower(self.stem(planes))
        points = maps.flatten(2).transpose(1, 2) + self.point_embedding
        summary = self.summary(self.reduce(maps).flatten(1)).unsqueeze(1)
        return torch.cat([summary, points], dim=1)


def make_decoder(config: PVConfig) -> SequenceDecoder:
    """Return the config's decoder over the context tokens of ``BoardEncoder``."""
    if config.decoder == "gru":
        return GRUAttentionDecoder(
            config.vocab,
            config.channels,
            hidden=config.gru_hidden,
            embed_dim=config.gru_embed,
            input_vocab=config.input_vocab,
        )
    if config.decoder == "wavenet":
        return WaveNetDecoder(
            config.vocab,
            config.channels,
            channels=config.wavenet_channels,
            skip_channels=config.wavenet_skip,
            kernel_size=config.wavenet_kernel,
            dilations=config.wavenet_dilations,
            input_vocab=config.input_vocab,
        )
    return TransformerDecoder(
        config.vocab,
        config.channels,
        d_model=config.tf_d_model,
        heads=config.tf_heads,
        layers=config.tf_layers,
        ffn_dim=config.tf_ffn,
        max_len=config.max_moves + 1,
        positional=config.tf_positional,
        input_vocab=config.input_vocab,
    )


class PVModel(tnn.Module):
    """Board encoder plus sequence decoder.

    Args:
        config: the shape.
    """

    def __init__(self, config: PVConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = BoardEncoder(
            config.feature_config.num_planes, config.channels, config.blocks, config.size
        )
        self.decoder = make_decoder(config)

    def forward(self, planes: Tensor, inputs: Tensor) -> Tensor:
        """Return logits (B, L, vocab) of decoder inputs (B, L) for planes (B, C, N, N)."""
        return self.decoder(inputs, self.encoder(planes))

    @torch.no_grad()
    def decode(self, planes: Tensor, mask: Any = None) -> Tensor:
        """Return greedy token sequences (B, l <= max_moves + 1) for planes (B, C, N, N)."""
        size = self.config.size
        return greedy_decode(
            self.decoder,
            self.encoder(planes),
            start_token(size),
            self.config.max_moves + 1,
            end_token(size),
            mask,
        )


# -- files ------------------------------------------------------------------------------
def save_pv_model(
    path: str | os.PathLike[str], model: PVModel, metadata: dict[str, Any] | None = None
) -> Path:
    """Write ``model`` (config, weights, metadata) atomically; return the path."""
    payload = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "config": model.config.to_dict(),
        "metadata": dict(metadata or {}),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, lambda handle: torch.save(payload, handle))
    return target


def load_pv_model(path: str | os.PathLike[str]) -> tuple[PVModel, dict[str, Any]]:
    """Read a PV model file (``torch.load(weights_only=True)``); return it (eval mode)
    and its metadata.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if the file is not a readable PV model of this format and version,
            or its tensors do not fit its config.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no PV model file {path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ValueError(
            f"{path} is not a safe PV model: torch.load refused it ({exc})"[:300]
        ) from None
    except Exception as exc:  # torch raises many kinds for foreign or broken files
        raise ValueError(f"{path} is not a readable PV model ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a zerogo PV model (no format {FORMAT!r} marker)")
    if payload.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} has PV model version {payload.get('version')!r}, "
            f"this code reads {FORMAT_VERSION}"
        )
    try:
        config = PVConfig.from_dict(payload["config"])
        model = PVModel(config)
        model.load_state_dict(payload["state_dict"], strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(
            f"{path}: the PV model does not fit its config ({str(exc).splitlines()[0][:200]})"
        ) from None
    return model.eval(), dict(payload.get("metadata") or {})


# -- data -------------------------------------------------------------------------------
def pv_tokens(pv: list[int] | np.ndarray, size: int, max_moves: int) -> np.ndarray:
    """Return int64 (max_moves + 1,) targets: the PV's first ``max_moves`` moves, END,
    then ``IGNORE`` padding."""
    moves = [int(a) for a in pv][:max_moves]
    out = np.full(max_moves + 1, IGNORE, dtype=np.int64)
    out[: len(moves)] = moves
    out[len(moves)] = end_token(size)
    return out


@dataclass
class PVData:
    """Positions with a recorded PV.

    Attributes:
        planes: uint8 (P, C, N, N) input planes (0/1).
        targets: int64 (P, max_moves + 1) target tokens (``pv_tokens``).
        game_ids: int64 (P,) the game of each position.
    """

    planes: np.ndarray
    targets: np.ndarray
    game_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.targets)


def load_pv_data(folder: str | os.PathLike[str], config: PVConfig) -> PVData:
    """Return every position with a PV in the shards of ``folder`` (board size
    ``config.size``; shards without PVs contribute nothing).

    Raises:
        ValueError: if a shard is unreadable.
    """
    size, feature_config = config.size, config.feature_config
    planes: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    ids: list[int] = []
    for path in list_shards(folder):
        arrays = read_shard(path)
        pvs = position_pvs(arrays)
        if pvs is None:
            continue
        offsets = arrays["game_offsets"]
        for g, game_id in enumerate(arrays["game_ids"]):
            lo, hi = int(offsets[g]), int(offsets[g + 1])
            if int(arrays["size"][g]) != size or hi == lo:
                continue
            keep = [i for i in range(lo, hi) if len(pvs[i])]
            if not keep:
                continue
            game_planes = features_from_moves(size, arrays["moves"][lo:hi], feature_config)
            planes.append(game_planes[np.array(keep) - lo].astype(np.uint8))
            targets.extend(pv_tokens(pvs[i], size, config.max_moves) for i in keep)
            ids.extend([int(game_id)] * len(keep))
    channels = feature_config.num_planes
    return PVData(
        np.concatenate(planes) if planes else np.zeros((0, channels, size, size), np.uint8),
        np.stack(targets) if targets else np.zeros((0, config.max_moves + 1), np.int64),
        np.array(ids, dtype=np.int64),
    )


def augment(
    planes: np.ndarray, targets: np.ndarray, ks: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return planes (B, C, N, N) and targets (B, L) under symmetry ``ks[b]`` each
    (``engine.symmetry``); pass, END and padding are unchanged."""
    planes = symmetry.apply_planes_each(planes, ks)
    out = targets.copy()
    moves = (targets >= 0) & (targets < size * size)
    for k in np.unique(ks):
        rows = ks == k
        table = symmetry.action_table(int(k), size)
        sub = out[rows]
        sub[moves[rows]] = table[sub[moves[rows]]]
        out[rows] = sub
    return planes, out


# -- metrics ----------------------------------------------------------------------------
def prefix_lengths(predicted: np.ndarray, targets: np.ndarray, size: int) -> np.ndarray:
    """Return, per row, how many leading moves of ``predicted`` equal the target PV's
    (END and padding are not moves; a prediction that ends early stops the count)."""
    end = end_token(size)
    lengths = np.zeros(len(targets), dtype=np.int64)
    for b, (guess, truth) in enumerate(zip(predicted, targets, strict=True)):
        n = 0
        for g, t in zip(guess, truth, strict=False):
            if t < 0 or t == end or g != t:
                break
            n += 1
        lengths[b] = n
    return lengths


# -- prediction -------------------------------------------------------------------------
@dataclass(frozen=True)
class PredictedPV:
    """A predicted variation: the moves (flat actions, ``color`` first, colours
    alternating) and the model's probability of each."""

    color: int
    moves: list[int]
    probabilities: list[float]


class PVPredictor:
    """Predicts a position's principal variation with a PV model, legal moves only.

    Args:
        model: the model (put in eval mode).
        max_moves: most moves to predict (default the model's).
    """

    def __init__(self, model: PVModel, max_moves: int | None = None) -> None:
        self.model = model.eval()
        self.config = model.config
        self.max_moves = max_moves or self.config.max_moves

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> PVPredictor:
        """Load a PV model file (see ``load_pv_model``, which names what it raises)."""
        model, _ = load_pv_model(path)
        return cls(model)

    @property
    def size(self) -> int:
        return self.config.size

    def predict(self, game: Game, color: int | None = None) -> PredictedPV:
        """Return the predicted variation of ``game``'s position with ``color`` to play
        (default: the colour to move); every move is legal when replayed in order.

        Raises:
            ValueError: if the board size is not the model's.
        """
        if game.size != self.size:
            raise ValueError(
                f"the PV model is for {self.size}x{self.size}, the game is {game.size}x{game.size}"
            )
        color = game.to_move if color is None else color
        view = game
        if color != game.to_move:
            view = copy.copy(game)
            view.board = game.board.copy()
            view.board.to_move = color
        planes = torch.from_numpy(features(view, self.config.feature_config)).unsqueeze(0)
        board = view.board.copy()
        end = end_token(self.size)
        probabilities: list[float] = []

        def legal_only(prefix: Tensor, logits: Tensor) -> Tensor:
            played = prefix.shape[1] - 1
            if played:
                last = int(prefix[0, -1])
                if last != end:
                    board.play(last, color if played % 2 == 1 else opponent(color))
            mover = color if played % 2 == 0 else opponent(color)
            allowed = np.zeros(self.config.vocab, dtype=bool)
            allowed[: self.size * self.size + 1] = board.legal_mask(mover)
            allowed[end] = True
            if played >= self.max_moves:
                allowed[:] = False
                allowed[end] = True
            masked = logits.masked_fill(~torch.from_numpy(allowed), float("-inf"))
            probabilities.append(float(torch.softmax(masked[0], -1).max()))
            return masked

        with torch.no_grad():
            tokens = self.model.decode(planes, legal_only)[0].tolist()
        moves = []
        for token in tokens:
            if token == end:
                break
            moves.append(int(token))
        return PredictedPV(color, moves, probabilities[: len(moves)])


def replays_legally(board: Board, color: int, moves: list[int]) -> bool:
    """Return True if ``moves`` (``color`` first, alternating) replay legally on a copy."""
    trial = board.copy()
    mover = color
    for action in moves:
        if not trial.is_legal(action, mover):
            return False
        trial.play(action, mover)
        mover = opponent(mover)
    return True


__all__ = [
    "DECODERS",
    "BoardEncoder",
    "PVConfig",
    "PVData",
    "PVModel",
    "PVPredictor",
    "PredictedPV",
    "augment",
    "end_token",
    "load_pv_data",
    "load_pv_model",
    "make_decoder",
    "prefix_lengths",
    "pv_tokens",
    "replays_legally",
    "save_pv_model",
    "start_token",
]
