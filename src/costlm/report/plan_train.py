"""A training plan in the terminal: the chosen plan's card, the frontier table and the exclusions.

Readable at 80 columns: the card has three columns (quantity, p50 with its 90% range, p90) and the
frontier five short ones; every word comes from the i18n catalog (``plan.*`` keys).
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from costlm.api import PlanRow, PlanTrainResult
from costlm.i18n import messages, t
from costlm.report.fmt import caveat_text, localized, number, row_scale, scaled, scaled_range, scaled_unit
from costlm.report.levers import lever_lines

CARD_STATS = ("cost_usd", "wall_clock_days", "co2_t", "energy_mwh", "gpu_hours", "amortized_cost_usd")
MAX_FRONTIER_ROWS = 12
"""Frontier rows printed (``--json`` has them all)."""


def _word(key: str, lang: str, fallback: str) -> str:
    return t(key, lang) if key in messages(lang) else fallback


def hardware_text(row: PlanRow, lang: str) -> str:
    """'h100-sxm × 1.02k bf16'."""
    return f"{row.accelerator} × {number(row.n_gpus, '', lang)} {row.dtype}"


def acquisition_text(row: PlanRow, lang: str) -> str:
    """'rent, reserved' or 'buy'."""
    acquisition = _word(f"plan.acq.{row.acquisition}", lang, row.acquisition)
    tier = f", {_word('tier.' + row.price_tier, lang, row.price_tier)}" if row.price_tier else ""
    return acquisition + tier


def config_text(row: PlanRow, lang: str) -> str:
    """'h100-sxm × 1.02k bf16 · rent, reserved'."""
    return f"{hardware_text(row, lang)} · {acquisition_text(row, lang)}"


def layout_text(row: PlanRow, lang: str) -> str:
    if row.layout is None:
        return t("plan.layout_unchecked", lang)
    lay = row.layout
    return t(
        "plan.layout",
        lang,
        dp=f"{lay.n_data_parallel:,}",
        tp=lay.n_tensor_parallel,
        pp=lay.n_pipeline_parallel,
        zero=lay.zero_stage,
        recompute=lay.recompute,
    )


def _cell(p50: float, p90: float, unit: str, lang: str) -> str:
    """'p50 / p90 unit' in one scale."""
    scale = row_scale(unit, p50, (p90,))
    text = f"{scaled(p50, scale, lang)} / {scaled(p90, scale, lang)}"
    label = scaled_unit(scale, lang)
    return f"{text} {label}" if label and not scale.dollar else text


def _card(result: PlanTrainResult, lang: str) -> Table:
    row = result.chosen
    table = Table(
        title=t("plan.chosen", lang, objective=t("plan.objective." + result.constraints.objective, lang))
    )
    table.add_column(t("train.output", lang))
    table.add_column(t("plan.p50_range", lang), justify="right")
    table.add_column("p90", justify="right")
    for name in CARD_STATS:
        stat = getattr(row, name)
        if stat is None:
            continue
        scale = row_scale(stat.unit, stat.p50, (stat.p05, stat.p95, stat.p90))
        key = "plan.cost_" + row.acquisition if name == "cost_usd" else "out." + name
        table.add_row(
            t(key, lang),
            scaled_range(stat.p50, stat.p05, stat.p95, scale, lang),
            scaled(stat.p90, scale, lang) + ("" if scale.dollar else " " + scaled_unit(scale, lang)),
        )
    return table


def p50_text(p50: float, unit: str, lang: str) -> str:
    scale = row_scale(unit, p50)
    label = scaled_unit(scale, lang)
    return scaled(p50, scale, lang) + (f" {label}" if label and not scale.dollar else "")


def _frontier(result: PlanTrainResult, lang: str) -> Table:
    table = Table(title=t("plan.frontier", lang, n=len(result.frontier)), box=box.SIMPLE_HEAD, pad_edge=False)
    for key in ("plan.col.config", "plan.col.acquisition"):
        table.add_column(t(key, lang))
    for key in ("plan.col.cost", "plan.col.days", "plan.col.co2"):
        table.add_column(t(key, lang), justify="right", no_wrap=True)
    for row in result.frontier[:MAX_FRONTIER_ROWS]:
        table.add_row(
            hardware_text(row, lang),
            acquisition_text(row, lang),
            p50_text(row.cost_usd.p50, "USD", lang),
            _cell(row.wall_clock_days.p50, row.wall_clock_days.p90, "days", lang),
            p50_text(row.co2_t.p50, "tCO2e", lang),
        )
    return table


def _constraints(result: PlanTrainResult, lang: str) -> str:
    c = result.constraints
    parts = [
        t("plan.limit.deadline", lang, value=number(c.deadline_days, "", lang)) if c.deadline_days else None,
        t("plan.limit.budget", lang, value=number(c.budget_usd, "USD", lang)) if c.budget_usd else None,
        t("plan.limit.co2", lang, value=number(c.max_co2_t, "", lang)) if c.max_co2_t else None,
    ]
    given = ", ".join(p for p in parts if p) or t("plan.limit.none", lang)
    return t("plan.constraints", lang, limits=given, max_gpus=f"{c.max_gpus:,}", tier=c.price_tier)


def print_plan_train(console: Console, result: PlanTrainResult, lang: str) -> None:
    """Title, the chosen plan, the frontier, the exclusions, the settings and the caveats."""
    console.print(Text(t("plan.train_title", lang, label=result.work.label), style="bold"))
    console.print(Text(config_text(result.chosen, lang) + " — " + layout_text(result.chosen, lang)))
    console.print(_card(result, lang))
    console.print(_frontier(result, lang))
    if len(result.frontier) > MAX_FRONTIER_ROWS:
        console.print(Text(t("plan.more_rows", lang, n=len(result.frontier) - MAX_FRONTIER_ROWS)))
    excluded = ", ".join(
        f"{_word('plan.reason.' + reason, lang, reason)} {count:,}"
        for reason, count in result.excluded.items()
    )
    console.print(
        Text(t("plan.evaluated", lang, n=f"{result.n_evaluated:,}", feasible=f"{result.n_feasible:,}"))
    )
    if excluded:
        console.print(Text(t("plan.excluded", lang, reasons=excluded)))
    console.print(Text(_constraints(result, lang)))
    console.print(Text(t("plan.samples", lang, samples=f"{result.samples:,}", seed=result.seed)))
    if result.levers:
        console.print(Text(t("lever.heading", lang) + ":"))
        for line in lever_lines(result.levers, lang):
            console.print(Text("  " + line))
        if result.baseline is not None and result.lever_saving_share is not None:
            saving = localized(f"{result.lever_saving_share:.0%}", lang)
            base = config_text(result.baseline, lang)
            usd = number(result.baseline.cost_usd.p50, "USD", lang)
            console.print(Text("  " + t("plan.lever_saving", lang, plan=base, usd=usd, saving=saving)))
        else:
            console.print(Text("  " + t("plan.lever_no_baseline", lang)))
    for caveat in result.caveats:
        console.print(f"[yellow]{t('warn.prefix', lang)}[/yellow] {escape(caveat_text(caveat, lang))}")
