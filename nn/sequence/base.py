"""What every decoder of ``nn.sequence`` shares: the interface and the context.

A decoder writes a sequence of output tokens given a *context*, the encoder's output:

* tokens ``(B, T, D)``: one vector per input element (the points of a board, the
  words of a sentence), what attention decoders attend to;
* or one vector ``(B, D)``.

A decoder maps input tokens ``(B, L)`` (int64, in ``0 .. input_vocab-1``) and the
context to logits ``(B, L, vocab)``; the logits at position t depend only on input
tokens ``0 .. t`` (causality; the tests perturb later tokens to check it).  Trained
with teacher forcing, input t is the target of position t-1 and input 0 a start token
(``nn.sequence.sampling``).

Decoders that need one vector take it from token context by ``summary``:
``"first"`` (the first token, a [CLS]-style summary that the encoder provides) or
``"mean"`` (the mean over the tokens).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor
from torch import nn as tnn

SUMMARIES = ("first", "mean")


def check_summary(name: str) -> None:
    """Check a ``summary`` name.

    Raises:
        ValueError: if it is not one of ``SUMMARIES``.
    """
    if name not in SUMMARIES:
        raise ValueError(f"unknown summary {name!r} (known: {', '.join(SUMMARIES)})")


def context_tokens(context: Tensor) -> Tensor:
    """Return the context as tokens: (B, T, D) as it is, (B, D) as (B, 1, D).

    Raises:
        ValueError: for a context of another rank.
    """
    if context.dim() == 3:
        return context
    if context.dim() == 2:
        return context.unsqueeze(1)
    raise ValueError(f"context must be (B, T, D) or (B, D), got shape {tuple(context.shape)}")


def context_summary(context: Tensor, summary: str) -> Tensor:
    """Return one vector per example (B, D) of a (B, T, D) or (B, D) context.

    Raises:
        ValueError: for an unknown ``summary`` or a context of another rank.
    """
    check_summary(summary)
    tokens = context_tokens(context)
    return tokens[:, 0] if summary == "first" else tokens.mean(dim=1)


class SequenceDecoder(tnn.Module):
    """Base of the decoders: sizes, and the input check.

    Args:
        vocab: V, the output classes.
        input_vocab: the input tokens (default V + 1: the outputs and a start token).
        context_dim: D, the width of the context vectors.

    Raises:
        ValueError: for a size below 1 or an input vocabulary smaller than V.
    """

    def __init__(self, vocab: int, input_vocab: int | None, context_dim: int) -> None:
        super().__init__()
        input_vocab = vocab + 1 if input_vocab is None else input_vocab
        if vocab < 1 or context_dim < 1 or input_vocab < vocab:
            raise ValueError(
                f"bad sizes: vocab {vocab}, input_vocab {input_vocab}, context_dim {context_dim}"
            )
        self.vocab = vocab
        self.input_vocab = input_vocab
        self.context_dim = context_dim

    def check_inputs(self, inputs: Tensor, context: Tensor) -> None:
        """Check the shapes of ``forward``'s arguments.

        Raises:
            ValueError: for inputs that are not (B, L) or a context whose batch or
                width does not fit.
        """
        if inputs.dim() != 2 or inputs.shape[1] < 1:
            raise ValueError(f"inputs must be (B, L) with L >= 1, got {tuple(inputs.shape)}")
        if context.shape[0] != inputs.shape[0] or context.shape[-1] != self.context_dim:
            raise ValueError(
                f"context {tuple(context.shape)} does not fit inputs {tuple(inputs.shape)} "
                f"and context_dim {self.context_dim}"
            )

    def forward(self, inputs: Tensor, context: Tensor) -> Tensor:  # pragma: no cover
        """Return logits (B, L, vocab) of inputs (B, L) given the context."""
        raise NotImplementedError

    def next_logits(self, inputs: Tensor, context: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """Return the logits (B, vocab) of the token after ``inputs`` (B, t), and a state.

        Decoding calls this with the prefix grown by one token each time, passing back
        the state it returned.  The default runs ``forward`` on the whole prefix (one
        parallel call; right for any causal decoder); a recurrent decoder overrides it
        to consume only the newest token.
        """
        return self.forward(inputs, context)[:, -1], state


__all__ = ["SUMMARIES", "SequenceDecoder", "check_summary", "context_summary", "context_tokens"]
