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
