"""Sequence decoders: write a token sequence given an encoder's context.

Three families over one interface (``nn.sequence.base.SequenceDecoder``: input tokens
(B, L) and a context (B, T, D) or (B, D) in, logits (B, L, V) out, causal in L):

* ``nn.sequence.gru``: a GRU with Bahdanau attention (the RNN seq2seq);
* ``nn.sequence.wavenet``: dilated causal convolutions with gated units (WaveNet);
* ``nn.sequence.transformer``: a Transformer decoder, causal self-attention and
  cross-attention to the context tokens;

with ``nn.sequence.attention`` (scaled dot-product, multi-head, additive) beneath
them and ``nn.sequence.sampling`` (teacher forcing, scheduled sampling, greedy
decoding, sequences per second) beside them.  Start with ``base``, then any decoder.
Nothing in this package knows of Go: the Go model that encodes a board and decodes a
principal variation is ``zerogo.pv_model``.
"""
