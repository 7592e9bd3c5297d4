"""Training of the network on self-play games (AlphaGo Zero's optimisation step).

Layers, from data to weights:

* ``trainer.config`` — ``TrainConfig``, every training default in one place;
* ``trainer.replay`` — ``ReplayBuffer``, the window of the most recent games of a
  shard directory (``selfplay.shards``), with a deterministic validation split;
* ``trainer.dataset`` — ``BatchSampler``, uniform positions of the window as
  ``Batch``es of planes and targets under random symmetries;
* ``trainer.loss`` — ``training_loss``, policy cross-entropy + value MSE + ownership,
  plus KataGo's auxiliary heads (score, opponent policy, short-term value) when the
  network has them;
* ``trainer.train`` — ``Trainer``, optimiser, schedule, mixed precision, resume;
* ``trainer.metrics`` — running means and the TensorBoard writer.

The trainer imports the engine (features, symmetries) and torch, never the search or
any user interface; networks come in as plain ``torch.nn.Module``s (``nn/``).
"""

from trainer.config import TrainConfig
from trainer.dataset import Batch, BatchSampler
from trainer.replay import ReplayBuffer
from trainer.train import Trainer

__all__ = ["Batch", "BatchSampler", "ReplayBuffer", "TrainConfig", "Trainer"]
