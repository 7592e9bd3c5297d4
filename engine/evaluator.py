"""The Evaluator protocol: how the search asks a network for priors and values.

The search (``engine``) never imports torch; it hands a batch of feature planes to an
object with this interface.  ``nn.evaluator.TorchEvaluator`` is the network backend.
Perspective: every output is from the point of view of the side to move in that
position (KataGo's convention): value +1 means the side to move wins, ownership +1
means the point ends as the side to move's.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from engine.features import FeatureConfig


class Evaluator(Protocol):
    """Batched position evaluation.

    Attributes:
        size: board size N the evaluator accepts.
        feature_config: the planes it expects (``engine.features``).
        name: identifier of the network (recorded with every self-play game).
    """

    size: int
    feature_config: FeatureConfig
    name: str

    def evaluate(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Evaluate a batch of positions.

        Args:
            features: float32 (B, C, N, N) planes.

        Returns:
            policy_logits: float32 (B, N*N+1), pass last; unnormalised, illegal moves
                included (the search masks them).
            value: float32 (B,) in [-1, 1] for the side to move.
            ownership: float32 (B, N, N) in [-1, 1] for the side to move.
        """
        ...


class UniformEvaluator:
    """A network-free evaluator: uniform priors, value 0, ownership 0.

    With it PUCT is plain visit-count search; tests use it to check the search
    machinery apart from any network.
    """

    def __init__(self, size: int, feature_config: FeatureConfig | None = None) -> None:
        self.size = size
        self.feature_config = feature_config or FeatureConfig()
        self.name = "uniform"

    def evaluate(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        batch = features.shape[0]
        n = self.size
        return (
            np.zeros((batch, n * n + 1), dtype=np.float32),
            np.zeros(batch, dtype=np.float32),
            np.zeros((batch, n, n), dtype=np.float32),
        )
