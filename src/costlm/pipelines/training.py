"""Training: compute -> GPU-hours -> wall-clock -> money -> energy -> power -> CO2, over arrays.

Kaplan et al. 2020 (6 N D), Narayanan et al. 2021 (GPU-seconds = FLOP / (peak x MFU)), Epoch AI
(amortized hardware), defaults.md sections 3-7 (power, PUE, capex multiple). Outputs whose inputs
are absent (no price, no TDP) are None.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costlm.formulas import FloatArray, carbon, energy, flops, money


@dataclass(frozen=True)
class TrainingDraws:
    """Every input of one training estimate as arrays of equal length (1 for the point estimate).

    Compute is ``train_flop``, or ``n_active_params`` x (``n_tokens`` or examples x tokens per
    example x epochs). The cluster is ``n_gpus`` (whole numbers), or ``days`` to solve for it.
    """

    peak_flop_per_s: float
    mfu: FloatArray
    goodput: FloatArray
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


@dataclass(frozen=True)
class TrainingBreakdown:
    """The named intermediates and outputs of one training estimate."""

    n_tokens: FloatArray | None
    train_flop: FloatArray
    mfu: FloatArray
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


def training_compute_flop(d: TrainingDraws, n_tokens: FloatArray | None) -> FloatArray:
    """Model FLOP of the run: given, or 6 x active parameters x tokens."""
    if d.train_flop is not None:
        return d.train_flop
    if d.n_active_params is None or n_tokens is None:
        raise ValueError("TrainingDraws needs train_flop, or n_active_params with tokens")
    return flops.training_flop(n_active_params=d.n_active_params, n_tokens=n_tokens)


def estimate_training(d: TrainingDraws) -> TrainingBreakdown:
    """The whole training pipeline, straight through."""
    n_tokens = training_tokens(d)
    train_flop = training_compute_flop(d, n_tokens)
    gpu_seconds = flops.gpu_seconds(train_flop=train_flop, peak_flop_per_s=d.peak_flop_per_s, mfu=d.mfu)
    gpu_hours = flops.allocated_gpu_hours(gpu_seconds=gpu_seconds, goodput=d.goodput)
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
        train_flop=train_flop,
        mfu=d.mfu,
        peak_flop_per_s=np.full_like(d.mfu, d.peak_flop_per_s),
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
