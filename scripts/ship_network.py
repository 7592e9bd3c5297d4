"""Copy the best network of a training run into the package as the shipped network.

The weights are exported without optimiser state (``nn.checkpoint.export_weights``)
to ``zerogo/networks/<preset>-<N>x<N>.pt`` and ``zerogo/networks/index.json`` records
its lineage: the run, the generation, the self-play games and hours it took, and
whether it is the default player for its size (``--default``: only when measured
stronger than pure MCTS at equal time; see BENCHMARKS.md).

    python scripts/ship_network.py runs/9x9-main [--default] [--note "..."]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from nn.checkpoint import export_weights, read_checkpoint

NETWORK_DIR = Path(__file__).resolve().parent.parent / "zerogo" / "networks"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run_dir", help="a run directory of zerogo train")
    parser.add_argument("--network", default=None, help="network name (default: the best)")
    parser.add_argument("--default", action="store_true", help="make it the default player")
    parser.add_argument("--note", default="", help="free text kept in the index")
    args = parser.parse_args()
    run_dir = Path(args.run_dir)
    state = json.loads((run_dir / "state.json").read_text())
    name = args.network or state["best"]
    source = run_dir / "networks" / f"{name}.pt"
    checkpoint = read_checkpoint(source)
    config = checkpoint.net_config
    size = config.board_size
    target = NETWORK_DIR / f"b{config.blocks}c{config.channels}-{size}x{size}.pt"
    NETWORK_DIR.mkdir(parents=True, exist_ok=True)
    export_weights(source, target)
    selfplay = [json.loads(line) for line in (run_dir / "selfplay.jsonl").read_text().splitlines()]
    history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    index_path = NETWORK_DIR / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    index[str(size)] = {
        "file": target.name,
        "default": bool(args.default),
        "network": name,
        "run": run_dir.name,
        "origin": "self-play from random initialisation (no supervised data)",
        "games_trained": int(checkpoint.metadata.get("games_trained", 0)),
        # games on disk (phases cut short by a kill are missing from the log's sums)
        "selfplay_games": max(
            [int(r.get("total_games", 0)) for r in selfplay] + [sum(r["games"] for r in selfplay)]
        ),
        "selfplay_hours_logged": round(sum(r["seconds"] for r in selfplay) / 3600, 2),
        "promotions": sum(1 for r in history if r.get("promoted")),
        "gating_decisions": len(history),
        "shipped": time.strftime("%Y-%m-%d %H:%M"),
        "note": args.note,
    }
    index_path.write_text(json.dumps(index, indent=2) + "\n")
    print(f"shipped {source} as {target} ({target.stat().st_size / 1e6:.1f} MB)")
    print(json.dumps(index[str(size)], indent=2))


if __name__ == "__main__":
    main()
