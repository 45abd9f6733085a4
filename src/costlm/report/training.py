"""A training result in the terminal: outputs with ranges, reported figures, drivers and caveats."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from costlm.api import TrainingResult
from costlm.i18n import t
from costlm.report.fmt import caveat_text, number, unit_label

OUTPUTS = (
    "train_flop",
    "gpu_hours",
    "wall_clock_days",
    "hardware_cost_usd",
    "cluster_capex_usd",
    "rental_cost_usd",
    "amortized_cost_usd",
    "energy_mwh",
    "avg_power_mw",
    "co2_t",
)
_REPORTED_AS = {"rental_cost_usd": "cost_usd"}


def _reported(result: TrainingResult, name: str, lang: str) -> str:
    quantity = _REPORTED_AS.get(name, name)
    fig = next((f for f in result.reported if f.quantity == quantity), None)
    if fig is None:
        return ""
    return f"{number(fig.value, fig.unit, lang)} [{t('mark.' + fig.basis, lang)}] {fig.source}"


def print_training(console: Console, result: TrainingResult, lang: str) -> None:
    """Outputs table, the top drivers of GPU-hours and cost, and the warnings."""
    table = Table(
        title=t("train.title", lang, label=f"{result.label} — {result.accelerator_name}, {result.dtype}")
    )
    for col in (
        t("train.output", lang),
        t("train.p05", lang),
        t("train.p50", lang),
        t("train.p95", lang),
        t("train.unit", lang),
    ):
        table.add_column(col, justify="right" if col.startswith("p") else "left")
    table.add_column(t("cell.reported", lang))
    for name in OUTPUTS:
        s = getattr(result, name)
        if s is None:
            continue
        cells = [number(v, s.unit, lang) for v in (s.p05, s.p50, s.p95)]
        table.add_row(t("out." + name, lang), *cells, unit_label(s.unit, lang), _reported(result, name, lang))
    console.print(table)
    n = result.breakdown.n_gpus
    mfu = result.breakdown.mfu
    if n is not None:
        console.print(
            f"GPUs: {number(n.p50, '', lang)} ({number(n.p05, '', lang)}–{number(n.p95, '', lang)}) · "
            f"MFU p50 {mfu.p50:.2f} ({mfu.p05:.2f}–{mfu.p95:.2f}) · "
            f"{result.samples} samples, seed {result.seed}"
        )
    for output in ("gpu_hours", "rental_cost_usd"):
        drivers = result.sensitivity.get(output, [])
        if drivers:
            listed = ", ".join(f"{d.input} {d.rho:+.2f}" for d in drivers[:4])
            console.print(f"{t('train.drivers', lang, output=t('out.' + output, lang))}: {listed}")
    scope = (result.reported_scope_es or result.reported_scope) if lang == "es" else result.reported_scope
    if scope:
        console.print(t("train.scope", lang, scope=scope))
    for w in result.warnings:
        console.print(f"[yellow]{t('warn.prefix', lang)}[/yellow] {caveat_text(w, lang)}")
