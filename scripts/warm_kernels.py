"""Compile (or load from numba's cache) every engine kernel once.

``make test`` runs this before pytest so that a fresh clone pays numba's compile
time once instead of once per test worker.
"""

from __future__ import annotations

import importlib
import time


def main() -> None:
    start = time.monotonic()
    warm = importlib.import_module("engine.warm")
    dropped = warm.drop_stale_caches()
    if dropped:
        print(f"kernel sources changed: {dropped} stale numba cache files dropped")
    warm.warm_all()
    print(f"numba kernels ready in {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main()
