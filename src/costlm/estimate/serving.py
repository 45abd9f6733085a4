"""Serving estimate: memory -> roofline step time -> throughput and latency -> power and J/token
-> $/1M tokens -> fleet for a traffic profile -> break-even against API list prices.

Continuous batching (vLLM): each decode step produces one token for each of ``batch``
sequences, and new requests' prefills are interleaved, ``batch x prompt / output`` prompt
tokens per step on average, so throughput and J/token include the prefill work.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict

from costlm.catalog.schema import Catalog
from costlm.caveats import Caveat
from costlm.estimate.serve_spec import ServeRequest, ServeSpec
from costlm.estimate.specs import InputRecord, require_finite
from costlm.formulas import FloatArray, energy, memory, money, roofline
from costlm.formulas import carbon as carbon_f
from costlm.uncertainty import Summary, draw, summarize
from costlm.uncertainty.montecarlo import points
from costlm.units import HOURS_PER_YEAR, J_PER_MWH

SERVE_UNITS: dict[str, str] = {
    "ttft_s": "s",
    "tpot_s": "s",
    "output_tokens_per_s": "tokens/s",
    "output_tokens_per_s_per_gpu": "tokens/s",
    "j_per_output_token": "J",
    "gpu_j_per_output_token": "J",
    "wh_per_response": "Wh",
    "replica_power_watts": "W",
    "replica_hardware_cost_usd": "USD",
    "usd_per_million_output_tokens": "USD/1M tokens",
    "usd_per_million_input_tokens": "USD/1M tokens",
    "usd_per_million_output_tokens_owned": "USD/1M tokens",
}
FLEET_UNITS: dict[str, str] = {
    "replicas": "replicas",
    "fleet_gpus": "GPUs",
    "fleet_hardware_cost_usd": "USD",
    "fleet_rental_usd_per_year": "USD/year",
    "fleet_owned_usd_per_year": "USD/year",
    "fleet_energy_mwh_per_year": "MWh/year",
    "fleet_co2_t_per_year": "tCO2e/year",
}


class ApiComparison(BaseModel):
    """Self-hosting one replica against one API list price."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_price: str
    provider: str
    name: str
    api_usd_per_million_output_tokens: float
    api_usd_per_million_input_tokens: float | None
    self_hosted_usd_per_million_output_tokens: Summary | None
    break_even_tokens_per_day: Summary | None
    share_never_cheaper: float
    source: str


class ServeResult(BaseModel):
    """A serving estimate: exact memory plan plus uncertain throughput, energy and money."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    model: str | None
    accelerator: str
    accelerator_name: str
    dtype: str
    kv_dtype: str
    batch: int
    prompt_tokens: float
    output_tokens: float
    samples: int
    seed: int | None
    weights_bytes: Summary
    kv_cache_bytes_per_token: Summary
    gpus_per_replica: Summary
    max_batch: Summary
    ttft_s: Summary
    tpot_s: Summary
    output_tokens_per_s: Summary
    output_tokens_per_s_per_gpu: Summary
    j_per_output_token: Summary | None
    gpu_j_per_output_token: Summary | None
    wh_per_response: Summary | None
    replica_power_watts: Summary | None
    replica_hardware_cost_usd: Summary | None
    usd_per_million_output_tokens: Summary | None
    usd_per_million_input_tokens: Summary | None
    usd_per_million_output_tokens_owned: Summary | None
    tokens_per_day: float | None
    fleet: dict[str, Summary]
    api_comparison: list[ApiComparison]
    breakdown: dict[str, Summary]
    inputs: list[InputRecord]
    warnings: list[Caveat]


def _times(x: Mapping[str, FloatArray], s: ServeSpec) -> dict[str, FloatArray]:
    a, batch = s.arch, float(s.batch)
    d_attn = a.n_heads * a.head_dim
    ctx = s.prompt_tokens + s.output_tokens / 2.0
    cached = min(ctx, a.sliding_window_tokens or ctx)
    n_experts, k = a.n_experts or 1, a.n_experts_active or 1
    weights_read = memory.moe_weights_read_bytes(
        n_params=s.n_params,
        n_active_params=s.n_active_params,
        n_experts=n_experts,
        n_experts_active=k,
        batch=batch,
        bytes_per_param=s.weights_bytes / s.n_params,
    )
    bytes_read = weights_read + batch * s.kv_bytes_per_token * cached
    mem_s = roofline.memory_time_s(
        bytes_read=bytes_read,
        bytes_per_s=s.hbm_bytes_per_s,
        efficiency=x["bandwidth_efficiency"],
        n_gpus=s.n_gpus,
    )
    flop = roofline.forward_flop(
        n_active_params=s.n_active_params,
        n_tokens=batch,
        n_layers=a.n_layers,
        d_attention=d_attn,
        context_tokens=cached,
    )
    comp_s = roofline.compute_time_s(
        flop=flop,
        peak_flop_per_s=s.peak_flop_per_s,
        efficiency=x["decode_compute_efficiency"],
        n_gpus=s.n_gpus,
    )
    comm_s = roofline.tensor_parallel_s(
        n_layers=a.n_layers, n_gpus=s.n_gpus, allreduce_latency_s=x["allreduce_latency_s"]
    )
    decode_s = roofline.decode_step_s(memory_s=mem_s, compute_s=comp_s, communication_s=comm_s)
    pf = roofline.forward_flop(
        n_active_params=s.n_active_params,
        n_tokens=s.prompt_tokens,
        n_layers=a.n_layers,
        d_attention=d_attn,
        context_tokens=s.prompt_tokens / 2.0,
    )
    prefill_s = roofline.compute_time_s(
        flop=pf,
        peak_flop_per_s=s.peak_flop_per_s,
        efficiency=x["prefill_compute_efficiency"],
        n_gpus=s.n_gpus,
    )
    prefill_per_step = batch / s.output_tokens * prefill_s
    step = decode_s + prefill_per_step
    return {
        "decode_step_s": decode_s,
        "prefill_s": prefill_s,
        "tpot_s": step,
        "ttft_s": prefill_s + decode_s,
        "output_tokens_per_s": roofline.tokens_per_s(batch=batch, step_s=step),
        "compute_share": (comp_s + prefill_per_step) / step,
        "memory_s": mem_s,
        "compute_s": comp_s,
    }


def _energy_money(x: Mapping[str, FloatArray], s: ServeSpec, out: dict[str, FloatArray]) -> None:
    n, tps = float(s.n_gpus), out["output_tokens_per_s"]
    out["output_tokens_per_s_per_gpu"] = tps / n
    if "tdp_watts" in x:
        frac = energy.serving_power_fraction(
            compute_share=out["compute_share"],
            low_fraction=x["power_low_fraction"],
            high_fraction=x["power_high_fraction"],
        )
        gpu_w = n * x["tdp_watts"] * frac
        out["replica_power_watts"] = gpu_w * np.maximum(x["server_overhead"], 1.0) * np.maximum(x["pue"], 1.0)
        out["gpu_j_per_output_token"] = energy.joules_per_token(watts=gpu_w, tokens_per_s=tps)
        out["j_per_output_token"] = energy.joules_per_token(
            watts=out["replica_power_watts"], tokens_per_s=tps
        )
        out["wh_per_response"] = out["j_per_output_token"] * s.output_tokens / 3600.0
    util = np.minimum(x["utilization"], 1.0)
    decode_share = out["decode_step_s"] / out["tpot_s"]
    if "usd_per_gpu_hour" in x:
        usd_h = n * x["usd_per_gpu_hour"]
        out["usd_per_million_output_tokens"] = money.usd_per_million_tokens(
            usd_per_hour=usd_h * decode_share, tokens_per_s=tps, utilization=util
        )
        out["usd_per_million_input_tokens"] = usd_h / 3600.0 * out["prefill_s"] / s.prompt_tokens * 1e6 / util
    if "gpu_price_usd" in x:
        out["replica_hardware_cost_usd"] = money.hardware_cost_usd(
            unit_price_usd=x["gpu_price_usd"], n_gpus=n
        )
        if "replica_power_watts" in out:
            owned_h = money.amortized_usd_per_hour(
                capex_usd=out["replica_hardware_cost_usd"] * x["server_capex_multiple"],
                lifetime_years=x["lifetime_years"],
                watts=out["replica_power_watts"],
                usd_per_kwh=x["usd_per_kwh"],
            )
            out["owned_usd_per_hour"] = owned_h
            out["usd_per_million_output_tokens_owned"] = money.usd_per_million_tokens(
                usd_per_hour=owned_h * decode_share, tokens_per_s=tps, utilization=util
            )


def _fleet(
    x: Mapping[str, FloatArray], s: ServeSpec, out: dict[str, FloatArray], tokens_per_day: float, peak: float
) -> dict[str, FloatArray]:
    replicas = money.replicas_for_traffic(
        tokens_per_day=tokens_per_day, peak_factor=peak, tokens_per_s_per_replica=out["output_tokens_per_s"]
    )
    fleet = {"replicas": replicas, "fleet_gpus": replicas * s.n_gpus}
    if "usd_per_gpu_hour" in x:
        fleet["fleet_rental_usd_per_year"] = fleet["fleet_gpus"] * x["usd_per_gpu_hour"] * HOURS_PER_YEAR
    if "replica_hardware_cost_usd" in out:
        fleet["fleet_hardware_cost_usd"] = replicas * out["replica_hardware_cost_usd"]
    if "owned_usd_per_hour" in out:
        fleet["fleet_owned_usd_per_year"] = replicas * out["owned_usd_per_hour"] * HOURS_PER_YEAR
    if "j_per_output_token" in out:
        mwh = tokens_per_day * 365.25 * out["j_per_output_token"] / J_PER_MWH
        fleet["fleet_energy_mwh_per_year"] = mwh
        fleet["fleet_co2_t_per_year"] = carbon_f.co2_tonnes(energy_mwh=mwh, gco2e_per_kwh=x["gco2e_per_kwh"])
    return fleet


def _api(
    cat: Catalog, s: ServeSpec, out: Mapping[str, FloatArray], x: Mapping[str, FloatArray]
) -> list[ApiComparison]:
    rows = []
    for price in cat.api_prices.values():
        if price.model is None or price.model != s.model_id or price.output_usd_per_mtok is None:
            continue
        api_out = price.output_usd_per_mtok.central
        api_in = price.input_usd_per_mtok.central if price.input_usd_per_mtok else None
        per_token = (api_out + (api_in or 0.0) * s.prompt_tokens / s.output_tokens) / 1e6
        ours = out.get("usd_per_million_output_tokens")
        even, never = None, 1.0
        if "usd_per_gpu_hour" in x:
            day_usd = s.n_gpus * x["usd_per_gpu_hour"] * 24.0
            capacity = out["output_tokens_per_s"] * 86_400.0
            tokens = money.break_even_tokens_per_day(
                replica_usd_per_day=day_usd, replica_tokens_per_day=capacity, api_usd_per_token=per_token
            )
            finite = tokens[np.isfinite(tokens)]
            never = 1.0 - finite.size / tokens.size
            even = summarize(finite, "tokens/day") if finite.size else None
        rows.append(
            ApiComparison(
                api_price=price.id,
                provider=price.provider,
                name=price.name,
                api_usd_per_million_output_tokens=api_out,
                api_usd_per_million_input_tokens=api_in,
                self_hosted_usd_per_million_output_tokens=summarize(ours, "USD/1M tokens")
                if ours is not None
                else None,
                break_even_tokens_per_day=even,
                share_never_cheaper=round(never, 4),
                source=price.output_usd_per_mtok.source,
            )
        )
    return rows


def _fixed(value: float, unit: str) -> Summary:
    return Summary(p05=value, p50=value, p95=value, mean=value, unit=unit)


def estimate_serving_spec(spec: ServeSpec, req: ServeRequest, cat: Catalog) -> ServeResult:
    """Run the serving pipeline at the point values (samples=0) or as Monte Carlo, and summarize."""
    dists = spec.inputs.dists
    x = points(dists) if req.samples == 0 else draw(dists, req.samples, req.seed)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        out = _times(x, spec)
        _energy_money(x, spec, out)
    require_finite(out)
    fleet = _fleet(x, spec, out, req.tokens_per_day, req.peak_factor) if req.tokens_per_day else {}
    summaries = {k: summarize(out[k], u) if k in out else None for k, u in SERVE_UNITS.items()}
    return ServeResult(
        label=spec.label,
        model=spec.model_id,
        accelerator=spec.accelerator.id,
        accelerator_name=spec.accelerator.name,
        dtype=spec.dtype,
        kv_dtype=spec.kv_dtype,
        batch=spec.batch,
        prompt_tokens=spec.prompt_tokens,
        output_tokens=spec.output_tokens,
        samples=req.samples,
        seed=req.seed,
        weights_bytes=_fixed(spec.weights_bytes, "bytes"),
        kv_cache_bytes_per_token=_fixed(spec.kv_bytes_per_token, "bytes"),
        gpus_per_replica=_fixed(spec.n_gpus, "GPUs"),
        max_batch=_fixed(spec.max_batch, "sequences"),
        **summaries,
        tokens_per_day=req.tokens_per_day,
        fleet={k: summarize(v, FLEET_UNITS[k]) for k, v in fleet.items()},
        api_comparison=_api(cat, spec, out, x),
        breakdown={
            k: summarize(out[k], u)
            for k, u in (
                ("decode_step_s", "s"),
                ("prefill_s", "s"),
                ("memory_s", "s"),
                ("compute_s", "s"),
                ("compute_share", "fraction"),
            )
        },
        inputs=spec.inputs.records,
        warnings=[Caveat(code=c, message=m, values=v) for c, m, v in spec.warnings],
    )
