"""Load, validate and cross-check the catalog (bundled data plus optional user overlays).

Errors name the file, the entry id and the field, on one line. The bundled catalog
is parsed once per process (``functools.cache``); nothing is read at import time.
"""

from __future__ import annotations

import csv
import functools
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from costlm.catalog import cache
from costlm.catalog.schema import (
    Accelerator,
    ApiPrice,
    Catalog,
    Claim,
    Defaults,
    GridRegion,
    InferenceRun,
    Lever,
    MfuModel,
    MfuPrior,
    Model,
    Run,
    ServingEngine,
    Source,
)
from costlm.errors import CatalogError, UnknownIdError
from costlm.safeio import parse_guarded, read_user_text, shown_path

M = TypeVar("M", bound=BaseModel)

_TABLES: dict[str, tuple[str, type[BaseModel]]] = {
    "source": ("sources", Source),
    "accelerator": ("accelerators", Accelerator),
    "model": ("models", Model),
    "run": ("runs", Run),
    "api_price": ("api_prices", ApiPrice),
    "inference_run": ("inference_runs", InferenceRun),
    "serving_engine": ("serving_engines", ServingEngine),
    "claim": ("claims", Claim),
    "lever": ("levers", Lever),
}
_BUNDLED_TOML = (
    "sources.toml",
    "accelerators.toml",
    "models.toml",
    "runs.toml",
    "priors.toml",
    "api_prices.toml",
    "inference_runs.toml",
    "claims.toml",
    "levers.toml",
)
_GRID_CSV = "grid.csv"
GRID_ALIAS_SEPARATOR = ";"
"""Separates the aliases of one grid region in grid.csv's ``aliases`` column."""


def _describe(exc: ValidationError) -> str:
    """The most telling error first: a typo'd (unknown) field explains the missing one."""
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    field = ".".join(str(p) for p in first["loc"]) or "(entry)"
    if first["type"] == "extra_forbidden":
        return f"field '{field}': unknown field (typo?)"
    return f"field '{field}': {first['msg']}"


def _validate(cls: type[M], raw: Any, where: str) -> M:
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(f"{where}: {_describe(exc)}") from None


def _read_toml(path: Path | str, text: str) -> dict[str, Any]:
    where = shown_path(path)
    try:
        doc: dict[str, Any] = parse_guarded(
            tomllib.loads, text, where=where, what="catalog file", error=CatalogError
        )
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{where}: not valid TOML ({exc})") from None
    return doc


def _array(doc: Mapping[str, Any], key: str, fname: str) -> list[Any]:
    """``doc[key]`` as a list of tables (``[[key]]``), or a CatalogError saying how to write it."""
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CatalogError(f"{fname}: '{key}' must be an array of tables, written [[{key}]]")
    return value


def _is_figure(value: Any) -> bool:
    """A sourced figure (``Sourced``): a table holding ``value``, ``low`` or ``high``."""
    return isinstance(value, dict) and any(k in value for k in ("value", "low", "high"))


def merge_fields(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with the fields ``patch`` names replaced: nested tables (``architecture``,
    ``training``...) merge field by field, while a sourced figure, a list or a plain value is
    replaced whole (a new number never keeps another source's locator)."""
    merged = dict(base)
    for key, value in patch.items():
        old = merged.get(key)
        if isinstance(value, dict) and isinstance(old, dict) and not _is_figure(value):
            merged[key] = merge_fields(old, value)
        else:
            merged[key] = value
    return merged


_NEW_ID_HINT = " (an overlay entry with a new id must be complete)"
"""Appended to a missing-field error of an overlay entry that overrides nothing."""


def _entries(
    doc: Mapping[str, Any], fname: str, acc: Mapping[str, Any] | None = None
) -> Iterator[tuple[str, BaseModel]]:
    """Validate the ``[[source]]``, ``[[accelerator]]``, ``[[model]]``, ``[[run]]``... arrays.

    With ``acc`` (an overlay), an entry whose id is already in ``acc`` is a partial override:
    the fields it names are merged into the existing entry (``merge_fields``) and the result is
    validated; an entry with a new id must be complete.
    """
    for key, (table, cls) in _TABLES.items():
        for i, raw in enumerate(_array(doc, key, fname)):
            ident = raw.get("id", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
            where = f"{fname}: {key} '{ident}'"
            existing = acc[table].get(ident) if acc is not None and isinstance(ident, str) else None
            merged = raw if existing is None else merge_fields(existing.model_dump(exclude_none=True), raw)
            try:
                yield key, _validate(cls, merged, where)
            except CatalogError as exc:
                if acc is not None and existing is None and "Field required" in str(exc):
                    raise CatalogError(f"{exc}{_NEW_ID_HINT}") from None
                raise


def _merge_doc(acc: dict[str, Any], doc: Mapping[str, Any], fname: str, *, overlay: bool) -> None:
    """Add one file's entries to ``acc``. An overlay may override an entry by id, naming only the
    fields it changes (``_entries``), but one file may not name the same id (or MFU prior) twice:
    that is a CatalogError, as for bundled files."""
    known = set(_TABLES) | {"defaults", "mfu_prior", "mfu_model"}
    unknown = set(doc) - known
    if unknown:
        raise CatalogError(f"{fname}: unknown table '{sorted(unknown)[0]}' (expected one of {sorted(known)})")
    seen: set[str] = set()
    for key, entry in _entries(doc, fname, acc if overlay else None):
        table: dict[str, BaseModel] = acc[_TABLES[key][0]]
        ident = entry.id  # type: ignore[attr-defined]
        label = f"{key} '{ident}'"
        if label in seen or (ident in table and not overlay):
            raise CatalogError(f"{fname}: {label}: duplicate id")
        seen.add(label)
        table[ident] = entry
        acc["origins"][label] = fname
    for i, raw in enumerate(_array(doc, "mfu_prior", fname)):
        prior = _validate(MfuPrior, raw, f"{fname}: mfu_prior #{i + 1}")
        label = f"mfu_prior {prior.generation}/{prior.dtype}"
        if label in seen:
            raise CatalogError(f"{fname}: mfu_prior #{i + 1}: duplicate {label}")
        seen.add(label)
        acc["mfu_priors"] = [
            p for p in acc["mfu_priors"] if (p.generation, p.dtype) != (prior.generation, prior.dtype)
        ]
        acc["mfu_priors"].append(prior)
        acc["origins"][label] = fname
    if "mfu_model" in doc:  # one table: an overlay's replaces the bundled fit whole
        if not isinstance(doc["mfu_model"], dict):
            raise CatalogError(f"{fname}: 'mfu_model' must be a table, written [mfu_model]")
        acc["mfu_model"] = _validate(MfuModel, doc["mfu_model"], f"{fname}: [mfu_model]")
        acc["origins"]["mfu_model"] = fname
    if "defaults" in doc:
        if not isinstance(doc["defaults"], dict):
            raise CatalogError(f"{fname}: 'defaults' must be a table, written [defaults]")
        acc["defaults_raw"].update(doc["defaults"])
        if overlay:
            acc["defaults_files"].append(fname)


def _grid_rows(text: str, fname: str) -> Iterator[GridRegion]:
    for i, row in enumerate(csv.DictReader(text.splitlines())):
        where = f"{fname}: row {i + 2} '{row.get('id', '')}'"
        number = {k: row[k] for k in ("value", "low", "high") if row.get(k)}
        aliases = [a.strip() for a in (row.get("aliases") or "").split(GRID_ALIAS_SEPARATOR) if a.strip()]
        raw = {
            "id": row.get("id"),
            "name": row.get("name"),
            "aliases": aliases,
            "gco2e_per_kwh": {
                **number,
                **{k: row[k] for k in ("source", "locator", "basis", "as_of") if row.get(k)},
            },
        }
        yield _validate(GridRegion, raw, where)


def cited_sources(obj: Any) -> Iterator[tuple[str, str]]:
    """Yield (source id, locator) of every sourced record nested in a dumped model."""
    if isinstance(obj, dict):
        if isinstance(obj.get("source"), str) and "locator" in obj:
            yield obj["source"], obj["locator"]
        for value in obj.values():
            yield from cited_sources(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from cited_sources(value)


def _cross_check(cat: Catalog, *, require_all_used: bool, origins: Mapping[str, str]) -> None:
    """Every cited id exists (the error names the file of the entry, from ``origins``)."""
    aliases = {"accelerator": _names(cat.accelerators), "model": _names(cat.models)}

    def ids_of(kind: str, table: Mapping[str, Any], ident: str | None, where: str) -> None:
        if ident is not None and ident not in table:
            place = f"{origins[where]}: {where}" if where in origins else where
            raise CatalogError(f"{place}: {UnknownIdError(kind, ident, aliases.get(kind, list(table)))}")

    used: set[str] = set()
    everything: list[tuple[str, BaseModel]] = [
        *((f"accelerator '{k}'", v) for k, v in cat.accelerators.items()),
        *((f"model '{k}'", v) for k, v in cat.models.items()),
        *((f"run '{k}'", v) for k, v in cat.runs.items()),
        *((f"mfu_prior {p.generation}/{p.dtype}", p) for p in cat.mfu_priors),
        *((f"grid '{k}'", v) for k, v in cat.grid.items()),
        *((f"api_price '{k}'", v) for k, v in cat.api_prices.items()),
        *((f"inference_run '{k}'", v) for k, v in cat.inference_runs.items()),
        *((f"serving_engine '{k}'", v) for k, v in cat.serving_engines.items()),
        *((f"lever '{k}'", v) for k, v in cat.levers.items()),
        ("defaults", cat.defaults),
        *((("mfu_model", cat.mfu_model),) if cat.mfu_model is not None else ()),
    ]
    for where, entry in everything:
        for source_id, _ in cited_sources(entry.model_dump()):
            ids_of("source", cat.sources, source_id, where)
            used.add(source_id)
    for mid, model in cat.models.items():
        if model.training is not None:
            ids_of("accelerator", cat.accelerators, model.training.hardware.id, f"model '{mid}'")
            ids_of("run", cat.runs, model.training.reported_run, f"model '{mid}'")
            ids_of("model", cat.models, model.training.base_model, f"model '{mid}'")
    for rid, run in cat.runs.items():
        ids_of("accelerator", cat.accelerators, run.hardware, f"run '{rid}'")
        ids_of("model", cat.models, run.model, f"run '{rid}'")
    for pid, price in cat.api_prices.items():
        ids_of("model", cat.models, price.model, f"api_price '{pid}'")
    for iid, irun in cat.inference_runs.items():
        ids_of("model", cat.models, irun.model, f"inference_run '{iid}'")
        ids_of("accelerator", cat.accelerators, irun.hardware, f"inference_run '{iid}'")
    for lid, lever in cat.levers.items():
        ids_of("model", cat.models, lever.recipe_model, f"lever '{lid}'")
    _check_claims(cat, origins)
    ids_of("grid region", cat.grid, cat.defaults.grid_region, "defaults")
    _check_aliases(cat.accelerators, "accelerator")
    _check_aliases(cat.models, "model")
    _check_aliases(cat.grid, "grid region")
    _check_aliases(cat.levers, "lever")
    unused = sorted(set(cat.sources) - used)
    if require_all_used and unused:
        raise CatalogError(f"sources.toml: source '{unused[0]}' is cited by no entry")


_CLAIM_UNITS: dict[str, tuple[str, ...]] = {
    "training_cost_usd": ("USD",),
    "hardware_cost_usd": ("USD",),
    "fleet_capex_usd": ("USD",),
    "n_gpus": ("GPUs",),
    "training_days": ("days", "hours", "minutes"),
    "training_energy_mwh": ("MWh",),
    "api_usd_per_million_tokens": ("USD/1M tokens",),
    "inference_usd_per_year": ("USD/year",),
    "kv_cache_reduction": ("percent",),
    "gpu_rental_usd_per_hour": ("USD/GPU-hour",),
}


def _check_claims(cat: Catalog, origins: Mapping[str, str]) -> None:
    for cid, claim in cat.claims.items():
        try:
            _check_claim_ids(cat, cid, claim)
        except CatalogError as exc:
            label = f"claim '{cid}'"
            raise CatalogError(f"{origins.get(label, 'claims.toml')}: {exc}") from None


def _check_claim_ids(cat: Catalog, cid: str, claim: Claim) -> None:
    """A claim's subject, context ids and unit must be known; errors name the field."""
    where = f"claim '{cid}'"
    gpus_known = _names(cat.accelerators)
    known = gpus_known | _names(cat.models)
    if claim.subject.lower() not in known:
        raise CatalogError(
            f"{where}: field 'subject': {UnknownIdError('model or accelerator', claim.subject, known)}"
        )
    units = _CLAIM_UNITS[claim.quantity]
    if claim.unit not in units:
        raise CatalogError(
            f"{where}: field 'unit': '{claim.unit}' does not fit {claim.quantity} (use {', '.join(units)})"
        )
    gpus = [p.gpu for p in claim.context.fleet] + ([claim.context.gpu] if claim.context.gpu else [])
    for gpu in gpus:
        if gpu.lower() not in gpus_known:
            unknown = UnknownIdError("accelerator", gpu, gpus_known)
            raise CatalogError(f"{where}: field 'context.gpu': {unknown}")
    base = claim.context.baseline_model
    if base is not None and base not in cat.models:
        raise CatalogError(
            f"{where}: field 'context.baseline_model': {UnknownIdError('model', base, list(cat.models))}"
        )


def _check_aliases(table: Mapping[str, Accelerator | Model | GridRegion | Lever], kind: str) -> None:
    seen: dict[str, str] = {}
    for ident, entry in table.items():
        for name in (ident, *entry.aliases):
            key = name.lower()
            if seen.setdefault(key, ident) != ident:
                raise CatalogError(f"{kind} '{ident}': alias '{name}' also names '{seen[key]}'")


def _data_text(name: str) -> str:
    return resources.files("costlm.catalog").joinpath("data", name).read_text(encoding="utf-8")


def assemble(docs: Sequence[tuple[str, str]], grid_text: str, *, n_bundled: int) -> Catalog:
    """A validated catalog from (file name, TOML text) documents, the first ``n_bundled`` of them
    bundled (every source must be cited) and the rest overlays, plus the grid CSV."""
    acc: dict[str, Any] = {table: {} for table, _ in _TABLES.values()}
    acc |= {"mfu_priors": [], "mfu_model": None, "defaults_raw": {}, "defaults_files": [], "origins": {}}
    for i, (fname, text) in enumerate(docs):
        _merge_doc(acc, _read_toml(fname, text), fname, overlay=i >= n_bundled)
    where = " + ".join(acc.pop("defaults_files")) or "priors.toml"
    defaults = _validate(Defaults, acc.pop("defaults_raw"), f"{where}: [defaults]")
    grid = {g.id: g for g in _grid_rows(grid_text, _GRID_CSV)}
    origins = acc.pop("origins")
    cat = Catalog(**acc, grid=grid, defaults=defaults)
    _cross_check(cat, require_all_used=n_bundled == len(docs), origins=origins)
    return cat


@functools.cache
def bundled_catalog() -> Catalog:
    """The catalog shipped with costlm (validated and cross-checked, cached)."""
    docs = [(name, _data_text(name)) for name in _BUNDLED_TOML]
    return _validated(docs, _data_text(_GRID_CSV), n_bundled=len(docs))


@functools.cache
def _catalog_with(overlays: tuple[str, ...]) -> Catalog:
    docs = [(name, _data_text(name)) for name in _BUNDLED_TOML]
    for path in overlays:
        docs.append((path, read_user_text(path, what="catalog file", error=CatalogError)))
    return _validated(docs, _data_text(_GRID_CSV), n_bundled=len(_BUNDLED_TOML))


def _validated(docs: Sequence[tuple[str, str]], grid_text: str, *, n_bundled: int) -> Catalog:
    """``assemble``'s catalog, from the on-disk cache when these exact texts were validated before."""
    build = functools.partial(assemble, docs, grid_text, n_bundled=n_bundled)
    return cache.cached_catalog(docs, grid_text, n_bundled=n_bundled, build=build)


def load_catalog(overlays: Sequence[str | Path] = ()) -> Catalog:
    """The bundled catalog, with user TOML files adding or overriding entries by id."""
    if not overlays:
        return bundled_catalog()
    return _catalog_with(tuple(str(p) for p in overlays))


def with_overlay_text(name: str, text: str) -> Catalog:
    """The bundled catalog plus one overlay given as text (validated, not cached): checks an
    overlay before it is written to ``name``."""
    docs = [(n, _data_text(n)) for n in _BUNDLED_TOML]
    return assemble([*docs, (name, text)], _data_text(_GRID_CSV), n_bundled=len(docs))


def _names(table: Mapping[str, Accelerator | Model | GridRegion | Lever]) -> dict[str, str]:
    """Every accepted name (id and aliases, lowered) -> id."""
    return {alias.lower(): ident for ident, entry in table.items() for alias in (ident, *entry.aliases)}


def _resolve(table: Mapping[str, Accelerator | Model | GridRegion | Lever], kind: str, name: str) -> str:
    names = _names(table)
    key = name.strip().lower()
    if key in names:
        return names[key]
    raise UnknownIdError(kind, name, names)


def accelerator(cat: Catalog, name: str) -> Accelerator:
    """Look an accelerator up by id or alias, case-insensitively."""
    return cat.accelerators[_resolve(cat.accelerators, "accelerator", name)]


def model(cat: Catalog, name: str) -> Model:
    """Look a model up by id or alias, case-insensitively."""
    return cat.models[_resolve(cat.models, "model", name)]


def lever(cat: Catalog, name: str) -> Lever:
    """Look a cost lever up by id or alias, case-insensitively."""
    return cat.levers[_resolve(cat.levers, "lever", name)]


def grid_region(cat: Catalog, name: str) -> GridRegion:
    """Look a grid region up by id or alias (``us``, ``gb``, ``united states``...), case-insensitively."""
    return cat.grid[_resolve(cat.grid, "grid region", name)]


def claims_from_file(cat: Catalog, path: str | Path) -> list[Claim]:
    """A user's claims TOML (``[[claim]]`` entries), validated like the bundled ones."""
    text = read_user_text(path, what="claims file", error=CatalogError, option="--file")
    return claims_from_text(cat, path, text)


def claims_from_text(cat: Catalog, path: str | Path, text: str) -> list[Claim]:
    """Claims TOML given as text (pasted in the web page); ``path`` names it in messages."""
    doc = _read_toml(path, text)
    extra = set(doc) - {"claim"}
    if extra:
        raise CatalogError(
            f"{path}: unknown table '{sorted(extra)[0]}' (a claims file holds [[claim]] entries)"
        )
    claims: list[Claim] = []
    for i, raw in enumerate(_array(doc, "claim", str(path))):
        ident = raw.get("id", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
        claim = _validate(Claim, raw, f"{path}: claim '{ident}'")
        try:
            _check_claim_ids(cat, claim.id, claim)
        except CatalogError as exc:
            raise CatalogError(f"{path}: {exc}") from None
        if any(c.id == claim.id for c in claims):
            raise CatalogError(f"{path}: claim '{claim.id}': duplicate id")
        claims.append(claim)
    if not claims:
        raise CatalogError(f"{path}: no [[claim]] entries")
    return claims
