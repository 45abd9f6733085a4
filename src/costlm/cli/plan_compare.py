"""``costlm plan compare``: the total cost over N months of calling an API, fine-tuning (or
distilling) an open model and self-hosting it, and pre-training a model and self-hosting it.

A plain function with Typer annotations, registered on ``plan_app`` in ``costlm.cli.plan``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from costlm.cli.common import (
    CatalogOpt,
    JsonOpt,
    LangOpt,
    LeverOpt,
    ParamsOpt,
    SamplesOpt,
    SeedOpt,
    TokensOpt,
    h,
    lang_of,
    lever_names,
    make_console,
    print_json,
)


def plan_compare(
    tokens_per_day: Annotated[str, typer.Option(help=h("Output tokens per day of traffic: sizes a fleet."))],
    base: Annotated[
        str | None,
        typer.Option(help=h("Open model to fine-tune (or distil into) and self-host, e.g. llama-3-70b.")),
    ] = None,
    api_price: Annotated[
        str | None,
        typer.Option(
            "--api",
            help=h("API price id of the API path (default: the cheapest listed price of the served model)."),
        ),
    ] = None,
    teacher: Annotated[
        str | None,
        typer.Option(
            help=h("API price id of a teacher whose outputs are the fine-tuning data (distillation).")
        ),
    ] = None,
    pretrain: Annotated[
        str | None,
        typer.Option(
            help=h("Catalog model to pre-train from scratch with its training record (default: --base).")
        ),
    ] = None,
    params: ParamsOpt = None,
    tokens: TokensOpt = None,
    months: Annotated[int, typer.Option(help=h("Months of use to total the costs over."))] = 12,
    prompt_tokens: Annotated[str, typer.Option(help=h("Mean prompt tokens per request."))] = "1000",
    output_tokens: Annotated[str, typer.Option(help=h("Mean output tokens per request."))] = "300",
    examples: Annotated[str, typer.Option(help=h("Fine-tuning examples (default 1,000, as s1)."))] = "1000",
    tokens_per_example: Annotated[
        str, typer.Option(help=h("Mean tokens per fine-tuning example (default 10k, as s1's traces)."))
    ] = "10k",
    epochs: Annotated[str, typer.Option(help=h("Fine-tuning epochs (default 5, as s1)."))] = "5",
    method: Annotated[
        str, typer.Option(help=h("full, lora or qlora (LoRA adapters on a 16-bit or 4-bit frozen base)."))
    ] = "full",
    gpu: Annotated[
        str, typer.Option(help=h("Accelerator of the fine-tune and of the self-hosted fleets."))
    ] = "h100-sxm",
    n_gpus: Annotated[
        int | None,
        typer.Option(help=h("GPUs of the fine-tune (default 16 as s1, or the fewest that hold the model).")),
    ] = None,
    lever: LeverOpt = None,
    samples: SamplesOpt = 10_000,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Total cost over N months of three paths for one use: API, fine-tune an open model, pre-train."""
    from costlm import api

    request = api.make_plan_compare_request(
        tokens_per_day=tokens_per_day,
        base=base,
        api=api_price,
        teacher=teacher,
        pretrain=pretrain,
        params=params,
        tokens=tokens,
        months=months,
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        examples=examples,
        tokens_per_example=tokens_per_example,
        epochs=epochs,
        method=method,
        gpu=gpu,
        n_gpus=n_gpus,
        samples=samples,
        seed=seed,
        levers=lever_names(lever),
    )
    result = api.plan_compare(request, catalog_files=catalog or ())
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        from costlm.report.plan_compare import print_plan_compare  # Rich only for the table

        print_plan_compare(make_console(), result, lang_of(lang))
