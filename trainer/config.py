"""Every training default in one place: ``TrainConfig``.

The defaults are for 9x9 self-play on one GPU.  Four groups of settings:

* **replay window** — how much self-play data the trainer learns from
  (``window_games``, ``min_games``, ``validation_fraction``, ``sample_positions``,
  ``samples_per_position``, ``plane_cache_mb``);
* **optimisation** — optimiser, learning-rate schedule, weight decay, batch size;
* **loss** — weights of the value and ownership terms and of KataGo's auxiliary
  heads (score, opponent policy, short-term value), ``trainer.loss``;
* **runtime** — device, mixed precision, seed, logging interval.

Learning rate: ``lr`` is the base rate and the schedule gives a multiplier of it at
each global step.  ``lr_schedule="steps"`` reads ``lr_steps``, pairs
``(first step, multiplier)``: the defaults ``lr=0.02`` with
``((0, 1.0), (100_000, 0.1), (200_000, 0.01))`` give AlphaGo Zero's shape of schedule
0.02 -> 0.002 -> 0.0002.  ``"cosine"`` decays from 1 to ``cosine_final`` over
``cosine_steps`` steps; ``"constant"`` keeps 1.  An optional linear warm-up over
``warmup_steps`` multiplies any of them.

Weight decay is the optimiser's ``weight_decay``.  With SGD it adds
``weight_decay * θ`` to the gradient, i.e. it is the gradient of
``(weight_decay / 2) ||θ||²``: AlphaGo Zero's ``c ||θ||²`` term with
``c = weight_decay / 2`` (the two agree up to that factor of 2; set
``weight_decay=2e-4`` to match AlphaGo Zero's ``c = 1e-4`` exactly).  With AdamW the
decay is decoupled from the gradient (``θ -= lr * weight_decay * θ`` each step),
which is why AdamW has its own default.

Ownership weight: the ownership loss is averaged over the ``N*N`` points (and over the
games that have a final position), then multiplied by ``ownership_weight``; that is a
weight of ``ownership_weight / (N*N)`` per point, summed over the board — KataGo's
``1.5 / b²`` per point with the default 1.5.  Ownership is an auxiliary target: it
sharpens the trunk's features and the value, but should not dominate the policy and
value terms, hence the low per-point weight.

Auxiliary heads (KataGo; "Accelerating Self-Play Learning in Go", Wu 2019): a network
built with them (``nn.go_net.NetConfig.heads``) is trained on them with these weights;
for a network without them the weights do nothing, so the defaults leave today's
networks untouched.  ``score_weight`` (0.25) multiplies a Huber loss on the score margin
over N (an error of N points on an N x N board costs 0.5); ``opponent_policy_weight``
(0.15, KataGo's) the cross-entropy of the next position's search policy;
``short_term_value_weight`` (0.5) the squared error of the short-term value, the
exponentially weighted average of the root values over about ``short_term_horizon``
(6) plies.

Start reading at ``TrainConfig``; ``learning_rate(step)`` and ``steps_for`` are the
two derived quantities the training loop asks for.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_FILE = "train_config.json"
"""Name of the file ``TrainConfig.write_to`` writes into a run directory."""

OPTIMIZERS = ("sgd", "adamw")
LR_SCHEDULES = ("steps", "cosine", "constant")
OWNERSHIP_LOSSES = ("mse", "bce")
SAMPLE_POSITIONS = ("all", "policy_target")
AMP_DTYPES = ("float16", "bfloat16")

_DEFAULT_LR = {"sgd": 0.02, "adamw": 1e-3}
_DEFAULT_WEIGHT_DECAY = {"sgd": 1e-4, "adamw": 0.01}


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run (see the module docstring for the formulas).

    Attributes:
        window_games: replay window, the number of most recent self-play games
            trained on (AlphaGo Zero used 500,000 19x19 games; 20,000 suits 9x9).
        min_games: games the window must hold before training starts.
        validation_fraction: fraction of games held out for validation, chosen by a
            hash of the game id (the same games on every machine and run).
        sample_positions: "all" samples every position and masks the policy loss of
            positions without a policy target (cheap searches of playout-cap
            randomisation); "policy_target" samples only positions with one (KataGo
            records only those).
        samples_per_position: how many times each new position is sampled on
            average; a generation of ``P`` new positions gets
            ``ceil(P * samples_per_position / batch_size)`` steps (``steps_for``).
        plane_cache_mb: memory for the bit-packed feature planes of recently
            sampled games (``trainer.dataset.PlaneCache``); about 190 bytes per 9x9
            position with 17 planes, so the default holds a whole 9x9 window.
        batch_size: positions per training step.
        optimizer: "sgd" (momentum, as AlphaGo Zero) or "adamw".
        lr: base learning rate; None picks 0.02 for SGD, 1e-3 for AdamW.
        momentum: SGD momentum.
        adamw_betas: AdamW's (beta1, beta2).
        lr_schedule: "steps", "cosine" or "constant".
        lr_steps: for "steps", ``(first step, multiplier of lr)`` pairs, increasing
            steps, the first at step 0.
        cosine_steps: for "cosine", steps over which the multiplier falls to
            ``cosine_final`` (and stays there).
        cosine_final: final multiplier of the cosine schedule.
        warmup_steps: steps of linear warm-up from ``lr / warmup_steps`` (0: none).
        weight_decay: optimiser weight decay; None picks 1e-4 for SGD (L2, AlphaGo
            Zero's ``c = 5e-5`` — see the module docstring) and 0.01 for AdamW.
        grad_clip_norm: clip the gradient's global norm to this (None: no clipping).
        value_weight: weight of the value MSE.
        ownership_weight: weight of the ownership loss averaged over points.
        ownership_loss: "mse" on the tanh outputs, or "bce" between ``(1+y)/2`` and
            ``(1+o)/2`` (KataGo's choice).
        score_weight: weight of the score head's loss (networks with one).
        opponent_policy_weight: weight of the opponent-policy head's cross-entropy.
        short_term_value_weight: weight of the short-term value head's squared error.
        short_term_horizon: plies of the short-term value's average, ``1 / (1 - λ)``.
        device: "auto" (CUDA when available), "cpu", "cuda" or "cuda:K".
        amp: mixed precision (autocast) on CUDA; on the CPU only with ``cpu_bf16``.
        cpu_bf16: bfloat16 autocast when training on the CPU (fast with AMX).
        amp_dtype: "float16" (with a gradient scaler) or "bfloat16".
        seed: seed of the sampler and of ``trainer.train.seed_everything``.
        log_every: steps between TensorBoard scalar writes.
        validation_positions: positions of the fixed validation set.

    Raises:
        ValueError: for any value out of range or an unknown name.
    """

    # replay window
    window_games: int = 20_000
    min_games: int = 2_000
    validation_fraction: float = 0.02
    sample_positions: str = "all"
    samples_per_position: float = 4.0
    plane_cache_mb: float = 1024.0
    # optimisation
    batch_size: int = 256
    optimizer: str = "sgd"
    lr: float | None = None
    momentum: float = 0.9
    adamw_betas: tuple[float, float] = (0.9, 0.999)
    lr_schedule: str = "steps"
    lr_steps: tuple[tuple[int, float], ...] = ((0, 1.0), (100_000, 0.1), (200_000, 0.01))
    cosine_steps: int = 200_000
    cosine_final: float = 0.01
    warmup_steps: int = 0
    weight_decay: float | None = None
    grad_clip_norm: float | None = None
    # loss
    value_weight: float = 1.0
    ownership_weight: float = 1.5
    ownership_loss: str = "mse"
    score_weight: float = 0.25
    opponent_policy_weight: float = 0.15
    short_term_value_weight: float = 0.5
    short_term_horizon: float = 6.0
    # runtime
    device: str = "auto"
    amp: bool = True
    amp_dtype: str = "float16"
    cpu_bf16: bool = False
    seed: int = 0
    log_every: int = 100
    validation_positions: int = 4096

    def __post_init__(self) -> None:
        # JSON gives lists: store tuples so that configs compare and hash equal
        object.__setattr__(self, "adamw_betas", tuple(float(b) for b in self.adamw_betas))
        object.__setattr__(
            self, "lr_steps", tuple((int(step), float(mult)) for step, mult in self.lr_steps)
        )
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        _choice("ownership_loss", self.ownership_loss, OWNERSHIP_LOSSES)
        _choice("sample_positions", self.sample_positions, SAMPLE_POSITIONS)
        _choice("amp_dtype", self.amp_dtype, AMP_DTYPES)
        if self.lr is None:
            object.__setattr__(self, "lr", _DEFAULT_LR[self.optimizer])
        if self.weight_decay is None:
            object.__setattr__(self, "weight_decay", _DEFAULT_WEIGHT_DECAY[self.optimizer])
        _positive_int("window_games", self.window_games)
        _positive_int("batch_size", self.batch_size)
        _positive_int("cosine_steps", self.cosine_steps)
        _positive_int("log_every", self.log_every)
        _positive_int("validation_positions", self.validation_positions)
        if self.min_games < 0 or self.min_games > self.window_games:
            raise ValueError(
                f"min_games must be in 0 .. window_games ({self.window_games}), "
                f"not {self.min_games}"
            )
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(
                f"validation_fraction must be in [0, 1), not {self.validation_fraction}"
            )
        _positive("samples_per_position", self.samples_per_position)
        _positive("plane_cache_mb", self.plane_cache_mb, allow_zero=True)
        _positive("lr", self.lr)
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), not {self.momentum}")
        if len(self.adamw_betas) != 2 or not all(0.0 <= b < 1.0 for b in self.adamw_betas):
            raise ValueError(f"adamw_betas must be two numbers in [0, 1), not {self.adamw_betas}")
        self._check_lr_steps()
        if not 0.0 <= self.cosine_final <= 1.0:
            raise ValueError(f"cosine_final must be in [0, 1], not {self.cosine_final}")
        if self.warmup_steps < 0:
            raise ValueError(f"warmup_steps must not be negative, not {self.warmup_steps}")
        _positive("weight_decay", self.weight_decay, allow_zero=True)
        if self.grad_clip_norm is not None:
            _positive("grad_clip_norm", self.grad_clip_norm)
        _positive("value_weight", self.value_weight, allow_zero=True)
        _positive("ownership_weight", self.ownership_weight, allow_zero=True)
        _positive("score_weight", self.score_weight, allow_zero=True)
        _positive("opponent_policy_weight", self.opponent_policy_weight, allow_zero=True)
        _positive("short_term_value_weight", self.short_term_value_weight, allow_zero=True)
        _positive("short_term_horizon", self.short_term_horizon)
        if self.short_term_horizon < 1.0:
            raise ValueError(
                f"short_term_horizon must be at least 1 ply, not {self.short_term_horizon}"
            )
        if self.device != "auto" and not _is_device_name(self.device):
            raise ValueError(
                f"device must be 'auto', 'cpu', 'cuda' or 'cuda:K', not {self.device!r}"
            )

    def _check_lr_steps(self) -> None:
        if not self.lr_steps or self.lr_steps[0][0] != 0:
            raise ValueError(f"lr_steps must start at step 0, not {self.lr_steps}")
        steps = [step for step, _ in self.lr_steps]
        if any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
            raise ValueError(f"lr_steps must have increasing steps, not {self.lr_steps}")
        if any(mult <= 0.0 or not math.isfinite(mult) for _, mult in self.lr_steps):
            raise ValueError(f"lr_steps multipliers must be positive, not {self.lr_steps}")

    # -- derived quantities ------------------------------------------------------

    def learning_rate(self, step: int) -> float:
        """Return the learning rate of global step ``step`` (0 for the first step).

        Raises:
            ValueError: for a negative step.
        """
        if step < 0:
            raise ValueError(f"step must not be negative, not {step}")
        assert self.lr is not None  # resolved in __post_init__
        if self.lr_schedule == "steps":
            factor = next(mult for first, mult in reversed(self.lr_steps) if step >= first)
        elif self.lr_schedule == "cosine":
            progress = min(step, self.cosine_steps) / self.cosine_steps
            factor = self.cosine_final + (1.0 - self.cosine_final) * 0.5 * (
                1.0 + math.cos(math.pi * progress)
            )
        else:
            factor = 1.0
        if self.warmup_steps and step < self.warmup_steps:
            factor *= (step + 1) / self.warmup_steps
        return self.lr * factor

    def steps_for(self, new_positions: int) -> int:
        """Return the training steps owed to ``new_positions`` freshly generated positions.

        Each new position is then sampled ``samples_per_position`` times on average
        (over the life of the window, since sampling is uniform over it).

        Raises:
            ValueError: for a negative count.
        """
        if new_positions < 0:
            raise ValueError(f"new_positions must not be negative, not {new_positions}")
        return math.ceil(new_positions * self.samples_per_position / self.batch_size)

    def loss_weights(self) -> dict[str, Any]:
        """Return the keyword arguments of ``trainer.loss.training_loss`` this config sets."""
        return {
            "value_weight": self.value_weight,
            "ownership_weight": self.ownership_weight,
            "ownership_loss": self.ownership_loss,
            "score_weight": self.score_weight,
            "opponent_policy_weight": self.opponent_policy_weight,
            "short_term_value_weight": self.short_term_value_weight,
        }

    def resolved_device(self) -> str:
        """Return the torch device name: ``device``, with "auto" resolved."""
        if self.device != "auto":
            return self.device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    # -- serialisation -----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain JSON-able values (tuples become lists)."""
        return json.loads(self.to_json())

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Return the config of ``values`` (missing fields take their defaults).

        Raises:
            ValueError: for an unknown field or an invalid value.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig fields: {unknown}")
        return cls(**values)

    def to_json(self) -> str:
        """Return the config as indented JSON text."""
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        """Return the config of JSON ``text`` (inverse of ``to_json``).

        Raises:
            ValueError: for text that is not a JSON object of known fields.
        """
        values = json.loads(text)
        if not isinstance(values, dict):
            raise ValueError("a TrainConfig is a JSON object")
        return cls.from_dict(values)

    def write_to(self, run_dir: str | os.PathLike[str], echo: bool = False) -> Path:
        """Save the config as ``train_config.json`` in ``run_dir`` (created if needed).

        Args:
            run_dir: the run directory.
            echo: also print the JSON text.

        Returns:
            The path of the file written.
        """
        folder = Path(run_dir)
        folder.mkdir(parents=True, exist_ok=True)
        text = self.to_json()
        path = folder / CONFIG_FILE
        path.write_text(text + "\n", encoding="utf-8")
        if echo:
            print(f"training config ({path}):\n{text}")
        return path

    @classmethod
    def read_from(cls, run_dir: str | os.PathLike[str]) -> TrainConfig:
        """Return the config saved in ``run_dir`` by ``write_to``.

        Raises:
            OSError: if the file cannot be read.
            ValueError: if it does not hold a valid config.
        """
        return cls.from_json((Path(run_dir) / CONFIG_FILE).read_text(encoding="utf-8"))


def _choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")


def _positive_int(name: str, value: int) -> None:
    if int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value}")


def _positive(name: str, value: float | None, allow_zero: bool = False) -> None:
    if value is None or not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {bound} and finite, not {value}")


def _is_device_name(name: str) -> bool:
    if name in ("cpu", "cuda"):
        return True
    prefix, _, index = name.partition(":")
    return prefix == "cuda" and index.isdigit()


__all__ = ["CONFIG_FILE", "TrainConfig"]
