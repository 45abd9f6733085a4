"""Hardware and run costs.

Sources: the seed assignment (hardware cost = GPU unit price x GPU count); Epoch AI
cost model (cluster = GPUs x server overhead / (1 - interconnect share) ~ 2.0x;
amortization straight-line over a server lifetime); Cottier et al. 2024 arXiv:2405.21015.
"""

from __future__ import annotations

import numpy as np

from costlm.formulas import ArrayLike, FloatArray, arr
from costlm.units import (
    DAYS_PER_YEAR,
    HOURS_PER_DAY,
    HOURS_PER_YEAR,
    KWH_PER_MWH,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    TOKENS_PER_MILLION,
    W_PER_KW,
)


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
    return arr(energy_mwh) * KWH_PER_MWH * arr(usd_per_kwh)


def usd_per_million_tokens(
    *, usd_per_hour: ArrayLike, tokens_per_s: ArrayLike, utilization: ArrayLike
) -> FloatArray:
    """$/1M tokens = replica $/hour / (tokens per hour x utilization) x 1e6."""
    return arr(usd_per_hour) / (arr(tokens_per_s) * SECONDS_PER_HOUR * arr(utilization)) * TOKENS_PER_MILLION


def amortized_usd_per_hour(
    *, capex_usd: ArrayLike, lifetime_years: ArrayLike, watts: ArrayLike, usd_per_kwh: ArrayLike
) -> FloatArray:
    """Owning instead of renting: straight-line capex per hour plus electricity per hour."""
    return arr(capex_usd) / (arr(lifetime_years) * HOURS_PER_YEAR) + arr(watts) / W_PER_KW * arr(usd_per_kwh)


def replicas_for_traffic(
    *, tokens_per_day: ArrayLike, peak_factor: ArrayLike, tokens_per_s_per_replica: ArrayLike
) -> FloatArray:
    """Replicas needed to serve the peak rate (mean rate x peak factor); at least one."""
    peak_rate = arr(tokens_per_day) / SECONDS_PER_DAY * arr(peak_factor)
    return np.maximum(np.ceil(peak_rate / arr(tokens_per_s_per_replica)), 1.0)


def break_even_tokens_per_day(
    *,
    replica_usd_per_day: ArrayLike,
    replica_tokens_per_day: ArrayLike,
    api_usd_per_token: ArrayLike,
    peak_factor: ArrayLike = 1.0,
) -> FloatArray:
    """Daily tokens above which one self-hosted replica costs less than the API (inf if never).

    One replica costs the same whatever its load; the API is linear in tokens. Above
    replica cost / API price per token, owning wins, if the replica can carry that many tokens at
    the traffic's peak (mean rate x ``peak_factor`` <= its capacity). Beyond one replica the fleet's
    cost per token never falls below a replica's at its peak load, so a break-even above
    capacity / peak factor is never reached (inf).
    """
    tokens = arr(replica_usd_per_day) / arr(api_usd_per_token)
    return np.where(tokens * arr(peak_factor) <= arr(replica_tokens_per_day), tokens, np.inf)


def usd_per_million_tokens_served(*, usd_per_year: ArrayLike, tokens_per_day: ArrayLike) -> FloatArray:
    """$/1M tokens at the traffic actually served: a fleet's yearly cost / its yearly tokens x 1e6."""
    return arr(usd_per_year) / (arr(tokens_per_day) * DAYS_PER_YEAR) * TOKENS_PER_MILLION


def fleet_utilization(*, tokens_per_day: ArrayLike, capacity_tokens_per_day: ArrayLike) -> FloatArray:
    """Share of a fleet's capacity the traffic uses: tokens served per day / tokens it could serve."""
    return arr(tokens_per_day) / arr(capacity_tokens_per_day)


def usd_per_million_prefill_tokens(
    *, usd_per_hour: ArrayLike, prefill_s: ArrayLike, prompt_tokens: ArrayLike, utilization: ArrayLike
) -> FloatArray:
    """$/1M input tokens: the replica's cost during one prompt's prefill, per prompt token."""
    per_s = arr(usd_per_hour) / SECONDS_PER_HOUR
    return per_s * arr(prefill_s) / arr(prompt_tokens) * TOKENS_PER_MILLION / arr(utilization)


def usd_per_year(*, usd_per_hour: ArrayLike) -> FloatArray:
    """A running cost per hour over a year of 365.25 days."""
    return arr(usd_per_hour) * HOURS_PER_YEAR


def usd_per_day(*, usd_per_hour: ArrayLike) -> FloatArray:
    """A running cost per hour over one day."""
    return arr(usd_per_hour) * HOURS_PER_DAY


def tokens_per_day(*, tokens_per_s: ArrayLike) -> FloatArray:
    """Tokens a steady rate produces in one day."""
    return arr(tokens_per_s) * SECONDS_PER_DAY


def api_usd_per_output_token(
    *,
    output_usd_per_mtok: ArrayLike,
    input_usd_per_mtok: ArrayLike,
    prompt_tokens: ArrayLike,
    output_tokens: ArrayLike,
) -> FloatArray:
    """An API's price per output token of a request, its prompt's input tokens included."""
    per_mtok = arr(output_usd_per_mtok) + arr(input_usd_per_mtok) * arr(prompt_tokens) / arr(output_tokens)
    return per_mtok / TOKENS_PER_MILLION


def api_usd_per_year(*, usd_per_token: ArrayLike, tokens_per_day: ArrayLike) -> FloatArray:
    """What a steady traffic costs per year at an API's price per output token (365.25 days)."""
    return arr(usd_per_token) * arr(tokens_per_day) * DAYS_PER_YEAR
