"""Reinforcement-learning environments of zerogo, thin layers over the numba rules engine.

* ``engine.envs.gym_env.GoEnv``, registered with gymnasium as ``zerogo/Go-v0``:
  one agent against a pluggable opponent (``gymnasium.make("zerogo/Go-v0",
  size=9, komi=7.5, opponent="random")``);
* ``engine.envs.aec_env.env()`` / ``raw_env``: the two-player PettingZoo AEC
  environment (agents ``black_0`` and ``white_0``);
* ``engine.envs.render``: the numpy-drawn ``rgb_array`` frames.

Importing this package only registers the gymnasium id (the environment module is
loaded by ``gymnasium.make``).  Without importing it first, ``gymnasium.make(
"engine.envs:zerogo/Go-v0")`` imports and registers in one go.  Both environments
step through one numba call (``engine.envs._env_kernels.step_env``).
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

ENV_ID = "zerogo/Go-v0"
"""The gymnasium id of ``engine.envs.gym_env.GoEnv``."""


def register_envs() -> None:
    """Register ``zerogo/Go-v0`` with gymnasium (once; later calls do nothing)."""
    if ENV_ID not in registry:
        register(id=ENV_ID, entry_point="engine.envs.gym_env:GoEnv")


register_envs()

__all__ = ["ENV_ID", "register_envs"]
