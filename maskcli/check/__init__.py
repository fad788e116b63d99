"""``maskcli check``: a padding, mask and label audit of a whole dataset (pure core, no CLI).

Public API: :func:`audit_shard` (the per-shard work, mergeable), :func:`audit_pieces` (the same,
cut where training batches end, for shards that start anywhere), :class:`CheckConfig`,
:func:`load_config`, :func:`build_report`, :data:`CHECKS` (the finding registry). Names are
imported on first use, so ``maskcli --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "Audit": "audit", "audit_shard": "audit", "audit_pieces": "audit", "CheckConfig": "config", "load_config": "config",
    "CHECKS": "registry", "Severity": "registry", "Report": "report", "build_report": "report",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'maskcli.check' has no attribute {name!r}")
    return getattr(importlib.import_module(f"maskcli.check.{_HOMES[name]}"), name)
