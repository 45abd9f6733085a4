"""Back-tests: predict every reported run from its inputs and compare with what was reported.

Training: GPU-hours from parameters x tokens, hardware and dtype (MFU from the prior, never
from the run). Serving: throughput, latency and GPU J/token from each measured configuration.
The benchmarks print these; the HTML report shows their summary, so readers see the accuracy.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

from pydantic import BaseModel, ConfigDict

from costlm.analyses.serving import ServeResult, estimate_serving_spec
from costlm.analyses.training import estimate_training_spec
from costlm.catalog.schema import ENGINE_CHOICES, Catalog, InferenceRun, Run
from costlm.errors import CostlmError
from costlm.formulas.flops import implied_mfu, training_flop
from costlm.resolve.requests import Range, ServeRequest, TrainingRequest
from costlm.resolve.rules import peak_flop_per_s
from costlm.resolve.serving import serve_spec
from costlm.resolve.training import training_spec

SERVE_METRICS = {
    "throughput": ("output_tokens_per_s", "output_tokens_per_s"),
    "latency": ("tpot_s", "tpot_s"),
    "latency (TTFT)": ("ttft_s", "ttft_s"),
    "J/token": ("j_per_output_token", "gpu_j_per_output_token"),
}


class BacktestRow(BaseModel):
    """One prediction against one reported value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run: str
    metric: str
    reported: float
    p05: float
    p50: float
    p95: float
    engine: str = ""
    """The engine prior the prediction drew (serving rows; ``generic`` spans all engines)."""
    bound: str = "point"
    """``at_least`` when the reported value is a lower bound (inside when p95 reaches it)."""

    @property
    def log10_error(self) -> float:
        return math.log10(self.p50 / self.reported)

    @property
    def inside(self) -> bool:
        if self.bound == "at_least":
            return self.p95 >= self.reported
        return self.p05 <= self.reported <= self.p95


class BacktestScore(BaseModel):
    """Median |log10(predicted/reported)| and 90% interval coverage of one metric family."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: str
    n: int
    median_abs_log10_error: float
    coverage: float


def score(rows: list[BacktestRow], family: str) -> BacktestScore:
    """Summary of ``rows`` (non-empty)."""
    errors = [abs(r.log10_error) for r in rows]
    return BacktestScore(
        metric=family,
        n=len(rows),
        median_abs_log10_error=statistics.median(errors),
        coverage=sum(r.inside for r in rows) / len(rows),
    )


def training_cases(cat: Catalog) -> list[tuple[Run, float, float]]:
    """(run, 6ND FLOP, implied MFU) for every run with params, tokens, hardware and GPU-hours."""
    cases = []
    for run in cat.runs.values():
        params = run.n_active_params or run.n_params
        if params is None or run.n_tokens is None or run.hardware is None or run.gpu_hours is None:
            continue
        flop = float(training_flop(n_active_params=params.central, n_tokens=run.n_tokens.central))
        peak = peak_flop_per_s(cat.accelerators[run.hardware], run.dtype)
        mfu = float(implied_mfu(train_flop=flop, gpu_hours=run.gpu_hours.central, peak_flop_per_s=peak))
        cases.append((run, flop, mfu))
    return cases


def predict_training(
    cat: Catalog, run: Run, flop: float, mfu: Range | None, samples: int, seed: int | None
) -> BacktestRow:
    """GPU-hours of ``run`` from its FLOP and hardware; ``mfu`` overrides the prior (goodput 1)."""
    extra = {"mfu": mfu, "goodput": (1.0, 1.0)} if mfu else {}
    n_gpus = int(run.n_gpus.central) if run.n_gpus else 1
    req = TrainingRequest(
        train_flop=flop, gpu=run.hardware, n_gpus=n_gpus, dtype=run.dtype, samples=samples, seed=seed, **extra
    )
    s = estimate_training_spec(training_spec(req, cat), cat, samples=samples, seed=seed).gpu_hours
    reported = run.gpu_hours.central if run.gpu_hours else math.nan
    return BacktestRow(run=run.id, metric="GPU-hours", reported=reported, p05=s.p05, p50=s.p50, p95=s.p95)


def training_backtest(cat: Catalog, *, samples: int, seed: int | None) -> list[BacktestRow]:
    """Every reported run predicted with the catalog's MFU prior."""
    return [predict_training(cat, run, flop, None, samples, seed) for run, flop, _ in training_cases(cat)]


def run_engine(run: InferenceRun) -> str:
    """The engine prior a run is predicted with: its own engine, ``generic`` for other stacks."""
    return run.engine if run.engine in ENGINE_CHOICES else "generic"


def serve_request(run: InferenceRun, *, samples: int, seed: int | None, engine: str) -> ServeRequest:
    """The serving request of a measured run: its configuration, never its measured values."""
    return ServeRequest(
        engine=engine,
        model=run.model,
        gpu=run.hardware,
        n_gpus=run.tensor_parallel,
        dtype=run.dtype,
        batch=round(run.batch.central) if run.batch else None,
        prompt_tokens=run.prompt_tokens.central,
        output_tokens=run.output_tokens.central,
        samples=samples,
        seed=seed,
    )


def _serve(cat: Catalog, run: InferenceRun, samples: int, seed: int | None, engine: str) -> ServeResult:
    req = serve_request(run, samples=samples, seed=seed, engine=engine)
    return estimate_serving_spec(serve_spec(req, cat), req, cat)


def _serve_rows(run: InferenceRun, r: ServeResult) -> list[BacktestRow]:
    """Throughput per GPU (the replica's / its GPUs; measured: the system's / all GPUs), latencies,
    GPU J/token of one run."""
    rows = []
    for metric, (measured_field, predicted_field) in SERVE_METRICS.items():
        measured, s = getattr(run, measured_field), getattr(r, predicted_field)
        if measured is not None and s is not None:
            per_gpu = metric == "throughput"
            k = 1.0 / run.tensor_parallel if per_gpu else 1.0
            rows.append(
                BacktestRow(
                    run=run.id,
                    metric=metric,
                    reported=measured.central / (run.n_gpus if per_gpu else 1.0),
                    p05=s.p05 * k,
                    p50=s.p50 * k,
                    p95=s.p95 * k,
                    engine=r.engine,
                    bound=run.output_tokens_per_s_bound if per_gpu else "point",
                )
            )
    if run.e2e_latency_s is not None:  # a fixed batch arriving together: its prefills, then the decode steps
        pre, step, out = r.breakdown.prefill_s, r.breakdown.decode_step_s, run.output_tokens.central
        ends = [
            r.batch * p + out * d for p, d in ((pre.p05, step.p05), (pre.p50, step.p50), (pre.p95, step.p95))
        ]
        rows.append(
            BacktestRow(
                run=run.id,
                metric="latency (end-to-end)",
                reported=run.e2e_latency_s.central,
                p05=ends[0],
                p50=ends[1],
                p95=ends[2],
                engine=r.engine,
            )
        )
    return rows


def backtest_run(
    cat: Catalog, run: InferenceRun, *, samples: int, seed: int | None, engine: str
) -> list[BacktestRow]:
    """One measured run predicted with ``engine``'s efficiencies (raises CostlmError if refused)."""
    return _serve_rows(run, _serve(cat, run, samples, seed, engine))


def inference_backtest(
    cat: Catalog, *, samples: int, seed: int | None, per_engine: bool = True
) -> tuple[list[BacktestRow], list[str]]:
    """Every measured serving configuration predicted with the catalog's engine priors (its own
    engine's when ``per_engine``, else ``generic``); also the runs skipped, with the reason."""
    rows: list[BacktestRow] = []
    skipped: list[str] = []
    for run in cat.inference_runs.values():
        engine = run_engine(run) if per_engine else "generic"
        try:
            rows += backtest_run(cat, run, samples=samples, seed=seed, engine=engine)
        except CostlmError as exc:
            skipped.append(f"{run.id}: {exc}")
    return rows, skipped


def scores_by_family(rows: list[BacktestRow]) -> list[BacktestScore]:
    """Scores grouped as throughput / latency (all kinds) / J/token / GPU-hours."""
    families: dict[str, list[BacktestRow]] = defaultdict(list)
    for row in rows:
        families["latency" if row.metric.startswith("latency") else row.metric].append(row)
    return [score(group, family) for family, group in families.items()]
