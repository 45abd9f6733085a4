"""The facade: every front-end (CLI, web, notebooks) calls these functions and nothing deeper.

Each takes plain values or a request model plus optional catalog overlay files, and returns
a pydantic result that serializes to the JSON the CLI prints with ``--json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from costlm.catalog import load
from costlm.catalog.schema import Catalog, Source, Sourced
from costlm.caveats import Caveat
from costlm.errors import InputError, UnknownIdError
from costlm.estimate.backtest import BacktestScore, inference_backtest, scores_by_family, training_backtest
from costlm.estimate.claims import ClaimResult, judge, select_claims
from costlm.estimate.resolve import training_spec
from costlm.estimate.seedtable import DEFAULT_MODELS, SeedRow, SeedTable, seed_table
from costlm.estimate.serve_spec import ServeRequest, serve_spec
from costlm.estimate.serving import ServeResult, estimate_serving_spec
from costlm.estimate.specs import TrainingRequest
from costlm.estimate.training import TrainingResult, estimate_training_spec
from costlm.uncertainty import Summary

CatalogFiles = Sequence[str | Path]
EntryKind = Literal["accelerators", "models", "runs", "sources", "grid"]
MAX_SAMPLES = 1_000_000
Req = TypeVar("Req", bound=BaseModel)

__all__ = [
    "DEFAULT_MODELS",
    "CatalogSummary",
    "Caveat",
    "ClaimResult",
    "ReportData",
    "SeedRow",
    "SeedTable",
    "ServeRequest",
    "ServeResult",
    "Summary",
    "TrainingRequest",
    "TrainingResult",
    "catalog_entries",
    "catalog_entry",
    "check_catalog",
    "check_claims",
    "estimate_serving",
    "estimate_training",
    "load_catalog",
    "make_serve_request",
    "make_training_request",
    "report_data",
    "seed_report",
]


def load_catalog(catalog_files: CatalogFiles = ()) -> Catalog:
    """The bundled catalog plus overlays (validated; errors name file, entry and field)."""
    return load.load_catalog(catalog_files)


def _build(cls: type[Req], fields: dict[str, Any]) -> Req:
    try:
        return cls(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{where}: {first['msg']}") from None


def make_training_request(**fields: Any) -> TrainingRequest:
    """Build a TrainingRequest, turning pydantic validation errors into one-line InputErrors."""
    return _build(TrainingRequest, fields)


def make_serve_request(**fields: Any) -> ServeRequest:
    """Build a ServeRequest, turning pydantic validation errors into one-line InputErrors."""
    return _build(ServeRequest, fields)


def _check_samples(samples: int, seed: int | None = 0) -> None:
    if seed is not None and not 0 <= seed < 2**63:
        raise InputError(f"seed: must be a non-negative integer, got {seed}", key="seed_range", value=seed)
    if not 0 <= samples <= MAX_SAMPLES:
        raise InputError(
            f"samples: must be between 0 and {MAX_SAMPLES:,}, got {samples}",
            key="samples_range",
            value=samples,
        )


def estimate_training(request: TrainingRequest, *, catalog_files: CatalogFiles = ()) -> TrainingResult:
    """Estimate a training run: FLOP, GPU-hours, days, costs, energy, power and CO2 as ranges."""
    _check_samples(request.samples, request.seed)
    cat = load_catalog(catalog_files)
    spec = training_spec(request, cat)
    return estimate_training_spec(spec, cat, samples=request.samples, seed=request.seed)


def estimate_serving(request: ServeRequest, *, catalog_files: CatalogFiles = ()) -> ServeResult:
    """Estimate serving: memory plan, TTFT/TPOT, tokens/s, J/token, $/1M tokens, fleet and API break-even."""
    _check_samples(request.samples, request.seed)
    cat = load_catalog(catalog_files)
    return estimate_serving_spec(serve_spec(request, cat), request, cat)


def check_claims(
    ids: Sequence[str] = (),
    *,
    file: str | Path | None = None,
    lang: str = "en",
    samples: int = 10_000,
    seed: int | None = 0,
    catalog_files: CatalogFiles = (),
) -> list[ClaimResult]:
    """Judge the seed documents' cost claims (or a user's claims file) against evidence."""
    _check_samples(samples, seed)
    if lang not in ("en", "es"):
        raise InputError(f"--lang: unknown language '{lang}'; choose one of en, es")
    cat = load_catalog(catalog_files)
    return [judge(c, cat, samples=samples, seed=seed, lang=lang) for c in select_claims(cat, list(ids), file)]


def seed_report(
    models: Sequence[str] = DEFAULT_MODELS,
    *,
    samples: int = 10_000,
    seed: int | None = 0,
    lang: str = "en",
    catalog_files: CatalogFiles = (),
    progress: Callable[[str], None] | None = None,
) -> SeedTable:
    """The seed assignment's summary table for ``models``, with the student's claims judged."""
    _check_samples(samples, seed)
    if not models:
        raise InputError("models: give at least one model id", key="needs_models")
    cat = load_catalog(catalog_files)
    return seed_table(cat, models, samples=samples, seed=seed, lang=lang, progress=progress)


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


def report_data(
    models: Sequence[str] = DEFAULT_MODELS,
    *,
    samples: int = 10_000,
    seed: int | None = 0,
    lang: str = "en",
    catalog_files: CatalogFiles = (),
    progress: Callable[[str], None] | None = None,
) -> ReportData:
    """The seed table plus what the HTML report's appendix needs; ``progress`` is called per step."""
    from costlm import __version__

    step = progress or (lambda _: None)
    table = seed_report(
        models, samples=samples, seed=seed, lang=lang, catalog_files=catalog_files, progress=step
    )
    cat = load_catalog(catalog_files)
    step("back-tests")
    quick = min(samples, 2_000)
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


def catalog_entries(kind: EntryKind, *, catalog_files: CatalogFiles = ()) -> list[dict[str, Any]]:
    """All entries of one catalog table, as plain dicts."""
    cat = load_catalog(catalog_files)
    table: dict[str, Any] = getattr(cat, kind)
    return [entry.model_dump(exclude_none=True) for entry in table.values()]


def catalog_entry(ident: str, *, catalog_files: CatalogFiles = ()) -> tuple[str, dict[str, Any]]:
    """Find one entry by id or alias in any table; return (table name, entry)."""
    cat = load_catalog(catalog_files)
    for kind, resolve in (("accelerators", load.accelerator), ("models", load.model)):
        try:
            return kind, resolve(cat, ident).model_dump(exclude_none=True)
        except UnknownIdError:
            continue
    for kind in ("runs", "sources", "grid"):
        table: dict[str, BaseModel] = getattr(cat, kind)
        if ident.lower() in table:
            return kind, table[ident.lower()].model_dump(exclude_none=True)
    known = [*cat.accelerators, *cat.models, *cat.runs, *cat.sources, *cat.grid]
    raise UnknownIdError("catalog entry", ident, known)


class CatalogSummary(BaseModel):
    """What a validated catalog holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    files: list[str]
    n_sources: int
    n_accelerators: int
    n_models: int
    n_runs: int
    n_mfu_priors: int
    n_grid_regions: int


def check_catalog(catalog_files: CatalogFiles = ()) -> CatalogSummary:
    """Validate the bundled catalog and any overlay files; raise CatalogError on the first problem."""
    cat = load_catalog(catalog_files)  # a missing or unreadable file is a CatalogError (costlm.safeio)
    return CatalogSummary(
        files=["(bundled)", *(str(p) for p in catalog_files)],
        n_sources=len(cat.sources),
        n_accelerators=len(cat.accelerators),
        n_models=len(cat.models),
        n_runs=len(cat.runs),
        n_mfu_priors=len(cat.mfu_priors),
        n_grid_regions=len(cat.grid),
    )
