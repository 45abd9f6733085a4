"""What the catalog holds (``costlm catalog stats``): counts, the oldest price per price table, and
how many sourced figures are reported, third-party estimates, derived or assumed.

A *figure* is a ``Sourced`` record (a table holding ``value`` or ``low``..``high``) anywhere in an
entry, the ``[defaults]`` or the MFU priors; its ``basis`` says where it comes from. Every number
here is counted from the loaded catalog, overlays included.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict

from costlm.catalog.schema import Basis, Catalog
from costlm.resolve.prices import months_old

PRICE_FIELDS: dict[str, tuple[str, ...]] = {
    "accelerators": (
        "purchase_usd",
        "server_usd_per_gpu",
        "rental_usd_per_hour",
        "rental_reserved_usd_per_hour",
        "rental_spot_usd_per_hour",
    ),
    "api_prices": ("input_usd_per_mtok", "output_usd_per_mtok"),
}
"""The price tables and their price fields (each a ``Sourced`` record with an ``as_of``)."""
COUNTED_TABLES = (
    "models",
    "accelerators",
    "runs",
    "api_prices",
    "inference_runs",
    "serving_engines",
    "claims",
    "sources",
    "grid",
)


class OldestPrice(BaseModel):
    """The price quoted longest ago in one price table (by its ``as_of``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str
    entry: str
    field: str
    as_of: str
    months_old: int
    n_prices: int
    n_undated: int


class CatalogStats(BaseModel):
    """Counts per table, the oldest price per price table, and the figures by basis."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    counts: dict[str, int]
    n_mfu_priors: int
    oldest_prices: list[OldestPrice]
    figures_by_basis: dict[str, int]
    """Every basis (``reported``, ``third-party``, ``derived``, ``estimate``), zero included."""
    n_figures: int


def _figures(obj: Any) -> Iterator[dict[str, Any]]:
    """Every sourced figure nested in a dumped model."""
    if isinstance(obj, dict):
        if "source" in obj and any(k in obj for k in ("value", "low", "high")):
            yield obj
        for value in obj.values():
            yield from _figures(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _figures(value)


def _oldest(cat: Catalog, table: str, fields: tuple[str, ...], today: dt.date) -> OldestPrice | None:
    dated: list[tuple[int, str, str, str]] = []
    n_prices = 0
    for ident, entry in getattr(cat, table).items():
        for name in fields:
            record = getattr(entry, name)
            if record is None:
                continue
            n_prices += 1
            age = None if record.as_of is None else months_old(record.as_of, today)
            if age is not None:
                dated.append((age, ident, name, str(record.as_of)))
    if not dated:
        return None
    age, ident, name, as_of = max(dated, key=lambda d: (d[0], d[1], d[2]))
    return OldestPrice(
        table=table,
        entry=ident,
        field=name,
        as_of=as_of,
        months_old=age,
        n_prices=n_prices,
        n_undated=n_prices - len(dated),
    )


def catalog_stats(cat: Catalog, today: dt.date) -> CatalogStats:
    """Counts, oldest prices (months before ``today``) and figures by basis of ``cat``."""
    dumps: list[Any] = [cat.defaults.model_dump(), *(p.model_dump() for p in cat.mfu_priors)]
    if cat.mfu_model is not None:
        dumps.append(cat.mfu_model.model_dump())
    for table in COUNTED_TABLES:
        dumps += [entry.model_dump() for entry in getattr(cat, table).values()]
    basis = Counter(str(f.get("basis", "reported")) for d in dumps for f in _figures(d))
    oldest = [_oldest(cat, t, fields, today) for t, fields in PRICE_FIELDS.items()]
    return CatalogStats(
        counts={t: len(getattr(cat, t)) for t in COUNTED_TABLES},
        n_mfu_priors=len(cat.mfu_priors),
        oldest_prices=[o for o in oldest if o is not None],
        figures_by_basis={b: basis.get(b, 0) for b in get_args(Basis)},
        n_figures=sum(basis.values()),
    )
