"""Training estimate: a resolved spec -> draws -> the training pipeline -> summaries and drivers.

The same pipeline runs on length-1 arrays (point estimate, ``samples=0``) and on n-sample arrays
(Monte Carlo), so an all-Fixed input set reproduces the point estimate exactly. Each declared
output (``costlm.outputs``) is summarized under its declared unit.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from costlm.analyses.levers import LeverSaving, LeverUse, lever_uses, training_savings
from costlm.analyses.reported import (
    applies,
    changed_facets,
    derived_days,
    figure_basis,
    run_count,
    start_hours,
)
from costlm.analyses.training_memory import TrainingMemory, check_memory, require_fit
from costlm.catalog import load
from costlm.catalog.schema import Catalog, Run, Sourced
from costlm.caveats import Caveat
from costlm.outputs import TRAINING_BREAKDOWN, TRAINING_OUTPUTS, Output
from costlm.pipelines.checks import named_values, require_finite
from costlm.pipelines.training import TrainingBreakdown, estimate_training
from costlm.resolve.inputs import Drawn, FloatArray, InputRecord
from costlm.resolve.requests import TrainingRequest
from costlm.resolve.training import TrainingSpec, training_draws, training_spec
from costlm.uncertainty import Summary, rank_sensitivity, summarize

SENSITIVITY_OUTPUTS = (
    "gpu_hours",
    "wall_clock_days",
    "rental_cost_usd",
    "hardware_cost_usd",
    "energy_mwh",
    "co2_t",
)
WHOLE_OUTPUTS = frozenset({"n_gpus"})
"""GPU counts of a cluster are whole: their interpolated percentiles are rounded."""
_TOP_N = 5
MIN_SENSITIVITY_SAMPLES = 100
"""Below this, rank correlations are noise; no sensitivity is reported."""
NOISE_RHO = 0.05
"""|rho| below this is sampling noise at 2,000 ranked samples (SE ~0.02)."""


class SensitivityItem(BaseModel):
    """How strongly one input moves one output (Spearman rank correlation in [-1, 1])."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: str
    rho: float


class ReportedFigure(BaseModel):
    """A figure the makers (or a third party) reported, or arithmetic on such figures, to show beside
    the estimate. ``basis`` is its label (``costlm.analyses.reported.figure_basis``); ``applies`` is
    False when the user changed an input the figure depends on (it describes the original run)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quantity: str
    value: float
    low: float | None
    high: float | None
    unit: str
    basis: str
    source: str
    locator: str
    applies: bool = True


class TrainingBreakdownSummary(BaseModel):
    """The intermediates of a training estimate (see ``costlm.outputs.TRAINING_BREAKDOWN``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_tokens: Summary | None = None
    n_gpus: Summary
    attention_flop: Summary | None = None
    hardware_flop: Summary | None = None
    mfu: Summary | None = None
    hfu: Summary | None = None
    goodput: Summary | None = None
    peak_flop_per_s: Summary
    watts_per_gpu: Summary | None = None
    amortized_hardware_usd: Summary | None = None
    electricity_usd: Summary | None = None


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
    recompute: str
    price_tier: str | None = None
    """Rental tier of ``rental_cost_usd``: on-demand, reserved, spot, or user (the user's rate)."""
    purchase_includes_server: bool | None = None
    """True when ``hardware_cost_usd`` is at a server-inclusive price (no card-only price known)."""
    train_flop: Summary | None
    gpu_hours: Summary
    wall_clock_days: Summary
    hardware_cost_usd: Summary | None = None
    cluster_capex_usd: Summary | None = None
    rental_cost_usd: Summary | None = None
    amortized_cost_usd: Summary | None = None
    energy_mwh: Summary | None = None
    avg_power_mw: Summary | None = None
    co2_t: Summary | None = None
    breakdown: TrainingBreakdownSummary
    sensitivity: dict[str, list[SensitivityItem]]
    inputs: list[InputRecord]
    reported_run: str | None
    reported_scope: str | None
    reported_scope_es: str | None = None
    reported: list[ReportedFigure]
    changed_from_reported: list[str] = []
    reported_hardware: str | None = None
    reported_n_gpus: float | None = None
    warnings: list[Caveat]
    memory: TrainingMemory | None = None
    """Memory per GPU at the median GPU count (None without a total parameter count)."""
    levers: list[LeverUse] = []
    """The cost levers applied (``--lever``), with their sourced factors, claims and reproductions."""
    lever_savings: list[LeverSaving] = []
    """Each output without the levers and the share they save (paired samples)."""


def run_training(spec: TrainingSpec, *, samples: int, seed: int | None) -> tuple[TrainingBreakdown, Drawn]:
    """Draw the spec's inputs and run the training pipeline; refuse non-finite outputs."""
    draws, drawn = training_draws(spec, samples=samples, seed=seed)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        breakdown = estimate_training(draws)
    require_finite(named_values(breakdown))
    return breakdown, drawn


def reported_figures(
    run: Run | None, changed: list[str] | None = None, count: Sourced | None = None
) -> list[ReportedFigure]:
    """The run's reported figures, plus days derived from its GPU-hours and count (see
    ``costlm.analyses.reported``); each marked whether it applies after the ``changed`` facets.
    ``count`` is the run's reported GPU count (``reported.run_count``: its own or the model's)."""
    if run is None:
        return []
    fields: list[tuple[str, Sourced | None, str]] = [
        ("n_gpus", count or run.n_gpus, "GPUs"),
        ("train_flop", run.train_flop, "FLOP"),
        ("gpu_hours", run.gpu_hours, "GPU-h"),
        ("wall_clock_days", run.wall_clock_days, "days"),
        ("energy_mwh", run.energy_mwh, "MWh"),
        ("co2_t", run.co2_t, "tCO2e"),
        ("cost_usd", run.cost_usd, "USD"),
        ("mfu", run.reported_mfu, "fraction"),
    ]
    figures = [
        ReportedFigure(
            quantity=name,
            value=rec.central,
            low=rec.low,
            high=rec.high,
            unit=unit,
            basis=figure_basis(rec),
            source=rec.source,
            locator=rec.locator,
            applies=applies(name, changed or []),
        )
        for name, rec, unit in fields
        if rec is not None
    ]
    days = derived_days(run, count)
    if days is not None and run.gpu_hours is not None and count is not None:
        value, basis = days
        hours = run.gpu_hours
        figures.append(
            ReportedFigure(
                quantity="wall_clock_days",
                value=value,
                low=None,
                high=None,
                unit="days",
                basis=basis,
                source=hours.source,
                locator=f"{hours.central:g} GPU-hours / {count.central:g} GPUs / 24 ({count.source})",
                applies=applies("wall_clock_days", changed or []),
            )
        )
    return figures


def _whole(s: Summary) -> Summary:
    """GPU counts are whole: percentiles interpolated between two counts are rounded."""
    return s.model_copy(update={"p05": round(s.p05), "p50": round(s.p50), "p95": round(s.p95)})


def summaries_of(values: dict[str, FloatArray | None], declared: tuple[Output, ...]) -> dict[str, Summary]:
    """Each declared output present in ``values``, summarized under its declared unit."""
    summaries = {}
    for out in declared:
        value = values.get(out.name)
        if value is not None:
            summary = summarize(value, out.unit)
            summaries[out.name] = _whole(summary) if out.name in WHOLE_OUTPUTS else summary
    return summaries


def estimate_training_spec(
    spec: TrainingSpec,
    cat: Catalog,
    *,
    samples: int,
    seed: int | None,
    baseline: TrainingSpec | None = None,
) -> TrainingResult:
    """Run the pipeline at the point values (samples=0) or as Monte Carlo, and summarize.

    ``baseline`` is the same request without its levers: the result then carries each lever's
    saving against it (``costlm.analyses.levers``).

    The memory check (``costlm.analyses.training_memory``) runs once, at the median GPU count; a run
    that does not fit carries ``memory.feasible == False`` here (``api.estimate_training`` refuses it).
    """
    breakdown, drawn = run_training(spec, samples=samples, seed=seed)
    savings = []
    if spec.levers and baseline is not None:
        savings = training_savings(run_training(baseline, samples=samples, seed=seed)[0], breakdown)
    values = named_values(breakdown)
    wanted = (
        {name: values[name] for name in SENSITIVITY_OUTPUTS if values.get(name) is not None}
        if samples >= MIN_SENSITIVITY_SAMPLES
        else {}
    )
    sensitivity = {
        name: [SensitivityItem(input=i, rho=round(r, 3)) for i, r in ranking[:_TOP_N] if abs(r) >= NOISE_RHO]
        for name, ranking in rank_sensitivity(drawn.raw, wanted).items()
    }
    run = cat.runs.get(spec.reported_run) if spec.reported_run else None
    count = run_count(run, cat.models.get(spec.model_id or ""))
    changed = changed_facets(
        run, accelerator=spec.accelerator.id, dtype=spec.dtype, inputs=spec.inputs.records
    )
    outputs = summaries_of(values, TRAINING_OUTPUTS)
    n_gpus = max(round(float(np.median(breakdown.n_gpus))), 1)
    memory = check_memory(spec.memory, n_gpus) if spec.memory is not None else None
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
        recompute=spec.recompute,
        price_tier=spec.price_tier,
        purchase_includes_server=spec.purchase_includes_server,
        train_flop=outputs.get("train_flop"),
        gpu_hours=outputs["gpu_hours"],
        wall_clock_days=outputs["wall_clock_days"],
        **{k: v for k, v in outputs.items() if k not in ("train_flop", "gpu_hours", "wall_clock_days")},
        breakdown=TrainingBreakdownSummary(**summaries_of(values, TRAINING_BREAKDOWN)),
        sensitivity=sensitivity,
        inputs=spec.inputs.records,
        reported_run=run.id if run else None,
        reported_scope=run.scope if run else None,
        reported_scope_es=(run.scope_es or None) if run else None,
        reported=reported_figures(run, changed, count),
        changed_from_reported=changed,
        reported_hardware=run.hardware if run else None,
        reported_n_gpus=count.central if count else None,
        warnings=[Caveat(code=c, message=m, values=v) for c, m, v in spec.warnings] + drawn.caveats,
        memory=memory,
        levers=lever_uses(cat, spec.levers),
        lever_savings=savings,
    )


def catalog_training(cat: Catalog, model_id: str, *, samples: int, seed: int | None) -> TrainingResult:
    """costlm's estimate of a catalog model's own run from its catalog facts only: the one estimate
    the seed table shows and the claims about the model are judged against (no claim's own
    figures, no user override), so a quantity is the same number in both. It starts from the
    run's reported GPU-hours when the maker published them (``reported.start_hours``)."""
    model = load.model(cat, model_id)
    run = cat.runs.get(model.training.reported_run or "") if model.training else None
    hours = start_hours(run, model.training.hardware.id if model.training else None)
    req = TrainingRequest(
        model=model.id, gpu_hours=hours.bounds if hours else None, samples=samples, seed=seed
    )
    spec = training_spec(req, cat)
    if hours is not None:  # the hours are the run's record, not the user's
        origin = {"basis": hours.basis, "source": hours.source, "note": hours.locator}
        spec.inputs.records = [
            r.model_copy(update=origin) if r.name == "gpu_hours" else r for r in spec.inputs.records
        ]
    return estimate_training_spec(spec, cat, samples=samples, seed=seed)


def estimate_training_request(request: TrainingRequest, cat: Catalog) -> TrainingResult:
    """``costlm.api.estimate_training`` on a loaded catalog: a run whose memory per GPU exceeds the
    accelerator's at every layout searched raises the ``ConfigError`` the CLI prints. With levers,
    the same request without them is the baseline their savings are measured against."""
    spec = training_spec(request, cat)
    baseline = training_spec(request.model_copy(update={"levers": ()}), cat) if request.levers else None
    result = estimate_training_spec(spec, cat, samples=request.samples, seed=request.seed, baseline=baseline)
    if result.memory is not None:
        require_fit(result.memory, result.accelerator)
    return result
