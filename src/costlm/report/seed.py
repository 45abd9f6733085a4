"""The seed table as text rows, Markdown, CSV and JSON."""

from __future__ import annotations

import csv
import io
import math

from costlm import __version__
from costlm.api import SeedRow, SeedTable
from costlm.i18n import t
from costlm.report.claims import markdown as claims_markdown
from costlm.report.fmt import (
    Figure,
    Scale,
    convert,
    in_lang,
    row_scale,
    scaled,
    scaled_range,
    scaled_unit,
    summary_range,
)

COLUMNS = (
    "col.model",
    "col.accelerator",
    "col.training_gpu_hours",
    "col.train_hw_cost",
    "col.train_rental",
    "col.training_time",
    "col.training_energy",
    "col.training_power",
    "col.infer_hw",
    "col.inference_power",
    "col.inference_j",
    "col.infer_usd",
)
"""Column headers carry no unit: each cell writes its own human unit (minutes or days, kWh or GWh)."""
CELL_FIELDS = (
    "training_gpu_hours",
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
REPLICA_FIELD = "inference_hardware_cost_usd"


def _mark(basis: str, lang: str) -> str:
    return f"[{t('mark.' + basis, lang)}]"


def _reported_text(r: Figure, unit: str, scale: Scale, lang: str) -> str:
    """The reported value (or low–high) in the row's scale, converted from its own unit if need be."""
    values = [r.value] if r.low is None or r.high is None else [r.low, r.high]
    shared = [convert(v, r.unit, unit) for v in values]
    if any(v is None for v in shared):  # another kind of unit: the figure gets its own scale
        own = row_scale(r.unit, r.value, values)
        return _with_unit("–".join(scaled(v, own, lang) for v in values), own, lang)
    return _with_unit("–".join(scaled(v, scale, lang) for v in shared if v is not None), scale, lang)


def _with_unit(text: str, scale: Scale, lang: str) -> str:
    unit = scaled_unit(scale, lang)
    return f"{text} {unit}" if unit and not scale.dollar else text


def cell_values(row: SeedRow, name: str, lang: str) -> tuple[str | None, str | None, str | None]:
    """(estimate, reported value, reported basis) of one cell in one shared unit; each may be None."""
    cell = getattr(row, name)
    s, r = cell.estimate, cell.reported
    if s is None:
        if r is None:
            return None, None, None
        return None, _reported_text(r, r.unit, row_scale(r.unit, r.value, _figures(r)), lang), r.basis
    scale = row_scale(s.unit, s.p50, [s.p05, s.p95, *(_figures(r) if r and r.unit == s.unit else [])])
    estimate = scaled_range(s.p50, s.p05, s.p95, scale, lang)
    if cell.price_tier:
        estimate = f"{estimate} · {t('tier.' + cell.price_tier, lang)}"
    if r is None:
        return estimate, None, None
    return estimate, _reported_text(r, s.unit, scale, lang), r.basis


def _restates(p05: float, p95: float, reported: float, same_unit: bool) -> bool:
    """Whether an estimate is exactly the reported figure (no spread, same value)."""
    return same_unit and math.isclose(p05, p95) and math.isclose(p05, reported, rel_tol=1e-9)


def _figures(r: Figure) -> list[float]:
    return [v for v in (r.value, r.low, r.high) if v is not None]


def cell_parts(row: SeedRow, name: str, lang: str) -> tuple[str | None, tuple[str, str] | None]:
    """(estimate text, (reported text, reported basis)) of one cell, either may be None; an estimate
    that only restates the reported figure (it started from it) is left out."""
    estimate, reported, basis = cell_values(row, name, lang)
    if reported is None or basis is None:
        return estimate, None
    s, r = getattr(row, name).estimate, getattr(row, name).reported
    if s is not None and r is not None and _restates(s.p05, s.p95, r.value, s.unit == r.unit):
        return None, (f"{t('cell.reported', lang)} {reported}", basis)  # the estimate restates it
    return estimate, (f"{t('cell.reported', lang)} {reported}", basis)


LEADING_BASES = frozenset({"reported", "derived"})
"""A cell leads with its reported figure when the maker stated it ([R]) or it is arithmetic on the
maker's figures ([R*]); costlm's estimate follows it. Third-party figures follow the estimate."""


def _cell(row: SeedRow, name: str, lang: str) -> str:
    estimate, reported = cell_parts(row, name, lang)
    parts = [f"{estimate} {_mark('estimate', lang)}"] if estimate else []
    if reported:
        shown = f"{reported[0]} {_mark(reported[1], lang)}"
        parts.insert(0, shown) if reported[1] in LEADING_BASES else parts.append(shown)
    return "; ".join(parts) or t("cell.na", lang)


def accelerator_text(row: SeedRow, lang: str) -> str:
    """'NVIDIA H800 SXM5 80GB [R] × 2.05k [R]': the training accelerator and its count, with marks."""
    count = t("cell.na", lang)
    if row.n_gpus.estimate is not None:
        s = row.n_gpus.estimate
        count = f"{summary_range(s.p50, s.p05, s.p95, '', lang)} {_mark(row.n_gpus_basis, lang)}"
    return f"{row.accelerator_name} {_mark(row.accelerator_basis, lang)} × {count}"


def _replica(row: SeedRow, text: str) -> str:
    return f"{row.inference_gpus_per_replica} × {row.accelerator} ({row.inference_dtype}): {text}"


def text_rows(table: SeedTable, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """Headers and string cells of the table, in ``lang``."""
    headers = [t(c, lang) for c in COLUMNS]
    rows = []
    for row in table.rows:
        cells = [row.name, accelerator_text(row, lang)]
        cells += [
            _replica(row, _cell(row, f, lang)) if f == REPLICA_FIELD else _cell(row, f, lang)
            for f in CELL_FIELDS
        ]
        rows.append(cells)
    return headers, rows


def card_rows(row: SeedRow, lang: str) -> list[tuple[str, str, str]]:
    """One model as (quantity, estimate, reported with its mark) rows: the terminal's card."""
    lines = []
    for key, name in zip(COLUMNS[2:], CELL_FIELDS, strict=True):
        estimate, reported, basis = cell_values(row, name, lang)
        shown = estimate or t("cell.na", lang)
        if name == REPLICA_FIELD:
            shown = _replica(row, shown)
        lines.append((t(key, lang), shown, f"{reported} {_mark(basis, lang)}" if reported and basis else ""))
    return lines


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
        scoped = in_lang(row.reported_scope, row.reported_scope_es, lang)
        scope = f" — {scoped}" if scoped else ""
        lines.append(f"- **{row.name}**: {', '.join(row_sources(row))}{scope}")
        disclosure = in_lang(row.disclosure, row.disclosure_es, lang)
        if disclosure:
            lines.append(f"  - {disclosure}")
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
