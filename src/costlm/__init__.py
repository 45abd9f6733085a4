"""costlm: what it costs to train and to run a language model, as ranges with sources.

The public API is re-exported lazily from ``costlm.api`` (PEP 562) so that importing
the package (as ``costlm --help`` does) stays cheap::

    import costlm
    result = costlm.estimate_training(costlm.TrainingRequest(model="deepseek-v3"))
    print(result.gpu_hours.p50)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODELS",
    "CatalogSummary",
    "SeedTable",
    "TrainingRequest",
    "TrainingResult",
    "__version__",
    "catalog_entries",
    "catalog_entry",
    "check_catalog",
    "estimate_training",
    "load_catalog",
    "make_training_request",
    "seed_report",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("costlm.api"), name)
    raise AttributeError(f"module 'costlm' has no attribute {name!r}")
