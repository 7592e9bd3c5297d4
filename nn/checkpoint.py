"""Checkpoint files: a network's weights with everything needed to rebuild and use it.

A checkpoint is a ``torch.save`` file holding one dict of plain data and tensors only,
so it is read with ``torch.load(..., weights_only=True)`` — nothing in it is ever
unpickled as code:

==================  ============================================================
key                 value
==================  ============================================================
format              ``"zerogo-checkpoint"``
version             ``FORMAT_VERSION`` (int)
net_config          ``NetConfig.to_dict()``
feature_config      ``{"history": int, "extra": [names]}`` (``engine.features``)
metadata            a JSON text: name, parent, games_trained, step, created
                    (ISO 8601, UTC) and whatever else the caller adds
state_dict          the model's tensors
optimizer_state     the optimizer's ``state_dict()``, or None
==================  ============================================================

So a checkpoint alone rebuilds its network (``load_checkpoint``) and its evaluator
(``nn.evaluator.TorchEvaluator.from_checkpoint``).  Files are written atomically
(a temporary file in the same directory, then ``os.replace``): a reader never sees
half a checkpoint.  ``export_weights`` drops the optimizer state for a small file to
ship.

A file read is checked before any network is built from it: its tensors must be
dense, finite and have exactly the names and shapes of ``GoNet(net_config)`` (found
on the meta device, so a config that asks for a huge network costs nothing).  Every
problem, from a truncated file to a pickle that would run code, is a
``CheckpointError`` (a ``ValueError``) with a one-line message.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch import nn as tnn

from engine.features import FeatureConfig
from nn.atomic import write_atomic
from nn.go_net import GoNet, NetConfig

FORMAT = "zerogo-checkpoint"
FORMAT_VERSION = 1
_KEYS = ("format", "version", "net_config", "feature_config", "metadata", "state_dict")


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the one-line message says why."""


@dataclass(frozen=True)
class Checkpoint:
    """The contents of a checkpoint file, validated.

    Attributes:
        net_config: the network's shape.
        feature_config: the input planes it was trained on.
        metadata: JSON-able dict (name, parent, games_trained, step, created, ...).
        state_dict: the model's tensors.
        optimizer_state: the optimizer's state dict, or None.
    """

    net_config: NetConfig
    feature_config: FeatureConfig
    metadata: dict[str, Any]
    state_dict: dict[str, Tensor] = field(repr=False)
    optimizer_state: dict[str, Any] | None = field(default=None, repr=False)

    def build_model(self) -> GoNet:
        """Return a new ``GoNet`` holding the checkpoint's weights (in eval mode).

        Raises:
            CheckpointError: (a ``ValueError``) if the weights do not fit the config.
        """
        model = GoNet(self.net_config)
        try:
            model.load_state_dict(self.state_dict, strict=True)
        except RuntimeError as exc:
            reason = " ".join(str(exc).split())[:300]  # one line
            raise CheckpointError(
                f"checkpoint weights do not fit its network config: {reason}"
            ) from None
        model.eval()
        return model


def feature_config_to_dict(config: FeatureConfig) -> dict[str, Any]:
    """Return ``config`` as a plain dict ``{"history": int, "extra": [names]}``."""
    return {"history": config.history, "extra": list(config.extra)}


def feature_config_from_dict(data: Any) -> FeatureConfig:
    """Rebuild a ``FeatureConfig`` from ``feature_config_to_dict``'s output.

    Raises:
        ValueError: if ``data`` is not such a dict or names invalid features.
    """
    if not isinstance(data, dict) or set(data) != {"history", "extra"}:
        raise ValueError(f"a feature config must be a dict of history and extra, not {data!r}")
    history, extra = data["history"], data["extra"]
    if not isinstance(history, int) or isinstance(history, bool):
        raise ValueError(f"feature history must be an integer, not {history!r}")
    if not isinstance(extra, (list, tuple)) or not all(isinstance(e, str) for e in extra):
        raise ValueError(f"feature extra must be a list of names, not {extra!r}")
    return FeatureConfig(history=history, extra=tuple(extra))


def save_checkpoint(
    path: str | os.PathLike[str],
    model: tnn.Module,
    config: NetConfig,
    extra: dict[str, Any] | None = None,
    optimizer_state: dict[str, Any] | None = None,
    *,
    feature_config: FeatureConfig | None = None,
) -> Path:
    """Write a checkpoint atomically.

    Args:
        path: the file to write (replaced if it exists; its directory must exist).
        model: the network; its ``state_dict()`` is saved (moved to the CPU).
        config: the network's config.
        extra: metadata, JSON-able with string keys, e.g. ``{"name": "gen-0012",
            "parent": "gen-0011", "games_trained": 25000, "step": 40000}``.
            Missing fields default to name = the file's stem, parent = None,
            games_trained = 0, step = 0, created = now (UTC).
        optimizer_state: an optimizer's ``state_dict()`` to resume training from.
        feature_config: the input planes; default ``FeatureConfig()`` (AlphaGo Zero's
            17 planes).

    Returns:
        The path written.

    Raises:
        ValueError: if the feature planes do not match ``config.in_planes``, the
            model's tensors are not those of ``GoNet(config)`` (e.g. a fused or
            compiled copy), the metadata is not JSON-able or the optimizer state
            holds anything but dicts, lists, tuples, scalars, strings and tensors
            (it could not be loaded with ``weights_only=True``).
    """
    path = Path(path)
    features = feature_config or FeatureConfig()
    if features.num_planes != config.in_planes:
        raise ValueError(
            f"feature config gives {features.num_planes} planes, network expects {config.in_planes}"
        )
    metadata: dict[str, Any] = {
        "name": path.stem,
        "parent": None,
        "games_trained": 0,
        "step": 0,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    metadata.update(extra or {})
    try:
        metadata_text = json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"checkpoint metadata is not JSON-able: {exc}") from None
    state_dict = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    _check_fits(state_dict, config)
    if optimizer_state is not None:
        _check_plain(optimizer_state, "optimizer_state")
    payload = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "net_config": config.to_dict(),
        "feature_config": feature_config_to_dict(features),
        "metadata": metadata_text,
        "state_dict": state_dict,
        "optimizer_state": optimizer_state,
    }
    _save_atomic(payload, path)
    return path


def read_checkpoint(path: str | os.PathLike[str], map_location: str = "cpu") -> Checkpoint:
    """Read and validate a checkpoint without building its network.

    Args:
        path: the file.
        map_location: device for its tensors (``torch.load``).

    Returns:
        The contents.

    Raises:
        FileNotFoundError: if there is no such file.
        CheckpointError: (a ``ValueError``) if the file is not a zerogo checkpoint
            (a directory, device or pipe, empty, not a torch file, truncated, holds
            anything but plain data and tensors, wrong format or version, missing
            keys, invalid configs or metadata, tensors that are sparse, not finite or
            do not fit the config).  The message is one line.
    """
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path} is a directory, not a checkpoint file")
    if not path.is_file():
        if path.exists():  # a pipe or a device: reading it might never end
            raise CheckpointError(f"{path} is not a regular file, not a checkpoint")
        raise FileNotFoundError(f"no checkpoint file {path}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path} is empty, not a checkpoint")
    try:
        with warnings.catch_warnings():  # e.g. about the pickle protocol of a foreign file
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:  # objects other than plain data: maybe code
        raise CheckpointError(
            f"{path} is not a safe zerogo checkpoint: torch.load with weights_only=True "
            f"refused it ({_torch_reason(exc)})"
        ) from None
    except Exception as exc:  # torch raises many kinds for foreign or broken files
        raise CheckpointError(
            f"{path} is not a safe zerogo checkpoint: not a readable torch file, truncated "
            f"or corrupt ({_torch_reason(exc)})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a zerogo checkpoint (no format {FORMAT!r} marker)"
        )
    missing = [key for key in _KEYS if key not in payload]
    if missing:
        raise CheckpointError(f"checkpoint {path} lacks {', '.join(missing)}")
    if payload["version"] != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format version {payload['version']!r}; "
            f"this code reads version {FORMAT_VERSION}"
        )
    try:
        net_config = NetConfig.from_dict(payload["net_config"])
        feature_config = feature_config_from_dict(payload["feature_config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} has an invalid config: {exc}") from None
    if feature_config.num_planes != net_config.in_planes:
        raise CheckpointError(
            f"checkpoint {path}: feature config gives {feature_config.num_planes} planes, "
            f"network expects {net_config.in_planes}"
        )
    try:
        metadata = json.loads(payload["metadata"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} has unreadable metadata: {exc}") from None
    if not isinstance(metadata, dict):
        raise CheckpointError(f"checkpoint {path}: metadata is not a JSON object")
    state_dict = payload["state_dict"]
    if not isinstance(state_dict, dict) or not all(
        isinstance(key, str) and isinstance(value, Tensor) for key, value in state_dict.items()
    ):
        raise CheckpointError(f"checkpoint {path}: state_dict is not a dict of tensors")
    _check_tensors(state_dict, net_config, path)
    optimizer_state = payload.get("optimizer_state")
    if optimizer_state is not None and not isinstance(optimizer_state, dict):
        raise CheckpointError(f"checkpoint {path}: optimizer_state is not a dict")
    return Checkpoint(net_config, feature_config, metadata, state_dict, optimizer_state)


def load_checkpoint(
    path: str | os.PathLike[str], map_location: str = "cpu"
) -> tuple[GoNet, NetConfig, dict[str, Any]]:
    """Rebuild the network of a checkpoint.

    Args:
        path: the file.
        map_location: device for the weights (the model is on it too).

    Returns:
        model: the ``GoNet`` with the saved weights, in eval mode.
        config: its ``NetConfig``.
        extra: the metadata dict plus ``"feature_config"``, the ``FeatureConfig``
            the network expects (use ``read_checkpoint`` for the optimizer state).

    Raises:
        FileNotFoundError: if there is no such file.
        CheckpointError: if the file is not a valid zerogo checkpoint (``read_checkpoint``)
            or its weights do not fit its config.
    """
    checkpoint = read_checkpoint(path, map_location)
    model = checkpoint.build_model().to(map_location)
    extra = dict(checkpoint.metadata)
    extra["feature_config"] = checkpoint.feature_config
    return model, checkpoint.net_config, extra


def export_weights(path_in: str | os.PathLike[str], path_out: str | os.PathLike[str]) -> Path:
    """Write a copy of a checkpoint without its optimizer state (the file to ship).

    Args:
        path_in: a checkpoint.
        path_out: where to write the copy (atomically; may equal ``path_in``).

    Returns:
        The path written.

    Raises:
        FileNotFoundError: if ``path_in`` does not exist.
        ValueError: if ``path_in`` is not a valid checkpoint.
    """
    checkpoint = read_checkpoint(path_in)
    checkpoint.build_model()  # the weights must fit before the file is trusted further
    payload = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "net_config": checkpoint.net_config.to_dict(),
        "feature_config": feature_config_to_dict(checkpoint.feature_config),
        "metadata": json.dumps(checkpoint.metadata, allow_nan=False),
        "state_dict": checkpoint.state_dict,
        "optimizer_state": None,
    }
    path_out = Path(path_out)
    _save_atomic(payload, path_out)
    return path_out


def _torch_reason(exc: Exception) -> str:
    """Return, on one line, what a ``torch.load`` error says was wrong.

    torch wraps the reason (``Unsupported global: GLOBAL posix.system ...``) in advice
    that includes loading with ``weights_only=False``; that advice is left out, since
    following it would run whatever code the file holds.
    """
    name = type(exc).__name__
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    found = re.search(r"GLOBAL ([\w.]+)", text)
    if found:
        return f"{name}: it asks for GLOBAL {found.group(1)}, code that unpickling would run"
    found = re.search(r"WeightsUnpickler error:\s*(.*)", text)  # the reason: its next line
    if found:
        text = found.group(1)
    elif text.startswith(("Weights only load failed", "In PyTorch")):
        return name
    first_sentence = re.split(r"(?<=\.)\s|\n", text.strip())[0].rstrip(".")
    return f"{name}: {first_sentence[:200]}" if first_sentence else name


def _check_tensors(state_dict: dict[str, Tensor], config: NetConfig, path: Path) -> None:
    """Check that ``state_dict`` holds dense, finite tensors that fit ``GoNet(config)``.

    Raises:
        CheckpointError: naming the first tensor that is sparse or not finite, or what
            does not fit the config.
    """
    for key, value in state_dict.items():
        if value.layout != torch.strided:
            raise CheckpointError(
                f"checkpoint {path}: tensor {key!r} is not dense ({value.layout})"
            )
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise CheckpointError(
                f"checkpoint {path}: tensor {key!r} holds NaN or infinite weights"
            )
    if config.blocks > len(state_dict):  # each block has tensors; spares meta-building a tower
        problem = f"{config.name}: {config.blocks} blocks but only {len(state_dict)} tensors"
    else:
        problem = _fit_problem(state_dict, config)
    if problem:
        raise CheckpointError(
            f"checkpoint {path}: weights do not fit its network config {problem}"
        )


def _check_fits(state_dict: dict[str, Tensor], config: NetConfig) -> None:
    """Check that ``state_dict`` has the names and shapes of ``GoNet(config)``'s tensors."""
    problem = _fit_problem(state_dict, config)
    if problem:
        raise ValueError(f"model does not match its config {problem}")


def _fit_problem(state_dict: dict[str, Tensor], config: NetConfig) -> str:
    """Return how ``state_dict`` differs from ``GoNet(config)``'s tensors ("" if it fits).

    The network is built on the meta device: no memory, whatever the config asks.
    """
    with torch.device("meta"):
        expected = {key: tuple(value.shape) for key, value in GoNet(config).state_dict().items()}
    actual = {key: tuple(value.shape) for key, value in state_dict.items()}
    if actual == expected:
        return ""
    missing = sorted(set(expected) - set(actual))[:3]
    unexpected = sorted(set(actual) - set(expected))[:3]
    reshaped = sorted(k for k in set(actual) & set(expected) if actual[k] != expected[k])[:3]
    return (f"{config.name}: missing {missing}, unexpected {unexpected}, "
            f"wrong shape {reshaped}")


_PLAIN_SCALARS = (str, int, float, bool, type(None), torch.Tensor)


def _check_plain(value: Any, where: str) -> None:
    """Check that ``value`` is nested dicts/lists/tuples of scalars, strings and tensors."""
    if isinstance(value, _PLAIN_SCALARS):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_plain(key, where)
            _check_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_plain(item, f"{where}[{index}]")
    else:
        raise ValueError(
            f"{where} holds a {type(value).__name__}, which a weights_only load refuses"
        )


def _save_atomic(payload: dict[str, Any], path: Path) -> None:
    """Write ``payload`` with ``torch.save`` atomically (``nn.atomic``)."""
    write_atomic(path, lambda file: torch.save(payload, file))


__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Checkpoint",
    "CheckpointError",
    "export_weights",
    "feature_config_from_dict",
    "feature_config_to_dict",
    "load_checkpoint",
    "read_checkpoint",
    "save_checkpoint",
]
