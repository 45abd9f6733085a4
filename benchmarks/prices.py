"""The catalog's accelerator prices: card-only and server-inclusive purchase prices per GPU, and
rental by tier (on demand, reserved/committed 1-3 years, spot/marketplace) with the month each
was quoted. A price older than ``STALE_PRICE_MONTHS`` months (on the machine's date) is starred.

Usage: python benchmarks/prices.py [--catalog FILE ...]
"""

from __future__ import annotations

import argparse
import datetime as dt

from costlm import api
from costlm.catalog.schema import Accelerator, Sourced
from costlm.resolve.prices import STALE_PRICE_MONTHS, TIERS, is_stale

_MISSING = "-"


def _usd(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.2f}"


def _cell(record: Sourced | None, today: dt.date, *, dated: bool) -> str:
    """'LOW-HIGH (value V) @ as_of*' for one price record; '-' when the catalog has none."""
    if record is None:
        return _MISSING
    low, high = record.bounds
    text = _usd(low) if low == high else f"{_usd(low)}-{_usd(high)}"
    if record.value is not None and low != high:
        text += f" ({_usd(record.value)})"
    if dated:
        text += f" @{record.as_of or '?'}" + ("*" if is_stale(record, today) else "")
    return text


def _row(acc: Accelerator, today: dt.date) -> list[str]:
    purchase = [_cell(r, today, dated=True) for r in (acc.purchase_usd, acc.server_usd_per_gpu)]
    rentals = [_cell(acc.rental(tier), today, dated=True) for tier in TIERS]
    return [acc.id, *purchase, *rentals]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", action="append", default=[], help="overlay catalog TOML")
    args = parser.parse_args()
    cat = api.load_catalog(args.catalog)
    today = dt.date.today()
    headers = [
        "accelerator",
        "card $/GPU",
        "server-incl. $/GPU",
        *(f"{tier} $/GPU-h" for tier in TIERS),
    ]
    rows = [_row(acc, today) for acc in cat.accelerators.values()]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    n_tiers = {tier: sum(acc.rental(tier) is not None for acc in cat.accelerators.values()) for tier in TIERS}
    counts = ", ".join(f"{tier} {n}" for tier, n in n_tiers.items())
    print()
    print(f"accelerators: {len(rows)}; with a rental price by tier: {counts}")
    print(
        "ranges are low-high over the market's quotes (value in parentheses = the central quote); "
        f"@ = as_of; * = older than {STALE_PRICE_MONTHS} months on {today.isoformat()}"
    )


if __name__ == "__main__":
    main()
