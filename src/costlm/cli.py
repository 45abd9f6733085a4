"""The command line: options -> request -> api -> report rows -> Rich table (or --json).

Thin by design: parsing and printing only. Every CostlmError becomes one red line on
stderr and exit code 2. Heavy modules are imported inside the commands so that
``costlm --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from costlm.errors import CostlmError, InputError
from costlm.i18n import help_text as _h
from costlm.i18n import lang_from_env, messages, t
from costlm.units import parse_number, parse_range

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="costlm",
    help=_h("What it costs to train and to run a language model, as ranges with sources."),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(help=_h("List, show and validate the sourced catalog."), no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")

CatalogOpt = Annotated[
    list[Path] | None,
    typer.Option("--catalog", help=_h("Extra catalog TOML file adding or overriding entries (repeatable).")),
]
JsonOpt = Annotated[bool, typer.Option("--json", help=_h("Print the result as JSON."))]
LangOpt = Annotated[
    str | None, typer.Option("--lang", help=_h("Language of the output: en or es (default from LANG)."))
]
SamplesOpt = Annotated[int, typer.Option("--samples", help=_h("Monte Carlo samples (0 = point estimate)."))]
RentalOpt = Annotated[str | None, typer.Option(help=_h("Rental price LOW..HIGH in $/GPU-hour."))]
PriceOpt = Annotated[str | None, typer.Option(help=_h("Purchase price per GPU LOW..HIGH in $."))]
PueOpt = Annotated[str | None, typer.Option(help=_h("Data-centre PUE LOW..HIGH (>= 1)."))]
GridOpt = Annotated[str | None, typer.Option(help=_h("Grid region for CO2 (usa, china, france, world...)."))]
SeedOpt = Annotated[
    int, typer.Option("--seed", help=_h("Random seed of the Monte Carlo draw (same seed, same output)."))
]


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _lang(lang: str | None) -> str:
    from costlm.i18n import LANGS

    chosen = (lang or lang_from_env()).lower()
    if chosen not in LANGS:
        raise InputError(
            f"--lang: unknown language '{chosen}'; choose one of {', '.join(LANGS)}",
            key="unknown_lang",
            value=chosen,
        )
    return chosen


def _num(text: str | None, name: str) -> float | None:
    return None if text is None else parse_number(text, name=name)


def _rng(text: str | None, name: str) -> tuple[float, float] | None:
    return None if text is None else parse_range(text, name=name)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@app.command(
    help=_h("Estimate a training run: GPU-hours, days, hardware/rental/amortized cost, energy, power, CO2.")
)
def train(
    model: Annotated[
        str | None, typer.Argument(help=_h("Catalog model id or alias (e.g. deepseek-v3, llama-2-70b)."))
    ] = None,
    params: Annotated[str | None, typer.Option(help=_h("Total parameters, e.g. 7e9 or 7B."))] = None,
    active_params: Annotated[
        str | None, typer.Option(help=_h("Active parameters per token (MoE), e.g. 37B."))
    ] = None,
    tokens: Annotated[str | None, typer.Option(help=_h("Training tokens, e.g. 2T."))] = None,
    train_flop: Annotated[
        str | None, typer.Option(help=_h("Training FLOP, instead of params x tokens."))
    ] = None,
    kind: Annotated[str | None, typer.Option(help=_h("pretrain, finetune or distill."))] = None,
    examples: Annotated[
        str | None, typer.Option(help=_h("Fine-tuning examples (with --tokens-per-example, --epochs)."))
    ] = None,
    tokens_per_example: Annotated[
        str | None, typer.Option(help=_h("Mean tokens per fine-tuning example."))
    ] = None,
    epochs: Annotated[str | None, typer.Option(help=_h("Fine-tuning epochs."))] = None,
    gpu: Annotated[
        str | None, typer.Option(help=_h("Accelerator id or alias, e.g. h100-sxm, A100, TPUv4."))
    ] = None,
    n_gpus: Annotated[int | None, typer.Option(help=_h("Number of accelerators."))] = None,
    days: Annotated[
        str | None, typer.Option(help=_h("Target days (LOW..HIGH or one number): solves for the GPU count."))
    ] = None,
    dtype: Annotated[
        str | None, typer.Option(help=_h("Training precision: bf16, fp16, fp8, tf32, fp32."))
    ] = None,
    mfu: Annotated[
        str | None,
        typer.Option(help=_h("Model FLOP utilization LOW..HIGH in (0, 1] (default: calibrated prior).")),
    ] = None,
    goodput: Annotated[
        str | None, typer.Option(help=_h("Share of allocated time doing useful steps, LOW..HIGH."))
    ] = None,
    usd_per_gpu_hour: RentalOpt = None,
    gpu_price: PriceOpt = None,
    pue: PueOpt = None,
    grid: GridOpt = None,
    samples: SamplesOpt = 10_000,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Estimate a training run: GPU-hours, days, hardware/rental/amortized cost, energy, power, CO2."""
    from costlm import api
    from costlm.report.training import print_training

    request = api.make_training_request(
        model=model,
        params=_num(params, "--params"),
        active_params=_num(active_params, "--active-params"),
        tokens=_num(tokens, "--tokens"),
        train_flop=_num(train_flop, "--train-flop"),
        kind=kind,
        examples=_num(examples, "--examples"),
        tokens_per_example=_num(tokens_per_example, "--tokens-per-example"),
        epochs=_num(epochs, "--epochs"),
        gpu=gpu,
        n_gpus=n_gpus,
        days=_rng(days, "--days"),
        dtype=dtype,
        mfu=_rng(mfu, "--mfu"),
        goodput=_rng(goodput, "--goodput"),
        usd_per_gpu_hour=_rng(usd_per_gpu_hour, "--usd-per-gpu-hour"),
        gpu_price_usd=_rng(gpu_price, "--gpu-price"),
        pue=_rng(pue, "--pue"),
        grid=grid,
        samples=samples,
        seed=seed,
    )
    if model is None and params is None and train_flop is None:
        raise InputError(
            "give a catalog MODEL, or --params and --tokens (see `costlm train --help`)",
            key="train_needs_input",
        )
    result = api.estimate_training(request, catalog_files=catalog or ())
    if as_json:
        _print_json(result.model_dump(mode="json"))
    else:
        print_training(_console(), result, _lang(lang))


@app.command(
    help=_h(
        "Estimate serving: GPUs per replica, KV cache, latency, tokens/s, J/token, $/1M tokens, fleet, APIs."
    )
)
def serve(
    model: Annotated[
        str | None, typer.Argument(help=_h("Catalog model id or alias (e.g. llama-3-70b, deepseek-v3)."))
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help=_h("A local Hugging Face config.json instead of a catalog model."))
    ] = None,
    gpu: Annotated[str, typer.Option(help=_h("Accelerator id or alias."))] = "h100-sxm",
    n_gpus: Annotated[
        int | None, typer.Option(help=_h("GPUs per replica (default: the fewest that hold the model)."))
    ] = None,
    dtype: Annotated[
        str | None, typer.Option(help=_h("Weights: bf16, fp16, fp8, int8, int4 (default: as released)."))
    ] = None,
    kv_dtype: Annotated[
        str | None, typer.Option(help=_h("KV cache: bf16, fp8, ... (default: as the weights)."))
    ] = None,
    kv_bits: Annotated[
        float | None, typer.Option(help=_h("KV cache bits per element, e.g. 6 (overrides --kv-dtype)."))
    ] = None,
    batch: Annotated[
        int | None, typer.Option(help=_h("Concurrent sequences (default: the largest that fits)."))
    ] = None,
    target_batch: Annotated[
        int,
        typer.Option(
            help=_h("Without --n-gpus/--batch: size the replica to hold at least this many sequences.")
        ),
    ] = 64,
    prompt_tokens: Annotated[str, typer.Option(help=_h("Mean prompt tokens per request."))] = "1000",
    output_tokens: Annotated[str, typer.Option(help=_h("Mean output tokens per request."))] = "300",
    tokens_per_day: Annotated[
        str | None, typer.Option(help=_h("Output tokens per day of traffic: sizes a fleet."))
    ] = None,
    peak_factor: Annotated[str, typer.Option(help=_h("Peak rate / mean rate of the traffic."))] = "2",
    usd_per_gpu_hour: RentalOpt = None,
    gpu_price: PriceOpt = None,
    utilization: Annotated[
        str | None, typer.Option(help=_h("Average load / capacity LOW..HIGH in (0, 1]."))
    ] = None,
    pue: PueOpt = None,
    grid: GridOpt = None,
    samples: SamplesOpt = 10_000,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Estimate serving: GPUs per replica, KV cache, latency, tokens/s, J/token, $/1M tokens, fleet, APIs."""
    from costlm import api
    from costlm.report.serving import print_serving

    if (model is None) == (config is None):
        both = model is not None
        message = "give a catalog MODEL or --config path/to/config.json" + (", not both" if both else "")
        raise InputError(message, key="serve_both" if both else "serve_needs_input")
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
        prompt_tokens=parse_number(prompt_tokens, name="--prompt-tokens"),
        output_tokens=parse_number(output_tokens, name="--output-tokens"),
        tokens_per_day=_num(tokens_per_day, "--tokens-per-day"),
        peak_factor=parse_number(peak_factor, name="--peak-factor"),
        usd_per_gpu_hour=_rng(usd_per_gpu_hour, "--usd-per-gpu-hour"),
        gpu_price_usd=_rng(gpu_price, "--gpu-price"),
        utilization=_rng(utilization, "--utilization"),
        pue=_rng(pue, "--pue"),
        grid=grid,
        samples=samples,
        seed=seed,
    )
    result = api.estimate_serving(request, catalog_files=catalog or ())
    if as_json:
        _print_json(result.model_dump(mode="json"))
    else:
        print_serving(_console(), result, _lang(lang))


@app.command(
    help=_h(
        "Judge cost claims (the seed documents', or yours) against reported figures and costlm's estimates."
    )
)
def check(
    ids: Annotated[
        list[str] | None, typer.Argument(help=_h("Claim ids to judge (default: every seed claim)."))
    ] = None,
    file: Annotated[
        Path | None, typer.Option(help=_h("Your own claims TOML ([[claim]] entries; see docs/claims.md)."))
    ] = None,
    explain: Annotated[
        str | None, typer.Option(help=_h("Show the full reasoning trail of one claim."))
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

    chosen = _lang(lang)
    wanted = [explain] if explain else (ids or [])
    results = api.check_claims(
        wanted, file=file, lang=chosen, samples=samples, seed=seed, catalog_files=catalog or ()
    )
    if as_json:
        _print_json([r.model_dump(mode="json") for r in results])
    elif explain:
        print_explanation(_console(), results[0], chosen)
    else:
        print_claims(_console(), results, chosen)


@app.command(
    help=_h(
        "The seed assignment's summary table, plots, judged claims and methodology: index.html + exports."
    )
)
def report(
    models: Annotated[
        str | None, typer.Option(help=_h("Comma-separated catalog model ids (default: the seed's nine)."))
    ] = None,
    out: Annotated[Path, typer.Option(help=_h("Directory for index.html and the exports."))] = Path("report"),
    format: Annotated[
        str, typer.Option("--format", help=_h("Comma-separated: html,md,csv,json,xlsx,tex."))
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

    chosen = _lang(lang)
    formats = parse_formats(format)
    ids = [m.strip() for m in models.split(",") if m.strip()] if models else list(api.DEFAULT_MODELS)
    console = _console()
    with _progress(console, len(ids) + 2) as step:
        data = api.report_data(
            ids, samples=samples, seed=seed, lang=chosen, catalog_files=catalog or (), progress=step
        )
        if not as_json:
            step("files")
            paths = write_report(data, out, chosen, formats)
    if as_json:
        _print_json(data.model_dump(mode="json"))
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


@catalog_app.command("list", help=_h("List the entries of one catalog table."))
def catalog_list(
    kind: Annotated[str, typer.Argument(help=_h("accelerators, models, runs, sources or grid."))] = "models",
    as_json: JsonOpt = False,
    catalog: CatalogOpt = None,
) -> None:
    """List the entries of one catalog table."""
    from costlm import api
    from costlm.report.terminal import print_entries

    kinds = ("accelerators", "models", "runs", "sources", "grid")
    if kind not in kinds:
        raise InputError(
            f"unknown catalog table '{kind}'; choose one of {', '.join(kinds)}",
            key="unknown_table",
            table=kind,
        )
    entries = api.catalog_entries(kind, catalog_files=catalog or ())  # type: ignore[arg-type]
    if as_json:
        _print_json(entries)
    else:
        print_entries(_console(), kind, entries)


@catalog_app.command("show", help=_h("Show one catalog entry with every number's source and locator."))
def catalog_show(
    ident: Annotated[
        str, typer.Argument(help=_h("Id or alias of an accelerator, model, run, source or grid region."))
    ],
    catalog: CatalogOpt = None,
) -> None:
    """Show one catalog entry with every number's source and locator."""
    from costlm import api

    kind, entry = api.catalog_entry(ident, catalog_files=catalog or ())
    _print_json({"table": kind, **entry})


@catalog_app.command(
    "check",
    help=_h("Validate the bundled catalog (and overlay files): schema, sources, ids, cross-references."),
)
def catalog_check(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help=_h("Overlay TOML files to validate (default: the bundled catalog).")),
    ] = None,
) -> None:
    """Validate the bundled catalog (and overlay files): schema, sources, ids, cross-references."""
    from costlm import api

    summary = api.check_catalog(files or ())
    counts = (
        f"{summary.n_sources} sources, {summary.n_accelerators} accelerators, {summary.n_models} models, "
        f"{summary.n_runs} runs, {summary.n_mfu_priors} MFU priors, {summary.n_grid_regions} grid regions"
    )
    _console().print(f"[green]ok[/green] {', '.join(summary.files)}: {counts}", soft_wrap=True)


def _argv_lang() -> str:
    """The --lang of the command line if valid, else the environment's (for error messages)."""
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        value = (
            arg.split("=", 1)[1]
            if arg.startswith("--lang=")
            else (args[i + 1] if arg == "--lang" and i + 1 < len(args) else "")
        )
        if value in ("en", "es"):
            return value
    return lang_from_env()


def _message(exc: CostlmError, lang: str) -> str:
    """The error in ``lang`` when the i18n catalog has its key, else the English message."""
    key = f"err.{exc.key}" if exc.key else None
    if lang == "en" or key is None or key not in messages(lang):
        return str(exc)
    try:
        return t(key, lang, **exc.values)
    except (KeyError, IndexError, ValueError):
        return str(exc)


def _fail(message: str, code: int = 2, prefix: str | None = None) -> NoReturn:
    from rich.markup import escape

    label = prefix or t("error.prefix", _argv_lang())
    line = " ".join(message.splitlines())  # a user's text echoed in a message may hold line breaks
    _console(stderr=True).print(f"[red]{escape(label)}:[/red] {escape(line)}", soft_wrap=True)
    raise SystemExit(code)


def main() -> None:
    """Entry point: run the app; typed and usage errors become one red line and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except CostlmError as exc:
        _fail(_message(exc, _argv_lang()))
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
