"""The result of ``plan train``: codes and numbers only (words at render time: ``report.plan_train``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from costlm.analyses.training_memory import MemoryLayout
from costlm.caveats import Caveat


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlanStat(_Frozen):
    """One quantity of a configuration over the Monte Carlo samples: p05, p50, p90 (constraints) and p95."""

    p05: float
    p50: float
    p90: float
    p95: float
    unit: str


class PlanRow(_Frozen):
    """One configuration: accelerator x count x layout x dtype x acquisition, and what it costs.

    ``cost_usd`` is the rental cost (GPU-hours x $/GPU-hour at ``price_tier``) when renting, the
    cluster capex plus electricity when buying; ``amortized_cost_usd`` (depreciation over the run plus
    electricity) when a purchase price is known. ``layout`` is None without a memory check."""

    accelerator: str
    n_gpus: int
    dtype: str
    acquisition: str
    price_tier: str | None
    layout: MemoryLayout | None
    cost_usd: PlanStat
    wall_clock_days: PlanStat
    co2_t: PlanStat
    energy_mwh: PlanStat
    gpu_hours: PlanStat
    amortized_cost_usd: PlanStat | None


class Exclusion(_Frozen):
    """An example of an excluded configuration: the reason code and the values that explain it."""

    reason: str
    accelerator: str
    values: dict[str, str] = {}


class PlanWork(_Frozen):
    """What is trained: the label, the catalog model (if any), the method and the parallelism limit."""

    label: str
    model: str | None
    kind: str
    method: str
    n_params: float | None
    seq_len: int | None
    global_batch_sequences: int
    """Sequences per optimizer step: the most data-parallel replicas a configuration may use."""
    global_batch_basis: str


class PlanConstraints(_Frozen):
    """The constraints as given (None: not constrained); checked at the 90th percentile."""

    deadline_days: float | None
    budget_usd: float | None
    max_co2_t: float | None
    max_gpus: int
    n_gpu_counts: int
    acquisition: str
    price_tier: str
    gpus: list[str] | None
    dtypes: list[str] | None
    objective: str
    grid_region: str


class PlanTrainResult(_Frozen):
    """The plan: the chosen configuration, the frontier, and how many were evaluated and excluded."""

    work: PlanWork
    constraints: PlanConstraints
    chosen: PlanRow
    frontier: list[PlanRow]
    """Feasible configurations not dominated on (cost, days, CO2) at p50, by the objective's order."""
    n_evaluated: int
    n_feasible: int
    excluded: dict[str, int]
    """Excluded configurations by reason code (``costlm.analyses.plan_train`` lists the codes)."""
    excluded_examples: list[Exclusion]
    caveats: list[Caveat]
    samples: int
    seed: int | None
