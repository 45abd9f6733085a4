"""The request of ``costlm plan compare``: a use (traffic over months) and the three paths to serve it.

Validated once at the boundary with the same field rules as the training and serving requests
(``costlm.resolve.requests``): counts, mean counts, GPU counts, samples and seeds.
"""

from __future__ import annotations

from typing import Annotated, Self, TypedDict

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic import ValidationInfo as Info

from costlm.errors import InputError
from costlm.resolve.requests import (
    Count,
    GpuCount,
    LeverNames,
    MeanCount,
    Method,
    Number,
    Positive,
    Samples,
    Seed,
)

MAX_MONTHS = 240
"""Twenty years: beyond any accelerator's life (3-6 years), so longer horizons are typos."""
S1_EXAMPLES = 1_000
"""s1K: 1,000 curated examples (Muennighoff et al. 2025, s1-2025 in the catalog)."""
S1_EPOCHS = 5.0
"""s1-32B was fine-tuned for 5 epochs (s1-2025, App. D)."""
S1_TOKENS_PER_EXAMPLE = 10_000.0
"""A reasoning trace of ~10k tokens: the middle of the catalog's 4k-12k assumption for s1K."""
DEFAULT_MONTHS = 12
DEFAULT_GPU = "h100-sxm"
"""s1 fine-tuned on H100s; the self-hosted paths serve on the same accelerator."""


def _months(value: object, info: Info) -> object:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MONTHS:
        raise InputError(
            f"months: must be a whole number of months from 1 to {MAX_MONTHS}, got {value!r}",
            key="bad_months",
            value=str(value),
            max=MAX_MONTHS,
        )
    return value


Months = Annotated[int, BeforeValidator(_months)]


class PlanCompareRequest(BaseModel):
    """Total cost of ownership over ``months`` of three paths for one use: call an API, fine-tune (or
    distil) an open model and serve it, or pre-train a model and serve it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tokens_per_day: Count
    """Output tokens per day of the use (prompt tokens follow from prompt_tokens / output_tokens)."""
    prompt_tokens: MeanCount = 1000.0
    output_tokens: MeanCount = 300.0
    months: Months = DEFAULT_MONTHS
    base: str | None = None
    """The open model fine-tuned (or distilled into) and self-hosted."""
    api: str | None = None
    """An ``api_prices`` id; default: the cheapest listed price of the served model."""
    teacher: str | None = None
    """An ``api_prices`` id whose list price buys the fine-tuning data (distillation)."""
    pretrain: str | None = None
    """A catalog model pre-trained from scratch (its own training record); default: the base."""
    params: Count | None = None
    tokens: Count | None = None
    examples: Count = float(S1_EXAMPLES)
    tokens_per_example: MeanCount = S1_TOKENS_PER_EXAMPLE
    epochs: Positive = S1_EPOCHS
    method: Method = "full"
    gpu: str = DEFAULT_GPU
    n_gpus: GpuCount | None = None
    """GPUs of the fine-tune (default: 16 as s1, or the fewest that hold the model)."""
    levers: LeverNames = ()
    """Cost levers: training levers apply to the pre-training, serving levers to every self-hosted fleet."""
    samples: Samples = 10_000
    seed: Seed | None = 0

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.params is None) != (self.tokens is None):
            raise InputError(
                "give both --params and --tokens for the pre-training path, or neither",
                key="plan_params_and_tokens",
            )
        if self.params is not None and self.pretrain is not None:
            raise InputError(
                "give --pretrain MODEL or --params and --tokens, not both", key="plan_pretrain_or_params"
            )
        if self.base is None and self.api is None and self.pretrain is None and self.params is None:
            raise InputError(
                "give at least one path: --base MODEL, --api ID, --pretrain MODEL or --params/--tokens",
                key="plan_needs_path",
            )
        return self


class PlanCompareFields(TypedDict, total=False):
    """The keyword arguments of ``make_plan_compare_request`` (the fields of ``PlanCompareRequest``)."""

    tokens_per_day: Number
    prompt_tokens: Number
    output_tokens: Number
    months: int
    base: str | None
    api: str | None
    teacher: str | None
    pretrain: str | None
    params: Number | None
    tokens: Number | None
    examples: Number
    tokens_per_example: Number
    epochs: Number
    method: str
    gpu: str
    n_gpus: int | None
    levers: str | list[str]
    samples: int
    seed: int | None
