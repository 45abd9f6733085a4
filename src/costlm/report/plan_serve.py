"""A serving plan in the terminal (readable at 80 columns): the chosen fleet, runner-ups, API prices."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from costlm.api import PlanServeResult, PlanServeRow
from costlm.i18n import t
from costlm.report.fmt import caveat_text, localized, number
from costlm.report.levers import lever_lines


def _money(value: float, lang: str) -> str:
    return "$" + number(value, "", lang)


def config_text(row: PlanServeRow) -> str:
    """'mi300x x8 vllm fp8/kv fp8'."""
    return _config(row)


def _config(row: PlanServeRow) -> str:
    return f"{row.accelerator} x{row.tensor_parallel} {row.engine} {row.dtype}/kv {row.kv_dtype}"


def _chosen_table(r: PlanServeResult, lang: str) -> Table:
    c = r.chosen
    table = Table(title=t("plan_serve.title", lang, model=r.label))
    table.add_column(t("plan_serve.quantity", lang))
    table.add_column(t("plan_serve.value", lang), justify="right")
    rows = [
        (t("plan_serve.config", lang), _config(c)),
        (
            t("plan_serve.fleet", lang),
            t("plan_serve.fleet_value", lang, r=c.replicas, cap=c.batch_cap, n=c.n_gpus),
        ),
        (
            t("plan_serve.ttft", lang),
            f"{number(c.p90_ttft_ms.p50, '', lang)} ({number(c.p90_ttft_ms.p90, '', lang)}) ms",
        ),
        (
            t("plan_serve.tpot", lang),
            f"{number(c.p99_tpot_ms.p50, '', lang)} ({number(c.p99_tpot_ms.p90, '', lang)}) ms",
        ),
        (t("plan_serve.util", lang), f"{c.utilisation.p50:.0%} ({c.utilisation.p90:.0%})"),
        (t("plan_serve.cost", lang, tier=c.price_tier or "-"), _money(c.usd_per_month.p50, lang)),
        (t("plan_serve.per_m", lang), _money(c.usd_per_million_output_tokens.p50, lang)),
    ]
    if c.energy_mwh_per_month is not None and c.co2_t_per_month is not None:
        rows.append((t("plan_serve.energy", lang), f"{number(c.energy_mwh_per_month.p50, '', lang)} MWh"))
        rows.append(
            (t("plan_serve.co2", lang, grid=r.grid_region), f"{number(c.co2_t_per_month.p50, '', lang)} t")
        )
    for label, value in rows:
        table.add_row(label, value)
    return table


def _runners_table(r: PlanServeResult, lang: str) -> Table:
    table = Table(title=t("plan_serve.runners", lang))
    table.add_column(t("plan_serve.config", lang))
    table.add_column(t("plan_serve.replicas", lang), justify="right")
    table.add_column(t("plan_serve.gpus", lang), justify="right")
    table.add_column(t("plan_serve.month", lang), justify="right")
    for row in [r.chosen, *r.runners_up]:
        table.add_row(_config(row), str(row.replicas), str(row.n_gpus), _money(row.usd_per_month.p50, lang))
    return table


def _api_table(r: PlanServeResult, lang: str) -> Table:
    table = Table(title=t("plan_serve.api", lang))
    table.add_column(t("plan_serve.provider", lang))
    table.add_column(t("plan_serve.api_month", lang), justify="right")
    table.add_column(t("plan_serve.ratio", lang), justify="right")
    table.add_column(t("plan_serve.break_even", lang), justify="right")
    for row in r.api:
        even = row.break_even_tokens_per_day
        table.add_row(
            row.provider,
            _money(row.api_usd_per_month, lang),
            f"{number(row.fleet_over_api.p50, '', lang)}x",
            number(even.p50, "", lang) if even is not None else t("plan_serve.never", lang),
        )
    return table


def _fleet_label(row: PlanServeRow) -> str:
    return (
        f"{row.accelerator} x{row.tensor_parallel} {row.engine} {row.dtype}/kv {row.kv_dtype}, {row.replicas}"
    )


def print_plan_serve(console: Console, r: PlanServeResult, lang: str) -> None:
    """The chosen fleet, then runner-ups and API prices, then the model, traffic and caveats."""
    console.print(_chosen_table(r, lang))
    console.print(_runners_table(r, lang))
    if r.api:
        console.print(_api_table(r, lang))
    excluded = ", ".join(f"{t('plan_serve.reason.' + k, lang)} {v}" for k, v in r.excluded.items()) or "-"
    lines = [
        t(
            "plan_serve.traffic",
            lang,
            tokens=number(r.tokens_per_day, "", lang),
            rps=number(r.requests_per_s, "", lang),
            peak=f"{r.peak_factor:g}",
        ),
        t("plan_serve.model_line", lang, model=r.latency_model, q=f"{r.target_quantile:.0%}", n=r.samples),
        t("plan_serve.searched", lang, n=r.n_configurations, evaluated=r.n_evaluated, excluded=excluded),
        *(caveat_text(w, lang) for w in r.warnings),
    ]
    if r.levers:
        lines += [t("lever.heading", lang) + ":", *("  " + line for line in lever_lines(r.levers, lang))]
    if r.baseline is not None and r.lever_saving_share is not None:
        share = r.lever_saving_share
        lines.append(
            "  "
            + t(
                "plan_serve.lever_saving",
                lang,
                fleet=_fleet_label(r.baseline),
                usd=number(r.baseline.usd_per_month.p50, "USD", lang),
                saving=localized(f"{share.p50:.0%} ({share.p05:.0%}-{share.p95:.0%})", lang),
            )
        )
    for line in lines:
        console.print(line, soft_wrap=False, highlight=False)
