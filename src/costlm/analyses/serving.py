"""Serving estimate: a resolved spec -> draws -> the serving pipeline (replica, fleet) -> summaries,
and the break-even of self-hosting against each API list price of the model.

Each declared output (``costlm.outputs``) is summarized under its declared unit.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from costlm.analyses.batching import BatchPlan, choose_batch
from costlm.analyses.levers import LeverUse, lever_uses
from costlm.analyses.training import summaries_of
from costlm.catalog.schema import ApiPrice, Catalog
from costlm.caveats import Caveat
from costlm.formulas import money, roofline
from costlm.outputs import FLEET_OUTPUTS, SERVING_BREAKDOWN, SERVING_OUTPUTS
from costlm.pipelines.checks import named_values, require_finite
from costlm.pipelines.serving import (
    FleetBreakdown,
    ReplicaBreakdown,
    ServeDraws,
    break_even_tokens_per_day,
    estimate_fleet,
    estimate_replica,
)
from costlm.resolve.inputs import InputRecord
from costlm.resolve.requests import ServeRequest
from costlm.resolve.serving import ServeSpec, serve_draws, serve_spec
from costlm.uncertainty import Summary, summarize


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
    """Output tokens/day above which one rented replica, carrying the traffic's peak, beats the API."""
    share_never_cheaper: float
    """Share of the draws in which self-hosting at rental prices never beats this API price."""
    source: str
    basis: str = "third-party"
    """The API list price is the provider's price, a third-party figure to costlm."""
    api_usd_per_year: float | None = None
    """What the requested traffic costs per year at this API's list prices (prompt tokens included)."""
    self_hosted_usd_per_year: Summary | None = None
    """The fleet's yearly rental cost for the same traffic."""
    self_hosted_over_api: Summary | None = None
    """Self-hosted yearly rental / API yearly cost at the requested traffic (> 1: the API is cheaper)."""


class FleetSummary(BaseModel):
    """A fleet for the requested traffic (see ``costlm.outputs.FLEET_OUTPUTS``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    replicas: Summary
    fleet_gpus: Summary
    fleet_hardware_cost_usd: Summary | None = None
    fleet_rental_usd_per_year: Summary | None = None
    fleet_owned_usd_per_year: Summary | None = None
    fleet_energy_mwh_per_year: Summary | None = None
    """Facility energy per year: busy (served tokens x J/token) + idle (a fleet sized for the peak)."""
    fleet_co2_t_per_year: Summary | None = None
    fleet_utilization: Summary | None = None
    """Tokens served per day / tokens the fleet could serve per day."""
    fleet_busy_energy_mwh_per_year: Summary | None = None
    fleet_idle_energy_mwh_per_year: Summary | None = None
    fleet_j_per_output_token: Summary | None = None
    """Facility J per output token at this load, idle time included."""
    fleet_usd_per_million_output_tokens: Summary | None = None
    """Rental $ per 1M output tokens at this load: the fleet's yearly rental / yearly tokens."""
    saturated_usd_per_million_output_tokens: Summary | None = None
    """Rental $ per 1M output tokens of a replica serving every second (utilization 1)."""
    fleet_owned_usd_per_million_output_tokens: Summary | None = None


class ServingBreakdownSummary(BaseModel):
    """Where a decode step's time goes (see ``costlm.outputs.SERVING_BREAKDOWN``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decode_step_s: Summary
    prefill_s: Summary
    memory_s: Summary
    compute_s: Summary
    compute_share: Summary
    weight_bytes_per_step: Summary
    n_experts_read: Summary
    comm_s: Summary
    comm_share: Summary


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
    """The running batch (concurrent sequences simulated): ``running_batch``."""
    requested_batch: int
    """The requested concurrency (--batch, else the running batch)."""
    running_batch: int
    queue_share: float
    """Share of the requested concurrency that waits: (requested - running) / requested."""
    batch_mode: str
    """``throughput`` (largest batch that fits), ``requested`` (--batch) or ``latency_target``."""
    max_tpot_ms: float | None = None
    max_ttft_ms: float | None = None
    gpu_memory_utilization: float
    kv_block_tokens: float
    """Tokens per KV cache block (paged attention)."""
    kv_cache_tokens: float
    """Tokens the replica's KV cache holds (whole 16-token blocks), as vLLM logs it."""
    prompt_tokens: float
    output_tokens: float
    samples: int
    seed: int | None
    grid_region: str | None = None
    """Grid region of the CO2 figures (an id of grid.csv)."""
    price_tier: str | None = None
    """Rental tier of the rental-priced outputs: on-demand, reserved, spot, or user (the user's rate)."""
    purchase_includes_server: bool | None = None
    """True when the hardware cost is at a server-inclusive price (no server multiple on top)."""
    engine: str = "generic"
    """The serving engine whose calibrated efficiencies were drawn (``generic`` spans them all)."""
    engine_runs: int = 0
    """Measured runs that engine's efficiencies were fitted on (0: not calibrated on its own runs)."""
    levers: list[LeverUse] = []
    """The cost levers applied (``--lever``: MLA cache, quantized weights and KV)."""
    link: str | None = None
    """The GPU-to-GPU link of the replica (nvlink, pcie, infinity-fabric, ici, ethernet), None if unknown."""
    n_experts: int | None = None
    """Routed experts per MoE layer (None for a dense model)."""
    n_experts_active: int | None = None
    """Routed experts per token (None for a dense model)."""
    expert_parallel: bool = False
    """Experts sharded across the GPUs (all-to-all) instead of tensor-parallel MLPs."""
    weights_bytes: Summary
    kv_cache_bytes_per_token: Summary
    gpus_per_replica: Summary
    max_batch: Summary
    ttft_s: Summary
    tpot_s: Summary
    output_tokens_per_s: Summary
    output_tokens_per_s_per_gpu: Summary
    j_per_output_token: Summary | None = None
    gpu_j_per_output_token: Summary | None = None
    wh_per_response: Summary | None = None
    queue_wait_s: Summary | None = None
    """Mean wait of a request for a slot when the requested batch exceeds the running one (Little's law)."""
    replica_power_watts: Summary | None = None
    replica_hardware_cost_usd: Summary | None = None
    usd_per_million_output_tokens: Summary | None = None
    usd_per_million_input_tokens: Summary | None = None
    usd_per_million_output_tokens_owned: Summary | None = None
    tokens_per_day: float | None
    peak_factor: float = 1.0
    """Peak rate / mean rate of the traffic: the fleet and the break-even carry the peak."""
    fleet: FleetSummary | None
    api_comparison: list[ApiComparison]
    breakdown: ServingBreakdownSummary
    inputs: list[InputRecord]
    warnings: list[Caveat]


def _api_row(
    price: ApiPrice,
    s: ServeSpec,
    d: ServeDraws,
    r: ReplicaBreakdown,
    req: ServeRequest,
    fleet: FleetBreakdown | None,
) -> ApiComparison | None:
    if price.model is None or price.model != s.model_id or price.output_usd_per_mtok is None:
        return None
    api_out = price.output_usd_per_mtok.central
    api_in = price.input_usd_per_mtok.central if price.input_usd_per_mtok else None
    per_token = float(
        money.api_usd_per_output_token(
            output_usd_per_mtok=api_out,
            input_usd_per_mtok=api_in or 0.0,
            prompt_tokens=s.prompt_tokens,
            output_tokens=s.output_tokens,
        )
    )
    ours = r.usd_per_million_output_tokens
    even, never = None, 1.0
    if d.usd_per_gpu_hour is not None:
        tokens = break_even_tokens_per_day(d, r, api_usd_per_token=per_token, peak_factor=req.peak_factor)
        finite = tokens[np.isfinite(tokens)]
        never = 1.0 - finite.size / tokens.size
        even = summarize(finite, "tokens/day") if finite.size else None
    return ApiComparison(
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
        basis=price.output_usd_per_mtok.basis,
        **_yearly(per_token, req, fleet),
    )


def _yearly(per_token: float, req: ServeRequest, fleet: FleetBreakdown | None) -> dict[str, Any]:
    """The API's yearly cost at the requested traffic beside the fleet's yearly rental, and their ratio."""
    if not req.tokens_per_day:
        return {}
    api_year = float(money.api_usd_per_year(usd_per_token=per_token, tokens_per_day=req.tokens_per_day))
    out: dict[str, Any] = {"api_usd_per_year": api_year}
    if fleet is not None and fleet.fleet_rental_usd_per_year is not None:
        out["self_hosted_usd_per_year"] = summarize(fleet.fleet_rental_usd_per_year, "USD/year")
        out["self_hosted_over_api"] = summarize(fleet.fleet_rental_usd_per_year / api_year, "x")
    return out


PCIE_LINKS = ("pcie",)
"""Links with no GPU-to-GPU fabric: a multi-GPU replica over them gets a caveat with its cost."""


def _link_caveats(spec: ServeSpec, comm_share: Summary) -> list[Caveat]:
    """A multi-GPU replica on a PCIe-only card: the link, its bandwidth and the share of a step it
    costs; on a chip whose link bandwidth the catalog lacks, a ``no_link_bandwidth`` caveat (the
    all-reduce is then not costed)."""
    acc = spec.accelerator
    if spec.n_gpus >= 2 and acc.link_gb_per_s is None:
        values = {"n": str(spec.n_gpus), "gpu": acc.id}
        message = (
            f"{values['n']} x {values['gpu']}: the catalog has no sourced link bandwidth for this chip, "
            "so the all-reduce between chips is not costed (optimistic)"
        )
        return [Caveat(code="no_link_bandwidth", message=message, values=values)]
    if spec.n_gpus < 2 or acc.link not in PCIE_LINKS or acc.link_gb_per_s is None:
        return []
    values = {
        "n": str(spec.n_gpus),
        "gpu": acc.id,
        "gb": f"{acc.link_gb_per_s.central:g}",
        "share": f"{comm_share.p50:.0%}",
    }
    message = (
        f"{values['n']} x {values['gpu']} all-reduce over PCIe ({values['gb']} GB/s each way, no NVLink): "
        f"communication is {values['share']} of a step"
    )
    return [Caveat(code="pcie_replica", message=message, values=values)]


def _queue(spec: ServeSpec, plan: BatchPlan, r: ReplicaBreakdown) -> tuple[Summary | None, list[Caveat]]:
    """The wait of a queued request and the ``batch_capped`` caveat, when fewer run than requested."""
    if plan.requested <= plan.running:
        return None, []
    service_s = r.ttft_s + spec.output_tokens * r.tpot_s  # one request's time in a slot
    wait = summarize(
        roofline.queue_wait_s(service_s=service_s, n_requested=plan.requested, n_running=plan.running), "s"
    )
    share = (plan.requested - plan.running) / plan.requested
    why = "latency" if plan.mode == "latency_target" else "memory"
    values = {
        "requested": str(plan.requested),
        "running": str(plan.running),
        "max": str(spec.max_batch),
        "share": f"{share:.0%}",
        "wait": f"{wait.p50:.3g}",
        "why": why,
    }
    limit = "the latency target allows" if why == "latency" else "the KV cache holds"
    message = (
        f"requested batch {plan.requested} is more than {limit}: {plan.running} sequences run, "
        f"{values['share']} of requests queue (mean wait ~{values['wait']} s); "
        "the figures are for the running batch"
    )
    return wait, [Caveat(code=f"batch_capped_{why}", message=message, values=values)]


def _fixed(value: float, unit: str) -> Summary:
    return Summary(p05=value, p50=value, p95=value, mean=value, unit=unit)


def estimate_serving_spec(spec: ServeSpec, req: ServeRequest, cat: Catalog) -> ServeResult:
    """Run the serving pipeline at the point values (samples=0) or as Monte Carlo, and summarize."""
    draws, drawn = serve_draws(spec, samples=req.samples, seed=req.seed)
    plan = choose_batch(spec, draws, req)
    if plan.running != spec.batch:
        spec.batch = plan.running
        draws = dataclasses.replace(draws, batch=float(plan.running))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        replica = estimate_replica(draws)
    values = named_values(replica)
    require_finite(values)
    wait, capped = _queue(spec, plan, replica)
    fleet, breakdown = None, None
    if req.tokens_per_day:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            breakdown = estimate_fleet(
                draws, replica, tokens_per_day=req.tokens_per_day, peak_factor=req.peak_factor
            )
        fleet = FleetSummary(**summaries_of(named_values(breakdown), FLEET_OUTPUTS))
    rows = [_api_row(price, spec, draws, replica, req, breakdown) for price in cat.api_prices.values()]
    step_bd = ServingBreakdownSummary(**summaries_of(values, SERVING_BREAKDOWN))
    moe = (spec.arch.n_experts or 1) > (spec.arch.n_experts_active or 1)
    return ServeResult(
        label=spec.label,
        model=spec.model_id,
        accelerator=spec.accelerator.id,
        accelerator_name=spec.accelerator.name,
        dtype=spec.dtype,
        kv_dtype=spec.kv_dtype,
        engine=spec.engine,
        engine_runs=spec.engine_runs,
        levers=lever_uses(cat, spec.levers),
        batch=spec.batch,
        requested_batch=plan.requested,
        running_batch=plan.running,
        queue_share=round((plan.requested - plan.running) / plan.requested, 4),
        batch_mode=plan.mode,
        max_tpot_ms=req.max_tpot_ms,
        max_ttft_ms=req.max_ttft_ms,
        gpu_memory_utilization=spec.gpu_memory_utilization,
        kv_block_tokens=spec.kv_block_tokens,
        kv_cache_tokens=spec.kv_cache_tokens,
        queue_wait_s=wait,
        prompt_tokens=spec.prompt_tokens,
        output_tokens=spec.output_tokens,
        samples=req.samples,
        seed=req.seed,
        grid_region=spec.grid_region,
        price_tier=spec.price_tier,
        purchase_includes_server=spec.purchase_includes_server,
        link=spec.accelerator.link,
        n_experts=spec.arch.n_experts if moe else None,
        n_experts_active=spec.arch.n_experts_active if moe else None,
        expert_parallel=spec.expert_parallel,
        weights_bytes=_fixed(spec.weights_bytes, "bytes"),
        kv_cache_bytes_per_token=_fixed(spec.kv_bytes_per_token, "bytes"),
        gpus_per_replica=_fixed(spec.n_gpus, "GPUs"),
        max_batch=_fixed(spec.max_batch, "sequences"),
        **summaries_of(values, SERVING_OUTPUTS),
        tokens_per_day=req.tokens_per_day,
        peak_factor=req.peak_factor,
        fleet=fleet,
        api_comparison=[row for row in rows if row is not None],
        breakdown=step_bd,
        inputs=spec.inputs.records,
        warnings=[Caveat(code=c, message=m, values=v) for c, m, v in spec.warnings]
        + _link_caveats(spec, step_bd.comm_share)
        + capped
        + drawn.caveats,
    )


def estimate_serving_request(request: ServeRequest, cat: Catalog) -> ServeResult:
    """``costlm.api.estimate_serving`` on a loaded catalog."""
    return estimate_serving_spec(serve_spec(request, cat), request, cat)
