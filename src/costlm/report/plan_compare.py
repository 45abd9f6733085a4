"""A plan comparison in words: the table (one row per path, readable at 80 columns), the cheapest
path, the break-even months, the skipped paths with their reasons, and the caveats.

The text builders (``path_label``, ``table_rows``, ``break_even_lines``, ``skipped_lines``) are shared
by the terminal and the HTML report's Plan section.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from costlm.api import PlanCompareResult, PlanPath, PlanSkippedPath, Summary
from costlm.i18n import messages, t
from costlm.report.fmt import caveat_text, number, summary_range
from costlm.report.levers import lever_lines

if TYPE_CHECKING:
    from rich.console import Console


def path_label(path: PlanPath, lang: str) -> str:
    """'API (deepinfra-llama-3-70b)', 'Fine-tune llama-3-70b', 'Distil into ...', 'Pre-train ...'."""
    if path.path == "api":
        return t("plan.path.api", lang, api=path.provider or path.api_price or "")
    if path.path == "finetune" and path.teacher_data_usd is not None:
        return t("plan.path.distill", lang, model=path.model or "", api=path.provider or "")
    return t(f"plan.path.{path.path}", lang, model=path.model or "")


def path_name(name: str, lang: str) -> str:
    """The short name of a path kind: API, fine-tune, pre-train."""
    return t(f"plan.name.{name}", lang)


def _usd(s: Summary, lang: str) -> str:
    return summary_range(s.p50, s.p05, s.p95, "USD", lang)


def table_rows(result: PlanCompareResult, lang: str) -> list[list[str]]:
    """Per path: label, upfront, per month, total at N months (each 'p50 (p05–p95)' in USD)."""
    return [
        [
            path_label(p, lang),
            _usd(p.upfront_usd, lang),
            _usd(p.monthly_usd, lang),
            _usd(p.cumulative_usd[-1], lang),
        ]
        for p in result.paths
    ]


def headers(result: PlanCompareResult, lang: str) -> list[str]:
    return [
        t("plan.col.path", lang),
        t("plan.col.upfront", lang),
        t("plan.col.monthly", lang),
        t("plan.col.total", lang, months=result.months),
    ]


def break_even_lines(result: PlanCompareResult, lang: str) -> list[str]:
    """One sentence per pair of paths: the month the dearer-at-start one becomes cheaper, or never."""
    lines = []
    for pair in result.break_even:
        names = {"first": path_name(pair.first, lang), "other": path_name(pair.other, lang)}
        if pair.month is None:
            lines.append(t("plan.break_even_never", lang, months=result.months, **names))
        else:
            lines.append(t("plan.break_even", lang, month=pair.month, **names))
    return lines


def _reason(skip: PlanSkippedPath, lang: str) -> str:
    if skip.reason != "estimate_failed":
        return t(f"plan.skip.{skip.reason}", lang, **skip.values)
    key = "err." + skip.values.get("error", "")
    if lang != "en" and key in messages(lang):
        try:
            return t(key, lang, **skip.values)
        except (KeyError, IndexError, ValueError):
            pass
    return skip.values.get("message", skip.reason)


def skipped_lines(result: PlanCompareResult, lang: str) -> list[str]:
    """One sentence per path not priced, with its reason."""
    return [
        t("plan.skipped", lang, path=path_name(s.path, lang), reason=_reason(s, lang)) for s in result.skipped
    ]


def detail_lines(result: PlanCompareResult, lang: str) -> list[str]:
    """What each self-hosted path's upfront and monthly costs are made of."""
    lines = []
    for p in result.paths:
        if p.path == "api":
            lines.append(_api_detail(p, lang))
        if p.training_usd is None or p.fleet_gpus is None:
            continue
        text = t(
            "plan.detail",
            lang,
            path=path_label(p, lang),
            train=_usd(p.training_usd, lang),
            n=number(p.training_n_gpus or 0, "", lang),
            fleet=summary_range(p.fleet_gpus.p50, p.fleet_gpus.p05, p.fleet_gpus.p95, "", lang),
        )
        if p.teacher_data_usd is not None:
            text += " " + t(
                "plan.teacher", lang, usd=number(p.teacher_data_usd, "USD", lang), api=_prices(p, lang)
            )
        lines.append(text)
    return lines


def _prices(p: PlanPath, lang: str) -> str:
    """'deepinfra-llama-3-70b: $0.3/1M input, $0.4/1M output tokens'."""
    return t(
        "plan.prices",
        lang,
        api=p.api_price or "",
        input=number(p.api_usd_per_million_input_tokens or 0.0, "USD", lang),
        output=number(p.api_usd_per_million_output_tokens or 0.0, "USD", lang),
    )


def _api_detail(p: PlanPath, lang: str) -> str:
    return f"{path_label(p, lang)}: {_prices(p, lang)}"


def cheapest_line(result: PlanCompareResult, lang: str) -> str | None:
    chosen = next((p for p in result.paths if p.path == result.cheapest), None)
    if chosen is None:
        return None
    return t("plan.cheapest", lang, months=result.months, path=path_label(chosen, lang))


def title(result: PlanCompareResult, lang: str) -> str:
    return t(
        "plan.title",
        lang,
        months=result.months,
        tokens=number(result.tokens_per_day, "", lang),
        prompt=number(result.prompt_tokens, "", lang),
        output=number(result.output_tokens, "", lang),
    )


def print_plan_compare(console: Console, result: PlanCompareResult, lang: str) -> None:
    """The table, then the cheapest path, break-evens, details, skipped paths and caveats."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title(result, lang))
    for i, head in enumerate(headers(result, lang)):
        table.add_column(head, justify="left" if i == 0 else "right")
    for row in table_rows(result, lang):
        table.add_row(*row)
    console.print(table)
    cheapest = cheapest_line(result, lang)
    lines = ([cheapest] if cheapest else []) + break_even_lines(result, lang) + detail_lines(result, lang)
    levers = [t("lever.heading", lang) + ":", *("  " + x for x in lever_lines(result.levers, lang))]
    for line in [
        *lines,
        *skipped_lines(result, lang),
        t("plan.note", lang),
        *(levers if result.levers else []),
    ]:
        console.print(line, markup=False)
    prefix = escape(t("warn.prefix", lang))
    for warning in result.warnings:
        console.print(f"[yellow]{prefix}[/yellow] {escape(caveat_text(warning, lang))}")
