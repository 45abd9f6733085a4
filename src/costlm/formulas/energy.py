"""Power and energy of a cluster.

Method: Epoch AI cost model (epoch-research/training-cost-trends, cost_analysis_standalone.py:
server power = chip TDP x overhead, average draw = a fraction of it) and Patterson et al. 2021
(energy = chips x average power x time x PUE).
"""

from __future__ import annotations

import numpy as np

from costlm.formulas import ArrayLike, FloatArray, arr
from costlm.units import DAYS_PER_YEAR, J_PER_MWH, J_PER_WH, SECONDS_PER_DAY, SECONDS_PER_HOUR, W_PER_MW


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
    return arr(watts_per_gpu) * arr(n_gpus) / W_PER_MW


def serving_power_fraction(
    *, compute_share: ArrayLike, low_fraction: ArrayLike, high_fraction: ArrayLike
) -> FloatArray:
    """GPU power while serving as a fraction of TDP, rising with load.

    ``compute_share`` in [0, 1] is the share of a step the tensor cores are busy (compute time /
    step time): near 0 at small batch (bandwidth-bound), 1 when compute-bound. ML.ENERGY v3
    measures H100 Llama-3.1-8B at 0.69 of TDP at batch 8 and 0.98 at batch 512.
    """
    share = np.clip(arr(compute_share), 0.0, 1.0)
    return arr(low_fraction) + (arr(high_fraction) - arr(low_fraction)) * share


def joules_per_token(*, watts: ArrayLike, tokens_per_s: ArrayLike) -> FloatArray:
    """Energy per token: power / throughput."""
    return arr(watts) / arr(tokens_per_s)


def wh_per_response(*, j_per_token: ArrayLike, n_tokens: ArrayLike) -> FloatArray:
    """Energy of one response in Wh: J per token x tokens."""
    return arr(j_per_token) * arr(n_tokens) / J_PER_WH


def annual_energy_mwh(*, tokens_per_day: ArrayLike, j_per_token: ArrayLike) -> FloatArray:
    """Energy per year of a steady traffic: tokens per day x 365.25 x J per token."""
    return arr(tokens_per_day) * DAYS_PER_YEAR * arr(j_per_token) / J_PER_MWH


def idle_energy_mwh_per_year(
    *, idle_replica_s_per_day: ArrayLike, idle_watts_per_replica: ArrayLike
) -> FloatArray:
    """Energy per year of replicas that are powered but serving nothing: idle replica-seconds per
    day x idle power x 365.25 days. A fleet sized for its peak idles the rest of the day (Patel et
    al. 2024, POLCA arXiv:2308.12908: inference clusters draw well below their provisioned power)."""
    return arr(idle_replica_s_per_day) * arr(idle_watts_per_replica) * DAYS_PER_YEAR / J_PER_MWH


def idle_replica_s_per_day(
    *, n_replicas: ArrayLike, tokens_per_day: ArrayLike, tokens_per_s_per_replica: ArrayLike
) -> FloatArray:
    """Replica-seconds per day with nothing to serve: replicas x 86,400 s minus the seconds the
    traffic keeps them busy (tokens per day / a replica's tokens per second); never negative."""
    busy_s = arr(tokens_per_day) / arr(tokens_per_s_per_replica)
    return np.maximum(arr(n_replicas) * SECONDS_PER_DAY - busy_s, 0.0)


def j_per_token_of_year(*, energy_mwh_per_year: ArrayLike, tokens_per_day: ArrayLike) -> FloatArray:
    """Energy per token of a year's traffic: yearly energy / yearly tokens (idle time included)."""
    return arr(energy_mwh_per_year) * J_PER_MWH / (arr(tokens_per_day) * DAYS_PER_YEAR)
