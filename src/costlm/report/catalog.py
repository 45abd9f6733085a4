"""``costlm catalog stats`` in the terminal: counts, oldest prices and figures by basis."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from costlm.api import CatalogStats
from costlm.i18n import t

PERCENT = 100
"""A share as a percentage."""


def print_catalog_stats(console: Console, stats: CatalogStats, lang: str) -> None:
    """Three small tables that read at 80 columns: entries per table, the oldest price of each
    price table, and the share of sourced figures by basis."""
    counts = Table(title=t("stats.counts", lang), title_justify="left")
    counts.add_column(t("stats.table", lang), no_wrap=True)
    counts.add_column(t("stats.entries", lang), justify="right", no_wrap=True)
    for table, n in stats.counts.items():
        counts.add_row(table, str(n))
    counts.add_row("mfu_priors", str(stats.n_mfu_priors))
    console.print(counts)
    oldest = Table(title=t("stats.oldest", lang), title_justify="left")
    for header in ("stats.table", "stats.entry", "stats.as_of", "stats.months", "stats.undated"):
        oldest.add_column(t(header, lang), no_wrap=header != "stats.entry", overflow="fold")
    for row in stats.oldest_prices:
        oldest.add_row(
            row.table,
            f"{row.entry} {row.field}",
            row.as_of,
            str(row.months_old),
            f"{row.n_undated}/{row.n_prices}",
        )
    console.print(oldest)
    basis = Table(title=t("stats.basis", lang, n=stats.n_figures), title_justify="left")
    basis.add_column(t("stats.basis_col", lang), no_wrap=True)
    basis.add_column(t("stats.figures", lang), justify="right", no_wrap=True)
    basis.add_column(t("stats.share", lang), justify="right", no_wrap=True)
    for name, n in stats.figures_by_basis.items():
        share = PERCENT * n / stats.n_figures if stats.n_figures else 0.0
        basis.add_row(t(f"stats.basis.{name}", lang), str(n), f"{share:.1f}%")
    console.print(basis)
