"""The report's plots, drawn with matplotlib and returned as inline SVG text (no files, no fonts
downloaded: text stays text, rendered by the browser). Each function only draws what the
result types already hold; none computes an estimate."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from costlm.api import PlanCompareResult, PlanTrainResult, SeedTable
from costlm.i18n import t
from costlm.report.fmt import number
from costlm.units import format_si

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_REPORTED: dict[str, Any] = {"marker": "D", "color": "#d62728", "markersize": 7, "linestyle": "none"}
_ESTIMATE: dict[str, Any] = {"fmt": "o", "color": "#1f77b4", "ecolor": "#1f77b4", "capsize": 3}


def _figure(width: float = 7.5, height: float = 4.2, ncols: int = 1) -> tuple[Figure, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "svg.hashsalt": "costlm"})
    return plt.subplots(1, ncols, figsize=(width, height), layout="constrained")


def _svg(fig: Figure) -> str:
    from matplotlib import pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _whiskers(ax: Axes, ys: Sequence[float], cells: Sequence[Any], label: str) -> None:
    pts = [(y, c) for y, c in zip(ys, cells, strict=True) if c is not None]
    if pts:
        ax.errorbar(
            [c.p50 for _, c in pts],
            [y for y, _ in pts],
            xerr=[[c.p50 - c.p05 for _, c in pts], [c.p95 - c.p50 for _, c in pts]],
            label=label,
            **_ESTIMATE,
        )


def compute_vs_cost(table: SeedTable, lang: str) -> str:
    """(a) Training compute vs rental-equivalent cost, log-log, 90% ranges, reported costs marked."""
    fig, ax = _figure()
    for row in table.rows:
        flop, cost = row.training_flop.estimate, row.training_rental_cost_usd.estimate
        if flop is None or cost is None:
            continue
        ax.errorbar(
            [flop.p50],
            [cost.p50],
            xerr=[[flop.p50 - flop.p05], [flop.p95 - flop.p50]],
            yerr=[[cost.p50 - cost.p05], [cost.p95 - cost.p50]],
            **_ESTIMATE,
        )
        ax.annotate(row.name, (flop.p50, cost.p50), textcoords="offset points", xytext=(5, 5), fontsize=8)
        if row.training_rental_cost_usd.reported is not None:
            ax.plot([flop.p50], [row.training_rental_cost_usd.reported.value], **_REPORTED)
    ax.set(xscale="log", yscale="log", xlabel=t("plot.compute", lang), ylabel=t("plot.rental_cost", lang))
    ax.plot([], [], label=t("plot.estimate", lang), marker="o", color="#1f77b4", linestyle="none")
    ax.plot([], [], label=t("plot.reported", lang), **_REPORTED)
    ax.legend(loc="upper left")
    ax.grid(True, which="major", alpha=0.3)
    return _svg(fig)


def energy(table: SeedTable, lang: str) -> str:
    """(b) Training energy (MWh) and inference energy (J/token) per model, p05-p95 whiskers."""
    fig, (left, right) = _figure(8.5, 4.2, ncols=2)
    names = [row.name for row in table.rows]
    ys = list(range(len(names)))
    _whiskers(left, ys, [row.training_energy_mwh.estimate for row in table.rows], t("plot.estimate", lang))
    for y, row in zip(ys, table.rows, strict=True):
        if row.training_energy_mwh.reported is not None:
            left.plot([row.training_energy_mwh.reported.value], [y], **_REPORTED)
    _whiskers(
        right, ys, [row.inference_j_per_output_token.estimate for row in table.rows], t("plot.estimate", lang)
    )
    left.set(xscale="log", yticks=ys, yticklabels=names, xlabel=t("plot.train_energy", lang))
    right.set(xscale="log", yticks=ys, yticklabels=["" for _ in names], xlabel=t("plot.j_token", lang))
    for ax in (left, right):
        ax.grid(True, axis="x", alpha=0.3)
        ax.invert_yaxis()
    return _svg(fig)


def tornado(table: SeedTable, lang: str) -> str:
    """(c) What drives the uncertainty of one model's training cost (Spearman rank correlation)."""
    focus = table.focus
    fig, ax = _figure(7.0, 3.6)
    if focus is not None:
        drivers = focus.drivers[::-1]
        ax.barh(
            [d.input for d in drivers],
            [d.rho for d in drivers],
            color=["#1f77b4" if d.rho >= 0 else "#ff7f0e" for d in drivers],
        )
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set(
            xlim=(-1, 1), xlabel=t("plot.rho", lang), title=t("plot.tornado_title", lang, model=focus.name)
        )
    return _svg(fig)


def distribution(table: SeedTable, lang: str) -> str:
    """(d) The Monte Carlo distribution of one model's training cost with p05/p50/p95 marked."""
    focus = table.focus
    fig, ax = _figure(7.0, 3.6)
    if focus is not None:
        edges = [10**e for e in focus.histogram.log10_edges]
        ax.stairs(focus.histogram.counts, edges, fill=True, color="#9ecae1")
        s = focus.summary
        for q, value in (("p05", s.p05), ("p50", s.p50), ("p95", s.p95)):
            ax.axvline(value, color="#08519c", linestyle="--" if q != "p50" else "-")
            ax.annotate(
                f"{q} {number(value, 'USD', lang)}",
                (value, max(focus.histogram.counts)),
                fontsize=8,
                rotation=90,
                va="top",
                ha="right",
            )
        ax.set(
            xscale="log",
            xlabel=t("plot.rental_cost", lang),
            ylabel=t("plot.samples", lang),
            title=t("plot.dist_title", lang, model=focus.name, n=table.samples),
        )
    return _svg(fig)


def token_cost(table: SeedTable, lang: str) -> str:
    """(e) $ per 1M output tokens: self-hosted (rental) range vs the API list prices."""
    rows = [
        r
        for r in table.rows
        if r.inference_usd_per_million_output_tokens.estimate
        or r.inference_usd_per_million_output_tokens.reported
    ]
    fig, ax = _figure(7.5, max(2.5, 0.45 * len(rows) + 1.2))
    ys = list(range(len(rows)))
    _whiskers(
        ax,
        ys,
        [r.inference_usd_per_million_output_tokens.estimate for r in rows],
        t("plot.self_hosted", lang),
    )
    for y, row in zip(ys, rows, strict=True):
        api = row.inference_usd_per_million_output_tokens.reported
        if api is not None:
            low, high = api.low or api.value, api.high or api.value
            ax.plot([low, high], [y, y], color="#d62728", linewidth=6, alpha=0.35, solid_capstyle="butt")
            ax.plot([api.value], [y], **_REPORTED)
    ax.plot([], [], label=t("plot.api_price", lang), **_REPORTED)
    ax.set(xscale="log", yticks=ys, yticklabels=[r.name for r in rows], xlabel=t("plot.usd_per_mtok", lang))
    ax.invert_yaxis()
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="lower right")
    return _svg(fig)


PLAN_COLORS = {"api": "#d62728", "finetune": "#1f77b4", "pretrain": "#2ca02c"}
LOG_SPAN = 100.0
"""Paths whose costs at the horizon span more than this factor share a log y-axis."""


def plan_cumulative(result: PlanCompareResult, lang: str) -> str:
    """Cumulative cost per path over months 0..N: median line and 5-95% band; log y past a 100x span."""
    from costlm.report.plan_compare import path_label

    fig, ax = _figure(7.5, 4.0)
    ends = [p.cumulative_usd[-1].p50 for p in result.paths if p.cumulative_usd[-1].p50 > 0]
    log = bool(ends) and max(ends) / min(ends) > LOG_SPAN
    for path in result.paths:
        color = PLAN_COLORS[path.path]
        # on a log axis a path with no upfront cost starts at month 1 (no line down to zero)
        shown = [(m, c) for m, c in enumerate(path.cumulative_usd) if c.p50 > 0 or not log]
        months = [m for m, _ in shown]
        ax.fill_between(months, [c.p05 for _, c in shown], [c.p95 for _, c in shown], color=color, alpha=0.18)
        ax.plot(months, [c.p50 for _, c in shown], color=color, label=path_label(path, lang))
    if log:
        from matplotlib.ticker import NullLocator

        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())  # decades only: fewer ticks to lay out and draw
    ax.set(xlabel=t("plot.month", lang), ylabel=t("plot.plan_cumulative", lang), xlim=(0, result.months))
    ax.grid(True, alpha=0.3)
    if result.paths:
        ax.legend(loc="best")
    return _svg(fig)


def plan_frontier(result: PlanTrainResult, lang: str) -> str:
    """Median cost vs median wall-clock time of every feasible plan (log-log), the frontier's plans
    highlighted and the chosen plan starred."""
    fig, ax = _figure(7.5, 4.2)
    points = [p for p in result.points if p.cost_usd > 0 and p.wall_clock_days > 0]
    ax.scatter(
        [p.wall_clock_days for p in points],
        [p.cost_usd for p in points],
        s=12,
        color="#999999",
        alpha=0.6,
        label=t("plot.plan_feasible", lang),
    )
    front = sorted(result.frontier, key=lambda r: r.wall_clock_days.p50)
    ax.plot(
        [r.wall_clock_days.p50 for r in front],
        [r.cost_usd.p50 for r in front],
        "o-",
        color="#1f77b4",
        label=t("plot.plan_frontier", lang),
    )
    chosen = result.chosen
    ax.scatter(
        [chosen.wall_clock_days.p50],
        [chosen.cost_usd.p50],
        marker="*",
        s=160,
        color="#d62728",
        zorder=3,
        label=f"{t('plot.plan_chosen', lang)}: {chosen.accelerator} x{chosen.n_gpus}",
    )
    ax.set(xscale="log", yscale="log", xlabel=t("plot.plan_days", lang), ylabel=t("plot.plan_cost", lang))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    return _svg(fig)


def all_plots(table: SeedTable, lang: str) -> dict[str, str]:
    """Every plot of the report, by name, as SVG text (the focus plots only when a focus exists)."""
    plots = {
        "compute_vs_cost": compute_vs_cost(table, lang),
        "energy": energy(table, lang),
        "token_cost": token_cost(table, lang),
    }
    if table.focus is not None:
        plots |= {"tornado": tornado(table, lang), "distribution": distribution(table, lang)}
    return plots


def break_even_lines(table: SeedTable, lang: str) -> list[str]:
    """One sentence per model with a finite break-even against a mid-priced API."""
    lines = []
    for row in table.rows:
        even = row.inference_break_even_tokens_per_day
        if even is not None and row.inference_break_even_api and math.isfinite(even.p50):
            lines.append(
                t(
                    "plot.break_even",
                    lang,
                    model=row.name,
                    api=row.inference_break_even_api,
                    tokens=format_si(even.p50),
                )
            )
            never = row.inference_break_even_never_share
            if never:
                lines[-1] += " " + t("plot.break_even_never", lang, share=f"{100 * never:.0f}")
    return lines
