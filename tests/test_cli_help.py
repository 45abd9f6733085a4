"""Help that helps: runnable examples, --version, Spanish help, flags as flags, errors naming flags."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

import costlm
import costlm.cli
import costlm.cli.common
from conftest import CliRun
from test_claims import USER_CLAIM

COMMANDS = (
    ["train"],
    ["serve"],
    ["plan", "serve"],
    ["check"],
    ["report"],
    ["catalog"],
    ["catalog", "list"],
    ["catalog", "show"],
    ["catalog", "check"],
    ["catalog", "stats"],
    ["catalog", "import-config"],
    ["plan", "compare"],
    ["plan", "train"],
    ["web"],
)
WIDE = "200"
FAST = ("--samples", "300")
OVERLAY = """
[[source]]
id = "my-quote"
title = "Vendor quote"
publisher = "Me"
kind = "docs"
date = "2026"
url = "https://example.org/quote"

[[run]]
id = "my-run"
name = "My run"
organization = "Me"
year = 2026
kind = "pretrain"
source_kind = "official"
scope = "final run"
hardware = "h100-sxm"
gpu_hours = { value = 1000, source = "my-quote", locator = "p. 1" }
"""


def _examples(path: list[str]) -> list[str]:
    command = typer.main.get_command(costlm.cli.app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    epilog = command.epilog or ""
    return [line.strip() for line in epilog.splitlines() if line.strip().startswith("costlm ")]


def _run(argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """The installed CLI in a fresh interpreter (help texts are fixed when costlm.cli is imported)."""
    base = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    return subprocess.run(
        [sys.executable, "-c", "from costlm.cli import main; main()", *argv],
        capture_output=True,
        text=True,
        env={**base, "COLUMNS": WIDE, "LANG": "C.UTF-8", **env},
        check=False,
    )


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_ends_with_examples_on_their_own_lines(
    path: list[str], cli: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = _examples(path)
    assert 2 <= len(examples) <= 3, examples
    monkeypatch.setenv("COLUMNS", WIDE)
    code, out, _ = cli([*path, "--help"])
    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    tail = [line for line in lines if line][-len(examples) :]
    assert tail == examples
    assert costlm.cli.common.h("Examples:") in lines  # the language of the help is fixed at import


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_examples_run(path: list[str], cli: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)  # `costlm web` would start a server
    (tmp_path / "my_claims.toml").write_text(USER_CLAIM)
    (tmp_path / "mine.toml").write_text(OVERLAY)
    (tmp_path / "config.json").write_text((Path(__file__).parent / "data" / "llama-3-8b.json").read_text())
    for example in _examples(path):
        argv = example.split()[1:]
        if argv[0] in ("train", "serve", "check", "report", "plan"):
            argv += FAST  # the same command, fewer Monte Carlo samples
        code, _, err = cli(argv)
        assert code == 0, f"{example}: {err}"


def test_version(cli: CliRun) -> None:
    code, out, _ = cli(["--version"])
    assert code == 0 and out == f"costlm {costlm.__version__}\n"


def test_boolean_flags_render_as_flags(cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", WIDE)
    for path in (["train"], ["serve"], ["check"], ["report"], ["catalog", "list"], []):
        code, out, _ = cli([*path, "--help"])
        assert code == 0
        flags = [line for line in out.splitlines() if re.search(r"--(json|help|version)\b", line)]
        assert flags and all("<bool>" not in line for line in flags), flags
        assert "--no-json" not in out


def test_claim_markup_shown_literally(cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", WIDE)
    code, out, _ = cli(["check", "--help"])
    assert code == 0 and "[[claim]]" in out and "([] " not in out


def test_lang_on_the_command_line_gives_spanish_help() -> None:
    done = _run(["--lang", "es", "--help"])
    assert done.returncode == 0, done.stderr
    assert "Cuánto cuesta entrenar y usar un modelo de lenguaje" in done.stdout
    assert "Mostrar la versión y salir." in done.stdout and "Ejemplos:" in done.stdout
    done = _run(["train", "--help", "--lang=es"])
    assert "Parámetros totales, p. ej. 7e9 o 7B." in done.stdout


def test_spanish_locale_gives_spanish_help() -> None:
    done = _run(["train", "--help"], LANG="es_ES.UTF-8")
    assert done.returncode == 0, done.stderr
    assert "Parámetros totales, p. ej. 7e9 o 7B." in done.stdout and "Ejemplos:" in done.stdout
    assert "costlm train deepseek-v3" in done.stdout
    english = _run(["train", "--help"])
    assert "Total parameters, e.g. 7e9 or 7B." in english.stdout


def test_lang_before_the_command_applies_to_it(cli: CliRun) -> None:
    code, out, _ = cli(["--lang", "es", "train", "llama-2-70b", "--samples", "300"])
    assert code == 0 and "Horas de GPU" in out
    code, _, err = cli(["--lang", "fr", "train", "llama-2-70b"])
    assert code == 2 and "--lang: unknown language 'fr'" in err


def test_help_imports_neither_numpy_nor_pydantic() -> None:
    probe = (
        "import sys\n"
        "sys.argv = ['costlm', '--help']\n"
        "import costlm.cli\n"
        "try:\n"
        "    costlm.cli.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('HEAVY=' + ','.join(m for m in ('numpy', 'pydantic') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert "Usage: costlm" in done.stdout
    assert done.stderr.strip().endswith("HEAVY="), done.stderr


@pytest.mark.parametrize(
    ("argv", "prefix"),
    [
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
            "--mfu:",
        ),
        (["train", "--params", "7B", "--tokens", "2T", "--gpu", "h100", "--n-gpus", "0"], "--n-gpus:"),
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
                "--pue",
                "0.5..0.9",
            ],
            "--pue:",
        ),
        (
            ["train", "--params", "7B", "--tokens", "2T", "--gpu", "h100", "--n-gpus", "8", "--kind", "foo"],
            "--kind:",
        ),
        (
            ["train", "--params", "7B", "--tokens", "2T", "--gpu", "h100", "--n-gpus", "8", "--seed", "-1"],
            "--seed:",
        ),
        (["train", "deepseek-v3", "--samples", "-5"], "--samples:"),
        (["serve", "llama-3-70b", "--kv-bits", "40"], "--kv-bits:"),
        (["serve", "llama-3-70b", "--peak-factor", "1000"], "--peak-factor:"),
        (["serve", "llama-3-70b", "--batch", "0"], "--batch:"),
    ],
)
def test_errors_name_the_flag_typed(argv: list[str], prefix: str, cli: CliRun) -> None:
    code, _, err = cli(argv)
    assert code == 2 and err.startswith(f"error: {prefix} "), err
    code, _, err = cli([*argv, "--lang", "es"])
    assert code == 2 and err.startswith(f"error: {prefix} "), err


def test_flag_prefix_mapping() -> None:
    assert (
        costlm.cli._flag_prefix("mfu.1: Input should be greater than 0")
        == "--mfu: Input should be greater than 0"
    )
    assert costlm.cli._flag_prefix("gpu_price_usd: must be > 0") == "--gpu-price: must be > 0"
    assert costlm.cli._flag_prefix("unknown model 'x': did you mean") == "unknown model 'x': did you mean"
    assert costlm.cli._flag_prefix("--mfu: must be") == "--mfu: must be"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train"], "give a catalog MODEL, or --params and --tokens"),
        (["serve"], "give a catalog MODEL or --config path/to/config.json"),
        (
            ["serve", "llama-3-70b", "--config", "config.json"],
            "give a catalog MODEL or --config path/to/config.json, not both",
        ),
    ],
)
def test_checks_awaiting_the_request_models(argv: list[str], message: str, cli: CliRun) -> None:
    """Pinned so the CLI's copies (cli._require_*) can be deleted once the request models raise these."""
    code, _, err = cli(argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
