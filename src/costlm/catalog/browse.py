"""Browse the catalog: model families, the filters of ``costlm catalog list`` and TOML output.

``entry_toml`` writes one entry as the ``[[kind]]`` block an overlay file holds, so that loading
it back (``load.load_catalog``) gives the same entry: sourced figures as inline tables, nested
tables (``architecture``, ``training``) as ``[kind.field]`` sub-tables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from costlm.catalog.schema import Model
from costlm.errors import InputError

SIZE_SEGMENT = re.compile(r"^\d+(?:\.\d+)?[kmbt]$|^\d+x\d+(?:\.\d+)?[kmbt]$")
"""An id segment naming a size: ``8b``, ``1.5b``, ``124m``, ``8x7b``."""

FILTER_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "vendor": {
        "accelerators": ("vendor",),
        "models": ("organization",),
        "runs": ("organization",),
        "sources": ("publisher",),
        "api_prices": ("provider",),
        "inference_runs": ("hardware",),
    },
    "year": {"accelerators": ("year",), "models": ("year",), "runs": ("year",), "sources": ("date",)},
    "family": {"models": ("family",)},
    "search": {
        "accelerators": ("id", "name", "aliases"),
        "models": ("id", "name", "aliases", "family"),
        "runs": ("id", "name", "model"),
        "sources": ("id", "title", "publisher"),
        "grid": ("id", "name", "aliases"),
        "api_prices": ("id", "name", "model", "provider"),
        "inference_runs": ("id", "name", "model", "hardware", "engine"),
        "levers": ("id", "aliases", "work", "effect", "note"),
    },
}
"""Per filter, per table: the fields it reads. A filter a table lacks is an InputError."""


def model_family(model: Model) -> str:
    """The model's ``family`` when the catalog gives one, else its id up to the first size segment
    (``llama-3.1-8b`` -> ``llama-3.1``, ``mixtral-8x7b`` -> ``mixtral``); an id without a size
    (``gpt-4``, ``deepseek-v3``) is its own family."""
    if model.family:
        return model.family.lower()
    parts = model.id.lower().split("-")
    for i, part in enumerate(parts):
        if i > 0 and SIZE_SEGMENT.match(part):
            return "-".join(parts[:i])
    return model.id.lower()


def in_family(family: str, wanted: str) -> bool:
    """``wanted`` names ``family`` or a prefix of it that ends where a word does: ``llama``
    matches ``llama``, ``llama-2`` and ``llama-3.1``; ``qwen`` matches ``qwen2.5``; ``gpt-3``
    does not match ``gpt-35``."""
    wanted = wanted.strip().lower()
    if not family.startswith(wanted) or not wanted:
        return False
    rest = family[len(wanted) :]
    return not rest or not rest[0].isalnum() or (wanted[-1].isalpha() and rest[0].isdigit())


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _matches(entry: Mapping[str, Any], name: str, fields: Sequence[str], wanted: str) -> bool:
    values = [entry.get(f) for f in fields]
    if name == "year":
        return any(_text(v).startswith(wanted) for v in values)
    if name == "family":
        return any(in_family(_text(v), wanted) for v in values)
    return any(wanted.lower() in _text(v).lower() for v in values)


def filter_entries(
    kind: str, entries: list[dict[str, Any]], filters: Mapping[str, str | None]
) -> list[dict[str, Any]]:
    """The entries of table ``kind`` that pass every given filter (``vendor``: case-insensitive
    substring of the vendor, organization or publisher; ``year``: the year, or a source's date
    starting with it; ``family``: ``in_family``; ``search``: substring of id, name or aliases)."""
    for name, wanted in filters.items():
        if wanted is None:
            continue
        fields = FILTER_FIELDS[name].get(kind)
        if fields is None:
            raise InputError(
                f"--{name}: does not apply to {kind} (it filters {', '.join(FILTER_FIELDS[name])})",
                key="filter_not_applicable",
                filter=name,
                table=kind,
                tables=", ".join(FILTER_FIELDS[name]),
            )
        if name == "year" and not re.fullmatch(r"\d{4}", wanted.strip()):
            raise InputError(f"--year: '{wanted}' is not a year (e.g. 2024)", key="bad_year", value=wanted)
        entries = [e for e in entries if _matches(e, name, fields, wanted.strip())]
    return entries


OVERLAY_KEYS = {
    "sources": "source",
    "accelerators": "accelerator",
    "models": "model",
    "runs": "run",
}
"""Catalog table -> the ``[[key]]`` of an overlay file (grid regions live in grid.csv)."""


def toml_value(value: Any) -> str:
    """A TOML value: strings as basic strings (JSON escapes are TOML's), tables inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def toml_key(key: str) -> str:
    """A bare key when TOML allows one, else a quoted key."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _sub_table(value: Any) -> bool:
    """Written as a ``[kind.field]`` sub-table: a nested table that is not a sourced figure."""
    return isinstance(value, dict) and not any(k in value for k in ("value", "low", "high"))


def _table_lines(header: str, entry: Mapping[str, Any]) -> list[str]:
    lines = [header]
    lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in entry.items() if not _sub_table(v)]
    path = header.strip("[]")
    for key, value in entry.items():
        if _sub_table(value):
            lines += ["", *_table_lines(f"[{path}.{toml_key(key)}]", value)]
    return lines


def entry_toml(kind: str, entry: Mapping[str, Any]) -> str:
    """One catalog entry (a dumped model of table ``kind``) as an overlay's ``[[key]]`` block."""
    key = OVERLAY_KEYS.get(kind)
    if key is None:
        raise InputError(
            f"--toml: {kind} entries cannot go in an overlay (tables: {', '.join(OVERLAY_KEYS)})",
            key="no_toml",
            table=kind,
            tables=", ".join(OVERLAY_KEYS),
        )
    return "\n".join(_table_lines(f"[[{key}]]", entry)) + "\n"
