"""The vectorised core of ``plan train``: one (accelerator, dtype) x GPU counts x Monte Carlo samples.

costlm's MFU prior does not depend on the GPU count (``costlm.resolve.mfu``: the fitted model has no
count term), so the GPU-hours, rental cost, energy and CO2 of an (accelerator, dtype) are the same at
every count. They come from the training pipeline run once with ``n_gpus=1``
(``costlm.analyses.training.run_training``); what the count changes is computed here as 2-D arrays,
counts on axis 0 and samples on axis 1, through the same formulas the pipeline uses:

- wall-clock days = GPU-hours / (24 n) (``formulas.flops.wall_clock_days``);
- buying: cluster capex = n x unit price x capex multiple (``formulas.money``) + the run's electricity;
- renting under ``--price-tier auto``: the reserved tier from 256 GPUs or 30 days at the median
  (``costlm.resolve.prices.auto_tier``), on-demand otherwise, per count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costlm.analyses.plan_frontier import BoolArray, IntArray, percentile_table
from costlm.formulas import FloatArray, flops, money
from costlm.pipelines.training import TrainingBreakdown
from costlm.resolve.prices import auto_tier

PERCENTILE_P50 = 1
"""Column of the median in ``percentile_table`` (p05, p50, p90, p95)."""
PLAN_STATS = ("cost_usd", "wall_clock_days", "co2_t", "energy_mwh", "gpu_hours", "amortized_cost_usd")
"""The quantities of each configuration (p05, p50, p90, p95 of each); the first three are the objectives."""


@dataclass(frozen=True)
class CountFree:
    """Samples of one (accelerator, dtype) that do not depend on the GPU count (module docstring)."""

    gpu_hours: FloatArray
    energy_mwh: FloatArray
    co2_t: FloatArray
    electricity_usd: FloatArray
    rental_usd: dict[str, FloatArray]
    """Rental cost by requested tier ("on-demand", "reserved", "spot"): only the tiers priced."""
    gpu_price_usd: FloatArray | None
    capex_multiple: FloatArray | None
    amortized_cost_usd: FloatArray | None


def count_free(
    breakdown: TrainingBreakdown, values: dict[str, FloatArray], rental: dict[str, FloatArray]
) -> CountFree:
    """The count-free samples of a pipeline run at ``n_gpus=1`` (``values``: its drawn inputs)."""
    if breakdown.energy_mwh is None or breakdown.co2_t is None or breakdown.electricity_usd is None:
        raise ValueError("the planner needs energy and CO2: an accelerator without a TDP is excluded first")
    return CountFree(
        gpu_hours=breakdown.gpu_hours,
        energy_mwh=breakdown.energy_mwh,
        co2_t=breakdown.co2_t,
        electricity_usd=breakdown.electricity_usd,
        rental_usd=rental,
        gpu_price_usd=values.get("gpu_price_usd"),
        capex_multiple=values.get("capex_multiple"),
        amortized_cost_usd=breakdown.amortized_cost_usd,
    )


def _tiled(samples: FloatArray, n_rows: int) -> FloatArray:
    """Percentiles of a count-free quantity, repeated for each count."""
    return np.repeat(percentile_table(samples[None, :]), n_rows, axis=0)


def reserved_rows(n_gpus: IntArray, days_p50: FloatArray) -> BoolArray:
    """Whether ``--price-tier auto`` picks the reserved tier at each count (``auto_tier``)."""
    return np.array(
        [
            auto_tier(n_gpus=float(n), days=float(d))[0] == "reserved"
            for n, d in zip(n_gpus, days_p50, strict=True)
        ],
        dtype=bool,
    )


def buy_cost_usd(base: CountFree, n_gpus: IntArray) -> FloatArray:
    """(counts x samples) cost of buying the cluster and paying the run's electricity."""
    if base.gpu_price_usd is None or base.capex_multiple is None:
        raise ValueError("buying needs a purchase price: an accelerator without one is excluded first")
    n = n_gpus.astype(np.float64)[:, None]
    hardware = money.hardware_cost_usd(unit_price_usd=base.gpu_price_usd[None, :], n_gpus=n)
    capex = money.cluster_capex_usd(hardware_cost_usd=hardware, capex_multiple=base.capex_multiple[None, :])
    return capex + base.electricity_usd[None, :]


def rent_cost_usd(
    base: CountFree, n_gpus: IntArray, tier: str, days_p50: FloatArray
) -> tuple[FloatArray, list[str]]:
    """(counts x samples) rental cost and the requested tier of each count (``auto``: per count)."""
    if tier != "auto":
        return np.broadcast_to(base.rental_usd[tier], (len(n_gpus), base.gpu_hours.size)), [tier] * len(
            n_gpus
        )
    reserved = reserved_rows(n_gpus, days_p50)
    cost = np.where(
        reserved[:, None], base.rental_usd["reserved"][None, :], base.rental_usd["on-demand"][None, :]
    )
    return cost, ["reserved" if r else "on-demand" for r in reserved]


@dataclass(frozen=True)
class CountStats:
    """Percentiles (counts x 4) of each of ``PLAN_STATS`` and the requested rental tier of each count."""

    stats: dict[str, FloatArray]
    tiers: list[str | None]


def evaluate_counts(base: CountFree, n_gpus: IntArray, *, acquisition: str, tier: str) -> CountStats:
    """Every ``PLAN_STATS`` quantity of one (accelerator, dtype, acquisition) at each GPU count.

    ``acquisition`` is "rent" (at ``tier``, or per count under "auto") or "buy"."""
    n = n_gpus.astype(np.float64)[:, None]
    days = flops.wall_clock_days(gpu_hours=base.gpu_hours[None, :], n_gpus=n)
    days_stats = percentile_table(days)
    tiers: list[str | None]
    if acquisition == "buy":
        cost, tiers = buy_cost_usd(base, n_gpus), [None] * len(n_gpus)
    else:
        cost, rent_tiers = rent_cost_usd(base, n_gpus, tier, days_stats[:, PERCENTILE_P50])
        tiers = list(rent_tiers)
    rows = len(n_gpus)
    amortized = base.amortized_cost_usd
    stats = {
        "cost_usd": percentile_table(cost),
        "wall_clock_days": days_stats,
        "co2_t": _tiled(base.co2_t, rows),
        "energy_mwh": _tiled(base.energy_mwh, rows),
        "gpu_hours": _tiled(base.gpu_hours, rows),
        "amortized_cost_usd": _tiled(amortized, rows)
        if amortized is not None
        else np.full((rows, 4), np.nan),
    }
    return CountStats(stats=stats, tiers=tiers)
