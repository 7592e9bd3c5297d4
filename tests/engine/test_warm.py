"""The warm-up compiles what a timed game needs before the clock runs."""

from __future__ import annotations

from engine import _puct_kernels as K
from engine import warm


def test_warm_up_compiles_the_network_player_s_search_kernels() -> None:
    # Compiled lazily, the kernel that keeps the subtree after a move cost a network
    # player 5 s at its second move of a fresh clone (lost on time at 0.5 s/move).
    warm.warm_all()
    for kernel in (K.select_leaves, K.expand_and_backup, K.advance_root, K.root_children,
                   K.reset_tree):
        assert kernel.signatures, kernel.__name__


def test_the_fingerprint_covers_every_kernel_module() -> None:
    fingerprint = warm.kernel_fingerprint()
    assert len(fingerprint) == 64
    names = {p.name for p in warm.ENGINE.rglob("_*kernels.py")}
    assert {"_puct_kernels.py", "_board_kernels.py", "_feature_kernels.py"} <= names
