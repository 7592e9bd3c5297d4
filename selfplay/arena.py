"""Network against network: many games at once, each side searching with its own net.

Used for gating (a candidate against the current best) and for measuring networks
against each other.  Both networks keep one ``SearchForest`` over all game slots;
each step, every forest searches the slots where its network is to move, so each
network call is a batch of leaves from many games.  Colours alternate from game to
game; the first ``random_plies`` plies are sampled in proportion to visit counts so
that games differ (deterministic searches would otherwise repeat one game), and
repeated games are counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engine.board import BLACK
from engine.evaluator import Evaluator
from engine.game import Game
from engine.puct import PUCTConfig, SearchForest
from engine.scoring import final_position


@dataclass(frozen=True)
class ArenaConfig:
    """Settings of a match between two networks.

    Attributes:
        size / komi: the board.
        games: games to play (at most).
        slots: games in progress at once.
        visits: root visits per move for both sides.
        random_plies: opening plies sampled in proportion to visit counts.
        max_moves: plies after which a game is scored as it stands (None: 2 N^2).
        resign_threshold: a side resigns below this root win rate (0: never).
        search: PUCT settings of both sides (no root noise is used).
        scoring_playouts: playouts of the dead-stone estimate.
    """

    size: int = 9
    komi: float = 7.5
    games: int = 400
    slots: int = 32
    visits: int = 100
    random_plies: int = 4
    max_moves: int | None = None
    resign_threshold: float = 0.05
    search: PUCTConfig = field(default_factory=lambda: PUCTConfig(capacity=50_000))
    scoring_playouts: int = 400

    def __post_init__(self) -> None:
        if self.games < 1 or self.slots < 1 or self.visits < 1:
            raise ValueError("games, slots and visits must be positive")

    @property
    def move_cap(self) -> int:
        return self.max_moves if self.max_moves is not None else 2 * self.size * self.size


@dataclass(frozen=True)
class ArenaGame:
    """One finished arena game: ``first_black`` tells whether network A was black."""

    index: int
    first_black: bool
    winner_is_first: bool | None  # None for a draw
    result: str
    moves: int
    digest: str


@dataclass
class ArenaResult:
    """The games of a match, from network A's point of view."""

    games: list[ArenaGame] = field(default_factory=list)

    @property
    def wins(self) -> int:
        return sum(1 for g in self.games if g.winner_is_first is True)

    @property
    def losses(self) -> int:
        return sum(1 for g in self.games if g.winner_is_first is False)

    @property
    def draws(self) -> int:
        return sum(1 for g in self.games if g.winner_is_first is None)

    @property
    def score(self) -> float:
        """Win rate of network A, draws counting half."""
        n = len(self.games)
        return (self.wins + 0.5 * self.draws) / n if n else 0.0

    @property
    def duplicates(self) -> int:
        """Games whose move sequence repeats an earlier game of the match."""
        digests = [g.digest for g in self.games]
        return len(digests) - len(set(digests))


def play_arena(
    first: Evaluator,
    second: Evaluator,
    config: ArenaConfig,
    done: list[ArenaGame] | None = None,
    on_game: Callable[[ArenaGame, ArenaResult], bool] | None = None,
    seed: int = 0,
) -> ArenaResult:
    """Play ``first`` (network A) against ``second``.

    Args:
        first / second: the two networks.
        config: match settings.
        done: games already played (a resumed match): their indices are skipped.
        on_game: called after every finished game with it and the results so far;
            returning True stops the match (e.g. an SPRT decision).
        seed: seed of the opening sampling.

    Returns:
        All games, the ``done`` ones included.
    """
    result = ArenaResult(list(done or []))
    finished = {g.index for g in result.games}
    queue = [i for i in range(config.games) if i not in finished]
    if not queue:
        return result
    slots = min(config.slots, len(queue))
    forests = [
        SearchForest(slots, config.size, net, config.search, config.komi, seed=seed + k)
        for k, net in enumerate((first, second))
    ]
    rng = np.random.default_rng(seed)
    games: list[Game | None] = [None] * slots
    indices = [-1] * slots
    stop = False

    def start(slot: int) -> None:
        if not queue:
            games[slot] = None
            return
        indices[slot] = queue.pop(0)
        game = Game(config.size, config.komi)
        games[slot] = game
        for forest in forests:
            forest.set_position(slot, game)

    for slot in range(slots):
        start(slot)
    lps = config.search.leaves_per_step
    while any(g is not None for g in games) and not stop:
        # which network moves in each slot (A is black in even games)
        mover = np.full(slots, -1)
        for slot, game in enumerate(games):
            if game is not None:
                a_black = indices[slot] % 2 == 0
                a_moves = (game.to_move == BLACK) == a_black
                mover[slot] = 0 if a_moves else 1
        for k, forest in enumerate(forests):
            if stop:
                break
            visits = forest.root_visits()
            ready = (mover == k) & (visits >= config.visits)
            for slot_index in np.flatnonzero(ready):
                slot = int(slot_index)
                if stop:
                    break
                game = games[slot]
                assert game is not None
                stats = forest.root_stats(int(slot))
                ply = len(game.moves)
                winrate = (stats.value + 1.0) / 2.0
                if config.resign_threshold > 0 and ply >= 20 and winrate < config.resign_threshold:
                    loser_is_first = k == 0
                    record = _record(indices[slot], game, not loser_is_first, "resign")
                    stop = _finish(result, record, on_game) or stop
                    start(int(slot))
                    continue
                if len(stats.actions) == 0:
                    action = game.pass_action
                elif ply < config.random_plies:
                    probs = stats.visits / stats.visits.sum()
                    action = int(rng.choice(stats.actions, p=probs))
                else:
                    action = stats.best()
                if not game.board.is_legal(action):
                    action = game.pass_action
                game.play(action)
                if game.is_over or len(game.moves) >= config.move_cap:
                    score = final_position(game, playouts=config.scoring_playouts).score
                    a_black = indices[slot] % 2 == 0
                    winner_first = None if score == 0 else ((score > 0) == a_black)
                    record = _record(indices[slot], game, winner_first, f"{score:+g}")
                    stop = _finish(result, record, on_game) or stop
                    start(int(slot))
                    continue
                for f in forests:
                    f.play(int(slot), game)
            mover_now = np.full(slots, -1)
            for slot, game in enumerate(games):
                if game is not None:
                    a_black = indices[slot] % 2 == 0
                    mover_now[slot] = 0 if (game.to_move == BLACK) == a_black else 1
            visits = forest.root_visits()
            need = np.where(mover_now == k, np.maximum(config.visits - visits, 0), 0)
            per_game = np.clip(need, 0, lps).astype(np.int64)
            if per_game.any():
                forest.step(per_game > 0, per_game)
    return result


def _record(index: int, game: Game, winner_is_first: bool | None, how: str) -> ArenaGame:
    digest = hashlib.sha1(bytes(str([m.action for m in game.moves]), "ascii")).hexdigest()[:16]
    return ArenaGame(
        index=index,
        first_black=index % 2 == 0,
        winner_is_first=winner_is_first,
        result=how,
        moves=len(game.moves),
        digest=digest,
    )


def _finish(
    result: ArenaResult,
    record: ArenaGame,
    on_game: Callable[[ArenaGame, ArenaResult], bool] | None,
) -> bool:
    result.games.append(record)
    if on_game is None:
        return False
    return bool(on_game(record, result))
