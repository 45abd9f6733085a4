"""Write the report's files atomically: everything goes to a temporary directory beside the
target first, then each file is moved into place, so a failed run never leaves a partial
report that looks complete."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from costlm.api import ReportData
from costlm.errors import InputError
from costlm.report import exports, page, seed

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


def write_report(data: ReportData, out_dir: Path, lang: str, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write the chosen formats into ``out_dir``; return the final paths."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".costlm-", dir=out_dir))
    except OSError as exc:
        raise InputError(
            f"--out: cannot write to '{out_dir}' ({exc.strerror})", key="cannot_write", path=str(out_dir)
        ) from None
    writers = _writers(data, lang)
    try:
        for fmt in formats:
            writers[fmt](staging / FILE_NAMES[fmt])
        paths = []
        for fmt in formats:
            final = out_dir / FILE_NAMES[fmt]
            os.replace(staging / FILE_NAMES[fmt], final)
            paths.append(final)
        return paths
    except OSError as exc:
        raise InputError(
            f"--out: cannot write to '{out_dir}' ({exc.strerror})", key="cannot_write", path=str(out_dir)
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
