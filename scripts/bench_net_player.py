"""How well ``zerogo gtp --player net`` uses its time: tree visits per second in
analysis and in genmove, against the bare network benchmark at the same batch size.

  .venv/bin/python scripts/bench_net_player.py --threads 2 --seconds 8 --repeat 3 \
      --out benchmarks/net_player.json

It starts the engine as a user would (a GTP subprocess), plays ``play b E5`` on 9x9,
streams ``kata-analyze w 50 rootInfo true`` for ``--seconds`` and reads the root's
visits line by line, then asks for ``--moves`` moves with ``kata-genmove_analyze``
(the search of ``genmove``, with its lines shown).  New visits per second (after the
first line, so reused subtrees do not count) are compared with ``zerogo bench nn`` at
the search's own mean batch size (read with ``zerogo-search_stats``; at most 16, the
player's ``leaves_per_step``) and at 16, with the same threads, backend and dtype, run
right after in the same command.  ``zerogo-search_stats`` also gives the player's own
network time: the share of the search's wall time spent in network calls, and the
evaluations per second inside those calls.  Two-thread runs on a small VM vary by
+-15% from one run to the next, so ``--repeat 3`` measures three times in turn and
keeps the medians.  Pause other jobs first (``scripts/campaign.sh pause``); the
record notes the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VISITS = re.compile(rb"rootInfo visits (\d+)")


def machine() -> dict[str, object]:
    from nn.bench import machine_info

    return machine_info()


class Engine:
    def __init__(self, argv: list[str]) -> None:
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def readline(self) -> bytes:
        assert self.process.stdout is not None
        return self.process.stdout.readline()

    def command(self, line: str) -> str:
        self.send(line)
        out = []
        while True:
            text = self.readline()
            if not text:
                raise RuntimeError(f"engine died on {line!r}")
            if text.strip() == b"" and out:
                return b"".join(out).decode()
            if text.strip():
                out.append(text)

    def stream(self, line: str, seconds: float | None) -> list[tuple[float, int]]:
        """Send an analysis command; return (time, root visits) of each line until
        ``seconds`` pass (then stop it) or the command ends by itself (genmove)."""
        self.send(line)
        points: list[tuple[float, int]] = []
        start = time.monotonic()
        stopped = False
        while True:
            text = self.readline()
            if not text:
                raise RuntimeError("engine died while analysing")
            match = VISITS.search(text)
            if match:
                points.append((time.monotonic() - start, int(match.group(1))))
            if text.startswith(b"play ") or (stopped and text.strip() == b""):
                break
            if seconds is not None and not stopped and time.monotonic() - start >= seconds:
                self.send("name")  # any command ends the stream
                stopped = True
        # after a genmove_analyze's "play" line, the blank line that closes the answer
        if not stopped:
            self.readline()
        else:
            while self.readline().strip() != b"":  # the answer to "name"
                pass
        return points


def player_backend(extra: str) -> str:
    """The ``zerogo bench nn --backend`` spec of what the player evaluates with: the
    shipped network's fast form (``NAME@FILE``) where the player takes it, else the
    runtime its ``--backend`` (in ``extra``, else the players' default) resolves to."""
    sys.path.insert(0, str(ROOT))
    from nn.backends import resolve_backend
    from zerogo.players import DEFAULT_BACKEND, fast_network

    words = shlex.split(extra)
    backend = words[words.index("--backend") + 1] if "--backend" in words else DEFAULT_BACKEND
    fast = fast_network(9, backend)
    return f"openvino@{fast}" if fast is not None else resolve_backend(backend)


def rate(points: list[tuple[float, int]]) -> float | None:
    """New visits per second between the first and the last line."""
    if len(points) < 2 or points[-1][0] <= points[0][0]:
        return None
    return (points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8.0, help="analysis seconds")
    parser.add_argument("--moves", type=int, default=6, help="genmoves at --move-seconds")
    parser.add_argument("--move-seconds", type=float, default=1.0)
    parser.add_argument("--extra", default="", help="more flags for zerogo gtp (e.g. --backend)")
    parser.add_argument("--bench-backend", default=None,
                        help="backend[:dtype] for zerogo bench nn (default: the player's)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure this many times (player, then bare network, in turn); "
                        "the record keeps every run and the median shares")
    parser.add_argument("--out", default=None, help="write the JSON record here")
    args = parser.parse_args(argv)
    runs = [measure(args) for _ in range(max(1, args.repeat))]
    if len(runs) == 1:
        record = runs[0]
    else:
        keys = ("analysis_share", "genmove_share", "analysis_visits_per_second",
                "genmove_visits_per_second", "in_player_evals_per_second",
                "bench_evals_per_second_batch16", "analysis_network_time_share",
                "genmove_seconds_mean", "analysis_mean_batch", "genmove_mean_batch")
        record = {"command": runs[0]["command"], "bench_command": runs[0]["bench_command"],
                  "runs": runs, "machine": machine()}
        for key in keys:
            values = [run[key] for run in runs if run.get(key) is not None]
            record[f"median_{key}"] = statistics.median(values) if values else None
    text = json.dumps(record, indent=1)
    print(json.dumps(brief(record)))
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


def brief(record: dict) -> dict:
    """``record`` without the line-by-line detail (what stdout and ``record.py`` keep)."""
    out = {k: v for k, v in record.items() if k not in ("analysis_lines", "genmoves", "runs")}
    if "runs" in record:
        out["runs"] = [brief(run) for run in record["runs"]]
    return out


def measure(args: argparse.Namespace) -> dict:
    """One measurement: the player streaming and moving, then the bare network."""
    python = sys.executable
    argv_engine = [python, "-m", "zerogo", "gtp", "--player", "net", "--threads",
                   str(args.threads), "--seconds", str(args.move_seconds),
                   *shlex.split(args.extra)]
    load_before = [round(x, 2) for x in os.getloadavg()]
    engine = Engine(argv_engine)
    for line in ("boardsize 9", "clear_board", "komi 7.5", "play b E5"):
        engine.command(line)
    engine.stream("kata-analyze w 50 rootInfo true", 1.5)  # warm-up
    engine.command("clear_board")
    engine.command("play b E5")
    at_start = search_stats(engine)
    analysis = engine.stream("kata-analyze w 50 rootInfo true", args.seconds)
    after_analysis = search_stats(engine)
    genmoves = []
    color = "w"
    for _ in range(args.moves):
        start = time.monotonic()
        points = engine.stream(f"kata-genmove_analyze {color} 20 rootInfo true", None)
        genmoves.append({"seconds": round(time.monotonic() - start, 3),
                         "visits_per_second": rate(points),
                         "visits": points[-1][1] if points else None})
        color = "b" if color == "w" else "w"
    after_genmoves = search_stats(engine)
    engine.send("quit")
    engine.process.wait(timeout=10)
    analysis_batch = per(at_start, after_analysis, "evaluated", "network_calls")
    genmove_batch = per(after_analysis, after_genmoves, "evaluated", "network_calls")

    # the bare network at the batch sizes the search used (rounded) and at 16
    sizes = sorted({16, *(max(1, round(b)) for b in (analysis_batch, genmove_batch) if b)})
    bench_argv = [python, "-m", "zerogo", "bench", "nn", "--weights",
                  str(ROOT / "zerogo" / "networks" / "b6c64-9x9.pt"), "--batch-sizes",
                  *map(str, sizes), "--threads", str(args.threads), "--rounds", "3", "--json"]
    bench_argv += ["--backend", args.bench_backend or player_backend(args.extra)]
    bench = json.loads(subprocess.run(bench_argv, capture_output=True, text=True,
                                      check=True).stdout.strip().splitlines()[-1])
    bare = _evals_at(bench, 16)
    analysis_bare = _evals_at(bench, max(1, round(analysis_batch))) if analysis_batch else None
    genmove_bare = _evals_at(bench, max(1, round(genmove_batch))) if genmove_batch else None
    analysis_rate = rate(analysis[1:])  # after the first line
    move_rates = [g["visits_per_second"] for g in genmoves if g["visits_per_second"]]
    genmove_rate = sum(move_rates) / len(move_rates) if move_rates else None
    record = {
        "command": shlex.join(argv_engine),
        "bench_command": shlex.join(bench_argv),
        "analysis_visits_per_second": analysis_rate,
        "genmove_visits_per_second": genmove_rate,
        "genmove_seconds_mean": sum(g["seconds"] for g in genmoves) / max(len(genmoves), 1),
        "analysis_mean_batch": analysis_batch,
        "genmove_mean_batch": genmove_batch,
        "collisions_per_simulation": per(at_start, after_genmoves, "collisions", "simulations"),
        # the player's own network calls: evals/s inside its calls (what the bare
        # benchmark measures apart) and the share of the search's wall time they took
        "in_player_evals_per_second": per(at_start, after_genmoves, "evaluated",
                                          "network_seconds"),
        "analysis_network_time_share": (after_analysis["network_seconds"]
                                        - at_start["network_seconds"]) / args.seconds,
        "bench_evals_per_second_batch16": bare,
        "bench_evals_per_second_at_analysis_batch": analysis_bare,
        "bench_evals_per_second_at_genmove_batch": genmove_bare,
        # the measure: the player's visits/s over the bare network's evals/s at
        # the search's own mean batch size
        "analysis_share": ratio(analysis_rate, analysis_bare),
        "genmove_share": ratio(genmove_rate, genmove_bare),
        "analysis_share_of_batch16": ratio(analysis_rate, bare),
        "genmove_share_of_batch16": ratio(genmove_rate, bare),
        "analysis_lines": analysis,
        "genmoves": genmoves,
        "machine": machine(),
        "load_average_before": load_before,
        "date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }
    return record


def search_stats(engine: Engine) -> dict[str, float]:
    """The engine's ``zerogo-search_stats`` counters."""
    words = engine.command("zerogo-search_stats").split()[1:]  # after "="
    return {name: float(value) for name, value in zip(words[::2], words[1::2], strict=True)}


def per(before: dict[str, float], after: dict[str, float], counter: str,
        per_counter: str) -> float | None:
    """How much ``counter`` grew per unit of ``per_counter``'s growth between two
    ``search_stats`` readings (None when the latter did not grow)."""
    unit = after[per_counter] - before[per_counter]
    return (after[counter] - before[counter]) / unit if unit > 0 else None


def ratio(value: float | None, base: float | None) -> float | None:
    """``value / base``, or None when either is missing or zero."""
    return value / base if value and base else None


def _evals_at(bench: dict, batch: int) -> float | None:
    """Find evals/s at ``batch`` in a ``zerogo bench nn`` record (one or several backends)."""
    for backend in bench.get("backends") or []:  # several backends: the first one's
        for row in backend.get("batches", []):
            if row.get("batch") == batch:
                return float(row["evals_per_s"])
    for key in ("results", "batches", "by_batch"):
        rows = bench.get(key)
        if isinstance(rows, list):
            for row in rows:
                if row.get("batch") == batch or row.get("batch_size") == batch:
                    return float(row.get("evals_per_second") or row.get("evals_per_s"))
    text = json.dumps(bench)
    match = re.search(rf'"batch(?:_size)?": {batch}, "evals_per_(?:second|s)": ([0-9.]+)', text)
    return float(match.group(1)) if match else None


if __name__ == "__main__":
    raise SystemExit(main())
