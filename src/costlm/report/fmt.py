"""Numbers, ranges and units as people read them (language-aware decimal marks, human units).

Results carry fixed named units (``wall_clock_days``, ``energy_mwh``...) and JSON keeps them.
Text output picks a unit per row instead: one :class:`Scale` for the p05, p50, p95 and the
reported value of a row, so the figures of a row share one unit and compare at a glance::

    s = row_scale("days", 0.0162, (0.00786, 0.0327))    # -> minutes
    scaled(0.0162, s) == "23.3"; scaled_unit(s, "es") == "min"

Physical quantities climb a ladder of units (ms, s, min, h, days; Wh, kWh, MWh, GWh; W, kW, MW;
kgCO2e, tCO2e, ktCO2e). Counts and money keep their unit and share one SI multiplier (k, M, B, T).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from costlm.caveats import Caveat
from costlm.i18n import messages, t
from costlm.units import KG_PER_TONNE, SECONDS_PER_DAY, SECONDS_PER_HOUR, format_si

SECONDS_PER_MINUTE = 60.0
MILLI = 1e-3
KILO = 1e3
MEGA = 1e6
GIGA = 1e9
TERA = 1e12
ROW_DIGITS_LIMIT = 1000.0
"""A row steps up one unit while any of its numbers would need four digits before the point."""
ROW_SPREAD_LIMIT = 1e6
"""A row of counts or money spanning more decades than this gives each number its own multiplier."""
SCIENTIFIC_FROM = 1e15
"""At and above this (FLOP counts), each number is written in scientific notation on its own."""

# A ladder: (unit, size in the ladder's base unit), smallest first.
Ladder = tuple[tuple[str, float], ...]
TIME: Ladder = (
    ("ms", MILLI),
    ("s", 1.0),
    ("min", SECONDS_PER_MINUTE),
    ("h", SECONDS_PER_HOUR),
    ("days", SECONDS_PER_DAY),
)
ENERGY: Ladder = (("Wh", 1.0), ("kWh", KILO), ("MWh", MEGA), ("GWh", GIGA), ("TWh", TERA))
POWER: Ladder = (("W", 1.0), ("kW", KILO), ("MW", MEGA), ("GW", GIGA))
CO2: Ladder = (("kgCO2e", 1.0), ("tCO2e", KG_PER_TONNE), ("ktCO2e", MEGA), ("MtCO2e", GIGA))
LADDERS: tuple[Ladder, ...] = (TIME, ENERGY, POWER, CO2)
TIME_ALIASES = {"hours": "h", "minutes": "min"}
"""Result units spelled out that mean a rung of the time ladder."""
MULTIPLIERS = ((TERA, "T"), (GIGA, "B"), (MEGA, "M"), (KILO, "k"), (1.0, ""))
"""SI multipliers of counts and money, largest first (B for billions, as format_si writes)."""
PER_SUFFIXES = ("/year", "/day")
"""A rate over a period keeps its period: 'MWh/year' climbs the energy ladder as 'kWh/year'."""


class Figure(Protocol):
    """A reported figure as the report reads it (the api's reported-figure records)."""

    @property
    def quantity(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def low(self) -> float | None: ...
    @property
    def high(self) -> float | None: ...
    @property
    def unit(self) -> str: ...
    @property
    def basis(self) -> str: ...
    @property
    def source(self) -> str: ...


@dataclass(frozen=True)
class Scale:
    """How the numbers of one row are written: divided by ``size``, followed by ``suffix``.

    ``unit`` is the displayed unit (a key of ``unit_label``), ``dollar`` puts a '$' before
    each number, ``scientific`` writes each number on its own in scientific notation and
    ``each`` gives each number its own SI multiplier (rows too wide for one).
    """

    size: float = 1.0
    suffix: str = ""
    unit: str = ""
    dollar: bool = False
    scientific: bool = False
    each: bool = False


def _split_per(unit: str) -> tuple[str, str]:
    for per in PER_SUFFIXES:
        if unit.endswith(per):
            return unit[: -len(per)], per
    return unit, ""


def _rung(unit: str) -> tuple[Ladder, float] | None:
    """The ladder holding ``unit`` and the unit's size in the ladder's base unit."""
    unit = TIME_ALIASES.get(unit, unit)
    for ladder in LADDERS:
        for name, size in ladder:
            if name == unit:
                return ladder, size
    return None


def convert(value: float, from_unit: str, to_unit: str) -> float | None:
    """``value`` in ``from_unit`` expressed in ``to_unit``; None when they measure different things."""
    if from_unit == to_unit:
        return value
    (base_from, per_from), (base_to, per_to) = _split_per(from_unit), _split_per(to_unit)
    a, b = _rung(base_from), _rung(base_to)
    if a is None or b is None or a[0] is not b[0] or per_from != per_to:
        return None
    return value * a[1] / b[1]


def _pick(steps: list[tuple[float, str]], head: float, top: float) -> tuple[float, str]:
    """The largest step (size, name) not above ``head``, stepped up while ``top`` needs 4+ digits."""
    index = 0
    for i, (size, _) in enumerate(steps):
        if head >= size:
            index = i
    while index + 1 < len(steps) and top / steps[index][0] >= ROW_DIGITS_LIMIT:
        index += 1
    return steps[index]


def row_scale(unit: str, head: float, others: Iterable[float] = ()) -> Scale:
    """One scale for a row: chosen from its headline ``head`` (the p50), wide enough for ``others``."""
    values = [abs(v) for v in (head, *others) if math.isfinite(v)]
    top = max(values, default=0.0)
    head = abs(head) if math.isfinite(head) and head != 0 else top
    dollar = unit.startswith("USD")
    if top == 0:
        return Scale(unit=TIME_ALIASES.get(unit, unit), dollar=dollar)
    base, per = _split_per(unit)
    rung = _rung(base)
    if rung is not None:
        ladder, size = rung
        steps = [(s / size, name) for name, s in ladder]
        step, name = _pick(steps, head, top)
        return Scale(size=step, unit=name + per)
    if head >= SCIENTIFIC_FROM:
        return Scale(unit=unit, dollar=dollar, scientific=True)
    bottom = min((v for v in values if v > 0), default=top)
    if top / bottom >= ROW_SPREAD_LIMIT:
        return Scale(unit=unit, dollar=dollar, each=True)
    step, suffix = _pick(sorted(MULTIPLIERS), head, top)
    return Scale(size=step, suffix=suffix, unit=unit, dollar=dollar)


def _plain(value: float) -> str:
    """Three significant digits, no exponent from 1e-4 up ('2470', '0.00786')."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    text = f"{value:.3g}"
    return f"{float(text):.0f}" if "e" in text and abs(value) >= 1 else text


def _scientific(value: float) -> str:
    """'3.29e24': three significant digits, the exponent without '+' or leading zeros."""
    mantissa, _, exponent = f"{value:.2e}".partition("e")
    return f"{mantissa}e{int(exponent)}"


def localized(text: str, lang: str) -> str:
    """A number already written with a decimal point, in the decimal mark of ``lang``."""
    return text.replace(".", ",") if lang == "es" else text


def scaled(value: float, scale: Scale, lang: str = "en") -> str:
    """``value`` (in the row's result unit) written in ``scale``: '23.3', '$1.03M', '2.52M'."""
    if scale.scientific:
        body = _scientific(value)
    elif scale.each:
        size, suffix = _pick(sorted(MULTIPLIERS), abs(value), abs(value))
        body = _plain(value / size) + suffix
    else:
        body = _plain(value / scale.size) + scale.suffix
    return localized(("$" if scale.dollar else "") + body, lang)


def scaled_unit(scale: Scale, lang: str) -> str:
    """The unit of a scaled row as readers of ``lang`` write it ('min', 'días', 'kWh/año')."""
    return unit_label(scale.unit, lang)


def scaled_range(
    p50: float, p05: float, p95: float, scale: Scale, lang: str = "en", *, with_unit: bool = True
) -> str:
    """'p50 (p05–p95) unit' in one scale, collapsing to 'p50 unit' when the range is a point.

    Money carries its '$' and no trailing unit.
    """
    mid, low, high = (scaled(v, scale, lang) for v in (p50, p05, p95))
    text = mid if low == high else f"{mid} ({low}–{high})"
    unit = scaled_unit(scale, lang)
    return f"{text} {unit}" if with_unit and unit and not scale.dollar else text


def number(value: float, unit: str = "", lang: str = "en") -> str:
    """One number on its own: 1.72e6 GPU-h -> '1.72M'; USD gets a '$' prefix; Spanish uses a decimal comma."""
    return localized(("$" if unit.startswith("USD") else "") + format_si(value), lang)


def summary_range(p50: float, p05: float, p95: float, unit: str = "", lang: str = "en") -> str:
    """'p50 (p05–p95)' sharing one SI multiplier, collapsing to one number when the range is a point."""
    scale = row_scale(unit, p50, (p05, p95))
    return scaled_range(p50, p05, p95, scale, lang, with_unit=False)


def unit_label(unit: str, lang: str) -> str:
    """A unit as readers of ``lang`` write it (i18n ``unit.*``; SI symbols and currencies stay)."""
    table = messages(lang)
    key = "unit." + unit
    if key in table:
        return table[key]
    if "/" in unit:
        base, _, per = unit.rpartition("/")
        return unit_label(base, lang) + "/" + unit_label(per, lang)
    return unit


def output_label(label_key: str, at_rental: bool, tier: str | None, lang: str) -> str:
    """An output's label, with the rental tier beside a rental-priced figure ("... · reserved")."""
    label = t(label_key, lang)
    return f"{label} · {t('tier.' + tier, lang)}" if at_rental and tier else label


def caveat_text(caveat: Caveat, lang: str) -> str:
    """A caveat in ``lang`` when the message catalog has its code, else its English message."""
    key = "warn." + caveat.code
    if lang == "en" or key not in messages(lang):
        return caveat.message
    return t(key, lang, **caveat.values)


def in_lang(english: str | None, spanish: str | None, lang: str) -> str | None:
    """Catalog prose that exists in both languages: the Spanish text in Spanish where it exists."""
    return (spanish or english) if lang == "es" else english
