"""Training estimate: compute -> GPU-hours -> days -> money -> energy -> CO2, as Monte Carlo ranges.

The same vectorised pipeline runs on length-1 arrays (point estimate, ``samples=0``)
and on n-sample arrays (Monte Carlo), so an all-Fixed input set reproduces the point
estimate exactly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict

from costlm.catalog.schema import Catalog, Run, Sourced
from costlm.caveats import Caveat
from costlm.estimate.specs import InputRecord, TrainingSpec, require_finite
from costlm.formulas import carbon, energy, flops, money
from costlm.uncertainty import Summary, draw, rank_sensitivity, summarize
from costlm.uncertainty.distributions import FloatArray
from costlm.uncertainty.montecarlo import points

OUTPUT_UNITS: dict[str, str] = {
    "train_flop": "FLOP",
    "gpu_hours": "GPU-h",
    "wall_clock_days": "days",
    "hardware_cost_usd": "USD",
    "cluster_capex_usd": "USD",
    "rental_cost_usd": "USD",
    "amortized_cost_usd": "USD",
    "energy_mwh": "MWh",
    "avg_power_mw": "MW",
    "co2_t": "tCO2e",
}
BREAKDOWN_UNITS: dict[str, str] = {
    "n_tokens": "tokens",
    "n_gpus": "GPUs",
    "mfu": "fraction",
    "peak_flop_per_s": "FLOP/s",
    "watts_per_gpu": "W",
    "amortized_hardware_usd": "USD",
    "electricity_usd": "USD",
}
SENSITIVITY_OUTPUTS = (
    "gpu_hours",
    "wall_clock_days",
    "rental_cost_usd",
    "hardware_cost_usd",
    "energy_mwh",
    "co2_t",
)
_TOP_N = 5
MIN_SENSITIVITY_SAMPLES = 100
"""Below this, rank correlations are noise; no sensitivity is reported."""
_NOISE_RHO = 0.05  # |rho| below this is sampling noise at 2,000 ranked samples (SE ~0.02)


class SensitivityItem(BaseModel):
    """How strongly one input moves one output (Spearman rank correlation in [-1, 1])."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: str
    rho: float


class ReportedFigure(BaseModel):
    """A figure the makers (or a third party) reported, to show beside the estimate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quantity: str
    value: float
    low: float | None
    high: float | None
    unit: str
    basis: str
    source: str
    locator: str


class TrainingResult(BaseModel):
    """A training estimate: each output as p05/p50/p95/mean, plus breakdown, sensitivity, provenance."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    model: str | None
    kind: str
    accelerator: str
    accelerator_name: str
    dtype: str
    samples: int
    seed: int | None
    grid_region: str
    train_flop: Summary
    gpu_hours: Summary
    wall_clock_days: Summary
    hardware_cost_usd: Summary | None
    cluster_capex_usd: Summary | None
    rental_cost_usd: Summary | None
    amortized_cost_usd: Summary | None
    energy_mwh: Summary | None
    avg_power_mw: Summary | None
    co2_t: Summary | None
    breakdown: dict[str, Summary]
    sensitivity: dict[str, list[SensitivityItem]]
    inputs: list[InputRecord]
    reported_run: str | None
    reported_scope: str | None
    reported_scope_es: str | None = None
    reported: list[ReportedFigure]
    warnings: list[Caveat]


def _compute(x: Mapping[str, FloatArray], spec: TrainingSpec) -> dict[str, FloatArray]:
    """The pipeline over arrays; outputs whose inputs are missing are left out."""
    out: dict[str, FloatArray] = {}
    if "train_flop" in x:
        out["train_flop"] = x["train_flop"]
    else:
        tokens = (
            x["n_tokens"]
            if "n_tokens" in x
            else flops.finetune_tokens(
                n_examples=x["n_examples"], tokens_per_example=x["tokens_per_example"], n_epochs=x["n_epochs"]
            )
        )
        out["n_tokens"] = np.asarray(tokens)
        out["train_flop"] = np.asarray(
            flops.training_flop(n_active_params=x["n_active_params"], n_tokens=tokens)
        )
    mfu = np.minimum(x["mfu"], 1.0)
    goodput = np.minimum(x["goodput"], 1.0)
    seconds = flops.gpu_seconds(train_flop=out["train_flop"], peak_flop_per_s=spec.peak_flop_per_s, mfu=mfu)
    gpu_hours = np.asarray(flops.allocated_gpu_hours(gpu_seconds=seconds, goodput=goodput))
    if spec.solve_n_gpus:
        n_gpus = np.asarray(flops.gpus_for_days(gpu_hours=gpu_hours, days=x["days"]))
    else:
        n_gpus = np.maximum(np.round(x["n_gpus"]), 1.0)
    out |= {
        "mfu": mfu,
        "n_gpus": n_gpus,
        "gpu_hours": gpu_hours,
        "peak_flop_per_s": np.full_like(mfu, spec.peak_flop_per_s),
    }
    out["wall_clock_days"] = np.asarray(flops.wall_clock_days(gpu_hours=gpu_hours, n_gpus=n_gpus))
    _money(x, out)
    _energy(x, out)
    return out


def _money(x: Mapping[str, FloatArray], out: dict[str, FloatArray]) -> None:
    if "usd_per_gpu_hour" in x:
        out["rental_cost_usd"] = np.asarray(
            money.rental_cost_usd(gpu_hours=out["gpu_hours"], usd_per_gpu_hour=x["usd_per_gpu_hour"])
        )
    if "gpu_price_usd" in x:
        hardware = np.asarray(
            money.hardware_cost_usd(unit_price_usd=x["gpu_price_usd"], n_gpus=out["n_gpus"])
        )
        out["hardware_cost_usd"] = hardware
        out["cluster_capex_usd"] = np.asarray(
            money.cluster_capex_usd(hardware_cost_usd=hardware, capex_multiple=x["capex_multiple"])
        )
        out["amortized_hardware_usd"] = np.asarray(
            money.amortized_hardware_usd(
                cluster_capex_usd=out["cluster_capex_usd"],
                n_gpus=out["n_gpus"],
                gpu_hours=out["gpu_hours"],
                lifetime_years=x["lifetime_years"],
            )
        )


def _energy(x: Mapping[str, FloatArray], out: dict[str, FloatArray]) -> None:
    if "tdp_watts" not in x:
        return
    watts = np.asarray(
        energy.facility_watts_per_gpu(
            tdp_watts=x["tdp_watts"],
            power_fraction=np.minimum(x["power_fraction"], 1.0),
            server_overhead=np.maximum(x["server_overhead"], 1.0),
            pue=np.maximum(x["pue"], 1.0),
        )
    )
    out["watts_per_gpu"] = watts
    out["energy_mwh"] = np.asarray(energy.energy_mwh(watts_per_gpu=watts, gpu_hours=out["gpu_hours"]))
    out["avg_power_mw"] = np.asarray(energy.cluster_power_mw(watts_per_gpu=watts, n_gpus=out["n_gpus"]))
    out["co2_t"] = np.asarray(
        carbon.co2_tonnes(energy_mwh=out["energy_mwh"], gco2e_per_kwh=x["gco2e_per_kwh"])
    )
    out["electricity_usd"] = np.asarray(
        money.electricity_usd(energy_mwh=out["energy_mwh"], usd_per_kwh=x["usd_per_kwh"])
    )
    if "amortized_hardware_usd" in out:
        out["amortized_cost_usd"] = out["amortized_hardware_usd"] + out["electricity_usd"]


def _reported(run: Run | None) -> list[ReportedFigure]:
    if run is None:
        return []
    fields: list[tuple[str, Sourced | None, str]] = [
        ("n_gpus", run.n_gpus, "GPUs"),
        ("train_flop", run.train_flop, "FLOP"),
        ("gpu_hours", run.gpu_hours, "GPU-h"),
        ("wall_clock_days", run.wall_clock_days, "days"),
        ("energy_mwh", run.energy_mwh, "MWh"),
        ("co2_t", run.co2_t, "tCO2e"),
        ("cost_usd", run.cost_usd, "USD"),
        ("mfu", run.reported_mfu, "fraction"),
    ]
    default_basis = "reported" if run.source_kind == "official" else "third-party"
    return [
        ReportedFigure(
            quantity=name,
            value=rec.central,
            low=rec.low,
            high=rec.high,
            unit=unit,
            basis=default_basis if rec.basis == "reported" else rec.basis,
            source=rec.source,
            locator=rec.locator,
        )
        for name, rec, unit in fields
        if rec is not None
    ]


def _whole(s: Summary) -> Summary:
    """GPU counts are whole: percentiles interpolated between two counts are rounded."""
    return s.model_copy(update={"p05": round(s.p05), "p50": round(s.p50), "p95": round(s.p95)})


def estimate_training_spec(
    spec: TrainingSpec, cat: Catalog, *, samples: int, seed: int | None
) -> TrainingResult:
    """Run the pipeline at the point values (samples=0) or as Monte Carlo, and summarize."""
    dists = spec.inputs.dists
    x = points(dists) if samples == 0 else draw(dists, samples, seed)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        out = _compute(x, spec)
    require_finite(out)
    summaries = {name: summarize(out[name], unit) for name, unit in OUTPUT_UNITS.items() if name in out}
    wanted = (
        {name: out[name] for name in SENSITIVITY_OUTPUTS if name in out}
        if samples >= MIN_SENSITIVITY_SAMPLES
        else {}
    )
    sensitivity = {
        name: [SensitivityItem(input=i, rho=round(r, 3)) for i, r in ranking[:_TOP_N] if abs(r) >= _NOISE_RHO]
        for name, ranking in rank_sensitivity(x, wanted).items()
    }
    run = cat.runs.get(spec.reported_run) if spec.reported_run else None
    return TrainingResult(
        label=spec.label,
        model=spec.model_id,
        kind=spec.kind,
        accelerator=spec.accelerator.id,
        accelerator_name=spec.accelerator.name,
        dtype=spec.dtype,
        samples=samples,
        seed=seed,
        grid_region=spec.grid_region,
        train_flop=summaries["train_flop"],
        gpu_hours=summaries["gpu_hours"],
        wall_clock_days=summaries["wall_clock_days"],
        **{
            name: summaries.get(name)
            for name in OUTPUT_UNITS
            if name not in ("train_flop", "gpu_hours", "wall_clock_days")
        },
        breakdown={
            name: _whole(summarize(out[name], unit)) if name == "n_gpus" else summarize(out[name], unit)
            for name, unit in BREAKDOWN_UNITS.items()
            if name in out
        },
        sensitivity=sensitivity,
        inputs=spec.inputs.records,
        reported_run=run.id if run else None,
        reported_scope=run.scope if run else None,
        reported_scope_es=(run.scope_es or None) if run else None,
        reported=_reported(run),
        warnings=[Caveat(code=c, message=m, values=v) for c, m, v in spec.warnings],
    )
