"""Starting or joining a Ray cluster, the same way everywhere.

``ensure_ray(None)`` starts a private Ray instance on this machine; ``ensure_ray(ADDR)``
joins a running cluster (``ray start --head`` on one machine, ``ray start
--address=HEAD:6379`` on the others, or a ``ray up`` cluster); "auto" joins the
cluster this machine belongs to.  The dashboard is off (it costs a process and CPU
time on a small machine), and worker logs stay in Ray's session folder unless asked
for.  A process already connected to Ray keeps its connection.
"""

from __future__ import annotations

from typing import Any


def ensure_ray(
    address: str | None = None,
    num_cpus: int | None = None,
    log_to_driver: bool = False,
) -> Any:
    """Connect to Ray (once per process) and return the ``ray`` module.

    Args:
        address: None or "local" (start Ray here), "auto" or "HOST:PORT" (join).
        num_cpus: CPUs a local instance offers (None: all); ignored when joining.
        log_to_driver: echo the workers' output here.

    Raises:
        ImportError: if Ray is not installed (``pip install 'zerogo[dist]'``).
        ConnectionError: if no cluster answers at ``address``.
    """
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - Ray is in the dist extra
        raise ImportError("Ray is not installed: pip install 'ray>=2.9'") from exc
    if ray.is_initialized():
        return ray
    if address in (None, "", "local"):
        # address="local" starts a new instance even when another one runs on this
        # machine (a bare init() would join it and then refuse num_cpus)
        ray.init(
            address="local",
            num_cpus=num_cpus,
            include_dashboard=False,
            log_to_driver=log_to_driver,
        )
    else:
        ray.init(address=address, log_to_driver=log_to_driver)
    return ray


__all__ = ["ensure_ray"]
