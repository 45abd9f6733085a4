"""The README's Python API example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_a_python_api_example() -> None:
    blocks = _python_blocks()
    assert blocks and "make_training_request" in blocks[0] and "estimate_serving" in blocks[0]


def test_readme_python_blocks_run(capsys: pytest.CaptureFixture[str]) -> None:
    for block in _python_blocks():
        exec(compile(block, str(README), "exec"), {})
    out = capsys.readouterr().out
    assert "days" in out and "replicas of" in out
    assert "n_gpus: must be at least 1, got 0" in out


def test_readme_tour_shows_what_the_commands_print_now() -> None:
    """Every `$ costlm ...` block of the README is what the command prints today (seeded Monte
    Carlo, 100 columns); `python benchmarks/readme_tour.py` rewrites them after a change."""
    import importlib.util

    path = Path(__file__).parents[1] / "benchmarks" / "readme_tour.py"
    spec = importlib.util.spec_from_file_location("readme_tour", path)
    assert spec is not None and spec.loader is not None
    tour = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tour)
    _, stale = tour.regenerate(README.read_text(encoding="utf-8"))
    assert stale == [], "stale README tour (run `python benchmarks/readme_tour.py`): " + "; ".join(stale)
