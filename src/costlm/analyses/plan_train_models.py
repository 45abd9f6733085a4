"""The result of ``plan train`` (codes and numbers only; words at render time: ``report.plan_train``)
and the containers its search fills (``Table``, ``Search``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict

from costlm.analyses.levers import LeverUse
from costlm.analyses.plan_train_eval import PLAN_STATS
from costlm.analyses.training_memory import MemoryLayout
from costlm.caveats import Caveat
from costlm.resolve.training import TrainingSpec

MAX_EXAMPLES_PER_REASON = 3
"""Excluded configurations listed per reason (the counts cover them all)."""


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


class PlanPoint(_Frozen):
    """A feasible configuration at its medians: the points of the cost-vs-time plot."""

    accelerator: str
    n_gpus: int
    dtype: str
    acquisition: str
    cost_usd: float
    wall_clock_days: float
    co2_t: float


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
    levers: list[LeverUse] = []
    """The cost levers applied to every configuration (``--lever``)."""
    baseline: PlanRow | None = None
    """The best plan without the levers (None without levers, or when none meets the constraints)."""
    lever_saving_share: float | None = None
    """1 - the chosen plan's median cost / the baseline's."""
    points: list[PlanPoint] = []
    """Every feasible configuration at its medians (cost, days, CO2)."""


@dataclass
class Table:
    """Every configuration that reached the evaluation: metadata per row, stats as (rows x 4) arrays."""

    meta: list[tuple[str, int, str, str, str | None, MemoryLayout | None]] = field(default_factory=list)
    """(accelerator, n_gpus, dtype, acquisition, price tier, layout) per row."""
    blocks: dict[str, list[np.ndarray]] = field(default_factory=lambda: {name: [] for name in PLAN_STATS})
    warnings: list[list[Caveat]] = field(default_factory=list)

    def stats(self) -> dict[str, np.ndarray]:
        return {
            name: np.concatenate(parts) if parts else np.zeros((0, 4)) for name, parts in self.blocks.items()
        }


@dataclass
class Search:
    """What the search collects: evaluated rows, exclusions (counts and a few examples), the work."""

    table: Table = field(default_factory=Table)
    excluded: Counter[str] = field(default_factory=Counter)
    examples: list[Exclusion] = field(default_factory=list)
    work: PlanWork | None = None
    specs: dict[str, TrainingSpec] = field(default_factory=dict)
    """One spec per accelerator (the memory check and the error messages read it)."""

    def exclude(self, reason: str, acc: str, n_configs: int, **info: str | None) -> None:
        """Count ``n_configs`` excluded for ``reason``; keep the first few as examples."""
        self.excluded[reason] += n_configs
        if n_configs and sum(e.reason == reason for e in self.examples) < MAX_EXAMPLES_PER_REASON:
            values = {k: v for k, v in info.items() if v is not None}
            self.examples.append(Exclusion(reason=reason, accelerator=acc, values=values))
