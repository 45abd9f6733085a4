"""``costlm plan``: search the configurations of a training run, a serving fleet or a whole path.

Each subcommand lives in its own module (``plan_train``, ``plan_serve``, ``plan_compare``) as a
plain function with Typer annotations, and is registered on ``plan_app`` here.
"""

from __future__ import annotations

import typer

from costlm.cli.common import Command, Group, examples, h
from costlm.cli.plan_compare import plan_compare
from costlm.cli.plan_serve import plan_serve
from costlm.cli.plan_train import plan_train

plan_app = typer.Typer(
    help=h("Find the cheapest, fastest or greenest way to train, fine-tune or serve under your constraints."),
    epilog=examples(
        "costlm plan train --params 7B --tokens 2T --deadline-days 30",
        "costlm plan serve llama-3-70b --tokens-per-day 1e9",
        "costlm plan compare --base qwen2.5-7b --tokens-per-day 1e8 --months 12",
    ),
    no_args_is_help=True,
    cls=Group,
)


plan_app.command(
    "train",
    help=h("Find the cheapest, fastest or greenest configuration of a training run under constraints."),
    epilog=examples(
        "costlm plan train --params 7B --tokens 2T --deadline-days 30",
        "costlm plan train --base qwen2.5-7b --examples 1k --tokens-per-example 8k --epochs 3"
        " --gpus h100-sxm",
        "costlm plan train llama-2-7b --max-gpus 256 --both --objective time",
    ),
    cls=Command,
)(plan_train)

plan_app.command(
    "serve",
    help=h("Find the cheapest fleet that serves a model at a traffic within p90 TTFT and p99 TPOT targets."),
    epilog=examples(
        "costlm plan serve llama-3-70b --tokens-per-day 1e9",
        "costlm plan serve llama-3-8b --requests-per-s 20 --p90-ttft-ms 500 --p99-tpot-ms 40 --lang es",
        "costlm plan serve mixtral-8x7b --tokens-per-day 1e8 --gpus h100-sxm,a100-80gb --lever quantize",
    ),
    cls=Command,
)(plan_serve)

PLAN_COMPARE_HELP = h(
    "Total cost over N months of three paths for one use: call an API, fine-tune (or distil) an open"
    " model and self-host it, or pre-train a model and self-host it."
)
plan_app.command(
    "compare",
    help=PLAN_COMPARE_HELP,
    epilog=examples(
        "costlm plan compare --base llama-3-70b --tokens-per-day 1e8 --months 12",
        "costlm plan compare --base qwen2.5-7b --tokens-per-day 1e8 --teacher openai-gpt-4o"
        " --api openai-gpt-4o-mini",
        "costlm plan compare --base llama-3.1-8b --tokens-per-day 1e9 --months 24 --json",
    ),
    cls=Command,
)(plan_compare)
