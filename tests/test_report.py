"""The seed table: nine default rows, files in three formats that carry the same numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from conftest import CliRun
from costlm import api
from costlm.report.seed import csv_text, markdown, text_rows


@pytest.fixture(scope="module")
def table() -> api.SeedTable:
    return api.seed_report(samples=2000, seed=0)


def test_default_rows(table: api.SeedTable) -> None:
    assert [r.model for r in table.rows] == list(api.DEFAULT_MODELS)
    for row in table.rows:
        assert row.training_days.estimate is not None
        assert row.training_energy_mwh.estimate is not None
        assert row.inference_gpus_per_replica >= 1


def test_reported_figures_sit_beside_estimates(table: api.SeedTable) -> None:
    rows = {r.model: r for r in table.rows}
    deepseek = rows["deepseek-v3"]
    assert deepseek.training_rental_cost_usd.reported is not None
    assert deepseek.training_rental_cost_usd.reported.value == 5_576_000
    assert deepseek.accelerator == "h800" and deepseek.n_gpus.estimate is not None
    assert deepseek.n_gpus.estimate.p50 == 2048
    assert rows["claude-3-opus"].accelerator_basis == "estimate"  # Anthropic published no hardware
    assert rows["gpt-4"].n_gpus_basis == "third-party"


def test_inference_replica_from_weight_memory(table: api.SeedTable) -> None:
    rows = {r.model: r for r in table.rows}
    # DeepSeek-V3 in fp8: 671 GB x 1.2 overhead / 80 GB = 10.1 -> 16 GPUs (power of two).
    assert rows["deepseek-v3"].inference_dtype == "fp8"
    assert rows["deepseek-v3"].inference_gpus_per_replica == 16
    # Llama 3 70B in bf16: 141 GB x 1.2 / 80 GB = 2.1 -> 4 GPUs.
    assert rows["llama-3-70b"].inference_gpus_per_replica == 4


def test_csv_and_json_carry_the_same_numbers(table: api.SeedTable, tmp_path: Path) -> None:
    doc = table.model_dump(mode="json")
    rows = list(csv.DictReader(io.StringIO(csv_text(table))))
    assert len(rows) == 11 * len(table.rows)  # n_gpus + the ten cells
    by_model = {r["model"]: r for r in doc["rows"]}
    for line in rows:
        est = by_model[line["model"]][line["quantity"]]["estimate"]
        if est is None:
            assert line["p50"] == ""
        else:
            assert float(line["p50"]) == pytest.approx(est["p50"], rel=1e-5)
            assert float(line["p05"]) == pytest.approx(est["p05"], rel=1e-5)


def test_markdown_has_table_sources_and_explanation(table: api.SeedTable) -> None:
    md = markdown(table, "en")
    for row in table.rows:
        assert f"| {row.name} |" in md
    assert "Training vs inference" in md and "deepseek-v3-report" in md
    es = markdown(table, "es")
    assert "Entrenamiento frente a inferencia" in es and "Tiempo de entrenamiento" in es
    assert csv_text(table).startswith("model,quantity,unit,p05,p50,p95")


def test_spanish_numbers_use_decimal_comma(table: api.SeedTable) -> None:
    _, rows = text_rows(table, "es")
    days = rows[api.DEFAULT_MODELS.index("deepseek-v3")][4]
    assert "," in days and "." not in days.split(" ")[0]


def test_cli_report_writes_files(tmp_path: Path, cli: CliRun) -> None:
    code, out, err = cli(
        ["report", "--models", "llama-2-70b,DeepSeek-V3", "--samples", "500", "--out", str(tmp_path)]
    )
    assert code == 0, err
    assert {p.name for p in tmp_path.iterdir()} == {
        "index.html",
        "report.md",
        "report.csv",
        "report.json",
        "report.xlsx",
        "report.tex",
    }
    assert "Llama 2 70B" in out


def test_cli_report_unwritable_dir_is_one_line(tmp_path: Path, cli: CliRun) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = cli(["report", "--samples", "200", "--out", str(blocker / "sub")])
    assert code == 2 and "cannot write" in err and len(err.strip().splitlines()) == 1
