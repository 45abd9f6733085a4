"""Hardware and run costs.

Sources: the seed assignment (hardware cost = GPU unit price x GPU count); Epoch AI
cost model (cluster = GPUs x server overhead / (1 - interconnect share) ~ 2.0x;
amortization straight-line over a server lifetime); Cottier et al. 2024 arXiv:2405.21015.
"""

from __future__ import annotations

from costlm.formulas import ArrayLike, FloatArray, arr
from costlm.units import HOURS_PER_YEAR


def hardware_cost_usd(*, unit_price_usd: ArrayLike, n_gpus: ArrayLike) -> FloatArray:
    """The seed's definition: accelerator unit price x accelerator count."""
    return arr(unit_price_usd) * arr(n_gpus)


def cluster_capex_usd(*, hardware_cost_usd: ArrayLike, capex_multiple: ArrayLike) -> FloatArray:
    """Full cluster hardware (servers + network) as a multiple of the accelerator cost (~2.0x)."""
    return arr(hardware_cost_usd) * arr(capex_multiple)


def rental_cost_usd(*, gpu_hours: ArrayLike, usd_per_gpu_hour: ArrayLike) -> FloatArray:
    """Cloud-rental equivalent: GPU-hours x $/GPU-hour."""
    return arr(gpu_hours) * arr(usd_per_gpu_hour)


def amortized_hardware_usd(
    *, cluster_capex_usd: ArrayLike, n_gpus: ArrayLike, gpu_hours: ArrayLike, lifetime_years: ArrayLike
) -> FloatArray:
    """Straight-line depreciation of the cluster over the hours the run holds it."""
    usd_per_gpu_hour = arr(cluster_capex_usd) / arr(n_gpus) / (arr(lifetime_years) * HOURS_PER_YEAR)
    return usd_per_gpu_hour * arr(gpu_hours)


def electricity_usd(*, energy_mwh: ArrayLike, usd_per_kwh: ArrayLike) -> FloatArray:
    """Electricity bill of a run: MWh x 1000 x $/kWh."""
    return arr(energy_mwh) * 1000.0 * arr(usd_per_kwh)
