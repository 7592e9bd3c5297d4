"""The Go Text Protocol (version 2) on the wire: lines in, answers out, arguments read.

This module knows nothing of games or players; ``zerogo.gtp.GtpEngine`` uses it to
turn a raw input line into a command and a handler's result into answer bytes.
Start reading at ``preprocess``, ``split_id`` and ``format_answer``, the three
steps every line goes through:

* ``preprocess``: control characters other than HT and LF (and DEL) are dropped,
  a ``#`` comment is removed, HT becomes a space, surrounding space goes;
* ``split_id``: an optional leading id (decimal digits) is split off, and
  ``split_words`` cuts the rest at spaces (only spaces: HT is one by then);
* ``format_answer``: ``=[id] response\\n\\n`` or ``?[id] message\\n\\n``.

The argument parsers below them (``parse_int_arg``, ``parse_color_arg`` ...)
raise ``GtpFailure`` with the message the controller receives after ``?``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from engine import coords
from engine.board import parse_color

MAX_TIME_SECONDS = 10**9

ID_PATTERN = re.compile(r"[0-9]+")
INT_PATTERN = re.compile(r"[+-]?[0-9]{1,15}")
FLOAT_PATTERN = re.compile(r"[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")
# Bytes removed by preprocessing: every control character except HT and LF, and DEL.
CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10)) + b"\x7f"


class GtpFailure(Exception):
    """A command that fails; the message is sent after ``?``."""


# A command's handler: takes the arguments, returns the response (raises GtpFailure).
Handler = Callable[[list[str]], str]
# A streamed command's handler: takes the arguments and the id, writes its own answer.
StreamHandler = Callable[[list[str], str], None]


# -- lines and answers -----------------------------------------------------------------
def preprocess(raw: bytes) -> bytes:
    """Return ``raw`` preprocessed as the specification says (empty: ignore the line).

    Control characters other than HT and LF, and DEL, are dropped; everything from
    the first ``#`` on is removed; HT becomes a space; surrounding white space goes.
    """
    return raw.translate(None, CONTROL_BYTES).split(b"#", 1)[0].replace(b"\t", b" ").strip()


def split_id(text: str) -> tuple[str, str]:
    """Return ``(id, rest)`` of a preprocessed command line (id "" when absent)."""
    head, _, rest = text.partition(" ")
    if ID_PATTERN.fullmatch(head):
        return head, rest.strip(" ")
    return "", text


def split_words(text: str) -> list[str]:
    """Return the words of a command line: separated by spaces, as GTP says.

    Other white space (a no-break space in a file name, U+0085 ...) stays inside
    its word; ``str.split()`` would cut there, and read U+0085 then ``quit`` as quit.
    """
    return [word for word in text.split(" ") if word]


def format_answer(success: bool, ident: str, body: str) -> bytes:
    """Return the bytes of a GTP answer; no line of the body is left empty.

    Args:
        success: True for ``=`` (the body may span lines), False for ``?`` (the
            message is joined into one line).
        ident: the command's id, or "".
        body: the response or the error message.

    Returns:
        The answer, ending with its blank line.
    """
    if success:
        first, *rest = body.rstrip().split("\n")
        body = "\n".join([first.rstrip(), *(line.rstrip() or " " for line in rest)])
    else:
        body = " ".join(body.split())
    return f"{'=' if success else '?'}{ident} {body}\n\n".encode()


# -- arguments -------------------------------------------------------------------------
def expect_arg_count(args: list[str], count: int, usage: str) -> None:
    """Check that a command got exactly ``count`` arguments.

    Raises:
        GtpFailure: ``syntax error: usage USAGE`` otherwise.
    """
    if len(args) != count:
        raise GtpFailure(f"syntax error: usage {usage}")


def parse_int_arg(text: str, what: str) -> int:
    """Return the integer ``text`` (at most 15 digits, optional sign).

    Raises:
        GtpFailure: when ``text`` is no such integer; ``what`` names it.
    """
    if not INT_PATTERN.fullmatch(text):
        raise GtpFailure(f"{what} not an integer or out of range")
    return int(text)


def parse_time_arg(text: str) -> int:
    """Return a time value (seconds or stones) of the time commands.

    Raises:
        GtpFailure: when ``text`` is no integer from 0 to ``MAX_TIME_SECONDS``.
    """
    value = parse_int_arg(text, "time value")
    if not 0 <= value <= MAX_TIME_SECONDS:
        raise GtpFailure(f"time value out of range (0 to {MAX_TIME_SECONDS})")
    return value


def is_color_arg(text: str) -> bool:
    """Return whether ``text`` names a colour (``b``, ``w``, ``black``, ``white``, any case)."""
    return text.lower() in ("b", "w", "black", "white")


def parse_color_arg(text: str) -> int:
    """Return the colour (``BLACK`` or ``WHITE``) that ``text`` names.

    Raises:
        GtpFailure: ``invalid color`` for anything else.
    """
    try:
        return parse_color(text)
    except ValueError:
        raise GtpFailure("invalid color") from None


def parse_vertex_arg(text: str, size: int, message: str = "invalid vertex") -> int:
    """Return the flat action of the GTP vertex ``text`` (pass is N*N) on ``size``.

    Raises:
        GtpFailure: ``MESSAGE TEXT`` when ``text`` is no vertex of the board.
    """
    try:
        return coords.from_gtp(text, size)
    except ValueError:
        raise GtpFailure(f"{message} {clip(text)}") from None


def clip(text: str, limit: int = 40) -> str:
    """Return ``text`` cut to ``limit`` characters for quoting in a message."""
    return text if len(text) <= limit else text[:limit] + "..."
