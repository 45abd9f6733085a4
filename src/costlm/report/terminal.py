"""Rich tables for the terminal: the seed table and catalog listings."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from costlm.api import SeedTable
from costlm.i18n import t
from costlm.report.claims import print_claims
from costlm.report.fmt import caveat_text
from costlm.report.seed import text_rows

_LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "accelerators": (
        "id",
        "name",
        "year",
        "memory_gb",
        "peak_bf16_dense_tflop_per_s",
        "tdp_watts",
        "purchase_usd",
    ),
    "models": ("id", "name", "organization", "year", "n_params", "n_active_params", "n_train_tokens"),
    "runs": ("id", "name", "hardware", "n_gpus", "gpu_hours", "energy_mwh", "source_kind"),
    "sources": ("id", "publisher", "kind", "date", "title"),
    "grid": ("id", "name", "gco2e_per_kwh"),
}


def _plain(value: Any) -> str:
    if isinstance(value, dict) and "source" in value:
        if "value" in value:
            return f"{value['value']:g}"
        return f"{value['low']:g}..{value['high']:g}"
    return "" if value is None else str(value)


def print_entries(console: Console, kind: str, entries: list[dict[str, Any]]) -> None:
    """A compact table of catalog entries (the key columns of each table)."""
    columns = _LIST_COLUMNS[kind]
    table = Table(title=f"{kind} ({len(entries)})", show_lines=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    for entry in entries:
        table.add_row(*(_plain(entry.get(col)) for col in columns))
    console.print(table)


def print_seed_table(console: Console, table: SeedTable, lang: str) -> None:
    """The seed table, its marks legend and the training-vs-inference explanation."""
    headers, rows = text_rows(table, lang)
    rich_table = Table(title=t("report.title", lang), show_lines=True, expand=True)
    for header in headers:
        rich_table.add_column(header, overflow="fold")
    for cells in rows:
        rich_table.add_row(*cells)
    console.print(rich_table)
    console.print(t("report.intro", lang))
    for row in table.rows:
        for warning in row.warnings:
            if warning.code in ("assumed_input", "params_estimated"):
                console.print(
                    f"[yellow]{t('warn.prefix', lang)}[/yellow] {row.name}: {caveat_text(warning, lang)}"
                )
    if table.claims:
        print_claims(console, table.claims, lang)
    console.print(f"\n[bold]{t('explain.title', lang)}[/bold]")
    console.print(t("explain.body", lang))
