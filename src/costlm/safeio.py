"""Read and parse a user's file safely: one reader for every file a user names.

``--catalog FILE``, ``costlm check --file FILE`` and ``costlm serve --config FILE`` all go
through ``read_user_text``. It refuses, with one line naming the file and the fix:

* a path too long for the file system (or holding a NUL byte);
* anything but a regular file: a directory, a FIFO (reading one blocks until a writer comes),
  a device such as ``/dev/zero`` (endless) or a socket. The type is checked with ``os.stat``
  before the file is opened, and again on the open descriptor;
* a file larger than ``MAX_USER_FILE_BYTES``;
* bytes that are not UTF-8.

``parse_guarded`` runs a parser (``json.loads``, ``tomllib.loads``) and turns what the standard
library raises on hostile input into the same kind of error: ``RecursionError`` on deeply
nested arrays, ``ValueError`` on integers of more than ``sys.get_int_max_str_digits()`` digits,
and documents nested deeper than ``MAX_NESTING_DEPTH``.

These are input/output limits (how much to read), not plausibility bounds of values, which live in
``costlm.bounds``. Standard library only.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable
from typing import Any

from costlm.errors import CostlmError

BYTES_PER_MIB = 1024 * 1024
MAX_USER_FILE_BYTES = 16 * BYTES_PER_MIB
"""16 MiB: the bundled catalog is ~0.3 MB and a model's config.json a few kB."""
MAX_NESTING_DEPTH = 64
"""Arrays/tables nested deeper than this are refused (real catalogs and configs nest < 6)."""
MAX_SHOWN_PATH_CHARS = 100
"""A longer path is shortened in messages, so the error stays a readable line."""


def shown_path(path: str | os.PathLike[str]) -> str:
    """``path`` for a one-line message: control characters escaped, the middle of a long path cut."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in os.fspath(path))
    if len(text) <= MAX_SHOWN_PATH_CHARS:
        return text
    half = MAX_SHOWN_PATH_CHARS // 2
    return f"{text[:half]}…{text[-half:]}"


def _problem(exc: OSError, what: str) -> str:
    """Why an OSError happened and what to do, as one clause."""
    if exc.errno == errno.ENOENT:
        return f"no such {what}; check the path"
    if exc.errno == errno.ENAMETOOLONG:
        return "the path is too long for the file system; use a shorter path"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; check the file's permissions"
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is not a directory; check the path"
    return f"{exc.strerror or type(exc).__name__}; check the path"


def _kind_problem(mode: int, what: str) -> str | None:
    """None for a regular file, else why the file cannot be read."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return f"it is a directory, not a {what}; give the path of the file"
    kind = "a pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    return f"it is {kind}, not a regular file; give the path of a {what} saved on disk"


def _read_regular(path: str | os.PathLike[str], what: str) -> tuple[bytes, str | None]:
    """(bytes, None), or (b"", why) when the opened file is not regular (swapped since the stat)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # never blocks, even on a FIFO
    with os.fdopen(fd, "rb") as handle:
        problem = _kind_problem(os.fstat(handle.fileno()).st_mode, what)
        return (b"", problem) if problem else (handle.read(MAX_USER_FILE_BYTES + 1), None)


def read_user_text(
    path: str | os.PathLike[str],
    *,
    what: str,
    error: type[CostlmError],
    option: str | None = None,
    key: str | None = None,
    encoding: str = "utf-8",
) -> str:
    """The text of the user's file ``path``, or ``error`` with one line naming it and the fix.

    ``what`` names the file in messages ("catalog file"); ``option`` (e.g. "--config") leads them;
    ``key`` is the i18n key of the message (its only value is ``path``).
    """
    lead = f"{option}: " if option else ""
    shown = shown_path(path)

    def fail(problem: str) -> CostlmError:
        return error(f"{lead}cannot read '{shown}': {problem}", key=key, path=shown)

    mib = MAX_USER_FILE_BYTES // BYTES_PER_MIB
    limit = f"larger than the {mib} MiB limit for a {what}; is it the right file?"
    try:
        info = os.stat(path)
    except ValueError:  # a NUL byte in the path
        raise fail("the path holds a NUL character; check the path") from None
    except OSError as exc:
        raise fail(_problem(exc, what)) from None
    problem = _kind_problem(info.st_mode, what) or (limit if info.st_size > MAX_USER_FILE_BYTES else None)
    if problem is None:
        try:
            data, problem = _read_regular(path, what)
        except OSError as exc:
            raise fail(_problem(exc, what)) from None
    if problem is None and len(data) > MAX_USER_FILE_BYTES:  # the file grew since the stat
        problem = limit
    if problem is not None:
        raise fail(problem)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text (invalid byte at offset {exc.start}); save the {what} as UTF-8") from None


def nesting_depth(obj: object) -> int:
    """How deeply lists and dicts nest in ``obj`` (0 for a scalar), without recursion; the walk
    stops one level below ``MAX_NESTING_DEPTH``."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_NESTING_DEPTH:
            stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_guarded(
    parse: Callable[[str], Any], text: str, *, where: str, what: str, error: type[CostlmError]
) -> Any:
    """``parse(text)``, with the standard library's failures on hostile input as one-line ``error``s
    led by ``where``: nesting too deep (``RecursionError``, or deeper than ``MAX_NESTING_DEPTH``) and
    integers too long to convert. Syntax errors (``JSONDecodeError``, ``TOMLDecodeError``) propagate:
    the caller words them."""
    too_deep = f"{where}: arrays or tables nested more than {MAX_NESTING_DEPTH} deep; is it a {what}?"
    try:
        doc = parse(text)
    except RecursionError:
        raise error(too_deep) from None
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
        digits = sys.get_int_max_str_digits()
        raise error(f"{where}: a number has more than {digits} digits; is it the right file?") from None
    if nesting_depth(doc) > MAX_NESTING_DEPTH:
        raise error(too_deep)
    return doc
