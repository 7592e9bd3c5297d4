"""Hostile and broken checkpoint files: refused with a one-line ``ValueError``, never run.

``hostile_checkpoints`` writes the cases (a data table: name, file, what the message
must say): pickles whose payload would run code (each would create a marker file),
truncated and empty files, a directory, foreign torch files, wrong shapes, configs
that ask for absurd networks, non-finite and sparse weights.
``tests/zerogo/test_cli_hostile.py`` gives the same files to the command line.
"""

from __future__ import annotations

import copy
import os
import pickle
from pathlib import Path
from typing import Any

import pytest
import torch

from nn.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from nn.go_net import GoNet, preset
from tests.nn import single_torch_thread  # noqa: F401 (autouse fixture)


class ShellPayload:
    """Unpickled, runs ``touch MARKER`` through ``os.system``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return os.system, (f"touch '{self.marker}'",)


class ExecPayload:
    """Unpickled, runs Python code (``exec``) that writes MARKER."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return exec, (f"open({str(self.marker)!r}, 'w').write('executed')",)


def good_checkpoint(path: Path, board_size: int = 9) -> Path:
    """Write a valid tiny checkpoint (b1c8, AlphaGo Zero's 17 planes) and return it."""
    torch.manual_seed(0)
    config = preset("b1c8", board_size=board_size)
    return save_checkpoint(path, GoNet(config).eval(), config)


def hostile_checkpoints(folder: Path, marker: Path) -> list[tuple[str, Path, str]]:
    """Write the hostile files into ``folder``; return (name, path, message pattern).

    A payload that ran would create ``marker``.
    """
    good = good_checkpoint(folder / "good.pt")
    payload = torch.load(good, weights_only=True)
    data = good.read_bytes()
    cases: list[tuple[str, Path, str]] = []

    def raw(name: str, content: bytes, message: str) -> None:
        path = folder / f"{name}.pt"
        path.write_bytes(content)
        cases.append((name, path, message))

    def saved(name: str, obj: object, message: str) -> None:
        path = folder / f"{name}.pt"
        torch.save(obj, path)
        cases.append((name, path, message))

    def tampered(name: str, message: str, **changes: Any) -> None:
        saved(name, {**copy.deepcopy(payload), **changes}, message)

    def config(**changes: Any) -> dict[str, Any]:
        return {**payload["net_config"], **changes}

    def tensors(**changes: torch.Tensor | None) -> dict[str, torch.Tensor]:
        out = dict(payload["state_dict"])
        for key, value in changes.items():
            key = key.replace("__", ".")
            if value is None:
                del out[key]
            else:
                out[key] = value
        return out

    unsafe = "not a safe zerogo checkpoint: torch.load with weights_only=True refused it"
    raw("code-pickle", pickle.dumps({"state_dict": ShellPayload(marker)}), unsafe)
    saved("code-torch", {**payload, "metadata": ShellPayload(marker)},
          f"{unsafe} .UnpicklingError: it asks for GLOBAL posix.system")
    saved("code-exec", {**payload, "state_dict": {"x": ExecPayload(marker)}},
          f"{unsafe} .UnpicklingError: it asks for GLOBAL exec")
    raw("truncated", data[: len(data) // 2], "truncated or corrupt")
    raw("truncated-header", data[:100], "truncated or corrupt")
    raw("empty", b"", "is empty, not a checkpoint")
    raw("garbage", bytes(range(256)) * 64, "not a safe zerogo checkpoint")
    raw("text", b"# just some notes\n" * 100, "not a safe zerogo checkpoint")
    (folder / "folder.pt").mkdir()
    cases.append(("directory", folder / "folder.pt", "is a directory, not a checkpoint file"))
    saved("list", [1, 2, 3], "not a zerogo checkpoint .no format")
    saved("bare-state-dict", payload["state_dict"], "not a zerogo checkpoint .no format")
    tampered("version", "format version 99", version=99)
    tampered("wrong-shape", r"do not fit its network config b1c8: .*shape \['stem.conv.weight'\]",
             state_dict=tensors(stem__conv__weight=torch.zeros(3, 3)))
    tampered("missing-tensor", r"do not fit .*missing \['stem.conv.weight'\]",
             state_dict=tensors(stem__conv__weight=None))
    tampered("extra-tensor", r"do not fit .*unexpected \['trojan'\]",
             state_dict={**payload["state_dict"], "trojan": torch.zeros(1)})
    tampered("other-board-size", "do not fit .*wrong shape",
             net_config=config(board_size=13))
    tampered("huge-blocks", "do not fit .*1000000000 blocks", net_config=config(blocks=10**9))
    tampered("huge-channels", "do not fit its network config b1c1000000",
             net_config=config(channels=10**6))
    tampered("board-size-1000", "invalid config: board_size must be at most 19",
             net_config=config(board_size=1000))
    tampered("unknown-config-key", "invalid config: unknown network config keys",
             net_config=config(exec="os.system"))
    tampered("config-not-dict", "invalid config", net_config="b6c64")
    tampered("unknown-norm", "invalid config: unknown norm", net_config=config(norm="eval"))
    tampered("feature-planes", "8 planes, network expects 17",
             feature_config={"history": 3, "extra": ["ones"]})
    tampered("metadata", "unreadable metadata", metadata="{not json")
    tampered("nan-weights", "tensor 'stem.conv.weight' holds NaN or infinite weights",
             state_dict=tensors(stem__conv__weight=payload["state_dict"]["stem.conv.weight"]
                                * float("nan")))
    tampered("sparse-weights", "tensor 'stem.conv.weight' is not dense",
             state_dict=tensors(stem__conv__weight=payload["state_dict"]["stem.conv.weight"]
                                .to_sparse()))
    return cases


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[tuple[str, Path, str]], Path]:
    folder = tmp_path_factory.mktemp("hostile-checkpoints")
    marker = folder / "MARKER"
    return hostile_checkpoints(folder, marker), marker


def test_each_hostile_file_is_refused_naming_the_problem(
    hostile: tuple[list[tuple[str, Path, str]], Path]
) -> None:
    cases, marker = hostile
    assert len(cases) >= 25
    for name, path, message in cases:
        with pytest.raises(ValueError, match=message) as caught:
            read_checkpoint(path)
        assert "\n" not in str(caught.value), name
        assert "weights_only=False" not in str(caught.value), name  # no advice to run it
        with pytest.raises(ValueError, match=message):
            load_checkpoint(path)
    assert not marker.exists(), "a payload ran"


def test_pipes_and_devices_are_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.pt"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(ValueError, match="is not a regular file, not a checkpoint"):
            read_checkpoint(path)
    with pytest.raises(FileNotFoundError):
        read_checkpoint(tmp_path / "missing.pt")


def test_the_payloads_are_live(tmp_path: Path) -> None:
    """The payloads do run when unpickled unsafely: the tests above would notice."""
    for payload in (ShellPayload(tmp_path / "shell"), ExecPayload(tmp_path / "exec")):
        path = tmp_path / "live.pt"
        torch.save({"x": payload}, path)
        torch.load(path, weights_only=False)
    assert (tmp_path / "shell").exists() and (tmp_path / "exec").exists()


def test_the_good_file_of_the_table_loads(tmp_path: Path) -> None:
    model, config, _ = load_checkpoint(good_checkpoint(tmp_path / "good.pt"))
    assert config.name == "b1c8" and not model.training
