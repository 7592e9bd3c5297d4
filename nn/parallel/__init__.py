"""Parallel and distributed training of any torch module: data and model parallel.

A library of its own, as ``nn.compress`` is: every module here takes a plain
``torch.nn.Module`` (and, where it must, a loss function and batches) and knows nothing
of Go.  It imports neither ``engine`` nor ``selfplay``, ``trainer`` or ``zerogo``
(``tests/nn/parallel/test_isolation.py`` checks); the Go glue lives in
``trainer.distributed`` (``zerogo train --train-procs N``) and ``selfplay.process``
(``zerogo train --ray``).  The maintained libraries do the work (torch.distributed,
Ray); what is written by hand here is what they lack on a CPU or what the source
report asks to measure.

Where to start reading:

* ``nn.parallel.data_parallel``: synchronous data parallel, DistributedDataParallel
  over gloo (CPU) or NCCL (CUDA); ``launch`` runs a function on N local ranks, or once
  per rank under ``torchrun`` (it reads ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``...);
* ``nn.parallel.sync_norm``: ``SyncBatchNorm2d``, batch statistics over all ranks on any
  device (torch's ``SyncBatchNorm`` runs only on GPUs);
* ``nn.parallel.param_server``: asynchronous data parallel, a parameter server as a
  Ray actor and workers that push gradients without waiting, with controlled staleness;
* ``nn.parallel.model_parallel``: a sequential network split into pipeline stages over
  processes, run on micro-batches (``torch.distributed.pipelining``), and its bubble;
* ``nn.parallel.ray_utils``: starting or joining a Ray cluster, dashboard off.

Importing ``nn.parallel`` imports neither torch nor Ray; import the modules.
"""
