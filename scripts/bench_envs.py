"""Steps per second of random legal play through the Go environments.

Measures, one after the other for a fixed number of seconds each:

* ``zerogo/Go-v0`` (gymnasium, through ``gymnasium.make``) against the built-in
  random opponent: one ``step`` is the agent's move plus the opponent's reply;
* the same in ``opponent="self"`` mode: one ``step`` is one move;
* ``engine.envs.aec_env.env()`` (PettingZoo AEC): one ``step`` is one move;
* PettingZoo's own ``pettingzoo.classic.go_v5``: one ``step`` is one move.

Every environment hands out full observations (feature planes and legal mask), and
every action is drawn uniformly from the legal mask by the same sampler, so the
rows compare environment cost only.  Prints a table, then one JSON object per
environment.  Compare rows of one run: the numbers depend on the machine's load.

    .venv/bin/python scripts/bench_envs.py [--seconds 5] [--size 9]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class Row:
    """What one environment did in its time slot."""

    env: str
    size: int
    seconds: float
    steps: int
    plies: int
    episodes: int

    @property
    def steps_per_s(self) -> float:
        """Environment steps per second."""
        return self.steps / self.seconds

    @property
    def plies_per_s(self) -> float:
        """Moves (both colours) per second."""
        return self.plies / self.seconds


def sample(mask: np.ndarray, rng: np.random.Generator) -> int:
    """Return a uniformly drawn legal action of an int8 or bool mask."""
    legal = np.flatnonzero(mask)
    return int(legal[rng.integers(len(legal))])


def bench_gym(size: int, seconds: float, opponent: str) -> Row:
    """Run random legal play through ``gymnasium.make("zerogo/Go-v0")``."""
    import gymnasium as gym

    import engine.envs  # noqa: F401 - registers zerogo/Go-v0

    env = gym.make("zerogo/Go-v0", size=size, opponent=opponent)
    rng = np.random.default_rng(0)
    _, info = env.reset(seed=0)
    for _ in range(200):  # warm-up: numba cache load, first-step checks
        _, _, terminated, _, info = env.step(sample(info["action_mask"], rng))
        if terminated:
            _, info = env.reset()
    state = env.unwrapped.state  # type: ignore[attr-defined]
    steps = plies = episodes = 0
    _, info = env.reset(seed=1)
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        _, _, terminated, truncated, info = env.step(sample(info["action_mask"], rng))
        steps += 1
        if terminated or truncated:
            episodes += 1
            plies += state.plies
            if time.perf_counter() >= deadline:
                break
            _, info = env.reset()
        elif steps % 256 == 0 and time.perf_counter() >= deadline:
            plies += state.plies
            break
    name = "zerogo gym (random opponent)" if opponent == "random" else "zerogo gym (self-play)"
    return Row(name, size, time.perf_counter() - start, steps, plies, episodes)


def bench_aec(name: str, make: Callable[[], object], seconds: float, size: int) -> Row:
    """Run random legal play through a PettingZoo AEC environment."""
    env = make()
    rng = np.random.default_rng(0)

    def play(deadline: float | None, max_steps: int) -> tuple[int, int]:
        steps = episodes = 0
        env.reset(seed=0)  # type: ignore[attr-defined]
        while True:
            for _agent in env.agent_iter():  # type: ignore[attr-defined]
                observation, _, terminated, truncated, _ = env.last()  # type: ignore[attr-defined]
                if terminated or truncated:
                    action = None
                else:
                    action = sample(observation["action_mask"], rng)
                env.step(action)  # type: ignore[attr-defined]
                steps += 1
                if steps >= max_steps or (
                    deadline is not None and steps % 256 == 0 and time.perf_counter() >= deadline
                ):
                    return steps, episodes
            episodes += 1
            env.reset()  # type: ignore[attr-defined]

    play(None, 200)  # warm-up
    start = time.perf_counter()
    steps, episodes = play(start + seconds, 2**62)
    elapsed = time.perf_counter() - start
    # AEC steps include the two "dead" steps (action None) that close each game
    return Row(name, size, elapsed, steps, steps - 2 * episodes, episodes)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per environment")
    parser.add_argument("--size", type=int, default=9, help="board size")
    args = parser.parse_args(argv)

    from engine.envs import aec_env

    rows = [
        bench_gym(args.size, args.seconds, "random"),
        bench_gym(args.size, args.seconds, "self"),
        bench_aec(
            "zerogo pettingzoo AEC",
            lambda: aec_env.env(size=args.size),
            args.seconds,
            args.size,
        ),
    ]
    try:
        from pettingzoo.classic import go_v5
    except ImportError as exc:  # pragma: no cover - pettingzoo is a dependency
        print(f"pettingzoo go_v5 unavailable: {exc}")
    else:
        rows.append(
            bench_aec(
                "pettingzoo go_v5",
                lambda: go_v5.env(board_size=args.size, komi=7.5),
                args.seconds,
                args.size,
            )
        )
    base = rows[-1].steps_per_s if rows[-1].env == "pettingzoo go_v5" else None
    header = ("environment", "steps/s", "plies/s", "episodes", "vs go_v5")
    print(f"{header[0]:32s} {header[1]:>10s} {header[2]:>10s} {header[3]:>9s} {header[4]:>9s}")
    for row in rows:
        ratio = f"{row.steps_per_s / base:8.1f}x" if base else "        -"
        print(
            f"{row.env:32s} {row.steps_per_s:10.0f} {row.plies_per_s:10.0f} "
            f"{row.episodes:9d} {ratio}"
        )
    for row in rows:
        record = asdict(row)
        record["steps_per_s"] = round(row.steps_per_s, 1)
        record["plies_per_s"] = round(row.plies_per_s, 1)
        record["seconds"] = round(row.seconds, 3)
        print(json.dumps(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
