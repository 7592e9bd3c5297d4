"""Tests of the nn package (tiny networks: a few blocks of 8-16 channels on 5x5 and 9x9).

``single_torch_thread`` runs each test with one torch thread: the networks are too
small to gain from two, and on the shared 2-core machine a second OpenMP thread that
is descheduled stalls every parallel region (a tiny forward pass took 0.3 s that way).
Test modules import it; the fixture is autouse.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def single_torch_thread() -> Iterator[None]:
    """Run the test with ``torch.set_num_threads(1)``, restoring the count afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
