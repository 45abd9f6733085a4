"""``costlm plan serve``: the cheapest fleet that serves a model at a traffic within p90 TTFT and
p99 TPOT targets (latency model ``mgc_allen_cunneen``, see ``costlm.pipelines.latency``), its
monthly cost, energy and CO2, runner-ups per accelerator, and the API list prices at that traffic.

Infeasible targets raise ``ConfigError`` naming the binding target and the best any configuration
reaches (the floor at batch 1 and no queue, p90 over the draws).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from pydantic import BaseModel, ConfigDict

from costlm.analyses.levers import LeverUse, lever_uses
from costlm.analyses.plan_search import (
    HOURS_PER_MONTH,
    MONTHS_PER_YEAR,
    QUANTIZED_DTYPES,
    QUANTIZED_KV_DTYPES,
    TARGET_QUANTILE,
    Found,
    Search,
    label_of,
    latency_at,
    mean_arrival_rate_per_s,
    one_cap,
    peak_arrival_rate_per_s,
    run_search,
)
from costlm.catalog.schema import Catalog
from costlm.caveats import Caveat
from costlm.errors import ConfigError
from costlm.formulas import FloatArray, carbon, money
from costlm.pipelines.latency import LATENCY_MODEL
from costlm.pipelines.serving import break_even_tokens_per_day, estimate_replica, fleet_energy_mwh_per_year
from costlm.resolve import prices
from costlm.resolve.levers import resolve_levers
from costlm.resolve.plan_requests import PlanServeRequest
from costlm.uncertainty import Summary, summarize
from costlm.units import MS_PER_S, SECONDS_PER_DAY

N_RUNNERS_UP = 4


class Quantiles(BaseModel):
    """The median and the 90th percentile of a request-level latency over the Monte Carlo draws."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    p50: float
    p90: float
    unit: str


class PlanServeRow(BaseModel):
    """One fleet: a configuration, its replicas, request latency at the peak and its monthly figures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    accelerator: str
    accelerator_name: str
    tensor_parallel: int
    engine: str
    dtype: str
    kv_dtype: str
    batch_cap: int
    replicas: int
    n_gpus: int
    price_tier: str | None
    p90_ttft_ms: Quantiles
    """The 90th percentile of requests' TTFT at the peak rate (p50 and p90 over the draws)."""
    p99_tpot_ms: Quantiles
    """The 99th percentile of TPOT at the peak rate (busy-slot quantile)."""
    median_tpot_ms: Quantiles
    utilisation: Quantiles
    """Busy slots / batch cap at the peak rate."""
    usd_per_month: Summary
    energy_mwh_per_month: Summary | None
    co2_t_per_month: Summary | None
    usd_per_million_output_tokens: Summary


class PlanApiRow(BaseModel):
    """An API list price for the same model at the same traffic, beside the chosen fleet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_price: str
    provider: str
    name: str
    api_usd_per_million_output_tokens: float
    api_usd_per_million_input_tokens: float | None
    api_usd_per_month: float
    fleet_over_api: Summary
    """The fleet's monthly rental / the API's monthly bill (> 1: the API is cheaper)."""
    break_even_tokens_per_day: Summary | None
    """Output tokens/day above which one replica of the chosen configuration beats the API."""
    source: str


class PlanServeResult(BaseModel):
    """The cheapest fleet meeting the targets, runner-ups, exclusions and API prices."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    label: str
    tokens_per_day: float
    requests_per_s: float
    peak_factor: float
    peak_requests_per_s: float
    prompt_tokens: float
    output_tokens: float
    prompt_cv: float
    output_cv: float
    p90_ttft_target_ms: float | None
    p99_tpot_target_ms: float | None
    latency_model: str
    target_quantile: float
    """Targets (and a stable queue) must hold in this share of the Monte Carlo draws."""
    samples: int
    seed: int | None
    grid_region: str
    n_configurations: int
    n_evaluated: int
    excluded: dict[str, int]
    chosen: PlanServeRow
    runners_up: list[PlanServeRow]
    api: list[PlanApiRow]
    warnings: list[Caveat]
    levers: list[LeverUse] = []
    """The cost levers applied (``--lever``): quantize widens the dtypes searched, mla changes the cache."""
    baseline: PlanServeRow | None = None
    """The cheapest fleet without the levers (None without levers, or when none meets the targets)."""
    lever_saving_share: Summary | None = None
    """1 - monthly cost with the levers / without them, over the draws (same seed)."""


def _quantiles(values: FloatArray, unit: str, scale: float = 1.0) -> Quantiles:
    flat = np.asarray(values, dtype=np.float64).ravel() * scale
    p50, p90 = np.quantile(flat, [0.5, TARGET_QUANTILE], method="inverted_cdf")
    return Quantiles(p50=float(p50), p90=float(p90), unit=unit)


def _row(found: Found, req: PlanServeRequest) -> tuple[PlanServeRow, FloatArray]:
    """The row of a found fleet and its monthly rental draws."""
    cfg, i, n = found.config, found.cap_index, found.replicas
    d, spec = cfg.draws, cfg.spec
    one = one_cap(cfg, i)
    peak = latency_at(one, req, np.array([[float(n)]]), peak_arrival_rate_per_s(req))
    mean = latency_at(one, req, np.array([[float(n)]]), mean_arrival_rate_per_s(req))
    tokens = mean_arrival_rate_per_s(req) * req.output_tokens * SECONDS_PER_DAY
    assert d.usd_per_gpu_hour is not None
    usd_month = n * spec.n_gpus * d.usd_per_gpu_hour * HOURS_PER_MONTH
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        replica = estimate_replica(dataclasses.replace(d, batch=np.maximum(mean.running_batch[0], 1.0)))
    busy, idle = fleet_energy_mwh_per_year(
        d, replica, replicas=np.full(d.pue.shape, float(n)), tokens_per_day=tokens
    )
    energy = co2 = None
    if busy is not None:
        mwh = (busy if idle is None else busy + idle) / MONTHS_PER_YEAR
        energy = summarize(mwh, "MWh/month")
        co2 = summarize(carbon.co2_tonnes(energy_mwh=mwh, gco2e_per_kwh=d.gco2e_per_kwh), "tCO2e/month")
    per_m = money.usd_per_million_tokens_served(
        usd_per_year=usd_month * MONTHS_PER_YEAR, tokens_per_day=tokens
    )
    row = PlanServeRow(
        accelerator=spec.accelerator.id,
        accelerator_name=spec.accelerator.name,
        tensor_parallel=spec.n_gpus,
        engine=spec.engine,
        dtype=spec.dtype,
        kv_dtype=spec.kv_dtype,
        batch_cap=int(cfg.caps[i, 0]),
        replicas=n,
        n_gpus=n * spec.n_gpus,
        price_tier=spec.price_tier,
        p90_ttft_ms=_quantiles(peak.ttft_s, "ms", MS_PER_S),
        p99_tpot_ms=_quantiles(peak.tpot_s, "ms", MS_PER_S),
        median_tpot_ms=_quantiles(peak.tpot_median_s, "ms", MS_PER_S),
        utilisation=_quantiles(peak.utilisation, "fraction"),
        usd_per_month=summarize(usd_month, "USD/month"),
        energy_mwh_per_month=energy,
        co2_t_per_month=co2,
        usd_per_million_output_tokens=summarize(per_m, "USD/1M tokens"),
    )
    return row, usd_month


def _api_rows(found: Found, req: PlanServeRequest, cat: Catalog, usd_month: FloatArray) -> list[PlanApiRow]:
    spec, d = found.config.spec, found.config.draws
    tokens = mean_arrival_rate_per_s(req) * req.output_tokens * SECONDS_PER_DAY
    cap = float(found.config.caps[found.cap_index, 0])
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        saturated = estimate_replica(dataclasses.replace(d, batch=cap))
    rows = []
    for price in prices.api_prices_of(cat.api_prices.values(), spec.model_id):
        if price.output_usd_per_mtok is None:
            continue
        out = price.output_usd_per_mtok.central
        inp = price.input_usd_per_mtok.central if price.input_usd_per_mtok else None
        per_token = float(
            money.api_usd_per_output_token(
                output_usd_per_mtok=out,
                input_usd_per_mtok=inp or 0.0,
                prompt_tokens=req.prompt_tokens,
                output_tokens=req.output_tokens,
            )
        )
        api_month = (
            float(money.api_usd_per_year(usd_per_token=per_token, tokens_per_day=tokens)) / MONTHS_PER_YEAR
        )
        even = break_even_tokens_per_day(
            d, saturated, api_usd_per_token=per_token, peak_factor=req.peak_factor
        )
        finite = even[np.isfinite(even)]
        rows.append(
            PlanApiRow(
                api_price=price.id,
                provider=price.provider,
                name=price.name,
                api_usd_per_million_output_tokens=out,
                api_usd_per_million_input_tokens=inp,
                api_usd_per_month=api_month,
                fleet_over_api=summarize(usd_month / api_month, "x"),
                break_even_tokens_per_day=summarize(finite, "tokens/day") if finite.size else None,
                source=price.output_usd_per_mtok.source,
            )
        )
    return sorted(rows, key=lambda r: r.api_usd_per_month)


def _infeasible(search: Search, req: PlanServeRequest) -> ConfigError:
    """The binding target and the best any configuration reaches (or a capacity error)."""
    tpot, tpot_at = search.best_tpot_ms
    ttft, ttft_at = search.best_ttft_ms
    if req.p99_tpot_ms is not None and tpot > req.p99_tpot_ms:
        target, value, best, where = "p99 TPOT", req.p99_tpot_ms, tpot, tpot_at
    elif req.p90_ttft_ms is not None and ttft > req.p90_ttft_ms:
        target, value, best, where = "p90 TTFT", req.p90_ttft_ms, ttft, ttft_at
    else:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(search.excluded.items())) or "none"
        return ConfigError(
            f"no configuration can serve {req.model} at this traffic within the targets "
            f"(excluded: {counts}); relax a target, add --gpus or --dtypes",
            key="plan_serve_none",
            model=req.model,
            excluded=counts,
        )
    values = {"target": target, "value": f"{value:g}", "best": f"{best:.3g}", "where": where}
    return ConfigError(
        "{target} target {value} ms: the fastest configuration reaches {best} ms ({where}); "
        "relax the target to at least that".format(**values),
        key="plan_serve_infeasible",
        **values,
    )


def with_levers(req: PlanServeRequest, cat: Catalog) -> tuple[PlanServeRequest, tuple[str, ...]]:
    """The request the search runs (the quantize lever widens the dtypes searched; the other levers
    go to every configuration's serving estimate) and the ids of the levers applied."""
    chosen = resolve_levers(cat, req.levers, "serve")
    quantize = any(lever.effect == "quantize" for lever in chosen)
    update: dict[str, object] = {"levers": tuple(lv.id for lv in chosen if lv.effect != "quantize")}
    if quantize and req.dtypes is None:
        update["dtypes"] = QUANTIZED_DTYPES
    if quantize and req.kv_dtypes is None:
        update["kv_dtypes"] = QUANTIZED_KV_DTYPES
    return req.model_copy(update=update), tuple(lever.id for lever in chosen)


def _baseline(req: PlanServeRequest, cat: Catalog) -> tuple[PlanServeRow, FloatArray] | None:
    """The cheapest fleet without levers (None when none meets the targets)."""
    search = run_search(req.model_copy(update={"levers": ()}), cat)
    return _row(search.found[0], req) if search.found else None


def plan_serving_of(req: PlanServeRequest, cat: Catalog) -> PlanServeResult:
    """Search, then the winner's row, runner-ups (cheapest per accelerator) and the API rows; with
    levers, also the cheapest fleet without them and the share of its monthly cost they save."""
    asked = req
    lever_ids: tuple[str, ...] = ()
    if req.levers:
        req, lever_ids = with_levers(req, cat)
    search = run_search(req, cat)
    if not search.found:
        raise _infeasible(search, req)
    win = search.found[0]
    chosen, usd_month = _row(win, req)
    baseline = _baseline(asked, cat) if lever_ids else None
    saving = None
    if baseline is not None:
        saving = summarize(1.0 - usd_month / baseline[1], "fraction")
    runners = [_row(f, req)[0] for f in search.found[1 : 1 + N_RUNNERS_UP]]
    spec = win.config.spec
    return PlanServeResult(
        model=req.model,
        label=spec.label,
        tokens_per_day=mean_arrival_rate_per_s(req) * req.output_tokens * SECONDS_PER_DAY,
        requests_per_s=mean_arrival_rate_per_s(req),
        peak_factor=req.peak_factor,
        peak_requests_per_s=peak_arrival_rate_per_s(req),
        prompt_tokens=req.prompt_tokens,
        output_tokens=req.output_tokens,
        prompt_cv=req.prompt_cv,
        output_cv=req.output_cv,
        p90_ttft_target_ms=req.p90_ttft_ms,
        p99_tpot_target_ms=req.p99_tpot_ms,
        latency_model=LATENCY_MODEL,
        target_quantile=TARGET_QUANTILE,
        samples=req.samples,
        seed=req.seed,
        grid_region=spec.grid_region,
        n_configurations=search.n_configurations,
        n_evaluated=search.n_evaluated,
        excluded=dict(sorted(search.excluded.items())),
        chosen=chosen,
        runners_up=runners,
        api=_api_rows(win, req, cat, usd_month),
        warnings=[Caveat(code=c, message=m, values=v) for c, m, v in spec.warnings],
        levers=lever_uses(cat, lever_ids),
        baseline=baseline[0] if baseline is not None else None,
        lever_saving_share=saving,
    )


__all__ = ["PlanApiRow", "PlanServeResult", "PlanServeRow", "Quantiles", "label_of", "plan_serving_of"]
