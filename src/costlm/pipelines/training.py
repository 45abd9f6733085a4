"""Training: compute -> GPU-hours -> wall-clock -> money -> energy -> power -> CO2, over arrays.

Kaplan et al. 2020 (6 N D), PaLM App. B (attention FLOP, MFU and HFU), Narayanan et al. 2021
(GPU-seconds = FLOP / (peak x MFU); recomputation), Epoch AI (amortized hardware), defaults.md
sections 3-7 (power, PUE, capex multiple). Outputs whose inputs are absent (no price, no TDP) are
None.

GPU-hours come from one of three starts, in this order: given GPU-hours (a reported run: no
utilization is assumed), an achieved hardware throughput per GPU (hardware FLOP / achieved FLOP/s),
or model FLOP / (peak x MFU). Allocated hours = useful hours / goodput, with goodput an input
(1 unless given: costlm's MFU prior is calibrated on reported GPU-hours, which already include
downtime; a paper's own MFU or throughput arithmetic assumes no downtime either).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costlm.formulas import FloatArray, carbon, energy, flops, money
from costlm.units import SECONDS_PER_HOUR


@dataclass(frozen=True)
class TrainingDraws:
    """Every input of one training estimate as arrays of equal length (1 for the point estimate).

    Compute is ``train_flop``, or ``n_active_params`` (x ``active_share`` under the MoE lever) x
    (``n_tokens`` or examples x tokens per example x epochs), plus the attention term when
    ``seq_len_tokens``, ``n_layers`` and ``d_attention`` are given; all of it, and given GPU-hours,
    x ``compute_scale`` under an optimizer lever. Time is ``gpu_hours``, or hardware FLOP /
    ``achieved_flop_per_s``, or model FLOP / (peak x ``mfu``), x ``time_scale`` under the FP8
    lever; ``recompute_dense`` / ``recompute_attention`` say which forward passes activation
    recomputation re-runs. The cluster is ``n_gpus`` (whole numbers), or ``days`` to solve for it.
    """

    peak_flop_per_s: float
    capex_multiple: FloatArray
    lifetime_years: FloatArray
    power_fraction: FloatArray
    server_overhead: FloatArray
    pue: FloatArray
    usd_per_kwh: FloatArray
    gco2e_per_kwh: FloatArray
    train_flop: FloatArray | None = None
    n_active_params: FloatArray | None = None
    n_tokens: FloatArray | None = None
    n_examples: FloatArray | None = None
    tokens_per_example: FloatArray | None = None
    n_epochs: FloatArray | None = None
    n_gpus: FloatArray | None = None
    days: FloatArray | None = None
    usd_per_gpu_hour: FloatArray | None = None
    gpu_price_usd: FloatArray | None = None
    tdp_watts: FloatArray | None = None
    mfu: FloatArray | None = None
    goodput: FloatArray | None = None
    achieved_flop_per_s: FloatArray | None = None
    gpu_hours: FloatArray | None = None
    seq_len_tokens: FloatArray | None = None
    n_layers: float | None = None
    d_attention: float | None = None
    recompute_dense: bool = False
    recompute_attention: bool = False
    compute_scale: FloatArray | None = None
    """A lever's multiplier on the compute to the same loss (an optimizer needing fewer steps)."""
    active_share: FloatArray | None = None
    """A lever's active share of the parameters per token (the same model as a mixture of experts)."""
    time_scale: FloatArray | None = None
    """A lever's multiplier on the GPU time (FP8 matmuls: the measured FP8 / BF16 time ratio)."""


@dataclass(frozen=True)
class TrainingBreakdown:
    """The named intermediates and outputs of one training estimate."""

    n_tokens: FloatArray | None
    train_flop: FloatArray | None
    attention_flop: FloatArray | None
    hardware_flop: FloatArray | None
    mfu: FloatArray | None
    hfu: FloatArray | None
    goodput: FloatArray | None
    peak_flop_per_s: FloatArray
    gpu_hours: FloatArray
    n_gpus: FloatArray
    wall_clock_days: FloatArray
    rental_cost_usd: FloatArray | None
    hardware_cost_usd: FloatArray | None
    cluster_capex_usd: FloatArray | None
    amortized_hardware_usd: FloatArray | None
    watts_per_gpu: FloatArray | None
    energy_mwh: FloatArray | None
    avg_power_mw: FloatArray | None
    co2_t: FloatArray | None
    electricity_usd: FloatArray | None
    amortized_cost_usd: FloatArray | None


def training_tokens(d: TrainingDraws) -> FloatArray | None:
    """Training tokens: given, or examples x tokens per example x epochs; None when FLOP is given."""
    if d.n_tokens is not None:
        return d.n_tokens
    if d.n_examples is None or d.tokens_per_example is None or d.n_epochs is None:
        return None
    return flops.finetune_tokens(
        n_examples=d.n_examples, tokens_per_example=d.tokens_per_example, n_epochs=d.n_epochs
    )


def training_compute_flop(d: TrainingDraws, n_tokens: FloatArray | None) -> FloatArray | None:
    """Model FLOP of the run without attention: given, or 6 x active parameters x tokens; None
    when only GPU-hours are given."""
    scale = _scale(d.compute_scale)
    if d.train_flop is not None:
        return d.train_flop * scale
    if d.n_active_params is None or n_tokens is None:
        if d.gpu_hours is None:
            raise ValueError("TrainingDraws needs train_flop, n_active_params with tokens, or gpu_hours")
        return None
    active = d.n_active_params if d.active_share is None else d.n_active_params * d.active_share
    return flops.training_flop(n_active_params=active, n_tokens=n_tokens) * scale


def attention_compute_flop(d: TrainingDraws, n_tokens: FloatArray | None) -> FloatArray | None:
    """Self-attention FLOP of the run (PaLM App. B) when the sequence length and shape are known."""
    if d.seq_len_tokens is None or d.n_layers is None or d.d_attention is None or n_tokens is None:
        return None
    per_token = flops.attention_flop_per_token(
        n_layers=d.n_layers, d_attention=d.d_attention, seq_len_tokens=d.seq_len_tokens
    )
    return per_token * n_tokens * _scale(d.compute_scale)


@dataclass(frozen=True)
class ComputeTime:
    """Model and hardware FLOP, the useful GPU-seconds they took and the utilizations they imply."""

    model_flop: FloatArray | None
    hardware_flop: FloatArray | None
    gpu_hours: FloatArray
    mfu: FloatArray | None
    hfu: FloatArray | None
    goodput: FloatArray | None


def compute_time(
    d: TrainingDraws, dense_flop: FloatArray | None, attention_flop: FloatArray | None
) -> ComputeTime:
    """GPU-hours from given hours, an achieved throughput, or MFU (the module docstring's order)."""
    model_flop = hardware = None
    if dense_flop is not None:
        zero = np.zeros_like(dense_flop)
        attention = zero if attention_flop is None else attention_flop
        model_flop = dense_flop + attention
        hardware = flops.hardware_flop(
            dense_flop=dense_flop,
            attention_flop=attention,
            recompute_dense=d.recompute_dense,
            recompute_attention=d.recompute_attention,
        )
    if d.gpu_hours is not None:
        hours = d.gpu_hours * _scale(d.compute_scale) * _scale(d.time_scale)
        seconds = hours * SECONDS_PER_HOUR
        utilizations = _utilizations(model_flop, hardware, seconds, d)
        return ComputeTime(model_flop, hardware, hours, *utilizations, None)
    if model_flop is None or hardware is None or d.goodput is None:
        raise ValueError("TrainingDraws needs compute (FLOP) and goodput unless gpu_hours is given")
    if d.achieved_flop_per_s is not None:
        seconds = flops.gpu_seconds_at_throughput(
            hardware_flop=hardware, achieved_flop_per_s=d.achieved_flop_per_s
        )
    elif d.mfu is not None:
        seconds = flops.gpu_seconds(train_flop=model_flop, peak_flop_per_s=d.peak_flop_per_s, mfu=d.mfu)
    else:
        raise ValueError("TrainingDraws needs gpu_hours, achieved_flop_per_s or mfu")
    seconds = seconds * _scale(d.time_scale)
    hours = flops.allocated_gpu_hours(gpu_seconds=seconds, goodput=d.goodput)
    return ComputeTime(
        model_flop, hardware, hours, *_utilizations(model_flop, hardware, seconds, d), d.goodput
    )


def _scale(factor: FloatArray | None) -> FloatArray | float:
    """A lever's multiplier, 1 without the lever."""
    return 1.0 if factor is None else factor


def _utilizations(
    model_flop: FloatArray | None, hardware: FloatArray | None, gpu_seconds: FloatArray, d: TrainingDraws
) -> tuple[FloatArray | None, FloatArray | None]:
    """(MFU, HFU) of useful GPU-seconds; None without FLOP (only GPU-hours given)."""
    if model_flop is None or hardware is None:
        return None, None
    mfu = flops.utilization(flop=model_flop, gpu_seconds=gpu_seconds, peak_flop_per_s=d.peak_flop_per_s)
    hfu = flops.utilization(flop=hardware, gpu_seconds=gpu_seconds, peak_flop_per_s=d.peak_flop_per_s)
    return mfu, hfu


def estimate_training(d: TrainingDraws) -> TrainingBreakdown:
    """The whole training pipeline, straight through."""
    n_tokens = training_tokens(d)
    dense_flop = training_compute_flop(d, n_tokens)
    attention_flop = attention_compute_flop(d, n_tokens)
    time = compute_time(d, dense_flop, attention_flop)
    gpu_hours = time.gpu_hours
    if d.days is not None:
        n_gpus = flops.gpus_for_days(gpu_hours=gpu_hours, days=d.days)
    elif d.n_gpus is not None:
        n_gpus = d.n_gpus
    else:
        raise ValueError("TrainingDraws needs n_gpus or days")
    rental = hardware = capex = amortized_hw = None
    if d.usd_per_gpu_hour is not None:
        rental = money.rental_cost_usd(gpu_hours=gpu_hours, usd_per_gpu_hour=d.usd_per_gpu_hour)
    if d.gpu_price_usd is not None:
        hardware = money.hardware_cost_usd(unit_price_usd=d.gpu_price_usd, n_gpus=n_gpus)
        capex = money.cluster_capex_usd(hardware_cost_usd=hardware, capex_multiple=d.capex_multiple)
        amortized_hw = money.amortized_hardware_usd(
            cluster_capex_usd=capex, n_gpus=n_gpus, gpu_hours=gpu_hours, lifetime_years=d.lifetime_years
        )
    watts = mwh = power_mw = co2 = electricity = amortized = None
    if d.tdp_watts is not None:
        watts = energy.facility_watts_per_gpu(
            tdp_watts=d.tdp_watts,
            power_fraction=d.power_fraction,
            server_overhead=d.server_overhead,
            pue=d.pue,
        )
        mwh = energy.energy_mwh(watts_per_gpu=watts, gpu_hours=gpu_hours)
        power_mw = energy.cluster_power_mw(watts_per_gpu=watts, n_gpus=n_gpus)
        co2 = carbon.co2_tonnes(energy_mwh=mwh, gco2e_per_kwh=d.gco2e_per_kwh)
        electricity = money.electricity_usd(energy_mwh=mwh, usd_per_kwh=d.usd_per_kwh)
        amortized = None if amortized_hw is None else amortized_hw + electricity
    return TrainingBreakdown(
        n_tokens=n_tokens,
        train_flop=time.model_flop,
        attention_flop=attention_flop,
        hardware_flop=time.hardware_flop,
        mfu=time.mfu,
        hfu=time.hfu,
        goodput=time.goodput,
        peak_flop_per_s=np.full_like(gpu_hours, d.peak_flop_per_s),
        gpu_hours=gpu_hours,
        n_gpus=n_gpus,
        wall_clock_days=flops.wall_clock_days(gpu_hours=gpu_hours, n_gpus=n_gpus),
        rental_cost_usd=rental,
        hardware_cost_usd=hardware,
        cluster_capex_usd=capex,
        amortized_hardware_usd=amortized_hw,
        watts_per_gpu=watts,
        energy_mwh=mwh,
        avg_power_mw=power_mw,
        co2_t=co2,
        electricity_usd=electricity,
        amortized_cost_usd=amortized,
    )
