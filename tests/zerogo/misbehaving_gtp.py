"""A tiny GTP engine that misbehaves on purpose: a test fixture of the match runner.

It passes on every ``genmove`` until the K-th one of a game (counted from
``clear_board``), where it does what ``--fault`` says:

=========  ===========================================================
fault      answer to the K-th and later ``genmove``
=========  ===========================================================
none       ``pass`` (a legal, well-behaved engine)
illegal    the vertex of the last move played, which is occupied
garbage    ``hello``, which is no vertex
crash      none: the process exits with status 3
sleep      ``pass`` after sleeping ``--sleep`` seconds
error      ``? I refuse``
resign     ``resign``
=========  ===========================================================

``final_score`` answers ``--score`` (so the fixture can play a referee that
disagrees).  ``fixed_handicap`` places 2 to 4 stones of the GTP pattern; the time
commands (``time_settings``, ``kgs-time_settings`` unless ``--no-kgs``,
``time_left``) are accepted.  With ``--log FILE`` every command line received is
appended to FILE (so tests can see what reached the engine).

Usage: python misbehaving_gtp.py [--fault KIND] [--at K] [--sleep S] [--score TEXT]
                                 [--log FILE] [--no-kgs]
"""

from __future__ import annotations

import argparse
import sys
import time

COMMANDS = (
    "protocol_version name version known_command list_commands quit boardsize "
    "clear_board komi play genmove final_score fixed_handicap time_settings "
    "kgs-time_settings time_left"
).split()
COLUMNS = "ABCDEFGHJKLMNOPQRST"


def fixed_handicap(size: int, stones: int) -> list[str]:
    """Return the GTP pattern's first ``stones`` (2 to 4) corner points on ``size``."""
    low = 2 if size < 12 else 3
    high = size - 1 - low
    corners = [(low, low), (high, high), (low, high), (high, low)]  # (column, row) from 0
    return [f"{COLUMNS[col]}{row + 1}" for col, row in corners[:stones]]


def main() -> int:
    """Serve GTP on stdin/stdout until ``quit`` or end of input."""
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--fault", default="none",
        choices=["none", "illegal", "garbage", "crash", "sleep", "error", "resign"],
    )
    parser.add_argument("--at", type=int, default=2, help="first misbehaving genmove of a game")
    parser.add_argument("--sleep", type=float, default=5.0)
    parser.add_argument("--score", default="B+100")
    parser.add_argument("--log", default=None, help="append every command received to this file")
    parser.add_argument("--no-kgs", action="store_true", help="do not know kgs-time_settings")
    args = parser.parse_args()
    commands = [c for c in COMMANDS if not (args.no_kgs and c == "kgs-time_settings")]
    genmoves = 0
    size = 19
    last_vertex = "A1"
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if args.log:
            with open(args.log, "a", encoding="utf-8") as log:
                log.write(line.strip() + "\n")
        command, rest = words[0], words[1:]
        status, answer = "=", ""
        if command == "name":
            answer = "Misbehaving"
        elif command == "version":
            answer = args.fault
        elif command == "protocol_version":
            answer = "2"
        elif command == "known_command":
            answer = "true" if rest and rest[0] in commands else "false"
        elif command == "list_commands":
            answer = "\n".join(commands)
        elif command == "boardsize" and rest and rest[0].isdigit():
            size = int(rest[0])
        elif command == "clear_board":
            genmoves = 0
        elif command == "fixed_handicap" and rest and rest[0] in ("2", "3", "4") and size >= 7:
            answer = " ".join(fixed_handicap(size, int(rest[0])))
        elif command == "play":
            if len(rest) == 2 and rest[1].lower() != "pass":
                last_vertex = rest[1]
        elif command == "final_score":
            answer = args.score
        elif command == "genmove":
            genmoves += 1
            answer = "pass"
            if genmoves >= args.at:
                if args.fault == "illegal":
                    answer = last_vertex
                elif args.fault == "garbage":
                    answer = "hello"
                elif args.fault == "crash":
                    return 3
                elif args.fault == "sleep":
                    time.sleep(args.sleep)
                elif args.fault == "error":
                    status, answer = "?", "I refuse"
                elif args.fault == "resign":
                    answer = "resign"
        elif command == "quit":
            sys.stdout.write("=\n\n")
            sys.stdout.flush()
            return 0
        elif command not in commands or command == "fixed_handicap":
            status, answer = "?", "unknown command"
        sys.stdout.write(f"{status} {answer}\n\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
