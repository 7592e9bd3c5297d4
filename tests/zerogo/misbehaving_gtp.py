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
disagrees).

Usage: python misbehaving_gtp.py [--fault KIND] [--at K] [--sleep S] [--score TEXT]
"""

from __future__ import annotations

import argparse
import sys
import time

COMMANDS = (
    "protocol_version name version known_command list_commands quit boardsize "
    "clear_board komi play genmove final_score"
).split()


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
    args = parser.parse_args()
    genmoves = 0
    last_vertex = "A1"
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command, rest = words[0], words[1:]
        status, answer = "=", ""
        if command == "name":
            answer = "Misbehaving"
        elif command == "version":
            answer = args.fault
        elif command == "protocol_version":
            answer = "2"
        elif command == "known_command":
            answer = "true" if rest and rest[0] in COMMANDS else "false"
        elif command == "list_commands":
            answer = "\n".join(COMMANDS)
        elif command == "clear_board":
            genmoves = 0
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
        elif command not in COMMANDS:
            status, answer = "?", "unknown command"
        sys.stdout.write(f"{status} {answer}\n\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
