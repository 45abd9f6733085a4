"""Power and energy of a cluster.

Method: Epoch AI cost model (epoch-research/training-cost-trends, cost_analysis_standalone.py:
server power = chip TDP x overhead, average draw = a fraction of it) and Patterson et al. 2021
(energy = chips x average power x time x PUE).
"""

from __future__ import annotations

from costlm.formulas import ArrayLike, FloatArray, arr
from costlm.units import J_PER_MWH, SECONDS_PER_HOUR


def facility_watts_per_gpu(
    *, tdp_watts: ArrayLike, power_fraction: ArrayLike, server_overhead: ArrayLike, pue: ArrayLike
) -> FloatArray:
    """Average facility power per accelerator: TDP x average fraction x server overhead x PUE."""
    return arr(tdp_watts) * arr(power_fraction) * arr(server_overhead) * arr(pue)


def energy_mwh(*, watts_per_gpu: ArrayLike, gpu_hours: ArrayLike) -> FloatArray:
    """Energy of a run in MWh: average power per GPU x GPU-hours."""
    return arr(watts_per_gpu) * arr(gpu_hours) * SECONDS_PER_HOUR / J_PER_MWH


def cluster_power_mw(*, watts_per_gpu: ArrayLike, n_gpus: ArrayLike) -> FloatArray:
    """Average facility power of the whole cluster in MW."""
    return arr(watts_per_gpu) * arr(n_gpus) / 1e6
