"""Run a benchmark command and keep its output as a record under benchmarks/records/.

  .venv/bin/python scripts/record.py playouts -- scripts/bench_playouts.sh 5
  .venv/bin/python scripts/record.py nn -- .venv/bin/zerogo bench nn --json

Every JSON object the command prints on stdout (one per line) is kept, with the
command line, the machine (CPU model and flags, cores, load average before and
after), the git commit (``+dirty`` with local changes), the date and the wall time,
in ``benchmarks/records/NAME.json``; a command that prints its report and then exits
non-zero (a resumable match stopped with Ctrl-C says so in its report) is kept with
its exit status.  A figure in BENCHMARKS.md names the record it
comes from; rerunning the command shown there rewrites the record.  Pause background
jobs first (``scripts/campaign.sh pause``): the record says what the load was.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def git_commit() -> str | None:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty.strip() else "")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="record name (benchmarks/records/NAME.json)")
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "records"))
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    if not command:
        print("record: no command after --", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    from nn.bench import machine_info

    before = machine_info()
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    results = []
    for line in done.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                results.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    sys.stdout.write(done.stdout)
    if not results:
        print(f"record: {args.name}: exit {done.returncode}, no JSON object; nothing written",
              file=sys.stderr)
        return done.returncode or 1
    record = {
        "name": args.name,
        "command": shlex.join(command),
        "results": results,
        "machine": before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "commit": git_commit(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "wall_seconds": round(wall, 1),
        "returncode": done.returncode,
    }
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.name}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"record: {out / (args.name + '.json')}", file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
