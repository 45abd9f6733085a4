"""``costlm plan train``: the cheapest (or fastest, or greenest) way to train under constraints.

A plain function with Typer annotations, registered on ``plan_app`` by ``costlm.cli.plan``.
Heavy modules (the api, Rich) load inside the function so that ``--help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from costlm.cli.common import (
    ActiveParamsOpt,
    CatalogOpt,
    EpochsOpt,
    ExamplesOpt,
    GridOpt,
    JsonOpt,
    LangOpt,
    LeverOpt,
    ParamsOpt,
    SamplesOpt,
    SeedOpt,
    TierOpt,
    TokensOpt,
    TokensPerExampleOpt,
    h,
    lang_of,
    lever_names,
    make_console,
    print_json,
)
from costlm.errors import InputError

PLAN_SAMPLES = 2_000
"""Default Monte Carlo samples of a plan (``costlm.resolve.plan_train.DEFAULT_PLAN_SAMPLES``)."""
DEFAULT_MAX_GPUS = 16_384
"""Default of --max-gpus (``costlm.resolve.plan_train.DEFAULT_MAX_GPUS``; a test pins the two)."""


def acquisition_of(rent: bool, buy: bool, both: bool) -> str:
    """--rent (default), --buy or --both; two of them at once is a contradiction."""
    given = [name for name, on in (("rent", rent), ("buy", buy), ("both", both)) if on]
    if len(given) > 1:
        flags = " and ".join(f"--{g}" for g in given)
        raise InputError(
            f"give one of --rent, --buy, --both, not {flags}", key="plan_one_acquisition", given=flags
        )
    return given[0] if given else "rent"


def plan_train(
    model: Annotated[
        str | None, typer.Argument(help=h("Catalog model id or alias to pre-train (e.g. llama-2-7b)."))
    ] = None,
    params: ParamsOpt = None,
    active_params: ActiveParamsOpt = None,
    tokens: TokensOpt = None,
    base: Annotated[
        str | None,
        typer.Option(
            help=h("Fine-tune this catalog model (with --examples, --tokens-per-example, --epochs).")
        ),
    ] = None,
    examples: ExamplesOpt = None,
    tokens_per_example: TokensPerExampleOpt = None,
    epochs: EpochsOpt = None,
    method: Annotated[
        str, typer.Option(help=h("full, lora or qlora (LoRA adapters on a 16-bit or 4-bit frozen base)."))
    ] = "full",
    seq_len: Annotated[
        str | None, typer.Option(help=h("Training sequence length in tokens (memory check; default 4096)."))
    ] = None,
    global_batch: Annotated[
        str | None,
        typer.Option(
            help=h(
                "Sequences per optimizer step: the most data-parallel replicas a run can use"
                " (default: 4M tokens / sequence length for pre-training, 16 for fine-tunes)."
            )
        ),
    ] = None,
    deadline_days: Annotated[
        str | None, typer.Option(help=h("Deadline in days, met at the 90th percentile."))
    ] = None,
    budget_usd: Annotated[
        str | None, typer.Option(help=h("Budget in $, met at the 90th percentile (e.g. 250k)."))
    ] = None,
    max_co2_t: Annotated[
        str | None, typer.Option(help=h("Most tonnes of CO2e, met at the 90th percentile."))
    ] = None,
    gpus: Annotated[
        str | None, typer.Option(help=h("Accelerators to search, comma-separated ids (default: all)."))
    ] = None,
    max_gpus: Annotated[
        int, typer.Option(help=h("Largest GPU count searched (powers of two from 1)."))
    ] = DEFAULT_MAX_GPUS,
    rent: Annotated[bool, typer.Option("--rent", help=h("Rent the GPUs (the default)."))] = False,
    buy: Annotated[
        bool, typer.Option("--buy", help=h("Buy the cluster: capex (servers + network) plus electricity."))
    ] = False,
    both: Annotated[bool, typer.Option("--both", help=h("Compare renting and buying."))] = False,
    price_tier: TierOpt = "auto",
    grid: GridOpt = None,
    dtypes: Annotated[
        str | None,
        typer.Option(help=h("Precisions to search, comma-separated (default: 16-bit; FP8 is --lever fp8).")),
    ] = None,
    objective: Annotated[
        str, typer.Option(help=h("What the best plan minimizes: cost, time or co2."))
    ] = "cost",
    lever: LeverOpt = None,
    samples: SamplesOpt = PLAN_SAMPLES,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Find the cheapest, fastest or greenest configuration of a training run under constraints."""
    from costlm import api

    request = api.make_plan_train_request(
        model=model,
        params=params,
        active_params=active_params,
        tokens=tokens,
        base=base,
        examples=examples,
        tokens_per_example=tokens_per_example,
        epochs=epochs,
        method=method,
        seq_len=seq_len,
        global_batch=global_batch,
        deadline_days=deadline_days,
        budget_usd=budget_usd,
        max_co2_t=max_co2_t,
        gpus=gpus,
        max_gpus=max_gpus,
        acquisition=acquisition_of(rent, buy, both),
        price_tier=price_tier,
        grid=grid,
        dtypes=dtypes,
        objective=objective,
        levers=lever_names(lever),
        samples=samples,
        seed=seed,
    )
    result = api.plan_training(request, catalog_files=catalog or ())
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        from costlm.report.plan_train import print_plan_train  # Rich only for the table, not for --json

        print_plan_train(make_console(), result, lang_of(lang))
