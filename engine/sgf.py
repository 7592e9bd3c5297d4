"""SGF game records: load a ``Game`` from SGF and save one, through ``sgfmill.sgf``.

Only the main line (first variation) of a file is read.  Understood properties:
``SZ`` (square boards 2..19), ``KM``, ``HA``, ``AB``/``AW`` setup stones and ``PL``
in the nodes before the first move, ``B``/``W`` moves (``[]`` and ``[tt]`` are
passes), ``RE`` (the result, kept in ``game.result`` where it can be parsed),
``C`` comments of move nodes (``Move.comment``) and ``RU`` (New Zealand /
Tromp-Taylor rules allow suicide).

Every problem with the input is reported as ``SgfError`` (a ``ValueError``) whose
message names it; no other exception leaves ``load_sgf``.  Points use sgfmill's
``(row, col)`` convention with row 0 at the bottom, as ``engine.coords`` does.

Hostile input is refused before it costs much: files over ``MAX_SGF_BYTES`` (a
game record with commentary is a few kilobytes; parsing a megabyte of nodes takes
seconds), main lines over ``MAX_SGF_MOVES`` moves (each kept position costs
memory), and anything ``load_sgf_file`` is given that is not a regular file (a
directory, a pipe, ``/dev/zero``).
"""

from __future__ import annotations

import math
import os
import re
import stat
from importlib import metadata

from sgfmill import sgf

from engine import coords
from engine.board import BLACK, MAX_SIZE, MIN_SIZE, WHITE, IllegalMoveError, Rules
from engine.game import Game, Result

APPLICATION = "zerogo"
MAX_SGF_BYTES = 1 << 20
MAX_SGF_MOVES = 10_000
_SUICIDE_RULES = ("nz", "new zealand", "newzealand", "tromp-taylor", "tromp taylor", "tt", "aga")
_RESULT = re.compile(r"^([BW])\+(.*)$", re.IGNORECASE)
_WORDS = {"r": "resign", "resign": "resign", "t": "time", "time": "time",
          "f": "forfeit", "forfeit": "forfeit"}


class SgfError(ValueError):
    """An SGF file that cannot be loaded; the message says why."""


def load_sgf(data: bytes, rules: Rules | None = None, max_moves: int | None = None) -> Game:
    """Return the game recorded in SGF ``data`` (its main line).

    Args:
        data: the file's bytes (encoding from ``CA``, ISO-8859-1 by default).
        rules: rule options for the board; by default ``Rules()``, with suicide
            allowed when ``RU`` names New Zealand or Tromp-Taylor rules.
        max_moves: replay at most this many moves (GTP ``loadsgf`` stops early);
            the result is only kept when the whole record was replayed.

    Returns:
        A ``Game`` with size, komi, setup stones, colour to move, moves with their
        comments and, where ``RE`` can be parsed, ``result``.

    Raises:
        SgfError: for bad syntax, data over ``MAX_SGF_BYTES``, an unsupported size,
            bad komi or handicap, malformed or misplaced properties, a main line
            over ``MAX_SGF_MOVES`` moves, a setup stone on an occupied point or an
            illegal move (the message names the move number, vertex and reason).
    """
    try:
        return _load(data, rules, max_moves)
    except SgfError:
        raise
    except RecursionError:
        raise SgfError("bad SGF syntax: nesting too deep") from None
    except Exception as exc:  # sgfmill raises many types; the contract is SgfError only
        raise SgfError(f"malformed SGF: {type(exc).__name__}: {exc}") from None


def load_sgf_file(path: str | os.PathLike[str], rules: Rules | None = None,
                  max_moves: int | None = None) -> Game:
    """Return the game recorded in the SGF file at ``path`` (see ``load_sgf``).

    Raises:
        SgfError: if the file cannot be read, is not a regular file, is larger than
            ``MAX_SGF_BYTES`` or is not a loadable SGF game.
    """
    name = os.fspath(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (regular files ignore it)
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            mode = os.fstat(fd).st_mode
            data = b""
            if stat.S_ISREG(mode):
                with os.fdopen(fd, "rb", closefd=False) as handle:
                    data = handle.read(MAX_SGF_BYTES + 1)
        finally:
            os.close(fd)
    except (OSError, ValueError) as exc:
        raise SgfError(f"cannot read {name!r}: {exc}") from None
    if stat.S_ISDIR(mode):
        raise SgfError(f"cannot read {name!r}: it is a directory")
    if not stat.S_ISREG(mode):
        raise SgfError(f"cannot read {name!r}: not a regular file")
    if len(data) > MAX_SGF_BYTES:
        raise SgfError(f"cannot read {name!r}: larger than {MAX_SGF_BYTES >> 20} MiB, "
                       f"too large for a game")
    return load_sgf(data, rules, max_moves)


def save_sgf(game: Game, player_black: str | None = None, player_white: str | None = None,
             comment: str | None = None) -> bytes:
    """Return ``game`` as UTF-8 SGF bytes.

    Writes ``SZ``, ``KM``, ``HA``, ``AB``/``AW`` and ``PL`` for setup stones,
    ``PB``/``PW``, ``RE`` when ``game.result`` is set, one node per move and each
    move's comment as ``C``.

    Args:
        game: the game to write.
        player_black: the black player's name.
        player_white: the white player's name.
        comment: an optional comment for the root node.

    Returns:
        The SGF text encoded as UTF-8.
    """
    record = sgf.Sgf_game(game.size, "UTF-8")
    root = record.get_root()
    root.set("AP", (APPLICATION, _version()))
    root.set("KM", float(game.komi))
    if game.rules.allow_suicide:
        root.set("RU", "NZ")
    if game.handicap >= 2:
        root.set("HA", game.handicap)
    black = [coords.to_sgf_point(a, game.size) for a in game.setup_black]
    white = [coords.to_sgf_point(a, game.size) for a in game.setup_white]
    if black or white:
        root.set_setup_stones(black, white)
        first = game.moves[0].color if game.moves else game.board.to_move
        root.set("PL", "b" if first == BLACK else "w")
    if player_black:
        root.set("PB", player_black)
    if player_white:
        root.set("PW", player_white)
    if game.result is not None:
        root.set("RE", game.result.sgf())
    if comment:
        root.set("C", comment)
    for move in game.moves:
        node = record.extend_main_sequence()
        node.set_move("b" if move.color == BLACK else "w",
                      coords.to_sgf_point(move.action, game.size))
        if move.comment:
            node.set("C", move.comment)
    return bytes(record.serialise())


def parse_result(text: str) -> Result | None:
    """Return the ``Result`` of an SGF ``RE`` value, or None if it says no winner.

    Understands ``B+3.5``, ``W+R``/``W+Resign``, ``B+T``/``B+Time``,
    ``W+F``/``W+Forfeit`` and ``0``/``Draw``.  Anything else (``?``, ``Void``,
    ``B+`` without a margin, garbage) gives None.
    """
    value = text.strip()
    if value.lower() in ("0", "draw", "jigo"):
        return Result(0, 0.0, "score")
    match = _RESULT.match(value)
    if match is None:
        return None
    winner = BLACK if match.group(1).upper() == "B" else WHITE
    rest = match.group(2).strip().lower()
    if rest in _WORDS:
        return Result(winner, 0.0, _WORDS[rest])
    try:
        margin = float(rest)
    except ValueError:
        return None
    if not math.isfinite(margin) or margin <= 0:
        return None
    return Result(winner, margin, "score")


# -- internals -------------------------------------------------------------------
def _load(data: bytes, rules: Rules | None, max_moves: int | None) -> Game:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise SgfError(f"SGF data must be bytes, not {type(data).__name__}")
    if len(data) > MAX_SGF_BYTES:
        raise SgfError(f"SGF data larger than {MAX_SGF_BYTES >> 20} MiB, too large for a game")
    try:
        record = sgf.Sgf_game.from_bytes(bytes(data))
    except ValueError as exc:
        raise SgfError(_syntax_message(exc)) from None
    size = record.get_size()
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise SgfError(f"unsupported board size {size} (zerogo plays {MIN_SIZE} to {MAX_SIZE})")
    root = record.get_root()
    _check_game_type(root)
    komi = _komi(record)
    handicap = _handicap(record)
    if rules is None:
        rules = Rules(allow_suicide=_suicide_rules(root))
    game = Game(size, komi, rules)

    sequence = record.get_main_sequence()
    moves = sum(1 for node in sequence if node.has_property("B") or node.has_property("W"))
    if moves > MAX_SGF_MOVES:
        raise SgfError(f"main line of {moves} moves; zerogo reads at most {MAX_SGF_MOVES}")
    first_move = next((i for i, node in enumerate(sequence) if _move_colour(node)), None)
    setup_nodes = sequence if first_move is None else sequence[:first_move]
    black: list[int] = []
    white: list[int] = []
    to_move: int | None = None
    for node in setup_nodes:
        b, w = _setup_points(node, size)
        black += b
        white += w
        if node.has_property("PL"):
            to_move = _colour_value(node, "PL")
    _place_setup(game, black, white, to_move, first_move, sequence)
    game.handicap = handicap if handicap is not None else 0

    complete = True
    for node in sequence[first_move:] if first_move is not None else []:
        if max_moves is not None and len(game.moves) >= max_moves and _move_colour(node):
            complete = False
            break
        _play_node(game, node, len(game.moves) + 1)
    if complete and root.has_property("RE"):
        game.result = parse_result(_text(root, "RE"))
    return game


def _syntax_message(exc: ValueError) -> str:
    text = str(exc)
    if text.startswith("size out of range"):
        return f"unsupported board size: {text}"
    if text.startswith("bad SZ"):
        return f"bad board size: {text} (zerogo plays square boards)"
    if "encoding" in text or "charset" in text:
        return f"bad character set: {text}"
    return f"bad SGF syntax: {text}"


def _check_game_type(root: sgf.Tree_node) -> None:
    if not root.has_property("GM"):
        return
    try:
        kind = root.get("GM")
    except ValueError:
        raise SgfError(f"bad GM property {root.get_raw('GM')!r}") from None
    if kind != 1:
        raise SgfError(f"not a game of Go (GM[{kind}])")


def _komi(record: sgf.Sgf_game) -> float:
    try:
        komi = float(record.get_komi())
    except ValueError as exc:
        raw = record.get_root().get_raw("KM")
        raise SgfError(f"bad komi {raw.decode('latin-1')!r}: {exc}") from None
    if not math.isfinite(komi) or abs(komi) > 1000:
        raise SgfError(f"bad komi {komi!r}: out of range")
    return komi


def _handicap(record: sgf.Sgf_game) -> int | None:
    try:
        handicap = record.get_handicap()
    except ValueError:
        raw = record.get_root().get_raw("HA")
        raise SgfError(f"bad handicap {raw.decode('latin-1')!r}") from None
    if handicap is not None and not 2 <= handicap <= record.get_size() ** 2 - 1:
        raise SgfError(f"bad handicap {handicap}")
    return handicap


def _suicide_rules(root: sgf.Tree_node) -> bool:
    if not root.has_property("RU"):
        return False
    return _text(root, "RU").strip().lower() in _SUICIDE_RULES


def _text(node: sgf.Tree_node, identifier: str) -> str:
    try:
        return str(node.get(identifier))
    except ValueError as exc:
        raise SgfError(f"bad {identifier} property: {exc}") from None


def _move_colour(node: sgf.Tree_node) -> str | None:
    has_b, has_w = node.has_property("B"), node.has_property("W")
    if has_b and has_w:
        raise SgfError("a node holds both a B and a W move")
    return "b" if has_b else "w" if has_w else None


def _colour_value(node: sgf.Tree_node, identifier: str) -> int:
    try:
        colour = node.get(identifier)
    except ValueError:
        raw = node.get_raw(identifier).decode("latin-1")
        raise SgfError(f"bad {identifier} colour {raw!r}") from None
    return BLACK if colour == "b" else WHITE


def _setup_points(node: sgf.Tree_node, size: int) -> tuple[list[int], list[int]]:
    if node.has_property("AE"):
        raise SgfError("AE (remove stones) is not supported")
    out: list[list[int]] = []
    for identifier in ("AB", "AW"):
        if not node.has_property(identifier):
            out.append([])
            continue
        try:
            points = node.get(identifier)
        except ValueError:
            raw = b"".join(b"[" + v + b"]" for v in node.get_raw_list(identifier))
            raise SgfError(f"bad {identifier} point list {raw.decode('latin-1')!r}") from None
        out.append(sorted(coords.from_sgf_point(p, size) for p in points))
    return out[0], out[1]


def _place_setup(game: Game, black: list[int], white: list[int], to_move: int | None,
                 first_move: int | None, sequence: list[sgf.Tree_node]) -> None:
    if not black and not white:
        if to_move is not None:
            game.board.to_move = to_move
        return
    both = sorted(set(black) & set(white))
    if both:
        where = coords.to_gtp(both[0], game.size)
        raise SgfError(f"setup stone on occupied point {where} (both AB and AW)")
    for points in (black, white):
        repeated = sorted({a for a in points if points.count(a) > 1})
        if repeated:
            raise SgfError(
                f"setup stone on occupied point {coords.to_gtp(repeated[0], game.size)}"
            )
    if to_move is None:
        if first_move is not None:
            to_move = BLACK if _move_colour(sequence[first_move]) == "b" else WHITE
        else:
            to_move = WHITE if black and not white else BLACK
    try:
        game.setup_stones(black, white, to_move)
    except IllegalMoveError as exc:
        raise SgfError(f"bad setup stones: {exc}") from None


def _play_node(game: Game, node: sgf.Tree_node, number: int) -> None:
    if node.has_property("AB") or node.has_property("AW") or node.has_property("AE"):
        raise SgfError(f"setup stones after move {number - 1} are not supported")
    colour_name = _move_colour(node)
    if colour_name is None:
        if node.has_property("PL"):
            game.board.to_move = _colour_value(node, "PL")
        return
    colour = BLACK if colour_name == "b" else WHITE
    try:
        _, point = node.get_move()
    except ValueError:
        raw = node.get_raw(colour_name.upper()).decode("latin-1")
        raise SgfError(f"bad move number {number}: {colour_name.upper()}[{raw}]") from None
    action = coords.from_sgf_point(point, game.size)
    comment = _text(node, "C") if node.has_property("C") else ""
    try:
        game.play(action, colour, comment)
    except IllegalMoveError as exc:
        where = coords.to_gtp(action, game.size)
        raise SgfError(
            f"illegal move number {number} at vertex {where} ({exc.reason}) "
            f"by {'black' if colour == BLACK else 'white'}"
        ) from None
    if node.has_property("PL"):
        game.board.to_move = _colour_value(node, "PL")


def _version() -> str:
    try:
        return metadata.version("zerogo")
    except metadata.PackageNotFoundError:
        return "0"


__all__ = [
    "MAX_SGF_BYTES", "MAX_SGF_MOVES", "SgfError", "load_sgf", "load_sgf_file", "parse_result",
    "save_sgf",
]
