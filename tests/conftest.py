"""Shared fixtures, the Hypothesis profiles, and the reach counter of the property tests.

Hypothesis profiles (chosen by ``HYPOTHESIS_PROFILE``, default ``ci``):

- ``ci`` (``make test``): derandomized, a fixed number of examples, no example database, so a
  clean checkout runs exactly the same examples every time and writes no ``.hypothesis`` directory;
- ``fuzz`` (``make fuzz``): many random examples per property, still without a database (a
  failure prints the ``@reproduce_failure`` blob to replay it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

from costlm import api
from costlm.catalog.schema import Catalog
from reach_counter import Reach

CI_EXAMPLES = 100
FUZZ_EXAMPLES = 2_000

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=CI_EXAMPLES,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    derandomize=False,
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# Hypothesis caches the constants it reads from source files under its storage directory, even
# without an example database; keep that out of the checkout (a fresh clone stays clean).
_STORAGE = (
    None if "HYPOTHESIS_STORAGE_DIRECTORY" in os.environ else tempfile.mkdtemp(prefix="costlm-hypothesis-")
)
if _STORAGE is not None:
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = _STORAGE


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _STORAGE is not None:
        shutil.rmtree(_STORAGE, ignore_errors=True)


PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in ("ci", "fuzz"):
    raise pytest.UsageError(f"HYPOTHESIS_PROFILE must be ci or fuzz, got {PROFILE!r}")
settings.load_profile(PROFILE)


_REACH = Reach()


@pytest.fixture(scope="session")
def reach() -> Reach:
    return _REACH


@pytest.fixture(scope="module")
def reach_checked(reach: Reach) -> Iterator[Reach]:
    """``reach``, asserting at the end of the module that each property reached its assertions in
    at least ``MIN_REACH`` of its examples."""
    yield reach
    low = reach.too_low()
    assert not low, f"property tests whose examples mostly missed the assertions: {low}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    ratios = _REACH.ratios()
    if not ratios:
        return
    terminalreporter.write_sep("-", f"property reach (hypothesis profile {PROFILE})")
    for name, (hits, n) in ratios.items():
        terminalreporter.write_line(f"{name}: {hits}/{n} examples reached the assertions ({hits / n:.0%})")


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
