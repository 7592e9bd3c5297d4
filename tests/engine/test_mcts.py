"""The pure-MCTS player: tactics on small boards, tree reuse, passing and resigning."""

from __future__ import annotations

import numpy as np
import pytest

from engine import _mcts_kernels as MK
from engine import coords
from engine.board import BLACK, WHITE
from engine.game import Game
from engine.mcts import MCTSConfig, MCTSPlayer
from engine.player import RESIGN, Budget


def position(size: int, black: list[str], white: list[str], to_move: int) -> Game:
    game = Game(size)
    game.setup_stones(
        [coords.from_gtp(v, size) for v in black],
        [coords.from_gtp(v, size) for v in white],
        to_move,
    )
    return game


@pytest.fixture(scope="module")
def player() -> MCTSPlayer:
    return MCTSPlayer(MCTSConfig(threads=1, seed=11), Budget(playouts=1500))


# A white chain of three in atari (liberty F4) that decides the game: black captures at
# F4, white saves it by extending there and joining its stones on the right.
#    A B C D E F G
#  7 . . . . . . .
#  6 . . . . . O .
#  5 . . X X X . O
#  4 . X O O O . .
#  3 . . X X X . O
#  2 . . . . . O .
#  1 . . . . . . .
ATARI_BLACK = ["C3", "D3", "E3", "C5", "D5", "E5", "B4"]
ATARI_WHITE = ["C4", "D4", "E4", "F6", "F2", "G5", "G3"]


def test_captures_a_chain_in_atari(player: MCTSPlayer) -> None:
    game = position(7, ATARI_BLACK, ATARI_WHITE, BLACK)
    game.komi = 12.5
    decision = player.genmove(game, BLACK)
    assert coords.to_gtp(decision.action, 7) == "F4"
    assert decision.winrate is not None and decision.winrate > 0.7


def test_saves_a_chain_in_atari(player: MCTSPlayer) -> None:
    game = position(7, ATARI_BLACK, ATARI_WHITE, WHITE)
    decision = player.genmove(game, WHITE)
    assert coords.to_gtp(decision.action, 7) == "F4"


def test_does_not_fill_its_own_eye_when_alive() -> None:
    # black owns the whole 5x5 board but for two eyes; white has nothing: black passes
    black = ["A2", "B2", "C2", "D2", "E2", "B1", "D1"]
    game = position(5, black, [], BLACK)
    game.play(coords.from_gtp("A4", 5), WHITE)
    game.play(coords.from_gtp("pass", 5), BLACK)
    player = MCTSPlayer(MCTSConfig(threads=1, seed=2), Budget(playouts=400))
    decision = player.genmove(game, BLACK)
    assert decision.action != coords.from_gtp("A1", 5)
    assert decision.action != coords.from_gtp("C1", 5)
    assert decision.action != coords.from_gtp("E1", 5)


def test_passes_back_when_winning_after_a_pass() -> None:
    game = position(5, ["A3", "B3", "C3", "D3", "E3"], ["A4", "B4", "C4", "D4", "E4"], BLACK)
    game.komi = 0.5
    game.play(game.pass_action, BLACK)
    player = MCTSPlayer(MCTSConfig(threads=1, seed=2), Budget(playouts=200))
    # white: 10 points, black: 15 points -> black wins; white must not pass
    assert player.genmove(game, WHITE).action != game.pass_action
    game.undo()
    game.play(game.pass_action, WHITE)  # now black moves after white's pass and is ahead
    game.board.to_move = BLACK
    assert player.genmove(game, BLACK).action == game.pass_action


def test_resigns_when_hopeless() -> None:
    # white has a single stone in atari on a black board: nothing to hope for
    black = ["A1", "B1", "C1", "D1", "E1", "A2", "B2", "C2", "D2", "E2", "A3", "C3", "E3"]
    game = position(5, black, ["B3"], WHITE)
    player = MCTSPlayer(
        MCTSConfig(threads=1, seed=5, resign_threshold=0.2, resign_min_visits=200),
        Budget(playouts=600),
    )
    assert player.genmove(game, WHITE).action == RESIGN


def test_two_threads_sum_their_visits() -> None:
    player = MCTSPlayer(MCTSConfig(threads=2, seed=1), Budget(playouts=512))
    game = Game(9)
    decision = player.genmove(game, BLACK)
    search = decision.info["search"]
    assert search.simulations == 512
    assert sum(m.visits for m in search.moves) == 512
    assert decision.action == search.moves[0].action


def test_tree_is_reused_after_two_moves() -> None:
    player = MCTSPlayer(MCTSConfig(threads=1, seed=4), Budget(playouts=3000))
    game = Game(9)
    first = player.genmove(game, BLACK)
    game.play(first.action)
    reply = first.info["search"].principal_variation[1]
    game.play(reply)
    tree = player._trees[0]
    root_before = MK.find_child(tree.links, 0, coords.action_to_padded(first.action, 9))
    child = MK.find_child(tree.links, root_before, coords.action_to_padded(reply, 9))
    kept = float(tree.stats[MK.VISITS, child])
    assert kept > 0
    player._prepare_trees(game, BLACK)
    tree = player._trees[0]
    assert tree.meta[MK.T_ROOT] == 0
    assert float(tree.stats[MK.VISITS, 0]) == kept


def test_root_children_are_legal_and_respect_superko() -> None:
    player = MCTSPlayer(MCTSConfig(threads=1, seed=9), Budget(playouts=300))
    game = Game(9)
    for vertex in ["E5", "D5", "E4", "D4", "pass", "E6"]:
        game.play(coords.from_gtp(vertex, 9))
    search = player.search(game, game.to_move)
    legal = game.board.legal_mask()
    assert all(legal[m.action] for m in search.moves)


def test_copy_subtree_keeps_statistics() -> None:
    player = MCTSPlayer(MCTSConfig(threads=1, seed=3), Budget(playouts=800))
    game = Game(7)
    player.search(game, BLACK)
    tree = player._trees[0]
    best = int(np.argmax(tree.stats[MK.VISITS, 1 : tree.links[MK.COUNT, 0] + 1])) + 1
    visits = float(tree.stats[MK.VISITS, best])
    tree.meta[MK.T_ROOT] = best
    tree.compact()
    assert float(tree.stats[MK.VISITS, 0]) == visits
    assert tree.meta[MK.T_USED] <= tree.links.shape[1]
    # every copied child points inside the used range
    used = int(tree.meta[MK.T_USED])
    firsts = tree.links[MK.FIRST, :used]
    assert np.all((firsts == -1) | ((firsts > 0) & (firsts < used)))


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        MCTSConfig(threads=0)
    with pytest.raises(ValueError):
        MCTSConfig(resign_threshold=0.7)
    with pytest.raises(ValueError):
        Budget(playouts=0)


def test_captures_dead_stones_before_passing_under_strict_tromp_taylor() -> None:
    # Black owns A-C but a dead white stone sits at A3; white owns D-E.  Counted
    # strictly (no dead-stone removal) the A3 stone makes A-B neutral and white wins,
    # so after white's pass black must capture it before passing back.
    #    A B C D E
    #  5 . . X O .
    #  4 . . X O .
    #  3 O . X O .
    #  2 . . X O .
    #  1 . . X O .
    game = position(
        5, ["C1", "C2", "C3", "C4", "C5"], ["D1", "D2", "D3", "D4", "D5", "A3"], WHITE
    )
    game.komi = 0.5
    assert game.tromp_taylor_score() < 0  # strictly counted, white wins as it stands
    player = MCTSPlayer(MCTSConfig(threads=1, seed=8), Budget(playouts=1500))
    for _ in range(12):
        game.play(game.pass_action, WHITE)
        decision = player.genmove(game, BLACK)
        game.play(decision.action, BLACK)
        if decision.action == game.pass_action:
            break
    assert game.board.get(coords.from_gtp("A3", 5)) == 0  # captured
    assert game.tromp_taylor_score() > 0  # the strict count now agrees: black wins
    assert game.moves[-1].action == game.pass_action
