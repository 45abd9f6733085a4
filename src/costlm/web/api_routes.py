"""The JSON API under /api/v1: request models in (POST bodies, or the same fields as a GET query
string, which is what the pages' "download JSON" links use), result models out.

Every route goes through ``costlm.api`` and ``costlm.web.runner.cached`` (sample cap, no client file
paths, time limit, cache of seeded results). Errors are answered by ``costlm.web.app``'s handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from costlm import __version__, api
from costlm.api import (
    ClaimResult,
    PlanCompareRequest,
    PlanCompareResult,
    PlanServeRequest,
    PlanServeResult,
    PlanTrainRequest,
    PlanTrainResult,
    ServeRequest,
    ServeResult,
    TrainingRequest,
    TrainingResult,
)
from costlm.errors import UnknownIdError
from costlm.web.runner import MAX_CLAIMS_TEXT_CHARS, Settings, cached, from_query

router = APIRouter(prefix="/api/v1")

CATALOG_KINDS: tuple[api.EntryKind, ...] = (
    "accelerators",
    "models",
    "runs",
    "sources",
    "grid",
    "api_prices",
    "inference_runs",
    "levers",
)
DEFAULT_CHECK_SAMPLES = 2_000
"""Samples per judged claim on the web (the CLI's 10,000 judge the 36 seed claims in ~0.4 s)."""


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.costlm
    return settings


def _json(result: BaseModel | list[Any] | dict[str, Any]) -> Response:
    if isinstance(result, BaseModel):
        return Response(result.model_dump_json(), media_type="application/json")
    return JSONResponse(result)


Compute = Callable[[Any, tuple[str, ...]], BaseModel]
COMPUTE: dict[str, tuple[type[BaseModel], Compute]] = {
    "train": (TrainingRequest, lambda r, files: api.estimate_training(r, catalog_files=files)),
    "serve": (ServeRequest, lambda r, files: api.estimate_serving(r, catalog_files=files)),
    "plan/train": (PlanTrainRequest, lambda r, files: api.plan_training(r, catalog_files=files)),
    "plan/serve": (PlanServeRequest, lambda r, files: api.plan_serving(r, catalog_files=files)),
    "plan/compare": (PlanCompareRequest, lambda r, files: api.plan_compare(r, catalog_files=files)),
}
"""Route -> (request model, the api call): the pages call ``compute`` with the same table."""


async def compute(route: str, request: BaseModel, settings: Settings) -> Any:
    """The result of ``route`` for a validated request, under the web's limits."""
    _, call = COMPUTE[route]
    return await cached(settings, route, request, lambda: call(request, settings.catalog_files))


async def compute_query(route: str, http: Request) -> Any:
    """The result of ``route`` for the fields of a query string."""
    model, _ = COMPUTE[route]
    params = {k: http.query_params.getlist(k) for k in http.query_params}
    return await compute(route, from_query(model, params), settings_of(http))


@router.post("/train", response_model=TrainingResult, summary="Estimate a training run")
async def post_train(body: TrainingRequest, http: Request) -> Response:
    return _json(await compute("train", body, settings_of(http)))


@router.get("/train", response_model=TrainingResult, summary="Estimate a training run (fields as query)")
async def get_train(http: Request) -> Response:
    return _json(await compute_query("train", http))


@router.post("/serve", response_model=ServeResult, summary="Estimate serving")
async def post_serve(body: ServeRequest, http: Request) -> Response:
    return _json(await compute("serve", body, settings_of(http)))


@router.get("/serve", response_model=ServeResult, summary="Estimate serving (fields as query)")
async def get_serve(http: Request) -> Response:
    return _json(await compute_query("serve", http))


@router.post("/plan/train", response_model=PlanTrainResult, summary="Plan a training run")
async def post_plan_train(body: PlanTrainRequest, http: Request) -> Response:
    return _json(await compute("plan/train", body, settings_of(http)))


@router.get("/plan/train", response_model=PlanTrainResult, summary="Plan a training run (fields as query)")
async def get_plan_train(http: Request) -> Response:
    return _json(await compute_query("plan/train", http))


@router.post("/plan/serve", response_model=PlanServeResult, summary="Plan a serving fleet")
async def post_plan_serve(body: PlanServeRequest, http: Request) -> Response:
    return _json(await compute("plan/serve", body, settings_of(http)))


@router.get("/plan/serve", response_model=PlanServeResult, summary="Plan a serving fleet (fields as query)")
async def get_plan_serve(http: Request) -> Response:
    return _json(await compute_query("plan/serve", http))


@router.post(
    "/plan/compare", response_model=PlanCompareResult, summary="Compare API, fine-tune and pre-train"
)
async def post_plan_compare(body: PlanCompareRequest, http: Request) -> Response:
    return _json(await compute("plan/compare", body, settings_of(http)))


@router.get("/plan/compare", response_model=PlanCompareResult, summary="API, fine-tune or pre-train (query)")
async def get_plan_compare(http: Request) -> Response:
    return _json(await compute_query("plan/compare", http))


class CheckRequest(BaseModel):
    """Claims to judge: seed claim ids (none: all), or claims TOML text (``[[claim]]`` entries)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ids: tuple[str, ...] = ()
    claims_toml: str | None = Field(default=None, max_length=MAX_CLAIMS_TEXT_CHARS)
    samples: int = DEFAULT_CHECK_SAMPLES
    seed: int | None = 0

    @field_validator("ids", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        """``ids=a,b`` in a query string, as the CLI's comma lists."""
        return [i.strip() for i in value.split(",") if i.strip()] if isinstance(value, str) else value


async def judge(body: CheckRequest, settings: Settings) -> list[ClaimResult]:
    """The judged claims of a check request, under the web's limits."""

    def run() -> list[ClaimResult]:
        return api.check_claims(
            body.ids,
            text=body.claims_toml,
            samples=body.samples,
            seed=body.seed,
            catalog_files=settings.catalog_files,
        )

    results: list[ClaimResult] = await cached(settings, "check", body, run)
    return results


@router.post("/check", response_model=list[ClaimResult], summary="Judge cost claims")
async def post_check(body: CheckRequest, http: Request) -> Response:
    results = await judge(body, settings_of(http))
    return _json([r.model_dump(mode="json") for r in results])


@router.get("/check", response_model=list[ClaimResult], summary="Judge seed claims (ids as query)")
async def get_check(http: Request) -> Response:
    params = {k: http.query_params.getlist(k) for k in http.query_params}
    body = from_query(CheckRequest, params)
    results = await judge(body, settings_of(http))
    return _json([r.model_dump(mode="json") for r in results])


def catalog_kind(kind: str) -> api.EntryKind:
    """A catalog table name, or the 404 naming the closest ones."""
    for known in CATALOG_KINDS:
        if kind == known:
            return known
    raise UnknownIdError("catalog table", kind, CATALOG_KINDS)


def find_entry(kind: api.EntryKind, ident: str, files: tuple[str, ...]) -> dict[str, Any]:
    """One entry of table ``kind`` by id (or an alias), or the 404 naming the closest ids."""
    entries = api.catalog_entries(kind, catalog_files=files)
    by_id = {str(e.get("id", "")).lower(): e for e in entries}
    if ident.lower() in by_id:
        return by_id[ident.lower()]
    try:
        found_kind, entry = api.catalog_entry(ident, catalog_files=files)
    except UnknownIdError:
        found_kind, entry = "", {}
    if found_kind == kind:
        return entry
    raise UnknownIdError(kind.rstrip("s").replace("_", " "), ident, list(by_id))


@router.get("/catalog/{kind}", summary="List a catalog table (filters as the CLI's)")
async def list_catalog(
    kind: str,
    http: Request,
    vendor: str | None = None,
    year: str | None = None,
    family: str | None = None,
    search: str | None = None,
) -> Response:
    table = catalog_kind(kind)
    files = settings_of(http).catalog_files
    filters = {"vendor": vendor, "year": year, "family": family, "search": search}
    return _json(api.catalog_entries(table, catalog_files=files, **filters))


@router.get("/catalog/{kind}/{ident}", summary="One catalog entry with its sources")
async def show_catalog(kind: str, ident: str, http: Request) -> Response:
    return _json(find_entry(catalog_kind(kind), ident, settings_of(http).catalog_files))


@router.get("/health", summary="Liveness and version")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}
