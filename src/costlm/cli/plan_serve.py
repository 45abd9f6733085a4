"""``costlm plan serve``: the cheapest fleet for a model, a traffic and latency targets."""

from __future__ import annotations

from typing import Annotated

import typer

from costlm.cli.common import (
    CatalogOpt,
    GridOpt,
    JsonOpt,
    LangOpt,
    LeverOpt,
    SeedOpt,
    TierOpt,
    h,
    lang_of,
    lever_names,
    make_console,
    print_json,
)


def plan_serve(
    model: Annotated[
        str, typer.Argument(help=h("Catalog model id or alias (e.g. llama-3-70b, deepseek-v3)."))
    ],
    tokens_per_day: Annotated[
        str | None, typer.Option(help=h("Output tokens per day of traffic: sizes a fleet."))
    ] = None,
    requests_per_s: Annotated[
        str | None, typer.Option(help=h("Mean requests per second (instead of --tokens-per-day)."))
    ] = None,
    prompt_tokens: Annotated[str, typer.Option(help=h("Mean prompt tokens per request."))] = "1000",
    output_tokens: Annotated[str, typer.Option(help=h("Mean output tokens per request."))] = "300",
    prompt_cv: Annotated[
        str, typer.Option(help=h("Spread of prompt lengths, std / mean (0 = all equal)."))
    ] = "1",
    output_cv: Annotated[
        str, typer.Option(help=h("Spread of output lengths, std / mean (1 = exponential-like)."))
    ] = "1",
    peak_factor: Annotated[str, typer.Option(help=h("Peak rate / mean rate of the traffic."))] = "2",
    p90_ttft_ms: Annotated[
        float | None,
        typer.Option(help=h("Target: 90th percentile of time to first token, in ms, at the peak.")),
    ] = None,
    p99_tpot_ms: Annotated[
        float | None,
        typer.Option(help=h("Target: 99th percentile of time per output token, in ms, at the peak.")),
    ] = None,
    gpus: Annotated[
        str | None,
        typer.Option(help=h("Accelerators to search, comma-separated (default: all with a rental price).")),
    ] = None,
    engines: Annotated[
        str, typer.Option(help=h("Serving engines to search, comma-separated."))
    ] = "vllm,sglang,trt-llm",
    dtypes: Annotated[
        str | None,
        typer.Option(
            help=h("Weight dtypes: bf16, fp8, int8, int4 (default bf16; quantize lever: +fp8, int8).")
        ),
    ] = None,
    kv_dtypes: Annotated[
        str | None,
        typer.Option(help=h("KV cache dtypes to search: bf16, fp8 (default bf16; quantize lever: +fp8).")),
    ] = None,
    lever: LeverOpt = None,
    grid: GridOpt = None,
    price_tier: TierOpt = "auto",
    samples: Annotated[
        int, typer.Option("--samples", help=h("Monte Carlo samples per configuration."))
    ] = 1000,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Find the cheapest fleet that serves a model at a traffic within p90 TTFT and p99 TPOT targets."""
    from costlm import api

    request = api.make_plan_serve_request(
        model=model,
        tokens_per_day=tokens_per_day,
        requests_per_s=requests_per_s,
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        prompt_cv=prompt_cv,
        output_cv=output_cv,
        peak_factor=peak_factor,
        p90_ttft_ms=p90_ttft_ms,
        p99_tpot_ms=p99_tpot_ms,
        gpus=gpus,
        engines=engines,
        dtypes=dtypes,
        kv_dtypes=kv_dtypes,
        levers=lever_names(lever),
        grid=grid,
        price_tier=price_tier,
        samples=samples,
        seed=seed,
    )
    result = api.plan_serving(request, catalog_files=catalog or ())
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        from costlm.report.plan_serve import print_plan_serve

        print_plan_serve(make_console(), result, lang_of(lang))
