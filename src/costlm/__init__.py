"""costlm: what it costs to train and to run a language model, as ranges with sources.

The public API is ``costlm.api``, re-exported lazily (PEP 562) so that importing the package
(as ``costlm --help`` does) stays cheap; ``costlm.__all__`` equals ``costlm.api.__all__``::

    import costlm
    result = costlm.estimate_training(costlm.make_training_request(model="deepseek-v3"))
    print(result.gpu_hours.p50)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODELS",
    "ApiComparison",
    "CatalogStats",
    "CatalogSummary",
    "Caveat",
    "ClaimResult",
    "ConfigError",
    "CostlmError",
    "FleetSummary",
    "ImportedConfig",
    "InputError",
    "LeverSaving",
    "LeverUse",
    "PlanApiRow",
    "PlanBreakEven",
    "PlanCompareRequest",
    "PlanCompareResult",
    "PlanPath",
    "PlanRow",
    "PlanServeRequest",
    "PlanServeResult",
    "PlanServeRow",
    "PlanSkippedPath",
    "PlanTrainRequest",
    "PlanTrainResult",
    "ReportData",
    "SeedRow",
    "SeedTable",
    "ServeRequest",
    "ServeResult",
    "ServingBreakdownSummary",
    "Summary",
    "TrainingBreakdownSummary",
    "TrainingMemory",
    "TrainingRequest",
    "TrainingResult",
    "catalog_entries",
    "catalog_entry",
    "catalog_entry_toml",
    "catalog_stats",
    "check_catalog",
    "check_claims",
    "estimate_serving",
    "estimate_training",
    "import_config",
    "load_catalog",
    "make_plan_compare_request",
    "make_plan_serve_request",
    "make_plan_train_request",
    "make_serve_request",
    "make_training_request",
    "plan_compare",
    "plan_serving",
    "plan_training",
    "report_data",
    "seed_report",
]


def __getattr__(name: str) -> Any:
    """The public names of ``costlm.api``, imported on first use."""
    if name in __all__:
        return getattr(importlib.import_module("costlm.api"), name)
    raise AttributeError(f"module 'costlm' has no attribute {name!r}")
