"""Results as what the page templates show: rows of words and numbers (``costlm.report`` does the
formatting), the terminal report as plain text, and the plots as SVG. Nothing here computes."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from typing import Any

from costlm.api import ClaimResult, PlanTrainResult, Summary, TrainingResult
from costlm.outputs import FLEET_OUTPUTS, SERVING_OUTPUTS, TRAINING_BREAKDOWN, TRAINING_OUTPUTS, Output
from costlm.report import claims as claims_fmt
from costlm.report.fmt import caveat_text, output_label, row_scale, scaled, scaled_unit
from costlm.report.plan_train import acquisition_text, hardware_text
from costlm.report.training import memory_lines

TEXT_WIDTH = 140
"""Columns of the terminal report shown under each result."""
_PLOT_LOCK = threading.Lock()
"""matplotlib's text layout is not thread-safe: one plot at a time."""


def plot(draw: Callable[[Any, str], str], result: Any, lang: str) -> str:
    """``draw(result, lang)`` under the plot lock."""
    with _PLOT_LOCK:
        return draw(result, lang)


def terminal_text(printer: Callable[[Any, Any, str], None], result: Any, lang: str) -> str:
    """What the CLI prints for ``result`` (``printer(console, result, lang)``) as plain text."""
    from rich.console import Console

    console = Console(
        file=io.StringIO(), record=True, width=TEXT_WIDTH, color_system=None, force_terminal=False
    )
    printer(console, result, lang)
    return console.export_text()


def summary_row(label: str, s: Summary, lang: str) -> dict[str, str]:
    """One row: the label, p05, p50, p95 in one scale, and that scale's unit."""
    scale = row_scale(s.unit, s.p50, (s.p05, s.p95))
    return {
        "label": label,
        "p05": scaled(s.p05, scale, lang),
        "p50": scaled(s.p50, scale, lang),
        "p95": scaled(s.p95, scale, lang),
        "unit": scaled_unit(scale, lang),
    }


def output_rows(holder: Any, outputs: Sequence[Output], tier: str | None, lang: str) -> list[dict[str, str]]:
    """The rows of the declared ``outputs`` that ``holder`` has (a missing or None one is skipped)."""
    rows = []
    for out in outputs:
        s = getattr(holder, out.name, None)
        if isinstance(s, Summary):
            rows.append(summary_row(output_label(out.label, out.at_rental, tier, lang), s, lang))
    return rows


def training_view(result: TrainingResult, lang: str) -> dict[str, Any]:
    """Outputs, breakdown, memory check, drivers and caveats of a training estimate."""
    from costlm.i18n import t

    drivers = {
        t("out." + name, lang): [f"{d.input} {d.rho:+.2f}" for d in items[:5]]
        for name, items in result.sensitivity.items()
        if items
    }
    return {
        "title": f"{result.label} — {result.accelerator_name}, {result.dtype}",
        "outputs": output_rows(result, TRAINING_OUTPUTS, result.price_tier, lang),
        "breakdown": output_rows(result.breakdown, TRAINING_BREAKDOWN, result.price_tier, lang),
        "memory": memory_lines(result.memory, lang) if result.memory is not None else [],
        "drivers": drivers,
        "caveats": [caveat_text(w, lang) for w in result.warnings],
    }


def serving_view(result: Any, lang: str) -> dict[str, Any]:
    """The replica's outputs and the fleet's at the user's traffic."""
    tier = result.price_tier
    return {
        "title": f"{result.label} — {result.accelerator_name}, {result.dtype}",
        "outputs": output_rows(result, SERVING_OUTPUTS, tier, lang),
        "fleet": output_rows(result.fleet, FLEET_OUTPUTS, tier, lang) if result.fleet is not None else [],
        "caveats": [caveat_text(w, lang) for w in result.warnings],
    }


def plan_view(result: PlanTrainResult, lang: str) -> dict[str, Any]:
    """The frontier as table rows: configuration, acquisition, cost p50, days p50 / p90, CO2 p50."""

    def p50(value: float, unit: str) -> str:
        scale = row_scale(unit, value)
        label = scaled_unit(scale, lang)
        return scaled(value, scale, lang) + (f" {label}" if label and not scale.dollar else "")

    def cells(row: Any) -> dict[str, Any]:
        return {
            "config": hardware_text(row, lang),
            "acquisition": acquisition_text(row, lang),
            "cost": p50(row.cost_usd.p50, "USD"),
            "days": f"{p50(row.wall_clock_days.p50, 'days')} / {p50(row.wall_clock_days.p90, 'days')}",
            "co2": p50(row.co2_t.p50, "tCO2e"),
            "chosen": _same_config(row, result.chosen),
        }

    rows = [cells(row) for row in result.frontier]
    if not any(r["chosen"] for r in rows):  # the chosen plan can be off the frontier (a smaller cluster)
        rows.insert(0, cells(result.chosen))
    return {
        "title": result.work.label,
        "rows": rows,
        "caveats": [caveat_text(c, lang) for c in result.caveats],
    }


def _same_config(a: Any, b: Any) -> bool:
    keys = ("accelerator", "n_gpus", "dtype", "acquisition", "price_tier")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def claim_rows(results: Sequence[ClaimResult], lang: str) -> list[dict[str, str]]:
    """One row per judged claim, as the report's claims table."""
    return [
        {
            "id": r.id,
            "paraphrase": claims_fmt.paraphrase(r, lang),
            "claimed": claims_fmt.claimed_text(r, lang),
            "evidence": claims_fmt.evidence_text(r, lang),
            "verdict": r.verdict,
            "verdict_text": claims_fmt.verdict_text(r, lang),
            "factor": claims_fmt.factor_text(r, lang),
        }
        for r in results
    ]


def claim_trail(result: ClaimResult, lang: str) -> list[str]:
    """The reasoning trail of one claim (``costlm check --explain``)."""
    return claims_fmt.trail(result, lang)


def entry_rows(entry: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """A catalog entry flattened to rows: a sourced figure (``{value, source, ...}``) keeps its
    source id and locator (the page links the source); other values are shown as given."""
    rows: list[dict[str, Any]] = []
    for key, value in entry.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and "source" in value and ("value" in value or "low" in value):
            shown = {k: v for k, v in value.items() if k in ("value", "low", "high", "unit", "as_of")}
            text = ", ".join(f"{k} = {v}" for k, v in shown.items())
            rows.append(
                {"name": name, "value": text, "source": value["source"], "locator": value.get("locator")}
            )
        elif isinstance(value, dict):
            if "source" in value:
                rows.append(
                    {
                        "name": name + ".source",
                        "value": "",
                        "source": value["source"],
                        "locator": value.get("locator"),
                    }
                )
            rows.extend(
                entry_rows({k: v for k, v in value.items() if k not in ("source", "locator")}, name + ".")
            )
        else:
            shown_value = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            source = value if key == "source" and isinstance(value, str) else None
            rows.append({"name": name, "value": shown_value, "source": source, "locator": None})
    return rows
