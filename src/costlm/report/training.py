"""A training result in the terminal: outputs with ranges, reported figures, drivers and caveats."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from costlm.api import Summary, TrainingMemory, TrainingResult
from costlm.i18n import messages, t
from costlm.outputs import TRAINING_OUTPUTS
from costlm.report.fmt import (
    Figure,
    Scale,
    caveat_text,
    convert,
    in_lang,
    localized,
    number,
    output_label,
    row_scale,
    scaled,
    scaled_unit,
    summary_range,
)
from costlm.report.levers import lever_lines, saving_lines
from costlm.units import GB

_REPORTED_AS = {"rental_cost_usd": "cost_usd"}


def _figure(result: TrainingResult, name: str) -> Figure | None:
    """The reported figure of output ``name`` that still applies to this estimate (see below)."""
    quantity = _REPORTED_AS.get(name, name)
    return next((f for f in result.reported if f.quantity == quantity and f.applies), None)


def _label(quantity: str, lang: str) -> str:
    """A reported quantity's words: its output label, else its facet label, else its name."""
    keys = [k for k in ("out." + quantity, "facet." + quantity) if k in messages(lang)]
    return t(keys[0], lang) if keys else quantity


def original_run_text(result: TrainingResult, lang: str) -> str | None:
    """The figures reported for the catalog run that the user's overrides no longer describe, on
    one line: 'Reported for the original run (h100-sxm × 16,384), not this one: ...'."""
    stale = [f for f in result.reported if not f.applies]
    if not stale:
        return None
    count = f" × {number(result.reported_n_gpus, '', lang)}" if result.reported_n_gpus else ""
    setup = f"{result.reported_hardware or '?'}{count}"
    figures = "; ".join(
        f"{_label(f.quantity, lang)} {_with_unit(f.value, f.unit, lang)} [{t('mark.' + f.basis, lang)}]"
        for f in stale
    )
    changed = ", ".join(t("facet." + c, lang) for c in result.changed_from_reported)
    return t("train.reported_original", lang, setup=setup, changed=changed, figures=figures)


def _with_unit(value: float, unit: str, lang: str) -> str:
    """A number and its unit, once: a currency amount already carries its sign ('$5.58M')."""
    shown = number(value, unit, lang)
    return shown if unit == "USD" else f"{shown} {unit}"


def _reported(fig: Figure, unit: str, scale: Scale, lang: str) -> str:
    """The reported value in the row's scale (or, in another kind of unit, on its own) and its mark."""
    value = convert(fig.value, fig.unit, unit)
    text = (
        scaled(value, scale, lang) if value is not None else f"{number(fig.value, fig.unit, lang)} {fig.unit}"
    )
    return f"{text} [{t('mark.' + fig.basis, lang)}]"


def _table(result: TrainingResult, lang: str) -> tuple[Table, list[str]]:
    """The outputs table (one unit per row, shared by p05, p50, p95 and the reported value)."""
    table = Table(
        title=t("train.title", lang, label=f"{result.label} — {result.accelerator_name}, {result.dtype}")
    )
    table.add_column(t("train.output", lang))
    for key in ("train.p05", "train.p50", "train.p95"):
        table.add_column(t(key, lang), justify="right")
    table.add_column(t("train.unit", lang))
    has_reported = any(_figure(result, out.name) for out in TRAINING_OUTPUTS)
    if has_reported:
        table.add_column(t("cell.reported", lang))
    sources = []
    for out in TRAINING_OUTPUTS:
        name = out.name
        s = getattr(result, name)
        if s is None:
            continue
        fig = _figure(result, name)
        shared = None if fig is None else convert(fig.value, fig.unit, s.unit)
        scale = row_scale(s.unit, s.p50, [s.p05, s.p95, *([] if shared is None else [shared])])
        cells = [scaled(v, scale, lang) for v in (s.p05, s.p50, s.p95)]
        label = output_label(out.label, out.at_rental, result.price_tier, lang)
        reported = [] if not has_reported else [_reported(fig, s.unit, scale, lang) if fig else ""]
        table.add_row(label, *cells, scaled_unit(scale, lang), *reported)
        if fig is not None:
            sources.append(f"{fig.source} ({label})")
    return table, sources


def _fraction(s: Summary, lang: str) -> str:
    """A utilization as 'p50 (p05–p95)' in two decimals, one number when the range is a point."""
    p50, low, high = (localized(f"{v:.2f}", lang) for v in (s.p50, s.p05, s.p95))
    return p50 if low == high == p50 else f"{p50} ({low}–{high})"


def _footer(result: TrainingResult, lang: str) -> str:
    """GPUs, MFU, HFU (when recomputation makes it differ), goodput, samples: the inputs of time."""
    bd = result.breakdown
    n = bd.n_gpus
    parts = [t("train.footer_gpus", lang, gpus=summary_range(n.p50, n.p05, n.p95, "", lang))]
    if bd.mfu is not None:
        key = "train.footer_mfu_implied" if bd.goodput is None else "train.footer_mfu"
        parts.append(t(key, lang, mfu=_fraction(bd.mfu, lang)))
    if bd.hfu is not None and result.recompute != "none":
        parts.append(t("train.footer_hfu", lang, hfu=_fraction(bd.hfu, lang), recompute=result.recompute))
    if bd.goodput is not None:
        parts.append(t("train.footer_goodput", lang, goodput=_fraction(bd.goodput, lang)))
    parts.append(t("train.footer_samples", lang, samples=result.samples, seed=result.seed))
    return " · ".join(parts)


def _gb(n_bytes: float, lang: str) -> str:
    return localized(f"{n_bytes / GB:,.1f}" if n_bytes < 100 * GB else f"{n_bytes / GB:,.0f}", lang)


def memory_lines(memory: TrainingMemory, lang: str) -> list[str]:
    """The memory check in words: bytes per GPU by kind, the layout, and the inputs behind them."""
    b, layout = memory.breakdown, memory.layout
    needed = t(
        "train.memory",
        lang,
        needed=_gb(memory.bytes_per_gpu_needed, lang),
        available=_gb(memory.bytes_per_gpu_available, lang),
        weights=_gb(b.weights_bytes, lang),
        gradients=_gb(b.gradients_bytes, lang),
        optimizer=_gb(b.optimizer_bytes, lang),
        activations=_gb(b.activations_bytes, lang),
    )
    split = t(
        "train.memory_layout",
        lang,
        dp=localized(f"{layout.n_data_parallel:,}", lang),
        tp=layout.n_tensor_parallel,
        pp=layout.n_pipeline_parallel,
        zero=layout.zero_stage,
        recompute=t("recompute." + layout.recompute, lang),
        offload=t("train.memory_offload", lang) if layout.offload else "",
        min=localized(f"{memory.min_n_gpus:,}", lang)
        if memory.min_n_gpus
        else t("train.memory_no_fit", lang),
    )
    inputs = t(
        "train.memory_inputs",
        lang,
        method=memory.method,
        rank=t("train.memory_rank", lang, rank=memory.lora_rank) if memory.lora_rank else "",
        seq=localized(f"{memory.seq_len:,}", lang),
        seq_basis=t("seq_basis." + memory.seq_len_basis, lang),
        micro=memory.micro_batch,
        kernel=memory.attention_kernel,
        arch=t("arch_basis." + memory.architecture_basis, lang),
    )
    return [needed, split, inputs]


def print_training(console: Console, result: TrainingResult, lang: str) -> None:
    """Outputs table, the sources of the reported figures, the top drivers and the warnings."""
    table, sources = _table(result, lang)
    console.print(table)
    if sources:
        console.print(Text(t("train.sources", lang, sources="; ".join(sources))))
    original = original_run_text(result, lang)
    if original:
        console.print(Text(original))
    console.print(Text(_footer(result, lang)))
    if result.memory is not None:
        for line in memory_lines(result.memory, lang):
            console.print(Text(line))
    if result.levers:
        console.print(Text(t("lever.heading", lang) + ":"))
        for line in [*lever_lines(result.levers, lang), *saving_lines(result.lever_savings, lang)]:
            console.print(Text("  " + line))
    for output in ("gpu_hours", "rental_cost_usd"):
        drivers = result.sensitivity.get(output, [])
        if drivers:
            listed = ", ".join(f"{d.input} {localized(f'{d.rho:+.2f}', lang)}" for d in drivers[:4])
            console.print(Text(f"{t('train.drivers', lang, output=t('out.' + output, lang))}: {listed}"))
    scope = in_lang(result.reported_scope, result.reported_scope_es, lang)
    if scope:
        console.print(Text(t("train.scope", lang, scope=scope)))
    for w in result.warnings:
        console.print(f"[yellow]{t('warn.prefix', lang)}[/yellow] {escape(caveat_text(w, lang))}")
