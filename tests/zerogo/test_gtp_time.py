"""Time management of ``zerogo gtp``: the allocation rules, and real games on a clock.

The pure functions (``allocate_seconds``, ``spend`` and their helpers) are checked
against worked examples and simulated clocks; the two games at the end play GNU Go
with a driver that keeps zerogo's clock with a wall-clock timer (10 s sudden death,
1 s byo-yomi on 9x9) and fail on any time loss.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import pytest

from engine import coords
from engine.board import BLACK, WHITE
from engine.game import Game
from engine.player import Budget, Decision
from zerogo.gtp import GtpEngine
from zerogo.gtp_client import GNUGO, GtpClient
from zerogo.gtp_time import (
    LAG_SECONDS,
    MIN_SECONDS,
    OVERHEAD_SECONDS,
    Clock,
    TimeControl,
    allocate_seconds,
    expected_moves_left,
    lag_margin,
    main_time_share,
    phase_weight,
    spend,
    typical_game_length,
)

REPO = Path(__file__).resolve().parents[2]
ZEROGO = [sys.executable, "-m", "zerogo", "gtp", "--player", "mcts", "--threads", "1",
          "--seed", "5"]


def share(main: float, size: int, played: int, sudden_death: bool = True) -> float:
    return main_time_share(main, size, played, sudden_death)


# Rows: control, clock, size, moves played, expected seconds.
ALLOCATIONS = [
    (TimeControl(), Clock(0, 0, 0), 9, 0, None),
    # Sudden death: the main-time share (its own tests are below).
    (TimeControl("absolute", 600), Clock(600, 0, 0), 9, 0, share(600, 9, 0)),
    (TimeControl("absolute", 600), Clock(60, 0, 0), 19, 200, share(60, 19, 200)),
    # Almost out of time: never below MIN_SECONDS.
    (TimeControl("absolute", 600), Clock(0.2, 0, 0), 9, 40, MIN_SECONDS),
    # Japanese byo-yomi: the period less max(0.3 s, 10 %) and the 0.05 s overhead.
    (TimeControl("byoyomi", 0, 30, 5), Clock(0, 30, 5), 19, 100, 30 - 3 - 0.05),
    (TimeControl("byoyomi", 0, 3, 5), Clock(0, 3, 2), 19, 100, 3 - 0.3 - 0.05),
    (TimeControl("byoyomi", 0, 1, 1), Clock(0, 1, 1), 9, 10, 1 - 0.3 - 0.05),
    # Still in main time: all of it is usable (byo-yomi follows) plus one period.
    (TimeControl("byoyomi", 60, 30, 5), Clock(5, 30, 5), 9, 10,
     share(5, 9, 10, sudden_death=False) + 30 - 3 - 0.05),
    # Canadian: 300 s for 25 stones = 12 s a stone -> 12 - 1.2 - 0.05; 40 s for 4 -> 8.95.
    (TimeControl("canadian", 0, 300, 25), Clock(0, 300, 25), 19, 50, 12 - 1.2 - 0.05),
    (TimeControl("canadian", 0, 300, 25), Clock(0, 40, 4), 19, 50, 10 - 1.0 - 0.05),
    # A Canadian period of 1 s for 1 stone, as `zerogo match --send-time-settings` sends.
    (TimeControl("canadian", 0, 1, 1), Clock(0, 1, 1), 9, 0, 1 - 0.3 - 0.05),
    # Plenty of main time: its share plus a stone's share of the period.
    (TimeControl("canadian", 3600, 300, 25), Clock(3600, 300, 25), 19, 0,
     share(3600, 19, 0, sudden_death=False) + 12 - 1.2 - 0.05),
]


@pytest.mark.parametrize(("control", "clock", "size", "played", "expected"), ALLOCATIONS)
def test_allocate_seconds(control: TimeControl, clock: Clock, size: int, played: int,
                          expected: float | None) -> None:
    seconds = allocate_seconds(control, clock, size, played)
    if expected is None:
        assert seconds is None
    else:
        assert seconds == pytest.approx(expected)


def test_main_time_share_worked_example() -> None:
    # 9x9, 10 s sudden death at the start: a typical game has 56.7 plies, so 28.35 own
    # moves are expected; 1 s (10 %) lag margin and 0.05 s for each of 28.35 + 81 / 4
    # moves are kept back; the opening weighs 0.67.
    moves = 28.35
    usable = 10 - 1.0 - 0.05 * (moves + 81 / 4)
    assert share(10, 9, 0) == pytest.approx(usable / moves * phase_weight(9, 0))
    assert share(10, 9, 0) == pytest.approx(0.156, abs=0.001)
    # With byo-yomi to follow, nothing is kept back.
    assert share(10, 9, 0, sudden_death=False) == pytest.approx(10 / moves * phase_weight(9, 0))
    assert share(0, 9, 0) == 0.0 and share(-3, 9, 0, sudden_death=False) == 0.0
    assert share(1.0, 9, 0) == 0.0  # only the reserve is left


def test_more_time_in_the_middle_game() -> None:
    for size in (9, 19):
        length = typical_game_length(size)
        opening, middle, late = (phase_weight(size, round(f * length)) for f in (0, 0.35, 0.8))
        assert middle == pytest.approx(1.5, abs=0.01)
        assert opening < 0.7 and late < 0.8
        # In sudden death the share per move rises into the middle game before falling.
        shares = [share(300, size, round(f * length)) for f in (0.0, 0.35)]
        assert shares[1] > 1.5 * shares[0]
    assert phase_weight(9, 1000) == pytest.approx(0.6)


def test_expected_moves_left() -> None:
    assert typical_game_length(9) == pytest.approx(56.7)
    assert expected_moves_left(19, 0) == pytest.approx(0.7 * 361 / 2)
    assert expected_moves_left(19, 1000) == pytest.approx(36.1)
    assert expected_moves_left(9, 0) == pytest.approx(28.35)
    assert expected_moves_left(5, 100) == 6.0


def test_lag_margin() -> None:
    assert lag_margin(1.0) == LAG_SECONDS == 0.3
    assert lag_margin(30.0) == pytest.approx(3.0)


def test_allocation_never_exceeds_what_the_clock_allows() -> None:
    for kind in ("absolute", "byoyomi", "canadian"):
        for main in (0, 1, 10, 300, 3600):
            for period in (1, 5, 30, 300):
                for count in (1, 5, 25):
                    control = TimeControl(kind, main, period, count)
                    clock = Clock.start(control)
                    for size in (9, 19):
                        for played in (0, 50, 300):
                            seconds = allocate_seconds(control, clock, size, played)
                            assert seconds is not None and seconds >= MIN_SECONDS
                            per_move = period / (count if kind == "canadian" else 1)
                            allowed = main + (0 if kind == "absolute" else per_move)
                            assert seconds <= max(MIN_SECONDS, allowed - LAG_SECONDS), (
                                control, size, played)


def simulate(control: TimeControl, size: int, cost: float, plies: int) -> float:
    """Play ``plies`` plies (this player's half of them) on a simulated clock where every
    move takes its allocation plus ``cost``; return the least time that was left (main
    time in sudden death, the period in byo-yomi)."""
    clock = Clock.start(control)
    least = math.inf
    for played in range(0, plies, 2):
        seconds = allocate_seconds(control, clock, size, played, cost)
        assert seconds is not None
        used = seconds + cost
        if control.kind == "absolute":
            least = min(least, clock.main_left - used)
        elif clock.main_left <= 0:
            per_move = clock.period_left / (clock.count_left if control.kind == "canadian"
                                            else 1)
            least = min(least, per_move - used)
        clock = spend(control, clock, used)
    return least


@pytest.mark.parametrize(("control", "size"), [
    (TimeControl("absolute", 10), 9),
    (TimeControl("absolute", 60), 9),
    (TimeControl("absolute", 300), 19),
    (TimeControl("byoyomi", 0, 1, 1), 9),
    (TimeControl("byoyomi", 5, 1, 3), 9),
    (TimeControl("canadian", 0, 10, 10), 9),
    (TimeControl("canadian", 600, 300, 25), 19),
])
def test_simulated_games_of_twice_the_usual_length_end_in_time(control: TimeControl,
                                                               size: int) -> None:
    plies = round(2 * typical_game_length(size))
    assert simulate(control, size, OVERHEAD_SECONDS, plies) > 0
    assert simulate(control, size, 2 * OVERHEAD_SECONDS, round(1.5 * plies / 2)) > 0


def test_sudden_death_uses_most_of_the_time_in_a_usual_game() -> None:
    control = TimeControl("absolute", 10)
    clock = Clock.start(control)
    for played in range(0, round(typical_game_length(9)), 2):
        seconds = allocate_seconds(control, clock, 9, played)
        assert seconds is not None
        clock = spend(control, clock, seconds + OVERHEAD_SECONDS)
    assert 2.0 < clock.main_left < 4.0  # about 60 % thought, the rest kept for a long game


def test_spend() -> None:
    absolute = TimeControl("absolute", 100)
    assert spend(absolute, Clock(100, 0, 0), 30) == Clock(70, 0, 0)
    assert spend(absolute, Clock(10, 0, 0), 30) == Clock(0, 0, 0)
    canadian = TimeControl("canadian", 10, 60, 3)
    assert spend(canadian, Clock(10, 60, 3), 4) == Clock(6, 60, 3)
    assert spend(canadian, Clock(10, 60, 3), 25) == Clock(0, 45, 2)  # overflow enters byo-yomi
    assert spend(canadian, Clock(0, 45, 2), 5) == Clock(0, 40, 1)
    assert spend(canadian, Clock(0, 40, 1), 5) == Clock(0, 60, 3)  # period done: full again
    byoyomi = TimeControl("byoyomi", 0, 10, 3)
    assert spend(byoyomi, Clock(0, 10, 3), 9) == Clock(0, 10, 3)
    assert spend(byoyomi, Clock(0, 10, 3), 12) == Clock(0, 10, 2)  # one period used up
    assert spend(TimeControl(), Clock(0, 0, 0), 5) == Clock(0, 0, 0)


def test_time_control_validation() -> None:
    with pytest.raises(ValueError):
        TimeControl("fischer")
    with pytest.raises(ValueError):
        TimeControl("byoyomi", 10, 0, 3)
    with pytest.raises(ValueError):
        TimeControl("absolute", -1)


# -- the engine's clock ------------------------------------------------------------------
class SlowPlayer:
    """Thinks ``extra`` seconds longer than its budget; records the budgets."""

    name = "slow"

    def __init__(self, extra: float) -> None:
        self.extra = extra
        self.budgets: list[Budget | None] = []

    def genmove(self, game: Game, color: int, budget: Budget | None = None,
                cleanup: bool = False) -> Decision:
        self.budgets.append(budget)
        seconds = budget.seconds if budget is not None and budget.seconds else 0.0
        time.sleep(seconds + self.extra)
        return Decision(int(game.board.legal_mask(color).argmax()))

    def reset(self) -> None:
        pass


def test_moves_that_overrun_their_budget_shorten_the_next_budgets() -> None:
    player = SlowPlayer(extra=0.2)
    engine = GtpEngine(player, 9)
    assert engine.execute(b"kgs-time_settings byoyomi 0 1 1") == b"= \n\n"
    for color in "bw":
        assert engine.execute(f"time_left {color} 1 1".encode()) == b"= \n\n"
        answer = engine.execute(f"genmove {color}".encode())
        assert answer is not None and answer.startswith(b"= ")
    seconds = [b.seconds for b in player.budgets if b is not None and b.seconds is not None]
    assert seconds[0] == pytest.approx(1 - 0.3 - OVERHEAD_SECONDS)
    assert seconds[1] < seconds[0] - 0.15  # the 0.2 s overrun is now kept back
    assert 0.15 < engine.overrun < 0.6  # 0.2 s plus the sleep's own lateness


def test_clocks_follow_time_left_and_the_moves_played() -> None:
    player = SlowPlayer(extra=0.0)
    engine = GtpEngine(player, 9)
    engine.execute(b"time_settings 30 0 0")
    assert engine.clocks[BLACK] == Clock(30, 0, 0)
    engine.execute(b"time_left w 12 0")
    assert engine.clocks[WHITE].main_left == 12
    engine.execute(b"genmove w")
    budget = player.budgets[-1]
    assert budget is not None and budget.seconds is not None
    assert 11.9 - budget.seconds - 0.1 < engine.clocks[WHITE].main_left < 12 - budget.seconds


# -- real games on a clock against GNU Go ------------------------------------------------
def timed_game(color: int, settings: str, limit: float, sudden_death: bool,
               max_plies: int) -> tuple[list[float], int]:
    """Play zerogo (``color``) against GNU Go level 1 on 9x9 with a wall clock for zerogo.

    Sudden death: ``limit`` seconds for the whole game; byo-yomi (one period, no main
    time): ``limit`` seconds for every move.  ``time_left`` is sent before each move.

    Returns:
        zerogo's move times as the driver measured them, and the plies played.
    """
    if not Path(GNUGO).exists():
        pytest.fail(f"GNU Go is needed for this test and is missing at {GNUGO}")
    zerogo = GtpClient(ZEROGO)
    gnugo = GtpClient(f"{GNUGO} --mode gtp --level 1 --chinese-rules")
    gtp_color = "b" if color == BLACK else "w"
    try:
        for engine in (zerogo, gnugo):
            engine.send("boardsize 9", 60)
            engine.send("clear_board", 60)
            engine.send("komi 7.5", 60)
        zerogo.send(settings, 60)
        game = Game(9, 7.5)
        left = limit
        times: list[float] = []
        passes = 0
        while passes < 2 and len(game.moves) < max_plies:
            to_move = game.to_move
            name = "b" if to_move == BLACK else "w"
            if to_move == color:
                remaining = max(0, math.floor(left)) if sudden_death else math.floor(limit)
                stones = 0 if sudden_death else 1
                zerogo.send(f"time_left {gtp_color} {remaining} {stones}", 60)
                start = time.monotonic()
                vertex = zerogo.send(f"genmove {gtp_color}", 60)
                elapsed = time.monotonic() - start
                times.append(elapsed)
                left = left - elapsed if sudden_death else limit
                assert left > 0 and elapsed < limit, (times, vertex)
                if vertex.lower() == "resign":
                    break
                gnugo.send(f"play {name} {vertex}", 60)
            else:
                vertex = gnugo.send(f"genmove {name}", 60)
                if vertex.lower() == "resign":
                    break
                zerogo.send(f"play {name} {vertex}", 60)
            action = coords.from_gtp(vertex, 9)
            game.play(action, to_move)
            passes = passes + 1 if action == game.pass_action else 0
        return times, len(game.moves)
    finally:
        for engine in (zerogo, gnugo):
            engine.close(timeout=5.0)


def test_ten_second_sudden_death_game_against_gnugo_is_not_lost_on_time() -> None:
    times, plies = timed_game(BLACK, "time_settings 10 0 0", 10.0, True, max_plies=200)
    print(f"\n10 s sudden death: {len(times)} zerogo moves in {plies} plies, "
          f"{sum(times):.2f} s used, longest {max(times):.2f} s")
    assert sum(times) < 10.0
    assert len(times) >= 5
    # how the clock is spread over the game is checked in-process (no wall-clock
    # comparison between moves here: on busy cores the first move can be the slowest)


def test_one_second_byoyomi_game_against_gnugo_is_not_lost_on_time() -> None:
    times, plies = timed_game(WHITE, "kgs-time_settings byoyomi 0 1 1", 1.0, False,
                              max_plies=40)
    print(f"\n1 s byo-yomi: {len(times)} zerogo moves in {plies} plies, "
          f"longest {max(times):.3f} s, mean {sum(times) / len(times):.3f} s")
    assert max(times) < 1.0
    assert sum(times) / len(times) > 0.5  # the period is used, not wasted
