"""The HTML pages: plain GET forms (inputs in the query string: every result has a shareable URL
and a "download JSON" link to the same inputs on the API), results rendered on the server, in
English or Spanish (``?lang=es``). They work without JavaScript."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from costlm import api
from costlm.errors import CostlmError
from costlm.i18n import t
from costlm.report.plan_compare import print_plan_compare
from costlm.report.plan_compare import title as plan_compare_title
from costlm.report.plan_serve import print_plan_serve
from costlm.report.plan_train import print_plan_train
from costlm.report.plots import plan_cumulative
from costlm.report.result_plots import plan_frontier, training_costs
from costlm.report.serving import print_serving
from costlm.report.training import print_training
from costlm.web import views
from costlm.web.api_routes import (
    CATALOG_KINDS,
    COMPUTE,
    CheckRequest,
    catalog_kind,
    compute,
    find_entry,
    judge,
    settings_of,
)
from costlm.web.errors import error_body, status_of
from costlm.web.forms import (
    CATALOG_FILTERS,
    PLAN_COMPARE_FIELDS,
    PLAN_FIELDS,
    PLAN_SERVE_FIELDS,
    SERVE_FIELDS,
    TRAIN_FIELDS,
    Field,
)
from costlm.web.runner import MAX_BODY_BYTES, PAGE_ONLY_PARAMS, from_query, run_limited

router = APIRouter(include_in_schema=False)
REPORT_SAMPLES = 2_000
"""Samples of the report page (computed once per language on first request, then kept)."""
NAV = ("report", "train", "serve", "plan", "plan_serve", "plan_compare", "check", "catalog", "docs")
FORMS: dict[str, tuple[str, tuple[Field, ...]]] = {
    "train": ("train", TRAIN_FIELDS),
    "serve": ("serve", SERVE_FIELDS),
    "plan": ("plan/train", PLAN_FIELDS),
    "plan_serve": ("plan/serve", PLAN_SERVE_FIELDS),
    "plan_compare": ("plan/compare", PLAN_COMPARE_FIELDS),
}
"""Page -> (API route, the fields its form shows)."""


def lang_of(request: Request) -> str:
    lang = request.query_params.get("lang", "en")
    return lang if lang in ("en", "es") else "en"


@functools.cache
def _env() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("costlm.web", "templates"), autoescape=select_autoescape(["j2", "html"])
    )


def _query(request: Request, **changes: str | None) -> str:
    """The request's query string with ``changes`` applied (None drops a parameter)."""
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    for key, value in changes.items():
        params.pop(key, None)
        if value is not None:
            params[key] = [value]
    return urlencode([(k, v) for k, vs in params.items() for v in vs])


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in the request's language, with the navigation and the language switch."""
    lang = lang_of(request)
    other = "es" if lang == "en" else "en"
    html = (
        _env()
        .get_template(template)
        .render(
            lang=lang,
            t=lambda key, **kw: t(key, lang, **kw),
            nav=NAV,
            page=context.pop("page", ""),
            switch_url=f"{request.url.path}?{_query(request, lang=other)}",
            switch_label=t("web.lang." + other, lang),
            lang_suffix="" if lang == "en" else "?lang=es",
            **context,
        )
    )
    return HTMLResponse(html, status_code=status)


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    return render(request, "index.html.j2", page="index")


def _field_context(fields: tuple[Field, ...], request: Request) -> list[dict[str, Any]]:
    lang = lang_of(request)
    return [
        {
            "f": f,
            "label": t("web.field." + f.name, lang),
            "value": request.query_params.get(f.name, ""),
        }
        for f in fields
    ]


def _submitted(request: Request) -> bool:
    return any(v.strip() for k, v in request.query_params.items() if k not in PAGE_ONLY_PARAMS)


def _error(exc: CostlmError, request: Request) -> dict[str, Any]:
    return error_body(exc, lang_of(request))


async def _result_context(page: str, request: Request) -> dict[str, Any]:
    """The result of a form page's query, as the template shows it."""
    route, _ = FORMS[page]
    model, _ = COMPUTE[route]
    lang = lang_of(request)
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    result = await compute(route, from_query(model, params), settings_of(request))
    if page == "train":
        return {
            "view": views.training_view(result, lang),
            "svg": views.plot(training_costs, result, lang),
            "text": views.terminal_text(print_training, result, lang),
        }
    if page == "serve":
        return {
            "view": views.serving_view(result, lang),
            "text": views.terminal_text(print_serving, result, lang),
        }
    if page == "plan_serve":
        return {"title": result.label, "text": views.terminal_text(print_plan_serve, result, lang)}
    if page == "plan_compare":
        return {
            "title": plan_compare_title(result, lang),
            "svg": views.plot(plan_cumulative, result, lang),
            "text": views.terminal_text(print_plan_compare, result, lang),
        }
    return {
        "view": views.plan_view(result, lang),
        "svg": views.plot(plan_frontier, result, lang),
        "text": views.terminal_text(print_plan_train, result, lang),
    }


async def form_page(page: str, request: Request) -> HTMLResponse:
    route, fields = FORMS[page]
    context: dict[str, Any] = {"page": page, "fields": _field_context(fields, request)}
    status = 200
    if _submitted(request):
        try:
            context |= await _result_context(page, request)
            context["json_url"] = f"/api/v1/{route}?{_query(request, lang=None)}"
        except CostlmError as exc:
            context["error"] = _error(exc, request)
            status = status_of(exc)
    context["datalists"] = _datalists(settings_of(request).catalog_files)
    return render(request, f"{page}.html.j2", status, **context)


@functools.cache
def _datalists(files: tuple[str, ...]) -> dict[str, list[str]]:
    """Model and accelerator ids for the id inputs' suggestions."""
    return {
        kind: [str(e["id"]) for e in api.catalog_entries(kind, catalog_files=files)]
        for kind in ("models", "accelerators")
    }


@router.get("/train", response_class=HTMLResponse)
async def train_page(request: Request) -> HTMLResponse:
    return await form_page("train", request)


@router.get("/serve", response_class=HTMLResponse)
async def serve_page(request: Request) -> HTMLResponse:
    return await form_page("serve", request)


@router.get("/plan", response_class=HTMLResponse)
async def plan_page(request: Request) -> HTMLResponse:
    return await form_page("plan", request)


@router.get("/plan_compare", response_class=HTMLResponse)
async def plan_compare_page(request: Request) -> HTMLResponse:
    return await form_page("plan_compare", request)


@router.get("/plan_serve", response_class=HTMLResponse)
async def plan_serve_page(request: Request) -> HTMLResponse:
    return await form_page("plan_serve", request)


async def _check(request: Request, body: CheckRequest, explain: str | None) -> HTMLResponse:
    lang = lang_of(request)
    context: dict[str, Any] = {"page": "check", "pasted": body.claims_toml or "", "explain": explain}
    status = 200
    try:
        results = await judge(body, settings_of(request))
        context["rows"] = views.claim_rows(results, lang)
        if explain:
            context["trail"] = views.claim_trail(results[0], lang)
        context["json_url"] = f"/api/v1/check?{_query(request, lang=None, explain=None)}"
    except CostlmError as exc:
        context["error"] = _error(exc, request)
        status = status_of(exc)
    return render(request, "check.html.j2", status, **context)


@router.get("/check", response_class=HTMLResponse)
async def check_page(request: Request, explain: str | None = None) -> HTMLResponse:
    try:
        params = {k: request.query_params.getlist(k) for k in request.query_params if k != "explain"}
        body = from_query(CheckRequest, params)
        if explain:
            body = body.model_copy(update={"ids": (explain,)})
    except CostlmError as exc:
        return render(request, "check.html.j2", status_of(exc), page="check", error=_error(exc, request))
    return await _check(request, body, explain)


@router.post("/check", response_class=HTMLResponse)
async def check_pasted(request: Request) -> HTMLResponse:
    """Claims pasted in the form (a POST: a claims file can be longer than a URL)."""
    raw = (await request.body())[:MAX_BODY_BYTES].decode("utf-8", errors="replace")
    form = {k: v for k, v in parse_qs(raw).items() if k in ("claims_toml", "samples", "seed")}
    try:
        body = from_query(CheckRequest, form)
    except CostlmError as exc:
        return render(request, "check.html.j2", status_of(exc), page="check", error=_error(exc, request))
    return await _check(request, body, None)


@router.get("/catalog", response_class=HTMLResponse)
async def catalog_page(request: Request, kind: str = "models") -> HTMLResponse:
    files = settings_of(request).catalog_files
    filters = {f.name: request.query_params.get(f.name) or None for f in CATALOG_FILTERS}
    context: dict[str, Any] = {
        "page": "catalog",
        "kinds": CATALOG_KINDS,
        "kind": kind,
        "fields": _field_context(CATALOG_FILTERS, request),
    }
    status = 200
    try:
        table = catalog_kind(kind)
        context["entries"] = api.catalog_entries(table, catalog_files=files, **filters)
        context["json_url"] = f"/api/v1/catalog/{kind}?{_query(request, lang=None, kind=None)}"
    except CostlmError as exc:
        context["error"] = _error(exc, request)
        status = status_of(exc)
    return render(request, "catalog.html.j2", status, **context)


@router.get("/catalog/{kind}/{ident}", response_class=HTMLResponse)
async def entry_page(request: Request, kind: str, ident: str) -> HTMLResponse:
    files = settings_of(request).catalog_files
    context: dict[str, Any] = {"page": "catalog", "kind": kind, "ident": ident}
    status = 200
    try:
        entry = find_entry(catalog_kind(kind), ident, files)
        rows = views.entry_rows(entry)
        sources = {e["id"]: e for e in api.catalog_entries("sources", catalog_files=files)}
        context |= {"rows": rows, "sources": sources, "json_url": f"/api/v1/catalog/{kind}/{ident}"}
    except CostlmError as exc:
        context["error"] = _error(exc, request)
        status = status_of(exc)
    return render(request, "entry.html.j2", status, **context)


_REPORTS: dict[tuple[tuple[str, ...], str], str] = {}


@router.get("/report", response_class=HTMLResponse)
async def report_page(request: Request) -> HTMLResponse:
    """The seed report (``costlm report``'s index.html) at REPORT_SAMPLES samples, computed once per
    language and kept in memory, under the site's navigation."""
    from costlm.report.page import render as render_report

    lang = lang_of(request)
    settings = settings_of(request)
    async with settings.report_lock:
        key = (settings.catalog_files, lang)
        if key not in _REPORTS:

            def build() -> str:
                data = api.report_data(samples=REPORT_SAMPLES, seed=0, catalog_files=settings.catalog_files)
                return views.plot(render_report, data, lang)

            _REPORTS[key] = await run_limited(settings, build)
    nav = (
        _env()
        .get_template("nav.html.j2")
        .render(
            lang=lang,
            t=lambda key, **kw: t(key, lang, **kw),
            nav=NAV,
            page="report",
            switch_url=f"/report?lang={'es' if lang == 'en' else 'en'}",
            switch_label=t("web.lang." + ("es" if lang == "en" else "en"), lang),
            lang_suffix="" if lang == "en" else "?lang=es",
            samples=REPORT_SAMPLES,
        )
    )
    html = _REPORTS[key].replace("<body>", "<body>" + nav, 1)
    return HTMLResponse(html)
