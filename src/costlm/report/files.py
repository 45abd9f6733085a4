"""Write the report's files atomically: the old report or the new one, never a mix.

Every format is first written into a fresh staging directory. Then the report replaces ``--out DIR``:

* DIR missing, or holding only what costlm writes there (the report files of ``FILE_NAMES`` and
  ``.costlm-*`` staging an older costlm left behind): the whole directory is swapped. The staging
  directory is ``PARENT/.DIR.costlm-new-XXXX``; DIR is renamed to ``PARENT/.DIR.costlm-old-XXXX``,
  the staging directory to DIR, and the old one is removed. DIR then holds exactly this run's
  formats (keeping DIR's permissions); a symlink DIR is followed and its target swapped.
* DIR holding anything else (``--out .``, a folder of the user's): costlm never moves or deletes a
  file it did not write. The staging directory is ``DIR/.costlm-new-XXXX``; each report file is
  renamed into DIR and the old copy kept aside until every rename succeeded, so a failure puts the
  old files back. Report files of formats not written this time are left as they are. The same
  happens when DIR is (or contains) the working directory, is a mount point, or its parent is not
  writable.

SIGTERM, SIGHUP and SIGINT are deferred while the report is written: the file being written is
finished (a signal raised inside an import or a C extension would corrupt the interpreter), then
the staging directory is removed and costlm exits (128 + signal number; KeyboardInterrupt for
SIGINT). A second signal exits at once (still removing the staging directory), except during the
renames and the cleanup, which always finish first. Exceptions remove the staging directory
too. Only SIGKILL or a power cut can leave ``.costlm-*`` directories behind, and in the swap
layout, if it lands between the two renames, DIR missing with the old report at
``.DIR.costlm-old-XXXX``. A DIR that is not writable (its permissions) is an error, never replaced.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from costlm.api import ReportData
from costlm.errors import InputError
from costlm.report import exports, page, seed
from costlm.safeio import shown_path

STAGING_MARK = ".costlm-"
"""Every directory costlm stages in is named with this mark (and removed when done)."""
_DEFERRED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name)
)

NEW_FILE_MODE = 0o644
"""Permissions of a file ``write_text_file`` creates (rw-r--r--, as ``open`` with a 022 umask)."""

FORMATS = ("html", "md", "csv", "json", "xlsx", "tex")
FILE_NAMES = {
    "html": "index.html",
    "md": "report.md",
    "csv": "report.csv",
    "json": "report.json",
    "xlsx": "report.xlsx",
    "tex": "report.tex",
}


def parse_formats(text: str) -> list[str]:
    """'html,md' -> ['html', 'md']; unknown names are an InputError naming the valid ones."""
    wanted = list(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise InputError(
            f"--format: unknown format '{(unknown or [text])[0]}'; choose from {', '.join(FORMATS)}",
            key="unknown_format",
            format=(unknown or [text])[0],
        )
    return wanted


def _writers(data: ReportData, lang: str) -> dict[str, Callable[[Path], None]]:
    table = data.table
    return {
        "html": lambda p: p.write_text(page.render(data, lang), encoding="utf-8"),
        "md": lambda p: p.write_text(seed.markdown(table, lang), encoding="utf-8"),
        "csv": lambda p: p.write_text(seed.csv_text(table), encoding="utf-8"),
        "json": lambda p: p.write_text(
            json.dumps(data.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8"
        ),
        "xlsx": lambda p: exports.write_xlsx(table, p, lang),
        "tex": lambda p: p.write_text(exports.latex(table, lang), encoding="utf-8"),
    }


class _Guard:
    """Signal handling while the report is written: removes ``staged`` directories on the way out."""

    def __init__(self) -> None:
        self.staged: list[Path] = []
        self.critical = False
        self.pending: int | None = None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """Record a first signal (acted on at the next ``check``); a second one exits now, unless
        inside renames or cleanup (``deferring_signals``), which finish first."""
        if self.critical or self.pending is None:
            self.pending = signum
            return
        self._exit(signum)

    def check(self) -> None:
        """Exit now if a signal arrived (between two steps of writing the report)."""
        if self.pending is not None:
            self._exit(self.pending)

    @staticmethod
    def _exit(signum: int) -> None:
        if signum == getattr(signal, "SIGINT", None):
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    @contextmanager
    def deferring_signals(self) -> Iterator[None]:
        """Signals that arrive inside take effect when it ends (renames and cleanup finish first)."""
        self.critical = True
        try:
            yield
        finally:
            self.critical = False
        if self.pending is not None:
            self._exit(self.pending)


@contextmanager
def _guarded() -> Iterator[_Guard]:
    """A guard whose staged directories are removed on success, exception or signal."""
    guard = _Guard()
    main = threading.current_thread() is threading.main_thread()  # handlers only work there
    previous = {sig: signal.signal(sig, guard.handle) for sig in _DEFERRED_SIGNALS} if main else {}
    try:
        yield guard
    finally:
        try:
            with guard.deferring_signals():  # a second signal must not cut the cleanup short
                for path in guard.staged:
                    shutil.rmtree(path, ignore_errors=True)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _mkdir_unique(parent: Path, prefix: str, guard: _Guard) -> Path:
    """A new directory ``parent/prefixXXXXXXXX`` (mode from the umask), registered for removal in the
    same signal-deferred step as its creation (a signal between the two would leave it behind)."""
    while True:
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        with guard.deferring_signals():
            try:
                path.mkdir()
            except FileExistsError:
                continue
            guard.staged.append(path)
        return path


def _is_costlm_entry(entry: Path) -> bool:
    if entry.name.startswith(STAGING_MARK):
        return entry.is_dir() and not entry.is_symlink()
    return entry.name in FILE_NAMES.values() and entry.is_file() and not entry.is_symlink()


def _can_swap(target: Path) -> bool:
    """Whether DIR may be replaced as a whole (it holds only costlm's files; see the module doc)."""
    if target.parent == target or not os.access(target.parent, os.W_OK | os.X_OK):
        return False
    try:
        if Path.cwd().resolve().is_relative_to(target):  # never pull the working directory away
            return False
    except OSError:  # the working directory was deleted: it cannot be inside DIR
        pass
    if not target.exists():
        return True
    if target.stat().st_dev != target.parent.stat().st_dev:  # a mount point cannot be renamed
        return False
    return all(_is_costlm_entry(entry) for entry in target.iterdir())


def _swap_dir(staging: Path, target: Path, guard: _Guard) -> None:
    """Replace directory ``target`` by ``staging``: two renames that signals cannot split."""
    with guard.deferring_signals():  # created and registered for removal in one step
        trash = Path(tempfile.mkdtemp(prefix=f".{target.name}{STAGING_MARK}old-", dir=target.parent))
        guard.staged.append(trash)
    if target.exists():
        os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
    with guard.deferring_signals():
        moved = target.exists()
        if moved:
            os.rename(target, trash)  # onto an empty directory: replaced, on POSIX
        try:
            os.rename(staging, target)
        except OSError:
            if moved:
                os.rename(trash, target)
            raise


def _replace_files(staging: Path, target: Path, names: Sequence[str], guard: _Guard) -> None:
    """Move each staged file into ``target``; on failure put the old files back."""
    aside = staging / f"{STAGING_MARK}old"
    aside.mkdir()
    moved: list[str] = []
    placed: list[str] = []
    with guard.deferring_signals():
        try:
            for name in names:
                if os.path.lexists(target / name):
                    os.rename(target / name, aside / name)
                    moved.append(name)
                os.rename(staging / name, target / name)
                placed.append(name)
        except OSError:
            for name in placed:
                os.remove(target / name)
            for name in moved:
                os.rename(aside / name, target / name)
            raise


def _cannot_write(out_dir: Path, why: str) -> InputError:
    path = shown_path(out_dir)
    return InputError(f"--out: cannot write to '{path}' ({why})", key="cannot_write", path=path)


def _target(out_dir: Path) -> Path:
    """The directory to write: ``out_dir`` resolved (symlinks followed), writable, parents made."""
    target = out_dir.resolve()
    if target.exists() and not target.is_dir():
        raise _cannot_write(out_dir, "it exists and is not a directory")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise _cannot_write(out_dir, "a part of the path is a file, not a directory") from None
    if target.exists() and not os.access(target, os.W_OK | os.X_OK):
        raise _cannot_write(out_dir, "the directory is not writable")
    return target


def write_report(data: ReportData, out_dir: Path, lang: str, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write the chosen formats into ``out_dir`` atomically (see the module doc); return their paths."""
    names = [FILE_NAMES[fmt] for fmt in formats]
    writers = _writers(data, lang)
    try:
        with _guarded() as guard:
            target = _target(out_dir)
            swap = _can_swap(target)
            if swap:
                staging = _mkdir_unique(target.parent, f".{target.name}{STAGING_MARK}new-", guard)
            else:
                target.mkdir(exist_ok=True)
                staging = _mkdir_unique(target, f"{STAGING_MARK}new-", guard)
            for fmt, name in zip(formats, names, strict=True):
                guard.check()
                writers[fmt](staging / name)
            guard.check()
            if swap:
                _swap_dir(staging, target, guard)
            else:
                _replace_files(staging, target, names, guard)
    except OSError as exc:
        raise _cannot_write(out_dir, exc.strerror or type(exc).__name__) from None
    return [out_dir / name for name in names]


def write_text_file(path: Path, text: str, *, force: bool = False) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file beside it, then a rename): the old
    file or the new one, never a part. An existing ``path`` is refused (InputError) unless ``force``;
    without ``force`` the new file is linked into place, so a file created meanwhile is not replaced."""
    target = Path(path)
    where = shown_path(target)
    if target.exists() and not force:
        raise InputError(f"{where} exists; add --force to replace it", key="file_exists", path=where)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent or Path("."), prefix=f"{STAGING_MARK}", suffix=".tmp")
    except OSError as exc:
        raise _cannot_write(target.parent, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, NEW_FILE_MODE)
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise InputError(
                    f"{where} exists; add --force to replace it", key="file_exists", path=where
                ) from None
            except OSError:  # a file system without hard links: rename (checked above)
                os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
