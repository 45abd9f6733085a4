"""The request of ``costlm plan serve``: a model, traffic, length spreads and latency targets, and
the space to search (accelerators, engines, dtypes, KV dtypes, tensor-parallel degrees)."""

from __future__ import annotations

from typing import Annotated, Self, TypedDict

from pydantic import BeforeValidator, model_validator
from pydantic import ValidationInfo as Info

from costlm.catalog.schema import ServeDtype
from costlm.errors import InputError
from costlm.resolve.requests import Count as CountType
from costlm.resolve.requests import (
    EngineOption,
    FrozenRequest,
    LatencyTargetMs,
    LeverNames,
    MeanCount,
    Number,
    PeakFactor,
    Positive,
    PriceTierChoice,
    Samples,
    Seed,
    number_input,
)

MAX_LENGTH_CV = 10.0
"""A length spread (std / mean) above 10 is a typo: measured chat traces sit near 1."""
PLAN_DTYPES: tuple[ServeDtype, ...] = ("bf16", "fp8", "int8", "int4")
"""Weight formats the planner may search (fp8 and int4 on chips with 8-bit units only)."""
PLAN_KV_DTYPES: tuple[ServeDtype, ...] = ("bf16", "fp8")
PLAN_ENGINES: tuple[str, ...] = ("vllm", "sglang", "trt-llm", "tgi")
DEFAULT_ENGINES: tuple[EngineOption, ...] = ("vllm", "sglang", "trt-llm")
"""The engines calibrated on measured runs (priors.toml ``[[serving_engine]]`` with n_runs > 0)."""


def _spread(value: object, info: Info) -> float:
    """A coefficient of variation in [0, MAX_LENGTH_CV] (0: every request the same length)."""
    name = info.field_name or "value"
    number = 0.0 if value in (0, "0") else number_input(value, info)
    if not 0.0 <= number <= MAX_LENGTH_CV:
        raise InputError(
            f"{name}: a length spread (std / mean) must be between 0 and {MAX_LENGTH_CV:g}, got {number:g}",
            key="bad_length_cv",
            name=name,
            value=f"{number:g}",
            max=f"{MAX_LENGTH_CV:g}",
        )
    return number


LengthSpreadCv = Annotated[float, BeforeValidator(_spread)]
DEFAULT_LENGTH_CV = 1.0
"""Default spread of prompt and output lengths: std = mean (exponential-like, as chat traces are)."""


def _listed(name: str, allowed: tuple[str, ...] | None) -> BeforeValidator:
    """A comma-separated text or a list, lower-cased, de-duplicated; each in ``allowed`` if given."""

    def check(value: object) -> object:
        if value is None:
            return None
        items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        out = list(dict.fromkeys(str(i).strip().lower() for i in items if str(i).strip()))
        if not out:
            raise InputError(f"{name}: give at least one value", key="empty_list", name=name)
        bad = [i for i in out if allowed is not None and i not in allowed]
        if bad:
            listed = ", ".join(allowed or ())
            raise InputError(
                f"{name}: '{bad[0]}' is not one of {listed}",
                key="not_in_choices",
                name=name,
                value=bad[0],
                choices=listed,
            )
        return out

    return BeforeValidator(check)


class PlanServeRequest(FrozenRequest):
    """Find the cheapest fleet that serves ``model`` at this traffic within the latency targets."""

    model: str
    tokens_per_day: CountType | None = None
    requests_per_s: Positive | None = None
    prompt_tokens: MeanCount = 1000.0
    output_tokens: MeanCount = 300.0
    prompt_cv: LengthSpreadCv = DEFAULT_LENGTH_CV
    output_cv: LengthSpreadCv = DEFAULT_LENGTH_CV
    peak_factor: PeakFactor = 2.0
    p90_ttft_ms: LatencyTargetMs | None = None
    p99_tpot_ms: LatencyTargetMs | None = None
    gpus: Annotated[tuple[str, ...] | None, _listed("gpus", None)] = None
    engines: Annotated[tuple[EngineOption, ...], _listed("engines", PLAN_ENGINES)] = DEFAULT_ENGINES
    dtypes: Annotated[tuple[ServeDtype, ...], _listed("dtypes", PLAN_DTYPES)] | None = None
    """Weight formats searched; None: bf16, and fp8/int8 only under ``--lever quantize``."""
    kv_dtypes: Annotated[tuple[ServeDtype, ...], _listed("kv_dtypes", PLAN_KV_DTYPES)] | None = None
    """KV-cache formats searched; None: bf16, and fp8 only under ``--lever quantize``."""
    levers: LeverNames = ()
    grid: str | None = None
    price_tier: PriceTierChoice = "auto"
    samples: Samples = 1000
    seed: Seed | None = 0

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.tokens_per_day is None) == (self.requests_per_s is None):
            both = self.tokens_per_day is not None
            raise InputError(
                "give --tokens-per-day or --requests-per-s" + (", not both" if both else ""),
                key="plan_traffic_both" if both else "plan_traffic_needed",
            )
        if self.samples < 1:
            raise InputError("samples: plan serve needs at least 1 sample", key="plan_needs_samples")
        return self


class PlanServeFields(TypedDict, total=False):
    """The keyword arguments of ``make_plan_serve_request`` (the fields of ``PlanServeRequest``)."""

    model: str
    tokens_per_day: Number | None
    requests_per_s: Number | None
    prompt_tokens: Number
    output_tokens: Number
    prompt_cv: Number
    output_cv: Number
    peak_factor: Number
    p90_ttft_ms: Number | None
    p99_tpot_ms: Number | None
    gpus: str | list[str] | None
    engines: str | list[str]
    dtypes: str | list[str] | None
    kv_dtypes: str | list[str] | None
    levers: str | list[str]
    grid: str | None
    price_tier: str
    samples: int
    seed: int | None
