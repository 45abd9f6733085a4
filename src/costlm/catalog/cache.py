"""The validated catalog, kept on disk between runs, keyed by everything validation read.

Parsing and validating the TOML catalog takes longer than a training estimate. Its result
depends only on the texts validated and on the code that validated them, so the key is the
sha256 of: the name and text of every bundled and overlay file and of the grid CSV, how many
of them are bundled, costlm's version, the Python, pydantic and pydantic-core versions, and
the source of the catalog package and of costlm's top-level modules (the schema, its
validators and their bounds). Any change to one of those is a new key, hence a rebuild.

A miss validates exactly as without the cache and stores what validation produced. A hit
unpickles it. Pickle runs only on a file in the cache directory that the current user owns
and nobody else can write; anything wrong with a cache file (missing, foreign, too big,
truncated, corrupt, from another version, not a catalog of this key) is a miss. A cache
directory that cannot be created or written only means there is no cache: errors are never
raised from here. Files are written atomically (a temporary file, then ``os.replace``), so
concurrent runs never read a half-written one; the oldest are pruned beyond
``MAX_CACHE_FILES``.

Where: ``$COSTLM_CACHE_DIR`` (set it to an empty string to turn the cache off), else
``$XDG_CACHE_HOME/costlm``, else ``~/.cache/costlm``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from costlm.catalog.schema import Catalog

CACHE_DIR_ENV = "COSTLM_CACHE_DIR"
XDG_CACHE_ENV = "XDG_CACHE_HOME"
APP_DIR = "costlm"
FILE_PREFIX = "catalog-"
FILE_SUFFIX = ".pickle"
FORMAT = "costlm-catalog-cache/1"
"""Stored inside every file beside the key; bump it when the payload's layout changes."""
MAX_CACHE_FILES = 8
"""Kept per directory (one per distinct set of overlays); the least recently written go first."""
MAX_CACHE_BYTES = 64 * 1024 * 1024
"""A cache file larger than this is not ours (the bundled catalog pickles to ~0.3 MB)."""
DIR_MODE = 0o700
_FOREIGN_WRITE = stat.S_IWGRP | stat.S_IWOTH

Docs = Sequence[tuple[str, str]]


def cache_dir() -> Path | None:
    """The cache directory (not created here), or None when the cache is off or has no home."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override is not None:
        return Path(override) if override else None
    xdg = os.environ.get(XDG_CACHE_ENV)
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / APP_DIR
    try:
        return Path.home() / ".cache" / APP_DIR
    except RuntimeError:  # no HOME and no passwd entry
        return None


def _code_files() -> list[Path]:
    """The catalog package's modules and costlm's top-level ones (version, errors, bounds, units)."""
    here = Path(__file__).resolve().parent
    return sorted(here.glob("*.py")) + sorted(here.parent.glob("*.py"))


def _versions() -> Iterator[str]:
    import pydantic_core
    from pydantic.version import VERSION as PYDANTIC_VERSION

    from costlm import __version__

    yield from (FORMAT, __version__, sys.version, PYDANTIC_VERSION, pydantic_core.__version__)


def catalog_key(docs: Docs, grid_text: str, *, n_bundled: int) -> str:
    """sha256 (hex) of what validation reads and of the code and versions that validate it."""
    digest = hashlib.sha256()

    def part(data: bytes) -> None:
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)

    for text in _versions():
        part(text.encode())
    for path in _code_files():
        part(path.name.encode())
        part(path.read_bytes())
    part(str(n_bundled).encode())
    for name, text in docs:
        part(name.encode())
        part(text.encode("utf-8", "surrogatepass"))
    part(grid_text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _is_ours(path: Path) -> bool:
    """A regular file of this user, writable by nobody else, of a plausible size."""
    st = path.stat()
    owner_ok = not hasattr(os, "geteuid") or st.st_uid == os.geteuid()
    private = not st.st_mode & _FOREIGN_WRITE
    return stat.S_ISREG(st.st_mode) and owner_ok and private and st.st_size <= MAX_CACHE_BYTES


def _read(path: Path, key: str) -> Catalog | None:
    """The cached catalog of ``key``, or None on any problem at all (then the caller rebuilds)."""
    try:
        if not _is_ours(path):
            return None
        payload = pickle.loads(path.read_bytes())
    except Exception:  # a cache must never fail a run: corrupt, truncated, stale classes...
        return None
    match payload:
        case (str() as fmt, str() as stored_key, Catalog() as cat) if fmt == FORMAT and stored_key == key:
            return cat
    return None


def _write(directory: Path, path: Path, key: str, cat: Catalog) -> None:
    """Store ``cat`` atomically; silently do nothing when the directory is not writable."""
    tmp: str | None = None
    try:
        data = pickle.dumps((FORMAT, key, cat), protocol=pickle.HIGHEST_PROTOCOL)
        directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{FILE_PREFIX}", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
        tmp = None
        _prune(directory)
    except Exception:  # read-only, full disk, unpicklable...: no cache, same answer
        return
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _prune(directory: Path) -> None:
    files = sorted(directory.glob(f"{FILE_PREFIX}*{FILE_SUFFIX}"), key=lambda p: p.stat().st_mtime)
    for old in files[:-MAX_CACHE_FILES]:
        with contextlib.suppress(OSError):
            old.unlink()


def cached_catalog(docs: Docs, grid_text: str, *, n_bundled: int, build: Callable[[], Catalog]) -> Catalog:
    """The catalog that ``build`` (validation of ``docs`` and ``grid_text``) makes, from the cache if
    it holds one for exactly these inputs; otherwise ``build()`` runs and its result is stored.

    ``build``'s errors propagate unchanged and nothing is stored for them.
    """
    directory = cache_dir()
    if directory is None:
        return build()
    try:
        key = catalog_key(docs, grid_text, n_bundled=n_bundled)
    except OSError:  # a module file vanished (zipped install...): validate every time
        return build()
    path = directory / f"{FILE_PREFIX}{key}{FILE_SUFFIX}"
    cached = _read(path, key)
    if cached is not None:
        return cached
    cat = build()
    _write(directory, path, key, cat)
    return cat
