"""Which price a estimate uses: the rental tier, the purchase basis and the staleness of both.

Three rules, each here once:

- **Rental tier** (``rental_price``): ``on-demand``, ``reserved`` (1-3 year commitments) or ``spot``
  (spot/preemptible capacity and GPU marketplaces), or ``auto``: reserved for a large or long
  run (>= ``AUTO_RESERVED_MIN_GPUS`` GPUs, or >= ``AUTO_RESERVED_MIN_DAYS`` days of wall-clock
  time; a serving deployment runs all year, so it is long), on-demand otherwise. A tier the
  catalog lacks for that accelerator falls back to the nearest one (``TIER_FALLBACK``) with a
  ``price_tier_fallback`` caveat.
- **Purchase basis** (``purchase_price``): the card price (``purchase_usd``) when known, with the
  cluster-capex multiple (servers + network, ~2x) for a training cluster and the server multiple
  (~1.4x) for a standalone server; else the server-inclusive per-GPU price (``server_usd_per_gpu``)
  with the network multiple only (``network_capex_multiple``, 1/(1-0.19)) and no server multiple.
  A multiple for servers is never applied to a price that already includes the server.
- **Staleness** (``is_stale``): a price whose ``as_of`` is more than ``STALE_PRICE_MONTHS`` months
  before today (month precision when ``as_of`` has a month; a bare year counts as its December,
  so only surely-old prices are flagged). ``today`` is injectable for tests. API list prices
  (``stale_api_warnings``) move faster and use the same arithmetic with
  ``STALE_API_PRICE_MONTHS``: every output that uses one (serve's API comparison, claims on API
  prices, the seed table) carries its ``stale_api_price`` caveat.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from costlm.catalog.schema import Accelerator, ApiPrice, Defaults, PriceTier, Sourced
from costlm.units import DAYS_PER_YEAR

TierChoice = Literal["on-demand", "reserved", "spot", "auto"]
TIERS: tuple[PriceTier, ...] = get_args(PriceTier)
TIER_CHOICES: tuple[TierChoice, ...] = get_args(TierChoice)
AUTO_RESERVED_MIN_GPUS = 256
"""``auto`` picks committed pricing for clusters of at least this many GPUs..."""
AUTO_RESERVED_MIN_DAYS = 30.0
"""...or runs of at least this many days (reserved terms are sold by the month and year)."""
SERVING_DAYS = DAYS_PER_YEAR
"""A serving deployment is priced as running all year (a long run for ``auto``)."""
TIER_FALLBACK: dict[PriceTier, tuple[PriceTier, ...]] = {
    "on-demand": ("reserved", "spot"),
    "reserved": ("on-demand", "spot"),
    "spot": ("on-demand", "reserved"),
}
"""When a tier has no price: the nearest tiers in order (spot and reserved are both discounts on
on-demand, so on-demand is the nearest of each)."""
STALE_PRICE_MONTHS = 18
"""A price quoted more than this many months ago gets a ``stale_price`` caveat."""
STALE_API_PRICE_MONTHS = 12
"""An API list price quoted more than this many months ago gets a ``stale_api_price`` caveat
(providers cut list prices within a year of a launch)."""
_MONTHS_PER_YEAR = 12
_AS_OF = re.compile(r"(20\d\d)(?:-(\d\d))?")

Warning = tuple[str, str, dict[str, str]]


def auto_tier(*, n_gpus: float, days: float | None) -> tuple[PriceTier, str]:
    """(tier, reason code) of the ``auto`` rule for a run on ``n_gpus`` lasting ``days``."""
    if n_gpus >= AUTO_RESERVED_MIN_GPUS:
        return "reserved", "large"
    if days is not None and days >= AUTO_RESERVED_MIN_DAYS:
        return "reserved", "long"
    return "on-demand", "small"


@dataclass(frozen=True)
class RentalPrice:
    """The rental record a run uses, the tier it is from and the caveats of the choice."""

    tier: PriceTier
    record: Sourced | None
    warnings: list[Warning]


def rental_price(
    acc: Accelerator, choice: TierChoice, *, n_gpus: float, days: float | None, today: dt.date
) -> RentalPrice:
    """The tier ``choice`` resolves to for this run, its price record (or a fallback tier's)."""
    warnings: list[Warning] = []
    if choice == "auto":
        wanted, reason = auto_tier(n_gpus=n_gpus, days=days)
        warnings.append(
            (
                "price_tier_auto",
                f"rental priced at the {wanted} tier ({reason} run: reserved from "
                f"{AUTO_RESERVED_MIN_GPUS} GPUs or {AUTO_RESERVED_MIN_DAYS:g} days; set --price-tier)",
                {
                    "tier": wanted,
                    "reason": reason,
                    "gpus": str(AUTO_RESERVED_MIN_GPUS),
                    "days": f"{AUTO_RESERVED_MIN_DAYS:g}",
                },
            )
        )
    else:
        wanted = choice
    for tier in (wanted, *TIER_FALLBACK[wanted]):
        record = acc.rental(tier)
        if record is None:
            continue
        if tier != wanted:
            warnings.append(
                (
                    "price_tier_fallback",
                    f"{acc.id} has no {wanted} rental price in the catalog; using its {tier} price",
                    {"gpu": acc.id, "wanted": wanted, "tier": tier},
                )
            )
        warnings.extend(stale_warnings(acc.id, tier, record, today))
        return RentalPrice(tier=tier, record=record, warnings=warnings)
    return RentalPrice(tier=wanted, record=None, warnings=warnings)


def priced_record(acc: Accelerator, tier: str | None) -> Sourced | None:
    """The rental record of a tier a spec settled on (None for ``user``, None or an unknown tier)."""
    for known in TIERS:
        if tier == known:
            return acc.rental(known)
    return None


@dataclass(frozen=True)
class PurchasePrice:
    """The per-GPU purchase price an estimate uses and the multiples that fit it."""

    record: Sourced
    includes_server: bool
    cluster_multiple: Sourced
    """Price -> whole training cluster (servers + network, or the network only)."""
    server_multiple: Sourced | None
    """Price -> a standalone server; None when the price already includes the server."""


def purchase_price(acc: Accelerator, defaults: Defaults) -> PurchasePrice | None:
    """The card price with the full multiples, else the server-inclusive price with the network
    multiple only (see the module docstring); None when neither is in the catalog."""
    if acc.purchase_usd is not None:
        return PurchasePrice(
            acc.purchase_usd, False, defaults.cluster_capex_multiple, defaults.server_capex_multiple
        )
    if acc.server_usd_per_gpu is not None:
        return PurchasePrice(acc.server_usd_per_gpu, True, defaults.network_capex_multiple, None)
    return None


def market_purchase_range(acc: Accelerator) -> tuple[float, float] | None:
    """(lowest, highest) per-GPU purchase price over the card-only and server-inclusive records:
    the market's whole spread, for judging a claimed hardware cost whose basis is not stated."""
    records = [r for r in (acc.purchase_usd, acc.server_usd_per_gpu) if r is not None]
    if not records:
        return None
    return min(r.bounds[0] for r in records), max(r.bounds[1] for r in records)


def months_old(as_of: str, today: dt.date) -> int | None:
    """Whole months from ``as_of`` (YYYY or YYYY-MM; a bare year is its December) to ``today``;
    None when ``as_of`` names no year."""
    found = _AS_OF.findall(as_of)
    if not found:
        return None
    year, month = max((int(y), int(m) if m else _MONTHS_PER_YEAR) for y, m in found)
    return (today.year - year) * _MONTHS_PER_YEAR + today.month - month


def is_stale(record: Sourced | None, today: dt.date, *, limit_months: int = STALE_PRICE_MONTHS) -> bool:
    """True when the record's ``as_of`` is more than ``limit_months`` months before today."""
    if record is None or record.as_of is None:
        return False
    age = months_old(record.as_of, today)
    return age is not None and age > limit_months


def api_prices_of(prices: Iterable[ApiPrice], model_id: str | None) -> list[ApiPrice]:
    """The API list prices of one catalog model that price its output (the rows outputs use);
    none for a model outside the catalog (``model_id`` None)."""
    if model_id is None:
        return []
    return [p for p in prices if p.model == model_id and p.output_usd_per_mtok is not None]


def stale_api_warnings(prices: Iterable[ApiPrice], today: dt.date) -> list[Warning]:
    """One ``stale_api_price`` caveat listing every API list price whose output price is as of more
    than ``STALE_API_PRICE_MONTHS`` months before ``today`` (none when all are recent or undated)."""
    old = [
        f"{price.provider} {price.name} ({price.output_usd_per_mtok.as_of})"
        for price in prices
        if price.output_usd_per_mtok is not None
        and is_stale(price.output_usd_per_mtok, today, limit_months=STALE_API_PRICE_MONTHS)
    ]
    if not old:
        return []
    listing, months = "; ".join(old), str(STALE_API_PRICE_MONTHS)
    message = f"API prices older than {months} months: {listing}"
    return [("stale_api_price", message, {"prices": listing, "months": months})]


def stale_warnings(gpu: str, what: str, record: Sourced | None, today: dt.date) -> list[Warning]:
    """A ``stale_price`` caveat for an old price record (none for a recent or undated one);
    ``what`` names the price: ``purchase``, ``server`` or a rental tier."""
    if record is None or not is_stale(record, today):
        return []
    return [
        (
            "stale_price",
            f"{gpu} {what} price is as of {record.as_of} (older than {STALE_PRICE_MONTHS} months)",
            {"gpu": gpu, "what": what, "as_of": str(record.as_of), "months": str(STALE_PRICE_MONTHS)},
        )
    ]


def purchase_what(bought: PurchasePrice) -> str:
    """The name of a purchase price in caveats: ``server`` (server-inclusive) or ``purchase``."""
    return "server" if bought.includes_server else "purchase"
