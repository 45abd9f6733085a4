"""Unit constants and parsing of human numbers ("7B", "15T", "2.5e12", "1..3", "$2/h").

Parsing rejects NaN, infinities, non-positive and absurd magnitudes with an
``InputError`` that says what was wrong and how to write it instead.
"""

from __future__ import annotations

import math
import re

from costlm.errors import InputError

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86_400.0
HOURS_PER_DAY = 24.0
DAYS_PER_YEAR = 365.25
HOURS_PER_YEAR = DAYS_PER_YEAR * HOURS_PER_DAY  # 8766, as Epoch AI's amortization uses
J_PER_WH = 3600.0
TERA = 1e12
J_PER_KWH = 3.6e6
J_PER_MWH = 3.6e9
KG_PER_TONNE = 1000.0
G_PER_TONNE = 1e6
W_PER_KW = 1000.0
W_PER_MW = 1e6
MS_PER_S = 1000.0
KWH_PER_MWH = 1000.0
TOKENS_PER_MILLION = 1e6
"""Prices and costs per token are quoted per 1M tokens."""
GB = 1e9
GIB = 2.0**30
"""Binary gigabyte: the unit serving engines (vLLM, PyTorch) log memory in."""
TB = 1e12

MAX_MAGNITUDE = 1e30
"""Largest accepted input (FLOP counts of frontier runs are ~1e26)."""

_SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}
_NUMBER = re.compile(
    r"^\$?\s*([+-]?(?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([kmbgtp]?)\s*(?:/h|/hr|/hour)?$"
)


MAX_SHOWN_CHARS = 20
"""A user's text is echoed in an error message up to this many characters."""


def shown(text: str) -> str:
    """A user's text as an error message echoes it: control characters escaped (the message stays
    on one line) and cut after ``MAX_SHOWN_CHARS``."""
    escaped = text.encode("unicode_escape").decode("ascii")
    return escaped if len(escaped) <= MAX_SHOWN_CHARS else escaped[:MAX_SHOWN_CHARS] + "…"


def parse_number(text: str | float, *, name: str = "value") -> float:
    """Parse '7B', '2T', '1.5e9', '$2/h', '16k' into a positive finite float."""
    if isinstance(text, int | float):
        return check_positive(float(text), name=name)
    raw = text.strip().lower().replace(" ", "")
    text = shown(text)
    if "," in raw:
        raise InputError(
            f"{name}: '{text}' has a comma; write decimals with a dot and no thousands separator "
            "(e.g. 2.5, 7500)",
            key="comma",
            name=name,
            text=text,
        )
    match = _NUMBER.match(raw)
    if match is None:
        raise InputError(
            f"{name}: cannot read '{text}' as a number (write e.g. 7e9, 7B, 2.5T, 0.4)",
            key="not_a_number",
            name=name,
            text=text,
        )
    digits = match.group(1).replace("_", "")
    value = float(digits) * _SUFFIXES.get(match.group(2), 1.0)
    if math.isinf(value):  # digits beyond float range (e.g. 1 followed by 400 zeros, or 1e400)
        raise InputError(
            f"{name}: '{text}' is absurdly large (max {MAX_MAGNITUDE:g})",
            key="too_large",
            name=name,
            value=text,
        )
    return check_positive(value, name=name)


def parse_range(text: str, *, name: str = "value") -> tuple[float, float]:
    """Parse 'LOW..HIGH' (or a single number, meaning low == high)."""
    parts = text.split("..")
    if len(parts) > 2 or not all(p.strip() for p in parts):
        text = shown(text)
        raise InputError(
            f"{name}: cannot read '{text}' as a range (write LOW..HIGH, e.g. 0.3..0.5)",
            key="not_a_range",
            name=name,
            text=text,
        )
    low = parse_number(parts[0], name=name)
    high = parse_number(parts[-1], name=name)
    if low > high:
        raise InputError(
            f"{name}: low {low:g} is greater than high {high:g} in '{shown(text)}'",
            key="low_above_high",
            name=name,
            low=low,
            high=high,
        )
    return low, high


def check_positive(value: float, *, name: str = "value") -> float:
    """Return ``value`` if it is finite, > 0 and below ``MAX_MAGNITUDE``; else raise InputError."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InputError(
            f"{name}: expected a number, got {value!r}", key="expected_number", name=name, value=repr(value)
        )
    if math.isnan(value) or math.isinf(value):
        raise InputError(f"{name}: {value} is not a finite number", key="not_finite", name=name, value=value)
    if value <= 0:
        raise InputError(
            f"{name}: must be greater than 0, got {value:g}", key="not_positive", name=name, value=value
        )
    if value > MAX_MAGNITUDE:
        raise InputError(
            f"{name}: {value:g} is absurdly large (max {MAX_MAGNITUDE:g})",
            key="too_large",
            name=name,
            value=value,
        )
    return float(value)


def check_fraction(value: float, *, name: str = "value") -> float:
    """Return ``value`` if it lies in (0, 1]; else raise InputError."""
    check_positive(value, name=name)
    if value > 1:
        raise InputError(
            f"{name}: must be a fraction in (0, 1], got {value:g}", key="not_fraction", name=name, value=value
        )
    return value


def format_count(n: int) -> str:
    """An integer for a message: '1,024', or 'a number with ~401 digits' when too long to read
    (never converts a huge int to a float or to a decimal string)."""
    if abs(n) < 10**15:
        return f"{n:,}"
    return f"a number with ~{math.floor(abs(n).bit_length() * math.log10(2)) + 1} digits"


def format_si(value: float, unit: str = "", *, digits: int = 3) -> str:
    """Format 1.72e6 as '1.72M' (k, M, B, T suffixes, then scientific)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}{unit}"
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            if abs(value) >= 1e15:
                return f"{value:.{digits - 1}e}{unit}"
            return f"{value / factor:.{digits}g}{suffix}{unit}"
    return f"{value:.{digits}g}{unit}"
