"""Serving: roofline step time -> throughput and latency -> power and J/token -> $/1M tokens, and a
fleet for a traffic profile, over arrays.

Continuous batching (vLLM, Kwon et al. 2023): each decode step produces one token for each of
``batch`` sequences, and new requests' prefills are interleaved, ``batch x prompt / output`` prompt
tokens per step on average, so throughput and J/token include the prefill work. Roofline: Williams
et al. 2009; MoE weights read for the tokens of a pass (B at decode, the prompt at prefill):
``formulas.memory.moe_weights_read_bytes``; communication over the accelerator's link:
``communication_s`` (the one rule for tensor and expert parallel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costlm.formulas import FloatArray, carbon, energy, memory, money, roofline

PAGED_HOLDING_OF_OUTPUT = 0.5
"""Paged attention holds a sequence's prompt and, on average, half of its output."""
MEAN_PREFILL_CONTEXT = 0.5
"""A prompt's tokens attend on average to half of the prompt (causal attention)."""
ACTIVATION_BYTES = 2.0
"""Bytes per activation element exchanged between GPUs: bf16/fp16 (engines keep activations in 16 bits
even with fp8 weights; Micikevicius et al. 2022 "FP8 Formats for Deep Learning" Sec. 5)."""


@dataclass(frozen=True)
class ServeDraws:
    """One replica's exact plan (floats) and its uncertain inputs (arrays of equal length)."""

    n_params: float
    n_active_params: float
    n_layers: float
    d_attention: float
    n_experts: float
    n_experts_active: float
    window_tokens: float
    weights_bytes: float
    kv_bytes_per_token: float
    n_gpus: float
    batch: float | FloatArray
    """Running sequences: one value, or an array broadcasting against the draws (a grid of batches)."""
    prompt_tokens: float
    output_tokens: float
    peak_flop_per_s: float
    hbm_bytes_per_s: float
    d_model: float
    link_bytes_per_s: float
    """Per-GPU link bandwidth each direction (inf when the catalog has none: latency only)."""
    bandwidth_efficiency: FloatArray
    decode_compute_efficiency: FloatArray
    prefill_compute_efficiency: FloatArray
    power_low_fraction: FloatArray
    power_high_fraction: FloatArray
    allreduce_latency_s: FloatArray
    server_overhead: FloatArray
    server_capex_multiple: FloatArray
    lifetime_years: FloatArray
    usd_per_kwh: FloatArray
    gco2e_per_kwh: FloatArray
    utilization: FloatArray
    pue: FloatArray
    usd_per_gpu_hour: FloatArray | None = None
    gpu_price_usd: FloatArray | None = None
    tdp_watts: FloatArray | None = None
    step_overhead_s: FloatArray | None = None
    """The engine's fixed time per decode step (None: no overhead)."""
    idle_power_fraction: FloatArray | None = None
    """GPU power of a replica with its model loaded and no request in flight, as a fraction of TDP."""
    params_scale: FloatArray | None = None
    """Multiplier (median 1) on the parameter counts of a model whose size is estimated: the spread
    of the estimate, read by the weights traffic and the FLOP (the memory plan keeps the central size)."""
    expert_parallel: bool = False
    """Experts sharded across the GPUs (all-to-all dispatch/combine) instead of tensor-parallel MLPs."""


@dataclass(frozen=True)
class StepTimes:
    """Where one decode step's time goes."""

    memory_s: FloatArray
    compute_s: FloatArray
    decode_step_s: FloatArray
    prefill_s: FloatArray
    tpot_s: FloatArray
    ttft_s: FloatArray
    compute_share: FloatArray
    output_tokens_per_s: FloatArray
    weight_bytes_per_step: FloatArray
    """Weight bytes one decode step reads (MoE: non-expert weights + the distinct experts routed to)."""
    n_experts_read: FloatArray
    """Expected distinct routed experts read per MoE layer per decode step (1 for a dense model)."""
    comm_s: FloatArray
    """GPU-to-GPU communication per decode step (tensor- and expert-parallel)."""
    comm_share: FloatArray
    """Communication share of a step (decode + its interleaved prefill)."""


@dataclass(frozen=True)
class ReplicaBreakdown(StepTimes):
    """The named intermediates and outputs of one serving replica: its step times, then energy and money."""

    output_tokens_per_s_per_gpu: FloatArray
    replica_power_watts: FloatArray | None
    gpu_j_per_output_token: FloatArray | None
    j_per_output_token: FloatArray | None
    wh_per_response: FloatArray | None
    usd_per_million_output_tokens: FloatArray | None
    usd_per_million_input_tokens: FloatArray | None
    replica_hardware_cost_usd: FloatArray | None
    owned_usd_per_hour: FloatArray | None
    usd_per_million_output_tokens_owned: FloatArray | None


def weights_read_bytes(d: ServeDraws, n_tokens: FloatArray | float) -> FloatArray:
    """Weight bytes a forward pass over ``n_tokens`` tokens reads (all of them for a dense model)."""
    scale = 1.0 if d.params_scale is None else d.params_scale
    return memory.moe_weights_read_bytes(
        n_params=d.n_params * scale,
        n_active_params=d.n_active_params * scale,
        n_experts=d.n_experts,
        n_experts_active=d.n_experts_active,
        n_tokens=n_tokens,
        bytes_per_param=d.weights_bytes / d.n_params,
    )


def communication_s(d: ServeDraws, n_tokens: FloatArray | float) -> FloatArray:
    """GPU-to-GPU time of a forward pass over ``n_tokens`` tokens on the replica's link.

    Tensor parallel (default): two ring all-reduces per layer. Expert parallel (MoE only): one
    all-reduce per layer after attention, plus dispatch and combine all-to-alls of the routed
    tokens per layer (every layer counted as an MoE layer). 0 on one GPU.
    """
    moe = d.expert_parallel and d.n_experts > d.n_experts_active
    tp = roofline.tensor_parallel_s(
        n_layers=d.n_layers,
        n_tokens=n_tokens,
        d_model=d.d_model,
        bytes_per_element=ACTIVATION_BYTES,
        n_gpus=d.n_gpus,
        link_bytes_per_s=d.link_bytes_per_s,
        allreduce_latency_s=d.allreduce_latency_s,
        allreduces_per_layer=1.0 if moe else 2.0,
    )
    if not moe:
        return tp
    return tp + roofline.expert_parallel_s(
        n_moe_layers=d.n_layers,
        n_tokens=n_tokens,
        n_experts_active=d.n_experts_active,
        d_model=d.d_model,
        bytes_per_element=ACTIVATION_BYTES,
        n_gpus=d.n_gpus,
        link_bytes_per_s=d.link_bytes_per_s,
        latency_s=d.allreduce_latency_s,
    )


def step_times(d: ServeDraws) -> StepTimes:
    """Roofline decode step (bandwidth vs compute, plus communication) and prefill: a lone prompt
    (TTFT) is compute vs the weights its tokens route to, plus communication; prefills interleaved
    into decode steps add their compute and communication (the step already reads the weights)."""
    cached = min(d.prompt_tokens + d.output_tokens * PAGED_HOLDING_OF_OUTPUT, d.window_tokens)
    scale = 1.0 if d.params_scale is None else d.params_scale
    weights_read = weights_read_bytes(d, d.batch)
    bytes_read = weights_read + d.batch * d.kv_bytes_per_token * cached
    mem_s = roofline.memory_time_s(
        bytes_read=bytes_read,
        bytes_per_s=d.hbm_bytes_per_s,
        efficiency=d.bandwidth_efficiency,
        n_gpus=d.n_gpus,
    )
    flop = roofline.forward_flop(
        n_active_params=d.n_active_params * scale,
        n_tokens=d.batch,
        n_layers=d.n_layers,
        d_attention=d.d_attention,
        context_tokens=cached,
    )
    comp_s = roofline.compute_time_s(
        flop=flop, peak_flop_per_s=d.peak_flop_per_s, efficiency=d.decode_compute_efficiency, n_gpus=d.n_gpus
    )
    comm_s = communication_s(d, d.batch)
    decode_s = roofline.decode_step_s(
        memory_s=mem_s,
        compute_s=comp_s,
        communication_s=comm_s,
        overhead_s=0.0 if d.step_overhead_s is None else d.step_overhead_s,
    )
    prefill_flop = roofline.forward_flop(
        n_active_params=d.n_active_params * scale,
        n_tokens=d.prompt_tokens,
        n_layers=d.n_layers,
        d_attention=d.d_attention,
        context_tokens=d.prompt_tokens * MEAN_PREFILL_CONTEXT,
    )
    prefill_compute_s = roofline.compute_time_s(
        flop=prefill_flop,
        peak_flop_per_s=d.peak_flop_per_s,
        efficiency=d.prefill_compute_efficiency,
        n_gpus=d.n_gpus,
    )
    prefill_memory_s = roofline.memory_time_s(
        bytes_read=weights_read_bytes(d, d.prompt_tokens),
        bytes_per_s=d.hbm_bytes_per_s,
        efficiency=d.bandwidth_efficiency,
        n_gpus=d.n_gpus,
    )
    prefill_comm_s = communication_s(d, d.prompt_tokens)
    prefill_s = roofline.decode_step_s(
        memory_s=prefill_memory_s, compute_s=prefill_compute_s, communication_s=prefill_comm_s
    )
    prefills_per_step = d.batch / d.output_tokens
    # interleaved prefills run in the decode step's forward pass, whose weights are already read
    prefill_per_step = prefills_per_step * (prefill_compute_s + prefill_comm_s)
    step = decode_s + prefill_per_step
    ones = np.ones_like(step)
    n_read = memory.expected_distinct_experts(
        n_experts=d.n_experts, n_experts_active=d.n_experts_active, n_tokens=d.batch
    )
    return StepTimes(
        memory_s=mem_s,
        compute_s=comp_s,
        decode_step_s=decode_s,
        prefill_s=prefill_s,
        tpot_s=step,
        ttft_s=prefill_s + decode_s,
        compute_share=(comp_s + prefills_per_step * prefill_compute_s) / step,
        output_tokens_per_s=roofline.tokens_per_s(batch=d.batch, step_s=step),
        weight_bytes_per_step=weights_read * ones,
        n_experts_read=np.where(d.n_experts > d.n_experts_active, n_read, 1.0) * ones,
        comm_s=comm_s * ones,
        comm_share=(comm_s + prefills_per_step * prefill_comm_s) / step,
    )


def estimate_replica(d: ServeDraws) -> ReplicaBreakdown:
    """Step times, then power and J/token (with a TDP), then $/1M tokens rented and owned."""
    t = step_times(d)
    tps = t.output_tokens_per_s
    power = gpu_j = j_token = wh = None
    if d.tdp_watts is not None:
        fraction = energy.serving_power_fraction(
            compute_share=t.compute_share,
            low_fraction=d.power_low_fraction,
            high_fraction=d.power_high_fraction,
        )
        gpu_watts = d.n_gpus * d.tdp_watts * fraction
        power = gpu_watts * d.server_overhead * d.pue
        gpu_j = energy.joules_per_token(watts=gpu_watts, tokens_per_s=tps)
        j_token = energy.joules_per_token(watts=power, tokens_per_s=tps)
        wh = energy.wh_per_response(j_per_token=j_token, n_tokens=d.output_tokens)
    decode_share = t.decode_step_s / t.tpot_s
    usd_out = usd_in = None
    if d.usd_per_gpu_hour is not None:
        usd_h = d.n_gpus * d.usd_per_gpu_hour
        usd_out = money.usd_per_million_tokens(
            usd_per_hour=usd_h * decode_share, tokens_per_s=tps, utilization=d.utilization
        )
        usd_in = money.usd_per_million_prefill_tokens(
            usd_per_hour=usd_h,
            prefill_s=t.prefill_s,
            prompt_tokens=d.prompt_tokens,
            utilization=d.utilization,
        )
    hardware = owned_h = usd_owned = None
    if d.gpu_price_usd is not None:
        hardware = money.hardware_cost_usd(unit_price_usd=d.gpu_price_usd, n_gpus=d.n_gpus)
        if power is not None:
            owned_h = money.amortized_usd_per_hour(
                capex_usd=hardware * d.server_capex_multiple,
                lifetime_years=d.lifetime_years,
                watts=power,
                usd_per_kwh=d.usd_per_kwh,
            )
            usd_owned = money.usd_per_million_tokens(
                usd_per_hour=owned_h * decode_share, tokens_per_s=tps, utilization=d.utilization
            )
    return ReplicaBreakdown(
        **vars(t),
        output_tokens_per_s_per_gpu=tps / d.n_gpus,
        replica_power_watts=power,
        gpu_j_per_output_token=gpu_j,
        j_per_output_token=j_token,
        wh_per_response=wh,
        usd_per_million_output_tokens=usd_out,
        usd_per_million_input_tokens=usd_in,
        replica_hardware_cost_usd=hardware,
        owned_usd_per_hour=owned_h,
        usd_per_million_output_tokens_owned=usd_owned,
    )


@dataclass(frozen=True)
class FleetBreakdown:
    """Replicas for a traffic profile, how busy they are, and what the fleet costs and emits per year.

    Energy counts the busy time (served tokens x J/token) and the idle time of a fleet sized for
    the peak (idle power x the replica-seconds left over); money at load is the fleet's yearly
    cost over the tokens actually served, beside a saturated replica's (every second serving)."""

    replicas: FloatArray
    fleet_gpus: FloatArray
    fleet_rental_usd_per_year: FloatArray | None
    fleet_hardware_cost_usd: FloatArray | None
    fleet_owned_usd_per_year: FloatArray | None
    fleet_energy_mwh_per_year: FloatArray | None
    fleet_co2_t_per_year: FloatArray | None
    fleet_utilization: FloatArray | None = None
    fleet_busy_energy_mwh_per_year: FloatArray | None = None
    fleet_idle_energy_mwh_per_year: FloatArray | None = None
    fleet_j_per_output_token: FloatArray | None = None
    fleet_usd_per_million_output_tokens: FloatArray | None = None
    saturated_usd_per_million_output_tokens: FloatArray | None = None
    fleet_owned_usd_per_million_output_tokens: FloatArray | None = None


def _fleet_energy(
    d: ServeDraws, r: ReplicaBreakdown, replicas: FloatArray, tokens_per_day: float
) -> tuple[FloatArray | None, FloatArray | None]:
    """(busy, idle) facility energy per year; idle is None without an idle power fraction."""
    if r.j_per_output_token is None or d.tdp_watts is None:
        return None, None
    busy = energy.annual_energy_mwh(tokens_per_day=tokens_per_day, j_per_token=r.j_per_output_token)
    if d.idle_power_fraction is None:
        return busy, None
    idle_s = energy.idle_replica_s_per_day(
        n_replicas=replicas, tokens_per_day=tokens_per_day, tokens_per_s_per_replica=r.output_tokens_per_s
    )
    idle_watts = d.n_gpus * d.tdp_watts * d.idle_power_fraction * d.server_overhead * d.pue
    idle = energy.idle_energy_mwh_per_year(idle_replica_s_per_day=idle_s, idle_watts_per_replica=idle_watts)
    return busy, idle


def fleet_energy_mwh_per_year(
    d: ServeDraws, r: ReplicaBreakdown, *, replicas: FloatArray, tokens_per_day: float
) -> tuple[FloatArray | None, FloatArray | None]:
    """(busy, idle) facility energy per year of ``replicas`` serving ``tokens_per_day`` (a fleet
    sized by a planner rather than by ``estimate_fleet``)."""
    return _fleet_energy(d, r, replicas, tokens_per_day)


def estimate_fleet(
    d: ServeDraws, r: ReplicaBreakdown, *, tokens_per_day: float, peak_factor: float
) -> FleetBreakdown:
    """Replicas to carry the peak rate; their utilization, rental, hardware and owned cost, $/1M at
    this load and saturated, busy + idle energy and CO2 per year."""
    replicas = money.replicas_for_traffic(
        tokens_per_day=tokens_per_day, peak_factor=peak_factor, tokens_per_s_per_replica=r.output_tokens_per_s
    )
    gpus = replicas * d.n_gpus
    capacity = replicas * money.tokens_per_day(tokens_per_s=r.output_tokens_per_s)
    rental = at_load = saturated = None
    if d.usd_per_gpu_hour is not None:
        rental = money.usd_per_year(usd_per_hour=gpus * d.usd_per_gpu_hour)
        at_load = money.usd_per_million_tokens_served(usd_per_year=rental, tokens_per_day=tokens_per_day)
        saturated = money.usd_per_million_tokens(
            usd_per_hour=d.n_gpus * d.usd_per_gpu_hour, tokens_per_s=r.output_tokens_per_s, utilization=1.0
        )
    hardware = None if r.replica_hardware_cost_usd is None else replicas * r.replica_hardware_cost_usd
    owned = owned_at_load = None
    if r.owned_usd_per_hour is not None:
        owned = money.usd_per_year(usd_per_hour=replicas * r.owned_usd_per_hour)
        owned_at_load = money.usd_per_million_tokens_served(usd_per_year=owned, tokens_per_day=tokens_per_day)
    busy, idle = _fleet_energy(d, r, replicas, tokens_per_day)
    mwh = co2 = j_token = None
    if busy is not None:
        mwh = busy if idle is None else busy + idle
        co2 = carbon.co2_tonnes(energy_mwh=mwh, gco2e_per_kwh=d.gco2e_per_kwh)
        j_token = energy.j_per_token_of_year(energy_mwh_per_year=mwh, tokens_per_day=tokens_per_day)
    return FleetBreakdown(
        replicas=replicas,
        fleet_gpus=gpus,
        fleet_rental_usd_per_year=rental,
        fleet_hardware_cost_usd=hardware,
        fleet_owned_usd_per_year=owned,
        fleet_energy_mwh_per_year=mwh,
        fleet_co2_t_per_year=co2,
        fleet_utilization=money.fleet_utilization(
            tokens_per_day=tokens_per_day, capacity_tokens_per_day=capacity
        ),
        fleet_busy_energy_mwh_per_year=busy,
        fleet_idle_energy_mwh_per_year=idle,
        fleet_j_per_output_token=j_token,
        fleet_usd_per_million_output_tokens=at_load,
        saturated_usd_per_million_output_tokens=saturated,
        fleet_owned_usd_per_million_output_tokens=owned_at_load,
    )


def break_even_tokens_per_day(
    d: ServeDraws, r: ReplicaBreakdown, *, api_usd_per_token: float, peak_factor: float = 1.0
) -> FloatArray:
    """Daily tokens above which one rented replica costs less than the API (inf where never), the
    replica carrying that traffic's peak (mean x ``peak_factor``)."""
    if d.usd_per_gpu_hour is None:
        raise ValueError("break-even needs a rental price")
    return money.break_even_tokens_per_day(
        replica_usd_per_day=money.usd_per_day(usd_per_hour=d.n_gpus * d.usd_per_gpu_hour),
        replica_tokens_per_day=money.tokens_per_day(tokens_per_s=r.output_tokens_per_s),
        api_usd_per_token=api_usd_per_token,
        peak_factor=peak_factor,
    )


@dataclass(frozen=True)
class SizedReplicaDraws:
    """A replica sized from weight memory alone (no architecture): its GPU count and power inputs."""

    n_gpus: float
    power_fraction: FloatArray
    server_overhead: FloatArray
    pue: FloatArray
    gpu_price_usd: FloatArray | None = None
    tdp_watts: FloatArray | None = None


@dataclass(frozen=True)
class SizedReplicaBreakdown:
    """Hardware cost and facility power of a replica sized from weight memory."""

    hardware_cost_usd: FloatArray | None
    replica_power_watts: FloatArray | None


def estimate_sized_replica(d: SizedReplicaDraws) -> SizedReplicaBreakdown:
    """GPU price x count; n x TDP x average fraction x server overhead x PUE."""
    hardware = None
    if d.gpu_price_usd is not None:
        hardware = money.hardware_cost_usd(unit_price_usd=d.gpu_price_usd, n_gpus=d.n_gpus)
    power = None
    if d.tdp_watts is not None:
        per_gpu = energy.facility_watts_per_gpu(
            tdp_watts=d.tdp_watts,
            power_fraction=d.power_fraction,
            server_overhead=d.server_overhead,
            pue=d.pue,
        )
        power = per_gpu * d.n_gpus
    return SizedReplicaBreakdown(hardware_cost_usd=hardware, replica_power_watts=power)
