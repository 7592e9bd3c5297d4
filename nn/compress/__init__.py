"""Network compression and export: smaller or faster forms of a trained torch module.

A library of its own: every module here takes a plain ``torch.nn.Module`` and knows
nothing of Go.  It imports neither ``engine`` nor ``selfplay``, ``trainer`` or
``zerogo`` (``tests/nn/compress/test_isolation.py`` checks), so it can be reused for
any network; the Go glue (evaluators for the search) lives in ``nn.backends``.

Where to start reading:

* ``nn.compress.export``: ``export_onnx``, a module as an ONNX graph with a dynamic
  batch axis, batch norms folded first (run it with onnxruntime or OpenVINO).
"""
