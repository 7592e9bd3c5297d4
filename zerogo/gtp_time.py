"""Time management of ``zerogo gtp``: time systems, clocks, and the seconds of one move.

A game's time system is a ``TimeControl`` (none, absolute, Japanese byo-yomi or
Canadian); each colour has a ``Clock`` of what it has left.  Start reading at
``allocate_seconds``: a pure function that turns the two, the board size and the
moves played into the search seconds of one move, built from

* ``expected_moves_left`` and ``phase_weight`` (how many moves remain, and how much
  of an average move's time this one deserves over the course of a game),
* ``main_time_share`` (the main time one move may use),
* ``lag_margin`` and an ``overhead`` per move (time kept back for lag and costs
  beyond the search).

``spend`` charges a clock for one move.  The parsers at the end
(``parse_time_settings``, ``parse_kgs_time_settings``, ``parse_time_left``) read
the arguments of the GTP time commands; ``zerogo.gtp.GtpEngine`` keeps the clocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from zerogo.gtp_protocol import (
    GtpFailure,
    clip,
    expect_arg_count,
    parse_color_arg,
    parse_time_arg,
)

LAG_SECONDS = 0.3  # least time kept back from a move for network and GUI lag
LAG_FRACTION = 0.1  # ... or this share of the time at stake, whichever is more
OVERHEAD_SECONDS = 0.05  # assumed cost of a move beyond its search budget
MIN_SECONDS = 0.02  # the shortest search ever asked for
GAME_LENGTH_PER_POINT = 0.7  # a typical game lasts about 0.7 * N * N plies
MAX_MAIN_SHARE = 0.25  # no move takes more than this share of the usable main time


# -- time systems and clocks -----------------------------------------------------------
@dataclass(frozen=True)
class TimeControl:
    """The time system of a game.

    Attributes:
        kind: "none", "absolute", "byoyomi" (Japanese periods) or "canadian".
        main_time: seconds of main time.
        period_time: seconds of one byo-yomi period (byoyomi, canadian).
        period_count: byoyomi: number of periods; canadian: stones per period.
    """

    kind: str = "none"
    main_time: float = 0.0
    period_time: float = 0.0
    period_count: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("none", "absolute", "byoyomi", "canadian"):
            raise ValueError(f"unknown time system {self.kind!r}")
        if self.main_time < 0 or self.period_time < 0 or self.period_count < 0:
            raise ValueError("time settings must not be negative")
        if self.kind in ("byoyomi", "canadian") and (
            self.period_time <= 0 or self.period_count < 1
        ):
            raise ValueError(f"{self.kind} needs a positive period time and count")


@dataclass(frozen=True)
class Clock:
    """What one player has left.

    Attributes:
        main_left: seconds of main time left.
        period_left: seconds left in the current byo-yomi period.
        count_left: byoyomi: periods left; canadian: stones left in this period.
    """

    main_left: float
    period_left: float
    count_left: int

    @classmethod
    def start(cls, control: TimeControl) -> Clock:
        """Return a full clock for ``control``."""
        return cls(control.main_time, control.period_time, control.period_count)


# -- the seconds of one move -----------------------------------------------------------
def typical_game_length(size: int) -> float:
    """Return the plies (moves of both players) of a typical game on ``size``."""
    return GAME_LENGTH_PER_POINT * size * size


def expected_moves_left(size: int, moves_played: int) -> float:
    """Return how many more moves one player should expect to make.

    A game is taken to last ``typical_game_length`` plies; at least
    ``max(6, N * N / 10)`` own moves are always assumed to remain.
    """
    own_left = (typical_game_length(size) - moves_played) / 2.0
    return max(own_left, 6.0, size * size / 10.0)


def phase_weight(size: int, moves_played: int) -> float:
    """Return how much of an average move's time a move at ``moves_played`` deserves.

    A bell over the game: 0.67 in the opening and the late endgame, 1.5 in the
    middle game (a third of a typical game in), 0.6 past the typical length.
    """
    x = moves_played / typical_game_length(size)
    return 0.6 + 0.9 * math.exp(-(((x - 0.35) / 0.22) ** 2))


def lag_margin(seconds: float) -> float:
    """Return the time kept back for lag from ``seconds`` at stake: max(0.3 s, 10 %)."""
    return max(LAG_SECONDS, LAG_FRACTION * seconds)


def main_time_share(main_left: float, size: int, moves_played: int, sudden_death: bool,
                    overhead: float = OVERHEAD_SECONDS) -> float:
    """Return the main time one move may use (0 when there is none to spare).

    The usable main time is shared over ``expected_moves_left``, weighted by
    ``phase_weight`` and capped at ``MAX_MAIN_SHARE`` of it.  In sudden death the
    usable time excludes a lag margin and ``overhead`` for every expected move plus
    ``N * N / 4`` more, so that a game much longer than usual is still finished in
    time; when byo-yomi follows, all main time is usable.
    """
    if main_left <= 0:
        return 0.0
    moves = expected_moves_left(size, moves_played)
    usable = main_left
    if sudden_death:
        usable -= lag_margin(main_left) + overhead * (moves + size * size / 4.0)
    if usable <= 0:
        return 0.0
    share = usable / moves * phase_weight(size, moves_played)
    return min(share, MAX_MAIN_SHARE * usable)


def allocate_seconds(control: TimeControl, clock: Clock, size: int, moves_played: int,
                     overhead: float = OVERHEAD_SECONDS) -> float | None:
    """Return the seconds one move may take, or None without time control.

    * absolute (sudden death): ``main_time_share`` of the main time left;
    * byo-yomi, in byo-yomi: the period (Japanese) or the period's time divided
      by the stones left in it (Canadian), less ``lag_margin`` and ``overhead``;
    * byo-yomi, still in main time: the main-time share plus what a byo-yomi move
      may take (a move that overruns the main time ends inside the period).

    Every amount is at least ``MIN_SECONDS``.

    Args:
        control: the time system.
        clock: the clock of the player to move.
        size: board size.
        moves_played: moves played so far by both players.
        overhead: what a move costs beyond its search budget (search overrun,
            protocol round trip), in seconds.

    Returns:
        Seconds for this move, or None when ``control.kind`` is "none".
    """
    if control.kind == "none":
        return None
    sudden_death = control.kind == "absolute"
    main = main_time_share(clock.main_left, size, moves_played, sudden_death, overhead)
    if sudden_death:
        return max(MIN_SECONDS, main)
    if control.kind == "byoyomi":
        per_move = clock.period_left if clock.main_left <= 0 else control.period_time
    elif clock.main_left > 0:
        per_move = control.period_time / control.period_count
    else:
        per_move = clock.period_left / max(1, clock.count_left)
    byo = max(0.0, per_move - lag_margin(per_move) - overhead)
    return max(MIN_SECONDS, main + byo)


# -- charging a clock ------------------------------------------------------------------
def spend(control: TimeControl, clock: Clock, seconds: float) -> Clock:
    """Return ``clock`` after its player used ``seconds`` on one move.

    Main time is used first; the overflow starts byo-yomi.  A Canadian period
    starts again full once its stones are played; a Japanese period is lost when
    a move takes longer than it.
    """
    if control.kind == "none":
        return clock
    main = clock.main_left - seconds
    if main >= 0 or control.kind == "absolute":
        return replace(clock, main_left=max(main, 0.0))
    overflow = -main if clock.main_left > 0 else seconds
    if control.kind == "byoyomi":
        count = clock.count_left
        period = clock.period_left if clock.main_left <= 0 else control.period_time
        while overflow > period and count > 0:
            overflow -= period
            count -= 1
            period = control.period_time
        return Clock(0.0, control.period_time, count)
    period_left = clock.period_left - overflow
    count = clock.count_left - 1
    if count <= 0:
        return Clock(0.0, control.period_time, control.period_count)
    return Clock(0.0, period_left, count)


# -- the GTP time commands -------------------------------------------------------------
def parse_time_settings(args: list[str]) -> TimeControl:
    """Return the time system of ``time_settings MAIN_TIME BYO_YOMI_TIME BYO_YOMI_STONES``.

    Byo-yomi time 0 means absolute time; byo-yomi time without stones means no
    limit (as the specification says); otherwise the byo-yomi is Canadian.

    Raises:
        GtpFailure: for a wrong number of arguments or a bad time value.
    """
    expect_arg_count(args, 3, "time_settings MAIN_TIME BYO_YOMI_TIME BYO_YOMI_STONES")
    main, byo, stones = (parse_time_arg(a) for a in args)
    if byo == 0:
        return TimeControl("absolute", main)
    if stones == 0:
        return TimeControl()  # GTP: byo-yomi time without stones means no limit
    return TimeControl("canadian", main, byo, stones)


def parse_kgs_time_settings(args: list[str]) -> TimeControl:
    """Return the time system of ``kgs-time_settings``.

    The arguments are ``none``, ``absolute MAIN``, ``byoyomi MAIN PERIOD PERIODS``
    or ``canadian MAIN PERIOD STONES``; a byo-yomi without period time or count is
    taken as absolute time.

    Raises:
        GtpFailure: for an unknown system, a wrong number of values or a bad value.
    """
    if not args:
        raise GtpFailure("syntax error: kgs-time_settings none|absolute|byoyomi|canadian ...")
    kind, values = args[0].lower(), [parse_time_arg(a) for a in args[1:]]
    wanted = {"none": 0, "absolute": 1, "byoyomi": 3, "canadian": 3}
    if kind not in wanted:
        raise GtpFailure(f"unknown time system {clip(args[0])!r}")
    if len(values) != wanted[kind]:
        raise GtpFailure(f"syntax error: {kind} takes {wanted[kind]} numbers")
    if kind == "none":
        return TimeControl()
    if kind == "absolute":
        return TimeControl("absolute", values[0])
    if values[1] == 0 or values[2] == 0:
        return TimeControl("absolute", values[0])  # no byo-yomi to speak of
    return TimeControl(kind, values[0], values[1], values[2])


def parse_time_left(args: list[str], control: TimeControl) -> tuple[int, Clock]:
    """Return the colour and its new clock from ``time_left COLOR TIME STONES``.

    Stones 0 means the time is main time; otherwise the player is in byo-yomi with
    TIME seconds left for STONES moves (periods, for Japanese byo-yomi).

    Raises:
        GtpFailure: for a wrong number of arguments, a bad colour or time value.
    """
    expect_arg_count(args, 3, "time_left COLOR TIME STONES")
    color = parse_color_arg(args[0])
    seconds, stones = parse_time_arg(args[1]), parse_time_arg(args[2])
    if stones == 0:
        return color, Clock(seconds, control.period_time, control.period_count)
    return color, Clock(0.0, seconds, stones)
