"""Copy the best network of a training run into the package as the shipped network.

The weights are exported without optimiser state (``nn.checkpoint.export_weights``)
to ``zerogo/networks/<preset>-<N>x<N>.pt`` (the run's preset, e.g.
``b6c64-pool3-score-opp-stv-9x9.pt``; ``b<blocks>c<channels>`` for runs that record
none) and ``zerogo/networks/index.json`` records its lineage: the run, the
generation, the self-play games and hours it took, its place on the fixed ladder
(the run's ``ladder.jsonl``) and whether it is the default player for its size
(``--default``: only when measured stronger than pure MCTS at equal time; see
BENCHMARKS.md) and the komi it plays at (``komi``: the run's, which its self-play,
gating and that match used; ``--player auto`` plays the network only at this komi).

When the run made an int8 form of the network for its self-play and that form passed
its check against float32 (``networks/<name>.int8.onnx`` with an accepted
``<name>.int8.json``, ``zerogo.selfplay_int8``), it is shipped beside the weights as
the index entry's ``fast`` form, which players on OpenVINO load instead.

    python scripts/ship_network.py runs/9x9-main [--network gen-0007] [--default] [--note "..."]
    python scripts/ship_network.py campaign/9x9/kata --note "..."

A network file the index no longer names (an earlier shipped network of another
preset) is left in place: other commands and the compression study may use it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

from nn.checkpoint import export_weights, read_checkpoint

ROOT = Path(__file__).resolve().parent.parent
NETWORK_DIR = ROOT / "zerogo" / "networks"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def until_network(records: list[dict[str, Any]], key: str, name: str) -> list[dict[str, Any]]:
    """The records of a run's journal written before network ``name`` took over (before
    the first whose ``key``, ``network`` in self-play and ``best`` in gating, is ``name``):
    the lineage of that network, not of whatever the run has done since.  All of them
    when none names it yet."""
    for index, record in enumerate(records):
        if record.get(key) == name:
            return records[:index]
    return records


def _run_name(run_dir: Path) -> str:
    """The run's folder relative to the repository when inside it, else its name."""
    try:
        return str(run_dir.resolve().relative_to(ROOT))
    except ValueError:
        return run_dir.name


def _pipeline(run_dir: Path) -> dict[str, Any]:
    """The run's settings (``pipeline.json``; empty for runs that recorded none)."""
    pipeline = run_dir / "pipeline.json"
    return json.loads(pipeline.read_text()) if pipeline.exists() else {}


def file_stem(run_dir: Path, blocks: int, channels: int) -> str:
    """The shipped file's stem before ``-<N>x<N>``: the run's preset, else b<B>c<C>."""
    preset = _pipeline(run_dir).get("preset")
    return str(preset) if preset else f"b{blocks}c{channels}"


def ladder_place(run_dir: Path, name: str) -> dict[str, Any] | None:
    """The network's latest placement on the fixed ladder, from the run's ``ladder.jsonl``."""
    places = [
        r for r in _jsonl(run_dir / "ladder.jsonl") if r.get("network", r.get("player")) == name
    ]
    if not places:
        return None
    last = places[-1]
    return {"elo": last["elo"], "low": last["low"], "high": last["high"],
            "games": last["games"], "visits": last.get("visits")}


def fast_form(run_dir: Path, name: str, target: Path) -> dict[str, Any] | None:
    """Copy the run's checked int8 form of ``name`` beside ``target``; its index entry."""
    onnx = run_dir / "networks" / f"{name}.int8.onnx"
    record_path = run_dir / "networks" / f"{name}.int8.json"
    if not onnx.exists() or not record_path.exists():
        return None
    record = json.loads(record_path.read_text())
    if not record.get("accepted"):
        return None
    fast = target.with_name(f"{target.stem}-int8.onnx")
    shutil.copyfile(onnx, fast)
    return {
        "file": fast.name,
        "form": "int8 (trunk convolutions int8, residual additions and heads in float; "
                "calibrated on the run's self-play positions, zerogo.selfplay_int8)",
        "agreement_top1": record["top1_agreement"],
        "check_positions": record["check_positions"],
        "used_when": "--backend auto (the default) runs on OpenVINO",
    }


def ship(run_dir: Path, name: str | None = None, default: bool = False,
         note: str = "") -> tuple[Path, dict[str, Any]]:
    """Ship network ``name`` (default: the run's best); return its file and index entry."""
    state = json.loads((run_dir / "state.json").read_text())
    name = name or state["best"]
    source = run_dir / "networks" / f"{name}.pt"
    checkpoint = read_checkpoint(source)
    config = checkpoint.net_config
    size = config.board_size
    stem = file_stem(run_dir, config.blocks, config.channels)
    target = NETWORK_DIR / f"{stem}-{size}x{size}.pt"
    NETWORK_DIR.mkdir(parents=True, exist_ok=True)
    export_weights(source, target)
    selfplay = until_network(_jsonl(run_dir / "selfplay.jsonl"), "network", name)
    history = until_network(_jsonl(run_dir / "history.jsonl"), "best", name)
    entry: dict[str, Any] = {
        "file": target.name,
        "default": bool(default),
        "komi": run_komi(run_dir),
        "network": name,
        "run": _run_name(run_dir),
        "preset": stem,
        "features": list(checkpoint.feature_config.extra),
        "origin": "self-play from random initialisation (no supervised data)",
        "games_trained": int(checkpoint.metadata.get("games_trained", 0)),
        # games on disk (phases cut short by a kill are missing from the log's sums)
        # (a restarted run's total_games counts the games it inherited)
        "selfplay_games": max(
            [int(r.get("total_games", 0)) for r in selfplay] + [sum(r["games"] for r in selfplay)]
        ),
        "selfplay_hours_logged": round(sum(r["seconds"] for r in selfplay) / 3600, 2),
        "promotions": sum(1 for r in history if r.get("promoted")),
        "gating_decisions": len(history),
        "shipped": time.strftime("%Y-%m-%d %H:%M"),
        "note": note,
    }
    if history and "cpu_seconds" in history[-1]:  # the run's CPU when it made the network
        entry["campaign_cpu_hours"] = round(float(history[-1]["cpu_seconds"]) / 3600, 3)
    elif "cpu_seconds" in state:
        entry["campaign_cpu_hours"] = round(sum(state["cpu_seconds"].values()) / 3600, 3)
    place = ladder_place(run_dir, name)
    if place is not None:
        entry["ladder"] = place
    fast = fast_form(run_dir, name, target)
    if fast is not None:
        entry["fast"] = fast
    index_path = NETWORK_DIR / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    index[str(size)] = entry
    tmp = index_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(index, indent=2) + "\n")
    tmp.replace(index_path)
    return target, entry


def run_komi(run_dir: Path) -> float:
    """Return the komi a run's self-play used (its ``pipeline.json``; 7.5 if unrecorded)."""
    config = _pipeline(run_dir)
    return float(config.get("selfplay", {}).get("komi", config.get("komi", 7.5)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run_dir", help="a run directory of zerogo train")
    parser.add_argument("--network", default=None, help="network name (default: the best)")
    parser.add_argument("--default", action="store_true", help="make it the default player")
    parser.add_argument("--note", default="", help="free text kept in the index")
    args = parser.parse_args()
    target, entry = ship(Path(args.run_dir), args.network, args.default, args.note)
    print(f"shipped {args.run_dir} {entry['network']} as {target} "
          f"({target.stat().st_size / 1e6:.1f} MB)")
    print(json.dumps(entry, indent=2))


if __name__ == "__main__":
    main()
