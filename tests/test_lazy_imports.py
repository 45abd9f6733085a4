"""What each CLI path imports: `--help` no numpy or pydantic, `--json` no renderers (speed, issue 8)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN_AND_LIST = """
import contextlib, io, json, sys
from costlm.cli import main
argv, watched = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["costlm", *argv]
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main()
print(json.dumps(sorted(m for m in watched if m in sys.modules)))
"""
RENDERERS = ["rich", "matplotlib", "jinja2", "openpyxl", "costlm.report.training", "costlm.report.serving"]


def loaded(argv: list[str], watched: list[str], cache_dir: Path) -> list[str]:
    """The ``watched`` modules one real CLI run with ``argv`` imports, in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, json.dumps(argv), json.dumps(watched)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "COSTLM_CACHE_DIR": str(cache_dir)},
    )
    names: list[str] = json.loads(result.stdout)
    return names


def test_help_imports_neither_numpy_nor_pydantic(tmp_path: Path) -> None:
    assert loaded(["--help"], ["numpy", "pydantic", "costlm.api"], tmp_path) == []


@pytest.mark.parametrize("argv", [["train", "deepseek-v3", "--json"], ["serve", "llama-3-70b", "--json"]])
def test_json_output_imports_no_renderer(argv: list[str], tmp_path: Path) -> None:
    assert loaded([*argv, "--samples", "200"], RENDERERS, tmp_path) == []


MARKUP_SAMPLES = [
    "Your own claims TOML ([[claim]] entries; see docs/claims.md).",
    "[bold]x[/bold] [red] [#fff] [@click] [/] [1, 2] [A] []",
    "ends with a backslash \\",
    "ends with two \\\\",
    "\\[escaped] and \\\\[double] and [[nested [b]]]",
    "LOW..HIGH in $/GPU-hour (>= 1).",
]


@pytest.mark.parametrize("text", MARKUP_SAMPLES)
def test_help_escaping_matches_rich(text: str) -> None:
    from rich.markup import escape

    from costlm.cli.common import escape_markup as _escape_markup

    assert _escape_markup(text) == escape(text)


def test_every_help_text_is_escaped_as_rich_would() -> None:
    from rich.markup import escape

    from costlm.cli.common import escape_markup as _escape_markup
    from costlm.i18n import _help_es

    texts = [text for pair in _help_es().items() for text in pair]
    assert len(texts) > 40
    for text in texts:
        assert _escape_markup(text) == escape(text)
