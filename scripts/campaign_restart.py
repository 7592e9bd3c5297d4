"""Restart the campaign on a new network without throwing away what it has played.

When the equal-CPU comparison picks a new architecture or new input planes, the
campaign restarts on the winner (issue 9, section 3).  A plain restart would drop the
old run's self-play games and the CPU-hours that made them; this one keeps both:

* the old run's shards (every finished game, as moves and search targets; input planes
  are recomputed from the moves, so a network with other planes trains on them) are
  copied into the new run's ``shards/``, and its ``lineage.jsonl`` with the network
  names prefixed by the old run's folder (``run/gen-0003``), so they never read as the
  new run's own;
* the new run starts from ``--init`` (the winner's network) with those games already on
  disk, so its first training phase learns from all of them before any new self-play;
* ``state.json`` counts the old run's CPU-seconds and those that made ``--init`` (read
  from the ``state.json`` of the run it came from, if any) as one ``inherited`` phase,
  so the campaign's CPU-hours, its log and its plot go on adding up; the details are in
  the new run's ``inherited.json``.

    scripts/campaign.sh restart campaign/9x9/run   # what campaign.sh runs:
    .venv/bin/python scripts/campaign_restart.py --from campaign/9x9/run \\
        --run-dir campaign/9x9/kata --init campaign/variants9/best/networks/gen-0003.pt \\
        -- --scheme gumbel-kata-pcr --size 9 ...   # zerogo train's flags for the new run

Safe to rerun after an interruption (copies are idempotent, the state is written
last); refuses a new run directory that already has a state, and an old run with
uncompacted journals (stop it cleanly first: ``scripts/campaign.sh stop``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run_cpu_seconds(run_dir: Path) -> dict[str, float]:
    """CPU-seconds per phase in ``run_dir/state.json`` ({} when there is none)."""
    path = run_dir / "state.json"
    if not path.exists():
        return {}
    return {k: float(v) for k, v in json.loads(path.read_text()).get("cpu_seconds", {}).items()}


def copy_shards(old: Path, new: Path) -> tuple[int, int]:
    """Copy ``old/shards`` into ``new/shards`` (lineage prefixed); return (shards, games)."""
    from selfplay.journal import list_journals
    from selfplay.shards import list_shards, read_shard

    source = old / "shards"
    if list_journals(source):
        raise SystemExit(
            f"{source} has worker journals (a run killed mid-game): compact them first by "
            "resuming and stopping it cleanly (scripts/campaign.sh stop)"
        )
    target = new / "shards"
    target.mkdir(parents=True, exist_ok=True)
    shards = list_shards(source)
    games = 0
    for path in shards:
        if not (target / path.name).exists():
            partial = target / f".tmp-{path.name}"
            shutil.copyfile(path, partial)
            partial.replace(target / path.name)
        games += len(read_shard(path)["game_ids"])
    lines = []
    lineage = source / "lineage.jsonl"
    if lineage.exists():
        for line in lineage.read_text().splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            record["networks"] = [f"{old.name}/{name}" for name in record.get("networks", [])]
            record["inherited_from"] = str(old)
            lines.append(json.dumps(record))
    (target / "lineage.jsonl").write_text("".join(f"{line}\n" for line in lines))
    return len(shards), games


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        usage="%(prog)s --from OLD_RUN --run-dir NEW_RUN --init NETWORK -- TRAIN_FLAGS...",
    )
    parser.add_argument("--from", dest="old", required=True, type=Path, help="the old run")
    parser.add_argument("--run-dir", required=True, type=Path, help="the new run (created)")
    parser.add_argument("--init", required=True, type=Path, help="the new run's first network")
    parser.add_argument(
        "--init-cpu-hours",
        type=float,
        default=None,
        help="CPU-hours that made --init (default: the summed cpu_seconds of the run "
        "directory it lies in, two folders up; 0 where there is none)",
    )
    parser.add_argument("--note", default="", help="why the campaign restarts (kept)")
    parser.add_argument("train_flags", nargs="*", help="zerogo train's flags for the new run")
    args = parser.parse_args(argv)

    from zerogo import train as train_cli
    from zerogo.pipeline import Pipeline

    new: Path = args.run_dir
    if (new / "state.json").exists():
        print(f"{new} already has a state: the restart was done (scripts/campaign.sh start)")
        return 2
    old_cpu = run_cpu_seconds(args.old)
    if not old_cpu:
        print(f"{args.old} is not a run directory (no state.json)")
        return 2
    if args.init_cpu_hours is None:
        init_cpu = sum(run_cpu_seconds(args.init.resolve().parent.parent).values())
    else:
        init_cpu = args.init_cpu_hours * 3600
    shards, games = copy_shards(args.old, new)

    train_parser = argparse.ArgumentParser(prog="zerogo train")
    train_cli.add_arguments(train_parser)
    train_args = train_parser.parse_args(
        ["--run-dir", str(new), "--init", str(args.init), *args.train_flags]
    )
    config = train_cli.build_config(train_args)
    old_state = json.loads((args.old / "state.json").read_text())
    record: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "from_run": str(args.old),
        "from_best": old_state.get("best"),
        "games": games,
        "shards": shards,
        "run_cpu_seconds": old_cpu,
        "init": str(args.init),
        "init_cpu_seconds": round(init_cpu, 2),
        "note": args.note,
    }
    (new / "inherited.json").write_text(json.dumps(record, indent=2) + "\n")
    pipeline = Pipeline(new, config, log=print)
    state = pipeline.initialise(args.init)
    state.cpu_seconds["inherited"] = round(sum(old_cpu.values()) + init_cpu, 2)
    state.save(pipeline.state_path)
    print(
        f"{new}: {games} games in {shards} shards from {args.old}, first network from "
        f"{args.init}; inherited {state.cpu_seconds['inherited'] / 3600:.3f} CPU-hours "
        f"({sum(old_cpu.values()) / 3600:.3f} of the old run, {init_cpu / 3600:.3f} that "
        f"made the first network). Next: scripts/campaign.sh start"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
