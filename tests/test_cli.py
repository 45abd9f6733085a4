"""The CLI through its real entry point: JSON equals the API, errors are one line with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import CliRun
from costlm import api


def test_train_json_equals_api(cli: CliRun) -> None:
    code, out, _ = cli(["train", "deepseek-v3", "--samples", "2000", "--json"])
    assert code == 0
    direct = api.estimate_training(api.make_training_request(model="deepseek-v3", samples=2000, seed=0))
    assert json.loads(out) == direct.model_dump(mode="json")
    for name in ("train_flop", "gpu_hours", "wall_clock_days", "hardware_cost_usd", "energy_mwh", "co2_t"):
        assert set(json.loads(out)[name]) == {"p05", "p50", "p95", "mean", "unit"}


def test_train_explicit_inputs_with_suffixes(cli: CliRun) -> None:
    argv = [
        "train",
        "--params",
        "7B",
        "--tokens",
        "2T",
        "--gpu",
        "A100",
        "--n-gpus",
        "2048",
        "--mfu",
        "0.4..0.5",
        "--json",
    ]
    code, out, _ = cli(argv)
    assert code == 0
    assert json.loads(out)["train_flop"]["p50"] == pytest.approx(8.4e22)


def test_train_table_in_spanish(cli: CliRun) -> None:
    code, out, _ = cli(["train", "llama-2-70b", "--samples", "1000", "--lang", "es"])
    assert code == 0
    assert "Horas de GPU" in out and "Estimación de entrenamiento" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "gpt-5"], "unknown model 'gpt-5'"),
        (
            ["train", "--params", "7B", "--tokens", "2T", "--gpu", "h10", "--n-gpus", "8"],
            "unknown accelerator 'h10'; did you mean",
        ),
        (
            ["train", "--params", "-7", "--tokens", "2T", "--gpu", "h100", "--n-gpus", "8"],
            "must be greater than 0",
        ),
        (
            ["train", "--params", "nan", "--tokens", "2T", "--gpu", "h100", "--n-gpus", "8"],
            "cannot read 'nan'",
        ),
        (["train", "--params", "1e40", "--tokens", "2T", "--gpu", "h100", "--n-gpus", "8"], "absurdly large"),
        (
            [
                "train",
                "--params",
                "7B",
                "--tokens",
                "2T",
                "--gpu",
                "h100",
                "--n-gpus",
                "8",
                "--mfu",
                "0.5..0.3",
            ],
            "greater than high",
        ),
        (
            [
                "train",
                "--params",
                "7B",
                "--tokens",
                "2T",
                "--gpu",
                "h100",
                "--n-gpus",
                "8",
                "--mfu",
                "0..1.2",
            ],
            "greater than 0",
        ),
        (
            [
                "train",
                "--params",
                "7B",
                "--tokens",
                "2T",
                "--gpu",
                "h100",
                "--n-gpus",
                "8",
                "--mfu",
                "0.3..1.2",
            ],
            "fraction",
        ),
        (["train", "deepseek-v3", "--lang", "fr"], "unknown language 'fr'"),
        (["report", "--models", "gpt-4,nope"], "unknown model 'nope'"),
        (["catalog", "show", "h10"], "unknown catalog entry 'h10'"),
        (["catalog", "list", "gpus"], "unknown catalog table 'gpus'"),
        (["catalog", "check", "/nonexistent.toml"], "no such catalog file"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv: list[str], message: str, cli: CliRun) -> None:
    code, out, err = cli(argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err + out


def test_catalog_overlay_overrides_and_bad_overlay_fails(tmp_path: Path, cli: CliRun) -> None:
    good = tmp_path / "mine.toml"
    good.write_text(
        '[[source]]\nid = "my-quote"\ntitle = "Vendor quote"\npublisher = "Me"\nkind = "docs"\n'
        'date = "2026"\n'
        'url = "https://example.org/quote"\n\n'
        '[[run]]\nid = "my-run"\nname = "My run"\norganization = "Me"\nyear = 2026\nkind = "pretrain"\n'
        'source_kind = "official"\nscope = "final run"\nhardware = "h100-sxm"\n'
        'gpu_hours = { value = 1000, source = "my-quote", locator = "p. 1" }\n'
    )
    code, out, err = cli(["catalog", "check", str(good)])
    assert code == 0 and "ok" in out, err
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace("gpu_hours", "gpu_hourz"))
    code, _, err = cli(["catalog", "check", str(bad)])
    assert code == 2 and "bad.toml: run 'my-run': field 'gpu_hourz': unknown field" in err
    missing = tmp_path / "missing.toml"
    missing.write_text(good.read_text().replace('source = "my-quote"', 'source = "nobody"'))
    code, _, err = cli(["catalog", "check", str(missing)])
    assert code == 2 and "unknown source 'nobody'" in err


def test_help_lists_commands(cli: CliRun) -> None:
    code, out, _ = cli(["--help"])
    assert code == 0
    for command in ("train", "report", "catalog"):
        assert command in out
