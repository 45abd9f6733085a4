"""Number and range formatting for tables (language-aware decimal marks)."""

from __future__ import annotations

from costlm.caveats import Caveat
from costlm.i18n import messages, t
from costlm.units import format_si


def number(value: float, unit: str = "", lang: str = "en") -> str:
    """1.72e6 GPU-h -> '1.72M'; USD gets a '$' prefix; Spanish uses a decimal comma."""
    text = ("$" if unit.startswith("USD") else "") + format_si(value)
    return text.replace(".", ",") if lang == "es" else text


def summary_range(p50: float, p05: float, p95: float, unit: str = "", lang: str = "en") -> str:
    """'p50 (p05–p95)', collapsing to one number when the range is a point."""
    mid = number(p50, unit, lang)
    low, high = number(p05, unit, lang), number(p95, unit, lang)
    if low == high:
        return mid
    return f"{mid} ({low}–{high})"


_UNITS_ES = {
    "days": "días",
    "GPU-h": "horas-GPU",
    "GPUs": "GPUs",
    "sequences": "secuencias",
    "replicas": "réplicas",
    "USD/year": "USD/año",
    "MWh/year": "MWh/año",
    "tCO2e/year": "tCO2e/año",
    "percent": "por ciento",
    "minutes": "minutos",
    "hours": "horas",
    "fraction": "fracción",
    "tokens/day": "tokens/día",
    "USD/GPU-hour": "USD/hora de GPU",
}


def unit_label(unit: str, lang: str) -> str:
    """A unit as readers of ``lang`` write it (SI symbols and currencies stay as they are)."""
    return _UNITS_ES.get(unit, unit) if lang == "es" else unit


def caveat_text(caveat: Caveat, lang: str) -> str:
    """A caveat in ``lang`` when the message catalog has its code, else its English message."""
    key = "warn." + caveat.code
    if lang == "en" or key not in messages(lang):
        return caveat.message
    return t(key, lang, **caveat.values)
