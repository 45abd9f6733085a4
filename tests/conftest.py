from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from costlm import api
from costlm.catalog.schema import Catalog


@pytest.fixture(scope="session", autouse=True)
def private_catalog_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The on-disk catalog cache of the test session lives in a temporary directory, never ~/.cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COSTLM_CACHE_DIR", str(tmp_path_factory.mktemp("costlm-cache")))
        yield


@pytest.fixture(autouse=True)
def english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests read English messages unless they ask for Spanish (CI's locale must not matter)."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)


@pytest.fixture(scope="session")
def cat() -> Catalog:
    return api.load_catalog()


CliRun = Callable[[list[str]], tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRun:
    """Run the real entry point ``costlm.cli.main`` with argv; return (exit code, stdout, stderr)."""
    from costlm.cli import main

    def run(argv: list[str]) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.argv", ["costlm", *argv])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run
