"""What the HTML report shows beside the seed table: the sources it cites, the defaults with their
sources, and the back-test scores."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from costlm.analyses.backtest import BacktestScore, inference_backtest, scores_by_family, training_backtest
from costlm.analyses.seedtable import SeedTable
from costlm.catalog.schema import Catalog, Source, Sourced

BACKTEST_MAX_SAMPLES = 2_000
"""The report's back-test scores are summaries: this many samples per run are plenty."""


class ReportData(BaseModel):
    """Everything the report shows: the seed table (with claims and focus), the sources it cites,
    the defaults with their sources, and the back-test scores."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: SeedTable
    sources: list[Source]
    defaults: dict[str, Sourced]
    backtest: list[BacktestScore]
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
        catalog_date=max(src.date for src in cat.sources.values() if src.date[:1].isdigit()),
        version=__version__,
    )
