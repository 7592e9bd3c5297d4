"""Neural networks of zerogo (torch): AlphaGo Zero's residual policy-value network.

Where to start reading:

* ``nn.norms``: norm and activation layers by name;
* ``nn.blocks``: ``ConvNormAct``, ``ResidualBlock``, ``fuse_for_inference``;
* ``nn.go_net``: ``NetConfig``, the ``PRESETS`` registry and ``GoNet``;
* ``nn.trunks``: other trunks for the network (MobileNet v2, DenseNet, Transformer),
  generic, by name (``make_trunk``); ``nn.flops``: multiply-adds of a forward pass;
* ``nn.checkpoint``: safe (``weights_only``) checkpoint files that rebuild their network;
* ``nn.evaluator``: ``TorchEvaluator``, the search's ``engine.evaluator.Evaluator``
  backed by a network;
* ``nn.backends``: the same evaluator on onnxruntime and OpenVINO, and
  ``load_evaluator``, the one factory that picks a backend;
* ``nn.compress``: compression and export of any torch module (ONNX export), with
  nothing of Go in it;
* ``nn.sequence``: sequence decoders (GRU with attention, WaveNet, Transformer decoder),
  teacher forcing and scheduled sampling, with nothing of Go in it (the Go model that
  predicts a search's principal variation is ``zerogo.pv_model``);
* ``nn.bench``: evaluations-per-second benchmark, backends side by side;
* ``nn.vision``: detection (SSD on a MobileNet encoder), segmentation (U-Net), their
  metrics (AP, mAP, IoU) and plane geometry, with nothing of Go in it (``zerogo scan``
  reads boards from photos with it).

This package knows nothing of GTP, GUIs or self-play; the search (``engine``) never
imports it.  Importing ``nn`` itself imports no torch; import the modules.
"""
