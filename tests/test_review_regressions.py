"""Regressions found in review: every bad input is one line with exit 2, never a wrong number."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from conftest import CliRun
from costlm import api
from costlm.errors import CatalogError, InputError
from costlm.report import claims, page
from costlm.report.seed import csv_text
from costlm.resolve.hfconfig import parse_config
from costlm.units import parse_number

LLAMA = json.loads((Path(__file__).parent / "data" / "llama-3-8b.json").read_text())
MIXTRAL = json.loads((Path(__file__).parent / "data" / "mixtral-8x7b.json").read_text())
DSV3 = json.loads((Path(__file__).parent / "data" / "deepseek-v3.json").read_text())


@pytest.mark.parametrize(
    ("text", "message"), [("1.2.3", "cannot read"), ("2,5", "has a comma"), ("7,5B", "has a comma")]
)
def test_ambiguous_numbers_are_rejected(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_number(text)


@pytest.mark.parametrize(
    ("base", "change", "message"),
    [
        (LLAMA, {"max_position_embeddings": 8192.5}, "'max_position_embeddings' must be a positive integer"),
        (LLAMA, {"sliding_window": "abc"}, "'sliding_window' must be a positive integer"),
        (LLAMA, {"tie_word_embeddings": "false"}, "must be true or false"),
        (MIXTRAL, {"num_local_experts": "8"}, "'num_local_experts' must be a positive integer"),
        (MIXTRAL, {"num_experts_per_tok": 16}, "exceeds the 8 experts"),
        (DSV3, {"first_k_dense_replace": 100}, "exceeds num_hidden_layers"),
        (DSV3, {"moe_intermediate_size": -2048}, "'moe_intermediate_size' must be a positive integer"),
    ],
)
def test_bad_config_fields_are_named(
    base: dict[str, object], change: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        parse_config({**base, **change}, "config.json")


def test_qwen_moe_experts_are_counted() -> None:
    qwen_moe = {
        **LLAMA,
        "num_experts": 60,
        "num_experts_per_tok": 4,
        "moe_intermediate_size": 1408,
        "shared_expert_intermediate_size": 5632,
        "hidden_size": 2048,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "num_hidden_layers": 24,
        "vocab_size": 151936,
        "intermediate_size": 5632,
    }
    parsed = parse_config(qwen_moe, "qwen1.5-moe.json")
    assert parsed.architecture.n_experts == 60
    assert parsed.n_params == pytest.approx(14.3e9, rel=0.05)  # Qwen1.5-MoE-A2.7B: 14.3B total
    assert parsed.n_active_params == pytest.approx(2.7e9, rel=0.12)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "deepseek-v3", "--seed", "-1"],
        ["train", "--params", "1.2.3", "--tokens", "2T", "--gpu", "h100", "--n-gpus", "8"],
        [
            "train",
            "--params",
            "7B",
            "--active-params",
            "14B",
            "--tokens",
            "2T",
            "--gpu",
            "h100",
            "--n-gpus",
            "8",
        ],
        ["train", "--params", "7B", "--tokens", "2T", "--gpu", "h100", "--n-gpus", "99999999999"],
        ["train", "--params", "7B", "--tokens", "2T", "--gpu", "h100", "--n-gpus", "8", "--days", "30"],
        ["train", "--n-gpus", "abc"],
        ["train", "--bogus"],
        ["catalog", "show"],
        ["serve", "llama-3.1-405b", "--n-gpus", "4"],
        ["serve", "llama-3-8b", "--peak-factor", "0.5"],
    ],
)
def test_bad_cli_input_is_one_line_exit_2(cli: CliRun, argv: list[str]) -> None:
    code, _, err = cli(argv)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "internal error" not in err and "Traceback" not in err


def test_spanish_locale_with_bad_lang_is_one_line(cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "es_EC.UTF-8")
    code, _, err = cli(["train", "--lang", "xx", "deepseek-v3"])
    assert code == 2 and "idioma desconocido 'xx'" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("accelerator = 5\n", "'accelerator' must be an array of tables"),
        ("defaults = 5\n", "'defaults' must be a table"),
        ("mfu_prior = 5\n", "'mfu_prior' must be an array of tables"),
    ],
)
def test_malformed_overlays(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "overlay.toml"
    path.write_text(text)
    with pytest.raises(CatalogError, match=message):
        api.check_catalog([path])


CLAIM = """[[claim]]
id = "x"
subject = "qwen2.5-72b"
quantity = "kv_cache_reduction"
value = 10
unit = "percent"
scope = "architecture"
context = {{ baseline_model = "llama-2-70b"{extra} }}
origin = {{ document = "d", publisher = "p", date = "2026" }}
paraphrase_en = "x"
paraphrase_es = "x"
"""


def test_claims_edge_cases(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(CLAIM.format(extra=""))
    [same_size] = api.check_claims(file=path, samples=100)  # same KV size: 0% reduction, no division by zero
    assert same_size.verdict == "too_high" and same_size.factor is None
    path.write_text(CLAIM.format(extra=", kv_bits = 1000"))
    with pytest.raises(CatalogError, match="kv_bits"):
        api.check_claims(file=path, samples=100)
    path.write_text(CLAIM.format(extra="").replace("value = 10", "value = inf"))
    with pytest.raises(CatalogError, match="finite"):
        api.check_claims(file=path, samples=100)
    path.write_text("claim = 5\n")
    with pytest.raises(CatalogError, match="array of tables"):
        api.check_claims(file=path, samples=100)


def test_unestimable_claim_is_unverifiable_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    text = CLAIM.format(extra="").replace('quantity = "kv_cache_reduction"', 'quantity = "training_cost_usd"')
    path.write_text(
        text.replace('unit = "percent"', 'unit = "USD"').replace(
            'subject = "qwen2.5-72b"', 'subject = "deepseek-v2"'
        )
    )
    [result] = api.check_claims(file=path, samples=100)
    assert result.verdict == "unverifiable" and any(
        "no estimate possible" in line for line in claims.trail(result, "en")
    )


def test_report_exports_and_plots(tmp_path: Path, cli: CliRun) -> None:
    code, _, err = cli(
        [
            "report",
            "--models",
            "gpt-4,gpt-3-175b",
            "--format",
            "md,md,csv",
            "--samples",
            "50",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0, err
    rows = {
        (r["model"], r["quantity"]): r
        for r in csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text()))
    }
    days = rows[("gpt-4", "training_days")]
    assert (float(days["reported_low"]), float(days["reported_high"])) == (90.0, 100.0)
    data = api.report_data(["gpt-3-175b"], samples=50, seed=0)
    assert data.table.focus is None
    html = page.render(data, "en")
    assert (
        html.count("<svg") == 3 + 2
    )  # no empty tornado/distribution without enough samples; + the Plan's two
    assert data.table.rows[0].inference_dtype == "fp16"  # V100 has no bf16


def test_csv_units_for_token_prices() -> None:
    table = api.seed_report(["llama-3-70b"], samples=100)
    rows = list(csv.DictReader(io.StringIO(csv_text(table))))
    price = next(r for r in rows if r["quantity"] == "inference_usd_per_million_output_tokens")
    assert price["unit"] == "USD/1M tokens"
