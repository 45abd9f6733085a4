"""The command line: options -> request -> api -> report rows -> Rich table (or --json).

Thin by design: parsing and printing only. Every CostlmError becomes one red line on
stderr and exit code 2. Heavy modules are imported inside the commands so that
``costlm --help`` stays fast. This module holds the app, train, serve, check, report and the
catalog commands; ``costlm.cli.plan`` the ``costlm plan`` group; ``costlm.cli.common`` what they
share (help texts, options, console).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from costlm.cli.common import (
    ActiveParamsOpt,
    CatalogOpt,
    Command,
    EpochsOpt,
    ExamplesOpt,
    GridOpt,
    Group,
    JsonOpt,
    LangOpt,
    LeverOpt,
    ParamsOpt,
    PriceOpt,
    PueOpt,
    RentalOpt,
    SamplesOpt,
    SeedOpt,
    TierOpt,
    TokensOpt,
    TokensPerExampleOpt,
    argv_lang,
    examples,
    h,
    lang_of,
    lever_names,
    make_console,
    print_json,
)
from costlm.cli.plan import plan_app
from costlm.cli.web import web
from costlm.errors import CatalogError, CostlmError, InputError
from costlm.i18n import messages, t

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="costlm",
    help=h("What it costs to train and to run a language model, as ranges with sources."),
    epilog=examples(
        "costlm report", "costlm train deepseek-v3", "costlm serve llama-3-70b --tokens-per-day 1e9"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Group,
)
catalog_app = typer.Typer(
    help=h("List, show and validate the sourced catalog."),
    epilog=examples("costlm catalog list models", "costlm catalog show H100", "costlm catalog check"),
    no_args_is_help=True,
    cls=Group,
)
app.add_typer(catalog_app, name="catalog")
app.add_typer(plan_app, name="plan")
app.command(
    "web",
    help=h("Serve the calculators in a browser and the JSON API under /api/v1 (offline, no CDN)."),
    epilog=examples("costlm web", "costlm web --port 8080 --lang es", "costlm web --catalog mine.toml"),
    cls=Command,
)(web)


def _print_version(value: bool) -> None:
    if value:
        from costlm import __version__

        sys.stdout.write(f"costlm {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help=h("Print the version and exit.")
        ),
    ] = False,
    lang: LangOpt = None,
) -> None:
    if lang is not None:
        lang_of(lang)  # an unknown --lang before the command fails here; a valid one applies to it


@app.command(
    help=h("Estimate a training run: GPU-hours, days, hardware/rental/amortized cost, energy, power, CO2."),
    epilog=examples(
        "costlm train --params 7B --tokens 2T --gpu A100 --n-gpus 1024",
        "costlm train llama-3.1-405b --achieved-tflops-per-gpu 380..430 --seq-len 8192",
        "costlm train deepseek-v3 --gpu-hours 2.788M",
    ),
    cls=Command,
)
def train(
    model: Annotated[
        str | None, typer.Argument(help=h("Catalog model id or alias (e.g. deepseek-v3, llama-2-70b)."))
    ] = None,
    params: ParamsOpt = None,
    active_params: ActiveParamsOpt = None,
    tokens: TokensOpt = None,
    train_flop: Annotated[
        str | None, typer.Option(help=h("Training FLOP, instead of params x tokens."))
    ] = None,
    kind: Annotated[str | None, typer.Option(help=h("pretrain, finetune or distill."))] = None,
    examples: ExamplesOpt = None,
    tokens_per_example: TokensPerExampleOpt = None,
    epochs: EpochsOpt = None,
    gpu: Annotated[
        str | None, typer.Option(help=h("Accelerator id or alias, e.g. h100-sxm, A100, TPUv4."))
    ] = None,
    n_gpus: Annotated[int | None, typer.Option(help=h("Number of accelerators."))] = None,
    days: Annotated[
        str | None, typer.Option(help=h("Target days (LOW..HIGH or one number): solves for the GPU count."))
    ] = None,
    dtype: Annotated[
        str | None, typer.Option(help=h("Training precision: bf16, fp16, fp8, tf32, fp32."))
    ] = None,
    mfu: Annotated[
        str | None,
        typer.Option(
            help=h(
                "Model FLOP utilization LOW..HIGH in (0, 1]: model FLOP / (GPU-seconds x dense peak)"
                " (default: prior calibrated on reported GPU-hours)."
            )
        ),
    ] = None,
    achieved_tflops_per_gpu: Annotated[
        str | None,
        typer.Option(
            help=h(
                "Hardware TFLOP/s achieved per GPU, as training logs report it (recomputation included):"
                " GPU-seconds = hardware FLOP / this. Instead of --mfu."
            )
        ),
    ] = None,
    gpu_hours: Annotated[
        str | None,
        typer.Option(
            help=h(
                "Reported GPU-hours of a known run (e.g. 2.788M): cost, energy and CO2 start from them;"
                " no utilization is assumed."
            )
        ),
    ] = None,
    goodput: Annotated[
        str | None,
        typer.Option(
            help=h(
                "Share of allocated time doing useful steps, LOW..HIGH: GPU-hours = useful hours / goodput"
                " (default 1: the MFU prior already includes downtime; large jobs report 0.85..0.97)."
            )
        ),
    ] = None,
    seq_len: Annotated[
        str | None,
        typer.Option(
            help=h(
                "Training sequence length in tokens: adds the attention FLOP 12 x layers x heads x head_dim"
                " x seq_len per token (PaLM App. B) and sizes the activation memory (default 4096 for memory"
                " only)."
            )
        ),
    ] = None,
    recompute: Annotated[
        str | None,
        typer.Option(
            help=h(
                "Activation recomputation: none, selective (attention core) or full (8ND instead of 6ND"
                " of hardware work; changes HFU, and GPU-hours with --achieved-tflops-per-gpu)."
            )
        ),
    ] = None,
    usd_per_gpu_hour: RentalOpt = None,
    gpu_price: PriceOpt = None,
    pue: PueOpt = None,
    grid: GridOpt = None,
    price_tier: TierOpt = "auto",
    method: Annotated[
        str, typer.Option(help=h("full, lora or qlora (LoRA adapters on a 16-bit or 4-bit frozen base)."))
    ] = "full",
    lora_rank: Annotated[
        int | None, typer.Option(help=h("LoRA rank (default 16 with --method lora|qlora)."))
    ] = None,
    zero: Annotated[int | None, typer.Option(help=h("ZeRO stage 0-3 (default: searched)."))] = None,
    tp: Annotated[
        int | None, typer.Option(help=h("Tensor-parallel degree (default: searched, up to 8)."))
    ] = None,
    pp: Annotated[int | None, typer.Option(help=h("Pipeline-parallel degree (default: searched)."))] = None,
    micro_batch: Annotated[int, typer.Option(help=h("Sequences per GPU per step (activation memory)."))] = 1,
    attention_kernel: Annotated[
        str,
        typer.Option(
            help=h(
                "flash (fused attention, the default of current stacks: no s^2 scores stored) or eager"
                " (scores kept for the backward pass: Korthikanti's 5as/h term)."
            )
        ),
    ] = "flash",
    offload: Annotated[
        bool,
        typer.Option("--offload", help=h("Keep gradients and optimizer state in CPU memory (ZeRO-Offload).")),
    ] = False,
    lever: LeverOpt = None,
    samples: SamplesOpt = 10_000,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Estimate a training run: GPU-hours, days, hardware/rental/amortized cost, energy, power, CO2."""
    from costlm import api

    request = api.make_training_request(
        model=model,
        params=params,
        active_params=active_params,
        tokens=tokens,
        train_flop=train_flop,
        kind=kind,
        examples=examples,
        tokens_per_example=tokens_per_example,
        epochs=epochs,
        gpu=gpu,
        n_gpus=n_gpus,
        days=days,
        dtype=dtype,
        mfu=mfu,
        achieved_tflops_per_gpu=achieved_tflops_per_gpu,
        gpu_hours=gpu_hours,
        goodput=goodput,
        seq_len=seq_len,
        recompute=recompute,
        usd_per_gpu_hour=usd_per_gpu_hour,
        gpu_price_usd=gpu_price,
        pue=pue,
        grid=grid,
        price_tier=price_tier,
        method=method,
        lora_rank=lora_rank,
        zero_stage=zero,
        tensor_parallel=tp,
        pipeline_parallel=pp,
        micro_batch=micro_batch,
        attention_kernel=attention_kernel,
        offload=offload,
        levers=lever_names(lever),
        samples=samples,
        seed=seed,
    )
    result = api.estimate_training(request, catalog_files=catalog or ())
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        from costlm.report.training import print_training  # Rich only for the table, not for --json

        print_training(make_console(), result, lang_of(lang))


@app.command(
    help=h(
        "Estimate serving: GPUs per replica, KV cache, latency, tokens/s, J/token, $/1M tokens, fleet, APIs."
    ),
    epilog=examples(
        "costlm serve llama-3-70b --tokens-per-day 1e9",
        "costlm serve deepseek-v3 --gpu h200 --dtype fp8",
        "costlm serve llama-3-8b --gpu l4 --kv-dtype fp8 --json",
    ),
    cls=Command,
)
def serve(
    model: Annotated[
        str | None, typer.Argument(help=h("Catalog model id or alias (e.g. llama-3-70b, deepseek-v3)."))
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help=h("A local Hugging Face config.json instead of a catalog model."))
    ] = None,
    gpu: Annotated[str, typer.Option(help=h("Accelerator id or alias."))] = "h100-sxm",
    n_gpus: Annotated[
        int | None, typer.Option(help=h("GPUs per replica (default: the fewest that hold the model)."))
    ] = None,
    dtype: Annotated[
        str | None, typer.Option(help=h("Weights: bf16, fp16, fp8, int8, int4 (default: as released)."))
    ] = None,
    kv_dtype: Annotated[
        str | None, typer.Option(help=h("KV cache: bf16, fp8, ... (default: as the weights)."))
    ] = None,
    kv_bits: Annotated[
        float | None, typer.Option(help=h("KV cache bits per element, e.g. 6 (overrides --kv-dtype)."))
    ] = None,
    batch: Annotated[
        int | None,
        typer.Option(
            help=h(
                "Requested concurrent sequences; more than the KV cache holds queue "
                "(default: the largest that fits)."
            )
        ),
    ] = None,
    target_batch: Annotated[
        int,
        typer.Option(
            help=h("Without --n-gpus/--batch: size the replica to hold at least this many sequences.")
        ),
    ] = 64,
    gpu_memory_utilization: Annotated[
        float | None,
        typer.Option(help=h("Share of device memory the engine may use (vLLM's default 0.9).")),
    ] = None,
    max_tpot_ms: Annotated[
        float | None,
        typer.Option(help=h("Latency target: the largest batch whose p95 time per output token meets it.")),
    ] = None,
    max_ttft_ms: Annotated[
        float | None,
        typer.Option(help=h("Latency target: the largest batch whose p95 time to first token meets it.")),
    ] = None,
    prompt_tokens: Annotated[str, typer.Option(help=h("Mean prompt tokens per request."))] = "1000",
    output_tokens: Annotated[str, typer.Option(help=h("Mean output tokens per request."))] = "300",
    tokens_per_day: Annotated[
        str | None, typer.Option(help=h("Output tokens per day of traffic: sizes a fleet."))
    ] = None,
    peak_factor: Annotated[str, typer.Option(help=h("Peak rate / mean rate of the traffic."))] = "2",
    usd_per_gpu_hour: RentalOpt = None,
    gpu_price: PriceOpt = None,
    utilization: Annotated[
        str | None, typer.Option(help=h("Average load / capacity LOW..HIGH in (0, 1]."))
    ] = None,
    pue: PueOpt = None,
    grid: GridOpt = None,
    price_tier: TierOpt = "auto",
    engine: Annotated[
        str,
        typer.Option(
            help=h("Serving engine: vllm, sglang, trt-llm, tgi, or generic (efficiencies spanning them all).")
        ),
    ] = "generic",
    expert_parallel: Annotated[
        bool,
        typer.Option(help=h("MoE: shard the experts across the GPUs (all-to-all), not tensor-parallel.")),
    ] = False,
    lever: LeverOpt = None,
    samples: SamplesOpt = 10_000,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Estimate serving: GPUs per replica, KV cache, latency, tokens/s, J/token, $/1M tokens, fleet, APIs."""
    from costlm import api

    request = api.make_serve_request(
        model=model,
        config=str(config) if config else None,
        gpu=gpu,
        n_gpus=n_gpus,
        dtype=dtype,
        kv_dtype=kv_dtype,
        kv_bits=kv_bits,
        batch=batch,
        target_batch=target_batch,
        gpu_memory_utilization=gpu_memory_utilization,
        max_tpot_ms=max_tpot_ms,
        max_ttft_ms=max_ttft_ms,
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        tokens_per_day=tokens_per_day,
        peak_factor=peak_factor,
        usd_per_gpu_hour=usd_per_gpu_hour,
        gpu_price_usd=gpu_price,
        utilization=utilization,
        pue=pue,
        grid=grid,
        price_tier=price_tier,
        engine=engine,
        expert_parallel=expert_parallel,
        levers=lever_names(lever),
        samples=samples,
        seed=seed,
    )
    result = api.estimate_serving(request, catalog_files=catalog or ())
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        from costlm.report.serving import print_serving  # Rich only for the table, not for --json

        print_serving(make_console(), result, lang_of(lang))


@app.command(
    help=h(
        "Judge cost claims (the seed documents', or yours) against reported figures and costlm's estimates."
    ),
    epilog=examples(
        "costlm check",
        "costlm check --explain s002-mla-kv-cache-reduction",
        "costlm check --file my_claims.toml --lang es",
    ),
    cls=Command,
)
def check(
    ids: Annotated[
        list[str] | None, typer.Argument(help=h("Claim ids to judge (default: every seed claim)."))
    ] = None,
    file: Annotated[
        Path | None, typer.Option(help=h("Your own claims TOML ([[claim]] entries; see docs/claims.md)."))
    ] = None,
    explain: Annotated[
        str | None, typer.Option(help=h("Show the full reasoning trail of one claim."))
    ] = None,
    samples: SamplesOpt = 10_000,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Judge cost claims (the seed documents', or yours) against reported figures and costlm's estimates."""
    from costlm import api
    from costlm.report.claims import print_claims, print_explanation

    chosen = lang_of(lang)
    wanted = [explain] if explain else (ids or [])
    results = api.check_claims(wanted, file=file, samples=samples, seed=seed, catalog_files=catalog or ())
    if as_json:
        print_json([r.model_dump(mode="json") for r in results])
    elif explain:
        print_explanation(make_console(), results[0], chosen)
    else:
        print_claims(make_console(), results, chosen)


@app.command(
    help=h(
        "The seed assignment's summary table, plots, judged claims and methodology: index.html + exports."
    ),
    epilog=examples(
        "costlm report",
        "costlm report --models gpt-4,llama-3-70b,deepseek-v3 --format md,csv --out my-report",
        "costlm report --lang es --samples 2000",
    ),
    cls=Command,
)
def report(
    models: Annotated[
        str | None, typer.Option(help=h("Comma-separated catalog model ids (default: the seed's nine)."))
    ] = None,
    out: Annotated[Path, typer.Option(help=h("Directory for index.html and the exports."))] = Path("report"),
    format: Annotated[
        str, typer.Option("--format", help=h("Comma-separated: html,md,csv,json,xlsx,tex."))
    ] = "html,md,csv,json,xlsx,tex",
    samples: SamplesOpt = 10_000,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """The seed assignment's summary table, plots, judged claims and methodology: index.html + exports."""
    from costlm import api
    from costlm.report.files import parse_formats, write_report
    from costlm.report.terminal import print_seed_table

    chosen = lang_of(lang)
    formats = parse_formats(format)
    ids = [m.strip() for m in models.split(",") if m.strip()] if models else list(api.DEFAULT_MODELS)
    console = make_console()
    with _progress(console, len(ids) + 2) as step:
        data = api.report_data(ids, samples=samples, seed=seed, catalog_files=catalog or (), progress=step)
        if not as_json:
            step("files")
            paths = write_report(data, out, chosen, formats)
    if as_json:
        print_json(data.model_dump(mode="json"))
        return
    print_seed_table(console, data.table, chosen)
    console.print("wrote " + ", ".join(str(p) for p in paths), soft_wrap=True)


@contextmanager
def _progress(console: Console, total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on a terminal; silent in pipes and CI."""
    if not console.is_terminal or os.environ.get("CI"):
        yield lambda _: None
        return
    from rich.progress import Progress

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("costlm report", total=total)
        yield lambda name: bar.update(task, advance=1, description=f"costlm report: {name}")


@catalog_app.command(
    "list",
    help=h("List the entries of one catalog table."),
    epilog=examples(
        "costlm catalog list accelerators --vendor nvidia",
        "costlm catalog list models --family llama --year 2024",
        "costlm catalog list runs --json",
    ),
    cls=Command,
)
def catalog_list(
    kind: Annotated[
        str,
        typer.Argument(
            help=h("accelerators, models, runs, sources, grid, api_prices, inference_runs or levers.")
        ),
    ] = "models",
    vendor: Annotated[
        str | None,
        typer.Option(help=h("Only entries whose vendor, organization or publisher contains this.")),
    ] = None,
    year: Annotated[str | None, typer.Option(help=h("Only entries of this year, e.g. 2024."))] = None,
    family: Annotated[
        str | None, typer.Option(help=h("Only models of this family, e.g. llama, llama-3.1, qwen."))
    ] = None,
    search: Annotated[
        str | None, typer.Option(help=h("Only entries whose id, name or aliases contain this text."))
    ] = None,
    as_json: JsonOpt = False,
    catalog: CatalogOpt = None,
) -> None:
    """List the entries of one catalog table."""
    from costlm import api
    from costlm.report.terminal import print_entries

    kinds = ("accelerators", "models", "runs", "sources", "grid", "api_prices", "inference_runs", "levers")
    if kind not in kinds:
        raise InputError(
            f"unknown catalog table '{kind}'; choose one of {', '.join(kinds)}",
            key="unknown_table",
            table=kind,
        )
    entries = api.catalog_entries(
        kind,  # type: ignore[arg-type]
        catalog_files=catalog or (),
        vendor=vendor,
        year=year,
        family=family,
        search=search,
    )
    if as_json:
        print_json(entries)
    else:
        print_entries(make_console(), kind, entries)


@catalog_app.command(
    "show",
    help=h("Show one catalog entry with every number's source and locator."),
    epilog=examples(
        "costlm catalog show H100", "costlm catalog show deepseek-v3", "costlm catalog show llama-2-7b --toml"
    ),
    cls=Command,
)
def catalog_show(
    ident: Annotated[
        str, typer.Argument(help=h("Id or alias of an accelerator, model, run, source or grid region."))
    ],
    as_toml: Annotated[
        bool, typer.Option("--toml", help=h("Print the entry as a TOML block to copy into an overlay file."))
    ] = False,
    catalog: CatalogOpt = None,
) -> None:
    """Show one catalog entry with every number's source and locator."""
    from costlm import api

    if as_toml:
        sys.stdout.write(api.catalog_entry_toml(ident, catalog_files=catalog or ()))
        return
    kind, entry = api.catalog_entry(ident, catalog_files=catalog or ())
    print_json({"table": kind, **entry})


@catalog_app.command(
    "stats",
    help=h("Count the catalog: entries per table, the oldest price per table, figures by basis."),
    epilog=examples("costlm catalog stats", "costlm catalog stats --json"),
    cls=Command,
)
def catalog_stats(as_json: JsonOpt = False, lang: LangOpt = None, catalog: CatalogOpt = None) -> None:
    """Count the catalog: entries per table, the oldest price per table, figures by basis."""
    from costlm import api
    from costlm.report.catalog import print_catalog_stats

    stats = api.catalog_stats(catalog_files=catalog or ())
    if as_json:
        print_json(stats.model_dump())
    else:
        print_catalog_stats(make_console(), stats, lang_of(lang))


@catalog_app.command(
    "import-config",
    help=h("Write an overlay file with a model read from a Hugging Face config.json."),
    epilog=examples(
        "costlm catalog import-config config.json --id my-model",
        "costlm catalog import-config config.json --id my-model --force",
    ),
    cls=Command,
)
def catalog_import_config(
    config: Annotated[Path, typer.Argument(help=h("A local Hugging Face config.json."))],
    ident: Annotated[str, typer.Option("--id", help=h("The new model's catalog id, e.g. my-model."))],
    out: Annotated[
        Path | None, typer.Option("--out", help=h("The overlay file to write (default: ID.toml)."))
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=h("Replace the file if it exists."))] = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Write an overlay file with a model read from a Hugging Face config.json."""
    from rich.markup import escape

    from costlm import api
    from costlm.report.files import write_text_file
    from costlm.report.fmt import caveat_text, number

    language = lang_of(lang)
    imported = api.import_config(config, ident, catalog_files=catalog or ())
    path = out or Path(f"{imported.model_id}.toml")
    write_text_file(path, imported.toml, force=force)
    console = make_console()
    for warning in imported.warnings:
        console.print(
            f"[yellow]{escape(t('warn.prefix', language))}[/yellow] {escape(caveat_text(warning, language))}"
        )
    values = {"path": str(path), "id": imported.model_id}
    params = {
        "params": number(imported.n_params, lang=language),
        "active": number(imported.n_active_params, lang=language),
    }
    console.print(escape(t("import.written", language, **values, **params)), soft_wrap=True)
    console.print(escape(t("import.use", language, **values)), soft_wrap=True)


@catalog_app.command(
    "check",
    help=h("Validate the bundled catalog (and overlay files): schema, sources, ids, cross-references."),
    epilog=examples("costlm catalog check", "costlm catalog check mine.toml"),
    cls=Command,
)
def catalog_check(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help=h("Overlay TOML files to validate (default: the bundled catalog).")),
    ] = None,
) -> None:
    """Validate the bundled catalog (and overlay files): schema, sources, ids, cross-references."""
    from costlm import api

    summary = api.check_catalog(files or ())
    counts = (
        f"{summary.n_sources} sources, {summary.n_accelerators} accelerators, {summary.n_models} models, "
        f"{summary.n_runs} runs, {summary.n_mfu_priors} MFU priors, {summary.n_grid_regions} grid regions"
    )
    make_console().print(f"[green]ok[/green] {', '.join(summary.files)}: {counts}", soft_wrap=True)


def _message(exc: CostlmError, lang: str) -> str:
    """The error in ``lang`` when the i18n catalog has its key, else the English message."""
    key = f"err.{exc.key}" if exc.key else None
    if lang == "en" or key is None or key not in messages(lang):
        return str(exc)
    try:
        return t(key, lang, **exc.values)
    except (KeyError, IndexError, ValueError):
        return str(exc)


FLAG_OF_FIELD = {
    "model": "MODEL",
    "params": "--params",
    "active_params": "--active-params",
    "tokens": "--tokens",
    "train_flop": "--train-flop",
    "kind": "--kind",
    "examples": "--examples",
    "tokens_per_example": "--tokens-per-example",
    "epochs": "--epochs",
    "gpu": "--gpu",
    "n_gpus": "--n-gpus",
    "days": "--days",
    "dtype": "--dtype",
    "mfu": "--mfu",
    "achieved_tflops_per_gpu": "--achieved-tflops-per-gpu",
    "gpu_hours": "--gpu-hours",
    "goodput": "--goodput",
    "seq_len": "--seq-len",
    "recompute": "--recompute",
    "usd_per_gpu_hour": "--usd-per-gpu-hour",
    "gpu_price_usd": "--gpu-price",
    "pue": "--pue",
    "grid": "--grid",
    "price_tier": "--price-tier",
    "engine": "--engine",
    "samples": "--samples",
    "seed": "--seed",
    "config": "--config",
    "kv_dtype": "--kv-dtype",
    "kv_bits": "--kv-bits",
    "batch": "--batch",
    "target_batch": "--target-batch",
    "gpu_memory_utilization": "--gpu-memory-utilization",
    "max_tpot_ms": "--max-tpot-ms",
    "max_ttft_ms": "--max-ttft-ms",
    "prompt_tokens": "--prompt-tokens",
    "output_tokens": "--output-tokens",
    "tokens_per_day": "--tokens-per-day",
    "peak_factor": "--peak-factor",
    "utilization": "--utilization",
    "method": "--method",
    "lora_rank": "--lora-rank",
    "zero_stage": "--zero",
    "tensor_parallel": "--tp",
    "pipeline_parallel": "--pp",
    "micro_batch": "--micro-batch",
    "attention_kernel": "--attention-kernel",
    "months": "--months",
    "base": "--base",
    "api": "--api",
    "teacher": "--teacher",
    "pretrain": "--pretrain",
    "global_batch": "--global-batch",
    "deadline_days": "--deadline-days",
    "budget_usd": "--budget-usd",
    "max_co2_t": "--max-co2-t",
    "gpus": "--gpus",
    "max_gpus": "--max-gpus",
    "dtypes": "--dtypes",
    "objective": "--objective",
    "acquisition": "--rent/--buy/--both",
}
"""Request field -> the option a user types: error messages name fields, the user knows flags."""
_FIELD_PREFIX = re.compile(r"^([a-z_]+)(?:\.\d+)*:")


def _flag_prefix(message: str) -> str:
    """'mfu: must be...' -> '--mfu: must be...' (also 'mfu.1:' from a tuple field); else unchanged."""
    match = _FIELD_PREFIX.match(message)
    if match is None or match.group(1) not in FLAG_OF_FIELD:
        return message
    return FLAG_OF_FIELD[match.group(1)] + message[match.end() - 1 :]


def _fail(message: str, code: int = 2, prefix: str | None = None) -> NoReturn:
    from rich.markup import escape

    label = prefix or t("error.prefix", argv_lang())
    line = " ".join(message.splitlines())  # a user's text echoed in a message may hold line breaks
    make_console(stderr=True).print(f"[red]{escape(label)}:[/red] {escape(line)}", soft_wrap=True)
    raise SystemExit(code)


def main() -> None:
    """Entry point: run the app; typed and usage errors become one red line and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except CatalogError as exc:  # names a catalog file's fields, not options
        _fail(_message(exc, argv_lang()))
    except CostlmError as exc:
        _fail(_flag_prefix(_message(exc, argv_lang())))
    except Exception as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # help was printed already
            raise SystemExit(0) from None
        if hasattr(exc, "format_message") and hasattr(
            exc, "exit_code"
        ):  # Click usage errors (Typer vendors Click)
            ctx = getattr(exc, "ctx", None)
            hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            _fail(str(exc.format_message()).replace("\n", " ") + hint, int(exc.exit_code) or 2)
        if type(exc).__name__ == "Abort":
            _fail("aborted", 1)
        if os.environ.get("COSTLM_DEBUG"):
            raise
        _fail(f"{type(exc).__name__}: {exc} (set COSTLM_DEBUG=1 for details)", 1, prefix="internal error")
    raise SystemExit(code if isinstance(code, int) else 0)
