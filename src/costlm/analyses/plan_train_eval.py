"""The vectorised core of ``plan train``: one (accelerator, dtype) x GPU counts x Monte Carlo samples.

The training pipeline runs once per (accelerator, dtype) with ``n_gpus=1``
(``costlm.analyses.training.run_training``). The GPU count then enters in two ways, computed here as
2-D arrays (counts on axis 0, samples on axis 1) through the same formulas the pipeline uses:

- the fitted MFU prior falls with the GPU count (``costlm.resolve.mfu``: a factor per decade of
  GPUs): GPU-hours, and with them rental cost, energy, CO2 and electricity, scale by
  ``hours_scale`` = MFU at one GPU / MFU at the count (``costlm.resolve.training.mfu_count_ratio``;
  1 at every count when the MFU is not the fitted model's);

- wall-clock days = GPU-hours at the count / (24 n) (``formulas.flops.wall_clock_days``);
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
    """Samples of one (accelerator, dtype) from its pipeline run at one GPU: arrays of (samples,) as
    ``count_free`` makes them, or (counts x samples) once ``at_counts`` scaled them per count."""

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


def reserved_rows(n_gpus: IntArray, days_p50: FloatArray) -> BoolArray:
    """Whether ``--price-tier auto`` picks the reserved tier at each count (``auto_tier``)."""
    return np.array(
        [
            auto_tier(n_gpus=float(n), days=float(d))[0] == "reserved"
            for n, d in zip(n_gpus, days_p50, strict=True)
        ],
        dtype=bool,
    )


def at_counts(base: CountFree, hours_scale: FloatArray) -> CountFree:
    """``base`` with every GPU-hour-proportional quantity as (counts x samples), x ``hours_scale``."""
    k = hours_scale[:, None]
    amortized = None if base.amortized_cost_usd is None else base.amortized_cost_usd[None, :] * k
    return CountFree(
        gpu_hours=base.gpu_hours[None, :] * k,
        energy_mwh=base.energy_mwh[None, :] * k,
        co2_t=base.co2_t[None, :] * k,
        electricity_usd=base.electricity_usd[None, :] * k,
        rental_usd={tier: cost[None, :] * k for tier, cost in base.rental_usd.items()},
        gpu_price_usd=base.gpu_price_usd,
        capex_multiple=base.capex_multiple,
        amortized_cost_usd=amortized,
    )


def buy_cost_usd(scaled: CountFree, n_gpus: IntArray) -> FloatArray:
    """(counts x samples) cost of buying the cluster and paying the run's electricity."""
    if scaled.gpu_price_usd is None or scaled.capex_multiple is None:
        raise ValueError("buying needs a purchase price: an accelerator without one is excluded first")
    n = n_gpus.astype(np.float64)[:, None]
    hardware = money.hardware_cost_usd(unit_price_usd=scaled.gpu_price_usd[None, :], n_gpus=n)
    capex = money.cluster_capex_usd(hardware_cost_usd=hardware, capex_multiple=scaled.capex_multiple[None, :])
    return capex + scaled.electricity_usd


def rent_cost_usd(
    scaled: CountFree, n_gpus: IntArray, tier: str, days_p50: FloatArray
) -> tuple[FloatArray, list[str]]:
    """(counts x samples) rental cost and the requested tier of each count (``auto``: per count)."""
    if tier != "auto":
        return scaled.rental_usd[tier], [tier] * len(n_gpus)
    reserved = reserved_rows(n_gpus, days_p50)
    cost = np.where(reserved[:, None], scaled.rental_usd["reserved"], scaled.rental_usd["on-demand"])
    return cost, ["reserved" if r else "on-demand" for r in reserved]


@dataclass(frozen=True)
class CountStats:
    """Percentiles (counts x 4) of each of ``PLAN_STATS`` and the requested rental tier of each count."""

    stats: dict[str, FloatArray]
    tiers: list[str | None]


def evaluate_counts(
    base: CountFree, n_gpus: IntArray, *, acquisition: str, tier: str, hours_scale: FloatArray | None = None
) -> CountStats:
    """Every ``PLAN_STATS`` quantity of one (accelerator, dtype, acquisition) at each GPU count.

    ``acquisition`` is "rent" (at ``tier``, or per count under "auto") or "buy"; ``hours_scale``
    (one per count, default 1) is the MFU prior's count dependence (module docstring)."""
    scale = np.ones(len(n_gpus)) if hours_scale is None else hours_scale
    scaled = at_counts(base, scale)
    days = flops.wall_clock_days(gpu_hours=scaled.gpu_hours, n_gpus=n_gpus.astype(np.float64)[:, None])
    days_stats = percentile_table(days)
    tiers: list[str | None]
    if acquisition == "buy":
        cost, tiers = buy_cost_usd(scaled, n_gpus), [None] * len(n_gpus)
    else:
        cost, rent_tiers = rent_cost_usd(scaled, n_gpus, tier, days_stats[:, PERCENTILE_P50])
        tiers = list(rent_tiers)
    amortized = scaled.amortized_cost_usd
    stats = {
        "cost_usd": percentile_table(cost),
        "wall_clock_days": days_stats,
        "co2_t": percentile_table(scaled.co2_t),
        "energy_mwh": percentile_table(scaled.energy_mwh),
        "gpu_hours": percentile_table(scaled.gpu_hours),
        "amortized_cost_usd": percentile_table(amortized)
        if amortized is not None
        else np.full((len(n_gpus), 4), np.nan),
    }
    return CountStats(stats=stats, tiers=tiers)
