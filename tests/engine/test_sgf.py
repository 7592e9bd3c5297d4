"""SGF load/save: round trips, the properties understood, and malformed files."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sgfmill import sgf as sgfmill_sgf

from engine.board import BLACK, WHITE, Rules
from engine.game import Game, Result
from engine.sgf import SgfError, load_sgf, load_sgf_file, parse_result, save_sgf
from tests.conftest import assert_stones, vertex, vertices


def make_game(size: int = 9, komi: float = 6.5) -> Game:
    """A short game with a capture, passes and comments of every awkward kind."""
    game = Game(size, komi)
    script = [
        ("D4", "first move"),
        ("E5", "]} back\\slash: colon [brackets]"),
        ("C5", "line one\nline two\n\nafter a blank line"),
        ("pass", ""),
        ("E4", "黒 and 白 — unicode"),
        ("pass", "pass comment"),
    ]
    for name, comment in script:
        game.play(vertex(name, size), comment=comment)
    return game


def assert_same_record(a: Game, b: Game) -> None:
    assert b.size == a.size
    assert b.komi == a.komi
    assert b.moves == a.moves
    assert sorted(b.setup_black) == sorted(a.setup_black)  # SGF point lists are unordered
    assert sorted(b.setup_white) == sorted(a.setup_white)
    assert b.handicap == a.handicap
    assert b.result == a.result
    assert b.to_move == a.to_move
    assert b.board.to_array().tolist() == a.board.to_array().tolist()


@pytest.mark.parametrize(
    "result",
    [None, Result(BLACK, 3.5), Result(WHITE, 0.5), Result(0, 0.0), Result(WHITE, 0.0, "resign"),
     Result(BLACK, 0.0, "time"), Result(WHITE, 0.0, "forfeit"), Result(BLACK, 120.0)],
    ids=lambda r: "none" if r is None else r.sgf(),
)
def test_round_trip_moves_comments_komi_result(result: Result | None) -> None:
    game = make_game()
    game.result = result
    again = load_sgf(save_sgf(game, player_black="alice", player_white="bob"))
    assert_same_record(game, again)
    assert [m.comment for m in again.moves][1] == "]} back\\slash: colon [brackets]"


@pytest.mark.parametrize("size", [2, 5, 9, 13, 19])
def test_round_trip_every_size_with_passes(size: int) -> None:
    game = Game(size, 0.5)
    game.play(0)
    game.play(size * size)
    game.play(size * size - 1)
    game.play(size * size)
    again = load_sgf(save_sgf(game))
    assert_same_record(game, again)


def test_round_trip_handicap_setup() -> None:
    game = Game(9, 0.5)
    game.set_handicap(vertices("C3 G7 C7", 9))
    game.play(vertex("E5", 9))
    data = save_sgf(game)
    assert b"HA[3]" in data and b"PL[W]" in data
    again = load_sgf(data)
    assert_same_record(game, again)
    assert again.moves[0].color == WHITE


def test_round_trip_mixed_setup_with_white_to_move_and_no_moves() -> None:
    game = Game(5, 7.5)
    game.setup_stones(vertices("B2 C3", 5), vertices("D4", 5), WHITE)
    again = load_sgf(save_sgf(game))
    assert_same_record(game, again)
    assert_stones(again.board, """
        . . . . .
        . . . O .
        . . X . .
        . X . . .
        . . . . .
    """)


def test_save_writes_player_names_and_suicide_rules() -> None:
    game = Game(9, 7.5, Rules(allow_suicide=True))
    data = save_sgf(game, player_black="zerogo mcts", player_white="GNU Go")
    record = sgfmill_sgf.Sgf_game.from_bytes(data)
    assert record.get_player_name("b") == "zerogo mcts"
    assert record.get_player_name("w") == "GNU Go"
    assert record.get_komi() == 7.5
    assert load_sgf(data).rules.allow_suicide


def test_load_handwritten_record() -> None:
    data = b"""(;GM[1]FF[4]SZ[9]KM[5.5]HA[2]AB[cg][gc]RE[W+12.5]
        ;W[ee]C[tengen];B[tt];W[]
        ;B[aa:bb])"""
    with pytest.raises(SgfError, match="bad move number 4"):
        load_sgf(data)
    game = load_sgf(data.replace(b";B[aa:bb]", b";B[ab]"))
    assert game.size == 9 and game.komi == 5.5 and game.handicap == 2
    assert game.setup_black == vertices("C3 G7", 9)
    assert [m.color for m in game.moves] == [WHITE, BLACK, WHITE, BLACK]
    assert [m.action for m in game.moves] == [vertex(v, 9) for v in ("E5", "pass", "pass", "A8")]
    assert game.moves[0].comment == "tengen"
    assert game.result == Result(WHITE, 12.5)


def test_load_compressed_point_list_and_player_to_move() -> None:
    game = load_sgf(b"(;SZ[5]AB[aa:bc]AW[ee]PL[B])")
    assert_stones(game.board, """
        X X . . .
        X X . . .
        X X . . .
        . . . . .
        . . . . O
    """)
    assert game.to_move == BLACK


def test_load_defaults_without_size_and_komi() -> None:
    game = load_sgf(b"(;;B[pd])")
    assert game.size == 19 and game.komi == 0.0
    assert game.moves[0].action == vertex("Q16", 19)


def test_load_only_main_line_and_setup_node_before_moves() -> None:
    game = load_sgf(b"(;SZ[9];AB[aa]AW[ii];B[ee](;W[dd];B[cc])(;W[ff]))")
    assert game.setup_black == [vertex("A9", 9)] and game.setup_white == [vertex("J1", 9)]
    assert [m.action for m in game.moves] == vertices("E5 D6 C7", 9)


def test_load_new_zealand_rules_allow_suicide() -> None:
    # White B5 joins A5 into a chain without liberty: a two-stone suicide.  (White E1
    # keeps the result apart from the black-only position that setup passes through.)
    data = b"(;SZ[5]RU[NZ]AW[aa][ee]AB[ca][ab][bb];W[ba])"
    game = load_sgf(data)
    assert_stones(game.board, """
        . . X . .
        X X . . .
        . . . . .
        . . . . .
        . . . . O
    """)
    with pytest.raises(SgfError, match="illegal move number 1 at vertex B5 \\(suicide\\)"):
        load_sgf(data.replace(b"RU[NZ]", b""))


def test_max_moves_stops_early_and_drops_result() -> None:
    data = save_sgf(_finished(make_game()))
    game = load_sgf(data, max_moves=2)
    assert len(game.moves) == 2 and game.result is None
    assert load_sgf(data, max_moves=0).moves == []
    assert load_sgf(data, max_moves=100).result == Result(BLACK, 3.5)


def _finished(game: Game) -> Game:
    game.result = Result(BLACK, 3.5)
    return game


def test_load_file_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "game.sgf"
    path.write_bytes(save_sgf(make_game()))
    assert_same_record(make_game(), load_sgf_file(path))
    with pytest.raises(SgfError, match="cannot read"):
        load_sgf_file(tmp_path / "missing.sgf")
    with pytest.raises(SgfError, match="cannot read"):
        load_sgf_file(tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("B+3.5", Result(BLACK, 3.5)), ("W+0.5", Result(WHITE, 0.5)), ("b+12", Result(BLACK, 12)),
     ("W+R", Result(WHITE, 0, "resign")), ("B+Resign", Result(BLACK, 0, "resign")),
     ("W+T", Result(WHITE, 0, "time")), ("B+Time", Result(BLACK, 0, "time")),
     ("W+F", Result(WHITE, 0, "forfeit")), ("0", Result(0, 0.0)), ("Draw", Result(0, 0.0)),
     ("B+", None), ("?", None), ("Void", None), ("X+3", None), ("B+nan", None),
     ("W+-2", None), ("", None)],
)
def test_parse_result(text: str, expected: Result | None) -> None:
    assert parse_result(text) == expected


# Malformed inputs and the words their message must contain.
MALFORMED = [
    (b"", "bad SGF syntax"),
    (b"this is not SGF", "bad SGF syntax"),
    (b"(;SZ[9];B[ee]", "bad SGF syntax"),
    (b"(" * 5000, "bad SGF syntax"),
    (b"(;SZ[25])", "unsupported board size 25"),
    (b"(;SZ[1])", "unsupported board size 1"),
    (b"(;SZ[30])", "unsupported board size"),
    (b"(;SZ[9:13])", "bad board size"),
    (b"(;SZ[x])", "bad board size"),
    (b"(;SZ[9]KM[abc])", "bad komi 'abc'"),
    (b"(;SZ[9]KM[inf])", "bad komi"),
    (b"(;SZ[9]KM[nan])", "bad komi"),
    (b"(;SZ[9]KM[1e300])", "bad komi"),
    (b"(;SZ[9]HA[1])", "bad handicap"),
    (b"(;SZ[9]HA[two])", "bad handicap"),
    (b"(;SZ[9]HA[200])", "bad handicap 200"),
    (b"(;SZ[9]GM[3])", "not a game of Go"),
    (b"(;SZ[9]GM[x])", "bad GM"),
    (b"(;SZ[9]CA[no-such-codec]C[x])", "bad character set"),
    (b"(;SZ[9]AB[aa]AW[aa])", "setup stone on occupied point A9"),
    (b"(;SZ[9]AB[aa];AB[aa];B[ee])", "setup stone on occupied point A9"),
    (b"(;SZ[9]AB[zz])", "bad AB point list"),
    (b"(;SZ[9]AW[a])", "bad AW point list"),
    (b"(;SZ[9]AB[ba][ab]AW[aa])", "bad setup stones: setup stone A9 would have no liberty"),
    (b"(;SZ[9]AE[aa])", "AE"),
    (b"(;SZ[9]PL[x]AB[aa])", "bad PL colour 'x'"),
    (b"(;SZ[9];B[ee];W[ee])", "illegal move number 2 at vertex E5 (occupied)"),
    (b"(;SZ[9]AB[ba][ab];W[aa])", "illegal move number 1 at vertex A9 (suicide)"),
    # Ko: white B2 takes the black stone at C2, black may not retake at once.
    (b"(;SZ[9]AB[ah][bi][bg][ch]AW[ci][cg][dh];W[bh];B[ch])",
     "illegal move number 2 at vertex C2 (ko)"),
    (b"(;SZ[9];B[zz])", "bad move number 1: B[zz]"),
    (b"(;SZ[9];B[ee];W[abc])", "bad move number 2"),
    (b"(;SZ[9];B[ee]W[dd])", "both a B and a W"),
    (b"(;SZ[9];B[ee];AB[cc])", "setup stones after move 1"),
]


@pytest.mark.parametrize(("data", "words"), MALFORMED, ids=[m[1] for m in MALFORMED])
def test_malformed_input_raises_sgf_error_naming_the_problem(data: bytes, words: str) -> None:
    with pytest.raises(SgfError) as info:
        load_sgf(data)
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)


def test_non_bytes_input_is_an_sgf_error() -> None:
    with pytest.raises(SgfError, match="must be bytes"):
        load_sgf("(;SZ[9])")  # type: ignore[arg-type]


def test_mutated_files_raise_only_sgf_error() -> None:
    """Random byte damage to a valid record: either it loads or it raises SgfError."""
    good = save_sgf(make_game())
    alphabet = b"()[];:\\ABWCKMSZHPLEabcdefghistz0123456789.+-\n\xff"
    rng = random.Random(7)
    loaded = failed = 0
    for _ in range(400):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(data))
            choice = rng.random()
            if choice < 0.4:
                data[i] = rng.choice(alphabet)
            elif choice < 0.7:
                del data[i]
            else:
                data.insert(i, rng.choice(alphabet))
        try:
            load_sgf(bytes(data))
            loaded += 1
        except SgfError:
            failed += 1
    assert loaded > 0 and failed > 0
