"""The seed table as text rows, Markdown, CSV and JSON."""

from __future__ import annotations

import csv
import io

from costlm import __version__
from costlm.api import SeedRow, SeedTable
from costlm.i18n import t
from costlm.report.claims import markdown as claims_markdown
from costlm.report.fmt import number, summary_range

COLUMNS = (
    "col.model",
    "col.accelerator",
    "col.train_hw_cost",
    "col.train_rental",
    "col.train_days",
    "col.train_energy",
    "col.train_power",
    "col.infer_hw",
    "col.infer_power",
    "col.infer_j",
    "col.infer_usd",
)
CELL_FIELDS = (
    "training_hardware_cost_usd",
    "training_rental_cost_usd",
    "training_days",
    "training_energy_mwh",
    "training_power_mw",
    "inference_hardware_cost_usd",
    "inference_power_watts",
    "inference_j_per_output_token",
    "inference_usd_per_million_output_tokens",
)


def _mark(basis: str, lang: str) -> str:
    return f"[{t('mark.' + basis, lang)}]"


def cell_parts(row: SeedRow, name: str, lang: str) -> tuple[str | None, tuple[str, str] | None]:
    """(estimate text, (reported text, reported basis)) of one cell, either may be None."""
    cell = getattr(row, name)
    estimate = reported = None
    if cell.estimate is not None:
        s = cell.estimate
        estimate = summary_range(s.p50, s.p05, s.p95, s.unit, lang)
    if cell.reported is not None:
        r = cell.reported
        value = number(r.value, r.unit, lang)
        if r.low is not None and r.high is not None:
            value = f"{number(r.low, r.unit, lang)}–{number(r.high, r.unit, lang)}"
        reported = (f"{t('cell.reported', lang)} {value}", r.basis)
    return estimate, reported


def _cell(row: SeedRow, name: str, lang: str) -> str:
    estimate, reported = cell_parts(row, name, lang)
    parts = [f"{estimate} {_mark('estimate', lang)}"] if estimate else []
    if reported:
        parts.append(f"{reported[0]} {_mark(reported[1], lang)}")
    return "; ".join(parts) or t("cell.na", lang)


def _accelerator(row: SeedRow, lang: str) -> str:
    count = t("cell.na", lang)
    if row.n_gpus.estimate is not None:
        s = row.n_gpus.estimate
        count = f"{summary_range(s.p50, s.p05, s.p95, '', lang)} {_mark(row.n_gpus_basis, lang)}"
    return f"{row.accelerator_name} {_mark(row.accelerator_basis, lang)} × {count}"


def text_rows(table: SeedTable, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """Headers and string cells of the table, in ``lang``."""
    headers = [t(c, lang) for c in COLUMNS]
    rows = []
    for row in table.rows:
        cells = [row.name, _accelerator(row, lang)]
        cells += [_cell(row, f, lang) for f in CELL_FIELDS[:5]]
        replica = _cell(row, "inference_hardware_cost_usd", lang)
        cells.append(
            f"{row.inference_gpus_per_replica} × {row.accelerator} ({row.inference_dtype}): {replica}"
        )
        cells += [_cell(row, f, lang) for f in CELL_FIELDS[6:]]
        rows.append(cells)
    return headers, rows


def row_sources(row: SeedRow) -> list[str]:
    ids = {row.accelerator_source}
    for name in ("n_gpus", *CELL_FIELDS):
        cell = getattr(row, name)
        ids.update(cell.sources)
        if cell.reported is not None:
            ids.add(cell.reported.source)
    return sorted(ids)


def markdown(table: SeedTable, lang: str = "en") -> str:
    """The table, the explanation of training vs inference and the scopes, as Markdown."""
    headers, rows = text_rows(table, lang)
    esc = [[c.replace("|", "\\|") for c in r] for r in rows]
    lines = [f"# {t('report.title', lang)}", "", t("report.intro", lang), ""]
    lines += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in esc]
    lines += ["", f"## {t('col.sources', lang)}", ""]
    for row in table.rows:
        scope = f" — {row.reported_scope}" if row.reported_scope else ""
        lines.append(f"- **{row.name}**: {', '.join(row_sources(row))}{scope}")
        if row.disclosure:
            lines.append(f"  - {row.disclosure}")
    lines += ["", t("scope.note", lang), ""]
    if table.claims:
        lines += [claims_markdown(table.claims, lang)]
    lines += [f"## {t('explain.title', lang)}", ""]
    lines += [p + "\n" for p in t("explain.body", lang).split("\n")]
    lines.append(
        t(
            "footer",
            lang,
            version=__version__,
            n_sources=table.n_sources,
            samples=table.samples,
            seed=table.seed,
        )
    )
    return "\n".join(lines) + "\n"


def csv_text(table: SeedTable) -> str:
    """Machine-readable CSV: one row per model and quantity, with p05/p50/p95, reported value and sources."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        [
            "model",
            "quantity",
            "unit",
            "p05",
            "p50",
            "p95",
            "reported",
            "reported_low",
            "reported_high",
            "reported_basis",
            "reported_source",
            "sources",
        ]
    )
    for row in table.rows:
        for name in ("n_gpus", *CELL_FIELDS):
            cell = getattr(row, name)
            s, r = cell.estimate, cell.reported
            writer.writerow(
                [
                    row.model,
                    name,
                    s.unit if s else (r.unit if r else ""),
                    *(f"{v:.6g}" for v in ((s.p05, s.p50, s.p95) if s else ())),
                    *([""] * 3 if s is None else []),
                    f"{r.value:.6g}" if r else "",
                    f"{r.low:.6g}" if r and r.low is not None else "",
                    f"{r.high:.6g}" if r and r.high is not None else "",
                    r.basis if r else "",
                    r.source if r else "",
                    " ".join(cell.sources),
                ]
            )
    return buf.getvalue()
