"""The facade: every front-end (CLI, web, notebooks) calls these functions and nothing deeper.

Each takes plain values or a request model plus optional catalog overlay files, and returns
a pydantic result that serializes to the JSON the CLI prints with ``--json``.

Only what ``costlm train`` needs is imported with this module; the serving, claims, seed-table
and back-test analyses (and their result types, served by ``__getattr__``) load on first use.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Unpack

from pydantic import BaseModel, ConfigDict

from costlm.analyses.levers import LeverSaving, LeverUse
from costlm.analyses.training import TrainingBreakdownSummary, TrainingResult, estimate_training_request
from costlm.analyses.training_memory import TrainingMemory
from costlm.catalog import browse, load
from costlm.catalog.schema import Catalog
from costlm.caveats import Caveat
from costlm.errors import ConfigError, CostlmError, InputError, UnknownIdError
from costlm.resolve.plan_compare import PlanCompareFields, PlanCompareRequest
from costlm.resolve.plan_requests import PlanServeFields, PlanServeRequest
from costlm.resolve.requests import (
    MonteCarloArgs,
    ServeFields,
    ServeRequest,
    TrainingFields,
    TrainingRequest,
    build,
)
from costlm.uncertainty import Summary

if TYPE_CHECKING:
    from costlm.analyses.catalog_stats import CatalogStats
    from costlm.analyses.claims import ClaimResult
    from costlm.analyses.plan_compare import PlanBreakEven, PlanCompareResult, PlanPath, PlanSkippedPath
    from costlm.analyses.plan_serve import PlanApiRow, PlanServeResult, PlanServeRow
    from costlm.analyses.plan_train_models import PlanRow, PlanTrainResult
    from costlm.analyses.report import ReportData
    from costlm.analyses.seedtable import DEFAULT_MODELS, SeedRow, SeedTable
    from costlm.analyses.serving import ApiComparison, FleetSummary, ServeResult, ServingBreakdownSummary
    from costlm.resolve.plan_train import PlanTrainFields, PlanTrainRequest

_LAZY = {
    "CatalogStats": "costlm.analyses.catalog_stats",
    "ApiComparison": "costlm.analyses.serving",
    "ClaimResult": "costlm.analyses.claims",
    "DEFAULT_MODELS": "costlm.analyses.seedtable",
    "PlanApiRow": "costlm.analyses.plan_serve",
    "PlanServeResult": "costlm.analyses.plan_serve",
    "PlanServeRow": "costlm.analyses.plan_serve",
    "FleetSummary": "costlm.analyses.serving",
    "PlanBreakEven": "costlm.analyses.plan_compare",
    "PlanCompareResult": "costlm.analyses.plan_compare",
    "PlanPath": "costlm.analyses.plan_compare",
    "PlanSkippedPath": "costlm.analyses.plan_compare",
    "PlanRow": "costlm.analyses.plan_train_models",
    "PlanTrainRequest": "costlm.resolve.plan_train",
    "PlanTrainResult": "costlm.analyses.plan_train_models",
    "ReportData": "costlm.analyses.report",
    "SeedRow": "costlm.analyses.seedtable",
    "SeedTable": "costlm.analyses.seedtable",
    "ServeResult": "costlm.analyses.serving",
    "ServingBreakdownSummary": "costlm.analyses.serving",
}


def __getattr__(name: str) -> Any:
    """The result types of the analyses that load on first use (``_LAZY``)."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'costlm.api' has no attribute {name!r}")


CatalogFiles = Sequence[str | Path]
EntryKind = Literal[
    "accelerators", "models", "runs", "sources", "grid", "api_prices", "inference_runs", "levers"
]

__all__ = [
    "DEFAULT_MODELS",
    "ApiComparison",
    "CatalogStats",
    "CatalogSummary",
    "Caveat",
    "ClaimResult",
    "ConfigError",
    "CostlmError",
    "FleetSummary",
    "ImportedConfig",
    "InputError",
    "LeverSaving",
    "LeverUse",
    "PlanApiRow",
    "PlanBreakEven",
    "PlanCompareRequest",
    "PlanCompareResult",
    "PlanPath",
    "PlanRow",
    "PlanServeRequest",
    "PlanServeResult",
    "PlanServeRow",
    "PlanSkippedPath",
    "PlanTrainRequest",
    "PlanTrainResult",
    "ReportData",
    "SeedRow",
    "SeedTable",
    "ServeRequest",
    "ServeResult",
    "ServingBreakdownSummary",
    "Summary",
    "TrainingBreakdownSummary",
    "TrainingMemory",
    "TrainingRequest",
    "TrainingResult",
    "catalog_entries",
    "catalog_entry",
    "catalog_entry_toml",
    "catalog_stats",
    "check_catalog",
    "check_claims",
    "estimate_serving",
    "estimate_training",
    "import_config",
    "load_catalog",
    "make_plan_compare_request",
    "make_plan_serve_request",
    "make_plan_train_request",
    "make_serve_request",
    "make_training_request",
    "plan_compare",
    "plan_serving",
    "plan_training",
    "report_data",
    "seed_report",
]


def load_catalog(catalog_files: CatalogFiles = ()) -> Catalog:
    """The bundled catalog plus overlays (validated; errors name file, entry and field)."""
    return load.load_catalog(catalog_files)


def make_training_request(**fields: Unpack[TrainingFields]) -> TrainingRequest:
    """A validated TrainingRequest from what the CLI accepts: ``params="7B"``, ``mfu=0.4`` or
    ``mfu=(0.3, 0.5)`` or ``mfu="0.3..0.5"``; a bad value raises the CLI's one-line InputError."""
    return build(TrainingRequest, dict(fields))


def make_serve_request(**fields: Unpack[ServeFields]) -> ServeRequest:
    """A validated ServeRequest from what the CLI accepts (numbers, "16k", ranges); errors as the CLI's."""
    return build(ServeRequest, dict(fields))


def make_plan_serve_request(**fields: Unpack[PlanServeFields]) -> PlanServeRequest:
    """A validated PlanServeRequest (``gpus="h100-sxm,h200"`` or a list; numbers as the CLI takes them)."""
    return build(PlanServeRequest, dict(fields))


def plan_serving(request: PlanServeRequest, *, catalog_files: CatalogFiles = ()) -> PlanServeResult:
    """The cheapest fleet meeting the traffic and latency targets (``costlm plan serve``); an
    infeasible target raises the ConfigError naming it and the best value any configuration reaches."""
    from costlm.analyses.plan_serve import plan_serving_of

    return plan_serving_of(request, load_catalog(catalog_files))


def _check_samples(samples: int, seed: int | None) -> None:
    """The request models' rule for sample counts and seeds, for the analyses that take them as arguments."""
    build(MonteCarloArgs, {"samples": samples, "seed": seed})


def estimate_training(request: TrainingRequest, *, catalog_files: CatalogFiles = ()) -> TrainingResult:
    """Estimate a training run: FLOP, GPU-hours, days, costs, energy, power and CO2 as ranges.

    A run whose memory per GPU exceeds the accelerator's at every layout searched raises the
    ``ConfigError`` the CLI prints (``result.memory`` holds the check of a run that fits).
    """
    return estimate_training_request(request, load_catalog(catalog_files))


def make_plan_train_request(**fields: Unpack[PlanTrainFields]) -> PlanTrainRequest:
    """A validated PlanTrainRequest from what ``costlm plan train`` accepts: the work as ``costlm
    train`` takes it (``params="7B"``, ``base="qwen2.5-7b"``...) plus constraints
    (``deadline_days=30``, ``budget_usd="1M"``, ``gpus="h100-sxm,a100-80gb"``); errors as the CLI's."""
    from costlm.resolve.plan_train import PlanTrainRequest

    return build(PlanTrainRequest, dict(fields))


def plan_training(request: PlanTrainRequest, *, catalog_files: CatalogFiles = ()) -> PlanTrainResult:
    """Every configuration of a training run (accelerator x GPU count x layout x dtype x rent/buy):
    the Pareto frontier of cost, time and CO2 and the best plan meeting the constraints at p90.

    No feasible configuration raises the ``ConfigError`` naming the binding constraint and the
    nearest feasible value (``costlm.analyses.plan_train_errors``)."""
    from costlm.analyses.plan_train import plan_training as plan

    return plan(request, load_catalog(catalog_files))


def estimate_serving(request: ServeRequest, *, catalog_files: CatalogFiles = ()) -> ServeResult:
    """Estimate serving: memory plan, TTFT/TPOT, tokens/s, J/token, $/1M tokens, fleet and API break-even."""
    from costlm.analyses.serving import estimate_serving_request

    return estimate_serving_request(request, load_catalog(catalog_files))


def check_claims(
    ids: Sequence[str] = (),
    *,
    file: str | Path | None = None,
    samples: int = 10_000,
    seed: int | None = 0,
    catalog_files: CatalogFiles = (),
    text: str | None = None,
) -> list[ClaimResult]:
    """Judge the seed documents' cost claims (or a user's claims file, or claims TOML ``text``,
    as the web page takes it pasted) against evidence.

    The results carry codes and values, no words: the same document in every language
    (``costlm.report.claims`` renders them in English or Spanish).
    """
    from costlm.analyses.claims import judge, select_claims

    _check_samples(samples, seed)
    cat = load_catalog(catalog_files)
    return [judge(c, cat, samples=samples, seed=seed) for c in select_claims(cat, list(ids), file, text)]


def seed_report(
    models: Sequence[str] | None = None,
    *,
    samples: int = 10_000,
    seed: int | None = 0,
    catalog_files: CatalogFiles = (),
    progress: Callable[[str], None] | None = None,
) -> SeedTable:
    """The seed assignment's summary table for ``models`` (default: the seed's nine), with the
    student's claims judged."""
    from costlm.analyses.seedtable import DEFAULT_MODELS, seed_table

    _check_samples(samples, seed)
    models = DEFAULT_MODELS if models is None else models
    if not models:
        raise InputError("models: give at least one model id", key="needs_models")
    cat = load_catalog(catalog_files)
    return seed_table(cat, models, samples=samples, seed=seed, progress=progress)


def report_data(
    models: Sequence[str] | None = None,
    *,
    samples: int = 10_000,
    seed: int | None = 0,
    catalog_files: CatalogFiles = (),
    progress: Callable[[str], None] | None = None,
) -> ReportData:
    """The seed table plus what the HTML report's appendix needs; ``progress`` is called per step."""
    from costlm.analyses.report import build_report_data

    step = progress or (lambda _: None)
    table = seed_report(models, samples=samples, seed=seed, catalog_files=catalog_files, progress=step)
    step("back-tests")
    return build_report_data(table, load_catalog(catalog_files), samples=samples, seed=seed)


def catalog_entries(
    kind: EntryKind,
    *,
    catalog_files: CatalogFiles = (),
    vendor: str | None = None,
    year: str | None = None,
    family: str | None = None,
    search: str | None = None,
) -> list[dict[str, Any]]:
    """The entries of one catalog table, as plain dicts, that pass the given filters
    (``costlm.catalog.browse.filter_entries``); a model's dict holds its ``family``."""
    cat = load_catalog(catalog_files)
    table: dict[str, Any] = getattr(cat, kind)
    entries = [entry.model_dump(exclude_none=True) for entry in table.values()]
    if kind == "models":
        entries = [{**e, "family": browse.model_family(cat.models[e["id"]])} for e in entries]
    filters = {"vendor": vendor, "year": year, "family": family, "search": search}
    return browse.filter_entries(kind, entries, filters)


def catalog_entry(ident: str, *, catalog_files: CatalogFiles = ()) -> tuple[str, dict[str, Any]]:
    """Find one entry by id or alias in any table; return (table name, entry)."""
    cat = load_catalog(catalog_files)
    lookups = (("accelerators", load.accelerator), ("models", load.model), ("grid", load.grid_region))
    for kind, resolve in lookups:
        try:
            return kind, resolve(cat, ident).model_dump(exclude_none=True)
        except UnknownIdError:
            continue
    for kind in ("runs", "sources"):
        table: dict[str, BaseModel] = getattr(cat, kind)
        if ident.lower() in table:
            return kind, table[ident.lower()].model_dump(exclude_none=True)
    known = [*cat.accelerators, *cat.models, *cat.runs, *cat.sources, *cat.grid]
    raise UnknownIdError("catalog entry", ident, known)


def catalog_entry_toml(ident: str, *, catalog_files: CatalogFiles = ()) -> str:
    """One entry (by id or alias) as the TOML block an overlay file holds: loading the block as an
    overlay changes nothing, editing it changes only what is edited."""
    kind, entry = catalog_entry(ident, catalog_files=catalog_files)
    return browse.entry_toml(kind, entry)


def catalog_stats(*, catalog_files: CatalogFiles = ()) -> CatalogStats:
    """Counts per table, the oldest price per price table and the sourced figures by basis."""
    from costlm.analyses.catalog_stats import catalog_stats as stats

    return stats(load_catalog(catalog_files), dt.date.today())


MODEL_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
"""A catalog id a user may give: lowercase letters, digits, '.', '_' and '-'."""


class ImportedConfig(BaseModel):
    """An overlay file's text holding one model read from a Hugging Face config.json."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_id: str
    toml: str
    n_params: float
    n_active_params: float
    warnings: list[Caveat]


def import_config(config: str | Path, model_id: str, *, catalog_files: CatalogFiles = ()) -> ImportedConfig:
    """A ``[[source]]`` (a user assumption) and a ``[[model]]`` entry from a local config.json: its
    architecture, and parameter counts derived from it (``costlm.resolve.hfconfig``), validated
    against the catalog as an overlay. The id must be new (not an id or alias of a model)."""
    from costlm.resolve.hfconfig import read_config

    ident = model_id.strip().lower()
    if not MODEL_ID.fullmatch(ident):
        raise InputError(
            f"--id: '{model_id}' is not a catalog id (lowercase letters, digits, '.', '_', '-')",
            key="bad_model_id",
            value=model_id,
        )
    parsed = read_config(config)
    cat = load_catalog(catalog_files)
    source_id = f"user-{ident}-config"
    taken = {a.lower() for m in cat.models.values() for a in (m.id, *m.aliases)}
    if ident in taken or source_id in cat.sources:
        raise InputError(
            f"--id: '{ident}' is already in the catalog; choose another id", key="id_taken", id=ident
        )
    where = parsed.name
    source = {
        "id": source_id,
        "title": f"Hugging Face config {where} of {ident} (user entry)",
        "publisher": "user",
        "kind": "assumption",
        "date": dt.date.today().isoformat(),
    }
    counted = {"source": source_id, "basis": "derived", "locator": f"{where}: counted from the architecture"}
    arch = {**parsed.architecture.model_dump(exclude_none=True), "source": source_id, "locator": where}
    model = {
        "id": ident,
        "name": ident,
        "organization": "user",
        "year": dt.date.today().year,
        "n_params": {"value": parsed.n_params, **counted},
        "n_active_params": {"value": parsed.n_active_params, **counted},
        "architecture": arch,
        "notes": f"Imported by costlm catalog import-config from {where}.",
    }
    text = browse.entry_toml("sources", source) + "\n" + browse.entry_toml("models", model)
    load.with_overlay_text(f"{ident}.toml", text)  # the file as written must load
    return ImportedConfig(
        model_id=ident,
        toml=text,
        n_params=parsed.n_params,
        n_active_params=parsed.n_active_params,
        warnings=parsed.warnings,
    )


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


def make_plan_compare_request(**fields: Unpack[PlanCompareFields]) -> PlanCompareRequest:
    """A validated PlanCompareRequest from what ``costlm plan compare`` accepts; errors as the CLI's."""
    return build(PlanCompareRequest, dict(fields))


def plan_compare(request: PlanCompareRequest, *, catalog_files: CatalogFiles = ()) -> PlanCompareResult:
    """Total cost of ownership over ``request.months`` of calling an API, fine-tuning (or distilling)
    an open model and self-hosting it, and pre-training a model and self-hosting it: upfront,
    monthly and cumulative USD per path, the cheapest at the horizon and the break-even months."""
    from costlm.analyses.plan_compare import plan_compare as compare

    return compare(request, load_catalog(catalog_files))
