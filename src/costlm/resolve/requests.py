"""Requests: what a user asks, validated once at the boundary (the CLI, the web and Python share it).

Each field accepts what the CLI accepts: a number or a string such as ``"7B"``, and for ranges a
pair, a scalar (low == high) or ``"LOW..HIGH"``. The rules live in the annotated types below,
one rule each:

- ``Count``: a whole number >= 1 (parameters, tokens, examples);
- ``MeanCount``: a mean of counts, >= 1 (tokens per example, prompt and output lengths per request);
- ``Positive``: a finite number > 0 below ``MAX_MAGNITUDE`` (FLOP, epochs);
- ``PositiveRange`` / ``FractionRange`` / ``PueRange``: 90% ranges, ordered, within their bounds;
- GPU, batch, sample and seed counts are integers within ``costlm.bounds``;
- ``ZeroStage``: a ZeRO stage, 0 to 3; ``Degree``: a tensor- or pipeline-parallel degree >= 1.

A violation raises ``InputError`` naming the field (pydantic wraps it; ``build`` unwraps it).
Cross-field rules (GPUs or days, FLOP or parameters, model or config) are model validators.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Self, TypedDict, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator
from pydantic import ValidationInfo as Info

from costlm.bounds import (
    MAX_BATCH,
    MAX_GPUS,
    MAX_GPUS_PER_REPLICA,
    MAX_KV_BITS,
    MAX_PEAK_FACTOR,
    MAX_PUE,
    MAX_SAMPLES,
    MAX_SEED,
    MIN_FRACTION,
    MIN_KV_BITS,
    MIN_PEAK_FACTOR,
    MIN_PUE,
)
from costlm.catalog.schema import ENGINE_CHOICES, Dtype, EngineChoice, RunKind, ServeDtype
from costlm.errors import InputError
from costlm.resolve.prices import TIER_CHOICES, TierChoice
from costlm.units import (
    MAX_MAGNITUDE,
    check_fraction,
    check_positive,
    format_count,
    parse_number,
    parse_range,
)

Range = tuple[float, float]
Number = float | int | str
Recompute = Literal["none", "selective", "full"]
"""Activation recomputation: which forward passes a training step re-runs (see formulas.flops)."""
AttentionKernel = Literal["flash", "eager"]
"""How attention is computed in training: fused (FlashAttention: the a s^2 scores are never
stored) or eager (they are kept for the backward pass); activation memory depends on it."""


def _one_of(choices: tuple[str, ...], *, name: str, what: str, key: str) -> BeforeValidator:
    """A name from ``choices``, lower-cased; anything else is refused with the choices (i18n ``key``)."""

    def check(value: object) -> object:
        shown = str(value).strip().lower() if isinstance(value, str) else value
        if shown not in choices:
            listed = ", ".join(choices)
            raise InputError(
                f"{name}: '{value}' is not {what}; choose one of {listed}",
                key=key,
                value=str(value),
                choices=listed,
            )
        return shown

    return BeforeValidator(check)


PriceTierChoice = Annotated[
    TierChoice, _one_of(TIER_CHOICES, name="price_tier", what="a tier", key="bad_price_tier")
]
EngineOption = Annotated[
    EngineChoice, _one_of(ENGINE_CHOICES, name="engine", what="a calibrated engine", key="bad_engine")
]
RangeInput = Range | float | int | str


def _name(info: Info) -> str:
    return info.field_name or "value"


def number_input(value: object, info: Info) -> float:
    """A number as the CLI takes it (``7B``, ``2e12``, ``1,000``) or as a float; the field names the error."""
    if isinstance(value, str):
        return parse_number(value, name=_name(info))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(
            f"{_name(info)}: expected a number, got {value!r}",
            key="expected_number",
            name=_name(info),
            value=repr(value),
        )
    if isinstance(value, int) and abs(value) > MAX_MAGNITUDE:
        raise InputError(
            f"{_name(info)}: {format_count(value)} is absurdly large (max {MAX_MAGNITUDE:g})",
            key="too_large",
            name=_name(info),
            value=format_count(value),
        )
    return check_positive(float(value), name=_name(info))


def _mean_count(value: float, info: Info) -> float:
    if value < 1:
        raise InputError(
            f"{_name(info)}: must be at least 1, got {value:g}",
            key="at_least_one",
            name=_name(info),
            value=value,
        )
    return value


def _count(value: float, info: Info) -> float:
    if value < 1 or value != math.floor(value):
        raise InputError(
            f"{_name(info)}: a count must be a whole number >= 1, got {value:g}",
            key="whole_count",
            name=_name(info),
            value=value,
        )
    return value


def _range(value: object, info: Info) -> Range:
    name = _name(info)
    if isinstance(value, str):
        return parse_range(value, name=name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        low = high = value
    elif isinstance(value, tuple | list) and len(value) == 2:
        low, high = value
    else:
        raise InputError(
            f"{name}: expected LOW..HIGH or a number, got {value!r}", key="not_a_range", name=name, text=value
        )
    low, high = number_input(low, info), number_input(high, info)
    if low > high:
        raise InputError(
            f"{name}: need 0 < low <= high, got {low:g}..{high:g}",
            key="range_order",
            name=name,
            low=low,
            high=high,
        )
    return low, high


def _fraction_range(value: Range, info: Info) -> Range:
    name = _name(info)
    for bound in value:
        check_fraction(bound, name=name)
    if value[0] < MIN_FRACTION:
        raise InputError(
            f"{name}: {value[0]:g} is absurdly small (min {MIN_FRACTION:g})",
            key="too_small_fraction",
            name=name,
            value=f"{value[0]:g}",
            min=f"{MIN_FRACTION:g}",
        )
    return value


def _pue_range(value: Range, info: Info) -> Range:
    if value[0] < MIN_PUE:
        raise InputError(
            f"pue: must be >= 1 (facility power / IT power), got {value[0]:g}",
            key="pue_below_one",
            value=value[0],
        )
    if value[1] > MAX_PUE:
        raise InputError(
            f"pue: {value[1]:g} is implausible (max {MAX_PUE:g})", key="too_large", name="pue", value=value[1]
        )
    return value


def _whole(value: object, info: Info) -> object:
    """Integer fields take integers (or their text), never booleans: True is not a count."""
    if isinstance(value, bool):
        raise InputError(
            f"{_name(info)}: expected a whole number, got {value!r}",
            key="expected_whole",
            name=_name(info),
            value=repr(value),
        )
    return value


def _int_between(low: int, high: int, limit: str = "") -> AfterValidator:
    """Integers in [low, high]; ``limit`` names what the maximum is (default: 'absurdly large')."""
    beyond = f"is more than the {high:,} {limit}" if limit else f"is absurdly large (max {high:,})"

    def check(value: int, info: Info) -> int:
        name = _name(info)
        if value < low:
            key = "at_least_one" if low == 1 else "too_small"
            raise InputError(
                f"{name}: must be at least {low}, got {format_count(value)}",
                key=key,
                name=name,
                value=format_count(value),
                low=low,
            )
        if value > high:
            raise InputError(
                f"{name}: {format_count(value)} {beyond}",
                key="too_large",
                name=name,
                value=format_count(value),
            )
        return value

    return AfterValidator(check)


MAX_ZERO_STAGE = 3
"""ZeRO has stages 0 (none) to 3 (optimizer state, gradients and weights partitioned)."""
MAX_ZERO_WITH_PIPELINE = 1
"""DeepSpeed's pipeline engine asserts ZeRO stage < 2 (deepspeed/runtime/pipe/engine.py)."""
MAX_LORA_RANK = 65_536
"""A LoRA rank above any model width is a typo."""


def _zero_stage(value: int, info: Info) -> int:
    if not 0 <= value <= MAX_ZERO_STAGE:
        raise InputError(
            f"{_name(info)}: ZeRO has stages 0 to {MAX_ZERO_STAGE}, got {value}",
            key="zero_stage",
            name=_name(info),
            value=value,
        )
    return value


def _between(low: float, high: float, what: str) -> AfterValidator:
    def check(value: float, info: Info) -> float:
        if not low <= value <= high:
            raise InputError(
                f"{_name(info)}: {what} must be between {low:g} and {high:g}, got {value:g}",
                key="out_of_bounds",
                name=_name(info),
                low=f"{low:g}",
                high=f"{high:g}",
                value=f"{value:g}",
            )
        return value

    return AfterValidator(check)


Positive = Annotated[float, BeforeValidator(number_input)]
Count = Annotated[float, BeforeValidator(number_input), AfterValidator(_count)]
MeanCount = Annotated[float, BeforeValidator(number_input), AfterValidator(_mean_count)]
PositiveRange = Annotated[Range, BeforeValidator(_range)]
FractionRange = Annotated[Range, BeforeValidator(_range), AfterValidator(_fraction_range)]
PueRange = Annotated[Range, BeforeValidator(_range), AfterValidator(_pue_range)]
GpuCount = Annotated[int, BeforeValidator(_whole), _int_between(1, MAX_GPUS)]
ReplicaGpuCount = Annotated[
    int, BeforeValidator(_whole), _int_between(1, MAX_GPUS_PER_REPLICA, "GPUs a replica can take")
]
Batch = Annotated[int, BeforeValidator(_whole), _int_between(1, MAX_BATCH, "sequences a replica can take")]
Samples = Annotated[int, BeforeValidator(_whole), _int_between(0, MAX_SAMPLES)]
Seed = Annotated[int, BeforeValidator(_whole), _int_between(0, MAX_SEED)]
PeakFactor = Annotated[
    float, BeforeValidator(number_input), _between(MIN_PEAK_FACTOR, MAX_PEAK_FACTOR, "peak / mean traffic")
]
ZeroStage = Annotated[int, BeforeValidator(_whole), AfterValidator(_zero_stage)]
Degree = Annotated[int, BeforeValidator(_whole), _int_between(1, MAX_GPUS)]
MicroBatch = Annotated[int, BeforeValidator(_whole), _int_between(1, MAX_BATCH)]
LoraRank = Annotated[int, BeforeValidator(_whole), _int_between(1, MAX_LORA_RANK)]
Method = Literal["full", "lora", "qlora"]
KvBits = Annotated[
    float, BeforeValidator(number_input), _between(MIN_KV_BITS, MAX_KV_BITS, "bits per element")
]
MIN_MEMORY_UTILIZATION = 0.05
"""An engine allowed less than 5% of device memory cannot hold a model: a typo (0.9 meant)."""
MIN_LATENCY_TARGET_MS = 0.01
MAX_LATENCY_TARGET_MS = 600_000.0
"""Latency targets between 10 microseconds and 10 minutes; outside, a unit slip (s vs ms)."""
MemoryUtilization = Annotated[
    float, BeforeValidator(number_input), _between(MIN_MEMORY_UTILIZATION, 1.0, "the share of device memory")
]
LatencyTargetMs = Annotated[
    float,
    BeforeValidator(number_input),
    _between(MIN_LATENCY_TARGET_MS, MAX_LATENCY_TARGET_MS, "a latency target in milliseconds"),
]


def _lever_names(value: object) -> tuple[str, ...]:
    """Lever names from a list or a comma-separated text (``--lever a,b`` or ``--lever a --lever b``)."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise InputError("--lever: give lever ids (see `costlm catalog list levers`)", key="lever_names")
    names = tuple(str(item).strip() for item in items)
    if any(not name for name in names):
        raise InputError("--lever: empty lever id (see `costlm catalog list levers`)", key="lever_names")
    return names


LeverNames = Annotated[tuple[str, ...], BeforeValidator(_lever_names)]
"""The cost levers applied (``costlm.resolve.levers``): ids or aliases of the catalog's levers."""


class FrozenRequest(BaseModel):
    """The base of every request model: immutable, and an unknown field is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TrainingRequest(FrozenRequest):
    """A training estimate request: a catalog model, explicit inputs, or a model plus overrides."""

    model: str | None = None
    params: Count | None = None
    active_params: Count | None = None
    tokens: Count | None = None
    train_flop: Positive | None = None
    kind: RunKind | None = None
    examples: Count | None = None
    tokens_per_example: MeanCount | None = None
    epochs: Positive | None = None
    gpu: str | None = None
    n_gpus: GpuCount | None = None
    days: PositiveRange | None = None
    dtype: Dtype | None = None
    mfu: FractionRange | None = None
    achieved_tflops_per_gpu: PositiveRange | None = None
    gpu_hours: PositiveRange | None = None
    goodput: FractionRange | None = None
    seq_len: Count | None = None
    recompute: Recompute | None = None
    usd_per_gpu_hour: PositiveRange | None = None
    gpu_price_usd: PositiveRange | None = None
    pue: PueRange | None = None
    grid: str | None = None
    price_tier: PriceTierChoice = "auto"
    method: Method = "full"
    lora_rank: LoraRank | None = None
    zero_stage: ZeroStage | None = None
    tensor_parallel: Degree | None = None
    pipeline_parallel: Degree | None = None
    micro_batch: MicroBatch = 1
    attention_kernel: AttentionKernel = "flash"
    offload: bool = False
    levers: LeverNames = ()
    samples: Samples = 10_000
    seed: Seed | None = 0

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.lora_rank is not None and self.method == "full":
            raise InputError(
                "--lora-rank needs --method lora or qlora (a full fine-tune has no adapters)",
                key="lora_rank_needs_lora",
            )
        if (self.pipeline_parallel or 1) > 1 and (self.zero_stage or 0) > MAX_ZERO_WITH_PIPELINE:
            raise InputError(
                f"--zero {self.zero_stage} cannot run with --pp {self.pipeline_parallel}: pipeline "
                f"parallelism takes ZeRO stages 0-{MAX_ZERO_WITH_PIPELINE} only (DeepSpeed)",
                key="zero_with_pipeline",
                zero=self.zero_stage,
                pp=self.pipeline_parallel,
                max=MAX_ZERO_WITH_PIPELINE,
            )
        if self.model is None and self.params is None and self.train_flop is None and self.gpu_hours is None:
            raise InputError(
                "give a catalog MODEL, or --params and --tokens, or --gpu-hours (see `costlm train --help`)",
                key="train_needs_input",
            )
        starts = [f for f in ("gpu_hours", "achieved_tflops_per_gpu", "mfu") if getattr(self, f) is not None]
        if len(starts) > 1:
            raise InputError(
                f"give one of --gpu-hours, --achieved-tflops-per-gpu, --mfu, not {' and '.join(starts)}",
                key="one_time_start",
                given=" and ".join(starts),
            )
        if self.gpu_hours is not None and self.goodput is not None:
            raise InputError(
                "--goodput does not apply to --gpu-hours (reported GPU-hours already include downtime)",
                key="goodput_with_hours",
            )
        if self.n_gpus is not None and self.days is not None:
            raise InputError(
                "give --n-gpus or --days, not both (--days solves for the GPU count)", key="gpus_or_days"
            )
        if self.train_flop is not None and (self.params or self.active_params or self.tokens):
            raise InputError("give --train-flop, or --params and --tokens, not both", key="flop_or_params")
        if self.params and self.active_params and self.active_params > self.params:
            raise InputError(
                f"active_params {self.active_params:g} exceeds params {self.params:g}",
                key="active_above_total",
                active=f"{self.active_params:g}",
                total=f"{self.params:g}",
            )
        return self


class ServeRequest(FrozenRequest):
    """A serving estimate request: a catalog model or a local config.json, hardware and traffic."""

    model: str | None = None
    config: str | None = None
    gpu: str | None = None
    n_gpus: ReplicaGpuCount | None = None
    dtype: ServeDtype | None = None
    kv_dtype: ServeDtype | None = None
    kv_bits: KvBits | None = None
    batch: Batch | None = None
    target_batch: Batch = 64
    gpu_memory_utilization: MemoryUtilization | None = None
    max_tpot_ms: LatencyTargetMs | None = None
    max_ttft_ms: LatencyTargetMs | None = None
    prompt_tokens: MeanCount = 1000.0
    output_tokens: MeanCount = 300.0
    tokens_per_day: Count | None = None
    peak_factor: PeakFactor = 2.0
    usd_per_gpu_hour: PositiveRange | None = None
    gpu_price_usd: PositiveRange | None = None
    utilization: FractionRange | None = None
    pue: PueRange | None = None
    grid: str | None = None
    price_tier: PriceTierChoice = "auto"
    engine: EngineOption = "generic"
    expert_parallel: bool = False
    """MoE experts sharded across the replica's GPUs (all-to-all) instead of tensor-parallel MLPs."""
    levers: LeverNames = ()
    samples: Samples = 10_000
    seed: Seed | None = 0

    @model_validator(mode="after")
    def _one_model(self) -> Self:
        if (self.model is None) == (self.config is None):
            both = self.model is not None
            message = "give a catalog MODEL or --config path/to/config.json" + (", not both" if both else "")
            raise InputError(message, key="serve_both" if both else "serve_needs_input")
        return self


class MonteCarloArgs(FrozenRequest):
    """Sample count and seed of the analyses that take them as arguments (claims, seed table)."""

    samples: Samples
    seed: Seed | None


class TrainingFields(TypedDict, total=False):
    """The keyword arguments of ``make_training_request`` (the fields of ``TrainingRequest``)."""

    model: str | None
    params: Number | None
    active_params: Number | None
    tokens: Number | None
    train_flop: Number | None
    kind: str | None
    examples: Number | None
    tokens_per_example: Number | None
    epochs: Number | None
    gpu: str | None
    n_gpus: int | None
    days: RangeInput | None
    dtype: str | None
    mfu: RangeInput | None
    achieved_tflops_per_gpu: RangeInput | None
    gpu_hours: RangeInput | None
    goodput: RangeInput | None
    seq_len: Number | None
    recompute: str | None
    usd_per_gpu_hour: RangeInput | None
    gpu_price_usd: RangeInput | None
    pue: RangeInput | None
    grid: str | None
    price_tier: str
    method: str
    lora_rank: int | None
    zero_stage: int | None
    tensor_parallel: int | None
    pipeline_parallel: int | None
    micro_batch: int
    attention_kernel: str
    offload: bool
    levers: Sequence[str] | str
    samples: int
    seed: int | None


class ServeFields(TypedDict, total=False):
    """The keyword arguments of ``make_serve_request`` (the fields of ``ServeRequest``)."""

    model: str | None
    config: str | None
    gpu: str | None
    n_gpus: int | None
    dtype: str | None
    kv_dtype: str | None
    kv_bits: Number | None
    batch: int | None
    target_batch: int
    gpu_memory_utilization: Number | None
    max_tpot_ms: Number | None
    max_ttft_ms: Number | None
    prompt_tokens: Number
    output_tokens: Number
    tokens_per_day: Number | None
    peak_factor: Number
    usd_per_gpu_hour: RangeInput | None
    gpu_price_usd: RangeInput | None
    utilization: RangeInput | None
    pue: RangeInput | None
    grid: str | None
    price_tier: str
    engine: str
    expert_parallel: bool
    levers: Sequence[str] | str
    samples: int
    seed: int | None


Req = TypeVar("Req", bound=BaseModel)


def build(cls: type[Req], fields: dict[str, Any]) -> Req:
    """``cls(**fields)``, with the first validation failure raised as the ``InputError`` it is."""
    try:
        return cls(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        cause = first.get("ctx", {}).get("error")
        if isinstance(cause, InputError):
            raise cause from None
        where = ".".join(str(p) for p in first["loc"]) or cls.__name__
        raise InputError(f"{where}: {first['msg']}") from None
