"""What every command module of the CLI shares: help texts in the user's language, the
Rich-free markup escape, the command classes that render boolean flags as flags, the common
options, and the console, language and JSON helpers.

Help texts are fixed when this module is imported (``HELP_LANG`` is read from the command line),
so it imports neither Rich nor numpy nor pydantic: ``costlm --help`` stays fast.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from costlm.errors import InputError
from costlm.i18n import help_text, lang_from_env

if TYPE_CHECKING:
    from rich.console import Console

LANG_CODES = ("en", "es")


def argv_lang() -> str:
    """The --lang of the command line if valid, else the environment's.

    Read straight from sys.argv because help texts (and usage errors) are rendered before, or
    without, Typer parsing the options.
    """
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        value = (
            arg.split("=", 1)[1]
            if arg.startswith("--lang=")
            else (args[i + 1] if arg == "--lang" and i + 1 < len(args) else "")
        )
        if value in LANG_CODES:
            return value
    return lang_from_env()


HELP_LANG = argv_lang()
"""The language of every help text: fixed when this module is imported, i.e. from the command line."""


RICH_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")
"""The pattern of ``rich.markup.escape`` (a test pins the two to the same output)."""


def escape_markup(text: str) -> str:
    """``rich.markup.escape`` without importing Rich: every help text is built at import, on every run."""
    escaped = RICH_TAG.sub(lambda m: f"{m[1]}{m[1]}\\{m[2]}", text)
    return escaped + "\\" if escaped.endswith("\\") and not escaped.endswith("\\\\") else escaped


def h(english: str) -> str:
    """A help text in HELP_LANG, with Rich markup escaped so that '[[claim]]' shows as typed."""
    return escape_markup(help_text(english, HELP_LANG))


def examples(*commands: str) -> str:
    """The epilog of a command's help: a heading and one runnable example per line."""
    return h("Examples:") + "\n\n" + "\n".join(f"  {command}" for command in commands)


def flags_as_flags(params: list[Any]) -> list[Any]:
    """Boolean flags show as '--json', not '--json <bool>'; the help flag's help is translated."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
        if "--help" in getattr(param, "opts", ()):
            param.help = h("Show this message and exit.")
    return params


# Typer's parameter and context types live in a private module (typer._click): typed as Any here.
class Command(TyperCommand):
    def get_params(self, ctx: Any) -> Any:
        return flags_as_flags(super().get_params(ctx))


class Group(TyperGroup):
    def get_params(self, ctx: Any) -> Any:
        return flags_as_flags(super().get_params(ctx))


CatalogOpt = Annotated[
    list[Path] | None,
    typer.Option("--catalog", help=h("Extra catalog TOML file adding or overriding entries (repeatable).")),
]
JsonOpt = Annotated[bool, typer.Option("--json", help=h("Print the result as JSON."))]
LangOpt = Annotated[
    str | None, typer.Option("--lang", help=h("Language of the output: en or es (default from LANG)."))
]
SamplesOpt = Annotated[int, typer.Option("--samples", help=h("Monte Carlo samples (0 = point estimate)."))]
RentalOpt = Annotated[str | None, typer.Option(help=h("Rental price LOW..HIGH in $/GPU-hour."))]
PriceOpt = Annotated[str | None, typer.Option(help=h("Purchase price per GPU LOW..HIGH in $."))]
PueOpt = Annotated[str | None, typer.Option(help=h("Data-centre PUE LOW..HIGH (>= 1)."))]
GridOpt = Annotated[
    str | None,
    typer.Option(
        help=h("Grid region for CO2: an id (usa, china, france, world...) or an alias (us, gb, de...).")
    ),
]
TierOpt = Annotated[
    str,
    typer.Option(
        help=h(
            "Rental tier: on-demand, reserved, spot or auto (reserved from 256 GPUs or 30 days, "
            "and for serving; on-demand otherwise)."
        )
    ),
]
SeedOpt = Annotated[
    int, typer.Option("--seed", help=h("Random seed of the Monte Carlo draw (same seed, same output)."))
]


def make_console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def lang_of(lang: str | None) -> str:
    from costlm.i18n import LANGS

    chosen = (lang or argv_lang()).lower()
    if chosen not in LANGS:
        raise InputError(
            f"--lang: unknown language '{chosen}'; choose one of {', '.join(LANGS)}",
            key="unknown_lang",
            value=chosen,
        )
    return chosen


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


LeverOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--lever",
        help=h(
            "Cost lever to apply, repeatable or comma-separated (see `costlm catalog list levers`): "
            "train: sophia, moe, fp8, sft-small; serve: mla, quantize."
        ),
    ),
]


def lever_names(given: list[str] | None) -> list[str]:
    """``--lever a --lever b,c`` as the list of names ``[a, b, c]``."""
    return [name for item in given or () for name in item.split(",")]


# The work of a training run, shared by `costlm train` and `costlm plan train` (and plan compare).
ParamsOpt = Annotated[str | None, typer.Option(help=h("Total parameters, e.g. 7e9 or 7B."))]
ActiveParamsOpt = Annotated[str | None, typer.Option(help=h("Active parameters per token (MoE), e.g. 37B."))]
TokensOpt = Annotated[str | None, typer.Option(help=h("Training tokens, e.g. 2T."))]
ExamplesOpt = Annotated[
    str | None, typer.Option(help=h("Fine-tuning examples (with --tokens-per-example, --epochs)."))
]
TokensPerExampleOpt = Annotated[str | None, typer.Option(help=h("Mean tokens per fine-tuning example."))]
EpochsOpt = Annotated[str | None, typer.Option(help=h("Fine-tuning epochs."))]
