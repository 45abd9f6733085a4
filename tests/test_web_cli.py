"""``costlm web``: binds 127.0.0.1 by default, warns for a public address, validates the catalog
overlay before serving, and fails on bad input with one line (exit 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import CliRun


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    return calls


def test_default_binds_loopback_without_warning(cli: CliRun, served: list[dict[str, Any]]) -> None:
    code, _, err = cli(["web"])
    assert code == 0
    [call] = served
    assert call["host"] == "127.0.0.1" and call["port"] == 8000
    assert "warning" not in err and "http://127.0.0.1:8000" in err
    assert call["app"].title == "costlm"


def test_public_host_warns(cli: CliRun, served: list[dict[str, Any]]) -> None:
    code, _, err = cli(["web", "--host", "0.0.0.0", "--port", "9001"])
    assert code == 0 and served[0]["host"] == "0.0.0.0" and served[0]["port"] == 9001
    assert "warning: --host 0.0.0.0" in err and "no authentication" in err
    code, _, err = cli(["web", "--host", "0.0.0.0", "--lang", "es"])
    assert "advertencia" in err


def test_bad_overlay_fails_before_serving(cli: CliRun, served: list[dict[str, Any]], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[model]]\nid = 3\n")
    code, _, err = cli(["web", "--catalog", str(bad)])
    assert code == 2 and served == [] and len(err.strip().splitlines()) == 1


def test_overlay_entries_are_served(cli: CliRun, served: list[dict[str, Any]], tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from test_cli_help import OVERLAY

    mine = tmp_path / "mine.toml"
    mine.write_text(OVERLAY)
    code, _, _ = cli(["web", "--catalog", str(mine)])
    assert code == 0
    with TestClient(served[0]["app"]) as client:
        assert client.get("/api/v1/catalog/runs/my-run").json()["gpu_hours"]["value"] == 1000
