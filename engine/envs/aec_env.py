"""The two-player PettingZoo AEC environment: Go between agents ``black_0`` and ``white_0``.

``env()`` returns the environment in PettingZoo's order-enforcing wrapper, as the
classic games come; ``raw_env`` is the bare class.  The
agents move in turn, black first; a pass is a move like any other.

Spaces (N = board size, C = planes of the feature config, 17 by default):

=============  ================================================================
observation    a dict: ``"observation"``, float32 ``(C, N, N)`` in {0, 1}: the
               ``engine.features`` planes as seen by the observing agent (its
               stones first, ``C`` all ones when it is black), ``[plane, row,
               col]`` with row 0 at the bottom; ``"action_mask"``, int8
               ``(N*N + 1,)``: the legal moves (positional superko included)
               for the agent whose turn it is, all zeros for the other one
action         ``Discrete(N*N + 1)``: flat actions ``row * N + col``, pass is
               ``N * N``
=============  ================================================================

Rewards are 0 until the game ends; then the winner gets +1 and the loser -1 (both
0 for a draw, possible with an integer komi), by Tromp-Taylor area score of the
stones as they stand.  The game ends after two passes in a row or, scored the same
way, after ``max_plies`` moves (``2 * N * N`` by default); both ends are
terminations.  An illegal action (occupied, suicide, ko, superko) loses the game:
-1 for the offender, +1 for the other agent, both terminated, ``infos[offender]``
holding ``illegal: True`` and ``illegal_reason``; the board is left as it was.  At
the end both agents' infos hold ``reason`` ("passes", "move_cap", "illegal"),
``winner`` (BLACK, WHITE, or 0 for a draw) and, when scored, ``score`` (black's area
minus white's minus komi).

Each step is one numba call (``engine.envs._env_kernels.step_env`` through
``engine.envs.gym_env.GoState``), shared with the gymnasium environment.
"""

from __future__ import annotations

from typing import Any, SupportsInt

import numpy as np
from gymnasium import spaces
from gymnasium.utils import EzPickle, seeding
from pettingzoo import AECEnv
from pettingzoo.utils import wrappers

from engine.board import BLACK, WHITE, Rules
from engine.envs import _env_kernels as EK
from engine.envs.gym_env import REASONS, RENDER_MODES, GoState
from engine.features import FeatureConfig
from engine.game import DEFAULT_KOMI

AGENTS = ("black_0", "white_0")
"""The agents, black first."""

COLORS = {"black_0": BLACK, "white_0": WHITE}
"""The colour each agent plays."""


def env(**kwargs: Any) -> AECEnv:
    """Return ``raw_env(**kwargs)`` wrapped in PettingZoo's order-enforcing wrapper.

    No bounds-asserting wrapper: ``raw_env.step`` itself raises ``ValueError`` for an
    action outside the action space (and each wrapper layer costs a step's worth of
    attribute look-ups).
    """
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))


class raw_env(AECEnv, EzPickle):  # noqa: N801 - PettingZoo's naming convention
    """Go for two agents, ``black_0`` and ``white_0`` (see the module docstring).

    Args:
        size: board size N (2 .. 19); 9 by default.
        komi: points given to white; an integer komi makes draws possible.
        features: observation planes (default: AlphaGo Zero's 17).
        rules: rule options (suicide, superko).
        max_plies: move cap of a game, scored (default ``2 * N * N``).
        render_mode: None, "rgb_array" or "ansi".

    Raises:
        ValueError: for a bad size, move cap or render mode.
    """

    metadata = {
        "render_modes": list(RENDER_MODES),
        "name": "zerogo_go_v0",
        "is_parallelizable": False,
        "render_fps": 4,
    }

    def __init__(
        self,
        size: int = 9,
        komi: float = DEFAULT_KOMI,
        features: FeatureConfig | None = None,
        rules: Rules | None = None,
        max_plies: int | None = None,
        render_mode: str | None = None,
    ) -> None:
        EzPickle.__init__(self, size, komi, features, rules, max_plies, render_mode)
        super().__init__()
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(f"unknown render mode {render_mode!r} (known: {RENDER_MODES})")
        self._state = GoState(size, komi, rules, features, max_plies)
        self.render_mode = render_mode
        n = self._state.size
        self._pass = n * n
        self.possible_agents = list(AGENTS)
        self.agents = list(AGENTS)
        self.observation_spaces = {
            agent: spaces.Dict(
                {
                    "observation": spaces.Box(
                        0.0, 1.0, (self._state.features.num_planes, n, n), dtype=np.float32
                    ),
                    "action_mask": spaces.Box(0, 1, (n * n + 1,), dtype=np.int8),
                }
            )
            for agent in AGENTS
        }
        self.action_spaces = {agent: spaces.Discrete(n * n + 1) for agent in AGENTS}
        self._observed = 0  # the colour that the state's buffers were last filled for
        self.reset()

    # -- PettingZoo API -------------------------------------------------------------
    def observation_space(self, agent: str) -> spaces.Space:
        """Return the observation space of ``agent`` (the same object every time)."""
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        """Return the action space of ``agent`` (the same object every time)."""
        return self.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Start a new game, black (``black_0``) to move.

        Args:
            seed: seeds ``np_random`` (the game itself has no randomness).
            options: unused.
        """
        if seed is not None:
            self.np_random, self.np_random_seed = seeding.np_random(seed)
        self._state.reset(0)
        self.agents = list(AGENTS)
        self.rewards = {agent: 0.0 for agent in AGENTS}
        self._cumulative_rewards = {agent: 0.0 for agent in AGENTS}
        self.terminations = {agent: False for agent in AGENTS}
        self.truncations = {agent: False for agent in AGENTS}
        self.infos: dict[str, dict[str, Any]] = {agent: {} for agent in AGENTS}
        self.agent_selection = AGENTS[0]
        self._state.observe(BLACK)
        self._observed = BLACK

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        """Return ``agent``'s observation: its planes and, on its turn, its legal moves."""
        color = COLORS[agent]
        state = self._state
        if self._observed != color:
            state.observe(color)
            self._observed = color
        if agent == self.agent_selection:
            mask = state.legal.view(np.int8).copy()
        else:
            mask = np.zeros(self._pass + 1, dtype=np.int8)
        return {"observation": state.obs.copy(), "action_mask": mask}

    def step(self, action: SupportsInt | None) -> None:
        """Play ``action`` for the agent whose turn it is (None once it is terminated).

        Raises:
            ValueError: for an action outside the action space, or not None for a
                terminated agent.
        """
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        if action is None:
            raise ValueError(f"{agent} must play an action, not None")
        a = int(action)
        if not 0 <= a <= self._pass:
            raise ValueError(f"action {action} is outside Discrete({self._pass + 1})")
        state = self._state
        other = AGENTS[1] if agent == AGENTS[0] else AGENTS[0]
        self._cumulative_rewards[agent] = 0.0
        for name in self.rewards:
            self.rewards[name] = 0.0
        end = state.step(a, EK.REPLY_NONE, EK.SIDE_TO_MOVE)
        self._observed = state.to_move
        if end != EK.NOT_OVER:
            self._finish(agent, other, end)
        self.agent_selection = other
        self._accumulate_rewards()

    def render(self) -> np.ndarray | str | None:
        """Return the frame of ``render_mode``: uint8 (H, W, 3) or the text diagram."""
        if self.render_mode is None:
            return None
        return self._state.render(self.render_mode)

    def close(self) -> None:
        """Nothing to release."""

    # -- extras -----------------------------------------------------------------------
    @property
    def go_state(self) -> GoState:
        """The fast-path game (read it, do not play on it); ``to_game()`` exports it."""
        return self._state

    # -- internals -----------------------------------------------------------------------
    def _finish(self, agent: str, other: str, end: int) -> None:
        """Set rewards, terminations and infos of a game that ``agent``'s move ended."""
        state = self._state
        for name in AGENTS:
            self.terminations[name] = True
        reason = REASONS[end]
        if end == EK.END_ILLEGAL:
            self.rewards[agent] = -1.0
            self.rewards[other] = 1.0
            winner = COLORS[other]
            self.infos[agent] = {
                "reason": reason,
                "winner": winner,
                "illegal": True,
                "illegal_reason": state.illegal_reason,
            }
            self.infos[other] = {"reason": reason, "winner": winner}
            return
        score = state.score()
        winner = BLACK if score > 0 else WHITE if score < 0 else 0
        for name in AGENTS:
            if winner != 0:
                self.rewards[name] = 1.0 if COLORS[name] == winner else -1.0
            self.infos[name] = {"reason": reason, "winner": winner, "score": score}


__all__ = ["AGENTS", "COLORS", "env", "raw_env"]
