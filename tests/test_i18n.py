"""English and Spanish: same message keys, every CLI help text translated, errors in Spanish."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import costlm.cli
from conftest import CliRun
from costlm.i18n import messages
from costlm.report.fmt import number

CLI_DIR = Path(costlm.cli.__file__).parent
CLI_SOURCE = "\n".join(p.read_text(encoding="utf-8") for p in sorted(CLI_DIR.glob("*.py")))
HELP_ES = CLI_DIR.parent / "i18n" / "help_es.toml"


def test_both_languages_have_the_same_keys() -> None:
    assert set(messages("en")) == set(messages("es"))
    assert all(value.strip() for value in messages("es").values())


def test_every_cli_help_text_has_a_spanish_translation() -> None:
    used = set(re.findall(r'\bh\("((?:[^"\\]|\\.)*)"\)', CLI_SOURCE))
    translated = tomllib.loads(HELP_ES.read_text(encoding="utf-8"))
    assert used and used <= set(translated), sorted(used - set(translated))


def test_numbers_follow_the_language() -> None:
    assert number(1234.5) == "1.23k" and number(1234.5, lang="es") == "1,23k"
    assert number(5.576e6, "USD", "es") == "$5,58M"


def test_spanish_help_and_errors(cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = cli(
        ["train", "--params", "-3", "--tokens", "2T", "--gpu", "h100", "--n-gpus", "8", "--lang", "es"]
    )
    assert code == 2 and "debe ser mayor que 0" in err
    code, _, err = cli(
        ["train", "--params", "7B", "--tokens", "2T", "--gpu", "h10", "--n-gpus", "8", "--lang", "es"]
    )
    assert code == 2 and "¿quiso decir h100-sxm" in err
    monkeypatch.setenv("LANG", "es_EC.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    code, _, err = cli(["train", "--params", "x"])
    assert code == 2 and "no se puede leer 'x' como número" in err


def test_spanish_caveats_and_catalog_prose(cli: CliRun) -> None:
    code, out, _ = cli(["train", "s1-32b", "--lang", "es", "--samples", "300"])
    assert code == 0 and "la MFU es un valor a priori" in out and "no publicado, supuesto" in out
    from costlm import api

    table = api.seed_report(["deepseek-v3"], samples=200)
    model = api.load_catalog().models["deepseek-v3"]
    assert (table.rows[0].disclosure, table.rows[0].disclosure_es) == (model.disclosure, model.disclosure_es)
    from costlm.report.seed import markdown

    assert model.disclosure_es and model.disclosure_es in markdown(table, "es")


@pytest.mark.parametrize(
    ("argv", "spanish"),
    [
        (["serve", "llama-3.1-405b", "--n-gpus", "4"], "no se puede servir en 4 GPUs"),
        (["serve", "llama-3.1-8b", "--max-tpot-ms", "1"], "ningún lote cumple TPOT <= 1 ms"),
        (["report", "--format", "pdf"], "formato desconocido 'pdf'"),
        (["serve", "gpt-2-1.5b"], "no tiene arquitectura publicada"),
        (
            ["train", "--params", "7B", "--tokens", "2T", "--gpu", "a100", "--n-gpus", "8", "--dtype", "fp8"],
            "no tiene pico denso fp8",
        ),
    ],
)
def test_errors_in_spanish(cli: CliRun, argv: list[str], spanish: str) -> None:
    code, _, err = cli([*argv, "--lang", "es"])
    assert code == 2 and spanish in err and len(err.strip().splitlines()) == 1


def test_report_json_is_the_same_document_in_every_language(cli: CliRun) -> None:
    argv = ["report", "--json", "--models", "s1-32b,deepseek-v3", "--samples", "200"]
    code_en, out_en, _ = cli([*argv, "--lang", "en"])
    code_es, out_es, _ = cli([*argv, "--lang", "es"])
    assert code_en == code_es == 0 and out_en == out_es
    assert '"disclosure_es"' in out_en


INTERNAL_ERRORS = {
    "src/costlm/uncertainty/distributions.py",  # distribution parameters, validated by the requests first
    "src/costlm/i18n/__init__.py",  # an unknown language, named by the language option
    "src/costlm/resolve/requests.py:build",  # pydantic's own message, as a last resort
}


def _raised_errors() -> list[tuple[str, int, str, str | None]]:
    """(file, line, enclosing function, key) of every InputError/ConfigError raised in the package."""
    import ast
    from pathlib import Path

    found = []
    root = Path(__file__).parents[1]
    for path in sorted((root / "src" / "costlm").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            for call in [n for n in ast.walk(func) if isinstance(n, ast.Call)]:
                if getattr(call.func, "id", None) in ("InputError", "ConfigError"):
                    key = next((k.value for k in call.keywords if k.arg == "key"), None)
                    value = key.value if isinstance(key, ast.Constant) else ("?" if key is not None else None)
                    found.append((str(path.relative_to(root)), call.lineno, func.name, value))
    return found


def test_every_user_error_has_a_message_in_every_language() -> None:
    """A Spanish user reads every error a request can raise in Spanish: each raise names its i18n
    key (internal guards excepted) and both languages have the key."""
    from costlm.i18n import messages

    raised = _raised_errors()
    assert len(raised) > 50
    missing = [
        f"{path}:{line}"
        for path, line, func, key in raised
        if key is None and path not in INTERNAL_ERRORS and f"{path}:{func}" not in INTERNAL_ERRORS
    ]
    assert missing == []
    keys = {key for *_, key in raised if key not in (None, "?")}
    for lang in ("en", "es"):
        assert sorted(k for k in keys if f"err.{k}" not in messages(lang)) == [], lang
