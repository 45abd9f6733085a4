"""Plots of one result (a training estimate, a training plan) as inline SVG, for the web pages.

Drawn on a bare ``matplotlib.figure.Figure`` (no pyplot state), so concurrent requests can draw in
worker threads; each function only draws what the result already holds.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from costlm.api import PlanTrainResult, TrainingResult
from costlm.i18n import t
from costlm.outputs import TRAINING_OUTPUTS
from costlm.report.fmt import output_label
from costlm.report.plan_train import hardware_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ESTIMATE_COLOR = "#1f4e8c"
CHOSEN_COLOR = "#b3261e"
PLOT_WIDTH_IN = 7.0
PLOT_HEIGHT_IN = 3.4
MAX_LABELLED_POINTS = 8
"""Frontier points beyond this many are drawn unlabelled (the table names them)."""


def _figure(height: float = PLOT_HEIGHT_IN) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 9, "svg.hashsalt": "costlm"})
    return Figure(figsize=(PLOT_WIDTH_IN, height), layout="constrained")


def _svg(fig: Figure, title: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    svg = text[text.index("<svg") :]
    return svg.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1)


def training_costs(result: TrainingResult, lang: str) -> str:
    """The dollar outputs of a training estimate: p50 with its p05-p95 whisker, log x."""
    rows = [
        (output_label(o.label, o.at_rental, result.price_tier, lang), getattr(result, o.name))
        for o in TRAINING_OUTPUTS
        if o.unit == "USD" and getattr(result, o.name) is not None
    ]
    fig = _figure(max(1.6, 0.5 * len(rows) + 1.0))
    ax = fig.subplots()
    ys = list(range(len(rows)))
    ax.errorbar(
        [s.p50 for _, s in rows],
        ys,
        xerr=[[s.p50 - s.p05 for _, s in rows], [s.p95 - s.p50 for _, s in rows]],
        fmt="o",
        color=ESTIMATE_COLOR,
        capsize=3,
    )
    title = t("web.plot.train_costs", lang)
    ax.set(xscale="log", yticks=ys, yticklabels=[label for label, _ in rows], xlabel=t("web.plot.usd", lang))
    ax.set_title(title)
    ax.invert_yaxis()
    ax.grid(True, axis="x", alpha=0.3)
    return _svg(fig, title)


def plan_frontier(result: PlanTrainResult, lang: str) -> str:
    """The Pareto frontier of a training plan: cost (p50) against wall-clock days (p90), log-log,
    the chosen plan marked."""
    fig = _figure()
    ax = fig.subplots()
    rows = result.frontier
    ax.plot(
        [r.wall_clock_days.p90 for r in rows],
        [r.cost_usd.p50 for r in rows],
        "o",
        color=ESTIMATE_COLOR,
        label=t("web.plot.frontier", lang),
    )
    for row in rows[:MAX_LABELLED_POINTS]:
        ax.annotate(
            hardware_text(row, lang),
            (row.wall_clock_days.p90, row.cost_usd.p50),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize=7,
        )
    chosen = result.chosen
    ax.plot(
        [chosen.wall_clock_days.p90],
        [chosen.cost_usd.p50],
        "D",
        color=CHOSEN_COLOR,
        markersize=8,
        label=t("web.plot.chosen", lang),
    )
    title = t("web.plot.plan_title", lang)
    ax.set(xscale="log", yscale="log", xlabel=t("web.plot.days_p90", lang), ylabel=t("web.plot.usd", lang))
    ax.set_title(title)
    ax.legend(loc="best")
    ax.grid(True, alpha=0.3)
    return _svg(fig, title)
