"""The report's files: self-contained HTML with every plot, XLSX and LaTeX with the same numbers,
Spanish throughout, atomic writes, and one-line errors."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from conftest import CliRun
from costlm import api
from costlm.report import exports, page
from costlm.report.files import FILE_NAMES, write_report
from costlm.report.seed import csv_text, text_rows

MODELS = ["llama-2-70b", "deepseek-v3", "gpt-4"]


@pytest.fixture(scope="module")
def data() -> api.ReportData:
    return api.report_data(MODELS, samples=400, seed=0)


def test_html_is_self_contained_with_every_section(data: api.ReportData) -> None:
    html = page.render(data, "en")
    for section in (
        "seed-table",
        "plots",
        "claims",
        "plan",
        "training-vs-inference",
        "methodology",
        "sources",
    ):
        assert f'id="{section}"' in html
    assert html.count("<svg") == 7
    plots = (
        "compute_vs_cost",
        "energy",
        "token_cost",
        "tornado",
        "distribution",
        "plan_cumulative",
        "plan_frontier",
    )
    for name in plots:
        assert f'id="plot-{name}"' in html
    assert not re.search(r'(src|href)="https?://', html.split('<section id="sources">')[0])  # nothing fetched
    assert "<script" not in html and "@import" not in html and "<link" not in html
    assert "400 Monte Carlo samples, seed 0" in html
    assert "Median |log10(predicted / reported)|" in html


def test_html_in_spanish(data: api.ReportData) -> None:
    es = api.report_data(MODELS, samples=400, seed=0)
    html = page.render(es, "es")
    assert 'lang="es"' in html and "Tabla resumen" in html and "Apéndice de metodología" in html
    assert "Entrenamiento frente a inferencia" in html


def test_xlsx_and_csv_carry_the_same_numbers(data: api.ReportData, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "r.xlsx"
    exports.write_xlsx(data.table, path, "en")
    sheet = load_workbook(path)["numbers"]
    xlsx_rows = [[c.value for c in row] for row in sheet.iter_rows()]
    csv_rows = list(csv.reader(io.StringIO(csv_text(data.table))))
    assert len(xlsx_rows) == len(csv_rows)
    for x, c in zip(xlsx_rows[1:], csv_rows[1:], strict=True):
        for xv, cv in zip(x, c, strict=True):
            if cv == "":
                assert xv in (None, "")
            else:
                assert (float(cv) == pytest.approx(xv)) if isinstance(xv, int | float) else (str(xv) == cv)


def test_latex_table_matches_the_markdown_cells(data: api.ReportData) -> None:
    tex = exports.latex(data.table, "en")
    assert tex.count(r"\toprule") == 1 and r"\bottomrule" in tex
    _, rows = text_rows(data.table, "en")
    for row in rows:
        first_number = row[2].split(" ")[0]  # e.g. "$264M": escaped as "\$264M"
        assert first_number.replace("$", r"\$") in tex


def test_formats_and_atomic_write(data: api.ReportData, tmp_path: Path) -> None:
    paths = write_report(data, tmp_path, "en", ["html", "tex"])
    assert {p.name for p in paths} == {FILE_NAMES["html"], FILE_NAMES["tex"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "report.tex"]  # no staging left


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--format", "html,pdf"], "unknown format 'pdf'"),
        (["report", "--lang", "fr"], "unknown language 'fr'"),
        (["report", "--models", "gpt-4,gpt-9"], "unknown model 'gpt-9'"),
    ],
)
def test_report_bad_options(cli: CliRun, argv: list[str], message: str) -> None:
    code, _, err = cli([*argv, "--samples", "100"])
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_unwritable_out_leaves_nothing(cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        code, _, err = cli(["report", "--models", "llama-2-70b", "--samples", "100", "--out", str(out)])
    finally:
        out.chmod(0o700)
    import os

    if os.geteuid() == 0:  # root ignores permissions; the path-under-a-file case is tested elsewhere
        return
    assert code == 2 and "cannot write" in err and list(out.iterdir()) == []
