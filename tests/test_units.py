import math

import pytest

from costlm.errors import InputError
from costlm.units import check_fraction, format_si, parse_number, parse_range


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7B", 7e9),
        ("2T", 2e12),
        ("1.5e9", 1.5e9),
        ("$2/h", 2.0),
        ("16k", 16e3),
        ("0.4", 0.4),
        ("2.5t", 2.5e12),
    ],
)
def test_parse_number_reads_suffixes(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nan", "cannot read 'nan'"),
        ("-1", "must be greater than 0"),
        ("0", "must be greater than 0"),
        ("1e40", "absurdly large"),
        ("seven", "cannot read 'seven'"),
    ],
)
def test_parse_number_rejects_bad_input(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_number(text, name="--params")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_rejected(value: float) -> None:
    with pytest.raises(InputError, match="not a finite number"):
        parse_number(value)


def test_parse_range() -> None:
    assert parse_range("0.3..0.5") == (0.3, 0.5)
    assert parse_range("2") == (2.0, 2.0)
    with pytest.raises(InputError, match=r"low 0\.5 is greater than high 0\.3"):
        parse_range("0.5..0.3", name="--mfu")
    with pytest.raises(InputError, match="cannot read"):
        parse_range("0.3..", name="--mfu")


def test_check_fraction() -> None:
    assert check_fraction(1.0) == 1.0
    with pytest.raises(InputError, match=r"fraction in \(0, 1\]"):
        check_fraction(1.2, name="mfu")


def test_format_si() -> None:
    assert format_si(1.72e6) == "1.72M"
    assert format_si(5.576e6, "") == "5.58M"
    assert format_si(3.2e24) == "3.20e+24"
    assert format_si(12.0) == "12"
