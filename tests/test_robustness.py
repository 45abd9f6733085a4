"""Crash paths found by fuzzing (issue 8, section 6): every bad input ends in exit code 2 and one
line on stderr, never an internal error, a traceback or a hang."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CliRun
from costlm.errors import UnknownIdError

SOURCE = (
    '[[source]]\nid = "my-quote"\ntitle = "Vendor quote"\npublisher = "Me"\nkind = "docs"\n'
    'date = "2026"\nurl = "https://example.org/quote"\n\n'
)
ACCELERATOR = (
    '[[accelerator]]\nid = "my-gpu"\nname = "My GPU"\nvendor = "Me"\nyear = 2026\n'
    'generation = "hopper"\nkind = "gpu"\n'
    'memory_gb = { value = 80, source = "my-quote", locator = "p. 1" }\n'
    'hbm_tb_per_s = { value = 3, source = "my-quote", locator = "p. 1" }\n'
    'peak_bf16_dense_tflop_per_s = { value = 900, source = "my-quote", locator = "p. 1" }\n'
    'purchase_usd = { value = 30000, source = "my-quote", locator = "p. 1" }\n\n'
)
RUN = (
    '[[run]]\nid = "my-run"\nname = "My run"\norganization = "Me"\nyear = 2026\nkind = "pretrain"\n'
    'source_kind = "official"\nscope = "final run"\nhardware = "h100-sxm"\nmodel = "llama-2-7b"\n'
    'gpu_hours = { value = 1000, source = "my-quote", locator = "p. 1" }\n\n'
)
CLAIM = (
    '[[claim]]\nid = "mine"\nsubject = "llama-3-70b"\nquantity = "n_gpus"\nvalue = 100\nunit = "GPUs"\n'
    'scope = "final-run"\ncontext = { gpu = "h100" }\n'
    'origin = { document = "d", publisher = "p", date = "2026" }\n'
    'paraphrase_en = "x"\nparaphrase_es = "x"\n'
)


def assert_one_line_exit_2(code: int, out: str, err: str) -> str:
    """The contract of every bad input: exit 2, one non-empty stderr line, no internal error."""
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].strip(), err
    assert "internal error" not in err and "Traceback" not in err + out
    return lines[0]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- 1. near-miss ids in overlays and claims files ---------------------------------------------


def test_valid_overlay_and_claims_file_pass(cli: CliRun, tmp_path: Path) -> None:
    overlay = write(tmp_path, "mine.toml", SOURCE + ACCELERATOR + RUN)
    code, out, err = cli(["catalog", "check", str(overlay)])
    assert code == 0 and "ok" in out, err
    claims = write(tmp_path, "claims.toml", CLAIM)
    code, out, err = cli(["check", "--file", str(claims), "--samples", "200"])
    assert code == 0 and "mine" in out, err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            SOURCE
            + ACCELERATOR.replace('value = 30000, source = "my-quote"', 'value = 30000, source = "my-quot"'),
            "mine.toml: accelerator 'my-gpu': unknown source 'my-quot'; did you mean my-quote?",
        ),
        (
            SOURCE + RUN.replace('hardware = "h100-sxm"', 'hardware = "h10"'),
            "mine.toml: run 'my-run': unknown accelerator 'h10'; did you mean h100-sxm",
        ),
        (
            SOURCE + RUN.replace('model = "llama-2-7b"', 'model = "llama-2-7"'),
            "mine.toml: run 'my-run': unknown model 'llama-2-7'; did you mean llama-2-7b",
        ),
    ],
)
def test_near_miss_id_in_overlay_is_a_hint(cli: CliRun, tmp_path: Path, text: str, message: str) -> None:
    overlay = write(tmp_path, "mine.toml", text)
    for argv in (["catalog", "check", str(overlay)], ["train", "llama-2-7b", "--catalog", str(overlay)]):
        line = assert_one_line_exit_2(*cli([*argv, "--samples", "10"] if argv[0] == "train" else argv))
        assert message in line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'gpu = "h100"',
            'gpu = "h10"',
            "claim 'mine': field 'context.gpu': unknown accelerator 'h10'; did you mean h100-sxm",
        ),
        (
            'subject = "llama-3-70b"',
            'subject = "llama-3-7b"',
            "claim 'mine': field 'subject': unknown model or accelerator 'llama-3-7b'; did you mean",
        ),
        (
            'context = { gpu = "h100" }',
            'context = { fleet = [{ gpu = "a10", n_gpus = 8 }] }',
            "claim 'mine': field 'context.gpu': unknown accelerator 'a10'; did you mean a10g",
        ),
    ],
)
def test_near_miss_id_in_claims_file_is_a_hint(
    cli: CliRun, tmp_path: Path, old: str, new: str, message: str
) -> None:
    claims = write(tmp_path, "claims.toml", CLAIM.replace(old, new))
    line = assert_one_line_exit_2(*cli(["check", "--file", str(claims), "--samples", "10"]))
    assert f"claims.toml: {message}" in line


def test_grid_region_near_miss(cli: CliRun) -> None:
    line = assert_one_line_exit_2(*cli(["train", "llama-3-70b", "--grid", "franc", "--samples", "10"]))
    assert "unknown grid region 'franc'; did you mean france" in line


def test_unknown_id_hint_lists_ids_never_entries() -> None:
    from costlm import api

    catalog = api.load_catalog()
    for table in (catalog.accelerators, catalog.models, catalog.sources, catalog.grid):
        error = UnknownIdError("thing", "h10", table)  # a catalog table: id -> entry
        close = str(error.values["close"])
        assert "=" not in str(error) and all(name in table for name in close.split(", ") if name)
    assert UnknownIdError("x", "h10", catalog.accelerators).values["close"] == "h20, h800, h200"
    assert str(UnknownIdError("x", "h1" + "0" * 5000, ["h100"])).count("0") < 100  # long names cut
