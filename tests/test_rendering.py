"""Terminal output fits 80 and 120 columns and never splits a number across lines.

Each test renders through the real entry point with COLUMNS set (as a terminal of that width
would), then checks two things: no line is wider than the terminal, and every number the
result formats (each p05/p50/p95, range and reported figure) appears as one whole word on
one line, so "$437M" never becomes "$437" + "M" and "Infe/renc/e" never happens to a figure.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from conftest import CliRun
from costlm import api
from costlm.outputs import FLEET_OUTPUTS, SERVING_OUTPUTS, TRAINING_OUTPUTS
from costlm.report.claims import claimed_text, evidence_text
from costlm.report.fmt import row_scale, scaled, summary_range
from costlm.report.seed import accelerator_text, card_rows
from costlm.report.terminal import print_seed_table

WIDTHS = (80, 120)
BORDERS = str.maketrans(dict.fromkeys("│┃║", " "))
SAMPLES = "400"


def _numeric_words(texts: Iterable[str]) -> set[str]:
    """The words of ``texts`` that carry a digit: the tokens that must never be split."""
    return {w for text in texts for w in text.split() if any(ch.isdigit() for ch in w)}


def assert_fits(text: str, width: int, numbers: set[str]) -> None:
    lines = text.splitlines()
    wide = [(cell_len(line), line) for line in lines if cell_len(line) > width]
    assert not wide, wide[:3]
    words = {w for line in lines for w in line.translate(BORDERS).split()}
    missing = sorted(numbers - words)
    assert numbers and not missing, missing[:10]


def _row_numbers(s: api.Summary) -> list[str]:
    scale = row_scale(s.unit, s.p50, (s.p05, s.p95))
    return [scaled(v, scale) for v in (s.p05, s.p50, s.p95)]


@pytest.fixture
def at_width(cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> CliRun:
    """The CLI with its terminal width taken from COLUMNS (set by each test)."""
    monkeypatch.delenv("CI", raising=False)
    return cli


@pytest.mark.parametrize("width", WIDTHS)
def test_train_fits(width: int, at_width: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["train", "deepseek-v3", "--samples", SAMPLES]
    code, doc, _ = at_width([*argv, "--json"])
    result = api.TrainingResult.model_validate(json.loads(doc))
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, err = at_width(argv)
    assert code == 0, err
    numbers = {n for out in TRAINING_OUTPUTS if (s := getattr(result, out.name)) for n in _row_numbers(s)}
    numbers |= {"2.79M", "$5.58M"}  # DeepSeek's reported GPU-hours and cost, in the rows' units
    assert_fits(out, width, numbers)
    assert "GWh" in out and "2.05k" in out


@pytest.mark.parametrize("width", WIDTHS)
def test_train_in_minutes_fits(width: int, at_width: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["train", "s1-32b", "--samples", SAMPLES, "--lang", "es"]
    code, doc, _ = at_width([*argv, "--json"])
    result = api.TrainingResult.model_validate(json.loads(doc))
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, err = at_width(argv)
    assert code == 0, err
    numbers = {
        n.replace(".", ",")
        for out in TRAINING_OUTPUTS
        if (s := getattr(result, out.name))
        for n in _row_numbers(s)
    }
    assert_fits(out, width, numbers)
    time_row = next(line for line in out.splitlines() if "Tiempo real" in line)
    assert " min " in time_row and "[R*]" in time_row  # 0.0162 days reads as ~23 min, reported 26 min


@pytest.mark.parametrize("width", WIDTHS)
def test_serve_fits(width: int, at_width: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["serve", "llama-3-70b", "--tokens-per-day", "1e9", "--samples", SAMPLES]
    code, doc, _ = at_width([*argv, "--json"])
    result = api.ServeResult.model_validate(json.loads(doc))
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, err = at_width(argv)
    assert code == 0, err
    numbers = {n for out in SERVING_OUTPUTS if (s := getattr(result, out.name)) for n in _row_numbers(s)}
    assert result.fleet is not None
    numbers |= {n for out in FLEET_OUTPUTS if (s := getattr(result.fleet, out.name)) for n in _row_numbers(s)}
    numbers |= {"$0.79/1M", "$3.5/1M"}  # API list prices on the break-even lines
    assert_fits(out, width, numbers)
    assert " ms " in out and " kW " in out  # TTFT ~114 ms, replica power ~4.4 kW


@pytest.mark.parametrize("width", WIDTHS)
def test_check_fits(width: int, at_width: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["check", "s000-deepseek-v3-training-energy", "s001-deepseek-v3-cost", "s003-gpt3-training-cost"]
    argv += ["--samples", SAMPLES]
    code, doc, _ = at_width([*argv, "--json"])
    results = [api.ClaimResult.model_validate(d) for d in json.loads(doc)]
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, err = at_width(argv)
    assert code == 0, err
    numbers = _numeric_words(claimed_text(r, "en") for r in results)
    numbers |= _numeric_words(evidence_text(r, "en") for r in results)
    numbers |= {f"{r.factor:.2g}×" for r in results if r.factor}
    assert_fits(out, width, numbers)


def _seed_numbers(table: api.SeedTable, lang: str) -> set[str]:
    cells = [c for row in table.rows for line in card_rows(row, lang) for c in line[1:]]
    return _numeric_words(cells + [accelerator_text(row, lang) for row in table.rows])


@pytest.mark.parametrize("width", WIDTHS)
def test_report_fits(width: int, at_width: CliRun, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    argv = ["report", "--models", "gpt-4,deepseek-v3,gpt-2-1.5b,s1-32b", "--samples", SAMPLES]
    code, doc, _ = at_width([*argv, "--json"])
    data = api.ReportData.model_validate(json.loads(doc))
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, err = at_width([*argv, "--format", "md", "--out", str(tmp_path)])
    assert code == 0, err
    assert_fits(out, width, _seed_numbers(data.table, "en"))
    for header in ("Quantity", "Estimate [E]: p50 (p05–p95)", "Reported"):
        assert header in out  # headers whole, never "Infe/renc/e"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_seed_cards_fit_in_both_languages(width: int, lang: str) -> None:
    table = api.seed_report(samples=300, seed=0)
    console = Console(width=width, record=True, file=io.StringIO())
    print_seed_table(console, table.model_copy(update={"claims": []}), lang)
    assert_fits(console.export_text(), width, _seed_numbers(table, lang))


def test_seed_cells_carry_human_units() -> None:
    table = api.seed_report(["s1-32b", "deepseek-v3"], samples=300, seed=0)
    s1, deepseek = ({label: (est, rep) for label, est, rep in card_rows(row, "en")} for row in table.rows)
    days = s1["Training time"]
    assert days[0].endswith(" min") and days[1].endswith(" min [R*]")
    assert s1["Training energy"][0].endswith(" kWh") and s1["Training avg. power"][0].endswith(" kW")
    assert deepseek["Training energy"][0].endswith(" GWh") and deepseek["Training time"][0].endswith(" days")
    s = deepseek_row = table.rows[1]
    assert deepseek_row.n_gpus.estimate is not None
    assert summary_range(2048, 2048, 2048) in accelerator_text(s, "en")


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("kind", ["accelerators", "models", "runs", "sources", "grid"])
def test_catalog_list_keeps_ids_whole(kind: str, width: int) -> None:
    from rich.console import Console

    from costlm.report.terminal import print_entries

    entries = api.catalog_entries(kind)  # type: ignore[arg-type]
    console = Console(width=width, record=True, highlight=False)
    print_entries(console, kind, entries)
    lines = console.export_text().splitlines()
    assert all(len(line) <= width for line in lines)
    for entry in entries:
        assert any(f" {entry['id']} " in line for line in lines), entry["id"]


@pytest.mark.parametrize("width", [80, 120])
def test_check_table_keeps_claim_ids_whole(width: int) -> None:
    from rich.console import Console

    from costlm.report.claims import print_claims

    results = api.check_claims(samples=200)
    console = Console(width=width, record=True, highlight=False)
    print_claims(console, results, "en")
    lines = console.export_text().splitlines()
    assert all(len(line) <= width for line in lines)
    for r in results:
        assert any(f" {r.id} " in line for line in lines), r.id
