"""One model's training cost in depth, for the report's plots: its Monte Carlo distribution
(as a histogram of log10 cost) and the ranking of the inputs that drive it."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from costlm.analyses.training import MIN_SENSITIVITY_SAMPLES, NOISE_RHO, SensitivityItem, run_training
from costlm.catalog.schema import Catalog
from costlm.resolve.requests import TrainingRequest
from costlm.resolve.training import training_spec
from costlm.uncertainty import Summary, rank_sensitivity, summarize

N_BINS = 40
N_DRIVERS = 8


class Histogram(BaseModel):
    """Counts of samples per bin of log10(value)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    log10_edges: list[float]
    counts: list[int]


class Focus(BaseModel):
    """The distribution and drivers of one model's rental-equivalent training cost."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    name: str
    output: str
    summary: Summary
    drivers: list[SensitivityItem]
    histogram: Histogram


def training_cost_focus(cat: Catalog, model_id: str, *, samples: int, seed: int | None) -> Focus | None:
    """Focus on ``model_id``'s rental cost; None when it has no rental price or too few samples."""
    spec = training_spec(TrainingRequest(model=model_id), cat)
    if samples < MIN_SENSITIVITY_SAMPLES or "usd_per_gpu_hour" not in spec.inputs.dists:
        return None
    breakdown, drawn = run_training(spec, samples=samples, seed=seed)
    cost = breakdown.rental_cost_usd
    if cost is None:
        return None
    counts, edges = np.histogram(np.log10(cost), bins=N_BINS)
    ranking = rank_sensitivity(drawn.raw, {"cost": cost})["cost"][:N_DRIVERS]
    return Focus(
        model=model_id,
        name=spec.label,
        output="rental_cost_usd",
        summary=summarize(cost, "USD"),
        drivers=[
            SensitivityItem(input=name, rho=round(rho, 3)) for name, rho in ranking if abs(rho) >= NOISE_RHO
        ],
        histogram=Histogram(log10_edges=[float(e) for e in edges], counts=[int(c) for c in counts]),
    )
