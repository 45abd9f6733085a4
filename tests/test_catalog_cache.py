"""The on-disk catalog cache: a hit is what validation produced; any change or damage rebuilds."""

from __future__ import annotations

import functools
import json
import os
import pickle
import stat
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from conftest import CliRun
from costlm.catalog import cache, load
from costlm.catalog.schema import Catalog
from costlm.errors import CatalogError
from test_catalog_load import ACC, GRID, PRIORS, SOURCES

OVERLAY = """
[[source]]
id = "my-quote"
title = "Vendor quote"
publisher = "Me"
kind = "docs"
date = "2026"
url = "https://example.org/quote"

[[accelerator]]
id = "h100-sxm"
name = "{name}"
vendor = "NVIDIA"
year = 2022
generation = "hopper"
kind = "gpu"
aliases = ["H100"]
memory_gb = {{ value = 80, source = "my-quote", locator = "p1" }}
hbm_tb_per_s = {{ value = 3.35, source = "my-quote", locator = "p1" }}
peak_bf16_dense_tflop_per_s = {{ value = 989.4, source = "my-quote", locator = "p1" }}
tdp_watts = {{ value = 700, source = "my-quote", locator = "p1" }}
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(directory))
    return directory


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item per validation (call of ``load.assemble``); validation itself still runs."""
    calls: list[int] = []
    real = load.assemble

    def counting(*args: Any, **kwargs: Any) -> Catalog:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(load, "assemble", counting)
    return calls


def bundled() -> Catalog:
    """The bundled catalog, past the per-process ``functools.cache`` (so the disk cache decides)."""
    return load.bundled_catalog.__wrapped__()


BUNDLED = [("sources.toml", SOURCES), ("accelerators.toml", ACC), ("priors.toml", PRIORS)]


def with_overlay(text: str, builds: list[int]) -> Catalog:
    """A small synthetic catalog plus one overlay document, through the cache (as ``load`` does)."""
    docs: Sequence[tuple[str, str]] = [*BUNDLED, ("mine.toml", text)]
    build = functools.partial(load.assemble, docs, GRID, n_bundled=len(BUNDLED))
    return cache.cached_catalog(docs, GRID, n_bundled=len(BUNDLED), build=lambda: builds.append(1) or build())


def files(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{cache.FILE_PREFIX}*{cache.FILE_SUFFIX}"))


def test_a_hit_returns_an_equal_catalog_without_validating(cache_dir: Path, builds: list[int]) -> None:
    validated = bundled()
    assert len(builds) == 1 and len(files(cache_dir)) == 1
    hit = bundled()
    assert len(builds) == 1, "the second load must come from the cache"
    assert hit == validated and hit is not validated
    assert hit.model_dump() == validated.model_dump()


def renamed(name: str) -> str:
    """An overlay of the synthetic catalog that renames accelerator x1."""
    return ACC.replace('name = "X1"', f'name = "{name}"')


def test_changing_an_overlay_rebuilds(cache_dir: Path) -> None:
    builds: list[int] = []
    first = with_overlay(renamed("X1 (mine)"), builds)
    assert with_overlay(renamed("X1 (mine)"), builds) == first and len(builds) == 1
    assert first.accelerators["x1"].name == "X1 (mine)"
    changed = with_overlay(renamed("X1 (changed)"), builds)
    assert len(builds) == 2 and changed.accelerators["x1"].name == "X1 (changed)"
    assert len(files(cache_dir)) == 2


def test_an_invalid_overlay_is_never_cached(cache_dir: Path) -> None:
    builds: list[int] = []
    for _ in range(2):
        with pytest.raises(CatalogError, match=r"mine\.toml: accelerator 'x1': field 'vendorr'"):
            with_overlay(renamed("X1").replace("vendor", "vendorr"), builds)
    assert len(builds) == 2 and files(cache_dir) == []


def costlm_json(*argv: str, cache_dir: Path) -> Any:
    """A real ``costlm`` run in a fresh interpreter (no in-process cache), its stdout parsed."""
    code = "import sys; from costlm.cli import main; sys.argv = ['costlm', *sys.argv[1:]]; main()"
    env = {**os.environ, cache.CACHE_DIR_ENV: str(cache_dir)}
    cmd = [sys.executable, "-c", code, *argv]
    result = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_editing_an_overlay_file_is_seen_by_the_next_run(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(OVERLAY.format(name="H100 (mine)"))
    show = ("catalog", "show", "h100-sxm", "--catalog", str(path))
    assert costlm_json(*show, cache_dir=cache_dir)["name"] == "H100 (mine)"
    assert costlm_json(*show, cache_dir=cache_dir)["name"] == "H100 (mine)"
    assert len(files(cache_dir)) == 1, "the second run was a hit"
    path.write_text(OVERLAY.format(name="H100 (changed)"))
    assert costlm_json(*show, cache_dir=cache_dir)["name"] == "H100 (changed)"
    assert len(files(cache_dir)) == 2


def _other_key(data: bytes) -> bytes:
    fmt, _, cat = pickle.loads(data)
    return pickle.dumps((fmt, "0" * 64, cat))


DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda _: b"",
    "garbage": lambda _: b"\x00not a pickle at all",
    "truncated": lambda data: data[: len(data) // 2],
    "not a catalog": lambda _: pickle.dumps((cache.FORMAT, "key", {"sources": {}})),
    "another format": lambda data: pickle.dumps(("costlm-catalog-cache/0", *pickle.loads(data)[1:])),
    "another key": _other_key,
    "unpicklable class": lambda _: b"cno_such_module_for_costlm\nThing\n.",
}


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_a_damaged_cache_file_rebuilds(
    cache_dir: Path, builds: list[int], damage: Callable[[bytes], bytes]
) -> None:
    validated = bundled()
    [path] = files(cache_dir)
    path.write_bytes(damage(path.read_bytes()))
    assert bundled() == validated and len(builds) == 2
    assert bundled() == validated and len(builds) == 2, "the rebuilt file is a hit again"


def test_a_cache_file_others_can_write_is_not_loaded(cache_dir: Path, builds: list[int]) -> None:
    validated = bundled()
    [path] = files(cache_dir)
    path.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert bundled() == validated and len(builds) == 2
    [path] = files(cache_dir)
    assert not path.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def test_an_uncreatable_cache_dir_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builds: list[int]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(blocker / "cache"))
    assert bundled() == bundled() and len(builds) == 2


def test_an_unwritable_cache_dir_changes_nothing(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, builds: list[int]
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")  # what a read-only directory answers

    cache_dir.mkdir(mode=0o500)
    monkeypatch.setattr(cache.tempfile, "mkstemp", refuse)
    assert bundled() == bundled() and len(builds) == 2
    assert list(cache_dir.iterdir()) == []


def test_an_empty_cache_dir_setting_turns_the_cache_off(
    monkeypatch: pytest.MonkeyPatch, builds: list[int]
) -> None:
    monkeypatch.setenv(cache.CACHE_DIR_ENV, "")
    assert cache.cache_dir() is None
    assert bundled() == bundled() and len(builds) == 2


def test_the_default_location_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(cache.CACHE_DIR_ENV)
    monkeypatch.setenv(cache.XDG_CACHE_ENV, str(tmp_path))
    assert cache.cache_dir() == tmp_path / "costlm"
    monkeypatch.delenv(cache.XDG_CACHE_ENV)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / ".cache" / "costlm"


def test_the_key_covers_texts_bundled_count_and_version(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [("a.toml", "x = 1\n"), ("b.toml", "y = 2\n")]
    key = cache.catalog_key(docs, "id\n", n_bundled=2)
    assert key == cache.catalog_key(list(docs), "id\n", n_bundled=2)
    assert key != cache.catalog_key([docs[0], ("b.toml", "y = 3\n")], "id\n", n_bundled=2)
    assert key != cache.catalog_key(docs, "id,name\n", n_bundled=2)
    assert key != cache.catalog_key(docs, "id\n", n_bundled=1)
    assert key != cache.catalog_key([("a.toml", "x = 1\nb.toml"), ("", "y = 2\n")], "id\n", n_bundled=2)
    monkeypatch.setattr("costlm.__version__", "99.0")
    assert key != cache.catalog_key(docs, "id\n", n_bundled=2)


def test_old_files_are_pruned(cache_dir: Path) -> None:
    builds: list[int] = []
    for i in range(cache.MAX_CACHE_FILES + 2):
        with_overlay(renamed(f"X1 #{i}"), builds)
        for old in files(cache_dir):  # distinct mtimes even on coarse file systems
            os.utime(old, (old.stat().st_mtime - 1, old.stat().st_mtime - 1))
    assert len(builds) == cache.MAX_CACHE_FILES + 2
    assert len(files(cache_dir)) == cache.MAX_CACHE_FILES


def test_cold_and_warm_cache_give_the_same_json(cache_dir: Path, cli: CliRun) -> None:
    outputs = []
    for _ in range(2):
        load.bundled_catalog.cache_clear()
        code, out, err = cli(["train", "deepseek-v3", "--json", "--samples", "500"])
        assert code == 0, err
        outputs.append(out)
    load.bundled_catalog.cache_clear()
    assert len(files(cache_dir)) == 1
    assert outputs[0] == outputs[1]
