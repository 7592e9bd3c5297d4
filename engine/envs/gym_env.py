"""The single-agent gymnasium environment ``zerogo/Go-v0``: Go against a pluggable opponent.

Spaces (N = board size, C = planes of the feature config, 17 by default):

=============  ================================================================
observation    float32 ``Box(0, 1, (C, N, N))``: the network input planes of
               ``engine.features`` (AlphaGo Zero's ``X_0, Y_0, ..., X_7, Y_7, C``
               by default) as seen by the agent, ``[plane, row, col]`` with row
               0 at the bottom.  float32 because that is what the networks
               eat and what the feature kernels write: no conversion per step.
action         ``Discrete(N*N + 1)``: flat actions ``row * N + col``, pass is
               ``N * N`` (``engine.coords``)
info           ``action_mask``: int8 ``(N*N + 1,)``, 1 where the agent may play
               (positional superko included; ``gymnasium.spaces.Discrete.sample``
               takes it as is); ``illegal``: whether the action was refused;
               ``opponent_action`` when the opponent moved in the step; at the
               end ``reason`` ("passes", "move_cap", "illegal", "resign"),
               ``winner`` (BLACK, WHITE, or 0 for a draw) and, when scored,
               ``score`` (black's area minus white's minus komi)
=============  ================================================================

``action_masks()`` returns the same mask as bool (sb3-contrib's ``MaskablePPO``
convention).

Rewards are 0 until the game ends, then +1 for a win, -1 for a loss and 0 for a draw
(possible with an integer komi), judged by Tromp-Taylor area score of the stones as
they stand.  A game ends after two passes in a row, or, scored the same way, after a
move cap of ``2 * N * N`` moves (``max_plies``); there is no resignation for the
agent.  Both ends are ``terminated`` (a rule of this game, with a true reward), never
``truncated``.

Illegal actions: masking is expected, but an action inside the action space that the
rules refuse (occupied, suicide, ko, superko) ends the episode as a loss: reward -1,
``terminated``, ``info["illegal"] = True`` and ``info["illegal_reason"]``; the board
is left as it was.  An action outside the action space raises ``ValueError``, and
stepping a finished episode raises ``RuntimeError`` (call ``reset``).

The opponent (``opponent=``):

* ``"random"`` (default): uniform among legal moves that do not fill its own eye,
  pass when none (as ``engine.random_player``), played inside the step kernel;
* ``"self"``: no opponent: the agent plays both colours, the observation is always
  that of the side to move and the final reward is that of the side that made the
  last move;
* any ``engine.player.Player`` (``RandomPlayer``, ``MCTSPlayer``, a network
  player): asked through ``genmove`` with a ``Game`` that the environment keeps up
  to date (only then is a ``Game`` kept);
* a callable ``policy(observation, action_mask) -> action`` that is given the
  opponent's own observation and int8 mask (e.g. a network's policy).

The agent plays ``agent_color`` ("black", "white" or "random" for a fresh draw at
every reset).  The step path is one numba call (``_env_kernels.step_env``) for the
built-in opponents; ``GoState`` holds that fast path and is shared with the
PettingZoo environment (``engine.envs.aec_env``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, SupportsInt

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from engine import _board_kernels as K
from engine.board import BLACK, MAX_SIZE, MIN_SIZE, WHITE, Board, Rules, parse_color
from engine.envs import _env_kernels as EK
from engine.envs.render import board_image
from engine.features import DEFAULT_CONFIG, FeatureConfig
from engine.game import DEFAULT_KOMI, Game, Result
from engine.player import RESIGN, Budget, Player

Policy = Callable[[np.ndarray, np.ndarray], SupportsInt]
"""An opponent as a function: (observation (C, N, N), int8 mask (N*N+1,)) -> action."""

RENDER_MODES = ("rgb_array", "ansi")
REASONS = {
    EK.END_PASSES: "passes",
    EK.END_MOVE_CAP: "move_cap",
    EK.END_ILLEGAL: "illegal",
}
ILLEGAL_REASONS = {
    K.OCCUPIED: "occupied",
    K.SUICIDE: "suicide",
    K.KO: "ko",
    K.SUPERKO: "superko",
    K.OFF_BOARD: "off-board",
}


class IllegalOpponentMoveError(RuntimeError):
    """The opponent (a ``Player`` or a policy) chose a move the rules refuse."""


class GoState:
    """A game on the environments' fast path: the kernel arrays, no ``Game`` copies.

    Args:
        size: board size N (2 .. 19).
        komi: points given to white.
        rules: rule options (suicide, superko).
        features: which observation planes.
        max_plies: moves after which the game ends, scored (default ``2 * N * N``).

    Raises:
        ValueError: for an unsupported size or a move cap below 1.
    """

    def __init__(
        self,
        size: int = 9,
        komi: float = DEFAULT_KOMI,
        rules: Rules | None = None,
        features: FeatureConfig | None = None,
        max_plies: int | None = None,
    ) -> None:
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise ValueError(f"board size must be between {MIN_SIZE} and {MAX_SIZE}, not {size}")
        self.size = size
        self.komi = float(komi)
        self.rules = rules or Rules()
        self.features = features or DEFAULT_CONFIG
        self.max_plies = 2 * size * size if max_plies is None else int(max_plies)
        if self.max_plies < 1:
            raise ValueError(f"max_plies must be at least 1, not {self.max_plies}")
        self.board = K.new_board(size)
        self.arrays = EK.new_env_arrays(
            size,
            self.features.layout(),
            self.features.num_planes,
            self.max_plies,
            self.rules.allow_suicide,
            self.rules.superko,
        )
        EK.reset_env(self.board, self.arrays, np.uint64(0))

    # -- play -------------------------------------------------------------------
    def reset(self, seed: int = 0) -> None:
        """Start a new game on the empty board; ``seed`` seeds the built-in random opponent."""
        self.board = K.new_board(self.size)
        EK.reset_env(self.board, self.arrays, np.uint64(seed % 2**64))

    def step(self, action: int, reply: int = EK.REPLY_NONE, observer: int = EK.SIDE_TO_MOVE) -> int:
        """Play ``action`` (and the built-in reply), then observe for ``observer``.

        Returns:
            The ``_env_kernels`` end code (NOT_OVER, END_PASSES, END_MOVE_CAP,
            END_ILLEGAL).
        """
        return int(EK.step_env(self.board, self.arrays, action, reply, observer))

    def observe(self, color: int) -> None:
        """Fill ``obs`` and ``legal`` as seen by ``color``."""
        EK.observe(self.board, self.arrays, color)

    # -- state ------------------------------------------------------------------
    @property
    def obs(self) -> np.ndarray:
        """float32 (C, N, N) planes of the last observation (the buffer itself)."""
        return self.arrays.obs

    @property
    def legal(self) -> np.ndarray:
        """bool (N*N+1,) legal mask of the last observation (the buffer itself)."""
        return self.arrays.legal

    @property
    def to_move(self) -> int:
        """Colour to move."""
        return int(self.board.meta[K.M_TO_MOVE])

    @property
    def plies(self) -> int:
        """Moves played so far, passes included."""
        return int(self.arrays.meta[EK.E_PLIES])

    @property
    def end(self) -> int:
        """The ``_env_kernels`` end code of the game so far."""
        return int(self.arrays.meta[EK.E_END])

    @property
    def illegal_reason(self) -> str | None:
        """Why the last refused action was illegal, or None."""
        code = int(self.arrays.meta[EK.E_REASON])
        return ILLEGAL_REASONS.get(code)

    @property
    def reply(self) -> int:
        """The built-in opponent's move in the last step, -1 if it did not move."""
        return int(self.arrays.meta[EK.E_REPLY])

    def moves(self) -> list[int]:
        """Return the flat actions played so far."""
        return [int(a) for a in self.arrays.moves[: self.plies]]

    def last_move(self) -> int | None:
        """Return the last flat action played, or None before the first move."""
        plies = self.plies
        return None if plies == 0 else int(self.arrays.moves[plies - 1])

    def stones(self) -> np.ndarray:
        """Return the stones as int8 (N, N), row 0 at the bottom."""
        w = self.size + 2
        return self.board.color.reshape(w, w)[1:-1, 1:-1].copy()

    def score(self) -> float:
        """Return black's Tromp-Taylor area minus white's minus komi."""
        return float(EK.area_score(self.board, self.komi))

    def winner(self) -> int:
        """Return the winner by area score: BLACK, WHITE, or 0 for a draw."""
        score = self.score()
        return BLACK if score > 0 else WHITE if score < 0 else 0

    def to_board(self) -> Board:
        """Return the position as an ``engine.board.Board`` (a copy, without history)."""
        board = Board(self.size, self.rules)
        board.arrays = K.copy_board(self.board)
        return board

    def to_game(self) -> Game:
        """Return the game so far as an ``engine.game.Game`` (replayed move by move).

        A game ended by passes or the move cap carries its ``Result``.
        """
        game = Game(self.size, self.komi, self.rules)
        for action in self.moves():
            game.play(action)
        if self.end in (EK.END_PASSES, EK.END_MOVE_CAP):
            score = self.score()
            game.result = Result(self.winner(), abs(score), "score")
        return game

    def render(self, mode: str) -> np.ndarray | str:
        """Return an RGB image (``"rgb_array"``) or a text diagram (``"ansi"``).

        Raises:
            ValueError: for another mode.
        """
        if mode == "rgb_array":
            return board_image(self.stones(), self.last_move())
        if mode == "ansi":
            return self.to_board().diagram(self.last_move()) + "\n"
        raise ValueError(f"unknown render mode {mode!r} (known: {', '.join(RENDER_MODES)})")


def parse_agent_color(color: int | str) -> int | None:
    """Return BLACK or WHITE, or None for ``"random"``.

    Raises:
        ValueError: for anything else.
    """
    if isinstance(color, str):
        if color.strip().lower() == "random":
            return None
        return parse_color(color)
    if color in (BLACK, WHITE):
        return int(color)
    raise ValueError(f"invalid agent colour {color!r}")


class GoEnv(gym.Env[np.ndarray, np.int64]):
    """Go for one agent against a pluggable opponent (see the module docstring).

    Args:
        size: board size N (2 .. 19); 9 by default.
        komi: points given to white; an integer komi makes draws possible.
        opponent: "random", "self", a ``Player``, or a ``policy(obs, mask)`` callable.
        agent_color: "black", "white" (or BLACK / WHITE) or "random".
        features: observation planes (default: AlphaGo Zero's 17).
        rules: rule options (suicide, superko).
        max_plies: move cap of a game, scored (default ``2 * N * N``, at least 2).
        opponent_budget: thinking budget handed to a ``Player`` opponent's genmove.
        render_mode: None, "rgb_array" or "ansi".

    Raises:
        ValueError: for a bad size, colour, opponent, move cap or render mode.
    """

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 4}

    def __init__(
        self,
        size: int = 9,
        komi: float = DEFAULT_KOMI,
        opponent: str | Player | Policy = "random",
        agent_color: int | str = "black",
        features: FeatureConfig | None = None,
        rules: Rules | None = None,
        max_plies: int | None = None,
        opponent_budget: Budget | None = None,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(f"unknown render mode {render_mode!r} (known: {RENDER_MODES})")
        if max_plies is not None and max_plies < 2:
            raise ValueError(f"max_plies must be at least 2, not {max_plies}")
        self._state = GoState(size, komi, rules, features, max_plies)
        self._color_choice = parse_agent_color(agent_color)
        self.agent_color = BLACK if self._color_choice is None else self._color_choice
        self._opponent = opponent
        self.opponent_budget = opponent_budget
        self._player: Player | None = None
        self._policy: Policy | None = None
        self._reply = EK.REPLY_NONE
        self._self_play = False
        if isinstance(opponent, str):
            if opponent == "random":
                self._reply = EK.REPLY_RANDOM
            elif opponent == "self":
                self._self_play = True
            else:
                raise ValueError(f"unknown opponent {opponent!r} (known: 'random', 'self')")
        elif hasattr(opponent, "genmove"):
            self._player = opponent  # type: ignore[assignment]
        elif callable(opponent):
            self._policy = opponent
        else:
            raise ValueError(f"opponent must be a name, a Player or a callable, not {opponent!r}")
        self._game: Game | None = None
        self._over = False
        self._resigned = False
        self.render_mode = render_mode
        n = self._state.size
        self.observation_space = spaces.Box(
            0.0, 1.0, (self._state.features.num_planes, n, n), dtype=np.float32
        )
        self.action_space = spaces.Discrete(n * n + 1)
        self._pass = n * n

    # -- gymnasium API --------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new game; the opponent moves first when the agent is white.

        Args:
            seed: seeds the environment's generator (agent colour draw, built-in
                opponent).  A ``Player`` opponent keeps its own seed.
            options: unused.

        Returns:
            The agent's observation and ``{"action_mask": ...}``.

        Raises:
            IllegalOpponentMoveError: if the opponent's first move is illegal.
            RuntimeError: if the opponent resigns on its first move.
        """
        super().reset(seed=seed)
        if self._color_choice is None:
            self.agent_color = BLACK if self.np_random.integers(2) == 0 else WHITE
        state = self._state
        state.reset(int(self.np_random.integers(2**63)))
        self._over = False
        self._resigned = False
        if self._player is not None:
            self._game = Game(state.size, state.komi, state.rules)
            reset = getattr(self._player, "reset", None)
            if reset is not None:
                reset()
        info: dict[str, Any] = {}
        if self.agent_color == WHITE and not self._self_play:
            end, resigned = self._opponent_moves()
            if resigned or end != EK.NOT_OVER:
                raise RuntimeError("the opponent ended the game on its first move")
            info["opponent_action"] = state.last_move()
        else:
            state.observe(BLACK)
        info["action_mask"] = state.legal.view(np.int8).copy()
        return state.obs.copy(), info

    def step(self, action: SupportsInt) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Play the agent's action and the opponent's reply.

        Returns:
            observation, reward, terminated, truncated (always False), info.

        Raises:
            ValueError: for an action outside the action space.
            RuntimeError: when the episode is over.
            IllegalOpponentMoveError: if a ``Player`` or policy opponent plays illegally.
        """
        if self._over:
            raise RuntimeError("the episode is over: call reset()")
        a = int(action)
        if not 0 <= a <= self._pass:
            raise ValueError(f"action {action} is outside Discrete({self._pass + 1})")
        state = self._state
        if self._self_play:
            mover = state.to_move
            end = state.step(a, EK.REPLY_NONE, EK.SIDE_TO_MOVE)
        else:
            mover = self.agent_color
            end = state.step(a, self._reply, mover)  # one kernel call for "random"
        info: dict[str, Any] = {"action_mask": state.legal.view(np.int8).copy(), "illegal": False}
        if self._reply == EK.REPLY_RANDOM:
            if state.reply >= 0:
                info["opponent_action"] = state.reply
        elif not self._self_play and end == EK.NOT_OVER:
            if self._game is not None:
                self._game.play(a)
            end, resigned = self._opponent_moves()
            info["action_mask"] = state.legal.view(np.int8).copy()
            if resigned:
                self._over = self._resigned = True
                info.update(reason="resign", winner=mover)
                return state.obs.copy(), 1.0, True, False, info
            info["opponent_action"] = state.last_move()
        if end == EK.NOT_OVER:
            return state.obs.copy(), 0.0, False, False, info
        self._over = True
        info["reason"] = REASONS[end]
        if end == EK.END_ILLEGAL:
            info["illegal"] = True
            info["illegal_reason"] = state.illegal_reason
            info["winner"] = 3 - mover
            return state.obs.copy(), -1.0, True, False, info
        score = state.score()
        winner = BLACK if score > 0 else WHITE if score < 0 else 0
        info["winner"] = winner
        info["score"] = score
        reward = 0.0 if winner == 0 else 1.0 if winner == mover else -1.0
        return state.obs.copy(), reward, True, False, info

    def render(self) -> np.ndarray | str | None:  # type: ignore[override]
        """Return the frame of ``render_mode``: uint8 (H, W, 3) or the text diagram."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode (use 'rgb_array' or 'ansi')")
            return None
        return self._state.render(self.render_mode)

    # -- extras -----------------------------------------------------------------------
    def action_masks(self) -> np.ndarray:
        """Return the legal actions of the agent now, bool (N*N+1,)."""
        return self._state.legal.copy()

    @property
    def opponent(self) -> str | Player | Policy:
        """The opponent given to the constructor."""
        return self._opponent

    @property
    def size(self) -> int:
        """Board size N."""
        return self._state.size

    @property
    def komi(self) -> float:
        """Komi."""
        return self._state.komi

    @property
    def state(self) -> GoState:
        """The fast-path game (read it, do not play on it)."""
        return self._state

    def to_game(self) -> Game:
        """Return the episode so far as an ``engine.game.Game`` (for SGF, analysis).

        A finished game carries its ``Result`` (also after the opponent resigned).
        """
        game = self._state.to_game()
        if self._resigned:
            game.resign(3 - self.agent_color)
        return game

    # -- internals -----------------------------------------------------------------------
    def _opponent_moves(self) -> tuple[int, bool]:
        """Let the opponent move outside the step kernel; observe for the agent after it.

        Returns:
            (end code, whether the opponent resigned).
        """
        state = self._state
        opponent = 3 - self.agent_color
        if self._player is not None:
            assert self._game is not None
            decision = self._player.genmove(self._game, opponent, self.opponent_budget)
            action = int(decision.action)
            if action == RESIGN:
                return EK.NOT_OVER, True
        elif self._reply == EK.REPLY_RANDOM:
            action = int(EK.random_reply(state.board, state.arrays))
        else:
            assert self._policy is not None
            state.observe(opponent)
            action = int(self._policy(state.obs.copy(), state.legal.view(np.int8).copy()))
        if not 0 <= action <= self._pass:
            raise IllegalOpponentMoveError(f"the opponent chose action {action}, off the board")
        end = state.step(action, EK.REPLY_NONE, self.agent_color)
        if end == EK.END_ILLEGAL:
            raise IllegalOpponentMoveError(
                f"the opponent chose action {action}: illegal ({state.illegal_reason})"
            )
        if self._game is not None:
            self._game.play(action)
        return end, False


__all__ = [
    "GoEnv",
    "GoState",
    "IllegalOpponentMoveError",
    "Policy",
    "parse_agent_color",
]
