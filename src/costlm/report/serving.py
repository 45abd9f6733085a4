"""A serving result in the terminal: memory plan, latency, throughput, energy, money, fleet, APIs."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from costlm.api import ApiComparison, ServeResult, Summary
from costlm.i18n import t
from costlm.outputs import FLEET_OUTPUTS, SERVING_OUTPUTS
from costlm.report.fmt import caveat_text, number, output_label, row_scale, scaled, scaled_unit
from costlm.units import GB

NEVER_MAJORITY = 0.5
"""Above this share of draws in which self-hosting never wins, the verdict is 'never'."""


def _row(table: Table, label: str, s: Summary, lang: str) -> None:
    """One output: p05, p50 and p95 in one human unit chosen for the row."""
    scale = row_scale(s.unit, s.p50, (s.p05, s.p95))
    table.add_row(label, *(scaled(v, scale, lang) for v in (s.p05, s.p50, s.p95)), scaled_unit(scale, lang))


def _new_table(title: str, lang: str) -> Table:
    table = Table(title=title)
    table.add_column(t("train.output", lang))
    for col in ("train.p05", "train.p50", "train.p95"):
        table.add_column(t(col, lang), justify="right")
    table.add_column(t("train.unit", lang))
    return table


def _step_line(r: ServeResult, lang: str) -> str:
    """Weights read per decode step (MoE: experts read per layer) and the communication share."""
    bd = r.breakdown
    weights = number(bd.weight_bytes_per_step.p50 / GB, "", lang)
    comm = t(
        "serve.step_comm",
        lang,
        share=f"{bd.comm_share.p05:.0%}-{bd.comm_share.p95:.0%}",
        link=r.link or t("serve.link_unknown", lang),
    )
    if r.n_experts is None:
        return t("serve.step_dense", lang, weights=weights) + "; " + comm
    experts = t(
        "serve.step_moe",
        lang,
        weights=weights,
        read=f"{bd.n_experts_read.p50:.1f}",
        n=r.n_experts,
        k=r.n_experts_active,
    )
    return experts + "; " + comm


def _print_batch(console: Console, r: ServeResult, lang: str) -> None:
    """The batch mode line (throughput / requested / latency target), engine memory and the queue."""
    if r.batch_mode == "latency_target":
        targets = ", ".join(
            f"{name} <= {value:g} ms"
            for name, value in (("TPOT", r.max_tpot_ms), ("TTFT", r.max_ttft_ms))
            if value is not None
        )
        mode = t("serve.mode_latency", lang, targets=targets, running=r.running_batch)
    elif r.batch_mode == "requested":
        mode = t("serve.mode_requested", lang, requested=r.requested_batch, running=r.running_batch)
    else:
        mode = t("serve.mode_throughput", lang, running=r.running_batch)
    console.print(mode, markup=False)
    console.print(
        t(
            "serve.memory",
            lang,
            util=number(r.gpu_memory_utilization, "", lang),
            kv_tokens=number(r.kv_cache_tokens, "", lang),
            block=number(r.kv_block_tokens, "", lang),
        ),
        markup=False,
    )
    if r.queue_wait_s is not None:
        share = f"{r.queue_share:.0%}"
        console.print(
            t("serve.queue", lang, share=share, wait=number(r.queue_wait_s.p50, "", lang)), markup=False
        )


def print_serving(console: Console, r: ServeResult, lang: str) -> None:
    """Memory plan line, the outputs table, the fleet table and the API comparison."""
    console.print(
        t(
            "serve.plan",
            lang,
            label=r.label,
            n=int(r.gpus_per_replica.p50),
            gpu=r.accelerator_name,
            dtype=r.dtype,
            weights=number(r.weights_bytes.p50 / GB, "", lang),
            kv=number(r.kv_cache_bytes_per_token.p50, "", lang),
            kv_dtype=r.kv_dtype,
            batch=r.batch,
            max_batch=int(r.max_batch.p50),
            prompt=number(r.prompt_tokens, "", lang),
            output=number(r.output_tokens, "", lang),
        ),
        markup=False,
    )
    engine_key = {"generic": "serve.engine_generic"}.get(
        r.engine, "serve.engine" if r.engine_runs else "serve.engine_none"
    )
    console.print(t(engine_key, lang, engine=r.engine, n=r.engine_runs), markup=False)
    _print_batch(console, r, lang)
    table = _new_table(t("serve.title", lang), lang)
    for out in SERVING_OUTPUTS:
        s = getattr(r, out.name)
        if s is not None:
            _row(table, output_label(out.label, out.at_rental, r.price_tier, lang), s, lang)
    console.print(table)
    console.print(_step_line(r, lang), markup=False)
    if r.fleet:
        fleet = _new_table(t("serve.fleet_title", lang, tokens=number(r.tokens_per_day or 0, "", lang)), lang)
        for out in FLEET_OUTPUTS:
            s = getattr(r.fleet, out.name)
            if s is not None:
                _row(fleet, output_label(out.label, out.at_rental, r.price_tier, lang), s, lang)
        console.print(fleet)
    for c in r.api_comparison:
        _print_api(console, r, c, lang)
    for w in r.warnings:
        console.print(f"[yellow]{t('warn.prefix', lang)}[/yellow] {escape(caveat_text(w, lang))}")


def _ratio_words(ratio: float, lang: str) -> str:
    """'the API is 19x cheaper' or 'self-hosting is 3x cheaper', from self-hosted / API cost."""
    if ratio >= 1.0:
        return t("serve.api_cheaper", lang, x=number(ratio, "", lang))
    return t("serve.self_cheaper", lang, x=number(1.0 / ratio, "", lang))


def _print_api(console: Console, r: ServeResult, c: ApiComparison, lang: str) -> None:
    """One API price: its break-even (peak factor counted), how often self-hosting never wins, and
    at the requested traffic the API's yearly cost beside the fleet's with their ratio in words."""
    if c.break_even_tokens_per_day is None or c.share_never_cheaper > NEVER_MAJORITY:
        verdict = t("serve.api_never", lang)
    else:
        verdict = t(
            "serve.api_even",
            lang,
            tokens=number(c.break_even_tokens_per_day.p50, "", lang),
            peak=number(r.peak_factor, "", lang),
        )
    if 0.0 < c.share_never_cheaper < 1.0:
        share = number(100 * c.share_never_cheaper, "", lang) + " %"
        verdict += "; " + t("serve.api_never_share", lang, share=share)
    price = number(c.api_usd_per_million_output_tokens, "USD", lang)
    console.print(Text(f"{c.provider} {c.name}: {price}/1M — {verdict}"))
    if c.api_usd_per_year is not None and c.self_hosted_usd_per_year and c.self_hosted_over_api:
        line = t(
            "serve.api_year",
            lang,
            tokens=number(r.tokens_per_day or 0, "", lang),
            api=number(c.api_usd_per_year, "USD", lang),
            ours=number(c.self_hosted_usd_per_year.p50, "USD", lang),
            ratio=_ratio_words(c.self_hosted_over_api.p50, lang),
        )
        console.print(Text("  " + line))
