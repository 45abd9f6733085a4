"""Fit the serving efficiencies per engine on the catalog's measured inference runs (leave-one-out).

Data: every measured run with a decode time measurement that is a point (TPOT, throughput, or a
fixed batch's end-to-end latency; a throughput reported as a lower bound is left out). Each run
is resolved like a serving estimate (``costlm.analyses.backtest.serve_request``) with every
uncertain input at its median and the efficiencies at the ``[defaults]`` reference medians (decode
bandwidth, decode compute, prefill compute). The response is log10 of the run's *implied
efficiency scale*: the factor on all three efficiencies at which the roofline step
(``costlm.pipelines.serving.step_times``) reproduces the measurement (the mean over the run's
measurements). The data cannot separate bandwidth from compute efficiency per engine (too few
runs per regime), so one scale per engine multiplies all three; their ratios stay the reference's.

Model: per engine, log10 scale = the centre (mean or median, ``CENTRES``) of its runs'
responses; ``generic`` = the centre of all runs (every engine, and the runs of other stacks), so
its spread includes how differently the stacks perform. A run's own response never informs its
prediction: the leave-one-out centre of a run is that of the other runs of its engine (the other
runs of all engines for ``generic``, and for an engine with no other run). Spread:
log10(p95/p50) = Student's t(0.95, n - 1) x the RMS of the leave-one-out residuals of the
engine's runs (engines with fewer than ``MIN_OWN_SPREAD_RUNS`` runs take the generic spread).
A fixed per-step overhead (scheduling, sampling, launches) on ``OVERHEAD_GRID_S`` and the centre
estimator are chosen together by the lowest RMS per-engine leave-one-out log10 error of the
predicted measurements (``choose``); an overhead of 0 means the data do not support one and none
is stored. The efficiencies are calibrated on the physics of ``step_times`` as it stands: refit
(``benchmarks/calibrate_engines.py --write``) whenever that physics changes.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from costlm.analyses.backtest import BacktestRow, backtest_run, run_engine, serve_request
from costlm.catalog.schema import ENGINE_CHOICES, Catalog, InferenceRun, ServingEngine, Sourced
from costlm.errors import CostlmError
from costlm.formulas import FloatArray
from costlm.pipelines.serving import ServeDraws, step_times
from costlm.resolve.serving import serve_draws, serve_spec
from costlm.uncertainty.regression import rms, t_quantile_95

FIT_SOURCE = "costlm-serving-fit"
LOCATOR = "benchmarks/calibrate_engines.py (fit of {n} runs, {date})"
GENERIC = "generic"
OTHER = "other"
LOG10_SCALE_GRID = np.linspace(-1.5, 1.5, 3001)
"""Efficiency scales searched: 10**-1.5 .. 10**1.5 times the reference, in steps of 0.001 decade."""
OVERHEAD_GRID_S = tuple(i * 2.5e-4 for i in range(13))
"""Per-step overheads compared: 0 to 3 ms in 0.25 ms steps."""
ENGINES = tuple(e for e in ENGINE_CHOICES if e != GENERIC)
"""The engines with calibrated efficiencies of their own (every choice but ``generic``)."""
CENTRES: dict[str, Callable[[list[float]], float]] = {"mean": statistics.fmean, "median": statistics.median}
"""Estimators of an engine's centre compared by leave-one-out (the median resists one odd run)."""
MIN_OWN_SPREAD_RUNS = 4
"""An engine needs this many runs (3 degrees of freedom) for a spread of its own."""
MAX_EFFICIENCY = 1.0
"""A share of peak bandwidth or FLOP/s cannot exceed 1: a fitted range is capped there."""
EFFICIENCIES = {
    "bandwidth_efficiency": "decode_bandwidth_efficiency",
    "decode_compute_efficiency": "decode_compute_efficiency",
    "prefill_compute_efficiency": "prefill_compute_efficiency",
}
"""ServeDraws field -> the [defaults] reference record and the [[serving_engine]] field."""
_NOTES = {
    "decode_bandwidth_efficiency": "achieved share of HBM peak while decode streams weights and KV",
    "decode_compute_efficiency": "achieved share of the dense peak when decode is compute-bound",
    "prefill_compute_efficiency": "achieved share of the dense peak in prefill (scaled with decode: "
    "no prefill-only measurement separates it)",
}


@dataclass(frozen=True)
class FitRun:
    """One measured run as the fit sees it: point draws over the scale grid and its measurements."""

    id: str
    engine: str
    draws: ServeDraws
    replicas: float
    targets: tuple[tuple[str, float], ...]


def _targets(run: InferenceRun) -> tuple[tuple[str, float], ...]:
    found = []
    if run.tpot_s is not None:
        found.append(("latency", run.tpot_s.central))
    if run.output_tokens_per_s is not None and run.output_tokens_per_s_bound == "point":
        found.append(("throughput", run.output_tokens_per_s.central))
    if run.e2e_latency_s is not None:
        found.append(("latency (end-to-end)", run.e2e_latency_s.central))
    return tuple(found)


def _point_draws(cat: Catalog, run: InferenceRun) -> ServeDraws:
    """The run's draws with every input at its median, the efficiencies at the reference."""
    spec = serve_spec(serve_request(run, samples=1, seed=0, engine=GENERIC), cat)
    n = len(LOG10_SCALE_GRID)
    draws, _ = serve_draws(spec, samples=1, seed=0)
    points: dict[str, object] = {}
    for name, dist in spec.inputs.dists.items():
        points[name] = np.full(n, dist.point)
    for name, ref in EFFICIENCIES.items():
        points[name] = np.full(n, getattr(cat.defaults, ref).central)
    points["step_overhead_s"] = None
    return dataclasses.replace(draws, **points)  # type: ignore[arg-type]


def fit_runs(cat: Catalog) -> tuple[list[FitRun], list[str]]:
    """The runs the fit uses, and the runs left out with the reason."""
    runs: list[FitRun] = []
    skipped: list[str] = []
    for run in cat.inference_runs.values():
        targets = _targets(run)
        if not targets:
            skipped.append(f"{run.id}: no point measurement of throughput or latency")
            continue
        try:
            draws = _point_draws(cat, run)
        except CostlmError as exc:
            skipped.append(f"{run.id}: {exc}")
            continue
        runs.append(FitRun(run.id, run.engine, draws, run.n_gpus / run.tensor_parallel, targets))
    return runs, skipped


def predicted(run: FitRun, metric: str, overhead_s: float) -> FloatArray:
    """The metric predicted over ``LOG10_SCALE_GRID`` (efficiencies x 10**grid) with the overhead."""
    scale = 10**LOG10_SCALE_GRID
    d = run.draws
    scaled = dataclasses.replace(
        d,
        bandwidth_efficiency=d.bandwidth_efficiency * scale,
        decode_compute_efficiency=d.decode_compute_efficiency * scale,
        prefill_compute_efficiency=d.prefill_compute_efficiency * scale,
        step_overhead_s=np.full(len(scale), overhead_s),
    )
    t = step_times(scaled)
    if metric == "throughput":
        return t.output_tokens_per_s * run.replicas
    if metric == "latency":
        return t.tpot_s
    return d.batch * t.prefill_s + d.output_tokens * t.decode_step_s


def implied_log10_scale(run: FitRun, overhead_s: float) -> float:
    """Mean over the run's measurements of the log10 efficiency scale that reproduces each."""
    values = []
    for metric, measured in run.targets:
        logs = np.log10(predicted(run, metric, overhead_s))
        if metric == "throughput":  # increasing in the scale
            values.append(float(np.interp(math.log10(measured), logs, LOG10_SCALE_GRID)))
        else:  # times decrease as efficiency rises
            values.append(float(np.interp(math.log10(measured), logs[::-1], LOG10_SCALE_GRID[::-1])))
    return sum(values) / len(values)


def _group(run: FitRun) -> str:
    return run.engine if run.engine != OTHER else GENERIC


@dataclass(frozen=True)
class EngineFit:
    """Centre (mean log10 scale) and half-width (log10 p95/p50) per engine, and the overhead."""

    overhead_s: float
    estimator: str
    centre: dict[str, float]
    half_width: dict[str, float]
    n_runs: dict[str, int]

    def range_of(self, engine: str) -> tuple[float, float]:
        """(centre, half-width) of ``engine``; an engine without runs takes the generic ones."""
        key = engine if self.n_runs.get(engine) else GENERIC
        return self.centre[key], self.half_width[key]


def _loo_centres(y: dict[str, float], runs: list[FitRun], per_engine: bool, centre: str) -> dict[str, float]:
    """Each run's centre from the other runs (of its engine when ``per_engine`` and it has others)."""
    out = {}
    for r in runs:
        others = [q for q in runs if q.id != r.id]
        same = [q for q in others if per_engine and _group(r) != GENERIC and q.engine == r.engine]
        pool = same or others
        out[r.id] = CENTRES[centre]([y[q.id] for q in pool])
    return out


def fit(runs: list[FitRun], overhead_s: float, centre: str) -> EngineFit:
    """Per-engine and generic centres and spreads of the log10 efficiency scale (n >= 4 runs)."""
    y = {r.id: implied_log10_scale(r, overhead_s) for r in runs}
    generic_loo = _loo_centres(y, runs, per_engine=False, centre=centre)
    engine_loo = _loo_centres(y, runs, per_engine=True, centre=centre)
    mid = CENTRES[centre]
    n = len(runs)
    centres = {GENERIC: mid(list(y.values()))}
    half = {GENERIC: t_quantile_95(n - 1) * rms(np.array([y[r.id] - generic_loo[r.id] for r in runs]))}
    counts = {GENERIC: n}
    for engine in ENGINES:
        own = [r for r in runs if r.engine == engine]
        counts[engine] = len(own)
        if not own:
            continue
        centres[engine] = mid([y[r.id] for r in own])
        if len(own) >= MIN_OWN_SPREAD_RUNS:
            residuals = np.array([y[r.id] - engine_loo[r.id] for r in own])
            half[engine] = t_quantile_95(len(own) - 1) * rms(residuals)
        else:
            half[engine] = half[GENERIC]
    return EngineFit(overhead_s, centre, centres, half, counts)


def loo_log10_errors(runs: list[FitRun], overhead_s: float, per_engine: bool, centre: str) -> list[float]:
    """log10(predicted / measured) of every measurement, each run predicted without itself."""
    y = {r.id: implied_log10_scale(r, overhead_s) for r in runs}
    centres = _loo_centres(y, runs, per_engine, centre)
    errors = []
    for r in runs:
        for metric, measured in r.targets:
            logs = np.log10(predicted(r, metric, overhead_s))
            errors.append(float(np.interp(centres[r.id], LOG10_SCALE_GRID, logs)) - math.log10(measured))
    return errors


def loo_score(runs: list[FitRun], overhead_s: float, centre: str) -> float:
    """RMS of the per-engine leave-one-out log10 errors of every measurement."""
    return rms(np.array(loo_log10_errors(runs, overhead_s, per_engine=True, centre=centre)))


def choose(runs: list[FitRun]) -> tuple[float, str]:
    """(overhead, centre estimator) with the lowest ``loo_score`` (ties: smaller overhead, mean)."""
    options = [(o, c) for c in CENTRES for o in OVERHEAD_GRID_S]
    scores = {option: loo_score(runs, *option) for option in options}
    return min(options, key=lambda option: (round(scores[option], 6), options.index(option)))


def fit_all(runs: list[FitRun]) -> EngineFit:
    """The overhead and centre estimator chosen by leave-one-out, then the fit with them."""
    return fit(runs, *choose(runs))


def as_engines(f: EngineFit, cat: Catalog, date: str) -> dict[str, ServingEngine]:
    """The fit as the catalog's ``[[serving_engine]]`` entries (one per engine choice)."""
    locator = LOCATOR.format(n=f.n_runs[GENERIC], date=date)
    out: dict[str, ServingEngine] = {}
    for engine in ENGINE_CHOICES:
        centre, half = f.range_of(engine)
        n = f.n_runs.get(engine, 0) if engine != GENERIC else f.n_runs[GENERIC]
        fields: dict[str, Sourced] = {}
        for ref_name in EFFICIENCIES.values():
            ref = getattr(cat.defaults, ref_name).central
            value = min(ref * 10**centre, MAX_EFFICIENCY)
            low = min(value / 10**half, value)
            high = min(value * 10**half, MAX_EFFICIENCY)
            fields[ref_name] = Sourced(
                value=_rounded(value),
                low=_rounded(low),
                high=_rounded(high),
                source=FIT_SOURCE,
                locator=locator,
                basis="estimate",
                note=_NOTES[ref_name],
            )
        overhead = None
        if f.overhead_s > 0:
            overhead = Sourced(
                value=f.overhead_s,
                source=FIT_SOURCE,
                locator=locator,
                basis="estimate",
                note=(
                    "fixed time per decode step, one value for all engines "
                    f"(chosen by leave-one-out; centres: {f.estimator})"
                ),
            )
        if engine == GENERIC:
            note = "all measured runs pooled: the spread includes the differences between stacks"
        elif n:
            note = f"fitted on the {n} measured runs of this engine"
        else:
            note = "no measured run of this engine in the catalog: the generic ranges"
        out[engine] = ServingEngine(
            id=engine,
            n_runs=n,
            note=note,
            step_overhead_s=overhead,
            **fields,
        )
    return out


def loo_backtest(
    cat: Catalog, *, samples: int, seed: int | None, per_engine: bool
) -> tuple[list[BacktestRow], list[str]]:
    """Every measured run predicted with engine priors refitted without it (leave-one-out): its
    own engine's when ``per_engine``, else ``generic``; also the runs refused, with the reason."""
    runs, _ = fit_runs(cat)
    rows: list[BacktestRow] = []
    skipped: list[str] = []
    for run in cat.inference_runs.values():
        others = [r for r in runs if r.id != run.id]
        loo_cat = cat.model_copy(
            update={"serving_engines": as_engines(fit_all(others), cat, "leave-one-out")}
        )
        engine = run_engine(run) if per_engine else GENERIC
        try:
            rows += backtest_run(loo_cat, run, samples=samples, seed=seed, engine=engine)
        except CostlmError as exc:
            skipped.append(f"{run.id}: {exc}")
    return rows, skipped


def _rounded(x: float) -> float:
    return float(f"{x:.4g}")


STORED_RELATIVE_TOLERANCE = 2e-3
"""priors.toml keeps 4 significant figures of each fitted number."""


def same_fit(stored: dict[str, ServingEngine], fitted: dict[str, ServingEngine]) -> bool:
    """Whether ``stored`` holds the numbers of ``fitted`` (to the stored rounding)."""
    if stored.keys() != fitted.keys():
        return False
    for engine, a in stored.items():
        b = fitted[engine]
        if a.n_runs != b.n_runs or (a.step_overhead_s is None) != (b.step_overhead_s is None):
            return False
        names = [*EFFICIENCIES.values(), "step_overhead_s"]
        for name in names:
            x, y = getattr(a, name), getattr(b, name)
            if x is None:
                continue
            for p, q in zip((x.value, x.low, x.high), (y.value, y.low, y.high), strict=True):
                if (p is None) != (q is None) or (
                    p is not None and not math.isclose(p, q, rel_tol=STORED_RELATIVE_TOLERANCE)
                ):
                    return False
    return True
