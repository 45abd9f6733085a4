"""XLSX and LaTeX (booktabs) exports of the seed table, with the same numbers as the CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from costlm.api import SeedTable
from costlm.i18n import t
from costlm.report.seed import csv_text, row_sources, text_rows

_TEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\^{}",
}


def _tex(text: str) -> str:
    return "".join(_TEX_ESCAPES.get(ch, ch) for ch in text).replace("×", r"$\times$").replace("–", "--")


def latex(table: SeedTable, lang: str) -> str:
    """A booktabs table: one row per model, one column per quantity, ranges and marks as in Markdown."""
    headers, rows = text_rows(table, lang)
    headers = [*headers, t("col.sources", lang)]
    rows = [[*row, ", ".join(row_sources(r))] for row, r in zip(rows, table.rows, strict=True)]
    spec = "p{2.2cm}" + "p{2.6cm}" * (len(headers) - 1)
    lines = [
        "% costlm seed table; needs \\usepackage{booktabs} (and a landscape page or \\small)",
        r"\begin{tabular}{" + spec + "}",
        r"\toprule",
        " & ".join(_tex(h) for h in headers) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(_tex(c) for c in row) + r" \\" for row in rows]
    lines += [r"\bottomrule", r"\end{tabular}", "% " + _tex(t("report.intro", lang))]
    return "\n".join(lines) + "\n"


def write_xlsx(table: SeedTable, path: Path, lang: str) -> None:
    """Sheet 1: the table as text; sheet 2: the numbers (same rows and values as report.csv)."""
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "table"
    headers, rows = text_rows(table, lang)
    sheet.append([*headers, t("col.sources", lang)])
    for row, seed_row in zip(rows, table.rows, strict=True):
        sheet.append([*row, ", ".join(row_sources(seed_row))])
    numbers = wb.create_sheet("numbers")
    for i, line in enumerate(csv.reader(io.StringIO(csv_text(table)))):
        numbers.append([_number_or_text(v) if i else v for v in line])
    wb.save(path)


def _number_or_text(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value
