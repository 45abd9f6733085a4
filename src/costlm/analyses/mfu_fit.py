"""Fit the MFU prior that knows scale on the catalog's reported runs, and choose its terms by LOO.

Data: every run with params, tokens, hardware and GPU-hours (``training_cases``); the response is
log10 of its implied MFU against the dense bf16 peak (``costlm.resolve.mfu`` states the rule).
Candidates (``CANDIDATES``) add covariates to a pooled centre; each is fitted by least squares and
scored in-sample and leave-one-model-out (every run of the left-out model is predicted by a fit,
spread included, of the other models' runs). The spread of a fit is the RMS of its own
leave-one-model-out errors x Student's t at n - p degrees of freedom (p = fitted coefficients),
so the 90% interval is honest for few runs. Candidates are listed by number of terms; the
generation candidate gives its own factor to each generation with runs of several models (ampere,
hopper), the others share the pooled centre. ``choose`` picks the lowest LOO median |log10 error|
among candidates whose LOO coverage is in 85-95% (ties: fewer terms) - never the in-sample fit.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np

from costlm.analyses.backtest import training_cases
from costlm.catalog.schema import Catalog, Dtype, MfuModel, Sourced
from costlm.resolve.mfu import (
    GENERATION_TERM,
    MFU_FIT_SOURCE,
    MfuCovariates,
    bf16_peak_ratio,
    design_row,
    evaluate,
)
from costlm.uncertainty.regression import least_squares, leave_group_out_errors, rms, t_quantile_95

CANDIDATES: dict[str, tuple[str, ...]] = {
    "centre only": (),
    "+ log10 GPUs": ("n_gpus",),
    "+ generation (ampere, hopper)": ("generation:ampere", "generation:hopper"),
    "+ log10 GPUs + MoE": ("n_gpus", "moe"),
    "+ log10 params + log10 GPUs + MoE + fp8": ("active_params", "n_gpus", "moe", "fp8"),
}
COVERAGE_GOAL = (0.85, 0.95)
LOCATOR = "benchmarks/calibrate_mfu.py (fit of {n} runs, {date})"
_FACTOR_NOTES = {
    "active_params": "multiplies MFU per 10x active parameters",
    "n_gpus": "multiplies MFU per 10x GPUs",
    "moe": "multiplies MFU for an MoE run",
    "fp8": "multiplies MFU for an fp8 run (beyond the bf16/fp8 peak ratio)",
}
_FACTOR_FIELDS = {
    "active_params": "factor_per_decade_active_params",
    "n_gpus": "factor_per_decade_n_gpus",
    "moe": "factor_moe",
    "fp8": "factor_fp8",
}


@dataclass(frozen=True)
class FitRun:
    """One reported run as the fit sees it."""

    run: str
    group: str
    hardware: str
    generation: str
    dtype: Dtype
    log10_mfu_bf16: float
    cov: MfuCovariates


@dataclass(frozen=True)
class Fit:
    """A fitted candidate: log10 coefficients (intercept first) and the log10 half-width of its 90%
    interval, with the reference point and range of its covariates."""

    terms: tuple[str, ...]
    coefficients: tuple[float, ...]
    half_width_log10: float
    reference: dict[str, Sourced]
    n_runs: int

    def predict_log10(self, cov: MfuCovariates) -> float:
        """Median log10 bf16-equivalent MFU at ``cov``."""
        row, _, _ = design_row(self.terms, self.reference, cov)
        return float(np.dot(row, self.coefficients))


@dataclass(frozen=True)
class CandidateScore:
    """In-sample and leave-one-model-out scores of one candidate (errors in log10 of GPU-hours)."""

    name: str
    terms: tuple[str, ...]
    in_sample: tuple[float, float]
    loo: tuple[float, float]
    loo_errors: tuple[float, ...]


def fit_runs(cat: Catalog) -> list[FitRun]:
    """The fit data: every back-testable run, with its bf16-equivalent implied MFU."""
    runs = []
    for run, _, mfu in training_cases(cat):
        acc = cat.accelerators[run.hardware or ""]
        total = run.n_params.central if run.n_params else None
        active = run.n_active_params.central if run.n_active_params else total
        moe = total is not None and active is not None and active < total
        cov = MfuCovariates(
            active_params=active,
            n_gpus=run.n_gpus.central if run.n_gpus else None,
            moe=moe,
            fp8=run.dtype == "fp8",
            generation=acc.generation,
        )
        bf16_mfu = mfu / bf16_peak_ratio(acc, run.dtype)
        runs.append(
            FitRun(run.id, run.model or run.id, acc.id, acc.generation, run.dtype, math.log10(bf16_mfu), cov)
        )
    return runs


def _reference(runs: list[FitRun], name: str) -> Sourced:
    values = [v for r in runs if (v := getattr(r.cov, name)) is not None]
    median = 10 ** statistics.median(math.log10(v) for v in values)
    return Sourced(value=median, low=min(values), high=max(values), source=MFU_FIT_SOURCE, locator="fit data")


def _design(runs: list[FitRun], terms: tuple[str, ...], reference: dict[str, Sourced]) -> np.ndarray:
    return np.array([design_row(terms, reference, r.cov)[0] for r in runs])


def fit(runs: list[FitRun], terms: tuple[str, ...]) -> Fit:
    """Least-squares fit of ``terms`` on ``runs``, its spread from its own leave-one-model-out errors."""
    reference = {name: _reference(runs, name) for name in ("active_params", "n_gpus")}
    design = _design(runs, terms, reference)
    response = np.array([r.log10_mfu_bf16 for r in runs])
    coefficients = least_squares(design, response)
    errors = leave_group_out_errors(design, response, [r.group for r in runs])
    dof = len(runs) - int(np.linalg.matrix_rank(design))
    half_width = t_quantile_95(dof) * rms(errors)
    return Fit(terms, tuple(float(b) for b in coefficients), half_width, reference, len(runs))


def loo_fits(runs: list[FitRun], terms: tuple[str, ...]) -> dict[str, Fit]:
    """For every run id, the fit of ``terms`` without any run of its model."""
    fits: dict[str, Fit] = {}
    for group in dict.fromkeys(r.group for r in runs):
        f = fit([r for r in runs if r.group != group], terms)
        fits |= {r.run: f for r in runs if r.group == group}
    return fits


def _score(runs: list[FitRun], fits: dict[str, Fit]) -> tuple[float, float, list[float]]:
    # hours ~ 1 / MFU, so the log10 error of predicted GPU-hours is observed - predicted log10 MFU
    errors = [r.log10_mfu_bf16 - fits[r.run].predict_log10(r.cov) for r in runs]
    inside = [abs(e) <= fits[r.run].half_width_log10 for r, e in zip(runs, errors, strict=True)]
    return statistics.median(abs(e) for e in errors), sum(inside) / len(runs), errors


def score_candidates(runs: list[FitRun]) -> list[CandidateScore]:
    """Every candidate's (median |log10 error|, 90% coverage), in-sample and leave-one-model-out."""
    scores = []
    for name, terms in CANDIDATES.items():
        full = fit(runs, terms)
        med_in, cov_in, _ = _score(runs, {r.run: full for r in runs})
        med_loo, cov_loo, errors = _score(runs, loo_fits(runs, terms))
        scores.append(CandidateScore(name, terms, (med_in, cov_in), (med_loo, cov_loo), tuple(errors)))
    return scores


def choose(scores: list[CandidateScore]) -> CandidateScore:
    """Lowest LOO median |log10 error| among candidates with LOO coverage in the goal (else all)."""
    low, high = COVERAGE_GOAL
    eligible = [s for s in scores if low <= s.loo[1] <= high] or scores
    return min(eligible, key=lambda s: s.loo[0])  # min keeps the first (fewest terms) on a tie


def as_model(f: Fit, runs: list[FitRun], date: str) -> MfuModel:
    """The fit as the catalog's ``[mfu_model]`` (factors = 10 ** coefficients)."""
    locator = LOCATOR.format(n=f.n_runs, date=date)

    def record(value: float, note: str) -> Sourced:
        return Sourced(value=value, source=MFU_FIT_SOURCE, locator=locator, basis="estimate", note=note)

    fitted = dict(zip(f.terms, f.coefficients[1:], strict=True))
    factors: dict[str, object] = {
        _FACTOR_FIELDS[name]: record(10**b, _FACTOR_NOTES[name])
        for name, b in fitted.items()
        if name in _FACTOR_FIELDS
    }
    factors["factor_generation"] = {
        name.removeprefix(GENERATION_TERM): record(10**b, "multiplies MFU on this generation")
        for name, b in fitted.items()
        if name.startswith(GENERATION_TERM)
    }
    ranges = {
        name: f.reference[name].model_copy(update={"locator": locator, "basis": "estimate"})
        for name in ("active_params", "n_gpus")
    }
    return MfuModel(
        centre_mfu=record(10 ** f.coefficients[0], "median bf16-equivalent MFU at the reference point"),
        interval_factor=record(10**f.half_width_log10, "p95 / p50 of the log-normal prior"),
        generations=sorted({r.generation for r in runs}),
        dtypes=sorted({r.dtype for r in runs}),
        n_runs=f.n_runs,
        **ranges,
        **factors,
    )


def mfu_range(model: MfuModel, cat: Catalog, run: FitRun) -> tuple[float, float]:
    """The 90% MFU interval ``model`` gives ``run`` (against its dtype's peak), as estimates use it."""
    est = evaluate(model, cat.accelerators[run.hardware], run.dtype, run.cov)
    return est.p05, est.p95


STORED_RELATIVE_TOLERANCE = 1e-3
"""priors.toml keeps 4 significant figures of each fitted number."""


def same_fit(stored: MfuModel, fitted: MfuModel) -> bool:
    """Whether ``stored`` holds the numbers of ``fitted`` (to the stored rounding) and the same terms."""
    if (stored.generations, stored.dtypes, stored.n_runs) != (
        fitted.generations,
        fitted.dtypes,
        fitted.n_runs,
    ):
        return False
    if stored.factor_generation.keys() != fitted.factor_generation.keys():
        return False
    pairs = [(getattr(stored, n), getattr(fitted, n)) for n in MfuModel.model_fields]
    pairs += [(stored.factor_generation[g], fitted.factor_generation[g]) for g in fitted.factor_generation]
    for a, b in pairs:
        if isinstance(a, Sourced) or isinstance(b, Sourced):
            if a is None or b is None:
                return False
            numbers = zip((a.value, a.low, a.high), (b.value, b.low, b.high), strict=True)
            if not all(
                x == y or math.isclose(x, y, rel_tol=STORED_RELATIVE_TOLERANCE) for x, y in numbers if x or y
            ):
                return False
    return True
