"""Human units in text output: one unit per row, chosen for the p50 and shared by the whole row."""

from __future__ import annotations

import pytest

from costlm.report.fmt import convert, row_scale, scaled, scaled_range, scaled_unit, summary_range, unit_label


def _row(unit: str, p50: float, p05: float, p95: float, lang: str = "en") -> str:
    return scaled_range(p50, p05, p95, row_scale(unit, p50, (p05, p95)), lang)


@pytest.mark.parametrize(
    ("unit", "p50", "p05", "p95", "english", "spanish"),
    [
        # s1-32B: 0.0162 days of wall clock is 23.3 minutes.
        ("days", 0.0162, 0.00786, 0.0327, "23.3 (11.3–47.1) min", "23,3 (11,3–47,1) min"),
        ("days", 0.5, 0.25, 0.9, "12 (6–21.6) h", "12 (6–21,6) h"),
        ("days", 51.3, 33.6, 77.8, "51.3 (33.6–77.8) days", "51,3 (33,6–77,8) días"),
        ("s", 0.114, 0.0892, 0.148, "114 (89.2–148) ms", "114 (89,2–148) ms"),
        # s1-32B: 0.00527 MWh of facility energy is 5.27 kWh; DeepSeek-V3's 2.14k MWh is 2.14 GWh.
        ("MWh", 0.00527, 0.00246, 0.0113, "5.27 (2.46–11.3) kWh", "5,27 (2,46–11,3) kWh"),
        ("MWh", 2140, 1300, 3550, "2.14 (1.3–3.55) GWh", "2,14 (1,3–3,55) GWh"),
        # p50 in MWh but p95 would need four digits: the whole row steps up to GWh.
        ("MWh", 887, 323, 2470, "0.887 (0.323–2.47) GWh", "0,887 (0,323–2,47) GWh"),
        ("MWh/year", 0.153, 0.109, 0.218, "153 (109–218) kWh/year", "153 (109–218) kWh/año"),
        ("W", 4370, 3470, 5480, "4.37 (3.47–5.48) kW", "4,37 (3,47–5,48) kW"),
        ("MW", 0.0136, 0.0103, 0.0181, "13.6 (10.3–18.1) kW", "13,6 (10,3–18,1) kW"),
        ("tCO2e", 0.00241, 0.00108, 0.00529, "2.41 (1.08–5.29) kgCO2e", "2,41 (1,08–5,29) kgCO2e"),
        # Counts and money keep their unit and share one multiplier.
        ("GPU-h", 2.52e6, 1.65e6, 3.83e6, "2.52M (1.65M–3.83M) GPU-h", "2,52M (1,65M–3,83M) horas-GPU"),
        ("GPU-h", 6.21, 3.02, 12.5, "6.21 (3.02–12.5) GPU-h", "6,21 (3,02–12,5) horas-GPU"),
        ("USD", 517e3, 267e3, 1.03e6, "$0.517M ($0.267M–$1.03M)", "$0,517M ($0,267M–$1,03M)"),
        ("USD", 2200, 606, 7780, "$2.2k ($0.606k–$7.78k)", "$2,2k ($0,606k–$7,78k)"),
        ("FLOP", 3.29e24, 3.29e24, 3.29e24, "3.29e24 FLOP", "3,29e24 FLOP"),
        ("days", 0, 0, 0, "0 days", "0 días"),
    ],
)
def test_row_units_golden(unit: str, p50: float, p05: float, p95: float, english: str, spanish: str) -> None:
    assert _row(unit, p50, p05, p95) == english
    assert _row(unit, p50, p05, p95, "es") == spanish


def test_reported_value_shares_the_row_unit() -> None:
    # s1-32B: 0.0181 days reported beside a 0.0162-day estimate: both in minutes.
    scale = row_scale("days", 0.0162, (0.00786, 0.0327, 0.0181))
    assert scaled_unit(scale, "en") == "min"
    assert scaled(0.0181, scale) == "26.1"
    # DeepSeek-V3: 2.79M reported GPU-hours beside 1.65M-3.83M.
    gpu_hours = row_scale("GPU-h", 2.52e6, (1.65e6, 3.83e6, 2.788e6))
    assert [scaled(v, gpu_hours) for v in (1.65e6, 2.52e6, 3.83e6, 2.788e6)] == [
        "1.65M",
        "2.52M",
        "3.83M",
        "2.79M",
    ]


def test_unit_conversion_along_a_ladder() -> None:
    assert convert(1.5, "days", "h") == pytest.approx(36)
    assert convert(2.0, "MWh", "kWh") == pytest.approx(2000)
    assert convert(90, "minutes", "hours") == pytest.approx(1.5)
    assert convert(1.0, "MWh", "MW") is None
    assert convert(1.0, "MWh/year", "MWh") is None


def test_rows_spanning_many_decades_keep_a_multiplier_per_number() -> None:
    scale = row_scale("USD", 1.43e9, (2.75e5, 7.75e12))
    assert [scaled(v, scale) for v in (2.75e5, 1.43e9, 7.75e12)] == ["$275k", "$1.43B", "$7.75T"]


def test_summary_range_and_unit_names() -> None:
    assert summary_range(2048, 2048, 2048) == "2.05k"
    assert summary_range(17.3e3, 10.1e3, 29.9e3) == "17.3k (10.1k–29.9k)"
    assert unit_label("min", "es") == "min" and unit_label("h", "es") == "h"
    assert unit_label("days", "es") == "días" and unit_label("tCO2e/year", "es") == "tCO2e/año"
    assert unit_label("USD/GPU-hour", "es") == "USD/hora de GPU" and unit_label("kWh", "es") == "kWh"
