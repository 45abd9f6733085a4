"""What the HTML report shows beside the seed table: the sources it cites, the defaults with their
sources, and the back-test scores."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from costlm.analyses.backtest import BacktestScore, inference_backtest, scores_by_family, training_backtest
from costlm.analyses.plan_compare import PlanCompareResult, plan_compare
from costlm.analyses.plan_serve import PlanServeResult, plan_serving_of
from costlm.analyses.plan_train import plan_training
from costlm.analyses.plan_train_models import PlanTrainResult
from costlm.analyses.seedtable import SeedTable
from costlm.catalog.schema import Catalog, Source, Sourced
from costlm.resolve.plan_compare import PlanCompareRequest
from costlm.resolve.plan_requests import PlanServeRequest
from costlm.resolve.plan_train import PlanTrainRequest
from costlm.resolve.requests import build

BACKTEST_MAX_SAMPLES = 2_000
"""The report's back-test scores are summaries: this many samples per run are plenty."""
PLAN_MAX_SAMPLES = 2_000
"""The Plan section's three paths: 2,000 samples keep ``make report`` within its speed goal."""
SEED_PLAN = {
    "base": "llama-3-70b",
    "tokens_per_day": 1e8,
    "months": 12,
    "examples": 1_000,
    "tokens_per_example": 10_000,
    "epochs": 5,
    "gpu": "h100-sxm",
}
"""The seeds' use case (seed 003: can a small company afford an LLM?): 100M output tokens a day for a
year, for an open model of the seed table fine-tuned as s1 was (seed 001: 1,000 examples, 5 epochs on
H100; ~10k tokens per example), against its API hosts and pre-training it."""


SEED_PLAN_TRAIN: dict[str, object] = {"model": "s1-32b", "max_gpus": 256}
"""The seeds' fine-tune (seed 001: s1, 26 minutes on 16 H100) on every accelerator of the catalog."""
SEED_PLAN_SERVE: dict[str, object] = {"model": "deepseek-v3", "tokens_per_day": 1e9}
"""The seeds' serving question (seed 001: DeepSeek's efficiency): what DeepSeek-V3 at 1B output tokens
a day needs."""


class PlanSection(BaseModel):
    """The report's Plan section, one field per sub-part: the three paths of the seed use case
    (``compare``) and the s1 fine-tune's plans across the catalog's accelerators (``train``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    compare: PlanCompareResult
    model: str
    train: PlanTrainResult | None = None
    serve: PlanServeResult | None = None


class ReportData(BaseModel):
    """Everything the report shows: the seed table (with claims and focus), the sources it cites,
    the defaults with their sources, and the back-test scores."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: SeedTable
    sources: list[Source]
    defaults: dict[str, Sourced]
    backtest: list[BacktestScore]
    plan: PlanSection | None = None
    catalog_date: str
    version: str


def build_report_data(table: SeedTable, cat: Catalog, *, samples: int, seed: int | None) -> ReportData:
    """The seed table with the catalog's sources and defaults and the back-test scores."""
    from costlm import __version__

    quick = min(samples, BACKTEST_MAX_SAMPLES)
    rows = (
        training_backtest(cat, samples=quick, seed=seed)
        + inference_backtest(cat, samples=quick, seed=seed)[0]
    )
    defaults = {k: v for k, v in cat.defaults.model_dump().items() if isinstance(v, dict)}
    return ReportData(
        table=table,
        sources=sorted(cat.sources.values(), key=lambda src: src.id),
        defaults={k: Sourced.model_validate(v) for k, v in defaults.items()},
        backtest=scores_by_family(rows),
        plan=plan_section(cat, samples=samples, seed=seed),
        catalog_date=max(src.date for src in cat.sources.values() if src.date[:1].isdigit()),
        version=__version__,
    )


def plan_section(cat: Catalog, *, samples: int, seed: int | None) -> PlanSection:
    """The seed use case's three paths (``SEED_PLAN``) at up to ``PLAN_MAX_SAMPLES`` samples."""
    fields = {**SEED_PLAN, "samples": min(samples, PLAN_MAX_SAMPLES), "seed": seed}
    compare = plan_compare(build(PlanCompareRequest, fields), cat)
    train_fields = {**SEED_PLAN_TRAIN, "samples": min(samples, PLAN_MAX_SAMPLES), "seed": seed}
    train = plan_training(build(PlanTrainRequest, train_fields), cat)
    # the latency targets are judged over draws: a point-estimate report (samples 0) plans on one draw
    serve_fields = {**SEED_PLAN_SERVE, "samples": max(min(samples, PLAN_MAX_SAMPLES), 1), "seed": seed}
    serve = plan_serving_of(build(PlanServeRequest, serve_fields), cat)
    return PlanSection(compare=compare, model=str(SEED_PLAN["base"]), train=train, serve=serve)
