"""The self-contained HTML report: inline CSS and SVG, no scripts, no CDN, no external fonts."""

from __future__ import annotations

from html import escape
from typing import Any

from costlm.api import PlanCompareResult, PlanServeResult, PlanTrainResult, ReportData, SeedRow
from costlm.catalog.schema import Source, is_http_url
from costlm.i18n import t
from costlm.report import claims as claims_fmt
from costlm.report import plan_compare as plan_fmt
from costlm.report import plan_serve as plan_serve_fmt
from costlm.report import plan_train as plan_train_fmt
from costlm.report.fmt import caveat_text, in_lang, number, summary_range
from costlm.report.plots import all_plots, break_even_lines, plan_cumulative, plan_frontier
from costlm.report.seed import CELL_FIELDS, COLUMNS, LEADING_BASES, REPLICA_FIELD, cell_parts, row_sources

PLOT_ORDER = ("compute_vs_cost", "energy", "token_cost", "tornado", "distribution")


def _mark(basis: str, lang: str) -> str:
    return f'<span class="mark mark-{escape(basis)}">[{escape(t("mark." + basis, lang))}]</span>'


def _cell(row: SeedRow, name: str, lang: str) -> str:
    estimate, reported = cell_parts(row, name, lang)
    parts = [f"{escape(estimate)} {_mark('estimate', lang)}"] if estimate else []
    if reported:
        shown = f'<span class="rep">{escape(reported[0])} {_mark(reported[1], lang)}</span>'
        parts.insert(0, shown) if reported[1] in LEADING_BASES else parts.append(shown)
    return "".join(parts) or escape(t("cell.na", lang))


def _accelerator(row: SeedRow, lang: str) -> str:
    n = row.n_gpus.estimate
    count = (
        escape(summary_range(n.p50, n.p05, n.p95, "", lang)) + " " + _mark(row.n_gpus_basis, lang)
        if n
        else ""
    )
    return f"{escape(row.accelerator_name)} {_mark(row.accelerator_basis, lang)} × {count}"


def _rows(data: ReportData, lang: str) -> list[dict[str, Any]]:
    number_of = {src.id: i + 1 for i, src in enumerate(data.sources)}
    rows = []
    for row in data.table.rows:
        gpus = f"{row.inference_gpus_per_replica} × {escape(row.accelerator)} ({escape(row.inference_dtype)})"
        cells = [_accelerator(row, lang)] + [
            f"{gpus}: {_cell(row, f, lang)}" if f == REPLICA_FIELD else _cell(row, f, lang)
            for f in CELL_FIELDS
        ]
        rows.append(
            {
                "name": row.name,
                "organization": row.organization,
                "cells": cells,
                "sources": [(number_of.get(src, 0), src) for src in row_sources(row)],
                "disclosure": in_lang(row.disclosure, row.disclosure_es, lang),
                "scope": in_lang(row.reported_scope, row.reported_scope_es, lang),
            }
        )
    return rows


def _defaults(data: ReportData, lang: str) -> list[dict[str, str]]:
    out = []
    for name, rec in data.defaults.items():
        low, high = rec.bounds
        value = (
            number(rec.central, "", lang)
            if low == high
            else f"{number(low, '', lang)}–{number(high, '', lang)}"
        )
        out.append({"name": name, "value": value, "source": rec.source, "locator": rec.locator})
    return out


def _linkable(src: Source) -> Source:
    """The source with its URL dropped unless it is http(s): a ``javascript:`` or ``data:`` link must
    never become clickable, even if a catalog entry slipped past the schema."""
    return src if src.url is None or is_http_url(src.url) else src.model_copy(update={"url": None})


def _plan_compare(result: PlanCompareResult, lang: str) -> dict[str, Any]:
    """The Plan section's comparison: the table, its sentences, the plot and the caveats."""
    cheapest = plan_fmt.cheapest_line(result, lang)
    lines = ([cheapest] if cheapest else []) + plan_fmt.break_even_lines(result, lang)
    notes = plan_fmt.detail_lines(result, lang) + plan_fmt.skipped_lines(result, lang)
    return {
        "title": plan_fmt.title(result, lang),
        "headers": plan_fmt.headers(result, lang),
        "rows": plan_fmt.table_rows(result, lang),
        "lines": lines,
        "svg": plan_cumulative(result, lang),
        "caption": t("plot.caption.plan_cumulative", lang),
        "notes": [*notes, t("plan.note", lang), *(caveat_text(w, lang) for w in result.warnings)],
    }


def _plan(data: ReportData, lang: str) -> dict[str, Any] | None:
    """The Plan section, one entry per sub-part (``compare``; a plan-train frontier can join it)."""
    section = data.plan
    if section is None:
        return None
    result = section.compare
    intro = t(
        "html.plan_intro",
        lang,
        tokens=number(result.tokens_per_day, "", lang),
        months=result.months,
        model=section.model,
        samples=result.samples,
    )
    train = _plan_train(section.train, lang) if section.train is not None else None
    serve = _plan_serve(section.serve, lang) if section.serve is not None else None
    return {"intro": intro, "compare": _plan_compare(result, lang), "frontier": train, "serve": serve}


def _plan_serve(result: PlanServeResult, lang: str) -> dict[str, Any]:
    """The cheapest fleet for the seed serving question and each accelerator's cheapest."""
    rows = [
        [
            plan_serve_fmt.config_text(row),
            f"{row.replicas} x {row.tensor_parallel} = {row.n_gpus}",
            number(row.usd_per_month.p50, "USD", lang),
            number(row.usd_per_million_output_tokens.p50, "USD", lang),
            number(row.p90_ttft_ms.p90, "", lang),
            number(row.p99_tpot_ms.p90, "", lang),
        ]
        for row in [result.chosen, *result.runners_up]
    ]
    return {
        "title": t(
            "plan.serve_title", lang, model=result.label, tokens=number(result.tokens_per_day, "", lang)
        ),
        "headers": [
            t(f"plan.serve_col.{key}", lang) for key in ("config", "gpus", "month", "mtok", "ttft", "tpot")
        ],
        "rows": rows,
        "note": t("plan.serve_note", lang, model=result.latency_model, n=result.n_configurations),
    }


def _plan_train(result: PlanTrainResult, lang: str) -> dict[str, Any]:
    """The s1 fine-tune's plans across the catalog: the chosen plan, the frontier rows and the plot."""
    rows = [
        [
            plan_train_fmt.config_text(row, lang),
            plan_train_fmt.p50_text(row.cost_usd.p50, row.cost_usd.unit, lang),
            plan_train_fmt.p50_text(row.wall_clock_days.p50, row.wall_clock_days.unit, lang),
            plan_train_fmt.p50_text(row.co2_t.p50, row.co2_t.unit, lang),
        ]
        for row in result.frontier
    ]
    return {
        "title": t("plan.train_title", lang, label=result.work.label),
        "chosen": plan_train_fmt.config_text(result.chosen, lang),
        "headers": [t(f"plan.col.{key}", lang) for key in ("config", "cost", "days", "co2")],
        "rows": rows,
        "svg": plan_frontier(result, lang),
        "caption": t("plot.caption.plan_frontier", lang, n=len(result.points)),
    }


def render(data: ReportData, lang: str) -> str:
    """The whole report as one HTML document."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("costlm.report", "templates"), autoescape=select_autoescape(["j2", "html"])
    )
    svgs = all_plots(data.table, lang)
    table = data.table
    claims = [
        {
            "id": c.id,
            "paraphrase": claims_fmt.paraphrase(c, lang),
            "claimed": claims_fmt.claimed_text(c, lang),
            "evidence": claims_fmt.evidence_text(c, lang),
            "verdict": c.verdict,
            "verdict_text": claims_fmt.verdict_text(c, lang),
            "factor": claims_fmt.factor_text(c, lang),
        }
        for c in table.claims
    ]
    return env.get_template("index.html.j2").render(
        lang=lang,
        t=lambda key, **kw: t(key, lang, **kw),
        headers=[t(c, lang) for c in COLUMNS],
        rows=_rows(data, lang),
        plots=[
            {"id": name, "svg": svgs[name], "caption": t("plot.caption." + name, lang)}
            for name in PLOT_ORDER
            if name in svgs
        ],
        break_even=break_even_lines(table, lang),
        claims=claims,
        plan=_plan(data, lang),
        explain=t("explain.body", lang).split("\n"),
        defaults=_defaults(data, lang),
        backtest=[
            {
                "metric": b.metric,
                "n": b.n,
                "error": f"{b.median_abs_log10_error:.3f}",
                "coverage": f"{b.coverage:.0%}",
            }
            for b in data.backtest
        ],
        sources=[_linkable(src) for src in data.sources],
        footer=t(
            "html.footer",
            lang,
            version=data.version,
            date=data.catalog_date,
            n_sources=len(data.sources),
            samples=table.samples,
            seed=table.seed,
        ),
    )
