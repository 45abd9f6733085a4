"""Rich tables for the terminal: the seed table and catalog listings."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from costlm.api import SeedTable
from costlm.i18n import t
from costlm.report.claims import print_claims
from costlm.report.fmt import caveat_text
from costlm.report.seed import accelerator_text, card_rows
from costlm.units import format_si

_LIST_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "accelerators": (
        ("id", "id"),
        ("year", "year"),
        ("memory_gb", "GB"),
        ("peak_bf16_dense_tflop_per_s", "bf16 TFLOP/s"),
        ("tdp_watts", "TDP W"),
        ("purchase_usd", "price $"),
        ("name", "name"),
    ),
    "models": (
        ("id", "id"),
        ("year", "year"),
        ("n_params", "params"),
        ("n_active_params", "active"),
        ("n_train_tokens", "tokens"),
        ("family", "family"),
        ("organization", "organization"),
        ("name", "name"),
    ),
    "runs": (
        ("id", "id"),
        ("hardware", "hardware"),
        ("n_gpus", "GPUs"),
        ("gpu_hours", "GPU-h"),
        ("energy_mwh", "MWh"),
        ("source_kind", "source"),
        ("name", "name"),
    ),
    "sources": (
        ("id", "id"),
        ("kind", "kind"),
        ("date", "date"),
        ("publisher", "publisher"),
        ("title", "title"),
    ),
    "grid": (("id", "id"), ("gco2e_per_kwh", "gCO2e/kWh"), ("name", "name"), ("aliases", "aliases")),
    "api_prices": (
        ("id", "id"),
        ("model", "model"),
        ("input_usd_per_mtok", "in $/1M"),
        ("output_usd_per_mtok", "out $/1M"),
        ("provider", "provider"),
        ("name", "name"),
    ),
    "inference_runs": (
        ("id", "id"),
        ("hardware", "hardware"),
        ("n_gpus", "GPUs"),
        ("engine", "engine"),
        ("output_tokens_per_s", "tokens/s"),
        ("name", "name"),
    ),
    "levers": (
        ("id", "id"),
        ("work", "work"),
        ("effect", "effect"),
        ("factor", "factor"),
        ("note", "note"),
    ),
}
"""Per table: (field, short header). Every column but the last is never wrapped; the last (a name
or a title) wraps at words. Columns that do not fit the terminal are dropped from the right."""
LIST_BORDER = 4
"""Border and padding columns of a listing table, beside 3 per column."""
MIN_WRAPPED_WIDTH = 12
"""The wrapped last column keeps at least this many characters."""


def _plain(value: Any) -> str:
    """A listing cell: sourced figures as their value or LOW..HIGH, compact (1.5k, 70B)."""
    if isinstance(value, dict) and "source" in value:
        if "value" in value:
            return format_si(value["value"])
        return f"{format_si(value['low'])}..{format_si(value['high'])}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def print_entries(console: Console, kind: str, entries: list[dict[str, Any]]) -> None:
    """A compact table of catalog entries: ids and numbers whole, columns that do not fit dropped."""
    columns = _LIST_COLUMNS[kind]
    rows = [[_plain(entry.get(field)) for field, _ in columns] for entry in entries]
    widths = [max([cell_len(h), *(cell_len(r[i]) for r in rows)]) for i, (_, h) in enumerate(columns)]
    keep = len(columns) - 1
    while keep > 1 and sum(widths[:keep]) + MIN_WRAPPED_WIDTH + LIST_BORDER + 3 * keep > console.width:
        keep -= 1
    table = Table(title=f"{kind} ({len(entries)})", show_lines=False)
    for i, (_, header) in enumerate(columns[:keep]):
        table.add_column(header, no_wrap=True, min_width=widths[i] if i == 0 else None)
    table.add_column(columns[-1][1], overflow="fold", ratio=1)
    for row in rows:
        table.add_row(*row[:keep], row[-1])
    console.print(table)


CARD_OVERHEAD = 10
"""Border and padding columns of a three-column boxed table."""


def card_widths(
    cards: list[list[tuple[str, str, str]]], headers: tuple[str, str, str], width: int
) -> list[int]:
    """Column widths shared by every card: the reported column whole, the rest split fairly.

    When the widest cells do not fit, the reported figures keep their width and the quantity
    and estimate columns share what is left (each at least half of it when both need it; the
    estimate column at least as wide as its header).
    """
    rows = [headers, *(row for card in cards for row in card)]
    label, estimate, reported = (max(cell_len(r[i]) for r in rows) for i in range(3))
    room = width - CARD_OVERHEAD - reported
    if label + estimate <= room:
        return [label, estimate, reported]
    estimate = min(estimate, max(room - label, room // 2, cell_len(headers[1])))  # header whole
    return [room - estimate, estimate, reported]


def print_seed_table(console: Console, table: SeedTable, lang: str) -> None:
    """The seed table as one card per model (quantity | estimate | reported), then claims and notes.

    A card has three columns whatever the number of quantities, so it reads at 80 columns; the
    cards share their column widths when those fit the terminal.
    """
    console.print(Text(t("report.title", lang), style="bold"))
    console.print(Text(t("report.intro", lang)))
    headers = (t("card.quantity", lang), t("card.estimate", lang), t("card.reported", lang))
    cards = [card_rows(row, lang) for row in table.rows]
    widths = card_widths(cards, headers, console.width)
    for row, card in zip(table.rows, cards, strict=True):
        rich_table = Table(
            title=Text(f"{row.name} — {accelerator_text(row, lang)}", style="bold"),
            title_justify="left",
        )
        for header, width in zip(headers, widths, strict=True):
            rich_table.add_column(header, width=width)
        for cells in card:
            rich_table.add_row(*(Text(c) for c in cells))
        console.print(rich_table)
    for row in table.rows:
        for warning in row.warnings:
            if warning.code in ("assumed_input", "params_estimated", "architecture_proxy"):
                console.print(
                    f"[yellow]{t('warn.prefix', lang)}[/yellow] {escape(row.name)}: "
                    f"{escape(caveat_text(warning, lang))}"
                )
    if table.claims:
        print_claims(console, table.claims, lang)
    console.print(f"\n[bold]{escape(t('explain.title', lang))}[/bold]")
    console.print(Text(t("explain.body", lang)))
